/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 engine, rejected messages (seed 004 §16): one malformed message per row the engine
 * meets, sent to an engine with an established IKE SA, unprotected (IKE_SA_INIT, headers) or
 * inside the Encrypted payload with the right keys. Each case asserts the per-reason counter,
 * the logged text (peer, exchange, the seed's wording) and the answer RFC 7296 asks for:
 * none for an unprotected message except INVALID_MAJOR_VERSION and
 * UNSUPPORTED_CRITICAL_PAYLOAD, INVALID_SYNTAX (protected) for a protected one. Then the
 * engine-found reasons: unknown SPIs, bad ICV, missing payloads, invalid cookies. Last, what
 * RFC 7296 says to accept although the seeds rejected it, counted as notes: the critical bit on
 * a payload we understand (§2.5) and transform attributes we do not understand, which make only
 * their transform unusable (§3.3.6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/ike/ike_crypto.h"
#include "node/ike/ike_msg.h"
#include "test_ike_engine_util.h"

static struct world w;

#define B16(v)                              (uint8_t)((v) >> 8), (uint8_t)(v)
#define GH(nx, fl, len)                     (nx), (fl), B16(len)
#define PROP(l, len, num, proto, spisz, nt) (l), 0, B16(len), (num), (proto), (spisz), (nt)
#define XF(l, len, type, id)                (l), 0, B16(len), (type), 0, B16(id)
#define Z4                                  0, 0, 0, 0
#define Z8                                  Z4, Z4
#define Z16                                 Z8, Z8
#define CRIT                                0x80
#define BYTES(...) \
	.bytes = (const uint8_t[]){__VA_ARGS__}, .len = sizeof((const uint8_t[]){__VA_ARGS__})

enum mode {
	M_RAW,  /* bytes are the whole datagram, to port 500 */
	M_INIT, /* an IKE_SA_INIT request header, then the chain `first` + bytes */
	M_SK,   /* an INFORMATIONAL request of the IKE SA, the chain inside SK */
};

struct rcase {
	const char *name;
	enum ike_reject reason;
	const char *text; /* the log line must contain this */
	enum mode mode;
	uint8_t first;
	const uint8_t *bytes;
	size_t len;
	uint16_t answer; /* notify in the answer, 0: no answer at all */
};

#define INIT_HDR_LEN 28

static const struct rcase cases[] = {
        /* ---- IKEv2 attribute errors (the header) */
        {"hdr_incomplete", IKE_REJ_HDR_INCOMPLETE,
         "IKE: IKEV2 HEADER:Incomplete data received:10 bytes", M_RAW, 0, BYTES(Z8, 0, 0), 0},
        {"hdr_total_length", IKE_REJ_HDR_TOTAL_LENGTH,
         "IKE_SA_INIT: IKEV2_TOTAL_LENGTH_RCVD_ERROR:100 bytes IKE_HDR_TOTAL_LENGTH:110", M_RAW, 0,
         BYTES(1, 2, 3, 4, 5, 6, 7, 8, Z8, 40, 0x20, 34, 0x08, Z4, 0, 0, 0, 110, GH(0, 0, 72), Z16,
               Z16, Z16, Z16, Z4),
         0},
        {"hdr_major_version", IKE_REJ_HDR_MAJOR_VERSION,
         "IKE_SA_INIT: IKEV2_MAJOR_VERSION_ERROR :3", M_RAW, 0,
         BYTES(1, 2, 3, 4, 5, 6, 7, 8, Z8, 0, 0x30, 34, 0x08, Z4, 0, 0, 0, 28),
         IKE_N_INVALID_MAJOR_VERSION},
        {"hdr_zero_spi_i", IKE_REJ_HDR_ZERO_SPI_I,
         "IKE_SA_INIT: IKEV2 HEADER:Zero Init SPI received", M_RAW, 0,
         BYTES(Z16, 0, 0x20, 34, 0x08, Z4, 0, 0, 0, 28), 0},
        {"hdr_exchange", IKE_REJ_HDR_EXCHANGE, "IKE: IKEV2 HEADER:Invalid Exchange Type", M_RAW, 0,
         BYTES(1, 2, 3, 4, 5, 6, 7, 8, Z8, 0, 0x20, 33, 0x08, Z4, 0, 0, 0, 28), 0},
        {"hdr_next_payload", IKE_REJ_HDR_NEXT_PAYLOAD,
         "IKE_SA_INIT: IKEV2 HEADER:INVALID_NEXT_PAYLOAD_TYPE", M_INIT, IKE_PLD_NONE, BYTES(Z4), 0},
        {"generic_length", IKE_REJ_GENERIC_LENGTH,
         "IKE_SA_INIT: IKEV2_GENERIC_HEADER_LENGTH_ERROR:512", M_INIT, IKE_PLD_NONCE,
         BYTES(GH(0, 0, 512), Z16), 0},
        {"unsupported_critical", IKE_REJ_UNSUPPORTED_CRITICAL,
         "IKE_SA_INIT: UNSUPPORTED PAYLOAD TYPE: 06, Critical Bit set", M_INIT, 6,
         BYTES(GH(0, CRIT, 4)), IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD},
        /* ---- SA, proposal, transform payload errors (in IKE_SA_INIT) */
        {"sa_incomplete", IKE_REJ_SA_INCOMPLETE,
         "IKE_SA_INIT: SA PAYLOAD:Incomplete data received:4 bytes", M_INIT, IKE_PLD_SA,
         BYTES(GH(0, 0, 8), Z4), 0},
        {"sa_length", IKE_REJ_SA_LENGTH,
         "IKE_SA_INIT: SA_PAYLOAD_LENGTH_ERROR:24, received 20 bytes", M_INIT, IKE_PLD_SA,
         BYTES(GH(0, 0, 24), PROP(0, 16, 1, 1, 0, 1), XF(0, 8, 4, 19), Z4), 0},
        {"proposal_length", IKE_REJ_PROPOSAL_LENGTH,
         "IKE_SA_INIT: PROPOSAL_PAYLOAD_LENGTH_ERROR : 100, received bytes:16,", M_INIT, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(0, 100, 1, 1, 0, 1), XF(0, 8, 4, 19)), 0},
        {"invalid_spi_size", IKE_REJ_INVALID_SPI_SIZE,
         "IKE_SA_INIT: INVALID_SPI_SIZE 0x3 in PROPOSAL_1", M_INIT, IKE_PLD_SA,
         BYTES(GH(0, 0, 23), PROP(0, 19, 1, 1, 3, 1), 1, 2, 3, XF(0, 8, 4, 19)), 0},
        {"zero_transform", IKE_REJ_ZERO_TRANSFORM,
         "IKE_SA_INIT: ZERO_TRANSFORM received in PROPOSAL_1", M_INIT, IKE_PLD_SA,
         BYTES(GH(0, 0, 12), PROP(0, 8, 1, 1, 0, 0)), 0},
        {"xform_incomplete", IKE_REJ_XFORM_INCOMPLETE,
         "IKE_SA_INIT: INCOMPLETE_XFORM_PAYLOAD received :4", M_INIT, IKE_PLD_SA,
         BYTES(GH(0, 0, 16), PROP(0, 12, 1, 1, 0, 1), 0, 0, 0, 8), 0},
        {"xform_length", IKE_REJ_XFORM_LENGTH,
         "IKE_SA_INIT: XFORM_PAYLOAD_LENGTH_ERROR :20 received bytes;8", M_INIT, IKE_PLD_SA,
         BYTES(GH(0, 0, 20), PROP(0, 16, 1, 1, 0, 1), XF(0, 20, 4, 19)), 0},
        {"xform_attr_length", IKE_REJ_XFORM_ATTR_LENGTH,
         "IKE_SA_INIT: XFORM_ATTRIB_LENGTH_ERROR :4 bytes of Attribute Received:2", M_INIT,
         IKE_PLD_SA, BYTES(GH(0, 0, 22), PROP(0, 18, 1, 1, 0, 1), XF(0, 10, 1, 12), 0x80, 14), 0},
        /* a TLV attribute is skipped by its length, which must fit the transform */
        {"xform_attr_tlv_length", IKE_REJ_XFORM_ATTR_LENGTH,
         "IKE_SA_INIT: XFORM_ATTRIB_LENGTH_ERROR :8 bytes of Attribute Received:2", M_INIT,
         IKE_PLD_SA,
         BYTES(GH(0, 0, 26), PROP(0, 22, 1, 1, 0, 1), XF(0, 14, 1, 12), 0, 14, 0, 8, 1, 0), 0},
        {"xform_attr_twice", IKE_REJ_XFORM_ATTR_TYPE,
         "IKE_SA_INIT: INVALID_XFORM_ATTRIB_TYPE:14 Prop Num:1", M_INIT, IKE_PLD_SA,
         BYTES(GH(0, 0, 28), PROP(0, 24, 1, 1, 0, 1), XF(0, 16, 1, 12), 0x80, 14, 0, 128, 0x80, 14,
               1, 0),
         0},
        /* ---- KE, nonce, notify, vendor ID, unknown payloads (in IKE_SA_INIT) */
        {"ke_incomplete", IKE_REJ_KE_INCOMPLETE,
         "IKE_SA_INIT: KEY EXCHANGE PAYLOAD:Incomplete data received:4 bytes", M_INIT, IKE_PLD_KE,
         BYTES(GH(0, 0, 8), 0, 19, 0, 0), 0},
        {"ke_length", IKE_REJ_KE_LENGTH,
         "IKE_SA_INIT: KEY_EXCHANGE_PAYLOAD_LENGTH_ERROR:64 bytes, received:10 bytes", M_INIT,
         IKE_PLD_KE, BYTES(GH(0, 0, 18), 0, 19, 0, 0, Z8, 0, 0), 0},
        {"nonce_incomplete", IKE_REJ_NONCE_INCOMPLETE,
         "IKE_SA_INIT: NONCE PAYLOAD:INCOMPLETE_DATA_RECEIVED:8 bytes", M_INIT, IKE_PLD_NONCE,
         BYTES(GH(0, 0, 12), Z8), 0},
        {"notify_incomplete", IKE_REJ_NOTIFY_INCOMPLETE,
         "IKE_SA_INIT: NOTIFY PAYLOAD:INCOMPLETE_DATA_RECEIVED:2 bytes", M_INIT, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 6), 0, 0), 0},
        {"notify_length", IKE_REJ_NOTIFY_LENGTH,
         "IKE_SA_INIT: NOTIFY_PAYLOAD_LENGTH_ERROR:20, received 10 bytes:", M_INIT, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 18), 0, 0, B16(IKE_N_NAT_DETECTION_SOURCE_IP), Z8, 0, 0), 0},
        {"notify_protocol_id", IKE_REJ_NOTIFY_PROTOCOL_ID,
         "IKE_SA_INIT: NOTIFY PAYLOAD:INVALID_NOTIFY_PROTOCOL_ID:5", M_INIT, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 12), 5, 4, B16(IKE_N_INVALID_SPI), 1, 2, 3, 4), 0},
        {"notify_ike_spi_size", IKE_REJ_NOTIFY_IKE_SPI_SIZE,
         "IKE_SA_INIT: NOTIFY PAYLOAD:FOR IKE SA SPI SIZE IS NONZERO", M_INIT, IKE_PLD_NOTIFY,
         BYTES(GH(0, 0, 16), 1, 8, B16(IKE_N_INITIAL_CONTACT), Z8), 0},
        {"vendor_incomplete", IKE_REJ_VENDOR_INCOMPLETE,
         "IKE_SA_INIT: VENDOR ID PAYLOAD:Incomplete data received:0 bytes", M_INIT, IKE_PLD_VENDOR,
         BYTES(GH(0, 0, 4)), 0},
        {"default_incomplete", IKE_REJ_DEFAULT_INCOMPLETE,
         "IKE_SA_INIT: DEFAULT_PAYLOAD:Incomplete data received:2 bytes", M_INIT, 100, BYTES(0, 0),
         0},
        {"default_length", IKE_REJ_DEFAULT_LENGTH,
         "IKE_SA_INIT: DEFAULT_PAYLOAD:Invalid Length received:2048 bytes", M_INIT, 100,
         BYTES(GH(0, 0, 2048)), 0},
        /* ---- inside the Encrypted payload of an established IKE SA: INVALID_SYNTAX */
        /* (an SK inside SK is reported by the codec as a duplicate SK payload; SKF shows it) */
        {"sk_nested", IKE_REJ_SK_NESTED,
         "INFORMATIONAL: ENCRYPTED PAYLOAD:Encrypted payload MUST not be nested", M_SK, IKE_PLD_SKF,
         BYTES(GH(0, 0, 9), 0, 1, 0, 1, 0xaa), IKE_N_INVALID_SYNTAX},
        {"sk_unsupported_critical", IKE_REJ_UNSUPPORTED_CRITICAL,
         "INFORMATIONAL: UNSUPPORTED PAYLOAD TYPE: 06, Critical Bit set", M_SK, 6,
         BYTES(GH(0, CRIT, 4)), IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD},
        {"id_incomplete", IKE_REJ_ID_INCOMPLETE,
         "INFORMATIONAL: ID PAYLOAD:Incomplete data received:2 bytes", M_SK, IKE_PLD_IDI,
         BYTES(GH(0, 0, 6), 1, 0), IKE_N_INVALID_SYNTAX},
        {"id_length", IKE_REJ_ID_LENGTH,
         "INFORMATIONAL: ID_PAYLOAD_LENGTH_ERROR: usPayloadLen 13 bytes, ulMsgLen 12 bytes:", M_SK,
         IKE_PLD_IDI, BYTES(GH(0, 0, 13), 1, 0, 0, 0, 10, 0, 0, 1, 9), IKE_N_INVALID_SYNTAX},
        {"id_type", IKE_REJ_ID_TYPE, "INFORMATIONAL: INVALID_ID_TYPE_ERROR:4", M_SK, IKE_PLD_IDR,
         BYTES(GH(0, 0, 9), 4, 0, 0, 0, 1), IKE_N_INVALID_SYNTAX},
        {"auth_incomplete", IKE_REJ_AUTH_INCOMPLETE,
         "INFORMATIONAL: AUTH_PAYLOAD:Incomplete data received:4", M_SK, IKE_PLD_AUTH,
         BYTES(GH(0, 0, 8), 2, 0, 0, 0), IKE_N_INVALID_SYNTAX},
        {"auth_length", IKE_REJ_AUTH_LENGTH,
         "INFORMATIONAL: AUTH_PAYLOAD_LENGTH_ERROR :17 bytes,received 6 bytes", M_SK, IKE_PLD_AUTH,
         BYTES(GH(0, 0, 14), 14, 0, 0, 0, 15, 1, 2, 3, 4, 5), IKE_N_INVALID_SYNTAX},
        {"auth_method", IKE_REJ_AUTH_METHOD,
         "INFORMATIONAL: AUTH_PAYLOAD:Invalid AuthMethod Type:C", M_SK, IKE_PLD_AUTH,
         BYTES(GH(0, 0, 9), 12, 0, 0, 0, 1), IKE_N_INVALID_SYNTAX},
        {"cert_incomplete", IKE_REJ_CERT_INCOMPLETE,
         "INFORMATIONAL: CERT_PAYLOAD:Incomplete data received:1 bytes", M_SK, IKE_PLD_CERT,
         BYTES(GH(0, 0, 5), 4), IKE_N_INVALID_SYNTAX},
        {"cert_length", IKE_REJ_CERT_LENGTH,
         "INFORMATIONAL: CERT_PAYLOAD_LENGTH_ERROR:21bytes,received 10 bytes", M_SK, IKE_PLD_CERT,
         BYTES(GH(0, 0, 15), 12, Z8, 0, 0), IKE_N_INVALID_SYNTAX},
        {"certreq_length", IKE_REJ_CERTREQ_LENGTH,
         "INFORMATIONAL: CERT_REQ_PAYLOAD_LENGTH_ERROR:40bytes,received 25 bytes", M_SK,
         IKE_PLD_CERTREQ, BYTES(GH(0, 0, 30), 4, Z16, Z8, 0), IKE_N_INVALID_SYNTAX},
        {"cert_encoding", IKE_REJ_CERT_ENCODING,
         "INFORMATIONAL: INVALID_CERT_ENCODING_TYPE_ERROR 22 in CERT payload", M_SK, IKE_PLD_CERT,
         BYTES(GH(0, 0, 6), 22, 1), IKE_N_INVALID_SYNTAX},
        {"cp_incomplete", IKE_REJ_CP_INCOMPLETE,
         "INFORMATIONAL: CP_PAYLOAD:Incomplete data received:2 bytes", M_SK, IKE_PLD_CP,
         BYTES(GH(0, 0, 6), 1, 0), IKE_N_INVALID_SYNTAX},
        {"cp_attr_type", IKE_REJ_CP_ATTR_TYPE, "INFORMATIONAL: INVALID_CP_ATTRIB_TYPE:0", M_SK,
         IKE_PLD_CP, BYTES(GH(0, 0, 12), 1, 0, 0, 0, 0x80, 0, 0, 0), IKE_N_INVALID_SYNTAX},
        {"eap_incomplete", IKE_REJ_EAP_INCOMPLETE,
         "INFORMATIONAL: EAP PAYLOAD:Incomplete data received:2 bytes", M_SK, IKE_PLD_EAP,
         BYTES(GH(0, 0, 6), 1, 1), IKE_N_INVALID_SYNTAX},
        {"eap_length", IKE_REJ_EAP_LENGTH,
         "INFORMATIONAL: EAP_PAYLOAD_LENGTH_ERROR:Invalid payload length:10 bytes", M_SK,
         IKE_PLD_EAP, BYTES(GH(0, 0, 12), 1, 1, 0, 10, 1, 'x', 'y', 'z'), IKE_N_INVALID_SYNTAX},
        {"delete_length", IKE_REJ_DELETE_LENGTH,
         "INFORMATIONAL: DELETE_PAYLOAD_LENGTH_ERROR:12 received 8 bytes", M_SK, IKE_PLD_DELETE,
         BYTES(GH(0, 0, 12), 3, 4, 0, 2, 1, 2, 3, 4), IKE_N_INVALID_SYNTAX},
        {"delete_protocol_id", IKE_REJ_DELETE_PROTOCOL_ID,
         "INFORMATIONAL: DELETE_PAYLOAD:INVALID_PROTOCOL_ID:15", M_SK, IKE_PLD_DELETE,
         BYTES(GH(0, 0, 8), 15, 4, 0, 0), IKE_N_INVALID_SYNTAX},
        {"delete_ike_spi_size", IKE_REJ_DELETE_IKE_SPI_SIZE,
         "INFORMATIONAL: DELETE_PAYLOAD:FOR IKE SA SPI SIZE IS NONZERO", M_SK, IKE_PLD_DELETE,
         BYTES(GH(0, 0, 16), 1, 8, 0, 1, Z8), IKE_N_INVALID_SYNTAX},
        {"ts_incomplete", IKE_REJ_TS_INCOMPLETE,
         "INFORMATIONAL: Ikev2TSNtoH:INCOMPLETE_TRAFFIC_SELECTOR received:2 bytes", M_SK,
         IKE_PLD_TSI, BYTES(GH(0, 0, 6), 1, 0), IKE_N_INVALID_SYNTAX},
        {"ts_zero", IKE_REJ_TS_ZERO,
         "INFORMATIONAL: ZERO_TRAFFIC_SELECTORS in TRAFFIC_SELECTOR_PAYLOAD", M_SK, IKE_PLD_TSI,
         BYTES(GH(0, 0, 8), Z4), IKE_N_INVALID_SYNTAX},
        {"ts_type", IKE_REJ_TS_TYPE, "INFORMATIONAL: INVALID_TRAFFIC_SELECTOR_TYPE:5", M_SK,
         IKE_PLD_TSI, BYTES(GH(0, 0, 24), 1, 0, 0, 0, 5, 0, 0, 16, 0, 0, 255, 255, Z8),
         IKE_N_INVALID_SYNTAX},
        {"ts_length", IKE_REJ_TS_LENGTH, "INFORMATIONAL: INVALID_TRAFFIC_SELECTOR_LENGTH:7", M_SK,
         IKE_PLD_TSI, BYTES(GH(0, 0, 24), 1, 0, 0, 0, 7, 0, 0, 7, 0, 0, 255, 255, Z8),
         IKE_N_INVALID_SYNTAX},
};

