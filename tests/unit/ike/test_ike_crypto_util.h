/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the IKE cryptography tests: hex vectors as the RFCs print them (spaces and
 * newlines ignored) and secrets built from them.
 */
#ifndef TANDEM_TESTS_UNIT_IKE_TEST_IKE_CRYPTO_UTIL_H
#define TANDEM_TESTS_UNIT_IKE_TEST_IKE_CRYPTO_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/secret.h"

#define TV_MAX 1200 /* longest vector a test decodes */

/* Decodes hex (whitespace ignored) into out; fails the test on bad input or overflow. */
size_t tv_hex(const char *hex, uint8_t *out, size_t cap);
/* Asserts that got[0..len) equals the hex string exactly (length included). */
void tv_assert_hex(const uint8_t *got, size_t len, const char *hex);
/* Asserts that a secret holds exactly the hex string. */
void tv_assert_secret(const struct secret *s, const char *hex);
/* Sets a secret from hex. */
void tv_secret(struct secret *s, const char *hex);

#endif
