/* options.c — argv into struct nd_options, every mistake named.
 *
 * Hand-rolled rather than getopt_long: netdata puts the update interval
 * first and the user's words after it, and a re-entrant parser with no
 * global state is simpler to test than resetting getopt between cases.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

__attribute__((format(printf, 3, 4))) static enum nd_parse_result usage(char *why, size_t why_len,
                                                                         const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return ND_PARSE_USAGE;
}

/* Digits only: strtoul alone takes " 5", "+5" and "-1". */
static int parse_unsigned(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "--name VALUE" or "--name=VALUE": returns the value, or NULL when the
 * word is not this option. *missing is set when the value is absent. */
static const char *option_value(int argc, char *argv[], int *i, const char *name, int *missing)
{
	const char *w = argv[*i];
	size_t n = strlen(name);
	if (strncmp(w, name, n) != 0)
		return NULL;
	if (w[n] == '=')
		return w + n + 1;
	if (w[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

enum nd_parse_result nd_options_parse(int argc, char *argv[], struct nd_options *o, char *why, size_t why_len)
{
	memset(o, 0, sizeof(*o));
	o->update_every = 1;
	o->mode = CTSCOPE_MODE_DUMP;
	o->top_n = CTSCOPE_TOP_DEFAULT;
	if (why_len)
		why[0] = '\0';

	int update_every_seen = 0;
	unsigned long v;
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		const char *val;
		int missing = 0;
		if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0)
			return ND_PARSE_HELP;
		if (strcmp(w, "--version") == 0 || strcmp(w, "-V") == 0)
			return ND_PARSE_VERSION;
		if ((val = option_value(argc, argv, &i, "--mode", &missing))) {
			if (ctscope_mode_parse(val, &o->mode) != 0)
				return usage(why, why_len, "unknown mode '%s' for --mode: use stats, dump or events", val);
		} else if ((val = option_value(argc, argv, &i, "--netns", &missing))) {
			if (!val[0])
				return usage(why, why_len, "empty --netns: give a name from 'ip netns list', a path or pid:N");
			for (size_t k = 0; k < o->n_netns; k++)
				if (strcmp(o->netns[k], val) == 0)
					return usage(why, why_len, "--netns '%s' given twice: each namespace once", val);
			if (o->n_netns == ND_NETNS_MAX)
				return usage(why, why_len, "more than %d --netns: run a second plugin copy for the rest",
				             ND_NETNS_MAX);
			o->netns[o->n_netns++] = val;
		} else if ((val = option_value(argc, argv, &i, "--top", &missing))) {
			if (parse_unsigned(val, 1, CTSCOPE_TOP_MAX, &v) != 0)
				return usage(why, why_len, "invalid --top '%s': give a whole number from 1 to %u", val,
				             CTSCOPE_TOP_MAX);
			o->top_n = (unsigned)v;
		} else if ((val = option_value(argc, argv, &i, "--dump-split", &missing))) {
			if (ctscope_dump_split_parse(val, &o->dump_split) != 0)
				return usage(why, why_len,
				             "unknown --dump-split '%s': use auto, none, family, assured or seen_reply", val);
		} else if (missing) {
			return usage(why, why_len, "option %s needs a value", w);
		} else if (w[0] == '-') {
			return usage(why, why_len,
			             "unknown option '%s': ctscope.plugin takes --mode, --netns, --top and --dump-split", w);
		} else if (!update_every_seen) {
			/* netdata's first argument. */
			if (parse_unsigned(w, 1, ND_UPDATE_EVERY_MAX, &v) != 0)
				return usage(why, why_len,
				             "invalid update interval '%s': netdata passes whole seconds from 1 to %u "
				             "('update every' in [plugin:ctscope])",
				             w, ND_UPDATE_EVERY_MAX);
			o->update_every = (unsigned)v;
			update_every_seen = 1;
		} else {
			return usage(why, why_len,
			             "unexpected argument '%s': after the update interval only --mode, --netns, --top, --dump-split",
			             w);
		}
	}
	return ND_PARSE_RUN;
}

void nd_usage(FILE *out)
{
	fputs("usage: ctscope.plugin [UPDATE_EVERY] [--mode stats|dump|events] [--netns NS]... [--top N]\n"
	      "                      [--dump-split auto|none|family|assured|seen_reply]\n"
	      "A netdata external plugin: writes the conntrack table of each namespace as\n"
	      "plugins.d charts on stdout every UPDATE_EVERY seconds (netdata passes it).\n"
	      "Options come from netdata.conf, e.g.\n"
	      "  [plugin:ctscope]\n"
	      "      command options = --netns blue --netns red --top 20\n"
	      "  --mode MODE   stats (counters only), dump (default), events\n"
	      "  --netns NS    a name from 'ip netns list', a path, or pid:N; repeatable;\n"
	      "                none: the namespace the plugin runs in\n"
	      "  --top N       destinations charted per namespace (1..1000, default 10)\n"
	      "  --dump-split HOW  auto (default): a table of 100,000 entries or more is\n"
	      "                read as two dumps at once on two cores; none: one dump\n"
	      "                (one core); family, assured, seen_reply: that division\n",
	      out);
}
