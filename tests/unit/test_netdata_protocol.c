/* test_netdata_protocol.c — the exact plugins.d text ctscope.plugin sends
 * netdata for hand-filled snapshots: first tick, a later tick with
 * destinations and zones coming and going, stats mode in a namespace.
 * Golden text is written out in full: any change to what netdata reads
 * has to show up here as a diff someone reviews.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol.h"

/* ---- helpers ----------------------------------------------------------- */

static char *render(struct nd_state *st, const struct ctscope_snapshot *s, uint64_t now_usec)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(nd_write_snapshot(f, st, s, now_usec), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* On a mismatch, name the first line that differs: a 150-line blob
 * compared as one string is unreadable in a failure message. */
static void assert_text(const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return;
	int line = 1;
	const char *g = got, *w = want;
	while (*g && *w) {
		const char *ge = strchr(g, '\n'), *we = strchr(w, '\n');
		size_t gl = ge ? (size_t)(ge - g) : strlen(g), wl = we ? (size_t)(we - w) : strlen(w);
		if (gl != wl || memcmp(g, w, gl) != 0) {
			print_error("line %d differs:\n  got:  %.*s\n  want: %.*s\n", line, (int)gl, g, (int)wl, w);
			fail();
		}
		g += gl + (ge ? 1 : 0);
		w += wl + (we ? 1 : 0);
		line++;
	}
	print_error("output %s at line %d:\n  got:  %.60s\n  want: %.60s\n", *g ? "longer" : "shorter", line, g, w);
	fail();
}

static void assert_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return;
	print_error("missing line: %s\nin:\n%s", line, text);
	fail();
}

static void assert_no_line_starting(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, prefix, n) == 0) {
			print_error("unexpected line starting '%s' in:\n%s", prefix, text);
			fail();
		}
	}
}

static struct ctscope_top_destination dest(enum ctscope_proto proto, const char *addr, int port, uint64_t entries)
{
	struct ctscope_top_destination d;
	memset(&d, 0, sizeof(d));
	d.proto = proto;
	d.addr.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(d.addr.family, addr, d.addr.bytes), 1);
	d.has_port = port >= 0;
	d.port = port >= 0 ? (uint16_t)port : 0;
	d.entries = entries;
	return d;
}

/* The seed's table: 52,000 of 76,768 entries to one IPv6 destination. */
static void seed_snapshot(struct ctscope_snapshot *s, struct ctscope_top_destination *top,
                          struct ctscope_zone_count *zones)
{
	memset(s, 0, sizeof(*s));
	s->mode = CTSCOPE_MODE_DUMP;
	s->table.entries = 76768;
	s->table.max = 262144;
	s->table.has_max = true;
	s->table.fill_percent = 76768.0 * 100.0 / 262144.0; /* 29.28466796875 */
	s->n_hints = 1; /* the seed's night: one destination holds 68% */
	s->hint_kinds[0] = CTSCOPE_HINT_TOP_DESTINATION;
	snprintf(s->hints[0], sizeof(s->hints[0]), "tcp [2a00:1450:400b:c02::bc]:5228 holds 68%% of the table");

