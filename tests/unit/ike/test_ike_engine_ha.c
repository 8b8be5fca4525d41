/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 engine, the cluster roles: the state A reports is imported into a standby C; A
 * "dies"; C is activated and the peer B carries on with C without a new IKE_SA_INIT: with
 * RFC 6311 (message ID sync), and without it (the request in flight sent again, the cached
 * response answering B's retransmission). C's Child SAs start at the replicated lease limit.
 * A standby never sends and runs no timers.
 */
#include <errno.h>
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

/* IKE SA ciphers: RFC 6311 message-ID sync is sent only when the IKE SA's is not an AEAD */
#define IKE_CBC                                                                              \
	"  encryption algorithm aes-128-cbc\n  authentication algorithm hmac-sha2-256-128\n" \
	"  pseudo-random-function hmac-sha2-256\n  dh-group 19\n"

static int
up_with_standby_ike(const char *ike)
{
	struct w_conf a = {.conn = "initiator-only", .ike = ike},
	              b = {.conn = "responder-only", .ike = ike};
	int c;

	w_init(&w, &a, &b, NULL);
	c = w_add_standby(&w, &a);
	w_run(&w, w.now + 1000);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_established(&w.n[1]), 1);
	return c;
}

static int
up_with_standby(void)
{
	return up_with_standby_ike(NULL);
}

/* What the replication layer would carry: every state A reported, as it is now. */
static void
replicate(int from, int to, bool strip_6311)
{
	for (size_t i = 0; i < w.n[from].nstates; i++) {
		struct ike_sa_state st;

		memset(&st, 0, sizeof(st));
		assert_int_equal(ike_sa_state_copy(&st, &w.n[from].states[i]), 0);
		if (strip_6311) {
			st.peer_msgid_sync = false;
			st.peer_replay_sync = false;
		}
		assert_int_equal(ike_engine_import(w.n[to].e, &st), 0);
		ike_sa_state_clear(&st);
	}
}

static size_t
inits_since(size_t h)
{
	size_t n = 0;

	for (size_t i = h; i < w.nhist; i++)
		n += w_exch(&w.hist[i]) == IKE_EXCH_SA_INIT;
	return n;
}

