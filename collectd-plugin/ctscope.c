/* ctscope.c — the collectd plugin: registration, logging, one read callback
 * per namespace. Parsing lives in options.c and naming in mapping.c; this
 * file only joins them to collectd and libctscope.
 *
 * Error policy, measured on collectd 5.12:
 * - a config callback that returns -1 makes collectd refuse to start at all
 *   ("Parsing the config file failed!"), taking every other plugin down; so
 *   config problems are logged and counted, and init fails instead, which
 *   unloads ctscope alone while collectd keeps running;
 * - a read callback that returns -1 is suspended for twice its interval,
 *   doubling up to a day; a namespace that is briefly missing would then
 *   stay unread long after it is back, so a read that fails logs (once per
 *   distinct error) and returns 0 to be retried on the next interval. */
#include "collectd.h"
#include "plugin.h"
#include "utils/common/common.h"

#include <stdlib.h>
#include <string.h>

#include "ctscope.h"
#include "mapping.h"
#include "options.h"

_Static_assert(CTSCOPE_CD_NAME_LEN == DATA_MAX_NAME_LEN, "mapping.h's name length must be collectd's");
_Static_assert(CTSCOPE_CD_MESSAGE_LEN == NOTIF_MAX_MSG_LEN, "mapping.h's message length must be collectd's");

/* collectd's config and init callbacks take no user data, so the parsed
 * block lives here between them; after init each read callback owns its
 * own reader and touches nothing shared. */
static struct ctscope_cd_config config;
static bool config_started;

struct reader {
	char *spec; /* NULL: collectd's own namespace */
	char what[300]; /* "namespace \"web\"" for log lines */
	struct ctscope_config core;
	unsigned breakdowns;
	struct ctscope_collector *collector; /* NULL until opened, and after a failure */
	struct ctscope_snapshot snap;
	char last_error[sizeof(((struct ctscope_error *)0)->message)]; /* "" while readable */
	unsigned failed_reads;
	unsigned refused; /* values not dispatched in the last read */
	bool notifications;
	struct ctscope_cd_hint_state hints; /* what the last read's hints were */
};

static void report_config_problem(const char *message, void *ctx)
{
	(void)ctx;
	ERROR("ctscope plugin: %s", message);
}

static int ctscope_config(oconfig_item_t *ci)
{
	if (!config_started) {
		ctscope_cd_config_init(&config);
		config_started = true;
	}
	ctscope_cd_config_apply(&config, ci, report_config_problem, NULL);
	return 0; /* see the top of this file: failing here stops all of collectd */
}

static int dispatch(const struct ctscope_cd_value *v, void *ctx)
{
	(void)ctx;
	value_t value;
	value_list_t vl = VALUE_LIST_INIT;
	if (v->is_derive)
		value.derive = (derive_t)v->derive;
	else
		value.gauge = (gauge_t)v->gauge;
	vl.values = &value;
	vl.values_len = 1;
	if (v->time_ms)
		vl.time = MS_TO_CDTIME_T(v->time_ms);
	sstrncpy(vl.plugin, v->plugin, sizeof(vl.plugin));
	sstrncpy(vl.plugin_instance, v->plugin_instance, sizeof(vl.plugin_instance));
	sstrncpy(vl.type, v->type, sizeof(vl.type));
	sstrncpy(vl.type_instance, v->type_instance, sizeof(vl.type_instance));
	return plugin_dispatch_values(&vl);
}

static int dispatch_notification(const struct ctscope_cd_notification *cn, void *ctx)
{
	(void)ctx;
	notification_t n = {
		.severity = cn->okay ? NOTIF_OKAY : NOTIF_WARNING,
		.time = cn->time_ms ? MS_TO_CDTIME_T(cn->time_ms) : cdtime(),
	};
	sstrncpy(n.message, cn->message, sizeof(n.message));
	sstrncpy(n.host, hostname_g, sizeof(n.host));
	sstrncpy(n.plugin, cn->plugin, sizeof(n.plugin));
	sstrncpy(n.plugin_instance, cn->plugin_instance, sizeof(n.plugin_instance));
	sstrncpy(n.type, cn->type, sizeof(n.type));
	sstrncpy(n.type_instance, cn->type_instance, sizeof(n.type_instance));
	/* the whole sentence, for notification plugins that pass meta data on
	 * (the message may be cut at collectd's 256 bytes) */
	plugin_notification_meta_add_string(&n, "hint", cn->full_sentence);
	int rc = plugin_dispatch_notification(&n);
	plugin_notification_meta_free(n.meta);
	return rc;
}

static void read_failed(struct reader *r, const char *why)
{
	r->failed_reads++;
	if (strcmp(r->last_error, why) == 0)
		return;
	sstrncpy(r->last_error, why, sizeof(r->last_error));
	ERROR("ctscope plugin: %s: %s (nothing is dispatched for it meanwhile; retrying every interval, "
	      "and logging again only if the error changes)",
	      r->what, why);
}

