/* SPDX-License-Identifier: MIT */
/*
 * Inner-packet parsing and traffic-selector matching. IPv4 (RFC 791) and IPv6 (RFC 8200)
 * headers are read through node/core/cur.h; IPv6 extension headers are walked (bounded) to
 * reach the upper-layer protocol. A non-first fragment has no ports and matches only
 * selectors with the full port range (RFC 4301 §7.1: OPAQUE).
 */
#include "esp_ts.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "node/core/cur.h"

#define ESP_IP6_MAX_EXT 8 /* extension headers walked before giving up on the ports */

static bool
proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136 || proto == 33;
}

static bool
proto_is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

/* Ports (or ICMP type/code) at the start of the upper-layer header c, if present. */
static void
flow_ports(struct esp_flow *f, struct cur c)
{
	uint16_t a, b;
	uint8_t t, code;

	f->ports = false;
	if (proto_has_ports(f->proto) && cur_get_n16(&c, &a) && cur_get_n16(&c, &b)) {
		f->sport = a;
		f->dport = b;
		f->ports = true;
	} else if (proto_is_icmp(f->proto) && cur_get_u8(&c, &t) && cur_get_u8(&c, &code)) {
		f->sport = f->dport = (uint16_t)(t << 8 | code);
		f->ports = true;
	}
}

/*
 *   0                   1                   2                   3
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  |         Identification        |Flags|      Fragment Offset    |
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  |                       Source Address                          |
 *  |                    Destination Address                        |
 */
static int
flow_ip4(const uint8_t *p, size_t len, struct esp_flow *f)
{
	struct cur c = cur_make(p, len), body;
	uint8_t vihl, ttl;
	uint16_t tot, frag, id, sum;
	size_t hl;

	if (!cur_get_u8(&c, &vihl) || !cur_skip(&c, 1) || !cur_get_n16(&c, &tot) ||
	    !cur_get_n16(&c, &id) || !cur_get_n16(&c, &frag) || !cur_get_u8(&c, &ttl) ||
	    !cur_get_u8(&c, &f->proto) || !cur_get_n16(&c, &sum) || !cur_get_copy(&c, f->src, 4) ||
	    !cur_get_copy(&c, f->dst, 4))
		return -EBADMSG;
	hl = (size_t)(vihl & 0x0f) * 4u;
	if (hl < 20 || tot < hl || tot > len)
		return -EBADMSG;
	f->family = AF_INET;
	f->len = tot;
	f->hdr_len = hl;
	f->df = frag & 0x4000;
	f->frag = (frag & 0x3fff) != 0;
	c = cur_make(p, tot);
	if (!cur_skip(&c, hl) || !cur_get_bytes(&c, cur_left(&c), &body))
		return -EBADMSG;
	if ((frag & 0x1fff) == 0)
		flow_ports(f, body); /* a first fragment still carries the ports */
	return 0;
}

static bool
ip6_is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51;
}

/* Walks IPv6 extension headers (RFC 8200 §4) up to the upper-layer header. */
static void
flow_ip6_upper(struct esp_flow *f, struct cur c, uint8_t nh)
{
	for (int i = 0; i < ESP_IP6_MAX_EXT; i++) {
		uint8_t next, hlen;
		uint16_t off;

		if (nh == 44) { /* fragment header: 8 bytes */
			if (!cur_get_u8(&c, &next) || !cur_skip(&c, 1) || !cur_get_n16(&c, &off) ||
			    !cur_skip(&c, 4))
				return;
			f->frag = true;
			if (off & 0xfff8) {
				f->proto = next;
				return; /* non-first fragment: no ports */
			}
			nh = next;
			continue;
		}
		if (!ip6_is_ext(nh))
			break;
		if (!cur_get_u8(&c, &next) || !cur_get_u8(&c, &hlen))
			return;
		/* AH counts in 4-byte units (RFC 4302 §2.2), the others in 8 (RFC 8200 §4.3) */
		if (!cur_skip(&c, nh == 51 ? (size_t)hlen * 4u + 6u : (size_t)hlen * 8u + 6u))
			return;
		nh = next;
	}
	f->proto = nh;
	if (!ip6_is_ext(nh) && nh != 44)
		flow_ports(f, c);
}

static int
flow_ip6(const uint8_t *p, size_t len, struct esp_flow *f)
{
	struct cur c = cur_make(p, len), body;
	uint32_t vtf;
	uint16_t plen;
	uint8_t nh, hop;

	if (!cur_get_n32(&c, &vtf) || !cur_get_n16(&c, &plen) || !cur_get_u8(&c, &nh) ||
	    !cur_get_u8(&c, &hop) || !cur_get_copy(&c, f->src, 16) || !cur_get_copy(&c, f->dst, 16))
		return -EBADMSG;
	if ((size_t)plen + 40u > len)
		return -EBADMSG; /* jumbograms (payload length 0 + option) are not tunnelled */
	f->family = AF_INET6;
	f->len = (size_t)plen + 40u;
	f->hdr_len = 40;
	f->df = true;
	f->frag = false;
	f->proto = nh;
	if (!cur_get_bytes(&c, plen, &body))
		return -EBADMSG;
	flow_ip6_upper(f, body, nh);
	return 0;
}

int
esp_flow_parse(const uint8_t *p, size_t len, struct esp_flow *f)
{
	memset(f, 0, sizeof(*f));
	if (len < 1)
		return -EBADMSG;
	switch (p[0] >> 4) {
	case 4:
		return flow_ip4(p, len, f);
	case 6:
		return flow_ip6(p, len, f);
	default:
		return -EBADMSG;
	}
}

static bool
addr_in(const struct esp_ts *t, const uint8_t *a, size_t alen)
{
	return memcmp(a, t->start, alen) >= 0 && memcmp(a, t->end, alen) <= 0;
}

bool
esp_ts_match(const struct esp_ts *ts, unsigned n, int family, const uint8_t *addr, uint8_t proto,
             bool ports, uint16_t port)
{
	size_t alen = family == AF_INET ? 4 : 16;

	if (n == 0)
		return true;
	for (unsigned i = 0; i < n; i++) {
		const struct esp_ts *t = &ts[i];
		bool any_port = t->sport == 0 && t->eport == 65535;

		if (t->family != family || !addr_in(t, addr, alen))
			continue;
		if (t->proto != 0 && t->proto != proto)
			continue;
		if (!any_port && (!ports || port < t->sport || port > t->eport))
			continue;
		return true;
	}
	return false;
}

bool
esp_ts_match_out(const struct esp_sa_params *p, const struct esp_flow *f)
{
	return esp_ts_match(p->ts_local, p->nts_local, f->family, f->src, f->proto, f->ports,
	                    f->sport) &&
	       esp_ts_match(p->ts_remote, p->nts_remote, f->family, f->dst, f->proto, f->ports,
	                    f->dport);
}

bool
esp_ts_match_in(const struct esp_sa_params *p, const struct esp_flow *f)
{
	return esp_ts_match(p->ts_remote, p->nts_remote, f->family, f->src, f->proto, f->ports,
	                    f->sport) &&
	       esp_ts_match(p->ts_local, p->nts_local, f->family, f->dst, f->proto, f->ports,
	                    f->dport);
}
