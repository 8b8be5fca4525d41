/* SPDX-License-Identifier: MIT */
/*
 * The SA store: a copy (keys included) of every SA installed in an engine, with its sequence
 * state, so a restarted engine gets every SA again without IKE. Outbound SAs restart at the
 * highest lease limit ever granted (nothing below it may be used twice under the same key);
 * inbound SAs restart their replay window at the last reported number plus the report step.
 * Leases are asked for through the lease_request event, so the daemon decides grants. SAs are
 * kept compact (struct eng_sa_p: the selectors sized to what the SA has) and found through the
 * indexes of eng_index.c.
 */
#define LOG_SUBSYS "eng"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/log.h"
#include "node/eng/eng_int.h"

struct eng_group *
eng_sa_group(const struct eng_sup *sup, const struct eng_sa *sa)
{
	const struct eng_tunnel *t =
	        sa->slot ? TAILQ_FIRST(&sa->slot->tunnels) : eng_tunnel_find(sup, sa->p.tunnel);

	return t ? t->g : NULL;
}

static void
eng_sa_free(struct eng_sa *sa)
{
	secret_clear(&sa->p.enc_key);
	secret_clear(&sa->p.integ_key);
	free(sa->p.ts);
	free(sa);
}

void
eng_store_remove(struct eng_sup *sup, struct eng_sa *sa)
{
	eng_sa_unlink(sup, sa);
	TAILQ_REMOVE(&sup->sas, sa, entry);
	eng_sa_free(sa);
}

/* The compact copy (keys and selectors owned) of p into zeroed dst. */
static int
eng_sa_p_from(struct eng_sa_p *d, const struct esp_sa_params *p)
{
	uint8_t nl = p->nts_local <= ESP_MAX_TS ? p->nts_local : ESP_MAX_TS;
	uint8_t nr = p->nts_remote <= ESP_MAX_TS ? p->nts_remote : ESP_MAX_TS;

	d->spi = p->spi;
	d->inbound = p->inbound;
	d->child_id = p->child_id;
	memcpy(d->tunnel, p->tunnel, sizeof(d->tunnel));
	memcpy(d->ifname, p->ifname, sizeof(d->ifname));
	d->encr = p->encr;
	d->integ = p->integ;
	d->esn = p->esn;
	d->replay_window = p->replay_window;
	d->family = p->family;
	memcpy(d->local, p->local, sizeof(d->local));
	memcpy(d->remote, p->remote, sizeof(d->remote));
	d->udp_encap = p->udp_encap;
	d->local_port = p->local_port;
	d->remote_port = p->remote_port;
	d->df_bit = p->df_bit;
	d->mtu = p->mtu;
	d->soft_bytes = p->soft_bytes;
	d->hard_bytes = p->hard_bytes;
	d->seq_start = p->seq_start;
	d->lease_limit = p->lease_limit;
	if (nl + nr) {
		d->ts = malloc((size_t)(nl + nr) * sizeof(*d->ts));
		if (!d->ts)
			return -ENOMEM;
		memcpy(d->ts, p->ts_local, nl * sizeof(*d->ts));
		memcpy(d->ts + nl, p->ts_remote, nr * sizeof(*d->ts));
	}
	d->nts_local = nl;
	d->nts_remote = nr;
	if (secret_copy(&d->enc_key, &p->enc_key) < 0 ||
	    secret_copy(&d->integ_key, &p->integ_key) < 0)
		return -ENOMEM; /* the caller frees what was copied */
	return 0;
}

void
eng_sa_p_expand(const struct eng_sa_p *c, struct esp_sa_params *p)
{
	memset(p, 0, sizeof(*p));
	p->spi = c->spi;
	p->inbound = c->inbound;
	p->child_id = c->child_id;
	memcpy(p->tunnel, c->tunnel, sizeof(p->tunnel));
	memcpy(p->ifname, c->ifname, sizeof(p->ifname));
	p->encr = c->encr;
	p->integ = c->integ;
	p->enc_key = c->enc_key; /* borrowed */
	p->integ_key = c->integ_key;
	p->esn = c->esn;
	p->replay_window = c->replay_window;
	p->family = c->family;
	memcpy(p->local, c->local, sizeof(p->local));
	memcpy(p->remote, c->remote, sizeof(p->remote));
	p->udp_encap = c->udp_encap;
	p->local_port = c->local_port;
	p->remote_port = c->remote_port;
	p->nts_local = c->nts_local;
	p->nts_remote = c->nts_remote;
	if (c->nts_local)
		memcpy(p->ts_local, c->ts, c->nts_local * sizeof(p->ts_local[0]));
	if (c->nts_remote)
		memcpy(p->ts_remote, c->ts + c->nts_local, c->nts_remote * sizeof(p->ts_remote[0]));
	p->df_bit = c->df_bit;
	p->mtu = c->mtu;
	p->soft_bytes = c->soft_bytes;
	p->hard_bytes = c->hard_bytes;
	p->seq_start = c->seq_start;
	p->lease_limit = c->lease_limit;
}

