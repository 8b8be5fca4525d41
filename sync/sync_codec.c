/* SPDX-License-Identifier: MIT */
/*
 * The replication codec (sync_codec.h): SyncMsg envelopes, node records, IKE SA states with
 * their Child SAs and keys, deletes, leases, replay reports and snapshot messages. The only
 * file that includes sync.pb-c.h. protobuf-c does all of the wire format; untrusted bytes go
 * through two phases (STYLE.md §2.6): protobuf-c unpacks them within an allocation budget
 * (struct pb_budget), then every count and value is checked on the unpacked structs (enums,
 * key lengths against the algorithms, addresses, names). An SaUpdate travels as a `bytes`
 * field (SyncMsg.sa_update_packed, SnapshotChunk.sa_update_raw), so a store keeps and resends
 * the bytes it received without decoding and encoding them again.
 */
#include "sync/sync_codec.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <protobuf-c/protobuf-c.h>

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

/* ---- bounded unpacking ------------------------------------------------------------------ */

/*
 * protobuf-c allocates while it unpacks: a struct per submessage, an array per repeated field,
 * a copy of each bytes field. The input is at most SYNC_MSG_MAX (corosync's CPG message size
 * bounds it before that), but a few bytes of wire can ask for a few hundred bytes of structs
 * (an empty ChildSa is 2 bytes on the wire), so each unpack gets a budget: PB_BUDGET_BASE plus
 * PB_BUDGET_PER_BYTE times the input. Legitimate messages take about 2 to 5 times their size;
 * past the budget the allocation fails, protobuf-c gives up and the message is refused as
 * `count` (it asked for more elements than any real one has). Counts are then checked on the
 * unpacked structs against the protocol's limits.
 */
#define PB_BUDGET_BASE     (64u * 1024u)
#define PB_BUDGET_PER_BYTE 16u

struct pb_budget {
	ProtobufCAllocator a;
	size_t left;
	bool over;
};

/* Each block starts with its size, so that freeing wipes it: unpacked SAs hold keys. */
union pb_hdr {
	size_t n;
	max_align_t align;
};

static void *
budget_alloc(void *arg, size_t n)
{
	struct pb_budget *b = arg;
	union pb_hdr *h;

	if (n > b->left || b->left - n < sizeof(*h)) {
		b->over = true;
		return NULL;
	}
	b->left -= n + sizeof(*h);
	h = malloc(sizeof(*h) + n);
	if (!h)
		return NULL;
	h->n = n;
	return h + 1;
}

static void
budget_free(void *arg, void *ptr)
{
	union pb_hdr *h = ptr;

	(void)arg;
	if (!h)
		return;
	h--;
	explicit_bzero(h + 1, h->n);
	free(h);
}

static void
budget_init(struct pb_budget *b, size_t len)
{
	b->a.alloc = budget_alloc;
	b->a.free = budget_free;
	b->a.allocator_data = b;
	b->left = PB_BUDGET_BASE + PB_BUDGET_PER_BYTE * len;
	b->over = false;
}

/* Why an unpack failed: the budget ran out (too many elements) or the bytes were not one. */
static enum sync_rej
budget_why(const struct pb_budget *b)
{
	return b->over ? SYNC_REJ_COUNT : SYNC_REJ_MALFORMED;
}

/* Sets an optional proto2 field, present only when not zero (absent reads as 0). */
#define PB_SET(p, f, v)                     \
	do {                                \
		(p)->f = (v);               \
		(p)->has_##f = (p)->f != 0; \
	} while (0)

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
	a->has_port = a->port != 0;
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
	PB_SET(p, type, id->type);
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
	p->has_family = p->has_start = p->has_end = 1;
	p->family = ts->family == AF_INET6 ? 10 : 2;
	p->start.data = PB_DATA(ts->start);
	p->start.len = alen;
	p->end.data = PB_DATA(ts->end);
	p->end.len = alen;
	PB_SET(p, proto, ts->proto);
	PB_SET(p, sport, ts->sport);
	PB_SET(p, eport, ts->eport);
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
	PB_SET(p, child_id, c->child_id);
	PB_SET(p, spi_in, c->spi_in);
	PB_SET(p, spi_out, c->spi_out);
	PB_SET(p, seq_index, c->seq_index);
	PB_SET(p, encr, c->encr);
	PB_SET(p, integ, c->integ);
	PB_SET(p, pfs_group, c->pfs_group);
	PB_SET(p, esn, c->esn);
	PB_SET(p, udp_encap, c->udp_encap);
	PB_SET(p, replay_window, c->replay_window);
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
	PB_SET(p, established_unix_ms,
	       c->established_ms ? to_unix(c->established_ms, clk) : c->established_unix * 1000);
	PB_SET(p, rekey_at_unix_ms, to_unix(c->rekey_at_ms, clk));
	PB_SET(p, expire_at_unix_ms, to_unix(c->expire_at_ms, clk));
	PB_SET(p, soft_bytes, c->soft_bytes);
	PB_SET(p, hard_bytes, c->hard_bytes);
	PB_SET(p, out_lease_limit, c->out_lease_limit);
	PB_SET(p, in_highest, c->in_highest);
	PB_SET(p, rekeyed, c->rekeyed);
}

