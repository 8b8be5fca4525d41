/* SPDX-License-Identifier: MIT */
/*
 * engine_lab: one side of a tandem-engine tunnel without tandemd, for throughput runs
 * (engine_lab.sh puts two of them in two network namespaces and runs iperf3 through them).
 * It plays tandemd: makes the TUN device and the UDP socket, starts the engine, attaches
 * them, installs the two SAs (keys derived from the SPIs, so both sides agree), answers
 * LeaseRequest with grants, and stops the engine on SIGTERM/SIGINT. Built, not run by CTest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "node/config/cfg.h"
#include "tests/unit/engine/engine_harness.h"

struct lab {
	const char *engine, *local, *remote, *tun, *tun_addr, *encr, *integ;
	unsigned prefix, workers, mtu, queues;
	uint32_t spi_out, spi_in;
	bool vnet, no_gro, no_gso, no_tso, no_tun_gro, esn;
	uint64_t lease;
};

static volatile sig_atomic_t lab_stop;

static void
on_sig(int s)
{
	(void)s;
	lab_stop = 1;
}

static int
lab_algo(const char *e, const char *i, enum cfg_encr *ee, enum cfg_integ *ii)
{
	*ee = CFG_ENCR_COUNT;
	*ii = CFG_INTEG_NONE;
	for (unsigned k = 0; k < CFG_ENCR_COUNT; k++) {
		if (strcmp(cfg_encr_info((enum cfg_encr)k)->name, e) == 0)
			*ee = (enum cfg_encr)k;
	}
	for (unsigned k = 0; i && k < CFG_INTEG_COUNT; k++) {
		if (strcmp(cfg_integ_info((enum cfg_integ)k)->name, i) == 0)
			*ii = (enum cfg_integ)k;
	}
	return *ee == CFG_ENCR_COUNT ? -EINVAL : 0;
}

static int
lab_install(struct eh_engine *e, const struct lab *l, uint32_t spi, bool inbound)
{
	struct engine_to m = {.type = ENGINE_TO_INSTALL_SA};
	struct esp_sa_params *p = &m.u.sa;
	uint8_t key[64];
	int rc;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)((size_t)spi * 7u + i * 13u);
	p->spi = spi;
	p->inbound = inbound;
	snprintf(p->tunnel, sizeof(p->tunnel), "lab");
	if (lab_algo(l->encr, l->integ, &p->encr, &p->integ) < 0)
		return -EINVAL;
	secret_set(&p->enc_key, key, cfg_encr_info(p->encr)->key_len);
	secret_set(&p->integ_key, key + 3, cfg_integ_info(p->integ)->key_len);
	p->esn = l->esn;
	p->replay_window = 1024;
	p->family = AF_INET;
	inet_pton(AF_INET, l->local, p->local);
	inet_pton(AF_INET, l->remote, p->remote);
	p->udp_encap = true;
	p->local_port = p->remote_port = 4500;
	p->seq_start = inbound ? 0 : 1;
	p->lease_limit = inbound ? 0 : l->lease;
	p->mtu = (uint16_t)l->mtu;
	rc = eh_request(e, &m, -1);
	esp_sa_params_clear(p);
	return rc;
}

static int
lab_setup(struct eh_engine *e, const struct lab *l)
{
	const char *extra[6] = {NULL};
	struct engine_to m = {.type = ENGINE_TO_ATTACH_SOCKET};
	int n = 0, sock, rc;

	if (l->no_gro)
		extra[n++] = "--no-gro";
	if (l->no_gso)
		extra[n++] = "--no-gso";
	if (l->no_tso)
		extra[n++] = "--no-tso";
	if (l->no_tun_gro)
		extra[n++] = "--no-tun-gro";
	sock = eh_udp(AF_INET, l->local, 4500, NULL);
	if (sock < 0 || eh_spawn(e, l->engine, extra) < 0)
		return -EIO;
	rc = eh_hello(e, 20, 50, 1024, l->workers);
	if (rc < 0)
		return rc;
	fprintf(stderr, "engine_lab: engine pid %d, %d worker(s)\n", (int)e->pid, rc);
	m.u.sock.family = AF_INET;
	inet_pton(AF_INET, l->local, m.u.sock.addr);
	m.u.sock.port = 4500;
	rc = eh_request(e, &m, sock);
	close(sock);
	for (unsigned q = 0; rc == 0 && q < l->queues; q++) {
		int fd = eh_tun_mq(l->tun, l->tun_addr, l->prefix, 1400, l->vnet, l->queues > 1);

		memset(&m, 0, sizeof(m));
		m.type = ENGINE_TO_ATTACH_TUN;
		snprintf(m.u.tun.tunnel, sizeof(m.u.tun.tunnel), "lab");
		snprintf(m.u.tun.ifname, sizeof(m.u.tun.ifname), "%s", l->tun);
		m.u.tun.vnet_hdr = l->vnet;
		rc = fd < 0 ? fd : eh_request(e, &m, fd);
		if (fd >= 0)
			close(fd);
	}
	if (rc == 0)
		rc = lab_install(e, l, l->spi_in, true);
	if (rc == 0)
		rc = lab_install(e, l, l->spi_out, false);
	return rc;
}

static uint64_t
lab_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Serves the channel: grants on request, until a signal; returns the largest heartbeat gap. */
static uint64_t
lab_serve(struct eh_engine *e, const struct lab *l)
{
	uint64_t last = 0, maxgap = 0;

	while (!lab_stop) {
		struct engine_from m;
		int rc = eh_wait(e, ENGINE_FROM_NONE, 0, 200, &m);

		if (rc == -ETIMEDOUT)
			continue;
		if (rc < 0)
			break;
		if (m.type == ENGINE_FROM_HEARTBEAT) {
			uint64_t now = lab_ms();

			if (last && now - last > maxgap)
				maxgap = now - last;
			last = now;
		}
		if (m.type == ENGINE_FROM_LEASE_REQUEST) {
			struct engine_to g = {.type = ENGINE_TO_GRANT_LEASE};

			g.u.grant.spi = m.u.lease.spi;
			g.u.grant.limit = m.u.lease.limit + l->lease;
			eh_send(e, &g, -1);
		}
		engine_from_clear(&m);
	}
	return maxgap;
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: engine_lab --engine PATH --local IP --remote IP --tun NAME --tun-addr A\n"
	        "       [--prefix 24] --spi-out N --spi-in N [--workers N] [--queues N] [--vnet]\n"
	        "       [--no-gro] [--no-gso] [--encr aes-128-gcm] [--integ none] [--esn]\n"
	        "       [--lease N] [--mtu N] [--no-tso] [--no-tun-gro]\n");
}

