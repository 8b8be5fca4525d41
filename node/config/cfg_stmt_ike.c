/* SPDX-License-Identifier: MIT */
/*
 * IKE proposals (global, seed 004 §6.2, defaults from Table 1) and IKE policies (per context,
 * §6.4, defaults from Table 2), IKEv1 and IKEv2. A statement of the other IKE version is an
 * error that names the version it belongs to. AEAD ciphers carry their own integrity (RFC 5282),
 * so an explicit integrity algorithm with one is an error.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

enum { P_DESC, P_DH, P_AUTH_ALG, P_AUTH_METHOD, P_ENCR, P_PRF, P_LIFETIME };
enum {
	Q_DESC,
	Q_CONN,
	Q_ID_LOCAL,
	Q_ID_REMOTE,
	Q_MODE,
	Q_AUTH,
	Q_VALIDATE,
	Q_ADDR_ALLOC,
	Q_LIFETIME,
	Q_PSK
};

static const char *
ver_kw(enum cfg_ike_version v)
{
	return v == CFG_IKEV1 ? "ike" : "ike2";
}

/* Reports a statement of the other IKE version. */
static bool
only_version(struct cfg_parser *p, const struct cfg_stmt *st, enum cfg_ike_version want,
             const char *obj, const char *hint)
{
	struct cfg_frame *f = cfg_cur(p);

	if ((enum cfg_ike_version)f->aux == want)
		return true;
	cfg_err_tok(p, st, 0, "'%s' is an IKEv%d %s statement; this is an IKEv%d %s (%s)",
	            st->t[0].s, want, obj, f->aux, obj, hint);
	return false;
}

/* ---- ike proposal ------------------------------------------------------------------------- */

static struct cfg_ike_proposal *
cur_prop(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

int
cfg_open_ike_prop(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_ike_proposal *pr = calloc(1, sizeof(*pr));
	int rc;

	if (!pr)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&p->cfg->ike_proposals, pr, entry);
	pr->version = cfg_is(st, 0, "ike2") ? CFG_IKEV2 : CFG_IKEV1;
	pr->loc = f->loc;
	pr->dh_group = 1;
	pr->integ = CFG_INTEG_HMAC_SHA1_96;
	pr->encr = CFG_ENCR_AES128_CBC;
	pr->prf = CFG_PRF_HMAC_SHA1;
	pr->auth_method = CFG_AUTH_PSK;
	pr->lifetime_sec = 86400;
	f->obj = pr;
	f->aux = (int)pr->version;
	if (cfg_name(p, st, 2, "proposal name", pr->name))
		(void)cfg_end(p, st, 3);
	cfg_frame_where(f, "%s proposal %s", ver_kw(pr->version), pr->name);
	rc = cfg_register(p, st, 2, CFG_NS_IKE_PROP, NULL, pr->name, pr,
	                  offsetof(struct cfg_ike_proposal, loc), "ike proposal");
	return rc == -ENOMEM ? rc : 0;
}

static int
prop_description(struct cfg_parser *p, const struct cfg_stmt *st)
{
	return cfg_description(p, st, P_DESC, &cur_prop(p)->description);
}

static int
prop_dh(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, P_DH) && cfg_arg_dh(p, st, 1, "dh-group", &cur_prop(p)->dh_group))
		(void)cfg_end(p, st, 2);
	return 0;
}

static int
prop_auth(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"algorithm", "pre-shared-key", "rsa-signature", NULL};
	struct cfg_ike_proposal *pr = cur_prop(p);
	int k = cfg_choice(p, st, 1, "authentication", w);

	if (k == 0) {
		if (cfg_once(p, st, P_AUTH_ALG) && cfg_arg_integ(p, st, 2, &pr->integ))
			(void)cfg_end(p, st, 3);
		return 0;
	}
	if (k < 0 ||
	    !only_version(p, st, CFG_IKEV1, "proposal",
	                  "an IKEv2 peer's authentication method is set in the ike2 "
	                  "policy, seed 004 §6.4") ||
	    !cfg_once(p, st, P_AUTH_METHOD) || !cfg_end(p, st, 2))
		return 0;
	pr->auth_method = k == 1 ? CFG_AUTH_PSK : CFG_AUTH_RSA_SIG;
	if (k == 2)
		cfg_warn_tok(p, st, 1,
		             "certificate authentication (rsa-signature) is not built yet: tunnels "
		             "that use it will not come up");
	return 0;
}

