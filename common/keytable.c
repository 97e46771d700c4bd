/* keytable.c — exact counts per fixed-size key (an address, or an
 * address, port and protocol), for the top-N lists.
 *
 * Memory is the constraint: a firewall's table can hold a million distinct
 * destinations and the whole process must stay near 32 MiB. So keys live
 * once, packed, in an arena of nodes (key, count, next: 16 bytes for an
 * IPv4 destination), chained from a bucket array of 4-byte node indices.
 * The arena grows with mremap, which moves pages instead of copying them,
 * so growing never holds two copies; only the small bucket array is
 * rebuilt. Open addressing would need its whole slot array twice over at
 * every doubling, and slack besides.
 *
 * Removal (event mode) unlinks the node and puts it on a free list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define NIL 0xffffffffu
#define MIN_NODES 1024

struct node_tail {
	uint32_t count; /* 0 marks a free node */
	uint32_t next;  /* next node in the bucket chain, or in the free list */
};

void ctscope_keytable_init(struct ctscope_keytable *t, size_t key_size)
{
	memset(t, 0, sizeof(*t));
	t->key_size = key_size;
	t->stride = key_size + sizeof(struct node_tail);
	t->free_list = NIL;
}

void ctscope_keytable_free(struct ctscope_keytable *t)
{
	if (t->nodes)
		munmap(t->nodes, t->nodes_cap * t->stride);
	free(t->heads);
	size_t ks = t->key_size;
	ctscope_keytable_init(t, ks);
}

void ctscope_keytable_reset(struct ctscope_keytable *t)
{
	if (t->heads)
		memset(t->heads, 0xff, t->nbuckets * sizeof(*t->heads));
	t->nodes_used = 0;
	t->used = 0;
	t->free_list = NIL;
}

static inline uint8_t *node_at(const struct ctscope_keytable *t, uint32_t i)
{
	return t->nodes + (size_t)i * t->stride;
}

static inline struct node_tail *tail_of(const struct ctscope_keytable *t, uint8_t *node)
{
	return (struct node_tail *)(void *)(node + t->key_size);
}

/* memcmp with a size the compiler knows is a few inline loads; through
 * the library call it was a tenth of a dump's parsing (perf, 1,000,000
 * distinct destinations). Every key here is 4, 8, 16 or 20 bytes. */
static inline bool same_key(const uint8_t *a, const uint8_t *b, size_t size)
{
	switch (size) {
	case 4:
		return memcmp(a, b, 4) == 0;
	case 8:
		return memcmp(a, b, 8) == 0;
	case 16:
		return memcmp(a, b, 16) == 0;
	case 20:
		return memcmp(a, b, 20) == 0;
	default:
		return memcmp(a, b, size) == 0;
	}
}

