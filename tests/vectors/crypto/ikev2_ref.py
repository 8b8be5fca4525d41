#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent reference for the IKEv2 key derivation tested in tests/unit/ike/.

Written from RFC 7296 (sections 2.13 prf+, 2.14 SKEYSEED and the seven keys, 2.15 shared-key
AUTH, 2.17 Child SA KEYMAT, 2.18 rekey SKEYSEED, 2.23 NAT detection, 2.6 cookies) and RFC 3566 /
RFC 4434 (AES-XCBC), without looking at tandem's C code. HMAC and SHA-1 come from Python's
hmac/hashlib; the raw AES block for AES-XCBC comes from the `cryptography` package.

It first checks itself against published vectors (RFC 2202, RFC 4231, RFC 3566, RFC 4434), then
prints the expected values that test_ike_crypto_kdf.c and test_ike_crypto_prf.c hold as
constants. Run: python3 tests/vectors/crypto/ikev2_ref.py
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

H = bytes.fromhex


def aes_block(key, block):
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def xcbc_mac(key, msg):
    """RFC 3566 section 4, with a 128-bit key."""
    k1 = aes_block(key, b"\x01" * 16)
    k2 = aes_block(key, b"\x02" * 16)
    k3 = aes_block(key, b"\x03" * 16)
    blocks = [msg[i:i + 16] for i in range(0, len(msg), 16)] or [b""]
    e = bytes(16)
    for b in blocks[:-1]:
        e = aes_block(k1, bytes(x ^ y for x, y in zip(b, e)))
    last = blocks[-1]
    if len(last) == 16:
        last = bytes(x ^ y for x, y in zip(last, k2))
    else:
        last = last + b"\x80" + bytes(15 - len(last))
        last = bytes(x ^ y for x, y in zip(last, k3))
    return aes_block(k1, bytes(x ^ y for x, y in zip(last, e)))


def xcbc_prf(key, msg):
    """RFC 4434 section 2: key of any length."""
    if len(key) < 16:
        key = key + bytes(16 - len(key))
    elif len(key) > 16:
        key = xcbc_mac(bytes(16), key)
    return xcbc_mac(key, msg)


PRFS = {
    "md5": lambda k, m: hmac.new(k, m, hashlib.md5).digest(),
    "sha1": lambda k, m: hmac.new(k, m, hashlib.sha1).digest(),
    "xcbc": xcbc_prf,
    "sha256": lambda k, m: hmac.new(k, m, hashlib.sha256).digest(),
    "sha384": lambda k, m: hmac.new(k, m, hashlib.sha384).digest(),
    "sha512": lambda k, m: hmac.new(k, m, hashlib.sha512).digest(),
}
PRF_KEY_LEN = {"md5": 16, "sha1": 20, "xcbc": 16, "sha256": 32, "sha384": 48, "sha512": 64}
ENCR_KEY_LEN = {"des": 8, "3des": 24, "aes128": 16, "aes192": 24, "aes256": 32,
                "aes128gcm": 20, "aes256gcm": 36, "chacha": 36, "null": 0}
INTEG_KEY_LEN = {"none": 0, "md5": 16, "sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64,
                 "xcbc": 16}


