/* SPDX-License-Identifier: MIT */
/*
 * IKE_AUTH (RFC 7296 §1.2, §2.15) in both roles: identities (IPv4, IPv6, FQDN, USER_FQDN,
 * KEY_ID; seed 004 §9.3 exact > partial > wildcard for on-demand tunnels), the responder's
 * choice of tunnel by identity, authentication through a method table (pre-shared keys now;
 * signatures plug in as further rows), RFC 6311 capability notifies, and the first Child SA.
 */
#define LOG_SUBSYS "ike"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

/* ---- identities -------------------------------------------------------------------------- */

static uint8_t
id_type_of(enum cfg_id_type t)
{
	switch (t) {
	case CFG_ID_IPV4:
		return IKE_ID_IPV4_ADDR;
	case CFG_ID_IPV6:
		return IKE_ID_IPV6_ADDR;
	case CFG_ID_FQDN:
		return IKE_ID_FQDN;
	case CFG_ID_USER_FQDN:
		return IKE_ID_RFC822_ADDR;
	case CFG_ID_KEY_ID:
		return IKE_ID_KEY_ID;
	default:
		return 0;
	}
}

static enum cfg_id_type
cfg_type_of(uint8_t t)
{
	switch (t) {
	case IKE_ID_IPV4_ADDR:
		return CFG_ID_IPV4;
	case IKE_ID_IPV6_ADDR:
		return CFG_ID_IPV6;
	case IKE_ID_FQDN:
		return CFG_ID_FQDN;
	case IKE_ID_RFC822_ADDR:
		return CFG_ID_USER_FQDN;
	case IKE_ID_KEY_ID:
		return CFG_ID_KEY_ID;
	default:
		return CFG_ID_NONE;
	}
}

void
ike_id_local(const struct cfg_tunnel *t, struct cfg_id *out)
{
	memset(out, 0, sizeof(*out));
	if (t->ike_policy && t->ike_policy->id_local.type != CFG_ID_NONE) {
		*out = t->ike_policy->id_local;
		return;
	}
	/* seed 004 §6.4: the local endpoint's address by default */
	out->type = t->local.family == AF_INET6 ? CFG_ID_IPV6 : CFG_ID_IPV4;
	out->len = t->local.family == AF_INET6 ? 16 : 4;
	memcpy(out->data, t->local.addr, out->len);
}

void
ike_id_remote(const struct cfg_tunnel *t, struct cfg_id *out)
{
	memset(out, 0, sizeof(*out));
	if (t->kind == CFG_TUNNEL_STATIC && t->remote_id.type != CFG_ID_NONE)
		*out = t->remote_id;
	else if (t->ike_policy)
		*out = t->ike_policy->id_remote;
}

static bool
same_text(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return false;
	return true;
}

/* "*.example.com" against "a.example.com": each '*' label stands for exactly one label. */
static bool
fqdn_wild(const uint8_t *pat, size_t plen, const uint8_t *s, size_t slen)
{
	size_t i = 0, j = 0;

	while (i < plen && j < slen) {
		size_t pe = i, se = j;

		while (pe < plen && pat[pe] != '.')
			pe++;
		while (se < slen && s[se] != '.')
			se++;
		if (!(pe - i == 1 && pat[i] == '*') &&
		    (pe - i != se - j || !same_text(pat + i, s + j, pe - i)))
			return false;
		if (se == j)
			return false; /* empty label */
		i = pe + (pe < plen);
		j = se + (se < slen);
		if ((pe == plen) != (se == slen))
			return false;
	}
	return i >= plen && j >= slen;
}

int
ike_id_match(const struct cfg_id *want, uint8_t type, const uint8_t *data, size_t len)
{
	enum cfg_id_type t = cfg_type_of(type);

	if (want->type == CFG_ID_NONE)
		return 1;
	if (t != want->type || t == CFG_ID_NONE)
		return 0;
	if (want->wildcard) {
		if (t == CFG_ID_IPV4 || t == CFG_ID_IPV6)
			return len == (t == CFG_ID_IPV4 ? 4u : 16u) ? 1 : 0;
		return t == CFG_ID_FQDN && fqdn_wild(want->data, want->len, data, len) ? 2 : 0;
	}
	if (len != want->len)
		return 0;
	if (t == CFG_ID_FQDN || t == CFG_ID_USER_FQDN)
		return same_text(want->data, data, len) ? 3 : 0;
	return memcmp(want->data, data, len) == 0 ? 3 : 0;
}

