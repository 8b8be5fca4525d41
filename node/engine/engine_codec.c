/* SPDX-License-Identifier: MIT */
/*
 * The engine channel codec: protobuf (proto/engine.proto) to and from the structs of
 * engine_msg.h. The only file that includes engine.pb-c.h; messages are unpacked and freed
 * in the same function (STYLE.md §2.5), and every field is range-checked before it reaches a
 * struct. Both directions, so tests and the benchmark can play tandemd's part.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <protobuf-c/protobuf-c.h>

#include "engine.pb-c.h"
#include "node/engine/engine_msg.h"

typedef Tandem__Engine__V1__ToEngine ToEngine;
typedef Tandem__Engine__V1__FromEngine FromEngine;
typedef Tandem__Engine__V1__SaParams SaParams;
typedef Tandem__Engine__V1__TrafficSelector TrafficSelector;

/* ---- small helpers --------------------------------------------------------------------- */

static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
}

/* A 4- or 16-byte address; sets the family. */
static bool
addr_get(bool has, ProtobufCBinaryData b, int *family, uint8_t out[16])
{
	if (!has || (b.len != 4 && b.len != 16))
		return false;
	*family = b.len == 4 ? AF_INET : AF_INET6;
	memset(out, 0, 16);
	memcpy(out, b.data, b.len);
	return true;
}

static ProtobufCBinaryData
addr_put(int family, const uint8_t *a)
{
	ProtobufCBinaryData b = {family == AF_INET ? 4u : 16u, (uint8_t *)(uintptr_t)a};

	return b;
}

/* ---- ToEngine: decode -------------------------------------------------------------------- */

static int
dec_hello(const Tandem__Engine__V1__Hello *h, struct engine_hello *o)
{
	copy_str(o->group, sizeof(o->group), h->group);
	o->heartbeat_ms = h->has_heartbeat_ms ? h->heartbeat_ms : 0;
	o->lease_refill_pct = h->has_lease_refill_pct ? h->lease_refill_pct : 0;
	o->replay_report_every = h->has_replay_report_every ? h->replay_report_every : 0;
	o->workers = h->has_workers ? h->workers : 0;
	copy_str(o->log_level, sizeof(o->log_level), h->log_level);
	return o->lease_refill_pct > 100 || o->workers > 256 ? -EBADMSG : 0;
}

static int
dec_attach_tun(const Tandem__Engine__V1__AttachTun *t, struct engine_attach_tun *o)
{
	copy_str(o->tunnel, sizeof(o->tunnel), t->tunnel);
	copy_str(o->ifname, sizeof(o->ifname), t->ifname);
	o->mtu = t->has_mtu ? t->mtu : 0;
	o->df_bit = (enum cfg_df_bit)(t->has_df_bit ? t->df_bit : 0);
	o->vnet_hdr = t->has_vnet_hdr && t->vnet_hdr;
	if (!o->tunnel[0] || o->mtu > 65535 || (t->has_df_bit && t->df_bit > CFG_DF_CLEAR))
		return -EBADMSG;
	return 0;
}

static int
dec_attach_sock(const Tandem__Engine__V1__AttachSocket *s, struct engine_addr *o)
{
	if (!addr_get(s->has_local_addr, s->local_addr, &o->family, o->addr))
		return -EBADMSG;
	if (!s->has_local_port || s->local_port > 65535)
		return -EBADMSG;
	o->port = (uint16_t)s->local_port;
	return 0;
}

/* One selector; ports default to the full range, as IKEv2 writes "any" (RFC 7296 §3.13.1). */
static int
dec_ts(const TrafficSelector *t, int family, struct esp_ts *o)
{
	int fs, fe;

	memset(o, 0, sizeof(*o));
	if (!addr_get(t->has_start, t->start, &fs, o->start) ||
	    !addr_get(t->has_end, t->end, &fe, o->end) || fs != fe)
		return -EBADMSG;
	(void)family; /* a tunnel may carry another family than its outer addresses */
	o->family = fs;
	if ((t->has_proto && t->proto > 255) || (t->has_sport && t->sport > 65535) ||
	    (t->has_eport && t->eport > 65535))
		return -EBADMSG;
	o->proto = (uint8_t)(t->has_proto ? t->proto : 0);
	o->sport = (uint16_t)(t->has_sport ? t->sport : 0);
	o->eport = (uint16_t)(t->has_eport ? t->eport : 65535);
	return 0;
}

