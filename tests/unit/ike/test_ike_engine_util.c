/* SPDX-License-Identifier: MIT */
/* The in-process world of the IKEv2 engine tests (see test_ike_engine_util.h). */
#include "test_ike_engine_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "node/core/log.h"
#include "node/ike/ike_engine_int.h"

/*
 * The engine's indexes and counts against a recount, and no SA or tunnel waiting for a later
 * time than its state asks for (ike_engine_selfcheck): after every engine call of a world.
 */
static void
w_check(struct world *w, const struct w_node *n)
{
	char why[512];

	if (w->lean || !n->e)
		return;
	if (!ike_engine_selfcheck(n->e, why, sizeof(why)))
		fail_msg("node %s at %llu: %s", n->name, (unsigned long long)w->now, why);
}

/* ---- mock io ------------------------------------------------------------------------------ */

static struct w_node *
node_of(struct world *w, const struct sockaddr_storage *a)
{
	uint8_t x[16], y[16];

	for (int i = 0; i < w->nn; i++) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)a;
		const struct sockaddr_in *me =
		        (const struct sockaddr_in *)(const void *)&w->n[i].addr;

		memcpy(x, &in->sin_addr, 4);
		memcpy(y, &me->sin_addr, 4);
		if (!w->n[i].dead && memcmp(x, y, 4) == 0)
			return &w->n[i];
	}
	return NULL;
}

/* Doubles the ring, keeping the order of what is queued. */
static void
q_grow(struct world *w)
{
	size_t cap = w->qcap ? 2 * w->qcap : W_MAX_Q;
	struct w_dgram *q = calloc(cap, sizeof(*q));

	assert_non_null(q);
	for (size_t i = 0; i < w->nq; i++)
		q[i] = w->q[(w->qh + i) % w->qcap];
	free(w->q);
	w->q = q;
	w->qh = 0;
	w->qcap = cap;
}

static void
io_send(void *arg, const struct sockaddr_storage *local, const struct sockaddr_storage *remote,
        const uint8_t *p, size_t len, uint64_t commit)
{
	struct w_node *n = arg;
	struct world *w = n->w;
	struct w_dgram *d;

	n->sends++;
	/* sync-before-send: the change this datagram goes with was reported before */
	if (commit > n->max_commit)
		n->order_violation = true;
	if (!w->lean && w->nhist < W_MAX_HIST) {
		d = &w->hist[w->nhist++];
		memset(d, 0, sizeof(*d));
		d->from = n->idx;
		d->local = *local;
		d->remote = *remote;
		d->p = malloc(len);
		assert_non_null(d->p);
		memcpy(d->p, p, len);
		d->len = len;
		d->commit = commit;
		d->t = w->now;
	}
	if (!w->lean)
		assert_true(w->nq < W_MAX_Q);
	if (w->nq == w->qcap)
		q_grow(w);
	d = &w->q[(w->qh + w->nq++) % w->qcap];
	memset(d, 0, sizeof(*d));
	d->from = n->idx;
	d->local = *local;
	d->remote = *remote;
	d->p = malloc(len);
	assert_non_null(d->p);
	memcpy(d->p, p, len);
	d->len = len;
	d->commit = commit;
}

/* xorshift64*: deterministic, different per node */
static void
io_random(void *arg, uint8_t *p, size_t len)
{
	struct w_node *n = arg;

	for (size_t i = 0; i < len; i++) {
		n->rng ^= n->rng >> 12;
		n->rng ^= n->rng << 25;
		n->rng ^= n->rng >> 27;
		p[i] = (uint8_t)((n->rng * 0x2545F4914F6CDD1DULL) >> 56);
	}
}

static int
io_sa_install(void *arg, const struct esp_sa_params *p)
{
	struct w_node *n = arg;
	struct w_install *in;

	if (n->install_fail) {
		n->install_fail--;
		return -EIO;
	}
	n->installs++;
	if (n->w->lean)
		return 0;
	/* one direction of one SPI is live at a time */
	for (size_t i = 0; i < n->ninst; i++)
		if (!n->inst[i].deleted && n->inst[i].p.spi == p->spi &&
		    n->inst[i].p.inbound == p->inbound)
			fail_msg("node %s installs SPI %08x %s twice", n->name, (unsigned)p->spi,
			         p->inbound ? "in" : "out");
	assert_true(n->ninst < W_MAX_INST);
	in = &n->inst[n->ninst++];
	memset(in, 0, sizeof(*in));
	assert_int_equal(esp_sa_params_copy(&in->p, p), 0);
	return 0;
}

