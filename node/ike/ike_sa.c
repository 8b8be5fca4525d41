/* SPDX-License-Identifier: MIT */
/*
 * The runtime IKE SA: creation and destruction, lookups by SPI, the report of its state to
 * observers (with the commit number that orders it before the datagram it goes with), the
 * Encrypted payload of outgoing messages (RFC 7296 §3.14), requests with their retransmission
 * copy and responses with their cache (§2.1), and the Child SAs it carries: install into and
 * delete from the data plane, lifetimes.
 */
#define LOG_SUBSYS "ike"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

/* ---- randomness and SPIs ---------------------------------------------------------------- */

void
ike_random(struct ike_engine *e, void *p, size_t len)
{
	e->io.random(e->io_arg, p, len);
}

uint64_t
ike_random_below(struct ike_engine *e, uint64_t n)
{
	uint64_t v;

	if (n <= 1)
		return 0;
	ike_random(e, &v, sizeof(v));
	return v % n;
}

uint64_t
ike_spi_new(struct ike_engine *e)
{
	uint64_t spi;

	do {
		ike_random(e, &spi, sizeof(spi));
	} while (spi == 0 || ike_sa_find(e, spi));
	return spi;
}

uint32_t
ike_child_spi_new(struct ike_engine *e)
{
	uint32_t spi;

	/* RFC 4303 §2.1: 1-255 are reserved */
	do {
		ike_random(e, &spi, sizeof(spi));
	} while (spi < 256 || ike_child_spi_used(e, spi));
	return spi;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

struct ike_sa *
ike_sa_new(struct ike_engine *e, bool initiator)
{
	struct ike_sa *sa;

	if (ike_sa_timers_reserve(e))
		return NULL;
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	sa->e = e;
	sa->seq = ++e->next_sa_seq;
	sa->tmr.seq = sa->seq;
	sa->st.initiator = initiator;
	sa->st.phase = initiator ? IKE_PHASE_INIT_SENT : IKE_PHASE_INIT_DONE;
	sa->last_rx_ms = e->now_ms;
	TAILQ_INSERT_TAIL(&e->sas, sa, entry);
	e->nsas++;
	ike_sa_touch(sa);
	return sa;
}

int
ike_sa_hs_new(struct ike_sa *sa)
{
	if (!sa->hs)
		sa->hs = calloc(1, sizeof(*sa->hs));
	return sa->hs ? 0 : -ENOMEM;
}

void
ike_sa_hs_free(struct ike_sa *sa)
{
	struct ike_hs *hs = sa->hs;

	if (!hs)
		return;
	ike_dh_free(hs->dh);
	secret_clear(&hs->init_req);
	secret_clear(&hs->init_resp);
	explicit_bzero(hs, sizeof(*hs)); /* nonces */
	free(hs);
	sa->hs = NULL;
}

uint64_t
ike_sa_our_spi(const struct ike_sa *sa)
{
	return sa->st.initiator ? sa->st.spi_i : sa->st.spi_r;
}

void
ike_sa_free(struct ike_sa *sa)
{
	struct ike_engine *e;

	if (!sa)
		return;
	e = sa->e;
	if (sa->counted_half_open && e->half_open)
		e->half_open--;
	e->stats.half_open = e->half_open;
	ike_sa_unindex(sa);
	TAILQ_REMOVE(&e->sas, sa, entry);
	e->nsas--;
	ike_sk_free(sa->sk_in);
	ike_sk_free(sa->sk_out);
	ike_ccs_clear(sa);
	ike_sa_hs_free(sa);
	ike_sa_timers_drop(sa); /* last: the releases above may mark it */
	for (size_t i = 0; i < sa->st.nchildren; i++)
		free(sa->cx[i]);
	free(sa->cx);
	free(sa->tasks);
	ike_sa_state_clear(&sa->st);
	free(sa);
}

void
ike_sa_destroy(struct ike_sa *sa, const char *reason)
{
	struct ike_engine *e = sa->e;
	char tunnel[CFG_NAME_MAX];
	bool had_children = sa->st.nchildren > 0;

	while (sa->st.nchildren)
		ike_child_remove(sa, sa->st.nchildren - 1);
	if (sa->created_reported) {
		ike_sa_set_phase(sa, IKE_PHASE_DELETING);
		(void)ike_sa_report(sa, IKE_CH_DELETED);
	}
	if (sa->st.established_ms)
		e->stats.ike_sa_deleted++;
	snprintf(tunnel, sizeof(tunnel), "%s", sa->st.tunnel);
	ike_sa_free(sa);
	if (tunnel[0] && had_children)
		ike_tun_update(e, tunnel, reason);
}

const char *
ike_sa_peer(const struct ike_sa *sa, char *buf, size_t cap)
{
	ike_ss_str(&sa->st.remote, buf, cap);
	return buf;
}

const char *
ike_sa_tunnel_name(const struct ike_sa *sa)
{
	return sa->st.tunnel[0] ? sa->st.tunnel : "-";
}

/* ---- reporting ---------------------------------------------------------------------------- */

uint64_t
ike_sa_report(struct ike_sa *sa, enum ike_change what)
{
	struct ike_engine *e = sa->e;
	uint64_t commit = ++e->commit;

	ike_sa_index(sa); /* every reported change may move it in the indexes */
	sa->created_reported = true;
	if (e->obs.changed)
		e->obs.changed(e->obs_arg, &sa->st, what, commit);
	return commit;
}

/* ---- keys and protection ------------------------------------------------------------------ */

int
ike_sa_keys_install(struct ike_sa *sa)
{
	const struct ike_sa_state *st = &sa->st;
	struct ike_sk *in = NULL, *out = NULL;
	int rc;

	/* each direction only what it does: ours seal, the peer's open (half the memory) */
	if (st->initiator) {
		rc = ike_sk_new_for(st->encr, st->integ, &st->sk_ei, &st->sk_ai, true, &out);
		if (rc == 0)
			rc = ike_sk_new_for(st->encr, st->integ, &st->sk_er, &st->sk_ar, false,
			                    &in);
	} else {
		rc = ike_sk_new_for(st->encr, st->integ, &st->sk_er, &st->sk_ar, true, &out);
		if (rc == 0)
			rc = ike_sk_new_for(st->encr, st->integ, &st->sk_ei, &st->sk_ai, false,
			                    &in);
	}
	if (rc) {
		ike_sk_free(in);
		ike_sk_free(out);
		return rc;
	}
	ike_sk_free(sa->sk_in);
	ike_sk_free(sa->sk_out);
	sa->sk_in = in;
	sa->sk_out = out;
	return 0;
}

static void
secret_move(struct secret *dst, struct secret *src)
{
	secret_clear(dst);
	*dst = *src;
	src->s_data = NULL;
	src->s_len = 0;
}

int
ike_sa_keys_take(struct ike_sa *sa, struct ike_keys *k)
{
	struct ike_sa_state *st = &sa->st;

	st->encr = k->encr;
	st->integ = k->integ;
	st->prf = k->prf;
	secret_move(&st->sk_d, &k->sk_d);
	secret_move(&st->sk_ai, &k->sk_ai);
	secret_move(&st->sk_ar, &k->sk_ar);
	secret_move(&st->sk_ei, &k->sk_ei);
	secret_move(&st->sk_er, &k->sk_er);
	secret_move(&st->sk_pi, &k->sk_pi);
	secret_move(&st->sk_pr, &k->sk_pr);
	return ike_sa_keys_install(sa);
}

int
ike_sa_seal(struct ike_sa *sa, uint8_t exch, bool response, uint32_t msgid, const struct ike_mb *in,
            struct buf *out)
{
	static const uint8_t empty[1];
	struct ike_hdr hdr;
	struct ike_mb mb;
	uint8_t iv[IKE_SK_MAX_IV_LEN];
	const uint8_t *plain = in->b.b_data ? in->b.b_data : empty;
	size_t plain_len = in->b.b_len, body_len, aad_len, body_off, ivl;
	int rc;

	if (!sa->sk_out || !buf_ok(&in->b))
		return -EINVAL;
	memset(&hdr, 0, sizeof(hdr));
	hdr.spi_i = sa->st.spi_i;
	hdr.spi_r = sa->st.spi_r;
	hdr.exch = exch;
	hdr.flags = (uint8_t)((sa->st.initiator ? IKE_FLAG_INITIATOR : 0) |
	                      (response ? IKE_FLAG_RESPONSE : 0));
	hdr.msgid = msgid;
	body_len = ike_sk_body_len(sa->sk_out, plain_len);
	ike_mb_init(&mb, &hdr);
	rc = ike_mb_sk(&mb, plain_len ? ike_mb_first(in) : IKE_PLD_NONE, body_len, &aad_len,
	               &body_off);
	if (rc == 0)
		rc = ike_mb_finish(&mb);
	if (rc == 0) {
		ivl = ike_sk_iv_len(sa->sk_out);
		ike_random(sa->e, iv, ivl);
		rc = ike_sk_seal(sa->sk_out, mb.b.b_data + mb.start, aad_len, plain, plain_len, iv,
		                 mb.b.b_data + body_off, body_len);
	}
	if (rc) {
		ike_mb_fini(&mb);
		return rc;
	}
	*out = mb.b; /* hand the buffer over */
	return 0;
}

void
ike_send_raw(struct ike_engine *e, const struct sockaddr_storage *local,
             const struct sockaddr_storage *remote, const uint8_t *p, size_t len, uint64_t commit)
{
	e->stats.tx_packets++;
	e->stats.tx_bytes += len;
	e->io.send(e->io_arg, local, remote, p, len, commit);
}

static int
keep_bytes(struct secret *dst, struct buf *b)
{
	int rc = secret_set(dst, b->b_data, b->b_len);

	buf_fini(b);
	return rc;
}

int
ike_sa_request(struct ike_sa *sa, uint8_t exch, enum ike_req_kind kind, const struct ike_mb *in,
               enum ike_change what)
{
	struct ike_engine *e = sa->e;
	struct buf b;
	uint32_t msgid = kind == IKE_REQ_MID_SYNC ? 0 : sa->st.msgid_next_send;
	int rc;

	rc = ike_sa_seal(sa, exch, false, msgid, in, &b);
	if (rc)
		return rc;
	rc = keep_bytes(&sa->st.req_out, &b);
	if (rc)
		return rc;
	/* §2.2: the ID is used up by sending; the sync (RFC 6311) uses 0 and no ID of ours */
	if (kind != IKE_REQ_MID_SYNC)
		sa->st.msgid_next_send++;
	sa->st.req_kind = kind;
	sa->st.req_msgid = msgid;
	sa->req_active = true;
	sa->req_resumed = false;
	sa->req_exch = exch;
	sa->req_sends = 1;
	if (kind == IKE_REQ_DPD && sa->tun && sa->tun->ctx && sa->tun->ctx->ike_keepalive)
		sa->req_next_ms = e->now_ms + (uint64_t)sa->tun->ctx->dpd_interval_sec * 1000;
	else
		sa->req_next_ms = e->now_ms + ike_retransmit_timeout(e, 1);
	sa->req_commit = ike_sa_report(sa, what);
	ike_send_raw(e, &sa->st.local, &sa->st.remote, sa->st.req_out.s_data, sa->st.req_out.s_len,
	             sa->req_commit);
	return 0;
}

int
ike_sa_respond_prepare(struct ike_sa *sa, uint8_t exch, uint32_t msgid, const struct ike_mb *in,
                       enum ike_change what)
{
	struct buf b;
	int rc;

	rc = ike_sa_seal(sa, exch, true, msgid, in, &b);
	if (rc)
		return rc;
	rc = keep_bytes(&sa->st.resp_last, &b);
	if (rc)
		return rc;
	sa->st.msgid_next_recv = msgid + 1;
	sa->resp_commit = ike_sa_report(sa, what);
	return 0;
}

void
ike_sa_respond_send(struct ike_sa *sa)
{
	ike_send_raw(sa->e, &sa->st.local, &sa->st.remote, sa->st.resp_last.s_data,
	             sa->st.resp_last.s_len, sa->resp_commit);
}

int
ike_sa_respond(struct ike_sa *sa, uint8_t exch, uint32_t msgid, const struct ike_mb *in,
               enum ike_change what)
{
	int rc = ike_sa_respond_prepare(sa, exch, msgid, in, what);

	if (rc == 0)
		ike_sa_respond_send(sa);
	return rc;
}

void
ike_sa_request_done(struct ike_sa *sa)
{
	ike_sa_touch(sa);
	sa->req_active = false;
	sa->req_resumed = false;
	sa->st.req_kind = IKE_REQ_NONE;
	sa->st.req_child_id = 0;
	sa->st.req_spi = 0;
	secret_clear(&sa->st.req_out);
}

/* ---- Child SAs ---------------------------------------------------------------------------- */

struct ike_child_state *
ike_child_find(struct ike_sa *sa, uint64_t child_id, size_t *idx)
{
	for (size_t i = 0; i < sa->st.nchildren; i++) {
		if (sa->st.child[i].child_id == child_id) {
			if (idx)
				*idx = i;
			return &sa->st.child[i];
		}
	}
	return NULL;
}

struct ike_child_state *
ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi, size_t *idx)
{
	for (size_t i = 0; i < sa->st.nchildren; i++) {
		if (sa->st.child[i].spi_in == spi) {
			if (idx)
				*idx = i;
			return &sa->st.child[i];
		}
	}
	return NULL;
}

