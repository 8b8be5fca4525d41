/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the files of node/config: the tokenized statement, the block stack of
 * the IOS-style parser with its per-block statement tables, the diagnostics helpers, the
 * name index and the helpers that parse values (names, numbers, algorithms, addresses,
 * identities, keys). Nothing outside node/config includes this header.
 */
#ifndef TANDEM_NODE_CONFIG_CFG_INT_H
#define TANDEM_NODE_CONFIG_CFG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/config/cfg.h"
#include "node/core/buf.h"

#define CFG_LINE_MAX     4096u       /* bytes per line, without the newline */
#define CFG_FILE_MAX     (16u << 20) /* bytes per file */
#define CFG_MAX_ERRORS   100u        /* parsing stops after this many errors */
#define CFG_MAX_WARNINGS 1000u       /* further warnings are counted, not stored */
#define CFG_MAX_DEPTH    8u          /* open blocks: top, context, interface is 3 */
#define CFG_MAX_TOKENS   (CFG_LINE_MAX / 2u + 1u)
#define CFG_PSK_MAX      1024u /* bytes of a pre-shared key */
#define CFG_KEY_MAX      64u   /* bytes of a manual SA key (the longest algorithm key) */
#define CFG_HIDDEN       "<hidden>"
#define CFG_DESC_MAX     1024u /* bytes of a description */
#define CFG_WHERE_MAX    160u

/* Defaults of the global IKE settings (tandem extensions; strongSwan's cookie threshold). */
#define CFG_COOKIE_THRESHOLD_DEFAULT 30u
#define CFG_RETRANSMIT_BASE_DEFAULT  1000u /* ms */
#define CFG_RETRANSMIT_TRIES_DEFAULT 6u

/* One token of a line. `s` is NUL-terminated (quotes removed, escapes resolved). */
struct cfg_tok {
	const char *s;
	uint32_t len;
	uint32_t col; /* 1-based byte column of the token's first byte (its quote if quoted) */
	bool quoted;  /* a quoted token is a value, never a keyword */
};

/* A statement: the tokens of one line and how many of them the keyword table matched. */
struct cfg_stmt {
	const struct cfg_tok *t;
	unsigned n;
	unsigned kw;   /* t[0..kw) are the keywords; arguments start at t[kw] */
	uint32_t line; /* 1-based */
	uint32_t eol;  /* column just after the last byte of the line (for missing tokens) */
};

enum cfg_blk {
	CFG_BLK_TOP = 0,
	CFG_BLK_CONTEXT,
	CFG_BLK_INTERFACE,
	CFG_BLK_IKE_PROP,
	CFG_BLK_IKE_POLICY,
	CFG_BLK_IPSEC_PROP,
	CFG_BLK_IPSEC_POLICY,
	CFG_BLK_IPSEC_SA,
	CFG_BLK_SA_DIR,
	CFG_BLK_QOS,
	CFG_BLK_ACL,
	CFG_BLK_PROFILE,
	CFG_BLK_ASP_POOL,
	CFG_BLK_ASP_GROUP,
	CFG_BLK_TUNNEL,
	CFG_BLK_CLUSTER,
	CFG_BLK_IGNORED, /* card, port, administrator: swallows what no block accepts */
	CFG_BLK_NONE,    /* in a statement table: the statement opens no block */
	CFG_BLK_COUNT = CFG_BLK_NONE
};

struct cfg_parser;
struct cfg_frame;

/*
 * A statement handler. Reports its own configuration errors through cfg_err*; returns 0,
 * or -ENOMEM (which ends parsing). An opening handler finds its frame already pushed
 * (cfg_top) and must set frame->obj and frame->where.
 */
typedef int (*cfg_stmt_fn)(struct cfg_parser *p, const struct cfg_stmt *st);
typedef int (*cfg_close_fn)(struct cfg_parser *p, struct cfg_frame *f);

/* One row of a block's statement table: the keywords that select it, and what it opens. */
struct cfg_kw {
	const char *words[3]; /* 1 to 3 keywords; unused ones NULL */
	cfg_stmt_fn fn;
	enum cfg_blk opens; /* CFG_BLK_NONE for a plain statement */
};

