/* SPDX-License-Identifier: MIT */
/* Blocking client for the control socket with an overall deadline. */
#include "hactl_conn.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "node/core/clk.h"
#include "node/ctl/ctl_codec.h"

int
hactl_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Waits until fd is ready for `events` or the deadline passes. */
static int
hactl_wait(int fd, short events, uint64_t deadline_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	uint64_t now = clk_mono_ms();
	int n;

	if (now >= deadline_ms)
		return -ETIMEDOUT;
	n = poll(&pfd, 1, (int)(deadline_ms - now));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

static int
hactl_send_all(int fd, const uint8_t *p, size_t len, uint64_t deadline_ms)
{
	while (len) {
		ssize_t n;
		int rc = hactl_wait(fd, POLLOUT, deadline_ms);

		if (rc < 0)
			return rc;
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

int
hactl_roundtrip(int fd, const uint8_t *payload, size_t len, int timeout_ms, struct buf *reply)
{
	uint64_t deadline = clk_mono_ms() + (uint64_t)timeout_ms;
	struct buf out, in;
	size_t frame_len = 0;
	int rc;

	buf_init(&out, false);
	buf_init(&in, false);
	rc = ctl_frame_put(&out, payload, len);
	if (rc == 0)
		rc = hactl_send_all(fd, out.b_data, out.b_len, deadline);
	while (rc == 0) {
		uint8_t chunk[65536];
		ssize_t n;

		rc = ctl_frame_check(in.b_data, in.b_len, &frame_len);
		if (rc != -EAGAIN)
			break;
		rc = hactl_wait(fd, POLLIN, deadline);
		if (rc < 0)
			break;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n == 0)
			rc = -ECONNRESET;
		else if (n < 0)
			rc = (errno == EINTR || errno == EAGAIN) ? 0 : -errno;
		else if (!buf_put(&in, chunk, (size_t)n))
			rc = -ENOMEM;
	}
	if (rc == 0 &&
	    !buf_put(reply, in.b_data + CTL_FRAME_HDR_LEN, frame_len - CTL_FRAME_HDR_LEN))
		rc = -ENOMEM;
	buf_fini(&out);
	buf_fini(&in);
	return rc;
}
