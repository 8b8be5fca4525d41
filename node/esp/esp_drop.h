/* SPDX-License-Identifier: MIT */
/*
 * Why the data plane dropped a packet: a stable label for counters and Stats, and the line
 * operators read in the log. The labels and wording of the ESP rejections are the seeds'
 * (seed 004 §17, Table 7); the rest are tandem's own.
 */
#ifndef TANDEM_NODE_ESP_ESP_DROP_H
#define TANDEM_NODE_ESP_ESP_DROP_H

enum esp_drop {
	ESP_DROP_NONE = 0,        /* accepted */
	ESP_DROP_AUTH_FAILED,     /* ICV or AEAD tag mismatch */
	ESP_DROP_NO_SA,           /* no inbound SA for the SPI */
	ESP_DROP_REPLAY_LATE,     /* left of the window (or below the restart floor) */
	ESP_DROP_REPLAY_DUP,      /* already accepted */
	ESP_DROP_MODE_MISMATCH,   /* next header not 4/41: a transport-mode packet */
	ESP_DROP_BAD_PADDING,     /* padding not 1, 2, 3, ... or longer than the payload */
	ESP_DROP_MALFORMED,       /* too short, bad lengths, inner header not IP */
	ESP_DROP_TS_MISMATCH,     /* inner packet outside the SA's traffic selectors */
	ESP_DROP_DUMMY,           /* next header 59: a dummy packet, discarded silently */
	ESP_DROP_LEASE_EXHAUSTED, /* outbound: no sequence number left under the lease */
	ESP_DROP_SEQ_OVERFLOW,    /* outbound: 32-bit SA reached 2^32-1 (must be rekeyed) */
	ESP_DROP_EXPIRED,         /* hard byte lifetime reached */
	ESP_DROP_NO_ROOM,         /* caller buffer lacks head- or tailroom */
	ESP_DROP_INTERNAL,        /* the crypto library failed */
	ESP_DROP__COUNT
};

/* Stable label, e.g. "auth_failed". Never NULL. */
const char *esp_drop_name(enum esp_drop d);
/* The log line, e.g. "Authentication failure. Possibly mis-matching keys.". Never NULL. */
const char *esp_drop_msg(enum esp_drop d);

#endif
