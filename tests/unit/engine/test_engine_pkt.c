/* SPDX-License-Identifier: MIT */
/*
 * The engine's clear-packet helpers: Internet checksums, completing a partial checksum, TSO
 * segmentation (every segment's lengths, sequence numbers, flags and checksums), joining the
 * segments back (TUN write coalescing) into the original stream, IPv4 fragmentation (data in
 * multiples of 8, offsets, MF, copied options, reassembly), and the ICMP/ICMPv6 "too big"
 * errors, including the cases where none may be sent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node/engine/engine_gro.h"
#include "node/engine/engine_pkt.h"

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A checksum over data that includes its own checksum field folds to 0. */
static bool
csum_ok(const uint8_t *p, size_t n, uint32_t pseudo)
{
	return engine_csum_fold(engine_csum_add(pseudo, p, n)) == 0;
}

static uint32_t
pseudo(const uint8_t *ip, size_t l4len, uint8_t proto)
{
	uint8_t ph[4] = {0, proto, (uint8_t)(l4len >> 8), (uint8_t)l4len};
	bool v6 = (ip[0] >> 4) == 6;

	return engine_csum_add(v6 ? engine_csum_add(0, ip + 8, 32) : engine_csum_add(0, ip + 12, 8),
	                       ph, 4);
}

/* A TCP packet: IPv4 or IPv6, 12 bytes of options, payload bytes i & 0xff. */
static size_t
tcp_packet(uint8_t *p, bool v6, size_t payload, uint8_t flags)
{
	size_t ipl = v6 ? 40 : 20, len = ipl + 32 + payload;

	memset(p, 0, ipl + 32);
	if (v6) {
		p[0] = 0x60;
		p[4] = (uint8_t)((len - 40) >> 8);
		p[5] = (uint8_t)(len - 40);
		p[6] = 6;
		p[7] = 64;
		p[8] = 0xfd;
		p[23] = 1;
		p[24] = 0xfd;
		p[39] = 2;
	} else {
		p[0] = 0x45;
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
		p[4] = 0x12;
		p[5] = 0x34;
		p[6] = 0x40;
		p[8] = 64;
		p[9] = 6;
		p[12] = 10;
		p[15] = 1;
		p[16] = 10;
		p[19] = 2;
	}
	p[ipl] = 0x13;
	p[ipl + 1] = 0x88;
	p[ipl + 3] = 80;
	p[ipl + 4] = 0x10; /* seq 0x10000000 */
	p[ipl + 9] = 0x42;
	p[ipl + 12] = 8 << 4;
	p[ipl + 13] = flags;
	p[ipl + 15] = 0xff;
	p[ipl + 20] = 1;
	p[ipl + 21] = 1;
	p[ipl + 22] = 8;
	p[ipl + 23] = 10; /* timestamps */
	p[ipl + 27] = 7;
	for (size_t i = 0; i < payload; i++)
		p[ipl + 32 + i] = (uint8_t)i;
	return len;
}

static void
test_checksums(void **state)
{
	static const uint8_t hdr[20] = {0x45, 0,    0,    0x73, 0, 0, 0x40, 0,    0x40, 0x11,
	                                0xb8, 0x61, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0,    0xc7};
	uint8_t p[200];
	size_t len = tcp_packet(p, false, 100, 0x18);
	uint32_t ps = pseudo(p, len - 20, 6);

	(void)state;
	assert_true(csum_ok(hdr, 20, 0)); /* a well-known valid IPv4 header */
	/* a partial checksum (the pseudo-header sum in place) completed like a NIC would */
	p[20 + 16] = (uint8_t)(~engine_csum_fold(ps) >> 8);
	p[20 + 17] = (uint8_t)~engine_csum_fold(ps);
	assert_int_equal(engine_csum_complete(p, len, 20, 16), 0);
	assert_true(csum_ok(p + 20, len - 20, ps));
	assert_int_equal(engine_csum_complete(p, len, (uint16_t)(len - 1), 16), -EBADMSG);
}