static int
dec_ts_list(TrafficSelector *const *ts, size_t n, int family, struct esp_ts *out, uint8_t *nout)
{
	if (n > ESP_MAX_TS)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (!ts[i] || dec_ts(ts[i], family, &out[i]) < 0)
			return -EBADMSG;
	}
	*nout = (uint8_t)n;
	return 0;
}

static int
dec_sa_addrs(const SaParams *s, struct esp_sa_params *o)
{
	int rf;

	if (!addr_get(s->has_local_addr, s->local_addr, &o->family, o->local) ||
	    !addr_get(s->has_remote_addr, s->remote_addr, &rf, o->remote) || rf != o->family)
		return -EBADMSG;
	if ((s->has_local_port && s->local_port > 65535) ||
	    (s->has_remote_port && s->remote_port > 65535))
		return -EBADMSG;
	o->udp_encap = s->has_udp_encap && s->udp_encap;
	o->local_port = (uint16_t)(s->has_local_port ? s->local_port : 4500);
	o->remote_port = (uint16_t)(s->has_remote_port ? s->remote_port : 4500);
	return 0;
}

static int
dec_sa_algs(const SaParams *s, struct esp_sa_params *o)
{
	if (!s->has_encr || s->encr >= CFG_ENCR_COUNT ||
	    (s->has_integ && s->integ >= CFG_INTEG_COUNT))
		return -EBADMSG;
	o->encr = (enum cfg_encr)s->encr;
	o->integ = (enum cfg_integ)(s->has_integ ? s->integ : CFG_INTEG_NONE);
	if (s->has_enc_key && secret_set(&o->enc_key, s->enc_key.data, s->enc_key.len) < 0)
		return -ENOMEM;
	if (s->has_integ_key && secret_set(&o->integ_key, s->integ_key.data, s->integ_key.len) < 0)
		return -ENOMEM;
	return 0;
}

static int
dec_sa(const SaParams *s, struct esp_sa_params *o)
{
	int rc;

	if (!s || !s->has_spi)
		return -EBADMSG;
	o->spi = s->spi;
	o->inbound = s->has_inbound && s->inbound;
	o->child_id = s->has_child_id ? s->child_id : 0;
	copy_str(o->tunnel, sizeof(o->tunnel), s->tunnel);
	copy_str(o->ifname, sizeof(o->ifname), s->ifname);
	rc = dec_sa_algs(s, o);
	if (rc == 0)
		rc = dec_sa_addrs(s, o);
	if (rc == 0)
		rc = dec_ts_list(s->ts_local, s->n_ts_local, o->family, o->ts_local, &o->nts_local);
	if (rc == 0)
		rc = dec_ts_list(s->ts_remote, s->n_ts_remote, o->family, o->ts_remote,
		                 &o->nts_remote);
	if (rc < 0)
		return rc;
	o->esn = s->has_esn && s->esn;
	o->replay_window = s->has_replay_window ? s->replay_window : 0;
	if ((s->has_df_bit && s->df_bit > CFG_DF_CLEAR) || (s->has_mtu && s->mtu > 65535))
		return -EBADMSG;
	o->df_bit = (enum cfg_df_bit)(s->has_df_bit ? s->df_bit : 0);
	o->mtu = (uint16_t)(s->has_mtu ? s->mtu : 0);
	o->soft_bytes = s->has_soft_bytes ? s->soft_bytes : 0;
	o->hard_bytes = s->has_hard_bytes ? s->hard_bytes : 0;
	o->seq_start = s->has_seq_start ? s->seq_start : 0;
	o->lease_limit = s->has_lease_limit ? s->lease_limit : 0;
	return 0;
}

