#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes each IKE message of a pcap (Ethernet, IPv4, UDP 500/4500) as NN-<exchange>-<i|r>
<req|resp>.bin: the UDP payload with the non-ESP marker stripped; ESP and NAT keepalives
are skipped. Usage: extract.py CAPTURE.pcap OUTDIR"""
import os
import struct
import sys

EXCH = {34: "sa_init", 35: "auth", 36: "create_child", 37: "info"}


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def ike_payload(frame):
    if len(frame) < 14 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17:
        return None
    udp = ip[ihl:]
    sport, dport, ulen = struct.unpack(">HHH", udp[:6])
    body = udp[8:ulen]
    if 4500 in (sport, dport):
        if len(body) < 4 or body[:4] != b"\0\0\0\0":
            return None  # ESP or a NAT keepalive
        body = body[4:]
    elif 500 not in (sport, dport):
        return None
    return body if len(body) >= 28 else None


def main():
    pcap, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = 0
    for frame in packets(pcap):
        msg = ike_payload(frame)
        if msg is None:
            continue
        n += 1
        flags = msg[19]
        role = "i" if flags & 0x08 else "r"
        kind = "resp" if flags & 0x20 else "req"
        name = "%02d-%s-%s%s.bin" % (n, EXCH.get(msg[18], "x%d" % msg[18]), role, kind)
        with open(os.path.join(out, name), "wb") as f:
            f.write(msg)
        print(name, len(msg))


if __name__ == "__main__":
    main()
