/* options.c — the ctscope command line into a struct cli_options.
 * Everything a user can get wrong is caught here, with one sentence saying
 * what and how to fix it, so main.c can answer with exit status 2 before it
 * touches the kernel. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_MODE = 'm',
	OPT_NETNS = 'n',
	OPT_TOP = 't',
	OPT_INTERVAL = 'i',
	OPT_COUNT = 'c',
	OPT_JSON = 'j',
	OPT_HELP = 'h',
	OPT_VERSION = 'V',
	OPT_DUMP_SPLIT = 256,
};

static const struct option long_options[] = {
	{"mode", required_argument, NULL, OPT_MODE},
	{"netns", required_argument, NULL, OPT_NETNS},
	{"top", required_argument, NULL, OPT_TOP},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"count", required_argument, NULL, OPT_COUNT},
	{"json", no_argument, NULL, OPT_JSON},
	{"dump-split", required_argument, NULL, OPT_DUMP_SPLIT},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

/* '+': stop at the first non-option instead of permuting argv (we reject
 * positional arguments anyway, and the caller's argv stays as given);
 * ':': report a missing argument apart from an unknown option. */
static const char short_options[] = "+:hV";

int cli_parse_unsigned(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	/* strtoul alone accepts " 5", "+5" and "-1" (wrapped to ULONG_MAX). */
	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static enum cli_parse_result usage_error(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum cli_parse_result usage_error(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return CLI_PARSE_USAGE;
}

/* The option as the user typed it, for messages: getopt_long leaves the
 * offending word at argv[optind - 1] for long options. */
static const char *offending_word(int argc, char *argv[])
{
	if (optind >= 1 && optind - 1 < argc && argv[optind - 1] && argv[optind - 1][0] == '-')
		return argv[optind - 1];
	return "?";
}

static const char *long_name_of(int val)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

enum cli_parse_result cli_options_parse(int argc, char *argv[], struct cli_options *o, char *why, size_t why_len)
{
	memset(o, 0, sizeof(*o));
	o->mode = CTSCOPE_MODE_DUMP;
	o->top_n = CTSCOPE_TOP_DEFAULT;
	if (why_len)
		why[0] = '\0';

	/* At most one --netns per argument, so argc bounds the list. */
	o->netns = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*o->netns));
	if (!o->netns) {
		snprintf(why, why_len, "cannot parse the command line: out of memory");
		return CLI_PARSE_FAILURE;
	}

	bool count_given = false;
	unsigned long v;
	int c;
	optind = 0; /* glibc: 0 re-initialises getopt, so parsing twice works */
	opterr = 0; /* our own messages, with the reason and the fix */
	while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		switch (c) {
		case OPT_MODE:
			if (ctscope_mode_parse(optarg, &o->mode) != 0)
				return usage_error(why, why_len, "unknown mode '%s' for --mode: use stats, dump or events",
				                   optarg);
			break;
		case OPT_NETNS:
			if (optarg[0] == '\0')
				return usage_error(why, why_len,
				                   "empty --netns: give a name from 'ip netns list', a path or pid:N");
			for (size_t i = 0; i < o->n_netns; i++)
				if (strcmp(o->netns[i], optarg) == 0)
					return usage_error(why, why_len, "--netns '%s' given twice: each namespace once",
					                   optarg);
			o->netns[o->n_netns++] = optarg;
			break;
		case OPT_DUMP_SPLIT:
			if (ctscope_dump_split_parse(optarg, &o->dump_split) != 0)
				return usage_error(why, why_len,
				                   "unknown --dump-split '%s': use auto, none, family, assured or seen_reply",
				                   optarg);
			break;
		case OPT_TOP:
			if (cli_parse_unsigned(optarg, 1, CTSCOPE_TOP_MAX, &v) != 0)
				return usage_error(why, why_len, "invalid --top '%s': give a whole number from 1 to %u",
				                   optarg, CTSCOPE_TOP_MAX);
			o->top_n = (unsigned)v;
			break;
		case OPT_INTERVAL:
			if (cli_parse_unsigned(optarg, 1, CLI_INTERVAL_MAX, &v) != 0)
				return usage_error(why, why_len,
				                   "invalid --interval '%s': give whole seconds from 1 to %u", optarg,
				                   CLI_INTERVAL_MAX);
			o->interval_s = (unsigned)v;
			break;
		case OPT_COUNT:
			if (cli_parse_unsigned(optarg, 1, CLI_COUNT_MAX, &v) != 0)
				return usage_error(why, why_len, "invalid --count '%s': give a whole number from 1 to %u",
				                   optarg, CLI_COUNT_MAX);
			o->count = (unsigned)v;
			count_given = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_HELP:
			return CLI_PARSE_HELP;
		case OPT_VERSION:
			return CLI_PARSE_VERSION;
		case ':':
			return usage_error(why, why_len, "option --%s needs a value",
			                   optopt ? long_name_of(optopt) : offending_word(argc, argv));
		default: {
			const char *word = offending_word(argc, argv);
			/* glibc sets optopt to the option's value when a long option
			 * got a value it does not take ("--json=yes"), to 0 when the
			 * long option is unknown. */
			if (strncmp(word, "--", 2) == 0 && optopt)
				return usage_error(why, why_len, "option --%s takes no value", long_name_of(optopt));
			if (strncmp(word, "--", 2) != 0 && optopt)
				return usage_error(why, why_len, "unknown option '-%c'", optopt);
			return usage_error(why, why_len, "unknown option '%s'", word);
		}
		}
	}
	if (optind < argc)
		return usage_error(why, why_len, "unexpected argument '%s': ctscope takes options only", argv[optind]);
	if (count_given && o->interval_s == 0)
		return usage_error(why, why_len, "--count needs --interval: say how many seconds apart the reports are");
	return CLI_PARSE_RUN;
}

