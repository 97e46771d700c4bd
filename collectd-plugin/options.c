/* options.c — <Plugin ctscope> into struct ctscope_cd_config.
 *
 * Reads oconfig items directly instead of collectd's cf_util_get_*: those
 * live in the daemon, and their messages name neither the plugin nor the
 * accepted values. Every message here names the option, the value as
 * written, and what would be accepted. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

/* Collectd does not bound Interval; a day is already more than any RRA. */
#define INTERVAL_MAX_S 86400.0

struct parser {
	struct ctscope_cd_config *cfg;
	ctscope_cd_report_fn report;
	void *ctx;
	unsigned errors;
};

__attribute__((format(printf, 2, 3))) static void problem(struct parser *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->errors++;
	if (p->report)
		p->report(msg, p->ctx);
}

/* The values of an option as the user wrote them: "sideways", 3.5, true. */
static void describe(const oconfig_item_t *ci, char *buf, size_t len)
{
	size_t out = 0;
	buf[0] = '\0';
	if (ci->values_num == 0)
		snprintf(buf, len, "(no value)");
	for (int i = 0; i < ci->values_num && out < len; i++) {
		const oconfig_value_t *v = &ci->values[i];
		const char *sep = i ? " " : "";
		if (v->type == OCONFIG_TYPE_STRING)
			out += (size_t)snprintf(buf + out, len - out, "%s\"%s\"", sep, v->value.string);
		else if (v->type == OCONFIG_TYPE_NUMBER)
			out += (size_t)snprintf(buf + out, len - out, "%s%g", sep, v->value.number);
		else
			out += (size_t)snprintf(buf + out, len - out, "%s%s", sep, v->value.boolean ? "true" : "false");
	}
}

static const char *one_string(struct parser *p, const oconfig_item_t *ci, const char *expect)
{
	if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_STRING)
		return ci->values[0].value.string;
	char val[256];
	describe(ci, val, sizeof(val));
	problem(p, "%s %s: expected one quoted string, %s", ci->key, val, expect);
	return NULL;
}

static void set_mode(struct parser *p, const oconfig_item_t *ci)
{
	const char *word = one_string(p, ci, "one of \"stats\", \"dump\", \"events\"");
	if (word && ctscope_mode_parse(word, &p->cfg->core.mode) != 0)
		problem(p, "%s \"%s\" is not a mode; use \"stats\" (counters only, cheapest), \"dump\" (a full "
		        "table dump each interval) or \"events\" (kept current from conntrack events)",
		        ci->key, word);
}

static void add_netns(struct parser *p, const oconfig_item_t *ci, const char *spec)
{
	struct ctscope_cd_config *cfg = p->cfg;
	struct ctscope_cd_netns ns = { 0 };
	struct ctscope_error err = { 0 };
	if (ctscope_netns_label(spec, ns.label, sizeof(ns.label), &err) != 0) {
		problem(p, "%s \"%s\": %s", ci->key, spec, err.message);
		return;
	}
	for (size_t i = 0; i < cfg->n_netns; i++) {
		if (strcmp(cfg->netns[i].label, ns.label) == 0) {
			problem(p, "%s \"%s\": its label \"%s\" is already taken by NetNS \"%s\"; both would write "
			        "the same RRD files and Graphite series: list each namespace once, and give paths "
			        "different last components (or use \"pid:N\")",
			        ci->key, spec, ns.label, cfg->netns[i].spec);
			return;
		}
	}
	if (cfg->n_netns >= CTSCOPE_CD_NETNS_MAX) {
		problem(p, "%s \"%s\": more than %d namespaces in one collectd; run a second collectd instance "
		        "for the rest", ci->key, spec, CTSCOPE_CD_NETNS_MAX);
		return;
	}
	struct ctscope_cd_netns *grown = realloc(cfg->netns, (cfg->n_netns + 1) * sizeof(*grown));
	if (grown)
		cfg->netns = grown;
	ns.spec = strdup(spec);
	if (!grown || !ns.spec) {
		free(ns.spec);
		problem(p, "%s \"%s\": out of memory", ci->key, spec);
		return;
	}
	cfg->netns[cfg->n_netns++] = ns;
}

static void set_netns(struct parser *p, const oconfig_item_t *ci)
{
	bool all_strings = ci->values_num > 0;
	for (int i = 0; i < ci->values_num; i++)
		all_strings = all_strings && ci->values[i].type == OCONFIG_TYPE_STRING;
	if (!all_strings) {
		char val[256];
		describe(ci, val, sizeof(val));
		problem(p, "%s %s: expected one or more quoted namespaces: \"NAME\" (from /run/netns), a path, or \"pid:N\"",
		        ci->key, val);
		return;
	}
	for (int i = 0; i < ci->values_num; i++)
		add_netns(p, ci, ci->values[i].value.string);
}

static void set_top_n(struct parser *p, const oconfig_item_t *ci)
{
	char val[256];
	describe(ci, val, sizeof(val));
	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
		problem(p, "%s %s: expected one unquoted whole number from 1 to %d", ci->key, val, CTSCOPE_TOP_MAX);
		return;
	}
	double n = ci->values[0].value.number;
	if (!(n >= 1 && n <= CTSCOPE_TOP_MAX) || n != floor(n)) {
		problem(p, "%s %s: out of range; use a whole number from 1 to %d", ci->key, val, CTSCOPE_TOP_MAX);
		return;
	}
	p->cfg->core.top_n = (unsigned)n;
}

static int breakdown_bit(const char *name, unsigned *bit)
{
	for (unsigned i = 0; i < CTSCOPE_CD_BD_COUNT; i++) {
		if (strcasecmp(name, ctscope_cd_breakdown_name(i)) == 0) {
			*bit = 1u << i;
			return 0;
		}
	}
	return -1;
}

