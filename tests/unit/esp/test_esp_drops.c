/* SPDX-License-Identifier: MIT */
/*
 * Why packets are dropped: tampering with each field of an ESP packet gives the right
 * reason for every kind of SA; authentic packets with bad padding, a transport-mode next
 * header, a dummy next header, a malformed or out-of-selector inner packet; padding for
 * every length modulo the block; the seeds' wording for each reason (seed 004 §17).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "node/esp/esp_int.h"
#include "tests/unit/esp/esp_vec.h"

struct kind {
	enum cfg_encr e;
	enum cfg_integ i;
};

static const struct kind kinds[] = {
        {CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE},
        {CFG_ENCR_CHACHA20_POLY1305, CFG_INTEG_NONE},
        {CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96},
        {CFG_ENCR_3DES_CBC, CFG_INTEG_HMAC_SHA2_512_256},
        {CFG_ENCR_AES256_CBC, CFG_INTEG_AES_XCBC_96},
        {CFG_ENCR_NULL, CFG_INTEG_HMAC_SHA2_256_128},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

struct pair {
	struct esp_sa *out, *in;
};

static void
pair_make(struct pair *pr, const struct kind *k, const struct esp_ts *rts, unsigned nrts)
{
	struct esp_sa_params p;

	vec_params(&p, false, k->e, k->i, NULL, NULL);
	pr->out = vec_sa(&p);
	p.inbound = true;
	p.seq_start = 0;
	if (nrts) {
		memcpy(p.ts_remote, rts, nrts * sizeof(*rts));
		p.nts_remote = (uint8_t)nrts;
	}
	pr->in = vec_sa(&p);
	esp_sa_params_clear(&p);
}

static void
pair_free(struct pair *pr)
{
	esp_sa_free(pr->out);
	esp_sa_free(pr->in);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * An authentic ESP packet of out with any plaintext body (payload, padding and trailer as
 * the caller wrote them; a whole number of blocks for CBC). Returns its length.
 */
static size_t
craft(struct esp_sa *out, uint32_t seq, const uint8_t *body, size_t n, uint8_t *dst)
{
	struct esp_slot *s = &out->slots[0];
	uint8_t *iv = dst + ESP_HDR_LEN, *b = iv + out->iv_len, nonce[12];
	struct esp_mac_run r;

	put32(dst, out->p.spi);
	put32(dst + 4, seq);
	memset(iv, 0xa5, out->iv_len);
	memcpy(b, body, n);
	if (out->kind == ESP_KIND_AEAD) {
		memcpy(nonce, out->salt, 4);
		memcpy(nonce + 4, iv, 8);
		assert_true(esp_aead_seal(s, nonce, dst, 8, b, n, b + n, out->icv_len));
		return ESP_HDR_LEN + out->iv_len + n + out->icv_len;
	}
	if (out->kind == ESP_KIND_CBC)
		assert_true(esp_cbc_crypt(s, true, iv, b, n));
	esp_mac_begin(&r, &out->mac, &s->mac);
	esp_mac_update(&r, dst, (size_t)(b + n - dst));
	assert_true(esp_mac_end(&r, b + n));
	return ESP_HDR_LEN + out->iv_len + n + out->icv_len;
}

/* A body: inner packet, padding bytes given by pad[] (npad of them), pad length, next. */
static size_t
body_make(uint8_t *body, const uint8_t *inner, size_t ilen, const uint8_t *pad, size_t npad,
          uint8_t padlen, uint8_t nh)
{
	memcpy(body, inner, ilen);
	memcpy(body + ilen, pad, npad);
	body[ilen + npad] = padlen;
	body[ilen + npad + 1] = nh;
	return ilen + npad + 2;
}

static enum esp_drop
decap_copy(struct esp_sa *in, const uint8_t *p, size_t len)
{
	static uint8_t copy[4096];
	struct esp_inner res;

	memcpy(copy, p, len);
	return esp_decap(in, 0, copy, len, &res);
}

