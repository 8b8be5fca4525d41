/* SPDX-License-Identifier: MIT */
/*
 * IKE engine scaling benchmark (docs/benchmarks.md, "IKE engine scaling"). Two engines in one
 * process, joined by the lean world of tests/unit/ike/test_ike_engine_util.c, set up N IKE SAs
 * with one Child SA each the way tests/bench/bench_ike_setup.sh has strongSwan do it against
 * tandemd: one static tunnel, many IKE SAs from the same peer, AES-GCM-128, HMAC-SHA2-256,
 * P-256, a pre-shared key, and the responder ticked after every datagram as tandemd does.
 * Per N it prints setups/s, CPU per setup (both engines, the responder alone, and the
 * responder over the last tenth of the SAs), the cost of a tick with nothing due and of a
 * round of due timers (one DPD per SA), bytes per IKE SA, and what importing every SA into a
 * standby engine and activating it costs. Not run by CTest: it takes minutes at 100,000.
 *   usage: ike_scale [N...]       (default 1000 10000 100000)
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "node/core/log.h"
#include "node/ike/ike_engine_int.h"
#include "tests/unit/ike/test_ike_engine_util.h"

#define BATCH 200 /* initiations in flight at once */

static struct world w;

struct result {
	size_t n;
	double setup_s, setups_per_s;
	double us_total, us_resp, us_init, us_resp_last;
	double tick_idle_ns;
	size_t dpd_due;
	double dpd_tick_ms, dpd_us_per_timer;
	double bytes_pair, bytes_resp;
	double import_us, activate_us;
};

static uint64_t
now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t
heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Starts one more IKE SA of tunnel t1 on the initiator (A), charged to A. */
static void
initiate_one(const struct cfg_tunnel *t)
{
	uint64_t t0 = w_cpu_ns();

	if (ike_init_start(w.n[0].e, t))
		fail_msg("ike_init_start failed");
	w.n[0].cpu_ns += w_cpu_ns() - t0;
}

static uint64_t
established(int node)
{
	return w.n[node].nchanges[IKE_CH_ESTABLISHED];
}

struct states {
	struct ike_sa_state *v;
	size_t n, cap;
};

static void
collect(void *arg, const struct ike_sa_state *st)
{
	struct states *s = arg;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		assert_non_null(s->v);
	}
	memset(&s->v[s->n], 0, sizeof(s->v[0]));
	assert_int_equal(ike_sa_state_copy(&s->v[s->n], st), 0);
	s->n++;
}

/* Idle ticks of the responder: nothing is due. */
static double
tick_idle_ns(void)
{
	uint64_t t0 = now_ns(CLOCK_THREAD_CPUTIME_ID), t1;
	size_t k = 0;

	do {
		for (int i = 0; i < 64; i++)
			(void)ike_engine_tick(w.n[1].e, w.now);
		k += 64;
		t1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	} while (k < 200000 && t1 - t0 < 200000000u);
	return (double)(t1 - t0) / (double)k;
}

/* Imports every SA of the responder into a standby engine, then activates it. */
static void
standby_round(struct result *r)
{
	static const struct w_conf cs = {.conn = "responder-only"};
	struct states s = {0};
	uint64_t t0;
	int c;

	ike_engine_walk(w.n[1].e, collect, &s);
	c = w_add_standby(&w, &cs);
	w.n[c].dead = true; /* what it sends after activation goes nowhere */
	t0 = w_cpu_ns();
	for (size_t i = 0; i < s.n; i++)
		if (ike_engine_import(w.n[c].e, &s.v[i]))
			fail_msg("import %zu failed", i);
	r->import_us = (double)(w_cpu_ns() - t0) / 1000.0 / (double)s.n;
	t0 = w_cpu_ns();
	ike_engine_activate(w.n[c].e, w.now);
	(void)ike_engine_tick(w.n[c].e, w.now);
	r->activate_us = (double)(w_cpu_ns() - t0) / 1000.0 / (double)s.n;
	for (size_t i = 0; i < s.n; i++)
		ike_sa_state_clear(&s.v[i]);
	free(s.v);
	w_deliver(&w); /* drops the activated engine's datagrams */
}

