/* SPDX-License-Identifier: MIT */
/*
 * Traffic selectors (RFC 4301 §4.4.1, RFC 7296 §3.13) against the inner packets of a tunnel:
 * the addresses, protocol and ports of an IP packet read with bounded reads, and the
 * checks that pick an outbound SA and verify an inbound packet (RFC 4301 §5.2 step 4). Pure.
 */
#ifndef TANDEM_NODE_ESP_ESP_TS_H
#define TANDEM_NODE_ESP_ESP_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/esp/esp_params.h"

/* What a selector looks at in an IP packet. */
struct esp_flow {
	int family; /* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16];
	uint8_t proto;         /* IPv4 protocol / IPv6 upper-layer header (after extensions) */
	bool ports;            /* false for non-first fragments and protocols without ports */
	uint16_t sport, dport; /* ICMP: type << 8 | code in both (RFC 7296 §3.13.1) */
	size_t len;            /* the packet's own length (IPv4 total length, IPv6 40 + payload) */
	size_t hdr_len;        /* IPv4 header length / 40 for IPv6 */
	bool df;               /* IPv4 DF bit; always true for IPv6 (no fragmentation en route) */
	bool frag;             /* a fragment (IPv4 MF/offset, IPv6 fragment header) */
};

/*
 * Reads the headers of the IP packet p[0..len). Returns 0, or -EBADMSG when it is not a
 * well-formed IPv4/IPv6 packet whose own length fits in len.
 */
int esp_flow_parse(const uint8_t *p, size_t len, struct esp_flow *f);

/* Whether one selector list (n == 0: anything) holds the address/protocol/port. */
bool esp_ts_match(const struct esp_ts *ts, unsigned n, int family, const uint8_t *addr,
                  uint8_t proto, bool ports, uint16_t port);
/* Outbound: source in ts_local, destination in ts_remote. */
bool esp_ts_match_out(const struct esp_sa_params *p, const struct esp_flow *f);
/* Inbound: source in ts_remote, destination in ts_local. */
bool esp_ts_match_in(const struct esp_sa_params *p, const struct esp_flow *f);

#endif
