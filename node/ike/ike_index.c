/* SPDX-License-Identifier: MIT */
/*
 * The IKE engine's indexes (docs/ike.md, "Scale"): IKE SAs by our SPI, by the peer's SPI while
 * half-open, established ones by the peer's address, and all by tunnel and remote identity;
 * Child SAs by inbound and by outbound SPI, and the inbound SPIs reserved for exchanges in
 * flight; tunnels by name, each with the list of its IKE SAs and counts that follow the SAs'
 * changes. Lookups and updates cost O(1) on average whatever the number of SAs. The
 * self-check at the end recounts everything the slow way, for the tests.
 */
#define LOG_SUBSYS "ike"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

/* ---- tables ---------------------------------------------------------------------------------- */

static struct ike_htab *
tables(struct ike_engine *e, size_t i)
{
	struct ike_htab *t[] = {&e->sa_by_spi, &e->sa_by_peer, &e->sa_by_addr, &e->sa_by_id,
	                        &e->child_in,  &e->child_out,  &e->spi_rsv,    &e->tun_by_name};

	return i < sizeof(t) / sizeof(t[0]) ? t[i] : NULL;
}

int
ike_index_init(struct ike_engine *e)
{
	struct ike_htab *t;

	for (size_t i = 0; (t = tables(e, i)); i++)
		if (ike_htab_init(t, IKE_HTAB_FIRST))
			return -ENOMEM;
	return 0;
}

void
ike_index_fini(struct ike_engine *e)
{
	struct ike_htab *t;

	/* the SAs are gone; what is left are tunnel slots */
	for (size_t i = 0; e->tun_by_name.b && i <= e->tun_by_name.mask; i++) {
		while (e->tun_by_name.b[i]) {
			struct ike_tun *tu =
			        ike_container_of(e->tun_by_name.b[i], struct ike_tun, by_name);

			ike_htab_del(&e->tun_by_name, &tu->by_name);
			free(tu);
		}
	}
	for (size_t i = 0; (t = tables(e, i)); i++)
		ike_htab_fini(t);
	e->nslots = 0;
}

static uint64_t
hash_u32(const struct ike_engine *e, uint32_t v)
{
	return ike_hash_u64(e->hash_seed, v);
}

/* ---- IKE SAs by SPI -------------------------------------------------------------------------- */

void
ike_sa_hash_add(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	ike_htab_del(&e->sa_by_spi, &sa->by_spi);
	ike_htab_add(&e->sa_by_spi, &sa->by_spi, ike_hash_u64(e->hash_seed, ike_sa_our_spi(sa)));
}

void
ike_sa_peer_hash_add(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	ike_htab_del(&e->sa_by_peer, &sa->by_peer);
	ike_htab_add(&e->sa_by_peer, &sa->by_peer, ike_hash_u64(e->hash_seed, sa->st.spi_i));
}

struct ike_sa *
ike_sa_find(struct ike_engine *e, uint64_t our_spi)
{
	for (struct ike_hnode *n =
	             ike_htab_first(&e->sa_by_spi, ike_hash_u64(e->hash_seed, our_spi));
	     n; n = ike_htab_next(n)) {
		struct ike_sa *sa = ike_container_of(n, struct ike_sa, by_spi);

		if (ike_sa_our_spi(sa) == our_spi)
			return sa;
	}
	return NULL;
}

/* Either SPI may be ours: look under both. */
struct ike_sa *
ike_sa_find_by_spis(struct ike_engine *e, uint64_t spi_i, uint64_t spi_r)
{
	uint64_t key[2] = {spi_i, spi_r};
	struct ike_sa *best = NULL;

	for (size_t k = 0; k < 2; k++) {
		uint64_t h = ike_hash_u64(e->hash_seed, key[k]);

		for (struct ike_hnode *n = ike_htab_first(&e->sa_by_spi, h); n;
		     n = ike_htab_next(n)) {
			struct ike_sa *sa = ike_container_of(n, struct ike_sa, by_spi);

			/* the oldest, as a walk of every SA would find it */
			if (sa->st.spi_i == spi_i && sa->st.spi_r == spi_r &&
			    (!best || sa->seq < best->seq))
				best = sa;
		}
		if (spi_i == spi_r)
			break;
	}
	return best;
}