struct ike_child_state *
ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi, size_t *idx)
{
	for (size_t i = 0; i < sa->st.nchildren; i++) {
		if (sa->st.child[i].spi_out == spi) {
			if (idx)
				*idx = i;
			return &sa->st.child[i];
		}
	}
	return NULL;
}

/* Room for one more Child SA in both parallel arrays. */
static int
child_room(struct ike_sa *sa)
{
	struct ike_child_state *c;
	struct ike_child_rt **cx;
	uint8_t cap;

	if (sa->st.nchildren < sa->child_cap)
		return 0;
	cap = sa->child_cap ? (uint8_t)(2 * sa->child_cap) : 1;
	if (cap > IKE_STATE_MAX_CHILDREN)
		cap = IKE_STATE_MAX_CHILDREN;
	c = realloc(sa->st.child, cap * sizeof(*c));
	if (!c)
		return -ENOMEM;
	sa->st.child = c;
	cx = realloc(sa->cx, cap * sizeof(*cx));
	if (!cx)
		return -ENOMEM; /* st.child is bigger than needed: harmless */
	sa->cx = cx;
	sa->child_cap = cap;
	return 0;
}

struct ike_child_state *
ike_child_add(struct ike_sa *sa, size_t *idx)
{
	struct ike_child_state *c;
	struct ike_child_rt *rt;

	if (sa->st.nchildren >= IKE_STATE_MAX_CHILDREN || child_room(sa))
		return NULL;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;
	rt->sa = sa;
	*idx = sa->st.nchildren;
	c = &sa->st.child[sa->st.nchildren];
	memset(c, 0, sizeof(*c));
	sa->cx[sa->st.nchildren] = rt;
	c->child_id = ++sa->e->next_child_id;
	sa->st.nchildren++;
	return c;
}