/* inner length 46 + 2 = 48: a multiple of every block, so the pad bytes are free to choose */
static void
check_trailers(const struct kind *k)
{
	static const uint8_t good[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t bad[16] = {1, 2, 4, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	uint8_t inner[46], inner6[46], body[128], pkt[256];
	uint32_t seq = 1;
	struct pair pr;
	size_t n;

	pair_make(&pr, k, NULL, 0);
	vec_ip4_udp(inner, sizeof(inner), 1, 2);
	n = body_make(body, inner, sizeof(inner), good, 16, 16, 4);
	assert_int_equal(decap_copy(pr.in, pkt, craft(pr.out, seq++, body, n, pkt)), ESP_DROP_NONE);
	/* RFC 4303 §2.4: padding not 1, 2, 3, ... */
	n = body_make(body, inner, sizeof(inner), bad, 16, 16, 4);
	assert_int_equal(decap_copy(pr.in, pkt, craft(pr.out, seq++, body, n, pkt)),
	                 ESP_DROP_BAD_PADDING);
	/* pad length beyond the payload */
	n = body_make(body, inner, sizeof(inner), good, 16, 200, 4);
	assert_int_equal(decap_copy(pr.in, pkt, craft(pr.out, seq++, body, n, pkt)),
	                 ESP_DROP_BAD_PADDING);
	/* next header 6 and 17: transport mode, "Received in Transport mode" */
	n = body_make(body, inner, sizeof(inner), good, 16, 16, 6);
	assert_int_equal(decap_copy(pr.in, pkt, craft(pr.out, seq++, body, n, pkt)),
	                 ESP_DROP_MODE_MISMATCH);
	n = body_make(body, inner, sizeof(inner), good, 16, 16, 17);
	assert_int_equal(decap_copy(pr.in, pkt, craft(pr.out, seq++, body, n, pkt)),
	                 ESP_DROP_MODE_MISMATCH);
	/* RFC 4303 §2.6: next header 59 is a dummy packet, discarded */
	n = body_make(body, inner, sizeof(inner), good, 16, 16, 59);
	assert_int_equal(decap_copy(pr.in, pkt, craft(pr.out, seq++, body, n, pkt)),
	                 ESP_DROP_DUMMY);
	/* next header 41 around an IPv4 packet; an inner packet longer than the payload */
	n = body_make(body, inner, sizeof(inner), good, 16, 16, 41);
	assert_int_equal(decap_copy(pr.in, pkt, craft(pr.out, seq++, body, n, pkt)),
	                 ESP_DROP_MALFORMED);
	memcpy(inner6, inner, sizeof(inner6));
	inner6[3] = 47; /* total length 47 > 46 */
	n = body_make(body, inner6, sizeof(inner6), good, 16, 16, 4);
	assert_int_equal(decap_copy(pr.in, pkt, craft(pr.out, seq++, body, n, pkt)),
	                 ESP_DROP_MALFORMED);
	/* TFC padding (RFC 4303 §2.7): bytes after the inner packet's own length are dropped */
	inner6[3] = 40;
	n = body_make(body, inner6, sizeof(inner6), good, 16, 16, 4);
	assert_int_equal(decap_copy(pr.in, pkt, craft(pr.out, seq++, body, n, pkt)), ESP_DROP_NONE);
	pair_free(&pr);
}

static void
test_authentic_but_wrong(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++)
		check_trailers(&kinds[k]);
}

/* Flips one bit in every byte position in turn: each gives its field's reason. */
static void
check_tamper(const struct kind *k)
{
	static struct vec_buf b;
	uint8_t inner[60], pkt[512];
	struct pair pr;
	size_t len = 0;

	pair_make(&pr, k, NULL, 0);
	vec_ip4_udp(inner, sizeof(inner), 1, 2);
	for (size_t pos = 0;; pos++) {
		enum esp_drop want, got;

		vec_buf_set(&b, inner, sizeof(inner));
		assert_int_equal(esp_encap(pr.out, 0, &b.pkt), ESP_DROP_NONE);
		len = b.pkt.len;
		if (pos >= len)
			break;
		memcpy(pkt, b.pkt.data, len);
		pkt[pos] ^= 0x10;
		if (pos < 4)
			want = ESP_DROP_NO_SA; /* another SPI: not this SA's packet */
		else
			want = ESP_DROP_AUTH_FAILED; /* sequence number, IV, payload, ICV */
		got = decap_copy(pr.in, pkt, len);
		if (pos >= 4 && pos < 8 && got == ESP_DROP_REPLAY_LATE)
			got = ESP_DROP_AUTH_FAILED; /* a number flipped below the window */
		assert_int_equal(got, want);
	}
	/* truncated anywhere: malformed or not authentic, never accepted */
	for (size_t cut = 0; cut < len; cut++) {
		enum esp_drop got;

		vec_buf_set(&b, inner, sizeof(inner));
		assert_int_equal(esp_encap(pr.out, 0, &b.pkt), ESP_DROP_NONE);
		got = decap_copy(pr.in, b.pkt.data, cut);
		assert_true(got == ESP_DROP_MALFORMED || got == ESP_DROP_AUTH_FAILED);
	}
	pair_free(&pr);
}

static void
test_tamper_each_field(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++)
		check_tamper(&kinds[k]);
}

