/* SPDX-License-Identifier: MIT */
/*
 * tandem-engine: the userspace ESP data plane of one engine group (docs/engine.md). tandemd
 * starts it with its end of the channel as file descriptor 3; the engine waits for Hello,
 * starts its packet workers, and serves until tandemd says Shutdown or closes the channel.
 */
#define LOG_SUBSYS "engine"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/core/log.h"
#include "node/engine/engine_int.h"

static void
usage(void)
{
	fprintf(stderr,
	        "usage: tandem-engine [--fd N] [--log-level error|warning|info|debug]\n"
	        "                     [--no-gro] [--no-gso] [--no-tso] [--no-tun-gro]\n"
	        "The channel to tandemd is file descriptor 3 unless --fd says otherwise.\n");
}

struct engine_opts {
	int fd;
	enum log_level lvl;
	bool gro, gso, tso, tun_gro; /* offloads: on unless switched off (for measurements) */
};

static int
parse_opts(int argc, char **argv, struct engine_opts *o)
{
	static const struct option longs[] = {
	        {"fd", required_argument, NULL, 'f'}, {"log-level", required_argument, NULL, 'l'},
	        {"no-gro", no_argument, NULL, 'G'},   {"no-gso", no_argument, NULL, 'S'},
	        {"no-tso", no_argument, NULL, 'T'},   {"no-tun-gro", no_argument, NULL, 'R'},
	        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
	};
	int c;

	o->fd = 3;
	o->lvl = LOG_LVL_INFO;
	o->gro = o->gso = o->tso = o->tun_gro = true;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->fd = atoi(optarg);
			break;
		case 'l':
			if (log_level_parse(optarg, &o->lvl) < 0)
				return -EINVAL;
			break;
		case 'G':
			o->gro = false;
			break;
		case 'S':
			o->gso = false;
			break;
		case 'T':
			o->tso = false;
			break;
		case 'R':
			o->tun_gro = false;
			break;
		default:
			return -EINVAL;
		}
	}
	return optind == argc && o->fd >= 0 ? 0 : -EINVAL;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct engine *e = arg;

	(void)what;
	log_info("signal %d: stopping", (int)sig);
	e->stopping = true;
	event_base_loopbreak(e->base);
}

static int
engine_init(struct engine *e, const struct engine_opts *o)
{
	pthread_rwlockattr_t ra;

	memset(e, 0, sizeof(*e));
	e->chan = o->fd;
	e->gro = o->gro;
	e->gso = o->gso;
	e->tso = o->tso;
	e->tun_gro = o->tun_gro;
	e->heartbeat_ms = 20;
	TAILQ_INIT(&e->socks);
	TAILQ_INIT(&e->tuns);
	TAILQ_INIT(&e->sas);
	/* writers (the control path) must not starve behind busy packet workers */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&e->lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	e->base = event_base_new();
	if (!e->base || event_base_priority_init(e->base, 2) != 0)
		return -ENOMEM;
	e->ev_sig[0] = evsignal_new(e->base, SIGTERM, on_signal, e);
	e->ev_sig[1] = evsignal_new(e->base, SIGINT, on_signal, e);
	if (!e->ev_sig[0] || !e->ev_sig[1])
		return -ENOMEM;
	event_add(e->ev_sig[0], NULL);
	event_add(e->ev_sig[1], NULL);
	return engine_chan_start(e);
}

static void
engine_fini(struct engine *e)
{
	engine_workers_stop(e);
	engine_stats_log(e);
	engine_table_free(e);
	engine_workers_free(e);
	for (int i = 0; i < 2; i++) {
		if (e->ev_sig[i])
			event_free(e->ev_sig[i]);
	}
	if (e->ev_chan)
		event_free(e->ev_chan);
	if (e->ev_hb)
		event_free(e->ev_hb);
	if (e->base)
		event_base_free(e->base);
	pthread_rwlock_destroy(&e->lock);
	if (e->chan >= 0)
		close(e->chan);
}

int
main(int argc, char **argv)
{
	static struct engine eng;
	struct engine_opts o;
	int rc;

	if (parse_opts(argc, argv, &o) < 0) {
		usage();
		return 2;
	}
	log_init("tandem-engine", LOG_DEST_STDERR, o.lvl);
	signal(SIGPIPE, SIG_IGN);
	rc = engine_init(&eng, &o);
	if (rc < 0) {
		errno = -rc;
		log_warn("cannot start");
		engine_fini(&eng);
		return 1;
	}
	log_info("pid %d waiting for Hello on fd %d", (int)getpid(), o.fd);
	event_base_dispatch(eng.base);
	log_info("stopped");
	engine_fini(&eng);
	return 0;
}
