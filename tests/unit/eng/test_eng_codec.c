/* SPDX-License-Identifier: MIT */
/*
 * The engine channel codec: InstallSa carries every esp_sa_params field, the small requests
 * pack what they are given, each FromEngine decodes to its domain value, bad messages are
 * refused (version, missing fields, address lengths, repeated-field limits), and a mutation
 * sweep over good messages never crashes or leaks (ASan).
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.pb-c.h"
#include "node/eng/eng_codec.h"

typedef Tandem__Engine__V1__FromEngine from_t;
typedef Tandem__Engine__V1__ToEngine to_t;

static to_t *
unpack_to(struct buf *b)
{
	to_t *m = tandem__engine__v1__to_engine__unpack(NULL, b->b_len, b->b_data);

	assert_non_null(m);
	assert_int_equal(m->version, 1);
	return m;
}

static void
test_install_sa(void **state)
{
	struct esp_sa_params p;
	struct buf b;
	to_t *m;
	const Tandem__Engine__V1__SaParams *sp;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.spi = 0x1234;
	p.child_id = 77;
	strcpy(p.tunnel, "t1");
	strcpy(p.ifname, "TI-1");
	p.encr = CFG_ENCR_AES128_GCM16;
	assert_int_equal(secret_set(&p.enc_key, "0123456789abcdefSALT", 20), 0);
	p.replay_window = 64;
	p.family = AF_INET;
	memcpy(p.local, (uint8_t[]){192, 0, 2, 11}, 4);
	memcpy(p.remote, (uint8_t[]){192, 0, 2, 2}, 4);
	p.udp_encap = true;
	p.local_port = p.remote_port = 4500;
	p.nts_local = 1;
	p.ts_local[0].family = AF_INET;
	memcpy(p.ts_local[0].start, (uint8_t[]){10, 1, 0, 0}, 4);
	memcpy(p.ts_local[0].end, (uint8_t[]){10, 1, 0, 255}, 4);
	p.ts_local[0].eport = 65535;
	p.seq_start = 65536;
	p.lease_limit = 131072;
	buf_init(&b, true);
	assert_int_equal(eng_codec_install_sa(9, &p, &b), 0);
	m = unpack_to(&b);
	assert_int_equal(m->req, 9);
	assert_int_equal(m->msg_case, TANDEM__ENGINE__V1__TO_ENGINE__MSG_INSTALL_SA);
	sp = m->install_sa->sa;
	assert_int_equal(sp->spi, 0x1234);
	assert_false(sp->inbound);
	assert_int_equal(sp->child_id, 77);
	assert_string_equal(sp->tunnel, "t1");
	assert_string_equal(sp->ifname, "TI-1");
	assert_int_equal(sp->encr, CFG_ENCR_AES128_GCM16);
	assert_int_equal(sp->enc_key.len, 20);
	assert_memory_equal(sp->enc_key.data, "0123456789abcdefSALT", 20);
	assert_int_equal(sp->local_addr.len, 4);
	assert_memory_equal(sp->remote_addr.data, p.remote, 4);
	assert_true(sp->udp_encap);
	assert_int_equal(sp->remote_port, 4500);
	assert_int_equal(sp->n_ts_local, 1);
	assert_int_equal(sp->n_ts_remote, 0);
	assert_memory_equal(sp->ts_local[0]->end.data, p.ts_local[0].end, 4);
	assert_int_equal(sp->ts_local[0]->eport, 65535);
	assert_int_equal(sp->seq_start, 65536);
	assert_int_equal(sp->lease_limit, 131072);
	tandem__engine__v1__to_engine__free_unpacked(m, NULL);
	/* no outer family: refused */
	p.family = 0;
	buf_reset(&b);
	assert_int_equal(eng_codec_install_sa(1, &p, &b), -EINVAL);
	buf_fini(&b);
	secret_clear(&p.enc_key);
}

