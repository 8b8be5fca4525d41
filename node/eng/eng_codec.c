/* SPDX-License-Identifier: MIT */
/*
 * Engine channel codec (eng_codec.h). protobuf-c structs live only inside these functions:
 * encoders point them at the caller's data and pack; the decoder unpacks, copies what it
 * needs into struct eng_msg and frees the unpacked message before returning.
 */
#include "eng_codec.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "engine.pb-c.h"

typedef Tandem__Engine__V1__ToEngine to_engine_t;
typedef Tandem__Engine__V1__FromEngine from_engine_t;

/* ---- encoding ---------------------------------------------------------------------------- */

static void
eng_to_init(to_engine_t *m, uint64_t req)
{
	tandem__engine__v1__to_engine__init(m);
	m->has_version = 1;
	m->version = ENG_PROTO_VERSION;
	m->has_req = req != 0;
	m->req = req;
}

static int
eng_pack(const to_engine_t *m, struct buf *out)
{
	size_t n = tandem__engine__v1__to_engine__get_packed_size(m);
	uint8_t *d;

	if (n > ENG_MSG_MAX)
		return -EMSGSIZE;
	d = buf_reserve(out, n);
	if (!d)
		return -ENOMEM;
	tandem__engine__v1__to_engine__pack(m, d);
	return 0;
}

/* protobuf-c's structs take non-const pointers; packing only reads them. */
static char *
eng_str(const char *s)
{
	return (char *)(uintptr_t)s;
}

static ProtobufCBinaryData
eng_bytes(const void *p, size_t len)
{
	ProtobufCBinaryData b = {.len = len, .data = (uint8_t *)(uintptr_t)p};

	return b;
}

static size_t
eng_family_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int
eng_codec_hello(uint64_t req, const struct eng_hello *h, struct buf *out)
{
	Tandem__Engine__V1__Hello hm;
	to_engine_t m;

	tandem__engine__v1__hello__init(&hm);
	hm.group = eng_str(h->group);
	hm.has_heartbeat_ms = hm.has_lease_refill_pct = hm.has_replay_report_every = 1;
	hm.heartbeat_ms = h->heartbeat_ms;
	hm.lease_refill_pct = h->lease_refill_pct;
	hm.replay_report_every = h->replay_report_every;
	hm.has_workers = 1;
	hm.workers = h->workers;
	hm.log_level = eng_str(h->log_level);
	eng_to_init(&m, req);
	m.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_HELLO;
	m.hello = &hm;
	return eng_pack(&m, out);
}

int
eng_codec_attach_tun(uint64_t req, const char *tunnel, const char *ifname, uint32_t mtu,
                     uint32_t df_bit, bool vnet_hdr, struct buf *out)
{
	Tandem__Engine__V1__AttachTun at;
	to_engine_t m;

	tandem__engine__v1__attach_tun__init(&at);
	at.tunnel = eng_str(tunnel);
	at.ifname = eng_str(ifname);
	at.has_mtu = at.has_df_bit = at.has_vnet_hdr = 1;
	at.mtu = mtu;
	at.df_bit = df_bit;
	at.vnet_hdr = vnet_hdr;
	eng_to_init(&m, req);
	m.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_ATTACH_TUN;
	m.attach_tun = &at;
	return eng_pack(&m, out);
}

int
eng_codec_attach_socket(uint64_t req, const struct sockaddr_storage *local, struct buf *out)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)local;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)local;
	Tandem__Engine__V1__AttachSocket as;
	to_engine_t m;

	tandem__engine__v1__attach_socket__init(&as);
	as.has_local_addr = as.has_local_port = 1;
	if (local->ss_family == AF_INET) {
		as.local_addr = eng_bytes(&s4->sin_addr, 4);
		as.local_port = ntohs(s4->sin_port);
	} else if (local->ss_family == AF_INET6) {
		as.local_addr = eng_bytes(&s6->sin6_addr, 16);
		as.local_port = ntohs(s6->sin6_port);
	} else {
		return -EAFNOSUPPORT;
	}
	eng_to_init(&m, req);
	m.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_ATTACH_SOCKET;
	m.attach_socket = &as;
	return eng_pack(&m, out);
}

int
eng_codec_detach_tun(uint64_t req, const char *tunnel, struct buf *out)
{
	Tandem__Engine__V1__DetachTun dt;
	to_engine_t m;

	tandem__engine__v1__detach_tun__init(&dt);
	dt.tunnel = eng_str(tunnel);
	eng_to_init(&m, req);
	m.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_DETACH_TUN;
	m.detach_tun = &dt;
	return eng_pack(&m, out);
}

