/* SPDX-License-Identifier: MIT */
/*
 * Encoders of the IKE command responses: IKE SA and Child SA states become the protobuf
 * messages of proto/ctl.proto, with SPIs in hex, addresses with ports, algorithm names from
 * the configuration tables, remaining lifetimes in seconds and keys only as digests.
 */
#include "ctl_codec_ike.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ctl.pb-c.h"
#include "node/core/hex.h"
#include "node/ctl/ctl_int.h"

/* Scratch allocations (strings, arrays) for one encoded response; freed together. */
struct ctl_strs {
	void **v;
	size_t n, cap;
};

/* Takes ownership of p (freed even when this fails); returns p or NULL. */
static void *
ctl_strs_keep(struct ctl_strs *s, void *p)
{
	if (p && s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		void **v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			free(p);
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	if (p)
		s->v[s->n++] = p;
	return p;
}

static char *ctl_strs_printf(struct ctl_strs *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static char *
ctl_strs_printf(struct ctl_strs *s, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : ctl_strs_keep(s, p);
}

static void
ctl_strs_free(struct ctl_strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static char *
ctl_sockaddr(struct ctl_strs *s, const struct sockaddr_storage *ss)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		return ctl_strs_printf(s, "%s:%u", a, ntohs(sin->sin_port));
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		return ctl_strs_printf(s, "[%s]:%u", a, ntohs(sin6->sin6_port));
	}
	return ctl_strs_printf(s, "-");
}

static int64_t
ctl_left_sec(uint64_t at_ms, uint64_t now_ms)
{
	if (at_ms == 0)
		return -1;
	return at_ms > now_ms ? (int64_t)((at_ms - now_ms) / 1000) : 0;
}

void
ctl_keys_digest(const struct secret *const *keys, size_t n, char out[17])
{
	uint8_t md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned len = 0;

	snprintf(out, 17, "?");
	if (!c)
		return;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
		for (size_t i = 0; i < n; i++)
			if (keys[i]->s_len)
				EVP_DigestUpdate(c, keys[i]->s_data, keys[i]->s_len);
		if (EVP_DigestFinal_ex(c, md, &len) == 1 && len >= 8)
			hex_encode(md, 8, out);
	}
	EVP_MD_CTX_free(c);
}

static const char *
ctl_phase_name(enum ike_sa_phase p)
{
	switch (p) {
	case IKE_PHASE_INIT_SENT:
		return "init-sent";
	case IKE_PHASE_INIT_DONE:
		return "init-done";
	case IKE_PHASE_ESTABLISHED:
		return "established";
	case IKE_PHASE_REKEYING:
		return "rekeying";
	case IKE_PHASE_DELETING:
		return "deleting";
	case IKE_PHASE_STANDBY:
		return "standby";
	}
	return "unknown";
}

static bool
ctl_ts_is_prefix(const struct esp_ts *ts, unsigned *plen)
{
	unsigned alen = ts->family == AF_INET6 ? 16 : 4, bits = 0;
	bool host_part = false;

	for (unsigned i = 0; i < alen; i++) {
		uint8_t x = (uint8_t)(ts->start[i] ^ ts->end[i]);

		for (int b = 7; b >= 0; b--) {
			bool diff = x & (1u << b);

			if (!host_part && !diff) {
				bits++;
				continue;
			}
			host_part = true;
			/* from here on start must have 0 and end 1 in every bit */
			if ((ts->start[i] >> b & 1) != 0 || (ts->end[i] >> b & 1) != 1)
				return false;
		}
	}
	*plen = bits;
	return true;
}

void
ctl_ts_str(const struct esp_ts *ts, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?", b[INET6_ADDRSTRLEN] = "?";
	int af = ts->family == AF_INET6 ? AF_INET6 : AF_INET;
	unsigned plen;
	int n;

	inet_ntop(af, ts->start, a, sizeof(a));
	inet_ntop(af, ts->end, b, sizeof(b));
	if (ctl_ts_is_prefix(ts, &plen))
		n = snprintf(out, cap, "%s/%u", a, plen);
	else
		n = snprintf(out, cap, "%s-%s", a, b);
	if (n < 0 || (size_t)n >= cap)
		return;
	if (ts->proto == 0)
		return;
	if (ts->sport == 0 && ts->eport == 65535)
		snprintf(out + n, cap - (size_t)n, " proto %u", ts->proto);
	else if (ts->sport == ts->eport)
		snprintf(out + n, cap - (size_t)n, " proto %u port %u", ts->proto, ts->sport);
	else
		snprintf(out + n, cap - (size_t)n, " proto %u ports %u-%u", ts->proto, ts->sport,
		         ts->eport);
}

