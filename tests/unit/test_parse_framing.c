/* test_parse_framing.c — a receive buffer whose netlink framing is broken
 * is refused whole, with a reason, before any of its entries is counted:
 * never read past, never half-counted, never silently cut short. Built on
 * a recorded kernel dump (tests/fuzz/corpus/mix.bin, 27 entries).
 * The attribute-level cases are tests/unit/test_parse.c's. */
#include <errno.h>
#include <linux/netlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

#define MIX_ENTRIES 27

struct recorded {
	uint8_t *buf;
	size_t len;
};

static int load(void **state)
{
	const char *src = getenv("CTSCOPE_SRC");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/mix.bin", src && *src ? src : ".");
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct recorded *r = calloc(1, sizeof(*r));
	r->buf = malloc(65536 + 64);
	r->len = fread(r->buf, 1, 65536, f);
	fclose(f);
	*state = r;
	return r->len > 0 ? 0 : -1;
}

static int unload(void **state)
{
	struct recorded *r = *state;
	free(r->buf);
	free(r);
	return 0;
}

static int count(const struct ctscope_entry *e, void *data)
{
	(void)e;
	(*(uint64_t *)data)++;
	return 0;
}

/* Parses a copy of len bytes in a buffer of exactly that size, so ASan
 * sees any read past it. */
static int parse(const uint8_t *bytes, size_t len, uint64_t *entries, struct ctscope_error *err)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, bytes, len);
	uint64_t scanned = 0;
	*entries = 0;
	memset(err, 0, sizeof(*err));
	int rc = ctscope_source_parse_buffer(copy, len, 0, 0, count, entries, &scanned, err);
	assert_int_equal(scanned, *entries);
	free(copy);
	return rc;
}

/* Offset of the n-th message (0-based). */
static size_t message_at(const struct recorded *r, int n)
{
	size_t off = 0;
	for (int i = 0; i < n; i++)
		off += NLMSG_ALIGN(((const struct nlmsghdr *)(r->buf + off))->nlmsg_len);
	assert_true(off < r->len);
	return off;
}

static void whole_dump_parses(void **state)
{
	struct recorded *r = *state;
	uint64_t entries;
	struct ctscope_error err;
	assert_int_equal(parse(r->buf, r->len, &entries, &err), 0);
	assert_int_equal(entries, MIX_ENTRIES);
}

static void message_cut_short_is_refused_whole(void **state)
{
	struct recorded *r = *state;
	/* the buffer ends in the middle of the third message */
	size_t cut = message_at(r, 2) + 40;
	uint64_t entries;
	struct ctscope_error err;
	assert_int_equal(parse(r->buf, cut, &entries, &err), -1);
	assert_int_equal(entries, 0); /* not the two whole ones before it either */
	assert_int_equal(err.code, EBADMSG);
	assert_non_null(strstr(err.message, "netlink message"));
	assert_non_null(strstr(err.message, "cannot read the conntrack table"));
}

static void header_cut_short_is_refused(void **state)
{
	struct recorded *r = *state;
	size_t cut = message_at(r, 1) + 7; /* 7 bytes of a 16-byte header */
	uint64_t entries;
	struct ctscope_error err;
	assert_int_equal(parse(r->buf, cut, &entries, &err), -1);
	assert_int_equal(entries, 0);
	assert_int_equal(err.code, EBADMSG);
}

static void length_of_2gib_is_refused(void **state)
{
	struct recorded *r = *state;
	uint8_t *copy = malloc(r->len);
	memcpy(copy, r->buf, r->len);
	/* libmnl 1.0.4 takes this for a negative int and jumps 2 GiB ahead */
	((struct nlmsghdr *)(copy + message_at(r, 1)))->nlmsg_len = 0x80000010u;
	uint64_t entries;
	struct ctscope_error err;
	assert_int_equal(parse(copy, r->len, &entries, &err), -1);
	assert_int_equal(entries, 0);
	assert_int_equal(err.code, EBADMSG);
	free(copy);
}

static void length_below_header_is_refused(void **state)
{
	struct recorded *r = *state;
	uint8_t *copy = malloc(r->len);
	memcpy(copy, r->buf, r->len);
	((struct nlmsghdr *)(copy + message_at(r, 3)))->nlmsg_len = 8;
	uint64_t entries;
	struct ctscope_error err;
	assert_int_equal(parse(copy, r->len, &entries, &err), -1);
	assert_int_equal(entries, 0);
	free(copy);
}

static void bytes_after_the_last_message_are_refused(void **state)
{
	struct recorded *r = *state;
	uint8_t *copy = malloc(r->len + 3);
	memcpy(copy, r->buf, r->len);
	memset(copy + r->len, 0, 3);
	uint64_t entries;
	struct ctscope_error err;
	assert_int_equal(parse(copy, r->len + 3, &entries, &err), -1);
	assert_int_equal(entries, 0);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_dump_parses),
		cmocka_unit_test(message_cut_short_is_refused_whole),
		cmocka_unit_test(header_cut_short_is_refused),
		cmocka_unit_test(length_of_2gib_is_refused),
		cmocka_unit_test(length_below_header_is_refused),
		cmocka_unit_test(bytes_after_the_last_message_are_refused),
	};
	return cmocka_run_group_tests(tests, load, unload);
}
