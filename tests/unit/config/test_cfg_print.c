/* SPDX-License-Identifier: MIT */
/*
 * The canonical form and the digest (docs/configuration.md, "Canonical form and digest"):
 * every configuration prints (verbose) and parses back to the same text and digest; the
 * CHANGED form means the same; order, aliases and comments do not change the digest, a key
 * does; keys are never printed in clear, and without a master key print as <hidden>.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg_test_util.h"
#include "node/config/cfg.h"

static struct cfg *
parse_text(const char *what, const char *text)
{
	struct cfg_diags d;
	struct cfg *c = NULL;

	cfg_diags_init(&d);
	if (cfgt_parse(text, &c, &d) != 0)
		fail_msg("%s does not parse back:\n%s\n---\n%s", what, cfgt_diags_text(&d), text);
	cfg_diags_fini(&d);
	return c;
}

static struct cfg *
load(const char *rel)
{
	struct cfg_diags d;
	struct cfg *c = NULL;

	cfg_diags_init(&d);
	if (cfgt_load(rel, &c, &d) != 0)
		fail_msg("%s: %s", rel, cfgt_diags_text(&d));
	cfg_diags_fini(&d);
	return c;
}

static void
digest(const struct cfg *c, uint8_t out[32])
{
	assert_int_equal(cfg_digest(c, cfgt_mk(), out), 0);
}

/* print(VERBOSE) -> parse -> print(VERBOSE) is byte-identical; CHANGED means the same. */
static void
test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < cfgt_nconfigs; i++) {
		struct cfg *c = load(cfgt_configs[i]), *c2, *c3;
		char *v1 = cfgt_print(c, cfgt_mk(), CFG_PRINT_VERBOSE), *v2, *v3, *ch;
		uint8_t d1[32], d2[32], d3[32];

		c2 = parse_text(cfgt_configs[i], v1);
		v2 = cfgt_print(c2, cfgt_mk(), CFG_PRINT_VERBOSE);
		assert_string_equal(v1, v2);
		digest(c, d1);
		digest(c2, d2);
		assert_memory_equal(d1, d2, 32);
		ch = cfgt_print(c, cfgt_mk(), CFG_PRINT_CHANGED);
		assert_true(strlen(ch) <= strlen(v1));
		c3 = parse_text(cfgt_configs[i], ch);
		v3 = cfgt_print(c3, cfgt_mk(), CFG_PRINT_VERBOSE);
		assert_string_equal(v1, v3);
		digest(c3, d3);
		assert_memory_equal(d1, d3, 32);
		free(v1);
		free(v2);
		free(v3);
		free(ch);
		cfg_free(c);
		cfg_free(c2);
		cfg_free(c3);
	}
}

/* The verbose form of minimal.conf, kept as a golden text: the format is an interface. */
static void
test_canonical_text(void **state)
{
	struct cfg *c = load("tests/configs/minimal.conf");
	char *v = cfgt_print(c, cfgt_mk(), CFG_PRINT_VERBOSE);
	char *want = cfgt_read("tests/configs/minimal.verbose", NULL);

	(void)state;
	assert_string_equal(v, want);
	free(v);
	free(want);
	cfg_free(c);
}

static const char ordered[] = "asp pool p service security\n asp 1/1\n"
                              "asp group g\n pool p\n"
                              "ike2 proposal a\n encryption algorithm aes-128-gcm\n dh-group 19\n"
                              "ike2 proposal b\n dh-group 14\n"
                              "ipsec proposal e\n"
                              "ipsec policy ip\n seq 1 proposal e\n"
                              "context z\n interface lo loopback\n  ip address 192.0.2.1/32\n"
                              " interface t1\n interface t2\n"
                              " ip route 10.0.0.0/8 t1 cost 5\n ip route 10.0.0.0/8 t2 cost 10\n"
                              " ike2 policy k\n  pre-shared-key KEY-ONE\n  seq 2 proposal b\n"
                              "  seq 1 proposal a\n"
                              "context a\n asp-group g service security\n"
                              "tunnel ipsec t1\n peer-end-point local 192.0.2.1 remote 192.0.2.9 "
                              "context z\n bind interface t1\n remote-id 192.0.2.9\n"
                              " ike-policy k\n seq 1 ipsec-policy ip\n"
                              "cluster c\n node b id 2 priority 1 address 10.9.0.2\n"
                              " node a id 1 priority 2 address 10.9.0.1\n"
                              " virtual-address 192.0.2.1/24 interface eth0\n";

