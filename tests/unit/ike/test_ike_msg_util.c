/* SPDX-License-Identifier: MIT */
/* Golden-file loading and clean-return checks for the IKEv2 codec's unit tests. */
#include "test_ike_msg_util.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

const char *const iket_vectors[] = {
        "01-sa_init-ireq.bin",  "02-sa_init-rresp.bin",     "03-sa_init-ireq.bin",
        "04-sa_init-rresp.bin", "05-sa_init-ireq.bin",      "06-sa_init-rresp.bin",
        "07-sa_init-ireq.bin",  "08-sa_init-rresp.bin",     "09-auth-ireq.bin",
        "10-auth-rresp.bin",    "11-create_child-ireq.bin", "12-create_child-rresp.bin",
        "13-info-ireq.bin",     "14-info-rresp.bin",        "15-info-ireq.bin",
        "16-info-rresp.bin",
};
const size_t iket_nvectors = sizeof(iket_vectors) / sizeof(iket_vectors[0]);

size_t
iket_load(const char *name, uint8_t *buf)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/vectors/ike/%s", TANDEM_SOURCE_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, IKET_MAX_FILE, f);
	fclose(f);
	assert_true(n > 0 && n < IKET_MAX_FILE);
	return n;
}

void
iket_check_clean(int rc, const struct ike_perr *err)
{
	char text[256];

	if (rc == 0) {
		assert_int_equal(err->reason, IKE_REJ_NONE);
		return;
	}
	assert_int_equal(rc, -EBADMSG);
	assert_true(err->reason > IKE_REJ_NONE && err->reason < IKE_REJ_COUNT);
	ike_perr_format(err, text, sizeof(text));
	assert_true(text[0] != '\0');
	assert_string_not_equal(ike_reject_info(err->reason)->counter, "unknown");
}
