/* SPDX-License-Identifier: MIT */
/*
 * Manual-key SAs (eng_manual.h): parameters from `ipsec security-association` and the manual
 * tunnel that uses it, and their installation into the supervisor's store at apply time.
 */
#define LOG_SUBSYS "eng"
#include "eng_manual.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "node/core/log.h"
#include "node/eng/eng_int.h"

uint64_t
eng_manual_child_id(const struct cfg_tunnel *t, const struct cfg_tunnel_seq *s)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a, 64 bits */
	char key[CFG_NAME_MAX + 32];

	snprintf(key, sizeof(key), "manual/%s/%u", t->name, s->seq);
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h | (1ull << 63); /* apart from the small numbers IKE gives its Child SAs */
}

/* An address range from a prefix: start = network, end = broadcast-like last address. */
static void
eng_ts_from_prefix(const struct cfg_prefix *p, struct esp_ts *ts)
{
	size_t alen = p->a.family == AF_INET ? 4 : 16;

	ts->family = p->a.family;
	memcpy(ts->start, p->a.addr, alen);
	memcpy(ts->end, p->a.addr, alen);
	for (size_t i = 0; i < alen; i++) {
		unsigned bits = p->len > i * 8 ? p->len - (unsigned)i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);

		ts->start[i] &= mask;
		ts->end[i] |= (uint8_t)~mask;
	}
}

static void
eng_ts_any(int family, struct esp_ts *ts)
{
	struct cfg_prefix any = {.a.family = family, .len = 0};

	eng_ts_from_prefix(&any, ts);
}

/* One side (local = src, remote = dst of the rule) into ts[], returning the count. */
static uint8_t
eng_ts_side(const struct cfg_prefix *side, const struct cfg_prefix *other, uint8_t proto,
            const struct cfg_port_range *ports, struct esp_ts *ts)
{
	uint8_t n = 0;

	if (side->a.family) {
		eng_ts_from_prefix(side, &ts[n++]);
	} else if (other->a.family) {
		eng_ts_any(other->a.family, &ts[n++]);
	} else {
		eng_ts_any(AF_INET, &ts[n++]);
		eng_ts_any(AF_INET6, &ts[n++]);
	}
	for (uint8_t i = 0; i < n; i++) {
		ts[i].proto = proto;
		ts[i].sport = ports->lo;
		ts[i].eport = ports->hi;
	}
	return n;
}

static void
eng_manual_ts(const struct cfg_tunnel_seq *s, struct esp_sa_params *p)
{
	static const struct cfg_acl_rule any = {.sport = {0, 65535}, .dport = {0, 65535}};
	const struct cfg_acl_rule *r = s->acl && s->acl->nrules ? &s->acl->rules[0] : &any;

	p->nts_local = eng_ts_side(&r->src, &r->dst, r->proto, &r->sport, p->ts_local);
	p->nts_remote = eng_ts_side(&r->dst, &r->src, r->proto, &r->dport, p->ts_remote);
}

int
eng_manual_params(const struct cfg_tunnel *t, const struct cfg_tunnel_seq *s, bool inbound,
                  struct esp_sa_params *p)
{
	const struct cfg_ipsec_sa *sa = s->sa;
	const struct cfg_sa_dir *d;
	size_t alen = t->local.family == AF_INET ? 4 : 16;

	memset(p, 0, sizeof(*p));
	if (t->kind != CFG_TUNNEL_MANUAL || !sa)
		return -EINVAL;
	d = inbound ? &sa->in : &sa->out;
	if (sa->ipcomp || d->ah || !d->esp)
		return -ENOTSUP;
	if (!d->set || d->esp_spi == 0 || t->local.family != t->remote.family ||
	    (t->local.family != AF_INET && t->local.family != AF_INET6))
		return -EINVAL;
	p->spi = d->esp_spi;
	p->inbound = inbound;
	p->child_id = eng_manual_child_id(t, s);
	snprintf(p->tunnel, sizeof(p->tunnel), "%s", t->name);
	p->encr = d->esp_encr;
	p->integ = d->esp_integ;
	if (secret_copy(&p->enc_key, &d->esp_encr_key) < 0 ||
	    secret_copy(&p->integ_key, &d->esp_integ_key) < 0) {
		eng_manual_params_clear(p);
		return -ENOMEM;
	}
	p->replay_window = sa->replay_window;
	p->family = t->local.family;
	memcpy(p->local, t->local.addr, alen);
	memcpy(p->remote, t->remote.addr, alen);
	p->udp_encap = true;
	p->local_port = p->remote_port = ENG_NATT_PORT;
	eng_manual_ts(s, p);
	p->df_bit = t->df_bit;
	p->mtu = (uint16_t)t->mtu;
	p->seq_start = inbound ? 0 : 1;
	return 0;
}

void
eng_manual_params_clear(struct esp_sa_params *p)
{
	secret_clear(&p->enc_key);
	secret_clear(&p->integ_key);
}

/* Installs one direction; marks the stored SA as manual and seen. Returns 0 or -errno. */
static int
eng_manual_install(struct eng_sup *sup, const struct cfg_tunnel *t, const struct cfg_tunnel_seq *s,
                   bool inbound)
{
	struct esp_sa_params p;
	struct eng_sa *sa;
	int rc = eng_manual_params(t, s, inbound, &p);

	if (rc == -ENOTSUP) {
		log_warnx("tunnel %s seq %u: security-association %s uses AH or IP compression, "
		          "which the data plane does not do: not installed",
		          t->name, s->seq, s->sa_name);
		return rc;
	}
	if (rc == 0)
		rc = eng_sa_install(sup, &p);
	if (rc == 0) {
		sa = eng_store_find(sup, p.spi, inbound);
		if (sa) {
			sa->manual = true;
			sa->seen = true;
		}
	} else {
		log_err("tunnel %s seq %u: cannot install security-association %s %s: %s", t->name,
		        s->seq, s->sa_name, inbound ? "in" : "out", strerror(-rc));
	}
	eng_manual_params_clear(&p);
	return rc;
}

int
eng_manual_apply(struct eng_sup *sup, const struct cfg *cfg)
{
	const struct cfg_tunnel *t;
	struct eng_sa *sa, *san;
	int failed = 0;

	TAILQ_FOREACH(sa, &sup->sas, entry)
	sa->seen = false;
	TAILQ_FOREACH(t, &cfg->tunnels, entry)
	{
		if (t->kind != CFG_TUNNEL_MANUAL || t->shutdown || !eng_tunnel_find(sup, t->name))
			continue;
		for (unsigned i = 0; i < t->nseqs; i++) {
			if (!t->seqs[i].sa)
				continue;
			failed += eng_manual_install(sup, t, &t->seqs[i], false) < 0;
			failed += eng_manual_install(sup, t, &t->seqs[i], true) < 0;
		}
	}
	TAILQ_FOREACH_SAFE(sa, &sup->sas, entry, san)
	{
		if (!sa->manual || sa->seen)
			continue;
		log_info("SA %08x %s of tunnel %s: no longer configured, deleted", sa->p.spi,
		         sa->p.inbound ? "in" : "out", sa->p.tunnel);
		(void)eng_sa_delete(sup, sa->p.spi, sa->p.inbound);
	}
	return failed;
}
