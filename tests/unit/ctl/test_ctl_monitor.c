/* SPDX-License-Identifier: MIT */
/*
 * Monitoring over the control socket (proto/ctl.proto 60-69): the requests decode, Event and
 * ShowRedundancy encode, and the server's event stream: a subscribed client that does not
 * read loses the oldest events, never blocks the publisher, and learns exactly how many it
 * lost (the gaps in `seq` equal the `dropped` counts).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "ctl.pb-c.h"
#include "node/ctl/ctl_codec.h"
#include "node/ctl/ctl_codec_mon.h"
#include "node/ctl/ctl_server.h"

static size_t
pack_req(Tandem__Ctl__V1__Request *r, uint8_t *out, size_t cap)
{
	size_t n = tandem__ctl__v1__request__get_packed_size(r);

	assert_true(n <= cap);
	return tandem__ctl__v1__request__pack(r, out);
}

static void
test_decode(void **state)
{
	Tandem__Ctl__V1__Request r;
	Tandem__Ctl__V1__MonitorRequest m;
	Tandem__Ctl__V1__ShowRedundancyRequest sr;
	struct ctl_request req;
	uint8_t b[64];
	size_t n;

	(void)state;
	tandem__ctl__v1__request__init(&r);
	r.has_version = true;
	r.version = 1;
	tandem__ctl__v1__monitor_request__init(&m);
	r.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_MONITOR;
	r.monitor = &m;
	n = pack_req(&r, b, sizeof(b));
	assert_int_equal(ctl_request_decode(b, n, &req), 0);
	assert_int_equal(req.cmd, CTL_CMD_MONITOR);
	tandem__ctl__v1__show_redundancy_request__init(&sr);
	r.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_REDUNDANCY;
	r.show_redundancy = &sr;
	n = pack_req(&r, b, sizeof(b));
	assert_int_equal(ctl_request_decode(b, n, &req), 0);
	assert_int_equal(req.cmd, CTL_CMD_SHOW_REDUNDANCY);
}

static Tandem__Ctl__V1__Response *
unframe(const uint8_t *p, size_t len, size_t *used)
{
	size_t n;

	if (ctl_frame_check(p, len, &n) != 0)
		return NULL;
	*used = n;
	return tandem__ctl__v1__response__unpack(NULL, n - CTL_FRAME_HDR_LEN,
	                                         p + CTL_FRAME_HDR_LEN);
}

static void
test_encode(void **state)
{
	struct ctl_event ev = {.seq = 7, .at_unix_ms = 1700000000123, .duration_ms = 42};
	static const char *const backups[] = {"Tun-2", "Tun-3"};
	struct ctl_route routes[3] = {
	        {.prefix = "10.2.0.0/24", .tunnel = "Tun-1", .metric = 5, .managed = true},
	        {.prefix = "10.2.0.0/24",
	         .tunnel = "Tun-2",
	         .metric = 10,
	         .managed = true,
	         .installed = true,
	         .carrier = true},
	        {.prefix = "10.2.0.0/24", .tunnel = "Tun-3", .metric = 20, .managed = true},
	};
	struct ctl_redundancy rd = {
	        .prefix = "10.2.0.0/24",
	        .preferred = "Tun-1",
	        .backups = backups,
	        .nbackups = 2,
	        .carrier = "Tun-2",
	        .since_unix = 1700000000,
	        .last_switch_reason = "engine G1 is down",
	        .routes = routes,
	        .nroutes = 3,
	};
	Tandem__Ctl__V1__Response *r;
	struct buf b;
	size_t used;

	(void)state;
	snprintf(ev.kind, sizeof(ev.kind), "failover");
	snprintf(ev.subject, sizeof(ev.subject), "gw2");
	snprintf(ev.state, sizeof(ev.state), "active_left");
	snprintf(ev.reason, sizeof(ev.reason), "node 1 (gw1), the active one, left the group");
	buf_init(&b, false);
	assert_int_equal(ctl_encode_event(&ev, 3, &b), 0);
	r = unframe(b.b_data, b.b_len, &used);
	assert_non_null(r);
	assert_int_equal(used, b.b_len);
	assert_int_equal(r->body_case, TANDEM__CTL__V1__RESPONSE__BODY_EVENT);
	assert_int_equal(r->event->seq, 7);
	assert_int_equal(r->event->dropped, 3);
	assert_int_equal(r->event->duration_ms, 42);
	assert_string_equal(r->event->kind, "failover");
	assert_string_equal(r->event->state, "active_left");
	tandem__ctl__v1__response__free_unpacked(r, NULL);
	b.b_len = 0;
	assert_int_equal(ctl_encode_show_redundancy(true, &rd, 1, &b), 0);
	r = unframe(b.b_data, b.b_len, &used);
	assert_non_null(r);
	assert_int_equal(r->body_case, TANDEM__CTL__V1__RESPONSE__BODY_REDUNDANCY);
	assert_true(r->redundancy->active);
	assert_int_equal(r->redundancy->n_prefixes, 1);
	assert_string_equal(r->redundancy->prefixes[0]->preferred, "Tun-1");
	assert_int_equal(r->redundancy->prefixes[0]->n_backups, 2);
	assert_string_equal(r->redundancy->prefixes[0]->backups[1], "Tun-3");
	assert_true(r->redundancy->prefixes[0]->on_backup);
	assert_int_equal(r->redundancy->prefixes[0]->n_routes, 3);
	assert_true(r->redundancy->prefixes[0]->routes[1]->carrier);
	assert_string_equal(r->redundancy->prefixes[0]->last_switch_reason, "engine G1 is down");
	tandem__ctl__v1__response__free_unpacked(r, NULL);
	/* no prefixes at all */
	b.b_len = 0;
	assert_int_equal(ctl_encode_show_redundancy(false, NULL, 0, &b), 0);
	r = unframe(b.b_data, b.b_len, &used);
	assert_non_null(r);
	assert_int_equal(r->redundancy->n_prefixes, 0);
	tandem__ctl__v1__response__free_unpacked(r, NULL);
	buf_fini(&b);
}