/* The same meaning, written in another order, with comments and other spellings. */
static const char shuffled[] =
        "! a comment\n"
        "cluster c\n"
        "    node a address 10.9.0.1 priority 2 id 1\n"
        "  virtual-address 192.0.2.1/24 interface eth0\n"
        "  node b id 2 priority 1 address 10.9.0.2\n"
        "tunnel ipsec t1\n seq 1 ipsec-policy ip\n ike policy k\n"
        " remote-id 192.0.2.9\n bind interface t1 z\n"
        " peer-end-point local 192.0.2.1 remote 192.0.2.9 context z\n"
        "context a\n asp-group g service security\n"
        "\n   ! indented comment\n"
        "context z\n ike2 policy k\n  seq 1 proposal a\n  seq 2 proposal b\n"
        "  preshared-key \"KEY-ONE\"\n"
        " ip route 10.0.0.0/8 t2 cost 10\n ip route 10.0.0.0/8 t1 cost 5\n"
        " interface t2\n interface t1\n interface lo loopback\n"
        "  ip address 192.0.2.1/32\n"
        "ipsec policy ip\n seq 1 proposal e\n"
        "ipsec proposal e\n esp encryption aes-128-cbc\n"
        "ike2 proposal b\n dh-group 14\n"
        "ike2 proposal a\n dh-group 19\n encryption algorithm aes-128-gcm-16\n"
        "asp group g\n pool p\n asp-count 1\n"
        "asp pool p service security\n asp 1/1\n";

static void
test_digest_invariance(void **state)
{
	struct cfg *a = parse_text("ordered", ordered), *b = parse_text("shuffled", shuffled), *c;
	uint8_t da[32], db[32], dc[32];
	char *text, *pos;

	(void)state;
	digest(a, da);
	digest(b, db);
	assert_memory_equal(da, db, 32);
	/* another key, another digest */
	text = strdup(ordered);
	pos = strstr(text, "KEY-ONE");
	memcpy(pos, "KEY-TWO", 7);
	c = parse_text("other key", text);
	digest(c, dc);
	assert_memory_not_equal(da, dc, 32);
	cfg_free(c);
	/* another route cost, another digest */
	memcpy(pos, "KEY-ONE", 7);
	pos = strstr(text, "cost 5");
	memcpy(pos, "cost 6", 6);
	c = parse_text("other cost", text);
	digest(c, dc);
	assert_memory_not_equal(da, dc, 32);
	cfg_free(c);
	free(text);
	cfg_free(a);
	cfg_free(b);
}

/*
 * A statement with a non-default value: CHANGED writes `changed` (and nothing when the value
 * is the default), VERBOSE writes `verbose`; both forms parse back to the same digest, which
 * differs from the base text's unless the statement writes the default.
 */
struct setting {
	const char *text;    /* appended to setting_base */
	const char *changed; /* a line CHANGED must hold, or NULL */
	const char *verbose; /* a line VERBOSE must hold */
	bool same_as_base;   /* the statement writes the default: same digest as the base */
};

static const char setting_base[] = "ipsec proposal e\n esp encryption aes-128-gcm\n";

static void
check_setting(const struct setting *s)
{
	char text[512];
	struct cfg *c, *b = parse_text("base", setting_base), *c2;
	uint8_t dc[32], db[32], d2[32];
	char *ch, *v;

	snprintf(text, sizeof(text), "%s%s", setting_base, s->text);
	c = parse_text(s->text, text);
	ch = cfgt_print(c, cfgt_mk(), CFG_PRINT_CHANGED);
	v = cfgt_print(c, cfgt_mk(), CFG_PRINT_VERBOSE);
	if (s->changed && !strstr(ch, s->changed))
		fail_msg("'%s': CHANGED lacks '%s':\n%s", s->text, s->changed, ch);
	if (!strstr(v, s->verbose))
		fail_msg("'%s': VERBOSE lacks '%s':\n%s", s->text, s->verbose, v);
	digest(c, dc);
	digest(b, db);
	if (s->same_as_base)
		assert_memory_equal(dc, db, 32);
	else
		assert_memory_not_equal(dc, db, 32);
	c2 = parse_text("CHANGED form", ch);
	digest(c2, d2);
	assert_memory_equal(dc, d2, 32);
	cfg_free(c2);
	c2 = parse_text("VERBOSE form", v);
	digest(c2, d2);
	assert_memory_equal(dc, d2, 32);
	cfg_free(c2);
	free(ch);
	free(v);
	cfg_free(c);
	cfg_free(b);
}

