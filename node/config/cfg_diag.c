/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics of the configuration parser: each one names a line and the column of the
 * offending token and reads "in 'STATEMENT': what is wrong (expected …)". Parsing stops after
 * 100 errors; warnings beyond 1000 are counted but not kept. Callers never pass key material.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

void
cfg_diags_init(struct cfg_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
cfg_diags_fini(struct cfg_diags *d)
{
	free(d->v);
	cfg_diags_init(d);
}

void
cfg_diags_print(const struct cfg_diags *d, struct buf *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct cfg_diag *g = &d->v[i];

		buf_printf(out, "%s:%u:%u: %s: %s\n", d->file, (unsigned)g->line, (unsigned)g->col,
		           g->sev == CFG_DIAG_ERROR ? "error" : "warning", g->msg);
	}
}

int
cfg_diags_push(struct cfg_diags *d, enum cfg_diag_sev sev, uint32_t line, uint32_t col,
               const char *msg)
{
	struct cfg_diag *g;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct cfg_diag *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	g = &d->v[d->n++];
	g->sev = sev;
	g->line = line;
	g->col = col;
	snprintf(g->msg, sizeof(g->msg), "%s", msg);
	return 0;
}

bool
cfg_stopped(const struct cfg_parser *p)
{
	return p->nomem || p->nerrors >= CFG_MAX_ERRORS;
}

void
cfg_diag_raw(struct cfg_parser *p, enum cfg_diag_sev sev, uint32_t line, uint32_t col,
             const char *msg)
{
	struct cfg_diags *d = p->diags;

	if (cfg_stopped(p))
		return;
	if (sev == CFG_DIAG_WARNING) {
		p->nwarnings++;
		d->nwarnings++;
		if (p->nwarnings > CFG_MAX_WARNINGS) {
			p->nwarn_dropped++;
			return;
		}
	} else {
		p->nerrors++;
		d->nerrors++;
	}
	if (cfg_diags_push(d, sev, line, col, msg) != 0) {
		p->nomem = true;
		return;
	}
	if (sev == CFG_DIAG_ERROR && p->nerrors == CFG_MAX_ERRORS &&
	    cfg_diags_push(d, CFG_DIAG_ERROR, line, col,
	                   "in 'file': too many errors (100); stopping here") != 0)
		p->nomem = true;
}

static void diag_v(struct cfg_parser *p, enum cfg_diag_sev sev, uint32_t line, uint32_t col,
                   const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void
diag_v(struct cfg_parser *p, enum cfg_diag_sev sev, uint32_t line, uint32_t col, const char *fmt,
       va_list ap)
{
	char msg[sizeof(((struct cfg_diag *)0)->msg)];
	int n = snprintf(msg, sizeof(msg), "in '%.200s': ", p->where);

	if (n > 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	cfg_diag_raw(p, sev, line, col, msg);
}

void
cfg_err(struct cfg_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_v(p, CFG_DIAG_ERROR, line, col, fmt, ap);
	va_end(ap);
}

void
cfg_warn(struct cfg_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_v(p, CFG_DIAG_WARNING, line, col, fmt, ap);
	va_end(ap);
}

static uint32_t
tok_col(const struct cfg_stmt *st, unsigned i)
{
	return i < st->n ? st->t[i].col : st->eol;
}

void
cfg_err_tok(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_v(p, CFG_DIAG_ERROR, st->line, tok_col(st, i), fmt, ap);
	va_end(ap);
}

void
cfg_warn_tok(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_v(p, CFG_DIAG_WARNING, st->line, tok_col(st, i), fmt, ap);
	va_end(ap);
}

void
cfg_err_at(struct cfg_parser *p, const struct cfg_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_v(p, CFG_DIAG_ERROR, loc->line, loc->col, fmt, ap);
	va_end(ap);
}

void
cfg_warn_at(struct cfg_parser *p, const struct cfg_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_v(p, CFG_DIAG_WARNING, loc->line, loc->col, fmt, ap);
	va_end(ap);
}

void
cfg_where(struct cfg_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->where, sizeof(p->where), fmt, ap);
	va_end(ap);
}

void
cfg_diags_sort(struct cfg_diags *d, size_t from)
{
	/* Insertion sort: stable, and the list is nearly sorted already. */
	for (size_t i = from + 1; i < d->n; i++) {
		struct cfg_diag g = d->v[i];
		size_t j = i;

		while (j > from && (d->v[j - 1].line > g.line ||
		                    (d->v[j - 1].line == g.line && d->v[j - 1].col > g.col))) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = g;
	}
}

void
cfg_safe_str(const char *s, size_t max, char *out, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return;
	for (; *s && n < max && n + 1 < cap; s++, n++)
		out[n] = (*s >= 0x21 && *s <= 0x7e) ? *s : '?';
	if (*s && n + 4 < cap && n == max) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}
