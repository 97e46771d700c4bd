/* test_collectd_values.c — the collectd plugin's mapping: a hand-filled
 * snapshot must become exactly the golden list of collectd identifiers and
 * values, and top_destination keys must be safe and reversible.
 *
 * The plugin's sources are included, as collectd's own tests do (MODELS.md):
 * tests/build.mk links extra objects after libctscope.a, where their calls
 * into the core would stay unresolved. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../collectd-plugin/destkey.c"
#include "../../collectd-plugin/mapping.c"

/* ---- a recorder in place of plugin_dispatch_values ---------------------- */

struct recorder {
	char lines[128][400];
	size_t n;
	int refuse_from; /* emit fails for value number >= this (-1: never) */
	uint64_t time_ms;
};

static int record(const struct ctscope_cd_value *v, void *ctx)
{
	struct recorder *r = ctx;
	if (r->refuse_from >= 0 && (int)r->n >= r->refuse_from)
		return -1;
	assert_true(r->n < 128);
	assert_string_equal(v->plugin, "ctscope");
	r->time_ms = v->time_ms;
	char value[64];
	if (v->is_derive)
		snprintf(value, sizeof(value), "%" PRId64, v->derive);
	else
		snprintf(value, sizeof(value), "%.10g", v->gauge);
	snprintf(r->lines[r->n++], sizeof(r->lines[0]), "%s/%s/%s%s%s = %s", v->plugin, v->plugin_instance, v->type,
	         v->type_instance[0] ? "-" : "", v->type_instance, value);
	return 0;
}

static void assert_lines(const struct recorder *r, const char *const *golden, size_t n)
{
	for (size_t i = 0; i < r->n && i < n; i++)
		if (strcmp(r->lines[i], golden[i]) != 0)
			fail_msg("value %zu: got \"%s\", want \"%s\"", i, r->lines[i], golden[i]);
	if (r->n != n)
		fail_msg("got %zu values, want %zu (first extra or missing: \"%s\")", r->n, n,
		         r->n > n ? r->lines[n] : golden[r->n]);
}

/* ---- a snapshot filled by hand ------------------------------------------ */

static struct ctscope_addr v4(const char *text)
{
	struct ctscope_addr a = { .family = AF_INET };
	assert_int_equal(inet_pton(AF_INET, text, a.bytes), 1);
	return a;
}

static struct ctscope_addr v6(const char *text)
{
	struct ctscope_addr a = { .family = AF_INET6 };
	assert_int_equal(inet_pton(AF_INET6, text, a.bytes), 1);
	return a;
}

static struct ctscope_zone_count zones[] = { { 7, 100 }, { 65535, 3 } };
static struct ctscope_top_destination tops[4];

