/* entry.c — one ctnetlink conntrack message into a struct ctscope_entry.
 *
 * We parse with libmnl directly rather than libnetfilter_conntrack: the
 * summary needs a dozen attributes, and nfct's full object build (every
 * attribute copied into a 400-byte nf_conntrack, then read back through
 * getters) is the difference between ~1.1x and ~1.4x of the kernel's own
 * dump time on a big table. Every attribute we read is validated by
 * libmnl first; unknown attribute types are skipped (newer kernels add
 * them), and anything malformed rejects the message, never reads past it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <string.h>

#include "internal.h"

struct tuple {
	bool has_ip, has_proto;
	uint8_t src[16], dst[16];
	uint8_t l4proto;
	bool has_ports, has_icmp_id;
	uint16_t sport, dport, icmp_id;
	uint8_t icmp_type, icmp_code;
	bool has_zone;
	uint16_t zone;
};

/* Attribute table filler: skips what it does not know, validates the
 * rest by kind. `max` bounds the table; `policy` gives each type its kind
 * (MNL_TYPE_UNSPEC = ignored). Sizes come from the policy's `len`. */
struct attr_policy {
	enum mnl_attr_data_type type;
	size_t len; /* exact payload length for MNL_TYPE_BINARY, else 0 */
};

struct parse_ctx {
	const struct nlattr **tb;
	const struct attr_policy *policy;
	unsigned max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct parse_ctx *ctx = data;
	unsigned type = mnl_attr_get_type(attr);
	if (type > ctx->max || ctx->policy[type].type == MNL_TYPE_UNSPEC)
		return MNL_CB_OK;
	const struct attr_policy *p = &ctx->policy[type];
	int rc = p->type == MNL_TYPE_BINARY ? mnl_attr_validate2(attr, p->type, p->len) : mnl_attr_validate(attr, p->type);
	if (rc < 0)
		return MNL_CB_ERROR;
	ctx->tb[type] = attr;
	return MNL_CB_OK;
}

/* Walks the attributes in [start, start+len). libmnl's own walk stops
 * quietly at the first attribute that does not fit; here bytes left over
 * mean a broken attribute, and the message is rejected instead of being
 * read with the attributes after it silently missing. */
static int walk_attrs(const void *start, size_t len, struct parse_ctx *ctx)
{
	const struct nlattr *attr = start;
	const char *end = (const char *)start + len;
	while (mnl_attr_ok(attr, (int)(end - (const char *)attr))) {
		if (attr_cb(attr, ctx) < 0)
			return -1;
		attr = mnl_attr_next(attr);
	}
	return end - (const char *)attr > 0 ? -1 : 0;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb, const struct attr_policy *policy,
                        unsigned max)
{
	struct parse_ctx ctx = { tb, policy, max };
	memset(tb, 0, sizeof(*tb) * (max + 1));
	return walk_attrs(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), &ctx);
}

static const struct attr_policy top_policy[CTA_MAX + 1] = {
	[CTA_TUPLE_ORIG] = { MNL_TYPE_NESTED, 0 }, [CTA_TUPLE_REPLY] = { MNL_TYPE_NESTED, 0 },
	[CTA_STATUS] = { MNL_TYPE_U32, 0 },        [CTA_PROTOINFO] = { MNL_TYPE_NESTED, 0 },
	[CTA_TIMEOUT] = { MNL_TYPE_U32, 0 },       [CTA_MARK] = { MNL_TYPE_U32, 0 },
	[CTA_ID] = { MNL_TYPE_U32, 0 },            [CTA_ZONE] = { MNL_TYPE_U16, 0 },
};

static const struct attr_policy tuple_policy[CTA_TUPLE_MAX + 1] = {
	[CTA_TUPLE_IP] = { MNL_TYPE_NESTED, 0 },
	[CTA_TUPLE_PROTO] = { MNL_TYPE_NESTED, 0 },
	[CTA_TUPLE_ZONE] = { MNL_TYPE_U16, 0 },
};

