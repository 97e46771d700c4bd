/* test_collectd_config.c — <Plugin ctscope> parsing: good values land in
 * the config, and every bad one is reported in a sentence naming the
 * option and the value as written. Config items are built by hand the way
 * collectd's parser would hand them over (unquoted numbers and true/false
 * are typed, quoted words are strings).
 *
 * The plugin's sources are included, as collectd's own tests do (MODELS.md):
 * tests/build.mk links extra objects after libctscope.a, where their calls
 * into the core would stay unresolved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../collectd-plugin/destkey.c"
#include "../../collectd-plugin/mapping.c"
#include "../../collectd-plugin/options.c"

/* ---- building config items ---------------------------------------------- */

#define MAX_ITEMS 16

struct block {
	oconfig_item_t root;
	oconfig_item_t items[MAX_ITEMS];
	oconfig_value_t values[MAX_ITEMS][4];
};

static void block_init(struct block *b)
{
	memset(b, 0, sizeof(*b));
	b->root.key = "Plugin";
	b->root.children = b->items;
}

static oconfig_item_t *add(struct block *b, const char *key)
{
	assert_true(b->root.children_num < MAX_ITEMS);
	int i = b->root.children_num++;
	b->items[i].key = (char *)key;
	b->items[i].values = b->values[i];
	b->items[i].parent = &b->root;
	return &b->items[i];
}

static void str(oconfig_item_t *ci, const char *s)
{
	oconfig_value_t *v = &ci->values[ci->values_num++];
	v->type = OCONFIG_TYPE_STRING;
	v->value.string = (char *)s;
}

static void num(oconfig_item_t *ci, double n)
{
	oconfig_value_t *v = &ci->values[ci->values_num++];
	v->type = OCONFIG_TYPE_NUMBER;
	v->value.number = n;
}

static void boolean(oconfig_item_t *ci, int b)
{
	oconfig_value_t *v = &ci->values[ci->values_num++];
	v->type = OCONFIG_TYPE_BOOLEAN;
	v->value.boolean = b;
}

/* ---- collecting reports -------------------------------------------------- */

struct reports {
	char msg[8][1024];
	unsigned n;
};

static void collect(const char *message, void *ctx)
{
	struct reports *r = ctx;
	if (r->n < 8)
		snprintf(r->msg[r->n], sizeof(r->msg[0]), "%s", message);
	r->n++;
}

/* Applies the block to a fresh config and expects exactly one problem whose
 * message contains every one of the given fragments. */
static void expect_one_problem(struct block *b, const char *frag1, const char *frag2)
{
	struct ctscope_cd_config cfg;
	struct reports r = { 0 };
	ctscope_cd_config_init(&cfg);
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b->root, collect, &r), 1);
	assert_int_equal(cfg.errors, 1);
	assert_int_equal(r.n, 1);
	if (!strstr(r.msg[0], frag1) || (frag2 && !strstr(r.msg[0], frag2)))
		fail_msg("message \"%s\" should name '%s' and '%s'", r.msg[0], frag1, frag2 ? frag2 : "");
	ctscope_cd_config_free(&cfg);
}

/* ---- good values ---------------------------------------------------------- */

static void test_defaults(void **state)
{
	(void)state;
	struct block b;
	struct ctscope_cd_config cfg;
	block_init(&b);
	ctscope_cd_config_init(&cfg);
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, NULL), 0);
	assert_int_equal(cfg.core.mode, CTSCOPE_MODE_DUMP);
	assert_int_equal(cfg.core.top_n, CTSCOPE_TOP_DEFAULT);
	assert_int_equal(cfg.breakdowns, CTSCOPE_CD_BD_ALL);
	assert_int_equal(cfg.n_netns, 0);
	assert_true(cfg.interval_s == 0);
	ctscope_cd_config_free(&cfg);
}

static void test_every_option(void **state)
{
	(void)state;
	struct block b;
	struct ctscope_cd_config cfg;
	struct reports r = { 0 };
	block_init(&b);
	str(add(&b, "Mode"), "stats");
	str(add(&b, "NetNS"), "web");
	str(add(&b, "netns"), "/var/run/netns/db/"); /* keys are case-insensitive, like collectd's */
	oconfig_item_t *two = add(&b, "NetNS");
	str(two, "pid:1");
	str(two, "ctscope-t-x.y");
	num(add(&b, "TopN"), 1000);
	boolean(add(&b, "Breakdowns"), 0);
	num(add(&b, "Interval"), 2.5);
	boolean(add(&b, "Notifications"), 0);
	str(add(&b, "DumpSplit"), "family");
	ctscope_cd_config_init(&cfg);
	assert_true(cfg.notifications); /* on unless switched off */
	assert_int_equal(cfg.core.dump_split, CTSCOPE_DUMP_SPLIT_AUTO);
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, &r), 0);
	assert_false(cfg.notifications);
	assert_int_equal(r.n, 0);
	assert_int_equal(cfg.core.mode, CTSCOPE_MODE_STATS);
	assert_int_equal(cfg.core.top_n, 1000);
	assert_int_equal(cfg.core.dump_split, CTSCOPE_DUMP_SPLIT_FAMILY);
	assert_int_equal(cfg.breakdowns, 0);
	assert_true(cfg.interval_s == 2.5);
	assert_int_equal(cfg.n_netns, 4);
	static const char *const specs[] = { "web", "/var/run/netns/db/", "pid:1", "ctscope-t-x.y" };
	static const char *const labels[] = { "web", "db", "pid_1", "ctscope-t-x_y" };
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(cfg.netns[i].spec, specs[i]);
		assert_string_equal(cfg.netns[i].label, labels[i]);
	}
	ctscope_cd_config_free(&cfg);
	assert_null(cfg.netns);
}

