/* SPDX-License-Identifier: MIT */
/*
 * Internals of tandem-engine shared by its files: the process state (struct engine), its
 * sockets, tunnels and SAs, the packet workers and their batches, and the drop reasons the
 * engine adds to node/esp's. docs/engine.md describes the process; docs/engine-performance.md
 * why it is built this way.
 *
 * Threads: worker 0 is the main thread and also serves the channel; workers 1..n-1 run
 * their own event_base. The tables of sockets, tunnels and SAs change only on the main
 * thread under `lock` (write); workers hold it (read) for the duration of one batch.
 */
#ifndef TANDEM_NODE_ENGINE_ENGINE_INT_H
#define TANDEM_NODE_ENGINE_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "node/core/log.h"
#include "node/engine/engine_msg.h"
#include "node/esp/esp_sa.h"

struct event;
struct event_base;

#define ENGINE_MAX_WORKERS 16
#define ENGINE_MAX_QUEUES  16   /* TUN queues per tunnel (IFF_MULTI_QUEUE) */
#define ENGINE_BATCH       64   /* datagrams per recvmmsg, packets per TUN read round */
#define ENGINE_HEAD        128  /* headroom before every packet: ESP/vnet headers */
#define ENGINE_PKT_MAX     9216 /* the largest packet handled without GSO (jumbo frames) */
#define ENGINE_TAIL        128  /* tailroom: ESP padding, trailer and ICV */
#define ENGINE_SLOT        (ENGINE_HEAD + ENGINE_PKT_MAX + ENGINE_TAIL)
#define ENGINE_TX_SLOTS    256          /* ESP packets queued before a flush */
#define ENGINE_GSO_BUF     (65536 + 64) /* a TUN super-packet or a GRO datagram */
#define ENGINE_VNET_HDR    10           /* struct virtio_net_hdr */
#define ENGINE_PRIO_CTL    0            /* libevent priority: channel, heartbeat, worker commands */
#define ENGINE_PRIO_PKT    1            /* packet sockets and TUN queues, served after those */

/* Drop reasons: node/esp's, then the engine's own. */
enum engine_drop {
	ENGINE_DROP_NO_TUNNEL = ESP_DROP__COUNT, /* inbound SA's tunnel is not attached */
	ENGINE_DROP_NO_OUT_SA, /* a clear packet no outbound SA's selectors match */
	ENGINE_DROP_TOO_BIG,   /* over the tunnel MTU and may not be fragmented: ICMP sent */
	ENGINE_DROP_NO_SOCKET, /* no attached socket for the SA's local address */
	ENGINE_DROP_SEND,      /* sendmmsg refused it */
	ENGINE_DROP_TUN_WRITE, /* the TUN device refused it */
	ENGINE_DROP_CHANNEL,   /* an IKE datagram tandemd could not take (channel full) */
	ENGINE_DROP_NOT_IP,    /* a clear packet from the TUN device that is not IPv4/IPv6 */
	ENGINE_DROP__COUNT
};

const char *engine_drop_name(unsigned d);
const char *engine_drop_msg(unsigned d);

struct engine;
struct engine_worker;

/* A UDP socket on local:4500 passed by tandemd (AttachSocket). */
struct engine_sock {
	TAILQ_ENTRY(engine_sock) entry;
	struct engine *eng;
	int fd;
	struct engine_addr local;
	unsigned worker; /* the worker that reads it */
	struct event *ev;
	pthread_mutex_t tx_lock; /* the DF socket option and the sends that depend on it */
	int pmtudisc;            /* IP_MTU_DISCOVER now set, -1 unknown */
	bool gso;                /* UDP_SEGMENT works on it */
	bool gro;                /* UDP_GRO is on */
};

struct engine_tunnel;

/* One queue (file descriptor) of a TUN device. */
struct engine_tunq {
	struct engine *eng;
	struct engine_tunnel *tun;
	int fd;
	unsigned worker;
	struct event *ev;
};

struct engine_sa;

struct engine_tunnel {
	TAILQ_ENTRY(engine_tunnel) entry;
	char name[CFG_NAME_MAX];
	char ifname[16];
	uint32_t mtu; /* configured inner MTU, 0 = from the path */
	enum cfg_df_bit df_bit;
	bool vnet_hdr; /* fds carry a struct virtio_net_hdr */
	bool offload;  /* TUNSETOFFLOAD accepted: super-packets and partial checksums */
	struct engine_tunq q[ENGINE_MAX_QUEUES];
	unsigned nq;
	struct engine_sa **out; /* outbound SAs, picked by traffic selectors */
	unsigned nout, capout;
};

