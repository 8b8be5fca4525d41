/* SPDX-License-Identifier: MIT */
/*
 * The algorithms tandem configures: their keywords (with the seeds' aliases), key and ICV
 * sizes, where each may be used, and which are weak. Sizes follow RFC 4303/4106/7634 for ESP
 * (GCM and ChaCha20 keys carry a 4-byte salt) and RFC 2404/4868/3566 for integrity; weakness
 * follows RFC 8221 (ESP) and RFC 8247 (IKEv2), DH groups RFC 3526/5903/8031.
 */
#include <stdio.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

#define USE_IKE  (CFG_USE_IKEV1 | CFG_USE_IKEV2)
#define USE_ALL  (USE_IKE | CFG_USE_ESP | CFG_USE_MANUAL)
#define USE_AEAD (CFG_USE_IKEV2 | CFG_USE_ESP | CFG_USE_MANUAL)

static const struct cfg_encr_info encr_tab[CFG_ENCR_COUNT] = {
        [CFG_ENCR_NULL] = {"null", 0, 1, 0, 0, false, false},
        [CFG_ENCR_DES_CBC] = {"des-cbc", 8, 8, 8, 0, false, true},
        [CFG_ENCR_3DES_CBC] = {"3des-cbc", 24, 8, 8, 0, false, true},
        [CFG_ENCR_AES128_CBC] = {"aes-128-cbc", 16, 16, 16, 0, false, false},
        [CFG_ENCR_AES192_CBC] = {"aes-192-cbc", 24, 16, 16, 0, false, false},
        [CFG_ENCR_AES256_CBC] = {"aes-256-cbc", 32, 16, 16, 0, false, false},
        [CFG_ENCR_AES128_GCM16] = {"aes-128-gcm", 20, 1, 8, 16, true, false},
        [CFG_ENCR_AES256_GCM16] = {"aes-256-gcm", 36, 1, 8, 16, true, false},
        [CFG_ENCR_CHACHA20_POLY1305] = {"chacha20-poly1305", 36, 1, 8, 16, true, false},
};

static const unsigned encr_uses[CFG_ENCR_COUNT] = {
        [CFG_ENCR_NULL] = CFG_USE_ESP | CFG_USE_MANUAL,
        [CFG_ENCR_DES_CBC] = USE_ALL,
        [CFG_ENCR_3DES_CBC] = USE_ALL,
        [CFG_ENCR_AES128_CBC] = USE_ALL,
        [CFG_ENCR_AES192_CBC] = USE_ALL,
        [CFG_ENCR_AES256_CBC] = USE_ALL,
        [CFG_ENCR_AES128_GCM16] = USE_AEAD,
        [CFG_ENCR_AES256_GCM16] = USE_AEAD,
        [CFG_ENCR_CHACHA20_POLY1305] = USE_AEAD,
};

static const struct cfg_integ_info integ_tab[CFG_INTEG_COUNT] = {
        [CFG_INTEG_NONE] = {"none", 0, 0, false},
        [CFG_INTEG_HMAC_MD5_96] = {"hmac-md5-96", 16, 12, true},
        [CFG_INTEG_HMAC_SHA1_96] = {"hmac-sha1-96", 20, 12, false},
        [CFG_INTEG_HMAC_SHA2_256_128] = {"hmac-sha2-256-128", 32, 16, false},
        [CFG_INTEG_HMAC_SHA2_384_192] = {"hmac-sha2-384-192", 48, 24, false},
        [CFG_INTEG_HMAC_SHA2_512_256] = {"hmac-sha2-512-256", 64, 32, false},
        [CFG_INTEG_AES_XCBC_96] = {"aes-xcbc-96", 16, 12, false},
};

static const struct cfg_prf_info prf_tab[CFG_PRF_COUNT] = {
        [CFG_PRF_HMAC_MD5] = {"hmac-md5", 16, 16, true},
        [CFG_PRF_HMAC_SHA1] = {"hmac-sha1", 20, 20, false},
        [CFG_PRF_AES128_XCBC] = {"aes-128-xcbc", 16, 16, false},
        [CFG_PRF_HMAC_SHA2_256] = {"hmac-sha2-256", 32, 32, false},
        [CFG_PRF_HMAC_SHA2_384] = {"hmac-sha2-384", 48, 48, false},
        [CFG_PRF_HMAC_SHA2_512] = {"hmac-sha2-512", 64, 64, false},
};

struct alias {
	const char *name;
	int value;
};

static const struct alias encr_aliases[] = {
        {"aes-128-gcm-16", CFG_ENCR_AES128_GCM16},
        {"aes-256-gcm-16", CFG_ENCR_AES256_GCM16},
};

static const struct alias integ_aliases[] = {
        {"hmac-aes-xcbc", CFG_INTEG_AES_XCBC_96}, /* seed 004 Example 5 */
};

