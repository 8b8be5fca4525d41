/* SPDX-License-Identifier: MIT */
/*
 * tandem-engine without tandemd: this test plays tandemd's part over a socketpair (fd 3 of a
 * real engine process) and the remote gateway's over UDP on loopback, with node/esp as the
 * peer's crypto. Checked: Ready and Acks, heartbeats and their period, IKE forwarding and
 * keepalives, drop counters, replay reports, and (as root, with /dev/net/tun, in a private
 * network namespace) ESP through the engine in both directions, LeaseRequest at the refill
 * share, grants, exhaustion, selector-based SA choice, fragmentation and ICMP for the tunnel
 * MTU, and that a killed engine's outbound numbers never repeat after reinstall at the
 * granted limit. Without root or TUN those parts are skipped, not passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "node/esp/esp_sa.h"
#include "tests/unit/engine/engine_harness.h"

#define SPI_IN   0x1001u /* peer -> engine */
#define SPI_OUT  0x2001u /* engine -> peer, to 10.99.0.2 */
#define SPI_OUT2 0x2002u /* engine -> peer, to 10.99.0.3-4, tunnel MTU 600 */

static bool have_tun;

struct rig {
	struct eh_engine e;
	int sock;      /* the engine's "port 4500" socket; this copy stays with the test */
	uint16_t port; /* its port */
	int peer;      /* the remote gateway's socket */
	uint16_t peer_port;
	struct esp_sa *p_tx;  /* peer's twin of the engine's inbound SA */
	struct esp_sa *p_rx;  /* peer's twin of SPI_OUT */
	struct esp_sa *p_rx2; /* peer's twin of SPI_OUT2 */
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- SA parameters shared by both sides --------------------------------------------------- */

static void
sa_params(struct esp_sa_params *p, uint32_t spi, bool inbound, const struct rig *r)
{
	uint8_t key[64];

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(spi + i * 3);
	p->spi = spi;
	p->inbound = inbound;
	snprintf(p->tunnel, sizeof(p->tunnel), "t1");
	p->encr = spi == SPI_OUT2 ? CFG_ENCR_AES256_CBC : CFG_ENCR_AES128_GCM16;
	p->integ = spi == SPI_OUT2 ? CFG_INTEG_HMAC_SHA2_256_128 : CFG_INTEG_NONE;
	assert_int_equal(secret_set(&p->enc_key, key, cfg_encr_info(p->encr)->key_len), 0);
	assert_int_equal(secret_set(&p->integ_key, key + 7, cfg_integ_info(p->integ)->key_len), 0);
	p->replay_window = 64;
	p->family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", p->local);
	inet_pton(AF_INET, "127.0.0.1", p->remote);
	p->udp_encap = true;
	p->local_port = r->port;
	p->remote_port = r->peer_port;
	p->seq_start = inbound ? 0 : 1;
	p->lease_limit = inbound ? 0 : 1000000;
	if (spi == SPI_OUT || spi == SPI_OUT2) {
		p->nts_remote = 1;
		p->ts_remote[0].family = AF_INET;
		inet_pton(AF_INET, spi == SPI_OUT ? "10.99.0.2" : "10.99.0.3",
		          p->ts_remote[0].start);
		inet_pton(AF_INET, spi == SPI_OUT ? "10.99.0.2" : "10.99.0.4", p->ts_remote[0].end);
		p->ts_remote[0].eport = 65535;
	}
	if (spi == SPI_OUT2)
		p->mtu = 600; /* above Linux's min_pmtu (552), so the ICMP is taken as it is */
}

/* The peer's twin: same keys, the other direction. */
static struct esp_sa *
peer_sa(uint32_t spi, bool inbound, const struct rig *r)
{
	struct esp_sa_opts o = {.nslots = 1, .lease_refill_pct = 50};
	struct esp_sa_params p;
	struct esp_sa *sa;

	sa_params(&p, spi, !inbound, r);
	p.inbound = inbound;
	/* the peer sees the selectors the other way round */
	p.nts_local = p.nts_remote;
	p.nts_remote = 0;
	memcpy(p.ts_local, p.ts_remote, sizeof(p.ts_local));
	p.seq_start = inbound ? 0 : 1;
	p.lease_limit = UINT64_MAX;
	assert_int_equal(esp_sa_new(&p, &o, &sa), 0);
	esp_sa_params_clear(&p);
	return sa;
}

static int
install(struct rig *r, uint32_t spi, bool inbound, uint64_t seq_start, uint64_t limit)
{
	struct engine_to m = {.type = ENGINE_TO_INSTALL_SA};
	int rc;

	sa_params(&m.u.sa, spi, inbound, r);
	if (!inbound) {
		m.u.sa.seq_start = seq_start;
		m.u.sa.lease_limit = limit;
	}
	rc = eh_request(&r->e, &m, -1);
	esp_sa_params_clear(&m.u.sa);
	return rc;
}

/* ---- rig ---------------------------------------------------------------------------------- */

static void
rig_start(struct rig *r, uint32_t hb, uint32_t report, uint32_t workers)
{
	struct engine_to m = {.type = ENGINE_TO_ATTACH_SOCKET};

	assert_int_equal(eh_spawn(&r->e, TANDEM_ENGINE_PATH, NULL), 0);
	assert_int_equal(eh_hello(&r->e, hb, 50, report, workers), (int)workers);
	m.u.sock.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", m.u.sock.addr);
	m.u.sock.port = r->port;
	assert_int_equal(eh_request(&r->e, &m, r->sock), 0);
}

static void
rig_init(struct rig *r, uint32_t hb, uint32_t report, uint32_t workers)
{
	memset(r, 0, sizeof(*r));
	r->sock = eh_udp(AF_INET, "127.0.0.1", 0, &r->port);
	r->peer = eh_udp(AF_INET, "127.0.0.1", 0, &r->peer_port);
	assert_true(r->sock >= 0 && r->peer >= 0);
	rig_start(r, hb, report, workers);
	r->p_tx = peer_sa(SPI_IN, false, r);
	r->p_rx = peer_sa(SPI_OUT, true, r);
	r->p_rx2 = peer_sa(SPI_OUT2, true, r);
}

static void
rig_fini(struct rig *r, bool graceful)
{
	if (graceful) {
		struct engine_to m = {.type = ENGINE_TO_SHUTDOWN};

		assert_int_equal(eh_request(&r->e, &m, -1), 0);
		assert_int_equal(eh_stop(&r->e, false), 0);
	} else {
		eh_stop(&r->e, true);
	}
	esp_sa_free(r->p_tx);
	esp_sa_free(r->p_rx);
	esp_sa_free(r->p_rx2);
	close(r->sock);
	close(r->peer);
}

static void
peer_send_raw(struct rig *r, const void *p, size_t len)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(r->port)};

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	assert_int_equal(sendto(r->peer, p, len, 0, (struct sockaddr *)&to, sizeof(to)),
	                 (ssize_t)len);
}

