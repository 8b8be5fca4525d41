/* SPDX-License-Identifier: MIT */
/*
 * SA lifecycle: checks the parameters against the algorithm tables, prepares the cipher and
 * integrity contexts of every slot, and wipes the raw keys (only the key schedules remain,
 * and esp_sa_free wipes those). Also the sizes callers need and the summed counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "node/esp/esp_int.h"

static int
esp_sa_check(const struct esp_sa_params *p)
{
	const struct cfg_encr_info *ei = cfg_encr_info(p->encr);
	const struct cfg_integ_info *ii = cfg_integ_info(p->integ);

	if (!ei || !ii)
		return -EINVAL;
	if (p->enc_key.s_len != ei->key_len || p->integ_key.s_len != ii->key_len)
		return -EINVAL;
	if (ei->aead && p->integ != CFG_INTEG_NONE)
		return -EINVAL; /* RFC 4106 §8.1 / RFC 7634 §2: the AEAD is the integrity */
	if (p->encr == CFG_ENCR_NULL && p->integ == CFG_INTEG_NONE)
		return -EINVAL; /* RFC 4303 §3.2: confidentiality or integrity, at least one */
	if (p->replay_window > ESP_REPLAY_MAX_WIN)
		return -EINVAL;
	if (p->family != AF_INET && p->family != AF_INET6)
		return -EINVAL;
	if (p->spi == 0)
		return -EINVAL; /* RFC 4303 §2.1: reserved; RFC 3948 §2.2: it is the non-ESP marker
		                 */
	if (p->nts_local > ESP_MAX_TS || p->nts_remote > ESP_MAX_TS)
		return -EINVAL;
	return 0;
}

static void
esp_sa_shape(struct esp_sa *sa)
{
	const struct cfg_encr_info *ei = cfg_encr_info(sa->p.encr);
	const struct cfg_integ_info *ii = cfg_integ_info(sa->p.integ);

	sa->kind = ei->aead ? ESP_KIND_AEAD
	                    : (sa->p.encr == CFG_ENCR_NULL ? ESP_KIND_NULL : ESP_KIND_CBC);
	sa->has_mac = sa->p.integ != CFG_INTEG_NONE;
	sa->iv_len = ei->iv_len;
	sa->icv_len = ei->aead ? ei->icv_len : ii->icv_len;
	sa->block = ei->block_len;
	/* RFC 4303 §2.4: Pad Length and Next Header end on a 4-byte boundary */
	sa->align = ei->block_len > 4 ? ei->block_len : 4;
}

static int
esp_sa_alloc(unsigned nslots, struct esp_sa **out)
{
	struct esp_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return -ENOMEM;
	sa->slots = aligned_alloc(64, sizeof(struct esp_slot) * nslots);
	if (!sa->slots) {
		free(sa);
		return -ENOMEM;
	}
	memset(sa->slots, 0, sizeof(struct esp_slot) * nslots);
	for (unsigned i = 0; i < nslots; i++)
		sa->slots[i].rnd_off = ESP_RND_POOL;
	sa->nslots = nslots;
	atomic_flag_clear(&sa->lock);
	*out = sa;
	return 0;
}