static void fill_web(struct ctscope_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->netns_label, sizeof(s->netns_label), "web");
	s->mode = CTSCOPE_MODE_DUMP;
	s->time_ms = 1700000000123;
	s->table.entries = 16384;
	s->table.max = 65536;
	s->table.has_max = true;
	s->table.fill_percent = 25.0;
	s->table.expectations = 9; /* not in the contract for collectd: must not appear */
	s->table.has_expectations = true;
	s->stats[CTSCOPE_STAT_FOUND] = 10;
	s->stats[CTSCOPE_STAT_INSERT] = 20000;
	s->stats[CTSCOPE_STAT_INSERT_FAILED] = 7;
	s->stats[CTSCOPE_STAT_DROP] = 3;
	s->stats[CTSCOPE_STAT_EARLY_DROP] = 0;
	s->stats[CTSCOPE_STAT_INVALID] = 99; /* has_stat false below: must not appear */
	s->has_stat[CTSCOPE_STAT_FOUND] = s->has_stat[CTSCOPE_STAT_INSERT] = true;
	s->has_stat[CTSCOPE_STAT_INSERT_FAILED] = s->has_stat[CTSCOPE_STAT_DROP] = true;
	s->has_stat[CTSCOPE_STAT_EARLY_DROP] = true;

	s->has_breakdown = true;
	s->families[CTSCOPE_FAMILY_IPV4] = 16000;
	s->families[CTSCOPE_FAMILY_IPV6] = 384;
	s->protocols[CTSCOPE_PROTO_TCP] = 15000;
	s->protocols[CTSCOPE_PROTO_UDP] = 1300;
	s->protocols[CTSCOPE_PROTO_ICMP] = 84;
	s->tcp_states[CTSCOPE_TCP_SYN_SENT] = 500;
	s->tcp_states[CTSCOPE_TCP_ESTABLISHED] = 12000;
	s->tcp_states[CTSCOPE_TCP_TIME_WAIT] = 2500;
	s->flags[CTSCOPE_FLAG_ASSURED] = 13000;
	s->flags[CTSCOPE_FLAG_UNREPLIED] = 900;
	s->flags[CTSCOPE_FLAG_NAT] = 42;
	const uint64_t bands[] = { 10, 100, 1200, 2000, 3074, 10000 };
	memcpy(s->timeouts, bands, sizeof(bands));
	s->zones = zones;
	s->n_zones = 2;
	tops[0] = (struct ctscope_top_destination){ CTSCOPE_PROTO_TCP, v4("192.0.2.1"), true, 443, 9000, 0 };
	tops[1] = (struct ctscope_top_destination){ CTSCOPE_PROTO_TCP, v6("2a00:1450:400b:c02::bc"), true, 5228, 2000, 1900 };
	tops[2] = (struct ctscope_top_destination){ CTSCOPE_PROTO_ICMP, v4("198.51.100.7"), false, 0, 84, 0 };
	tops[3] = (struct ctscope_top_destination){ CTSCOPE_PROTO_UDP, v6("::ffff:192.0.2.53"), true, 53, 80, 0 };
	s->top_destinations = tops;
	s->n_top_destinations = 4;
}