void
ike_id_text(uint8_t type, const uint8_t *data, size_t len, char *out, size_t cap)
{
	struct cfg_id id;

	memset(&id, 0, sizeof(id));
	id.type = cfg_type_of(type);
	id.len = (uint16_t)(len < sizeof(id.data) ? len : sizeof(id.data));
	memcpy(id.data, data, id.len);
	if (id.type == CFG_ID_NONE ||
	    ((id.type == CFG_ID_IPV4 && len != 4) || (id.type == CFG_ID_IPV6 && len != 16))) {
		snprintf(out, cap, "%s (%zu bytes)", ike_id_type_name(type), len);
		return;
	}
	for (size_t i = 0; (id.type == CFG_ID_FQDN || id.type == CFG_ID_USER_FQDN) && i < id.len;
	     i++)
		if (id.data[i] < 0x20 || id.data[i] > 0x7e)
			id.data[i] = '?'; /* peer text into a log line */
	cfg_id_str(&id, out, cap);
}

static void
id_from_msg(const struct ike_pld_id *p, struct cfg_id *out)
{
	memset(out, 0, sizeof(*out));
	out->type = cfg_type_of(p->type);
	out->len = (uint16_t)(cur_left(&p->data) < sizeof(out->data) ? cur_left(&p->data)
	                                                             : sizeof(out->data));
	memcpy(out->data, p->data.p, out->len);
}

/* The ID payload body (§3.5: type, three reserved octets, data): what AUTH signs. */
static size_t
id_body(const struct cfg_id *id, uint8_t *out)
{
	out[0] = id_type_of(id->type);
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	return 4 + (size_t)id->len;
}

/* ---- authentication methods (§2.15; RFC 7427 signatures would be further rows) ---------- */

/* What one side signs: its first message, the other side's nonce, prf(SK_p, ID'). */
struct ike_signed {
	const struct secret *msg;
	const uint8_t *nonce;
	size_t nonce_len;
	const struct secret *sk_p;
	const uint8_t *id_body;
	size_t id_len;
};

struct ike_auth_ops {
	enum cfg_auth_method cfg;
	uint8_t method; /* AUTH payload Auth Method (§3.8) */
	const char *name;
	int (*sign)(const struct ike_sa *sa, const struct cfg_tunnel *t,
	            const struct ike_signed *so, uint8_t *out, size_t *len);
	/* 0 verified, -EBADMSG not */
	int (*verify)(const struct ike_sa *sa, const struct cfg_tunnel *t,
	              const struct ike_signed *so, const uint8_t *auth, size_t len);
};

static int
psk_sign(const struct ike_sa *sa, const struct cfg_tunnel *t, const struct ike_signed *so,
         uint8_t *out, size_t *len)
{
	int rc = ike_auth_psk(sa->st.prf, &t->ike_policy->psk.key, so->msg->s_data, so->msg->s_len,
	                      so->nonce, so->nonce_len, so->sk_p, so->id_body, so->id_len, out);

	*len = rc ? 0 : ike_prf_len(sa->st.prf);
	return rc;
}

static int
psk_verify(const struct ike_sa *sa, const struct cfg_tunnel *t, const struct ike_signed *so,
           const uint8_t *auth, size_t len)
{
	uint8_t want[IKE_AUTH_MAX_LEN];
	size_t wlen;
	uint8_t d = 0;

	if (psk_sign(sa, t, so, want, &wlen) || wlen != len)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++)
		d |= (uint8_t)(want[i] ^ auth[i]);
	explicit_bzero(want, sizeof(want));
	return d ? -EBADMSG : 0;
}

static const struct ike_auth_ops auth_ops[] = {
        {CFG_AUTH_PSK, IKE_AUTH_PSK, "pre-shared key", psk_sign, psk_verify},
};

static const struct ike_auth_ops *
auth_ops_for(enum cfg_auth_method m)
{
	for (size_t i = 0; i < sizeof(auth_ops) / sizeof(auth_ops[0]); i++)
		if (auth_ops[i].cfg == m)
			return &auth_ops[i];
	return NULL;
}

/* ---- initiator ---------------------------------------------------------------------------- */

/* Another IKE SA of sa's tunnel is established. */
static bool
tunnel_has_other_sa(const struct ike_sa *sa)
{
	uint32_t n = sa->tu ? sa->tu->nest : 0;

	if (n && (sa->cnt & IKE_CNT_EST))
		n--;
	return n > 0;
}

