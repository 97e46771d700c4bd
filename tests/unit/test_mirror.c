/* test_mirror.c — the event mirror with hand-built entries: what it adds to
 * and removes from the summary, its identity (tuple + zone), its timing
 * wheel and timeout bands, and its memory per entry. */
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "internal.h"

#define T0 1000u

struct fx {
	struct ctscope_summary sum;
	struct ctscope_mirror *m;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f || ctscope_summary_init(&f->sum) < 0)
		return -1;
	f->m = ctscope_mirror_new(&f->sum, T0);
	*state = f;
	return f->m ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ctscope_mirror_free(f->m);
	ctscope_summary_free(&f->sum);
	free(f);
	return 0;
}

static struct ctscope_entry tcp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t state,
                                 uint32_t status, uint32_t timeout)
{
	struct ctscope_entry e = { 0 };
	e.family = AF_INET;
	e.l4proto = IPPROTO_TCP;
	e.tcp_state = state;
	e.status = status;
	e.has_timeout = true;
	e.timeout = timeout;
	e.sport = sport;
	e.dport = dport;
	uint32_t s = htonl(src), d = htonl(dst);
	memcpy(e.src, &s, 4);
	memcpy(e.dst, &d, 4);
	return e;
}

static struct ctscope_entry udp4(uint32_t src, uint16_t sport, uint32_t timeout)
{
	struct ctscope_entry e = tcp4(src, 0xc0000201, sport, 53, CTSCOPE_TCP_STATE_NONE, 0, timeout);
	e.l4proto = IPPROTO_UDP;
	return e;
}

#define EST TCP_CONNTRACK_ESTABLISHED
#define SEEN (IPS_SEEN_REPLY | IPS_CONFIRMED)

/* Every counter of the summary and its top lists, side by side. */
static void assert_same_summary(struct ctscope_summary *a, struct ctscope_summary *b)
{
	struct ctscope_snapshot sa = { 0 }, sb = { 0 };
	assert_int_equal(ctscope_summary_to_snapshot(a, 50, &sa), 0);
	assert_int_equal(ctscope_summary_to_snapshot(b, 50, &sb), 0);
	assert_int_equal(a->entries, b->entries);
	assert_memory_equal(sa.families, sb.families, sizeof(sa.families));
	assert_memory_equal(sa.protocols, sb.protocols, sizeof(sa.protocols));
	assert_memory_equal(sa.tcp_states, sb.tcp_states, sizeof(sa.tcp_states));
	assert_memory_equal(sa.flags, sb.flags, sizeof(sa.flags));
	assert_int_equal(sa.udp_unreplied, sb.udp_unreplied);
	assert_int_equal(sa.n_zones, sb.n_zones);
	if (sa.n_zones)
		assert_memory_equal(sa.zones, sb.zones, sa.n_zones * sizeof(*sa.zones));
	assert_int_equal(sa.n_top_destinations, sb.n_top_destinations);
	for (size_t i = 0; i < sa.n_top_destinations; i++) {
		assert_memory_equal(&sa.top_destinations[i].addr, &sb.top_destinations[i].addr, sizeof(struct ctscope_addr));
		assert_int_equal(sa.top_destinations[i].entries, sb.top_destinations[i].entries);
		assert_int_equal(sa.top_destinations[i].port, sb.top_destinations[i].port);
		assert_int_equal(sa.top_destinations[i].established_long, sb.top_destinations[i].established_long);
	}
	assert_int_equal(sa.n_top_sources, sb.n_top_sources);
	for (size_t i = 0; i < sa.n_top_sources; i++)
		assert_int_equal(sa.top_sources[i].entries, sb.top_sources[i].entries);
	assert_int_equal(sa.n_top_ports, sb.n_top_ports);
	for (size_t i = 0; i < sa.n_top_ports; i++) {
		assert_int_equal(sa.top_ports[i].port, sb.top_ports[i].port);
		assert_int_equal(sa.top_ports[i].entries, sb.top_ports[i].entries);
	}
	ctscope_snapshot_clear(&sa);
	ctscope_snapshot_clear(&sb);
}