static struct ike_stats
stats(int node)
{
	struct ike_stats s;

	ike_engine_stats(w.n[node].e, &s);
	return s;
}

static void
up(void)
{
	struct w_conf a = {.conn = "initiator-only"}, b = {.conn = "responder-only"};

	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 1000);
	assert_int_equal(w_established(&w.n[1]), 1);
}

/* A message of A's IKE SA (A is its initiator), the chain sealed with A's keys. */
static size_t
seal_from_a(uint8_t exch, bool response, uint32_t msgid, uint8_t first, const uint8_t *plain,
            size_t plen, uint8_t *out, bool bad_icv)
{
	const struct ike_sa_state *a = w_state(&w.n[0], IKE_PHASE_ESTABLISHED);
	static const uint8_t none[1];
	struct ike_sk *sk = NULL;
	struct ike_hdr h;
	struct ike_mb mb;
	uint8_t iv[IKE_SK_MAX_IV_LEN] = {0};
	size_t body, aad, off, n;

	assert_non_null(a);
	assert_int_equal(ike_sk_new(a->encr, a->integ, &a->sk_ei, &a->sk_ai, &sk), 0);
	memset(&h, 0, sizeof(h));
	h.spi_i = a->spi_i;
	h.spi_r = a->spi_r;
	h.exch = exch;
	h.flags = IKE_FLAG_INITIATOR | (response ? IKE_FLAG_RESPONSE : 0);
	h.msgid = msgid;
	body = ike_sk_body_len(sk, plen);
	ike_mb_init(&mb, &h);
	assert_int_equal(ike_mb_sk(&mb, first, body, &aad, &off), 0);
	assert_int_equal(ike_mb_finish(&mb), 0);
	assert_int_equal(ike_sk_seal(sk, mb.b.b_data + mb.start, aad, plen ? plain : none, plen, iv,
	                             mb.b.b_data + off, body),
	                 0);
	if (bad_icv)
		mb.b.b_data[mb.b.b_len - 1] ^= 1;
	n = mb.b.b_len - mb.start;
	memcpy(out, mb.b.b_data + mb.start, n);
	ike_mb_fini(&mb);
	ike_sk_free(sk);
	return n;
}

