/* SPDX-License-Identifier: MIT */
/*
 * IPsec tunnels (seed 004 §9): static auto key (§9.2), on-demand (§9.3) and manual key
 * (§9.4), with the statements each kind takes and requires; the "seq" lists of tunnels and
 * profiles (up to 8, §9.2). References are resolved later (cfg_validate.c), since definitions
 * may follow their use.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

enum {
	T_DESC,
	T_SHUTDOWN,
	T_PEP,
	T_BIND,
	T_REMOTE_ID,
	T_IKE_POLICY,
	T_DF,
	T_MTU,
	T_QOS,
	T_TSG,
	T_MAX_TUNNELS
};

static const char *const kind_names[] = {"static", "on-demand", "manual"};
static const char *const kind_articles[] = {"a", "an", "a"};

static struct cfg_tunnel *
cur_tun(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

/* Reports a statement the tunnel's kind does not take. */
static bool
kind_ok(struct cfg_parser *p, const struct cfg_stmt *st, unsigned kinds, const char *why)
{
	struct cfg_tunnel *t = cur_tun(p);

	if (kinds & (1u << t->kind))
		return true;
	cfg_err_tok(p, st, 0, "%s %s tunnel takes no '%s' (%s)", kind_articles[t->kind],
	            kind_names[t->kind], st->t[0].s, why);
	return false;
}

#define K_STATIC    (1u << CFG_TUNNEL_STATIC)
#define K_ON_DEMAND (1u << CFG_TUNNEL_ON_DEMAND)
#define K_MANUAL    (1u << CFG_TUNNEL_MANUAL)

/* "[on-demand] [manual] [economical]" after the name. */
static void
tun_flags(struct cfg_parser *p, const struct cfg_stmt *st, struct cfg_tunnel *t)
{
	static const char *const w[] = {"on-demand", "manual", "economical", NULL};
	bool seen[3] = {false, false, false};

	for (unsigned i = 3; i < st->n; i++) {
		int k = cfg_choice(p, st, i, "tunnel mode", w);

		if (k < 0)
			return;
		if (seen[k]) {
			cfg_err_tok(p, st, i, "'%s' is written twice", w[k]);
			return;
		}
		seen[k] = true;
		if (k == 2)
			t->economical = true;
		else if (t->kind != CFG_TUNNEL_STATIC)
			cfg_err_tok(p, st, i, "'on-demand' and 'manual' exclude each other");
		else
			t->kind = k == 0 ? CFG_TUNNEL_ON_DEMAND : CFG_TUNNEL_MANUAL;
	}
}

int
cfg_open_tunnel(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_tunnel *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&p->cfg->tunnels, t, entry);
	t->loc = f->loc;
	t->df_bit = CFG_DF_PROPAGATE;
	f->obj = t;
	if (cfg_name(p, st, 2, "tunnel name", t->name))
		tun_flags(p, st, t);
	cfg_frame_where(f, "tunnel ipsec %s", t->name);
	rc = cfg_register(p, st, 2, CFG_NS_TUNNEL, NULL, t->name, t,
	                  offsetof(struct cfg_tunnel, loc), "tunnel ipsec");
	return rc == -ENOMEM ? rc : 0;
}

static int
tun_description(struct cfg_parser *p, const struct cfg_stmt *st)
{
	return cfg_description(p, st, T_DESC, &cur_tun(p)->description);
}

static int
tun_shutdown(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, T_SHUTDOWN) && cfg_end(p, st, 1))
		cur_tun(p)->shutdown = true;
	return 0;
}

