/* SPDX-License-Identifier: MIT */
/* Helpers shared by the configuration tests (see cfg_test_util.h). */
#include "cfg_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/core/buf.h"

const char *const cfgt_configs[] = {
        "tests/configs/seed-example-13.conf",
        "tests/configs/seed-example-14.conf",
        "tests/configs/seed-example-15.conf",
        "tests/configs/seed-example-16.conf",
        "tests/configs/full.conf",
        "tests/configs/minimal.conf",
        "tests/configs/ipv6.conf",
};
const size_t cfgt_nconfigs = sizeof(cfgt_configs) / sizeof(cfgt_configs[0]);

static const struct cfg_mask_key *
mk_of(uint8_t fill, struct cfg_mask_key *mk, bool *done)
{
	uint8_t master[32];

	if (!*done) {
		memset(master, fill, sizeof(master));
		assert_int_equal(cfg_mask_key_derive(mk, master, sizeof(master)), 0);
		*done = true;
	}
	return mk;
}

const struct cfg_mask_key *
cfgt_mk(void)
{
	static struct cfg_mask_key mk;
	static bool done;

	return mk_of(0x42, &mk, &done);
}

const struct cfg_mask_key *
cfgt_mk_other(void)
{
	static struct cfg_mask_key mk;
	static bool done;

	return mk_of(0x17, &mk, &done);
}

char *
cfgt_read(const char *rel, size_t *len)
{
	char path[4096];
	FILE *f;
	char *b;
	long n;

	snprintf(path, sizeof(path), "%s/%s", TANDEM_SOURCE_DIR, rel);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = '\0';
	if (len)
		*len = (size_t)n;
	return b;
}

int
cfgt_parse(const char *text, struct cfg **out, struct cfg_diags *d)
{
	return cfg_parse("test.conf", text, strlen(text), cfgt_mk(), out, d);
}

int
cfgt_load(const char *rel, struct cfg **out, struct cfg_diags *d)
{
	size_t len;
	char *text = cfgt_read(rel, &len);
	int rc = cfg_parse(rel, text, len, cfgt_mk(), out, d);

	free(text);
	return rc;
}

char *
cfgt_diags_text(const struct cfg_diags *d)
{
	struct buf b;
	size_t n;
	char *s;

	buf_init(&b, false);
	cfg_diags_print(d, &b);
	buf_put_u8(&b, '\0');
	s = (char *)buf_steal(&b, &n);
	assert_non_null(s);
	return s;
}

const struct cfg_diag *
cfgt_find(const struct cfg_diags *d, enum cfg_diag_sev sev, unsigned line, unsigned col,
          const char *phrase)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct cfg_diag *g = &d->v[i];

		if (g->sev == sev && g->line == line && g->col == col && strstr(g->msg, phrase))
			return g;
	}
	return NULL;
}

unsigned
cfgt_count(const struct cfg_diags *d, enum cfg_diag_sev sev, const char *phrase)
{
	unsigned n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += d->v[i].sev == sev && strstr(d->v[i].msg, phrase) != NULL;
	return n;
}

char *
cfgt_print(const struct cfg *cfg, const struct cfg_mask_key *mk, enum cfg_print_mode mode)
{
	struct buf b;
	size_t n;
	char *s;

	buf_init(&b, false);
	assert_int_equal(cfg_print(cfg, mk, mode, &b), 0);
	buf_put_u8(&b, '\0');
	s = (char *)buf_steal(&b, &n);
	assert_non_null(s);
	return s;
}