static uint32_t hash_key(const uint8_t *key, size_t size)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
	for (size_t i = 0; i < size; i += 4) {
		uint32_t w;
		memcpy(&w, key + i, 4);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static int grow_arena(struct ctscope_keytable *t)
{
	size_t cap = t->nodes_cap ? t->nodes_cap * 2 : MIN_NODES;
	if (cap > NIL - 1)
		return -1;
	void *p = t->nodes ? mremap(t->nodes, t->nodes_cap * t->stride, cap * t->stride, MREMAP_MAYMOVE)
	                   : mmap(NULL, cap * t->stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	t->nodes = p;
	t->nodes_cap = cap;
	return 0;
}

/* One bucket per node on average: chains stay about one long. */
static int grow_buckets(struct ctscope_keytable *t)
{
	size_t n = t->nbuckets ? t->nbuckets * 2 : MIN_NODES;
	uint32_t *heads = malloc(n * sizeof(*heads));
	if (!heads)
		return -1;
	memset(heads, 0xff, n * sizeof(*heads));
	for (uint32_t i = 0; i < t->nodes_used; i++) {
		uint8_t *node = node_at(t, i);
		struct node_tail *tl = tail_of(t, node);
		if (tl->count == 0)
			continue;
		uint32_t b = hash_key(node, t->key_size) & (uint32_t)(n - 1);
		tl->next = heads[b];
		heads[b] = i;
	}
	/* free nodes were unlinked from the free list's order by the loop
	 * above only if live; rebuild the free list from scratch */
	t->free_list = NIL;
	for (uint32_t i = t->nodes_used; i-- > 0;) {
		struct node_tail *tl = tail_of(t, node_at(t, i));
		if (tl->count == 0) {
			tl->next = t->free_list;
			t->free_list = i;
		}
	}
	free(t->heads);
	t->heads = heads;
	t->nbuckets = n;
	return 0;
}

static uint32_t new_node(struct ctscope_keytable *t)
{
	if (t->free_list != NIL) {
		uint32_t i = t->free_list;
		t->free_list = tail_of(t, node_at(t, i))->next;
		return i;
	}
	if (t->nodes_used == t->nodes_cap && grow_arena(t) < 0)
		return NIL;
	return (uint32_t)t->nodes_used++;
}

int ctscope_keytable_add(struct ctscope_keytable *t, const void *key, int32_t delta)
{
	if (delta > 0 && t->used >= t->nbuckets && grow_buckets(t) < 0)
		return -1;
	if (t->nbuckets == 0)
		return 0; /* removing from an empty table: nothing to do */
	uint32_t b = hash_key(key, t->key_size) & (uint32_t)(t->nbuckets - 1);
	uint32_t *link = &t->heads[b];
	for (uint32_t i = *link; i != NIL; i = *link) {
		uint8_t *node = node_at(t, i);
		struct node_tail *tl = tail_of(t, node);
		if (same_key(node, key, t->key_size)) {
			tl->count += (uint32_t)delta;
			if (tl->count == 0) {
				*link = tl->next;
				tl->next = t->free_list;
				t->free_list = i;
				t->used--;
			}
			return 0;
		}
		link = &tl->next;
	}
	if (delta <= 0)
		return 0; /* not present: the caller removes what it never added */
	uint32_t i = new_node(t);
	if (i == NIL)
		return -1;
	uint8_t *node = node_at(t, i);
	memcpy(node, key, t->key_size);
	struct node_tail *tl = tail_of(t, node);
	tl->count = (uint32_t)delta;
	tl->next = t->heads[b];
	t->heads[b] = i;
	t->used++;
	return 0;
}

uint32_t ctscope_keytable_get(const struct ctscope_keytable *t, const void *key)
{
	if (t->nbuckets == 0)
		return 0;
	uint32_t b = hash_key(key, t->key_size) & (uint32_t)(t->nbuckets - 1);
	for (uint32_t i = t->heads[b]; i != NIL;) {
		uint8_t *node = node_at(t, i);
		struct node_tail *tl = tail_of(t, node);
		if (same_key(node, key, t->key_size))
			return tl->count;
		i = tl->next;
	}
	return 0;
}

/* "a ranks above b": more entries first, then smaller key bytes, so equal
 * counts always come out in the same order. */
static bool ranks_above(const struct ctscope_keycount *a, const struct ctscope_keycount *b, size_t key_size)
{
	if (a->count != b->count)
		return a->count > b->count;
	return memcmp(a->key, b->key, key_size) < 0;
}

/* Min-heap of the best n seen so far: the root is the weakest. */
static void sift_down(struct ctscope_keycount *h, size_t n, size_t i, size_t ks)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && ranks_above(&h[w], &h[l], ks))
			w = l;
		if (r < n && ranks_above(&h[w], &h[r], ks))
			w = r;
		if (w == i)
			return;
		struct ctscope_keycount tmp = h[i];
		h[i] = h[w];
		h[w] = tmp;
		i = w;
	}
}

size_t ctscope_keytable_top(const struct ctscope_keytable *t, struct ctscope_keycount *out, size_t n)
{
	size_t have = 0;
	if (n == 0)
		return 0;
	/* the arena is walked in order: sequential memory, no chains */
	for (uint32_t i = 0; i < t->nodes_used; i++) {
		uint8_t *node = node_at(t, i);
		const struct node_tail *tl = tail_of(t, node);
		if (tl->count == 0)
			continue;
		struct ctscope_keycount kc = { node, tl->count };
		if (have < n) {
			out[have++] = kc;
			if (have == n)
				for (size_t j = n / 2 + 1; j-- > 0;)
					sift_down(out, n, j, t->key_size);
		} else if (ranks_above(&kc, &out[0], t->key_size)) {
			out[0] = kc;
			sift_down(out, n, 0, t->key_size);
		}
	}
	/* heap -> sorted, best first (insertion sort: n is small) */
	for (size_t i = 1; i < have; i++) {
		struct ctscope_keycount kc = out[i];
		size_t j = i;
		while (j > 0 && ranks_above(&kc, &out[j - 1], t->key_size)) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = kc;
	}
	return have;
}
