/* SPDX-License-Identifier: MIT */
/*
 * What the golden configurations mean: seed 004 Examples 13-16 (§12, §13) and the feature file
 * load without errors, with the warnings they deserve, into the model the daemon reads. Also
 * the lexical and block rules of docs/configuration.md, aliases, lookups and helpers.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "cfg_test_util.h"
#include "node/config/cfg.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static struct cfg *
load_ok(const char *rel, struct cfg_diags *d)
{
	struct cfg *c = NULL;
	int rc;

	cfg_diags_init(d);
	rc = cfgt_load(rel, &c, d);
	if (rc != 0)
		fail_msg("%s: rc %d\n%s", rel, rc, cfgt_diags_text(d));
	assert_int_equal(d->nerrors, 0);
	return c;
}

static struct cfg *
parse_ok(const char *text, struct cfg_diags *d)
{
	struct cfg *c = NULL;
	int rc;

	cfg_diags_init(d);
	rc = cfgt_parse(text, &c, d);
	if (rc != 0)
		fail_msg("rc %d\n%s", rc, cfgt_diags_text(d));
	return c;
}

/* Sets var to the element of head called name (fails the test when there is none). */
#define FIND(var, head, nm)                                 \
	do {                                                \
		TAILQ_FOREACH(var, head, entry)             \
		{                                           \
			if (strcmp((var)->name, (nm)) == 0) \
				break;                      \
		}                                           \
		assert_non_null(var);                       \
	} while (0)

/* The i-th route of a context (0-based). */
static struct cfg_route *
route_at(struct cfg_context *ctx, unsigned i)
{
	struct cfg_route *rt = TAILQ_FIRST(&ctx->routes);

	while (rt && i--)
		rt = TAILQ_NEXT(rt, entry);
	assert_non_null(rt);
	return rt;
}

static void
assert_addr(const struct cfg_addr *a, const char *text)
{
	char s[64];

	cfg_addr_str(a, s, sizeof(s));
	assert_string_equal(s, text);
}

static void
assert_prefix(const struct cfg_prefix *p, const char *text)
{
	char s[64];

	cfg_prefix_str(p, s, sizeof(s));
	assert_string_equal(s, text);
}

static void
assert_id(const struct cfg_id *id, const char *text)
{
	char s[600];

	cfg_id_str(id, s, sizeof(s));
	assert_string_equal(s, text);
}

/* Compares key bytes without ever printing them. */
static void
assert_key(const struct secret *s, const char *bytes, size_t len)
{
	assert_int_equal(s->s_len, len);
	assert_true(memcmp(s->s_data, bytes, len) == 0);
}

static unsigned
vendor_warnings(const struct cfg_diags *d)
{
	return cfgt_count(d, CFG_DIAG_WARNING, "configures the vendor's hardware");
}

/* ---- seed 004 Examples 13 and 14: the two ends of one IKEv1 tunnel ------------------------- */

static void
check_end(const struct cfg *c, const char *ctx_name, const char *group, const char *loop,
          const char *peer, const char *pol_name, enum cfg_ike_mode mode, const char *tun_name)
{
	struct cfg_context *ctx = cfg_find_context(c, ctx_name);
	struct cfg_tunnel *t = cfg_find_tunnel(c, tun_name);
	struct cfg_ike_policy *pol;
	struct cfg_interface *ifc;

	assert_non_null(ctx);
	assert_non_null(t);
	assert_non_null(ctx->asp_group);
	assert_string_equal(ctx->asp_group->name, group);
	FIND(ifc, &ctx->interfaces, "ipsec_local_loopback1");
	assert_int_equal(ifc->kind, CFG_IF_LOOPBACK);
	assert_prefix(&ifc->addrs[0], loop);
	FIND(pol, &ctx->ike_policies, pol_name);
	assert_int_equal(pol->version, CFG_IKEV1);
	assert_int_equal(pol->mode, mode);
	assert_int_equal(pol->psk.kind, CFG_PSK_KEY);
	assert_key(&pol->psk.key, "123456789123456", 15); /* "preshared-key" alias */
	assert_int_equal(pol->nprops, 1);
	assert_int_equal(pol->props[0].seq, 10);
	assert_string_equal(pol->props[0].prop->name, "ike-prop");
	assert_int_equal(pol->props[0].prop->encr, CFG_ENCR_DES_CBC);
	assert_int_equal(pol->props[0].prop->integ, CFG_INTEG_HMAC_MD5_96);
	assert_int_equal(pol->props[0].prop->dh_group, 1);
	assert_int_equal(t->kind, CFG_TUNNEL_STATIC);
	assert_ptr_equal(t->ctx, ctx);
	assert_ptr_equal(t->ike_policy, pol);
	assert_string_equal(t->bind->name, "tunnel_ipsec_1");
	assert_ptr_equal(t->bind->ctx, ctx); /* the repaired bind context */
	assert_ptr_equal(t->bind->bound_by, t);
	assert_addr(&t->remote, peer);
	assert_int_equal(t->remote_id.type, CFG_ID_IPV4);
	assert_id(&t->remote_id, peer);
	assert_int_equal(t->nseqs, 1);
	assert_string_equal(t->seqs[0].policy->name, "ipsec-pol");
	assert_string_equal(t->seqs[0].acl->name, "any-acl");
	assert_int_equal(t->seqs[0].acl->nrules, 1);
	assert_int_equal(t->seqs[0].acl->rules[0].src.a.family, 0); /* any */
	assert_int_equal(t->seqs[0].acl->rules[0].dst.a.family, 0);
	assert_int_equal(t->seqs[0].policy->props[0].prop->esp_encr, CFG_ENCR_3DES_CBC);
	assert_int_equal(t->seqs[0].policy->props[0].prop->esp_integ, CFG_INTEG_HMAC_SHA1_96);
}

