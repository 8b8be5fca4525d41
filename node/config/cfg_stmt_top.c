/* SPDX-License-Identifier: MIT */
/*
 * The top level of a configuration: the statements that open global objects, "config",
 * "configure" and "end", and the vendor statements tandem accepts and ignores with one warning
 * each (the seeds' example configurations configure SmartEdge hardware: seed 004 §12). A vendor
 * block (card, port, administrator) swallows the lines that no open block accepts. Also the
 * global IKE settings, tandem extensions: the cookie threshold (RFC 7296 §2.6) and the
 * retransmission timer (§2.1).
 */
#include <stdio.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

enum { T_COOKIE, T_RETRANSMIT, T_METRICS }; /* once-only statements of the top level */

/* "ike cookie-threshold N": half-open IKE SAs above which the responder demands cookies. */
static int
stmt_cookie(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, T_COOKIE) &&
	    cfg_u32(p, st, 2, "cookie-threshold", 1, 100000, "1-100000 half-open IKE SAs",
	            &p->cfg->ike_cookie_threshold))
		(void)cfg_end(p, st, 3);
	return 0;
}

/* "ike retransmit [base MS] [tries N]", at least one of them, in any order. */
static int
stmt_retransmit(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"base", "tries", NULL};
	uint32_t base = p->cfg->ike_retransmit_base_ms, tries = p->cfg->ike_retransmit_tries;
	bool seen[2] = {false, false};

	if (!cfg_once(p, st, T_RETRANSMIT) || !cfg_need(p, st, 2, "'base MS' or 'tries N'"))
		return 0;
	for (unsigned i = 2; i < st->n; i += 2) {
		int k = cfg_choice(p, st, i, "retransmit", w);

		if (k < 0)
			return 0;
		if (seen[k]) {
			cfg_err_tok(p, st, i, "'%s' is written twice", w[k]);
			return 0;
		}
		seen[k] = true;
		if ((k == 0 &&
		     !cfg_u32(p, st, i + 1, "base", 100, 60000, "100-60000 milliseconds", &base)) ||
		    (k == 1 && !cfg_u32(p, st, i + 1, "tries", 1, 20, "1-20 sends", &tries)))
			return 0;
	}
	p->cfg->ike_retransmit_base_ms = base;
	p->cfg->ike_retransmit_tries = tries;
	return 0;
}

/*
 * "metrics listen ADDRESS:PORT", an IPv6 address in brackets ("[::1]:9531"): the Prometheus
 * endpoint (docs/monitoring.md). Pure: splits and checks the token, binds nothing.
 */
static int
stmt_metrics(struct cfg_parser *p, const struct cfg_stmt *st)
{
	char host[64], e[40];
	const char *s, *colon, *h;
	size_t hlen;
	uint64_t port = 0;

	if (!cfg_once(p, st, T_METRICS) || !cfg_need(p, st, 2, "'ADDRESS:PORT'"))
		return 0;
	s = st->t[2].s;
	cfg_safe_str(s, 32, e, sizeof(e));
	colon = strrchr(s, ':');
	h = s;
	hlen = colon ? (size_t)(colon - s) : 0;
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		h = s + 1;
		hlen -= 2;
	} else if (colon && memchr(s, ':', hlen)) {
		cfg_err_tok(p, st, 2, "'%s': write an IPv6 address in brackets, as [::1]:9531", e);
		return 0;
	}
	if (!colon || hlen == 0 || hlen >= sizeof(host)) {
		cfg_err_tok(p, st, 2, "'%s' is not ADDRESS:PORT (e.g. 127.0.0.1:9531)", e);
		return 0;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (!cfg_addr_parse(host, &p->cfg->metrics_addr)) {
		cfg_err_tok(p, st, 2, "'%s': the address is not an IPv4 or IPv6 address", e);
		return 0;
	}
	if (!cfg_parse_u64(colon + 1, &port) || port < 1 || port > 65535) {
		memset(&p->cfg->metrics_addr, 0, sizeof(p->cfg->metrics_addr));
		cfg_err_tok(p, st, 2, "'%s': the port must be 1-65535", e);
		return 0;
	}
	p->cfg->metrics_port = (uint16_t)port;
	(void)cfg_end(p, st, 3);
	return 0;
}

static int
stmt_config(struct cfg_parser *p, const struct cfg_stmt *st)
{
	(void)cfg_end(p, st, 1);
	return 0;
}

static int
stmt_end(struct cfg_parser *p, const struct cfg_stmt *st)
{
	(void)cfg_end(p, st, 1);
	p->ended = true;
	return 0;
}

/*
 * The statement as quoted in the warning: its first tokens (two for "administrator NAME",
 * whose next token is a password hash), made printable.
 */
static void
ignored_text(const struct cfg_stmt *st, char *out, size_t cap)
{
	unsigned n = cfg_is(st, 0, "administrator") ? 2 : 3;
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < n && i < st->n && len + 1 < cap; i++) {
		char tok[40];

		cfg_safe_str(st->t[i].s, 32, tok, sizeof(tok));
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", tok);
	}
}

