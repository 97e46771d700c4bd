/* jsonw.c — a small streaming JSON writer. Callers say "key", "value",
 * "begin", "end"; the writer places commas and colons, escapes strings and
 * refuses misuse, so json.c reads as the list of keys it writes. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "cli.h"

void jsonw_init(struct jsonw *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

/* Called before every value and every key: writes the comma that separates
 * it from the previous item of the same container. In an object, a value
 * must follow a key and a key must not follow a key. */
static bool before_item(struct jsonw *w, bool is_key)
{
	if (w->depth == 0 && w->has_items[0]) {
		w->misuse = true; /* a second top-level value */
		return false;
	}
	if (w->in_object[w->depth]) {
		if (is_key == w->after_key) {
			w->misuse = true;
			return false;
		}
		if (!is_key) {
			w->after_key = false;
			return true; /* the key already wrote its comma */
		}
	} else if (is_key) {
		w->misuse = true;
		return false;
	}
	if (w->has_items[w->depth])
		fputc(',', w->out);
	w->has_items[w->depth] = true;
	return true;
}

static void begin(struct jsonw *w, bool object)
{
	if (w->depth >= JSONW_MAX_DEPTH) {
		w->misuse = true;
		return;
	}
	if (!before_item(w, false))
		return;
	fputc(object ? '{' : '[', w->out);
	w->depth++;
	w->in_object[w->depth] = object;
	w->has_items[w->depth] = false;
	w->after_key = false;
}

static void end(struct jsonw *w, bool object)
{
	if (w->depth == 0 || w->in_object[w->depth] != object || w->after_key) {
		w->misuse = true;
		return;
	}
	w->depth--;
	fputc(object ? '}' : ']', w->out);
}

void jsonw_object_begin(struct jsonw *w) { begin(w, true); }
void jsonw_object_end(struct jsonw *w) { end(w, true); }
void jsonw_array_begin(struct jsonw *w) { begin(w, false); }
void jsonw_array_end(struct jsonw *w) { end(w, false); }

void jsonw_key(struct jsonw *w, const char *key)
{
	if (!before_item(w, true))
		return;
	fputc('"', w->out);
	jsonw_escape(w->out, key);
	fputs("\":", w->out);
	w->after_key = true;
}

void jsonw_string(struct jsonw *w, const char *s)
{
	if (!s) {
		jsonw_null(w);
		return;
	}
	if (!before_item(w, false))
		return;
	fputc('"', w->out);
	jsonw_escape(w->out, s);
	fputc('"', w->out);
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	if (before_item(w, false))
		fprintf(w->out, "%" PRIu64, v);
}

void jsonw_fixed(struct jsonw *w, double v, int decimals)
{
	if (!isfinite(v)) {
		jsonw_null(w);
		return;
	}
	if (before_item(w, false))
		fprintf(w->out, "%.*f", decimals, v);
}

void jsonw_null(struct jsonw *w)
{
	if (before_item(w, false))
		fputs("null", w->out);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one
 * (overlong forms, surrogates and values past U+10FFFF are not valid). */
static size_t utf8_sequence(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

void jsonw_escape(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			p++;
		} else if (c < 0x20) {
			switch (c) {
			case '\n': fputs("\\n", out); break;
			case '\r': fputs("\\r", out); break;
			case '\t': fputs("\\t", out); break;
			case '\b': fputs("\\b", out); break;
			case '\f': fputs("\\f", out); break;
			default: fprintf(out, "\\u%04x", c); break;
			}
			p++;
		} else if (c < 0x80) {
			fputc(c, out);
			p++;
		} else {
			size_t n = utf8_sequence(p);
			if (n == 0) {
				/* A namespace path is bytes, not text; JSON must stay valid. */
				fputs("\\ufffd", out);
				p++;
			} else {
				fwrite(p, 1, n, out);
				p += n;
			}
		}
	}
}
