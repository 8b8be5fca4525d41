/* SPDX-License-Identifier: MIT */
/*
 * Internals of the engine supervisor shared by the files of node/eng: the supervisor, its
 * engine groups with their tunnels (TUN devices, addresses, routes), the UDP 4500 sockets,
 * the SA store, the channel's transmit queue and the process primitives.
 *
 * Ownership: struct eng_sup owns its groups, sockets and SAs; a group owns its tunnels, its
 * process (pid, pidfd), its end of the channel and the queued messages (with the descriptors
 * they carry). A TUN descriptor belongs to tandemd only until the AttachTun carrying it is
 * sent; a socket's descriptor stays tandemd's (the engine gets a duplicate).
 */
#ifndef TANDEM_NODE_ENG_ENG_INT_H
#define TANDEM_NODE_ENG_ENG_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <event2/util.h>

#include "node/core/buf.h"
#include "node/core/log.h"
#include "node/core/tmr.h"
#include "node/eng/eng_codec.h"
#include "node/eng/eng_sup.h"
#include "node/net/rt.h"

#ifndef TAILQ_FOREACH_SAFE /* BSD's; glibc's sys/queue.h lacks it */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                     \
	for ((var) = TAILQ_FIRST(head); (var) && ((tvar) = TAILQ_NEXT(var, field), 1); \
	     (var) = (tvar))
#endif

#define ENG_NATT_PORT     4500
#define ENG_MAX_DROPS     (ENG_MAX_STATS_DROPS + 1) /* the engine's reasons plus no_engine */
#define ENG_DEFAULT_LEASE 65536u
/*
 * replay_report_every without a cluster block: no replication to pay for, so as often as the
 * configuration allows (64), which bounds what an engine restart costs inbound (packets of the
 * peer numbered up to 64 past the last report are dropped as late, docs/engine.md).
 */
#define ENG_DEFAULT_RRE    64u
#define ENG_DEFAULT_REFILL 50u
#define ENG_MAX_TUN_QUEUES 16u
#define ENG_DEFAULT_MTU    1400u /* TUN MTU when the tunnel sets none: fits ESP-in-UDP in 1500 */

struct eng_group;

/* ---- tunnels ------------------------------------------------------------------------------ */

struct eng_tslot;

struct eng_tunnel {
	TAILQ_ENTRY(eng_tunnel) entry;
	struct eng_group *g;
	struct eng_tslot *slot; /* while in a group: the slot of its name */
	TAILQ_ENTRY(eng_tunnel) slot_entry;
	char name[CFG_NAME_MAX];   /* the configured tunnel */
	char cfg_if[CFG_NAME_MAX]; /* its bound interface, as configured */
	char ctx[CFG_NAME_MAX];    /* the interface's context */
	char ifname[16];           /* the TUN device's Linux name */
	struct rt_prefix addrs[CFG_MAX_IF_ADDRS];
	unsigned naddrs;
	uint32_t mtu;
	enum cfg_df_bit df;
	struct sockaddr_storage local; /* tunnel local address, port 4500 */
	struct rt_route *routes;       /* owned; ifindex filled when installed */
	unsigned nroutes;
	/* runtime */
	unsigned ifindex; /* of the TUN device the running engine holds, 0 if none */
	bool routes_on;
	uint64_t attach_req;
};

/* ---- sockets ------------------------------------------------------------------------------ */

struct eng_sock {
	TAILQ_ENTRY(eng_sock) entry;
	struct eng_sup *sup;
	struct eng_group *g; /* the group whose engine receives on it */
	struct sockaddr_storage local;
	int fd;
	struct event *ev; /* tandemd reads while the group has no engine */
	bool reading;
	bool seen; /* mark during apply */
};

/* ---- SAs ---------------------------------------------------------------------------------- */

/*
 * What the store keeps of an SA: esp_sa_params field for field (keep the two in step), but
 * the selectors in one array of exactly nts_local + nts_remote instead of two arrays of
 * ESP_MAX_TS, which is most of esp_sa_params' size. eng_sa_p_expand gives the full form.
 */
struct eng_sa_p {
	uint32_t spi;
	bool inbound;
	uint64_t child_id;
	char tunnel[CFG_NAME_MAX];
	char ifname[16];
	enum cfg_encr encr;
	enum cfg_integ integ;
	struct secret enc_key, integ_key; /* owned */
	bool esn;
	uint32_t replay_window;
	int family;
	uint8_t local[16], remote[16];
	bool udp_encap;
	uint16_t local_port, remote_port;
	uint8_t nts_local, nts_remote;
	struct esp_ts *ts; /* owned: the local selectors, then the remote ones */
	enum cfg_df_bit df_bit;
	uint16_t mtu;
	uint64_t soft_bytes, hard_bytes;
	uint64_t seq_start, lease_limit;
};

