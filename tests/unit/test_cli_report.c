/* test_cli_report.c — the human report for fixed snapshots: the culprit is
 * named on one line of the top table, nothing passes 80 columns, nothing
 * is cut off, and what could not be read is not shown as 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/cli.h"
#include "test_cli_fixture.h"

static char *report_since(const struct ctscope_snapshot *s, const struct ctscope_snapshot *prev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(cli_report_snapshot(f, s, prev), 0);
	assert_int_equal(fclose(f), 0);
	fputs(buf, stdout); /* in the test log, for a human to look at */
	fputs("----\n", stdout);
	return buf;
}

static char *report_of(const struct ctscope_snapshot *s)
{
	return report_since(s, NULL);
}

/* The line containing `needle`, copied into `line`; fails if none. */
static void line_with(const char *text, const char *needle, char *line, size_t len)
{
	const char *hit = strstr(text, needle);
	if (!hit)
		fail_msg("report lacks \"%s\"", needle);
	const char *start = hit;
	while (start > text && start[-1] != '\n')
		start--;
	const char *end = strchr(hit, '\n');
	size_t l = end ? (size_t)(end - start) : strlen(start);
	assert_true(l < len);
	memcpy(line, start, l);
	line[l] = '\0';
}

static void assert_fits_80(const char *text)
{
	int n = 1;
	for (const char *line = text; *line; n++) {
		const char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		if (l > CLI_REPORT_WIDTH)
			fail_msg("line %d is %zu columns: %.*s", n, l, (int)l, line);
		if (!nl)
			fail_msg("report does not end with a newline");
		line = nl + 1;
	}
}

static void test_culprit_line(void **state)
{
	(void)state;
	struct cli_fixture f;
	fixture_fill(&f);
	char *out = report_of(&f.snap);
	char line[256];

	assert_fits_80(out);
	line_with(out, "this namespace (mode dump)", line, sizeof(line));
	line_with(out, "entries 76,768 / max 262,144 (29.3%)", line, sizeof(line));

	/* The top table comes before the breakdowns and names the culprit
	 * on one line: rank, protocol, [address]:port, count, share. */
	assert_true(strstr(out, "top destinations") < strstr(out, "families"));
	line_with(out, "[2a00:1450:400b:c02::bc]:5228", line, sizeof(line));
	assert_non_null(strstr(line, " 1  tcp"));
	assert_non_null(strstr(line, "52,000"));
	assert_non_null(strstr(line, "67.7%"));
	line_with(out, "192.0.2.53:53", line, sizeof(line));
	assert_non_null(strstr(line, "6,000"));
	/* Portless: the bare address, no ":0". */
	line_with(out, "icmp", line, sizeof(line));
	assert_non_null(strstr(line, "192.0.2.1 "));
	assert_null(strstr(line, "192.0.2.1:"));
	assert_non_null(strstr(line, "768"));
	free(out);
}

static void test_breakdowns(void **state)
{
	(void)state;
	struct cli_fixture f;
	fixture_fill(&f);
	char *out = report_of(&f.snap);
	char line[256];

	line_with(out, "families", line, sizeof(line));
	assert_non_null(strstr(line, "ipv4 24,768"));
	assert_non_null(strstr(line, "ipv6 52,000"));
	assert_null(strstr(line, "other")); /* zero, left out */
	line_with(out, "protocols", line, sizeof(line));
	assert_non_null(strstr(line, "tcp 70,000  udp 6,000  icmp 768"));
	line_with(out, "tcp states", line, sizeof(line));
	assert_non_null(strstr(line, "established 60,000"));
	assert_null(strstr(line, "syn_recv"));
	line_with(out, "flags", line, sizeof(line));
	assert_non_null(strstr(line, "assured 65,000  unreplied 3,000  nat 120"));
	line_with(out, "remaining", line, sizeof(line));
	assert_non_null(strstr(out, ">1d 52,000"));
	line_with(out, "zones", line, sizeof(line));
	assert_non_null(strstr(line, "1: 100  300: 20"));
	line_with(out, "top sources", line, sizeof(line));
	assert_non_null(strstr(line, "2001:db8::1 52,000  10.0.0.1 24,768"));
	line_with(out, "top ports", line, sizeof(line));
	assert_non_null(strstr(line, "tcp/5228 52,000  udp/53 6,000"));
	/* Counters the kernel gave, and not the two it did not. */
	line_with(out, "kernel", line, sizeof(line));
	assert_non_null(strstr(out, "insert_failed 103"));
	assert_null(strstr(out, "clash_resolve"));
	assert_null(strstr(out, "chaintoolong"));
	line_with(out, "tcp timeouts", line, sizeof(line));
	assert_non_null(strstr(line, "established 5d"));
	line_with(out, "timeouts     ", line, sizeof(line));
	assert_non_null(strstr(line, "udp 30s"));
	assert_null(strstr(line, "established"));
	/* The hint, wrapped but complete, quotes and all. */
	line_with(out, "  - 52,000 entries go to", line, sizeof(line));
	assert_non_null(strstr(out, "\"[2a00:1450:400b:c02::bc]:5228\""));
	assert_non_null(strstr(out, "lower it to"));
	assert_non_null(strstr(out, "3600."));
	assert_fits_80(out);
	free(out);
}

