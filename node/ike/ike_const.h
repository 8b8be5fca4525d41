/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 numbers from the IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" registry
 * (RFC 7296 §3 and later RFCs), and their names for logs and displays.
 */
#ifndef TANDEM_NODE_IKE_IKE_CONST_H
#define TANDEM_NODE_IKE_IKE_CONST_H

#include <stdint.h>

#define IKE_PORT               500
#define IKE_NATT_PORT          4500
#define IKE_HDR_LEN            28
#define IKE_GENERIC_HDR_LEN    4
#define IKE_MAJOR_VERSION      2
#define IKE_MINOR_VERSION      0
#define IKE_NON_ESP_MARKER_LEN 4 /* RFC 3948 §2.2: four zero octets before IKE on 4500 */

/* Exchange types (RFC 7296 §3.1) */
enum ike_exch {
	IKE_EXCH_SA_INIT = 34,
	IKE_EXCH_AUTH = 35,
	IKE_EXCH_CREATE_CHILD_SA = 36,
	IKE_EXCH_INFORMATIONAL = 37,
};

/* Header flags (RFC 7296 §3.1) */
#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_VERSION   0x10
#define IKE_FLAG_RESPONSE  0x20

/* Payload types (RFC 7296 §3.2) */
enum ike_pld_type {
	IKE_PLD_NONE = 0,
	IKE_PLD_SA = 33,
	IKE_PLD_KE = 34,
	IKE_PLD_IDI = 35,
	IKE_PLD_IDR = 36,
	IKE_PLD_CERT = 37,
	IKE_PLD_CERTREQ = 38,
	IKE_PLD_AUTH = 39,
	IKE_PLD_NONCE = 40,
	IKE_PLD_NOTIFY = 41,
	IKE_PLD_DELETE = 42,
	IKE_PLD_VENDOR = 43,
	IKE_PLD_TSI = 44,
	IKE_PLD_TSR = 45,
	IKE_PLD_SK = 46,
	IKE_PLD_CP = 47,
	IKE_PLD_EAP = 48,
	IKE_PLD_SKF = 53, /* RFC 7383 */
};
#define IKE_PLD_CRITICAL 0x80 /* in the generic payload header's second octet */

/* Security protocol identifiers (RFC 7296 §3.3.1) */
enum ike_proto {
	IKE_PROTO_IKE = 1,
	IKE_PROTO_AH = 2,
	IKE_PROTO_ESP = 3,
};

/* Transform types (RFC 7296 §3.3.2) */
enum ike_trans_type {
	IKE_TRANS_ENCR = 1,
	IKE_TRANS_PRF = 2,
	IKE_TRANS_INTEG = 3,
	IKE_TRANS_DH = 4,
	IKE_TRANS_ESN = 5,
};

/* Transform IDs */
enum ike_encr_id {
	IKE_ENCR_DES = 2,
	IKE_ENCR_3DES = 3,
	IKE_ENCR_NULL = 11,
	IKE_ENCR_AES_CBC = 12,
	IKE_ENCR_AES_GCM_16 = 20,        /* RFC 4106 / RFC 5282 */
	IKE_ENCR_CHACHA20_POLY1305 = 28, /* RFC 7634 */
};
enum ike_prf_id {
	IKE_PRF_HMAC_MD5 = 1,
	IKE_PRF_HMAC_SHA1 = 2,
	IKE_PRF_AES128_XCBC = 4,
	IKE_PRF_HMAC_SHA2_256 = 5,
	IKE_PRF_HMAC_SHA2_384 = 6,
	IKE_PRF_HMAC_SHA2_512 = 7,
};
enum ike_integ_id {
	IKE_INTEG_NONE = 0,
	IKE_INTEG_HMAC_MD5_96 = 1,
	IKE_INTEG_HMAC_SHA1_96 = 2,
	IKE_INTEG_AES_XCBC_96 = 5,
	IKE_INTEG_HMAC_SHA2_256_128 = 12,
	IKE_INTEG_HMAC_SHA2_384_192 = 13,
	IKE_INTEG_HMAC_SHA2_512_256 = 14,
};
enum ike_esn_id {
	IKE_ESN_NO = 0,
	IKE_ESN_YES = 1,
};
/* DH group numbers are the IANA numbers themselves (1, 2, 5, 14, 15, 16, 19, 20, 21, 31). */

/* Transform attribute: Key Length (RFC 7296 §3.3.5), TV format */
#define IKE_ATTR_KEY_LENGTH 14
#define IKE_ATTR_AF         0x8000

/* ID types (RFC 7296 §3.5) */
enum ike_id_type {
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_DER_ASN1_GN = 10,
	IKE_ID_KEY_ID = 11,
};

/* Authentication methods (RFC 7296 §3.8, RFC 7427) */
enum ike_auth_method {
	IKE_AUTH_RSA_SIG = 1,
	IKE_AUTH_PSK = 2,
	IKE_AUTH_DSS_SIG = 3,
	IKE_AUTH_ECDSA_256 = 9,
	IKE_AUTH_ECDSA_384 = 10,
	IKE_AUTH_ECDSA_521 = 11,
	IKE_AUTH_DIGITAL_SIG = 14,
};

/* Traffic selector types (RFC 7296 §3.13.1) */
enum ike_ts_type {
	IKE_TS_IPV4_ADDR_RANGE = 7,
	IKE_TS_IPV6_ADDR_RANGE = 8,
};

/* Notify message types: errors (< 16384) and status (RFC 7296 §3.10.1, RFC 6311, RFC 7383) */
enum ike_notify {
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKE_N_FAILED_CP_REQUIRED = 37,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_INVALID_SELECTORS = 39,
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_SET_WINDOW_SIZE = 16385,
	IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKE_N_IPCOMP_SUPPORTED = 16387,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKE_N_MOBIKE_SUPPORTED = 16396,
	IKE_N_MULTIPLE_AUTH_SUPPORTED = 16404,
	IKE_N_REDIRECT_SUPPORTED = 16406,
	IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420,     /* RFC 6311 */
	IKE_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED = 16421, /* RFC 6311 */
	IKE_N_IKEV2_MESSAGE_ID_SYNC = 16422,               /* RFC 6311 */
	IKE_N_IPSEC_REPLAY_COUNTER_SYNC = 16423,           /* RFC 6311 */
	IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,       /* RFC 7383 */
	IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,           /* RFC 7427 */
};

/*
 * Names for logs ("IKE_SA_INIT", "NO_PROPOSAL_CHOSEN", ...): static strings, never NULL. A
 * number without a name gets "UNKNOWN" (notifies: "UNKNOWN_ERROR", "PRIVATE_ERROR",
 * "UNKNOWN_STATUS" or "PRIVATE_STATUS" by RFC 7296 §3.10.1 range), so callers print the
 * number next to the name; no buffer, no state.
 */
const char *ike_exch_name(uint8_t exch);
const char *ike_pld_name(uint8_t type);
const char *ike_notify_name(uint16_t type);
const char *ike_id_type_name(uint8_t type);

#endif
