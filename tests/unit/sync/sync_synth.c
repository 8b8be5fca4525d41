/* SPDX-License-Identifier: MIT */
/*
 * Synthetic IKE SA states (sync_synth.h): every field the codec checks holds a valid value,
 * keys have the lengths of the algorithms, SPIs are unique per seed.
 */
#include "sync_synth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
key(struct secret *s, uint64_t seed, uint8_t tag, size_t len, int *rc)
{
	uint8_t b[64];

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed * 31u + tag * 7u + i);
	if (secret_set(s, b, len))
		*rc = -ENOMEM;
}

static void
v4(struct sockaddr_storage *ss, uint32_t a, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(a);
	in->sin_port = htons(port);
}

int
sync_synth_sa(struct ike_sa_state *st, uint64_t seed, unsigned nchildren)
{
	int rc = 0;

	memset(st, 0, sizeof(*st));
	st->spi_i = 0x1000000000000000ull + seed * 2 + 1;
	st->spi_r = 0x2000000000000000ull + seed * 2 + 1;
	st->initiator = seed & 1;
	st->phase = IKE_PHASE_ESTABLISHED;
	snprintf(st->tunnel, sizeof(st->tunnel), "t%llu", (unsigned long long)(seed % 1000));
	v4(&st->local, 0xc6336401u, 4500);                            /* 198.51.100.1 */
	v4(&st->remote, 0xcb007100u + (uint32_t)(seed & 0xff), 4500); /* 203.0.113.x */
	st->nat_local = false;
	st->nat_remote = true;
	st->id_local.type = CFG_ID_FQDN;
	st->id_local.len =
	        (uint16_t)snprintf((char *)st->id_local.data, CFG_ID_MAX, "gw.example.com");
	st->id_remote.type = CFG_ID_FQDN;
	st->id_remote.len = (uint16_t)snprintf((char *)st->id_remote.data, CFG_ID_MAX,
	                                       "branch%llu.example.com", (unsigned long long)seed);
	st->encr = CFG_ENCR_AES128_GCM16;
	st->integ = CFG_INTEG_NONE;
	st->prf = CFG_PRF_HMAC_SHA2_256;
	st->dh_group = 19;
	key(&st->sk_d, seed, 1, 32, &rc);
	key(&st->sk_pi, seed, 2, 32, &rc);
	key(&st->sk_pr, seed, 3, 32, &rc);
	key(&st->sk_ei, seed, 4, 20, &rc);
	key(&st->sk_er, seed, 5, 20, &rc);
	st->msgid_next_send = 2;
	st->msgid_next_recv = 2;
	st->established_unix = 1700000000;
	if (nchildren) {
		st->child = calloc(nchildren, sizeof(*st->child));
		if (!st->child)
			return -ENOMEM;
		st->nchildren = (uint8_t)nchildren;
	}
	for (unsigned i = 0; i < nchildren && !rc; i++) {
		struct ike_child_state *c = &st->child[i];
		struct esp_ts l = {.family = AF_INET, .eport = 65535};
		struct esp_ts r = {.family = AF_INET, .eport = 65535};

		c->child_id = seed * 16 + i + 1;
		c->spi_in = 0xc0000000u | (uint32_t)((seed * 16 + i) * 2 + 1);
		c->spi_out = 0x40000000u | (uint32_t)((seed * 16 + i) * 2 + 1);
		c->encr = CFG_ENCR_AES128_GCM16;
		c->integ = CFG_INTEG_NONE;
		c->udp_encap = true;
		c->replay_window = 128;
		key(&c->enc_in, seed, (uint8_t)(10 + i), 20, &rc);
		key(&c->enc_out, seed, (uint8_t)(40 + i), 20, &rc);
		l.start[0] = 10, l.end[0] = 10, l.end[1] = 255, l.end[2] = 255, l.end[3] = 255;
		r.start[0] = 172, r.start[1] = 16, r.end[0] = 172, r.end[1] = 16, r.end[2] = 255;
		r.end[3] = 255;
		if (ike_child_state_set_ts(c, &l, 1, &r, 1))
			rc = -ENOMEM;
	}
	if (rc)
		ike_sa_state_clear(st);
	return rc;
}