	const struct {
		enum ctscope_stat stat;
		uint64_t v;
	} stats[] = {
		{CTSCOPE_STAT_FOUND, 100},       {CTSCOPE_STAT_INVALID, 7},    {CTSCOPE_STAT_INSERT, 0},
		{CTSCOPE_STAT_INSERT_FAILED, 3}, {CTSCOPE_STAT_DROP, 1},       {CTSCOPE_STAT_EARLY_DROP, 0},
		{CTSCOPE_STAT_ERROR, 0},         {CTSCOPE_STAT_SEARCH_RESTART, 12},
	}; /* clash_resolve and chaintoolong: this "kernel" has none */
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		s->stats[stats[i].stat] = stats[i].v;
		s->has_stat[stats[i].stat] = true;
	}

	s->has_breakdown = true;
	s->families[CTSCOPE_FAMILY_IPV4] = 24000;
	s->families[CTSCOPE_FAMILY_IPV6] = 52768;
	s->protocols[CTSCOPE_PROTO_TCP] = 75000;
	s->protocols[CTSCOPE_PROTO_UDP] = 1700;
	s->protocols[CTSCOPE_PROTO_ICMP] = 60;
	s->protocols[CTSCOPE_PROTO_ICMPV6] = 8;
	s->tcp_states[CTSCOPE_TCP_SYN_SENT] = 1000;
	s->tcp_states[CTSCOPE_TCP_ESTABLISHED] = 70000;
	s->tcp_states[CTSCOPE_TCP_TIME_WAIT] = 4000;
	s->flags[CTSCOPE_FLAG_ASSURED] = 72000;
	s->flags[CTSCOPE_FLAG_UNREPLIED] = 2500;
	s->flags[CTSCOPE_FLAG_NAT] = 300;
	s->timeouts[CTSCOPE_TIMEOUT_LE_10S] = 100;
	s->timeouts[CTSCOPE_TIMEOUT_LE_1M] = 900;
	s->timeouts[CTSCOPE_TIMEOUT_LE_10M] = 2000;
	s->timeouts[CTSCOPE_TIMEOUT_LE_1H] = 1768;
	s->timeouts[CTSCOPE_TIMEOUT_LE_1D] = 20000;
	s->timeouts[CTSCOPE_TIMEOUT_GT_1D] = 52000;

	zones[0] = (struct ctscope_zone_count){.zone = 5, .entries = 300};
	zones[1] = (struct ctscope_zone_count){.zone = 12, .entries = 40};
	s->zones = zones;
	s->n_zones = 2;

	top[0] = dest(CTSCOPE_PROTO_TCP, "2a00:1450:400b:c02::bc", 5228, 52000);
	top[1] = dest(CTSCOPE_PROTO_UDP, "192.0.2.53", 53, 1200);
	top[2] = dest(CTSCOPE_PROTO_ICMP, "198.51.100.7", -1, 60);
	s->top_destinations = top;
	s->n_top_destinations = 3;

	s->collector.duration_ms = 812.5;
	s->collector.entries_scanned = 76768;
}

#define T0 5000000000u /* monotonic usec of the first read */

/* ---- the first tick ---------------------------------------------------- */

