/* test_cli_fixture.h — one hand-filled snapshot shared by the CLI unit tests:
 * the seed's night (52,000 ESTABLISHED entries to one IPv6 destination that
 * live five days), plus the cases a formatter can get wrong: a portless icmp
 * destination, zones, counters the kernel did not give, a hint with quotes.
 * Everything lives in the caller's struct; nothing is heap-allocated, so no
 * ctscope_snapshot_clear is needed. */
#ifndef TEST_CLI_FIXTURE_H
#define TEST_CLI_FIXTURE_H

#include <arpa/inet.h>
#include <string.h>

#include "ctscope.h"

struct cli_fixture {
	struct ctscope_snapshot snap;
	struct ctscope_zone_count zones[2];
	struct ctscope_top_destination dest[3];
	struct ctscope_top_source src[2];
	struct ctscope_top_port ports[2];
};

static inline void fixture_addr(struct ctscope_addr *a, int family, const char *text)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	if (inet_pton(family, text, a->bytes) != 1)
		a->family = 0; /* shows up as "?" and fails the golden */
}

static inline void fixture_fill(struct cli_fixture *f)
{
	memset(f, 0, sizeof(*f));
	struct ctscope_snapshot *s = &f->snap;
	s->netns = NULL;
	s->mode = CTSCOPE_MODE_DUMP;
	s->time_ms = 0; /* no clock in the report, so it compares */

	s->table.entries = 76768;
	s->table.max = 262144;
	s->table.has_max = true;
	s->table.fill_percent = 100.0 * 76768 / 262144; /* 29.28466796875 */
	s->table.buckets = 65536;
	s->table.has_buckets = true;
	s->table.expectations = 0;
	s->table.has_expectations = true;

	const enum ctscope_stat given[] = {CTSCOPE_STAT_FOUND,         CTSCOPE_STAT_INVALID, CTSCOPE_STAT_INSERT,
	                                   CTSCOPE_STAT_INSERT_FAILED, CTSCOPE_STAT_DROP,    CTSCOPE_STAT_EARLY_DROP,
	                                   CTSCOPE_STAT_ERROR,         CTSCOPE_STAT_SEARCH_RESTART};
	for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
		s->has_stat[given[i]] = true;
		s->stats[given[i]] = 100 + i; /* clash_resolve, chaintoolong: absent */
	}

	s->has_breakdown = true;
	s->families[CTSCOPE_FAMILY_IPV4] = 24768;
	s->families[CTSCOPE_FAMILY_IPV6] = 52000;
	s->protocols[CTSCOPE_PROTO_TCP] = 70000;
	s->protocols[CTSCOPE_PROTO_UDP] = 6000;
	s->protocols[CTSCOPE_PROTO_ICMP] = 768;
	s->tcp_states[CTSCOPE_TCP_ESTABLISHED] = 60000;
	s->tcp_states[CTSCOPE_TCP_TIME_WAIT] = 9000;
	s->tcp_states[CTSCOPE_TCP_SYN_SENT] = 1000;
	s->flags[CTSCOPE_FLAG_ASSURED] = 65000;
	s->flags[CTSCOPE_FLAG_UNREPLIED] = 3000;
	s->flags[CTSCOPE_FLAG_NAT] = 120;
	s->timeouts[CTSCOPE_TIMEOUT_LE_10S] = 1000;
	s->timeouts[CTSCOPE_TIMEOUT_LE_1M] = 2000;
	s->timeouts[CTSCOPE_TIMEOUT_LE_10M] = 3000;
	s->timeouts[CTSCOPE_TIMEOUT_LE_1H] = 4000;
	s->timeouts[CTSCOPE_TIMEOUT_LE_1D] = 14768;
	s->timeouts[CTSCOPE_TIMEOUT_GT_1D] = 52000;

	f->zones[0] = (struct ctscope_zone_count){.zone = 1, .entries = 100};
	f->zones[1] = (struct ctscope_zone_count){.zone = 300, .entries = 20};
	s->zones = f->zones;
	s->n_zones = 2;

	f->dest[0] = (struct ctscope_top_destination){.proto = CTSCOPE_PROTO_TCP, .has_port = true, .port = 5228,
	                                              .entries = 52000, .established_long = 52000};
	fixture_addr(&f->dest[0].addr, AF_INET6, "2a00:1450:400b:c02::bc");
	f->dest[1] = (struct ctscope_top_destination){.proto = CTSCOPE_PROTO_UDP, .has_port = true, .port = 53,
	                                              .entries = 6000};
	fixture_addr(&f->dest[1].addr, AF_INET, "192.0.2.53");
	f->dest[2] = (struct ctscope_top_destination){.proto = CTSCOPE_PROTO_ICMP, .has_port = false, .entries = 768};
	fixture_addr(&f->dest[2].addr, AF_INET, "192.0.2.1");
	s->top_destinations = f->dest;
	s->n_top_destinations = 3;

	f->src[0].entries = 52000;
	fixture_addr(&f->src[0].addr, AF_INET6, "2001:db8::1");
	f->src[1].entries = 24768;
	fixture_addr(&f->src[1].addr, AF_INET, "10.0.0.1");
	s->top_sources = f->src;
	s->n_top_sources = 2;

	f->ports[0] = (struct ctscope_top_port){.proto = CTSCOPE_PROTO_TCP, .port = 5228, .entries = 52000};
	f->ports[1] = (struct ctscope_top_port){.proto = CTSCOPE_PROTO_UDP, .port = 53, .entries = 6000};
	s->top_ports = f->ports;
	s->n_top_ports = 2;

	s->sysctl[CTSCOPE_SYSCTL_MAX] = 262144;
	s->has_sysctl[CTSCOPE_SYSCTL_MAX] = true;
	s->sysctl[CTSCOPE_SYSCTL_BUCKETS] = 65536;
	s->has_sysctl[CTSCOPE_SYSCTL_BUCKETS] = true;
	s->sysctl[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED] = 432000;
	s->has_sysctl[CTSCOPE_SYSCTL_TCP_TIMEOUT_ESTABLISHED] = true;
	s->sysctl[CTSCOPE_SYSCTL_UDP_TIMEOUT] = 30;
	s->has_sysctl[CTSCOPE_SYSCTL_UDP_TIMEOUT] = true;

	snprintf(s->hints[0], CTSCOPE_HINT_LEN,
	         "52,000 entries go to \"[2a00:1450:400b:c02::bc]:5228\" and live 5 days because "
	         "net.netfilter.nf_conntrack_tcp_timeout_established is 432000; lower it to 3600.");
	snprintf(s->hints[1], CTSCOPE_HINT_LEN, "back\\slash, tab\there, bell\a, caf\xc3\xa9, bad \xff byte");
	s->n_hints = 2;

	s->collector.duration_ms = 12.5;
	s->collector.entries_scanned = 76768;
	s->collector.has_events = false;
}

/* The same table read in stats mode, in namespace "blue", on a kernel that
 * gives no max, no buckets and only two counters. */
static inline void fixture_fill_stats_mode(struct ctscope_snapshot *s, char *netns)
{
	memset(s, 0, sizeof(*s));
	s->netns = netns;
	s->mode = CTSCOPE_MODE_STATS;
	s->table.entries = 5;
	s->has_stat[CTSCOPE_STAT_INSERT_FAILED] = true;
	s->stats[CTSCOPE_STAT_INSERT_FAILED] = 0;
	s->has_stat[CTSCOPE_STAT_DROP] = true;
	s->stats[CTSCOPE_STAT_DROP] = 7;
	s->collector.duration_ms = 0.25;
}

#endif
