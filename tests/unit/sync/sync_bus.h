/* SPDX-License-Identifier: MIT */
/*
 * An in-process, totally ordered stand-in for a corosync CPG group: nodes (each a struct
 * sync) send into one queue; every message and every membership change is delivered to all
 * members in the same order, as CPG's agreed ordering does. A crashed node's undelivered
 * messages are lost (delivered to none), like a member leaving before its message was ordered.
 * Quorum: a membership of at least `quorum` nodes is quorate, told to each member after the
 * view, like libquorum's callback. Used by the unit tests and the resync benchmark.
 */
#ifndef TANDEM_TESTS_SYNC_BUS_H
#define TANDEM_TESTS_SYNC_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/sync.h"

#define BUS_MAX_NODES 8

struct bus;

struct bus_node {
	struct bus *bus;
	struct sync *s;
	uint32_t id, pid;
	bool member;
	/* what the host callbacks saw */
	uint64_t safe;      /* last commit_safe */
	uint32_t lease_spi; /* last lease_granted */
	uint64_t lease_limit;
	size_t leases;     /* lease_granted calls */
	enum ha_role role; /* last role_changed */
	size_t role_calls;
	size_t queued_bytes; /* in the bus queue, not delivered */
};

struct bus {
	struct bus_node n[BUS_MAX_NODES];
	size_t nn;
	unsigned quorum;
	uint64_t now_ms;
	uint64_t ring_seq;
	struct bus_item *head, *tail;
	size_t queued;
	uint64_t delivered_msgs, delivered_bytes;
};

/* A bus whose views are quorate with at least `quorum` members. */
void bus_init(struct bus *b, unsigned quorum);
void bus_fini(struct bus *b);
/* Adds node `id` (not joined yet); opts may be NULL for defaults. Returns it. */
struct bus_node *bus_add(struct bus *b, uint32_t id, uint8_t priority,
                         const struct sync_opts *opts);
/* The node joins the group (its connection comes up, a view with it is queued). */
void bus_join(struct bus_node *n);
/* The node's process dies: its undelivered messages are lost, the others see it leave. */
void bus_crash(struct bus_node *n);
/* The node's corosync goes away and comes back (sync_link down, rejoin). */
void bus_relink(struct bus_node *n);
/* Delivers one queued item; false if the queue was empty. Ticks every node after it. */
bool bus_step(struct bus *b);
/* Delivers until the queue is empty (ticking nodes, advancing the clock by 1 ms per item);
 * returns the number of items. */
size_t bus_run(struct bus *b);
/* Advances the clock and ticks every node. */
void bus_advance(struct bus *b, uint64_t ms);
/* Injects raw bytes as if `from` (node id, pid) had sent them. */
void bus_inject(struct bus *b, uint32_t from, uint32_t pid, const uint8_t *p, size_t len);

#endif