static void
test_example_13(void **state)
{
	struct cfg_diags d;
	struct cfg *c = load_ok("tests/configs/seed-example-13.conf", &d);
	struct cfg_context *local = cfg_find_context(c, "local");
	struct cfg_route *rt;

	(void)state;
	check_end(c, "vpnEndA", "group1", "30.0.0.1/32", "20.1.0.2", "ike-poll",
	          CFG_MODE_AGGRESSIVE, "rec_1_1");
	assert_string_equal(cfg_find_asp_group(c, "group1")->pool->asps[0], "1/1");
	assert_string_equal(cfg_find_asp_group(c, "group2")->pool->asps[0], "1/2");
	assert_non_null(local);
	assert_false(local->implicit);
	rt = route_at(local, 0);
	assert_prefix(&rt->dst, "0.0.0.0/0");
	assert_addr(&rt->nexthop, "10.192.17.254");
	rt = route_at(cfg_find_context(c, "vpnEndA"), 1);
	assert_true(rt->via_if);
	assert_string_equal(rt->iface->name, "tunnel_ipsec_1");
	/* card x2, port x3, boot, service x3, logging x5, no ip domain-lookup x2, administrator */
	assert_int_equal(vendor_warnings(&d), 17);
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 37, 3, "'administrator test' configures"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 37, 3, "and the 2 lines under it"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 115, 1, "'port ethernet 3/1'"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 92, 14,
	                          "tandem negotiates IKEv2 only: tunnel rec_1_1 will not come up"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 100, 24, "des-cbc is a weak algorithm"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 99, 28, "hmac-md5-96 is a weak"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 101, 12, "dh-group 1 (768-bit MODP)"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 104, 18, "3des-cbc is a weak"));
	assert_int_equal(d.nwarnings, 22);
	cfg_free(c);
	cfg_diags_fini(&d);
}

static void
test_example_14(void **state)
{
	struct cfg_diags d;
	struct cfg *c = load_ok("tests/configs/seed-example-14.conf", &d);

	(void)state;
	check_end(c, "vpnEndB", "group2", "20.1.0.2/32", "30.0.0.1", "ike-pol1", CFG_MODE_MAIN,
	          "rec_2_1");
	assert_int_equal(vendor_warnings(&d), 17);
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 95, 14, "IKEv2 only: tunnel rec_2_1"));
	cfg_free(c);
	cfg_diags_fini(&d);
}

/* ---- seed 004 Example 15: IKEv2 ------------------------------------------------------------ */

static void
test_example_15(void **state)
{
	struct cfg_diags d;
	struct cfg *c = load_ok("tests/configs/seed-example-15.conf", &d);
	struct cfg_tunnel *t = cfg_find_tunnel(c, "ipsec_tunnel");
	struct cfg_ike_proposal *ip;
	struct cfg_ipsec_proposal *ep;
	struct cfg_ipsec_policy *pol;
	struct cfg_ike_policy *ikp;

	(void)state;
	assert_non_null(t);
	ikp = t->ike_policy;
	assert_non_null(ikp);
	assert_int_equal(ikp->version, CFG_IKEV2);
	assert_int_equal(ikp->conn_type, CFG_CONN_BOTH);
	assert_id(&ikp->id_local, "30.0.0.1");
	assert_id(&ikp->id_remote, "20.0.0.2");
	assert_int_equal(ikp->psk.kind, CFG_PSK_KEY);
	assert_key(&ikp->psk.key, "1234567890123456", 16);
	assert_int_equal(ikp->lifetime_sec, 86400);
	ip = ikp->props[0].prop;
	assert_int_equal(ip->version, CFG_IKEV2);
	assert_int_equal(ip->encr, CFG_ENCR_3DES_CBC);
	assert_int_equal(ip->integ, CFG_INTEG_HMAC_MD5_96);
	assert_int_equal(ip->prf, CFG_PRF_HMAC_SHA1);
	assert_int_equal(ip->dh_group, 2);
	pol = t->seqs[0].policy;
	assert_int_equal(pol->pfs_group, 2);
	assert_int_equal(pol->replay_window, 64);
	ep = pol->props[0].prop;
	assert_true(ep->esp && ep->ah);
	assert_int_equal(ep->esp_encr, CFG_ENCR_3DES_CBC);
	assert_int_equal(ep->esp_integ, CFG_INTEG_HMAC_MD5_96);
	assert_int_equal(ep->ah_integ, CFG_INTEG_HMAC_SHA1_96);
	assert_int_equal(ep->lifetime_sec, 1800);
	assert_int_equal(ep->lifetime_kbytes, 0);
	assert_string_equal(t->bind->name, "ipsec");
	assert_int_equal(t->bind->kind, CFG_IF_IPSEC);
	assert_string_equal(t->ctx->name, "vpn");
	assert_string_equal(t->ctx->asp_group->pool->asps[0], "4/1");
	assert_string_equal(t->seqs[0].acl->name, "ipsec_acl");
	assert_addr(&t->local, "30.0.0.1");
	assert_addr(&t->remote, "20.0.0.2");
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 27, 1, "does not do AH"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 34, 36, "dh-group 2 (1024-bit MODP)"));
	assert_int_equal(cfgt_count(&d, CFG_DIAG_WARNING, "IKEv2 only"), 0);
	/* its only IPsec proposal asks for AH, so the tunnel cannot come up */
	assert_non_null(
	        cfgt_find(&d, CFG_DIAG_WARNING, 62, 1,
	                  "in 'tunnel ipsec ipsec_tunnel': tunnel ipsec_tunnel: none of its "
	                  "IPsec proposals can be negotiated (tandem does not do AH or IP "
	                  "compression): it will not come up"));
	assert_int_equal(d.nwarnings, 8);
	cfg_free(c);
	cfg_diags_fini(&d);
}

