/* options.h — ctscope.plugin's command line.
 *
 * netdata runs "ctscope.plugin UPDATE_EVERY [command options]", the
 * command options coming from netdata.conf's [plugin:ctscope] section with
 * the same words as the ctscope command. Parsed apart from main.c so the
 * unit tests can check every message a user may see in error.log.
 */
#ifndef CTSCOPE_NETDATA_OPTIONS_H
#define CTSCOPE_NETDATA_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "ctscope.h"

#define ND_NETNS_MAX 64
#define ND_UPDATE_EVERY_MAX 86400u

struct nd_options {
	unsigned update_every;  /* seconds; 1 when netdata gave none */
	enum ctscope_mode mode; /* dump unless --mode */
	unsigned top_n;
	enum ctscope_dump_split dump_split; /* auto unless --dump-split */
	const char *netns[ND_NETNS_MAX]; /* point into argv; none: own namespace */
	size_t n_netns;
};

enum nd_parse_result {
	ND_PARSE_RUN,
	ND_PARSE_HELP,
	ND_PARSE_VERSION,
	ND_PARSE_USAGE, /* `why` holds one sentence: what is wrong and what to write */
};

enum nd_parse_result nd_options_parse(int argc, char *argv[], struct nd_options *o, char *why, size_t why_len);

void nd_usage(FILE *out);

#endif