struct ike_sa *
ike_sa_find_half_open(struct ike_engine *e, uint64_t peer_spi,
                      const struct sockaddr_storage *remote)
{
	struct ike_sa *found = NULL;

	for (struct ike_hnode *n =
	             ike_htab_first(&e->sa_by_peer, ike_hash_u64(e->hash_seed, peer_spi));
	     n; n = ike_htab_next(n)) {
		struct ike_sa *sa = ike_container_of(n, struct ike_sa, by_peer);

		/* the newest, as the list this replaces had it first */
		if (sa->st.spi_i == peer_spi && ike_ss_addr_eq(&sa->st.remote, remote) &&
		    (!found || sa->seq > found->seq))
			found = sa;
	}
	return found;
}

/* ---- tunnels --------------------------------------------------------------------------------- */

struct ike_tun *
ike_tun_slot(struct ike_engine *e, const char *name, bool create)
{
	uint64_t h = ike_hash_bytes(e->hash_seed, name, strlen(name));
	struct ike_tun *tu;

	for (struct ike_hnode *n = ike_htab_first(&e->tun_by_name, h); n; n = ike_htab_next(n)) {
		tu = ike_container_of(n, struct ike_tun, by_name);
		if (strcmp(tu->name, name) == 0)
			return tu;
	}
	if (!create || ike_heap_reserve(&e->tun_timers, e->nslots + 1))
		return NULL;
	tu = calloc(1, sizeof(*tu));
	if (!tu)
		return NULL;
	snprintf(tu->name, sizeof(tu->name), "%s", name);
	TAILQ_INIT(&tu->sas);
	ike_htab_add(&e->tun_by_name, &tu->by_name, h);
	e->nslots++;
	return tu;
}

void
ike_tun_slot_gc(struct ike_engine *e, struct ike_tun *tu)
{
	if (!tu || tu->t || tu->nsa || tu->in_batch)
		return;
	ike_heap_del(&e->tun_timers, &tu->tmr);
	if (tu->dirty)
		TAILQ_REMOVE(&e->tun_dirty, tu, dirty_entry);
	ike_htab_del(&e->tun_by_name, &tu->by_name);
	e->nslots--;
	free(tu);
}

struct ike_tun *
ike_tun_find(struct ike_engine *e, const char *name)
{
	struct ike_tun *tu = ike_tun_slot(e, name, false);

	return tu && tu->t ? tu : NULL;
}

/* ---- an IKE SA's place in the indexes -------------------------------------------------------- */

static unsigned
sa_counts(const struct ike_sa *sa)
{
	enum ike_sa_phase p = sa->st.phase;
	unsigned c = 0;

	if (!sa->rekeyed && p != IKE_PHASE_DELETING)
		c |= IKE_CNT_ACTIVE;
	if (p != IKE_PHASE_STANDBY && ike_sa_live_children(sa))
		c |= IKE_CNT_UP;
	if (p == IKE_PHASE_ESTABLISHED)
		c |= sa->st.initiator ? IKE_CNT_EST : IKE_CNT_EST | IKE_CNT_EST_PEER;
	if (sa->st.initiator && p == IKE_PHASE_INIT_SENT)
		c |= IKE_CNT_INIT_SENT;
	if (sa->st.initiator &&
	    (p == IKE_PHASE_INIT_SENT || p == IKE_PHASE_ESTABLISHED || p == IKE_PHASE_REKEYING))
		c |= IKE_CNT_OURS_LIVE;
	return c;
}

static void
count(uint32_t *v, bool in, bool add)
{
	if (in)
		*v = add ? *v + 1 : *v - 1;
}

