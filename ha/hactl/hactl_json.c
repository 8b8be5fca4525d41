/* SPDX-License-Identifier: MIT */
/* Descriptor-driven protobuf-c to JSON rendering (stable keys, pretty-printed). */
#include "hactl_json.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

void
hactl_json_string(struct buf *out, const char *s)
{
	buf_put_u8(out, '"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"':
			buf_put_str(out, "\\\"");
			break;
		case '\\':
			buf_put_str(out, "\\\\");
			break;
		case '\n':
			buf_put_str(out, "\\n");
			break;
		case '\t':
			buf_put_str(out, "\\t");
			break;
		case '\r':
			buf_put_str(out, "\\r");
			break;
		default:
			if (*p < 0x20)
				buf_printf(out, "\\u%04x", *p);
			else
				buf_put_u8(out, *p);
		}
	}
	buf_put_u8(out, '"');
}

static void
hactl_json_indent(struct buf *out, int n)
{
	for (int i = 0; i < n; i++)
		buf_put_str(out, "  ");
}

static void
hactl_json_enum(struct buf *out, const ProtobufCEnumDescriptor *ed, int v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);

	if (ev)
		hactl_json_string(out, ev->name);
	else
		buf_printf(out, "%d", v);
}

/* One scalar or message value at p (which points at the value, not at a pointer to it). */
static void
hactl_json_value(struct buf *out, const ProtobufCFieldDescriptor *f, const void *p, int indent)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		buf_printf(out, "%" PRId32, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		buf_printf(out, "%" PRIu32, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		buf_printf(out, "%" PRId64, *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		buf_printf(out, "%" PRIu64, *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		buf_printf(out, "%g", (double)*(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		buf_printf(out, "%g", *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		buf_put_str(out, *(const protobuf_c_boolean *)p ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM:
		hactl_json_enum(out, f->descriptor, *(const int *)p);
		break;
	case PROTOBUF_C_TYPE_STRING:
		hactl_json_string(out, *(char *const *)p);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;

		buf_put_u8(out, '"');
		for (size_t i = 0; i < b->len; i++)
			buf_printf(out, "%02x", b->data[i]);
		buf_put_u8(out, '"');
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;

		if (sub)
			hactl_json_message(out, sub, indent);
		else
			buf_put_str(out, "null");
		break;
	}
	}
}

static size_t
hactl_json_elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	}
	return 4;
}

static void
hactl_json_repeated(struct buf *out, const ProtobufCFieldDescriptor *f, const uint8_t *base,
                    int indent)
{
	size_t n = *(const size_t *)(base + f->quantifier_offset);
	const uint8_t *arr = *(const uint8_t *const *)(base + f->offset);
	size_t sz = hactl_json_elem_size(f->type);

	buf_put_u8(out, '[');
	for (size_t i = 0; i < n; i++) {
		buf_put_str(out, i ? ",\n" : "\n");
		hactl_json_indent(out, indent + 1);
		hactl_json_value(out, f, arr + i * sz, indent + 1);
	}
	if (n) {
		buf_put_u8(out, '\n');
		hactl_json_indent(out, indent);
	}
	buf_put_u8(out, ']');
}

/* Whether an optional field is set; for unset scalars the default (zero) is printed. */
static bool
hactl_json_field_present(const ProtobufCFieldDescriptor *f, const uint8_t *base)
{
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	return true;
}

void
hactl_json_message(struct buf *out, const ProtobufCMessage *m, int indent)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const uint8_t *base = (const uint8_t *)m;
	bool first = true;

	buf_put_u8(out, '{');
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (!hactl_json_field_present(f, base))
			continue;
		buf_put_str(out, first ? "\n" : ",\n");
		first = false;
		hactl_json_indent(out, indent + 1);
		hactl_json_string(out, f->name);
		buf_put_str(out, ": ");
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			hactl_json_repeated(out, f, base, indent + 1);
		else
			hactl_json_value(out, f, base + f->offset, indent + 1);
	}
	if (!first) {
		buf_put_u8(out, '\n');
		hactl_json_indent(out, indent);
	}
	buf_put_u8(out, '}');
}