/* "peer-end-point local A [remote B] [context C]" */
static int
tun_pep(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"local", NULL};
	struct cfg_tunnel *t = cur_tun(p);
	unsigned i = 3;

	if (!cfg_once(p, st, T_PEP))
		return 0;
	t->pep_loc = cfg_tok_loc(p, st, 0);
	if (cfg_choice(p, st, 1, "peer-end-point", w) != 0 ||
	    !cfg_arg_addr(p, st, 2, "local address", &t->local))
		return 0;
	t->local_loc = cfg_tok_loc(p, st, 2);
	if (cfg_is(st, i, "remote")) {
		if (!cfg_arg_addr(p, st, i + 1, "remote address", &t->remote))
			return 0;
		if (t->remote.family != t->local.family) {
			cfg_err_tok(p, st, i + 1,
			            "the remote address is not of the local address's "
			            "family");
			return 0;
		}
		i += 2;
	}
	if (cfg_is(st, i, "context")) {
		t->ctx_loc = cfg_tok_loc(p, st, i + 1);
		if (!cfg_name(p, st, i + 1, "context name", t->ctx_name))
			return 0;
		i += 2;
	}
	(void)cfg_end(p, st, i);
	return 0;
}

/* "bind interface IF [CTX]" */
static int
tun_bind(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"interface", NULL};
	struct cfg_tunnel *t = cur_tun(p);

	if (!cfg_once(p, st, T_BIND) || cfg_choice(p, st, 1, "bind", w) != 0)
		return 0;
	t->bind_loc = cfg_tok_loc(p, st, 2);
	if (!cfg_name(p, st, 2, "interface name", t->bind_if))
		return 0;
	if (st->n > 3) {
		t->bind_ctx_loc = cfg_tok_loc(p, st, 3);
		if (!cfg_name(p, st, 3, "context name", t->bind_ctx))
			return 0;
	}
	(void)cfg_end(p, st, 4);
	return 0;
}

static int
tun_remote_id(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_tunnel *t = cur_tun(p);
	unsigned next;

	if (!cfg_once(p, st, T_REMOTE_ID) ||
	    !kind_ok(p, st, K_STATIC | K_MANUAL,
	             "an on-demand tunnel's peers are matched by its IKE policy's 'identity "
	             "remote', seed 004 §9.3"))
		return 0;
	t->remote_id_loc = cfg_tok_loc(p, st, 1);
	if (cfg_arg_id(p, st, 1, "remote-id", false, &t->remote_id, &next))
		(void)cfg_end(p, st, next);
	return 0;
}

/* "ike-policy NAME", also "ike policy NAME" (seed 004 Example 10). */
static int
tun_ike_policy(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_tunnel *t = cur_tun(p);

	if (!cfg_once(p, st, T_IKE_POLICY) ||
	    !kind_ok(p, st, K_STATIC | K_ON_DEMAND, "manual keys need no IKE, seed 004 §9.4"))
		return 0;
	t->ike_policy_loc = cfg_tok_loc(p, st, st->kw);
	if (cfg_name(p, st, st->kw, "ike policy name", t->ike_policy_name))
		(void)cfg_end(p, st, st->kw + 1);
	return 0;
}

static int
tun_seq(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_tunnel *t = cur_tun(p);
	struct cfg_tunnel_seq *s;

	if (!kind_ok(p, st, K_STATIC | K_MANUAL,
	             "an on-demand tunnel takes its IPsec policies from the ipsec profile named "
	             "after it, seed 004 §9.3.3"))
		return 0;
	s = cfg_tseq_parse(p, st, t->seqs, &t->nseqs, true);
	if (!s)
		return 0;
	if (t->kind == CFG_TUNNEL_STATIC && s->sa_loc.line)
		cfg_err_at(p, &s->sa_loc,
		           "a static tunnel negotiates its SAs (expected "
		           "'ipsec-policy P' without 'security-association')");
	else if (t->kind == CFG_TUNNEL_STATIC && !s->policy_loc.line)
		cfg_err_tok(p, st, st->n, "missing 'ipsec-policy P' (seed 004 §9.2)");
	else if (t->kind == CFG_TUNNEL_MANUAL && !s->sa_loc.line)
		cfg_err_tok(p, st, st->n, "missing 'security-association SA' (seed 004 §9.4)");
	return 0;
}

static int
tun_df(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, T_DF))
		(void)cfg_arg_df(p, st, &cur_tun(p)->df_bit);
	return 0;
}

static int
tun_mtu(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, T_MTU) &&
	    cfg_u32(p, st, 1, "mtu", 256, 9216, "256-9216", &cur_tun(p)->mtu))
		(void)cfg_end(p, st, 2);
	return 0;
}

