/* mapping.h — a ctscope snapshot as collectd value lists.
 *
 * Deliberately free of collectd's headers: the mapping is a pure function of
 * the snapshot, so it hands each value to a callback as a small struct and
 * ctscope.c copies that into a value_list_t. The unit test then records the
 * values with its own callback instead of redefining plugin_dispatch_values,
 * and needs neither collectd's include flags nor the daemon's symbols. */
#ifndef CTSCOPE_CD_MAPPING_H
#define CTSCOPE_CD_MAPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctscope.h"

/* collectd's DATA_MAX_NAME_LEN; ctscope.c checks the two agree. */
#define CTSCOPE_CD_NAME_LEN 128

/* The breakdowns, each a plugin_instance (after the namespace prefix). */
enum ctscope_cd_breakdown {
	CTSCOPE_CD_BD_FAMILY = 1u << 0,
	CTSCOPE_CD_BD_PROTOCOL = 1u << 1,
	CTSCOPE_CD_BD_TCP_STATE = 1u << 2,
	CTSCOPE_CD_BD_FLAGS = 1u << 3,
	CTSCOPE_CD_BD_TIMEOUT = 1u << 4,
	CTSCOPE_CD_BD_ZONE = 1u << 5,
	CTSCOPE_CD_BD_TOP_DESTINATION = 1u << 6,
};
#define CTSCOPE_CD_BD_ALL 0x7fu
#define CTSCOPE_CD_BD_COUNT 7

/* "family", "protocol", "tcp_state", "flags", "timeout", "zone",
 * "top_destination" for bit i (0..CTSCOPE_CD_BD_COUNT-1). */
const char *ctscope_cd_breakdown_name(unsigned i);

struct ctscope_cd_value {
	const char *plugin; /* always "ctscope" */
	char plugin_instance[CTSCOPE_CD_NAME_LEN];
	const char *type; /* "conntrack", "percent" (GAUGE) or "derive" */
	char type_instance[CTSCOPE_CD_NAME_LEN];
	bool is_derive;
	double gauge;
	int64_t derive;
	uint64_t time_ms; /* the snapshot's read time, 0 if unknown */
};

/* Returns 0, or non-zero when the value could not be dispatched. */
typedef int (*ctscope_cd_emit_fn)(const struct ctscope_cd_value *v, void *ctx);

/* Emits every value the snapshot holds, in a fixed order: entries, max,
 * percent used, the kernel counters, then the selected breakdowns. Values
 * the snapshot does not have (has_max, has_stat, has_breakdown false) are
 * left out, never sent as 0. Returns the number of values emit refused. */
unsigned ctscope_cd_map(const struct ctscope_snapshot *snap, unsigned breakdowns, ctscope_cd_emit_fn emit, void *ctx);

/* ---- hints as notifications ----------------------------------------------
 *
 * A hint that appears becomes a warning notification carrying its sentence
 * (the sysctl to change); one that goes away, an okay notification. A hint
 * that stays says nothing more, though its figures change: collectd's
 * notification chain (logfile, syslog, notify_email, ...) hears of a
 * problem once, and of its end once. */

/* collectd's NOTIF_MAX_MSG_LEN; ctscope.c checks the two agree. */
#define CTSCOPE_CD_MESSAGE_LEN 256

/* What the last read said, per namespace. */
struct ctscope_cd_hint_state {
	bool active[CTSCOPE_HINT_KIND_COUNT];
	char sentence[CTSCOPE_HINT_KIND_COUNT][CTSCOPE_HINT_LEN];
};

struct ctscope_cd_notification {
	bool okay; /* false: a warning */
	const char *plugin; /* always "ctscope" */
	char plugin_instance[CTSCOPE_CD_NAME_LEN]; /* the namespace label, "" for collectd's own */
	const char *type; /* "conntrack" */
	char type_instance[CTSCOPE_CD_NAME_LEN]; /* the hint's kind: "fill", "top_destination", ... */
	/* the sentence, cut at a word with "..." when longer than collectd
	 * carries; full_sentence always whole (ctscope.c adds it as the
	 * notification's meta data "hint") */
	char message[CTSCOPE_CD_MESSAGE_LEN];
	const char *full_sentence;
	uint64_t time_ms;
};

/* Returns 0, or non-zero when the notification could not be dispatched. */
typedef int (*ctscope_cd_notify_fn)(const struct ctscope_cd_notification *n, void *ctx);

/* Compares the snapshot's hints with *state, notifies what appeared (in the
 * snapshot's order) and then what went, and updates *state. Returns the
 * number of notifications notify refused. */
unsigned ctscope_cd_notify_hints(const struct ctscope_snapshot *snap, struct ctscope_cd_hint_state *state,
                                 ctscope_cd_notify_fn notify, void *ctx);

/* ---- top_destination type instances ------------------------------------
 *
 * "<protocol>-<address>[-<port>]" with only [a-z0-9_-]: safe as a file name
 * and as one Graphite path component.
 *   tcp 192.0.2.1:443               -> tcp-192_0_2_1-443
 *   tcp [2a00:1450:400b:c02::bc]:5228 -> tcp-2a00_1450_400b_c02__bc-5228
 *   icmp 192.0.2.1                  -> icmp-192_0_2_1
 * IPv4 '.' and IPv6 ':' both become '_'. It stays reversible because an
 * IPv6 address is always written in hex groups (RFC 5952 compression, never
 * the dotted "::ffff:1.2.3.4" form): four groups without an empty one can only
 * be IPv4, anything else is IPv6. */
#define CTSCOPE_CD_KEY_LEN 64

/* Returns 0, or -1 (buf "") for an address family other than IPv4/IPv6. */
int ctscope_cd_destination_key(const struct ctscope_top_destination *d, char *buf, size_t len);

/* The inverse: fills proto, addr, has_port, port. Returns -1 for anything
 * ctscope_cd_destination_key would not have written. */
int ctscope_cd_destination_parse(const char *key, struct ctscope_top_destination *d);

#endif
