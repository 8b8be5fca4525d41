/* SPDX-License-Identifier: MIT */
/*
 * Pure helpers on clear IP packets for the outbound path: Internet checksums (RFC 1071),
 * completing a partial checksum and splitting a TCP super-packet the way a NIC's TSO would
 * (virtio-net offloads of a TUN device), IPv4 fragmentation (RFC 791) before encryption, and
 * the ICMP errors a tunnel owes a sender: Fragmentation Needed (RFC 792, RFC 1191) and ICMPv6
 * Packet Too Big (RFC 4443 §3.2). No I/O, no allocation; unit-tested on their own.
 */
#ifndef TANDEM_NODE_ENGINE_ENGINE_PKT_H
#define TANDEM_NODE_ENGINE_ENGINE_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fields of struct virtio_net_hdr, host order (the device writes little endian). */
struct engine_vnet {
	uint8_t flags;    /* VIRTIO_NET_HDR_F_NEEDS_CSUM ... */
	uint8_t gso_type; /* VIRTIO_NET_HDR_GSO_NONE / TCPV4 / TCPV6 (| ECN) */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

void engine_vnet_parse(const uint8_t *h, struct engine_vnet *v);

/* One's-complement sum of p[0..n) added to sum (not folded). */
uint32_t engine_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t engine_csum_fold(uint32_t sum);

/*
 * Completes a partial checksum: the 16-bit sum over p[start..len) goes at start + offset
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM). Returns 0 or -EBADMSG when the offsets lie.
 */
int engine_csum_complete(uint8_t *p, size_t len, uint16_t start, uint16_t offset);

/* A TCP super-packet ready to be cut (engine_tso_prepare). */
struct engine_tso {
	const uint8_t *pkt;
	size_t len;
	bool v6;
	size_t ip_len;  /* IP header(s) */
	size_t hdr_len; /* IP + TCP headers */
	size_t mss;
	unsigned nseg;
};

/* Checks the super-packet's headers. Returns 0 or -EBADMSG. */
int engine_tso_prepare(const uint8_t *pkt, size_t len, uint16_t gso_size, struct engine_tso *t);
/*
 * Writes segment idx (< t->nseg) to out (room for hdr_len + mss): headers copied with
 * lengths, IPv4 ID, TCP sequence number, flags (FIN/PSH on the last only, CWR on the first
 * only) and both checksums computed. Returns its length.
 */
size_t engine_tso_segment(const struct engine_tso *t, unsigned idx, uint8_t *out);

/*
 * IPv4 fragment idx of p (whose DF bit is clear) for a link of mtu bytes: the data of each
 * is a multiple of 8 bytes (RFC 791); later fragments carry only options with the copy
 * flag. Returns the fragment's length, or 0 when idx is past the last one (or the packet
 * cannot be fragmented to that size).
 */
size_t engine_ip4_fragment(const uint8_t *p, size_t len, size_t mtu, unsigned idx, uint8_t *out);

/*
 * The ICMP error for packet orig (too big for mtu), addressed back to its sender: an IPv4
 * Fragmentation Needed with the next-hop MTU, or an ICMPv6 Packet Too Big. Its source is
 * orig's destination. Returns its length (<= cap), or 0 when no error may be sent (RFC 1122
 * §3.2.2 / RFC 4443 §2.4: never about an ICMP error, a non-first fragment, a multicast or
 * broadcast destination).
 */
size_t engine_icmp_too_big(const uint8_t *orig, size_t olen, size_t mtu, uint8_t *out, size_t cap);

#endif
