/* SPDX-License-Identifier: MIT */
/*
 * Manual-key SAs (eng_manual.h): parameters from `ipsec security-association` and the manual
 * tunnel that uses it, and their installation into the supervisor's store at apply time.
 */
#define LOG_SUBSYS "eng"
#include "eng_manual.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/core/clk.h"
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

/* ---- sequence state on disk --------------------------------------------------------------- */

static struct eng_seq_ent *
eng_seq_find(const struct eng_sup *sup, uint32_t spi, bool inbound)
{
	for (size_t i = 0; i < sup->nseq; i++)
		if (sup->seq[i].spi == spi && sup->seq[i].inbound == inbound)
			return &sup->seq[i];
	return NULL;
}

static int
eng_seq_set(struct eng_sup *sup, uint32_t spi, bool inbound, uint64_t value)
{
	struct eng_seq_ent *e = eng_seq_find(sup, spi, inbound), *v;
	size_t cap;

	if (e) {
		if (value > e->value)
			e->value = value;
		return 0;
	}
	if (sup->nseq == sup->capseq) {
		cap = sup->capseq ? sup->capseq * 2 : 16;
		v = realloc(sup->seq, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		sup->seq = v;
		sup->capseq = cap;
	}
	sup->seq[sup->nseq++] =
	        (struct eng_seq_ent){.spi = spi, .inbound = inbound, .value = value};
	return 0;
}

/* Writes the whole table to PATH.tmp, syncs it and renames it over PATH. */
static int
eng_seq_save(struct eng_sup *sup)
{
	char tmp[4200];
	FILE *f;
	int rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", sup->seq_path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "# tandemd: sequence state of manual-key SAs (SPI, direction, value); do not "
	           "edit\n");
	for (size_t i = 0; i < sup->nseq; i++)
		fprintf(f, "%08x %s %llu\n", sup->seq[i].spi, sup->seq[i].inbound ? "in" : "out",
		        (unsigned long long)sup->seq[i].value);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, sup->seq_path) != 0)
		rc = -errno;
	if (rc < 0)
		(void)unlink(tmp);
	return rc;
}

void
eng_manual_seq_note(struct eng_sup *sup, uint32_t spi, bool inbound, uint64_t value, bool sync)
{
	uint64_t now = clk_mono_ms();
	int rc;

	if (!sup->seq_path)
		return;
	if (eng_seq_set(sup, spi, inbound, value) < 0) {
		log_warnx("SA %08x: no memory to keep its sequence state", spi);
		return;
	}
	sup->seq_dirty = true;
	if (!sync && now - sup->seq_saved_ms < 1000)
		return;
	rc = eng_seq_save(sup);
	if (rc < 0) {
		log_err("cannot write %s: %s; after a restart of tandemd manual SAs could reuse "
		        "sequence numbers",
		        sup->seq_path, strerror(-rc));
		return;
	}
	sup->seq_saved_ms = now;
	sup->seq_dirty = false;
}

static int
eng_seq_load(struct eng_sup *sup)
{
	FILE *f = fopen(sup->seq_path, "re");
	char line[128], dir[8];
	unsigned long long v;
	unsigned spi;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%8x %7s %llu", &spi, dir, &v) != 3 ||
		    (strcmp(dir, "in") != 0 && strcmp(dir, "out") != 0)) {
			log_warnx("%s: ignoring a malformed line", sup->seq_path);
			continue;
		}
		if (eng_seq_set(sup, spi, strcmp(dir, "in") == 0, v) < 0) {
			fclose(f);
			return -ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

int
eng_sup_set_state_dir(struct eng_sup *sup, const char *dir)
{
	size_t n = strlen(dir) + sizeof("/manual-seq");
	int rc;

	eng_manual_seq_free(sup);
	sup->seq_path = malloc(n);
	if (!sup->seq_path)
		return -ENOMEM;
	snprintf(sup->seq_path, n, "%s/manual-seq", dir);
	rc = eng_seq_load(sup);
	if (rc < 0)
		log_err("cannot read %s: %s", sup->seq_path, strerror(-rc));
	else if (sup->nseq)
		log_info("%s: sequence state of %zu manual SA direction(s)", sup->seq_path,
		         sup->nseq);
	return rc;
}

void
eng_manual_seq_free(struct eng_sup *sup)
{
	if (sup->seq_path && sup->seq_dirty)
		(void)eng_seq_save(sup);
	free(sup->seq_path);
	free(sup->seq);
	sup->seq_path = NULL;
	sup->seq = NULL;
	sup->nseq = sup->capseq = 0;
}

/* Where a manual SA starts after a tandemd restart: past anything the old one may have used. */
static void
eng_manual_floor(const struct eng_sup *sup, struct esp_sa_params *p)
{
	const struct eng_seq_ent *e = eng_seq_find(sup, p->spi, p->inbound);
	uint64_t floor;

	if (!e)
		return;
	floor = p->inbound ? e->value + sup->replay_report_every : e->value;
	if (floor > p->seq_start)
		p->seq_start = floor;
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
	if (rc == 0 && !eng_store_find(sup, p.spi, inbound))
		eng_manual_floor(sup,
		                 &p); /* new to this tandemd: continue the last one's numbers */
	if (rc == 0)
		rc = eng_sa_install_as(sup, &p, true);
	if (rc == 0) {
		sa = eng_store_find(sup, p.spi, inbound);
		if (sa)
			sa->seen = true;
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