/* ---- seed 004 Example 16: preferred and backup tunnels by route cost ------------------------ */

static void
check_ha_tunnel(const struct cfg *c, const char *name, const char *sig, const char *group,
                const char *pool, const char *local, const char *ti)
{
	struct cfg_tunnel *t = cfg_find_tunnel(c, name);

	assert_non_null(t);
	assert_string_equal(t->ctx->name, sig);
	assert_string_equal(t->ctx->asp_group->name, group);
	assert_string_equal(t->ctx->asp_group->pool->name, pool);
	assert_addr(&t->local, local);
	assert_addr(&t->remote, "3.3.3.3");
	assert_id(&t->remote_id, "3.3.3.3");
	assert_string_equal(t->bind->name, ti);
	assert_string_equal(t->bind->ctx->name, "C1");
	assert_string_equal(t->bind_ctx, "C1");
	assert_key(&t->ike_policy->psk.key, "TEST_SHARED_KEY", 15);
	assert_string_equal(t->ike_policy->ctx->name, sig);
	assert_string_equal(t->seqs[0].policy->name, "ipsec-policy");
	assert_int_equal(t->seqs[0].policy->props[0].prop->esp_encr, CFG_ENCR_AES128_CBC);
	/* acl-C1 lives in C1, the bind interface's context, not in the signalling one */
	assert_string_equal(t->seqs[0].acl->name, "acl-C1");
	assert_string_equal(t->seqs[0].acl->ctx->name, "C1");
}

static void
test_example_16(void **state)
{
	struct cfg_diags d;
	struct cfg *c = load_ok("tests/configs/seed-example-16.conf", &d);
	struct cfg_context *c1 = cfg_find_context(c, "C1");
	struct cfg_acl *acl;
	struct cfg_route *r1, *r2;

	(void)state;
	check_ha_tunnel(c, "Tun-1", "L1", "G1", "P1", "1.1.1.1", "TI-1");
	check_ha_tunnel(c, "Tun-2", "L2", "G2", "P2", "2.2.2.2", "TI-2");
	assert_int_equal(cfg_count_tunnels(c), 2);
	FIND(acl, &c1->acls, "acl-C1");
	assert_int_equal(acl->nrules, 1);
	assert_prefix(&acl->rules[0].src, "172.168.2.0/24");
	assert_prefix(&acl->rules[0].dst, "172.168.3.0/24");
	assert_int_equal(acl->rules[0].proto, 0);
	r1 = TAILQ_FIRST(&c1->routes);
	r2 = TAILQ_NEXT(r1, entry);
	assert_prefix(&r1->dst, "172.168.3.0/24");
	assert_true(r1->via_if && r2->via_if);
	assert_string_equal(r1->iface->name, "TI-1");
	assert_int_equal(r1->cost, 5);
	assert_prefix(&r2->dst, "172.168.3.0/24");
	assert_string_equal(r2->iface->name, "TI-2");
	assert_int_equal(r2->cost, 10);
	assert_null(c1->asp_group);
	assert_addr(&TAILQ_FIRST(&cfg_find_context(c, "L1")->routes)->nexthop, "4.4.4.4");
	assert_addr(&TAILQ_FIRST(&cfg_find_context(c, "L2")->routes)->nexthop, "5.5.5.5");
	assert_int_equal(cfg_find_tunnel(c, "Tun-1")->ike_policy->props[0].prop->dh_group, 1);
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 65, 1, "dh-group is not set and defaults"));
	assert_int_equal(cfgt_count(&d, CFG_DIAG_WARNING, "IKEv2 only"), 2);
	assert_int_equal(d.nwarnings, 5);
	assert_int_equal(vendor_warnings(&d), 0);
	cfg_free(c);
	cfg_diags_fini(&d);
}

