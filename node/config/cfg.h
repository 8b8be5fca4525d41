/* SPDX-License-Identifier: MIT */
/*
 * The configuration model: what an operator wrote in the seeds' SmartEdge-style language,
 * parsed, defaulted, cross-referenced and validated. Every later module reads this and only
 * this; none of them sees configuration text. docs/configuration.md is the language reference.
 *
 * Ownership: a struct cfg owns everything reachable from it (names are inline arrays,
 * descriptions and secrets are owned). Resolved references (`struct cfg_x *`) point into the
 * same struct cfg and live as long as it. Lists keep the order of the file; printing sorts.
 */
#ifndef TANDEM_NODE_CONFIG_CFG_H
#define TANDEM_NODE_CONFIG_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "node/core/buf.h"
#include "node/core/secret.h"

#define CFG_NAME_MAX          64 /* names: 1..63 characters of [A-Za-z0-9_.:/-] */
#define CFG_IFNAME_MAX        16 /* a Linux interface name (IFNAMSIZ), for cluster VIPs */
#define CFG_MAX_IKE_PROPOSALS 16 /* per IKE policy (seed 004 §6.4) */
#define CFG_MAX_IPSEC_PROPS   16 /* per IPsec policy (seed 004 §8.2) */
#define CFG_MAX_TUNNEL_SEQS   8  /* IPsec policies or manual SAs per tunnel/profile (§9.2) */
#define CFG_MAX_ACL_RULES     256
#define CFG_MAX_IF_ADDRS      8
#define CFG_MAX_POOL_ASPS     16
#define CFG_MAX_CLUSTER_NODES 16
#define CFG_MAX_VIPS          16
#define CFG_ID_MAX            255 /* identity data bytes (FQDN, USER_FQDN, KEY_ID) */
#define CFG_LIFETIME_MIN_SEC  300u
#define CFG_LIFETIME_MAX_SEC  99999999u
#define CFG_REPLAY_WINDOW_MAX 4096u
#define CFG_DEFAULT_CONTEXT   "local"

/* Where a statement or token came from. `file` points into struct cfg's file table. */
struct cfg_loc {
	const char *file;
	uint32_t line; /* 1-based */
	uint32_t col;  /* 1-based byte column; a tab counts as one column */
};

/* ---- algorithms ------------------------------------------------------------------------ */

enum cfg_encr {
	CFG_ENCR_NULL = 0, /* ESP only: "esp encryption null" */
	CFG_ENCR_DES_CBC,
	CFG_ENCR_3DES_CBC,
	CFG_ENCR_AES128_CBC,
	CFG_ENCR_AES192_CBC,
	CFG_ENCR_AES256_CBC,
	CFG_ENCR_AES128_GCM16, /* AEAD: carries its own integrity */
	CFG_ENCR_AES256_GCM16,
	CFG_ENCR_CHACHA20_POLY1305,
	CFG_ENCR_COUNT
};

enum cfg_integ {
	CFG_INTEG_NONE = 0, /* with an AEAD cipher, or "esp encryption" + AH-only proposals */
	CFG_INTEG_HMAC_MD5_96,
	CFG_INTEG_HMAC_SHA1_96,
	CFG_INTEG_HMAC_SHA2_256_128,
	CFG_INTEG_HMAC_SHA2_384_192,
	CFG_INTEG_HMAC_SHA2_512_256,
	CFG_INTEG_AES_XCBC_96,
	CFG_INTEG_COUNT
};

enum cfg_prf {
	CFG_PRF_HMAC_MD5 = 0,
	CFG_PRF_HMAC_SHA1,
	CFG_PRF_AES128_XCBC,
	CFG_PRF_HMAC_SHA2_256,
	CFG_PRF_HMAC_SHA2_384,
	CFG_PRF_HMAC_SHA2_512,
	CFG_PRF_COUNT
};

