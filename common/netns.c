/* netns.c — naming, opening and entering network namespaces.
 *
 * A spec is "NAME" (/run/netns/NAME, as `ip netns` makes them), a path
 * containing '/', or "pid:N" (the namespace process N runs in). Entering
 * switches only the calling thread, and we always switch back: collectd
 * calls us from its read threads, which must stay where they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "internal.h"

static int spec_path(const char *spec, char *path, size_t len, struct ctscope_error *err)
{
	if (strncmp(spec, "pid:", 4) == 0) {
		char *end;
		errno = 0;
		long pid = strtol(spec + 4, &end, 10);
		if (spec[4] == '\0' || *end != '\0' || errno || pid <= 0 || pid > INT_MAX) {
			ctscope_error_set(err, EINVAL, "write pid:N with N a process id", "bad namespace '%s'", spec);
			return -1;
		}
		snprintf(path, len, "/proc/%ld/ns/net", pid);
	} else if (strchr(spec, '/')) {
		if ((size_t)snprintf(path, len, "%s", spec) >= len) {
			ctscope_error_set(err, ENAMETOOLONG, NULL, "bad namespace path '%.64s...'", spec);
			return -1;
		}
	} else {
		if (!*spec || strcmp(spec, ".") == 0 || strcmp(spec, "..") == 0 || strlen(spec) > NAME_MAX) {
			ctscope_error_set(err, EINVAL, "give a name from 'ip netns list', a path or pid:N",
			                  "bad namespace name '%.64s'", spec);
			return -1;
		}
		snprintf(path, len, "/run/netns/%s", spec);
	}
	return 0;
}

int ctscope_netns_label(const char *spec, char *label, size_t len, struct ctscope_error *err)
{
	char path[PATH_MAX];
	if (len == 0)
		return -1;
	label[0] = '\0';
	if (!spec)
		return 0;
	if (spec_path(spec, path, sizeof(path), err) < 0)
		return -1;
	const char *base = spec;
	/* as long as the longest label (snapshot.netns_label), so two paths that
	 * differ late do not collide */
	char pidbuf[sizeof(((struct ctscope_snapshot *)0)->netns_label)];
	if (strncmp(spec, "pid:", 4) == 0) {
		snprintf(pidbuf, sizeof(pidbuf), "pid_%s", spec + 4);
		base = pidbuf;
	} else if (strchr(spec, '/')) {
		const char *end = spec + strlen(spec);
		while (end > spec && end[-1] == '/')
			end--;
		const char *start = end;
		while (start > spec && start[-1] != '/')
			start--;
		size_t n = (size_t)(end - start);
		if (n == 0) {
			ctscope_error_set(err, EINVAL, NULL, "bad namespace path '%s'", spec);
			return -1;
		}
		snprintf(pidbuf, sizeof(pidbuf), "%.*s", (int)(n < sizeof(pidbuf) - 1 ? n : sizeof(pidbuf) - 1), start);
		base = pidbuf;
	}
	size_t i = 0;
	for (; base[i] && i + 1 < len; i++) {
		char c = base[i];
		bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		            c == '-';
		label[i] = safe ? c : '_';
	}
	label[i] = '\0';
	return 0;
}

int ctscope_netns_open(const char *spec, struct ctscope_error *err)
{
	char path[PATH_MAX];
	if (!spec)
		spec = "/proc/thread-self/ns/net";
	if (spec_path(spec, path, sizeof(path), err) < 0)
		return -1;
	/* Only a namespace file is opened: opening whatever a user names, as
	 * root, could block on a FIFO or act on a device. */
	struct statfs fs;
	int fd = -1;
	if (statfs(path, &fs) == 0 && fs.f_type != NSFS_MAGIC) {
		ctscope_error_set(err, EINVAL, "give a name from 'ip netns list', a path such as /proc/N/ns/net, or pid:N",
		                  "%s is not a namespace file", path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 && (fstatfs(fd, &fs) < 0 || fs.f_type != NSFS_MAGIC)) {
		close(fd); /* replaced between the two looks */
		ctscope_error_set(err, EINVAL, NULL, "%s is not a namespace file", path);
		return -1;
	}
	if (fd < 0) {
		int e = errno;
		const char *advice = NULL;
		if (e == ENOENT)
			advice = "list the namespaces with 'ip netns list'";
		else if ((e == EACCES || e == EPERM) && geteuid() != 0)
			advice = "needs root to open another process's namespace";
		else if (e == EACCES || e == EPERM)
			advice = "refused even to root: a security module or a foreign PID namespace guards it";
		ctscope_error_set(err, e, advice, "cannot open network namespace '%s' (%s)", spec, path);
		return -1;
	}
	return fd;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int ctscope_netns_enter(int ns_fd, const char *spec, int *saved, struct ctscope_error *err)
{
	*saved = -1;
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		ctscope_error_set(err, errno, "is /proc mounted?", "cannot open this thread's network namespace");
		return -1;
	}
	if (same_file(self, ns_fd)) {
		close(self);
		return 0;
	}
	if (setns(ns_fd, CLONE_NEWNET) < 0) {
		int e = errno;
		close(self);
		ctscope_error_set(err, e,
		                  e == EPERM ? "needs CAP_SYS_ADMIN to enter another namespace; run as root or "
		                               "setcap cap_net_admin,cap_sys_admin+ep on the binary"
		                             : (e == EINVAL ? "is it a network namespace?" : NULL),
		                  "cannot enter network namespace '%s'", spec ? spec : "(own)");
		return -1;
	}
	*saved = self;
	return 0;
}

int ctscope_netns_leave(int saved, struct ctscope_error *err)
{
	if (saved < 0)
		return 0;
	int rc = setns(saved, CLONE_NEWNET);
	int e = errno;
	close(saved);
	if (rc < 0) {
		ctscope_error_set(err, e, NULL, "cannot return to the original network namespace");
		return -1;
	}
	return 0;
}

int ctscope_netns_check(const char *spec, uint64_t dev, uint64_t ino, struct ctscope_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	if (!spec)
		return 0; /* our own namespace cannot go away under us */
	if (spec_path(spec, path, sizeof(path), err) < 0)
		return -1;
	if (stat(path, &st) < 0 || (uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino) {
		if (strncmp(spec, "pid:", 4) == 0)
			ctscope_error_set(err, ENOENT, "it is read again once it is back",
			                  "network namespace '%s' is gone (process %s exited, or its number now belongs to "
			                  "a process in another namespace)",
			                  spec, spec + 4);
		else
			ctscope_error_set(err, ENOENT, "it is read again once it is back",
			                  "network namespace '%s' is gone (%s was deleted, or now names another namespace)",
			                  spec, path);
		return -1;
	}
	return 0;
}
