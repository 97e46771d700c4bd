#!/bin/bash
# netns_forms: every way DESIGN.md names a namespace reads the same table.
# One namespace holds 1,234 injected entries (a count no other namespace
# here is likely to have); ctscope must find exactly those through
# --netns NAME, --netns /run/netns/NAME, --netns pid:N (a process living in
# it) and with no --netns when started inside it (`ip netns exec`), and the
# JSON's `netns` must echo the spec as given.
# Run by tests/run-tests.sh (which exports CTSCOPE_SRC) or straight from the
# repo root; a missing lib.sh must stop the test, not let it pass without it.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
ct_need "$CTSCOPE" "$CTINJECT"
ct_netns forms
echo "proto=udp src=10.98.0.1 dst=10.98.1.1 sport=1 dport=53 timeout=3000 count=1234 vary=sport" |
	"$CTINJECT" -q --netns "$CT_NS" || ct_fail "cannot inject 1,234 entries into $CT_NS"

ip netns exec "$CT_NS" sleep 60 &
holder=$!
ct_on_exit "kill $holder"
# `ip netns exec` enters the namespace after the fork: wait until it has.
want_ino=$(stat -L -c %i "/run/netns/$CT_NS")
for _ in $(seq 50); do [ "$(stat -L -c %i /proc/$holder/ns/net 2>/dev/null)" = "$want_ino" ] && break; sleep 0.1; done
[ "$(stat -L -c %i /proc/$holder/ns/net 2>/dev/null)" = "$want_ino" ] || ct_fail "process $holder did not enter $CT_NS within 5 s"

failures=0
# expect_read WANT_NETNS_KEY CMD...: the JSON object has entries 1234,
# protocols.udp 1234 and netns WANT_NETNS_KEY ("null" for the own namespace).
expect_read() {
	local want=$1
	shift
	local out
	if ! out=$("$@" 2>&1); then
		echo "FAIL: $* exited non-zero: $out"
		failures=$((failures + 1))
		return
	fi
	if ! python3 - "$want" "$out" <<'PY'; then
import json, sys
want, text = sys.argv[1], sys.argv[2]
objs = [json.loads(l) for l in text.splitlines() if l.strip()]
if len(objs) != 1:
    sys.exit(f"expected one JSON object, got {len(objs)}")
o = json.loads(text)
got = (o.get("netns"), o.get("table", {}).get("entries"), o.get("protocols", {}).get("udp"))
expect = (None if want == "null" else want, 1234, 1234)
if got != expect:
    sys.exit(f"(netns, entries, udp) = {got}, expected {expect}")
PY
		echo "FAIL: $*"
		failures=$((failures + 1))
		return
	fi
	echo "ok: $*"
}

expect_read "$CT_NS" "$CTSCOPE" --json --netns "$CT_NS"
expect_read "/run/netns/$CT_NS" "$CTSCOPE" --json --netns "/run/netns/$CT_NS"
expect_read "pid:$holder" "$CTSCOPE" --json --netns "pid:$holder"
expect_read null ip netns exec "$CT_NS" "$CTSCOPE" --json

[ $failures -eq 0 ] || ct_fail "$failures way(s) of naming the namespace read the wrong table (see above)"
echo "PASS: NAME, path, pid:N and the own namespace all read the same 1,234 entries"
