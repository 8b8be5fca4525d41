/* SPDX-License-Identifier: MIT */
/*
 * Internals of the IKEv2 engine shared by its files: the engine, the runtime IKE SA wrapped
 * around its exportable state (struct ike_sa_state), the request we have outstanding and the
 * CREATE_CHILD_SA context it needs, and the helpers every exchange uses (proposals, traffic
 * selectors, NAT detection, cookies, sending, reporting, rejecting). Not for use outside the
 * engine's files in node/ike/ (ike_engine.c, ike_sa.c, ike_xchg_*.c, ike_proposal.c, ike_ts.c,
 * ike_natt.c, ike_cookie.c, ike_timer.c, ike_state.c).
 */
#ifndef TANDEM_NODE_IKE_IKE_ENGINE_INT_H
#define TANDEM_NODE_IKE_IKE_ENGINE_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "node/config/cfg.h"
#include "node/core/log.h"
#include "node/esp/esp_params.h"
#include "node/ike/ike_const.h"
#include "node/ike/ike_crypto.h"
#include "node/ike/ike_engine.h"
#include "node/ike/ike_hash.h"
#include "node/ike/ike_heap.h"
#include "node/ike/ike_msg.h"
#include "node/ike/ike_state.h"

#define IKE_NONCE_LEN            32     /* ours: >= half the largest PRF key (RFC 7296 §2.10) */
#define IKE_HTAB_FIRST           64     /* buckets of a new index (they double as it fills) */
#define IKE_MAX_TASKS            32     /* queued requests per IKE SA (window size 1) */
#define IKE_HALF_OPEN_MS         30000  /* responder: IKE_AUTH must follow within this */
#define IKE_DEFER_WAIT_MS        4000   /* after deferring to the peer's IKE_SA_INIT (seed 001) */
#define IKE_REKEYED_GRACE_MS     60000  /* a replaced SA the peer does not delete goes then */
#define IKE_COOKIE_ROTATE_MS     120000 /* cookie secret lifetime (old one valid one more) */
#define IKE_DEFAULT_LEASE        65536  /* lease size without a cluster block */
#define IKE_DEFAULT_REPORT_EVERY 1024   /* inbound report step without a cluster block */
#define IKE_MAX_COOKIE_RETRIES   3
#define IKE_MAX_GROUP_RETRIES    8
#define IKE_TEMPFAIL_RETRY_MS    2000 /* TEMPORARY_FAILURE: retry after this (+ jitter) */
#define IKE_CHILD_GRACE_MS       2000 /* responder: create missing Child SAs after this */
#define IKE_RL_BURST             10
#define IKE_RL_INTERVAL_MS       60000
#define IKE_PEER_STR_LEN         (INET6_ADDRSTRLEN + 8)
#define IKE_UNPROT_BURST         20   /* unauthenticated answers ... */
#define IKE_UNPROT_INTERVAL_MS   1000 /* ... per second */

/* ---- traffic selectors (ike_ts.c) ------------------------------------------------------ */

/* A set of selectors for one side of a Child SA, as the data plane takes them. */
struct ike_tsl {
	uint8_t n;
	struct esp_ts ts[ESP_MAX_TS];
};

/*
 * Our selectors for one `seq` entry (seed 004 §8.4): each ACL rule gives its source (local
 * side) and destination (remote side), protocol and ports; no ACL, or an "any" rule, gives
 * every IPv4 and IPv6 address. Duplicates are dropped; more than ESP_MAX_TS are cut (logged).
 */
void ike_ts_config(const struct cfg_tunnel_seq *seq, struct ike_tsl *local, struct ike_tsl *remote);
/* From a TS payload; false if it holds more than ESP_MAX_TS or an unknown type. */
bool ike_ts_from_pld(const struct ike_pld_ts *p, struct ike_tsl *out);
void ike_ts_to_pld(const struct ike_tsl *l, struct ike_ts *out, uint8_t *n);
/* RFC 7296 §2.9 narrowing: every non-empty intersection of an offered and a configured one. */
void ike_ts_narrow(const struct ike_tsl *offer, const struct ike_tsl *ours, struct ike_tsl *out);
/* Every selector of sub lies inside one of sup. */
bool ike_ts_subset(const struct ike_tsl *sub, const struct ike_tsl *sup);
/* "10.1.0.0/16 tcp 443, 10.2.0.0-10.2.0.9" */
void ike_ts_str(const struct ike_tsl *l, char *out, size_t cap);

/* ---- proposals (ike_proposal.c) -------------------------------------------------------- */

