/* SPDX-License-Identifier: MIT */
/*
 * A deterministic mutation sweep over the golden configurations (STYLE.md §2.9, after iked's
 * regress/parser): every truncation point and a single-byte mutation at every offset must
 * parse cleanly (no crash, no leak under ASan), and whatever parses must print, digest and
 * parse back to the same canonical text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg_test_util.h"
#include "node/config/cfg.h"

static const char *const files[] = {
        "tests/configs/seed-example-13.conf",
        "tests/configs/seed-example-14.conf",
        "tests/configs/seed-example-15.conf",
        "tests/configs/seed-example-16.conf",
        "tests/configs/full.conf",
};

/* Bytes that stress the lexer and the block parser. */
static const uint8_t interesting[] = {0x00, '\n', ' ', '\t', '"',  '\\', '!',  '/', '0', '9',
                                      'x',  '-',  '.', ':',  0x7f, 0xff, '\r', '*', '@', 'A'};

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct sweep {
	unsigned parsed, accepted;
};

/* Parses one input; when it loads, its canonical form must load and print the same. */
static void
one(const char *text, size_t len, struct sweep *sw)
{
	struct cfg_diags d;
	struct cfg *c = NULL, *c2 = NULL;
	uint8_t dg[32];
	char *v1, *v2, *ch;

	cfg_diags_init(&d);
	sw->parsed++;
	if (cfg_parse("mutant", text, len, cfgt_mk(), &c, &d) == 0) {
		sw->accepted++;
		v1 = cfgt_print(c, cfgt_mk(), CFG_PRINT_VERBOSE);
		ch = cfgt_print(c, NULL, CFG_PRINT_CHANGED);
		assert_int_equal(cfg_digest(c, cfgt_mk(), dg), 0);
		cfg_diags_fini(&d);
		cfg_diags_init(&d);
		if (cfg_parse("canonical", v1, strlen(v1), cfgt_mk(), &c2, &d) != 0)
			fail_msg("canonical form of a mutant does not load:\n%s\n%s",
			         cfgt_diags_text(&d), v1);
		v2 = cfgt_print(c2, cfgt_mk(), CFG_PRINT_VERBOSE);
		assert_string_equal(v1, v2);
		free(v1);
		free(v2);
		free(ch);
		cfg_free(c2);
	}
	cfg_free(c);
	cfg_diags_fini(&d);
}

static void
test_truncations(void **state)
{
	struct sweep sw = {0, 0};

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *text = cfgt_read(files[f], &len);

		for (size_t cut = 0; cut <= len; cut++) {
			char *t = malloc(cut ? cut : 1); /* exact size: ASan sees any overread */

			memcpy(t, text, cut);
			one(t, cut, &sw);
			free(t);
		}
		free(text);
	}
	print_message("truncations: %u parsed, %u loaded\n", sw.parsed, sw.accepted);
	assert_true(sw.accepted > 0);
}

static void
test_byte_mutations(void **state)
{
	struct sweep sw = {0, 0};
	uint32_t seed = 0x7a6e6465;

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *text = cfgt_read(files[f], &len);
		char *t = malloc(len);

		for (size_t at = 0; at < len; at++) {
			memcpy(t, text, len);
			t[at] = (char)interesting[xorshift(&seed) % sizeof(interesting)];
			one(t, len, &sw);
			if (at % 7 == 0) { /* and a random byte now and then */
				t[at] = (char)(xorshift(&seed) & 0xff);
				one(t, len, &sw);
			}
		}
		free(t);
		free(text);
	}
	print_message("mutations: %u parsed, %u loaded\n", sw.parsed, sw.accepted);
	assert_true(sw.accepted > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_truncations),
	        cmocka_unit_test(test_byte_mutations),
	};

	return cmocka_run_group_tests_name("cfg_mutate", tests, NULL, NULL);
}
