/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the configuration tests: the fixed test master key, reading the golden
 * files under tests/configs, parsing from a string, and looking diagnostics up by position.
 */
#ifndef TANDEM_TESTS_UNIT_CONFIG_CFG_TEST_UTIL_H
#define TANDEM_TESTS_UNIT_CONFIG_CFG_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "node/config/cfg.h"

/* Every configuration under tests/configs that loads (golden and feature files). */
extern const char *const cfgt_configs[];
extern const size_t cfgt_nconfigs;

/* The mask keys of the fixed test master key (32 bytes of 0x42). */
const struct cfg_mask_key *cfgt_mk(void);
/* Another master key, for "masked with another key" tests. */
const struct cfg_mask_key *cfgt_mk_other(void);
/* Reads TANDEM_SOURCE_DIR/rel into a NUL-terminated heap string (fails the test if absent). */
char *cfgt_read(const char *rel, size_t *len);
/* Parses text as "test.conf" with cfgt_mk(). */
int cfgt_parse(const char *text, struct cfg **out, struct cfg_diags *d);
/* Parses a file of tests/configs with cfgt_mk(). */
int cfgt_load(const char *rel, struct cfg **out, struct cfg_diags *d);
/* The diagnostics as text ("test.conf:1:2: error: …\n"…), heap string. */
char *cfgt_diags_text(const struct cfg_diags *d);
/* The first diagnostic of severity sev at line:col whose message contains phrase, or NULL. */
const struct cfg_diag *cfgt_find(const struct cfg_diags *d, enum cfg_diag_sev sev, unsigned line,
                                 unsigned col, const char *phrase);
/* How many diagnostics of severity sev contain phrase. */
unsigned cfgt_count(const struct cfg_diags *d, enum cfg_diag_sev sev, const char *phrase);
/* cfg_print into a heap string (fails the test on error). */
char *cfgt_print(const struct cfg *cfg, const struct cfg_mask_key *mk, enum cfg_print_mode mode);

#endif
