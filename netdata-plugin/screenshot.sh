#!/bin/bash
# netdata-plugin/screenshot.sh [OUT.png] — renders netdata's own dashboard
# with ctscope.plugin's charts in headless Chromium, for the README.
# Needs root, a build (make && make tests), Debian netdata-core,
# netdata-web (the dashboard files) and chromium.
#
# A throwaway namespace gets the seed's night (tests/tools/mix.py demo:
# 52,000 of 76,768 entries ESTABLISHED to [2a00:1450:400b:c02::bc]:5228),
# then a burst of new connections to a second destination half-way, so the
# charts move; netdata (the test setup of tests/e2e/netdata.sh, web files
# added) charts it for a while, and Chromium photographs the dashboard.
CTSCOPE_SRC=$(cd "$(dirname "$0")/.." && pwd)
export CTSCOPE_SRC
BUILD=${BUILD:-$CTSCOPE_SRC/build}
BUILD=$(cd "$BUILD" && pwd) || exit 1
OUT=$(realpath -m "${1:-$CTSCOPE_SRC/netdata-plugin/screenshot.png}")
source "$(dirname "$0")/../tests/lib.sh" || exit 1
source "$CTSCOPE_SRC/tests/e2e/netdata_lib.sh" || exit 1
ct_need_root
nd_require chromium
[ -f /usr/share/netdata/web/index.html ] || ct_fail "no netdata dashboard files: apt-get install netdata-web"
nd_workdir netdata-shot

ct_netns shot
ns=$CT_NS
python3 "$CTSCOPE_SRC/tests/tools/mix.py" demo | "$CTINJECT" --netns "$ns" -q || ct_fail "cannot fill $ns"
ct_log "namespace $ns: $(ct_count "$ns") entries"

nd_make_install
# Events mode by default: each read costs what changed, not the table, so
# a busy build machine does not leave gaps in the picture (MODE=dump to
# see the default mode).
nd_conf "$(nd_free_port)" "--netns $ns --top 8 --mode ${MODE:-events}"
sed -i "s|^\[directories\]|[directories]\n\tweb = /usr/share/netdata/web|" "$W/netdata.conf"
nd_start
ct_log "netdata on http://127.0.0.1:$ND_PORT/"

sleep 40
"$CTINJECT" --netns "$ns" -q <<<'proto=tcp src=10.7.0.1 dst=198.51.100.25 sport=1024 dport=443 state=syn_sent timeout=110 count=6000 vary=sport' ||
	ct_fail "cannot add the burst"
sleep 50

# The dashboard draws charts as they scroll into view: one tall window
# shows them all. The virtual time budget lets its scripts fetch and draw.
# after/before (ms) pin the window to the minutes the plugin ran, instead
# of the dashboard's default of several mostly empty ones.
now=$(date +%s)
url="http://127.0.0.1:$ND_PORT/#menu_ctscope;after=$(((now - 95) * 1000));before=$((now * 1000))"
profile=$(mktemp -d)
ct_on_exit "rm -rf '$profile'"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
	--window-size=1400,2300 --virtual-time-budget=20000 --screenshot="$OUT" "$url" >"$W/chromium.out" 2>&1 ||
	{ tail "$W/chromium.out"; ct_fail "chromium could not take the screenshot"; }
[ -s "$OUT" ] || { tail "$W/chromium.out"; ct_fail "chromium wrote no $OUT"; }
ct_log "wrote $OUT"
