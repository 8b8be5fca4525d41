/* SPDX-License-Identifier: MIT */
/*
 * Splits one configuration line into tokens (docs/configuration.md, "Lexical rules"): blanks
 * separate tokens, "…" quotes a token (escapes \" and \\ only), control characters are errors.
 * Token text is copied, unescaped and NUL-terminated, into the parser's line buffer.
 */
#include <string.h>

#include "node/config/cfg_int.h"

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_ctl(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

struct lex {
	struct cfg_parser *p;
	const char *line;
	size_t len, i;
	char *out;
	size_t o;
	uint32_t lineno;
};

/* The caller has set p->where to the innermost open block. */
static int
lex_err(struct lex *lx, size_t at, const char *msg)
{
	cfg_err(lx->p, lx->lineno, (uint32_t)at + 1, "%s", msg);
	return -1;
}

static int
lex_ctl(struct lex *lx)
{
	cfg_err(lx->p, lx->lineno, (uint32_t)lx->i + 1,
	        "control character 0x%02x (expected printable text; tabs and spaces separate "
	        "tokens)",
	        (unsigned)(unsigned char)lx->line[lx->i]);
	return -1;
}

static int
lex_quoted(struct lex *lx)
{
	size_t start = lx->i++;

	for (;;) {
		char c;

		if (lx->i >= lx->len)
			return lex_err(lx, start,
			               "unterminated quote (expected a closing '\"' on "
			               "the same line)");
		c = lx->line[lx->i];
		if (c == '"') {
			lx->i++;
			break;
		}
		if (is_ctl(c))
			return lex_ctl(lx);
		if (c == '\\') {
			if (lx->i + 1 >= lx->len ||
			    (lx->line[lx->i + 1] != '"' && lx->line[lx->i + 1] != '\\'))
				return lex_err(lx, lx->i,
				               "unknown escape in a quoted token "
				               "(expected \\\" or \\\\)");
			c = lx->line[++lx->i];
		}
		lx->out[lx->o++] = c;
		lx->i++;
	}
	if (lx->i < lx->len && !is_blank(lx->line[lx->i]))
		return lex_err(lx, lx->i, "text right after a closing quote (expected a space)");
	return 0;
}

static int
lex_plain(struct lex *lx)
{
	while (lx->i < lx->len && !is_blank(lx->line[lx->i])) {
		char c = lx->line[lx->i];

		if (is_ctl(c))
			return lex_ctl(lx);
		if (c == '"')
			return lex_err(lx, lx->i,
			               "a quote inside a token (expected the whole token "
			               "in quotes)");
		lx->out[lx->o++] = c;
		lx->i++;
	}
	return 0;
}

int
cfg_lex_line(struct cfg_parser *p, const char *line, size_t len, size_t start, uint32_t lineno,
             struct cfg_stmt *st)
{
	struct lex lx = {p, line, len, start, p->tokbuf, 0, lineno};
	unsigned n = 0;

	while (lx.i < len) {
		struct cfg_tok *t;
		size_t o0 = lx.o;
		int rc;

		if (is_blank(line[lx.i])) {
			lx.i++;
			continue;
		}
		if (n == CFG_MAX_TOKENS)
			return lex_err(&lx, lx.i, "too many tokens");
		t = &p->toks[n++];
		t->col = (uint32_t)lx.i + 1;
		t->quoted = line[lx.i] == '"';
		rc = t->quoted ? lex_quoted(&lx) : lex_plain(&lx);
		if (rc)
			return rc;
		lx.out[lx.o++] = '\0';
		t->s = lx.out + o0;
		t->len = (uint32_t)(lx.o - o0 - 1);
	}
	st->t = p->toks;
	st->n = n;
	st->kw = 0;
	st->line = lineno;
	st->eol = (uint32_t)len + 1;
	return 0;
}
