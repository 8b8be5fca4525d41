/* SPDX-License-Identifier: MIT */
/*
 * tandemd's side of the crypto engines (docs/engine.md): one tandem-engine process per
 * engine group, its channel, its TUN devices and sockets, liveness (channel close and
 * heartbeats), restart with back-off, and the store of installed SAs it reinstalls from.
 * Callers see groups and SAs; processes, file descriptors and protobuf stay inside.
 */
#ifndef TANDEM_NODE_ENG_ENG_SUP_H
#define TANDEM_NODE_ENG_ENG_SUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "node/config/cfg.h"
#include "node/esp/esp_params.h"

struct event_base;
struct eng_sup;

/* Why an engine stopped serving. */
enum eng_down_reason {
	ENG_DOWN_EXITED = 1, /* the process exited or was killed (channel closed) */
	ENG_DOWN_HUNG,       /* no heartbeat for 3 periods */
	ENG_DOWN_PROTOCOL,   /* it sent something undecodable */
	ENG_DOWN_STOPPED,    /* tandemd stopped it (configuration change, shutdown) */
};

/*
 * Events, called from the event loop. A NULL member is not called. `group` is the engine
 * group's name; strings and buffers are borrowed for the duration of the call.
 */
struct eng_sup_events {
	/* the engine serves again (started, sockets/TUNs attached, SAs reinstalled) */
	void (*engine_up)(void *arg, const char *group, unsigned restarts);
	/* it stopped: its tunnels are down; it is being restarted unless reason is STOPPED */
	void (*engine_down)(void *arg, const char *group, enum eng_down_reason reason,
	                    uint64_t detect_ms);
	/* outbound SA asks for more sequence numbers (answer with eng_lease_grant) */
	void (*lease_request)(void *arg, uint32_t spi, uint64_t used, uint64_t limit);
	/* inbound SA accepted sequence numbers up to `highest` */
	void (*replay_report)(void *arg, uint32_t spi, uint64_t highest);
	/* byte lifetime reached: soft (rekey now) or hard (the engine deleted the SA) */
	void (*lifetime)(void *arg, uint32_t spi, bool inbound, bool hard, uint64_t bytes);
	/* an IKE datagram (non-ESP marker stripped) arrived on an engine's 4500 socket */
	void (*ike_packet)(void *arg, const struct sockaddr_storage *src,
	                   const struct sockaddr_storage *dst, const uint8_t *p, size_t len);
};

/*
 * engine_path: the tandem-engine binary. Returns 0 or -errno. Nothing starts until
 * eng_sup_apply.
 */
int eng_sup_new(struct event_base *base, const char *engine_path, const struct eng_sup_events *ev,
                void *arg, struct eng_sup **out);
void eng_sup_free(struct eng_sup *sup);
/*
 * Keeps the sequence state of manual-key SAs in DIR/manual-seq (loaded now, written as it
 * changes): a manual SA's keys survive a tandemd restart, so its numbering must too. Outbound
 * SAs restart at the last lease limit granted (written and synced before the grant reaches
 * the engine), inbound windows at the last reported number + the report step (written at
 * most once a second). Returns 0, or -errno when the file exists but cannot be read (logged).
 */
int eng_sup_set_state_dir(struct eng_sup *sup, const char *dir);
/* The engine binary given to eng_sup_new (borrowed). */
const char *eng_sup_engine_path(const struct eng_sup *sup);

/*
 * Brings the engines in line with a configuration: starts one per engine group that serves
 * a tunnel, stops the ones no longer needed, creates/removes TUN devices (with addresses
 * and links up) and UDP 4500 sockets for the tunnels' local addresses. Callable again on
 * reload. Returns 0 or -errno (logged).
 */
int eng_sup_apply(struct eng_sup *sup, const struct cfg *cfg);

/*
 * The UDP socket bound to local:4500 for IKE sends (tandemd's copy), or -1 if none. The
 * caller must not close it.
 */
int eng_sup_natt_fd(const struct eng_sup *sup, const struct sockaddr_storage *local);

/*
 * Installs one direction of an SA in the engine of its tunnel's group and keeps a copy
 * (keys included) to reinstall after a restart. Replaces an SA with the same SPI and
 * direction. Returns 0, -ENOENT (tunnel unknown or not served by an engine), -ENOMEM.
 */
int eng_sa_install(struct eng_sup *sup, const struct esp_sa_params *p);
int eng_sa_delete(struct eng_sup *sup, uint32_t spi, bool inbound);
/* Grants an outbound SA sequence numbers below `limit`. */
int eng_lease_grant(struct eng_sup *sup, uint32_t spi, uint64_t limit);

/* Whether the group's engine currently serves (false while down or restarting). */
bool eng_group_up(const struct eng_sup *sup, const char *group);

