/* SPDX-License-Identifier: MIT */
/*
 * The complete, exportable state of an IKE SA and of its Child SAs: what the engine hands
 * to observers at every change, what the replication layer carries to standbys, and what a
 * node that takes over imports to continue the SA without a new negotiation. Plain data
 * whose only pointers are owned: the secrets, the Child SAs (as many as there are) and each
 * Child SA's traffic selectors (as many as were negotiated). Copy it with ike_sa_state_copy
 * (deep) and release it with ike_sa_state_clear; a plain struct assignment moves ownership.
 */
#ifndef TANDEM_NODE_IKE_IKE_STATE_H
#define TANDEM_NODE_IKE_IKE_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "node/config/cfg.h"
#include "node/core/secret.h"
#include "node/esp/esp_params.h"

#define IKE_STATE_MAX_CHILDREN 16 /* Child SAs per IKE SA (more: NO_ADDITIONAL_SAS) */

enum ike_sa_phase {
	IKE_PHASE_INIT_SENT = 1, /* initiator: IKE_SA_INIT request out */
	IKE_PHASE_INIT_DONE,     /* keys derived, IKE_AUTH not finished */
	IKE_PHASE_ESTABLISHED,   /* authenticated */
	IKE_PHASE_REKEYING,      /* an IKE SA rekey is under way */
	IKE_PHASE_DELETING,      /* a Delete is out */
	IKE_PHASE_STANDBY,       /* imported on a standby: no sends, no timers */
};

/* What the request we have outstanding is about (ike_sa_state.req_kind). */
enum ike_req_kind {
	IKE_REQ_NONE = 0,
	IKE_REQ_INIT,         /* IKE_SA_INIT */
	IKE_REQ_AUTH,         /* IKE_AUTH */
	IKE_REQ_CHILD_CREATE, /* CREATE_CHILD_SA: an additional Child SA */
	IKE_REQ_CHILD_REKEY,  /* CREATE_CHILD_SA with REKEY_SA for req_child_id */
	IKE_REQ_IKE_REKEY,    /* CREATE_CHILD_SA rekeying this IKE SA */
	IKE_REQ_CHILD_DELETE, /* INFORMATIONAL Delete of req_child_id */
	IKE_REQ_IKE_DELETE,   /* INFORMATIONAL Delete of this IKE SA */
	IKE_REQ_DPD,          /* empty INFORMATIONAL: liveness check */
	IKE_REQ_MID_SYNC,     /* RFC 6311 synchronisation, message ID 0 */
	IKE_REQ_NOTIFY,       /* INFORMATIONAL carrying a notify (INVALID_SPI) */
};

struct ike_child_state {
	uint64_t child_id;        /* unique on the node that created it; pairs in/out SAs */
	uint32_t spi_in, spi_out; /* inbound: ours; outbound: the peer's */
	uint32_t seq_index;       /* which `seq N ipsec-policy` of the tunnel it serves: N */
	enum cfg_encr encr;
	enum cfg_integ integ;
	uint16_t pfs_group; /* 0 without PFS */
	bool esn;
	bool udp_encap;
	uint32_t replay_window;
	struct secret enc_in, integ_in, enc_out, integ_out;
	uint8_t nts_local, nts_remote; /* each at most ESP_MAX_TS */
	struct esp_ts
	        *ts; /* owned: the nts_local local selectors, then the nts_remote remote ones */
	int64_t established_unix;           /* wall clock, for displays */
	uint64_t established_ms;            /* engine clock */
	uint64_t rekey_at_ms, expire_at_ms; /* 0: none */
	uint64_t soft_bytes, hard_bytes;
	/* sequence numbers as last replicated (DESIGN.md leases) */
	uint64_t out_lease_limit; /* outbound: numbers below this may have been used */
	uint64_t in_highest;      /* inbound: highest accepted number last reported */
	bool rekeyed;             /* replaced by a newer Child SA, kept until deleted */
};

struct ike_sa_state {
	uint64_t spi_i, spi_r;
	bool initiator; /* we initiated this IKE SA */
	enum ike_sa_phase phase;
	char tunnel[CFG_NAME_MAX];
	struct sockaddr_storage local, remote; /* addresses and ports in use now */
	bool nat_local, nat_remote;            /* NAT detected in front of us / of the peer */
	struct cfg_id id_local, id_remote;
	enum cfg_encr encr;
	enum cfg_integ integ;
	enum cfg_prf prf;
	uint16_t dh_group;
	struct secret sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
	/* message IDs (RFC 7296 §2.2) */
	uint32_t msgid_next_send; /* the ID our next request will carry */
	uint32_t msgid_next_recv; /* the ID we expect on the peer's next request */
	bool peer_msgid_sync;  /* the peer announced IKEV2_MESSAGE_ID_SYNC_SUPPORTED (RFC 6311) */
	bool peer_replay_sync; /* ... IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED */
	int64_t established_unix;
	uint64_t established_ms, rekey_at_ms, expire_at_ms;
	uint8_t nchildren;             /* at most IKE_STATE_MAX_CHILDREN */
	struct ike_child_state *child; /* owned array of nchildren (NULL: none) */
	/* IKE_CH_REKEYED: the SPIs of the IKE SA this one replaced (0 otherwise) */
	uint64_t old_spi_i, old_spi_r;
	/*
	 * The exchanges in flight (RFC 7296 §2.1), so that a node that takes over completes them
	 * instead of breaking the SA: our request that has no response yet (the datagram as sent,
	 * what it is about, its message ID), and our response to the peer's last request (message
	 * ID msgid_next_recv - 1), which answers a retransmission of that request. Encrypted
	 * datagrams, not key material, held in struct secret for its ownership rules. Empty when
	 * there is none. docs/ike.md, "Taking over".
	 */
	struct secret req_out;
	enum ike_req_kind req_kind;
	uint32_t req_msgid;
	uint64_t req_child_id; /* CHILD_REKEY, CHILD_DELETE: the Child SA concerned */
	uint32_t req_spi;      /* CHILD_CREATE, CHILD_REKEY: the inbound SPI we proposed */
	struct secret resp_last;
};

/* A Child SA's selectors of each side (borrowed from c). */
static inline const struct esp_ts *
ike_child_ts_local(const struct ike_child_state *c)
{
	return c->ts;
}

static inline const struct esp_ts *
ike_child_ts_remote(const struct ike_child_state *c)
{
	return c->ts ? c->ts + c->nts_local : NULL;
}

/* Replaces c's selectors with copies (at most ESP_MAX_TS each side). 0 or -ENOMEM (c as it
 * was). */
int ike_child_state_set_ts(struct ike_child_state *c, const struct esp_ts *local, uint8_t nlocal,
                           const struct esp_ts *remote, uint8_t nremote);
/* Wipes c's keys and frees its selectors (the struct itself is caller storage). */
void ike_child_state_clear(struct ike_child_state *c);

/*
 * Releases everything s owns: secrets wiped, Child SAs and selectors freed; s is left empty
 * (no Child SAs). The struct itself is caller storage.
 */
void ike_sa_state_clear(struct ike_sa_state *s);
/* Deep copy into dst (whose contents are overwritten, not released). 0, or -ENOMEM with dst
 * left empty. */
int ike_sa_state_copy(struct ike_sa_state *dst, const struct ike_sa_state *src);

#endif