/* "qos policy queuing NAME" */
static int
tun_qos(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w1[] = {"policy", NULL}, *const w2[] = {"queuing", NULL};
	struct cfg_tunnel *t = cur_tun(p);

	if (!cfg_once(p, st, T_QOS) || cfg_choice(p, st, 1, "qos", w1) != 0 ||
	    cfg_choice(p, st, 2, "qos policy", w2) != 0)
		return 0;
	t->qos_loc = cfg_tok_loc(p, st, 3);
	if (cfg_name(p, st, 3, "qos policy name", t->qos_name))
		(void)cfg_end(p, st, 4);
	return 0;
}

/* "ip route traffic-selector-guided" */
static int
tun_tsg(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"traffic-selector-guided", NULL};

	if (cfg_once(p, st, T_TSG) &&
	    kind_ok(p, st, K_STATIC | K_ON_DEMAND,
	            "manual tunnels have no traffic selectors, seed 004 §9.4") &&
	    cfg_choice(p, st, 2, "ip route", w) == 0 && cfg_end(p, st, 3))
		cur_tun(p)->ts_guided_routes = true;
	return 0;
}

static int
tun_max(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, T_MAX_TUNNELS) &&
	    kind_ok(p, st, K_ON_DEMAND,
	            "only on-demand tunnels bring up many peers, seed 004 §9.3") &&
	    cfg_u32(p, st, 1, "max-tunnels", 0, UINT32_MAX, "0 (unlimited) to 4294967295",
	            &cur_tun(p)->max_tunnels))
		(void)cfg_end(p, st, 2);
	return 0;
}

/* What each kind requires (the table in docs/configuration.md). */
static int
tun_close(struct cfg_parser *p, struct cfg_frame *f)
{
	struct cfg_tunnel *t = f->obj;
	bool ike = t->kind != CFG_TUNNEL_MANUAL;

	if (!cfg_was_set(f, T_PEP))
		cfg_err_at(p, &f->loc, "missing 'peer-end-point local A%s'",
		           t->kind == CFG_TUNNEL_ON_DEMAND ? "" : " remote B");
	else if (t->local.family && t->kind != CFG_TUNNEL_ON_DEMAND && !t->remote.family)
		cfg_err_at(p, &t->pep_loc, "missing 'remote B' (%s %s tunnel has a known peer)",
		           kind_articles[t->kind], kind_names[t->kind]);
	else if (t->kind == CFG_TUNNEL_ON_DEMAND && t->remote.family)
		cfg_err_at(p, &t->pep_loc,
		           "an on-demand tunnel has no 'remote' (its peers are not "
		           "known in advance, seed 004 §9.3)");
	if (!cfg_was_set(f, T_BIND))
		cfg_err_at(p, &f->loc, "missing 'bind interface IF' (seed 004 §9)");
	if (t->kind == CFG_TUNNEL_STATIC && !cfg_was_set(f, T_REMOTE_ID))
		cfg_err_at(p, &f->loc, "missing 'remote-id ID' (seed 004 §9.2)");
	if (ike && !cfg_was_set(f, T_IKE_POLICY))
		cfg_err_at(p, &f->loc, "missing 'ike-policy NAME'");
	if (t->kind != CFG_TUNNEL_ON_DEMAND && t->nseqs == 0)
		cfg_err_at(p, &f->loc, "no 'seq' (expected 1 to 8 %s)",
		           ike ? "'seq N ipsec-policy P'" : "'seq N security-association SA'");
	return 0;
}