static void
io_sa_delete(void *arg, uint32_t spi, bool inbound)
{
	struct w_node *n = arg;

	n->deletes++;
	for (size_t i = 0; i < n->ninst; i++)
		if (!n->inst[i].deleted && n->inst[i].p.spi == spi &&
		    n->inst[i].p.inbound == inbound)
			n->inst[i].deleted = true;
}

static void
obs_changed(void *arg, const struct ike_sa_state *st, enum ike_change what, uint64_t commit)
{
	struct w_node *n = arg;
	size_t i;

	/* commit numbers rise by one per change */
	assert_int_equal(commit, n->max_commit + 1);
	n->max_commit = commit;
	if ((unsigned)what < 16)
		n->nchanges[what]++;
	if (n->w->lean)
		return;
	for (i = 0; i < n->nstates; i++)
		if (n->states[i].spi_i == st->spi_i && n->states[i].spi_r == st->spi_r)
			break;
	if (what == IKE_CH_DELETED) {
		if (i < n->nstates) {
			ike_sa_state_clear(&n->states[i]);
			n->states[i] = n->states[n->nstates - 1];
			memset(&n->states[n->nstates - 1], 0, sizeof(n->states[0]));
			n->nstates--;
		}
		return;
	}
	if (i == n->nstates) {
		assert_true(n->nstates < W_MAX_STATES);
		n->nstates++;
	} else {
		ike_sa_state_clear(&n->states[i]);
	}
	assert_int_equal(ike_sa_state_copy(&n->states[i], st), 0);
}

static void
obs_tunnel(void *arg, const char *tunnel, bool up, const char *reason)
{
	struct w_node *n = arg;

	(void)tunnel;
	if (up)
		n->up_events++;
	else
		n->down_events++;
	snprintf(n->last_reason, sizeof(n->last_reason), "%s", reason ? reason : "");
}

static const struct ike_io w_io = {io_send, io_random, io_sa_install, io_sa_delete};
static const struct ike_observer w_obs = {obs_changed, obs_tunnel};

const struct ike_io *
w_io_of(void)
{
	return &w_io;
}

const struct ike_observer *
w_obs_of(void)
{
	return &w_obs;
}

/* ---- logs ---------------------------------------------------------------------------------- */

static void
w_sink(enum log_level lvl, const char *subsys, const char *msg, void *arg)
{
	struct world *w = arg;

	(void)lvl;
	(void)subsys;
	if (w->nlogs < W_MAX_LOGS)
		snprintf(w->logs[w->nlogs++], W_LOG_LEN, "%s", msg);
	if (getenv("W_LOG"))
		fprintf(stderr, "[%llu] %s\n", (unsigned long long)w->now, msg);
}

bool
w_log_has(const struct world *w, const char *text)
{
	for (size_t i = 0; i < w->nlogs; i++)
		if (strstr(w->logs[i], text))
			return true;
	return false;
}

void
w_log_clear(struct world *w)
{
	w->nlogs = 0;
}

/* ---- configuration ------------------------------------------------------------------------- */

#define DEF_IKE                                                                        \
	"  encryption algorithm aes-128-gcm\n  pseudo-random-function hmac-sha2-256\n" \
	"  dh-group 19\n"
#define DEF_ESP "  esp encryption aes-128-gcm\n"

static void
acl_text(char *out, size_t cap, const char *name, const char *rules)
{
	if (!rules) {
		out[0] = '\0';
		return;
	}
	snprintf(out, cap, "  ipsec access-list %s\n%s\n", name, rules);
}

