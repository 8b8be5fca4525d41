/* SPDX-License-Identifier: MIT */
/*
 * Traffic selectors (RFC 7296 §2.9, §3.13): ours from a tunnel seq entry's access-group ACL
 * (seed 004 §8.4: source = local side, destination = remote side; no ACL = all traffic),
 * conversion to and from TS payloads, the responder's narrowing (intersection of what the
 * initiator proposed and what we allow) and the initiator's check that the answer stays
 * within what it proposed.
 */
#define LOG_SUBSYS "ike"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

static size_t
fam_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* A prefix (or "any" of a family) as an address range. */
static void
prefix_range(const struct cfg_prefix *p, int family, uint8_t start[16], uint8_t end[16])
{
	size_t n = fam_len(family);
	unsigned len = p->a.family == family ? p->len : 0;

	memset(start, 0, 16);
	memset(end, 0, 16);
	for (size_t i = 0; i < n; i++) {
		unsigned bits = len >= (i + 1) * 8 ? 8 : (len > i * 8 ? len - (unsigned)i * 8 : 0);
		uint8_t mask = (uint8_t)(bits ? 0xff << (8 - bits) : 0);
		uint8_t a = p->a.family == family ? p->a.addr[i] : 0;

		start[i] = a & mask;
		end[i] = (uint8_t)(a | ~mask);
	}
}

static bool
ts_eq(const struct esp_ts *a, const struct esp_ts *b)
{
	return a->family == b->family && a->proto == b->proto && a->sport == b->sport &&
	       a->eport == b->eport && memcmp(a->start, b->start, 16) == 0 &&
	       memcmp(a->end, b->end, 16) == 0;
}

/* Adds ts unless it is there; false when the set is full. */
static bool
tsl_add(struct ike_tsl *l, const struct esp_ts *ts)
{
	for (size_t i = 0; i < l->n; i++)
		if (ts_eq(&l->ts[i], ts))
			return true;
	if (l->n >= ESP_MAX_TS)
		return false;
	l->ts[l->n++] = *ts;
	return true;
}

static bool
has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

static void
rule_side(const struct cfg_acl_rule *r, const struct cfg_prefix *p,
          const struct cfg_port_range *ports, int family, struct esp_ts *out)
{
	memset(out, 0, sizeof(*out));
	out->family = family;
	prefix_range(p, family, out->start, out->end);
	out->proto = r->proto;
	if (has_ports(r->proto)) {
		out->sport = ports->lo;
		out->eport = ports->hi;
	} else {
		out->sport = 0;
		out->eport = 65535;
	}
}

void
ike_ts_config(const struct cfg_tunnel_seq *seq, struct ike_tsl *local, struct ike_tsl *remote)
{
	static const struct cfg_acl_rule any = {.sport = {0, 65535}, .dport = {0, 65535}};
	const struct cfg_acl_rule *rules = &any;
	unsigned nrules = 1;
	bool cut = false;

	local->n = remote->n = 0;
	if (seq && seq->acl && seq->acl->nrules) {
		rules = seq->acl->rules;
		nrules = seq->acl->nrules;
	}
	for (unsigned i = 0; i < nrules; i++) {
		const struct cfg_acl_rule *r = &rules[i];
		int fam = r->src.a.family ? r->src.a.family : r->dst.a.family;
		int fams[2] = {fam, 0};

		if (!fam) {
			fams[0] = AF_INET;
			fams[1] = AF_INET6;
		}
		for (int f = 0; f < 2 && fams[f]; f++) {
			struct esp_ts l, rm;

			rule_side(r, &r->src, &r->sport, fams[f], &l);
			rule_side(r, &r->dst, &r->dport, fams[f], &rm);
			cut |= !tsl_add(local, &l);
			cut |= !tsl_add(remote, &rm);
		}
	}
	if (cut)
		log_warnx("access-list %s: more than %d distinct selectors per side; the rest are "
		          "not negotiated",
		          seq->acl->name, ESP_MAX_TS);
}

bool
ike_ts_from_pld(const struct ike_pld_ts *p, struct ike_tsl *out)
{
	out->n = 0;
	if (p->n > ESP_MAX_TS)
		return false;
	for (size_t i = 0; i < p->n; i++) {
		const struct ike_ts *t = &p->ts[i];
		struct esp_ts *o = &out->ts[out->n];

		memset(o, 0, sizeof(*o));
		if (t->type == IKE_TS_IPV4_ADDR_RANGE)
			o->family = AF_INET;
		else if (t->type == IKE_TS_IPV6_ADDR_RANGE)
			o->family = AF_INET6;
		else
			return false;
		memcpy(o->start, t->start, fam_len(o->family));
		memcpy(o->end, t->end, fam_len(o->family));
		o->proto = t->proto;
		o->sport = t->sport;
		o->eport = t->eport;
		out->n++;
	}
	return true;
}