static void add_update_remove(void **state)
{
	struct fx *f = *state;
	struct ctscope_entry a = tcp4(0x0a000001, 0xc0000201, 1000, 443, TCP_CONNTRACK_SYN_SENT, IPS_CONFIRMED, 120);
	struct ctscope_entry b = udp4(0x0a000002, 5000, 30);

	assert_int_equal(ctscope_mirror_upsert(f->m, &a, T0), 1);
	assert_int_equal(ctscope_mirror_upsert(f->m, &b, T0), 1);
	assert_int_equal(ctscope_mirror_count(f->m), 2);
	assert_int_equal(f->sum.entries, 2);
	assert_int_equal(f->sum.tcp_states[CTSCOPE_TCP_SYN_SENT], 1);
	assert_int_equal(f->sum.flags[CTSCOPE_FLAG_UNREPLIED], 2);
	assert_int_equal(f->sum.udp_unreplied, 1);

	/* UPDATE: established, replied, assured — counted once, moved */
	a.tcp_state = EST;
	a.status = SEEN | IPS_ASSURED;
	a.timeout = 432000;
	assert_int_equal(ctscope_mirror_upsert(f->m, &a, T0), 0);
	assert_int_equal(f->sum.entries, 2);
	assert_int_equal(f->sum.tcp_states[CTSCOPE_TCP_SYN_SENT], 0);
	assert_int_equal(f->sum.tcp_states[CTSCOPE_TCP_ESTABLISHED], 1);
	assert_int_equal(f->sum.flags[CTSCOPE_FLAG_ASSURED], 1);
	assert_int_equal(f->sum.flags[CTSCOPE_FLAG_UNREPLIED], 1);

	/* an UPDATE without protoinfo (a status-only change) keeps the state */
	struct ctscope_entry status_only = a;
	status_only.tcp_state = CTSCOPE_TCP_STATE_NONE;
	assert_int_equal(ctscope_mirror_upsert(f->m, &status_only, T0), 0);
	assert_int_equal(f->sum.tcp_states[CTSCOPE_TCP_ESTABLISHED], 1);

	/* a DESTROY carries what the kernel has now; we remove what we added */
	struct ctscope_entry destroy = a;
	destroy.tcp_state = TCP_CONNTRACK_TIME_WAIT;
	destroy.status = 0;
	destroy.has_timeout = false;
	assert_int_equal(ctscope_mirror_remove(f->m, &destroy), 1);
	assert_int_equal(ctscope_mirror_remove(f->m, &destroy), 0); /* unknown now */
	assert_int_equal(ctscope_mirror_remove(f->m, &b), 1);
	assert_int_equal(ctscope_mirror_count(f->m), 0);

	struct ctscope_summary empty;
	assert_int_equal(ctscope_summary_init(&empty), 0);
	assert_same_summary(&f->sum, &empty);
	ctscope_summary_free(&empty);
}

static void identity_is_tuple_and_zone(void **state)
{
	struct fx *f = *state;
	struct ctscope_entry icmp = { 0 };
	icmp.family = AF_INET;
	icmp.l4proto = IPPROTO_ICMP;
	icmp.tcp_state = CTSCOPE_TCP_STATE_NONE;
	icmp.icmp_type = 8;
	icmp.icmp_id = 1;
	icmp.has_timeout = true;
	icmp.timeout = 30;
	assert_int_equal(ctscope_mirror_upsert(f->m, &icmp, T0), 1);
	icmp.icmp_id = 2;
	assert_int_equal(ctscope_mirror_upsert(f->m, &icmp, T0), 1);
	icmp.icmp_type = 13; /* timestamp request, same id: another entry */
	assert_int_equal(ctscope_mirror_upsert(f->m, &icmp, T0), 1);
	icmp.zone = 7;
	assert_int_equal(ctscope_mirror_upsert(f->m, &icmp, T0), 1);
	assert_int_equal(ctscope_mirror_upsert(f->m, &icmp, T0), 0);
	assert_int_equal(f->sum.zones[7], 1);

	/* an IPv6 address whose first 4 bytes equal an IPv4 one: distinct */
	struct ctscope_entry v4 = udp4(0x0a000001, 1, 30), v6 = v4;
	v6.family = AF_INET6;
	assert_int_equal(ctscope_mirror_upsert(f->m, &v4, T0), 1);
	assert_int_equal(ctscope_mirror_upsert(f->m, &v6, T0), 1);
	assert_int_equal(ctscope_mirror_count(f->m), 6);
	assert_int_equal(f->sum.families[CTSCOPE_FAMILY_IPV6], 1);
}