static int
dec_to_body(const ToEngine *t, struct engine_to *m)
{
	switch (t->msg_case) {
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_HELLO:
		m->type = ENGINE_TO_HELLO;
		return dec_hello(t->hello, &m->u.hello);
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_ATTACH_TUN:
		m->type = ENGINE_TO_ATTACH_TUN;
		return dec_attach_tun(t->attach_tun, &m->u.tun);
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_ATTACH_SOCKET:
		m->type = ENGINE_TO_ATTACH_SOCKET;
		return dec_attach_sock(t->attach_socket, &m->u.sock);
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_INSTALL_SA:
		m->type = ENGINE_TO_INSTALL_SA;
		return dec_sa(t->install_sa->sa, &m->u.sa);
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_DELETE_SA:
		m->type = ENGINE_TO_DELETE_SA;
		m->u.del.spi = t->delete_sa->spi;
		m->u.del.inbound = t->delete_sa->has_inbound && t->delete_sa->inbound;
		return t->delete_sa->has_spi ? 0 : -EBADMSG;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_GRANT_LEASE:
		m->type = ENGINE_TO_GRANT_LEASE;
		m->u.grant.spi = t->grant_lease->spi;
		m->u.grant.limit = t->grant_lease->limit;
		return t->grant_lease->has_spi && t->grant_lease->has_limit ? 0 : -EBADMSG;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_DETACH_TUN:
		m->type = ENGINE_TO_DETACH_TUN;
		copy_str(m->u.detach, sizeof(m->u.detach), t->detach_tun->tunnel);
		return m->u.detach[0] ? 0 : -EBADMSG;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_SHUTDOWN:
		m->type = ENGINE_TO_SHUTDOWN;
		return 0;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_QUERY_STATS:
		m->type = ENGINE_TO_QUERY_STATS;
		return 0;
	default:
		return -EPROTO;
	}
}

int
engine_to_decode(const uint8_t *p, size_t len, struct engine_to *m)
{
	ToEngine *t;
	int rc;

	memset(m, 0, sizeof(*m));
	t = tandem__engine__v1__to_engine__unpack(NULL, len, p);
	if (!t)
		return -EBADMSG;
	m->req = t->has_req ? t->req : 0;
	if (t->has_version && t->version != ENGINE_VERSION)
		rc = -EPROTONOSUPPORT;
	else
		rc = dec_to_body(t, m);
	tandem__engine__v1__to_engine__free_unpacked(t, NULL);
	if (rc < 0 && m->type == ENGINE_TO_INSTALL_SA)
		esp_sa_params_clear(&m->u.sa);
	if (rc == -EPROTO)
		m->type = ENGINE_TO_NONE;
	return rc;
}

void
engine_to_clear(struct engine_to *m)
{
	if (m->type == ENGINE_TO_INSTALL_SA)
		esp_sa_params_clear(&m->u.sa);
	OPENSSL_cleanse(m, sizeof(*m));
}

/* ---- ToEngine: encode (tandemd's side) -------------------------------------------------- */

static void
enc_ts(const struct esp_ts *t, TrafficSelector *o)
{
	tandem__engine__v1__traffic_selector__init(o);
	o->has_start = o->has_end = 1;
	o->start = addr_put(t->family, t->start);
	o->end = addr_put(t->family, t->end);
	o->has_proto = o->has_sport = o->has_eport = 1;
	o->proto = t->proto;
	o->sport = t->sport;
	o->eport = t->eport;
}

struct enc_sa {
	SaParams s;
	TrafficSelector tl[ESP_MAX_TS], tr[ESP_MAX_TS];
	TrafficSelector *pl[ESP_MAX_TS], *pr[ESP_MAX_TS];
};