/* The transforms negotiated for an IKE SA. */
struct ike_ike_choice {
	uint8_t num; /* proposal number in the offer */
	enum cfg_encr encr;
	enum cfg_integ integ;
	enum cfg_prf prf;
	uint16_t dh;
	uint8_t spi_len;
	uint8_t spi[8]; /* IKE rekey: the other side's new SPI */
	const struct cfg_ike_proposal *cp;
};

/* The transforms negotiated for a Child SA. */
struct ike_esp_choice {
	uint8_t num;
	enum cfg_encr encr;
	enum cfg_integ integ;
	uint16_t dh; /* 0 without PFS */
	bool esn;
	uint32_t spi; /* the other side's SPI */
	const struct cfg_ipsec_proposal *cp;
};

/* Why no proposal was chosen, for the log line (received vs configured). */
enum ike_prop_why {
	IKE_PROP_OK = 0,
	IKE_PROP_NOMATCH, /* no configured proposal matches an offered one */
	IKE_PROP_PFS,     /* ESP: the PFS group differs (MISMATCHED_PFS_GROUP) */
	IKE_PROP_NONE,    /* nothing usable is configured */
};

/* One proposal per `seq N proposal P` of the IKE policy, in order (RFC 7296 §3.3). */
void ike_prop_ike_offer(const struct cfg_ike_policy *pol, const uint8_t *spi, uint8_t spi_len,
                        struct ike_pld_sa *out);
/* The responder's choice: our configured order, first one an offer matches (RFC 7296 §2.7). */
enum ike_prop_why ike_prop_ike_select(const struct cfg_ike_policy *pol, const struct ike_pld_sa *sa,
                                      struct ike_ike_choice *out);
/* The initiator's check of the answer: one proposal, exactly one of ours. */
bool ike_prop_ike_accept(const struct cfg_ike_policy *pol, const struct ike_pld_sa *sa,
                         struct ike_ike_choice *out);
/* The answer: the chosen proposal alone, with our SPI (IKE rekey) or none. */
void ike_prop_ike_answer(const struct ike_ike_choice *c, const uint8_t *spi, uint8_t spi_len,
                         struct ike_pld_sa *out);
/* Does the IKE policy offer this DH group in any proposal? */
bool ike_prop_ike_has_group(const struct cfg_ike_policy *pol, uint16_t group);

/*
 * ESP proposals of an IPsec policy (ESN "no"; the PFS group in CREATE_CHILD_SA only). AH-only
 * proposals and those that need AH or IPcomp are skipped with a warning. Returns how many.
 */
unsigned ike_prop_esp_offer(const struct cfg_ipsec_policy *pol, uint32_t spi, bool with_pfs,
                            struct ike_pld_sa *out);
/* in_auth: IKE_AUTH, where DH transforms are ignored (RFC 7296 §1.2). */
enum ike_prop_why ike_prop_esp_select(const struct cfg_ipsec_policy *pol,
                                      const struct ike_pld_sa *sa, bool in_auth,
                                      struct ike_esp_choice *out);
bool ike_prop_esp_accept(const struct cfg_ipsec_policy *pol, const struct ike_pld_sa *sa,
                         bool in_auth, struct ike_esp_choice *out);
void ike_prop_esp_answer(const struct ike_esp_choice *c, uint32_t spi, struct ike_pld_sa *out);

/* "AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024, ..." of an SA payload. */
void ike_prop_str(const struct ike_pld_sa *sa, char *out, size_t cap);
void ike_prop_ike_cfg_str(const struct cfg_ike_policy *pol, char *out, size_t cap);
void ike_prop_esp_cfg_str(const struct cfg_ipsec_policy *pol, bool with_pfs, char *out, size_t cap);
const char *ike_dh_name(uint16_t group, char *buf, size_t cap);

/* ---- addresses (ike_natt.c) ------------------------------------------------------------ */

/* Address bytes of ss (4 or 16) into out; returns the length, 0 for an unknown family. */
size_t ike_ss_addr(const struct sockaddr_storage *ss, uint8_t out[16]);
uint16_t ike_ss_port(const struct sockaddr_storage *ss);
void ike_ss_set_port(struct sockaddr_storage *ss, uint16_t port);
bool ike_ss_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
bool ike_ss_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
bool ike_ss_is_cfg(const struct sockaddr_storage *ss, const struct cfg_addr *a);
void ike_ss_from_cfg(const struct cfg_addr *a, uint16_t port, struct sockaddr_storage *out);
/* "192.0.2.2:500", "[2001:db8::1]:4500" */
void ike_ss_str(const struct sockaddr_storage *ss, char *out, size_t cap);

/* ---- the engine ------------------------------------------------------------------------ */

