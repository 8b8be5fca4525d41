/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 engine, establishment: both roles with every proposal set of the interop matrix (and
 * the Child SA keys both sides install), PSK and proposal mismatches, INVALID_KE_PAYLOAD,
 * cookies, traffic selector narrowing and TS_UNACCEPTABLE, identities, connection types and
 * simultaneous initiation.
 */
#include <arpa/inet.h>
#include <errno.h>
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

#define IKE_GCM                                                                        \
	"  encryption algorithm aes-128-gcm\n  pseudo-random-function hmac-sha2-256\n" \
	"  dh-group 19\n"
#define IKE_AES256                                                                           \
	"  encryption algorithm aes-256-cbc\n  authentication algorithm hmac-sha2-256-128\n" \
	"  pseudo-random-function hmac-sha2-256\n  dh-group 14\n"
#define IKE_AES128                                                                      \
	"  encryption algorithm aes-128-cbc\n  authentication algorithm hmac-sha1-96\n" \
	"  pseudo-random-function hmac-sha1\n  dh-group 2\n"
#define IKE_3DES                                                                    \
	"  encryption algorithm 3des-cbc\n  authentication algorithm hmac-md5-96\n" \
	"  pseudo-random-function hmac-md5\n  dh-group 2\n"
#define IKE_CHACHA                                                                           \
	"  encryption algorithm chacha20-poly1305\n  pseudo-random-function hmac-sha2-256\n" \
	"  dh-group 31\n"
#define ESP_GCM    "  esp encryption aes-128-gcm\n"
#define ESP_AES256 "  esp encryption aes-256-cbc\n  esp authentication hmac-sha2-256-128\n"
#define ESP_AES128 "  esp encryption aes-128-cbc\n  esp authentication hmac-sha1-96\n"

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

/* One establishment: `init` initiates (initiator-only), the other answers (responder-only). */
static void
establish(const char *ike, const char *esp, int init, enum cfg_encr encr, uint16_t dh,
          enum cfg_encr esp_encr)
{
	struct w_conf ci = {.ike = ike, .esp = esp, .conn = "initiator-only"};
	struct w_conf cr = {.ike = ike, .esp = esp, .conn = "responder-only"};
	const struct ike_sa_state *a, *b;

	w_init(&w, init == 0 ? &ci : &cr, init == 0 ? &cr : &ci, NULL);
	w_run(&w, w.now + 3000);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_established(&w.n[1]), 1);
	a = w_state(&w.n[0], IKE_PHASE_ESTABLISHED);
	b = w_state(&w.n[1], IKE_PHASE_ESTABLISHED);
	assert_true(a->initiator == (init == 0));
	assert_true(b->initiator == (init == 1));
	assert_int_equal(a->spi_i, b->spi_i);
	assert_int_equal(a->spi_r, b->spi_r);
	assert_int_equal(a->encr, encr);
	assert_int_equal(a->dh_group, dh);
	assert_true(secret_eq(&a->sk_d, &b->sk_d));
	assert_true(secret_eq(&a->sk_ei, &b->sk_ei));
	assert_int_equal(a->nchildren, 1);
	assert_int_equal(b->nchildren, 1);
	assert_int_equal(a->child[0].encr, esp_encr);
	assert_int_equal(a->child[0].spi_in, b->child[0].spi_out);
	assert_int_equal(a->child[0].spi_out, b->child[0].spi_in);
	assert_true(a->child[0].udp_encap);
	/* NAT-T: both sides float to 4500 and encapsulate (docs/ike.md) */
	assert_int_equal(ntohs(((const struct sockaddr_in *)(const void *)&a->local)->sin_port),
	                 4500);
	assert_int_equal(w_live_sas(&w.n[0]), 2);
	assert_int_equal(w_live_sas(&w.n[1]), 2);
	{
		/* what the data plane gets: fresh sequence numbers, the first lease (no cluster
		 * block: 65536), the policy's replay window, ESP in UDP on 4500 both ways */
		const struct esp_sa_params *o = w_inst(&w.n[0], a->child[0].spi_out, false);
		const struct esp_sa_params *in = w_inst(&w.n[0], a->child[0].spi_in, true);

		assert_non_null(o);
		assert_non_null(in);
		assert_int_equal(o->seq_start, 1);
		assert_int_equal(o->lease_limit, 65536);
		assert_int_equal(in->seq_start, 0);
		assert_int_equal(in->replay_window, 64);
		assert_int_equal(o->local_port, 4500);
		assert_int_equal(o->remote_port, 4500);
		assert_string_equal(o->tunnel, W_TUNNEL);
		assert_int_equal(o->child_id, in->child_id);
		assert_int_equal(a->child[0].out_lease_limit, 65536);
	}
	/* A's outbound is B's inbound, with the same keys, and the other way round */
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	assert_int_equal(w.n[0].up_events, 1);
	assert_int_equal(w.n[1].up_events, 1);
	check_clean();
	w_fini(&w);
}

