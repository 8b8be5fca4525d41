/* SPDX-License-Identifier: MIT */
/*
 * The replication codec (sync_codec.h): SyncMsg envelopes, node records, IKE SA states with
 * their Child SAs and keys, deletes, leases, replay reports and snapshot messages. The only
 * file that includes sync.pb-c.h. Two phases for untrusted bytes (STYLE.md §2.6): a wire scan
 * that checks structure and caps every repeated count before protobuf-c allocates anything,
 * then semantic checks of each value (enums, key lengths against the algorithms, addresses,
 * names). SaUpdate and SnapshotChunk bodies are framed by hand around raw SaUpdate bytes so
 * that a store can keep and resend them without decoding and re-encoding.
 */
#include "sync/sync_codec.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <protobuf-c/protobuf-c.h>

#include "node/core/cur.h"
#include "sync.pb-c.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* protobuf-c's structs hold non-const pointers; packing only reads them */
#define PB_STR(s)  ((char *)(uintptr_t)(s))
#define PB_DATA(p) ((uint8_t *)(uintptr_t)(p))

static const char *const type_names[SYNC_T_COUNT] = {
        [SYNC_T_NONE] = "none",
        [SYNC_T_NODE] = "node",
        [SYNC_T_SA_UPDATE] = "sa_update",
        [SYNC_T_SA_DELETE] = "sa_delete",
        [SYNC_T_LEASE] = "lease",
        [SYNC_T_REPLAY] = "replay",
        [SYNC_T_SNAP_BEGIN] = "snap_begin",
        [SYNC_T_SNAP_CHUNK] = "snap_chunk",
        [SYNC_T_SNAP_END] = "snap_end",
        [SYNC_T_HANDOVER] = "handover",
};

static const char *const rej_names[SYNC_REJ_NR] = {
        [SYNC_REJ_MALFORMED] = "malformed",   [SYNC_REJ_VERSION] = "version",
        [SYNC_REJ_NO_BODY] = "no_body",       [SYNC_REJ_SENDER] = "sender",
        [SYNC_REJ_COUNT] = "count",           [SYNC_REJ_KEY_LENGTH] = "key_length",
        [SYNC_REJ_ALGORITHM] = "algorithm",   [SYNC_REJ_FIELD] = "field",
        [SYNC_REJ_UNKNOWN_SA] = "unknown_sa", [SYNC_REJ_STALE] = "stale",
        [SYNC_REJ_NOT_ACTIVE] = "not_active", [SYNC_REJ_SNAPSHOT] = "snapshot",
};

const char *
sync_type_name(enum sync_type t)
{
	return (unsigned)t < SYNC_T_COUNT ? type_names[t] : "?";
}

const char *
sync_rej_name(enum sync_rej r)
{
	return (unsigned)r < SYNC_REJ_NR ? rej_names[r] : "?";
}

/* SyncMsg body field numbers (sync.proto), in enum sync_type order from SYNC_T_NODE */
#define BODY_FIRST 10u

/* ---- the wire scan ----------------------------------------------------------------------- */

/*
 * Protocol Buffers encoding (https://protobuf.dev/programming-guides/encoding/): a message is
 * a sequence of fields, each a varint key (field number << 3 | wire type) and a value: a
 * varint (0), 8 bytes (1), a varint length and that many bytes (2), or 4 bytes (5). Groups
 * (3, 4) are not used by sync.proto and are refused.
 */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

struct pb_field {
	uint32_t num;
	unsigned wt;
	uint64_t v;          /* varint value */
	struct sync_slice s; /* WT_LEN bytes */
};

static bool
pb_varint(struct cur *c, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t b;

		if (!cur_get_u8(c, &b))
			return false;
		/* the tenth byte may only hold the top bit of a 64-bit value */
		if (i == 9 && b > 1)
			return false;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* Reads the next field; false at the end (*bad = false) or on broken structure (*bad). */
static bool
pb_next(struct cur *c, struct pb_field *f, bool *bad)
{
	uint64_t key, n;
	struct cur view;

	*bad = false;
	if (cur_left(c) == 0)
		return false;
	*bad = true;
	if (!pb_varint(c, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
		return false;
	f->num = (uint32_t)(key >> 3);
	f->wt = (unsigned)(key & 7);
	f->v = 0;
	f->s.p = NULL;
	f->s.len = 0;
	switch (f->wt) {
	case WT_VARINT:
		if (!pb_varint(c, &f->v))
			return false;
		break;
	case WT_I64:
		if (!cur_skip(c, 8))
			return false;
		break;
	case WT_I32:
		if (!cur_skip(c, 4))
			return false;
		break;
	case WT_LEN:
		if (!pb_varint(c, &n) || n > cur_left(c) || !cur_get_bytes(c, (size_t)n, &view))
			return false;
		f->s.p = view.p;
		f->s.len = view.len;
		break;
	default:
		return false;
	}
	*bad = false;
	return true;
}

/* Counts the occurrences of length-delimited field `num` in a message; -1 if broken. */
static long
pb_count(struct sync_slice m, uint32_t num)
{
	struct cur c = cur_make(m.p, m.len);
	struct pb_field f;
	long n = 0;
	bool bad;

	while (pb_next(&c, &f, &bad))
		if (f.num == num) {
			if (f.wt != WT_LEN)
				return -1;
			n++;
		}
	return bad ? -1 : n;
}

/* The last occurrence of length-delimited field num (protobuf: the last one wins). */
static bool
pb_find(struct sync_slice m, uint32_t num, struct sync_slice *out, bool *bad)
{
	struct cur c = cur_make(m.p, m.len);
	struct pb_field f;
	bool found = false;

	while (pb_next(&c, &f, bad))
		if (f.num == num && f.wt == WT_LEN) {
			*out = f.s;
			found = true;
		}
	return found && !*bad;
}

/* ---- hand framing ------------------------------------------------------------------------ */

/* Writes a varint into p (room for 10); returns its length. */
static size_t
pb_varint_to(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			p[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

static bool
pb_put_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];

	return buf_put(b, tmp, pb_varint_to(tmp, v));
}

static bool
pb_put_uint(struct buf *b, uint32_t num, uint64_t v)
{
	return pb_put_varint(b, (uint64_t)num << 3 | WT_VARINT) && pb_put_varint(b, v);
}

static bool
pb_put_bytes(struct buf *b, uint32_t num, const uint8_t *p, size_t len)
{
	return pb_put_varint(b, (uint64_t)num << 3 | WT_LEN) && pb_put_varint(b, len) &&
	       (len == 0 || buf_put(b, p, len));
}

/* ---- small helpers ----------------------------------------------------------------------- */

static void
bin_set(ProtobufCBinaryData *d, protobuf_c_boolean *has, const struct secret *s)
{
	d->data = s->s_data;
	d->len = s->s_len;
	*has = s->s_len > 0;
}

static int
secret_from(struct secret *s, protobuf_c_boolean has, const ProtobufCBinaryData *d)
{
	if (!has || d->len == 0)
		return 0;
	return secret_set(s, d->data, d->len);
}

static int64_t
to_unix(uint64_t t_ms, const struct sync_clock *clk)
{
	if (!t_ms)
		return 0;
	return (int64_t)t_ms - (int64_t)clk->mono_ms + clk->unix_ms;
}

/* Unix ms back to this node's engine clock; a time already past becomes 1 (due at once). */
static uint64_t
from_unix(int64_t unix_ms, const struct sync_clock *clk)
{
	int64_t t;

	if (unix_ms <= 0)
		return 0;
	t = unix_ms - clk->unix_ms + (int64_t)clk->mono_ms;
	return t > 0 ? (uint64_t)t : 1;
}

/* ---- addresses, identities, selectors ------------------------------------------------- */

static void
addr_to_pb(const struct sockaddr_storage *ss, Tandem__Sync__V1__Address *a)
{
	tandem__sync__v1__address__init(a);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		a->addr.data = PB_DATA(&in->sin_addr);
		a->addr.len = 4;
		a->port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		a->addr.data = PB_DATA(&in6->sin6_addr);
		a->addr.len = 16;
		a->port = ntohs(in6->sin6_port);
	}
	a->has_addr = a->addr.len > 0;
	a->has_port = a->has_addr;
}

static int
addr_from_pb(const Tandem__Sync__V1__Address *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (!a || !a->has_addr || (a->has_port && a->port > 65535))
		return -1;
	if (a->addr.len == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a->addr.data, 4);
		in->sin_port = htons((uint16_t)a->port);
		return 0;
	}
	if (a->addr.len == 16) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, a->addr.data, 16);
		in6->sin6_port = htons((uint16_t)a->port);
		return 0;
	}
	return -1;
}

