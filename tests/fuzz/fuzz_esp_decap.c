/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the inbound ESP path: arbitrary bytes through esp_decap against
 * fixed SAs of every kind (the first byte picks one; one has no integrity, so mutations
 * reach decryption, the trailer and inner-packet checks), plus the UDP demultiplexer and the
 * inner-packet parser and selectors on the same bytes. With the first byte's top bit set the
 * rest is a sequence number and a plaintext body that the harness encrypts and
 * authenticates with the peer's keys: authentic packets with arbitrary trailers and inner
 * packets, the part a forger cannot reach. Each input starts from a fresh replay window.
 * With FUZZ_ESP_CORPUS=DIR, LLVMFuzzerInitialize writes a corpus of real packets made by
 * esp_encap with the same keys.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "node/esp/esp_int.h"
#include "node/esp/esp_ts.h"
#include "node/esp/esp_udp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_kind {
	enum cfg_encr e;
	enum cfg_integ i;
	bool esn;
	uint32_t win;
};

static const struct fz_kind fz_kinds[] = {
        {CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE, false, 64},
        {CFG_ENCR_CHACHA20_POLY1305, CFG_INTEG_NONE, true, 128},
        {CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96, false, 32},
        {CFG_ENCR_AES256_CBC, CFG_INTEG_NONE, false, 64},
        {CFG_ENCR_NULL, CFG_INTEG_HMAC_SHA2_256_128, true, 4096},
        {CFG_ENCR_3DES_CBC, CFG_INTEG_AES_XCBC_96, true, 0},
};
#define FZ_N (sizeof(fz_kinds) / sizeof(fz_kinds[0]))

static struct esp_sa *fz_in[FZ_N], *fz_out[FZ_N];
static uint8_t fz_buf[65536];

static void
fz_params(struct esp_sa_params *p, const struct fz_kind *k, bool inbound)
{
	uint8_t key[64];

	memset(p, 0, sizeof(*p));
	for (size_t n = 0; n < sizeof(key); n++)
		key[n] = (uint8_t)(0x30 + n);
	p->spi = 0x4500;
	p->inbound = inbound;
	p->encr = k->e;
	p->integ = k->i;
	p->esn = k->esn;
	p->replay_window = k->win;
	p->family = AF_INET;
	p->udp_encap = true;
	p->lease_limit = UINT64_MAX;
	p->seq_start = inbound ? 0 : 1;
	if (secret_set(&p->enc_key, key, cfg_encr_info(k->e)->key_len) < 0 ||
	    secret_set(&p->integ_key, key + 3, cfg_integ_info(k->i)->key_len) < 0)
		abort();
}

static struct esp_sa *
fz_sa(const struct fz_kind *k, bool inbound)
{
	struct esp_sa_opts o = {.nslots = 1, .lease_refill_pct = 50, .replay_report_every = 16};
	struct esp_sa_params p;
	struct esp_sa *sa;

	fz_params(&p, k, inbound);
	if (esp_sa_new(&p, &o, &sa) < 0)
		abort();
	esp_sa_params_clear(&p);
	return sa;
}

static void
fz_write(const char *dir, unsigned k, unsigned n, const uint8_t *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/real-%u-%02u", dir, k, n);
	f = fopen(path, "wb");
	if (!f)
		return;
	fputc((int)k, f);
	fwrite(p, 1, len, f);
	fclose(f);
}

/* Real packets: IPv4 and IPv6 inner packets of a few sizes, per kind. */
static void
fz_corpus(const char *dir)
{
	static const size_t lens[] = {40, 41, 60, 77, 100, 300};
	static uint8_t mem[2048];

	for (unsigned k = 0; k < FZ_N; k++) {
		struct esp_sa *out = fz_sa(&fz_kinds[k], false);
		unsigned n = 0;

		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			for (int v6 = 0; v6 < 2; v6++) {
				struct esp_pkt pkt = {mem + 64, lens[l] + (v6 ? 20 : 0), 64, 1024};

				memset(mem, 0, sizeof(mem));
				pkt.data[0] = v6 ? 0x60 : 0x45;
				if (v6) {
					pkt.data[5] = (uint8_t)(pkt.len - 40);
					pkt.data[6] = 17;
				} else {
					pkt.data[3] = (uint8_t)pkt.len;
					pkt.data[9] = 6;
				}
				if (esp_encap(out, 0, &pkt) == ESP_DROP_NONE)
					fz_write(dir, k, n++, pkt.data, pkt.len);
			}
		}
		esp_sa_free(out);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_ESP_CORPUS");

	(void)argc;
	(void)argv;
	for (unsigned k = 0; k < FZ_N; k++) {
		fz_in[k] = fz_sa(&fz_kinds[k], true);
		fz_out[k] = fz_sa(&fz_kinds[k], false);
	}
	if (dir)
		fz_corpus(dir);
	return 0;
}