static const char first_tick[] =
	"CHART ctscope.entries '' 'Conntrack table entries' 'entries' 'conntrack' 'ctscope.entries' line 8800 1 '' "
	"'ctscope.plugin' 'conntrack'\n"
	"DIMENSION entries 'entries' absolute 1 1\n"
	"DIMENSION max 'max' absolute 1 1\n"
	"BEGIN ctscope.entries\n"
	"SET entries = 76768\n"
	"SET max = 262144\n"
	"END\n"
	"CHART ctscope.fill '' 'Conntrack table fill, entries / nf_conntrack_max' '%' 'conntrack' 'ctscope.fill' area "
	"8801 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION used 'used' absolute 1 1000\n"
	"BEGIN ctscope.fill\n"
	"SET used = 29285\n"
	"END\n"
	"CHART ctscope.top_destinations '' 'Conntrack entries of the top destinations' 'entries' 'conntrack' "
	"'ctscope.top_destinations' line 8802 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION tcp_2a00_1450_400b_c02__bc_5228 'tcp [2a00:1450:400b:c02::bc]:5228' absolute 1 1\n"
	"DIMENSION udp_192_0_2_53_53 'udp 192.0.2.53:53' absolute 1 1\n"
	"DIMENSION icmp_198_51_100_7 'icmp 198.51.100.7' absolute 1 1\n"
	"BEGIN ctscope.top_destinations\n"
	"SET tcp_2a00_1450_400b_c02__bc_5228 = 52000\n"
	"SET udp_192_0_2_53_53 = 1200\n"
	"SET icmp_198_51_100_7 = 60\n"
	"END\n"
	"CHART ctscope.top_share '' 'Share of the table held by the largest destination' '%' 'conntrack' "
	"'ctscope.top_share' area 8803 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION top1 'largest destination' absolute 1 1000\n"
	"BEGIN ctscope.top_share\n"
	"SET top1 = 67737\n" /* 52000 / 76768 = 67.737 % */
	"END\n"
	"CHART ctscope.stats '' 'Conntrack kernel counters, summed over CPUs' 'events/s' 'conntrack' 'ctscope.stats' "
	"line 8804 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION found 'found' incremental 1 1\n"
	"DIMENSION invalid 'invalid' incremental 1 1\n"
	"DIMENSION insert 'insert' incremental 1 1\n"
	"DIMENSION insert_failed 'insert_failed' incremental 1 1\n"
	"DIMENSION drop 'drop' incremental 1 1\n"
	"DIMENSION early_drop 'early_drop' incremental 1 1\n"
	"DIMENSION error 'error' incremental 1 1\n"
	"DIMENSION search_restart 'search_restart' incremental 1 1\n"
	"BEGIN ctscope.stats\n"
	"SET found = 100\n"
	"SET invalid = 7\n"
	"SET insert = 0\n"
	"SET insert_failed = 3\n"
	"SET drop = 1\n"
	"SET early_drop = 0\n"
	"SET error = 0\n"
	"SET search_restart = 12\n"
	"END\n"
	"CHART ctscope.tcp_states '' 'Conntrack TCP entries by state' 'entries' 'conntrack' 'ctscope.tcp_states' "
	"stacked 8805 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION syn_sent 'syn_sent' absolute 1 1\n"
	"DIMENSION syn_recv 'syn_recv' absolute 1 1\n"
	"DIMENSION established 'established' absolute 1 1\n"
	"DIMENSION fin_wait 'fin_wait' absolute 1 1\n"
	"DIMENSION close_wait 'close_wait' absolute 1 1\n"
	"DIMENSION last_ack 'last_ack' absolute 1 1\n"
	"DIMENSION time_wait 'time_wait' absolute 1 1\n"
	"DIMENSION close 'close' absolute 1 1\n"
	"DIMENSION syn_sent2 'syn_sent2' absolute 1 1\n"
	"BEGIN ctscope.tcp_states\n"
	"SET syn_sent = 1000\n"
	"SET syn_recv = 0\n"
	"SET established = 70000\n"
	"SET fin_wait = 0\n"
	"SET close_wait = 0\n"
	"SET last_ack = 0\n"
	"SET time_wait = 4000\n"
	"SET close = 0\n"
	"SET syn_sent2 = 0\n"
	"END\n"
	"CHART ctscope.timeouts '' 'Conntrack entries by remaining timeout' 'entries' 'conntrack' 'ctscope.timeouts' "
	"stacked 8806 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION le_10s 'le_10s' absolute 1 1\n"
	"DIMENSION le_1m 'le_1m' absolute 1 1\n"
	"DIMENSION le_10m 'le_10m' absolute 1 1\n"
	"DIMENSION le_1h 'le_1h' absolute 1 1\n"
	"DIMENSION le_1d 'le_1d' absolute 1 1\n"
	"DIMENSION gt_1d 'gt_1d' absolute 1 1\n"
	"BEGIN ctscope.timeouts\n"
	"SET le_10s = 100\n"
	"SET le_1m = 900\n"
	"SET le_10m = 2000\n"
	"SET le_1h = 1768\n"
	"SET le_1d = 20000\n"
	"SET gt_1d = 52000\n"
	"END\n"
	"CHART ctscope.protocols '' 'Conntrack entries by protocol' 'entries' 'conntrack' 'ctscope.protocols' stacked "
	"8807 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION tcp 'tcp' absolute 1 1\n"
	"DIMENSION udp 'udp' absolute 1 1\n"
	"DIMENSION udplite 'udplite' absolute 1 1\n"
	"DIMENSION icmp 'icmp' absolute 1 1\n"
	"DIMENSION icmpv6 'icmpv6' absolute 1 1\n"
	"DIMENSION sctp 'sctp' absolute 1 1\n"
	"DIMENSION gre 'gre' absolute 1 1\n"
	"DIMENSION dccp 'dccp' absolute 1 1\n"
	"DIMENSION other 'other' absolute 1 1\n"
	"BEGIN ctscope.protocols\n"
	"SET tcp = 75000\n"
	"SET udp = 1700\n"
	"SET udplite = 0\n"
	"SET icmp = 60\n"
	"SET icmpv6 = 8\n"
	"SET sctp = 0\n"
	"SET gre = 0\n"
	"SET dccp = 0\n"
	"SET other = 0\n"
	"END\n"
	"CHART ctscope.families '' 'Conntrack entries by address family' 'entries' 'conntrack' 'ctscope.families' "
	"stacked 8808 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION ipv4 'ipv4' absolute 1 1\n"
	"DIMENSION ipv6 'ipv6' absolute 1 1\n"
	"DIMENSION other 'other' absolute 1 1\n"
	"BEGIN ctscope.families\n"
	"SET ipv4 = 24000\n"
	"SET ipv6 = 52768\n"
	"SET other = 0\n"
	"END\n"
	"CHART ctscope.flags '' 'Conntrack entries by status flag' 'entries' 'conntrack' 'ctscope.flags' line 8809 1 "
	"'' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION assured 'assured' absolute 1 1\n"
	"DIMENSION unreplied 'unreplied' absolute 1 1\n"
	"DIMENSION nat 'nat' absolute 1 1\n"
	"BEGIN ctscope.flags\n"
	"SET assured = 72000\n"
	"SET unreplied = 2500\n"
	"SET nat = 300\n"
	"END\n"
	"CHART ctscope.zones '' 'Conntrack entries by zone, non-zero zones only' 'entries' 'conntrack' 'ctscope.zones' "
	"line 8810 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION 5 'zone 5' absolute 1 1\n"
	"DIMENSION 12 'zone 12' absolute 1 1\n"
	"BEGIN ctscope.zones\n"
	"SET 5 = 300\n"
	"SET 12 = 40\n"
	"END\n"
	"CHART ctscope.collector '' 'ctscope read duration' 'ms' 'conntrack' 'ctscope.collector' line 8811 1 '' "
	"'ctscope.plugin' 'conntrack'\n"
	"DIMENSION duration 'duration' absolute 1 1000\n"
	"BEGIN ctscope.collector\n"
	"SET duration = 812500\n"
	"END\n"
	"CHART ctscope.collector_scanned '' 'ctscope entries scanned per read' 'entries' 'conntrack' "
	"'ctscope.collector_scanned' line 8812 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION scanned 'scanned' absolute 1 1\n"
	"BEGIN ctscope.collector_scanned\n"
	"SET scanned = 76768\n"
	"END\n"
	"CHART ctscope.hints '' 'ctscope hints in force (1: it applies; run ctscope for the sentence)' 'hints' "
	"'conntrack' 'ctscope.hints' line 8814 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION fill 'fill' absolute 1 1\n"
	"DIMENSION top_destination 'top_destination' absolute 1 1\n"
	"DIMENSION long_established 'long_established' absolute 1 1\n"
	"DIMENSION udp_unreplied 'udp_unreplied' absolute 1 1\n"
	"DIMENSION insert_failed 'insert_failed' absolute 1 1\n"
	"DIMENSION drop 'drop' absolute 1 1\n"
	"DIMENSION early_drop 'early_drop' absolute 1 1\n"
	"DIMENSION buckets 'buckets' absolute 1 1\n"
	"BEGIN ctscope.hints\n"
	"SET fill = 0\n"
	"SET top_destination = 1\n"
	"SET long_established = 0\n"
	"SET udp_unreplied = 0\n"
	"SET insert_failed = 0\n"
	"SET drop = 0\n"
	"SET early_drop = 0\n"
	"SET buckets = 0\n"
	"END\n";

