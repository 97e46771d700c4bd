/* test_split.c — how a dump is divided: the criterion chosen from the last
 * summary (the most even one, none for small or lopsided tables), the
 * request each part sends (read back with libmnl), which entries each part
 * keeps, and the names users type. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "internal.h"

/* A summary with only what the choice reads. */
static struct ctscope_summary shape(uint64_t total, uint64_t ipv4, uint64_t other, uint64_t assured,
                                    uint64_t unreplied)
{
	struct ctscope_summary s;
	memset(&s, 0, sizeof(s));
	s.entries = total;
	s.families[CTSCOPE_FAMILY_IPV4] = ipv4;
	s.families[CTSCOPE_FAMILY_OTHER] = other;
	s.families[CTSCOPE_FAMILY_IPV6] = total - ipv4 - other;
	s.flags[CTSCOPE_FLAG_ASSURED] = assured;
	s.flags[CTSCOPE_FLAG_UNREPLIED] = unreplied;
	return s;
}

static void choose_small_or_unknown_is_whole(void **state)
{
	(void)state;
	struct ctscope_summary s = shape(1000000, 500000, 0, 500000, 500000);
	/* the kernel's count wins over the last summary */
	assert_int_equal(ctscope_split_choose(&s, CTSCOPE_SPLIT_MIN_ENTRIES - 1), CTSCOPE_SPLIT_NONE);
	assert_int_equal(ctscope_split_choose(NULL, 0), CTSCOPE_SPLIT_NONE);
	struct ctscope_summary small = shape(50000, 25000, 0, 25000, 25000);
	assert_int_equal(ctscope_split_choose(&small, 0), CTSCOPE_SPLIT_NONE);
	/* unknown count, a big last summary: chosen from it */
	assert_int_equal(ctscope_split_choose(&s, 0) != CTSCOPE_SPLIT_NONE, true);
}

static void choose_without_history_is_assured(void **state)
{
	(void)state;
	assert_int_equal(ctscope_split_choose(NULL, CTSCOPE_SPLIT_MIN_ENTRIES), CTSCOPE_SPLIT_ASSURED);
	struct ctscope_summary empty = shape(0, 0, 0, 0, 0);
	assert_int_equal(ctscope_split_choose(&empty, 2000000), CTSCOPE_SPLIT_ASSURED);
}

static void choose_most_even(void **state)
{
	(void)state;
	/* the bench mix: 75% IPv4, 65% assured, 15% unreplied */
	struct ctscope_summary bench = shape(1000000, 750000, 0, 650000, 150000);
	assert_int_equal(ctscope_split_choose(&bench, 1000000), CTSCOPE_SPLIT_ASSURED);
	/* half IPv6 */
	struct ctscope_summary dual = shape(1000000, 480000, 0, 900000, 50000);
	assert_int_equal(ctscope_split_choose(&dual, 1000000), CTSCOPE_SPLIT_FAMILY);
	/* a SYN flood: 45% never answered */
	struct ctscope_summary flood = shape(1000000, 990000, 0, 980000, 450000);
	assert_int_equal(ctscope_split_choose(&flood, 1000000), CTSCOPE_SPLIT_SEEN_REPLY);
	/* the smaller side counts, not which side: 70% unassured is 30% */
	struct ctscope_summary unassured = shape(1000000, 1000000, 0, 300000, 0);
	assert_int_equal(ctscope_split_choose(&unassured, 1000000), CTSCOPE_SPLIT_ASSURED);
}

static void choose_lopsided_is_whole(void **state)
{
	(void)state;
	/* every criterion's smaller part under a tenth: the second walk costs
	 * more than it saves */
	struct ctscope_summary s = shape(1000000, 950000, 0, 920000, 91000);
	assert_int_equal(ctscope_split_choose(&s, 1000000), CTSCOPE_SPLIT_NONE);
	/* exactly a tenth still splits */
	struct ctscope_summary tenth = shape(1000000, 900000, 0, 1000000, 0);
	assert_int_equal(ctscope_split_choose(&tenth, 1000000), CTSCOPE_SPLIT_FAMILY);
}

static void choose_family_only_without_other(void **state)
{
	(void)state;
	/* a family split asks for IPv4 and IPv6: an entry of another family
	 * would be in neither part */
	struct ctscope_summary s = shape(1000000, 500000, 1, 950000, 20000);
	assert_int_equal(ctscope_split_choose(&s, 1000000), CTSCOPE_SPLIT_NONE);
}

static void forced_split_is_kept(void **state)
{
	(void)state;
	assert_int_equal(ctscope_split_for(CTSCOPE_DUMP_SPLIT_NONE, NULL, 5000000), CTSCOPE_SPLIT_NONE);
	assert_int_equal(ctscope_split_for(CTSCOPE_DUMP_SPLIT_FAMILY, NULL, 10), CTSCOPE_SPLIT_FAMILY);
	assert_int_equal(ctscope_split_for(CTSCOPE_DUMP_SPLIT_ASSURED, NULL, 0), CTSCOPE_SPLIT_ASSURED);
	assert_int_equal(ctscope_split_for(CTSCOPE_DUMP_SPLIT_SEEN_REPLY, NULL, 0), CTSCOPE_SPLIT_SEEN_REPLY);
	assert_int_equal(ctscope_split_for(CTSCOPE_DUMP_SPLIT_AUTO, NULL, 10), CTSCOPE_SPLIT_NONE);
}

/* The request of one part, as the kernel would read it. */
struct request {
	uint8_t family;
	bool has_status, has_mask;
	uint32_t status, mask;
};

