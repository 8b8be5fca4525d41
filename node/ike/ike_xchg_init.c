/* SPDX-License-Identifier: MIT */
/*
 * IKE_SA_INIT (RFC 7296 §1.2) in both roles: proposals, Diffie-Hellman and nonces, the keys
 * (§2.14), cookies (§2.6), INVALID_KE_PAYLOAD and the retry with the group the responder names
 * (§1.2), NAT detection (§2.23) and the float to port 4500, and simultaneous initiation of one
 * tunnel by both ends (seed 001: defer to the peer-initiated IKE SA).
 */
#define LOG_SUBSYS "ike"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

/* The first DH group of the policy's usable proposals. */
static uint16_t
first_group(const struct cfg_ike_policy *pol)
{
	for (unsigned i = 0; i < pol->nprops; i++) {
		const struct cfg_ike_proposal *cp = pol->props[i].prop;

		if (cp && ike_prop_ike_has_group(pol, cp->dh_group))
			return cp->dh_group;
	}
	return 0;
}

static bool
group_tried(const struct ike_sa *sa, uint16_t g)
{
	for (size_t i = 0; i < sa->hs->ngroups; i++)
		if (sa->hs->groups[i] == g)
			return true;
	return false;
}

/* Builds our IKE_SA_INIT request (cookie first, §2.6) and sends it; no state is reported. */
static int
init_send(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_policy *pol = sa->tun->ike_policy;
	struct ike_hs *hs = sa->hs;
	struct ike_pld_sa *offer = NULL;
	uint8_t pub[IKE_DH_MAX_PUB_LEN];
	size_t publen = ike_dh_pub_len(ike_dh_group(hs->dh));
	struct ike_hdr h;
	struct ike_mb mb;
	int rc;

	offer = calloc(1, sizeof(*offer));
	if (!offer)
		return -ENOMEM;
	ike_prop_ike_offer(pol, NULL, 0, offer);
	memset(&h, 0, sizeof(h));
	h.spi_i = sa->st.spi_i;
	h.exch = IKE_EXCH_SA_INIT;
	h.flags = IKE_FLAG_INITIATOR;
	ike_mb_init(&mb, &h);
	rc = publen <= sizeof(pub) ? ike_dh_pub(hs->dh, pub, publen) : -EINVAL;
	if (rc == 0 && hs->cookie_len)
		rc = ike_mb_notify(&mb, 0, NULL, 0, IKE_N_COOKIE, hs->cookie, hs->cookie_len);
	if (rc == 0)
		rc = ike_mb_sa(&mb, offer);
	if (rc == 0)
		rc = ike_mb_ke(&mb, ike_dh_group(hs->dh), pub, publen);
	if (rc == 0)
		rc = ike_mb_nonce(&mb, hs->ni, hs->ni_len);
	if (rc == 0)
		rc = ike_natd_add(e, &mb, sa->st.spi_i, 0, &sa->st.local, &sa->st.remote);
	if (rc == 0)
		rc = ike_mb_finish(&mb);
	free(offer);
	if (rc == 0)
		rc = secret_set(&hs->init_req, mb.b.b_data + mb.start, mb.b.b_len - mb.start);
	if (rc == 0)
		rc = secret_set(&sa->st.req_out, mb.b.b_data + mb.start, mb.b.b_len - mb.start);
	ike_mb_fini(&mb);
	if (rc)
		return rc;
	ike_sa_touch(sa); /* a retransmission timer */
	sa->req_active = true;
	sa->req_exch = IKE_EXCH_SA_INIT;
	sa->req_sends = 1;
	sa->req_commit = 0;
	sa->req_next_ms = e->now_ms + ike_retransmit_timeout(e, 1);
	sa->st.req_kind = IKE_REQ_INIT;
	sa->st.req_msgid = 0;
	ike_send_raw(e, &sa->st.local, &sa->st.remote, sa->st.req_out.s_data, sa->st.req_out.s_len,
	             0);
	return 0;
}