/* Exact inverse: a random walk of adds, updates and removes over a set of
 * tuples leaves the summary equal to one built from scratch from the
 * entries alive at the end. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void random_walk_matches_rebuild(void **state)
{
	struct fx *f = *state;
	enum { KEYS = 3000, STEPS = 60000 };
	struct ctscope_entry *live = calloc(KEYS, sizeof(*live));
	bool *alive = calloc(KEYS, sizeof(*alive));
	uint64_t seed = 0x1234567u;
	static const uint32_t timeouts[] = { 5, 60, 600, 3600, 86400, 86401, 432000 };
	assert_non_null(live);
	assert_non_null(alive);
	for (int step = 0; step < STEPS; step++) {
		uint64_t r = rng_next(&seed);
		size_t k = r % KEYS;
		/* the key: tuple (and family, zone) fixed per k */
		struct ctscope_entry e = tcp4(0x0a000000 + (uint32_t)(k % 97), 0xc6336400 + (uint32_t)(k % 13),
		                              (uint16_t)(1024 + k), (uint16_t)(k % 3 ? 443 : 80), 0, 0, 0);
		e.family = k % 5 == 0 ? AF_INET6 : AF_INET;
		e.l4proto = k % 4 == 0 ? IPPROTO_UDP : IPPROTO_TCP;
		e.zone = (uint16_t)(k % 11 == 0 ? 3 : 0);
		/* what it has now: random */
		e.tcp_state = e.l4proto == IPPROTO_TCP ? (uint8_t)(1 + (r >> 8) % 9) : CTSCOPE_TCP_STATE_NONE;
		e.status = ((r >> 16) & 1 ? IPS_SEEN_REPLY : 0) | ((r >> 17) & 1 ? IPS_ASSURED : 0);
		e.nat = (r >> 18) & 1;
		e.timeout = timeouts[(r >> 20) % 7];
		e.has_timeout = true;
		if ((r >> 24) % 3 == 0) {
			assert_int_equal(ctscope_mirror_remove(f->m, &e), alive[k] ? 1 : 0);
			alive[k] = false;
		} else {
			assert_int_equal(ctscope_mirror_upsert(f->m, &e, T0), alive[k] ? 0 : 1);
			live[k] = e;
			alive[k] = true;
		}
	}
	struct ctscope_summary fresh;
	assert_int_equal(ctscope_summary_init(&fresh), 0);
	size_t n = 0;
	for (size_t k = 0; k < KEYS; k++)
		if (alive[k]) {
			assert_int_equal(ctscope_summary_apply(&fresh, &live[k], +1), 0);
			n++;
		}
	assert_int_equal(ctscope_mirror_count(f->m), n);
	assert_same_summary(&f->sum, &fresh);
	ctscope_summary_free(&fresh);
	free(live);
	free(alive);
}

struct due_list {
	struct ctscope_entry e[16];
	size_t n;
};

static int collect_due(const struct ctscope_entry *e, void *data)
{
	struct due_list *d = data;
	if (d->n < 16)
		d->e[d->n] = *e;
	d->n++;
	return 0;
}

static void check_bands(struct fx *f, const uint64_t want[CTSCOPE_TIMEOUT_BAND_COUNT], int line)
{
	uint64_t got[CTSCOPE_TIMEOUT_BAND_COUNT];
	ctscope_mirror_timeouts(f->m, got);
	for (int b = 0; b < CTSCOPE_TIMEOUT_BAND_COUNT; b++)
		if (got[b] != want[b])
			fail_msg("line %d: band %s has %llu, want %llu", line, ctscope_timeout_band_name(b),
			         (unsigned long long)got[b], (unsigned long long)want[b]);
}
#define bands_at(f, ...) check_bands(f, __VA_ARGS__, __LINE__)

