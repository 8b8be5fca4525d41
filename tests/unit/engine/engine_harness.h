/* SPDX-License-Identifier: MIT */
/*
 * Playing tandemd's part against a real tandem-engine process: spawning it with the channel
 * on fd 3, sending ToEngine messages (with a file descriptor), waiting for FromEngine ones,
 * and the network plumbing of a test (a private network namespace, a TUN device with an
 * address, UDP sockets on loopback). Used by test_engine and the engine_lab tool.
 */
#ifndef TANDEM_TESTS_UNIT_ENGINE_ENGINE_HARNESS_H
#define TANDEM_TESTS_UNIT_ENGINE_ENGINE_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "node/engine/engine_msg.h"

struct eh_engine {
	pid_t pid;
	int chan;
	uint64_t next_req;
	unsigned heartbeats; /* seen while waiting for other messages */
	uint64_t last_hb_seq;
};

/* Starts path with the channel as fd 3 (extra args may be NULL-terminated). 0 or -errno. */
int eh_spawn(struct eh_engine *e, const char *path, const char *const *extra);
/* SIGKILL (if kill) or waits for exit; returns the exit status (-1 if killed). */
int eh_stop(struct eh_engine *e, bool kill);

/* Sends m (req assigned if m->req == 0 and want_req) with fd (or -1). Returns the req. */
uint64_t eh_send(struct eh_engine *e, struct engine_to *m, int fd);
/*
 * Waits up to timeout_ms for a message of type t (any type if t == ENGINE_FROM_NONE) and
 * req (0: any); other messages are counted (heartbeats) or passed to `other` if not NULL.
 * Returns 0 or -ETIMEDOUT / -EPIPE (channel closed).
 */
int eh_wait(struct eh_engine *e, enum engine_from_type t, uint64_t req, int timeout_ms,
            struct engine_from *out);
/* eh_send then wait for its Ack; returns the Ack's error (or -ETIMEDOUT). */
int eh_request(struct eh_engine *e, struct engine_to *m, int fd);
/* Hello with the given heartbeat, refill %, report step and workers; waits for Ready. */
int eh_hello(struct eh_engine *e, uint32_t hb_ms, uint32_t refill, uint32_t report,
             uint32_t workers);

/* True when the process may create network namespaces and TUN devices. */
bool eh_can_tun(void);
/* Moves the calling process into a new network namespace with lo up. 0 or -errno. */
int eh_netns(void);
/* Creates TUN device name (IFF_TUN|IFF_NO_PI [|IFF_VNET_HDR]) with addr/prefix, up. fd. */
int eh_tun(const char *name, const char *addr, unsigned prefix, unsigned mtu, bool vnet);
/* The same with IFF_MULTI_QUEUE when mq: each call adds a queue (address set again). */
int eh_tun_mq(const char *name, const char *addr, unsigned prefix, unsigned mtu, bool vnet,
              bool mq);
/* A UDP socket bound to addr:port (port 0: any); *port_out the port. fd or -errno. */
int eh_udp(int family, const char *addr, uint16_t port, uint16_t *port_out);

#endif
