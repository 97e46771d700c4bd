/* follower.c — a thread that keeps the conntrack event socket empty and
 * the mirror current between reads.
 *
 * Why a thread: the kernel gives each listener a bounded buffer (an event
 * costs ~1.28 KiB of it) and drops what does not fit. Read only at report
 * time, every 1 to 10 s, even 64 MiB held ~50,000 events: a busy firewall
 * (100,000+ new connections a second) overran it between any two reads
 * and every read became a full resync. This thread empties the socket as
 * events come, parses them, and applies them to the mirror whenever no
 * read is using it; while a read does (a resync's dump can take seconds),
 * the parsed events wait in a queue 19 times denser than the socket.
 *
 * Order is everything: events must reach the mirror in the order the
 * kernel sent them. Two locks keep it:
 *  - intake: whoever holds it reads the socket and appends to the queue,
 *    so what is read is queued in the order it was read;
 *  - apply (the mirror's lock): whoever holds it takes chunks from the
 *    head of the queue and applies them, so chunks are applied in order.
 * A read holds apply for its whole length (ctscope_follower_hold); lock
 * order is apply, then intake. The thread only ever try-locks apply, and
 * not at all while a read is waiting for it, so a read waits at most for
 * one chunk to be applied.
 *
 * After an overrun the events still in the socket are older than the
 * resync's dump and incomplete, so they are read and thrown away
 * (unparsed) until the reader restarts the queue; what the kernel dropped
 * is counted by the kernel (sk_drops), exactly.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Parsed events waiting while a read holds the mirror: 68 bytes each,
 * ~68 MiB at most, ~5 s of 200,000 events/s. Past it the thread stops
 * reading, the socket fills, the kernel drops, and the read resyncs. */
#define QUEUE_MAX_EVENTS (1024 * 1024)
/* Events read per hold of the intake lock: a read waiting for the lock
 * waits for at most this many (~1 ms). */
#define INTAKE_BATCH 1024
/* Events the thread applies before it reads again: the socket must not
 * fill while the thread works through a backlog. */
#define THREAD_APPLY_EVENTS 2048
/* After the first event of a quiet spell, wait this long for more before
 * reading: a fast stream is then read in batches of hundreds. The socket
 * holds ~210,000 events (128 MiB, events.c); 2 ms of even 1,000,000
 * events/s is 2,000. */
#define GATHER_NS (2 * 1000 * 1000)
/* Reading the backlog of an overrun away stops here (a few times what the
 * largest socket buffer holds); a stream faster than that is reported as
 * a new overrun and resynced again. */
#define DISCARD_MAX (1024 * 1024)

struct ctscope_follower {
	struct ctscope_events *ev;
	ctscope_event_cb apply_cb;
	void *data;

	pthread_mutex_t apply;
	atomic_int readers; /* reads waiting for or holding apply */

	pthread_mutex_t intake;
	pthread_cond_t changed; /* room in the queue, an error taken, stopping */
	struct ctscope_eventqueue *queue;
	uint64_t received;  /* datagrams read */
	bool overrun;       /* events were lost since the last restart (kernel drop, or one not applied) */
	bool failed;        /* err holds an error the reader has not taken */
	bool apply_failed;  /* an event could not be applied (out of memory), not yet reported */
	bool stopping;
	struct ctscope_error err;

	int wake_fd;
	bool running;
	pthread_t thread;
};

static int enqueue(const struct ctscope_entry *e, bool destroy, void *data)
{
	struct ctscope_follower *f = data;
	return ctscope_eventqueue_push(f->queue, e, destroy);
}

/* With intake held: read up to max datagrams, queued (or thrown away
 * after an overrun). Returns what ctscope_events_drain returns. */
static int take_in(struct ctscope_follower *f, size_t max, struct ctscope_error *err)
{
	int rc = ctscope_events_drain(f->ev, f->overrun ? NULL : enqueue, f, max, &f->received, err);
	if (rc == 1) {
		f->overrun = true;
		ctscope_eventqueue_clear(f->queue); /* older than the resync to come */
		ctscope_events_grow_buffer(f->ev);
	}
	return rc;
}

