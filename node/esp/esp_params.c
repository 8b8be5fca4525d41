/* SPDX-License-Identifier: MIT */
/*
 * The SA parameters that cross the engine channel: releasing and copying the key material
 * they own. Everything else in struct esp_sa_params is plain data.
 */
#include "esp_params.h"

#include <errno.h>
#include <string.h>

void
esp_sa_params_clear(struct esp_sa_params *p)
{
	secret_clear(&p->enc_key);
	secret_clear(&p->integ_key);
}

int
esp_sa_params_copy(struct esp_sa_params *dst, const struct esp_sa_params *src)
{
	struct secret ek = {0}, ik = {0};

	if (dst == src)
		return 0;
	if (secret_copy(&ek, &src->enc_key) < 0 || secret_copy(&ik, &src->integ_key) < 0) {
		secret_clear(&ek);
		secret_clear(&ik);
		return -ENOMEM;
	}
	/* dst is caller storage, overwritten whole: keys it held before are the caller's to clear
	 */
	memcpy(dst, src, sizeof(*dst));
	dst->enc_key = ek;
	dst->integ_key = ik;
	return 0;
}