int
ctl_encode_tunnels(const struct ctl_tunnel *v, size_t n, struct buf *out)
{
	Tandem__Ctl__V1__Response r;
	Tandem__Ctl__V1__TunnelList list;
	Tandem__Ctl__V1__Tunnel *t = calloc(n ? n : 1, sizeof(*t));
	Tandem__Ctl__V1__Tunnel **tp = calloc(n ? n : 1, sizeof(*tp));
	int rc;

	if (!t || !tp) {
		free(t);
		free(tp);
		return -ENOMEM;
	}
	tandem__ctl__v1__tunnel_list__init(&list);
	for (size_t i = 0; i < n; i++) {
		tandem__ctl__v1__tunnel__init(&t[i]);
		t[i].name = CTL_STR(v[i].name);
		t[i].kind = CTL_STR(v[i].kind);
		t[i].state = CTL_STR(v[i].state);
		t[i].local = CTL_STR(v[i].local);
		t[i].remote = CTL_STR(v[i].remote);
		t[i].remote_id = CTL_STR(v[i].remote_id);
		t[i].ike_policy = CTL_STR(v[i].ike_policy);
		t[i].connection_type = CTL_STR(v[i].conn_type);
		t[i].engine_group = CTL_STR(v[i].engine_group);
		t[i].interface = CTL_STR(v[i].iface);
		t[i].has_ike_sas = t[i].has_ipsec_sas = 1;
		t[i].ike_sas = v[i].ike_sas;
		t[i].ipsec_sas = v[i].ipsec_sas;
		t[i].last_change = CTL_STR(v[i].last_change);
		t[i].has_last_change_unix = 1;
		t[i].last_change_unix = v[i].last_change_unix;
		tp[i] = &t[i];
	}
	list.n_tunnel = n;
	list.tunnel = tp;
	ctl_response_init(&r);
	r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_TUNNELS;
	r.tunnels = &list;
	rc = ctl_put_response(&r, out);
	free(t);
	free(tp);
	return rc;
}

/* Fills one IkeSa message; strings go to strs. Returns false on allocation failure. */
static bool
ctl_fill_ike_sa(Tandem__Ctl__V1__IkeSa *m, const struct ike_sa_state *st, uint64_t now_ms,
                struct ctl_strs *strs)
{
	const struct secret *keys[] = {&st->sk_d,  &st->sk_ai, &st->sk_ar, &st->sk_ei,
	                               &st->sk_er, &st->sk_pi, &st->sk_pr};
	char idl[300], idr[300], dig[17];

	tandem__ctl__v1__ike_sa__init(m);
	cfg_id_str(&st->id_local, idl, sizeof(idl));
	cfg_id_str(&st->id_remote, idr, sizeof(idr));
	ctl_keys_digest(keys, sizeof(keys) / sizeof(keys[0]), dig);
	m->tunnel = CTL_STR(st->tunnel);
	m->state = CTL_STR(ctl_phase_name(st->phase));
	m->spi_i = ctl_strs_printf(strs, "%016" PRIx64, st->spi_i);
	m->spi_r = ctl_strs_printf(strs, "%016" PRIx64, st->spi_r);
	m->has_initiator = m->has_nat_local = m->has_nat_remote = 1;
	m->initiator = st->initiator;
	m->nat_local = st->nat_local;
	m->nat_remote = st->nat_remote;
	m->local = ctl_sockaddr(strs, &st->local);
	m->remote = ctl_sockaddr(strs, &st->remote);
	m->id_local = ctl_strs_printf(strs, "%s", idl);
	m->id_remote = ctl_strs_printf(strs, "%s", idr);
	m->encryption = CTL_STR(cfg_encr_info(st->encr)->name);
	m->integrity =
	        CTL_STR(st->integ == CFG_INTEG_NONE ? "none" : cfg_integ_info(st->integ)->name);
	m->prf = CTL_STR(cfg_prf_info(st->prf)->name);
	m->has_dh_group = m->has_established_unix = m->has_rekey_in_sec = m->has_expire_in_sec = 1;
	m->dh_group = st->dh_group;
	m->established_unix = st->established_unix;
	m->rekey_in_sec = ctl_left_sec(st->rekey_at_ms, now_ms);
	m->expire_in_sec = ctl_left_sec(st->expire_at_ms, now_ms);
	m->has_msgid_next_send = m->has_msgid_next_recv = 1;
	m->msgid_next_send = st->msgid_next_send;
	m->msgid_next_recv = st->msgid_next_recv;
	m->has_peer_msgid_sync = m->has_peer_replay_sync = m->has_ipsec_sas = 1;
	m->peer_msgid_sync = st->peer_msgid_sync;
	m->peer_replay_sync = st->peer_replay_sync;
	m->ipsec_sas = st->nchildren;
	m->keys_digest = ctl_strs_printf(strs, "%s", dig);
	return m->spi_i && m->spi_r && m->local && m->remote && m->id_local && m->id_remote &&
	       m->keys_digest;
}

