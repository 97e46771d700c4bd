/* test_fuzz_regressions.c — replays every kept fuzz input and every seed
 * through both fuzz targets' own harnesses (tests/fuzz/parse_harness.h,
 * events_harness.h: each file through both, they are cheap), so
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

#include "../fuzz/events_harness.h"

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

/* Runs each file of tests/fuzz/SUB; returns how many ran. `check` returns
 * NULL or what is wrong; everything is freed before a failure is reported,
 * so the sanitized build's leak check stays about the code under test. */
static size_t replay_dir(const char *sub, const char *(*check)(const char *name, const struct harness_result *r))
{
	char dir[1024], path[2048], why[4096] = "";
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s", src_dir(), sub);
	struct dirent **names;
	int n = scandir(dir, &names, not_hidden, by_name);
	if (n < 0)
		fail_msg("cannot list %s: %s (run from the source tree or set CTSCOPE_SRC)", dir, strerror(errno));
	size_t ran = 0;
	for (int i = 0; i < n && !why[0]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		size_t len;
		uint8_t *data = read_file(path, &len);
		if (!data) {
			snprintf(why, sizeof(why), "cannot read %s: %s", path, strerror(errno));
		} else if (len > HARNESS_MAX_INPUT) {
			snprintf(why, sizeof(why), "%s is longer than a receive buffer (%d bytes)", path, HARNESS_MAX_INPUT);
		} else {
			fprintf(stderr, "replaying %s (%zu bytes)\n", path, len);
			struct harness_result r = harness_run(data, len);
			events_run(data, len);
			const char *wrong = check ? check(names[i]->d_name, &r) : NULL;
			if (wrong)
				snprintf(why, sizeof(why), "%s: %s", path, wrong);
			ran++;
		}
		free(data);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (why[0])
		fail_msg("%s", why);
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

static const char *check_seed(const char *name, const struct harness_result *r)
{
	static char why[1024];
	if (r->rc != 0) {
		snprintf(why, sizeof(why), "did not parse to NLMSG_DONE: rc %d, %s", r->rc, r->err.message);
		return why;
	}
	for (size_t i = 0; i < sizeof(seed_entries) / sizeof(seed_entries[0]); i++)
		if (strcmp(seed_entries[i].name, name) == 0) {
			if (r->entries == seed_entries[i].entries)
				return NULL;
			snprintf(why, sizeof(why), "%llu entries, recorded with %llu", (unsigned long long)r->entries,
			         (unsigned long long)seed_entries[i].entries);
			return why;
		}
	return "a seed without an expected entry count in seed_entries[]: record it with record-corpus.sh";
}

static void seeds_parse_whole(void **state)
{
	(void)state;
	assert_int_equal(replay_dir("corpus", check_seed), sizeof(seed_entries) / sizeof(seed_entries[0]));
}

static void event_seeds_replay_clean(void **state)
{
	(void)state;
	assert_true(replay_dir("corpus-events", NULL) >= 1);
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
		cmocka_unit_test(event_seeds_replay_clean),
		cmocka_unit_test(regressions_replay_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
