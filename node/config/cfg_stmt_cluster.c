/* SPDX-License-Identifier: MIT */
/*
 * The cluster block (a tandem extension, docs/configuration.md "cluster NAME"): nodes with
 * their corosync ids, priorities and sync addresses, preemption, the virtual addresses the
 * active node owns, and the sizes of sequence-number leases and replay reports (DESIGN.md,
 * "Replication"). Rules across nodes are checked in cfg_validate.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

enum { K_PREEMPT, K_LEASE, K_REPLAY };

static struct cfg_cluster *
cur_cl(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

int
cfg_open_cluster(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_cluster *cl = &p->cfg->cluster;
	char name[CFG_NAME_MAX];

	f->obj = cl;
	if (cfg_name(p, st, 1, "cluster name", name))
		(void)cfg_end(p, st, 2);
	cfg_frame_where(f, "cluster %s", name);
	if (cl->present) {
		cfg_err_tok(p, st, 0, "a second cluster block (the first is on line %u)",
		            (unsigned)cl->loc.line);
		return 0;
	}
	cl->present = true;
	cl->loc = f->loc;
	memcpy(cl->name, name, sizeof(name));
	cl->lease_size = 65536;
	cl->lease_refill_pct = 50;
	cl->replay_report_every = 1024;
	return 0;
}

/* "id N", "priority P", "address A" in any order, each once. */
static bool
node_attrs(struct cfg_parser *p, const struct cfg_stmt *st, struct cfg_cluster_node *n)
{
	static const char *const w[] = {"id", "priority", "address", NULL};
	bool seen[3] = {false, false, false};
	uint32_t v;

	for (unsigned i = 2; i < st->n; i += 2) {
		int k = cfg_choice(p, st, i, "node", w);

		if (k < 0)
			return false;
		if (seen[k]) {
			cfg_err_tok(p, st, i, "'%s' is written twice", w[k]);
			return false;
		}
		seen[k] = true;
		if ((k == 0 &&
		     !cfg_u32(p, st, i + 1, "id", 1, INT32_MAX, "1-2147483647", &n->id)) ||
		    (k == 1 && !cfg_u32(p, st, i + 1, "priority", 1, 255, "1-255", &v)) ||
		    (k == 2 && !cfg_arg_addr(p, st, i + 1, "address", &n->addr)))
			return false;
		if (k == 1)
			n->priority = (uint8_t)v;
	}
	for (int k = 0; k < 3; k++) {
		if (!seen[k]) {
			cfg_err_tok(p, st, st->n,
			            "missing '%s' (expected node NAME id N priority P "
			            "address A)",
			            w[k]);
			return false;
		}
	}
	return true;
}

static int
cl_node(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_cluster *cl = cur_cl(p);
	struct cfg_cluster_node n = {0};

	n.loc = cfg_tok_loc(p, st, 1);
	if (!cfg_name(p, st, 1, "node name", n.name) || !node_attrs(p, st, &n))
		return 0;
	if (cl->nnodes == CFG_MAX_CLUSTER_NODES) {
		cfg_err_tok(p, st, 0, "more than %u nodes", CFG_MAX_CLUSTER_NODES);
		return 0;
	}
	cl->nodes[cl->nnodes++] = n;
	return 0;
}

static int
cl_preempt(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (cfg_once(p, st, K_PREEMPT) && cfg_end(p, st, 1))
		cur_cl(p)->preempt = true;
	return 0;
}

/* A Linux interface name: 1-15 characters, no '/' (IFNAMSIZ). */
static bool
ifname_valid(const char *s)
{
	return cfg_name_valid(s) && !strchr(s, '/') && strlen(s) < CFG_IFNAME_MAX &&
	       strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static int
cl_vip(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"interface", NULL};
	struct cfg_cluster *cl = cur_cl(p);
	struct cfg_vip v = {0};
	char e[80];

	v.loc = cfg_tok_loc(p, st, 1);
	if (!cfg_arg_prefix(p, st, 1, "virtual-address", true, &v.prefix) ||
	    cfg_choice(p, st, 2, "virtual-address", w) != 0 ||
	    !cfg_need(p, st, 3, "interface name"))
		return 0;
	if (!ifname_valid(st->t[3].s)) {
		cfg_safe_str(st->t[3].s, 64, e, sizeof(e));
		cfg_err_tok(p, st, 3,
		            "'%s' is not a Linux interface name (expected 1 to 15 "
		            "characters, no '/')",
		            e);
		return 0;
	}
	if (!cfg_end(p, st, 4))
		return 0;
	snprintf(v.ifname, sizeof(v.ifname), "%s", st->t[3].s);
	if (cl->nvips == CFG_MAX_VIPS) {
		cfg_err_tok(p, st, 0, "more than %u virtual addresses", CFG_MAX_VIPS);
		return 0;
	}
	cl->vips[cl->nvips++] = v;
	return 0;
}

/* "sequence-lease [size N] [refill P]", at least one of them. */
static int
cl_lease(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"size", "refill", NULL};
	struct cfg_cluster *cl = cur_cl(p);
	uint32_t size = cl->lease_size, refill = cl->lease_refill_pct;
	bool seen[2] = {false, false};

	if (!cfg_once(p, st, K_LEASE) || !cfg_need(p, st, 1, "'size N' or 'refill P'"))
		return 0;
	for (unsigned i = 1; i < st->n; i += 2) {
		int k = cfg_choice(p, st, i, "sequence-lease", w);

		if (k < 0)
			return 0;
		if (seen[k]) {
			cfg_err_tok(p, st, i, "'%s' is written twice", w[k]);
			return 0;
		}
		seen[k] = true;
		if ((k == 0 &&
		     !cfg_u32(p, st, i + 1, "size", 1024, 16777216, "1024-16777216", &size)) ||
		    (k == 1 && !cfg_u32(p, st, i + 1, "refill", 10, 90, "10-90 percent", &refill)))
			return 0;
	}
	cl->lease_size = size;
	cl->lease_refill_pct = refill;
	return 0;
}

static int
cl_replay(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w[] = {"every", NULL};

	if (cfg_once(p, st, K_REPLAY) && cfg_choice(p, st, 1, "replay-report", w) == 0 &&
	    cfg_u32(p, st, 2, "replay-report every", 8, 1048576, "8-1048576",
	            &cur_cl(p)->replay_report_every))
		(void)cfg_end(p, st, 3);
	return 0;
}

static const struct cfg_kw cl_kws[] = {
        {{"node"}, cl_node, CFG_BLK_NONE},
        {{"preempt"}, cl_preempt, CFG_BLK_NONE},
        {{"virtual-address"}, cl_vip, CFG_BLK_NONE},
        {{"sequence-lease"}, cl_lease, CFG_BLK_NONE},
        {{"replay-report"}, cl_replay, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_cluster = {"cluster", cl_kws, sizeof(cl_kws) / sizeof(cl_kws[0]),
                                            NULL, false};
