# tests/lib.sh — sourced by every integration and end-to-end test script.
# Conventions: exit 0 pass, 77 skip (after printing "SKIP: why"), else fail.
# Every namespace a test makes is named ctscope-t-* and deleted on exit,
# success or failure; the init namespace's table and sysctls are never
# touched, except raising (never lowering) nf_conntrack_max.

set -u
CTSCOPE_SRC=${CTSCOPE_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$CTSCOPE_SRC/build}
CTSCOPE=$BUILD/ctscope
CTINJECT=$BUILD/tests/tools/ctinject
_ct_netns=()
_ct_cleanups=()

ct_log() { echo "[$(date +%T)] $*"; }
ct_fail() { echo "FAIL: $*"; exit 1; }
ct_skip() { echo "SKIP: $*"; exit 77; }

# A test that needs root fails (not skips) when it is root but something it
# needs is missing; it skips only when it is not root.
ct_need_root() { [ "$(id -u)" -eq 0 ] || ct_skip "needs root (network namespaces, CAP_NET_ADMIN)"; }

_ct_cleanup() {
	local rc=$?
	local i
	for ((i = ${#_ct_cleanups[@]} - 1; i >= 0; i--)); do eval "${_ct_cleanups[i]}" >/dev/null 2>&1 || true; done
	for ns in "${_ct_netns[@]}"; do ip netns del "$ns" >/dev/null 2>&1 || true; done
	exit $rc
}
trap _ct_cleanup EXIT
trap 'exit 130' INT TERM

# ct_on_exit CMD: run CMD (a string) when the test exits, newest first.
ct_on_exit() { _ct_cleanups+=("$1"); }

# ct_netns SHORT: creates namespace ctscope-t-SHORT-PID with lo up, sets
# CT_NS to its name, deletes it when the test exits. Call it in the test's
# own shell (not inside $(...)), or the cleanup is lost.
ct_netns() {
	local ns="ctscope-t-$1-$$"
	ip netns add "$ns" || ct_fail "cannot create network namespace $ns"
	_ct_netns+=("$ns")
	ip -n "$ns" link set lo up
	CT_NS=$ns
}

# ct_raise_max N: makes sure nf_conntrack_max (global, init namespace only)
# is at least N. Never lowers it.
ct_raise_max() {
	local cur
	cur=$(sysctl -n net.netfilter.nf_conntrack_max)
	if [ "$cur" -lt "$1" ]; then sysctl -qw net.netfilter.nf_conntrack_max="$1" || ct_fail "cannot raise nf_conntrack_max to $1"; fi
}

# ct_count NS: the kernel's own entry count in NS.
ct_count() { ip netns exec "$1" conntrack -C; }
