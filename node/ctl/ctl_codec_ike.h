/* SPDX-License-Identifier: MIT */
/*
 * Control-protocol encoders for the IKE commands (hactl show tunnel, ike-sa, ipsec-sa,
 * statistics; clear ike|ipsec sa tunnel). Inputs are domain structs — IKE SA states straight
 * from the engine — and the encoders do the formatting (hex SPIs, address:port, algorithm
 * names, remaining times, key digests), so every display shows an SA the same way.
 */
#ifndef TANDEM_NODE_CTL_CTL_CODEC_IKE_H
#define TANDEM_NODE_CTL_CTL_CODEC_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/core/buf.h"
#include "node/ike/ike_state.h"

/* One tunnel as `hactl show tunnel` shows it; strings are borrowed. */
struct ctl_tunnel {
	const char *name, *kind, *state, *local, *remote, *remote_id, *ike_policy, *conn_type;
	const char *engine_group, *last_change, *iface;
	uint32_t ike_sas, ipsec_sas;
	int64_t last_change_unix;
};

/* Per-SA traffic counters from the data plane; returns false when it has none. */
typedef bool (*ctl_sa_counters_fn)(void *arg, uint32_t spi, bool inbound, uint64_t *packets,
                                   uint64_t *bytes);

struct ctl_counter {
	const char *name;
	uint64_t value;
};

/* Each appends one framed Response to out; returns 0 or -ENOMEM. */
int ctl_encode_tunnels(const struct ctl_tunnel *v, size_t n, struct buf *out);
/*
 * A list of IKE SAs (show ike-sa) or of their Child SAs (show ipsec-sa) built while walking
 * the engine: each add formats one state at once, so no state has to be copied. now_ms is
 * the engine clock the states' *_at_ms fields use; counters (may be NULL) supplies traffic.
 */
struct ctl_sa_list;
struct ctl_sa_list *ctl_sa_list_new(bool ipsec, uint64_t now_ms, ctl_sa_counters_fn counters,
                                    void *arg);
/* Returns 0 or -ENOMEM (the list is then unusable except for finish/free). */
int ctl_sa_list_add(struct ctl_sa_list *l, const struct ike_sa_state *st);
/* Appends the framed Response to out and frees the list. Returns 0 or -ENOMEM. */
int ctl_sa_list_finish(struct ctl_sa_list *l, struct buf *out);
void ctl_sa_list_free(struct ctl_sa_list *l);
int ctl_encode_statistics(const struct ctl_counter *ike, size_t nike,
                          const struct ctl_counter *rejected, size_t nrejected,
                          const struct ctl_counter *esp, size_t nesp, struct buf *out);
int ctl_encode_clear(uint32_t ike_sas, uint32_t ipsec_sas, struct buf *out);

/* "10.1.0.0/24", "10.1.0.5-10.1.0.9", with " tcp/80" or " proto 47" when restricted. */
void ctl_ts_str(const struct esp_ts *ts, char *out, size_t cap);
/* First 16 hex digits of SHA-256 over the given secrets, in order. */
void ctl_keys_digest(const struct secret *const *keys, size_t n, char out[17]);

#endif