static void test_first_tick(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	struct ctscope_top_destination top[3];
	struct ctscope_zone_count zones[2];
	seed_snapshot(&s, top, zones);
	struct nd_state st;
	nd_state_init(&st, "", 1);
	char *out = render(&st, &s, T0);
	assert_text(out, first_tick);
	free(out);
	nd_state_free(&st);
}

/* ---- a later tick: churn ----------------------------------------------- */

/* One second later: the icmp destination left the top, a new tcp one came
 * in, zone 5 emptied, and the kernel now reports clash_resolve. Only what
 * changed is declared; every BEGIN carries the microseconds since the
 * chart's previous one. */
static const char second_tick[] =
	"BEGIN ctscope.entries 1000000\n"
	"SET entries = 76900\n"
	"SET max = 262144\n"
	"END\n"
	"BEGIN ctscope.fill 1000000\n"
	"SET used = 29335\n" /* 76900 / 262144 = 29.3350 % */
	"END\n"
	"CHART ctscope.top_destinations '' 'Conntrack entries of the top destinations' 'entries' 'conntrack' "
	"'ctscope.top_destinations' line 8802 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION icmp_198_51_100_7 'icmp 198.51.100.7' absolute 1 1 obsolete\n"
	"DIMENSION tcp_203_0_113_9_443 'tcp 203.0.113.9:443' absolute 1 1\n"
	"BEGIN ctscope.top_destinations 1000000\n"
	"SET tcp_2a00_1450_400b_c02__bc_5228 = 52100\n"
	"SET udp_192_0_2_53_53 = 1150\n"
	"SET tcp_203_0_113_9_443 = 900\n"
	"END\n"
	"BEGIN ctscope.top_share 1000000\n"
	"SET top1 = 67750\n" /* 52100 / 76900 */
	"END\n"
	"CHART ctscope.stats '' 'Conntrack kernel counters, summed over CPUs' 'events/s' 'conntrack' 'ctscope.stats' "
	"line 8804 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION clash_resolve 'clash_resolve' incremental 1 1\n"
	"BEGIN ctscope.stats 1000000\n"
	"SET found = 130\n"
	"SET invalid = 7\n"
	"SET insert = 0\n"
	"SET insert_failed = 3\n"
	"SET drop = 1\n"
	"SET early_drop = 0\n"
	"SET error = 0\n"
	"SET search_restart = 12\n"
	"SET clash_resolve = 2\n"
	"END\n"
	"BEGIN ctscope.tcp_states 1000000\n"
	"SET syn_sent = 1000\n"
	"SET syn_recv = 0\n"
	"SET established = 70132\n"
	"SET fin_wait = 0\n"
	"SET close_wait = 0\n"
	"SET last_ack = 0\n"
	"SET time_wait = 4000\n"
	"SET close = 0\n"
	"SET syn_sent2 = 0\n"
	"END\n"
	"BEGIN ctscope.timeouts 1000000\n"
	"SET le_10s = 100\n"
	"SET le_1m = 900\n"
	"SET le_10m = 2000\n"
	"SET le_1h = 1768\n"
	"SET le_1d = 20000\n"
	"SET gt_1d = 52132\n"
	"END\n"
	"BEGIN ctscope.protocols 1000000\n"
	"SET tcp = 75132\n"
	"SET udp = 1700\n"
	"SET udplite = 0\n"
	"SET icmp = 60\n"
	"SET icmpv6 = 8\n"
	"SET sctp = 0\n"
	"SET gre = 0\n"
	"SET dccp = 0\n"
	"SET other = 0\n"
	"END\n"
	"BEGIN ctscope.families 1000000\n"
	"SET ipv4 = 24000\n"
	"SET ipv6 = 52900\n"
	"SET other = 0\n"
	"END\n"
	"BEGIN ctscope.flags 1000000\n"
	"SET assured = 72000\n"
	"SET unreplied = 2500\n"
	"SET nat = 300\n"
	"END\n"
	"CHART ctscope.zones '' 'Conntrack entries by zone, non-zero zones only' 'entries' 'conntrack' 'ctscope.zones' "
	"line 8810 1 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION 5 'zone 5' absolute 1 1 obsolete\n"
	"BEGIN ctscope.zones 1000000\n"
	"SET 12 = 41\n"
	"END\n"
	"BEGIN ctscope.collector 1000000\n"
	"SET duration = 790250\n"
	"END\n"
	"BEGIN ctscope.collector_scanned 1000000\n"
	"SET scanned = 76900\n"
	"END\n"
	"BEGIN ctscope.hints 1000000\n"
	"SET fill = 0\n"
	"SET top_destination = 1\n"
	"SET long_established = 0\n"
	"SET udp_unreplied = 0\n"
	"SET insert_failed = 0\n"
	"SET drop = 0\n"
	"SET early_drop = 0\n"
	"SET buckets = 0\n"
	"END\n";

