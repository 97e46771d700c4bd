/* protocol.c — maps one snapshot to netdata's plugins.d lines.
 *
 * Every chart of a namespace shares one family (the dashboard submenu), so
 * two namespaces never mix in one submenu, and one context per chart id
 * ("ctscope.entries"), so a health template covers every namespace.
 * A value the core could not read is never SET: netdata then shows a gap,
 * which is the truth, where a 0 would be a lie.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

struct chart_def {
	const char *id;
	const char *title;
	const char *units;
	const char *charttype;
};

/* "stacked" only where the dimensions split the whole table, each entry
 * in exactly one of them; flags overlap (an entry can be assured and
 * NAT'ed), top destinations and zones cover only part of the table. */
static const struct chart_def chart_defs[ND_CHART_COUNT] = {
	[ND_CHART_ENTRIES] = {"entries", "Conntrack table entries", "entries", "line"},
	[ND_CHART_FILL] = {"fill", "Conntrack table fill, entries / nf_conntrack_max", "%", "area"},
	[ND_CHART_TOP_DESTINATIONS] = {"top_destinations", "Conntrack entries of the top destinations", "entries",
	                               "line"},
	[ND_CHART_TOP_SHARE] = {"top_share", "Share of the table held by the largest destination", "%", "area"},
	[ND_CHART_STATS] = {"stats", "Conntrack kernel counters, summed over CPUs", "events/s", "line"},
	[ND_CHART_TCP_STATES] = {"tcp_states", "Conntrack TCP entries by state", "entries", "stacked"},
	[ND_CHART_TIMEOUTS] = {"timeouts", "Conntrack entries by remaining timeout", "entries", "stacked"},
	[ND_CHART_PROTOCOLS] = {"protocols", "Conntrack entries by protocol", "entries", "stacked"},
	[ND_CHART_FAMILIES] = {"families", "Conntrack entries by address family", "entries", "stacked"},
	[ND_CHART_FLAGS] = {"flags", "Conntrack entries by status flag", "entries", "line"},
	[ND_CHART_ZONES] = {"zones", "Conntrack entries by zone, non-zero zones only", "entries", "line"},
	[ND_CHART_COLLECTOR] = {"collector", "ctscope read duration", "ms", "line"},
	[ND_CHART_COLLECTOR_SCANNED] = {"collector_scanned", "ctscope entries scanned per read", "entries", "line"},
	[ND_CHART_COLLECTOR_EVENTS] = {"collector_events", "ctscope conntrack event stream", "events/s", "line"},
	[ND_CHART_HINTS] = {"hints", "ctscope hints in force (1: it applies; run ctscope for the sentence)", "hints",
	                    "line"},
};

const char *nd_chart_id(enum nd_chart c)
{
	return (unsigned)c < ND_CHART_COUNT ? chart_defs[c].id : "?";
}

void nd_state_init(struct nd_state *st, const char *label, unsigned update_every)
{
	memset(st, 0, sizeof(*st));
	st->update_every = update_every ? update_every : 1;
	if (!label || !label[0]) {
		snprintf(st->type, sizeof(st->type), "ctscope");
		snprintf(st->family, sizeof(st->family), "conntrack");
	} else {
		snprintf(st->type, sizeof(st->type), "ctscope_%s", label);
		snprintf(st->family, sizeof(st->family), "netns %s", label);
	}
}

static void dimset_free(struct nd_dimset *s)
{
	free(s->dims);
	memset(s, 0, sizeof(*s));
}

void nd_state_free(struct nd_state *st)
{
	dimset_free(&st->top);
	dimset_free(&st->zones);
}

void nd_destination_id(const struct ctscope_top_destination *d, char *buf, size_t len)
{
	if (len == 0)
		return;
	char addr[CTSCOPE_ADDR_STRLEN];
	ctscope_addr_format(&d->addr, addr, sizeof(addr));
	if (d->has_port)
		snprintf(buf, len, "%s_%s_%u", ctscope_proto_name(d->proto), addr, d->port);
	else
		snprintf(buf, len, "%s_%s", ctscope_proto_name(d->proto), addr);
	for (char *p = buf; *p; p++)
		if (!isalnum((unsigned char)*p))
			*p = '_';
}

/* ---- line writers ------------------------------------------------------ */

static void chart_line(FILE *out, const struct nd_state *st, enum nd_chart c)
{
	const struct chart_def *d = &chart_defs[c];
	/* No namespace in the title: netdata appends the chart id, which has it. */
	fprintf(out, "CHART %s.%s '' '%s' '%s' '%s' 'ctscope.%s' %s %d %u '' 'ctscope.plugin' 'conntrack'\n",
	        st->type, d->id, d->title, d->units, st->family, d->id, d->charttype,
	        ND_PRIORITY_BASE + (int)c, st->update_every);
}