/* With apply held: apply queued chunks, oldest first, until the queue is
 * empty or at least max events were applied. */
static void apply_queued(struct ctscope_follower *f, size_t max)
{
	for (size_t done = 0; done < max;) {
		const struct ctscope_queued_event *ev;
		size_t n;
		pthread_mutex_lock(&f->intake);
		struct ctscope_eventchunk *c = f->overrun ? NULL : ctscope_eventqueue_take(f->queue, &ev, &n);
		pthread_cond_broadcast(&f->changed);
		pthread_mutex_unlock(&f->intake);
		if (!c)
			return;
		bool failed = false;
		done += n;
		for (size_t i = 0; i < n && !failed; i++)
			failed = f->apply_cb(&ev[i].entry, ev[i].destroy, f->data) < 0;
		pthread_mutex_lock(&f->intake);
		ctscope_eventqueue_give_back(f->queue, c);
		if (failed) {
			/* the mirror is not to be trusted, nor touched, until the
			 * resync: what follows is thrown away as after an overrun */
			f->apply_failed = true;
			f->overrun = true;
			ctscope_eventqueue_clear(f->queue);
		}
		pthread_mutex_unlock(&f->intake);
	}
}

static void *follow(void *arg)
{
	struct ctscope_follower *f = arg;
	struct pollfd pfd[2] = { { ctscope_events_fd(f->ev), POLLIN, 0 }, { f->wake_fd, POLLIN, 0 } };
	for (;;) {
		pthread_mutex_lock(&f->intake);
		/* an error waits for the reader to take it; a full queue for a
		 * read to apply it (with no read about, it is applied below) */
		while (!f->stopping &&
		       (f->failed || (ctscope_eventqueue_full(f->queue) && atomic_load(&f->readers) > 0)))
			pthread_cond_wait(&f->changed, &f->intake);
		if (f->stopping) {
			pthread_mutex_unlock(&f->intake);
			return NULL;
		}
		int rc = 3; /* 3: full, nothing read */
		if (!ctscope_eventqueue_full(f->queue) && (rc = take_in(f, INTAKE_BATCH, &f->err)) < 0)
			f->failed = true;
		/* (after an overrun nothing is queued: the thread would spin on
		 * a queue it may not apply) */
		bool queued = ctscope_eventqueue_count(f->queue) > 0;
		pthread_mutex_unlock(&f->intake);
		/* Reading comes first: what is not read in time the kernel
		 * drops, what is queued waits safely. So the queue is applied
		 * only once the socket is empty, or the queue is full. */
		if (rc == 1 || rc == 2)
			continue;
		if (queued && atomic_load(&f->readers) == 0 && pthread_mutex_trylock(&f->apply) == 0) {
			apply_queued(f, THREAD_APPLY_EVENTS);
			pthread_mutex_unlock(&f->apply);
			continue; /* read what came meanwhile, then apply more */
		}
		/* the socket is empty and nothing can be applied: sleep until
		 * an event comes, or a wake (a read ended, or stop); then let
		 * more gather: woken for every event of a fast stream, the
		 * thread spent more on switching than on the events */
		if (rc == 0 && poll(pfd, 2, -1) > 0) {
			if (pfd[1].revents & POLLIN) {
				uint64_t v;
				if (read(f->wake_fd, &v, sizeof(v)) < 0) {
					/* already reset by an earlier read: nothing pending */
				}
			} else {
				struct timespec gather = { 0, GATHER_NS };
				nanosleep(&gather, NULL);
			}
		}
	}
}

