/* internal.h — what the core's files share and the front-ends never see:
 * the parsed entry, the summary it is added to, the netlink source. */
#ifndef CTSCOPE_INTERNAL_H
#define CTSCOPE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctscope.h"

struct nlmsghdr;
struct nfgenmsg;

/* ---- errors ---- */

/* Fills err: "<what>: <strerror(code)> (<advice>)"; advice may be NULL. */
void ctscope_error_set(struct ctscope_error *err, int code, const char *advice, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The advice a user needs for an errno from netlink or setns. */
const char *ctscope_error_advice(int code);

/* ---- entry: one ctnetlink message, parsed ---- */

#define CTSCOPE_TCP_STATE_NONE 0xff

struct ctscope_entry {
	uint8_t family;    /* nfgen_family: AF_INET, AF_INET6, ... */
	uint8_t l4proto;   /* IPPROTO_* of the original tuple */
	uint8_t tcp_state; /* kernel TCP_CONNTRACK_*, or CTSCOPE_TCP_STATE_NONE */
	bool has_timeout;
	bool nat;          /* reply tuple is not the original swapped */
	uint16_t zone;     /* original direction's zone, 0 when none */
	uint16_t sport, dport; /* host order; 0 for portless protocols */
	uint32_t status;   /* IPS_* bits */
	uint32_t timeout;  /* remaining seconds */
	uint32_t mark;
	uint32_t id;
	uint8_t src[16], dst[16]; /* network order; IPv4 in the first 4 */
	/* ICMP/ICMPv6 id, type and code of the original tuple (0 otherwise):
	 * with the ports they complete the tuple that names an entry, which
	 * event mode needs to match a DESTROY to what it removes. */
	uint16_t icmp_id;
	uint8_t icmp_type, icmp_code;
};

/* Parses one IPCTNL_MSG_CT_NEW message (dump reply or event) into *e.
 * Every attribute used is validated with libmnl; returns 0, or -1 with
 * *why set to a static description of what was malformed. */
int ctscope_entry_parse(const struct nlmsghdr *nlh, struct ctscope_entry *e, const char **why);

/* Our enums for an entry. */
enum ctscope_family ctscope_entry_family(const struct ctscope_entry *e);
enum ctscope_proto ctscope_entry_proto(const struct ctscope_entry *e);
bool ctscope_proto_has_ports(enum ctscope_proto p);
/* CTSCOPE_TCP_STATE_COUNT when the entry has no countable TCP state. */
enum ctscope_tcp_state ctscope_entry_tcp_state(const struct ctscope_entry *e);
enum ctscope_timeout_band ctscope_timeout_band(uint32_t remaining_seconds);

/* ---- key table: exact counts per key (see keytable.c) ---- */

struct ctscope_keytable {
	uint32_t *heads;   /* bucket -> first node index, 0xffffffff when empty */
	size_t nbuckets;   /* power of two, 0 before first use */
	uint8_t *nodes;    /* arena of nodes: key bytes, uint32 count, uint32 next */
	size_t nodes_cap, nodes_used;
	uint32_t free_list;
	size_t key_size;   /* a multiple of 4 */
	size_t stride;
	size_t used;       /* live keys */
};

void ctscope_keytable_init(struct ctscope_keytable *t, size_t key_size);
void ctscope_keytable_free(struct ctscope_keytable *t);
void ctscope_keytable_reset(struct ctscope_keytable *t); /* keeps memory */
/* Adds delta (may be negative) to the key's count; a key whose count
 * reaches 0 is removed. Returns -1 only when memory runs out. */
int ctscope_keytable_add(struct ctscope_keytable *t, const void *key, int32_t delta);
/* The key's count, 0 when absent. */
uint32_t ctscope_keytable_get(const struct ctscope_keytable *t, const void *key);

struct ctscope_keycount {
	const uint8_t *key; /* points into the table: valid until it changes */
	uint32_t count;
};
/* The n keys with the highest counts, highest first; ties by key bytes so
 * the order is stable. Returns how many were written (<= n). */
size_t ctscope_keytable_top(const struct ctscope_keytable *t, struct ctscope_keycount *out, size_t n);

/* ---- summary: what entries add up to ---- */

struct ctscope_summary {
	uint64_t entries;
	uint64_t families[CTSCOPE_FAMILY_COUNT];
	uint64_t protocols[CTSCOPE_PROTO_COUNT];
	uint64_t tcp_states[CTSCOPE_TCP_STATE_COUNT];
	uint64_t flags[CTSCOPE_FLAG_COUNT];
	uint64_t timeouts[CTSCOPE_TIMEOUT_BAND_COUNT];
	uint64_t udp_unreplied;
	uint32_t *zones; /* [65536] */
	struct ctscope_keytable dst4, dst6; /* proto, port, address */
	struct ctscope_keytable src4, src6; /* address */
	/* destinations' TCP ESTABLISHED entries with more than a day left,
	 * for the hint that names tcp_timeout_established */
	struct ctscope_keytable long4, long6;
	uint32_t *ports[CTSCOPE_PROTO_COUNT]; /* [65536] for protocols with ports */
	/* Whether add/remove count timeout bands. Event mode keeps them from
	 * expiry times instead, because remaining time drifts. */
	bool count_timeouts;
};

int ctscope_summary_init(struct ctscope_summary *s);
void ctscope_summary_free(struct ctscope_summary *s);
void ctscope_summary_reset(struct ctscope_summary *s);
/* sign +1 adds the entry, -1 removes what an earlier add counted. */
int ctscope_summary_apply(struct ctscope_summary *s, const struct ctscope_entry *e, int sign);
/* Copies the counters and the top-N lists into the snapshot. */
int ctscope_summary_to_snapshot(const struct ctscope_summary *s, unsigned top_n, struct ctscope_snapshot *snap);

/* ---- namespaces ---- */

/* Opens the namespace file for a spec (NULL: the calling thread's own).
 * Returns an fd or -1 with err filled. */
int ctscope_netns_open(const char *spec, struct ctscope_error *err);
/* Switches the calling thread into ns_fd; *saved receives an fd to get back
 * with ctscope_netns_leave. No switch (and no CAP_SYS_ADMIN needed) when
 * the thread is already there: *saved is then -1. */
int ctscope_netns_enter(int ns_fd, const char *spec, int *saved, struct ctscope_error *err);
int ctscope_netns_leave(int saved, struct ctscope_error *err);
/* Fails (ENOENT) when spec no longer names the namespace whose nsfs
 * device and inode were recorded at open: an open socket keeps a deleted
 * namespace alive, and its frozen table must not be reported as live. */
int ctscope_netns_check(const char *spec, uint64_t dev, uint64_t ino, struct ctscope_error *err);

/* ---- sysctls ---- */

struct ctscope_sysctls {
	int fd[CTSCOPE_SYSCTL_COUNT]; /* -1 where the kernel has no such file */
};
/* Opens every sysctl file; must run inside the namespace (each open file
 * keeps reading that namespace's value afterwards). */
void ctscope_sysctls_open(struct ctscope_sysctls *s);
void ctscope_sysctls_close(struct ctscope_sysctls *s);
void ctscope_sysctls_read(const struct ctscope_sysctls *s, struct ctscope_snapshot *snap);

/* ---- split: a dump divided in two parts the kernel builds at once ---- */

/* The same order as enum ctscope_dump_split, without its AUTO. */
enum ctscope_split_by {
	CTSCOPE_SPLIT_NONE,       /* one dump */
	CTSCOPE_SPLIT_FAMILY,     /* IPv4 | IPv6 (conntrack tracks no other) */
	CTSCOPE_SPLIT_ASSURED,    /* IPS_ASSURED set | clear */
	CTSCOPE_SPLIT_SEEN_REPLY, /* IPS_SEEN_REPLY set | clear */
	CTSCOPE_SPLIT_COUNT
};

/* Below this many entries a split saves too little to pay for the second
 * walk of the kernel's hash table (which holds every namespace's). */
#define CTSCOPE_SPLIT_MIN_ENTRIES 100000

/* The split for the next dump. prev: the last complete summary of this
 * namespace, or NULL; entries: the kernel's count just read, 0 when
 * unknown. None for a table under CTSCOPE_SPLIT_MIN_ENTRIES (or of unknown
 * size); without a summary ASSURED; else the criterion whose smaller part
 * was largest last time, and none when even that was under a tenth. */
enum ctscope_split_by ctscope_split_choose(const struct ctscope_summary *prev, uint64_t entries);
/* What the user asked for, or when that is auto: none for a process held
 * to one core, else ctscope_split_choose. */
enum ctscope_split_by ctscope_split_for(enum ctscope_dump_split asked, const struct ctscope_summary *prev,
                                        uint64_t entries);
/* The dump request of one part (0 or 1): nfgen_family, or CTA_STATUS and
 * CTA_STATUS_MASK appended to nlh. */
void ctscope_split_request(enum ctscope_split_by by, unsigned part, struct nlmsghdr *nlh, struct nfgenmsg *nfg);
/* Whether an entry belongs to that part. A kernel without status
 * filtering (before 5.15) sends every entry to both parts, unmarked; each
 * part keeps only its own, so the numbers stay right. */
bool ctscope_split_holds(enum ctscope_split_by by, unsigned part, const struct ctscope_entry *e);
/* "none", "family", "assured", "seen_reply" */
const char *ctscope_split_name(enum ctscope_split_by by);

/* ---- source: the ctnetlink socket of one namespace ---- */

struct ctscope_source;

struct ctscope_source *ctscope_source_open(int ns_fd, const char *spec, struct ctscope_error *err);
void ctscope_source_close(struct ctscope_source *src);
/* Entries and max (IPCTNL_MSG_CT_GET_STATS), per-CPU counters summed
 * (IPCTNL_MSG_CT_GET_STATS_CPU), expectations (IPCTNL_MSG_EXP_GET dump). */
int ctscope_source_read_stats(struct ctscope_source *src, struct ctscope_snapshot *snap, struct ctscope_error *err);

typedef int (*ctscope_entry_cb)(const struct ctscope_entry *e, void *data);
/* The whole table, cb for every entry: one IPCTNL_MSG_CT_GET dump, or two
 * at once divided as by says (split.c), unless the kernel refused (or
 * ignored) the filter before. *used: how it was read. *scanned counts the entries parsed. */
int ctscope_source_dump(struct ctscope_source *src, enum ctscope_split_by by, ctscope_entry_cb cb, void *data,
                        uint64_t *scanned, enum ctscope_split_by *used, struct ctscope_error *err);

/* The errno of an NLMSG_ERROR at the head of fd's queue (peeked, left
 * there), else 0: how a split dump learns at once that the kernel refused
 * its filter. */
int ctscope_netlink_refused(int fd);

/* Checks that buf holds whole netlink messages and nothing else, before
 * libmnl walks it: libmnl 1.0.4 compares nlmsg_len as a signed int, so a
 * length of 2 GiB or more would send its walk far past the buffer. Fails
 * with EBADMSG and "cannot <what>: ..." in err. */
int ctscope_netlink_check_framing(const void *buf, size_t len, const char *what, struct ctscope_error *err);

/* Parses a buffer of netlink messages (as one recv returns them) through
 * the same path the dump uses. Returns MNL_CB_* semantics: 1 more to come,
 * 0 done, -1 error (err filled). Exposed for the unit tests and fuzzing. */
int ctscope_source_parse_buffer(const void *buf, size_t len, uint32_t seq, uint32_t portid, ctscope_entry_cb cb,
                                void *data, uint64_t *scanned, struct ctscope_error *err);
/* The same for a buffer of one part of a split dump: in messages the
 * kernel did not mark NLM_F_DUMP_FILTERED, entries not of that part are
 * counted in *foreign and not passed to cb. */
int ctscope_source_parse_part(const void *buf, size_t len, uint32_t seq, uint32_t portid, enum ctscope_split_by by,
                              unsigned part, ctscope_entry_cb cb, void *data, uint64_t *scanned, uint64_t *foreign,
                              struct ctscope_error *err);

/* ---- pipeline: receive on this thread (and one per further part), parse on another ---- */

#define CTSCOPE_PIPELINE_MAX_PARTS 2
/* Returns 1 for more, 0 when that part's dump is complete, -1 on error.
 * part: the index in fds of the socket the buffer came from. */
typedef int (*ctscope_pipeline_consume)(const void *buf, size_t len, unsigned part, void *arg);
/* Reads the dump of each of fds[0..parts) to its end (NLMSG_DONE or
 * NLMSG_ERROR), the parts at once, handing every buffer to consume on a
 * thread of its own: one part's buffers in their order, parts
 * interleaved. Returns 0, or -1: with *recv_errno set when receiving
 * failed, else consume failed. */
int ctscope_pipeline_run(const int *fds, unsigned parts, size_t buffer_size, ctscope_pipeline_consume consume,
                         void *arg, int *recv_errno);

/* ---- hints ---- */

/* prev: the previous snapshot's kernel counters (NULL on the first read),
 * interval_s: seconds between the two. */
void ctscope_hints_compute(struct ctscope_snapshot *snap, const struct ctscope_snapshot *prev, double interval_s);

/* ---- misc ---- */
uint64_t ctscope_now_ms(void);
double ctscope_monotonic_ms(void);

/* ---- mirror: the live entries event mode follows (mirror.c) ---- */

/* Expiry of an entry without a timeout (an offloaded flow): never. */
#define CTSCOPE_MIRROR_NEVER 0xffffffffu

struct ctscope_mirror;

/* The mirror keeps *sum current (and sets sum->count_timeouts false: its
 * wheel gives the bands). Times are ctscope_mirror_clock() seconds. */
struct ctscope_mirror *ctscope_mirror_new(struct ctscope_summary *sum, uint32_t now);
void ctscope_mirror_free(struct ctscope_mirror *m);
/* Forgets every entry and resets the summary; keeps the memory. */
void ctscope_mirror_clear(struct ctscope_mirror *m, uint32_t now);
/* Adds e, or replaces what was counted for its tuple and zone (a TCP
 * entry without a state keeps the one it had). Returns 1 added, 0
 * replaced, -1 out of memory: the mirror must then be cleared. */
int ctscope_mirror_upsert(struct ctscope_mirror *m, const struct ctscope_entry *e, uint32_t now);
/* Removes what was counted for e's tuple and zone: 1, or 0 if unknown. */
int ctscope_mirror_remove(struct ctscope_mirror *m, const struct ctscope_entry *e);
/* Moves the clock to now. Every entry whose expiry passed is rescheduled
 * a second later and handed to due (which must not change the mirror)
 * so the caller can ask the kernel. Returns how many, SIZE_MAX when due
 * failed. */
size_t ctscope_mirror_advance(struct ctscope_mirror *m, uint32_t now, ctscope_entry_cb due, void *data);
/* Remaining-timeout bands at the mirror's clock. */
void ctscope_mirror_timeouts(const struct ctscope_mirror *m, uint64_t bands[CTSCOPE_TIMEOUT_BAND_COUNT]);
size_t ctscope_mirror_count(const struct ctscope_mirror *m);
/* Bytes held; *fixed gets the part that does not grow with entries. */
size_t ctscope_mirror_bytes(const struct ctscope_mirror *m, size_t *fixed);
uint32_t ctscope_mirror_clock(void);

/* ---- events: the conntrack event stream of a namespace (events.c) ---- */

struct ctscope_events;

/* destroy: an IPCTNL_MSG_CT_DELETE; else a NEW or UPDATE (same format). */
typedef int (*ctscope_event_cb)(const struct ctscope_entry *e, bool destroy, void *data);

/* Subscribes to NEW, UPDATE and DESTROY inside the namespace, and opens a
 * second socket there for questions. Fails when the namespace has events
 * switched off (net.netfilter.nf_conntrack_events = 0). */
struct ctscope_events *ctscope_events_open(int ns_fd, const char *spec, struct ctscope_error *err);
void ctscope_events_close(struct ctscope_events *ev);
/* Reads pending events without blocking, at most max datagrams, cb for
 * each event (cb NULL: read and thrown away); *received counts datagrams.
 * Returns 0 when drained, 1 on an overrun (the kernel dropped events since
 * the last read: resync), 2 when it stopped at max with events still
 * queued, -1 on error. One thread at a time. */
int ctscope_events_drain(struct ctscope_events *ev, ctscope_event_cb cb, void *data, size_t max,
                         uint64_t *received, struct ctscope_error *err);
/* After an overrun: double the socket's buffer, up to a bound. */
void ctscope_events_grow_buffer(struct ctscope_events *ev);
/* The event socket, to wait on. */
int ctscope_events_fd(const struct ctscope_events *ev);
/* Events the kernel dropped for us since open (sk_drops via SO_MEMINFO). */
uint64_t ctscope_events_lost(const struct ctscope_events *ev);

struct ctscope_query_cbs {
	int (*found)(const struct ctscope_entry *e, void *data); /* the kernel's current entry */
	int (*gone)(const struct ctscope_entry *key, void *data); /* no such entry (ENOENT) */
	void *data;
};
/* Asks the kernel (IPCTNL_MSG_CT_GET by original tuple and zone) about each
 * key, in batches; *answered counts answers. An unanswered key is simply
 * not reported. Returns 0, or -1 with err filled. */
int ctscope_events_query(struct ctscope_events *ev, const struct ctscope_entry *keys, size_t n,
                         const struct ctscope_query_cbs *cbs, size_t *answered, struct ctscope_error *err);

/* ---- event queue: parsed events waiting for the mirror (eventqueue.c) ---- */

struct ctscope_queued_event {
	struct ctscope_entry entry;
	bool destroy;
};
struct ctscope_eventqueue;
struct ctscope_eventchunk;

struct ctscope_eventqueue *ctscope_eventqueue_new(size_t max_events);
void ctscope_eventqueue_free(struct ctscope_eventqueue *q);
size_t ctscope_eventqueue_count(const struct ctscope_eventqueue *q);
/* max_events or more are queued (a push still succeeds: the producer
 * checks before it reads more). */
bool ctscope_eventqueue_full(const struct ctscope_eventqueue *q);
/* 0, or -1 out of memory. */
int ctscope_eventqueue_push(struct ctscope_eventqueue *q, const struct ctscope_entry *e, bool destroy);
/* Detaches the oldest chunk (*n events at *ev, in order), NULL when empty;
 * hand it back with give_back once applied. */
struct ctscope_eventchunk *ctscope_eventqueue_take(struct ctscope_eventqueue *q, const struct ctscope_queued_event **ev,
                                                   size_t *n);
void ctscope_eventqueue_give_back(struct ctscope_eventqueue *q, struct ctscope_eventchunk *c);
void ctscope_eventqueue_clear(struct ctscope_eventqueue *q);

/* ---- follower: a thread reading the event stream (follower.c) ---- */

struct ctscope_follower;

/* Starts a thread that reads ev's socket as events come and calls apply
 * for each, in order, whenever no read holds the follower. apply runs on
 * that thread or on the reader's, never on both at once. Without a thread
 * (pthread_create failed) catch_up does all the reading. */
struct ctscope_follower *ctscope_follower_start(struct ctscope_events *ev, ctscope_event_cb apply, void *data,
                                                struct ctscope_error *err);
void ctscope_follower_stop(struct ctscope_follower *f);
/* A read: apply runs only from the calls below until release. */
void ctscope_follower_hold(struct ctscope_follower *f);
void ctscope_follower_release(struct ctscope_follower *f);
/* Held: reads what is pending (at most max datagrams) and applies every
 * queued event. Returns 0, 1 when events were lost since the last restart
 * (nothing applied: resync), 2 when it stopped at max, -1 on an error (of
 * this call, or one the thread kept for the reader). *received: datagrams
 * read since start. */
int ctscope_follower_catch_up(struct ctscope_follower *f, size_t max, uint64_t *received, struct ctscope_error *err);
/* Held, before a resync's dump: everything queued or still in the socket
 * is older than the dump and thrown away; events from here on are kept. */
void ctscope_follower_restart(struct ctscope_follower *f);

/* ---- event mode: one read from the mirror (eventmode.c) ---- */

struct ctscope_eventmode;

/* Subscribes to the namespace's events and keeps *sum current from them,
 * on a thread of its own. The first read dumps. */
struct ctscope_eventmode *ctscope_eventmode_new(int ns_fd, const char *spec, struct ctscope_summary *sum,
                                                enum ctscope_dump_split split, struct ctscope_error *err);
void ctscope_eventmode_free(struct ctscope_eventmode *em);
/* Everything a read reports: the O(1) stats (through src), the breakdown
 * and top lists from the mirror, and the collector's event counters. */
int ctscope_eventmode_read(struct ctscope_eventmode *em, struct ctscope_source *src, unsigned top_n,
                           struct ctscope_snapshot *snap, struct ctscope_error *err);

#endif