static void
check_tso(bool v6)
{
	static uint8_t big[70000], seg[2000], joined[70000 + 16];
	size_t ipl = v6 ? 40 : 20, len = tcp_packet(big, v6, 10000, 0x19 /* ACK PSH FIN */);
	struct engine_tso t;
	struct engine_gro g = {.buf = joined};
	size_t total = 0, n;

	assert_int_equal(engine_tso_prepare(big, len, 1448, &t), 0);
	assert_int_equal(t.nseg, 7); /* 6 x 1448 + 1312 */
	for (unsigned i = 0; i < t.nseg; i++) {
		uint8_t *tcp = seg + ipl;

		n = engine_tso_segment(&t, i, seg);
		assert_int_equal(n, ipl + 32 + (i < 6 ? 1448u : 1312u));
		if (v6) {
			assert_int_equal(rd16(seg + 4), n - 40);
		} else {
			assert_int_equal(rd16(seg + 2), n);
			assert_int_equal(rd16(seg + 4), 0x1234 + i);
			assert_true(csum_ok(seg, 20, 0));
		}
		assert_int_equal(rd32(tcp + 4), 0x10000000u + i * 1448u);
		assert_int_equal(tcp[13], i < 6 ? 0x10 : 0x19); /* PSH and FIN on the last only */
		assert_true(csum_ok(tcp, n - ipl, pseudo(seg, n - ipl, 6)));
		assert_memory_equal(seg + ipl + 32, big + ipl + 32 + i * 1448u, n - ipl - 32);
		total += n - ipl - 32;
		/* join them again, as the receiving engine does (the FIN one goes alone) */
		if (engine_gro_candidate(seg, n)) {
			if (!engine_gro_append(&g, &g, seg, n))
				engine_gro_start(&g, &g, seg, n);
		}
	}
	assert_int_equal(total, 10000);
	assert_int_equal(g.nseg, 6);
	n = engine_gro_take(&g);
	assert_int_equal(n, 10 + ipl + 32 + 6 * 1448);
	assert_int_equal(joined[0], 1);                     /* NEEDS_CSUM */
	assert_int_equal(joined[1], v6 ? 4 : 1);            /* GSO TCPV6 / TCPV4 */
	assert_int_equal(joined[4] | joined[5] << 8, 1448); /* gso_size */
	assert_int_equal(joined[6] | joined[7] << 8, ipl);  /* csum_start */
	assert_memory_equal(joined + 10 + ipl + 32, big + ipl + 32, 6 * 1448);
	if (!v6)
		assert_true(csum_ok(joined + 10, 20, 0));
	assert_int_equal(engine_gro_take(&g), 0);
}

static void
test_tso_and_gro(void **state)
{
	uint8_t p[200];
	struct engine_tso t;

	(void)state;
	check_tso(false);
	check_tso(true);
	/* not TCP, or lengths that lie: refused */
	tcp_packet(p, false, 100, 0x10);
	p[9] = 17;
	assert_int_equal(engine_tso_prepare(p, 152, 100, &t), -EBADMSG);
	p[9] = 6;
	assert_int_equal(engine_tso_prepare(p, 151, 100, &t), -EBADMSG);
	assert_true(engine_gro_candidate(p, 152));
	p[20 + 13] = 0x12; /* SYN ACK: never joined */
	assert_false(engine_gro_candidate(p, 152));
}

static void
test_gro_rules(void **state)
{
	static uint8_t buf[70000];
	struct engine_gro g = {.buf = buf};
	uint8_t a[200], b[200];
	size_t n = tcp_packet(a, false, 100, 0x10);
	int owner1 = 1, owner2 = 2;

	(void)state;
	engine_gro_start(&g, &owner1, a, n);
	memcpy(b, a, n);
	b[20 + 7] = 100;                                    /* seq + 100 */
	b[5] = 0x35;                                        /* next ID */
	assert_false(engine_gro_append(&g, &owner2, b, n)); /* another tunnel */
	b[20 + 15] = 0xfe;                                  /* another window */
	assert_false(engine_gro_append(&g, &owner1, b, n));
	b[20 + 15] = 0xff;
	b[20 + 7] = 101; /* a gap */
	assert_false(engine_gro_append(&g, &owner1, b, n));
	b[20 + 7] = 100;
	b[20 + 27] = 8; /* other timestamps */
	assert_false(engine_gro_append(&g, &owner1, b, n));
	b[20 + 27] = 7;
	assert_true(engine_gro_append(&g, &owner1, b, n));
	/* a shorter one joins and ends the train */
	n = tcp_packet(b, false, 50, 0x10);
	b[20 + 7] = 200;
	b[5] = 0x36;
	assert_true(engine_gro_append(&g, &owner1, b, n));
	b[20 + 7] = 250;
	b[5] = 0x37;
	assert_false(engine_gro_append(&g, &owner1, b, n));
	assert_int_equal(g.nseg, 3);
	assert_int_equal(engine_gro_take(&g), 10 + 52 + 250);
	/* a single segment goes as it came, marked DATA_VALID */
	n = tcp_packet(a, false, 100, 0x10);
	engine_gro_start(&g, &owner1, a, n);
	assert_int_equal(engine_gro_take(&g), 10 + n);
	assert_int_equal(buf[0], 2);
	assert_memory_equal(buf + 10, a, n);
}