static void dim_line(FILE *out, const char *id, const char *name, const char *algorithm, long divisor,
                     bool obsolete)
{
	/* The name is repeated on the obsolete line: netdata 1.37 keeps the
	 * old name when given '', but repeating it is right for any version. */
	fprintf(out, "DIMENSION %s '%s' %s 1 %ld%s\n", id, name, algorithm, divisor, obsolete ? " obsolete" : "");
}

static void begin_line(FILE *out, struct nd_state *st, enum nd_chart c, uint64_t now_usec)
{
	struct nd_chart_state *cs = &st->charts[c];
	/* No duration on a chart's first BEGIN: netdata has nothing to
	 * measure it against yet. */
	if (cs->begun && now_usec > cs->last_usec)
		fprintf(out, "BEGIN %s.%s %" PRIu64 "\n", st->type, chart_defs[c].id, now_usec - cs->last_usec);
	else
		fprintf(out, "BEGIN %s.%s\n", st->type, chart_defs[c].id);
	cs->begun = true;
	cs->last_usec = now_usec;
}

static void set_line(FILE *out, const char *id, uint64_t v)
{
	/* netdata's collected numbers are signed 64-bit. */
	fprintf(out, "SET %s = %" PRId64 "\n", id, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static void end_line(FILE *out)
{
	fputs("END\n", out);
}

/* ---- charts whose dimensions are one enum ------------------------------ */

struct enum_chart {
	enum nd_chart chart;
	size_t count;
	const char *(*name)(size_t i);
	const uint64_t *(*values)(const struct ctscope_snapshot *s);
};

static const char *family_name(size_t i) { return ctscope_family_name((enum ctscope_family)i); }
static const char *proto_name(size_t i) { return ctscope_proto_name((enum ctscope_proto)i); }
static const char *tcp_state_name(size_t i) { return ctscope_tcp_state_name((enum ctscope_tcp_state)i); }
static const char *flag_name(size_t i) { return ctscope_flag_name((enum ctscope_flag)i); }
static const char *band_name(size_t i) { return ctscope_timeout_band_name((enum ctscope_timeout_band)i); }
static const uint64_t *families_of(const struct ctscope_snapshot *s) { return s->families; }
static const uint64_t *protocols_of(const struct ctscope_snapshot *s) { return s->protocols; }
static const uint64_t *tcp_states_of(const struct ctscope_snapshot *s) { return s->tcp_states; }
static const uint64_t *flags_of(const struct ctscope_snapshot *s) { return s->flags; }
static const uint64_t *timeouts_of(const struct ctscope_snapshot *s) { return s->timeouts; }

static const struct enum_chart enum_charts[] = {
	{ND_CHART_TCP_STATES, CTSCOPE_TCP_STATE_COUNT, tcp_state_name, tcp_states_of},
	{ND_CHART_TIMEOUTS, CTSCOPE_TIMEOUT_BAND_COUNT, band_name, timeouts_of},
	{ND_CHART_PROTOCOLS, CTSCOPE_PROTO_COUNT, proto_name, protocols_of},
	{ND_CHART_FAMILIES, CTSCOPE_FAMILY_COUNT, family_name, families_of},
	{ND_CHART_FLAGS, CTSCOPE_FLAG_COUNT, flag_name, flags_of},
};

static void write_enum_chart(FILE *out, struct nd_state *st, const struct enum_chart *ec,
                             const struct ctscope_snapshot *snap, uint64_t now_usec)
{
	if (!st->charts[ec->chart].defined) {
		chart_line(out, st, ec->chart);
		for (size_t i = 0; i < ec->count; i++)
			dim_line(out, ec->name(i), ec->name(i), "absolute", 1, false);
		st->charts[ec->chart].defined = true;
	}
	const uint64_t *v = ec->values(snap);
	begin_line(out, st, ec->chart, now_usec);
	for (size_t i = 0; i < ec->count; i++)
		set_line(out, ec->name(i), v[i]);
	end_line(out);
}

/* ---- charts whose dimensions come and go ------------------------------- */

struct keyed {
	struct nd_dim dim;
	uint64_t value;
	size_t order; /* position in the snapshot */
	bool duplicate;
};

static int keyed_by_id(const void *a, const void *b)
{
	const struct keyed *x = *(const struct keyed *const *)a, *y = *(const struct keyed *const *)b;
	int r = strcmp(x->dim.id, y->dim.id);
	return r ? r : (x->order > y->order) - (x->order < y->order);
}

static int dim_by_id(const void *a, const void *b)
{
	return strcmp(((const struct nd_dim *)a)->id, ((const struct nd_dim *)b)->id);
}

static bool dimset_has(const struct nd_dimset *s, const char *id)
{
	struct nd_dim key;
	snprintf(key.id, sizeof(key.id), "%s", id);
	return s->n && bsearch(&key, s->dims, s->n, sizeof(*s->dims), dim_by_id);
}

/* Declares what changed since the last read (new keys, keys that left),
 * then writes this read's values. cur is in snapshot order; the set is kept
 * sorted by id so each lookup is a binary search, which matters with
 * thousands of zones or --top 1000. */
static int write_keyed_chart(FILE *out, struct nd_state *st, enum nd_chart c, struct nd_dimset *set,
                             struct keyed *cur, size_t n, uint64_t now_usec)
{
	struct keyed **sorted = calloc(n ? n : 1, sizeof(*sorted));
	struct nd_dim *next = calloc(n ? n : 1, sizeof(*next));
	if (!sorted || !next) {
		free(sorted);
		free(next);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = &cur[i];
	qsort(sorted, n, sizeof(*sorted), keyed_by_id);
	size_t n_next = 0;
	for (size_t i = 0; i < n; i++) {
		/* Two entries of a snapshot with one id would SET it twice;
		 * the first in snapshot order wins. */
		if (i > 0 && strcmp(sorted[i]->dim.id, sorted[i - 1]->dim.id) == 0)
			sorted[i]->duplicate = true;
		else
			next[n_next++] = sorted[i]->dim;
	}
	free(sorted);

	struct nd_chart_state *cs = &st->charts[c];
	bool changed = !cs->defined && n_next > 0;
	for (size_t i = 0; i < set->n && !changed; i++)
		changed = !bsearch(&set->dims[i], next, n_next, sizeof(*next), dim_by_id);
	for (size_t i = 0; i < n && !changed; i++)
		changed = !cur[i].duplicate && !dimset_has(set, cur[i].dim.id);

	if (changed) {
		chart_line(out, st, c);
		for (size_t i = 0; i < set->n; i++)
			if (!bsearch(&set->dims[i], next, n_next, sizeof(*next), dim_by_id))
				dim_line(out, set->dims[i].id, set->dims[i].name, "absolute", 1, true);
		for (size_t i = 0; i < n; i++)
			if (!cur[i].duplicate && !dimset_has(set, cur[i].dim.id))
				dim_line(out, cur[i].dim.id, cur[i].dim.name, "absolute", 1, false);
		cs->defined = true;
	}
	free(set->dims);
	set->dims = next;
	set->n = set->cap = n_next;

	/* Until the first key appears the chart does not exist: an empty
	 * chart would only clutter the dashboard. */
	if (!cs->defined)
		return 0;
	begin_line(out, st, c, now_usec);
	for (size_t i = 0; i < n; i++)
		if (!cur[i].duplicate)
			set_line(out, cur[i].dim.id, cur[i].value);
	end_line(out);
	return 0;
}

static int write_top_destinations(FILE *out, struct nd_state *st, const struct ctscope_snapshot *snap,
                                  uint64_t now_usec)
{
	size_t n = snap->n_top_destinations;
	struct keyed *cur = calloc(n ? n : 1, sizeof(*cur));
	if (!cur)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct ctscope_top_destination *d = &snap->top_destinations[i];
		nd_destination_id(d, cur[i].dim.id, sizeof(cur[i].dim.id));
		ctscope_destination_format(d, cur[i].dim.name, sizeof(cur[i].dim.name));
		cur[i].value = d->entries;
		cur[i].order = i;
	}
	int r = write_keyed_chart(out, st, ND_CHART_TOP_DESTINATIONS, &st->top, cur, n, now_usec);
	free(cur);
	return r;
}

static int write_zones(FILE *out, struct nd_state *st, const struct ctscope_snapshot *snap, uint64_t now_usec)
{
	size_t n = snap->n_zones;
	struct keyed *cur = calloc(n ? n : 1, sizeof(*cur));
	if (!cur)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* The id is the key of the JSON zones{} object, the zone number. */
		snprintf(cur[i].dim.id, sizeof(cur[i].dim.id), "%u", snap->zones[i].zone);
		snprintf(cur[i].dim.name, sizeof(cur[i].dim.name), "zone %u", snap->zones[i].zone);
		cur[i].value = snap->zones[i].entries;
		cur[i].order = i;
	}
	int r = write_keyed_chart(out, st, ND_CHART_ZONES, &st->zones, cur, n, now_usec);
	free(cur);
	return r;
}

/* The largest destination's part of this dump, the number the alarm on
 * "one destination fills the table" needs: netdata's health lookups sum
 * or average a chart's dimensions, they cannot take the largest of them.
 * The dump's own total (the families add up to it) is the denominator,
 * not table.entries, which the kernel counted at another instant. */
static void write_top_share(FILE *out, struct nd_state *st, const struct ctscope_snapshot *snap, uint64_t now_usec)
{
	if (!st->charts[ND_CHART_TOP_SHARE].defined) {
		chart_line(out, st, ND_CHART_TOP_SHARE);
		dim_line(out, "top1", "largest destination", "absolute", 1000, false);
		st->charts[ND_CHART_TOP_SHARE].defined = true;
	}
	uint64_t total = 0, top = snap->n_top_destinations ? snap->top_destinations[0].entries : 0;
	for (size_t i = 0; i < CTSCOPE_FAMILY_COUNT; i++)
		total += snap->families[i];
	begin_line(out, st, ND_CHART_TOP_SHARE, now_usec);
	/* An empty table has no largest destination, which is a share of 0. */
	uint64_t milli = total ? (uint64_t)llround((double)(top < total ? top : total) * 100000.0 / (double)total) : 0;
	set_line(out, "top1", milli);
	end_line(out);
}

/* ---- the fixed charts -------------------------------------------------- */

static void write_table(FILE *out, struct nd_state *st, const struct ctscope_snapshot *snap, uint64_t now_usec)
{
	if (!st->charts[ND_CHART_ENTRIES].defined) {
		chart_line(out, st, ND_CHART_ENTRIES);
		dim_line(out, "entries", "entries", "absolute", 1, false);
		dim_line(out, "max", "max", "absolute", 1, false);
		st->charts[ND_CHART_ENTRIES].defined = true;
	}
	begin_line(out, st, ND_CHART_ENTRIES, now_usec);
	set_line(out, "entries", snap->table.entries);
	if (snap->table.has_max)
		set_line(out, "max", snap->table.max);
	end_line(out);

	/* Thousandths of a percent: SET takes integers only. */
	if (!st->charts[ND_CHART_FILL].defined) {
		chart_line(out, st, ND_CHART_FILL);
		dim_line(out, "used", "used", "absolute", 1000, false);
		st->charts[ND_CHART_FILL].defined = true;
	}
	begin_line(out, st, ND_CHART_FILL, now_usec);
	if (snap->table.has_max && isfinite(snap->table.fill_percent) && snap->table.fill_percent >= 0)
		set_line(out, "used", (uint64_t)llround(snap->table.fill_percent * 1000.0));
	end_line(out);
}

/* A counter this kernel does not have stays undeclared instead of
 * becoming a dimension that is empty forever; one that shows up later
 * (the core retried) is declared then. */
static void write_stats(FILE *out, struct nd_state *st, const struct ctscope_snapshot *snap, uint64_t now_usec)
{
	bool any = false, fresh = false;
	for (size_t i = 0; i < CTSCOPE_STAT_COUNT; i++) {
		any |= snap->has_stat[i] || st->stat_declared[i];
		fresh |= snap->has_stat[i] && !st->stat_declared[i];
	}
	if (!any)
		return;
	if (fresh) {
		chart_line(out, st, ND_CHART_STATS);
		for (size_t i = 0; i < CTSCOPE_STAT_COUNT; i++) {
			if (snap->has_stat[i] && !st->stat_declared[i]) {
				const char *name = ctscope_stat_name((enum ctscope_stat)i);
				dim_line(out, name, name, "incremental", 1, false);
				st->stat_declared[i] = true;
			}
		}
		st->charts[ND_CHART_STATS].defined = true;
	}
	begin_line(out, st, ND_CHART_STATS, now_usec);
	for (size_t i = 0; i < CTSCOPE_STAT_COUNT; i++)
		if (snap->has_stat[i])
			set_line(out, ctscope_stat_name((enum ctscope_stat)i), snap->stats[i]);
	end_line(out);
}

static void write_collector(FILE *out, struct nd_state *st, const struct ctscope_snapshot *snap, uint64_t now_usec)
{
	/* Microseconds, shown as milliseconds with three decimals. */
	if (!st->charts[ND_CHART_COLLECTOR].defined) {
		chart_line(out, st, ND_CHART_COLLECTOR);
		dim_line(out, "duration", "duration", "absolute", 1000, false);
		st->charts[ND_CHART_COLLECTOR].defined = true;
	}
	begin_line(out, st, ND_CHART_COLLECTOR, now_usec);
	double ms = snap->collector.duration_ms;
	if (isfinite(ms) && ms >= 0)
		set_line(out, "duration", (uint64_t)llround(ms * 1000.0));
	end_line(out);

	if (!st->charts[ND_CHART_COLLECTOR_SCANNED].defined) {
		chart_line(out, st, ND_CHART_COLLECTOR_SCANNED);
		dim_line(out, "scanned", "scanned", "absolute", 1, false);
		st->charts[ND_CHART_COLLECTOR_SCANNED].defined = true;
	}
	begin_line(out, st, ND_CHART_COLLECTOR_SCANNED, now_usec);
	set_line(out, "scanned", snap->collector.entries_scanned);
	end_line(out);

	if (!snap->collector.has_events)
		return;
	if (!st->charts[ND_CHART_COLLECTOR_EVENTS].defined) {
		chart_line(out, st, ND_CHART_COLLECTOR_EVENTS);
		dim_line(out, "events", "events", "incremental", 1, false);
		dim_line(out, "resyncs", "resyncs", "incremental", 1, false);
		dim_line(out, "lost_events", "lost events", "incremental", 1, false);
		st->charts[ND_CHART_COLLECTOR_EVENTS].defined = true;
	}
	begin_line(out, st, ND_CHART_COLLECTOR_EVENTS, now_usec);
	set_line(out, "events", snap->collector.events);
	set_line(out, "resyncs", snap->collector.resyncs);
	set_line(out, "lost_events", snap->collector.lost_events);
	end_line(out);
}

/* One dimension per kind of hint, 1 while the hint applies: the alarms in
 * health.d name the sysctl for the kinds no other chart shows. */
static void write_hints(FILE *out, struct nd_state *st, const struct ctscope_snapshot *snap, uint64_t now_usec)
{
	if (!st->charts[ND_CHART_HINTS].defined) {
		chart_line(out, st, ND_CHART_HINTS);
		for (unsigned k = 0; k < CTSCOPE_HINT_KIND_COUNT; k++) {
			const char *name = ctscope_hint_kind_name((enum ctscope_hint_kind)k);
			dim_line(out, name, name, "absolute", 1, false);
		}
		st->charts[ND_CHART_HINTS].defined = true;
	}
	bool on[CTSCOPE_HINT_KIND_COUNT] = { false };
	for (size_t i = 0; i < snap->n_hints; i++)
		if ((unsigned)snap->hint_kinds[i] < CTSCOPE_HINT_KIND_COUNT)
			on[snap->hint_kinds[i]] = true;
	begin_line(out, st, ND_CHART_HINTS, now_usec);
	for (unsigned k = 0; k < CTSCOPE_HINT_KIND_COUNT; k++)
		set_line(out, ctscope_hint_kind_name((enum ctscope_hint_kind)k), on[k]);
	end_line(out);
}

int nd_write_snapshot(FILE *out, struct nd_state *st, const struct ctscope_snapshot *snap, uint64_t now_usec)
{
	/* The keyed charts allocate; do them into memory first so that running
	 * out of memory leaves nothing half-written on the real stream. */
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return -1;
	struct nd_state saved = *st;
	int r = 0;

	write_table(mem, st, snap, now_usec);
	if (snap->has_breakdown) {
		r = write_top_destinations(mem, st, snap, now_usec);
		write_top_share(mem, st, snap, now_usec);
	}
	write_stats(mem, st, snap, now_usec);
	if (snap->has_breakdown && r == 0) {
		for (size_t i = 0; i < sizeof(enum_charts) / sizeof(enum_charts[0]); i++)
			write_enum_chart(mem, st, &enum_charts[i], snap, now_usec);
		r = write_zones(mem, st, snap, now_usec);
	}
	write_collector(mem, st, snap, now_usec);
	write_hints(mem, st, snap, now_usec);

	if (fclose(mem) != 0 || r != 0) {
		free(buf);
		/* Nothing was sent: roll back what the writer believes netdata
		 * knows. The keyed sets may already hold keys never declared; a
		 * SET on an undeclared dimension makes netdata disable the
		 * plugin, so forget them and the chart, and declare everything
		 * again on the next read (declaring twice is harmless). */
		memcpy(st->charts, saved.charts, sizeof(st->charts));
		memcpy(st->stat_declared, saved.stat_declared, sizeof(st->stat_declared));
		dimset_free(&st->top);
		dimset_free(&st->zones);
		st->charts[ND_CHART_TOP_DESTINATIONS].defined = false;
		st->charts[ND_CHART_ZONES].defined = false;
		return -1;
	}
	fwrite(buf, 1, len, out);
	free(buf);
	return 0;
}
