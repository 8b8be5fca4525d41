/* SPDX-License-Identifier: MIT */
/*
 * The SA store's indexes (node/eng/eng_index.c) on their own: SAs by (SPI, direction) through
 * growth to many thousand entries and removal, tunnel-name slots with their SA lists and the
 * count of outbound SAs in an engine (whether routes go on), slots that go when empty, and the
 * store's compact SA copy (struct eng_sa_p) round-tripping esp_sa_params field for field.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/core/secret.h"
#include "node/eng/eng_int.h"
#include "node/esp/esp_params.h"

static int
setup(void **state)
{
	struct eng_sup *sup = calloc(1, sizeof(*sup));

	if (!sup)
		return -1;
	TAILQ_INIT(&sup->groups);
	TAILQ_INIT(&sup->socks);
	TAILQ_INIT(&sup->sas);
	if (eng_index_init(sup) < 0) {
		eng_index_fini(sup);
		free(sup);
		return -1;
	}
	*state = sup;
	return 0;
}

static int
teardown(void **state)
{
	struct eng_sup *sup = *state;
	struct eng_sa *sa;

	while ((sa = TAILQ_FIRST(&sup->sas)))
		eng_store_remove(sup, sa);
	eng_index_fini(sup);
	free(sup);
	return 0;
}

/* A bare stored SA (no keys, no selectors), linked into the store and its indexes. */
static struct eng_sa *
sa_add(struct eng_sup *sup, uint32_t spi, bool inbound, const char *tunnel)
{
	struct eng_sa *sa = calloc(1, sizeof(*sa));

	assert_non_null(sa);
	sa->p.spi = spi;
	sa->p.inbound = inbound;
	snprintf(sa->p.tunnel, sizeof(sa->p.tunnel), "%s", tunnel);
	assert_int_equal(eng_sa_link(sup, sa), 0);
	TAILQ_INSERT_TAIL(&sup->sas, sa, entry);
	return sa;
}

/* Both directions of 20,000 SPIs: each found, the other direction kept apart, growth. */
static void
test_sa_find_many(void **state)
{
	struct eng_sup *sup = *state;
	const unsigned n = 20000;

	for (unsigned i = 0; i < n; i++) {
		uint32_t spi = 0xc0000000u + i * 7919u;

		sa_add(sup, spi, true, i % 2 ? "t1" : "t2");
		sa_add(sup, spi, false, i % 2 ? "t1" : "t2");
	}
	assert_int_equal(sup->nsas, 2 * n);
	assert_true(sup->sa_mask + 1 >= 2 * n); /* doubled at load factor 1 */
	for (unsigned i = 0; i < n; i++) {
		uint32_t spi = 0xc0000000u + i * 7919u;
		struct eng_sa *in = eng_store_find(sup, spi, true);
		struct eng_sa *out = eng_store_find(sup, spi, false);

		assert_non_null(in);
		assert_non_null(out);
		assert_ptr_not_equal(in, out);
		assert_int_equal(in->p.spi, spi);
		assert_true(in->p.inbound);
		assert_false(out->p.inbound);
	}
	assert_null(eng_store_find(sup, 0x12345678u, true));
	/* the slots list every SA that names them */
	assert_int_equal(eng_tslot_get(sup, "t1", false)->nsas, n);
	assert_int_equal(eng_tslot_get(sup, "t2", false)->nsas, n);
	assert_int_equal(sup->nslots, 2);
}

/* Removal unlinks exactly one entry; the rest of the chain stays findable. */
static void
test_sa_remove(void **state)
{
	struct eng_sup *sup = *state;
	const unsigned n = 3000;

	for (unsigned i = 0; i < n; i++)
		sa_add(sup, i + 1, true, "t");
	for (unsigned i = 0; i < n; i += 3)
		eng_store_remove(sup, eng_store_find(sup, i + 1, true));
	assert_int_equal(sup->nsas, n - n / 3);
	for (unsigned i = 0; i < n; i++) {
		if (i % 3 == 0)
			assert_null(eng_store_find(sup, i + 1, true));
		else
			assert_non_null(eng_store_find(sup, i + 1, true));
	}
	assert_int_equal(eng_tslot_get(sup, "t", false)->nsas, n - n / 3);
	/* the last SA of a name takes its slot with it */
	for (unsigned i = 0; i < n; i++) {
		struct eng_sa *sa = eng_store_find(sup, i + 1, true);

		if (sa)
			eng_store_remove(sup, sa);
	}
	assert_int_equal(sup->nsas, 0);
	assert_null(eng_tslot_get(sup, "t", false));
	assert_int_equal(sup->nslots, 0);
}