/* What may be queued on an IKE SA while a request is outstanding (window size 1, §2.3). */
enum ike_task_kind {
	IKE_TASK_CHILD_CREATE = 1, /* seq */
	IKE_TASK_CHILD_REKEY,      /* child_id */
	IKE_TASK_CHILD_DELETE,     /* child_id */
	IKE_TASK_IKE_REKEY,
	IKE_TASK_IKE_DELETE,
	IKE_TASK_DPD,
	IKE_TASK_MID_SYNC,
	IKE_TASK_INVALID_SPI, /* spi */
};

struct ike_task {
	enum ike_task_kind kind;
	uint64_t child_id;
	uint32_t seq;
	uint32_t spi;
};

/* Runtime facts about one Child SA, parallel to ike_sa_state.child[] (one allocation each, so
 * the index entries stay put when the arrays move). */
struct ike_child_rt {
	struct ike_sa *sa;            /* the IKE SA that holds it now */
	struct ike_hnode by_in;       /* e->child_in: spi_in (linked once the SPIs are known) */
	struct ike_hnode by_out;      /* e->child_out: spi_out (peers may repeat one) */
	bool installed;               /* both directions are in the data plane */
	bool deleting;                /* our Delete is out */
	bool rekeying;                /* our rekey is out */
	bool redundant;               /* rekey collision: the peer deletes it (§2.8.1) */
	bool peer_deleted;            /* the peer deleted the one we are rekeying */
	bool lifetime_soft;           /* the data plane reported the soft byte limit */
	uint64_t tempfail_ms;         /* TEMPORARY_FAILURE: rekey again at this time */
	uint64_t out_start, in_start; /* takeover: where the data plane starts (activation) */
};

/* The CREATE_CHILD_SA (or IKE_AUTH) we initiated and wait the answer of; allocated for it. */
struct ike_ccs {
	enum ike_req_kind kind;
	uint64_t child_id; /* CHILD_REKEY: the Child SA being replaced */
	uint32_t seq;      /* tunnel seq number the Child SA serves */
	uint32_t spi_in;   /* our new inbound SPI (reserved in e->spi_rsv through `rsv`) */
	struct ike_hnode rsv;
	uint64_t new_spi; /* IKE rekey: our SPI of the new IKE SA */
	uint8_t nonce[IKE_NONCE_LEN];
	struct ike_dh *dh; /* PFS or IKE rekey */
	uint16_t dh_group;
	uint8_t ngroups;
	uint16_t groups[IKE_MAX_GROUP_RETRIES];
	struct ike_tsl ts_local, ts_remote; /* what we proposed */
	/* a colliding rekey by the peer that we answered (§2.8.1, §2.8.2) */
	bool collided;
	uint8_t peer_low[IKE_NONCE_MAX]; /* the lower nonce of the peer's exchange */
	size_t peer_low_len;
	uint64_t peer_child_id; /* Child SA rekey: what the peer's exchange created */
	uint64_t peer_sa_spi;   /* IKE SA rekey: our SPI of the SA the peer's exchange created */
};

/* What IKE_SA_INIT and IKE_AUTH need and nothing later does: freed once the SA is up. */
struct ike_hs {
	struct ike_dh *dh;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;
	struct secret init_req, init_resp; /* the IKE_SA_INIT messages, for AUTH (§2.15) */
	uint8_t cookie[64];
	size_t cookie_len;
	uint8_t cookie_tries;
	uint8_t ngroups;
	uint16_t groups[IKE_MAX_GROUP_RETRIES]; /* DH groups tried (INVALID_KE_PAYLOAD) */
};

struct ike_engine;
struct ike_tun;

/* Which of its tunnel's counts an IKE SA adds to (ike_sa_index). */
enum {
	IKE_CNT_ACTIVE = 1 << 0,    /* not replaced by a rekey, not being deleted */
	IKE_CNT_UP = 1 << 1,        /* not standby, with a Child SA that carries traffic */
	IKE_CNT_EST = 1 << 2,       /* established */
	IKE_CNT_EST_PEER = 1 << 3,  /* established, initiated by the peer */
	IKE_CNT_INIT_SENT = 1 << 4, /* ours, IKE_SA_INIT out */
	IKE_CNT_OURS_LIVE = 1 << 5, /* ours, INIT_SENT, ESTABLISHED or REKEYING */
};

