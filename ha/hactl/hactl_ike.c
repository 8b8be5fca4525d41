/* SPDX-License-Identifier: MIT */
/*
 * hactl's IKE commands (seed 004 §10-11): show tunnel, show ike-sa, show ipsec-sa, show
 * statistics, clear ike sa tunnel NAME, clear ipsec sa tunnel NAME — requests and text
 * renderers. Keys never appear, only their digests.
 */
#include <stdio.h>
#include <string.h>

#include "ha/hactl/hactl_int.h"

int
hactl_tunnel_arg(const char *cmd, int argc, char **argv, const char **name)
{
	*name = NULL;
	if (argc == 1 && strcmp(argv[0], "tunnel") != 0) {
		*name = argv[0];
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "tunnel") == 0) {
		*name = argv[1];
		return 0;
	}
	if (argc == 0)
		return 0;
	fprintf(stderr, "hactl: usage: %s [[tunnel] NAME]\n", cmd);
	return HACTL_EXIT_USAGE;
}

static void
hactl_left(struct buf *b, int64_t sec)
{
	if (sec < 0)
		buf_put_str(b, "never");
	else
		hactl_fmt_duration(b, (uint64_t)sec);
}

/* ---- show tunnel -------------------------------------------------------------------------- */

static void
hactl_render_tunnels(const Tandem__Ctl__V1__Response *r, struct buf *b)
{
	const Tandem__Ctl__V1__TunnelList *l = r->tunnels;

	if (l->n_tunnel == 0) {
		buf_put_str(b, "no tunnels configured\n");
		return;
	}
	buf_printf(b, "%-16s %-9s %-10s %-16s %-16s %-14s %3s %5s %-8s %s\n", "tunnel", "kind",
	           "state", "local", "remote", "ike-policy", "ike", "ipsec", "engine",
	           "last change");
	for (size_t i = 0; i < l->n_tunnel; i++) {
		const Tandem__Ctl__V1__Tunnel *t = l->tunnel[i];

		buf_printf(b, "%-16s %-9s %-10s %-16s %-16s %-14s %3u %5u %-8s ", t->name, t->kind,
		           t->state, t->local, *t->remote ? t->remote : "-",
		           *t->ike_policy ? t->ike_policy : "-", t->ike_sas, t->ipsec_sas,
		           *t->engine_group ? t->engine_group : "-");
		if (t->last_change_unix) {
			hactl_fmt_time(b, t->last_change_unix);
			buf_printf(b, " %s", t->last_change);
		} else {
			buf_put_str(b, "-");
		}
		buf_put_u8(b, '\n');
	}
}

int
hactl_cmd_show_tunnels(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ShowTunnelsRequest sr;
	const char *name;
	int rc = hactl_tunnel_arg("show tunnel", argc, argv, &name);

	if (rc)
		return rc;
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__show_tunnels_request__init(&sr);
	sr.tunnel = (char *)(uintptr_t)name;
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_TUNNELS;
	req.show_tunnels = &sr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_TUNNELS, hactl_render_tunnels);
}

/* ---- show ike-sa ---------------------------------------------------------------------------- */

static void
hactl_render_ike_sa(const Tandem__Ctl__V1__IkeSa *s, struct buf *b)
{
	buf_printf(b, "tunnel %s: %s, %s, %s <-> %s", s->tunnel, s->state,
	           s->initiator ? "initiator" : "responder", s->local, s->remote);
	if (s->nat_local || s->nat_remote)
		buf_printf(b, " (NAT %s)",
		           s->nat_local && s->nat_remote ? "both sides"
		           : s->nat_local                ? "here"
		                                         : "at the peer");
	buf_printf(b, "\n  SPIs          initiator %s  responder %s\n", s->spi_i, s->spi_r);
	buf_printf(b, "  identities    local %s  remote %s\n", s->id_local, s->id_remote);
	buf_printf(b, "  algorithms    %s", s->encryption);
	if (strcmp(s->integrity, "none") != 0)
		buf_printf(b, " / %s", s->integrity);
	buf_printf(b, " / prf %s / DH group %u\n  established   ", s->prf, s->dh_group);
	if (s->established_unix)
		hactl_fmt_time(b, s->established_unix);
	else
		buf_put_str(b, "-");
	buf_put_str(b, ", rekey in ");
	hactl_left(b, s->rekey_in_sec);
	buf_put_str(b, ", expires in ");
	hactl_left(b, s->expire_in_sec);
	buf_printf(b,
	           "\n  message IDs   next request %u, next expected %u; RFC 6311 peer: "
	           "message-ID sync %s, replay-counter sync %s\n",
	           s->msgid_next_send, s->msgid_next_recv, s->peer_msgid_sync ? "yes" : "no",
	           s->peer_replay_sync ? "yes" : "no");
	buf_printf(b, "  Child SAs     %u   keys digest %s\n", s->ipsec_sas, s->keys_digest);
}