/* The notify B's last datagram carries (decrypting it with B's keys when protected). */
static uint16_t
answer_notify(bool protected_)
{
	const struct w_dgram *d = w_last_sent(&w, 1);
	const struct ike_sa_state *b = w_state(&w.n[1], IKE_PHASE_ESTABLISHED);
	struct ike_msg *m = calloc(1, sizeof(*m));
	struct ike_sk *sk = NULL;
	uint8_t plain[2048];
	size_t plen = 0;
	uint16_t type = 0;

	assert_non_null(m);
	assert_non_null(d);
	assert_int_equal(ike_msg_parse(d->p, d->len, m, NULL), 0);
	if (protected_) {
		assert_true(m->has_sk);
		assert_int_equal(ike_sk_new(b->encr, b->integ, &b->sk_er, &b->sk_ar, &sk), 0);
		assert_int_equal(ike_sk_open(sk, d->p, m->sk.aad_len, m->sk.body.p, m->sk.body.len,
		                             plain, &plen),
		                 0);
		assert_int_equal(ike_msg_parse_inner(m, m->sk.inner_next, plain, plen, NULL), 0);
		ike_sk_free(sk);
	}
	if (m->nnotify)
		type = m->notify[0].type;
	free(m);
	return type;
}

static void
run_case(const struct rcase *c)
{
	uint8_t buf[4096];
	size_t n = 0;
	uint64_t sends;
	const struct ike_sa_state *b;

	up();
	w_log_clear(&w);
	b = w_state(&w.n[1], IKE_PHASE_ESTABLISHED);
	sends = w.n[1].sends;
	switch (c->mode) {
	case M_RAW:
		memcpy(buf, c->bytes, c->len);
		n = c->len;
		w_inject(&w, 1, 500, 500, buf, n);
		break;
	case M_INIT: {
		const uint8_t hdr[INIT_HDR_LEN] = {9,
		                                   8,
		                                   7,
		                                   6,
		                                   5,
		                                   4,
		                                   3,
		                                   2,
		                                   Z8,
		                                   c->first,
		                                   0x20,
		                                   34,
		                                   0x08,
		                                   Z4,
		                                   0,
		                                   0,
		                                   B16(INIT_HDR_LEN + c->len)};

		memcpy(buf, hdr, sizeof(hdr));
		memcpy(buf + sizeof(hdr), c->bytes, c->len);
		n = sizeof(hdr) + c->len;
		w_inject(&w, 1, 500, 500, buf, n);
		break;
	}
	case M_SK:
		n = seal_from_a(IKE_EXCH_INFORMATIONAL, false, b->msgid_next_recv, c->first,
		                c->bytes, c->len, buf, false);
		w_inject(&w, 1, 4500, 4500, buf, n);
		break;
	}
	if (stats(1).rejected[c->reason] != 1)
		fail_msg("%s: counter %llu", c->name,
		         (unsigned long long)stats(1).rejected[c->reason]);
	if (!w_log_has(&w, c->text))
		fail_msg("%s: no log line \"%s\" (first: %s)", c->name, c->text,
		         w.nlogs ? w.logs[0] : "none");
	/* the peer is named, address and port */
	assert_true(w_log_has(&w, "192.0.2.1:"));
	if (!c->answer) {
		assert_int_equal(w.n[1].sends, sends);
	} else {
		assert_int_equal(w.n[1].sends, sends + 1);
		assert_int_equal(answer_notify(c->mode == M_SK), c->answer);
		if (c->answer == IKE_N_INVALID_MAJOR_VERSION)
			assert_int_equal(w_last_sent(&w, 1)->p[17], 0x20);
	}
	/* the IKE SA is undisturbed */
	assert_int_equal(w_established(&w.n[1]), 1);
	assert_int_equal(w_live_sas(&w.n[1]), 2);
	w_fini(&w);
}

