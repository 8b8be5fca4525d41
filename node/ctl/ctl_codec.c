/* SPDX-License-Identifier: MIT */
/*
 * Control protocol codec (daemon side): framing, Request decoding, Response encoding. Only
 * domain structs enter and leave this file; protobuf-c messages are unpacked and freed here.
 */
#include "ctl_codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "ctl.pb-c.h"
#include "node/ctl/ctl_int.h"

int
ctl_frame_hdr(const uint8_t *hdr, size_t *frame_len)
{
	uint32_t n =
	        (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];

	if (n > CTL_FRAME_MAX)
		return -EMSGSIZE;
	*frame_len = CTL_FRAME_HDR_LEN + n;
	return 0;
}

int
ctl_frame_check(const uint8_t *p, size_t len, size_t *frame_len)
{
	size_t need;
	int rc;

	if (len < CTL_FRAME_HDR_LEN)
		return -EAGAIN;
	rc = ctl_frame_hdr(p, &need);
	if (rc < 0)
		return rc;
	if (len < need)
		return -EAGAIN;
	*frame_len = need;
	return 0;
}

int
ctl_frame_put(struct buf *out, const uint8_t *payload, size_t len)
{
	if (len > CTL_FRAME_MAX)
		return -EMSGSIZE;
	if (!buf_put_n32(out, (uint32_t)len) || !buf_put(out, payload, len))
		return -ENOMEM;
	return 0;
}

/* Copies an optional tunnel name; a name longer than any configured name is -EINVAL. */
static int
ctl_copy_name(struct ctl_request *req, const char *name)
{
	if (!name)
		return 0;
	if (strlen(name) >= sizeof(req->tunnel))
		return -EINVAL;
	memcpy(req->tunnel, name, strlen(name) + 1);
	return 0;
}

/* Copies an optional engine group name (show engines GROUP). */
static int
ctl_copy_group(struct ctl_request *req, const char *name)
{
	if (!name)
		return 0;
	if (strlen(name) >= sizeof(req->group))
		return -EINVAL;
	memcpy(req->group, name, strlen(name) + 1);
	return 0;
}

