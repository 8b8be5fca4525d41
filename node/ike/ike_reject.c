/* SPDX-License-Identifier: MIT */
/*
 * The rejection table: for every enum ike_reject a stable counter name, the log format
 * (the wording of seed 004 §16 "Log Messages Resulting from Rejected IKEv2 Packets" where
 * the seed has one, kept exactly, trailing punctuation included) and the notify RFC 7296
 * asks for. The caller decides whether to send it: INVALID_SYNTAX only inside a message whose
 * ICV verified (§2.21.2, §3.10.1), never in answer to an unprotected one.
 */
#include <stdio.h>

#include "ike_msg.h"

#define N_NONE   0
#define N_SYNTAX IKE_N_INVALID_SYNTAX

/*
 * Columns: counter, format, notify, log_as_info. Header errors found before anything is
 * authenticated are never answered (§2.21); payload structure errors ask for INVALID_SYNTAX,
 * which the caller sends only inside a protected message.
 */
static const struct ike_reject_info reject_table[IKE_REJ_COUNT] = {
        [IKE_REJ_NONE] = {"none", "no error", N_NONE, true},
        [IKE_REJ_HDR_INCOMPLETE] = {"hdr_incomplete",
                                    "IKEV2 HEADER:Incomplete data received:%u bytes", N_NONE,
                                    false},
        [IKE_REJ_HDR_TOTAL_LENGTH] = {"hdr_total_length",
                                      "IKEV2_TOTAL_LENGTH_RCVD_ERROR:%u bytes "
                                      "IKE_HDR_TOTAL_LENGTH:%u",
                                      N_NONE, false},
        /* §2.5: "SHOULD send an unauthenticated Notify message of type INVALID_MAJOR_VERSION" */
        [IKE_REJ_HDR_MAJOR_VERSION] = {"hdr_major_version", "IKEV2_MAJOR_VERSION_ERROR :%u",
                                       IKE_N_INVALID_MAJOR_VERSION, false},
        [IKE_REJ_HDR_ZERO_SPI_I] = {"hdr_zero_spi_i", "IKEV2 HEADER:Zero Init SPI received", N_NONE,
                                    false},
        [IKE_REJ_HDR_NEXT_PAYLOAD] = {"hdr_next_payload", "IKEV2 HEADER:INVALID_NEXT_PAYLOAD_TYPE",
                                      N_SYNTAX, false},
        [IKE_REJ_HDR_EXCHANGE] = {"hdr_exchange", "IKEV2 HEADER:Invalid Exchange Type", N_NONE,
                                  false},
        [IKE_REJ_GENERIC_LENGTH] = {"generic_length", "IKEV2_GENERIC_HEADER_LENGTH_ERROR:%u",
                                    N_SYNTAX, false},
        [IKE_REJ_TOO_MANY_PAYLOADS] = {"too_many_payloads",
                                       "TOO_MANY_PAYLOADS of type %u, maximum %u", N_SYNTAX, false},
        /* §2.5/§3.10.1: the notification data is the one-octet payload type. */
        [IKE_REJ_UNSUPPORTED_CRITICAL] = {"unsupported_critical",
                                          "UNSUPPORTED PAYLOAD TYPE: %02u, Critical Bit set",
                                          IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, false},
        [IKE_REJ_SK_NESTED] = {"sk_nested",
                               "ENCRYPTED PAYLOAD:Encrypted payload MUST not be nested", N_SYNTAX,
                               false},
        [IKE_REJ_SK_NOT_LAST] = {"sk_not_last",
                                 "ENCRYPTED PAYLOAD:Encrypted payload MUST be the last "
                                 "payload:%u bytes follow",
                                 N_SYNTAX, false},
        [IKE_REJ_SA_INCOMPLETE] = {"sa_incomplete", "SA PAYLOAD:Incomplete data received:%u bytes",
                                   N_SYNTAX, false},
        [IKE_REJ_SA_LENGTH] = {"sa_length", "SA_PAYLOAD_LENGTH_ERROR:%u, received %u bytes",
                               N_SYNTAX, false},
        [IKE_REJ_PROPOSAL_LENGTH] = {"proposal_length",
                                     "PROPOSAL_PAYLOAD_LENGTH_ERROR : %u, received bytes:%u,",
                                     N_SYNTAX, false},
        [IKE_REJ_PROPOSAL_TOO_MANY] = {"proposal_too_many",
                                       "PROPOSAL_PAYLOAD:TOO_MANY_PROPOSALS:%u, maximum %u",
                                       N_SYNTAX, false},
        [IKE_REJ_PROPOSAL_NUMBER] = {"proposal_number", "INVALID_PROPOSAL_NUMBER %u, expected %u",
                                     N_SYNTAX, false},
        [IKE_REJ_PROPOSAL_LAST] = {"proposal_last",
                                   "PROPOSAL_PAYLOAD:INVALID_LAST_SUBSTRUC:%u in PROPOSAL_%u",
                                   N_SYNTAX, false},
        [IKE_REJ_INVALID_PROTOCOL_ID] = {"invalid_protocol_id",
                                         "INVALID_PROTOCOL_ID %u in PROPOSAL_%u,", N_SYNTAX, false},
        [IKE_REJ_INVALID_SPI_SIZE] = {"invalid_spi_size", "INVALID_SPI_SIZE 0x%x in PROPOSAL_%u",
                                      N_SYNTAX, false},
        [IKE_REJ_ZERO_TRANSFORM] = {"zero_transform", "ZERO_TRANSFORM received in PROPOSAL_%u",
                                    N_SYNTAX, false},
        [IKE_REJ_XFORM_INCOMPLETE] = {"xform_incomplete", "INCOMPLETE_XFORM_PAYLOAD received :%u",
                                      N_SYNTAX, false},
        [IKE_REJ_XFORM_LENGTH] = {"xform_length",
                                  "XFORM_PAYLOAD_LENGTH_ERROR :%u received bytes;%u", N_SYNTAX,
                                  false},
        [IKE_REJ_XFORM_COUNT] = {"xform_count", "MISMATCHED_NUMBER_OF_TRANSFORMS:%u in PROPOSAL_%u",
                                 N_SYNTAX, false},
        [IKE_REJ_XFORM_LAST] = {"xform_last",
                                "XFORM_PAYLOAD:INVALID_LAST_SUBSTRUC:%u in PROPOSAL_%u", N_SYNTAX,
                                false},
        [IKE_REJ_XFORM_ATTR_LENGTH] = {"xform_attr_length",
                                       "XFORM_ATTRIB_LENGTH_ERROR :%u bytes of Attribute "
                                       "Received:%u",
                                       N_SYNTAX, false},
        [IKE_REJ_XFORM_ATTR_TYPE] = {"xform_attr_type", "INVALID_XFORM_ATTRIB_TYPE:%u Prop Num:%u",
                                     N_SYNTAX, false},
        [IKE_REJ_XFORM_KEY_LENGTH] = {"xform_key_length",
                                      "XFORM_ATTRIB_KEY_LENGTH:%u invalid in PROPOSAL_%u", N_SYNTAX,
                                      false},
        [IKE_REJ_KE_INCOMPLETE] = {"ke_incomplete",
                                   "KEY EXCHANGE PAYLOAD:Incomplete data received:%u bytes",
                                   N_SYNTAX, false},
        [IKE_REJ_KE_LENGTH] = {"ke_length",
                               "KEY_EXCHANGE_PAYLOAD_LENGTH_ERROR:%u bytes, received:%u bytes",
                               N_SYNTAX, false},
        [IKE_REJ_NONCE_INCOMPLETE] = {"nonce_incomplete",
                                      "NONCE PAYLOAD:INCOMPLETE_DATA_RECEIVED:%u bytes", N_SYNTAX,
                                      false},
        [IKE_REJ_NONCE_LENGTH] = {"nonce_length",
                                  "MAX_NONCE_PAYLOAD_LENGTH_ERROR:%u,Maximum Nonce Payload size: "
                                  "256+4",
                                  N_SYNTAX, false},
        [IKE_REJ_ID_INCOMPLETE] = {"id_incomplete", "ID PAYLOAD:Incomplete data received:%u bytes",
                                   N_SYNTAX, false},
        [IKE_REJ_ID_LENGTH] = {"id_length",
                               "ID_PAYLOAD_LENGTH_ERROR: usPayloadLen %u bytes, ulMsgLen %u bytes:",
                               N_SYNTAX, false},
        [IKE_REJ_ID_TYPE] = {"id_type", "INVALID_ID_TYPE_ERROR:%u", N_SYNTAX, false},
        [IKE_REJ_AUTH_INCOMPLETE] = {"auth_incomplete", "AUTH_PAYLOAD:Incomplete data received:%u",
                                     N_SYNTAX, false},
        [IKE_REJ_AUTH_LENGTH] = {"auth_length",
                                 "AUTH_PAYLOAD_LENGTH_ERROR :%u bytes,received %u bytes", N_SYNTAX,
                                 false},
        [IKE_REJ_AUTH_METHOD] = {"auth_method", "AUTH_PAYLOAD:Invalid AuthMethod Type:%X", N_SYNTAX,
                                 false},
        [IKE_REJ_CERT_INCOMPLETE] = {"cert_incomplete",
                                     "CERT_PAYLOAD:Incomplete data received:%u bytes", N_SYNTAX,
                                     false},
        [IKE_REJ_CERT_LENGTH] = {"cert_length",
                                 "CERT_PAYLOAD_LENGTH_ERROR:%ubytes,received %u bytes", N_SYNTAX,
                                 false},
        [IKE_REJ_CERTREQ_LENGTH] = {"certreq_length",
                                    "CERT_REQ_PAYLOAD_LENGTH_ERROR:%ubytes,received %u bytes",
                                    N_SYNTAX, false},
        [IKE_REJ_CERT_ENCODING] = {"cert_encoding",
                                   "INVALID_CERT_ENCODING_TYPE_ERROR %u in CERT payload", N_SYNTAX,
                                   false},
        [IKE_REJ_NOTIFY_INCOMPLETE] = {"notify_incomplete",
                                       "NOTIFY PAYLOAD:INCOMPLETE_DATA_RECEIVED:%u bytes", N_SYNTAX,
                                       false},
        [IKE_REJ_NOTIFY_LENGTH] = {"notify_length",
                                   "NOTIFY_PAYLOAD_LENGTH_ERROR:%u, received %u bytes:", N_SYNTAX,
                                   false},
        [IKE_REJ_NOTIFY_PROTOCOL_ID] = {"notify_protocol_id",
                                        "NOTIFY PAYLOAD:INVALID_NOTIFY_PROTOCOL_ID:%u", N_SYNTAX,
                                        false},
        [IKE_REJ_NOTIFY_IKE_SPI_SIZE] = {"notify_ike_spi_size",
                                         "NOTIFY PAYLOAD:FOR IKE SA SPI SIZE IS NONZERO", N_SYNTAX,
                                         false},
        [IKE_REJ_NOTIFY_SPI_SIZE] = {"notify_spi_size",
                                     "NOTIFY PAYLOAD:INVALID_SPI_SIZE:%u for protocol %u", N_SYNTAX,
                                     false},
        [IKE_REJ_NOTIFY_TOO_MANY] = {"notify_too_many",
                                     "NOTIFY PAYLOAD:TOO_MANY_NOTIFY_PAYLOADS, maximum %u",
                                     N_SYNTAX, false},
        [IKE_REJ_DELETE_LENGTH] = {"delete_length",
                                   "DELETE_PAYLOAD_LENGTH_ERROR:%u received %u bytes", N_SYNTAX,
                                   false},
        [IKE_REJ_DELETE_PROTOCOL_ID] = {"delete_protocol_id",
                                        "DELETE_PAYLOAD:INVALID_PROTOCOL_ID:%u", N_SYNTAX, false},
        [IKE_REJ_DELETE_IKE_SPI_SIZE] = {"delete_ike_spi_size",
                                         "DELETE_PAYLOAD:FOR IKE SA SPI SIZE IS NONZERO", N_SYNTAX,
                                         false},
        [IKE_REJ_DELETE_SPI_SIZE] = {"delete_spi_size",
                                     "DELETE_PAYLOAD:INVALID_SPI_SIZE:%u for protocol %u", N_SYNTAX,
                                     false},
        [IKE_REJ_TS_INCOMPLETE] = {"ts_incomplete",
                                   "Ikev2TSNtoH:INCOMPLETE_TRAFFIC_SELECTOR received:%u bytes",
                                   N_SYNTAX, false},
        [IKE_REJ_TS_ZERO] = {"ts_zero", "ZERO_TRAFFIC_SELECTORS in TRAFFIC_SELECTOR_PAYLOAD",
                             N_SYNTAX, false},
        [IKE_REJ_TS_TYPE] = {"ts_type", "INVALID_TRAFFIC_SELECTOR_TYPE:%u", N_SYNTAX, false},
        [IKE_REJ_TS_LENGTH] = {"ts_length", "INVALID_TRAFFIC_SELECTOR_LENGTH:%u", N_SYNTAX, false},
        [IKE_REJ_TS_PORT] = {"ts_port", "INVALID_TRAFFIC_SELECTOR_PORT_RANGE:%u-%u", N_SYNTAX,
                             false},
        [IKE_REJ_TS_TOO_MANY] = {"ts_too_many", "TOO_MANY_TRAFFIC_SELECTORS:%u, maximum %u",
                                 N_SYNTAX, false},
        [IKE_REJ_CP_INCOMPLETE] = {"cp_incomplete", "CP_PAYLOAD:Incomplete data received:%u bytes",
                                   N_SYNTAX, false},
        [IKE_REJ_CP_ATTR_TYPE] = {"cp_attr_type", "INVALID_CP_ATTRIB_TYPE:%u", N_SYNTAX, false},
        [IKE_REJ_EAP_INCOMPLETE] = {"eap_incomplete",
                                    "EAP PAYLOAD:Incomplete data received:%u bytes", N_SYNTAX,
                                    false},
        [IKE_REJ_EAP_LENGTH] = {"eap_length",
                                "EAP_PAYLOAD_LENGTH_ERROR:Invalid payload length:%u bytes",
                                N_SYNTAX, false},
        [IKE_REJ_VENDOR_INCOMPLETE] = {"vendor_incomplete",
                                       "VENDOR ID PAYLOAD:Incomplete data received:%u bytes",
                                       N_SYNTAX, false},
        [IKE_REJ_VENDOR_LENGTH] = {"vendor_length", "VENDOR_ID_PAYLOAD_LENGTH_ERROR:%u bytes",
                                   N_SYNTAX, false},
        [IKE_REJ_DEFAULT_INCOMPLETE] = {"default_incomplete",
                                        "DEFAULT_PAYLOAD:Incomplete data received:%u bytes",
                                        N_SYNTAX, false},
        [IKE_REJ_DEFAULT_LENGTH] = {"default_length",
                                    "DEFAULT_PAYLOAD:Invalid Length received:%u bytes", N_SYNTAX,
                                    false},
        [IKE_REJ_SK_INCOMPLETE] = {"sk_incomplete",
                                   "ENCRYPTED PAYLOAD:Incomplete data received:%u bytes", N_SYNTAX,
                                   false},
        [IKE_REJ_DUPLICATE_PAYLOAD] = {"duplicate_payload",
                                       "DUPLICATE_PAYLOAD:payload type %u received more than once",
                                       N_SYNTAX, false},
        [IKE_REJ_MISSING_PAYLOAD] = {"missing_payload",
                                     "MISSING_PAYLOAD:payload type %u required in this exchange",
                                     N_SYNTAX, false},
        [IKE_REJ_UNEXPECTED_PAYLOAD] = {"unexpected_payload",
                                        "UNEXPECTED_PAYLOAD:payload type %u not allowed in this "
                                        "exchange",
                                        N_SYNTAX, false},
        /* §2.21.2: a message that does not verify is dropped without a word. */
        [IKE_REJ_SK_DECRYPT] = {"sk_decrypt", "Authentication failure. Possibly mis-matching keys.",
                                N_NONE, false},
        /* §2.21.4: INVALID_IKE_SPI, unprotected and rate-limited, is allowed but not required. */
        [IKE_REJ_UNKNOWN_SPI] = {"unknown_spi",
                                 "IKEV2 HEADER:No IKE SA found for the SPIs received",
                                 IKE_N_INVALID_IKE_SPI, false},
        /* §2.3: a retransmitted request gets the cached response, an older one nothing. */
        [IKE_REJ_MSGID_OLD] = {"msgid_old", "IKEV2 HEADER:Old Message ID %u, expected %u", N_NONE,
                               true},
        [IKE_REJ_MSGID_FUTURE] = {"msgid_future",
                                  "IKEV2 HEADER:Message ID %u outside the window, expected %u",
                                  N_NONE, false},
        [IKE_REJ_UNSOLICITED_RESPONSE] = {"unsolicited_response",
                                          "IKEV2 HEADER:Unsolicited response, Message ID %u",
                                          N_NONE, true},
        [IKE_REJ_NO_PROPOSAL_CHOSEN] = {"no_proposal_chosen",
                                        "NO_PROPOSAL_CHOSEN: no proposal received matches the "
                                        "configured ones",
                                        IKE_N_NO_PROPOSAL_CHOSEN, false},
        /* §1.2: INVALID_KE_PAYLOAD names the group the responder wants (a = received, b = it). */
        [IKE_REJ_INVALID_KE] = {"invalid_ke", "MISMATCHED_KE_GROUP RECEIVED:%u configured:%u",
                                IKE_N_INVALID_KE_PAYLOAD, false},
        [IKE_REJ_AUTH_FAILED] = {"auth_failed",
                                 "AUTH_PAYLOAD:Authentication failed. Possibly mis-matching "
                                 "pre-shared keys",
                                 IKE_N_AUTHENTICATION_FAILED, false},
        /* §2.21.2: an unacceptable identity is answered with AUTHENTICATION_FAILED. */
        [IKE_REJ_ID_MISMATCH] = {"id_mismatch",
                                 "Mismatching ID type (%u) and ID with the configured IKE policy",
                                 IKE_N_AUTHENTICATION_FAILED, false},
        [IKE_REJ_TS_UNACCEPTABLE] = {"ts_unacceptable",
                                     "No matching SPD policy for the selectors received",
                                     IKE_N_TS_UNACCEPTABLE, false},
        [IKE_REJ_NO_TUNNEL] = {"no_tunnel", "No tunnel configured for this peer",
                               IKE_N_NO_PROPOSAL_CHOSEN, false},
        /* §2.6: the responder answers with a COOKIE and keeps no state. */
        [IKE_REJ_COOKIE_REQUIRED] =
                {"cookie_required",
                 "IKE_SA_INIT without COOKIE: %u half-open IKE SAs, threshold %u", IKE_N_COOKIE,
                 true},
        [IKE_REJ_COOKIE_INVALID] = {"cookie_invalid", "IKE_SA_INIT with an invalid COOKIE",
                                    IKE_N_COOKIE, false},
        [IKE_REJ_HALF_OPEN_LIMIT] = {"half_open_limit",
                                     "IKE_SA_INIT dropped: %u half-open IKE SAs, limit %u", N_NONE,
                                     false},
        [IKE_REJ_INVALID_SPI_CHILD] = {"invalid_spi_child", "No Inbound SA Found. SPI 0x%x",
                                       IKE_N_INVALID_SPI, false},
};

