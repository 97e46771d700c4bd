/* eventmode.c — one read in events mode: bring the mirror up to date from
 * the event stream, check it against the kernel, and report from it.
 *
 * Between reads a thread (follower.c) reads the stream and applies each
 * event as it comes; a read holds it off the mirror while it works.
 *
 * Start-up and resync, in this order, lose nothing: the event socket is
 * subscribed (at open) before the dump starts, and what it held before
 * the dump is thrown away (older than the dump; after an overrun also
 * incomplete), so every change the dump may have missed is queued after
 * that point; those events are applied on top of the dump. Applying them
 * is idempotent per tuple (NEW/UPDATE replace, DESTROY removes, DESTROY of
 * an unknown tuple is ignored), so an entry created, destroyed or changed
 * while the dump ran ends as the last event left it.
 *
 * Three ways the mirror can go wrong, and what answers each:
 *  - the kernel dropped events (ENOBUFS): resync;
 *  - entries that send no events at all: with nf_conntrack_events = 2 (the
 *    default) an entry created while nobody on the host listened has no
 *    event cache, so its DESTROY never comes (measured on 6.18: `conntrack
 *    -D` of such an entry is silent; the kernel tracks listeners host-wide,
 *    so a `conntrack -E` in any other namespace is enough to prevent it).
 *    Each read compares the mirror with the kernel's own count (O(1)):
 *    after draining, mirror <= kernel count + entries added since the
 *    count was read must hold (the kernel counts expired-but-unreaped
 *    entries too, never fewer than the live ones); more means the mirror
 *    holds entries the kernel does not, and it is rebuilt;
 *  - timeouts: the kernel refreshes a timeout on every packet without an
 *    event (and shortens it, while data is unacknowledged, without one
 *    too), and reports expiry late (its GC). So the timeout bands are as of
 *    each entry's last event, answer or dump; the periodic resync
 *    (RESYNC_EVERY_S) bounds how old that is. An entry whose timeout ran
 *    out in the mirror is asked about (IPCTNL_MSG_CT_GET by tuple, which
 *    also makes the kernel reap it if it is dead): gone -> removed, alive
 *    -> its new timeout. Staleness: an event is applied as it comes, or,
 *    if a read holds the mirror then, when that read ends, at the clock
 *    of then; so an entry expires here at most that delay + 1 s after the
 *    kernel's timeout and the next read removes it: a dead entry is
 *    counted for at most one interval + 1 s + one read's length (without
 *    the thread, events wait for the read: 2 intervals + 1 s).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Asking about a due entry costs ~10 us (measured: the GET, the kernel
 * reaping it, its DESTROY event), a dump ~5 us per entry of the table: past
 * half the table the dump is cheaper than the questions. */
#define DUE_RESYNC_MIN 20000
#define DUE_RESYNC_SHARE 2 /* 1/2 of the mirror */
/* The list of due entries (64 bytes each) kept between reads, at most. */
#define DUE_KEEP 16384
/* What no event reports — a timeout the kernel refreshes (or shortens, to
 * nf_conntrack_tcp_timeout_unacknowledged) on a packet, a state change of
 * an entry that has no event cache — is caught up by a dump this often: at
 * a 10 s interval, one read in 60 costs what every dump-mode read costs. */
#define RESYNC_EVERY_S 600
/* Events one read takes from the socket itself (the follower thread
 * normally leaves it nearly empty): ~1 s of work, so the read returns
 * under a stream almost as fast as we are; the rest waits. */
#define CATCH_UP_MAX 500000
/* Dumps within one read while events keep overrunning. One: a read then
 * costs at most what a dump-mode read costs and is at least as true; the
 * next read resyncs again (with a buffer twice the size) if it must. */
#define RESYNC_TRIES 1

struct ctscope_eventmode {
	struct ctscope_events *events;
	struct ctscope_follower *follower;
	struct ctscope_mirror *mirror;
	struct ctscope_summary *sum;
	bool synced;       /* the first dump is done */
	uint64_t dumps;
	enum ctscope_dump_split split;    /* as configured */
	enum ctscope_split_by dump_split; /* how the last dump was divided */
	uint32_t dumped_at; /* mirror clock of the last dump */
	bool need_resync;
	uint32_t now;      /* mirror clock of this read */
	uint64_t events_applied, resyncs;
	uint64_t received; /* datagrams the follower had read at the last look */
	/* per read */
	uint64_t scanned, added;
	bool behind; /* a drain stopped at its bound: the mirror lags */
	/* due entries collected by the wheel, asked about after it */
	struct ctscope_entry *due;
	size_t n_due, due_cap;
};