struct cfg_blk_def {
	const char *name; /* for "what it accepts" lists */
	const struct cfg_kw *kws;
	size_t nkws;
	cfg_close_fn close; /* NULL: nothing to finish */
	bool vendor;        /* also accepts the ignored vendor statements */
};

#define CFG_SLOTS 16u

/* An open block. set_line/set_col remember statements that may appear once. */
struct cfg_frame {
	enum cfg_blk kind;
	void *obj;
	char where[CFG_WHERE_MAX]; /* "ike2 proposal NAME": the "in '…'" of diagnostics */
	struct cfg_loc loc;        /* the opening statement */
	uint32_t set_line[CFG_SLOTS];
	uint32_t set_col[CFG_SLOTS];
	unsigned nlines; /* CFG_BLK_IGNORED: lines swallowed */
	int aux;         /* per kind: IKE version, SA direction, … */
};

struct cfg_index;

struct cfg_parser {
	struct cfg *cfg;
	struct cfg_diags *diags;
	const struct cfg_mask_key *mk;
	const char *file; /* cfg->source_name */
	struct cfg_frame frames[CFG_MAX_DEPTH];
	unsigned depth;            /* frames[0] is the top level */
	char where[CFG_WHERE_MAX]; /* "in '…'" for the statement being handled */
	unsigned nerrors, nwarnings, nwarn_dropped;
	bool nomem;
	bool ended;          /* "end" seen */
	bool secret_pending; /* the last statement wanted a key and got none */
	struct cfg_index *names;
	struct cfg_tok *toks; /* CFG_MAX_TOKENS */
	char *tokbuf;         /* unescaped token text of the current line */
};

/* ---- statement tables (one per block kind, defined next to their handlers) ---------------- */

extern const struct cfg_blk_def cfg_blk_top, cfg_blk_context, cfg_blk_interface;
extern const struct cfg_blk_def cfg_blk_ike_prop, cfg_blk_ike_policy;
extern const struct cfg_blk_def cfg_blk_ipsec_prop, cfg_blk_ipsec_policy, cfg_blk_ipsec_sa;
extern const struct cfg_blk_def cfg_blk_sa_dir, cfg_blk_qos, cfg_blk_acl, cfg_blk_profile;
extern const struct cfg_blk_def cfg_blk_asp_pool, cfg_blk_asp_group, cfg_blk_tunnel;
extern const struct cfg_blk_def cfg_blk_cluster, cfg_blk_ignored;

