/* ctinject — puts conntrack entries into a namespace's table over ctnetlink,
 * so tests can build a table of any shape in a second without traffic.
 *
 *   ctinject [--netns NAME|PATH] [--delete] [-q] < lines
 *
 * One entry (or `count` entries) per input line, `key=value` fields, `#`
 * starts a comment:
 *
 *   proto=tcp src=10.0.0.1 dst=192.0.2.1 sport=1000 dport=443
 *   state=established timeout=3600 flags=assured,seen_reply zone=0 mark=0
 *   count=1000 vary=sport
 *
 * proto: tcp udp udplite sctp dccp icmp icmpv6 gre, or a number (other).
 * The family comes from the addresses. ICMP uses type= code= id= (default
 * echo request 8/0, 128/0 for icmpv6; the reply type is derived, or
 * reply_type=). GRE keys travel as sport/dport. SCTP needs verification
 * tags: vtag_orig= vtag_reply= (default 1 and 2). reply_src= reply_dst=
 * reply_sport= reply_dport= give a NAT-like reply tuple; by default the
 * reply is the original swapped. state= is the TCP (or SCTP) state, default
 * established; flags= takes assured, seen_reply (an entry without
 * seen_reply is UNREPLIED) or none, default none; timeout= seconds, default
 * 600; zone= (sent as CTA_ZONE, both directions) and mark=, default 0.
 * count=N vary=sport|dport|src|dst|id makes N entries by adding 0..N-1 to
 * that field (and to its mirror in the reply tuple, so NAT mappings stay one
 * to one); a port or id that passes 65535 wraps to 0 and carries one into
 * its address, and addresses add as big-endian integers.
 *
 * --delete sends IPCTNL_MSG_CT_DELETE for the same lines: the kernel finds
 * each entry by its original tuple and zone. --netns enters /run/netns/NAME
 * (or the path given) before opening the socket; without it, the current
 * namespace is used, so `ip netns exec NS ctinject` works too. -q prints
 * nothing unless something failed.
 *
 * The whole input is parsed before anything is sent, so a typo injects
 * nothing. Messages go out in ~32 KiB batches with no per-message ACK (the
 * kernel reports only failures); the last message of each batch asks for an
 * ACK so we know the batch is done. Exit 0 when every entry was made, 1 when
 * any failed, 2 on bad usage or input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_sctp.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#define BATCH_BYTES (32 * 1024)
#define MSG_MAX 512 /* generous upper bound of one CT_NEW message */
#define BATCH_MSGS_MAX 1024
#define ERRORS_SHOWN 20
#define COUNT_MAX 50000000UL

enum vary_field { VARY_NONE, VARY_SPORT, VARY_DPORT, VARY_SRC, VARY_DST, VARY_ID };
enum l4_kind { L4_PORTS, L4_ICMP, L4_ICMPV6, L4_NONE };

struct tuple {
	uint8_t src[16], dst[16];
	uint16_t sport, dport; /* ports, or GRE keys */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;
};

/* One input line, after defaults are filled in. */
struct spec {
	unsigned lineno;
	int family;
	uint8_t proto;
	enum l4_kind kind;
	struct tuple orig, reply;
	int state; /* TCP or SCTP state, -1 for protocols without one */
	uint32_t vtag_orig, vtag_reply;
	uint32_t status;
	uint32_t timeout;
	uint16_t zone;
	uint32_t mark;
	bool has_mark;
	unsigned long count;
	enum vary_field vary;
};

struct options {
	const char *netns;
	bool delete;
	bool quiet;
};

/* Where each message of the batch in flight came from, to name the line of
 * a failure the kernel reports by sequence number. */
struct batch {
	char buf[BATCH_BYTES + MSG_MAX];
	size_t len;
	struct nlmsghdr *last;
	uint32_t first_seq;
	size_t n;
	const struct spec *spec[BATCH_MSGS_MAX];
	unsigned long index[BATCH_MSGS_MAX];
};

struct run {
	struct mnl_socket *nl;
	const struct options *opt;
	uint32_t seq;
	unsigned long made, failed, shown;
	bool lost; /* error reports lost to a full receive buffer */
	struct batch batch;
};

/* ---- names ------------------------------------------------------------ */

struct name_value {
	const char *name;
	int value;
};

static const struct name_value protos[] = {
	{"tcp", IPPROTO_TCP},   {"udp", IPPROTO_UDP}, {"udplite", IPPROTO_UDPLITE}, {"sctp", IPPROTO_SCTP},
	{"dccp", IPPROTO_DCCP}, {"icmp", IPPROTO_ICMP}, {"icmpv6", IPPROTO_ICMPV6}, {"gre", IPPROTO_GRE},
	{NULL, 0},
};

