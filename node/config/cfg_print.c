/* SPDX-License-Identifier: MIT */
/*
 * The canonical form (docs/configuration.md, "Canonical form and digest"): objects in a fixed
 * order of kinds, each kind sorted by name, two spaces of indent per block, a "!" line closing
 * each block, keys masked. CHANGED mode leaves out values equal to their defaults; VERBOSE
 * writes them all and is what the digest hashes. Both parse back to the same configuration.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"
#include "node/config/cfg_print_int.h"

void
cfg_pr_line(struct cfg_pr *w, unsigned depth, const char *fmt, ...)
{
	va_list ap;

	for (unsigned i = 0; i < depth; i++)
		buf_put_str(w->out, "  ");
	va_start(ap, fmt);
	{
		char line[CFG_LINE_MAX];

		vsnprintf(line, sizeof(line), fmt, ap);
		buf_put_str(w->out, line);
	}
	va_end(ap);
	buf_put_u8(w->out, '\n');
}

void
cfg_pr_close(struct cfg_pr *w, unsigned depth)
{
	cfg_pr_line(w, depth, "!");
}

/* ---- tokens and keys ---------------------------------------------------------------------- */

static bool
plain_text(const char *s)
{
	/* A plain token may hold '\\' (escapes exist only inside quotes). */
	if (!*s || *s == ' ' || s[strlen(s) - 1] == ' ')
		return false;
	for (const char *c = s; *c; c++) {
		if (*c == '"' || *c == '\t' || (c[0] == ' ' && c[1] == ' '))
			return false;
	}
	return true;
}

void
cfg_print_token(struct buf *out, const char *s)
{
	if (plain_text(s)) {
		buf_put_str(out, s);
		return;
	}
	buf_put_u8(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_put_u8(out, '\\');
		buf_put_u8(out, (uint8_t)*s);
	}
	buf_put_u8(out, '"');
}

void
cfg_pr_description(struct cfg_pr *w, unsigned depth, const char *text)
{
	if (!text)
		return;
	for (unsigned i = 0; i < depth; i++)
		buf_put_str(w->out, "  ");
	buf_put_str(w->out, "description ");
	cfg_print_token(w->out, text);
	buf_put_u8(w->out, '\n');
}

void
cfg_print_secret(const struct secret *s, const struct cfg_mask_key *mk, struct buf *out)
{
	if (!mk) {
		buf_put_str(out, CFG_HIDDEN);
		return;
	}
	buf_put_str(out, "masked-key ");
	if (cfg_mask(mk, s->s_data, s->s_len, out) != 0)
		out->b_err = true;
}

/* "PREFIX key masked-key …": one line ending in a key. */
void
cfg_pr_key_line(struct cfg_pr *w, unsigned depth, const char *prefix, const struct secret *s)
{
	for (unsigned i = 0; i < depth; i++)
		buf_put_str(w->out, "  ");
	buf_put_str(w->out, prefix);
	buf_put_u8(w->out, ' ');
	cfg_print_secret(s, w->mk, w->out);
	buf_put_u8(w->out, '\n');
}

/* ---- sorting ------------------------------------------------------------------------------- */

/*
 * Collects the n elements of a list into a new array sorted with cmp. Returns NULL (and sets
 * w->err) when out of memory; an empty list gives NULL with no error.
 */
void **
cfg_pr_sorted(struct cfg_pr *w, void *first, size_t next_off, size_t n,
              int (*cmp)(const void *, const void *))
{
	void **v;
	size_t i = 0;

	if (n == 0)
		return NULL;
	v = calloc(n, sizeof(*v));
	if (!v) {
		w->err = -ENOMEM;
		return NULL;
	}
	for (void *e = first; e && i < n; e = *(void **)((char *)e + next_off))
		v[i++] = e;
	qsort(v, i, sizeof(*v), cmp);
	return v;
}

/* ---- global settings and objects ------------------------------------------------------------ */

