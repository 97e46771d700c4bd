/* names.c — the words of the contract (DESIGN.md): every key a user sees.
 * Tables indexed by the public enums so a name can never drift from its
 * counter. */
#include <string.h>

#include "ctscope.h"

static const char *const mode_names[] = {
	[CTSCOPE_MODE_STATS] = "stats",
	[CTSCOPE_MODE_DUMP] = "dump",
	[CTSCOPE_MODE_EVENTS] = "events",
};

static const char *const family_names[CTSCOPE_FAMILY_COUNT] = {
	[CTSCOPE_FAMILY_IPV4] = "ipv4",
	[CTSCOPE_FAMILY_IPV6] = "ipv6",
	[CTSCOPE_FAMILY_OTHER] = "other",
};

static const char *const proto_names[CTSCOPE_PROTO_COUNT] = {
	[CTSCOPE_PROTO_TCP] = "tcp",         [CTSCOPE_PROTO_UDP] = "udp",   [CTSCOPE_PROTO_UDPLITE] = "udplite",
	[CTSCOPE_PROTO_ICMP] = "icmp",       [CTSCOPE_PROTO_ICMPV6] = "icmpv6", [CTSCOPE_PROTO_SCTP] = "sctp",
	[CTSCOPE_PROTO_GRE] = "gre",         [CTSCOPE_PROTO_DCCP] = "dccp", [CTSCOPE_PROTO_OTHER] = "other",
};

static const char *const tcp_state_names[CTSCOPE_TCP_STATE_COUNT] = {
	[CTSCOPE_TCP_SYN_SENT] = "syn_sent",     [CTSCOPE_TCP_SYN_RECV] = "syn_recv",
	[CTSCOPE_TCP_ESTABLISHED] = "established", [CTSCOPE_TCP_FIN_WAIT] = "fin_wait",
	[CTSCOPE_TCP_CLOSE_WAIT] = "close_wait", [CTSCOPE_TCP_LAST_ACK] = "last_ack",
	[CTSCOPE_TCP_TIME_WAIT] = "time_wait",   [CTSCOPE_TCP_CLOSE] = "close",
	[CTSCOPE_TCP_SYN_SENT2] = "syn_sent2",
};

static const char *const flag_names[CTSCOPE_FLAG_COUNT] = {
	[CTSCOPE_FLAG_ASSURED] = "assured",
	[CTSCOPE_FLAG_UNREPLIED] = "unreplied",
	[CTSCOPE_FLAG_NAT] = "nat",
};

static const char *const timeout_band_names[CTSCOPE_TIMEOUT_BAND_COUNT] = {
	[CTSCOPE_TIMEOUT_LE_10S] = "le_10s", [CTSCOPE_TIMEOUT_LE_1M] = "le_1m", [CTSCOPE_TIMEOUT_LE_10M] = "le_10m",
	[CTSCOPE_TIMEOUT_LE_1H] = "le_1h",   [CTSCOPE_TIMEOUT_LE_1D] = "le_1d", [CTSCOPE_TIMEOUT_GT_1D] = "gt_1d",
};

static const char *const hint_kind_names[CTSCOPE_HINT_KIND_COUNT] = {
	[CTSCOPE_HINT_FILL] = "fill",
	[CTSCOPE_HINT_TOP_DESTINATION] = "top_destination",
	[CTSCOPE_HINT_LONG_ESTABLISHED] = "long_established",
	[CTSCOPE_HINT_UDP_UNREPLIED] = "udp_unreplied",
	[CTSCOPE_HINT_INSERT_FAILED] = "insert_failed",
	[CTSCOPE_HINT_DROP] = "drop",
	[CTSCOPE_HINT_EARLY_DROP] = "early_drop",
	[CTSCOPE_HINT_BUCKETS] = "buckets",
};

static const char *const stat_names[CTSCOPE_STAT_COUNT] = {
	[CTSCOPE_STAT_FOUND] = "found",
	[CTSCOPE_STAT_INVALID] = "invalid",
	[CTSCOPE_STAT_INSERT] = "insert",
	[CTSCOPE_STAT_INSERT_FAILED] = "insert_failed",
	[CTSCOPE_STAT_DROP] = "drop",
	[CTSCOPE_STAT_EARLY_DROP] = "early_drop",
	[CTSCOPE_STAT_ERROR] = "error",
	[CTSCOPE_STAT_SEARCH_RESTART] = "search_restart",
	[CTSCOPE_STAT_CLASH_RESOLVE] = "clash_resolve",
	[CTSCOPE_STAT_CHAINTOOLONG] = "chaintoolong",
};