static void later_snapshot(struct ctscope_snapshot *s, struct ctscope_top_destination *top,
                           struct ctscope_zone_count *zones)
{
	seed_snapshot(s, top, zones);
	s->table.entries = 76900;
	s->table.fill_percent = 76900.0 * 100.0 / 262144.0;
	s->stats[CTSCOPE_STAT_FOUND] = 130;
	s->stats[CTSCOPE_STAT_CLASH_RESOLVE] = 2;
	s->has_stat[CTSCOPE_STAT_CLASH_RESOLVE] = true;
	s->families[CTSCOPE_FAMILY_IPV6] = 52900;
	s->protocols[CTSCOPE_PROTO_TCP] = 75132;
	s->tcp_states[CTSCOPE_TCP_ESTABLISHED] = 70132;
	s->timeouts[CTSCOPE_TIMEOUT_GT_1D] = 52132;
	zones[0] = (struct ctscope_zone_count){.zone = 12, .entries = 41};
	s->n_zones = 1;
	top[0].entries = 52100;
	top[1].entries = 1150;
	top[2] = dest(CTSCOPE_PROTO_TCP, "203.0.113.9", 443, 900);
	s->collector.duration_ms = 790.25;
	s->collector.entries_scanned = 76900;
}

static void test_later_tick_churn(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	struct ctscope_top_destination top[3];
	struct ctscope_zone_count zones[2];
	struct nd_state st;
	nd_state_init(&st, "", 1);

	seed_snapshot(&s, top, zones);
	free(render(&st, &s, T0));
	later_snapshot(&s, top, zones);
	char *out = render(&st, &s, T0 + 1000000);
	assert_text(out, second_tick);
	free(out);
	nd_state_free(&st);
}