static void
test_takeover_rfc6311(void **state)
{
	const struct esp_sa_params *o, *in;
	uint32_t spi_in, spi_out;
	size_t h;
	int c;

	(void)state;
	c = up_with_standby_ike(IKE_CBC);
	/* some traffic on the IKE SA first: message IDs move */
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 500);
	assert_int_equal(est(0)->msgid_next_send, 4);
	replicate(0, c, false);
	/* the standby holds it without a sound */
	assert_int_equal(w.n[c].sends, 0);
	assert_int_equal(w.n[c].ninst, 0);
	assert_int_equal(ike_engine_tick(w.n[c].e, w.now), UINT64_MAX);
	/* A dies; C takes over */
	w.n[0].dead = true;
	h = w.nhist;
	spi_in = est(0)->child[0].spi_in;
	spi_out = est(0)->child[0].spi_out;
	ike_engine_activate(w.n[c].e, w.now);
	/* the Child SA goes to C's data plane, outbound one lease past the last replicated
	 * limit (the lease an old active cut off may have had alone) */
	o = w_inst(&w.n[c], spi_out, false);
	in = w_inst(&w.n[c], spi_in, true);
	assert_non_null(o);
	assert_non_null(in);
	assert_int_equal(o->seq_start, 2 * 65536);
	assert_int_equal(o->lease_limit, 3 * 65536);
	assert_int_equal(in->seq_start, 1024);
	w_run(&w, w.now + 500);
	assert_true(w_log_has(&w, "message IDs synchronised with the peer (RFC 6311)"));
	assert_true(w_log_has(&w, "the peer's cluster synchronised message IDs (RFC 6311)"));
	/* B carries on with C: a rekey from each side, no new IKE_SA_INIT */
	assert_int_equal(ike_engine_rekey(w.n[1].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 500);
	assert_int_equal(ike_engine_rekey(w.n[c].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 500);
	assert_int_equal(inits_since(h), 0);
	assert_int_equal(stats(1).child_sa_rekeyed, 3);
	assert_int_equal(stats(c).child_sa_rekeyed, 2);
	assert_int_equal(est(c)->spi_i, est(1)->spi_i);
	w_assert_pairs(&w.n[c], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[c]);
	/* the standby's takeover was a change too, reported before anything was sent */
	assert_true(w.n[c].nchanges[IKE_CH_MSGID] >= 1);
	check_clean();
	w_fini(&w);
}

/*
 * A store that was not complete for long (docs/faults.md "Stale stores"): the replication
 * layer skips the outbound limit far ahead, here past a 32-bit counter's end. The new active
 * cannot send on that Child SA and rekeys it at once; the IKE SA stays.
 */
static void
test_takeover_past_seq_space(void **state)
{
	uint32_t spi_out;
	size_t h;
	int c;

	(void)state;
	c = up_with_standby();
	replicate(0, c, false);
	assert_false(est(0)->child[0].esn);
	spi_out = est(0)->child[0].spi_out;
	ike_engine_child_seq(w.n[c].e, spi_out, false, (uint64_t)UINT32_MAX + 1000);
	w.n[0].dead = true;
	h = w.nhist;
	ike_engine_activate(w.n[c].e, w.now);
	assert_true(w_log_has(&w, "resumes past its 32-bit sequence space; rekeying it"));
	w_run(&w, w.now + 500);
	assert_int_equal(inits_since(h), 0);
	assert_int_equal(stats(c).child_sa_rekeyed, 1);
	assert_int_not_equal(est(c)->child[0].spi_out, spi_out);
	w_assert_pairs(&w.n[c], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[c]);
	check_clean();
	w_fini(&w);
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

/* The same takeover with an AEAD IKE SA: no message-ID sync (message ID 0), the replicated
 * message IDs carry on and the peer keeps its IKE SA. */
static void
test_takeover_aead_no_mid_sync(void **state)
{
	size_t h;
	int c;

	(void)state;
	c = up_with_standby();
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 500);
	replicate(0, c, false);
	assert_true(est(0)->peer_msgid_sync);
	w.n[0].dead = true;
	h = w.nhist;
	ike_engine_activate(w.n[c].e, w.now);
	w_run(&w, w.now + 500);
	assert_true(w_log_has(&w, "RFC 6311 message-ID sync not sent"));
	assert_false(w_log_has(&w, "message IDs synchronised with the peer (RFC 6311)"));
	for (size_t i = h; i < w.nhist; i++)
		assert_int_not_equal(w_exch(&w.hist[i]), IKE_EXCH_INFORMATIONAL);
	/* both sides rekey on the replicated message IDs; no new IKE_SA_INIT */
	assert_int_equal(ike_engine_rekey(w.n[1].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 500);
	assert_int_equal(ike_engine_rekey(w.n[c].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 500);
	assert_int_equal(inits_since(h), 0);
	assert_int_equal(est(c)->spi_i, est(1)->spi_i);
	w_assert_pairs(&w.n[c], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[c]);
	check_clean();
	w_fini(&w);
}

static void
test_takeover_request_in_flight(void **state)
{
	struct drop x = {0, IKE_EXCH_INFORMATIONAL, false, 1};
	size_t h;
	int c;

	(void)state;
	c = up_with_standby();
	/* A deletes the Child SA; the request is lost and A dies before it retransmits */
	w.filter = drop_fn;
	w.farg = &x;
	assert_int_equal(ike_engine_clear_ipsec(w.n[0].e, W_TUNNEL, w.now), 0);
	w_deliver(&w);
	assert_int_equal(x.left, 0);
	replicate(0, c, true);
	w.n[0].dead = true;
	h = w.nhist;
	ike_engine_activate(w.n[c].e, w.now);
	/* a peer without RFC 6311: C sends the request in flight again, and it completes */
	w_run(&w, w.now + 5000);
	assert_int_equal(inits_since(h), 0);
	assert_int_equal(w.n[1].nchanges[IKE_CH_CHILD_DELETED], 1);
	assert_int_equal(est(c)->nchildren, 1);
	assert_int_equal(est(1)->nchildren, 1);
	w_assert_pairs(&w.n[c], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[c]);
	check_clean();
	w_fini(&w);
}

static void
test_takeover_cached_response(void **state)
{
	struct drop x = {0, IKE_EXCH_CREATE_CHILD_SA, true, 1};
	const struct w_dgram *lost = NULL;
	size_t h;
	int c;

	(void)state;
	c = up_with_standby();
	/* B rekeys; A answers, the answer is lost, A dies */
	w.filter = drop_fn;
	w.farg = &x;
	assert_int_equal(ike_engine_rekey(w.n[1].e, W_TUNNEL, false, w.now), 0);
	w_deliver(&w);
	assert_int_equal(x.left, 0);
	lost = w_last_sent(&w, 0);
	assert_true(w_is_response(lost));
	replicate(0, c, true);
	w.n[0].dead = true;
	h = w.nhist;
	ike_engine_activate(w.n[c].e, w.now);
	/* C sends nothing by itself (no cached response unprompted) */
	w_deliver(&w);
	assert_int_equal(w.n[c].sends, 0);
	/* B's retransmission gets the very same answer from C */
	w_run(&w, w.now + 1500);
	assert_int_equal(stats(c).retransmitted_responses, 1);
	for (size_t i = h; i < w.nhist; i++) {
		if (w.hist[i].from == c && w_exch(&w.hist[i]) == IKE_EXCH_CREATE_CHILD_SA) {
			assert_int_equal(w.hist[i].len, lost->len);
			assert_memory_equal(w.hist[i].p, lost->p, lost->len);
			break;
		}
	}
	w_run(&w, w.now + 3000);
	assert_int_equal(inits_since(h), 0);
	assert_int_equal(est(1)->nchildren, 1);
	assert_int_equal(est(c)->nchildren, 1);
	w_assert_pairs(&w.n[c], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[c]);
	check_clean();
	w_fini(&w);
}

static void
test_takeover_after_ike_rekey(void **state)
{
	size_t h;
	int c;

	(void)state;
	c = up_with_standby();
	assert_int_equal(ike_engine_rekey(w.n[1].e, W_TUNNEL, true, w.now), 0);
	w_run(&w, w.now + 500);
	assert_int_equal(w.n[0].nstates, 1);
	replicate(0, c, false);
	w.n[0].dead = true;
	h = w.nhist;
	ike_engine_activate(w.n[c].e, w.now);
	w_run(&w, w.now + 500);
	assert_int_equal(ike_engine_rekey(w.n[1].e, W_TUNNEL, true, w.now), 0);
	w_run(&w, w.now + 500);
	assert_int_equal(inits_since(h), 0);
	assert_int_equal(est(1)->spi_i, est(c)->spi_i);
	assert_int_equal(est(c)->nchildren, 1);
	w_assert_pairs(&w.n[c], &w.n[1]);
	check_clean();
	w_fini(&w);
}

/* The active node dies while its Delete of the IKE SA is in flight: the new one finishes it. */
static void
takeover_deleting(bool with_6311)
{
	struct drop x = {0, IKE_EXCH_INFORMATIONAL, false, 1};
	uint64_t old_spi;
	int c;

	c = up_with_standby();
	old_spi = est(1)->spi_i;
	w.filter = drop_fn;
	w.farg = &x;
	assert_int_equal(ike_engine_clear_ike(w.n[0].e, W_TUNNEL, w.now), 0);
	w_deliver(&w);
	assert_int_equal(x.left, 0);
	replicate(0, c, !with_6311);
	w.n[0].dead = true;
	ike_engine_activate(w.n[c].e, w.now);
	w_run(&w, w.now + 500);
	/* the old IKE SA is gone on both sides */
	for (size_t i = 0; i < w.n[1].nstates; i++)
		assert_int_not_equal(w.n[1].states[i].spi_i, old_spi);
	/* and the static tunnel comes up again from the new node */
	w_run(&w, w.now + 3000);
	assert_int_equal(w_established(&w.n[c]), 1);
	assert_int_equal(w_established(&w.n[1]), 1);
	assert_int_not_equal(est(1)->spi_i, old_spi);
	w_assert_pairs(&w.n[c], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_takeover_deleting(void **state)
{
	(void)state;
	takeover_deleting(true);
	takeover_deleting(false);
}

static void
test_standby_quiet(void **state)
{
	int c;
	uint64_t sends;

	(void)state;
	c = up_with_standby();
	replicate(0, c, false);
	/* forget removes without a word; import again restores */
	ike_engine_forget(w.n[c].e, est(0)->spi_i, est(0)->spi_r);
	replicate(0, c, false);
	/* A steps down (switchover): its SAs go quiet too */
	ike_engine_set_standby(w.n[0].e, true);
	sends = w.n[0].sends + w.n[c].sends;
	w_run(&w, w.now + 100000);
	assert_int_equal(w.n[0].sends + w.n[c].sends, sends);
	assert_int_equal(ike_engine_tick(w.n[0].e, w.now), UINT64_MAX);
	assert_int_equal(ike_engine_initiate(w.n[0].e, W_TUNNEL, w.now), -EAGAIN);
	check_clean();
	w_fini(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_takeover_rfc6311),
	        cmocka_unit_test(test_takeover_aead_no_mid_sync),
	        cmocka_unit_test(test_takeover_past_seq_space),
	        cmocka_unit_test(test_takeover_request_in_flight),
	        cmocka_unit_test(test_takeover_cached_response),
	        cmocka_unit_test(test_takeover_after_ike_rekey),
	        cmocka_unit_test(test_takeover_deleting),
	        cmocka_unit_test(test_standby_quiet),
	};

	return cmocka_run_group_tests_name("ike_engine_ha", tests, NULL, NULL);
}