/* One boolean, as collectd's own cf_util_get_boolean takes it: unquoted,
 * or a quoted true/yes/on, false/no/off. Returns 0, or -1 if it is not one. */
static int one_boolean(const oconfig_item_t *ci, bool *out)
{
	if (ci->values_num != 1)
		return -1;
	if (ci->values[0].type == OCONFIG_TYPE_BOOLEAN) {
		*out = ci->values[0].value.boolean;
		return 0;
	}
	if (ci->values[0].type != OCONFIG_TYPE_STRING)
		return -1;
	const char *w = ci->values[0].value.string;
	if (!strcasecmp(w, "true") || !strcasecmp(w, "yes") || !strcasecmp(w, "on"))
		*out = true;
	else if (!strcasecmp(w, "false") || !strcasecmp(w, "no") || !strcasecmp(w, "off"))
		*out = false;
	else
		return -1;
	return 0;
}

/* Breakdowns true|false, or a list of the ones wanted: top_destination
 * makes one RRD file per destination ever seen, which some will not want. */
static void set_breakdowns(struct parser *p, const oconfig_item_t *ci)
{
	char val[256];
	describe(ci, val, sizeof(val));
	bool all;
	if (one_boolean(ci, &all) == 0) {
		p->cfg->breakdowns = all ? CTSCOPE_CD_BD_ALL : 0;
		return;
	}
	unsigned bits = 0;
	for (int i = 0; i < ci->values_num; i++) {
		unsigned bit;
		const oconfig_value_t *v = &ci->values[i];
		if (v->type != OCONFIG_TYPE_STRING || breakdown_bit(v->value.string, &bit) != 0) {
			problem(p, "%s %s: expected true, false, or one or more of \"family\" \"protocol\" \"tcp_state\" "
			        "\"flags\" \"timeout\" \"zone\" \"top_destination\"", ci->key, val);
			return;
		}
		bits |= bit;
	}
	if (ci->values_num == 0) {
		problem(p, "%s %s: expected true, false, or a list of breakdown names", ci->key, val);
		return;
	}
	p->cfg->breakdowns = bits;
}

static void set_interval(struct parser *p, const oconfig_item_t *ci)
{
	char val[256];
	describe(ci, val, sizeof(val));
	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
		problem(p, "%s %s: expected one unquoted number of seconds", ci->key, val);
		return;
	}
	double s = ci->values[0].value.number;
	if (!(s > 0 && s <= INTERVAL_MAX_S)) {
		problem(p, "%s %s: out of range; use seconds above 0 and at most %g (or leave it out to use "
		        "collectd's interval)", ci->key, val, INTERVAL_MAX_S);
		return;
	}
	p->cfg->interval_s = s;
}

/* Notifications true|false: the hints as collectd notifications. */
static void set_notifications(struct parser *p, const oconfig_item_t *ci)
{
	if (one_boolean(ci, &p->cfg->notifications) != 0) {
		char val[256];
		describe(ci, val, sizeof(val));
		problem(p, "%s %s: expected true or false", ci->key, val);
	}
}

static void set_dump_split(struct parser *p, const oconfig_item_t *ci)
{
	const char *word = one_string(p, ci, "one of \"auto\", \"none\", \"family\", \"assured\", \"seen_reply\"");
	if (word && ctscope_dump_split_parse(word, &p->cfg->core.dump_split) != 0)
		problem(p, "%s \"%s\" is not a way to divide a dump; use \"auto\" (two dumps at once on a big table), "
		        "\"none\" (always one dump), \"family\", \"assured\" or \"seen_reply\"",
		        ci->key, word);
}

static const struct option {
	const char *key;
	void (*set)(struct parser *, const oconfig_item_t *);
} options[] = {
	{ "Mode", set_mode },       { "NetNS", set_netns },       { "TopN", set_top_n },
	{ "Breakdowns", set_breakdowns }, { "Interval", set_interval }, { "Notifications", set_notifications },
	{ "DumpSplit", set_dump_split },
};

void ctscope_cd_config_init(struct ctscope_cd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->core.mode = CTSCOPE_MODE_DUMP;
	cfg->core.top_n = CTSCOPE_TOP_DEFAULT;
	cfg->breakdowns = CTSCOPE_CD_BD_ALL;
	cfg->notifications = true;
}

unsigned ctscope_cd_config_apply(struct ctscope_cd_config *cfg, const oconfig_item_t *block,
                                 ctscope_cd_report_fn report, void *ctx)
{
	struct parser p = { .cfg = cfg, .report = report, .ctx = ctx };
	for (int i = 0; i < block->children_num; i++) {
		const oconfig_item_t *ci = &block->children[i];
		const struct option *opt = NULL;
		for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++)
			if (strcasecmp(ci->key, options[k].key) == 0)
				opt = &options[k];
		if (opt && ci->children_num > 0) {
			problem(&p, "%s: is an option, not a <%s> block", ci->key, ci->key);
		} else if (opt) {
			opt->set(&p, ci);
		} else {
			char val[256];
			describe(ci, val, sizeof(val));
			problem(&p, "unknown option %s %s; the options are Mode, NetNS, TopN, Breakdowns, Interval, "
			        "Notifications, DumpSplit",
			        ci->key, val);
		}
	}
	cfg->errors += p.errors;
	return p.errors;
}

void ctscope_cd_config_free(struct ctscope_cd_config *cfg)
{
	for (size_t i = 0; i < cfg->n_netns; i++)
		free(cfg->netns[i].spec);
	free(cfg->netns);
	cfg->netns = NULL;
	cfg->n_netns = 0;
}