static void
test_matrix_ike(void **state)
{
	static const struct {
		const char *ike;
		enum cfg_encr encr;
		uint16_t dh;
	} sets[] = {
	        {IKE_GCM, CFG_ENCR_AES128_GCM16, 19},         {IKE_AES256, CFG_ENCR_AES256_CBC, 14},
	        {IKE_AES128, CFG_ENCR_AES128_CBC, 2},         {IKE_3DES, CFG_ENCR_3DES_CBC, 2},
	        {IKE_CHACHA, CFG_ENCR_CHACHA20_POLY1305, 31},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		for (int init = 0; init < 2; init++)
			establish(sets[i].ike, ESP_GCM, init, sets[i].encr, sets[i].dh,
			          CFG_ENCR_AES128_GCM16);
}

static void
test_matrix_esp(void **state)
{
	static const struct {
		const char *esp;
		enum cfg_encr encr;
	} sets[] = {
	        {ESP_GCM, CFG_ENCR_AES128_GCM16},
	        {ESP_AES256, CFG_ENCR_AES256_CBC},
	        {ESP_AES128, CFG_ENCR_AES128_CBC},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		for (int init = 0; init < 2; init++)
			establish(IKE_AES256, sets[i].esp, init, CFG_ENCR_AES256_CBC, 14,
			          sets[i].encr);
}

static void
test_psk_mismatch(void **state)
{
	struct w_conf a = {.conn = "initiator-only"};
	struct w_conf b = {.conn = "responder-only", .psk = "not-the-same"};

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	assert_int_equal(w_established(&w.n[0]), 0);
	assert_int_equal(w_established(&w.n[1]), 0);
	assert_int_equal(stats(1).rejected[IKE_REJ_AUTH_FAILED], 1);
	assert_true(w_log_has(&w, "192.0.2.1:4500 IKE_AUTH: AUTHENTICATION_FAILED: pre-shared key "
	                          "mismatch for tunnel t1 (peer 192.0.2.1:4500)"));
	assert_true(w_log_has(&w, "the peer answered AUTHENTICATION_FAILED"));
	/* no SA left on either side, nothing installed */
	assert_int_equal(w.n[0].nstates, 0);
	assert_int_equal(w.n[1].nstates, 0);
	assert_int_equal(w_live_sas(&w.n[0]), 0);
	/* the initiator tries again with back-off: 1 s, 2 s, ... */
	w_log_clear(&w);
	w_run(&w, w.now + 1200);
	assert_int_equal(stats(1).rejected[IKE_REJ_AUTH_FAILED], 2);
	check_clean();
	w_fini(&w);
}

static void
test_proposal_mismatch(void **state)
{
	struct w_conf a = {.conn = "initiator-only", .ike = IKE_AES128};
	struct w_conf b = {.conn = "responder-only", .ike = IKE_GCM};

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	assert_int_equal(w_established(&w.n[0]), 0);
	assert_int_equal(stats(1).rejected[IKE_REJ_NO_PROPOSAL_CHOSEN], 1);
	assert_true(w_log_has(&w, "192.0.2.1:500 IKE_SA_INIT: no proposal chosen: received "
	                          "AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024, configured "
	                          "AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256"));
	assert_true(w_log_has(&w, "IKE_SA_INIT failed: the responder answered NO_PROPOSAL_CHOSEN"));
	/* the responder kept no state */
	assert_int_equal(stats(1).half_open, 0);
	check_clean();
	w_fini(&w);
}

static void
test_esp_mismatch(void **state)
{
	struct w_conf a = {.conn = "initiator-only", .esp = ESP_AES128};
	struct w_conf b = {.conn = "responder-only", .esp = ESP_GCM};

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	/* the IKE SA is up without a Child SA (RFC 7296 §1.2) */
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_live_sas(&w.n[0]), 0);
	assert_int_equal(stats(1).rejected[IKE_REJ_NO_PROPOSAL_CHOSEN], 1);
	assert_true(w_log_has(&w, "IKE_AUTH: no proposal chosen: received "
	                          "AES_CBC_128/HMAC_SHA1_96/NO_ESN, configured "
	                          "AES_GCM_16_128/NO_ESN (tunnel t1)"));
	assert_true(w_log_has(&w, "the peer refused the Child SA: NO_PROPOSAL_CHOSEN"));
	assert_int_equal(w.n[0].up_events, 0);
	check_clean();
	w_fini(&w);
}

static void
test_invalid_ke(void **state)
{
	/* A offers ECP-256 first, then MODP-2048; B takes only MODP-2048 */
	struct w_conf a = {.conn = "initiator-only",
	                   .ike = IKE_GCM,
	                   .ike2 = "  encryption algorithm aes-128-gcm\n"
	                           "  pseudo-random-function hmac-sha2-256\n  dh-group 14\n"};
	struct w_conf b = {.conn = "responder-only",
	                   .ike = "  encryption algorithm aes-128-gcm\n"
	                          "  pseudo-random-function hmac-sha2-256\n  dh-group 14\n"};
	const struct ike_sa_state *st;

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	assert_int_equal(stats(1).rejected[IKE_REJ_INVALID_KE], 1);
	assert_true(w_log_has(&w, "IKE_SA_INIT: INVALID_KE_PAYLOAD: received KE of group "
	                          "ECP_256, chosen proposal uses MODP_2048"));
	assert_true(w_log_has(&w, "responder asks for DH group MODP_2048; retrying"));
	st = w_state(&w.n[0], IKE_PHASE_ESTABLISHED);
	assert_non_null(st);
	assert_int_equal(st->dh_group, 14);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static bool
drop_auth_requests(struct world *wd, const struct w_dgram *d, void *arg)
{
	int *left = arg;

	(void)wd;
	if (d->from == 0 && w_exch(d) == IKE_EXCH_AUTH && !w_is_response(d) && *left > 0) {
		(*left)--;
		return true;
	}
	return false;
}

static void
test_cookies(void **state)
{
	static const struct ike_engine_opts o = {1, 500, 2, 60000};
	struct w_conf a = {.conn = "initiator-only"};
	struct w_conf b = {.conn = "responder-only"};
	int left = 2;

	(void)state;
	w_init(&w, &a, &b, &o);
	w.filter = drop_auth_requests;
	w.farg = &left;
	/* the first IKE SA stays half-open on B (its IKE_AUTH never arrives) */
	w_run(&w, w.now + 1000);
	assert_int_equal(stats(1).half_open, 1);
	/* A gives up and starts again: B is at its threshold and demands a cookie */
	w_run(&w, w.now + 5000);
	assert_true(stats(1).cookies_sent >= 1);
	assert_true(stats(1).rejected[IKE_REJ_COOKIE_REQUIRED] >= 1);
	assert_true(w_log_has(&w, "IKE_SA_INIT without COOKIE: 1 half-open IKE SAs, threshold 1"));
	/* A returned the cookie and got through */
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_established(&w.n[1]), 1);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_ts_narrowing(void **state)
{
	struct w_conf a = {.conn = "initiator-only", .acl = "    seq 10 10.1.0.0/16 10.2.0.0/16"};
	struct w_conf b = {.conn = "responder-only", .acl = "    seq 10 10.2.0.0/24 10.1.0.0/24"};
	const struct esp_sa_params *p;
	const struct ike_sa_state *st;

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	st = w_state(&w.n[0], IKE_PHASE_ESTABLISHED);
	assert_non_null(st);
	assert_int_equal(st->nchildren, 1);
	p = w_inst(&w.n[0], st->child[0].spi_out, false);
	assert_non_null(p);
	/* B narrowed A's /16s to its /24s (RFC 7296 §2.9) */
	assert_int_equal(p->nts_local, 1);
	assert_int_equal(p->ts_local[0].start[2], 0);
	assert_int_equal(p->ts_local[0].end[2], 0);
	assert_int_equal(p->ts_local[0].end[3], 255);
	assert_int_equal(p->ts_local[0].start[1], 1);
	assert_int_equal(p->ts_remote[0].start[1], 2);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_ts_unacceptable(void **state)
{
	struct w_conf a = {.conn = "initiator-only", .acl = "    seq 10 10.1.0.0/16 10.2.0.0/16"};
	struct w_conf b = {.conn = "responder-only", .acl = "    seq 10 10.3.0.0/16 10.4.0.0/16"};

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_live_sas(&w.n[0]), 0);
	assert_int_equal(w_live_sas(&w.n[1]), 0);
	assert_int_equal(stats(1).rejected[IKE_REJ_TS_UNACCEPTABLE], 1);
	assert_true(w_log_has(&w, "IKE_AUTH: TS_UNACCEPTABLE: received TSi 10.1.0.0/16 TSr "
	                          "10.2.0.0/16, tunnel t1 allows TSi 10.4.0.0/16 TSr 10.3.0.0/16"));
	assert_true(w_log_has(&w, "the peer refused the Child SA: TS_UNACCEPTABLE"));
	check_clean();
	w_fini(&w);
}

static void
test_identities_fqdn(void **state)
{
	struct w_conf a = {.conn = "initiator-only",
	                   .id_local = "fqdn a.example.com",
	                   .remote_id = "user-fqdn ops@b.example.org"};
	struct w_conf b = {.conn = "responder-only",
	                   .id_local = "user-fqdn ops@b.example.org",
	                   .remote_id = "fqdn A.Example.COM"};
	const struct ike_sa_state *st;

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	st = w_state(&w.n[1], IKE_PHASE_ESTABLISHED);
	assert_non_null(st);
	assert_int_equal(st->id_remote.type, CFG_ID_FQDN);
	assert_int_equal(st->id_local.type, CFG_ID_USER_FQDN);
	check_clean();
	w_fini(&w);
}

static void
test_identity_mismatch(void **state)
{
	struct w_conf a = {.conn = "initiator-only", .id_local = "fqdn a.example.com"};
	struct w_conf b = {.conn = "responder-only", .remote_id = "fqdn other.example.com"};

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	assert_int_equal(w_established(&w.n[0]), 0);
	assert_int_equal(stats(1).rejected[IKE_REJ_ID_MISMATCH], 1);
	assert_true(w_log_has(&w, "IKE_AUTH: AUTHENTICATION_FAILED: no tunnel accepts identity "
	                          "fqdn a.example.com from peer 192.0.2.1:4500"));
	check_clean();
	w_fini(&w);
}

static void
test_key_id(void **state)
{
	struct w_conf a = {
	        .conn = "initiator-only", .id_local = "key-id 0a0b0c", .remote_id = "key-id 0d0e"};
	struct w_conf b = {
	        .conn = "responder-only", .id_local = "key-id 0d0e", .remote_id = "key-id 0a0b0c"};

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_established(&w.n[1]), 1);
	check_clean();
	w_fini(&w);
}

static void
test_on_demand_wildcard(void **state)
{
	struct w_conf a = {.conn = "initiator-only", .id_local = "fqdn gw.branch.example.com"};
	struct w_conf b = {.on_demand = true, .id_remote = "*.*.example.com", .max_tunnels = 5};
	const struct ike_sa_state *st;

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	st = w_state(&w.n[1], IKE_PHASE_ESTABLISHED);
	assert_non_null(st);
	assert_string_equal(st->tunnel, W_TUNNEL);
	assert_false(st->initiator);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_on_demand_no_match(void **state)
{
	struct w_conf a = {.conn = "initiator-only", .id_local = "fqdn gw.example.net"};
	struct w_conf b = {.on_demand = true, .id_remote = "*.example.com"};

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	assert_int_equal(w_established(&w.n[1]), 0);
	assert_int_equal(stats(1).rejected[IKE_REJ_ID_MISMATCH], 1);
	check_clean();
	w_fini(&w);
}

static void
test_conn_types(void **state)
{
	struct w_conf r = {.conn = "responder-only"};
	struct w_conf s = {.shutdown = true};

	(void)state;
	/* two responders wait for ever */
	w_init(&w, &r, &r, NULL);
	w_run(&w, w.now + 10000);
	assert_int_equal(w.n[0].sends + w.n[1].sends, 0);
	assert_int_equal(ike_engine_initiate(w.n[0].e, W_TUNNEL, w.now), -EINVAL);
	assert_int_equal(ike_engine_initiate(w.n[0].e, "nope", w.now), -ENOENT);
	w_fini(&w);
	/* a shutdown tunnel never comes up, nor answers */
	w_init(&w, &s, NULL, NULL);
	w_run(&w, w.now + 10000);
	assert_int_equal(w_established(&w.n[0]), 0);
	assert_int_equal(w_established(&w.n[1]), 0);
	assert_true(stats(0).rejected[IKE_REJ_NO_TUNNEL] >= 1);
	assert_true(w_log_has(&w, "IKE_SA_INIT: no tunnel answers this peer"));
	w_fini(&w);
}

static void
test_simultaneous(void **state)
{
	(void)state;
	/* both ends may initiate and do so at once (seed 001): one IKE SA remains */
	w_init(&w, NULL, NULL, NULL);
	w_run(&w, w.now + 20000);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_established(&w.n[1]), 1);
	assert_int_equal(w_state(&w.n[0], IKE_PHASE_ESTABLISHED)->spi_i,
	                 w_state(&w.n[1], IKE_PHASE_ESTABLISHED)->spi_i);
	assert_int_equal(w_live_sas(&w.n[0]), 2);
	assert_true(w_log_has(&w, "the peer initiated too; deferring to its IKE_SA_INIT"));
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_two_seqs(void **state)
{
	struct w_conf a = {.conn = "initiator-only",
	                   .two_seqs = true,
	                   .acl = "    seq 10 10.1.0.0/16 10.2.0.0/16",
	                   .acl2 = "    seq 10 10.5.0.0/16 10.6.0.0/16"};
	struct w_conf b = {.conn = "responder-only",
	                   .two_seqs = true,
	                   .acl = "    seq 10 10.2.0.0/16 10.1.0.0/16",
	                   .acl2 = "    seq 10 10.6.0.0/16 10.5.0.0/16"};
	const struct ike_sa_state *st;

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 3000);
	st = w_state(&w.n[0], IKE_PHASE_ESTABLISHED);
	assert_non_null(st);
	/* the first in IKE_AUTH, the second by CREATE_CHILD_SA */
	assert_int_equal(st->nchildren, 2);
	assert_int_equal(st->child[0].seq_index, 1);
	assert_int_equal(st->child[1].seq_index, 2);
	st = w_state(&w.n[1], IKE_PHASE_ESTABLISHED);
	assert_int_equal(st->nchildren, 2);
	assert_int_equal(st->child[1].seq_index, 2);
	assert_int_equal(w_live_sas(&w.n[0]), 4);
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	check_clean();
	w_fini(&w);
}

static void
test_ah_skipped(void **state)
{
	/* AH (and IP compression) are never negotiated: skipped with a warning */
	struct w_conf a = {.conn = "initiator-only",
	                   .esp = "  esp encryption aes-128-gcm\n  ah hmac-sha1-96\n"};
	struct w_conf b = {.conn = "responder-only"};

	(void)state;
	w_init(&w, &a, &b, NULL);
	assert_true(w_log_has(&w, "tunnel t1 seq 1: ipsec proposal e1 needs AH, which tandem does "
	                          "not negotiate; skipped"));
	w_run(&w, w.now + 500);
	assert_true(w_log_has(&w, "tunnel t1 seq 1: no IPsec proposal tandem can offer"));
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_live_sas(&w.n[0]), 0);
	/* and it does not keep trying every millisecond */
	assert_true(ike_engine_tick(w.n[0].e, w.now) >= w.now + 500);
	w_run(&w, w.now + 120000);
	assert_true(w.n[0].sends < 20);
	check_clean();
	w_fini(&w);
}