int
esp_sa_new(const struct esp_sa_params *p, const struct esp_sa_opts *opts, struct esp_sa **out)
{
	struct esp_sa *sa = NULL;
	int rc;

	*out = NULL;
	rc = esp_sa_check(p);
	if (rc < 0)
		return rc;
	rc = esp_sa_alloc(opts->nslots ? opts->nslots : 1, &sa);
	if (rc < 0)
		return rc;
	/* plain data only: the keys stay with p and go straight into the contexts */
	memcpy(&sa->p, p, sizeof(sa->p));
	memset(&sa->p.enc_key, 0, sizeof(sa->p.enc_key));
	memset(&sa->p.integ_key, 0, sizeof(sa->p.integ_key));
	esp_sa_shape(sa);
	/* only encryption draws IVs, and only CBC needs random ones: a KiB per slot saved
	 * on every AEAD SA and every inbound SA (docs/benchmarks.md, memory per SA) */
	for (unsigned i = 0; sa->kind == ESP_KIND_CBC && !p->inbound && i < sa->nslots; i++) {
		sa->slots[i].rnd = malloc(ESP_RND_POOL);
		if (!sa->slots[i].rnd) {
			esp_sa_free(sa);
			return -ENOMEM;
		}
	}
	esp_seq_init(sa, opts);
	esp_replay_init(&sa->rp, p->replay_window, p->inbound ? p->seq_start : 0);
	rc = esp_cipher_init(sa, p);
	if (rc < 0) {
		esp_sa_free(sa);
		return rc;
	}
	*out = sa;
	return 0;
}

void
esp_sa_free(struct esp_sa *sa)
{
	if (!sa)
		return;
	esp_cipher_fini(sa);
	for (unsigned i = 0; i < sa->nslots; i++) {
		if (sa->slots[i].rnd)
			OPENSSL_cleanse(sa->slots[i].rnd, ESP_RND_POOL);
		free(sa->slots[i].rnd);
	}
	OPENSSL_cleanse(sa->slots, sizeof(struct esp_slot) * sa->nslots);
	free(sa->slots);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

const struct esp_sa_params *
esp_sa_params(const struct esp_sa *sa)
{
	return &sa->p;
}

size_t
esp_sa_head_len(const struct esp_sa *sa)
{
	return ESP_HDR_LEN + sa->iv_len;
}

size_t
esp_sa_tail_len(const struct esp_sa *sa, size_t inner_len)
{
	size_t plain = inner_len + 2, padded = (plain + sa->align - 1) / sa->align * sa->align;

	return padded - inner_len + sa->icv_len;
}

size_t
esp_sa_max_inner(const struct esp_sa *sa, size_t max_esp_len)
{
	size_t fixed = ESP_HDR_LEN + sa->iv_len + sa->icv_len, room;

	if (max_esp_len < fixed + sa->align)
		return 0;
	/* the padded payload is a multiple of align and holds the inner packet plus 2 bytes */
	room = (max_esp_len - fixed) / sa->align * sa->align;
	return room - 2;
}

void
esp_sa_lock(struct esp_sa *sa)
{
	while (atomic_flag_test_and_set_explicit(&sa->lock, memory_order_acquire))
		; /* held for a few instructions only: the window check or update */
}

void
esp_sa_unlock(struct esp_sa *sa)
{
	atomic_flag_clear_explicit(&sa->lock, memory_order_release);
}

void
esp_sa_stats(struct esp_sa *sa, struct esp_sa_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < sa->nslots; i++) {
		const struct esp_counters *c = &sa->slots[i].cnt;

		st->packets += c->packets;
		st->bytes += c->bytes;
		for (unsigned d = 0; d < ESP_DROP__COUNT; d++)
			st->drops[d] += c->drops[d];
	}
	if (sa->p.inbound) {
		esp_sa_lock(sa);
		st->seq = sa->rp.top;
		esp_sa_unlock(sa);
	} else {
		st->seq = atomic_load(&sa->next_seq) - 1;
		st->lease_limit = atomic_load(&sa->limit);
	}
}

void
esp_sa_count_drop(struct esp_sa *sa, unsigned slot, enum esp_drop d)
{
	if (slot < sa->nslots && (unsigned)d < ESP_DROP__COUNT)
		sa->slots[slot].cnt.drops[d]++;
}

void
esp_sa_test_fix_iv(struct esp_sa *sa, unsigned slot, const uint8_t *iv, size_t len)
{
	struct esp_slot *s = &sa->slots[slot];

	memcpy(s->iv_fixed, iv, len < sizeof(s->iv_fixed) ? len : sizeof(s->iv_fixed));
	s->iv_fixed_set = true;
}
