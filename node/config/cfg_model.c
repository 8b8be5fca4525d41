/* SPDX-License-Identifier: MIT */
/*
 * The configuration model's lifetime and lookups: an empty struct cfg, contexts created on
 * first mention, the NULL-safe cfg_free that wipes every key, and the lookups other modules
 * use. Objects are linked into their parent before they are filled, so one free cleans up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

char *
cfg_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

struct cfg *
cfg_new(const char *name)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	TAILQ_INIT(&cfg->ike_proposals);
	TAILQ_INIT(&cfg->ipsec_proposals);
	TAILQ_INIT(&cfg->ipsec_policies);
	TAILQ_INIT(&cfg->ipsec_sas);
	TAILQ_INIT(&cfg->qos_policies);
	TAILQ_INIT(&cfg->asp_pools);
	TAILQ_INIT(&cfg->asp_groups);
	TAILQ_INIT(&cfg->contexts);
	TAILQ_INIT(&cfg->tunnels);
	cfg->ike_cookie_threshold = CFG_COOKIE_THRESHOLD_DEFAULT;
	cfg->ike_retransmit_base_ms = CFG_RETRANSMIT_BASE_DEFAULT;
	cfg->ike_retransmit_tries = CFG_RETRANSMIT_TRIES_DEFAULT;
	cfg->source_name = cfg_strdup(name);
	if (!cfg->source_name) {
		free(cfg);
		return NULL;
	}
	return cfg;
}

struct cfg_context *
cfg_ctx_get(struct cfg_parser *p, const char *name, bool *created)
{
	struct cfg_context *ctx = NULL;

	*created = false;
	if (name[0])
		ctx = cfg_index_get(p->names, CFG_NS_CONTEXT, NULL, name);
	if (ctx)
		return ctx;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	TAILQ_INIT(&ctx->interfaces);
	TAILQ_INIT(&ctx->ike_policies);
	TAILQ_INIT(&ctx->acls);
	TAILQ_INIT(&ctx->profiles);
	TAILQ_INIT(&ctx->routes);
	snprintf(ctx->name, sizeof(ctx->name), "%s", name);
	ctx->dpd_interval_sec = 10;
	ctx->dpd_retries = 3;
	TAILQ_INSERT_TAIL(&p->cfg->contexts, ctx, entry);
	/* An invalid name (already reported) gets a context of its own, never found by name. */
	if (name[0] && cfg_index_add(p->names, CFG_NS_CONTEXT, NULL, ctx->name, ctx, NULL) != 0)
		return NULL; /* linked: cfg_free releases it */
	*created = true;
	return ctx;
}

/* ---- free -------------------------------------------------------------------------------- */

static void
sa_dir_wipe(struct cfg_sa_dir *d)
{
	secret_clear(&d->esp_encr_key);
	secret_clear(&d->esp_integ_key);
	secret_clear(&d->ah_key);
}

static void
ctx_free(struct cfg_context *ctx)
{
	struct cfg_interface *ifc;
	struct cfg_ike_policy *pol;
	struct cfg_acl *acl;
	struct cfg_profile *prof;
	struct cfg_route *rt;

	while ((ifc = TAILQ_FIRST(&ctx->interfaces)) != NULL) {
		TAILQ_REMOVE(&ctx->interfaces, ifc, entry);
		free(ifc->description);
		free(ifc);
	}
	while ((pol = TAILQ_FIRST(&ctx->ike_policies)) != NULL) {
		TAILQ_REMOVE(&ctx->ike_policies, pol, entry);
		free(pol->description);
		secret_clear(&pol->psk.key);
		free(pol);
	}
	while ((acl = TAILQ_FIRST(&ctx->acls)) != NULL) {
		TAILQ_REMOVE(&ctx->acls, acl, entry);
		free(acl->description);
		free(acl->rules);
		free(acl);
	}
	while ((prof = TAILQ_FIRST(&ctx->profiles)) != NULL) {
		TAILQ_REMOVE(&ctx->profiles, prof, entry);
		free(prof->description);
		free(prof);
	}
	while ((rt = TAILQ_FIRST(&ctx->routes)) != NULL) {
		TAILQ_REMOVE(&ctx->routes, rt, entry);
		free(rt);
	}
	free(ctx->description);
	free(ctx);
}

