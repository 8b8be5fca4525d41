/* SPDX-License-Identifier: MIT */
/* Bounded cursor reads: every function compares against the remaining length first. */
#include "cur.h"

#include <string.h>

bool
cur_get_u8(struct cur *c, uint8_t *out)
{
	if (c->len < 1)
		return false;
	*out = c->p[0];
	c->p++;
	c->len--;
	return true;
}

bool
cur_get_n16(struct cur *c, uint16_t *out)
{
	if (c->len < 2)
		return false;
	*out = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return true;
}

bool
cur_get_n32(struct cur *c, uint32_t *out)
{
	if (c->len < 4)
		return false;
	*out = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->len -= 4;
	return true;
}

bool
cur_get_n64(struct cur *c, uint64_t *out)
{
	uint32_t hi, lo;
	struct cur save = *c;

	if (!cur_get_n32(c, &hi) || !cur_get_n32(c, &lo)) {
		*c = save;
		return false;
	}
	*out = (uint64_t)hi << 32 | lo;
	return true;
}

bool
cur_get_copy(struct cur *c, void *out, size_t n)
{
	if (c->len < n)
		return false;
	if (n == 0)
		return true;
	memcpy(out, c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

bool
cur_get_bytes(struct cur *c, size_t n, struct cur *view)
{
	if (c->len < n)
		return false;
	view->p = c->p;
	view->len = n;
	if (n == 0)
		return true;
	c->p += n;
	c->len -= n;
	return true;
}

bool
cur_get_tail(struct cur *c, size_t n, struct cur *view)
{
	if (c->len < n)
		return false;
	c->len -= n;
	view->p = n ? c->p + c->len : c->p;
	view->len = n;
	return true;
}

bool
cur_skip(struct cur *c, size_t n)
{
	if (c->len < n)
		return false;
	if (n == 0)
		return true;
	c->p += n;
	c->len -= n;
	return true;
}

bool
cur_peek_u8(const struct cur *c, uint8_t *out)
{
	if (c->len < 1)
		return false;
	*out = c->p[0];
	return true;
}
