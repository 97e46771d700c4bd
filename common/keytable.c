/* keytable.c — exact counts per fixed-size key (an address, or an
 * address, port and protocol), for the top-N lists.
 *
 * Open addressing with linear probing and backward-shift deletion, so
 * event mode can remove keys without tombstones piling up. Slots are
 * key bytes followed by two uint32 counters, packed: an IPv4 destination
 * costs 16 bytes a slot, which is what keeps a million distinct
 * destinations inside the memory budget. A slot is empty when its count
 * is 0 (a live key always has count >= 1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MIN_CAPACITY 256

void ctscope_keytable_init(struct ctscope_keytable *t, size_t key_size)
{
	memset(t, 0, sizeof(*t));
	t->key_size = key_size;
	t->stride = key_size + 2 * sizeof(uint32_t);
}

void ctscope_keytable_free(struct ctscope_keytable *t)
{
	free(t->slots);
	t->slots = NULL;
	t->capacity = t->used = 0;
}

void ctscope_keytable_reset(struct ctscope_keytable *t)
{
	if (t->slots && t->used)
		memset(t->slots, 0, t->capacity * t->stride);
	t->used = 0;
}

static uint64_t hash_key(const uint8_t *key, size_t size)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
	for (size_t i = 0; i < size; i += 4) {
		uint32_t w;
		memcpy(&w, key + i, 4);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

static inline uint32_t *slot_count(const struct ctscope_keytable *t, uint8_t *slot)
{
	return (uint32_t *)(void *)(slot + t->key_size);
}

static inline uint8_t *slot_at(const struct ctscope_keytable *t, size_t i)
{
	return t->slots + i * t->stride;
}

static int grow(struct ctscope_keytable *t)
{
	size_t cap = t->capacity ? t->capacity * 2 : MIN_CAPACITY;
	uint8_t *slots = calloc(cap, t->stride);
	if (!slots)
		return -1;
	struct ctscope_keytable old = *t;
	t->slots = slots;
	t->capacity = cap;
	t->used = 0;
	for (size_t i = 0; i < old.capacity; i++) {
		uint8_t *s = slot_at(&old, i);
		uint32_t c[2];
		memcpy(c, s + old.key_size, sizeof(c));
		if (c[0] == 0)
			continue;
		size_t j = hash_key(s, t->key_size) & (cap - 1);
		while (*slot_count(t, slot_at(t, j)) != 0)
			j = (j + 1) & (cap - 1);
		memcpy(slot_at(t, j), s, t->stride);
		t->used++;
	}
	free(old.slots);
	return 0;
}

/* Backward-shift deletion: pull later members of the probe run into the
 * hole so lookups never stop early at an empty slot. */
static void remove_at(struct ctscope_keytable *t, size_t hole)
{
	size_t mask = t->capacity - 1;
	size_t i = hole;
	for (;;) {
		i = (i + 1) & mask;
		uint8_t *s = slot_at(t, i);
		if (*slot_count(t, s) == 0)
			break;
		size_t home = hash_key(s, t->key_size) & mask;
		/* s may move into the hole if its home is not in (hole, i] */
		bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
		if (movable) {
			memcpy(slot_at(t, hole), s, t->stride);
			hole = i;
		}
	}
	memset(slot_at(t, hole), 0, t->stride);
	t->used--;
}

int ctscope_keytable_add(struct ctscope_keytable *t, const void *key, int32_t delta, int32_t extra_delta)
{
	if (delta > 0 && (t->used + 1) * 4 > t->capacity * 3 && grow(t) < 0)
		return -1;
	if (t->capacity == 0)
		return 0; /* removing from an empty table: nothing to do */
	size_t mask = t->capacity - 1;
	size_t i = hash_key(key, t->key_size) & mask;
	for (;;) {
		uint8_t *s = slot_at(t, i);
		uint32_t *c = slot_count(t, s);
		if (c[0] == 0) {
			if (delta <= 0)
				return 0; /* not present: the caller removes what it never added */
			memcpy(s, key, t->key_size);
			c[0] = (uint32_t)delta;
			c[1] = (uint32_t)extra_delta;
			t->used++;
			return 0;
		}
		if (memcmp(s, key, t->key_size) == 0) {
			c[0] += (uint32_t)delta;
			c[1] += (uint32_t)extra_delta;
			if (c[0] == 0)
				remove_at(t, i);
			return 0;
		}
		i = (i + 1) & mask;
	}
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
	for (size_t i = 0; i < t->capacity; i++) {
		uint8_t *s = slot_at(t, i);
		const uint32_t *c = slot_count(t, s);
		if (c[0] == 0)
			continue;
		struct ctscope_keycount kc = { s, c[0], c[1] };
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