/* Outbound SAs in an engine count for the tunnel's routes; inbound ones do not. */
static void
test_out_in_engine(void **state)
{
	struct eng_sup *sup = *state;
	struct eng_tunnel t = {0}, t2 = {0};
	struct eng_sa *o1, *o2, *in;

	snprintf(t.name, sizeof(t.name), "tun-a");
	snprintf(t2.name, sizeof(t2.name), "tun-b");
	assert_int_equal(eng_tunnel_register(sup, &t), 0);
	assert_ptr_equal(eng_tunnel_find(sup, "tun-a"), &t);
	assert_null(eng_tunnel_find(sup, "tun-b"));
	assert_false(eng_tunnel_has_out_sa(sup, &t));

	in = sa_add(sup, 10, true, "tun-a");
	eng_sa_set_in_engine(in, true);
	assert_false(eng_tunnel_has_out_sa(sup, &t));
	o1 = sa_add(sup, 11, false, "tun-a");
	o2 = sa_add(sup, 12, false, "tun-a");
	assert_false(eng_tunnel_has_out_sa(sup, &t));
	eng_sa_set_in_engine(o1, true);
	eng_sa_set_in_engine(o1, true); /* idempotent */
	eng_sa_set_in_engine(o2, true);
	assert_int_equal(t.slot->nout, 2);
	assert_true(eng_tunnel_has_out_sa(sup, &t));
	eng_sa_set_in_engine(o1, false);
	assert_true(eng_tunnel_has_out_sa(sup, &t));
	eng_store_remove(sup, o2); /* removal leaves the engine too */
	assert_int_equal(t.slot->nout, 0);
	assert_false(eng_tunnel_has_out_sa(sup, &t));

	/* a tunnel not in a group (a plan's) is answered by name */
	eng_sa_set_in_engine(sa_add(sup, 13, false, "tun-b"), true);
	assert_true(eng_tunnel_has_out_sa(sup, &t2));

	/* the tunnel leaves; its slot stays while SAs name it, and a new tunnel finds them */
	eng_tunnel_unregister(sup, &t);
	eng_tunnel_unregister(sup, &t); /* idempotent */
	assert_null(eng_tunnel_find(sup, "tun-a"));
	assert_non_null(eng_tslot_get(sup, "tun-a", false));
	assert_int_equal(eng_tunnel_register(sup, &t), 0);
	assert_ptr_equal(o1->slot, t.slot);
	eng_tunnel_unregister(sup, &t);
}

/* Two tunnels of one name (a reload moving it between groups): the first registered counts. */
static void
test_two_tunnels_one_name(void **state)
{
	struct eng_sup *sup = *state;
	struct eng_group g1 = {0}, g2 = {0};
	struct eng_tunnel a = {.g = &g1}, b = {.g = &g2};
	struct eng_sa *sa;

	snprintf(a.name, sizeof(a.name), "moving");
	snprintf(b.name, sizeof(b.name), "moving");
	assert_int_equal(eng_tunnel_register(sup, &a), 0);
	assert_int_equal(eng_tunnel_register(sup, &b), 0);
	sa = sa_add(sup, 99, false, "moving");
	assert_ptr_equal(eng_tunnel_find(sup, "moving"), &a);
	assert_ptr_equal(eng_sa_group(sup, sa), &g1);
	eng_tunnel_unregister(sup, &a);
	assert_ptr_equal(eng_tunnel_find(sup, "moving"), &b);
	assert_ptr_equal(eng_sa_group(sup, sa), &g2);
	eng_tunnel_unregister(sup, &b);
	assert_null(eng_sa_group(sup, sa));
}

/* Many tunnel names: the name table grows and every slot stays findable. */
static void
test_many_names(void **state)
{
	struct eng_sup *sup = *state;
	char name[CFG_NAME_MAX];

	for (unsigned i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "tunnel-%u", i);
		sa_add(sup, i + 1, false, name);
	}
	assert_int_equal(sup->nslots, 5000);
	assert_true(sup->slot_mask + 1 >= 5000);
	for (unsigned i = 0; i < 5000; i++) {
		struct eng_tslot *s;

		snprintf(name, sizeof(name), "tunnel-%u", i);
		s = eng_tslot_get(sup, name, false);
		assert_non_null(s);
		assert_string_equal(s->name, name);
		assert_ptr_equal(TAILQ_FIRST(&s->sas), eng_store_find(sup, i + 1, false));
	}
}

