/* test_cli_json.c — the --json line for fixed snapshots, compared with
 * goldens written by hand from DESIGN.md, and every output run through a
 * strict JSON checker so a golden cannot itself be malformed. */
#include <setjmp.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/cli.h"
#include "test_cli_fixture.h"

/* ---- a strict JSON checker (RFC 8259 grammar, no extensions) ---------- */

struct jcheck {
	const char *p;
	int depth;
};

static bool jc_value(struct jcheck *c);

static void jc_ws(struct jcheck *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
}

static bool jc_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* On success, start and len give the raw body, for duplicate-key checks. */
static bool jc_string(struct jcheck *c, const char **start, size_t *len)
{
	if (*c->p != '"')
		return false;
	c->p++;
	const char *body = c->p;
	for (;;) {
		unsigned char ch = (unsigned char)*c->p;
		if (ch == '\0' || ch < 0x20)
			return false;
		if (ch == '"')
			break;
		if (ch == '\\') {
			c->p++;
			if (*c->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!jc_hex(c->p[i]))
						return false;
				c->p += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", *c->p) || *c->p == '\0')
				return false;
		}
		c->p++;
	}
	if (start) {
		*start = body;
		*len = (size_t)(c->p - body);
	}
	c->p++;
	return true;
}

static bool jc_digits(struct jcheck *c)
{
	if (*c->p < '0' || *c->p > '9')
		return false;
	while (*c->p >= '0' && *c->p <= '9')
		c->p++;
	return true;
}

static bool jc_number(struct jcheck *c)
{
	if (*c->p == '-')
		c->p++;
	if (*c->p == '0')
		c->p++;
	else if (!jc_digits(c))
		return false;
	if (*c->p == '.') {
		c->p++;
		if (!jc_digits(c))
			return false;
	}
	if (*c->p == 'e' || *c->p == 'E') {
		c->p++;
		if (*c->p == '+' || *c->p == '-')
			c->p++;
		if (!jc_digits(c))
			return false;
	}
	return true;
}

static bool jc_object(struct jcheck *c)
{
	const char *keys[128];
	size_t lens[128], n = 0;
	c->p++;
	jc_ws(c);
	if (*c->p == '}') {
		c->p++;
		return true;
	}
	for (;;) {
		const char *k;
		size_t kl;
		jc_ws(c);
		if (!jc_string(c, &k, &kl))
			return false;
		for (size_t i = 0; i < n; i++)
			if (lens[i] == kl && memcmp(keys[i], k, kl) == 0)
				return false; /* duplicate key */
		if (n < 128) {
			keys[n] = k;
			lens[n++] = kl;
		}
		jc_ws(c);
		if (*c->p++ != ':')
			return false;
		if (!jc_value(c))
			return false;
		jc_ws(c);
		if (*c->p == '}') {
			c->p++;
			return true;
		}
		if (*c->p++ != ',')
			return false;
	}
}

static bool jc_array(struct jcheck *c)
{
	c->p++;
	jc_ws(c);
	if (*c->p == ']') {
		c->p++;
		return true;
	}
	for (;;) {
		if (!jc_value(c))
			return false;
		jc_ws(c);
		if (*c->p == ']') {
			c->p++;
			return true;
		}
		if (*c->p++ != ',')
			return false;
	}
}

static bool jc_value(struct jcheck *c)
{
	if (++c->depth > 64)
		return false;
	jc_ws(c);
	bool ok;
	switch (*c->p) {
	case '{': ok = jc_object(c); break;
	case '[': ok = jc_array(c); break;
	case '"': ok = jc_string(c, NULL, NULL); break;
	case 't': ok = strncmp(c->p, "true", 4) == 0 && (c->p += 4); break;
	case 'f': ok = strncmp(c->p, "false", 5) == 0 && (c->p += 5); break;
	case 'n': ok = strncmp(c->p, "null", 4) == 0 && (c->p += 4); break;
	default: ok = jc_number(c); break;
	}
	c->depth--;
	return ok;
}

/* One JSON value followed by exactly one '\n': a JSON line. */
static bool is_json_line(const char *text)
{
	struct jcheck c = {.p = text, .depth = 0};
	if (!jc_value(&c))
		return false;
	return strcmp(c.p, "\n") == 0;
}

static void test_checker_rejects_bad_json(void **state)
{
	(void)state;
	assert_true(is_json_line("{\"a\":[1,2.5,-0.25e3,null,true,\"x\\u00e9\"]}\n"));
	assert_false(is_json_line("{\"a\":1,}\n"));
	assert_false(is_json_line("{\"a\":1,\"a\":2}\n"));
	assert_false(is_json_line("{\"a\":01}\n"));
	assert_false(is_json_line("{\"a\":\"tab\there\"}\n"));
	assert_false(is_json_line("{\"a\":\"\\x\"}\n"));
	assert_false(is_json_line("{\"a\":1}"));
	assert_false(is_json_line("{\"a\":1}\n{}\n"));
	assert_false(is_json_line("{\"a\":nan}\n"));
}

