/* SPDX-License-Identifier: MIT */
/*
 * INFORMATIONAL (RFC 7296 §1.4) in both roles: deletes of IKE and Child SAs (§1.4.1; a Delete
 * of Child SAs is answered with ours for the paired SPIs), liveness checks (§2.4, DPD: an
 * empty request), error notifies (INVALID_SPI, AUTHENTICATION_FAILED, INVALID_SYNTAX) and the
 * RFC 6311 synchronisation a node sends after it took over an IKE SA (§5: message ID 0, a
 * nonce, the expected send and receive message IDs, and the replay counter delta).
 */
#define LOG_SUBSYS "ike"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

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

void
ike_sa_close(struct ike_sa *sa, const char *reason)
{
	if (sa->st.phase == IKE_PHASE_STANDBY || sa->st.phase == IKE_PHASE_DELETING ||
	    ike_task_pending(sa, IKE_TASK_IKE_DELETE, 0))
		return;
	if (sa->st.phase < IKE_PHASE_ESTABLISHED) {
		ike_sa_destroy(sa, reason);
		return;
	}
	log_info("tunnel %s: deleting IKE SA %016llx_i %016llx_r: %s", ike_sa_tunnel_name(sa),
	         (unsigned long long)sa->st.spi_i, (unsigned long long)sa->st.spi_r, reason);
	sa->ntasks = 0; /* nothing else is worth doing on it */
	ike_task_add(sa, IKE_TASK_IKE_DELETE, 0, 0);
	ike_task_run(sa);
}

void
ike_info_error_response(struct ike_sa *sa, uint16_t notify, const uint8_t *data, size_t len)
{
	struct ike_engine *e = sa->e;
	struct ike_mb mb;

	ike_mb_init_chain(&mb);
	if (ike_mb_notify(&mb, 0, NULL, 0, notify, data, len) == 0)
		(void)ike_sa_respond(sa, e->rx.hdr.exch, e->rx.hdr.msgid, &mb, IKE_CH_MSGID);
	ike_mb_fini(&mb);
}

/* ---- requests we send --------------------------------------------------------------------- */

static int
start_child_delete(struct ike_sa *sa, const struct ike_task *t)
{
	struct ike_child_state *c = NULL;
	struct ike_mb mb;
	uint8_t spi[4];
	size_t idx = 0;
	int rc;

	if (t->child_id) {
		c = ike_child_find(sa, t->child_id, &idx);
		if (!c || sa->cx[idx]->deleting)
			return -ENOENT;
		put32(spi, c->spi_in);
	} else if (t->spi) {
		put32(spi, t->spi); /* a Child SA we only know by SPI (after a takeover) */
	} else {
		return -ENOENT;
	}
	ike_mb_init_chain(&mb);
	/* §3.11: the SPI the peer sends with, ours inbound */
	rc = ike_mb_delete(&mb, IKE_PROTO_ESP, 4, spi, 1);
	if (rc == 0) {
		if (c)
			sa->cx[idx]->deleting = true;
		sa->st.req_child_id = t->child_id;
		sa->st.req_spi = t->child_id ? 0 : t->spi;
		rc = ike_sa_request(sa, IKE_EXCH_INFORMATIONAL, IKE_REQ_CHILD_DELETE, &mb,
		                    IKE_CH_MSGID);
		if (rc && c) {
			sa->cx[idx]->deleting = false;
			ike_sa_index(sa);
		}
	}
	ike_mb_fini(&mb);
	if (c && rc == 0)
		ike_tun_update(sa->e, sa->st.tunnel, "Child SA deleted");
	return rc;
}

/* RFC 6311 §5.1: message ID 0, a nonce, our next send and expected receive IDs. */
static int
start_mid_sync(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	uint8_t d[12], r[4];
	struct ike_mb mb;
	int rc;

	ike_random(e, sa->sync_nonce, sizeof(sa->sync_nonce));
	memcpy(d, sa->sync_nonce, 4);
	put32(d + 4, sa->st.msgid_next_send);
	put32(d + 8, sa->st.msgid_next_recv);
	ike_mb_init_chain(&mb);
	rc = ike_mb_notify(&mb, 0, NULL, 0, IKE_N_IKEV2_MESSAGE_ID_SYNC, d, sizeof(d));
	/*
	 * §5.2: ask the peer to move its outgoing ESP sequence numbers past what our new
	 * inbound windows start at (the replicated highest plus one report step).
	 */
	if (rc == 0 && sa->st.peer_replay_sync) {
		put32(r, e->report_every);
		rc = ike_mb_notify(&mb, 0, NULL, 0, IKE_N_IPSEC_REPLAY_COUNTER_SYNC, r, sizeof(r));
	}
	if (rc == 0)
		rc = ike_sa_request(sa, IKE_EXCH_INFORMATIONAL, IKE_REQ_MID_SYNC, &mb,
		                    IKE_CH_MSGID);
	ike_mb_fini(&mb);
	return rc;
}