static const struct name_value tcp_states[] = {
	{"none", TCP_CONNTRACK_NONE},
	{"syn_sent", TCP_CONNTRACK_SYN_SENT},
	{"syn_recv", TCP_CONNTRACK_SYN_RECV},
	{"established", TCP_CONNTRACK_ESTABLISHED},
	{"fin_wait", TCP_CONNTRACK_FIN_WAIT},
	{"close_wait", TCP_CONNTRACK_CLOSE_WAIT},
	{"last_ack", TCP_CONNTRACK_LAST_ACK},
	{"time_wait", TCP_CONNTRACK_TIME_WAIT},
	{"close", TCP_CONNTRACK_CLOSE},
	{"syn_sent2", TCP_CONNTRACK_SYN_SENT2},
	{"listen", TCP_CONNTRACK_LISTEN},
	{NULL, 0},
};

static const struct name_value sctp_states[] = {
	{"closed", SCTP_CONNTRACK_CLOSED},
	{"cookie_wait", SCTP_CONNTRACK_COOKIE_WAIT},
	{"cookie_echoed", SCTP_CONNTRACK_COOKIE_ECHOED},
	{"established", SCTP_CONNTRACK_ESTABLISHED},
	{"shutdown_sent", SCTP_CONNTRACK_SHUTDOWN_SENT},
	{"shutdown_recd", SCTP_CONNTRACK_SHUTDOWN_RECD},
	{"shutdown_ack_sent", SCTP_CONNTRACK_SHUTDOWN_ACK_SENT},
	{"heartbeat_sent", SCTP_CONNTRACK_HEARTBEAT_SENT},
	{NULL, 0},
};

static const struct name_value varies[] = {
	{"sport", VARY_SPORT}, {"dport", VARY_DPORT}, {"src", VARY_SRC}, {"dst", VARY_DST}, {"id", VARY_ID}, {NULL, 0},
};

static int lookup(const struct name_value *table, const char *name, int *out)
{
	for (; table->name; table++) {
		if (strcmp(table->name, name) == 0) {
			*out = table->value;
			return 0;
		}
	}
	return -1;
}

static const char *proto_name(uint8_t proto)
{
	for (const struct name_value *p = protos; p->name; p++)
		if (p->value == proto)
			return p->name;
	return "proto";
}

/* ---- parsing ---------------------------------------------------------- */

/* Fields as written, before defaults: `given` says which were present. */
struct fields {
	struct spec s;
	int src_family, dst_family, rsrc_family, rdst_family;
	bool given_sport, given_dport, given_rsport, given_rdport, given_rsrc, given_rdst;
	bool given_state, given_type, given_rtype, given_id;
	const char *state_word;
	long type, code, rtype, id;
};

static int parse_ulong(const char *v, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	if (*v < '0' || *v > '9')
		return -1;
	unsigned long n = strtoul(v, &end, 0);
	if (errno || *end || n > max)
		return -1;
	*out = n;
	return 0;
}

static int parse_addr(const char *v, uint8_t out[16], int *family)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, v, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, v, out) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/* Leaves v intact, so an error message can quote it whole. */
static int parse_flags(const char *v, uint32_t *status)
{
	*status = 0;
	while (*v) {
		size_t n = strcspn(v, ",");
		if (n == 7 && strncmp(v, "assured", n) == 0)
			*status |= IPS_ASSURED;
		else if (n == 10 && strncmp(v, "seen_reply", n) == 0)
			*status |= IPS_SEEN_REPLY;
		else if (!(n == 4 && strncmp(v, "none", n) == 0) && !(n == 9 && strncmp(v, "unreplied", n) == 0))
			return -1;
		v += n + (v[n] == ',');
	}
	return 0;
}

static int parse_port(const char *v, uint16_t *port)
{
	unsigned long n;
	if (parse_ulong(v, 65535, &n) < 0)
		return -1;
	*port = (uint16_t)n;
	return 0;
}

/* Field parsers: each stores one value and returns NULL, or what the value
 * should have been. */
typedef const char *(*field_parser)(struct fields *f, const char *key, char *val);

static const char *field_proto(struct fields *f, const char *key, char *val)
{
	(void)key;
	int v;
	unsigned long n;
	if (lookup(protos, val, &v) == 0)
		f->s.proto = (uint8_t)v;
	else if (parse_ulong(val, 255, &n) == 0)
		f->s.proto = (uint8_t)n;
	else
		return "a protocol name (tcp udp udplite sctp dccp icmp icmpv6 gre) or a number 0-255";
	return NULL;
}

