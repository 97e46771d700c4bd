/* protocol.h — one namespace's snapshot as netdata plugins.d lines.
 *
 * Kept apart from main.c so the unit tests produce the exact text netdata
 * would read, from hand-filled snapshots, without netdata or the kernel.
 * The writer remembers what it already told netdata (charts defined,
 * dimensions alive, when each chart last began) in a struct nd_state, one
 * per namespace; nothing here reads a clock or the kernel.
 */
#ifndef CTSCOPE_NETDATA_PROTOCOL_H
#define CTSCOPE_NETDATA_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctscope.h"

/* In dashboard order: the enum index is added to ND_PRIORITY_BASE. */
enum nd_chart {
	ND_CHART_ENTRIES,
	ND_CHART_FILL,
	ND_CHART_TOP_DESTINATIONS,
	ND_CHART_TOP_SHARE,
	ND_CHART_STATS,
	ND_CHART_TCP_STATES,
	ND_CHART_TIMEOUTS,
	ND_CHART_PROTOCOLS,
	ND_CHART_FAMILIES,
	ND_CHART_FLAGS,
	ND_CHART_ZONES,
	ND_CHART_COLLECTOR,
	ND_CHART_COLLECTOR_SCANNED,
	ND_CHART_COLLECTOR_EVENTS,
	ND_CHART_HINTS,
	ND_CHART_COUNT
};

/* Chart ids ("entries", ...); the context is "ctscope.<id>". */
const char *nd_chart_id(enum nd_chart c);
#define ND_PRIORITY_BASE 8800

#define ND_DIM_ID_LEN 64
#define ND_DIM_NAME_LEN 96

struct nd_dim {
	char id[ND_DIM_ID_LEN];
	char name[ND_DIM_NAME_LEN];
};

/* The dimensions of a chart whose keys come and go (top destinations,
 * zones): only the live ones are kept. A key that left was told to netdata
 * as obsolete and is forgotten; if it comes back it is declared again,
 * which netdata takes as "no longer obsolete". So the set never holds
 * more than one read's worth of keys, however long the plugin runs. */
struct nd_dimset {
	struct nd_dim *dims;
	size_t n, cap;
};

struct nd_chart_state {
	bool defined;       /* CHART line sent */
	bool begun;         /* at least one BEGIN sent */
	uint64_t last_usec; /* monotonic time of the last BEGIN */
};

struct nd_state {
	char type[80];         /* "ctscope" or "ctscope_<label>" */
	char family[80];       /* dashboard submenu: one per namespace */
	unsigned update_every;
	struct nd_chart_state charts[ND_CHART_COUNT];
	struct nd_dimset top, zones;
	bool stat_declared[CTSCOPE_STAT_COUNT];
};

/* label: the namespace's safe label, "" for the process's own namespace. */
void nd_state_init(struct nd_state *st, const char *label, unsigned update_every);
void nd_state_free(struct nd_state *st);

/* Writes the lines for one successful read of the namespace: chart and
 * dimension definitions that are new or changed, then BEGIN/SET/END for
 * every chart. now_usec is the monotonic time of the read; the writer sends
 * the microseconds since each chart's previous BEGIN (none on its first).
 * Returns 0, or -1 when memory ran out (nothing is written then). Stream
 * errors are left for the caller to find with ferror/fflush. */
int nd_write_snapshot(FILE *out, struct nd_state *st, const struct ctscope_snapshot *snap, uint64_t now_usec);

/* The dimension id for a destination: its text with every byte that is not
 * a letter or digit turned into '_' ("tcp_2a00_1450_400b_c02__bc_5228").
 * inet_ntop's canonical text keeps that one-to-one: a dotted quad has four
 * groups, a full IPv6 address eight, a compressed one contains "__". */
void nd_destination_id(const struct ctscope_top_destination *d, char *buf, size_t len);

#endif