static void
run(size_t n, struct result *r)
{
	static const struct w_conf ca = {0};
	static const struct w_conf cb = {.conn = "responder-only",
	                                 .keepalive = "  ike keepalive interval 3600 retries 2\n"};
	static const struct ike_engine_opts o = {1u << 30, 10000, 6, 60000};
	const struct cfg_tunnel *t;
	uint64_t m0, m1, m2, m3, wall0, cpu0, resp0 = 0, est0 = 0;
	size_t started = 1;
	bool marked = false;

	memset(r, 0, sizeof(*r));
	r->n = n;
	w_init(&w, &ca, &cb, &o);
	log_set_level(LOG_LVL_WARN);
	w.lean = true;
	w.tick_each_input = true;
	t = cfg_find_tunnel(w.n[0].cfg, W_TUNNEL);
	assert_non_null(t);
	m0 = heap_bytes();
	wall0 = now_ns(CLOCK_MONOTONIC);
	cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	/* the first SA alone: it carries INITIAL_CONTACT, the others do not */
	(void)ike_engine_tick(w.n[0].e, w.now);
	w_deliver(&w);
	while (established(1) < n) {
		size_t b = n - started < BATCH ? n - started : BATCH;

		/* the last tenth (at least the last batch): is the cost per setup still the same?
		 */
		if (!marked && n - started <= n / 10 + BATCH) {
			marked = true;
			resp0 = w.n[1].cpu_ns;
			est0 = established(1);
		}
		for (size_t i = 0; i < b; i++)
			initiate_one(t);
		started += b;
		w_deliver(&w);
		w.now++;
		(void)ike_engine_tick(w.n[0].e, w.now);
		(void)ike_engine_tick(w.n[1].e, w.now);
		w_deliver(&w);
		if (b == 0 && established(1) < n)
			fail_msg("stuck at %llu of %zu IKE SAs", (unsigned long long)established(1),
			         n);
	}
	r->setup_s = (double)(now_ns(CLOCK_MONOTONIC) - wall0) / 1e9;
	r->setups_per_s = (double)n / r->setup_s;
	r->us_total = (double)(now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1000.0 / (double)n;
	r->us_resp = (double)w.n[1].cpu_ns / 1000.0 / (double)n;
	r->us_init = (double)w.n[0].cpu_ns / 1000.0 / (double)n;
	r->us_resp_last = (double)(w.n[1].cpu_ns - resp0) / 1000.0 / (double)(n - est0);
	assert_int_equal(established(0), n);
	assert_int_equal(w.n[1].installs, 2 * n);
	m1 = heap_bytes();
	r->bytes_pair = (double)(m1 - m0) / (double)n;

	r->tick_idle_ns = tick_idle_ns();

	/* every SA's DPD falls due together: one tick runs them all */
	{
		uint64_t sends = w.n[1].sends, t0;

		w.now += 3600 * 1000 + 1000;
		t0 = w_cpu_ns();
		(void)ike_engine_tick(w.n[1].e, w.now);
		r->dpd_tick_ms = (double)(w_cpu_ns() - t0) / 1e6;
		r->dpd_due = (size_t)(w.n[1].sends - sends);
		r->dpd_us_per_timer = r->dpd_due ? r->dpd_tick_ms * 1000.0 / (double)r->dpd_due : 0;
		w_deliver(&w);
	}

	standby_round(r);

	/* what the initiator holds, to tell the responder's share */
	m2 = heap_bytes();
	ike_engine_free(w.n[0].e);
	w.n[0].e = NULL;
	m3 = heap_bytes();
	r->bytes_resp = ((double)(m1 - m0) - (double)(m2 - m3)) / (double)n;
	w.n[0].e = NULL;
	w_fini(&w);
}

static void
print(const struct result *r)
{
	printf("N=%-7zu setup %6.2f s = %7.0f setups/s; CPU/setup %6.1f us (responder %6.1f, "
	       "initiator %6.1f; responder over the last tenth %6.1f); idle tick %8.1f ns; DPD "
	       "round %zu timers in %.1f ms = %.2f us/timer; %6.0f bytes/IKE SA pair, responder "
	       "%6.0f; standby import %.2f us/SA, activation %.2f us/SA\n",
	       r->n, r->setup_s, r->setups_per_s, r->us_total, r->us_resp, r->us_init,
	       r->us_resp_last, r->tick_idle_ns, r->dpd_due, r->dpd_tick_ms, r->dpd_us_per_timer,
	       r->bytes_pair, r->bytes_resp, r->import_us, r->activate_us);
	printf("{\"bench\":\"ike_scale\",\"n\":%zu,\"setups_per_s\":%.0f,\"cpu_us_per_setup\":%.1f,"
	       "\"responder_us_per_setup\":%.1f,\"responder_us_last_tenth\":%.1f,"
	       "\"idle_tick_ns\":%.1f,\"dpd_us_per_timer\":%.2f,\"bytes_per_sa_pair\":%.0f,"
	       "\"responder_bytes_per_sa\":%.0f,\"import_us_per_sa\":%.2f,"
	       "\"activate_us_per_sa\":%.2f}\n",
	       r->n, r->setups_per_s, r->us_total, r->us_resp, r->us_resp_last, r->tick_idle_ns,
	       r->dpd_us_per_timer, r->bytes_pair, r->bytes_resp, r->import_us, r->activate_us);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static const size_t def[] = {1000, 10000, 100000};
	struct result r;

	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			char *end;
			unsigned long v = strtoul(argv[i], &end, 10);

			if (*end || v < 10) {
				fprintf(stderr, "usage: ike_scale [N...] (N >= 10)\n");
				return 2;
			}
			run((size_t)v, &r);
			print(&r);
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++) {
		run(def[i], &r);
		print(&r);
	}
	return 0;
}
