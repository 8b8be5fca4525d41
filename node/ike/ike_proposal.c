/* SPDX-License-Identifier: MIT */
/*
 * SA payload proposals (RFC 7296 §2.7, §3.3) from the configuration and back: what we offer
 * (one proposal per `seq N proposal P`, in configured order), what we choose as responder
 * (our configured order, the first proposal any offered one matches), what we accept as
 * initiator (exactly one of ours), and their names for log lines ("received ..., configured
 * ...", seed 004 §16 "MISMATCHED_*").
 */
#define LOG_SUBSYS "ike"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

/* ---- names ------------------------------------------------------------------------------ */

static const char *
encr_name(uint16_t id, uint16_t keylen, char *buf, size_t cap)
{
	switch (id) {
	case IKE_ENCR_DES:
		return "DES_CBC";
	case IKE_ENCR_3DES:
		return "3DES_CBC";
	case IKE_ENCR_NULL:
		return "NULL";
	case IKE_ENCR_AES_CBC:
		snprintf(buf, cap, "AES_CBC_%u", (unsigned)keylen);
		return buf;
	case IKE_ENCR_AES_GCM_16:
		snprintf(buf, cap, "AES_GCM_16_%u", (unsigned)keylen);
		return buf;
	case IKE_ENCR_CHACHA20_POLY1305:
		return "CHACHA20_POLY1305";
	default:
		if (keylen)
			snprintf(buf, cap, "ENCR_%u_%u", (unsigned)id, (unsigned)keylen);
		else
			snprintf(buf, cap, "ENCR_%u", (unsigned)id);
		return buf;
	}
}

static const char *
integ_name(uint16_t id, char *buf, size_t cap)
{
	switch (id) {
	case IKE_INTEG_NONE:
		return "NONE";
	case IKE_INTEG_HMAC_MD5_96:
		return "HMAC_MD5_96";
	case IKE_INTEG_HMAC_SHA1_96:
		return "HMAC_SHA1_96";
	case IKE_INTEG_AES_XCBC_96:
		return "AES_XCBC_96";
	case IKE_INTEG_HMAC_SHA2_256_128:
		return "HMAC_SHA2_256_128";
	case IKE_INTEG_HMAC_SHA2_384_192:
		return "HMAC_SHA2_384_192";
	case IKE_INTEG_HMAC_SHA2_512_256:
		return "HMAC_SHA2_512_256";
	default:
		snprintf(buf, cap, "INTEG_%u", (unsigned)id);
		return buf;
	}
}

static const char *
prf_name(uint16_t id, char *buf, size_t cap)
{
	switch (id) {
	case IKE_PRF_HMAC_MD5:
		return "PRF_HMAC_MD5";
	case IKE_PRF_HMAC_SHA1:
		return "PRF_HMAC_SHA1";
	case IKE_PRF_AES128_XCBC:
		return "PRF_AES128_XCBC";
	case IKE_PRF_HMAC_SHA2_256:
		return "PRF_HMAC_SHA2_256";
	case IKE_PRF_HMAC_SHA2_384:
		return "PRF_HMAC_SHA2_384";
	case IKE_PRF_HMAC_SHA2_512:
		return "PRF_HMAC_SHA2_512";
	default:
		snprintf(buf, cap, "PRF_%u", (unsigned)id);
		return buf;
	}
}

const char *
ike_dh_name(uint16_t group, char *buf, size_t cap)
{
	switch (group) {
	case 0:
		return "NO_DH";
	case 1:
		return "MODP_768";
	case 2:
		return "MODP_1024";
	case 5:
		return "MODP_1536";
	case 14:
		return "MODP_2048";
	case 15:
		return "MODP_3072";
	case 16:
		return "MODP_4096";
	case 19:
		return "ECP_256";
	case 20:
		return "ECP_384";
	case 21:
		return "ECP_521";
	case 31:
		return "CURVE_25519";
	default:
		snprintf(buf, cap, "DH_%u", (unsigned)group);
		return buf;
	}
}

/* Appends to out (NUL-terminated, cap bytes) without overflowing. */
static void
cat(char *out, size_t cap, const char *s)
{
	size_t n = strlen(out);

	if (n + 1 < cap)
		snprintf(out + n, cap - n, "%s", s);
}

