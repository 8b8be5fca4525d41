/* SPDX-License-Identifier: MIT */
/*
 * Global IPsec objects: proposals (seed 004 §8.1, with its rules for what a partly written
 * proposal means), policies (§8.2: anti-replay window, PFS, up to 16 proposals) and QoS
 * policies for priority queuing (§8.5). ESP needs confidentiality or integrity (RFC 4303 §3.2);
 * tandem's data plane does neither AH nor IPComp, so proposals that ask for them are flagged.
 * Extended sequence numbers are a tandem extension of proposals (RFC 4303 §2.2.1).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

enum { P_DESC, P_ESP_ENCR, P_ESP_AUTH, P_AH, P_IPCOMP, P_ESN, P_LT_SEC, P_LT_KB };
enum { Q_DESC, Q_REPLAY, Q_PFS };

/* ---- ipsec proposal ----------------------------------------------------------------------- */

static struct cfg_ipsec_proposal *
cur_prop(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

int
cfg_open_ipsec_prop(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_ipsec_proposal *pr = calloc(1, sizeof(*pr));
	int rc;

	if (!pr)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&p->cfg->ipsec_proposals, pr, entry);
	pr->loc = f->loc;
	pr->esp = true;
	pr->esp_encr = CFG_ENCR_AES128_CBC;
	pr->esp_integ = CFG_INTEG_HMAC_SHA1_96;
	pr->lifetime_sec = 86400;
	f->obj = pr;
	if (cfg_name(p, st, 2, "proposal name", pr->name))
		(void)cfg_end(p, st, 3);
	cfg_frame_where(f, "ipsec proposal %s", pr->name);
	rc = cfg_register(p, st, 2, CFG_NS_IPSEC_PROP, NULL, pr->name, pr,
	                  offsetof(struct cfg_ipsec_proposal, loc), "ipsec proposal");
	return rc == -ENOMEM ? rc : 0;
}

static int
prop_description(struct cfg_parser *p, const struct cfg_stmt *st)
{
	return cfg_description(p, st, P_DESC, &cur_prop(p)->description);
}

static int
prop_esp(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"encryption", "authentication", NULL};
	struct cfg_ipsec_proposal *pr = cur_prop(p);
	int k = cfg_choice(p, st, 1, "esp", w);

	if (k == 0) {
		if (cfg_once(p, st, P_ESP_ENCR) &&
		    cfg_arg_encr(p, st, 2, CFG_USE_ESP, &pr->esp_encr))
			(void)cfg_end(p, st, 3);
	} else if (k == 1 && cfg_once(p, st, P_ESP_AUTH)) {
		if (cfg_is(st, 2, "none"))
			pr->esp_integ = CFG_INTEG_NONE;
		else if (!cfg_arg_integ(p, st, 2, &pr->esp_integ))
			return 0;
		(void)cfg_end(p, st, 3);
	}
	return 0;
}

static int
prop_ah(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_ipsec_proposal *pr = cur_prop(p);

	if (cfg_once(p, st, P_AH) && cfg_arg_integ(p, st, 1, &pr->ah_integ) && cfg_end(p, st, 2))
		pr->ah = true;
	return 0;
}

static int
prop_ipcomp(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, P_IPCOMP) && cfg_end(p, st, st->kw))
		cur_prop(p)->ipcomp = !cfg_is(st, 0, "no");
	return 0;
}

/*
 * "esn" / "no esn" (tandem): with it, the proposal's ESN transforms are ESN=yes and ESN=no, so
 * a peer that cannot do 64-bit sequence numbers still finds one (RFC 7296 §3.3.2).
 */
static int
prop_esn(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, P_ESN) && cfg_end(p, st, st->kw))
		cur_prop(p)->esn = !cfg_is(st, 0, "no");
	return 0;
}

static int
prop_lifetime(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"seconds", "kbytes", NULL};
	struct cfg_ipsec_proposal *pr = cur_prop(p);
	int k = cfg_choice(p, st, 1, "lifetime unit", w);

	if (k == 0 && cfg_once(p, st, P_LT_SEC) &&
	    cfg_u32(p, st, 2, "lifetime seconds", CFG_LIFETIME_MIN_SEC, CFG_LIFETIME_MAX_SEC,
	            "300-99999999", &pr->lifetime_sec))
		(void)cfg_end(p, st, 3);
	if (k == 1 && cfg_once(p, st, P_LT_KB) &&
	    cfg_u64(p, st, 2, "lifetime kbytes", 1, UINT32_MAX, "1-4294967295",
	            &pr->lifetime_kbytes))
		(void)cfg_end(p, st, 3);
	return 0;
}

