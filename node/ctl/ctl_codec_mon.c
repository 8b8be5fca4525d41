/* SPDX-License-Identifier: MIT */
/* Monitoring (proto/ctl.proto 60-69): Event and ShowRedundancy responses. */
#include "ctl_codec_mon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node/ctl/ctl_int.h"

int
ctl_encode_event(const struct ctl_event *ev, uint64_t dropped, struct buf *out)
{
	Tandem__Ctl__V1__Event e;
	Tandem__Ctl__V1__Response r;

	tandem__ctl__v1__event__init(&e);
	e.has_seq = e.has_at_unix_ms = e.has_duration_ms = e.has_dropped = true;
	e.seq = ev->seq;
	e.at_unix_ms = ev->at_unix_ms;
	e.kind = CTL_STR(ev->kind);
	e.subject = CTL_STR(ev->subject);
	e.state = CTL_STR(ev->state);
	e.reason = CTL_STR(ev->reason);
	e.detail = CTL_STR(ev->detail);
	e.duration_ms = ev->duration_ms;
	e.dropped = dropped;
	ctl_response_init(&r);
	r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_EVENT;
	r.event = &e;
	return ctl_put_response(&r, out);
}

static void
route_fill(Tandem__Ctl__V1__Route *o, const struct ctl_route *s)
{
	tandem__ctl__v1__route__init(o);
	o->prefix = CTL_STR(s->prefix);
	o->interface = CTL_STR(s->interface);
	o->context = CTL_STR(s->context);
	o->nexthop = CTL_STR(s->nexthop);
	o->tunnel = CTL_STR(s->tunnel);
	o->device = CTL_STR(s->device);
	o->group = CTL_STR(s->group);
	o->has_metric = o->has_managed = o->has_installed = o->has_carrier = true;
	o->metric = s->metric;
	o->managed = s->managed;
	o->installed = s->installed;
	o->carrier = s->carrier;
	o->reason = CTL_STR(s->reason);
	o->has_changed_unix = true;
	o->changed_unix = s->changed_unix;
}

int
ctl_encode_show_redundancy(bool active, const struct ctl_redundancy *p, size_t n, struct buf *out)
{
	Tandem__Ctl__V1__RedundancyPrefix *pv = calloc(n + 1, sizeof(*pv));
	Tandem__Ctl__V1__RedundancyPrefix **pp = calloc(n + 1, sizeof(*pp));
	Tandem__Ctl__V1__Route **rp = NULL, *rv = NULL;
	Tandem__Ctl__V1__ShowRedundancy sr;
	Tandem__Ctl__V1__Response r;
	size_t nr = 0, k = 0;
	int rc = -ENOMEM;

	for (size_t i = 0; i < n; i++)
		nr += p[i].nroutes;
	rv = calloc(nr + 1, sizeof(*rv));
	rp = calloc(nr + 1, sizeof(*rp));
	if (!pv || !pp || !rv || !rp)
		goto out;
	for (size_t i = 0; i < n; i++) {
		Tandem__Ctl__V1__RedundancyPrefix *o = &pv[i];

		tandem__ctl__v1__redundancy_prefix__init(o);
		o->prefix = CTL_STR(p[i].prefix);
		o->preferred = CTL_STR(p[i].preferred);
		o->n_backups = p[i].nbackups;
		o->backups = (char **)(uintptr_t)p[i].backups;
		o->carrier = CTL_STR(p[i].carrier);
		o->has_on_backup = o->has_since_unix = true;
		o->on_backup = p[i].carrier[0] && strcmp(p[i].carrier, p[i].preferred) != 0;
		o->since_unix = p[i].since_unix;
		o->last_switch_reason = CTL_STR(p[i].last_switch_reason);
		o->routes = &rp[k];
		o->n_routes = p[i].nroutes;
		for (size_t j = 0; j < p[i].nroutes; j++, k++) {
			route_fill(&rv[k], &p[i].routes[j]);
			rp[k] = &rv[k];
		}
		pp[i] = o;
	}
	tandem__ctl__v1__show_redundancy__init(&sr);
	sr.has_active = true;
	sr.active = active;
	sr.n_prefixes = n;
	sr.prefixes = pp;
	ctl_response_init(&r);
	r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_REDUNDANCY;
	r.redundancy = &sr;
	rc = ctl_put_response(&r, out);
out:
	free(pv);
	free(pp);
	free(rv);
	free(rp);
	return rc;
}
