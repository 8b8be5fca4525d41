/* SPDX-License-Identifier: MIT */
/*
 * The engine supervisor against a fake engine (fake_engine.c speaks proto/engine.proto):
 * start and Ready, a hung engine (SIGSTOP) and a killed one (SIGKILL) detected within 100 ms
 * and restarted, restart back-off and its reset, SA reinstall with the right seq_start and
 * lease, the lease request -> grant flow, protocol errors, sockets (IKE forwarded by the
 * engine, read by tandemd while no engine runs), reloads, and - as root, in a network
 * namespace of this process's own - TUN devices with addresses and routes by cost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "node/config/cfg.h"
#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/eng/eng_sup.h"
#include "node/net/rt.h"

static char tmpdir[64], log_path[128], ctl_path[128];
static bool in_netns;

struct ctx {
	struct event_base *base;
	struct event *tick;
	struct eng_sup *sup;
	struct cfg *cfg;
	unsigned ups, downs, ike, replays, leases;
	enum eng_down_reason last_reason;
	uint64_t last_detect_ms, down_at_ms;
	uint32_t lease_spi;
	uint64_t lease_used, lease_limit;
	bool auto_grant;
	uint8_t ike_data[64];
	size_t ike_len;
};

/* ---- configuration ---------------------------------------------------------------------- */

static const char conf_fmt[] = "asp pool P1 service security\n"
                               "  asp 1/1\n"
                               "asp group G1\n"
                               "  pool P1\n"
                               "ipsec security-association sa1\n"
                               "  in\n"
                               "    esp spi 4097\n"
                               "    esp encryption aes-128-gcm key hex "
                               "000102030405060708090a0b0c0d0e0f10111213\n"
                               "  out\n"
                               "    esp spi 4098\n"
                               "    esp encryption aes-128-gcm key hex "
                               "101112131415161718191a1b1c1d1e1f20212223\n"
                               "context local\n"
                               "  asp-group G1 service security\n"
                               "  interface lo0 loopback\n"
                               "    ip address 127.0.0.2/32\n"
                               "  interface TI-1 ipsec\n"
                               "    ip address 169.254.1.1/30\n"
                               "  ip route 10.2.0.0/24 TI-1 cost %u\n"
                               "%s";
static const char tunnel_text[] = "tunnel ipsec t1 manual\n"
                                  "  peer-end-point local 127.0.0.2 remote 127.0.0.3\n"
                                  "  bind interface TI-1\n"
                                  "  seq 10 security-association sa1\n";

static struct cfg *
make_cfg(unsigned cost, bool with_tunnel)
{
	char text[2048];
	struct cfg_diags dg;
	struct cfg *cfg = NULL;
	int n = snprintf(text, sizeof(text), conf_fmt, cost, with_tunnel ? tunnel_text : "");

	cfg_diags_init(&dg);
	assert_int_equal(cfg_parse("test.conf", text, (size_t)n, NULL, &cfg, &dg), 0);
	cfg_diags_fini(&dg);
	return cfg;
}

/* ---- the fake engine's log and commands -------------------------------------------------- */

static unsigned
log_count(const char *needle)
{
	char line[512];
	unsigned n = 0;
	FILE *f = fopen(log_path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* The last log line containing needle, into out; false if none. */
static bool
log_last(const char *needle, char *out, size_t cap)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(log_path, "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, needle)) {
			snprintf(out, cap, "%s", line);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void
fake_cmd(const char *cmd)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	memcpy(sun.sun_path, ctl_path, strlen(ctl_path) + 1);
	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, cmd, strlen(cmd), 0, (struct sockaddr *)&sun, sizeof(sun)),
	                 (ssize_t)strlen(cmd));
	close(fd);
}

/* ---- events and the loop ---------------------------------------------------------------- */

static void
ev_up(void *arg, const char *group, unsigned restarts)
{
	struct ctx *c = arg;

	(void)group;
	(void)restarts;
	c->ups++;
}