/* The tandem extensions print in both modes and change the digest when their value does. */
static void
test_extension_statements(void **state)
{
	static const struct setting settings[] = {
	        {"ike cookie-threshold 31\n", "ike cookie-threshold 31\n",
	         "ike cookie-threshold 31\n", false},
	        {"ike cookie-threshold 30\n", NULL, "ike cookie-threshold 30\n", true},
	        {"ike retransmit tries 4\n", "ike retransmit tries 4\n",
	         "ike retransmit base 1000 tries 4\n", false},
	        {"ike retransmit base 500\n", "ike retransmit base 500\n",
	         "ike retransmit base 500 tries 6\n", false},
	        {"ike retransmit tries 2 base 200\n", "ike retransmit base 200 tries 2\n",
	         "ike retransmit base 200 tries 2\n", false},
	        {"ike retransmit base 1000 tries 6\n", NULL, "ike retransmit base 1000 tries 6\n",
	         true},
	        {"metrics listen 127.0.0.1:9531\n", "metrics listen 127.0.0.1:9531\n",
	         "metrics listen 127.0.0.1:9531\n", false},
	        {"metrics listen [::1]:80\n", "metrics listen [::1]:80\n",
	         "metrics listen [::1]:80\n", false},
	        {" esn\n", "  esn\n", "  esn\n", false},
	        {" no esn\n", NULL, "  no esn\n", true},
	};
	struct cfg *c = parse_text("base", setting_base);
	char *ch = cfgt_print(c, cfgt_mk(), CFG_PRINT_CHANGED);

	(void)state;
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		check_setting(&settings[i]);
	/* CHANGED leaves the defaults out altogether */
	assert_null(strstr(ch, "ike cookie-threshold"));
	assert_null(strstr(ch, "ike retransmit"));
	assert_null(strstr(ch, "esn"));
	assert_null(strstr(ch, "metrics")); /* off unless configured, in both forms */
	free(ch);
	ch = cfgt_print(c, cfgt_mk(), CFG_PRINT_VERBOSE);
	assert_null(strstr(ch, "metrics"));
	free(ch);
	cfg_free(c);
}

/* The plain keys of the test configurations, as bytes that must never be printed. */
static const char *const plain_keys[] = {
        "123456789123456",
        "1234567890123456",
        "TEST_SHARED_KEY",
        "a secret with spaces",
        "swordfish-of-the-deep",
        "twenty bytes of key!",
        "MyHexPa55w0rd",
        "4d794865785061353577307264",
        "000102030405060708090a0b0c0d0e0f",
        "00112233445566778899aabbccddeeff00112233",
        "0123456789abcdef0123456789abcdef01234567",
        "00112233445566778899aabbccddeeff",
};

static void
assert_no_plain_key(const char *what, const char *text)
{
	for (size_t k = 0; k < sizeof(plain_keys) / sizeof(plain_keys[0]); k++) {
		if (strstr(text, plain_keys[k]))
			fail_msg("%s prints key %zu in clear", what, k);
	}
}

static void
test_no_key_in_output(void **state)
{
	(void)state;
	for (size_t i = 0; i < cfgt_nconfigs; i++) {
		struct cfg_diags d;
		struct cfg *c = NULL;
		char *s;

		cfg_diags_init(&d);
		assert_int_equal(cfgt_load(cfgt_configs[i], &c, &d), 0);
		s = cfgt_diags_text(&d);
		assert_no_plain_key(cfgt_configs[i], s);
		free(s);
		for (int m = 0; m < 2; m++) {
			s = cfgt_print(c, cfgt_mk(), (enum cfg_print_mode)m);
			assert_no_plain_key(cfgt_configs[i], s);
			free(s);
			s = cfgt_print(c, NULL, (enum cfg_print_mode)m);
			assert_no_plain_key(cfgt_configs[i], s);
			free(s);
		}
		cfg_free(c);
		cfg_diags_fini(&d);
	}
}

/* Without a master key every key prints as <hidden>, which does not load. */
static void
test_hidden(void **state)
{
	struct cfg *c = load("tests/configs/full.conf");
	char *s = cfgt_print(c, NULL, CFG_PRINT_VERBOSE);
	struct cfg_diags d;
	struct cfg *c2 = NULL;
	uint8_t d1[32], d2[32];

	(void)state;
	assert_null(strstr(s, "masked-key"));
	assert_non_null(strstr(s, "  pre-shared-key <hidden>\n"));
	assert_non_null(strstr(s, " key <hidden>\n"));
	assert_non_null(strstr(s, "  pre-shared-key use-aaa\n"));
	cfg_diags_init(&d);
	assert_int_equal(cfgt_parse(s, &c2, &d), -EINVAL);
	assert_true(cfgt_count(&d, CFG_DIAG_ERROR, "stands for a key in a printout") >= 4);
	cfg_diags_fini(&d);
	assert_int_equal(cfg_digest(c, NULL, d1), 0);
	assert_int_equal(cfg_digest(c, cfgt_mk(), d2), 0);
	assert_memory_not_equal(d1, d2, 32);
	free(s);
	cfg_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_canonical_text),
	        cmocka_unit_test(test_digest_invariance),
	        cmocka_unit_test(test_extension_statements),
	        cmocka_unit_test(test_no_key_in_output),
	        cmocka_unit_test(test_hidden),
	};

	return cmocka_run_group_tests_name("cfg_print", tests, NULL, NULL);
}
