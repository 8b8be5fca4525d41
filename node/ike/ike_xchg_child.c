/* SPDX-License-Identifier: MIT */
/*
 * CREATE_CHILD_SA (RFC 7296 §1.3) in both roles: additional Child SAs (§1.3.1), Child SA rekey
 * with and without PFS (§1.3.3), IKE SA rekey with the Child SAs moving to the new IKE SA
 * (§1.3.2, §2.18), rekey collisions resolved by the lowest of the four nonces (§2.8.1, §2.8.2;
 * the side that created the redundant SA deletes it), a rekey of a Child SA the peer is
 * deleting (CHILD_SA_NOT_FOUND, TEMPORARY_FAILURE, §2.25), and the shared pieces IKE_AUTH uses
 * for its Child SA (choice of tunnel seq, narrowing, KEYMAT §2.17).
 */
#define LOG_SUBSYS "ike"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

void
ike_ccs_clear(struct ike_sa *sa)
{
	struct ike_ccs *c = sa->ccs;

	if (!c)
		return;
	ike_ccs_unreserve(sa);
	ike_dh_free(c->dh);
	explicit_bzero(c, sizeof(*c)); /* nonces */
	free(c);
	sa->ccs = NULL;
	ike_sa_touch(sa); /* which seq entries are served may have changed */
}

struct ike_ccs *
ike_ccs_new(struct ike_sa *sa)
{
	ike_ccs_clear(sa);
	sa->ccs = calloc(1, sizeof(*sa->ccs));
	return sa->ccs;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* The lower of two nonces (strongSwan compares the common length, §2.8.1). */
static const uint8_t *
lower(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, size_t *len)
{
	size_t n = alen < blen ? alen : blen;

	if (memcmp(a, b, n) <= 0) {
		*len = alen;
		return a;
	}
	*len = blen;
	return b;
}

/* ---- shared with IKE_AUTH ---------------------------------------------------------------- */

int
ike_child_fill(struct ike_sa *sa, struct ike_child_state *c, const struct ike_esp_choice *ch,
               uint32_t seq, const struct ike_tsl *local, const struct ike_tsl *remote,
               uint32_t spi_in)
{
	const struct cfg_tunnel_seq *s = ike_tun_seq(sa->tun, seq);

	c->spi_in = spi_in;
	c->spi_out = ch->spi;
	c->seq_index = seq;
	c->encr = ch->encr;
	c->integ = ch->integ;
	c->pfs_group = ch->dh;
	c->esn = ch->esn;
	/* tandem's data plane takes ESP in UDP only (RFC 3948); docs/ike.md "NAT traversal" */
	c->udp_encap = true;
	c->replay_window = s && s->policy ? s->policy->replay_window : 64;
	/* the first lease comes with the install, replicated in the change reported before */
	c->out_lease_limit = sa->e->lease_size;
	c->in_highest = 0;
	ike_child_index(sa, (size_t)(c - sa->st.child));
	/* last: without memory for the selectors the SA still has its SPIs, to be deleted by */
	return ike_child_state_set_ts(c, local->ts, local->n, remote->ts, remote->n);
}

int
ike_child_keys(struct ike_sa *sa, struct ike_child_state *c, const struct secret *g_ir,
               const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
               bool we_initiated)
{
	struct ike_child_keys k;
	int rc;

	memset(&k, 0, sizeof(k));
	rc = ike_child_keys_derive(sa->st.prf, &sa->st.sk_d, g_ir, ni, ni_len, nr, nr_len, c->encr,
	                           c->integ, &k);
	if (rc) {
		ike_child_keys_clear(&k);
		return rc;
	}
	/* §2.17: the first keys protect what the exchange initiator sends */
	if (we_initiated) {
		c->enc_out = k.enc_i;
		c->integ_out = k.integ_i;
		c->enc_in = k.enc_r;
		c->integ_in = k.integ_r;
	} else {
		c->enc_out = k.enc_r;
		c->integ_out = k.integ_r;
		c->enc_in = k.enc_i;
		c->integ_in = k.integ_i;
	}
	memset(&k, 0, sizeof(k)); /* moved, not copied */
	return 0;
}

static bool
seq_has_live_child(const struct ike_sa *sa, uint32_t seq)
{
	for (size_t i = 0; i < sa->st.nchildren; i++)
		if (sa->st.child[i].seq_index == seq && !sa->st.child[i].rekeyed &&
		    !sa->cx[i]->redundant && !sa->cx[i]->deleting)
			return true;
	return false;
}

uint16_t
ike_child_choose(struct ike_sa *sa, const char *exch_name, bool in_auth, uint32_t only_seq,
                 uint16_t ke_group, struct ike_esp_choice *ch, uint32_t *seq, struct ike_tsl *tsi,
                 struct ike_tsl *tsr, uint16_t *want_group)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	uint8_t exch = m->hdr.exch;
	const struct cfg_tunnel_seq *seqs, *first = NULL;
	struct ike_tsl oi, orr, local, remote;
	bool ts_fail = false, pfs_fail = false;
	char got[512], want[512], a[512], b[512], c[512], d[512];
	unsigned n;

	(void)exch_name;
	*want_group = 0;
	if (!sa->tun || !ike_ts_from_pld(&m->tsi, &oi) || !ike_ts_from_pld(&m->tsr, &orr)) {
		ike_reject(e, IKE_REJ_TS_UNACCEPTABLE, e->rx_remote, exch,
		           "TS_UNACCEPTABLE: more than %d selectors or an unknown selector type",
		           ESP_MAX_TS);
		return IKE_N_TS_UNACCEPTABLE;
	}
	seqs = ike_tun_seqs(sa->tun, &n);
	/* first the seq entries without a Child SA, then all (a second SA for one entry) */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < n; i++) {
			const struct cfg_tunnel_seq *s = &seqs[i];
			const struct cfg_ipsec_policy *pol = s->policy;
			enum ike_prop_why why;

			if (!pol || (only_seq && s->seq != only_seq))
				continue;
			if (pass == 0 && !only_seq && seq_has_live_child(sa, s->seq))
				continue;
			if (!first)
				first = s;
			why = ike_prop_esp_select(pol, &m->sa, in_auth, ch);
			if (why != IKE_PROP_OK) {
				pfs_fail |= why == IKE_PROP_PFS;
				continue;
			}
			ike_ts_config(s, &local, &remote);
			/* §2.9: TSi is the initiator's side, our remote one */
			ike_ts_narrow(&oi, &remote, tsi);
			ike_ts_narrow(&orr, &local, tsr);
			if (!tsi->n || !tsr->n) {
				ts_fail = true;
				continue;
			}
			/* §1.3: with PFS the KE must be of the group we use */
			if (!in_auth && pol->pfs_group && ke_group != pol->pfs_group) {
				char b1[32], b2[32];

				ike_reject(e, IKE_REJ_INVALID_KE, e->rx_remote, exch,
				           "INVALID_KE_PAYLOAD: received KE of group %s, tunnel %s "
				           "seq %u uses PFS group %s",
				           ike_dh_name(ke_group, b1, sizeof(b1)), sa->st.tunnel,
				           (unsigned)s->seq,
				           ike_dh_name(pol->pfs_group, b2, sizeof(b2)));
				*want_group = pol->pfs_group;
				return IKE_N_INVALID_KE_PAYLOAD;
			}
			*seq = s->seq;
			return 0;
		}
		if (only_seq)
			break;
	}
	if (ts_fail) {
		ike_ts_config(first, &local, &remote);
		ike_ts_str(&oi, a, sizeof(a));
		ike_ts_str(&orr, b, sizeof(b));
		ike_ts_str(&remote, c, sizeof(c));
		ike_ts_str(&local, d, sizeof(d));
		ike_reject(
		        e, IKE_REJ_TS_UNACCEPTABLE, e->rx_remote, exch,
		        "TS_UNACCEPTABLE: received TSi %s TSr %s, tunnel %s allows TSi %s TSr %s",
		        a, b, sa->st.tunnel, c, d);
		return IKE_N_TS_UNACCEPTABLE;
	}
	ike_prop_str(&m->sa, got, sizeof(got));
	if (first && first->policy)
		ike_prop_esp_cfg_str(first->policy, !in_auth, want, sizeof(want));
	else
		snprintf(want, sizeof(want), "nothing");
	ike_reject(e, IKE_REJ_NO_PROPOSAL_CHOSEN, e->rx_remote, exch,
	           "no proposal chosen%s: received %s, configured %s (tunnel %s)",
	           pfs_fail ? " (MISMATCHED_PFS_GROUP)" : "", got, want, sa->st.tunnel);
	return IKE_N_NO_PROPOSAL_CHOSEN;
}