static int apply_event(const struct ctscope_entry *e, bool destroy, void *data)
{
	struct ctscope_eventmode *em = data;
	em->events_applied++;
	if (destroy) {
		ctscope_mirror_remove(em->mirror, e);
		return 0;
	}
	/* the clock of now, not of the last read: between reads the follower
	 * applies events as they come */
	int rc = ctscope_mirror_upsert(em->mirror, e, ctscope_mirror_clock());
	if (rc < 0)
		return -1;
	em->added += (uint64_t)rc;
	return 0;
}

struct ctscope_eventmode *ctscope_eventmode_new(int ns_fd, const char *spec, struct ctscope_summary *sum,
                                                enum ctscope_dump_split split, struct ctscope_error *err)
{
	struct ctscope_eventmode *em = calloc(1, sizeof(*em));
	if (!em) {
		ctscope_error_set(err, ENOMEM, NULL, "cannot set up event mode");
		return NULL;
	}
	em->sum = sum;
	em->split = split;
	em->now = ctscope_mirror_clock();
	if (!(em->mirror = ctscope_mirror_new(sum, em->now))) {
		ctscope_error_set(err, ENOMEM, NULL, "cannot set up the event mirror");
		goto fail;
	}
	if (!(em->events = ctscope_events_open(ns_fd, spec, err)))
		goto fail;
	if (!(em->follower = ctscope_follower_start(em->events, apply_event, em, err)))
		goto fail;
	em->need_resync = true; /* the first read dumps, after the subscription */
	return em;
fail:
	ctscope_eventmode_free(em);
	return NULL;
}

void ctscope_eventmode_free(struct ctscope_eventmode *em)
{
	if (!em)
		return;
	ctscope_follower_stop(em->follower); /* first: it uses the socket and the mirror */
	ctscope_events_close(em->events);
	ctscope_mirror_free(em->mirror);
	free(em->due);
	free(em);
}

static int add_dumped(const struct ctscope_entry *e, void *data)
{
	struct ctscope_eventmode *em = data;
	return ctscope_mirror_upsert(em->mirror, e, em->now) < 0 ? -1 : 0;
}

/* Brings the mirror up to the stream; returns 1 on an overrun, -1 on
 * error (which also schedules a rebuild, since an event may be lost). */
static int drain(struct ctscope_eventmode *em, struct ctscope_error *err)
{
	uint64_t received = em->received;
	int rc = ctscope_follower_catch_up(em->follower, CATCH_UP_MAX, &received, err);
	em->scanned += received - em->received;
	em->received = received;
	if (rc < 0)
		em->need_resync = true;
	if (rc == 2) {
		em->behind = true;
		rc = 0;
	}
	return rc;
}

static int resync(struct ctscope_eventmode *em, struct ctscope_source *src, struct ctscope_error *err)
{
	/* what the socket holds is older than the dump to come, and after an
	 * overrun incomplete: thrown away; what comes from here on is kept
	 * and applied on top of the dump */
	ctscope_follower_restart(em->follower);
	/* Only when asked: here the parse, not the kernel, is the bottleneck
	 * (the mirror costs ~1.7 us of CPU per entry, as much as the kernel's
	 * fill), and a first read of 1,000,000 entries took 2.55-3.01 s in one
	 * dump and 2.67-2.90 s split, for 0.3 s more CPU. */
	enum ctscope_split_by by =
	    em->split == CTSCOPE_DUMP_SPLIT_AUTO ? CTSCOPE_SPLIT_NONE : ctscope_split_for(em->split, NULL, 0);
	ctscope_mirror_clear(em->mirror, em->now);
	em->need_resync = true; /* until the dump completes */
	if (ctscope_source_dump(src, by, add_dumped, em, &em->scanned, &em->dump_split, err) < 0)
		return -1;
	em->need_resync = false;
	em->dumps++;
	em->dumped_at = em->now;
	if (em->synced)
		em->resyncs++;
	em->synced = true;
	return 0;
}

/* Drain, and rebuild as long as the drain says events were lost. */
static int catch_up(struct ctscope_eventmode *em, struct ctscope_source *src, struct ctscope_error *err)
{
	int rc = drain(em, err);
	if (rc < 0)
		return -1;
	for (int i = 0; (rc == 1 || em->need_resync) && i < RESYNC_TRIES; i++) {
		if (resync(em, src, err) < 0)
			return -1;
		if ((rc = drain(em, err)) < 0)
			return -1;
	}
	if (rc == 1)
		em->need_resync = true; /* still overrunning: the next read tries again */
	return 0;
}

