/* SPDX-License-Identifier: MIT */
/*
 * The exportable IKE SA state (ike_state.h): releasing its secrets and deep copies, for
 * observers that keep a change and for the standby that imports one.
 */
#include "node/ike/ike_state.h"

#include <errno.h>
#include <string.h>

static void
child_clear(struct ike_child_state *c)
{
	secret_clear(&c->enc_in);
	secret_clear(&c->integ_in);
	secret_clear(&c->enc_out);
	secret_clear(&c->integ_out);
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
	for (size_t i = 0; i < IKE_STATE_MAX_CHILDREN; i++)
		child_clear(&s->child[i]);
}

static int
child_copy(struct ike_child_state *d, const struct ike_child_state *s)
{
	*d = *s;
	memset(&d->enc_in, 0, sizeof(d->enc_in));
	memset(&d->integ_in, 0, sizeof(d->integ_in));
	memset(&d->enc_out, 0, sizeof(d->enc_out));
	memset(&d->integ_out, 0, sizeof(d->integ_out));
	if (secret_copy(&d->enc_in, &s->enc_in) || secret_copy(&d->integ_in, &s->integ_in) ||
	    secret_copy(&d->enc_out, &s->enc_out) || secret_copy(&d->integ_out, &s->integ_out))
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
	int rc = 0;

	if (dst == src)
		return 0;
	*dst = *src;
	/* Nothing of src may be shared: start every secret empty, then copy. */
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		memset(d[i], 0, sizeof(*d[i]));
	for (size_t i = 0; i < IKE_STATE_MAX_CHILDREN; i++) {
		memset(&dst->child[i].enc_in, 0, sizeof(dst->child[i].enc_in));
		memset(&dst->child[i].integ_in, 0, sizeof(dst->child[i].integ_in));
		memset(&dst->child[i].enc_out, 0, sizeof(dst->child[i].enc_out));
		memset(&dst->child[i].integ_out, 0, sizeof(dst->child[i].integ_out));
	}
	for (size_t i = 0; rc == 0 && i < sizeof(d) / sizeof(d[0]); i++)
		rc = secret_copy(d[i], s[i]);
	for (size_t i = 0; rc == 0 && i < src->nchildren && i < IKE_STATE_MAX_CHILDREN; i++)
		rc = child_copy(&dst->child[i], &src->child[i]);
	if (rc) {
		ike_sa_state_clear(dst);
		return -ENOMEM;
	}
	return 0;
}
