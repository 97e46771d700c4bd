/* fuzz_options.c — libFuzzer target over what a user types or writes:
 * the ctscope command line (cli/options.c), ctscope.plugin's command line
 * (netdata-plugin/options.c) and a <Plugin ctscope> block of collectd.conf
 * (collectd-plugin/options.c), the first byte choosing which; a fourth
 * choice runs the rest through the JSON string escaper (cli/jsonw.c) that
 * writes namespace names, which are bytes, not text.
 *
 *   argv:      the rest split at NUL bytes into words after "ctscope"
 *   collectd:  the rest as lines "Key<TAB>value<TAB>value..."; a value
 *              starting with '#' is a number (strtod of what follows), with
 *              '?' a boolean, anything else a string; a line starting with
 *              a blank is a child of the line before
 *
 * Must hold for any input: a refusal always says why (and collectd's
 * report count is the problem count), and whatever is accepted is in its
 * documented range, with namespace labels safe for chart and file names;
 * an escaped string is a valid JSON string body of valid UTF-8.
 */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/cli.h"
#include "../../collectd-plugin/options.h"
#include "../../netdata-plugin/options.h"
#include "parse_harness.h"

#define MAX_WORDS 64
#define MAX_ITEMS 64

/* Words of the input after the selector byte; word storage is one copy. */
struct words {
	char *buf;
	char *argv[MAX_WORDS + 2];
	int argc;
};

static void split_words(const uint8_t *data, size_t size, struct words *w)
{
	w->buf = malloc(size + 1);
	HARNESS_CHECK(w->buf != NULL);
	memcpy(w->buf, data, size);
	w->buf[size] = '\0';
	w->argv[0] = "ctscope";
	w->argc = 1;
	for (size_t i = 0; i <= size && w->argc <= MAX_WORDS;) {
		w->argv[w->argc++] = w->buf + i;
		i += strlen(w->buf + i) + 1;
	}
	w->argv[w->argc] = NULL;
}

/* p points into one of the words ("--netns=X" gives a pointer past '='). */
static bool owned_by(const char *p, const struct words *w)
{
	for (int i = 1; i < w->argc; i++)
		if (p >= w->argv[i] && p <= w->argv[i] + strlen(w->argv[i]))
			return true;
	return false;
}

static void check_label(const char *spec)
{
	char label[64];
	struct ctscope_error err = { 0 };
	if (ctscope_netns_label(spec, label, sizeof(label), &err) != 0) {
		HARNESS_CHECK(err.message[0] != '\0');
		return;
	}
	HARNESS_CHECK(memchr(label, '\0', sizeof(label)) != NULL);
	for (const char *c = label; *c; c++)
		HARNESS_CHECK(isalnum((unsigned char)*c) || *c == '_' || *c == '-');
}

static void fuzz_cli(const uint8_t *data, size_t size)
{
	struct words w;
	split_words(data, size, &w);
	struct cli_options o;
	char why[512];
	enum cli_parse_result r = cli_options_parse(w.argc, w.argv, &o, why, sizeof(why));
	HARNESS_CHECK(r >= CLI_PARSE_RUN && r <= CLI_PARSE_FAILURE);
	if (r == CLI_PARSE_USAGE || r == CLI_PARSE_FAILURE)
		HARNESS_CHECK(why[0] != '\0' && memchr(why, '\0', sizeof(why)) != NULL);
	if (r == CLI_PARSE_RUN) {
		HARNESS_CHECK(o.top_n >= 1 && o.top_n <= CTSCOPE_TOP_MAX);
		HARNESS_CHECK(o.interval_s <= CLI_INTERVAL_MAX && o.count <= CLI_COUNT_MAX);
		HARNESS_CHECK(o.count == 0 || o.interval_s > 0);
		HARNESS_CHECK(ctscope_mode_name(o.mode) != NULL);
		HARNESS_CHECK(o.n_netns < (size_t)w.argc);
		for (size_t i = 0; i < o.n_netns; i++) {
			HARNESS_CHECK(o.netns[i][0] != '\0' && owned_by(o.netns[i], &w));
			for (size_t k = 0; k < i; k++)
				HARNESS_CHECK(strcmp(o.netns[i], o.netns[k]) != 0);
			check_label(o.netns[i]);
		}
	}
	cli_options_free(&o);
	free(w.buf);
}

static void fuzz_netdata(const uint8_t *data, size_t size)
{
	struct words w;
	split_words(data, size, &w);
	w.argv[0] = "ctscope.plugin";
	struct nd_options o;
	char why[512];
	enum nd_parse_result r = nd_options_parse(w.argc, w.argv, &o, why, sizeof(why));
	HARNESS_CHECK(r >= ND_PARSE_RUN && r <= ND_PARSE_USAGE);
	if (r == ND_PARSE_USAGE)
		HARNESS_CHECK(why[0] != '\0' && memchr(why, '\0', sizeof(why)) != NULL);
	if (r == ND_PARSE_RUN) {
		HARNESS_CHECK(o.update_every >= 1 && o.update_every <= ND_UPDATE_EVERY_MAX);
		HARNESS_CHECK(o.top_n >= 1 && o.top_n <= CTSCOPE_TOP_MAX);
		HARNESS_CHECK(ctscope_mode_name(o.mode) != NULL && o.n_netns <= ND_NETNS_MAX);
		for (size_t i = 0; i < o.n_netns; i++) {
			HARNESS_CHECK(owned_by(o.netns[i], &w));
			check_label(o.netns[i]);
		}
	}
	free(w.buf);
}

