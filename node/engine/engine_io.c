/* SPDX-License-Identifier: MIT */
/*
 * Worker buffers (engine_io.h) and the SA events a batch may raise: LeaseRequest at the
 * refill share of a lease, ReplayReport every N accepted packets, LifetimeEvent at the soft
 * and hard byte limits (docs/engine.md). node/esp reports each event once, whichever thread
 * polls first.
 */
#define LOG_SUBSYS "engine"

#include "node/engine/engine_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/log.h"

struct engine_io *
engine_io_new(void)
{
	struct engine_io *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	io->rbuf = malloc(ENGINE_RX_BUF);
	io->tbuf = malloc((size_t)ENGINE_TX_SLOTS * ENGINE_SLOT);
	io->gbuf = malloc(ENGINE_HEAD + ENGINE_VNET_HDR + ENGINE_GSO_BUF);
	io->gro.buf = malloc(ENGINE_VNET_HDR + ENGINE_GRO_MAX + 64);
	io->fbuf = malloc(ENGINE_PKT_MAX);
	if (!io->rbuf || !io->tbuf || !io->gbuf || !io->gro.buf || !io->fbuf) {
		engine_io_free(io);
		return NULL;
	}
	return io;
}

void
engine_io_free(struct engine_io *io)
{
	if (!io)
		return;
	free(io->rbuf);
	free(io->tbuf);
	free(io->gbuf);
	free(io->gro.buf);
	free(io->fbuf);
	free(io);
}

static void
events_send(struct engine *e, const struct engine_from *m)
{
	int rc = engine_chan_send(e, m);

	if (rc < 0)
		log_warnx("channel: event for SPI 0x%08x not sent: %s", m->u.lease.spi,
		          strerror(-rc));
}

void
engine_sa_events(struct engine *e, struct engine_sa *sa)
{
	struct engine_from m = {0};
	enum esp_life_event ev;
	uint64_t a, b;

	if (esp_sa_lease_want(sa->esp, &a, &b)) {
		m.type = ENGINE_FROM_LEASE_REQUEST;
		m.u.lease.spi = sa->p->spi;
		m.u.lease.used = a;
		m.u.lease.limit = b;
		events_send(e, &m);
	}
	if (esp_sa_replay_report_due(sa->esp, &a)) {
		m.type = ENGINE_FROM_REPLAY_REPORT;
		m.u.replay.spi = sa->p->spi;
		m.u.replay.highest = a;
		events_send(e, &m);
	}
	ev = esp_sa_lifetime_poll(sa->esp, &a);
	if (ev != ESP_LIFE_NONE) {
		m.type = ENGINE_FROM_LIFETIME;
		m.u.life.spi = sa->p->spi;
		m.u.life.inbound = sa->p->inbound;
		m.u.life.hard = ev == ESP_LIFE_HARD;
		m.u.life.bytes = a;
		events_send(e, &m);
		log_info("SA %s SPI 0x%08x reached its %s byte lifetime (%llu bytes)",
		         sa->p->inbound ? "in" : "out", sa->p->spi, m.u.life.hard ? "hard" : "soft",
		         (unsigned long long)a);
	}
}

void
engine_io_touch(struct engine *e, struct engine_io *io, struct engine_sa *sa)
{
	for (unsigned i = io->ntouched; i > 0; i--) {
		if (io->touched[i - 1] == sa)
			return;
	}
	if (io->ntouched == ENGINE_TOUCHED) {
		engine_sa_events(e, sa);
		return;
	}
	io->touched[io->ntouched++] = sa;
}

void
engine_io_events(struct engine *e, struct engine_io *io)
{
	for (unsigned i = 0; i < io->ntouched; i++)
		engine_sa_events(e, io->touched[i]);
	io->ntouched = 0;
}
