/* SPDX-License-Identifier: MIT */
/*
 * A deterministic mutation sweep over the golden IKEv2 messages (STYLE.md §2.9, after iked's
 * regress/parser): every truncation, every single-bit flip and a set of byte values at
 * every offset, edits of every length field (header, generic payload headers, proposal and
 * transform substructures) and seeded random multi-byte mutations. Each mutant is copied
 * into a heap buffer of exactly its size, so ASan sees any read past the end. Every parse
 * must return cleanly (0, or -EBADMSG with a reason that formats); whatever parses must only
 * hold views inside the datagram, and an SK body parsed as plaintext must return cleanly too.
 */
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
#include "test_ike_msg_util.h"

static const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x07, 0x08, 0x0e,
                                      0x10, 0x1f, 0x20, 0x21, 0x22, 0x28, 0x2e, 0x35,
                                      0x3f, 0x40, 0x7f, 0x80, 0x8e, 0xfe, 0xff};
static const uint16_t lengths[] = {0, 1, 3, 4, 5, 7, 8, 9, 12, 16, 0x7fff, 0x8000, 0xffff};

struct sweep {
	unsigned parsed, accepted, inner;
	struct ike_msg *msg;
};

static bool
inside(struct cur v, const uint8_t *p, size_t len)
{
	return v.len == 0 || (v.p >= p && v.len <= len && v.p <= p + (len - v.len));
}

static void
check_views(const struct ike_msg *m, const uint8_t *p, size_t len)
{
	assert_true(m->npld <= IKE_MAX_PAYLOADS);
	assert_true(m->nnotify <= IKE_MAX_NOTIFIES && m->ndelete <= IKE_MAX_DELETES);
	assert_true(m->nvendor <= IKE_MAX_VENDORS && m->sa.nprops <= IKE_MAX_PROPOSALS);
	for (unsigned i = 0; i < m->npld; i++)
		assert_true(inside(m->pld[i].body, p, len));
	for (unsigned i = 0; i < m->nnotify; i++)
		assert_true(inside(m->notify[i].data, p, len) && inside(m->notify[i].spi, p, len));
	for (unsigned i = 0; i < m->ndelete; i++)
		assert_true(inside(m->del[i].spis, p, len));
	assert_true(inside(m->sk.body, p, len) && inside(m->nonce, p, len));
	assert_true(inside(m->idi.body, p, len) && inside(m->auth.data, p, len));
	if (m->has_sk)
		assert_true(m->sk.aad_len + m->sk.body.len == len);
}

/* Parses one mutant from an exact-size heap copy. */
static void
one(const uint8_t *src, size_t len, struct sweep *sw)
{
	uint8_t *p = malloc(len ? len : 1);
	struct ike_perr err;
	int rc;

	assert_non_null(p);
	if (len)
		memcpy(p, src, len);
	rc = ike_msg_parse(p, len, sw->msg, &err);
	iket_check_clean(rc, &err);
	sw->parsed++;
	if (rc == 0) {
		sw->accepted++;
		check_views(sw->msg, p, len);
		if (sw->msg->has_sk) {
			sw->inner++;
			rc = ike_msg_parse_inner(sw->msg, sw->msg->sk.inner_next,
			                         sw->msg->sk.body.p, sw->msg->sk.body.len, &err);
			iket_check_clean(rc, &err);
		}
	}
	free(p);
}

static int
setup(void **state)
{
	struct sweep *sw = calloc(1, sizeof(*sw));

	if (!sw)
		return -1;
	sw->msg = calloc(1, sizeof(*sw->msg));
	*state = sw;
	return sw->msg ? 0 : -1;
}

static int
teardown(void **state)
{
	struct sweep *sw = *state;

	printf("  parsed %u mutants, %u accepted, %u SK bodies parsed as plaintext\n", sw->parsed,
	       sw->accepted, sw->inner);
	free(sw->msg);
	free(sw);
	return 0;
}

static void
test_truncations(void **state)
{
	uint8_t buf[IKET_MAX_FILE];

	for (size_t v = 0; v < iket_nvectors; v++) {
		size_t len = iket_load(iket_vectors[v], buf);

		for (size_t n = 0; n <= len; n++)
			one(buf, n, *state);
		/* the header's Length follows the cut, so the payload chain is what breaks */
		for (size_t n = IKE_HDR_LEN; n < len; n++) {
			buf[24] = 0;
			buf[25] = 0;
			buf[26] = (uint8_t)(n >> 8);
			buf[27] = (uint8_t)n;
			one(buf, n, *state);
		}
	}
}