static uint16_t
ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The UDP checksum over pseudo-header and datagram: 0 (folded) when it is right. */
static uint16_t
udp_csum(const uint8_t *ip, size_t len)
{
	uint32_t s = 17 + (uint32_t)(len - 20);

	for (size_t i = 12; i < 20; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	for (size_t i = 20; i < len; i += 2)
		s += (uint32_t)(ip[i] << 8 | (i + 1 < len ? ip[i + 1] : 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An IPv4/UDP packet (no UDP checksum) of `payload` bytes of value `fill`. */
static size_t
inner_udp(uint8_t *p, const char *src, const char *dst, uint16_t dport, size_t payload,
          uint8_t fill)
{
	size_t len = 28 + payload;
	uint16_t c;

	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	c = ip_csum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	p[20] = 0x15;
	p[21] = 0xb3; /* source port 5555 */
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[24] = (uint8_t)((len - 20) >> 8);
	p[25] = (uint8_t)(len - 20);
	memset(p + 28, fill, payload);
	return len;
}

/* The peer encapsulates an inner packet and sends it to the engine. Returns the ESP copy. */
static size_t
peer_send_esp(struct rig *r, const uint8_t *inner, size_t len, uint8_t *copy)
{
	static uint8_t mem[4096];
	struct esp_pkt pkt = {mem + 128, len, 128, sizeof(mem) - 128 - len};

	memcpy(pkt.data, inner, len);
	assert_int_equal(esp_encap(r->p_tx, 0, &pkt), ESP_DROP_NONE);
	if (copy)
		memcpy(copy, pkt.data, pkt.len);
	peer_send_raw(r, pkt.data, pkt.len);
	return pkt.len;
}

/* Waits for one datagram at the peer; returns its length or -ETIMEDOUT. */
static ssize_t
peer_recv(struct rig *r, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct pollfd pf = {r->peer, POLLIN, 0};

	if (poll(&pf, 1, timeout_ms) <= 0)
		return -ETIMEDOUT;
	return recv(r->peer, buf, cap, 0);
}

static uint64_t
stats_drop(struct rig *r, const char *reason)
{
	struct engine_to m = {.type = ENGINE_TO_QUERY_STATS};
	struct engine_from s;
	uint64_t req = eh_send(&r->e, &m, -1), c = 0;

	assert_int_equal(eh_wait(&r->e, ENGINE_FROM_STATS, req, 3000, &s), 0);
	for (size_t i = 0; i < s.u.stats.ndrops; i++) {
		if (strcmp(s.u.stats.drops[i].reason, reason) == 0)
			c = s.u.stats.drops[i].count;
	}
	engine_from_clear(&s);
	assert_int_equal(eh_wait(&r->e, ENGINE_FROM_ACK, req, 3000, NULL), 0);
	return c;
}

/* ---- tests without privileges -------------------------------------------------------------- */

static void
test_hello_first_and_shutdown(void **state)
{
	struct engine_to m = {.type = ENGINE_TO_DELETE_SA};
	struct eh_engine e;

	(void)state;
	assert_int_equal(eh_spawn(&e, TANDEM_ENGINE_PATH, NULL), 0);
	m.u.del.spi = 5;
	assert_int_equal(eh_request(&e, &m, -1), EPROTO); /* docs/engine.md: Hello first */
	assert_int_equal(eh_hello(&e, 20, 50, 0, 1), 1);
	memset(&m, 0, sizeof(m));
	m.type = ENGINE_TO_HELLO;
	assert_int_equal(eh_request(&e, &m, -1), EALREADY);
	memset(&m, 0, sizeof(m));
	m.type = ENGINE_TO_SHUTDOWN;
	assert_int_equal(eh_request(&e, &m, -1), 0);
	assert_int_equal(eh_stop(&e, false), 0);
}

/* The engine stops when tandemd goes away: it never outlives its supervisor. */
static void
test_channel_close_stops(void **state)
{
	struct eh_engine e;

	(void)state;
	assert_int_equal(eh_spawn(&e, TANDEM_ENGINE_PATH, NULL), 0);
	assert_int_equal(eh_hello(&e, 20, 50, 0, 2), 2);
	shutdown(e.chan, SHUT_RDWR);
	assert_int_equal(eh_stop(&e, false), 0);
}

static void
test_heartbeats(void **state)
{
	struct eh_engine e;
	struct engine_from m;
	uint64_t t0, last = 0, prev_seq = 0, gaps = 0, maxgap = 0;
	unsigned n = 0;

	(void)state;
	assert_int_equal(eh_spawn(&e, TANDEM_ENGINE_PATH, NULL), 0);
	assert_int_equal(eh_hello(&e, 20, 50, 0, 2), 2);
	t0 = now_ms();
	while (now_ms() - t0 < 1000) {
		uint64_t t;

		assert_int_equal(eh_wait(&e, ENGINE_FROM_HEARTBEAT, 0, 500, &m), 0);
		t = now_ms();
		if (prev_seq)
			assert_int_equal(m.u.hb.seq, prev_seq + 1);
		prev_seq = m.u.hb.seq;
		if (last) {
			gaps += t - last;
			if (t - last > maxgap)
				maxgap = t - last;
		}
		last = t;
		n++;
	}
	/* 20 ms period: about 50 in a second, no gap anywhere near 3 periods */
	print_message("heartbeats: %u in 1 s, mean gap %.1f ms, max gap %llu ms\n", n,
	              n > 1 ? (double)gaps / (n - 1) : 0.0, (unsigned long long)maxgap);
	assert_true(n >= 40 && n <= 55);
	assert_true(maxgap < 60);
	eh_stop(&e, true);
}

static void
test_acks(void **state)
{
	struct engine_to m = {.type = ENGINE_TO_INSTALL_SA};
	struct engine_from s;
	struct rig r;
	uint64_t req;

	(void)state;
	rig_init(&r, 20, 0, 1);
	assert_int_equal(install(&r, SPI_IN, true, 0, 0), 0);
	assert_int_equal(install(&r, SPI_OUT, false, 1, 100), 0);
	/* a key of the wrong length */
	sa_params(&m.u.sa, 0x3001, true, &r);
	m.u.sa.enc_key.s_len--;
	assert_int_equal(eh_request(&r.e, &m, -1), EINVAL);
	m.u.sa.enc_key.s_len++;
	/* plain ESP: the engine speaks ESP in UDP only (RFC 3948) */
	m.req = 0;
	m.u.sa.udp_encap = false;
	assert_int_equal(eh_request(&r.e, &m, -1), EPROTONOSUPPORT);
	esp_sa_params_clear(&m.u.sa);
	memset(&m, 0, sizeof(m));
	m.type = ENGINE_TO_DELETE_SA;
	m.u.del.spi = 0x4444;
	assert_int_equal(eh_request(&r.e, &m, -1), ENOENT);
	memset(&m, 0, sizeof(m));
	m.type = ENGINE_TO_GRANT_LEASE;
	m.u.grant.spi = 0x4444;
	m.u.grant.limit = 5;
	assert_int_equal(eh_request(&r.e, &m, -1), ENOENT);
	m.req = 0;
	m.u.grant.spi = SPI_OUT;
	m.u.grant.limit = 500;
	assert_int_equal(eh_request(&r.e, &m, -1), 0);
	memset(&m, 0, sizeof(m));
	m.type = ENGINE_TO_QUERY_STATS;
	req = eh_send(&r.e, &m, -1);
	assert_int_equal(eh_wait(&r.e, ENGINE_FROM_STATS, req, 3000, &s), 0);
	assert_int_equal(s.u.stats.nsa, 2);
	for (size_t i = 0; i < s.u.stats.nsa; i++) {
		if (!s.u.stats.sa[i].inbound)
			assert_int_equal(s.u.stats.sa[i].lease_limit, 500);
	}
	engine_from_clear(&s);
	assert_int_equal(eh_wait(&r.e, ENGINE_FROM_ACK, req, 3000, NULL), 0);
	memset(&m, 0, sizeof(m));
	m.type = ENGINE_TO_DELETE_SA;
	m.u.del.spi = SPI_IN;
	m.u.del.inbound = true;
	assert_int_equal(eh_request(&r.e, &m, -1), 0);
	rig_fini(&r, true);
}

/* Non-ESP-marker datagrams go to tandemd, keepalives are consumed, the rest is counted. */
static void
test_ike_forwarding(void **state)
{
	static const uint8_t ike[] = "\0\0\0\0IKE_SA_INIT bytes";
	const uint8_t ka = 0xff, runt[3] = {1, 2, 3};
	uint8_t unknown[40] = {0, 0, 0x77, 0x77, 0, 0, 0, 1};
	struct engine_from m;
	struct rig r;

	(void)state;
	rig_init(&r, 20, 0, 2);
	peer_send_raw(&r, ike, sizeof(ike) - 1);
	assert_int_equal(eh_wait(&r.e, ENGINE_FROM_IKE_PACKET, 0, 3000, &m), 0);
	assert_int_equal(m.u.ike.len, sizeof(ike) - 1 - 4);
	assert_memory_equal(m.u.ike.data, ike + 4, m.u.ike.len);
	assert_int_equal(m.u.ike.src.port, r.peer_port);
	assert_int_equal(m.u.ike.dst.port, r.port);
	assert_int_equal(m.u.ike.src.family, AF_INET);
	engine_from_clear(&m);
	peer_send_raw(&r, &ka, 1);
	peer_send_raw(&r, runt, sizeof(runt));
	peer_send_raw(&r, unknown, sizeof(unknown));
	usleep(100000);
	assert_int_equal(stats_drop(&r, "malformed"), 1);
	assert_int_equal(stats_drop(&r, "no_sa"), 1);
	assert_int_equal(eh_wait(&r.e, ENGINE_FROM_IKE_PACKET, 0, 200, NULL), -ETIMEDOUT);
	rig_fini(&r, true);
}

/* IPv6 outside: an [::1]:port socket, IKE forwarded with IPv6 addresses, ESP accepted. */
static void
test_ipv6_outer(void **state)
{
	static const uint8_t ike[] = "\0\0\0\0IKE over IPv6";
	struct engine_to m = {.type = ENGINE_TO_ATTACH_SOCKET};
	struct esp_sa_opts o = {.nslots = 1};
	static uint8_t mem[4096];
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	uint8_t loop6[16] = {0};
	struct engine_from f;
	struct esp_sa *tx;
	struct eh_engine e;
	uint16_t port, pport;
	int sock = eh_udp(AF_INET6, "::1", 0, &port), peer = eh_udp(AF_INET6, "::1", 0, &pport);
	struct rig r = {.port = port, .peer_port = pport};
	struct esp_pkt pkt = {mem + 128, 0, 128, sizeof(mem) - 256};

	(void)state;
	if (sock < 0 || peer < 0)
		skip(); /* no IPv6 loopback here */
	loop6[15] = 1;
	assert_int_equal(eh_spawn(&e, TANDEM_ENGINE_PATH, NULL), 0);
	assert_int_equal(eh_hello(&e, 20, 50, 2, 1), 1);
	m.u.sock.family = AF_INET6;
	memcpy(m.u.sock.addr, loop6, 16);
	m.u.sock.port = port;
	assert_int_equal(eh_request(&e, &m, sock), 0);
	/* the SAs: IPv6 outer addresses, otherwise as the IPv4 ones */
	memset(&m, 0, sizeof(m));
	m.type = ENGINE_TO_INSTALL_SA;
	sa_params(&m.u.sa, SPI_IN, true, &r);
	m.u.sa.family = AF_INET6;
	memcpy(m.u.sa.local, loop6, 16);
	memcpy(m.u.sa.remote, loop6, 16);
	assert_int_equal(eh_request(&e, &m, -1), 0);
	m.u.sa.inbound = false;
	m.u.sa.seq_start = 1;
	m.u.sa.lease_limit = 100;
	assert_int_equal(esp_sa_new(&m.u.sa, &o, &tx), 0);
	esp_sa_params_clear(&m.u.sa);
	to.sin6_port = htons(port);
	assert_int_equal(sendto(peer, ike, sizeof(ike) - 1, 0, (struct sockaddr *)&to, sizeof(to)),
	                 (ssize_t)sizeof(ike) - 1);
	assert_int_equal(eh_wait(&e, ENGINE_FROM_IKE_PACKET, 0, 3000, &f), 0);
	assert_int_equal(f.u.ike.src.family, AF_INET6);
	assert_memory_equal(f.u.ike.src.addr, loop6, 16);
	assert_int_equal(f.u.ike.src.port, pport);
	assert_memory_equal(f.u.ike.dst.addr, loop6, 16);
	engine_from_clear(&f);
	for (int i = 0; i < 2; i++) {
		pkt.data = mem + 128;
		pkt.len = inner_udp(pkt.data, "10.99.0.2", "10.99.0.1", 7777, 64, 1);
		pkt.headroom = 128;
		pkt.tailroom = sizeof(mem) - 256;
		assert_int_equal(esp_encap(tx, 0, &pkt), ESP_DROP_NONE);
		assert_int_equal(
		        sendto(peer, pkt.data, pkt.len, 0, (struct sockaddr *)&to, sizeof(to)),
		        (ssize_t)pkt.len);
	}
	assert_int_equal(eh_wait(&e, ENGINE_FROM_REPLAY_REPORT, 0, 3000, &f), 0);
	assert_int_equal(f.u.replay.highest, 1);
	assert_int_equal(eh_wait(&e, ENGINE_FROM_REPLAY_REPORT, 0, 3000, &f), 0);
	assert_int_equal(f.u.replay.highest, 2);
	esp_sa_free(tx);
	eh_stop(&e, true);
	close(sock);
	close(peer);
}

/* Verified packets move ReplayReport; a replayed one is a duplicate; no tunnel: counted. */
static void
test_replay_reports(void **state)
{
	static uint8_t copy[9][2048];
	uint8_t inner[200];
	size_t clen[9], n;
	struct engine_from m;
	uint64_t hi;
	struct rig r;

	(void)state;
	rig_init(&r, 20, 4, 1);
	assert_int_equal(install(&r, SPI_IN, true, 0, 0), 0);
	n = inner_udp(inner, "10.99.0.2", "10.99.0.1", 7777, 100, 0xab);
	for (int i = 0; i < 9; i++)
		clen[i] = peer_send_esp(&r, inner, n, copy[i]);
	/* checked after every packet, even within one batch: every report_every / 2 numbers */
	for (hi = 2; hi <= 8; hi += 2) {
		assert_int_equal(eh_wait(&r.e, ENGINE_FROM_REPLAY_REPORT, 0, 3000, &m), 0);
		assert_int_equal(m.u.replay.spi, SPI_IN);
		assert_int_equal(m.u.replay.highest, hi);
	}
	for (int i = 0; i < 4; i++)
		peer_send_esp(&r, inner, n, NULL); /* numbers 10 to 13 */
	assert_int_equal(eh_wait(&r.e, ENGINE_FROM_REPLAY_REPORT, 0, 3000, &m), 0);
	assert_int_equal(m.u.replay.highest, 10);
	assert_int_equal(eh_wait(&r.e, ENGINE_FROM_REPLAY_REPORT, 0, 3000, &m), 0);
	assert_int_equal(m.u.replay.highest, 12);
	peer_send_raw(&r, copy[2], clen[2]); /* number 3 again */
	peer_send_esp(&r, inner, n, NULL);   /* number 14 */
	{
		static uint8_t mem[4096];
		struct esp_pkt pkt = {mem + 128, n, 128, sizeof(mem) - 256};

		memcpy(pkt.data, inner, n);
		assert_int_equal(esp_encap(r.p_tx, 0, &pkt), ESP_DROP_NONE); /* number 15 */
		pkt.data[pkt.len - 1] ^= 1;                                  /* forged */
		peer_send_raw(&r, pkt.data, pkt.len);
	}
	usleep(100000);
	assert_int_equal(stats_drop(&r, "replay_duplicate"), 1);
	assert_int_equal(stats_drop(&r, "auth_failed"), 1);
	assert_int_equal(stats_drop(&r, "no_tunnel"), 14);
	rig_fini(&r, true);
}

/* ---- with a TUN device -------------------------------------------------------------------- */

struct tunrig {
	struct rig r;
	bool vnet; /* the device carries virtio headers (offloads) */
	int tun;   /* the device (this copy stays with the test, so it survives an engine) */
	int app;   /* a UDP socket of "the LAN side", bound to the TUN address */
	uint8_t seen[4096]; /* outbound numbers the peer received */
};

static void
tun_attach(struct tunrig *t)
{
	struct engine_to m = {.type = ENGINE_TO_ATTACH_TUN};

	snprintf(m.u.tun.tunnel, sizeof(m.u.tun.tunnel), "t1");
	snprintf(m.u.tun.ifname, sizeof(m.u.tun.ifname), "tdmtest0");
	m.u.tun.vnet_hdr = t->vnet;
	assert_int_equal(eh_request(&t->r.e, &m, t->tun), 0);
}

static void
app_send(struct tunrig *t, const char *dst, uint16_t port, size_t len, int pmtudisc)
{
	static uint8_t buf[2000];
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, dst, &to.sin_addr);
	memset(buf, 0x5a, len);
	assert_int_equal(
	        setsockopt(t->app, IPPROTO_IP, IP_MTU_DISCOVER, &pmtudisc, sizeof(pmtudisc)), 0);
	(void)sendto(t->app, buf, len, 0, (struct sockaddr *)&to, sizeof(to));
}

/* Receives one ESP datagram at the peer and decapsulates it; returns its number (0: none). */
static uint64_t
peer_take(struct tunrig *t, struct esp_inner *in, uint8_t *buf)
{
	ssize_t n = peer_recv(&t->r, buf, 4096, 2000);
	uint32_t spi;
	struct esp_sa *sa;

	if (n <= 0)
		return 0;
	assert_true(esp_pkt_spi(buf, (size_t)n, &spi));
	sa = spi == SPI_OUT ? t->r.p_rx : t->r.p_rx2;
	assert_int_equal(esp_decap(sa, 0, buf, (size_t)n, in), ESP_DROP_NONE);
	/*
	 * Linux always sends IPv4 UDP with a checksum; with offloads it leaves the sum to the
	 * device (the engine) to complete: it must be there and right either way
	 */
	if (in->data[9] == 17 && (in->data[6] & 0x3f) == 0 && in->data[7] == 0) {
		assert_true(in->data[26] | in->data[27]);
		assert_int_equal(udp_csum(in->data, in->len), 0);
	}
	if (spi == SPI_OUT) {
		assert_true(in->seq < sizeof(t->seen));
		assert_int_equal(t->seen[in->seq], 0); /* never the same number twice */
		t->seen[in->seq] = 1;
	}
	return in->seq;
}

static void
check_inbound(struct tunrig *t)
{
	uint8_t inner[300], got[300];
	size_t n = inner_udp(inner, "10.99.0.2", "10.99.0.1", 7777, 123, 0x3c);
	struct pollfd pf = {t->app, POLLIN, 0};

	peer_send_esp(&t->r, inner, n, NULL);
	assert_int_equal(poll(&pf, 1, 2000), 1);
	assert_int_equal(recv(t->app, got, sizeof(got), 0), 123);
	assert_int_equal(got[0], 0x3c);
	assert_int_equal(got[122], 0x3c);
}

/* Lease [1, 11): numbers 1..10, one LeaseRequest at half; then exhausted until a grant. */
static void
check_leases(struct tunrig *t)
{
	static uint8_t buf[4096];
	struct engine_to g = {.type = ENGINE_TO_GRANT_LEASE};
	struct engine_from m;
	struct esp_inner in;

	for (uint64_t k = 1; k <= 12; k++) {
		app_send(t, "10.99.0.2", 6666, 100, IP_PMTUDISC_DONT);
		if (k <= 10) {
			assert_int_equal(peer_take(t, &in, buf), k);
			assert_int_equal(in.len, 128);
		}
	}
	assert_int_equal(peer_recv(&t->r, buf, sizeof(buf), 200), -ETIMEDOUT);
	assert_int_equal(eh_wait(&t->r.e, ENGINE_FROM_LEASE_REQUEST, 0, 2000, &m), 0);
	assert_int_equal(m.u.lease.spi, SPI_OUT);
	assert_int_equal(m.u.lease.used, 5);
	assert_int_equal(m.u.lease.limit, 11);
	assert_int_equal(eh_wait(&t->r.e, ENGINE_FROM_LEASE_REQUEST, 0, 300, NULL), -ETIMEDOUT);
	assert_int_equal(stats_drop(&t->r, "lease_exhausted"), 2);
	g.u.grant.spi = SPI_OUT;
	g.u.grant.limit = 31;
	assert_int_equal(eh_request(&t->r.e, &g, -1), 0);
	for (uint64_t k = 11; k <= 15; k++) {
		app_send(t, "10.99.0.2", 6666, 100, IP_PMTUDISC_DONT);
		assert_int_equal(peer_take(t, &in, buf), k);
	}
}

/* Tunnel MTU 600 (SPI_OUT2, chosen by its selectors): fragments without DF, ICMP with DF. */
static void
check_mtu(struct tunrig *t)
{
	static uint8_t buf[4096];
	struct esp_inner in;
	int mtu = 0;
	socklen_t ml = sizeof(mtu);
	int c;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};

	app_send(t, "10.99.0.3", 6666, 700, IP_PMTUDISC_DONT);
	assert_int_equal(peer_take(t, &in, buf), 1);
	assert_int_equal(in.len, 596); /* 20 + 576: the data of a fragment is a multiple of 8 */
	assert_int_equal(in.data[6] & 0x20, 0x20); /* MF */
	assert_int_equal(peer_take(t, &in, buf), 2);
	assert_int_equal(in.len, 20 + 728 - 20 - 576);
	assert_int_equal((in.data[6] << 8 | in.data[7]) & 0x1fff, 576 / 8);
	assert_int_equal(in.data[6] & 0x20, 0);
	/* with DF: no ESP, an ICMP Fragmentation Needed that lowers this host's PMTU to 600 */
	app_send(t, "10.99.0.4", 6666, 700, IP_PMTUDISC_DO);
	assert_int_equal(peer_recv(&t->r, buf, sizeof(buf), 300), -ETIMEDOUT);
	c = socket(AF_INET, SOCK_DGRAM, 0);
	inet_pton(AF_INET, "10.99.0.4", &to.sin_addr);
	assert_int_equal(connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(getsockopt(c, IPPROTO_IP, IP_MTU, &mtu, &ml), 0);
	close(c);
	assert_int_equal(mtu, 600);
	assert_int_equal(stats_drop(&t->r, "too_big"), 1);
}

/* The engine dies; a new one is installed at the last granted limit (31): no number reused. */
static void
check_restart(struct tunrig *t)
{
	static uint8_t buf[4096];
	struct engine_to m = {.type = ENGINE_TO_ATTACH_SOCKET};
	struct esp_inner in;

	eh_stop(&t->r.e, true);
	assert_int_equal(eh_spawn(&t->r.e, TANDEM_ENGINE_PATH, NULL), 0);
	assert_int_equal(eh_hello(&t->r.e, 20, 50, 0, 2), 2);
	m.u.sock.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", m.u.sock.addr);
	m.u.sock.port = t->r.port;
	assert_int_equal(eh_request(&t->r.e, &m, t->r.sock), 0);
	tun_attach(t);
	assert_int_equal(install(&t->r, SPI_IN, true, 0, 0), 0);
	assert_int_equal(install(&t->r, SPI_OUT, false, 31, 51), 0);
	for (int k = 0; k < 20; k++) {
		uint64_t s;

		app_send(t, "10.99.0.2", 6666, 100, IP_PMTUDISC_DONT);
		s = peer_take(t, &in, buf);
		assert_true(s >= 31 && s < 51);
	}
	check_inbound(t);
}

static void
run_tunnel(bool vnet)
{
	struct tunrig *t;

	if (!have_tun)
		skip();
	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->vnet = vnet;
	t->tun = eh_tun("tdmtest0", "10.99.0.1", 24, 1500, vnet);
	assert_true(t->tun >= 0);
	t->app = eh_udp(AF_INET, "10.99.0.1", 7777, NULL);
	assert_true(t->app >= 0);
	rig_init(&t->r, 20, 0, 2);
	tun_attach(t);
	assert_int_equal(install(&t->r, SPI_IN, true, 0, 0), 0);
	assert_int_equal(install(&t->r, SPI_OUT, false, 1, 11), 0);
	assert_int_equal(install(&t->r, SPI_OUT2, false, 1, 1000), 0);
	check_inbound(t);
	check_leases(t);
	check_mtu(t);
	check_restart(t);
	rig_fini(&t->r, true);
	close(t->app);
	close(t->tun);
	free(t);
}

static void
test_tunnel(void **state)
{
	(void)state;
	run_tunnel(false);
}

/* The same through a device with virtio headers: offloads, partial checksums, joined writes. */
static void
test_tunnel_vnet(void **state)
{
	(void)state;
	run_tunnel(true);
}

static int
group_setup(void **state)
{
	(void)state;
	have_tun = eh_can_tun() && eh_netns() == 0;
	if (!have_tun)
		print_message("no root or no /dev/net/tun: the TUN tests are skipped\n");
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hello_first_and_shutdown),
	        cmocka_unit_test(test_channel_close_stops),
	        cmocka_unit_test(test_heartbeats),
	        cmocka_unit_test(test_acks),
	        cmocka_unit_test(test_ike_forwarding),
	        cmocka_unit_test(test_ipv6_outer),
	        cmocka_unit_test(test_replay_reports),
	        cmocka_unit_test(test_tunnel),
	        cmocka_unit_test(test_tunnel_vnet),
	};

	return cmocka_run_group_tests_name("engine", tests, group_setup, NULL);
}
