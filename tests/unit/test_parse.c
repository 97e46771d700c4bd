/* test_parse.c — the parser and the summary over a dump recorded from the
 * real kernel (tests/fixtures/mix.nl, made by tests/fixtures/record.sh;
 * mix.txt beside it is `conntrack -L -o extended` of the same table), and
 * over hand-broken copies of its messages. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

struct fixture {
	uint8_t *buf;
	size_t len;
};

static int load(void **state)
{
	const char *src = getenv("CTSCOPE_SRC");
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/fixtures/mix.nl", src ? src : ".");
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s: %s (run from the repository root or set CTSCOPE_SRC)\n", path,
		        strerror(errno));
		return -1;
	}
	struct fixture *fx = calloc(1, sizeof(*fx));
	fx->buf = malloc(1 << 16);
	fx->len = fread(fx->buf, 1, 1 << 16, f);
	fclose(f);
	*state = fx;
	return fx->len > 0 ? 0 : -1;
}

static int unload(void **state)
{
	struct fixture *fx = *state;
	free(fx->buf);
	free(fx);
	return 0;
}

static int add_cb(const struct ctscope_entry *e, void *data)
{
	return ctscope_summary_apply(data, e, +1);
}

static int remove_cb(const struct ctscope_entry *e, void *data)
{
	return ctscope_summary_apply(data, e, -1);
}

static int parse_into(const uint8_t *buf, size_t len, struct ctscope_summary *s, uint64_t *scanned,
                      struct ctscope_error *err)
{
	*scanned = 0;
	return ctscope_source_parse_buffer(buf, len, 0, 0, add_cb, s, scanned, err);
}

static void recorded_dump_counts(void **state)
{
	struct fixture *fx = *state;
	struct ctscope_summary s;
	struct ctscope_error err = { 0 };
	uint64_t scanned;
	assert_int_equal(ctscope_summary_init(&s), 0);
	assert_int_equal(parse_into(fx->buf, fx->len, &s, &scanned, &err), MNL_CB_STOP);
	assert_int_equal(scanned, 11);
	assert_int_equal(s.entries, 11);
	assert_int_equal(s.families[CTSCOPE_FAMILY_IPV4], 8);
	assert_int_equal(s.families[CTSCOPE_FAMILY_IPV6], 3);
	assert_int_equal(s.protocols[CTSCOPE_PROTO_TCP], 7);
	assert_int_equal(s.protocols[CTSCOPE_PROTO_UDP], 2);
	assert_int_equal(s.protocols[CTSCOPE_PROTO_ICMP], 1);
	assert_int_equal(s.protocols[CTSCOPE_PROTO_ICMPV6], 1);
	assert_int_equal(s.tcp_states[CTSCOPE_TCP_ESTABLISHED], 3);
	assert_int_equal(s.tcp_states[CTSCOPE_TCP_SYN_SENT], 1);
	assert_int_equal(s.tcp_states[CTSCOPE_TCP_TIME_WAIT], 1);
	assert_int_equal(s.tcp_states[CTSCOPE_TCP_CLOSE_WAIT], 1);
	assert_int_equal(s.tcp_states[CTSCOPE_TCP_SYN_SENT2], 1); /* the kernel's LISTEN */
	assert_int_equal(s.flags[CTSCOPE_FLAG_ASSURED], 3);
	assert_int_equal(s.flags[CTSCOPE_FLAG_UNREPLIED], 5);
	assert_int_equal(s.flags[CTSCOPE_FLAG_NAT], 1); /* the udp entry with reply dst 198.51.100.1 */
	assert_int_equal(s.udp_unreplied, 1);
	assert_int_equal(s.zones[7], 1);
	assert_int_equal(s.zones[42], 1);
	assert_int_equal(s.zones[0], 9);
	/* recorded remaining timeouts: 4 | 24 29 29 29 59 | 99 599 | 3599 | - | 89999 431999 */
	assert_int_equal(s.timeouts[CTSCOPE_TIMEOUT_LE_10S], 1);
	assert_int_equal(s.timeouts[CTSCOPE_TIMEOUT_LE_1M], 5);
	assert_int_equal(s.timeouts[CTSCOPE_TIMEOUT_LE_10M], 2);
	assert_int_equal(s.timeouts[CTSCOPE_TIMEOUT_LE_1H], 1);
	assert_int_equal(s.timeouts[CTSCOPE_TIMEOUT_LE_1D], 0);
	assert_int_equal(s.timeouts[CTSCOPE_TIMEOUT_GT_1D], 2);

	struct ctscope_snapshot snap = { 0 };
	assert_int_equal(ctscope_summary_to_snapshot(&s, 3, &snap), 0);
	assert_int_equal(snap.n_top_destinations, 3);
	char text[128];
	ctscope_destination_format(&snap.top_destinations[0], text, sizeof(text));
	assert_string_equal(text, "tcp 192.0.2.1:443");
	assert_int_equal(snap.top_destinations[0].entries, 3);
	/* equal counts: IPv4 before IPv6, so the order is stable */
	ctscope_destination_format(&snap.top_destinations[1], text, sizeof(text));
	assert_string_equal(text, "tcp 192.0.2.2:80");
	assert_int_equal(snap.top_destinations[1].entries, 2);
	assert_int_equal(snap.top_destinations[1].established_long, 0);
	ctscope_destination_format(&snap.top_destinations[2], text, sizeof(text));
	assert_string_equal(text, "tcp [2a00:1450:400b:c02::bc]:5228");
	assert_int_equal(snap.top_destinations[2].entries, 2);
	assert_int_equal(snap.top_destinations[2].established_long, 2); /* 89999 s and 431999 s left */
	/* the ICMP destination has no port */
	ctscope_snapshot_clear(&snap);
	assert_int_equal(ctscope_summary_to_snapshot(&s, 20, &snap), 0);
	bool saw_icmp = false;
	for (size_t i = 0; i < snap.n_top_destinations; i++)
		if (snap.top_destinations[i].proto == CTSCOPE_PROTO_ICMP) {
			ctscope_destination_format(&snap.top_destinations[i], text, sizeof(text));
			assert_string_equal(text, "icmp 192.0.2.1");
			assert_false(snap.top_destinations[i].has_port);
			saw_icmp = true;
		}
	assert_true(saw_icmp);
	assert_int_equal(snap.n_zones, 2);
	assert_int_equal(snap.zones[0].zone, 7);
	assert_int_equal(snap.zones[1].zone, 42);
	/* sources: 10.0.0.1 opened three (tcp, udp, icmp) */
	ctscope_addr_format(&snap.top_sources[0].addr, text, sizeof(text));
	assert_string_equal(text, "10.0.0.1");
	assert_int_equal(snap.top_sources[0].entries, 3);
	/* ports: tcp/443 three times, then tcp/80 and udp/53 twice */
	assert_int_equal(snap.top_ports[0].proto, CTSCOPE_PROTO_TCP);
	assert_int_equal(snap.top_ports[0].port, 443);
	assert_int_equal(snap.top_ports[0].entries, 3);
	assert_int_equal(snap.top_ports[1].entries, 2);
	ctscope_snapshot_clear(&snap);
	ctscope_summary_free(&s);
}