static char *
conf_text(int node, const struct w_conf *c)
{
	static const struct w_conf none;
	const char *me = node == 1 ? W_ADDR_B : W_ADDR_A;
	const char *peer = node == 1 ? W_ADDR_A : W_ADDR_B;
	char pfs[64] = "", acl1[1024], acl2[1024], idl[128] = "", idr[128] = "", tun[2048];
	char seq1[128], seq2[128] = "", ike2[1024] = "", ike2ref[64] = "", mt[64] = "";
	char *out = malloc(16384);

	assert_non_null(out);
	if (!c)
		c = &none;
	if (c->pfs)
		snprintf(pfs, sizeof(pfs), "  perfect-forward-secrecy dh-group %u\n", c->pfs);
	acl_text(acl1, sizeof(acl1), "acl1", c->acl);
	acl_text(acl2, sizeof(acl2), "acl2", c->acl2);
	if (c->id_local)
		snprintf(idl, sizeof(idl), "    identity local %s\n", c->id_local);
	if (c->id_remote)
		snprintf(idr, sizeof(idr), "    identity remote %s\n", c->id_remote);
	if (c->ike2) {
		snprintf(ike2, sizeof(ike2), "ike2 proposal p2\n%s\n", c->ike2);
		snprintf(ike2ref, sizeof(ike2ref), "    seq 2 proposal p2\n");
	}
	snprintf(seq1, sizeof(seq1), "  seq 1 ipsec-policy pol%s\n",
	         c->acl ? " access-group acl1" : "");
	if (c->two_seqs)
		snprintf(seq2, sizeof(seq2), "  seq 2 ipsec-policy pol%s\n",
		         c->acl2 ? " access-group acl2" : "");
	if (c->max_tunnels)
		snprintf(mt, sizeof(mt), "  max-tunnels %u\n", c->max_tunnels);
	if (c->on_demand)
		snprintf(tun, sizeof(tun),
		         "context local\n  ipsec profile " W_TUNNEL "\n  %s  %s"
		         "tunnel ipsec " W_TUNNEL " on-demand\n"
		         "  peer-end-point local %s\n  bind interface mb\n  ike-policy peer\n%s%s",
		         seq1, seq2, me, mt, c->shutdown ? "  shutdown\n" : "");
	else
		snprintf(tun, sizeof(tun),
		         "tunnel ipsec " W_TUNNEL "\n  peer-end-point local %s remote %s\n"
		         "  bind interface t1\n  remote-id %s\n  ike-policy peer\n%s%s%s",
		         me, peer, c->remote_id ? c->remote_id : peer, seq1, seq2,
		         c->shutdown ? "  shutdown\n" : "");
	snprintf(out, 16384,
	         "ike2 proposal p1\n%s\n%s"
	         "ipsec proposal e1\n%s%s\n"
	         "ipsec policy pol\n%s  seq 1 proposal e1\n"
	         "context local\n"
	         "  interface lo loopback\n    ip address %s/32\n"
	         "  interface t1 ipsec\n    ip address 10.0.0.%d/30\n"
	         "  interface mb ipsec multibind\n    ip unnumbered lo\n"
	         "%s\n"
	         "  ike2 policy peer\n    pre-shared-key %s\n%s%s%s%s%s%s    seq 1 proposal p1\n%s"
	         "%s%s"
	         "%s"
	         "%s\n",
	         c->ike ? c->ike : DEF_IKE, ike2, c->esp ? c->esp : DEF_ESP,
	         c->esp_life ? c->esp_life : "", pfs, me, node == 1 ? 2 : 1,
	         c->keepalive ? c->keepalive : "", c->psk ? c->psk : "swordfish",
	         c->conn ? "    connection-type " : "", c->conn ? c->conn : "", c->conn ? "\n" : "",
	         c->ike_life ? c->ike_life : "", idl, idr, ike2ref, acl1, acl2, tun,
	         c->extra ? c->extra : "");
	return out;
}

void
w_config(struct world *w, int node, const struct w_conf *c)
{
	struct w_node *n = &w->n[node];
	struct cfg_diags d;
	struct cfg *cfg = NULL;
	char *text = conf_text(node == 2 ? 0 : node, c);
	int rc;

	cfg_diags_init(&d);
	rc = cfg_parse("test.conf", text, strlen(text), NULL, &cfg, &d);
	if (rc) {
		struct buf b;

		buf_init(&b, false);
		cfg_diags_print(&d, &b);
		fail_msg("configuration of %s does not load:\n%.*s\n---\n%s", n->name, (int)b.b_len,
		         (const char *)b.b_data, text);
	}
	cfg_diags_fini(&d);
	free(text);
	ike_engine_set_config(n->e, cfg, w->now);
	cfg_free(n->cfg);
	n->cfg = cfg;
	w_check(w, n);
}

