/* SPDX-License-Identifier: MIT */
/*
 * Manual IPsec security associations (seed 004 §8.3): "both", or "in" and "out" in pairs with
 * the same protocol, each with an SPI (RFC 4303 §2.1 reserves 1-255) and keys of exactly the
 * algorithm's length. Keys are held as secrets and never echoed in diagnostics.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

enum { S_DESC, S_REPLAY, S_IPCOMP, S_BOTH, S_IN, S_OUT };
enum { D_ESP_SPI, D_ESP_ENCR, D_ESP_AUTH, D_AH_SPI, D_AH_KEY };
enum { DIR_IN = 0, DIR_OUT = 1, DIR_BOTH = 2 };

#define SPI_RANGE "256-4294967295; RFC 4303 reserves 1-255"

static struct cfg_ipsec_sa *
cur_sa(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

int
cfg_open_ipsec_sa(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_ipsec_sa *sa = calloc(1, sizeof(*sa));
	int rc;

	if (!sa)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&p->cfg->ipsec_sas, sa, entry);
	sa->loc = f->loc;
	sa->replay_window = 64;
	f->obj = sa;
	if (cfg_name(p, st, 2, "security association name", sa->name))
		(void)cfg_end(p, st, 3);
	cfg_frame_where(f, "ipsec security-association %s", sa->name);
	rc = cfg_register(p, st, 2, CFG_NS_IPSEC_SA, NULL, sa->name, sa,
	                  offsetof(struct cfg_ipsec_sa, loc), "ipsec security-association");
	return rc == -ENOMEM ? rc : 0;
}

static int
sa_description(struct cfg_parser *p, const struct cfg_stmt *st)
{
	return cfg_description(p, st, S_DESC, &cur_sa(p)->description);
}

static int
sa_replay(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, S_REPLAY) && cfg_arg_replay(p, st, 1, &cur_sa(p)->replay_window))
		(void)cfg_end(p, st, 2);
	return 0;
}

static int
sa_ipcomp(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, S_IPCOMP) && cfg_end(p, st, 1))
		cur_sa(p)->ipcomp = true;
	return 0;
}

/* "both", "in", "out": the direction frame is pushed; the SA frame is below it. */
static int
sa_dir_open(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p), *saf = &p->frames[p->depth - 2];
	struct cfg_ipsec_sa *sa = saf->obj;
	int dir = cfg_is(st, 0, "both") ? DIR_BOTH : (cfg_is(st, 0, "in") ? DIR_IN : DIR_OUT);
	unsigned slot = dir == DIR_BOTH ? S_BOTH : (dir == DIR_IN ? S_IN : S_OUT);

	f->aux = dir;
	f->obj = dir == DIR_OUT ? &sa->out : &sa->in;
	cfg_frame_where(f, "ipsec security-association %s %s", sa->name, st->t[0].s);
	if (!cfg_once_in(p, saf, st, slot) || !cfg_end(p, st, 1))
		return 0;
	if ((dir == DIR_BOTH && (cfg_was_set(saf, S_IN) || cfg_was_set(saf, S_OUT))) ||
	    (dir != DIR_BOTH && cfg_was_set(saf, S_BOTH)))
		cfg_err_tok(p, st, 0,
		            "'both' cannot be used with 'in' or 'out' (seed 004 §8.3; expected "
		            "'both', or 'in' and 'out')");
	sa->both = dir == DIR_BOTH;
	return 0;
}