/* Removing every entry must undo exactly what adding did: event mode
 * depends on it. */
static void remove_undoes_add(void **state)
{
	struct fixture *fx = *state;
	struct ctscope_summary s;
	struct ctscope_error err = { 0 };
	uint64_t scanned = 0;
	assert_int_equal(ctscope_summary_init(&s), 0);
	assert_int_equal(parse_into(fx->buf, fx->len, &s, &scanned, &err), MNL_CB_STOP);
	assert_int_equal(ctscope_source_parse_buffer(fx->buf, fx->len, 0, 0, remove_cb, &s, &scanned, &err), MNL_CB_STOP);
	assert_int_equal(s.entries, 0);
	for (int i = 0; i < CTSCOPE_PROTO_COUNT; i++)
		assert_int_equal(s.protocols[i], 0);
	for (int i = 0; i < CTSCOPE_FLAG_COUNT; i++)
		assert_int_equal(s.flags[i], 0);
	assert_int_equal(s.zones[7], 0);
	assert_int_equal(s.dst4.used, 0);
	assert_int_equal(s.dst6.used, 0);
	assert_int_equal(s.src4.used, 0);
	assert_int_equal(s.src6.used, 0);
	ctscope_summary_free(&s);
}

/* ---- malformed messages, built by editing the first recorded one ---- */

static size_t first_message(const struct fixture *fx, uint8_t *out, size_t cap)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)fx->buf;
	size_t len = nlh->nlmsg_len;
	assert_true(len <= cap);
	memcpy(out, fx->buf, len);
	return len;
}

static struct nlattr *find_attr(uint8_t *msg, uint16_t type)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
	struct nlattr *attr;
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) if (mnl_attr_get_type(attr) == type) return attr;
	return NULL;
}