static const struct cfg_kw tun_kws[] = {
        {{"description"}, tun_description, CFG_BLK_NONE},
        {{"shutdown"}, tun_shutdown, CFG_BLK_NONE},
        {{"peer-end-point"}, tun_pep, CFG_BLK_NONE},
        {{"bind"}, tun_bind, CFG_BLK_NONE},
        {{"remote-id"}, tun_remote_id, CFG_BLK_NONE},
        {{"ike-policy"}, tun_ike_policy, CFG_BLK_NONE},
        {{"ike", "policy"}, tun_ike_policy, CFG_BLK_NONE},
        {{"seq"}, tun_seq, CFG_BLK_NONE},
        {{"df-bit"}, tun_df, CFG_BLK_NONE},
        {{"mtu"}, tun_mtu, CFG_BLK_NONE},
        {{"qos"}, tun_qos, CFG_BLK_NONE},
        {{"ip", "route"}, tun_tsg, CFG_BLK_NONE},
        {{"max-tunnels"}, tun_max, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_tunnel = {"tunnel ipsec", tun_kws,
                                           sizeof(tun_kws) / sizeof(tun_kws[0]), tun_close, false};

/* ---- shared by tunnels and profiles ------------------------------------------------------- */

bool
cfg_arg_df(struct cfg_parser *p, const struct cfg_stmt *st, enum cfg_df_bit *out)
{
	static const char *const w[] = {"propagate", "set", "clear", NULL};
	int k = cfg_choice(p, st, 1, "df-bit", w);

	if (k < 0 || !cfg_end(p, st, 2))
		return false;
	*out = (enum cfg_df_bit)k;
	return true;
}

/* One "KEYWORD NAME" pair of a seq statement; *i moves past it. */
static bool
tseq_pair(struct cfg_parser *p, const struct cfg_stmt *st, unsigned *i, unsigned nkw,
          const char *what, char name[CFG_NAME_MAX], struct cfg_loc *loc)
{
	if (loc->line) {
		cfg_err_tok(p, st, *i, "'%s' is written twice", st->t[*i].s);
		return false;
	}
	*loc = cfg_tok_loc(p, st, *i + nkw);
	if (!cfg_name(p, st, *i + nkw, what, name))
		return false;
	*i += nkw + 1;
	return true;
}

static bool
tseq_args(struct cfg_parser *p, const struct cfg_stmt *st, bool allow_sa, struct cfg_tunnel_seq *s)
{
	unsigned i = 2;

	while (i < st->n) {
		bool ok;

		if (cfg_is(st, i, "ipsec-policy"))
			ok = tseq_pair(p, st, &i, 1, "ipsec policy name", s->policy_name,
			               &s->policy_loc);
		else if (cfg_is(st, i, "access-group"))
			ok = tseq_pair(p, st, &i, 1, "access-list name", s->acl_name, &s->acl_loc);
		else if (allow_sa && cfg_is(st, i, "security-association"))
			ok = tseq_pair(p, st, &i, 1, "security association name", s->sa_name,
			               &s->sa_loc);
		else if (allow_sa && cfg_is(st, i, "security") && cfg_is(st, i + 1, "association"))
			ok = tseq_pair(p, st, &i, 2, "security association name", s->sa_name,
			               &s->sa_loc);
		else
			ok = cfg_choice(p, st, i, "seq",
			                allow_sa
			                        ? (const char *const[]){"ipsec-policy",
			                                                "security-association",
			                                                "access-group", NULL}
			                        : (const char *const[]){"ipsec-policy",
			                                                "access-group", NULL}) >= 0;
		if (!ok)
			return false;
	}
	return true;
}

struct cfg_tunnel_seq *
cfg_tseq_parse(struct cfg_parser *p, const struct cfg_stmt *st, struct cfg_tunnel_seq *seqs,
               unsigned *n, bool allow_sa)
{
	struct cfg_tunnel_seq s = {0};
	unsigned dup;
	int at;

	s.loc = cfg_tok_loc(p, st, 0);
	if (!cfg_u32(p, st, 1, "seq", 1, UINT32_MAX, "1-4294967295", &s.seq) ||
	    !tseq_args(p, st, allow_sa, &s))
		return NULL;
	if (*n == CFG_MAX_TUNNEL_SEQS) {
		cfg_err_tok(p, st, 0, "more than %u seq entries (seed 004 §9.2)",
		            CFG_MAX_TUNNEL_SEQS);
		return NULL;
	}
	at = cfg_seq_insert(seqs, sizeof(*seqs), *n, s.seq, &dup);
	if (at < 0) {
		cfg_err_tok(p, st, 1, "seq %u is already used on line %u", (unsigned)s.seq,
		            (unsigned)seqs[dup].loc.line);
		return NULL;
	}
	seqs[at] = s;
	(*n)++;
	return &seqs[at];
}