void cli_options_free(struct cli_options *o)
{
	free(o->netns);
	o->netns = NULL;
	o->n_netns = 0;
}

void cli_usage_short(FILE *out)
{
	fputs("usage: ctscope [--mode stats|dump|events] [--netns NAME|PATH|pid:N]...\n"
	      "               [--top N] [--interval SECONDS [--count N]] [--json]\n"
	      "               [--dump-split auto|none|family|assured|seen_reply]\n"
	      "Try 'ctscope --help' for more.\n",
	      out);
}

void cli_usage_full(FILE *out)
{
	fprintf(out,
	        "usage: ctscope [OPTION]...\n"
	        "Reads the conntrack table over ctnetlink and reports what fills it:\n"
	        "how full it is, which destinations, sources and ports hold the most\n"
	        "entries, their states and remaining timeouts, and hints about why.\n"
	        "\n"
	        "  --mode MODE        stats: counters only, cheap at any table size\n"
	        "                     dump: counters and one full dump (default)\n"
	        "                     events: one dump, then kept current from events\n"
	        "                     (pays off with --interval)\n"
	        "  --netns NS         read network namespace NS: a name from 'ip netns\n"
	        "                     list', a path such as /proc/1234/ns/net, or pid:N;\n"
	        "                     repeatable, each namespace is reported separately;\n"
	        "                     default: the namespace ctscope runs in\n"
	        "  --top N            length of each top list, 1 to %u (default %u)\n"
	        "  --interval SECONDS report again every SECONDS (1 to %u) until\n"
	        "                     interrupted; on a terminal the screen is redrawn\n"
	        "  --count N          with --interval: stop after N reports\n"
	        "  --json             JSON lines: one object per namespace per report,\n"
	        "                     each on its own line, flushed as it is written;\n"
	        "                     keys as in DESIGN.md, an unreadable value absent\n"
	        "  --dump-split HOW   how a dump reads a big table: auto (default) as two\n"
	        "                     dumps at once, which the kernel builds on two\n"
	        "                     cores, divided by what divided it best last time\n"
	        "                     (IPv4|IPv6, assured|not, seen_reply|not; a\n"
	        "                     table under 100,000 entries, or a process held\n"
	        "                     to one core, is read in one); none: one dump;\n"
	        "                     family, assured, seen_reply: that division;\n"
	        "                     --mode events splits only when told\n"
	        "  --help             this text\n"
	        "  --version          the version\n"
	        "\n"
	        "Exit status: 0 all namespaces read, 1 a read failed (the others are\n"
	        "still reported), 2 bad command line.\n"
	        "Needs CAP_NET_ADMIN (root) to read the table.\n",
	        CTSCOPE_TOP_MAX, CTSCOPE_TOP_DEFAULT, CLI_INTERVAL_MAX);
}