static void
node_init(struct world *w, int i, const char *addr, const struct ike_engine_opts *o)
{
	struct w_node *n = &w->n[i];
	struct sockaddr_in *in = (struct sockaddr_in *)(void *)&n->addr;

	n->w = w;
	n->idx = i;
	snprintf(n->name, sizeof(n->name), "%c", 'A' + i);
	in->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, addr, &in->sin_addr), 1);
	n->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1) + 12345;
	assert_int_equal(ike_engine_new(o, &w_io, n, &w_obs, n, &n->e), 0);
	ike_engine_set_wallclock(n->e, 1700000000000LL, 0);
}

void
w_init(struct world *w, const struct w_conf *a, const struct w_conf *b,
       const struct ike_engine_opts *o)
{
	static const struct ike_engine_opts def = {30, 1000, 6, 60000};

	memset(w, 0, sizeof(*w));
	log_init("test", LOG_DEST_NONE, LOG_LVL_INFO);
	log_set_sink(w_sink, w);
	w->now = 1000;
	w->nn = 2;
	node_init(w, 0, W_ADDR_A, o ? o : &def);
	node_init(w, 1, W_ADDR_B, o ? o : &def);
	w_config(w, 0, a);
	w_config(w, 1, b);
}

int
w_add_standby(struct world *w, const struct w_conf *c)
{
	static const struct ike_engine_opts def = {30, 1000, 6, 60000};

	node_init(w, w->nn, W_ADDR_A, &def);
	w->nn++;
	ike_engine_set_standby(w->n[w->nn - 1].e, true);
	w_config(w, w->nn - 1, c);
	return w->nn - 1;
}

void
w_fini(struct world *w)
{
	for (int i = 0; i < w->nn; i++) {
		struct w_node *n = &w->n[i];

		ike_engine_free(n->e);
		cfg_free(n->cfg);
		for (size_t j = 0; j < n->ninst; j++)
			esp_sa_params_clear(&n->inst[j].p);
		for (size_t j = 0; j < n->nstates; j++)
			ike_sa_state_clear(&n->states[j]);
	}
	for (size_t i = 0; i < w->nq; i++)
		free(w->q[(w->qh + i) % w->qcap].p);
	free(w->q);
	w->q = NULL;
	w->qh = w->nq = w->qcap = 0;
	for (size_t i = 0; i < w->nhist; i++)
		free(w->hist[i].p);
	log_set_sink(NULL, NULL);
}

/* ---- running ------------------------------------------------------------------------------- */

uint64_t
w_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
w_deliver(struct world *w)
{
	for (size_t guard = 0; w->nq && (w->lean || guard < 100000); guard++) {
		struct w_dgram d = w->q[w->qh];
		struct w_node *to;
		uint64_t t0 = 0;

		w->qh = (w->qh + 1) % w->qcap;
		w->nq--;
		to = node_of(w, &d.remote);
		if (!to || (w->filter && w->filter(w, &d, w->farg)) || w->n[d.from].dead) {
			w->dropped++;
			free(d.p);
			continue;
		}
		w->delivered++;
		if (w->lean)
			t0 = w_cpu_ns();
		/* as received: local is where it was sent to, remote who sent it */
		ike_engine_input(to->e, w->now, &d.remote, &d.local, d.p, d.len);
		w_check(w, to);
		if (w->tick_each_input)
			(void)ike_engine_tick(to->e, w->now);
		if (w->lean)
			to->cpu_ns += w_cpu_ns() - t0;
		free(d.p);
	}
}

