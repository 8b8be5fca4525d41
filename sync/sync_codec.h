/* SPDX-License-Identifier: MIT */
/*
 * The replication protocol's codec (proto/sync.proto): every CPG message is one SyncMsg. Only
 * domain structs enter and leave: IKE SA states (node/ike/ike_state.h) with their Child SAs
 * and keys, deletes, leases, replay reports, node records, snapshot messages. Pure and
 * fuzzed (fuzz_sync_codec): hostile bytes are refused with a reason, never trusted.
 *
 * Times: IKE states keep engine-clock times (*_at_ms, monotonic, per node); the wire carries
 * Unix milliseconds. struct sync_clock says which Unix time an engine clock's mono_ms is (the
 * wall clock the IKE engine was given with ike_engine_set_wallclock).
 */
#ifndef TANDEM_SYNC_SYNC_CODEC_H
#define TANDEM_SYNC_SYNC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha/ha_role.h"
#include "node/config/cfg.h"
#include "node/core/buf.h"
#include "node/ike/ike_state.h"

#define SYNC_PROTO_VERSION 1u
#define SYNC_MSG_MAX       (1u << 20) /* a SyncMsg above this many bytes is refused */
#define SYNC_MAX_NODES     32u        /* SnapshotBegin.for_nodes */
#define SYNC_CHUNK_MAX_SAS 1024u      /* SaUpdates in one SnapshotChunk */
#define SYNC_CHUNK_MAX_SEQ 4096u      /* leases (and replay reports) in one SnapshotChunk */
#define SYNC_BLOB_MAX      65535u     /* req_out, resp_last: one IKE datagram at most */
#define SYNC_TEXT_MAX      256u       /* NodeRecord strings, Handover.reason */

enum sync_type {
	SYNC_T_NONE = 0,
	SYNC_T_NODE,
	SYNC_T_SA_UPDATE,
	SYNC_T_SA_DELETE,
	SYNC_T_LEASE,
	SYNC_T_REPLAY,
	SYNC_T_SNAP_BEGIN,
	SYNC_T_SNAP_CHUNK,
	SYNC_T_SNAP_END,
	SYNC_T_HANDOVER,
	SYNC_T_COUNT
};
/* "node", "sa_update", ... (the body's field name in sync.proto) */
const char *sync_type_name(enum sync_type t);

/* Why a message was refused (each has a counter: hactl show replication). */
enum sync_rej {
	SYNC_REJ_MALFORMED = 0, /* not a SyncMsg: truncated, bad wire type, too long */
	SYNC_REJ_VERSION,       /* a version this node does not speak */
	SYNC_REJ_NO_BODY,       /* no body, or one this node does not know */
	SYNC_REJ_SENDER,        /* `sender` is not the CPG node that sent it */
	SYNC_REJ_COUNT,         /* more Child SAs, selectors, SAs or nodes than allowed */
	SYNC_REJ_KEY_LENGTH,    /* a key whose length does not fit its algorithm */
	SYNC_REJ_ALGORITHM,     /* an algorithm or DH group tandem does not have */
	SYNC_REJ_FIELD,         /* any other value out of range (address, name, phase, SPI) */
	SYNC_REJ_UNKNOWN_SA,    /* a lease, replay report or delete for an SA not held */
	SYNC_REJ_STALE,         /* commit rule: not newer than the copy held */
	SYNC_REJ_NOT_ACTIVE,    /* SA state from a node that is not the active one */
	SYNC_REJ_SNAPSHOT,      /* a snapshot message out of sequence */
	SYNC_REJ_NR
};
/* "malformed", "version", ... (counter names) */
const char *sync_rej_name(enum sync_rej r);

/* Which Unix time (ms) the engine clock's mono_ms is. */
struct sync_clock {
	int64_t unix_ms;
	uint64_t mono_ms;
};

/* A view of bytes inside a decoded message (borrowed from the input). */
struct sync_slice {
	const uint8_t *p;
	size_t len;
};

struct sync_node_rec {
	char name[CFG_NAME_MAX];
	uint32_t priority;
	enum ha_role role;
	bool has_digest;
	uint8_t digest[HA_DIGEST_LEN];
	bool quorate, in_sync;
	uint32_t engines_up, engines_total;
	char version[32];
	uint64_t store_commit;
	char fault[SYNC_TEXT_MAX];
	uint64_t want_snapshot;
	uint32_t members;
	uint64_t ring_seq;
	uint64_t sync_ring;   /* the last quorate ring in which it held the whole store */
	bool sync_ring_whole; /* and it delivered that ring to its end */
};

struct sync_sa_update {
	uint64_t commit;
	uint32_t change;        /* enum ike_change */
	struct ike_sa_state st; /* owned: ike_sa_state_clear */
};

struct sync_sa_delete {
	uint64_t commit, spi_i, spi_r;
};

/* LeaseGrant (value = limit) and ReplayReport (value = highest). */
struct sync_seq {
	uint32_t spi;
	uint64_t value;
};

struct sync_snap_begin {
	uint32_t for_nodes[SYNC_MAX_NODES];
	unsigned nfor;
	uint64_t snapshot_id;
	uint32_t total_sas;
	uint64_t commit;
};

struct sync_snap_end {
	uint64_t snapshot_id;
	uint32_t chunks;
};

struct sync_handover {
	uint32_t to_node;
	uint64_t commit;
	char reason[SYNC_TEXT_MAX];
};