static void
proposal_str(const struct ike_proposal *p, char *out, size_t cap)
{
	static const uint8_t order[] = {IKE_TRANS_ENCR, IKE_TRANS_INTEG, IKE_TRANS_PRF,
	                                IKE_TRANS_DH, IKE_TRANS_ESN};
	char b[32];
	bool first = true;

	for (size_t o = 0; o < sizeof(order); o++) {
		for (size_t i = 0; i < p->ntrans; i++) {
			const struct ike_transform *t = &p->trans[i];
			const char *s = NULL;

			if (t->type != order[o])
				continue;
			switch (t->type) {
			case IKE_TRANS_ENCR:
				s = encr_name(t->id, t->keylen, b, sizeof(b));
				break;
			case IKE_TRANS_INTEG:
				s = integ_name(t->id, b, sizeof(b));
				break;
			case IKE_TRANS_PRF:
				s = prf_name(t->id, b, sizeof(b));
				break;
			case IKE_TRANS_DH:
				s = ike_dh_name(t->id, b, sizeof(b));
				break;
			default:
				s = t->id ? "ESN" : "NO_ESN";
				break;
			}
			if (!first)
				cat(out, cap, "/");
			cat(out, cap, s);
			first = false;
		}
	}
}

void
ike_prop_str(const struct ike_pld_sa *sa, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < sa->nprops; i++) {
		if (i)
			cat(out, cap, ", ");
		proposal_str(&sa->props[i], out, cap);
	}
	if (sa->nprops == 0)
		cat(out, cap, "nothing");
}

/* ---- building ----------------------------------------------------------------------------- */

static void
add_trans(struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t keylen)
{
	if (p->ntrans >= IKE_MAX_TRANSFORMS)
		return;
	p->trans[p->ntrans].type = type;
	p->trans[p->ntrans].id = id;
	p->trans[p->ntrans].keylen = keylen;
	p->ntrans++;
}

static void
add_encr(struct ike_proposal *p, enum cfg_encr e)
{
	uint16_t id, keylen;

	ike_encr_to_iana(e, &id, &keylen);
	add_trans(p, IKE_TRANS_ENCR, id, keylen);
}

static void
ike_proposal_fill(struct ike_proposal *p, const struct cfg_ike_proposal *cp)
{
	add_encr(p, cp->encr);
	add_trans(p, IKE_TRANS_PRF, ike_prf_to_iana(cp->prf), 0);
	if (!cfg_encr_info(cp->encr)->aead)
		add_trans(p, IKE_TRANS_INTEG, ike_integ_to_iana(cp->integ), 0);
	add_trans(p, IKE_TRANS_DH, cp->dh_group, 0);
}

/* A configured IKE proposal tandem can negotiate. */
static bool
ike_cfg_usable(const struct cfg_ike_proposal *cp)
{
	return cp && cp->version == CFG_IKEV2 && cp->encr != CFG_ENCR_NULL &&
	       cfg_dh_group_supported(cp->dh_group);
}

void
ike_prop_ike_offer(const struct cfg_ike_policy *pol, const uint8_t *spi, uint8_t spi_len,
                   struct ike_pld_sa *out)
{
	out->nprops = 0;
	for (unsigned i = 0; i < pol->nprops && out->nprops < IKE_MAX_PROPOSALS; i++) {
		const struct cfg_ike_proposal *cp = pol->props[i].prop;
		struct ike_proposal *p = &out->props[out->nprops];

		if (!ike_cfg_usable(cp))
			continue;
		memset(p, 0, sizeof(*p));
		p->num = (uint8_t)(out->nprops + 1);
		p->proto = IKE_PROTO_IKE;
		p->spi_len = spi_len;
		if (spi_len)
			memcpy(p->spi, spi, spi_len);
		ike_proposal_fill(p, cp);
		out->nprops++;
	}
}

bool
ike_prop_ike_has_group(const struct cfg_ike_policy *pol, uint16_t group)
{
	for (unsigned i = 0; i < pol->nprops; i++) {
		const struct cfg_ike_proposal *cp = pol->props[i].prop;

		if (ike_cfg_usable(cp) && cp->dh_group == group)
			return true;
	}
	return false;
}