/* ---- helpers ----------------------------------------------------------------------------- */

/* Answers a CREATE_CHILD_SA request with one error notify (with the SPI for NOT_FOUND). */
static void
respond_error(struct ike_sa *sa, uint16_t notify, const uint8_t *data, size_t len, uint32_t spi)
{
	struct ike_engine *e = sa->e;
	uint8_t s[4];
	struct ike_mb mb;

	put32(s, spi);
	ike_mb_init_chain(&mb);
	if (ike_mb_notify(&mb, spi ? IKE_PROTO_ESP : 0, spi ? s : NULL, spi ? 4 : 0, notify, data,
	                  len) == 0)
		(void)ike_sa_respond(sa, IKE_EXCH_CREATE_CHILD_SA, e->rx.hdr.msgid, &mb,
		                     IKE_CH_MSGID);
	ike_mb_fini(&mb);
}

static int
add_ts(struct ike_mb *mb, const struct ike_tsl *tsi, const struct ike_tsl *tsr)
{
	struct ike_ts ts[IKE_MAX_TS];
	uint8_t n;
	int rc;

	ike_ts_to_pld(tsi, ts, &n);
	rc = ike_mb_ts(mb, IKE_PLD_TSI, ts, n);
	ike_ts_to_pld(tsr, ts, &n);
	if (rc == 0)
		rc = ike_mb_ts(mb, IKE_PLD_TSR, ts, n);
	return rc;
}

static int
add_ke(struct ike_mb *mb, const struct ike_dh *dh)
{
	uint8_t pub[IKE_DH_MAX_PUB_LEN];
	uint16_t g = ike_dh_group(dh);
	size_t len = ike_dh_pub_len(g);
	int rc;

	if (len > sizeof(pub))
		return -EINVAL;
	rc = ike_dh_pub(dh, pub, len);
	if (rc == 0)
		rc = ike_mb_ke(mb, g, pub, len);
	return rc;
}

/* Moves every Child SA (still installed) and their queued tasks from one IKE SA to another. */
static void
children_move(struct ike_sa *from, struct ike_sa *to)
{
	size_t k = 0, n = to->st.nchildren;

	while (from->st.nchildren && ike_child_move(from, 0, to)) {
		to->cx[n]->rekeying = false;
		to->cx[n]->deleting = false;
		n++;
	}
	/* what does not fit (never: both hold at most IKE_STATE_MAX_CHILDREN) is dropped */
	while (from->st.nchildren)
		ike_child_remove(from, from->st.nchildren - 1);
	for (size_t i = 0; i < from->ntasks; i++) {
		const struct ike_task *t = &from->tasks[i];

		if (t->kind == IKE_TASK_CHILD_REKEY || t->kind == IKE_TASK_CHILD_DELETE ||
		    t->kind == IKE_TASK_CHILD_CREATE)
			ike_task_add(to, t->kind, t->child_id, t->seq);
		else
			from->tasks[k++] = *t;
	}
	from->ntasks = (uint8_t)k;
	memcpy(to->child_retry_ms, from->child_retry_ms, sizeof(to->child_retry_ms));
	memcpy(to->child_backoff_ms, from->child_backoff_ms, sizeof(to->child_backoff_ms));
	ike_sa_index(from);
	ike_sa_index(to);
}

/* ---- initiator --------------------------------------------------------------------------- */

static int
start_ike_rekey(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_policy *pol = sa->tun->ike_policy;
	struct ike_ccs *cc = sa->ccs;
	struct ike_pld_sa *offer;
	uint16_t group = cc->dh_group;
	uint8_t spi[8];
	struct ike_mb mb;
	int rc;

	if (!group)
		group = ike_prop_ike_has_group(pol, sa->st.dh_group) ? sa->st.dh_group : 0;
	for (unsigned i = 0; !group && i < pol->nprops; i++)
		if (pol->props[i].prop && ike_prop_ike_has_group(pol, pol->props[i].prop->dh_group))
			group = pol->props[i].prop->dh_group;
	if (!group)
		return -EINVAL;
	offer = calloc(1, sizeof(*offer));
	if (!offer)
		return -ENOMEM;
	if (!cc->new_spi) {
		cc->new_spi = ike_spi_new(e);
		ike_random(e, cc->nonce, sizeof(cc->nonce));
	}
	ike_dh_free(cc->dh);
	cc->dh = NULL;
	cc->kind = IKE_REQ_IKE_REKEY;
	cc->dh_group = group;
	rc = ike_dh_new(group, &cc->dh);
	put64(spi, cc->new_spi);
	ike_prop_ike_offer(pol, spi, 8, offer);
	ike_mb_init_chain(&mb);
	if (rc == 0)
		rc = ike_mb_sa(&mb, offer);
	if (rc == 0)
		rc = ike_mb_nonce(&mb, cc->nonce, sizeof(cc->nonce));
	if (rc == 0)
		rc = add_ke(&mb, cc->dh);
	free(offer);
	if (rc == 0) {
		ike_sa_set_phase(sa, IKE_PHASE_REKEYING);
		rc = ike_sa_request(sa, IKE_EXCH_CREATE_CHILD_SA, IKE_REQ_IKE_REKEY, &mb,
		                    IKE_CH_MSGID);
		if (rc)
			ike_sa_set_phase(sa, IKE_PHASE_ESTABLISHED);
	}
	ike_mb_fini(&mb);
	return rc;
}

