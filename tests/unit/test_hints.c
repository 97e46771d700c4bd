/* test_hints.c — each hint appears when its numbers call for it, names
 * the sysctl and the figures, and stays away otherwise. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static struct ctscope_top_destination seed_dest;

/* The seed's night: 52,000 of 76,768 entries to one IPv6 destination,
 * ESTABLISHED with days left, tcp_timeout_established 432000. */
static void seed_night(struct ctscope_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->table.entries = 76768;
	s->table.max = 262144;
	s->table.has_max = true;
	s->table.fill_percent = 100.0 * 76768 / 262144;
	s->table.buckets = 262144;
	s->table.has_buckets = true;
	s->has_breakdown = true;
	s->timeouts[CTSCOPE_TIMEOUT_GT_1D] = 52000;
	memset(&seed_dest, 0, sizeof(seed_dest));
	seed_dest.proto = CTSCOPE_PROTO_TCP;
	seed_dest.addr.family = AF_INET6;
	inet_pton(AF_INET6, "2a00:1450:400b:c02::bc", seed_dest.addr.bytes);
	seed_dest.has_port = true;
	seed_dest.port = 5228;
	seed_dest.entries = 52000;
	seed_dest.established_long = 52000;
	s->top_destinations = &seed_dest;
	s->n_top_destinations = 1;
	s->sysctl[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED] = 432000;
	s->has_sysctl[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED] = true;
}

static const char *find_hint(const struct ctscope_snapshot *s, const char *needle)
{
	for (size_t i = 0; i < s->n_hints; i++)
		if (strstr(s->hints[i], needle))
			return s->hints[i];
	return NULL;
}

/* The kind of the hint saying needle, -1 when none does. */
static int kind_of(const struct ctscope_snapshot *s, const char *needle)
{
	for (size_t i = 0; i < s->n_hints; i++)
		if (strstr(s->hints[i], needle))
			return (int)s->hint_kinds[i];
	return -1;
}

static void seed_night_names_the_sysctl(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	seed_night(&s);
	ctscope_hints_compute(&s, NULL, 0);
	const char *h = find_hint(&s, "nf_conntrack_tcp_timeout_established");
	assert_non_null(h);
	assert_non_null(strstr(h, "tcp [2a00:1450:400b:c02::bc]:5228"));
	assert_non_null(strstr(h, "68%"));
	assert_non_null(strstr(h, "52,000"));
	assert_non_null(strstr(h, "432000 (5 days)"));
	assert_int_equal(kind_of(&s, "nf_conntrack_tcp_timeout_established"), CTSCOPE_HINT_TOP_DESTINATION);
	assert_string_equal(ctscope_hint_kind_name(CTSCOPE_HINT_TOP_DESTINATION), "top_destination");
	/* said once, not again by the table-wide form */
	size_t mentions = 0;
	for (size_t i = 0; i < s.n_hints; i++)
		mentions += strstr(s.hints[i], "tcp_timeout_established") != NULL;
	assert_int_equal(mentions, 1);
	assert_null(find_hint(&s, "full")); /* 29% full: nothing to say */
}

static void short_timeout_gives_no_sysctl_hint(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	seed_night(&s);
	s.sysctl[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED] = 3600;
	ctscope_hints_compute(&s, NULL, 0);
	assert_null(find_hint(&s, "tcp_timeout_established"));
	assert_non_null(find_hint(&s, "holds 68% of the table")); /* the share is still worth saying */
	assert_int_equal(kind_of(&s, "holds 68% of the table"), CTSCOPE_HINT_TOP_DESTINATION);
}

static void no_breakdown_no_breakdown_hints(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	seed_night(&s);
	s.has_breakdown = false; /* stats mode */
	s.n_top_destinations = 0;
	ctscope_hints_compute(&s, NULL, 0);
	assert_int_equal(s.n_hints, 0);
}

static void full_table_and_rising_drops(void **state)
{
	(void)state;
	struct ctscope_snapshot s, prev;
	seed_night(&s);
	s.table.entries = 250000;
	s.table.fill_percent = 100.0 * 250000 / 262144;
	s.stats[CTSCOPE_STAT_DROP] = 1500;
	s.has_stat[CTSCOPE_STAT_DROP] = true;
	memset(&prev, 0, sizeof(prev));
	prev.stats[CTSCOPE_STAT_DROP] = 1000;
	prev.has_stat[CTSCOPE_STAT_DROP] = true;
	ctscope_hints_compute(&s, &prev, 10);
	const char *full = find_hint(&s, "95% full");
	assert_non_null(full);
	assert_non_null(strstr(full, "nf_conntrack_max"));
	const char *drop = find_hint(&s, "stats.drop rose by 500 in the last 10 s");
	assert_non_null(drop);
	assert_int_equal(kind_of(&s, "95% full"), CTSCOPE_HINT_FILL);
	assert_int_equal(kind_of(&s, "stats.drop rose"), CTSCOPE_HINT_DROP);
	/* one hint per kind: a front-end tells a new hint from one that stays by it */
	for (size_t i = 0; i < s.n_hints; i++)
		for (size_t j = i + 1; j < s.n_hints; j++)
			assert_int_not_equal(s.hint_kinds[i], s.hint_kinds[j]);
	/* not rising: nothing said */
	prev.stats[CTSCOPE_STAT_DROP] = 1500;
	ctscope_hints_compute(&s, &prev, 10);
	assert_null(find_hint(&s, "stats.drop"));
}

static void udp_unreplied_and_buckets(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	seed_night(&s);
	s.n_top_destinations = 0;
	s.udp_unreplied = 40000;
	s.sysctl[CTSCOPE_SYSCTL_UDP_TIMEOUT] = 30;
	s.has_sysctl[CTSCOPE_SYSCTL_UDP_TIMEOUT] = true;
	s.table.max = 1048576;
	s.table.buckets = 65536;
	ctscope_hints_compute(&s, NULL, 0);
	const char *udp = find_hint(&s, "40,000 UDP entries");
	assert_non_null(udp);
	assert_non_null(strstr(udp, "nf_conntrack_udp_timeout is 30 s"));
	const char *b = find_hint(&s, "nf_conntrack_buckets is 65,536 for a max of 1,048,576 (16 entries per bucket");
	assert_non_null(b);
	assert_int_equal(kind_of(&s, "40,000 UDP entries"), CTSCOPE_HINT_UDP_UNREPLIED);
	assert_int_equal(kind_of(&s, "nf_conntrack_buckets is"), CTSCOPE_HINT_BUCKETS);
	assert_int_equal(kind_of(&s, "have more than a day left"), CTSCOPE_HINT_LONG_ESTABLISHED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seed_night_names_the_sysctl),
		cmocka_unit_test(short_timeout_gives_no_sysctl_hint),
		cmocka_unit_test(no_breakdown_no_breakdown_hints),
		cmocka_unit_test(full_table_and_rising_drops),
		cmocka_unit_test(udp_unreplied_and_buckets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
