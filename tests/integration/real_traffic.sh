#!/bin/bash
# real_traffic: entries the kernel made from real packets, not injected ones.
# Two namespaces joined by a veth pair (10.99.0.0/24 and fd00:99::/64, inside
# the namespaces only), an nft ruleset using conntrack in both. The client
# opens TCP connections to the server's port 8080 (some kept ESTABLISHED,
# over IPv4 and IPv6, some closed so they sit in TIME_WAIT) and sends UDP
# datagrams that the server answers; a few connections go to 10.99.0.200:80,
# which the client's nft DNATs to the server, so the client's table holds
# NAT entries whose original destination is the address dialled; and a few
# UDP datagrams get conntrack zones from the client's nft (`ct zone set 9`,
# `ct original zone set 11`, `ct reply zone set 13`: only the first two are
# zones of the original direction, the ones DESIGN.md counts). Then, in
# each namespace, ctscope must agree with `conntrack -L` on every count and
# name [10.99.0.2]:8080 as the top destination; conntrack -L itself must show
# the traffic we made, so the check is not vacuous. Both namespaces are also
# read by one ctscope call (--netns twice: one JSON object each).
# Run by tests/run-tests.sh (which exports CTSCOPE_SRC) or straight from the
# repo root; a missing lib.sh must stop the test, not let it pass without it.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
TOOLS=$CTSCOPE_SRC/tests/tools
ct_need "$CTSCOPE"
ct_need nft conntrack python3

KEEP4=200  # ESTABLISHED over IPv4
KEEP6=40   # ESTABLISHED over IPv6
CLOSE=100  # closed by the client: TIME_WAIT
UDP=50     # UDP request/answer pairs, one source port each
NAT=30     # ESTABLISHED to 10.99.0.200:80, DNATed by the client to 10.99.0.2:8080
Z9=5       # UDP to port 7000 in zone 9 (both directions)
Z11=4      # UDP to port 7001 in zone 11 (original direction only)
Z13=3      # UDP to port 7003 in reply zone 13 (zone 0 as DESIGN.md counts)

ct_tmpdir traffic

ct_veth_pair cli srv 99
CLI=$CT_CLI
SRV=$CT_SRV
# UDP entries live 30 s by default and would slip from le_1m into le_10s
# while a slow machine reads four times; 300 s keeps every band still.
for ns in "$CLI" "$SRV"; do
	ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=300 net.netfilter.nf_conntrack_udp_timeout_stream=300 ||
		ct_fail "cannot set the UDP conntrack timeouts in $ns"
done

ip netns exec "$CLI" nft -f - <<'NFT' || ct_fail "cannot load the nft DNAT rule in $CLI"
table ip ctscope_test_nat {
	chain out {
		type nat hook output priority -100; policy accept;
		ip daddr 10.99.0.200 tcp dport 80 dnat to 10.99.0.2:8080
	}
}
table inet ctscope_test_zone {
	chain out {
		type filter hook output priority -300; policy accept;
		udp dport 7000 ct zone set 9
		udp dport 7001 ct original zone set 11
		udp dport 7003 ct reply zone set 13
	}
}
NFT


ip netns exec "$SRV" timeout 100 python3 "$TOOLS/peer.py" server 99 "$tmp/srv.ready" &
ct_on_exit "kill $! 2>/dev/null"
for _ in $(seq 50); do [ -e "$tmp/srv.ready" ] && break; sleep 0.1; done
[ -e "$tmp/srv.ready" ] || ct_fail "the server did not start listening in $SRV within 5 s"

ip netns exec "$CLI" timeout 70 python3 "$TOOLS/peer.py" client 99 $KEEP4 $KEEP6 $CLOSE $UDP $NAT $Z9 $Z11 $Z13 "$tmp/cli.ready" "$tmp/cli.done" \
	2>"$tmp/cli.err" &
client=$!
ct_on_exit "touch $tmp/cli.done; kill $client 2>/dev/null"
for _ in $(seq 300); do [ -e "$tmp/cli.ready" ] || ! kill -0 $client 2>/dev/null || sleep 0.1; done
[ -e "$tmp/cli.ready" ] || ct_fail "the client did not finish its connections within 30 s: $(cat "$tmp/cli.err")"
ct_log "traffic made: $KEEP4+$KEEP6 open, $CLOSE closed, $UDP udp, $NAT through DNAT, $Z9+$Z11+$Z13 zoned udp"

