/* test_collectd_plugin.c — ctscope.c's glue to collectd, without a daemon:
 * the plugin source is included and collectd's functions are replaced by
 * recorders, as collectd's own plugin tests do (MODELS.md). Covers what the
 * end-to-end tests cannot make happen on demand: the error text changing
 * between reads, a read-callback registration failing half-way, and the
 * exact value_list_t a value becomes. Needs no privileges: the namespaces
 * read here fail before anything is entered. Built with collectd's include
 * flags (collectd-plugin/build.mk). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../collectd-plugin/ctscope.c"
#include "../../collectd-plugin/destkey.c"
#include "../../collectd-plugin/mapping.c"
#include "../../collectd-plugin/options.c"

/* ---- collectd, recorded ---------------------------------------------------- */

static struct {
	int (*config)(oconfig_item_t *);
	int (*init)(void);
	int (*shutdown)(void);
	struct {
		char group[64], name[128];
		plugin_read_cb cb;
		cdtime_t interval;
		user_data_t ud;
	} reads[8];
	int n_reads;
	int fail_read_registration_at; /* -1: never */
	int unregistered_group;
	char logs[32][1200];
	int levels[32];
	int n_logs;
	value_list_t vl;
	value_t value;
	int n_dispatched;
	notification_t notes[8];
	char note_hint[8][512];
	int n_notes;
} cd;

int plugin_register_complex_config(const char *type, int (*callback)(oconfig_item_t *))
{
	assert_string_equal(type, "ctscope");
	cd.config = callback;
	return 0;
}

int plugin_register_init(const char *name, plugin_init_cb callback)
{
	assert_string_equal(name, "ctscope");
	cd.init = callback;
	return 0;
}

int plugin_register_shutdown(const char *name, plugin_shutdown_cb callback)
{
	assert_string_equal(name, "ctscope");
	cd.shutdown = callback;
	return 0;
}

int plugin_register_complex_read(const char *group, const char *name, plugin_read_cb callback, cdtime_t interval,
                                 user_data_t const *user_data)
{
	if (cd.n_reads == cd.fail_read_registration_at)
		return -1;
	assert_true(cd.n_reads < 8);
	snprintf(cd.reads[cd.n_reads].group, sizeof(cd.reads[0].group), "%s", group);
	snprintf(cd.reads[cd.n_reads].name, sizeof(cd.reads[0].name), "%s", name);
	cd.reads[cd.n_reads].cb = callback;
	cd.reads[cd.n_reads].interval = interval;
	cd.reads[cd.n_reads].ud = *user_data;
	cd.n_reads++;
	return 0;
}

/* As collectd does: the read callbacks of the group go, and their user data
 * is freed through free_func. */
int plugin_unregister_read_group(const char *group)
{
	assert_string_equal(group, "ctscope");
	cd.unregistered_group++;
	for (int i = 0; i < cd.n_reads; i++)
		cd.reads[i].ud.free_func(cd.reads[i].ud.data);
	cd.n_reads = 0;
	return 0;
}

void plugin_log(int level, const char *format, ...)
{
	va_list ap;
	assert_true(cd.n_logs < 32);
	va_start(ap, format);
	vsnprintf(cd.logs[cd.n_logs], sizeof(cd.logs[0]), format, ap);
	va_end(ap);
	cd.levels[cd.n_logs++] = level;
}

int plugin_dispatch_values(value_list_t const *vl)
{
	cd.vl = *vl;
	cd.value = vl->values[0];
	cd.vl.values = &cd.value;
	cd.n_dispatched++;
	return 0;
}

char *hostname_g = "testhost";
cdtime_t cdtime(void)
{
	return TIME_T_TO_CDTIME_T(1000);
}
/* meta data is kept as the one string the plugin adds, "hint" */
int plugin_notification_meta_add_string(notification_t *n, const char *name, const char *value)
{
	assert_string_equal(name, "hint");
	assert_null(n->meta);
	n->meta = (notification_meta_t *)strdup(value);
	return n->meta ? 0 : -1;
}
int plugin_notification_meta_free(notification_meta_t *n)
{
	free(n);
	return 0;
}
int plugin_dispatch_notification(const notification_t *n)
{
	assert_true(cd.n_notes < 8);
	cd.notes[cd.n_notes] = *n;
	cd.notes[cd.n_notes].meta = NULL;
	snprintf(cd.note_hint[cd.n_notes], sizeof(cd.note_hint[0]), "%s", (const char *)n->meta);
	cd.n_notes++;
	return 0;
}
char *sstrncpy(char *dest, const char *src, size_t n)
{
	strncpy(dest, src, n);
	dest[n - 1] = '\0';
	return dest;
}

/* ---- helpers ------------------------------------------------------------- */

