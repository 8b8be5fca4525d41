/* SPDX-License-Identifier: MIT */
/*
 * hactl command implementations: request building, the round trip with clear errors for an
 * unreachable daemon, and the text renderers. The CLI has no domain model of its own, so
 * this file reads the protobuf messages directly (it is hactl's codec file).
 */
#include "hactl_cmds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <protobuf-c/protobuf-c.h>

#include "ctl.pb-c.h"
#include "ha/hactl/hactl_conn.h"
#include "ha/hactl/hactl_int.h"
#include "ha/hactl/hactl_json.h"
#include "node/core/buf.h"

int
hactl_connect_error(const char *path, int err)
{
	switch (err) {
	case ENOENT:
		fprintf(stderr,
		        "hactl: no control socket at %s: is tandemd running? (--ctl PATH "
		        "names another socket)\n",
		        path);
		break;
	case ECONNREFUSED:
		fprintf(stderr,
		        "hactl: nothing listens on %s: tandemd is not running (the socket "
		        "file is left from an earlier run)\n",
		        path);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr,
		        "hactl: permission denied on %s: the control socket is mode 0600; "
		        "run hactl as the user tandemd runs as (root)\n",
		        path);
		break;
	case ENOTSOCK:
		fprintf(stderr,
		        "hactl: %s is not a socket (--ctl PATH names tandemd's control "
		        "socket)\n",
		        path);
		break;
	default:
		fprintf(stderr, "hactl: cannot connect to %s: %s\n", path, strerror(err));
	}
	return HACTL_EXIT_NO_DAEMON;
}

/* Sends req and returns the decoded response in *out (caller frees), or an exit status. */
static int
hactl_call(const struct hactl_ctx *ctx, Tandem__Ctl__V1__Request *req,
           Tandem__Ctl__V1__Response **out)
{
	struct buf tx, rx;
	int fd, rc;

	req->has_version = 1;
	req->version = HACTL_PROTO_VERSION;
	fd = hactl_connect(ctx->ctl_path);
	if (fd < 0)
		return hactl_connect_error(ctx->ctl_path, -fd);
	buf_init(&tx, false);
	buf_init(&rx, false);
	if (!buf_reserve(&tx, tandem__ctl__v1__request__get_packed_size(req))) {
		rc = -ENOMEM;
	} else {
		tandem__ctl__v1__request__pack(req, tx.b_data);
		rc = hactl_roundtrip(fd, tx.b_data, tx.b_len, ctx->timeout_ms, &rx);
	}
	close(fd);
	if (rc == 0) {
		*out = tandem__ctl__v1__response__unpack(NULL, rx.b_len, rx.b_data);
		if (!*out)
			rc = -EPROTO;
	}
	buf_fini(&tx);
	buf_fini(&rx);
	if (rc == -ETIMEDOUT)
		fprintf(stderr, "hactl: tandemd did not answer within %d ms\n", ctx->timeout_ms);
	else if (rc == -ECONNRESET)
		fprintf(stderr, "hactl: tandemd closed the connection without answering\n");
	else if (rc < 0)
		fprintf(stderr, "hactl: bad reply from tandemd: %s\n", strerror(-rc));
	return rc < 0 ? HACTL_EXIT_PROTOCOL : HACTL_EXIT_OK;
}

static void
hactl_emit(const struct buf *b)
{
	fwrite(b->b_data, 1, b->b_len, stdout);
}

/* Reports an error response (text or JSON) and returns the exit status for it. */
static int
hactl_response_error(const struct hactl_ctx *ctx, const Tandem__Ctl__V1__Response *r)
{
	struct buf b;

	if (!ctx->json) {
		fprintf(stderr, "hactl: %s\n",
		        r->message && *r->message ? r->message : strerror(r->error));
		return HACTL_EXIT_FAILED;
	}
	buf_init(&b, false);
	buf_printf(&b, "{\n  \"error\": {\n    \"code\": %d,\n    \"message\": ", r->error);
	hactl_json_string(&b, r->message && *r->message ? r->message : strerror(r->error));
	buf_put_str(&b, "\n  }\n}\n");
	hactl_emit(&b);
	buf_fini(&b);
	return HACTL_EXIT_FAILED;
}

