/* source.c — the ctnetlink socket of one namespace: the O(1) reads
 * (global count and max, per-CPU counters, expectations) and the full
 * dump. Framing and attribute validation are libmnl's; this file only
 * says what to ask for and which answers to keep.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* The kernel fills at most 32 KiB per dump skb (it grows its skb to the
 * largest read it has seen, capped there); a bigger buffer changes
 * nothing, a smaller one costs system calls. */
#define RECV_BUFFER_SIZE (64 * 1024)
/* A kernel that never answers must not hang a collectd read thread. */
#define RECV_TIMEOUT_SECONDS 20

struct ctscope_source {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	/* the second part of a split dump (split.c); NULL: dumps are whole */
	struct mnl_socket *nl2;
	uint32_t portid2;
	bool split_refused; /* the kernel refused or ignored the filter */
	char *spec; /* for messages */
	uint64_t ns_dev, ns_ino; /* the namespace opened, to notice it going */
	struct ctscope_sysctls sysctls;
	uint8_t *buf;
};

struct ctscope_source *ctscope_source_open(int ns_fd, const char *spec, struct ctscope_error *err)
{
	struct ctscope_source *src = calloc(1, sizeof(*src));
	int saved;
	if (!src || !(src->buf = malloc(RECV_BUFFER_SIZE)) || (spec && !(src->spec = strdup(spec)))) {
		ctscope_error_set(err, ENOMEM, NULL, "cannot open conntrack source");
		goto fail;
	}
	for (int i = 0; i < CTSCOPE_SYSCTL_COUNT; i++)
		src->sysctls.fd[i] = -1;
	struct stat st;
	if (fstat(ns_fd, &st) < 0) {
		ctscope_error_set(err, errno, NULL, "cannot inspect network namespace '%s'", spec ? spec : "(own)");
		goto fail;
	}
	src->ns_dev = (uint64_t)st.st_dev;
	src->ns_ino = (uint64_t)st.st_ino;
	if (ctscope_netns_enter(ns_fd, spec, &saved, err) < 0)
		goto fail;
	/* The socket belongs to the namespace it is created in, for life. */
	src->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int open_errno = errno;
	if (src->nl && mnl_socket_bind(src->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		open_errno = errno;
		mnl_socket_close(src->nl);
		src->nl = NULL;
	}
	/* without it a dump is simply not split */
	src->nl2 = src->nl ? mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC) : NULL;
	if (src->nl2 && mnl_socket_bind(src->nl2, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(src->nl2);
		src->nl2 = NULL;
	}
	ctscope_sysctls_open(&src->sysctls);
	if (ctscope_netns_leave(saved, err) < 0)
		goto fail;
	if (!src->nl) {
		ctscope_error_set(err, open_errno, ctscope_error_advice(open_errno), "cannot open ctnetlink socket");
		goto fail;
	}
	src->portid = mnl_socket_get_portid(src->nl);
	src->seq = (uint32_t)time(NULL);
	struct timeval tv = { RECV_TIMEOUT_SECONDS, 0 };
	setsockopt(mnl_socket_get_fd(src->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (src->nl2) {
		src->portid2 = mnl_socket_get_portid(src->nl2);
		setsockopt(mnl_socket_get_fd(src->nl2), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	return src;
fail:
	ctscope_source_close(src);
	return NULL;
}

void ctscope_source_close(struct ctscope_source *src)
{
	if (!src)
		return;
	if (src->nl)
		mnl_socket_close(src->nl);
	if (src->nl2)
		mnl_socket_close(src->nl2);
	ctscope_sysctls_close(&src->sysctls);
	free(src->spec);
	free(src->buf);
	free(src);
}

/* ---- request / receive loop ---- */

struct run_ctx {
	const char *what; /* "dump the conntrack table", ... */
	mnl_cb_t msg_cb;  /* for data messages */
	void *data;
	struct ctscope_error *err;
	bool failed;      /* set by msg_cb when it filled err */
};

/* A request on nl: one header, and the split's filter for one part of a
 * dump. */
static int send_on(struct mnl_socket *nl, uint32_t seq, uint8_t subsys, uint8_t type, uint16_t flags,
                   enum ctscope_split_by by, unsigned part, struct ctscope_error *err, const char *what)
{
	union {
		struct nlmsghdr align;
		char buf[256];
	} req;
	char *buf = req.buf;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)((subsys << 8) | type);
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	ctscope_split_request(by, part, nlh, nfg);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ctscope_error_set(err, errno, ctscope_error_advice(errno), "cannot %s", what);
		return -1;
	}
	return 0;
}

static int send_request(struct ctscope_source *src, uint8_t subsys, uint8_t type, uint16_t flags,
                        struct ctscope_error *err, const char *what)
{
	return send_on(src->nl, ++src->seq, subsys, type, flags, CTSCOPE_SPLIT_NONE, 0, err, what);
}

/* libmnl 1.0.4's mnl_nlmsg_ok() compares nlmsg_len as a signed int, so a
 * length of 2 GiB or more passes as negative and mnl_nlmsg_next() jumps
 * that far past the buffer (found by tests/fuzz); and a message cut short
 * ends its walk quietly, leaving an entry uncounted without a word. So
 * the framing of the whole buffer is checked before any message is used. */
int ctscope_netlink_check_framing(const void *data, size_t len, const char *what, struct ctscope_error *err)
{
	const uint8_t *buf = data;
	size_t off = 0;
	while (off < len) {
		struct nlmsghdr h = { 0 };
		size_t left = len - off;
		if (left >= sizeof(h))
			memcpy(&h, buf + off, sizeof(h));
		if (left < sizeof(h)) {
			ctscope_error_set(err, EBADMSG, "please report this with the kernel version",
			                  "cannot %s: the kernel's answer ends in %zu bytes that are not a whole netlink "
			                  "message", what, left);
			return -1;
		}
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > left) {
			ctscope_error_set(err, EBADMSG, "please report this with the kernel version",
			                  "cannot %s: the kernel sent a netlink message claiming %u bytes where %zu remain",
			                  what, h.nlmsg_len, left);
			return -1;
		}
		off += MNL_ALIGN(h.nlmsg_len) < left ? MNL_ALIGN(h.nlmsg_len) : left;
	}
	return 0;
}

static int run_buffer(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct run_ctx *ctx)
{
	if (ctscope_netlink_check_framing(buf, len, ctx->what, ctx->err) < 0)
		return -1;
	errno = 0;
	int rc = mnl_cb_run(buf, len, seq, portid, ctx->msg_cb, ctx);
	if (rc == MNL_CB_ERROR) {
		if (!ctx->failed) {
			int e = errno ? errno : EPROTO;
			ctscope_error_set(ctx->err, e, ctscope_error_advice(e), "cannot %s", ctx->what);
		}
		return -1;
	}
	return rc; /* MNL_CB_STOP (0): done; MNL_CB_OK (1): more to come */
}

static int receive_all(struct ctscope_source *src, struct run_ctx *ctx)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(src->nl, src->buf, RECV_BUFFER_SIZE);
		if (n < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			ctscope_error_set(ctx->err, e,
			                  e == EAGAIN ? "the kernel did not answer within 20 s" : ctscope_error_advice(e),
			                  "cannot %s", ctx->what);
			return -1;
		}
		int rc = run_buffer(src->buf, (size_t)n, src->seq, src->portid, ctx);
		if (rc <= MNL_CB_STOP)
			return rc;
	}
}

