/* SPDX-License-Identifier: MIT */
/*
 * A worker's packet buffers, allocated once when the worker starts: the recvmmsg batch, the
 * ESP packets waiting for sendmmsg, a TUN super-packet, and the SAs a batch touched (their
 * lease, replay and lifetime events are polled after it). Nothing here is allocated per
 * packet (STYLE.md §2.5).
 */
#ifndef TANDEM_NODE_ENGINE_ENGINE_IO_H
#define TANDEM_NODE_ENGINE_ENGINE_IO_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "node/engine/engine_gro.h"
#include "node/engine/engine_int.h"

#define ENGINE_RX_BUF    (1u << 20) /* 64 datagrams of 16 KiB, or 16 GRO trains of 64 KiB */
#define ENGINE_RX_GRO_N  16u
#define ENGINE_TOUCHED   16u
#define ENGINE_CTL_SPACE 64u

union engine_cmsg {
	struct cmsghdr align;
	uint8_t b[ENGINE_CTL_SPACE];
};

struct engine_io {
	struct mmsghdr rmsg[ENGINE_BATCH];
	struct iovec riov[ENGINE_BATCH];
	struct sockaddr_storage rfrom[ENGINE_BATCH];
	union engine_cmsg rctl[ENGINE_BATCH];
	uint8_t *rbuf;

	uint8_t *tbuf; /* ENGINE_TX_SLOTS slots of ENGINE_SLOT bytes */
	unsigned tused;
	struct engine_txp tx[ENGINE_TX_SLOTS];
	unsigned ntx;
	struct mmsghdr smsg[ENGINE_TX_SLOTS];
	struct iovec siov[ENGINE_TX_SLOTS];
	union engine_cmsg sctl[ENGINE_TX_SLOTS];
	struct engine_sa *msa[ENGINE_TX_SLOTS]; /* the SA of each message being sent */

	uint8_t *gbuf; /* ENGINE_HEAD + ENGINE_VNET_HDR + ENGINE_GSO_BUF: a TUN super-packet */
	uint8_t *fbuf; /* ENGINE_PKT_MAX: a packet being fragmented, out of the slots' way */

	struct engine_gro gro; /* inbound TCP segments joined for one TUN write */

	struct engine_sa *touched[ENGINE_TOUCHED];
	unsigned ntouched;
	uint8_t icmp[1280 + 64];
};

/* Remembers that the batch touched sa; polls its events now if the list is full. */
void engine_io_touch(struct engine *e, struct engine_io *io, struct engine_sa *sa);
/* Polls the events of every SA the batch touched, then forgets them. */
void engine_io_events(struct engine *e, struct engine_io *io);

#endif
