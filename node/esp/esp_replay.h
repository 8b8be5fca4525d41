/* SPDX-License-Identifier: MIT */
/*
 * The anti-replay window of an inbound SA (RFC 4303 §3.4.3 and Appendix A): a bitmap of
 * the last `win` sequence numbers, kept as a ring of 64-bit words that slides a word at a
 * time (the RFC 6479 layout), and the inference of the high 32 bits with extended sequence
 * numbers (Appendix A2.2). Pure and unsynchronised: the SA serialises calls.
 */
#ifndef TANDEM_NODE_ESP_ESP_REPLAY_H
#define TANDEM_NODE_ESP_ESP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "node/esp/esp_drop.h"

#define ESP_REPLAY_MAX_WIN 4096u
#define ESP_REPLAY_WORDS   128u /* power of two >= ESP_REPLAY_MAX_WIN / 64 + 1 */

struct esp_replay {
	uint64_t top;   /* highest number accepted (or the start value) */
	uint64_t floor; /* numbers <= floor are refused as late (restart, RFC 4303 §3.3.3) */
	uint32_t win;   /* window in packets; 0 = no replay check (sequence numbers still kept) */
	uint32_t mask;  /* words in use - 1 */
	uint64_t bits[ESP_REPLAY_WORDS];
};

/*
 * win: 0 or 1..4096 (callers pass the configured 32..4096 or 0). start: the highest number
 * already accepted by someone (0 for a new SA); nothing at or below it is ever accepted.
 */
void esp_replay_init(struct esp_replay *r, uint32_t win, uint64_t start);
/*
 * The full sequence number of a packet carrying seql (its low 32 bits). Without ESN that is
 * seql. With ESN the high half is inferred from the window (RFC 4303 Appendix A2.2); false
 * when the inference falls below zero (a packet from before the SA's first number).
 */
bool esp_replay_infer(const struct esp_replay *r, bool esn, uint32_t seql, uint64_t *seq);
/* ESP_DROP_NONE if seq may be accepted, else ESP_DROP_REPLAY_LATE or ESP_DROP_REPLAY_DUP. */
enum esp_drop esp_replay_check(const struct esp_replay *r, uint64_t seq);
/*
 * Marks seq accepted after its ICV verified (RFC 4303 §3.4.3: the window is updated only
 * then). Re-checks first, so a number accepted meanwhile by another slot is refused.
 */
enum esp_drop esp_replay_update(struct esp_replay *r, uint64_t seq);

#endif
