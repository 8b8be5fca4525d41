#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Drives a strongSwan charon over its vici socket to initiate many IKE SAs in parallel, for
the IKE setup-rate benchmark (docs/benchmarks.md). One `initiate` command per IKE SA, spread
over PARALLEL vici connections; prints one JSON line with the counts and the wall time.

The vici wire format (strongSwan's src/libcharon/plugins/vici/README.md): a 4-byte
big-endian length, a packet type, a name for named types, then a message of typed elements.
This client speaks only what `initiate` needs.

usage: vici_initiate.py SOCKET CHILD COUNT PARALLEL [TIMEOUT_MS]
"""
import json
import selectors
import socket
import struct
import sys
import time

CMD_REQUEST, CMD_RESPONSE, CMD_UNKNOWN = 0, 1, 2
SECTION_START, SECTION_END, KEY_VALUE, LIST_START, LIST_ITEM, LIST_END = 1, 2, 3, 4, 5, 6


def encode_request(cmd, kv):
    body = bytearray([CMD_REQUEST, len(cmd)]) + cmd.encode()
    for k, v in kv.items():
        v = v.encode()
        body += bytes([KEY_VALUE, len(k)]) + k.encode() + struct.pack(">H", len(v)) + v
    return struct.pack(">I", len(body)) + body


def decode_message(data):
    """Top-level key/values of a message (sections and lists are skipped)."""
    out, i, depth = {}, 0, 0
    while i < len(data):
        t = data[i]
        i += 1
        if t in (SECTION_START, LIST_START):
            n = data[i]
            i += 1 + n
            depth += 1
        elif t in (SECTION_END, LIST_END):
            depth -= 1
        elif t == KEY_VALUE:
            n = data[i]
            k = data[i + 1:i + 1 + n].decode()
            i += 1 + n
            (vl,) = struct.unpack(">H", data[i:i + 2])
            v = data[i + 2:i + 2 + vl].decode(errors="replace")
            i += 2 + vl
            if depth == 0:
                out[k] = v
        elif t == LIST_ITEM:
            (vl,) = struct.unpack(">H", data[i:i + 2])
            i += 2 + vl
        else:
            raise ValueError("bad vici element %d" % t)
    return out


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.setblocking(False)
        self.buf = bytearray()

    def packets(self):
        """Complete packets received so far: (type, message bytes)."""
        while len(self.buf) >= 4:
            (n,) = struct.unpack(">I", self.buf[:4])
            if len(self.buf) < 4 + n:
                return
            pkt = bytes(self.buf[4:4 + n])
            del self.buf[:4 + n]
            yield pkt[0], pkt[1:]


def main():
    path, child, count, parallel = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    timeout_ms = sys.argv[5] if len(sys.argv) > 5 else "30000"
    req = encode_request("initiate", {"child": child, "timeout": timeout_ms,
                                      "init-limits": "no", "loglevel": "-1"})
    sel = selectors.DefaultSelector()
    conns = [Conn(path) for _ in range(min(parallel, count))]
    started = ok = failed = 0
    errors = {}
    t0 = time.monotonic()
    for c in conns:
        c.s.sendall(req)
        started += 1
        sel.register(c.s, selectors.EVENT_READ, c)
    while ok + failed < count:
        for key, _ in sel.select(timeout=60):
            c = key.data
            data = c.s.recv(65536)
            if not data:
                raise SystemExit("vici connection closed")
            c.buf += data
            for ptype, msg in c.packets():
                if ptype != CMD_RESPONSE:
                    continue
                res = decode_message(msg)
                if res.get("success") == "yes":
                    ok += 1
                else:
                    failed += 1
                    e = res.get("errmsg", "?")
                    errors[e] = errors.get(e, 0) + 1
                if started < count:
                    c.s.sendall(req)
                    started += 1
    dt = time.monotonic() - t0
    print(json.dumps({"count": count, "ok": ok, "failed": failed, "seconds": round(dt, 3),
                      "rate": round(ok / dt, 1) if dt > 0 else 0, "errors": errors}))


if __name__ == "__main__":
    main()
