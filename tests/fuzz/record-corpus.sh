#!/bin/bash
# Records the fuzzer's seed corpus: real kernel dump replies, byte for byte
# (tests/tools/ctrecord), from a throwaway namespace filled with ctinject.
# Seeds must be what the kernel really sends, not what we think it sends,
# or the fuzzer starts from our own assumptions. Run as root:
#   make BUILD=build tests && BUILD=build tests/fuzz/record-corpus.sh
# Rewrites tests/fuzz/corpus/*.bin; commit what changed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh" || exit 1
ct_need_root
CTRECORD=$BUILD/tests/tools/ctrecord
[ -x "$CTRECORD" ] && [ -x "$CTINJECT" ] || ct_fail "build the test tools first: make BUILD=$BUILD tests"
out=$here/corpus
mkdir -p "$out"

# record NAME LINES: an empty namespace, LINES injected, the dump recorded.
record() {
	local name=$1 lines=$2
	ct_netns "rec$name"
	printf '%s\n' "$lines" | "$CTINJECT" --netns "$CT_NS" -q || ct_fail "cannot inject the entries for $name"
	"$CTRECORD" --netns "$CT_NS" "$out/$name.bin" || ct_fail "cannot record $name"
	ip netns del "$CT_NS"
}

# One message each: the fuzzer mutates these the most cheaply.
record tcp4 'proto=tcp src=10.0.0.1 dst=192.0.2.1 sport=40000 dport=443 state=established flags=assured,seen_reply timeout=432000'
record tcp6 'proto=tcp src=2001:db8::1 dst=2a00:1450:400b:c02::bc sport=40000 dport=5228 state=syn_sent timeout=120'
record udp6 'proto=udp src=2001:db8::2 dst=2001:db8::53 sport=5353 dport=53 timeout=30'
record icmp 'proto=icmp src=10.0.0.2 dst=192.0.2.2 id=77 timeout=30'
record icmpv6 'proto=icmpv6 src=2001:db8::3 dst=2001:db8::4 id=78 timeout=30'
record gre 'proto=gre src=10.0.0.3 dst=192.0.2.3 sport=1 dport=2 timeout=180'
record sctp 'proto=sctp src=10.0.0.4 dst=192.0.2.4 sport=3868 dport=3868 state=established vtag_orig=11 vtag_reply=22 timeout=3000'
record nat 'proto=tcp src=10.0.0.5 dst=192.0.2.5 sport=1234 dport=80 reply_src=192.0.2.5 reply_dst=198.51.100.1 reply_sport=80 reply_dport=61000 state=time_wait flags=seen_reply timeout=120'
record zone 'proto=udp src=10.0.0.6 dst=192.0.2.6 sport=1000 dport=53 zone=7 timeout=30'
record empty ''

# The mix: every protocol, family, state and band in one multi-message
# buffer, the shape of a real dump reply.
record mix "$(cat <<'LINES'
proto=tcp src=10.0.1.1 dst=192.0.2.10 sport=30000 dport=443 state=established flags=assured,seen_reply timeout=432000 count=6 vary=sport
proto=tcp src=2001:db8::10 dst=2a00:1450:400b:c02::bc sport=30000 dport=5228 state=established flags=assured,seen_reply timeout=86401 count=4 vary=sport
proto=tcp src=10.0.1.2 dst=192.0.2.11 sport=1 dport=22 state=syn_recv timeout=60
proto=tcp src=10.0.1.3 dst=192.0.2.11 sport=2 dport=22 state=fin_wait flags=seen_reply timeout=120
proto=tcp src=10.0.1.4 dst=192.0.2.11 sport=3 dport=22 state=close_wait flags=seen_reply timeout=3600
proto=tcp src=10.0.1.5 dst=192.0.2.11 sport=4 dport=22 state=last_ack flags=seen_reply timeout=30
proto=tcp src=10.0.1.6 dst=192.0.2.11 sport=5 dport=22 state=close timeout=10
proto=tcp src=10.0.1.7 dst=192.0.2.11 sport=6 dport=22 state=listen timeout=600
proto=udp src=10.0.2.1 dst=192.0.2.53 sport=40000 dport=53 timeout=30 count=3 vary=sport
proto=udp src=10.0.2.2 dst=192.0.2.54 sport=123 dport=123 flags=assured,seen_reply zone=3 timeout=180
proto=udplite src=10.0.2.3 dst=192.0.2.55 sport=7 dport=7 timeout=30
proto=dccp src=10.0.2.4 dst=192.0.2.56 sport=8 dport=9 timeout=30
proto=icmp src=10.0.3.1 dst=192.0.2.1 id=1 timeout=30 zone=65535
proto=icmpv6 src=2001:db8::30 dst=2001:db8::31 id=2 timeout=30
proto=gre src=10.0.4.1 dst=192.0.2.70 sport=10 dport=20 timeout=180
proto=sctp src=2001:db8::40 dst=2001:db8::41 sport=5000 dport=5001 state=cookie_wait timeout=3
proto=tcp src=10.0.5.1 dst=192.0.2.80 sport=5555 dport=8080 reply_src=192.0.2.80 reply_dst=203.0.113.9 reply_sport=8080 reply_dport=1024 state=established flags=assured,seen_reply timeout=300 zone=12
LINES
)"

# Entries made by traffic carry what injected ones lack: counters
# (CTA_COUNTERS_*), a start timestamp (CTA_TIMESTAMP), a use count.
ct_netns rectraffic
ip netns exec "$CT_NS" sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1
ip netns exec "$CT_NS" nft -f - <<'NFT' || ct_fail "cannot add the nft rule that turns tracking on"
table inet t {
	chain out {
		type filter hook output priority 0; policy accept;
		ct state new counter
	}
}
NFT
ip netns exec "$CT_NS" python3 - <<'PY' || ct_fail "cannot make traffic in $CT_NS"
import socket
for fam, lo in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.bind((lo, 0)); srv.listen(1)
    cli = socket.create_connection((lo, srv.getsockname()[1]))
    conn, _ = srv.accept(); cli.sendall(b"x"); conn.recv(1)
    u = socket.socket(fam, socket.SOCK_DGRAM); u.sendto(b"x", (lo, 9))
PY
"$CTRECORD" --netns "$CT_NS" "$out/traffic.bin" || ct_fail "cannot record traffic"
ls -l "$out"
