/* nsid.c — the identity of the namespace a NetNS spec names (nsid.h says
 * why the plugin needs it). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nsid.h"

int ctscope_cd_nsid_get(const char *spec, struct ctscope_cd_nsid *id)
{
	char path[PATH_MAX];
	int n;
	if (strncmp(spec, "pid:", 4) == 0)
		n = snprintf(path, sizeof(path), "/proc/%s/ns/net", spec + 4);
	else if (strchr(spec, '/'))
		n = snprintf(path, sizeof(path), "%s", spec);
	else
		n = snprintf(path, sizeof(path), "/run/netns/%s", spec);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* stat, not lstat: /proc/N/ns/net is a magic link to the nsfs inode,
	 * and a bind-mounted /run/netns/NAME shows the nsfs inode too. */
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 0;
}

bool ctscope_cd_nsid_same(const struct ctscope_cd_nsid *a, const struct ctscope_cd_nsid *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}