static void
test_seed_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void
test_bad_icv(void **state)
{
	uint8_t buf[512];
	size_t n;
	uint64_t sends;

	(void)state;
	up();
	sends = w.n[1].sends;
	n = seal_from_a(IKE_EXCH_INFORMATIONAL, false,
	                w_state(&w.n[1], IKE_PHASE_ESTABLISHED)->msgid_next_recv, IKE_PLD_NONE,
	                NULL, 0, buf, true);
	w_inject(&w, 1, 4500, 4500, buf, n);
	assert_int_equal(stats(1).rejected[IKE_REJ_SK_DECRYPT], 1);
	assert_true(w_log_has(&w, "192.0.2.1:4500 INFORMATIONAL: Authentication failure. Possibly "
	                          "mis-matching keys. (tunnel t1)"));
	/* §2.21.2: no answer, and the message ID is not used up */
	assert_int_equal(w.n[1].sends, sends);
	assert_int_equal(w_state(&w.n[1], IKE_PHASE_ESTABLISHED)->msgid_next_recv, 2);
	w_fini(&w);
}

static void
test_unknown_spi(void **state)
{
	uint8_t buf[512];
	size_t n;

	(void)state;
	up();
	n = seal_from_a(IKE_EXCH_INFORMATIONAL, false, 2, IKE_PLD_NONE, NULL, 0, buf, false);
	buf[8] ^= 0x55; /* the responder's SPI: unknown */
	w_inject(&w, 1, 4500, 4500, buf, n);
	assert_int_equal(stats(1).rejected[IKE_REJ_UNKNOWN_SPI], 1);
	assert_true(w_log_has(&w, "192.0.2.1:4500 INFORMATIONAL: IKEV2 HEADER:No IKE SA found for "
	                          "the SPIs received"));
	/* §2.21.4: an unprotected INVALID_IKE_SPI answer with the SPIs and ID copied */
	assert_int_equal(answer_notify(false), IKE_N_INVALID_IKE_SPI);
	assert_memory_equal(w_last_sent(&w, 1)->p, buf, 16);
	assert_true(w_is_response(w_last_sent(&w, 1)));
	/* a response for nothing gets no answer */
	n = seal_from_a(IKE_EXCH_INFORMATIONAL, true, 2, IKE_PLD_NONE, NULL, 0, buf, false);
	buf[8] ^= 0x55;
	{
		uint64_t sends = w.n[1].sends;

		w_inject(&w, 1, 4500, 4500, buf, n);
		assert_int_equal(w.n[1].sends, sends);
	}
	w_fini(&w);
}

