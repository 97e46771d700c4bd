/* mirror.c — the live conntrack entries event mode follows, each with what
 * the summary counted for it and when it expires.
 *
 * Layout (56 bytes an entry, measured by tests/unit/test_mirror.c):
 *   key      40  original src, dst (16 each), ports (or ICMP id and
 *                type<<8|code), zone, L4 protocol, family — the tuple the
 *                kernel itself names an entry by;
 *   counted   1  TCP state, ASSURED, UNREPLIED, NAT, more-than-a-day: what
 *                ctscope_summary_apply added, so removal subtracts exactly
 *                that, whatever the DESTROY or UPDATE carries;
 *   flags, pad 3, expiry 4 (CLOCK_MONOTONIC seconds), wheel links 2 x 4.
 * Entries live in chunks of 1024 (no copy on growth, at most one partly
 * used), reached through an open addressing index of 4-byte slots that
 * grows by a quarter at 80% load, so it costs 4/0.8..4/0.64 = 5..6.25
 * bytes an entry: 61..62.3 in all, plus <= 0.6 of chunk slack from
 * 100,000 entries on. Freed entries are reused, not returned.
 *
 * Expiry: a two-level timing wheel. Level 0 has one list and one count per
 * second for the next 2^17 s (36 h); level 1 has one list per 1024 s for
 * the 4096 x 1024 s (48 days) after that, cascaded into level 0 a bucket at
 * a time as the clock reaches it (so each entry moves at most once per 36 h
 * of its life). The timeout bands of a report are sums of level-0 counts
 * over the next 86,400 seconds (a fixed 86,400 additions, ~30 us, whatever
 * the table's size); level 1 is all more than a day away. The clock moves
 * only in ctscope_mirror_advance, which hands over the entries whose expiry
 * passed: the kernel refreshes a timeout on every packet without an event,
 * so "expired here" means "ask the kernel", not "gone".
 */
#include <errno.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

#define NIL 0xffffffffu
#define HEAD_TAG 0x80000000u  /* a prev link naming a list head, not an entry */
#define L1_TAG 0x40000000u    /* ... of level 1 */
#define L0_BITS 17
#define L0_SIZE (1u << L0_BITS)
#define L0_MASK (L0_SIZE - 1)
#define L1_SHIFT 10
#define L1_SIZE 4096u
#define L1_MASK (L1_SIZE - 1)
#define CHUNK_BITS 10
#define CHUNK (1u << CHUNK_BITS)
/* An index slot is a 27-bit entry number and 5 bits of its key's hash, so
 * a probe touches an entry only when the bits match (1 in 32 otherwise). */
#define ENTRY_BITS 27
#define ENTRY_MASK ((1u << ENTRY_BITS) - 1)
#define MAX_ENTRIES ENTRY_MASK /* ENTRY_MASK itself is NIL's number */
#define DAY 86400u
#define KEY_SIZE 40

/* counted: bits 0-3 TCP state (ours, STATE_NONE when not counted), then: */
#define STATE_NONE 0xf
#define C_ASSURED 0x10
#define C_UNREPLIED 0x20
#define C_NAT 0x40
#define C_LONG 0x80 /* TCP ESTABLISHED with more than a day left when added */

/* flags */
#define F_LIVE 0x01
#define F_L0 0x02    /* linked in level 0 (counted in l0_count) */
#define F_L1 0x04    /* linked in level 1 */

struct mentry {
	uint8_t src[16], dst[16];
	uint16_t sport, dport; /* ICMP: id, type << 8 | code */
	uint16_t zone;
	uint8_t l4proto, family;
	uint8_t counted, flags;
	uint16_t pad; /* zero: keeps the struct free of indeterminate bytes */
	uint32_t expiry;
	uint32_t prev, next; /* wheel list; next also chains the free list */
};
_Static_assert(sizeof(struct mentry) == 56, "mirror entry grew: recheck the 64-byte budget");
_Static_assert(offsetof(struct mentry, counted) == KEY_SIZE, "the key is the first 40 bytes");

