/* SPDX-License-Identifier: MIT */
/* `hactl show routes` (proto/ctl.proto 50-59): domain structs into a ShowRoutes response. */
#include "ctl_codec_ha.h"

#include <errno.h>
#include <stdlib.h>

#include "node/ctl/ctl_int.h"

int
ctl_encode_show_routes(bool active, const struct ctl_route *routes, size_t nroutes,
                       const struct ctl_vip *vips, size_t nvips, struct buf *out)
{
	Tandem__Ctl__V1__Route *rv = calloc(nroutes + 1, sizeof(*rv));
	Tandem__Ctl__V1__Route **rp = calloc(nroutes + 1, sizeof(*rp));
	Tandem__Ctl__V1__VirtualAddress *vv = calloc(nvips + 1, sizeof(*vv));
	Tandem__Ctl__V1__VirtualAddress **vp = calloc(nvips + 1, sizeof(*vp));
	Tandem__Ctl__V1__ShowRoutes sr;
	Tandem__Ctl__V1__Response r;
	int rc = -ENOMEM;

	if (!rv || !rp || !vv || !vp)
		goto out;
	for (size_t i = 0; i < nroutes; i++) {
		const struct ctl_route *s = &routes[i];
		Tandem__Ctl__V1__Route *o = &rv[i];

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
		rp[i] = o;
	}
	for (size_t i = 0; i < nvips; i++) {
		Tandem__Ctl__V1__VirtualAddress *o = &vv[i];

		tandem__ctl__v1__virtual_address__init(o);
		o->address = CTL_STR(vips[i].address);
		o->interface = CTL_STR(vips[i].interface);
		o->has_held = true;
		o->held = vips[i].held;
		o->error = CTL_STR(vips[i].error);
		vp[i] = o;
	}
	tandem__ctl__v1__show_routes__init(&sr);
	sr.has_active = true;
	sr.active = active;
	sr.n_routes = nroutes;
	sr.routes = rp;
	sr.n_vips = nvips;
	sr.vips = vp;
	ctl_response_init(&r);
	r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_ROUTES;
	r.routes = &sr;
	rc = ctl_put_response(&r, out);
out:
	free(rv);
	free(rp);
	free(vv);
	free(vp);
	return rc;
}