/* Fills ts (caller storage) from n esp_ts; pointers go into v. */
static void
eng_ts_fill(const struct esp_ts *src, unsigned n, Tandem__Engine__V1__TrafficSelector *ts,
            Tandem__Engine__V1__TrafficSelector **v)
{
	for (unsigned i = 0; i < n; i++) {
		size_t alen = eng_family_len(src[i].family);

		tandem__engine__v1__traffic_selector__init(&ts[i]);
		ts[i].has_start = ts[i].has_end = 1;
		ts[i].start = eng_bytes(src[i].start, alen);
		ts[i].end = eng_bytes(src[i].end, alen);
		ts[i].has_proto = ts[i].has_sport = ts[i].has_eport = 1;
		ts[i].proto = src[i].proto;
		ts[i].sport = src[i].sport;
		ts[i].eport = src[i].eport;
		v[i] = &ts[i];
	}
}

static void
eng_sa_fill_ids(Tandem__Engine__V1__SaParams *sp, const struct esp_sa_params *p)
{
	sp->has_spi = sp->has_inbound = sp->has_child_id = 1;
	sp->spi = p->spi;
	sp->inbound = p->inbound;
	sp->child_id = p->child_id;
	sp->tunnel = eng_str(p->tunnel);
	sp->ifname = eng_str(p->ifname);
	sp->has_encr = sp->has_integ = sp->has_enc_key = sp->has_integ_key = 1;
	sp->encr = (uint32_t)p->encr;
	sp->integ = (uint32_t)p->integ;
	sp->enc_key = eng_bytes(p->enc_key.s_data, p->enc_key.s_len);
	sp->integ_key = eng_bytes(p->integ_key.s_data, p->integ_key.s_len);
	sp->has_esn = sp->has_replay_window = 1;
	sp->esn = p->esn;
	sp->replay_window = p->replay_window;
}

static void
eng_sa_fill_outer(Tandem__Engine__V1__SaParams *sp, const struct esp_sa_params *p)
{
	size_t alen = eng_family_len(p->family);

	sp->has_local_addr = sp->has_remote_addr = 1;
	sp->local_addr = eng_bytes(p->local, alen);
	sp->remote_addr = eng_bytes(p->remote, alen);
	sp->has_udp_encap = sp->has_local_port = sp->has_remote_port = 1;
	sp->udp_encap = p->udp_encap;
	sp->local_port = p->local_port;
	sp->remote_port = p->remote_port;
	sp->has_df_bit = sp->has_mtu = 1;
	sp->df_bit = (uint32_t)p->df_bit;
	sp->mtu = p->mtu;
	sp->has_soft_bytes = sp->has_hard_bytes = sp->has_seq_start = sp->has_lease_limit = 1;
	sp->soft_bytes = p->soft_bytes;
	sp->hard_bytes = p->hard_bytes;
	sp->seq_start = p->seq_start;
	sp->lease_limit = p->lease_limit;
}

int
eng_codec_install_sa(uint64_t req, const struct esp_sa_params *p, struct buf *out)
{
	Tandem__Engine__V1__TrafficSelector tsl[ESP_MAX_TS], tsr[ESP_MAX_TS];
	Tandem__Engine__V1__TrafficSelector *vl[ESP_MAX_TS], *vr[ESP_MAX_TS];
	Tandem__Engine__V1__SaParams sp;
	Tandem__Engine__V1__InstallSa is;
	to_engine_t m;

	if (!eng_family_len(p->family) || p->nts_local > ESP_MAX_TS || p->nts_remote > ESP_MAX_TS)
		return -EINVAL;
	tandem__engine__v1__sa_params__init(&sp);
	eng_sa_fill_ids(&sp, p);
	eng_sa_fill_outer(&sp, p);
	eng_ts_fill(p->ts_local, p->nts_local, tsl, vl);
	eng_ts_fill(p->ts_remote, p->nts_remote, tsr, vr);
	sp.n_ts_local = p->nts_local;
	sp.ts_local = vl;
	sp.n_ts_remote = p->nts_remote;
	sp.ts_remote = vr;
	tandem__engine__v1__install_sa__init(&is);
	is.sa = &sp;
	eng_to_init(&m, req);
	m.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_INSTALL_SA;
	m.install_sa = &is;
	return eng_pack(&m, out);
}