static void
enc_sa_fields(const struct esp_sa_params *p, SaParams *s)
{
	s->has_spi = s->has_inbound = s->has_child_id = s->has_encr = s->has_integ = 1;
	s->spi = p->spi;
	s->inbound = p->inbound;
	s->child_id = p->child_id;
	s->tunnel = (char *)(uintptr_t)p->tunnel;
	s->ifname = (char *)(uintptr_t)p->ifname;
	s->encr = p->encr;
	s->integ = p->integ;
	s->has_enc_key = s->has_integ_key = 1;
	s->enc_key.len = p->enc_key.s_len;
	s->enc_key.data = p->enc_key.s_data;
	s->integ_key.len = p->integ_key.s_len;
	s->integ_key.data = p->integ_key.s_data;
	s->has_esn = s->has_replay_window = s->has_local_addr = s->has_remote_addr = 1;
	s->esn = p->esn;
	s->replay_window = p->replay_window;
	s->local_addr = addr_put(p->family, p->local);
	s->remote_addr = addr_put(p->family, p->remote);
	s->has_udp_encap = s->has_local_port = s->has_remote_port = 1;
	s->udp_encap = p->udp_encap;
	s->local_port = p->local_port;
	s->remote_port = p->remote_port;
	s->has_df_bit = s->has_mtu = s->has_soft_bytes = s->has_hard_bytes = 1;
	s->df_bit = p->df_bit;
	s->mtu = p->mtu;
	s->soft_bytes = p->soft_bytes;
	s->hard_bytes = p->hard_bytes;
	s->has_seq_start = s->has_lease_limit = 1;
	s->seq_start = p->seq_start;
	s->lease_limit = p->lease_limit;
}

static void
enc_sa(const struct esp_sa_params *p, struct enc_sa *e)
{
	tandem__engine__v1__sa_params__init(&e->s);
	enc_sa_fields(p, &e->s);
	for (unsigned i = 0; i < p->nts_local && i < ESP_MAX_TS; i++) {
		enc_ts(&p->ts_local[i], &e->tl[i]);
		e->pl[i] = &e->tl[i];
	}
	for (unsigned i = 0; i < p->nts_remote && i < ESP_MAX_TS; i++) {
		enc_ts(&p->ts_remote[i], &e->tr[i]);
		e->pr[i] = &e->tr[i];
	}
	e->s.n_ts_local = p->nts_local;
	e->s.ts_local = e->pl;
	e->s.n_ts_remote = p->nts_remote;
	e->s.ts_remote = e->pr;
}

/* Messages the encoder fills; all on the caller's stack. */
struct enc_to {
	ToEngine t;
	Tandem__Engine__V1__Hello hello;
	Tandem__Engine__V1__AttachTun tun;
	Tandem__Engine__V1__AttachSocket sock;
	Tandem__Engine__V1__InstallSa inst;
	struct enc_sa sa;
	Tandem__Engine__V1__DeleteSa del;
	Tandem__Engine__V1__GrantLease grant;
	Tandem__Engine__V1__DetachTun detach;
	Tandem__Engine__V1__Shutdown shut;
	Tandem__Engine__V1__QueryStats query;
};

static void
enc_hello(const struct engine_hello *h, struct enc_to *e)
{
	tandem__engine__v1__hello__init(&e->hello);
	e->hello.group = (char *)(uintptr_t)h->group;
	e->hello.has_heartbeat_ms = e->hello.has_lease_refill_pct = 1;
	e->hello.heartbeat_ms = h->heartbeat_ms;
	e->hello.lease_refill_pct = h->lease_refill_pct;
	e->hello.has_replay_report_every = e->hello.has_workers = 1;
	e->hello.replay_report_every = h->replay_report_every;
	e->hello.workers = h->workers;
	e->hello.log_level = h->log_level[0] ? (char *)(uintptr_t)h->log_level : NULL;
	e->t.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_HELLO;
	e->t.hello = &e->hello;
}

static void
enc_tun(const struct engine_attach_tun *a, struct enc_to *e)
{
	tandem__engine__v1__attach_tun__init(&e->tun);
	e->tun.tunnel = (char *)(uintptr_t)a->tunnel;
	e->tun.ifname = (char *)(uintptr_t)a->ifname;
	e->tun.has_mtu = e->tun.has_df_bit = e->tun.has_vnet_hdr = 1;
	e->tun.mtu = a->mtu;
	e->tun.df_bit = a->df_bit;
	e->tun.vnet_hdr = a->vnet_hdr;
	e->t.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_ATTACH_TUN;
	e->t.attach_tun = &e->tun;
}

