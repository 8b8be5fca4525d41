/* SPDX-License-Identifier: MIT */
/*
 * Synthetic IKE SA states for the replication tests and benchmarks: established, AES-GCM,
 * with n Child SAs whose SPIs and keys derive from `seed` (deterministic, never real keys).
 */
#ifndef TANDEM_TESTS_SYNC_SYNTH_H
#define TANDEM_TESTS_SYNC_SYNTH_H

#include <stdint.h>

#include "node/ike/ike_state.h"

/* Fills st (cleared first with memset; free with ike_sa_state_clear). Returns 0 or -ENOMEM. */
int sync_synth_sa(struct ike_sa_state *st, uint64_t seed, unsigned nchildren);

#endif
