/* SPDX-License-Identifier: MIT */
/*
 * Per-context IPsec access lists (seed 004 §8.4) and IPsec profiles for on-demand tunnels
 * (§9.3.3). An ACL rule becomes an IKEv2 traffic selector pair (RFC 7296 §3.13.1): a protocol,
 * a prefix and a port range per side; "neq" has no traffic-selector form and is refused.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

enum { A_DESC };
enum { R_DESC, R_DF, R_MTU };

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
        {"ip", 0},
        {"icmp", IPPROTO_ICMP},
        {"tcp", IPPROTO_TCP},
        {"udp", IPPROTO_UDP},
        {"gre", IPPROTO_GRE},
        {"icmpv6", IPPROTO_ICMPV6},
        {"sctp", IPPROTO_SCTP},
};

const char *
cfg_proto_name(uint8_t proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (protos[i].proto == proto)
			return protos[i].name;
	}
	return NULL;
}

/* ---- ipsec access-list -------------------------------------------------------------------- */

static struct cfg_acl *
cur_acl(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

int
cfg_open_acl(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_context *ctx = p->frames[p->depth - 2].obj;
	struct cfg_acl *acl = calloc(1, sizeof(*acl));
	int rc;

	if (!acl)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&ctx->acls, acl, entry);
	acl->loc = f->loc;
	acl->ctx = ctx;
	f->obj = acl;
	if (cfg_name(p, st, 2, "access-list name", acl->name))
		(void)cfg_end(p, st, 3);
	cfg_frame_where(f, "ipsec access-list %s", acl->name);
	rc = cfg_register(p, st, 2, CFG_NS_ACL, ctx, acl->name, acl, offsetof(struct cfg_acl, loc),
	                  "ipsec access-list");
	return rc == -ENOMEM ? rc : 0;
}

static int
acl_description(struct cfg_parser *p, const struct cfg_stmt *st)
{
	return cfg_description(p, st, A_DESC, &cur_acl(p)->description);
}

/* An optional protocol at token *i: a name or a number 0-255. */
static bool
rule_proto(struct cfg_parser *p, const struct cfg_stmt *st, unsigned *i, uint8_t *out)
{
	uint64_t v;

	*out = 0;
	for (size_t k = 0; k < sizeof(protos) / sizeof(protos[0]); k++) {
		if (cfg_is(st, *i, protos[k].name)) {
			*out = protos[k].proto;
			(*i)++;
			return true;
		}
	}
	if (*i >= st->n || !cfg_parse_u64(st->t[*i].s, &v))
		return true;
	if (!cfg_u64(p, st, *i, "protocol", 0, 255, "0-255", &v))
		return false;
	*out = (uint8_t)v;
	(*i)++;
	return true;
}

/* "any" or a prefix (host bits zero; a bare address is a host). */
static bool
rule_side(struct cfg_parser *p, const struct cfg_stmt *st, unsigned i, const char *what,
          struct cfg_prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (cfg_is(st, i, "any"))
		return true;
	return cfg_arg_prefix(p, st, i, what, false, out);
}

static bool
port_cond(struct cfg_parser *p, const struct cfg_stmt *st, unsigned *i, uint8_t proto,
          struct cfg_port_range *out)
{
	static const char *const w[] = {"eq", "lt", "gt", "range", "neq", NULL};
	unsigned k = *i;
	uint32_t a, b = 0;
	int c = -1;

	out->lo = 0;
	out->hi = 65535;
	for (int j = 0; w[j]; j++)
		c = cfg_is(st, k, w[j]) ? j : c;
	if (c < 0)
		return true;
	if (c == 4) {
		cfg_err_tok(p, st, k,
		            "'neq' cannot be written as an IKEv2 traffic selector "
		            "(expected eq, lt, gt or range)");
		return false;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP) {
		cfg_err_tok(p, st, k, "a port condition needs protocol tcp, udp or sctp");
		return false;
	}
	if (!cfg_u32(p, st, k + 1, "port", c == 1 ? 1 : 0, c == 2 ? 65534 : 65535,
	             c == 1 ? "1-65535" : (c == 2 ? "0-65534" : "0-65535"), &a) ||
	    (c == 3 &&
	     !cfg_u32(p, st, k + 2, "port", a, 65535, "a port from the first to 65535", &b)))
		return false;
	out->lo = (uint16_t)(c == 1 ? 0 : (c == 2 ? a + 1 : a));
	out->hi = (uint16_t)(c == 1 ? a - 1 : (c == 2 ? 65535 : (c == 3 ? b : a)));
	*i = k + (c == 3 ? 3 : 2);
	return true;
}

