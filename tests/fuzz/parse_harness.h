/* parse_harness.h — one netlink receive buffer through the path a dump
 * takes (ctscope_source_parse_buffer -> ctscope_summary_apply ->
 * ctscope_summary_to_snapshot -> formatting), checking what must hold
 * whatever the bytes say. Shared by the libFuzzer target (fuzz_parse.c)
 * and the regression test in `make check` (tests/unit/test_fuzz_regressions.c),
 * so a kept finding is replayed through exactly the code that found it.
 *
 * A broken invariant calls abort(): libFuzzer and cmocka both report an
 * abort as a failure with the input that caused it.
 */
#ifndef CTSCOPE_PARSE_HARNESS_H
#define CTSCOPE_PARSE_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "internal.h"

/* ctscope receives into a 64 KiB buffer; nothing bigger reaches the parser. */
#define HARNESS_MAX_INPUT (64 * 1024)
/* Small, so the fuzzer's few distinct keys already overflow the top lists. */
#define HARNESS_TOP_N 3

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HARNESS_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(HARNESS_ASAN)
#define HARNESS_ASAN 1
#endif
#ifdef HARNESS_ASAN
#include <sanitizer/asan_interface.h>
#define HARNESS_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define HARNESS_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define HARNESS_POISON(p, n) ((void)(p), (void)(n))
#define HARNESS_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define HARNESS_CHECK(cond)                                                                                         \
	do {                                                                                                        \
		if (!(cond)) {                                                                                      \
			fprintf(stderr, "parse harness: invariant broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                    \
		}                                                                                                   \
	} while (0)

/* What one run saw, for tests that want to look closer. */
struct harness_result {
	int rc;          /* ctscope_source_parse_buffer's return */
	uint64_t entries; /* entries the callback received */
	struct ctscope_error err;
};

struct harness_entries {
	struct ctscope_entry *v;
	size_t n, cap;
	struct ctscope_summary *summary;
};

static inline int harness_collect(const struct ctscope_entry *e, void *data)
{
	struct harness_entries *h = data;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct ctscope_entry *v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n++] = *e;
	return ctscope_summary_apply(h->summary, e, +1);
}

/* The input is copied so that it ends right before an inaccessible page:
 * libmnl is a system library without ASan instrumentation, so only a
 * guard page catches it reading past the buffer. The start stays 4-byte
 * aligned, as in the real (malloc'ed) receive buffer; the 0..3 bytes of
 * padding this leaves before the guard are poisoned for ASan. */
static inline uint8_t *harness_place(const uint8_t *data, size_t size)
{
	static uint8_t *region;
	const size_t page = 4096, span = HARNESS_MAX_INPUT;
	if (!region) {
		void *m = mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		HARNESS_CHECK(m != MAP_FAILED);
		region = m;
		HARNESS_CHECK(mprotect(region + span, page, PROT_NONE) == 0);
	}
	size_t padded = (size + 3) & ~(size_t)3;
	uint8_t *buf = region + span - padded;
	HARNESS_UNPOISON(region, span);
	if (size)
		memcpy(buf, data, size);
	memset(buf + size, 0xa5, padded - size);
	HARNESS_POISON(region, span - padded);
	HARNESS_POISON(buf + size, padded - size);
	return buf;
}

static inline uint64_t harness_sum(const uint64_t *v, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

/* What a snapshot built from any input must look like. */
static inline void harness_check_snapshot(const struct ctscope_snapshot *snap, uint64_t entries)
{
	HARNESS_CHECK(snap->has_breakdown);
	HARNESS_CHECK(harness_sum(snap->families, CTSCOPE_FAMILY_COUNT) == entries);
	HARNESS_CHECK(harness_sum(snap->protocols, CTSCOPE_PROTO_COUNT) == entries);
	HARNESS_CHECK(harness_sum(snap->tcp_states, CTSCOPE_TCP_STATE_COUNT) <= snap->protocols[CTSCOPE_PROTO_TCP]);
	HARNESS_CHECK(harness_sum(snap->timeouts, CTSCOPE_TIMEOUT_BAND_COUNT) <= entries);
	for (int f = 0; f < CTSCOPE_FLAG_COUNT; f++)
		HARNESS_CHECK(snap->flags[f] <= entries);
	HARNESS_CHECK(snap->udp_unreplied <= snap->protocols[CTSCOPE_PROTO_UDP]);

	uint64_t zones = 0;
	for (size_t i = 0; i < snap->n_zones; i++) {
		HARNESS_CHECK(snap->zones[i].zone != 0 && snap->zones[i].entries > 0);
		HARNESS_CHECK(i == 0 || snap->zones[i - 1].zone < snap->zones[i].zone);
		zones += snap->zones[i].entries;
	}
	HARNESS_CHECK(zones <= entries);

	char buf[128];
	uint64_t sum = 0;
	HARNESS_CHECK(snap->n_top_destinations <= HARNESS_TOP_N);
	for (size_t i = 0; i < snap->n_top_destinations; i++) {
		const struct ctscope_top_destination *d = &snap->top_destinations[i];
		HARNESS_CHECK(d->entries > 0 && d->established_long <= d->entries);
		HARNESS_CHECK(i == 0 || snap->top_destinations[i - 1].entries >= d->entries);
		HARNESS_CHECK(d->addr.family == AF_INET || d->addr.family == AF_INET6);
		HARNESS_CHECK((unsigned)d->proto < CTSCOPE_PROTO_COUNT);
		HARNESS_CHECK(d->has_port == ctscope_proto_has_ports(d->proto));
		HARNESS_CHECK(d->has_port || d->port == 0);
		ctscope_destination_format(d, buf, sizeof(buf));
		HARNESS_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL);
		sum += d->entries;
	}
	HARNESS_CHECK(sum <= entries);

	sum = 0;
	HARNESS_CHECK(snap->n_top_sources <= HARNESS_TOP_N);
	for (size_t i = 0; i < snap->n_top_sources; i++) {
		const struct ctscope_top_source *s = &snap->top_sources[i];
		HARNESS_CHECK(s->entries > 0);
		HARNESS_CHECK(i == 0 || snap->top_sources[i - 1].entries >= s->entries);
		HARNESS_CHECK(s->addr.family == AF_INET || s->addr.family == AF_INET6);
		ctscope_addr_format(&s->addr, buf, sizeof(buf));
		sum += s->entries;
	}
	HARNESS_CHECK(sum <= entries);

	sum = 0;
	HARNESS_CHECK(snap->n_top_ports <= HARNESS_TOP_N);
	for (size_t i = 0; i < snap->n_top_ports; i++) {
		const struct ctscope_top_port *p = &snap->top_ports[i];
		HARNESS_CHECK(p->entries > 0 && ctscope_proto_has_ports(p->proto));
		HARNESS_CHECK(i == 0 || snap->top_ports[i - 1].entries >= p->entries);
		sum += p->entries;
	}
	HARNESS_CHECK(sum <= entries);
}

/* Event mode removes what it added: after every entry is taken back out,
 * the summary must be empty again, top tables included. */
static inline void harness_check_empty(const struct ctscope_summary *s)
{
	HARNESS_CHECK(s->entries == 0);
	HARNESS_CHECK(harness_sum(s->families, CTSCOPE_FAMILY_COUNT) == 0);
	HARNESS_CHECK(harness_sum(s->protocols, CTSCOPE_PROTO_COUNT) == 0);
	HARNESS_CHECK(harness_sum(s->tcp_states, CTSCOPE_TCP_STATE_COUNT) == 0);
	HARNESS_CHECK(harness_sum(s->flags, CTSCOPE_FLAG_COUNT) == 0);
	HARNESS_CHECK(harness_sum(s->timeouts, CTSCOPE_TIMEOUT_BAND_COUNT) == 0);
	HARNESS_CHECK(s->udp_unreplied == 0);
	HARNESS_CHECK(s->dst4.used == 0 && s->dst6.used == 0 && s->src4.used == 0 && s->src6.used == 0);
	HARNESS_CHECK(s->long4.used == 0 && s->long6.used == 0);
	for (size_t z = 0; z < 65536; z++)
		HARNESS_CHECK(s->zones[z] == 0);
	for (int p = 0; p < CTSCOPE_PROTO_COUNT; p++)
		for (size_t port = 0; s->ports[p] && port < 65536; port++)
			HARNESS_CHECK(s->ports[p][port] == 0);
}

/* Runs one input. Returns what happened; aborts when an invariant breaks. */
static inline struct harness_result harness_run(const uint8_t *data, size_t size)
{
	struct harness_result r;
	memset(&r, 0, sizeof(r));
	if (size > HARNESS_MAX_INPUT)
		size = HARNESS_MAX_INPUT; /* the receive buffer holds no more */
	const uint8_t *buf = harness_place(data, size);

	struct ctscope_summary summary;
	HARNESS_CHECK(ctscope_summary_init(&summary) == 0);
	struct harness_entries h = { NULL, 0, 0, &summary };
	uint64_t scanned = 0;
	r.rc = ctscope_source_parse_buffer(buf, size, 0, 0, harness_collect, &h, &scanned, &r.err);
	r.entries = h.n;

	/* Failure is said, never silent; success says nothing. */
	HARNESS_CHECK(r.rc == -1 || r.rc == 0 || r.rc == 1);
	if (r.rc == -1)
		HARNESS_CHECK(r.err.code != 0 && r.err.message[0] != '\0');
	HARNESS_CHECK(scanned == h.n && summary.entries == h.n);

	struct ctscope_snapshot snap;
	memset(&snap, 0, sizeof(snap));
	HARNESS_CHECK(ctscope_summary_to_snapshot(&summary, HARNESS_TOP_N, &snap) == 0);
	snap.table.entries = h.n;
	harness_check_snapshot(&snap, h.n);
	ctscope_hints_compute(&snap, NULL, 0.0);
	for (size_t i = 0; i < snap.n_hints; i++)
		HARNESS_CHECK(memchr(snap.hints[i], '\0', CTSCOPE_HINT_LEN) != NULL);
	ctscope_snapshot_clear(&snap);

	for (size_t i = 0; i < h.n; i++)
		HARNESS_CHECK(ctscope_summary_apply(&summary, &h.v[i], -1) == 0);
	harness_check_empty(&summary);

	ctscope_summary_free(&summary);
	free(h.v);
	return r;
}

#endif