static const char *field_addr(struct fields *f, const char *key, char *val)
{
	struct spec *s = &f->s;
	bool reply = strncmp(key, "reply_", 6) == 0;
	bool src = strcmp(key + (reply ? 6 : 0), "src") == 0;
	struct tuple *t = reply ? &s->reply : &s->orig;
	int *family = reply ? (src ? &f->rsrc_family : &f->rdst_family) : (src ? &f->src_family : &f->dst_family);
	if (parse_addr(val, src ? t->src : t->dst, family) < 0)
		return "an IPv4 or IPv6 address";
	if (reply && src)
		f->given_rsrc = true;
	if (reply && !src)
		f->given_rdst = true;
	return NULL;
}

static const char *field_port(struct fields *f, const char *key, char *val)
{
	struct spec *s = &f->s;
	bool reply = strncmp(key, "reply_", 6) == 0;
	bool src = key[reply ? 6 : 0] == 's';
	struct tuple *t = reply ? &s->reply : &s->orig;
	if (parse_port(val, src ? &t->sport : &t->dport) < 0)
		return "a port 0-65535";
	*(reply ? (src ? &f->given_rsport : &f->given_rdport) : (src ? &f->given_sport : &f->given_dport)) = true;
	return NULL;
}

static const char *field_state(struct fields *f, const char *key, char *val)
{
	(void)key;
	f->given_state = true;
	f->state_word = val; /* checked once the protocol is known */
	return NULL;
}

static const char *field_flags(struct fields *f, const char *key, char *val)
{
	(void)key;
	return parse_flags(val, &f->s.status) < 0 ? "a comma list of assured, seen_reply (or none)" : NULL;
}

static const char *field_number(struct fields *f, const char *key, char *val)
{
	struct spec *s = &f->s;
	unsigned long n;
	if (strcmp(key, "timeout") == 0) {
		if (parse_ulong(val, UINT32_MAX, &n) < 0)
			return "seconds 0-4294967295";
		s->timeout = (uint32_t)n;
	} else if (strcmp(key, "zone") == 0) {
		if (parse_ulong(val, 65535, &n) < 0)
			return "a zone id 0-65535";
		s->zone = (uint16_t)n;
	} else if (strcmp(key, "mark") == 0) {
		if (parse_ulong(val, UINT32_MAX, &n) < 0)
			return "a 32-bit number";
		s->mark = (uint32_t)n;
		s->has_mark = true;
	} else if (strcmp(key, "count") == 0) {
		if (parse_ulong(val, COUNT_MAX, &n) < 0 || n == 0)
			return "a number of entries 1-50000000";
		s->count = n;
	} else {
		if (parse_ulong(val, UINT32_MAX, &n) < 0)
			return "a 32-bit verification tag";
		*(strcmp(key, "vtag_orig") == 0 ? &s->vtag_orig : &s->vtag_reply) = (uint32_t)n;
	}
	return NULL;
}

static const char *field_vary(struct fields *f, const char *key, char *val)
{
	(void)key;
	int v;
	if (lookup(varies, val, &v) < 0)
		return "one of sport, dport, src, dst, id";
	f->s.vary = (enum vary_field)v;
	return NULL;
}

static const char *field_icmp(struct fields *f, const char *key, char *val)
{
	unsigned long n;
	if (strcmp(key, "id") == 0) {
		if (parse_ulong(val, 65535, &n) < 0)
			return "an ICMP id 0-65535";
		f->id = (long)n;
		f->given_id = true;
		return NULL;
	}
	if (parse_ulong(val, 255, &n) < 0)
		return "a number 0-255";
	if (strcmp(key, "type") == 0) {
		f->type = (long)n;
		f->given_type = true;
	} else if (strcmp(key, "code") == 0) {
		f->code = (long)n;
	} else {
		f->rtype = (long)n;
		f->given_rtype = true;
	}
	return NULL;
}

static const struct {
	const char *key;
	field_parser parse;
} field_parsers[] = {
	{"proto", field_proto},         {"src", field_addr},          {"dst", field_addr},
	{"reply_src", field_addr},      {"reply_dst", field_addr},    {"sport", field_port},
	{"dport", field_port},          {"reply_sport", field_port},  {"reply_dport", field_port},
	{"state", field_state},         {"flags", field_flags},       {"timeout", field_number},
	{"zone", field_number},         {"mark", field_number},       {"count", field_number},
	{"vtag_orig", field_number},    {"vtag_reply", field_number}, {"vary", field_vary},
	{"type", field_icmp},           {"code", field_icmp},         {"reply_type", field_icmp},
	{"id", field_icmp},
};

/* Stores one key=value; returns -1 after printing what is wrong. */
static int parse_field(struct fields *f, char *key, char *val)
{
	for (size_t i = 0; i < sizeof(field_parsers) / sizeof(field_parsers[0]); i++) {
		if (strcmp(field_parsers[i].key, key) != 0)
			continue;
		const char *expected = field_parsers[i].parse(f, key, val);
		if (!expected)
			return 0;
		fprintf(stderr, "ctinject: line %u: %s=%s: expected %s\n", f->s.lineno, key, val, expected);
		return -1;
	}
	fprintf(stderr, "ctinject: line %u: unknown field '%s' (the fields are listed at the top of tests/tools/ctinject.c)\n",
	        f->s.lineno, key);
	return -1;
}

