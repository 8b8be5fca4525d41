/* SPDX-License-Identifier: MIT */
/*
 * Addresses, prefixes and IKE identities as the configuration writes them. Identities map to
 * the RFC 7296 §3.5 ID types (ID_IPV4_ADDR, ID_IPV6_ADDR, ID_FQDN, ID_RFC822_ADDR, ID_KEY_ID);
 * on-demand remote identities may be wildcards ("*", "*.example.com", "*.*.com", seed 004
 * §9.3). FQDN labels follow RFC 1035 §2.3.4 lengths.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"
#include "node/core/hex.h"

static size_t
addr_len(int family)
{
	return family == AF_INET ? 4 : (family == AF_INET6 ? 16 : 0);
}

bool
cfg_addr_parse(const char *s, struct cfg_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (strchr(s, ':') && inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		return true;
	}
	memset(out, 0, sizeof(*out));
	return false;
}

static bool
host_bits_zero(const struct cfg_prefix *p)
{
	size_t n = addr_len(p->a.family);

	for (size_t bit = p->len; bit < n * 8; bit++) {
		if (p->a.addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	}
	return true;
}

const char *
cfg_prefix_parse(const char *s, bool host_bits, struct cfg_prefix *out)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	uint64_t len;
	size_t n;

	memset(out, 0, sizeof(*out));
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(addr))
		return "is not an address";
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (!cfg_addr_parse(addr, &out->a))
		return "is not an address";
	if (!slash) {
		out->len = (uint8_t)(addr_len(out->a.family) * 8);
		return NULL;
	}
	if (!cfg_parse_u64(slash + 1, &len) || len > addr_len(out->a.family) * 8)
		return out->a.family == AF_INET ? "has a bad prefix length (expected /0 to /32)"
		                                : "has a bad prefix length (expected /0 to /128)";
	out->len = (uint8_t)len;
	if (!host_bits && !host_bits_zero(out))
		return "has host bits set beyond the prefix length";
	return NULL;
}

bool
cfg_addr_eq(const struct cfg_addr *a, const struct cfg_addr *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, addr_len(a->family)) == 0;
}

int
cfg_addr_cmp(const struct cfg_addr *a, const struct cfg_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, addr_len(a->family));
}

int
cfg_prefix_cmp(const struct cfg_prefix *a, const struct cfg_prefix *b)
{
	int c = cfg_addr_cmp(&a->a, &b->a);

	if (c)
		return c;
	return (int)a->len - (int)b->len;
}

bool
cfg_prefix_contains(const struct cfg_prefix *p, const struct cfg_addr *a)
{
	if (p->a.family != a->family)
		return false;
	for (unsigned bit = 0; bit < p->len; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		if ((p->a.addr[bit / 8] & m) != (a->addr[bit / 8] & m))
			return false;
	}
	return true;
}

bool
cfg_id_eq(const struct cfg_id *a, const struct cfg_id *b)
{
	return a->type == b->type && a->wildcard == b->wildcard && a->len == b->len &&
	       memcmp(a->data, b->data, a->len) == 0;
}

static bool
label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* RFC 1035 names: labels of 1..63 characters; leading "*" labels only as wildcards. */
static const char *
fqdn_check(const char *s, bool wildcard_ok, bool *wildcard)
{
	size_t n = strlen(s), label = 0;
	bool concrete = false, star = false;

	*wildcard = false;
	if (n == 0 || n > 253)
		return "is not a valid name (1 to 253 characters)";
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0)
				return "has an empty label";
			if (star && concrete)
				return "has '*' after a name label (expected '*.example.com' or "
				       "'*.*.com')";
			concrete = concrete || !star;
			label = 0;
			star = false;
			continue;
		}
		if (s[i] == '*' && label == 0 && (i + 1 == n || s[i + 1] == '.')) {
			if (!wildcard_ok)
				return "is a wildcard, which only an on-demand policy's 'identity "
				       "remote' may use";
			*wildcard = star = true;
			label = 1;
			continue;
		}
		if (!label_char(s[i]) || ++label > 63)
			return "is not a valid name (labels of 1 to 63 letters, digits, '-', '_')";
	}
	return concrete ? NULL : "needs at least one label after the wildcards";
}

