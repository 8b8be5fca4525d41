/* SPDX-License-Identifier: MIT */
/*
 * Control codec: framing limits, request decoding (good, wrong version, unknown command,
 * garbage) and responses that decode back to what was encoded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl.pb-c.h"
#include "node/ctl/ctl_codec.h"

static void
test_frame_check(void **state)
{
	static const uint8_t part[] = {0x00, 0x00, 0x00, 0x04, 0x08};
	static const uint8_t whole[] = {0x00, 0x00, 0x00, 0x02, 0x08, 0x01, 0xff};
	static const uint8_t huge[] = {0x01, 0x00, 0x00, 0x01};
	size_t n = 0;

	(void)state;
	assert_int_equal(ctl_frame_check(part, 3, &n), -EAGAIN);
	assert_int_equal(ctl_frame_check(part, sizeof(part), &n), -EAGAIN);
	assert_int_equal(ctl_frame_check(whole, sizeof(whole), &n), 0);
	assert_int_equal(n, 6); /* the trailing byte belongs to the next frame */
	assert_int_equal(ctl_frame_check(huge, sizeof(huge), &n), -EMSGSIZE);
}

static void
test_request_decode(void **state)
{
	static const uint8_t status[] = {0x08, 0x01, 0x52, 0x00};
	static const uint8_t show_verbose[] = {0x08, 0x01, 0x5a, 0x02, 0x08, 0x01};
	static const uint8_t v2[] = {0x08, 0x02, 0x52, 0x00};
	static const uint8_t nocmd[] = {0x08, 0x01};
	static const uint8_t garbage[] = {0xff, 0xff, 0xff};
	struct ctl_request req;

	(void)state;
	assert_int_equal(ctl_request_decode(status, sizeof(status), &req), 0);
	assert_int_equal(req.cmd, CTL_CMD_STATUS);
	assert_int_equal(ctl_request_decode(show_verbose, sizeof(show_verbose), &req), 0);
	assert_int_equal(req.cmd, CTL_CMD_SHOW_CONFIG);
	assert_true(req.verbose);
	assert_int_equal(ctl_request_decode(v2, sizeof(v2), &req), -ENOTSUP);
	assert_int_equal(req.version, 2);
	assert_int_equal(ctl_request_decode(nocmd, sizeof(nocmd), &req), -ENOTSUP);
	assert_int_equal(ctl_request_decode(garbage, sizeof(garbage), &req), -EPROTO);
}

static Tandem__Ctl__V1__Response *
unframe(struct buf *b)
{
	size_t n;

	assert_int_equal(ctl_frame_check(b->b_data, b->b_len, &n), 0);
	assert_int_equal(n, b->b_len);
	return tandem__ctl__v1__response__unpack(NULL, n - CTL_FRAME_HDR_LEN,
	                                         b->b_data + CTL_FRAME_HDR_LEN);
}

static void
test_status_roundtrip(void **state)
{
	static const char *const nb[] = {"ike", "ha", NULL};
	struct ctl_reload rl = {.at_unix = 1700000000, .ok = false, .errors = 2};
	struct ctl_status st = {
	        .node = "gw1",
	        .cluster = "hq",
	        .role = "standalone",
	        .uptime_sec = 61,
	        .pid = 42,
	        .config_path = "/etc/t.conf",
	        .config_digest = "ab",
	        .config_loaded_unix = 1700000001,
	        .config_warnings = 3,
	        .last_reload = &rl,
	        .tunnels_configured = 2,
	        .master_key_id = "01020304",
	        .not_built = nb,
	};
	Tandem__Ctl__V1__Response *r;
	struct buf b;

	(void)state;
	snprintf(rl.detail, sizeof(rl.detail), "f:1:1: error: x");
	buf_init(&b, false);
	assert_int_equal(ctl_encode_status(&st, &b), 0);
	r = unframe(&b);
	assert_non_null(r);
	assert_int_equal(r->error, 0);
	assert_int_equal(r->body_case, TANDEM__CTL__V1__RESPONSE__BODY_STATUS);
	assert_string_equal(r->status->node, "gw1");
	assert_int_equal(r->status->uptime_sec, 61);
	assert_int_equal(r->status->n_not_built, 2);
	assert_string_equal(r->status->not_built[1], "ha");
	assert_false(r->status->last_reload->ok);
	assert_string_equal(r->status->last_reload->detail, "f:1:1: error: x");
	tandem__ctl__v1__response__free_unpacked(r, NULL);
	buf_fini(&b);
}

static void
test_error_response(void **state)
{
	Tandem__Ctl__V1__Response *r;
	struct buf b;

	(void)state;
	buf_init(&b, false);
	assert_int_equal(ctl_encode_error(ENOENT, "no tunnel 'x'", &b), 0);
	r = unframe(&b);
	assert_non_null(r);
	assert_int_equal(r->error, ENOENT);
	assert_string_equal(r->message, "no tunnel 'x'");
	assert_int_equal(r->body_case, TANDEM__CTL__V1__RESPONSE__BODY__NOT_SET);
	tandem__ctl__v1__response__free_unpacked(r, NULL);
	buf_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_frame_check),
	        cmocka_unit_test(test_request_decode),
	        cmocka_unit_test(test_status_roundtrip),
	        cmocka_unit_test(test_error_response),
	};

	return cmocka_run_group_tests_name("ctl_codec", tests, NULL, NULL);
}
