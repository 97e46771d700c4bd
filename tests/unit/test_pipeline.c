/* test_pipeline.c — the receiving side of a dump, over socket pairs that
 * stand in for netlink sockets (SOCK_SEQPACKET keeps each buffer whole, as
 * a netlink recv does): every buffer of every part reaches the parser
 * once, each part in its order; a parser that fails leaves every socket
 * read to its dump's end; a socket that fails or ends early is reported,
 * never waited on forever; and a refusal at the head of a socket is seen
 * without being taken. */
#include <errno.h>
#include <linux/netlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

#define BUF 4096
#define PER_PART 40 /* buffers before the one that ends a part: more than the pool */

struct pair {
	int rd, wr;
};

static struct pair pair_new(void)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	int big = 1 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	return (struct pair){ sv[0], sv[1] };
}

/* One buffer: a message of type 0x100 carrying (part, n), or DONE. */
static void send_buffer(int fd, uint16_t type, uint32_t part, uint32_t n)
{
	union {
		struct nlmsghdr h;
		uint8_t b[NLMSG_HDRLEN + 8];
	} u;
	memset(&u, 0, sizeof(u));
	u.h.nlmsg_len = sizeof(u.b);
	u.h.nlmsg_type = type;
	memcpy(u.b + NLMSG_HDRLEN, &part, 4);
	memcpy(u.b + NLMSG_HDRLEN + 4, &n, 4);
	assert_int_equal(send(fd, u.b, sizeof(u.b), 0), (ssize_t)sizeof(u.b));
}

static void send_dump(int fd, uint32_t part, uint32_t buffers)
{
	for (uint32_t n = 0; n < buffers; n++)
		send_buffer(fd, 0x100, part, n);
	send_buffer(fd, NLMSG_DONE, part, buffers);
}

struct seen {
	uint32_t next[CTSCOPE_PIPELINE_MAX_PARTS]; /* next n expected per part */
	bool done[CTSCOPE_PIPELINE_MAX_PARTS];
	uint32_t total;
	uint32_t fail_at; /* fail on this buffer overall (0: never) */
};

static int consume(const void *buf, size_t len, unsigned part, void *arg)
{
	struct seen *s = arg;
	const struct nlmsghdr *h = buf;
	assert_true(len >= NLMSG_HDRLEN + 8);
	assert_true(part < CTSCOPE_PIPELINE_MAX_PARTS);
	uint32_t p, n;
	memcpy(&p, (const uint8_t *)buf + NLMSG_HDRLEN, 4);
	memcpy(&n, (const uint8_t *)buf + NLMSG_HDRLEN + 4, 4);
	assert_int_equal(p, part);              /* tagged with the socket it came from */
	assert_int_equal(n, s->next[part]);     /* in that socket's order */
	assert_false(s->done[part]);
	s->next[part]++;
	if (++s->total == s->fail_at)
		return -1;
	if (h->nlmsg_type == NLMSG_DONE) {
		s->done[part] = true;
		return 0;
	}
	return 1;
}