static void
test_missing_payload(void **state)
{
	/* an IKE_SA_INIT request with only a nonce: counted, no answer, no state */
	const uint8_t msg[] = {9,    8,  7,    6,  5, 4, 3, 2,  Z8,           IKE_PLD_NONCE,
	                       0x20, 34, 0x08, Z4, 0, 0, 0, 48, GH(0, 0, 20), Z16};
	uint8_t buf[512];
	size_t n;

	(void)state;
	up();
	w_inject(&w, 1, 500, 500, msg, sizeof(msg));
	assert_int_equal(stats(1).rejected[IKE_REJ_MISSING_PAYLOAD], 1);
	assert_true(w_log_has(&w, "192.0.2.1:500 IKE_SA_INIT: MISSING_PAYLOAD:payload type 33 "
	                          "required in this exchange"));
	assert_int_equal(stats(1).half_open, 0);
	/* a CREATE_CHILD_SA request without SA: INVALID_SYNTAX (protected) */
	n = seal_from_a(IKE_EXCH_CREATE_CHILD_SA, false, 2, IKE_PLD_NONCE,
	                (const uint8_t[]){GH(0, 0, 20), Z16}, 20, buf, false);
	w_inject(&w, 1, 4500, 4500, buf, n);
	assert_int_equal(stats(1).rejected[IKE_REJ_MISSING_PAYLOAD], 2);
	assert_int_equal(answer_notify(true), IKE_N_INVALID_SYNTAX);
	assert_int_equal(w_established(&w.n[1]), 1);
	w_fini(&w);
}