/* Seed 004 §8.1: what ESP means when only some of it is written. */
static void
prop_esp_meaning(struct cfg_parser *p, struct cfg_frame *f, struct cfg_ipsec_proposal *pr)
{
	bool encr = cfg_was_set(f, P_ESP_ENCR), auth = cfg_was_set(f, P_ESP_AUTH);
	const struct cfg_encr_info *ei;

	pr->esp = encr || auth || !pr->ah;
	if (!pr->esp)
		return;
	if (!encr)
		pr->esp_encr = auth ? CFG_ENCR_NULL : CFG_ENCR_AES128_CBC;
	ei = cfg_encr_info(pr->esp_encr);
	if (ei->aead) {
		struct cfg_loc l = cfg_slot_loc(p, f, P_ESP_AUTH);

		if (auth && pr->esp_integ != CFG_INTEG_NONE)
			cfg_err_at(p, &l,
			           "%s carries its own integrity; remove 'esp authentication'",
			           ei->name);
		pr->esp_integ = CFG_INTEG_NONE;
	} else if (pr->esp_encr == CFG_ENCR_NULL && pr->esp_integ == CFG_INTEG_NONE) {
		struct cfg_loc l = cfg_slot_loc(p, f, P_ESP_AUTH);

		cfg_err_at(p, &l,
		           "ESP with null encryption and no integrity protects nothing "
		           "(RFC 4303 §3.2; expected an integrity algorithm)");
	} else if (pr->esp_integ == CFG_INTEG_NONE && !pr->ah) {
		struct cfg_loc l = cfg_slot_loc(p, f, P_ESP_AUTH);

		cfg_warn_at(p, &l,
		            "ESP without integrity is open to active attacks (RFC 8221 §5); "
		            "prefer an AEAD cipher or an integrity algorithm");
	}
}

static int
prop_close(struct cfg_parser *p, struct cfg_frame *f)
{
	struct cfg_ipsec_proposal *pr = f->obj;

	prop_esp_meaning(p, f, pr);
	if (pr->ah || pr->ipcomp)
		cfg_warn_at(p, &f->loc,
		            "tandem's data plane does not do %s: this proposal is never negotiated",
		            pr->ah && pr->ipcomp ? "AH or IP compression"
		                                 : (pr->ah ? "AH" : "IP compression"));
	return 0;
}

static const struct cfg_kw prop_kws[] = {
        {{"description"}, prop_description, CFG_BLK_NONE},
        {{"esp"}, prop_esp, CFG_BLK_NONE},
        {{"ah"}, prop_ah, CFG_BLK_NONE},
        {{"ip-comp"}, prop_ipcomp, CFG_BLK_NONE},
        {{"no", "ip-comp"}, prop_ipcomp, CFG_BLK_NONE},
        {{"esn"}, prop_esn, CFG_BLK_NONE},
        {{"no", "esn"}, prop_esn, CFG_BLK_NONE},
        {{"lifetime"}, prop_lifetime, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_ipsec_prop = {
        "ipsec proposal", prop_kws, sizeof(prop_kws) / sizeof(prop_kws[0]), prop_close, false};

/* ---- ipsec policy ------------------------------------------------------------------------- */

static struct cfg_ipsec_policy *
cur_pol(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

int
cfg_open_ipsec_policy(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_ipsec_policy *pol = calloc(1, sizeof(*pol));
	int rc;

	if (!pol)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&p->cfg->ipsec_policies, pol, entry);
	pol->loc = f->loc;
	pol->replay_window = 64;
	f->obj = pol;
	if (cfg_name(p, st, 2, "policy name", pol->name))
		(void)cfg_end(p, st, 3);
	cfg_frame_where(f, "ipsec policy %s", pol->name);
	rc = cfg_register(p, st, 2, CFG_NS_IPSEC_POLICY, NULL, pol->name, pol,
	                  offsetof(struct cfg_ipsec_policy, loc), "ipsec policy");
	return rc == -ENOMEM ? rc : 0;
}

static int
pol_description(struct cfg_parser *p, const struct cfg_stmt *st)
{
	return cfg_description(p, st, Q_DESC, &cur_pol(p)->description);
}

static int
pol_replay(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, Q_REPLAY) && cfg_arg_replay(p, st, 1, &cur_pol(p)->replay_window))
		(void)cfg_end(p, st, 2);
	return 0;
}

