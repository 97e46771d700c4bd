#!/bin/bash
# real_traffic: entries the kernel made from real packets, not injected ones.
# Two namespaces joined by a veth pair (10.99.0.0/24 and fd00:99::/64, inside
# the namespaces only), an nft ruleset using conntrack in both. The client
# opens TCP connections to the server's port 8080 (some kept ESTABLISHED,
# over IPv4 and IPv6, some closed so they sit in TIME_WAIT) and sends UDP
# datagrams that the server answers. Then, in each namespace, ctscope must
# agree with `conntrack -L` on every count and name [10.99.0.2]:8080 as the
# top destination; and conntrack -L itself must show the traffic we made,
# so the check is not vacuous.
source "$CTSCOPE_SRC/tests/lib.sh"
ct_need_root
TOOLS=$CTSCOPE_SRC/tests/tools
[ -x "$CTSCOPE" ] || ct_fail "$CTSCOPE is missing: build it with \`make BUILD=$BUILD\`"
for cmd in nft conntrack python3; do
	command -v $cmd >/dev/null || ct_fail "$cmd is missing (make deps installs it)"
done

KEEP4=200  # ESTABLISHED over IPv4
KEEP6=40   # ESTABLISHED over IPv6
CLOSE=100  # closed by the client: TIME_WAIT
UDP=50     # UDP request/answer pairs, one source port each

tmp=$(mktemp -d /tmp/ctscope-traffic.XXXXXX)
ct_on_exit "rm -rf $tmp"

ct_netns cli
CLI=$CT_NS
ct_netns srv
SRV=$CT_NS
ip -n "$CLI" link add veth0 type veth peer name veth1 netns "$SRV" || ct_fail "cannot create the veth pair"
ip -n "$CLI" addr add 10.99.0.1/24 dev veth0
ip -n "$SRV" addr add 10.99.0.2/24 dev veth1
ip -n "$CLI" addr add fd00:99::1/64 dev veth0 nodad
ip -n "$SRV" addr add fd00:99::2/64 dev veth1 nodad
ip -n "$CLI" link set veth0 up
ip -n "$SRV" link set veth1 up

# A rule that uses conntrack makes the kernel track the namespace's traffic.
# (nft wants the nested form on several lines.)
for ns in "$CLI" "$SRV"; do
	ip netns exec "$ns" nft -f - <<'NFT' || ct_fail "cannot load the nft ruleset in $ns"
table inet ctscope_test {
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
done

cat >"$tmp/peer.py" <<'PY'
"""Server: accepts on 8080 (v4 and v6), closes when the client does, and
answers UDP on 5353. Client: opens and closes connections as told, then
writes READY and holds its sockets until DONE appears (or 60 s pass)."""
import os, selectors, socket, sys, time

def server(ready):
    sel = selectors.DefaultSelector()
    for fam, addr in ((socket.AF_INET, "10.99.0.2"), (socket.AF_INET6, "fd00:99::2")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, 8080)); s.listen(512); sel.register(s, selectors.EVENT_READ, "listen")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("10.99.0.2", 5353)); sel.register(u, selectors.EVENT_READ, "udp")
    open(ready, "w").close()
    end = time.time() + 90
    while time.time() < end:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            if key.data == "listen":
                c, _ = s.accept(); sel.register(c, selectors.EVENT_READ, "conn")
            elif key.data == "udp":
                data, peer = s.recvfrom(100); s.sendto(data, peer)
            else:
                if not s.recv(100):
                    sel.unregister(s); s.close()

def client(keep4, keep6, close, udp, ready, done):
    held = []
    for _ in range(keep4):
        s = socket.create_connection(("10.99.0.2", 8080), timeout=5); s.sendall(b"hello"); held.append(s)
    for _ in range(keep6):
        s = socket.create_connection(("fd00:99::2", 8080), timeout=5); s.sendall(b"hello"); held.append(s)
    for _ in range(close):
        s = socket.create_connection(("10.99.0.2", 8080), timeout=5); s.sendall(b"bye"); s.close()
    for _ in range(udp):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
        s.sendto(b"ping", ("10.99.0.2", 5353)); s.recvfrom(100); s.close()
    time.sleep(1)  # let the last FIN/ACK exchanges settle into TIME_WAIT
    open(ready, "w").close()
    end = time.time() + 60
    while not os.path.exists(done) and time.time() < end:
        time.sleep(0.1)