void
ike_prop_ike_cfg_str(const struct cfg_ike_policy *pol, char *out, size_t cap)
{
	struct ike_pld_sa *sa = calloc(1, sizeof(*sa));

	out[0] = '\0';
	if (!sa)
		return;
	ike_prop_ike_offer(pol, NULL, 0, sa);
	ike_prop_str(sa, out, cap);
	free(sa);
}

/* ---- matching ----------------------------------------------------------------------------- */

/* A usable transform (no attribute we do not understand, §3.3.6) of this type and id. */
static bool
has(const struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t keylen)
{
	for (size_t i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && p->trans[i].id == id &&
		    p->trans[i].keylen == keylen && !p->trans[i].unusable)
			return true;
	return false;
}

static bool
has_type(const struct ike_proposal *p, uint8_t type)
{
	for (size_t i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type)
			return true;
	return false;
}

/*
 * RFC 7296 §3.3.6: a proposal with a transform type we do not know is not acceptable, nor one
 * in which every transform of some type was rejected for an attribute we do not understand
 * (the proposal would otherwise be chosen without that type).
 */
static bool
types_known(const struct ike_proposal *p)
{
	uint32_t present = 0, usable = 0;

	for (size_t i = 0; i < p->ntrans; i++) {
		const struct ike_transform *t = &p->trans[i];

		if (t->type < IKE_TRANS_ENCR || t->type > IKE_TRANS_ESN)
			return false;
		present |= 1u << t->type;
		if (!t->unusable)
			usable |= 1u << t->type;
	}
	return present == usable;
}

static bool
encr_in(const struct ike_proposal *p, enum cfg_encr e)
{
	uint16_t id, keylen;

	ike_encr_to_iana(e, &id, &keylen);
	return has(p, IKE_TRANS_ENCR, id, keylen);
}

/* With AEAD no integrity transform, or NONE (RFC 5282 §8). */
static bool
integ_in(const struct ike_proposal *p, enum cfg_encr e, enum cfg_integ i)
{
	if (cfg_encr_info(e)->aead || i == CFG_INTEG_NONE)
		return !has_type(p, IKE_TRANS_INTEG) || has(p, IKE_TRANS_INTEG, IKE_INTEG_NONE, 0);
	return has(p, IKE_TRANS_INTEG, ike_integ_to_iana(i), 0);
}

static bool
ike_match(const struct ike_proposal *p, const struct cfg_ike_proposal *cp)
{
	return p->proto == IKE_PROTO_IKE && types_known(p) && !has_type(p, IKE_TRANS_ESN) &&
	       encr_in(p, cp->encr) && has(p, IKE_TRANS_PRF, ike_prf_to_iana(cp->prf), 0) &&
	       integ_in(p, cp->encr, cp->integ) && has(p, IKE_TRANS_DH, cp->dh_group, 0);
}

static void
ike_choice_from(struct ike_ike_choice *c, const struct ike_proposal *p,
                const struct cfg_ike_proposal *cp)
{
	memset(c, 0, sizeof(*c));
	c->num = p->num;
	c->encr = cp->encr;
	c->integ = cfg_encr_info(cp->encr)->aead ? CFG_INTEG_NONE : cp->integ;
	c->prf = cp->prf;
	c->dh = cp->dh_group;
	c->spi_len = p->spi_len <= sizeof(c->spi) ? p->spi_len : 0;
	memcpy(c->spi, p->spi, c->spi_len);
	c->cp = cp;
}

enum ike_prop_why
ike_prop_ike_select(const struct cfg_ike_policy *pol, const struct ike_pld_sa *sa,
                    struct ike_ike_choice *out)
{
	bool any = false;

	for (unsigned i = 0; i < pol->nprops; i++) {
		const struct cfg_ike_proposal *cp = pol->props[i].prop;

		if (!ike_cfg_usable(cp))
			continue;
		any = true;
		for (size_t j = 0; j < sa->nprops; j++) {
			if (ike_match(&sa->props[j], cp)) {
				ike_choice_from(out, &sa->props[j], cp);
				return IKE_PROP_OK;
			}
		}
	}
	return any ? IKE_PROP_NOMATCH : IKE_PROP_NONE;
}

