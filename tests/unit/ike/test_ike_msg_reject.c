/* SPDX-License-Identifier: MIT */
/*
 * One malformed message per rejection reason the parser can produce: each case asserts the
 * reason, the payload concerned, the two numbers and the log text (seed 004 §16 wording;
 * where the seed shows an example the case reproduces its numbers). Also checks the
 * rejection table itself (counters, formats, notifies) and ike_perr_format's bounds. Then
 * what RFC 7296 says to accept although the seeds rejected it: the critical bit on a payload
 * type we understand (§2.5), and transform attributes we do not understand (TLV form, unknown
 * types), which make only their transform unusable (§3.3.6); each is noted in the message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/ike/ike_msg.h"
#include "test_ike_msg_util.h"

#define B16(v)                              (uint8_t)((v) >> 8), (uint8_t)(v)
#define GH(nx, fl, len)                     (nx), (fl), B16(len)
#define PROP(l, len, num, proto, spisz, nt) (l), 0, B16(len), (num), (proto), (spisz), (nt)
#define XF(l, len, type, id)                (l), 0, B16(len), (type), 0, B16(id)
#define HDRS(next, ver, exch, len)                                                               \
	1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, (next), (ver), (exch), 0x08, 0, 0, 0, 0, \
	        0, 0, B16(len)
#define Z4   0, 0, 0, 0
#define Z8   Z4, Z4
#define Z16  Z8, Z8
#define CRIT 0x80
#define RESP IKE_FLAG_RESPONSE

#define BYTES(...) \
	.bytes = (const uint8_t[]){__VA_ARGS__}, .len = sizeof((const uint8_t[]){__VA_ARGS__})

enum kind {
	K_CHAIN, /* a header (exch, flags, first) followed by bytes */
	K_RAW,   /* bytes are the whole datagram */
	K_INNER, /* bytes are an SK plaintext chain starting with first */
	K_GEN,   /* gen() writes the whole datagram */
};

struct rcase {
	const char *name;
	enum ike_reject reason;
	uint8_t pld_type;
	uint32_t a, b;
	const char *text;
	enum kind kind;
	uint8_t exch, flags, first;
	const uint8_t *bytes;
	size_t len;
	size_t (*gen)(uint8_t *out);
};

static const struct ike_hdr gen_hdr = {.spi_i = 1, .exch = IKE_EXCH_SA_INIT};

static size_t
mb_take(struct ike_mb *mb, uint8_t *out)
{
	size_t n;

	assert_int_equal(ike_mb_finish(mb), 0);
	n = mb->b.b_len;
	assert_true(n <= IKET_MAX_FILE);
	memcpy(out, mb->b.b_data, n);
	ike_mb_fini(mb);
	return n;
}

static size_t
gen_many_payloads(uint8_t *out)
{
	struct ike_mb mb;

	ike_mb_init(&mb, &gen_hdr);
	for (int i = 0; i < IKE_MAX_PAYLOADS + 1; i++)
		assert_int_equal(ike_mb_payload(&mb, 100, NULL, 0), 0);
	return mb_take(&mb, out);
}

static size_t
gen_many_notifies(uint8_t *out)
{
	struct ike_mb mb;

	ike_mb_init(&mb, &gen_hdr);
	for (int i = 0; i < IKE_MAX_NOTIFIES + 1; i++)
		assert_int_equal(ike_mb_notify(&mb, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0), 0);
	return mb_take(&mb, out);
}

static size_t
gen_many_deletes(uint8_t *out)
{
	struct ike_mb mb;
	uint8_t spi[4] = {1, 2, 3, 4};

	ike_mb_init(&mb, &gen_hdr);
	for (int i = 0; i < IKE_MAX_DELETES + 1; i++)
		assert_int_equal(ike_mb_delete(&mb, IKE_PROTO_ESP, 4, spi, 1), 0);
	return mb_take(&mb, out);
}

static size_t
gen_big_nonce(uint8_t *out)
{
	struct ike_mb mb;
	uint8_t n[296] = {0};

	ike_mb_init(&mb, &gen_hdr);
	assert_int_equal(ike_mb_nonce(&mb, n, sizeof(n)), 0);
	return mb_take(&mb, out);
}

/* 33 proposals, numbered 1..33, each with one DH transform. */
static size_t
gen_many_proposals(uint8_t *out)
{
	struct ike_mb mb;
	size_t off;
	int n = IKE_MAX_PROPOSALS + 1;
	uint8_t p[16];

	ike_mb_init(&mb, &gen_hdr);
	assert_int_equal(ike_mb_payload(&mb, IKE_PLD_SA, NULL, 0), 0);
	off = mb.b.b_len - 4;
	for (int i = 0; i < n; i++) {
		const uint8_t one[] = {PROP(i + 1 < n ? 2 : 0, 16, (uint8_t)(i + 1), 1, 0, 1),
		                       XF(0, 8, 4, 19)};

		memcpy(p, one, sizeof(p));
		assert_true(buf_put(&mb.b, p, sizeof(p)));
	}
	assert_true(buf_set_n16(&mb.b, off + 2, (uint16_t)(mb.b.b_len - off)));
	return mb_take(&mb, out);
}