static void test_breakdown_lists(void **state)
{
	(void)state;
	struct block b;
	struct ctscope_cd_config cfg;
	block_init(&b);
	oconfig_item_t *bd = add(&b, "Breakdowns");
	str(bd, "tcp_state");
	str(bd, "TOP_DESTINATION");
	str(bd, "zone");
	ctscope_cd_config_init(&cfg);
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, NULL), 0);
	assert_int_equal(cfg.breakdowns, CTSCOPE_CD_BD_TCP_STATE | CTSCOPE_CD_BD_TOP_DESTINATION | CTSCOPE_CD_BD_ZONE);

	/* quoted booleans, as collectd's cf_util_get_boolean takes them */
	static const struct {
		const char *word;
		unsigned want;
	} words[] = { { "yes", CTSCOPE_CD_BD_ALL }, { "Off", 0 }, { "true", CTSCOPE_CD_BD_ALL }, { "false", 0 } };
	for (size_t i = 0; i < 4; i++) {
		block_init(&b);
		str(add(&b, "Breakdowns"), words[i].word);
		assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, NULL), 0);
		assert_int_equal(cfg.breakdowns, words[i].want);
	}
	block_init(&b);
	boolean(add(&b, "Breakdowns"), 1);
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, NULL), 0);
	assert_int_equal(cfg.breakdowns, CTSCOPE_CD_BD_ALL);
	assert_int_equal(cfg.errors, 0);
	ctscope_cd_config_free(&cfg);
}

/* collectd calls the config callback once per <Plugin ctscope> block. */
static void test_blocks_accumulate(void **state)
{
	(void)state;
	struct block a, b;
	struct ctscope_cd_config cfg;
	block_init(&a);
	str(add(&a, "NetNS"), "one");
	str(add(&a, "Mode"), "stats");
	block_init(&b);
	str(add(&b, "NetNS"), "two");
	str(add(&b, "Mode"), "dump");
	ctscope_cd_config_init(&cfg);
	assert_int_equal(ctscope_cd_config_apply(&cfg, &a.root, collect, NULL), 0);
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, NULL), 0);
	assert_int_equal(cfg.n_netns, 2);
	assert_string_equal(cfg.netns[1].label, "two");
	assert_int_equal(cfg.core.mode, CTSCOPE_MODE_DUMP);
	ctscope_cd_config_free(&cfg);
}

/* ---- bad values ------------------------------------------------------------ */

static void test_bad_mode(void **state)
{
	(void)state;
	struct block b;
	block_init(&b);
	str(add(&b, "Mode"), "sideways");
	expect_one_problem(&b, "Mode \"sideways\"", "\"events\"");
	block_init(&b);
	str(add(&b, "Mode"), "Dump"); /* the same word everywhere: lower case */
	expect_one_problem(&b, "Mode \"Dump\"", NULL);
	block_init(&b);
	num(add(&b, "Mode"), 3);
	expect_one_problem(&b, "Mode 3", "quoted string");
	block_init(&b);
	add(&b, "Mode");
	expect_one_problem(&b, "Mode (no value)", NULL);
	block_init(&b);
	oconfig_item_t *two = add(&b, "Mode");
	str(two, "stats");
	str(two, "dump");
	expect_one_problem(&b, "Mode \"stats\" \"dump\"", NULL);
}

static void test_bad_top_n(void **state)
{
	(void)state;
	static const double bad[] = { 0, -1, 1001, 2.5, 1e12 };
	static const char *const shown[] = { "TopN 0", "TopN -1", "TopN 1001", "TopN 2.5", "TopN 1e+12" };
	for (size_t i = 0; i < 5; i++) {
		struct block b;
		block_init(&b);
		num(add(&b, "TopN"), bad[i]);
		expect_one_problem(&b, shown[i], "1000");
	}
	struct block b;
	block_init(&b);
	str(add(&b, "TopN"), "10");
	expect_one_problem(&b, "TopN \"10\"", "unquoted");
}

static void test_bad_breakdowns(void **state)
{
	(void)state;
	struct block b;
	block_init(&b);
	oconfig_item_t *bd = add(&b, "Breakdowns");
	str(bd, "tcp_state");
	str(bd, "colour");
	expect_one_problem(&b, "Breakdowns \"tcp_state\" \"colour\"", "\"top_destination\"");
	block_init(&b);
	num(add(&b, "Breakdowns"), 1);
	expect_one_problem(&b, "Breakdowns 1", NULL);
	block_init(&b);
	add(&b, "Breakdowns");
	expect_one_problem(&b, "Breakdowns (no value)", NULL);
}