static int
start_child(struct ike_sa *sa, enum ike_req_kind kind, uint64_t child_id, uint32_t seqno)
{
	struct ike_engine *e = sa->e;
	struct ike_ccs *cc = sa->ccs;
	const struct cfg_tunnel_seq *seq;
	struct ike_child_state *old = NULL;
	struct ike_pld_sa *offer;
	struct ike_mb mb;
	size_t oidx = 0;
	uint8_t s[4];
	bool pfs;
	int rc;

	if (kind == IKE_REQ_CHILD_REKEY) {
		old = ike_child_find(sa, child_id, &oidx);
		if (!old || old->rekeyed || sa->cx[oidx]->deleting || sa->cx[oidx]->redundant)
			return -ENOENT;
		seqno = old->seq_index;
	}
	seq = ike_tun_seq(sa->tun, seqno);
	if (!seq || !seq->policy)
		return -ENOENT;
	pfs = seq->policy->pfs_group != 0;
	offer = calloc(1, sizeof(*offer));
	if (!offer)
		return -ENOMEM;
	cc->kind = kind;
	cc->child_id = child_id;
	cc->seq = seqno;
	if (!cc->spi_in) {
		cc->spi_in = ike_child_spi_new(e);
		ike_ccs_reserve(sa);
		ike_random(e, cc->nonce, sizeof(cc->nonce));
	}
	rc = 0;
	if (pfs) {
		cc->dh_group = seq->policy->pfs_group;
		ike_dh_free(cc->dh);
		cc->dh = NULL;
		rc = ike_dh_new(cc->dh_group, &cc->dh);
	}
	if (old) {
		/* §2.8: keep the selectors of the SA being rekeyed */
		memset(&cc->ts_local, 0, sizeof(cc->ts_local));
		memset(&cc->ts_remote, 0, sizeof(cc->ts_remote));
		cc->ts_local.n = old->nts_local <= ESP_MAX_TS ? old->nts_local : ESP_MAX_TS;
		cc->ts_remote.n = old->nts_remote <= ESP_MAX_TS ? old->nts_remote : ESP_MAX_TS;
		if (cc->ts_local.n)
			memcpy(cc->ts_local.ts, ike_child_ts_local(old),
			       cc->ts_local.n * sizeof(cc->ts_local.ts[0]));
		if (cc->ts_remote.n)
			memcpy(cc->ts_remote.ts, ike_child_ts_remote(old),
			       cc->ts_remote.n * sizeof(cc->ts_remote.ts[0]));
	} else {
		ike_ts_config(seq, &cc->ts_local, &cc->ts_remote);
	}
	ike_mb_init_chain(&mb);
	if (rc == 0 && !ike_prop_esp_offer(seq->policy, cc->spi_in, pfs, offer))
		rc = -ENOENT;
	/* §1.3.3: REKEY_SA names the SA by the SPI we receive it with */
	if (rc == 0 && old) {
		put32(s, old->spi_in);
		rc = ike_mb_notify(&mb, IKE_PROTO_ESP, s, 4, IKE_N_REKEY_SA, NULL, 0);
	}
	if (rc == 0)
		rc = ike_mb_sa(&mb, offer);
	if (rc == 0)
		rc = ike_mb_nonce(&mb, cc->nonce, sizeof(cc->nonce));
	if (rc == 0 && pfs)
		rc = add_ke(&mb, cc->dh);
	if (rc == 0)
		rc = add_ts(&mb, &cc->ts_local, &cc->ts_remote);
	free(offer);
	if (rc == 0) {
		sa->st.req_child_id = child_id;
		sa->st.req_spi = cc->spi_in;
		if (old)
			sa->cx[oidx]->rekeying = true;
		rc = ike_sa_request(sa, IKE_EXCH_CREATE_CHILD_SA, kind, &mb, IKE_CH_MSGID);
		if (rc && old)
			sa->cx[oidx]->rekeying = false;
	}
	ike_mb_fini(&mb);
	return rc;
}

int
ike_child_start(struct ike_sa *sa, enum ike_req_kind kind, uint64_t child_id, uint32_t seq)
{
	int rc;

	if (sa->st.phase != IKE_PHASE_ESTABLISHED || sa->rekeyed || !sa->tun)
		return -EAGAIN;
	if (!ike_ccs_new(sa))
		rc = -ENOMEM;
	else if (kind == IKE_REQ_IKE_REKEY)
		rc = start_ike_rekey(sa);
	else
		rc = start_child(sa, kind, child_id, seq);
	if (rc)
		ike_ccs_clear(sa);
	if (rc && kind == IKE_REQ_CHILD_CREATE) {
		/* nothing to offer (AH, IPcomp) or no memory: not again at once */
		size_t slot = ike_seq_slot(sa, seq);
		uint32_t b = sa->child_backoff_ms[slot] ? sa->child_backoff_ms[slot] : 1000;

		sa->child_retry_ms[slot] = sa->e->now_ms + b;
		sa->child_backoff_ms[slot] = b * 2 > sa->e->o.initiate_backoff_max_ms
		                                     ? sa->e->o.initiate_backoff_max_ms
		                                     : b * 2;
	}
	return rc;
}

/* After a takeover the CREATE_CHILD_SA context is gone: undo what the peer made of it. */
static void
resumed_response(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	enum ike_req_kind kind = sa->st.req_kind;
	uint32_t spi = sa->st.req_spi;

	ike_sa_request_done(sa);
	if (m->has_sa && (kind == IKE_REQ_CHILD_CREATE || kind == IKE_REQ_CHILD_REKEY) && spi) {
		log_info("tunnel %s: a Child SA negotiated before the takeover is deleted",
		         sa->st.tunnel);
		uint8_t n = sa->ntasks;

		ike_task_add(sa, IKE_TASK_CHILD_DELETE, 0, 0);
		if (sa->ntasks > n)
			sa->tasks[sa->ntasks - 1].spi = spi;
	} else if (m->has_sa && kind == IKE_REQ_IKE_REKEY) {
		log_warnx("tunnel %s: an IKE SA rekey was cut by the takeover; the peer may drop "
		          "this IKE SA",
		          sa->st.tunnel);
	}
	(void)ike_sa_report(sa, IKE_CH_MSGID);
}