static size_t
load_vector(const char *name, uint8_t *buf, size_t cap)
{
	char path[1024];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/vectors/ike/%s", TANDEM_SOURCE_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* strongSwan 5.9.8's own IKE_SA_INIT (tests/vectors/ike): two proposals of many transforms. */
static void
test_strongswan_init(void **state)
{
	struct w_conf b = {.conn = "responder-only"};
	struct w_conf b31 = {.conn = "responder-only",
	                     .ike = "  encryption algorithm aes-128-gcm\n"
	                            "  pseudo-random-function hmac-sha2-256\n  dh-group 31\n"};
	struct w_conf a = {.conn = "responder-only"};
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t buf[4096];
	const struct w_dgram *d;
	size_t n;

	(void)state;
	assert_non_null(m);
	n = load_vector("03-sa_init-ireq.bin", buf, sizeof(buf));
	w_init(&w, &a, &b, NULL);
	w_inject(&w, 1, 500, 500, buf, n);
	d = w_last_sent(&w, 1);
	assert_non_null(d);
	assert_int_equal(ike_msg_parse(d->p, d->len, m, NULL), 0);
	assert_true(m->hdr.flags & IKE_FLAG_RESPONSE);
	assert_true(m->has_sa && m->has_ke && m->has_nonce);
	assert_int_equal(m->sa.nprops, 1);
	assert_int_equal(m->sa.props[0].num, 1);
	assert_int_equal(m->sa.props[0].ntrans, 3);
	assert_int_equal(m->sa.props[0].trans[0].id, IKE_ENCR_AES_GCM_16);
	assert_int_equal(m->sa.props[0].trans[0].keylen, 128);
	assert_int_equal(m->ke.group, 19);
	assert_non_null(ike_msg_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP));
	assert_int_equal(stats(1).half_open, 1);
	w_fini(&w);
	/* configured for curve25519 only: INVALID_KE_PAYLOAD naming it, as gw1 did (06) */
	w_init(&w, &a, &b31, NULL);
	w_inject(&w, 1, 500, 500, buf, n);
	d = w_last_sent(&w, 1);
	assert_int_equal(ike_msg_parse(d->p, d->len, m, NULL), 0);
	assert_int_equal(m->nnotify, 1);
	assert_int_equal(m->notify[0].type, IKE_N_INVALID_KE_PAYLOAD);
	assert_int_equal(m->notify[0].data.p[1], 31);
	assert_int_equal(stats(1).half_open, 0);
	/* the retry with the cookie gw1 gave (07): our cookies are not required, so ignored */
	n = load_vector("07-sa_init-ireq.bin", buf, sizeof(buf));
	w_inject(&w, 1, 500, 500, buf, n);
	d = w_last_sent(&w, 1);
	assert_int_equal(ike_msg_parse(d->p, d->len, m, NULL), 0);
	assert_true(m->has_sa);
	assert_int_equal(m->ke.group, 31);
	free(m);
	w_fini(&w);
}

