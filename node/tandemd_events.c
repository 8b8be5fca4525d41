/* SPDX-License-Identifier: MIT */
/* tandemd's event stream (tandemd_events.h): log line, control-socket subscribers, counters. */
#define LOG_SUBSYS "event"
#include "tandemd_events.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "node/core/log.h"
#include "node/ctl/ctl_server.h"
#include "node/tandemd_int.h"

static const char *const ev_kind_names[TEV_KIND_COUNT] = {
        [TEV_TUNNEL] = "tunnel",     [TEV_ROUTE] = "route", [TEV_IKE_SA] = "ike-sa",
        [TEV_CHILD_SA] = "child-sa", [TEV_ROLE] = "role",   [TEV_FAILOVER] = "failover",
        [TEV_ENGINE] = "engine",
};
static const char *const ev_failover_names[TANDEMD_FAILOVER_CLASSES] = {
        "active_left",
        "switchover",
        "other",
};

const char *
tandemd_ev_kind_name(enum tandemd_ev_kind k)
{
	return (unsigned)k < TEV_KIND_COUNT ? ev_kind_names[k] : "?";
}

uint64_t
tandemd_events_count(const struct tandemd *d, enum tandemd_ev_kind k)
{
	return (unsigned)k < TEV_KIND_COUNT ? d->ev.kinds[k] : 0;
}

const char *
tandemd_failover_class_name(unsigned i)
{
	return i < TANDEMD_FAILOVER_CLASSES ? ev_failover_names[i] : "?";
}

uint64_t
tandemd_failovers(const struct tandemd *d, unsigned i)
{
	return i < TANDEMD_FAILOVER_CLASSES ? d->ev.failovers[i] : 0;
}

unsigned
tandemd_failover_classify(const char *why)
{
	if (!why)
		return 2;
	if (strstr(why, "left the group"))
		return 0;
	if (strstr(why, "switchover") || strstr(why, "handed over") || strstr(why, "handover"))
		return 1;
	return 2;
}

void
tandemd_event(struct tandemd *d, enum tandemd_ev_kind kind, const char *subject, const char *state,
              const char *detail, uint64_t duration_ms, const char *reason_fmt, ...)
{
	struct ctl_event ev;
	struct timespec now;
	char took[40] = "";
	va_list ap;

	if (!d || (unsigned)kind >= TEV_KIND_COUNT)
		return;
	memset(&ev, 0, sizeof(ev));
	clock_gettime(CLOCK_REALTIME, &now);
	ev.seq = ++d->ev.seq;
	ev.at_unix_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	snprintf(ev.kind, sizeof(ev.kind), "%s", ev_kind_names[kind]);
	snprintf(ev.subject, sizeof(ev.subject), "%s", subject ? subject : "");
	snprintf(ev.state, sizeof(ev.state), "%s", state ? state : "");
	snprintf(ev.detail, sizeof(ev.detail), "%s", detail ? detail : "");
	va_start(ap, reason_fmt);
	vsnprintf(ev.reason, sizeof(ev.reason), reason_fmt, ap);
	va_end(ap);
	ev.duration_ms = duration_ms;
	d->ev.kinds[kind]++;
	for (unsigned i = 0; kind == TEV_FAILOVER && i < TANDEMD_FAILOVER_CLASSES; i++)
		if (strcmp(ev.state, ev_failover_names[i]) == 0) /* state is the class */
			d->ev.failovers[i]++;
	if (kind == TEV_FAILOVER)
		snprintf(took, sizeof(took), " in %llu ms", (unsigned long long)duration_ms);
	log_info("event: %s %s %s%s%s%s%s%s%s", ev.kind, ev.subject, ev.state, took,
	         ev.detail[0] ? " (" : "", ev.detail, ev.detail[0] ? ")" : "",
	         ev.reason[0] ? ": " : "", ev.reason);
	ctl_server_publish(d->ctl, &ev);
}