static void
counts_apply(struct ike_tun *tu, unsigned c, bool add)
{
	count(&tu->nactive, c & IKE_CNT_ACTIVE, add);
	count(&tu->nup, c & IKE_CNT_UP, add);
	count(&tu->nest, c & IKE_CNT_EST, add);
	count(&tu->nest_peer, c & IKE_CNT_EST_PEER, add);
	count(&tu->ninit_sent, c & IKE_CNT_INIT_SENT, add);
	count(&tu->nours_live, c & IKE_CNT_OURS_LIVE, add);
}

static void
counts_set(struct ike_sa *sa, unsigned c)
{
	struct ike_tun *tu = sa->tu;

	if (c == sa->cnt)
		return;
	counts_apply(tu, sa->cnt, false);
	counts_apply(tu, c, true);
	/* whether the tunnel has an SA changed: it may have to initiate (or stop waiting) */
	if ((c ^ sa->cnt) & IKE_CNT_ACTIVE)
		ike_tun_touch(sa->e, tu);
	sa->cnt = c;
}

static void
tun_leave(struct ike_sa *sa)
{
	struct ike_tun *tu = sa->tu;

	if (!tu)
		return;
	counts_set(sa, 0);
	ike_htab_del(&sa->e->sa_by_id, &sa->by_id);
	TAILQ_REMOVE(&tu->sas, sa, tun_entry);
	tu->nsa--;
	sa->tu = NULL;
	ike_tun_slot_gc(sa->e, tu);
}

static uint64_t
id_hash(const struct ike_engine *e, const struct ike_tun *tu, const struct cfg_id *id)
{
	uint64_t k = (uint64_t)(uintptr_t)tu ^ (uint64_t)id->type << 48 ^ (uint64_t)id->len << 32;
	size_t len = id->len <= sizeof(id->data) ? id->len : sizeof(id->data);

	return ike_hash_bytes(ike_hash_u64(e->hash_seed, k), id->data, len);
}

static uint64_t
addr_hash(const struct ike_engine *e, const struct sockaddr_storage *ss)
{
	uint8_t a[16];
	size_t n = ike_ss_addr(ss, a);

	return ike_hash_bytes(e->hash_seed, a, n);
}

/* Links n under hash h, or moves it there; a node already under h stays where it is. */
static void
relink(struct ike_htab *t, struct ike_hnode *n, bool member, uint64_t h)
{
	if (ike_hnode_linked(n) && (!member || n->hash != h))
		ike_htab_del(t, n);
	if (member && !ike_hnode_linked(n))
		ike_htab_add(t, n, h);
}

void
ike_sa_index(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	if (sa->tu && strcmp(sa->tu->name, sa->st.tunnel) != 0)
		tun_leave(sa);
	if (!sa->tu && sa->st.tunnel[0]) {
		struct ike_tun *tu = ike_tun_slot(e, sa->st.tunnel, true);

		if (tu) {
			TAILQ_INSERT_TAIL(&tu->sas, sa, tun_entry);
			tu->nsa++;
			sa->tu = tu;
		} else {
			log_warnx("tunnel %s: out of memory indexing an IKE SA", sa->st.tunnel);
		}
	}
	if (sa->tu) {
		counts_set(sa, sa_counts(sa));
		relink(&e->sa_by_id, &sa->by_id, true, id_hash(e, sa->tu, &sa->st.id_remote));
	}
	relink(&e->sa_by_addr, &sa->by_addr, sa->st.phase == IKE_PHASE_ESTABLISHED,
	       addr_hash(e, &sa->st.remote));
	ike_sa_touch(sa);
}

void
ike_sa_set_phase(struct ike_sa *sa, enum ike_sa_phase phase)
{
	sa->st.phase = phase;
	ike_sa_index(sa);
}

void
ike_sa_unindex(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	tun_leave(sa);
	ike_htab_del(&e->sa_by_spi, &sa->by_spi);
	ike_htab_del(&e->sa_by_peer, &sa->by_peer);
	ike_htab_del(&e->sa_by_addr, &sa->by_addr);
	ike_htab_del(&e->sa_by_id, &sa->by_id);
	for (size_t i = 0; i < sa->st.nchildren; i++)
		ike_child_unindex(sa->e, sa->cx[i]);
}