static int parse_one(uint8_t *msg, size_t len, struct ctscope_error *err, uint64_t *scanned)
{
	struct ctscope_summary s;
	assert_int_equal(ctscope_summary_init(&s), 0);
	int rc = ctscope_source_parse_buffer(msg, len, 0, 0, add_cb, &s, scanned, err);
	if (rc < 0)
		assert_int_equal(s.entries, 0); /* nothing half-counted */
	ctscope_summary_free(&s);
	return rc;
}

static void rejects_missing_original_tuple(void **state)
{
	uint8_t msg[2048];
	size_t len = first_message(*state, msg, sizeof(msg));
	struct nlattr *orig = find_attr(msg, CTA_TUPLE_ORIG);
	assert_non_null(orig);
	orig->nla_type = 0x7ff0 & 0x3fff; /* an attribute type nobody knows: skipped */
	struct ctscope_error err = { 0 };
	uint64_t scanned = 0;
	assert_int_equal(parse_one(msg, len, &err, &scanned), -1);
	assert_non_null(strstr(err.message, "CTA_TUPLE_ORIG"));
}

static void rejects_attribute_longer_than_message(void **state)
{
	uint8_t msg[2048];
	size_t len = first_message(*state, msg, sizeof(msg));
	struct nlattr *status = find_attr(msg, CTA_STATUS);
	assert_non_null(status);
	status->nla_len = 2; /* shorter than its own header */
	struct ctscope_error err = { 0 };
	uint64_t scanned = 0;
	/* the attributes after the broken one are not silently dropped:
	 * the whole message is rejected */
	assert_int_equal(parse_one(msg, len, &err, &scanned), -1);
	assert_int_equal(scanned, 0);
	assert_non_null(strstr(err.message, "malformed attribute"));
}

static void rejects_wrong_attribute_size(void **state)
{
	uint8_t msg[2048];
	size_t len = first_message(*state, msg, sizeof(msg));
	struct nlattr *timeout = find_attr(msg, CTA_TIMEOUT);
	assert_non_null(timeout);
	timeout->nla_len = 6; /* a u32 that claims 2 bytes */
	struct ctscope_error err = { 0 };
	uint64_t scanned = 0;
	assert_int_equal(parse_one(msg, len, &err, &scanned), -1);
	assert_non_null(strstr(err.message, "malformed"));
}

static void rejects_nest_overrunning_parent(void **state)
{
	uint8_t msg[2048];
	size_t len = first_message(*state, msg, sizeof(msg));
	struct nlattr *orig = find_attr(msg, CTA_TUPLE_ORIG);
	assert_non_null(orig);
	struct nlattr *ip = mnl_attr_get_payload(orig);
	ip->nla_len = (uint16_t)(orig->nla_len + 40); /* claims more than its parent holds */
	struct ctscope_error err = { 0 };
	uint64_t scanned = 0;
	assert_int_equal(parse_one(msg, len, &err, &scanned), -1);
	assert_int_equal(scanned, 0);
}

static void truncated_buffer_reads_nothing_past_it(void **state)
{
	struct fixture *fx = *state;
	/* Every prefix of the recorded dump parses without reading past it
	 * (ASan checks the bytes) and counts only whole messages. */
	for (size_t cut = 0; cut < fx->len; cut += 7) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, fx->buf, cut);
		struct ctscope_error err = { 0 };
		uint64_t scanned = 0;
		struct ctscope_summary s;
		assert_int_equal(ctscope_summary_init(&s), 0);
		ctscope_source_parse_buffer(copy, cut, 0, 0, add_cb, &s, &scanned, &err);
		assert_true(scanned <= 11);
		assert_int_equal(s.entries, scanned);
		ctscope_summary_free(&s);
		free(copy);
	}
}

static void error_reply_mid_dump_fails_the_read(void **state)
{
	struct fixture *fx = *state;
	/* Splice an NLMSG_ERROR (-EINTR) after the first entry. */
	const struct nlmsghdr *first = (const struct nlmsghdr *)fx->buf;
	size_t head = NLMSG_ALIGN(first->nlmsg_len);
	uint8_t *buf = calloc(1, fx->len + 64);
	memcpy(buf, fx->buf, head);
	struct nlmsghdr *e = (struct nlmsghdr *)(buf + head);
	e->nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
	e->nlmsg_type = NLMSG_ERROR;
	struct nlmsgerr *ne = NLMSG_DATA(e);
	ne->error = -EINTR;
	memcpy(buf + head + e->nlmsg_len, fx->buf + head, fx->len - head);
	struct ctscope_error err = { 0 };
	uint64_t scanned = 0;
	struct ctscope_summary s;
	assert_int_equal(ctscope_summary_init(&s), 0);
	assert_int_equal(ctscope_source_parse_buffer(buf, fx->len + e->nlmsg_len, 0, 0, add_cb, &s, &scanned, &err), -1);
	assert_int_equal(err.code, EINTR);
	assert_non_null(strstr(err.message, "cannot read the conntrack table"));
	ctscope_summary_free(&s);
	free(buf);
}