static const struct rcase cases[] = {
        /* ---- header */
        {"hdr_incomplete", IKE_REJ_HDR_INCOMPLETE, 0, 10, 0,
         "IKEV2 HEADER:Incomplete data received:10 bytes", K_RAW, BYTES(Z8, 0, 0)},
        {"hdr_length_long", IKE_REJ_HDR_TOTAL_LENGTH, 0, 100, 110,
         "IKEV2_TOTAL_LENGTH_RCVD_ERROR:100 bytes IKE_HDR_TOTAL_LENGTH:110", K_RAW,
         BYTES(HDRS(IKE_PLD_NONCE, 0x20, 34, 110), GH(0, 0, 72), Z16, Z16, Z16, Z16, Z4)},
        {"hdr_length_trailing", IKE_REJ_HDR_TOTAL_LENGTH, 0, 32, 28,
         "IKEV2_TOTAL_LENGTH_RCVD_ERROR:32 bytes IKE_HDR_TOTAL_LENGTH:28", K_RAW,
         BYTES(HDRS(0, 0x20, 34, 28), Z4)},
        {"hdr_major_version", IKE_REJ_HDR_MAJOR_VERSION, 0, 1, 0, "IKEV2_MAJOR_VERSION_ERROR :1",
         K_RAW, BYTES(HDRS(0, 0x10, 34, 28))},
        {"hdr_zero_spi_i", IKE_REJ_HDR_ZERO_SPI_I, 0, 0, 0, "IKEV2 HEADER:Zero Init SPI received",
         K_RAW, BYTES(Z16, 0, 0x20, 34, 0x08, Z4, 0, 0, 0, 28)},
        {"hdr_exchange", IKE_REJ_HDR_EXCHANGE, 0, 33, 0, "IKEV2 HEADER:Invalid Exchange Type",
         K_RAW, BYTES(HDRS(0, 0x20, 33, 28))},
        {"hdr_next_payload", IKE_REJ_HDR_NEXT_PAYLOAD, 0, 4, 0,
         "IKEV2 HEADER:INVALID_NEXT_PAYLOAD_TYPE", K_CHAIN, 0, 0, IKE_PLD_NONE, BYTES(Z4)},
        /* ---- payload chain */
        {"generic_length_short", IKE_REJ_GENERIC_LENGTH, IKE_PLD_SA, 3, 0,
         "IKEV2_GENERIC_HEADER_LENGTH_ERROR:3", K_CHAIN, 0, 0, IKE_PLD_SA, BYTES(GH(0, 0, 3))},
        {"generic_length_long", IKE_REJ_GENERIC_LENGTH, IKE_PLD_NONCE, 512, 0,
         "IKEV2_GENERIC_HEADER_LENGTH_ERROR:512", K_CHAIN, 0, 0, IKE_PLD_NONCE,
         BYTES(GH(0, 0, 512), Z16)},
        {"generic_header_cut", IKE_REJ_GENERIC_LENGTH, IKE_PLD_KE, 2, 0,
         "IKEV2_GENERIC_HEADER_LENGTH_ERROR:2", K_CHAIN, 0, 0, IKE_PLD_KE, BYTES(0, 0)},
        {"too_many_payloads", IKE_REJ_TOO_MANY_PAYLOADS, 100, 100, IKE_MAX_PAYLOADS,
         "TOO_MANY_PAYLOADS of type 100, maximum 64", K_GEN, .gen = gen_many_payloads},
        {"unsupported_critical", IKE_REJ_UNSUPPORTED_CRITICAL, 6, 6, 0,
         "UNSUPPORTED PAYLOAD TYPE: 06, Critical Bit set", K_CHAIN, 0, 0, 6, BYTES(GH(0, CRIT, 4))},
        {"sk_nested", IKE_REJ_SK_NESTED, IKE_PLD_SK, 0, 0,
         "ENCRYPTED PAYLOAD:Encrypted payload MUST not be nested", K_INNER, 0, 0, IKE_PLD_SK,
         BYTES(GH(0, 0, 5), 0xaa)},
        {"skf_nested", IKE_REJ_SK_NESTED, IKE_PLD_SKF, 0, 0,
         "ENCRYPTED PAYLOAD:Encrypted payload MUST not be nested", K_INNER, 0, 0, IKE_PLD_SKF,
         BYTES(GH(0, 0, 9), 0, 1, 0, 1, 0xaa)},
        {"sk_not_last", IKE_REJ_SK_NOT_LAST, IKE_PLD_SK, 4, 0,
         "ENCRYPTED PAYLOAD:Encrypted payload MUST be the last payload:4 bytes follow", K_CHAIN,
         IKE_EXCH_AUTH, 0, IKE_PLD_SK, BYTES(GH(35, 0, 5), 0xaa, GH(0, 0, 4))},
        {"sk_incomplete", IKE_REJ_SK_INCOMPLETE, IKE_PLD_SK, 0, 0,
         "ENCRYPTED PAYLOAD:Incomplete data received:0 bytes", K_CHAIN, IKE_EXCH_AUTH, 0,
         IKE_PLD_SK, BYTES(GH(35, 0, 4))},
        {"duplicate_payload", IKE_REJ_DUPLICATE_PAYLOAD, IKE_PLD_NONCE, IKE_PLD_NONCE, 0,
         "DUPLICATE_PAYLOAD:payload type 40 received more than once", K_CHAIN, 0, 0, IKE_PLD_NONCE,
         BYTES(GH(40, 0, 20), Z16, GH(0, 0, 20), Z16)},
        {"default_incomplete", IKE_REJ_DEFAULT_INCOMPLETE, 100, 2, 0,
         "DEFAULT_PAYLOAD:Incomplete data received:2 bytes", K_CHAIN, 0, 0, 100, BYTES(0, 0)},
        {"default_length", IKE_REJ_DEFAULT_LENGTH, 100, 2048, 0,
         "DEFAULT_PAYLOAD:Invalid Length received:2048 bytes", K_CHAIN, 0, 0, 100,
         BYTES(GH(0, 0, 2048))},
        /* ---- SA (RFC 7296 §3.3) */
        {"sa_incomplete", IKE_REJ_SA_INCOMPLETE, IKE_PLD_SA, 4, 0,
         "SA PAYLOAD:Incomplete data received:4 bytes", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 8), Z4)},
        {"sa_length", IKE_REJ_SA_LENGTH, IKE_PLD_SA, 24, 20,
         "SA_PAYLOAD_LENGTH_ERROR:24, received 20 bytes", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 24), PROP(0, 16, 1, 1, 0, 1), XF(0, 8, 4, 19), Z4)},
        {"proposal_length", IKE_REJ_PROPOSAL_LENGTH, IKE_PLD_SA, 100, 16,
         "PROPOSAL_PAYLOAD_LENGTH_ERROR : 100, received bytes:16,", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(0, 100, 1, 1, 0, 1), XF(0, 8, 4, 19))},
        {"proposal_too_many", IKE_REJ_PROPOSAL_TOO_MANY, IKE_PLD_SA, 33, 32,
         "PROPOSAL_PAYLOAD:TOO_MANY_PROPOSALS:33, maximum 32", K_GEN, .gen = gen_many_proposals},
        {"proposal_number_first", IKE_REJ_PROPOSAL_NUMBER, IKE_PLD_SA, 2, 1,
         "INVALID_PROPOSAL_NUMBER 2, expected 1", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(0, 16, 2, 1, 0, 1), XF(0, 8, 4, 19))},
        {"proposal_number_gap", IKE_REJ_PROPOSAL_NUMBER, IKE_PLD_SA, 3, 2,
         "INVALID_PROPOSAL_NUMBER 3, expected 2", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 36), PROP(2, 16, 1, 1, 0, 1), XF(0, 8, 4, 19), PROP(0, 16, 3, 1, 0, 1),
               XF(0, 8, 4, 19))},
        {"proposal_last", IKE_REJ_PROPOSAL_LAST, IKE_PLD_SA, 1, 1,
         "PROPOSAL_PAYLOAD:INVALID_LAST_SUBSTRUC:1 in PROPOSAL_1", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(1, 16, 1, 1, 0, 1), XF(0, 8, 4, 19))},
        {"invalid_protocol_id", IKE_REJ_INVALID_PROTOCOL_ID, IKE_PLD_SA, 4, 5,
         "INVALID_PROTOCOL_ID 4 in PROPOSAL_5,", K_CHAIN, 0, RESP, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(0, 16, 5, 4, 0, 1), XF(0, 8, 4, 19))},
        {"invalid_spi_size", IKE_REJ_INVALID_SPI_SIZE, IKE_PLD_SA, 3, 6,
         "INVALID_SPI_SIZE 0x3 in PROPOSAL_6", K_CHAIN, 0, RESP, IKE_PLD_SA,
         BYTES(GH(0, 0, 23), PROP(0, 19, 6, 1, 3, 1), 1, 2, 3, XF(0, 8, 4, 19))},
        {"invalid_spi_size_rekey", IKE_REJ_INVALID_SPI_SIZE, IKE_PLD_SA, 0, 1,
         "INVALID_SPI_SIZE 0x0 in PROPOSAL_1", K_CHAIN, IKE_EXCH_CREATE_CHILD_SA, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(0, 16, 1, 1, 0, 1), XF(0, 8, 4, 19))},
        {"invalid_spi_size_esp", IKE_REJ_INVALID_SPI_SIZE, IKE_PLD_SA, 8, 1,
         "INVALID_SPI_SIZE 0x8 in PROPOSAL_1", K_CHAIN, IKE_EXCH_AUTH, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 28), PROP(0, 24, 1, 3, 8, 1), Z8, XF(0, 8, 1, 20))},
        {"zero_transform", IKE_REJ_ZERO_TRANSFORM, IKE_PLD_SA, 6, 0,
         "ZERO_TRANSFORM received in PROPOSAL_6", K_CHAIN, 0, RESP, IKE_PLD_SA,
         BYTES(GH(0, 0, 12), PROP(0, 8, 6, 1, 0, 0))},
        {"xform_incomplete", IKE_REJ_XFORM_INCOMPLETE, IKE_PLD_SA, 4, 0,
         "INCOMPLETE_XFORM_PAYLOAD received :4", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 16), PROP(0, 12, 1, 1, 0, 1), 0, 0, 0, 8)},
        {"xform_length", IKE_REJ_XFORM_LENGTH, IKE_PLD_SA, 20, 8,
         "XFORM_PAYLOAD_LENGTH_ERROR :20 received bytes;8", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(0, 16, 1, 1, 0, 1), XF(0, 20, 4, 19))},
        {"xform_count_short", IKE_REJ_XFORM_COUNT, IKE_PLD_SA, 2, 1,
         "MISMATCHED_NUMBER_OF_TRANSFORMS:2 in PROPOSAL_1", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(0, 16, 1, 1, 0, 2), XF(0, 8, 4, 19))},
        {"xform_count_extra", IKE_REJ_XFORM_COUNT, IKE_PLD_SA, 1, 1,
         "MISMATCHED_NUMBER_OF_TRANSFORMS:1 in PROPOSAL_1", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 28), PROP(0, 24, 1, 1, 0, 1), XF(0, 8, 4, 19), XF(0, 8, 4, 14))},
        {"xform_count_more_flag", IKE_REJ_XFORM_COUNT, IKE_PLD_SA, 1, 1,
         "MISMATCHED_NUMBER_OF_TRANSFORMS:1 in PROPOSAL_1", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(0, 16, 1, 1, 0, 1), XF(3, 8, 4, 19))},
        {"xform_last", IKE_REJ_XFORM_LAST, IKE_PLD_SA, 5, 1,
         "XFORM_PAYLOAD:INVALID_LAST_SUBSTRUC:5 in PROPOSAL_1", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(0, 16, 1, 1, 0, 1), XF(5, 8, 4, 19))},
        {"xform_attr_length", IKE_REJ_XFORM_ATTR_LENGTH, IKE_PLD_SA, 4, 2,
         "XFORM_ATTRIB_LENGTH_ERROR :4 bytes of Attribute Received:2", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 22), PROP(0, 18, 1, 1, 0, 1), XF(0, 10, 1, 12), 0x80, 14)},
        /* a TLV attribute is skipped by its length, which must fit the transform */
        {"xform_attr_tlv_length", IKE_REJ_XFORM_ATTR_LENGTH, IKE_PLD_SA, 8, 2,
         "XFORM_ATTRIB_LENGTH_ERROR :8 bytes of Attribute Received:2", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 26), PROP(0, 22, 1, 1, 0, 1), XF(0, 14, 1, 12), 0, 14, 0, 8, 1, 0)},
        {"xform_attr_twice", IKE_REJ_XFORM_ATTR_TYPE, IKE_PLD_SA, 14, 1,
         "INVALID_XFORM_ATTRIB_TYPE:14 Prop Num:1", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 28), PROP(0, 24, 1, 1, 0, 1), XF(0, 16, 1, 12), 0x80, 14, 0, 128, 0x80, 14,
               1, 0)},
        {"xform_key_length_zero", IKE_REJ_XFORM_KEY_LENGTH, IKE_PLD_SA, 0, 1,
         "XFORM_ATTRIB_KEY_LENGTH:0 invalid in PROPOSAL_1", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 24), PROP(0, 20, 1, 1, 0, 1), XF(0, 12, 1, 12), 0x80, 14, 0, 0)},
        /* ---- KE, Nonce (§3.4, §3.9) */
        {"ke_incomplete", IKE_REJ_KE_INCOMPLETE, IKE_PLD_KE, 4, 0,
         "KEY EXCHANGE PAYLOAD:Incomplete data received:4 bytes", K_CHAIN, 0, 0, IKE_PLD_KE,
         BYTES(GH(0, 0, 8), 0, 19, 0, 0)},
        {"ke_length", IKE_REJ_KE_LENGTH, IKE_PLD_KE, 64, 10,
         "KEY_EXCHANGE_PAYLOAD_LENGTH_ERROR:64 bytes, received:10 bytes", K_CHAIN, 0, 0, IKE_PLD_KE,
         BYTES(GH(0, 0, 18), 0, 19, 0, 0, Z8, 0, 0)},
        {"nonce_incomplete", IKE_REJ_NONCE_INCOMPLETE, IKE_PLD_NONCE, 8, 0,
         "NONCE PAYLOAD:INCOMPLETE_DATA_RECEIVED:8 bytes", K_CHAIN, 0, 0, IKE_PLD_NONCE,
         BYTES(GH(0, 0, 12), Z8)},
        {"nonce_length", IKE_REJ_NONCE_LENGTH, IKE_PLD_NONCE, 300, 0,
         "MAX_NONCE_PAYLOAD_LENGTH_ERROR:300,Maximum Nonce Payload size: 256+4", K_GEN,
         .gen = gen_big_nonce},
        /* ---- ID, AUTH, CERT, CERTREQ, EAP (§3.5-§3.8, §3.16) */
        {"id_incomplete", IKE_REJ_ID_INCOMPLETE, IKE_PLD_IDI, 2, 0,
         "ID PAYLOAD:Incomplete data received:2 bytes", K_CHAIN, 0, 0, IKE_PLD_IDI,
         BYTES(GH(0, 0, 6), 1, 0)},
        {"id_length", IKE_REJ_ID_LENGTH, IKE_PLD_IDI, 13, 12,
         "ID_PAYLOAD_LENGTH_ERROR: usPayloadLen 13 bytes, ulMsgLen 12 bytes:", K_CHAIN, 0, 0,
         IKE_PLD_IDI, BYTES(GH(0, 0, 13), 1, 0, 0, 0, 10, 0, 0, 1, 9)},
        {"id_type", IKE_REJ_ID_TYPE, IKE_PLD_IDR, 4, 0, "INVALID_ID_TYPE_ERROR:4", K_CHAIN, 0, 0,
         IKE_PLD_IDR, BYTES(GH(0, 0, 9), 4, 0, 0, 0, 1)},
        {"auth_incomplete", IKE_REJ_AUTH_INCOMPLETE, IKE_PLD_AUTH, 4, 0,
         "AUTH_PAYLOAD:Incomplete data received:4", K_CHAIN, 0, 0, IKE_PLD_AUTH,
         BYTES(GH(0, 0, 8), 2, 0, 0, 0)},
        {"auth_length", IKE_REJ_AUTH_LENGTH, IKE_PLD_AUTH, 17, 6,
         "AUTH_PAYLOAD_LENGTH_ERROR :17 bytes,received 6 bytes", K_CHAIN, 0, 0, IKE_PLD_AUTH,
         BYTES(GH(0, 0, 14), 14, 0, 0, 0, 15, 1, 2, 3, 4, 5)},
        {"auth_method", IKE_REJ_AUTH_METHOD, IKE_PLD_AUTH, 12, 0,
         "AUTH_PAYLOAD:Invalid AuthMethod Type:C", K_CHAIN, 0, 0, IKE_PLD_AUTH,
         BYTES(GH(0, 0, 9), 12, 0, 0, 0, 1)},
        {"cert_incomplete", IKE_REJ_CERT_INCOMPLETE, IKE_PLD_CERT, 1, 0,
         "CERT_PAYLOAD:Incomplete data received:1 bytes", K_CHAIN, 0, 0, IKE_PLD_CERT,
         BYTES(GH(0, 0, 5), 4)},
        {"cert_length", IKE_REJ_CERT_LENGTH, IKE_PLD_CERT, 21, 10,
         "CERT_PAYLOAD_LENGTH_ERROR:21bytes,received 10 bytes", K_CHAIN, 0, 0, IKE_PLD_CERT,
         BYTES(GH(0, 0, 15), 12, Z8, 0, 0)},
        {"cert_encoding", IKE_REJ_CERT_ENCODING, IKE_PLD_CERT, 22, 0,
         "INVALID_CERT_ENCODING_TYPE_ERROR 22 in CERT payload", K_CHAIN, 0, 0, IKE_PLD_CERT,
         BYTES(GH(0, 0, 6), 22, 1)},
        {"certreq_length", IKE_REJ_CERTREQ_LENGTH, IKE_PLD_CERTREQ, 40, 25,
         "CERT_REQ_PAYLOAD_LENGTH_ERROR:40bytes,received 25 bytes", K_CHAIN, 0, 0, IKE_PLD_CERTREQ,
         BYTES(GH(0, 0, 30), 4, Z16, Z8, 0)},
        {"certreq_empty", IKE_REJ_CERTREQ_LENGTH, IKE_PLD_CERTREQ, 1, 0,
         "CERT_REQ_PAYLOAD_LENGTH_ERROR:1bytes,received 0 bytes", K_CHAIN, 0, 0, IKE_PLD_CERTREQ,
         BYTES(GH(0, 0, 4))},
        {"eap_incomplete", IKE_REJ_EAP_INCOMPLETE, IKE_PLD_EAP, 2, 0,
         "EAP PAYLOAD:Incomplete data received:2 bytes", K_CHAIN, 0, 0, IKE_PLD_EAP,
         BYTES(GH(0, 0, 6), 1, 1)},
        {"eap_length", IKE_REJ_EAP_LENGTH, IKE_PLD_EAP, 10, 8,
         "EAP_PAYLOAD_LENGTH_ERROR:Invalid payload length:10 bytes", K_CHAIN, 0, 0, IKE_PLD_EAP,
         BYTES(GH(0, 0, 12), 1, 1, 0, 10, 1, 'x', 'y', 'z')},
        {"eap_success_long", IKE_REJ_EAP_LENGTH, IKE_PLD_EAP, 5, 5,
         "EAP_PAYLOAD_LENGTH_ERROR:Invalid payload length:5 bytes", K_CHAIN, 0, 0, IKE_PLD_EAP,
         BYTES(GH(0, 0, 9), 3, 1, 0, 5, 0)},
        /* ---- Notify (§3.10) */
        {"notify_incomplete", IKE_REJ_NOTIFY_INCOMPLETE, IKE_PLD_NOTIFY, 2, 0,
         "NOTIFY PAYLOAD:INCOMPLETE_DATA_RECEIVED:2 bytes", K_CHAIN, 0, 0, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 6), 0, 0)},
        {"notify_length_spi", IKE_REJ_NOTIFY_LENGTH, IKE_PLD_NOTIFY, 8, 6,
         "NOTIFY_PAYLOAD_LENGTH_ERROR:8, received 6 bytes:", K_CHAIN, 0, 0, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 10), 3, 4, B16(IKE_N_REKEY_SA), 1, 2)},
        {"notify_length_natd", IKE_REJ_NOTIFY_LENGTH, IKE_PLD_NOTIFY, 20, 10,
         "NOTIFY_PAYLOAD_LENGTH_ERROR:20, received 10 bytes:", K_CHAIN, 0, 0, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 18), 0, 0, B16(IKE_N_NAT_DETECTION_SOURCE_IP), Z8, 0, 0)},
        {"notify_length_cookie", IKE_REJ_NOTIFY_LENGTH, IKE_PLD_NOTIFY, 1, 0,
         "NOTIFY_PAYLOAD_LENGTH_ERROR:1, received 0 bytes:", K_CHAIN, 0, 0, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 8), 0, 0, B16(IKE_N_COOKIE))},
        {"notify_length_sighash", IKE_REJ_NOTIFY_LENGTH, IKE_PLD_NOTIFY, 0, 3,
         "NOTIFY_PAYLOAD_LENGTH_ERROR:0, received 3 bytes:", K_CHAIN, 0, 0, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 11), 0, 0, B16(IKE_N_SIGNATURE_HASH_ALGORITHMS), 0, 2, 0)},
        {"notify_protocol_id", IKE_REJ_NOTIFY_PROTOCOL_ID, IKE_PLD_NOTIFY, 5, 0,
         "NOTIFY PAYLOAD:INVALID_NOTIFY_PROTOCOL_ID:5", K_CHAIN, 0, 0, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 12), 5, 4, B16(IKE_N_INVALID_SPI), 1, 2, 3, 4)},
        {"notify_ike_spi_size", IKE_REJ_NOTIFY_IKE_SPI_SIZE, IKE_PLD_NOTIFY, 8, 0,
         "NOTIFY PAYLOAD:FOR IKE SA SPI SIZE IS NONZERO", K_CHAIN, 0, 0, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 16), 1, 8, B16(IKE_N_INITIAL_CONTACT), Z8)},
        {"notify_spi_size", IKE_REJ_NOTIFY_SPI_SIZE, IKE_PLD_NOTIFY, 8, 3,
         "NOTIFY PAYLOAD:INVALID_SPI_SIZE:8 for protocol 3", K_CHAIN, 0, 0, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 16), 3, 8, B16(IKE_N_REKEY_SA), Z8)},
        {"notify_spi_no_proto", IKE_REJ_NOTIFY_SPI_SIZE, IKE_PLD_NOTIFY, 4, 0,
         "NOTIFY PAYLOAD:INVALID_SPI_SIZE:4 for protocol 0", K_CHAIN, 0, 0, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 12), 0, 4, B16(IKE_N_REKEY_SA), Z4)},
        {"notify_too_many", IKE_REJ_NOTIFY_TOO_MANY, IKE_PLD_NOTIFY, 32, 0,
         "NOTIFY PAYLOAD:TOO_MANY_NOTIFY_PAYLOADS, maximum 32", K_GEN, .gen = gen_many_notifies},
        /* ---- Delete (§3.11) */
        {"delete_length", IKE_REJ_DELETE_LENGTH, IKE_PLD_DELETE, 12, 8,
         "DELETE_PAYLOAD_LENGTH_ERROR:12 received 8 bytes", K_CHAIN, 0, 0, IKE_PLD_DELETE,
         BYTES(GH(0, 0, 12), 3, 4, 0, 2, 1, 2, 3, 4)},
        {"delete_short", IKE_REJ_DELETE_LENGTH, IKE_PLD_DELETE, 4, 2,
         "DELETE_PAYLOAD_LENGTH_ERROR:4 received 2 bytes", K_CHAIN, 0, 0, IKE_PLD_DELETE,
         BYTES(GH(0, 0, 6), 3, 4)},
        {"delete_protocol_id", IKE_REJ_DELETE_PROTOCOL_ID, IKE_PLD_DELETE, 15, 0,
         "DELETE_PAYLOAD:INVALID_PROTOCOL_ID:15", K_CHAIN, 0, 0, IKE_PLD_DELETE,
         BYTES(GH(0, 0, 8), 15, 4, 0, 0)},
        {"delete_ike_spi_size", IKE_REJ_DELETE_IKE_SPI_SIZE, IKE_PLD_DELETE, 8, 1,
         "DELETE_PAYLOAD:FOR IKE SA SPI SIZE IS NONZERO", K_CHAIN, 0, 0, IKE_PLD_DELETE,
         BYTES(GH(0, 0, 16), 1, 8, 0, 1, Z8)},
        {"delete_ike_count", IKE_REJ_DELETE_IKE_SPI_SIZE, IKE_PLD_DELETE, 0, 3,
         "DELETE_PAYLOAD:FOR IKE SA SPI SIZE IS NONZERO", K_CHAIN, 0, 0, IKE_PLD_DELETE,
         BYTES(GH(0, 0, 8), 1, 0, 0, 3)},
        {"delete_spi_size", IKE_REJ_DELETE_SPI_SIZE, IKE_PLD_DELETE, 8, 3,
         "DELETE_PAYLOAD:INVALID_SPI_SIZE:8 for protocol 3", K_CHAIN, 0, 0, IKE_PLD_DELETE,
         BYTES(GH(0, 0, 16), 3, 8, 0, 1, Z8)},
        {"delete_too_many", IKE_REJ_TOO_MANY_PAYLOADS, IKE_PLD_DELETE, IKE_PLD_DELETE, 16,
         "TOO_MANY_PAYLOADS of type 42, maximum 16", K_GEN, .gen = gen_many_deletes},
        /* ---- TS (§3.13) */
        {"ts_incomplete", IKE_REJ_TS_INCOMPLETE, IKE_PLD_TSI, 2, 0,
         "Ikev2TSNtoH:INCOMPLETE_TRAFFIC_SELECTOR received:2 bytes", K_CHAIN, 0, 0, IKE_PLD_TSI,
         BYTES(GH(0, 0, 6), 1, 0)},
        {"ts_selector_cut", IKE_REJ_TS_INCOMPLETE, IKE_PLD_TSR, 12, 0,
         "Ikev2TSNtoH:INCOMPLETE_TRAFFIC_SELECTOR received:12 bytes", K_CHAIN, 0, 0, IKE_PLD_TSR,
         BYTES(GH(0, 0, 20), 1, 0, 0, 0, 7, 0, 0, 16, 0, 0, 255, 255, 10, 0, 0, 1)},
        {"ts_zero", IKE_REJ_TS_ZERO, IKE_PLD_TSI, 0, 0,
         "ZERO_TRAFFIC_SELECTORS in TRAFFIC_SELECTOR_PAYLOAD", K_CHAIN, 0, 0, IKE_PLD_TSI,
         BYTES(GH(0, 0, 8), Z4)},
        {"ts_type", IKE_REJ_TS_TYPE, IKE_PLD_TSI, 5, 0, "INVALID_TRAFFIC_SELECTOR_TYPE:5", K_CHAIN,
         0, 0, IKE_PLD_TSI, BYTES(GH(0, 0, 24), 1, 0, 0, 0, 5, 0, 0, 16, 0, 0, 255, 255, Z8)},
        {"ts_length", IKE_REJ_TS_LENGTH, IKE_PLD_TSI, 7, 0, "INVALID_TRAFFIC_SELECTOR_LENGTH:7",
         K_CHAIN, 0, 0, IKE_PLD_TSI,
         BYTES(GH(0, 0, 24), 1, 0, 0, 0, 7, 0, 0, 7, 0, 0, 255, 255, Z8)},
        {"ts_trailing", IKE_REJ_TS_LENGTH, IKE_PLD_TSI, 28, 0, "INVALID_TRAFFIC_SELECTOR_LENGTH:28",
         K_CHAIN, 0, 0, IKE_PLD_TSI,
         BYTES(GH(0, 0, 28), 1, 0, 0, 0, 7, 0, 0, 16, 0, 0, 255, 255, Z8, Z4)},
        {"ts_port", IKE_REJ_TS_PORT, IKE_PLD_TSI, 100, 50,
         "INVALID_TRAFFIC_SELECTOR_PORT_RANGE:100-50", K_CHAIN, 0, 0, IKE_PLD_TSI,
         BYTES(GH(0, 0, 24), 1, 0, 0, 0, 7, 6, 0, 16, 0, 100, 0, 50, 10, 0, 0, 1, 10, 0, 0, 2)},
        {"ts_too_many", IKE_REJ_TS_TOO_MANY, IKE_PLD_TSI, 17, 16,
         "TOO_MANY_TRAFFIC_SELECTORS:17, maximum 16", K_CHAIN, 0, 0, IKE_PLD_TSI,
         BYTES(GH(0, 0, 8), 17, 0, 0, 0)},
        /* ---- CP, Vendor ID (§3.15, §3.12) */
        {"cp_incomplete", IKE_REJ_CP_INCOMPLETE, IKE_PLD_CP, 2, 0,
         "CP_PAYLOAD:Incomplete data received:2 bytes", K_CHAIN, 0, 0, IKE_PLD_CP,
         BYTES(GH(0, 0, 6), 1, 0)},
        {"cp_attr_cut", IKE_REJ_CP_INCOMPLETE, IKE_PLD_CP, 6, 0,
         "CP_PAYLOAD:Incomplete data received:6 bytes", K_CHAIN, 0, 0, IKE_PLD_CP,
         BYTES(GH(0, 0, 14), 1, 0, 0, 0, 0, 1, 0, 4, 10, 0)},
        {"cp_attr_type", IKE_REJ_CP_ATTR_TYPE, IKE_PLD_CP, 0, 0, "INVALID_CP_ATTRIB_TYPE:0",
         K_CHAIN, 0, 0, IKE_PLD_CP, BYTES(GH(0, 0, 12), 1, 0, 0, 0, 0x80, 0, 0, 0)},
        {"vendor_incomplete", IKE_REJ_VENDOR_INCOMPLETE, IKE_PLD_VENDOR, 0, 0,
         "VENDOR ID PAYLOAD:Incomplete data received:0 bytes", K_CHAIN, 0, 0, IKE_PLD_VENDOR,
         BYTES(GH(0, 0, 4))},
};