/* A destination that left and comes back is declared again without
 * "obsolete" (netdata takes that as alive again); one that stays is not
 * declared again; nothing churns when nothing changed. */
static void test_destination_returns(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	struct ctscope_top_destination top[3];
	struct ctscope_zone_count zones[2];
	struct nd_state st;
	nd_state_init(&st, "", 1);

	seed_snapshot(&s, top, zones);
	free(render(&st, &s, T0));
	later_snapshot(&s, top, zones);
	free(render(&st, &s, T0 + 1000000));

	seed_snapshot(&s, top, zones); /* icmp back, tcp 203.0.113.9 gone, zone 5 back */
	char *out = render(&st, &s, T0 + 2000000);
	assert_has_line(out, "DIMENSION icmp_198_51_100_7 'icmp 198.51.100.7' absolute 1 1");
	assert_has_line(out, "DIMENSION tcp_203_0_113_9_443 'tcp 203.0.113.9:443' absolute 1 1 obsolete");
	assert_has_line(out, "DIMENSION 5 'zone 5' absolute 1 1");
	assert_no_line_starting(out, "DIMENSION tcp_2a00");
	assert_no_line_starting(out, "DIMENSION udp_192");
	assert_no_line_starting(out, "CHART ctscope.stats"); /* clash_resolve declared already */
	assert_has_line(out, "BEGIN ctscope.top_destinations 1000000");
	free(out);

	/* The same read again: no CHART or DIMENSION at all. */
	out = render(&st, &s, T0 + 3000000);
	assert_no_line_starting(out, "CHART ");
	assert_no_line_starting(out, "DIMENSION ");
	/* clash_resolve is declared but this read lacks it: a gap, not 0. */
	assert_no_line_starting(out, "SET clash_resolve");
	free(out);
	nd_state_free(&st);
}

/* ---- stats mode in a namespace ----------------------------------------- */

/* No breakdown charts at all; nf_conntrack_max unknown, so neither max nor
 * the fill is SET (netdata shows a gap); the namespace goes into the type
 * and the family; the update interval into every CHART line. */
