/* SPDX-License-Identifier: MIT */
/*
 * tandemd's composition: event loop, signals, configuration (load and reload), master key,
 * control socket and its command handlers. Later layers (IKE, engines, replication, HA) are
 * created here and receive the event base explicitly.
 */
#define LOG_SUBSYS "tandemd"
#include "tandemd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "node/config/cfg.h"
#include "node/core/buf.h"
#include "node/core/clk.h"
#include "node/core/hex.h"
#include "node/ctl/ctl_server.h"
#include "node/tandemd_eng.h"
#include "node/tandemd_ha.h"
#include "node/tandemd_ike.h"
#include "node/tandemd_int.h"
#include "node/tandemd_metrics.h"
#include "node/tandemd_sync.h"

/* What this build does not do yet; `hactl status` says so plainly. */
static const char *const tandemd_not_built[] = {
        "deploy: Debian package, systemd unit, Ansible roles",
        "arbiter: corosync-qdevice/qnetd tie-breaker for a pair, fencing of a stale active",
        NULL,
};

/* Logs every diagnostic; returns the first error line (for `hactl status`) in first. */
static void
tandemd_log_diags(const struct cfg_diags *dg, char *first, size_t cap)
{
	if (first && cap)
		first[0] = '\0';
	for (size_t i = 0; i < dg->n; i++) {
		const struct cfg_diag *d = &dg->v[i];
		bool err = d->sev == CFG_DIAG_ERROR;

		log_emit(err ? LOG_LVL_ERR : LOG_LVL_WARN, LOG_SUBSYS, false, "%s:%u:%u: %s: %s",
		         dg->file, d->line, d->col, err ? "error" : "warning", d->msg);
		/* a long message is cut to the summary's size; the log line above is whole */
		if (err && first && first[0] == '\0' &&
		    snprintf(first, cap, "%s:%u:%u: error: %s", dg->file, d->line, d->col,
		             d->msg) >= (int)cap)
			first[cap - 1] = '\0';
	}
}

/* Parses the configuration file and checks this node is in it; *out on success. */
static int
tandemd_load(struct tandemd *d, struct cfg **out, uint32_t *nerrors, char *first, size_t cap)
{
	struct cfg_diags dg;
	struct cfg *cfg = NULL;
	int rc;

	cfg_diags_init(&dg);
	rc = cfg_load_file(d->opts.config_path, &d->mk, &cfg, &dg);
	tandemd_log_diags(&dg, first, cap);
	*nerrors = (uint32_t)dg.nerrors;
	cfg_diags_fini(&dg);
	if (rc < 0)
		return rc;
	if (cfg->cluster.present && !cfg_find_node(cfg, d->opts.node)) {
		snprintf(first, cap, "node '%s' is not in cluster '%s' of %s", d->opts.node,
		         cfg->cluster.name, d->opts.config_path);
		log_err("%s", first);
		*nerrors = 1;
		cfg_free(cfg);
		return -EINVAL;
	}
	*out = cfg;
	return 0;
}

static void
tandemd_install_config(struct tandemd *d, struct cfg *cfg)
{
	uint8_t dig[32];

	cfg_free(d->cfg);
	d->cfg = cfg;
	d->cfg_loaded_unix = clk_real_sec();
	if (cfg_digest(cfg, &d->mk, dig) == 0)
		hex_encode(dig, sizeof(dig), d->digest);
	else
		snprintf(d->digest, sizeof(d->digest), "unavailable");
}

static void
tandemd_reload(struct tandemd *d)
{
	struct cfg *cfg = NULL;
	struct ctl_reload *r = &d->last_reload;
	int rc;

	log_info("SIGHUP: reloading %s", d->opts.config_path);
	uint32_t seq = r->seq + 1;

	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->at_unix = clk_real_sec();
	d->have_reload = true;
	rc = tandemd_load(d, &cfg, &r->errors, r->detail, sizeof(r->detail));
	if (rc < 0) {
		log_err("reload failed with %u error(s); keeping the running configuration "
		        "(digest %.12s)",
		        r->errors, d->digest);
		return;
	}
	r->ok = true;
	tandemd_install_config(d, cfg);
	tandemd_eng_apply(d);              /* engines (tandemd_eng.c) */
	tandemd_ike_apply(d->ike, d->cfg); /* IKE (tandemd_ike.c), after the engines' sockets */
	tandemd_ha_apply(d);               /* VIPs and routes by cost (tandemd_ha.c) */
	tandemd_sync_config_changed(d);    /* the digest the other nodes compare with theirs */
	(void)tandemd_metrics_apply(d);    /* the Prometheus endpoint follows `metrics listen` */
	log_info("reloaded %s: digest %.12s, %u tunnel(s), %u warning(s)", d->opts.config_path,
	         d->digest, cfg_count_tunnels(cfg), cfg->nwarnings);
}

static void
tandemd_signal(evutil_socket_t sig, short what, void *arg)
{
	struct tandemd *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		tandemd_reload(d);
		return;
	}
	log_info("%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(d->base);
}

