/* SPDX-License-Identifier: MIT */
/*
 * Inbound ESP in tunnel mode, in the order RFC 4303 §3.4 and STYLE.md §2.6 require: the
 * caller found the SA by SPI; then the replay check (§3.4.3, before any cryptography), ICV
 * verification in constant time (§3.4.4; for AEAD the tag check of the combined
 * decrypt-and-verify), the window update (only for verified packets), decryption, the
 * padding (§2.4) and next-header checks, and finally the inner packet against the SA's
 * selectors (RFC 4301 §5.2). Each drop returns its reason.
 */
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "node/core/cur.h"
#include "node/esp/esp_int.h"
#include "node/esp/esp_ts.h"

/* Where the parts of the packet are, after the structural checks. */
struct esp_parts {
	uint32_t spi, seql;
	size_t body_off, body_len; /* encrypted payload + padding + trailer */
	size_t icv_off;
};

bool
esp_pkt_spi(const uint8_t *p, size_t len, uint32_t *spi)
{
	struct cur c = cur_make(p, len);

	return len >= ESP_HDR_LEN && cur_get_n32(&c, spi);
}

static enum esp_drop
esp_parse(const struct esp_sa *sa, const uint8_t *p, size_t len, struct esp_parts *pt)
{
	struct cur c = cur_make(p, len), iv, icv;

	if (!cur_get_n32(&c, &pt->spi) || !cur_get_n32(&c, &pt->seql) ||
	    !cur_get_bytes(&c, sa->iv_len, &iv) || !cur_get_tail(&c, sa->icv_len, &icv))
		return ESP_DROP_MALFORMED;
	pt->body_off = ESP_HDR_LEN + sa->iv_len;
	pt->body_len = cur_left(&c);
	pt->icv_off = pt->body_off + pt->body_len;
	if (pt->body_len < 2)
		return ESP_DROP_MALFORMED; /* no room for Pad Length and Next Header */
	if (sa->kind == ESP_KIND_CBC && pt->body_len % sa->block != 0)
		return ESP_DROP_MALFORMED; /* RFC 3602 §2.1: whole cipher blocks */
	if (pt->spi != sa->p.spi)
		return ESP_DROP_NO_SA;
	return ESP_DROP_NONE;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Replay check before any cryptography; infers the high bits with ESN. */
static enum esp_drop
esp_replay_pre(struct esp_sa *sa, uint32_t seql, uint64_t *seq)
{
	enum esp_drop d;

	esp_sa_lock(sa);
	if (!esp_replay_infer(&sa->rp, sa->p.esn, seql, seq))
		d = ESP_DROP_REPLAY_LATE;
	else
		d = esp_replay_check(&sa->rp, *seq);
	esp_sa_unlock(sa);
	return d;
}

static bool
esp_verify_aead(struct esp_sa *sa, struct esp_slot *s, uint8_t *p, const struct esp_parts *pt,
                uint64_t seq)
{
	uint8_t nonce[12], aad[12];
	size_t aad_len = 8;

	memcpy(nonce, sa->salt, 4);
	memcpy(nonce + 4, p + ESP_HDR_LEN, 8);
	memcpy(aad, p, 4);
	if (sa->p.esn) {
		put32(aad + 4, (uint32_t)(seq >> 32));
		put32(aad + 8, (uint32_t)seq);
		aad_len = 12;
	} else {
		memcpy(aad + 4, p + 4, 4);
	}
	return esp_aead_open(s, nonce, aad, aad_len, p + pt->body_off, pt->body_len,
	                     p + pt->icv_off, sa->icv_len);
}

/* RFC 4303 §3.4.4.1: recompute the ICV and compare in constant time. */
static bool
esp_verify_icv(struct esp_sa *sa, struct esp_slot *s, const uint8_t *p, const struct esp_parts *pt,
               uint64_t seq)
{
	uint8_t icv[ESP_MAC_MAX_OUT], hi[4];
	struct esp_mac_run r;

	esp_mac_begin(&r, &sa->mac, &s->mac);
	esp_mac_update(&r, p, pt->icv_off);
	if (sa->p.esn) {
		put32(hi, (uint32_t)(seq >> 32));
		esp_mac_update(&r, hi, 4);
	}
	if (!esp_mac_end(&r, icv))
		return false;
	return CRYPTO_memcmp(icv, p + pt->icv_off, sa->icv_len) == 0;
}

/* RFC 4303 §2.4: padding is 1, 2, 3, ...; §2.6: next header 59 is a dummy packet. */
static enum esp_drop
esp_trailer_check(const uint8_t *body, size_t n, size_t *inner_len, uint8_t *nh)
{
	size_t pad = body[n - 2];

	*nh = body[n - 1];
	if (pad + 2 > n)
		return ESP_DROP_BAD_PADDING;
	for (size_t i = 0; i < pad; i++) {
		if (body[n - 2 - pad + i] != (uint8_t)(i + 1))
			return ESP_DROP_BAD_PADDING;
	}
	*inner_len = n - 2 - pad;
	if (*nh == ESP_NH_DUMMY)
		return ESP_DROP_DUMMY;
	if (*nh != ESP_NH_IPV4 && *nh != ESP_NH_IPV6)
		return ESP_DROP_MODE_MISMATCH; /* e.g. 6 or 17: a transport-mode packet */
	return ESP_DROP_NONE;
}

/* The inner packet: its header must match the next header; TFC padding is cut off. */
static enum esp_drop
esp_inner_check(const struct esp_sa *sa, uint8_t *data, size_t n, uint8_t nh, struct esp_inner *in)
{
	struct esp_flow f;

	if (esp_flow_parse(data, n, &f) < 0)
		return ESP_DROP_MALFORMED;
	if ((nh == ESP_NH_IPV4) != (f.family == AF_INET))
		return ESP_DROP_MALFORMED;
	if (!esp_ts_match_in(&sa->p, &f))
		return ESP_DROP_TS_MISMATCH;
	in->data = data;
	in->len = f.len; /* RFC 4303 §2.7: TFC padding after the inner packet is dropped */
	in->next_hdr = nh;
	return ESP_DROP_NONE;
}

/* From the window update on: the packet is authentic. */
static enum esp_drop
esp_decap_tail(struct esp_sa *sa, struct esp_slot *s, uint8_t *p, const struct esp_parts *pt,
               uint64_t seq, struct esp_inner *in)
{
	uint8_t *body = p + pt->body_off, nh;
	enum esp_drop d;
	size_t inner_len;

	esp_sa_lock(sa);
	d = esp_replay_update(&sa->rp, seq);
	atomic_store_explicit(&sa->top, sa->rp.top, memory_order_relaxed);
	esp_sa_unlock(sa);
	if (d != ESP_DROP_NONE)
		return d; /* another slot accepted the same number meanwhile */
	atomic_fetch_add_explicit(&sa->accepted, 1, memory_order_relaxed);
	if (sa->kind == ESP_KIND_CBC &&
	    !esp_cbc_crypt(s, false, p + ESP_HDR_LEN, body, pt->body_len))
		return ESP_DROP_INTERNAL;
	d = esp_trailer_check(body, pt->body_len, &inner_len, &nh);
	if (d == ESP_DROP_NONE)
		d = esp_inner_check(sa, body, inner_len, nh, in);
	if (d == ESP_DROP_NONE)
		in->seq = seq;
	return d;
}

static enum esp_drop
esp_decap_run(struct esp_sa *sa, struct esp_slot *s, uint8_t *p, size_t len, struct esp_inner *in)
{
	struct esp_parts pt;
	enum esp_drop d;
	uint64_t seq;
	bool ok;

	d = esp_parse(sa, p, len, &pt);
	if (d != ESP_DROP_NONE)
		return d;
	if (esp_life_expired(sa))
		return ESP_DROP_EXPIRED;
	d = esp_replay_pre(sa, pt.seql, &seq);
	if (d != ESP_DROP_NONE)
		return d;
	if (sa->kind == ESP_KIND_AEAD)
		ok = esp_verify_aead(sa, s, p, &pt, seq);
	else
		ok = !sa->has_mac || esp_verify_icv(sa, s, p, &pt, seq);
	if (!ok)
		return ESP_DROP_AUTH_FAILED; /* the window does not move for a forgery */
	return esp_decap_tail(sa, s, p, &pt, seq, in);
}

enum esp_drop
esp_decap(struct esp_sa *sa, unsigned slot, uint8_t *p, size_t len, struct esp_inner *in)
{
	struct esp_slot *s;
	enum esp_drop d;

	if (!sa->p.inbound || slot >= sa->nslots)
		return ESP_DROP_INTERNAL;
	s = &sa->slots[slot];
	d = esp_decap_run(sa, s, p, len, in);
	if (d != ESP_DROP_NONE) {
		s->cnt.drops[d]++;
		return d;
	}
	s->cnt.packets++;
	s->cnt.bytes += in->len;
	(void)esp_life_charge(sa, in->len);
	return ESP_DROP_NONE;
}