static void
hactl_render_ike_sas(const Tandem__Ctl__V1__Response *r, struct buf *b)
{
	const Tandem__Ctl__V1__IkeSaList *l = r->ike_sas;

	if (l->n_ike_sa == 0)
		buf_put_str(b, "no IKE SAs\n");
	for (size_t i = 0; i < l->n_ike_sa; i++)
		hactl_render_ike_sa(l->ike_sa[i], b);
}

int
hactl_cmd_show_ike_sa(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ShowIkeSaRequest sr;
	const char *name;
	int rc = hactl_tunnel_arg("show ike-sa", argc, argv, &name);

	if (rc)
		return rc;
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__show_ike_sa_request__init(&sr);
	sr.tunnel = (char *)(uintptr_t)name;
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_IKE_SA;
	req.show_ike_sa = &sr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_IKE_SAS, hactl_render_ike_sas);
}

/* ---- show ipsec-sa -------------------------------------------------------------------------- */

static void
hactl_render_ts(struct buf *b, const char *what, char **ts, size_t n)
{
	buf_printf(b, "  %-13s", what);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? ", " : "", ts[i]);
	buf_put_u8(b, '\n');
}

static void
hactl_render_ipsec_sa(const Tandem__Ctl__V1__IpsecSa *s, struct buf *b)
{
	buf_printf(b, "tunnel %s: SPI in %s, out %s%s (IKE SA %s/%s)\n", s->tunnel, s->spi_in,
	           s->spi_out, s->standby ? " [standby]" : "", s->ike_spi_i, s->ike_spi_r);
	buf_printf(b, "  algorithms   %s", s->encryption);
	if (strcmp(s->integrity, "none") != 0)
		buf_printf(b, " / %s", s->integrity);
	if (s->pfs_group)
		buf_printf(b, ", PFS group %u", s->pfs_group);
	buf_printf(b, ", ESN %s, %s, replay window %u\n", s->esn ? "yes" : "no",
	           s->udp_encap ? "ESP in UDP" : "ESP", s->replay_window);
	hactl_render_ts(b, "local  TS", s->ts_local, s->n_ts_local);
	hactl_render_ts(b, "remote TS", s->ts_remote, s->n_ts_remote);
	buf_put_str(b, "  established  ");
	hactl_fmt_time(b, s->established_unix);
	buf_put_str(b, ", rekey in ");
	hactl_left(b, s->rekey_in_sec);
	buf_put_str(b, ", expires in ");
	hactl_left(b, s->expire_in_sec);
	buf_printf(b,
	           "\n  traffic      in %llu packets / %llu bytes, out %llu packets / %llu bytes\n",
	           (unsigned long long)s->packets_in, (unsigned long long)s->bytes_in,
	           (unsigned long long)s->packets_out, (unsigned long long)s->bytes_out);
	buf_printf(b, "  sequence     outbound lease limit %llu, inbound highest %llu\n",
	           (unsigned long long)s->out_lease_limit, (unsigned long long)s->in_highest);
	buf_printf(b, "  keys digest  %s\n", s->keys_digest);
}

static void
hactl_render_ipsec_sas(const Tandem__Ctl__V1__Response *r, struct buf *b)
{
	const Tandem__Ctl__V1__IpsecSaList *l = r->ipsec_sas;

	if (l->n_ipsec_sa == 0)
		buf_put_str(b, "no IPsec SAs\n");
	for (size_t i = 0; i < l->n_ipsec_sa; i++)
		hactl_render_ipsec_sa(l->ipsec_sa[i], b);
}

int
hactl_cmd_show_ipsec_sa(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ShowIpsecSaRequest sr;
	const char *name;
	int rc = hactl_tunnel_arg("show ipsec-sa", argc, argv, &name);

	if (rc)
		return rc;
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__show_ipsec_sa_request__init(&sr);
	sr.tunnel = (char *)(uintptr_t)name;
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_IPSEC_SA;
	req.show_ipsec_sa = &sr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_IPSEC_SAS,
	                 hactl_render_ipsec_sas);
}

/* ---- show statistics ------------------------------------------------------------------------ */

