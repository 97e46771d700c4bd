/* json.c — one snapshot as one JSON line, keys exactly as DESIGN.md names
 * them. A value the snapshot marks as unknown (has_x false) is left out,
 * never written as 0; breakdown keys appear only when the mode made them. */
#include <string.h>

#include "cli.h"

static void write_address(struct jsonw *w, const struct ctscope_addr *a)
{
	char buf[CTSCOPE_ADDR_STRLEN];
	ctscope_addr_format(a, buf, sizeof(buf));
	jsonw_string(w, buf);
}

static void write_table(struct jsonw *w, const struct ctscope_snapshot *s)
{
	jsonw_key(w, "table");
	jsonw_object_begin(w);
	jsonw_key(w, "entries");
	jsonw_uint(w, s->table.entries);
	if (s->table.has_max) {
		jsonw_key(w, "max");
		jsonw_uint(w, s->table.max);
		jsonw_key(w, "fill_percent");
		jsonw_fixed(w, s->table.fill_percent, 2);
	}
	if (s->table.has_buckets) {
		jsonw_key(w, "buckets");
		jsonw_uint(w, s->table.buckets);
	}
	if (s->table.has_expectations) {
		jsonw_key(w, "expectations");
		jsonw_uint(w, s->table.expectations);
	}
	jsonw_object_end(w);
}

static void write_stats(struct jsonw *w, const struct ctscope_snapshot *s)
{
	jsonw_key(w, "stats");
	jsonw_object_begin(w);
	for (int i = 0; i < CTSCOPE_STAT_COUNT; i++) {
		if (!s->has_stat[i])
			continue;
		jsonw_key(w, ctscope_stat_name((enum ctscope_stat)i));
		jsonw_uint(w, s->stats[i]);
	}
	jsonw_object_end(w);
}

/* An object of counters indexed by an enum, every key present: in a
 * breakdown 0 is a real count, not an unknown. */
static void write_counters(struct jsonw *w, const char *key, const uint64_t *v, int n, const char *(*name)(int))
{
	jsonw_key(w, key);
	jsonw_object_begin(w);
	for (int i = 0; i < n; i++) {
		jsonw_key(w, name(i));
		jsonw_uint(w, v[i]);
	}
	jsonw_object_end(w);
}

/* Adapters so one loop serves every enum (no casts of function pointers). */
static const char *family_name(int i) { return ctscope_family_name((enum ctscope_family)i); }
static const char *proto_name(int i) { return ctscope_proto_name((enum ctscope_proto)i); }
static const char *tcp_state_name(int i) { return ctscope_tcp_state_name((enum ctscope_tcp_state)i); }
static const char *flag_name(int i) { return ctscope_flag_name((enum ctscope_flag)i); }
static const char *band_name(int i) { return ctscope_timeout_band_name((enum ctscope_timeout_band)i); }

static void write_zones(struct jsonw *w, const struct ctscope_snapshot *s)
{
	jsonw_key(w, "zones");
	jsonw_object_begin(w);
	for (size_t i = 0; i < s->n_zones; i++) {
		char id[8];
		snprintf(id, sizeof(id), "%u", (unsigned)s->zones[i].zone);
		jsonw_key(w, id);
		jsonw_uint(w, s->zones[i].entries);
	}
	jsonw_object_end(w);
}

