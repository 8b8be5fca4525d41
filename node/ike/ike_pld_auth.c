/* SPDX-License-Identifier: MIT */
/*
 * Identity and authentication payloads: Identification (RFC 7296 §3.5), Certificate (§3.6),
 * Certificate Request (§3.7), Authentication (§3.8, RFC 7427) and EAP (§3.16, RFC 3748).
 * The ID body view is kept whole because AUTH signs it (§2.15, "IDi'"). Certificates and
 * EAP messages are checked for framing only; their contents belong to the exchange code.
 */
#include <errno.h>
#include <string.h>

#include "node/ike/ike_msg.h"
#include "node/ike/ike_msg_int.h"

#define ID_HDR_LEN         4 /* ID Type, RESERVED */
#define AUTH_HDR_LEN       4 /* Auth Method, RESERVED */
#define CERT_HDR_LEN       1 /* Cert Encoding */
#define SHA1_LEN           20
#define EAP_HDR_LEN        4 /* Code, Identifier, Length */
#define EAP_REQUEST        1
#define EAP_RESPONSE       2
#define EAP_SUCCESS        3
#define EAP_FAILURE        4
#define CERT_X509_SIG      4  /* X.509 Certificate - Signature */
#define CERT_HASH_URL      12 /* Hash and URL of X.509 certificate */
#define CERT_HASH_URL_BNDL 13 /* Hash and URL of X.509 bundle */

/* ---- Identification (§3.5) ----------------------------------------------------------------
 * |   ID Type     |                 RESERVED                      |
 * ~                   Identification Data                         ~
 */

/* Data length an ID type requires: 4/16 for addresses, 0 for variable, -1 for unknown. */
static int
id_data_len(uint8_t type)
{
	switch (type) {
	case IKE_ID_IPV4_ADDR:
		return 4;
	case IKE_ID_IPV6_ADDR:
		return 16;
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
	case IKE_ID_DER_ASN1_DN:
	case IKE_ID_DER_ASN1_GN:
	case IKE_ID_KEY_ID:
		return 0;
	default:
		return -1;
	}
}

int
ike_pld_parse_id(struct ike_pctx *pc, struct cur body)
{
	struct ike_pld_id *id = pc->type == IKE_PLD_IDI ? &pc->msg->idi : &pc->msg->idr;
	size_t left = cur_left(&body);
	int want;

	/* An identity of no bytes identifies nothing: "incomplete" like a short header. */
	if (left <= ID_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_ID_INCOMPLETE, (uint32_t)left, 0);
	id->body = body;
	(void)(cur_get_u8(&body, &id->type) && cur_skip(&body, 3));
	want = id_data_len(id->type);
	if (want < 0)
		return ike_perr_set(pc, IKE_REJ_ID_TYPE, id->type, 0);
	if (want > 0 && cur_left(&body) != (size_t)want)
		return ike_perr_set(pc, IKE_REJ_ID_LENGTH, pc->pld_len,
		                    (uint32_t)(IKE_GENERIC_HDR_LEN + ID_HDR_LEN + (size_t)want));
	id->data = body;
	if (pc->type == IKE_PLD_IDI)
		pc->msg->has_idi = true;
	else
		pc->msg->has_idr = true;
	return 0;
}

int
ike_mb_id(struct ike_mb *mb, uint8_t pld_type, uint8_t id_type, const uint8_t *data, size_t len)
{
	size_t off;
	int rc;

	if (pld_type != IKE_PLD_IDI && pld_type != IKE_PLD_IDR)
		return ike_mb_fail(mb, -EINVAL);
	rc = ike_mb_open(mb, pld_type, ID_HDR_LEN + len, &off);
	if (rc)
		return rc;
	(void)(buf_put_u8(&mb->b, id_type) && buf_put_zero(&mb->b, 3) &&
	       buf_put(&mb->b, data, len));
	return ike_mb_close(mb, off);
}

/* ---- Authentication (§3.8) ----------------------------------------------------------------
 * | Auth Method   |                RESERVED                       |
 * ~                      Authentication Data                      ~
 */

static bool
auth_method_known(uint8_t m)
{
	switch (m) {
	case IKE_AUTH_RSA_SIG:
	case IKE_AUTH_PSK:
	case IKE_AUTH_DSS_SIG:
	case IKE_AUTH_ECDSA_256:
	case IKE_AUTH_ECDSA_384:
	case IKE_AUTH_ECDSA_521:
	case IKE_AUTH_DIGITAL_SIG:
		return true;
	default:
		return false;
	}
}

