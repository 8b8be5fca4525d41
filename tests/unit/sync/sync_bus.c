/* SPDX-License-Identifier: MIT */
/*
 * The fake totally ordered group (sync_bus.h).
 */
#include "sync_bus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum bus_kind { BUS_MSG, BUS_VIEW };

struct bus_item {
	struct bus_item *next;
	enum bus_kind kind;
	uint32_t from, pid;
	uint8_t *p;
	size_t len;
	/* BUS_VIEW */
	struct sync_member joined, left;
	bool has_joined, has_left;
};

static void
clock_cb(void *arg, struct sync_clock *c)
{
	struct bus_node *n = arg;

	c->mono_ms = n->bus->now_ms;
	c->unix_ms = 1700000000000ll + (int64_t)n->bus->now_ms;
}

static void
safe_cb(void *arg, uint64_t commit)
{
	struct bus_node *n = arg;

	n->safe = commit;
}

static void
lease_cb(void *arg, uint32_t spi, uint64_t limit)
{
	struct bus_node *n = arg;

	n->lease_spi = spi;
	n->lease_limit = limit;
	n->leases++;
}

static void
role_cb(void *arg, enum ha_role old, enum ha_role now, const char *why)
{
	struct bus_node *n = arg;

	(void)old;
	(void)why;
	n->role = now;
	n->role_calls++;
}

static const struct sync_host bus_host = {
        .clock = clock_cb,
        .commit_safe = safe_cb,
        .lease_granted = lease_cb,
        .role_changed = role_cb,
};

static void
enqueue(struct bus *b, struct bus_item *it)
{
	it->next = NULL;
	if (b->tail)
		b->tail->next = it;
	else
		b->head = it;
	b->tail = it;
	b->queued++;
}

static struct bus_node *
node_by(struct bus *b, uint32_t id)
{
	for (size_t i = 0; i < b->nn; i++)
		if (b->n[i].id == id)
			return &b->n[i];
	return NULL;
}

static int
send_cb(void *arg, const uint8_t *p, size_t len)
{
	struct bus_node *n = arg;
	struct bus_item *it;

	if (!n->member)
		return -ENOTCONN;
	it = calloc(1, sizeof(*it));
	if (!it || !(it->p = malloc(len ? len : 1))) {
		free(it);
		return -ENOBUFS;
	}
	memcpy(it->p, p, len);
	it->len = len;
	it->kind = BUS_MSG;
	it->from = n->id;
	it->pid = n->pid;
	n->queued_bytes += len;
	enqueue(n->bus, it);
	return 0;
}

static size_t
backlog_cb(void *arg)
{
	struct bus_node *n = arg;

	return n->queued_bytes;
}

static const struct sync_transport bus_transport = {.send = send_cb, .backlog = backlog_cb};

void
bus_init(struct bus *b, unsigned quorum)
{
	memset(b, 0, sizeof(*b));
	b->quorum = quorum;
	b->now_ms = 1000;
}

static void
item_free(struct bus_item *it)
{
	free(it->p);
	free(it);
}

void
bus_fini(struct bus *b)
{
	while (b->head) {
		struct bus_item *it = b->head;

		b->head = it->next;
		item_free(it);
	}
	for (size_t i = 0; i < b->nn; i++)
		sync_free(b->n[i].s);
	memset(b, 0, sizeof(*b));
}

struct bus_node *
bus_add(struct bus *b, uint32_t id, uint8_t priority, const struct sync_opts *opts)
{
	struct bus_node *n = &b->n[b->nn++];
	struct sync_opts o;

	memset(n, 0, sizeof(*n));
	if (opts)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	n->bus = b;
	n->id = id;
	n->pid = 100 + id;
	o.node_id = id;
	o.pid = n->pid;
	o.name = o.name ? o.name : "node";
	o.priority = priority;
	o.epoch = b->now_ms;
	o.seed = 0x5eed0000u + id;
	if (!o.report_every)
		o.report_every = 1024;
	if (sync_new(&o, &bus_transport, n, &bus_host, n, NULL, &n->s))
		abort();
	sync_engines(n->s, 1, 1);
	return n;
}

static void
queue_view(struct bus *b, struct bus_node *joined, struct bus_node *left)
{
	struct bus_item *it = calloc(1, sizeof(*it));

	if (!it)
		abort();
	it->kind = BUS_VIEW;
	if (joined) {
		it->has_joined = true;
		it->joined = (struct sync_member){joined->id, joined->pid, false};
	}
	if (left) {
		it->has_left = true;
		it->left = (struct sync_member){left->id, left->pid, false};
	}
	enqueue(b, it);
}

