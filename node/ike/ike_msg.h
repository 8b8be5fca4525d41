/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 message codec (RFC 7296 §3): parse a datagram into a struct ike_msg of typed payload
 * views, and build messages payload by payload. Pure: bytes in, structs or errors out; no
 * sockets, clocks or randomness. Parsing is structural only (lengths, counts, nesting, field
 * ranges that make a payload unreadable); what an exchange requires of a message is checked
 * by the exchange code. Views (struct cur) borrow the datagram and die with it.
 */
#ifndef TANDEM_NODE_IKE_IKE_MSG_H
#define TANDEM_NODE_IKE_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/core/buf.h"
#include "node/core/cur.h"
#include "node/ike/ike_const.h"

/* Caps applied before anything is interpreted (STYLE.md §2.6). */
#define IKE_MSG_MAX_LEN    65535
#define IKE_MAX_PAYLOADS   64
#define IKE_MAX_PROPOSALS  32
#define IKE_MAX_TRANSFORMS 64 /* per proposal */
#define IKE_MAX_NOTIFIES   32
#define IKE_MAX_DELETES    16
#define IKE_MAX_VENDORS    16
#define IKE_MAX_TS         16 /* per TS payload */
#define IKE_MAX_SPI_LEN    8
#define IKE_NONCE_MIN      16 /* RFC 7296 §3.9 */
#define IKE_NONCE_MAX      256

/*
 * Why a message was rejected. Each reason has a log format that follows the seeds'
 * rejected-IKEv2-packet table (seed 004 §16), a counter in `hactl show statistics`, and the
 * notify RFC 7296 asks for, if any (ike_reject_info()).
 */
