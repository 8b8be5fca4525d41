/* SPDX-License-Identifier: MIT */
/*
 * Bounded reads from untrusted bytes. A struct cur is a borrowed view (pointer and remaining
 * length); every read checks the remaining length first, returns false and leaves the cursor
 * untouched when the bytes are not there. Readers name the byte order (n = network, big
 * endian). No read ever forms a pointer past the end of the view.
 */
#ifndef TANDEM_NODE_CORE_CUR_H
#define TANDEM_NODE_CORE_CUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cur {
	const uint8_t *p; /* next unread byte; borrowed, never owned */
	size_t len;       /* bytes left */
};

static inline struct cur
cur_make(const void *p, size_t len)
{
	struct cur c = {(const uint8_t *)p, len};

	return c;
}

static inline size_t
cur_left(const struct cur *c)
{
	return c->len;
}

bool cur_get_u8(struct cur *c, uint8_t *out);
bool cur_get_n16(struct cur *c, uint16_t *out);
bool cur_get_n32(struct cur *c, uint32_t *out);
bool cur_get_n64(struct cur *c, uint64_t *out);
/* Copies n bytes into out (which has room for n). */
bool cur_get_copy(struct cur *c, void *out, size_t n);
/* A view of the next n bytes; c advances past them. The view borrows c's buffer. */
bool cur_get_bytes(struct cur *c, size_t n, struct cur *view);
/* A view of the last n bytes (trailers such as an ICV); c shrinks by n from the end. */
bool cur_get_tail(struct cur *c, size_t n, struct cur *view);
/* Skips n bytes. */
bool cur_skip(struct cur *c, size_t n);
/* Reads a u8 without advancing. */
bool cur_peek_u8(const struct cur *c, uint8_t *out);

#endif