static int request_attr(const struct nlattr *attr, void *data)
{
	struct request *r = data;
	if (mnl_attr_get_type(attr) == CTA_STATUS) {
		assert_int_equal(mnl_attr_validate(attr, MNL_TYPE_U32), 0);
		r->has_status = true;
		r->status = ntohl(mnl_attr_get_u32(attr));
	} else if (mnl_attr_get_type(attr) == CTA_STATUS_MASK) {
		assert_int_equal(mnl_attr_validate(attr, MNL_TYPE_U32), 0);
		r->has_mask = true;
		r->mask = ntohl(mnl_attr_get_u32(attr));
	} else {
		fail_msg("unexpected attribute %u", mnl_attr_get_type(attr));
	}
	return MNL_CB_OK;
}

static struct request request_of(enum ctscope_split_by by, unsigned part)
{
	static union {
		struct nlmsghdr align;
		char buf[256];
	} u;
	memset(&u, 0, sizeof(u));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(u.buf);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	ctscope_split_request(by, part, nlh, nfg);
	struct request r = { .family = nfg->nfgen_family };
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*nfg), request_attr, &r), MNL_CB_OK);
	return r;
}

static void requests_divide(void **state)
{
	(void)state;
	struct request r = request_of(CTSCOPE_SPLIT_NONE, 0);
	assert_int_equal(r.family, AF_UNSPEC);
	assert_false(r.has_status);
	r = request_of(CTSCOPE_SPLIT_FAMILY, 0);
	assert_int_equal(r.family, AF_INET);
	assert_false(r.has_status);
	r = request_of(CTSCOPE_SPLIT_FAMILY, 1);
	assert_int_equal(r.family, AF_INET6);
	/* a status split: the same mask, the bit set in one part only */
	r = request_of(CTSCOPE_SPLIT_ASSURED, 0);
	assert_int_equal(r.family, AF_UNSPEC);
	assert_true(r.has_status && r.has_mask);
	assert_int_equal(r.mask, IPS_ASSURED);
	assert_int_equal(r.status, IPS_ASSURED);
	r = request_of(CTSCOPE_SPLIT_ASSURED, 1);
	assert_true(r.has_status && r.has_mask);
	assert_int_equal(r.mask, IPS_ASSURED);
	assert_int_equal(r.status, 0);
	r = request_of(CTSCOPE_SPLIT_SEEN_REPLY, 0);
	assert_int_equal(r.mask, IPS_SEEN_REPLY);
	assert_int_equal(r.status, IPS_SEEN_REPLY);
	r = request_of(CTSCOPE_SPLIT_SEEN_REPLY, 1);
	assert_int_equal(r.status, 0);
}

/* Every entry belongs to exactly one part, and to the part whose request
 * the kernel would have matched it with. */
static void each_entry_in_one_part(void **state)
{
	(void)state;
	const uint8_t families[] = { AF_INET, AF_INET6 };
	const uint32_t statuses[] = { 0, IPS_SEEN_REPLY, IPS_SEEN_REPLY | IPS_ASSURED, IPS_ASSURED | IPS_CONFIRMED };
	for (int by = CTSCOPE_SPLIT_FAMILY; by < CTSCOPE_SPLIT_COUNT; by++)
		for (size_t f = 0; f < 2; f++)
			for (size_t st = 0; st < 4; st++) {
				struct ctscope_entry e;
				memset(&e, 0, sizeof(e));
				e.family = families[f];
				e.status = statuses[st];
				bool in0 = ctscope_split_holds((enum ctscope_split_by)by, 0, &e);
				bool in1 = ctscope_split_holds((enum ctscope_split_by)by, 1, &e);
				assert_true(in0 != in1);
				struct request r = request_of((enum ctscope_split_by)by, in0 ? 0 : 1);
				if (r.family != AF_UNSPEC)
					assert_int_equal(r.family, e.family);
				if (r.has_status)
					assert_int_equal(e.status & r.mask, r.status);
			}
	struct ctscope_entry e;
	memset(&e, 0, sizeof(e));
	assert_true(ctscope_split_holds(CTSCOPE_SPLIT_NONE, 0, &e));
}

static void names_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < CTSCOPE_DUMP_SPLIT_COUNT; i++) {
		enum ctscope_dump_split d;
		assert_int_equal(ctscope_dump_split_parse(ctscope_dump_split_name((enum ctscope_dump_split)i), &d), 0);
		assert_int_equal(d, i);
	}
	enum ctscope_dump_split d = CTSCOPE_DUMP_SPLIT_AUTO;
	assert_int_equal(ctscope_dump_split_parse("Assured", &d), -1);
	assert_int_equal(ctscope_dump_split_parse("", &d), -1);
	assert_int_equal(ctscope_dump_split_parse(NULL, &d), -1);
	assert_string_equal(ctscope_split_name(CTSCOPE_SPLIT_NONE), "none");
	assert_string_equal(ctscope_split_name(CTSCOPE_SPLIT_FAMILY), "family");
	assert_string_equal(ctscope_split_name(CTSCOPE_SPLIT_ASSURED), "assured");
	assert_string_equal(ctscope_split_name(CTSCOPE_SPLIT_SEEN_REPLY), "seen_reply");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(choose_small_or_unknown_is_whole),
		cmocka_unit_test(choose_without_history_is_assured),
		cmocka_unit_test(choose_most_even),
		cmocka_unit_test(choose_lopsided_is_whole),
		cmocka_unit_test(choose_family_only_without_other),
		cmocka_unit_test(forced_split_is_kept),
		cmocka_unit_test(requests_divide),
		cmocka_unit_test(each_entry_in_one_part),
		cmocka_unit_test(names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