def prf_plus(prf, key, seed, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        assert i <= 255
        t = PRFS[prf](key, t + seed + bytes([i]))
        out += t
        i += 1
    return out[:n]


def ike_keys(prf, encr, integ, g_ir, ni, nr, spi_i, spi_r, old=None):
    if old:  # RFC 7296 2.18
        old_prf, old_sk_d = old
        skeyseed = PRFS[old_prf](old_sk_d, g_ir + ni + nr)
    elif prf == "xcbc":  # RFC 7296 2.14: the first 64 bits of Ni and of Nr
        skeyseed = PRFS[prf](ni[:8] + nr[:8], g_ir)
    else:
        skeyseed = PRFS[prf](ni + nr, g_ir)
    lens = [PRF_KEY_LEN[prf], INTEG_KEY_LEN[integ], INTEG_KEY_LEN[integ], ENCR_KEY_LEN[encr],
            ENCR_KEY_LEN[encr], PRF_KEY_LEN[prf], PRF_KEY_LEN[prf]]
    km = prf_plus(prf, skeyseed, ni + nr + struct.pack(">QQ", spi_i, spi_r), sum(lens))
    keys, off = [], 0
    for n in lens:
        keys.append(km[off:off + n])
        off += n
    return skeyseed, keys


def child_keys(prf, sk_d, g_ir, ni, nr, encr, integ):
    e, a = ENCR_KEY_LEN[encr], INTEG_KEY_LEN[integ]
    km = prf_plus(prf, sk_d, (g_ir or b"") + ni + nr, 2 * (e + a))
    return [km[:e], km[e:e + a], km[e + a:2 * e + a], km[2 * e + a:]]


def auth_psk(prf, psk, msg, nonce, sk_p, id_body):
    maced = PRFS[prf](sk_p, id_body)
    return PRFS[prf](PRFS[prf](psk, b"Key Pad for IKEv2"), msg + nonce + maced)


def self_check():
    # RFC 3566 section 4.6 and RFC 4434 section 2.1
    k = H("000102030405060708090a0b0c0d0e0f")
    m = bytes(range(34))
    assert xcbc_mac(k, b"").hex() == "75f0251d528ac01c4573dfd584d79f29"
    assert xcbc_mac(k, m[:3]).hex() == "5b376580ae2f19afe7219ceef172756f"
    assert xcbc_mac(k, m[:16]).hex() == "d2a246fa349b68a79998a4394ff7a263"
    assert xcbc_mac(k, m[:20]).hex() == "47f51b4564966215b8985c63055ed308"
    assert xcbc_mac(k, m[:32]).hex() == "f54f0ec8d2b9f3d36807734bd5283fd4"
    assert xcbc_mac(k, m[:34]).hex() == "becbb3bccdb518a30677d5481fb6b4d8"
    assert xcbc_mac(k, bytes(1000)).hex() == "f0dafee895db30253761103b5d84528f"
    assert xcbc_prf(k[:10], m[:20]).hex() == "0fa087af7d866e7653434e602fdde835"
    assert xcbc_prf(k + H("edcb"), m[:20]).hex() == "8cd3c93ae598a9803006ffb67c40e9e4"
    # RFC 2202 / RFC 4231 test case 1
    assert PRFS["md5"](b"\x0b" * 16, b"Hi There").hex() == "9294727a3638bb1c13f48ef8158bfc9d"
    assert PRFS["sha1"](b"\x0b" * 20, b"Hi There").hex() == \
        "b617318655057264e28bc0b6fb378c8ef146be00"
    assert PRFS["sha256"](b"\x0b" * 20, b"Hi There").hex() == \
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"


def c_hex(name, b):
    return '\t.%s = "%s",' % (name, b.hex())


# Inputs shared by the KDF vectors (arbitrary, fixed).
NI = bytes(range(0x10, 0x30))            # 32 octets
NR = bytes(range(0x80, 0xa0))            # 32 octets
GIR = bytes((i * 7 + 3) & 0xff for i in range(64))
SPI_I, SPI_R = 0x0123456789abcdef, 0xfedcba9876543210

IKE_CASES = [  # (name, prf, encr, integ, rekey-from)
    ("sha256_aes128_sha256", "sha256", "aes128", "sha256", None),
    ("xcbc_aes128_xcbc", "xcbc", "aes128", "xcbc", None),
    ("sha1_3des_sha1", "sha1", "3des", "sha1", None),
    ("md5_des_md5", "md5", "des", "md5", None),
    ("sha512_aes256gcm", "sha512", "aes256gcm", "none", None),
    ("sha384_chacha", "sha384", "chacha", "none", None),
    ("rekey_sha1_to_sha256", "sha256", "aes256", "sha512", ("sha1", bytes(range(0xa0, 0xb4)))),
    ("rekey_xcbc_to_sha256", "sha256", "aes192", "sha384", ("xcbc", bytes(range(0xc0, 0xd0)))),
]

CHILD_CASES = [  # (name, prf, sk_d, pfs g^ir, encr, integ)
    ("sha256_gcm128_nopfs", "sha256", bytes(range(32)), None, "aes128gcm", "none"),
    ("sha1_aes256_sha256_pfs", "sha1", bytes(range(40, 60)), GIR[:48], "aes256", "sha256"),
    ("xcbc_aes128_xcbc", "xcbc", bytes(range(100, 116)), None, "aes128", "xcbc"),
    ("sha512_chacha_pfs", "sha512", bytes(range(64)), GIR, "chacha", "none"),
]


def main():
    self_check()
    print("/* IKE SA keys: Ni=%s Nr=%s g^ir=%s SPIi=%016x SPIr=%016x */"
          % (NI.hex(), NR.hex(), GIR.hex(), SPI_I, SPI_R))
    for name, prf, encr, integ, old in IKE_CASES:
        skeyseed, keys = ike_keys(prf, encr, integ, GIR, NI, NR, SPI_I, SPI_R, old)
        print("{ /* %s */" % name)
        if old:
            print(c_hex("old_sk_d", old[1]))
        print(c_hex("skeyseed", skeyseed))
        for n, k in zip(["sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er", "sk_pi", "sk_pr"], keys):
            print(c_hex(n, k))
        print("},")
    for name, prf, sk_d, gir, encr, integ in CHILD_CASES:
        keys = child_keys(prf, sk_d, gir, NI, NR, encr, integ)
        print("{ /* child %s */" % name)
        print(c_hex("sk_d", sk_d))
        for n, k in zip(["enc_i", "integ_i", "enc_r", "integ_r"], keys):
            print(c_hex(n, k))
        print("},")
    msg = bytes((i * 13) & 0xff for i in range(120))
    id_body = H("01000000c0000201")
    for prf, psk in (("sha256", b"tandem-test-psk"), ("xcbc", b"a shared secret longer than 16"),
                     ("sha1", b"x")):
        sk_p = bytes(range(0x40, 0x40 + PRF_KEY_LEN[prf]))
        print("/* auth %s psk=%r msg=(i*13)&0xff x120 nonce=Nr sk_p=%s id=%s */ %s" % (
            prf, psk, sk_p.hex(), id_body.hex(), auth_psk(prf, psk, msg, NR, sk_p, id_body).hex()))
    for prf in ("sha256", "xcbc", "md5"):
        print("/* prf+ %s key=00..0f seed=Ni|Nr 100 octets */ %s"
              % (prf, prf_plus(prf, bytes(range(16)), NI + NR, 100).hex()))
    addr4 = bytes([192, 0, 2, 1])
    print("/* natd SPIi|SPIr|192.0.2.1|500 */ %s" % hashlib.sha1(
        struct.pack(">QQ", SPI_I, SPI_R) + addr4 + struct.pack(">H", 500)).hexdigest())
    print("/* natd SPIi|0|2001:db8::1|4500 */ %s" % hashlib.sha1(
        struct.pack(">QQ", SPI_I, 0) + H("20010db8000000000000000000000001")
        + struct.pack(">H", 4500)).hexdigest())
    print("/* cookie secret=00..1f Ni 192.0.2.1 SPIi */ %s" % hmac.new(
        bytes(range(32)), NI + addr4 + struct.pack(">Q", SPI_I), hashlib.sha256).hexdigest())


if __name__ == "__main__":
    main()