/* ---- the feature file ----------------------------------------------------------------------- */

static void
check_full_tunnels(struct cfg *c)
{
	struct cfg_tunnel *a = cfg_find_tunnel(c, "static-a"), *od = cfg_find_tunnel(c, "se_1");
	struct cfg_tunnel *m = cfg_find_tunnel(c, "manual_1");

	assert_int_equal(a->seqs[0].seq, 10); /* sorted by seq */
	assert_string_equal(a->seqs[0].acl->name, "web");
	assert_int_equal(a->seqs[1].seq, 20);
	assert_null(a->seqs[1].acl);
	assert_string_equal(a->ike_policy->name, "peer-a"); /* "ike policy NAME" alias */
	assert_int_equal(a->df_bit, CFG_DF_CLEAR);
	assert_int_equal(a->mtu, 1400);
	assert_int_equal(a->qos->num_queues, 4);
	assert_true(a->ts_guided_routes);
	assert_id(&a->remote_id, "fqdn a.example.com");
	assert_true(cfg_find_tunnel(c, "static-b")->shutdown);
	assert_true(cfg_find_tunnel(c, "static-b")->economical);
	assert_int_equal(od->kind, CFG_TUNNEL_ON_DEMAND);
	assert_int_equal(od->remote.family, 0);
	assert_int_equal(od->max_tunnels, 50);
	assert_int_equal(od->bind->kind, CFG_IF_IPSEC_MULTIBIND);
	assert_string_equal(od->bind->unnumbered_if->name, "peer_local_ip_1");
	assert_non_null(od->profile);
	assert_int_equal(od->profile->df_bit, CFG_DF_SET);
	assert_int_equal(od->profile->nseqs, 2);
	assert_string_equal(od->profile->seqs[0].acl->name, "ipsec_ACL1");
	assert_true(od->ike_policy->id_remote.wildcard);
	assert_id(&od->ike_policy->id_remote, "fqdn *.example.com");
	assert_int_equal(m->kind, CFG_TUNNEL_MANUAL);
	assert_true(m->seqs[0].sa->both); /* "security association SA" alias */
	assert_int_equal(m->seqs[0].sa->out.esp_spi, 4096);
	assert_key(&m->seqs[0].sa->out.esp_encr_key,
	           "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16);
	assert_int_equal(m->seqs[0].sa->out.esp_integ_key.s_len, 20);
	assert_false(m->seqs[1].sa->both);
	assert_key(&m->seqs[1].sa->in.esp_encr_key, "twenty bytes of key!", 20);
	assert_int_equal(m->seqs[1].sa->in.esp_integ, CFG_INTEG_NONE);
	assert_int_equal(m->seqs[1].sa->out.esp_spi, 5001);
}

static void
check_full_objects(struct cfg *c)
{
	struct cfg_context *ispl = cfg_find_context(c, "ispl"), *vpn = cfg_find_context(c, "vpn");
	struct cfg_ipsec_proposal *ep;
	struct cfg_ike_proposal *ip;
	struct cfg_ike_policy *pol;
	struct cfg_acl *acl;

	FIND(ip, &c->ike_proposals, "strong");
	assert_int_equal(ip->encr, CFG_ENCR_AES256_GCM16); /* aes-256-gcm-16 alias */
	assert_int_equal(ip->integ, CFG_INTEG_NONE);       /* the default is dropped with AEAD */
	assert_string_equal(ip->description, "AEAD, no integrity  (two spaces)");
	FIND(ep, &c->ipsec_proposals, "gcm");
	assert_true(ep->esn);
	FIND(ep, &c->ipsec_proposals, "chacha");
	assert_false(ep->esn); /* "no esn" */
	FIND(ep, &c->ipsec_proposals, "integrity-only");
	assert_int_equal(ep->esp_encr, CFG_ENCR_NULL); /* authentication without encryption */
	assert_false(ep->esn);                         /* the default */
	FIND(ep, &c->ipsec_proposals, "xcbc");
	assert_int_equal(ep->esp_integ, CFG_INTEG_AES_XCBC_96); /* hmac-aes-xcbc alias */
	FIND(pol, &ispl->ike_policies, "ike_pol_se_1");
	assert_int_equal(pol->lifetime_sec, 43200); /* "lifetime N" alias */
	assert_key(&pol->psk.key, "MyHexPa55w0rd", 13);
	assert_true(pol->addr_alloc_aaa);
	assert_int_equal(ispl->dpd_interval_sec, 20);
	assert_true(ispl->ike_keepalive);
	assert_false(vpn->ike_keepalive);
	FIND(pol, &vpn->ike_policies, "peer-a");
	assert_key(&pol->psk.key, "a secret with spaces", 20);
	assert_id(&pol->id_remote, "key-id 0a0b0c0d");
	FIND(acl, &ispl->acls, "ipsec_ACL1");
	assert_int_equal(acl->rules[0].seq, 5);
	assert_prefix(&acl->rules[0].src, "10.1.2.3/32");
	assert_int_equal(acl->rules[1].sport.lo, 443);
	assert_int_equal(acl->rules[1].dport.lo, 1024);
	assert_int_equal(acl->rules[1].dport.hi, 2048);
	assert_int_equal(acl->rules[2].sport.hi, 1023);
	assert_int_equal(acl->rules[2].dport.lo, 1024);
	assert_int_equal(acl->rules[3].proto, 47);
	assert_int_equal(c->cluster.nnodes, 2);
	assert_int_equal(cfg_find_node(c, "gw1")->priority, 200);
	assert_int_equal(c->cluster.lease_size, 131072);
	assert_int_equal(c->cluster.lease_refill_pct, 75);
	assert_true(c->cluster.preempt);
	assert_null(cfg_find_node(c, "gw3"));
}

static void
test_full(void **state)
{
	struct cfg_diags d;
	struct cfg *c = load_ok("tests/configs/full.conf", &d);

	(void)state;
	check_full_tunnels(c);
	check_full_objects(c);
	assert_true(cfg_find_context(c, "local")->implicit);
	assert_int_equal(cfg_count_tunnels(c), 4);
	assert_int_equal(c->ike_cookie_threshold, 500);
	assert_int_equal(c->ike_retransmit_base_ms, 250); /* written after tries */
	assert_int_equal(c->ike_retransmit_tries, 4);
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 31, 18, "rsa-signature) is not built yet"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 208, 1, "1 statement line after 'end'"));
	assert_int_equal(d.nwarnings, 3);
	cfg_free(c);
	cfg_diags_fini(&d);
}

