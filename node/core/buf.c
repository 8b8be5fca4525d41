/* SPDX-License-Identifier: MIT */
/* Growable output buffer with latched allocation failure and optional wiping. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void
buf_init(struct buf *b, bool secret)
{
	memset(b, 0, sizeof(*b));
	b->b_secret = secret;
}

void
buf_fini(struct buf *b)
{
	bool secret = b->b_secret;

	if (b->b_data && secret)
		OPENSSL_cleanse(b->b_data, b->b_cap);
	free(b->b_data);
	buf_init(b, secret);
}

void
buf_reset(struct buf *b)
{
	if (b->b_data && b->b_secret)
		OPENSSL_cleanse(b->b_data, b->b_len);
	b->b_len = 0;
	b->b_err = false;
}

bool
buf_ok(const struct buf *b)
{
	return !b->b_err;
}

static bool
buf_grow(struct buf *b, size_t need)
{
	size_t cap = b->b_cap ? b->b_cap : 64;
	uint8_t *p;

	if (b->b_err)
		return false;
	if (need <= b->b_cap)
		return true;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			b->b_err = true;
			return false;
		}
		cap *= 2;
	}
	p = malloc(cap);
	if (!p) {
		b->b_err = true;
		return false;
	}
	if (b->b_len)
		memcpy(p, b->b_data, b->b_len);
	if (b->b_data && b->b_secret)
		OPENSSL_cleanse(b->b_data, b->b_cap);
	free(b->b_data);
	b->b_data = p;
	b->b_cap = cap;
	return true;
}

uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	uint8_t *p;

	if (n > SIZE_MAX - b->b_len) {
		b->b_err = true;
		return NULL;
	}
	if (!buf_grow(b, b->b_len + n))
		return NULL;
	p = b->b_data + b->b_len;
	b->b_len += n;
	return p;
}

bool
buf_put(struct buf *b, const void *p, size_t n)
{
	uint8_t *d;

	if (n == 0)
		return !b->b_err;
	d = buf_reserve(b, n);
	if (!d)
		return false;
	memcpy(d, p, n);
	return true;
}

bool
buf_put_zero(struct buf *b, size_t n)
{
	uint8_t *d;

	if (n == 0)
		return !b->b_err;
	d = buf_reserve(b, n);
	if (!d)
		return false;
	memset(d, 0, n);
	return true;
}

bool
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

bool
buf_put_n16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	return buf_put(b, x, sizeof(x));
}

bool
buf_put_n32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	return buf_put(b, x, sizeof(x));
}

bool
buf_put_n64(struct buf *b, uint64_t v)
{
	return buf_put_n32(b, (uint32_t)(v >> 32)) && buf_put_n32(b, (uint32_t)v);
}

bool
buf_put_str(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

bool
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	uint8_t *d;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->b_err = true;
		return false;
	}
	/* one more for vsnprintf's terminator, which is then dropped from b_len */
	d = buf_reserve(b, (size_t)n + 1);
	if (!d)
		return false;
	va_start(ap, fmt);
	vsnprintf((char *)d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->b_len--;
	return true;
}

bool
buf_set_n16(struct buf *b, size_t off, uint16_t v)
{
	if (off > b->b_len || b->b_len - off < 2)
		return false;
	b->b_data[off] = (uint8_t)(v >> 8);
	b->b_data[off + 1] = (uint8_t)v;
	return true;
}

bool
buf_set_n32(struct buf *b, size_t off, uint32_t v)
{
	if (off > b->b_len || b->b_len - off < 4)
		return false;
	b->b_data[off] = (uint8_t)(v >> 24);
	b->b_data[off + 1] = (uint8_t)(v >> 16);
	b->b_data[off + 2] = (uint8_t)(v >> 8);
	b->b_data[off + 3] = (uint8_t)v;
	return true;
}

uint8_t *
buf_steal(struct buf *b, size_t *len)
{
	uint8_t *p;

	if (b->b_err) {
		buf_fini(b);
		return NULL;
	}
	p = b->b_data;
	*len = b->b_len;
	b->b_data = NULL;
	b->b_len = b->b_cap = 0;
	return p;
}