/* ---- the dump ---- */

struct dump_ctx {
	struct run_ctx run;
	ctscope_entry_cb cb;
	void *data;
	uint64_t *scanned;
	enum ctscope_split_by by;
	unsigned part;     /* of the buffer being parsed */
	uint64_t *foreign; /* entries a part received that are not its own */
};

static int dump_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	struct ctscope_entry e;
	const char *why;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW))
		return MNL_CB_OK; /* not an entry: nothing to count */
	if (ctscope_entry_parse(nlh, &e, &why) < 0) {
		ctscope_error_set(ctx->run.err, EBADMSG, "please report this with the kernel version",
		                  "the kernel sent a conntrack entry ctscope cannot read: %s", why);
		ctx->run.failed = true;
		return MNL_CB_ERROR;
	}
	/* The kernel marks what it filtered, and is trusted with it: an
	 * entry whose status changes between its filter and its message is
	 * counted where the filter put it. An unmarked answer to a split
	 * request is the whole table (a kernel without status filters):
	 * each part keeps only its own. */
	if (ctx->by != CTSCOPE_SPLIT_NONE && !(nlh->nlmsg_flags & NLM_F_DUMP_FILTERED) &&
	    !ctscope_split_holds(ctx->by, ctx->part, &e)) {
		(*ctx->foreign)++; /* the other part counts it */
		return MNL_CB_OK;
	}
	(*ctx->scanned)++;
	if (ctx->cb(&e, ctx->data) < 0) {
		ctscope_error_set(ctx->run.err, ENOMEM, NULL, "cannot add an entry to the summary");
		ctx->run.failed = true;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

#define DUMP_WHAT "read the conntrack table"

int ctscope_source_parse_part(const void *buf, size_t len, uint32_t seq, uint32_t portid, enum ctscope_split_by by,
                              unsigned part, ctscope_entry_cb cb, void *data, uint64_t *scanned, uint64_t *foreign,
                              struct ctscope_error *err)
{
	struct dump_ctx ctx = { { DUMP_WHAT, dump_msg_cb, NULL, err, false }, cb, data, scanned, by, part, foreign };
	return run_buffer(buf, len, seq, portid, &ctx.run);
}

int ctscope_source_parse_buffer(const void *buf, size_t len, uint32_t seq, uint32_t portid, ctscope_entry_cb cb,
                                void *data, uint64_t *scanned, struct ctscope_error *err)
{
	uint64_t foreign = 0;
	return ctscope_source_parse_part(buf, len, seq, portid, CTSCOPE_SPLIT_NONE, 0, cb, data, scanned, &foreign,
	                                 err);
}

struct pipeline_arg {
	struct dump_ctx *ctx;
	uint32_t seq[CTSCOPE_PIPELINE_MAX_PARTS], portid[CTSCOPE_PIPELINE_MAX_PARTS];
};

static int consume_buffer(const void *buf, size_t len, unsigned part, void *arg)
{
	struct pipeline_arg *pa = arg;
	pa->ctx->part = part;
	return run_buffer(buf, len, pa->seq[part], pa->portid[part], &pa->ctx->run);
}

static int consume_nothing(const void *buf, size_t len, unsigned part, void *arg)
{
	(void)buf, (void)len, (void)part, (void)arg;
	return 1;
}

/* Whether the kernel answered a filtered dump request with an error at
 * once (a kernel that does not know the filter): looks at the first
 * message without taking it. The answer is queued by the time sendto
 * returns: the kernel starts a dump, or fails it, inside that call. */
int ctscope_netlink_refused(int fd)
{
	union {
		struct nlmsghdr align;
		uint8_t buf[NLMSG_HDRLEN + sizeof(struct nlmsgerr)];
	} u;
	ssize_t n = recv(fd, u.buf, sizeof(u.buf), MSG_PEEK | MSG_DONTWAIT);
	if (n < (ssize_t)sizeof(u.buf) || u.align.nlmsg_type != NLMSG_ERROR)
		return 0;
	const struct nlmsgerr *e = (const struct nlmsgerr *)(u.buf + NLMSG_HDRLEN);
	return e->error < 0 ? -e->error : 0;
}

int ctscope_source_dump(struct ctscope_source *src, enum ctscope_split_by by, ctscope_entry_cb cb, void *data,
                        uint64_t *scanned, enum ctscope_split_by *used, struct ctscope_error *err)
{
	uint64_t foreign = 0;
	struct dump_ctx ctx = { { DUMP_WHAT, dump_msg_cb, NULL, err, false }, cb, data, scanned, by, 0, &foreign };
	if (!src->nl2 || src->split_refused)
		by = ctx.by = CTSCOPE_SPLIT_NONE;
	struct pipeline_arg pa = { &ctx, { 0 }, { src->portid, src->portid2 } };
	int fds[CTSCOPE_PIPELINE_MAX_PARTS] = { mnl_socket_get_fd(src->nl), src->nl2 ? mnl_socket_get_fd(src->nl2) : -1 };
	pa.seq[0] = ++src->seq;
	if (send_on(src->nl, pa.seq[0], NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, NLM_F_DUMP, by, 0, err, DUMP_WHAT) < 0)
		return -1;
	int refused = by == CTSCOPE_SPLIT_NONE ? 0 : ctscope_netlink_refused(fds[0]);
	if (refused == EINVAL || refused == EOPNOTSUPP) {
		/* take the error off the socket and ask for the whole table */
		uint8_t scratch[NLMSG_HDRLEN + sizeof(struct nlmsgerr)];
		if (recv(fds[0], scratch, sizeof(scratch), 0) < 0) {
			ctscope_error_set(err, errno, ctscope_error_advice(errno), "cannot %s", DUMP_WHAT);
			return -1;
		}
		src->split_refused = true;
		by = ctx.by = CTSCOPE_SPLIT_NONE;
		pa.seq[0] = ++src->seq;
		if (send_on(src->nl, pa.seq[0], NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, NLM_F_DUMP, by, 0, err,
		            DUMP_WHAT) < 0)
			return -1;
	}
	unsigned parts = by == CTSCOPE_SPLIT_NONE ? 1 : 2;
	if (parts == 2) {
		pa.seq[1] = ++src->seq;
		if (send_on(src->nl2, pa.seq[1], NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, NLM_F_DUMP, by, 1, err,
		            DUMP_WHAT) < 0) {
			/* part 0 is running: read it off the socket before failing */
			int ignored;
			ctscope_pipeline_run(fds, 1, RECV_BUFFER_SIZE, consume_nothing, NULL, &ignored);
			return -1;
		}
	}
	int recv_errno;
	if (ctscope_pipeline_run(fds, parts, RECV_BUFFER_SIZE, consume_buffer, &pa, &recv_errno) < 0) {
		if (recv_errno)
			ctscope_error_set(err, recv_errno,
			                  recv_errno == EAGAIN ? "the kernel did not answer within 20 s"
			                                       : ctscope_error_advice(recv_errno),
			                  "cannot %s", DUMP_WHAT);
		return -1;
	}
	/* a kernel before 5.15 ignores a status filter and sends each part
	 * the whole table: right numbers, twice the kernel's work; no more */
	if (foreign)
		src->split_refused = true;
	if (used)
		*used = by;
	return 0;
}

/* ---- the O(1) reads ---- */

/* kernel CTA_STATS_* -> ours; the rest ("no longer used") are not kept. */
static const int stat_of_attr[] = {
	[CTA_STATS_FOUND] = CTSCOPE_STAT_FOUND + 1,
	[CTA_STATS_INVALID] = CTSCOPE_STAT_INVALID + 1,
	[CTA_STATS_INSERT] = CTSCOPE_STAT_INSERT + 1,
	[CTA_STATS_INSERT_FAILED] = CTSCOPE_STAT_INSERT_FAILED + 1,
	[CTA_STATS_DROP] = CTSCOPE_STAT_DROP + 1,
	[CTA_STATS_EARLY_DROP] = CTSCOPE_STAT_EARLY_DROP + 1,
	[CTA_STATS_ERROR] = CTSCOPE_STAT_ERROR + 1,
	[CTA_STATS_SEARCH_RESTART] = CTSCOPE_STAT_SEARCH_RESTART + 1,
	[CTA_STATS_CLASH_RESOLVE] = CTSCOPE_STAT_CLASH_RESOLVE + 1,
	[CTA_STATS_CHAIN_TOOLONG] = CTSCOPE_STAT_CHAINTOOLONG + 1,
};
#define STAT_ATTRS (int)(sizeof(stat_of_attr) / sizeof(stat_of_attr[0]))

struct stats_ctx {
	struct run_ctx run;
	struct ctscope_snapshot *snap;
	bool got_global;
	uint64_t expectations;
};

/* One message per CPU. Attributes are read straight from this message:
 * nothing carries over from one CPU's message to the next. */
static int cpu_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats_ctx *ctx = data;
	const struct nlattr *attr;
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
	{
		int type = mnl_attr_get_type(attr);
		if (type >= STAT_ATTRS || stat_of_attr[type] == 0)
			continue; /* newer kernels add counters we do not name */
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0) {
			ctscope_error_set(ctx->run.err, EBADMSG, NULL, "malformed per-CPU conntrack counter from the kernel");
			ctx->run.failed = true;
			return MNL_CB_ERROR;
		}
		int s = stat_of_attr[type] - 1;
		ctx->snap->stats[s] += ntohl(mnl_attr_get_u32(attr));
		ctx->snap->has_stat[s] = true;
	}
	return MNL_CB_OK;
}

