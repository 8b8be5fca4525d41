/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the replication codec (sync/sync_codec.h): one CPG message as a peer
 * could send it (a SyncMsg, protobuf-c unpacked within its allocation budget). Envelope and
 * small bodies, SaUpdates (SyncMsg.sa_update_packed: full decode and the store's cheaper
 * peek, which must agree), snapshot chunks with every SA in them (sa_update_raw); a decoded
 * state is encoded again and must decode to the same identity; decoded SAs go through a
 * store. The corpus comes from the unit tests (SYNC_BUS_DUMP, tests/unit/sync/sync_bus.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/log.h"
#include "sync/sync_codec.h"
#include "sync/sync_store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_DEST_NONE, LOG_LVL_ERR);
	return 0;
}

static void
one_sa(struct sync_store *st, const uint8_t *p, size_t len)
{
	static const struct sync_clock clk = {1700000000000ll, 5000};
	struct sync_sa_update u;
	struct sync_sa_keys k, k2;
	enum sync_rej why;
	struct buf again;

	if (sync_decode_sa_update(p, len, &clk, &u, &why))
		return;
	/* what decodes fully also peeks, with the same identity */
	if (sync_peek_sa_update(p, len, &k, &why) || k.spi_i != u.st.spi_i ||
	    k.spi_r != u.st.spi_r || k.commit != u.commit || k.nchild != u.st.nchildren)
		abort();
	(void)sync_store_update(st, &k, p, len, 1);
	buf_init(&again, true);
	if (sync_encode_sa_update(&u.st, u.change, u.commit, &clk, &again) == 0 && buf_ok(&again)) {
		if (sync_peek_sa_update(again.b_data, again.b_len, &k2, &why) ||
		    k2.spi_i != k.spi_i || k2.spi_r != k.spi_r || k2.nchild != k.nchild)
			abort();
	}
	buf_fini(&again);
	ike_sa_state_clear(&u.st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	struct sync_store *st = sync_store_new(1);
	struct sync_snap_chunk c;
	struct sync_msg m;
	enum sync_rej why;

	if (!st)
		return 0;
	if (sync_msg_decode(p, len, &m, &why) == 0) {
		if (m.type == SYNC_T_SA_UPDATE) {
			one_sa(st, m.body.p, m.body.len);
		} else if (m.type == SYNC_T_SNAP_CHUNK && sync_decode_chunk(&m, &c, &why) == 0) {
			for (size_t i = 0; i < c.nsa; i++)
				one_sa(st, c.sa[i].p, c.sa[i].len);
			for (size_t i = 0; i < c.nlease; i++)
				(void)sync_store_seq(st, c.lease[i].spi, false, c.lease[i].value,
				                     true);
			for (size_t i = 0; i < c.nreplay; i++)
				(void)sync_store_seq(st, c.replay[i].spi, true, c.replay[i].value,
				                     true);
			sync_snap_chunk_fini(&c);
		} else if (m.type == SYNC_T_SA_DELETE) {
			(void)sync_store_delete(st, m.u.del.spi_i, m.u.del.spi_r, m.u.del.commit,
			                        true, 1, 0);
		}
		sync_msg_fini(&m);
	}
	/* the body alone as an SaUpdate too (the decoder must refuse anything, not trust it) */
	one_sa(st, p, len);
	sync_store_free(st);
	return 0;
}
