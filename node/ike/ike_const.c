/* SPDX-License-Identifier: MIT */
/*
 * Names of IKEv2 numbers for logs and displays, as the IANA "IKEv2 Parameters" registry
 * spells them. Tables only; a number without a name gets a fixed "UNKNOWN" string (the
 * caller prints the number next to it), so the functions stay pure and reentrant.
 */
#include "ike_const.h"

#include <stddef.h>

struct ike_name {
	uint16_t num;
	const char *name;
};

#define NAME(prefix, n)       \
	{                     \
		prefix##n, #n \
	}
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
name_find(const struct ike_name *t, size_t n, uint16_t num, const char *unknown)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].num == num)
			return t[i].name;
	return unknown;
}

static const struct ike_name exch_names[] = {
        {IKE_EXCH_SA_INIT, "IKE_SA_INIT"},
        {IKE_EXCH_AUTH, "IKE_AUTH"},
        {IKE_EXCH_CREATE_CHILD_SA, "CREATE_CHILD_SA"},
        {IKE_EXCH_INFORMATIONAL, "INFORMATIONAL"},
        {43, "IKE_INTERMEDIATE"}, /* RFC 9242 */
};

const char *
ike_exch_name(uint8_t exch)
{
	return name_find(exch_names, NELEM(exch_names), exch, "UNKNOWN");
}

/* The short names RFC 7296 §3.2 uses in message diagrams. */
static const struct ike_name pld_names[] = {
        {IKE_PLD_NONE, "NONE"},       {IKE_PLD_SA, "SA"},     {IKE_PLD_KE, "KE"},
        {IKE_PLD_IDI, "IDi"},         {IKE_PLD_IDR, "IDr"},   {IKE_PLD_CERT, "CERT"},
        {IKE_PLD_CERTREQ, "CERTREQ"}, {IKE_PLD_AUTH, "AUTH"}, {IKE_PLD_NONCE, "Nx"},
        {IKE_PLD_NOTIFY, "N"},        {IKE_PLD_DELETE, "D"},  {IKE_PLD_VENDOR, "V"},
        {IKE_PLD_TSI, "TSi"},         {IKE_PLD_TSR, "TSr"},   {IKE_PLD_SK, "SK"},
        {IKE_PLD_CP, "CP"},           {IKE_PLD_EAP, "EAP"},   {IKE_PLD_SKF, "SKF"},
};

const char *
ike_pld_name(uint8_t type)
{
	return name_find(pld_names, NELEM(pld_names), type, "UNKNOWN");
}