enum ike_reject {
	IKE_REJ_NONE = 0,
	/* header ("IKEv2 attribute errors") */
	IKE_REJ_HDR_INCOMPLETE,    /* IKEV2 HEADER:Incomplete data received:%u bytes */
	IKE_REJ_HDR_TOTAL_LENGTH,  /* IKEV2_TOTAL_LENGTH_RCVD_ERROR:%u bytes IKE_HDR_TOTAL_LENGTH:%u
	                            */
	IKE_REJ_HDR_MAJOR_VERSION, /* IKEV2_MAJOR_VERSION_ERROR :%u  -> INVALID_MAJOR_VERSION */
	IKE_REJ_HDR_ZERO_SPI_I,    /* IKEV2 HEADER:Zero Init SPI received */
	IKE_REJ_HDR_NEXT_PAYLOAD,  /* IKEV2 HEADER:INVALID_NEXT_PAYLOAD_TYPE */
	IKE_REJ_HDR_EXCHANGE,      /* IKEV2 HEADER:Invalid Exchange Type */
	IKE_REJ_GENERIC_LENGTH,    /* IKEV2_GENERIC_HEADER_LENGTH_ERROR:%u */
	IKE_REJ_TOO_MANY_PAYLOADS,
	IKE_REJ_UNSUPPORTED_CRITICAL, /* UNSUPPORTED PAYLOAD TYPE: %02u, Critical Bit set
	                               * -> UNSUPPORTED_CRITICAL_PAYLOAD (data: the type) */
	IKE_REJ_SK_NESTED,            /* ENCRYPTED PAYLOAD:Encrypted payload MUST not be nested */
	IKE_REJ_SK_NOT_LAST,          /* the SK payload must be the last one (RFC 7296 §3.14) */
	/* per payload: "incomplete" (shorter than its fixed part) and "length" (fields disagree) */
	IKE_REJ_SA_INCOMPLETE,
	IKE_REJ_SA_LENGTH,
	IKE_REJ_PROPOSAL_LENGTH,
	IKE_REJ_PROPOSAL_TOO_MANY,
	IKE_REJ_PROPOSAL_NUMBER,     /* proposal numbers must start at 1 and rise by 1 */
	IKE_REJ_PROPOSAL_LAST,       /* Last Substruc neither 0 nor 2 (RFC 7296 §3.3.1) */
	IKE_REJ_INVALID_PROTOCOL_ID, /* INVALID_PROTOCOL_ID %u in PROPOSAL_%u */
	IKE_REJ_INVALID_SPI_SIZE,    /* INVALID_SPI_SIZE 0x%x in PROPOSAL_%u */
	IKE_REJ_ZERO_TRANSFORM,      /* ZERO_TRANSFORM received in PROPOSAL_%u */
	IKE_REJ_XFORM_INCOMPLETE,    /* INCOMPLETE_XFORM_PAYLOAD received :%u */
	IKE_REJ_XFORM_LENGTH,        /* XFORM_PAYLOAD_LENGTH_ERROR :%u received bytes;%u */
	IKE_REJ_XFORM_COUNT,         /* the proposal's transform count disagrees with its bytes */
	IKE_REJ_XFORM_LAST,          /* Last Substruc neither 0 nor 3 (RFC 7296 §3.3.2) */
	IKE_REJ_XFORM_ATTR_LENGTH,   /* XFORM_ATTRIB_LENGTH_ERROR :%u bytes of Attribute Received:%u
	                              */
	IKE_REJ_XFORM_ATTR_TYPE,  /* INVALID_XFORM_ATTRIB_TYPE:%u Prop Num:%u (Key Length twice) */
	IKE_REJ_XFORM_KEY_LENGTH, /* a Key Length of 0 (struct ike_transform: 0 = absent) */
	IKE_REJ_KE_INCOMPLETE,
	IKE_REJ_KE_LENGTH,
	IKE_REJ_NONCE_INCOMPLETE,
	IKE_REJ_NONCE_LENGTH, /* MAX_NONCE_PAYLOAD_LENGTH_ERROR:%u,Maximum Nonce Payload size: 256+4
	                       */
	IKE_REJ_ID_INCOMPLETE,
	IKE_REJ_ID_LENGTH,
	IKE_REJ_ID_TYPE, /* INVALID_ID_TYPE_ERROR:%u */
	IKE_REJ_AUTH_INCOMPLETE,
	IKE_REJ_AUTH_LENGTH,
	IKE_REJ_AUTH_METHOD, /* AUTH_PAYLOAD:Invalid AuthMethod Type:%X */
	IKE_REJ_CERT_INCOMPLETE,
	IKE_REJ_CERT_LENGTH,
	IKE_REJ_CERTREQ_LENGTH,
	IKE_REJ_CERT_ENCODING, /* INVALID_CERT_ENCODING_TYPE_ERROR %u in CERT payload */
	IKE_REJ_NOTIFY_INCOMPLETE,
	IKE_REJ_NOTIFY_LENGTH,
	IKE_REJ_NOTIFY_PROTOCOL_ID,  /* NOTIFY PAYLOAD:INVALID_NOTIFY_PROTOCOL_ID:%u */
	IKE_REJ_NOTIFY_IKE_SPI_SIZE, /* NOTIFY PAYLOAD:FOR IKE SA SPI SIZE IS NONZERO */
	IKE_REJ_NOTIFY_SPI_SIZE,     /* an SPI without a protocol, or not 4 bytes for ESP/AH */
	IKE_REJ_NOTIFY_TOO_MANY,
	IKE_REJ_DELETE_LENGTH,
	IKE_REJ_DELETE_PROTOCOL_ID,  /* DELETE_PAYLOAD:INVALID_PROTOCOL_ID:%u */
	IKE_REJ_DELETE_IKE_SPI_SIZE, /* DELETE_PAYLOAD:FOR IKE SA SPI SIZE IS NONZERO */
	IKE_REJ_DELETE_SPI_SIZE,     /* ESP/AH SPI size other than 4 (RFC 7296 §3.11) */
	IKE_REJ_TS_INCOMPLETE,       /* Ikev2TSNtoH:INCOMPLETE_TRAFFIC_SELECTOR received:%u bytes */
	IKE_REJ_TS_ZERO,             /* ZERO_TRAFFIC_SELECTORS in TRAFFIC_SELECTOR_PAYLOAD */
	IKE_REJ_TS_TYPE,             /* INVALID_TRAFFIC_SELECTOR_TYPE:%u */
	IKE_REJ_TS_LENGTH,           /* INVALID_TRAFFIC_SELECTOR_LENGTH:%u */
	IKE_REJ_TS_PORT,             /* start port > end port, except OPAQUE (RFC 7296 §3.13.1) */
	IKE_REJ_TS_TOO_MANY,
	IKE_REJ_CP_INCOMPLETE,
	IKE_REJ_CP_ATTR_TYPE, /* INVALID_CP_ATTRIB_TYPE:%u */
	IKE_REJ_EAP_INCOMPLETE,
	IKE_REJ_EAP_LENGTH,
	IKE_REJ_VENDOR_INCOMPLETE,
	IKE_REJ_VENDOR_LENGTH,
	IKE_REJ_DEFAULT_INCOMPLETE, /* DEFAULT_PAYLOAD:Incomplete data received:%u bytes */
	IKE_REJ_DEFAULT_LENGTH,     /* DEFAULT_PAYLOAD:Invalid Length received:%u bytes */
	IKE_REJ_SK_INCOMPLETE,
	IKE_REJ_DUPLICATE_PAYLOAD, /* a payload that may appear once appears twice */
	/* found by exchange processing (semantic), kept in the same table and counters */
	IKE_REJ_MISSING_PAYLOAD,    /* the exchange needs a payload the message lacks */
	IKE_REJ_UNEXPECTED_PAYLOAD, /* a payload the exchange does not allow */
	IKE_REJ_SK_DECRYPT,         /* ICV mismatch or bad padding: "Possibly mis-matching keys" */
	IKE_REJ_UNKNOWN_SPI,        /* no IKE SA for these SPIs -> INVALID_IKE_SPI (rate-limited) */
	IKE_REJ_MSGID_OLD,          /* a request older than the last one answered: dropped */
	IKE_REJ_MSGID_FUTURE,       /* a request beyond the window: dropped (RFC 7296 §2.3) */
	IKE_REJ_UNSOLICITED_RESPONSE, /* a response to nothing outstanding: dropped */
	IKE_REJ_NO_PROPOSAL_CHOSEN,   /* MISMATCHED_*: nothing offered matches the configuration */
	IKE_REJ_INVALID_KE,      /* KE group differs from the chosen one -> INVALID_KE_PAYLOAD */
	IKE_REJ_AUTH_FAILED,     /* AUTH payload does not verify: PSK mismatch */
	IKE_REJ_ID_MISMATCH,     /* the peer's ID is not the configured remote-id */
	IKE_REJ_TS_UNACCEPTABLE, /* no configured selector fits */
	IKE_REJ_NO_TUNNEL,       /* no tunnel configured for this peer */
	IKE_REJ_COOKIE_REQUIRED, /* over the half-open threshold without a valid cookie */
	IKE_REJ_COOKIE_INVALID,
	IKE_REJ_HALF_OPEN_LIMIT,
	IKE_REJ_INVALID_SPI_CHILD, /* a Child SA SPI we do not know -> INVALID_SPI / not found */
	IKE_REJ_COUNT
};

