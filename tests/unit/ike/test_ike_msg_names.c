/* SPDX-License-Identifier: MIT */
/*
 * Names of IKEv2 numbers (ike_const.h): exchanges, payloads, notifies, ID types, as logs
 * and `hactl show` print them, and the fallbacks for numbers without a name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node/ike/ike_const.h"

static void
test_exch(void **state)
{
	(void)state;
	assert_string_equal(ike_exch_name(IKE_EXCH_SA_INIT), "IKE_SA_INIT");
	assert_string_equal(ike_exch_name(IKE_EXCH_AUTH), "IKE_AUTH");
	assert_string_equal(ike_exch_name(IKE_EXCH_CREATE_CHILD_SA), "CREATE_CHILD_SA");
	assert_string_equal(ike_exch_name(IKE_EXCH_INFORMATIONAL), "INFORMATIONAL");
	assert_string_equal(ike_exch_name(43), "IKE_INTERMEDIATE");
	assert_string_equal(ike_exch_name(0), "UNKNOWN");
	assert_string_equal(ike_exch_name(255), "UNKNOWN");
}

static void
test_pld(void **state)
{
	static const struct {
		uint8_t t;
		const char *n;
	} want[] = {
	        {IKE_PLD_NONE, "NONE"},       {IKE_PLD_SA, "SA"},     {IKE_PLD_KE, "KE"},
	        {IKE_PLD_IDI, "IDi"},         {IKE_PLD_IDR, "IDr"},   {IKE_PLD_CERT, "CERT"},
	        {IKE_PLD_CERTREQ, "CERTREQ"}, {IKE_PLD_AUTH, "AUTH"}, {IKE_PLD_NONCE, "Nx"},
	        {IKE_PLD_NOTIFY, "N"},        {IKE_PLD_DELETE, "D"},  {IKE_PLD_VENDOR, "V"},
	        {IKE_PLD_TSI, "TSi"},         {IKE_PLD_TSR, "TSr"},   {IKE_PLD_SK, "SK"},
	        {IKE_PLD_CP, "CP"},           {IKE_PLD_EAP, "EAP"},   {IKE_PLD_SKF, "SKF"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(ike_pld_name(want[i].t), want[i].n);
	assert_string_equal(ike_pld_name(1), "UNKNOWN");
	assert_string_equal(ike_pld_name(49), "UNKNOWN");
	assert_string_equal(ike_pld_name(255), "UNKNOWN");
}

static void
test_notify(void **state)
{
	(void)state;
	assert_string_equal(ike_notify_name(IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD),
	                    "UNSUPPORTED_CRITICAL_PAYLOAD");
	assert_string_equal(ike_notify_name(IKE_N_INVALID_SYNTAX), "INVALID_SYNTAX");
	assert_string_equal(ike_notify_name(IKE_N_NO_PROPOSAL_CHOSEN), "NO_PROPOSAL_CHOSEN");
	assert_string_equal(ike_notify_name(IKE_N_INVALID_KE_PAYLOAD), "INVALID_KE_PAYLOAD");
	assert_string_equal(ike_notify_name(IKE_N_AUTHENTICATION_FAILED), "AUTHENTICATION_FAILED");
	assert_string_equal(ike_notify_name(IKE_N_TS_UNACCEPTABLE), "TS_UNACCEPTABLE");
	assert_string_equal(ike_notify_name(IKE_N_CHILD_SA_NOT_FOUND), "CHILD_SA_NOT_FOUND");
	assert_string_equal(ike_notify_name(IKE_N_INITIAL_CONTACT), "INITIAL_CONTACT");
	assert_string_equal(ike_notify_name(IKE_N_NAT_DETECTION_SOURCE_IP),
	                    "NAT_DETECTION_SOURCE_IP");
	assert_string_equal(ike_notify_name(IKE_N_NAT_DETECTION_DESTINATION_IP),
	                    "NAT_DETECTION_DESTINATION_IP");
	assert_string_equal(ike_notify_name(IKE_N_COOKIE), "COOKIE");
	assert_string_equal(ike_notify_name(IKE_N_REKEY_SA), "REKEY_SA");
	assert_string_equal(ike_notify_name(IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED),
	                    "IKEV2_MESSAGE_ID_SYNC_SUPPORTED");
	assert_string_equal(ike_notify_name(IKE_N_IPSEC_REPLAY_COUNTER_SYNC),
	                    "IPSEC_REPLAY_COUNTER_SYNC");
	assert_string_equal(ike_notify_name(IKE_N_IKEV2_FRAGMENTATION_SUPPORTED),
	                    "IKEV2_FRAGMENTATION_SUPPORTED");
	assert_string_equal(ike_notify_name(IKE_N_SIGNATURE_HASH_ALGORITHMS),
	                    "SIGNATURE_HASH_ALGORITHMS");
	/* what strongSwan sent in the golden packets */
	assert_string_equal(ike_notify_name(16418), "CHILDLESS_IKEV2_SUPPORTED");
	assert_string_equal(ike_notify_name(16406), "REDIRECT_SUPPORTED");
	assert_string_equal(ike_notify_name(16404), "MULTIPLE_AUTH_SUPPORTED");
	/* RFC 7296 §3.10.1 ranges for numbers without a name */
	assert_string_equal(ike_notify_name(0), "UNKNOWN_ERROR");
	assert_string_equal(ike_notify_name(8191), "UNKNOWN_ERROR");
	assert_string_equal(ike_notify_name(8192), "PRIVATE_ERROR");
	assert_string_equal(ike_notify_name(16383), "PRIVATE_ERROR");
	assert_string_equal(ike_notify_name(30000), "UNKNOWN_STATUS");
	assert_string_equal(ike_notify_name(40960), "PRIVATE_STATUS");
	assert_string_equal(ike_notify_name(65535), "PRIVATE_STATUS");
}