static void
test_fragments(void **state)
{
	static uint8_t p[3000], f[3000], re[3000];
	size_t len = 20 + 8 + 2000, got = 0, n;
	unsigned idx;

	(void)state;
	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	for (size_t i = 28; i < len; i++)
		p[i] = (uint8_t)(i * 3);
	for (idx = 0; (n = engine_ip4_fragment(p, len, 600, idx, f)) != 0; idx++) {
		size_t off = (size_t)(rd16(f + 6) & 0x1fff) * 8, data = n - 20;
		bool mf = rd16(f + 6) & 0x2000;

		assert_true(n <= 600);
		assert_true(csum_ok(f, 20, 0));
		assert_int_equal(rd16(f + 2), n);
		if (mf)
			assert_int_equal(data % 8, 0);
		memcpy(re + 20 + off, f + 20, data);
		got += data;
		assert_int_equal(mf, off + data < len - 20);
	}
	assert_int_equal(idx, 4); /* 576 + 576 + 576 + 280 */
	assert_int_equal(got, len - 20);
	assert_memory_equal(re + 20, p + 20, len - 20);
	/* options: all in the first fragment, only copied ones (type & 0x80) later */
	memmove(p + 28, p + 20, len - 20);
	p[0] = 0x47;
	p[20] = 0x01;                                  /* NOP: not copied */
	p[21] = 0x83, p[22] = 3, p[23] = 4;            /* copied (LSRR-like) */
	p[24] = 0x07, p[25] = 3, p[26] = 4, p[27] = 0; /* RR: not copied */
	len += 8;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	n = engine_ip4_fragment(p, len, 600, 0, f);
	assert_int_equal(f[0], 0x47);
	n = engine_ip4_fragment(p, len, 600, 1, f);
	assert_int_equal(f[0], 0x46); /* 20 + 4 bytes: the copied option, padded */
	assert_int_equal(f[20], 0x83);
	assert_true(csum_ok(f, 24, 0));
	(void)n;
}

static void
test_icmp(void **state)
{
	uint8_t p[1600], out[1400];
	size_t len = tcp_packet(p, false, 1400, 0x10), n;

	(void)state;
	n = engine_icmp_too_big(p, len, 1380, out, sizeof(out));
	assert_int_equal(n, 576); /* RFC 1812: at most 576 bytes */
	assert_true(csum_ok(out, 20, 0));
	assert_memory_equal(out + 12, p + 16, 4); /* from the unreachable destination */
	assert_memory_equal(out + 16, p + 12, 4); /* to the sender */
	assert_int_equal(out[20], 3);
	assert_int_equal(out[21], 4);
	assert_int_equal(rd16(out + 26), 1380);
	assert_true(csum_ok(out + 20, n - 20, 0));
	assert_memory_equal(out + 28, p, 548);
	/* never about an ICMP error, a later fragment, a multicast destination */
	p[9] = 1;
	p[20] = 3;
	assert_int_equal(engine_icmp_too_big(p, len, 1380, out, sizeof(out)), 0);
	p[9] = 6;
	p[7] = 10;
	assert_int_equal(engine_icmp_too_big(p, len, 1380, out, sizeof(out)), 0);
	p[7] = 0;
	p[16] = 239;
	assert_int_equal(engine_icmp_too_big(p, len, 1380, out, sizeof(out)), 0);
	/* IPv6: Packet Too Big, 1280 bytes in all, checksum over the pseudo-header */
	len = tcp_packet(p, true, 1400, 0x10);
	n = engine_icmp_too_big(p, len, 1300, out, sizeof(out));
	assert_int_equal(n, 1280);
	assert_int_equal(out[40], 2);
	assert_int_equal(rd32(out + 44), 1300);
	assert_true(csum_ok(out + 40, n - 40, pseudo(out, n - 40, 58)));
	assert_int_equal(rd32(out + 44), 1300);
	n = engine_icmp_too_big(p, len, 1000, out, sizeof(out));
	assert_int_equal(rd32(out + 44), 1280); /* never below the IPv6 minimum */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_checksums), cmocka_unit_test(test_tso_and_gro),
	        cmocka_unit_test(test_gro_rules), cmocka_unit_test(test_fragments),
	        cmocka_unit_test(test_icmp),
	};

	return cmocka_run_group_tests_name("engine_pkt", tests, NULL, NULL);
}