static int
add_child_offer(struct ike_sa *sa, struct ike_mb *mb, const struct cfg_tunnel_seq *seq,
                uint32_t spi)
{
	struct ike_pld_sa *offer = calloc(1, sizeof(*offer));
	struct ike_ts ts[IKE_MAX_TS];
	uint8_t n;
	int rc;

	if (!offer)
		return -ENOMEM;
	ike_ts_config(seq, &sa->ccs->ts_local, &sa->ccs->ts_remote);
	if (!ike_prop_esp_offer(seq->policy, spi, false, offer)) {
		free(offer);
		return -ENOENT;
	}
	rc = ike_mb_sa(mb, offer);
	free(offer);
	ike_ts_to_pld(&sa->ccs->ts_local, ts, &n);
	if (rc == 0)
		rc = ike_mb_ts(mb, IKE_PLD_TSI, ts, n);
	ike_ts_to_pld(&sa->ccs->ts_remote, ts, &n);
	if (rc == 0)
		rc = ike_mb_ts(mb, IKE_PLD_TSR, ts, n);
	return rc;
}

int
ike_auth_start(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct cfg_tunnel *t = sa->tun;
	const struct ike_auth_ops *ops = auth_ops_for(t->ike_policy->auth_method);
	const struct cfg_tunnel_seq *seqs;
	uint8_t body[4 + CFG_ID_MAX], auth[IKE_AUTH_MAX_LEN];
	size_t blen, alen;
	struct ike_signed so;
	struct ike_mb mb;
	unsigned nseq;
	uint32_t spi;
	int rc;

	if (!ops)
		return -ENOTSUP;
	seqs = ike_tun_seqs(t, &nseq);
	blen = id_body(&sa->st.id_local, body);
	so.msg = &sa->hs->init_req;
	so.nonce = sa->hs->nr;
	so.nonce_len = sa->hs->nr_len;
	so.sk_p = &sa->st.sk_pi;
	so.id_body = body;
	so.id_len = blen;
	rc = ops->sign(sa, t, &so, auth, &alen);
	if (rc)
		return rc;
	ike_mb_init_chain(&mb);
	rc = ike_mb_id(&mb, IKE_PLD_IDI, body[0], body + 4, blen - 4);
	/* IDr says whom we want to talk to (§1.2); not for "any" */
	if (rc == 0 && sa->st.id_remote.type != CFG_ID_NONE && !sa->st.id_remote.wildcard)
		rc = ike_mb_id(&mb, IKE_PLD_IDR, id_type_of(sa->st.id_remote.type),
		               sa->st.id_remote.data, sa->st.id_remote.len);
	if (rc == 0)
		rc = ike_mb_auth(&mb, ops->method, auth, alen);
	explicit_bzero(auth, sizeof(auth));
	/* §2.4: the peer may drop what it still holds of us */
	if (rc == 0 && !tunnel_has_other_sa(sa))
		rc = ike_mb_notify(&mb, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	/* RFC 6311 §3: both capabilities, in both roles */
	if (rc == 0)
		rc = ike_mb_notify(&mb, 0, NULL, 0, IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED, NULL, 0);
	if (rc == 0)
		rc = ike_mb_notify(&mb, 0, NULL, 0, IKE_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED, NULL,
		                   0);
	if (rc == 0 && !ike_ccs_new(sa))
		rc = -ENOMEM;
	if (rc == 0)
		sa->ccs->kind = IKE_REQ_AUTH;
	if (rc == 0 && nseq && seqs[0].policy) {
		spi = ike_child_spi_new(e);
		rc = add_child_offer(sa, &mb, &seqs[0], spi);
		if (rc == -ENOENT) {
			log_warnx("tunnel %s seq %u: no IPsec proposal tandem can offer", t->name,
			          (unsigned)seqs[0].seq);
			rc = 0;
		} else if (rc == 0) {
			sa->ccs->spi_in = spi;
			ike_ccs_reserve(sa);
			sa->ccs->seq = seqs[0].seq;
			sa->st.req_spi = spi;
		}
	}
	if (rc == 0)
		rc = ike_sa_request(sa, IKE_EXCH_AUTH, IKE_REQ_AUTH, &mb, IKE_CH_CREATED);
	if (rc == 0)
		sa->st.req_spi = sa->ccs->spi_in;
	ike_mb_fini(&mb);
	return rc;
}

/* Tells the responder we reject it (§2.21.2) and drops the SA. */
static void
auth_fail_initiator(struct ike_sa *sa, const char *why)
{
	struct ike_engine *e = sa->e;
	char tunnel[CFG_NAME_MAX];
	struct ike_mb mb;

	snprintf(tunnel, sizeof(tunnel), "%s", sa->st.tunnel);
	ike_sa_request_done(sa);
	ike_mb_init_chain(&mb);
	if (ike_mb_notify(&mb, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0) == 0)
		(void)ike_sa_request(sa, IKE_EXCH_INFORMATIONAL, IKE_REQ_NOTIFY, &mb, IKE_CH_MSGID);
	ike_mb_fini(&mb);
	log_info("tunnel %s: IKE_AUTH failed: %s", tunnel, why);
	ike_sa_destroy(sa, why);
	ike_tun_down_backoff(e, tunnel);
}

/*
 * Seed 001: when the peer's IKE SA for a static tunnel is up, ours gives way: deleted when
 * established, dropped when its IKE_SA_INIT has no answer yet; one in IKE_AUTH is deleted as
 * soon as it is established (ike_auth_response), so the peer is not left with half of it.
 */
static void
defer_established(struct ike_engine *e, const struct ike_sa *theirs)
{
	struct ike_tun *tu = theirs->tu;
	struct ike_sa *sa, *next;

	(void)e;
	/* SAs we initiated that are not half-open or going: usually none */
	if (!theirs->tun || theirs->tun->kind != CFG_TUNNEL_STATIC || !tu || !tu->nours_live)
		return;
	for (sa = TAILQ_FIRST(&tu->sas); sa; sa = next) {
		next = TAILQ_NEXT(sa, tun_entry);
		if (sa == theirs || !sa->st.initiator || sa->st.phase == IKE_PHASE_STANDBY ||
		    sa->st.phase == IKE_PHASE_DELETING || sa->st.phase == IKE_PHASE_INIT_DONE)
			continue;
		log_info("tunnel %s: the peer's IKE SA is up; deleting the one we initiated",
		         sa->st.tunnel);
		ike_sa_close(sa, "superseded by the peer's IKE SA");
	}
}

/* An IKE SA the peer initiated for mine's tunnel is established. */
static bool
peer_sa_up(const struct ike_sa *mine)
{
	uint32_t n = mine->tu ? mine->tu->nest_peer : 0;

	if (n && (mine->cnt & IKE_CNT_EST_PEER))
		n--;
	return n > 0;
}

static void
peer_caps(struct ike_sa *sa, const struct ike_msg *m)
{
	sa->st.peer_msgid_sync = ike_msg_notify(m, IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED) != NULL;
	sa->st.peer_replay_sync =
	        ike_msg_notify(m, IKE_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED) != NULL;
}

static void
established(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	ike_sa_set_phase(sa, IKE_PHASE_ESTABLISHED);
	if (sa->counted_half_open) {
		sa->counted_half_open = false;
		e->half_open--;
		e->stats.half_open = e->half_open;
	}
	ike_sa_lifetimes(sa);
	e->stats.ike_sa_established++;
	e->stats.exch_done[1]++;
}

/* The IKE_SA_INIT messages and nonces were only needed for AUTH (§2.15, §2.17). */
static void
init_msgs_forget(struct ike_sa *sa)
{
	ike_sa_hs_free(sa);
}

/* The first Child SA as initiator: answer checked against our offer (§2.9 narrowing). */
static int
auth_child_initiator(struct ike_sa *sa, size_t *idx, bool *bad_ts)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	const struct cfg_tunnel_seq *seq = sa->ccs ? ike_tun_seq(sa->tun, sa->ccs->seq) : NULL;
	struct ike_esp_choice ch;
	struct ike_tsl tsi, tsr;
	struct ike_child_state *c;
	char got[256];

	*bad_ts = false;
	if (!seq || !seq->policy || !m->has_sa || !m->has_tsi || !m->has_tsr)
		return -ENOENT;
	if (!ike_prop_esp_accept(seq->policy, &m->sa, true, &ch)) {
		ike_prop_str(&m->sa, got, sizeof(got));
		ike_reject(e, IKE_REJ_NO_PROPOSAL_CHOSEN, e->rx_remote, IKE_EXCH_AUTH,
		           "no proposal chosen: the responder chose %s for tunnel %s, which we "
		           "did not offer",
		           got, sa->st.tunnel);
		return -EBADMSG;
	}
	if (!ike_ts_from_pld(&m->tsi, &tsi) || !ike_ts_from_pld(&m->tsr, &tsr) ||
	    !ike_ts_subset(&tsi, &sa->ccs->ts_local) || !ike_ts_subset(&tsr, &sa->ccs->ts_remote) ||
	    !tsi.n || !tsr.n)
		*bad_ts = true;
	c = ike_child_add(sa, idx);
	if (!c)
		return -ENOSPC;
	if (ike_child_fill(sa, c, &ch, sa->ccs->seq, &tsi, &tsr, sa->ccs->spi_in) ||
	    ike_child_keys(sa, c, NULL, sa->hs->ni, sa->hs->ni_len, sa->hs->nr, sa->hs->nr_len,
	                   true)) {
		ike_child_remove(sa, *idx);
		return -ENOMEM;
	}
	ike_child_lifetimes(sa, c, ch.cp, true);
	return 0;
}

