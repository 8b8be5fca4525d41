/* SPDX-License-Identifier: MIT */
/*
 * What arrived on a UDP port 4500 socket (RFC 3948 §2): an IKE message behind the non-ESP
 * marker, a NAT-keepalive, or ESP. Pure.
 */
#ifndef TANDEM_NODE_ESP_ESP_UDP_H
#define TANDEM_NODE_ESP_ESP_UDP_H

#include <stddef.h>
#include <stdint.h>

#define ESP_NON_ESP_MARKER_LEN 4u

enum esp_udp_kind {
	ESP_UDP_ESP = 0,   /* an ESP packet: SPI first (never zero) */
	ESP_UDP_IKE,       /* non-ESP marker (four zero bytes) then an IKE message (§2.2) */
	ESP_UDP_KEEPALIVE, /* a single 0xFF byte (§2.3): consumed silently */
	ESP_UDP_INVALID,   /* too short to be any of them */
};

enum esp_udp_kind esp_udp_classify(const uint8_t *p, size_t len);

#endif