/* Facts about each algorithm, shared by the parser, the printer and the engines. */
struct cfg_encr_info {
	const char *name;   /* canonical configuration keyword, e.g. "aes-128-cbc" */
	uint16_t key_len;   /* bytes of key material (GCM/ChaCha include the 4-byte salt) */
	uint16_t block_len; /* cipher block size for padding (1 for stream/AEAD) */
	uint16_t iv_len;    /* bytes of IV in each ESP/IKE packet */
	uint16_t icv_len;   /* AEAD tag length; 0 for non-AEAD */
	bool aead;
	bool weak; /* DES, 3DES: accepted only when configured, logged as weak */
};
struct cfg_integ_info {
	const char *name;
	uint16_t key_len;
	uint16_t icv_len;
	bool weak; /* MD5 */
};
struct cfg_prf_info {
	const char *name;
	uint16_t key_len; /* preferred key length (RFC 7296 §2.13) */
	uint16_t out_len;
	bool weak;
};
const struct cfg_encr_info *cfg_encr_info(enum cfg_encr e);
const struct cfg_integ_info *cfg_integ_info(enum cfg_integ i);
const struct cfg_prf_info *cfg_prf_info(enum cfg_prf p);
/* DH groups tandem implements: 1, 2, 5, 14, 15, 16, 19, 20, 21, 31. */
bool cfg_dh_group_supported(uint16_t group);
/* Short description, e.g. "2048-bit MODP" or "256-bit random ECP"; NULL if unsupported. */
const char *cfg_dh_group_desc(uint16_t group);
/* Groups RFC 8247 says MUST NOT / SHOULD NOT be used (1, 2, 5). */
bool cfg_dh_group_weak(uint16_t group);

/* ---- addresses and identities ---------------------------------------------------------- */

struct cfg_addr {
	int family; /* AF_INET, AF_INET6, or 0 for "none/any" */
	uint8_t addr[16];
};

struct cfg_prefix {
	struct cfg_addr a; /* host bits are zero after parsing, except interface addresses */
	uint8_t len;
};

enum cfg_id_type {
	CFG_ID_NONE = 0,
	CFG_ID_IPV4,      /* ID_IPV4_ADDR */
	CFG_ID_IPV6,      /* ID_IPV6_ADDR */
	CFG_ID_FQDN,      /* ID_FQDN */
	CFG_ID_USER_FQDN, /* ID_RFC822_ADDR */
	CFG_ID_KEY_ID,    /* ID_KEY_ID, configured as hex */
};

struct cfg_id {
	enum cfg_id_type type;
	uint16_t len;
	uint8_t data[CFG_ID_MAX]; /* address bytes, FQDN/e-mail text (no NUL), or key-id bytes */
	/* Wildcards (on-demand only): FQDN "*.example.com" or "*.*.com"; IPv4 "*" */
	bool wildcard;
};

/* ---- IKE ------------------------------------------------------------------------------- */

enum cfg_ike_version { CFG_IKEV1 = 1, CFG_IKEV2 = 2 };
enum cfg_auth_method { CFG_AUTH_PSK = 0, CFG_AUTH_RSA_SIG };
enum cfg_conn_type { CFG_CONN_BOTH = 0, CFG_CONN_INITIATOR_ONLY, CFG_CONN_RESPONDER_ONLY };
enum cfg_ike_mode { CFG_MODE_MAIN = 0, CFG_MODE_AGGRESSIVE }; /* IKEv1 only */

struct cfg_ike_proposal {
	TAILQ_ENTRY(cfg_ike_proposal) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	enum cfg_ike_version version;
	char *description;                /* owned, NULL if none */
	uint16_t dh_group;                /* default 1 (seed 004 Table 1) */
	enum cfg_integ integ;             /* default hmac-sha1-96; NONE with an AEAD cipher */
	enum cfg_encr encr;               /* default aes-128-cbc */
	enum cfg_prf prf;                 /* IKEv2 only; default hmac-sha1 */
	enum cfg_auth_method auth_method; /* IKEv1 only; default pre-shared-key */
	uint32_t lifetime_sec;            /* IKEv1 only; default 86400 */
};

