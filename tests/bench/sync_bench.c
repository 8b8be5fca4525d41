/* SPDX-License-Identifier: MIT */
/*
 * Replication benchmark over real corosync (tests/bench/bench_sync.sh runs it in the lab's
 * namespaces; docs/replication.md has the figures). One process per node, the replication
 * layer (sync/) over the CPG transport, synthetic IKE SAs (no IKE engine):
 *
 *   --mode active  --count N --rate R  publishes N SAs at R/s once a standby is in sync, and
 *                                      records when each was published and when its own copy
 *                                      came back (sync before send); lines "A seed pub safe"
 *   --mode standby --count N           records when each SA was applied; lines "S seed t"
 *   --mode active  --preload N         publishes N SAs alone as fast as the group takes them,
 *                                      then serves snapshots until --linger seconds passed
 *   --mode join                        joins, waits for its snapshot, prints time, bytes and
 *                                      memory (RSS and store) per SA, exits
 *
 * Times are CLOCK_MONOTONIC nanoseconds, comparable across the lab's namespaces (one host).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "sync/sync.h"
#include "sync/sync_cpg.h"
#include "sync_synth.h"

struct bench {
	struct event_base *base;
	struct sync *s;
	struct sync_cpg *cpg;
	struct event *tick, *pub, *sig;
	const char *mode;
	unsigned count, rate, preload, linger_s;
	FILE *out;
	/* active */
	uint64_t *t_pub, *t_safe; /* by seed (1..count) */
	unsigned published;
	uint64_t safe;
	uint64_t t_start;
	/* standby / join */
	uint64_t *t_applied;
	unsigned applied;
	struct ike_engine *ike; /* --ike 1: a standby IKE engine the SAs are imported into */
	uint64_t t_link, t_synced;
	double cpu_link;
	size_t rss_before;
	bool done;
	int rc;
};

static uint64_t
now_ns(void)
{
	return clk_mono_ns();
}

static size_t
rss_bytes(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* CPU time (user + system) of this process so far, ms */
static double
cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static uint64_t
seed_of(uint64_t spi_i)
{
	return (spi_i - 0x1000000000000001ull) / 2;
}

/* ---- a standby IKE engine (--ike): SAs are imported into it as in tandemd ---------------- */

static void
io_send(void *arg, const struct sockaddr_storage *local, const struct sockaddr_storage *remote,
        const uint8_t *p, size_t len, uint64_t commit)
{
	(void)arg;
	(void)local;
	(void)remote;
	(void)p;
	(void)len;
	(void)commit;
}

static void
io_random(void *arg, uint8_t *p, size_t len)
{
	(void)arg;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131u + 7u);
}

static int
io_install(void *arg, const struct esp_sa_params *p)
{
	(void)arg;
	(void)p;
	return 0;
}

static void
io_delete(void *arg, uint32_t spi, bool inbound)
{
	(void)arg;
	(void)spi;
	(void)inbound;
}

static void
obs_changed(void *arg, const struct ike_sa_state *st, enum ike_change what, uint64_t commit)
{
	(void)arg;
	(void)st;
	(void)what;
	(void)commit;
}

static void
obs_tunnel(void *arg, const char *tunnel, bool up, const char *reason)
{
	(void)arg;
	(void)tunnel;
	(void)up;
	(void)reason;
}

static struct ike_engine *
standby_engine(void)
{
	static const struct ike_io io = {io_send, io_random, io_install, io_delete};
	static const struct ike_observer obs = {obs_changed, obs_tunnel};
	static const struct ike_engine_opts eo = {30, 1000, 6, 60000};
	struct ike_engine *e = NULL;
	struct timespec ts;

	if (ike_engine_new(&eo, &io, NULL, &obs, NULL, &e))
		return NULL;
	ike_engine_set_standby(e, true);
	clock_gettime(CLOCK_REALTIME, &ts);
	ike_engine_set_wallclock(e, (int64_t)ts.tv_sec * 1000, clk_mono_ms());
	return e;
}

static void
count_sa(void *arg, const struct ike_sa_state *st)
{
	(void)st;
	(*(size_t *)arg)++;
}