void
ike_ts_to_pld(const struct ike_tsl *l, struct ike_ts *out, uint8_t *n)
{
	*n = 0;
	for (size_t i = 0; i < l->n && i < IKE_MAX_TS; i++) {
		const struct esp_ts *t = &l->ts[i];
		struct ike_ts *o = &out[(*n)++];

		memset(o, 0, sizeof(*o));
		o->type = t->family == AF_INET6 ? IKE_TS_IPV6_ADDR_RANGE : IKE_TS_IPV4_ADDR_RANGE;
		o->proto = t->proto;
		o->sport = t->sport;
		o->eport = t->eport;
		memcpy(o->start, t->start, fam_len(t->family));
		memcpy(o->end, t->end, fam_len(t->family));
	}
}

static int
acmp(const uint8_t *a, const uint8_t *b, int family)
{
	return memcmp(a, b, fam_len(family));
}

/* a ∩ b into out; false when empty. */
static bool
ts_meet(const struct esp_ts *a, const struct esp_ts *b, struct esp_ts *out)
{
	if (a->family != b->family)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	memset(out, 0, sizeof(*out));
	out->family = a->family;
	out->proto = a->proto ? a->proto : b->proto;
	memcpy(out->start, acmp(a->start, b->start, a->family) > 0 ? a->start : b->start, 16);
	memcpy(out->end, acmp(a->end, b->end, a->family) < 0 ? a->end : b->end, 16);
	if (acmp(out->start, out->end, out->family) > 0)
		return false;
	out->sport = a->sport > b->sport ? a->sport : b->sport;
	out->eport = a->eport < b->eport ? a->eport : b->eport;
	return out->sport <= out->eport;
}

void
ike_ts_narrow(const struct ike_tsl *offer, const struct ike_tsl *ours, struct ike_tsl *out)
{
	out->n = 0;
	for (size_t i = 0; i < offer->n; i++) {
		for (size_t j = 0; j < ours->n; j++) {
			struct esp_ts m;

			if (ts_meet(&offer->ts[i], &ours->ts[j], &m))
				(void)tsl_add(out, &m); /* full: the rest is narrowed away */
		}
	}
}

static bool
ts_within(const struct esp_ts *a, const struct esp_ts *b)
{
	return a->family == b->family && (b->proto == 0 || b->proto == a->proto) &&
	       acmp(a->start, b->start, a->family) >= 0 && acmp(a->end, b->end, a->family) <= 0 &&
	       a->sport >= b->sport && a->eport <= b->eport;
}

bool
ike_ts_subset(const struct ike_tsl *sub, const struct ike_tsl *sup)
{
	for (size_t i = 0; i < sub->n; i++) {
		bool in = false;

		for (size_t j = 0; j < sup->n && !in; j++)
			in = ts_within(&sub->ts[i], &sup->ts[j]);
		if (!in)
			return false;
	}
	return true;
}

/* The prefix length if [start, end] is a prefix, else -1. */
static int
range_prefix(const struct esp_ts *t)
{
	size_t n = fam_len(t->family);
	int len = 0;
	bool host = false;

	for (size_t i = 0; i < n; i++) {
		for (int b = 7; b >= 0; b--) {
			int s = (t->start[i] >> b) & 1, e = (t->end[i] >> b) & 1;

			if (!host && s == e) {
				len++;
				continue;
			}
			if (!host && s == 0 && e == 1) {
				host = true;
				continue;
			}
			if (host && s == 0 && e == 1)
				continue;
			return -1;
		}
	}
	return len;
}

static void
ts_str(const struct esp_ts *t, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int plen = range_prefix(t);
	size_t n;

	if (!inet_ntop(t->family, t->start, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (!inet_ntop(t->family, t->end, b, sizeof(b)))
		snprintf(b, sizeof(b), "?");
	if (plen >= 0)
		snprintf(out, cap, "%s/%d", a, plen);
	else
		snprintf(out, cap, "%s-%s", a, b);
	n = strlen(out);
	if (t->proto && n < cap)
		snprintf(out + n, cap - n, " proto %u", (unsigned)t->proto);
	n = strlen(out);
	if ((t->sport != 0 || t->eport != 65535) && n < cap) {
		if (t->sport == t->eport)
			snprintf(out + n, cap - n, " port %u", (unsigned)t->sport);
		else
			snprintf(out + n, cap - n, " ports %u-%u", (unsigned)t->sport,
			         (unsigned)t->eport);
	}
}

void
ike_ts_str(const struct ike_tsl *l, char *out, size_t cap)
{
	char one[128];

	if (cap == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(out);

		ts_str(&l->ts[i], one, sizeof(one));
		if (n + 1 < cap)
			snprintf(out + n, cap - n, "%s%s", i ? ", " : "", one);
	}
	if (l->n == 0)
		snprintf(out, cap, "none");
}
