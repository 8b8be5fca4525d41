/* SPDX-License-Identifier: MIT */
/*
 * Which node of a cluster is active: a pure function of what every node knows in the same
 * order (CPG membership, node records, the quorum callback), so all nodes reach the same
 * answer without a further round of messages. docs/ha.md explains the rules.
 */
#ifndef TANDEM_HA_HA_ROLE_H
#define TANDEM_HA_HA_ROLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HA_DIGEST_LEN 32

enum ha_role {
	HA_ROLE_UNKNOWN = 0,
	HA_ROLE_STARTING, /* joined, store not complete yet */
	HA_ROLE_STANDBY,  /* in sync, ready to take over */
	HA_ROLE_ACTIVE,   /* owns the virtual addresses and the SAs */
	HA_ROLE_FAULTED,  /* cannot serve: no quorum, no engine, configuration mismatch */
};

/* One node as the cluster sees it: its latest record plus membership. */
struct ha_node {
	uint32_t id;       /* corosync node id */
	uint8_t priority;  /* 1..255, higher preferred */
	enum ha_role role; /* what it says it is */
	bool member;       /* in the current CPG membership */
	bool quorate;      /* its own quorum view */
	bool in_sync;      /* holds the whole store */
	bool engines_ok;   /* every configured engine group serves */
	uint8_t digest[HA_DIGEST_LEN];
};

/* Why a node cannot be elected; HA_WHY_OK when it can. */
enum ha_why {
	HA_WHY_OK = 0,
	HA_WHY_NOT_MEMBER,
	HA_WHY_NO_QUORUM,
	HA_WHY_NOT_IN_SYNC,
	HA_WHY_ENGINES,
	HA_WHY_DIGEST, /* its configuration differs from the reference node's */
};
const char *ha_why_str(enum ha_why w);
const char *ha_role_str(enum ha_role r);

/*
 * Elects the active node among nodes[0..n). `reference` is the node whose configuration
 * digest the others must match (the current active, or the local node when there is none):
 * nodes with a different digest never take over from each other. The current active (the
 * node whose record says ACTIVE and is still eligible) keeps the role; without `preempt`
 * that holds even when a higher-priority node is eligible (a returning node does not cause
 * a second failover). Otherwise the eligible node with the highest priority wins, the lowest
 * id on a tie. Returns the elected id, or 0 when no node is eligible; why[i] (when why is not
 * NULL, n entries) says why node i was not eligible.
 */
uint32_t ha_elect(const struct ha_node *nodes, size_t n, uint32_t reference, bool preempt,
                  enum ha_why *why);

#endif
