/* eventqueue.c — conntrack events already read from the socket and parsed,
 * waiting to be applied to the mirror, oldest first.
 *
 * Why a queue at all: the kernel keeps an event in the socket's buffer at
 * ~1.28 KiB of skb truesize, and drops what does not fit; parsed here it
 * takes 68 bytes. While the mirror is busy (a read, a resync's dump of a
 * million entries takes seconds) the follower thread keeps emptying the
 * socket into this queue, 19 times denser, and the events are applied in
 * order once the mirror is free.
 *
 * Events live in chunks of CHUNK events; a consumer takes a whole chunk
 * (the oldest, even if the newest and partly filled) and applies it
 * without holding the producer's lock, then gives it back for reuse. No
 * locking here: the follower serialises push/take/give_back.
 */
#include <stdlib.h>

#include "internal.h"

#define CHUNK 1024
/* Empty chunks kept for reuse; more are freed, so a burst's queue does not
 * stay allocated for life. */
#define SPARE_CHUNKS 4

struct ctscope_eventchunk {
	struct ctscope_eventchunk *next;
	size_t n;
	struct ctscope_queued_event ev[CHUNK];
};

struct ctscope_eventqueue {
	struct ctscope_eventchunk *head, *tail; /* oldest, newest */
	struct ctscope_eventchunk *spare;
	size_t n_spare;
	size_t count, max;
};

struct ctscope_eventqueue *ctscope_eventqueue_new(size_t max_events)
{
	struct ctscope_eventqueue *q = calloc(1, sizeof(*q));
	if (q)
		q->max = max_events;
	return q;
}

static void free_list(struct ctscope_eventchunk *c)
{
	while (c) {
		struct ctscope_eventchunk *next = c->next;
		free(c);
		c = next;
	}
}

void ctscope_eventqueue_free(struct ctscope_eventqueue *q)
{
	if (!q)
		return;
	free_list(q->head);
	free_list(q->spare);
	free(q);
}

size_t ctscope_eventqueue_count(const struct ctscope_eventqueue *q)
{
	return q->count;
}

bool ctscope_eventqueue_full(const struct ctscope_eventqueue *q)
{
	return q->count >= q->max;
}

int ctscope_eventqueue_push(struct ctscope_eventqueue *q, const struct ctscope_entry *e, bool destroy)
{
	struct ctscope_eventchunk *c = q->tail;
	if (!c || c->n == CHUNK) {
		if (q->spare) {
			c = q->spare;
			q->spare = c->next;
			q->n_spare--;
		} else if (!(c = malloc(sizeof(*c)))) {
			return -1;
		}
		c->next = NULL;
		c->n = 0;
		if (q->tail)
			q->tail->next = c;
		else
			q->head = c;
		q->tail = c;
	}
	c->ev[c->n].entry = *e;
	c->ev[c->n].destroy = destroy;
	c->n++;
	q->count++;
	return 0;
}

struct ctscope_eventchunk *ctscope_eventqueue_take(struct ctscope_eventqueue *q, const struct ctscope_queued_event **ev,
                                                   size_t *n)
{
	struct ctscope_eventchunk *c = q->head;
	if (!c)
		return NULL;
	q->head = c->next;
	if (!q->head)
		q->tail = NULL;
	c->next = NULL;
	q->count -= c->n;
	*ev = c->ev;
	*n = c->n;
	return c;
}

void ctscope_eventqueue_give_back(struct ctscope_eventqueue *q, struct ctscope_eventchunk *c)
{
	if (q->n_spare >= SPARE_CHUNKS) {
		free(c);
		return;
	}
	c->next = q->spare;
	q->spare = c;
	q->n_spare++;
}

void ctscope_eventqueue_clear(struct ctscope_eventqueue *q)
{
	const struct ctscope_queued_event *ev;
	size_t n;
	struct ctscope_eventchunk *c;
	while ((c = ctscope_eventqueue_take(q, &ev, &n)))
		ctscope_eventqueue_give_back(q, c);
}
