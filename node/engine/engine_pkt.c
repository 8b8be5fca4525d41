/* SPDX-License-Identifier: MIT */
/*
 * Clear-packet helpers for the outbound path (engine_pkt.h). Headers are read with bounds
 * checked against the packet's own length; every write stays inside the caller's buffer.
 */
#include "node/engine/engine_pkt.h"

#include <errno.h>
#include <string.h>

#define VNET_F_NEEDS_CSUM 1u

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

void
engine_vnet_parse(const uint8_t *h, struct engine_vnet *v)
{
	v->flags = h[0];
	v->gso_type = h[1];
	v->hdr_len = (uint16_t)(h[2] | h[3] << 8);
	v->gso_size = (uint16_t)(h[4] | h[5] << 8);
	v->csum_start = (uint16_t)(h[6] | h[7] << 8);
	v->csum_offset = (uint16_t)(h[8] | h[9] << 8);
}

/*
 * RFC 1071 §2 (B): the one's-complement sum does not depend on byte order, so sum native
 * (little-endian) 32-bit words into 64 bits, fold, and swap the bytes once at the end.
 */
static uint64_t
csum_le(const uint8_t *p, size_t n)
{
	uint64_t s = 0, v;
	uint32_t w;

	for (; n >= 32; p += 32, n -= 32) {
		uint64_t a, b, c, d;

		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		s += (a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) + (b >> 32);
		s += (c & 0xffffffffu) + (c >> 32) + (d & 0xffffffffu) + (d >> 32);
	}
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&v, p, 8);
		s += (v & 0xffffffffu) + (v >> 32);
	}
	if (n >= 4) {
		memcpy(&w, p, 4);
		s += w;
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		s += h;
		p += 2;
		n -= 2;
	}
	if (n) {
		uint8_t last[2] = {p[0], 0};
		uint16_t h;

		memcpy(&h, last, 2);
		s += h;
	}
	return s;
}

uint32_t
engine_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t s = csum_le(p, n);
	uint32_t r;

	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	r = (uint32_t)((s & 0xff) << 8 | s >> 8); /* to network order */
#else
	r = (uint32_t)s;
#endif
	return sum + r < sum ? sum + r + 1 : sum + r;
}

uint16_t
engine_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
engine_csum_complete(uint8_t *p, size_t len, uint16_t start, uint16_t offset)
{
	uint16_t c;

	if ((size_t)start + offset + 2 > len)
		return -EBADMSG;
	/* the device put the pseudo-header sum in the checksum field: sum over it */
	c = engine_csum_fold(engine_csum_add(0, p + start, len - start));
	if (c == 0 && offset == 6)
		c = 0xffff; /* UDP: a computed 0 is sent as all ones (RFC 768, RFC 8200 §8.1) */
	wr16(p + start + offset, c);
	return 0;
}

/* ---- TSO ------------------------------------------------------------------------------------ */

int
engine_tso_prepare(const uint8_t *pkt, size_t len, uint16_t gso_size, struct engine_tso *t)
{
	size_t tcp_off;

	memset(t, 0, sizeof(*t));
	if (len < 20 || gso_size == 0)
		return -EBADMSG;
	t->v6 = (pkt[0] >> 4) == 6;
	if (!t->v6 && (pkt[0] >> 4) == 4) {
		t->ip_len = (size_t)(pkt[0] & 0x0f) * 4u;
		if (t->ip_len < 20 || pkt[9] != 6 || rd16(pkt + 2) != len)
			return -EBADMSG;
	} else if (t->v6) {
		/* extension headers are not produced by the kernel's TSO path; refuse them */
		if (len < 40 || pkt[6] != 6 || (size_t)rd16(pkt + 4) + 40 != len)
			return -EBADMSG;
		t->ip_len = 40;
	} else {
		return -EBADMSG;
	}
	tcp_off = t->ip_len;
	if (len < tcp_off + 20)
		return -EBADMSG;
	t->hdr_len = tcp_off + (size_t)(pkt[tcp_off + 12] >> 4) * 4u;
	if (t->hdr_len < tcp_off + 20 || t->hdr_len > len)
		return -EBADMSG;
	t->pkt = pkt;
	t->len = len;
	t->mss = gso_size;
	t->nseg = (unsigned)((len - t->hdr_len + t->mss - 1) / t->mss);
	if (t->nseg == 0)
		t->nseg = 1;
	return 0;
}