static void
pr_ike_settings(struct cfg_pr *w, const struct cfg *cfg)
{
	bool base = w->verbose || cfg->ike_retransmit_base_ms != CFG_RETRANSMIT_BASE_DEFAULT;
	bool tries = w->verbose || cfg->ike_retransmit_tries != CFG_RETRANSMIT_TRIES_DEFAULT;

	if (w->verbose || cfg->ike_cookie_threshold != CFG_COOKIE_THRESHOLD_DEFAULT)
		cfg_pr_line(w, 0, "ike cookie-threshold %u", (unsigned)cfg->ike_cookie_threshold);
	if (base && tries)
		cfg_pr_line(w, 0, "ike retransmit base %u tries %u",
		            (unsigned)cfg->ike_retransmit_base_ms,
		            (unsigned)cfg->ike_retransmit_tries);
	else if (base)
		cfg_pr_line(w, 0, "ike retransmit base %u", (unsigned)cfg->ike_retransmit_base_ms);
	else if (tries)
		cfg_pr_line(w, 0, "ike retransmit tries %u", (unsigned)cfg->ike_retransmit_tries);
	if (cfg->metrics_addr.family) {
		char a[64];

		cfg_addr_str(&cfg->metrics_addr, a, sizeof(a));
		cfg_pr_line(w, 0,
		            cfg->metrics_addr.family == AF_INET6 ? "metrics listen [%s]:%u"
		                                                 : "metrics listen %s:%u",
		            a, (unsigned)cfg->metrics_port);
	}
}

/* Slot and engine numbers of "S/N" (validated when parsed). */
static void
asp_nums(const char *s, unsigned long *slot, unsigned long *n)
{
	char *end;

	*slot = strtoul(s, &end, 10);
	*n = *end == '/' ? strtoul(end + 1, NULL, 10) : 0;
}

static int
asp_cmp(const void *a, const void *b)
{
	unsigned long s1, n1, s2, n2;

	asp_nums(*(const char *const *)a, &s1, &n1);
	asp_nums(*(const char *const *)b, &s2, &n2);
	if (s1 != s2)
		return s1 < s2 ? -1 : 1;
	return n1 < n2 ? -1 : (n1 > n2);
}

static void
pr_pool(struct cfg_pr *w, const struct cfg_asp_pool *pool)
{
	const char *asps[CFG_MAX_POOL_ASPS];

	cfg_pr_line(w, 0, "asp pool %s service security", pool->name);
	for (unsigned i = 0; i < pool->nasps; i++)
		asps[i] = pool->asps[i];
	qsort(asps, pool->nasps, sizeof(asps[0]), asp_cmp);
	for (unsigned i = 0; i < pool->nasps; i++)
		cfg_pr_line(w, 1, "asp %s", asps[i]);
	cfg_pr_close(w, 0);
}

static void
pr_group(struct cfg_pr *w, const struct cfg_asp_group *g)
{
	cfg_pr_line(w, 0, "asp group %s", g->name);
	cfg_pr_line(w, 1, "pool %s", g->pool_name);
	if (w->verbose || g->asp_count != 1)
		cfg_pr_line(w, 1, "asp-count %u", (unsigned)g->asp_count);
	cfg_pr_close(w, 0);
}

static void
pr_ike_prop(struct cfg_pr *w, const struct cfg_ike_proposal *pr)
{
	bool v1 = pr->version == CFG_IKEV1, v = w->verbose;

	cfg_pr_line(w, 0, "%s proposal %s", v1 ? "ike" : "ike2", pr->name);
	cfg_pr_description(w, 1, pr->description);
	if (v1 && (v || pr->auth_method != CFG_AUTH_PSK))
		cfg_pr_line(w, 1, "authentication %s",
		            pr->auth_method == CFG_AUTH_PSK ? "pre-shared-key" : "rsa-signature");
	if (!cfg_encr_info(pr->encr)->aead && (v || pr->integ != CFG_INTEG_HMAC_SHA1_96))
		cfg_pr_line(w, 1, "authentication algorithm %s", cfg_integ_info(pr->integ)->name);
	if (v || pr->encr != CFG_ENCR_AES128_CBC)
		cfg_pr_line(w, 1, "encryption algorithm %s", cfg_encr_info(pr->encr)->name);
	if (!v1 && (v || pr->prf != CFG_PRF_HMAC_SHA1))
		cfg_pr_line(w, 1, "pseudo-random-function %s", cfg_prf_info(pr->prf)->name);
	if (v || pr->dh_group != 1)
		cfg_pr_line(w, 1, "dh-group %u", (unsigned)pr->dh_group);
	if (v1 && (v || pr->lifetime_sec != 86400))
		cfg_pr_line(w, 1, "lifetime seconds %u", (unsigned)pr->lifetime_sec);
	cfg_pr_close(w, 0);
}