/* Frees every element of a TAILQ whose elements have a `description` and nothing else owned. */
/* NOLINTBEGIN(bugprone-macro-parentheses): type is a declaration specifier */
#define FREE_LIST(head, type)                              \
	do {                                               \
		type *e_;                                  \
		while ((e_ = TAILQ_FIRST(head)) != NULL) { \
			TAILQ_REMOVE(head, e_, entry);     \
			free(e_->description);             \
			free(e_);                          \
		}                                          \
	} while (0)
/* NOLINTEND(bugprone-macro-parentheses) */

/* NOLINTBEGIN(bugprone-macro-parentheses): type is a declaration specifier */
#define FREE_LIST_PLAIN(head, type)                        \
	do {                                               \
		type *e_;                                  \
		while ((e_ = TAILQ_FIRST(head)) != NULL) { \
			TAILQ_REMOVE(head, e_, entry);     \
			free(e_);                          \
		}                                          \
	} while (0)
/* NOLINTEND(bugprone-macro-parentheses) */

static void
free_globals(struct cfg *cfg)
{
	struct cfg_ipsec_sa *sa;

	FREE_LIST(&cfg->ike_proposals, struct cfg_ike_proposal);
	FREE_LIST(&cfg->ipsec_proposals, struct cfg_ipsec_proposal);
	FREE_LIST(&cfg->ipsec_policies, struct cfg_ipsec_policy);
	while ((sa = TAILQ_FIRST(&cfg->ipsec_sas)) != NULL) {
		TAILQ_REMOVE(&cfg->ipsec_sas, sa, entry);
		sa_dir_wipe(&sa->in);
		sa_dir_wipe(&sa->out);
		free(sa->description);
		free(sa);
	}
	FREE_LIST_PLAIN(&cfg->qos_policies, struct cfg_qos_policy);
	FREE_LIST_PLAIN(&cfg->asp_pools, struct cfg_asp_pool);
	FREE_LIST_PLAIN(&cfg->asp_groups, struct cfg_asp_group);
}

void
cfg_free(struct cfg *cfg)
{
	struct cfg_context *ctx;

	if (!cfg)
		return;
	free_globals(cfg);
	while ((ctx = TAILQ_FIRST(&cfg->contexts)) != NULL) {
		TAILQ_REMOVE(&cfg->contexts, ctx, entry);
		ctx_free(ctx);
	}
	FREE_LIST(&cfg->tunnels, struct cfg_tunnel);
	free(cfg->source_name);
	free(cfg);
}

/* ---- lookups ----------------------------------------------------------------------------- */

struct cfg_context *
cfg_find_context(const struct cfg *cfg, const char *name)
{
	struct cfg_context *ctx;

	TAILQ_FOREACH(ctx, &cfg->contexts, entry)
	{
		if (strcmp(ctx->name, name) == 0)
			return ctx;
	}
	return NULL;
}

struct cfg_tunnel *
cfg_find_tunnel(const struct cfg *cfg, const char *name)
{
	struct cfg_tunnel *t;

	TAILQ_FOREACH(t, &cfg->tunnels, entry)
	{
		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

struct cfg_asp_group *
cfg_find_asp_group(const struct cfg *cfg, const char *name)
{
	struct cfg_asp_group *g;

	TAILQ_FOREACH(g, &cfg->asp_groups, entry)
	{
		if (strcmp(g->name, name) == 0)
			return g;
	}
	return NULL;
}

const struct cfg_cluster_node *
cfg_find_node(const struct cfg *cfg, const char *name)
{
	for (unsigned i = 0; cfg->cluster.present && i < cfg->cluster.nnodes; i++) {
		if (strcmp(cfg->cluster.nodes[i].name, name) == 0)
			return &cfg->cluster.nodes[i];
	}
	return NULL;
}

unsigned
cfg_count_tunnels(const struct cfg *cfg)
{
	const struct cfg_tunnel *t;
	unsigned n = 0;

	TAILQ_FOREACH(t, &cfg->tunnels, entry)
	n++;
	return n;
}