/* The answer must be one of our proposals exactly: one transform of each type we offered. */
static bool
ike_exact(const struct ike_proposal *p, const struct cfg_ike_proposal *cp)
{
	size_t want = cfg_encr_info(cp->encr)->aead ? 3 : 4;

	return ike_match(p, cp) && p->ntrans == want;
}

bool
ike_prop_ike_accept(const struct cfg_ike_policy *pol, const struct ike_pld_sa *sa,
                    struct ike_ike_choice *out)
{
	if (sa->nprops != 1)
		return false;
	for (unsigned i = 0; i < pol->nprops; i++) {
		const struct cfg_ike_proposal *cp = pol->props[i].prop;

		if (ike_cfg_usable(cp) && ike_exact(&sa->props[0], cp)) {
			ike_choice_from(out, &sa->props[0], cp);
			return true;
		}
	}
	return false;
}

void
ike_prop_ike_answer(const struct ike_ike_choice *c, const uint8_t *spi, uint8_t spi_len,
                    struct ike_pld_sa *out)
{
	struct ike_proposal *p = &out->props[0];

	out->nprops = 1;
	memset(p, 0, sizeof(*p));
	p->num = c->num;
	p->proto = IKE_PROTO_IKE;
	p->spi_len = spi_len;
	if (spi_len)
		memcpy(p->spi, spi, spi_len);
	ike_proposal_fill(p, c->cp);
}

/* ---- ESP ---------------------------------------------------------------------------------- */

/* A configured IPsec proposal tandem's data plane can carry: ESP alone, no IPcomp. */
static bool
esp_cfg_usable(const struct cfg_ipsec_proposal *cp)
{
	return cp && cp->esp && !cp->ah && !cp->ipcomp;
}

static void
esp_fill(struct ike_proposal *p, const struct cfg_ipsec_proposal *cp, uint16_t dh)
{
	add_encr(p, cp->esp_encr);
	if (!cfg_encr_info(cp->esp_encr)->aead && cp->esp_integ != CFG_INTEG_NONE)
		add_trans(p, IKE_TRANS_INTEG, ike_integ_to_iana(cp->esp_integ), 0);
	if (dh)
		add_trans(p, IKE_TRANS_DH, dh, 0);
	/*
	 * ESN "no" only: cfg has no ESN setting yet and strongSwan's libipsec has no ESN. The
	 * choice (ike_esp_choice.esn) is carried to the data plane all the same.
	 */
	add_trans(p, IKE_TRANS_ESN, IKE_ESN_NO, 0);
}

static void
put_spi32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_spi32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

unsigned
ike_prop_esp_offer(const struct cfg_ipsec_policy *pol, uint32_t spi, bool with_pfs,
                   struct ike_pld_sa *out)
{
	out->nprops = 0;
	for (unsigned i = 0; i < pol->nprops && out->nprops < IKE_MAX_PROPOSALS; i++) {
		const struct cfg_ipsec_proposal *cp = pol->props[i].prop;
		struct ike_proposal *p = &out->props[out->nprops];

		/* AH and IPcomp: warned about at ike_engine_set_config */
		if (!esp_cfg_usable(cp))
			continue;
		memset(p, 0, sizeof(*p));
		p->num = (uint8_t)(out->nprops + 1);
		p->proto = IKE_PROTO_ESP;
		p->spi_len = 4;
		put_spi32(p->spi, spi);
		esp_fill(p, cp, with_pfs ? pol->pfs_group : 0);
		out->nprops++;
	}
	return out->nprops;
}

void
ike_prop_esp_cfg_str(const struct cfg_ipsec_policy *pol, bool with_pfs, char *out, size_t cap)
{
	struct ike_pld_sa *sa = calloc(1, sizeof(*sa));

	out[0] = '\0';
	if (!sa)
		return;
	for (unsigned i = 0; i < pol->nprops && sa->nprops < IKE_MAX_PROPOSALS; i++) {
		const struct cfg_ipsec_proposal *cp = pol->props[i].prop;
		struct ike_proposal *p = &sa->props[sa->nprops];

		if (!esp_cfg_usable(cp))
			continue;
		p->num = (uint8_t)(sa->nprops + 1);
		p->proto = IKE_PROTO_ESP;
		esp_fill(p, cp, with_pfs ? pol->pfs_group : 0);
		sa->nprops++;
	}
	ike_prop_str(sa, out, cap);
	free(sa);
}