if sys.argv[1] == "server":
    server(sys.argv[2])
else:
    client(*map(int, sys.argv[2:6]), sys.argv[6], sys.argv[7])
PY

ip netns exec "$SRV" timeout 100 python3 "$tmp/peer.py" server "$tmp/srv.ready" &
ct_on_exit "kill $! 2>/dev/null"
for _ in $(seq 50); do [ -e "$tmp/srv.ready" ] && break; sleep 0.1; done
[ -e "$tmp/srv.ready" ] || ct_fail "the server did not start listening in $SRV within 5 s"

ip netns exec "$CLI" timeout 70 python3 "$tmp/peer.py" client $KEEP4 $KEEP6 $CLOSE $UDP "$tmp/cli.ready" "$tmp/cli.done" \
	2>"$tmp/cli.err" &
client=$!
ct_on_exit "touch $tmp/cli.done; kill $client 2>/dev/null"
for _ in $(seq 300); do [ -e "$tmp/cli.ready" ] || ! kill -0 $client 2>/dev/null || sleep 0.1; done
[ -e "$tmp/cli.ready" ] || ct_fail "the client did not finish its connections within 30 s: $(cat "$tmp/cli.err")"
ct_log "traffic made: $KEEP4+$KEEP6 open, $CLOSE closed, $UDP udp"

# check NS: ctscope vs conntrack -L in NS, then what the traffic must show.
check() {
	local ns=$1
	"$CTSCOPE" --json --netns "$ns" --top 5 >"$tmp/$ns.json" 2>"$tmp/$ns.err" ||
		ct_fail "ctscope --json --netns $ns failed: $(cat "$tmp/$ns.err")"
	ip netns exec "$ns" conntrack -L -o extended >"$tmp/$ns.dump" 2>"$tmp/$ns.dump.err" ||
		ct_fail "conntrack -L failed in $ns: $(cat "$tmp/$ns.dump.err")"
	cat "$tmp/$ns.dump" "$tmp/$ns.dump.err" | python3 "$TOOLS/truth.py" --top 5 >"$tmp/$ns.truth" ||
		ct_fail "truth.py could not parse conntrack -L's output for $ns"
	python3 "$TOOLS/compare.py" "$tmp/$ns.json" "$tmp/$ns.truth" --top 5 --netns "$ns" ||
		ct_fail "ctscope disagrees with conntrack -L in $ns (see MISMATCH lines above)"
	python3 - "$tmp/$ns.truth" "$tmp/$ns.json" $KEEP4 $KEEP6 $CLOSE $UDP <<'PY' || ct_fail "the table in $ns is not what the traffic should have made (see above)"
import ipaddress, json, sys
truth, ct = (json.load(open(p)) for p in sys.argv[1:3])
keep4, keep6, close, udp = map(int, sys.argv[3:7])
want = {
    "tcp_states.established": keep4 + keep6,
    "tcp_states.time_wait": close,
    "protocols.udp": udp,
    "families.ipv6": keep6,
}
ok = True
for name, n in want.items():
    group, key = name.split(".")
    if truth[group][key] != n:
        print(f"FAIL: conntrack -L shows {name} = {truth[group][key]}, the traffic made {n}")
        ok = False
top = ct["top_destinations"][0]
if (top["protocol"], ipaddress.ip_address(top["address"]), top["port"], top["entries"]) != \
        ("tcp", ipaddress.ip_address("10.99.0.2"), 8080, keep4 + close):
    print(f"FAIL: ctscope's top destination is {top}, expected tcp 10.99.0.2:8080 with {keep4 + close}")
    ok = False
sys.exit(0 if ok else 1)
PY
	ct_log "$ns: ctscope agrees with conntrack -L and names 10.99.0.2:8080"
}
check "$CLI"
check "$SRV"
touch "$tmp/cli.done"
echo "PASS: real TCP and UDP traffic counted by state in both namespaces, 10.99.0.2:8080 on top"