struct ctscope_mirror {
	struct ctscope_summary *sum;
	struct mentry **chunks;
	size_t n_chunks;
	uint32_t n_alloc;    /* entry numbers handed out so far */
	uint32_t free_list;
	size_t live;
	uint32_t *index;     /* entry numbers, NIL when empty */
	size_t cap, used;
	/* wheel */
	uint32_t now;        /* every linked entry expires after now */
	uint32_t l1_next;    /* first level-1 bucket not yet cascaded */
	uint64_t l0_total, l1_total;
	uint32_t *l0_head, *l0_count, *l1_head;
};

static inline struct mentry *at(const struct ctscope_mirror *m, uint32_t i)
{
	return &m->chunks[i >> CHUNK_BITS][i & (CHUNK - 1)];
}

/* ---- key and hash ---- */

static void key_of(const struct ctscope_entry *e, struct mentry *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, e->src, 16);
	memcpy(k->dst, e->dst, 16);
	if (e->l4proto == IPPROTO_ICMP || e->l4proto == IPPROTO_ICMPV6) {
		k->sport = e->icmp_id;
		k->dport = (uint16_t)(e->icmp_type << 8 | e->icmp_code);
	} else {
		k->sport = e->sport;
		k->dport = e->dport;
	}
	k->zone = e->zone;
	k->l4proto = e->l4proto;
	k->family = e->family;
}

