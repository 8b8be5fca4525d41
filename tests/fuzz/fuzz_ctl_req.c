/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the control channel's request decoder and frame check, the bytes any
 * local client can send to tandemd.
 */
#include <stddef.h>
#include <stdint.h>

#include "node/ctl/ctl_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	size_t frame_len;

	if (ctl_frame_check(data, size, &frame_len) == 0)
		(void)ctl_request_decode(data + CTL_FRAME_HDR_LEN, frame_len - CTL_FRAME_HDR_LEN,
		                         &req);
	(void)ctl_request_decode(data, size, &req);
	return 0;
}
