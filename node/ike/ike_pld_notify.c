/* SPDX-License-Identifier: MIT */
/*
 * The Notify (RFC 7296 §3.10) and Delete (§3.11) payloads: protocol, SPI size and SPIs,
 * plus the data lengths the RFCs fix for the notifies tandem reads (NAT detection, COOKIE,
 * INVALID_KE_PAYLOAD, signature hash algorithms, RFC 6311 message ID sync). Parsed into
 * struct ike_pld_notify / ike_pld_delete and built from plain arguments.
 */
#include <errno.h>
#include <string.h>

#include "node/ike/ike_msg.h"
#include "node/ike/ike_msg_int.h"

#define NOTIFY_HDR_LEN 4 /* Protocol ID, SPI Size, Notify Message Type */
#define DELETE_HDR_LEN 4 /* Protocol ID, SPI Size, Num of SPIs */
#define CHILD_SPI_LEN  4
#define PROTO_NONE     0

/* Data lengths fixed by the RFCs; anything else is read by the exchange code. */
struct notify_rule {
	uint16_t type;
	uint16_t min, max;
	bool even; /* a list of 16-bit numbers */
};

static const struct notify_rule notify_rules[] = {
        {IKE_N_INVALID_KE_PAYLOAD, 2, 2, false},                /* §3.10.1: the accepted group */
        {IKE_N_NAT_DETECTION_SOURCE_IP, 20, 20, false},         /* §2.23: SHA-1 */
        {IKE_N_NAT_DETECTION_DESTINATION_IP, 20, 20, false},    /* §2.23: SHA-1 */
        {IKE_N_COOKIE, 1, 64, false},                           /* §2.6: 1 to 64 octets */
        {IKE_N_SIGNATURE_HASH_ALGORITHMS, 0, UINT16_MAX, true}, /* RFC 7427 §4 */
        {IKE_N_IKEV2_MESSAGE_ID_SYNC, 12, 12, false}, /* RFC 6311 §4.1: nonce, 2 message IDs */
};

static const struct notify_rule *
notify_rule(uint16_t type)
{
	for (size_t i = 0; i < sizeof(notify_rules) / sizeof(notify_rules[0]); i++)
		if (notify_rules[i].type == type)
			return &notify_rules[i];
	return NULL;
}

/*
 * §3.10 Protocol ID and SPI Size: "If the SPI field is empty, this field MUST be sent as
 * zero and MUST be ignored on receipt", so the protocol is only checked with an SPI. An IKE
 * SA notify has none ("the SPI Size MUST be zero"); a Child SA notify names AH or ESP and
 * carries its 4-octet SPI.
 */
static int
check_notify_spi(struct ike_pctx *pc, uint8_t proto, uint8_t spi_len)
{
	if (spi_len == 0)
		return 0;
	if (proto > IKE_PROTO_ESP)
		return ike_perr_set(pc, IKE_REJ_NOTIFY_PROTOCOL_ID, proto, 0);
	if (proto == IKE_PROTO_IKE)
		return ike_perr_set(pc, IKE_REJ_NOTIFY_IKE_SPI_SIZE, spi_len, 0);
	if (proto == PROTO_NONE || spi_len != CHILD_SPI_LEN)
		return ike_perr_set(pc, IKE_REJ_NOTIFY_SPI_SIZE, spi_len, proto);
	return 0;
}

static int
check_notify_data(struct ike_pctx *pc, const struct ike_pld_notify *n)
{
	const struct notify_rule *r = notify_rule(n->type);
	size_t len = cur_left(&n->data);

	if (!r)
		return 0;
	if (len < r->min || len > r->max || (r->even && len % 2 != 0))
		return ike_perr_set(pc, IKE_REJ_NOTIFY_LENGTH, r->min, (uint32_t)len);
	return 0;
}

/*
 * §3.10:
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * ~                Security Parameter Index (SPI)                 ~
 * ~                       Notification Data                       ~
 */