static void
id_to_pb(const struct cfg_id *id, Tandem__Sync__V1__Identity *p)
{
	tandem__sync__v1__identity__init(p);
	p->has_type = 1;
	p->type = id->type;
	p->has_data = id->len > 0;
	p->data.data = PB_DATA(id->data);
	p->data.len = id->len;
}

static int
id_from_pb(const Tandem__Sync__V1__Identity *p, struct cfg_id *id)
{
	memset(id, 0, sizeof(*id));
	if (!p)
		return 0; /* no identity (CFG_ID_NONE) */
	if (p->type > CFG_ID_KEY_ID || (p->has_data && p->data.len > CFG_ID_MAX))
		return -1;
	id->type = (enum cfg_id_type)p->type;
	id->len = p->has_data ? (uint16_t)p->data.len : 0;
	if (id->len)
		memcpy(id->data, p->data.data, id->len);
	if ((id->type == CFG_ID_IPV4 && id->len != 4) ||
	    (id->type == CFG_ID_IPV6 && id->len != 16) ||
	    (id->type == CFG_ID_NONE && id->len != 0) || (id->type > CFG_ID_IPV6 && id->len == 0))
		return -1;
	return 0;
}

static void
ts_to_pb(const struct esp_ts *ts, Tandem__Sync__V1__TrafficSelector *p)
{
	size_t alen = ts->family == AF_INET6 ? 16 : 4;

	tandem__sync__v1__traffic_selector__init(p);
	p->has_family = p->has_start = p->has_end = p->has_proto = 1;
	p->has_sport = p->has_eport = 1;
	p->family = ts->family == AF_INET6 ? 10 : 2;
	p->start.data = PB_DATA(ts->start);
	p->start.len = alen;
	p->end.data = PB_DATA(ts->end);
	p->end.len = alen;
	p->proto = ts->proto;
	p->sport = ts->sport;
	p->eport = ts->eport;
}

static int
ts_from_pb(const Tandem__Sync__V1__TrafficSelector *p, struct esp_ts *ts)
{
	size_t alen;

	memset(ts, 0, sizeof(*ts));
	if (!p->has_family || (p->family != 2 && p->family != 10))
		return -1;
	alen = p->family == 10 ? 16 : 4;
	if (!p->has_start || !p->has_end || p->start.len != alen || p->end.len != alen ||
	    p->proto > 255 || p->sport > 65535 || p->eport > 65535 || p->sport > p->eport)
		return -1;
	if (memcmp(p->start.data, p->end.data, alen) > 0)
		return -1;
	ts->family = p->family == 10 ? AF_INET6 : AF_INET;
	memcpy(ts->start, p->start.data, alen);
	memcpy(ts->end, p->end.data, alen);
	ts->proto = (uint8_t)p->proto;
	ts->sport = (uint16_t)p->sport;
	ts->eport = (uint16_t)p->eport;
	return 0;
}

/* ---- IKE SA states: encoding ----------------------------------------------------------- */

/* Everything one encoded state points into; lives on the encoder's stack and heap. */
struct enc_scratch {
	Tandem__Sync__V1__IkeSa sa;
	Tandem__Sync__V1__Address local, remote;
	Tandem__Sync__V1__Identity idl, idr;
	Tandem__Sync__V1__ChildSa cs[IKE_STATE_MAX_CHILDREN];
	Tandem__Sync__V1__ChildSa *csp[IKE_STATE_MAX_CHILDREN];
	Tandem__Sync__V1__TrafficSelector ts[IKE_STATE_MAX_CHILDREN][2 * ESP_MAX_TS];
	Tandem__Sync__V1__TrafficSelector *tsp[IKE_STATE_MAX_CHILDREN][2 * ESP_MAX_TS];
};

