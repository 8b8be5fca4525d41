#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turns the logs of a strongSwan lab exchange (capture_strongswan.sh) into a vector file.

Reads the initiator's and the responder's charon logs (ike 4, chd 4, net 4) and the
initiator's `swanctl --list-sas --raw`, and writes key = hex lines on stdout: the inputs of the
IKEv2 key derivation (SPIs, nonces, g^ir), strongSwan's SKEYSEED and seven keys, the PSK AUTH
inputs and values of both sides, the Child SA keys, and both IKE_AUTH messages as received.
Before writing it recomputes everything with ikev2_ref.py and stops if strongSwan disagrees.
"""
import argparse
import ipaddress
import re
import sys

import ikev2_ref as ref

DUMP_HEAD = re.compile(r"\] (?:<[^>]*> )?(.+?) => (\d+) bytes @ ")
DUMP_LINE = re.compile(r"\] (?:<[^>]*> )?\s*(\d+): ((?:[0-9A-F]{2} ){1,16})")

# strongSwan's names (swanctl --list-sas --raw) -> ikev2_ref names and tandem's keywords
ENCR = {("AES_CBC", "128"): ("aes128", "aes-128-cbc"), ("AES_CBC", "192"): ("aes192", "aes-192-cbc"),
        ("AES_CBC", "256"): ("aes256", "aes-256-cbc"), ("3DES_CBC", None): ("3des", "3des-cbc"),
        ("DES_CBC", None): ("des", "des-cbc"),
        ("AES_GCM_16", "128"): ("aes128gcm", "aes-128-gcm"),
        ("AES_GCM_16", "256"): ("aes256gcm", "aes-256-gcm"),
        ("CHACHA20_POLY1305", None): ("chacha", "chacha20-poly1305")}
INTEG = {None: ("none", "none"), "HMAC_MD5_96": ("md5", "hmac-md5-96"),
         "HMAC_SHA1_96": ("sha1", "hmac-sha1-96"),
         "HMAC_SHA2_256_128": ("sha256", "hmac-sha2-256-128"),
         "HMAC_SHA2_384_192": ("sha384", "hmac-sha2-384-192"),
         "HMAC_SHA2_512_256": ("sha512", "hmac-sha2-512-256"),
         "AES_XCBC_96": ("xcbc", "aes-xcbc-96")}
PRF = {"PRF_HMAC_MD5": ("md5", "hmac-md5"), "PRF_HMAC_SHA1": ("sha1", "hmac-sha1"),
       "PRF_AES128_XCBC": ("xcbc", "aes-128-xcbc"),
       "PRF_HMAC_SHA2_256": ("sha256", "hmac-sha2-256"),
       "PRF_HMAC_SHA2_384": ("sha384", "hmac-sha2-384"),
       "PRF_HMAC_SHA2_512": ("sha512", "hmac-sha2-512")}
DH = {"MODP_768": 1, "MODP_1024": 2, "MODP_1536": 5, "MODP_2048": 14, "MODP_3072": 15,
      "MODP_4096": 16, "ECP_256": 19, "ECP_384": 20, "ECP_521": 21, "CURVE_25519": 31}


def dumps(path):
    """(label, bytes) for every %B dump in a charon log, in order."""
    out, cur = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = DUMP_HEAD.search(line)
            if m:
                cur = [m.group(1).strip(), int(m.group(2)), bytearray()]
                out.append(cur)
                continue
            m = DUMP_LINE.search(line)
            if m and cur is not None and len(cur[2]) == int(m.group(1)):
                cur[2] += bytes.fromhex(m.group(2).replace(" ", ""))
    for label, n, data in out:
        assert len(data) == n, "incomplete dump of %s" % label
    return [(label, bytes(data)) for label, n, data in out]


def first(ds, label, nth=0):
    hits = [d for l, d in ds if l == label]
    if len(hits) <= nth:
        sys.exit("no dump %r (#%d) in the log" % (label, nth + 1))
    return hits[nth]


def sa_fields(path):
    text = open(path, encoding="utf-8").read()
    ike, child = text.split("child-sas", 1)
    return dict(re.findall(r"([\w-]+)=(\S+?)[ }]", ike)), dict(re.findall(r"([\w-]+)=(\S+?)[ }]", child))


def strip_marker(pkt, spi_i):
    """Datagrams on port 4500 start with the four-octet non-ESP marker (RFC 3948 §2.2)."""
    if pkt[:4] == bytes(4) and pkt[4:12] == spi_i:
        return pkt[4:]
    return pkt


def id_body(addr):
    ip = ipaddress.ip_address(addr)
    return bytes([1 if ip.version == 4 else 5, 0, 0, 0]) + ip.packed


def main():
    ap = argparse.ArgumentParser()
    for o in ("--name", "--ike", "--esp", "--psk", "--id-i", "--id-r", "--version"):
        ap.add_argument(o, required=True)
    ap.add_argument("initiator_log")
    ap.add_argument("responder_log")
    ap.add_argument("sa")
    a = ap.parse_args()

    ini, res = dumps(a.initiator_log), dumps(a.responder_log)
    ike, child = sa_fields(a.sa)
    prf, prf_kw = PRF[ike["prf-alg"]]
    encr, encr_kw = ENCR[(ike["encr-alg"], ike.get("encr-keysize"))]
    integ, integ_kw = INTEG[ike.get("integ-alg")]
    c_encr, c_encr_kw = ENCR[(child["encr-alg"], child.get("encr-keysize"))]
    c_integ, c_integ_kw = INTEG[child.get("integ-alg")]
    spi_i, spi_r = bytes.fromhex(ike["initiator-spi"]), bytes.fromhex(ike["responder-spi"])

    # the responder received the initiator's messages and the initiator the responder's
    init_req = strip_marker(first(res, "received packet", 0), spi_i)
    auth_req = strip_marker(first(res, "received packet", 1), spi_i)
    init_resp = strip_marker(first(ini, "received packet", 0), spi_i)
    auth_resp = strip_marker(first(ini, "received packet", 1), spi_i)
    assert init_resp[:16] == spi_i + spi_r and auth_req[:16] == spi_i + spi_r

    plen = ref.PRF_KEY_LEN[prf] if prf != "xcbc" else 16
    octets_i = first(ini, "octets = message + nonce + prf(Sk_px, IDx')", 0)
    octets_r = first(ini, "octets = message + nonce + prf(Sk_px, IDx')", 1)
    assert octets_i.startswith(init_req) and octets_r.startswith(init_resp)
    nr = octets_i[len(init_req):len(octets_i) - plen]
    ni = octets_r[len(init_resp):len(octets_r) - plen]
    g_ir = first(ini, "shared Diffie Hellman secret")
    # strongSwan logs no SK_ai/SK_ar for an AEAD cipher: they are empty (RFC 5282 §7.1)
    keys = [b"" if integ == "none" and k in ("ai", "ar") else first(ini, "Sk_%s secret" % k)
            for k in ("d", "ai", "ar", "ei", "er", "pi", "pr")]
    skeyseed = first(ini, "SKEYSEED")
    auth_i = first(ini, "AUTH = prf(prf(secret, keypad), octets)", 0)
    auth_r = first(ini, "AUTH = prf(prf(secret, keypad), octets)", 1)
    assert first(ini, "secret") == a.psk.encode()
    ckeys = [first(ini, "encryption initiator key"), b"", first(ini, "encryption responder key"), b""]
    if c_integ != "none":
        ckeys[1] = first(ini, "integrity initiator key")
        ckeys[3] = first(ini, "integrity responder key")
    assert first(ini, "seed") == ni + nr  # no PFS in these captures

    # the independent reference must agree with strongSwan on everything
    r_seed, r_keys = ref.ike_keys(prf, encr, integ, g_ir, ni, nr, int.from_bytes(spi_i, "big"),
                                  int.from_bytes(spi_r, "big"))
    assert r_seed == skeyseed, "SKEYSEED differs from ikev2_ref.py"
    assert r_keys == keys, "IKE SA keys differ from ikev2_ref.py"
    idi, idr = id_body(a.id_i), id_body(a.id_r)
    assert ref.auth_psk(prf, a.psk.encode(), init_req, nr, keys[5], idi) == auth_i
    assert ref.auth_psk(prf, a.psk.encode(), init_resp, ni, keys[6], idr) == auth_r
    assert ref.child_keys(prf, keys[0], None, ni, nr, c_encr, c_integ) == ckeys

    print("# IKEv2 key derivation recorded from %s (tests/vectors/crypto/capture_strongswan.sh)"
          % a.version)
    print("# gw1 (initiator, 192.0.2.11) and br (responder, 192.0.2.2), PSK, IKE proposal %s,"
          % a.ike)
    print("# ESP proposal %s, DH group %d. Inputs: spi_*, ni, nr, g_ir, psk, init_*, id_*."
          % (a.esp, DH[ike["dh-group"]]))
    print("# Outputs as strongSwan logged them (ike 4, chd 4): skeyseed, sk_*, auth_*, child_*;")
    print("# auth_req/auth_resp are the IKE_AUTH messages as received (non-ESP marker removed).")
    print("# ikev2_ref.py reproduced every output before this file was written.")
    rows = [("name", a.name.encode()), ("prf", prf_kw.encode()), ("encr", encr_kw.encode()),
            ("integ", integ_kw.encode()), ("dh_group", str(DH[ike["dh-group"]]).encode()),
            ("child_encr", c_encr_kw.encode()), ("child_integ", c_integ_kw.encode())]
    for k, v in rows:
        print("%s = %s" % (k, v.decode()))
    hexrows = [("spi_i", spi_i), ("spi_r", spi_r), ("ni", ni), ("nr", nr), ("g_ir", g_ir),
               ("skeyseed", skeyseed)]
    hexrows += list(zip(["sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er", "sk_pi", "sk_pr"], keys))
    hexrows += [("psk", a.psk.encode()), ("id_i", idi), ("id_r", idr), ("init_req", init_req),
                ("init_resp", init_resp), ("auth_i", auth_i), ("auth_r", auth_r)]
    hexrows += list(zip(["child_enc_i", "child_integ_i", "child_enc_r", "child_integ_r"], ckeys))
    hexrows += [("auth_req", auth_req), ("auth_resp", auth_resp)]
    for k, v in hexrows:
        print("%s = %s" % (k, v.hex()))


if __name__ == "__main__":
    main()