enum cfg_psk_kind { CFG_PSK_NONE = 0, CFG_PSK_KEY, CFG_PSK_AAA };

struct cfg_psk {
	enum cfg_psk_kind kind;
	struct secret key; /* CFG_PSK_KEY: the key bytes, whichever way they were written */
};

struct cfg_ike_proposal_ref {
	uint32_t seq;
	char name[CFG_NAME_MAX];
	struct cfg_ike_proposal *prop; /* resolved */
	struct cfg_loc loc;
};

struct cfg_context;

struct cfg_ike_policy {
	TAILQ_ENTRY(cfg_ike_policy) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	struct cfg_context *ctx; /* the context it was defined in */
	enum cfg_ike_version version;
	char *description;
	enum cfg_conn_type conn_type;     /* default both */
	struct cfg_id id_local;           /* NONE: the local endpoint address is used */
	struct cfg_id id_remote;          /* NONE: any (static tunnels use their remote-id) */
	enum cfg_ike_mode mode;           /* IKEv1 only; default main */
	enum cfg_auth_method auth_method; /* default pre-shared-key */
	bool validate_cert_id;
	bool addr_alloc_aaa;
	uint32_t lifetime_sec; /* IKEv2 only: IKE SA lifetime; default 86400 */
	struct cfg_psk psk;
	struct cfg_ike_proposal_ref props[CFG_MAX_IKE_PROPOSALS]; /* sorted by seq */
	unsigned nprops;
};

/* ---- IPsec ----------------------------------------------------------------------------- */

struct cfg_ipsec_proposal {
	TAILQ_ENTRY(cfg_ipsec_proposal) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	char *description;
	bool esp;                 /* false for an AH-only proposal */
	enum cfg_encr esp_encr;   /* default aes-128-cbc; NULL = "esp encryption null" */
	enum cfg_integ esp_integ; /* default hmac-sha1-96; NONE with AEAD */
	bool ah;
	enum cfg_integ ah_integ;
	bool ipcomp;
	bool esn;                 /* tandem: ESN yes+no offered, either accepted; else no */
	uint32_t lifetime_sec;    /* default 86400 */
	uint64_t lifetime_kbytes; /* 0 = no traffic limit (default) */
};

struct cfg_ipsec_proposal_ref {
	uint32_t seq;
	char name[CFG_NAME_MAX];
	struct cfg_ipsec_proposal *prop;
	struct cfg_loc loc;
};

struct cfg_ipsec_policy {
	TAILQ_ENTRY(cfg_ipsec_policy) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	char *description;
	uint32_t replay_window; /* packets; default 64; 0 disables; otherwise 32..4096 */
	uint16_t pfs_group;     /* 0 = no PFS */
	struct cfg_ipsec_proposal_ref props[CFG_MAX_IPSEC_PROPS];
	unsigned nprops;
};

struct cfg_port_range {
	uint16_t lo, hi; /* 0..65535 = any */
};

struct cfg_acl_rule {
	uint32_t seq;
	struct cfg_loc loc;
	uint8_t proto;         /* IP protocol, 0 = any */
	struct cfg_prefix src; /* local side of the traffic; family 0 = any */
	struct cfg_prefix dst; /* remote side */
	struct cfg_port_range sport, dport;
};

struct cfg_acl {
	TAILQ_ENTRY(cfg_acl) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	struct cfg_context *ctx;
	char *description;
	struct cfg_acl_rule *rules; /* owned array, sorted by seq */
	unsigned nrules;
};

/* One direction of a manual SA (seed 004 §8.3). */
struct cfg_sa_dir {
	bool set;
	bool esp;
	uint32_t esp_spi;
	enum cfg_encr esp_encr;
	struct secret esp_encr_key;
	enum cfg_integ esp_integ;
	struct secret esp_integ_key;
	bool ah;
	uint32_t ah_spi;
	enum cfg_integ ah_integ;
	struct secret ah_key;
};

