/* events_harness.h — event mode's bookkeeping under a script of events,
 * shared by the libFuzzer target (fuzz_events.c) and the regression test
 * in `make check` (tests/unit/test_fuzz_regressions.c). The input is a
 * buffer of netlink messages read as a script of events.
 *
 *   IPCTNL_MSG_CT_NEW     parsed like an event (ctscope_entry_parse), then
 *                         ctscope_mirror_upsert at the current clock
 *   IPCTNL_MSG_CT_DELETE  parsed, then ctscope_mirror_remove
 *   any other type        the clock moves on by nlmsg_seq % 600 s, or
 *                         with NLM_F_MULTI by nlmsg_seq % 200,000 s (past
 *                         level 0 of the wheel, 131,072 s: the rebuild)
 *                         (ctscope_mirror_advance); with NLM_F_REQUEST
 *                         set, the kernel "answers gone" for every entry
 *                         that fell due, and they are removed
 *
 * A shadow list of live keys (the mirror's own key: original tuple, ICMP
 * id/type/code, zone, protocol, family) says what each call must return
 * and how many entries the mirror holds; the summary the mirror keeps
 * must always count exactly those, its timeout bands exactly the ones
 * with a timeout, and after every key is removed it must be empty again.
 * The framing is checked here the way run_buffer() checks a dump's, and
 * a message ctscope_entry_parse rejects is skipped: what is under test is
 * the mirror, not events.c's receive loop. */
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

#ifndef CTSCOPE_EVENTS_HARNESS_H
#define CTSCOPE_EVENTS_HARNESS_H

#include "parse_harness.h"

#define STEP_ADVANCE 600u
#define MAX_ADVANCE 200000u
#define START_CLOCK 1000u

struct shadow {
	struct {
		uint8_t key[40];
		bool has_timeout;
		struct ctscope_entry e;
	} *v;
	size_t n, cap;
};

/* The mirror's key (mirror.c key_of), rebuilt here independently. */
static inline void shadow_key(const struct ctscope_entry *e, uint8_t key[40])
{
	memset(key, 0, 40);
	memcpy(key, e->src, 16);
	memcpy(key + 16, e->dst, 16);
	uint16_t a = e->sport, b = e->dport;
	if (e->l4proto == IPPROTO_ICMP || e->l4proto == IPPROTO_ICMPV6) {
		a = e->icmp_id;
		b = (uint16_t)(e->icmp_type << 8 | e->icmp_code);
	}
	memcpy(key + 32, &a, 2);
	memcpy(key + 34, &b, 2);
	memcpy(key + 36, &e->zone, 2);
	key[38] = e->l4proto;
	key[39] = e->family;
}

static inline size_t shadow_find(const struct shadow *s, const uint8_t key[40])
{
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(s->v[i].key, key, 40) == 0)
			return i;
	return SIZE_MAX;
}

/* Returns what ctscope_mirror_upsert must return: 1 added, 0 replaced. */
static inline int shadow_upsert(struct shadow *s, const struct ctscope_entry *e)
{
	uint8_t key[40];
	shadow_key(e, key);
	size_t i = shadow_find(s, key);
	int added = i == SIZE_MAX;
	if (added) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 64;
			s->v = realloc(s->v, s->cap * sizeof(*s->v));
			HARNESS_CHECK(s->v != NULL);
		}
		i = s->n++;
		memcpy(s->v[i].key, key, 40);
	}
	s->v[i].has_timeout = e->has_timeout;
	s->v[i].e = *e;
	return added;
}

static inline int shadow_remove(struct shadow *s, const struct ctscope_entry *e)
{
	uint8_t key[40];
	shadow_key(e, key);
	size_t i = shadow_find(s, key);
	if (i == SIZE_MAX)
		return 0;
	s->v[i] = s->v[--s->n];
	return 1;
}

/* Counts after every event; the bands (86,400 additions) after clock moves
 * and at the end, or the target would spend its time summing. */
