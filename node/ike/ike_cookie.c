/* SPDX-License-Identifier: MIT */
/*
 * Stateless cookies (RFC 7296 §2.6). Above the configured number of half-open IKE SAs the
 * responder answers IKE_SA_INIT with a COOKIE notify instead of creating state; the cookie is
 * HMAC-SHA256(secret, Ni | IPi | SPIi) under a secret drawn from io.random and replaced every
 * IKE_COOKIE_ROTATE_MS. The previous secret stays valid for one more period, so a cookie
 * handed out just before a rotation still works.
 */
#include <errno.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

void
ike_cookie_rotate(struct ike_engine *e)
{
	if (!e->cookie_ready) {
		ike_random(e, e->cookie_secret[0], sizeof(e->cookie_secret[0]));
		memcpy(e->cookie_secret[1], e->cookie_secret[0], sizeof(e->cookie_secret[1]));
		e->cookie_ready = true;
		e->cookie_rotate_ms = e->now_ms + IKE_COOKIE_ROTATE_MS;
		return;
	}
	if (e->now_ms < e->cookie_rotate_ms)
		return;
	memcpy(e->cookie_secret[1], e->cookie_secret[0], sizeof(e->cookie_secret[1]));
	ike_random(e, e->cookie_secret[0], sizeof(e->cookie_secret[0]));
	e->cookie_rotate_ms = e->now_ms + IKE_COOKIE_ROTATE_MS;
}

bool
ike_cookie_required(struct ike_engine *e)
{
	uint32_t thr = e->o.half_open_cookie_threshold;

	return e->half_open >= thr;
}

static int
cookie_with(const uint8_t secret[32], const struct ike_msg *m,
            const struct sockaddr_storage *remote, uint8_t out[IKE_COOKIE_LEN])
{
	uint8_t a[16];
	size_t n = ike_ss_addr(remote, a);

	if (!n || !m->has_nonce)
		return -EINVAL;
	return ike_cookie_make(secret, m->nonce.p, cur_left(&m->nonce), a, n, m->hdr.spi_i, out);
}

int
ike_cookie_for(struct ike_engine *e, const struct ike_msg *m, const struct sockaddr_storage *remote,
               uint8_t out[IKE_COOKIE_LEN])
{
	ike_cookie_rotate(e);
	return cookie_with(e->cookie_secret[0], m, remote, out);
}

/* Constant time: the cookie is a MAC. */
static bool
same(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

bool
ike_cookie_valid(struct ike_engine *e, const struct ike_msg *m,
                 const struct sockaddr_storage *remote)
{
	const struct ike_pld_notify *n = ike_msg_notify(m, IKE_N_COOKIE);
	uint8_t want[IKE_COOKIE_LEN];

	ike_cookie_rotate(e);
	if (!n || cur_left(&n->data) != IKE_COOKIE_LEN)
		return false;
	for (int i = 0; i < 2; i++) {
		if (cookie_with(e->cookie_secret[i], m, remote, want) == 0 &&
		    same(want, n->data.p, IKE_COOKIE_LEN))
			return true;
	}
	return false;
}