static const struct attr_policy ip_policy[CTA_IP_MAX + 1] = {
	[CTA_IP_V4_SRC] = { MNL_TYPE_U32, 0 },
	[CTA_IP_V4_DST] = { MNL_TYPE_U32, 0 },
	[CTA_IP_V6_SRC] = { MNL_TYPE_BINARY, 16 },
	[CTA_IP_V6_DST] = { MNL_TYPE_BINARY, 16 },
};

static const struct attr_policy proto_policy[CTA_PROTO_MAX + 1] = {
	[CTA_PROTO_NUM] = { MNL_TYPE_U8, 0 },        [CTA_PROTO_SRC_PORT] = { MNL_TYPE_U16, 0 },
	[CTA_PROTO_DST_PORT] = { MNL_TYPE_U16, 0 },  [CTA_PROTO_ICMP_ID] = { MNL_TYPE_U16, 0 },
	[CTA_PROTO_ICMPV6_ID] = { MNL_TYPE_U16, 0 },  [CTA_PROTO_ICMP_TYPE] = { MNL_TYPE_U8, 0 },
	[CTA_PROTO_ICMP_CODE] = { MNL_TYPE_U8, 0 },   [CTA_PROTO_ICMPV6_TYPE] = { MNL_TYPE_U8, 0 },
	[CTA_PROTO_ICMPV6_CODE] = { MNL_TYPE_U8, 0 },
};

static const struct attr_policy protoinfo_policy[CTA_PROTOINFO_MAX + 1] = {
	[CTA_PROTOINFO_TCP] = { MNL_TYPE_NESTED, 0 },
};

static const struct attr_policy tcpinfo_policy[CTA_PROTOINFO_TCP_MAX + 1] = {
	[CTA_PROTOINFO_TCP_STATE] = { MNL_TYPE_U8, 0 },
};

static int parse_ip(const struct nlattr *nest, struct tuple *t, const char **why)
{
	const struct nlattr *tb[CTA_IP_MAX + 1];
	if (parse_nested(nest, tb, ip_policy, CTA_IP_MAX) < 0) {
		*why = "malformed address attribute (CTA_TUPLE_IP)";
		return -1;
	}
	if (tb[CTA_IP_V4_SRC] && tb[CTA_IP_V4_DST]) {
		memcpy(t->src, mnl_attr_get_payload(tb[CTA_IP_V4_SRC]), 4);
		memcpy(t->dst, mnl_attr_get_payload(tb[CTA_IP_V4_DST]), 4);
	} else if (tb[CTA_IP_V6_SRC] && tb[CTA_IP_V6_DST]) {
		memcpy(t->src, mnl_attr_get_payload(tb[CTA_IP_V6_SRC]), 16);
		memcpy(t->dst, mnl_attr_get_payload(tb[CTA_IP_V6_DST]), 16);
	} else {
		*why = "tuple without source and destination address";
		return -1;
	}
	t->has_ip = true;
	return 0;
}

static int parse_proto(const struct nlattr *nest, struct tuple *t, const char **why)
{
	const struct nlattr *tb[CTA_PROTO_MAX + 1];
	if (parse_nested(nest, tb, proto_policy, CTA_PROTO_MAX) < 0) {
		*why = "malformed protocol attribute (CTA_TUPLE_PROTO)";
		return -1;
	}
	if (!tb[CTA_PROTO_NUM]) {
		*why = "tuple without protocol number (CTA_PROTO_NUM)";
		return -1;
	}
	t->l4proto = mnl_attr_get_u8(tb[CTA_PROTO_NUM]);
	if (tb[CTA_PROTO_SRC_PORT] && tb[CTA_PROTO_DST_PORT]) {
		t->has_ports = true;
		t->sport = ntohs(mnl_attr_get_u16(tb[CTA_PROTO_SRC_PORT]));
		t->dport = ntohs(mnl_attr_get_u16(tb[CTA_PROTO_DST_PORT]));
	}
	const struct nlattr *id = tb[CTA_PROTO_ICMP_ID] ? tb[CTA_PROTO_ICMP_ID] : tb[CTA_PROTO_ICMPV6_ID];
	if (id) {
		t->has_icmp_id = true;
		t->icmp_id = ntohs(mnl_attr_get_u16(id));
	}
	const struct nlattr *type = tb[CTA_PROTO_ICMP_TYPE] ? tb[CTA_PROTO_ICMP_TYPE] : tb[CTA_PROTO_ICMPV6_TYPE];
	const struct nlattr *code = tb[CTA_PROTO_ICMP_CODE] ? tb[CTA_PROTO_ICMP_CODE] : tb[CTA_PROTO_ICMPV6_CODE];
	if (type)
		t->icmp_type = mnl_attr_get_u8(type);
	if (code)
		t->icmp_code = mnl_attr_get_u8(code);
	t->has_proto = true;
	return 0;
}