static int
init_new_dh(struct ike_sa *sa, uint16_t group)
{
	struct ike_dh *dh = NULL;
	int rc = ike_dh_new(group, &dh);

	if (rc)
		return rc;
	ike_dh_free(sa->hs->dh);
	sa->hs->dh = dh;
	if (!group_tried(sa, group) && sa->hs->ngroups < IKE_MAX_GROUP_RETRIES)
		sa->hs->groups[sa->hs->ngroups++] = group;
	return 0;
}

int
ike_init_start(struct ike_engine *e, const struct cfg_tunnel *t)
{
	struct ike_sa *sa;
	uint16_t group = first_group(t->ike_policy);
	int rc;

	if (!group) {
		ike_warn_rl(e, "tunnel %s: ike policy %s has no IKEv2 proposal tandem can offer",
		            t->name, t->ike_policy->name);
		ike_tun_down_backoff(e, t->name);
		return -EINVAL;
	}
	sa = ike_sa_new(e, true);
	if (!sa || ike_sa_hs_new(sa)) {
		ike_sa_free(sa);
		return -ENOMEM;
	}
	sa->tun = t;
	sa->tun_final = true;
	snprintf(sa->st.tunnel, sizeof(sa->st.tunnel), "%s", t->name);
	sa->st.spi_i = ike_spi_new(e);
	ike_sa_hash_add(sa);
	ike_ss_from_cfg(&t->local, IKE_PORT, &sa->st.local);
	ike_ss_from_cfg(&t->remote, IKE_PORT, &sa->st.remote);
	ike_id_local(t, &sa->st.id_local);
	ike_id_remote(t, &sa->st.id_remote);
	ike_sa_index(sa);
	sa->hs->ni_len = IKE_NONCE_LEN;
	ike_random(e, sa->hs->ni, sa->hs->ni_len);
	rc = init_new_dh(sa, group);
	if (rc == 0)
		rc = init_send(sa);
	if (rc) {
		ike_warn_rl(e, "tunnel %s: cannot start IKE_SA_INIT: %s", t->name, strerror(-rc));
		ike_sa_free(sa);
		ike_tun_down_backoff(e, t->name);
		return rc;
	}
	log_debug("tunnel %s: IKE_SA_INIT sent to %s", t->name,
	          ike_sa_peer(sa, (char[IKE_PEER_STR_LEN]){0}, IKE_PEER_STR_LEN));
	return 0;
}

int
ike_init_resend(struct ike_sa *sa)
{
	return init_send(sa);
}

static void
init_fail(struct ike_sa *sa, const char *why)
{
	struct ike_engine *e = sa->e;
	char tunnel[CFG_NAME_MAX];

	snprintf(tunnel, sizeof(tunnel), "%s", sa->st.tunnel);
	log_info("tunnel %s: IKE_SA_INIT failed: %s", tunnel, why);
	ike_sa_free(sa);
	ike_tun_down_backoff(e, tunnel);
}

/* Where the peer's answer is an error notify: retry or give up. */
static bool
init_notify(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	const struct ike_pld_notify *n;
	char why[256], b[32];

	n = ike_msg_notify(m, IKE_N_COOKIE);
	if (n && !m->has_sa) {
		/* §2.6: retry with the cookie as the first payload, everything else unchanged */
		if (++sa->hs->cookie_tries > IKE_MAX_COOKIE_RETRIES || cur_left(&n->data) < 1 ||
		    cur_left(&n->data) > sizeof(sa->hs->cookie)) {
			init_fail(sa, "the responder keeps asking for a cookie");
			return true;
		}
		sa->hs->cookie_len = cur_left(&n->data);
		memcpy(sa->hs->cookie, n->data.p, sa->hs->cookie_len);
		if (init_send(sa))
			init_fail(sa, "cannot resend IKE_SA_INIT");
		return true;
	}
	n = ike_msg_notify(m, IKE_N_INVALID_KE_PAYLOAD);
	if (n && !m->has_sa) {
		/* §1.2: retry with the group the responder names, if we offered it, once each */
		uint16_t g =
		        cur_left(&n->data) == 2 ? (uint16_t)(n->data.p[0] << 8 | n->data.p[1]) : 0;

		if (!g || !ike_prop_ike_has_group(sa->tun->ike_policy, g) || group_tried(sa, g)) {
			snprintf(why, sizeof(why),
			         "the responder wants DH group %s, which was tried or is not "
			         "configured",
			         ike_dh_name(g, b, sizeof(b)));
			init_fail(sa, why);
			return true;
		}
		log_info("tunnel %s: responder asks for DH group %s; retrying", sa->st.tunnel,
		         ike_dh_name(g, b, sizeof(b)));
		if (init_new_dh(sa, g) || init_send(sa))
			init_fail(sa, "cannot resend IKE_SA_INIT");
		return true;
	}
	for (size_t i = 0; i < m->nnotify; i++) {
		if (m->notify[i].type < 16384) {
			snprintf(why, sizeof(why), "the responder answered %s",
			         ike_notify_name(m->notify[i].type));
			init_fail(sa, why);
			return true;
		}
	}
	return false;
}