/* Reasons the parser never produces: found by exchange processing, or unused. */
static const enum ike_reject not_parser[] = {
        IKE_REJ_NONE,
        IKE_REJ_VENDOR_LENGTH, /* any non-empty vendor ID is acceptable */
        IKE_REJ_MISSING_PAYLOAD,
        IKE_REJ_UNEXPECTED_PAYLOAD,
        IKE_REJ_SK_DECRYPT,
        IKE_REJ_UNKNOWN_SPI,
        IKE_REJ_MSGID_OLD,
        IKE_REJ_MSGID_FUTURE,
        IKE_REJ_UNSOLICITED_RESPONSE,
        IKE_REJ_NO_PROPOSAL_CHOSEN,
        IKE_REJ_INVALID_KE,
        IKE_REJ_AUTH_FAILED,
        IKE_REJ_ID_MISMATCH,
        IKE_REJ_TS_UNACCEPTABLE,
        IKE_REJ_NO_TUNNEL,
        IKE_REJ_COOKIE_REQUIRED,
        IKE_REJ_COOKIE_INVALID,
        IKE_REJ_HALF_OPEN_LIMIT,
        IKE_REJ_INVALID_SPI_CHILD,
};

static size_t
case_datagram(const struct rcase *c, uint8_t *out)
{
	const uint8_t hdr[] = {HDRS(0, 0x20, 34, 0)};

	switch (c->kind) {
	case K_RAW:
		memcpy(out, c->bytes, c->len);
		return c->len;
	case K_GEN:
		return c->gen(out);
	case K_INNER:
		memcpy(out, hdr, sizeof(hdr));
		out[27] = IKE_HDR_LEN;
		return IKE_HDR_LEN;
	case K_CHAIN:
		break;
	}
	memcpy(out, hdr, sizeof(hdr));
	out[16] = c->first;
	out[18] = c->exch ? c->exch : IKE_EXCH_SA_INIT;
	out[19] = c->flags;
	memcpy(out + IKE_HDR_LEN, c->bytes, c->len);
	out[26] = (uint8_t)((IKE_HDR_LEN + c->len) >> 8);
	out[27] = (uint8_t)(IKE_HDR_LEN + c->len);
	return IKE_HDR_LEN + c->len;
}

