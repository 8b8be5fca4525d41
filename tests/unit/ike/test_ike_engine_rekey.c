/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 engine, the life of established SAs: Child SA rekey from each side (with and without
 * PFS, on demand and by lifetime), IKE SA rekey from each side (the Child SAs move, the old
 * IKE SA goes, new keys), simultaneous rekeys (RFC 7296 §2.8.1, §2.8.2), deletes from each
 * side, and a rekey of a Child SA the peer is deleting.
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

/* A initiates, B answers; both established with one Child SA. */
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
	assert_int_equal(w_live_sas(&w.n[0]), 2);
}

static void
child_rekey_by(int node, unsigned pfs)
{
	struct w_conf a = {.pfs = pfs}, b = {.pfs = pfs};
	uint32_t old_in, old_out;

	up(&a, &b);
	old_in = est(0)->child[0].spi_in;
	old_out = est(0)->child[0].spi_out;
	assert_int_equal(ike_engine_rekey(w.n[node].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 1000);
	/* one Child SA each, new SPIs, the old ones out of the data plane */
	assert_int_equal(est(0)->nchildren, 1);
	assert_int_equal(est(1)->nchildren, 1);
	assert_int_not_equal(est(0)->child[0].spi_in, old_in);
	assert_int_not_equal(est(0)->child[0].spi_out, old_out);
	assert_int_equal(est(0)->child[0].pfs_group, pfs);
	assert_null(w_inst(&w.n[0], old_in, true));
	assert_null(w_inst(&w.n[0], old_out, false));
	assert_int_equal(w_live_sas(&w.n[0]), 2);
	assert_int_equal(w_live_sas(&w.n[1]), 2);
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	assert_int_equal(stats(0).child_sa_rekeyed, 1);
	assert_int_equal(stats(1).child_sa_rekeyed, 1);
	/* the tunnel never went down */
	assert_int_equal(w.n[0].down_events, 0);
	assert_int_equal(w.n[1].down_events, 0);
	/* the IKE SA is the same */
	assert_int_equal(w_established(&w.n[0]), 1);
	check_clean();
	w_fini(&w);
}

static void
test_child_rekey_a(void **state)
{
	(void)state;
	child_rekey_by(0, 0);
}

static void
test_child_rekey_b(void **state)
{
	(void)state;
	child_rekey_by(1, 0);
}

static void
test_child_rekey_pfs(void **state)
{
	(void)state;
	child_rekey_by(0, 14);
	child_rekey_by(1, 19);
}

static void
test_child_rekey_pfs_mismatch(void **state)
{
	struct w_conf a = {.pfs = 14}, b = {0};
	uint32_t old_in;

	(void)state;
	up(&a, &b);
	old_in = est(0)->child[0].spi_in;
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 500);
	assert_int_equal(stats(1).rejected[IKE_REJ_NO_PROPOSAL_CHOSEN], 1);
	assert_true(w_log_has(&w, "CREATE_CHILD_SA: no proposal chosen (MISMATCHED_PFS_GROUP): "
	                          "received AES_GCM_16_128/MODP_2048/NO_ESN, configured "
	                          "AES_GCM_16_128/NO_ESN (tunnel t1)"));
	/* the old Child SA carries on */
	assert_int_equal(est(0)->child[0].spi_in, old_in);
	assert_int_equal(w_live_sas(&w.n[0]), 2);
	check_clean();
	w_fini(&w);
}

static void
test_child_rekey_lifetime(void **state)
{
	struct w_conf a = {.esp_life = "  lifetime seconds 300\n"};
	struct w_conf b = {.esp_life = "  lifetime seconds 300\n"};
	uint32_t old_in;

	(void)state;
	up(&a, &b);
	old_in = est(0)->child[0].spi_in;
	/* the creator (A) rekeys at 85-90 %; B would at 92.5-95 % */
	w_run(&w, w.now + 250000);
	assert_int_equal(est(0)->child[0].spi_in, old_in);
	w_run(&w, w.now + 30000);
	assert_int_not_equal(est(0)->child[0].spi_in, old_in);
	assert_int_equal(stats(0).child_sa_rekeyed, 1);
	w_assert_pairs(&w.n[0], &w.n[1]);
	/* and again: the new one has its own lifetime */
	w_run(&w, w.now + 300000);
	assert_int_equal(stats(0).child_sa_rekeyed, 2);
	assert_int_equal(w_live_sas(&w.n[0]), 2);
	w_assert_pairs(&w.n[1], &w.n[0]);
	check_clean();
	w_fini(&w);
}