/* The reply type the kernel expects for an ICMP request (or -1). */
static int icmp_reply_type(enum l4_kind kind, int type)
{
	static const int v4[][2] = {{8, 0}, {0, 8}, {13, 14}, {14, 13}, {15, 16}, {16, 15}, {17, 18}, {18, 17}};
	static const int v6[][2] = {{128, 129}, {129, 128}, {139, 140}, {140, 139}};
	const int (*map)[2] = kind == L4_ICMP ? v4 : v6;
	size_t n = kind == L4_ICMP ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);
	for (size_t i = 0; i < n; i++)
		if (map[i][0] == type)
			return map[i][1];
	return -1;
}

static int finish_icmp(struct fields *f)
{
	struct spec *s = &f->s;
	int def = s->kind == L4_ICMP ? 8 : 128;
	s->orig.icmp_type = (uint8_t)(f->given_type ? f->type : def);
	s->orig.icmp_code = (uint8_t)f->code;
	s->orig.icmp_id = (uint16_t)f->id;
	int rt = f->given_rtype ? (int)f->rtype : icmp_reply_type(s->kind, s->orig.icmp_type);
	if (rt < 0) {
		fprintf(stderr, "ctinject: line %u: ICMP type %u has no reply type the kernel tracks; use an echo "
		                "request (type=%d) or give reply_type=\n",
		        s->lineno, s->orig.icmp_type, def);
		return -1;
	}
	s->reply.icmp_type = (uint8_t)rt;
	s->reply.icmp_code = s->orig.icmp_code;
	s->reply.icmp_id = s->orig.icmp_id;
	return 0;
}

static int finish_state(struct fields *f)
{
	struct spec *s = &f->s;
	const struct name_value *table = s->proto == IPPROTO_TCP ? tcp_states : s->proto == IPPROTO_SCTP ? sctp_states : NULL;
	s->state = -1;
	if (!table) {
		if (f->given_state) {
			fprintf(stderr, "ctinject: line %u: state= applies to tcp and sctp only, not %s\n", s->lineno,
			        proto_name(s->proto));
			return -1;
		}
		return 0;
	}
	if (lookup(table, f->given_state ? f->state_word : "established", &s->state) < 0) {
		fprintf(stderr, "ctinject: line %u: state=%s: not a %s state (tcp: syn_sent syn_recv established "
		                "fin_wait close_wait last_ack time_wait close syn_sent2 listen none; sctp: closed "
		                "cookie_wait cookie_echoed established shutdown_sent shutdown_recd shutdown_ack_sent "
		                "heartbeat_sent)\n",
		        s->lineno, f->state_word, proto_name(s->proto));
		return -1;
	}
	return 0;
}