int
ike_info_start(struct ike_sa *sa, const struct ike_task *t)
{
	struct ike_mb mb;
	uint8_t spi[4];
	int rc = 0;

	switch (t->kind) {
	case IKE_TASK_IKE_DELETE:
		if (sa->st.phase < IKE_PHASE_ESTABLISHED)
			return -EAGAIN;
		ike_mb_init_chain(&mb);
		rc = ike_mb_delete(&mb, IKE_PROTO_IKE, 0, NULL, 0);
		ike_sa_set_phase(sa, IKE_PHASE_DELETING);
		if (rc == 0)
			rc = ike_sa_request(sa, IKE_EXCH_INFORMATIONAL, IKE_REQ_IKE_DELETE, &mb,
			                    IKE_CH_MSGID);
		ike_mb_fini(&mb);
		return rc;
	case IKE_TASK_CHILD_DELETE:
		if (sa->st.phase != IKE_PHASE_ESTABLISHED && sa->st.phase != IKE_PHASE_REKEYING)
			return -EAGAIN;
		return start_child_delete(sa, t);
	case IKE_TASK_DPD:
		if (sa->st.phase != IKE_PHASE_ESTABLISHED)
			return -EAGAIN;
		ike_mb_init_chain(&mb);
		rc = ike_sa_request(sa, IKE_EXCH_INFORMATIONAL, IKE_REQ_DPD, &mb, IKE_CH_MSGID);
		ike_mb_fini(&mb);
		return rc;
	case IKE_TASK_MID_SYNC:
		if (sa->st.phase != IKE_PHASE_ESTABLISHED)
			return -EAGAIN;
		return start_mid_sync(sa);
	case IKE_TASK_INVALID_SPI:
		if (sa->st.phase != IKE_PHASE_ESTABLISHED)
			return -EAGAIN;
		put32(spi, t->spi);
		ike_mb_init_chain(&mb);
		rc = ike_mb_notify(&mb, IKE_PROTO_ESP, spi, 4, IKE_N_INVALID_SPI, NULL, 0);
		if (rc == 0)
			rc = ike_sa_request(sa, IKE_EXCH_INFORMATIONAL, IKE_REQ_NOTIFY, &mb,
			                    IKE_CH_MSGID);
		ike_mb_fini(&mb);
		return rc;
	default:
		return -EINVAL;
	}
}

/* ---- requests of the peer ------------------------------------------------------------------ */

/* §1.4.1: the peer deletes this IKE SA (and so its Child SAs). */
static void
peer_deletes_ike(struct ike_sa *sa, uint32_t msgid)
{
	struct ike_engine *e = sa->e;
	char tunnel[CFG_NAME_MAX];
	struct ike_mb mb;
	bool had_children;

	ike_rekey_conclude(sa);
	had_children = ike_sa_live_children(sa) > 0;
	snprintf(tunnel, sizeof(tunnel), "%s", sa->st.tunnel);
	if (!sa->rekeyed)
		log_info("tunnel %s: the peer deleted IKE SA %016llx_i %016llx_r",
		         ike_sa_tunnel_name(sa), (unsigned long long)sa->st.spi_i,
		         (unsigned long long)sa->st.spi_r);
	while (sa->st.nchildren)
		ike_child_remove(sa, sa->st.nchildren - 1);
	ike_sa_set_phase(sa, IKE_PHASE_DELETING);
	ike_mb_init_chain(&mb);
	/* the state change (gone) before the answer that goes with it */
	if (ike_sa_respond_prepare(sa, IKE_EXCH_INFORMATIONAL, msgid, &mb, IKE_CH_DELETED) == 0)
		ike_sa_respond_send(sa);
	ike_mb_fini(&mb);
	e->stats.exch_done[3]++;
	sa->created_reported = false; /* DELETED is out */
	if (sa->st.established_ms)
		e->stats.ike_sa_deleted++;
	ike_sa_free(sa);
	if (had_children)
		ike_tun_update(e, tunnel, "deleted by the peer");
}

/* Puts back the work of a request of ours the synchronisation made void. */
static void
sync_abandon(struct ike_sa *sa)
{
	size_t idx;

	if (!sa->req_active)
		return;
	switch (sa->st.req_kind) {
	case IKE_REQ_CHILD_DELETE:
		if (sa->st.req_child_id && ike_child_find(sa, sa->st.req_child_id, &idx)) {
			sa->cx[idx]->deleting = false;
			ike_sa_index(sa);
			ike_task_add(sa, IKE_TASK_CHILD_DELETE, sa->st.req_child_id, 0);
		}
		break;
	case IKE_REQ_CHILD_REKEY:
		if (ike_child_find(sa, sa->st.req_child_id, &idx))
			sa->cx[idx]->rekeying = false;
		break;
	case IKE_REQ_IKE_REKEY:
		ike_sa_set_phase(sa, IKE_PHASE_ESTABLISHED);
		break;
	default:
		break;
	}
	ike_sa_request_done(sa);
	ike_ccs_clear(sa);
}

