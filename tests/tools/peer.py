#!/usr/bin/env python3
"""peer.py — both ends of the real traffic the integration tests make
between two namespaces joined by tests/lib.sh's ct_veth_pair (10.N.0.1 and
fd00:N::1 the client, .2 the server).

    peer.py server N READY
    peer.py client N KEEP4 KEEP6 CLOSE UDP NAT Z9 Z11 Z13 READY DONE

Server: accepts on 8080 (v4 and v6), closes when the client does, and
answers UDP on 5353. Client: keeps KEEP4 and KEEP6 connections open, opens
and closes CLOSE more (TIME_WAIT), makes UDP request/answer pairs, NAT
connections to 10.N.0.200:80 (the test's DNAT), Z9/Z11/Z13 datagrams to
ports 7000/7001/7003 (the test's zone rules); then writes READY and holds
its sockets until DONE appears (or 60 s pass). Traffic goes only to the
test's own namespaces, bounded in count and time."""
import os, selectors, socket, sys, time

def server(ready):
    sel = selectors.DefaultSelector()
    for fam, addr in ((socket.AF_INET, f"10.{NET}.0.2"), (socket.AF_INET6, f"fd00:{NET}::2")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, 8080)); s.listen(512); sel.register(s, selectors.EVENT_READ, "listen")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((f"10.{NET}.0.2", 5353)); sel.register(u, selectors.EVENT_READ, "udp")
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

def client(keep4, keep6, close, udp, nat, z9, z11, z13, ready, done):
    held = []
    # DNATed connections from ports outside the ephemeral range: a direct
    # connection reusing one of their source ports would clash with their
    # reply tuple, and the kernel would remap its port (a NAT entry too).
    for i in range(nat):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(5)
        s.bind((f"10.{NET}.0.1", 61000 + i)); s.connect((f"10.{NET}.0.200", 80)); s.sendall(b"hello"); held.append(s)
    for _ in range(keep4):
        s = socket.create_connection((f"10.{NET}.0.2", 8080), timeout=5); s.sendall(b"hello"); held.append(s)
    for _ in range(keep6):
        s = socket.create_connection((f"fd00:{NET}::2", 8080), timeout=5); s.sendall(b"hello"); held.append(s)
    for _ in range(close):
        s = socket.create_connection((f"10.{NET}.0.2", 8080), timeout=5); s.sendall(b"bye"); s.close()
    for _ in range(udp):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
        s.sendto(b"ping", (f"10.{NET}.0.2", 5353)); s.recvfrom(100); s.close()
    for port, n in ((7000, z9), (7001, z11), (7003, z13)):
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"zone", (f"10.{NET}.0.2", port)); s.close()
    time.sleep(1)  # let the last FIN/ACK exchanges settle into TIME_WAIT
    open(ready, "w").close()
    end = time.time() + 60
    while not os.path.exists(done) and time.time() < end:
        time.sleep(0.1)

NET = int(sys.argv[2])
if sys.argv[1] == "server":
    server(sys.argv[3])
else:
    client(*map(int, sys.argv[3:11]), sys.argv[11], sys.argv[12])