void
bus_join(struct bus_node *n)
{
	n->member = true;
	sync_link(n->s, true);
	queue_view(n->bus, n, NULL);
}

static void
drop_from(struct bus *b, uint32_t id)
{
	struct bus_item **pp = &b->head, *last = NULL;

	while (*pp) {
		struct bus_item *it = *pp;

		if (it->kind == BUS_MSG && it->from == id) {
			*pp = it->next;
			b->queued--;
			item_free(it);
			continue;
		}
		last = it;
		pp = &it->next;
	}
	b->tail = last;
}

void
bus_crash(struct bus_node *n)
{
	drop_from(n->bus, n->id);
	n->queued_bytes = 0;
	n->member = false;
	queue_view(n->bus, NULL, n);
}

void
bus_relink(struct bus_node *n)
{
	drop_from(n->bus, n->id);
	n->queued_bytes = 0;
	n->member = false;
	sync_link(n->s, false);
	queue_view(n->bus, NULL, n);
	bus_run(n->bus);
	bus_join(n);
}

static void
deliver_view(struct bus *b, const struct bus_item *it)
{
	struct sync_member mem[BUS_MAX_NODES];
	size_t nm = 0;

	b->ring_seq += 4;
	for (size_t i = 0; i < b->nn; i++)
		if (b->n[i].member)
			mem[nm++] = (struct sync_member){b->n[i].id, b->n[i].pid, false};
	for (size_t i = 0; i < b->nn; i++) {
		struct bus_node *n = &b->n[i];
		struct sync_view v = {
		        .members = mem,
		        .nmembers = nm,
		        .joined = &it->joined,
		        .njoined = it->has_joined,
		        .left = &it->left,
		        .nleft = it->has_left,
		};

		if (!n->member)
			continue;
		sync_ring(n->s, 1, b->ring_seq);
		sync_view(n->s, &v);
		sync_quorum(n->s, nm >= b->quorum, 1, b->ring_seq);
	}
}

void
bus_inject(struct bus *b, uint32_t from, uint32_t pid, const uint8_t *p, size_t len)
{
	struct bus_item *it = calloc(1, sizeof(*it));

	if (!it || !(it->p = malloc(len ? len : 1)))
		abort();
	memcpy(it->p, p, len);
	it->len = len;
	it->kind = BUS_MSG;
	it->from = from;
	it->pid = pid;
	enqueue(b, it);
}

static void
tick_all(struct bus *b)
{
	for (size_t i = 0; i < b->nn; i++)
		if (b->n[i].member)
			(void)sync_tick(b->n[i].s);
}

/* SYNC_BUS_DUMP=DIR: the first messages delivered are written there (the fuzz corpus). */
static void
dump(const struct bus_item *it)
{
	static unsigned per_type[SYNC_T_COUNT], n;
	const char *dir = getenv("SYNC_BUS_DUMP");
	struct sync_msg m;
	enum sync_rej why;
	char path[512];
	FILE *f;

	if (!dir || sync_msg_decode(it->p, it->len, &m, &why))
		return;
	sync_msg_fini(&m);
	if (per_type[m.type] >= 8 || it->len > 16384)
		return;
	per_type[m.type]++;
	snprintf(path, sizeof(path), "%s/%s-%u", dir, sync_type_name(m.type), n++);
	f = fopen(path, "wb");
	if (!f)
		return;
	(void)fwrite(it->p, 1, it->len, f);
	fclose(f);
}

bool
bus_step(struct bus *b)
{
	struct bus_item *it = b->head;

	if (!it)
		return false;
	b->head = it->next;
	if (!b->head)
		b->tail = NULL;
	b->queued--;
	if (it->kind == BUS_VIEW) {
		deliver_view(b, it);
	} else {
		struct bus_node *src = node_by(b, it->from);

		if (src && src->pid == it->pid && src->queued_bytes >= it->len)
			src->queued_bytes -= it->len;
		b->delivered_msgs++;
		b->delivered_bytes += it->len;
		dump(it);
		for (size_t i = 0; i < b->nn; i++)
			if (b->n[i].member)
				sync_deliver(b->n[i].s, it->from, it->pid, it->p, it->len);
	}
	item_free(it);
	tick_all(b);
	return true;
}

size_t
bus_run(struct bus *b)
{
	size_t n = 0;

	while (bus_step(b)) {
		n++;
		b->now_ms++;
	}
	return n;
}

void
bus_advance(struct bus *b, uint64_t ms)
{
	b->now_ms += ms;
	tick_all(b);
}
