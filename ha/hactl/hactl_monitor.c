/* SPDX-License-Identifier: MIT */
/*
 * hactl's monitoring commands (docs/monitoring.md): `monitor`, the live event stream over the
 * control socket (one line per event, or one JSON object per event with --json), and `show
 * redundancy`, per protected prefix its preferred and backup tunnels and which carries it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ha/hactl/hactl_conn.h"
#include "ha/hactl/hactl_int.h"
#include "ha/hactl/hactl_json.h"
#include "node/core/clk.h"
#include "node/ctl/ctl_codec.h"

static const char *
hactl_s(const char *s)
{
	return s && *s ? s : "-";
}

/* ---- monitor ----------------------------------------------------------------------------- */

static void
hactl_render_event(const Tandem__Ctl__V1__Event *e, struct buf *b)
{
	time_t t = (time_t)(e->at_unix_ms / 1000);
	struct tm tm;
	char ts[32] = "";

	if (e->at_unix_ms && localtime_r(&t, &tm))
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	buf_printf(b, "%s.%03d  %-8s %s %s", ts, (int)(e->at_unix_ms % 1000), hactl_s(e->kind),
	           hactl_s(e->subject), hactl_s(e->state));
	if (strcmp(e->kind ? e->kind : "", "failover") == 0)
		buf_printf(b, " in %llu ms", (unsigned long long)e->duration_ms);
	if (e->detail && *e->detail)
		buf_printf(b, " (%s)", e->detail);
	if (e->reason && *e->reason)
		buf_printf(b, ": %s", e->reason);
	if (e->dropped)
		buf_printf(b, " [%llu earlier events dropped: this client read too slowly]",
		           (unsigned long long)e->dropped);
	buf_put_u8(b, '\n');
}

/* Prints one Response of the stream. Returns 0, 1 when it counted as an event, or an exit. */
static int
hactl_monitor_frame(const struct hactl_ctx *ctx, const uint8_t *p, size_t len)
{
	Tandem__Ctl__V1__Response *r = tandem__ctl__v1__response__unpack(NULL, len, p);
	struct buf b;
	int rc = 1;

	if (!r) {
		fprintf(stderr, "hactl: undecodable event from tandemd\n");
		return -HACTL_EXIT_PROTOCOL;
	}
	if (r->has_error && r->error) {
		fprintf(stderr, "hactl: tandemd: %s\n", hactl_s(r->message));
		tandem__ctl__v1__response__free_unpacked(r, NULL);
		return -HACTL_EXIT_FAILED;
	}
	if (r->body_case != TANDEM__CTL__V1__RESPONSE__BODY_EVENT) {
		tandem__ctl__v1__response__free_unpacked(r, NULL);
		return 0;
	}
	if (strcmp(r->event->kind ? r->event->kind : "", "subscribed") == 0)
		rc = 0;
	buf_init(&b, false);
	if (ctx->json) {
		hactl_json_message(&b, &r->event->base, 0);
		buf_put_u8(&b, '\n');
	} else if (rc) {
		hactl_render_event(r->event, &b);
	}
	fwrite(b.b_data, 1, b.b_len, stdout);
	fflush(stdout);
	buf_fini(&b);
	tandem__ctl__v1__response__free_unpacked(r, NULL);
	return rc;
}