void
ike_auth_response(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	const struct ike_auth_ops *ops;
	char ids[300], ps[IKE_PEER_STR_LEN], why[400];
	struct ike_signed so;
	size_t idx = 0;
	bool have_child, bad_ts = false;

	if (!sa->tun || sa->st.phase != IKE_PHASE_INIT_DONE) {
		ike_sa_destroy(sa, "tunnel no longer configured");
		return;
	}
	ike_sa_peer(sa, ps, sizeof(ps));
	if (!m->has_idr || !m->has_auth) {
		for (size_t i = 0; i < m->nnotify; i++) {
			if (m->notify[i].type < 16384) {
				snprintf(why, sizeof(why), "the peer answered %s%s",
				         ike_notify_name(m->notify[i].type),
				         m->notify[i].type == IKE_N_AUTHENTICATION_FAILED
				                 ? " (check the pre-shared key and identities)"
				                 : "");
				log_warnx("tunnel %s: IKE_AUTH with %s failed: %s", sa->st.tunnel,
				          ps, why);
				ike_sa_request_done(sa);
				ike_tun_down_backoff(e, sa->st.tunnel);
				ike_sa_destroy(sa, why);
				return;
			}
		}
		ike_reject(e, IKE_REJ_MISSING_PAYLOAD, e->rx_remote, IKE_EXCH_AUTH,
		           "MISSING_PAYLOAD:payload type %u required in this exchange",
		           (unsigned)(m->has_idr ? IKE_PLD_AUTH : IKE_PLD_IDR));
		auth_fail_initiator(sa, "incomplete IKE_AUTH response");
		return;
	}
	if (!ike_id_match(&sa->st.id_remote, m->idr.type, m->idr.data.p, cur_left(&m->idr.data))) {
		ike_id_text(m->idr.type, m->idr.data.p, cur_left(&m->idr.data), ids, sizeof(ids));
		ike_reject(e, IKE_REJ_ID_MISMATCH, e->rx_remote, IKE_EXCH_AUTH,
		           "AUTHENTICATION_FAILED: the responder is %s, tunnel %s expects another "
		           "identity",
		           ids, sa->st.tunnel);
		auth_fail_initiator(sa, "unexpected responder identity");
		return;
	}
	ops = auth_ops_for(sa->tun->ike_policy->auth_method);
	so.msg = &sa->hs->init_resp;
	so.nonce = sa->hs->ni;
	so.nonce_len = sa->hs->ni_len;
	so.sk_p = &sa->st.sk_pr;
	so.id_body = m->idr.body.p;
	so.id_len = cur_left(&m->idr.body);
	if (!ops || m->auth.method != ops->method ||
	    ops->verify(sa, sa->tun, &so, m->auth.data.p, cur_left(&m->auth.data))) {
		ike_reject(e, IKE_REJ_AUTH_FAILED, e->rx_remote, IKE_EXCH_AUTH,
		           "AUTHENTICATION_FAILED: %s for tunnel %s (peer %s)",
		           ops && m->auth.method == ops->method
		                   ? "pre-shared key mismatch"
		                   : "the responder used another authentication method",
		           sa->st.tunnel, ps);
		auth_fail_initiator(sa, "the responder did not authenticate");
		return;
	}
	id_from_msg(&m->idr, &sa->st.id_remote);
	peer_caps(sa, m);
	ike_sa_request_done(sa);
	established(sa);
	have_child = sa->ccs && sa->ccs->spi_in && auth_child_initiator(sa, &idx, &bad_ts) == 0;
	init_msgs_forget(sa);
	if (!have_child && sa->ccs && sa->ccs->spi_in) {
		for (size_t i = 0; i < m->nnotify; i++)
			if (m->notify[i].type < 16384)
				log_warnx("tunnel %s: the peer refused the Child SA: %s",
				          sa->st.tunnel, ike_notify_name(m->notify[i].type));
		for (size_t s = 0; s < CFG_MAX_TUNNEL_SEQS; s++)
			sa->child_backoff_ms[s] = 1000;
		sa->child_retry_ms[0] = e->now_ms + 1000;
	}
	ike_ccs_clear(sa);
	(void)ike_sa_report(sa, IKE_CH_ESTABLISHED);
	if (have_child) {
		e->stats.child_sa_established++;
		if (bad_ts) {
			ike_reject(e, IKE_REJ_TS_UNACCEPTABLE, e->rx_remote, IKE_EXCH_AUTH,
			           "TS_UNACCEPTABLE: the responder's selectors for tunnel %s are "
			           "not within what we proposed; deleting the Child SA",
			           sa->st.tunnel);
			ike_task_add(sa, IKE_TASK_CHILD_DELETE, sa->st.child[idx].child_id, 0);
		} else if (ike_child_install(sa, idx, false)) {
			log_warnx("tunnel %s: data plane refused the Child SA", sa->st.tunnel);
			ike_task_add(sa, IKE_TASK_CHILD_DELETE, sa->st.child[idx].child_id, 0);
		}
	}
	log_info("tunnel %s: IKE SA established with %s (we initiated)", sa->st.tunnel, ps);
	ike_tun_update(e, sa->st.tunnel, "established");
	{
		struct ike_tun *tu = ike_tun_find(e, sa->st.tunnel);

		if (tu) {
			tu->backoff_ms = 0;
			tu->deferred = false;
		}
	}
	/* seed 001: an IKE SA the peer initiated for this tunnel is already up: ours goes */
	if (peer_sa_up(sa)) {
		ike_sa_close(sa, "superseded by the peer's IKE SA");
		return;
	}
	sa->children_at_ms = e->now_ms;
	ike_sa_check_children(sa);
}