static const char *const golden_web[] = {
	"ctscope/web/conntrack = 16384",
	"ctscope/web/conntrack-max = 65536",
	"ctscope/web/percent-used = 25",
	"ctscope/web-stats/derive-found = 10",
	"ctscope/web-stats/derive-insert = 20000",
	"ctscope/web-stats/derive-insert_failed = 7",
	"ctscope/web-stats/derive-drop = 3",
	"ctscope/web-stats/derive-early_drop = 0",
	"ctscope/web-family/conntrack-ipv4 = 16000",
	"ctscope/web-family/conntrack-ipv6 = 384",
	"ctscope/web-family/conntrack-other = 0",
	"ctscope/web-protocol/conntrack-tcp = 15000",
	"ctscope/web-protocol/conntrack-udp = 1300",
	"ctscope/web-protocol/conntrack-udplite = 0",
	"ctscope/web-protocol/conntrack-icmp = 84",
	"ctscope/web-protocol/conntrack-icmpv6 = 0",
	"ctscope/web-protocol/conntrack-sctp = 0",
	"ctscope/web-protocol/conntrack-gre = 0",
	"ctscope/web-protocol/conntrack-dccp = 0",
	"ctscope/web-protocol/conntrack-other = 0",
	"ctscope/web-tcp_state/conntrack-syn_sent = 500",
	"ctscope/web-tcp_state/conntrack-syn_recv = 0",
	"ctscope/web-tcp_state/conntrack-established = 12000",
	"ctscope/web-tcp_state/conntrack-fin_wait = 0",
	"ctscope/web-tcp_state/conntrack-close_wait = 0",
	"ctscope/web-tcp_state/conntrack-last_ack = 0",
	"ctscope/web-tcp_state/conntrack-time_wait = 2500",
	"ctscope/web-tcp_state/conntrack-close = 0",
	"ctscope/web-tcp_state/conntrack-syn_sent2 = 0",
	"ctscope/web-flags/conntrack-assured = 13000",
	"ctscope/web-flags/conntrack-unreplied = 900",
	"ctscope/web-flags/conntrack-nat = 42",
	"ctscope/web-timeout/conntrack-le_10s = 10",
	"ctscope/web-timeout/conntrack-le_1m = 100",
	"ctscope/web-timeout/conntrack-le_10m = 1200",
	"ctscope/web-timeout/conntrack-le_1h = 2000",
	"ctscope/web-timeout/conntrack-le_1d = 3074",
	"ctscope/web-timeout/conntrack-gt_1d = 10000",
	"ctscope/web-zone/conntrack-7 = 100",
	"ctscope/web-zone/conntrack-65535 = 3",
	"ctscope/web-top_destination/conntrack-tcp-192_0_2_1-443 = 9000",
	"ctscope/web-top_destination/conntrack-tcp-2a00_1450_400b_c02__bc-5228 = 2000",
	"ctscope/web-top_destination/conntrack-icmp-198_51_100_7 = 84",
	"ctscope/web-top_destination/conntrack-udp-__ffff_c000_235-53 = 80",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_golden_dump_snapshot(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	struct recorder r = { .refuse_from = -1 };
	fill_web(&s);
	assert_int_equal(ctscope_cd_map(&s, CTSCOPE_CD_BD_ALL, record, &r), 0);
	assert_lines(&r, golden_web, N(golden_web));
	assert_true(r.time_ms == 1700000000123); /* the read's own time, not the dispatch's */
}

/* Stats mode in collectd's own namespace, max unreadable: only what was
 * read, with plain plugin instances like the stock conntrack plugin. The
 * breakdown arrays hold junk that has_breakdown false must hide. */
static void test_stats_mode_own_namespace(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	struct recorder r = { .refuse_from = -1 };
	fill_web(&s);
	s.netns_label[0] = '\0';
	s.mode = CTSCOPE_MODE_STATS;
	s.has_breakdown = false;
	s.table.entries = 42;
	s.table.has_max = false;
	s.table.fill_percent = 0.064;
	memset(s.has_stat, 0, sizeof(s.has_stat));
	s.has_stat[CTSCOPE_STAT_CHAINTOOLONG] = true;
	s.stats[CTSCOPE_STAT_CHAINTOOLONG] = 5;
	static const char *const golden[] = {
		"ctscope//conntrack = 42",
		"ctscope/stats/derive-chaintoolong = 5",
	};
	assert_int_equal(ctscope_cd_map(&s, CTSCOPE_CD_BD_ALL, record, &r), 0);
	assert_lines(&r, golden, N(golden));
}

static void test_breakdown_selection(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	struct recorder r = { .refuse_from = -1 };
	fill_web(&s);
	s.netns_label[0] = '\0';
	memset(s.has_stat, 0, sizeof(s.has_stat));
	assert_int_equal(ctscope_cd_map(&s, CTSCOPE_CD_BD_ZONE | CTSCOPE_CD_BD_FLAGS, record, &r), 0);
	static const char *const golden[] = {
		"ctscope//conntrack = 16384",
		"ctscope//conntrack-max = 65536",
		"ctscope//percent-used = 25",
		"ctscope/flags/conntrack-assured = 13000",
		"ctscope/flags/conntrack-unreplied = 900",
		"ctscope/flags/conntrack-nat = 42",
		"ctscope/zone/conntrack-7 = 100",
		"ctscope/zone/conntrack-65535 = 3",
	};
	assert_lines(&r, golden, N(golden));

	struct recorder none = { .refuse_from = -1 };
	assert_int_equal(ctscope_cd_map(&s, 0, record, &none), 0);
	assert_int_equal(none.n, 3);

	/* The word that selects a breakdown in the config is its plugin_instance. */
	for (unsigned i = 0; i < CTSCOPE_CD_BD_COUNT; i++) {
		struct recorder one = { .refuse_from = -1 };
		char want[64];
		snprintf(want, sizeof(want), "ctscope/%s/conntrack-", ctscope_cd_breakdown_name(i));
		ctscope_cd_map(&s, 1u << i, record, &one);
		assert_true(one.n > 3);
		for (size_t k = 3; k < one.n; k++)
			if (strncmp(one.lines[k], want, strlen(want)) != 0)
				fail_msg("Breakdowns \"%s\" selected \"%s\"", ctscope_cd_breakdown_name(i), one.lines[k]);
	}
}

/* A refused value is counted and the rest still go out; a destination
 * without a spelling is counted, never sent under a made-up name. */
static void test_refusals_are_counted(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	fill_web(&s);
	struct recorder r = { .refuse_from = 40 };
	assert_int_equal(ctscope_cd_map(&s, CTSCOPE_CD_BD_ALL, record, &r), N(golden_web) - 40);

	struct ctscope_top_destination odd = tops[0];
	odd.addr.family = 0;
	s.top_destinations = &odd;
	s.n_top_destinations = 1;
	struct recorder r2 = { .refuse_from = -1 };
	assert_int_equal(ctscope_cd_map(&s, CTSCOPE_CD_BD_TOP_DESTINATION, record, &r2), 1);
	for (size_t i = 0; i < r2.n; i++)
		assert_null(strstr(r2.lines[i], "top_destination"));
}

/* ---- top_destination keys ------------------------------------------------ */

static void assert_safe(const char *key)
{
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			fail_msg("key \"%s\" has '%c', unsafe in a file name or Graphite path", key, *p);
}

static void assert_round_trip(const struct ctscope_top_destination *d, const char *want)
{
	char key[CTSCOPE_CD_KEY_LEN];
	struct ctscope_top_destination back;
	assert_int_equal(ctscope_cd_destination_key(d, key, sizeof(key)), 0);
	if (want)
		assert_string_equal(key, want);
	assert_safe(key);
	if (ctscope_cd_destination_parse(key, &back) != 0)
		fail_msg("key \"%s\" does not parse back", key);
	assert_int_equal(back.proto, d->proto);
	assert_int_equal(back.addr.family, d->addr.family);
	assert_memory_equal(back.addr.bytes, d->addr.bytes, d->addr.family == AF_INET ? 4 : 16);
	assert_int_equal(back.has_port, d->has_port);
	if (d->has_port)
		assert_int_equal(back.port, d->port);
}

static void test_key_spelling(void **state)
{
	(void)state;
	static const struct {
		enum ctscope_proto proto;
		const char *addr;
		int port; /* -1: none */
		const char *key;
	} cases[] = {
		{ CTSCOPE_PROTO_TCP, "192.0.2.1", 443, "tcp-192_0_2_1-443" },
		{ CTSCOPE_PROTO_TCP, "2a00:1450:400b:c02::bc", 5228, "tcp-2a00_1450_400b_c02__bc-5228" },
		{ CTSCOPE_PROTO_UDP, "::", 0, "udp-__-0" },
		{ CTSCOPE_PROTO_UDP, "::1", 65535, "udp-__1-65535" },
		{ CTSCOPE_PROTO_ICMPV6, "fe80::", -1, "icmpv6-fe80__" },
		{ CTSCOPE_PROTO_GRE, "0.0.0.0", -1, "gre-0_0_0_0" },
		/* mapped and compatible IPv4 stay hex, or "1_2_3_4" would be ambiguous */
		{ CTSCOPE_PROTO_SCTP, "::ffff:1.2.3.4", 9, "sctp-__ffff_102_304-9" },
		{ CTSCOPE_PROTO_DCCP, "::1.2.3.4", 9, "dccp-__102_304-9" },
		/* a lone zero group is not compressed; of two equal runs, the first */
		{ CTSCOPE_PROTO_TCP, "2001:db8:0:1:1:1:1:1", 1, "tcp-2001_db8_0_1_1_1_1_1-1" },
		{ CTSCOPE_PROTO_TCP, "2001:0:0:1:0:0:1:1", 1, "tcp-2001__1_0_0_1_1-1" },
		{ CTSCOPE_PROTO_TCP, "1:0:0:1:0:0:0:1", 1, "tcp-1_0_0_1__1-1" },
		{ CTSCOPE_PROTO_UDPLITE, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		  "udplite-ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff-65535" },
		{ CTSCOPE_PROTO_OTHER, "203.0.113.255", -1, "other-203_0_113_255" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct ctscope_top_destination d = { .proto = cases[i].proto, .has_port = cases[i].port >= 0 };
		d.addr = strchr(cases[i].addr, ':') ? v6(cases[i].addr) : v4(cases[i].addr);
		d.port = (uint16_t)(cases[i].port >= 0 ? cases[i].port : 0);
		assert_round_trip(&d, cases[i].key);
	}
	char longest[CTSCOPE_CD_KEY_LEN];
	struct ctscope_top_destination d = { .proto = CTSCOPE_PROTO_UDPLITE, .has_port = true, .port = 65535 };
	d.addr = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ctscope_cd_destination_key(&d, longest, sizeof(longest));
	assert_true(strlen(longest) < CTSCOPE_CD_KEY_LEN);
}

static void test_key_parse_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "tcp", "tcp-", "bogus-1_2_3_4-1", "tcp-1_2_3-1", "tcp-1_2_3_4_5-1", "tcp-1_2_3_256-1",
		"tcp-192_0_2_01-443", "tcp-1_2_3_4-65536", "tcp-1_2_3_4-", "tcp-1_2_3_4-44x", "tcp-1_2_3_4-+4",
		"tcp-1_2_3_4-1-2", "TCP-1_2_3_4-1", "tcp-2a00_1450_400b_0c02__bc-5228", "tcp-2A00__1-1",
		"tcp-0_0_0_0_0_0_0_1-1", /* uncompressed "::1" names another series */
		"tcp-1.2.3.4-1", "tcp-_1_2_3-1", "tcp-1_2_3_4_-1",
	};
	for (size_t i = 0; i < N(bad); i++) {
		struct ctscope_top_destination d;
		if (ctscope_cd_destination_parse(bad[i], &d) == 0)
			fail_msg("\"%s\" parsed, but no destination is spelled that way", bad[i]);
	}
}