static int
prop_encr(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"algorithm", NULL};
	struct cfg_ike_proposal *pr = cur_prop(p);
	unsigned use = pr->version == CFG_IKEV1 ? CFG_USE_IKEV1 : CFG_USE_IKEV2;

	if (cfg_choice(p, st, 1, "encryption", w) == 0 && cfg_once(p, st, P_ENCR) &&
	    cfg_arg_encr(p, st, 2, use, &pr->encr))
		(void)cfg_end(p, st, 3);
	return 0;
}

static int
prop_prf(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (only_version(p, st, CFG_IKEV2, "proposal",
	                 "IKEv1 derives keys with the integrity "
	                 "algorithm's HMAC") &&
	    cfg_once(p, st, P_PRF) && cfg_arg_prf(p, st, 1, &cur_prop(p)->prf))
		(void)cfg_end(p, st, 2);
	return 0;
}

static int
prop_lifetime(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"seconds", NULL};

	if (only_version(p, st, CFG_IKEV1, "proposal",
	                 "an IKEv2 SA's lifetime is set in the ike2 policy, seed 004 §6.4") &&
	    cfg_once(p, st, P_LIFETIME) && cfg_choice(p, st, 1, "lifetime unit", w) == 0 &&
	    cfg_u32(p, st, 2, "lifetime", CFG_LIFETIME_MIN_SEC, CFG_LIFETIME_MAX_SEC,
	            "300-99999999 seconds", &cur_prop(p)->lifetime_sec))
		(void)cfg_end(p, st, 3);
	return 0;
}

static int
prop_close(struct cfg_parser *p, struct cfg_frame *f)
{
	struct cfg_ike_proposal *pr = f->obj;
	const struct cfg_encr_info *ei = cfg_encr_info(pr->encr);

	if (ei->aead) {
		if (cfg_was_set(f, P_AUTH_ALG)) {
			struct cfg_loc l = cfg_slot_loc(p, f, P_AUTH_ALG);

			cfg_err_at(
			        p, &l,
			        "%s carries its own integrity; remove 'authentication algorithm'",
			        ei->name);
		}
		pr->integ = CFG_INTEG_NONE;
	}
	if (!cfg_was_set(f, P_DH) && cfg_dh_group_weak(pr->dh_group))
		cfg_warn_at(p, &f->loc,
		            "dh-group is not set and defaults to %u (%s), a weak group (RFC 8247); "
		            "set dh-group 14 or stronger",
		            (unsigned)pr->dh_group, cfg_dh_group_desc(pr->dh_group));
	return 0;
}

