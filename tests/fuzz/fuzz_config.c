/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the configuration parser (STYLE.md §2.12): parses the input with a
 * fixed master key and, when it loads, prints both canonical modes (masked and <hidden>),
 * digests, and checks that the verbose form parses back to the same text. Everything is freed,
 * so LeakSanitizer sees any leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/core/buf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cfg_mask_key fuzz_mk;
static int fuzz_ready;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t master[32];

	(void)argc;
	(void)argv;
	memset(master, 0x42, sizeof(master));
	if (cfg_mask_key_derive(&fuzz_mk, master, sizeof(master)) != 0)
		abort();
	fuzz_ready = 1;
	return 0;
}

/* The verbose form must load and print the same text again. */
static void
check_round_trip(const struct buf *v1)
{
	struct cfg_diags d;
	struct cfg *c = NULL;
	struct buf v2;

	cfg_diags_init(&d);
	if (cfg_parse("canonical", (const char *)v1->b_data, v1->b_len, &fuzz_mk, &c, &d) != 0)
		abort();
	buf_init(&v2, false);
	if (cfg_print(c, &fuzz_mk, CFG_PRINT_VERBOSE, &v2) != 0 || v2.b_len != v1->b_len ||
	    (v1->b_len && memcmp(v2.b_data, v1->b_data, v1->b_len) != 0))
		abort();
	buf_fini(&v2);
	cfg_free(c);
	cfg_diags_fini(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_diags d;
	struct cfg *c = NULL;
	uint8_t digest[32];
	struct buf b;

	if (!fuzz_ready)
		LLVMFuzzerInitialize(NULL, NULL);
	cfg_diags_init(&d);
	buf_init(&b, false);
	if (cfg_parse("fuzz", (const char *)data, size, &fuzz_mk, &c, &d) == 0) {
		if (cfg_print(c, &fuzz_mk, CFG_PRINT_VERBOSE, &b) != 0)
			abort();
		check_round_trip(&b);
		buf_reset(&b);
		(void)cfg_print(c, &fuzz_mk, CFG_PRINT_CHANGED, &b);
		buf_reset(&b);
		(void)cfg_print(c, NULL, CFG_PRINT_VERBOSE, &b);
		(void)cfg_digest(c, &fuzz_mk, digest);
		buf_reset(&b);
	}
	cfg_diags_print(&d, &b);
	buf_fini(&b);
	cfg_free(c);
	cfg_diags_fini(&d);
	return 0;
}
