/* SPDX-License-Identifier: MIT */
/*
 * NAT traversal (RFC 7296 §2.23, RFC 3948) and the socket-address helpers the engine uses.
 * tandem's data plane receives ESP only in UDP, so tandem always asks for encapsulation: its
 * NAT_DETECTION_SOURCE_IP hash is deliberately wrong (what strongSwan's `encap = yes` does),
 * the peer believes tandem is behind a NAT and encapsulates, and tandem floats to port 4500.
 * What the peer's hashes say is still recorded (nat_local, nat_remote) for displays.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

size_t
ike_ss_addr(const struct sockaddr_storage *ss, uint8_t out[16])
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)ss;

		memcpy(out, &in->sin_addr, 4);
		return 4;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)ss;

		memcpy(out, &in6->sin6_addr, 16);
		return 16;
	}
	return 0;
}

uint16_t
ike_ss_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	return 0;
}

void
ike_ss_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons(port);
}

bool
ike_ss_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	uint8_t x[16], y[16];
	size_t n = ike_ss_addr(a, x);

	return n && a->ss_family == b->ss_family && ike_ss_addr(b, y) == n && memcmp(x, y, n) == 0;
}

bool
ike_ss_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return ike_ss_addr_eq(a, b) && ike_ss_port(a) == ike_ss_port(b);
}

bool
ike_ss_is_cfg(const struct sockaddr_storage *ss, const struct cfg_addr *a)
{
	uint8_t x[16];
	size_t n = ike_ss_addr(ss, x);

	return n && ss->ss_family == a->family && memcmp(x, a->addr, n) == 0;
}

void
ike_ss_from_cfg(const struct cfg_addr *a, uint16_t port, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)(void *)out;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a->addr, 4);
		in->sin_port = htons(port);
	} else if (a->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)out;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, a->addr, 16);
		in6->sin6_port = htons(port);
	}
}

void
ike_ss_str(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	uint8_t b[16];

	if (!ike_ss_addr(ss, b) || !inet_ntop(ss->ss_family, b, a, sizeof(a))) {
		snprintf(out, cap, "?");
		return;
	}
	if (ss->ss_family == AF_INET6)
		snprintf(out, cap, "[%s]:%u", a, (unsigned)ike_ss_port(ss));
	else
		snprintf(out, cap, "%s:%u", a, (unsigned)ike_ss_port(ss));
}

static int
natd_hash(uint64_t spi_i, uint64_t spi_r, const struct sockaddr_storage *ss,
          uint8_t out[IKE_NATD_HASH_LEN])
{
	uint8_t a[16];
	size_t n = ike_ss_addr(ss, a);

	if (!n)
		return -EINVAL;
	return ike_natd_hash(spi_i, spi_r, a, n, ike_ss_port(ss), out);
}

/*
 * §2.23: NAT_DETECTION_SOURCE_IP hashes our address and port, DESTINATION_IP the peer's. Ours
 * is random on purpose so that the peer sees a NAT in front of us and uses UDP encapsulation
 * (RFC 3948), the only ESP tandem's data plane receives.
 */
int
ike_natd_add(struct ike_engine *e, struct ike_mb *mb, uint64_t spi_i, uint64_t spi_r,
             const struct sockaddr_storage *local, const struct sockaddr_storage *remote)
{
	uint8_t src[IKE_NATD_HASH_LEN], dst[IKE_NATD_HASH_LEN];
	int rc;

	(void)local;
	ike_random(e, src, sizeof(src));
	rc = natd_hash(spi_i, spi_r, remote, dst);
	if (rc)
		return rc;
	rc = ike_mb_notify(mb, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, src, sizeof(src));
	if (rc == 0)
		rc = ike_mb_notify(mb, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, dst,
		                   sizeof(dst));
	return rc;
}

bool
ike_natd_check(struct ike_sa *sa, const struct ike_msg *m)
{
	uint8_t h[IKE_NATD_HASH_LEN];
	bool any_src = false, src_match = false, dst_match = false, any_dst = false;
	uint64_t spi_r = (m->hdr.flags & IKE_FLAG_RESPONSE) ? m->hdr.spi_r : 0;

	for (size_t i = 0; i < m->nnotify; i++) {
		const struct ike_pld_notify *n = &m->notify[i];

		if (n->type == IKE_N_NAT_DETECTION_SOURCE_IP) {
			any_src = true;
			if (natd_hash(m->hdr.spi_i, spi_r, &sa->st.remote, h) == 0 &&
			    cur_left(&n->data) == sizeof(h) && memcmp(h, n->data.p, sizeof(h)) == 0)
				src_match = true;
		} else if (n->type == IKE_N_NAT_DETECTION_DESTINATION_IP) {
			any_dst = true;
			if (natd_hash(m->hdr.spi_i, spi_r, &sa->st.local, h) == 0 &&
			    cur_left(&n->data) == sizeof(h) && memcmp(h, n->data.p, sizeof(h)) == 0)
				dst_match = true;
		}
	}
	if (!any_src || !any_dst)
		return false;
	sa->st.nat_remote = !src_match;
	sa->st.nat_local = !dst_match;
	return true;
}