/* An error notify in the answer: retry, give way, or give up for now. */
static bool
child_notify(struct ike_sa *sa, enum ike_req_kind kind)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	struct ike_ccs *cc = sa->ccs;
	uint16_t err = 0;
	size_t idx = 0;
	size_t si = 0;
	struct ike_child_state *old =
	        kind == IKE_REQ_CHILD_REKEY ? ike_child_find(sa, cc->child_id, &idx) : NULL;
	unsigned n;
	const struct cfg_tunnel_seq *seqs = sa->tun ? ike_tun_seqs(sa->tun, &n) : NULL;
	uint64_t jitter = ike_random_below(e, 1000);

	for (size_t i = 0; i < m->nnotify && !err; i++)
		if (m->notify[i].type < 16384)
			err = m->notify[i].type;
	if (!err)
		return false;
	for (unsigned i = 0; seqs && i < n; i++)
		if (seqs[i].seq == cc->seq)
			si = i;
	if (old)
		sa->cx[idx]->rekeying = false;
	switch (err) {
	case IKE_N_TEMPORARY_FAILURE:
		/* §2.25: try again a little later */
		if (kind == IKE_REQ_IKE_REKEY)
			sa->ike_tempfail_ms = e->now_ms + IKE_TEMPFAIL_RETRY_MS + jitter;
		else if (old)
			sa->cx[idx]->tempfail_ms = e->now_ms + IKE_TEMPFAIL_RETRY_MS + jitter;
		else
			sa->child_retry_ms[si] = e->now_ms + IKE_TEMPFAIL_RETRY_MS + jitter;
		break;
	case IKE_N_CHILD_SA_NOT_FOUND:
		/* §1.3.3: the peer does not have it (any more): drop ours, create a new one */
		if (old) {
			log_info("tunnel %s: the peer does not know Child SA %08x; replacing it",
			         sa->st.tunnel, (unsigned)old->spi_in);
			ike_child_remove(sa, idx);
		}
		break;
	default:
		log_warnx("tunnel %s: CREATE_CHILD_SA refused by the peer: %s", sa->st.tunnel,
		          ike_notify_name(err));
		if (kind == IKE_REQ_IKE_REKEY)
			sa->ike_tempfail_ms = e->now_ms + 30000 + jitter;
		else if (old)
			sa->cx[idx]->tempfail_ms = e->now_ms + 30000 + jitter;
		else {
			uint32_t b = sa->child_backoff_ms[si] ? sa->child_backoff_ms[si] : 1000;

			sa->child_retry_ms[si] = e->now_ms + b;
			sa->child_backoff_ms[si] = b * 2 > e->o.initiate_backoff_max_ms
			                                   ? e->o.initiate_backoff_max_ms
			                                   : b * 2;
		}
		break;
	}
	if (kind == IKE_REQ_IKE_REKEY)
		ike_sa_set_phase(sa, IKE_PHASE_ESTABLISHED);
	ike_sa_request_done(sa);
	ike_ccs_clear(sa);
	(void)ike_sa_report(sa, err == IKE_N_CHILD_SA_NOT_FOUND && old ? IKE_CH_CHILD_DELETED
	                                                               : IKE_CH_MSGID);
	if (err == IKE_N_CHILD_SA_NOT_FOUND && old)
		ike_tun_update(e, sa->st.tunnel, "Child SA unknown to the peer");
	return true;
}

/* INVALID_KE_PAYLOAD: retry with the named group if we may (once per group). */
static bool
child_invalid_ke(struct ike_sa *sa, enum ike_req_kind kind)
{
	struct ike_engine *e = sa->e;
	const struct ike_pld_notify *n = ike_msg_notify(&e->rx, IKE_N_INVALID_KE_PAYLOAD);
	struct ike_ccs *cc = sa->ccs;
	uint16_t g;
	uint64_t child_id = cc->child_id;
	uint32_t seq = cc->seq;

	if (!n || cur_left(&n->data) != 2)
		return false;
	g = (uint16_t)(n->data.p[0] << 8 | n->data.p[1]);
	for (size_t i = 0; i < cc->ngroups; i++)
		if (cc->groups[i] == g)
			return false;
	if (kind != IKE_REQ_IKE_REKEY || !ike_prop_ike_has_group(sa->tun->ike_policy, g) ||
	    cc->ngroups >= IKE_MAX_GROUP_RETRIES)
		return false; /* PFS: the policy names one group only */
	cc->groups[cc->ngroups++] = cc->dh_group;
	cc->dh_group = g;
	ike_sa_request_done(sa);
	ike_sa_set_phase(sa, IKE_PHASE_ESTABLISHED);
	if (start_ike_rekey(sa)) {
		ike_ccs_clear(sa);
		return false;
	}
	(void)child_id;
	(void)seq;
	return true;
}

/*
 * What our Child SA rekey ends in (§2.8.1): normally the old Child SA is replaced and we
 * delete it; after a collision the side whose exchange made the SA with the lowest nonce
 * deletes that one; a Child SA the peer deleted meanwhile takes the new one with it. Returns
 * whether the new Child SA (at idx) is installed.
 */
static bool
rekey_outcome(struct ike_sa *sa, size_t idx, const struct cur *peer_nonce)
{
	struct ike_ccs *cc = sa->ccs;
	struct ike_child_state *c = &sa->st.child[idx];
	size_t oidx = 0, pidx = 0, ol, pl = cc->peer_low_len;
	struct ike_child_state *old = ike_child_find(sa, cc->child_id, &oidx);
	struct ike_child_state *pc;
	const uint8_t *ours;

	if (!old) {
		log_info("tunnel %s: the peer deleted the Child SA we were rekeying; deleting the "
		         "new one too",
		         sa->st.tunnel);
		sa->cx[idx]->redundant = true;
		ike_task_add(sa, IKE_TASK_CHILD_DELETE, c->child_id, 0);
		return false;
	}
	sa->cx[oidx]->rekeying = false;
	if (!cc->collided) {
		old->rekeyed = true;
		ike_task_add(sa, IKE_TASK_CHILD_DELETE, old->child_id, 0);
		return true;
	}
	ours = lower(cc->nonce, sizeof(cc->nonce), peer_nonce->p, cur_left(peer_nonce), &ol);
	pc = ike_child_find(sa, cc->peer_child_id, &pidx);
	if (memcmp(ours, cc->peer_low, ol < pl ? ol : pl) > 0) {
		/* the lowest nonce is the peer's: its SA is redundant, the peer deletes it */
		log_info("tunnel %s: Child SA rekey collision won; deleting the old one",
		         sa->st.tunnel);
		old->rekeyed = true;
		if (pc)
			sa->cx[pidx]->redundant = true;
		ike_task_add(sa, IKE_TASK_CHILD_DELETE, old->child_id, 0);
		return true;
	}
	log_info("tunnel %s: Child SA rekey collision lost; deleting the redundant one",
	         sa->st.tunnel);
	sa->cx[idx]->redundant = true;
	ike_task_add(sa, IKE_TASK_CHILD_DELETE, c->child_id, 0);
	return false;
}

