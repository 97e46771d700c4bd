/* test_cli_live.c — the redrawn screen keeps the top of the report and says
 * how much of the bottom did not fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/cli.h"

static const char clear_screen[] = "\033[H\033[2J";

static char *draw(const char *screen, unsigned rows)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(cli_live_draw(f, screen, strlen(screen), rows), 0);
	assert_int_equal(fclose(f), 0);
	assert_memory_equal(buf, clear_screen, strlen(clear_screen));
	return buf;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static char *numbered_lines(size_t n)
{
	char *s = calloc(n, 16);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		sprintf(s + strlen(s), "line %zu\n", i + 1);
	return s;
}

static void test_fits(void **state)
{
	(void)state;
	char *screen = numbered_lines(9);
	/* 0: height unknown; 10: nine lines and the free last row; 1: too
	 * small to clip sensibly, drawn whole. */
	const unsigned rows[] = {0, 1, 10, 40};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *out = draw(screen, rows[i]);
		assert_string_equal(out + strlen(clear_screen), screen);
		free(out);
	}
	free(screen);
}

static void test_clipped_with_notice(void **state)
{
	(void)state;
	char *screen = numbered_lines(30);
	char *out = draw(screen, 10);
	const char *text = out + strlen(clear_screen);
	assert_int_equal(count_lines(text), 9); /* the last row stays free */
	assert_non_null(strstr(text, "line 1\n"));
	assert_non_null(strstr(text, "line 8\n"));
	assert_null(strstr(text, "line 9\n"));
	assert_non_null(strstr(text, "... 22 more lines"));
	free(out);

	/* Exactly one line too many: still says so. */
	out = draw(screen, 30);
	text = out + strlen(clear_screen);
	assert_int_equal(count_lines(text), 29);
	assert_non_null(strstr(text, "line 28\n... 2 more lines"));
	free(out);
	free(screen);
}

static void test_last_line_without_newline(void **state)
{
	(void)state;
	char *out = draw("a\nb\nc", 3);
	const char *text = out + strlen(clear_screen);
	assert_string_equal(text, "a\n... 2 more lines: enlarge the terminal, or use --top or --mode stats\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_clipped_with_notice),
		cmocka_unit_test(test_last_line_without_newline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
