#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static void
tu_cb(void *arg, const struct flow_rec *r)
{
	struct tu *t = arg;

	if (t->n < TU_MAX_RECS)
		t->recs[t->n++] = *r;
}

struct tu *
tu_new_lim(const struct dec_limits *lim)
{
	struct tu *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_int_equal(dec_init(&t->ctx, lim, tu_cb, t), 0);
	assert_int_equal(flow_addr_parse(&t->in.exporter, "192.0.2.1"), 0);
	t->in.port = 4444;
	t->in.now_ms = t->in.mono_ms = 1700000000000ULL;
	return t;
}

struct tu *
tu_new(void)
{
	return tu_new_lim(NULL);
}

void
tu_free(struct tu *t)
{
	dec_free(&t->ctx);
	free(t);
}

enum dec_status
tu_feed(struct tu *t, const uint8_t *buf, size_t len)
{
	/* Copy into an exact-size heap buffer so ASan sees any over-read. */
	uint8_t *copy = malloc(len ? len : 1);
	enum dec_status st;

	assert_non_null(copy);
	if (len)
		memcpy(copy, buf, len);
	st = dec_datagram(&t->ctx, &t->in, copy, len);
	free(copy);
	return st;
}

size_t
tu_count(const struct tu *t, int kind)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (t->recs[i].kind == kind)
			n++;
	return n;
}

const struct flow_rec *
tu_flow(const struct tu *t, size_t i)
{
	size_t k;

	for (k = 0; k < t->n; k++)
		if (t->recs[k].kind == FLOW_KIND_FLOW && i-- == 0)
			return &t->recs[k];
	return NULL;
}

const char *
tu_addr(const struct flow_addr *a)
{
	static char buf[4][64];
	static int slot;

	slot = (slot + 1) % 4;
	return flow_addr_str(a, buf[slot], sizeof(buf[slot]));
}