struct eng_sa {
	TAILQ_ENTRY(eng_sa) entry; /* sup->sas: every SA, in the order stored */
	struct eng_sa *hnext;      /* sup->sa_hash chain: by (spi, inbound) */
	struct eng_tslot *slot;    /* its tunnel name's slot */
	TAILQ_ENTRY(eng_sa) slot_entry;
	struct eng_sa_p p; /* owned copy, keys included; seq_start = next install's */
	uint64_t granted;  /* outbound: highest lease limit granted */
	uint64_t reported; /* inbound: highest sequence number an engine reported */
	bool in_engine;    /* sent to the running engine (eng_sa_set_in_engine) */
	bool used;         /* some engine had it installed since p.seq_start was set */
	bool manual, seen; /* from the configuration (eng_manual_apply); mark */
	uint64_t install_req;
	/* counters: base = earlier engines', cur = the running engine's last Stats */
	uint64_t packets_base, bytes_base, packets_cur, bytes_cur;
	uint64_t seq_seen, lease_seen; /* from the last Stats */
};

/*
 * A tunnel name: the tunnels of that name in engine groups (one; two only while a reload
 * moves a tunnel between groups, and then the older one counts until it goes), the stored SAs
 * that name it, and how many of those are outbound and in an engine (routes go on).
 */
struct eng_tslot {
	struct eng_tslot *hnext; /* sup->slot_hash chain */
	char name[CFG_NAME_MAX];
	TAILQ_HEAD(, eng_tunnel) tunnels;
	TAILQ_HEAD(, eng_sa) sas;
	unsigned nsas, nout;
};

/* ---- engine groups ------------------------------------------------------------------------ */

enum eng_state {
	ENG_ST_IDLE = 0,
	ENG_ST_STARTING, /* spawned; waiting for Ready and the start-up acks */
	ENG_ST_UP,
	ENG_ST_DYING,   /* failed; killed, waiting to reap it */
	ENG_ST_BACKOFF, /* reaped (or spawn failed); restart timer armed */
	ENG_ST_STOPPED, /* stopped on purpose */
};

struct eng_txmsg {
	TAILQ_ENTRY(eng_txmsg) entry;
	struct buf b;
	int fd;        /* passed as SCM_RIGHTS, or -1 */
	bool close_fd; /* tandemd's copy is closed once sent (TUN devices) */
};
TAILQ_HEAD(eng_txq, eng_txmsg);

struct eng_drop_count {
	char reason[ENG_DROP_REASON_MAX];
	uint64_t base, cur;
};

struct eng_group {
	TAILQ_ENTRY(eng_group) entry;
	struct eng_sup *sup;
	char name[CFG_NAME_MAX];
	char *fingerprint; /* owned: tunnels, devices, addresses; a change restarts the engine */
	uint32_t workers;  /* packet workers: the group's asp-count (each ASP is one core) */
	TAILQ_HEAD(, eng_tunnel) tunnels;
	enum eng_state state;
	bool removing; /* free the group once its engine is reaped */
	/* the running process */
	pid_t pid;
	int pidfd, chan;
	struct event *ev_pid, *ev_chan, *ev_write;
	struct eng_txq txq;
	uint64_t next_req, barrier_req;
	bool ready, barrier_acked;
	struct tmr t_hb, t_restart, t_stats;
	/* times (monotonic ms) */
	uint64_t spawn_ms, up_ms, last_hb_ms, down_ms, restart_at_ms;
	uint64_t hb_count, packets_in, packets_out;
	/* history */
	unsigned restarts, fails_in_row;
	uint64_t last_detect_ms;
	int64_t last_down_unix;
	enum eng_down_reason last_reason;
	struct eng_drop_count drops[ENG_MAX_DROPS];
	unsigned ndrops;
	struct log_rl rl_noeng;
};

/* One manual SA's sequence state as kept on disk: outbound the lease limit last granted,
 * inbound the highest number last reported. */
struct eng_seq_ent {
	uint32_t spi;
	bool inbound;
	uint64_t value;
};

/* ---- the supervisor ----------------------------------------------------------------------- */