/* A kernel that ignores the split's filter (before 5.15 for the status
 * bits) sends the whole table to both parts: each part keeps its own
 * entries, counts the rest as foreign, and the two add up to one dump. */
static void split_parts_keep_their_own(void **state)
{
	struct fixture *fx = *state;
	for (int by = CTSCOPE_SPLIT_FAMILY; by < CTSCOPE_SPLIT_COUNT; by++) {
		struct ctscope_summary s;
		struct ctscope_error err = { 0 };
		uint64_t scanned[2] = { 0 }, foreign[2] = { 0 };
		assert_int_equal(ctscope_summary_init(&s), 0);
		for (unsigned part = 0; part < 2; part++)
			assert_int_equal(ctscope_source_parse_part(fx->buf, fx->len, 0, 0, (enum ctscope_split_by)by, part,
			                                           add_cb, &s, &scanned[part], &foreign[part], &err),
			                 MNL_CB_STOP);
		assert_int_equal(scanned[0] + scanned[1], 11);
		assert_int_equal(foreign[0], scanned[1]);
		assert_int_equal(foreign[1], scanned[0]);
		assert_true(scanned[0] > 0 && scanned[1] > 0);
		assert_int_equal(s.entries, 11);
		assert_int_equal(s.families[CTSCOPE_FAMILY_IPV4], 8);
		assert_int_equal(s.flags[CTSCOPE_FLAG_ASSURED], 3);
		assert_int_equal(s.flags[CTSCOPE_FLAG_UNREPLIED], 5);
		if (by == CTSCOPE_SPLIT_FAMILY)
			assert_int_equal(scanned[0], 8);
		if (by == CTSCOPE_SPLIT_ASSURED)
			assert_int_equal(scanned[0], 3);
		if (by == CTSCOPE_SPLIT_SEEN_REPLY)
			assert_int_equal(scanned[1], 5);
		ctscope_summary_free(&s);
	}
}

/* What the kernel marks filtered is its answer for that part, kept
 * whole: an entry's status may change between the kernel's filter and its
 * message, and the filter's choice is the one the other part respects. */
static void filtered_answer_is_trusted(void **state)
{
	struct fixture *fx = *state;
	uint8_t *buf = malloc(fx->len);
	assert_non_null(buf);
	memcpy(buf, fx->buf, fx->len);
	for (size_t off = 0; off + sizeof(struct nlmsghdr) <= fx->len;) {
		struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
		h->nlmsg_flags |= NLM_F_DUMP_FILTERED;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	struct ctscope_summary s;
	struct ctscope_error err = { 0 };
	uint64_t scanned = 0, foreign = 0;
	assert_int_equal(ctscope_summary_init(&s), 0);
	assert_int_equal(ctscope_source_parse_part(buf, fx->len, 0, 0, CTSCOPE_SPLIT_ASSURED, 1, add_cb, &s, &scanned,
	                                           &foreign, &err),
	                 MNL_CB_STOP);
	assert_int_equal(scanned, 11);
	assert_int_equal(foreign, 0);
	assert_int_equal(s.flags[CTSCOPE_FLAG_ASSURED], 3);
	ctscope_summary_free(&s);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recorded_dump_counts),
		cmocka_unit_test(remove_undoes_add),
		cmocka_unit_test(rejects_missing_original_tuple),
		cmocka_unit_test(rejects_attribute_longer_than_message),
		cmocka_unit_test(rejects_wrong_attribute_size),
		cmocka_unit_test(rejects_nest_overrunning_parent),
		cmocka_unit_test(truncated_buffer_reads_nothing_past_it),
		cmocka_unit_test(error_reply_mid_dump_fails_the_read),
		cmocka_unit_test(split_parts_keep_their_own),
		cmocka_unit_test(filtered_answer_is_trusted),
	};
	return cmocka_run_group_tests(tests, load, unload);
}
