/* SPDX-License-Identifier: MIT */
/* Hexadecimal encoding for configuration values and displays. */
#ifndef TANDEM_NODE_CORE_HEX_H
#define TANDEM_NODE_CORE_HEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes an even number of hex digits (an optional "0x"/"0X" prefix is skipped) into out,
 * which has room for cap bytes. Returns the number of bytes written, -EINVAL for a non-hex
 * digit or an odd count, -ENOSPC when out is too small.
 */
int hex_decode(const char *s, uint8_t *out, size_t cap);
/* Writes 2*len lower-case digits and a terminator into out (room for 2*len+1). */
void hex_encode(const uint8_t *p, size_t len, char *out);

#endif
