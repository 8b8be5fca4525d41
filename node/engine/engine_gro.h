/* SPDX-License-Identifier: MIT */
/*
 * TCP receive coalescing for TUN writes (what a NIC's GRO does): consecutive decrypted TCP
 * segments of one flow are joined into one super-packet that the TUN device takes in one
 * write, with a virtio_net_hdr saying how to cut it again (gso_type TCPV4/TCPV6, gso_size =
 * the segment size) and a partial checksum. The local TCP stack then handles one packet
 * instead of dozens. The joining rules are Linux's tcp_gro_receive ones, simplified: same
 * flow, headers and options, the next sequence number, equal sizes (a shorter one or PSH
 * ends the train). Pure: the caller writes what engine_gro_take returns.
 */
#ifndef TANDEM_NODE_ENGINE_ENGINE_GRO_H
#define TANDEM_NODE_ENGINE_ENGINE_GRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENGINE_GRO_MAX  65535u /* bytes of one super-packet (the IPv4 total length) */
#define ENGINE_GRO_SEGS 64u

struct engine_gro {
	uint8_t *buf;      /* 10-byte virtio header, then the packet; ENGINE_GRO_MAX + 10 */
	size_t len;        /* packet bytes (0: empty) */
	const void *owner; /* the tunnel the train goes to */
	unsigned nseg;
	size_t hlen, iphl, mss;
	bool v6, closed;
	uint32_t next_seq;
	uint16_t next_id;
};

/* Whether p (an IPv4/IPv6 packet) is a TCP segment that may join or start a train. */
bool engine_gro_candidate(const uint8_t *p, size_t len);
/* Appends p to the train of owner if it continues it. False: flush, then engine_gro_start. */
bool engine_gro_append(struct engine_gro *g, const void *owner, const uint8_t *p, size_t len);
/* Starts a train with p (a candidate); the train must be empty. */
void engine_gro_start(struct engine_gro *g, const void *owner, const uint8_t *p, size_t len);
/*
 * Finishes the train: fixes lengths and checksums, fills the virtio header; returns the
 * bytes to write from g->buf (header included), or 0 if the train is empty; empties it.
 */
size_t engine_gro_take(struct engine_gro *g);

#endif
