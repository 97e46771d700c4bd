/* report.c — the human report for one namespace. The order answers the
 * admin's questions in turn: how full is the table, who fills it (the top
 * destinations as a table), what kind of entries they are, what the kernel
 * counted, which timeouts keep them, and what to do about it. Every line fits
 * 80 columns; nothing is truncated, lists wrap instead. */
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cli.h"

#define LABEL_WIDTH 13 /* "top sources" + 2 */

static void count_str(uint64_t n, char *buf, size_t len)
{
	ctscope_format_count(n, buf, len);
}

static void write_header(FILE *out, const struct ctscope_snapshot *s)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s%s (mode %s)", s->netns ? "netns " : "this namespace",
	                 s->netns ? s->netns : "", ctscope_mode_name(s->mode));
	if (s->time_ms && n > 0 && (size_t)n < sizeof(line)) {
		time_t t = (time_t)(s->time_ms / 1000);
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(line + n, sizeof(line) - (size_t)n, " at %Y-%m-%d %H:%M:%S", &tm);
	}
	cli_wrap_text(out, CLI_REPORT_WIDTH, "", "  ", line);
}

static void write_fill(FILE *out, const struct ctscope_snapshot *s, const struct ctscope_snapshot *prev)
{
	char entries[64], max[32], extra[32];
	count_str(s->table.entries, entries, sizeof(entries));
	if (prev) {
		/* "76,768 (+1,200)": the change since the previous report. */
		uint64_t a = s->table.entries, b = prev->table.entries;
		size_t n = strlen(entries);
		count_str(a >= b ? a - b : b - a, extra, sizeof(extra));
		snprintf(entries + n, sizeof(entries) - n, " (%s%s)", a > b ? "+" : a < b ? "-" : "", extra);
	}
	if (s->table.has_max) {
		count_str(s->table.max, max, sizeof(max));
		fprintf(out, "entries %s / max %s (%.1f%%)\n", entries, max, s->table.fill_percent);
	} else {
		fprintf(out, "entries %s / max unknown\n", entries);
	}
	if (s->table.has_buckets || s->table.has_expectations) {
		if (s->table.has_buckets) {
			count_str(s->table.buckets, extra, sizeof(extra));
			fprintf(out, "buckets %s%s", extra, s->table.has_expectations ? "  " : "\n");
		}
		if (s->table.has_expectations) {
			count_str(s->table.expectations, extra, sizeof(extra));
			fprintf(out, "expectations %s\n", extra);
		}
	}
}

/* "67.7%" of the table, or "-" when the table count is 0 (a dump can see
 * entries the count taken a moment earlier did not). */