static void write_tops(struct jsonw *w, const struct ctscope_snapshot *s)
{
	jsonw_key(w, "top_destinations");
	jsonw_array_begin(w);
	for (size_t i = 0; i < s->n_top_destinations; i++) {
		const struct ctscope_top_destination *d = &s->top_destinations[i];
		jsonw_object_begin(w);
		jsonw_key(w, "protocol");
		jsonw_string(w, ctscope_proto_name(d->proto));
		jsonw_key(w, "address");
		write_address(w, &d->addr);
		jsonw_key(w, "port");
		if (d->has_port)
			jsonw_uint(w, d->port);
		else
			jsonw_null(w);
		jsonw_key(w, "entries");
		jsonw_uint(w, d->entries);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);

	jsonw_key(w, "top_sources");
	jsonw_array_begin(w);
	for (size_t i = 0; i < s->n_top_sources; i++) {
		jsonw_object_begin(w);
		jsonw_key(w, "address");
		write_address(w, &s->top_sources[i].addr);
		jsonw_key(w, "entries");
		jsonw_uint(w, s->top_sources[i].entries);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);

	jsonw_key(w, "top_ports");
	jsonw_array_begin(w);
	for (size_t i = 0; i < s->n_top_ports; i++) {
		jsonw_object_begin(w);
		jsonw_key(w, "protocol");
		jsonw_string(w, ctscope_proto_name(s->top_ports[i].proto));
		jsonw_key(w, "port");
		jsonw_uint(w, s->top_ports[i].port);
		jsonw_key(w, "entries");
		jsonw_uint(w, s->top_ports[i].entries);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
}

static void write_breakdown(struct jsonw *w, const struct ctscope_snapshot *s)
{
	write_counters(w, "families", s->families, CTSCOPE_FAMILY_COUNT, family_name);
	write_counters(w, "protocols", s->protocols, CTSCOPE_PROTO_COUNT, proto_name);
	write_counters(w, "tcp_states", s->tcp_states, CTSCOPE_TCP_STATE_COUNT, tcp_state_name);
	write_counters(w, "flags", s->flags, CTSCOPE_FLAG_COUNT, flag_name);
	write_counters(w, "timeouts", s->timeouts, CTSCOPE_TIMEOUT_BAND_COUNT, band_name);
	write_zones(w, s);
	write_tops(w, s);
}

static void write_sysctl(struct jsonw *w, const struct ctscope_snapshot *s)
{
	jsonw_key(w, "sysctl");
	jsonw_object_begin(w);
	for (int i = 0; i < CTSCOPE_SYSCTL_COUNT; i++) {
		if (!s->has_sysctl[i])
			continue;
		jsonw_key(w, ctscope_sysctl_key((enum ctscope_sysctl)i));
		jsonw_uint(w, s->sysctl[i]);
	}
	jsonw_object_end(w);
}

static void write_hints(struct jsonw *w, const struct ctscope_snapshot *s)
{
	jsonw_key(w, "hints");
	jsonw_array_begin(w);
	size_t n = s->n_hints < CTSCOPE_HINTS_MAX ? s->n_hints : CTSCOPE_HINTS_MAX;
	for (size_t i = 0; i < n; i++) {
		/* The buffer is fixed-size: never read past it even if unterminated. */
		char hint[CTSCOPE_HINT_LEN + 1];
		memcpy(hint, s->hints[i], CTSCOPE_HINT_LEN);
		hint[CTSCOPE_HINT_LEN] = '\0';
		jsonw_string(w, hint);
	}
	jsonw_array_end(w);
}

static void write_collector(struct jsonw *w, const struct ctscope_snapshot *s)
{
	jsonw_key(w, "collector");
	jsonw_object_begin(w);
	jsonw_key(w, "duration_ms");
	jsonw_fixed(w, s->collector.duration_ms, 3);
	jsonw_key(w, "entries_scanned");
	jsonw_uint(w, s->collector.entries_scanned);
	if (s->collector.dump_split) {
		jsonw_key(w, "dump_split");
		jsonw_string(w, s->collector.dump_split);
	}
	if (s->collector.has_events) {
		jsonw_key(w, "events");
		jsonw_uint(w, s->collector.events);
		jsonw_key(w, "resyncs");
		jsonw_uint(w, s->collector.resyncs);
		jsonw_key(w, "lost_events");
		jsonw_uint(w, s->collector.lost_events);
	}
	jsonw_object_end(w);
}

int cli_json_snapshot(FILE *out, const struct ctscope_snapshot *s)
{
	struct jsonw w;
	jsonw_init(&w, out);
	jsonw_object_begin(&w);
	jsonw_key(&w, "netns");
	jsonw_string(&w, s->netns); /* NULL (own namespace) becomes null */
	jsonw_key(&w, "mode");
	jsonw_string(&w, ctscope_mode_name(s->mode));
	write_table(&w, s);
	write_stats(&w, s);
	if (s->has_breakdown)
		write_breakdown(&w, s);
	write_sysctl(&w, s);
	write_hints(&w, s);
	write_collector(&w, s);
	jsonw_object_end(&w);
	fputc('\n', out);
	/* Misuse is a bug in this file; the unit tests catch it, and a broken
	 * line must not go out looking valid. */
	if (w.misuse || w.depth != 0)
		return -1;
	return ferror(out) ? -1 : 0;
}