static int logs_with(int level, const char *fragment)
{
	int n = 0;
	for (int i = 0; i < cd.n_logs; i++)
		if (cd.levels[i] == level && strstr(cd.logs[i], fragment))
			n++;
	return n;
}

/* Fresh daemon state for each test: collectd loads a plugin once per run. */
static int setup(void **state)
{
	(void)state;
	memset(&cd, 0, sizeof(cd));
	cd.fail_read_registration_at = -1;
	memset(&config, 0, sizeof(config));
	config_started = false;
	module_register();
	assert_non_null(cd.config);
	assert_non_null(cd.init);
	assert_non_null(cd.shutdown);
	return 0;
}

/* What collectd does at exit: free every read callback's user data, then
 * call the shutdown callbacks. ASan/LSan (make SANITIZE=...) checks that
 * nothing is left. */
static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < cd.n_reads; i++)
		cd.reads[i].ud.free_func(cd.reads[i].ud.data);
	cd.n_reads = 0;
	assert_int_equal(cd.shutdown(), 0);
	return 0;
}

static oconfig_item_t items[8];
static oconfig_value_t values[8][3];
static oconfig_item_t block = { .key = "Plugin", .children = items };

static oconfig_item_t *option(const char *key, const char *s1, const char *s2)
{
	oconfig_item_t *ci = &items[block.children_num];
	memset(ci, 0, sizeof(*ci));
	ci->key = (char *)key;
	ci->values = values[block.children_num++];
	const char *strs[] = { s1, s2 };
	for (int i = 0; i < 2 && strs[i]; i++) {
		ci->values[ci->values_num].type = OCONFIG_TYPE_STRING;
		ci->values[ci->values_num++].value.string = (char *)strs[i];
	}
	return ci;
}

static void number(const char *key, double n)
{
	oconfig_item_t *ci = option(key, NULL, NULL);
	ci->values[0].type = OCONFIG_TYPE_NUMBER;
	ci->values[0].value.number = n;
	ci->values_num = 1;
}

/* ---- tests --------------------------------------------------------------- */

static void test_one_read_callback_per_namespace(void **state)
{
	(void)state;
	block.children_num = 0;
	option("NetNS", "ctscope-t-unit-a", "/nonexistent/dir/b");
	number("Interval", 2.5);
	assert_int_equal(cd.config(&block), 0);
	assert_int_equal(cd.init(), 0);
	assert_int_equal(cd.n_reads, 2);
	assert_string_equal(cd.reads[0].group, "ctscope");
	assert_string_equal(cd.reads[0].name, "ctscope-ctscope-t-unit-a");
	assert_string_equal(cd.reads[1].name, "ctscope-b");
	assert_true(cd.reads[0].interval == DOUBLE_TO_CDTIME_T(2.5));
	assert_int_equal(logs_with(LOG_INFO, "ctscope plugin: reading namespace \"ctscope-t-unit-a\" in mode dump"), 1);
}

static void test_default_is_own_namespace_at_collectd_interval(void **state)
{
	(void)state;
	assert_int_equal(cd.init(), 0); /* no <Plugin ctscope> block at all */
	assert_int_equal(cd.n_reads, 1);
	assert_string_equal(cd.reads[0].name, "ctscope");
	assert_true(cd.reads[0].interval == 0); /* 0: collectd's interval */
	assert_int_equal(logs_with(LOG_INFO, "reading collectd's own namespace in mode dump"), 1);
}

/* A failing read is logged once per distinct error, returns 0 (collectd
 * would otherwise suspend it, doubling up to a day) and dispatches nothing. */
static void test_errors_logged_once_per_change(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctscope-t-unit.XXXXXX", spec[64];
	assert_non_null(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "%s/ns", dir);
	block.children_num = 0;
	option("NetNS", spec, NULL);
	assert_int_equal(cd.config(&block), 0);
	assert_int_equal(cd.init(), 0);
	user_data_t *ud = &cd.reads[0].ud;

	for (int i = 0; i < 3; i++)
		assert_int_equal(cd.reads[0].cb(ud), 0);
	assert_int_equal(logs_with(LOG_ERR, "ctscope plugin: namespace \""), 1);
	assert_int_equal(logs_with(LOG_ERR, "No such file or directory"), 1);

	/* Now the path exists but is no namespace: another error, logged anew. */
	FILE *f = fopen(spec, "w");
	assert_non_null(f);
	fclose(f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cd.reads[0].cb(ud), 0);
	assert_int_equal(logs_with(LOG_ERR, "ctscope plugin: namespace \""), 2);
	assert_int_equal(cd.n_dispatched, 0);
	assert_int_equal(((struct reader *)ud->data)->failed_reads, 6);
	unlink(spec);
	rmdir(dir);
}