/*
 * A decoded SyncMsg. An SaUpdate stays raw in `body` (SyncMsg.sa_update_packed: the bytes a
 * store keeps); a SnapshotChunk is read with sync_decode_chunk. Both point into `pb`, the
 * message protobuf-c unpacked: release it with sync_msg_fini.
 */
struct sync_msg {
	uint32_t version, sender;
	uint64_t epoch;
	enum sync_type type;
	struct sync_slice body; /* SYNC_T_SA_UPDATE: the encoded SaUpdate, owned by pb */
	union {
		struct sync_node_rec node;
		struct sync_sa_delete del;
		struct sync_seq seq; /* SYNC_T_LEASE, SYNC_T_REPLAY */
		struct sync_snap_begin begin;
		struct sync_snap_end end;
		struct sync_handover handover;
	} u;
	void *pb; /* the unpacked SyncMsg (owned); NULL for a message built to be encoded */
};
/* Frees what sync_msg_decode unpacked; body and chunks decoded from m are gone after it. */
void sync_msg_fini(struct sync_msg *m);

/* A SnapshotChunk: the SaUpdates stay raw (decode each with sync_decode_sa_update). */
struct sync_snap_chunk {
	uint64_t snapshot_id;
	uint32_t index;
	struct sync_slice *sa; /* owned array; the slices borrow the sync_msg */
	size_t nsa;
	struct sync_seq *lease, *replay; /* owned arrays */
	size_t nlease, nreplay;
};
void sync_snap_chunk_fini(struct sync_snap_chunk *c);

/*
 * Decodes one CPG message of len bytes (the transport's length, at most SYNC_MSG_MAX) with
 * protobuf-c and checks its envelope and, except for SaUpdate and SnapshotChunk, its body.
 * Returns 0 (then sync_msg_fini(m)), or -EBADMSG with *why set (version, truncation, an
 * unknown body, counts or values out of range); m needs no fini after a failure.
 */
int sync_msg_decode(const uint8_t *p, size_t len, struct sync_msg *m, enum sync_rej *why);

/*
 * Decodes a raw SaUpdate (a SyncMsg body, or an element of a chunk) into a state whose times
 * are moved to the engine clock of clk. protobuf-c unpacks it within an allocation budget
 * proportional to len; counts are then checked, key lengths against the algorithms. Returns
 * 0 (out->st owned by the caller), -EBADMSG with *why, or -ENOMEM.
 */
int sync_decode_sa_update(const uint8_t *p, size_t len, const struct sync_clock *clk,
                          struct sync_sa_update *out, enum sync_rej *why);
/*
 * Only the identity of a raw SaUpdate, for the store: commit, SPIs, and its Child SAs' SPIs
 * and sequence state. Unpacked by protobuf-c like the full decode, but none of the semantic
 * checks, no keys copied into secrets, no times converted. Returns 0 or -EBADMSG with *why.
 */
struct sync_sa_keys {
	uint64_t commit, spi_i, spi_r;
	uint32_t spi_in[IKE_STATE_MAX_CHILDREN], spi_out[IKE_STATE_MAX_CHILDREN];
	uint64_t out_lease_limit[IKE_STATE_MAX_CHILDREN], in_highest[IKE_STATE_MAX_CHILDREN];
	unsigned nchild;
};
int sync_peek_sa_update(const uint8_t *p, size_t len, struct sync_sa_keys *k, enum sync_rej *why);

/*
 * The SnapshotChunk of a decoded message (m->type SYNC_T_SNAP_CHUNK), counts checked. Its
 * slices borrow m. Returns 0, -EBADMSG with *why, or -ENOMEM.
 */
int sync_decode_chunk(const struct sync_msg *m, struct sync_snap_chunk *out, enum sync_rej *why);

/*
 * Appends a raw SaUpdate for state st (times from the engine clock of clk to Unix ms); zero
 * values are left out. out should be a secret buffer (keys). Returns 0, -EINVAL (a count
 * beyond the limits) or -ENOMEM.
 */
int sync_encode_sa_update(const struct ike_sa_state *st, uint32_t change, uint64_t commit,
                          const struct sync_clock *clk, struct buf *out);
/* Appends a SyncMsg whose body is the raw SaUpdate given (t must be SYNC_T_SA_UPDATE). */
int sync_encode_raw(uint32_t sender, uint64_t epoch, enum sync_type t, const uint8_t *body,
                    size_t len, struct buf *out);
/* Appends a SyncMsg with m's small body (every type but SaUpdate and SnapshotChunk). */
int sync_encode_msg(const struct sync_msg *m, struct buf *out);

/*
 * SnapshotChunk bodies: begin clears c and sets the header fields; each add appends one
 * element (add_sa borrows raw until the chunk is encoded); sync_encode_chunk packs the
 * SyncMsg. `bytes` is what the elements will take on the wire, for pacing.
 */
struct sync_chunk_enc {
	uint64_t snapshot_id;
	uint32_t index;
	struct sync_slice *sa;
	struct sync_seq *lease, *replay;
	size_t nsa, nlease, nreplay;
	size_t cap_sa, cap_lease, cap_replay;
	size_t bytes;
};
int sync_chunk_begin(struct sync_chunk_enc *c, uint64_t snapshot_id, uint32_t index);
int sync_chunk_add_sa(struct sync_chunk_enc *c, const uint8_t *raw, size_t len);
int sync_chunk_add_seq(struct sync_chunk_enc *c, bool replay, uint32_t spi, uint64_t value);
int sync_encode_chunk(uint32_t sender, uint64_t epoch, const struct sync_chunk_enc *c,
                      struct buf *out);
void sync_chunk_enc_fini(struct sync_chunk_enc *c);

#endif