static void
test_reload(void **state)
{
	struct w_conf a = {.conn = "initiator-only"}, b = {.conn = "responder-only"};
	struct w_conf a2 = {.conn = "initiator-only", .shutdown = true};

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	assert_int_equal(w_established(&w.n[1]), 1);
	/* a reload that keeps the tunnel keeps the SA */
	w_config(&w, 0, &a);
	w_run(&w, w.now + 500);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w.n[0].down_events, 0);
	/* the tunnel shut down: its SAs are deleted, and it stays down */
	w_config(&w, 0, &a2);
	w_run(&w, w.now + 30000);
	assert_int_equal(w.n[0].nstates, 0);
	assert_int_equal(w.n[1].nstates, 0);
	assert_int_equal(w.n[0].down_events, 1);
	assert_int_equal(w.n[1].down_events, 1);
	assert_true(w_log_has(&w, "tunnel t1: no longer configured for IKE; deleting IKE SA"));
	/* back: it comes up by itself */
	w_config(&w, 0, &a);
	w_run(&w, w.now + 500);
	assert_int_equal(w_established(&w.n[0]), 1);
	w_assert_pairs(&w.n[0], &w.n[1]);
	check_clean();
	w_fini(&w);
}

static void
test_peer_restart(void **state)
{
	static const struct ike_engine_opts o = {30, 1000, 6, 60000};
	struct w_conf a = {.conn = "initiator-only"}, b = {.conn = "responder-only"};
	struct cfg *cfg;

	(void)state;
	w_init(&w, &a, &b, NULL);
	w_run(&w, w.now + 500);
	assert_int_equal(w_established(&w.n[1]), 1);
	/* A restarts with no memory of the SA: INITIAL_CONTACT lets B drop the old one (§2.4) */
	ike_engine_free(w.n[0].e);
	for (size_t i = 0; i < w.n[0].nstates; i++)
		ike_sa_state_clear(&w.n[0].states[i]);
	w.n[0].nstates = 0;
	w.n[0].max_commit = 0;
	assert_int_equal(ike_engine_new(&o, w_io_of(), &w.n[0], w_obs_of(), &w.n[0], &w.n[0].e), 0);
	cfg = w.n[0].cfg;
	w.n[0].cfg = NULL;
	w_config(&w, 0, &a);
	cfg_free(cfg);
	w_run(&w, w.now + 500);
	assert_true(w_log_has(&w, "INITIAL_CONTACT from the peer; dropping the IKE SA it forgot"));
	assert_int_equal(w.n[1].nstates, 1);
	assert_int_equal(w_established(&w.n[1]), 1);
	assert_int_equal(w_live_sas(&w.n[1]), 2);
	w_assert_pairs(&w.n[1], &w.n[0]);
	check_clean();
	w_fini(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_matrix_ike),
	        cmocka_unit_test(test_matrix_esp),
	        cmocka_unit_test(test_psk_mismatch),
	        cmocka_unit_test(test_proposal_mismatch),
	        cmocka_unit_test(test_esp_mismatch),
	        cmocka_unit_test(test_invalid_ke),
	        cmocka_unit_test(test_cookies),
	        cmocka_unit_test(test_ts_narrowing),
	        cmocka_unit_test(test_ts_unacceptable),
	        cmocka_unit_test(test_identities_fqdn),
	        cmocka_unit_test(test_identity_mismatch),
	        cmocka_unit_test(test_key_id),
	        cmocka_unit_test(test_on_demand_wildcard),
	        cmocka_unit_test(test_on_demand_no_match),
	        cmocka_unit_test(test_conn_types),
	        cmocka_unit_test(test_simultaneous),
	        cmocka_unit_test(test_two_seqs),
	        cmocka_unit_test(test_ah_skipped),
	        cmocka_unit_test(test_strongswan_init),
	        cmocka_unit_test(test_reload),
	        cmocka_unit_test(test_peer_restart),
	};

	return cmocka_run_group_tests_name("ike_engine", tests, NULL, NULL);
}