/* Takes slot idx out of both arrays (what it held is already released or moved). */
static void
child_take_out(struct ike_sa *sa, size_t idx)
{
	for (size_t i = idx; i + 1 < sa->st.nchildren; i++) {
		sa->st.child[i] = sa->st.child[i + 1];
		sa->cx[i] = sa->cx[i + 1];
	}
	sa->st.nchildren--;
	memset(&sa->st.child[sa->st.nchildren], 0, sizeof(sa->st.child[0]));
	sa->cx[sa->st.nchildren] = NULL;
	if (!sa->st.nchildren) {
		free(sa->st.child);
		free(sa->cx);
		sa->st.child = NULL;
		sa->cx = NULL;
		sa->child_cap = 0;
	}
	ike_sa_index(sa);
}

void
ike_child_remove(struct ike_sa *sa, size_t idx)
{
	struct ike_engine *e = sa->e;
	struct ike_child_state *c;

	if (idx >= sa->st.nchildren)
		return;
	c = &sa->st.child[idx];
	if (sa->cx[idx]->installed && sa->st.phase != IKE_PHASE_STANDBY) {
		e->io.sa_delete(e->io_arg, c->spi_in, true);
		e->io.sa_delete(e->io_arg, c->spi_out, false);
	}
	if (c->established_ms)
		e->stats.child_sa_deleted++;
	ike_child_state_clear(c);
	ike_child_unindex(e, sa->cx[idx]);
	free(sa->cx[idx]);
	child_take_out(sa, idx);
}

