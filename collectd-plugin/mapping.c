/* mapping.c — which collectd identifier each number of a snapshot gets
 * (DESIGN.md, "collectd"). The stock conntrack plugin's names for the table
 * itself, so existing graphs and alerts keep working when ctscope replaces
 * it; type "conntrack" for every breakdown so one types.db entry fits all. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mapping.h"

static const char *const breakdown_names[CTSCOPE_CD_BD_COUNT] = {
	"family", "protocol", "tcp_state", "flags", "timeout", "zone", "top_destination",
};

const char *ctscope_cd_breakdown_name(unsigned i)
{
	return i < CTSCOPE_CD_BD_COUNT ? breakdown_names[i] : "?";
}

struct mapper {
	const struct ctscope_snapshot *snap;
	ctscope_cd_emit_fn emit;
	void *ctx;
	unsigned refused;
};

/* The namespace label prefixes every plugin_instance; the process's own
 * namespace has the label "" and so plain names, like the stock plugin. */
static void plugin_instance(const struct mapper *m, const char *what, char *buf, size_t len)
{
	const char *label = m->snap->netns_label;
	if (what == NULL)
		snprintf(buf, len, "%s", label);
	else if (label[0] == '\0')
		snprintf(buf, len, "%s", what);
	else
		snprintf(buf, len, "%s-%s", label, what);
}

static void put(struct mapper *m, const char *what, const char *type, const char *type_instance, bool is_derive,
                double gauge, uint64_t derive)
{
	struct ctscope_cd_value v = {
		.plugin = "ctscope",
		.type = type,
		.is_derive = is_derive,
		.gauge = gauge,
		/* collectd's derive_t is signed; a kernel counter past 2^63 would
		 * need centuries at any packet rate, so the cast only matters in
		 * theory, and then DERIVE's wrap handling copes. */
		.derive = (int64_t)derive,
		.time_ms = m->snap->time_ms,
	};
	plugin_instance(m, what, v.plugin_instance, sizeof(v.plugin_instance));
	snprintf(v.type_instance, sizeof(v.type_instance), "%s", type_instance ? type_instance : "");
	if (m->emit(&v, m->ctx) != 0)
		m->refused++;
}

static void put_count(struct mapper *m, const char *what, const char *key, uint64_t n)
{
	put(m, what, "conntrack", key, false, (double)n, 0);
}

static void map_table(struct mapper *m)
{
	const struct ctscope_snapshot *s = m->snap;
	put_count(m, NULL, NULL, s->table.entries);
	if (s->table.has_max) {
		put_count(m, NULL, "max", s->table.max);
		put(m, NULL, "percent", "used", false, s->table.fill_percent, 0);
	}
	for (unsigned i = 0; i < CTSCOPE_STAT_COUNT; i++)
		if (s->has_stat[i])
			put(m, "stats", "derive", ctscope_stat_name((enum ctscope_stat)i), true, 0, s->stats[i]);
}

static void map_zones(struct mapper *m)
{
	char key[16];
	for (size_t i = 0; i < m->snap->n_zones; i++) {
		snprintf(key, sizeof(key), "%u", (unsigned)m->snap->zones[i].zone);
		put_count(m, "zone", key, m->snap->zones[i].entries);
	}
}

static void map_top_destinations(struct mapper *m)
{
	char key[CTSCOPE_CD_KEY_LEN];
	for (size_t i = 0; i < m->snap->n_top_destinations; i++) {
		const struct ctscope_top_destination *d = &m->snap->top_destinations[i];
		/* The core only lists IPv4/IPv6 destinations; anything else has no
		 * spelling, and counting it as refused makes the read report it. */
		if (ctscope_cd_destination_key(d, key, sizeof(key)) != 0) {
			m->refused++;
			continue;
		}
		put_count(m, "top_destination", key, d->entries);
	}
}