/* The answer to our CREATE_CHILD_SA cannot be used: give up this exchange. */
static void
child_response_fail(struct ike_sa *sa)
{
	size_t oidx;

	if (sa->ccs && sa->ccs->kind == IKE_REQ_CHILD_REKEY &&
	    ike_child_find(sa, sa->ccs->child_id, &oidx))
		sa->cx[oidx]->rekeying = false;
	ike_sa_request_done(sa);
	ike_ccs_clear(sa);
	(void)ike_sa_report(sa, IKE_CH_MSGID);
}

static void
child_response(struct ike_sa *sa, enum ike_req_kind kind)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	struct ike_ccs *cc = sa->ccs;
	const struct cfg_tunnel_seq *seq = ike_tun_seq(sa->tun, cc->seq);
	struct ike_child_state *c;
	struct ike_esp_choice ch;
	struct ike_tsl tsi = {0}, tsr = {0};
	struct secret gir = {0};
	size_t idx;
	bool install = true, bad_ts = false;
	char got[512];
	int rc;

	if (!seq || !seq->policy || !m->has_sa || !m->has_nonce || !m->has_tsi || !m->has_tsr ||
	    !ike_prop_esp_accept(seq->policy, &m->sa, false, &ch) ||
	    (cc->dh && (!m->has_ke || m->ke.group != cc->dh_group))) {
		ike_prop_str(&m->sa, got, sizeof(got));
		ike_reject(e, IKE_REJ_NO_PROPOSAL_CHOSEN, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
		           "no proposal chosen: the responder answered %s for tunnel %s, which we "
		           "did not offer",
		           m->has_sa ? got : "without an SA payload", sa->st.tunnel);
		child_response_fail(sa);
		return;
	}
	if (!ike_ts_from_pld(&m->tsi, &tsi) || !ike_ts_from_pld(&m->tsr, &tsr) || !tsi.n ||
	    !tsr.n || !ike_ts_subset(&tsi, &cc->ts_local) || !ike_ts_subset(&tsr, &cc->ts_remote)) {
		ike_reject(
		        e, IKE_REJ_TS_UNACCEPTABLE, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
		        "TS_UNACCEPTABLE: the responder's selectors for tunnel %s are not within "
		        "what we proposed; deleting the Child SA",
		        sa->st.tunnel);
		bad_ts = true;
	}
	if (cc->dh && ike_dh_shared(cc->dh, m->ke.data.p, cur_left(&m->ke.data), &gir)) {
		ike_reject(e, IKE_REJ_KE_LENGTH, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
		           "KEY_EXCHANGE_PAYLOAD: invalid public value of %zu bytes for group %u",
		           cur_left(&m->ke.data), (unsigned)m->ke.group);
		bad_ts = true; /* the SA exists on the peer: delete it below */
	}
	c = ike_child_add(sa, &idx);
	if (!c) {
		secret_clear(&gir);
		child_response_fail(sa);
		return;
	}
	rc = ike_child_fill(sa, c, &ch, cc->seq, &tsi, &tsr, cc->spi_in);
	if (rc == 0)
		rc = ike_child_keys(sa, c, gir.s_len ? &gir : NULL, cc->nonce, sizeof(cc->nonce),
		                    m->nonce.p, cur_left(&m->nonce), true);
	secret_clear(&gir);
	ike_child_lifetimes(sa, c, ch.cp, true);
	ike_sa_request_done(sa);
	if (rc || bad_ts) {
		size_t oidx;

		install = false;
		sa->cx[idx]->redundant = true;
		ike_task_add(sa, IKE_TASK_CHILD_DELETE, c->child_id, 0);
		if (kind == IKE_REQ_CHILD_REKEY && ike_child_find(sa, cc->child_id, &oidx))
			sa->cx[oidx]->rekeying = false;
	} else if (kind == IKE_REQ_CHILD_REKEY) {
		e->stats.child_sa_rekeyed++;
		install = rekey_outcome(sa, idx, &m->nonce);
	} else {
		e->stats.child_sa_established++;
		for (size_t i = 0; i < CFG_MAX_TUNNEL_SEQS; i++)
			sa->child_backoff_ms[i] = 0;
	}
	e->stats.exch_done[2]++;
	ike_ccs_clear(sa);
	(void)ike_sa_report(sa, kind == IKE_REQ_CHILD_REKEY ? IKE_CH_CHILD_REKEYED
	                                                    : IKE_CH_CHILD_ADDED);
	if (install && ike_child_install(sa, idx, false)) {
		log_warnx("tunnel %s: data plane refused Child SA %08x", sa->st.tunnel,
		          (unsigned)sa->st.child[idx].spi_in);
		ike_task_add(sa, IKE_TASK_CHILD_DELETE, sa->st.child[idx].child_id, 0);
	}
	ike_tun_update(e, sa->st.tunnel, "Child SA created");
}

/*
 * The IKE SA a rekey creates (§2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)): the
 * exchange's initiator is its initiator; it inherits the tunnel, addresses, identities and
 * RFC 6311 capabilities of the old one. NULL when it cannot be made.
 */
static struct ike_sa *
rekey_new_sa(struct ike_sa *old, const struct ike_ike_choice *ch, bool we_initiated, uint64_t spi_i,
             uint64_t spi_r, const struct secret *gir, const uint8_t *ni, size_t ni_len,
             const uint8_t *nr, size_t nr_len)
{
	struct ike_sa *ns = ike_sa_new(old->e, we_initiated);
	struct ike_keys k;
	int rc;

	if (!ns)
		return NULL;
	ns->st.spi_i = spi_i;
	ns->st.spi_r = spi_r;
	ike_sa_hash_add(ns);
	memset(&k, 0, sizeof(k));
	k.prf = ch->prf;
	k.encr = ch->encr;
	k.integ = ch->integ;
	rc = ike_keys_derive(&k, gir, ni, ni_len, nr, nr_len, spi_i, spi_r, &old->st.sk_d,
	                     old->st.prf);
	if (rc == 0)
		rc = ike_sa_keys_take(ns, &k);
	ike_keys_clear(&k);
	if (rc) {
		ike_sa_free(ns);
		return NULL;
	}
	ns->tun = old->tun;
	ns->tun_final = true;
	memcpy(ns->st.tunnel, old->st.tunnel, sizeof(ns->st.tunnel));
	ns->st.local = old->st.local;
	ns->st.remote = old->st.remote;
	ns->st.nat_local = old->st.nat_local;
	ns->st.nat_remote = old->st.nat_remote;
	ns->st.id_local = old->st.id_local;
	ns->st.id_remote = old->st.id_remote;
	ns->st.peer_msgid_sync = old->st.peer_msgid_sync;
	ns->st.peer_replay_sync = old->st.peer_replay_sync;
	ns->st.dh_group = ch->dh;
	ns->st.old_spi_i = old->st.spi_i;
	ns->st.old_spi_r = old->st.spi_r;
	ns->ike = *ch;
	ike_sa_set_phase(ns, IKE_PHASE_ESTABLISHED);
	ike_sa_lifetimes(ns);
	return ns;
}