/* The JSON key is the sysctl name without "net.netfilter.nf_conntrack_". */
static const char *const sysctl_keys[CTSCOPE_SYSCTL_COUNT] = {
	[CTSCOPE_SYSCTL_MAX] = "max",
	[CTSCOPE_SYSCTL_BUCKETS] = "buckets",
	[CTSCOPE_SYSCTL_EXPECT_MAX] = "expect_max",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED] = "tcp_timeout_established",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_SYN_SENT] = "tcp_timeout_syn_sent",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_SYN_RECV] = "tcp_timeout_syn_recv",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_FIN_WAIT] = "tcp_timeout_fin_wait",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_CLOSE_WAIT] = "tcp_timeout_close_wait",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_LAST_ACK] = "tcp_timeout_last_ack",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_TIME_WAIT] = "tcp_timeout_time_wait",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_CLOSE] = "tcp_timeout_close",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_UNACKNOWLEDGED] = "tcp_timeout_unacknowledged",
	[CTSCOPE_SYSCTL_UDP_TIMEOUT] = "udp_timeout",
	[CTSCOPE_SYSCTL_UDP_TIMEOUT_STREAM] = "udp_timeout_stream",
	[CTSCOPE_SYSCTL_ICMP_TIMEOUT] = "icmp_timeout",
	[CTSCOPE_SYSCTL_ICMPV6_TIMEOUT] = "icmpv6_timeout",
	[CTSCOPE_SYSCTL_GENERIC_TIMEOUT] = "generic_timeout",
};

static const char *const sysctl_fullnames[CTSCOPE_SYSCTL_COUNT] = {
	[CTSCOPE_SYSCTL_MAX] = "net.netfilter.nf_conntrack_max",
	[CTSCOPE_SYSCTL_BUCKETS] = "net.netfilter.nf_conntrack_buckets",
	[CTSCOPE_SYSCTL_EXPECT_MAX] = "net.netfilter.nf_conntrack_expect_max",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED] = "net.netfilter.nf_conntrack_tcp_timeout_established",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_SYN_SENT] = "net.netfilter.nf_conntrack_tcp_timeout_syn_sent",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_SYN_RECV] = "net.netfilter.nf_conntrack_tcp_timeout_syn_recv",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_FIN_WAIT] = "net.netfilter.nf_conntrack_tcp_timeout_fin_wait",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_CLOSE_WAIT] = "net.netfilter.nf_conntrack_tcp_timeout_close_wait",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_LAST_ACK] = "net.netfilter.nf_conntrack_tcp_timeout_last_ack",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_TIME_WAIT] = "net.netfilter.nf_conntrack_tcp_timeout_time_wait",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_CLOSE] = "net.netfilter.nf_conntrack_tcp_timeout_close",
	[CTSCOPE_SYSCTL_TCP_TIMEOUT_UNACKNOWLEDGED] = "net.netfilter.nf_conntrack_tcp_timeout_unacknowledged",
	[CTSCOPE_SYSCTL_UDP_TIMEOUT] = "net.netfilter.nf_conntrack_udp_timeout",
	[CTSCOPE_SYSCTL_UDP_TIMEOUT_STREAM] = "net.netfilter.nf_conntrack_udp_timeout_stream",
	[CTSCOPE_SYSCTL_ICMP_TIMEOUT] = "net.netfilter.nf_conntrack_icmp_timeout",
	[CTSCOPE_SYSCTL_ICMPV6_TIMEOUT] = "net.netfilter.nf_conntrack_icmpv6_timeout",
	[CTSCOPE_SYSCTL_GENERIC_TIMEOUT] = "net.netfilter.nf_conntrack_generic_timeout",
};

#define NAME_OF(table, i) (((unsigned)(i) < sizeof(table) / sizeof((table)[0])) ? (table)[i] : "?")

static const char *const dump_split_names[] = { "auto", "none", "family", "assured", "seen_reply" };

/* The index of word in a table of names, or -1. */
static int index_of(const char *const *names, size_t n, const char *word)
{
	for (size_t i = 0; word && i < n; i++)
		if (strcmp(word, names[i]) == 0)
			return (int)i;
	return -1;
}
#define INDEX_OF(table, word) index_of(table, sizeof(table) / sizeof((table)[0]), word)

int ctscope_dump_split_parse(const char *word, enum ctscope_dump_split *out)
{
	int i = INDEX_OF(dump_split_names, word);
	if (i >= 0)
		*out = (enum ctscope_dump_split)i;
	return i >= 0 ? 0 : -1;
}

const char *ctscope_dump_split_name(enum ctscope_dump_split d) { return NAME_OF(dump_split_names, d); }

int ctscope_mode_parse(const char *word, enum ctscope_mode *out)
{
	int i = INDEX_OF(mode_names, word);
	if (i >= 0)
		*out = (enum ctscope_mode)i;
	return i >= 0 ? 0 : -1;
}

const char *ctscope_mode_name(enum ctscope_mode m) { return NAME_OF(mode_names, m); }
const char *ctscope_family_name(enum ctscope_family f) { return NAME_OF(family_names, f); }
const char *ctscope_proto_name(enum ctscope_proto p) { return NAME_OF(proto_names, p); }
const char *ctscope_tcp_state_name(enum ctscope_tcp_state s) { return NAME_OF(tcp_state_names, s); }
const char *ctscope_flag_name(enum ctscope_flag f) { return NAME_OF(flag_names, f); }
const char *ctscope_timeout_band_name(enum ctscope_timeout_band b) { return NAME_OF(timeout_band_names, b); }
const char *ctscope_stat_name(enum ctscope_stat s) { return NAME_OF(stat_names, s); }
const char *ctscope_hint_kind_name(enum ctscope_hint_kind k) { return NAME_OF(hint_kind_names, k); }
const char *ctscope_sysctl_key(enum ctscope_sysctl s) { return NAME_OF(sysctl_keys, s); }
const char *ctscope_sysctl_fullname(enum ctscope_sysctl s) { return NAME_OF(sysctl_fullnames, s); }