/* ---- lexical and block rules ------------------------------------------------------------------
 */

static const char base[] = "ike2 proposal p\n"
                           "  encryption algorithm aes-128-gcm\n"
                           "  dh-group 14\n"
                           "ipsec proposal e\n"
                           "  esp encryption aes-128-gcm\n"
                           "ipsec policy ip\n"
                           "  seq 1 proposal e\n";

static void
test_quotes_and_comments(void **state)
{
	static const char text[] = "context c\n"
	                           "  description \"a \\\"quoted\\\" \\\\ word\"\n"
	                           "  ! a comment, even indented\n"
	                           "  ike2 policy k\n"
	                           "    pre-shared-key ab!c\r\n"
	                           "    seq 1 proposal p\n"
	                           "\n"
	                           "!";
	struct cfg_diags d;
	size_t cap = 3 + sizeof(base) + sizeof(text);
	char *all = malloc(cap);
	struct cfg *c;
	struct cfg_ike_policy *pol;

	(void)state;
	snprintf(all, cap, "\xef\xbb\xbf%s%s", base, text);
	c = parse_ok(all, &d);
	assert_string_equal(cfg_find_context(c, "c")->description, "a \"quoted\" \\ word");
	FIND(pol, &cfg_find_context(c, "c")->ike_policies, "k");
	assert_key(&pol->psk.key, "ab!c", 4); /* '!' inside a line; CRLF */
	cfg_free(c);
	cfg_diags_fini(&d);
	free(all);
}

/*
 * IOS-style blocks: "ip route" closes the interface, "exit" closes one block, a longer
 * keyword match of an enclosing block wins ("asp group" after "asp pool"), a context may be
 * opened again, a vendor block swallows what no block accepts.
 */
static void
test_blocks(void **state)
{
	static const char text[] = "asp pool p service security\n"
	                           "asp 1/1\n"
	                           "asp group g\n"
	                           "pool p\n"
	                           "context c\n"
	                           "interface i\n"
	                           "ip address 10.0.0.1/24\n"
	                           "ip route 10.1.0.0/16 i\n"
	                           "interface j\n"
	                           "exit\n"
	                           "description after exit\n"
	                           "card ase 1\n"
	                           "no shutdown\n"
	                           "bind interface i c\n"
	                           "context c\n"
	                           "asp-group g service security\n"
	                           "exit\n"
	                           "exit\n"
	                           "config\n";
	struct cfg_diags d;
	struct cfg *c = parse_ok(text, &d);
	struct cfg_context *ctx = cfg_find_context(c, "c");
	struct cfg_interface *i;

	(void)state;
	assert_string_equal(cfg_find_asp_group(c, "g")->pool->name, "p");
	FIND(i, &ctx->interfaces, "i");
	assert_int_equal(i->naddrs, 1);
	assert_string_equal(route_at(ctx, 0)->iface->name, "i");
	assert_string_equal(ctx->description, "after exit");
	assert_string_equal(ctx->asp_group->name, "g");
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 12, 1, "and the 2 lines under it"));
	assert_int_equal(d.nwarnings, 1);
	cfg_free(c);
	cfg_diags_fini(&d);
}

