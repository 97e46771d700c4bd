/* pipeline.c — receive a netlink dump on one thread, parse it on another.
 *
 * The kernel builds each dump buffer inside our recvmsg() call, so on one
 * thread the kernel's work and our parsing add up. With the receiving
 * thread only receiving and a second thread parsing the buffers already
 * received, the two overlap on two cores and a dump costs what the
 * kernel's side costs: the floor. A ring of a few buffers decouples them.
 *
 * The consumer sees the buffers in order, each exactly as recv returned
 * it. If the consumer fails, the producer still reads the dump to its
 * end, so the socket is clean for the next request.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

#define RING_BUFFERS 16
/* The parser is faster than the kernel, so it sleeps between buffers, and
 * waking it costs the receiving thread (the one on the floor's path) a
 * futex call each time. Woken once per 8 buffers instead of every one
 * (and 16 buffers in the ring instead of 8), the dump's median ratio to
 * the floor went from 1.09x to 1.02x over 10 interleaved rounds at
 * 1,000,000 entries (single rounds spread 0.8x-1.3x: a noisy machine). */
#define WAKE_BATCH 8

struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t filled, emptied;
	uint8_t *buf[RING_BUFFERS];
	size_t len[RING_BUFFERS];
	unsigned head, count; /* oldest full buffer, number of full buffers */
	bool produced_all;    /* the producer will push no more */
	bool consumer_done;   /* consumer finished or failed */
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
		while (p->count == 0 && !p->produced_all)
			pthread_cond_wait(&p->filled, &p->mu);
		if (p->count == 0)
			break; /* producer stopped before the end: its error wins */
		unsigned i = p->head;
		pthread_mutex_unlock(&p->mu);
		int rc = p->consume(p->buf[i], p->len[i], p->arg);
		pthread_mutex_lock(&p->mu);
		p->head = (p->head + 1) % RING_BUFFERS;
		p->count--;
		pthread_cond_signal(&p->emptied);
		if (rc <= 0) {
			p->consumer_rc = rc;
			break;
		}
	}
	p->consumer_done = true;
	pthread_cond_signal(&p->emptied);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Single-threaded fallback, when no thread can be started. */
static int run_inline(int fd, uint8_t *buf, size_t size, ctscope_pipeline_consume consume, void *arg, int *recv_errno)
{
	int rc = 1;
	for (;;) {
		ssize_t n = recv(fd, buf, size, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*recv_errno = errno;
			return -1;
		}
		bool last = ends_dump(buf, (size_t)n);
		if (rc > 0)
			rc = consume(buf, (size_t)n, arg);
		if (last || rc == 0)
			return rc < 0 ? -1 : 0;
		/* after a failed consume, keep reading: drain to the end */
	}
}

int ctscope_pipeline_run(int fd, size_t buffer_size, ctscope_pipeline_consume consume, void *arg, int *recv_errno)
{
	struct pipeline p = { .consume = consume, .arg = arg, .consumer_rc = 1 };
	int rc = -1;
	*recv_errno = 0;
	for (int i = 0; i < RING_BUFFERS; i++)
		if (!(p.buf[i] = malloc(buffer_size))) {
			*recv_errno = ENOMEM;
			goto out;
		}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.filled, NULL);
	pthread_cond_init(&p.emptied, NULL);
	pthread_t thread;
	if (pthread_create(&thread, NULL, consumer, &p) != 0) {
		rc = run_inline(fd, p.buf[0], buffer_size, consume, arg, recv_errno);
		goto destroy;
	}

	bool end = false, failed = false;
	uint8_t *drain = NULL;
	while (!end) {
		pthread_mutex_lock(&p.mu);
		while (p.count == RING_BUFFERS && !p.consumer_done)
			pthread_cond_wait(&p.emptied, &p.mu);
		bool consumer_gone = p.consumer_done;
		unsigned slot = (p.head + p.count) % RING_BUFFERS;
		pthread_mutex_unlock(&p.mu);

		/* once the consumer is gone, read the rest into a scratch buffer */
		uint8_t *buf = consumer_gone ? (drain ? drain : (drain = p.buf[slot])) : p.buf[slot];
		ssize_t n = recv(fd, buf, buffer_size, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*recv_errno = errno;
			failed = true;
			break;
		}
		end = ends_dump(buf, (size_t)n);
		if (consumer_gone)
			continue;
		pthread_mutex_lock(&p.mu);
		p.len[slot] = (size_t)n;
		p.count++;
		if (p.count >= WAKE_BATCH || end)
			pthread_cond_signal(&p.filled);
		pthread_mutex_unlock(&p.mu);
	}
	pthread_mutex_lock(&p.mu);
	p.produced_all = true;
	pthread_cond_signal(&p.filled);
	pthread_mutex_unlock(&p.mu);
	pthread_join(thread, NULL);
	if (failed || p.consumer_rc < 0)
		rc = -1;
	else
		rc = 0;
destroy:
	pthread_cond_destroy(&p.filled);
	pthread_cond_destroy(&p.emptied);
	pthread_mutex_destroy(&p.mu);
out:
	for (int i = 0; i < RING_BUFFERS; i++)
		free(p.buf[i]);
	return rc;
}
