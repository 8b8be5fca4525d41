/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 engine, robustness: every datagram of a busy exchange history (IKE_SA_INIT, IKE_AUTH,
 * Child SA and IKE SA rekeys, deletes, DPD), cut at every length and with single bits flipped,
 * thrown at both engines of a working IKE SA. Nothing may crash (run it under ASan), nothing
 * is sent before its change is reported, and the IKE SA still works afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/ike/ike_msg.h"
#include "test_ike_engine_util.h"

static struct world w;

struct pkt {
	uint8_t *p;
	size_t len;
	int from;
	uint16_t sport, dport;
};

static struct pkt pkts[256];
static size_t npkts;

static uint16_t
port_of(const struct sockaddr_storage *ss)
{
	const uint8_t *p = (const uint8_t *)ss;

	/* sockaddr_in: family (2 bytes), then the port in network order */
	return (uint16_t)(p[2] << 8 | p[3]);
}

/* A history of everything two engines say in a busy life. */
static void
collect(void)
{
	struct w_conf a = {.conn = "initiator-only",
	                   .pfs = 19,
	                   .keepalive = "  ike keepalive interval 10 retries 2\n"};
	struct w_conf b = {.conn = "responder-only", .pfs = 19};

	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 1000);
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 1000);
	assert_int_equal(ike_engine_rekey(w.n[1].e, W_TUNNEL, true, w.now), 0);
	w_run(&w, w.now + 1000);
	assert_int_equal(ike_engine_clear_ipsec(w.n[1].e, W_TUNNEL, w.now), 0);
	w_run(&w, w.now + 15000);
	for (size_t i = 0; i < w.nhist && npkts < 256; i++) {
		struct pkt *k = &pkts[npkts++];

		k->p = malloc(w.hist[i].len);
		assert_non_null(k->p);
		memcpy(k->p, w.hist[i].p, w.hist[i].len);
		k->len = w.hist[i].len;
		k->from = w.hist[i].from;
		k->sport = port_of(&w.hist[i].local);
		k->dport = port_of(&w.hist[i].remote);
	}
	assert_true(npkts > 10);
	w_fini(&w);
}

static void
throw_at(const struct pkt *k, const uint8_t *p, size_t len)
{
	int to = k->from == 0 ? 1 : 0;

	w_inject(&w, to, k->sport, k->dport, p, len);
	w_deliver(&w);
}

static void
test_mutations(void **state)
{
	struct w_conf a = {.conn = "initiator-only", .pfs = 19};
	struct w_conf b = {.conn = "responder-only", .pfs = 19};
	uint8_t buf[4096];
	size_t thrown = 0;

	(void)state;
	collect();
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 1000);
	assert_int_equal(w_established(&w.n[0]), 1);
	for (size_t i = 0; i < npkts; i++) {
		const struct pkt *k = &pkts[i];

		if (k->len > sizeof(buf))
			continue;
		/* every truncation */
		for (size_t n = 0; n < k->len; n++) {
			throw_at(k, k->p, n);
			thrown++;
		}
		/* every bit of the header and the first payload headers, some of the rest */
		for (size_t bit = 0; bit < k->len * 8; bit += bit < 64 * 8 ? 1 : 37) {
			memcpy(buf, k->p, k->len);
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			throw_at(k, buf, k->len);
			thrown++;
		}
		/* and as it was (replays) */
		throw_at(k, k->p, k->len);
	}
	assert_true(thrown > 1000);
	/* still the same working IKE SA on both sides */
	w_run(&w, w.now + 100);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_established(&w.n[1]), 1);
	assert_int_equal(ike_engine_rekey(w.n[0].e, W_TUNNEL, false, w.now), 0);
	w_run(&w, w.now + 1000);
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	assert_false(w.n[0].order_violation);
	assert_false(w.n[1].order_violation);
	w_fini(&w);
	for (size_t i = 0; i < npkts; i++)
		free(pkts[i].p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests_name("ike_engine_mutate", tests, NULL, NULL);
}
