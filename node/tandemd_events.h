/* SPDX-License-Identifier: MIT */
/*
 * tandemd's event stream (tandemd_events.c, docs/monitoring.md): one call per operational
 * event (tunnel up/down, route moved between preferred and backup, SA established, rekeyed
 * or deleted, role change, failover, engine down/up). Each event is logged as one line
 * ("event: KIND SUBJECT STATE: REASON") and published to the control clients that run
 * `hactl monitor` (bounded queues, drop-oldest: tandemd never waits for a client), and
 * counted for the metrics endpoint.
 */
#ifndef TANDEM_NODE_TANDEMD_EVENTS_H
#define TANDEM_NODE_TANDEMD_EVENTS_H

#include <stdint.h>

struct tandemd;

/* Kinds; their names ("tunnel", "route", ...) are the `kind` of the Event message. */
enum tandemd_ev_kind {
	TEV_TUNNEL = 0, /* subject tunnel, state up|down */
	TEV_ROUTE,      /* subject prefix, state preferred|backup|none (which tunnel carries it) */
	TEV_IKE_SA,     /* subject tunnel, state established|rekeyed|deleted */
	TEV_CHILD_SA,   /* subject tunnel, state established|rekeyed|deleted */
	TEV_ROLE,       /* subject node, state the new role */
	TEV_FAILOVER,   /* subject node, state the failover class, duration_ms the takeover */
	TEV_ENGINE,     /* subject engine group, state up|down */
	TEV_KIND_COUNT,
};

const char *tandemd_ev_kind_name(enum tandemd_ev_kind k);

#define TANDEMD_FAILOVER_CLASSES 3

/* What the daemon counts of its events (a member of struct tandemd). */
struct tandemd_ev_counters {
	uint64_t seq;                                 /* the last event's number */
	uint64_t kinds[TEV_KIND_COUNT];               /* events by kind */
	uint64_t failovers[TANDEMD_FAILOVER_CLASSES]; /* failover events by class */
};

/*
 * Emits one event. detail may be NULL; reason is a printf format. Strings are copied (cut
 * to the Event's limits). Safe to call before the control socket exists (then only logged
 * and counted).
 */
void tandemd_event(struct tandemd *d, enum tandemd_ev_kind kind, const char *subject,
                   const char *state, const char *detail, uint64_t duration_ms,
                   const char *reason_fmt, ...) __attribute__((format(printf, 7, 8)));

/* Events emitted since start, by kind (for the metrics endpoint). */
uint64_t tandemd_events_count(const struct tandemd *d, enum tandemd_ev_kind k);

/*
 * Failovers (this node became active while another node had been, or by switchover) by
 * class: "active_left", "switchover", "other". The last takeover's time is kept by the
 * replication host (tandemd_sync.c).
 */
const char *tandemd_failover_class_name(unsigned i);
uint64_t tandemd_failovers(const struct tandemd *d, unsigned i);
/* Classifies a role layer's `why` into one of the classes above (its index). */
unsigned tandemd_failover_classify(const char *why);

#endif
