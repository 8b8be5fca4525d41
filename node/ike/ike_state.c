/* SPDX-License-Identifier: MIT */
/*
 * The exportable IKE SA state (ike_state.h): releasing what it owns and deep copies, for
 * observers that keep a change and for the standby that imports one. The Child SAs are an
 * array of exactly nchildren and each one's selectors an array of exactly what was negotiated,
 * so a state costs what it holds.
 */
#include "node/ike/ike_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
ike_child_state_set_ts(struct ike_child_state *c, const struct esp_ts *local, uint8_t nlocal,
                       const struct esp_ts *remote, uint8_t nremote)
{
	struct esp_ts *ts = NULL;

	if (nlocal > ESP_MAX_TS)
		nlocal = ESP_MAX_TS;
	if (nremote > ESP_MAX_TS)
		nremote = ESP_MAX_TS;
	if (nlocal + nremote) {
		ts = malloc((size_t)(nlocal + nremote) * sizeof(*ts));
		if (!ts)
			return -ENOMEM;
		if (nlocal)
			memcpy(ts, local, nlocal * sizeof(*ts));
		if (nremote)
			memcpy(ts + nlocal, remote, nremote * sizeof(*ts));
	}
	free(c->ts);
	c->ts = ts;
	c->nts_local = nlocal;
	c->nts_remote = nremote;
	return 0;
}

void
ike_child_state_clear(struct ike_child_state *c)
{
	secret_clear(&c->enc_in);
	secret_clear(&c->integ_in);
	secret_clear(&c->enc_out);
	secret_clear(&c->integ_out);
	free(c->ts);
	c->ts = NULL;
	c->nts_local = c->nts_remote = 0;
}

void
ike_sa_state_clear(struct ike_sa_state *s)
{
	secret_clear(&s->sk_d);
	secret_clear(&s->sk_ai);
	secret_clear(&s->sk_ar);
	secret_clear(&s->sk_ei);
	secret_clear(&s->sk_er);
	secret_clear(&s->sk_pi);
	secret_clear(&s->sk_pr);
	secret_clear(&s->req_out);
	secret_clear(&s->resp_last);
	for (size_t i = 0; s->child && i < s->nchildren; i++)
		ike_child_state_clear(&s->child[i]);
	free(s->child);
	s->child = NULL;
	s->nchildren = 0;
}

/* Deep copy of one Child SA into d, whose owned members start empty. */
static int
child_copy(struct ike_child_state *d, const struct ike_child_state *s)
{
	*d = *s;
	d->enc_in = d->integ_in = d->enc_out = d->integ_out = (struct secret){0};
	d->ts = NULL;
	d->nts_local = d->nts_remote = 0;
	if (secret_copy(&d->enc_in, &s->enc_in) || secret_copy(&d->integ_in, &s->integ_in) ||
	    secret_copy(&d->enc_out, &s->enc_out) || secret_copy(&d->integ_out, &s->integ_out) ||
	    ike_child_state_set_ts(d, ike_child_ts_local(s), s->nts_local, ike_child_ts_remote(s),
	                           s->nts_remote))
		return -ENOMEM;
	return 0;
}

int
ike_sa_state_copy(struct ike_sa_state *dst, const struct ike_sa_state *src)
{
	struct secret *d[] = {&dst->sk_d,  &dst->sk_ai, &dst->sk_ar,   &dst->sk_ei,    &dst->sk_er,
	                      &dst->sk_pi, &dst->sk_pr, &dst->req_out, &dst->resp_last};
	const struct secret *s[] = {&src->sk_d,  &src->sk_ai,   &src->sk_ar,
	                            &src->sk_ei, &src->sk_er,   &src->sk_pi,
	                            &src->sk_pr, &src->req_out, &src->resp_last};
	size_t n = src->child ? src->nchildren : 0;
	int rc = 0;

	if (dst == src)
		return 0;
	*dst = *src;
	/* Nothing of src may be shared: start every owned member empty, then copy. */
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		memset(d[i], 0, sizeof(*d[i]));
	dst->child = NULL;
	dst->nchildren = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(d) / sizeof(d[0]); i++)
		rc = secret_copy(d[i], s[i]);
	if (rc == 0 && n) {
		dst->child = calloc(n, sizeof(*dst->child));
		rc = dst->child ? 0 : -ENOMEM;
	}
	/* nchildren counts the copies made, so a clear after a failure frees exactly those */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		dst->nchildren++;
		rc = child_copy(&dst->child[i], &src->child[i]);
	}
	if (rc) {
		ike_sa_state_clear(dst);
		return -ENOMEM;
	}
	return 0;
}