static void
child_to_pb(const struct ike_child_state *c, const struct sync_clock *clk,
            Tandem__Sync__V1__ChildSa *p, Tandem__Sync__V1__TrafficSelector *ts,
            Tandem__Sync__V1__TrafficSelector **tsp)
{
	const struct esp_ts *l = ike_child_ts_local(c), *r = ike_child_ts_remote(c);

	tandem__sync__v1__child_sa__init(p);
	p->has_child_id = p->has_spi_in = p->has_spi_out = p->has_seq_index = 1;
	p->has_encr = p->has_integ = p->has_pfs_group = p->has_esn = p->has_udp_encap = 1;
	p->has_replay_window = p->has_established_unix_ms = p->has_rekey_at_unix_ms = 1;
	p->has_expire_at_unix_ms = p->has_soft_bytes = p->has_hard_bytes = 1;
	p->has_out_lease_limit = p->has_in_highest = p->has_rekeyed = 1;
	p->child_id = c->child_id;
	p->spi_in = c->spi_in;
	p->spi_out = c->spi_out;
	p->seq_index = c->seq_index;
	p->encr = c->encr;
	p->integ = c->integ;
	p->pfs_group = c->pfs_group;
	p->esn = c->esn;
	p->udp_encap = c->udp_encap;
	p->replay_window = c->replay_window;
	bin_set(&p->enc_in, &p->has_enc_in, &c->enc_in);
	bin_set(&p->integ_in, &p->has_integ_in, &c->integ_in);
	bin_set(&p->enc_out, &p->has_enc_out, &c->enc_out);
	bin_set(&p->integ_out, &p->has_integ_out, &c->integ_out);
	for (unsigned i = 0; i < c->nts_local; i++) {
		ts_to_pb(&l[i], &ts[i]);
		tsp[i] = &ts[i];
	}
	for (unsigned i = 0; i < c->nts_remote; i++) {
		ts_to_pb(&r[i], &ts[c->nts_local + i]);
		tsp[c->nts_local + i] = &ts[c->nts_local + i];
	}
	p->n_ts_local = c->nts_local;
	p->ts_local = c->nts_local ? tsp : NULL;
	p->n_ts_remote = c->nts_remote;
	p->ts_remote = c->nts_remote ? tsp + c->nts_local : NULL;
	p->established_unix_ms =
	        c->established_ms ? to_unix(c->established_ms, clk) : c->established_unix * 1000;
	p->rekey_at_unix_ms = to_unix(c->rekey_at_ms, clk);
	p->expire_at_unix_ms = to_unix(c->expire_at_ms, clk);
	p->soft_bytes = c->soft_bytes;
	p->hard_bytes = c->hard_bytes;
	p->out_lease_limit = c->out_lease_limit;
	p->in_highest = c->in_highest;
	p->rekeyed = c->rekeyed;
}

static void
sa_to_pb(const struct ike_sa_state *st, const struct sync_clock *clk, struct enc_scratch *x)
{
	Tandem__Sync__V1__IkeSa *p = &x->sa;

	tandem__sync__v1__ike_sa__init(p);
	p->has_spi_i = p->has_spi_r = p->has_initiator = p->has_phase = 1;
	p->has_nat_local = p->has_nat_remote = p->has_encr = p->has_integ = p->has_prf = 1;
	p->has_dh_group = p->has_msgid_next_send = p->has_msgid_next_recv = 1;
	p->has_peer_msgid_sync = p->has_peer_replay_sync = p->has_established_unix_ms = 1;
	p->has_rekey_at_unix_ms = p->has_expire_at_unix_ms = 1;
	p->spi_i = st->spi_i;
	p->spi_r = st->spi_r;
	p->initiator = st->initiator;
	p->phase = st->phase;
	p->tunnel = PB_STR(st->tunnel);
	addr_to_pb(&st->local, &x->local);
	addr_to_pb(&st->remote, &x->remote);
	p->local = &x->local;
	p->remote = &x->remote;
	p->nat_local = st->nat_local;
	p->nat_remote = st->nat_remote;
	id_to_pb(&st->id_local, &x->idl);
	id_to_pb(&st->id_remote, &x->idr);
	p->id_local = &x->idl;
	p->id_remote = &x->idr;
	p->encr = st->encr;
	p->integ = st->integ;
	p->prf = st->prf;
	p->dh_group = st->dh_group;
	bin_set(&p->sk_d, &p->has_sk_d, &st->sk_d);
	bin_set(&p->sk_ai, &p->has_sk_ai, &st->sk_ai);
	bin_set(&p->sk_ar, &p->has_sk_ar, &st->sk_ar);
	bin_set(&p->sk_ei, &p->has_sk_ei, &st->sk_ei);
	bin_set(&p->sk_er, &p->has_sk_er, &st->sk_er);
	bin_set(&p->sk_pi, &p->has_sk_pi, &st->sk_pi);
	bin_set(&p->sk_pr, &p->has_sk_pr, &st->sk_pr);
	p->msgid_next_send = st->msgid_next_send;
	p->msgid_next_recv = st->msgid_next_recv;
	p->peer_msgid_sync = st->peer_msgid_sync;
	p->peer_replay_sync = st->peer_replay_sync;
	p->established_unix_ms =
	        st->established_ms ? to_unix(st->established_ms, clk) : st->established_unix * 1000;
	p->rekey_at_unix_ms = to_unix(st->rekey_at_ms, clk);
	p->expire_at_unix_ms = to_unix(st->expire_at_ms, clk);
	for (unsigned i = 0; i < st->nchildren; i++) {
		child_to_pb(&st->child[i], clk, &x->cs[i], x->ts[i], x->tsp[i]);
		x->csp[i] = &x->cs[i];
	}
	p->n_child = st->nchildren;
	p->child = st->nchildren ? x->csp : NULL;
	p->has_old_spi_i = p->has_old_spi_r = st->old_spi_i || st->old_spi_r;
	p->old_spi_i = st->old_spi_i;
	p->old_spi_r = st->old_spi_r;
	p->has_req_kind = p->has_req_msgid = p->has_req_child_id = p->has_req_spi = 1;
	p->req_kind = st->req_kind;
	p->req_msgid = st->req_msgid;
	p->req_child_id = st->req_child_id;
	p->req_spi = st->req_spi;
	bin_set(&p->req_out, &p->has_req_out, &st->req_out);
	bin_set(&p->resp_last, &p->has_resp_last, &st->resp_last);
}

int
sync_encode_sa_update(const struct ike_sa_state *st, uint32_t change, uint64_t commit,
                      const struct sync_clock *clk, struct buf *out)
{
	Tandem__Sync__V1__SaUpdate u;
	struct enc_scratch *x;
	uint8_t *d;
	size_t n;

	if (st->nchildren > IKE_STATE_MAX_CHILDREN || (st->nchildren && !st->child))
		return -EINVAL;
	for (unsigned i = 0; i < st->nchildren; i++)
		if (st->child[i].nts_local > ESP_MAX_TS || st->child[i].nts_remote > ESP_MAX_TS)
			return -EINVAL;
	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	sa_to_pb(st, clk, x);
	tandem__sync__v1__sa_update__init(&u);
	u.has_commit = u.has_change = 1;
	u.commit = commit;
	u.change = change;
	u.sa = &x->sa;
	n = tandem__sync__v1__sa_update__get_packed_size(&u);
	d = buf_reserve(out, n);
	if (d)
		tandem__sync__v1__sa_update__pack(&u, d);
	free(x);
	return d ? 0 : -ENOMEM;
}