struct ike_sa {
	TAILQ_ENTRY(ike_sa) entry; /* e->sas: every SA, in creation order */
	uint64_t seq;              /* creation order (timer ties, tick order) */
	struct ike_hnode by_spi;   /* e->sa_by_spi: our SPI */
	struct ike_hnode by_peer;  /* e->sa_by_peer: responders, the peer's SPI (retransmits) */
	struct ike_hnode by_addr;  /* e->sa_by_addr: established, by the peer's address */
	struct ike_hnode by_id;    /* e->sa_by_id: by tunnel and remote identity */
	struct ike_tun *tu;        /* the tunnel it is listed and counted in (st.tunnel) */
	TAILQ_ENTRY(ike_sa) tun_entry;
	unsigned cnt; /* IKE_CNT_* it adds to tu's counts */
	/* timers: the earliest deadline of everything the SA waits for (ike_timer.c) */
	struct ike_tmr tmr;              /* in e->sa_timers */
	struct ike_tmr runq;             /* in e->runq while ike_engine_tick runs it */
	uint64_t tick_gen;               /* the tick that last ran it */
	TAILQ_ENTRY(ike_sa) dirty_entry; /* e->dirty: reschedule before the next use of timers */
	bool dirty;
	struct ike_engine *e;
	struct ike_sa_state st;
	struct ike_child_rt **cx;     /* owned, parallel to st.child */
	uint8_t child_cap;            /* room in st.child and cx */
	const struct cfg_tunnel *tun; /* NULL: not known yet or gone with a reload */
	bool tun_final;               /* responder: chosen by identity at IKE_AUTH */
	enum ike_sa_phase live_phase; /* standby: the phase it had on the active node */
	bool created_reported;        /* observers have seen it (so they must see it go) */
	bool counted_half_open;
	struct ike_hs *hs; /* IKE_SA_INIT and IKE_AUTH: owned, NULL once established */
	struct ike_ike_choice ike;
	bool peer_initial_contact;
	/* protection */
	struct ike_sk *sk_in, *sk_out;
	/* our outstanding request (its bytes: st.req_out) */
	bool req_active;
	uint8_t req_exch;
	uint64_t req_commit;
	uint32_t req_sends;
	uint64_t req_next_ms;
	bool req_resumed; /* taken over from another node: answer settles message IDs */
	uint8_t sync_nonce[4];
	struct ike_ccs *ccs;  /* owned: the CREATE_CHILD_SA or IKE_AUTH context, or NULL */
	uint64_t resp_commit; /* the change the cached response went with */
	/* queued requests (owned array, NULL when none are queued) */
	struct ike_task *tasks;
	uint8_t ntasks, task_cap;
	/* liveness and timers */
	uint64_t last_rx_ms;
	uint64_t half_open_until_ms;
	uint64_t destroy_at_ms; /* rekeyed (replaced) SA: destroy if not deleted by then */
	uint64_t ike_tempfail_ms;
	bool rekeyed; /* replaced by a newer IKE SA, waits for the Delete */
	uint64_t child_retry_ms[CFG_MAX_TUNNEL_SEQS];
	uint32_t child_backoff_ms[CFG_MAX_TUNNEL_SEQS];
	uint64_t children_at_ms; /* create missing Child SAs from this time */
	uint32_t ninvalid_spi;
};

/*
 * A tunnel name the engine knows: configured (t set), or named only by IKE SAs (imported on a
 * standby, or left from a reload). It lists its IKE SAs and keeps the counts that questions
 * about the tunnel need, so none of them walks every SA.
 */
struct ike_tun {
	char name[CFG_NAME_MAX];
	struct ike_hnode by_name;   /* e->tun_by_name */
	const struct cfg_tunnel *t; /* NULL: not configured */
	size_t cfg_idx;             /* position in the configuration (tick order) */
	TAILQ_HEAD(, ike_sa) sas;   /* IKE SAs with st.tunnel == name, in the order they came */
	uint32_t nsa;
	uint32_t nactive, nup, nest, nest_peer, ninit_sent, nours_live; /* IKE_CNT_* */
	uint32_t backoff_ms; /* next re-initiation delay */
	uint64_t init_at_ms; /* initiate at this time (0: not scheduled) */
	bool up;             /* last reported to observers */
	bool deferred;       /* we dropped our IKE_SA_INIT for the peer's (seed 001) */
	struct ike_tmr tmr;  /* e->tun_timers: init_at_ms, while it may initiate and has no SA */
	TAILQ_ENTRY(ike_tun) dirty_entry; /* e->tun_dirty: check at the next tick */
	bool dirty;
	bool in_batch;
};