/* Aliases and spellings mean the same thing: same digest. */
static const char alias_fmt[] = "ike2 proposal p\n encryption algorithm %s\n dh-group 14\n"
                                "ipsec proposal e\n esp encryption aes-128-cbc\n"
                                " esp authentication %s\n"
                                "ipsec policy ip\n seq 1 proposal e\n"
                                "ipsec security-association sa\n both\n  esp spi 1000\n"
                                "  esp encryption null\n  esp authentication hmac-sha1-96 key "
                                "0x0011223344556677889900112233445566778899\n"
                                "context local\n interface lo loopback\n"
                                "  ip address 192.0.2.1/32\n interface t\n interface m\n"
                                " ike2 policy k\n  %s x12345678\n  seq 1 proposal p\n  %s\n"
                                "tunnel ipsec t\n peer-end-point local 192.0.2.1 remote 192.0.2.9\n"
                                " bind interface t\n remote-id 192.0.2.9\n %s\n"
                                " seq 1 ipsec-policy ip\n"
                                "tunnel ipsec m manual\n"
                                " peer-end-point local 192.0.2.1 remote 192.0.2.8\n"
                                " bind interface m\n seq 1 %s sa\n";

static void
alias_text(char *out, size_t cap, int alias)
{
	/* {canonical, alias} in the order of alias_fmt's slots */
	static const char *const slot[][2] = {
	        {"aes-128-gcm", "aes-128-gcm-16"},
	        {"aes-xcbc-96", "hmac-aes-xcbc"},
	        {"pre-shared-key", "preshared-key"},
	        {"lifetime seconds 600", "lifetime 600"},
	        {"ike-policy k", "ike policy k"},
	        {"security-association", "security association"},
	};
	const char *v[6];

	for (int i = 0; i < 6; i++)
		v[i] = slot[i][i == alias];
	snprintf(out, cap, alias_fmt, v[0], v[1], v[2], v[3], v[4], v[5]);
}

static void
test_aliases(void **state)
{
	char text[2048];
	uint8_t ref[32], dg[32];
	struct cfg_diags d;
	struct cfg *c;

	(void)state;
	alias_text(text, sizeof(text), -1);
	c = parse_ok(text, &d);
	assert_int_equal(cfg_digest(c, cfgt_mk(), ref), 0);
	cfg_free(c);
	cfg_diags_fini(&d);
	for (int i = 0; i < 6; i++) {
		alias_text(text, sizeof(text), i);
		c = parse_ok(text, &d);
		assert_int_equal(cfg_digest(c, cfgt_mk(), dg), 0);
		assert_memory_equal(dg, ref, sizeof(ref));
		cfg_free(c);
		cfg_diags_fini(&d);
	}
}

/* AH-only and IPComp proposals, one policy of only those, tunnels that use it (after base). */
static const char nego_text[] =
        "ipsec proposal a\n ah hmac-sha2-256-128\n" /* 8 */
        "ipsec proposal c\n ip-comp\n"              /* 10 */
        "ipsec policy bad\n seq 1 proposal a\n seq 2 proposal c\n"
        "asp pool p1 service security\n asp 1/1\n"
        "asp group g1\n pool p1\n"
        "context local\n asp-group g1 service security\n"
        " interface lo loopback\n  ip address 192.0.2.1/32\n"
        " interface t1\n interface t2\n interface t3\n"
        " interface mb ipsec multibind\n  ip unnumbered lo\n"
        " ike2 policy k\n  pre-shared-key x12345678\n"
        "  seq 1 proposal p\n"
        " ike2 policy od\n  pre-shared-key y12345678\n"
        "  seq 1 proposal p\n"
        " ipsec profile od-t\n  seq 1 ipsec-policy bad\n"
        "tunnel ipsec t1\n" /* 36 */
        " peer-end-point local 192.0.2.1 remote 192.0.2.9\n"
        " bind interface t1\n remote-id 192.0.2.9\n ike-policy k\n"
        " seq 1 ipsec-policy bad\n"
        "tunnel ipsec t2\n"
        " peer-end-point local 192.0.2.1 remote 192.0.2.8\n"
        " bind interface t2\n remote-id 192.0.2.8\n ike-policy k\n"
        " seq 1 ipsec-policy bad\n seq 2 ipsec-policy ip\n"
        "tunnel ipsec od-t on-demand\n" /* 49 */
        " peer-end-point local 192.0.2.1\n bind interface mb\n"
        " ike-policy od\n"
        "ipsec security-association sa\n both\n  esp spi 1000\n"
        "  esp encryption null\n  esp authentication hmac-sha1-96 key "
        "0x0011223344556677889900112233445566778899\n"
        "tunnel ipsec m manual\n"
        " peer-end-point local 192.0.2.1 remote 192.0.2.7\n"
        " bind interface t3\n seq 1 ipsec-policy bad security-association sa\n";

/*
 * A tunnel whose every IPsec policy holds only proposals that need AH or IPComp gets a warning
 * of its own (static: its seqs; on-demand: its profile's); one usable proposal anywhere is
 * enough; a manual tunnel negotiates nothing, so its policies do not matter.
 */