static const struct ike_note_info note_table[IKE_NOTE_COUNT] = {
        [IKE_NOTE_CRITICAL_KNOWN] = {"noted_critical_known",
                                     "CRITICAL_BIT on payload type %u, which is understood: "
                                     "ignored (RFC 7296 2.5)"},
        [IKE_NOTE_XFORM_ATTR_TLV] = {"noted_xform_attr_tlv",
                                     "XFORM_ATTRIB type %u in TLV form in PROPOSAL_%u: that "
                                     "transform is not usable"},
        [IKE_NOTE_XFORM_ATTR_UNKNOWN] = {"noted_xform_attr_unknown",
                                         "UNKNOWN_XFORM_ATTRIB_TYPE:%u in PROPOSAL_%u: that "
                                         "transform is not usable"},
};

static const struct ike_note_info note_unknown = {"noted_unknown", "unknown note"};

const struct ike_note_info *
ike_note_info(enum ike_note n)
{
	if ((unsigned)n >= IKE_NOTE_COUNT)
		return &note_unknown;
	return &note_table[n];
}

static const struct ike_reject_info reject_unknown = {"unknown", "unknown rejection reason", N_NONE,
                                                      false};

const struct ike_reject_info *
ike_reject_info(enum ike_reject r)
{
	if ((unsigned)r >= IKE_REJ_COUNT || !reject_table[r].counter)
		return &reject_unknown;
	return &reject_table[r];
}