/* Handlers used by more than one table (cfg_stmt_top.c). */
int cfg_stmt_ignored(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_stmt_ignored_block(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_stmt_ignored_close(struct cfg_parser *p, struct cfg_frame *f);
/* The ignored vendor statements, accepted by blocks whose definition sets `vendor`. */
extern const struct cfg_kw cfg_kws_ignored[];
extern const size_t cfg_nkws_ignored;

/* ---- lexer (cfg_lex.c) -------------------------------------------------------------------- */

/*
 * Tokenizes line[start..len) into p->toks/p->tokbuf and fills st. Returns 0, or -1 after
 * reporting an error (the line is skipped). p->where must name the innermost open block.
 */
int cfg_lex_line(struct cfg_parser *p, const char *line, size_t len, size_t start, uint32_t lineno,
                 struct cfg_stmt *st);

/* ---- block openers, used by the tables of enclosing blocks ---------------------------------- */

int cfg_open_ike_prop(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_ike_policy(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_ipsec_prop(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_ipsec_policy(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_ipsec_sa(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_qos(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_acl(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_profile(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_asp_pool(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_asp_group(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_context(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_interface(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_tunnel(struct cfg_parser *p, const struct cfg_stmt *st);
int cfg_open_cluster(struct cfg_parser *p, const struct cfg_stmt *st);
/*
 * Registers a named object in the index; a duplicate is reported at token i ("'what NAME' is
 * already defined on line N"). Returns 0, -EEXIST (reported) or -ENOMEM. Empty names are not
 * registered (their error was reported already).
 */
int cfg_register(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, unsigned ns,
                 const void *scope, const char *name, void *obj, size_t loc_off, const char *what);

/* "df-bit {propagate|set|clear}" (tunnels and profiles). */
bool cfg_arg_df(struct cfg_parser *p, const struct cfg_stmt *st, enum cfg_df_bit *out);
/*
 * "seq N ipsec-policy P [security-association SA] [access-group A]" (tunnels, allow_sa) or
 * "seq N ipsec-policy P [access-group A]" (profiles), inserted by seq into seqs (room for
 * CFG_MAX_TUNNEL_SEQS). Returns the new entry, or NULL after reporting an error.
 */
struct cfg_tunnel_seq *cfg_tseq_parse(struct cfg_parser *p, const struct cfg_stmt *st,
                                      struct cfg_tunnel_seq *seqs, unsigned *n, bool allow_sa);
/* "tcp", "udp", …: the ACL keyword of an IP protocol, NULL when it has none (cfg_stmt_acl.c). */
const char *cfg_proto_name(uint8_t proto);

/* ---- block stack (cfg_parse.c) ------------------------------------------------------------ */

struct cfg_frame *cfg_top(struct cfg_parser *p);
/* The frame of the block that accepted the current statement (the innermost one). */
#define cfg_cur(p) cfg_top(p)
/* Sets frame->where with printf formatting. */
void cfg_frame_where(struct cfg_frame *f, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* ---- diagnostics (cfg_diag.c) ------------------------------------------------------------- */

/* Error/warning "in '<p->where>': MSG" at line:col. Never pass a secret in the arguments. */
void cfg_err(struct cfg_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void cfg_warn(struct cfg_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* At token i of st; i == st->n points just past the end of the line (a missing token). */
void cfg_err_tok(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void cfg_warn_tok(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* At a stored location. */
void cfg_err_at(struct cfg_parser *p, const struct cfg_loc *loc, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void cfg_warn_at(struct cfg_parser *p, const struct cfg_loc *loc, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Sets p->where for diagnostics of the validation phase. */
void cfg_where(struct cfg_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a raw diagnostic (no "in '…'" prefix). */
void cfg_diag_raw(struct cfg_parser *p, enum cfg_diag_sev sev, uint32_t line, uint32_t col,
                  const char *msg);
/* Appends a diagnostic whatever the caps. Returns 0 or -ENOMEM. */
int cfg_diags_push(struct cfg_diags *d, enum cfg_diag_sev sev, uint32_t line, uint32_t col,
                   const char *msg);
/* True when parsing must stop (error cap reached or out of memory). */
bool cfg_stopped(const struct cfg_parser *p);
/* Sorts the diagnostics from index `from` on by line and column (stable). */
void cfg_diags_sort(struct cfg_diags *d, size_t from);
/* Copies at most `max` printable bytes of s into out (cap bytes), '?' for the others. */
void cfg_safe_str(const char *s, size_t max, char *out, size_t cap);

/* ---- statement argument helpers (cfg_args.c) ---------------------------------------------- */

struct cfg_loc cfg_tok_loc(const struct cfg_parser *p, const struct cfg_stmt *st, unsigned i);
/* True when token i exists, is unquoted and equals kw. */
bool cfg_is(const struct cfg_stmt *st, unsigned i, const char *kw);
/* Reports "missing WHAT" when token i does not exist. */
bool cfg_need(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what);
/* Reports tokens from i on as unexpected (echoing the first one). */
bool cfg_end(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i);
/* Like cfg_end, but never echoes the token (it may be part of a key). */
bool cfg_end_secret(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i);
/* Reports a duplicate of a once-only statement of the current block (slot < CFG_SLOTS). */
bool cfg_once(struct cfg_parser *p, const struct cfg_stmt *st, unsigned slot);
/* The same for the block of frame f (an opener checks the block that contains it). */
bool cfg_once_in(struct cfg_parser *p, struct cfg_frame *f, const struct cfg_stmt *st,
                 unsigned slot);
/* Where the once-only statement `slot` of frame f was written. */
struct cfg_loc cfg_slot_loc(const struct cfg_parser *p, const struct cfg_frame *f, unsigned slot);
/* True when the once-only statement `slot` was written in frame f. */
bool cfg_was_set(const struct cfg_frame *f, unsigned slot);
/* A name (1..63 of [A-Za-z0-9_.:/-]) into out; on error reports it and leaves out "". */
bool cfg_name(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
              char out[CFG_NAME_MAX]);
bool cfg_name_valid(const char *s);
/* Decimal u32/u64 in [lo, hi]; `expected` is the range text for the message. */
bool cfg_u32(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
             uint32_t lo, uint32_t hi, const char *expected, uint32_t *out);
bool cfg_u64(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
             uint64_t lo, uint64_t hi, const char *expected, uint64_t *out);
bool cfg_parse_u64(const char *s, uint64_t *out);
/* One of `words` (NULL-terminated); returns its index or -1 after reporting. */
int cfg_choice(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
               const char *const *words);
/* The tokens from i on, joined by one space, as an owned string in *out (replacing it). */
int cfg_text(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, char **out);
/* The same for a description, which may appear once per block (slot). */
int cfg_description(struct cfg_parser *p, const struct cfg_stmt *st, unsigned slot, char **out);
/* Algorithms, with the list of accepted names in the message. */
bool cfg_arg_encr(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, unsigned where,
                  enum cfg_encr *out);
bool cfg_arg_integ(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i,
                   enum cfg_integ *out);
bool cfg_arg_prf(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, enum cfg_prf *out);
bool cfg_arg_dh(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
                uint16_t *out);
/* "anti-replay-window N": 0 (off, with a warning) or 32..4096 (RFC 4303 §3.4.3). */
bool cfg_arg_replay(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, uint32_t *out);
/* Addresses and prefixes. host_bits: keep (interface, VIP) or require zero (route, ACL). */
bool cfg_arg_addr(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
                  struct cfg_addr *out);
bool cfg_arg_prefix(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
                    bool host_bits, struct cfg_prefix *out);
/* An identity (one or two tokens); *next gets the index after it. */
bool cfg_arg_id(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
                bool wildcard_ok, struct cfg_id *out, unsigned *next);
/*
 * A key (pre-shared or manual): "hex H", "0x…" (when hex0x), "masked-key B64" or text, from
 * token i on; *next gets the index after it. max bounds the length. Never echoes the key.
 */
int cfg_arg_key(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
                bool hex0x, size_t max, struct secret *out, unsigned *next);

/*
 * Makes room for `seq` in a seq-sorted array of n elements of `size` bytes whose first member
 * is `uint32_t seq` (the array has room for n + 1). Returns the zeroed element's index, or -1
 * when seq is already there (*dup gets its index).
 */
int cfg_seq_insert(void *base, size_t size, unsigned n, uint32_t seq, unsigned *dup);

/* Where algorithms may appear (cfg_algo.c). */
enum {
	CFG_USE_IKEV1 = 1u << 0,
	CFG_USE_IKEV2 = 1u << 1,
	CFG_USE_ESP = 1u << 2,
	CFG_USE_MANUAL = 1u << 3,
};

/* ---- algorithms (cfg_algo.c) --------------------------------------------------------------- */

/* Looks a keyword up (aliases included). Returns false when unknown. */
bool cfg_encr_lookup(const char *s, enum cfg_encr *out);
bool cfg_integ_lookup(const char *s, enum cfg_integ *out);
bool cfg_prf_lookup(const char *s, enum cfg_prf *out);
/* The uses (CFG_USE_*) an encryption algorithm is allowed in. */
unsigned cfg_encr_uses(enum cfg_encr e);
/* "a, b or c" lists for messages. */
void cfg_encr_list(unsigned use, char *out, size_t cap);
void cfg_integ_list(char *out, size_t cap);
void cfg_prf_list(char *out, size_t cap);
void cfg_dh_list(char *out, size_t cap);

/* ---- addresses and identities (cfg_addr.c) -------------------------------------------------- */

bool cfg_addr_parse(const char *s, struct cfg_addr *out);
/* Returns 0, or a static reason ("not an address", "bad length", "host bits set"). */
const char *cfg_prefix_parse(const char *s, bool host_bits, struct cfg_prefix *out);
bool cfg_addr_eq(const struct cfg_addr *a, const struct cfg_addr *b);
int cfg_addr_cmp(const struct cfg_addr *a, const struct cfg_addr *b);
int cfg_prefix_cmp(const struct cfg_prefix *a, const struct cfg_prefix *b);
/* True when a is inside p (same family, first p->len bits equal). */
bool cfg_prefix_contains(const struct cfg_prefix *p, const struct cfg_addr *a);
bool cfg_id_eq(const struct cfg_id *a, const struct cfg_id *b);
/*
 * Parses an identity from its type keyword (NULL for an unprefixed value) and value.
 * Returns NULL or a static reason.
 */
const char *cfg_id_parse(const char *type, const char *value, bool wildcard_ok, struct cfg_id *out);

/* ---- name index (cfg_index.c) --------------------------------------------------------------- */

enum cfg_ns {
	CFG_NS_IKE_PROP = 1,
	CFG_NS_IPSEC_PROP,
	CFG_NS_IPSEC_POLICY,
	CFG_NS_IPSEC_SA,
	CFG_NS_QOS,
	CFG_NS_ASP_POOL,
	CFG_NS_ASP_GROUP,
	CFG_NS_CONTEXT,
	CFG_NS_TUNNEL,
	CFG_NS_INTERFACE, /* scope: the context */
	CFG_NS_IKE_POLICY,
	CFG_NS_ACL,
	CFG_NS_PROFILE,
	CFG_NS_ROUTE,      /* scope: the context; key: the route's text */
	CFG_NS_STATIC_KEY, /* scope: the context; key: local endpoint + remote-id */
	CFG_NS_STATIC_ID,  /* scope: the context; key: remote-id */
	CFG_NS_LOCAL_EP,   /* scope: none; key: a tunnel's local endpoint address */
};

struct cfg_index *cfg_index_new(void);
void cfg_index_free(struct cfg_index *ix);
/*
 * Adds (ns, scope, key) → obj. Returns 0, -EEXIST (with *old set to the object already
 * there) or -ENOMEM. The key is copied.
 */
int cfg_index_add(struct cfg_index *ix, unsigned ns, const void *scope, const char *key, void *obj,
                  void **old);
void *cfg_index_get(const struct cfg_index *ix, unsigned ns, const void *scope, const char *key);

/* ---- model (cfg_model.c) -------------------------------------------------------------------- */

struct cfg *cfg_new(const char *name);
/* The context NAME, created (and indexed) when missing. NULL on ENOMEM. */
struct cfg_context *cfg_ctx_get(struct cfg_parser *p, const char *name, bool *created);
char *cfg_strdup(const char *s);

/* ---- phases ---------------------------------------------------------------------------------- */

/* Resolves every reference and checks the rules across objects (cfg_validate.c). */
int cfg_validate(struct cfg_parser *p);
int cfg_validate_tunnels(struct cfg_parser *p);
/* Resolves a seq entry's ipsec-policy (global) and access-group (acl_ctx, then acl_ctx2). */
void cfg_seq_refs(struct cfg_parser *p, struct cfg_tunnel_seq *s, struct cfg_context *acl_ctx,
                  struct cfg_context *acl_ctx2);
struct cfg_acl *cfg_acl_lookup(struct cfg_parser *p, struct cfg_context *a, struct cfg_context *b,
                               const char *name);
int cfg_validate_cluster(struct cfg_parser *p);

/* Writes key material masked (or <hidden>) for the printer (cfg_print.c). */
void cfg_print_secret(const struct secret *s, const struct cfg_mask_key *mk, struct buf *out);
/* Writes a token, quoted when it must be (cfg_print.c). */
void cfg_print_token(struct buf *out, const char *s);

#endif