/* seq N [PROTO] SRC [PORTCOND] [DST [PORTCOND]] */
static bool
rule_parse(struct cfg_parser *p, const struct cfg_stmt *st, struct cfg_acl_rule *r)
{
	unsigned i = 2;

	if (!cfg_u32(p, st, 1, "seq", 1, UINT32_MAX, "1-4294967295", &r->seq) ||
	    !rule_proto(p, st, &i, &r->proto) ||
	    !cfg_need(p, st, i, "source (a prefix or 'any')") ||
	    !rule_side(p, st, i++, "source", &r->src) || !port_cond(p, st, &i, r->proto, &r->sport))
		return false;
	r->dport.hi = 65535;
	if (i < st->n && (!rule_side(p, st, i++, "destination", &r->dst) ||
	                  !port_cond(p, st, &i, r->proto, &r->dport)))
		return false;
	if (!cfg_end(p, st, i))
		return false;
	if (r->src.a.family && r->dst.a.family && r->src.a.family != r->dst.a.family) {
		cfg_err_tok(p, st, 2, "source and destination are of different address families");
		return false;
	}
	return true;
}

static int
acl_seq(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_acl *acl = cur_acl(p);
	struct cfg_acl_rule r = {0}, *v;
	unsigned dup;
	int at;

	r.loc = cfg_tok_loc(p, st, 0);
	if (!rule_parse(p, st, &r))
		return 0;
	if (acl->nrules == CFG_MAX_ACL_RULES) {
		cfg_err_tok(p, st, 0, "more than %u rules", CFG_MAX_ACL_RULES);
		return 0;
	}
	v = realloc(acl->rules, (acl->nrules + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	acl->rules = v;
	at = cfg_seq_insert(acl->rules, sizeof(*v), acl->nrules, r.seq, &dup);
	if (at < 0) {
		cfg_err_tok(p, st, 1, "seq %u is already used on line %u", (unsigned)r.seq,
		            (unsigned)acl->rules[dup].loc.line);
		return 0;
	}
	acl->rules[at] = r;
	acl->nrules++;
	return 0;
}

static const struct cfg_kw acl_kws[] = {
        {{"description"}, acl_description, CFG_BLK_NONE},
        {{"seq"}, acl_seq, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_acl = {"ipsec access-list", acl_kws,
                                        sizeof(acl_kws) / sizeof(acl_kws[0]), NULL, false};

/* ---- ipsec profile ------------------------------------------------------------------------ */

static struct cfg_profile *
cur_prof(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

int
cfg_open_profile(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_context *ctx = p->frames[p->depth - 2].obj;
	struct cfg_profile *prof = calloc(1, sizeof(*prof));
	int rc;

	if (!prof)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&ctx->profiles, prof, entry);
	prof->loc = f->loc;
	prof->ctx = ctx;
	f->obj = prof;
	if (cfg_name(p, st, 2, "profile name", prof->name))
		(void)cfg_end(p, st, 3);
	cfg_frame_where(f, "ipsec profile %s", prof->name);
	rc = cfg_register(p, st, 2, CFG_NS_PROFILE, ctx, prof->name, prof,
	                  offsetof(struct cfg_profile, loc), "ipsec profile");
	return rc == -ENOMEM ? rc : 0;
}

static int
prof_description(struct cfg_parser *p, const struct cfg_stmt *st)
{
	return cfg_description(p, st, R_DESC, &cur_prof(p)->description);
}

static int
prof_df(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, R_DF))
		(void)cfg_arg_df(p, st, &cur_prof(p)->df_bit);
	return 0;
}

static int
prof_mtu(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, R_MTU) &&
	    cfg_u32(p, st, 1, "mtu", 256, 9216, "256-9216", &cur_prof(p)->mtu))
		(void)cfg_end(p, st, 2);
	return 0;
}

static int
prof_seq(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_profile *prof = cur_prof(p);
	struct cfg_tunnel_seq *s = cfg_tseq_parse(p, st, prof->seqs, &prof->nseqs, false);

	if (s && !s->policy_loc.line)
		cfg_err_tok(p, st, st->n, "missing 'ipsec-policy P' (seed 004 §9.3.3)");
	return 0;
}

static const struct cfg_kw prof_kws[] = {
        {{"description"}, prof_description, CFG_BLK_NONE},
        {{"df-bit"}, prof_df, CFG_BLK_NONE},
        {{"mtu"}, prof_mtu, CFG_BLK_NONE},
        {{"seq"}, prof_seq, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_profile = {"ipsec profile", prof_kws,
                                            sizeof(prof_kws) / sizeof(prof_kws[0]), NULL, false};