int
ctl_request_decode(const uint8_t *p, size_t len, struct ctl_request *req)
{
	Tandem__Ctl__V1__Request *m;
	int rc = 0;

	memset(req, 0, sizeof(*req));
	m = tandem__ctl__v1__request__unpack(NULL, len, p);
	if (!m)
		return -EPROTO;
	req->version = m->has_version ? m->version : 0;
	if (req->version != CTL_PROTO_VERSION) {
		rc = -ENOTSUP;
		goto out;
	}
	switch (m->cmd_case) {
	case TANDEM__CTL__V1__REQUEST__CMD_STATUS:
		req->cmd = CTL_CMD_STATUS;
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SHOW_CONFIG:
		req->cmd = CTL_CMD_SHOW_CONFIG;
		req->verbose = m->show_config->has_verbose && m->show_config->verbose;
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SHOW_TUNNELS:
		req->cmd = CTL_CMD_SHOW_TUNNELS;
		rc = ctl_copy_name(req, m->show_tunnels->tunnel);
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SHOW_IKE_SA:
		req->cmd = CTL_CMD_SHOW_IKE_SA;
		rc = ctl_copy_name(req, m->show_ike_sa->tunnel);
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SHOW_IPSEC_SA:
		req->cmd = CTL_CMD_SHOW_IPSEC_SA;
		rc = ctl_copy_name(req, m->show_ipsec_sa->tunnel);
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SHOW_STATISTICS:
		req->cmd = CTL_CMD_SHOW_STATISTICS;
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_CLEAR_SA:
		req->cmd = m->clear_sa->kind == TANDEM__CTL__V1__CLEAR_SA_REQUEST__KIND__IPSEC
		                   ? CTL_CMD_CLEAR_IPSEC_SA
		                   : CTL_CMD_CLEAR_IKE_SA;
		rc = ctl_copy_name(req, m->clear_sa->tunnel);
		if (rc == 0 && req->tunnel[0] == '\0')
			rc = -EINVAL; /* clearing needs a tunnel name */
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SHOW_ENGINES:
		req->cmd = CTL_CMD_SHOW_ENGINES;
		rc = ctl_copy_group(req, m->show_engines->group);
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SHOW_ROUTES:
		req->cmd = CTL_CMD_SHOW_ROUTES;
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_MONITOR:
		req->cmd = CTL_CMD_MONITOR;
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SHOW_REDUNDANCY:
		req->cmd = CTL_CMD_SHOW_REDUNDANCY;
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SHOW_CLUSTER:
		req->cmd = CTL_CMD_SHOW_CLUSTER;
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SHOW_REPLICATION:
		req->cmd = CTL_CMD_SHOW_REPLICATION;
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_SWITCHOVER:
		req->cmd = CTL_CMD_SWITCHOVER;
		if (m->switchover->to_node) {
			if (strlen(m->switchover->to_node) >= sizeof(req->node))
				rc = -EINVAL;
			else
				memcpy(req->node, m->switchover->to_node,
				       strlen(m->switchover->to_node) + 1);
		}
		break;
	case TANDEM__CTL__V1__REQUEST__CMD_REKEY:
		req->cmd = m->rekey->kind == TANDEM__CTL__V1__REKEY_REQUEST__KIND__IPSEC
		                   ? CTL_CMD_REKEY_IPSEC_SA
		                   : CTL_CMD_REKEY_IKE_SA;
		rc = ctl_copy_name(req, m->rekey->tunnel);
		if (rc == 0 && req->tunnel[0] == '\0')
			rc = -EINVAL; /* rekeying needs a tunnel name */
		break;
	case TANDEM__CTL__V1__REQUEST__CMD__NOT_SET:
	default:
		rc = -ENOTSUP;
		break;
	}
out:
	tandem__ctl__v1__request__free_unpacked(m, NULL);
	return rc;
}

int
ctl_put_response(Tandem__Ctl__V1__Response *r, struct buf *out)
{
	size_t n = tandem__ctl__v1__response__get_packed_size(r);
	size_t at = out->b_len;
	uint8_t *d;

	if (n > CTL_FRAME_MAX)
		return -EMSGSIZE;
	if (!buf_put_n32(out, (uint32_t)n))
		return -ENOMEM;
	d = buf_reserve(out, n);
	if (!d) {
		out->b_len = at;
		return -ENOMEM;
	}
	tandem__ctl__v1__response__pack(r, d);
	return 0;
}

void
ctl_response_init(Tandem__Ctl__V1__Response *r)
{
	tandem__ctl__v1__response__init(r);
	r->has_version = 1;
	r->version = CTL_PROTO_VERSION;
	r->has_error = 1;
	r->error = 0;
}

int
ctl_encode_error(int err, const char *msg, struct buf *out)
{
	Tandem__Ctl__V1__Response r;

	ctl_response_init(&r);
	r.error = err;
	r.message = (char *)(uintptr_t)msg;
	return ctl_put_response(&r, out);
}

