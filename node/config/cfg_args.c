/* SPDX-License-Identifier: MIT */
/*
 * Argument parsers shared by the statement handlers: names, numbers, choices, text,
 * algorithms (with the weak-algorithm warnings of RFC 8221 and RFC 8247), addresses,
 * identities and keys. Each reports its own error at the offending token; key parsers never
 * put the key, or anything that may be part of it, into a diagnostic.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"
#include "node/core/hex.h"

#define ECHO_MAX 64 /* bytes of a wrong token quoted back in a message */

struct cfg_loc
cfg_tok_loc(const struct cfg_parser *p, const struct cfg_stmt *st, unsigned i)
{
	struct cfg_loc l = {p->file, st->line, i < st->n ? st->t[i].col : st->eol};

	return l;
}

bool
cfg_is(const struct cfg_stmt *st, unsigned i, const char *kw)
{
	return i < st->n && !st->t[i].quoted && strcmp(st->t[i].s, kw) == 0;
}

/* The token, made printable and short enough to quote in a message. */
static const char *
echo(const struct cfg_stmt *st, unsigned i, char *buf, size_t cap)
{
	cfg_safe_str(st->t[i].s, ECHO_MAX, buf, cap);
	return buf;
}

bool
cfg_need(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what)
{
	if (i < st->n)
		return true;
	cfg_err_tok(p, st, i, "missing %s", what);
	return false;
}

bool
cfg_end(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i)
{
	char e[ECHO_MAX + 8];

	if (i >= st->n)
		return true;
	cfg_err_tok(p, st, i, "unexpected '%s' (expected the end of the statement)",
	            echo(st, i, e, sizeof(e)));
	return false;
}

bool
cfg_end_secret(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i)
{
	if (i >= st->n)
		return true;
	cfg_err_tok(p, st, i,
	            "unexpected text after the key (a key is one token; quote a key that "
	            "contains spaces)");
	return false;
}

static void
stmt_kw(const struct cfg_stmt *st, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < st->kw && i < st->n && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", st->t[i].s);
}

bool
cfg_once_in(struct cfg_parser *p, struct cfg_frame *f, const struct cfg_stmt *st, unsigned slot)
{
	char kw[64];

	if (f->set_line[slot]) {
		stmt_kw(st, kw, sizeof(kw));
		cfg_err_tok(p, st, 0, "'%s' is already set on line %u (write it once)", kw,
		            (unsigned)f->set_line[slot]);
		return false;
	}
	f->set_line[slot] = st->line;
	f->set_col[slot] = st->t[0].col;
	return true;
}

bool
cfg_once(struct cfg_parser *p, const struct cfg_stmt *st, unsigned slot)
{
	return cfg_once_in(p, cfg_cur(p), st, slot);
}

struct cfg_loc
cfg_slot_loc(const struct cfg_parser *p, const struct cfg_frame *f, unsigned slot)
{
	struct cfg_loc l = {p->file, f->set_line[slot], f->set_col[slot]};

	return l;
}

bool
cfg_was_set(const struct cfg_frame *f, unsigned slot)
{
	return f->set_line[slot] != 0;
}

bool
cfg_name_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == ':' || c == '/' || c == '-'))
			return false;
	}
	return n >= 1 && n < CFG_NAME_MAX;
}

bool
cfg_name(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
         char out[CFG_NAME_MAX])
{
	char e[ECHO_MAX + 8];

	out[0] = '\0';
	if (!cfg_need(p, st, i, what))
		return false;
	if (!cfg_name_valid(st->t[i].s)) {
		cfg_err_tok(p, st, i,
		            "%s '%s' is not a valid name (expected 1 to 63 characters of A-Z a-z "
		            "0-9 _ . : / -)",
		            what, echo(st, i, e, sizeof(e)));
		return false;
	}
	memcpy(out, st->t[i].s, st->t[i].len + 1);
	return true;
}

bool
cfg_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

bool
cfg_u64(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what, uint64_t lo,
        uint64_t hi, const char *expected, uint64_t *out)
{
	char e[ECHO_MAX + 8];
	uint64_t v;

	if (!cfg_need(p, st, i, what))
		return false;
	if (!cfg_parse_u64(st->t[i].s, &v)) {
		cfg_err_tok(p, st, i, "%s '%s' is not a number (expected %s)", what,
		            echo(st, i, e, sizeof(e)), expected);
		return false;
	}
	if (v < lo || v > hi) {
		cfg_err_tok(p, st, i, "%s %s is out of range (expected %s)", what,
		            echo(st, i, e, sizeof(e)), expected);
		return false;
	}
	*out = v;
	return true;
}

