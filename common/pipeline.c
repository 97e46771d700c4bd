/* pipeline.c — receive netlink dumps on one thread per socket, parse them
 * on another.
 *
 * The kernel builds each dump buffer inside our recvmsg() call, so on one
 * thread the kernel's work and our parsing add up. With the receiving
 * thread only receiving and a second thread parsing the buffers already
 * received, the two overlap on two cores and a dump costs what the
 * kernel's side costs: the floor. When the dump is split in parts (one
 * socket each, see split.c), each part has its own receiving thread, so
 * the kernel builds the parts on two cores at once.
 *
 * Buffers come from a pool and go to the parser through one queue, so
 * parts interleave but each part's buffers stay in the order recv
 * returned them. If the parser fails, every receiver still reads its dump
 * to the end (into a buffer of its own), so the sockets are clean for the
 * next request.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

#define POOL_BUFFERS 16
/* The parser is faster than the kernel, so it sleeps between buffers, and
 * waking it costs the receiving thread (the one on the floor's path) a
 * futex call each time. Woken once per 8 buffers instead of every one
 * (and 16 buffers in the pool instead of 8), the dump's median ratio to
 * the floor went from 1.09x to 1.02x over 10 interleaved rounds at
 * 1,000,000 entries (single rounds spread 0.8x-1.3x: a noisy machine). */
#define WAKE_BATCH 8

struct pipeline;

struct producer {
	struct pipeline *p;
	unsigned part;
	int fd;
	int recv_errno; /* 0, or why recv failed */
	uint8_t *drain; /* this producer's scratch once the parser is gone */
};

struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t filled, emptied;
	size_t buffer_size;
	uint8_t *buf[POOL_BUFFERS];
	size_t len[POOL_BUFFERS];
	unsigned part[POOL_BUFFERS];
	unsigned free_list[POOL_BUFFERS], n_free;
	unsigned queue[POOL_BUFFERS], head, count; /* filled buffers, oldest first */
	unsigned producing;  /* receivers not yet at their dump's end */
	bool consumer_done;  /* parser finished or failed */
	int consumer_rc;
	ctscope_pipeline_consume consume;
	void *arg;
};

/* Whether a buffer holds the message that ends a dump. */
static bool ends_dump(const uint8_t *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	size_t left = len;
	while (left >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= left) {
		if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
			return true;
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= left)
			break;
		left -= step;
		nlh = (const struct nlmsghdr *)((const uint8_t *)nlh + step);
	}
	return false;
}

static void *consumer(void *arg)
{
	struct pipeline *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->count == 0 && p->producing > 0)
			pthread_cond_wait(&p->filled, &p->mu);
		if (p->count == 0)
			break; /* every receiver is done */
		unsigned i = p->queue[p->head];
		p->head = (p->head + 1) % POOL_BUFFERS;
		p->count--;
		pthread_mutex_unlock(&p->mu);
		int rc = p->consume(p->buf[i], p->len[i], p->part[i], p->arg);
		pthread_mutex_lock(&p->mu);
		p->free_list[p->n_free++] = i;
		pthread_cond_broadcast(&p->emptied);
		if (rc < 0) { /* 0 only ends that buffer's part */
			p->consumer_rc = rc;
			break;
		}
	}
	p->consumer_done = true;
	pthread_cond_broadcast(&p->emptied);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Reads one socket's dump to its end, handing each buffer to the parser. */