static void
run_case(const struct rcase *c, struct ike_msg *msg)
{
	uint8_t buf[IKET_MAX_FILE];
	size_t len = case_datagram(c, buf);
	struct ike_perr err;
	char text[256];
	int rc;

	rc = ike_msg_parse(buf, len, msg, &err);
	if (c->kind == K_INNER) {
		assert_int_equal(rc, 0);
		rc = ike_msg_parse_inner(msg, c->first, c->bytes, c->len, &err);
	}
	if (rc != -EBADMSG || err.reason != c->reason || err.pld_type != c->pld_type ||
	    err.a != c->a || err.b != c->b)
		fail_msg("%s: rc %d reason %d (want %d) pld %u (want %u) a %u (want %u) "
		         "b %u (want %u)",
		         c->name, rc, err.reason, c->reason, err.pld_type, c->pld_type, err.a, c->a,
		         err.b, c->b);
	ike_perr_format(&err, text, sizeof(text));
	if (strcmp(text, c->text) != 0)
		fail_msg("%s: text \"%s\", want \"%s\"", c->name, text, c->text);
}

static void
test_cases(void **state)
{
	struct ike_msg *msg = calloc(1, sizeof(*msg));

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], msg);
	free(msg);
}

/* Every reason is either produced by one of the cases or listed as not the parser's. */
static void
test_coverage(void **state)
{
	bool seen[IKE_REJ_COUNT] = {false};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		seen[cases[i].reason] = true;
	for (size_t i = 0; i < sizeof(not_parser) / sizeof(not_parser[0]); i++) {
		assert_false(seen[not_parser[i]]);
		seen[not_parser[i]] = true;
	}
	for (int r = 0; r < IKE_REJ_COUNT; r++)
		if (!seen[r])
			fail_msg("reason %d (%s) has no case", r, ike_reject_info(r)->counter);
}

