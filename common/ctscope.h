/* ctscope.h — the one public header of libctscope.
 *
 * Data flows one way: source -> entry -> summary -> snapshot -> front-end.
 * Front-ends only ever see a struct ctscope_snapshot (and the names below);
 * they never talk netlink, and nothing in the library prints.
 */
#ifndef CTSCOPE_H
#define CTSCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTSCOPE_VERSION "0.1.0"

/* ---- errors ---------------------------------------------------------- */

/* Every failing call fills one of these: what failed, why, what to do.
 * `message` never starts with "ctscope:"; the front-end adds its prefix. */
struct ctscope_error {
	int code; /* errno-style, 0 when none */
	char message[512];
};

/* ---- modes ----------------------------------------------------------- */

enum ctscope_mode {
	CTSCOPE_MODE_STATS,  /* O(1) counters only */
	CTSCOPE_MODE_DUMP,   /* stats + one full dump per read (default) */
	CTSCOPE_MODE_EVENTS, /* stats + a mirror kept current from events */
};

/* "stats", "dump", "events" <-> enum; parse returns -1 on an unknown word. */
int ctscope_mode_parse(const char *word, enum ctscope_mode *out);
const char *ctscope_mode_name(enum ctscope_mode mode);

/* How a dump reads the table. auto (the default): a big table is read as
 * two dumps at once, each of one part of it, which the kernel builds on two
 * cores, divided by what divided it best last time (split.c); event mode,
 * bound by its own parse, dumps in one; none: one dump; the others force
 * that division (in event mode too). */
enum ctscope_dump_split {
	CTSCOPE_DUMP_SPLIT_AUTO,
	CTSCOPE_DUMP_SPLIT_NONE,
	CTSCOPE_DUMP_SPLIT_FAMILY,     /* IPv4 | IPv6 */
	CTSCOPE_DUMP_SPLIT_ASSURED,    /* assured | not */
	CTSCOPE_DUMP_SPLIT_SEEN_REPLY, /* seen a reply | not */
	CTSCOPE_DUMP_SPLIT_COUNT
};

/* "auto", "none", "family", "assured", "seen_reply" <-> enum. */
int ctscope_dump_split_parse(const char *word, enum ctscope_dump_split *out);
const char *ctscope_dump_split_name(enum ctscope_dump_split split);

/* ---- the names of every breakdown (the contract of DESIGN.md) -------- */

enum ctscope_family { CTSCOPE_FAMILY_IPV4, CTSCOPE_FAMILY_IPV6, CTSCOPE_FAMILY_OTHER, CTSCOPE_FAMILY_COUNT };

enum ctscope_proto {
	CTSCOPE_PROTO_TCP,
	CTSCOPE_PROTO_UDP,
	CTSCOPE_PROTO_UDPLITE,
	CTSCOPE_PROTO_ICMP,
	CTSCOPE_PROTO_ICMPV6,
	CTSCOPE_PROTO_SCTP,
	CTSCOPE_PROTO_GRE,
	CTSCOPE_PROTO_DCCP,
	CTSCOPE_PROTO_OTHER,
	CTSCOPE_PROTO_COUNT
};

enum ctscope_tcp_state {
	CTSCOPE_TCP_SYN_SENT,
	CTSCOPE_TCP_SYN_RECV,
	CTSCOPE_TCP_ESTABLISHED,
	CTSCOPE_TCP_FIN_WAIT,
	CTSCOPE_TCP_CLOSE_WAIT,
	CTSCOPE_TCP_LAST_ACK,
	CTSCOPE_TCP_TIME_WAIT,
	CTSCOPE_TCP_CLOSE,
	CTSCOPE_TCP_SYN_SENT2, /* the kernel's LISTEN */
	CTSCOPE_TCP_STATE_COUNT
};

enum ctscope_flag { CTSCOPE_FLAG_ASSURED, CTSCOPE_FLAG_UNREPLIED, CTSCOPE_FLAG_NAT, CTSCOPE_FLAG_COUNT };

/* Remaining-timeout bands, upper bounds inclusive (600 s is le_10m). */
enum ctscope_timeout_band {
	CTSCOPE_TIMEOUT_LE_10S,
	CTSCOPE_TIMEOUT_LE_1M,
	CTSCOPE_TIMEOUT_LE_10M,
	CTSCOPE_TIMEOUT_LE_1H,
	CTSCOPE_TIMEOUT_LE_1D,
	CTSCOPE_TIMEOUT_GT_1D,
	CTSCOPE_TIMEOUT_BAND_COUNT
};

/* Per-CPU kernel counters, summed over CPUs. */
enum ctscope_stat {
	CTSCOPE_STAT_FOUND,
	CTSCOPE_STAT_INVALID,
	CTSCOPE_STAT_INSERT,
	CTSCOPE_STAT_INSERT_FAILED,
	CTSCOPE_STAT_DROP,
	CTSCOPE_STAT_EARLY_DROP,
	CTSCOPE_STAT_ERROR,
	CTSCOPE_STAT_SEARCH_RESTART,
	CTSCOPE_STAT_CLASH_RESOLVE,
	CTSCOPE_STAT_CHAINTOOLONG,
	CTSCOPE_STAT_COUNT
};