/* ---- IKE SA states: decoding ----------------------------------------------------------- */

/* The algorithm tables' key lengths; false for a value outside them. */
static bool
encr_len(uint32_t e, size_t *len, bool *aead)
{
	const struct cfg_encr_info *i = e < CFG_ENCR_COUNT ? cfg_encr_info((enum cfg_encr)e) : NULL;

	if (!i)
		return false;
	*len = i->key_len;
	*aead = i->aead;
	return true;
}

static bool
integ_len(uint32_t v, size_t *len)
{
	const struct cfg_integ_info *i =
	        v < CFG_INTEG_COUNT ? cfg_integ_info((enum cfg_integ)v) : NULL;

	if (!i)
		return false;
	*len = i->key_len;
	return true;
}

static bool
blob_len_is(protobuf_c_boolean has, const ProtobufCBinaryData *d, size_t want)
{
	return (has ? d->len : 0) == want;
}

static int
child_from_pb(const Tandem__Sync__V1__ChildSa *p, const struct sync_clock *clk,
              struct ike_child_state *c, enum sync_rej *why)
{
	struct esp_ts l[ESP_MAX_TS], r[ESP_MAX_TS];
	size_t ek, ik;
	bool aead;

	if (!encr_len(p->encr, &ek, &aead) || !integ_len(p->integ, &ik) ||
	    (p->pfs_group && !cfg_dh_group_supported((uint16_t)p->pfs_group)) ||
	    p->pfs_group > 0xffff || (aead && p->integ != CFG_INTEG_NONE)) {
		*why = SYNC_REJ_ALGORITHM;
		return -EBADMSG;
	}
	if (!blob_len_is(p->has_enc_in, &p->enc_in, ek) ||
	    !blob_len_is(p->has_enc_out, &p->enc_out, ek) ||
	    !blob_len_is(p->has_integ_in, &p->integ_in, ik) ||
	    !blob_len_is(p->has_integ_out, &p->integ_out, ik)) {
		*why = SYNC_REJ_KEY_LENGTH;
		return -EBADMSG;
	}
	*why = SYNC_REJ_FIELD;
	if (!p->spi_in || !p->spi_out || p->replay_window > CFG_REPLAY_WINDOW_MAX)
		return -EBADMSG;
	*why = SYNC_REJ_COUNT;
	if (p->n_ts_local > ESP_MAX_TS || p->n_ts_remote > ESP_MAX_TS)
		return -EBADMSG;
	*why = SYNC_REJ_FIELD;
	for (size_t i = 0; i < p->n_ts_local; i++)
		if (ts_from_pb(p->ts_local[i], &l[i]))
			return -EBADMSG;
	for (size_t i = 0; i < p->n_ts_remote; i++)
		if (ts_from_pb(p->ts_remote[i], &r[i]))
			return -EBADMSG;
	c->child_id = p->child_id;
	c->spi_in = p->spi_in;
	c->spi_out = p->spi_out;
	c->seq_index = p->seq_index;
	c->encr = (enum cfg_encr)p->encr;
	c->integ = (enum cfg_integ)p->integ;
	c->pfs_group = (uint16_t)p->pfs_group;
	c->esn = p->esn;
	c->udp_encap = p->udp_encap;
	c->replay_window = p->replay_window;
	c->established_unix = p->established_unix_ms > 0 ? p->established_unix_ms / 1000 : 0;
	c->established_ms = from_unix(p->established_unix_ms, clk);
	c->rekey_at_ms = from_unix(p->rekey_at_unix_ms, clk);
	c->expire_at_ms = from_unix(p->expire_at_unix_ms, clk);
	c->soft_bytes = p->soft_bytes;
	c->hard_bytes = p->hard_bytes;
	c->out_lease_limit = p->out_lease_limit;
	c->in_highest = p->in_highest;
	c->rekeyed = p->rekeyed;
	if (secret_from(&c->enc_in, p->has_enc_in, &p->enc_in) ||
	    secret_from(&c->integ_in, p->has_integ_in, &p->integ_in) ||
	    secret_from(&c->enc_out, p->has_enc_out, &p->enc_out) ||
	    secret_from(&c->integ_out, p->has_integ_out, &p->integ_out) ||
	    ike_child_state_set_ts(c, l, (uint8_t)p->n_ts_local, r, (uint8_t)p->n_ts_remote))
		return -ENOMEM;
	return 0;
}

/* Tunnel names as the configuration allows them: 1..63 of [A-Za-z0-9_.:/-] (or none). */
static bool
name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= CFG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("_.:/-", ch)))
			return false;
	}
	return true;
}

/* The IKE SA keys (RFC 7296 §2.14): SK_d/pi/pr of the PRF's key length, SK_a of the integrity
 * algorithm's, SK_e of the cipher's (with the salt for AEAD); all absent before IKE_SA_INIT
 * completed. */
static int
sa_check_keys(const Tandem__Sync__V1__IkeSa *p, enum sync_rej *why)
{
	const struct cfg_prf_info *pi = p->prf < CFG_PRF_COUNT ? cfg_prf_info(p->prf) : NULL;
	size_t ek, ik;
	bool aead, none;

	*why = SYNC_REJ_ALGORITHM;
	if (!pi || !encr_len(p->encr, &ek, &aead) || p->encr == CFG_ENCR_NULL ||
	    !integ_len(p->integ, &ik) || (aead && p->integ != CFG_INTEG_NONE) ||
	    (!aead && p->integ == CFG_INTEG_NONE) || p->dh_group > 0xffff ||
	    (p->dh_group && !cfg_dh_group_supported((uint16_t)p->dh_group)))
		return -EBADMSG;
	*why = SYNC_REJ_KEY_LENGTH;
	none = !p->has_sk_d && !p->has_sk_ai && !p->has_sk_ar && !p->has_sk_ei && !p->has_sk_er &&
	       !p->has_sk_pi && !p->has_sk_pr;
	if (none)
		return p->phase < IKE_PHASE_ESTABLISHED ? 0 : -EBADMSG;
	if (!blob_len_is(p->has_sk_d, &p->sk_d, pi->key_len) ||
	    !blob_len_is(p->has_sk_pi, &p->sk_pi, pi->key_len) ||
	    !blob_len_is(p->has_sk_pr, &p->sk_pr, pi->key_len) ||
	    !blob_len_is(p->has_sk_ai, &p->sk_ai, ik) ||
	    !blob_len_is(p->has_sk_ar, &p->sk_ar, ik) ||
	    !blob_len_is(p->has_sk_ei, &p->sk_ei, ek) || !blob_len_is(p->has_sk_er, &p->sk_er, ek))
		return -EBADMSG;
	return 0;
}