# check NS SIDE [JSON]: ctscope (its JSON from a call of its own, or the
# given file holding several namespaces) vs conntrack -L in NS, then what the
# traffic must show on that side.
check() {
	local ns=$1 side=$2 json=${3:-}
	if [ -z "$json" ]; then
		json=$tmp/$ns.json
		"$CTSCOPE" --json --netns "$ns" --top 5 >"$json" 2>"$tmp/$ns.err" ||
			ct_fail "ctscope --json --netns $ns failed: $(cat "$tmp/$ns.err")"
	fi
	ip netns exec "$ns" conntrack -L -o extended >"$tmp/$ns.dump" 2>"$tmp/$ns.dump.err" ||
		ct_fail "conntrack -L failed in $ns: $(cat "$tmp/$ns.dump.err")"
	cat "$tmp/$ns.dump" "$tmp/$ns.dump.err" | python3 "$TOOLS/truth.py" --top 5 >"$tmp/$ns.truth" ||
		ct_fail "truth.py could not parse conntrack -L's output for $ns"
	python3 "$TOOLS/compare.py" "$json" "$tmp/$ns.truth" --top 5 --netns "$ns" ||
		ct_fail "ctscope disagrees with conntrack -L in $ns (see MISMATCH lines above)"
	python3 - "$tmp/$ns.truth" "$json" "$ns" "$side" $KEEP4 $KEEP6 $CLOSE $UDP $NAT $Z9 $Z11 $Z13 <<'PY' || ct_fail "the table in $ns is not what the traffic should have made (see above)"
import ipaddress, json, sys
truth = json.load(open(sys.argv[1]))
ct = [o for o in map(json.loads, open(sys.argv[2]).read().splitlines()) if o["netns"] == sys.argv[3]][0]
side = sys.argv[4]
keep4, keep6, close, udp, nat, z9, z11, z13 = map(int, sys.argv[5:13])
want = {
    "tcp_states.established": keep4 + keep6 + nat,
    "tcp_states.time_wait": close,
    "protocols.udp": udp + z9 + z11 + z13,
    "families.ipv6": keep6,
    # The client sees the address it dialled (before NAT); the server sees
    # plain connections to itself.
    "flags.nat": nat if side == "client" else 0,
}
ok = True
zones = {"9": z9, "11": z11} if side == "client" else {}
for what, got in (("conntrack -L", truth["zones"]), ("ctscope", ct["zones"])):
    if got != zones:
        print(f"FAIL: {what} shows zones {got}, the traffic made {zones}")
        ok = False
for name, n in want.items():
    group, key = name.split(".")
    if truth[group][key] != n:
        print(f"FAIL: conntrack -L shows {name} = {truth[group][key]}, the traffic made {n}")
        ok = False
def dests(d):
    return [(x["protocol"], ipaddress.ip_address(x["address"]), x["port"], x["entries"]) for x in d]
expect = [("tcp", ipaddress.ip_address("10.99.0.2"), 8080, keep4 + close + (0 if side == "client" else nat)),
          ("tcp", ipaddress.ip_address("fd00:99::2"), 8080, keep6)]
if side == "client":
    expect.append(("tcp", ipaddress.ip_address("10.99.0.200"), 80, nat))
for what, got in (("conntrack -L", dests(truth["top_destinations"])), ("ctscope", dests(ct["top_destinations"]))):
    missing = [e for e in expect if e not in got]
    if got[0] != expect[0] or missing:
        print(f"FAIL: {what}'s top destinations are {got}; expected {expect[0]} first and all of {expect}")
        ok = False
sys.exit(0 if ok else 1)
PY
	ct_log "$ns: ctscope agrees with conntrack -L and names 10.99.0.2:8080"
}
check "$CLI" client
check "$SRV" server
# One call, two namespaces: one JSON line each, each matching its own table.
"$CTSCOPE" --json --netns "$CLI" --netns "$SRV" --top 5 >"$tmp/both.json" 2>"$tmp/both.err" ||
	ct_fail "ctscope --json --netns $CLI --netns $SRV failed: $(cat "$tmp/both.err")"
[ "$(grep -c . "$tmp/both.json")" -eq 2 ] || ct_fail "ctscope with --netns twice printed $(grep -c . "$tmp/both.json") JSON lines, expected 2"
check "$CLI" client "$tmp/both.json"
check "$SRV" server "$tmp/both.json"
touch "$tmp/cli.done"
echo "PASS: real TCP and UDP traffic counted by state in both namespaces, 10.99.0.2:8080 on top"