/* Finishes an IKE SA rekey we initiated: the new SA takes the Child SAs, the old one goes. */
static void
ike_rekey_response(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	struct ike_ccs *cc = sa->ccs;
	struct ike_ike_choice ch;
	struct ike_sa *ns = NULL, *other = NULL;
	struct secret gir = {0};
	char got[512];

	if (!m->has_sa || !m->has_nonce || !m->has_ke ||
	    !ike_prop_ike_accept(sa->tun->ike_policy, &m->sa, &ch) || ch.spi_len != 8 ||
	    m->ke.group != cc->dh_group || ch.dh != cc->dh_group) {
		ike_prop_str(&m->sa, got, sizeof(got));
		ike_reject(e, IKE_REJ_NO_PROPOSAL_CHOSEN, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
		           "no proposal chosen: the responder answered the IKE SA rekey of tunnel "
		           "%s with %s",
		           sa->st.tunnel, m->has_sa ? got : "no SA payload");
		goto fail;
	}
	if (ike_dh_shared(cc->dh, m->ke.data.p, cur_left(&m->ke.data), &gir) == 0)
		ns = rekey_new_sa(sa, &ch, true, cc->new_spi, get64(ch.spi), &gir, cc->nonce,
		                  sizeof(cc->nonce), m->nonce.p, cur_left(&m->nonce));
	secret_clear(&gir);
	if (!ns)
		goto fail;
	e->stats.ike_sa_rekeyed++;
	e->stats.exch_done[2]++;
	ike_sa_request_done(sa);
	if (cc->collided)
		other = ike_sa_find(e, cc->peer_sa_spi);
	if (other) {
		size_t ol, pl = cc->peer_low_len;
		const uint8_t *ours =
		        lower(cc->nonce, sizeof(cc->nonce), m->nonce.p, cur_left(&m->nonce), &ol);

		if (memcmp(ours, cc->peer_low, ol < pl ? ol : pl) < 0) {
			/* §2.8.2: ours was made with the lowest nonce: ours is redundant */
			log_info("tunnel %s: IKE SA rekey collision lost; deleting the redundant "
			         "IKE SA",
			         sa->st.tunnel);
			children_move(sa, other);
			(void)ike_sa_report(other, IKE_CH_REKEYED);
			sa->rekeyed = true;
			sa->destroy_at_ms = e->now_ms + IKE_REKEYED_GRACE_MS;
			ike_ccs_clear(sa);
			(void)ike_sa_report(sa, IKE_CH_MSGID);
			ns->st.old_spi_i = ns->st.old_spi_r = 0;
			ike_sa_close(ns, "redundant after a rekey collision");
			return;
		}
		log_info("tunnel %s: IKE SA rekey collision won; waiting for the peer to delete "
		         "its redundant IKE SA",
		         sa->st.tunnel);
		other->rekeyed = true;
		other->destroy_at_ms = e->now_ms + IKE_REKEYED_GRACE_MS;
		ike_sa_set_phase(other, IKE_PHASE_REKEYING);
	}
	children_move(sa, ns);
	ike_ccs_clear(sa);
	(void)ike_sa_report(ns, IKE_CH_REKEYED);
	log_info("tunnel %s: IKE SA rekeyed", sa->st.tunnel);
	/* §1.3.2: the initiator of the rekey deletes the old IKE SA */
	sa->rekeyed = true;
	ike_sa_set_phase(sa, IKE_PHASE_ESTABLISHED);
	ike_sa_close(sa, "rekeyed");
	return;
fail:
	ike_sa_request_done(sa);
	ike_ccs_clear(sa);
	ike_sa_set_phase(sa, IKE_PHASE_ESTABLISHED);
	sa->ike_tempfail_ms = e->now_ms + 30000;
	(void)ike_sa_report(sa, IKE_CH_MSGID);
}

void
ike_child_response(struct ike_sa *sa)
{
	enum ike_req_kind kind = sa->st.req_kind;

	/* without the context of our request (taken over): undo what the peer made of it */
	if (sa->req_resumed || !sa->ccs) {
		resumed_response(sa);
		return;
	}
	if (kind != IKE_REQ_CHILD_CREATE && kind != IKE_REQ_CHILD_REKEY &&
	    kind != IKE_REQ_IKE_REKEY)
		return;
	if (child_invalid_ke(sa, kind))
		return;
	if (child_notify(sa, kind))
		return;
	if (kind == IKE_REQ_IKE_REKEY)
		ike_rekey_response(sa);
	else
		child_response(sa, kind);
}

/* ---- responder ---------------------------------------------------------------------------- */

/* The peer deletes the old IKE SA of a collision it did not notice: take its new SA (§2.8.2). */
void
ike_rekey_conclude(struct ike_sa *old)
{
	struct ike_engine *e = old->e;
	struct ike_sa *other;

	if (!old->ccs || !old->ccs->collided || old->ccs->kind != IKE_REQ_IKE_REKEY ||
	    !old->st.nchildren)
		return;
	other = ike_sa_find(e, old->ccs->peer_sa_spi);
	if (!other)
		return;
	log_info("tunnel %s: the peer did not notice the IKE SA rekey collision; using its new "
	         "IKE SA",
	         old->st.tunnel);
	children_move(old, other);
	(void)ike_sa_report(other, IKE_CH_REKEYED);
}

