/* SPDX-License-Identifier: MIT */
/*
 * The golden IKEv2 messages captured from strongSwan 5.9.8 (tests/vectors/ike, README.md
 * there) parse, and the parse shows what strongSwan sent: proposals with Key Length
 * attributes, DH groups, COOKIE and INVALID_KE_PAYLOAD, NAT detection, fragmentation,
 * signature hash algorithms, vendor IDs, and the SK payloads of the encrypted exchanges.
 * The expected values were read independently with tshark's IKEv2 dissector.
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

#define SPI_I  0x794dcba4e3c2c341ULL
#define SPI_R  0x8bc69b52f0398826ULL
#define SPI_I2 0x8287d377e3b11beeULL /* the rekeyed IKE SA */
#define SPI_R2 0xa78f46a30d0e4851ULL

/* MD5("strongSwan"), strongSwan's vendor ID */
static const uint8_t vid_strongswan[16] = {0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc,
                                           0x22, 0x51, 0x61, 0x3b, 0x2e, 0xbe, 0x5b, 0xeb};
static const uint8_t sig_hashes[8] = {0, 2, 0, 3, 0, 4, 0, 5}; /* SHA1, SHA2-256/384/512 */
static const uint8_t cookie[24] = {0xdd, 0x0a, 0x00, 0x00, 0xac, 0xb5, 0x87, 0x3a,
                                   0x91, 0xf0, 0xa8, 0xaf, 0x0d, 0xa9, 0x80, 0xeb,
                                   0x86, 0xe2, 0xb9, 0x6c, 0x72, 0x09, 0xcb, 0xed};

struct golden {
	uint8_t buf[IKET_MAX_FILE];
	size_t len;
	struct ike_msg msg;
};

static struct golden *
parse(const char *name)
{
	struct golden *g = calloc(1, sizeof(*g));
	struct ike_perr err;

	assert_non_null(g);
	g->len = iket_load(name, g->buf);
	if (ike_msg_parse(g->buf, g->len, &g->msg, &err) != 0)
		fail_msg("%s: reason %d pld %u a %u b %u", name, err.reason, err.pld_type, err.a,
		         err.b);
	assert_int_equal(g->msg.hdr.len, g->len);
	assert_int_equal(g->msg.hdr.major, 2);
	assert_int_equal(g->msg.hdr.minor, 0);
	return g;
}

static bool
cur_eq(struct cur c, const uint8_t *p, size_t n)
{
	return c.len == n && (n == 0 || memcmp(c.p, p, n) == 0);
}

static void
assert_xform(const struct ike_transform *t, uint8_t type, uint16_t id, uint16_t keylen)
{
	assert_int_equal(t->type, type);
	assert_int_equal(t->id, id);
	assert_int_equal(t->keylen, keylen);
}

/* The order of the notifies and the vendor ID at the end of strongSwan's requests. */
static void
assert_init_req_tail(const struct ike_msg *m, size_t first_notify)
{
	const struct ike_pld_notify *n = &m->notify[first_notify];

	assert_int_equal(m->nnotify, first_notify + 5);
	assert_int_equal(n[0].type, IKE_N_NAT_DETECTION_SOURCE_IP);
	assert_int_equal(n[0].data.len, 20);
	assert_int_equal(n[1].type, IKE_N_NAT_DETECTION_DESTINATION_IP);
	assert_int_equal(n[1].data.len, 20);
	assert_int_equal(n[2].type, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED);
	assert_int_equal(n[2].data.len, 0);
	assert_int_equal(n[3].type, IKE_N_SIGNATURE_HASH_ALGORITHMS);
	assert_true(cur_eq(n[3].data, sig_hashes, sizeof(sig_hashes)));
	assert_int_equal(n[4].type, IKE_N_REDIRECT_SUPPORTED);
	for (size_t i = 0; i < m->nnotify; i++) {
		assert_int_equal(m->notify[i].proto, 0);
		assert_int_equal(m->notify[i].spi_len, 0);
	}
	assert_int_equal(m->nvendor, 1);
	assert_true(cur_eq(m->vendor[0], vid_strongswan, sizeof(vid_strongswan)));
}