static int ctscope_read(user_data_t *ud)
{
	struct reader *r = ud->data;
	struct ctscope_error err = { 0 };

	if (!r->collector)
		r->collector = ctscope_collector_new(&r->core, r->spec, &err);
	if (!r->collector || ctscope_collector_read(r->collector, &r->snap, &err) != 0) {
		/* Start over next time: if the namespace was deleted and made
		 * again (the core reports it gone), the new one is opened. */
		if (r->collector)
			ctscope_collector_free(r->collector);
		r->collector = NULL;
		read_failed(r, err.message[0] ? err.message : "failed without saying why (a ctscope bug: please report it)");
		return 0;
	}
	if (r->last_error[0]) {
		INFO("ctscope plugin: %s: readable again after %u failed reads", r->what, r->failed_reads);
		r->last_error[0] = '\0';
		r->failed_reads = 0;
	}

	unsigned refused = ctscope_cd_map(&r->snap, r->breakdowns, dispatch, NULL);
	if (r->notifications && ctscope_cd_notify_hints(&r->snap, &r->hints, dispatch_notification, NULL))
		WARNING("ctscope plugin: %s: a hint could not be sent as a notification (collectd's messages above "
		        "say why)", r->what);
	ctscope_snapshot_clear(&r->snap);
	if (refused && refused != r->refused)
		WARNING("ctscope plugin: %s: %u values of this read could not be dispatched (collectd's messages "
		        "above say why; a missing \"conntrack\" type means types.db is not loaded)",
		        r->what, refused);
	r->refused = refused;
	return 0;
}

static void reader_free(void *p)
{
	struct reader *r = p;
	if (!r)
		return;
	if (r->collector)
		ctscope_collector_free(r->collector);
	ctscope_snapshot_clear(&r->snap);
	free(r->spec);
	free(r);
}

static int start_reader(const char *spec, const char *label, cdtime_t interval)
{
	struct reader *r = calloc(1, sizeof(*r));
	if (!r || (spec && !(r->spec = strdup(spec)))) {
		free(r);
		ERROR("ctscope plugin: out of memory starting the reader of %s", spec ? spec : "collectd's namespace");
		return -1;
	}
	r->core = config.core;
	r->breakdowns = config.breakdowns;
	r->notifications = config.notifications;
	if (spec)
		snprintf(r->what, sizeof(r->what), "namespace \"%s\"", spec);
	else
		snprintf(r->what, sizeof(r->what), "collectd's own namespace");

	/* Read callbacks need unique names; one per namespace lets collectd's
	 * read threads read them in parallel, so one slow table delays only
	 * its own values. */
	char name[DATA_MAX_NAME_LEN];
	snprintf(name, sizeof(name), "ctscope%s%s", label[0] ? "-" : "", label);
	user_data_t ud = { .data = r, .free_func = reader_free };
	if (plugin_register_complex_read("ctscope", name, ctscope_read, interval, &ud) != 0) {
		reader_free(r); /* collectd frees user data only on success */
		ERROR("ctscope plugin: cannot register the read callback \"%s\" (collectd's message above says why)",
		      name);
		return -1;
	}
	INFO("ctscope plugin: reading %s in mode %s", r->what, ctscope_mode_name(r->core.mode));
	return 0;
}

static int ctscope_init(void)
{
	if (!config_started) { /* no <Plugin ctscope> block: every default */
		ctscope_cd_config_init(&config);
		config_started = true;
	}
	if (config.errors) {
		ERROR("ctscope plugin: not started: %u problem%s in <Plugin ctscope> (logged above); fix %s and "
		      "restart collectd",
		      config.errors, config.errors == 1 ? "" : "s", config.errors == 1 ? "it" : "them");
		return -1;
	}
	if (config.breakdowns == 0 && config.core.mode != CTSCOPE_MODE_STATS)
		WARNING("ctscope plugin: Breakdowns false with Mode \"%s\" reads the whole table for nothing; "
		        "Mode \"stats\" gives the same values at O(1) cost", ctscope_mode_name(config.core.mode));

	cdtime_t interval = config.interval_s > 0 ? DOUBLE_TO_CDTIME_T(config.interval_s) : 0;
	int rc = 0;
	if (config.n_netns == 0)
		rc = start_reader(NULL, "", interval);
	for (size_t i = 0; rc == 0 && i < config.n_netns; i++)
		rc = start_reader(config.netns[i].spec, config.netns[i].label, interval);
	if (rc != 0)
		plugin_unregister_read_group("ctscope"); /* all or nothing */
	return rc;
}

static int ctscope_shutdown(void)
{
	/* The readers are user data of the read callbacks: collectd frees them
	 * when it destroys its read list. */
	ctscope_cd_config_free(&config);
	return 0;
}

void module_register(void)
{
	plugin_register_complex_config("ctscope", ctscope_config);
	plugin_register_init("ctscope", ctscope_init);
	plugin_register_shutdown("ctscope", ctscope_shutdown);
}
