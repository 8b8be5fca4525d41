#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes Wireshark's IKEv2 decryption table for a lab capture, so tshark can decrypt and
check the encrypted IKE messages tandem sent, not only their outer headers.

The keys come from the strongSwan peer's log (charon with `ike = 4` logs SK_e*/SK_a* after
each "selected proposal: IKE:…"), never from tandem, which does not log keys. strongSwan does
not log SPIs, so key sets are paired with IKE SAs by order: the n-th key derivation in the log
belongs to the n-th SPI pair (with a non-zero responder SPI) that first appears in the capture.

usage: ike-keys-uat.py CHARON_LOG PCAP OUT_TABLE     (prints "paired N, undecryptable M")
"""
import re
import subprocess
import sys

DUMP_HEAD = re.compile(r"\] (?:<[^>]*> )?(Sk_e[ir]|Sk_a[ir]) secret => (\d+) bytes @ ")
DUMP_LINE = re.compile(r"\] (?:<[^>]*> )?\s*(\d+): ((?:[0-9A-F]{2} ){1,16})")
PROPOSAL = re.compile(r"selected proposal: IKE:([A-Z0-9_]+)/([A-Z0-9_]+)")
ALG_BITS = re.compile(r"(.*?)(?:_(\d+))?$")  # AES_CBC_256 -> AES_CBC, 256

# strongSwan algorithm names -> Wireshark's (tshark 4.0 cannot decrypt ChaCha20-Poly1305)
ENCR = {
    ("AES_GCM_16", "128"): "AES-GCM-128 with 16 octet ICV [RFC5282]",
    ("AES_GCM_16", "256"): "AES-GCM-256 with 16 octet ICV [RFC5282]",
    ("AES_CBC", "128"): "AES-CBC-128 [RFC3602]",
    ("AES_CBC", "192"): "AES-CBC-192 [RFC3602]",
    ("AES_CBC", "256"): "AES-CBC-256 [RFC3602]",
    ("3DES_CBC", None): "3DES [RFC2451]",
}
INTEG = {
    "HMAC_MD5_96": "HMAC_MD5_96 [RFC2403]",
    "HMAC_SHA1_96": "HMAC_SHA1_96 [RFC2404]",
    "HMAC_SHA2_256_128": "HMAC_SHA2_256_128 [RFC4868]",
    "HMAC_SHA2_384_192": "HMAC_SHA2_384_192 [RFC4868]",
    "HMAC_SHA2_512_256": "HMAC_SHA2_512_256 [RFC4868]",
}


def key_sets(log):
    """[(encr, integ, {Sk_ei: bytes, …}), …] in log order."""
    sets, cur, dump = [], None, None
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = PROPOSAL.search(line)
            if m:
                alg, bits = ALG_BITS.match(m.group(1)).groups()
                rest = m.group(2)
                integ = rest if rest in INTEG else None
                cur = [(alg, bits), integ, {}]
                sets.append(cur)
                continue
            m = DUMP_HEAD.search(line)
            if m and cur is not None:
                dump = [m.group(1), int(m.group(2)), bytearray()]
                continue
            m = DUMP_LINE.search(line)
            if m and dump is not None and len(dump[2]) == int(m.group(1)):
                dump[2] += bytes.fromhex(m.group(2).replace(" ", ""))
                if len(dump[2]) == dump[1]:
                    cur[2][dump[0]] = bytes(dump[2])
                    dump = None
    return [s for s in sets if "Sk_ei" in s[2] and "Sk_er" in s[2]]


def spi_pairs(pcap):
    """Distinct (SPIi, SPIr) with SPIr != 0, in order of first appearance."""
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "isakmp", "-T", "fields",
                          "-e", "isakmp.ispi", "-e", "isakmp.rspi"],
                         capture_output=True, text=True, check=True).stdout
    seen, pairs = set(), []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[1] or int(parts[1], 16) == 0:
            continue
        pair = tuple(x.lower().replace("0x", "").replace(":", "").zfill(16) for x in parts[:2])
        if pair not in seen:
            seen.add(pair)
            pairs.append(pair)
    return pairs


def main():
    log, pcap, out = sys.argv[1:4]
    sets, pairs = key_sets(log), spi_pairs(pcap)
    rows, undecryptable = [], 0
    for (spi_i, spi_r), (encr, integ, keys) in zip(pairs, sets):
        name = ENCR.get(encr) or ENCR.get((encr[0], None))
        if not name:
            undecryptable += 1
            continue
        aead = encr[0].startswith("AES_GCM")
        integ_name = "NONE [RFC4306]" if aead else INTEG.get(integ or "")
        if not integ_name:
            undecryptable += 1
            continue
        ai = keys.get("Sk_ai", b"").hex() if not aead else ""
        ar = keys.get("Sk_ar", b"").hex() if not aead else ""
        # Wireshark's UAT format: hex byte fields bare, enumerations quoted
        rows.append('%s,%s,%s,%s,"%s",%s,%s,"%s"' % (
            spi_i, spi_r, keys["Sk_ei"].hex(), keys["Sk_er"].hex(), name, ai, ar, integ_name))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    print("paired %d, undecryptable %d, key sets %d, SPI pairs %d"
          % (len(rows), undecryptable, len(sets), len(pairs)))


if __name__ == "__main__":
    main()