static bool
esp_match(const struct ike_proposal *p, const struct cfg_ipsec_proposal *cp, bool in_auth,
          uint16_t pfs, bool *pfs_only)
{
	bool base;

	*pfs_only = false;
	if (p->proto != IKE_PROTO_ESP || p->spi_len != 4 || !types_known(p) ||
	    has_type(p, IKE_TRANS_PRF))
		return false;
	base = encr_in(p, cp->esp_encr) && integ_in(p, cp->esp_encr, cp->esp_integ) &&
	       (!has_type(p, IKE_TRANS_ESN) || has(p, IKE_TRANS_ESN, IKE_ESN_NO, 0));
	if (!base)
		return false;
	/* RFC 7296 §1.2: DH transforms in IKE_AUTH are ignored (no KE there). */
	if (in_auth)
		return true;
	if (pfs ? has(p, IKE_TRANS_DH, pfs, 0)
	        : (!has_type(p, IKE_TRANS_DH) || has(p, IKE_TRANS_DH, 0, 0)))
		return true;
	*pfs_only = true;
	return false;
}

static void
esp_choice_from(struct ike_esp_choice *c, const struct ike_proposal *p,
                const struct cfg_ipsec_proposal *cp, uint16_t dh)
{
	memset(c, 0, sizeof(*c));
	c->num = p->num;
	c->encr = cp->esp_encr;
	c->integ = cfg_encr_info(cp->esp_encr)->aead ? CFG_INTEG_NONE : cp->esp_integ;
	c->dh = dh;
	c->esn = false;
	c->spi = get_spi32(p->spi);
	c->cp = cp;
}

enum ike_prop_why
ike_prop_esp_select(const struct cfg_ipsec_policy *pol, const struct ike_pld_sa *sa, bool in_auth,
                    struct ike_esp_choice *out)
{
	bool any = false, pfs_seen = false, pfs_only;
	uint16_t pfs = in_auth ? 0 : pol->pfs_group;

	for (unsigned i = 0; i < pol->nprops; i++) {
		const struct cfg_ipsec_proposal *cp = pol->props[i].prop;

		if (!esp_cfg_usable(cp))
			continue;
		any = true;
		for (size_t j = 0; j < sa->nprops; j++) {
			if (esp_match(&sa->props[j], cp, in_auth, pfs, &pfs_only)) {
				esp_choice_from(out, &sa->props[j], cp, pfs);
				return IKE_PROP_OK;
			}
			pfs_seen |= pfs_only;
		}
	}
	if (!any)
		return IKE_PROP_NONE;
	return pfs_seen ? IKE_PROP_PFS : IKE_PROP_NOMATCH;
}

bool
ike_prop_esp_accept(const struct cfg_ipsec_policy *pol, const struct ike_pld_sa *sa, bool in_auth,
                    struct ike_esp_choice *out)
{
	uint16_t pfs = in_auth ? 0 : pol->pfs_group;
	bool pfs_only;

	if (sa->nprops != 1)
		return false;
	for (unsigned i = 0; i < pol->nprops; i++) {
		const struct cfg_ipsec_proposal *cp = pol->props[i].prop;
		const struct ike_proposal *p = &sa->props[0];

		if (!esp_cfg_usable(cp) || !esp_match(p, cp, in_auth, pfs, &pfs_only))
			continue;
		/* exactly one transform of each type (§3.3: the accepted proposal) */
		for (unsigned t = IKE_TRANS_ENCR; t <= IKE_TRANS_ESN; t++) {
			unsigned n = 0;

			for (size_t k = 0; k < p->ntrans; k++)
				n += p->trans[k].type == t;
			if (n > 1)
				return false;
		}
		esp_choice_from(out, p, cp, pfs);
		return true;
	}
	return false;
}

void
ike_prop_esp_answer(const struct ike_esp_choice *c, uint32_t spi, struct ike_pld_sa *out)
{
	struct ike_proposal *p = &out->props[0];

	out->nprops = 1;
	memset(p, 0, sizeof(*p));
	p->num = c->num;
	p->proto = IKE_PROTO_ESP;
	p->spi_len = 4;
	put_spi32(p->spi, spi);
	esp_fill(p, c->cp, c->dh);
}