static const struct {
	const char *desc;
	uint16_t group;
	bool weak;
} dh_tab[] = {
        {"768-bit MODP", 1, true},         {"1024-bit MODP", 2, true},
        {"1536-bit MODP", 5, true},        {"2048-bit MODP", 14, false},
        {"3072-bit MODP", 15, false},      {"4096-bit MODP", 16, false},
        {"256-bit random ECP", 19, false}, {"384-bit random ECP", 20, false},
        {"521-bit random ECP", 21, false}, {"Curve25519", 31, false},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct cfg_encr_info *
cfg_encr_info(enum cfg_encr e)
{
	return (unsigned)e < CFG_ENCR_COUNT ? &encr_tab[e] : NULL;
}

const struct cfg_integ_info *
cfg_integ_info(enum cfg_integ i)
{
	return (unsigned)i < CFG_INTEG_COUNT ? &integ_tab[i] : NULL;
}

const struct cfg_prf_info *
cfg_prf_info(enum cfg_prf p)
{
	return (unsigned)p < CFG_PRF_COUNT ? &prf_tab[p] : NULL;
}

unsigned
cfg_encr_uses(enum cfg_encr e)
{
	return (unsigned)e < CFG_ENCR_COUNT ? encr_uses[e] : 0;
}

static bool
alias_lookup(const struct alias *a, size_t n, const char *s, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(a[i].name, s) == 0) {
			*out = a[i].value;
			return true;
		}
	}
	return false;
}

bool
cfg_encr_lookup(const char *s, enum cfg_encr *out)
{
	int v;

	for (unsigned i = 0; i < CFG_ENCR_COUNT; i++) {
		if (strcmp(encr_tab[i].name, s) == 0) {
			*out = (enum cfg_encr)i;
			return true;
		}
	}
	if (!alias_lookup(encr_aliases, NELEM(encr_aliases), s, &v))
		return false;
	*out = (enum cfg_encr)v;
	return true;
}

bool
cfg_integ_lookup(const char *s, enum cfg_integ *out)
{
	int v;

	/* "none" is not an algorithm keyword here; the statements that allow it check it. */
	for (unsigned i = 1; i < CFG_INTEG_COUNT; i++) {
		if (strcmp(integ_tab[i].name, s) == 0) {
			*out = (enum cfg_integ)i;
			return true;
		}
	}
	if (!alias_lookup(integ_aliases, NELEM(integ_aliases), s, &v))
		return false;
	*out = (enum cfg_integ)v;
	return true;
}

bool
cfg_prf_lookup(const char *s, enum cfg_prf *out)
{
	for (unsigned i = 0; i < CFG_PRF_COUNT; i++) {
		if (strcmp(prf_tab[i].name, s) == 0) {
			*out = (enum cfg_prf)i;
			return true;
		}
	}
	return false;
}

bool
cfg_dh_group_supported(uint16_t group)
{
	return cfg_dh_group_desc(group) != NULL;
}

const char *
cfg_dh_group_desc(uint16_t group)
{
	for (size_t i = 0; i < NELEM(dh_tab); i++) {
		if (dh_tab[i].group == group)
			return dh_tab[i].desc;
	}
	return NULL;
}

bool
cfg_dh_group_weak(uint16_t group)
{
	for (size_t i = 0; i < NELEM(dh_tab); i++) {
		if (dh_tab[i].group == group)
			return dh_tab[i].weak;
	}
	return false;
}

/* Appends item i of n to a "a, b or c" list. */
static void
list_add(char *out, size_t cap, size_t i, size_t n, const char *item)
{
	size_t len = strlen(out);

	if (len >= cap)
		return;
	snprintf(out + len, cap - len, "%s%s", i == 0 ? "" : (i + 1 == n ? " or " : ", "), item);
}

void
cfg_encr_list(unsigned use, char *out, size_t cap)
{
	size_t n = 0, k = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < CFG_ENCR_COUNT; i++)
		n += (encr_uses[i] & use) != 0;
	for (unsigned i = 0; i < CFG_ENCR_COUNT; i++) {
		if (encr_uses[i] & use)
			list_add(out, cap, k++, n, encr_tab[i].name);
	}
}

void
cfg_integ_list(char *out, size_t cap)
{
	out[0] = '\0';
	for (unsigned i = 1; i < CFG_INTEG_COUNT; i++)
		list_add(out, cap, i - 1, CFG_INTEG_COUNT - 1, integ_tab[i].name);
}

void
cfg_prf_list(char *out, size_t cap)
{
	out[0] = '\0';
	for (unsigned i = 0; i < CFG_PRF_COUNT; i++)
		list_add(out, cap, i, CFG_PRF_COUNT, prf_tab[i].name);
}

void
cfg_dh_list(char *out, size_t cap)
{
	char num[8];

	out[0] = '\0';
	for (size_t i = 0; i < NELEM(dh_tab); i++) {
		snprintf(num, sizeof(num), "%u", (unsigned)dh_tab[i].group);
		list_add(out, cap, i, NELEM(dh_tab), num);
	}
}
