/* SPDX-License-Identifier: MIT */
/*
 * A small world for the IKEv2 engine's in-process tests (STYLE.md §2.9, the idea of
 * strongSwan's exchange_test_helper): two or three engines joined by a mock io that queues
 * datagrams, a controllable clock, deterministic randomness per node, a record of what each
 * engine installed in its data plane and reported to its observers, and the log lines.
 */
#ifndef TANDEM_TESTS_UNIT_IKE_TEST_IKE_ENGINE_UTIL_H
#define TANDEM_TESTS_UNIT_IKE_TEST_IKE_ENGINE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "node/config/cfg.h"
#include "node/esp/esp_params.h"
#include "node/ike/ike_engine.h"

#define W_MAX_NODES  3
#define W_MAX_Q      512
#define W_MAX_HIST   2048
#define W_MAX_INST   512
#define W_MAX_STATES 32
#define W_MAX_LOGS   1024
#define W_LOG_LEN    400
#define W_ADDR_A     "192.0.2.1"
#define W_ADDR_B     "198.51.100.1"
#define W_TUNNEL     "t1"

struct world;

struct w_dgram {
	int from, to;
	struct sockaddr_storage local, remote; /* as the sender gave them */
	uint8_t *p;
	size_t len;
	uint64_t commit;
	uint64_t t; /* when it was sent */
};

struct w_install {
	struct esp_sa_params p;
	bool deleted;
};

struct w_node {
	struct world *w;
	int idx;
	char name[8];
	struct ike_engine *e;
	struct cfg *cfg;
	struct sockaddr_storage addr; /* address, port 0 */
	uint64_t rng;
	bool dead; /* takes nothing, ticks nothing (a node that failed) */
	struct w_install inst[W_MAX_INST];
	size_t ninst;
	uint64_t max_commit; /* the last change number reported */
	uint64_t nchanges[16];
	bool order_violation; /* a datagram went out before its change was reported */
	uint64_t sends;
	int up_events, down_events;
	char last_reason[128];
	/* the latest state of each IKE SA as reported (deleted ones removed) */
	struct ike_sa_state states[W_MAX_STATES];
	size_t nstates;
	int install_fail; /* make the next sa_install calls fail */
	/* lean worlds (scale runs) count instead of recording */
	uint64_t installs, deletes;
	uint64_t cpu_ns; /* thread CPU time spent in this node's engine calls (lean worlds) */
};

/* Return true to drop the datagram. */
typedef bool (*w_filter_fn)(struct world *w, const struct w_dgram *d, void *arg);

struct world {
	uint64_t now;
	struct w_node n[W_MAX_NODES];
	int nn;
	struct w_dgram *q; /* ring of datagrams in flight: nq from q[qh] */
	size_t qh, nq, qcap;
	w_filter_fn filter;
	void *farg;
	size_t delivered, dropped;
	char logs[W_MAX_LOGS][W_LOG_LEN];
	size_t nlogs;
	/* every datagram sent, in order (the first W_MAX_HIST) */
	struct w_dgram hist[W_MAX_HIST];
	size_t nhist;
	/*
	 * A lean world (set before anything is queued) keeps no history, states or installs,
	 * only counts, and grows its queue beyond W_MAX_Q: for runs with many SAs
	 * (tests/bench/ike_scale.c). tick_each_input ticks the receiving engine after each
	 * datagram, as tandemd does.
	 */
	bool lean;
	bool tick_each_input;
};

/* What a node's configuration says (every field has a default when NULL/0). */
struct w_conf {
	const char *ike;  /* lines of the ike2 proposal body */
	const char *esp;  /* lines of the ipsec proposal body */
	const char *ike2; /* a second ike2 proposal (seq 2), or NULL */
	const char *psk;
	const char *conn;      /* connection-type */
	unsigned pfs;          /* PFS group */
	const char *keepalive; /* "ike keepalive ..." line */
	const char *acl;       /* rules of access-list acl1 (one per line, "seq N ..."), or NULL */
	const char *acl2;      /* rules of access-list acl2 for a second tunnel seq, or NULL */
	bool two_seqs;         /* a second `seq 2 ipsec-policy` (with acl2 when set) */
	const char *ike_life;  /* "lifetime seconds N" for the ike2 policy */
	const char *esp_life;  /* lifetime lines of the ipsec proposal */
	const char *remote_id; /* tunnel remote-id (default: the peer's address) */
	const char *id_local;  /* identity local of the ike2 policy */
	const char *extra;     /* extra top-level text appended */
	bool shutdown;
	bool on_demand;        /* an on-demand tunnel instead of a static one */
	const char *id_remote; /* identity remote of the ike2 policy (on-demand) */
	unsigned max_tunnels;
};

/* A world with nodes A (192.0.2.1) and B (198.51.100.1) configured, not yet started. */
void w_init(struct world *w, const struct w_conf *a, const struct w_conf *b,
            const struct ike_engine_opts *o);
/* Adds a third node with A's address and configuration (a standby), engine in standby. */
int w_add_standby(struct world *w, const struct w_conf *c);
void w_fini(struct world *w);
/* Loads a node's configuration (again) into its engine. */
void w_config(struct world *w, int node, const struct w_conf *c);
/* Delivers queued datagrams (filter applies), runs timers, up to `until` ms. */
void w_run(struct world *w, uint64_t until);
/* Thread CPU time in nanoseconds (what lean worlds charge to each node). */
uint64_t w_cpu_ns(void);
/* Delivers what is queued now (and what that causes), no timers. */
void w_deliver(struct world *w);
/* A log line containing the text was written. */
bool w_log_has(const struct world *w, const char *text);
void w_log_clear(struct world *w);
/* Number of established IKE SAs (by observer state) of a node. */
size_t w_established(const struct w_node *n);
/* The first reported state with this phase, or NULL. */
const struct ike_sa_state *w_state(const struct w_node *n, enum ike_sa_phase phase);
/* Installed, not deleted SA parameters of a node: count, and lookups by SPI/direction. */
size_t w_live_sas(const struct w_node *n);
const struct esp_sa_params *w_inst(const struct w_node *n, uint32_t spi, bool inbound);
/* Asserts that every live outbound SA of `a` is a live inbound SA of `b` with equal keys. */
void w_assert_pairs(const struct w_node *a, const struct w_node *b);
/* Injects a datagram into a node as if it came from the other one (ports as given). */
void w_inject(struct world *w, int to, uint16_t sport, uint16_t dport, const uint8_t *p,
              size_t len);
/* The i-th datagram in flight (i < w->nq), oldest first. */
const struct w_dgram *w_queued(const struct world *w, size_t i);
/* The last datagram a node sent, or NULL. */
const struct w_dgram *w_last_sent(const struct world *w, int from);
/* The mock io and observer the world's engines use (for an engine made anew in a test). */
const struct ike_io *w_io_of(void);
const struct ike_observer *w_obs_of(void);
/* The IKE header fields of a datagram. */
uint8_t w_exch(const struct w_dgram *d);
uint32_t w_msgid(const struct w_dgram *d);
bool w_is_response(const struct w_dgram *d);

#endif
