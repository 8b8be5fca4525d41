/* SPDX-License-Identifier: MIT */
/*
 * The shared, counted state of an SA: outbound sequence numbers under a lease (DESIGN.md,
 * "Sequence-number leases"; RFC 4303 §3.3.3: the counter never cycles), the periodic report
 * of the inbound window's top, and byte lifetimes. Lock-free: several slots may send at once.
 */
#include <stdatomic.h>

#include "node/esp/esp_int.h"

/* The number at which the refill share of the lease [base, limit) is used up. */
static uint64_t
esp_refill_point(uint64_t base, uint64_t limit, unsigned pct)
{
	if (limit <= base)
		return base;
	return base + (limit - base) / 100u * pct + (limit - base) % 100u * pct / 100u;
}

void
esp_seq_init(struct esp_sa *sa, const struct esp_sa_opts *o)
{
	uint64_t start = sa->p.seq_start ? sa->p.seq_start : 1; /* RFC 4303 §3.3.3: starts at 1 */

	sa->max_seq = sa->p.esn ? UINT64_MAX : UINT32_MAX;
	sa->refill_pct =
	        o->lease_refill_pct >= 1 && o->lease_refill_pct <= 100 ? o->lease_refill_pct : 50;
	sa->report_every = o->replay_report_every;
	atomic_init(&sa->next_seq, start);
	atomic_init(&sa->limit, sa->p.lease_limit);
	atomic_init(&sa->refill_at, esp_refill_point(start, sa->p.lease_limit, sa->refill_pct));
	atomic_init(&sa->lease_asked, false);
	atomic_init(&sa->accepted, 0);
	atomic_init(&sa->top, sa->p.inbound ? sa->p.seq_start : 0);
	atomic_init(&sa->reported, sa->p.inbound ? sa->p.seq_start : 0);
	atomic_init(&sa->life_bytes, 0);
	atomic_init(&sa->life_flags, 0);
}

enum esp_drop
esp_seq_take(struct esp_sa *sa, uint64_t *seq)
{
	uint64_t s = atomic_load_explicit(&sa->next_seq, memory_order_relaxed);

	do {
		if (s > sa->max_seq || s == 0)
			return ESP_DROP_SEQ_OVERFLOW;
		if (s >= atomic_load_explicit(&sa->limit, memory_order_acquire))
			return ESP_DROP_LEASE_EXHAUSTED;
	} while (!atomic_compare_exchange_weak_explicit(
	        &sa->next_seq, &s, s + 1, memory_order_relaxed, memory_order_relaxed));
	*seq = s;
	return ESP_DROP_NONE;
}

bool
esp_sa_lease_want(struct esp_sa *sa, uint64_t *used, uint64_t *limit)
{
	uint64_t next = atomic_load(&sa->next_seq);
	bool no = false;

	if (sa->p.inbound || next < atomic_load(&sa->refill_at))
		return false;
	if (!atomic_compare_exchange_strong(&sa->lease_asked, &no, true))
		return false;
	if (next < atomic_load(&sa->refill_at)) {
		/* a grant moved the refill point meanwhile: this lease is not used up yet */
		atomic_store(&sa->lease_asked, false);
		return false;
	}
	*used = next - 1;
	*limit = atomic_load(&sa->limit);
	return true;
}

uint64_t
esp_sa_lease_grant(struct esp_sa *sa, uint64_t limit)
{
	uint64_t old = atomic_load(&sa->limit), next;

	if (limit <= old)
		return old;
	next = atomic_load(&sa->next_seq);
	/* the new lease starts where the old one ended (or where we are, if later) */
	atomic_store(&sa->refill_at,
	             esp_refill_point(next > old ? next : old, limit, sa->refill_pct));
	atomic_store(&sa->limit, limit);
	atomic_store(&sa->lease_asked, false);
	return limit;
}

/*
 * A restarted engine refuses everything up to the last report + report_every (docs/engine.md).
 * Reporting each time the top moved half that step keeps the unreported distance below the
 * step even while a batch is in flight, and counting numbers rather than packets keeps it so
 * when the peer's numbers jump.
 */
bool
esp_sa_replay_report_due(struct esp_sa *sa, uint64_t *highest)
{
	uint64_t step = sa->report_every / 2u ? sa->report_every / 2u : 1u, top;
	uint64_t rep = atomic_load(&sa->reported);

	if (!sa->p.inbound || sa->report_every == 0)
		return false;
	/* two atomic loads: cheap enough to ask after every packet */
	top = atomic_load_explicit(&sa->top, memory_order_relaxed);
	if (top < rep + step || !atomic_compare_exchange_strong(&sa->reported, &rep, top))
		return false;
	*highest = top;
	return true;
}

bool
esp_life_expired(const struct esp_sa *sa)
{
	return atomic_load_explicit(&sa->life_flags, memory_order_relaxed) & ESP_LIFE_HARD_HIT;
}

bool
esp_life_charge(struct esp_sa *sa, size_t n)
{
	uint64_t total;

	if (!sa->p.soft_bytes && !sa->p.hard_bytes)
		return true;
	total = atomic_fetch_add_explicit(&sa->life_bytes, n, memory_order_relaxed) + n;
	if (sa->p.soft_bytes && total >= sa->p.soft_bytes)
		atomic_fetch_or(&sa->life_flags, ESP_LIFE_SOFT_HIT);
	if (sa->p.hard_bytes && total >= sa->p.hard_bytes) {
		unsigned f = atomic_fetch_or(&sa->life_flags, ESP_LIFE_HARD_HIT);

		/* the packet that reaches the limit still passes; the ones after it do not */
		return !(f & ESP_LIFE_HARD_HIT);
	}
	return true;
}

enum esp_life_event
esp_sa_lifetime_poll(struct esp_sa *sa, uint64_t *bytes)
{
	unsigned f = atomic_load(&sa->life_flags);

	*bytes = atomic_load(&sa->life_bytes);
	/* fetch_or tells which poller set the SENT bit first: each event is reported once */
	if (f & ESP_LIFE_HARD_HIT) {
		f = atomic_fetch_or(&sa->life_flags, ESP_LIFE_HARD_SENT | ESP_LIFE_SOFT_SENT);
		return f & ESP_LIFE_HARD_SENT ? ESP_LIFE_NONE : ESP_LIFE_HARD;
	}
	if (f & ESP_LIFE_SOFT_HIT) {
		f = atomic_fetch_or(&sa->life_flags, ESP_LIFE_SOFT_SENT);
		return f & ESP_LIFE_SOFT_SENT ? ESP_LIFE_NONE : ESP_LIFE_SOFT;
	}
	return ESP_LIFE_NONE;
}