int
hactl_cmd_monitor(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__MonitorRequest mr;
	unsigned long count = 0, secs = 0, seen = 0;
	struct buf out, in;
	uint64_t deadline;
	int fd, rc = HACTL_EXIT_OK;

	for (int i = 0; i < argc; i += 2) {
		char *end = NULL;
		unsigned long v = i + 1 < argc ? strtoul(argv[i + 1], &end, 10) : 0;

		if (i + 1 >= argc || !end || *end || v == 0 ||
		    (strcmp(argv[i], "count") != 0 && strcmp(argv[i], "for") != 0)) {
			fprintf(stderr, "hactl: usage: monitor [count N] [for SECONDS]\n");
			return HACTL_EXIT_USAGE;
		}
		*(strcmp(argv[i], "count") == 0 ? &count : &secs) = v;
	}
	fd = hactl_connect(ctx->ctl_path);
	if (fd < 0)
		return hactl_connect_error(ctx->ctl_path, -fd);
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__monitor_request__init(&mr);
	req.has_version = true;
	req.version = HACTL_PROTO_VERSION;
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_MONITOR;
	req.monitor = &mr;
	buf_init(&out, false);
	buf_init(&in, false);
	{
		size_t n = tandem__ctl__v1__request__get_packed_size(&req);
		uint8_t *p = malloc(n ? n : 1);

		if (!p || ctl_frame_put(&out, p, tandem__ctl__v1__request__pack(&req, p)) < 0 ||
		    send(fd, out.b_data, out.b_len, MSG_NOSIGNAL) != (ssize_t)out.b_len) {
			fprintf(stderr, "hactl: cannot send the monitor request\n");
			rc = HACTL_EXIT_PROTOCOL;
		}
		free(p);
	}
	deadline = secs ? clk_mono_ms() + secs * 1000 : 0;
	while (rc == HACTL_EXIT_OK && (!count || seen < count)) {
		uint8_t chunk[16384];
		size_t frame_len;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int wait = -1, n;
		ssize_t got;

		while (ctl_frame_check(in.b_data, in.b_len, &frame_len) == 0) {
			int k = hactl_monitor_frame(ctx, in.b_data + CTL_FRAME_HDR_LEN,
			                            frame_len - CTL_FRAME_HDR_LEN);

			if (k < 0) {
				rc = -k;
				break;
			}
			seen += (unsigned long)k;
			memmove(in.b_data, in.b_data + frame_len, in.b_len - frame_len);
			in.b_len -= frame_len;
			if (count && seen >= count)
				break;
		}
		if (rc != HACTL_EXIT_OK || (count && seen >= count))
			break;
		if (deadline) {
			uint64_t now = clk_mono_ms();

			if (now >= deadline)
				break;
			wait = (int)(deadline - now);
		}
		n = poll(&pfd, 1, wait);
		if (n < 0 && errno != EINTR) {
			rc = HACTL_EXIT_PROTOCOL;
		} else if (n > 0) {
			got = recv(fd, chunk, sizeof(chunk), 0);
			if (got == 0) {
				fprintf(stderr, "hactl: tandemd closed the event stream\n");
				rc = HACTL_EXIT_PROTOCOL;
			} else if (got < 0 && errno != EINTR && errno != EAGAIN) {
				rc = HACTL_EXIT_PROTOCOL;
			} else if (got > 0 && !buf_put(&in, chunk, (size_t)got)) {
				rc = HACTL_EXIT_PROTOCOL;
			}
		}
	}
	buf_fini(&out);
	buf_fini(&in);
	close(fd);
	return rc;
}

/* ---- show redundancy --------------------------------------------------------------------- */

static void
hactl_render_redundancy(const Tandem__Ctl__V1__Response *resp, struct buf *b)
{
	const Tandem__Ctl__V1__ShowRedundancy *sr = resp->redundancy;

	buf_printf(b, "role: %s%s\n", sr->active ? "active" : "standby",
	           sr->active ? "" : " (a standby routes nothing: every prefix shows no carrier)");
	if (sr->n_prefixes == 0) {
		buf_put_str(b,
		            "no protected prefixes (no routes by cost over tunnel interfaces)\n");
		return;
	}
	for (size_t i = 0; i < sr->n_prefixes; i++) {
		const Tandem__Ctl__V1__RedundancyPrefix *p = sr->prefixes[i];

		buf_printf(b, "%s\n  preferred  %s\n  backup     ", hactl_s(p->prefix),
		           hactl_s(p->preferred));
		for (size_t j = 0; j < p->n_backups; j++)
			buf_printf(b, "%s%s", j ? ", " : "", p->backups[j]);
		if (!p->n_backups)
			buf_put_str(b, "- (no backup: a single point of failure)");
		buf_printf(b, "\n  carried by %s",
		           p->carrier && *p->carrier ? p->carrier : "nothing");
		if (p->carrier && *p->carrier)
			buf_put_str(b, p->on_backup ? " (backup)" : " (preferred)");
		if (p->since_unix) {
			buf_put_str(b, " since ");
			hactl_fmt_time(b, p->since_unix);
		}
		buf_printf(b, "\n  last switch: %s\n",
		           p->last_switch_reason && *p->last_switch_reason
		                   ? p->last_switch_reason
		                   : "none since tandemd started");
		for (size_t j = 0; j < p->n_routes; j++) {
			const Tandem__Ctl__V1__Route *r = p->routes[j];

			buf_printf(b, "    %-10s cost %-5u %-9s %s\n", hactl_s(r->tunnel),
			           r->metric, r->installed ? "installed" : "withdrawn",
			           r->carrier     ? "carries the traffic"
			           : r->installed ? "ready"
			                          : hactl_s(r->reason));
		}
	}
}

int
hactl_cmd_show_redundancy(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ShowRedundancyRequest sr;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "hactl: usage: show redundancy\n");
		return HACTL_EXIT_USAGE;
	}
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__show_redundancy_request__init(&sr);
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_REDUNDANCY;
	req.show_redundancy = &sr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_REDUNDANCY,
	                 hactl_render_redundancy);
}