struct ike_sa *
ike_sa_by_addr(struct ike_engine *e, const struct sockaddr_storage *remote)
{
	/* any of them (a walk of every SA took the oldest; all SAs may share one address) */
	for (struct ike_hnode *n = ike_htab_first(&e->sa_by_addr, addr_hash(e, remote)); n;
	     n = ike_htab_next(n)) {
		struct ike_sa *sa = ike_container_of(n, struct ike_sa, by_addr);

		if (sa->st.phase == IKE_PHASE_ESTABLISHED && ike_ss_addr_eq(&sa->st.remote, remote))
			return sa;
	}
	return NULL;
}

bool
ike_sa_same_id(const struct ike_sa *a, const struct ike_sa *b)
{
	return a->st.id_remote.type == b->st.id_remote.type &&
	       a->st.id_remote.len == b->st.id_remote.len &&
	       memcmp(a->st.id_remote.data, b->st.id_remote.data, a->st.id_remote.len) == 0;
}

size_t
ike_sa_same_id_list(struct ike_sa *sa, struct ike_sa ***out)
{
	struct ike_engine *e = sa->e;
	struct ike_sa **v = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (!sa->tu)
		return 0;
	for (struct ike_hnode *h = ike_htab_first(&e->sa_by_id, sa->by_id.hash); h;
	     h = ike_htab_next(h)) {
		struct ike_sa *o = ike_container_of(h, struct ike_sa, by_id);

		if (o == sa || o->tu != sa->tu || !ike_sa_same_id(o, sa))
			continue;
		if (n == cap) {
			struct ike_sa **nv = realloc(v, (cap ? 2 * cap : 8) * sizeof(*nv));

			if (!nv)
				break; /* the ones found so far */
			v = nv;
			cap = cap ? 2 * cap : 8;
		}
		v[n++] = o;
	}
	/* creation order, as a walk of every SA gives them (insertion sort: lists are short) */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1]->seq > v[j]->seq; j--) {
			struct ike_sa *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*out = v;
	return n;
}

/* ---- Child SAs by SPI ------------------------------------------------------------------------ */

void
ike_child_index(struct ike_sa *sa, size_t idx)
{
	struct ike_engine *e = sa->e;
	const struct ike_child_state *c = &sa->st.child[idx];
	struct ike_child_rt *rt = sa->cx[idx];

	rt->sa = sa;
	ike_htab_del(&e->child_in, &rt->by_in);
	ike_htab_del(&e->child_out, &rt->by_out);
	ike_htab_add(&e->child_in, &rt->by_in, hash_u32(e, c->spi_in));
	ike_htab_add(&e->child_out, &rt->by_out, hash_u32(e, c->spi_out));
}

void
ike_child_unindex(struct ike_engine *e, struct ike_child_rt *rt)
{
	ike_htab_del(&e->child_in, &rt->by_in);
	ike_htab_del(&e->child_out, &rt->by_out);
}

/* Where rt sits in its IKE SA's arrays. */
static size_t
child_pos(const struct ike_child_rt *rt)
{
	for (size_t i = 0; i < rt->sa->st.nchildren; i++)
		if (rt->sa->cx[i] == rt)
			return i;
	return SIZE_MAX;
}

struct ike_sa *
ike_child_lookup(struct ike_engine *e, uint32_t spi, bool inbound, size_t *idx)
{
	struct ike_htab *t = inbound ? &e->child_in : &e->child_out;
	struct ike_sa *best = NULL;
	size_t best_i = 0;

	for (struct ike_hnode *n = ike_htab_first(t, hash_u32(e, spi)); n; n = ike_htab_next(n)) {
		struct ike_child_rt *rt =
		        inbound ? ike_container_of(n, struct ike_child_rt, by_in)
		                : ike_container_of(n, struct ike_child_rt, by_out);
		size_t i = child_pos(rt);
		const struct ike_child_state *c;

		if (i == SIZE_MAX)
			continue;
		c = &rt->sa->st.child[i];
		if ((inbound ? c->spi_in : c->spi_out) != spi)
			continue;
		/* of several (a peer's SPIs are its own choice), the first a walk would find */
		if (!best || rt->sa->seq < best->seq || (rt->sa == best && i < best_i)) {
			best = rt->sa;
			best_i = i;
		}
	}
	if (best && idx)
		*idx = best_i;
	return best;
}