static int
sa_from_pb(const Tandem__Sync__V1__IkeSa *p, const struct sync_clock *clk, struct ike_sa_state *st,
           enum sync_rej *why)
{
	int rc;

	*why = SYNC_REJ_FIELD;
	if (!p->has_spi_i || !p->spi_i || p->phase < IKE_PHASE_INIT_SENT ||
	    p->phase > IKE_PHASE_STANDBY || !name_ok(p->tunnel) || p->req_kind > IKE_REQ_NOTIFY ||
	    (p->has_req_out && p->req_out.len > SYNC_BLOB_MAX) ||
	    (p->has_resp_last && p->resp_last.len > SYNC_BLOB_MAX))
		return -EBADMSG;
	*why = SYNC_REJ_COUNT;
	if (p->n_child > IKE_STATE_MAX_CHILDREN)
		return -EBADMSG;
	rc = sa_check_keys(p, why);
	if (rc)
		return rc;
	*why = SYNC_REJ_FIELD;
	if (addr_from_pb(p->local, &st->local) || addr_from_pb(p->remote, &st->remote) ||
	    st->local.ss_family != st->remote.ss_family || id_from_pb(p->id_local, &st->id_local) ||
	    id_from_pb(p->id_remote, &st->id_remote))
		return -EBADMSG;
	st->spi_i = p->spi_i;
	st->spi_r = p->spi_r;
	st->initiator = p->initiator;
	st->phase = (enum ike_sa_phase)p->phase;
	if (p->tunnel)
		memcpy(st->tunnel, p->tunnel, strlen(p->tunnel) + 1);
	st->nat_local = p->nat_local;
	st->nat_remote = p->nat_remote;
	st->encr = (enum cfg_encr)p->encr;
	st->integ = (enum cfg_integ)p->integ;
	st->prf = (enum cfg_prf)p->prf;
	st->dh_group = (uint16_t)p->dh_group;
	st->msgid_next_send = p->msgid_next_send;
	st->msgid_next_recv = p->msgid_next_recv;
	st->peer_msgid_sync = p->peer_msgid_sync;
	st->peer_replay_sync = p->peer_replay_sync;
	st->established_unix = p->established_unix_ms > 0 ? p->established_unix_ms / 1000 : 0;
	st->established_ms = from_unix(p->established_unix_ms, clk);
	st->rekey_at_ms = from_unix(p->rekey_at_unix_ms, clk);
	st->expire_at_ms = from_unix(p->expire_at_unix_ms, clk);
	st->old_spi_i = p->old_spi_i;
	st->old_spi_r = p->old_spi_r;
	st->req_kind = (enum ike_req_kind)p->req_kind;
	st->req_msgid = p->req_msgid;
	st->req_child_id = p->req_child_id;
	st->req_spi = p->req_spi;
	if (secret_from(&st->sk_d, p->has_sk_d, &p->sk_d) ||
	    secret_from(&st->sk_ai, p->has_sk_ai, &p->sk_ai) ||
	    secret_from(&st->sk_ar, p->has_sk_ar, &p->sk_ar) ||
	    secret_from(&st->sk_ei, p->has_sk_ei, &p->sk_ei) ||
	    secret_from(&st->sk_er, p->has_sk_er, &p->sk_er) ||
	    secret_from(&st->sk_pi, p->has_sk_pi, &p->sk_pi) ||
	    secret_from(&st->sk_pr, p->has_sk_pr, &p->sk_pr) ||
	    secret_from(&st->req_out, p->has_req_out, &p->req_out) ||
	    secret_from(&st->resp_last, p->has_resp_last, &p->resp_last))
		return -ENOMEM;
	if (p->n_child) {
		st->child = calloc(p->n_child, sizeof(*st->child));
		if (!st->child)
			return -ENOMEM;
	}
	/* nchildren counts the filled ones, so a clear after a failure frees exactly those */
	for (size_t i = 0; i < p->n_child; i++) {
		st->nchildren++;
		rc = child_from_pb(p->child[i], clk, &st->child[i], why);
		if (rc)
			return rc;
	}
	return 0;
}

/* Structure and counts of a raw SaUpdate before protobuf-c allocates anything for it. */
static int
sa_update_prescan(const uint8_t *p, size_t len, struct sync_slice *sa, enum sync_rej *why)
{
	struct sync_slice m = {p, len}, child;
	struct cur c;
	struct pb_field f;
	long n;
	bool bad = false;

	*why = SYNC_REJ_MALFORMED;
	if (len > SYNC_MSG_MAX || pb_count(m, 0x7fffffff) < 0)
		return -EBADMSG;
	if (!pb_find(m, 3, sa, &bad)) {
		*why = bad ? SYNC_REJ_MALFORMED : SYNC_REJ_FIELD;
		return -EBADMSG;
	}
	n = pb_count(*sa, 30);
	if (n < 0)
		return -EBADMSG;
	if (n > (long)IKE_STATE_MAX_CHILDREN) {
		*why = SYNC_REJ_COUNT;
		return -EBADMSG;
	}
	c = cur_make(sa->p, sa->len);
	while (pb_next(&c, &f, &bad)) {
		long nl, nr;

		if (f.num != 30)
			continue;
		child = f.s;
		nl = pb_count(child, 15);
		nr = pb_count(child, 16);
		if (nl < 0 || nr < 0)
			return -EBADMSG;
		if (nl > (long)ESP_MAX_TS || nr > (long)ESP_MAX_TS) {
			*why = SYNC_REJ_COUNT;
			return -EBADMSG;
		}
	}
	return bad ? -EBADMSG : 0;
}

int
sync_decode_sa_update(const uint8_t *p, size_t len, const struct sync_clock *clk,
                      struct sync_sa_update *out, enum sync_rej *why)
{
	Tandem__Sync__V1__SaUpdate *u;
	struct sync_slice sa;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sa_update_prescan(p, len, &sa, why);
	if (rc)
		return rc;
	u = tandem__sync__v1__sa_update__unpack(NULL, len, p);
	if (!u) {
		*why = SYNC_REJ_MALFORMED;
		return -EBADMSG;
	}
	*why = SYNC_REJ_FIELD;
	if (!u->sa || !u->has_commit || !u->commit) {
		rc = -EBADMSG;
	} else {
		out->commit = u->commit;
		out->change = u->change;
		rc = sa_from_pb(u->sa, clk, &out->st, why);
	}
	tandem__sync__v1__sa_update__free_unpacked(u, NULL);
	if (rc)
		ike_sa_state_clear(&out->st);
	return rc;
}