/* The checks of a peer's IKE SA rekey (§2.25.2, §1.2); false when answered with an error. */
static bool
rekey_request_ok(struct ike_sa *sa, struct ike_ike_choice *ch)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	char got[512], want[512], b1[32], b2[32];
	uint8_t g[2];

	/* not while we delete it, or a Child SA exchange of ours is in flight */
	if (sa->rekeyed || sa->st.phase == IKE_PHASE_DELETING ||
	    (sa->req_active && sa->st.req_kind != IKE_REQ_IKE_REKEY &&
	     sa->st.req_kind != IKE_REQ_DPD)) {
		respond_error(sa, IKE_N_TEMPORARY_FAILURE, NULL, 0, 0);
		return false;
	}
	if (!m->has_ke) {
		ike_reject(e, IKE_REJ_MISSING_PAYLOAD, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
		           "MISSING_PAYLOAD:payload type %u required in this exchange",
		           (unsigned)IKE_PLD_KE);
		respond_error(sa, IKE_N_INVALID_SYNTAX, NULL, 0, 0);
		return false;
	}
	if (ike_prop_ike_select(sa->tun->ike_policy, &m->sa, ch) != IKE_PROP_OK ||
	    ch->spi_len != 8) {
		ike_prop_str(&m->sa, got, sizeof(got));
		ike_prop_ike_cfg_str(sa->tun->ike_policy, want, sizeof(want));
		ike_reject(e, IKE_REJ_NO_PROPOSAL_CHOSEN, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
		           "no proposal chosen: received %s, configured %s (IKE SA rekey, tunnel "
		           "%s)",
		           got, want, sa->st.tunnel);
		respond_error(sa, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, 0);
		return false;
	}
	if (m->ke.group != ch->dh) {
		ike_reject(e, IKE_REJ_INVALID_KE, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
		           "INVALID_KE_PAYLOAD: received KE of group %s, chosen proposal uses %s",
		           ike_dh_name(m->ke.group, b1, sizeof(b1)),
		           ike_dh_name(ch->dh, b2, sizeof(b2)));
		g[0] = (uint8_t)(ch->dh >> 8);
		g[1] = (uint8_t)ch->dh;
		respond_error(sa, IKE_N_INVALID_KE_PAYLOAD, g, sizeof(g), 0);
		return false;
	}
	return true;
}

static void
ike_rekey_request(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	uint32_t msgid = m->hdr.msgid;
	struct ike_ike_choice ch;
	struct ike_pld_sa *ans = NULL;
	struct ike_sa *ns = NULL;
	struct secret gir = {0};
	struct ike_dh *dh = NULL;
	struct ike_mb mb;
	uint8_t nr[IKE_NONCE_LEN], spi[8];
	int rc;

	if (!rekey_request_ok(sa, &ch))
		return;
	ike_random(e, nr, sizeof(nr));
	rc = ike_dh_new(ch.dh, &dh);
	if (rc == 0)
		rc = ike_dh_shared(dh, m->ke.data.p, cur_left(&m->ke.data), &gir);
	if (rc) {
		ike_reject(e, IKE_REJ_KE_LENGTH, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
		           "KEY_EXCHANGE_PAYLOAD: invalid public value of %zu bytes for group %u",
		           cur_left(&m->ke.data), (unsigned)m->ke.group);
		ike_dh_free(dh);
		respond_error(sa, IKE_N_INVALID_SYNTAX, NULL, 0, 0);
		return;
	}
	ns = rekey_new_sa(sa, &ch, false, get64(ch.spi), ike_spi_new(e), &gir, m->nonce.p,
	                  cur_left(&m->nonce), nr, sizeof(nr));
	secret_clear(&gir);
	ans = calloc(1, sizeof(*ans));
	ike_mb_init_chain(&mb);
	rc = ns && ans ? 0 : -ENOMEM;
	if (rc == 0) {
		put64(spi, ns->st.spi_r);
		ike_prop_ike_answer(&ch, spi, 8, ans);
		rc = ike_mb_sa(&mb, ans);
	}
	if (rc == 0)
		rc = ike_mb_nonce(&mb, nr, sizeof(nr));
	if (rc == 0)
		rc = add_ke(&mb, dh);
	free(ans);
	ike_dh_free(dh);
	if (rc) {
		ike_mb_fini(&mb);
		if (ns)
			ike_sa_free(ns);
		respond_error(sa, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, 0);
		return;
	}
	if (sa->req_active && sa->st.req_kind == IKE_REQ_IKE_REKEY) {
		/* §2.8.2: a collision: our rekey decides when its answer comes (a request taken
		 * over from another node has no context to decide with: nothing to note) */
		size_t ll;
		const uint8_t *lo = lower(m->nonce.p, cur_left(&m->nonce), nr, sizeof(nr), &ll);

		if (sa->ccs) {
			sa->ccs->collided = true;
			memcpy(sa->ccs->peer_low, lo, ll);
			sa->ccs->peer_low_len = ll;
			sa->ccs->peer_sa_spi = ns->st.spi_r;
		}
	} else {
		children_move(sa, ns);
		sa->rekeyed = true;
		sa->destroy_at_ms = e->now_ms + IKE_REKEYED_GRACE_MS;
		ike_sa_set_phase(sa, IKE_PHASE_REKEYING);
	}
	e->stats.ike_sa_rekeyed++;
	e->stats.exch_done[2]++;
	(void)ike_sa_report(ns, IKE_CH_REKEYED);
	(void)ike_sa_respond(sa, IKE_EXCH_CREATE_CHILD_SA, msgid, &mb, IKE_CH_MSGID);
	ike_mb_fini(&mb);
	log_info("tunnel %s: IKE SA rekeyed by the peer", sa->st.tunnel);
}

/*
 * The Child SA a REKEY_SA notify names (§1.3.3: the SPI the peer receives with, our outbound
 * one). False when the request was answered: CHILD_SA_NOT_FOUND, TEMPORARY_FAILURE while we
 * delete or already replaced it (§2.25), INVALID_SYNTAX.
 */
static bool
rekey_target(struct ike_sa *sa, const struct ike_pld_notify *rn, size_t *oidx)
{
	struct ike_child_state *old;
	uint32_t spi;

	if (cur_left(&rn->spi) != 4 || rn->proto != IKE_PROTO_ESP) {
		respond_error(sa, IKE_N_INVALID_SYNTAX, NULL, 0, 0);
		return false;
	}
	spi = get32(rn->spi.p);
	old = ike_child_by_spi_out(sa, spi, oidx);
	if (!old) {
		log_info("tunnel %s: the peer rekeys Child SA %08x, which we do not have",
		         sa->st.tunnel, (unsigned)spi);
		respond_error(sa, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0, spi);
		return false;
	}
	if (sa->cx[*oidx]->deleting || old->rekeyed || sa->cx[*oidx]->redundant) {
		respond_error(sa, IKE_N_TEMPORARY_FAILURE, NULL, 0, 0);
		return false;
	}
	return true;
}

/* The peer replaced Child SA oidx by new_id; remember a collision with our own rekey. */
static void
rekey_replaced(struct ike_sa *sa, size_t oidx, uint64_t new_id, const uint8_t *nr)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	struct ike_child_state *old = &sa->st.child[oidx];

	old->rekeyed = true;
	/* if the peer never deletes it, we do (after a grace period) */
	if (!old->expire_at_ms || old->expire_at_ms > e->now_ms + IKE_REKEYED_GRACE_MS)
		old->expire_at_ms = e->now_ms + IKE_REKEYED_GRACE_MS;
	/* §2.8.1: a collision with our own rekey of the same Child SA */
	if (sa->req_active && sa->st.req_kind == IKE_REQ_CHILD_REKEY &&
	    sa->st.req_child_id == old->child_id && sa->ccs) {
		size_t ll;
		const uint8_t *lo = lower(m->nonce.p, cur_left(&m->nonce), nr, IKE_NONCE_LEN, &ll);

		sa->ccs->collided = true;
		memcpy(sa->ccs->peer_low, lo, ll);
		sa->ccs->peer_low_len = ll;
		sa->ccs->peer_child_id = new_id;
	}
	e->stats.child_sa_rekeyed++;
}