bool
cfg_u32(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what, uint32_t lo,
        uint32_t hi, const char *expected, uint32_t *out)
{
	uint64_t v;

	if (!cfg_u64(p, st, i, what, lo, hi, expected, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

int
cfg_choice(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
           const char *const *words)
{
	char list[256] = "", e[ECHO_MAX + 8];
	size_t len = 0;

	if (!cfg_need(p, st, i, what))
		return -1;
	for (int k = 0; words[k]; k++) {
		if (cfg_is(st, i, words[k]))
			return k;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", k ? ", " : "",
		                        words[k]);
		if (len >= sizeof(list))
			break;
	}
	cfg_err_tok(p, st, i, "%s '%s' is not valid (expected %s)", what, echo(st, i, e, sizeof(e)),
	            list);
	return -1;
}

int
cfg_text(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, char **out)
{
	size_t len = 0;
	char *s;

	if (!cfg_need(p, st, i, "text"))
		return 0;
	for (unsigned k = i; k < st->n; k++)
		len += st->t[k].len + 1;
	s = malloc(len);
	if (!s)
		return -ENOMEM;
	len = 0;
	for (unsigned k = i; k < st->n; k++) {
		if (k > i)
			s[len++] = ' ';
		memcpy(s + len, st->t[k].s, st->t[k].len);
		len += st->t[k].len;
	}
	s[len] = '\0';
	if (len == 0 || len > CFG_DESC_MAX) {
		free(s);
		cfg_err_tok(p, st, i, "the text is %s (expected 1 to %u bytes)",
		            len ? "too long" : "empty", CFG_DESC_MAX);
		return 0;
	}
	free(*out);
	*out = s;
	return 0;
}

int
cfg_description(struct cfg_parser *p, const struct cfg_stmt *st, unsigned slot, char **out)
{
	if (!cfg_once(p, st, slot))
		return 0;
	return cfg_text(p, st, st->kw, out);
}

static const char *
use_name(unsigned use)
{
	switch (use) {
	case CFG_USE_IKEV1:
		return "an IKEv1 proposal";
	case CFG_USE_IKEV2:
		return "an IKEv2 proposal";
	case CFG_USE_ESP:
		return "an IPsec proposal";
	default:
		return "a manual security association";
	}
}

bool
cfg_arg_encr(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, unsigned use,
             enum cfg_encr *out)
{
	char list[256], e[ECHO_MAX + 8];
	enum cfg_encr v;

	if (!cfg_need(p, st, i, "encryption algorithm"))
		return false;
	cfg_encr_list(use, list, sizeof(list));
	if (!cfg_encr_lookup(st->t[i].s, &v) || st->t[i].quoted) {
		cfg_err_tok(p, st, i, "'%s' is not an encryption algorithm (expected %s)",
		            echo(st, i, e, sizeof(e)), list);
		return false;
	}
	if (!(cfg_encr_uses(v) & use)) {
		cfg_err_tok(p, st, i, "%s cannot be used in %s (expected %s)",
		            cfg_encr_info(v)->name, use_name(use), list);
		return false;
	}
	if (cfg_encr_info(v)->weak)
		cfg_warn_tok(p, st, i,
		             "%s is a weak algorithm (RFC 8221, RFC 8247); prefer aes-256-gcm or "
		             "aes-128-cbc",
		             cfg_encr_info(v)->name);
	*out = v;
	return true;
}

bool
cfg_arg_integ(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, enum cfg_integ *out)
{
	char list[256], e[ECHO_MAX + 8];
	enum cfg_integ v;

	if (!cfg_need(p, st, i, "integrity algorithm"))
		return false;
	if (!cfg_integ_lookup(st->t[i].s, &v) || st->t[i].quoted) {
		cfg_integ_list(list, sizeof(list));
		cfg_err_tok(p, st, i, "'%s' is not an integrity algorithm (expected %s)",
		            echo(st, i, e, sizeof(e)), list);
		return false;
	}
	if (cfg_integ_info(v)->weak)
		cfg_warn_tok(p, st, i,
		             "%s is a weak algorithm (RFC 8221, RFC 8247); prefer "
		             "hmac-sha2-256-128 or hmac-sha1-96",
		             cfg_integ_info(v)->name);
	*out = v;
	return true;
}

bool
cfg_arg_prf(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, enum cfg_prf *out)
{
	char list[256], e[ECHO_MAX + 8];
	enum cfg_prf v;

	if (!cfg_need(p, st, i, "pseudo-random function"))
		return false;
	if (!cfg_prf_lookup(st->t[i].s, &v) || st->t[i].quoted) {
		cfg_prf_list(list, sizeof(list));
		cfg_err_tok(p, st, i, "'%s' is not a pseudo-random function (expected %s)",
		            echo(st, i, e, sizeof(e)), list);
		return false;
	}
	if (cfg_prf_info(v)->weak)
		cfg_warn_tok(p, st, i,
		             "%s is a weak algorithm (RFC 8247); prefer hmac-sha2-256 or "
		             "hmac-sha1",
		             cfg_prf_info(v)->name);
	*out = v;
	return true;
}

bool
cfg_arg_dh(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
           uint16_t *out)
{
	char list[128];
	uint32_t g;

	cfg_dh_list(list, sizeof(list));
	if (!cfg_u32(p, st, i, what, 0, UINT32_MAX, list, &g))
		return false;
	if (g > UINT16_MAX || !cfg_dh_group_supported((uint16_t)g)) {
		cfg_err_tok(p, st, i, "%s %u is not supported (expected %s)", what, (unsigned)g,
		            list);
		return false;
	}
	if (cfg_dh_group_weak((uint16_t)g))
		cfg_warn_tok(p, st, i,
		             "%s %u (%s) is a weak group (RFC 8247); prefer 14, 19 or stronger",
		             what, (unsigned)g, cfg_dh_group_desc((uint16_t)g));
	*out = (uint16_t)g;
	return true;
}

bool
cfg_arg_replay(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, uint32_t *out)
{
	uint32_t v;

	if (!cfg_u32(p, st, i, "anti-replay-window", 0, CFG_REPLAY_WINDOW_MAX, "0 or 32-4096", &v))
		return false;
	if (v > 0 && v < 32) {
		cfg_err_tok(p, st, i,
		            "anti-replay-window %u is out of range (expected 0 or 32-4096)",
		            (unsigned)v);
		return false;
	}
	if (v == 0)
		cfg_warn_tok(p, st, i,
		             "anti-replay-window 0 turns replay protection off (RFC 4303 §3.4.3)");
	*out = v;
	return true;
}

bool
cfg_arg_addr(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
             struct cfg_addr *out)
{
	char e[ECHO_MAX + 8];

	if (!cfg_need(p, st, i, what))
		return false;
	if (!cfg_addr_parse(st->t[i].s, out)) {
		cfg_err_tok(p, st, i, "%s '%s' is not an IPv4 or IPv6 address", what,
		            echo(st, i, e, sizeof(e)));
		return false;
	}
	return true;
}

bool
cfg_arg_prefix(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
               bool host_bits, struct cfg_prefix *out)
{
	char e[ECHO_MAX + 8];
	const char *why;

	if (!cfg_need(p, st, i, what))
		return false;
	why = cfg_prefix_parse(st->t[i].s, host_bits, out);
	if (why) {
		cfg_err_tok(p, st, i, "%s '%s' %s (expected ADDRESS/LENGTH)", what,
		            echo(st, i, e, sizeof(e)), why);
		return false;
	}
	return true;
}

bool
cfg_arg_id(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
           bool wildcard_ok, struct cfg_id *out, unsigned *next)
{
	static const char *const types[] = {"fqdn", "user-fqdn", "key-id"};
	const char *type = NULL, *why;
	char e[ECHO_MAX + 8];

	if (!cfg_need(p, st, i, what))
		return false;
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		if (cfg_is(st, i, types[k]))
			type = types[k];
	}
	if (type && !cfg_need(p, st, ++i, type[0] == 'k' ? "hex key id" : "identity"))
		return false;
	why = cfg_id_parse(type, st->t[i].s, wildcard_ok, out);
	if (why) {
		cfg_err_tok(p, st, i,
		            "%s '%s' %s (expected an address, fqdn NAME, user-fqdn USER@NAME or "
		            "key-id HEX)",
		            what, echo(st, i, e, sizeof(e)), why);
		return false;
	}
	*next = i + 1;
	return true;
}

static int
key_set(struct secret *out, const void *p, size_t n)
{
	return secret_set(out, p, n) == 0 ? 0 : -ENOMEM;
}

static int
key_masked(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, size_t max,
           struct secret *out)
{
	uint8_t other[4];
	int rc;

	if (!cfg_need(p, st, i, "masked key"))
		return 0;
	if (!p->mk) {
		cfg_err_tok(p, st, i,
		            "a masked key needs the cluster's master key, and none is loaded "
		            "(expected --master-key PATH)");
		return 0;
	}
	rc = cfg_unmask(p->mk, st->t[i].s, out, other);
	if (rc == -ENOMEM)
		return rc;
	if (rc == -EKEYREJECTED) {
		cfg_err_tok(p, st, i,
		            "the key was masked with master key %02x%02x%02x%02x, not with this "
		            "node's %02x%02x%02x%02x (expected the cluster's master key file)",
		            other[0], other[1], other[2], other[3], p->mk->id[0], p->mk->id[1],
		            p->mk->id[2], p->mk->id[3]);
		return 0;
	}
	if (rc != 0) {
		cfg_err_tok(p, st, i,
		            "not a valid masked key (damaged, or not written by tandem; expected "
		            "the masked-key text of 'show configuration')");
		return 0;
	}
	if (out->s_len == 0 || out->s_len > max) {
		secret_clear(out);
		cfg_err_tok(p, st, i,
		            "the masked key holds a key of a bad length (expected 1 to %zu "
		            "bytes)",
		            max);
	}
	return 0;
}

static int
key_hex(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, size_t max, struct secret *out)
{
	uint8_t tmp[CFG_PSK_MAX];
	int n, rc;

	n = hex_decode(st->t[i].s, tmp, max < sizeof(tmp) ? max : sizeof(tmp));
	if (n == -ENOSPC) {
		cfg_err_tok(p, st, i, "the key is longer than %zu bytes", max);
		return 0;
	}
	if (n <= 0) {
		cfg_err_tok(p, st, i, "the key is not hex (expected an even number of hex digits)");
		return 0;
	}
	rc = key_set(out, tmp, (size_t)n);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return rc;
}

static int
key_text(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, size_t max,
         struct secret *out)
{
	const struct cfg_tok *t = &st->t[i];

	if (strcmp(t->s, CFG_HIDDEN) == 0) {
		cfg_err_tok(p, st, i,
		            "'" CFG_HIDDEN "' stands for a key in a printout made without the "
		            "master key (expected the key itself or its masked-key form)");
		return 0;
	}
	if (t->len == 0 || t->len > max) {
		cfg_err_tok(p, st, i, "the key is %s (expected 1 to %zu bytes)",
		            t->len ? "too long" : "empty", max);
		return 0;
	}
	return key_set(out, t->s, t->len);
}

int
cfg_arg_key(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
            bool hex0x, size_t max, struct secret *out, unsigned *next)
{
	const struct cfg_tok *t;

	secret_clear(out);
	if (i >= st->n) {
		/* The key may have been wrapped onto the next line: do not echo that line. */
		p->secret_pending = true;
		cfg_err_tok(p, st, i, "missing %s", what);
		return 0;
	}
	t = &st->t[i];
	if (cfg_is(st, i, "masked-key")) {
		*next = i + 2;
		return key_masked(p, st, i + 1, max, out);
	}
	if (cfg_is(st, i, "hex")) {
		*next = i + 2;
		if (!cfg_need(p, st, i + 1, "hex key")) {
			p->secret_pending = true;
			return 0;
		}
		return key_hex(p, st, i + 1, max, out);
	}
	*next = i + 1;
	if (hex0x && !t->quoted && t->s[0] == '0' && (t->s[1] == 'x' || t->s[1] == 'X'))
		return key_hex(p, st, i, max, out);
	return key_text(p, st, i, max, out);
}

int
cfg_seq_insert(void *base, size_t size, unsigned n, uint32_t seq, unsigned *dup)
{
	uint8_t *b = base;
	unsigned i = 0;

	for (; i < n; i++) {
		uint32_t s;

		memcpy(&s, b + (size_t)i * size, sizeof(s));
		if (s == seq) {
			*dup = i;
			return -1;
		}
		if (s > seq)
			break;
	}
	memmove(b + (size_t)(i + 1) * size, b + (size_t)i * size, (size_t)(n - i) * size);
	memset(b + (size_t)i * size, 0, size);
	return (int)i;
}

int
cfg_register(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, unsigned ns,
             const void *scope, const char *name, void *obj, size_t loc_off, const char *what)
{
	struct cfg_loc old_loc;
	void *old = NULL;
	int rc;

	if (!name[0])
		return 0;
	rc = cfg_index_add(p->names, ns, scope, name, obj, &old);
	if (rc != -EEXIST)
		return rc;
	memcpy(&old_loc, (const uint8_t *)old + loc_off, sizeof(old_loc));
	cfg_err_tok(p, st, i, "%s '%s' is already defined on line %u (names are unique)", what,
	            name, (unsigned)old_loc.line);
	return -EEXIST;
}