/* Reads varint field `num` of a message (the last occurrence); false if absent. */
static bool
pb_uint(struct sync_slice m, uint32_t num, uint64_t *v, bool *bad)
{
	struct cur c = cur_make(m.p, m.len);
	struct pb_field f;
	bool found = false;

	while (pb_next(&c, &f, bad))
		if (f.num == num && f.wt == WT_VARINT) {
			*v = f.v;
			found = true;
		}
	return found && !*bad;
}

int
sync_peek_sa_update(const uint8_t *p, size_t len, struct sync_sa_keys *k, enum sync_rej *why)
{
	struct sync_slice sa;
	struct cur c;
	struct pb_field f;
	uint64_t v;
	bool bad = false;
	int rc;

	memset(k, 0, sizeof(*k));
	rc = sa_update_prescan(p, len, &sa, why);
	if (rc)
		return rc;
	*why = SYNC_REJ_FIELD;
	if (!pb_uint((struct sync_slice){p, len}, 1, &k->commit, &bad) || !k->commit ||
	    !pb_uint(sa, 1, &k->spi_i, &bad) || !k->spi_i)
		return -EBADMSG;
	if (pb_uint(sa, 2, &v, &bad))
		k->spi_r = v;
	c = cur_make(sa.p, sa.len);
	while (pb_next(&c, &f, &bad)) {
		uint64_t in = 0, out = 0;

		if (f.num != 30)
			continue;
		(void)pb_uint(f.s, 2, &in, &bad); /* absent: 0, refused below */
		(void)pb_uint(f.s, 3, &out, &bad);
		/* uint32 fields: a longer varint is cut to 32 bits, as protobuf-c (the full
		 * decoder) and every protobuf parser do, so both readers see the same SPIs
		 * (fuzz_sync_codec) */
		in = (uint32_t)in;
		out = (uint32_t)out;
		if (!in || !out)
			return -EBADMSG;
		k->spi_in[k->nchild] = (uint32_t)in;
		k->spi_out[k->nchild] = (uint32_t)out;
		(void)pb_uint(f.s, 22, &k->out_lease_limit[k->nchild], &bad);
		(void)pb_uint(f.s, 23, &k->in_highest[k->nchild], &bad);
		k->nchild++;
	}
	return bad ? -EBADMSG : 0;
}

/* ---- node records and the small bodies ------------------------------------------------- */

static bool
text_copy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap)
		return false;
	memcpy(dst, src ? src : "", n + 1);
	return true;
}

static int
node_from_pb(const Tandem__Sync__V1__NodeRecord *p, struct sync_node_rec *r)
{
	memset(r, 0, sizeof(*r));
	if (!text_copy(r->name, sizeof(r->name), p->name) ||
	    !text_copy(r->version, sizeof(r->version), p->version) ||
	    !text_copy(r->fault, sizeof(r->fault), p->fault) || p->priority > 255 ||
	    (unsigned)p->role > HA_ROLE_FAULTED ||
	    (p->has_config_digest && p->config_digest.len && p->config_digest.len != HA_DIGEST_LEN))
		return -EBADMSG;
	r->priority = p->priority;
	r->role = (enum ha_role)p->role;
	r->has_digest = p->has_config_digest && p->config_digest.len == HA_DIGEST_LEN;
	if (r->has_digest)
		memcpy(r->digest, p->config_digest.data, HA_DIGEST_LEN);
	r->quorate = p->quorate;
	r->in_sync = p->in_sync;
	r->engines_up = p->engines_up;
	r->engines_total = p->engines_total;
	r->store_commit = p->store_commit;
	r->want_snapshot = p->want_snapshot;
	r->members = p->members;
	r->ring_seq = p->ring_seq;
	return 0;
}

/* Unpacks body b of type t into m->u. Returns 0 or -EBADMSG with *why. */
static int
body_decode(enum sync_type t, struct sync_slice b, struct sync_msg *m, enum sync_rej *why)
{
	const ProtobufCMessageDescriptor *desc[SYNC_T_COUNT] = {
	        [SYNC_T_NODE] = &tandem__sync__v1__node_record__descriptor,
	        [SYNC_T_SA_DELETE] = &tandem__sync__v1__sa_delete__descriptor,
	        [SYNC_T_LEASE] = &tandem__sync__v1__lease_grant__descriptor,
	        [SYNC_T_REPLAY] = &tandem__sync__v1__replay_report__descriptor,
	        [SYNC_T_SNAP_BEGIN] = &tandem__sync__v1__snapshot_begin__descriptor,
	        [SYNC_T_SNAP_END] = &tandem__sync__v1__snapshot_end__descriptor,
	        [SYNC_T_HANDOVER] = &tandem__sync__v1__handover__descriptor,
	};
	ProtobufCMessage *pm;
	long n;
	int rc = 0;

	if (!desc[t])
		return 0; /* SaUpdate, SnapshotChunk: left raw */
	*why = SYNC_REJ_MALFORMED;
	if (t == SYNC_T_SNAP_BEGIN) {
		/* for_nodes may be packed or not: count its bytes, a bound on its elements */
		struct cur c = cur_make(b.p, b.len);
		struct pb_field f;
		bool bad;

		n = 0;
		while (pb_next(&c, &f, &bad))
			if (f.num == 1)
				n += f.wt == WT_LEN ? (long)f.s.len : 1;
		if (bad)
			return -EBADMSG;
		if (n > (long)SYNC_MAX_NODES * 5) {
			*why = SYNC_REJ_COUNT;
			return -EBADMSG;
		}
	}
	pm = protobuf_c_message_unpack(desc[t], NULL, b.len, b.p);
	if (!pm)
		return -EBADMSG;
	*why = SYNC_REJ_FIELD;
	switch (t) {
	case SYNC_T_NODE:
		rc = node_from_pb((const Tandem__Sync__V1__NodeRecord *)pm, &m->u.node);
		break;
	case SYNC_T_SA_DELETE: {
		const Tandem__Sync__V1__SaDelete *d = (const Tandem__Sync__V1__SaDelete *)pm;

		m->u.del = (struct sync_sa_delete){d->commit, d->spi_i, d->spi_r};
		rc = d->commit && d->spi_i ? 0 : -EBADMSG;
		break;
	}
	case SYNC_T_LEASE: {
		const Tandem__Sync__V1__LeaseGrant *l = (const Tandem__Sync__V1__LeaseGrant *)pm;

		m->u.seq = (struct sync_seq){l->spi, l->limit};
		rc = l->spi ? 0 : -EBADMSG;
		break;
	}
	case SYNC_T_REPLAY: {
		const Tandem__Sync__V1__ReplayReport *r =
		        (const Tandem__Sync__V1__ReplayReport *)pm;

		m->u.seq = (struct sync_seq){r->spi, r->highest};
		rc = r->spi ? 0 : -EBADMSG;
		break;
	}
	case SYNC_T_SNAP_BEGIN: {
		const Tandem__Sync__V1__SnapshotBegin *s =
		        (const Tandem__Sync__V1__SnapshotBegin *)pm;

		if (s->n_for_nodes > SYNC_MAX_NODES) {
			*why = SYNC_REJ_COUNT;
			rc = -EBADMSG;
			break;
		}
		m->u.begin.nfor = (unsigned)s->n_for_nodes;
		for (size_t i = 0; i < s->n_for_nodes; i++)
			m->u.begin.for_nodes[i] = s->for_nodes[i];
		m->u.begin.snapshot_id = s->snapshot_id;
		m->u.begin.total_sas = s->total_sas;
		m->u.begin.commit = s->commit;
		rc = s->snapshot_id ? 0 : -EBADMSG;
		break;
	}
	case SYNC_T_SNAP_END: {
		const Tandem__Sync__V1__SnapshotEnd *e = (const Tandem__Sync__V1__SnapshotEnd *)pm;

		m->u.end = (struct sync_snap_end){e->snapshot_id, e->chunks};
		rc = e->snapshot_id ? 0 : -EBADMSG;
		break;
	}
	case SYNC_T_HANDOVER: {
		const Tandem__Sync__V1__Handover *h = (const Tandem__Sync__V1__Handover *)pm;

		m->u.handover.to_node = h->to_node;
		m->u.handover.commit = h->commit;
		rc = text_copy(m->u.handover.reason, sizeof(m->u.handover.reason), h->reason)
		             ? 0
		             : -EBADMSG;
		break;
	}
	default:
		break;
	}
	protobuf_c_message_free_unpacked(pm, NULL);
	return rc;
}