void
ike_init_response(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	const struct cfg_ike_policy *pol = sa->tun ? sa->tun->ike_policy : NULL;
	struct ike_hs *hs = sa->hs;
	struct ike_keys k;
	struct secret gir = {0};
	char got[512], b[32];
	int rc;

	if (!pol) {
		init_fail(sa, "tunnel no longer configured");
		return;
	}
	if (init_notify(sa))
		return;
	if (!m->has_sa || !m->has_ke || !m->has_nonce || m->hdr.spi_r == 0) {
		ike_reject(e, IKE_REJ_MISSING_PAYLOAD, e->rx_remote, IKE_EXCH_SA_INIT,
		           "MISSING_PAYLOAD:payload type %u required in this exchange",
		           (unsigned)(!m->has_sa   ? IKE_PLD_SA
		                      : !m->has_ke ? IKE_PLD_KE
		                                   : IKE_PLD_NONCE));
		init_fail(sa, "incomplete IKE_SA_INIT response");
		return;
	}
	if (!ike_prop_ike_accept(pol, &m->sa, &sa->ike) || m->ke.group != sa->ike.dh ||
	    m->ke.group != ike_dh_group(hs->dh)) {
		ike_prop_str(&m->sa, got, sizeof(got));
		ike_reject(e, IKE_REJ_NO_PROPOSAL_CHOSEN, e->rx_remote, IKE_EXCH_SA_INIT,
		           "no proposal chosen: the responder chose %s with DH %s, which we did "
		           "not offer",
		           got, ike_dh_name(m->ke.group, b, sizeof(b)));
		init_fail(sa, "the responder chose a proposal we did not offer");
		return;
	}
	hs->nr_len = cur_left(&m->nonce);
	memcpy(hs->nr, m->nonce.p, hs->nr_len);
	rc = ike_dh_shared(hs->dh, m->ke.data.p, cur_left(&m->ke.data), &gir);
	if (rc) {
		ike_reject(e, IKE_REJ_KE_LENGTH, e->rx_remote, IKE_EXCH_SA_INIT,
		           "KEY_EXCHANGE_PAYLOAD: invalid public value of %zu bytes for group %u",
		           cur_left(&m->ke.data), (unsigned)m->ke.group);
		init_fail(sa, "invalid KE from the responder");
		return;
	}
	sa->st.spi_r = m->hdr.spi_r;
	memset(&k, 0, sizeof(k));
	k.prf = sa->ike.prf;
	k.encr = sa->ike.encr;
	k.integ = sa->ike.integ;
	rc = ike_keys_derive(&k, &gir, hs->ni, hs->ni_len, hs->nr, hs->nr_len, sa->st.spi_i,
	                     sa->st.spi_r, NULL, k.prf);
	secret_clear(&gir);
	if (rc == 0)
		rc = ike_sa_keys_take(sa, &k);
	ike_keys_clear(&k);
	if (rc == 0)
		rc = secret_set(&hs->init_resp, e->rx_p, e->rx_len);
	if (rc) {
		init_fail(sa, "key derivation failed");
		return;
	}
	sa->st.dh_group = sa->ike.dh;
	ike_dh_free(hs->dh);
	hs->dh = NULL;
	/* tandem's data plane takes ESP in UDP only: a peer without NAT-T cannot reach it */
	if (!ike_natd_check(sa, m))
		ike_warn_rl(e,
		            "tunnel %s: the peer sent no NAT detection (RFC 7296 §2.23); tandem "
		            "receives ESP only in UDP, so its traffic will not arrive",
		            sa->st.tunnel);
	/* §2.23: tandem always acts as if behind a NAT, so it floats to port 4500 */
	ike_ss_set_port(&sa->st.local, IKE_NATT_PORT);
	ike_ss_set_port(&sa->st.remote, IKE_NATT_PORT);
	sa->st.msgid_next_send = 1;
	ike_sa_set_phase(sa, IKE_PHASE_INIT_DONE);
	ike_sa_request_done(sa);
	if (ike_auth_start(sa)) {
		log_warnx("tunnel %s: cannot build IKE_AUTH", sa->st.tunnel);
		ike_sa_destroy(sa, "internal error");
	}
}