struct engine_sa {
	TAILQ_ENTRY(engine_sa) entry;
	struct engine_sa *hnext; /* engine_sa_hash chain */
	struct esp_sa *esp;
	const struct esp_sa_params *p; /* esp_sa_params(esp): no keys */
	struct engine_tunnel *tun;     /* by name; NULL until that tunnel is attached */
	struct engine_sock *sock;      /* outbound: by local address and port */
	struct sockaddr_storage peer;  /* outbound: the remote address and port */
	socklen_t peer_len;
	_Atomic size_t path_mtu;  /* outer path MTU (IP_MTU of a connected socket) */
	_Atomic size_t inner_mtu; /* outbound: the largest clear packet sent whole */
	enum cfg_df_bit df_bit;   /* effective: the SA's, else its tunnel's */
};

/* SAs by (SPI, direction) (engine_sahash.c): buckets sized to the number of SAs. */
struct engine_sa_hash {
	struct engine_sa **b; /* 1 << bits chains; NULL until the first SA */
	unsigned bits;
	size_t n;
};

/* The SA with this SPI and direction, or NULL; O(1), never allocates (the packet path). */
struct engine_sa *engine_sahash_find(const struct engine_sa_hash *h, uint32_t spi, bool inbound);
/* Links sa (p set; not already linked): 0 or -ENOMEM (only the first table); may grow. */
int engine_sahash_add(struct engine_sa_hash *h, struct engine_sa *sa);
/* Unlinks sa if it is linked. */
void engine_sahash_del(struct engine_sa_hash *h, struct engine_sa *sa);
/* Frees the buckets (not the SAs). */
void engine_sahash_fini(struct engine_sa_hash *h);

/* Counters a worker writes and others read (relaxed atomics: no tearing, no ordering). */
struct engine_wstats {
	_Atomic uint64_t packets_in, packets_out, keepalives, ike;
	_Atomic uint64_t drops[ENGINE_DROP__COUNT];
	/* how the batching works out (logged when the engine stops) */
	_Atomic uint64_t tun_reads, tso_reads, tso_segs, recv_calls, gro_trains, gro_segs;
	_Atomic uint64_t send_calls, send_msgs, gso_msgs, gso_segs, tun_writes;
	_Atomic uint64_t tun_gro_writes, tun_gro_segs;
};

#define ENGINE_STAT_ADD(w, f, n) atomic_fetch_add_explicit(&(w)->st.f, (n), memory_order_relaxed)

/* Logs how the batching worked out (reads, GSO/GRO trains, sends) since the start. */
void engine_stats_log(struct engine *e);

enum engine_cmd_type { ENGINE_CMD_ADD_FD = 1, ENGINE_CMD_DEL_FD, ENGINE_CMD_STOP };

struct engine_cmd {
	enum engine_cmd_type type;
	struct engine_sock *sock; /* or */
	struct engine_tunq *q;
};

/* One ESP packet waiting for sendmmsg. */
struct engine_txp {
	uint8_t *data;
	size_t len;
	struct engine_sa *sa;
	bool df;
};

struct engine_io;

struct engine_worker {
	struct engine *eng;
	unsigned id;
	pthread_t thread;
	bool started;
	struct event_base *base;
	int wake[2];
	struct event *ev_wake;
	pthread_mutex_t mu; /* cmds, done */
	pthread_cond_t cv;
	struct engine_cmd cmds[32];
	unsigned ncmds;
	uint64_t cmd_done, cmd_sent;
	struct event *ev_tick;
	_Atomic uint64_t ticks;
	uint64_t last_tick_ms; /* when ticks last moved (timer or a pulse inside a batch) */
	struct engine_io *io;
	struct engine_wstats st;
	struct log_rl rl[ENGINE_DROP__COUNT];
	struct log_rl rl_icmp;
};

