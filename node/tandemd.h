/* SPDX-License-Identifier: MIT */
/*
 * The tandemd process: owns the event loop, the running configuration, the master key and
 * the control socket; reloads on SIGHUP and exits cleanly on SIGTERM/SIGINT. main.c parses
 * the command line and hands the options over.
 */
#ifndef TANDEM_NODE_TANDEMD_H
#define TANDEM_NODE_TANDEMD_H

#include <stdbool.h>

#include "node/core/log.h"

struct tandemd_opts {
	const char *config_path;
	const char *node;
	const char *ctl_path;
	const char *state_dir;
	const char *pid_file;        /* NULL: none */
	const char *master_key_path; /* NULL: STATE_DIR/master.key */
	const char *engine_path;     /* tandem-engine; NULL: next to tandemd, then $PATH */
	bool foreground;
	enum log_level log_level;
};

struct tandemd;

/*
 * Loads the master key (creating it if missing) and the configuration, and checks that the
 * node is part of it. Errors are logged; returns 0, -EINVAL (configuration), or -errno.
 */
int tandemd_new(const struct tandemd_opts *o, struct tandemd **out);
/*
 * Creates the event loop, installs signal handlers and opens the control socket: after this
 * the node serves requests. Call after daemonising. Returns 0 or -errno (logged).
 */
int tandemd_start(struct tandemd *d);
/* Runs the event loop until SIGTERM/SIGINT. */
void tandemd_loop(struct tandemd *d);
void tandemd_free(struct tandemd *d);

#endif