static void
ike_rekey_by(int node)
{
	uint64_t spi_i, spi_r;
	uint32_t child_in;
	struct secret sk_d = {0};

	up(NULL, NULL);
	spi_i = est(0)->spi_i;
	spi_r = est(0)->spi_r;
	child_in = est(0)->child[0].spi_in;
	assert_int_equal(secret_copy(&sk_d, &est(0)->sk_d), 0);
	assert_int_equal(ike_engine_rekey(w.n[node].e, W_TUNNEL, true, w.now), 0);
	w_run(&w, w.now + 1000);
	/* one IKE SA each: new SPIs and keys, the same Child SA, nothing reinstalled */
	assert_int_equal(w.n[0].nstates, 1);
	assert_int_equal(w.n[1].nstates, 1);
	assert_int_not_equal(est(0)->spi_i, spi_i);
	assert_int_not_equal(est(0)->spi_r, spi_r);
	assert_int_equal(est(0)->spi_i, est(1)->spi_i);
	assert_false(secret_eq(&est(0)->sk_d, &sk_d));
	assert_true(secret_eq(&est(0)->sk_d, &est(1)->sk_d));
	assert_true(est(0)->initiator == (node == 0));
	assert_int_equal(est(0)->nchildren, 1);
	assert_int_equal(est(0)->child[0].spi_in, child_in);
	assert_int_equal(w.n[0].ninst, 2);
	assert_int_equal(w_live_sas(&w.n[0]), 2);
	assert_int_equal(w.n[0].nchanges[IKE_CH_REKEYED], 1);
	assert_int_equal(w.n[1].nchanges[IKE_CH_REKEYED], 1);
	assert_int_equal(stats(0).ike_sa_rekeyed, 1);
	assert_int_equal(w.n[0].down_events, 0);
	/* the new IKE SA works: message IDs start at 0 there, a Child SA rekey goes through */
	assert_int_equal(ike_engine_rekey(w.n[1 - node].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 1000);
	assert_int_not_equal(est(0)->child[0].spi_in, child_in);
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	secret_clear(&sk_d);
	check_clean();
	w_fini(&w);
}

static void
test_ike_rekey_a(void **state)
{
	(void)state;
	ike_rekey_by(0);
}

static void
test_ike_rekey_b(void **state)
{
	(void)state;
	ike_rekey_by(1);
}

static void
test_ike_rekey_lifetime(void **state)
{
	struct w_conf a = {.ike_life = "    lifetime seconds 300\n"};
	struct w_conf b = {.ike_life = "    lifetime seconds 300\n"};
	uint64_t spi_i;

	(void)state;
	up(&a, &b);
	spi_i = est(0)->spi_i;
	w_run(&w, w.now + 290000);
	assert_int_not_equal(est(0)->spi_i, spi_i);
	assert_int_equal(w.n[0].nstates, 1);
	assert_int_equal(stats(0).ike_sa_rekeyed, 1);
	w_run(&w, w.now + 600000);
	assert_int_equal(stats(0).ike_sa_rekeyed, 3);
	assert_int_equal(w.n[1].nstates, 1);
	assert_int_equal(w_live_sas(&w.n[0]), 2);
	assert_int_equal(w.n[0].down_events, 0);
	check_clean();
	w_fini(&w);
}

static void
test_child_rekey_collision(void **state)
{
	uint32_t old_in;

	(void)state;
	up(NULL, NULL);
	old_in = est(0)->child[0].spi_in;
	/* both start before either request arrives (§2.8.1) */
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	assert_int_equal(ike_engine_rekey(w.n[1].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 2000);
	assert_true(w_log_has(&w, "Child SA rekey collision won; deleting the old one"));
	assert_true(w_log_has(&w, "Child SA rekey collision lost; deleting the redundant one"));
	/* exactly one Child SA survives on each side, the same one */
	assert_int_equal(est(0)->nchildren, 1);
	assert_int_equal(est(1)->nchildren, 1);
	assert_int_not_equal(est(0)->child[0].spi_in, old_in);
	assert_int_equal(est(0)->child[0].spi_in, est(1)->child[0].spi_out);
	assert_int_equal(w_live_sas(&w.n[0]), 2);
	assert_int_equal(w_live_sas(&w.n[1]), 2);
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	assert_int_equal(w.n[0].down_events, 0);
	check_clean();
	w_fini(&w);
}

static void
test_ike_rekey_collision(void **state)
{
	uint64_t spi_i;
	uint32_t child_in;

	(void)state;
	up(NULL, NULL);
	spi_i = est(0)->spi_i;
	child_in = est(0)->child[0].spi_in;
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, true, w.now), 0);
	assert_int_equal(ike_engine_rekey(w.n[1].e, W_TUNNEL, true, w.now), 0);
	w_run(&w, w.now + 2000);
	assert_true(w_log_has(&w, "IKE SA rekey collision won"));
	assert_true(w_log_has(&w, "IKE SA rekey collision lost"));
	/* one IKE SA each, the same, with the Child SA */
	assert_int_equal(w.n[0].nstates, 1);
	assert_int_equal(w.n[1].nstates, 1);
	assert_int_not_equal(est(0)->spi_i, spi_i);
	assert_int_equal(est(0)->spi_i, est(1)->spi_i);
	assert_int_equal(est(0)->spi_r, est(1)->spi_r);
	assert_true(secret_eq(&est(0)->sk_d, &est(1)->sk_d));
	assert_int_equal(est(0)->nchildren, 1);
	assert_int_equal(est(0)->child[0].spi_in, child_in);
	assert_int_equal(w.n[0].down_events, 0);
	/* and it works */
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 1000);
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	check_clean();
	w_fini(&w);
}