/*
 * What a message may carry that RFC 7296 tells the receiver to accept, yet worth a counter
 * (`hactl show statistics`) and a rate-limited log line (ike_note_info()): the message is
 * processed all the same.
 */
enum ike_note {
	/* §2.5, §3.2: the critical bit applies only to payload types the receiver does not
	 * understand; on one it understands (Vendor ID, say) it is ignored. a: the type */
	IKE_NOTE_CRITICAL_KNOWN = 0,
	/* §3.3.5: a transform attribute in TLV form (Key Length, the only one defined, is TV):
	 * that transform is unusable (§3.3.6). a: the attribute type, b: the proposal number */
	IKE_NOTE_XFORM_ATTR_TLV,
	/* §3.3.6: "if the receiver does not understand an attribute, it MUST reject that
	 * transform": unusable; the proposal may still be chosen through another transform of the
	 * same type. a: the attribute type, b: the proposal number */
	IKE_NOTE_XFORM_ATTR_UNKNOWN,
	IKE_NOTE_COUNT
};

struct ike_note_info {
	const char *counter; /* stable statistics label, e.g. "noted_critical_known" */
	const char *fmt;     /* printf format with up to two %u for a and b */
};
const struct ike_note_info *ike_note_info(enum ike_note n);
/* The note's line, its numbers filled in; writes at most cap bytes. */
void ike_note_format(enum ike_note n, uint32_t a, uint32_t b, char *out, size_t cap);

/* Details of one rejection; the numbers fill the reason's format. */
struct ike_perr {
	enum ike_reject reason;
	uint8_t pld_type; /* the payload concerned, 0 for the header */
	uint32_t a, b;    /* the two numbers the format names (received, configured, …) */
};

struct ike_reject_info {
	const char *counter; /* stable metric/statistics label, e.g. "sa_length" */
	const char *fmt;     /* printf format with up to two %u for a and b */
	uint16_t notify;     /* notify to send in the response (0 = none, or silently drop) */
	bool log_as_info;    /* expected events (retransmission, old message ID) */
};
const struct ike_reject_info *ike_reject_info(enum ike_reject r);
/* "SA_PAYLOAD_LENGTH_ERROR:1024, received 512 bytes" for e; writes at most cap bytes. */
void ike_perr_format(const struct ike_perr *e, char *out, size_t cap);

