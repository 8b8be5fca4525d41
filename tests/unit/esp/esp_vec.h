/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the ESP tests: reading the published vectors of tests/vectors/esp (a
 * "[name]" then "field = hex" format), making SA parameters, and building inner packets.
 */
#ifndef TANDEM_TESTS_UNIT_ESP_ESP_VEC_H
#define TANDEM_TESTS_UNIT_ESP_ESP_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/esp/esp_params.h"
#include "node/esp/esp_sa.h"

#define VEC_MAX 1024

struct vec_field {
	char name[32];
	char text[64]; /* the value as written, for non-hex fields (alg = ...) */
	uint8_t b[VEC_MAX];
	size_t len;
};

struct vec {
	struct vec_field f[12];
	unsigned n;
};

/* Loads vector [name] of tests/vectors/esp/<file>; fails the test if absent. */
void vec_load(const char *file, const char *name, struct vec *v);
/* A field of a loaded vector; fails the test if absent. */
const struct vec_field *vec_get(const struct vec *v, const char *field);
uint32_t vec_u32(const struct vec *v, const char *field);

/* SA parameters with the given algorithms and deterministic keys (or the given ones). */
void vec_params(struct esp_sa_params *p, bool inbound, enum cfg_encr e, enum cfg_integ i,
                const uint8_t *ekey, const uint8_t *ikey);
/* esp_sa_new with one slot and defaults; fails the test on error. */
struct esp_sa *vec_sa(const struct esp_sa_params *p);

/* Writes an IPv4 UDP packet of total length len (>= 28) from 10.1.0.1 to 10.2.0.1. */
void vec_ip4_udp(uint8_t *p, size_t len, uint16_t sport, uint16_t dport);
/* Writes an IPv6 UDP packet of total length len (>= 48) from fd00:1::1 to fd00:2::1. */
void vec_ip6_udp(uint8_t *p, size_t len, uint16_t sport, uint16_t dport);

/* A packet buffer with room on both sides. */
struct vec_buf {
	uint8_t mem[128 + 66000 + 128];
	struct esp_pkt pkt;
};
void vec_buf_set(struct vec_buf *b, const uint8_t *p, size_t len);

#endif