static const struct cfg_kw prop_kws[] = {
        {{"description"}, prop_description, CFG_BLK_NONE},
        {{"dh-group"}, prop_dh, CFG_BLK_NONE},
        {{"authentication"}, prop_auth, CFG_BLK_NONE},
        {{"encryption"}, prop_encr, CFG_BLK_NONE},
        {{"pseudo-random-function"}, prop_prf, CFG_BLK_NONE},
        {{"lifetime"}, prop_lifetime, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_ike_prop = {
        "ike proposal", prop_kws, sizeof(prop_kws) / sizeof(prop_kws[0]), prop_close, false};

/* ---- ike policy --------------------------------------------------------------------------- */

static struct cfg_ike_policy *
cur_pol(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

int
cfg_open_ike_policy(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_context *ctx = p->frames[p->depth - 2].obj;
	struct cfg_ike_policy *pol = calloc(1, sizeof(*pol));
	int rc;

	if (!pol)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&ctx->ike_policies, pol, entry);
	pol->version = cfg_is(st, 0, "ike2") ? CFG_IKEV2 : CFG_IKEV1;
	pol->loc = f->loc;
	pol->ctx = ctx;
	pol->conn_type = CFG_CONN_BOTH;
	pol->mode = CFG_MODE_MAIN;
	pol->auth_method = CFG_AUTH_PSK;
	pol->lifetime_sec = 86400;
	f->obj = pol;
	f->aux = (int)pol->version;
	if (cfg_name(p, st, 2, "policy name", pol->name))
		(void)cfg_end(p, st, 3);
	cfg_frame_where(f, "%s policy %s", ver_kw(pol->version), pol->name);
	rc = cfg_register(p, st, 2, CFG_NS_IKE_POLICY, ctx, pol->name, pol,
	                  offsetof(struct cfg_ike_policy, loc), "ike policy");
	return rc == -ENOMEM ? rc : 0;
}

static int
pol_description(struct cfg_parser *p, const struct cfg_stmt *st)
{
	return cfg_description(p, st, Q_DESC, &cur_pol(p)->description);
}

static int
pol_conn(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"both", "initiator-only", "responder-only", NULL};
	int k;

	if (!cfg_once(p, st, Q_CONN))
		return 0;
	k = cfg_choice(p, st, 1, "connection-type", w);
	if (k >= 0 && cfg_end(p, st, 2))
		cur_pol(p)->conn_type = (enum cfg_conn_type)k;
	return 0;
}

static int
pol_identity(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"local", "remote", NULL};
	struct cfg_ike_policy *pol = cur_pol(p);
	int k = cfg_choice(p, st, 1, "identity", w);
	unsigned next;

	if (k < 0 || !cfg_once(p, st, k == 0 ? Q_ID_LOCAL : Q_ID_REMOTE))
		return 0;
	if (cfg_arg_id(p, st, 2, k == 0 ? "identity local" : "identity remote", k == 1,
	               k == 0 ? &pol->id_local : &pol->id_remote, &next))
		(void)cfg_end(p, st, next);
	return 0;
}

static int
pol_mode(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"main", "aggressive", NULL};
	int k;

	if (!only_version(p, st, CFG_IKEV1, "policy", "IKEv2 has a single exchange") ||
	    !cfg_once(p, st, Q_MODE))
		return 0;
	k = cfg_choice(p, st, 1, "mode", w);
	if (k >= 0 && cfg_end(p, st, 2))
		cur_pol(p)->mode = (enum cfg_ike_mode)k;
	return 0;
}

static int
pol_auth(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"pre-shared-key", "rsa-signature", NULL};
	int k;

	if (!only_version(p, st, CFG_IKEV2, "policy",
	                  "an IKEv1 peer's authentication method is set in the ike proposal, "
	                  "seed 004 §6.2") ||
	    !cfg_once(p, st, Q_AUTH))
		return 0;
	k = cfg_choice(p, st, 1, "authentication", w);
	if (k < 0 || !cfg_end(p, st, 2))
		return 0;
	cur_pol(p)->auth_method = k == 0 ? CFG_AUTH_PSK : CFG_AUTH_RSA_SIG;
	if (k == 1)
		cfg_warn_tok(p, st, 1,
		             "certificate authentication (rsa-signature) is not built yet: tunnels "
		             "that use it will not come up");
	return 0;
}

static int
pol_validate(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, Q_VALIDATE) && cfg_end(p, st, 1))
		cur_pol(p)->validate_cert_id = true;
	return 0;
}

static int
pol_addr_alloc(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"aaa", NULL};

	if (only_version(p, st, CFG_IKEV2, "policy", "seed 004 §6.4") &&
	    cfg_once(p, st, Q_ADDR_ALLOC) && cfg_choice(p, st, 1, "address-allocation", w) == 0 &&
	    cfg_end(p, st, 2))
		cur_pol(p)->addr_alloc_aaa = true;
	return 0;
}

