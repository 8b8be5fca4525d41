/* SPDX-License-Identifier: MIT */
/*
 * Demultiplexing of UDP-encapsulated ESP and IKE on one port (RFC 3948 §2.1-2.3). An ESP
 * packet's SPI is never zero (RFC 4303 §2.1), so four zero bytes mark IKE.
 */
#include "esp_udp.h"

#include "node/esp/esp_sa.h"

enum esp_udp_kind
esp_udp_classify(const uint8_t *p, size_t len)
{
	if (len == 1 && p[0] == 0xff)
		return ESP_UDP_KEEPALIVE;
	if (len >= ESP_NON_ESP_MARKER_LEN && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0)
		return ESP_UDP_IKE;
	/* RFC 3948 §2.1: the ESP header follows; anything shorter than it is not ESP */
	if (len < ESP_HDR_LEN)
		return ESP_UDP_INVALID;
	return ESP_UDP_ESP;
}
