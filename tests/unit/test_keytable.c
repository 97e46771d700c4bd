/* test_keytable.c — the exact per-key counts behind the top lists, checked
 * against a plain array under random adds and removes (removal with
 * backward shifting is where open addressing goes wrong). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

#define KEYS 5000

static uint32_t next_random(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static void matches_reference_under_churn(void **state)
{
	(void)state;
	struct ctscope_keytable t;
	ctscope_keytable_init(&t, 8);
	static int32_t ref[KEYS];
	memset(ref, 0, sizeof(ref));
	uint64_t rng = 42;
	for (int step = 0; step < 400000; step++) {
		uint32_t k = next_random(&rng) % KEYS;
		/* keys that collide in their low bits stress the probe runs */
		uint32_t key[2] = { k * 4096u, k };
		bool add = ref[k] == 0 || next_random(&rng) % 3 != 0;
		assert_int_equal(ctscope_keytable_add(&t, key, add ? 1 : -1), 0);
		ref[k] += add ? 1 : -1;
	}
	size_t live = 0;
	for (int k = 0; k < KEYS; k++)
		live += ref[k] > 0;
	assert_int_equal(t.used, live);

	struct ctscope_keycount top[KEYS];
	size_t n = ctscope_keytable_top(&t, top, KEYS);
	assert_int_equal(n, live);
	for (size_t i = 0; i < n; i++) {
		uint32_t key[2];
		memcpy(key, top[i].key, sizeof(key));
		assert_int_equal(top[i].count, ref[key[1]]);
		assert_int_equal(ctscope_keytable_get(&t, key), ref[key[1]]);
		if (i)
			assert_true(top[i - 1].count >= top[i].count);
	}
	/* and a short top list is the head of the long one */
	struct ctscope_keycount head[10];
	assert_int_equal(ctscope_keytable_top(&t, head, 10), 10);
	for (int i = 0; i < 10; i++)
		assert_ptr_equal(head[i].key, top[i].key);
	ctscope_keytable_free(&t);
}

static void removing_unknown_key_changes_nothing(void **state)
{
	(void)state;
	struct ctscope_keytable t;
	ctscope_keytable_init(&t, 4);
	uint32_t a = 1, b = 2;
	assert_int_equal(ctscope_keytable_add(&t, &b, -1), 0); /* empty table */
	assert_int_equal(ctscope_keytable_add(&t, &a, 1), 0);
	assert_int_equal(ctscope_keytable_add(&t, &b, -1), 0);
	assert_int_equal(t.used, 1);
	struct ctscope_keycount top[2];
	assert_int_equal(ctscope_keytable_top(&t, top, 2), 1);
	assert_int_equal(top[0].count, 1);
	ctscope_keytable_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(matches_reference_under_churn),
		cmocka_unit_test(removing_unknown_key_changes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