struct ike_engine {
	struct ike_engine_opts o;
	struct ike_io io;
	void *io_arg;
	struct ike_observer obs;
	void *obs_arg;
	const struct cfg *cfg;
	TAILQ_HEAD(, ike_sa) sas;
	size_t nsas;
	uint64_t next_sa_seq;
	uint64_t hash_seed;
	/* indexes (docs/ike.md, "Scale") */
	struct ike_htab sa_by_spi, sa_by_peer, sa_by_addr, sa_by_id;
	struct ike_htab child_in, child_out, spi_rsv;
	struct ike_htab tun_by_name;
	struct ike_tun **tuns; /* the configured ones, in configuration order */
	size_t ntuns, nslots;
	/* timers */
	struct ike_heap sa_timers, tun_timers, runq;
	TAILQ_HEAD(, ike_sa) dirty;
	TAILQ_HEAD(, ike_tun) tun_dirty;
	uint64_t tick_gen, tick_now;
	bool standby;
	uint64_t commit;
	uint64_t next_child_id;
	uint64_t now_ms;
	int64_t wall_offset_ms; /* unix ms - engine ms */
	bool wall_known;
	uint32_t half_open;
	uint32_t lease_size, report_every;
	struct ike_stats stats;
	struct log_rl rl[IKE_REJ_COUNT];
	struct log_rl rl_note[IKE_NOTE_COUNT];
	struct log_rl rl_warn;   /* other peer-triggerable warnings */
	struct log_rl rl_unprot; /* unauthenticated answers (INVALID_IKE_SPI, ...) */
	uint8_t cookie_secret[2][32];
	uint64_t cookie_rotate_ms;
	bool cookie_ready;
	struct ike_msg rx;              /* the message being processed */
	uint8_t plain[IKE_MSG_MAX_LEN]; /* its decrypted SK payload */
	bool rx_sync; /* a request with message ID 0 that may be an RFC 6311 sync */
	const struct sockaddr_storage *rx_local, *rx_remote;
	const uint8_t *rx_p;
	size_t rx_len;
};

/* ---- SAs (ike_sa.c) --------------------------------------------------------------------- */

/* A new SA in e->sas (NULL: no memory). */
struct ike_sa *ike_sa_new(struct ike_engine *e, bool initiator);
/* Deletes the Child SAs from the data plane, reports IKE_CH_DELETED if it was reported. */
void ike_sa_destroy(struct ike_sa *sa, const char *reason);
/* Without telling anybody (standby forget, half-open cleanup). */
void ike_sa_free(struct ike_sa *sa);
/* The IKE_SA_INIT/IKE_AUTH context: made (0 or -ENOMEM), and dropped once the SA is up. */
int ike_sa_hs_new(struct ike_sa *sa);
void ike_sa_hs_free(struct ike_sa *sa);
uint64_t ike_sa_our_spi(const struct ike_sa *sa);
uint64_t ike_spi_new(struct ike_engine *e);
uint32_t ike_child_spi_new(struct ike_engine *e);
void ike_random(struct ike_engine *e, void *p, size_t len);
uint64_t ike_random_below(struct ike_engine *e, uint64_t n);
const char *ike_sa_peer(const struct ike_sa *sa, char *buf, size_t cap);
const char *ike_sa_tunnel_name(const struct ike_sa *sa);

/* Reports the SA's state to observers with a fresh commit number and returns that number. */
uint64_t ike_sa_report(struct ike_sa *sa, enum ike_change what);
/* Derived-key contexts (sk_in/sk_out) from st's keys. 0 or -errno. */
int ike_sa_keys_install(struct ike_sa *sa);
/* Takes the IKE keys into st and prepares the SK contexts. */
int ike_sa_keys_take(struct ike_sa *sa, struct ike_keys *k);

/* Encrypts the payload chain `in` into a whole message of sa (RFC 7296 §3.14). */
int ike_sa_seal(struct ike_sa *sa, uint8_t exch, bool response, uint32_t msgid,
                const struct ike_mb *in, struct buf *out);
/*
 * Sends a request of sa: message ID msgid_next_send (then incremented), bytes kept in st for
 * retransmission, `what` reported before io.send with the same commit.
 */
int ike_sa_request(struct ike_sa *sa, uint8_t exch, enum ike_req_kind kind, const struct ike_mb *in,
                   enum ike_change what);
/* Sends the response to the peer's request msgid; `what` reported first; kept for retransmits. */
int ike_sa_respond(struct ike_sa *sa, uint8_t exch, uint32_t msgid, const struct ike_mb *in,
                   enum ike_change what);
/* The same in two steps, for Child SAs installed after the report and before the send. */
int ike_sa_respond_prepare(struct ike_sa *sa, uint8_t exch, uint32_t msgid, const struct ike_mb *in,
                           enum ike_change what);
void ike_sa_respond_send(struct ike_sa *sa);
/* The request is answered: forget it (the caller reports). */
void ike_sa_request_done(struct ike_sa *sa);
/* Raw datagram out (commit as given). */
void ike_send_raw(struct ike_engine *e, const struct sockaddr_storage *local,
                  const struct sockaddr_storage *remote, const uint8_t *p, size_t len,
                  uint64_t commit);