static void
hactl_render_counters(struct buf *b, const char *title, Tandem__Ctl__V1__Counter **c, size_t n,
                      bool skip_zero)
{
	size_t shown = 0;

	buf_printf(b, "%s\n", title);
	for (size_t i = 0; i < n; i++) {
		if (skip_zero && c[i]->value == 0)
			continue;
		buf_printf(b, "  %-40s %llu\n", c[i]->name, (unsigned long long)c[i]->value);
		shown++;
	}
	if (!shown)
		buf_put_str(b, "  (none)\n");
}

static void
hactl_render_statistics(const Tandem__Ctl__V1__Response *r, struct buf *b)
{
	const Tandem__Ctl__V1__Statistics *s = r->statistics;

	hactl_render_counters(b, "IKE", s->ike, s->n_ike, false);
	hactl_render_counters(b, "IKE messages rejected", s->ike_rejected, s->n_ike_rejected, true);
	hactl_render_counters(b, "ESP packets dropped", s->esp_dropped, s->n_esp_dropped, true);
}

int
hactl_cmd_show_statistics(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ShowStatisticsRequest sr;

	(void)argv;
	if (argc) {
		fprintf(stderr, "hactl: show statistics takes no arguments\n");
		return HACTL_EXIT_USAGE;
	}
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__show_statistics_request__init(&sr);
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_STATISTICS;
	req.show_statistics = &sr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_STATISTICS,
	                 hactl_render_statistics);
}

/* ---- clear ike|ipsec sa tunnel NAME ----------------------------------------------------- */

static void
hactl_render_clear(const Tandem__Ctl__V1__Response *r, struct buf *b)
{
	buf_printf(b, "cleared %u IKE SA(s) and %u IPsec SA(s); renegotiating as configured\n",
	           r->clear->ike_sas, r->clear->ipsec_sas);
}

static int
hactl_clear(const struct hactl_ctx *ctx, int argc, char **argv, bool ike)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ClearSaRequest cr;
	const char *cmd = ike ? "clear ike sa" : "clear ipsec sa";

	if (argc != 2 || strcmp(argv[0], "tunnel") != 0) {
		fprintf(stderr, "hactl: usage: %s tunnel NAME\n", cmd);
		return HACTL_EXIT_USAGE;
	}
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__clear_sa_request__init(&cr);
	cr.has_kind = 1;
	cr.kind = ike ? TANDEM__CTL__V1__CLEAR_SA_REQUEST__KIND__IKE
	              : TANDEM__CTL__V1__CLEAR_SA_REQUEST__KIND__IPSEC;
	cr.tunnel = argv[1];
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_CLEAR_SA;
	req.clear_sa = &cr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_CLEAR, hactl_render_clear);
}

int
hactl_cmd_clear_ike_sa(const struct hactl_ctx *ctx, int argc, char **argv)
{
	return hactl_clear(ctx, argc, argv, true);
}

int
hactl_cmd_clear_ipsec_sa(const struct hactl_ctx *ctx, int argc, char **argv)
{
	return hactl_clear(ctx, argc, argv, false);
}

/* ---- rekey ike-sa|ipsec-sa tunnel NAME ----------------------------------------------------- */

static void
hactl_render_rekey(const Tandem__Ctl__V1__Response *r, struct buf *b)
{
	buf_printf(b, "rekeying %u IKE SA(s) and %u IPsec SA(s)\n", r->clear->ike_sas,
	           r->clear->ipsec_sas);
}

static int
hactl_rekey(const struct hactl_ctx *ctx, int argc, char **argv, bool ike)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__RekeyRequest rr;

	if (argc != 2 || strcmp(argv[0], "tunnel") != 0) {
		fprintf(stderr, "hactl: usage: rekey %s tunnel NAME\n",
		        ike ? "ike-sa" : "ipsec-sa");
		return HACTL_EXIT_USAGE;
	}
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__rekey_request__init(&rr);
	rr.has_kind = 1;
	rr.kind = ike ? TANDEM__CTL__V1__REKEY_REQUEST__KIND__IKE
	              : TANDEM__CTL__V1__REKEY_REQUEST__KIND__IPSEC;
	rr.tunnel = argv[1];
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_REKEY;
	req.rekey = &rr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_CLEAR, hactl_render_rekey);
}

int
hactl_cmd_rekey_ike_sa(const struct hactl_ctx *ctx, int argc, char **argv)
{
	return hactl_rekey(ctx, argc, argv, true);
}

int
hactl_cmd_rekey_ipsec_sa(const struct hactl_ctx *ctx, int argc, char **argv)
{
	return hactl_rekey(ctx, argc, argv, false);
}
