#!/bin/bash
# events_traffic: event mode follows entries the kernel makes from real
# packets — the NEW / UPDATE / DESTROY sequences of real connections, where
# an UPDATE carries the TCP state only when it changed, and a closing
# connection passes through FIN_WAIT, CLOSE_WAIT, LAST_ACK to TIME_WAIT.
# Injected entries never do that. Two namespaces joined by a veth pair, an
# nft ruleset using conntrack in both (with a DNAT and a zone on the client);
# `ctscope --mode events` watches both from before the first packet; then
# TCP connections are opened (IPv4, IPv6, through the DNAT), some closed,
# UDP requests answered, zoned datagrams sent. The client marks a connection
# on its first data packet: an UPDATE that carries the mark and no TCP state,
# which must not lose the state the mirror holds. A report made after the
# traffic must agree with `conntrack -L` in each namespace, with no resync
# and no lost event: the events alone built it.
#
# Except the timeout bands, on purpose: the kernel changes a timeout on a
# packet without an event — a connection's first data packet sets the 300 s
# "unacknowledged" timeout (the mark UPDATE reports that), its ACK the five
# days of ESTABLISHED (reported by nothing). Event mode's bands are as of an
# entry's last event until it is asked again (eventmode.c), so here they are
# only checked to cover every entry.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
TOOLS=$CTSCOPE_SRC/tests/tools
ct_need "$CTSCOPE"
ct_need nft conntrack python3
ct_tmpdir events-traffic

: >"$tmp/out"
ct_veth_pair evcli evsrv 98
CLI=$CT_CLI
SRV=$CT_SRV
ip netns exec "$CLI" nft -f - <<'NFT' || ct_fail "cannot load the DNAT and zone rules in $CLI"
table ip ctscope_ev_nat {
	chain out {
		type nat hook output priority -100; policy accept;
		ip daddr 10.98.0.200 tcp dport 80 dnat to 10.98.0.2:8080
	}
}
table inet ctscope_ev_zone {
	chain out {
		type filter hook output priority -300; policy accept;
		udp dport 7000 ct zone set 9
		udp dport 7001 ct original zone set 11
	}
}
table inet ctscope_ev_mark {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport 8080 tcp flags & psh == psh ct mark set 0x1
	}
}
NFT


ip netns exec "$SRV" timeout 100 python3 "$TOOLS/peer.py" server 98 "$tmp/srv.ready" &
ct_on_exit "kill $! 2>/dev/null"
for _ in $(seq 50); do [ -e "$tmp/srv.ready" ] && break; sleep 0.1; done
[ -e "$tmp/srv.ready" ] || ct_fail "the server did not start listening in $SRV within 5 s"

"$CTSCOPE" --mode events --json --netns "$CLI" --netns "$SRV" --top 5 --interval 1 --count 40 >"$tmp/out" 2>"$tmp/err" &
ct_watch "$tmp/out" "$tmp/err"
ct_wait_lines 2 # one line per namespace: subscribed and dumped before any traffic

ip netns exec "$CLI" timeout 70 python3 "$TOOLS/peer.py" client 98 200 40 100 50 30 5 4 0 "$tmp/cli.ready" "$tmp/cli.done" 2>"$tmp/cli.err" &
client=$!
ct_on_exit "touch $tmp/cli.done; kill $client 2>/dev/null"
for _ in $(seq 300); do [ -e "$tmp/cli.ready" ] || ! kill -0 $client 2>/dev/null || sleep 0.1; done
[ -e "$tmp/cli.ready" ] || ct_fail "the client did not finish its traffic within 30 s: $(cat "$tmp/cli.err")"
ct_log "traffic made: 240 open, 100 closed, 50 udp, 30 through DNAT, 9 zoned udp"

ct_wait_lines $(($(ct_lines) + 4)) # two reports of each namespace begun after the traffic
for ns in "$CLI" "$SRV"; do
	ip netns exec "$ns" conntrack -L -o extended >"$tmp/$ns.dump" 2>"$tmp/$ns.dump.err" ||
		ct_fail "conntrack -L failed in $ns: $(cat "$tmp/$ns.dump.err")"
	cat "$tmp/$ns.dump" "$tmp/$ns.dump.err" | python3 "$TOOLS/truth.py" --top 5 >"$tmp/$ns.truth" ||
		ct_fail "truth.py could not parse conntrack -L's output for $ns"
done
ct_wait_lines $(($(ct_lines) + 2))
tail -n 2 "$tmp/out" >"$tmp/last.json"
for ns in "$CLI" "$SRV"; do
	python3 "$TOOLS/compare.py" "$tmp/last.json" "$tmp/$ns.truth" --top 5 --netns "$ns" --timeout-slack 1 ||
		ct_fail "event mode disagrees with conntrack -L in $ns after real traffic (MISMATCH lines above)"
done
python3 - "$tmp/last.json" "$tmp/$CLI.truth" <<'PY' || ct_fail "the events did not build the table on their own"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
truth = json.load(open(sys.argv[2]))
# not vacuous: the client's table holds what the traffic made
for key, want in (("established", 270), ("time_wait", 100)):
    if truth["tcp_states"][key] != want:
        sys.exit(f"FAIL: conntrack -L shows {truth['tcp_states'][key]} {key} in the client, the traffic made {want}")
if truth["flags"]["nat"] != 30 or truth["zones"] != {"9": 5, "11": 4}:
    sys.exit(f"FAIL: conntrack -L shows nat {truth['flags']['nat']}, zones {truth['zones']}: not the traffic made")
for o in objs:
    if sum(o["timeouts"].values()) != o["table"]["entries"]:
        sys.exit(f"FAIL: {o['netns']}: the timeout bands hold {sum(o['timeouts'].values())} of {o['table']['entries']} entries")
    c = o["collector"]
    print(f"{o['netns']}: {o['table']['entries']} entries, collector {c}")
    if c["resyncs"] or c["lost_events"]:
        sys.exit(f"FAIL: {o['netns']}: {c['resyncs']} resyncs, {c['lost_events']} lost events")
    if c["events"] < 3 * 240:
        sys.exit(f"FAIL: {o['netns']}: {c['events']} events for 370 connections")
PY
touch "$tmp/cli.done"
echo "PASS: event mode built both tables from real traffic's events, as conntrack -L shows them"