/* Addresses with many zero runs, against glibc's inet_ntop where glibc
 * writes hex (it writes dotted quads for ::/96 and ::ffff:0:0/96). */
static void test_ipv6_against_inet_ntop(void **state)
{
	(void)state;
	uint32_t x = 2463534242u; /* xorshift32, fixed: reproducible */
	unsigned compared = 0;
	for (int n = 0; n < 20000; n++) {
		struct ctscope_top_destination d = { .proto = CTSCOPE_PROTO_TCP, .has_port = true };
		d.addr.family = AF_INET6;
		for (int g = 0; g < 8; g++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			unsigned v = (x & 3) < 2 ? 0 : (x & 3) == 2 ? 1 : (x >> 8) & 0xffff;
			d.addr.bytes[2 * g] = (uint8_t)(v >> 8);
			d.addr.bytes[2 * g + 1] = (uint8_t)v;
		}
		d.port = (uint16_t)x;
		assert_round_trip(&d, NULL);

		char ntop[INET6_ADDRSTRLEN], mine[CTSCOPE_ADDR_STRLEN];
		inet_ntop(AF_INET6, d.addr.bytes, ntop, sizeof(ntop));
		if (strchr(ntop, '.'))
			continue;
		format_ipv6(d.addr.bytes, mine, sizeof(mine));
		assert_string_equal(mine, ntop);
		compared++;
	}
	assert_true(compared > 15000);
}