static void
ev_down(void *arg, const char *group, enum eng_down_reason reason, uint64_t detect_ms)
{
	struct ctx *c = arg;

	(void)group;
	c->downs++;
	c->last_reason = reason;
	c->last_detect_ms = detect_ms;
	c->down_at_ms = clk_mono_ms();
}

static void
ev_lease(void *arg, uint32_t spi, uint64_t used, uint64_t limit)
{
	struct ctx *c = arg;

	c->leases++;
	c->lease_spi = spi;
	c->lease_used = used;
	c->lease_limit = limit;
	if (c->auto_grant)
		assert_int_equal(eng_lease_grant(c->sup, spi, used + 65536), 0);
}

static void
ev_replay(void *arg, uint32_t spi, uint64_t highest)
{
	struct ctx *c = arg;

	(void)spi;
	(void)highest;
	c->replays++;
}

static void
ev_ike(void *arg, const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
       const uint8_t *p, size_t len)
{
	struct ctx *c = arg;

	(void)src;
	(void)dst;
	c->ike++;
	c->ike_len = len < sizeof(c->ike_data) ? len : sizeof(c->ike_data);
	memcpy(c->ike_data, p, c->ike_len);
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Runs the loop until *counter reaches want or timeout_ms passes; returns whether it did. */
static bool
run_until(struct ctx *c, const unsigned *counter, unsigned want, uint64_t timeout_ms)
{
	uint64_t end = clk_mono_ms() + timeout_ms;

	while (*counter < want && clk_mono_ms() < end)
		event_base_loop(c->base, EVLOOP_ONCE);
	return *counter >= want;
}

static void
run_for(struct ctx *c, uint64_t ms)
{
	unsigned never = 0;

	(void)run_until(c, &never, 1, ms);
}

struct walk {
	struct eng_group_stats g;
	char tunnels[256];
	unsigned nsas;
	uint64_t no_engine, auth_failed, out_packets;
};

static void
walk_group(void *arg, const struct eng_group_stats *g)
{
	struct walk *w = arg;

	w->g = *g;
	snprintf(w->tunnels, sizeof(w->tunnels), "%s", g->tunnels);
	w->g.tunnels = w->tunnels;
}

static void
walk_sa(void *arg, const struct eng_sa_stats *s)
{
	struct walk *w = arg;

	w->nsas++;
	if (!s->inbound)
		w->out_packets = s->packets;
}

static void
walk_drop(void *arg, const char *reason, uint64_t count)
{
	struct walk *w = arg;

	if (strcmp(reason, "no_engine") == 0)
		w->no_engine = count;
	if (strcmp(reason, "auth_failed") == 0)
		w->auth_failed = count;
}

static void
walk(struct ctx *c, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	eng_sup_walk(c->sup, walk_group, walk_sa, walk_drop, w);
}

/* ---- fixtures --------------------------------------------------------------------------- */

static int
group_setup(void **state)
{
	struct rt_sock *rt = NULL;

	(void)state;
	log_init("test", LOG_DEST_STDERR, getenv("TEST_VERBOSE") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	/* as root: a network namespace of our own, so TUNs and sockets stay inside it */
	if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0 && rt_open(&rt) == 0) {
		in_netns = rt_link_set_up(rt, 1, true) == 0;
		rt_close(rt);
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tandem-eng-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(log_path, sizeof(log_path), "%s/fake.log", tmpdir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/fake.ctl", tmpdir);
	setenv("FAKE_ENGINE_LOG", log_path, 1);
	setenv("FAKE_ENGINE_CTL", ctl_path, 1);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	unlink(log_path);
	unlink(ctl_path);
	rmdir(tmpdir);
	return 0;
}

static int
setup(void **state)
{
	static const struct eng_sup_events ev = {
	        .engine_up = ev_up,
	        .engine_down = ev_down,
	        .lease_request = ev_lease,
	        .replay_report = ev_replay,
	        .ike_packet = ev_ike,
	};
	struct timeval tv = {.tv_sec = 0, .tv_usec = 5000};
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	unlink(log_path);
	unsetenv("FAKE_ENGINE_EXIT_AT_START");
	c->auto_grant = true;
	c->base = event_base_new();
	c->tick = event_new(c->base, -1, EV_PERSIST, tick, NULL);
	event_add(c->tick, &tv);
	assert_int_equal(eng_sup_new(c->base, FAKE_ENGINE_PATH, &ev, c, &c->sup), 0);
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	eng_sup_free(c->sup);
	cfg_free(c->cfg);
	event_free(c->tick);
	event_base_free(c->base);
	free(c);
	return 0;
}

/* Applies the standard configuration and waits for the engine to serve. */
static void
start_engine(struct ctx *c)
{
	c->cfg = make_cfg(5, true);
	assert_int_equal(eng_sup_apply(c->sup, c->cfg), 0);
	assert_true(run_until(c, &c->ups, 1, 3000));
	assert_true(eng_group_up(c->sup, "G1"));
}

static int
engine_pid(struct ctx *c)
{
	struct walk w;

	walk(c, &w);
	return w.g.pid;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void
test_start_ready(void **state)
{
	struct ctx *c = *state;
	struct walk w;
	char line[512];

	start_engine(c);
	walk(c, &w);
	assert_true(w.g.pid > 0);
	assert_string_equal(w.g.state, "up");
	assert_int_equal(w.g.restarts, 0);
	assert_int_equal(w.nsas, 2);
	assert_string_equal(w.tunnels, "t1 (TI-1)");
	assert_int_equal(log_count("start fd3=ok extra_fds=0"), 1);
	assert_int_equal(log_count("hello group=G1 hb=20 refill=50 rre=64 workers=1"), 1);
	/* outbound: a new SA starts at 1 with a lease the daemon granted (used 0 + 65536) */
	assert_true(log_last("install spi=00001002 in=0", line, sizeof(line)));
	assert_non_null(strstr(line, "seq_start=1 lease=65536 encr="));
	assert_non_null(strstr(line, "keylen=20 ifname=TI-1 tunnel=t1 ts=2/2 udp=1"));
	assert_non_null(strstr(line, "127.0.0.2:4500->127.0.0.3:4500"));
	assert_true(log_last("install spi=00001001 in=1", line, sizeof(line)));
	assert_non_null(strstr(line, "seq_start=0 lease=0"));
	assert_int_equal(c->leases, 1);
	assert_int_equal(c->lease_used, 0);
	assert_int_equal(log_count("attach_socket addr=127.0.0.2:4500 fd=ok"), 1);
	assert_true(eng_sup_natt_fd(c->sup, &(struct sockaddr_storage){0}) < 0);
}

static void
test_hung_detected(void **state)
{
	struct ctx *c = *state;
	uint64_t t0, dt;
	int pid;

	start_engine(c);
	pid = engine_pid(c);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	t0 = clk_mono_ms();
	assert_true(run_until(c, &c->downs, 1, 1000));
	dt = c->down_at_ms - t0;
	print_message("hung engine: down %llu ms after SIGSTOP, %llu ms after its last "
	              "heartbeat\n",
	              (unsigned long long)dt, (unsigned long long)c->last_detect_ms);
	assert_int_equal(c->last_reason, ENG_DOWN_HUNG);
	assert_true(dt < 100);
	assert_true(c->last_detect_ms >= 75 && c->last_detect_ms < 100); /* 3 x 20 + 20 ms */
	assert_false(eng_group_up(c->sup, "G1"));
	/* killed, reaped and restarted at once (the first failure has no back-off) */
	assert_true(run_until(c, &c->ups, 2, 3000));
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_true(engine_pid(c) != pid);
	{
		struct walk w;

		walk(c, &w);
		assert_int_equal(w.g.restarts, 1);
		assert_int_equal(w.g.last_reason, ENG_DOWN_HUNG);
		assert_int_equal(w.g.last_down_ms, c->last_detect_ms);
	}
}

static void
test_kill_detected(void **state)
{
	struct ctx *c = *state;
	uint64_t t0, dt, up_at;
	int pid;

	start_engine(c);
	pid = engine_pid(c);
	t0 = clk_mono_ms();
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_true(run_until(c, &c->downs, 1, 1000));
	dt = c->down_at_ms - t0;
	assert_int_equal(c->last_reason, ENG_DOWN_EXITED);
	assert_true(run_until(c, &c->ups, 2, 3000));
	up_at = clk_mono_ms();
	print_message("killed engine: down %llu ms after SIGKILL (%llu ms after its last "
	              "heartbeat), serving again %llu ms after the kill\n",
	              (unsigned long long)dt, (unsigned long long)c->last_detect_ms,
	              (unsigned long long)(up_at - t0));
	assert_true(dt < 100);
	assert_true(c->last_detect_ms < 100);
}

static void
test_protocol_error(void **state)
{
	struct ctx *c = *state;

	start_engine(c);
	fake_cmd("garbage");
	assert_true(run_until(c, &c->downs, 1, 1000));
	assert_int_equal(c->last_reason, ENG_DOWN_PROTOCOL);
	assert_true(run_until(c, &c->ups, 2, 3000));
}

/* Start times of the fake engine from its log, in ms. */
static unsigned
start_times(uint64_t *t, unsigned cap)
{
	char line[512];
	unsigned n = 0;
	FILE *f = fopen(log_path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < cap)
		if (strstr(line, " start "))
			t[n++] = strtoull(line, NULL, 10);
	fclose(f);
	return n;
}

static void
test_backoff(void **state)
{
	static const uint64_t want[] = {0, 100, 200, 400, 400};
	struct ctx *c = *state;
	struct eng_sup_timing tm;
	uint64_t t[8], t0, gap;
	unsigned n;
	int pid;

	eng_sup_timing_default(&tm);
	tm.backoff_max_ms = 400;
	tm.healthy_ms = 300;
	eng_sup_set_timing(c->sup, &tm);
	setenv("FAKE_ENGINE_EXIT_AT_START", "3", 1);
	c->cfg = make_cfg(5, true);
	assert_int_equal(eng_sup_apply(c->sup, c->cfg), 0);
	run_for(c, 1800); /* 1100 ms of back-off plus six starts and exits */
	n = start_times(t, 8);
	assert_true(n >= 6);
	for (unsigned i = 0; i < 5; i++) {
		gap = t[i + 1] - t[i];
		print_message("restart %u after %llu ms (back-off %llu ms)\n", i + 1,
		              (unsigned long long)gap, (unsigned long long)want[i]);
		/* stamps are taken after exec, whose time varies by a few ms */
		assert_true(gap + 10 >= want[i] && gap < want[i] + 90);
	}
	assert_int_equal(c->ups, 0);
	/* it starts working: up at the next try */
	unsetenv("FAKE_ENGINE_EXIT_AT_START");
	assert_true(run_until(c, &c->ups, 1, 1000));
	/* healthy for longer than healthy_ms: the next failure restarts at once */
	run_for(c, 400);
	pid = engine_pid(c);
	t0 = clk_mono_ms();
	kill(pid, SIGKILL);
	assert_true(run_until(c, &c->ups, 2, 1000));
	print_message("after %u ms of health: serving again %llu ms after a kill\n", tm.healthy_ms,
	              (unsigned long long)(clk_mono_ms() - t0));
	assert_true(clk_mono_ms() - t0 < 80);
}

static void
test_reinstall_seq(void **state)
{
	struct ctx *c = *state;
	char line[512];

	start_engine(c);
	fake_cmd("replay 4097 5000");
	assert_true(run_until(c, &c->replays, 1, 1000));
	kill(engine_pid(c), SIGKILL);
	assert_true(run_until(c, &c->ups, 2, 3000));
	/* outbound: from the last granted limit, with a new lease above it */
	assert_true(log_last("install spi=00001002 in=0", line, sizeof(line)));
	assert_non_null(strstr(line, "seq_start=65536 lease=131071"));
	assert_int_equal(c->lease_used, 65535);
	assert_int_equal(c->lease_limit, 65536);
	/* inbound: the window starts at the last report + the report step */
	assert_true(log_last("install spi=00001001 in=1", line, sizeof(line)));
	assert_non_null(strstr(line, "seq_start=5064 "));
	/* and again, with no report in between: one more step */
	kill(engine_pid(c), SIGKILL);
	assert_true(run_until(c, &c->ups, 3, 3000));
	assert_true(log_last("install spi=00001001 in=1", line, sizeof(line)));
	assert_non_null(strstr(line, "seq_start=5128 "));
	assert_true(log_last("install spi=00001002 in=0", line, sizeof(line)));
	assert_non_null(strstr(line, "seq_start=131071 lease=196606"));
}

static void
test_lease_flow(void **state)
{
	struct ctx *c = *state;

	start_engine(c);
	fake_cmd("lease 4098 40000 65536");
	assert_true(run_until(c, &c->leases, 2, 1000));
	assert_int_equal(c->lease_spi, 4098);
	assert_int_equal(c->lease_used, 40000);
	assert_int_equal(c->lease_limit, 65536);
	run_for(c, 50);
	assert_int_equal(log_count("grant spi=00001002 limit=105536"), 1);
	/* a lower (late) grant is ignored; an unknown SA is refused */
	assert_int_equal(eng_lease_grant(c->sup, 4098, 70000), 0);
	assert_int_equal(eng_lease_grant(c->sup, 9999, 70000), -ENOENT);
	/* the daemon may answer later: no grant until it does */
	c->auto_grant = false;
	fake_cmd("lease 4098 80000 105536");
	assert_true(run_until(c, &c->leases, 3, 1000));
	run_for(c, 50);
	assert_int_equal(log_count("grant spi=00001002"), 1);
	assert_int_equal(eng_lease_grant(c->sup, 4098, 150000), 0);
	run_for(c, 50);
	assert_int_equal(log_count("grant spi=00001002 limit=150000"), 1);
}

static int
udp_send(const char *payload, size_t len)
{
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(4500)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t n;

	inet_pton(AF_INET, "127.0.0.2", &dst.sin_addr);
	n = sendto(fd, payload, len, 0, (struct sockaddr *)&dst, sizeof(dst));
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static void
test_sockets(void **state)
{
	struct ctx *c = *state;
	struct sockaddr_in l = {.sin_family = AF_INET, .sin_port = htons(4500)};
	struct eng_sup_timing tm;
	struct sockaddr_storage ss;
	struct walk w;
	int fd;

	start_engine(c);
	inet_pton(AF_INET, "127.0.0.2", &l.sin_addr);
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &l, sizeof(l));
	fd = eng_sup_natt_fd(c->sup, &ss);
	assert_true(fd >= 0);
	/* the engine reads the socket and forwards IKE (non-ESP marker stripped) */
	assert_int_equal(udp_send("\0\0\0\0IKE!", 8), 0);
	assert_true(run_until(c, &c->ike, 1, 1000));
	assert_int_equal(c->ike_len, 4);
	assert_memory_equal(c->ike_data, "IKE!", 4);
	assert_int_equal(log_count("ike forwarded len=4"), 1);
	/* no engine (it fails to start, 300 ms between tries): tandemd reads the socket */
	eng_sup_timing_default(&tm);
	tm.backoff_first_ms = 300;
	eng_sup_set_timing(c->sup, &tm);
	setenv("FAKE_ENGINE_EXIT_AT_START", "1", 1);
	kill(engine_pid(c), SIGKILL);
	assert_true(run_until(c, &c->downs, 2, 1000)); /* the kill, then the failed restart */
	assert_int_equal(udp_send("\0\0\0\0ike2", 8), 0);
	assert_int_equal(udp_send("\x00\x00\x10\x01\x00\x00\x00\x07esp", 11), 0);
	assert_true(run_until(c, &c->ike, 2, 1000));
	assert_memory_equal(c->ike_data, "ike2", 4);
	run_for(c, 20);
	walk(c, &w);
	assert_int_equal(w.no_engine, 1);
	assert_int_equal(eng_sup_natt_fd(c->sup, &ss), fd); /* tandemd's copy never changes */
	unsetenv("FAKE_ENGINE_EXIT_AT_START");
}

static void
test_stats_and_lifetime(void **state)
{
	struct ctx *c = *state;
	struct eng_sup_timing tm;
	struct walk w;

	eng_sup_timing_default(&tm);
	tm.stats_ms = 50;
	eng_sup_set_timing(c->sup, &tm);
	start_engine(c);
	run_for(c, 150);
	walk(c, &w);
	assert_int_equal(w.auth_failed, 2);
	assert_int_equal(w.out_packets, 7);
	/* a hard lifetime: the engine deleted the SA, the store forgets it */
	fake_cmd("lifetime 4098 0 1 1000");
	run_for(c, 100);
	walk(c, &w);
	assert_int_equal(w.nsas, 1);
	assert_int_equal(eng_lease_grant(c->sup, 4098, 1 << 20), -ENOENT);
}

static void
test_reload(void **state)
{
	struct ctx *c = *state;
	struct cfg *same, *gone;
	int pid;

	start_engine(c);
	pid = engine_pid(c);
	/* the same configuration: nothing restarts, nothing is reinstalled */
	same = make_cfg(5, true);
	assert_int_equal(eng_sup_apply(c->sup, same), 0);
	run_for(c, 50);
	assert_int_equal(engine_pid(c), pid);
	assert_int_equal(log_count("install spi="), 2);
	cfg_free(c->cfg);
	c->cfg = same;
	/* another route cost: routes change in place, the engine keeps running */
	same = make_cfg(7, true);
	assert_int_equal(eng_sup_apply(c->sup, same), 0);
	assert_int_equal(engine_pid(c), pid);
	cfg_free(c->cfg);
	c->cfg = same;
	/* the tunnel is gone: its group stops, its SAs are deleted */
	gone = make_cfg(5, false);
	assert_int_equal(eng_sup_apply(c->sup, gone), 0);
	assert_int_equal(c->last_reason, ENG_DOWN_STOPPED);
	assert_int_equal(log_count("shutdown"), 1);
	assert_int_equal(eng_lease_grant(c->sup, 4098, 1 << 20), -ENOENT);
	cfg_free(c->cfg);
	c->cfg = gone;
}

/* Whether `ip ...` output (run in our namespace) contains needle. */
static bool
ip_has(const char *cmd, const char *needle)
{
	char line[512];
	bool found = false;
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, needle) != NULL;
	pclose(f);
	return found;
}

static void
test_tun(void **state)
{
	struct ctx *c = *state;
	struct cfg *cfg;
	int pid;

	if (!in_netns) {
		print_message("not root or no CLONE_NEWNET: skipped\n");
		skip();
	}
	start_engine(c);
	assert_int_equal(
	        log_count("attach_tun tunnel=t1 ifname=TI-1 mtu=1400 dev=TI-1 vnet=1 mq=0"), 1);
	assert_true(ip_has("ip -4 addr show dev TI-1", "169.254.1.1/30"));
	assert_true(ip_has("ip link show dev TI-1", "mtu 1400"));
	assert_true(ip_has("ip link show dev TI-1", ",UP"));
	assert_true(ip_has("ip -4 route show 10.2.0.0/24", "dev TI-1 proto static scope link "
	                                                   "metric 5"));
	/* hung: the link goes down (routes withdrawn) before anything else */
	pid = engine_pid(c);
	kill(pid, SIGSTOP);
	assert_true(run_until(c, &c->downs, 1, 1000));
	assert_false(ip_has("ip -4 route show 10.2.0.0/24", "TI-1"));
	/* restarted: a new device, addresses and routes restored */
	assert_true(run_until(c, &c->ups, 2, 3000));
	assert_int_equal(log_count("dev=TI-1"), 2);
	assert_true(ip_has("ip -4 addr show dev TI-1", "169.254.1.1/30"));
	assert_true(ip_has("ip -4 route show 10.2.0.0/24", "metric 5"));
	/* a reload with another cost moves the route */
	cfg = make_cfg(9, true);
	assert_int_equal(eng_sup_apply(c->sup, cfg), 0);
	cfg_free(c->cfg);
	c->cfg = cfg;
	assert_true(ip_has("ip -4 route show 10.2.0.0/24", "metric 9"));
	assert_false(ip_has("ip -4 route show 10.2.0.0/24", "metric 5"));
	/* killed: the device goes with the engine's descriptor, and comes back */
	kill(engine_pid(c), SIGKILL);
	assert_true(run_until(c, &c->ups, 3, 3000));
	assert_true(ip_has("ip -4 route show 10.2.0.0/24", "metric 9"));
}

/* A restarted tandemd continues a manual SA's numbers from its state directory. */
static void
test_manual_seq_persist(void **state)
{
	static const struct eng_sup_events ev = {.engine_up = ev_up, .replay_report = ev_replay};
	struct ctx *c = *state;
	char line[512], path[160];
	FILE *f;

	assert_int_equal(eng_sup_set_state_dir(c->sup, tmpdir), 0);
	start_engine(c);
	fake_cmd("replay 4097 5000");
	assert_true(run_until(c, &c->replays, 1, 1000));
	/* the first grant (used 0 + 65536) and the report are on disk */
	snprintf(path, sizeof(path), "%s/manual-seq", tmpdir);
	f = fopen(path, "r");
	assert_non_null(f);
	fclose(f);
	eng_sup_free(c->sup); /* tandemd stops (or dies: the grant was written before use) */
	c->ups = 0;
	assert_int_equal(eng_sup_new(c->base, FAKE_ENGINE_PATH, &ev, c, &c->sup), 0);
	assert_int_equal(eng_sup_set_state_dir(c->sup, tmpdir), 0);
	assert_int_equal(eng_sup_apply(c->sup, c->cfg), 0);
	assert_true(run_until(c, &c->ups, 1, 3000));
	assert_true(log_last("install spi=00001002 in=0", line, sizeof(line)));
	assert_non_null(strstr(line, "seq_start=65536 lease=131071"));
	assert_true(log_last("install spi=00001001 in=1", line, sizeof(line)));
	assert_non_null(strstr(line, "seq_start=5064 "));
	unlink(path);
}

static void
test_tun_multiqueue(void **state)
{
	struct ctx *c = *state;

	if (!in_netns) {
		print_message("not root or no CLONE_NEWNET: skipped\n");
		skip();
	}
	eng_sup_set_tun(c->sup, 2, true);
	start_engine(c);
	assert_int_equal(
	        log_count("attach_tun tunnel=t1 ifname=TI-1 mtu=1400 dev=TI-1 vnet=1 mq=1"), 2);
	assert_true(ip_has("ip -4 route show 10.2.0.0/24", "metric 5"));
	kill(engine_pid(c), SIGKILL);
	assert_true(run_until(c, &c->ups, 2, 3000));
	assert_int_equal(log_count("dev=TI-1 vnet=1 mq=1"), 4);
	assert_true(ip_has("ip -4 route show 10.2.0.0/24", "metric 5"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_start_ready, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_hung_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_kill_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_protocol_error, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_backoff, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reinstall_seq, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_lease_flow, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sockets, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stats_and_lifetime, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tun, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_manual_seq_persist, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tun_multiqueue, setup, teardown),
	};

	return cmocka_run_group_tests_name("eng_sup", tests, group_setup, group_teardown);
}
