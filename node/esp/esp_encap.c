/* SPDX-License-Identifier: MIT */
/*
 * Outbound ESP in tunnel mode (RFC 4303 §3.1.2, §3.3), in place in the caller's buffer:
 *
 *    0                   1                   2                   3
 *   |               Security Parameters Index (SPI)                 |
 *   |                      Sequence Number                          |
 *   |        IV (AES-CBC 16, 3DES/DES 8, GCM/ChaCha20 8, NULL none) |
 *   ~            Payload Data: the inner IPv4/IPv6 packet           ~
 *   |     Padding 1, 2, 3 ...       |  Pad Length   | Next Header   |
 *   ~                Integrity Check Value (ICV)                    ~
 *
 * AEAD (RFC 4106 §3-5, RFC 7634 §2-4): the IV is the 64-bit sequence number (unique per key
 * since numbers never repeat, RFC 4106 §3.1), the nonce is salt || IV, and the AAD is
 * SPI || sequence number (SPI || high || low with ESN). CBC (RFC 3602): a random IV, then
 * the ICV over header, IV and ciphertext, followed by the high 32 bits with ESN (RFC 4303
 * §3.3.2.1) which are not sent.
 */
#include <string.h>

#include "node/esp/esp_int.h"

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 4303 §2.4: padding bytes 1, 2, 3, ..., then Pad Length and Next Header. */
static void
esp_trailer(uint8_t *t, size_t pad, uint8_t nh)
{
	for (size_t i = 0; i < pad; i++)
		t[i] = (uint8_t)(i + 1);
	t[pad] = (uint8_t)pad;
	t[pad + 1] = nh;
}

static uint8_t
esp_inner_nh(const struct esp_pkt *pkt)
{
	switch (pkt->data[0] >> 4) {
	case 4:
		return ESP_NH_IPV4;
	case 6:
		return ESP_NH_IPV6;
	default:
		return 0;
	}
}

static void
esp_take_iv(struct esp_slot *s, uint8_t *iv, size_t n)
{
	memcpy(iv, s->iv_fixed, n);
	s->iv_fixed_set = false;
}

static bool
esp_seal_aead(struct esp_sa *sa, struct esp_slot *s, uint8_t *hdr, uint64_t seq, uint8_t *body,
              size_t n)
{
	uint8_t nonce[12], aad[12], *iv = hdr + ESP_HDR_LEN;
	size_t aad_len = 8;

	if (s->iv_fixed_set) {
		esp_take_iv(s, iv, 8);
	} else {
		put32(iv, (uint32_t)(seq >> 32));
		put32(iv + 4, (uint32_t)seq);
	}
	memcpy(nonce, sa->salt, 4);
	memcpy(nonce + 4, iv, 8);
	memcpy(aad, hdr, 4);
	if (sa->p.esn) {
		put32(aad + 4, (uint32_t)(seq >> 32));
		put32(aad + 8, (uint32_t)seq);
		aad_len = 12;
	} else {
		memcpy(aad + 4, hdr + 4, 4);
	}
	return esp_aead_seal(s, nonce, aad, aad_len, body, n, body + n, sa->icv_len);
}

/* The ICV over hdr[0..n) and, with ESN, the high 32 bits (RFC 4303 §3.3.2.1). */
static bool
esp_icv(struct esp_sa *sa, struct esp_slot *s, const uint8_t *hdr, size_t n, uint64_t seq,
        uint8_t *icv)
{
	struct esp_mac_run r;
	uint8_t hi[4];

	esp_mac_begin(&r, &sa->mac, &s->mac);
	esp_mac_update(&r, hdr, n);
	if (sa->p.esn) {
		put32(hi, (uint32_t)(seq >> 32));
		esp_mac_update(&r, hi, 4);
	}
	return esp_mac_end(&r, icv);
}

static bool
esp_seal_cbc(struct esp_sa *sa, struct esp_slot *s, uint8_t *hdr, uint64_t seq, uint8_t *body,
             size_t n)
{
	uint8_t *iv = hdr + ESP_HDR_LEN;

	if (sa->kind == ESP_KIND_CBC) {
		if (s->iv_fixed_set)
			esp_take_iv(s, iv, sa->iv_len);
		else if (!esp_cbc_iv(sa, s, iv))
			return false;
		if (!esp_cbc_crypt(s, true, iv, body, n))
			return false;
	}
	if (!sa->has_mac)
		return true;
	return esp_icv(sa, s, hdr, (size_t)(body + n - hdr), seq, body + n);
}

/* Checks lengths and room; sets the next header and the padded payload length. */
static enum esp_drop
esp_encap_fit(const struct esp_sa *sa, const struct esp_pkt *pkt, uint8_t *nh, size_t *padded)
{
	size_t head = ESP_HDR_LEN + sa->iv_len;

	if (pkt->len == 0 || pkt->len > 65535)
		return ESP_DROP_MALFORMED;
	*nh = esp_inner_nh(pkt);
	if (*nh == 0)
		return ESP_DROP_MALFORMED;
	*padded = (pkt->len + 2 + sa->align - 1) / sa->align * sa->align;
	if (pkt->headroom < head || pkt->tailroom < *padded - pkt->len + sa->icv_len)
		return ESP_DROP_NO_ROOM;
	return ESP_DROP_NONE;
}

static enum esp_drop
esp_encap_drop(struct esp_slot *s, enum esp_drop d)
{
	s->cnt.drops[d]++;
	return d;
}

enum esp_drop
esp_encap(struct esp_sa *sa, unsigned slot, struct esp_pkt *pkt)
{
	size_t head = ESP_HDR_LEN + sa->iv_len, inner = pkt->len, padded;
	struct esp_slot *s;
	enum esp_drop d;
	uint8_t nh, *hdr;
	uint64_t seq;
	bool ok;

	if (sa->p.inbound || slot >= sa->nslots)
		return ESP_DROP_INTERNAL;
	s = &sa->slots[slot];
	d = esp_encap_fit(sa, pkt, &nh, &padded);
	if (d == ESP_DROP_NONE && esp_life_expired(sa))
		d = ESP_DROP_EXPIRED;
	if (d == ESP_DROP_NONE)
		d = esp_seq_take(sa, &seq);
	if (d != ESP_DROP_NONE)
		return esp_encap_drop(s, d);

	esp_trailer(pkt->data + inner, padded - inner - 2, nh);
	hdr = pkt->data - head;
	put32(hdr, sa->p.spi);
	put32(hdr + 4, (uint32_t)seq);
	ok = sa->kind == ESP_KIND_AEAD ? esp_seal_aead(sa, s, hdr, seq, pkt->data, padded)
	                               : esp_seal_cbc(sa, s, hdr, seq, pkt->data, padded);
	if (!ok)
		return esp_encap_drop(s, ESP_DROP_INTERNAL);

	pkt->data = hdr;
	pkt->len = head + padded + sa->icv_len;
	pkt->headroom -= head;
	pkt->tailroom -= padded - inner + sa->icv_len;
	s->cnt.packets++;
	s->cnt.bytes += inner;
	(void)esp_life_charge(sa, inner); /* the packet that crosses the hard limit still goes */
	return ESP_DROP_NONE;
}