static int note_due(const struct ctscope_entry *e, void *data)
{
	struct ctscope_eventmode *em = data;
	if (em->n_due == em->due_cap) {
		size_t cap = em->due_cap ? em->due_cap * 2 : 1024;
		struct ctscope_entry *due = realloc(em->due, cap * sizeof(*due));
		if (!due)
			return -1;
		em->due = due;
		em->due_cap = cap;
	}
	em->due[em->n_due++] = *e;
	return 0;
}

static int answer_found(const struct ctscope_entry *e, void *data)
{
	struct ctscope_eventmode *em = data;
	return ctscope_mirror_upsert(em->mirror, e, em->now) < 0 ? -1 : 0;
}

static int answer_gone(const struct ctscope_entry *key, void *data)
{
	struct ctscope_eventmode *em = data;
	ctscope_mirror_remove(em->mirror, key);
	return 0;
}

/* Entries whose timeout ran out in the mirror: ask the kernel. */
static int expire(struct ctscope_eventmode *em, struct ctscope_source *src, struct ctscope_error *err)
{
	em->n_due = 0;
	size_t n = ctscope_mirror_advance(em->mirror, em->now, note_due, em);
	if (n == SIZE_MAX) {
		ctscope_error_set(err, ENOMEM, NULL, "cannot list the expired entries of the event mirror");
		return -1;
	}
	if (n == 0)
		return 0;
	size_t live = ctscope_mirror_count(em->mirror);
	if (n >= DUE_RESYNC_MIN && n >= live / DUE_RESYNC_SHARE)
	{
		em->need_resync = true;
		return catch_up(em, src, err);
	}
	struct ctscope_query_cbs cbs = { answer_found, answer_gone, em };
	size_t answered = 0;
	int rc = ctscope_events_query(em->events, em->due, em->n_due, &cbs, &answered, err);
	em->scanned += answered;
	if (em->due_cap > DUE_KEEP) { /* a mass expiry's list is not kept for life */
		free(em->due);
		em->due = NULL;
		em->n_due = em->due_cap = 0;
	}
	if (rc < 0)
		em->need_resync = true;
	return rc;
}

static int read_held(struct ctscope_eventmode *em, struct ctscope_source *src, unsigned top_n,
                     struct ctscope_snapshot *snap, struct ctscope_error *err)
{
	em->now = ctscope_mirror_clock();
	uint64_t dumps_before = em->dumps;
	em->scanned = 0;
	em->behind = false;
	if (em->synced && em->now - em->dumped_at >= RESYNC_EVERY_S)
		em->need_resync = true;
	if (catch_up(em, src, err) < 0 || expire(em, src, err) < 0)
		return -1;
	if (ctscope_source_read_stats(src, snap, err) < 0)
		return -1;
	em->added = 0;
	uint64_t dumps = em->dumps;
	if (catch_up(em, src, err) < 0)
		return -1;
	/* the mirror may not hold more than the kernel counted plus what was
	 * added since: more means entries whose DESTROY never came (a dump
	 * since the count is newer than it, and exempt; a mirror still behind
	 * the stream may be older than the count, and is not judged) */
	if (em->dumps == dumps && !em->behind && ctscope_mirror_count(em->mirror) > snap->table.entries + em->added) {
		em->need_resync = true;
		if (catch_up(em, src, err) < 0)
			return -1;
	}
	if (ctscope_summary_to_snapshot(em->sum, top_n, snap) < 0) {
		ctscope_error_set(err, ENOMEM, NULL, "cannot build the top lists");
		return -1;
	}
	ctscope_mirror_timeouts(em->mirror, snap->timeouts);
	snap->collector.entries_scanned = em->scanned;
	if (em->dumps != dumps_before)
		snap->collector.dump_split = ctscope_split_name(em->dump_split);
	snap->collector.has_events = true;
	snap->collector.events = em->events_applied;
	snap->collector.resyncs = em->resyncs;
	snap->collector.lost_events = ctscope_events_lost(em->events);
	return 0;
}

int ctscope_eventmode_read(struct ctscope_eventmode *em, struct ctscope_source *src, unsigned top_n,
                           struct ctscope_snapshot *snap, struct ctscope_error *err)
{
	/* the follower thread stays off the mirror while a read uses it */
	ctscope_follower_hold(em->follower);
	int rc = read_held(em, src, top_n, snap, err);
	ctscope_follower_release(em->follower);
	return rc;
}