static void wake(struct ctscope_follower *f)
{
	uint64_t one = 1;
	if (write(f->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: a wake is pending anyway */
	}
}

struct ctscope_follower *ctscope_follower_start(struct ctscope_events *ev, ctscope_event_cb apply, void *data,
                                                struct ctscope_error *err)
{
	struct ctscope_follower *f = calloc(1, sizeof(*f));
	if (!f || !(f->queue = ctscope_eventqueue_new(QUEUE_MAX_EVENTS))) {
		ctscope_error_set(err, ENOMEM, NULL, "cannot set up the conntrack event queue");
		if (f)
			free(f);
		return NULL;
	}
	f->ev = ev;
	f->apply_cb = apply;
	f->data = data;
	f->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->wake_fd < 0) {
		ctscope_error_set(err, errno, NULL, "cannot set up the conntrack event thread");
		ctscope_eventqueue_free(f->queue);
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->apply, NULL);
	pthread_mutex_init(&f->intake, NULL);
	pthread_cond_init(&f->changed, NULL);
	/* Signals stay with the front-end's threads: a SIGINT or SIGWINCH
	 * taken here would not wake the front-end's own waits. */
	sigset_t all, saved;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	/* Without a thread every read drains the socket itself, as the only
	 * reader: slower to follow a busy table, never wrong. */
	f->running = pthread_create(&f->thread, NULL, follow, f) == 0;
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (f->running)
		pthread_setname_np(f->thread, "ctscope-events");
	return f;
}

void ctscope_follower_stop(struct ctscope_follower *f)
{
	if (!f)
		return;
	if (f->running) {
		pthread_mutex_lock(&f->intake);
		f->stopping = true;
		pthread_cond_broadcast(&f->changed);
		pthread_mutex_unlock(&f->intake);
		wake(f);
		pthread_join(f->thread, NULL);
	}
	pthread_cond_destroy(&f->changed);
	pthread_mutex_destroy(&f->intake);
	pthread_mutex_destroy(&f->apply);
	close(f->wake_fd);
	ctscope_eventqueue_free(f->queue);
	free(f);
}

void ctscope_follower_hold(struct ctscope_follower *f)
{
	atomic_fetch_add(&f->readers, 1);
	pthread_mutex_lock(&f->apply);
}

void ctscope_follower_release(struct ctscope_follower *f)
{
	pthread_mutex_unlock(&f->apply);
	atomic_fetch_sub(&f->readers, 1);
	/* events queued while the read held the mirror are applied now, not
	 * at the next event; an error waits no longer for a read */
	pthread_mutex_lock(&f->intake);
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->intake);
	wake(f);
}

int ctscope_follower_catch_up(struct ctscope_follower *f, size_t max, uint64_t *received, struct ctscope_error *err)
{
	pthread_mutex_lock(&f->intake);
	if (f->failed) {
		*err = f->err;
		f->failed = false;
		pthread_cond_broadcast(&f->changed);
		pthread_mutex_unlock(&f->intake);
		return -1;
	}
	/* an apply that failed also set overrun: nothing is read or applied
	 * then, and its error is reported below */
	int rc = f->overrun ? 1 : take_in(f, max, err);
	*received = f->received;
	/* what is queued now, and no more: the thread keeps reading a
	 * stream behind us, and a read must end */
	size_t queued = ctscope_eventqueue_count(f->queue);
	pthread_mutex_unlock(&f->intake);
	if (rc < 0)
		return -1;
	if (rc != 1)
		apply_queued(f, queued);
	pthread_mutex_lock(&f->intake);
	bool apply_failed = f->apply_failed; /* by the thread before, or just now */
	f->apply_failed = false;
	pthread_mutex_unlock(&f->intake);
	if (apply_failed) {
		ctscope_error_set(err, ENOMEM, "the event mirror is rebuilt at the next read", "cannot apply a conntrack event");
		return -1;
	}
	return rc; /* 0 drained, 1 events lost since the restart, 2 stopped at max */
}

void ctscope_follower_restart(struct ctscope_follower *f)
{
	pthread_mutex_lock(&f->intake);
	ctscope_eventqueue_clear(f->queue);
	f->overrun = false;
	f->apply_failed = false;
	struct ctscope_error ignored = { 0 };
	int rc = ctscope_events_drain(f->ev, NULL, NULL, DISCARD_MAX, &f->received, &ignored);
	if (rc != 0)
		f->overrun = true; /* dropped again, never emptied, or unreadable: the next read resyncs */
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->intake);
}