static const char stats_mode_tick[] =
	"CHART ctscope_blue.entries '' 'Conntrack table entries' 'entries' 'netns blue' 'ctscope.entries' line 8800 5 "
	"'' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION entries 'entries' absolute 1 1\n"
	"DIMENSION max 'max' absolute 1 1\n"
	"BEGIN ctscope_blue.entries\n"
	"SET entries = 1234\n"
	"END\n"
	"CHART ctscope_blue.fill '' 'Conntrack table fill, entries / nf_conntrack_max' '%' 'netns blue' 'ctscope.fill' "
	"area 8801 5 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION used 'used' absolute 1 1000\n"
	"BEGIN ctscope_blue.fill\n"
	"END\n"
	"CHART ctscope_blue.stats '' 'Conntrack kernel counters, summed over CPUs' 'events/s' 'netns blue' "
	"'ctscope.stats' line 8804 5 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION insert_failed 'insert_failed' incremental 1 1\n"
	"DIMENSION drop 'drop' incremental 1 1\n"
	"BEGIN ctscope_blue.stats\n"
	"SET insert_failed = 9\n"
	"SET drop = 4\n"
	"END\n"
	"CHART ctscope_blue.collector '' 'ctscope read duration' 'ms' 'netns blue' 'ctscope.collector' line 8811 5 '' "
	"'ctscope.plugin' 'conntrack'\n"
	"DIMENSION duration 'duration' absolute 1 1000\n"
	"BEGIN ctscope_blue.collector\n"
	"SET duration = 250\n"
	"END\n"
	"CHART ctscope_blue.collector_scanned '' 'ctscope entries scanned per read' 'entries' 'netns blue' "
	"'ctscope.collector_scanned' line 8812 5 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION scanned 'scanned' absolute 1 1\n"
	"BEGIN ctscope_blue.collector_scanned\n"
	"SET scanned = 0\n"
	"END\n"
	"CHART ctscope_blue.hints '' 'ctscope hints in force (1: it applies; run ctscope for the sentence)' 'hints' "
	"'netns blue' 'ctscope.hints' line 8814 5 '' 'ctscope.plugin' 'conntrack'\n"
	"DIMENSION fill 'fill' absolute 1 1\n"
	"DIMENSION top_destination 'top_destination' absolute 1 1\n"
	"DIMENSION long_established 'long_established' absolute 1 1\n"
	"DIMENSION udp_unreplied 'udp_unreplied' absolute 1 1\n"
	"DIMENSION insert_failed 'insert_failed' absolute 1 1\n"
	"DIMENSION drop 'drop' absolute 1 1\n"
	"DIMENSION early_drop 'early_drop' absolute 1 1\n"
	"DIMENSION buckets 'buckets' absolute 1 1\n"
	"BEGIN ctscope_blue.hints\n"
	"SET fill = 0\n"
	"SET top_destination = 0\n"
	"SET long_established = 0\n"
	"SET udp_unreplied = 0\n"
	"SET insert_failed = 1\n"
	"SET drop = 0\n"
	"SET early_drop = 0\n"
	"SET buckets = 0\n"
	"END\n";

static void test_stats_mode_namespace(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	memset(&s, 0, sizeof(s));
	s.mode = CTSCOPE_MODE_STATS;
	s.table.entries = 1234;
	s.stats[CTSCOPE_STAT_INSERT_FAILED] = 9;
	s.has_stat[CTSCOPE_STAT_INSERT_FAILED] = true;
	s.stats[CTSCOPE_STAT_DROP] = 4;
	s.has_stat[CTSCOPE_STAT_DROP] = true;
	s.collector.duration_ms = 0.25;
	s.n_hints = 1; /* the counter hints speak in stats mode too */
	s.hint_kinds[0] = CTSCOPE_HINT_INSERT_FAILED;

	struct nd_state st;
	nd_state_init(&st, "blue", 5);
	char *out = render(&st, &s, T0);
	assert_text(out, stats_mode_tick);
	free(out);

	/* Five seconds later: durations are per chart, in microseconds. */
	out = render(&st, &s, T0 + 5000000);
	assert_has_line(out, "BEGIN ctscope_blue.entries 5000000");
	assert_has_line(out, "BEGIN ctscope_blue.collector_scanned 5000000");
	assert_no_line_starting(out, "CHART ");
	free(out);
	nd_state_free(&st);
}

/* ---- smaller cases ----------------------------------------------------- */