bool
ike_child_move(struct ike_sa *from, size_t idx, struct ike_sa *to)
{
	size_t n = to->st.nchildren;

	if (idx >= from->st.nchildren || n >= IKE_STATE_MAX_CHILDREN || child_room(to))
		return false;
	to->st.child[n] = from->st.child[idx];
	to->cx[n] = from->cx[idx];
	to->cx[n]->sa = to;
	to->st.nchildren++;
	/* the index entries (keyed by SPI) stay; only the IKE SA they lead to changed */
	memset(&from->st.child[idx], 0, sizeof(from->st.child[idx]));
	child_take_out(from, idx);
	ike_sa_index(to);
	return true;
}

const struct cfg_tunnel_seq *
ike_tun_seqs(const struct cfg_tunnel *t, unsigned *n)
{
	if (t->kind == CFG_TUNNEL_ON_DEMAND) {
		*n = t->profile ? t->profile->nseqs : 0;
		return t->profile ? t->profile->seqs : NULL;
	}
	*n = t->nseqs;
	return t->seqs;
}

const struct cfg_tunnel_seq *
ike_tun_seq(const struct cfg_tunnel *t, uint32_t seq)
{
	unsigned n;
	const struct cfg_tunnel_seq *s = t ? ike_tun_seqs(t, &n) : NULL;

	for (unsigned i = 0; s && i < n; i++)
		if (s[i].seq == seq)
			return &s[i];
	return NULL;
}