/* ---- responder ------------------------------------------------------------------------------ */

static bool
policy_answers(const struct cfg_tunnel *t)
{
	const struct cfg_ike_policy *p = t->ike_policy;

	return !t->shutdown && t->kind != CFG_TUNNEL_MANUAL && p && p->version == CFG_IKEV2 &&
	       p->auth_method == CFG_AUTH_PSK && p->psk.kind == CFG_PSK_KEY &&
	       p->conn_type != CFG_CONN_INITIATOR_ONLY;
}

/*
 * Tunnels that may answer: static ones by (local, remote) address, then on-demand ones by
 * local address (seed 004 §9.3). IKE_AUTH picks among them by identity.
 */
size_t
ike_tun_candidates(struct ike_engine *e, const struct sockaddr_storage *local,
                   const struct sockaddr_storage *remote, const struct cfg_tunnel **out, size_t cap)
{
	const struct cfg_tunnel *t;
	size_t n = 0;

	for (t = TAILQ_FIRST(&e->cfg->tunnels); t; t = TAILQ_NEXT(t, entry)) {
		if (n < cap && t->kind == CFG_TUNNEL_STATIC && policy_answers(t) &&
		    ike_ss_is_cfg(local, &t->local) && ike_ss_is_cfg(remote, &t->remote))
			out[n++] = t;
	}
	for (t = TAILQ_FIRST(&e->cfg->tunnels); t; t = TAILQ_NEXT(t, entry)) {
		if (n < cap && t->kind == CFG_TUNNEL_ON_DEMAND && policy_answers(t) &&
		    ike_ss_is_cfg(local, &t->local))
			out[n++] = t;
	}
	return n;
}

/*
 * Seed 001: both ends initiated the same tunnel. We defer to the peer-initiated IKE SA: ours
 * gives way when the peer's is established (ike_xchg_auth.c). An IKE_SA_INIT of ours that has
 * no answer yet is dropped at once, unless its nonce is the higher one: two tandems that
 * collide then keep exactly one exchange (the other end drops its own) instead of both
 * dropping theirs and starting again.
 */