static int parse_tuple(const struct nlattr *nest, struct tuple *t, const char **why)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1];
	memset(t, 0, sizeof(*t));
	if (parse_nested(nest, tb, tuple_policy, CTA_TUPLE_MAX) < 0) {
		*why = "malformed tuple attribute";
		return -1;
	}
	if (!tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO]) {
		*why = "tuple without address or protocol";
		return -1;
	}
	if (parse_ip(tb[CTA_TUPLE_IP], t, why) < 0 || parse_proto(tb[CTA_TUPLE_PROTO], t, why) < 0)
		return -1;
	if (tb[CTA_TUPLE_ZONE]) {
		t->has_zone = true;
		t->zone = ntohs(mnl_attr_get_u16(tb[CTA_TUPLE_ZONE]));
	}
	return 0;
}

/* NAT is what makes the reply differ from the original swapped. ICMP's
 * reply type differs by nature (echo -> echo reply), so only addresses,
 * ports and the ICMP id are compared. */
static bool tuples_are_swapped(const struct tuple *o, const struct tuple *r)
{
	if (memcmp(o->src, r->dst, 16) != 0 || memcmp(o->dst, r->src, 16) != 0 || o->l4proto != r->l4proto)
		return false;
	if (o->has_ports != r->has_ports || (o->has_ports && (o->sport != r->dport || o->dport != r->sport)))
		return false;
	if (o->has_icmp_id != r->has_icmp_id || (o->has_icmp_id && o->icmp_id != r->icmp_id))
		return false;
	return true;
}

static uint8_t parse_tcp_state(const struct nlattr *protoinfo)
{
	const struct nlattr *tb[CTA_PROTOINFO_MAX + 1];
	const struct nlattr *tcp[CTA_PROTOINFO_TCP_MAX + 1];
	if (parse_nested(protoinfo, tb, protoinfo_policy, CTA_PROTOINFO_MAX) < 0 || !tb[CTA_PROTOINFO_TCP])
		return CTSCOPE_TCP_STATE_NONE;
	if (parse_nested(tb[CTA_PROTOINFO_TCP], tcp, tcpinfo_policy, CTA_PROTOINFO_TCP_MAX) < 0 ||
	    !tcp[CTA_PROTOINFO_TCP_STATE])
		return CTSCOPE_TCP_STATE_NONE;
	return mnl_attr_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]);
}

int ctscope_entry_parse(const struct nlmsghdr *nlh, struct ctscope_entry *e, const char **why)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	struct parse_ctx ctx = { tb, top_policy, CTA_MAX };
	struct tuple orig, reply;

	memset(e, 0, sizeof(*e));
	e->tcp_state = CTSCOPE_TCP_STATE_NONE;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg))) {
		*why = "message shorter than its netfilter header";
		return -1;
	}
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	e->family = nfg->nfgen_family;
	if (walk_attrs(mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg)),
	               nlh->nlmsg_len - mnl_nlmsg_size(sizeof(struct nfgenmsg)), &ctx) < 0) {
		*why = "malformed attribute";
		return -1;
	}
	if (!tb[CTA_TUPLE_ORIG]) {
		*why = "entry without original tuple (CTA_TUPLE_ORIG)";
		return -1;
	}
	if (parse_tuple(tb[CTA_TUPLE_ORIG], &orig, why) < 0)
		return -1;
	e->l4proto = orig.l4proto;
	memcpy(e->src, orig.src, 16);
	memcpy(e->dst, orig.dst, 16);
	if (orig.has_ports) {
		e->sport = orig.sport;
		e->dport = orig.dport;
	}
	e->icmp_id = orig.icmp_id;
	e->icmp_type = orig.icmp_type;
	e->icmp_code = orig.icmp_code;
	if (tb[CTA_TUPLE_REPLY]) {
		if (parse_tuple(tb[CTA_TUPLE_REPLY], &reply, why) < 0)
			return -1;
		e->nat = !tuples_are_swapped(&orig, &reply);
	}
	/* CTA_ZONE carries a zone that applies to both directions; a zone of
	 * the original direction alone comes inside its tuple. */
	if (tb[CTA_ZONE])
		e->zone = ntohs(mnl_attr_get_u16(tb[CTA_ZONE]));
	else if (orig.has_zone)
		e->zone = orig.zone;
	if (tb[CTA_STATUS])
		e->status = ntohl(mnl_attr_get_u32(tb[CTA_STATUS]));
	if (tb[CTA_TIMEOUT]) {
		e->has_timeout = true;
		e->timeout = ntohl(mnl_attr_get_u32(tb[CTA_TIMEOUT]));
	}
	if (tb[CTA_MARK])
		e->mark = ntohl(mnl_attr_get_u32(tb[CTA_MARK]));
	if (tb[CTA_ID])
		e->id = ntohl(mnl_attr_get_u32(tb[CTA_ID]));
	if (tb[CTA_PROTOINFO] && e->l4proto == IPPROTO_TCP)
		e->tcp_state = parse_tcp_state(tb[CTA_PROTOINFO]);
	return 0;
}