static void wheel_bands_and_expiry(void **state)
{
	struct fx *f = *state;
	static const uint32_t t[] = { 5, 30, 600, 601, 4000, 90000, 5000000 };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ctscope_entry e = udp4(0x0a000001, (uint16_t)(i + 1), t[i]);
		assert_int_equal(ctscope_mirror_upsert(f->m, &e, T0), 1);
	}
	struct ctscope_entry offloaded = udp4(0x0a000002, 1, 0);
	offloaded.has_timeout = false;
	assert_int_equal(ctscope_mirror_upsert(f->m, &offloaded, T0), 1);
	/* 600 s is le_10m (bounds inclusive); no timeout: in no band */
	bands_at(f, (uint64_t[]){ 1, 1, 1, 1, 1, 2 });

	struct due_list d = { 0 };
	assert_int_equal(ctscope_mirror_advance(f->m, T0 + 4, collect_due, &d), 0);
	assert_int_equal(ctscope_mirror_advance(f->m, T0 + 5, collect_due, &d), 1);
	assert_int_equal(d.e[0].sport, 1);
	/* still counted (the kernel is asked first), a second from now; the
	 * 601 s entry has 596 s left now: le_10m */
	bands_at(f, (uint64_t[]){ 1, 1, 2, 0, 1, 2 });
	/* the kernel says: gone */
	assert_int_equal(ctscope_mirror_remove(f->m, &d.e[0]), 1);
	bands_at(f, (uint64_t[]){ 0, 1, 2, 0, 1, 2 });
	d.n = 0;
	assert_int_equal(ctscope_mirror_advance(f->m, T0 + 10, collect_due, &d), 0);
	bands_at(f, (uint64_t[]){ 0, 1, 2, 0, 1, 2 });
	/* the kernel says: alive, with a new timeout (a refresh sends no event) */
	assert_int_equal(ctscope_mirror_advance(f->m, T0 + 30, collect_due, &d), 1);
	struct ctscope_entry refreshed = udp4(0x0a000001, 2, 50);
	assert_int_equal(ctscope_mirror_upsert(f->m, &refreshed, T0 + 30), 0);
	bands_at(f, (uint64_t[]){ 0, 1, 2, 0, 1, 2 });

	/* the 90000 s entry: one second more than a day left, then a day */
	d.n = 0;
	assert_int_equal(ctscope_mirror_advance(f->m, T0 + 90000 - 86401, collect_due, &d), 3);
	bands_at(f, (uint64_t[]){ 3, 0, 1, 0, 0, 2 });
	for (size_t i = 0; i < d.n && i < 16; i++)
		assert_int_equal(ctscope_mirror_remove(f->m, &d.e[i]), 1);
	bands_at(f, (uint64_t[]){ 0, 0, 1, 0, 0, 2 });
	assert_int_equal(ctscope_mirror_advance(f->m, T0 + 90000 - 86400, NULL, NULL), 0);
	bands_at(f, (uint64_t[]){ 0, 0, 1, 0, 1, 1 });

	/* the 5,000,000 s entry (58 days: past level 1, waits in its last
	 * bucket) comes due at its second, in hour-long steps or in one jump */
	uint32_t now = T0 + 90000 - 86400;
	size_t others = 0;
	while (now + 3600 < T0 + 5000000) {
		now += 3600;
		d.n = 0;
		ctscope_mirror_advance(f->m, now, collect_due, &d);
		for (size_t i = 0; i < d.n; i++) { /* the 4000 s and 90000 s ones */
			assert_int_not_equal(d.e[i].sport, 7);
			assert_int_equal(ctscope_mirror_remove(f->m, &d.e[i]), 1);
			others++;
		}
	}
	assert_int_equal(others, 2);
	d.n = 0;
	assert_int_equal(ctscope_mirror_advance(f->m, T0 + 5000000 - 1, collect_due, &d), 0);
	assert_int_equal(ctscope_mirror_advance(f->m, T0 + 5000000, collect_due, &d), 1);
	assert_int_equal(d.e[0].sport, 7);
	assert_int_equal(ctscope_mirror_count(f->m), 2); /* it, and the offloaded one */
}

static void jump_makes_everything_due(void **state)
{
	struct fx *f = *state;
	for (uint16_t i = 1; i <= 10; i++) {
		struct ctscope_entry e = udp4(0x0a000001, i, 60u * i);
		assert_int_equal(ctscope_mirror_upsert(f->m, &e, T0), 1);
	}
	struct due_list d = { 0 };
	/* three days later, in one step (a suspended machine) */
	assert_int_equal(ctscope_mirror_advance(f->m, T0 + 3 * 86400, collect_due, &d), 10);
	assert_int_equal(ctscope_mirror_advance(f->m, T0 + 3 * 86400, collect_due, &d), 0);
	bands_at(f, (uint64_t[]){ 10, 0, 0, 0, 0, 0 });
}

/* The 64-byte budget at the worst moment: IPv6 entries (the longest key),
 * just after the index grew, at every size from 100,000 to 400,000. */
static void memory_per_entry_within_budget(void **state)
{
	struct fx *f = *state;
	size_t fixed = 0, worst_at = 0;
	double worst = 0;
	for (uint32_t i = 0; i < 400000; i++) {
		struct ctscope_entry e = tcp4(0x0a000000 + i, 0xc0000201, (uint16_t)i, 443, EST, SEEN, 3600);
		e.family = AF_INET6;
		e.src[15] = (uint8_t)(i >> 16); /* distinct tuples past 65,536 */
		assert_int_equal(ctscope_mirror_upsert(f->m, &e, T0), 1);
		size_t n = i + 1;
		if (n >= 100000 && (n % 1000 == 0 || n == 400000)) {
			size_t bytes = ctscope_mirror_bytes(f->m, &fixed);
			double per = (double)(bytes - fixed) / (double)n;
			if (per > worst) {
				worst = per;
				worst_at = n;
			}
		}
	}
	size_t bytes = ctscope_mirror_bytes(f->m, &fixed);
	printf("mirror: %zu entries, %.1f bytes/entry now, worst %.2f at %zu entries, %zu fixed bytes\n",
	       ctscope_mirror_count(f->m), (double)(bytes - fixed) / 400000.0, worst, worst_at, fixed);
	assert_true(worst <= 64.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(add_update_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(identity_is_tuple_and_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(random_walk_matches_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(wheel_bands_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(jump_makes_everything_due, setup, teardown),
		cmocka_unit_test_setup_teardown(memory_per_entry_within_budget, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