/* ---- hints as notifications ---- */

static struct {
	struct ctscope_cd_notification n[8];
	char full[8][CTSCOPE_HINT_LEN];
	int count;
	bool refuse;
} notes;

static int record_note(const struct ctscope_cd_notification *n, void *ctx)
{
	(void)ctx;
	assert_true(notes.count < 8);
	notes.n[notes.count] = *n;
	snprintf(notes.full[notes.count], sizeof(notes.full[0]), "%s", n->full_sentence);
	notes.n[notes.count].full_sentence = notes.full[notes.count];
	notes.count++;
	return notes.refuse ? -1 : 0;
}

static void set_hints(struct ctscope_snapshot *s, size_t n, const enum ctscope_hint_kind *kinds,
                      const char *const *text)
{
	s->n_hints = n;
	for (size_t i = 0; i < n; i++) {
		s->hint_kinds[i] = kinds[i];
		snprintf(s->hints[i], sizeof(s->hints[i]), "%s", text[i]);
	}
}

static void test_hints_notify_on_change_only(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	memset(&s, 0, sizeof(s));
	snprintf(s.netns_label, sizeof(s.netns_label), "web");
	s.time_ms = 1700000000000;
	struct ctscope_cd_hint_state st;
	memset(&st, 0, sizeof(st));
	memset(&notes, 0, sizeof(notes));

	/* appears: a warning each, in the snapshot's order */
	const enum ctscope_hint_kind k1[] = { CTSCOPE_HINT_FILL, CTSCOPE_HINT_DROP };
	const char *t1[] = { "table 95% full (250,000 of 262,144 entries): raise net.netfilter.nf_conntrack_max.",
		             "stats.drop rose by 500 in the last 10 s: packets were dropped." };
	set_hints(&s, 2, k1, t1);
	assert_int_equal(ctscope_cd_notify_hints(&s, &st, record_note, NULL), 0);
	assert_int_equal(notes.count, 2);
	assert_false(notes.n[0].okay);
	assert_string_equal(notes.n[0].plugin, "ctscope");
	assert_string_equal(notes.n[0].plugin_instance, "web");
	assert_string_equal(notes.n[0].type, "conntrack");
	assert_string_equal(notes.n[0].type_instance, "fill");
	assert_string_equal(notes.n[0].message, t1[0]);
	assert_true(notes.n[0].time_ms == 1700000000000);
	assert_string_equal(notes.n[1].type_instance, "drop");

	/* stays, with other figures: nothing; the fill hint's new figures are
	 * what its okay notification will quote */
	const char *t2[] = { "table 97% full (255,000 of 262,144 entries): raise net.netfilter.nf_conntrack_max.",
		             "stats.drop rose by 20 in the last 10 s: packets were dropped." };
	set_hints(&s, 2, k1, t2);
	assert_int_equal(ctscope_cd_notify_hints(&s, &st, record_note, NULL), 0);
	assert_int_equal(notes.count, 2);

	/* fill goes, a long top-destination hint comes */
	char longer[CTSCOPE_HINT_LEN];
	snprintf(longer, sizeof(longer), "tcp [2a00:1450:400b:c02::bc]:5228 holds 68%% of the table (52,000 entries), "
	         "52,000 of them ESTABLISHED with more than a day left, because "
	         "net.netfilter.nf_conntrack_tcp_timeout_established is 432000 (5 days): lowering it to 600-3600 lets "
	         "such entries age out (it applies to new entries; existing ones keep their timeout).");
	const enum ctscope_hint_kind k3[] = { CTSCOPE_HINT_TOP_DESTINATION, CTSCOPE_HINT_DROP };
	const char *t3[] = { longer, t2[1] };
	set_hints(&s, 2, k3, t3);
	assert_int_equal(ctscope_cd_notify_hints(&s, &st, record_note, NULL), 0);
	assert_int_equal(notes.count, 4);
	assert_false(notes.n[2].okay);
	assert_string_equal(notes.n[2].type_instance, "top_destination");
	assert_true(strlen(notes.n[2].message) < CTSCOPE_CD_MESSAGE_LEN);
	size_t len = strlen(notes.n[2].message);
	assert_string_equal(notes.n[2].message + len - 3, "...");
	assert_memory_equal(notes.n[2].message, longer, len - 3); /* cut, not changed */
	assert_true(notes.n[2].message[len - 4] != ' ');           /* after a whole word */
	assert_string_equal(notes.n[2].full_sentence, longer);
	assert_true(notes.n[3].okay);
	assert_string_equal(notes.n[3].type_instance, "fill");
	assert_string_equal(notes.n[3].message, "No longer: table 97% full (255,000 of 262,144 entries): raise "
	                                        "net.netfilter.nf_conntrack_max.");

	/* all go; a refused notification is counted */
	notes.refuse = true;
	set_hints(&s, 0, NULL, NULL);
	assert_int_equal(ctscope_cd_notify_hints(&s, &st, record_note, NULL), 2);
	assert_int_equal(notes.count, 6);
	assert_true(notes.n[4].okay && notes.n[5].okay);
	assert_string_equal(notes.n[4].type_instance, "top_destination");
	assert_string_equal(notes.n[5].type_instance, "drop");

	/* the process's own namespace: plain plugin_instance */
	notes.refuse = false;
	s.netns_label[0] = '\0';
	set_hints(&s, 1, k1, t1);
	ctscope_cd_notify_hints(&s, &st, record_note, NULL);
	assert_string_equal(notes.n[6].plugin_instance, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_dump_snapshot),
		cmocka_unit_test(test_stats_mode_own_namespace),
		cmocka_unit_test(test_breakdown_selection),
		cmocka_unit_test(test_refusals_are_counted),
		cmocka_unit_test(test_key_spelling),
		cmocka_unit_test(test_key_parse_rejects),
		cmocka_unit_test(test_ipv6_against_inet_ntop),
		cmocka_unit_test(test_hints_notify_on_change_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
