/* SPDX-License-Identifier: MIT */
/*
 * Micro-benchmark of node/esp on one core: for each transform, encapsulation and
 * decapsulation of 1400-byte inner packets in a loop, reported as packets/s and Gbit/s of
 * inner traffic. Built, not run by CTest; docs/engine-performance.md records its numbers.
 * Usage: esp_bench [seconds per measurement, default 1] [packet size, default 1400]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "node/esp/esp_sa.h"

struct bench_kind {
	enum cfg_encr e;
	enum cfg_integ i;
	bool esn;
};

static const struct bench_kind kinds[] = {
        {CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE, false},
        {CFG_ENCR_AES256_GCM16, CFG_INTEG_NONE, false},
        {CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE, true},
        {CFG_ENCR_CHACHA20_POLY1305, CFG_INTEG_NONE, false},
        {CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96, false},
        {CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA2_256_128, false},
        {CFG_ENCR_AES256_CBC, CFG_INTEG_HMAC_SHA2_512_256, false},
        {CFG_ENCR_AES128_CBC, CFG_INTEG_AES_XCBC_96, false},
        {CFG_ENCR_NULL, CFG_INTEG_HMAC_SHA2_256_128, false},
        {CFG_ENCR_3DES_CBC, CFG_INTEG_HMAC_SHA1_96, false},
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct esp_sa *
bench_sa(const struct bench_kind *k, bool inbound)
{
	struct esp_sa_opts o = {.nslots = 1, .lease_refill_pct = 50};
	struct esp_sa_params p;
	uint8_t key[64];
	struct esp_sa *sa;

	memset(&p, 0, sizeof(p));
	for (size_t n = 0; n < sizeof(key); n++)
		key[n] = (uint8_t)(n * 11 + 1);
	p.spi = 0x1234;
	p.inbound = inbound;
	p.encr = k->e;
	p.integ = k->i;
	p.esn = k->esn;
	p.replay_window = 64;
	p.family = AF_INET;
	p.udp_encap = true;
	p.seq_start = inbound ? 0 : 1;
	p.lease_limit = UINT64_MAX;
	if (secret_set(&p.enc_key, key, cfg_encr_info(k->e)->key_len) < 0 ||
	    secret_set(&p.integ_key, key + 5, cfg_integ_info(k->i)->key_len) < 0 ||
	    esp_sa_new(&p, &o, &sa) < 0) {
		fprintf(stderr, "cannot make SA %s/%s\n", cfg_encr_info(k->e)->name,
		        cfg_integ_info(k->i)->name);
		exit(1);
	}
	esp_sa_params_clear(&p);
	return sa;
}

static void
inner_packet(uint8_t *p, size_t len)
{
	memset(p, 0x61, len);
	p[0] = 0x45;
	p[1] = 0;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[9] = 17;
}

/* Encapsulations per second (each time on a fresh copy of the inner packet). */
static double
bench_encap(struct esp_sa *out, uint8_t *mem, size_t len, double secs, uint8_t *esp,
            size_t *esp_len)
{
	double t0 = now_s(), t;
	unsigned long n = 0;

	do {
		for (int i = 0; i < 256; i++) {
			struct esp_pkt pkt = {mem + 128, len, 128, 256};

			inner_packet(pkt.data, len);
			if (esp_encap(out, 0, &pkt) != ESP_DROP_NONE) {
				fprintf(stderr, "encap failed\n");
				exit(1);
			}
			if (n == 0 && i == 0) {
				memcpy(esp, pkt.data, pkt.len);
				*esp_len = pkt.len;
			}
		}
		n += 256;
		t = now_s();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

/*
 * Decapsulations per second: packets made beforehand (the window must see new numbers), then
 * decapsulated from a copy each time.
 */
static double
bench_decap(const struct bench_kind *k, size_t len, double secs)
{
	enum { NPKT = 4096 };
	struct esp_sa *out = bench_sa(k, false), *in = bench_sa(k, true);
	static uint8_t pkts[NPKT][2048], mem[4096], work[2048];
	static size_t plen[NPKT];
	double t0, t, total = 0;
	unsigned long n = 0;

	t0 = now_s();
	do {
		for (int i = 0; i < NPKT; i++) {
			struct esp_pkt pkt = {mem + 128, len, 128, 256};

			inner_packet(pkt.data, len);
			esp_encap(out, 0, &pkt);
			memcpy(pkts[i], pkt.data, pkt.len);
			plen[i] = pkt.len;
		}
		t = now_s();
		for (int i = 0; i < NPKT; i++) {
			struct esp_inner res;

			memcpy(work, pkts[i], plen[i]);
			if (esp_decap(in, 0, work, plen[i], &res) != ESP_DROP_NONE) {
				fprintf(stderr, "decap failed\n");
				exit(1);
			}
		}
		total += now_s() - t;
		n += NPKT;
	} while (now_s() - t0 < secs * 2);
	esp_sa_free(out);
	esp_sa_free(in);
	return (double)n / total;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	size_t len = argc > 2 ? (size_t)atoi(argv[2]) : 1400;
	static uint8_t mem[4096], esp[2048];

	if (len < 40 || len > 1800 || secs <= 0) {
		fprintf(stderr, "usage: esp_bench [seconds] [inner size 40..1800]\n");
		return 2;
	}
	printf("%-44s %12s %8s %12s %8s\n", "transform", "encap pkt/s", "Gbit/s", "decap pkt/s",
	       "Gbit/s");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct esp_sa *out = bench_sa(&kinds[k], false);
		size_t esp_len = 0;
		double enc = bench_encap(out, mem, len, secs, esp, &esp_len);
		double dec = bench_decap(&kinds[k], len, secs);
		char name[64];

		snprintf(name, sizeof(name), "%s/%s%s (%zu B ESP)", cfg_encr_info(kinds[k].e)->name,
		         cfg_integ_info(kinds[k].i)->name, kinds[k].esn ? " ESN" : "", esp_len);
		printf("%-44s %12.0f %8.2f %12.0f %8.2f\n", name, enc, enc * (double)len * 8 / 1e9,
		       dec, dec * (double)len * 8 / 1e9);
		esp_sa_free(out);
	}
	return 0;
}