static void share_str(uint64_t part, uint64_t whole, char *buf, size_t len)
{
	if (whole == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", 100.0 * (double)part / (double)whole);
}

/* "[2a00:1450:400b:c02::bc]:5228", "192.0.2.1:53", "192.0.2.1". */
static void destination_str(const struct ctscope_top_destination *d, char *buf, size_t len)
{
	char addr[CTSCOPE_ADDR_STRLEN];
	ctscope_addr_format(&d->addr, addr, sizeof(addr));
	if (!d->has_port)
		snprintf(buf, len, "%s", addr);
	else if (d->addr.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", addr, (unsigned)d->port);
	else
		snprintf(buf, len, "%s:%u", addr, (unsigned)d->port);
}

#define DEST_STRLEN (CTSCOPE_ADDR_STRLEN + 8)

enum { COL_RANK, COL_PROTO, COL_DEST, COL_ENTRIES, COL_SHARE, COL_CHANGE, COL_COUNT };
/* Columns up to COL_DEST are text (left-aligned but the rank), the rest numbers. */
#define COL_FIRST_NUMBER COL_ENTRIES

struct table_layout {
	size_t width[COL_COUNT];
	size_t ncols; /* COL_CHANGE only with a previous report */
	size_t gap;
	bool split;   /* numbers on a second line, under the destination */
};

static void write_row(FILE *out, const struct table_layout *t, char cells[COL_COUNT][DEST_STRLEN])
{
	for (size_t c = 0; c < t->ncols; c++) {
		if (c == COL_FIRST_NUMBER && t->split) {
			fputc('\n', out);
			fprintf(out, "%*s", (int)(t->width[COL_RANK] + t->width[COL_PROTO] + 2 * t->gap), "");
		} else if (c > 0) {
			fprintf(out, "%*s", (int)t->gap, "");
		}
		bool last_text = c == COL_DEST && (t->split || t->ncols == COL_DEST + 1);
		if (last_text)
			fputs(cells[c], out); /* no trailing blanks */
		else if (c == COL_RANK || c >= COL_FIRST_NUMBER)
			fprintf(out, "%*s", (int)t->width[c], cells[c]);
		else
			fprintf(out, "%-*s", (int)t->width[c], cells[c]);
	}
	fputc('\n', out);
}

/* How a destination's count moved since the previous report: "+120",
 * "-3", "0", or "new" when it was not in the previous top list (its old
 * count is then unknown, not 0). */
static void change_str(const struct ctscope_top_destination *d, const struct ctscope_snapshot *prev, char *buf,
                       size_t len)
{
	for (size_t i = 0; i < prev->n_top_destinations; i++) {
		const struct ctscope_top_destination *p = &prev->top_destinations[i];
		size_t alen = d->addr.family == AF_INET ? 4 : 16;
		if (p->proto != d->proto || p->has_port != d->has_port || (d->has_port && p->port != d->port) ||
		    p->addr.family != d->addr.family || memcmp(p->addr.bytes, d->addr.bytes, alen) != 0)
			continue;
		char count[32];
		if (d->entries >= p->entries) {
			count_str(d->entries - p->entries, count, sizeof(count));
			snprintf(buf, len, "%s%s", d->entries > p->entries ? "+" : "", count);
		} else {
			count_str(p->entries - d->entries, count, sizeof(count));
			snprintf(buf, len, "-%s", count);
		}
		return;
	}
	snprintf(buf, len, "new");
}

static void fill_cells(const struct ctscope_snapshot *s, const struct ctscope_snapshot *prev, size_t i,
                       char cells[COL_COUNT][DEST_STRLEN])
{
	const struct ctscope_top_destination *d = &s->top_destinations[i];
	snprintf(cells[COL_RANK], DEST_STRLEN, "%zu", i + 1);
	snprintf(cells[COL_PROTO], DEST_STRLEN, "%s", ctscope_proto_name(d->proto));
	destination_str(d, cells[COL_DEST], DEST_STRLEN);
	count_str(d->entries, cells[COL_ENTRIES], DEST_STRLEN);
	share_str(d->entries, s->table.entries, cells[COL_SHARE], DEST_STRLEN);
	if (prev)
		change_str(d, prev, cells[COL_CHANGE], DEST_STRLEN);
}

/* Columns sized to what is in them. A full IPv6 address with a port is 47
 * characters; in the rare case a row still does not fit 80 columns, the
 * gaps shrink, and then the numbers move to a second line. */
static void write_top_destinations(FILE *out, const struct ctscope_snapshot *s, const struct ctscope_snapshot *prev)
{
	if (s->n_top_destinations == 0) {
		fputs("top destinations: none (no entries in the dump)\n", out);
		return;
	}
	static const char *const titles[COL_COUNT] = {"#", "proto", "destination", "entries", "share", "change"};
	char cells[COL_COUNT][DEST_STRLEN];
	struct table_layout t = {.ncols = prev && prev->has_breakdown ? COL_COUNT : COL_CHANGE, .gap = 2};
	if (t.ncols < COL_COUNT)
		prev = NULL;
	for (size_t c = 0; c < t.ncols; c++)
		t.width[c] = strlen(titles[c]);
	t.width[COL_RANK] = 2;
	t.width[COL_SHARE] = strlen("100.0%");
	for (size_t i = 0; i < s->n_top_destinations; i++) {
		fill_cells(s, prev, i, cells);
		for (size_t c = 0; c < t.ncols; c++) {
			size_t l = strlen(cells[c]);
			t.width[c] = l > t.width[c] ? l : t.width[c];
		}
	}
	size_t total = 0;
	for (size_t c = 0; c < t.ncols; c++)
		total += t.width[c] + (c ? t.gap : 0);
	if (total > CLI_REPORT_WIDTH) {
		t.gap = 1;
		total -= t.ncols - 1;
	}
	t.split = total > CLI_REPORT_WIDTH;

	fputs("top destinations\n", out);
	for (size_t c = 0; c < t.ncols; c++)
		snprintf(cells[c], DEST_STRLEN, "%s", titles[c]);
	write_row(out, &t, cells);
	for (size_t i = 0; i < s->n_top_destinations; i++) {
		fill_cells(s, prev, i, cells);
		write_row(out, &t, cells);
	}
}

/* One labelled, wrapped line of "name count" items; zero counts are left
 * out when `skip_zero` (and the line says "none" if nothing is left). */
static void write_counter_line(FILE *out, const char *label, const uint64_t *v, int n, const char *(*name)(int),
                               bool skip_zero)
{
	struct cli_wrap w;
	bool any = false;
	cli_wrap_begin(&w, out, CLI_REPORT_WIDTH, label, LABEL_WIDTH);
	for (int i = 0; i < n; i++) {
		if (skip_zero && v[i] == 0)
			continue;
		char count[32], item[96];
		count_str(v[i], count, sizeof(count));
		snprintf(item, sizeof(item), "%s %s", name(i), count);
		cli_wrap_item(&w, item);
		any = true;
	}
	if (!any)
		cli_wrap_item(&w, "none");
	cli_wrap_end(&w);
}

static const char *family_name(int i) { return ctscope_family_name((enum ctscope_family)i); }
static const char *proto_name(int i) { return ctscope_proto_name((enum ctscope_proto)i); }
static const char *tcp_state_name(int i) { return ctscope_tcp_state_name((enum ctscope_tcp_state)i); }
static const char *flag_name(int i) { return ctscope_flag_name((enum ctscope_flag)i); }

/* The remaining-timeout bands in words a person reads at a glance; the JSON
 * keys (le_10s, ...) say the same with inclusive upper bounds. */
static const char *band_label(int i)
{
	static const char *const labels[CTSCOPE_TIMEOUT_BAND_COUNT] = {
		[CTSCOPE_TIMEOUT_LE_10S] = "<=10s", [CTSCOPE_TIMEOUT_LE_1M] = "<=1m", [CTSCOPE_TIMEOUT_LE_10M] = "<=10m",
		[CTSCOPE_TIMEOUT_LE_1H] = "<=1h",   [CTSCOPE_TIMEOUT_LE_1D] = "<=1d", [CTSCOPE_TIMEOUT_GT_1D] = ">1d",
	};
	return (i >= 0 && i < CTSCOPE_TIMEOUT_BAND_COUNT) ? labels[i] : "?";
}

static void write_zones(FILE *out, const struct ctscope_snapshot *s)
{
	if (s->n_zones == 0)
		return; /* the common case: everything in zone 0, nothing to say */
	struct cli_wrap w;
	cli_wrap_begin(&w, out, CLI_REPORT_WIDTH, "zones", LABEL_WIDTH);
	for (size_t i = 0; i < s->n_zones; i++) {
		char count[32], item[64];
		count_str(s->zones[i].entries, count, sizeof(count));
		snprintf(item, sizeof(item), "%u: %s", (unsigned)s->zones[i].zone, count);
		cli_wrap_item(&w, item);
	}
	cli_wrap_end(&w);
}

static void write_sources_ports(FILE *out, const struct ctscope_snapshot *s)
{
	struct cli_wrap w;
	if (s->n_top_sources) {
		cli_wrap_begin(&w, out, CLI_REPORT_WIDTH, "top sources", LABEL_WIDTH);
		for (size_t i = 0; i < s->n_top_sources; i++) {
			char addr[CTSCOPE_ADDR_STRLEN], count[32], item[96];
			ctscope_addr_format(&s->top_sources[i].addr, addr, sizeof(addr));
			count_str(s->top_sources[i].entries, count, sizeof(count));
			snprintf(item, sizeof(item), "%s %s", addr, count);
			cli_wrap_item(&w, item);
		}
		cli_wrap_end(&w);
	}
	if (s->n_top_ports) {
		cli_wrap_begin(&w, out, CLI_REPORT_WIDTH, "top ports", LABEL_WIDTH);
		for (size_t i = 0; i < s->n_top_ports; i++) {
			char count[32], item[64];
			count_str(s->top_ports[i].entries, count, sizeof(count));
			snprintf(item, sizeof(item), "%s/%u %s", ctscope_proto_name(s->top_ports[i].proto),
			         (unsigned)s->top_ports[i].port, count);
			cli_wrap_item(&w, item);
		}
		cli_wrap_end(&w);
	}
}

static void write_breakdown(FILE *out, const struct ctscope_snapshot *s)
{
	write_counter_line(out, "families", s->families, CTSCOPE_FAMILY_COUNT, family_name, true);
	write_counter_line(out, "protocols", s->protocols, CTSCOPE_PROTO_COUNT, proto_name, true);
	write_counter_line(out, "tcp states", s->tcp_states, CTSCOPE_TCP_STATE_COUNT, tcp_state_name, true);
	/* Flags and timeout bands keep their zeros: "nat 0" and an empty band
	 * are findings too. */
	write_counter_line(out, "flags", s->flags, CTSCOPE_FLAG_COUNT, flag_name, false);
	write_counter_line(out, "remaining", s->timeouts, CTSCOPE_TIMEOUT_BAND_COUNT, band_label, false);
	write_zones(out, s);
	write_sources_ports(out, s);
}

/* Kernel counters are totals since boot; what matters during an incident
 * is how fast they grow, so with a previous report each one that moved gets
 * its rate. A counter that went down (reset) gets none. */
static void write_kernel_stats(FILE *out, const struct ctscope_snapshot *s, const struct ctscope_snapshot *prev)
{
	struct cli_wrap w;
	bool any = false;
	double seconds = prev && s->time_ms > prev->time_ms ? (double)(s->time_ms - prev->time_ms) / 1000.0 : 0;
	cli_wrap_begin(&w, out, CLI_REPORT_WIDTH, "kernel", LABEL_WIDTH);
	for (int i = 0; i < CTSCOPE_STAT_COUNT; i++) {
		if (!s->has_stat[i])
			continue;
		char count[32], item[96];
		count_str(s->stats[i], count, sizeof(count));
		int n = snprintf(item, sizeof(item), "%s %s", ctscope_stat_name((enum ctscope_stat)i), count);
		if (seconds > 0 && prev->has_stat[i] && s->stats[i] > prev->stats[i] && n > 0 && (size_t)n < sizeof(item))
			snprintf(item + n, sizeof(item) - (size_t)n, " (+%.1f/s)",
			         (double)(s->stats[i] - prev->stats[i]) / seconds);
		cli_wrap_item(&w, item);
		any = true;
	}
	if (!any)
		cli_wrap_item(&w, "no counters from this kernel");
	cli_wrap_end(&w);
}

/* "udp_timeout_stream" -> "udp stream", "tcp_timeout_close_wait" ->
 * "close_wait" (on the tcp line): short enough to list them all, still the
 * sysctl's own words. */
static void sysctl_label(const char *key, bool tcp, char *buf, size_t len)
{
	if (tcp) {
		snprintf(buf, len, "%s", key + strlen("tcp_timeout_"));
		return;
	}
	const char *mark = strstr(key, "_timeout");
	if (!mark) {
		snprintf(buf, len, "%s", key);
		return;
	}
	const char *rest = mark + strlen("_timeout");
	if (*rest == '_')
		rest++;
	snprintf(buf, len, "%.*s%s%s", (int)(mark - key), key, *rest ? " " : "", rest);
}

/* The configured timeouts: one line for TCP's per-state ones, one for the
 * rest. max and buckets are on the fill line already. */
static void write_sysctl_line(FILE *out, const struct ctscope_snapshot *s, bool tcp)
{
	struct cli_wrap w;
	bool any = false;
	for (int i = 0; i < CTSCOPE_SYSCTL_COUNT; i++) {
		const char *key = ctscope_sysctl_key((enum ctscope_sysctl)i);
		if (!s->has_sysctl[i] || !strstr(key, "timeout") ||
		    (strncmp(key, "tcp_timeout_", strlen("tcp_timeout_")) == 0) != tcp)
			continue;
		if (!any)
			cli_wrap_begin(&w, out, CLI_REPORT_WIDTH, tcp ? "tcp timeouts" : "timeouts", LABEL_WIDTH);
		char label[64], value[48], item[128];
		sysctl_label(key, tcp, label, sizeof(label));
		cli_format_duration(s->sysctl[i], value, sizeof(value));
		snprintf(item, sizeof(item), "%s %s", label, value);
		cli_wrap_item(&w, item);
		any = true;
	}
	if (any)
		cli_wrap_end(&w);
}

static void write_sysctl(FILE *out, const struct ctscope_snapshot *s)
{
	write_sysctl_line(out, s, true);
	write_sysctl_line(out, s, false);
}

static void write_collector(FILE *out, const struct ctscope_snapshot *s)
{
	char scanned[32], line[256];
	count_str(s->collector.entries_scanned, scanned, sizeof(scanned));
	int n;
	if (s->mode == CTSCOPE_MODE_STATS)
		n = snprintf(line, sizeof(line), "counters in %.1f ms", s->collector.duration_ms);
	else
		n = snprintf(line, sizeof(line), "%s entries scanned in %.1f ms", scanned, s->collector.duration_ms);
	/* a dump in two parts built at once on two cores (split.c) */
	if (s->collector.dump_split && strcmp(s->collector.dump_split, "none") != 0 && n > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, " (two dumps at once, by %s)", s->collector.dump_split);
	if (s->collector.has_events && n > 0 && (size_t)n < sizeof(line)) {
		char events[32], resyncs[32], lost[32];
		count_str(s->collector.events, events, sizeof(events));
		count_str(s->collector.resyncs, resyncs, sizeof(resyncs));
		count_str(s->collector.lost_events, lost, sizeof(lost));
		snprintf(line + n, sizeof(line) - (size_t)n, "; events %s, resyncs %s, lost %s", events, resyncs, lost);
	}
	cli_wrap_text(out, CLI_REPORT_WIDTH, "read         ", "             ", line);
}

static void write_hints(FILE *out, const struct ctscope_snapshot *s)
{
	size_t n = s->n_hints < CTSCOPE_HINTS_MAX ? s->n_hints : CTSCOPE_HINTS_MAX;
	if (n == 0)
		return;
	fputs("\nhints\n", out);
	for (size_t i = 0; i < n; i++) {
		char hint[CTSCOPE_HINT_LEN + 1];
		memcpy(hint, s->hints[i], CTSCOPE_HINT_LEN);
		hint[CTSCOPE_HINT_LEN] = '\0';
		cli_wrap_text(out, CLI_REPORT_WIDTH, "  - ", "    ", hint);
	}
}

int cli_report_snapshot(FILE *out, const struct ctscope_snapshot *s, const struct ctscope_snapshot *prev)
{
	write_header(out, s);
	write_fill(out, s, prev);
	fputc('\n', out);
	if (s->has_breakdown) {
		write_top_destinations(out, s, prev);
		fputc('\n', out);
		write_breakdown(out, s);
	} else {
		fputs("breakdowns and top destinations need --mode dump (or --mode events)\n", out);
	}
	write_kernel_stats(out, s, prev);
	write_sysctl(out, s);
	write_collector(out, s);
	write_hints(out, s);
	return ferror(out) ? -1 : 0;
}