static int
tandemd_ctl_status(struct tandemd *d, struct buf *resp)
{
	struct ctl_status st = {
	        .node = d->opts.node,
	        .cluster = d->cfg->cluster.present ? d->cfg->cluster.name : "",
	        .role = tandemd_sync_role_str(d),
	        .uptime_sec = (clk_mono_ms() - d->started_ms) / 1000,
	        .pid = (uint32_t)getpid(),
	        .config_path = d->opts.config_path,
	        .config_digest = d->digest,
	        .config_loaded_unix = d->cfg_loaded_unix,
	        .config_warnings = d->cfg->nwarnings,
	        .last_reload = d->have_reload ? &d->last_reload : NULL,
	        .tunnels_configured = cfg_count_tunnels(d->cfg),
	        .master_key_id = d->mk_id,
	        .not_built = tandemd_not_built,
	};

	char mismatch[512];

	st.replicated = tandemd_sync_enabled(d);
	if (st.replicated) {
		tandemd_sync_status(d, mismatch, sizeof(mismatch), &st.quorate);
		st.config_mismatch = mismatch;
		st.fault = tandemd_sync_fault(d);
		st.setup_known = tandemd_sync_arbiter(d, &st.arbiter, &st.split_brain_risk);
	}
	return ctl_encode_status(&st, resp);
}

static int
tandemd_ctl_show_config(struct tandemd *d, bool verbose, struct buf *resp)
{
	struct buf text;
	int rc;

	buf_init(&text, false);
	rc = cfg_print(d->cfg, &d->mk, verbose ? CFG_PRINT_VERBOSE : CFG_PRINT_CHANGED, &text);
	if (rc == 0 && !buf_put_u8(&text, 0))
		rc = -ENOMEM;
	if (rc == 0)
		rc = ctl_encode_show_config((const char *)text.b_data, d->digest, verbose, resp);
	buf_fini(&text);
	return rc;
}

static int
tandemd_ctl(void *arg, const struct ctl_request *req, struct buf *resp)
{
	struct tandemd *d = arg;

	switch (req->cmd) {
	case CTL_CMD_STATUS:
		return tandemd_ctl_status(d, resp);
	case CTL_CMD_SHOW_CONFIG:
		return tandemd_ctl_show_config(d, req->verbose, resp);
	case CTL_CMD_SHOW_TUNNELS:
	case CTL_CMD_SHOW_IKE_SA:
	case CTL_CMD_SHOW_IPSEC_SA:
	case CTL_CMD_SHOW_STATISTICS:
	case CTL_CMD_CLEAR_IKE_SA:
	case CTL_CMD_CLEAR_IPSEC_SA:
	case CTL_CMD_REKEY_IKE_SA:
	case CTL_CMD_REKEY_IPSEC_SA:
		return tandemd_ike_ctl(d, req, resp); /* IKE (tandemd_ike_ctl.c) */
	case CTL_CMD_SHOW_ENGINES:                    /* engines (tandemd_eng.c) */
		return tandemd_eng_ctl(d, req, resp);
	case CTL_CMD_SHOW_CLUSTER: /* replication (tandemd_sync.c) */
	case CTL_CMD_SHOW_REPLICATION:
	case CTL_CMD_SWITCHOVER:
		return tandemd_sync_ctl(d, req, resp);
	case CTL_CMD_SHOW_ROUTES: /* VIPs and routes by cost (tandemd_ha.c) */
		return tandemd_ha_ctl(d, req, resp);
	case CTL_CMD_SHOW_REDUNDANCY: /* monitoring (tandemd_ha.c, docs/monitoring.md) */
		return tandemd_ha_redundancy_ctl(d, req, resp);
	case CTL_CMD_MONITOR: /* the control server subscribes the client itself */
		return -ENOTSUP;
	}
	return -ENOTSUP;
}

/* Loads the master key, creating it on first start. */
static int
tandemd_master_key(struct tandemd *d)
{
	const char *path = d->master_key_path;
	int rc = cfg_mask_key_load(path, &d->mk);

	if (rc == -ENOENT) {
		rc = cfg_mask_key_create(path);
		if (rc < 0) {
			log_err("cannot create master key %s: %s", path, strerror(-rc));
			return rc;
		}
		log_warnx("created a new master key at %s; every node of a cluster needs the same "
		          "file so masked keys and configuration digests agree",
		          path);
		rc = cfg_mask_key_load(path, &d->mk);
	}
	if (rc < 0) {
		log_err("cannot load master key %s: %s", path, strerror(-rc));
		return rc;
	}
	hex_encode(d->mk.id, sizeof(d->mk.id), d->mk_id);
	return 0;
}

static int
tandemd_mkdir(const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_warn("cannot create state directory %s", dir);
		return -errno;
	}
	return 0;
}