/*
 * RFC 6311 §5.1, the peer's side (what strongSwan does too): the other end's cluster moved
 * the IKE SA to another node and tells us which message IDs it continues with. M1 below what
 * we expect is dropped; otherwise both counters move up and we answer with ours, ID 0.
 */
static bool
sync_request(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	const struct ike_pld_notify *n = ike_msg_notify(m, IKE_N_IKEV2_MESSAGE_ID_SYNC);
	uint32_t m1, p1, m2, p2;
	uint8_t d[12];
	struct ike_mb mb;
	struct buf b;

	for (size_t i = 0; i < m->npld; i++)
		if (m->pld[i].type != IKE_PLD_SK && m->pld[i].type != IKE_PLD_NOTIFY)
			n = NULL;
	for (size_t i = 0; i < m->nnotify; i++)
		if (m->notify[i].type != IKE_N_IKEV2_MESSAGE_ID_SYNC &&
		    m->notify[i].type != IKE_N_IPSEC_REPLAY_COUNTER_SYNC)
			n = NULL;
	if (!n || cur_left(&n->data) != 12) {
		if (m->hdr.msgid == sa->st.msgid_next_recv)
			return false; /* an ordinary INFORMATIONAL with ID 0 */
		ike_reject(e, IKE_REJ_MSGID_OLD, e->rx_remote, m->hdr.exch,
		           "IKEV2 HEADER:Old Message ID %u, expected %u", m->hdr.msgid,
		           sa->st.msgid_next_recv);
		return true;
	}
	m1 = get32(n->data.p + 4);
	p1 = get32(n->data.p + 8);
	if (m1 < sa->st.msgid_next_recv) {
		ike_warn_rl(e,
		            "tunnel %s: RFC 6311 synchronisation with request ID %u below the %u "
		            "expected; ignored",
		            sa->st.tunnel, m1, sa->st.msgid_next_recv);
		return true;
	}
	sync_abandon(sa);
	m2 = m1 > sa->st.msgid_next_recv ? m1 : sa->st.msgid_next_recv;
	p2 = p1 > sa->st.msgid_next_send ? p1 : sa->st.msgid_next_send;
	sa->st.msgid_next_recv = m2;
	sa->st.msgid_next_send = p2;
	memcpy(d, n->data.p, 4);
	put32(d + 4, p2);
	put32(d + 8, m2);
	ike_mb_init_chain(&mb);
	if (ike_mb_notify(&mb, 0, NULL, 0, IKE_N_IKEV2_MESSAGE_ID_SYNC, d, sizeof(d)) == 0 &&
	    ike_sa_seal(sa, IKE_EXCH_INFORMATIONAL, true, 0, &mb, &b) == 0) {
		/* not cached: a repeated synchronisation is answered anew */
		ike_send_raw(e, &sa->st.local, &sa->st.remote, b.b_data, b.b_len,
		             ike_sa_report(sa, IKE_CH_MSGID));
		buf_fini(&b);
	}
	ike_mb_fini(&mb);
	log_info("tunnel %s: the peer's cluster synchronised message IDs (RFC 6311): next "
	         "request %u, next expected %u",
	         sa->st.tunnel, p2, m2);
	return true;
}