static void test_destination_ids(void **state)
{
	(void)state;
	char id[ND_DIM_ID_LEN];
	struct ctscope_top_destination d = dest(CTSCOPE_PROTO_TCP, "2a00:1450:400b:c02::bc", 5228, 1);
	nd_destination_id(&d, id, sizeof(id));
	assert_string_equal(id, "tcp_2a00_1450_400b_c02__bc_5228");
	d = dest(CTSCOPE_PROTO_UDP, "192.0.2.1", 53, 1);
	nd_destination_id(&d, id, sizeof(id));
	assert_string_equal(id, "udp_192_0_2_1_53");
	d = dest(CTSCOPE_PROTO_ICMPV6, "::1", -1, 1);
	nd_destination_id(&d, id, sizeof(id));
	assert_string_equal(id, "icmpv6___1");
	/* The longest possible id still fits, untruncated. */
	d = dest(CTSCOPE_PROTO_UDPLITE, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 1);
	nd_destination_id(&d, id, sizeof(id));
	assert_string_equal(id, "udplite_ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_65535");
}

/* A snapshot listing one destination twice must not SET it twice (netdata
 * would take the second as the value and the first would be lost anyway);
 * the first, larger one wins. */
static void test_duplicate_destination(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	struct ctscope_top_destination top[3];
	struct ctscope_zone_count zones[2];
	seed_snapshot(&s, top, zones);
	top[2] = top[1];
	top[2].entries = 5;
	struct nd_state st;
	nd_state_init(&st, "", 1);
	char *out = render(&st, &s, T0);
	assert_has_line(out, "SET udp_192_0_2_53_53 = 1200");
	assert_no_line_starting(out, "SET udp_192_0_2_53_53 = 5");
	const char *first = strstr(out, "DIMENSION udp_192_0_2_53_53");
	assert_non_null(first);
	assert_null(strstr(first + 1, "DIMENSION udp_192_0_2_53_53"));
	free(out);
	nd_state_free(&st);
}

/* An empty table: no top destinations chart until one appears, a share of
 * zero, and in events mode the event stream's own chart. */
static void test_empty_table_events_mode(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	memset(&s, 0, sizeof(s));
	s.mode = CTSCOPE_MODE_EVENTS;
	s.has_breakdown = true;
	s.table.has_max = true;
	s.table.max = 1000;
	s.collector.has_events = true;
	s.collector.events = 42;
	s.collector.resyncs = 1;
	s.collector.lost_events = 7;
	struct nd_state st;
	nd_state_init(&st, "", 1);
	char *out = render(&st, &s, T0);
	assert_no_line_starting(out, "CHART ctscope.top_destinations");
	assert_no_line_starting(out, "BEGIN ctscope.top_destinations");
	assert_no_line_starting(out, "CHART ctscope.zones");
	assert_no_line_starting(out, "CHART ctscope.stats"); /* no counter at all */
	assert_has_line(out, "SET top1 = 0");
	assert_has_line(out, "SET used = 0");
	assert_has_line(out, "DIMENSION lost_events 'lost events' incremental 1 1");
	assert_has_line(out, "SET events = 42");
	assert_has_line(out, "SET resyncs = 1");
	assert_has_line(out, "SET lost_events = 7");
	free(out);

	/* The first destination arrives: its chart is defined then, and its
	 * first BEGIN has no duration. */
	struct ctscope_top_destination top = dest(CTSCOPE_PROTO_GRE, "192.0.2.7", -1, 3);
	s.top_destinations = &top;
	s.n_top_destinations = 1;
	s.families[CTSCOPE_FAMILY_IPV4] = 3;
	out = render(&st, &s, T0 + 1000000);
	assert_has_line(out, "DIMENSION gre_192_0_2_7 'gre 192.0.2.7' absolute 1 1");
	assert_has_line(out, "BEGIN ctscope.top_destinations");
	assert_has_line(out, "BEGIN ctscope.entries 1000000");
	assert_has_line(out, "SET top1 = 100000");
	free(out);
	nd_state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_tick),
		cmocka_unit_test(test_later_tick_churn),
		cmocka_unit_test(test_destination_returns),
		cmocka_unit_test(test_stats_mode_namespace),
		cmocka_unit_test(test_destination_ids),
		cmocka_unit_test(test_duplicate_destination),
		cmocka_unit_test(test_empty_table_events_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
