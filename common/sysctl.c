/* sysctl.c — the namespace's conntrack sysctls, read through files opened
 * once inside the namespace (an open /proc/sys file keeps answering for
 * the namespace it was opened in, so reads need no setns). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void ctscope_sysctls_open(struct ctscope_sysctls *s)
{
	for (int i = 0; i < CTSCOPE_SYSCTL_COUNT; i++) {
		char path[160] = "/proc/sys/";
		const char *name = ctscope_sysctl_fullname((enum ctscope_sysctl)i);
		size_t n = strlen(path);
		for (const char *c = name; *c && n + 1 < sizeof(path); c++)
			path[n++] = *c == '.' ? '/' : *c;
		path[n] = '\0';
		s->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
	}
}

void ctscope_sysctls_close(struct ctscope_sysctls *s)
{
	for (int i = 0; i < CTSCOPE_SYSCTL_COUNT; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->fd[i] = -1;
	}
}

void ctscope_sysctls_read(const struct ctscope_sysctls *s, struct ctscope_snapshot *snap)
{
	for (int i = 0; i < CTSCOPE_SYSCTL_COUNT; i++) {
		char buf[32];
		snap->has_sysctl[i] = false;
		if (s->fd[i] < 0)
			continue;
		ssize_t n = pread(s->fd[i], buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		char *end;
		unsigned long long v = strtoull(buf, &end, 10);
		if (end == buf || (*end != '\n' && *end != '\0'))
			continue;
		snap->sysctl[i] = v;
		snap->has_sysctl[i] = true;
	}
}