/* Fills in defaults and checks that the fields fit together. */
static int finish_spec(struct fields *f)
{
	struct spec *s = &f->s;
	if (!f->src_family || !f->dst_family) {
		fprintf(stderr, "ctinject: line %u: src= and dst= are required\n", s->lineno);
		return -1;
	}
	if (f->src_family != f->dst_family || (f->rsrc_family && f->rsrc_family != f->src_family) ||
	    (f->rdst_family && f->rdst_family != f->src_family)) {
		fprintf(stderr, "ctinject: line %u: all addresses of an entry must be of one family (IPv4 or IPv6)\n",
		        s->lineno);
		return -1;
	}
	s->family = f->src_family;
	s->kind = s->proto == IPPROTO_ICMP     ? L4_ICMP
	          : s->proto == IPPROTO_ICMPV6 ? L4_ICMPV6
	          : (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP || s->proto == IPPROTO_UDPLITE ||
	             s->proto == IPPROTO_SCTP || s->proto == IPPROTO_DCCP || s->proto == IPPROTO_GRE)
	                  ? L4_PORTS
	                  : L4_NONE;
	if ((s->kind == L4_ICMP && s->family != AF_INET) || (s->kind == L4_ICMPV6 && s->family != AF_INET6)) {
		fprintf(stderr, "ctinject: line %u: proto=%s does not go with %s addresses (icmp is IPv4, icmpv6 IPv6)\n",
		        s->lineno, proto_name(s->proto), s->family == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	bool ports_given = f->given_sport || f->given_dport || f->given_rsport || f->given_rdport;
	if (s->kind != L4_PORTS && ports_given) {
		fprintf(stderr, "ctinject: line %u: proto=%s has no ports; drop sport/dport (icmp uses id=)\n", s->lineno,
		        proto_name(s->proto));
		return -1;
	}
	bool icmp = s->kind == L4_ICMP || s->kind == L4_ICMPV6;
	if ((s->vary == VARY_ID && !icmp) || ((s->vary == VARY_SPORT || s->vary == VARY_DPORT) && s->kind != L4_PORTS)) {
		fprintf(stderr, "ctinject: line %u: vary=%s does not fit proto=%s (ports vary on tcp/udp/sctp/gre, id on "
		                "icmp; addresses on any)\n",
		        s->lineno, varies[s->vary - 1].name, proto_name(s->proto));
		return -1;
	}
	if (s->count > 1 && s->vary == VARY_NONE) {
		fprintf(stderr, "ctinject: line %u: count=%lu needs vary= (the entries would all be the same)\n", s->lineno,
		        s->count);
		return -1;
	}
	if (!f->given_rsrc)
		memcpy(s->reply.src, s->orig.dst, 16);
	if (!f->given_rdst)
		memcpy(s->reply.dst, s->orig.src, 16);
	if (!f->given_rsport)
		s->reply.sport = s->orig.dport;
	if (!f->given_rdport)
		s->reply.dport = s->orig.sport;
	if ((s->kind == L4_ICMP || s->kind == L4_ICMPV6) && finish_icmp(f) < 0)
		return -1;
	return finish_state(f);
}

/* Parses one line into *s; returns 1 for an entry, 0 for a blank or
 * comment line, -1 after printing what is wrong. */
static int parse_line(char *line, unsigned lineno, struct spec *s)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	struct fields f = {0};
	f.s.lineno = lineno;
	f.s.proto = IPPROTO_TCP;
	f.s.timeout = 600;
	f.s.count = 1;
	f.s.vtag_orig = 1;
	f.s.vtag_reply = 2;
	bool any = false;
	for (char *save = NULL, *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		char *eq = strchr(w, '=');
		if (!eq || eq == w) {
			fprintf(stderr, "ctinject: line %u: '%s' is not key=value\n", lineno, w);
			return -1;
		}
		*eq = '\0';
		if (parse_field(&f, w, eq + 1) < 0)
			return -1;
		any = true;
	}
	if (!any)
		return 0;
	if (finish_spec(&f) < 0)
		return -1;
	*s = f.s;
	return 1;
}

/* Reads and checks all of stdin; *out holds the entries' lines. */
static int read_specs(FILE *in, struct spec **out, size_t *n_out)
{
	struct spec *specs = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t linecap = 0;
	unsigned lineno = 0;
	int bad = 0;
	while (getline(&line, &linecap, in) >= 0) {
		struct spec s;
		int r = parse_line(line, ++lineno, &s);
		if (r < 0)
			bad++;
		if (r <= 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			struct spec *grown = realloc(specs, cap * sizeof(*specs));
			if (!grown) {
				fprintf(stderr, "ctinject: out of memory reading line %u\n", lineno);
				exit(1);
			}
			specs = grown;
		}
		specs[n++] = s;
	}
	free(line);
	if (ferror(in)) {
		fprintf(stderr, "ctinject: cannot read stdin: %s\n", strerror(errno));
		bad++;
	}
	*out = specs;
	*n_out = n;
	return bad ? -1 : 0;
}

/* ---- expanding count/vary ---------------------------------------------- */

static void addr_add(uint8_t *addr, int family, uint64_t n)
{
	int len = family == AF_INET ? 4 : 16;
	for (int i = len - 1; i >= 0 && n; i--) {
		uint64_t sum = addr[i] + (n & 0xff);
		addr[i] = (uint8_t)sum;
		n = (n >> 8) + (sum >> 8);
	}
}

/* A 16-bit field that overflows carries into its address. */
static void field_add(uint16_t *field, uint8_t *addr, int family, uint64_t n)
{
	uint64_t sum = *field + n;
	*field = (uint16_t)sum;
	addr_add(addr, family, sum >> 16);
}

/* Entry `i` of a spec: field += i in the original and in its mirror in the
 * reply, which keeps both tuples unique when the reply is NAT-like. */
static void expand(const struct spec *s, unsigned long i, struct tuple *o, struct tuple *r)
{
	*o = s->orig;
	*r = s->reply;
	switch (s->vary) {
	case VARY_SPORT:
		field_add(&o->sport, o->src, s->family, i);
		field_add(&r->dport, r->dst, s->family, i);
		break;
	case VARY_DPORT:
		field_add(&o->dport, o->dst, s->family, i);
		field_add(&r->sport, r->src, s->family, i);
		break;
	case VARY_SRC:
		addr_add(o->src, s->family, i);
		addr_add(r->dst, s->family, i);
		break;
	case VARY_DST:
		addr_add(o->dst, s->family, i);
		addr_add(r->src, s->family, i);
		break;
	case VARY_ID:
		field_add(&o->icmp_id, o->src, s->family, i);
		field_add(&r->icmp_id, r->dst, s->family, i);
		break;
	case VARY_NONE:
		break;
	}
}

/* ---- messages ---------------------------------------------------------- */

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const struct spec *s, const struct tuple *t)
{
	struct nlattr *tuple = mnl_attr_nest_start(nlh, type);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (s->family == AF_INET) {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, t->src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, t->dst);
	} else {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, t->src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, t->dst);
	}
	mnl_attr_nest_end(nlh, ip);
	struct nlattr *proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, s->proto);
	if (s->kind == L4_PORTS) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	} else if (s->kind == L4_ICMP) {
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(t->icmp_id));
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, t->icmp_type);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, t->icmp_code);
	} else if (s->kind == L4_ICMPV6) {
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMPV6_ID, htons(t->icmp_id));
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_TYPE, t->icmp_type);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_CODE, t->icmp_code);
	}
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
}