/* Child SAs */
struct ike_child_state *ike_child_find(struct ike_sa *sa, uint64_t child_id, size_t *idx);
struct ike_child_state *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi, size_t *idx);
struct ike_child_state *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi, size_t *idx);
/* Appends a zeroed child; NULL when the SA is full or there is no memory. */
struct ike_child_state *ike_child_add(struct ike_sa *sa, size_t *idx);
/* Removes child idx: out of the data plane, keys wiped, array compacted. */
void ike_child_remove(struct ike_sa *sa, size_t idx);
/* Moves child idx of `from` to the end of `to` (an IKE SA rekey); false when `to` is full. */
bool ike_child_move(struct ike_sa *from, size_t idx, struct ike_sa *to);
/* Installs both directions of child idx in the data plane (fresh: seq 1, first lease). */
int ike_child_install(struct ike_sa *sa, size_t idx, bool takeover);
/* Lifetimes of a new Child SA from its proposal; `created` says we initiated the exchange. */
void ike_child_lifetimes(struct ike_sa *sa, struct ike_child_state *c,
                         const struct cfg_ipsec_proposal *cp, bool created);
void ike_sa_lifetimes(struct ike_sa *sa);
/* Number of Child SAs that carry traffic (installed, not replaced). */
unsigned ike_sa_live_children(const struct ike_sa *sa);
const struct cfg_tunnel_seq *ike_tun_seq(const struct cfg_tunnel *t, uint32_t seq);
/* The seq entries of a tunnel: its own (static) or its profile's (on-demand). */
const struct cfg_tunnel_seq *ike_tun_seqs(const struct cfg_tunnel *t, unsigned *n);
void ike_tun_df_mtu(const struct cfg_tunnel *t, enum cfg_df_bit *df, uint16_t *mtu);

/* ---- indexes (ike_index.c) ------------------------------------------------------------------- */

/* The empty tables of a new engine: 0 or -ENOMEM. */
int ike_index_init(struct ike_engine *e);
/* Frees the tables and the tunnel slots (after every SA was freed). */
void ike_index_fini(struct ike_engine *e);
void ike_sa_hash_add(struct ike_sa *sa);
void ike_sa_peer_hash_add(struct ike_sa *sa);
struct ike_sa *ike_sa_find(struct ike_engine *e, uint64_t our_spi);
struct ike_sa *ike_sa_find_by_spis(struct ike_engine *e, uint64_t spi_i, uint64_t spi_r);
struct ike_sa *ike_sa_find_half_open(struct ike_engine *e, uint64_t peer_spi,
                                     const struct sockaddr_storage *remote);
/*
 * Brings sa's entries in the indexes and its tunnel's counts up to date with its state, and
 * marks it for rescheduling. Call it after every change of st.tunnel, st.phase, rekeyed,
 * st.remote, st.id_remote, or of its Child SAs (added, removed, moved, installed, deleting,
 * redundant, rekeyed): the counts answer questions about tunnels without walking SAs.
 */
void ike_sa_index(struct ike_sa *sa);
/* st.phase = phase, then ike_sa_index. */
void ike_sa_set_phase(struct ike_sa *sa, enum ike_sa_phase phase);
/* Takes sa and its Child SAs out of every index (before it is freed). */
void ike_sa_unindex(struct ike_sa *sa);
/* An established SA with a peer at this address (ports ignored; any one of several), or NULL. */
struct ike_sa *ike_sa_by_addr(struct ike_engine *e, const struct sockaddr_storage *remote);
/* Same remote identity. */
bool ike_sa_same_id(const struct ike_sa *a, const struct ike_sa *b);
/* The other SAs of sa's tunnel with its remote identity, in creation order: a caller-freed
 * array in *out, and how many (0: none, or no memory). */
size_t ike_sa_same_id_list(struct ike_sa *sa, struct ike_sa ***out);
/* Child SA idx in the SPI indexes (once its SPIs are set), or out of them. */
void ike_child_index(struct ike_sa *sa, size_t idx);
void ike_child_unindex(struct ike_engine *e, struct ike_child_rt *rt);
/* The IKE SA holding the Child SA with this SPI (inbound: ours; outbound: the peer's), and its
 * index; of several, the one a walk of the SAs in creation order finds first. */