/* The store keeps the compact form; expanding it gives back what was installed. */
static void
test_params_round_trip(void **state)
{
	static const uint8_t ek[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
	static const uint8_t ik[32] = {0xaa, 0xbb};
	struct eng_sup *sup = *state;
	struct eng_group g = {.state = ENG_ST_IDLE};
	struct eng_tunnel t = {.g = &g};
	struct esp_sa_params p = {0}, back;
	struct eng_sa *sa;

	snprintf(g.name, sizeof(g.name), "grp");
	snprintf(t.name, sizeof(t.name), "rt");
	snprintf(t.ifname, sizeof(t.ifname), "tun7");
	assert_int_equal(eng_tunnel_register(sup, &t), 0);

	p.spi = 0xdeadbeef;
	p.inbound = false;
	p.child_id = 77;
	snprintf(p.tunnel, sizeof(p.tunnel), "rt");
	p.encr = CFG_ENCR_AES128_CBC;
	p.integ = CFG_INTEG_HMAC_SHA2_256_128;
	assert_int_equal(secret_set(&p.enc_key, ek, 16), 0);
	assert_int_equal(secret_set(&p.integ_key, ik, sizeof(ik)), 0);
	p.esn = true;
	p.replay_window = 1024;
	p.family = AF_INET6;
	memset(p.local, 0x11, sizeof(p.local));
	memset(p.remote, 0x22, sizeof(p.remote));
	p.udp_encap = true;
	p.local_port = 4500;
	p.remote_port = 61000;
	p.nts_local = 2;
	p.nts_remote = 3;
	for (unsigned i = 0; i < ESP_MAX_TS; i++) {
		memset(&p.ts_local[i], (int)(0x30 + i), sizeof(p.ts_local[i]));
		memset(&p.ts_remote[i], (int)(0x50 + i), sizeof(p.ts_remote[i]));
	}
	p.df_bit = CFG_DF_SET;
	p.mtu = 1380;
	p.soft_bytes = 9000;
	p.hard_bytes = 10000;
	p.seq_start = 5;
	p.lease_limit = 65541;

	assert_int_equal(eng_sa_install(sup, &p), 0);
	sa = eng_store_find(sup, p.spi, false);
	assert_non_null(sa);
	assert_ptr_equal(sa->slot, t.slot);
	eng_sa_p_expand(&sa->p, &back);
	assert_int_equal(back.spi, p.spi);
	assert_false(back.inbound);
	assert_int_equal(back.child_id, 77);
	assert_string_equal(back.tunnel, "rt");
	assert_string_equal(back.ifname, "tun7"); /* the store fills in the device */
	assert_int_equal(back.encr, p.encr);
	assert_int_equal(back.integ, p.integ);
	assert_true(secret_eq(&back.enc_key, &p.enc_key));
	assert_true(secret_eq(&back.integ_key, &p.integ_key));
	assert_true(back.esn);
	assert_int_equal(back.replay_window, 1024);
	assert_int_equal(back.family, AF_INET6);
	assert_memory_equal(back.local, p.local, sizeof(p.local));
	assert_memory_equal(back.remote, p.remote, sizeof(p.remote));
	assert_true(back.udp_encap);
	assert_int_equal(back.local_port, 4500);
	assert_int_equal(back.remote_port, 61000);
	assert_int_equal(back.nts_local, 2);
	assert_int_equal(back.nts_remote, 3);
	assert_memory_equal(back.ts_local, p.ts_local, 2 * sizeof(p.ts_local[0]));
	assert_memory_equal(back.ts_remote, p.ts_remote, 3 * sizeof(p.ts_remote[0]));
	assert_int_equal(back.df_bit, CFG_DF_SET);
	assert_int_equal(back.mtu, 1380);
	assert_int_equal(back.soft_bytes, 9000);
	assert_int_equal(back.hard_bytes, 10000);
	assert_int_equal(back.seq_start, 5);
	assert_int_equal(back.lease_limit, 65541);
	assert_int_equal(sa->granted, 65541); /* the install's lease counts as granted */

	/* the same parameters again keep the stored SA; other keys replace it */
	assert_int_equal(eng_sa_install(sup, &p), 0);
	assert_ptr_equal(eng_store_find(sup, p.spi, false), sa);
	p.enc_key.s_data[0] ^= 1;
	assert_int_equal(eng_sa_install(sup, &p), 0);
	assert_ptr_not_equal(eng_store_find(sup, p.spi, false), sa);
	assert_int_equal(sup->nsas, 1);
	assert_int_equal(t.slot->nsas, 1);

	/* an unknown tunnel is refused */
	snprintf(p.tunnel, sizeof(p.tunnel), "nope");
	assert_int_equal(eng_sa_install(sup, &p), -ENOENT);
	esp_sa_params_clear(&p);
	eng_store_remove(sup, TAILQ_FIRST(&sup->sas));
	eng_tunnel_unregister(sup, &t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sa_find_many, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sa_remove, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_out_in_engine, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_two_tunnels_one_name, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_many_names, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_params_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests_name("eng_index", tests, NULL, NULL);
}
