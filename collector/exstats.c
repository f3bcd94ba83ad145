/*
 * exstats.c - per-exporter counters.  See exstats.h.
 */
#include <stdlib.h>
#include <string.h>

#include "exstats.h"
#include "rd.h"

int
exstats_init(struct exstats *e, uint32_t cap)
{
	uint32_t size = 16;

	memset(e, 0, sizeof(*e));
	if (cap == 0)
		cap = EXSTATS_DEF_CAP;
	while (size < cap * 2)
		size <<= 1;
	if ((e->tab = calloc(size, sizeof(*e->tab))) == NULL)
		return -1;
	e->size = size;
	e->cap = cap;
	return 0;
}

void
exstats_free(struct exstats *e)
{
	free(e->tab);
	e->tab = NULL;
}

void
exstats_clear(struct exstats *e)
{
	memset(e->tab, 0, (size_t)e->size * sizeof(*e->tab));
	memset(&e->other, 0, sizeof(e->other));
	e->n = 0;
}

static uint32_t
addr_hash(const struct flow_addr *a)
{
	return flow_addr_hash(FLOW_FNV_INIT, a);
}

struct exstat *
exstats_get(struct exstats *e, const struct flow_addr *a)
{
	uint32_t i, mask = e->size - 1;

	if (a->af == 0)
		return &e->other;
	for (i = addr_hash(a) & mask; ; i = (i + 1) & mask) {
		struct exstat *x = &e->tab[i];

		if (!x->used)
			break;
		if (flow_addr_eq(&x->addr, a))
			return x;
	}
	if (e->n >= e->cap)
		return &e->other;
	e->n++;
	e->tab[i].used = 1;
	e->tab[i].addr = *a;
	return &e->tab[i];
}

static void
add(struct exstat *d, const struct exstat *s)
{
	int p;

	for (p = 0; p < EX_NPROTO; p++) {
		d->dgrams[p] += s->dgrams[p];
		d->bytes[p] += s->bytes[p];
	}
	d->errors += s->errors;
	d->records += s->records;
	d->denied += s->denied;
	if (s->last_ms > d->last_ms)
		d->last_ms = s->last_ms;
}

void
exstats_merge(struct exstats *dst, const struct exstats *src)
{
	uint32_t i;

	for (i = 0; i < src->size; i++)
		if (src->tab[i].used)
			add(exstats_get(dst, &src->tab[i].addr), &src->tab[i]);
	add(&dst->other, &src->other);
}

void
exstats_foreach(const struct exstats *e, exstats_fn *fn, void *arg)
{
	uint32_t i;
	int p;

	for (i = 0; i < e->size; i++)
		if (e->tab[i].used)
			fn(arg, &e->tab[i]);
	for (p = 0; p < EX_NPROTO; p++)
		if (e->other.dgrams[p])
			break;
	if (p < EX_NPROTO || e->other.denied)
		fn(arg, &e->other);
}

enum ex_proto
ex_proto_of(const uint8_t *buf, size_t len)
{
	if (len < 4)
		return EX_OTHER;
	if (be32(buf) == 5)
		return EX_SFLOW;
	switch (be16(buf)) {
	case 5:
		return EX_NF5;
	case 9:
		return EX_NF9;
	case 10:
		return EX_IPFIX;
	}
	return EX_OTHER;
}

const char *
ex_proto_name(enum ex_proto p)
{
	static const char *names[] = { "netflow5", "netflow9", "ipfix",
	    "sflow5", "other" };

	return (unsigned)p < EX_NPROTO ? names[p] : "other";
}
