/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 engine, reliability: retransmission of a lost request and of a lost response (the
 * same bytes both times, RFC 7296 §2.1), give-up, dead peer detection and re-initiation with
 * back-off, duplicate, old and future message IDs, unsolicited responses, INVALID_SPI, and
 * that nothing is ever sent before the state change it goes with was reported.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node/ike/ike_msg.h"
#include "test_ike_engine_util.h"

static struct world w;

static void
check_clean(void)
{
	for (int i = 0; i < w.nn; i++)
		assert_false(w.n[i].order_violation);
}

static struct ike_stats
stats(int node)
{
	struct ike_stats s;

	ike_engine_stats(w.n[node].e, &s);
	return s;
}

static const struct ike_sa_state *
est(int node)
{
	const struct ike_sa_state *st = w_state(&w.n[node], IKE_PHASE_ESTABLISHED);

	assert_non_null(st);
	return st;
}

static void
up(struct w_conf *a, struct w_conf *b)
{
	static struct w_conf da, db;

	if (!a) {
		memset(&da, 0, sizeof(da));
		a = &da;
	}
	if (!b) {
		memset(&db, 0, sizeof(db));
		b = &db;
	}
	a->conn = "initiator-only";
	b->conn = "responder-only";
	w_init(&w, a, b, NULL);
	w_run(&w, w.now + 1000);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_established(&w.n[1]), 1);
}

struct drop {
	int from;
	uint8_t exch;
	bool response;
	int left;
};

static bool
drop_fn(struct world *wd, const struct w_dgram *d, void *arg)
{
	struct drop *x = arg;

	(void)wd;
	if (x->left > 0 && d->from == x->from && w_exch(d) == x->exch &&
	    w_is_response(d) == x->response) {
		x->left--;
		return true;
	}
	return false;
}

/* The datagrams of one kind in the history, in order. */
static size_t
sent(int from, uint8_t exch, bool response, const struct w_dgram **out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < w.nhist; i++) {
		const struct w_dgram *d = &w.hist[i];

		if (d->from == from && w_exch(d) == exch && w_is_response(d) == response) {
			if (n < cap)
				out[n] = d;
			n++;
		}
	}
	return n;
}

static bool
same(const struct w_dgram *a, const struct w_dgram *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0 && a->commit == b->commit;
}

static void
test_lost_request(void **state)
{
	struct drop x = {0, IKE_EXCH_CREATE_CHILD_SA, false, 1};
	const struct w_dgram *d[4];

	(void)state;
	up(NULL, NULL);
	w.filter = drop_fn;
	w.farg = &x;
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 500);
	assert_int_equal(stats(0).child_sa_rekeyed, 0);
	/* retransmitted after retransmit_base_ms, identical, and answered */
	w_run(&w, w.now + 1000);
	assert_int_equal(stats(0).retransmits, 1);
	assert_int_equal(sent(0, IKE_EXCH_CREATE_CHILD_SA, false, d, 4), 2);
	assert_true(same(d[0], d[1]));
	assert_int_equal(stats(0).child_sa_rekeyed, 1);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_lost_response(void **state)
{
	struct drop x = {1, IKE_EXCH_CREATE_CHILD_SA, true, 1};
	const struct w_dgram *req[4], *resp[4];

	(void)state;
	up(NULL, NULL);
	w.filter = drop_fn;
	w.farg = &x;
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 1500);
	/* A sent the same request twice; B answered twice with the very same bytes */
	assert_int_equal(sent(0, IKE_EXCH_CREATE_CHILD_SA, false, req, 4), 2);
	assert_true(same(req[0], req[1]));
	assert_int_equal(sent(1, IKE_EXCH_CREATE_CHILD_SA, true, resp, 4), 2);
	assert_int_equal(resp[0]->len, resp[1]->len);
	assert_memory_equal(resp[0]->p, resp[1]->p, resp[0]->len);
	assert_int_equal(stats(1).retransmitted_responses, 1);
	/* B created the Child SA once */
	assert_int_equal(stats(1).child_sa_rekeyed, 1);
	assert_int_equal(est(1)->nchildren, 1);
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	check_clean();
	w_fini(&w);
}