static void
fz_selectors(const uint8_t *p, size_t n)
{
	struct esp_sa_params sp;
	struct esp_flow f;

	if (esp_flow_parse(p, n, &f) < 0)
		return;
	memset(&sp, 0, sizeof(sp));
	sp.nts_local = sp.nts_remote = 1;
	sp.ts_local[0] =
	        (struct esp_ts){.family = f.family, .proto = 17, .sport = 0, .eport = 1024};
	memset(sp.ts_local[0].end, 0xff, 16);
	sp.ts_remote[0] = (struct esp_ts){.family = AF_INET, .sport = 0, .eport = 65535};
	memset(sp.ts_remote[0].end, 0x7f, 16);
	(void)esp_ts_match_out(&sp, &f);
	(void)esp_ts_match_in(&sp, &f);
}

static void
fz_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * An authentic packet of out's twin: header, a fixed IV, body encrypted (CBC: cut to whole
 * blocks) and the ICV or tag, computed with node/esp's internals (no ESN high half: the
 * fresh window infers zero). Returns its length, 0 if the body does not fit.
 */
static size_t
fz_craft(struct esp_sa *out, uint32_t seq, const uint8_t *body, size_t n, uint8_t *dst)
{
	struct esp_slot *s = &out->slots[0];
	uint8_t *iv = dst + ESP_HDR_LEN, *b = iv + out->iv_len, nonce[12], aad[12];
	struct esp_mac_run r;
	size_t aad_len = out->p.esn ? 12 : 8;

	if (out->kind == ESP_KIND_CBC)
		n -= n % out->block;
	if (n < 2 || n + 64 > sizeof(fz_buf))
		return 0;
	fz_put32(dst, out->p.spi);
	fz_put32(dst + 4, seq);
	memset(iv, 0x5a, out->iv_len);
	memcpy(b, body, n);
	if (out->kind == ESP_KIND_AEAD) {
		memcpy(nonce, out->salt, 4);
		memcpy(nonce + 4, iv, 8);
		memcpy(aad, dst, 4);
		memset(aad + 4, 0, 4);
		memcpy(aad + (aad_len - 4), dst + 4, 4);
		if (!esp_aead_seal(s, nonce, aad, aad_len, b, n, b + n, out->icv_len))
			abort();
		return ESP_HDR_LEN + out->iv_len + n + out->icv_len;
	}
	if (out->kind == ESP_KIND_CBC && !esp_cbc_crypt(s, true, iv, b, n))
		abort();
	if (!out->has_mac)
		return ESP_HDR_LEN + out->iv_len + n;
	esp_mac_begin(&r, &out->mac, &s->mac);
	esp_mac_update(&r, dst, (size_t)(b + n - dst));
	if (out->p.esn) {
		uint8_t hi[4] = {0};

		esp_mac_update(&r, hi, 4);
	}
	if (!esp_mac_end(&r, b + n))
		abort();
	return ESP_HDR_LEN + out->iv_len + n + out->icv_len;
}

static void
fz_authentic(unsigned k, const uint8_t *data, size_t size)
{
	struct esp_inner in;
	size_t len;
	uint32_t seq;

	if (size < 4)
		return;
	seq = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
	len = fz_craft(fz_out[k], seq, data + 4, size - 4, fz_buf);
	if (len == 0)
		return;
	esp_replay_init(&fz_in[k]->rp, fz_in[k]->p.replay_window, 0);
	if (esp_decap(fz_in[k], 0, fz_buf, len, &in) == ESP_DROP_NONE &&
	    (in.data < fz_buf || in.data + in.len > fz_buf + len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esp_sa *sa;
	struct esp_inner in;
	uint64_t hi, used, lim;
	uint32_t spi;

	if (size < 1)
		return 0;
	if (data[0] & 0x80) {
		fz_authentic((data[0] & 0x7f) % FZ_N, data + 1, size - 1);
		return 0;
	}
	sa = fz_in[data[0] % FZ_N];
	data++;
	size--;
	(void)esp_udp_classify(data, size);
	(void)esp_pkt_spi(data, size, &spi);
	if (size > sizeof(fz_buf))
		return 0;
	/* each input starts from a fresh window, so a crash reproduces from its input alone */
	esp_replay_init(&sa->rp, sa->p.replay_window, 0);
	memcpy(fz_buf, data, size);
	if (esp_decap(sa, 0, fz_buf, size, &in) == ESP_DROP_NONE) {
		/* the inner view must lie inside the packet */
		if (in.data < fz_buf || in.data + in.len > fz_buf + size)
			abort();
		fz_selectors(in.data, in.len);
	}
	(void)esp_sa_replay_report_due(sa, &hi);
	(void)esp_sa_lease_want(sa, &used, &lim);
	fz_selectors(data, size);
	return 0;
}