static void test_notifications(void **state)
{
	(void)state;
	struct block b;
	struct ctscope_cd_config cfg;
	ctscope_cd_config_init(&cfg);
	block_init(&b);
	str(add(&b, "Notifications"), "off");
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, NULL), 0);
	assert_false(cfg.notifications);
	block_init(&b);
	str(add(&b, "notifications"), "Yes");
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, NULL), 0);
	assert_true(cfg.notifications);
	ctscope_cd_config_free(&cfg);
	block_init(&b);
	str(add(&b, "Notifications"), "sometimes");
	expect_one_problem(&b, "Notifications \"sometimes\"", "true or false");
	block_init(&b);
	num(add(&b, "Notifications"), 1);
	expect_one_problem(&b, "Notifications 1", "true or false");
}

static void test_dump_split(void **state)
{
	(void)state;
	struct block b;
	struct ctscope_cd_config cfg;
	ctscope_cd_config_init(&cfg);
	block_init(&b);
	str(add(&b, "dumpsplit"), "none");
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, NULL), 0);
	assert_int_equal(cfg.core.dump_split, CTSCOPE_DUMP_SPLIT_NONE);
	ctscope_cd_config_free(&cfg);
	block_init(&b);
	str(add(&b, "DumpSplit"), "halves");
	expect_one_problem(&b, "DumpSplit \"halves\"", "\"none\" (always one dump)");
	block_init(&b);
	num(add(&b, "DumpSplit"), 2);
	expect_one_problem(&b, "DumpSplit 2", "one quoted string");
}

static void test_bad_interval(void **state)
{
	(void)state;
	struct block b;
	block_init(&b);
	num(add(&b, "Interval"), 0);
	expect_one_problem(&b, "Interval 0", "seconds");
	block_init(&b);
	num(add(&b, "Interval"), -2);
	expect_one_problem(&b, "Interval -2", NULL);
	block_init(&b);
	num(add(&b, "Interval"), 86401);
	expect_one_problem(&b, "Interval 86401", NULL);
	block_init(&b);
	str(add(&b, "Interval"), "2");
	expect_one_problem(&b, "Interval \"2\"", "unquoted");
}

static void test_bad_netns(void **state)
{
	(void)state;
	struct block b;
	block_init(&b);
	str(add(&b, "NetNS"), "pid:abc");
	expect_one_problem(&b, "NetNS \"pid:abc\"", "pid:N");
	block_init(&b);
	str(add(&b, "NetNS"), "");
	expect_one_problem(&b, "NetNS \"\"", NULL);
	block_init(&b);
	num(add(&b, "NetNS"), 7);
	expect_one_problem(&b, "NetNS 7", "pid:N");
	/* two specs for one label would write the same files */
	block_init(&b);
	str(add(&b, "NetNS"), "web");
	str(add(&b, "NetNS"), "/run/netns/web");
	expect_one_problem(&b, "NetNS \"/run/netns/web\"", "NetNS \"web\"");
}

static void test_unknown_option_and_block(void **state)
{
	(void)state;
	struct block b;
	block_init(&b);
	str(add(&b, "Colour"), "red");
	expect_one_problem(&b, "unknown option Colour \"red\"", "Mode, NetNS");

	oconfig_item_t child = { .key = "Inner" };
	block_init(&b);
	oconfig_item_t *mode = add(&b, "Mode");
	mode->children = &child;
	mode->children_num = 1;
	expect_one_problem(&b, "Mode", "block");
}

/* Every problem is reported, not only the first: one edit fixes all. */
static void test_all_problems_reported(void **state)
{
	(void)state;
	struct block b;
	struct ctscope_cd_config cfg;
	struct reports r = { 0 };
	block_init(&b);
	str(add(&b, "Mode"), "sideways");
	num(add(&b, "TopN"), 0);
	str(add(&b, "NetNS"), "good");
	str(add(&b, "Bogus"), "x");
	ctscope_cd_config_init(&cfg);
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, &r), 3);
	assert_int_equal(r.n, 3);
	assert_non_null(strstr(r.msg[0], "sideways"));
	assert_non_null(strstr(r.msg[1], "TopN 0"));
	assert_non_null(strstr(r.msg[2], "Bogus"));
	/* a later clean block does not clear earlier problems */
	block_init(&b);
	str(add(&b, "Mode"), "stats");
	assert_int_equal(ctscope_cd_config_apply(&cfg, &b.root, collect, &r), 0);
	assert_int_equal(cfg.errors, 3);
	ctscope_cd_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_breakdown_lists),
		cmocka_unit_test(test_blocks_accumulate),
		cmocka_unit_test(test_bad_mode),
		cmocka_unit_test(test_bad_top_n),
		cmocka_unit_test(test_bad_breakdowns),
		cmocka_unit_test(test_bad_interval),
		cmocka_unit_test(test_dump_split),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_bad_netns),
		cmocka_unit_test(test_unknown_option_and_block),
		cmocka_unit_test(test_all_problems_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