static void test_stats_mode(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	char netns[] = "blue";
	fixture_fill_stats_mode(&s, netns);
	char *out = report_of(&s);
	char line[256];
	line_with(out, "netns blue (mode stats)", line, sizeof(line));
	/* No max: say unknown, never "max 0" or a percentage. */
	line_with(out, "entries 5 / max unknown", line, sizeof(line));
	assert_null(strstr(out, "max 0"));
	assert_null(strstr(out, "%"));
	assert_null(strstr(out, "buckets"));
	line_with(out, "need --mode dump", line, sizeof(line));
	assert_null(strstr(out, "destination "));
	assert_null(strstr(out, "proto"));
	assert_null(strstr(out, "families"));
	line_with(out, "kernel", line, sizeof(line));
	assert_non_null(strstr(line, "insert_failed 0  drop 7"));
	assert_fits_80(out);
	free(out);
}

/* The widest row there can be: rank 1000, "udplite", a 39-character IPv6
 * address with a 5-digit port, a 13-character count. Still 80 columns,
 * still the whole address. */
static void test_widest_rows_fit(void **state)
{
	(void)state;
	enum { N = 1000 };
	struct cli_fixture f;
	fixture_fill(&f);
	struct ctscope_top_destination *d = calloc(N, sizeof(*d));
	assert_non_null(d);
	for (size_t i = 0; i < N; i++) {
		d[i].proto = i % 2 ? CTSCOPE_PROTO_UDPLITE : CTSCOPE_PROTO_ICMPV6;
		d[i].has_port = i % 2;
		d[i].port = 65535;
		d[i].entries = 1234567890123ULL - i;
		fixture_addr(&d[i].addr, AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	}
	f.snap.top_destinations = d;
	f.snap.n_top_destinations = N;
	f.snap.table.entries = 1234567890123ULL * 2;
	char *out = report_of(&f.snap);
	assert_fits_80(out);
	assert_non_null(strstr(out, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"));
	assert_non_null(strstr(out, "1,234,567,890,123"));
	assert_non_null(strstr(out, "1000"));
	free(out);
	/* Plus the change column (against itself: all "0"). */
	out = report_since(&f.snap, &f.snap);
	assert_fits_80(out);
	assert_non_null(strstr(out, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"));
	assert_non_null(strstr(out, "change"));
	free(out);

	/* Ten such rows fit on one line each, with single-blank gaps. */
	f.snap.n_top_destinations = 10;
	for (size_t i = 0; i < 10; i++)
		d[i].entries = 999999999;
	out = report_of(&f.snap);
	assert_fits_80(out);
	char line[256];
	line_with(out, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", line, sizeof(line));
	assert_non_null(strstr(line, "999,999,999"));
	free(out);
	free(d);
}

static void test_long_hint_and_netns_wrap(void **state)
{
	(void)state;
	struct cli_fixture f;
	fixture_fill(&f);
	char netns[200];
	memset(netns, 'n', sizeof(netns) - 1);
	netns[0] = '/';
	netns[sizeof(netns) - 1] = '\0';
	f.snap.netns = netns;
	/* One word longer than a line, then ordinary words. */
	char *h = f.snap.hints[0];
	memset(h, 'x', 150);
	snprintf(h + 150, CTSCOPE_HINT_LEN - 150, " then %s", "some words that wrap at the edge of the screen nicely");
	char *out = report_of(&f.snap);
	assert_fits_80(out);
	/* Nothing lost: count the x's and the n's across the wrapped lines. */
	size_t xs = 0, ns = 0;
	for (const char *p = out; *p; p++) {
		xs += *p == 'x';
		ns += *p == 'n';
	}
	assert_true(xs >= 150);
	assert_true(ns >= sizeof(netns) - 2);
	assert_non_null(strstr(out, "nicely"));
	free(out);
}

static void test_empty_table(void **state)
{
	(void)state;
	struct cli_fixture f;
	fixture_fill(&f);
	f.snap.table.entries = 0;
	f.snap.table.fill_percent = 0;
	f.snap.n_top_destinations = 0;
	memset(f.snap.families, 0, sizeof(f.snap.families));
	char *out = report_of(&f.snap);
	char line[256];
	line_with(out, "top destinations", line, sizeof(line));
	assert_non_null(strstr(line, "none"));
	line_with(out, "families", line, sizeof(line));
	assert_non_null(strstr(line, "none"));
	free(out);
}

static void test_events_collector_line(void **state)
{
	(void)state;
	struct cli_fixture f;
	fixture_fill(&f);
	f.snap.mode = CTSCOPE_MODE_EVENTS;
	f.snap.collector.has_events = true;
	f.snap.collector.events = 12345;
	f.snap.collector.resyncs = 2;
	f.snap.collector.lost_events = 7;
	char *out = report_of(&f.snap);
	char line[256];
	line_with(out, "read ", line, sizeof(line));
	assert_non_null(strstr(line, "76,768 entries scanned in 12.5 ms"));
	assert_non_null(strstr(out, "events 12,345, resyncs 2, lost 7"));
	assert_fits_80(out);
	free(out);
}

/* With the previous report: each top destination's change ("new" when it
 * was not in the previous list: its old count is unknown, not 0), the entry
 * count's change, and per-second rates of the counters that moved. */
static void test_changes_since_previous(void **state)
{
	(void)state;
	struct cli_fixture now, before;
	fixture_fill(&now);
	fixture_fill(&before);
	now.snap.time_ms = 1700000010000ULL;
	before.snap.time_ms = 1700000000000ULL; /* 10 s earlier */
	before.snap.table.entries = 76000;
	before.dest[0].entries = 50000;
	before.dest[1].port = 5353; /* another destination: 192.0.2.53:53 is new */
	before.dest[2].entries = 800;
	before.snap.stats[CTSCOPE_STAT_INSERT] = 2; /* now 102: +10.0/s */
	before.snap.stats[CTSCOPE_STAT_DROP] = 200; /* now 104: went down, no rate */

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(cli_report_snapshot(f, &now.snap, &before.snap), 0);
	assert_int_equal(fclose(f), 0);
	fputs(buf, stdout);
	assert_fits_80(buf);

	char line[256];
	line_with(buf, "entries 76,768 (+768) / max 262,144 (29.3%)", line, sizeof(line));
	line_with(buf, "destination ", line, sizeof(line));
	assert_non_null(strstr(line, "change"));
	line_with(buf, "[2a00:1450:400b:c02::bc]:5228", line, sizeof(line));
	assert_non_null(strstr(line, "+2,000"));
	line_with(buf, "192.0.2.53:53", line, sizeof(line));
	assert_non_null(strstr(line, "new"));
	line_with(buf, "icmp", line, sizeof(line));
	assert_non_null(strstr(line, "-32"));
	assert_non_null(strstr(buf, "insert 102 (+10.0/s)"));
	assert_non_null(strstr(buf, "drop 104"));
	assert_null(strstr(buf, "drop 104 ("));
	assert_null(strstr(buf, "found 100 (")); /* unchanged: no rate */
	free(buf);
}

static void test_format_duration(void **state)
{
	(void)state;
	char buf[32];
	const struct {
		uint64_t s;
		const char *want;
	} cases[] = {{0, "0s"}, {30, "30s"}, {90, "1m30s"}, {120, "2m"}, {3600, "1h"}, {432000, "5d"}, {90061, "1d1h1m1s"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cli_format_duration(cases[i].s, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_culprit_line),
		cmocka_unit_test(test_breakdowns),
		cmocka_unit_test(test_stats_mode),
		cmocka_unit_test(test_widest_rows_fit),
		cmocka_unit_test(test_long_hint_and_netns_wrap),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_events_collector_line),
		cmocka_unit_test(test_changes_since_previous),
		cmocka_unit_test(test_format_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