static void
test_cookie_invalid(void **state)
{
	static const struct ike_engine_opts o = {1, 1000, 6, 60000};
	struct w_conf a = {.conn = "initiator-only"}, b = {.conn = "responder-only"};
	const struct w_dgram *d = NULL;
	uint8_t buf[2048];
	size_t n;

	(void)state;
	w_init(&w, &a, &b, &o);
	w_run(&w, w.now + 1000);
	/* take A's IKE_SA_INIT, give it another SPI and a wrong cookie first */
	for (size_t i = 0; i < w.nhist && !d; i++)
		if (w.hist[i].from == 0 && w_exch(&w.hist[i]) == IKE_EXCH_SA_INIT)
			d = &w.hist[i];
	assert_non_null(d);
	{
		const uint8_t cookie[] = {IKE_PLD_SA, 0, 0, 8 + 32, 0, 0, B16(IKE_N_COOKIE)};

		memcpy(buf, d->p, 28);
		buf[0] ^= 1;
		buf[16] = IKE_PLD_NOTIFY;
		memcpy(buf + 28, cookie, sizeof(cookie));
		memset(buf + 28 + sizeof(cookie), 0x42, 32);
		memcpy(buf + 28 + 40, d->p + 28, d->len - 28);
		n = d->len + 40;
		buf[24] = (uint8_t)(n >> 24);
		buf[25] = (uint8_t)(n >> 16);
		buf[26] = (uint8_t)(n >> 8);
		buf[27] = (uint8_t)n;
	}
	/* B holds one half-open SA? no: established. Make one: threshold 1, count is 0 */
	assert_int_equal(stats(1).half_open, 0);
	w_inject(&w, 1, 500, 500, buf, n); /* below the threshold: answered, half-open now */
	assert_int_equal(stats(1).half_open, 1);
	buf[1] ^= 1;
	w_inject(&w, 1, 500, 500, buf, n); /* at the threshold: the wrong cookie is refused */
	assert_int_equal(stats(1).rejected[IKE_REJ_COOKIE_INVALID], 1);
	assert_true(w_log_has(&w, "192.0.2.1:500 IKE_SA_INIT: IKE_SA_INIT with an invalid COOKIE"));
	assert_int_equal(answer_notify(false), IKE_N_COOKIE);
	assert_int_equal(stats(1).half_open, 1);
	w_fini(&w);
}

/* ---- accepted, noted (RFC 7296 §2.5, §3.3.6) -------------------------------------------- */

