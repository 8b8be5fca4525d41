/* SPDX-License-Identifier: MIT */
/*
 * Masked keys (docs/configuration.md, "Secrets"): a known answer computed independently,
 * determinism, round trips, refusal of keys masked under another master key (with its id),
 * of damaged text and of a non-synthetic IV, and the master key file.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "cfg_test_util.h"
#include "node/config/cfg.h"
#include "node/core/buf.h"

static char *
mask_str(const struct cfg_mask_key *mk, const void *p, size_t len)
{
	struct buf b;
	size_t n;
	char *s;

	buf_init(&b, false);
	assert_int_equal(cfg_mask(mk, p, len, &b), 0);
	buf_put_u8(&b, '\0');
	s = (char *)buf_steal(&b, &n);
	assert_non_null(s);
	return s;
}

/*
 * Master key 32 x 0x42, key "swordfish". Expected value computed with Python's cryptography
 * package (HKDF, HMAC, AESGCM), not with this code: salt "tandem configuration mask", infos
 * "tandem mask v1 encryption key" / "iv key" / "key id".
 */
static void
test_known_answer(void **state)
{
	static const uint8_t id[4] = {0x47, 0x0c, 0x5d, 0x8d};
	char *s = mask_str(cfgt_mk(), "swordfish", 9);

	(void)state;
	assert_memory_equal(cfgt_mk()->id, id, 4);
	assert_string_equal(s, "AUcMXY2Pli6naMWRfohTTixXVTmei3g5AQYG579J25BV5St+WKReSu4z");
	free(s);
}

static void
test_round_trip(void **state)
{
	static const size_t lens[] = {1, 15, 16, 17, 64, 100, 1024};
	uint8_t key[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct secret out = {0};
		uint8_t other[4];
		char *a = mask_str(cfgt_mk(), key, lens[i]), *b = mask_str(cfgt_mk(), key, lens[i]);

		assert_string_equal(a, b); /* deterministic: one key, one masked form */
		assert_int_equal(cfg_unmask(cfgt_mk(), a, &out, other), 0);
		assert_int_equal(out.s_len, lens[i]);
		assert_memory_equal(out.s_data, key, lens[i]);
		secret_clear(&out);
		free(a);
		free(b);
	}
}

static void
test_other_key(void **state)
{
	char *s = mask_str(cfgt_mk_other(), "k", 1);
	struct secret out = {0};
	uint8_t other[4] = {0};

	(void)state;
	assert_int_equal(cfg_unmask(cfgt_mk(), s, &out, other), -EKEYREJECTED);
	assert_memory_equal(other, cfgt_mk_other()->id, 4);
	assert_memory_not_equal(cfgt_mk()->id, cfgt_mk_other()->id, 4);
	assert_null(out.s_data);
	free(s);
}

static void
test_damaged(void **state)
{
	static const char *const bad[] = {
	        "",      "A",        "AAA",
	        "AAA=A", "A===",     "@@@@",
	        "AAAA",  "AA==AA==", "AUcMXY2Pli6naMWRfohTTixXVTmei3g5AQYG579J25BV5St+WKReSu4"};
	char *s = mask_str(cfgt_mk(), "swordfish", 9);
	struct secret out = {0};
	uint8_t other[4];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cfg_unmask(cfgt_mk(), bad[i], &out, other), -EBADMSG);
	/* every single-character change is refused */
	for (size_t i = 0; s[i]; i++) {
		char orig = s[i];
		int rc;

		s[i] = orig == 'A' ? 'B' : 'A';
		rc = cfg_unmask(cfgt_mk(), s, &out, other);
		assert_true(rc == -EBADMSG || rc == -EKEYREJECTED);
		s[i] = orig;
	}
	assert_null(out.s_data);
	free(s);
}

/* A valid AES-GCM blob whose IV is not the synthetic one is refused. */
static void
test_not_synthetic_iv(void **state)
{
	const struct cfg_mask_key *mk = cfgt_mk();
	uint8_t blob[1 + 4 + 12 + 3 + 16], text[64];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	struct secret out = {0};
	uint8_t other[4];
	int n;

	(void)state;
	blob[0] = 1;
	memcpy(blob + 1, mk->id, 4);
	memset(blob + 5, 0x5a, 12);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, mk->k_enc, blob + 5), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &n, blob, 5), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, blob + 17, &n, (const uint8_t *)"abc", 3), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, blob + 20, &n), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, blob + 20), 1);
	EVP_CIPHER_CTX_free(ctx);
	EVP_EncodeBlock(text, blob, sizeof(blob));
	assert_int_equal(cfg_unmask(mk, (const char *)text, &out, other), -EBADMSG);
}

static void
test_derive(void **state)
{
	uint8_t master[16];
	struct cfg_mask_key a, b;
	static const struct cfg_mask_key zero;

	(void)state;
	memset(master, 9, sizeof(master));
	assert_int_equal(cfg_mask_key_derive(&a, master, 15), -EINVAL);
	assert_int_equal(cfg_mask_key_derive(&a, master, 16), 0);
	assert_int_equal(cfg_mask_key_derive(&b, master, 16), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_not_equal(a.k_enc, a.k_iv, sizeof(a.k_enc));
	cfg_mask_key_wipe(&a);
	assert_memory_equal(&a, &zero, sizeof(a));
	cfg_mask_key_wipe(&b);
}

static void
write_file(const char *path, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (size_t i = 0; i < len; i++)
		fputc((int)(i & 0xff), f);
	fclose(f);
}

static void
test_key_file(void **state)
{
	char dir[] = "/tmp/tandem-cfg-test-XXXXXX", path[128], small[128], big[128];
	struct cfg_mask_key a, b;
	uint8_t raw[64];
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/master.key", dir);
	assert_int_equal(cfg_mask_key_load(path, &a), -ENOENT);
	assert_int_equal(cfg_mask_key_create(path), 0);
	assert_int_equal(cfg_mask_key_create(path), -EEXIST);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(raw, 1, sizeof(raw), f), 32);
	fclose(f);
	assert_int_equal(cfg_mask_key_load(path, &a), 0);
	assert_int_equal(cfg_mask_key_derive(&b, raw, 32), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	snprintf(small, sizeof(small), "%s/small.key", dir);
	write_file(small, 8);
	assert_int_equal(cfg_mask_key_load(small, &a), -EINVAL);
	snprintf(big, sizeof(big), "%s/big.key", dir);
	write_file(big, 2000);
	assert_int_equal(cfg_mask_key_load(big, &a), -EINVAL);
	unlink(path);
	unlink(small);
	unlink(big);
	rmdir(dir);
	cfg_mask_key_wipe(&a);
	cfg_mask_key_wipe(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_known_answer),     cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_other_key),        cmocka_unit_test(test_damaged),
	        cmocka_unit_test(test_not_synthetic_iv), cmocka_unit_test(test_derive),
	        cmocka_unit_test(test_key_file),
	};

	return cmocka_run_group_tests_name("cfg_mask", tests, NULL, NULL);
}
