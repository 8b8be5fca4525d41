/* SPDX-License-Identifier: MIT */
/*
 * Renders any protobuf-c message as JSON by walking its descriptor: keys are the .proto
 * field names, every non-oneof field is always present (defaults when unset, null for an
 * absent message), enums are their value names, bytes are hex. The .proto is therefore the
 * documentation of hactl --json (docs/hactl.md).
 */
#ifndef TANDEM_HA_HACTL_HACTL_JSON_H
#define TANDEM_HA_HACTL_HACTL_JSON_H

#include <protobuf-c/protobuf-c.h>

#include "node/core/buf.h"

void hactl_json_message(struct buf *out, const ProtobufCMessage *m, int indent);
/* A JSON string literal with escapes. */
void hactl_json_string(struct buf *out, const char *s);

#endif