/*
 * Where the next engine starts: outbound at the highest limit granted, inbound past what an
 * engine may have accepted since its last report. Only when an engine had the SA.
 */
static void
eng_sa_advance(const struct eng_sup *sup, struct eng_sa *sa)
{
	uint64_t base;

	if (!sa->used)
		return;
	if (!sa->p.inbound) {
		if (sa->granted > sa->p.seq_start)
			sa->p.seq_start = sa->granted;
	} else {
		base = sa->reported > sa->p.seq_start ? sa->reported : sa->p.seq_start;
		sa->p.seq_start = base + sup->replay_report_every;
	}
	sa->used = false;
	sa->packets_base += sa->packets_cur;
	sa->bytes_base += sa->bytes_cur;
	sa->packets_cur = sa->bytes_cur = 0;
}

void
eng_store_engine_gone(struct eng_sup *sup, struct eng_group *g)
{
	struct eng_sa *sa;

	TAILQ_FOREACH(sa, &sup->sas, entry)
	{
		if (eng_sa_group(sup, sa) != g)
			continue;
		eng_sa_set_in_engine(sa, false);
		eng_sa_advance(sup, sa);
	}
}

/* Asks the daemon for a lease above the SA's start (it answers with eng_lease_grant). */
static void
eng_sa_want_lease(struct eng_sup *sup, struct eng_sa *sa)
{
	uint64_t used = sa->p.seq_start ? sa->p.seq_start - 1 : 0;
	uint64_t limit = sa->granted > sa->p.seq_start ? sa->granted : sa->p.seq_start;

	if (sup->ev.lease_request)
		sup->ev.lease_request(sup->arg, sa->p.spi, used, limit);
	else
		(void)eng_lease_grant(sup, sa->p.spi, used + sup->lease_size);
}

int
eng_store_send(struct eng_sup *sup, struct eng_group *g, struct eng_sa *sa)
{
	struct esp_sa_params p;
	struct buf b;
	int rc;

	if (!sa->p.inbound && sa->granted <= sa->p.seq_start)
		eng_sa_want_lease(sup, sa); /* may grant at once, or later */
	sa->p.lease_limit = sa->p.inbound                   ? 0
	                    : sa->granted > sa->p.seq_start ? sa->granted
	                                                    : sa->p.seq_start;
	buf_init(&b, true);
	sa->install_req = eng_group_req(g);
	eng_sa_p_expand(&sa->p, &p);
	rc = eng_codec_install_sa(sa->install_req, &p, &b);
	if (rc == 0)
		rc = eng_chan_send(g, &b, -1, false);
	buf_fini(&b);
	if (rc < 0)
		return rc;
	eng_sa_set_in_engine(sa, true);
	sa->used = true;
	return 0;
}

static bool
eng_ts_eq(const struct esp_ts *a, const struct esp_ts *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i].family != b[i].family || memcmp(a[i].start, b[i].start, 16) != 0 ||
		    memcmp(a[i].end, b[i].end, 16) != 0 || a[i].proto != b[i].proto ||
		    a[i].sport != b[i].sport || a[i].eport != b[i].eport)
			return false;
	return true;
}

static bool
eng_sa_same_keys(const struct eng_sa_p *a, const struct esp_sa_params *b)
{
	return a->encr == b->encr && a->integ == b->integ && secret_eq(&a->enc_key, &b->enc_key) &&
	       secret_eq(&a->integ_key, &b->integ_key);
}

/* Everything but the sequence state and the device name (the store fills that in). */
static bool
eng_sa_same(const struct eng_sa_p *a, const struct esp_sa_params *b)
{
	return eng_sa_same_keys(a, b) && a->spi == b->spi && a->inbound == b->inbound &&
	       a->child_id == b->child_id && strcmp(a->tunnel, b->tunnel) == 0 &&
	       a->esn == b->esn && a->replay_window == b->replay_window && a->family == b->family &&
	       memcmp(a->local, b->local, 16) == 0 && memcmp(a->remote, b->remote, 16) == 0 &&
	       a->udp_encap == b->udp_encap && a->local_port == b->local_port &&
	       a->remote_port == b->remote_port && a->nts_local == b->nts_local &&
	       a->nts_remote == b->nts_remote && a->nts_local <= ESP_MAX_TS &&
	       a->nts_remote <= ESP_MAX_TS && eng_ts_eq(a->ts, b->ts_local, a->nts_local) &&
	       (!a->nts_remote || eng_ts_eq(a->ts + a->nts_local, b->ts_remote, a->nts_remote)) &&
	       a->df_bit == b->df_bit && a->mtu == b->mtu && a->soft_bytes == b->soft_bytes &&
	       a->hard_bytes == b->hard_bytes;
}

/* Replacing an SA under the same keys keeps its sequence state: never reuse a number. */
static void
eng_sa_carry(const struct eng_sup *sup, struct eng_sa *old, struct eng_sa *sa)
{
	eng_sa_advance(sup, old);
	if (old->p.seq_start > sa->p.seq_start)
		sa->p.seq_start = old->p.seq_start;
	if (!sa->p.inbound && old->granted > sa->granted)
		sa->granted = old->granted;
	sa->reported = old->reported;
	sa->packets_base = old->packets_base;
	sa->bytes_base = old->bytes_base;
}

