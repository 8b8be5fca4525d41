/* SPDX-License-Identifier: MIT */
/*
 * hactl's HA data-plane commands: `show routes` (routes by cost, which tunnel carries each
 * prefix, and the virtual addresses this node holds; docs/ha.md).
 */
#include <stdio.h>
#include <string.h>

#include "ha/hactl/hactl_int.h"

static const char *
hactl_s(const char *s)
{
	return s && *s ? s : "-";
}

static void
hactl_render_route(const Tandem__Ctl__V1__Route *r, struct buf *b)
{
	buf_printf(b, "  %-20s %-10s %6u  ", hactl_s(r->prefix),
	           r->interface && *r->interface ? r->interface : hactl_s(r->nexthop), r->metric);
	if (!r->managed) {
		buf_printf(b, "%-10s %-10s %-9s %s\n", "-", "-", "static", hactl_s(r->reason));
		return;
	}
	buf_printf(b, "%-10s %-10s %-9s ", hactl_s(r->tunnel), hactl_s(r->device),
	           r->installed ? "installed" : "withdrawn");
	if (r->carrier)
		buf_put_str(b, "carries the prefix");
	else if (r->installed)
		buf_put_str(b, "backup");
	else
		buf_put_str(b, hactl_s(r->reason));
	if (r->changed_unix) {
		buf_put_str(b, " (since ");
		hactl_fmt_time(b, r->changed_unix);
		buf_put_str(b, ")");
	}
	buf_put_u8(b, '\n');
}

static void
hactl_render_show_routes(const Tandem__Ctl__V1__Response *resp, struct buf *b)
{
	const Tandem__Ctl__V1__ShowRoutes *sr = resp->routes;

	buf_printf(b, "role: %s\n", sr->active ? "active" : "standby");
	if (sr->n_vips) {
		buf_put_str(b, "virtual addresses:\n");
		for (size_t i = 0; i < sr->n_vips; i++) {
			const Tandem__Ctl__V1__VirtualAddress *v = sr->vips[i];

			buf_printf(b, "  %-24s on %-10s %s%s%s\n", hactl_s(v->address),
			           hactl_s(v->interface), v->held ? "held" : "not held",
			           v->error && *v->error ? ": " : "", v->error ? v->error : "");
		}
	}
	if (sr->n_routes == 0) {
		buf_put_str(b, "no routes configured\n");
		return;
	}
	buf_printf(b, "routes:\n  %-20s %-10s %6s  %-10s %-10s %-9s %s\n", "prefix", "via",
	           "metric", "tunnel", "device", "state", "now");
	for (size_t i = 0; i < sr->n_routes; i++)
		hactl_render_route(sr->routes[i], b);
}

int
hactl_cmd_show_routes(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ShowRoutesRequest sr;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "hactl: usage: show routes\n");
		return HACTL_EXIT_USAGE;
	}
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__show_routes_request__init(&sr);
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_ROUTES;
	req.show_routes = &sr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_ROUTES,
	                 hactl_render_show_routes);
}