/* ---- host ---------------------------------------------------------------------------------- */

static void
h_clock(void *arg, struct sync_clock *c)
{
	struct timespec ts;

	(void)arg;
	c->mono_ms = clk_mono_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	c->unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
h_safe(void *arg, uint64_t commit)
{
	struct bench *b = arg;
	uint64_t t = now_ns();

	for (uint64_t c = b->safe + 1; c <= commit && c <= b->count; c++)
		b->t_safe[c] = t;
	if (commit > b->safe)
		b->safe = commit;
}

static void
h_lease(void *arg, uint32_t spi, uint64_t limit)
{
	(void)arg;
	(void)spi;
	(void)limit;
}

static void
h_role(void *arg, enum ha_role old, enum ha_role now, const char *why)
{
	(void)arg;
	fprintf(stderr, "role %s -> %s %s\n", ha_role_str(old), ha_role_str(now), why);
}

static void
h_applied(void *arg, uint64_t spi_i, uint64_t spi_r, uint64_t commit)
{
	struct bench *b = arg;
	uint64_t seed = seed_of(spi_i);

	(void)spi_r;
	(void)commit;
	if (b->t_applied && seed >= 1 && seed <= b->count && !b->t_applied[seed]) {
		b->t_applied[seed] = now_ns();
		b->applied++;
	}
}

/* ---- the loop ------------------------------------------------------------------------------ */

struct peer_scan {
	bool standby_in_sync;
};

static void
scan_one(void *arg, const struct sync_node_info *n)
{
	struct peer_scan *p = arg;

	if (!n->self && n->member && n->has_record && n->rec.in_sync &&
	    n->rec.role == HA_ROLE_STANDBY)
		p->standby_in_sync = true;
}

static void
publish_one(struct bench *b, uint64_t seed, uint64_t commit)
{
	struct ike_sa_state st;

	if (sync_synth_sa(&st, seed, 1))
		abort();
	sync_ike_changed(b->s, &st, IKE_CH_ESTABLISHED, commit);
	ike_sa_state_clear(&st);
}

static void schedule(struct bench *b);

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void
on_pub(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	struct peer_scan ps = {false};
	struct timeval tv = {0, 0};

	(void)fd;
	(void)what;
	if (sync_role(b->s) != HA_ROLE_ACTIVE) {
		tv.tv_usec = 20000;
		event_add(b->pub, &tv);
		return;
	}
	if (b->preload) {
		/* as fast as the group takes them, a bounded queue */
		struct sync_stats st;

		sync_stats(b->s, &st);
		while (b->published < b->preload && st.pending < 32768) {
			if (sync_cpg_transport()->backlog(b->cpg) > (8u << 20))
				break;
			st.pending++;
			b->published++;
			publish_one(b, b->published, b->published);
		}
		/* every own change delivered back: the joiner is timed alone */
		if (b->published == b->preload && !b->done && st.pending == 0 &&
		    sync_cpg_transport()->backlog(b->cpg) == 0) {
			b->done = true;
			fprintf(stderr, "preloaded %u SAs in %.0f ms\n", b->preload,
			        (double)(now_ns() - b->t_start) / 1e6);
			tv.tv_sec = b->linger_s;
			event_base_once(b->base, -1, EV_TIMEOUT, stop_cb, b->base, &tv);
			schedule(b);
			return;
		}
		tv.tv_usec = 1000;
		event_add(b->pub, &tv);
		schedule(b);
		return;
	}
	sync_nodes(b->s, scan_one, &ps);
	if (!ps.standby_in_sync) {
		tv.tv_usec = 20000;
		event_add(b->pub, &tv);
		return;
	}
	if (b->published < b->count) {
		b->published++;
		b->t_pub[b->published] = now_ns();
		publish_one(b, b->published, b->published);
		tv.tv_usec = 1000000 / (b->rate ? b->rate : 1000);
		event_add(b->pub, &tv);
	} else if (b->safe >= b->count) {
		b->done = true;
		tv.tv_sec = 1; /* the standby applies the last ones */
		event_base_once(b->base, -1, EV_TIMEOUT, stop_cb, b->base, &tv);
		return;
	} else {
		tv.tv_usec = 10000;
		event_add(b->pub, &tv);
	}
	schedule(b);
}

static void
check_join(struct bench *b)
{
	struct sync_stats st;

	sync_stats(b->s, &st);
	if (!b->t_link && st.connected) {
		b->t_link = now_ns();
		b->cpu_link = cpu_ms();
	}
	if (!strcmp(b->mode, "join") && !b->t_synced && sync_in_sync(b->s) && st.snaps_received) {
		size_t rss = rss_bytes();

		b->t_synced = now_ns();
		printf("join: %zu SAs in sync %.1f ms after joining (CPU %.0f ms); snapshot %llu "
		       "ms, "
		       "%llu bytes (%.0f bytes/SA); RSS +%zu bytes (%.0f bytes/SA), store %zu "
		       "bytes "
		       "(%.0f bytes/SA)\n",
		       st.store_sas, (double)(b->t_synced - b->t_link) / 1e6,
		       cpu_ms() - b->cpu_link, (unsigned long long)st.last_rx_ms,
		       (unsigned long long)st.last_rx_bytes,
		       st.store_sas ? (double)st.last_rx_bytes / (double)st.store_sas : 0.0,
		       rss - b->rss_before,
		       st.store_sas ? (double)(rss - b->rss_before) / (double)st.store_sas : 0.0,
		       sync_mem(b->s),
		       st.store_sas ? (double)sync_mem(b->s) / (double)st.store_sas : 0.0);
		if (b->ike) {
			size_t n = 0;

			ike_engine_walk(b->ike, count_sa, &n);
			printf("join: the standby IKE engine holds %zu imported IKE SAs\n", n);
		}
		fflush(stdout);
		event_base_loopbreak(b->base);
	}
	if (!strcmp(b->mode, "standby") && b->applied >= b->count && b->count)
		event_base_loopbreak(b->base);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	schedule(arg);
}

static void
schedule(struct bench *b)
{
	uint64_t next = sync_tick(b->s), now = clk_mono_ms();
	struct timeval tv = {0, 0};

	check_join(b);
	if (next == UINT64_MAX)
		return;
	if (next > now) {
		tv.tv_sec = (time_t)((next - now) / 1000);
		tv.tv_usec = (suseconds_t)((next - now) % 1000) * 1000;
	}
	event_add(b->tick, &tv);
}

static void
after(void *arg)
{
	schedule(arg);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;

	return a < c ? -1 : a > c;
}

static void
report_safe(struct bench *b)
{
	uint64_t *d = calloc(b->count + 1, sizeof(*d));
	size_t n = 0;

	for (unsigned i = 1; i <= b->count; i++) {
		if (b->out)
			fprintf(b->out, "A %u %" PRIu64 " %" PRIu64 "\n", i, b->t_pub[i],
			        b->t_safe[i]);
		if (b->t_safe[i] >= b->t_pub[i] && b->t_pub[i])
			d[n++] = b->t_safe[i] - b->t_pub[i];
	}
	qsort(d, n, sizeof(*d), cmp_u64);
	if (n)
		printf("sync-before-send (own change -> delivered back): %zu SAs, p50 %.3f ms, p99 "
		       "%.3f ms, max %.3f ms\n",
		       n, (double)d[(n - 1) / 2] / 1e6, (double)d[(n * 99 + 99) / 100 - 1] / 1e6,
		       (double)d[n - 1] / 1e6);
	free(d);
}

int
main(int argc, char **argv)
{
	static const struct sync_host host = {
	        .clock = h_clock,
	        .commit_safe = h_safe,
	        .lease_granted = h_lease,
	        .role_changed = h_role,
	        .applied = h_applied,
	};
	struct bench b;
	struct sync_opts o;
	const char *group = "sync-bench", *out = NULL;
	uint32_t node_id = 0;
	struct timeval limit = {120, 0};

	memset(&b, 0, sizeof(b));
	memset(&o, 0, sizeof(o));
	b.mode = "standby";
	b.linger_s = 30;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--node-id"))
			node_id = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--group"))
			group = argv[i + 1];
		else if (!strcmp(argv[i], "--mode"))
			b.mode = argv[i + 1];
		else if (!strcmp(argv[i], "--count"))
			b.count = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--rate"))
			b.rate = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--preload"))
			b.preload = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--linger"))
			b.linger_s = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--out"))
			out = argv[i + 1];
		else if (!strcmp(argv[i], "--ike"))
			b.ike = strtoul(argv[i + 1], NULL, 0) ? standby_engine() : NULL;
		else if (!strcmp(argv[i], "--chunk-bytes"))
			o.chunk_max_bytes = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--timeout"))
			limit.tv_sec = (time_t)strtoul(argv[i + 1], NULL, 0);
	}
	if (!node_id) {
		fprintf(stderr, "usage: sync_bench --node-id N [--mode active|standby|join] "
		                "[--count N --rate R | --preload N --linger S] [--out FILE]\n");
		return 2;
	}
	log_init("sync_bench", LOG_DEST_STDERR, LOG_LVL_WARN);
	b.out = out ? fopen(out, "w") : NULL;
	b.base = event_base_new();
	b.t_pub = calloc(b.count + 2, sizeof(uint64_t));
	b.t_safe = calloc(b.count + 2, sizeof(uint64_t));
	b.t_applied = calloc(b.count + 2, sizeof(uint64_t));
	if (!b.base || !b.t_pub || !b.t_safe || !b.t_applied)
		return 1;
	o.node_id = node_id;
	o.pid = (uint32_t)getpid();
	o.name = "bench";
	o.priority = (uint8_t)(strcmp(b.mode, "active") ? 10 : 200);
	o.report_every = 1024;
	o.epoch = (uint64_t)time(NULL) * 1000;
	o.seed = now_ns();
	b.rss_before = rss_bytes();
	b.t_start = now_ns();
	if (sync_cpg_new(b.base, group, node_id, &b.cpg) ||
	    sync_new(&o, sync_cpg_transport(), b.cpg, &host, &b, b.ike, &b.s))
		return 1;
	b.tick = evtimer_new(b.base, on_tick, &b);
	b.pub = evtimer_new(b.base, on_pub, &b);
	if (!strcmp(b.mode, "active"))
		event_add(b.pub, &(struct timeval){0, 1000});
	event_base_once(b.base, -1, EV_TIMEOUT, stop_cb, b.base, &limit);
	b.sig = evsignal_new(b.base, SIGTERM, stop_cb, b.base);
	if (b.sig)
		event_add(b.sig, NULL);
	sync_cpg_start(b.cpg, b.s, after, &b);
	event_base_dispatch(b.base);
	if (!strcmp(b.mode, "active") && !b.preload)
		report_safe(&b);
	{
		struct sync_cpg_stats cs;
		struct sync_stats st;

		sync_cpg_stats(b.cpg, &cs);
		sync_stats(b.s, &st);
		fprintf(stderr,
		        "%s: corosync try-again %llu, queue peak %zu bytes; snapshots sent %llu "
		        "(last "
		        "%zu SAs, %llu bytes, %llu ms)\n",
		        b.mode, (unsigned long long)cs.try_again, cs.queue_peak_bytes,
		        (unsigned long long)st.snaps_sent, st.last_tx_sas,
		        (unsigned long long)st.last_tx_bytes, (unsigned long long)st.last_tx_ms);
	}
	if (!strcmp(b.mode, "standby") && b.out)
		for (unsigned i = 1; i <= b.count; i++)
			fprintf(b.out, "S %u %" PRIu64 "\n", i, b.t_applied[i]);
	if (!strcmp(b.mode, "standby"))
		printf("standby: applied %u of %u SAs\n", b.applied, b.count);
	if (!strcmp(b.mode, "join") && !b.t_synced) {
		printf("join: not in sync before the time limit\n");
		b.rc = 1;
	}
	if (b.out)
		fclose(b.out);
	sync_cpg_free(b.cpg);
	sync_free(b.s);
	event_free(b.tick);
	event_free(b.pub);
	if (b.sig)
		event_free(b.sig);
	event_base_free(b.base);
	ike_engine_free(b.ike);
	free(b.t_pub);
	free(b.t_safe);
	free(b.t_applied);
	return b.rc;
}