/* Sysctls of the namespace that explain what the table holds. */
enum ctscope_sysctl {
	CTSCOPE_SYSCTL_MAX,
	CTSCOPE_SYSCTL_BUCKETS,
	CTSCOPE_SYSCTL_EXPECT_MAX,
	CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED,
	CTSCOPE_SYSCTL_TCP_TIMEOUT_SYN_SENT,
	CTSCOPE_SYSCTL_TCP_TIMEOUT_SYN_RECV,
	CTSCOPE_SYSCTL_TCP_TIMEOUT_FIN_WAIT,
	CTSCOPE_SYSCTL_TCP_TIMEOUT_CLOSE_WAIT,
	CTSCOPE_SYSCTL_TCP_TIMEOUT_LAST_ACK,
	CTSCOPE_SYSCTL_TCP_TIMEOUT_TIME_WAIT,
	CTSCOPE_SYSCTL_TCP_TIMEOUT_CLOSE,
	CTSCOPE_SYSCTL_TCP_TIMEOUT_UNACKNOWLEDGED,
	CTSCOPE_SYSCTL_UDP_TIMEOUT,
	CTSCOPE_SYSCTL_UDP_TIMEOUT_STREAM,
	CTSCOPE_SYSCTL_ICMP_TIMEOUT,
	CTSCOPE_SYSCTL_ICMPV6_TIMEOUT,
	CTSCOPE_SYSCTL_GENERIC_TIMEOUT,
	CTSCOPE_SYSCTL_COUNT
};

/* Key names as used in JSON, netdata dimension ids and collectd
 * type instances: "ipv4", "tcp", "established", "le_10m", "insert_failed",
 * "tcp_timeout_established", ... */
const char *ctscope_family_name(enum ctscope_family f);
const char *ctscope_proto_name(enum ctscope_proto p);
const char *ctscope_tcp_state_name(enum ctscope_tcp_state s);
const char *ctscope_flag_name(enum ctscope_flag f);
const char *ctscope_timeout_band_name(enum ctscope_timeout_band b);
const char *ctscope_stat_name(enum ctscope_stat s);
/* JSON key ("tcp_timeout_established") and full sysctl name
 * ("net.netfilter.nf_conntrack_tcp_timeout_established"). */
const char *ctscope_sysctl_key(enum ctscope_sysctl s);
const char *ctscope_sysctl_fullname(enum ctscope_sysctl s);

/* ---- snapshot: what one read of one namespace found -------------------- */

struct ctscope_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* network order; IPv4 in the first 4 */
};

/* "192.0.2.1" or "2a00:1450:400b:c02::bc" (no brackets). */
void ctscope_addr_format(const struct ctscope_addr *a, char *buf, size_t len);
#define CTSCOPE_ADDR_STRLEN 46

struct ctscope_top_destination {
	enum ctscope_proto proto;
	struct ctscope_addr addr;
	bool has_port; /* false for icmp, icmpv6, gre, other */
	uint16_t port;
	uint64_t entries;
	/* of those: TCP ESTABLISHED with more than a day left (for hints) */
	uint64_t established_long;
};

struct ctscope_top_source {
	struct ctscope_addr addr;
	uint64_t entries;
};

struct ctscope_top_port {
	enum ctscope_proto proto; /* only protocols with ports */
	uint16_t port;
	uint64_t entries;
};

struct ctscope_zone_count {
	uint16_t zone; /* never 0: zones{} lists non-zero zones */
	uint64_t entries;
};

#define CTSCOPE_HINTS_MAX 8
#define CTSCOPE_HINT_LEN 400

/* What a hint is about: a snapshot has at most one hint of each kind, so
 * a front-end can tell a hint that appears from one that stays (its
 * sentence changes with the numbers in it). */
enum ctscope_hint_kind {
	CTSCOPE_HINT_FILL,             /* the table is nearly full */
	CTSCOPE_HINT_TOP_DESTINATION,  /* one destination holds a large share */
	CTSCOPE_HINT_LONG_ESTABLISHED, /* most entries have more than a day left */
	CTSCOPE_HINT_UDP_UNREPLIED,    /* many UDP entries never saw a reply */
	CTSCOPE_HINT_INSERT_FAILED,    /* stats.insert_failed rising (or non-zero) */
	CTSCOPE_HINT_DROP,             /* stats.drop rising (or non-zero) */
	CTSCOPE_HINT_EARLY_DROP,       /* stats.early_drop rising (or non-zero) */
	CTSCOPE_HINT_BUCKETS,          /* long hash chains */
	CTSCOPE_HINT_KIND_COUNT
};
_Static_assert(CTSCOPE_HINT_KIND_COUNT <= CTSCOPE_HINTS_MAX, "every kind must fit in one snapshot");
/* "fill", "top_destination", "long_established", "udp_unreplied",
 * "insert_failed", "drop", "early_drop", "buckets". */