void
ike_ccs_reserve(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	struct ike_ccs *cc = sa->ccs;

	ike_htab_del(&e->spi_rsv, &cc->rsv);
	if (cc->spi_in)
		ike_htab_add(&e->spi_rsv, &cc->rsv, hash_u32(e, cc->spi_in));
}

void
ike_ccs_unreserve(struct ike_sa *sa)
{
	if (sa->ccs)
		ike_htab_del(&sa->e->spi_rsv, &sa->ccs->rsv);
}

bool
ike_child_spi_used(struct ike_engine *e, uint32_t spi)
{
	uint64_t h = hash_u32(e, spi);

	if (ike_child_lookup(e, spi, true, NULL))
		return true;
	for (struct ike_hnode *n = ike_htab_first(&e->spi_rsv, h); n; n = ike_htab_next(n))
		if (ike_container_of(n, struct ike_ccs, rsv)->spi_in == spi)
			return true;
	return false;
}

/* ---- self-check (tests) ---------------------------------------------------------------------- */

static bool fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool
fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return false;
}

static bool
in_chain(const struct ike_htab *t, const struct ike_hnode *want, uint64_t h)
{
	for (const struct ike_hnode *n = ike_htab_first(t, h); n; n = ike_htab_next(n))
		if (n == want)
			return true;
	return false;
}

/* The tunnel counts recomputed from every SA. */
static bool
check_tunnel(struct ike_engine *e, struct ike_tun *tu, char *why, size_t cap)
{
	uint32_t n[7] = {0};
	const struct ike_sa *sa;

	TAILQ_FOREACH(sa, &e->sas, entry)
	{
		unsigned c;

		if (strcmp(sa->st.tunnel, tu->name) != 0)
			continue;
		if (sa->tu != tu)
			return fail(why, cap, "SA of tunnel %s is not in its list", tu->name);
		c = sa_counts(sa);
		if (c != sa->cnt)
			return fail(why, cap, "SA of tunnel %s counted as %#x, is %#x", tu->name,
			            sa->cnt, c);
		n[0]++;
		n[1] += !!(c & IKE_CNT_ACTIVE);
		n[2] += !!(c & IKE_CNT_UP);
		n[3] += !!(c & IKE_CNT_EST);
		n[4] += !!(c & IKE_CNT_EST_PEER);
		n[5] += !!(c & IKE_CNT_INIT_SENT);
		n[6] += !!(c & IKE_CNT_OURS_LIVE);
	}
	if (n[0] != tu->nsa || n[1] != tu->nactive || n[2] != tu->nup || n[3] != tu->nest ||
	    n[4] != tu->nest_peer || n[5] != tu->ninit_sent || n[6] != tu->nours_live)
		return fail(why, cap,
		            "tunnel %s counts %u/%u/%u/%u/%u/%u/%u, recounted %u/%u/%u/%u/%u/%u/%u",
		            tu->name, tu->nsa, tu->nactive, tu->nup, tu->nest, tu->nest_peer,
		            tu->ninit_sent, tu->nours_live, n[0], n[1], n[2], n[3], n[4], n[5],
		            n[6]);
	if (!tu->t && !tu->nsa && !tu->in_batch)
		return fail(why, cap, "tunnel slot %s is kept for nothing", tu->name);
	return true;
}

