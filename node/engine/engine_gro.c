/* SPDX-License-Identifier: MIT */
/*
 * TCP coalescing of decrypted segments for TUN writes (engine_gro.h). A train keeps the
 * first segment's headers; later segments only add payload. On take, the IP length (and the
 * IPv4 header checksum) are fixed and the TCP checksum field gets the pseudo-header sum, to
 * be completed by whoever segments or delivers it (VIRTIO_NET_HDR_F_NEEDS_CSUM).
 */
#include "node/engine/engine_gro.h"

#include <string.h>

#include "node/engine/engine_pkt.h"

#define VNET_HDR          10u
#define VNET_F_NEEDS_CSUM 1u
#define VNET_GSO_TCPV4    1u
#define VNET_GSO_TCPV6    4u
#define TCP_ACK           0x10u
#define TCP_PSH           0x08u

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* IP header length, TCP header length, payload; 0 when not a plain TCP segment. */
static size_t
gro_headers(const uint8_t *p, size_t len, size_t *iphl, size_t *hlen)
{
	size_t th;

	if (len < 40)
		return 0;
	if ((p[0] >> 4) == 4) {
		/* no options, no fragments, TCP, the whole packet */
		if (p[0] != 0x45 || p[9] != 6 || (rd16(p + 6) & 0x3fff) || rd16(p + 2) != len)
			return 0;
		*iphl = 20;
	} else if ((p[0] >> 4) == 6) {
		if (len < 60 || p[6] != 6 || (size_t)rd16(p + 4) + 40 != len)
			return 0;
		*iphl = 40;
	} else {
		return 0;
	}
	th = (size_t)(p[*iphl + 12] >> 4) * 4u;
	if (th < 20 || *iphl + th >= len)
		return 0; /* no payload: nothing to join */
	*hlen = *iphl + th;
	return len - *hlen;
}

bool
engine_gro_candidate(const uint8_t *p, size_t len)
{
	size_t iphl, hlen;

	if (!gro_headers(p, len, &iphl, &hlen))
		return false;
	/* only ACK (and PSH): SYN, FIN, RST, URG, CWR and ECE go on their own */
	return (p[iphl + 13] & (uint8_t)~TCP_PSH) == TCP_ACK;
}

void
engine_gro_start(struct engine_gro *g, const void *owner, const uint8_t *p, size_t len)
{
	size_t pay = gro_headers(p, len, &g->iphl, &g->hlen);

	memcpy(g->buf + VNET_HDR, p, len);
	g->len = len;
	g->owner = owner;
	g->nseg = 1;
	g->mss = pay;
	g->v6 = (p[0] >> 4) == 6;
	g->closed = (p[g->iphl + 13] & TCP_PSH) != 0;
	g->next_seq = rd32(p + g->iphl + 4) + (uint32_t)pay;
	g->next_id = (uint16_t)(g->v6 ? 0 : rd16(p + 4) + 1);
}

/* Same flow, same headers but for length, ID, checksums, sequence number and PSH. */
static bool
gro_same(const struct engine_gro *g, const uint8_t *p)
{
	const uint8_t *h = g->buf + VNET_HDR, *t = p + g->iphl, *ht = h + g->iphl;

	if (g->v6) {
		if (memcmp(h, p, 4) != 0 || memcmp(h + 6, p + 6, 34) != 0)
			return false; /* class/flow, next header, hop limit, addresses */
	} else {
		if (h[1] != p[1] || h[6] != p[6] || h[8] != p[8] || memcmp(h + 12, p + 12, 8) != 0)
			return false; /* TOS, DF, TTL, addresses */
		if (!(p[6] & 0x40) && rd16(p + 4) != g->next_id)
			return false; /* without DF the IDs must run on */
	}
	if (memcmp(ht, t, 4) != 0 || memcmp(ht + 8, t + 8, 4) != 0 || ht[12] != t[12])
		return false; /* ports, ACK number, header length */
	if ((t[13] & (uint8_t)~TCP_PSH) != TCP_ACK || memcmp(ht + 14, t + 14, 2) != 0)
		return false;                                        /* flags, window */
	return memcmp(ht + 20, t + 20, g->hlen - g->iphl - 20) == 0; /* options */
}

bool
engine_gro_append(struct engine_gro *g, const void *owner, const uint8_t *p, size_t len)
{
	size_t iphl, hlen, pay;

	if (g->len == 0 || g->owner != owner || g->closed || g->nseg >= ENGINE_GRO_SEGS)
		return false;
	pay = gro_headers(p, len, &iphl, &hlen);
	if (!pay || iphl != g->iphl || hlen != g->hlen || pay > g->mss ||
	    g->len + pay > ENGINE_GRO_MAX || rd32(p + iphl + 4) != g->next_seq || !gro_same(g, p))
		return false;
	memcpy(g->buf + VNET_HDR + g->len, p + hlen, pay);
	g->len += pay;
	g->nseg++;
	g->next_seq += (uint32_t)pay;
	g->next_id++;
	if (pay < g->mss || (p[iphl + 13] & TCP_PSH)) {
		g->closed = true; /* a shorter segment or PSH ends the train (as Linux GRO) */
		g->buf[VNET_HDR + g->iphl + 13] |= p[iphl + 13] & TCP_PSH;
	}
	return true;
}

static void
gro_vnet(uint8_t *v, uint8_t flags, uint8_t type, size_t hlen, size_t mss, size_t start)
{
	v[0] = flags;
	v[1] = type;
	v[2] = (uint8_t)hlen;
	v[3] = (uint8_t)(hlen >> 8);
	v[4] = (uint8_t)mss;
	v[5] = (uint8_t)(mss >> 8);
	v[6] = (uint8_t)start;
	v[7] = (uint8_t)(start >> 8);
	v[8] = start ? 16 : 0; /* the TCP checksum's offset */
	v[9] = 0;
}

size_t
engine_gro_take(struct engine_gro *g)
{
	uint8_t *p = g->buf + VNET_HDR, ph[4];
	size_t n = g->len, tl;
	uint32_t s;

	if (n == 0)
		return 0;
	g->len = 0;
	if (g->nseg == 1) {
		/* one segment: as it came, checksum verified by ESP's integrity (DATA_VALID) */
		gro_vnet(g->buf, 2, 0, 0, 0, 0);
		return n + VNET_HDR;
	}
	tl = n - g->iphl;
	if (g->v6) {
		wr16(p + 4, (uint16_t)(n - 40));
		s = engine_csum_add(0, p + 8, 32);
	} else {
		wr16(p + 2, (uint16_t)n);
		wr16(p + 10, 0);
		wr16(p + 10, engine_csum_fold(engine_csum_add(0, p, 20)));
		s = engine_csum_add(0, p + 12, 8);
	}
	wr16(ph, 6);
	wr16(ph + 2, (uint16_t)tl);
	s = engine_csum_add(s, ph, 4);
	/* NEEDS_CSUM: the field holds the pseudo-header sum, not complemented */
	wr16(p + g->iphl + 16, (uint16_t)~engine_csum_fold(s));
	gro_vnet(g->buf, VNET_F_NEEDS_CSUM, g->v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4, g->hlen,
	         g->mss, g->iphl);
	return n + VNET_HDR;
}