unsigned ctscope_cd_map(const struct ctscope_snapshot *snap, unsigned breakdowns, ctscope_cd_emit_fn emit, void *ctx)
{
	struct mapper m = { .snap = snap, .emit = emit, .ctx = ctx };
	map_table(&m);
	if (!snap->has_breakdown)
		return m.refused;

	if (breakdowns & CTSCOPE_CD_BD_FAMILY)
		for (unsigned i = 0; i < CTSCOPE_FAMILY_COUNT; i++)
			put_count(&m, "family", ctscope_family_name((enum ctscope_family)i), snap->families[i]);
	if (breakdowns & CTSCOPE_CD_BD_PROTOCOL)
		for (unsigned i = 0; i < CTSCOPE_PROTO_COUNT; i++)
			put_count(&m, "protocol", ctscope_proto_name((enum ctscope_proto)i), snap->protocols[i]);
	if (breakdowns & CTSCOPE_CD_BD_TCP_STATE)
		for (unsigned i = 0; i < CTSCOPE_TCP_STATE_COUNT; i++)
			put_count(&m, "tcp_state", ctscope_tcp_state_name((enum ctscope_tcp_state)i), snap->tcp_states[i]);
	if (breakdowns & CTSCOPE_CD_BD_FLAGS)
		for (unsigned i = 0; i < CTSCOPE_FLAG_COUNT; i++)
			put_count(&m, "flags", ctscope_flag_name((enum ctscope_flag)i), snap->flags[i]);
	if (breakdowns & CTSCOPE_CD_BD_TIMEOUT)
		for (unsigned i = 0; i < CTSCOPE_TIMEOUT_BAND_COUNT; i++)
			put_count(&m, "timeout", ctscope_timeout_band_name((enum ctscope_timeout_band)i), snap->timeouts[i]);
	if (breakdowns & CTSCOPE_CD_BD_ZONE)
		map_zones(&m);
	if (breakdowns & CTSCOPE_CD_BD_TOP_DESTINATION)
		map_top_destinations(&m);
	return m.refused;
}

/* The sentence as a notification message: whole when it fits, else cut
 * after the last whole word that leaves room for "...". */
static void fit_message(const char *prefix, const char *sentence, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", prefix, sentence);
	if (n < 0 || (size_t)n < len)
		return;
	size_t end = len - 4; /* room for "..." and the terminator */
	while (end > 0 && buf[end] != ' ')
		end--;
	if (end == 0)
		end = len - 4;
	memcpy(buf + end, "...", 4);
}

static unsigned notify_one(const struct mapper *m, bool okay, enum ctscope_hint_kind kind, const char *sentence,
                           ctscope_cd_notify_fn notify, void *ctx)
{
	struct ctscope_cd_notification n = {
		.okay = okay,
		.plugin = "ctscope",
		.type = "conntrack",
		.full_sentence = sentence,
		.time_ms = m->snap->time_ms,
	};
	plugin_instance(m, NULL, n.plugin_instance, sizeof(n.plugin_instance));
	snprintf(n.type_instance, sizeof(n.type_instance), "%s", ctscope_hint_kind_name(kind));
	fit_message(okay ? "No longer: " : "", sentence, n.message, sizeof(n.message));
	return notify(&n, ctx) != 0;
}

unsigned ctscope_cd_notify_hints(const struct ctscope_snapshot *snap, struct ctscope_cd_hint_state *state,
                                 ctscope_cd_notify_fn notify, void *ctx)
{
	const struct mapper m = { .snap = snap };
	bool now[CTSCOPE_HINT_KIND_COUNT] = { false };
	unsigned refused = 0;
	for (size_t i = 0; i < snap->n_hints; i++) {
		enum ctscope_hint_kind k = snap->hint_kinds[i];
		if ((unsigned)k >= CTSCOPE_HINT_KIND_COUNT || now[k])
			continue; /* one per kind, as the core promises */
		now[k] = true;
		if (!state->active[k])
			refused += notify_one(&m, false, k, snap->hints[i], notify, ctx);
		/* kept current: the okay notification quotes the last figures */
		snprintf(state->sentence[k], sizeof(state->sentence[k]), "%s", snap->hints[i]);
	}
	for (unsigned k = 0; k < CTSCOPE_HINT_KIND_COUNT; k++) {
		if (state->active[k] && !now[k])
			refused += notify_one(&m, true, (enum ctscope_hint_kind)k, state->sentence[k], notify, ctx);
		state->active[k] = now[k];
	}
	return refused;
}
