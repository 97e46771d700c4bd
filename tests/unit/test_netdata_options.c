/* test_netdata_options.c — ctscope.plugin's command line as netdata builds
 * it: "ctscope.plugin UPDATE_EVERY <command options>", and the one sentence
 * error.log shows for each mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

#define ARGV(...) ((char *[]){"ctscope.plugin", __VA_ARGS__, NULL})

static enum nd_parse_result parse(int argc, char **argv, struct nd_options *o, char *why, size_t len)
{
	return nd_options_parse(argc, argv, o, why, len);
}

static void test_netdata_defaults(void **state)
{
	(void)state;
	char *argv[] = {"ctscope.plugin", "1", NULL};
	struct nd_options o;
	char why[256];
	assert_int_equal(parse(2, argv, &o, why, sizeof(why)), ND_PARSE_RUN);
	assert_int_equal(o.update_every, 1);
	assert_int_equal(o.mode, CTSCOPE_MODE_DUMP);
	assert_int_equal(o.top_n, CTSCOPE_TOP_DEFAULT);
	assert_int_equal(o.dump_split, CTSCOPE_DUMP_SPLIT_AUTO);
	assert_int_equal(o.n_netns, 0);

	/* Run by hand without netdata's argument: one second. */
	char *bare[] = {"ctscope.plugin", NULL};
	assert_int_equal(parse(1, bare, &o, why, sizeof(why)), ND_PARSE_RUN);
	assert_int_equal(o.update_every, 1);
}

static void test_command_options(void **state)
{
	(void)state;
	char **argv = ARGV("5", "--mode", "events", "--netns", "blue", "--netns=/proc/1/ns/net", "--top=25",
	                   "--netns", "pid:42");
	struct nd_options o;
	char why[256];
	assert_int_equal(parse(10, argv, &o, why, sizeof(why)), ND_PARSE_RUN);
	assert_int_equal(o.update_every, 5);
	assert_int_equal(o.mode, CTSCOPE_MODE_EVENTS);
	assert_int_equal(o.top_n, 25);
	assert_int_equal(o.n_netns, 3);
	assert_string_equal(o.netns[0], "blue");
	assert_string_equal(o.netns[1], "/proc/1/ns/net");
	assert_string_equal(o.netns[2], "pid:42");

	char **stats = ARGV("2", "--mode=stats", "--dump-split", "none");
	assert_int_equal(parse(5, stats, &o, why, sizeof(why)), ND_PARSE_RUN);
	assert_int_equal(o.mode, CTSCOPE_MODE_STATS);
	assert_int_equal(o.dump_split, CTSCOPE_DUMP_SPLIT_NONE);
	char **split = ARGV("2", "--dump-split=assured");
	assert_int_equal(parse(3, split, &o, why, sizeof(why)), ND_PARSE_RUN);
	assert_int_equal(o.dump_split, CTSCOPE_DUMP_SPLIT_ASSURED);
}

struct bad_case {
	char *args[6];
	const char *why;
};

static void test_mistakes_are_named(void **state)
{
	(void)state;
	const struct bad_case cases[] = {
		{{"1", "--mode", "full"}, "unknown mode 'full' for --mode: use stats, dump or events"},
		{{"1", "--top", "0"}, "invalid --top '0': give a whole number from 1 to 1000"},
		{{"1", "--dump-split", "odd"}, "unknown --dump-split 'odd': use auto, none, family, assured or seen_reply"},
		{{"1", "--dump-split"}, "option --dump-split needs a value"},
		{{"1", "--top", "1001"}, "invalid --top '1001': give a whole number from 1 to 1000"},
		{{"1", "--top=-3"}, "invalid --top '-3': give a whole number from 1 to 1000"},
		{{"1", "--netns"}, "option --netns needs a value"},
		{{"1", "--netns="}, "empty --netns: give a name from 'ip netns list', a path or pid:N"},
		{{"1", "--netns", "a", "--netns", "a"}, "--netns 'a' given twice: each namespace once"},
		{{"1", "--interval", "5"}, "unknown option '--interval': ctscope.plugin takes --mode, --netns, --top and --dump-split"},
		{{"1", "--modes=dump"}, "unknown option '--modes=dump': ctscope.plugin takes --mode, --netns, --top and --dump-split"},
		{{"0"}, "invalid update interval '0': netdata passes whole seconds from 1 to 86400 ('update every' in "
		        "[plugin:ctscope])"},
		{{"1", "2"}, "unexpected argument '2': after the update interval only --mode, --netns, --top, --dump-split"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8] = {"ctscope.plugin"};
		int argc = 1;
		for (int k = 0; k < 6 && cases[i].args[k]; k++)
			argv[argc++] = cases[i].args[k];
		struct nd_options o;
		char why[256];
		assert_int_equal(parse(argc, argv, &o, why, sizeof(why)), ND_PARSE_USAGE);
		assert_string_equal(why, cases[i].why);
	}
}

static void test_too_many_namespaces(void **state)
{
	(void)state;
	char *argv[2 + 2 * (ND_NETNS_MAX + 1)];
	char names[ND_NETNS_MAX + 1][16];
	int argc = 0;
	argv[argc++] = "ctscope.plugin";
	argv[argc++] = "1";
	for (int i = 0; i <= ND_NETNS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "ns%d", i);
		argv[argc++] = "--netns";
		argv[argc++] = names[i];
	}
	struct nd_options o;
	char why[256];
	assert_int_equal(parse(argc - 2, argv, &o, why, sizeof(why)), ND_PARSE_RUN);
	assert_int_equal(o.n_netns, ND_NETNS_MAX);
	assert_int_equal(parse(argc, argv, &o, why, sizeof(why)), ND_PARSE_USAGE);
	assert_string_equal(why, "more than 64 --netns: run a second plugin copy for the rest");
}

static void test_help_and_version(void **state)
{
	(void)state;
	struct nd_options o;
	char why[256];
	char **help = ARGV("1", "--help");
	assert_int_equal(parse(3, help, &o, why, sizeof(why)), ND_PARSE_HELP);
	char **version = ARGV("-V");
	assert_int_equal(parse(2, version, &o, why, sizeof(why)), ND_PARSE_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netdata_defaults),    cmocka_unit_test(test_command_options),
		cmocka_unit_test(test_mistakes_are_named),  cmocka_unit_test(test_too_many_namespaces),
		cmocka_unit_test(test_help_and_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