static void
defer_to_peer(struct ike_engine *e, const struct cfg_tunnel *t)
{
	const struct ike_msg *m = &e->rx;
	struct ike_tun *tu = ike_tun_slot(e, t->name, false);
	struct ike_sa *sa, *next;
	size_t n;

	/* only our IKE_SA_INIT requests in flight matter: most of the time there is none */
	if (t->kind != CFG_TUNNEL_STATIC || !tu || !tu->ninit_sent)
		return;
	for (sa = TAILQ_FIRST(&tu->sas); sa; sa = next) {
		next = TAILQ_NEXT(sa, tun_entry);
		if (!sa->st.initiator || sa->st.phase != IKE_PHASE_INIT_SENT)
			continue;
		n = sa->hs->ni_len < cur_left(&m->nonce) ? sa->hs->ni_len : cur_left(&m->nonce);
		if (memcmp(sa->hs->ni, m->nonce.p, n) > 0) {
			log_info("tunnel %s: the peer initiated too; ours goes on (higher nonce)",
			         t->name);
			continue;
		}
		log_info("tunnel %s: the peer initiated too; deferring to its IKE_SA_INIT",
		         t->name);
		ike_sa_free(sa);
		if (tu->t)
			tu->deferred = true;
	}
}

static void
init_answer_error(struct ike_engine *e, enum ike_reject r, uint16_t notify, const uint8_t *data,
                  size_t len)
{
	(void)r;
	ike_info_unprotected(e, notify, data, len);
}

/* Builds the response and creates the half-open SA. */
static int
init_respond(struct ike_engine *e, const struct cfg_tunnel *t, const struct ike_ike_choice *ch)
{
	const struct ike_msg *m = &e->rx;
	struct ike_pld_sa *ans = NULL;
	struct ike_sa *sa;
	struct secret gir = {0};
	struct ike_keys k;
	struct ike_hdr h;
	struct ike_mb mb;
	uint8_t pub[IKE_DH_MAX_PUB_LEN];
	size_t publen = ike_dh_pub_len(ch->dh);
	struct ike_hs *hs;
	bool natd;
	struct ike_tun *tu;
	int rc;

	sa = ike_sa_new(e, false);
	ans = calloc(1, sizeof(*ans));
	if (!sa || !ans || ike_sa_hs_new(sa)) {
		free(ans);
		ike_sa_free(sa);
		return -ENOMEM;
	}
	hs = sa->hs;
	sa->tun = t;
	snprintf(sa->st.tunnel, sizeof(sa->st.tunnel), "%s", t->name);
	sa->st.spi_i = m->hdr.spi_i;
	sa->st.spi_r = ike_spi_new(e);
	ike_sa_hash_add(sa);
	ike_sa_peer_hash_add(sa);
	sa->st.local = *e->rx_local;
	sa->st.remote = *e->rx_remote;
	ike_sa_index(sa);
	sa->ike = *ch;
	hs->ni_len = cur_left(&m->nonce);
	memcpy(hs->ni, m->nonce.p, hs->ni_len);
	hs->nr_len = IKE_NONCE_LEN;
	ike_random(e, hs->nr, hs->nr_len);
	rc = ike_dh_new(ch->dh, &hs->dh);
	if (rc == 0)
		rc = ike_dh_shared(hs->dh, m->ke.data.p, cur_left(&m->ke.data), &gir);
	if (rc) {
		ike_reject(e, IKE_REJ_KE_LENGTH, e->rx_remote, IKE_EXCH_SA_INIT,
		           "KEY_EXCHANGE_PAYLOAD: invalid public value of %zu bytes for group %u",
		           cur_left(&m->ke.data), (unsigned)m->ke.group);
		free(ans);
		ike_sa_free(sa);
		return -EBADMSG;
	}
	memset(&k, 0, sizeof(k));
	k.prf = ch->prf;
	k.encr = ch->encr;
	k.integ = ch->integ;
	rc = ike_keys_derive(&k, &gir, hs->ni, hs->ni_len, hs->nr, hs->nr_len, sa->st.spi_i,
	                     sa->st.spi_r, NULL, k.prf);
	secret_clear(&gir);
	if (rc == 0)
		rc = ike_sa_keys_take(sa, &k);
	ike_keys_clear(&k);
	if (rc == 0)
		rc = secret_set(&hs->init_req, e->rx_p, e->rx_len);
	natd = ike_natd_check(sa, m);
	if (!natd)
		ike_warn_rl(
		        e,
		        "tunnel %s: the initiator sent no NAT detection (RFC 7296 §2.23); tandem "
		        "receives ESP only in UDP, so its traffic will not arrive",
		        t->name);
	memset(&h, 0, sizeof(h));
	h.spi_i = sa->st.spi_i;
	h.spi_r = sa->st.spi_r;
	h.exch = IKE_EXCH_SA_INIT;
	h.flags = IKE_FLAG_RESPONSE;
	ike_mb_init(&mb, &h);
	ike_prop_ike_answer(ch, NULL, 0, ans);
	if (rc == 0)
		rc = publen <= sizeof(pub) ? ike_dh_pub(hs->dh, pub, publen) : -EINVAL;
	if (rc == 0)
		rc = ike_mb_sa(&mb, ans);
	if (rc == 0)
		rc = ike_mb_ke(&mb, ch->dh, pub, publen);
	if (rc == 0)
		rc = ike_mb_nonce(&mb, hs->nr, hs->nr_len);
	/* §2.23: NAT detection only when the initiator asked for it */
	if (rc == 0 && natd)
		rc = ike_natd_add(e, &mb, sa->st.spi_i, sa->st.spi_r, &sa->st.local,
		                  &sa->st.remote);
	if (rc == 0)
		rc = ike_mb_finish(&mb);
	if (rc == 0)
		rc = secret_set(&hs->init_resp, mb.b.b_data + mb.start, mb.b.b_len - mb.start);
	if (rc == 0)
		rc = secret_set(&sa->st.resp_last, mb.b.b_data + mb.start, mb.b.b_len - mb.start);
	ike_mb_fini(&mb);
	free(ans);
	ike_dh_free(hs->dh);
	hs->dh = NULL;
	if (rc) {
		ike_sa_free(sa);
		return rc;
	}
	sa->st.dh_group = ch->dh;
	sa->st.msgid_next_recv = 1;
	ike_sa_set_phase(sa, IKE_PHASE_INIT_DONE);
	sa->counted_half_open = true;
	e->half_open++;
	e->stats.half_open = e->half_open;
	tu = ike_tun_find(e, t->name);
	sa->half_open_until_ms =
	        e->now_ms + (tu && tu->deferred ? IKE_DEFER_WAIT_MS : IKE_HALF_OPEN_MS);
	e->stats.exch_done[0]++;
	sa->resp_commit = ike_sa_report(sa, IKE_CH_CREATED);
	ike_send_raw(e, &sa->st.local, &sa->st.remote, sa->st.resp_last.s_data,
	             sa->st.resp_last.s_len, sa->resp_commit);
	return 0;
}

