/* SPDX-License-Identifier: MIT */
/*
 * The IKEv2 engine (RFC 7296): every IKE SA and Child SA of a node, the four exchanges in
 * both roles, retransmission, message IDs, cookies, NAT-T, traffic selectors, rekeying,
 * deletes and DPD. Pure: it gets datagrams, the time and the configuration from its caller
 * and acts through the callbacks below; it opens no socket, reads no clock and never
 * includes sync/ or ha/. docs/ike.md documents the observer contract.
 */
#ifndef TANDEM_NODE_IKE_IKE_ENGINE_H
#define TANDEM_NODE_IKE_IKE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "node/config/cfg.h"
#include "node/esp/esp_params.h"
#include "node/ike/ike_msg.h"
#include "node/ike/ike_state.h"

struct ike_engine;

/* What the engine needs from its host. Called synchronously from engine functions. */
struct ike_io {
	/*
	 * Put a datagram on the wire (from local to remote, ports included; the host adds the
	 * non-ESP marker on port 4500). `commit` is the number of the state change this message
	 * goes with (0: none): sync-before-send means the host may hold the datagram until the
	 * change numbered `commit` is safe (replicated), and must send held datagrams in order.
	 * p is borrowed; the engine keeps its own copy for retransmission.
	 */
	void (*send)(void *arg, const struct sockaddr_storage *local,
	             const struct sockaddr_storage *remote, const uint8_t *p, size_t len,
	             uint64_t commit);
	/* Random bytes for SPIs, nonces, IVs and secrets. */
	void (*random)(void *arg, uint8_t *p, size_t len);
	/* Data plane: install or delete one direction of a Child SA. */
	int (*sa_install)(void *arg, const struct esp_sa_params *p);
	void (*sa_delete)(void *arg, uint32_t spi, bool inbound);
};

enum ike_change {
	IKE_CH_CREATED = 1, /* a half-open IKE SA exists (keys derived after IKE_SA_INIT) */
	IKE_CH_ESTABLISHED, /* IKE_AUTH done: authenticated, first Child SA up */
	IKE_CH_MSGID,       /* only message IDs moved (an exchange completed or started) */
	IKE_CH_CHILD_ADDED, /* a Child SA was created (CREATE_CHILD_SA) */
	IKE_CH_CHILD_REKEYED,
	IKE_CH_CHILD_DELETED,
	IKE_CH_REKEYED, /* this IKE SA replaced `old_spi_i/old_spi_r` (RFC 7296 §2.18) */
	IKE_CH_DELETED, /* the IKE SA and all its Child SAs are gone */
};

/*
 * Observers learn every state change before the message that goes with it is passed to
 * io.send with the same `commit` number, which increases by one per change. `st` is
 * borrowed for the call (copy it with ike_sa_state_copy to keep it).
 */
struct ike_observer {
	void (*changed)(void *arg, const struct ike_sa_state *st, enum ike_change what,
	                uint64_t commit);
	/* a tunnel has (up = true) or no longer has an established Child SA */
	void (*tunnel)(void *arg, const char *tunnel, bool up, const char *reason);
};

struct ike_engine_opts {
	uint32_t half_open_cookie_threshold; /* cookies above this many half-open SAs (§2.6) */
	uint32_t retransmit_base_ms;         /* first retransmission timeout (default 1000) */
	uint32_t retransmit_tries;           /* give up after this many sends (default 6) */
	uint32_t initiate_backoff_max_ms;    /* re-initiation back-off cap (default 60000) */
};

int ike_engine_new(const struct ike_engine_opts *o, const struct ike_io *io, void *io_arg,
                   const struct ike_observer *obs, void *obs_arg, struct ike_engine **out);
void ike_engine_free(struct ike_engine *e);

/*
 * Installs a configuration (at start and on every reload; the engine keeps the pointer until
 * the next call). Tunnels that may initiate and are not up are started at the next tick;
 * SAs of tunnels that disappeared are deleted.
 */
void ike_engine_set_config(struct ike_engine *e, const struct cfg *cfg, uint64_t now_ms);

/* A datagram arrived (non-ESP marker already stripped). */
void ike_engine_input(struct ike_engine *e, uint64_t now_ms, const struct sockaddr_storage *local,
                      const struct sockaddr_storage *remote, const uint8_t *p, size_t len);
/* Runs timers due at now_ms; returns when the next one is due (UINT64_MAX: none). */
uint64_t ike_engine_tick(struct ike_engine *e, uint64_t now_ms);