int
cfg_stmt_ignored(struct cfg_parser *p, const struct cfg_stmt *st)
{
	char text[128];

	ignored_text(st, text, sizeof(text));
	snprintf(p->where, sizeof(p->where), "%s", cfg_top(p)->where);
	cfg_warn_tok(p, st, 0,
	             "'%s' configures the vendor's hardware or management plane; tandem ignores "
	             "it",
	             text);
	return 0;
}

int
cfg_stmt_ignored_block(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);

	ignored_text(st, f->where, sizeof(f->where));
	f->obj = NULL;
	return 0;
}

int
cfg_stmt_ignored_close(struct cfg_parser *p, struct cfg_frame *f)
{
	char text[CFG_WHERE_MAX];

	/* Report in the block that held the vendor block ("top level", "context local"). */
	snprintf(text, sizeof(text), "%s", f->where);
	snprintf(p->where, sizeof(p->where), "%s", p->frames[p->depth - 2].where);
	if (f->nlines == 0)
		cfg_warn_at(p, &f->loc,
		            "'%s' configures the vendor's hardware or management plane; tandem "
		            "ignores it",
		            text);
	else
		cfg_warn_at(p, &f->loc,
		            "'%s' configures the vendor's hardware or management plane; tandem "
		            "ignores it and the %u line%s under it",
		            text, f->nlines, f->nlines == 1 ? "" : "s");
	return 0;
}

const struct cfg_kw cfg_kws_ignored[] = {
        {{"card"}, cfg_stmt_ignored_block, CFG_BLK_IGNORED},
        {{"port"}, cfg_stmt_ignored_block, CFG_BLK_IGNORED},
        {{"administrator"}, cfg_stmt_ignored_block, CFG_BLK_IGNORED},
        {{"boot"}, cfg_stmt_ignored, CFG_BLK_NONE},
        {{"service"}, cfg_stmt_ignored, CFG_BLK_NONE},
        {{"no", "service"}, cfg_stmt_ignored, CFG_BLK_NONE},
        {{"logging"}, cfg_stmt_ignored, CFG_BLK_NONE},
        {{"no", "logging"}, cfg_stmt_ignored, CFG_BLK_NONE},
        {{"ip", "domain-lookup"}, cfg_stmt_ignored, CFG_BLK_NONE},
        {{"no", "ip", "domain-lookup"}, cfg_stmt_ignored, CFG_BLK_NONE},
        {{"system"}, cfg_stmt_ignored, CFG_BLK_NONE},
        {{"clock"}, cfg_stmt_ignored, CFG_BLK_NONE},
        {{"timezone"}, cfg_stmt_ignored, CFG_BLK_NONE},
};

const size_t cfg_nkws_ignored = sizeof(cfg_kws_ignored) / sizeof(cfg_kws_ignored[0]);

const struct cfg_blk_def cfg_blk_ignored = {"vendor block", NULL, 0, cfg_stmt_ignored_close, false};

static const struct cfg_kw top_kws[] = {
        {{"ike", "proposal"}, cfg_open_ike_prop, CFG_BLK_IKE_PROP},
        {{"ike2", "proposal"}, cfg_open_ike_prop, CFG_BLK_IKE_PROP},
        {{"ipsec", "proposal"}, cfg_open_ipsec_prop, CFG_BLK_IPSEC_PROP},
        {{"ipsec", "policy"}, cfg_open_ipsec_policy, CFG_BLK_IPSEC_POLICY},
        {{"ipsec", "security-association"}, cfg_open_ipsec_sa, CFG_BLK_IPSEC_SA},
        {{"ipsec", "qos", "policy"}, cfg_open_qos, CFG_BLK_QOS},
        {{"asp", "pool"}, cfg_open_asp_pool, CFG_BLK_ASP_POOL},
        {{"asp", "group"}, cfg_open_asp_group, CFG_BLK_ASP_GROUP},
        {{"context"}, cfg_open_context, CFG_BLK_CONTEXT},
        {{"tunnel", "ipsec"}, cfg_open_tunnel, CFG_BLK_TUNNEL},
        {{"cluster"}, cfg_open_cluster, CFG_BLK_CLUSTER},
        {{"ike", "cookie-threshold"}, stmt_cookie, CFG_BLK_NONE},
        {{"ike", "retransmit"}, stmt_retransmit, CFG_BLK_NONE},
        {{"metrics", "listen"}, stmt_metrics, CFG_BLK_NONE},
        {{"config"}, stmt_config, CFG_BLK_NONE},
        {{"configure"}, stmt_config, CFG_BLK_NONE},
        {{"end"}, stmt_end, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_top = {"top level", top_kws, sizeof(top_kws) / sizeof(top_kws[0]),
                                        NULL, true};