enum ctscope_family ctscope_entry_family(const struct ctscope_entry *e)
{
	switch (e->family) {
	case AF_INET: return CTSCOPE_FAMILY_IPV4;
	case AF_INET6: return CTSCOPE_FAMILY_IPV6;
	default: return CTSCOPE_FAMILY_OTHER;
	}
}

enum ctscope_proto ctscope_entry_proto(const struct ctscope_entry *e)
{
	switch (e->l4proto) {
	case IPPROTO_TCP: return CTSCOPE_PROTO_TCP;
	case IPPROTO_UDP: return CTSCOPE_PROTO_UDP;
	case IPPROTO_UDPLITE: return CTSCOPE_PROTO_UDPLITE;
	case IPPROTO_ICMP: return CTSCOPE_PROTO_ICMP;
	case IPPROTO_ICMPV6: return CTSCOPE_PROTO_ICMPV6;
	case IPPROTO_SCTP: return CTSCOPE_PROTO_SCTP;
	case IPPROTO_GRE: return CTSCOPE_PROTO_GRE;
	case IPPROTO_DCCP: return CTSCOPE_PROTO_DCCP;
	default: return CTSCOPE_PROTO_OTHER;
	}
}

bool ctscope_proto_has_ports(enum ctscope_proto p)
{
	return p == CTSCOPE_PROTO_TCP || p == CTSCOPE_PROTO_UDP || p == CTSCOPE_PROTO_UDPLITE ||
	       p == CTSCOPE_PROTO_SCTP || p == CTSCOPE_PROTO_DCCP;
}

enum ctscope_tcp_state ctscope_entry_tcp_state(const struct ctscope_entry *e)
{
	/* kernel TCP_CONNTRACK_SYN_SENT (1) .. TCP_CONNTRACK_LISTEN (9), in
	 * the same order as ours; LISTEN is reported as SYN_SENT2. */
	if (e->l4proto != IPPROTO_TCP || e->tcp_state < TCP_CONNTRACK_SYN_SENT || e->tcp_state > TCP_CONNTRACK_LISTEN)
		return CTSCOPE_TCP_STATE_COUNT;
	return (enum ctscope_tcp_state)(e->tcp_state - TCP_CONNTRACK_SYN_SENT);
}

enum ctscope_timeout_band ctscope_timeout_band(uint32_t t)
{
	if (t <= 10)
		return CTSCOPE_TIMEOUT_LE_10S;
	if (t <= 60)
		return CTSCOPE_TIMEOUT_LE_1M;
	if (t <= 600)
		return CTSCOPE_TIMEOUT_LE_10M;
	if (t <= 3600)
		return CTSCOPE_TIMEOUT_LE_1H;
	if (t <= 86400)
		return CTSCOPE_TIMEOUT_LE_1D;
	return CTSCOPE_TIMEOUT_GT_1D;
}