struct engine {
	struct event_base *base; /* worker 0's, the main thread's */
	int chan;
	struct event *ev_chan;
	struct event *ev_hb;
	struct event *ev_sig[2];
	bool hello;
	bool stopping;
	char group[CFG_NAME_MAX];
	uint32_t heartbeat_ms;
	struct esp_sa_opts sa_opts;
	uint64_t hb_seq;
	uint64_t hb_last_ms;    /* when the last heartbeat went out */
	uint64_t hb_max_gap_ms; /* the longest time between two (logged at the end) */
	uint64_t hb_ticks[ENGINE_MAX_WORKERS];
	unsigned nworkers;
	struct engine_worker *w;
	unsigned next_sock_worker, next_tun_worker;
	bool gro;     /* turn UDP_GRO on for attached sockets */
	bool gso;     /* use UDP_SEGMENT when sending */
	bool tso;     /* ask TUN devices with virtio headers for TSO super-packets */
	bool tun_gro; /* join decrypted TCP segments into one TUN write */

	pthread_rwlock_t lock;
	TAILQ_HEAD(, engine_sock) socks;
	TAILQ_HEAD(, engine_tunnel) tuns;
	TAILQ_HEAD(, engine_sa) sas;
	struct engine_sa_hash sa_hash; /* every SA, by (SPI, direction) */
};

/* engine_main.c helpers shared with tests: none. */

/* engine_chan.c: the channel (fd 3) */
int engine_chan_start(struct engine *e);
/* Sends one message; from any thread. Returns 0 or -errno (logged by the caller). */
int engine_chan_send(struct engine *e, const struct engine_from *m);
void engine_chan_ack(struct engine *e, uint64_t req, int err, const char *msg);

/* engine_ctl.c: what each ToEngine message does */
void engine_ctl_handle(struct engine *e, struct engine_to *m, int fd);
void engine_ctl_heartbeat(struct engine *e);
/* The heartbeat if heartbeat_ms went by since the last one (main thread). */
void engine_ctl_heartbeat_due(struct engine *e, uint64_t now_ms);

/* engine_table.c: sockets, tunnels and SAs (main thread, write-locked) */
struct engine_sa *engine_sa_in_lookup(struct engine *e, uint32_t spi);
struct engine_sa *engine_sa_find(struct engine *e, uint32_t spi, bool inbound);
int engine_sa_install(struct engine *e, const struct esp_sa_params *p);
int engine_sa_delete(struct engine *e, uint32_t spi, bool inbound);
/* Re-reads the path MTU toward the SA's peer (after EMSGSIZE); any thread. */
void engine_sa_refresh_mtu(struct engine_sa *sa);
int engine_sock_attach(struct engine *e, const struct engine_addr *a, int fd);
int engine_tun_attach(struct engine *e, const struct engine_attach_tun *t, int fd);
int engine_tun_detach(struct engine *e, const char *name);
void engine_table_free(struct engine *e);
/* Stats of every SA and the drop totals; caller frees the arrays. */
int engine_table_stats(struct engine *e, struct engine_from *m);

/* engine_worker.c */
int engine_workers_start(struct engine *e, unsigned n);
/* Stops and joins the threads (their bases stay for engine_table_free's event_free). */
void engine_workers_stop(struct engine *e);
void engine_workers_free(struct engine *e);
/* Has worker w poll the socket or TUN queue; waits until it does. */
void engine_worker_add(struct engine *e, unsigned w, struct engine_sock *s, struct engine_tunq *q);
void engine_worker_del(struct engine *e, unsigned w, struct engine_sock *s, struct engine_tunq *q);
/*
 * Called between rounds of a long batch: moves w's tick when half a heartbeat period went by
 * and, on worker 0, sends a heartbeat that is due, so they keep their period whatever the
 * load. Returns true when w has used its time budget for this wakeup (the caller stops and
 * lets the loop serve its other events; the fd stays readable).
 */
bool engine_worker_pulse(struct engine_worker *w, uint64_t start_us);

/* Counts a drop on w and logs it, rate-limited, with the SA and peer when known. */
void engine_drop(struct engine_worker *w, unsigned reason, const struct engine_sa *sa, uint32_t spi,
                 const struct sockaddr_storage *peer);

/* engine_out.c: clear packets from a TUN queue to ESP on a socket */
void engine_out_readable(struct engine_worker *w, struct engine_tunq *q);
/* engine_in.c: datagrams on a socket to IKE (channel) or clear packets (TUN) */
void engine_in_readable(struct engine_worker *w, struct engine_sock *s);
/* engine_io.c: per-worker buffers */
struct engine_io *engine_io_new(void);
void engine_io_free(struct engine_io *io);
/* SA events (leases, replay reports, lifetimes) after a batch touched the SA */
void engine_sa_events(struct engine *e, struct engine_sa *sa);

#endif