static void
test_lost_init_and_auth(void **state)
{
	struct drop x = {1, IKE_EXCH_SA_INIT, true, 1};
	struct drop y = {1, IKE_EXCH_AUTH, true, 1};
	struct w_conf a = {.conn = "initiator-only"}, b = {.conn = "responder-only"};

	(void)state;
	w_init(&w, &a, &b, NULL);
	w.filter = drop_fn;
	w.farg = &x;
	w_run(&w, w.now + 1500);
	assert_int_equal(stats(1).retransmitted_responses, 1);
	assert_int_equal(w_established(&w.n[0]), 1);
	w_fini(&w);
	w_init(&w, &a, &b, NULL);
	w.filter = drop_fn;
	w.farg = &y;
	w_run(&w, w.now + 1500);
	assert_int_equal(stats(1).retransmitted_responses, 1);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(stats(1).ike_sa_established, 1);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_give_up(void **state)
{
	(void)state;
	up(NULL, NULL);
	w.n[1].dead = true;
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	/* 6 sends: 1 + 2 + 4 + 8 + 16 s, then the last 32 s */
	w_run(&w, w.now + 62000);
	assert_int_equal(w_established(&w.n[0]), 1);
	w_run(&w, w.now + 1500);
	assert_int_equal(w_established(&w.n[0]), 0);
	assert_int_equal(stats(0).retransmits, 5);
	assert_true(w_log_has(&w, "tunnel t1: no answer from 198.51.100.1:4500 to CREATE_CHILD_SA "
	                          "after 6 sends; deleting the IKE SA"));
	assert_int_equal(w.n[0].down_events, 1);
	assert_int_equal(w_live_sas(&w.n[0]), 0);
	check_clean();
	w_fini(&w);
}

/* IKE_SA_INIT requests A sent after `from` in the history: their times show the back-off. */
static size_t
inits_after(size_t from)
{
	size_t n = 0;

	for (size_t i = from; i < w.nhist; i++)
		if (w.hist[i].from == 0 && w_exch(&w.hist[i]) == IKE_EXCH_SA_INIT &&
		    !w_is_response(&w.hist[i]) && w_msgid(&w.hist[i]) == 0)
			n++;
	return n;
}

static void
test_dpd_dead_peer(void **state)
{
	static const struct ike_engine_opts o = {30, 1000, 2, 8000};
	struct w_conf a = {.conn = "initiator-only",
	                   .keepalive = "  ike keepalive interval 10 "
	                                "retries 3\n"};
	struct w_conf b = {.conn = "responder-only"};
	uint64_t t0;
	size_t h0;

	(void)state;
	w_init(&w, &a, &b, &o);
	w_run(&w, w.now + 1000);
	assert_int_equal(w_established(&w.n[0]), 1);
	/* a live peer answers the checks (every 10 s); nothing changes */
	w_run(&w, w.now + 25000);
	assert_int_equal(stats(0).exch_done[3], 2);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(stats(0).dpd_dead, 0);
	/* the peer vanishes right after a check (at 31 s): 10 s idle, a check, 3 more every
	 * 10 s, and dead 10 s after the last */
	w_run(&w, 31000);
	w.n[1].dead = true;
	t0 = w.now;
	w_run(&w, t0 + 49000);
	assert_int_equal(w_established(&w.n[0]), 1);
	h0 = w.nhist;
	w_run(&w, t0 + 50999);
	assert_int_equal(w_established(&w.n[0]), 0);
	assert_int_equal(inits_after(h0), 0);
	assert_int_equal(stats(0).dpd_dead, 1);
	assert_true(w_log_has(&w, "to liveness check (DPD) after 4 sends; deleting the IKE SA"));
	assert_int_equal(w.n[0].down_events, 1);
	assert_string_equal(w.n[0].last_reason, "dead peer (no answer to DPD)");
	assert_int_equal(w_live_sas(&w.n[0]), 0);
	/* re-initiation with back-off: 1 s after the death, then 2 s, 4 s, 8 s (the cap) after
	 * each attempt failed (2 sends, 1 s and 2 s timeouts) */
	w_run(&w, t0 + 51000);
	assert_int_equal(inits_after(h0), 1);
	w_run(&w, w.now + 60000);
	assert_true(inits_after(h0) >= 8);
	{
		/* each attempt: 2 sends (1 s apart), given up 2 s later; then 2 s, 4 s, 8 s... */
		static const uint64_t gaps[] = {3000 + 2000, 3000 + 4000, 3000 + 8000, 3000 + 8000};
		uint64_t first[8];
		uint64_t last_spi = 0;
		size_t k = 0;

		for (size_t i = h0; i < w.nhist && k < 8; i++) {
			const struct w_dgram *d = &w.hist[i];
			uint64_t spi = 0;

			if (d->from != 0 || w_exch(d) != IKE_EXCH_SA_INIT || w_is_response(d))
				continue;
			memcpy(&spi, d->p, 8);
			if (spi != last_spi)
				first[k++] = d->t;
			last_spi = spi;
		}
		assert_true(k >= 5);
		assert_int_equal(first[0], t0 + 51000);
		for (size_t i = 0; i < 4; i++)
			assert_int_equal(first[i + 1] - first[i], gaps[i]);
	}
	/* the peer is back: the tunnel comes up again by itself */
	w.n[1].dead = false;
	w_run(&w, w.now + 30000);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w.n[0].up_events, 2);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_msgid_window(void **state)
{
	const struct w_dgram *req[8];
	size_t n;
	uint8_t buf[2048];

	(void)state;
	up(NULL, NULL);
	/* a Child SA rekey (ID 2) and the delete of the old Child SA (ID 3) from A */
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 100);
	n = sent(0, IKE_EXCH_INFORMATIONAL, false, req, 8);
	assert_int_equal(n, 1);
	assert_int_equal(w_msgid(req[0]), 3);
	/* a duplicate of the last request answered gets the cached response */
	w_inject(&w, 1, 4500, 4500, req[0]->p, req[0]->len);
	assert_int_equal(stats(1).retransmitted_responses, 1);
	w_deliver(&w); /* A drops it: nothing outstanding (and counts it) */
	assert_int_equal(stats(0).rejected[IKE_REJ_UNSOLICITED_RESPONSE], 1);
	assert_int_equal(w_established(&w.n[0]), 1);
	/* an older one (ID 1, IKE_AUTH) is dropped and counted, logged at info */
	n = sent(0, IKE_EXCH_AUTH, false, req, 8);
	assert_int_equal(n, 1);
	w_inject(&w, 1, 4500, 4500, req[0]->p, req[0]->len);
	assert_int_equal(stats(1).rejected[IKE_REJ_MSGID_OLD], 1);
	assert_true(w_log_has(&w, "IKE_AUTH: IKEV2 HEADER:Old Message ID 1, expected 4"));
	/* one from the future (ID 9) is dropped before it is even decrypted */
	n = sent(0, IKE_EXCH_CREATE_CHILD_SA, false, req, 8);
	assert_int_equal(n, 1);
	memcpy(buf, req[0]->p, req[0]->len);
	buf[23] = 9;
	w_inject(&w, 1, 4500, 4500, buf, req[0]->len);
	assert_int_equal(stats(1).rejected[IKE_REJ_MSGID_FUTURE], 1);
	assert_int_equal(stats(1).rejected[IKE_REJ_SK_DECRYPT], 0);
	assert_true(w_log_has(&w, "Message ID 9 outside the window, expected 4"));
	/* nothing disturbed: the next exchange works */
	assert_int_equal(ike_engine_rekey(w.n[1].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 100);
	assert_int_equal(stats(1).child_sa_rekeyed, 2);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_window_one(void **state)
{
	size_t outstanding = 0, max = 0;

	(void)state;
	up(NULL, NULL);
	/* many requests at once: one at a time on the wire (§2.3, window size 1) */
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, true, w.now), 0);
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), -EBUSY);
	assert_int_equal(ike_engine_clear_ipsec(w.n[0].e, W_TUNNEL, w.now), 0);
	for (size_t i = 0; i < w.nq; i++)
		outstanding += w_queued(&w, i)->from == 0 && !w_is_response(w_queued(&w, i));
	max = outstanding;
	assert_int_equal(max, 1);
	w_run(&w, w.now + 5000);
	assert_int_equal(w.n[0].nstates, 1);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_invalid_spi(void **state)
{
	(void)state;
	up(NULL, NULL);
	ike_engine_esp_unknown_spi(w.n[0].e, 0xdeadbeef, &w.n[1].addr, w.now);
	w_run(&w, w.now + 100);
	assert_int_equal(stats(0).rejected[IKE_REJ_INVALID_SPI_CHILD], 1);
	assert_true(w_log_has(&w, "INFORMATIONAL: No Inbound SA Found. SPI 0xdeadbeef"));
	assert_true(w_log_has(&w, "the peer received ESP with SPI deadbeef, which it does not "
	                          "know"));
	assert_int_equal(w_established(&w.n[1]), 1);
	check_clean();
	w_fini(&w);
}

