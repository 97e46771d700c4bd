/* split.c — which two parts a dump is divided in.
 *
 * The kernel builds a dump inside the reader's recvmsg(), one entry at a
 * time, on the reader's core: at 1,000,000 entries that is ~2.2 s of
 * kernel time, the floor a single dump cannot go under. Two dumps on two
 * sockets, each filtered to one part of the table, are built on two cores
 * at once. Each still walks the whole hash table (~0.3 s at a million
 * entries, measured: a dump that matches nothing), but fills only its own
 * entries (~1.9 us each), so the wall time follows the larger part.
 *
 * The kernel filters a dump only by exact values: the family
 * (nfgen_family), the mark and the status bits under a mask (5.15 on), a
 * zone or tuple fields. No field divides every table in halves, so the
 * criterion is chosen per namespace from its last summary: the one whose
 * smaller part was largest. A status bit that changes during the dump
 * (ASSURED and SEEN_REPLY are only ever set) can make an entry show in both
 * parts: like an entry created or deleted while a single dump runs, it is
 * counted as the walk met it.
 */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sched.h>
#include <sys/socket.h>

#include "internal.h"

const char *ctscope_split_name(enum ctscope_split_by by)
{
	return ctscope_dump_split_name((enum ctscope_dump_split)(by + 1));
}

enum ctscope_split_by ctscope_split_for(enum ctscope_dump_split asked, const struct ctscope_summary *prev,
                                        uint64_t entries)
{
	if (asked != CTSCOPE_DUMP_SPLIT_AUTO)
		return (enum ctscope_split_by)(asked - 1);
	/* a process held to one core (taskset, CPUAffinity=) gains nothing
	 * from a split, and pays its second walk */
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) < 2)
		return CTSCOPE_SPLIT_NONE;
	return ctscope_split_choose(prev, entries);
}

static uint64_t smaller(uint64_t a, uint64_t total)
{
	return a < total - a ? a : total - a;
}

enum ctscope_split_by ctscope_split_choose(const struct ctscope_summary *prev, uint64_t entries)
{
	uint64_t total = prev ? prev->entries : 0;
	if ((entries ? entries : total) < CTSCOPE_SPLIT_MIN_ENTRIES)
		return CTSCOPE_SPLIT_NONE; /* small, or nothing known of its size */
	if (total == 0)
		return CTSCOPE_SPLIT_ASSURED;
	uint64_t best_part = 0;
	enum ctscope_split_by best = CTSCOPE_SPLIT_NONE;
	/* a family split misses entries of any other family: only when there
	 * were none */
	uint64_t part[CTSCOPE_SPLIT_COUNT] = {
		[CTSCOPE_SPLIT_FAMILY] = prev->families[CTSCOPE_FAMILY_OTHER] ? 0
		                         : smaller(prev->families[CTSCOPE_FAMILY_IPV4], total),
		[CTSCOPE_SPLIT_ASSURED] = smaller(prev->flags[CTSCOPE_FLAG_ASSURED], total),
		[CTSCOPE_SPLIT_SEEN_REPLY] = smaller(prev->flags[CTSCOPE_FLAG_UNREPLIED], total),
	};
	for (int by = CTSCOPE_SPLIT_FAMILY; by < CTSCOPE_SPLIT_COUNT; by++)
		if (part[by] > best_part) {
			best_part = part[by];
			best = (enum ctscope_split_by)by;
		}
	return best_part >= total / 10 ? best : CTSCOPE_SPLIT_NONE;
}

static uint32_t status_bit(enum ctscope_split_by by)
{
	return by == CTSCOPE_SPLIT_ASSURED ? IPS_ASSURED : IPS_SEEN_REPLY;
}

void ctscope_split_request(enum ctscope_split_by by, unsigned part, struct nlmsghdr *nlh, struct nfgenmsg *nfg)
{
	switch (by) {
	case CTSCOPE_SPLIT_NONE:
	case CTSCOPE_SPLIT_COUNT:
		break;
	case CTSCOPE_SPLIT_FAMILY:
		nfg->nfgen_family = part == 0 ? AF_INET : AF_INET6;
		break;
	case CTSCOPE_SPLIT_ASSURED:
	case CTSCOPE_SPLIT_SEEN_REPLY:
		/* part 0: the bit set; part 1: clear */
		mnl_attr_put_u32(nlh, CTA_STATUS, htonl(part == 0 ? status_bit(by) : 0));
		mnl_attr_put_u32(nlh, CTA_STATUS_MASK, htonl(status_bit(by)));
		break;
	}
}

bool ctscope_split_holds(enum ctscope_split_by by, unsigned part, const struct ctscope_entry *e)
{
	switch (by) {
	case CTSCOPE_SPLIT_FAMILY:
		return e->family == (part == 0 ? AF_INET : AF_INET6);
	case CTSCOPE_SPLIT_ASSURED:
	case CTSCOPE_SPLIT_SEEN_REPLY:
		return ((e->status & status_bit(by)) != 0) == (part == 0);
	default:
		return part == 0;
	}
}
