#!/bin/bash
# hostile_no_ctnetlink: a kernel without ctnetlink (nfnetlink or
# nf_conntrack_netlink not there). This kernel has it built in, so the
# test makes socket(AF_NETLINK, ..., NETLINK_NETFILTER) fail with
# EPROTONOSUPPORT, as such a kernel answers, through a tiny LD_PRELOAD
# shim compiled here. Must hold: ctscope exits 1 naming the cause and the
# fix (modprobe nf_conntrack_netlink) with nothing on stdout; the netdata
# plugin, which cannot expect this to fix itself, says so once and prints
# DISABLE. Every other socket still works, so only this path is tested.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
PLUGIN=$BUILD/netdata-plugin/ctscope.plugin
ct_need "$CTSCOPE"
ct_need cc
ct_tmpdir nonl
ct_netns nonl

cat >"$tmp/shim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>
/* socket(2) as a kernel without nfnetlink answers it, for netfilter only */
int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	if (domain == AF_NETLINK && protocol == NETLINK_NETFILTER) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (!real)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	return real(domain, type, protocol);
}
C
cc -shared -fPIC -O2 -o "$tmp/shim.so" "$tmp/shim.c" -ldl || ct_fail "cannot build the socket shim"
# A sanitized build wants its runtime first in the library list; the shim
# only replaces socket(), so the order does not matter here.
shim=(env LD_PRELOAD="$tmp/shim.so" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")

failures=0
for args in "" "--json" "--mode stats" "--mode events"; do
	# shellcheck disable=SC2086 # word-split on purpose
	timeout 20 "${shim[@]}" "$CTSCOPE" $args --netns "$CT_NS" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	what="ctscope $args without ctnetlink"
	if [ $rc -ne 1 ] || [ -s "$tmp/out" ] || ! grep -q 'nf_conntrack_netlink' "$tmp/err" ||
		! grep -qi 'Protocol not supported' "$tmp/err" || grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
		echo "FAIL: $what: exit $rc (expected 1), stdout $(wc -c <"$tmp/out") bytes"
		sed 's/^/    stderr| /' "$tmp/err"
		failures=$((failures + 1))
	else
		echo "ok: $what: $(head -n 1 "$tmp/err")"
	fi
done

if [ -x "$PLUGIN" ]; then
	timeout 20 "${shim[@]}" "$PLUGIN" 1 --netns "$CT_NS" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 1 ] || [ "$(cat "$tmp/out")" != DISABLE ] || ! grep -q 'nf_conntrack_netlink' "$tmp/err"; then
		echo "FAIL: ctscope.plugin without ctnetlink: exit $rc (expected 1 and DISABLE), stdout: $(head -c 200 "$tmp/out")"
		sed 's/^/    stderr| /' "$tmp/err"
		failures=$((failures + 1))
	else
		echo "ok: ctscope.plugin without ctnetlink: DISABLE, $(grep -c . "$tmp/err") line(s) on stderr"
	fi
fi
[ $failures -eq 0 ] || ct_fail "$failures case(s) wrong (see above)"
echo "PASS: without ctnetlink every front-end says why and what to load"