static void
test_unnegotiable_tunnel(void **state)
{
	size_t cap = sizeof(base) + sizeof(nego_text);
	char *all = malloc(cap);
	struct cfg_diags d;
	struct cfg *c;

	(void)state;
	snprintf(all, cap, "%s%s", base, nego_text);
	c = parse_ok(all, &d);
	assert_int_equal(d.nerrors, 0);
	assert_non_null(
	        cfgt_find(&d, CFG_DIAG_WARNING, 36, 1,
	                  "in 'tunnel ipsec t1': tunnel t1: none of its IPsec proposals can "
	                  "be negotiated (tandem does not do AH or IP compression): it will "
	                  "not come up"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 49, 1,
	                          "tunnel od-t: none of its IPsec proposals can be negotiated"));
	assert_int_equal(cfgt_count(&d, CFG_DIAG_WARNING, "none of its IPsec proposals"), 2);
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 8, 1, "does not do AH:"));
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 10, 1, "does not do IP compression:"));
	assert_int_equal(d.nwarnings, 4);
	cfg_free(c);
	cfg_diags_fini(&d);
	free(all);
}

/* Four contexts, three with an engine group, and four tunnels (appended to base). */
static const char groups_text[] =
        "asp pool p1 service security\n asp 1/1\n"
        "asp pool p2 service security\n asp 1/2\n"
        "asp group g1\n pool p1\nasp group g2\n pool p2\n"
        "context local\n asp-group g1 service security\n"
        " interface lo loopback\n  ip address 192.0.2.1/32\n"
        " interface t\n"
        " ike2 policy k\n  pre-shared-key x12345678\n  seq 1 proposal p\n"
        "context L2\n asp-group g1 service security\n interface t2\n"
        " ike2 policy k\n  pre-shared-key x12345678\n  seq 1 proposal p\n"
        "context L3\n interface t3\n"
        " ike2 policy k\n  pre-shared-key x12345678\n  seq 1 proposal p\n"
        "context L4\n asp-group g2 service security\n interface t4\n"
        " ike2 policy k\n  pre-shared-key x12345678\n  seq 1 proposal p\n"
        "tunnel ipsec t\n peer-end-point local 192.0.2.1 remote 192.0.2.9\n"
        " bind interface t\n remote-id 192.0.2.9\n ike-policy k\n"
        " seq 1 ipsec-policy ip\n"
        "tunnel ipsec t2\n"
        " peer-end-point local 192.0.2.1 remote 192.0.2.7 context L2\n"
        " bind interface t2\n remote-id 192.0.2.7\n ike-policy k\n"
        " seq 1 ipsec-policy ip\n"
        "tunnel ipsec t3\n"
        " peer-end-point local 192.0.2.1 remote 192.0.2.6 context L3\n"
        " bind interface t3\n remote-id 192.0.2.6\n ike-policy k\n"
        " seq 1 ipsec-policy ip\n"
        "tunnel ipsec t4\n"
        " peer-end-point local 192.0.2.2 remote 192.0.2.5 context L4\n"
        " bind interface t4\n remote-id 192.0.2.5\n ike-policy k\n"
        " seq 1 ipsec-policy ip\n";

/*
 * Tunnels with one local endpoint share one engine group, whatever their contexts; a tunnel
 * whose context has no group is served by none (a warning) and does not conflict; another
 * address may use another group (docs/configuration.md, tunnel rules).
 */
static void
test_engine_groups(void **state)
{
	size_t cap = sizeof(base) + sizeof(groups_text);
	char *all = malloc(cap);
	struct cfg_diags d;
	struct cfg *c;

	(void)state;
	snprintf(all, cap, "%s%s", base, groups_text);
	c = parse_ok(all, &d);
	assert_int_equal(d.nerrors, 0);
	assert_string_equal(cfg_find_tunnel(c, "t2")->ctx->asp_group->name, "g1");
	assert_null(cfg_find_tunnel(c, "t3")->ctx->asp_group);
	assert_string_equal(cfg_find_tunnel(c, "t4")->ctx->asp_group->name, "g2");
	assert_int_equal(cfgt_count(&d, CFG_DIAG_WARNING, "context L3 has no 'asp-group"), 1);
	assert_int_equal(cfgt_count(&d, CFG_DIAG_WARNING, "is not an address of an interface"), 3);
	assert_int_equal(d.nwarnings, 4);
	cfg_free(c);
	cfg_diags_fini(&d);
	free(all);
}

/*
 * Global IKE settings (tandem): defaults when not written, either part of "ike retransmit"
 * alone, and a global statement written inside a context closes the context.
 */
static void
test_ike_settings(void **state)
{
	struct cfg_diags d;
	struct cfg *c = load_ok("tests/configs/minimal.conf", &d);

	(void)state;
	assert_int_equal(c->ike_cookie_threshold, 30);
	assert_int_equal(c->ike_retransmit_base_ms, 1000);
	assert_int_equal(c->ike_retransmit_tries, 6);
	cfg_free(c);
	cfg_diags_fini(&d);
	c = parse_ok("context c\n description x\n ike retransmit base 100\n", &d);
	assert_int_equal(c->ike_retransmit_base_ms, 100);
	assert_int_equal(c->ike_retransmit_tries, 6);
	assert_string_equal(cfg_find_context(c, "c")->description, "x");
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(c->ike_cookie_threshold, 30);
	cfg_free(c);
	cfg_diags_fini(&d);
	c = parse_ok("ike retransmit tries 20\nike cookie-threshold 100000\n", &d);
	assert_int_equal(c->ike_retransmit_base_ms, 1000);
	assert_int_equal(c->ike_retransmit_tries, 20);
	assert_int_equal(c->ike_cookie_threshold, 100000);
	cfg_free(c);
	cfg_diags_fini(&d);
	c = parse_ok("ike retransmit base 60000 tries 1\nike cookie-threshold 1\n", &d);
	assert_int_equal(c->ike_retransmit_base_ms, 60000);
	assert_int_equal(c->ike_retransmit_tries, 1);
	assert_int_equal(c->ike_cookie_threshold, 1);
	cfg_free(c);
	cfg_diags_fini(&d);
}

