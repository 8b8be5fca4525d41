/* SPDX-License-Identifier: MIT */
/*
 * The IOS-style block parser (docs/configuration.md, "Blocks"): each line is one statement,
 * looked up in the statement tables of the open blocks. The block whose keywords match the
 * most words wins (the innermost on a tie); the blocks inside it close first. A statement no
 * block accepts is an error, unless an ignored vendor block is open, which swallows it.
 * cfg_parse is pure: it reads only its arguments (seed 004 §6–9, §12–13 describe the language).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

static const struct cfg_blk_def *const blk_defs[CFG_BLK_COUNT] = {
        [CFG_BLK_TOP] = &cfg_blk_top,
        [CFG_BLK_CONTEXT] = &cfg_blk_context,
        [CFG_BLK_INTERFACE] = &cfg_blk_interface,
        [CFG_BLK_IKE_PROP] = &cfg_blk_ike_prop,
        [CFG_BLK_IKE_POLICY] = &cfg_blk_ike_policy,
        [CFG_BLK_IPSEC_PROP] = &cfg_blk_ipsec_prop,
        [CFG_BLK_IPSEC_POLICY] = &cfg_blk_ipsec_policy,
        [CFG_BLK_IPSEC_SA] = &cfg_blk_ipsec_sa,
        [CFG_BLK_SA_DIR] = &cfg_blk_sa_dir,
        [CFG_BLK_QOS] = &cfg_blk_qos,
        [CFG_BLK_ACL] = &cfg_blk_acl,
        [CFG_BLK_PROFILE] = &cfg_blk_profile,
        [CFG_BLK_ASP_POOL] = &cfg_blk_asp_pool,
        [CFG_BLK_ASP_GROUP] = &cfg_blk_asp_group,
        [CFG_BLK_TUNNEL] = &cfg_blk_tunnel,
        [CFG_BLK_CLUSTER] = &cfg_blk_cluster,
        [CFG_BLK_IGNORED] = &cfg_blk_ignored,
};

struct cfg_frame *
cfg_top(struct cfg_parser *p)
{
	return &p->frames[p->depth - 1];
}

void
cfg_frame_where(struct cfg_frame *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->where, sizeof(f->where), fmt, ap);
	va_end(ap);
}

/* ---- statement lookup -------------------------------------------------------------------- */

/* How many keywords of row k match the statement (0 when the row does not match). */
static unsigned
kw_match(const struct cfg_kw *k, const struct cfg_stmt *st)
{
	unsigned n = 0;

	while (n < 3 && k->words[n]) {
		if (!cfg_is(st, n, k->words[n]))
			return 0;
		n++;
	}
	return n;
}

static const struct cfg_kw *
tab_match(const struct cfg_kw *kws, size_t nkws, const struct cfg_stmt *st, unsigned *best)
{
	const struct cfg_kw *hit = NULL;

	for (size_t i = 0; i < nkws; i++) {
		unsigned n = kw_match(&kws[i], st);

		if (n > *best) {
			*best = n;
			hit = &kws[i];
		}
	}
	return hit;
}

static const struct cfg_kw *
blk_match(enum cfg_blk kind, const struct cfg_stmt *st, unsigned *nkw)
{
	const struct cfg_blk_def *def = blk_defs[kind];
	const struct cfg_kw *hit, *v;
	unsigned best = 0;

	hit = tab_match(def->kws, def->nkws, st, &best);
	if (def->vendor && (v = tab_match(cfg_kws_ignored, cfg_nkws_ignored, st, &best)) != NULL)
		hit = v;
	*nkw = best;
	return hit;
}

/*
 * Finds the block level that accepts st: the most keywords matched wins, the innermost on a
 * tie. Ignored vendor blocks accept nothing here (they swallow what no level accepts).
 */
static const struct cfg_kw *
find_level(const struct cfg_parser *p, const struct cfg_stmt *st, unsigned *level, unsigned *nkw)
{
	const struct cfg_kw *best = NULL;
	unsigned best_n = 0;

	for (unsigned l = p->depth; l-- > 0;) {
		const struct cfg_kw *k;
		unsigned n;

		if (p->frames[l].kind == CFG_BLK_IGNORED)
			continue;
		k = blk_match(p->frames[l].kind, st, &n);
		if (k && n > best_n) {
			best = k;
			best_n = n;
			*level = l;
		}
	}
	*nkw = best_n;
	return best;
}

/* ---- block stack ------------------------------------------------------------------------- */

static int
frame_close(struct cfg_parser *p)
{
	struct cfg_frame *f = cfg_top(p);
	const struct cfg_blk_def *def = blk_defs[f->kind];
	int rc = 0;

	snprintf(p->where, sizeof(p->where), "%s", f->where);
	if (def->close)
		rc = def->close(p, f);
	p->depth--;
	return rc;
}