/*
 * Formats one conversion of the table's formats: %u, %x, %X with an optional zero flag and
 * width (%02u). The table is the only source of formats, so nothing else is accepted; an
 * unknown conversion is copied as it is.
 */
static size_t
fmt_conv(const char *f, uint32_t v, char *tmp, size_t cap, size_t *used)
{
	size_t i = 1, width = 0;
	bool zero = false;

	if (f[i] == '0') {
		zero = true;
		i++;
	}
	while (f[i] >= '0' && f[i] <= '9' && width < 20)
		width = width * 10 + (size_t)(f[i++] - '0');
	*used = i + 1;
	switch (f[i]) {
	case 'u':
		return (size_t)snprintf(tmp, cap, zero ? "%0*u" : "%*u", (int)width, v);
	case 'x':
		return (size_t)snprintf(tmp, cap, zero ? "%0*x" : "%*x", (int)width, v);
	case 'X':
		return (size_t)snprintf(tmp, cap, zero ? "%0*X" : "%*X", (int)width, v);
	default:
		*used = 1;
		tmp[0] = '%';
		tmp[1] = '\0';
		return 1;
	}
}

static void
fmt_table(const char *f, uint32_t a, uint32_t b, char *out, size_t cap)
{
	uint32_t args[2] = {a, b};
	size_t n = 0, nargs = 0, used, len;
	char tmp[32];

	if (cap == 0)
		return;
	while (*f && n + 1 < cap) {
		if (f[0] == '%' && f[1] == '%') {
			out[n++] = '%';
			f += 2;
			continue;
		}
		if (f[0] != '%') {
			out[n++] = *f++;
			continue;
		}
		len = fmt_conv(f, nargs < 2 ? args[nargs] : 0, tmp, sizeof(tmp), &used);
		nargs += used > 1;
		f += used;
		for (size_t i = 0; i < len && tmp[i] && n + 1 < cap; i++)
			out[n++] = tmp[i];
	}
	out[n] = '\0';
}

void
ike_perr_format(const struct ike_perr *e, char *out, size_t cap)
{
	fmt_table(ike_reject_info(e->reason)->fmt, e->a, e->b, out, cap);
}

void
ike_note_format(enum ike_note n, uint32_t a, uint32_t b, char *out, size_t cap)
{
	fmt_table(ike_note_info(n)->fmt, a, b, out, cap);
}
