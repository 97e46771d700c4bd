/* events.c — the conntrack event stream of one namespace, and the unicast
 * questions event mode asks about single entries.
 *
 * Two sockets, both made inside the namespace: one subscribed to the NEW,
 * UPDATE and DESTROY groups and read without blocking, and one for
 * IPCTNL_MSG_CT_GET by tuple, whose answers would otherwise interleave
 * with the multicast stream.
 *
 * Overruns: when events arrive faster than they are read, the kernel drops
 * them and the next read fails with ENOBUFS. The follower (follower.c)
 * reads this socket as events come, so an overrun means the thread was
 * starved or the buffer too small: each one doubles the buffer, up to a
 * bound, because past it the reader is too slow, not the buffer too small
 * (conntrackd makes the same distinction). The kernel counts every
 * dropped message in the socket's sk_drops, which SO_MEMINFO reads:
 * lost_events is that count, exact, not a count of overruns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Receive buffer of the event socket as asked for (the kernel doubles it
 * for its bookkeeping). An event costs ~1.28 KiB of it (skb truesize;
 * measured on 6.18: 4 MiB held 6,553 NEW events, 32 MiB 52,428), so 128
 * MiB holds ~210,000 events: 0.7 s of a 300,000 events/s stream while the
 * follower thread gets no CPU. 32 MiB was not enough on this 2-core
 * machine: a burst of 200,000 new entries from two injectors, then a flush
 * of 1,200,000 (~320,000 events/s), lost events in 4 of 11 runs at 32 MiB
 * (the follower starved while the kernel's side of the flush and a read
 * held both cores), in none of 6 at 128 MiB. Memory is used only while
 * events wait, so the larger start costs nothing while the follower keeps
 * up. Each overrun doubles it, up to 256 MiB. */
#define EVENT_RCVBUF_INITIAL (128 * 1024 * 1024)
#define EVENT_RCVBUF_MAX (256 * 1024 * 1024)
/* recvmmsg batch: one event is one datagram of a few hundred bytes. */
#define EVENT_BATCH 64
#define EVENT_SLOT 8192
/* GETs per sendmsg: their answers (~4 KiB of buffer each) must fit the
 * query socket's buffer, or the kernel drops them. */
#define QUERY_BATCH 64
#define QUERY_MSG_MAX 256
#define QUERY_RCVBUF (2 * 1024 * 1024)

struct ctscope_events {
	struct mnl_socket *ev;
	struct mnl_socket *query;
	uint32_t query_portid, seq;
	int rcvbuf;          /* what we asked for the event socket */
	uint8_t *buf;        /* EVENT_BATCH * EVENT_SLOT, for the stream */
	uint8_t *answers;    /* the same, for the query socket: another thread may read the stream meanwhile */
};

static int set_rcvbuf(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0)
		return 0;
	/* unprivileged: capped by net.core.rmem_max */
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

static int read_events_sysctl(void)
{
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_events", "re");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Opens (inside the namespace, already entered) a socket subscribed to the
 * three conntrack groups. */
static struct mnl_socket *open_event_socket(int rcvbuf, int *err_out)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!nl) {
		*err_out = errno;
		return NULL;
	}
	static const unsigned groups[] = { NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE, NFNLGRP_CONNTRACK_DESTROY };
	int fd = mnl_socket_get_fd(nl);
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	set_rcvbuf(fd, rcvbuf); /* best effort: a small buffer only overruns sooner */
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		int g = (int)groups[i];
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0)
			goto fail;
	}
	return nl;
fail:
	*err_out = errno;
	mnl_socket_close(nl);
	return NULL;
}