int
hactl_run(const struct hactl_ctx *ctx, Tandem__Ctl__V1__Request *req, uint32_t want_body,
          hactl_render_fn render)
{
	Tandem__Ctl__V1__Response *r = NULL;
	struct buf b;
	int rc = hactl_call(ctx, req, &r);

	if (rc != HACTL_EXIT_OK)
		return rc;
	if (r->has_error && r->error != 0) {
		rc = hactl_response_error(ctx, r);
	} else if (r->body_case != want_body) {
		fprintf(stderr, "hactl: tandemd answered with an unexpected reply (body %u)\n",
		        r->body_case);
		rc = HACTL_EXIT_PROTOCOL;
	} else {
		buf_init(&b, false);
		if (ctx->json) {
			/* the body is the oneof member named by body_case */
			const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
			        r->base.descriptor, r->body_case);
			const ProtobufCMessage *body =
			        *(ProtobufCMessage *const *)((const uint8_t *)r + f->offset);

			hactl_json_message(&b, body, 0);
			buf_put_u8(&b, '\n');
		} else {
			render(r, &b);
		}
		hactl_emit(&b);
		buf_fini(&b);
	}
	tandem__ctl__v1__response__free_unpacked(r, NULL);
	return rc;
}

void
hactl_fmt_duration(struct buf *b, uint64_t s)
{
	if (s >= 86400)
		buf_printf(b, "%llud ", (unsigned long long)(s / 86400));
	buf_printf(b, "%02llu:%02llu:%02llu", (unsigned long long)(s % 86400 / 3600),
	           (unsigned long long)(s % 3600 / 60), (unsigned long long)(s % 60));
}

void
hactl_fmt_time(struct buf *b, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	localtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
	buf_put_str(b, s);
}

static void
hactl_render_status(const Tandem__Ctl__V1__Response *r, struct buf *b)
{
	const Tandem__Ctl__V1__Status *s = r->status;

	buf_printf(b, "node            %s", s->node ? s->node : "?");
	if (s->cluster && *s->cluster)
		buf_printf(b, " (cluster %s)", s->cluster);
	buf_printf(b, "\nrole            %s", s->role ? s->role : "?");
	if (s->fault && *s->fault)
		buf_printf(b, " (%s)", s->fault);
	if (s->has_quorate)
		buf_put_str(b, s->quorate ? ", quorate" : ", NOT QUORATE");
	if (s->has_split_brain_risk && s->split_brain_risk)
		buf_put_str(b,
		            "\nWARNING: two nodes without an arbiter: a cut sync link makes both "
		            "halves active (docs/faults.md)");
	buf_put_str(b, "\nuptime          ");
	hactl_fmt_duration(b, s->uptime_sec);
	buf_printf(b, "\nversion         tandem %s, pid %u\n", s->version ? s->version : "?",
	           s->pid);
	buf_printf(b, "configuration   %s\n  digest        %s\n  loaded        ",
	           s->config_path ? s->config_path : "?",
	           s->config_digest ? s->config_digest : "?");
	hactl_fmt_time(b, s->config_loaded_unix);
	buf_printf(b, " (%u tunnel(s), %u warning(s))\n", s->tunnels_configured,
	           s->config_warnings);
	if (s->config_mismatch && *s->config_mismatch)
		buf_printf(b,
		           "  MISMATCH      other digest on %s: these nodes refuse to take over "
		           "from each other (hactl show cluster)\n",
		           s->config_mismatch);
	if (s->last_reload) {
		buf_put_str(b, "  last reload   ");
		buf_put_str(b, s->last_reload->ok ? "ok at " : "FAILED at ");
		hactl_fmt_time(b, s->last_reload->at_unix);
		if (!s->last_reload->ok)
			buf_printf(b,
			           ", %u error(s), kept the running configuration\n"
			           "                %s",
			           s->last_reload->errors,
			           s->last_reload->detail ? s->last_reload->detail : "");
		buf_put_u8(b, '\n');
	}
	buf_printf(b, "master key      id %s\n", s->master_key_id ? s->master_key_id : "?");
	for (size_t i = 0; i < s->n_not_built; i++)
		buf_printf(b, "%s%s\n", i ? "                " : "not built yet   ",
		           s->not_built[i]);
}

int
hactl_cmd_status(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__StatusRequest sr;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "hactl: status takes no arguments\n");
		return HACTL_EXIT_USAGE;
	}
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__status_request__init(&sr);
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_STATUS;
	req.status = &sr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_STATUS, hactl_render_status);
}

static void
hactl_render_show_config(const Tandem__Ctl__V1__Response *r, struct buf *b)
{
	const Tandem__Ctl__V1__ShowConfig *sc = r->show_config;

	buf_printf(b, "! running configuration%s, digest %s\n", sc->verbose ? " (verbose)" : "",
	           sc->digest ? sc->digest : "?");
	buf_put_str(b, sc->text ? sc->text : "");
}