/* ---- collectd: a config block from lines ---- */

struct block {
	oconfig_item_t root;
	oconfig_item_t items[MAX_ITEMS], children[MAX_ITEMS];
	oconfig_value_t values[2 * MAX_ITEMS][4];
	size_t n_values;
};

static void parse_line(struct block *b, oconfig_item_t *it, char *line)
{
	char *save = NULL, *tok = strtok_r(line, "\t", &save);
	it->key = tok ? tok : line;
	it->values = b->values[b->n_values++];
	it->values_num = 0;
	while ((tok = strtok_r(NULL, "\t", &save)) && it->values_num < 4) {
		oconfig_value_t *v = &it->values[it->values_num++];
		if (tok[0] == '#') {
			v->type = OCONFIG_TYPE_NUMBER;
			v->value.number = strtod(tok + 1, NULL);
		} else if (tok[0] == '?') {
			v->type = OCONFIG_TYPE_BOOLEAN;
			v->value.boolean = tok[1] != '\0';
		} else {
			v->type = OCONFIG_TYPE_STRING;
			v->value.string = tok;
		}
	}
}

struct reports {
	unsigned n;
};

static void count_report(const char *message, void *ctx)
{
	struct reports *r = ctx;
	HARNESS_CHECK(message && message[0] != '\0');
	r->n++;
}

static void fuzz_collectd(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	HARNESS_CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	struct block *b = calloc(1, sizeof(*b));
	HARNESS_CHECK(b != NULL);
	b->root.key = "Plugin";
	b->root.children = b->items;
	oconfig_item_t *last = NULL;
	size_t n_children = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == ' ' && last && n_children < MAX_ITEMS) {
			oconfig_item_t *c = &b->children[n_children++];
			parse_line(b, c, line + 1);
			c->parent = last;
			if (!last->children)
				last->children = c;
			if (last->children + last->children_num == c)
				last->children_num++;
		} else if (line[0] != ' ' && b->root.children_num < MAX_ITEMS) {
			last = &b->items[b->root.children_num++];
			parse_line(b, last, line);
			last->parent = &b->root;
		}
	}

	struct ctscope_cd_config cfg;
	ctscope_cd_config_init(&cfg);
	struct reports rep = { 0 };
	unsigned problems = ctscope_cd_config_apply(&cfg, &b->root, count_report, &rep);
	HARNESS_CHECK(problems == rep.n && cfg.errors == problems);
	if (problems == 0) {
		HARNESS_CHECK(cfg.core.top_n >= 1 && cfg.core.top_n <= CTSCOPE_TOP_MAX);
		HARNESS_CHECK(ctscope_mode_name(cfg.core.mode) != NULL);
		HARNESS_CHECK(isfinite(cfg.interval_s) && cfg.interval_s >= 0);
		HARNESS_CHECK(cfg.n_netns <= CTSCOPE_CD_NETNS_MAX);
		for (size_t i = 0; i < cfg.n_netns; i++)
			for (const char *c = cfg.netns[i].label; *c; c++)
				HARNESS_CHECK(isalnum((unsigned char)*c) || *c == '_' || *c == '-');
	}
	ctscope_cd_config_free(&cfg);
	free(b);
	free(text);
}

/* ---- JSON: checked by an independent reading of RFC 8259 and RFC 3629 ---- */

static size_t valid_utf8(const unsigned char *p, size_t left)
{
	unsigned c = p[0];
	size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (c < 0xc2 || c > 0xf4 || left < n)
		return 0;
	uint32_t cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void fuzz_json(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), *out = NULL;
	size_t len = 0;
	HARNESS_CHECK(in != NULL);
	memcpy(in, data, size);
	in[size] = '\0';
	FILE *f = open_memstream(&out, &len);
	HARNESS_CHECK(f != NULL);
	jsonw_escape(f, in);
	HARNESS_CHECK(fclose(f) == 0);
	const unsigned char *p = (const unsigned char *)out;
	for (size_t i = 0; i < len;) {
		if (p[i] == '\\') {
			HARNESS_CHECK(i + 1 < len && p[i + 1] && strchr("\"\\/bfnrtu", p[i + 1]) != NULL);
			if (p[i + 1] == 'u') {
				HARNESS_CHECK(i + 6 <= len);
				for (size_t k = 2; k < 6; k++)
					HARNESS_CHECK(isxdigit(p[i + k]));
				i += 6;
			} else {
				i += 2;
			}
		} else if (p[i] >= 0x80) {
			size_t n = valid_utf8(p + i, len - i);
			HARNESS_CHECK(n > 0);
			i += n;
		} else {
			HARNESS_CHECK(p[i] >= 0x20 && p[i] != '"');
			i++;
		}
	}
	/* nothing is lost: without escapes and U+FFFD, it is the input */
	if (!strchr(in, '\\') && !strchr(in, '"') && len == strlen(in))
		HARNESS_CHECK(memcmp(out, in, len) == 0);
	free(out);
	free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	switch (data[0] % 4) {
	case 0: fuzz_cli(data + 1, size - 1); break;
	case 1: fuzz_netdata(data + 1, size - 1); break;
	case 2: fuzz_collectd(data + 1, size - 1); break;
	default: fuzz_json(data + 1, size - 1); break;
	}
	return 0;
}