static int
sa_close(struct cfg_parser *p, struct cfg_frame *f)
{
	struct cfg_ipsec_sa *sa = f->obj;

	if (sa->both && !cfg_was_set(f, S_IN) && !cfg_was_set(f, S_OUT)) {
		struct cfg_sa_dir *in = &sa->in, *out = &sa->out;

		*out = *in;
		memset(&out->esp_encr_key, 0, sizeof(out->esp_encr_key));
		memset(&out->esp_integ_key, 0, sizeof(out->esp_integ_key));
		memset(&out->ah_key, 0, sizeof(out->ah_key));
		if (secret_copy(&out->esp_encr_key, &in->esp_encr_key) ||
		    secret_copy(&out->esp_integ_key, &in->esp_integ_key) ||
		    secret_copy(&out->ah_key, &in->ah_key))
			return -ENOMEM;
	} else if (!sa->in.set && !sa->out.set) {
		cfg_err_at(p, &f->loc,
		           "no 'both', 'in' or 'out' (expected the keys of the SA, "
		           "seed 004 §8.3)");
	} else if (sa->in.set != sa->out.set) {
		cfg_err_at(p, &f->loc,
		           "'%s' without '%s' (seed 004 §8.3: directions come in pairs)",
		           sa->in.set ? "in" : "out", sa->in.set ? "out" : "in");
	} else if (sa->in.esp != sa->out.esp || sa->in.ah != sa->out.ah) {
		cfg_err_at(p, &f->loc,
		           "'in' and 'out' use different protocols (seed 004 §8.3: expected the "
		           "same protocol both ways)");
	}
	if (sa->ipcomp || sa->in.ah || sa->out.ah)
		cfg_warn_at(p, &f->loc,
		            "tandem's data plane does not do %s: tunnels that use this SA will not "
		            "come up",
		            sa->ipcomp ? "IP compression" : "AH");
	return 0;
}

static const struct cfg_kw sa_kws[] = {
        {{"description"}, sa_description, CFG_BLK_NONE},
        {{"anti-replay-window"}, sa_replay, CFG_BLK_NONE},
        {{"ip-comp"}, sa_ipcomp, CFG_BLK_NONE},
        {{"both"}, sa_dir_open, CFG_BLK_SA_DIR},
        {{"in"}, sa_dir_open, CFG_BLK_SA_DIR},
        {{"out"}, sa_dir_open, CFG_BLK_SA_DIR},
};

const struct cfg_blk_def cfg_blk_ipsec_sa = {"ipsec security-association", sa_kws,
                                             sizeof(sa_kws) / sizeof(sa_kws[0]), sa_close, false};

/* ---- one direction ------------------------------------------------------------------------ */

static struct cfg_sa_dir *
cur_dir(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

/*
 * "… ALG key KEY" from token i (ALG already parsed): the key, which must be exactly `want`
 * bytes. "key" may be left out before "hex" or "masked-key" (seed 004 Example 7).
 */
static int
dir_key(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *alg, size_t want,
        struct secret *key)
{
	unsigned next = 0;
	int rc;

	if (cfg_is(st, i, "key"))
		i++;
	else if (!cfg_is(st, i, "hex") && !cfg_is(st, i, "masked-key")) {
		if (i >= st->n)
			p->secret_pending = true;
		cfg_err_tok(p, st, i, "missing 'key' (expected key KEY after %s)", alg);
		return 0;
	}
	rc = cfg_arg_key(p, st, i, "key", true, CFG_KEY_MAX, key, &next);
	if (rc || key->s_len == 0)
		return rc;
	if (key->s_len != want) {
		/* Point at the key itself (the token before `next`), without showing it. */
		cfg_err_tok(p, st, next - 1, "the key for %s is %zu bytes (expected %zu)", alg,
		            key->s_len, want);
		secret_clear(key);
		return 0;
	}
	(void)cfg_end_secret(p, st, next);
	return 0;
}

static int
dir_esp_encr(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_sa_dir *d = cur_dir(p);
	const struct cfg_encr_info *ei;

	if (!cfg_once(p, st, D_ESP_ENCR) || !cfg_arg_encr(p, st, 2, CFG_USE_MANUAL, &d->esp_encr))
		return 0;
	ei = cfg_encr_info(d->esp_encr);
	if (d->esp_encr == CFG_ENCR_NULL) {
		(void)cfg_end_secret(p, st, 3);
		return 0;
	}
	return dir_key(p, st, 3, ei->name, ei->key_len, &d->esp_encr_key);
}

static int
dir_esp_auth(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_sa_dir *d = cur_dir(p);
	const struct cfg_integ_info *ii;

	if (!cfg_once(p, st, D_ESP_AUTH) || !cfg_arg_integ(p, st, 2, &d->esp_integ))
		return 0;
	ii = cfg_integ_info(d->esp_integ);
	return dir_key(p, st, 3, ii->name, ii->key_len, &d->esp_integ_key);
}

static int
dir_esp(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"spi", "encryption", "authentication", NULL};
	struct cfg_sa_dir *d = cur_dir(p);
	int k = cfg_choice(p, st, 1, "esp", w);

	if (k == 1)
		return dir_esp_encr(p, st);
	if (k == 2)
		return dir_esp_auth(p, st);
	if (k == 0 && cfg_once(p, st, D_ESP_SPI) &&
	    cfg_u32(p, st, 2, "esp spi", 256, UINT32_MAX, SPI_RANGE, &d->esp_spi))
		(void)cfg_end(p, st, 3);
	return 0;
}