static int
close_to(struct cfg_parser *p, unsigned depth)
{
	while (p->depth > depth) {
		int rc = frame_close(p);

		if (rc)
			return rc;
	}
	return 0;
}

static void
frame_push(struct cfg_parser *p, enum cfg_blk kind, const struct cfg_stmt *st)
{
	struct cfg_frame *f = &p->frames[p->depth++];

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->loc.file = p->file;
	f->loc.line = st->line;
	f->loc.col = st->t[0].col;
	snprintf(f->where, sizeof(f->where), "%s", p->where);
}

static void
kw_text(const struct cfg_stmt *st, unsigned n, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", st->t[i].s);
}

/* "ike proposal, ike2 proposal, …": what a block accepts, for the unknown-statement error. */
static void
accepts_list(enum cfg_blk kind, char *out, size_t cap)
{
	const struct cfg_blk_def *def = blk_defs[kind];
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < def->nkws && len < cap; i++) {
		const struct cfg_kw *k = &def->kws[i];

		len += (size_t)snprintf(out + len, cap - len, "%s%s%s%s%s%s", i ? ", " : "",
		                        k->words[0], k->words[1] ? " " : "",
		                        k->words[1] ? k->words[1] : "", k->words[2] ? " " : "",
		                        k->words[2] ? k->words[2] : "");
	}
	if (def->vendor && len < cap)
		snprintf(out + len, cap - len, ", or an ignored vendor statement");
}

static void
unknown_stmt(struct cfg_parser *p, const struct cfg_stmt *st, bool secret_pending)
{
	const struct cfg_frame *f = cfg_top(p);
	char list[400], tok[72];

	accepts_list(f->kind, list, sizeof(list));
	snprintf(p->where, sizeof(p->where), "%s", f->where);
	if (secret_pending) {
		/* The previous line wanted a key: this line may be that key, so it is not shown. */
		cfg_err_tok(p, st, 0,
		            "unknown statement (not shown: it may be the key missing from line %u) "
		            "(expected one of: %s)",
		            (unsigned)st->line - 1, list);
		return;
	}
	cfg_safe_str(st->t[0].s, 64, tok, sizeof(tok));
	cfg_err_tok(p, st, 0, "unknown statement '%s' (expected one of: %s)", tok, list);
}

/* "exit" closes the innermost block; at the top level it does nothing. */
static int
stmt_exit(struct cfg_parser *p, struct cfg_stmt *st)
{
	st->kw = 1;
	snprintf(p->where, sizeof(p->where), "%s", cfg_top(p)->where);
	if (!cfg_end(p, st, 1))
		return 0;
	return p->depth > 1 ? frame_close(p) : 0;
}

static int
process(struct cfg_parser *p, struct cfg_stmt *st)
{
	bool pending = p->secret_pending;
	const struct cfg_kw *k;
	unsigned level = 0, nkw = 0;
	int rc;

	p->secret_pending = false;
	if (cfg_is(st, 0, "exit"))
		return stmt_exit(p, st);
	k = find_level(p, st, &level, &nkw);
	if (!k) {
		if (cfg_top(p)->kind == CFG_BLK_IGNORED)
			cfg_top(p)->nlines++;
		else
			unknown_stmt(p, st, pending);
		return 0;
	}
	rc = close_to(p, level + 1);
	if (rc)
		return rc;
	st->kw = nkw;
	if (level == 0)
		kw_text(st, nkw, p->where, sizeof(p->where));
	else
		snprintf(p->where, sizeof(p->where), "%s", p->frames[level].where);
	if (k->opens != CFG_BLK_NONE) {
		/* Unreachable: opening closes the blocks above its level, so depth stays <= 4. */
		if (p->depth == CFG_MAX_DEPTH)
			return -EOVERFLOW;
		frame_push(p, k->opens, st);
	}
	return k->fn(p, st);
}

/* ---- lines ------------------------------------------------------------------------------- */

/* The first non-blank byte of line[start..len), or len. */
static size_t
first_nonblank(const char *line, size_t start, size_t len)
{
	while (start < len && (line[start] == ' ' || line[start] == '\t'))
		start++;
	return start;
}

static void
after_end(struct cfg_parser *p, const char *text, size_t len, size_t pos, uint32_t lineno)
{
	unsigned count = 0;
	uint32_t first = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t b = first_nonblank(text, pos, end);

		if (b < end && text[b] != '!' && text[b] != '\r') {
			count++;
			first = first ? first : lineno;
		}
		pos = end + 1;
		lineno++;
	}
	if (count) {
		snprintf(p->where, sizeof(p->where), "end");
		cfg_warn(p, first, 1, "%u statement line%s after 'end' %s ignored", count,
		         count == 1 ? "" : "s", count == 1 ? "is" : "are");
	}
}