int
sync_msg_decode(const uint8_t *p, size_t len, struct sync_msg *m, enum sync_rej *why)
{
	struct cur c = cur_make(p, len);
	struct pb_field f;
	bool bad, has_version = false;

	memset(m, 0, sizeof(*m));
	*why = SYNC_REJ_MALFORMED;
	if (len > SYNC_MSG_MAX)
		return -EBADMSG;
	while (pb_next(&c, &f, &bad)) {
		if (f.num >= BODY_FIRST && f.num < BODY_FIRST + SYNC_T_COUNT - 1) {
			if (f.wt != WT_LEN)
				return -EBADMSG;
			m->type = (enum sync_type)(f.num - BODY_FIRST + SYNC_T_NODE);
			m->body = f.s; /* the last body wins, as protobuf's oneof does */
			continue;
		}
		if (f.num > 3)
			continue; /* a field of a newer version: skipped */
		if (f.wt != WT_VARINT || (f.num < 3 && f.v > UINT32_MAX))
			return -EBADMSG;
		if (f.num == 1) {
			m->version = (uint32_t)f.v;
			has_version = true;
		} else if (f.num == 2) {
			m->sender = (uint32_t)f.v;
		} else {
			m->epoch = f.v;
		}
	}
	if (bad)
		return -EBADMSG;
	if (!has_version || m->version != SYNC_PROTO_VERSION) {
		*why = SYNC_REJ_VERSION;
		return -EBADMSG;
	}
	if (m->type == SYNC_T_NONE) {
		*why = SYNC_REJ_NO_BODY;
		return -EBADMSG;
	}
	return body_decode(m->type, m->body, m, why) ? -EBADMSG : 0;
}

void
sync_snap_chunk_fini(struct sync_snap_chunk *c)
{
	free(c->sa);
	free(c->lease);
	free(c->replay);
	memset(c, 0, sizeof(*c));
}

/* LeaseGrant / ReplayReport: field 1 spi, field 2 value. */
static int
seq_from_slice(struct sync_slice s, struct sync_seq *out)
{
	struct cur c = cur_make(s.p, s.len);
	struct pb_field f;
	bool bad;

	memset(out, 0, sizeof(*out));
	while (pb_next(&c, &f, &bad)) {
		if (f.num == 1 && f.wt == WT_VARINT && f.v <= UINT32_MAX)
			out->spi = (uint32_t)f.v;
		else if (f.num == 2 && f.wt == WT_VARINT)
			out->value = f.v;
		else if (f.num <= 2)
			return -EBADMSG;
	}
	return bad || !out->spi ? -EBADMSG : 0;
}

int
sync_decode_chunk(const uint8_t *p, size_t len, struct sync_snap_chunk *out, enum sync_rej *why)
{
	struct sync_slice m = {p, len};
	struct cur c = cur_make(p, len);
	struct pb_field f;
	long nsa, nl, nr;
	bool bad;

	memset(out, 0, sizeof(*out));
	*why = SYNC_REJ_MALFORMED;
	nsa = pb_count(m, 3);
	nl = pb_count(m, 4);
	nr = pb_count(m, 5);
	if (nsa < 0 || nl < 0 || nr < 0)
		return -EBADMSG;
	if (nsa > (long)SYNC_CHUNK_MAX_SAS || nl > (long)SYNC_CHUNK_MAX_SEQ ||
	    nr > (long)SYNC_CHUNK_MAX_SEQ) {
		*why = SYNC_REJ_COUNT;
		return -EBADMSG;
	}
	out->sa = calloc((size_t)nsa + 1, sizeof(*out->sa));
	out->lease = calloc((size_t)nl + 1, sizeof(*out->lease));
	out->replay = calloc((size_t)nr + 1, sizeof(*out->replay));
	if (!out->sa || !out->lease || !out->replay) {
		sync_snap_chunk_fini(out);
		return -ENOMEM;
	}
	while (pb_next(&c, &f, &bad)) {
		int rc = 0;

		if (f.num == 1 && f.wt == WT_VARINT)
			out->snapshot_id = f.v;
		else if (f.num == 2 && f.wt == WT_VARINT && f.v <= UINT32_MAX)
			out->index = (uint32_t)f.v;
		else if (f.num == 3)
			out->sa[out->nsa++] = f.s;
		else if (f.num == 4)
			rc = seq_from_slice(f.s, &out->lease[out->nlease++]);
		else if (f.num == 5)
			rc = seq_from_slice(f.s, &out->replay[out->nreplay++]);
		else if (f.num <= 2)
			rc = -EBADMSG;
		if (rc) {
			*why = SYNC_REJ_FIELD;
			sync_snap_chunk_fini(out);
			return -EBADMSG;
		}
	}
	if (bad || !out->snapshot_id) {
		*why = bad ? SYNC_REJ_MALFORMED : SYNC_REJ_FIELD;
		sync_snap_chunk_fini(out);
		return -EBADMSG;
	}
	return 0;
}