/* Every enum ike_notify value has its own name (the table follows the header). */
static void
test_notify_enum_named(void **state)
{
	static const uint16_t all[] = {
	        IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
	        IKE_N_INVALID_IKE_SPI,
	        IKE_N_INVALID_MAJOR_VERSION,
	        IKE_N_INVALID_SYNTAX,
	        IKE_N_INVALID_MESSAGE_ID,
	        IKE_N_INVALID_SPI,
	        IKE_N_NO_PROPOSAL_CHOSEN,
	        IKE_N_INVALID_KE_PAYLOAD,
	        IKE_N_AUTHENTICATION_FAILED,
	        IKE_N_SINGLE_PAIR_REQUIRED,
	        IKE_N_NO_ADDITIONAL_SAS,
	        IKE_N_INTERNAL_ADDRESS_FAILURE,
	        IKE_N_FAILED_CP_REQUIRED,
	        IKE_N_TS_UNACCEPTABLE,
	        IKE_N_INVALID_SELECTORS,
	        IKE_N_TEMPORARY_FAILURE,
	        IKE_N_CHILD_SA_NOT_FOUND,
	        IKE_N_INITIAL_CONTACT,
	        IKE_N_SET_WINDOW_SIZE,
	        IKE_N_ADDITIONAL_TS_POSSIBLE,
	        IKE_N_IPCOMP_SUPPORTED,
	        IKE_N_NAT_DETECTION_SOURCE_IP,
	        IKE_N_NAT_DETECTION_DESTINATION_IP,
	        IKE_N_COOKIE,
	        IKE_N_USE_TRANSPORT_MODE,
	        IKE_N_HTTP_CERT_LOOKUP_SUPPORTED,
	        IKE_N_REKEY_SA,
	        IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED,
	        IKE_N_NON_FIRST_FRAGMENTS_ALSO,
	        IKE_N_MOBIKE_SUPPORTED,
	        IKE_N_MULTIPLE_AUTH_SUPPORTED,
	        IKE_N_REDIRECT_SUPPORTED,
	        IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED,
	        IKE_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED,
	        IKE_N_IKEV2_MESSAGE_ID_SYNC,
	        IKE_N_IPSEC_REPLAY_COUNTER_SYNC,
	        IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
	        IKE_N_SIGNATURE_HASH_ALGORITHMS,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *n = ike_notify_name(all[i]);

		assert_true(strncmp(n, "UNKNOWN", 7) != 0 && strncmp(n, "PRIVATE", 7) != 0);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(n, ike_notify_name(all[j]));
	}
}

static void
test_id_type(void **state)
{
	(void)state;
	assert_string_equal(ike_id_type_name(IKE_ID_IPV4_ADDR), "ID_IPV4_ADDR");
	assert_string_equal(ike_id_type_name(IKE_ID_FQDN), "ID_FQDN");
	assert_string_equal(ike_id_type_name(IKE_ID_RFC822_ADDR), "ID_RFC822_ADDR");
	assert_string_equal(ike_id_type_name(IKE_ID_IPV6_ADDR), "ID_IPV6_ADDR");
	assert_string_equal(ike_id_type_name(IKE_ID_DER_ASN1_DN), "ID_DER_ASN1_DN");
	assert_string_equal(ike_id_type_name(IKE_ID_DER_ASN1_GN), "ID_DER_ASN1_GN");
	assert_string_equal(ike_id_type_name(IKE_ID_KEY_ID), "ID_KEY_ID");
	assert_string_equal(ike_id_type_name(0), "UNKNOWN");
	assert_string_equal(ike_id_type_name(4), "UNKNOWN");
	assert_string_equal(ike_id_type_name(12), "UNKNOWN");
	assert_string_equal(ike_id_type_name(255), "UNKNOWN");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exch),    cmocka_unit_test(test_pld),
	        cmocka_unit_test(test_notify),  cmocka_unit_test(test_notify_enum_named),
	        cmocka_unit_test(test_id_type),
	};

	return cmocka_run_group_tests_name("ike_msg_names", tests, NULL, NULL);
}