/* ---- parsed representation ----------------------------------------------------------- */

struct ike_hdr {
	uint64_t spi_i, spi_r; /* host order */
	uint8_t next;          /* first payload type */
	uint8_t major, minor;
	uint8_t exch;
	uint8_t flags;
	uint32_t msgid;
	uint32_t len; /* total length from the header */
};

struct ike_transform {
	uint8_t type;    /* enum ike_trans_type */
	uint16_t id;     /* transform id (or DH group number) */
	uint16_t keylen; /* Key Length attribute in bits, 0 when absent */
	bool unusable;   /* carries an attribute we do not understand (§3.3.6): never chosen */
};

struct ike_proposal {
	uint8_t num;   /* 1-based */
	uint8_t proto; /* enum ike_proto */
	uint8_t spi_len;
	uint8_t spi[IKE_MAX_SPI_LEN];
	uint8_t ntrans;
	struct ike_transform trans[IKE_MAX_TRANSFORMS];
};

struct ike_pld_sa {
	uint8_t nprops;
	struct ike_proposal props[IKE_MAX_PROPOSALS];
};

struct ike_pld_ke {
	uint16_t group;
	struct cur data;
};

struct ike_pld_id {
	uint8_t type; /* enum ike_id_type */
	struct cur data;
	struct cur body; /* the whole payload body (type, reserved, data): what AUTH signs */
};

struct ike_pld_auth {
	uint8_t method;
	struct cur data;
};

struct ike_pld_notify {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t type;
	struct cur spi;
	struct cur data;
};

struct ike_pld_delete {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t nspi;
	struct cur spis; /* nspi * spi_len bytes */
};

struct ike_ts {
	uint8_t type; /* IPv4 or IPv6 range */
	uint8_t proto;
	uint16_t sport, eport;
	uint8_t start[16], end[16]; /* 4 bytes used for IPv4 */
};

struct ike_pld_ts {
	uint8_t n;
	struct ike_ts ts[IKE_MAX_TS];
};

/* The Encrypted payload, not yet decrypted (RFC 7296 §3.14). */
struct ike_pld_sk {
	uint8_t inner_next; /* type of the first inner payload */
	size_t aad_len;     /* bytes from the IKE header through the SK generic header */
	struct cur body;    /* IV || ciphertext || ICV */
};

struct ike_msg {
	struct ike_hdr hdr;
	/* every payload in order, outer then (after ike_msg_parse_inner) inner */
	uint8_t npld;
	struct {
		uint8_t type;
		bool critical;
		struct cur body;
	} pld[IKE_MAX_PAYLOADS];
	bool has_sa, has_ke, has_nonce, has_idi, has_idr, has_auth, has_tsi, has_tsr, has_sk;
	bool has_cp, has_certreq, has_cert, has_eap;
	struct ike_pld_sa sa;
	struct ike_pld_ke ke;
	struct cur nonce;
	struct ike_pld_id idi, idr;
	struct ike_pld_auth auth;
	struct ike_pld_ts tsi, tsr;
	struct ike_pld_sk sk;
	uint8_t nnotify;
	struct ike_pld_notify notify[IKE_MAX_NOTIFIES];
	uint8_t ndelete;
	struct ike_pld_delete del[IKE_MAX_DELETES];
	uint8_t nvendor;
	struct cur vendor[IKE_MAX_VENDORS];
	/* accepted oddities: bit 1 << enum ike_note per kind seen, the numbers of the first */
	uint8_t notes;
	uint32_t note_a[IKE_NOTE_COUNT], note_b[IKE_NOTE_COUNT];
};

/*
 * Reads the fixed header (RFC 7296 §3.1) of a datagram whose non-ESP marker, if any, is
 * already stripped. Checks the length against the datagram and the major version.
 * Returns 0 or -EBADMSG with *err filled.
 * The header's Length must equal len: a shorter Length (trailing bytes, which neither the
 * ICV nor AUTH would cover) is IKE_REJ_HDR_TOTAL_LENGTH like a longer one. Only major
 * version 2 is accepted; any minor version is (RFC 7296 §2.5). In every parse function err
 * may be NULL, and on success err->reason is IKE_REJ_NONE; after an error the contents of
 * msg are unspecified.
 */
int ike_hdr_parse(const uint8_t *p, size_t len, struct ike_hdr *hdr, struct ike_perr *err);

/*
 * Parses a whole datagram: header and the unencrypted payload chain, stopping at the SK
 * payload (its body is left for decryption). msg is reset first. Returns 0 or -EBADMSG.
 */