struct ike_sa *ike_child_lookup(struct ike_engine *e, uint32_t spi, bool inbound, size_t *idx);
/* sa->ccs->spi_in (set, or changed) is reserved; or is no longer. */
void ike_ccs_reserve(struct ike_sa *sa);
void ike_ccs_unreserve(struct ike_sa *sa);
/* An inbound SPI of a Child SA or reserved for one in flight. */
bool ike_child_spi_used(struct ike_engine *e, uint32_t spi);
/* The slot of a tunnel name, made if asked (NULL: none, or no memory). */
struct ike_tun *ike_tun_slot(struct ike_engine *e, const char *name, bool create);
/* Frees a slot no configuration and no SA names. */
void ike_tun_slot_gc(struct ike_engine *e, struct ike_tun *tu);
/*
 * Tests: recounts every index and count from the SAs, and checks that no SA or tunnel waits
 * for a later time than its state asks for. False with the first difference in why.
 */
bool ike_engine_selfcheck(struct ike_engine *e, char *why, size_t cap);

/* ---- tasks and timers (ike_timer.c) ---------------------------------------------------------- */

void ike_task_add(struct ike_sa *sa, enum ike_task_kind kind, uint64_t child_id, uint32_t seq);
bool ike_task_pending(const struct ike_sa *sa, enum ike_task_kind kind, uint64_t child_id);
/* Starts the next queued request if none is outstanding. */
void ike_task_run(struct ike_sa *sa);
/* Timeout before send number n (1-based) of a request: base * 2^(n-1). */
uint64_t ike_retransmit_timeout(const struct ike_engine *e, uint32_t n);
/* Marks sa: the next tick recomputes its deadline (anything sa_next looks at changed). */
void ike_sa_touch(struct ike_sa *sa);
/* Room in the timer heaps for one more SA: 0 or -ENOMEM. */
int ike_sa_timers_reserve(struct ike_engine *e);
/* Takes sa out of the timers (before it is freed). */
void ike_sa_timers_drop(struct ike_sa *sa);
/* Marks a tunnel: the next tick checks whether it must initiate. */
void ike_tun_touch(struct ike_engine *e, struct ike_tun *tu);
bool ike_sa_timer_check(const struct ike_sa *sa, char *why, size_t cap);
bool ike_tun_timer_check(const struct ike_engine *e, const struct ike_tun *tu, char *why,
                         size_t cap);
/* A configured tunnel's runtime state by name, or NULL. */
struct ike_tun *ike_tun_find(struct ike_engine *e, const char *name);
/* Tells observers when a tunnel went up or down (from its counts). */
void ike_tun_update(struct ike_engine *e, const char *name, const char *reason);
/* The tunnel went down: schedule the next initiation with back-off (if it may initiate). */
void ike_tun_down_backoff(struct ike_engine *e, const char *name);
bool ike_tun_may_initiate(const struct cfg_tunnel *t);
/* Does this tunnel have an IKE SA (in any phase but DELETING) besides `except`? */
bool ike_tun_has_sa(struct ike_engine *e, const char *name, const struct ike_sa *except);
/* Index of a seq number in the tunnel's seq list (per-seq retry state), 0 if unknown. */
size_t ike_seq_slot(const struct ike_sa *sa, uint32_t seqno);
/* Creates missing Child SAs of an established SA when it may. */
void ike_sa_check_children(struct ike_sa *sa);

/* ---- exchanges -------------------------------------------------------------------------- */

/* ike_xchg_init.c */
#define IKE_MAX_CANDIDATES 16
/* Tunnels that may answer a peer: static by (local, remote), then on-demand by local. */
size_t ike_tun_candidates(struct ike_engine *e, const struct sockaddr_storage *local,
                          const struct sockaddr_storage *remote, const struct cfg_tunnel **out,
                          size_t cap);
int ike_init_start(struct ike_engine *e, const struct cfg_tunnel *t);
void ike_init_request(struct ike_engine *e);
void ike_init_response(struct ike_sa *sa);
int ike_init_resend(struct ike_sa *sa);

/* ike_xchg_auth.c */
int ike_auth_start(struct ike_sa *sa);
void ike_auth_request(struct ike_sa *sa);
void ike_auth_response(struct ike_sa *sa);
/* Our identity on the tunnel's policy (default: the local endpoint's address). */
void ike_id_local(const struct cfg_tunnel *t, struct cfg_id *out);
/* The identity a tunnel expects of its peer (type NONE: any). */
void ike_id_remote(const struct cfg_tunnel *t, struct cfg_id *out);
/* 3 exact, 2 partial (FQDN wildcard), 1 wildcard or any, 0 no match (seed 004 §9.3). */
int ike_id_match(const struct cfg_id *want, uint8_t type, const uint8_t *data, size_t len);
void ike_id_text(uint8_t type, const uint8_t *data, size_t len, char *out, size_t cap);

