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

# ct_track NS: a rule that uses conntrack, without which the kernel tracks
# none of a namespace's traffic. (nft wants the nested form on several lines.)
ct_track() {
	ip netns exec "$1" nft -f - <<'NFT' || ct_fail "cannot load the conntrack ruleset in $1"
table inet ctscope_track {
	chain in {
		type filter hook input priority 0; policy accept;
		ct state new counter
	}
	chain out {
		type filter hook output priority 0; policy accept;
		ct state new counter
	}
}
NFT
}

# ct_veth_pair CLI SRV N: two namespaces, CT_CLI and CT_SRV (made as
# ct_netns does), joined by a veth pair: 10.N.0.1 and fd00:N::1 on veth0 in
# the client, .2 and ::2 on veth1 in the server (addresses inside the
# namespaces only), both tracked (ct_track). The client's ephemeral ports
# are 20000-59999, so servers bound outside them never meet a remapped port.
ct_veth_pair() {
	ct_netns "$1"
	CT_CLI=$CT_NS
	ct_netns "$2"
	CT_SRV=$CT_NS
	ip -n "$CT_CLI" link add veth0 type veth peer name veth1 netns "$CT_SRV" || ct_fail "cannot create the veth pair"
	ip -n "$CT_CLI" addr add "10.$3.0.1/24" dev veth0
	ip -n "$CT_SRV" addr add "10.$3.0.2/24" dev veth1
	ip -n "$CT_CLI" addr add "fd00:$3::1/64" dev veth0 nodad
	ip -n "$CT_SRV" addr add "fd00:$3::2/64" dev veth1 nodad
	ip -n "$CT_CLI" link set veth0 up
	ip -n "$CT_SRV" link set veth1 up
	ip netns exec "$CT_CLI" sysctl -qw net.ipv4.ip_local_port_range="20000 59999" ||
		ct_fail "cannot set the client's port range"
	ct_track "$CT_CLI"
	ct_track "$CT_SRV"
}

# ct_watch OUT ERR: call right after starting a ctscope (or a pipe ending
# in one) in the background with its report lines going to OUT and its
# errors to ERR; ct_wait_lines then follows it, and it is killed when the
# test exits. CT_WATCHER is its pid.
ct_watch() {
	CT_WATCHER=$!
	CT_WATCH_OUT=$1
	CT_WATCH_ERR=$2
	ct_on_exit "kill $CT_WATCHER 2>/dev/null"
}
ct_lines() { grep -c . "$CT_WATCH_OUT"; }
# ct_wait_lines N [SECONDS]: until the watched ctscope has printed N lines
# (within 30 s by default); fails at once if it exits first.
ct_wait_lines() {
	local i limit=${2:-30}
	for ((i = 0; i < limit * 10; i++)); do
		[ "$(ct_lines)" -ge "$1" ] && return 0
		ct_watched_alive
		sleep 0.1
	done
	ct_fail "ctscope printed $(ct_lines) lines in $limit s, expected $1: $(cat "$CT_WATCH_ERR")"
}
ct_watched_alive() { kill -0 "$CT_WATCHER" 2>/dev/null || ct_fail "ctscope exited early: $(cat "$CT_WATCH_ERR")"; }

# ct_need THING...: a path (contains '/') must be an executable we build, a
# bare word a command a Debian package installs; the test fails otherwise.
ct_need() {
	local t
	for t in "$@"; do
		case $t in
		*/*) [ -x "$t" ] || ct_fail "$t is missing: build it with \`make BUILD=$BUILD all tests\`" ;;
		*) command -v "$t" >/dev/null || ct_fail "$t is missing: run 'sudo make deps'" ;;
		esac
	done
}

# ct_tmpdir NAME: a fresh directory in $tmp, removed when the test exits.
ct_tmpdir() {
	tmp=$(mktemp -d "/tmp/ctscope-$1.XXXXXX") || ct_fail "cannot make a temporary directory"
	ct_on_exit "rm -rf $tmp"
}

# ct_stop PID SECONDS: SIGTERM (a daemon's clean shutdown), wait up to
# SECONDS for it to exit, then SIGKILL; returns 1 when SIGKILL was needed.
ct_stop() {
	local i
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	local killed=0
	kill -KILL "$1" 2>/dev/null && killed=1
	wait "$1" 2>/dev/null
	return $killed
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