static void
enc_misc(const struct engine_to *m, struct enc_to *e)
{
	switch (m->type) {
	case ENGINE_TO_DELETE_SA:
		tandem__engine__v1__delete_sa__init(&e->del);
		e->del.has_spi = e->del.has_inbound = 1;
		e->del.spi = m->u.del.spi;
		e->del.inbound = m->u.del.inbound;
		e->t.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_DELETE_SA;
		e->t.delete_sa = &e->del;
		break;
	case ENGINE_TO_GRANT_LEASE:
		tandem__engine__v1__grant_lease__init(&e->grant);
		e->grant.has_spi = e->grant.has_limit = 1;
		e->grant.spi = m->u.grant.spi;
		e->grant.limit = m->u.grant.limit;
		e->t.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_GRANT_LEASE;
		e->t.grant_lease = &e->grant;
		break;
	case ENGINE_TO_DETACH_TUN:
		tandem__engine__v1__detach_tun__init(&e->detach);
		e->detach.tunnel = (char *)(uintptr_t)m->u.detach;
		e->t.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_DETACH_TUN;
		e->t.detach_tun = &e->detach;
		break;
	case ENGINE_TO_SHUTDOWN:
		tandem__engine__v1__shutdown__init(&e->shut);
		e->t.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_SHUTDOWN;
		e->t.shutdown = &e->shut;
		break;
	default:
		tandem__engine__v1__query_stats__init(&e->query);
		e->t.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_QUERY_STATS;
		e->t.query_stats = &e->query;
		break;
	}
}

int
engine_to_encode(const struct engine_to *m, uint8_t *out, size_t cap, size_t *len)
{
	struct enc_to *e = calloc(1, sizeof(*e));
	int rc = 0;

	if (!e)
		return -ENOMEM;
	tandem__engine__v1__to_engine__init(&e->t);
	e->t.has_version = e->t.has_req = 1;
	e->t.version = ENGINE_VERSION;
	e->t.req = m->req;
	switch (m->type) {
	case ENGINE_TO_HELLO:
		enc_hello(&m->u.hello, e);
		break;
	case ENGINE_TO_ATTACH_TUN:
		enc_tun(&m->u.tun, e);
		break;
	case ENGINE_TO_ATTACH_SOCKET:
		tandem__engine__v1__attach_socket__init(&e->sock);
		e->sock.has_local_addr = e->sock.has_local_port = 1;
		e->sock.local_addr = addr_put(m->u.sock.family, m->u.sock.addr);
		e->sock.local_port = m->u.sock.port;
		e->t.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_ATTACH_SOCKET;
		e->t.attach_socket = &e->sock;
		break;
	case ENGINE_TO_INSTALL_SA:
		tandem__engine__v1__install_sa__init(&e->inst);
		enc_sa(&m->u.sa, &e->sa);
		e->inst.sa = &e->sa.s;
		e->t.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_INSTALL_SA;
		e->t.install_sa = &e->inst;
		break;
	case ENGINE_TO_NONE:
		rc = -EINVAL;
		break;
	default:
		enc_misc(m, e);
		break;
	}
	if (rc == 0 && tandem__engine__v1__to_engine__get_packed_size(&e->t) > cap)
		rc = -EMSGSIZE;
	if (rc == 0)
		*len = tandem__engine__v1__to_engine__pack(&e->t, out);
	OPENSSL_cleanse(e, sizeof(*e)); /* it pointed at keys */
	free(e);
	return rc;
}

/* ---- FromEngine: encode (the engine's side) --------------------------------------------- */

struct enc_from {
	FromEngine f;
	Tandem__Engine__V1__Ready ready;
	Tandem__Engine__V1__Heartbeat hb;
	Tandem__Engine__V1__Ack ack;
	Tandem__Engine__V1__LeaseRequest lease;
	Tandem__Engine__V1__ReplayReport replay;
	Tandem__Engine__V1__LifetimeEvent life;
	Tandem__Engine__V1__IkePacket ike;
};

