/* SPDX-License-Identifier: MIT */
/*
 * Manual-key tunnels (seed 004 §8.3, §9.4): the ESP SAs of each `seq` of a `tunnel ipsec NAME
 * manual` that names an `ipsec security-association`, built from the configuration alone.
 * There is no IKE, so no NAT detection: both directions use ESP in UDP on port 4500 (RFC
 * 3948) from the tunnel's local address to its remote one, the only path the engine has.
 */
#ifndef TANDEM_NODE_ENG_ENG_MANUAL_H
#define TANDEM_NODE_ENG_ENG_MANUAL_H

#include <stdbool.h>
#include <stdint.h>

#include "node/config/cfg.h"
#include "node/esp/esp_params.h"

struct eng_sup;

/*
 * Fills p (zeroed first) with direction `inbound` of the SA named by seq entry `s` of manual
 * tunnel t: SPI, algorithms and keys (copied: release them with eng_manual_params_clear),
 * anti-replay window, outer addresses, ESP in UDP 4500 both ways, traffic selectors from the
 * first rule of the seq's access-group (seed 004 §8.4: "only the first rule is used"; none:
 * any IPv4 and any IPv6 traffic), df-bit and MTU. Sequence numbers start new (outbound 1,
 * inbound window at 0); the supervisor's store continues them across engine restarts.
 * Returns 0, -ENOTSUP (AH or IP compression: the data plane does neither), -EINVAL (not a
 * manual tunnel, or the direction has no ESP SPI), -ENOMEM.
 */
int eng_manual_params(const struct cfg_tunnel *t, const struct cfg_tunnel_seq *s, bool inbound,
                      struct esp_sa_params *p);
void eng_manual_params_clear(struct esp_sa_params *p);
/* The child_id pairing both directions: a hash of tunnel name and seq, top bit set. */
uint64_t eng_manual_child_id(const struct cfg_tunnel *t, const struct cfg_tunnel_seq *s);

/*
 * Installs the SAs of every manual tunnel of cfg whose engine group is configured, and deletes
 * the manual SAs an earlier configuration installed that cfg no longer has. SAs that did not
 * change keep running with their sequence numbers. Called by eng_sup_apply. Returns the
 * number of SAs that could not be installed (each logged).
 */
int eng_manual_apply(struct eng_sup *sup, const struct cfg *cfg);

#endif