static bool
check_sa(struct ike_engine *e, struct ike_sa *sa, char *why, size_t cap)
{
	bool est = sa->st.phase == IKE_PHASE_ESTABLISHED;

	if (!ike_hnode_linked(&sa->by_spi) ||
	    !in_chain(&e->sa_by_spi, &sa->by_spi, ike_hash_u64(e->hash_seed, ike_sa_our_spi(sa))))
		return fail(why, cap, "SA %016llx is not findable by its SPI",
		            (unsigned long long)ike_sa_our_spi(sa));
	if (ike_hnode_linked(&sa->by_addr) != est ||
	    (est && !in_chain(&e->sa_by_addr, &sa->by_addr, addr_hash(e, &sa->st.remote))))
		return fail(why, cap, "SA %016llx: address index wrong",
		            (unsigned long long)ike_sa_our_spi(sa));
	if (ike_hnode_linked(&sa->by_id) != (sa->tu != NULL) ||
	    (sa->tu && !in_chain(&e->sa_by_id, &sa->by_id, id_hash(e, sa->tu, &sa->st.id_remote))))
		return fail(why, cap, "SA %016llx: identity index wrong",
		            (unsigned long long)ike_sa_our_spi(sa));
	if (sa->st.tunnel[0] && (!sa->tu || strcmp(sa->tu->name, sa->st.tunnel) != 0))
		return fail(why, cap, "SA %016llx is not in tunnel %s",
		            (unsigned long long)ike_sa_our_spi(sa), sa->st.tunnel);
	if (sa->ccs && ike_hnode_linked(&sa->ccs->rsv) != (sa->ccs->spi_in != 0))
		return fail(why, cap, "SA %016llx: reserved SPI wrong",
		            (unsigned long long)ike_sa_our_spi(sa));
	for (size_t i = 0; i < sa->st.nchildren; i++) {
		const struct ike_child_state *c = &sa->st.child[i];
		const struct ike_child_rt *rt = sa->cx[i];

		if (rt->sa != sa)
			return fail(why, cap, "Child SA %08x names another IKE SA",
			            (unsigned)c->spi_in);
		if (!c->spi_in && !c->spi_out)
			continue; /* not filled yet */
		if (!in_chain(&e->child_in, &rt->by_in, hash_u32(e, c->spi_in)) ||
		    !in_chain(&e->child_out, &rt->by_out, hash_u32(e, c->spi_out)))
			return fail(why, cap, "Child SA %08x/%08x is not findable by SPI",
			            (unsigned)c->spi_in, (unsigned)c->spi_out);
	}
	return ike_sa_timer_check(sa, why, cap);
}

bool
ike_engine_selfcheck(struct ike_engine *e, char *why, size_t cap)
{
	struct ike_htab *t;
	struct ike_sa *sa;
	size_t n = 0, nchild = 0, nrsv = 0;

	for (size_t i = 0; (t = tables(e, i)); i++)
		if (!ike_htab_valid(t))
			return fail(why, cap, "hash table %zu is broken", i);
	if (!ike_heap_valid(&e->sa_timers) || !ike_heap_valid(&e->tun_timers))
		return fail(why, cap, "a timer heap is broken");
	TAILQ_FOREACH(sa, &e->sas, entry)
	{
		if (!check_sa(e, sa, why, cap))
			return false;
		n++;
		nchild += sa->st.nchildren;
		nrsv += sa->ccs && sa->ccs->spi_in;
	}
	if (n != e->nsas || e->sa_by_spi.n != n || e->child_in.n != e->child_out.n ||
	    e->spi_rsv.n != nrsv)
		return fail(why, cap,
		            "index sizes: %zu SAs, %zu by SPI, %zu/%zu Child SAs of %zu, "
		            "%zu reserved of %zu",
		            e->nsas, e->sa_by_spi.n, e->child_in.n, e->child_out.n, nchild,
		            e->spi_rsv.n, nrsv);
	for (size_t i = 0; i <= e->tun_by_name.mask; i++)
		for (struct ike_hnode *h = e->tun_by_name.b[i]; h; h = h->next) {
			struct ike_tun *tu = ike_container_of(h, struct ike_tun, by_name);

			if (!check_tunnel(e, tu, why, cap) || !ike_tun_timer_check(e, tu, why, cap))
				return false;
		}
	return true;
}