static void
test_end_and_lookups(void **state)
{
	struct cfg_diags d;
	struct cfg *c = parse_ok("context x\nend\nfoo bar\n\n! c\nbaz\n", &d);

	(void)state;
	assert_non_null(cfg_find_context(c, "x"));
	assert_null(cfg_find_context(c, "y"));
	assert_null(cfg_find_tunnel(c, "t"));
	assert_null(cfg_find_asp_group(c, "g"));
	assert_null(cfg_find_node(c, "n"));
	assert_int_equal(cfg_count_tunnels(c), 0);
	assert_non_null(cfgt_find(&d, CFG_DIAG_WARNING, 3, 1, "2 statement lines after 'end'"));
	cfg_free(c);
	cfg_diags_fini(&d);
}

/* ---- tables and helpers ------------------------------------------------------------------------
 */

static void
test_algorithm_tables(void **state)
{
	(void)state;
	assert_int_equal(cfg_encr_info(CFG_ENCR_AES128_GCM16)->key_len, 20);
	assert_int_equal(cfg_encr_info(CFG_ENCR_CHACHA20_POLY1305)->key_len, 36);
	assert_true(cfg_encr_info(CFG_ENCR_AES256_GCM16)->aead);
	assert_true(cfg_encr_info(CFG_ENCR_3DES_CBC)->weak);
	assert_int_equal(cfg_encr_info(CFG_ENCR_AES192_CBC)->key_len, 24);
	assert_null(cfg_encr_info(CFG_ENCR_COUNT));
	assert_int_equal(cfg_integ_info(CFG_INTEG_HMAC_SHA1_96)->key_len, 20);
	assert_int_equal(cfg_integ_info(CFG_INTEG_HMAC_SHA2_256_128)->icv_len, 16);
	assert_true(cfg_integ_info(CFG_INTEG_HMAC_MD5_96)->weak);
	assert_null(cfg_integ_info(CFG_INTEG_COUNT));
	assert_string_equal(cfg_prf_info(CFG_PRF_AES128_XCBC)->name, "aes-128-xcbc");
	assert_null(cfg_prf_info(CFG_PRF_COUNT));
	assert_true(cfg_dh_group_supported(31));
	assert_false(cfg_dh_group_supported(3));
	assert_string_equal(cfg_dh_group_desc(14), "2048-bit MODP");
	assert_string_equal(cfg_dh_group_desc(19), "256-bit random ECP");
	assert_null(cfg_dh_group_desc(22));
	assert_true(cfg_dh_group_weak(5));
	assert_false(cfg_dh_group_weak(14));
}

static void
test_string_helpers(void **state)
{
	struct cfg_addr a = {AF_INET6, {0x20, 0x01, 0x0d, 0xb8}};
	struct cfg_prefix p = {{AF_INET, {192, 0, 2, 0}}, 24}, any = {{0, {0}}, 0};
	struct cfg_id id = {CFG_ID_USER_FQDN, 5, "a@b.c", false};
	char s[64];

	(void)state;
	cfg_addr_str(&a, s, sizeof(s));
	assert_string_equal(s, "2001:db8::");
	cfg_prefix_str(&p, s, sizeof(s));
	assert_string_equal(s, "192.0.2.0/24");
	cfg_prefix_str(&any, s, sizeof(s));
	assert_string_equal(s, "any");
	cfg_id_str(&id, s, sizeof(s));
	assert_string_equal(s, "user-fqdn a@b.c");
	id.type = CFG_ID_NONE;
	cfg_id_str(&id, s, sizeof(s));
	assert_string_equal(s, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_example_13),
	        cmocka_unit_test(test_example_14),
	        cmocka_unit_test(test_example_15),
	        cmocka_unit_test(test_example_16),
	        cmocka_unit_test(test_full),
	        cmocka_unit_test(test_quotes_and_comments),
	        cmocka_unit_test(test_blocks),
	        cmocka_unit_test(test_aliases),
	        cmocka_unit_test(test_unnegotiable_tunnel),
	        cmocka_unit_test(test_engine_groups),
	        cmocka_unit_test(test_ike_settings),
	        cmocka_unit_test(test_end_and_lookups),
	        cmocka_unit_test(test_algorithm_tables),
	        cmocka_unit_test(test_string_helpers),
	};

	return cmocka_run_group_tests_name("cfg_parse", tests, NULL, NULL);
}