static void
test_small_requests(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct eng_hello h = {.group = "G1", .heartbeat_ms = 20, .replay_report_every = 1024};
	struct buf b;
	to_t *m;

	(void)state;
	buf_init(&b, false);
	assert_int_equal(eng_codec_hello(1, &h, &b), 0);
	m = unpack_to(&b);
	assert_string_equal(m->hello->group, "G1");
	assert_int_equal(m->hello->heartbeat_ms, 20);
	tandem__engine__v1__to_engine__free_unpacked(m, NULL);

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(4500);
	s4->sin_addr.s_addr = htonl(0xc000020b);
	buf_reset(&b);
	assert_int_equal(eng_codec_attach_socket(2, &ss, &b), 0);
	m = unpack_to(&b);
	assert_int_equal(m->attach_socket->local_port, 4500);
	assert_memory_equal(m->attach_socket->local_addr.data, &s4->sin_addr, 4);
	tandem__engine__v1__to_engine__free_unpacked(m, NULL);
	ss.ss_family = AF_UNIX;
	assert_int_equal(eng_codec_attach_socket(2, &ss, &b), -EAFNOSUPPORT);

	buf_reset(&b);
	assert_int_equal(eng_codec_grant_lease(3, 0x55, 1 << 20, &b), 0);
	m = unpack_to(&b);
	assert_int_equal(m->grant_lease->limit, 1 << 20);
	tandem__engine__v1__to_engine__free_unpacked(m, NULL);
	buf_reset(&b);
	assert_int_equal(eng_codec_attach_tun(4, "t1", "TI-1", 1400, 1, false, &b), 0);
	m = unpack_to(&b);
	assert_string_equal(m->attach_tun->ifname, "TI-1");
	assert_int_equal(m->attach_tun->mtu, 1400);
	tandem__engine__v1__to_engine__free_unpacked(m, NULL);
	buf_reset(&b);
	assert_int_equal(eng_codec_query_stats(0, &b), 0);
	m = unpack_to(&b);
	assert_false(m->has_req);
	tandem__engine__v1__to_engine__free_unpacked(m, NULL);
	buf_fini(&b);
}

static size_t
pack_from(from_t *m, uint8_t *out)
{
	m->has_version = 1;
	m->version = 1;
	return tandem__engine__v1__from_engine__pack(m, out);
}

static void
test_decode(void **state)
{
	uint8_t buf[1024];
	Tandem__Engine__V1__LeaseRequest lr = TANDEM__ENGINE__V1__LEASE_REQUEST__INIT;
	Tandem__Engine__V1__IkePacket ip = TANDEM__ENGINE__V1__IKE_PACKET__INIT;
	Tandem__Engine__V1__Ack ack = TANDEM__ENGINE__V1__ACK__INIT;
	from_t m = TANDEM__ENGINE__V1__FROM_ENGINE__INIT;
	struct eng_msg d;
	size_t n;

	(void)state;
	lr.has_spi = lr.has_used = lr.has_limit = 1;
	lr.spi = 7;
	lr.used = 100;
	lr.limit = 200;
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_LEASE_REQUEST;
	m.lease_request = &lr;
	n = pack_from(&m, buf);
	assert_int_equal(eng_codec_decode(buf, n, &d), 0);
	assert_int_equal(d.type, ENG_MSG_LEASE_REQUEST);
	assert_int_equal(d.u.lease.used, 100);
	eng_msg_fini(&d);
	/* no SPI: refused */
	lr.has_spi = 0;
	n = pack_from(&m, buf);
	assert_int_equal(eng_codec_decode(buf, n, &d), -EPROTO);
	/* another version */
	lr.has_spi = 1;
	n = pack_from(&m, buf);
	m.version = 2;
	n = tandem__engine__v1__from_engine__pack(&m, buf);
	assert_int_equal(eng_codec_decode(buf, n, &d), -EPROTO);
	/* an IKE packet with a 5-byte address: refused; with 4: copied */
	ip.has_src_addr = ip.has_dst_addr = ip.has_data = 1;
	ip.src_addr.data = (uint8_t *)(uintptr_t) "\x01\x02\x03\x04\x05";
	ip.src_addr.len = 5;
	ip.dst_addr = ip.src_addr;
	ip.dst_addr.len = 4;
	ip.data.data = (uint8_t *)(uintptr_t) "ike";
	ip.data.len = 3;
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_IKE_PACKET;
	m.ike_packet = &ip;
	n = pack_from(&m, buf);
	assert_int_equal(eng_codec_decode(buf, n, &d), -EPROTO);
	ip.src_addr.len = 4;
	ip.src_port = 500;
	n = pack_from(&m, buf);
	assert_int_equal(eng_codec_decode(buf, n, &d), 0);
	assert_int_equal(d.u.ike.len, 3);
	assert_memory_equal(d.u.ike.data, "ike", 3);
	assert_int_equal(d.u.ike.src.ss_family, AF_INET);
	eng_msg_fini(&d);
	/* an Ack with a message: control characters are not kept */
	ack.has_error = 1;
	ack.error = ENOENT;
	ack.message = (char *)(uintptr_t) "no\nsuch";
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_ACK;
	m.ack = &ack;
	m.has_req = 1;
	m.req = 42;
	n = pack_from(&m, buf);
	assert_int_equal(eng_codec_decode(buf, n, &d), 0);
	assert_int_equal(d.req, 42);
	assert_string_equal(d.u.ack.message, "no?such");
	/* nothing set, garbage */
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG__NOT_SET;
	n = pack_from(&m, buf);
	assert_int_equal(eng_codec_decode(buf, n, &d), -EPROTO);
	assert_int_equal(eng_codec_decode((const uint8_t *)"\xff\xff\xff", 3, &d), -EPROTO);
}