void
ike_tun_df_mtu(const struct cfg_tunnel *t, enum cfg_df_bit *df, uint16_t *mtu)
{
	*df = t->df_bit;
	*mtu = (uint16_t)t->mtu;
	if (t->kind == CFG_TUNNEL_ON_DEMAND && t->profile) {
		*df = t->profile->df_bit;
		*mtu = (uint16_t)t->profile->mtu;
	}
}

static int
params_fill(struct ike_sa *sa, const struct ike_child_state *c, bool inbound,
            struct esp_sa_params *p)
{
	const struct ike_sa_state *st = &sa->st;
	const struct secret *ek = inbound ? &c->enc_in : &c->enc_out;
	const struct secret *ik = inbound ? &c->integ_in : &c->integ_out;

	memset(p, 0, sizeof(*p));
	p->spi = inbound ? c->spi_in : c->spi_out;
	p->inbound = inbound;
	p->child_id = c->child_id;
	snprintf(p->tunnel, sizeof(p->tunnel), "%s", st->tunnel);
	if (sa->tun)
		snprintf(p->ifname, sizeof(p->ifname), "%.15s", sa->tun->bind_if);
	p->encr = c->encr;
	p->integ = c->integ;
	p->esn = c->esn;
	p->replay_window = inbound ? c->replay_window : 0;
	p->family = st->local.ss_family;
	(void)ike_ss_addr(&st->local, p->local);
	(void)ike_ss_addr(&st->remote, p->remote);
	p->udp_encap = c->udp_encap;
	p->local_port = ike_ss_port(&st->local);
	p->remote_port = ike_ss_port(&st->remote);
	p->nts_local = c->nts_local <= ESP_MAX_TS ? c->nts_local : ESP_MAX_TS;
	p->nts_remote = c->nts_remote <= ESP_MAX_TS ? c->nts_remote : ESP_MAX_TS;
	if (p->nts_local)
		memcpy(p->ts_local, ike_child_ts_local(c), p->nts_local * sizeof(p->ts_local[0]));
	if (p->nts_remote)
		memcpy(p->ts_remote, ike_child_ts_remote(c),
		       p->nts_remote * sizeof(p->ts_remote[0]));
	if (sa->tun)
		ike_tun_df_mtu(sa->tun, &p->df_bit, &p->mtu);
	p->soft_bytes = c->soft_bytes;
	p->hard_bytes = c->hard_bytes;
	if (secret_copy(&p->enc_key, ek) || secret_copy(&p->integ_key, ik)) {
		secret_clear(&p->enc_key);
		secret_clear(&p->integ_key);
		return -ENOMEM;
	}
	return 0;
}