/* TCP checksum with the IPv4/IPv6 pseudo-header (RFC 793 §3.1, RFC 8200 §8.1). */
static void
tcp_csum(uint8_t *seg, size_t ip_len, size_t len, bool v6)
{
	size_t tl = len - ip_len;
	uint32_t s;
	uint8_t ph[4] = {0, 0, (uint8_t)(tl >> 8), (uint8_t)tl};

	wr16(seg + ip_len + 16, 0);
	s = v6 ? engine_csum_add(0, seg + 8, 32) : engine_csum_add(0, seg + 12, 8);
	s = engine_csum_add(s, ph, 4) + 6u; /* length and protocol 6 */
	s = engine_csum_add(s, seg + ip_len, tl);
	wr16(seg + ip_len + 16, engine_csum_fold(s));
}

static void
ip4_csum(uint8_t *p, size_t hl)
{
	wr16(p + 10, 0);
	wr16(p + 10, engine_csum_fold(engine_csum_add(0, p, hl)));
}

size_t
engine_tso_segment(const struct engine_tso *t, unsigned idx, uint8_t *out)
{
	size_t off = (size_t)idx * t->mss, pay = t->len - t->hdr_len - off, len;
	uint8_t *tcp = out + t->ip_len;
	bool last = idx + 1 == t->nseg;

	if (pay > t->mss)
		pay = t->mss;
	len = t->hdr_len + pay;
	memcpy(out, t->pkt, t->hdr_len);
	memcpy(out + t->hdr_len, t->pkt + t->hdr_len + off, pay);
	if (t->v6) {
		wr16(out + 4, (uint16_t)(len - 40));
	} else {
		wr16(out + 2, (uint16_t)len);
		wr16(out + 4, (uint16_t)(rd16(t->pkt + 4) + idx));
		ip4_csum(out, t->ip_len);
	}
	wr32(tcp + 4, rd32(t->pkt + t->ip_len + 4) + (uint32_t)off);
	if (!last)
		tcp[13] &= (uint8_t)~0x09; /* FIN and PSH only on the last segment */
	if (idx > 0)
		tcp[13] &= (uint8_t)~0x80; /* CWR only on the first */
	tcp_csum(out, t->ip_len, len, t->v6);
	return len;
}

/* ---- IPv4 fragmentation ------------------------------------------------------------------- */

/* Options a non-first fragment keeps: those with the copy flag (RFC 791 §3.1). */
static size_t
ip4_copied_opts(const uint8_t *opt, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint8_t type = opt[i], l;

		if (type == 0)
			break;
		if (type == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || (l = opt[i + 1]) < 2 || i + l > n)
			break;
		if (type & 0x80) {
			memcpy(out + o, opt + i, l);
			o += l;
		}
		i += l;
	}
	while (o % 4)
		out[o++] = 0;
	return o;
}

size_t
engine_ip4_fragment(const uint8_t *p, size_t len, size_t mtu, unsigned idx, uint8_t *out)
{
	size_t hl = (size_t)(p[0] & 0x0f) * 4u, data = len - hl, step, off, n, ohl = hl;
	uint16_t frag = rd16(p + 6), base = (uint16_t)(frag & 0x1fff);

	if (mtu < hl + 8 || len < hl)
		return 0;
	step = (mtu - hl) / 8u * 8u; /* the same for all: later headers are never longer */
	off = (size_t)idx * step;
	if (off >= data && !(data == 0 && idx == 0))
		return 0;
	n = data - off < step ? data - off : step;
	if (idx == 0) {
		memcpy(out, p, hl);
	} else {
		memcpy(out, p, 20);
		ohl = 20 + ip4_copied_opts(p + 20, hl - 20, out + 20);
		out[0] = (uint8_t)(0x40 | ohl / 4);
	}
	memcpy(out + ohl, p + hl + off, n);
	wr16(out + 2, (uint16_t)(ohl + n));
	/* MF on every fragment but the last, unless the original was itself a middle fragment */
	wr16(out + 6,
	     (uint16_t)((base + off / 8) | ((off + n < data || (frag & 0x2000)) ? 0x2000 : 0)));
	ip4_csum(out, ohl);
	return ohl + n;
}