void
ike_init_request(struct ike_engine *e)
{
	const struct ike_msg *m = &e->rx;
	const struct cfg_tunnel *cand[IKE_MAX_CANDIDATES], *t = NULL;
	struct ike_ike_choice ch;
	struct ike_sa *sa;
	char got[512], want[512], ls[IKE_PEER_STR_LEN];
	size_t n;
	uint8_t g[2];

	if (m->hdr.spi_r != 0 || m->hdr.msgid != 0) {
		ike_reject(e, IKE_REJ_UNKNOWN_SPI, e->rx_remote, IKE_EXCH_SA_INIT,
		           "IKE_SA_INIT request with responder SPI %016llx and Message ID %u",
		           (unsigned long long)m->hdr.spi_r, m->hdr.msgid);
		return;
	}
	/* §2.1: a retransmission of the request we answered gets the same answer */
	sa = ike_sa_find_half_open(e, m->hdr.spi_i, e->rx_remote);
	if (sa) {
		if (sa->st.phase == IKE_PHASE_INIT_DONE && sa->st.msgid_next_recv == 1 &&
		    sa->st.resp_last.s_len) {
			e->stats.retransmitted_responses++;
			ike_send_raw(e, &sa->st.local, &sa->st.remote, sa->st.resp_last.s_data,
			             sa->st.resp_last.s_len, sa->resp_commit);
		}
		return;
	}
	if (!m->has_sa || !m->has_ke || !m->has_nonce) {
		ike_reject(e, IKE_REJ_MISSING_PAYLOAD, e->rx_remote, IKE_EXCH_SA_INIT,
		           "MISSING_PAYLOAD:payload type %u required in this exchange",
		           (unsigned)(!m->has_sa   ? IKE_PLD_SA
		                      : !m->has_ke ? IKE_PLD_KE
		                                   : IKE_PLD_NONCE));
		return;
	}
	n = ike_tun_candidates(e, e->rx_local, e->rx_remote, cand, IKE_MAX_CANDIDATES);
	if (!n) {
		ike_ss_str(e->rx_local, ls, sizeof(ls));
		ike_reject(e, IKE_REJ_NO_TUNNEL, e->rx_remote, IKE_EXCH_SA_INIT,
		           "no tunnel answers this peer on %s (static: peer-end-point local and "
		           "remote; on-demand: local; not initiator-only)",
		           ls);
		init_answer_error(e, IKE_REJ_NO_TUNNEL, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (e->half_open >= e->o.half_open_cookie_threshold * 16 + 1024) {
		ike_reject(e, IKE_REJ_HALF_OPEN_LIMIT, e->rx_remote, IKE_EXCH_SA_INIT,
		           "IKE_SA_INIT dropped: %u half-open IKE SAs, limit %u", e->half_open,
		           e->o.half_open_cookie_threshold * 16 + 1024);
		return;
	}
	/* §2.6: above the threshold, state only for initiators that return our cookie */
	if (ike_cookie_required(e) && !ike_cookie_valid(e, m, e->rx_remote)) {
		uint8_t cookie[IKE_COOKIE_LEN];

		if (ike_msg_notify(m, IKE_N_COOKIE))
			ike_reject(e, IKE_REJ_COOKIE_INVALID, e->rx_remote, IKE_EXCH_SA_INIT,
			           "IKE_SA_INIT with an invalid COOKIE");
		else
			ike_reject(e, IKE_REJ_COOKIE_REQUIRED, e->rx_remote, IKE_EXCH_SA_INIT,
			           "IKE_SA_INIT without COOKIE: %u half-open IKE SAs, threshold %u",
			           e->half_open, e->o.half_open_cookie_threshold);
		if (ike_cookie_for(e, m, e->rx_remote, cookie) == 0) {
			e->stats.cookies_sent++;
			ike_info_unprotected(e, IKE_N_COOKIE, cookie, sizeof(cookie));
		}
		return;
	}
	for (size_t i = 0; i < n && !t; i++)
		if (ike_prop_ike_select(cand[i]->ike_policy, &m->sa, &ch) == IKE_PROP_OK)
			t = cand[i];
	if (!t) {
		ike_prop_str(&m->sa, got, sizeof(got));
		ike_prop_ike_cfg_str(cand[0]->ike_policy, want, sizeof(want));
		ike_reject(e, IKE_REJ_NO_PROPOSAL_CHOSEN, e->rx_remote, IKE_EXCH_SA_INIT,
		           "no proposal chosen: received %s, configured %s", got, want);
		init_answer_error(e, IKE_REJ_NO_PROPOSAL_CHOSEN, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	/* §1.2: the KE must be of the chosen group; name the one we want */
	if (m->ke.group != ch.dh) {
		char b1[32], b2[32];

		ike_reject(e, IKE_REJ_INVALID_KE, e->rx_remote, IKE_EXCH_SA_INIT,
		           "INVALID_KE_PAYLOAD: received KE of group %s, chosen proposal uses %s",
		           ike_dh_name(m->ke.group, b1, sizeof(b1)),
		           ike_dh_name(ch.dh, b2, sizeof(b2)));
		g[0] = (uint8_t)(ch.dh >> 8);
		g[1] = (uint8_t)ch.dh;
		init_answer_error(e, IKE_REJ_INVALID_KE, IKE_N_INVALID_KE_PAYLOAD, g, sizeof(g));
		return;
	}
	defer_to_peer(e, t);
	if (init_respond(e, t, &ch))
		log_debug("IKE_SA_INIT from a peer not answered");
}