static int
pol_lifetime(struct cfg_parser *p, const struct cfg_stmt *st)
{
	unsigned i = cfg_is(st, 1, "seconds") ? 2 : 1; /* "lifetime N": seed 004 Example 4 */

	if (only_version(p, st, CFG_IKEV2, "policy",
	                 "an IKEv1 SA's lifetime is set in the ike proposal, seed 004 §6.2") &&
	    cfg_once(p, st, Q_LIFETIME) &&
	    cfg_u32(p, st, i, "lifetime", CFG_LIFETIME_MIN_SEC, CFG_LIFETIME_MAX_SEC,
	            "300-99999999 seconds", &cur_pol(p)->lifetime_sec))
		(void)cfg_end(p, st, i + 1);
	return 0;
}

static int
pol_psk(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_psk *psk = &cur_pol(p)->psk;
	unsigned next = 0;
	int rc;

	if (!cfg_once(p, st, Q_PSK))
		return 0;
	if (cfg_is(st, 1, "use-aaa")) {
		psk->kind = CFG_PSK_AAA;
		(void)cfg_end_secret(p, st, 2);
		return 0;
	}
	rc = cfg_arg_key(p, st, 1, "pre-shared key", false, CFG_PSK_MAX, &psk->key, &next);
	if (rc || psk->key.s_len == 0)
		return rc;
	psk->kind = CFG_PSK_KEY;
	(void)cfg_end_secret(p, st, next);
	return 0;
}

static int
pol_seq(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"proposal", NULL};
	struct cfg_ike_policy *pol = cur_pol(p);
	struct cfg_ike_proposal_ref *r;
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
	if (pol->nprops == CFG_MAX_IKE_PROPOSALS) {
		cfg_err_tok(p, st, 0, "more than %u proposals (seed 004 §6.4)",
		            CFG_MAX_IKE_PROPOSALS);
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

static int
pol_close(struct cfg_parser *p, struct cfg_frame *f)
{
	struct cfg_ike_policy *pol = f->obj;

	if (pol->addr_alloc_aaa && pol->conn_type != CFG_CONN_RESPONDER_ONLY) {
		struct cfg_loc l = cfg_slot_loc(p, f, Q_ADDR_ALLOC);

		cfg_err_at(p, &l,
		           "'address-allocation aaa' needs 'connection-type responder-only' "
		           "(seed 004 §6.4)");
	}
	if (pol->version == CFG_IKEV2 && pol->validate_cert_id &&
	    pol->auth_method != CFG_AUTH_RSA_SIG) {
		struct cfg_loc l = cfg_slot_loc(p, f, Q_VALIDATE);

		cfg_err_at(p, &l,
		           "'validate-certificate-identity' needs 'authentication rsa-signature'");
	}
	if (pol->version == CFG_IKEV2 && pol->auth_method == CFG_AUTH_PSK &&
	    pol->psk.kind == CFG_PSK_NONE && !cfg_was_set(f, Q_PSK))
		cfg_err_at(p, &f->loc,
		           "no 'pre-shared-key' (expected one with pre-shared-key authentication, "
		           "or 'pre-shared-key use-aaa')");
	return 0;
}

static const struct cfg_kw pol_kws[] = {
        {{"description"}, pol_description, CFG_BLK_NONE},
        {{"connection-type"}, pol_conn, CFG_BLK_NONE},
        {{"identity"}, pol_identity, CFG_BLK_NONE},
        {{"mode"}, pol_mode, CFG_BLK_NONE},
        {{"authentication"}, pol_auth, CFG_BLK_NONE},
        {{"validate-certificate-identity"}, pol_validate, CFG_BLK_NONE},
        {{"address-allocation"}, pol_addr_alloc, CFG_BLK_NONE},
        {{"lifetime"}, pol_lifetime, CFG_BLK_NONE},
        {{"pre-shared-key"}, pol_psk, CFG_BLK_NONE},
        {{"preshared-key"}, pol_psk, CFG_BLK_NONE},
        {{"seq"}, pol_seq, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_ike_policy = {
        "ike policy", pol_kws, sizeof(pol_kws) / sizeof(pol_kws[0]), pol_close, false};
