/* SPDX-License-Identifier: MIT */
/*
 * The Key Exchange (RFC 7296 §3.4), Nonce (§3.9), Vendor ID (§3.12) and Configuration
 * (§3.15) payloads: parsed into views of the message and built from plain arguments. KE
 * data of a group with a fixed public value size must have that size (§3.4).
 */
#include <errno.h>
#include <string.h>

#include "node/ike/ike_msg.h"
#include "node/ike/ike_msg_int.h"

#define KE_HDR_LEN        4 /* Diffie-Hellman Group Num, RESERVED */
#define CP_HDR_LEN        4 /* CFG Type, RESERVED */
#define CP_ATTR_HDR_LEN   4 /* R, Attribute Type, Length */
#define CP_ATTR_TYPE_MASK 0x7fff

/* ---- Key Exchange (§3.4) ------------------------------------------------------------------
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * ~                       Key Exchange Data                       ~
 */

/*
 * Public value sizes fixed by the group's definition: "the length of the Diffie-Hellman
 * public value for MODP groups MUST be equal to the length of the prime modulus" (§3.4);
 * ECP x||y (RFC 5903 §7, RFC 6954), Curve25519/448 (RFC 8031 §2). Other groups (post-quantum
 * KEMs differ per direction) are left to the key exchange code.
 */
static const struct {
	uint16_t group;
	uint16_t len;
} ke_lens[] = {
        {1, 96},  {2, 128}, {5, 192},  {14, 256}, {15, 384}, {16, 512}, {17, 768}, {18, 1024},
        {19, 64}, {20, 96}, {21, 132}, {22, 128}, {23, 256}, {24, 256}, {25, 48},  {26, 56},
        {27, 56}, {28, 64}, {29, 96},  {30, 128}, {31, 32},  {32, 56},
};

static size_t
ke_len(uint16_t group)
{
	for (size_t i = 0; i < sizeof(ke_lens) / sizeof(ke_lens[0]); i++)
		if (ke_lens[i].group == group)
			return ke_lens[i].len;
	return 0;
}

int
ike_pld_parse_ke(struct ike_pctx *pc, struct cur body)
{
	struct ike_pld_ke *ke = &pc->msg->ke;
	size_t left = cur_left(&body), want;

	if (left <= KE_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_KE_INCOMPLETE, (uint32_t)left, 0);
	(void)(cur_get_n16(&body, &ke->group) && cur_skip(&body, 2));
	want = ke_len(ke->group);
	if (want && cur_left(&body) != want)
		return ike_perr_set(pc, IKE_REJ_KE_LENGTH, (uint32_t)want,
		                    (uint32_t)cur_left(&body));
	ke->data = body;
	pc->msg->has_ke = true;
	return 0;
}

int
ike_mb_ke(struct ike_mb *mb, uint16_t group, const uint8_t *data, size_t len)
{
	size_t off;
	int rc;

	rc = ike_mb_open(mb, IKE_PLD_KE, KE_HDR_LEN + len, &off);
	if (rc)
		return rc;
	(void)(buf_put_n16(&mb->b, group) && buf_put_n16(&mb->b, 0) && buf_put(&mb->b, data, len));
	return ike_mb_close(mb, off);
}

/* ---- Nonce (§3.9): "between 16 and 256 octets inclusive" ---------------------------------- */

int
ike_pld_parse_nonce(struct ike_pctx *pc, struct cur body)
{
	size_t len = cur_left(&body);

	if (len < IKE_NONCE_MIN)
		return ike_perr_set(pc, IKE_REJ_NONCE_INCOMPLETE, (uint32_t)len, 0);
	if (len > IKE_NONCE_MAX)
		return ike_perr_set(pc, IKE_REJ_NONCE_LENGTH, pc->pld_len, 0);
	pc->msg->nonce = body;
	pc->msg->has_nonce = true;
	return 0;
}

int
ike_mb_nonce(struct ike_mb *mb, const uint8_t *data, size_t len)
{
	return ike_mb_payload(mb, IKE_PLD_NONCE, data, len);
}

/* ---- Vendor ID (§3.12) --------------------------------------------------------------------- */

int
ike_pld_parse_vendor(struct ike_pctx *pc, struct cur body)
{
	struct ike_msg *msg = pc->msg;

	/*
	 * A critical bit here is ignored (§2.5, §3.2: we understand the Vendor ID payload type;
	 * the walk notes it). The seeds rejected such a message; RFC 7296 does not allow that.
	 */
	if (cur_left(&body) == 0)
		return ike_perr_set(pc, IKE_REJ_VENDOR_INCOMPLETE, 0, 0);
	/* More than IKE_MAX_VENDORS stay in msg->pld only: they are informational. */
	if (msg->nvendor < IKE_MAX_VENDORS)
		msg->vendor[msg->nvendor++] = body;
	return 0;
}

int
ike_mb_vendor(struct ike_mb *mb, const uint8_t *data, size_t len)
{
	return ike_mb_payload(mb, IKE_PLD_VENDOR, data, len);
}

/* ---- Configuration (§3.15) ------------------------------------------------------------------
 * |   CFG Type    |                    RESERVED                   |
 * ~                   Configuration Attributes                    ~
 * attribute (§3.15.1):
 * |R|         Attribute Type      |            Length             |
 * ~                             Value                             ~
 */
int
ike_pld_parse_cp(struct ike_pctx *pc, struct cur body)
{
	uint16_t type = 0, len = 0;

	if (cur_left(&body) < CP_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_CP_INCOMPLETE, (uint32_t)cur_left(&body), 0);
	(void)cur_skip(&body, CP_HDR_LEN);
	while (cur_left(&body) > 0) {
		size_t left = cur_left(&body);

		if (left < CP_ATTR_HDR_LEN)
			return ike_perr_set(pc, IKE_REJ_CP_INCOMPLETE, (uint32_t)left, 0);
		(void)(cur_get_n16(&body, &type) && cur_get_n16(&body, &len));
		if (!cur_skip(&body, len))
			return ike_perr_set(pc, IKE_REJ_CP_INCOMPLETE, (uint32_t)left, 0);
		/* The R bit MUST be ignored; type 0 is reserved (IANA), never a real attribute. */
		if ((type & CP_ATTR_TYPE_MASK) == 0)
			return ike_perr_set(pc, IKE_REJ_CP_ATTR_TYPE, 0, 0);
	}
	pc->msg->has_cp = true;
	return 0;
}