/* ---- capture ------------------------------------------------------------ */

static char *json_of(const struct ctscope_snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(cli_json_snapshot(f, s), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* ---- goldens --------------------------------------------------------------- */

static const char golden_dump[] =
	"{\"netns\":null,\"mode\":\"dump\","
	"\"table\":{\"entries\":76768,\"max\":262144,\"fill_percent\":29.28,\"buckets\":65536,\"expectations\":0},"
	"\"stats\":{\"found\":100,\"invalid\":101,\"insert\":102,\"insert_failed\":103,\"drop\":104,"
	"\"early_drop\":105,\"error\":106,\"search_restart\":107},"
	"\"families\":{\"ipv4\":24768,\"ipv6\":52000,\"other\":0},"
	"\"protocols\":{\"tcp\":70000,\"udp\":6000,\"udplite\":0,\"icmp\":768,\"icmpv6\":0,\"sctp\":0,\"gre\":0,"
	"\"dccp\":0,\"other\":0},"
	"\"tcp_states\":{\"syn_sent\":1000,\"syn_recv\":0,\"established\":60000,\"fin_wait\":0,\"close_wait\":0,"
	"\"last_ack\":0,\"time_wait\":9000,\"close\":0,\"syn_sent2\":0},"
	"\"flags\":{\"assured\":65000,\"unreplied\":3000,\"nat\":120},"
	"\"timeouts\":{\"le_10s\":1000,\"le_1m\":2000,\"le_10m\":3000,\"le_1h\":4000,\"le_1d\":14768,\"gt_1d\":52000},"
	"\"zones\":{\"1\":100,\"300\":20},"
	"\"top_destinations\":["
	"{\"protocol\":\"tcp\",\"address\":\"2a00:1450:400b:c02::bc\",\"port\":5228,\"entries\":52000},"
	"{\"protocol\":\"udp\",\"address\":\"192.0.2.53\",\"port\":53,\"entries\":6000},"
	"{\"protocol\":\"icmp\",\"address\":\"192.0.2.1\",\"port\":null,\"entries\":768}],"
	"\"top_sources\":[{\"address\":\"2001:db8::1\",\"entries\":52000},{\"address\":\"10.0.0.1\",\"entries\":24768}],"
	"\"top_ports\":[{\"protocol\":\"tcp\",\"port\":5228,\"entries\":52000},"
	"{\"protocol\":\"udp\",\"port\":53,\"entries\":6000}],"
	"\"sysctl\":{\"max\":262144,\"buckets\":65536,\"tcp_timeout_established\":432000,\"udp_timeout\":30},"
	"\"hints\":[\"52,000 entries go to \\\"[2a00:1450:400b:c02::bc]:5228\\\" and live 5 days because "
	"net.netfilter.nf_conntrack_tcp_timeout_established is 432000; lower it to 3600.\","
	"\"back\\\\slash, tab\\there, bell\\u0007, caf\xc3\xa9, bad \\ufffd byte\"],"
	"\"collector\":{\"duration_ms\":12.500,\"entries_scanned\":76768}}\n";

static void test_dump_snapshot_golden(void **state)
{
	(void)state;
	struct cli_fixture f;
	fixture_fill(&f);
	char *out = json_of(&f.snap);
	assert_string_equal(out, golden_dump);
	assert_true(is_json_line(out));
	free(out);
}

static const char golden_stats[] = "{\"netns\":\"blue\",\"mode\":\"stats\",\"table\":{\"entries\":5},"
                                   "\"stats\":{\"insert_failed\":0,\"drop\":7},\"sysctl\":{},\"hints\":[],"
                                   "\"collector\":{\"duration_ms\":0.250,\"entries_scanned\":0}}\n";

/* No breakdown keys, no max/fill/buckets/expectations written as 0. */
static void test_stats_mode_golden(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	char netns[] = "blue";
	fixture_fill_stats_mode(&s, netns);
	char *out = json_of(&s);
	assert_string_equal(out, golden_stats);
	assert_true(is_json_line(out));
	const char *absent[] = {"families", "protocols", "tcp_states", "flags", "timeouts", "zones",
	                        "top_destinations", "top_sources", "top_ports", "\"max\"", "fill_percent",
	                        "buckets", "expectations", "events"};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		assert_null(strstr(out, absent[i]));
	free(out);
}

static void test_events_collector_keys(void **state)
{
	(void)state;
	struct cli_fixture f;
	fixture_fill(&f);
	f.snap.mode = CTSCOPE_MODE_EVENTS;
	f.snap.collector.has_events = true;
	f.snap.collector.events = 9;
	f.snap.collector.resyncs = 1;
	f.snap.collector.lost_events = 300;
	char *out = json_of(&f.snap);
	assert_true(is_json_line(out));
	assert_non_null(strstr(out, "\"mode\":\"events\""));
	assert_non_null(strstr(out, "\"collector\":{\"duration_ms\":12.500,\"entries_scanned\":76768,"
	                            "\"events\":9,\"resyncs\":1,\"lost_events\":300}}\n"));
	free(out);
}

/* Empty lists stay lists, an empty zones object stays an object, and a
 * not-finite duration becomes null rather than "nan". */
static void test_empty_breakdown(void **state)
{
	(void)state;
	struct cli_fixture f;
	fixture_fill(&f);
	f.snap.n_zones = 0;
	f.snap.n_top_destinations = 0;
	f.snap.n_top_sources = 0;
	f.snap.n_top_ports = 0;
	f.snap.n_hints = 0;
	f.snap.collector.duration_ms = NAN;
	char *out = json_of(&f.snap);
	assert_true(is_json_line(out));
	assert_non_null(strstr(out, "\"zones\":{},\"top_destinations\":[],\"top_sources\":[],\"top_ports\":[],"));
	assert_non_null(strstr(out, "\"hints\":[]"));
	assert_non_null(strstr(out, "\"duration_ms\":null"));
	free(out);
}

/* A namespace name is the user's bytes: control characters and invalid
 * UTF-8 must still give valid JSON. */
static void test_netns_name_escaped(void **state)
{
	(void)state;
	struct ctscope_snapshot s;
	char netns[] = "/run/netns/we\"ird\\\x01\x1f\xc3(\xed\xa0\x80\xf4\x90\x80\x80ok\xe2\x82\xac";
	fixture_fill_stats_mode(&s, netns);
	char *out = json_of(&s);
	assert_true(is_json_line(out));
	assert_non_null(strstr(out, "{\"netns\":\"/run/netns/we\\\"ird\\\\\\u0001\\u001f\\ufffd(\\ufffd\\ufffd\\ufffd"
	                            "\\ufffd\\ufffd\\ufffd\\ufffdok\xe2\x82\xac\","));
	free(out);
}

/* ---- the emitter refuses to write broken JSON ---------------------------- */

static char *emit(void (*steps)(struct jsonw *), bool *misuse)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct jsonw w;
	jsonw_init(&w, f);
	steps(&w);
	*misuse = w.misuse;
	fclose(f);
	return buf;
}

static void nested_ok(struct jsonw *w)
{
	jsonw_object_begin(w);
	jsonw_key(w, "a");
	jsonw_array_begin(w);
	jsonw_uint(w, 1);
	jsonw_object_begin(w);
	jsonw_object_end(w);
	jsonw_array_begin(w);
	jsonw_array_end(w);
	jsonw_string(w, "x");
	jsonw_fixed(w, 2.345, 1);
	jsonw_array_end(w);
	jsonw_key(w, "b");
	jsonw_null(w);
	jsonw_object_end(w);
}

static void value_without_key(struct jsonw *w)
{
	jsonw_object_begin(w);
	jsonw_uint(w, 1);
}

static void key_in_array(struct jsonw *w)
{
	jsonw_array_begin(w);
	jsonw_key(w, "k");
}

static void key_after_key(struct jsonw *w)
{
	jsonw_object_begin(w);
	jsonw_key(w, "k");
	jsonw_key(w, "l");
}

static void wrong_end(struct jsonw *w)
{
	jsonw_object_begin(w);
	jsonw_array_end(w);
}

static void end_after_key(struct jsonw *w)
{
	jsonw_object_begin(w);
	jsonw_key(w, "k");
	jsonw_object_end(w);
}

static void two_top_level(struct jsonw *w)
{
	jsonw_uint(w, 1);
	jsonw_uint(w, 2);
}

static void too_deep(struct jsonw *w)
{
	for (int i = 0; i <= JSONW_MAX_DEPTH; i++)
		jsonw_array_begin(w);
}

static void test_emitter(void **state)
{
	(void)state;
	bool misuse;
	char *out = emit(nested_ok, &misuse);
	assert_false(misuse);
	assert_string_equal(out, "{\"a\":[1,{},[],\"x\",2.3],\"b\":null}");
	free(out);

	void (*bad[])(struct jsonw *) = {value_without_key, key_in_array, key_after_key, wrong_end,
	                                 end_after_key,     two_top_level, too_deep};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = emit(bad[i], &misuse);
		if (!misuse)
			fail_msg("misuse %zu not detected, wrote \"%s\"", i, out);
		free(out);
	}
}

static void test_escape_every_control_byte(void **state)
{
	(void)state;
	char in[40], *buf = NULL;
	size_t len = 0;
	for (int i = 1; i < 32; i++)
		in[i - 1] = (char)i;
	in[31] = '\0';
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	jsonw_escape(f, in);
	fclose(f);
	assert_string_equal(buf, "\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e"
	                         "\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019"
	                         "\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_rejects_bad_json),
		cmocka_unit_test(test_dump_snapshot_golden),
		cmocka_unit_test(test_stats_mode_golden),
		cmocka_unit_test(test_events_collector_keys),
		cmocka_unit_test(test_empty_breakdown),
		cmocka_unit_test(test_netns_name_escaped),
		cmocka_unit_test(test_emitter),
		cmocka_unit_test(test_escape_every_control_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
