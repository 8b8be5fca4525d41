/* SPDX-License-Identifier: MIT */
/*
 * The IKEv2 engine's entry points (ike_engine.h): lifecycle and configuration, the input path
 * of every datagram (header and payload checks, SA lookup, message-ID window, response cache,
 * decryption, dispatch to the exchange), operator actions, the cluster roles (import, forget,
 * standby, activate) and counters, plus the per-reason rejection log (seed 004 §16).
 */
#define LOG_SUBSYS "ike"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

/* ---- rejections --------------------------------------------------------------------------- */

static void
reject_emit(struct ike_engine *e, enum ike_reject r, const struct sockaddr_storage *peer,
            uint8_t exch, const char *detail)
{
	const struct ike_reject_info *ri = ike_reject_info(r);
	char ps[IKE_PEER_STR_LEN];
	enum log_level lvl;
	uint32_t supp = 0;

	if ((unsigned)r >= IKE_REJ_COUNT || r == IKE_REJ_NONE)
		return;
	e->stats.rejected[r]++;
	if (!log_rl_allow(&e->rl[r], e->now_ms, &supp))
		return;
	if (peer)
		ike_ss_str(peer, ps, sizeof(ps));
	else
		snprintf(ps, sizeof(ps), "-");
	/* unexpected message IDs are what retransmissions and crossings produce: info */
	lvl = ri->log_as_info || r == IKE_REJ_MSGID_OLD || r == IKE_REJ_MSGID_FUTURE ||
	                      r == IKE_REJ_UNSOLICITED_RESPONSE
	              ? LOG_LVL_INFO
	              : LOG_LVL_WARN;
	if (supp)
		log_emit(lvl, LOG_SUBSYS, false, "%s %s: %s (%u similar messages not logged)", ps,
		         exch ? ike_exch_name(exch) : "IKE", detail, supp);
	else
		log_emit(lvl, LOG_SUBSYS, false, "%s %s: %s", ps,
		         exch ? ike_exch_name(exch) : "IKE", detail);
}