/* 03: br's first request, two proposals in its configured order, KE for ecp256. */
static void
test_sa_init_request(void **state)
{
	struct golden *g = parse("03-sa_init-ireq.bin");
	const struct ike_msg *m = &g->msg;
	const struct ike_proposal *p;

	(void)state;
	assert_int_equal(m->hdr.spi_i, SPI_I);
	assert_int_equal(m->hdr.spi_r, 0);
	assert_int_equal(m->hdr.exch, IKE_EXCH_SA_INIT);
	assert_int_equal(m->hdr.flags, IKE_FLAG_INITIATOR);
	assert_int_equal(m->hdr.msgid, 0);
	assert_int_equal(m->hdr.len, 384);
	assert_true(m->has_sa && m->has_ke && m->has_nonce);
	assert_false(m->has_sk || m->has_auth || m->has_idi || m->has_idr || m->has_certreq);
	assert_int_equal(m->sa.nprops, 2);
	p = &m->sa.props[0];
	assert_int_equal(p->num, 1);
	assert_int_equal(p->proto, IKE_PROTO_IKE);
	assert_int_equal(p->spi_len, 0);
	assert_int_equal(p->ntrans, 7);
	assert_xform(&p->trans[0], IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 256);
	assert_xform(&p->trans[1], IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 128);
	assert_xform(&p->trans[2], IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256, 0);
	assert_xform(&p->trans[3], IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_384, 0);
	assert_xform(&p->trans[4], IKE_TRANS_DH, 19, 0);
	assert_xform(&p->trans[5], IKE_TRANS_DH, 31, 0);
	assert_xform(&p->trans[6], IKE_TRANS_DH, 14, 0);
	p = &m->sa.props[1];
	assert_int_equal(p->num, 2);
	assert_int_equal(p->proto, IKE_PROTO_IKE);
	assert_int_equal(p->ntrans, 6);
	assert_xform(&p->trans[0], IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, 256);
	assert_xform(&p->trans[1], IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, 128);
	assert_xform(&p->trans[2], IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0);
	assert_xform(&p->trans[3], IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA1_96, 0);
	assert_xform(&p->trans[4], IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256, 0);
	assert_xform(&p->trans[5], IKE_TRANS_DH, 14, 0);
	assert_int_equal(m->ke.group, 19);
	assert_int_equal(m->ke.data.len, 64);
	assert_int_equal(m->ke.data.p[0], 0xc4); /* tshark: c46adc95... */
	assert_int_equal(m->nonce.len, 32);
	assert_int_equal(m->nonce.p[0], 0xd0); /* tshark: d05bb97f... */
	assert_int_equal(m->notify[0].data.p[0], 0xd5);
	assert_init_req_tail(m, 0);
	assert_int_equal(m->npld, 3 + 5 + 1);
	assert_null(ike_msg_notify(m, IKE_N_COOKIE));
	free(g);
}

/* 04: the responder wants a cookie (RFC 7296 §2.6); 05/07: the request repeated with it. */
static void
test_cookie(void **state)
{
	struct golden *g = parse("04-sa_init-rresp.bin"), *g5, *g7;
	const struct ike_pld_notify *n;

	(void)state;
	assert_int_equal(g->msg.hdr.flags, IKE_FLAG_RESPONSE);
	assert_int_equal(g->msg.hdr.spi_r, 0);
	assert_int_equal(g->msg.npld, 1);
	assert_int_equal(g->msg.nnotify, 1);
	n = ike_msg_notify(&g->msg, IKE_N_COOKIE);
	assert_non_null(n);
	assert_true(cur_eq(n->data, cookie, sizeof(cookie)));
	assert_false(g->msg.has_sa);

	g5 = parse("05-sa_init-ireq.bin");
	g7 = parse("07-sa_init-ireq.bin");
	/* §2.6: the COOKIE notify comes first, then the original request. */
	assert_int_equal(g5->msg.hdr.next, IKE_PLD_NOTIFY);
	assert_int_equal(g5->msg.notify[0].type, IKE_N_COOKIE);
	assert_true(cur_eq(g5->msg.notify[0].data, cookie, sizeof(cookie)));
	assert_int_equal(g5->msg.pld[1].type, IKE_PLD_SA);
	assert_int_equal(g5->msg.ke.group, 19);
	assert_init_req_tail(&g5->msg, 1);
	assert_int_equal(g7->msg.notify[0].type, IKE_N_COOKIE);
	assert_true(cur_eq(g7->msg.notify[0].data, cookie, sizeof(cookie)));
	assert_init_req_tail(&g7->msg, 1);
	free(g);
	free(g5);
	free(g7);
}

