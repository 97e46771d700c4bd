/* test_collectd_nsid.c — the plugin notices when a NetNS spec comes to
 * name another namespace (deleted and made again, process gone): the
 * identity it compares must follow the spec's file, per the spec rules.
 * (The sources are included, as in the other collectd unit tests.) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../collectd-plugin/nsid.c"

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

/* A path spec: replacing the file (as `ip netns del; ip netns add` replaces
 * the bind mount) changes the identity; the same file keeps it. */
static void test_path_spec_follows_the_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctscope-nsid.XXXXXX", spec[64], other[64];
	assert_non_null(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "%s/ns", dir);
	snprintf(other, sizeof(other), "%s/ns.new", dir);
	touch(spec);
	touch(other);

	struct ctscope_cd_nsid a, again, b;
	assert_int_equal(ctscope_cd_nsid_get(spec, &a), 0);
	assert_int_equal(ctscope_cd_nsid_get(spec, &again), 0);
	assert_true(ctscope_cd_nsid_same(&a, &again));
	assert_int_equal(rename(other, spec), 0);
	assert_int_equal(ctscope_cd_nsid_get(spec, &b), 0);
	assert_false(ctscope_cd_nsid_same(&a, &b));

	assert_int_equal(unlink(spec), 0);
	errno = 0;
	assert_int_equal(ctscope_cd_nsid_get(spec, &b), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(rmdir(dir), 0);
}

/* "pid:N" is the namespace process N is in: ours is /proc/self/ns/net. */
static void test_pid_spec(void **state)
{
	(void)state;
	char spec[32];
	snprintf(spec, sizeof(spec), "pid:%ld", (long)getpid());
	struct ctscope_cd_nsid mine, self;
	assert_int_equal(ctscope_cd_nsid_get(spec, &mine), 0);
	assert_int_equal(ctscope_cd_nsid_get("/proc/self/ns/net", &self), 0);
	assert_true(ctscope_cd_nsid_same(&mine, &self));
	assert_int_equal(ctscope_cd_nsid_get("pid:2147483647", &mine), -1);
}

/* "NAME" means /run/netns/NAME. */
static void test_name_spec(void **state)
{
	(void)state;
	struct ctscope_cd_nsid id;
	errno = 0;
	assert_int_equal(ctscope_cd_nsid_get("ctscope-t-no-such-namespace-here", &id), -1);
	assert_int_equal(errno, ENOENT);

	char longname[5000];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	errno = 0;
	assert_int_equal(ctscope_cd_nsid_get(longname, &id), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_spec_follows_the_file),
		cmocka_unit_test(test_pid_spec),
		cmocka_unit_test(test_name_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