static uint64_t socket_drops(struct mnl_socket *nl)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mem);
	if (!nl || getsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

void ctscope_events_close(struct ctscope_events *ev)
{
	if (!ev)
		return;
	if (ev->ev)
		mnl_socket_close(ev->ev);
	if (ev->query)
		mnl_socket_close(ev->query);
	free(ev->buf);
	free(ev->answers);
	free(ev);
}

struct ctscope_events *ctscope_events_open(int ns_fd, const char *spec, struct ctscope_error *err)
{
	struct ctscope_events *ev = calloc(1, sizeof(*ev));
	int saved, e = 0;
	if (!ev || !(ev->buf = malloc(EVENT_BATCH * EVENT_SLOT)) || !(ev->answers = malloc(EVENT_BATCH * EVENT_SLOT))) {
		ctscope_error_set(err, ENOMEM, NULL, "cannot set up the conntrack event socket");
		ctscope_events_close(ev);
		return NULL;
	}
	ev->rcvbuf = EVENT_RCVBUF_INITIAL;
	if (ctscope_netns_enter(ns_fd, spec, &saved, err) < 0) {
		ctscope_events_close(ev);
		return NULL;
	}
	int events_sysctl = read_events_sysctl();
	ev->ev = open_event_socket(ev->rcvbuf, &e);
	if (ev->ev) {
		ev->query = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (!ev->query || mnl_socket_bind(ev->query, 0, MNL_SOCKET_AUTOPID) < 0)
			e = errno;
	}
	if (ctscope_netns_leave(saved, err) < 0) {
		ctscope_events_close(ev);
		return NULL;
	}
	if (e) {
		ctscope_error_set(err, e, ctscope_error_advice(e), "cannot subscribe to conntrack events");
		ctscope_events_close(ev);
		return NULL;
	}
	if (events_sysctl == 0) {
		ctscope_error_set(err, EOPNOTSUPP,
		                  "set net.netfilter.nf_conntrack_events to 1 in that namespace, or use --mode dump",
		                  "conntrack events are switched off in namespace '%s'", spec ? spec : "(own)");
		ctscope_events_close(ev);
		return NULL;
	}
	set_rcvbuf(mnl_socket_get_fd(ev->query), QUERY_RCVBUF);
	ev->query_portid = mnl_socket_get_portid(ev->query);
	ev->seq = (uint32_t)time(NULL);
	return ev;
}

void ctscope_events_grow_buffer(struct ctscope_events *ev)
{
	if (ev->rcvbuf >= EVENT_RCVBUF_MAX)
		return;
	ev->rcvbuf *= 2;
	set_rcvbuf(mnl_socket_get_fd(ev->ev), ev->rcvbuf);
}

int ctscope_events_fd(const struct ctscope_events *ev)
{
	return mnl_socket_get_fd(ev->ev);
}

uint64_t ctscope_events_lost(const struct ctscope_events *ev)
{
	return socket_drops(ev->ev);
}


/* ---- the stream ---- */

struct event_ctx {
	ctscope_event_cb cb;
	void *data;
	struct ctscope_error *err;
	bool failed;
};

static int event_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct event_ctx *ctx = data;
	uint16_t type = nlh->nlmsg_type;
	bool destroy = type == ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE);
	if (!destroy && type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW))
		return MNL_CB_OK;
	struct ctscope_entry e;
	const char *why;
	if (ctscope_entry_parse(nlh, &e, &why) < 0) {
		ctscope_error_set(ctx->err, EBADMSG, "please report this with the kernel version",
		                  "the kernel sent a conntrack event ctscope cannot read: %s", why);
		ctx->failed = true;
		return MNL_CB_ERROR;
	}
	if (ctx->cb(&e, destroy, ctx->data) < 0) {
		ctscope_error_set(ctx->err, ENOMEM, "the event mirror is rebuilt at the next read",
		                  "cannot apply a conntrack event");
		ctx->failed = true;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int ctscope_events_drain(struct ctscope_events *ev, ctscope_event_cb cb, void *data, size_t max,
                         uint64_t *received, struct ctscope_error *err)
{
	struct mmsghdr msgs[EVENT_BATCH];
	struct iovec iov[EVENT_BATCH];
	struct event_ctx ctx = { cb, data, err, false };
	int fd = mnl_socket_get_fd(ev->ev);
	for (size_t taken = 0;;) {
		if (taken >= max)
			return 2;
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < EVENT_BATCH; i++) {
			iov[i] = (struct iovec){ ev->buf + (size_t)i * EVENT_SLOT, EVENT_SLOT };
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		unsigned want = max - taken < EVENT_BATCH ? (unsigned)(max - taken) : EVENT_BATCH;
		int n = recvmmsg(fd, msgs, want, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == ENOBUFS)
				return 1; /* overrun: the caller resyncs */
			ctscope_error_set(err, errno, ctscope_error_advice(errno), "cannot read conntrack events");
			return -1;
		}
		*received += (uint64_t)n;
		taken += (size_t)n;
		if (!cb)
			continue; /* thrown away: older than the resync to come */
		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				ctscope_error_set(err, EMSGSIZE, "please report this with the kernel version",
				                  "a conntrack event larger than %d bytes", EVENT_SLOT);
				return -1;
			}
			if (ctscope_netlink_check_framing(iov[i].iov_base, msgs[i].msg_len, "read a conntrack event", err) < 0)
				return -1;
			if (mnl_cb_run(iov[i].iov_base, msgs[i].msg_len, 0, 0, event_msg_cb, &ctx) == MNL_CB_ERROR) {
				if (!ctx.failed)
					ctscope_error_set(err, errno ? errno : EPROTO, NULL, "cannot read a conntrack event");
				return -1;
			}
		}
	}
}

