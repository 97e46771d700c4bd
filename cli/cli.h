/* cli.h — the pieces of the ctscope command that main.c glues together.
 * Kept apart from main.c so the unit tests link them without the collector:
 * nothing declared here reads the kernel, it only parses argv or formats a
 * struct ctscope_snapshot that someone else filled. */
#ifndef CTSCOPE_CLI_H
#define CTSCOPE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctscope.h"

/* ---- options (options.c) ----------------------------------------------- */

#define CLI_INTERVAL_MAX 86400u     /* one day; longer is a cron job */
#define CLI_COUNT_MAX 1000000000u

struct cli_options {
	enum ctscope_mode mode;
	unsigned top_n;
	enum ctscope_dump_split dump_split;
	const char **netns; /* points into argv; n_netns == 0: own namespace */
	size_t n_netns;
	unsigned interval_s; /* 0: one report and exit */
	unsigned count;      /* 0: with an interval, until interrupted */
	bool json;
};

enum cli_parse_result {
	CLI_PARSE_RUN,
	CLI_PARSE_HELP,
	CLI_PARSE_VERSION,
	CLI_PARSE_USAGE,   /* bad command line: exit 2, `why` says what */
	CLI_PARSE_FAILURE, /* out of memory: exit 1, `why` says what */
};

/* Parses argv into *o (which needs cli_options_free afterwards, whatever
 * the result). On CLI_PARSE_USAGE / CLI_PARSE_FAILURE, `why` holds one
 * sentence without the "ctscope: " prefix. Uses getopt_long, so it resets
 * optind itself and may permute nothing (argv is left as it is). */
enum cli_parse_result cli_options_parse(int argc, char *argv[], struct cli_options *o, char *why, size_t why_len);
void cli_options_free(struct cli_options *o);

/* Strict unsigned parse: digits only, no sign, no blanks, no trailing
 * garbage, min <= value <= max. 0 on success, -1 otherwise. */
int cli_parse_unsigned(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* The full --help text, and the two-line reminder printed after a usage error. */
void cli_usage_full(FILE *out);
void cli_usage_short(FILE *out);

/* ---- JSON emitter (jsonw.c) ---------------------------------------------- */

#define JSONW_MAX_DEPTH 16

/* Tracks commas and nesting so callers only say what comes next. Misuse
 * (a value where a key is needed, nesting too deep, unbalanced ends) sets
 * `misuse` instead of writing broken JSON silently; tests check it. */
struct jsonw {
	FILE *out;
	unsigned depth;
	bool in_object[JSONW_MAX_DEPTH + 1];
	bool has_items[JSONW_MAX_DEPTH + 1];
	bool after_key;
	bool misuse;
};

void jsonw_init(struct jsonw *w, FILE *out);
void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_uint(struct jsonw *w, uint64_t v);
/* A fixed-point number; null when not finite (JSON has no NaN). */
void jsonw_fixed(struct jsonw *w, double v, int decimals);
void jsonw_null(struct jsonw *w);
/* Writes `s` as a JSON string body: quotes, backslash and control bytes
 * escaped, valid UTF-8 passed through, invalid bytes as U+FFFD. */
void jsonw_escape(FILE *out, const char *s);

/* ---- the snapshot as one JSON line (json.c) ---------------------------- */

/* One object, keys exactly as DESIGN.md names them, then '\n'.
 * Returns 0, or -1 when the stream reports an error. */
int cli_json_snapshot(FILE *out, const struct ctscope_snapshot *snap);

/* ---- the human report (report.c, wrap.c) ------------------------------- */

#define CLI_REPORT_WIDTH 80

/* The whole report for one namespace, every line at most 80 columns.
 * `prev`: the same namespace's previous report in this run, or NULL; with
 * it the entry count and each top destination show their change, and the
 * kernel counters their rate per second.
 * Returns 0, or -1 when the stream reports an error. */
int cli_report_snapshot(FILE *out, const struct ctscope_snapshot *snap, const struct ctscope_snapshot *prev);

/* ---- the redrawn terminal screen (live.c) ------------------------------ */

/* Clears the terminal and draws `screen` (len bytes of report text) from
 * the top, keeping to `rows` lines (0: unknown, draw all). When the report
 * is longer, its first rows-2 lines are drawn and a last line says how many
 * were left out. Returns 0, or -1 when the stream reports an error. */
int cli_live_draw(FILE *out, const char *screen, size_t len, unsigned rows);

/* "5d", "2m", "1h30m", "45s": a duration in seconds as a person reads it. */
void cli_format_duration(uint64_t seconds, char *buf, size_t len);

/* A label followed by items separated by two blanks, wrapped at `width`
 * with continuation lines indented under the first item. */
struct cli_wrap {
	FILE *out;
	size_t width;
	size_t indent;
	size_t col;
	bool empty; /* no item on this line yet */
};

void cli_wrap_begin(struct cli_wrap *w, FILE *out, size_t width, const char *label, size_t label_width);
void cli_wrap_item(struct cli_wrap *w, const char *item);
void cli_wrap_end(struct cli_wrap *w);

/* Word-wraps `text` to `width` columns: `first` before the first line,
 * `rest` (blanks) before the others. Words longer than a line are split,
 * never cut. */
void cli_wrap_text(FILE *out, size_t width, const char *first, const char *rest, const char *text);

#endif