static void
test_rfc6311_flags(void **state)
{
	(void)state;
	up(NULL, NULL);
	/* both ends announce both extensions in IKE_AUTH, so both record them */
	assert_true(est(0)->peer_msgid_sync);
	assert_true(est(0)->peer_replay_sync);
	assert_true(est(1)->peer_msgid_sync);
	assert_true(est(1)->peer_replay_sync);
	/* and they survive an IKE SA rekey */
	assert_int_equal(ike_engine_rekey(w.n[1].e, W_TUNNEL, true, w.now), 0);
	w_run(&w, w.now + 500);
	assert_true(est(0)->peer_msgid_sync);
	assert_true(est(1)->peer_replay_sync);
	check_clean();
	w_fini(&w);
}

static void
test_no_spin(void **state)
{
	uint64_t next;

	(void)state;
	up(NULL, NULL);
	/* nothing due for a long time: the next tick is far away, not "now" */
	next = ike_engine_tick(w.n[0].e, w.now);
	assert_true(next > w.now + 60000);
	next = ike_engine_tick(w.n[1].e, w.now);
	assert_true(next > w.now + 60000);
	check_clean();
	w_fini(&w);
}

static bool
rebind(struct world *wd, const struct w_dgram *d, void *arg)
{
	int *left = arg;

	if (*left > 0 && d->from == 0 && w_exch(d) == IKE_EXCH_CREATE_CHILD_SA) {
		(*left)--;
		/* a NAT in front of A maps it to another port from now on */
		w_inject(wd, 1, 31337, 4500, d->p, d->len);
		return true;
	}
	return false;
}