void
w_run(struct world *w, uint64_t until)
{
	int guard;

	for (guard = 0; guard < 20000; guard++) {
		uint64_t next = UINT64_MAX;

		w_deliver(w);
		for (int i = 0; i < w->nn; i++) {
			uint64_t t;

			if (w->n[i].dead)
				continue;
			t = ike_engine_tick(w->n[i].e, w->now);
			w_check(w, &w->n[i]);
			if (t < next)
				next = t;
		}
		if (w->nq)
			continue;
		if (next > until)
			break;
		w->now = next > w->now ? next : w->now + 1;
	}
	/* timers move time on by their deadlines; thousands of steps mean an engine spins */
	if (guard >= 20000)
		fail_msg("the engines keep asking for a tick (spinning) at %llu",
		         (unsigned long long)w->now);
	if (w->now < until)
		w->now = until;
	for (int i = 0; i < w->nn; i++)
		if (!w->n[i].dead)
			(void)ike_engine_tick(w->n[i].e, w->now);
	w_deliver(w);
}

/* ---- inspection ------------------------------------------------------------------------------ */

size_t
w_established(const struct w_node *n)
{
	size_t k = 0;

	for (size_t i = 0; i < n->nstates; i++)
		if (n->states[i].phase == IKE_PHASE_ESTABLISHED)
			k++;
	return k;
}

const struct ike_sa_state *
w_state(const struct w_node *n, enum ike_sa_phase phase)
{
	for (size_t i = 0; i < n->nstates; i++)
		if (n->states[i].phase == phase)
			return &n->states[i];
	return NULL;
}

size_t
w_live_sas(const struct w_node *n)
{
	size_t k = 0;

	for (size_t i = 0; i < n->ninst; i++)
		k += !n->inst[i].deleted;
	return k;
}

const struct esp_sa_params *
w_inst(const struct w_node *n, uint32_t spi, bool inbound)
{
	for (size_t i = n->ninst; i-- > 0;)
		if (!n->inst[i].deleted && n->inst[i].p.spi == spi &&
		    n->inst[i].p.inbound == inbound)
			return &n->inst[i].p;
	return NULL;
}

void
w_assert_pairs(const struct w_node *a, const struct w_node *b)
{
	size_t pairs = 0;

	for (size_t i = 0; i < a->ninst; i++) {
		const struct esp_sa_params *o = &a->inst[i].p, *in;

		if (a->inst[i].deleted || o->inbound)
			continue;
		in = w_inst(b, o->spi, true);
		if (!in)
			fail_msg("%s outbound SPI %08x has no inbound SA on %s", a->name,
			         (unsigned)o->spi, b->name);
		assert_int_equal(o->encr, in->encr);
		assert_int_equal(o->integ, in->integ);
		assert_true(secret_eq(&o->enc_key, &in->enc_key));
		assert_true(secret_eq(&o->integ_key, &in->integ_key));
		assert_true(o->enc_key.s_len > 0);
		assert_true(o->udp_encap && in->udp_encap);
		pairs++;
	}
	assert_true(pairs > 0);
}

void
w_inject(struct world *w, int to, uint16_t sport, uint16_t dport, const uint8_t *p, size_t len)
{
	struct sockaddr_storage l = w->n[to].addr, r = w->n[to == 0 ? 1 : 0].addr;

	((struct sockaddr_in *)(void *)&l)->sin_port = htons(dport);
	((struct sockaddr_in *)(void *)&r)->sin_port = htons(sport);
	ike_engine_input(w->n[to].e, w->now, &l, &r, p, len);
}

const struct w_dgram *
w_queued(const struct world *w, size_t i)
{
	return &w->q[(w->qh + i) % w->qcap];
}

const struct w_dgram *
w_last_sent(const struct world *w, int from)
{
	for (size_t i = w->nhist; i-- > 0;)
		if (w->hist[i].from == from)
			return &w->hist[i];
	return NULL;
}

uint8_t
w_exch(const struct w_dgram *d)
{
	return d->len > 18 ? d->p[18] : 0;
}

uint32_t
w_msgid(const struct w_dgram *d)
{
	return d->len >= 24 ? (uint32_t)d->p[20] << 24 | (uint32_t)d->p[21] << 16 |
	                              (uint32_t)d->p[22] << 8 | d->p[23]
	                    : 0;
}

bool
w_is_response(const struct w_dgram *d)
{
	return d->len > 19 && (d->p[19] & 0x20);
}