struct cfg_ipsec_sa {
	TAILQ_ENTRY(cfg_ipsec_sa) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	char *description;
	uint32_t replay_window;
	bool ipcomp;
	bool both;             /* "both": in and out are the same */
	struct cfg_sa_dir in;  /* with both, a copy of the shared settings */
	struct cfg_sa_dir out; /* with both, a copy of the shared settings */
};

struct cfg_qos_policy {
	TAILQ_ENTRY(cfg_qos_policy) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	uint8_t num_queues; /* 1 or 4 */
};

/* ---- engines (the seeds' ASP pools and groups) ------------------------------------------ */

struct cfg_asp_pool {
	TAILQ_ENTRY(cfg_asp_pool) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	char asps[CFG_MAX_POOL_ASPS][16]; /* "slot/asp" as written, e.g. "2/1" */
	unsigned nasps;
};

struct cfg_asp_group {
	TAILQ_ENTRY(cfg_asp_group) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	char pool_name[CFG_NAME_MAX];
	struct cfg_asp_pool *pool;
	uint32_t asp_count;      /* default 1; at most the pool's size */
	struct cfg_loc pool_loc; /* where "pool P" named the pool (diagnostics) */
};

/* ---- contexts, interfaces, routes ------------------------------------------------------- */

enum cfg_if_kind {
	CFG_IF_PLAIN = 0,
	CFG_IF_LOOPBACK,
	CFG_IF_IPSEC,           /* "interface NAME ipsec": a tunnel interface */
	CFG_IF_IPSEC_MULTIBIND, /* on-demand tunnels bind here */
};

struct cfg_tunnel;

struct cfg_interface {
	TAILQ_ENTRY(cfg_interface) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	struct cfg_context *ctx;
	enum cfg_if_kind kind;
	char *description;
	struct cfg_prefix addrs[CFG_MAX_IF_ADDRS]; /* host part kept: 192.168.2.1/30 */
	unsigned naddrs;
	char unnumbered[CFG_NAME_MAX]; /* "ip unnumbered IF", "" if none */
	struct cfg_interface *unnumbered_if;
	struct cfg_tunnel *bound_by;   /* the tunnel bound to it (static/manual), if any */
	struct cfg_loc unnumbered_loc; /* where "ip unnumbered IF" named IF (diagnostics) */
};

struct cfg_route {
	TAILQ_ENTRY(cfg_route) entry;
	struct cfg_loc loc;
	struct cfg_context *ctx;
	struct cfg_prefix dst;
	bool via_if;             /* true: "ip route P IFNAME"; false: via a next hop */
	struct cfg_addr nexthop; /* !via_if */
	char ifname[CFG_NAME_MAX];
	struct cfg_interface *iface; /* via_if, resolved in the route's context */
	uint32_t cost;               /* default 0; becomes the kernel route metric */
	struct cfg_loc via_loc;      /* where the next hop or IFNAME was written (diagnostics) */
};

enum cfg_df_bit { CFG_DF_PROPAGATE = 0, CFG_DF_SET, CFG_DF_CLEAR };

/* "seq N ipsec-policy P [security-association SA] [access-group ACL]" */
struct cfg_tunnel_seq {
	uint32_t seq;
	struct cfg_loc loc;
	char policy_name[CFG_NAME_MAX]; /* "" for manual tunnels written without one */
	struct cfg_ipsec_policy *policy;
	char sa_name[CFG_NAME_MAX];
	struct cfg_ipsec_sa *sa;
	char acl_name[CFG_NAME_MAX]; /* "" = implicit wildcard (all traffic) */
	struct cfg_acl *acl;
	/* Where each name was written (diagnostics). */
	struct cfg_loc policy_loc, sa_loc, acl_loc;
};