static void put_protoinfo(struct nlmsghdr *nlh, const struct spec *s)
{
	if (s->state < 0)
		return;
	struct nlattr *info = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	if (s->proto == IPPROTO_TCP) {
		struct nlattr *tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, (uint8_t)s->state);
		mnl_attr_nest_end(nlh, tcp);
	} else {
		/* The kernel refuses SCTP entries without both tags (EINVAL). */
		struct nlattr *sctp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_SCTP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_SCTP_STATE, (uint8_t)s->state);
		mnl_attr_put_u32(nlh, CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, htonl(s->vtag_orig));
		mnl_attr_put_u32(nlh, CTA_PROTOINFO_SCTP_VTAG_REPLY, htonl(s->vtag_reply));
		mnl_attr_nest_end(nlh, sctp);
	}
	mnl_attr_nest_end(nlh, info);
}

/* Appends entry `i` of `s` to the batch as a CT_NEW (or CT_DELETE). */
static void put_entry(struct run *run, const struct spec *s, unsigned long i)
{
	struct batch *b = &run->batch;
	struct tuple o, r;
	expand(s, i, &o, &r);

	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | (run->opt->delete ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW);
	nlh->nlmsg_flags = NLM_F_REQUEST | (run->opt->delete ? 0 : NLM_F_CREATE | NLM_F_EXCL);
	nlh->nlmsg_seq = ++run->seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)s->family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;

	put_tuple(nlh, CTA_TUPLE_ORIG, s, &o);
	if (!run->opt->delete) {
		put_tuple(nlh, CTA_TUPLE_REPLY, s, &r);
		/* New entries are CONFIRMED by the time the kernel applies the
		 * status, and asking to change that bit is refused (EBUSY). */
		mnl_attr_put_u32(nlh, CTA_STATUS, htonl(s->status | IPS_CONFIRMED));
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(s->timeout));
		if (s->has_mark)
			mnl_attr_put_u32(nlh, CTA_MARK, htonl(s->mark));
		put_protoinfo(nlh, s);
	}
	/* The zone goes in CTA_ZONE: the kernel refuses CTA_TUPLE_ZONE here. */
	if (s->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(s->zone));

	if (b->n == 0)
		b->first_seq = nlh->nlmsg_seq;
	b->spec[b->n] = s;
	b->index[b->n] = i;
	b->n++;
	b->last = nlh;
	b->len += nlh->nlmsg_len;
}

/* ---- reporting failures ------------------------------------------------ */

static void describe_entry(const struct spec *s, unsigned long i, char *buf, size_t len)
{
	struct tuple o, r;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	expand(s, i, &o, &r);
	inet_ntop(s->family, o.src, src, sizeof(src));
	inet_ntop(s->family, o.dst, dst, sizeof(dst));
	const char *lb = s->family == AF_INET6 ? "[" : "", *rb = s->family == AF_INET6 ? "]" : "";
	if (s->kind == L4_PORTS)
		snprintf(buf, len, "%s %s%s%s:%u -> %s%s%s:%u zone %u", proto_name(s->proto), lb, src, rb, o.sport, lb,
		         dst, rb, o.dport, s->zone);
	else if (s->kind == L4_NONE)
		snprintf(buf, len, "proto %u %s -> %s zone %u", s->proto, src, dst, s->zone);
	else
		snprintf(buf, len, "%s %s -> %s type %u id %u zone %u", proto_name(s->proto), src, dst, o.icmp_type,
		         o.icmp_id, s->zone);
}