/* 06: INVALID_KE_PAYLOAD names group 31; 07 retries with it first in the proposal. */
static void
test_invalid_ke(void **state)
{
	struct golden *g = parse("06-sa_init-rresp.bin"), *g7 = parse("07-sa_init-ireq.bin");
	const struct ike_pld_notify *n = ike_msg_notify(&g->msg, IKE_N_INVALID_KE_PAYLOAD);
	const struct ike_proposal *p = &g7->msg.sa.props[0];

	(void)state;
	assert_non_null(n);
	assert_int_equal(n->data.len, 2);
	assert_int_equal(n->data.p[0] << 8 | n->data.p[1], 31);
	assert_int_equal(g->msg.nvendor, 1);
	assert_int_equal(g7->msg.ke.group, 31);
	assert_int_equal(g7->msg.ke.data.len, 32);
	assert_int_equal(g7->msg.sa.nprops, 2);
	assert_xform(&p->trans[4], IKE_TRANS_DH, 31, 0);
	assert_xform(&p->trans[5], IKE_TRANS_DH, 19, 0);
	assert_xform(&p->trans[6], IKE_TRANS_DH, 14, 0);
	free(g);
	free(g7);
}

/* 08: gw1's answer: the accepted proposal (number 1), its KE and nonce, its notifies. */
static void
test_sa_init_response(void **state)
{
	struct golden *g = parse("08-sa_init-rresp.bin");
	const struct ike_msg *m = &g->msg;
	const struct ike_proposal *p = &m->sa.props[0];
	static const uint16_t types[] = {
	        IKE_N_NAT_DETECTION_SOURCE_IP,         IKE_N_NAT_DETECTION_DESTINATION_IP,
	        IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,   IKE_N_SIGNATURE_HASH_ALGORITHMS,
	        16418 /* CHILDLESS_IKEV2_SUPPORTED */, IKE_N_MULTIPLE_AUTH_SUPPORTED,
	};
	static const uint8_t natd_src[4] = {0x2a, 0xbf, 0xf9, 0xd4};

	(void)state;
	assert_int_equal(m->hdr.spi_i, SPI_I);
	assert_int_equal(m->hdr.spi_r, SPI_R);
	assert_int_equal(m->hdr.flags, IKE_FLAG_RESPONSE);
	assert_int_equal(m->hdr.len, 260);
	assert_int_equal(m->sa.nprops, 1);
	assert_int_equal(p->num, 1);
	assert_int_equal(p->proto, IKE_PROTO_IKE);
	assert_int_equal(p->ntrans, 3);
	assert_xform(&p->trans[0], IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 128);
	assert_xform(&p->trans[1], IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256, 0);
	assert_xform(&p->trans[2], IKE_TRANS_DH, 31, 0);
	assert_int_equal(m->ke.group, 31);
	assert_int_equal(m->ke.data.len, 32);
	assert_int_equal(m->ke.data.p[0], 0x68); /* tshark: 68cdd8b5... */
	assert_int_equal(m->nonce.len, 32);
	assert_int_equal(m->nonce.p[0], 0xd6); /* tshark: d67a49c0... */
	assert_int_equal(m->nnotify, 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(m->notify[i].type, types[i]);
	assert_memory_equal(m->notify[0].data.p, natd_src, sizeof(natd_src));
	assert_true(cur_eq(m->notify[3].data, sig_hashes, sizeof(sig_hashes)));
	assert_int_equal(m->nvendor, 1);
	assert_true(cur_eq(m->vendor[0], vid_strongswan, sizeof(vid_strongswan)));
	assert_int_equal(m->npld, 3 + 6 + 1);
	free(g);
}

/* 01/02: our minimal request (halfopen.py) and strongSwan's answer to it. */
static void
test_minimal_pair(void **state)
{
	struct golden *g1 = parse("01-sa_init-ireq.bin"), *g2 = parse("02-sa_init-rresp.bin");

	(void)state;
	assert_int_equal(g1->msg.hdr.spi_i, 0x7a6e0000c0ffee01ULL);
	assert_int_equal(g1->msg.npld, 3);
	assert_int_equal(g1->msg.nnotify, 0);
	assert_int_equal(g1->msg.sa.props[0].ntrans, 3);
	assert_int_equal(g2->msg.hdr.spi_i, 0x7a6e0000c0ffee01ULL);
	assert_int_equal(g2->msg.hdr.spi_r, 0x4248e76552dfb368ULL);
	assert_int_equal(g2->msg.sa.nprops, 1);
	assert_int_equal(g2->msg.ke.group, 31);
	assert_int_equal(g2->msg.nnotify, 2);
	assert_int_equal(g2->msg.notify[0].type, 16418);
	assert_int_equal(g2->msg.notify[1].type, IKE_N_MULTIPLE_AUTH_SUPPORTED);
	/* No NAT_DETECTION notifies in the request: none in the response either. */
	assert_null(ike_msg_notify(&g2->msg, IKE_N_NAT_DETECTION_SOURCE_IP));
	free(g1);
	free(g2);
}

/* 09-16: only an SK payload, first inner payload and aad as strongSwan encrypted them. */
static void
test_encrypted(void **state)
{
	static const struct {
		const char *name;
		uint8_t exch, flags, inner;
		uint32_t msgid;
		uint64_t spi_i;
	} want[] = {
	        {"09-auth-ireq.bin", IKE_EXCH_AUTH, IKE_FLAG_INITIATOR, IKE_PLD_IDI, 1, SPI_I},
	        {"10-auth-rresp.bin", IKE_EXCH_AUTH, IKE_FLAG_RESPONSE, IKE_PLD_IDR, 1, SPI_I},
	        {"11-create_child-ireq.bin", IKE_EXCH_CREATE_CHILD_SA, IKE_FLAG_INITIATOR,
	         IKE_PLD_SA, 2, SPI_I},
	        {"12-create_child-rresp.bin", IKE_EXCH_CREATE_CHILD_SA, IKE_FLAG_RESPONSE,
	         IKE_PLD_SA, 2, SPI_I},
	        {"13-info-ireq.bin", IKE_EXCH_INFORMATIONAL, IKE_FLAG_INITIATOR, IKE_PLD_DELETE, 3,
	         SPI_I},
	        {"14-info-rresp.bin", IKE_EXCH_INFORMATIONAL, IKE_FLAG_RESPONSE, IKE_PLD_NONE, 3,
	         SPI_I},
	        {"15-info-ireq.bin", IKE_EXCH_INFORMATIONAL, IKE_FLAG_INITIATOR, IKE_PLD_DELETE, 0,
	         SPI_I2},
	        {"16-info-rresp.bin", IKE_EXCH_INFORMATIONAL, IKE_FLAG_RESPONSE, IKE_PLD_NONE, 0,
	         SPI_I2},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct golden *g = parse(want[i].name);
		const struct ike_msg *m = &g->msg;

		assert_int_equal(m->hdr.exch, want[i].exch);
		assert_int_equal(m->hdr.flags, want[i].flags);
		assert_int_equal(m->hdr.msgid, want[i].msgid);
		assert_int_equal(m->hdr.spi_i, want[i].spi_i);
		assert_int_equal(m->hdr.spi_r, want[i].spi_i == SPI_I ? SPI_R : SPI_R2);
		assert_true(m->has_sk);
		assert_int_equal(m->npld, 1);
		assert_int_equal(m->pld[0].type, IKE_PLD_SK);
		assert_int_equal(m->sk.inner_next, want[i].inner);
		assert_int_equal(m->sk.aad_len, IKE_HDR_LEN + IKE_GENERIC_HDR_LEN);
		assert_ptr_equal(m->sk.body.p, g->buf + m->sk.aad_len);
		assert_int_equal(m->sk.body.len, g->len - m->sk.aad_len);
		free(g);
	}
}

/* Every golden file parses; parsing the SK body as if it were plaintext returns cleanly. */
static void
test_all_parse(void **state)
{
	struct golden *g;
	struct ike_perr err;
	int rc;

	(void)state;
	for (size_t i = 0; i < iket_nvectors; i++) {
		g = parse(iket_vectors[i]);
		if (g->msg.has_sk) {
			rc = ike_msg_parse_inner(&g->msg, g->msg.sk.inner_next, g->msg.sk.body.p,
			                         g->msg.sk.body.len, &err);
			iket_check_clean(rc, &err);
		}
		free(g);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sa_init_request), cmocka_unit_test(test_cookie),
	        cmocka_unit_test(test_invalid_ke),      cmocka_unit_test(test_sa_init_response),
	        cmocka_unit_test(test_minimal_pair),    cmocka_unit_test(test_encrypted),
	        cmocka_unit_test(test_all_parse),
	};

	return cmocka_run_group_tests_name("ike_msg_golden", tests, NULL, NULL);
}