static const struct ike_name notify_names[] = {
        NAME(IKE_N_, UNSUPPORTED_CRITICAL_PAYLOAD),
        NAME(IKE_N_, INVALID_IKE_SPI),
        NAME(IKE_N_, INVALID_MAJOR_VERSION),
        NAME(IKE_N_, INVALID_SYNTAX),
        NAME(IKE_N_, INVALID_MESSAGE_ID),
        NAME(IKE_N_, INVALID_SPI),
        NAME(IKE_N_, NO_PROPOSAL_CHOSEN),
        NAME(IKE_N_, INVALID_KE_PAYLOAD),
        NAME(IKE_N_, AUTHENTICATION_FAILED),
        NAME(IKE_N_, SINGLE_PAIR_REQUIRED),
        NAME(IKE_N_, NO_ADDITIONAL_SAS),
        NAME(IKE_N_, INTERNAL_ADDRESS_FAILURE),
        NAME(IKE_N_, FAILED_CP_REQUIRED),
        NAME(IKE_N_, TS_UNACCEPTABLE),
        NAME(IKE_N_, INVALID_SELECTORS),
        {40, "UNACCEPTABLE_ADDRESSES"},  /* RFC 4555 */
        {41, "UNEXPECTED_NAT_DETECTED"}, /* RFC 4555 */
        NAME(IKE_N_, TEMPORARY_FAILURE),
        NAME(IKE_N_, CHILD_SA_NOT_FOUND),
        NAME(IKE_N_, INITIAL_CONTACT),
        NAME(IKE_N_, SET_WINDOW_SIZE),
        NAME(IKE_N_, ADDITIONAL_TS_POSSIBLE),
        NAME(IKE_N_, IPCOMP_SUPPORTED),
        NAME(IKE_N_, NAT_DETECTION_SOURCE_IP),
        NAME(IKE_N_, NAT_DETECTION_DESTINATION_IP),
        NAME(IKE_N_, COOKIE),
        NAME(IKE_N_, USE_TRANSPORT_MODE),
        NAME(IKE_N_, HTTP_CERT_LOOKUP_SUPPORTED),
        NAME(IKE_N_, REKEY_SA),
        NAME(IKE_N_, ESP_TFC_PADDING_NOT_SUPPORTED),
        NAME(IKE_N_, NON_FIRST_FRAGMENTS_ALSO),
        NAME(IKE_N_, MOBIKE_SUPPORTED),
        {16397, "ADDITIONAL_IP4_ADDRESS"},  /* RFC 4555 */
        {16398, "ADDITIONAL_IP6_ADDRESS"},  /* RFC 4555 */
        {16399, "NO_ADDITIONAL_ADDRESSES"}, /* RFC 4555 */
        {16400, "UPDATE_SA_ADDRESSES"},     /* RFC 4555 */
        {16401, "COOKIE2"},                 /* RFC 4555 */
        {16402, "NO_NATS_ALLOWED"},         /* RFC 4555 */
        {16403, "AUTH_LIFETIME"},           /* RFC 4478 */
        NAME(IKE_N_, MULTIPLE_AUTH_SUPPORTED),
        {16405, "ANOTHER_AUTH_FOLLOWS"}, /* RFC 4739 */
        NAME(IKE_N_, REDIRECT_SUPPORTED),
        {16407, "REDIRECT"},                  /* RFC 5685 */
        {16408, "REDIRECTED_FROM"},           /* RFC 5685 */
        {16418, "CHILDLESS_IKEV2_SUPPORTED"}, /* RFC 6023 */
        NAME(IKE_N_, IKEV2_MESSAGE_ID_SYNC_SUPPORTED),
        NAME(IKE_N_, IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED),
        NAME(IKE_N_, IKEV2_MESSAGE_ID_SYNC),
        NAME(IKE_N_, IPSEC_REPLAY_COUNTER_SYNC),
        NAME(IKE_N_, IKEV2_FRAGMENTATION_SUPPORTED),
        NAME(IKE_N_, SIGNATURE_HASH_ALGORITHMS),
};

/* RFC 7296 §3.10.1: errors below 16384 (8192-16383 private use), status from 16384
 * (40960-65535 private use). */
const char *
ike_notify_name(uint16_t type)
{
	const char *unknown;

	if (type < 8192)
		unknown = "UNKNOWN_ERROR";
	else if (type < 16384)
		unknown = "PRIVATE_ERROR";
	else if (type < 40960)
		unknown = "UNKNOWN_STATUS";
	else
		unknown = "PRIVATE_STATUS";
	return name_find(notify_names, NELEM(notify_names), type, unknown);
}

/* "ID_IPV4_ADDR" etc., as RFC 7296 §3.5 names them. */
static const char *const id_type_names[] = {
        [IKE_ID_IPV4_ADDR] = "ID_IPV4_ADDR",     [IKE_ID_FQDN] = "ID_FQDN",
        [IKE_ID_RFC822_ADDR] = "ID_RFC822_ADDR", [IKE_ID_IPV6_ADDR] = "ID_IPV6_ADDR",
        [IKE_ID_DER_ASN1_DN] = "ID_DER_ASN1_DN", [IKE_ID_DER_ASN1_GN] = "ID_DER_ASN1_GN",
        [IKE_ID_KEY_ID] = "ID_KEY_ID",
};

const char *
ike_id_type_name(uint8_t type)
{
	if (type < NELEM(id_type_names) && id_type_names[type])
		return id_type_names[type];
	return "UNKNOWN";
}