static int
lab_opts(int argc, char **argv, struct lab *l)
{
	static const struct option o[] = {
	        {"engine", 1, NULL, 'e'},  {"local", 1, NULL, 'l'},      {"remote", 1, NULL, 'r'},
	        {"tun", 1, NULL, 't'},     {"tun-addr", 1, NULL, 'a'},   {"prefix", 1, NULL, 'p'},
	        {"spi-out", 1, NULL, 'o'}, {"spi-in", 1, NULL, 'i'},     {"workers", 1, NULL, 'w'},
	        {"vnet", 0, NULL, 'v'},    {"no-gro", 0, NULL, 'G'},     {"no-gso", 0, NULL, 'S'},
	        {"encr", 1, NULL, 'E'},    {"integ", 1, NULL, 'I'},      {"esn", 0, NULL, 'N'},
	        {"lease", 1, NULL, 'L'},   {"mtu", 1, NULL, 'M'},        {"queues", 1, NULL, 'Q'},
	        {"no-tso", 0, NULL, 'T'},  {"no-tun-gro", 0, NULL, 'R'}, {NULL, 0, NULL, 0},
	};
	int c;

	*l = (struct lab){.prefix = 24,
	                  .workers = 1,
	                  .encr = "aes-128-gcm",
	                  .integ = "none",
	                  .lease = 1000000,
	                  .queues = 1};
	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'e':
			l->engine = optarg;
			break;
		case 'l':
			l->local = optarg;
			break;
		case 'r':
			l->remote = optarg;
			break;
		case 't':
			l->tun = optarg;
			break;
		case 'a':
			l->tun_addr = optarg;
			break;
		case 'p':
			l->prefix = (unsigned)atoi(optarg);
			break;
		case 'o':
			l->spi_out = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'i':
			l->spi_in = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'w':
			l->workers = (unsigned)atoi(optarg);
			break;
		case 'v':
			l->vnet = true;
			break;
		case 'G':
			l->no_gro = true;
			break;
		case 'S':
			l->no_gso = true;
			break;
		case 'E':
			l->encr = optarg;
			break;
		case 'I':
			l->integ = optarg;
			break;
		case 'N':
			l->esn = true;
			break;
		case 'L':
			l->lease = strtoull(optarg, NULL, 0);
			break;
		case 'M':
			l->mtu = (unsigned)atoi(optarg);
			break;
		case 'Q':
			l->queues = (unsigned)atoi(optarg);
			break;
		case 'T':
			l->no_tso = true;
			break;
		case 'R':
			l->no_tun_gro = true;
			break;
		default:
			return -EINVAL;
		}
	}
	return l->engine && l->local && l->remote && l->tun && l->tun_addr && l->spi_in &&
	                       l->spi_out
	               ? 0
	               : -EINVAL;
}

int
main(int argc, char **argv)
{
	struct eh_engine e;
	uint64_t maxgap;
	struct lab l;
	int rc;

	if (lab_opts(argc, argv, &l) < 0) {
		usage();
		return 2;
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	signal(SIGPIPE, SIG_IGN);
	rc = lab_setup(&e, &l);
	if (rc != 0) {
		fprintf(stderr, "engine_lab: setup failed: %s\n", strerror(rc < 0 ? -rc : rc));
		if (e.pid > 0)
			eh_stop(&e, true);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	maxgap = lab_serve(&e, &l);
	{
		struct engine_to m = {.type = ENGINE_TO_SHUTDOWN};

		(void)eh_request(&e, &m, -1);
	}
	eh_stop(&e, false);
	{
		struct rusage ru;

		/* the engine's CPU time, for CPU seconds per gigabit in engine_lab.sh */
		getrusage(RUSAGE_CHILDREN, &ru);
		printf("hbgap %llu\n", (unsigned long long)maxgap);
		printf("cpu %.3f %.3f\n", (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	}
	return 0;
}