static void assert_drained(int fd)
{
	uint8_t b[64];
	errno = 0;
	assert_int_equal(recv(fd, b, sizeof(b), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

static void run_parts(unsigned parts)
{
	struct pair pr[CTSCOPE_PIPELINE_MAX_PARTS];
	int fds[CTSCOPE_PIPELINE_MAX_PARTS];
	for (unsigned k = 0; k < parts; k++) {
		pr[k] = pair_new();
		fds[k] = pr[k].rd;
		send_dump(pr[k].wr, k, PER_PART + k * 7);
	}
	struct seen s = { 0 };
	int recv_errno = -1;
	assert_int_equal(ctscope_pipeline_run(fds, parts, BUF, consume, &s, &recv_errno), 0);
	assert_int_equal(recv_errno, 0);
	uint32_t want = 0;
	for (unsigned k = 0; k < parts; k++) {
		assert_true(s.done[k]);
		assert_int_equal(s.next[k], PER_PART + k * 7 + 1);
		want += PER_PART + k * 7 + 1;
		assert_drained(pr[k].rd);
		close(pr[k].rd);
		close(pr[k].wr);
	}
	assert_int_equal(s.total, want);
}

static void one_part_in_order(void **state)
{
	(void)state;
	run_parts(1);
}

static void two_parts_each_in_order(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++) /* the interleaving differs run to run */
		run_parts(2);
}

static void failed_parser_leaves_sockets_clean(void **state)
{
	(void)state;
	struct pair a = pair_new(), b = pair_new();
	send_dump(a.wr, 0, PER_PART);
	send_dump(b.wr, 1, PER_PART);
	int fds[2] = { a.rd, b.rd };
	struct seen s = { .fail_at = 5 };
	int recv_errno = -1;
	assert_int_equal(ctscope_pipeline_run(fds, 2, BUF, consume, &s, &recv_errno), -1);
	assert_int_equal(recv_errno, 0); /* the parser failed, not a socket */
	assert_int_equal(s.total, 5);    /* nothing parsed after the failure */
	assert_drained(a.rd);            /* both read to their ends anyway */
	assert_drained(b.rd);
	close(a.rd), close(a.wr), close(b.rd), close(b.wr);
}

static void socket_ending_early_is_an_error(void **state)
{
	(void)state;
	struct pair a = pair_new(), b = pair_new();
	send_dump(a.wr, 0, PER_PART);
	for (uint32_t n = 0; n < 3; n++) /* part 1 stops without its end */
		send_buffer(b.wr, 0x100, 1, n);
	close(b.wr);
	int fds[2] = { a.rd, b.rd };
	struct seen s = { 0 };
	int recv_errno = 0;
	assert_int_equal(ctscope_pipeline_run(fds, 2, BUF, consume, &s, &recv_errno), -1);
	assert_int_equal(recv_errno, ECONNRESET);
	assert_true(s.done[0]); /* the other part was still read whole */
	assert_drained(a.rd);
	close(a.rd), close(a.wr), close(b.rd);
}

/* A split dump's first answer, looked at before anything is read: an
 * error is seen and left in place, data is not mistaken for one. */
static void refusal_is_peeked(void **state)
{
	(void)state;
	struct pair a = pair_new();
	union {
		struct nlmsghdr h;
		uint8_t b[NLMSG_HDRLEN + sizeof(struct nlmsgerr)];
	} u;
	memset(&u, 0, sizeof(u));
	u.h.nlmsg_len = sizeof(u.b);
	u.h.nlmsg_type = NLMSG_ERROR;
	((struct nlmsgerr *)(u.b + NLMSG_HDRLEN))->error = -EINVAL;
	assert_int_equal(send(a.wr, u.b, sizeof(u.b), 0), (ssize_t)sizeof(u.b));
	assert_int_equal(ctscope_netlink_refused(a.rd), EINVAL);
	assert_int_equal(ctscope_netlink_refused(a.rd), EINVAL); /* still there */
	uint8_t got[64];
	assert_int_equal(recv(a.rd, got, sizeof(got), 0), (ssize_t)sizeof(u.b));
	assert_int_equal(ctscope_netlink_refused(a.rd), 0); /* nothing queued */
	send_buffer(a.wr, 0x100, 0, 0);
	assert_int_equal(ctscope_netlink_refused(a.rd), 0); /* data */
	send_buffer(a.wr, NLMSG_DONE, 0, 1);
	close(a.rd), close(a.wr);
}

static void bad_part_count_is_refused(void **state)
{
	(void)state;
	int fds[CTSCOPE_PIPELINE_MAX_PARTS + 1] = { 0 };
	struct seen s = { 0 };
	int recv_errno = 0;
	assert_int_equal(ctscope_pipeline_run(fds, 0, BUF, consume, &s, &recv_errno), -1);
	assert_int_equal(recv_errno, EINVAL);
	assert_int_equal(ctscope_pipeline_run(fds, CTSCOPE_PIPELINE_MAX_PARTS + 1, BUF, consume, &s, &recv_errno), -1);
	assert_int_equal(s.total, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_part_in_order),
		cmocka_unit_test(two_parts_each_in_order),
		cmocka_unit_test(failed_parser_leaves_sockets_clean),
		cmocka_unit_test(socket_ending_early_is_an_error),
		cmocka_unit_test(refusal_is_peeked),
		cmocka_unit_test(bad_part_count_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