int
eng_codec_delete_sa(uint64_t req, uint32_t spi, bool inbound, struct buf *out)
{
	Tandem__Engine__V1__DeleteSa ds;
	to_engine_t m;

	tandem__engine__v1__delete_sa__init(&ds);
	ds.has_spi = ds.has_inbound = 1;
	ds.spi = spi;
	ds.inbound = inbound;
	eng_to_init(&m, req);
	m.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_DELETE_SA;
	m.delete_sa = &ds;
	return eng_pack(&m, out);
}

int
eng_codec_grant_lease(uint64_t req, uint32_t spi, uint64_t limit, struct buf *out)
{
	Tandem__Engine__V1__GrantLease gl;
	to_engine_t m;

	tandem__engine__v1__grant_lease__init(&gl);
	gl.has_spi = gl.has_limit = 1;
	gl.spi = spi;
	gl.limit = limit;
	eng_to_init(&m, req);
	m.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_GRANT_LEASE;
	m.grant_lease = &gl;
	return eng_pack(&m, out);
}

int
eng_codec_shutdown(uint64_t req, struct buf *out)
{
	Tandem__Engine__V1__Shutdown sd;
	to_engine_t m;

	tandem__engine__v1__shutdown__init(&sd);
	eng_to_init(&m, req);
	m.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_SHUTDOWN;
	m.shutdown = &sd;
	return eng_pack(&m, out);
}

int
eng_codec_query_stats(uint64_t req, struct buf *out)
{
	Tandem__Engine__V1__QueryStats qs;
	to_engine_t m;

	tandem__engine__v1__query_stats__init(&qs);
	eng_to_init(&m, req);
	m.msg_case = TANDEM__ENGINE__V1__TO_ENGINE__MSG_QUERY_STATS;
	m.query_stats = &qs;
	return eng_pack(&m, out);
}

/* ---- decoding ---------------------------------------------------------------------------- */

/* A 4- or 16-byte address and a port into a sockaddr. */
static int
eng_sockaddr(protobuf_c_boolean has, const ProtobufCBinaryData *a, uint32_t port,
             struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (!has || port > 65535)
		return -EPROTO;
	if (a->len == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, a->data, 4);
	} else if (a->len == 16) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, a->data, 16);
	} else {
		return -EPROTO;
	}
	return 0;
}

