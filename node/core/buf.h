/* SPDX-License-Identifier: MIT */
/*
 * Growable output buffer for building messages. Writers name the byte order. A failed
 * allocation latches b_err, so a serializer can check once at the end (buf_ok). A buffer made
 * with secret = true is wiped before its memory is released (it holds key material).
 */
#ifndef TANDEM_NODE_CORE_BUF_H
#define TANDEM_NODE_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *b_data; /* owned */
	size_t b_len;
	size_t b_cap;
	bool b_secret;
	bool b_err; /* an allocation failed; contents are incomplete */
};

void buf_init(struct buf *b, bool secret);
/* Releases the memory (wiped first when secret); b is empty and reusable afterwards. */
void buf_fini(struct buf *b);
/* Forgets the contents (wiped when secret) but keeps the allocation. */
void buf_reset(struct buf *b);
bool buf_ok(const struct buf *b);

/* Makes room for n more bytes and returns where they go (b_len grows by n), or NULL. */
uint8_t *buf_reserve(struct buf *b, size_t n);
bool buf_put_u8(struct buf *b, uint8_t v);
bool buf_put_n16(struct buf *b, uint16_t v);
bool buf_put_n32(struct buf *b, uint32_t v);
bool buf_put_n64(struct buf *b, uint64_t v);
bool buf_put(struct buf *b, const void *p, size_t n);
bool buf_put_zero(struct buf *b, size_t n);
bool buf_put_str(struct buf *b, const char *s);
bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Overwrites two bytes at off (a length field written before its contents were known). */
bool buf_set_n16(struct buf *b, size_t off, uint16_t v);
bool buf_set_n32(struct buf *b, size_t off, uint32_t v);
/* Hands the data to the caller (who frees it) and leaves b empty; NULL if b_err is set. */
uint8_t *buf_steal(struct buf *b, size_t *len);

#endif
