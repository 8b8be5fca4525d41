/* SPDX-License-Identifier: MIT */
/*
 * Anti-replay window (RFC 4303 §3.4.3, Appendix A). Bit i of the ring is sequence number
 * n with n mod (64 * words) == i. Moving the top forward clears the words it passes over,
 * so a slide costs at most `words` stores whatever the jump.
 */
#include "esp_replay.h"

#include <string.h>

static uint32_t
replay_words(uint32_t win)
{
	uint32_t need = win / 64u + 2u, w = 1;

	while (w < need)
		w <<= 1;
	return w > ESP_REPLAY_WORDS ? ESP_REPLAY_WORDS : w;
}

void
esp_replay_init(struct esp_replay *r, uint32_t win, uint64_t start)
{
	memset(r, 0, sizeof(*r));
	if (win > ESP_REPLAY_MAX_WIN)
		win = ESP_REPLAY_MAX_WIN;
	r->win = win;
	r->mask = replay_words(win) - 1u;
	r->top = start;
	r->floor = start;
}

/*
 * RFC 4303 Appendix A2.2. Tl/Th: low/high half of the top; W: the window. With the window
 * off, W = 2^31 picks the high half that puts seq closest to the top.
 */
bool
esp_replay_infer(const struct esp_replay *r, bool esn, uint32_t seql, uint64_t *seq)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t w = r->win ? r->win : 0x80000000u;
	uint32_t bottom = tl - w + 1u; /* mod 2^32 */
	uint64_t sh;

	if (!esn) {
		*seq = seql;
		return true;
	}
	if (tl >= w - 1u) {
		/* Case A: the window lies within one subspace */
		sh = seql >= bottom ? th : (uint64_t)th + 1u;
	} else {
		/* Case B: the window spans two subspaces */
		if (seql >= bottom) {
			if (th == 0)
				return false; /* before the first subspace */
			sh = (uint64_t)th - 1u;
		} else {
			sh = th;
		}
	}
	if (sh > UINT32_MAX)
		return false; /* beyond 2^64: the SA can never get there */
	*seq = sh << 32 | seql;
	return true;
}

static bool
replay_bit(const struct esp_replay *r, uint64_t seq)
{
	uint64_t word = (seq >> 6) & r->mask;

	return (r->bits[word] >> (seq & 63u)) & 1u;
}

enum esp_drop
esp_replay_check(const struct esp_replay *r, uint64_t seq)
{
	if (seq <= r->floor)
		return ESP_DROP_REPLAY_LATE;
	if (r->win == 0 || seq > r->top)
		return ESP_DROP_NONE;
	if (r->top - seq >= r->win)
		return ESP_DROP_REPLAY_LATE;
	return replay_bit(r, seq) ? ESP_DROP_REPLAY_DUP : ESP_DROP_NONE;
}

/* Moves the top to seq, clearing the words between the old top's word and seq's word. */
static void
replay_slide(struct esp_replay *r, uint64_t seq)
{
	uint64_t from = r->top >> 6, to = seq >> 6, n = to - from;

	if (n > (uint64_t)r->mask + 1u)
		n = (uint64_t)r->mask + 1u;
	for (uint64_t i = 1; i <= n; i++)
		r->bits[(from + i) & r->mask] = 0;
	r->top = seq;
}

enum esp_drop
esp_replay_update(struct esp_replay *r, uint64_t seq)
{
	enum esp_drop d = esp_replay_check(r, seq);

	if (d != ESP_DROP_NONE)
		return d;
	if (seq > r->top)
		replay_slide(r, seq);
	if (r->win)
		r->bits[(seq >> 6) & r->mask] |= (uint64_t)1u << (seq & 63u);
	return ESP_DROP_NONE;
}