/* Printable ASCII only, truncated: engine text ends up in logs and hactl output. */
static void
eng_copy_text(char *dst, size_t cap, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < cap; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static int
eng_decode_stats(const Tandem__Engine__V1__Stats *s, struct eng_msg *m)
{
	if (s->n_sa > ENG_MAX_STATS_SA || s->n_drops > ENG_MAX_STATS_DROPS)
		return -E2BIG;
	m->u.stats.sa = s->n_sa ? calloc(s->n_sa, sizeof(*m->u.stats.sa)) : NULL;
	m->u.stats.drops = s->n_drops ? calloc(s->n_drops, sizeof(*m->u.stats.drops)) : NULL;
	if ((s->n_sa && !m->u.stats.sa) || (s->n_drops && !m->u.stats.drops))
		return -ENOMEM;
	for (size_t i = 0; i < s->n_sa; i++) {
		const Tandem__Engine__V1__SaStats *in = s->sa[i];
		struct eng_msg_sa_stats *o = &m->u.stats.sa[i];

		o->spi = in->spi;
		o->inbound = in->inbound;
		o->packets = in->packets;
		o->bytes = in->bytes;
		o->seq = in->seq;
		o->lease_limit = in->lease_limit;
	}
	for (size_t i = 0; i < s->n_drops; i++) {
		eng_copy_text(m->u.stats.drops[i].reason, sizeof(m->u.stats.drops[i].reason),
		              s->drops[i]->reason);
		m->u.stats.drops[i].count = s->drops[i]->count;
	}
	m->u.stats.nsa = s->n_sa;
	m->u.stats.ndrops = s->n_drops;
	return 0;
}

static int
eng_decode_ike(const Tandem__Engine__V1__IkePacket *ip, struct eng_msg *m)
{
	if (eng_sockaddr(ip->has_src_addr, &ip->src_addr, ip->src_port, &m->u.ike.src) < 0 ||
	    eng_sockaddr(ip->has_dst_addr, &ip->dst_addr, ip->dst_port, &m->u.ike.dst) < 0 ||
	    !ip->has_data || ip->data.len == 0 || ip->data.len > ENG_MSG_MAX)
		return -EPROTO;
	m->u.ike.data = malloc(ip->data.len);
	if (!m->u.ike.data)
		return -ENOMEM;
	memcpy(m->u.ike.data, ip->data.data, ip->data.len);
	m->u.ike.len = ip->data.len;
	return 0;
}

/* The small messages: fields copied as they are; a missing SPI is a protocol error. */
static int
eng_decode_small(const from_engine_t *f, struct eng_msg *m)
{
	switch (f->msg_case) {
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_READY:
		m->type = ENG_MSG_READY;
		m->u.ready.pid = f->ready->pid;
		m->u.ready.workers = f->ready->workers;
		return 0;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_HEARTBEAT:
		m->type = ENG_MSG_HEARTBEAT;
		m->u.hb.seq = f->heartbeat->seq;
		m->u.hb.packets_in = f->heartbeat->packets_in;
		m->u.hb.packets_out = f->heartbeat->packets_out;
		return 0;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_ACK:
		m->type = ENG_MSG_ACK;
		m->u.ack.error = f->ack->error;
		eng_copy_text(m->u.ack.message, sizeof(m->u.ack.message), f->ack->message);
		return f->ack->error < 0 ? -EPROTO : 0;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_LEASE_REQUEST:
		m->type = ENG_MSG_LEASE_REQUEST;
		m->u.lease.spi = f->lease_request->spi;
		m->u.lease.used = f->lease_request->used;
		m->u.lease.limit = f->lease_request->limit;
		return f->lease_request->has_spi ? 0 : -EPROTO;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_REPLAY_REPORT:
		m->type = ENG_MSG_REPLAY_REPORT;
		m->u.replay.spi = f->replay_report->spi;
		m->u.replay.highest = f->replay_report->highest;
		return f->replay_report->has_spi ? 0 : -EPROTO;
	case TANDEM__ENGINE__V1__FROM_ENGINE__MSG_LIFETIME:
		m->type = ENG_MSG_LIFETIME;
		m->u.lifetime.spi = f->lifetime->spi;
		m->u.lifetime.inbound = f->lifetime->inbound;
		m->u.lifetime.hard = f->lifetime->hard;
		m->u.lifetime.bytes = f->lifetime->bytes;
		return f->lifetime->has_spi ? 0 : -EPROTO;
	default:
		return -EPROTO;
	}
}

int
eng_codec_decode(const uint8_t *p, size_t len, struct eng_msg *m)
{
	from_engine_t *f;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > ENG_MSG_MAX)
		return -EPROTO;
	f = tandem__engine__v1__from_engine__unpack(NULL, len, p);
	if (!f)
		return -EPROTO;
	m->req = f->req;
	if (f->has_version && f->version != ENG_PROTO_VERSION) {
		rc = -EPROTO;
	} else if (f->msg_case == TANDEM__ENGINE__V1__FROM_ENGINE__MSG_STATS) {
		m->type = ENG_MSG_STATS;
		rc = eng_decode_stats(f->stats, m);
	} else if (f->msg_case == TANDEM__ENGINE__V1__FROM_ENGINE__MSG_IKE_PACKET) {
		m->type = ENG_MSG_IKE_PACKET;
		rc = eng_decode_ike(f->ike_packet, m);
	} else {
		rc = eng_decode_small(f, m);
	}
	tandem__engine__v1__from_engine__free_unpacked(f, NULL);
	if (rc < 0)
		eng_msg_fini(m);
	return rc;
}

void
eng_msg_fini(struct eng_msg *m)
{
	if (m->type == ENG_MSG_STATS) {
		free(m->u.stats.sa);
		free(m->u.stats.drops);
	} else if (m->type == ENG_MSG_IKE_PACKET) {
		free(m->u.ike.data);
	}
	memset(m, 0, sizeof(*m));
}

const char *
eng_msg_type_name(enum eng_msg_type t)
{
	static const char *const names[] = {
	        [ENG_MSG_READY] = "ready",
	        [ENG_MSG_HEARTBEAT] = "heartbeat",
	        [ENG_MSG_ACK] = "ack",
	        [ENG_MSG_LEASE_REQUEST] = "lease request",
	        [ENG_MSG_REPLAY_REPORT] = "replay report",
	        [ENG_MSG_LIFETIME] = "lifetime event",
	        [ENG_MSG_STATS] = "stats",
	        [ENG_MSG_IKE_PACKET] = "IKE packet",
	};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "?";
}
