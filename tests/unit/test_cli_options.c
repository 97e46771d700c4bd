/* test_cli_options.c — command lines in, struct cli_options or a usage
 * error (exit 2) with its reason out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/cli.h"

#define MAX_ARGS 20

/* getopt_long wants a mutable argv; build one from literals. */
struct argv_buf {
	char words[MAX_ARGS][64];
	char *argv[MAX_ARGS + 1];
	int argc;
};

static void make_argv(struct argv_buf *b, const char *const *words)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->words[0], sizeof(b->words[0]), "ctscope");
	b->argv[0] = b->words[0];
	b->argc = 1;
	for (size_t i = 0; words[i]; i++) {
		assert_true(b->argc < MAX_ARGS);
		snprintf(b->words[b->argc], sizeof(b->words[0]), "%s", words[i]);
		b->argv[b->argc] = b->words[b->argc];
		b->argc++;
	}
	b->argv[b->argc] = NULL;
}

static enum cli_parse_result parse(const char *const *words, struct cli_options *o, char *why, size_t len)
{
	struct argv_buf b;
	make_argv(&b, words);
	return cli_options_parse(b.argc, b.argv, o, why, len);
}

static void test_defaults(void **state)
{
	(void)state;
	struct cli_options o;
	char why[256];
	const char *words[] = {NULL};
	assert_int_equal(parse(words, &o, why, sizeof(why)), CLI_PARSE_RUN);
	assert_int_equal(o.mode, CTSCOPE_MODE_DUMP);
	assert_int_equal(o.top_n, 10);
	assert_int_equal(o.n_netns, 0);
	assert_int_equal(o.interval_s, 0);
	assert_int_equal(o.count, 0);
	assert_false(o.json);
	assert_int_equal(o.dump_split, CTSCOPE_DUMP_SPLIT_AUTO);
	cli_options_free(&o);
}

static void test_everything_given(void **state)
{
	(void)state;
	struct cli_options o;
	char why[256];
	const char *words[] = {"--mode",     "events", "--netns", "blue",   "--netns=/proc/1/ns/net",
	                       "--netns",    "pid:42", "--top",   "1000",   "--interval",
	                       "5",          "--count", "3",      "--json", "--dump-split", "seen_reply", NULL};
	/* Own argv storage: the parsed netns pointers point into it. */
	struct argv_buf b;
	make_argv(&b, words);
	assert_int_equal(cli_options_parse(b.argc, b.argv, &o, why, sizeof(why)), CLI_PARSE_RUN);
	assert_int_equal(o.mode, CTSCOPE_MODE_EVENTS);
	assert_int_equal(o.top_n, 1000);
	assert_int_equal(o.interval_s, 5);
	assert_int_equal(o.count, 3);
	assert_true(o.json);
	assert_int_equal(o.dump_split, CTSCOPE_DUMP_SPLIT_SEEN_REPLY);
	assert_int_equal(o.n_netns, 3);
	assert_string_equal(o.netns[0], "blue");
	assert_string_equal(o.netns[1], "/proc/1/ns/net");
	assert_string_equal(o.netns[2], "pid:42");
	cli_options_free(&o);
}

static void test_interval_alone_runs_forever(void **state)
{
	(void)state;
	struct cli_options o;
	char why[256];
	const char *words[] = {"--interval", "1", "--mode", "stats", "--top", "1", NULL};
	assert_int_equal(parse(words, &o, why, sizeof(why)), CLI_PARSE_RUN);
	assert_int_equal(o.interval_s, 1);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.mode, CTSCOPE_MODE_STATS);
	assert_int_equal(o.top_n, 1);
	cli_options_free(&o);
}

static void test_help_and_version(void **state)
{
	(void)state;
	struct cli_options o;
	char why[256];
	const char *help[] = {"--json", "--help", NULL};
	assert_int_equal(parse(help, &o, why, sizeof(why)), CLI_PARSE_HELP);
	cli_options_free(&o);
	const char *h[] = {"-h", NULL};
	assert_int_equal(parse(h, &o, why, sizeof(why)), CLI_PARSE_HELP);
	cli_options_free(&o);
	const char *version[] = {"--version", NULL};
	assert_int_equal(parse(version, &o, why, sizeof(why)), CLI_PARSE_VERSION);
	cli_options_free(&o);
}