static void
enc_from_small(const struct engine_from *m, struct enc_from *e)
{
	FromEngine *f = &e->f;

	switch (m->type) {
	case ENGINE_FROM_READY:
		tandem__engine__v1__ready__init(&e->ready);
		e->ready.has_pid = e->ready.has_workers = 1;
		e->ready.pid = m->u.ready.pid;
		e->ready.workers = m->u.ready.workers;
		f->msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_READY;
		f->ready = &e->ready;
		break;
	case ENGINE_FROM_HEARTBEAT:
		tandem__engine__v1__heartbeat__init(&e->hb);
		e->hb.has_seq = e->hb.has_packets_in = e->hb.has_packets_out = 1;
		e->hb.seq = m->u.hb.seq;
		e->hb.packets_in = m->u.hb.packets_in;
		e->hb.packets_out = m->u.hb.packets_out;
		f->msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_HEARTBEAT;
		f->heartbeat = &e->hb;
		break;
	case ENGINE_FROM_ACK:
		tandem__engine__v1__ack__init(&e->ack);
		e->ack.has_error = 1;
		e->ack.error = m->u.ack.error;
		e->ack.message = m->u.ack.message[0] ? (char *)(uintptr_t)m->u.ack.message : NULL;
		f->msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_ACK;
		f->ack = &e->ack;
		break;
	default:
		break;
	}
}

static void
enc_from_events(const struct engine_from *m, struct enc_from *e)
{
	FromEngine *f = &e->f;

	switch (m->type) {
	case ENGINE_FROM_LEASE_REQUEST:
		tandem__engine__v1__lease_request__init(&e->lease);
		e->lease.has_spi = e->lease.has_used = e->lease.has_limit = 1;
		e->lease.spi = m->u.lease.spi;
		e->lease.used = m->u.lease.used;
		e->lease.limit = m->u.lease.limit;
		f->msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_LEASE_REQUEST;
		f->lease_request = &e->lease;
		break;
	case ENGINE_FROM_REPLAY_REPORT:
		tandem__engine__v1__replay_report__init(&e->replay);
		e->replay.has_spi = e->replay.has_highest = 1;
		e->replay.spi = m->u.replay.spi;
		e->replay.highest = m->u.replay.highest;
		f->msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_REPLAY_REPORT;
		f->replay_report = &e->replay;
		break;
	case ENGINE_FROM_LIFETIME:
		tandem__engine__v1__lifetime_event__init(&e->life);
		e->life.has_spi = e->life.has_inbound = e->life.has_hard = e->life.has_bytes = 1;
		e->life.spi = m->u.life.spi;
		e->life.inbound = m->u.life.inbound;
		e->life.hard = m->u.life.hard;
		e->life.bytes = m->u.life.bytes;
		f->msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_LIFETIME;
		f->lifetime = &e->life;
		break;
	case ENGINE_FROM_IKE_PACKET:
		tandem__engine__v1__ike_packet__init(&e->ike);
		e->ike.has_src_addr = e->ike.has_src_port = e->ike.has_dst_addr = 1;
		e->ike.has_dst_port = e->ike.has_data = 1;
		e->ike.src_addr = addr_put(m->u.ike.src.family, m->u.ike.src.addr);
		e->ike.src_port = m->u.ike.src.port;
		e->ike.dst_addr = addr_put(m->u.ike.dst.family, m->u.ike.dst.addr);
		e->ike.dst_port = m->u.ike.dst.port;
		e->ike.data.len = m->u.ike.len;
		e->ike.data.data = (uint8_t *)(uintptr_t)m->u.ike.data;
		f->msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_IKE_PACKET;
		f->ike_packet = &e->ike;
		break;
	default:
		enc_from_small(m, e);
		break;
	}
}

static int
pack_from(FromEngine *f, uint8_t *out, size_t cap, size_t *len)
{
	if (tandem__engine__v1__from_engine__get_packed_size(f) > cap)
		return -EMSGSIZE;
	*len = tandem__engine__v1__from_engine__pack(f, out);
	return 0;
}