static int
one_line(struct cfg_parser *p, const char *line, size_t len, size_t start, uint32_t lineno)
{
	struct cfg_stmt st;
	size_t b;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	b = first_nonblank(line, start, len);
	if (b == len || line[b] == '!')
		return 0;
	snprintf(p->where, sizeof(p->where), "%s", cfg_top(p)->where);
	if (len > CFG_LINE_MAX) {
		cfg_err(p, lineno, 1, "the line is %zu bytes long (expected at most %u)", len,
		        CFG_LINE_MAX);
		return 0;
	}
	if (cfg_lex_line(p, line, len, start, lineno, &st) != 0 || st.n == 0)
		return 0;
	return process(p, &st);
}

static int
parse_lines(struct cfg_parser *p, const char *text, size_t len)
{
	size_t pos = 0, start = 0;
	uint32_t lineno = 1;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		start = 3; /* a UTF-8 byte-order mark */
	while (pos < len && !cfg_stopped(p)) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		int rc = one_line(p, text + pos, end - pos, start, lineno);

		if (rc)
			return rc;
		pos = end + 1;
		start = 0;
		lineno++;
		if (p->ended) {
			after_end(p, text, len, pos, lineno);
			break;
		}
	}
	return 0;
}

/* ---- entry point ------------------------------------------------------------------------- */

static int
parser_init(struct cfg_parser *p, const char *name, const struct cfg_mask_key *mk,
            struct cfg_diags *diags)
{
	memset(p, 0, sizeof(*p));
	p->diags = diags;
	p->mk = mk;
	p->cfg = cfg_new(name);
	p->names = cfg_index_new();
	p->toks = calloc(CFG_MAX_TOKENS, sizeof(*p->toks));
	p->tokbuf = OPENSSL_malloc(CFG_LINE_MAX + CFG_MAX_TOKENS + 16);
	if (!p->cfg || !p->names || !p->toks || !p->tokbuf)
		return -ENOMEM;
	p->file = p->cfg->source_name;
	p->depth = 1;
	p->frames[0].kind = CFG_BLK_TOP;
	snprintf(p->frames[0].where, sizeof(p->frames[0].where), "top level");
	snprintf(p->where, sizeof(p->where), "top level");
	return 0;
}

static void
parser_fini(struct cfg_parser *p)
{
	cfg_free(p->cfg);
	cfg_index_free(p->names);
	free(p->toks);
	if (p->tokbuf) /* the last line's tokens may be a key */
		OPENSSL_clear_free(p->tokbuf, CFG_LINE_MAX + CFG_MAX_TOKENS + 16);
}

/* Sorts this parse's diagnostics by position, keeping a final "stopping here" line last. */
static void
finish_diags(struct cfg_parser *p, size_t first)
{
	struct cfg_diags *d = p->diags;
	size_t n = d->n;

	if (p->nerrors >= CFG_MAX_ERRORS && n > first)
		d->n--;
	cfg_diags_sort(d, first);
	d->n = n;
	if (p->nwarn_dropped) {
		char msg[96];

		snprintf(msg, sizeof(msg), "in 'file': %u more warnings are not shown",
		         p->nwarn_dropped);
		if (cfg_diags_push(d, CFG_DIAG_WARNING, n > first ? d->v[n - 1].line : 1, 1, msg))
			p->nomem = true;
	}
}

int
cfg_parse(const char *name, const char *text, size_t len, const struct cfg_mask_key *mk,
          struct cfg **out, struct cfg_diags *diags)
{
	struct cfg_parser p;
	size_t first = diags->n;
	int rc;

	*out = NULL;
	if (!name)
		name = "-";
	snprintf(diags->file, sizeof(diags->file), "%s", name);
	rc = parser_init(&p, name, mk, diags);
	if (rc)
		goto out;
	if (len > CFG_FILE_MAX)
		cfg_err(&p, 1, 1, "the file is %zu bytes long (expected at most %u)", len,
		        CFG_FILE_MAX);
	else
		rc = parse_lines(&p, text ? text : "", text ? len : 0);
	if (rc == 0)
		rc = close_to(&p, 1);
	if (rc == 0 && !cfg_stopped(&p) && len <= CFG_FILE_MAX)
		rc = cfg_validate(&p);
	if (rc == 0 && p.nomem)
		rc = -ENOMEM;
	if (rc == 0 && p.nerrors)
		rc = -EINVAL;
	if (rc == 0) {
		p.cfg->nwarnings = p.nwarnings;
		*out = p.cfg;
		p.cfg = NULL;
	}
out:
	finish_diags(&p, first);
	parser_fini(&p);
	return rc;
}