static void
test_byte_flips(void **state)
{
	uint8_t buf[IKET_MAX_FILE];

	for (size_t v = 0; v < iket_nvectors; v++) {
		size_t len = iket_load(iket_vectors[v], buf);

		for (size_t off = 0; off < len; off++) {
			uint8_t keep = buf[off];

			for (int bit = 0; bit < 8; bit++) {
				buf[off] = keep ^ (uint8_t)(1u << bit);
				one(buf, len, *state);
			}
			for (size_t i = 0; i < sizeof(interesting); i++) {
				buf[off] = interesting[i];
				one(buf, len, *state);
			}
			buf[off] = keep;
		}
	}
}

static void
set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Tries every length in `lengths` and the field's own value +-1 at off. */
static void
edit_len(uint8_t *buf, size_t len, size_t off, struct sweep *sw)
{
	uint16_t keep = get16(buf + off);

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		set16(buf + off, lengths[i]);
		one(buf, len, sw);
	}
	set16(buf + off, (uint16_t)(keep + 1));
	one(buf, len, sw);
	set16(buf + off, (uint16_t)(keep - 1));
	one(buf, len, sw);
	set16(buf + off, keep);
}

/* The proposal and transform length fields inside an SA payload body at [off, end). */
static void
edit_sa_lengths(uint8_t *buf, size_t len, size_t off, size_t end, struct sweep *sw)
{
	while (off + 8 <= end) {
		size_t plen = get16(buf + off + 2), t = off + 8 + buf[off + 6];

		edit_len(buf, len, off + 2, sw);
		while (t + 8 <= off + plen && t + 8 <= end) {
			edit_len(buf, len, t + 2, sw);
			if (get16(buf + t + 2) < 8)
				break;
			t += get16(buf + t + 2);
		}
		if (plen < 8)
			break;
		off += plen;
	}
}

static void
test_length_fields(void **state)
{
	uint8_t buf[IKET_MAX_FILE];

	for (size_t v = 0; v < iket_nvectors; v++) {
		size_t len = iket_load(iket_vectors[v], buf), off = IKE_HDR_LEN;
		uint8_t next = buf[16];

		edit_len(buf, len, 26, *state); /* the low half of the header's Length */
		while (next != IKE_PLD_NONE && off + 4 <= len) {
			size_t plen = get16(buf + off + 2);

			edit_len(buf, len, off + 2, *state);
			if (next == IKE_PLD_SA)
				edit_sa_lengths(buf, len, off + 4, off + plen, *state);
			if (next == IKE_PLD_SK || plen < 4)
				break;
			next = buf[off];
			off += plen;
		}
	}
}

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* 2-6 random byte changes per mutant, plus sometimes a random cut; fixed seed. */
static void
test_random(void **state)
{
	uint8_t orig[IKET_MAX_FILE], buf[IKET_MAX_FILE];
	uint32_t seed = 0x7a6e0001;

	for (size_t v = 0; v < iket_nvectors; v++) {
		size_t len = iket_load(iket_vectors[v], orig);

		for (int it = 0; it < 3000; it++) {
			size_t n = len;
			unsigned k = 2 + xorshift(&seed) % 5;

			memcpy(buf, orig, len);
			for (unsigned j = 0; j < k; j++)
				buf[xorshift(&seed) % len] = (uint8_t)xorshift(&seed);
			if (xorshift(&seed) % 4 == 0)
				n = xorshift(&seed) % (len + 1);
			one(buf, n, *state);
		}
	}
}

/*
 * Every SK body of the goldens parsed as a plaintext chain under every first payload type:
 * random bytes reach the inner walk and each payload parser with arbitrary contents.
 */
static void
test_inner_all_types(void **state)
{
	struct sweep *sw = *state;
	uint8_t buf[IKET_MAX_FILE];
	struct ike_perr err;
	int rc;

	for (size_t v = 0; v < iket_nvectors; v++) {
		size_t len = iket_load(iket_vectors[v], buf);
		uint8_t *p = malloc(len);

		assert_non_null(p);
		memcpy(p, buf, len);
		for (unsigned t = 0; t < 256; t++) {
			assert_int_equal(ike_msg_parse(p, len, sw->msg, &err), 0);
			if (!sw->msg->has_sk)
				break;
			rc = ike_msg_parse_inner(sw->msg, (uint8_t)t, sw->msg->sk.body.p,
			                         sw->msg->sk.body.len, &err);
			iket_check_clean(rc, &err);
			sw->inner++;
		}
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_truncations, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_byte_flips, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_length_fields, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_random, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_inner_all_types, setup, teardown),
	};

	return cmocka_run_group_tests_name("ike_msg_mutate", tests, NULL, NULL);
}