/* Counters are unique snake_case labels; formats take at most two numbers. */
static void
test_table(void **state)
{
	(void)state;
	for (int r = 0; r < IKE_REJ_COUNT; r++) {
		const struct ike_reject_info *ri = ike_reject_info(r);
		unsigned conv = 0;

		assert_non_null(ri->counter);
		assert_non_null(ri->fmt);
		assert_string_not_equal(ri->counter, "unknown");
		for (const char *p = ri->counter; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			            *p == '_');
		for (int q = 0; q < r; q++)
			assert_string_not_equal(ri->counter, ike_reject_info(q)->counter);
		for (const char *p = ri->fmt; (p = strchr(p, '%')) != NULL; p++)
			conv++;
		assert_true(conv <= 2);
	}
	assert_string_equal(ike_reject_info(IKE_REJ_COUNT)->counter, "unknown");
	assert_string_equal(ike_reject_info((enum ike_reject) - 1)->counter, "unknown");
}

/* The notifies RFC 7296 asks for (the caller decides whether to send them). */
static void
test_notifies(void **state)
{
	static const struct {
		enum ike_reject r;
		uint16_t n;
	} want[] = {
	        {IKE_REJ_HDR_INCOMPLETE, 0},
	        {IKE_REJ_HDR_ZERO_SPI_I, 0},
	        {IKE_REJ_HDR_MAJOR_VERSION, IKE_N_INVALID_MAJOR_VERSION},
	        {IKE_REJ_UNSUPPORTED_CRITICAL, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD},
	        {IKE_REJ_SA_LENGTH, IKE_N_INVALID_SYNTAX},
	        {IKE_REJ_TS_ZERO, IKE_N_INVALID_SYNTAX},
	        {IKE_REJ_DUPLICATE_PAYLOAD, IKE_N_INVALID_SYNTAX},
	        {IKE_REJ_MISSING_PAYLOAD, IKE_N_INVALID_SYNTAX},
	        {IKE_REJ_SK_DECRYPT, 0},
	        {IKE_REJ_UNKNOWN_SPI, IKE_N_INVALID_IKE_SPI},
	        {IKE_REJ_MSGID_OLD, 0},
	        {IKE_REJ_NO_PROPOSAL_CHOSEN, IKE_N_NO_PROPOSAL_CHOSEN},
	        {IKE_REJ_INVALID_KE, IKE_N_INVALID_KE_PAYLOAD},
	        {IKE_REJ_AUTH_FAILED, IKE_N_AUTHENTICATION_FAILED},
	        {IKE_REJ_ID_MISMATCH, IKE_N_AUTHENTICATION_FAILED},
	        {IKE_REJ_TS_UNACCEPTABLE, IKE_N_TS_UNACCEPTABLE},
	        {IKE_REJ_COOKIE_REQUIRED, IKE_N_COOKIE},
	        {IKE_REJ_INVALID_SPI_CHILD, IKE_N_INVALID_SPI},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (ike_reject_info(want[i].r)->notify != want[i].n)
			fail_msg("reason %d: notify %u, want %u", want[i].r,
			         ike_reject_info(want[i].r)->notify, want[i].n);
	assert_true(ike_reject_info(IKE_REJ_MSGID_OLD)->log_as_info);
	assert_false(ike_reject_info(IKE_REJ_SA_LENGTH)->log_as_info);
}

/* ike_perr_format never writes more than cap bytes and always terminates. */
static void
test_format_bounds(void **state)
{
	struct ike_perr e = {IKE_REJ_SA_LENGTH, IKE_PLD_SA, 1024, 512};
	char out[64];

	(void)state;
	ike_perr_format(&e, out, sizeof(out));
	assert_string_equal(out, "SA_PAYLOAD_LENGTH_ERROR:1024, received 512 bytes");
	memset(out, 'x', sizeof(out));
	ike_perr_format(&e, out, 5);
	assert_string_equal(out, "SA_P");
	assert_int_equal(out[5], 'x');
	ike_perr_format(&e, out, 1);
	assert_string_equal(out, "");
	out[0] = 'x';
	ike_perr_format(&e, out, 0);
	assert_int_equal(out[0], 'x');
	/* truncated in the middle of a number */
	ike_perr_format(&e, out, 27);
	assert_string_equal(out, "SA_PAYLOAD_LENGTH_ERROR:10");
	e = (struct ike_perr){IKE_REJ_UNSUPPORTED_CRITICAL, 200, 200, 0};
	ike_perr_format(&e, out, sizeof(out));
	assert_string_equal(out, "UNSUPPORTED PAYLOAD TYPE: 200, Critical Bit set");
	e = (struct ike_perr){IKE_REJ_INVALID_SPI_SIZE, IKE_PLD_SA, 0xab, 7};
	ike_perr_format(&e, out, sizeof(out));
	assert_string_equal(out, "INVALID_SPI_SIZE 0xab in PROPOSAL_7");
	e = (struct ike_perr){IKE_REJ_COUNT, 0, 1, 2};
	ike_perr_format(&e, out, sizeof(out));
	assert_string_equal(out, "unknown rejection reason");
}

/* ---- accepted and noted (RFC 7296 §2.5, §3.3.6) ------------------------------------------ */

struct ncase {
	const char *name;
	enum kind kind; /* K_CHAIN or K_INNER */
	uint8_t exch, flags, first;
	const uint8_t *bytes;
	size_t len;
	uint8_t notes;      /* the bits expected */
	enum ike_note note; /* and the numbers of this one */
	uint32_t a, b;
	uint8_t nunusable, ntrans; /* of the first proposal (SA cases) */
	const char *text;          /* ike_note_format of `note` */
};

#define NB(n) (uint8_t)(1u << (n))

static const struct ncase ncases[] = {
        {"vendor_critical", K_CHAIN, 0, 0, IKE_PLD_VENDOR, BYTES(GH(0, CRIT, 6), 1, 2),
         NB(IKE_NOTE_CRITICAL_KNOWN), IKE_NOTE_CRITICAL_KNOWN, IKE_PLD_VENDOR, 0, 0, 0,
         "CRITICAL_BIT on payload type 43, which is understood: ignored (RFC 7296 2.5)"},
        {"nonce_critical", K_CHAIN, 0, 0, IKE_PLD_NONCE, BYTES(GH(0, CRIT, 20), Z16),
         NB(IKE_NOTE_CRITICAL_KNOWN), IKE_NOTE_CRITICAL_KNOWN, IKE_PLD_NONCE, 0, 0, 0,
         "CRITICAL_BIT on payload type 40, which is understood: ignored (RFC 7296 2.5)"},
        {"vendor_critical_inner", K_INNER, 0, 0, IKE_PLD_VENDOR, BYTES(GH(0, CRIT, 5), 9),
         NB(IKE_NOTE_CRITICAL_KNOWN), IKE_NOTE_CRITICAL_KNOWN, IKE_PLD_VENDOR, 0, 0, 0,
         "CRITICAL_BIT on payload type 43, which is understood: ignored (RFC 7296 2.5)"},
        /* Key Length in TLV form (2-byte value), then a usable AES-CBC-128 */
        {"xform_attr_tlv", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 38), PROP(0, 34, 1, 1, 0, 2), XF(3, 14, 1, 12), 0, 14, 0, 2, 0, 128,
               XF(0, 12, 1, 12), 0x80, 14, 0, 128),
         NB(IKE_NOTE_XFORM_ATTR_TLV), IKE_NOTE_XFORM_ATTR_TLV, 14, 1, 1, 2,
         "XFORM_ATTRIB type 14 in TLV form in PROPOSAL_1: that transform is not usable"},
        /* an unknown TLV attribute with an empty value */
        {"xform_attr_tlv_empty", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(0, 0, 24), PROP(0, 20, 1, 1, 0, 1), XF(0, 12, 4, 19), 0x01, 0x2c, 0, 0),
         NB(IKE_NOTE_XFORM_ATTR_TLV), IKE_NOTE_XFORM_ATTR_TLV, 300, 1, 1, 1,
         "XFORM_ATTRIB type 300 in TLV form in PROPOSAL_1: that transform is not usable"},
        /* an unknown TV attribute (12) next to a Key Length; in a response, proposal 5 */
        {"xform_attr_unknown", K_CHAIN, 0, RESP, IKE_PLD_SA,
         BYTES(GH(0, 0, 28), PROP(0, 24, 5, 1, 0, 1), XF(0, 16, 1, 12), 0x80, 12, 0, 16, 0x80, 14,
               0, 128),
         NB(IKE_NOTE_XFORM_ATTR_UNKNOWN), IKE_NOTE_XFORM_ATTR_UNKNOWN, 12, 5, 1, 1,
         "UNKNOWN_XFORM_ATTRIB_TYPE:12 in PROPOSAL_5: that transform is not usable"},
        /* both kinds, and the critical bit, in one message: each noted once */
        {"all_three", K_CHAIN, 0, 0, IKE_PLD_SA,
         BYTES(GH(IKE_PLD_VENDOR, CRIT, 44), PROP(0, 40, 1, 1, 0, 3), XF(3, 12, 4, 19), 0, 99, 0, 0,
               XF(3, 12, 4, 20), 0x80, 77, 0, 1, XF(0, 8, 4, 14), GH(0, CRIT, 5), 1),
         NB(IKE_NOTE_CRITICAL_KNOWN) | NB(IKE_NOTE_XFORM_ATTR_TLV) |
                 NB(IKE_NOTE_XFORM_ATTR_UNKNOWN),
         IKE_NOTE_XFORM_ATTR_UNKNOWN, 77, 1, 2, 3,
         "UNKNOWN_XFORM_ATTRIB_TYPE:77 in PROPOSAL_1: that transform is not usable"},
};