static int
pol_pfs(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"dh-group", NULL};

	if (cfg_once(p, st, Q_PFS) && cfg_choice(p, st, 1, "perfect-forward-secrecy", w) == 0 &&
	    cfg_arg_dh(p, st, 2, "dh-group", &cur_pol(p)->pfs_group))
		(void)cfg_end(p, st, 3);
	return 0;
}

static int
pol_seq(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"proposal", NULL};
	struct cfg_ipsec_policy *pol = cur_pol(p);
	struct cfg_ipsec_proposal_ref *r;
	char name[CFG_NAME_MAX];
	uint32_t seq;
	unsigned dup;
	int at;

	if (!cfg_u32(p, st, 1, "seq", 1, UINT32_MAX, "1-4294967295", &seq) ||
	    cfg_choice(p, st, 2, "seq", w) != 0 || !cfg_name(p, st, 3, "proposal name", name) ||
	    !cfg_end(p, st, 4))
		return 0;
	for (unsigned i = 0; i < pol->nprops; i++) {
		if (strcmp(pol->props[i].name, name) == 0) {
			cfg_err_tok(p, st, 3, "proposal '%s' is already listed at seq %u", name,
			            (unsigned)pol->props[i].seq);
			return 0;
		}
	}
	if (pol->nprops == CFG_MAX_IPSEC_PROPS) {
		cfg_err_tok(p, st, 0, "more than %u proposals (seed 004 §8.2)",
		            CFG_MAX_IPSEC_PROPS);
		return 0;
	}
	at = cfg_seq_insert(pol->props, sizeof(pol->props[0]), pol->nprops, seq, &dup);
	if (at < 0) {
		cfg_err_tok(p, st, 1, "seq %u is already used (by proposal '%s')", (unsigned)seq,
		            pol->props[dup].name);
		return 0;
	}
	r = &pol->props[at];
	pol->nprops++;
	r->seq = seq;
	memcpy(r->name, name, sizeof(name));
	r->loc = cfg_tok_loc(p, st, 3);
	return 0;
}

static const struct cfg_kw pol_kws[] = {
        {{"description"}, pol_description, CFG_BLK_NONE},
        {{"anti-replay-window"}, pol_replay, CFG_BLK_NONE},
        {{"perfect-forward-secrecy"}, pol_pfs, CFG_BLK_NONE},
        {{"seq"}, pol_seq, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_ipsec_policy = {"ipsec policy", pol_kws,
                                                 sizeof(pol_kws) / sizeof(pol_kws[0]), NULL, false};

/* ---- ipsec qos policy --------------------------------------------------------------------- */

int
cfg_open_qos(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"pq", NULL};
	struct cfg_frame *f = cfg_top(p);
	struct cfg_qos_policy *q = calloc(1, sizeof(*q));
	int rc;

	if (!q)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&p->cfg->qos_policies, q, entry);
	q->loc = f->loc;
	q->num_queues = 1;
	f->obj = q;
	if (cfg_name(p, st, 3, "policy name", q->name) &&
	    cfg_choice(p, st, 4, "queuing kind", w) == 0)
		(void)cfg_end(p, st, 5);
	cfg_frame_where(f, "ipsec qos policy %s", q->name);
	rc = cfg_register(p, st, 3, CFG_NS_QOS, NULL, q->name, q,
	                  offsetof(struct cfg_qos_policy, loc), "ipsec qos policy");
	return rc == -ENOMEM ? rc : 0;
}

static int
qos_queues(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"1", "4", NULL};
	int k;

	if (!cfg_once(p, st, 0))
		return 0;
	k = cfg_choice(p, st, 1, "num-queues", w);
	if (k >= 0 && cfg_end(p, st, 2))
		((struct cfg_qos_policy *)cfg_cur(p)->obj)->num_queues = k == 0 ? 1 : 4;
	return 0;
}

static const struct cfg_kw qos_kws[] = {
        {{"num-queues"}, qos_queues, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_qos = {"ipsec qos policy", qos_kws, 1, NULL, false};