/* Stats: arrays of messages, allocated (a control-path message, never per packet). */
static int
enc_stats(const struct engine_from *m, FromEngine *f, uint8_t *out, size_t cap, size_t *len)
{
	Tandem__Engine__V1__Stats st;
	Tandem__Engine__V1__SaStats *sa = calloc(m->u.stats.nsa + 1, sizeof(*sa));
	Tandem__Engine__V1__DropCount *dc = calloc(m->u.stats.ndrops + 1, sizeof(*dc));
	Tandem__Engine__V1__SaStats **psa =
	        calloc(m->u.stats.nsa + 1, sizeof(Tandem__Engine__V1__SaStats *));
	Tandem__Engine__V1__DropCount **pdc =
	        calloc(m->u.stats.ndrops + 1, sizeof(Tandem__Engine__V1__DropCount *));
	int rc = -ENOMEM;

	if (!sa || !dc || !psa || !pdc)
		goto out;
	tandem__engine__v1__stats__init(&st);
	for (size_t i = 0; i < m->u.stats.nsa; i++) {
		const struct engine_sa_stat *s = &m->u.stats.sa[i];

		tandem__engine__v1__sa_stats__init(&sa[i]);
		sa[i].has_spi = sa[i].has_inbound = sa[i].has_packets = sa[i].has_bytes = 1;
		sa[i].has_seq = sa[i].has_lease_limit = 1;
		sa[i].spi = s->spi;
		sa[i].inbound = s->inbound;
		sa[i].packets = s->packets;
		sa[i].bytes = s->bytes;
		sa[i].seq = s->seq;
		sa[i].lease_limit = s->lease_limit;
		psa[i] = &sa[i];
	}
	for (size_t i = 0; i < m->u.stats.ndrops; i++) {
		tandem__engine__v1__drop_count__init(&dc[i]);
		dc[i].reason = (char *)(uintptr_t)m->u.stats.drops[i].reason;
		dc[i].has_count = 1;
		dc[i].count = m->u.stats.drops[i].count;
		pdc[i] = &dc[i];
	}
	st.n_sa = m->u.stats.nsa;
	st.sa = psa;
	st.n_drops = m->u.stats.ndrops;
	st.drops = pdc;
	f->msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_STATS;
	f->stats = &st;
	rc = pack_from(f, out, cap, len);
	f->stats = NULL; /* st dies here */
out:
	free(sa);
	free(dc);
	free(psa);
	free(pdc);
	return rc;
}

int
engine_from_encode(const struct engine_from *m, uint8_t *out, size_t cap, size_t *len)
{
	struct enc_from e;

	tandem__engine__v1__from_engine__init(&e.f);
	e.f.has_version = e.f.has_req = 1;
	e.f.version = ENGINE_VERSION;
	e.f.req = m->req;
	if (m->type == ENGINE_FROM_STATS)
		return enc_stats(m, &e.f, out, cap, len);
	enc_from_events(m, &e);
	if (e.f.msg_case == TANDEM__ENGINE__V1__FROM_ENGINE__MSG__NOT_SET)
		return -EINVAL;
	return pack_from(&e.f, out, cap, len);
}

/* ---- FromEngine: decode (tandemd's side, for tests) ------------------------------------- */

static int
dec_stats(const Tandem__Engine__V1__Stats *st, struct engine_from *m)
{
	m->u.stats.sa = calloc(st->n_sa + 1, sizeof(*m->u.stats.sa));
	m->u.stats.drops = calloc(st->n_drops + 1, sizeof(*m->u.stats.drops));
	if (!m->u.stats.sa || !m->u.stats.drops)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_sa; i++) {
		struct engine_sa_stat *o = &m->u.stats.sa[i];

		o->spi = st->sa[i]->spi;
		o->inbound = st->sa[i]->inbound;
		o->packets = st->sa[i]->packets;
		o->bytes = st->sa[i]->bytes;
		o->seq = st->sa[i]->seq;
		o->lease_limit = st->sa[i]->lease_limit;
		m->u.stats.nsa++;
	}
	for (size_t i = 0; i < st->n_drops; i++) {
		m->u.stats.drops[i].reason =
		        strdup(st->drops[i]->reason ? st->drops[i]->reason : "");
		if (!m->u.stats.drops[i].reason)
			return -ENOMEM;
		m->u.stats.drops[i].count = st->drops[i]->count;
		m->u.stats.ndrops++;
	}
	return 0;
}