/* ---- questions about single entries ---- */

static void put_tuple(struct nlmsghdr *nlh, const struct ctscope_entry *e)
{
	struct nlattr *orig = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (e->family == AF_INET6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, e->src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, e->dst);
	} else {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, e->src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, e->dst);
	}
	mnl_attr_nest_end(nlh, ip);
	struct nlattr *proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e->l4proto);
	switch (e->l4proto) {
	case IPPROTO_ICMP:
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(e->icmp_id));
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, e->icmp_type);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, e->icmp_code);
		break;
	case IPPROTO_ICMPV6:
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMPV6_ID, htons(e->icmp_id));
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_TYPE, e->icmp_type);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_CODE, e->icmp_code);
		break;
	case IPPROTO_TCP: case IPPROTO_UDP: case IPPROTO_UDPLITE: case IPPROTO_SCTP: case IPPROTO_DCCP:
	case IPPROTO_GRE: /* GRE keys travel as ports */
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(e->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(e->dport));
		break;
	default:
		break; /* the generic tracker knows only the protocol number */
	}
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, orig);
	if (e->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
}

/* Answers of one batch: each request's seq is base + its index. */
static int read_answers(struct ctscope_events *ev, const struct ctscope_entry *keys, size_t n, uint32_t base,
                        const struct ctscope_query_cbs *cbs, size_t *answered, struct ctscope_error *err)
{
	uint8_t *buf = ev->answers;
	for (;;) {
		ssize_t len = recv(mnl_socket_get_fd(ev->query), buf, EVENT_BATCH * EVENT_SLOT, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				return 0; /* unanswered ones are asked again next time */
			ctscope_error_set(err, errno, ctscope_error_advice(errno), "cannot read conntrack answers");
			return -1;
		}
		if (ctscope_netlink_check_framing(buf, (size_t)len, "read conntrack answers", err) < 0)
			return -1;
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)len; /* framing checked: every nlmsg_len fits */
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			uint32_t i = nlh->nlmsg_seq - base;
			if (i >= n || nlh->nlmsg_pid != ev->query_portid)
				continue; /* a late answer to an earlier batch */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *ne = mnl_nlmsg_get_payload(nlh);
				if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ne)))
					continue;
				if (ne->error == -ENOENT && cbs->gone(&keys[i], cbs->data) < 0)
					goto cb_failed;
				/* other errors: the entry keeps its place and is asked again */
			} else if (nlh->nlmsg_type == ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)) {
				struct ctscope_entry e;
				const char *why;
				if (ctscope_entry_parse(nlh, &e, &why) < 0)
					continue; /* asked again next time; the dump would report it */
				if (cbs->found(&e, cbs->data) < 0)
					goto cb_failed;
			} else {
				continue;
			}
			if (++*answered == n)
				return 0;
		}
	}
cb_failed:
	ctscope_error_set(err, ENOMEM, "the event mirror is rebuilt at the next read", "cannot apply an answer");
	return -1;
}

int ctscope_events_query(struct ctscope_events *ev, const struct ctscope_entry *keys, size_t n,
                         const struct ctscope_query_cbs *cbs, size_t *answered, struct ctscope_error *err)
{
	uint8_t *req = malloc(QUERY_BATCH * QUERY_MSG_MAX);
	if (!req) {
		ctscope_error_set(err, ENOMEM, NULL, "cannot ask the kernel about expired entries");
		return -1;
	}
	*answered = 0;
	int rc = 0;
	for (size_t done = 0; done < n && rc == 0; done += QUERY_BATCH) {
		size_t batch = n - done < QUERY_BATCH ? n - done : QUERY_BATCH;
		uint32_t base = ev->seq + 1;
		size_t len = 0;
		for (size_t i = 0; i < batch; i++) {
			struct nlmsghdr *nlh = mnl_nlmsg_put_header(req + len);
			nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
			nlh->nlmsg_flags = NLM_F_REQUEST;
			nlh->nlmsg_seq = ++ev->seq;
			struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
			nfg->nfgen_family = keys[done + i].family;
			nfg->version = NFNETLINK_V0;
			put_tuple(nlh, &keys[done + i]);
			len += nlh->nlmsg_len;
		}
		if (mnl_socket_sendto(ev->query, req, len) < 0) {
			ctscope_error_set(err, errno, ctscope_error_advice(errno), "cannot ask the kernel about expired entries");
			rc = -1;
			break;
		}
		/* the kernel answers inside sendmsg: everything is queued now */
		size_t got = 0;
		rc = read_answers(ev, keys + done, batch, base, cbs, &got, err);
		*answered += got;
	}
	free(req);
	return rc;
}