/* ike_xchg_child.c */
int ike_child_start(struct ike_sa *sa, enum ike_req_kind kind, uint64_t child_id, uint32_t seq);
void ike_child_request(struct ike_sa *sa);
void ike_child_response(struct ike_sa *sa);
/* A fresh CREATE_CHILD_SA/IKE_AUTH context in sa->ccs (NULL: no memory); dropping it. */
struct ike_ccs *ike_ccs_new(struct ike_sa *sa);
void ike_ccs_clear(struct ike_sa *sa);
/* Completes an IKE rekey collision when the old SA goes (the peer did not notice it). */
void ike_rekey_conclude(struct ike_sa *old);
/*
 * Chooses the seq of a tunnel a Child SA request fits (proposals and selectors), and the
 * narrowed selectors. Returns 0, or the notify to answer with (NO_PROPOSAL_CHOSEN,
 * TS_UNACCEPTABLE, INVALID_KE_PAYLOAD with *want_group) after logging why.
 */
uint16_t ike_child_choose(struct ike_sa *sa, const char *exch_name, bool in_auth, uint32_t only_seq,
                          uint16_t ke_group, struct ike_esp_choice *ch, uint32_t *seq,
                          struct ike_tsl *tsi, struct ike_tsl *tsr, uint16_t *want_group);
/* Fills a new Child SA from the negotiation (algorithms, selectors, first lease) and indexes
 * it by SPI. 0 or -ENOMEM. */
int ike_child_fill(struct ike_sa *sa, struct ike_child_state *c, const struct ike_esp_choice *ch,
                   uint32_t seq, const struct ike_tsl *local, const struct ike_tsl *remote,
                   uint32_t spi_in);
/* Fills a new Child SA's keys (RFC 7296 §2.17); we_initiated: our outbound is "i". */
int ike_child_keys(struct ike_sa *sa, struct ike_child_state *c, const struct secret *g_ir,
                   const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                   bool we_initiated);

/* ike_xchg_info.c */
/* Deletes an IKE SA: a Delete to the peer when established, at once otherwise. */
void ike_sa_close(struct ike_sa *sa, const char *reason);
int ike_info_start(struct ike_sa *sa, const struct ike_task *t);
void ike_info_request(struct ike_sa *sa);
void ike_info_response(struct ike_sa *sa);
/* Sends an unprotected error response to the request in e->rx (§2.21.1, §1.5). */
void ike_info_unprotected(struct ike_engine *e, uint16_t notify, const uint8_t *data, size_t len);
/* Answers a protected request with a single error notify (INVALID_SYNTAX, ...). */
void ike_info_error_response(struct ike_sa *sa, uint16_t notify, const uint8_t *data, size_t len);

/* ike_natt.c */
int ike_natd_add(struct ike_engine *e, struct ike_mb *mb, uint64_t spi_i, uint64_t spi_r,
                 const struct sockaddr_storage *local, const struct sockaddr_storage *remote);
/* Records nat_local/nat_remote from the peer's NAT-D notifies; false when there are none. */
bool ike_natd_check(struct ike_sa *sa, const struct ike_msg *m);

/* ike_cookie.c */
bool ike_cookie_required(struct ike_engine *e);
/* Checks the COOKIE notify of an IKE_SA_INIT request (current or previous secret). */
bool ike_cookie_valid(struct ike_engine *e, const struct ike_msg *m,
                      const struct sockaddr_storage *remote);
int ike_cookie_for(struct ike_engine *e, const struct ike_msg *m,
                   const struct sockaddr_storage *remote, uint8_t out[IKE_COOKIE_LEN]);
void ike_cookie_rotate(struct ike_engine *e);

/* ---- rejections and logs (ike_engine.c) ------------------------------------------------- */

/*
 * Counts a rejected message by reason and logs it (rate-limited per reason) as
 * "PEER EXCHANGE: detail". exch 0 names no exchange.
 */
void ike_reject(struct ike_engine *e, enum ike_reject r, const struct sockaddr_storage *peer,
                uint8_t exch, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Same for a structural error found by the codec: the text is ike_perr_format's. */
/* Counts and logs (info, rate-limited) the notes of e->rx that are not in `before`. */
void ike_notes(struct ike_engine *e, uint8_t before);
void ike_reject_perr(struct ike_engine *e, const struct ike_perr *err,
                     const struct sockaddr_storage *peer, uint8_t exch);
/* A rate-limited warning (peer-triggerable, not a rejected message). */
void ike_warn_rl(struct ike_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Commit number of the last change reported. */
static inline uint64_t
ike_commit_now(const struct ike_engine *e)
{
	return e->commit;
}

#endif