/* The traffic selectors of one side as strings (array and strings are kept in strs). */
static char **
ctl_ts_list(const struct esp_ts *ts, unsigned n, struct ctl_strs *strs)
{
	char **v = ctl_strs_keep(strs, calloc(n ? n : 1, sizeof(char *)));

	for (unsigned i = 0; v && i < n; i++) {
		char s[128];

		ctl_ts_str(&ts[i], s, sizeof(s));
		v[i] = ctl_strs_printf(strs, "%s", s);
		if (!v[i])
			return NULL;
	}
	return v;
}

static bool
ctl_fill_ipsec_sa(Tandem__Ctl__V1__IpsecSa *m, const struct ike_sa_state *st,
                  const struct ike_child_state *c, uint64_t now_ms, ctl_sa_counters_fn counters,
                  void *arg, struct ctl_strs *strs)
{
	const struct secret *keys[] = {&c->enc_in, &c->integ_in, &c->enc_out, &c->integ_out};
	char dig[17];

	tandem__ctl__v1__ipsec_sa__init(m);
	ctl_keys_digest(keys, 4, dig);
	m->tunnel = CTL_STR(st->tunnel);
	m->ike_spi_i = ctl_strs_printf(strs, "%016" PRIx64, st->spi_i);
	m->ike_spi_r = ctl_strs_printf(strs, "%016" PRIx64, st->spi_r);
	m->spi_in = ctl_strs_printf(strs, "%08" PRIx32, c->spi_in);
	m->spi_out = ctl_strs_printf(strs, "%08" PRIx32, c->spi_out);
	m->encryption = CTL_STR(cfg_encr_info(c->encr)->name);
	m->integrity =
	        CTL_STR(c->integ == CFG_INTEG_NONE ? "none" : cfg_integ_info(c->integ)->name);
	m->has_pfs_group = m->has_esn = m->has_udp_encap = m->has_replay_window = 1;
	m->pfs_group = c->pfs_group;
	m->esn = c->esn;
	m->udp_encap = c->udp_encap;
	m->replay_window = c->replay_window;
	m->ts_local = ctl_ts_list(ike_child_ts_local(c), c->nts_local, strs);
	m->n_ts_local = m->ts_local ? c->nts_local : 0;
	m->ts_remote = ctl_ts_list(ike_child_ts_remote(c), c->nts_remote, strs);
	m->n_ts_remote = m->ts_remote ? c->nts_remote : 0;
	m->has_established_unix = m->has_rekey_in_sec = m->has_expire_in_sec = 1;
	m->established_unix = c->established_unix;
	m->rekey_in_sec = ctl_left_sec(c->rekey_at_ms, now_ms);
	m->expire_in_sec = ctl_left_sec(c->expire_at_ms, now_ms);
	m->has_out_lease_limit = m->has_in_highest = 1;
	m->out_lease_limit = c->out_lease_limit;
	m->in_highest = c->in_highest;
	m->has_bytes_in = m->has_bytes_out = m->has_packets_in = m->has_packets_out = 1;
	if (counters) {
		(void)counters(arg, c->spi_in, true, &m->packets_in, &m->bytes_in);
		(void)counters(arg, c->spi_out, false, &m->packets_out, &m->bytes_out);
	}
	m->keys_digest = ctl_strs_printf(strs, "%s", dig);
	m->has_standby = 1;
	m->standby = st->phase == IKE_PHASE_STANDBY;
	return m->ike_spi_i && m->ike_spi_r && m->spi_in && m->spi_out && m->ts_local &&
	       m->ts_remote && m->keys_digest;
}

struct ctl_sa_list {
	bool ipsec;
	bool oom;
	uint64_t now_ms;
	ctl_sa_counters_fn counters;
	void *arg;
	struct ctl_strs strs; /* every message, array and string of the list */
	void **msgs;          /* Tandem__Ctl__V1__IkeSa * or Tandem__Ctl__V1__IpsecSa * */
	size_t n, cap;
};

struct ctl_sa_list *
ctl_sa_list_new(bool ipsec, uint64_t now_ms, ctl_sa_counters_fn counters, void *arg)
{
	struct ctl_sa_list *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->ipsec = ipsec;
	l->now_ms = now_ms;
	l->counters = counters;
	l->arg = arg;
	return l;
}

/* A zeroed message of `size` bytes appended to the list (owned by its strs). */
static void *
ctl_sa_list_slot(struct ctl_sa_list *l, size_t size)
{
	void *m;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void **v = realloc(l->msgs, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->msgs = v;
		l->cap = cap;
	}
	m = ctl_strs_keep(&l->strs, calloc(1, size));
	if (m)
		l->msgs[l->n++] = m;
	return m;
}