int
tandemd_new(const struct tandemd_opts *o, struct tandemd **out)
{
	struct tandemd *d = calloc(1, sizeof(*d));
	struct cfg *cfg = NULL;
	uint32_t nerr;
	char first[512];
	int rc;

	if (!d)
		return -ENOMEM;
	d->opts = *o;
	d->started_ms = clk_mono_ms();
	if (o->master_key_path)
		snprintf(d->master_key_path, sizeof(d->master_key_path), "%s", o->master_key_path);
	else
		snprintf(d->master_key_path, sizeof(d->master_key_path), "%s/master.key",
		         o->state_dir);
	rc = tandemd_mkdir(o->state_dir);
	if (rc == 0)
		rc = tandemd_master_key(d);
	if (rc == 0)
		rc = tandemd_load(d, &cfg, &nerr, first, sizeof(first));
	if (rc < 0) {
		tandemd_free(d);
		return rc;
	}
	tandemd_install_config(d, cfg);
	*out = d;
	return 0;
}

static int
tandemd_signals(struct tandemd *d)
{
	d->ev_term = evsignal_new(d->base, SIGTERM, tandemd_signal, d);
	d->ev_int = evsignal_new(d->base, SIGINT, tandemd_signal, d);
	d->ev_hup = evsignal_new(d->base, SIGHUP, tandemd_signal, d);
	if (!d->ev_term || !d->ev_int || !d->ev_hup)
		return -ENOMEM;
	if (evsignal_add(d->ev_term, NULL) || evsignal_add(d->ev_int, NULL) ||
	    evsignal_add(d->ev_hup, NULL))
		return -EINVAL;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int
tandemd_start(struct tandemd *d)
{
	int rc;

	d->base = event_base_new();
	if (!d->base)
		return -ENOMEM;
	rc = tandemd_signals(d);
	if (rc < 0)
		return rc;
	rc = ctl_server_new(d->base, d->opts.ctl_path, tandemd_ctl, d, &d->ctl);
	if (rc == -EADDRINUSE) {
		log_err("another tandemd is serving %s", d->opts.ctl_path);
		return rc;
	}
	if (rc < 0) {
		log_err("cannot open control socket %s: %s", d->opts.ctl_path, strerror(-rc));
		return rc;
	}
	log_info("tandemd %s node %s%s%s: %u tunnel(s), configuration digest %.12s, control "
	         "socket %s",
	         TANDEM_VERSION, d->opts.node, d->cfg->cluster.present ? " of cluster " : "",
	         d->cfg->cluster.present ? d->cfg->cluster.name : "", cfg_count_tunnels(d->cfg),
	         d->digest, d->opts.ctl_path);
	/* engines (tandemd_eng.c): after the control socket, so hactl can watch them start */
	rc = tandemd_eng_start(d);
	if (rc < 0)
		return rc;
	tandemd_eng_apply(d);
	/* IKE (tandemd_ike.c): after the engines, whose port-4500 sockets it sends through */
	rc = tandemd_ike_new(d, &d->ike);
	if (rc < 0) {
		log_err("cannot start the IKE engine: %s", strerror(-rc));
		return rc;
	}
	/* replication (tandemd_sync.c): before the IKE engine gets its tunnels, so that a node of
	 * a cluster starts as a standby and serves only once elected */
	rc = tandemd_sync_start(d);
	if (rc < 0)
		return rc;
	tandemd_ike_apply(d->ike, d->cfg);
	/* VIPs and routes by cost (tandemd_ha.c): after the engines and IKE it watches */
	rc = tandemd_ha_start(d);
	if (rc < 0)
		return rc;
	/* the Prometheus endpoint (tandemd_metrics.c): a failure to bind is logged, not fatal */
	(void)tandemd_metrics_apply(d);
	if (!d->sync) /* alone: nothing to join */
		tandemd_notify_ready(d, "standalone");
	return 0;
}

void
tandemd_notify_ready(struct tandemd *d, const char *role)
{
	if (!d->ready_sent) {
		d->ready_sent = true;
		log_info("ready (%s)", role);
		sd_notifyf(0, "READY=1\nSTATUS=%s, configuration digest %.12s", role, d->digest);
		return;
	}
	sd_notifyf(0, "STATUS=%s, configuration digest %.12s", role, d->digest);
}

void
tandemd_loop(struct tandemd *d)
{
	event_base_dispatch(d->base);
}

void
tandemd_free(struct tandemd *d)
{
	if (!d)
		return;
	tandemd_metrics_free(d);  /* before the event base it serves from */
	tandemd_ha_free(d);       /* VIPs and routes stay for the next owner */
	tandemd_sync_free(d);     /* leaves the group before IKE goes */
	tandemd_ike_free(d->ike); /* IKE first: it sends through the engines' sockets */
	tandemd_eng_free(d);      /* engines (tandemd_eng.c): stopped before the event base goes */
	ctl_server_free(d->ctl);
	if (d->ev_term)
		event_free(d->ev_term);
	if (d->ev_int)
		event_free(d->ev_int);
	if (d->ev_hup)
		event_free(d->ev_hup);
	if (d->base)
		event_base_free(d->base);
	cfg_free(d->cfg);
	cfg_mask_key_wipe(&d->mk);
	free(d);
}