/*
 * Operator actions (seed 004 §11). Return 0 or -ENOENT (no such tunnel); ike_engine_initiate
 * also -EINVAL for a tunnel the engine may not initiate (on-demand, manual, shutdown,
 * responder-only, or not IKEv2 with pre-shared keys) and -EAGAIN on a standby.
 */
int ike_engine_initiate(struct ike_engine *e, const char *tunnel, uint64_t now_ms);
int ike_engine_clear_ike(struct ike_engine *e, const char *tunnel, uint64_t now_ms);
int ike_engine_clear_ipsec(struct ike_engine *e, const char *tunnel, uint64_t now_ms);

/*
 * Operator-requested rekey (hactl rekey ike-sa|ipsec-sa tunnel NAME): starts the same
 * CREATE_CHILD_SA exchange a lifetime would, for the tunnel's IKE SA (ike = true) or its
 * Child SAs. Returns 0, -ENOENT (no such tunnel or no established SA) or -EBUSY (an
 * exchange is already under way; try again).
 */
int ike_engine_rekey(struct ike_engine *e, const char *tunnel, bool ike, uint64_t now_ms);

/* The data plane reported a byte lifetime: soft -> rekey that Child SA, hard -> delete it. */
void ike_engine_child_lifetime(struct ike_engine *e, uint32_t spi, bool inbound, bool hard,
                               uint64_t now_ms);

/*
 * Cluster roles (the HA layer decides, the daemon calls). On a standby the engine keeps
 * imported SAs in IKE_PHASE_STANDBY: no sends, no timers, no initiation. ike_engine_import
 * replaces the SA with the same SPIs; ike_engine_forget removes one without a Delete.
 * ike_engine_activate turns every standby SA live at now_ms (Child SAs go to the data plane
 * with their replicated sequence state; RFC 6311 sync where the peer supports it).
 */
int ike_engine_import(struct ike_engine *e, const struct ike_sa_state *st);
void ike_engine_forget(struct ike_engine *e, uint64_t spi_i, uint64_t spi_r);
void ike_engine_set_standby(struct ike_engine *e, bool standby);
void ike_engine_activate(struct ike_engine *e, uint64_t now_ms);

/*
 * The host's sequence-number state of one Child SA direction, as the data plane and the lease
 * grants report it (DESIGN.md, leases): outbound, the lease limit granted (out_lease_limit);
 * inbound, the highest number accepted (in_highest). The engine keeps the largest value it was
 * told and carries it in every later change it reports; it reports no change for this alone.
 */
void ike_engine_child_seq(struct ike_engine *e, uint32_t spi, bool inbound, uint64_t value);

/*
 * The data plane received ESP for an SPI it does not know from `remote`: if an IKE SA with
 * that peer is established, the engine tells the peer with an INVALID_SPI notify (RFC 7296
 * §1.5, protected INFORMATIONAL), rate-limited.
 */
void ike_engine_esp_unknown_spi(struct ike_engine *e, uint32_t spi,
                                const struct sockaddr_storage *remote, uint64_t now_ms);

/*
 * Wall-clock time for displays and for moving imported SAs between nodes' clocks: the host
 * says what Unix time (milliseconds) its engine clock's now_ms is. Call it at start and from
 * time to time (after a clock step). Without it, established_unix stays 0 and imported
 * times are taken as they are.
 */
void ike_engine_set_wallclock(struct ike_engine *e, int64_t unix_ms, uint64_t now_ms);

/* Walks every IKE SA (for hactl show ike-sa / ipsec-sa / tunnel); st is borrowed. */
void ike_engine_walk(const struct ike_engine *e,
                     void (*fn)(void *arg, const struct ike_sa_state *st), void *arg);
/* The same for the IKE SAs of one tunnel only (however many other SAs there are). */
void ike_engine_walk_tunnel(struct ike_engine *e, const char *tunnel,
                            void (*fn)(void *arg, const struct ike_sa_state *st), void *arg);

/* Counters for `hactl show statistics` (seed 004 §10). */
struct ike_stats {
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t retransmits, retransmitted_responses;
	uint64_t exch_done[4]; /* IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL */
	uint64_t ike_sa_established, ike_sa_rekeyed, ike_sa_deleted;
	uint64_t child_sa_established, child_sa_rekeyed, child_sa_deleted;
	uint64_t half_open, cookies_sent, dpd_dead;
	uint64_t rejected[IKE_REJ_COUNT]; /* by reason (ike_reject_info()->counter) */
	uint64_t noted[IKE_NOTE_COUNT];   /* accepted oddities (ike_note_info()->counter) */
};
void ike_engine_stats(const struct ike_engine *e, struct ike_stats *out);

#endif