int
hactl_cmd_show_config(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ShowConfigRequest sc;

	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__show_config_request__init(&sc);
	if (argc > 1 || (argc == 1 && strncmp("verbose", argv[0], strlen(argv[0])) != 0)) {
		fprintf(stderr, "hactl: show configuration takes only 'verbose'\n");
		return HACTL_EXIT_USAGE;
	}
	sc.has_verbose = 1;
	sc.verbose = argc == 1;
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_CONFIG;
	req.show_config = &sc;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_SHOW_CONFIG,
	                 hactl_render_show_config);
}

/* ---- show engines (crypto engines, docs/engine.md) -------------------------------------- */

static void
hactl_render_engine_sas(const Tandem__Ctl__V1__EngineGroup *g, struct buf *b)
{
	if (g->n_sas == 0) {
		buf_put_str(b, "  SAs            none\n");
		return;
	}
	buf_printf(b, "  %-10s %-4s %-16s %12s %14s %12s %12s\n", "SPI", "dir", "tunnel", "packets",
	           "bytes", "seq", "lease");
	for (size_t i = 0; i < g->n_sas; i++) {
		const Tandem__Ctl__V1__EngineSa *s = g->sas[i];

		buf_printf(b, "  %08x   %-4s %-16s %12llu %14llu %12llu ", s->spi,
		           s->inbound ? "in" : "out", s->tunnel ? s->tunnel : "?",
		           (unsigned long long)s->packets, (unsigned long long)s->bytes,
		           (unsigned long long)s->seq);
		if (s->inbound)
			buf_printf(b, "%12s\n", "-");
		else
			buf_printf(b, "%12llu\n", (unsigned long long)s->lease_limit);
	}
}

static void
hactl_render_engine_group(const Tandem__Ctl__V1__EngineGroup *g, struct buf *b)
{
	buf_printf(b, "engine group %s: %s", g->group ? g->group : "?", g->state ? g->state : "?");
	if (g->pid)
		buf_printf(b, ", pid %u", g->pid);
	if (g->uptime_ms) {
		buf_put_str(b, ", up ");
		hactl_fmt_duration(b, g->uptime_ms / 1000);
	}
	buf_printf(b, ", %u restart(s)\n", g->restarts);
	buf_printf(b, "  tunnels        %s\n", g->tunnels && *g->tunnels ? g->tunnels : "none");
	if (g->last_failure && *g->last_failure) {
		buf_printf(b,
		           "  last failure   %s, detected %llu ms after its last sign of life, at ",
		           g->last_failure, (unsigned long long)g->last_failure_detect_ms);
		hactl_fmt_time(b, g->last_failure_unix);
		buf_put_u8(b, '\n');
	}
	if (g->state && strcmp(g->state, "restarting") == 0)
		buf_printf(b, "  next start     in %llu ms (%u failure(s) in a row)\n",
		           (unsigned long long)g->next_restart_ms, g->failures_in_row);
	buf_printf(b, "  heartbeats     %llu (packets in %llu, out %llu)\n",
	           (unsigned long long)g->heartbeats, (unsigned long long)g->packets_in,
	           (unsigned long long)g->packets_out);
	hactl_render_engine_sas(g, b);
	buf_put_str(b, "  drops         ");
	for (size_t i = 0; i < g->n_drops; i++)
		buf_printf(b, "%s %s %llu", i ? "," : "",
		           g->drops[i]->reason ? g->drops[i]->reason : "?",
		           (unsigned long long)g->drops[i]->count);
	buf_put_str(b, g->n_drops ? "\n" : " none\n");
}

static void
hactl_render_show_engines(const Tandem__Ctl__V1__Response *r, struct buf *b)
{
	const Tandem__Ctl__V1__ShowEngines *se = r->engines;

	if (se->n_groups == 0)
		buf_printf(b, "no engine group serves a tunnel (engine %s)\n",
		           se->engine_path ? se->engine_path : "?");
	for (size_t i = 0; i < se->n_groups; i++) {
		if (i)
			buf_put_u8(b, '\n');
		hactl_render_engine_group(se->groups[i], b);
	}
}

int
hactl_cmd_show_engines(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ShowEnginesRequest se;

	if (argc > 1) {
		fprintf(stderr, "hactl: usage: show engines [GROUP]\n");
		return HACTL_EXIT_USAGE;
	}
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__show_engines_request__init(&se);
	se.group = argc == 1 ? argv[0] : NULL;
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_ENGINES;
	req.show_engines = &se;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_ENGINES,
	                 hactl_render_show_engines);
}