static int
eng_sa_new(const struct esp_sa_params *p, const struct eng_tunnel *t, struct eng_sa **out)
{
	struct eng_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return -ENOMEM;
	if (eng_sa_p_from(&sa->p, p) < 0) {
		eng_sa_free(sa);
		return -ENOMEM;
	}
	memcpy(sa->p.ifname, t->ifname, sizeof(sa->p.ifname));
	if (!sa->p.inbound && sa->p.seq_start == 0)
		sa->p.seq_start = 1;
	/* a lease given with the install counts as granted (a takeover passes one) */
	if (!sa->p.inbound && sa->p.lease_limit > sa->p.seq_start)
		sa->granted = sa->p.lease_limit;
	*out = sa;
	return 0;
}

int
eng_sa_install(struct eng_sup *sup, const struct esp_sa_params *p)
{
	return eng_sa_install_as(sup, p, false);
}

int
eng_sa_install_as(struct eng_sup *sup, const struct esp_sa_params *p, bool manual)
{
	struct eng_tunnel *t = eng_tunnel_find(sup, p->tunnel);
	struct eng_sa *old = eng_store_find(sup, p->spi, p->inbound), *sa = NULL;
	int rc;

	if (!t)
		return -ENOENT;
	if (old && eng_sa_same(&old->p, p)) {
		old->manual |= manual;
		return 0; /* installed as it is: keep its sequence state running */
	}
	rc = eng_sa_new(p, t, &sa);
	if (rc < 0)
		return rc;
	sa->manual = manual;
	if (old && eng_sa_same_keys(&old->p, p))
		eng_sa_carry(sup, old, sa);
	if (old)
		eng_store_remove(sup, old);
	if (eng_sa_link(sup, sa) < 0) {
		eng_sa_free(sa);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&sup->sas, sa, entry);
	log_info("SA %08x %s of tunnel %s stored (engine %s%s), sequence numbers from %llu",
	         sa->p.spi, sa->p.inbound ? "in" : "out", t->name, t->g->name,
	         t->g->state == ENG_ST_UP ? ", installing" : " not running: installed at start",
	         (unsigned long long)sa->p.seq_start);
	if (t->g->state == ENG_ST_UP || t->g->state == ENG_ST_STARTING) {
		rc = eng_store_send(sup, t->g, sa);
		if (rc == 0 && !sa->p.inbound)
			eng_tunnel_sync_routes(sup, t);
	}
	return 0;
}

int
eng_sa_delete(struct eng_sup *sup, uint32_t spi, bool inbound)
{
	struct eng_sa *sa = eng_store_find(sup, spi, inbound);
	struct eng_tunnel *t;
	struct eng_group *g;
	struct buf b;

	if (!sa)
		return -ENOENT;
	t = eng_tunnel_find(sup, sa->p.tunnel);
	g = t ? t->g : NULL;
	if (g && sa->in_engine) {
		buf_init(&b, false);
		if (eng_codec_delete_sa(eng_group_req(g), spi, inbound, &b) == 0)
			(void)eng_chan_send(g, &b, -1, false); /* failures: the engine is going */
		buf_fini(&b);
	}
	eng_store_remove(sup, sa);
	if (t)
		eng_tunnel_sync_routes(sup, t);
	return 0;
}

int
eng_lease_grant(struct eng_sup *sup, uint32_t spi, uint64_t limit)
{
	struct eng_sa *sa = eng_store_find(sup, spi, false);
	struct eng_group *g;
	struct buf b;
	int rc = 0;

	if (!sa)
		return -ENOENT;
	if (limit <= sa->granted)
		return 0; /* never shrinks: an old grant arriving late */
	if (sa->manual)   /* on disk first: a restarted tandemd must start above it */
		eng_manual_seq_note(sup, spi, false, limit, true);
	sa->granted = limit;
	g = eng_sa_group(sup, sa);
	if (g && sa->in_engine) {
		sa->p.lease_limit = limit;
		buf_init(&b, false);
		rc = eng_codec_grant_lease(eng_group_req(g), spi, limit, &b);
		if (rc == 0)
			rc = eng_chan_send(g, &b, -1, false);
		buf_fini(&b);
	}
	return rc;
}

void
eng_store_stats(struct eng_sup *sup, struct eng_group *g, const struct eng_msg *m)
{
	for (size_t i = 0; i < m->u.stats.nsa; i++) {
		const struct eng_msg_sa_stats *s = &m->u.stats.sa[i];
		struct eng_sa *sa = eng_store_find(sup, s->spi, s->inbound);

		if (!sa || eng_sa_group(sup, sa) != g)
			continue;
		sa->packets_cur = s->packets;
		sa->bytes_cur = s->bytes;
		sa->seq_seen = s->seq;
		sa->lease_seen = s->lease_limit;
	}
	for (size_t i = 0; i < m->u.stats.ndrops; i++)
		eng_group_count_drop(g, m->u.stats.drops[i].reason, m->u.stats.drops[i].count,
		                     false);
}