int ike_msg_parse(const uint8_t *p, size_t len, struct ike_msg *msg, struct ike_perr *err);

/*
 * Parses the decrypted contents of the SK payload (a payload chain starting with type
 * `first`) into msg, adding to what ike_msg_parse found. An SK inside is IKE_REJ_SK_NESTED.
 * The bytes must outlive msg. Returns 0 or -EBADMSG.
 */
int ike_msg_parse_inner(struct ike_msg *msg, uint8_t first, const uint8_t *p, size_t len,
                        struct ike_perr *err);

/* The first notify of `type` in msg, or NULL. */
const struct ike_pld_notify *ike_msg_notify(const struct ike_msg *msg, uint16_t type);

/* ---- building ---------------------------------------------------------------------------- */

/*
 * Builds a message payload by payload: each ike_mb_* call appends one payload and patches the
 * previous payload's Next Payload field; ike_mb_finish writes the total length. An allocation
 * failure latches in the buffer and ike_mb_finish returns -ENOMEM.
 */
struct ike_mb {
	struct buf b;
	size_t next_off; /* where the previous Next Payload octet is: header or last payload */
	size_t start;    /* offset of the IKE header in b (after a non-ESP marker, if any) */
	/* private to the builder: */
	uint8_t first; /* chain: type of the first payload */
	bool chain;    /* no header (ike_mb_init_chain) */
	bool closed;   /* an SK payload was appended: nothing may follow it */
	int err;       /* first error other than ENOMEM, latched for ike_mb_finish */
};

/*
 * Starts a message with its header (len is filled by ike_mb_finish). A major version of 0 is
 * written as IKE_MAJOR_VERSION; the Next Payload field is filled by the first payload.
 */
void ike_mb_init(struct ike_mb *mb, const struct ike_hdr *hdr);
/*
 * Starts a bare payload chain (the plaintext of an SK payload): no header; ike_mb_first
 * then tells which payload type came first.
 */
void ike_mb_init_chain(struct ike_mb *mb);
uint8_t ike_mb_first(const struct ike_mb *mb);
void ike_mb_fini(struct ike_mb *mb);

int ike_mb_sa(struct ike_mb *mb, const struct ike_pld_sa *sa);
int ike_mb_ke(struct ike_mb *mb, uint16_t group, const uint8_t *data, size_t len);
int ike_mb_nonce(struct ike_mb *mb, const uint8_t *data, size_t len);
/* pld_type is IKE_PLD_IDI or IKE_PLD_IDR */
int ike_mb_id(struct ike_mb *mb, uint8_t pld_type, uint8_t id_type, const uint8_t *data,
              size_t len);
int ike_mb_auth(struct ike_mb *mb, uint8_t method, const uint8_t *data, size_t len);
int ike_mb_notify(struct ike_mb *mb, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
                  uint16_t type, const uint8_t *data, size_t len);
int ike_mb_delete(struct ike_mb *mb, uint8_t proto, uint8_t spi_len, const uint8_t *spis,
                  uint16_t nspi);
/* pld_type is IKE_PLD_TSI or IKE_PLD_TSR */
int ike_mb_ts(struct ike_mb *mb, uint8_t pld_type, const struct ike_ts *ts, uint8_t n);
int ike_mb_vendor(struct ike_mb *mb, const uint8_t *data, size_t len);
/*
 * Appends any payload with a body the caller encoded (CERT, CERTREQ, CP, EAP, ...). Every
 * ike_mb_* payload call returns 0, -EINVAL (bad arguments, or after the SK payload),
 * -EMSGSIZE (longer than a payload can be) or -ENOMEM; errors latch for ike_mb_finish.
 */
int ike_mb_payload(struct ike_mb *mb, uint8_t type, const uint8_t *body, size_t len);
/*
 * Appends the SK payload's generic header for a body of body_len bytes (IV, ciphertext and
 * ICV) whose first inner payload is `inner_first`, and reserves the body. *aad_len gets the
 * number of bytes from the IKE header through the SK generic header, *body_off where the
 * body starts in mb->b: the caller seals into it (ike_sk_seal) after ike_mb_finish.
 */
int ike_mb_sk(struct ike_mb *mb, uint8_t inner_first, size_t body_len, size_t *aad_len,
              size_t *body_off);
/* Writes the total length into the header. Returns 0 or -ENOMEM / -EMSGSIZE. */
int ike_mb_finish(struct ike_mb *mb);

#endif