struct cfg_profile {
	TAILQ_ENTRY(cfg_profile) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	struct cfg_context *ctx;
	char *description; /* owned, NULL if none */
	enum cfg_df_bit df_bit;
	uint32_t mtu; /* 0 = not set */
	struct cfg_tunnel_seq seqs[CFG_MAX_TUNNEL_SEQS];
	unsigned nseqs;
};

struct cfg_context {
	TAILQ_ENTRY(cfg_context) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	bool implicit;     /* "local" when the file never names it */
	char *description; /* owned, NULL if none */
	TAILQ_HEAD(, cfg_interface) interfaces;
	TAILQ_HEAD(, cfg_ike_policy) ike_policies;
	TAILQ_HEAD(, cfg_acl) acls;
	TAILQ_HEAD(, cfg_profile) profiles;
	TAILQ_HEAD(, cfg_route) routes;
	char asp_group_name[CFG_NAME_MAX]; /* "asp-group G service security", "" if none */
	struct cfg_asp_group *asp_group;
	bool ike_keepalive;           /* DPD (seed 004 §6.3); default off */
	uint32_t dpd_interval_sec;    /* tandem extension; default 10 */
	uint32_t dpd_retries;         /* tandem extension; default 3 */
	struct cfg_loc asp_group_loc; /* where "asp-group G" named G (diagnostics) */
};

/* ---- tunnels --------------------------------------------------------------------------- */

enum cfg_tunnel_kind { CFG_TUNNEL_STATIC = 0, CFG_TUNNEL_ON_DEMAND, CFG_TUNNEL_MANUAL };

struct cfg_tunnel {
	TAILQ_ENTRY(cfg_tunnel) entry;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	enum cfg_tunnel_kind kind;
	bool economical; /* accepted and recorded; no effect in tandem */
	char *description;
	bool shutdown; /* administratively down */
	/* peer-end-point local A [remote B] [context C] */
	struct cfg_addr local;
	struct cfg_addr remote;      /* family 0 for on-demand */
	char ctx_name[CFG_NAME_MAX]; /* after parsing: "local" when not written */
	struct cfg_context *ctx;     /* the signalling context (default "local") */
	/* bind interface IF [CTX] */
	char bind_if[CFG_NAME_MAX];
	char bind_ctx[CFG_NAME_MAX]; /* after parsing: ctx_name when not written */
	struct cfg_interface *bind;
	struct cfg_id remote_id;
	char ike_policy_name[CFG_NAME_MAX];
	struct cfg_ike_policy *ike_policy; /* resolved in ctx */
	struct cfg_tunnel_seq seqs[CFG_MAX_TUNNEL_SEQS];
	unsigned nseqs;
	enum cfg_df_bit df_bit;
	uint32_t mtu; /* 0 = not set: the engine uses the path MTU minus overhead */
	char qos_name[CFG_NAME_MAX];
	struct cfg_qos_policy *qos;
	bool ts_guided_routes;
	uint32_t max_tunnels;        /* on-demand only; 0 = unlimited */
	struct cfg_profile *profile; /* on-demand: the profile named like the tunnel */
	/*
	 * Where each part was written, for diagnostics: the peer-end-point statement, its local
	 * address and context tokens, the bind interface and its context, remote-id, ike-policy
	 * and qos policy names. line 0 = not written.
	 */
	struct cfg_loc pep_loc, local_loc, ctx_loc, bind_loc, bind_ctx_loc, remote_id_loc;
	struct cfg_loc ike_policy_loc, qos_loc;
};

/* ---- cluster --------------------------------------------------------------------------- */

struct cfg_cluster_node {
	struct cfg_loc loc;
	char name[CFG_NAME_MAX];
	uint32_t id;          /* corosync node id, 1..2^31-1 */
	uint8_t priority;     /* 1..255, higher wins */
	struct cfg_addr addr; /* the node's address on the sync network */
};