const char *ctscope_hint_kind_name(enum ctscope_hint_kind k);

struct ctscope_snapshot {
	/* The namespace as the user named it (NULL for the process's own)
	 * and a label safe for chart types, plugin instances, file names:
	 * [A-Za-z0-9_-] only, "" for the process's own namespace. */
	char *netns;
	char netns_label[64];
	enum ctscope_mode mode;
	uint64_t time_ms; /* wall clock of the read, ms since the epoch */

	struct {
		uint64_t entries;
		uint64_t max;          /* 0 with has_max false: unknown */
		bool has_max;
		double fill_percent;   /* valid with has_max */
		uint64_t buckets;
		bool has_buckets;
		uint64_t expectations;
		bool has_expectations;
	} table;

	/* Monotonic totals; a counter the kernel did not give is absent. */
	uint64_t stats[CTSCOPE_STAT_COUNT];
	bool has_stat[CTSCOPE_STAT_COUNT];

	/* Everything below up to `sysctl` is filled only when has_breakdown
	 * (dump and events modes). */
	bool has_breakdown;
	uint64_t families[CTSCOPE_FAMILY_COUNT];
	uint64_t protocols[CTSCOPE_PROTO_COUNT];
	uint64_t tcp_states[CTSCOPE_TCP_STATE_COUNT];
	uint64_t flags[CTSCOPE_FLAG_COUNT];
	uint64_t timeouts[CTSCOPE_TIMEOUT_BAND_COUNT];
	uint64_t udp_unreplied; /* UDP entries with UNREPLIED (hints) */
	struct ctscope_zone_count *zones; /* sorted by zone id */
	size_t n_zones;
	struct ctscope_top_destination *top_destinations; /* most first */
	size_t n_top_destinations;
	struct ctscope_top_source *top_sources;
	size_t n_top_sources;
	struct ctscope_top_port *top_ports;
	size_t n_top_ports;

	uint64_t sysctl[CTSCOPE_SYSCTL_COUNT];
	bool has_sysctl[CTSCOPE_SYSCTL_COUNT];

	char hints[CTSCOPE_HINTS_MAX][CTSCOPE_HINT_LEN];
	enum ctscope_hint_kind hint_kinds[CTSCOPE_HINTS_MAX]; /* of hints[i] */
	size_t n_hints;

	struct {
		double duration_ms;       /* wall time of this read */
		uint64_t entries_scanned; /* messages parsed this read */
		/* how this read's dump was divided: "none" (one dump),
		 * "family", "assured", "seen_reply" (two at once); NULL when
		 * the read made no dump */
		const char *dump_split;
		bool has_events;          /* the three below: events mode only */
		uint64_t events;          /* totals since start */
		uint64_t resyncs;
		uint64_t lost_events;
	} collector;
};

/* Frees what a snapshot points to and zeroes it; safe on a zeroed one. */
void ctscope_snapshot_clear(struct ctscope_snapshot *snap);

/* ---- collector: one namespace, read once per interval ------------------ */

struct ctscope_config {
	enum ctscope_mode mode;
	unsigned top_n; /* length of each top list, 1..1000 */
	enum ctscope_dump_split dump_split;
};

#define CTSCOPE_TOP_DEFAULT 10
#define CTSCOPE_TOP_MAX 1000

struct ctscope_collector;

/* netns: NULL for the process's own namespace, "NAME" for
 * /run/netns/NAME, a path containing '/', or "pid:N". Opens the ctnetlink
 * socket inside that namespace (setns there and back). */
struct ctscope_collector *ctscope_collector_new(const struct ctscope_config *cfg, const char *netns,
                                                struct ctscope_error *err);

/* Fills *snap (cleared first) with a fresh read. Returns 0, or -1 with
 * *err filled and *snap left cleared: nothing half-read is reported. */
int ctscope_collector_read(struct ctscope_collector *c, struct ctscope_snapshot *snap, struct ctscope_error *err);

/* Frees everything the collector holds; NULL is allowed. */
void ctscope_collector_free(struct ctscope_collector *c);

/* Validates a namespace spec without opening it; writes its safe label. */
int ctscope_netns_label(const char *netns, char *label, size_t len, struct ctscope_error *err);

/* ---- formatting helpers shared by the front-ends ----------------------- */

/* 1234567 -> "1,234,567" */
void ctscope_format_count(uint64_t n, char *buf, size_t len);

/* "tcp [2a00:1450:400b:c02::bc]:5228", "udp 192.0.2.1:53", "icmp 192.0.2.1" */
void ctscope_destination_format(const struct ctscope_top_destination *d, char *buf, size_t len);

#endif