/* Each bad command line, and a word its reason must contain. */
static const struct {
	const char *words[6];
	const char *reason;
} bad_lines[] = {
	{{"--bogus", NULL}, "unknown option '--bogus'"},
	{{"-x", NULL}, "unknown option '-x'"},
	{{"--top", "-1", NULL}, "invalid --top '-1'"},
	{{"--dump-split", "halves", NULL}, "unknown --dump-split 'halves': use auto, none"},
	{{"--dump-split", "", NULL}, "unknown --dump-split ''"},
	{{"--dump-split", NULL}, "--dump-split"},
	{{"--top", "0", NULL}, "invalid --top '0'"},
	{{"--top", "abc", NULL}, "invalid --top 'abc'"},
	{{"--top", "1001", NULL}, "1 to 1000"},
	{{"--top", "10x", NULL}, "invalid --top '10x'"},
	{{"--top", " 10", NULL}, "invalid --top ' 10'"},
	{{"--top", "+10", NULL}, "invalid --top '+10'"},
	{{"--top", "", NULL}, "invalid --top ''"},
	{{"--top", "99999999999999999999999", NULL}, "invalid --top"},
	{{"--top", NULL}, "option --top needs a value"},
	{{"--interval", "0", NULL}, "invalid --interval '0'"},
	{{"--interval", "1.5", NULL}, "invalid --interval '1.5'"},
	{{"--interval", "86401", NULL}, "invalid --interval"},
	{{"--interval", "5", "--count", "0", NULL}, "invalid --count '0'"},
	{{"--interval", "5", "--count", "3s", NULL}, "invalid --count '3s'"},
	{{"--count", "3", NULL}, "--count needs --interval"},
	{{"--mode", "sideways", NULL}, "unknown mode 'sideways'"},
	{{"--mode", "", NULL}, "unknown mode ''"},
	{{"--mode", NULL}, "option --mode needs a value"},
	{{"--json=yes", NULL}, "option --json takes no value"},
	{{"--netns", "", NULL}, "empty --netns"},
	{{"--netns", "blue", "--netns", "blue", NULL}, "'blue' given twice"},
	{{"report", NULL}, "unexpected argument 'report'"},
	{{"--json", "--", "extra", NULL}, "unexpected argument 'extra'"},
};

static void test_usage_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		struct cli_options o;
		char why[256] = "";
		enum cli_parse_result r = parse(bad_lines[i].words, &o, why, sizeof(why));
		if (r != CLI_PARSE_USAGE)
			fail_msg("case %zu (%s ...): result %d, want a usage error", i, bad_lines[i].words[0], (int)r);
		if (!strstr(why, bad_lines[i].reason))
			fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, why, bad_lines[i].reason);
		cli_options_free(&o);
	}
}

/* Parsing twice in one process must not inherit getopt's state. */
static void test_parse_twice(void **state)
{
	(void)state;
	struct cli_options o;
	char why[256];
	const char *bad[] = {"--top", "0", NULL};
	assert_int_equal(parse(bad, &o, why, sizeof(why)), CLI_PARSE_USAGE);
	cli_options_free(&o);
	const char *good[] = {"--top", "7", NULL};
	assert_int_equal(parse(good, &o, why, sizeof(why)), CLI_PARSE_RUN);
	assert_int_equal(o.top_n, 7);
	cli_options_free(&o);
}

static void test_parse_unsigned(void **state)
{
	(void)state;
	unsigned long v = 0;
	assert_int_equal(cli_parse_unsigned("42", 1, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(cli_parse_unsigned("100", 1, 100, &v), 0);
	assert_int_equal(cli_parse_unsigned("101", 1, 100, &v), -1);
	assert_int_equal(cli_parse_unsigned("0", 1, 100, &v), -1);
	assert_int_equal(cli_parse_unsigned("-5", 0, 100, &v), -1);
	assert_int_equal(cli_parse_unsigned("5 ", 0, 100, &v), -1);
	assert_int_equal(cli_parse_unsigned("0x10", 0, 100, &v), -1);
	assert_int_equal(cli_parse_unsigned(NULL, 0, 100, &v), -1);
	assert_int_equal(v, 100); /* failures leave the output alone */
}

static void test_usage_texts(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	cli_usage_full(f);
	fclose(f);
	const char *must[] = {"--mode", "--netns", "--top", "--interval", "--count", "--json", "--help", "--version",
	                      "JSON lines", "Exit status"};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (!strstr(buf, must[i]))
			fail_msg("--help does not mention %s", must[i]);
	for (char *line = buf; *line;) {
		char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		if (l > 80)
			fail_msg("--help line longer than 80 columns: %.*s", (int)l, line);
		line += l + (nl ? 1 : 0);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_everything_given),
		cmocka_unit_test(test_interval_alone_runs_forever),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_parse_twice),
		cmocka_unit_test(test_parse_unsigned),
		cmocka_unit_test(test_usage_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