/* A's first IKE_SA_INIT request, as it was sent. */
static const struct w_dgram *
a_init(void)
{
	for (size_t i = 0; i < w.nhist; i++)
		if (w.hist[i].from == 0 && w_exch(&w.hist[i]) == IKE_EXCH_SA_INIT &&
		    !w_is_response(&w.hist[i]))
			return &w.hist[i];
	fail_msg("no IKE_SA_INIT from A");
	return NULL;
}

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
set_total(uint8_t *buf, size_t n)
{
	buf[24] = (uint8_t)(n >> 24);
	buf[25] = (uint8_t)(n >> 16);
	buf[26] = (uint8_t)(n >> 8);
	buf[27] = (uint8_t)n;
}

/* Offset of the first payload of `type` in a plain message (its generic header). */
static size_t
pld_off(const uint8_t *p, size_t len, uint8_t type)
{
	uint8_t next = p[16];
	size_t off = INIT_HDR_LEN;

	while (next != IKE_PLD_NONE && off + 4 <= len) {
		if (next == type)
			return off;
		next = p[off];
		off += (size_t)p[off + 2] << 8 | p[off + 3];
	}
	fail_msg("payload %u not found", type);
	return 0;
}

/* A's IKE_SA_INIT under another SPI (a new IKE SA for B), edited by the caller; n its length. */
static size_t
fresh_init(uint8_t *buf)
{
	const struct w_dgram *d = a_init();

	memcpy(buf, d->p, d->len);
	buf[0] ^= 0x5a; /* another IKE SA */
	return d->len;
}

/* A Vendor ID with the critical bit first in IKE_SA_INIT: answered, noted, not rejected. */
static void
test_critical_vendor_init(void **state)
{
	const uint8_t vid[] = {0x74, 0x61, 0x6e, 0x64, 0x65, 0x6d};
	uint8_t buf[4096], orig[4096];
	size_t n, sends, rej = 0;
	const struct w_dgram *ans;

	(void)state;
	up();
	n = fresh_init(orig);
	memcpy(buf, orig, INIT_HDR_LEN);
	buf[16] = IKE_PLD_VENDOR;
	buf[INIT_HDR_LEN] = orig[16];
	buf[INIT_HDR_LEN + 1] = CRIT;
	put16(buf + INIT_HDR_LEN + 2, 4 + sizeof(vid));
	memcpy(buf + INIT_HDR_LEN + 4, vid, sizeof(vid));
	memcpy(buf + INIT_HDR_LEN + 4 + sizeof(vid), orig + INIT_HDR_LEN, n - INIT_HDR_LEN);
	n += 4 + sizeof(vid);
	set_total(buf, n);
	w_log_clear(&w);
	sends = w.n[1].sends;
	w_inject(&w, 1, 500, 500, buf, n);
	for (int r = 1; r < IKE_REJ_COUNT; r++)
		rej += stats(1).rejected[r];
	assert_int_equal(rej, 0);
	assert_int_equal(stats(1).noted[IKE_NOTE_CRITICAL_KNOWN], 1);
	assert_true(w_log_has(&w, "192.0.2.1:500 IKE_SA_INIT: CRITICAL_BIT on payload type 43, "
	                          "which is understood: ignored (RFC 7296 2.5)"));
	/* the IKE_SA_INIT response: an SA payload, no error notify */
	assert_int_equal(w.n[1].sends, sends + 1);
	ans = w_last_sent(&w, 1);
	assert_true(w_is_response(ans));
	assert_int_equal(ans->p[16], IKE_PLD_SA);
	assert_int_equal(stats(1).half_open, 1);
	w_fini(&w);
}

/* Inside SK: an INFORMATIONAL with a critical Vendor ID is an ordinary (empty) request. */
static void
test_critical_vendor_sk(void **state)
{
	const uint8_t plain[] = {GH(0, CRIT, 6), 1, 2};
	uint8_t buf[512];
	size_t n, sends;
	uint32_t msgid;

	(void)state;
	up();
	w_log_clear(&w);
	sends = w.n[1].sends;
	msgid = w_state(&w.n[1], IKE_PHASE_ESTABLISHED)->msgid_next_recv;
	n = seal_from_a(IKE_EXCH_INFORMATIONAL, false, msgid, IKE_PLD_VENDOR, plain, sizeof(plain),
	                buf, false);
	w_inject(&w, 1, 4500, 4500, buf, n);
	assert_int_equal(stats(1).noted[IKE_NOTE_CRITICAL_KNOWN], 1);
	assert_int_equal(stats(1).rejected[IKE_REJ_UNSUPPORTED_CRITICAL], 0);
	assert_true(w_log_has(&w, "INFORMATIONAL: CRITICAL_BIT on payload type 43"));
	assert_int_equal(w.n[1].sends, sends + 1);
	assert_int_equal(answer_notify(true), 0); /* an empty answer, not INVALID_SYNTAX */
	/* processed: the request's message ID is used up */
	assert_int_equal(w_state(&w.n[1], IKE_PHASE_ESTABLISHED)->msgid_next_recv, msgid + 1);
	w_fini(&w);
}

/*
 * Inserts a transform (8 + attr_len bytes) at the front of the first proposal of the SA
 * payload of buf (n bytes); returns the new length.
 */
