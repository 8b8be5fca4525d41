/* SPDX-License-Identifier: MIT */
/*
 * The election of the active node: eligibility (membership, quorum, a complete store, healthy
 * engines, the same configuration) and the choice among the eligible (stay with the current
 * active unless preemption is configured; otherwise highest priority, lowest id).
 */
#include "ha_role.h"

#include <string.h>

const char *
ha_why_str(enum ha_why w)
{
	switch (w) {
	case HA_WHY_OK:
		return "eligible";
	case HA_WHY_NOT_MEMBER:
		return "not in the membership";
	case HA_WHY_NO_QUORUM:
		return "without quorum";
	case HA_WHY_NOT_IN_SYNC:
		return "store not in sync";
	case HA_WHY_ENGINES:
		return "crypto engines down";
	case HA_WHY_DIGEST:
		return "configuration digest differs";
	}
	return "?";
}

const char *
ha_role_str(enum ha_role r)
{
	switch (r) {
	case HA_ROLE_UNKNOWN:
		return "unknown";
	case HA_ROLE_STARTING:
		return "starting";
	case HA_ROLE_STANDBY:
		return "standby";
	case HA_ROLE_ACTIVE:
		return "active";
	case HA_ROLE_FAULTED:
		return "faulted";
	}
	return "?";
}

static const struct ha_node *
ha_find(const struct ha_node *nodes, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (nodes[i].id == id)
			return &nodes[i];
	return NULL;
}

static enum ha_why
ha_eligible(const struct ha_node *x, const struct ha_node *ref)
{
	if (!x->member)
		return HA_WHY_NOT_MEMBER;
	if (!x->quorate)
		return HA_WHY_NO_QUORUM;
	/* the current active is the store: it is in sync by definition */
	if (!x->in_sync && x->role != HA_ROLE_ACTIVE)
		return HA_WHY_NOT_IN_SYNC;
	if (!x->engines_ok)
		return HA_WHY_ENGINES;
	if (ref && memcmp(x->digest, ref->digest, HA_DIGEST_LEN) != 0)
		return HA_WHY_DIGEST;
	return HA_WHY_OK;
}

/* Whether a beats b: higher priority, then lower id. */
static bool
ha_better(const struct ha_node *a, const struct ha_node *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->id < b->id;
}

uint32_t
ha_elect(const struct ha_node *nodes, size_t n, uint32_t reference, bool preempt, enum ha_why *why)
{
	const struct ha_node *ref = ha_find(nodes, n, reference), *best = NULL, *current = NULL;

	for (size_t i = 0; i < n; i++) {
		enum ha_why w = ha_eligible(&nodes[i], ref);

		if (why)
			why[i] = w;
		if (w != HA_WHY_OK)
			continue;
		if (nodes[i].role == HA_ROLE_ACTIVE && (!current || ha_better(&nodes[i], current)))
			current = &nodes[i];
		if (!best || ha_better(&nodes[i], best))
			best = &nodes[i];
	}
	if (current && !preempt)
		return current->id;
	return best ? best->id : 0;
}