struct cfg_vip {
	struct cfg_loc loc;
	struct cfg_prefix prefix; /* address with its prefix length, e.g. 192.0.2.10/24 */
	char ifname[CFG_IFNAME_MAX];
};

struct cfg_cluster {
	bool present;
	struct cfg_loc loc;
	char name[CFG_NAME_MAX]; /* also the CPG group name */
	struct cfg_cluster_node nodes[CFG_MAX_CLUSTER_NODES];
	unsigned nnodes;
	bool preempt;
	struct cfg_vip vips[CFG_MAX_VIPS];
	unsigned nvips;
	uint32_t lease_size;          /* outbound ESP sequence numbers per lease; default 65536 */
	uint32_t lease_refill_pct;    /* ask for the next lease at this % used; default 50 */
	uint32_t replay_report_every; /* inbound highest-seq report granularity; default 1024 */
};

/* ---- the whole configuration ----------------------------------------------------------- */

struct cfg {
	TAILQ_HEAD(, cfg_ike_proposal) ike_proposals;
	TAILQ_HEAD(, cfg_ipsec_proposal) ipsec_proposals;
	TAILQ_HEAD(, cfg_ipsec_policy) ipsec_policies;
	TAILQ_HEAD(, cfg_ipsec_sa) ipsec_sas;
	TAILQ_HEAD(, cfg_qos_policy) qos_policies;
	TAILQ_HEAD(, cfg_asp_pool) asp_pools;
	TAILQ_HEAD(, cfg_asp_group) asp_groups;
	TAILQ_HEAD(, cfg_context) contexts;
	TAILQ_HEAD(, cfg_tunnel) tunnels;
	struct cfg_cluster cluster;
	/*
	 * Global IKE settings (tandem extensions; docs/configuration.md, "Global statements"):
	 * the number of half-open IKE SAs above which the responder demands cookies (RFC 7296
	 * §2.6; 1..100000, default 30), the first retransmission timeout (100..60000 ms, default
	 * 1000) and the sends of a request before giving up (1..20, default 6).
	 */
	uint32_t ike_cookie_threshold;
	uint32_t ike_retransmit_base_ms;
	uint32_t ike_retransmit_tries;
	/*
	 * "metrics listen ADDRESS:PORT" (docs/monitoring.md): where tandemd serves its Prometheus
	 * endpoint. metrics_addr.family 0: not configured, no endpoint.
	 */
	struct cfg_addr metrics_addr;
	uint16_t metrics_port;
	char *source_name; /* owned: the name given to cfg_parse; cfg_loc.file points here */
	unsigned nwarnings;
};

/* ---- diagnostics ----------------------------------------------------------------------- */

enum cfg_diag_sev { CFG_DIAG_ERROR = 0, CFG_DIAG_WARNING };

struct cfg_diag {
	enum cfg_diag_sev sev;
	uint32_t line, col;
	char msg[512]; /* "in 'STATEMENT': what is wrong (expected …)"; never holds a secret */
};

struct cfg_diags {
	char file[256];
	struct cfg_diag *v; /* owned */
	size_t n, cap;
	size_t nerrors, nwarnings;
};

void cfg_diags_init(struct cfg_diags *d);
void cfg_diags_fini(struct cfg_diags *d);
/* Formats every diagnostic as "FILE:LINE:COL: error|warning: MSG\n" into out. */
void cfg_diags_print(const struct cfg_diags *d, struct buf *out);

/* ---- masking of secrets (seed 003) ------------------------------------------------------ */

/*
 * Keys derived from the cluster's master key file. A masked secret is deterministic for one
 * master key (so configuration digests agree across nodes that share the key) and can be
 * pasted back into a configuration as "masked-key BASE64". docs/configuration.md, "Secrets".
 */
struct cfg_mask_key {
	uint8_t k_enc[32];
	uint8_t k_iv[32];
	uint8_t id[4]; /* first bytes of a hash of the master key: names which key masked */
};