static int
dec_ike(const Tandem__Engine__V1__IkePacket *k, struct engine_from *m)
{
	uint8_t *d = malloc(k->data.len + 1);

	if (!d)
		return -ENOMEM;
	memcpy(d, k->data.data, k->data.len);
	m->u.ike.data = d;
	m->u.ike.len = k->data.len;
	if (!addr_get(k->has_src_addr, k->src_addr, &m->u.ike.src.family, m->u.ike.src.addr) ||
	    !addr_get(k->has_dst_addr, k->dst_addr, &m->u.ike.dst.family, m->u.ike.dst.addr))
		return -EBADMSG;
	m->u.ike.src.port = (uint16_t)k->src_port;
	m->u.ike.dst.port = (uint16_t)k->dst_port;
	return 0;
}

static int
dec_from_body(const FromEngine *f, struct engine_from *m)
{
	switch (f->msg_case) {
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_READY:
		m->type = ENGINE_FROM_READY;
		m->u.ready.pid = f->ready->pid;
		m->u.ready.workers = f->ready->workers;
		return 0;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_HEARTBEAT:
		m->type = ENGINE_FROM_HEARTBEAT;
		m->u.hb.seq = f->heartbeat->seq;
		m->u.hb.packets_in = f->heartbeat->packets_in;
		m->u.hb.packets_out = f->heartbeat->packets_out;
		return 0;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_ACK:
		m->type = ENGINE_FROM_ACK;
		m->u.ack.error = f->ack->error;
		copy_str(m->u.ack.message, sizeof(m->u.ack.message), f->ack->message);
		return 0;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_LEASE_REQUEST:
		m->type = ENGINE_FROM_LEASE_REQUEST;
		m->u.lease.spi = f->lease_request->spi;
		m->u.lease.used = f->lease_request->used;
		m->u.lease.limit = f->lease_request->limit;
		return 0;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_REPLAY_REPORT:
		m->type = ENGINE_FROM_REPLAY_REPORT;
		m->u.replay.spi = f->replay_report->spi;
		m->u.replay.highest = f->replay_report->highest;
		return 0;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_LIFETIME:
		m->type = ENGINE_FROM_LIFETIME;
		m->u.life.spi = f->lifetime->spi;
		m->u.life.inbound = f->lifetime->inbound;
		m->u.life.hard = f->lifetime->hard;
		m->u.life.bytes = f->lifetime->bytes;
		return 0;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_STATS:
		m->type = ENGINE_FROM_STATS;
		return dec_stats(f->stats, m);
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_IKE_PACKET:
		m->type = ENGINE_FROM_IKE_PACKET;
		return dec_ike(f->ike_packet, m);
	default:
		return -EPROTO;
	}
}

int
engine_from_decode(const uint8_t *p, size_t len, struct engine_from *m)
{
	FromEngine *f;
	int rc;

	memset(m, 0, sizeof(*m));
	f = tandem__engine__v1__from_engine__unpack(NULL, len, p);
	if (!f)
		return -EBADMSG;
	m->req = f->has_req ? f->req : 0;
	rc = dec_from_body(f, m);
	tandem__engine__v1__from_engine__free_unpacked(f, NULL);
	if (rc < 0)
		engine_from_clear(m);
	return rc;
}

void
engine_from_clear(struct engine_from *m)
{
	if (m->type == ENGINE_FROM_STATS) {
		for (size_t i = 0; i < m->u.stats.ndrops; i++)
			free((char *)(uintptr_t)m->u.stats.drops[i].reason);
		free(m->u.stats.sa);
		free(m->u.stats.drops);
	} else if (m->type == ENGINE_FROM_IKE_PACKET) {
		free((uint8_t *)(uintptr_t)m->u.ike.data);
	}
	memset(m, 0, sizeof(*m));
}
