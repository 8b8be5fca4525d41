/* SPDX-License-Identifier: MIT */
/* Wiped-on-free key material. */
#include "secret.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

int
secret_set(struct secret *s, const void *p, size_t len)
{
	uint8_t *d = NULL;

	if (len) {
		d = OPENSSL_malloc(len);
		if (!d)
			return -ENOMEM;
		memcpy(d, p, len);
	}
	secret_clear(s);
	s->s_data = d;
	s->s_len = len;
	return 0;
}

void
secret_clear(struct secret *s)
{
	if (s->s_data)
		OPENSSL_clear_free(s->s_data, s->s_len);
	s->s_data = NULL;
	s->s_len = 0;
}

bool
secret_eq(const struct secret *a, const struct secret *b)
{
	if (a->s_len != b->s_len)
		return false;
	if (a->s_len == 0)
		return true;
	return CRYPTO_memcmp(a->s_data, b->s_data, a->s_len) == 0;
}

int
secret_copy(struct secret *dst, const struct secret *src)
{
	return secret_set(dst, src->s_data, src->s_len);
}
