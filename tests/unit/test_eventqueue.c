/* test_eventqueue.c — the queue between the follower thread and the
 * mirror: events come out exactly in the order they went in, across chunk
 * boundaries and interleaved takes, whatever is taken while more is
 * pushed; counts and "full" follow; clear forgets everything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static struct ctscope_entry numbered(uint32_t i)
{
	struct ctscope_entry e;
	memset(&e, 0, sizeof(e));
	e.family = 2;
	e.id = i;
	memcpy(e.dst, &i, sizeof(i));
	return e;
}

/* Takes every chunk, checking that ids continue from *expect. */
static size_t take_all(struct ctscope_eventqueue *q, uint32_t *expect)
{
	size_t got = 0;
	const struct ctscope_queued_event *ev;
	size_t n;
	struct ctscope_eventchunk *c;
	while ((c = ctscope_eventqueue_take(q, &ev, &n))) {
		assert_true(n > 0);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(ev[i].entry.id, *expect);
			assert_int_equal(ev[i].destroy, *expect % 3 == 0);
			uint32_t dst;
			memcpy(&dst, ev[i].entry.dst, sizeof(dst));
			assert_int_equal(dst, *expect);
			(*expect)++;
		}
		got += n;
		ctscope_eventqueue_give_back(q, c);
	}
	return got;
}

static void order_kept_across_chunks_and_interleaving(void **state)
{
	(void)state;
	struct ctscope_eventqueue *q = ctscope_eventqueue_new(100000);
	assert_non_null(q);
	uint32_t pushed = 0, expect = 0;
	uint64_t rng = 7;
	for (int round = 0; round < 200; round++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		/* 0..3000 events: none, less than a chunk, several chunks */
		uint32_t k = (uint32_t)(rng >> 33) % 3001;
		for (uint32_t i = 0; i < k; i++, pushed++) {
			struct ctscope_entry e = numbered(pushed);
			assert_int_equal(ctscope_eventqueue_push(q, &e, pushed % 3 == 0), 0);
		}
		assert_int_equal(ctscope_eventqueue_count(q), pushed - expect);
		if (round % 2 == 0) {
			take_all(q, &expect);
		} else { /* take one chunk only, keep pushing behind it */
			const struct ctscope_queued_event *ev;
			size_t n;
			struct ctscope_eventchunk *c = ctscope_eventqueue_take(q, &ev, &n);
			if (c) {
				for (size_t i = 0; i < n; i++)
					assert_int_equal(ev[i].entry.id, expect++);
				ctscope_eventqueue_give_back(q, c);
			}
		}
		assert_int_equal(ctscope_eventqueue_count(q), pushed - expect);
	}
	take_all(q, &expect);
	assert_int_equal(expect, pushed);
	assert_int_equal(ctscope_eventqueue_count(q), 0);
	ctscope_eventqueue_free(q);
}

static void full_and_clear(void **state)
{
	(void)state;
	struct ctscope_eventqueue *q = ctscope_eventqueue_new(2500);
	assert_non_null(q);
	struct ctscope_entry e = numbered(1);
	for (int i = 0; i < 2499; i++)
		assert_int_equal(ctscope_eventqueue_push(q, &e, false), 0);
	assert_false(ctscope_eventqueue_full(q));
	assert_int_equal(ctscope_eventqueue_push(q, &e, false), 0);
	assert_true(ctscope_eventqueue_full(q));
	ctscope_eventqueue_clear(q);
	assert_int_equal(ctscope_eventqueue_count(q), 0);
	assert_false(ctscope_eventqueue_full(q));
	const struct ctscope_queued_event *ev;
	size_t n;
	assert_null(ctscope_eventqueue_take(q, &ev, &n));
	/* usable after a clear, in order from the first push on */
	uint32_t expect = 0;
	for (uint32_t i = 0; i < 1500; i++) {
		struct ctscope_entry x = numbered(i);
		assert_int_equal(ctscope_eventqueue_push(q, &x, i % 3 == 0), 0);
	}
	assert_int_equal(take_all(q, &expect), 1500);
	ctscope_eventqueue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order_kept_across_chunks_and_interleaving),
		cmocka_unit_test(full_and_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