static void
test_nat_rebinding(void **state)
{
	int left = 1;

	(void)state;
	up(NULL, NULL);
	w.filter = rebind;
	w.farg = &left;
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 500);
	/* B follows the authenticated message to the new port (RFC 7296 §2.23) */
	assert_true(w_log_has(&w, "tunnel t1: peer moved from 192.0.2.1:4500 to 192.0.2.1:31337"));
	assert_int_equal(
	        ntohs(((const struct sockaddr_in *)(const void *)&est(1)->remote)->sin_port),
	        31337);
	assert_int_equal(w_inst(&w.n[1], est(1)->child[0].spi_out, false)->remote_port, 31337);
	assert_int_equal(stats(0).child_sa_rekeyed, 1);
	/* an unauthenticated message from elsewhere moves nothing */
	{
		uint8_t junk[64] = {0};

		memcpy(junk, w_last_sent(&w, 0)->p, 28);
		junk[27] = 64;
		w_inject(&w, 1, 999, 4500, junk, sizeof(junk));
		assert_int_equal(ntohs(((const struct sockaddr_in *)(const void *)&est(1)->remote)
		                               ->sin_port),
		                 31337);
	}
	check_clean();
	w_fini(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_lost_request),       cmocka_unit_test(test_lost_response),
	        cmocka_unit_test(test_lost_init_and_auth), cmocka_unit_test(test_give_up),
	        cmocka_unit_test(test_dpd_dead_peer),      cmocka_unit_test(test_msgid_window),
	        cmocka_unit_test(test_window_one),         cmocka_unit_test(test_invalid_spi),
	        cmocka_unit_test(test_rfc6311_flags),      cmocka_unit_test(test_no_spin),
	        cmocka_unit_test(test_nat_rebinding),
	};

	return cmocka_run_group_tests_name("ike_engine_rel", tests, NULL, NULL);
}