/* RFC 4301 §5.2: an inner packet outside the SA's selectors is dropped. */
static void
test_ts_mismatch(void **state)
{
	struct esp_ts ts = {.family = AF_INET,
	                    .start = {10, 9, 0, 0},
	                    .end = {10, 9, 255, 255},
	                    .proto = 0,
	                    .sport = 0,
	                    .eport = 65535};
	static struct vec_buf b;
	uint8_t inner[80];
	struct esp_inner res;
	struct pair pr;

	(void)state;
	pair_make(&pr, &kinds[0], &ts, 1);
	vec_ip4_udp(inner, sizeof(inner), 1, 2); /* from 10.1.0.1 */
	vec_buf_set(&b, inner, sizeof(inner));
	assert_int_equal(esp_encap(pr.out, 0, &b.pkt), ESP_DROP_NONE);
	assert_int_equal(esp_decap(pr.in, 0, b.pkt.data, b.pkt.len, &res), ESP_DROP_TS_MISMATCH);
	pair_free(&pr);
	ts.start[1] = 1;
	ts.proto = 17;
	ts.sport = ts.eport = 1;
	pair_make(&pr, &kinds[0], &ts, 1);
	vec_buf_set(&b, inner, sizeof(inner));
	assert_int_equal(esp_encap(pr.out, 0, &b.pkt), ESP_DROP_NONE);
	assert_int_equal(esp_decap(pr.in, 0, b.pkt.data, b.pkt.len, &res), ESP_DROP_NONE);
	vec_ip4_udp(inner, sizeof(inner), 3, 2); /* source port 3: outside 1..1 */
	vec_buf_set(&b, inner, sizeof(inner));
	assert_int_equal(esp_encap(pr.out, 0, &b.pkt), ESP_DROP_NONE);
	assert_int_equal(esp_decap(pr.in, 0, b.pkt.data, b.pkt.len, &res), ESP_DROP_TS_MISMATCH);
	pair_free(&pr);
}

/* RFC 4303 §2.4: padding 1, 2, 3, ... up to the block (or 4-byte) boundary, every length. */
static void
test_padding_every_length(void **state)
{
	static const struct kind pk[] = {
	        {CFG_ENCR_NULL, CFG_INTEG_HMAC_SHA1_96},       /* align 4, visible trailer */
	        {CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96}, /* block 16 */
	        {CFG_ENCR_DES_CBC, CFG_INTEG_HMAC_MD5_96},     /* block 8 */
	        {CFG_ENCR_AES256_GCM16, CFG_INTEG_NONE},       /* align 4 */
	};
	static struct vec_buf b;
	uint8_t inner[200];
	struct esp_inner res;

	(void)state;
	for (size_t k = 0; k < sizeof(pk) / sizeof(pk[0]); k++) {
		struct pair pr;

		pair_make(&pr, &pk[k], NULL, 0);
		for (size_t len = 40; len < 40 + 2 * 16 + 1; len++) {
			size_t align = pr.out->align,
			       padded = (len + 2 + align - 1) / align * align;
			size_t pad = padded - len - 2;

			vec_ip4_udp(inner, len, 1, 2);
			vec_buf_set(&b, inner, len);
			assert_int_equal(esp_encap(pr.out, 0, &b.pkt), ESP_DROP_NONE);
			assert_int_equal(b.pkt.len,
			                 esp_sa_head_len(pr.out) + padded + pr.out->icv_len);
			if (pk[k].e == CFG_ENCR_NULL) {
				const uint8_t *t = b.pkt.data + ESP_HDR_LEN + len;

				for (size_t i = 0; i < pad; i++)
					assert_int_equal(t[i], i + 1);
				assert_int_equal(t[pad], pad);
				assert_int_equal(t[pad + 1], 4);
			}
			assert_int_equal(esp_decap(pr.in, 0, b.pkt.data, b.pkt.len, &res),
			                 ESP_DROP_NONE);
			assert_int_equal(res.len, len);
		}
		pair_free(&pr);
	}
}

