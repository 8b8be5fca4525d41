/* SPDX-License-Identifier: MIT */
/* Hex vectors for the IKE cryptography tests. */
#include "test_ike_crypto_util.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t
tv_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *hex; hex++) {
		if (isspace((unsigned char)*hex))
			continue;
		v = nibble(*hex);
		assert_true(v >= 0);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_true(hi < 0);
	return n;
}

void
tv_assert_hex(const uint8_t *got, size_t len, const char *hex)
{
	uint8_t want[TV_MAX];
	size_t n = tv_hex(hex, want, sizeof(want));

	if (n != len || (n && memcmp(got, want, n) != 0)) {
		fprintf(stderr, "want %s\ngot  ", hex);
		for (size_t i = 0; i < len; i++)
			fprintf(stderr, "%02x", got[i]);
		fprintf(stderr, "\n");
	}
	assert_int_equal(n, len);
	if (n)
		assert_memory_equal(got, want, n);
}

void
tv_assert_secret(const struct secret *s, const char *hex)
{
	tv_assert_hex(s->s_data, s->s_len, hex);
}

void
tv_secret(struct secret *s, const char *hex)
{
	uint8_t b[TV_MAX];
	size_t n = tv_hex(hex, b, sizeof(b));

	assert_int_equal(secret_set(s, b, n), 0);
}