/* Derives the mask keys from master key bytes (at least 16). Returns 0 or -EINVAL. */
int cfg_mask_key_derive(struct cfg_mask_key *mk, const uint8_t *master, size_t len);
void cfg_mask_key_wipe(struct cfg_mask_key *mk);
/* Reads a master key file (raw bytes, 16..1024). Returns 0, -ENOENT, -EINVAL or -errno. */
int cfg_mask_key_load(const char *path, struct cfg_mask_key *mk);
/* Creates a new master key file (32 random bytes, mode 0600); fails if it exists. */
int cfg_mask_key_create(const char *path);
/* Masks secret bytes into base64 text. Returns 0 or -ENOMEM. */
int cfg_mask(const struct cfg_mask_key *mk, const uint8_t *p, size_t len, struct buf *out);
/*
 * Unmasks base64 text. Returns 0, -EBADMSG (not a masked key, or damaged), -EKEYREJECTED
 * (masked with another master key; *other_id gets that key's id), or -ENOMEM.
 */
int cfg_unmask(const struct cfg_mask_key *mk, const char *text, struct secret *out,
               uint8_t other_id[4]);

/* ---- parsing, printing, lookup ---------------------------------------------------------- */

/*
 * Parses configuration text. Pure: no files, no clock, no randomness. `name` is used in
 * diagnostics and cfg_loc. `mk` unmasks "masked-key" values; NULL makes each one an error.
 * Returns 0 with *out set when there are no errors (warnings allowed), -EINVAL when there
 * are errors (*out NULL, every error in diags), -ENOMEM. Stops after 100 errors.
 */
int cfg_parse(const char *name, const char *text, size_t len, const struct cfg_mask_key *mk,
              struct cfg **out, struct cfg_diags *diags);
/*
 * Reads a file and parses it; an unreadable file is one error in diags. Returns as cfg_parse,
 * or -errno when the file cannot be read (-EFBIG when it is longer than 16 MiB).
 */
int cfg_load_file(const char *path, const struct cfg_mask_key *mk, struct cfg **out,
                  struct cfg_diags *diags);
void cfg_free(struct cfg *cfg);

enum cfg_print_mode {
	CFG_PRINT_CHANGED = 0, /* only values that differ from their defaults */
	CFG_PRINT_VERBOSE,     /* every value: the canonical form */
};

/*
 * Writes the configuration in canonical form: objects sorted by name, seq entries by seq,
 * fixed indentation, ignored vendor statements dropped. Secrets are written as masked keys
 * with `mk`, or as "<hidden>" when mk is NULL (not loadable then). The output parses back to
 * an equal configuration. Returns 0 or -ENOMEM.
 */
int cfg_print(const struct cfg *cfg, const struct cfg_mask_key *mk, enum cfg_print_mode mode,
              struct buf *out);
/* SHA-256 of the verbose canonical form with masked secrets: equal for equal meaning. */
int cfg_digest(const struct cfg *cfg, const struct cfg_mask_key *mk, uint8_t out[32]);

struct cfg_context *cfg_find_context(const struct cfg *cfg, const char *name);
struct cfg_tunnel *cfg_find_tunnel(const struct cfg *cfg, const char *name);
struct cfg_asp_group *cfg_find_asp_group(const struct cfg *cfg, const char *name);
const struct cfg_cluster_node *cfg_find_node(const struct cfg *cfg, const char *name);
unsigned cfg_count_tunnels(const struct cfg *cfg);

/* "192.0.2.1", "2001:db8::/32": into out (room for 64). */
void cfg_addr_str(const struct cfg_addr *a, char *out, size_t cap);
void cfg_prefix_str(const struct cfg_prefix *p, char *out, size_t cap);
/* Identity as configured, e.g. "fqdn gw.example.com", "key-id 0a0b", "192.0.2.1". */
void cfg_id_str(const struct cfg_id *id, char *out, size_t cap);

#endif