static void test_bad_config_refuses_to_start(void **state)
{
	(void)state;
	block.children_num = 0;
	option("Mode", "sideways", NULL);
	number("TopN", 0);
	assert_int_equal(cd.config(&block), 0); /* -1 here would stop all of collectd */
	assert_int_equal(cd.init(), -1);
	assert_int_equal(cd.n_reads, 0);
	assert_int_equal(logs_with(LOG_ERR, "ctscope plugin: Mode \"sideways\" is not a mode"), 1);
	assert_int_equal(logs_with(LOG_ERR, "ctscope plugin: TopN 0"), 1);
	assert_int_equal(logs_with(LOG_ERR, "ctscope plugin: not started: 2 problems in <Plugin ctscope>"), 1);
}

/* All or nothing: when the second registration fails, the first is undone
 * and init fails, so collectd unloads the plugin cleanly. */
static void test_registration_failure_undoes_all(void **state)
{
	(void)state;
	block.children_num = 0;
	option("NetNS", "one", "two");
	assert_int_equal(cd.config(&block), 0);
	cd.fail_read_registration_at = 1;
	assert_int_equal(cd.init(), -1);
	assert_int_equal(cd.unregistered_group, 1);
	assert_int_equal(cd.n_reads, 0);
	assert_int_equal(logs_with(LOG_ERR, "cannot register the read callback \"ctscope-two\""), 1);
}

static void test_dispatch_fills_the_value_list(void **state)
{
	(void)state;
	struct ctscope_cd_value v = { .plugin = "ctscope", .type = "derive", .is_derive = true, .derive = 42,
		                      .time_ms = 1700000000250 };
	snprintf(v.plugin_instance, sizeof(v.plugin_instance), "web-stats");
	snprintf(v.type_instance, sizeof(v.type_instance), "insert_failed");
	assert_int_equal(dispatch(&v, NULL), 0);
	assert_string_equal(cd.vl.plugin, "ctscope");
	assert_string_equal(cd.vl.plugin_instance, "web-stats");
	assert_string_equal(cd.vl.type, "derive");
	assert_string_equal(cd.vl.type_instance, "insert_failed");
	assert_string_equal(cd.vl.host, ""); /* collectd fills in its hostname */
	assert_int_equal(cd.vl.values_len, 1);
	assert_int_equal(cd.value.derive, 42);
	assert_true(cd.vl.time == MS_TO_CDTIME_T(1700000000250));

	struct ctscope_cd_value g = { .plugin = "ctscope", .type = "percent", .gauge = 12.5 };
	snprintf(g.type_instance, sizeof(g.type_instance), "used");
	assert_int_equal(dispatch(&g, NULL), 0);
	assert_true(cd.value.gauge == 12.5);
	assert_string_equal(cd.vl.plugin_instance, "");
	assert_true(cd.vl.time == 0); /* unknown: collectd stamps it */
}

static void test_hint_notification_fills_the_notification(void **state)
{
	(void)state;
	char sentence[400];
	memset(sentence, 0, sizeof(sentence));
	for (size_t i = 0; i + 6 < 390; i += 6)
		memcpy(sentence + i, "words ", 6); /* longer than collectd carries */
	struct ctscope_cd_notification cn = { .okay = false, .plugin = "ctscope", .type = "conntrack",
		                              .full_sentence = sentence, .time_ms = 1700000000250 };
	snprintf(cn.plugin_instance, sizeof(cn.plugin_instance), "web");
	snprintf(cn.type_instance, sizeof(cn.type_instance), "fill");
	snprintf(cn.message, sizeof(cn.message), "table 95%% full");
	assert_int_equal(dispatch_notification(&cn, NULL), 0);
	assert_int_equal(cd.n_notes, 1);
	const notification_t *n = &cd.notes[0];
	assert_int_equal(n->severity, NOTIF_WARNING);
	assert_string_equal(n->message, "table 95% full");
	assert_string_equal(n->host, "testhost"); /* collectd does not fill it in for notifications */
	assert_string_equal(n->plugin, "ctscope");
	assert_string_equal(n->plugin_instance, "web");
	assert_string_equal(n->type, "conntrack");
	assert_string_equal(n->type_instance, "fill");
	assert_true(n->time == MS_TO_CDTIME_T(1700000000250));
	assert_string_equal(cd.note_hint[0], sentence); /* whole, in the meta data */

	cn.okay = true;
	cn.time_ms = 0;
	assert_int_equal(dispatch_notification(&cn, NULL), 0);
	assert_int_equal(cd.notes[1].severity, NOTIF_OKAY);
	assert_true(cd.notes[1].time == TIME_T_TO_CDTIME_T(1000)); /* unknown: now */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_read_callback_per_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_is_own_namespace_at_collectd_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_logged_once_per_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config_refuses_to_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registration_failure_undoes_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_fills_the_value_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hint_notification_fills_the_notification, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