/* Seed 004 §8.1 rules in reverse: CHANGED writes enough for the parser to mean the same. */
static void
pr_ipsec_esp(struct cfg_pr *w, const struct cfg_ipsec_proposal *pr)
{
	bool aead = cfg_encr_info(pr->esp_encr)->aead;
	bool integ = !aead && (w->verbose || pr->esp_integ != CFG_INTEG_HMAC_SHA1_96);

	if (!pr->esp)
		return;
	if (w->verbose || integ || pr->ah || pr->esp_encr != CFG_ENCR_AES128_CBC)
		cfg_pr_line(w, 1, "esp encryption %s", cfg_encr_info(pr->esp_encr)->name);
	if (integ)
		cfg_pr_line(w, 1, "esp authentication %s", cfg_integ_info(pr->esp_integ)->name);
}

static void
pr_ipsec_prop(struct cfg_pr *w, const struct cfg_ipsec_proposal *pr)
{
	cfg_pr_line(w, 0, "ipsec proposal %s", pr->name);
	cfg_pr_description(w, 1, pr->description);
	pr_ipsec_esp(w, pr);
	if (pr->ah)
		cfg_pr_line(w, 1, "ah %s", cfg_integ_info(pr->ah_integ)->name);
	if (w->verbose || pr->ipcomp)
		cfg_pr_line(w, 1, "%sip-comp", pr->ipcomp ? "" : "no ");
	if (w->verbose || pr->esn)
		cfg_pr_line(w, 1, "%sesn", pr->esn ? "" : "no ");
	if (w->verbose || pr->lifetime_sec != 86400)
		cfg_pr_line(w, 1, "lifetime seconds %u", (unsigned)pr->lifetime_sec);
	if (pr->lifetime_kbytes)
		cfg_pr_line(w, 1, "lifetime kbytes %llu", (unsigned long long)pr->lifetime_kbytes);
	cfg_pr_close(w, 0);
}

static void
pr_ipsec_policy(struct cfg_pr *w, const struct cfg_ipsec_policy *pol)
{
	cfg_pr_line(w, 0, "ipsec policy %s", pol->name);
	cfg_pr_description(w, 1, pol->description);
	if (w->verbose || pol->replay_window != 64)
		cfg_pr_line(w, 1, "anti-replay-window %u", (unsigned)pol->replay_window);
	if (pol->pfs_group)
		cfg_pr_line(w, 1, "perfect-forward-secrecy dh-group %u", (unsigned)pol->pfs_group);
	for (unsigned i = 0; i < pol->nprops; i++)
		cfg_pr_line(w, 1, "seq %u proposal %s", (unsigned)pol->props[i].seq,
		            pol->props[i].name);
	cfg_pr_close(w, 0);
}

static void
pr_sa_dir(struct cfg_pr *w, const char *kw, const struct cfg_sa_dir *d)
{
	char pre[96];

	cfg_pr_line(w, 1, "%s", kw);
	if (d->esp) {
		cfg_pr_line(w, 2, "esp spi %u", (unsigned)d->esp_spi);
		if (d->esp_encr == CFG_ENCR_NULL) {
			cfg_pr_line(w, 2, "esp encryption null");
		} else {
			snprintf(pre, sizeof(pre), "esp encryption %s key",
			         cfg_encr_info(d->esp_encr)->name);
			cfg_pr_key_line(w, 2, pre, &d->esp_encr_key);
		}
		if (d->esp_integ != CFG_INTEG_NONE) {
			snprintf(pre, sizeof(pre), "esp authentication %s key",
			         cfg_integ_info(d->esp_integ)->name);
			cfg_pr_key_line(w, 2, pre, &d->esp_integ_key);
		}
	}
	if (d->ah) {
		cfg_pr_line(w, 2, "ah spi %u", (unsigned)d->ah_spi);
		snprintf(pre, sizeof(pre), "ah %s key", cfg_integ_info(d->ah_integ)->name);
		cfg_pr_key_line(w, 2, pre, &d->ah_key);
	}
	cfg_pr_close(w, 1);
}

static void
pr_sa(struct cfg_pr *w, const struct cfg_ipsec_sa *sa)
{
	cfg_pr_line(w, 0, "ipsec security-association %s", sa->name);
	cfg_pr_description(w, 1, sa->description);
	if (w->verbose || sa->replay_window != 64)
		cfg_pr_line(w, 1, "anti-replay-window %u", (unsigned)sa->replay_window);
	if (sa->ipcomp)
		cfg_pr_line(w, 1, "ip-comp");
	if (sa->both) {
		pr_sa_dir(w, "both", &sa->in);
	} else {
		pr_sa_dir(w, "in", &sa->in);
		pr_sa_dir(w, "out", &sa->out);
	}
	cfg_pr_close(w, 0);
}

