/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the IKEv2 message codec, the bytes any host on the Internet can send
 * to UDP 500/4500. Three passes per input: the input as a datagram (ike_msg_parse), then its
 * SK body as if it were the decrypted plaintext (ike_msg_parse_inner), and the input as a
 * plaintext chain on its own (first octet: first payload type, second: exchange and flags,
 * rest: the chain), which reaches every payload parser without a valid header. Whatever
 * parses is rebuilt with the ike_mb_* builders and must parse again to the same values.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/ike/ike_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

static bool
cur_same(struct cur a, struct cur b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static const struct ike_pld_id *
pick_id(const struct ike_msg *m, uint8_t type)
{
	return type == IKE_PLD_IDI ? &m->idi : &m->idr;
}

static const struct ike_pld_ts *
pick_ts(const struct ike_msg *m, uint8_t type)
{
	return type == IKE_PLD_TSI ? &m->tsi : &m->tsr;
}

/* Appends payload i of m with its typed builder; an SKF cannot be rebuilt (false). */
static bool
rebuild_one(const struct ike_msg *m, size_t i, struct ike_mb *mb, size_t *ni, size_t *nd,
            size_t *sk_aad, size_t *sk_off)
{
	uint8_t t = m->pld[i].type;
	struct cur b = m->pld[i].body;
	const struct ike_pld_notify *n;
	const struct ike_pld_delete *d;
	int rc;
	switch (t) {
	case IKE_PLD_SKF:
		return false;
	case IKE_PLD_SK: /* last: reserve the body and copy it in after ike_mb_finish */
		rc = ike_mb_sk(mb, m->sk.inner_next, m->sk.body.len, sk_aad, sk_off);
		break;
	case IKE_PLD_SA:
		rc = ike_mb_sa(mb, &m->sa);
		break;
	case IKE_PLD_KE:
		rc = ike_mb_ke(mb, m->ke.group, m->ke.data.p, m->ke.data.len);
		break;
	case IKE_PLD_NONCE:
		rc = ike_mb_nonce(mb, m->nonce.p, m->nonce.len);
		break;
	case IKE_PLD_IDI:
	case IKE_PLD_IDR:
		rc = ike_mb_id(mb, t, pick_id(m, t)->type, pick_id(m, t)->data.p,
		               pick_id(m, t)->data.len);
		break;
	case IKE_PLD_AUTH:
		rc = ike_mb_auth(mb, m->auth.method, m->auth.data.p, m->auth.data.len);
		break;
	case IKE_PLD_NOTIFY:
		n = &m->notify[(*ni)++];
		rc = ike_mb_notify(mb, n->proto, n->spi.p, n->spi_len, n->type, n->data.p,
		                   n->data.len);
		break;
	case IKE_PLD_DELETE:
		d = &m->del[(*nd)++];
		rc = ike_mb_delete(mb, d->proto, d->spi_len, d->spis.p, d->nspi);
		break;
	case IKE_PLD_TSI:
	case IKE_PLD_TSR:
		rc = ike_mb_ts(mb, t, pick_ts(m, t)->ts, pick_ts(m, t)->n);
		break;
	case IKE_PLD_VENDOR:
		rc = ike_mb_vendor(mb, b.p, b.len);
		break;
	default: /* CERT, CERTREQ, CP, EAP and unknown non-critical payloads */
		rc = ike_mb_payload(mb, t, b.p, b.len);
		break;
	}
	CHECK(rc == 0);
	return true;
}

static void
same_sa(const struct ike_pld_sa *a, const struct ike_pld_sa *b)
{
	CHECK(a->nprops == b->nprops);
	for (size_t i = 0; i < a->nprops; i++) {
		const struct ike_proposal *p = &a->props[i], *q = &b->props[i];

		CHECK(p->num == q->num && p->proto == q->proto && p->spi_len == q->spi_len);
		CHECK(memcmp(p->spi, q->spi, p->spi_len) == 0 && p->ntrans == q->ntrans);
		for (size_t j = 0; j < p->ntrans; j++)
			CHECK(p->trans[j].type == q->trans[j].type &&
			      p->trans[j].id == q->trans[j].id &&
			      p->trans[j].keylen == q->trans[j].keylen);
	}
}

/* What the builders wrote parses to what was parsed before. */
static void
same_msg(const struct ike_msg *a, const struct ike_msg *b)
{
	CHECK(a->npld == b->npld && a->nnotify == b->nnotify && a->ndelete == b->ndelete);
	CHECK(a->nvendor == b->nvendor);
	for (size_t i = 0; i < a->npld; i++)
		CHECK(a->pld[i].type == b->pld[i].type && !b->pld[i].critical);
	if (a->has_sa)
		same_sa(&a->sa, &b->sa);
	CHECK(a->ke.group == b->ke.group && cur_same(a->ke.data, b->ke.data));
	CHECK(cur_same(a->nonce, b->nonce));
	/* The bodies differ where the peer set RESERVED bits (which AUTH still signs as sent). */
	CHECK(a->idi.type == b->idi.type && cur_same(a->idi.data, b->idi.data));
	CHECK(a->idr.type == b->idr.type && cur_same(a->idr.data, b->idr.data));
	CHECK(a->idi.body.len == b->idi.body.len && a->idr.body.len == b->idr.body.len);
	CHECK(a->auth.method == b->auth.method && cur_same(a->auth.data, b->auth.data));
	CHECK(a->tsi.n == b->tsi.n && memcmp(a->tsi.ts, b->tsi.ts, sizeof(a->tsi.ts)) == 0);
	CHECK(a->tsr.n == b->tsr.n && memcmp(a->tsr.ts, b->tsr.ts, sizeof(a->tsr.ts)) == 0);
	for (size_t i = 0; i < a->nnotify; i++) {
		const struct ike_pld_notify *n = &a->notify[i], *o = &b->notify[i];

		CHECK(n->proto == o->proto && n->spi_len == o->spi_len && n->type == o->type);
		CHECK(cur_same(n->spi, o->spi) && cur_same(n->data, o->data));
	}
	for (size_t i = 0; i < a->ndelete; i++)
		CHECK(a->del[i].proto == b->del[i].proto && a->del[i].nspi == b->del[i].nspi &&
		      cur_same(a->del[i].spis, b->del[i].spis));
	for (size_t i = 0; i < a->nvendor; i++)
		CHECK(cur_same(a->vendor[i], b->vendor[i]));
}

static const uint8_t attr_notes =
        (uint8_t)(1u << IKE_NOTE_XFORM_ATTR_TLV | 1u << IKE_NOTE_XFORM_ATTR_UNKNOWN);

static void
round_trip(const struct ike_msg *m, bool chain)
{
	static struct ike_msg again; /* large: kept off the stack */
	struct ike_mb mb;
	struct ike_perr err;
	size_t ni = 0, nd = 0, sk_aad = 0, sk_off = 0;
	int rc;

	if (chain)
		ike_mb_init_chain(&mb);
	else
		ike_mb_init(&mb, &m->hdr);
	for (size_t i = 0; i < m->npld; i++)
		if (!rebuild_one(m, i, &mb, &ni, &nd, &sk_aad, &sk_off))
			goto out;
	CHECK(ike_mb_finish(&mb) == 0);
	if (m->has_sk) {
		CHECK(sk_off + m->sk.body.len == mb.b.b_len);
		memcpy(mb.b.b_data + sk_off, m->sk.body.p, m->sk.body.len);
	}
	if (chain) {
		memset(&again, 0, sizeof(again));
		again.hdr = m->hdr;
		rc = ike_msg_parse_inner(&again, ike_mb_first(&mb), mb.b.b_data, mb.b.b_len, &err);
	} else {
		rc = ike_msg_parse(mb.b.b_data, mb.b.b_len, &again, &err);
	}
	CHECK(rc == 0 && err.reason == IKE_REJ_NONE);
	same_msg(m, &again);
	/* the builder writes only attributes it knows, never a critical bit: nothing to note */
	CHECK(again.notes == 0);
	CHECK(again.has_sk == m->has_sk && again.sk.inner_next == m->sk.inner_next);
	/* attributes that made a transform unusable are not rebuilt: the SA may be shorter */
	if (m->has_sk)
		CHECK(again.sk.aad_len == sk_aad && cur_same(again.sk.body, m->sk.body) &&
		      (again.sk.aad_len == m->sk.aad_len || (m->notes & attr_notes)));
out:
	ike_mb_fini(&mb);
}

static void
check_err(int rc, const struct ike_perr *err)
{
	char text[256];

	CHECK(rc == 0 || rc == -EBADMSG);
	CHECK((rc == 0) == (err->reason == IKE_REJ_NONE));
	CHECK(err->reason < IKE_REJ_COUNT);
	ike_perr_format(err, text, sizeof(text));
	CHECK(strlen(text) < sizeof(text));
}

/* An unusable transform always comes with its note; notes format within bounds. */
static void
check_notes(const struct ike_msg *m)
{
	char text[256];
	bool unusable = false;

	for (size_t i = 0; m->has_sa && i < m->sa.nprops; i++)
		for (size_t j = 0; j < m->sa.props[i].ntrans; j++)
			unusable |= m->sa.props[i].trans[j].unusable;
	CHECK(!unusable || (m->notes & attr_notes));
	CHECK(m->notes < (1u << IKE_NOTE_COUNT));
	for (int n = 0; n < IKE_NOTE_COUNT; n++) {
		ike_note_format((enum ike_note)n, m->note_a[n], m->note_b[n], text, sizeof(text));
		CHECK(strlen(text) < sizeof(text));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg msg;
	struct ike_perr err;
	int rc;

	rc = ike_msg_parse(data, size, &msg, &err);
	check_err(rc, &err);
	if (rc == 0) {
		check_notes(&msg);
		round_trip(&msg, false);
		if (msg.has_sk) {
			rc = ike_msg_parse_inner(&msg, msg.sk.inner_next, msg.sk.body.p,
			                         msg.sk.body.len, &err);
			check_err(rc, &err);
		}
	}
	if (size < 2)
		return 0;
	memset(&msg, 0, sizeof(msg));
	msg.hdr.exch = (uint8_t)(IKE_EXCH_SA_INIT + (data[1] & 3));
	msg.hdr.flags = data[1] & (IKE_FLAG_RESPONSE | IKE_FLAG_INITIATOR);
	rc = ike_msg_parse_inner(&msg, data[0], data + 2, size - 2, &err);
	check_err(rc, &err);
	if (rc == 0) {
		check_notes(&msg);
		round_trip(&msg, true);
	}
	return 0;
}