/* Counters for hactl: per SA and drops by reason, as last reported by the engines. */
struct eng_sa_stats {
	uint32_t spi;
	bool inbound;
	char tunnel[CFG_NAME_MAX];
	uint64_t packets, bytes, seq, lease_limit;
};
struct eng_group_stats {
	char group[CFG_NAME_MAX];
	bool up;
	int pid;
	unsigned restarts;
	uint64_t last_down_ms; /* detection time of the last failure */
	/* added with the implementation: */
	const char *state;                /* "starting", "up", "down", "restarting", "stopped" */
	enum eng_down_reason last_reason; /* 0 when it never failed */
	int64_t last_down_unix;           /* when the last failure was detected, 0 if never */
	uint64_t uptime_ms;               /* of the running engine, 0 unless up */
	unsigned failures_in_row;         /* drives the restart back-off */
	uint64_t next_restart_ms;         /* in how long the next start comes (restarting) */
	uint64_t heartbeats;              /* received from the running engine */
	uint64_t packets_in, packets_out; /* from its last heartbeat */
	unsigned ntunnels;                /* tunnels the group serves */
	const char *tunnels;              /* "NAME (IFNAME), ..." */
};
/*
 * Calls group_fn for each group, followed by sa_fn for each SA of that group and drop_fn for
 * each of its drop reasons (counts since tandemd started, across engine restarts; reason
 * "no_engine" counts ESP tandemd received while the group had no engine). fn's strings are
 * borrowed.
 */
void eng_sup_walk(const struct eng_sup *sup,
                  void (*group_fn)(void *arg, const struct eng_group_stats *g),
                  void (*sa_fn)(void *arg, const struct eng_sa_stats *s),
                  void (*drop_fn)(void *arg, const char *reason, uint64_t count), void *arg);

/*
 * One SA's traffic as eng_sup_walk would report it (counts across engine restarts): false when
 * no engine group holds an SA with this SPI and direction. O(1).
 */
bool eng_sa_counters(const struct eng_sup *sup, uint32_t spi, bool inbound, uint64_t *packets,
                     uint64_t *bytes);

/* "exited", "hung", "protocol", "stopped". */
const char *eng_down_reason_name(enum eng_down_reason r);

/*
 * Liveness and restart timing. The defaults are docs/engine.md's: heartbeat 20 ms, 3 missed
 * beats (plus a grace of one period, see below) = hung, 2 s to start, restart back-off 0 then
 * 100 ms doubling up to 5 s, reset after 10 s of health, stats every 1 s. Tests shorten some.
 */
struct eng_sup_timing {
	uint32_t heartbeat_ms;
	uint32_t missed_beats;
	/*
	 * Added to missed_beats periods before a silent engine counts as hung. The engine sends
	 * heartbeats from its packet loop, between batches: under full load on 2 cores the gap
	 * between two heartbeats was measured up to 73 ms with a 20 ms period, so 60 ms alone
	 * killed healthy engines. Default 20 ms: hung after 80 ms, detected within 100 ms.
	 */
	uint32_t grace_ms;
	uint32_t start_timeout_ms; /* spawn until Ready and the start-up requests acknowledged */
	uint32_t backoff_first_ms; /* the second restart in a row waits this long */
	uint32_t backoff_max_ms;
	uint32_t healthy_ms; /* an engine up this long resets the back-off */
	uint32_t stats_ms;   /* QueryStats period; 0 = never */
	/*
	 * Nice value of the engine processes (-20..19; default -10): the data plane, and with it
	 * the heartbeats that prove it alive, must not starve behind ordinary processes when the
	 * CPUs are busy. Needs CAP_SYS_NICE; without it the engine runs at tandemd's priority.
	 */
	int engine_nice;
};
void eng_sup_timing_default(struct eng_sup_timing *t);
/* Takes effect for engines started afterwards (and for the back-off at once). */
void eng_sup_set_timing(struct eng_sup *sup, const struct eng_sup_timing *t);

/*
 * How TUN devices are opened: `queues` descriptors per device (IFF_MULTI_QUEUE when more than
 * one, at most 16; 0 = one per packet worker of the group, i.e. its asp-count), each passed in
 * its own AttachTun, and whether with IFF_VNET_HDR (the engine then gets offloads: TSO
 * super-packets, partial checksums). Default: 0 and true, as docs/engine.md asks. Takes effect
 * for devices created afterwards.
 */
void eng_sup_set_tun(struct eng_sup *sup, unsigned queues, bool vnet_hdr);

/*
 * The Linux name of the TUN device of interface `ifname` in context `ctx`: the interface's
 * own name when it is a valid Linux interface name (at most 15 bytes, no '/', ':' or blank),
 * otherwise "tdm" + 8 hex digits of the FNV-1a hash of "CTX/IFNAME". out has room for 16.
 * (A valid name already taken by an earlier tunnel interface also gets the hashed name.)
 */
void eng_tun_name(const char *ctx, const char *ifname, char out[16]);

#endif