/* Seed 004 §17, Table 7, word for word. */
static void
test_seed_wording(void **state)
{
	(void)state;
	assert_string_equal(esp_drop_name(ESP_DROP_AUTH_FAILED), "auth_failed");
	assert_string_equal(esp_drop_msg(ESP_DROP_AUTH_FAILED),
	                    "Authentication failure. Possibly mis-matching keys.");
	assert_string_equal(esp_drop_name(ESP_DROP_NO_SA), "no_sa");
	assert_string_equal(esp_drop_msg(ESP_DROP_NO_SA), "No Inbound SA Found.");
	assert_string_equal(esp_drop_name(ESP_DROP_REPLAY_LATE), "replay_late");
	assert_string_equal(esp_drop_msg(ESP_DROP_REPLAY_LATE),
	                    "Late Packet falling out of window.");
	assert_string_equal(esp_drop_name(ESP_DROP_REPLAY_DUP), "replay_duplicate");
	assert_string_equal(esp_drop_msg(ESP_DROP_REPLAY_DUP), "Repeated/duplicate packet.");
	assert_string_equal(esp_drop_name(ESP_DROP_MODE_MISMATCH), "mode_mismatch");
	assert_string_equal(
	        esp_drop_msg(ESP_DROP_MODE_MISMATCH),
	        "Encapsulation mode differs. Received in Transport mode, where expected "
	        "in Tunnel mode.");
	for (unsigned d = 0; d < ESP_DROP__COUNT; d++) {
		assert_non_null(esp_drop_name((enum esp_drop)d));
		assert_non_null(esp_drop_msg((enum esp_drop)d));
	}
	assert_string_equal(esp_drop_name(ESP_DROP__COUNT), "unknown");
}

/* Misuse and room: an outbound SA cannot decapsulate; no headroom is reported, not written. */
static void
test_room_and_direction(void **state)
{
	static struct vec_buf b;
	uint8_t inner[64], not_ip[8] = {0x10};
	struct esp_inner res;
	struct pair pr;

	(void)state;
	pair_make(&pr, &kinds[2], NULL, 0);
	vec_ip4_udp(inner, sizeof(inner), 1, 2);
	vec_buf_set(&b, inner, sizeof(inner));
	b.pkt.headroom = 10;
	assert_int_equal(esp_encap(pr.out, 0, &b.pkt), ESP_DROP_NO_ROOM);
	b.pkt.headroom = 128;
	b.pkt.tailroom = 5;
	assert_int_equal(esp_encap(pr.out, 0, &b.pkt), ESP_DROP_NO_ROOM);
	vec_buf_set(&b, not_ip, sizeof(not_ip));
	assert_int_equal(esp_encap(pr.out, 0, &b.pkt), ESP_DROP_MALFORMED);
	assert_int_equal(esp_encap(pr.in, 0, &b.pkt), ESP_DROP_INTERNAL);
	assert_int_equal(esp_decap(pr.out, 0, inner, sizeof(inner), &res), ESP_DROP_INTERNAL);
	assert_int_equal(esp_encap(pr.out, 7, &b.pkt), ESP_DROP_INTERNAL);
	pair_free(&pr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_authentic_but_wrong),
	        cmocka_unit_test(test_tamper_each_field),
	        cmocka_unit_test(test_ts_mismatch),
	        cmocka_unit_test(test_padding_every_length),
	        cmocka_unit_test(test_seed_wording),
	        cmocka_unit_test(test_room_and_direction),
	};

	return cmocka_run_group_tests_name("esp_drops", tests, NULL, NULL);
}
