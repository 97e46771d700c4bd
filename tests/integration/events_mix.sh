#!/bin/bash
# events_mix: event mode stays true to the table while it changes under it.
# ctscope runs `--mode events --interval 1` on a namespace holding the
# long-lived part of the integration mix (58,700 entries, nothing that ages
# during the test); meanwhile 100,000 entries arrive at full speed (more
# events than a default receive buffer holds: DESIGN.md wants the overrun
# detected and answered with a resync) and the 3,000 entries of the hot
# destination are deleted. A report begun after the changes must then agree
# with `conntrack -L` exactly, like a dump would.
#
# CT_EVENTS_MODE=dump runs the same script in dump mode: a check of the test
# itself, which must pass whatever the state of event mode.
# Run by tests/run-tests.sh (which exports CTSCOPE_SRC) or straight from the
# repo root; a missing lib.sh must stop the test, not let it pass without it.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
TOOLS=$CTSCOPE_SRC/tests/tools
MODE=${CT_EVENTS_MODE:-events}
ct_need "$CTSCOPE" "$CTINJECT"
ct_tmpdir events

ct_netns events
ct_raise_max 300000
python3 "$TOOLS/mix.py" integration --min-timeout 1000 >"$tmp/mix" || ct_fail "mix.py failed"
"$CTINJECT" -q --netns "$CT_NS" <"$tmp/mix" || ct_fail "cannot inject the long-lived integration mix"

"$CTSCOPE" --mode "$MODE" --json --netns "$CT_NS" --top 5 --interval 1 --count 40 >"$tmp/out" 2>"$tmp/err" &
ct_watch "$tmp/out" "$tmp/err"

ct_wait_lines 1 20
ct_log "first report: $(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["table"]["entries"])' "$tmp/out") entries"
echo "proto=udp src=10.77.0.1 dst=192.0.2.200 sport=1 dport=9999 flags=seen_reply timeout=7200 count=100000 vary=sport" |
	"$CTINJECT" -q --netns "$CT_NS" || ct_fail "cannot inject 100,000 more entries while ctscope watches"
grep -m 1 'dst=198.51.100.10 ' "$tmp/mix" | "$CTINJECT" -q --delete --netns "$CT_NS" ||
	ct_fail "cannot delete the hot destination's 3,000 entries"
ct_log "changes done: +100,000 udp, -3,000 tcp"

# Two reports later, every report starts after the changes.
ct_wait_lines $(($(ct_lines) + 2)) 20
ip netns exec "$CT_NS" conntrack -L -o extended >"$tmp/dump" 2>"$tmp/dump.err" || ct_fail "conntrack -L failed: $(cat "$tmp/dump.err")"
cat "$tmp/dump" "$tmp/dump.err" | python3 "$TOOLS/truth.py" --top 5 >"$tmp/truth" || ct_fail "truth.py could not parse conntrack -L"
ct_wait_lines $(($(ct_lines) + 1)) 20
tail -n 1 "$tmp/out" >"$tmp/last.json"
python3 "$TOOLS/compare.py" "$tmp/last.json" "$tmp/truth" --top 5 ||
	ct_fail "ctscope --mode $MODE drifted from the table after 100,000 inserts and 3,000 deletes (see MISMATCH lines)"
python3 - "$tmp/last.json" "$MODE" <<'PY' || ct_fail "the collector section is not what DESIGN.md says for mode $MODE"
import json, sys
o = json.load(open(sys.argv[1]))
c = o.get("collector", {})
print(f"collector: {c}")
if o.get("mode") != sys.argv[2]:
    sys.exit(f"FAIL: mode is {o.get('mode')!r}, expected {sys.argv[2]!r}")
if sys.argv[2] == "events":
    missing = [k for k in ("events", "resyncs", "lost_events") if k not in c]
    if missing:
        sys.exit(f"FAIL: collector lacks {missing} in events mode")
    if c["events"] + c["resyncs"] == 0:
        sys.exit("FAIL: 103,000 changes and neither an event nor a resync counted")
PY
echo "PASS: --mode $MODE agrees with conntrack -L after 100,000 inserts and 3,000 deletes under watch"