/* ---- responder ---------------------------------------------------------------------------- */

static const struct cfg_tunnel *
choose_tunnel(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_engine *e = sa->e;
	const struct cfg_tunnel *cand[IKE_MAX_CANDIDATES], *best = NULL;
	int best_score = 0;
	size_t n = ike_tun_candidates(e, &sa->st.local, &sa->st.remote, cand, IKE_MAX_CANDIDATES);

	for (size_t i = 0; i < n; i++) {
		struct cfg_id want, mine;
		int score;

		ike_id_remote(cand[i], &want);
		score = ike_id_match(&want, m->idi.type, m->idi.data.p, cur_left(&m->idi.data));
		if (!score)
			continue;
		/* §2.4: IDr, when sent, names which of our identities the initiator wants */
		if (m->has_idr) {
			ike_id_local(cand[i], &mine);
			if (ike_id_match(&mine, m->idr.type, m->idr.data.p,
			                 cur_left(&m->idr.data)) != 3)
				continue;
		}
		if (score > best_score) {
			best = cand[i];
			best_score = score;
		}
	}
	return best;
}

/* Answers AUTHENTICATION_FAILED (protected, §2.21.2) and drops the half-open SA. */
static void
auth_fail_responder(struct ike_sa *sa, uint32_t msgid)
{
	ike_info_error_response(sa, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	(void)msgid;
	ike_sa_destroy(sa, "authentication failed");
}

/* On-demand tunnels: one IKE SA per remote identity, at most max-tunnels (seed 004 §9.3). */
static bool
on_demand_room(struct ike_sa *sa, const struct cfg_tunnel *t)
{
	struct ike_sa **same = NULL;
	size_t nsame;
	uint32_t n;

	if (t->kind != CFG_TUNNEL_ON_DEMAND || !t->max_tunnels)
		return true;
	/* the tunnel's established SAs but sa, less those of sa's identity */
	n = sa->tu ? sa->tu->nest : 0;
	if (n && (sa->cnt & IKE_CNT_EST))
		n--;
	nsame = ike_sa_same_id_list(sa, &same);
	for (size_t i = 0; i < nsame; i++)
		if (same[i]->st.phase == IKE_PHASE_ESTABLISHED && n)
			n--;
	free(same);
	return n < t->max_tunnels;
}

/* Older IKE SAs this one replaces: same on-demand identity, or the peer forgot them (§2.4). */
static void
replace_older(struct ike_sa *sa)
{
	struct ike_sa **same = NULL;
	size_t n;

	/* both cases concern SAs of the same identity; a static tunnel without INITIAL_CONTACT
	 * has nothing to replace */
	if (!sa->peer_initial_contact && sa->tun->kind != CFG_TUNNEL_ON_DEMAND)
		return;
	n = ike_sa_same_id_list(sa, &same);
	for (size_t i = 0; i < n; i++) {
		struct ike_sa *o = same[i];

		if (o->st.phase == IKE_PHASE_STANDBY || o->st.phase < IKE_PHASE_ESTABLISHED)
			continue;
		if (sa->peer_initial_contact && ike_ss_addr_eq(&o->st.remote, &sa->st.remote)) {
			log_info("tunnel %s: INITIAL_CONTACT from the peer; dropping the IKE SA it "
			         "forgot",
			         sa->st.tunnel);
			ike_sa_destroy(o, "peer restarted (INITIAL_CONTACT)");
		} else if (sa->tun->kind == CFG_TUNNEL_ON_DEMAND) {
			ike_sa_close(o, "replaced by a new IKE SA of the same identity");
		}
	}
	free(same);
}

static int
auth_respond(struct ike_sa *sa, uint32_t msgid, const struct ike_auth_ops *ops, uint16_t child_err,
             const struct ike_esp_choice *ch, const struct ike_tsl *tsi, const struct ike_tsl *tsr,
             uint32_t spi_in, bool *installed_idx_valid, size_t idx)
{
	struct ike_engine *e = sa->e;
	uint8_t body[4 + CFG_ID_MAX], auth[IKE_AUTH_MAX_LEN];
	struct ike_pld_sa *ans = NULL;
	struct ike_ts ts[IKE_MAX_TS];
	struct ike_signed so;
	struct ike_mb mb;
	size_t blen, alen;
	uint8_t n;
	int rc;

	blen = id_body(&sa->st.id_local, body);
	so.msg = &sa->hs->init_resp;
	so.nonce = sa->hs->ni;
	so.nonce_len = sa->hs->ni_len;
	so.sk_p = &sa->st.sk_pr;
	so.id_body = body;
	so.id_len = blen;
	rc = ops->sign(sa, sa->tun, &so, auth, &alen);
	if (rc)
		return rc;
	ike_mb_init_chain(&mb);
	rc = ike_mb_id(&mb, IKE_PLD_IDR, body[0], body + 4, blen - 4);
	if (rc == 0)
		rc = ike_mb_auth(&mb, ops->method, auth, alen);
	explicit_bzero(auth, sizeof(auth));
	if (rc == 0)
		rc = ike_mb_notify(&mb, 0, NULL, 0, IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED, NULL, 0);
	if (rc == 0)
		rc = ike_mb_notify(&mb, 0, NULL, 0, IKE_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED, NULL,
		                   0);
	if (rc == 0 && child_err)
		rc = ike_mb_notify(&mb, 0, NULL, 0, child_err, NULL, 0);
	if (rc == 0 && ch) {
		ans = calloc(1, sizeof(*ans));
		rc = ans ? 0 : -ENOMEM;
		if (rc == 0) {
			ike_prop_esp_answer(ch, spi_in, ans);
			rc = ike_mb_sa(&mb, ans);
		}
		free(ans);
		ike_ts_to_pld(tsi, ts, &n);
		if (rc == 0)
			rc = ike_mb_ts(&mb, IKE_PLD_TSI, ts, n);
		ike_ts_to_pld(tsr, ts, &n);
		if (rc == 0)
			rc = ike_mb_ts(&mb, IKE_PLD_TSR, ts, n);
	}
	if (rc == 0)
		rc = ike_sa_respond_prepare(sa, IKE_EXCH_AUTH, msgid, &mb, IKE_CH_ESTABLISHED);
	ike_mb_fini(&mb);
	if (rc)
		return rc;
	if (*installed_idx_valid && ike_child_install(sa, idx, false)) {
		log_warnx("tunnel %s: data plane refused the Child SA", sa->st.tunnel);
		*installed_idx_valid = false;
		ike_task_add(sa, IKE_TASK_CHILD_DELETE, sa->st.child[idx].child_id, 0);
	}
	ike_sa_respond_send(sa);
	(void)e;
	return 0;
}

void
ike_auth_request(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_msg *m = &e->rx;
	const struct cfg_tunnel *t;
	const struct ike_auth_ops *ops;
	uint32_t msgid = m->hdr.msgid, seq = 0, spi_in = 0;
	struct ike_esp_choice ch;
	struct ike_tsl tsi, tsr;
	struct ike_signed so;
	struct ike_child_state *c;
	char ids[300], ps[IKE_PEER_STR_LEN];
	uint16_t child_err = 0, want = 0;
	bool have_child = false;
	size_t idx = 0;

	ike_sa_peer(sa, ps, sizeof(ps));
	if (!m->has_idi || !m->has_auth) {
		ike_reject(e, IKE_REJ_MISSING_PAYLOAD, e->rx_remote, IKE_EXCH_AUTH,
		           "MISSING_PAYLOAD:payload type %u required in this exchange",
		           (unsigned)(m->has_idi ? IKE_PLD_AUTH : IKE_PLD_IDI));
		ike_info_error_response(sa, IKE_N_INVALID_SYNTAX, NULL, 0);
		ike_sa_destroy(sa, "malformed IKE_AUTH");
		return;
	}
	ike_id_text(m->idi.type, m->idi.data.p, cur_left(&m->idi.data), ids, sizeof(ids));
	t = choose_tunnel(sa, m);
	if (!t) {
		ike_reject(e, IKE_REJ_ID_MISMATCH, e->rx_remote, IKE_EXCH_AUTH,
		           "AUTHENTICATION_FAILED: no tunnel accepts identity %s from peer %s%s",
		           ids, ps, m->has_idr ? " with the identity it asked of us" : "");
		auth_fail_responder(sa, msgid);
		return;
	}
	sa->tun = t;
	sa->tun_final = true;
	snprintf(sa->st.tunnel, sizeof(sa->st.tunnel), "%s", t->name);
	ike_sa_index(sa);
	ops = auth_ops_for(t->ike_policy->auth_method);
	so.msg = &sa->hs->init_req;
	so.nonce = sa->hs->nr;
	so.nonce_len = sa->hs->nr_len;
	so.sk_p = &sa->st.sk_pi;
	so.id_body = m->idi.body.p;
	so.id_len = cur_left(&m->idi.body);
	if (!ops || m->auth.method != ops->method) {
		ike_reject(
		        e, IKE_REJ_AUTH_FAILED, e->rx_remote, IKE_EXCH_AUTH,
		        "AUTHENTICATION_FAILED: the peer authenticates with method %u, tunnel %s "
		        "is configured for %s (peer %s)",
		        (unsigned)m->auth.method, t->name, ops ? ops->name : "another method", ps);
		auth_fail_responder(sa, msgid);
		return;
	}
	if (ops->verify(sa, t, &so, m->auth.data.p, cur_left(&m->auth.data))) {
		ike_reject(e, IKE_REJ_AUTH_FAILED, e->rx_remote, IKE_EXCH_AUTH,
		           "AUTHENTICATION_FAILED: pre-shared key mismatch for tunnel %s (peer %s)",
		           t->name, ps);
		auth_fail_responder(sa, msgid);
		return;
	}
	id_from_msg(&m->idi, &sa->st.id_remote);
	ike_id_local(t, &sa->st.id_local);
	ike_sa_index(sa);
	if (!on_demand_room(sa, t)) {
		ike_reject(e, IKE_REJ_AUTH_FAILED, e->rx_remote, IKE_EXCH_AUTH,
		           "AUTHENTICATION_FAILED: on-demand tunnel %s has max-tunnels %u IKE SAs "
		           "(peer %s, identity %s)",
		           t->name, (unsigned)t->max_tunnels, ps, ids);
		auth_fail_responder(sa, msgid);
		return;
	}
	peer_caps(sa, m);
	sa->peer_initial_contact = ike_msg_notify(m, IKE_N_INITIAL_CONTACT) != NULL;
	/* the first Child SA (§1.2); its failure does not fail the IKE SA */
	if (m->has_sa && m->has_tsi && m->has_tsr) {
		child_err =
		        ike_child_choose(sa, "IKE_AUTH", true, 0, 0, &ch, &seq, &tsi, &tsr, &want);
		if (!child_err) {
			spi_in = ike_child_spi_new(e);
			c = ike_child_add(sa, &idx);
			if (!c) {
				child_err = IKE_N_NO_ADDITIONAL_SAS;
			} else {
				if (ike_child_fill(sa, c, &ch, seq, &tsr, &tsi, spi_in) ||
				    ike_child_keys(sa, c, NULL, sa->hs->ni, sa->hs->ni_len,
				                   sa->hs->nr, sa->hs->nr_len, false)) {
					ike_child_remove(sa, idx);
					child_err = IKE_N_NO_ADDITIONAL_SAS;
				} else {
					ike_child_lifetimes(sa, c, ch.cp, false);
					have_child = true;
				}
			}
		}
	}
	established(sa);
	if (auth_respond(sa, msgid, ops, child_err, have_child ? &ch : NULL, &tsi, &tsr, spi_in,
	                 &have_child, idx)) {
		ike_sa_destroy(sa, "internal error");
		return;
	}
	init_msgs_forget(sa);
	if (have_child)
		e->stats.child_sa_established++;
	log_info("tunnel %s: IKE SA established with %s, identity %s (peer initiated)", t->name, ps,
	         ids);
	ike_tun_update(e, t->name, "established");
	{
		struct ike_tun *tu = ike_tun_find(e, t->name);

		if (tu) {
			tu->backoff_ms = 0;
			tu->deferred = false;
		}
	}
	replace_older(sa);
	defer_established(e, sa);
	sa->children_at_ms = e->now_ms + IKE_CHILD_GRACE_MS;
}