static void
test_notes(void **state)
{
	struct ike_msg *msg = calloc(1, sizeof(*msg));

	(void)state;
	assert_non_null(msg);
	for (size_t i = 0; i < sizeof(ncases) / sizeof(ncases[0]); i++) {
		const struct ncase *c = &ncases[i];
		struct rcase rc = {.name = c->name,
		                   .kind = c->kind,
		                   .exch = c->exch,
		                   .flags = c->flags,
		                   .first = c->first,
		                   .bytes = c->bytes,
		                   .len = c->len};
		uint8_t buf[IKET_MAX_FILE];
		size_t len = case_datagram(&rc, buf);
		struct ike_perr err;
		char text[256];
		int r = ike_msg_parse(buf, len, msg, &err);

		if (r == 0 && c->kind == K_INNER)
			r = ike_msg_parse_inner(msg, c->first, c->bytes, c->len, &err);
		if (r != 0)
			fail_msg("%s: rejected, reason %d a %u b %u", c->name, err.reason, err.a,
			         err.b);
		if (msg->notes != c->notes || msg->note_a[c->note] != c->a ||
		    msg->note_b[c->note] != c->b)
			fail_msg("%s: notes 0x%x (want 0x%x) a %u (want %u) b %u (want %u)",
			         c->name, msg->notes, c->notes, msg->note_a[c->note], c->a,
			         msg->note_b[c->note], c->b);
		if (c->ntrans) {
			uint8_t un = 0;

			assert_true(msg->has_sa);
			assert_int_equal(msg->sa.props[0].ntrans, c->ntrans);
			for (size_t t = 0; t < c->ntrans; t++)
				un += msg->sa.props[0].trans[t].unusable;
			if (un != c->nunusable)
				fail_msg("%s: %u unusable transforms, want %u", c->name, un,
				         c->nunusable);
		}
		ike_note_format(c->note, c->a, c->b, text, sizeof(text));
		if (strcmp(text, c->text) != 0)
			fail_msg("%s: text \"%s\", want \"%s\"", c->name, text, c->text);
	}
	free(msg);
}

/* Note counters are unique labels apart from the rejection counters; formats take <= 2. */
static void
test_note_table(void **state)
{
	(void)state;
	for (int n = 0; n < IKE_NOTE_COUNT; n++) {
		const struct ike_note_info *ni = ike_note_info((enum ike_note)n);

		assert_non_null(ni->counter);
		assert_int_equal(strncmp(ni->counter, "noted_", 6), 0);
		for (int m = 0; m < n; m++)
			assert_string_not_equal(ni->counter,
			                        ike_note_info((enum ike_note)m)->counter);
		for (int r = 0; r < IKE_REJ_COUNT; r++)
			assert_string_not_equal(ni->counter, ike_reject_info(r)->counter);
	}
	assert_string_equal(ike_note_info(IKE_NOTE_COUNT)->counter, "noted_unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cases),         cmocka_unit_test(test_coverage),
	        cmocka_unit_test(test_table),         cmocka_unit_test(test_notifies),
	        cmocka_unit_test(test_format_bounds), cmocka_unit_test(test_notes),
	        cmocka_unit_test(test_note_table),
	};

	return cmocka_run_group_tests_name("ike_msg_reject", tests, NULL, NULL);
}
