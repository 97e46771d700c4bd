#!/bin/bash
# top_wide: the longest top lists on the widest table. The integration
# distribution's entries with 100 s or more to live (150,583 of a
# 200,000 bench mix, so nothing expires or changes band while two slow
# readings run), each to a destination of its own, read with --top 1000, the maximum: every count exact, and each top list
# 1,000 long with the right counts, any of the tied keys accepted where the
# 1,000th count ties (all of them, for destinations).
# Run by tests/run-tests.sh (which exports CTSCOPE_SRC) or straight from the
# repo root; a missing lib.sh must stop the test, not let it pass without it.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
TOOLS=$CTSCOPE_SRC/tests/tools
ct_need "$CTSCOPE" "$CTINJECT"
ct_tmpdir top-wide

ct_netns wide
ct_raise_max 250000
python3 "$TOOLS/mix.py" bench 200000 --min-timeout 100 | "$CTINJECT" -q --netns "$CT_NS" || ct_fail "cannot inject the wide mix"
t0=$(date +%s%N)
"$CTSCOPE" --json --netns "$CT_NS" --top 1000 >"$tmp/ct.json" 2>"$tmp/ct.err" ||
	ct_fail "ctscope --json --top 1000 failed: $(cat "$tmp/ct.err")"
ip netns exec "$CT_NS" conntrack -L -o extended >"$tmp/dump" 2>"$tmp/dump.err" || ct_fail "conntrack -L failed: $(cat "$tmp/dump.err")"
ms=$((($(date +%s%N) - t0) / 1000000))
ct_log "ctscope and conntrack -L read $CT_NS in $ms ms"
# 150 s entries enter le_1m after 90 s: both readings must be done by then.
[ "$ms" -lt 30000 ] || ct_fail "reading the table twice took $ms ms: entries may have changed timeout band in between; the machine is too busy for this check"
cat "$tmp/dump" "$tmp/dump.err" | python3 "$TOOLS/truth.py" --top 1000 >"$tmp/truth" || ct_fail "truth.py could not parse conntrack -L"
python3 "$TOOLS/compare.py" "$tmp/ct.json" "$tmp/truth" --top 1000 ||
	ct_fail "ctscope --top 1000 disagrees with conntrack -L on a table of distinct destinations (see MISMATCH lines)"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["top_destinations"]))' "$tmp/ct.json")
[ "$n" -eq 1000 ] || ct_fail "ctscope listed $n top destinations, asked for 1000"
echo "PASS: --top 1000 over $(grep -c . "$tmp/dump") distinct destinations agrees with conntrack -L"