static void
sa_to_pb(const struct ike_sa_state *st, const struct sync_clock *clk, struct enc_scratch *x)
{
	Tandem__Sync__V1__IkeSa *p = &x->sa;

	tandem__sync__v1__ike_sa__init(p);
	PB_SET(p, spi_i, st->spi_i);
	PB_SET(p, spi_r, st->spi_r);
	PB_SET(p, initiator, st->initiator);
	PB_SET(p, phase, st->phase);
	p->tunnel = st->tunnel[0] ? PB_STR(st->tunnel) : NULL;
	addr_to_pb(&st->local, &x->local);
	addr_to_pb(&st->remote, &x->remote);
	p->local = &x->local;
	p->remote = &x->remote;
	PB_SET(p, nat_local, st->nat_local);
	PB_SET(p, nat_remote, st->nat_remote);
	id_to_pb(&st->id_local, &x->idl);
	id_to_pb(&st->id_remote, &x->idr);
	/* no identity (CFG_ID_NONE): no submessage */
	p->id_local = st->id_local.type != CFG_ID_NONE ? &x->idl : NULL;
	p->id_remote = st->id_remote.type != CFG_ID_NONE ? &x->idr : NULL;
	PB_SET(p, encr, st->encr);
	PB_SET(p, integ, st->integ);
	PB_SET(p, prf, st->prf);
	PB_SET(p, dh_group, st->dh_group);
	bin_set(&p->sk_d, &p->has_sk_d, &st->sk_d);
	bin_set(&p->sk_ai, &p->has_sk_ai, &st->sk_ai);
	bin_set(&p->sk_ar, &p->has_sk_ar, &st->sk_ar);
	bin_set(&p->sk_ei, &p->has_sk_ei, &st->sk_ei);
	bin_set(&p->sk_er, &p->has_sk_er, &st->sk_er);
	bin_set(&p->sk_pi, &p->has_sk_pi, &st->sk_pi);
	bin_set(&p->sk_pr, &p->has_sk_pr, &st->sk_pr);
	PB_SET(p, msgid_next_send, st->msgid_next_send);
	PB_SET(p, msgid_next_recv, st->msgid_next_recv);
	PB_SET(p, peer_msgid_sync, st->peer_msgid_sync);
	PB_SET(p, peer_replay_sync, st->peer_replay_sync);
	PB_SET(p, established_unix_ms,
	       st->established_ms ? to_unix(st->established_ms, clk) : st->established_unix * 1000);
	PB_SET(p, rekey_at_unix_ms, to_unix(st->rekey_at_ms, clk));
	PB_SET(p, expire_at_unix_ms, to_unix(st->expire_at_ms, clk));
	for (unsigned i = 0; i < st->nchildren; i++) {
		child_to_pb(&st->child[i], clk, &x->cs[i], x->ts[i], x->tsp[i]);
		x->csp[i] = &x->cs[i];
	}
	p->n_child = st->nchildren;
	p->child = st->nchildren ? x->csp : NULL;
	PB_SET(p, old_spi_i, st->old_spi_i);
	PB_SET(p, old_spi_r, st->old_spi_r);
	PB_SET(p, req_kind, st->req_kind);
	PB_SET(p, req_msgid, st->req_msgid);
	PB_SET(p, req_child_id, st->req_child_id);
	PB_SET(p, req_spi, st->req_spi);
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
	PB_SET(&u, commit, commit);
	PB_SET(&u, change, change);
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

/* Unpacks a raw SaUpdate within its budget: NULL with *why if it is not one. */
static Tandem__Sync__V1__SaUpdate *
sa_update_unpack(const uint8_t *p, size_t len, struct pb_budget *b, enum sync_rej *why)
{
	Tandem__Sync__V1__SaUpdate *u;

	*why = SYNC_REJ_MALFORMED;
	if (len > SYNC_MSG_MAX)
		return NULL;
	budget_init(b, len);
	u = tandem__sync__v1__sa_update__unpack(&b->a, len, p);
	if (!u) {
		*why = budget_why(b);
		return NULL;
	}
	*why = SYNC_REJ_FIELD;
	if (!u->sa || !u->commit || !u->sa->spi_i) {
		tandem__sync__v1__sa_update__free_unpacked(u, &b->a);
		return NULL;
	}
	*why = SYNC_REJ_COUNT;
	if (u->sa->n_child > IKE_STATE_MAX_CHILDREN) {
		tandem__sync__v1__sa_update__free_unpacked(u, &b->a);
		return NULL;
	}
	return u;
}

int
sync_decode_sa_update(const uint8_t *p, size_t len, const struct sync_clock *clk,
                      struct sync_sa_update *out, enum sync_rej *why)
{
	Tandem__Sync__V1__SaUpdate *u;
	struct pb_budget b;
	int rc;

	memset(out, 0, sizeof(*out));
	u = sa_update_unpack(p, len, &b, why);
	if (!u)
		return -EBADMSG;
	out->commit = u->commit;
	out->change = u->change;
	rc = sa_from_pb(u->sa, clk, &out->st, why);
	tandem__sync__v1__sa_update__free_unpacked(u, &b.a);
	if (rc)
		ike_sa_state_clear(&out->st);
	return rc;
}

int
sync_peek_sa_update(const uint8_t *p, size_t len, struct sync_sa_keys *k, enum sync_rej *why)
{
	Tandem__Sync__V1__SaUpdate *u;
	struct pb_budget b;
	int rc = 0;

	memset(k, 0, sizeof(*k));
	u = sa_update_unpack(p, len, &b, why);
	if (!u)
		return -EBADMSG;
	k->commit = u->commit;
	k->spi_i = u->sa->spi_i;
	k->spi_r = u->sa->spi_r;
	for (size_t i = 0; i < u->sa->n_child; i++) {
		const Tandem__Sync__V1__ChildSa *c = u->sa->child[i];

		if (!c->spi_in || !c->spi_out) {
			*why = SYNC_REJ_FIELD; /* as child_from_pb */
			rc = -EBADMSG;
			break;
		}
		k->spi_in[k->nchild] = c->spi_in;
		k->spi_out[k->nchild] = c->spi_out;
		k->out_lease_limit[k->nchild] = c->out_lease_limit;
		k->in_highest[k->nchild] = c->in_highest;
		k->nchild++;
	}
	tandem__sync__v1__sa_update__free_unpacked(u, &b.a);
	return rc;
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
	r->sync_ring = p->sync_ring;
	r->sync_ring_whole = p->sync_ring_whole;
	return 0;
}

/* Checks the small body of an unpacked SyncMsg into m->u. Returns 0 or -EBADMSG with *why. */
static int
body_decode(const Tandem__Sync__V1__SyncMsg *pm, struct sync_msg *m, enum sync_rej *why)
{
	*why = SYNC_REJ_FIELD;
	switch (pm->body_case) {
	case TANDEM__SYNC__V1__SYNC_MSG__BODY_NODE:
		m->type = SYNC_T_NODE;
		return node_from_pb(pm->node, &m->u.node);
	case TANDEM__SYNC__V1__SYNC_MSG__BODY_SA_UPDATE_PACKED:
		m->type = SYNC_T_SA_UPDATE;
		m->body.p = pm->sa_update_packed.data;
		m->body.len = pm->sa_update_packed.len;
		return 0; /* left raw: sync_decode_sa_update, sync_peek_sa_update */
	case TANDEM__SYNC__V1__SYNC_MSG__BODY_SA_DELETE: {
		const Tandem__Sync__V1__SaDelete *d = pm->sa_delete;

		m->type = SYNC_T_SA_DELETE;
		m->u.del = (struct sync_sa_delete){d->commit, d->spi_i, d->spi_r};
		return d->commit && d->spi_i ? 0 : -EBADMSG;
	}
	case TANDEM__SYNC__V1__SYNC_MSG__BODY_LEASE:
		m->type = SYNC_T_LEASE;
		m->u.seq = (struct sync_seq){pm->lease->spi, pm->lease->limit};
		return pm->lease->spi ? 0 : -EBADMSG;
	case TANDEM__SYNC__V1__SYNC_MSG__BODY_REPLAY:
		m->type = SYNC_T_REPLAY;
		m->u.seq = (struct sync_seq){pm->replay->spi, pm->replay->highest};
		return pm->replay->spi ? 0 : -EBADMSG;
	case TANDEM__SYNC__V1__SYNC_MSG__BODY_SNAP_BEGIN: {
		const Tandem__Sync__V1__SnapshotBegin *sb = pm->snap_begin;

		m->type = SYNC_T_SNAP_BEGIN;
		if (sb->n_for_nodes > SYNC_MAX_NODES) {
			*why = SYNC_REJ_COUNT;
			return -EBADMSG;
		}
		m->u.begin.nfor = (unsigned)sb->n_for_nodes;
		for (size_t i = 0; i < sb->n_for_nodes; i++)
			m->u.begin.for_nodes[i] = sb->for_nodes[i];
		m->u.begin.snapshot_id = sb->snapshot_id;
		m->u.begin.total_sas = sb->total_sas;
		m->u.begin.commit = sb->commit;
		return sb->snapshot_id ? 0 : -EBADMSG;
	}
	case TANDEM__SYNC__V1__SYNC_MSG__BODY_SNAP_CHUNK: {
		const Tandem__Sync__V1__SnapshotChunk *c = pm->snap_chunk;

		m->type = SYNC_T_SNAP_CHUNK;
		if (c->n_sa_update_raw > SYNC_CHUNK_MAX_SAS || c->n_lease > SYNC_CHUNK_MAX_SEQ ||
		    c->n_replay > SYNC_CHUNK_MAX_SEQ) {
			*why = SYNC_REJ_COUNT;
			return -EBADMSG;
		}
		return c->snapshot_id ? 0 : -EBADMSG; /* the rest: sync_decode_chunk */
	}
	case TANDEM__SYNC__V1__SYNC_MSG__BODY_SNAP_END:
		m->type = SYNC_T_SNAP_END;
		m->u.end = (struct sync_snap_end){pm->snap_end->snapshot_id, pm->snap_end->chunks};
		return pm->snap_end->snapshot_id ? 0 : -EBADMSG;
	case TANDEM__SYNC__V1__SYNC_MSG__BODY_HANDOVER: {
		const Tandem__Sync__V1__Handover *h = pm->handover;

		m->type = SYNC_T_HANDOVER;
		m->u.handover.to_node = h->to_node;
		m->u.handover.commit = h->commit;
		return text_copy(m->u.handover.reason, sizeof(m->u.handover.reason), h->reason)
		               ? 0
		               : -EBADMSG;
	}
	default:
		*why = SYNC_REJ_NO_BODY; /* none, or one of a newer version (an unknown field) */
		return -EBADMSG;
	}
}

/*
 * The unpacked SyncMsg lives as long as m and keeps the allocator it was unpacked with (its
 * budget is spent by then; freeing does not need it).
 */
struct msg_pb {
	struct pb_budget b;
	Tandem__Sync__V1__SyncMsg *pm;
};

int
sync_msg_decode(const uint8_t *p, size_t len, struct sync_msg *m, enum sync_rej *why)
{
	struct msg_pb *x;

	memset(m, 0, sizeof(*m));
	*why = SYNC_REJ_MALFORMED;
	if (len > SYNC_MSG_MAX)
		return -EBADMSG;
	x = malloc(sizeof(*x));
	if (!x)
		return -EBADMSG; /* counted as malformed: the message is lost either way */
	budget_init(&x->b, len);
	x->pm = tandem__sync__v1__sync_msg__unpack(&x->b.a, len, p);
	if (!x->pm) {
		*why = budget_why(&x->b);
		free(x);
		return -EBADMSG;
	}
	m->pb = x;
	m->version = x->pm->version;
	m->sender = x->pm->sender;
	m->epoch = x->pm->epoch;
	if (!x->pm->has_version || m->version != SYNC_PROTO_VERSION) {
		*why = SYNC_REJ_VERSION;
		sync_msg_fini(m);
		return -EBADMSG;
	}
	if (body_decode(x->pm, m, why)) {
		sync_msg_fini(m);
		return -EBADMSG;
	}
	return 0;
}

void
sync_msg_fini(struct sync_msg *m)
{
	struct msg_pb *x = m->pb;

	if (x) {
		tandem__sync__v1__sync_msg__free_unpacked(x->pm, &x->b.a);
		free(x);
	}
	m->pb = NULL;
	m->body.p = NULL;
	m->body.len = 0;
}

void
sync_snap_chunk_fini(struct sync_snap_chunk *c)
{
	free(c->sa);
	free(c->lease);
	free(c->replay);
	memset(c, 0, sizeof(*c));
}

/* LeaseGrant / ReplayReport elements of a chunk: an SPI is never 0. */
static int
seq_from_pb(uint32_t spi, uint64_t value, struct sync_seq *out)
{
	out->spi = spi;
	out->value = value;
	return spi ? 0 : -EBADMSG;
}

int
sync_decode_chunk(const struct sync_msg *m, struct sync_snap_chunk *out, enum sync_rej *why)
{
	const struct msg_pb *x = m->pb;
	const Tandem__Sync__V1__SnapshotChunk *c;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	*why = SYNC_REJ_NO_BODY;
	if (!x || m->type != SYNC_T_SNAP_CHUNK ||
	    x->pm->body_case != TANDEM__SYNC__V1__SYNC_MSG__BODY_SNAP_CHUNK)
		return -EBADMSG;
	c = x->pm->snap_chunk;
	*why = SYNC_REJ_COUNT; /* sync_msg_decode checked them; checked again for other callers */
	if (c->n_sa_update_raw > SYNC_CHUNK_MAX_SAS || c->n_lease > SYNC_CHUNK_MAX_SEQ ||
	    c->n_replay > SYNC_CHUNK_MAX_SEQ)
		return -EBADMSG;
	out->snapshot_id = c->snapshot_id;
	out->index = c->index;
	out->sa = calloc(c->n_sa_update_raw + 1, sizeof(*out->sa));
	out->lease = calloc(c->n_lease + 1, sizeof(*out->lease));
	out->replay = calloc(c->n_replay + 1, sizeof(*out->replay));
	if (!out->sa || !out->lease || !out->replay) {
		sync_snap_chunk_fini(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->n_sa_update_raw; i++)
		out->sa[out->nsa++] =
		        (struct sync_slice){c->sa_update_raw[i].data, c->sa_update_raw[i].len};
	for (size_t i = 0; i < c->n_lease && !rc; i++)
		rc = seq_from_pb(c->lease[i]->spi, c->lease[i]->limit, &out->lease[out->nlease++]);
	for (size_t i = 0; i < c->n_replay && !rc; i++)
		rc = seq_from_pb(c->replay[i]->spi, c->replay[i]->highest,
		                 &out->replay[out->nreplay++]);
	*why = SYNC_REJ_FIELD;
	if (rc || !out->snapshot_id) {
		sync_snap_chunk_fini(out);
		return -EBADMSG;
	}
	return 0;
}

/* ---- encoding --------------------------------------------------------------------------- */

/* Packs a SyncMsg (header set here) and appends it to out. */
static int
msg_pack(Tandem__Sync__V1__SyncMsg *pm, uint32_t sender, uint64_t epoch, struct buf *out)
{
	uint8_t *d;

	PB_SET(pm, version, SYNC_PROTO_VERSION);
	PB_SET(pm, sender, sender);
	PB_SET(pm, epoch, epoch);
	d = buf_reserve(out, tandem__sync__v1__sync_msg__get_packed_size(pm));
	if (!d)
		return -ENOMEM;
	tandem__sync__v1__sync_msg__pack(pm, d);
	return 0;
}

int
sync_encode_raw(uint32_t sender, uint64_t epoch, enum sync_type t, const uint8_t *body, size_t len,
                struct buf *out)
{
	Tandem__Sync__V1__SyncMsg pm;

	if (t != SYNC_T_SA_UPDATE)
		return -EINVAL;
	tandem__sync__v1__sync_msg__init(&pm);
	pm.body_case = TANDEM__SYNC__V1__SYNC_MSG__BODY_SA_UPDATE_PACKED;
	pm.sa_update_packed.data = PB_DATA(body);
	pm.sa_update_packed.len = len;
	return msg_pack(&pm, sender, epoch, out);
}

static void
node_to_pb(const struct sync_node_rec *r, Tandem__Sync__V1__NodeRecord *p)
{
	tandem__sync__v1__node_record__init(p);
	p->name = PB_STR(r->name);
	p->has_priority = p->has_role = p->has_quorate = p->has_in_sync = 1;
	p->has_engines_up = p->has_engines_total = p->has_store_commit = 1;
	p->has_want_snapshot = p->has_members = p->has_ring_seq = 1;
	p->has_sync_ring = p->has_sync_ring_whole = 1;
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
	p->sync_ring = r->sync_ring;
	p->sync_ring_whole = r->sync_ring_whole;
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
	Tandem__Sync__V1__SyncMsg pm;

	tandem__sync__v1__sync_msg__init(&pm);
	switch (m->type) {
	case SYNC_T_NODE:
		node_to_pb(&m->u.node, &nr);
		pm.body_case = TANDEM__SYNC__V1__SYNC_MSG__BODY_NODE;
		pm.node = &nr;
		break;
	case SYNC_T_SA_DELETE:
		tandem__sync__v1__sa_delete__init(&del);
		PB_SET(&del, commit, m->u.del.commit);
		PB_SET(&del, spi_i, m->u.del.spi_i);
		PB_SET(&del, spi_r, m->u.del.spi_r);
		pm.body_case = TANDEM__SYNC__V1__SYNC_MSG__BODY_SA_DELETE;
		pm.sa_delete = &del;
		break;
	case SYNC_T_LEASE:
		tandem__sync__v1__lease_grant__init(&lg);
		PB_SET(&lg, spi, m->u.seq.spi);
		PB_SET(&lg, limit, m->u.seq.value);
		pm.body_case = TANDEM__SYNC__V1__SYNC_MSG__BODY_LEASE;
		pm.lease = &lg;
		break;
	case SYNC_T_REPLAY:
		tandem__sync__v1__replay_report__init(&rr);
		PB_SET(&rr, spi, m->u.seq.spi);
		PB_SET(&rr, highest, m->u.seq.value);
		pm.body_case = TANDEM__SYNC__V1__SYNC_MSG__BODY_REPLAY;
		pm.replay = &rr;
		break;
	case SYNC_T_SNAP_BEGIN:
		if (m->u.begin.nfor > SYNC_MAX_NODES)
			return -EINVAL;
		tandem__sync__v1__snapshot_begin__init(&sb);
		memcpy(nodes, m->u.begin.for_nodes, m->u.begin.nfor * sizeof(nodes[0]));
		sb.n_for_nodes = m->u.begin.nfor;
		sb.for_nodes = nodes;
		PB_SET(&sb, snapshot_id, m->u.begin.snapshot_id);
		PB_SET(&sb, total_sas, m->u.begin.total_sas);
		PB_SET(&sb, commit, m->u.begin.commit);
		pm.body_case = TANDEM__SYNC__V1__SYNC_MSG__BODY_SNAP_BEGIN;
		pm.snap_begin = &sb;
		break;
	case SYNC_T_SNAP_END:
		tandem__sync__v1__snapshot_end__init(&se);
		PB_SET(&se, snapshot_id, m->u.end.snapshot_id);
		PB_SET(&se, chunks, m->u.end.chunks);
		pm.body_case = TANDEM__SYNC__V1__SYNC_MSG__BODY_SNAP_END;
		pm.snap_end = &se;
		break;
	case SYNC_T_HANDOVER:
		tandem__sync__v1__handover__init(&ho);
		PB_SET(&ho, to_node, m->u.handover.to_node);
		PB_SET(&ho, commit, m->u.handover.commit);
		ho.reason = m->u.handover.reason[0] ? PB_STR(m->u.handover.reason) : NULL;
		pm.body_case = TANDEM__SYNC__V1__SYNC_MSG__BODY_HANDOVER;
		pm.handover = &ho;
		break;
	default:
		return -EINVAL;
	}
	return msg_pack(&pm, m->sender, m->epoch, out);
}

/* ---- snapshot chunks -------------------------------------------------------------------- */

int
sync_chunk_begin(struct sync_chunk_enc *c, uint64_t snapshot_id, uint32_t index)
{
	c->snapshot_id = snapshot_id;
	c->index = index;
	c->nsa = c->nlease = c->nreplay = 0;
	c->bytes = 0;
	return 0;
}

/* Makes room for one more element of size sz in *arr (n used, *cap allocated). */
static bool
grow(void **arr, size_t n, size_t *cap, size_t sz)
{
	void *p;
	size_t want;

	if (n < *cap)
		return true;
	want = *cap ? 2 * *cap : 64;
	p = realloc(*arr, want * sz);
	if (!p)
		return false;
	*arr = p;
	*cap = want;
	return true;
}

int
sync_chunk_add_sa(struct sync_chunk_enc *c, const uint8_t *raw, size_t len)
{
	if (c->nsa >= SYNC_CHUNK_MAX_SAS)
		return -EINVAL;
	if (!grow((void **)&c->sa, c->nsa, &c->cap_sa, sizeof(*c->sa)))
		return -ENOMEM;
	c->sa[c->nsa++] = (struct sync_slice){raw, len};
	c->bytes += len + 4; /* key and length: 1 + up to 3 bytes for up to 2 MiB */
	return 0;
}

int
sync_chunk_add_seq(struct sync_chunk_enc *c, bool replay, uint32_t spi, uint64_t value)
{
	struct sync_seq **arr = replay ? &c->replay : &c->lease;
	size_t *n = replay ? &c->nreplay : &c->nlease;
	size_t *cap = replay ? &c->cap_replay : &c->cap_lease;

	if (*n >= SYNC_CHUNK_MAX_SEQ)
		return -EINVAL;
	if (!grow((void **)arr, *n, cap, sizeof(**arr)))
		return -ENOMEM;
	(*arr)[(*n)++] = (struct sync_seq){spi, value};
	c->bytes += 18; /* key, length, two keys and two varints (5 + 10 at most) */
	return 0;
}

void
sync_chunk_enc_fini(struct sync_chunk_enc *c)
{
	free(c->sa);
	free(c->lease);
	free(c->replay);
	memset(c, 0, sizeof(*c));
}

int
sync_encode_chunk(uint32_t sender, uint64_t epoch, const struct sync_chunk_enc *c, struct buf *out)
{
	Tandem__Sync__V1__SyncMsg pm;
	Tandem__Sync__V1__SnapshotChunk ch;
	ProtobufCBinaryData *raw;
	Tandem__Sync__V1__LeaseGrant *lg, **lgp;
	Tandem__Sync__V1__ReplayReport *rr, **rrp;
	int rc = -ENOMEM;

	raw = calloc(c->nsa + 1, sizeof(*raw));
	lg = calloc(c->nlease + 1, sizeof(*lg));
	lgp = calloc(c->nlease + 1, sizeof(*lgp));
	rr = calloc(c->nreplay + 1, sizeof(*rr));
	rrp = calloc(c->nreplay + 1, sizeof(*rrp));
	if (raw && lg && lgp && rr && rrp) {
		tandem__sync__v1__snapshot_chunk__init(&ch);
		PB_SET(&ch, snapshot_id, c->snapshot_id);
		PB_SET(&ch, index, c->index);
		for (size_t i = 0; i < c->nsa; i++)
			raw[i] = (ProtobufCBinaryData){c->sa[i].len, PB_DATA(c->sa[i].p)};
		for (size_t i = 0; i < c->nlease; i++) {
			tandem__sync__v1__lease_grant__init(&lg[i]);
			PB_SET(&lg[i], spi, c->lease[i].spi);
			PB_SET(&lg[i], limit, c->lease[i].value);
			lgp[i] = &lg[i];
		}
		for (size_t i = 0; i < c->nreplay; i++) {
			tandem__sync__v1__replay_report__init(&rr[i]);
			PB_SET(&rr[i], spi, c->replay[i].spi);
			PB_SET(&rr[i], highest, c->replay[i].value);
			rrp[i] = &rr[i];
		}
		ch.n_sa_update_raw = c->nsa;
		ch.sa_update_raw = raw;
		ch.n_lease = c->nlease;
		ch.lease = lgp;
		ch.n_replay = c->nreplay;
		ch.replay = rrp;
		tandem__sync__v1__sync_msg__init(&pm);
		pm.body_case = TANDEM__SYNC__V1__SYNC_MSG__BODY_SNAP_CHUNK;
		pm.snap_chunk = &ch;
		rc = msg_pack(&pm, sender, epoch, out);
	}
	free(raw);
	free(lg);
	free(lgp);
	free(rr);
	free(rrp);
	return rc;
}