int
ike_child_install(struct ike_sa *sa, size_t idx, bool takeover)
{
	struct ike_engine *e = sa->e;
	struct ike_child_state *c = &sa->st.child[idx];
	struct esp_sa_params p;
	int rc;

	/* inbound first: the peer may use the SA as soon as it has it (RFC 7296 §2.8) */
	rc = params_fill(sa, c, true, &p);
	if (rc)
		return rc;
	p.seq_start = takeover ? sa->cx[idx]->in_start : 0;
	p.lease_limit = 0;
	rc = e->io.sa_install(e->io_arg, &p);
	secret_clear(&p.enc_key);
	secret_clear(&p.integ_key);
	if (rc)
		return rc;
	rc = params_fill(sa, c, false, &p);
	if (rc) {
		e->io.sa_delete(e->io_arg, c->spi_in, true);
		return rc;
	}
	/*
	 * DESIGN.md leases: a fresh SA starts at 1 with the first lease (replicated in the change
	 * reported before this call); after a takeover at the last replicated limit, never below.
	 */
	p.seq_start = takeover ? sa->cx[idx]->out_start : 1;
	p.lease_limit = c->out_lease_limit;
	rc = e->io.sa_install(e->io_arg, &p);
	secret_clear(&p.enc_key);
	secret_clear(&p.integ_key);
	if (rc) {
		e->io.sa_delete(e->io_arg, c->spi_in, true);
		return rc;
	}
	sa->cx[idx]->installed = true;
	ike_sa_index(sa);
	return 0;
}

/* fraction (per mille) of a lifetime minus up to jitter per mille */
static uint64_t
lifetime_point(struct ike_engine *e, uint64_t life_ms, unsigned at_pm, unsigned jitter_pm)
{
	uint64_t at = life_ms * at_pm / 1000;
	uint64_t j = life_ms * jitter_pm / 1000;

	return at - ike_random_below(e, j + 1);
}

void
ike_child_lifetimes(struct ike_sa *sa, struct ike_child_state *c,
                    const struct cfg_ipsec_proposal *cp, bool created)
{
	struct ike_engine *e = sa->e;
	uint64_t life = (uint64_t)(cp ? cp->lifetime_sec : 86400) * 1000;
	uint64_t kb = cp ? cp->lifetime_kbytes : 0;

	c->established_ms = e->now_ms;
	c->established_unix =
	        e->wall_known ? (int64_t)(e->now_ms + (uint64_t)e->wall_offset_ms) / 1000 : 0;
	/* the side that created the Child SA rekeys first; the other one later, as a fallback */
	c->rekey_at_ms = e->now_ms + (created ? lifetime_point(e, life, 900, 50)
	                                      : lifetime_point(e, life, 950, 25));
	c->expire_at_ms = e->now_ms + life;
	c->soft_bytes = kb ? kb * 1024 * 9 / 10 : 0;
	c->hard_bytes = kb * 1024;
}

void
ike_sa_lifetimes(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_policy *pol = sa->tun ? sa->tun->ike_policy : NULL;
	uint64_t life = (uint64_t)(pol ? pol->lifetime_sec : 86400) * 1000;

	sa->st.established_ms = e->now_ms;
	sa->st.established_unix =
	        e->wall_known ? (int64_t)(e->now_ms + (uint64_t)e->wall_offset_ms) / 1000 : 0;
	sa->st.rekey_at_ms = e->now_ms + (sa->st.initiator ? lifetime_point(e, life, 900, 50)
	                                                   : lifetime_point(e, life, 950, 25));
	sa->st.expire_at_ms = e->now_ms + life;
}

unsigned
ike_sa_live_children(const struct ike_sa *sa)
{
	unsigned n = 0;

	for (size_t i = 0; i < sa->st.nchildren; i++)
		if (sa->cx[i]->installed && !sa->st.child[i].rekeyed && !sa->cx[i]->redundant &&
		    !sa->cx[i]->deleting)
			n++;
	return n;
}