static void
test_delete_ike(void **state)
{
	for (int node = 0; node < 2; node++) {
		(void)state;
		up(NULL, NULL);
		assert_int_equal(ike_engine_clear_ike(w.n[node].e, W_TUNNEL, w.now), 0);
		w_run(&w, w.now + 100);
		assert_int_equal(w.n[0].nstates, 0);
		assert_int_equal(w.n[1].nstates, 0);
		assert_int_equal(w_live_sas(&w.n[0]), 0);
		assert_int_equal(w_live_sas(&w.n[1]), 0);
		assert_int_equal(w.n[0].down_events, 1);
		assert_int_equal(w.n[1].down_events, 1);
		assert_int_equal(w.n[node].nchanges[IKE_CH_DELETED], 1);
		/* A (initiator-only) brings the static tunnel back, after back-off */
		w_run(&w, w.now + 1500);
		assert_int_equal(w_established(&w.n[0]), 1);
		assert_int_equal(w_established(&w.n[1]), 1);
		w_assert_pairs(&w.n[0], &w.n[1]);
		check_clean();
		w_fini(&w);
	}
}

static void
test_delete_child(void **state)
{
	for (int node = 0; node < 2; node++) {
		uint32_t old_in;

		(void)state;
		up(NULL, NULL);
		old_in = est(0)->child[0].spi_in;
		assert_int_equal(ike_engine_clear_ipsec(w.n[node].e, W_TUNNEL, w.now), 0);
		w_run(&w, w.now + 10);
		/* the paired SPIs are gone on both sides (RFC 7296 §1.4.1) */
		assert_null(w_inst(&w.n[0], old_in, true));
		assert_null(w_inst(&w.n[1], old_in, false));
		assert_int_equal(w.n[0].nchanges[IKE_CH_CHILD_DELETED], 1);
		assert_int_equal(w.n[1].nchanges[IKE_CH_CHILD_DELETED], 1);
		/* the IKE SA stays; the initiator creates the Child SA again */
		w_run(&w, w.now + 3000);
		assert_int_equal(w_established(&w.n[0]), 1);
		assert_int_equal(est(0)->nchildren, 1);
		assert_int_not_equal(est(0)->child[0].spi_in, old_in);
		w_assert_pairs(&w.n[0], &w.n[1]);
		w_assert_pairs(&w.n[1], &w.n[0]);
		check_clean();
		w_fini(&w);
	}
}