static void
test_stats_limits(void **state)
{
	Tandem__Engine__V1__DropCount dc = TANDEM__ENGINE__V1__DROP_COUNT__INIT;
	Tandem__Engine__V1__Stats st = TANDEM__ENGINE__V1__STATS__INIT;
	from_t m = TANDEM__ENGINE__V1__FROM_ENGINE__INIT;
	Tandem__Engine__V1__DropCount *v[ENG_MAX_STATS_DROPS + 1];
	uint8_t *buf = malloc(65536);
	struct eng_msg d;
	size_t n;

	(void)state;
	assert_non_null(buf);
	dc.reason = (char *)(uintptr_t) "auth_failed";
	dc.has_count = 1;
	dc.count = 3;
	for (size_t i = 0; i < ENG_MAX_STATS_DROPS + 1; i++)
		v[i] = &dc;
	st.drops = v;
	st.n_drops = 1;
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_STATS;
	m.stats = &st;
	n = pack_from(&m, buf);
	assert_int_equal(eng_codec_decode(buf, n, &d), 0);
	assert_int_equal(d.u.stats.ndrops, 1);
	assert_string_equal(d.u.stats.drops[0].reason, "auth_failed");
	assert_int_equal(d.u.stats.drops[0].count, 3);
	eng_msg_fini(&d);
	st.n_drops = ENG_MAX_STATS_DROPS + 1;
	n = pack_from(&m, buf);
	assert_int_equal(eng_codec_decode(buf, n, &d), -E2BIG);
	free(buf);
}

/* Every truncation and single-bit flip of good messages: a verdict, no crash, no leak. */
static void
test_mutations(void **state)
{
	Tandem__Engine__V1__SaStats ss = TANDEM__ENGINE__V1__SA_STATS__INIT, *ssv[2] = {&ss, &ss};
	Tandem__Engine__V1__Stats st = TANDEM__ENGINE__V1__STATS__INIT;
	Tandem__Engine__V1__IkePacket ip = TANDEM__ENGINE__V1__IKE_PACKET__INIT;
	from_t m = TANDEM__ENGINE__V1__FROM_ENGINE__INIT;
	uint8_t good[2][256], c[256];
	size_t len[2];
	struct eng_msg d;

	(void)state;
	ss.has_spi = 1;
	ss.spi = 0x10001;
	st.n_sa = 2;
	st.sa = ssv;
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_STATS;
	m.stats = &st;
	len[0] = pack_from(&m, good[0]);
	ip.has_src_addr = ip.has_dst_addr = ip.has_data = 1;
	ip.src_addr.data = ip.dst_addr.data = (uint8_t *)(uintptr_t) "\x0a\x00\x00\x01";
	ip.src_addr.len = ip.dst_addr.len = 4;
	ip.data.data = (uint8_t *)(uintptr_t) "0123456789";
	ip.data.len = 10;
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_IKE_PACKET;
	m.ike_packet = &ip;
	len[1] = pack_from(&m, good[1]);
	for (int k = 0; k < 2; k++) {
		for (size_t n = 0; n <= len[k]; n++)
			if (eng_codec_decode(good[k], n, &d) == 0)
				eng_msg_fini(&d);
		for (size_t bit = 0; bit < len[k] * 8; bit++) {
			memcpy(c, good[k], len[k]);
			c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (eng_codec_decode(c, len[k], &d) == 0)
				eng_msg_fini(&d);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_install_sa), cmocka_unit_test(test_small_requests),
	        cmocka_unit_test(test_decode),     cmocka_unit_test(test_stats_limits),
	        cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests_name("eng_codec", tests, NULL, NULL);
}
