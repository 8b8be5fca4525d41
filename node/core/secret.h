/* SPDX-License-Identifier: MIT */
/*
 * Key material held in memory: a copy owned by the struct, wiped before it is freed and
 * compared in constant time. Never pass s_data to a logger.
 */
#ifndef TANDEM_NODE_CORE_SECRET_H
#define TANDEM_NODE_CORE_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct secret {
	uint8_t *s_data; /* owned, NULL when empty */
	size_t s_len;
};

/* Replaces the contents with a copy of p[0..len). Returns 0 or -ENOMEM. */
int secret_set(struct secret *s, const void *p, size_t len);
/* Wipes and frees; s is empty afterwards. Safe on an empty secret. */
void secret_clear(struct secret *s);
/* Constant-time comparison (lengths are not secret). */
bool secret_eq(const struct secret *a, const struct secret *b);
/* Deep copy. Returns 0 or -ENOMEM. */
int secret_copy(struct secret *dst, const struct secret *src);

#endif