static uint64_t hash_key(const struct mentry *k)
{
	uint64_t h = 0x9E3779B97F4A7C15ull, w;
	const uint8_t *p = (const uint8_t *)k;
	for (size_t i = 0; i < KEY_SIZE; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

/* The home slot comes from the hash's high half (mapped onto 0..cap-1
 * without a power-of-two capacity), the tag from its low bits. */
static inline size_t home_of(uint64_t h, size_t cap)
{
	return (size_t)(((h >> 32) * cap) >> 32);
}

static inline uint32_t tag_of(uint64_t h)
{
	return (uint32_t)(h & 0x1f) << ENTRY_BITS;
}

/* ---- index ---- */

static size_t find_slot(const struct ctscope_mirror *m, const struct mentry *k)
{
	if (m->cap == 0)
		return SIZE_MAX;
	uint64_t h = hash_key(k);
	uint32_t tag = tag_of(h);
	size_t i = home_of(h, m->cap);
	for (;;) {
		uint32_t s = m->index[i];
		if (s == NIL)
			return SIZE_MAX;
		if ((s & ~ENTRY_MASK) == tag && memcmp(at(m, s & ENTRY_MASK), k, KEY_SIZE) == 0)
			return i;
		if (++i == m->cap)
			i = 0;
	}
}

static void index_put(uint32_t *index, size_t cap, uint64_t h, uint32_t n)
{
	size_t i = home_of(h, cap);
	while (index[i] != NIL)
		if (++i == cap)
			i = 0;
	index[i] = tag_of(h) | n;
}

static int index_grow(struct ctscope_mirror *m)
{
	size_t cap = m->cap ? m->cap + m->cap / 4 : 1024;
	if (cap > UINT32_MAX)
		return -1;
	uint32_t *index = malloc(cap * sizeof(*index));
	if (!index)
		return -1;
	memset(index, 0xff, cap * sizeof(*index));
	for (size_t i = 0; i < m->cap; i++)
		if (m->index[i] != NIL)
			index_put(index, cap, hash_key(at(m, m->index[i] & ENTRY_MASK)), m->index[i] & ENTRY_MASK);
	free(m->index);
	m->index = index;
	m->cap = cap;
	return 0;
}

/* Backward-shift deletion keeps probe runs unbroken without tombstones,
 * which a table that sees as many removals as inserts would fill with. */
static void index_remove(struct ctscope_mirror *m, size_t hole)
{
	size_t i = hole;
	for (;;) {
		if (++i == m->cap)
			i = 0;
		uint32_t s = m->index[i];
		if (s == NIL)
			break;
		size_t home = home_of(hash_key(at(m, s & ENTRY_MASK)), m->cap);
		/* s may fill the hole when the hole lies on its probe path */
		size_t d_home = (i + m->cap - home) % m->cap, d_hole = (i + m->cap - hole) % m->cap;
		if (d_home >= d_hole) {
			m->index[hole] = s;
			hole = i;
		}
	}
	m->index[hole] = NIL;
	m->used--;
}

/* ---- entry pool ---- */

static uint32_t pool_take(struct ctscope_mirror *m)
{
	if (m->free_list != NIL) {
		uint32_t n = m->free_list;
		m->free_list = at(m, n)->next;
		return n;
	}
	if (m->n_alloc >= MAX_ENTRIES)
		return NIL;
	if ((m->n_alloc >> CHUNK_BITS) >= m->n_chunks) {
		struct mentry **chunks = realloc(m->chunks, (m->n_chunks + 1) * sizeof(*chunks));
		if (!chunks)
			return NIL;
		m->chunks = chunks;
		if (!(chunks[m->n_chunks] = malloc(CHUNK * sizeof(struct mentry))))
			return NIL;
		m->n_chunks++;
	}
	return m->n_alloc++;
}

static void pool_give(struct ctscope_mirror *m, uint32_t n)
{
	struct mentry *x = at(m, n);
	x->flags = 0;
	x->next = m->free_list;
	m->free_list = n;
}

/* ---- wheel ---- */

static uint32_t *head_ref(struct ctscope_mirror *m, uint32_t tag)
{
	return tag & L1_TAG ? &m->l1_head[tag & L1_MASK] : &m->l0_head[tag & L0_MASK];
}

static void unlink_entry(struct ctscope_mirror *m, uint32_t n)
{
	struct mentry *x = at(m, n);
	if (!(x->flags & (F_L0 | F_L1)))
		return;
	if (x->prev & HEAD_TAG)
		*head_ref(m, x->prev) = x->next;
	else
		at(m, x->prev)->next = x->next;
	if (x->next != NIL)
		at(m, x->next)->prev = x->prev;
	if (x->flags & F_L0) {
		m->l0_count[x->expiry & L0_MASK]--;
		m->l0_total--;
	} else {
		m->l1_total--;
	}
	x->flags &= (uint8_t)~(F_L0 | F_L1);
}

static void push(struct ctscope_mirror *m, uint32_t n, uint32_t tag)
{
	struct mentry *x = at(m, n);
	uint32_t *head = head_ref(m, tag);
	x->prev = tag;
	x->next = *head;
	if (*head != NIL)
		at(m, *head)->prev = n;
	*head = n;
}

/* Links an entry by its expiry, which must be after m->now (or NEVER). */
static void link_entry(struct ctscope_mirror *m, uint32_t n)
{
	struct mentry *x = at(m, n);
	if (x->expiry == CTSCOPE_MIRROR_NEVER)
		return; /* no timeout (offloaded flows): never expires, no band */
	uint32_t ahead = x->expiry - m->now;
	if (ahead < L0_SIZE) {
		push(m, n, HEAD_TAG | (x->expiry & L0_MASK));
		m->l0_count[x->expiry & L0_MASK]++;
		m->l0_total++;
		x->flags |= F_L0;
	} else {
		uint32_t b = x->expiry >> L1_SHIFT;
		if (b - m->l1_next >= L1_SIZE) /* beyond 48 days: wait in the last bucket */
			b = m->l1_next + L1_SIZE - 1;
		push(m, n, HEAD_TAG | L1_TAG | (b & L1_MASK));
		m->l1_total++;
		x->flags |= F_L1;
	}
}

static void cascade(struct ctscope_mirror *m)
{
	/* a level-1 bucket moves down once all of it lies within level 0 */
	while (((uint64_t)m->l1_next + 1) << L1_SHIFT <= (uint64_t)m->now + L0_SIZE) {
		uint32_t *head = &m->l1_head[m->l1_next & L1_MASK];
		uint32_t n = *head;
		*head = NIL;
		m->l1_next++;
		while (n != NIL) {
			struct mentry *x = at(m, n);
			uint32_t next = x->next;
			x->flags &= (uint8_t)~F_L1;
			m->l1_total--;
			link_entry(m, n);
			n = next;
		}
	}
}

/* ---- summary coupling ---- */

static uint8_t counted_of(const struct ctscope_entry *e)
{
	enum ctscope_tcp_state st = ctscope_entry_tcp_state(e);
	uint8_t c = st == CTSCOPE_TCP_STATE_COUNT ? STATE_NONE : (uint8_t)st;
	if (e->status & IPS_ASSURED)
		c |= C_ASSURED;
	if (!(e->status & IPS_SEEN_REPLY))
		c |= C_UNREPLIED;
	if (e->nat)
		c |= C_NAT;
	/* summary.c's rule for established_long: more than a day left */
	if (st == CTSCOPE_TCP_ESTABLISHED && e->has_timeout && e->timeout > DAY)
		c |= C_LONG;
	return c;
}

/* An entry that makes ctscope_summary_apply count exactly what `counted`
 * says: the inverse of the add, whatever the kernel says now. */
static void counted_entry(const struct mentry *x, struct ctscope_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->family = x->family;
	e->l4proto = x->l4proto;
	e->zone = x->zone;
	e->sport = x->sport;
	e->dport = x->dport;
	memcpy(e->src, x->src, 16);
	memcpy(e->dst, x->dst, 16);
	uint8_t st = x->counted & 0xf;
	e->tcp_state = st == STATE_NONE ? CTSCOPE_TCP_STATE_NONE : (uint8_t)(st + TCP_CONNTRACK_SYN_SENT);
	e->status = (x->counted & C_ASSURED ? IPS_ASSURED : 0) | (x->counted & C_UNREPLIED ? 0 : IPS_SEEN_REPLY);
	e->nat = x->counted & C_NAT;
	e->has_timeout = x->counted & C_LONG;
	e->timeout = x->counted & C_LONG ? UINT32_MAX : 0;
	if (x->l4proto == IPPROTO_ICMP || x->l4proto == IPPROTO_ICMPV6) {
		e->sport = e->dport = 0;
		e->icmp_id = x->sport;
		e->icmp_type = (uint8_t)(x->dport >> 8);
		e->icmp_code = (uint8_t)x->dport;
	}
}

/* ---- public ---- */

struct ctscope_mirror *ctscope_mirror_new(struct ctscope_summary *sum, uint32_t now)
{
	struct ctscope_mirror *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->sum = sum;
	m->free_list = NIL;
	m->l0_head = malloc(L0_SIZE * sizeof(uint32_t));
	m->l0_count = calloc(L0_SIZE, sizeof(uint32_t));
	m->l1_head = malloc(L1_SIZE * sizeof(uint32_t));
	if (!m->l0_head || !m->l0_count || !m->l1_head) {
		ctscope_mirror_free(m);
		return NULL;
	}
	sum->count_timeouts = false; /* bands come from the wheel */
	ctscope_mirror_clear(m, now);
	return m;
}

void ctscope_mirror_free(struct ctscope_mirror *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_chunks; i++)
		free(m->chunks[i]);
	free(m->chunks);
	free(m->index);
	free(m->l0_head);
	free(m->l0_count);
	free(m->l1_head);
	free(m);
}

void ctscope_mirror_clear(struct ctscope_mirror *m, uint32_t now)
{
	ctscope_summary_reset(m->sum);
	m->n_alloc = 0;
	m->free_list = NIL;
	m->live = 0;
	if (m->index)
		memset(m->index, 0xff, m->cap * sizeof(*m->index));
	m->used = 0;
	m->now = now;
	m->l1_next = (uint32_t)(((uint64_t)now + L0_SIZE) >> L1_SHIFT);
	m->l0_total = m->l1_total = 0;
	memset(m->l0_head, 0xff, L0_SIZE * sizeof(uint32_t));
	memset(m->l0_count, 0, L0_SIZE * sizeof(uint32_t));
	memset(m->l1_head, 0xff, L1_SIZE * sizeof(uint32_t));
}

static void drop(struct ctscope_mirror *m, size_t slot)
{
	uint32_t n = m->index[slot] & ENTRY_MASK;
	struct ctscope_entry old;
	counted_entry(at(m, n), &old);
	ctscope_summary_apply(m->sum, &old, -1); /* removal allocates nothing */
	unlink_entry(m, n);
	index_remove(m, slot);
	pool_give(m, n);
	m->live--;
}

int ctscope_mirror_upsert(struct ctscope_mirror *m, const struct ctscope_entry *e, uint32_t now)
{
	struct mentry k;
	key_of(e, &k);
	size_t slot = find_slot(m, &k);
	uint32_t n;
	bool added = slot == SIZE_MAX;
	struct ctscope_entry add = *e;
	uint32_t expiry = e->has_timeout ? now + e->timeout : CTSCOPE_MIRROR_NEVER;
	if (expiry == CTSCOPE_MIRROR_NEVER || expiry <= m->now)
		expiry = e->has_timeout ? m->now + 1 : CTSCOPE_MIRROR_NEVER;

	if (!added) {
		n = m->index[slot] & ENTRY_MASK;
		struct mentry *x = at(m, n);
		struct ctscope_entry old;
		counted_entry(x, &old);
		/* UPDATE events carry the TCP state only when it changed: keep ours */
		if (e->l4proto == IPPROTO_TCP && e->tcp_state == CTSCOPE_TCP_STATE_NONE)
			add.tcp_state = old.tcp_state;
		if (counted_of(&add) != x->counted) {
			ctscope_summary_apply(m->sum, &old, -1); /* removal allocates nothing */
			x->counted = counted_of(&add);
			if (ctscope_summary_apply(m->sum, &add, +1) < 0)
				return -1;
		}
		unlink_entry(m, n);
	} else {
		if ((m->used + 1) * 5 > m->cap * 4 && index_grow(m) < 0)
			return -1;
		if ((n = pool_take(m)) == NIL)
			return -1;
		struct mentry *x = at(m, n);
		*x = k;
		x->counted = counted_of(&add);
		x->flags = F_LIVE;
		index_put(m->index, m->cap, hash_key(&k), n);
		m->used++;
		m->live++;
		x->expiry = CTSCOPE_MIRROR_NEVER; /* not linked yet */
		if (ctscope_summary_apply(m->sum, &add, +1) < 0)
			return -1;
		/* a TCP entry first seen without its state (an UPDATE that did
		 * not carry it): have the kernel asked at the next advance */
		if (e->l4proto == IPPROTO_TCP && e->tcp_state == CTSCOPE_TCP_STATE_NONE && e->has_timeout)
			expiry = m->now + 1;
	}
	at(m, n)->expiry = expiry;
	link_entry(m, n);
	return added ? 1 : 0;
}

int ctscope_mirror_remove(struct ctscope_mirror *m, const struct ctscope_entry *e)
{
	struct mentry k;
	key_of(e, &k);
	size_t slot = find_slot(m, &k);
	if (slot == SIZE_MAX)
		return 0; /* a DESTROY for what we never saw: nothing was counted */
	drop(m, slot);
	return 1;
}

/* Rebuilds the wheel around a clock that jumped further than level 0
 * reaches (a suspended machine, a collector not read for a day and a
 * half): walks every entry once, which is what such a jump costs. */
static void rewheel(struct ctscope_mirror *m, uint32_t now)
{
	memset(m->l0_head, 0xff, L0_SIZE * sizeof(uint32_t));
	memset(m->l0_count, 0, L0_SIZE * sizeof(uint32_t));
	memset(m->l1_head, 0xff, L1_SIZE * sizeof(uint32_t));
	m->l0_total = m->l1_total = 0;
	m->now = now;
	m->l1_next = (uint32_t)(((uint64_t)now + L0_SIZE) >> L1_SHIFT);
	for (uint32_t n = 0; n < m->n_alloc; n++) {
		struct mentry *x = at(m, n);
		if (!(x->flags & F_LIVE))
			continue;
		x->flags &= (uint8_t)~(F_L0 | F_L1);
		if (x->expiry != CTSCOPE_MIRROR_NEVER && (int32_t)(x->expiry - now) <= 0)
			x->expiry = now + 1; /* passed while we were away: due right away */
		link_entry(m, n);
	}
}

size_t ctscope_mirror_advance(struct ctscope_mirror *m, uint32_t now, ctscope_entry_cb due, void *data)
{
	if (now - m->now >= L0_SIZE / 2 && now > m->now)
		rewheel(m, now - 1);
	uint32_t due_list = NIL;
	size_t n_due = 0;
	while (m->now != now && (int32_t)(now - m->now) > 0) {
		m->now++;
		uint32_t slot = m->now & L0_MASK;
		uint32_t n = m->l0_head[slot];
		m->l0_head[slot] = NIL;
		m->l0_total -= m->l0_count[slot];
		m->l0_count[slot] = 0;
		while (n != NIL) {
			struct mentry *x = at(m, n);
			uint32_t next = x->next;
			x->flags &= (uint8_t)~F_L0;
			x->next = due_list;
			due_list = n;
			n_due++;
			n = next;
		}
		cascade(m);
	}
	/* Due entries wait a second more while the caller asks the kernel:
	 * an answer moves or removes them, no answer retries them next time.
	 * `due` only takes note (the mirror must not change under this loop). */
	int rc = 0;
	for (uint32_t n = due_list; n != NIL;) {
		struct mentry *x = at(m, n);
		uint32_t next = x->next;
		x->expiry = now + 1;
		link_entry(m, n);
		if (due && rc == 0) {
			struct ctscope_entry e;
			counted_entry(x, &e);
			rc = due(&e, data);
		}
		n = next;
	}
	return rc < 0 ? SIZE_MAX : n_due;
}

void ctscope_mirror_timeouts(const struct ctscope_mirror *m, uint64_t bands[CTSCOPE_TIMEOUT_BAND_COUNT])
{
	static const uint32_t upper[] = { 10, 60, 600, 3600, DAY };
	uint64_t within_day = 0;
	uint32_t r = 1;
	memset(bands, 0, CTSCOPE_TIMEOUT_BAND_COUNT * sizeof(*bands));
	for (int b = 0; b < CTSCOPE_TIMEOUT_GT_1D; b++) {
		uint64_t sum = 0;
		for (; r <= upper[b]; r++)
			sum += m->l0_count[(m->now + r) & L0_MASK];
		bands[b] = sum;
		within_day += sum;
	}
	bands[CTSCOPE_TIMEOUT_GT_1D] = m->l0_total - within_day + m->l1_total;
}

size_t ctscope_mirror_count(const struct ctscope_mirror *m)
{
	return m->live;
}

size_t ctscope_mirror_bytes(const struct ctscope_mirror *m, size_t *fixed)
{
	size_t wheel = (2 * L0_SIZE + L1_SIZE) * sizeof(uint32_t) + sizeof(*m);
	if (fixed)
		*fixed = wheel;
	return wheel + m->n_chunks * (CHUNK * sizeof(struct mentry) + sizeof(*m->chunks)) + m->cap * sizeof(*m->index);
}

uint32_t ctscope_mirror_clock(void)
{
	return (uint32_t)(ctscope_monotonic_ms() / 1000.0);
}