void
ike_reject(struct ike_engine *e, enum ike_reject r, const struct sockaddr_storage *peer,
           uint8_t exch, const char *fmt, ...)
{
	char detail[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	reject_emit(e, r, peer, exch, detail);
}

void
ike_reject_perr(struct ike_engine *e, const struct ike_perr *err,
                const struct sockaddr_storage *peer, uint8_t exch)
{
	char detail[256];

	ike_perr_format(err, detail, sizeof(detail));
	reject_emit(e, err->reason, peer, exch, detail);
}

void
ike_notes(struct ike_engine *e, uint8_t before)
{
	const struct ike_msg *m = &e->rx;
	char ps[IKE_PEER_STR_LEN], detail[256];
	uint32_t supp = 0;

	for (unsigned n = 0; n < IKE_NOTE_COUNT; n++) {
		if (!(m->notes & ~before & (1u << n)))
			continue;
		e->stats.noted[n]++;
		if (!log_rl_allow(&e->rl_note[n], e->now_ms, &supp))
			continue;
		ike_note_format((enum ike_note)n, m->note_a[n], m->note_b[n], detail,
		                sizeof(detail));
		if (e->rx_remote)
			ike_ss_str(e->rx_remote, ps, sizeof(ps));
		else
			snprintf(ps, sizeof(ps), "-");
		if (supp)
			log_info("%s %s: %s (%u similar messages not logged)", ps,
			         ike_exch_name(m->hdr.exch), detail, supp);
		else
			log_info("%s %s: %s", ps, ike_exch_name(m->hdr.exch), detail);
	}
}

void
ike_warn_rl(struct ike_engine *e, const char *fmt, ...)
{
	char msg[512];
	uint32_t supp;
	va_list ap;

	if (!log_rl_allow(&e->rl_warn, e->now_ms, &supp))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

int
ike_engine_new(const struct ike_engine_opts *o, const struct ike_io *io, void *io_arg,
               const struct ike_observer *obs, void *obs_arg, struct ike_engine **out)
{
	struct ike_engine *e;

	*out = NULL;
	if (!io || !io->send || !io->random || !io->sa_install || !io->sa_delete)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (o)
		e->o = *o;
	if (!e->o.half_open_cookie_threshold)
		e->o.half_open_cookie_threshold = 30;
	if (!e->o.retransmit_base_ms)
		e->o.retransmit_base_ms = 1000;
	if (!e->o.retransmit_tries)
		e->o.retransmit_tries = 6;
	if (!e->o.initiate_backoff_max_ms)
		e->o.initiate_backoff_max_ms = 60000;
	e->io = *io;
	e->io_arg = io_arg;
	if (obs)
		e->obs = *obs;
	e->obs_arg = obs_arg;
	TAILQ_INIT(&e->sas);
	TAILQ_INIT(&e->dirty);
	TAILQ_INIT(&e->tun_dirty);
	ike_heap_init(&e->sa_timers);
	ike_heap_init(&e->tun_timers);
	ike_heap_init(&e->runq);
	/* the indexes' hash key, so that peers cannot pick SPIs that share a bucket */
	e->io.random(e->io_arg, (uint8_t *)&e->hash_seed, sizeof(e->hash_seed));
	if (ike_index_init(e)) {
		ike_engine_free(e);
		return -ENOMEM;
	}
	for (size_t i = 0; i < IKE_REJ_COUNT; i++)
		log_rl_init(&e->rl[i], IKE_RL_BURST, IKE_RL_INTERVAL_MS);
	for (size_t i = 0; i < IKE_NOTE_COUNT; i++)
		log_rl_init(&e->rl_note[i], IKE_RL_BURST, IKE_RL_INTERVAL_MS);
	log_rl_init(&e->rl_warn, IKE_RL_BURST, IKE_RL_INTERVAL_MS);
	log_rl_init(&e->rl_unprot, IKE_UNPROT_BURST, IKE_UNPROT_INTERVAL_MS);
	e->lease_size = IKE_DEFAULT_LEASE;
	e->report_every = IKE_DEFAULT_REPORT_EVERY;
	*out = e;
	return 0;
}

void
ike_engine_free(struct ike_engine *e)
{
	struct ike_sa *sa;

	if (!e)
		return;
	while ((sa = TAILQ_FIRST(&e->sas)))
		ike_sa_free(sa);
	free(e->tuns);
	ike_heap_fini(&e->sa_timers);
	ike_heap_fini(&e->tun_timers);
	ike_heap_fini(&e->runq);
	ike_index_fini(e);
	explicit_bzero(e->cookie_secret, sizeof(e->cookie_secret));
	explicit_bzero(e->plain, sizeof(e->plain));
	free(e);
}

static void
now_set(struct ike_engine *e, uint64_t now_ms)
{
	if (now_ms > e->now_ms)
		e->now_ms = now_ms;
}

void
ike_engine_set_wallclock(struct ike_engine *e, int64_t unix_ms, uint64_t now_ms)
{
	e->wall_offset_ms = unix_ms - (int64_t)now_ms;
	e->wall_known = true;
}

/* ---- configuration -------------------------------------------------------------------------- */

/* A tunnel the engine negotiates: IKEv2 with pre-shared keys, static or on-demand. */
static bool
tun_usable(const struct cfg_tunnel *t)
{
	const struct cfg_ike_policy *p = t ? t->ike_policy : NULL;

	return t && !t->shutdown && t->kind != CFG_TUNNEL_MANUAL && p && p->version == CFG_IKEV2 &&
	       p->auth_method == CFG_AUTH_PSK && p->psk.kind == CFG_PSK_KEY;
}

bool
ike_tun_may_initiate(const struct cfg_tunnel *t)
{
	return tun_usable(t) && t->kind == CFG_TUNNEL_STATIC &&
	       t->ike_policy->conn_type != CFG_CONN_RESPONDER_ONLY;
}

/* Warnings about what the configuration asks for and the engine cannot do (once per load). */
static void
config_warn(const struct cfg *cfg)
{
	const struct cfg_tunnel *t;

	for (t = TAILQ_FIRST(&cfg->tunnels); t; t = TAILQ_NEXT(t, entry)) {
		const struct cfg_tunnel_seq *seqs;
		unsigned n;

		if (t->kind == CFG_TUNNEL_MANUAL || t->shutdown || !t->ike_policy)
			continue;
		if (t->ike_policy->version != CFG_IKEV2 ||
		    t->ike_policy->auth_method != CFG_AUTH_PSK ||
		    t->ike_policy->psk.kind != CFG_PSK_KEY) {
			log_warnx(
			        "tunnel %s: ike policy %s is not IKEv2 with a pre-shared key; the "
			        "IKE engine does not negotiate it",
			        t->name, t->ike_policy->name);
			continue;
		}
		seqs = ike_tun_seqs(t, &n);
		for (unsigned i = 0; i < n; i++) {
			const struct cfg_ipsec_policy *pol = seqs[i].policy;

			for (unsigned j = 0; pol && j < pol->nprops; j++) {
				const struct cfg_ipsec_proposal *cp = pol->props[j].prop;

				if (cp && (!cp->esp || cp->ah || cp->ipcomp))
					log_warnx("tunnel %s seq %u: ipsec proposal %s needs %s, "
					          "which tandem does not negotiate; skipped",
					          t->name, (unsigned)seqs[i].seq, cp->name,
					          cp->ipcomp ? "IP compression" : "AH");
			}
		}
	}
}

/* Forgets what a tunnel that is no longer configured had: a new one starts afresh. */
static void
tun_unconfigure(struct ike_engine *e, struct ike_tun *tu)
{
	tu->t = NULL;
	tu->backoff_ms = 0;
	tu->init_at_ms = 0;
	tu->up = false;
	tu->deferred = false;
	ike_heap_del(&e->tun_timers, &tu->tmr);
	ike_tun_slot_gc(e, tu);
}

/*
 * The configured tunnels, in configuration order: a tunnel that stays keeps its state (back-off,
 * initiation time, up, deferred), one that goes forgets it.
 */
static int
tuns_rebuild(struct ike_engine *e, const struct cfg *cfg)
{
	const struct cfg_tunnel *t;
	struct ike_tun **nt;
	size_t n = 0, k = 0;

	for (t = TAILQ_FIRST(&cfg->tunnels); t; t = TAILQ_NEXT(t, entry))
		n++;
	nt = calloc(n ? n : 1, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	for (t = TAILQ_FIRST(&cfg->tunnels); t; t = TAILQ_NEXT(t, entry)) {
		struct ike_tun *tu = ike_tun_slot(e, t->name, true);
		bool dup = false;

		if (!tu) {
			free(nt);
			return -ENOMEM;
		}
		for (size_t i = 0; i < k && !dup; i++)
			dup = nt[i] == tu;
		if (dup)
			continue; /* the first of a name counts */
		nt[k++] = tu;
	}
	/* the ones that went */
	for (size_t i = 0; i < e->ntuns; i++) {
		bool kept = false;

		for (size_t j = 0; j < k && !kept; j++)
			kept = nt[j] == e->tuns[i];
		if (!kept)
			tun_unconfigure(e, e->tuns[i]);
	}
	for (size_t i = 0; i < k; i++) {
		const struct cfg_tunnel *ct = cfg_find_tunnel(cfg, nt[i]->name);

		nt[i]->t = ct;
		nt[i]->cfg_idx = i;
		if (!ike_tun_may_initiate(ct))
			nt[i]->init_at_ms = 0;
		ike_tun_touch(e, nt[i]);
	}
	free(e->tuns);
	e->tuns = nt;
	e->ntuns = k;
	return 0;
}

void
ike_engine_set_config(struct ike_engine *e, const struct cfg *cfg, uint64_t now_ms)
{
	struct ike_sa *sa, *next;

	now_set(e, now_ms);
	e->cfg = cfg;
	e->lease_size = cfg->cluster.present && cfg->cluster.lease_size ? cfg->cluster.lease_size
	                                                                : IKE_DEFAULT_LEASE;
	e->report_every = cfg->cluster.present && cfg->cluster.replay_report_every
	                          ? cfg->cluster.replay_report_every
	                          : IKE_DEFAULT_REPORT_EVERY;
	if (tuns_rebuild(e, cfg)) {
		log_warnx("out of memory applying the configuration to the IKE engine");
		return;
	}
	config_warn(cfg);
	for (sa = TAILQ_FIRST(&e->sas); sa; sa = next) {
		next = TAILQ_NEXT(sa, entry);
		sa->tun = sa->tu ? sa->tu->t : NULL;
		ike_sa_touch(sa); /* DPD and seq entries may have changed */
		if (sa->st.phase == IKE_PHASE_STANDBY || !sa->st.tunnel[0])
			continue;
		if (!tun_usable(sa->tun)) {
			log_info("tunnel %s: no longer configured for IKE; deleting IKE SA",
			         ike_sa_tunnel_name(sa));
			ike_sa_close(sa, "configuration removed");
			continue;
		}
		/* Child SAs of seq entries that are gone */
		for (size_t i = sa->st.nchildren; i-- > 0;) {
			struct ike_child_state *c = &sa->st.child[i];

			if (!ike_tun_seq(sa->tun, c->seq_index) && !sa->cx[i]->deleting &&
			    !ike_task_pending(sa, IKE_TASK_CHILD_DELETE, c->child_id))
				ike_task_add(sa, IKE_TASK_CHILD_DELETE, c->child_id, 0);
		}
		ike_task_run(sa);
	}
	for (size_t i = 0; i < e->ntuns; i++) {
		struct ike_tun *tu = e->tuns[i];

		if (ike_tun_may_initiate(tu->t) && !tu->init_at_ms &&
		    !ike_tun_has_sa(e, tu->name, NULL))
			tu->init_at_ms = e->now_ms;
	}
}

/* ---- input ----------------------------------------------------------------------------------- */

/* An unprotected answer to the request in e->rx (no IKE SA): §1.5, §2.5, §2.6, §2.21. */
void
ike_info_unprotected(struct ike_engine *e, uint16_t notify, const uint8_t *data, size_t len)
{
	const struct ike_hdr *rh = &e->rx.hdr;
	struct ike_hdr h;
	struct ike_mb mb;

	memset(&h, 0, sizeof(h));
	h.spi_i = rh->spi_i;
	h.spi_r = rh->exch == IKE_EXCH_SA_INIT ? 0 : rh->spi_r;
	h.exch = rh->exch >= IKE_EXCH_SA_INIT && rh->exch <= IKE_EXCH_INFORMATIONAL
	                 ? rh->exch
	                 : IKE_EXCH_INFORMATIONAL;
	/* the answer comes from the side that did not send the request */
	h.flags = (uint8_t)(IKE_FLAG_RESPONSE |
	                    ((rh->flags & IKE_FLAG_INITIATOR) ? 0 : IKE_FLAG_INITIATOR));
	h.msgid = rh->msgid;
	ike_mb_init(&mb, &h);
	if (ike_mb_notify(&mb, 0, NULL, 0, notify, data, len) == 0 && ike_mb_finish(&mb) == 0)
		ike_send_raw(e, e->rx_local, e->rx_remote, mb.b.b_data + mb.start,
		             mb.b.b_len - mb.start, 0);
	ike_mb_fini(&mb);
}

/* Unauthenticated answers a peer can provoke (INVALID_IKE_SPI, ...) are rate-limited. */
static bool
unprot_allowed(struct ike_engine *e)
{
	uint32_t supp;

	return log_rl_allow(&e->rl_unprot, e->now_ms, &supp);
}

/* A message whose unprotected part does not parse. */
static void
input_malformed(struct ike_engine *e, const struct ike_perr *err)
{
	const struct ike_hdr *h = &e->rx.hdr;
	bool hdr_ok = err->reason != IKE_REJ_HDR_INCOMPLETE;
	bool request = hdr_ok && !(h->flags & IKE_FLAG_RESPONSE);
	uint8_t exch = hdr_ok && h->exch >= IKE_EXCH_SA_INIT && h->exch <= IKE_EXCH_INFORMATIONAL
	                       ? h->exch
	                       : 0;

	ike_reject_perr(e, err, e->rx_remote, exch);
	if (!request)
		return;
	/* §2.5: INVALID_MAJOR_VERSION, unauthenticated, version 2 in the header */
	if (!unprot_allowed(e))
		return;
	if (err->reason == IKE_REJ_HDR_MAJOR_VERSION && h->spi_i) {
		ike_info_unprotected(e, IKE_N_INVALID_MAJOR_VERSION, NULL, 0);
		return;
	}
	/*
	 * §2.5: an unknown critical payload in IKE_SA_INIT (the only unprotected request) is
	 * answered with UNSUPPORTED_CRITICAL_PAYLOAD naming its type. Other structure errors in
	 * an unprotected message get no answer (INVALID_SYNTAX is for protected ones, §2.21.2).
	 */
	if (err->reason == IKE_REJ_UNSUPPORTED_CRITICAL && h->exch == IKE_EXCH_SA_INIT &&
	    h->spi_r == 0) {
		uint8_t type = (uint8_t)err->a;

		ike_info_unprotected(e, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
	}
}

/* §2.21.4: an IKE message for an SA we do not have. */
static void
input_unknown_sa(struct ike_engine *e)
{
	const struct ike_hdr *h = &e->rx.hdr;

	ike_reject(e, IKE_REJ_UNKNOWN_SPI, e->rx_remote, h->exch,
	           "IKEV2 HEADER:No IKE SA found for the SPIs received (%016llx_i %016llx_r)",
	           (unsigned long long)h->spi_i, (unsigned long long)h->spi_r);
	/* never answer a response; answer a request unprotected (rate-limited with the log) */
	if (!(h->flags & IKE_FLAG_RESPONSE) && unprot_allowed(e))
		ike_info_unprotected(e, IKE_N_INVALID_IKE_SPI, NULL, 0);
}

/* Authenticated messages tell where the peer is now (NAT mappings change; §2.23). */
static void
peer_moved(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	char a[IKE_PEER_STR_LEN], b[IKE_PEER_STR_LEN];

	if (ike_ss_eq(&sa->st.remote, e->rx_remote) && ike_ss_eq(&sa->st.local, e->rx_local))
		return;
	if (sa->st.phase == IKE_PHASE_ESTABLISHED) {
		ike_ss_str(&sa->st.remote, a, sizeof(a));
		ike_ss_str(e->rx_remote, b, sizeof(b));
		log_info("tunnel %s: peer moved from %s to %s", ike_sa_tunnel_name(sa), a, b);
	}
	sa->st.remote = *e->rx_remote;
	sa->st.local = *e->rx_local;
	ike_sa_index(sa);
}

/* The message ID of the cached response (it is in its header), or UINT32_MAX. */
static uint32_t
resp_msgid(const struct ike_sa *sa)
{
	const uint8_t *p = sa->st.resp_last.s_data;

	if (sa->st.resp_last.s_len < IKE_HDR_LEN)
		return UINT32_MAX;
	return (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23];
}

static bool
msgid_ok(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_hdr *h = &e->rx.hdr;

	if (h->flags & IKE_FLAG_RESPONSE) {
		if (sa->req_active && h->msgid == sa->st.req_msgid && h->exch == sa->req_exch)
			return true;
		ike_reject(e, IKE_REJ_UNSOLICITED_RESPONSE, e->rx_remote, h->exch,
		           "IKEV2 HEADER:Unsolicited response, Message ID %u", h->msgid);
		return false;
	}
	/* RFC 6311 §5: a node that took over the peer's end synchronises with message ID 0 */
	e->rx_sync = h->msgid == 0 && h->exch == IKE_EXCH_INFORMATIONAL &&
	             sa->st.phase == IKE_PHASE_ESTABLISHED;
	if (h->msgid == sa->st.msgid_next_recv || e->rx_sync)
		return true;
	/* §2.1: a retransmitted request gets the very same response again */
	if (sa->st.msgid_next_recv && h->msgid == sa->st.msgid_next_recv - 1 &&
	    resp_msgid(sa) == h->msgid) {
		e->stats.retransmitted_responses++;
		ike_send_raw(e, &sa->st.local, &sa->st.remote, sa->st.resp_last.s_data,
		             sa->st.resp_last.s_len, sa->resp_commit);
		return false;
	}
	if (h->msgid < sa->st.msgid_next_recv)
		ike_reject(e, IKE_REJ_MSGID_OLD, e->rx_remote, h->exch,
		           "IKEV2 HEADER:Old Message ID %u, expected %u", h->msgid,
		           sa->st.msgid_next_recv);
	else
		ike_reject(e, IKE_REJ_MSGID_FUTURE, e->rx_remote, h->exch,
		           "IKEV2 HEADER:Message ID %u outside the window, expected %u", h->msgid,
		           sa->st.msgid_next_recv);
	return false;
}

/* Decrypts and parses the SK payload; false (after answering or logging) when it fails. */
static bool
open_sk(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	struct ike_msg *m = &e->rx;
	bool request = !(m->hdr.flags & IKE_FLAG_RESPONSE);
	struct ike_perr err;
	size_t plain_len = 0;
	uint8_t before;

	if (!m->has_sk || !sa->sk_in) {
		ike_reject(e, IKE_REJ_MISSING_PAYLOAD, e->rx_remote, m->hdr.exch,
		           "MISSING_PAYLOAD:payload type %u required in this exchange",
		           (unsigned)IKE_PLD_SK);
		return false;
	}
	if (ike_sk_open(sa->sk_in, e->rx_p, m->sk.aad_len, m->sk.body.p, cur_left(&m->sk.body),
	                e->plain, &plain_len)) {
		ike_reject(e, IKE_REJ_SK_DECRYPT, e->rx_remote, m->hdr.exch,
		           "Authentication failure. Possibly mis-matching keys. (tunnel %s)",
		           ike_sa_tunnel_name(sa));
		return false;
	}
	before = m->notes;
	if (ike_msg_parse_inner(m, m->sk.inner_next, e->plain, plain_len, &err) == 0) {
		ike_notes(e, before);
		return true;
	}
	ike_reject_perr(e, &err, e->rx_remote, m->hdr.exch);
	/* §2.21.2: a protected request that fails structure checks gets INVALID_SYNTAX */
	if (request) {
		uint8_t type = (uint8_t)err.a;

		sa->last_rx_ms = e->now_ms;
		if (err.reason == IKE_REJ_UNSUPPORTED_CRITICAL)
			ike_info_error_response(sa, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
		else
			ike_info_error_response(sa, IKE_N_INVALID_SYNTAX, NULL, 0);
	}
	return false;
}

static void
dispatch(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_hdr *h = &e->rx.hdr;
	bool response = (h->flags & IKE_FLAG_RESPONSE) != 0;

	switch (h->exch) {
	case IKE_EXCH_AUTH:
		if (response)
			ike_auth_response(sa);
		else if (!sa->st.initiator && sa->st.phase == IKE_PHASE_INIT_DONE)
			ike_auth_request(sa);
		else {
			ike_reject(e, IKE_REJ_UNEXPECTED_PAYLOAD, e->rx_remote, h->exch,
			           "IKE_AUTH request on an IKE SA that is already authenticated");
			ike_info_error_response(sa, IKE_N_INVALID_SYNTAX, NULL, 0);
		}
		break;
	case IKE_EXCH_CREATE_CHILD_SA:
		if (response)
			ike_child_response(sa);
		else
			ike_child_request(sa);
		break;
	case IKE_EXCH_INFORMATIONAL:
		if (response)
			ike_info_response(sa);
		else
			ike_info_request(sa);
		break;
	default:
		break;
	}
}

static void
input_sa(struct ike_engine *e, struct ike_sa *sa)
{
	const struct ike_hdr *h = &e->rx.hdr;
	uint64_t spi = ike_sa_our_spi(sa);

	if (sa->st.phase == IKE_PHASE_STANDBY)
		return;
	/* both SPIs must be this SA's (the responder's SPI is ours when we initiated, too) */
	if (h->spi_i != sa->st.spi_i || h->spi_r != sa->st.spi_r) {
		input_unknown_sa(e);
		return;
	}
	/* IKE_AUTH belongs to a half-open SA only; IKE_SA_INIT never reaches here */
	if (sa->st.phase == IKE_PHASE_INIT_SENT)
		return;
	if (!msgid_ok(sa))
		return;
	if (!open_sk(sa)) {
		sa = ike_sa_find(e, spi);
		if (sa)
			ike_sa_touch(sa); /* an INVALID_SYNTAX answer counts as life */
		if (sa && sa->st.phase == IKE_PHASE_INIT_DONE && !sa->st.initiator &&
		    !(h->flags & IKE_FLAG_RESPONSE) && sa->st.msgid_next_recv > 1)
			ike_sa_destroy(sa, "malformed IKE_AUTH");
		return;
	}
	sa->last_rx_ms = e->now_ms;
	ike_sa_touch(sa);
	peer_moved(sa);
	dispatch(sa);
	sa = ike_sa_find(e, spi);
	if (sa)
		ike_task_run(sa);
}

void
ike_engine_input(struct ike_engine *e, uint64_t now_ms, const struct sockaddr_storage *local,
                 const struct sockaddr_storage *remote, const uint8_t *p, size_t len)
{
	struct ike_msg *m = &e->rx;
	struct ike_perr err;
	struct ike_sa *sa;
	bool response;

	now_set(e, now_ms);
	e->stats.rx_packets++;
	e->stats.rx_bytes += len;
	if (e->standby || !e->cfg)
		return;
	e->rx_local = local;
	e->rx_remote = remote;
	e->rx_p = p;
	e->rx_len = len;
	if (ike_msg_parse(p, len, m, &err)) {
		input_malformed(e, &err);
		return;
	}
	ike_notes(e, 0);
	response = (m->hdr.flags & IKE_FLAG_RESPONSE) != 0;
	if (m->hdr.exch == IKE_EXCH_SA_INIT) {
		if (!response) {
			ike_init_request(e);
			return;
		}
		sa = ike_sa_find(e, m->hdr.spi_i);
		if (sa && sa->st.initiator && sa->st.phase == IKE_PHASE_INIT_SENT &&
		    sa->req_active && m->hdr.msgid == 0)
			ike_init_response(sa);
		else
			ike_reject(e, IKE_REJ_UNSOLICITED_RESPONSE, remote, m->hdr.exch,
			           "IKEV2 HEADER:Unsolicited response, Message ID %u",
			           m->hdr.msgid);
		return;
	}
	/* the I flag says whether the sender is the original initiator (§3.1) */
	sa = ike_sa_find(e, (m->hdr.flags & IKE_FLAG_INITIATOR) ? m->hdr.spi_r : m->hdr.spi_i);
	if (!sa || sa->st.initiator == ((m->hdr.flags & IKE_FLAG_INITIATOR) != 0)) {
		input_unknown_sa(e);
		return;
	}
	input_sa(e, sa);
}

/* ---- operator actions --------------------------------------------------------------------------
 */

int
ike_engine_initiate(struct ike_engine *e, const char *tunnel, uint64_t now_ms)
{
	struct ike_tun *tu;

	now_set(e, now_ms);
	tu = ike_tun_find(e, tunnel);
	if (!tu)
		return -ENOENT;
	if (e->standby)
		return -EAGAIN;
	if (!ike_tun_may_initiate(tu->t))
		return -EINVAL;
	if (ike_tun_has_sa(e, tu->name, NULL))
		return 0;
	tu->backoff_ms = 0;
	tu->init_at_ms = 0;
	ike_tun_touch(e, tu);
	return ike_init_start(e, tu->t);
}

int
ike_engine_clear_ike(struct ike_engine *e, const char *tunnel, uint64_t now_ms)
{
	struct ike_sa *sa, *next;
	struct ike_tun *tu;

	now_set(e, now_ms);
	tu = ike_tun_find(e, tunnel);
	if (!tu)
		return -ENOENT;
	tu->backoff_ms = 0;
	/* closing may free SAs (the half-open ones) but never moves one to another tunnel */
	for (sa = TAILQ_FIRST(&tu->sas); sa; sa = next) {
		next = TAILQ_NEXT(sa, tun_entry);
		if (sa->st.phase != IKE_PHASE_STANDBY)
			ike_sa_close(sa, "cleared by operator");
	}
	return 0;
}

int
ike_engine_clear_ipsec(struct ike_engine *e, const char *tunnel, uint64_t now_ms)
{
	struct ike_tun *tu;
	struct ike_sa *sa, *next;

	now_set(e, now_ms);
	tu = ike_tun_find(e, tunnel);
	if (!tu)
		return -ENOENT;
	for (sa = TAILQ_FIRST(&tu->sas); sa; sa = next) {
		next = TAILQ_NEXT(sa, tun_entry);
		if (sa->st.phase != IKE_PHASE_ESTABLISHED)
			continue;
		for (size_t i = 0; i < sa->st.nchildren; i++) {
			if (sa->cx[i]->deleting ||
			    ike_task_pending(sa, IKE_TASK_CHILD_DELETE, sa->st.child[i].child_id))
				continue;
			ike_task_add(sa, IKE_TASK_CHILD_DELETE, sa->st.child[i].child_id, 0);
		}
		for (size_t s = 0; s < CFG_MAX_TUNNEL_SEQS; s++) {
			sa->child_backoff_ms[s] = 0;
			sa->child_retry_ms[s] = 0;
		}
		ike_task_run(sa);
	}
	return 0;
}

int
ike_engine_rekey(struct ike_engine *e, const char *tunnel, bool ike, uint64_t now_ms)
{
	struct ike_tun *tu;
	struct ike_sa *sa, *first = NULL;

	now_set(e, now_ms);
	tu = ike_tun_find(e, tunnel);
	if (!tu)
		return -ENOENT;
	/* the tunnel's oldest usable SA */
	TAILQ_FOREACH(sa, &tu->sas, tun_entry)
	{
		if (sa->rekeyed ||
		    (sa->st.phase != IKE_PHASE_ESTABLISHED && sa->st.phase != IKE_PHASE_REKEYING))
			continue;
		if (!first || sa->seq < first->seq)
			first = sa;
	}
	sa = first;
	if (!sa)
		return -ENOENT;
	if (sa->req_active || sa->ntasks || sa->st.phase != IKE_PHASE_ESTABLISHED)
		return -EBUSY;
	if (ike) {
		ike_task_add(sa, IKE_TASK_IKE_REKEY, 0, 0);
	} else {
		for (size_t i = 0; i < sa->st.nchildren; i++)
			if (sa->cx[i]->installed && !sa->st.child[i].rekeyed &&
			    !sa->cx[i]->redundant && !sa->cx[i]->deleting)
				ike_task_add(sa, IKE_TASK_CHILD_REKEY, sa->st.child[i].child_id, 0);
	}
	ike_task_run(sa);
	return 0;
}

void
ike_engine_child_lifetime(struct ike_engine *e, uint32_t spi, bool inbound, bool hard,
                          uint64_t now_ms)
{
	struct ike_sa *sa;
	size_t idx;

	now_set(e, now_ms);
	sa = ike_child_lookup(e, spi, inbound, &idx);
	if (!sa || sa->st.phase != IKE_PHASE_ESTABLISHED)
		return;
	if (hard) {
		/* RFC 4301 §4.4.2.1: the hard limit ends the SA */
		if (!sa->cx[idx]->deleting &&
		    !ike_task_pending(sa, IKE_TASK_CHILD_DELETE, sa->st.child[idx].child_id)) {
			log_info("tunnel %s: Child SA %08x reached its byte lifetime; deleting",
			         sa->st.tunnel, (unsigned)sa->st.child[idx].spi_in);
			ike_task_add(sa, IKE_TASK_CHILD_DELETE, sa->st.child[idx].child_id, 0);
		}
	} else if (!sa->cx[idx]->lifetime_soft) {
		sa->cx[idx]->lifetime_soft = true;
		if (!sa->st.child[idx].rekeyed && !sa->cx[idx]->rekeying &&
		    !ike_task_pending(sa, IKE_TASK_CHILD_REKEY, sa->st.child[idx].child_id))
			ike_task_add(sa, IKE_TASK_CHILD_REKEY, sa->st.child[idx].child_id, 0);
	}
	ike_task_run(sa);
}

void
ike_engine_child_seq(struct ike_engine *e, uint32_t spi, bool inbound, uint64_t value)
{
	struct ike_sa *sa;
	size_t idx;

	sa = ike_child_lookup(e, spi, inbound, &idx);
	if (!sa)
		return;
	if (inbound) {
		if (value > sa->st.child[idx].in_highest)
			sa->st.child[idx].in_highest = value;
	} else if (value > sa->st.child[idx].out_lease_limit) {
		sa->st.child[idx].out_lease_limit = value;
	}
}

void
ike_engine_esp_unknown_spi(struct ike_engine *e, uint32_t spi,
                           const struct sockaddr_storage *remote, uint64_t now_ms)
{
	struct ike_sa *sa;
	uint8_t n;

	now_set(e, now_ms);
	if (e->standby)
		return;
	ike_reject(e, IKE_REJ_INVALID_SPI_CHILD, remote, IKE_EXCH_INFORMATIONAL,
	           "No Inbound SA Found. SPI 0x%x", (unsigned)spi);
	sa = ike_sa_by_addr(e, remote);
	if (!sa)
		return;
	/* rate-limited: at most one INVALID_SPI notify queued per IKE SA at a time */
	if (ike_task_pending(sa, IKE_TASK_INVALID_SPI, 0) || sa->ntasks >= IKE_MAX_TASKS / 2)
		return;
	n = sa->ntasks;
	ike_task_add(sa, IKE_TASK_INVALID_SPI, 0, 0);
	if (sa->ntasks > n)
		sa->tasks[sa->ntasks - 1].spi = spi;
	ike_task_run(sa);
}

/* ---- cluster roles -----------------------------------------------------------------------------
 */

static void
standby_one(struct ike_sa *sa)
{
	if (sa->st.phase == IKE_PHASE_STANDBY)
		return;
	sa->live_phase = sa->st.phase;
	sa->req_active = false;
	sa->ntasks = 0;
	for (size_t i = 0; i < sa->st.nchildren; i++)
		sa->cx[i]->installed = false; /* the host owns the data plane of a standby */
	ike_sa_set_phase(sa, IKE_PHASE_STANDBY);
}

void
ike_engine_set_standby(struct ike_engine *e, bool standby)
{
	struct ike_sa *sa, *next;

	e->standby = standby;
	if (!standby)
		return;
	for (sa = TAILQ_FIRST(&e->sas); sa; sa = next) {
		next = TAILQ_NEXT(sa, entry);
		if (sa->st.phase < IKE_PHASE_ESTABLISHED)
			ike_sa_free(sa); /* half-open: the peer starts again */
		else
			standby_one(sa);
	}
	for (size_t i = 0; i < e->ntuns; i++)
		e->tuns[i]->up = false;
}

/* Imported times are in the exporting node's engine clock: move them into ours. */
static int64_t
clock_shift(const struct ike_engine *e, const struct ike_sa_state *st)
{
	int64_t est_here;

	if (!e->wall_known || !st->established_unix || !st->established_ms)
		return 0;
	est_here = st->established_unix * 1000 - e->wall_offset_ms;
	return est_here - (int64_t)st->established_ms;
}

static uint64_t
shifted(uint64_t t, int64_t d)
{
	if (!t)
		return 0;
	if (d < 0 && (uint64_t)-d >= t)
		return 1;
	return (uint64_t)((int64_t)t + d);
}

static void
import_times(struct ike_engine *e, struct ike_sa_state *st)
{
	int64_t d = clock_shift(e, st);

	if (!d)
		return;
	st->established_ms = shifted(st->established_ms, d);
	st->rekey_at_ms = shifted(st->rekey_at_ms, d);
	st->expire_at_ms = shifted(st->expire_at_ms, d);
	for (size_t i = 0; i < st->nchildren; i++) {
		st->child[i].established_ms = shifted(st->child[i].established_ms, d);
		st->child[i].rekey_at_ms = shifted(st->child[i].rekey_at_ms, d);
		st->child[i].expire_at_ms = shifted(st->child[i].expire_at_ms, d);
	}
}

/* A Child SA moves with an IKE SA rekey: it lives in one IKE SA only (mine is not indexed yet). */
static void
import_dedup_children(struct ike_engine *e, const struct ike_sa_state *mine)
{
	for (size_t i = 0; i < mine->nchildren; i++) {
		struct ike_sa *o;
		size_t idx;

		while ((o = ike_child_lookup(e, mine->child[i].spi_in, true, &idx))) {
			o->cx[idx]->installed = false;
			ike_child_remove(o, idx);
		}
	}
}

/* What an imported state may hold: as many Child SAs and selectors as ours can. */
static bool
import_valid(const struct ike_sa_state *st)
{
	if (!st->spi_i || st->nchildren > IKE_STATE_MAX_CHILDREN || (st->nchildren && !st->child))
		return false;
	for (size_t i = 0; i < st->nchildren; i++) {
		const struct ike_child_state *c = &st->child[i];

		if (c->nts_local > ESP_MAX_TS || c->nts_remote > ESP_MAX_TS ||
		    (c->nts_local + c->nts_remote && !c->ts))
			return false;
	}
	return true;
}

/* Runtime records for n imported Child SAs (NULL: no memory). */
static struct ike_child_rt **
import_rts(struct ike_sa *sa, size_t n)
{
	struct ike_child_rt **cx = n ? calloc(n, sizeof(*cx)) : NULL;

	for (size_t i = 0; cx && i < n; i++) {
		cx[i] = calloc(1, sizeof(*cx[i]));
		if (!cx[i]) {
			while (i-- > 0)
				free(cx[i]);
			free(cx);
			return NULL;
		}
		cx[i]->sa = sa;
	}
	return cx;
}

int
ike_engine_import(struct ike_engine *e, const struct ike_sa_state *st)
{
	struct ike_sa_state copy;
	struct ike_child_rt **cx = NULL;
	struct ike_tun *slot = NULL;
	struct ike_sa *sa;
	enum ike_sa_phase phase;
	int rc;

	if (!import_valid(st))
		return -EINVAL;
	sa = ike_sa_find_by_spis(e, st->spi_i, st->spi_r);
	if (sa && sa->st.phase != IKE_PHASE_STANDBY)
		return -EBUSY; /* a live SA is ours: the active node does not import */
	/* the tunnel's slot first: indexing the SA must not fail later */
	if (st->tunnel[0]) {
		slot = ike_tun_slot(e, st->tunnel, true);
		if (!slot)
			return -ENOMEM;
	}
	if (!sa) {
		sa = ike_sa_new(e, st->initiator);
		if (!sa) {
			ike_tun_slot_gc(e, slot);
			return -ENOMEM;
		}
		sa->st.spi_i = st->spi_i;
		sa->st.spi_r = st->spi_r;
		ike_sa_hash_add(sa);
		sa->live_phase = st->phase;
	}
	phase = st->phase == IKE_PHASE_STANDBY ? sa->live_phase : st->phase;
	rc = ike_sa_state_copy(&copy, st);
	if (rc == 0 && copy.nchildren) {
		cx = import_rts(sa, copy.nchildren);
		if (!cx) {
			ike_sa_state_clear(&copy);
			rc = -ENOMEM;
		}
	}
	if (rc) {
		ike_sa_free(sa);
		ike_tun_slot_gc(e, slot);
		return rc;
	}
	/* the state it had goes (keys wiped), the imported one takes its place */
	for (size_t i = 0; i < sa->st.nchildren; i++) {
		ike_child_unindex(e, sa->cx[i]);
		free(sa->cx[i]);
	}
	free(sa->cx);
	ike_sa_state_clear(&sa->st);
	sa->st = copy;
	sa->cx = cx;
	sa->child_cap = copy.nchildren;
	import_times(e, &sa->st);
	sa->live_phase = phase;
	sa->st.phase = IKE_PHASE_STANDBY;
	sa->created_reported = true;
	sa->tun = slot ? slot->t : NULL;
	sa->tun_final = true;
	import_dedup_children(e, &sa->st);
	for (size_t i = 0; i < sa->st.nchildren; i++)
		ike_child_index(sa, i);
	ike_sa_hash_add(sa);
	ike_sa_index(sa);
	return 0;
}

void
ike_engine_forget(struct ike_engine *e, uint64_t spi_i, uint64_t spi_r)
{
	struct ike_sa *sa = ike_sa_find_by_spis(e, spi_i, spi_r);

	if (sa && sa->st.phase == IKE_PHASE_STANDBY)
		ike_sa_free(sa);
}

/* Turns one standby SA live (DESIGN.md: never reuse a sequence number, never send unprompted). */
static void
activate_one(struct ike_engine *e, struct ike_sa *sa)
{
	/* an SA being deleted, or already replaced by a rekey, is deleted (again) */
	bool closing = sa->live_phase == IKE_PHASE_DELETING ||
	               (sa->live_phase == IKE_PHASE_REKEYING && !sa->st.nchildren);
	uint64_t commit;

	if (sa->live_phase < IKE_PHASE_ESTABLISHED || ike_sa_keys_install(sa)) {
		ike_sa_free(sa);
		return;
	}
	sa->last_rx_ms = e->now_ms;
	sa->ntasks = 0;
	ike_sa_set_phase(sa, IKE_PHASE_ESTABLISHED);
	for (size_t i = 0; i < sa->st.nchildren; i++) {
		struct ike_child_state *c = &sa->st.child[i];

		/*
		 * out: start one lease past the last replicated limit and take the next lease
		 * first. The skipped lease covers the one grant an old active may have had
		 * delivered to itself alone as its membership split (corosync's transitional
		 * delivery, before the new ring; at most one: an engine asks for one lease at a
		 * time, later grants wait for confirmed quorum): docs/faults.md "Fencing".
		 */
		sa->cx[i]->out_start = c->out_lease_limit ? c->out_lease_limit + e->lease_size : 1;
		c->out_lease_limit = sa->cx[i]->out_start + e->lease_size;
		sa->cx[i]->in_start = c->in_highest + e->report_every;
		c->in_highest = sa->cx[i]->in_start;
		/*
		 * a store that was not complete for long skips far ahead (docs/faults.md "Stale
		 * stores"): past a 32-bit counter's end the SA can send nothing; rekey it now
		 */
		if (!c->esn && c->out_lease_limit > UINT32_MAX &&
		    !ike_task_pending(sa, IKE_TASK_CHILD_REKEY, c->child_id)) {
			log_warnx(
			        "tunnel %s: Child SA %08x resumes past its 32-bit sequence space; "
			        "rekeying it",
			        sa->st.tunnel, (unsigned)c->spi_in);
			ike_task_add(sa, IKE_TASK_CHILD_REKEY, c->child_id, 0);
		}
	}
	/*
	 * RFC 6311 §5: with a peer that supports it, synchronise the message IDs first; the
	 * request that was in flight is abandoned (timers redo its work). Without it, the
	 * request in flight is sent again: the peer answers it, or answers its retransmission.
	 * Sync-before-send makes the replicated message IDs exact, so the sync is a check, not
	 * a repair; it is skipped when the IKE SA's cipher is an AEAD: a peer that derives its
	 * AEAD IVs from the message ID cannot encrypt the answer to message ID 0 (strongSwan
	 * 5.9.8 logs "encrypting encrypted payload failed, no IV or padding" and destroys the
	 * IKE SA; docs/ha.md).
	 */
	if (sa->st.peer_msgid_sync && cfg_encr_info(sa->st.encr)->aead)
		log_info("tunnel %s: RFC 6311 message-ID sync not sent (the IKE SA uses an AEAD "
		         "cipher); resuming with the replicated message IDs",
		         ike_sa_tunnel_name(sa));
	if (sa->st.peer_msgid_sync && !cfg_encr_info(sa->st.encr)->aead) {
		secret_clear(&sa->st.req_out);
		sa->st.req_kind = IKE_REQ_NONE;
		sa->req_active = false;
		ike_task_add(sa, IKE_TASK_MID_SYNC, 0, 0);
	} else if (sa->st.req_out.s_len) {
		sa->req_active = true;
		sa->req_resumed = true;
		sa->req_exch = sa->st.req_out.s_len > 18 ? sa->st.req_out.s_data[18] : 0;
		sa->req_sends = 1;
		sa->req_next_ms = e->now_ms + ike_retransmit_timeout(e, 1);
		if (sa->st.req_kind == IKE_REQ_IKE_DELETE) {
			ike_sa_set_phase(sa, IKE_PHASE_DELETING);
			closing = false;
		}
	}
	if (closing)
		ike_task_add(sa, IKE_TASK_IKE_DELETE, 0, 0);
	commit = ike_sa_report(sa, IKE_CH_MSGID);
	sa->req_commit = sa->resp_commit = commit;
	for (size_t i = 0; i < sa->st.nchildren; i++) {
		if (ike_child_install(sa, i, true))
			log_warnx("tunnel %s: could not install Child SA %08x after takeover",
			          sa->st.tunnel, (unsigned)sa->st.child[i].spi_in);
	}
	if (sa->req_active)
		ike_send_raw(e, &sa->st.local, &sa->st.remote, sa->st.req_out.s_data,
		             sa->st.req_out.s_len, commit);
	if (sa->st.tunnel[0])
		ike_tun_update(e, sa->st.tunnel, "taken over");
	ike_task_run(sa);
}

void
ike_engine_activate(struct ike_engine *e, uint64_t now_ms)
{
	struct ike_sa *sa, *next;

	now_set(e, now_ms);
	e->standby = false;
	for (sa = TAILQ_FIRST(&e->sas); sa; sa = next) {
		next = TAILQ_NEXT(sa, entry);
		if (sa->st.phase == IKE_PHASE_STANDBY)
			activate_one(e, sa);
	}
	for (size_t i = 0; i < e->ntuns; i++) {
		struct ike_tun *tu = e->tuns[i];

		if (ike_tun_may_initiate(tu->t) && !ike_tun_has_sa(e, tu->name, NULL))
			tu->init_at_ms = e->now_ms;
		ike_tun_touch(e, tu);
	}
}

/* ---- displays
 * ------------------------------------------------------------------------------------ */

void
ike_engine_walk(const struct ike_engine *e, void (*fn)(void *arg, const struct ike_sa_state *st),
                void *arg)
{
	const struct ike_sa *sa;

	for (sa = TAILQ_FIRST(&e->sas); sa; sa = TAILQ_NEXT(sa, entry))
		fn(arg, &sa->st);
}

void
ike_engine_walk_tunnel(struct ike_engine *e, const char *tunnel,
                       void (*fn)(void *arg, const struct ike_sa_state *st), void *arg)
{
	struct ike_tun *tu = ike_tun_slot(e, tunnel, false);
	const struct ike_sa *sa;

	if (!tu)
		return;
	TAILQ_FOREACH(sa, &tu->sas, tun_entry)
	fn(arg, &sa->st);
}

void
ike_engine_stats(const struct ike_engine *e, struct ike_stats *out)
{
	*out = e->stats;
	out->half_open = e->half_open;
}
