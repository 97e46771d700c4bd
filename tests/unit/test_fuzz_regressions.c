/* test_fuzz_regressions.c — replays every kept fuzz input and every seed
 * through the fuzz target's own harness (tests/fuzz/parse_harness.h), so
 * `make check` (and its sanitized build) fails when a fixed finding comes
 * back. A broken invariant aborts, a memory error crashes or is reported
 * by the sanitizer build: either way this binary fails, naming the file
 * on stderr just before.
 *
 * Seeds are real kernel dumps (tests/fuzz/record-corpus.sh): besides not
 * crashing, each must parse to its end with the entries ctrecord counted. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../fuzz/parse_harness.h"

static const char *src_dir(void)
{
	const char *d = getenv("CTSCOPE_SRC");
	return d && *d ? d : ".";
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = malloc(HARNESS_MAX_INPUT + 1);
	size_t n = buf ? fread(buf, 1, HARNESS_MAX_INPUT + 1, f) : 0;
	fclose(f);
	*len = n;
	return buf;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Runs each file of DIR; returns how many ran. */
static size_t replay_dir(const char *sub, void (*check)(const char *name, const struct harness_result *r))
{
	char dir[4096], path[8192];
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s", src_dir(), sub);
	struct dirent **names;
	int n = scandir(dir, &names, not_hidden, by_name);
	if (n < 0)
		fail_msg("cannot list %s: %s (run from the source tree or set CTSCOPE_SRC)", dir, strerror(errno));
	size_t ran = 0;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		size_t len;
		uint8_t *data = read_file(path, &len);
		if (!data)
			fail_msg("cannot read %s: %s", path, strerror(errno));
		assert_true(len <= HARNESS_MAX_INPUT); /* bigger never reaches the parser */
		fprintf(stderr, "replaying %s (%zu bytes)\n", path, len);
		struct harness_result r = harness_run(data, len);
		if (check)
			check(names[i]->d_name, &r);
		free(data);
		free(names[i]);
		ran++;
	}
	free(names);
	return ran;
}

/* What ctrecord printed when each seed was recorded. */
static const struct {
	const char *name;
	uint64_t entries;
} seed_entries[] = {
	{ "empty.bin", 0 }, { "tcp4.bin", 1 },   { "tcp6.bin", 1 }, { "udp6.bin", 1 },
	{ "icmp.bin", 1 },  { "icmpv6.bin", 1 }, { "gre.bin", 1 },  { "sctp.bin", 1 },
	{ "nat.bin", 1 },   { "zone.bin", 1 },   { "mix.bin", 27 }, { "traffic.bin", 4 },
};

static void check_seed(const char *name, const struct harness_result *r)
{
	if (r->rc != 0)
		fail_msg("seed %s did not parse to NLMSG_DONE: rc %d, %s", name, r->rc, r->err.message);
	for (size_t i = 0; i < sizeof(seed_entries) / sizeof(seed_entries[0]); i++)
		if (strcmp(seed_entries[i].name, name) == 0) {
			if (r->entries != seed_entries[i].entries)
				fail_msg("seed %s: %llu entries, recorded with %llu", name,
				         (unsigned long long)r->entries, (unsigned long long)seed_entries[i].entries);
			return;
		}
	fail_msg("seed %s has no expected entry count in %s", name, __FILE__);
}

static void seeds_parse_whole(void **state)
{
	(void)state;
	assert_int_equal(replay_dir("corpus", check_seed), sizeof(seed_entries) / sizeof(seed_entries[0]));
}

static void regressions_replay_clean(void **state)
{
	(void)state;
	/* At least the first finding is kept; an empty directory would make
	 * this test pass without replaying anything. */
	assert_true(replay_dir("regressions", NULL) >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seeds_parse_whole),
		cmocka_unit_test(regressions_replay_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