/* ---- ICMP errors -------------------------------------------------------------------------- */

static bool
icmp4_allowed(const uint8_t *o, size_t olen)
{
	size_t hl = (size_t)(o[0] & 0x0f) * 4u;

	if ((rd16(o + 6) & 0x1fff) != 0)
		return false; /* not the first fragment */
	if (o[16] >= 224 || (o[16] == 255 && o[17] == 255))
		return false; /* multicast or broadcast */
	/* no error about an ICMP error (types 3, 4, 5, 11, 12) */
	if (o[9] == 1 && olen > hl &&
	    (o[hl] == 3 || o[hl] == 4 || o[hl] == 5 || o[hl] == 11 || o[hl] == 12))
		return false;
	return true;
}

/* RFC 792 / RFC 1191: type 3 code 4 with the next-hop MTU; up to 576 bytes in all. */
static size_t
icmp4_frag_needed(const uint8_t *o, size_t olen, size_t mtu, uint8_t *out, size_t cap)
{
	size_t quote = olen, len;

	if (cap < 28 + 28 || olen < 20 || !icmp4_allowed(o, olen))
		return 0;
	if (quote > 576 - 28)
		quote = 576 - 28;
	if (quote > cap - 28)
		quote = cap - 28;
	len = 28 + quote;
	memset(out, 0, 28);
	out[0] = 0x45;
	wr16(out + 2, (uint16_t)len);
	out[8] = 64;
	out[9] = 1;
	memcpy(out + 12, o + 16, 4); /* from the destination it could not reach */
	memcpy(out + 16, o + 12, 4);
	ip4_csum(out, 20);
	out[20] = 3;
	out[21] = 4;
	wr16(out + 26, (uint16_t)(mtu > 0xffff ? 0xffff : mtu));
	memcpy(out + 28, o, quote);
	wr16(out + 22, engine_csum_fold(engine_csum_add(0, out + 20, len - 20)));
	return len;
}

static bool
icmp6_allowed(const uint8_t *o, size_t olen)
{
	if (o[24] == 0xff)
		return false; /* multicast destination */
	/* no error about an ICMPv6 error (types < 128), when it is the first header */
	if (o[6] == 58 && olen > 40 && o[40] < 128)
		return false;
	return true;
}

/* RFC 4443 §3.2: type 2 code 0 with the MTU; the whole error fits in 1280 bytes. */
static size_t
icmp6_too_big(const uint8_t *o, size_t olen, size_t mtu, uint8_t *out, size_t cap)
{
	size_t quote = olen, len, pl;
	uint32_t s;
	uint8_t ph[8] = {0};

	if (cap < 48 + 40 || olen < 40 || !icmp6_allowed(o, olen))
		return 0;
	if (quote > 1280 - 48)
		quote = 1280 - 48;
	if (quote > cap - 48)
		quote = cap - 48;
	len = 48 + quote;
	pl = len - 40;
	memset(out, 0, 48);
	out[0] = 0x60;
	wr16(out + 4, (uint16_t)pl);
	out[6] = 58;
	out[7] = 64;
	memcpy(out + 8, o + 24, 16);
	memcpy(out + 24, o + 8, 16);
	out[40] = 2;
	wr32(out + 44, (uint32_t)(mtu < 1280 ? 1280 : mtu));
	memcpy(out + 48, o, quote);
	wr32(ph, (uint32_t)pl);
	ph[7] = 58;
	s = engine_csum_add(engine_csum_add(0, out + 8, 32), ph, 8);
	wr16(out + 42, engine_csum_fold(engine_csum_add(s, out + 40, pl)));
	return len;
}

size_t
engine_icmp_too_big(const uint8_t *orig, size_t olen, size_t mtu, uint8_t *out, size_t cap)
{
	if (olen < 1)
		return 0;
	if ((orig[0] >> 4) == 4)
		return icmp4_frag_needed(orig, olen, mtu, out, cap);
	if ((orig[0] >> 4) == 6)
		return icmp6_too_big(orig, olen, mtu, out, cap);
	return 0;
}