struct eng_sup {
	struct event_base *base;
	char engine_path[4096];
	struct eng_sup_events ev;
	void *arg;
	struct eng_sup_timing tm;
	struct rt_sock *rt; /* NULL when netlink is unavailable (logged once) */
	TAILQ_HEAD(, eng_group) groups;
	TAILQ_HEAD(, eng_sock) socks;
	TAILQ_HEAD(, eng_sa) sas;
	/* indexes (eng_index.c): SAs by (spi, direction), tunnel names */
	struct eng_sa **sa_hash;
	size_t sa_mask, nsas;
	struct eng_tslot **slot_hash;
	size_t slot_mask, nslots;
	uint32_t lease_size, lease_refill_pct, replay_report_every;
	/* manual SAs' sequence state, kept across tandemd restarts (eng_manual.c) */
	char *seq_path;          /* owned; NULL: not kept */
	struct eng_seq_ent *seq; /* owned */
	size_t nseq, capseq;
	uint64_t seq_saved_ms;
	bool seq_dirty;
	unsigned tun_queues; /* per TUN device, 1..ENG_MAX_TUN_QUEUES; 0: one per worker */
	bool tun_vnet;       /* IFF_VNET_HDR */
	_Alignas(8) uint8_t rx[ENG_MSG_MAX];
};

/* No heartbeat for this long = hung: missed_beats periods plus the grace for loop jitter. */
static inline uint64_t
eng_hb_limit_ms(const struct eng_sup_timing *tm)
{
	return (uint64_t)tm->heartbeat_ms * tm->missed_beats + tm->grace_ms;
}

/* Queues of a group's TUN devices: as set, or one per packet worker (docs/engine.md). */
static inline unsigned
eng_tun_queues(const struct eng_sup *sup, const struct eng_group *g)
{
	unsigned n = sup->tun_queues ? sup->tun_queues : g && g->workers ? g->workers : 1;

	return n < ENG_MAX_TUN_QUEUES ? n : ENG_MAX_TUN_QUEUES;
}

/* eng_proc.c: the engine process */
int eng_proc_spawn(const char *path, int chan_child, int nice_val, pid_t *pid, int *pidfd);
int eng_proc_kill(pid_t pid, int pidfd, int sig);
/* Reaps pid if it has exited: 1 (status in *status), 0 (still running), -errno. */
int eng_proc_reap(pid_t pid, int *status);
/* "exit status N" / "signal N (NAME)" into out. */
void eng_proc_status_str(int status, char *out, size_t cap);

/* eng_chan.c: the channel */
/* Queues a packed message (taking b's contents) with an optional descriptor, and flushes. */
int eng_chan_send(struct eng_group *g, struct buf *b, int fd, bool close_fd);
/* Sends what the queue holds; -EPIPE etc. when the engine is gone (caller takes it down). */
int eng_chan_flush(struct eng_group *g);
void eng_chan_clear(struct eng_group *g);
/* Reads and dispatches what the channel holds (EV_READ callback). */
void eng_chan_readable(evutil_socket_t fd, short what, void *arg);
/* Reads and dispatches everything the channel holds now (before declaring a hang). */
void eng_chan_drain(struct eng_group *g);
void eng_chan_writable(evutil_socket_t fd, short what, void *arg);

/* eng_group.c: lifecycle */
struct eng_group *eng_group_new(struct eng_sup *sup, const char *name);
void eng_group_free(struct eng_group *g);
void eng_group_start(struct eng_group *g);
void eng_group_down(struct eng_group *g, enum eng_down_reason why);
/* Stops the engine on purpose (bounded wait, then SIGKILL) and reaps it. */
void eng_group_stop(struct eng_group *g);
void eng_group_dispatch(struct eng_group *g, const struct eng_msg *m);
uint64_t eng_group_req(struct eng_group *g);
const char *eng_state_name(enum eng_state s);
/* "X, Y" tunnel names into out. */
void eng_group_tunnel_list(const struct eng_group *g, bool with_ifname, char *out, size_t cap);
void eng_group_count_drop(struct eng_group *g, const char *reason, uint64_t cur, bool add);

/* eng_net.c: TUN devices, addresses, routes, sockets */
/*
 * Creates the tunnel's TUN device with eng_tun_queues() queues (descriptors into fds, room for
 * ENG_MAX_TUN_QUEUES), sets MTU and addresses, brings it up. Returns the number of queues or
 * -errno (logged).
 */
int eng_tunnel_create(struct eng_sup *sup, struct eng_tunnel *t, int *fds);
/* Sets the device down (a hung engine still holds it: this withdraws the routes at once). */
void eng_tunnel_down(struct eng_sup *sup, struct eng_tunnel *t);
/* Installs or withdraws the tunnel's routes: on when its engine is up and it has an outbound
 * SA. */
