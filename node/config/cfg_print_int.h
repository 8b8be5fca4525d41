/* SPDX-License-Identifier: MIT */
/*
 * Internals of the printer shared by cfg_print.c (global objects, entry points) and
 * cfg_print_ctx.c (contexts, tunnels, cluster): a writer that indents, closes blocks and
 * collects failures, and the sorting helper.
 */
#ifndef TANDEM_NODE_CONFIG_CFG_PRINT_INT_H
#define TANDEM_NODE_CONFIG_CFG_PRINT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "node/config/cfg.h"
#include "node/core/buf.h"

struct cfg_pr {
	struct buf *out;
	const struct cfg_mask_key *mk;
	bool verbose;
	int err; /* -ENOMEM when sorting failed; the buffer latches its own failures */
};

/* Writes 2*depth spaces, the formatted text and a newline. */
void cfg_pr_line(struct cfg_pr *w, unsigned depth, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* The "!" that closes a block opened at depth. */
void cfg_pr_close(struct cfg_pr *w, unsigned depth);
/* "description TEXT", quoted when the text needs it; nothing for NULL. */
void cfg_pr_description(struct cfg_pr *w, unsigned depth, const char *text);
/* "PREFIX masked-key …" (or "PREFIX <hidden>" without a master key). */
void cfg_pr_key_line(struct cfg_pr *w, unsigned depth, const char *prefix, const struct secret *s);
/*
 * The n elements of a list starting at first (linked through the pointer at next_off), in a
 * new array sorted with cmp; the caller frees it. NULL for an empty list or on ENOMEM (w->err).
 */
void **cfg_pr_sorted(struct cfg_pr *w, void *first, size_t next_off, size_t n,
                     int (*cmp)(const void *, const void *));

void cfg_pr_contexts(struct cfg_pr *w, const struct cfg *cfg);
void cfg_pr_tunnels(struct cfg_pr *w, const struct cfg *cfg);
void cfg_pr_cluster(struct cfg_pr *w, const struct cfg *cfg);

#endif
