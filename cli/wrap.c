/* wrap.c — line wrapping for the human report, so every line fits an
 * 80-column terminal without cutting anything off: lists of items wrap under
 * their label, sentences wrap at words, overlong words are split. */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static void blanks(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

void cli_wrap_begin(struct cli_wrap *w, FILE *out, size_t width, const char *label, size_t label_width)
{
	size_t len = strlen(label);
	w->out = out;
	w->width = width;
	w->indent = len < label_width ? label_width : len + 1;
	fputs(label, out);
	blanks(out, w->indent - len);
	w->col = w->indent;
	w->empty = true;
}

void cli_wrap_item(struct cli_wrap *w, const char *item)
{
	size_t len = strlen(item);
	if (!w->empty && w->col + 2 + len > w->width) {
		fputc('\n', w->out);
		blanks(w->out, w->indent);
		w->col = w->indent;
		w->empty = true;
	}
	if (!w->empty) {
		fputs("  ", w->out);
		w->col += 2;
	}
	fputs(item, w->out);
	w->col += len;
	w->empty = false;
}

void cli_wrap_end(struct cli_wrap *w)
{
	fputc('\n', w->out);
}

/* Writes text that came from elsewhere (a hint, a namespace path): control
 * bytes such as ESC would drive the terminal, so they show as '?'. */
static void put_text(FILE *out, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
}

/* How many bytes of `word` (len bytes) fit in `room` columns without
 * splitting a UTF-8 sequence; at least one sequence so progress is made. */
static size_t fitting_prefix(const char *word, size_t len, size_t room)
{
	size_t n = room < len ? room : len;
	while (n > 0 && n < len && ((unsigned char)word[n] & 0xC0) == 0x80)
		n--;
	if (n == 0) {
		n = 1;
		while (n < len && ((unsigned char)word[n] & 0xC0) == 0x80)
			n++;
	}
	return n;
}

void cli_wrap_text(FILE *out, size_t width, const char *first, const char *rest, const char *text)
{
	size_t rest_len = strlen(rest);
	size_t col = strlen(first);
	bool line_empty = true;
	fputs(first, out);
	const char *p = text;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		size_t len = 0;
		while (p[len] && !isspace((unsigned char)p[len]))
			len++;
		if (!line_empty && col + 1 + len > width) {
			fputc('\n', out);
			fputs(rest, out);
			col = rest_len;
			line_empty = true;
		}
		if (!line_empty) {
			fputc(' ', out);
			col++;
		}
		/* A word wider than a whole line: split it over several. */
		while (col + len > width && width > col) {
			size_t n = fitting_prefix(p, len, width - col);
			put_text(out, p, n);
			p += n;
			len -= n;
			fputc('\n', out);
			fputs(rest, out);
			col = rest_len;
			if (len == 0)
				break;
		}
		put_text(out, p, len);
		p += len;
		col += len;
		line_empty = (len == 0);
	}
	fputc('\n', out);
}

void cli_format_duration(uint64_t seconds, char *buf, size_t len)
{
	static const struct {
		uint64_t size;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t used = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	if (seconds == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t n = seconds / units[i].size;
		seconds %= units[i].size;
		if (n == 0 || used >= len)
			continue;
		int w = snprintf(buf + used, len - used, "%" PRIu64 "%c", n, units[i].unit);
		if (w > 0)
			used += (size_t)w;
	}
}
