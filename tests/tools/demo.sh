#!/bin/bash
# demo.sh — the seed's night replayed in a throwaway namespace (`make demo`):
# a table of 76,768 entries, 52,000 of them ESTABLISHED to one remote
# [2a00:1450:400b:c02::bc]:5228 with one to five days left, because the
# namespace's nf_conntrack_tcp_timeout_established is 432000 (five days).
# Prints ctscope's report for it; options are passed to ctscope (e.g. --json).
# The namespace is deleted on exit. Needs root.
#
#   BUILD=build ./tests/tools/demo.sh [ctscope options]
CTSCOPE_SRC=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
for bin in "$CTSCOPE" "$CTINJECT"; do
	[ -x "$bin" ] || ct_fail "$bin is missing: build it with \`make BUILD=$BUILD all tests\`"
done
ct_netns demo
ct_raise_max 100000
ip netns exec "$CT_NS" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=432000 ||
	ct_fail "cannot set nf_conntrack_tcp_timeout_established in $CT_NS"
python3 "$CTSCOPE_SRC/tests/tools/mix.py" demo | "$CTINJECT" -q --netns "$CT_NS" ||
	ct_fail "cannot inject the demo table into $CT_NS"
"$CTSCOPE" --netns "$CT_NS" "$@"