static int
no_handler(void *arg, const struct ctl_request *req, struct buf *resp)
{
	(void)arg;
	(void)req;
	(void)resp;
	return -ENOTSUP;
}

/* Reads what is there (non-blocking) into in. */
static void
drain(int fd, struct buf *in)
{
	uint8_t chunk[65536];
	ssize_t n;

	while ((n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT)) > 0)
		assert_true(buf_put(in, chunk, (size_t)n));
}

#define N_EVENTS 20000u

static void
test_stream_drop_oldest(void **state)
{
	struct event_base *base = event_base_new();
	struct ctl_server *srv = NULL;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/tandem-ctlmon-XXXXXX";
	Tandem__Ctl__V1__Request rq;
	Tandem__Ctl__V1__MonitorRequest m;
	uint8_t p[64];
	struct buf out, in;
	uint64_t last_seq = 0, got = 0, dropped = 0, srv_dropped = 0;
	unsigned subs = 0;
	size_t off = 0, used;
	int fd;

	(void)state;
	assert_non_null(base);
	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/ctl.sock", dir);
	assert_int_equal(ctl_server_new(base, sun.sun_path, no_handler, NULL, &srv), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	tandem__ctl__v1__request__init(&rq);
	rq.has_version = true;
	rq.version = 1;
	tandem__ctl__v1__monitor_request__init(&m);
	rq.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_MONITOR;
	rq.monitor = &m;
	buf_init(&out, false);
	buf_init(&in, false);
	assert_int_equal(ctl_frame_put(&out, p, pack_req(&rq, p, sizeof(p))), 0);
	assert_int_equal(send(fd, out.b_data, out.b_len, 0), (ssize_t)out.b_len);
	for (int i = 0; i < 100 && subs == 0; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		ctl_server_mon_stats(srv, &subs, &srv_dropped);
		if (!subs)
			usleep(1000);
	}
	assert_int_equal(subs, 1);
	/* publish far more than the queue, the output buffer and the socket hold, never reading */
	for (uint64_t i = 1; i <= N_EVENTS; i++) {
		struct ctl_event ev = {.seq = i, .at_unix_ms = (int64_t)i};

		snprintf(ev.kind, sizeof(ev.kind), "route");
		snprintf(ev.subject, sizeof(ev.subject), "10.2.0.0/24");
		snprintf(ev.reason, sizeof(ev.reason), "event number %llu, with some words",
		         (unsigned long long)i);
		ctl_server_publish(srv, &ev);
		if (i % 100 == 0)
			event_base_loop(base, EVLOOP_NONBLOCK);
	}
	ctl_server_mon_stats(srv, &subs, &srv_dropped);
	assert_true(srv_dropped > 0);
	/* now read everything: the server refills from its queue as the socket drains */
	for (int idle = 0; idle < 50;) {
		size_t before = in.b_len;

		event_base_loop(base, EVLOOP_NONBLOCK);
		drain(fd, &in);
		if (in.b_len == before) {
			idle++;
			usleep(1000);
		} else {
			idle = 0;
		}
	}
	while (off < in.b_len) {
		Tandem__Ctl__V1__Response *r = unframe(in.b_data + off, in.b_len - off, &used);

		assert_non_null(r);
		assert_int_equal(r->body_case, TANDEM__CTL__V1__RESPONSE__BODY_EVENT);
		if (strcmp(r->event->kind, "subscribed") != 0) {
			/* each gap is exactly what the event says was dropped before it */
			assert_true(r->event->seq > last_seq);
			assert_int_equal(r->event->seq - last_seq - 1, r->event->dropped);
			dropped += r->event->dropped;
			last_seq = r->event->seq;
			got++;
		}
		tandem__ctl__v1__response__free_unpacked(r, NULL);
		off += used;
	}
	assert_int_equal(last_seq, N_EVENTS); /* the newest survive */
	assert_int_equal(got + dropped, N_EVENTS);
	assert_int_equal(dropped, srv_dropped);
	assert_true(dropped > 0);
	assert_true(got >= 128); /* at least one whole queue arrived */
	close(fd);
	/* a client that goes away is freed; publishing goes on */
	for (int i = 0; i < 100 && subs; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		ctl_server_mon_stats(srv, &subs, &srv_dropped);
		usleep(1000);
	}
	assert_int_equal(subs, 0);
	buf_fini(&out);
	buf_fini(&in);
	ctl_server_free(srv);
	event_base_free(base);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decode),
	        cmocka_unit_test(test_encode),
	        cmocka_unit_test(test_stream_drop_oldest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
