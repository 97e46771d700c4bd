/* nsid.h — which namespace a NetNS spec names right now.
 *
 * A collector's socket keeps its namespace alive: after `ip netns del web;
 * ip netns add web`, or once process N of "pid:N" exits, a collector opened
 * earlier goes on reading the old, orphaned table and reports its stale
 * numbers without any error (seen with collectd 5.12 here). The plugin
 * therefore notes the identity (device and inode of the nsfs file) of the
 * spec's namespace when it opens a collector, and compares it each interval;
 * a change means: drop the collector and open the namespace the spec names
 * now. The spec-to-path rule is DESIGN.md's contract ("NAME" is
 * /run/netns/NAME, a path, or "pid:N"), the same one the core applies. */
#ifndef CTSCOPE_CD_NSID_H
#define CTSCOPE_CD_NSID_H

#include <stdbool.h>
#include <sys/types.h>

struct ctscope_cd_nsid {
	dev_t dev;
	ino_t ino;
};

/* Fills *id for spec (not NULL). Returns 0, or -1 with errno set when the
 * spec names nothing now (ENOENT: namespace deleted, process gone). */
int ctscope_cd_nsid_get(const char *spec, struct ctscope_cd_nsid *id);

bool ctscope_cd_nsid_same(const struct ctscope_cd_nsid *a, const struct ctscope_cd_nsid *b);

#endif