static void
pr_qos(struct cfg_pr *w, const struct cfg_qos_policy *q)
{
	cfg_pr_line(w, 0, "ipsec qos policy %s pq", q->name);
	if (w->verbose || q->num_queues != 1)
		cfg_pr_line(w, 1, "num-queues %u", (unsigned)q->num_queues);
	cfg_pr_close(w, 0);
}

/* ---- the whole configuration --------------------------------------------------------------- */

/* NOLINTBEGIN(bugprone-macro-parentheses): type is a type name */
#define NAME_CMP(fn, type)                                                           \
	static int fn(const void *a, const void *b)                                  \
	{                                                                            \
		return strcmp((*(type *const *)a)->name, (*(type *const *)b)->name); \
	}
/* NOLINTEND(bugprone-macro-parentheses) */

NAME_CMP(pool_cmp, struct cfg_asp_pool)
NAME_CMP(group_cmp, struct cfg_asp_group)
NAME_CMP(ike_prop_cmp, struct cfg_ike_proposal)
NAME_CMP(ipsec_prop_cmp, struct cfg_ipsec_proposal)
NAME_CMP(ipsec_pol_cmp, struct cfg_ipsec_policy)
NAME_CMP(sa_cmp, struct cfg_ipsec_sa)
NAME_CMP(qos_cmp, struct cfg_qos_policy)

/* Prints every element of a TAILQ, sorted by name, with fn. */
/* NOLINTBEGIN(bugprone-macro-parentheses): type is a type name */
#define PRINT_SORTED(w, head, type, cmp, fn)                                                       \
	do {                                                                                       \
		size_t n_ = 0;                                                                     \
		type *e_;                                                                          \
		void **v_;                                                                         \
		TAILQ_FOREACH(e_, head, entry)                                                     \
		n_++;                                                                              \
		v_ = cfg_pr_sorted(w, TAILQ_FIRST(head), offsetof(type, entry.tqe_next), n_, cmp); \
		for (size_t i_ = 0; v_ && i_ < n_; i_++)                                           \
			fn(w, (const type *)v_[i_]);                                               \
		free(v_);                                                                          \
	} while (0)
/* NOLINTEND(bugprone-macro-parentheses) */

static void
pr_globals(struct cfg_pr *w, const struct cfg *cfg)
{
	PRINT_SORTED(w, &cfg->asp_pools, struct cfg_asp_pool, pool_cmp, pr_pool);
	PRINT_SORTED(w, &cfg->asp_groups, struct cfg_asp_group, group_cmp, pr_group);
	PRINT_SORTED(w, &cfg->ike_proposals, struct cfg_ike_proposal, ike_prop_cmp, pr_ike_prop);
	PRINT_SORTED(w, &cfg->ipsec_proposals, struct cfg_ipsec_proposal, ipsec_prop_cmp,
	             pr_ipsec_prop);
}

static void
pr_ipsec(struct cfg_pr *w, const struct cfg *cfg)
{
	PRINT_SORTED(w, &cfg->ipsec_policies, struct cfg_ipsec_policy, ipsec_pol_cmp,
	             pr_ipsec_policy);
	PRINT_SORTED(w, &cfg->ipsec_sas, struct cfg_ipsec_sa, sa_cmp, pr_sa);
	PRINT_SORTED(w, &cfg->qos_policies, struct cfg_qos_policy, qos_cmp, pr_qos);
}

int
cfg_print(const struct cfg *cfg, const struct cfg_mask_key *mk, enum cfg_print_mode mode,
          struct buf *out)
{
	struct cfg_pr w = {out, mk, mode == CFG_PRINT_VERBOSE, 0};

	pr_ike_settings(&w, cfg);
	pr_globals(&w, cfg);
	pr_ipsec(&w, cfg);
	cfg_pr_contexts(&w, cfg);
	cfg_pr_tunnels(&w, cfg);
	cfg_pr_cluster(&w, cfg);
	if (w.err)
		return w.err;
	return buf_ok(out) ? 0 : -ENOMEM;
}

int
cfg_digest(const struct cfg *cfg, const struct cfg_mask_key *mk, uint8_t out[32])
{
	struct buf b;
	unsigned int n = 0;
	int rc;

	buf_init(&b, false);
	rc = cfg_print(cfg, mk, CFG_PRINT_VERBOSE, &b);
	if (rc == 0 && EVP_Digest(b.b_data ? b.b_data : (const uint8_t *)"", b.b_len, out, &n,
	                          EVP_sha256(), NULL) != 1)
		rc = -EIO;
	buf_fini(&b);
	return rc;
}