int
ike_pld_parse_notify(struct ike_pctx *pc, struct cur body)
{
	struct ike_msg *msg = pc->msg;
	struct ike_pld_notify n;
	size_t left = cur_left(&body);
	int rc;

	if (left < NOTIFY_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_NOTIFY_INCOMPLETE, (uint32_t)left, 0);
	memset(&n, 0, sizeof(n));
	(void)(cur_get_u8(&body, &n.proto) && cur_get_u8(&body, &n.spi_len) &&
	       cur_get_n16(&body, &n.type));
	rc = check_notify_spi(pc, n.proto, n.spi_len);
	if (rc)
		return rc;
	if (!cur_get_bytes(&body, n.spi_len, &n.spi))
		return ike_perr_set(pc, IKE_REJ_NOTIFY_LENGTH, NOTIFY_HDR_LEN + n.spi_len,
		                    (uint32_t)left);
	n.data = body;
	rc = check_notify_data(pc, &n);
	if (rc)
		return rc;
	if (msg->nnotify >= IKE_MAX_NOTIFIES)
		return ike_perr_set(pc, IKE_REJ_NOTIFY_TOO_MANY, IKE_MAX_NOTIFIES, 0);
	msg->notify[msg->nnotify++] = n;
	return 0;
}

/*
 * §3.11:
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * ~               Security Parameter Index(es) (SPI)              ~
 * The IKE SA is deleted with protocol 1 "but no SPIs" (SPI Size 0, Num of SPIs 0); AH and
 * ESP SAs by their 4-octet inbound SPIs.
 */
int
ike_pld_parse_delete(struct ike_pctx *pc, struct cur body)
{
	struct ike_msg *msg = pc->msg;
	struct ike_pld_delete d;
	size_t left = cur_left(&body), want;

	if (left < DELETE_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_DELETE_LENGTH, DELETE_HDR_LEN, (uint32_t)left);
	memset(&d, 0, sizeof(d));
	(void)(cur_get_u8(&body, &d.proto) && cur_get_u8(&body, &d.spi_len) &&
	       cur_get_n16(&body, &d.nspi));
	if (d.proto < IKE_PROTO_IKE || d.proto > IKE_PROTO_ESP)
		return ike_perr_set(pc, IKE_REJ_DELETE_PROTOCOL_ID, d.proto, 0);
	if (d.proto == IKE_PROTO_IKE && (d.spi_len != 0 || d.nspi != 0))
		return ike_perr_set(pc, IKE_REJ_DELETE_IKE_SPI_SIZE, d.spi_len, d.nspi);
	if (d.proto != IKE_PROTO_IKE && d.spi_len != CHILD_SPI_LEN)
		return ike_perr_set(pc, IKE_REJ_DELETE_SPI_SIZE, d.spi_len, d.proto);
	want = (size_t)d.nspi * d.spi_len;
	if (want != cur_left(&body))
		return ike_perr_set(pc, IKE_REJ_DELETE_LENGTH, (uint32_t)(DELETE_HDR_LEN + want),
		                    (uint32_t)left);
	d.spis = body;
	if (msg->ndelete >= IKE_MAX_DELETES)
		return ike_perr_set(pc, IKE_REJ_TOO_MANY_PAYLOADS, IKE_PLD_DELETE, IKE_MAX_DELETES);
	msg->del[msg->ndelete++] = d;
	return 0;
}

int
ike_mb_notify(struct ike_mb *mb, uint8_t proto, const uint8_t *spi, uint8_t spi_len, uint16_t type,
              const uint8_t *data, size_t len)
{
	size_t off;
	int rc;

	if (spi_len > IKE_MAX_SPI_LEN || len > IKE_MSG_MAX_LEN)
		return ike_mb_fail(mb, -EINVAL);
	rc = ike_mb_open(mb, IKE_PLD_NOTIFY, NOTIFY_HDR_LEN + spi_len + len, &off);
	if (rc)
		return rc;
	(void)(buf_put_u8(&mb->b, proto) && buf_put_u8(&mb->b, spi_len) &&
	       buf_put_n16(&mb->b, type) && buf_put(&mb->b, spi, spi_len) &&
	       buf_put(&mb->b, data, len));
	return ike_mb_close(mb, off);
}

int
ike_mb_delete(struct ike_mb *mb, uint8_t proto, uint8_t spi_len, const uint8_t *spis, uint16_t nspi)
{
	size_t off, len = (size_t)spi_len * nspi;
	int rc;

	rc = ike_mb_open(mb, IKE_PLD_DELETE, DELETE_HDR_LEN + len, &off);
	if (rc)
		return rc;
	(void)(buf_put_u8(&mb->b, proto) && buf_put_u8(&mb->b, spi_len) &&
	       buf_put_n16(&mb->b, nspi) && buf_put(&mb->b, spis, len));
	return ike_mb_close(mb, off);
}
