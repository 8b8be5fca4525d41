/* SPDX-License-Identifier: MIT */
/*
 * hactl's commands: each builds its request, performs the round trip and renders the reply
 * as text or JSON. They return hactl's exit status (docs/hactl.md).
 */
#ifndef TANDEM_HA_HACTL_HACTL_CMDS_H
#define TANDEM_HA_HACTL_HACTL_CMDS_H

#include <stdbool.h>

enum hactl_exit {
	HACTL_EXIT_OK = 0,
	HACTL_EXIT_FAILED = 1,    /* the daemon answered with an error */
	HACTL_EXIT_USAGE = 2,     /* bad command line */
	HACTL_EXIT_NO_DAEMON = 3, /* cannot reach the daemon's socket */
	HACTL_EXIT_PROTOCOL = 4,  /* timeout, closed connection, undecodable reply */
};

struct hactl_ctx {
	const char *ctl_path;
	bool json;
	int timeout_ms;
};

typedef int (*hactl_cmd_fn)(const struct hactl_ctx *ctx, int argc, char **argv);

int hactl_cmd_status(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_show_config(const struct hactl_ctx *ctx, int argc, char **argv);
/* IKE (hactl_ike.c) */
int hactl_cmd_show_tunnels(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_show_ike_sa(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_show_ipsec_sa(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_show_statistics(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_clear_ike_sa(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_clear_ipsec_sa(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_rekey_ike_sa(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_rekey_ipsec_sa(const struct hactl_ctx *ctx, int argc, char **argv);
/* crypto engines */
int hactl_cmd_show_engines(const struct hactl_ctx *ctx, int argc, char **argv);
/* replication (hactl_sync.c) */
int hactl_cmd_show_cluster(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_show_replication(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_switchover(const struct hactl_ctx *ctx, int argc, char **argv);
/* HA data plane (hactl_ha.c) */
int hactl_cmd_show_routes(const struct hactl_ctx *ctx, int argc, char **argv);
/* monitoring (hactl_monitor.c) */
int hactl_cmd_monitor(const struct hactl_ctx *ctx, int argc, char **argv);
int hactl_cmd_show_redundancy(const struct hactl_ctx *ctx, int argc, char **argv);

#endif