int
ike_pld_parse_auth(struct ike_pctx *pc, struct cur body)
{
	struct ike_pld_auth *auth = &pc->msg->auth;
	size_t left = cur_left(&body);
	uint8_t alg_len = 0;

	if (left <= AUTH_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_AUTH_INCOMPLETE, (uint32_t)left, 0);
	(void)(cur_get_u8(&body, &auth->method) && cur_skip(&body, 3));
	if (!auth_method_known(auth->method))
		return ike_perr_set(pc, IKE_REJ_AUTH_METHOD, auth->method, 0);
	auth->data = body;
	/*
	 * RFC 7427 §3: a one-octet length, the AlgorithmIdentifier, then the signature, which
	 * must not be empty.
	 */
	if (auth->method == IKE_AUTH_DIGITAL_SIG &&
	    (!cur_peek_u8(&body, &alg_len) || (size_t)alg_len + 1 >= cur_left(&body)))
		return ike_perr_set(pc, IKE_REJ_AUTH_LENGTH, alg_len + 2u,
		                    (uint32_t)cur_left(&body));
	pc->msg->has_auth = true;
	return 0;
}

int
ike_mb_auth(struct ike_mb *mb, uint8_t method, const uint8_t *data, size_t len)
{
	size_t off;
	int rc;

	rc = ike_mb_open(mb, IKE_PLD_AUTH, AUTH_HDR_LEN + len, &off);
	if (rc)
		return rc;
	(void)(buf_put_u8(&mb->b, method) && buf_put_zero(&mb->b, 3) && buf_put(&mb->b, data, len));
	return ike_mb_close(mb, off);
}

/* ---- Certificate (§3.6) and Certificate Request (§3.7) -------------------------------------
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+   Certificate Data / Certification Authority  ~
 */

/* IANA "IKEv2 Certificate Encodings": 1-4 and 6-15 are assigned, 0 and 5 reserved. */
static bool
cert_encoding_known(uint8_t enc)
{
	return enc >= 1 && enc <= 15 && enc != 5;
}

int
ike_pld_parse_cert(struct ike_pctx *pc, struct cur body)
{
	size_t left = cur_left(&body);
	uint8_t enc;

	if (left <= CERT_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_CERT_INCOMPLETE, (uint32_t)left, 0);
	(void)cur_get_u8(&body, &enc);
	if (!cert_encoding_known(enc))
		return ike_perr_set(pc, IKE_REJ_CERT_ENCODING, enc, 0);
	/* §3.6: Hash and URL is a 20-octet SHA-1 hash followed by the URL. */
	if ((enc == CERT_HASH_URL || enc == CERT_HASH_URL_BNDL) && cur_left(&body) <= SHA1_LEN)
		return ike_perr_set(pc, IKE_REJ_CERT_LENGTH, SHA1_LEN + 1,
		                    (uint32_t)cur_left(&body));
	pc->msg->has_cert = true;
	return 0;
}

int
ike_pld_parse_certreq(struct ike_pctx *pc, struct cur body)
{
	size_t left = cur_left(&body);
	uint8_t enc;

	if (left < CERT_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_CERTREQ_LENGTH, CERT_HDR_LEN, (uint32_t)left);
	(void)cur_get_u8(&body, &enc);
	/*
	 * §3.7: for X.509 the Certification Authority field is a list of 20-octet SHA-1 hashes
	 * of trusted CAs' public keys. Other encodings (even unknown ones) are the exchange
	 * code's to ignore.
	 */
	if (enc == CERT_X509_SIG && cur_left(&body) % SHA1_LEN != 0)
		return ike_perr_set(pc, IKE_REJ_CERTREQ_LENGTH,
		                    (uint32_t)((cur_left(&body) / SHA1_LEN + 1) * SHA1_LEN),
		                    (uint32_t)cur_left(&body));
	pc->msg->has_certreq = true;
	return 0;
}

/* ---- EAP (§3.16, RFC 3748 §4) --------------------------------------------------------------
 * |     Code      | Identifier    |           Length              |
 * |     Type      | Type_Data...
 */
int
ike_pld_parse_eap(struct ike_pctx *pc, struct cur body)
{
	size_t left = cur_left(&body);
	uint8_t code = 0, ident = 0;
	uint16_t len = 0;

	if (left < EAP_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_EAP_INCOMPLETE, (uint32_t)left, 0);
	(void)(cur_get_u8(&body, &code) && cur_get_u8(&body, &ident) && cur_get_n16(&body, &len));
	/*
	 * The EAP Length covers the whole EAP message, which is the whole payload body; a
	 * Request or Response has a Type octet, Success and Failure have nothing more (§4.2).
	 */
	if (len != left || ((code == EAP_REQUEST || code == EAP_RESPONSE) && len <= EAP_HDR_LEN) ||
	    ((code == EAP_SUCCESS || code == EAP_FAILURE) && len != EAP_HDR_LEN))
		return ike_perr_set(pc, IKE_REJ_EAP_LENGTH, len, (uint32_t)left);
	pc->msg->has_eap = true;
	return 0;
}