static inline void check_mirror(const struct ctscope_mirror *m, const struct ctscope_summary *sum, const struct shadow *s,
                         bool bands_too)
{
	HARNESS_CHECK(ctscope_mirror_count(m) == s->n);
	HARNESS_CHECK(sum->entries == s->n);
	if (!bands_too)
		return;
	size_t timed = 0;
	for (size_t i = 0; i < s->n; i++)
		timed += s->v[i].has_timeout;
	uint64_t bands[CTSCOPE_TIMEOUT_BAND_COUNT];
	ctscope_mirror_timeouts(m, bands);
	HARNESS_CHECK(harness_sum(bands, CTSCOPE_TIMEOUT_BAND_COUNT) == timed);
}

struct due_list {
	struct ctscope_entry *v;
	size_t n, cap;
};

static inline int note_due(const struct ctscope_entry *e, void *data)
{
	struct due_list *d = data;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->v = realloc(d->v, d->cap * sizeof(*d->v));
		HARNESS_CHECK(d->v != NULL);
	}
	d->v[d->n++] = *e;
	return 0;
}

/* Runs one script; aborts when an invariant breaks. */
static inline void events_run(const uint8_t *data, size_t size)
{
	if (size > HARNESS_MAX_INPUT)
		size = HARNESS_MAX_INPUT;
	const uint8_t *buf = harness_place(data, size);
	struct ctscope_summary sum;
	HARNESS_CHECK(ctscope_summary_init(&sum) == 0);
	uint32_t now = START_CLOCK;
	struct ctscope_mirror *m = ctscope_mirror_new(&sum, now);
	HARNESS_CHECK(m != NULL);
	struct shadow shadow = { 0 };
	struct due_list due = { 0 };

	/* The framing is checked here as run_buffer checks it, so that only
	 * the mirror is under test. */
	for (size_t off = 0; size - off >= sizeof(struct nlmsghdr);) {
		struct nlmsghdr h;
		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > size - off)
			break;
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + off);
		off += MNL_ALIGN(h.nlmsg_len) < size - off ? MNL_ALIGN(h.nlmsg_len) : size - off;

		bool is_new = h.nlmsg_type == ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW);
		bool is_del = h.nlmsg_type == ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE);
		if (is_new || is_del) {
			struct ctscope_entry e;
			const char *why;
			if (ctscope_entry_parse(nlh, &e, &why) < 0)
				continue;
			if (is_new) {
				int want = shadow_upsert(&shadow, &e);
				HARNESS_CHECK(ctscope_mirror_upsert(m, &e, now) == want);
			} else {
				int want = shadow_remove(&shadow, &e);
				HARNESS_CHECK(ctscope_mirror_remove(m, &e) == want);
			}
		} else {
			now += h.nlmsg_seq % (h.nlmsg_flags & NLM_F_MULTI ? MAX_ADVANCE : STEP_ADVANCE);
			due.n = 0;
			size_t n = ctscope_mirror_advance(m, now, note_due, &due);
			HARNESS_CHECK(n == due.n);
			if (h.nlmsg_flags & NLM_F_REQUEST)
				for (size_t i = 0; i < due.n; i++) {
					/* a due entry is a live one: its removal must find it */
					HARNESS_CHECK(shadow_remove(&shadow, &due.v[i]) == 1);
					HARNESS_CHECK(ctscope_mirror_remove(m, &due.v[i]) == 1);
				}
		}
		check_mirror(m, &sum, &shadow, !(is_new || is_del));
	}
	check_mirror(m, &sum, &shadow, true);

	struct ctscope_snapshot snap;
	memset(&snap, 0, sizeof(snap));
	HARNESS_CHECK(ctscope_summary_to_snapshot(&sum, HARNESS_TOP_N, &snap) == 0);
	harness_check_snapshot(&snap, shadow.n);
	ctscope_snapshot_clear(&snap);

	/* Take everything back out: the summary must be empty again. */
	while (shadow.n > 0) {
		struct ctscope_entry e = shadow.v[shadow.n - 1].e;
		HARNESS_CHECK(shadow_remove(&shadow, &e) == 1);
		HARNESS_CHECK(ctscope_mirror_remove(m, &e) == 1);
	}
	check_mirror(m, &sum, &shadow, true);
	harness_check_empty(&sum);

	ctscope_mirror_free(m);
	ctscope_summary_free(&sum);
	free(shadow.v);
	free(due.v);
}

#endif