static const char *errno_hint(int err, bool delete)
{
	switch (err) {
	case EEXIST:
		return "an entry with the same original or reply tuple is already in this zone; change a field, use "
		       "count/vary on one line instead of repeating it, or delete it first";
	case ENOENT:
		return delete ? "no such entry in this zone: already deleted, expired, or never made"
		              : "the kernel lacks something this entry needs (a protocol tracker or NAT helper)";
	case EINVAL:
		return "the kernel rejected the attributes (sctp needs vtag_orig/vtag_reply; a NAT-like reply tuple "
		       "must keep the protocol; icmp needs a type with a reply)";
	case ENOMEM:
	case ENOSPC:
		return "the table is probably full: raise net.netfilter.nf_conntrack_max in the init namespace";
	case EPERM:
		return "changing the conntrack table needs CAP_NET_ADMIN: run as root";
	case EOPNOTSUPP:
	case EAFNOSUPPORT:
	case EPROTONOSUPPORT:
		return "this kernel has no conntrack support for the family or protocol";
	case EBUSY:
		return "the status asks to change a bit the kernel owns (confirmed, expected, dying)";
	default:
		return "unexpected for this message: check the fields against the kernel's ctnetlink";
	}
}

/* The kernel's own words, if it attached any (extended ACK). */
static const char *extack_message(const struct nlmsghdr *nlh, const struct nlmsgerr *e)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	size_t off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (off >= mnl_nlmsg_get_payload_len(nlh))
		return NULL;
	const struct nlattr *attr;
	mnl_attr_for_each(attr, nlh, off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

static void report_failure(struct run *run, uint32_t seq, int err, const char *kernel_text)
{
	struct batch *b = &run->batch;
	run->failed++;
	if (run->shown++ >= ERRORS_SHOWN)
		return;
	size_t k = seq - b->first_seq;
	if (k >= b->n) {
		fprintf(stderr, "ctinject: the kernel refused a message we did not send (seq %u): %s\n", seq,
		        strerror(err));
		return;
	}
	const struct spec *s = b->spec[k];
	char what[200];
	describe_entry(s, b->index[k], what, sizeof(what));
	fprintf(stderr, "ctinject: line %u (entry %lu of %lu: %s): kernel refused %s: %s%s%s (%s)\n", s->lineno,
	        b->index[k] + 1, s->count, what, run->opt->delete ? "the delete" : "the new entry", strerror(err),
	        kernel_text ? ": " : "", kernel_text ? kernel_text : "", errno_hint(err, run->opt->delete));
}

/* ---- sending ----------------------------------------------------------- */

/* Handles one datagram of replies; returns true once the batch's last
 * message has been answered. */
static bool handle_replies(struct run *run, const char *buf, size_t len)
{
	bool done = false;
	uint32_t last_seq = run->batch.last->nlmsg_seq;
	int left = (int)len;
	for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_type != NLMSG_ERROR || mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nlmsgerr))
			continue;
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		if (e->error != 0)
			report_failure(run, nlh->nlmsg_seq, -e->error, extack_message(nlh, e));
		if (nlh->nlmsg_seq == last_seq)
			done = true;
	}
	return done;
}

/* Sends the batch and collects the kernel's verdicts on it. */
static int flush(struct run *run)
{
	struct batch *b = &run->batch;
	if (b->n == 0)
		return 0;
	b->last->nlmsg_flags |= NLM_F_ACK;
	unsigned long failed_before = run->failed;
	if (mnl_socket_sendto(run->nl, b->buf, b->len) < 0) {
		fprintf(stderr, "ctinject: cannot send %zu messages to ctnetlink: %s\n", b->n, strerror(errno));
		return -1;
	}
	static char rbuf[64 * 1024];
	bool done = false;
	while (!done) {
		/* ctnetlink handles the batch inside sendmsg, so every reply is
		 * already queued: once the receive buffer has overflowed, drain
		 * what is left without waiting for an ACK that was dropped. */
		ssize_t n = recv(mnl_socket_get_fd(run->nl), rbuf, sizeof(rbuf), run->lost ? MSG_DONTWAIT : 0);
		if (n < 0 && errno == ENOBUFS) {
			run->lost = true;
			continue;
		}
		if (n < 0 && run->lost && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			fprintf(stderr, "ctinject: cannot read ctnetlink's replies: %s\n", strerror(errno));
			return -1;
		}
		done = handle_replies(run, rbuf, (size_t)n);
	}
	run->made += b->n - (run->failed - failed_before);
	b->len = 0;
	b->n = 0;
	b->last = NULL;
	return 0;
}

static int inject(struct run *run, const struct spec *specs, size_t n_specs)
{
	for (size_t k = 0; k < n_specs; k++) {
		for (unsigned long i = 0; i < specs[k].count; i++) {
			if (run->batch.len + MSG_MAX > BATCH_BYTES || run->batch.n == BATCH_MSGS_MAX)
				if (flush(run) < 0)
					return -1;
			put_entry(run, &specs[k], i);
		}
	}
	return flush(run);
}

/* ---- setup ------------------------------------------------------------- */