void
ike_info_request(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	uint32_t msgid = m->hdr.msgid;
	uint8_t spis[4 * IKE_STATE_MAX_CHILDREN];
	uint16_t nspi = 0;
	bool removed = false, auth_failed = false;
	struct ike_mb mb;

	if (e->rx_sync && sync_request(sa))
		return;

	for (size_t i = 0; i < m->ndelete; i++) {
		if (m->del[i].proto == IKE_PROTO_IKE) {
			peer_deletes_ike(sa, msgid);
			return;
		}
	}
	for (size_t i = 0; i < m->ndelete; i++) {
		const struct ike_pld_delete *d = &m->del[i];

		if (d->proto != IKE_PROTO_ESP || d->spi_len != 4)
			continue;
		for (size_t j = 0; j < d->nspi; j++) {
			uint32_t spi = get32(d->spis.p + (size_t)4 * j);
			struct ike_child_state *c;
			size_t idx;

			/* the peer names the SPI it receives with: our outbound one */
			c = ike_child_by_spi_out(sa, spi, &idx);
			if (!c)
				continue;
			if (nspi < IKE_STATE_MAX_CHILDREN)
				put32(spis + (size_t)4 * nspi++, c->spi_in);
			if (!c->rekeyed && !sa->cx[idx]->redundant)
				log_info("tunnel %s: the peer deleted Child SA %08x/%08x",
				         sa->st.tunnel, (unsigned)c->spi_in, (unsigned)c->spi_out);
			/* not at once again: a peer that deletes may mean it (back-off) */
			if (!c->rekeyed && !sa->cx[idx]->redundant) {
				size_t s = ike_seq_slot(sa, c->seq_index);
				uint32_t b =
				        sa->child_backoff_ms[s] ? sa->child_backoff_ms[s] : 1000;

				sa->child_retry_ms[s] = e->now_ms + b;
				sa->child_backoff_ms[s] = b * 2 > e->o.initiate_backoff_max_ms
				                                  ? e->o.initiate_backoff_max_ms
				                                  : b * 2;
			}
			ike_child_remove(sa, idx);
			removed = true;
		}
	}
	for (size_t i = 0; i < m->nnotify; i++) {
		const struct ike_pld_notify *n = &m->notify[i];

		if (n->type == IKE_N_AUTHENTICATION_FAILED) {
			auth_failed = true;
		} else if (n->type == IKE_N_INVALID_SPI && cur_left(&n->spi) == 4) {
			ike_warn_rl(e,
			            "tunnel %s: the peer received ESP with SPI %08x, which it "
			            "does not know",
			            sa->st.tunnel, (unsigned)get32(n->spi.p));
		} else if (n->type < 16384) {
			ike_warn_rl(e, "tunnel %s: the peer reports %s", sa->st.tunnel,
			            ike_notify_name(n->type));
		}
	}
	ike_mb_init_chain(&mb);
	if (nspi)
		(void)ike_mb_delete(&mb, IKE_PROTO_ESP, 4, spis, nspi);
	(void)ike_sa_respond(sa, IKE_EXCH_INFORMATIONAL, msgid, &mb,
	                     removed ? IKE_CH_CHILD_DELETED : IKE_CH_MSGID);
	ike_mb_fini(&mb);
	e->stats.exch_done[3]++;
	if (removed)
		ike_tun_update(e, sa->st.tunnel, "Child SA deleted by the peer");
	if (auth_failed) {
		log_warnx("tunnel %s: the peer rejected our authentication (AUTHENTICATION_FAILED)",
		          sa->st.tunnel);
		ike_sa_destroy(sa, "the peer rejected our authentication");
	}
}

/* ---- answers to our requests -------------------------------------------------------------- */

static void
mid_sync_done(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_pld_notify *n = ike_msg_notify(&e->rx, IKE_N_IKEV2_MESSAGE_ID_SYNC);
	uint32_t peer_send, peer_recv;

	if (!n || cur_left(&n->data) != 12 || memcmp(n->data.p, sa->sync_nonce, 4) != 0) {
		ike_warn_rl(e,
		            "tunnel %s: RFC 6311 synchronisation answered without our nonce; "
		            "keeping the replicated message IDs",
		            sa->st.tunnel);
		return;
	}
	/* §5.1: the peer's answer carries its next request ID and the one it expects from us */
	peer_send = get32(n->data.p + 4);
	peer_recv = get32(n->data.p + 8);
	if (peer_recv > sa->st.msgid_next_send)
		sa->st.msgid_next_send = peer_recv;
	if (peer_send > sa->st.msgid_next_recv)
		sa->st.msgid_next_recv = peer_send;
	log_info("tunnel %s: message IDs synchronised with the peer (RFC 6311): next request %u, "
	         "next expected %u",
	         sa->st.tunnel, sa->st.msgid_next_send, sa->st.msgid_next_recv);
}

void
ike_info_response(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	enum ike_req_kind kind = sa->st.req_kind;
	enum ike_change what = IKE_CH_MSGID;
	uint64_t child_id = sa->st.req_child_id;
	size_t idx;

	e->stats.exch_done[3]++;
	switch (kind) {
	case IKE_REQ_IKE_DELETE:
		ike_sa_request_done(sa);
		ike_sa_destroy(sa, sa->rekeyed ? "rekeyed" : "deleted");
		return;
	case IKE_REQ_CHILD_DELETE:
		if (child_id && ike_child_find(sa, child_id, &idx)) {
			ike_child_remove(sa, idx);
			what = IKE_CH_CHILD_DELETED;
		}
		break;
	case IKE_REQ_MID_SYNC:
		mid_sync_done(sa);
		break;
	default:
		break;
	}
	ike_sa_request_done(sa);
	(void)ike_sa_report(sa, what);
	if (what == IKE_CH_CHILD_DELETED)
		ike_tun_update(e, sa->st.tunnel, "Child SA deleted");
}