static bool
drop_first_ccsa(struct world *wd, const struct w_dgram *d, void *arg)
{
	int *left = arg;

	(void)wd;
	if (d->from == 0 && w_exch(d) == IKE_EXCH_CREATE_CHILD_SA && !w_is_response(d) &&
	    *left > 0) {
		(*left)--;
		return true;
	}
	return false;
}

static void
test_rekey_vs_delete(void **state)
{
	int left = 1;

	(void)state;
	up(NULL, NULL);
	/* A's rekey request is lost once; meanwhile B deletes the Child SA */
	w.filter = drop_first_ccsa;
	w.farg = &left;
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_deliver(&w);
	assert_int_equal(ike_engine_clear_ipsec(w.n[1].e, W_TUNNEL, w.now), 0);
	w_deliver(&w);
	/* A's retransmission reaches B, which no longer has the Child SA */
	w_run(&w, w.now + 1500);
	assert_true(w_log_has(&w, "the peer rekeys Child SA"));
	assert_true(w_log_has(&w, "which we do not have"));
	/* in the end one working Child SA (A creates it again) */
	w_run(&w, w.now + 5000);
	assert_int_equal(est(0)->nchildren, 1);
	assert_int_equal(est(1)->nchildren, 1);
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	check_clean();
	w_fini(&w);
}

static void
test_rekey_while_peer_deletes(void **state)
{
	(void)state;
	up(NULL, NULL);
	/* both at once: B's Delete and A's rekey cross (TEMPORARY_FAILURE, §2.25) */
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	assert_int_equal(ike_engine_clear_ipsec(w.n[1].e, W_TUNNEL, w.now), 0);
	w_run(&w, w.now + 6000);
	assert_int_equal(est(0)->nchildren, 1);
	assert_int_equal(est(1)->nchildren, 1);
	assert_int_equal(w_live_sas(&w.n[0]), 2);
	assert_int_equal(w_live_sas(&w.n[1]), 2);
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	check_clean();
	w_fini(&w);
}

static void
test_byte_lifetime(void **state)
{
	uint32_t old_in;

	(void)state;
	up(NULL, NULL);
	old_in = est(0)->child[0].spi_in;
	/* soft: rekey */
	ike_engine_child_lifetime(w.n[1].e, est(1)->child[0].spi_in, true, false, w.now);
	w_run(&w, w.now + 500);
	assert_int_not_equal(est(0)->child[0].spi_in, old_in);
	w_assert_pairs(&w.n[0], &w.n[1]);
	/* hard: delete (and the initiator creates a new one) */
	old_in = est(0)->child[0].spi_in;
	ike_engine_child_lifetime(w.n[0].e, old_in, true, true, w.now);
	w_run(&w, w.now + 10);
	assert_null(w_inst(&w.n[0], old_in, true));
	w_run(&w, w.now + 3000);
	assert_int_equal(est(0)->nchildren, 1);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_child_rekey_a),
	        cmocka_unit_test(test_child_rekey_b),
	        cmocka_unit_test(test_child_rekey_pfs),
	        cmocka_unit_test(test_child_rekey_pfs_mismatch),
	        cmocka_unit_test(test_child_rekey_lifetime),
	        cmocka_unit_test(test_ike_rekey_a),
	        cmocka_unit_test(test_ike_rekey_b),
	        cmocka_unit_test(test_ike_rekey_lifetime),
	        cmocka_unit_test(test_child_rekey_collision),
	        cmocka_unit_test(test_ike_rekey_collision),
	        cmocka_unit_test(test_delete_ike),
	        cmocka_unit_test(test_delete_child),
	        cmocka_unit_test(test_rekey_vs_delete),
	        cmocka_unit_test(test_rekey_while_peer_deletes),
	        cmocka_unit_test(test_byte_lifetime),
	};

	return cmocka_run_group_tests_name("ike_engine_rekey", tests, NULL, NULL);
}