/* The response that creates Child SA idx: SA, Nr, [KEr], TSi, TSr (§1.3.1). */
static int
child_answer(struct ike_mb *mb, const struct ike_esp_choice *ch, uint32_t spi_in, const uint8_t *nr,
             const struct ike_dh *dh, const struct ike_tsl *tsi, const struct ike_tsl *tsr)
{
	struct ike_pld_sa *ans = calloc(1, sizeof(*ans));
	int rc;

	if (!ans)
		return -ENOMEM;
	ike_prop_esp_answer(ch, spi_in, ans);
	rc = ike_mb_sa(mb, ans);
	free(ans);
	if (rc == 0)
		rc = ike_mb_nonce(mb, nr, IKE_NONCE_LEN);
	if (rc == 0 && dh)
		rc = add_ke(mb, dh);
	if (rc == 0)
		rc = add_ts(mb, tsi, tsr);
	return rc;
}

static void
child_request(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	const struct ike_pld_notify *rn = ike_msg_notify(m, IKE_N_REKEY_SA);
	uint32_t msgid = m->hdr.msgid, seq = 0, spi_in;
	struct ike_child_state *c;
	struct ike_esp_choice ch;
	struct ike_tsl tsi = {0}, tsr = {0};
	struct secret gir = {0};
	struct ike_dh *dh = NULL;
	struct ike_mb mb;
	uint8_t nr[IKE_NONCE_LEN], g[2];
	uint16_t err, want = 0;
	size_t oidx = 0, idx;
	int rc = 0;

	if (rn && !rekey_target(sa, rn, &oidx))
		return;
	/* §2.25.2: no Child SA exchange while our IKE SA rekey is under way */
	if (sa->rekeyed || (sa->req_active && sa->st.req_kind == IKE_REQ_IKE_REKEY)) {
		respond_error(sa, IKE_N_TEMPORARY_FAILURE, NULL, 0, 0);
		return;
	}
	if (!m->has_tsi || !m->has_tsr) {
		ike_reject(e, IKE_REJ_MISSING_PAYLOAD, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
		           "MISSING_PAYLOAD:payload type %u required in this exchange",
		           (unsigned)(m->has_tsi ? IKE_PLD_TSR : IKE_PLD_TSI));
		respond_error(sa, IKE_N_INVALID_SYNTAX, NULL, 0, 0);
		return;
	}
	err = ike_child_choose(sa, "CREATE_CHILD_SA", false, rn ? sa->st.child[oidx].seq_index : 0,
	                       m->has_ke ? m->ke.group : 0, &ch, &seq, &tsi, &tsr, &want);
	g[0] = (uint8_t)(want >> 8);
	g[1] = (uint8_t)want;
	if (err) {
		respond_error(sa, err, err == IKE_N_INVALID_KE_PAYLOAD ? g : NULL,
		              err == IKE_N_INVALID_KE_PAYLOAD ? sizeof(g) : 0, 0);
		return;
	}
	ike_random(e, nr, sizeof(nr));
	if (ch.dh) {
		rc = ike_dh_new(ch.dh, &dh);
		if (rc == 0)
			rc = ike_dh_shared(dh, m->ke.data.p, cur_left(&m->ke.data), &gir);
		if (rc) {
			ike_reject(e, IKE_REJ_KE_LENGTH, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
			           "KEY_EXCHANGE_PAYLOAD: invalid public value of %zu bytes for "
			           "group %u",
			           cur_left(&m->ke.data), (unsigned)m->ke.group);
			ike_dh_free(dh);
			respond_error(sa, IKE_N_INVALID_SYNTAX, NULL, 0, 0);
			return;
		}
	}
	spi_in = ike_child_spi_new(e);
	c = ike_child_add(sa, &idx);
	ike_mb_init_chain(&mb);
	if (c) {
		rc = ike_child_fill(sa, c, &ch, seq, &tsr, &tsi, spi_in);
		if (rc == 0)
			rc = ike_child_keys(sa, c, ch.dh ? &gir : NULL, m->nonce.p,
			                    cur_left(&m->nonce), nr, sizeof(nr), false);
		ike_child_lifetimes(sa, c, ch.cp, false);
		if (rc == 0)
			rc = child_answer(&mb, &ch, spi_in, nr, dh, &tsi, &tsr);
	}
	secret_clear(&gir);
	ike_dh_free(dh);
	if (!c || rc) {
		ike_mb_fini(&mb);
		if (c)
			ike_child_remove(sa, idx);
		respond_error(sa, IKE_N_NO_ADDITIONAL_SAS, NULL, 0, 0);
		return;
	}
	if (rn)
		rekey_replaced(sa, oidx, c->child_id, nr);
	else
		e->stats.child_sa_established++;
	e->stats.exch_done[2]++;
	rc = ike_sa_respond_prepare(sa, IKE_EXCH_CREATE_CHILD_SA, msgid, &mb,
	                            rn ? IKE_CH_CHILD_REKEYED : IKE_CH_CHILD_ADDED);
	ike_mb_fini(&mb);
	if (rc)
		return;
	if (ike_child_install(sa, idx, false)) {
		log_warnx("tunnel %s: data plane refused Child SA %08x", sa->st.tunnel,
		          (unsigned)spi_in);
		ike_task_add(sa, IKE_TASK_CHILD_DELETE, sa->st.child[idx].child_id, 0);
	}
	ike_sa_respond_send(sa);
	ike_tun_update(e, sa->st.tunnel, "Child SA created");
}

void
ike_child_request(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;

	if (sa->st.phase != IKE_PHASE_ESTABLISHED && sa->st.phase != IKE_PHASE_REKEYING) {
		respond_error(sa, IKE_N_TEMPORARY_FAILURE, NULL, 0, 0);
		return;
	}
	if (!m->has_sa || !m->has_nonce || m->sa.nprops == 0) {
		ike_reject(e, IKE_REJ_MISSING_PAYLOAD, e->rx_remote, IKE_EXCH_CREATE_CHILD_SA,
		           "MISSING_PAYLOAD:payload type %u required in this exchange",
		           (unsigned)(m->has_sa ? IKE_PLD_NONCE : IKE_PLD_SA));
		respond_error(sa, IKE_N_INVALID_SYNTAX, NULL, 0, 0);
		return;
	}
	if (m->sa.props[0].proto == IKE_PROTO_IKE)
		ike_rekey_request(sa);
	else
		child_request(sa);
}
