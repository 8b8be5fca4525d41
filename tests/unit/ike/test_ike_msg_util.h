/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the IKEv2 codec's unit tests: loading the golden packets of
 * tests/vectors/ike and asserting that a parse ended cleanly (0 with IKE_REJ_NONE, or
 * -EBADMSG with a reason whose text formats).
 */
#ifndef TANDEM_TESTS_UNIT_IKE_TEST_IKE_MSG_UTIL_H
#define TANDEM_TESTS_UNIT_IKE_TEST_IKE_MSG_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "node/ike/ike_msg.h"

#define IKET_MAX_FILE 4096

/* The golden files, in capture order (tests/vectors/ike/README.md). */
extern const char *const iket_vectors[];
extern const size_t iket_nvectors;

/* Reads tests/vectors/ike/<name> into buf (IKET_MAX_FILE bytes); fails the test if absent. */
size_t iket_load(const char *name, uint8_t *buf);
/* Checks rc/err of a parse: consistent, reason in range, formatted text non-empty. */
void iket_check_clean(int rc, const struct ike_perr *err);

#endif
