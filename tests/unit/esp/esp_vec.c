/* SPDX-License-Identifier: MIT */
/* ESP test helpers: the vector file reader, SA parameters and inner packets. */
#include "esp_vec.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends the hex digits of s to f (odd digits and non-hex characters are errors). */
static void
vec_hex_append(struct vec_field *f, const char *s)
{
	int hi = -1;

	for (; *s && *s != '#'; s++) {
		int v;

		if (isspace((unsigned char)*s))
			continue;
		v = hexval(*s);
		if (v < 0) {
			f->len = SIZE_MAX; /* not hex: keep only the text */
			return;
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(f->len < VEC_MAX);
		f->b[f->len++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_int_equal(hi, -1);
}

static void
vec_line(struct vec *v, const char *line)
{
	const char *eq = strchr(line, '=');
	struct vec_field *f;

	if (!eq) {
		/* continuation of the previous field's hex */
		assert_true(v->n > 0);
		vec_hex_append(&v->f[v->n - 1], line);
		return;
	}
	assert_true(v->n < sizeof(v->f) / sizeof(v->f[0]));
	f = &v->f[v->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%.*s", (int)strcspn(line, " ="), line);
	eq++;
	while (*eq == ' ')
		eq++;
	snprintf(f->text, sizeof(f->text), "%.*s", (int)strcspn(eq, "\n #"), eq);
	vec_hex_append(f, eq);
}

void
vec_load(const char *file, const char *name, struct vec *v)
{
	char path[512], line[512], want[80];
	bool in = false, found = false;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/vectors/esp/%s", TANDEM_SOURCE_DIR, file);
	snprintf(want, sizeof(want), "[%s]", name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	memset(v, 0, sizeof(*v));
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#')
			continue;
		if (line[0] == '[') {
			in = strcmp(line, want) == 0;
			found |= in;
			continue;
		}
		if (in && line[strspn(line, " ")])
			vec_line(v, line);
	}
	fclose(fp);
	assert_true(found);
}

const struct vec_field *
vec_get(const struct vec *v, const char *field)
{
	for (unsigned i = 0; i < v->n; i++) {
		if (strcmp(v->f[i].name, field) == 0)
			return &v->f[i];
	}
	fail_msg("vector field %s missing", field);
	return NULL;
}

uint32_t
vec_u32(const struct vec *v, const char *field)
{
	const struct vec_field *f = vec_get(v, field);
	uint32_t x = 0;

	assert_true(f->len <= 4);
	for (size_t i = 0; i < f->len; i++)
		x = x << 8 | f->b[i];
	return x;
}

void
vec_params(struct esp_sa_params *p, bool inbound, enum cfg_encr e, enum cfg_integ i,
           const uint8_t *ekey, const uint8_t *ikey)
{
	const struct cfg_encr_info *ei = cfg_encr_info(e);
	const struct cfg_integ_info *ii = cfg_integ_info(i);
	uint8_t k[128];

	memset(p, 0, sizeof(*p));
	p->spi = 0x1000;
	p->inbound = inbound;
	p->encr = e;
	p->integ = i;
	for (size_t n = 0; n < sizeof(k); n++)
		k[n] = (uint8_t)(n * 7 + 3);
	assert_int_equal(secret_set(&p->enc_key, ekey ? ekey : k, ei->key_len), 0);
	for (size_t n = 0; n < sizeof(k); n++)
		k[n] = (uint8_t)(n * 13 + 5);
	assert_int_equal(secret_set(&p->integ_key, ikey ? ikey : k, ii->key_len), 0);
	p->replay_window = 64;
	p->family = AF_INET;
	p->udp_encap = true;
	p->local_port = p->remote_port = 4500;
	p->seq_start = inbound ? 0 : 1;
	p->lease_limit = inbound ? 0 : UINT64_MAX;
}

struct esp_sa *
vec_sa(const struct esp_sa_params *p)
{
	struct esp_sa_opts o = {.nslots = 1, .lease_refill_pct = 50, .replay_report_every = 0};
	struct esp_sa *sa = NULL;

	assert_int_equal(esp_sa_new(p, &o, &sa), 0);
	return sa;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
vec_ip4_udp(uint8_t *p, size_t len, uint16_t sport, uint16_t dport)
{
	static const uint8_t src[4] = {10, 1, 0, 1}, dst[4] = {10, 2, 0, 1};

	memset(p, 0, len);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)len);
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	put16(p + 20, sport);
	put16(p + 22, dport);
	put16(p + 24, (uint16_t)(len - 20));
	for (size_t i = 28; i < len; i++)
		p[i] = (uint8_t)i;
}

void
vec_ip6_udp(uint8_t *p, size_t len, uint16_t sport, uint16_t dport)
{
	memset(p, 0, len);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)(len - 40));
	p[6] = 17;
	p[7] = 64;
	p[8] = 0xfd;
	p[10] = 0x00;
	p[11] = 0x01;
	p[23] = 1;
	p[24] = 0xfd;
	p[27] = 0x02;
	p[39] = 1;
	put16(p + 40, sport);
	put16(p + 42, dport);
	put16(p + 44, (uint16_t)(len - 40));
	for (size_t i = 48; i < len; i++)
		p[i] = (uint8_t)i;
}

void
vec_buf_set(struct vec_buf *b, const uint8_t *p, size_t len)
{
	assert_true(len <= sizeof(b->mem) - 256);
	memcpy(b->mem + 128, p, len);
	b->pkt.data = b->mem + 128;
	b->pkt.len = len;
	b->pkt.headroom = 128;
	b->pkt.tailroom = sizeof(b->mem) - 128 - len;
}