void eng_tunnel_sync_routes(struct eng_sup *sup, struct eng_tunnel *t);
/* Replaces the tunnel's routes (takes ownership of routes), updating the kernel's. */
void eng_tunnel_set_routes(struct eng_sup *sup, struct eng_tunnel *t, struct rt_route *routes,
                           unsigned n);
struct eng_tunnel *eng_tunnel_find(const struct eng_sup *sup, const char *name);
void eng_tunnel_free(struct eng_tunnel *t);
int eng_sock_open(struct eng_sup *sup, const struct sockaddr_storage *local, struct eng_sock **out);
void eng_sock_free(struct eng_sock *s);
/* tandemd reads the socket itself while its group has no engine (read = true). */
void eng_sock_set_reading(struct eng_sock *s, bool read);
struct eng_sock *eng_sock_find(const struct eng_sup *sup, const struct sockaddr_storage *local);
bool eng_sockaddr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
void eng_sockaddr_str(const struct sockaddr_storage *a, char *out, size_t cap);

/* eng_index.c: the store's indexes */
/* Empty tables: 0 or -ENOMEM. */
int eng_index_init(struct eng_sup *sup);
/* Frees the tables and the slots (every SA and tunnel is gone). */
void eng_index_fini(struct eng_sup *sup);
/* The slot of a tunnel name; made if asked (NULL: none, or no memory). */
struct eng_tslot *eng_tslot_get(struct eng_sup *sup, const char *name, bool create);
/* A tunnel that joins a group is findable by name; one that leaves is not. */
int eng_tunnel_register(struct eng_sup *sup, struct eng_tunnel *t);
void eng_tunnel_unregister(struct eng_sup *sup, struct eng_tunnel *t);
/* sa (with p.tunnel set) in the hash and its slot's list; out of them. */
int eng_sa_link(struct eng_sup *sup, struct eng_sa *sa);
void eng_sa_unlink(struct eng_sup *sup, struct eng_sa *sa);
/* Sets in_engine, keeping the slot's count of outbound SAs in an engine. */
void eng_sa_set_in_engine(struct eng_sa *sa, bool in);

/* eng_store.c: SAs */
struct eng_sa *eng_store_find(const struct eng_sup *sup, uint32_t spi, bool inbound);
/* The full parameters of a stored SA, keys borrowed from it (do not clear out). */
void eng_sa_p_expand(const struct eng_sa_p *c, struct esp_sa_params *out);
struct eng_group *eng_sa_group(const struct eng_sup *sup, const struct eng_sa *sa);
void eng_store_remove(struct eng_sup *sup, struct eng_sa *sa);
/* Sends InstallSa for sa to its group's engine (seq_start and lease as the store says). */
int eng_store_send(struct eng_sup *sup, struct eng_group *g, struct eng_sa *sa);
/* The group's engine is gone: advance each SA's start past what it may have used. */
void eng_store_engine_gone(struct eng_sup *sup, struct eng_group *g);
/* Stats from the group's engine. */
void eng_store_stats(struct eng_sup *sup, struct eng_group *g, const struct eng_msg *m);
bool eng_tunnel_has_out_sa(const struct eng_sup *sup, const struct eng_tunnel *t);

/* eng_store.c: install with the manual flag set before anything is sent */
int eng_sa_install_as(struct eng_sup *sup, const struct esp_sa_params *p, bool manual);

/* eng_manual.c: manual SAs' sequence state on disk */
/*
 * Records a manual SA's new state. Outbound (a lease about to be granted) is written and
 * synced before it returns, so no number under the same key is used twice even if tandemd
 * crashes; inbound at most once a second (sync false). Logged on failure.
 */
void eng_manual_seq_note(struct eng_sup *sup, uint32_t spi, bool inbound, uint64_t value,
                         bool sync);
void eng_manual_seq_free(struct eng_sup *sup);

/* eng_plan.c: what a configuration asks for */
struct eng_plan_group {
	TAILQ_ENTRY(eng_plan_group) entry;
	char name[CFG_NAME_MAX];
	uint32_t workers;
	TAILQ_HEAD(, eng_tunnel) tunnels;
	struct buf fp;
};
TAILQ_HEAD(eng_plan, eng_plan_group);
int eng_plan_build(const struct cfg *cfg, struct eng_plan *plan);
void eng_plan_free(struct eng_plan *plan);

#endif
