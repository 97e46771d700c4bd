/* options.h — the <Plugin ctscope> block of collectd.conf, parsed into a
 * plain struct.
 *
 * Only collectd's liboconfig header is needed here (a plain data struct, no
 * daemon symbols), so the unit tests build config items by hand and link
 * this file without a collectd daemon. */
#ifndef CTSCOPE_CD_OPTIONS_H
#define CTSCOPE_CD_OPTIONS_H

#include <stddef.h>

#include <collectd/liboconfig/oconfig.h>

#include "ctscope.h"
#include "mapping.h"

/* Namespaces per plugin block: each one costs a socket and a read callback;
 * the bound only keeps a typo'd generator from opening thousands. */
#define CTSCOPE_CD_NETNS_MAX 256

struct ctscope_cd_netns {
	char *spec; /* as the user wrote it: "NAME", a path, "pid:N" */
	char label[64]; /* ctscope_netns_label(spec): the plugin_instance prefix */
};

struct ctscope_cd_config {
	struct ctscope_config core; /* Mode, TopN, DumpSplit */
	struct ctscope_cd_netns *netns; /* none: collectd's own namespace */
	size_t n_netns;
	unsigned breakdowns; /* CTSCOPE_CD_BD_* bits */
	double interval_s; /* 0: collectd's interval for this plugin */
	bool notifications; /* hints as notifications */
	unsigned errors; /* problems reported so far; > 0 means do not start */
};

/* Reports one problem, a sentence naming the option and its value, without
 * the "ctscope plugin: " prefix (the caller's logger adds it). */
typedef void (*ctscope_cd_report_fn)(const char *message, void *ctx);

/* Defaults: Mode "dump", TopN 10, every breakdown, collectd's interval,
 * notifications on. */
void ctscope_cd_config_init(struct ctscope_cd_config *cfg);

/* Applies one <Plugin ctscope> block (collectd calls the config callback once
 * per block; NetNS accumulates, other options take the last value). Every
 * problem is reported, not only the first, so one edit fixes them all.
 * Returns the number of problems in this block; cfg->errors adds them up. */
unsigned ctscope_cd_config_apply(struct ctscope_cd_config *cfg, const oconfig_item_t *block,
                                 ctscope_cd_report_fn report, void *ctx);

void ctscope_cd_config_free(struct ctscope_cd_config *cfg);

#endif