static size_t
insert_transform(uint8_t *buf, size_t n, uint8_t type, uint16_t id, const uint8_t *attr,
                 size_t attr_len)
{
	size_t sa = pld_off(buf, n, IKE_PLD_SA), prop = sa + 4, xf, add = 8 + attr_len;
	size_t sa_len = (size_t)buf[sa + 2] << 8 | buf[sa + 3];
	size_t prop_len = (size_t)buf[prop + 2] << 8 | buf[prop + 3];

	xf = prop + 8 + buf[prop + 6]; /* after the proposal header and its SPI */
	memmove(buf + xf + add, buf + xf, n - xf);
	buf[xf] = 3; /* more transforms follow */
	buf[xf + 1] = 0;
	put16(buf + xf + 2, add);
	buf[xf + 4] = type;
	buf[xf + 5] = 0;
	put16(buf + xf + 6, id);
	memcpy(buf + xf + 8, attr, attr_len);
	buf[prop + 7]++; /* Num Transforms */
	put16(buf + prop + 2, prop_len + add);
	put16(buf + sa + 2, sa_len + add);
	set_total(buf, n + add);
	return n + add;
}

/*
 * An extra ENCR transform carrying a TLV attribute, and one with an unknown attribute type:
 * both unusable, noted, and the proposal is still chosen through A's own ENCR transform.
 */
static void
test_xform_attr_unusable_others_chosen(void **state)
{
	/* Key Length 128 in TLV form (§3.3.5 forbids it), then an unknown TV attribute 17 */
	const uint8_t tlv[] = {0x00, 14, 0x00, 0x02, 0x00, 0x80};
	const uint8_t unknown[] = {0x80, 17, 0x00, 0x01, 0x80, 14, 0x00, 0x80};
	uint8_t buf[4096];
	struct ike_msg *m = calloc(1, sizeof(*m));
	size_t n, sends;

	(void)state;
	assert_non_null(m);
	up();
	n = fresh_init(buf);
	n = insert_transform(buf, n, IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, tlv, sizeof(tlv));
	n = insert_transform(buf, n, IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, unknown, sizeof(unknown));
	/* what B parses: both new transforms marked, A's own untouched */
	assert_int_equal(ike_msg_parse(buf, n, m, NULL), 0);
	assert_true(m->sa.props[0].trans[0].unusable);
	assert_true(m->sa.props[0].trans[1].unusable);
	assert_false(m->sa.props[0].trans[2].unusable);
	w_log_clear(&w);
	sends = w.n[1].sends;
	w_inject(&w, 1, 500, 500, buf, n);
	assert_int_equal(stats(1).noted[IKE_NOTE_XFORM_ATTR_TLV], 1);
	assert_int_equal(stats(1).noted[IKE_NOTE_XFORM_ATTR_UNKNOWN], 1);
	assert_true(w_log_has(&w, "192.0.2.1:500 IKE_SA_INIT: XFORM_ATTRIB type 14 in TLV form in "
	                          "PROPOSAL_1: that transform is not usable"));
	assert_true(w_log_has(&w, "192.0.2.1:500 IKE_SA_INIT: UNKNOWN_XFORM_ATTRIB_TYPE:17 in "
	                          "PROPOSAL_1: that transform is not usable"));
	assert_int_equal(stats(1).rejected[IKE_REJ_NO_PROPOSAL_CHOSEN], 0);
	assert_int_equal(w.n[1].sends, sends + 1);
	/* B chose A's transform: one ENCR in the answer, without the unusable ones' marks */
	assert_int_equal(ike_msg_parse(w_last_sent(&w, 1)->p, w_last_sent(&w, 1)->len, m, NULL), 0);
	assert_true(m->has_sa);
	assert_int_equal(m->sa.nprops, 1);
	for (size_t i = 0; i < m->sa.props[0].ntrans; i++)
		assert_false(m->sa.props[0].trans[i].unusable);
	assert_int_equal(m->notes, 0);
	assert_int_equal(stats(1).half_open, 1);
	free(m);
	w_fini(&w);
}

/* The only ENCR transform carries an unknown attribute: the proposal is skipped. */
static void
test_xform_attr_unusable_proposal_skipped(void **state)
{
	uint8_t buf[4096];
	size_t n, sa, xf, sends;

	(void)state;
	up();
	n = fresh_init(buf);
	sa = pld_off(buf, n, IKE_PLD_SA);
	/* A's first transform: find the ENCR one and rename its Key Length attribute to 18 */
	xf = sa + 4 + 8 + buf[sa + 4 + 6];
	while (buf[xf + 4] != IKE_TRANS_ENCR)
		xf += (size_t)buf[xf + 2] << 8 | buf[xf + 3];
	assert_int_equal(buf[xf + 8], 0x80);
	assert_int_equal(buf[xf + 9], 14);
	buf[xf + 9] = 18;
	w_log_clear(&w);
	sends = w.n[1].sends;
	w_inject(&w, 1, 500, 500, buf, n);
	assert_int_equal(stats(1).noted[IKE_NOTE_XFORM_ATTR_UNKNOWN], 1);
	assert_int_equal(stats(1).rejected[IKE_REJ_NO_PROPOSAL_CHOSEN], 1);
	assert_int_equal(w.n[1].sends, sends + 1);
	assert_int_equal(answer_notify(false), IKE_N_NO_PROPOSAL_CHOSEN);
	assert_int_equal(stats(1).half_open, 0);
	w_fini(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_seed_rows),
	        cmocka_unit_test(test_bad_icv),
	        cmocka_unit_test(test_unknown_spi),
	        cmocka_unit_test(test_missing_payload),
	        cmocka_unit_test(test_cookie_invalid),
	        cmocka_unit_test(test_critical_vendor_init),
	        cmocka_unit_test(test_critical_vendor_sk),
	        cmocka_unit_test(test_xform_attr_unusable_others_chosen),
	        cmocka_unit_test(test_xform_attr_unusable_proposal_skipped),
	};

	return cmocka_run_group_tests_name("ike_engine_reject", tests, NULL, NULL);
}