static int
dir_ah(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_sa_dir *d = cur_dir(p);
	const struct cfg_integ_info *ii;

	if (cfg_is(st, 1, "spi")) {
		if (cfg_once(p, st, D_AH_SPI) &&
		    cfg_u32(p, st, 2, "ah spi", 256, UINT32_MAX, SPI_RANGE, &d->ah_spi))
			(void)cfg_end(p, st, 3);
		return 0;
	}
	if (!cfg_once(p, st, D_AH_KEY) || !cfg_arg_integ(p, st, 1, &d->ah_integ))
		return 0;
	ii = cfg_integ_info(d->ah_integ);
	return dir_key(p, st, 2, ii->name, ii->key_len, &d->ah_key);
}

static void
dir_check_esp(struct cfg_parser *p, struct cfg_frame *f, struct cfg_sa_dir *d)
{
	const struct cfg_encr_info *ei = cfg_encr_info(d->esp_encr);
	bool auth = cfg_was_set(f, D_ESP_AUTH);

	if (!cfg_was_set(f, D_ESP_SPI))
		cfg_err_at(p, &f->loc, "missing 'esp spi N'");
	if (!cfg_was_set(f, D_ESP_ENCR)) {
		cfg_err_at(p, &f->loc,
		           "missing 'esp encryption' (expected 'esp encryption ALG "
		           "key KEY', or 'esp encryption null' for none)");
		return;
	}
	if (ei->aead && auth) {
		struct cfg_loc l = cfg_slot_loc(p, f, D_ESP_AUTH);

		cfg_err_at(p, &l, "%s carries its own integrity; remove 'esp authentication'",
		           ei->name);
	} else if (d->esp_encr == CFG_ENCR_NULL && !auth) {
		cfg_err_at(p, &f->loc,
		           "ESP with null encryption and no integrity protects nothing "
		           "(RFC 4303 §3.2; expected 'esp authentication ALG key KEY')");
	} else if (!ei->aead && !auth && !d->ah) {
		cfg_warn_at(p, &f->loc,
		            "ESP without integrity is open to active attacks (RFC 8221 "
		            "§5); prefer an AEAD cipher or 'esp authentication'");
	}
	if (!auth)
		d->esp_integ = CFG_INTEG_NONE;
}

static int
dir_close(struct cfg_parser *p, struct cfg_frame *f)
{
	struct cfg_sa_dir *d = f->obj;

	d->set = true;
	d->esp = cfg_was_set(f, D_ESP_SPI) || cfg_was_set(f, D_ESP_ENCR) ||
	         cfg_was_set(f, D_ESP_AUTH);
	d->ah = cfg_was_set(f, D_AH_SPI) || cfg_was_set(f, D_AH_KEY);
	if (!d->esp && !d->ah)
		cfg_err_at(p, &f->loc,
		           "no 'esp' or 'ah' statements (expected 'esp spi N' and "
		           "'esp encryption …', or 'ah spi N' and 'ah ALG key KEY')");
	if (d->esp)
		dir_check_esp(p, f, d);
	if (d->ah && !cfg_was_set(f, D_AH_SPI))
		cfg_err_at(p, &f->loc, "missing 'ah spi N'");
	if (d->ah && !cfg_was_set(f, D_AH_KEY))
		cfg_err_at(p, &f->loc, "missing 'ah ALG key KEY'");
	return 0;
}

static const struct cfg_kw dir_kws[] = {
        {{"esp"}, dir_esp, CFG_BLK_NONE},
        {{"ah"}, dir_ah, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_sa_dir = {"security association direction", dir_kws,
                                           sizeof(dir_kws) / sizeof(dir_kws[0]), dir_close, false};