/* ---- encoding the envelope and the small bodies -------------------------------------- */

static bool
put_header(struct buf *out, uint32_t sender, uint64_t epoch)
{
	return pb_put_uint(out, 1, SYNC_PROTO_VERSION) && pb_put_uint(out, 2, sender) &&
	       pb_put_uint(out, 3, epoch);
}

int
sync_encode_raw(uint32_t sender, uint64_t epoch, enum sync_type t, const uint8_t *body, size_t len,
                struct buf *out)
{
	size_t at = out->b_len;

	if (t <= SYNC_T_NONE || t >= SYNC_T_COUNT)
		return -EINVAL;
	if (!put_header(out, sender, epoch) ||
	    !pb_put_bytes(out, BODY_FIRST + (uint32_t)(t - SYNC_T_NODE), body, len)) {
		out->b_len = at;
		return -ENOMEM;
	}
	return 0;
}

static void
node_to_pb(const struct sync_node_rec *r, Tandem__Sync__V1__NodeRecord *p)
{
	tandem__sync__v1__node_record__init(p);
	p->name = PB_STR(r->name);
	p->has_priority = p->has_role = p->has_quorate = p->has_in_sync = 1;
	p->has_engines_up = p->has_engines_total = p->has_store_commit = 1;
	p->has_want_snapshot = p->has_members = p->has_ring_seq = 1;
	p->priority = r->priority;
	p->role = (Tandem__Sync__V1__NodeRecord__Role)r->role;
	p->has_config_digest = r->has_digest;
	p->config_digest.data = PB_DATA(r->digest);
	p->config_digest.len = r->has_digest ? HA_DIGEST_LEN : 0;
	p->quorate = r->quorate;
	p->in_sync = r->in_sync;
	p->engines_up = r->engines_up;
	p->engines_total = r->engines_total;
	p->version = PB_STR(r->version);
	p->store_commit = r->store_commit;
	p->fault = PB_STR(r->fault);
	p->want_snapshot = r->want_snapshot;
	p->members = r->members;
	p->ring_seq = r->ring_seq;
}

int
sync_encode_msg(const struct sync_msg *m, struct buf *out)
{
	Tandem__Sync__V1__NodeRecord nr;
	Tandem__Sync__V1__SaDelete del;
	Tandem__Sync__V1__LeaseGrant lg;
	Tandem__Sync__V1__ReplayReport rr;
	Tandem__Sync__V1__SnapshotBegin sb;
	Tandem__Sync__V1__SnapshotEnd se;
	Tandem__Sync__V1__Handover ho;
	uint32_t nodes[SYNC_MAX_NODES];
	const ProtobufCMessage *pm;
	struct buf body;
	int rc;

	switch (m->type) {
	case SYNC_T_NODE:
		node_to_pb(&m->u.node, &nr);
		pm = &nr.base;
		break;
	case SYNC_T_SA_DELETE:
		tandem__sync__v1__sa_delete__init(&del);
		del.has_commit = del.has_spi_i = del.has_spi_r = 1;
		del.commit = m->u.del.commit;
		del.spi_i = m->u.del.spi_i;
		del.spi_r = m->u.del.spi_r;
		pm = &del.base;
		break;
	case SYNC_T_LEASE:
		tandem__sync__v1__lease_grant__init(&lg);
		lg.has_spi = lg.has_limit = 1;
		lg.spi = m->u.seq.spi;
		lg.limit = m->u.seq.value;
		pm = &lg.base;
		break;
	case SYNC_T_REPLAY:
		tandem__sync__v1__replay_report__init(&rr);
		rr.has_spi = rr.has_highest = 1;
		rr.spi = m->u.seq.spi;
		rr.highest = m->u.seq.value;
		pm = &rr.base;
		break;
	case SYNC_T_SNAP_BEGIN:
		if (m->u.begin.nfor > SYNC_MAX_NODES)
			return -EINVAL;
		tandem__sync__v1__snapshot_begin__init(&sb);
		memcpy(nodes, m->u.begin.for_nodes, m->u.begin.nfor * sizeof(nodes[0]));
		sb.n_for_nodes = m->u.begin.nfor;
		sb.for_nodes = nodes;
		sb.has_snapshot_id = sb.has_total_sas = sb.has_commit = 1;
		sb.snapshot_id = m->u.begin.snapshot_id;
		sb.total_sas = m->u.begin.total_sas;
		sb.commit = m->u.begin.commit;
		pm = &sb.base;
		break;
	case SYNC_T_SNAP_END:
		tandem__sync__v1__snapshot_end__init(&se);
		se.has_snapshot_id = se.has_chunks = 1;
		se.snapshot_id = m->u.end.snapshot_id;
		se.chunks = m->u.end.chunks;
		pm = &se.base;
		break;
	case SYNC_T_HANDOVER:
		tandem__sync__v1__handover__init(&ho);
		ho.has_to_node = ho.has_commit = 1;
		ho.to_node = m->u.handover.to_node;
		ho.commit = m->u.handover.commit;
		ho.reason = PB_STR(m->u.handover.reason);
		pm = &ho.base;
		break;
	default:
		return -EINVAL;
	}
	buf_init(&body, false);
	if (!buf_reserve(&body, protobuf_c_message_get_packed_size(pm))) {
		buf_fini(&body);
		return -ENOMEM;
	}
	protobuf_c_message_pack(pm, body.b_data);
	rc = sync_encode_raw(m->sender, m->epoch, m->type, body.b_data, body.b_len, out);
	buf_fini(&body);
	return rc;
}

int
sync_chunk_begin(struct buf *body, uint64_t snapshot_id, uint32_t index)
{
	return pb_put_uint(body, 1, snapshot_id) && pb_put_uint(body, 2, index) ? 0 : -ENOMEM;
}

int
sync_chunk_add_sa(struct buf *body, const uint8_t *raw, size_t len)
{
	return pb_put_bytes(body, 3, raw, len) ? 0 : -ENOMEM;
}

int
sync_chunk_add_seq(struct buf *body, bool replay, uint32_t spi, uint64_t value)
{
	uint8_t tmp[24]; /* a LeaseGrant / ReplayReport: two keys and two varints */
	size_t n = 0;

	tmp[n++] = 1 << 3 | WT_VARINT;
	n += pb_varint_to(tmp + n, spi);
	tmp[n++] = 2 << 3 | WT_VARINT;
	n += pb_varint_to(tmp + n, value);
	return pb_put_bytes(body, replay ? 5 : 4, tmp, n) ? 0 : -ENOMEM;
}