static void *producer(void *arg)
{
	struct producer *me = arg;
	struct pipeline *p = me->p;
	bool end = false;
	while (!end) {
		pthread_mutex_lock(&p->mu);
		while (p->n_free == 0 && !p->consumer_done)
			pthread_cond_wait(&p->emptied, &p->mu);
		bool consumer_gone = p->consumer_done;
		unsigned slot = consumer_gone ? 0 : p->free_list[--p->n_free];
		pthread_mutex_unlock(&p->mu);

		uint8_t *buf = consumer_gone ? me->drain : p->buf[slot];
		ssize_t n = recv(me->fd, buf, p->buffer_size, 0);
		if (n <= 0) {
			/* netlink never ends a stream; 0 would loop forever */
			if (n == 0 || errno != EINTR)
				me->recv_errno = n == 0 ? ECONNRESET : errno;
			if (!consumer_gone) {
				pthread_mutex_lock(&p->mu);
				p->free_list[p->n_free++] = slot;
				pthread_mutex_unlock(&p->mu);
			}
			if (me->recv_errno)
				break;
			continue;
		}
		end = ends_dump(buf, (size_t)n);
		if (consumer_gone)
			continue;
		pthread_mutex_lock(&p->mu);
		p->len[slot] = (size_t)n;
		p->part[slot] = me->part;
		p->queue[(p->head + p->count) % POOL_BUFFERS] = slot;
		p->count++;
		if (p->count >= WAKE_BATCH || end)
			pthread_cond_signal(&p->filled);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->producing--;
	pthread_cond_signal(&p->filled);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Single-threaded fallback, when the parser's thread cannot be started:
 * each part in turn (the kernel keeps every socket's dump where it is). */
static void run_inline(struct pipeline *p, struct producer *prod, unsigned parts)
{
	for (unsigned k = 0; k < parts; k++) {
		int rc = p->consumer_rc; /* 1 until a consume fails */
		for (;;) {
			ssize_t n = recv(prod[k].fd, prod[k].drain, p->buffer_size, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				prod[k].recv_errno = n == 0 ? ECONNRESET : errno;
				break;
			}
			bool last = ends_dump(prod[k].drain, (size_t)n);
			if (rc > 0)
				rc = p->consume(prod[k].drain, (size_t)n, k, p->arg);
			if (rc < 0)
				p->consumer_rc = rc;
			if (last)
				break;
			/* after a failed consume, keep reading: drain to the end */
		}
	}
}

int ctscope_pipeline_run(const int *fds, unsigned parts, size_t buffer_size, ctscope_pipeline_consume consume,
                         void *arg, int *recv_errno)
{
	struct pipeline p = { .buffer_size = buffer_size, .consume = consume, .arg = arg, .consumer_rc = 1 };
	struct producer prod[CTSCOPE_PIPELINE_MAX_PARTS];
	pthread_t threads[CTSCOPE_PIPELINE_MAX_PARTS];
	bool started[CTSCOPE_PIPELINE_MAX_PARTS] = { false };
	int rc = -1;
	*recv_errno = 0;
	if (parts < 1 || parts > CTSCOPE_PIPELINE_MAX_PARTS) {
		*recv_errno = EINVAL;
		return -1;
	}
	memset(prod, 0, sizeof(prod));
	for (unsigned k = 0; k < parts; k++) {
		prod[k] = (struct producer){ &p, k, fds[k], 0, malloc(buffer_size) };
		if (!prod[k].drain)
			*recv_errno = ENOMEM;
	}
	for (unsigned i = 0; i < POOL_BUFFERS; i++) {
		if (!(p.buf[i] = malloc(buffer_size)))
			*recv_errno = ENOMEM;
		p.free_list[p.n_free++] = i;
	}
	if (*recv_errno)
		goto out;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.filled, NULL);
	pthread_cond_init(&p.emptied, NULL);
	p.producing = parts;
	pthread_t parser;
	if (pthread_create(&parser, NULL, consumer, &p) != 0) {
		run_inline(&p, prod, parts);
	} else {
		/* this thread receives part 0; parts it cannot give a thread of
		 * their own it receives after that, in turn */
		for (unsigned k = 1; k < parts; k++)
			started[k] = pthread_create(&threads[k], NULL, producer, &prod[k]) == 0;
		producer(&prod[0]);
		for (unsigned k = 1; k < parts; k++)
			if (!started[k])
				producer(&prod[k]);
		for (unsigned k = 1; k < parts; k++)
			if (started[k])
				pthread_join(threads[k], NULL);
		pthread_join(parser, NULL);
	}
	rc = p.consumer_rc < 0 ? -1 : 0;
	for (unsigned k = 0; k < parts; k++)
		if (prod[k].recv_errno) {
			*recv_errno = prod[k].recv_errno;
			rc = -1;
			break;
		}
	pthread_cond_destroy(&p.filled);
	pthread_cond_destroy(&p.emptied);
	pthread_mutex_destroy(&p.mu);
out:
	for (unsigned i = 0; i < POOL_BUFFERS; i++)
		free(p.buf[i]);
	for (unsigned k = 0; k < parts; k++)
		free(prod[k].drain);
	return rc;
}