static const char *
user_fqdn_check(const char *s)
{
	const char *at = strchr(s, '@');
	bool wildcard;

	if (!at || at == s || at - s > 64)
		return "is not an e-mail identity (expected USER@NAME)";
	for (const char *c = s; c < at; c++) {
		if (*c <= 0x20 || *c >= 0x7f || *c == '"' || *c == '\\')
			return "has a character that an e-mail identity cannot hold";
	}
	return fqdn_check(at + 1, false, &wildcard);
}

static bool
all_digits_dots(const char *s)
{
	for (; *s; s++) {
		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return false;
	}
	return true;
}

static const char *
id_text(enum cfg_id_type type, const char *v, bool wildcard_ok, struct cfg_id *out)
{
	const char *why = type == CFG_ID_FQDN ? fqdn_check(v, wildcard_ok, &out->wildcard)
	                                      : user_fqdn_check(v);

	if (why)
		return why;
	out->type = type;
	out->len = (uint16_t)strlen(v);
	memcpy(out->data, v, out->len);
	return NULL;
}

static const char *
id_unprefixed(const char *v, bool wildcard_ok, struct cfg_id *out)
{
	struct cfg_addr a;

	if (strcmp(v, "*") == 0) {
		if (!wildcard_ok)
			return "is a wildcard, which only an on-demand policy's 'identity remote' "
			       "may use";
		out->type = CFG_ID_IPV4;
		out->wildcard = true;
		return NULL;
	}
	if (cfg_addr_parse(v, &a)) {
		out->type = a.family == AF_INET ? CFG_ID_IPV4 : CFG_ID_IPV6;
		out->len = (uint16_t)addr_len(a.family);
		memcpy(out->data, a.addr, out->len);
		return NULL;
	}
	if (all_digits_dots(v))
		return "is not a valid IPv4 address";
	return id_text(strchr(v, '@') ? CFG_ID_USER_FQDN : CFG_ID_FQDN, v, wildcard_ok, out);
}

const char *
cfg_id_parse(const char *type, const char *value, bool wildcard_ok, struct cfg_id *out)
{
	int n;

	memset(out, 0, sizeof(*out));
	if (!type)
		return id_unprefixed(value, wildcard_ok, out);
	if (strcmp(type, "fqdn") == 0)
		return id_text(CFG_ID_FQDN, value, wildcard_ok, out);
	if (strcmp(type, "user-fqdn") == 0)
		return id_text(CFG_ID_USER_FQDN, value, false, out);
	n = hex_decode(value, out->data, sizeof(out->data));
	if (n <= 0) {
		memset(out, 0, sizeof(*out));
		return n == -ENOSPC ? "is too long (at most 255 bytes)"
		                    : "is not hex (expected an even number of hex digits)";
	}
	out->type = CFG_ID_KEY_ID;
	out->len = (uint16_t)n;
	return NULL;
}

void
cfg_addr_str(const struct cfg_addr *a, char *out, size_t cap)
{
	char tmp[INET6_ADDRSTRLEN];

	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    !inet_ntop(a->family, a->addr, tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "any");
	snprintf(out, cap, "%s", tmp);
}

void
cfg_prefix_str(const struct cfg_prefix *p, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (p->a.family != AF_INET && p->a.family != AF_INET6) {
		snprintf(out, cap, "any");
		return;
	}
	cfg_addr_str(&p->a, a, sizeof(a));
	snprintf(out, cap, "%s/%u", a, (unsigned)p->len);
}

void
cfg_id_str(const struct cfg_id *id, char *out, size_t cap)
{
	char hex[2 * CFG_ID_MAX + 1];
	struct cfg_addr a = {0};

	switch (id->type) {
	case CFG_ID_IPV4:
	case CFG_ID_IPV6:
		if (id->wildcard) {
			snprintf(out, cap, "*");
			return;
		}
		a.family = id->type == CFG_ID_IPV4 ? AF_INET : AF_INET6;
		memcpy(a.addr, id->data, id->len <= 16 ? id->len : 16);
		cfg_addr_str(&a, out, cap);
		return;
	case CFG_ID_FQDN:
	case CFG_ID_USER_FQDN:
		snprintf(out, cap, "%s %.*s", id->type == CFG_ID_FQDN ? "fqdn" : "user-fqdn",
		         (int)id->len, (const char *)id->data);
		return;
	case CFG_ID_KEY_ID:
		hex_encode(id->data, id->len <= CFG_ID_MAX ? id->len : CFG_ID_MAX, hex);
		snprintf(out, cap, "key-id %s", hex);
		return;
	case CFG_ID_NONE:
	default:
		if (cap)
			out[0] = '\0';
		return;
	}
}