static int global_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats_ctx *ctx = data;
	const struct nlattr *attr;
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
	{
		int type = mnl_attr_get_type(attr);
		if (type != CTA_STATS_GLOBAL_ENTRIES && type != CTA_STATS_GLOBAL_MAX_ENTRIES)
			continue;
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0) {
			ctscope_error_set(ctx->run.err, EBADMSG, NULL, "malformed global conntrack counter from the kernel");
			ctx->run.failed = true;
			return MNL_CB_ERROR;
		}
		uint32_t v = ntohl(mnl_attr_get_u32(attr));
		if (type == CTA_STATS_GLOBAL_ENTRIES) {
			ctx->snap->table.entries = v;
			ctx->got_global = true;
		} else {
			ctx->snap->table.max = v;
			ctx->snap->table.has_max = true;
		}
	}
	return MNL_CB_OK;
}

static int expect_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats_ctx *ctx = data;
	if (nlh->nlmsg_type == ((NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_NEW))
		ctx->expectations++;
	return MNL_CB_OK;
}

int ctscope_source_read_stats(struct ctscope_source *src, struct ctscope_snapshot *snap, struct ctscope_error *err)
{
	struct stats_ctx ctx = { { "read the conntrack counters", global_stats_cb, NULL, err, false }, snap, false, 0 };

	if (ctscope_netns_check(src->spec, src->ns_dev, src->ns_ino, err) < 0)
		return -1;

	if (send_request(src, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS, NLM_F_ACK, err, ctx.run.what) < 0 ||
	    receive_all(src, &ctx.run) < 0)
		return -1;
	if (!ctx.got_global) {
		ctscope_error_set(err, EPROTO, "is this kernel older than 3.8?",
		                  "the kernel did not report the conntrack entry count");
		return -1;
	}

	ctx.run = (struct run_ctx){ "read the per-CPU conntrack counters", cpu_stats_cb, NULL, err, false };
	if (send_request(src, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU, NLM_F_DUMP, err, ctx.run.what) < 0 ||
	    receive_all(src, &ctx.run) < 0)
		return -1;

	ctx.run = (struct run_ctx){ "read the conntrack expectations", expect_cb, NULL, err, false };
	if (send_request(src, NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_GET, NLM_F_DUMP, err, ctx.run.what) < 0 ||
	    receive_all(src, &ctx.run) < 0)
		return -1;
	snap->table.expectations = ctx.expectations;
	snap->table.has_expectations = true;

	ctscope_sysctls_read(&src->sysctls, snap);
	if (!snap->table.has_max && snap->has_sysctl[CTSCOPE_SYSCTL_MAX]) {
		snap->table.max = snap->sysctl[CTSCOPE_SYSCTL_MAX];
		snap->table.has_max = true;
	}
	if (snap->has_sysctl[CTSCOPE_SYSCTL_BUCKETS]) {
		snap->table.buckets = snap->sysctl[CTSCOPE_SYSCTL_BUCKETS];
		snap->table.has_buckets = true;
	}
	if (snap->table.has_max && snap->table.max > 0)
		snap->table.fill_percent = 100.0 * (double)snap->table.entries / (double)snap->table.max;
	return 0;
}