static int enter_netns(const char *name)
{
	char path[4096];
	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ctinject: cannot open network namespace %s (%s): %s (list them with `ip netns list`, "
		                "make one with `ip netns add NAME`)\n",
		        name, path, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "ctinject: cannot enter network namespace %s (%s): %s (needs CAP_SYS_ADMIN: run as root)\n",
		        name, path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static struct mnl_socket *open_ctnetlink(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl) {
		fprintf(stderr, "ctinject: cannot open a netfilter netlink socket: %s (is nfnetlink in the kernel?)\n",
		        strerror(errno));
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "ctinject: cannot bind the netlink socket: %s\n", strerror(errno));
		mnl_socket_close(nl);
		return NULL;
	}
	int one = 1;
	/* Short error reports with the kernel's text; both are optional. */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	/* Room for a whole batch of failures; FORCE needs CAP_NET_ADMIN. */
	int rcvbuf = 8 * 1024 * 1024;
	int fd = mnl_socket_get_fd(nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return nl;
}

/* Protocol trackers this kernel lacks change what an entry means; say so
 * up front rather than let entries collide mysteriously. */
static int check_trackers(const struct spec *specs, size_t n, bool quiet)
{
	bool gre = false, dccp = false;
	for (size_t k = 0; k < n; k++) {
		gre |= specs[k].proto == IPPROTO_GRE;
		dccp |= specs[k].proto == IPPROTO_DCCP;
	}
	if (gre && access("/proc/sys/net/netfilter/nf_conntrack_gre_timeout", F_OK) != 0) {
		fprintf(stderr, "ctinject: this kernel has no GRE conntrack tracker (nf_conntrack_proto_gre: "
		                "/proc/sys/net/netfilter/nf_conntrack_gre_timeout is missing), so GRE keys would be "
		                "ignored; load it with `modprobe nf_conntrack_pptp` or drop the proto=gre lines\n");
		return -1;
	}
	if (dccp && !quiet && access("/proc/sys/net/netfilter/nf_conntrack_dccp_timeout_open", F_OK) != 0)
		fprintf(stderr, "ctinject: warning: this kernel has no DCCP conntrack tracker (removed in Linux 6.16): "
		                "dccp entries are made without ports, so entries differing only by port collide\n");
	return 0;
}

static void usage(FILE *to)
{
	fputs("usage: ctinject [--netns NAME|PATH] [--delete] [-q] < lines\n"
	      "  one entry per line: proto=tcp src=10.0.0.1 dst=192.0.2.1 sport=1000 dport=443\n"
	      "  state=established timeout=3600 flags=assured,seen_reply zone=0 mark=0 count=1000 vary=sport\n"
	      "  --netns NAME  work in /run/netns/NAME (or a path) instead of the current namespace\n"
	      "  --delete      delete the entries the lines describe instead of making them\n"
	      "  -q            print nothing but errors\n",
	      to);
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{"netns", required_argument, NULL, 'n'},
		{"delete", no_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt->netns = optarg;
			break;
		case 'd':
			opt->delete = true;
			break;
		case 'q':
			opt->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ctinject: unexpected argument '%s': entries come on stdin\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct options opt = {0};
	if (parse_options(argc, argv, &opt) < 0)
		return 2;
	struct spec *specs;
	size_t n_specs;
	if (read_specs(stdin, &specs, &n_specs) < 0) {
		fprintf(stderr, "ctinject: nothing injected: fix the input lines above\n");
		free(specs);
		return 2;
	}
	if (opt.netns && enter_netns(opt.netns) < 0) {
		free(specs);
		return 1;
	}
	if (check_trackers(specs, n_specs, opt.quiet) < 0) {
		free(specs);
		return 1;
	}
	static struct run run;
	run.opt = &opt;
	run.nl = open_ctnetlink();
	if (!run.nl) {
		free(specs);
		return 1;
	}
	double start = now_s();
	int rc = inject(&run, specs, n_specs);
	double secs = now_s() - start;
	mnl_socket_close(run.nl);
	free(specs);

	if (run.shown > ERRORS_SHOWN)
		fprintf(stderr, "ctinject: ... and %lu more failures not shown\n", run.shown - ERRORS_SHOWN);
	if (run.lost)
		fprintf(stderr, "ctinject: some failure reports were lost (receive buffer full); the counts below are "
		                "a lower bound: check with `conntrack -C`\n");
	if (!opt.quiet || run.failed || rc < 0)
		printf("ctinject: %s %lu entries, %lu failed (%.3f s, %.0f entries/s)\n", opt.delete ? "deleted" : "made",
		       run.made, run.failed, secs, secs > 0 ? (double)(run.made + run.failed) / secs : 0.0);
	return rc < 0 || run.failed || run.lost ? 1 : 0;
}