static size_t
ctl_count_strings(const char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int
ctl_encode_status(const struct ctl_status *st, struct buf *out)
{
	Tandem__Ctl__V1__Response r;
	Tandem__Ctl__V1__Status s;
	Tandem__Ctl__V1__ReloadResult rr;

	tandem__ctl__v1__status__init(&s);
	/* protobuf-c's message structs use char * for strings; packing only reads them */
	s.node = (char *)(uintptr_t)st->node;
	s.cluster = (char *)(uintptr_t)st->cluster;
	s.role = (char *)(uintptr_t)st->role;
	s.has_uptime_sec = 1;
	s.uptime_sec = st->uptime_sec;
	s.version = (char *)(uintptr_t)TANDEM_VERSION;
	s.has_pid = 1;
	s.pid = st->pid;
	s.config_path = (char *)(uintptr_t)st->config_path;
	s.config_digest = (char *)(uintptr_t)st->config_digest;
	s.has_config_loaded_unix = 1;
	s.config_loaded_unix = st->config_loaded_unix;
	s.has_config_warnings = 1;
	s.config_warnings = st->config_warnings;
	s.has_tunnels_configured = 1;
	s.tunnels_configured = st->tunnels_configured;
	s.master_key_id = (char *)(uintptr_t)st->master_key_id;
	s.n_not_built = ctl_count_strings(st->not_built);
	s.not_built = (char **)(uintptr_t)st->not_built;
	if (st->replicated) {
		s.has_quorate = 1;
		s.quorate = st->quorate;
		s.config_mismatch =
		        (char *)(uintptr_t)(st->config_mismatch ? st->config_mismatch : "");
		s.fault = (char *)(uintptr_t)(st->fault ? st->fault : "");
		if (st->setup_known) {
			s.has_arbiter = s.has_split_brain_risk = 1;
			s.arbiter = st->arbiter;
			s.split_brain_risk = st->split_brain_risk;
		}
	}
	if (st->last_reload) {
		tandem__ctl__v1__reload_result__init(&rr);
		rr.has_at_unix = rr.has_ok = rr.has_errors = 1;
		rr.at_unix = st->last_reload->at_unix;
		rr.ok = st->last_reload->ok;
		rr.errors = st->last_reload->errors;
		rr.has_seq = 1;
		rr.seq = st->last_reload->seq;
		rr.detail = (char *)(uintptr_t)st->last_reload->detail;
		s.last_reload = &rr;
	}
	ctl_response_init(&r);
	r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_STATUS;
	r.status = &s;
	return ctl_put_response(&r, out);
}

int
ctl_encode_show_config(const char *text, const char *digest, bool verbose, struct buf *out)
{
	Tandem__Ctl__V1__Response r;
	Tandem__Ctl__V1__ShowConfig sc;

	tandem__ctl__v1__show_config__init(&sc);
	sc.text = (char *)(uintptr_t)text;
	sc.digest = (char *)(uintptr_t)digest;
	sc.has_verbose = 1;
	sc.verbose = verbose;
	ctl_response_init(&r);
	r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_SHOW_CONFIG;
	r.show_config = &sc;
	return ctl_put_response(&r, out);
}

/* ---- crypto engines: `hactl show engines` ------------------------------------------------ */

static void
ctl_engine_sa_fill(Tandem__Ctl__V1__EngineSa *o, const struct ctl_engine_sa *s)
{
	tandem__ctl__v1__engine_sa__init(o);
	o->has_spi = o->has_inbound = o->has_packets = o->has_bytes = 1;
	o->has_seq = o->has_lease_limit = 1;
	o->spi = s->spi;
	o->inbound = s->inbound;
	o->tunnel = (char *)(uintptr_t)s->tunnel;
	o->packets = s->packets;
	o->bytes = s->bytes;
	o->seq = s->seq;
	o->lease_limit = s->lease_limit;
}

static void
ctl_engine_group_fill(Tandem__Ctl__V1__EngineGroup *o, const struct ctl_engine_group *g)
{
	tandem__ctl__v1__engine_group__init(o);
	o->group = (char *)(uintptr_t)g->group;
	o->state = (char *)(uintptr_t)g->state;
	o->tunnels = (char *)(uintptr_t)g->tunnels;
	o->last_failure = (char *)(uintptr_t)g->last_failure;
	o->has_pid = o->has_restarts = o->has_uptime_ms = o->has_last_failure_detect_ms = 1;
	o->has_last_failure_unix = o->has_failures_in_row = o->has_next_restart_ms = 1;
	o->has_heartbeats = o->has_packets_in = o->has_packets_out = 1;
	o->pid = g->pid;
	o->restarts = g->restarts;
	o->uptime_ms = g->uptime_ms;
	o->last_failure_detect_ms = g->last_failure_detect_ms;
	o->last_failure_unix = g->last_failure_unix;
	o->failures_in_row = g->failures_in_row;
	o->next_restart_ms = g->next_restart_ms;
	o->heartbeats = g->heartbeats;
	o->packets_in = g->packets_in;
	o->packets_out = g->packets_out;
}

/* Builds the group's repeated fields into arrays the caller frees (sas, drops, pointers). */
static int
ctl_engine_group_lists(Tandem__Ctl__V1__EngineGroup *o, const struct ctl_engine_group *g,
                       Tandem__Ctl__V1__EngineSa **sas, Tandem__Ctl__V1__EngineDrop **drops)
{
	*sas = g->nsas ? calloc(g->nsas, sizeof(**sas)) : NULL;
	*drops = g->ndrops ? calloc(g->ndrops, sizeof(**drops)) : NULL;
	o->sas = g->nsas ? calloc(g->nsas, sizeof(*o->sas)) : NULL;
	o->drops = g->ndrops ? calloc(g->ndrops, sizeof(*o->drops)) : NULL;
	if ((g->nsas && (!*sas || !o->sas)) || (g->ndrops && (!*drops || !o->drops)))
		return -ENOMEM;
	for (size_t i = 0; i < g->nsas; i++) {
		ctl_engine_sa_fill(&(*sas)[i], &g->sas[i]);
		o->sas[i] = &(*sas)[i];
	}
	for (size_t i = 0; i < g->ndrops; i++) {
		tandem__ctl__v1__engine_drop__init(&(*drops)[i]);
		(*drops)[i].reason = (char *)(uintptr_t)g->drops[i].reason;
		(*drops)[i].has_count = 1;
		(*drops)[i].count = g->drops[i].count;
		o->drops[i] = &(*drops)[i];
	}
	o->n_sas = g->nsas;
	o->n_drops = g->ndrops;
	return 0;
}

int
ctl_encode_show_engines(const char *engine_path, const struct ctl_engine_group *groups,
                        size_t ngroups, struct buf *out)
{
	Tandem__Ctl__V1__EngineGroup *gv = ngroups ? calloc(ngroups, sizeof(*gv)) : NULL;
	Tandem__Ctl__V1__EngineGroup **gp = ngroups ? calloc(ngroups, sizeof(*gp)) : NULL;
	Tandem__Ctl__V1__EngineSa **sas = ngroups ? calloc(ngroups, sizeof(*sas)) : NULL;
	Tandem__Ctl__V1__EngineDrop **drops = ngroups ? calloc(ngroups, sizeof(*drops)) : NULL;
	Tandem__Ctl__V1__ShowEngines se;
	Tandem__Ctl__V1__Response r;
	int rc = 0;

	if (ngroups && (!gv || !gp || !sas || !drops))
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < ngroups; i++) {
		ctl_engine_group_fill(&gv[i], &groups[i]);
		rc = ctl_engine_group_lists(&gv[i], &groups[i], &sas[i], &drops[i]);
		gp[i] = &gv[i];
	}
	if (rc == 0) {
		tandem__ctl__v1__show_engines__init(&se);
		se.engine_path = (char *)(uintptr_t)engine_path;
		se.n_groups = ngroups;
		se.groups = gp;
		ctl_response_init(&r);
		r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_ENGINES;
		r.engines = &se;
		rc = ctl_put_response(&r, out);
	}
	for (size_t i = 0; gv && i < ngroups; i++) {
		free(gv[i].sas);
		free(gv[i].drops);
		free(sas[i]);
		free(drops[i]);
	}
	free(gv);
	free(gp);
	free(sas);
	free(drops);
	return rc;
}
