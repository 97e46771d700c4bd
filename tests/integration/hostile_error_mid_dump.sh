#!/bin/bash
# hostile_error_mid_dump: the kernel answers a dump with entries, then an
# NLMSG_ERROR (-EIO) instead of the rest. A recv() shim (LD_PRELOAD,
# compiled here) does it to the second buffer of dump number SHIM_DUMP: it keeps
# that buffer's first message, puts the error after it, and reads the real
# dump to its end underneath, as a kernel that fails a dump ends it.
# Must hold: that read fails with the reason (Input/output error) and
# nothing of the half-read table is printed; the reads before and after it
# in the same process report the whole table (ctscope --interval), and a
# one-shot run exits 1 with an empty stdout.
# (The parser's side of this: tests/unit/test_parse.c.)
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
ct_need "$CTSCOPE"
ct_need "$CTINJECT"
ct_need cc
ct_tmpdir midump
ct_netns midump
N=3000 # about 20 buffers of dump: the second one is mid-dump
echo "proto=tcp src=10.0.0.1 dst=192.0.2.1 sport=1 dport=443 count=$N vary=sport timeout=3600" |
	"$CTINJECT" --netns "$CT_NS" -q || ct_fail "cannot inject $N entries"

cat >"$tmp/shim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static ssize_t (*real_recv)(int, void *, size_t, int);
static int dumps, dump_buffers, in_dump, done;

static int has_type(const void *buf, size_t len, int type)
{
	const struct nlmsghdr *h = buf;
	for (size_t left = len; left >= sizeof(*h) && h->nlmsg_len >= sizeof(*h) && h->nlmsg_len <= left;) {
		if (h->nlmsg_type == type)
			return 1;
		size_t step = NLMSG_ALIGN(h->nlmsg_len);
		if (step >= left)
			break;
		left -= step;
		h = (const struct nlmsghdr *)((const char *)h + step);
	}
	return 0;
}

/* recv(2) as a kernel that fails the dump after one more entry. */
ssize_t recv(int fd, void *buf, size_t size, int flags)
{
	if (!real_recv)
		real_recv = (ssize_t (*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
	ssize_t n = real_recv(fd, buf, size, flags);
	const int entry = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	if (done || n <= 0)
		return n;
	if (has_type(buf, (size_t)n, entry) && !in_dump) {
		in_dump = 1;
		dumps++;
		dump_buffers = 0;
	}
	if (in_dump && has_type(buf, (size_t)n, NLMSG_DONE))
		in_dump = 0;
	const char *which = getenv("SHIM_DUMP");
	if (!has_type(buf, (size_t)n, entry) || dumps != (which ? atoi(which) : 1) || ++dump_buffers < 2)
		return n;
	done = 1;
	/* the rest of the real dump, read and dropped: the kernel's dump is over */
	if (!has_type(buf, (size_t)n, NLMSG_DONE)) {
		char *scratch = malloc(size);
		ssize_t m;
		while (scratch && (m = real_recv(fd, scratch, size, flags)) > 0 && !has_type(scratch, (size_t)m, NLMSG_DONE))
			;
		free(scratch);
	}
	struct nlmsghdr *first = buf;
	size_t keep = NLMSG_ALIGN(first->nlmsg_len);
	struct nlmsghdr *e = (struct nlmsghdr *)((char *)buf + keep);
	memset(e, 0, NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	e->nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
	e->nlmsg_type = NLMSG_ERROR;
	e->nlmsg_seq = first->nlmsg_seq;
	e->nlmsg_pid = first->nlmsg_pid;
	((struct nlmsgerr *)NLMSG_DATA(e))->error = -EIO;
	const char *mark = getenv("SHIM_MARK");
	if (mark)
		close(open(mark, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	return (ssize_t)(keep + e->nlmsg_len);
}
C
cc -shared -fPIC -O2 -o "$tmp/shim.so" "$tmp/shim.c" -ldl || ct_fail "cannot build the recv shim"
# run_shimmed DUMP ARGS...: dump number DUMP of the run gets the error.
run_shimmed() {
	local dump=$1
	shift
	rm -f "$tmp/spliced"
	env LD_PRELOAD="$tmp/shim.so" SHIM_MARK="$tmp/spliced" SHIM_DUMP="$dump" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" timeout 30 "$CTSCOPE" "$@"
}

# One shot: exit 1, the reason, nothing on stdout.
run_shimmed 1 --json --netns "$CT_NS" >"$tmp/one.out" 2>"$tmp/one.err"
rc=$?
[ -e "$tmp/spliced" ] || ct_fail "the shim never saw a second dump buffer (does the dump still use recv()?); exit $rc"
grep -qE 'Sanitizer|runtime error' "$tmp/one.err" && ct_fail "sanitizer report: $(cat "$tmp/one.err")"
[ $rc -eq 1 ] || ct_fail "one-shot read with an error mid-dump exits $rc, not 1: $(cat "$tmp/one.err")"
[ -s "$tmp/one.out" ] && ct_fail "a half-read table was printed: $(head -c 300 "$tmp/one.out")"
grep -q 'Input/output error' "$tmp/one.err" || ct_fail "the error does not say what the kernel said: $(cat "$tmp/one.err")"
ct_log "one shot: exit 1, $(head -n 1 "$tmp/one.err")"

# Three reads a second apart, the second failing: the other two are whole.
# (A first read that fails ends ctscope at once: the CLI takes that for a
# lasting problem, such as a missing privilege.)
run_shimmed 2 --json --interval 1 --count 3 --netns "$CT_NS" >"$tmp/three.out" 2>"$tmp/three.err"
rc=$?
[ -e "$tmp/spliced" ] || ct_fail "the shim never spliced in the --interval run"
grep -qE 'Sanitizer|runtime error' "$tmp/three.err" && ct_fail "sanitizer report: $(cat "$tmp/three.err")"
[ $rc -eq 1 ] || ct_fail "--interval run with one failed read exits $rc, not 1 (a read failed)"
[ "$(grep -c 'Input/output error' "$tmp/three.err")" -eq 1 ] || ct_fail "the failed read is not said exactly once: $(cat "$tmp/three.err")"
python3 - "$tmp/three.out" "$N" <<'PY' || ct_fail "the reads after the failed one are not whole (above)"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
want = int(sys.argv[2])
if len(lines) != 2:
    print(f"FAIL: {len(lines)} reports, expected 2 (3 reads, the second failed)")
    sys.exit(1)
for l in lines:
    d = json.loads(l)
    got = (d["table"]["entries"], d["protocols"]["tcp"], d["collector"]["entries_scanned"])
    if got != (want, want, want):
        print(f"FAIL: entries, tcp, scanned = {got}, expected {want} each")
        sys.exit(1)
print(f"2 whole reports of {want} entries around the failed read")
PY
echo "PASS: an error mid-dump fails that read with its reason, prints nothing half-read, and the reads around it are whole"
