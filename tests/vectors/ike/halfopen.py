#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Sends one minimal IKE_SA_INIT request (aes128gcm16-prfsha256-curve25519, fixed SPI, KE and
nonce) from UDP port 5000 to HOST:500 and waits up to 2 s for the answer, leaving a half-open
IKE SA at the responder (capture.sh uses it to make strongSwan demand a COOKIE from the next
initiator). Usage: halfopen.py HOST"""
import socket
import struct
import sys


def pld(nxt, body):
    return struct.pack(">BBH", nxt, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    return struct.pack(">BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs


def main():
    host = sys.argv[1]
    xf = (transform(False, 1, 20, struct.pack(">HH", 0x800E, 128))
          + transform(False, 2, 5) + transform(True, 4, 31))
    prop = struct.pack(">BBHBBBB", 0, 0, 8 + len(xf), 1, 1, 0, 3) + xf
    body = (pld(34, prop) + pld(40, struct.pack(">HH", 31, 0) + bytes(range(1, 33)))
            + pld(0, bytes(range(0x40, 0x60))))
    hdr = struct.pack(">QQBBBBII", 0x7A6E0000C0FFEE01, 0, 33, 0x20, 34, 0x08, 0, 28 + len(body))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 5000))
    s.settimeout(2)
    s.sendto(hdr + body, (host, 500))
    try:
        print("answer: %d bytes" % len(s.recv(65535)))
    except socket.timeout:
        print("no answer")


if __name__ == "__main__":
    main()
