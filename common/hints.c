/* hints.c — plain sentences computed from a snapshot's numbers, each
 * naming the sysctl to change. A hint is written only when the numbers
 * in it are there: no breakdown, no breakdown hint; no counter, no
 * counter hint.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* When a hint speaks up. */
#define FILL_WARN_PERCENT 80.0
#define TOP_SHARE_PERCENT 20.0
#define TOP_MIN_ENTRIES 1000
#define UDP_UNREPLIED_SHARE 25.0
#define UDP_UNREPLIED_MIN 1000
#define CHAIN_PER_BUCKET 8
#define LONG_TIMEOUT_SECONDS 86400

static void add_hint(struct ctscope_snapshot *snap, enum ctscope_hint_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_hint(struct ctscope_snapshot *snap, enum ctscope_hint_kind kind, const char *fmt, ...)
{
	if (snap->n_hints >= CTSCOPE_HINTS_MAX)
		return;
	snap->hint_kinds[snap->n_hints] = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(snap->hints[snap->n_hints++], CTSCOPE_HINT_LEN, fmt, ap);
	va_end(ap);
}

/* The sentence of the snapshot's hint of that kind, or NULL. */
static const char *hint_of(const struct ctscope_snapshot *snap, enum ctscope_hint_kind kind)
{
	for (size_t i = 0; i < snap->n_hints; i++)
		if (snap->hint_kinds[i] == kind)
			return snap->hints[i];
	return NULL;
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static const char *human_duration(uint64_t s, char *buf, size_t len)
{
	if (s >= 86400 && s % 86400 == 0)
		snprintf(buf, len, "%llu day%s", (unsigned long long)(s / 86400), s == 86400 ? "" : "s");
	else if (s >= 3600 && s % 3600 == 0)
		snprintf(buf, len, "%llu h", (unsigned long long)(s / 3600));
	else if (s >= 60 && s % 60 == 0)
		snprintf(buf, len, "%llu min", (unsigned long long)(s / 60));
	else
		snprintf(buf, len, "%llu s", (unsigned long long)s);
	return buf;
}

static void hint_fill(struct ctscope_snapshot *snap)
{
	if (!snap->table.has_max || snap->table.fill_percent < FILL_WARN_PERCENT)
		return;
	char e[32], m[32];
	ctscope_format_count(snap->table.entries, e, sizeof(e));
	ctscope_format_count(snap->table.max, m, sizeof(m));
	add_hint(snap, CTSCOPE_HINT_FILL,
	         "The table is %.0f%% full (%s of %s entries); when it fills the kernel drops new connections: raise "
	         "net.netfilter.nf_conntrack_max, or find below what fills it.",
	         snap->table.fill_percent, e, m);
}

static void hint_top_destination(struct ctscope_snapshot *snap)
{
	if (!snap->has_breakdown || snap->n_top_destinations == 0 || snap->table.entries == 0)
		return;
	const struct ctscope_top_destination *d = &snap->top_destinations[0];
	uint64_t total = snap->table.entries > d->entries ? snap->table.entries : d->entries;
	double pct = share(d->entries, total);
	if (pct < TOP_SHARE_PERCENT || d->entries < TOP_MIN_ENTRIES)
		return;
	char dest[96], n[32], est[32], dur[32];
	ctscope_destination_format(d, dest, sizeof(dest));
	ctscope_format_count(d->entries, n, sizeof(n));
	bool has_est = snap->has_sysctl[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED];
	uint64_t est_timeout = snap->sysctl[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED];
	if (d->established_long * 2 > d->entries && has_est && est_timeout > LONG_TIMEOUT_SECONDS) {
		ctscope_format_count(d->established_long, est, sizeof(est));
		add_hint(snap, CTSCOPE_HINT_TOP_DESTINATION,
		         "%s holds %.0f%% of the table (%s entries), %s of them ESTABLISHED with more than a day left, "
		         "because net.netfilter.nf_conntrack_tcp_timeout_established is %llu (%s): lowering it to "
		         "600-3600 lets such entries age out (it applies to new entries; existing ones keep their "
		         "timeout).",
		         dest, pct, n, est, (unsigned long long)est_timeout,
		         human_duration(est_timeout, dur, sizeof(dur)));
	} else {
		add_hint(snap, CTSCOPE_HINT_TOP_DESTINATION,
		         "%s holds %.0f%% of the table (%s entries): one peer fills it; check what talks to it so much.",
		         dest, pct, n);
	}
}

static void hint_long_established(struct ctscope_snapshot *snap)
{
	/* The table-wide form of the hint above, for when no single
	 * destination dominates. */
	if (!snap->has_breakdown || !snap->has_sysctl[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED])
		return;
	uint64_t est_timeout = snap->sysctl[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED];
	uint64_t long_lived = snap->timeouts[CTSCOPE_TIMEOUT_GT_1D];
	if (est_timeout <= LONG_TIMEOUT_SECONDS || share(long_lived, snap->table.entries) < 50.0 ||
	    long_lived < TOP_MIN_ENTRIES)
		return;
	const char *top = hint_of(snap, CTSCOPE_HINT_TOP_DESTINATION);
	if (top && strstr(top, "tcp_timeout_established"))
		return; /* already said, about the destination that fills the table */
	char n[32], dur[32];
	ctscope_format_count(long_lived, n, sizeof(n));
	add_hint(snap, CTSCOPE_HINT_LONG_ESTABLISHED,
	         "%s entries (%.0f%% of the table) have more than a day left because "
	         "net.netfilter.nf_conntrack_tcp_timeout_established is %llu (%s): lowering it to 600-3600 lets idle "
	         "connections age out (it applies to new entries; existing ones keep their timeout).",
	         n, share(long_lived, snap->table.entries), (unsigned long long)est_timeout,
	         human_duration(est_timeout, dur, sizeof(dur)));
}

static void hint_udp_unreplied(struct ctscope_snapshot *snap)
{
	if (!snap->has_breakdown || snap->udp_unreplied < UDP_UNREPLIED_MIN ||
	    share(snap->udp_unreplied, snap->table.entries) < UDP_UNREPLIED_SHARE)
		return;
	char n[32];
	ctscope_format_count(snap->udp_unreplied, n, sizeof(n));
	if (snap->has_sysctl[CTSCOPE_SYSCTL_UDP_TIMEOUT])
		add_hint(snap, CTSCOPE_HINT_UDP_UNREPLIED,
		         "%s UDP entries (%.0f%% of the table) never saw a reply (DNS to a dead server, scans, floods); "
		         "net.netfilter.nf_conntrack_udp_timeout is %llu s: lowering it to 10 makes them age out "
		         "sooner.",
		         n, share(snap->udp_unreplied, snap->table.entries),
		         (unsigned long long)snap->sysctl[CTSCOPE_SYSCTL_UDP_TIMEOUT]);
}

static void hint_buckets(struct ctscope_snapshot *snap)
{
	if (!snap->table.has_max || !snap->table.has_buckets || snap->table.buckets == 0)
		return;
	uint64_t per_bucket = snap->table.max / snap->table.buckets;
	if (per_bucket < CHAIN_PER_BUCKET)
		return;
	char b[32], m[32], want[32];
	ctscope_format_count(snap->table.buckets, b, sizeof(b));
	ctscope_format_count(snap->table.max, m, sizeof(m));
	ctscope_format_count(snap->table.max / 4, want, sizeof(want));
	add_hint(snap, CTSCOPE_HINT_BUCKETS,
	         "net.netfilter.nf_conntrack_buckets is %s for a max of %s (%llu entries per bucket when full): "
	         "lookups slow down as the table fills; set it to %s or more (init namespace).",
	         b, m, (unsigned long long)per_bucket, want);
}

static void hint_counters(struct ctscope_snapshot *snap, const struct ctscope_snapshot *prev, double interval_s)
{
	static const enum ctscope_stat watched[] = { CTSCOPE_STAT_INSERT_FAILED, CTSCOPE_STAT_DROP,
	                                             CTSCOPE_STAT_EARLY_DROP };
	static const enum ctscope_hint_kind kinds[] = { CTSCOPE_HINT_INSERT_FAILED, CTSCOPE_HINT_DROP,
	                                                CTSCOPE_HINT_EARLY_DROP };
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		enum ctscope_stat s = watched[i];
		enum ctscope_hint_kind kind = kinds[i];
		if (!snap->has_stat[s] || snap->stats[s] == 0)
			continue;
		const char *why = s == CTSCOPE_STAT_INSERT_FAILED
		                      ? "insertions failed (a full table, or clashes between simultaneous packets)"
		                      : (s == CTSCOPE_STAT_DROP ? "packets were dropped because no entry could be made"
		                                                : "entries were evicted early to make room");
		char n[32];
		if (prev && prev->has_stat[s]) {
			if (snap->stats[s] <= prev->stats[s])
				continue; /* not rising: nothing to say each interval */
			ctscope_format_count(snap->stats[s] - prev->stats[s], n, sizeof(n));
			add_hint(snap, kind, "stats.%s rose by %s in the last %.0f s: %s; raise net.netfilter.nf_conntrack_max "
			               "or shorten the timeouts of what fills the table.",
			         ctscope_stat_name(s), n, interval_s, why);
		} else {
			ctscope_format_count(snap->stats[s], n, sizeof(n));
			add_hint(snap, kind, "stats.%s is %s since the namespace started: %s; if it is still rising, raise "
			               "net.netfilter.nf_conntrack_max.",
			         ctscope_stat_name(s), n, why);
		}
	}
}

void ctscope_hints_compute(struct ctscope_snapshot *snap, const struct ctscope_snapshot *prev, double interval_s)
{
	snap->n_hints = 0;
	hint_fill(snap);
	hint_top_destination(snap);
	hint_long_established(snap);
	hint_udp_unreplied(snap);
	hint_counters(snap, prev, interval_s);
	hint_buckets(snap);
}
