#!/usr/bin/env python3
"""Seeds for fuzz_events, made from the recorded kernel dumps in corpus/:
the same messages (real kernel bytes) re-typed into event scripts, so the
fuzzer starts from updates, deletes and clock jumps instead of finding
the message types by chance. See fuzz_events.c for the script format.

    tests/fuzz/make-event-seeds.py      rewrites tests/fuzz/corpus-events/
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CT_NEW, CT_DELETE, NOOP, DONE = 0x0100, 0x0102, 0x0001, 0x0003
NLM_F_REQUEST, NLM_F_MULTI = 0x1, 0x2


def messages(path):
    data = open(path, "rb").read()
    off = 0
    while off + 16 <= len(data):
        length, typ = struct.unpack_from("<IH", data, off)
        if length < 16 or off + length > len(data):
            break
        if typ == CT_NEW:
            yield data[off:off + length]
        off += (length + 3) & ~3


def retype(msg, typ):
    return msg[:4] + struct.pack("<H", typ) + msg[6:]


def advance(seconds, gone=False):
    flags = (NLM_F_REQUEST if gone else 0) | (NLM_F_MULTI if seconds >= 600 else 0)
    return struct.pack("<IHHII", 16, NOOP, flags, seconds, 0)


def write(name, parts):
    with open(os.path.join(HERE, "corpus-events", name), "wb") as f:
        f.write(b"".join(parts))


def main():
    os.makedirs(os.path.join(HERE, "corpus-events"), exist_ok=True)
    mix = list(messages(os.path.join(HERE, "corpus", "mix.bin")))
    one = list(messages(os.path.join(HERE, "corpus", "tcp4.bin")))
    # every entry added, a third of them deleted again, the rest updated
    write("add-delete-update.bin", mix + [retype(m, CT_DELETE) for m in mix[::3]] + mix[1::3])
    # clock jumps: a few seconds, past a day, past level 0 of the wheel,
    # then everything due answered gone
    write("clock.bin", mix + [advance(5), advance(86401), advance(140000), advance(1, gone=True)])
    # the same entry added twice, deleted twice
    write("twice.bin", one + one + [retype(one[0], CT_DELETE)] * 2)


if __name__ == "__main__":
    main()