int
ctl_sa_list_add(struct ctl_sa_list *l, const struct ike_sa_state *st)
{
	if (l->oom)
		return -ENOMEM;
	if (!l->ipsec) {
		Tandem__Ctl__V1__IkeSa *m = ctl_sa_list_slot(l, sizeof(*m));

		l->oom = !m || !ctl_fill_ike_sa(m, st, l->now_ms, &l->strs);
		return l->oom ? -ENOMEM : 0;
	}
	for (unsigned j = 0; !l->oom && j < st->nchildren; j++) {
		Tandem__Ctl__V1__IpsecSa *m = ctl_sa_list_slot(l, sizeof(*m));

		l->oom = !m || !ctl_fill_ipsec_sa(m, st, &st->child[j], l->now_ms, l->counters,
		                                  l->arg, &l->strs);
	}
	return l->oom ? -ENOMEM : 0;
}

void
ctl_sa_list_free(struct ctl_sa_list *l)
{
	if (!l)
		return;
	ctl_strs_free(&l->strs);
	free(l->msgs);
	free(l);
}

int
ctl_sa_list_finish(struct ctl_sa_list *l, struct buf *out)
{
	Tandem__Ctl__V1__Response r;
	Tandem__Ctl__V1__IkeSaList ike;
	Tandem__Ctl__V1__IpsecSaList ipsec;
	int rc = -ENOMEM;

	ctl_response_init(&r);
	if (!l->oom && !l->ipsec) {
		tandem__ctl__v1__ike_sa_list__init(&ike);
		ike.n_ike_sa = l->n;
		ike.ike_sa = (Tandem__Ctl__V1__IkeSa **)l->msgs;
		r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_IKE_SAS;
		r.ike_sas = &ike;
		rc = ctl_put_response(&r, out);
	} else if (!l->oom) {
		tandem__ctl__v1__ipsec_sa_list__init(&ipsec);
		ipsec.n_ipsec_sa = l->n;
		ipsec.ipsec_sa = (Tandem__Ctl__V1__IpsecSa **)l->msgs;
		r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_IPSEC_SAS;
		r.ipsec_sas = &ipsec;
		rc = ctl_put_response(&r, out);
	}
	ctl_sa_list_free(l);
	return rc;
}

static Tandem__Ctl__V1__Counter **
ctl_counters(const struct ctl_counter *v, size_t n, Tandem__Ctl__V1__Counter *store)
{
	Tandem__Ctl__V1__Counter **p = calloc(n ? n : 1, sizeof(*p));

	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		tandem__ctl__v1__counter__init(&store[i]);
		store[i].name = CTL_STR(v[i].name);
		store[i].has_value = 1;
		store[i].value = v[i].value;
		p[i] = &store[i];
	}
	return p;
}

int
ctl_encode_statistics(const struct ctl_counter *ike, size_t nike,
                      const struct ctl_counter *rejected, size_t nrejected,
                      const struct ctl_counter *esp, size_t nesp, struct buf *out)
{
	Tandem__Ctl__V1__Response r;
	Tandem__Ctl__V1__Statistics st;
	Tandem__Ctl__V1__Counter *store = calloc(nike + nrejected + nesp + 1, sizeof(*store));
	int rc = -ENOMEM;

	tandem__ctl__v1__statistics__init(&st);
	if (!store)
		return -ENOMEM;
	st.ike = ctl_counters(ike, nike, store);
	st.ike_rejected = ctl_counters(rejected, nrejected, store + nike);
	st.esp_dropped = ctl_counters(esp, nesp, store + nike + nrejected);
	if (st.ike && st.ike_rejected && st.esp_dropped) {
		st.n_ike = nike;
		st.n_ike_rejected = nrejected;
		st.n_esp_dropped = nesp;
		ctl_response_init(&r);
		r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_STATISTICS;
		r.statistics = &st;
		rc = ctl_put_response(&r, out);
	}
	free(st.ike);
	free(st.ike_rejected);
	free(st.esp_dropped);
	free(store);
	return rc;
}

int
ctl_encode_clear(uint32_t ike_sas, uint32_t ipsec_sas, struct buf *out)
{
	Tandem__Ctl__V1__Response r;
	Tandem__Ctl__V1__ClearResult c;

	tandem__ctl__v1__clear_result__init(&c);
	c.has_ike_sas = c.has_ipsec_sas = 1;
	c.ike_sas = ike_sas;
	c.ipsec_sas = ipsec_sas;
	ctl_response_init(&r);
	r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_CLEAR;
	r.clear = &c;
	return ctl_put_response(&r, out);
}
