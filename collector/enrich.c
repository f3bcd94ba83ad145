/*
 * enrich.c - see enrich.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"

#define INIT_CAPACITY	(1u << 18)	/* conversations remembered */
#define INIT_WINDOW_MS	120000		/* how long */
#define GEO_CAPACITY	(1u << 16)

struct enricher {
	const struct cfg	*cfg;
	struct init_table	*init;
	struct geo_cache	*geo;
	struct dpi		*dpi;
	struct enrich_stats	 st;
};

struct enricher *
enricher_new(const struct cfg *c, const struct geo_db *db, int with_dpi,
    char *err, size_t errlen)
{
	struct enricher *e = calloc(1, sizeof(*e));

	if (e == NULL)
		goto nomem;
	e->cfg = c;
	if ((e->init = init_table_new(INIT_CAPACITY, INIT_WINDOW_MS)) == NULL)
		goto nomem;
	if (db && (e->geo = geo_cache_new(db, GEO_CAPACITY)) == NULL)
		goto nomem;
	if (with_dpi && (e->dpi = dpi_new(err, errlen)) == NULL) {
		enricher_free(e);
		return NULL;
	}
	return e;
nomem:
	enricher_free(e);
	snprintf(err, errlen, "enrichment: out of memory");
	return NULL;
}

void
enricher_free(struct enricher *e)
{
	if (e == NULL)
		return;
	init_table_free(e->init);
	geo_cache_free(e->geo);
	dpi_free(e->dpi);
	free(e);
}

void
enricher_set_cfg(struct enricher *e, const struct cfg *c)
{
	e->cfg = c;
}

const struct enrich_stats *
enricher_stats(const struct enricher *e)
{
	return &e->st;
}

const struct init_stats *
enricher_init_stats(const struct enricher *e)
{
	return init_table_stats(e->init);
}

const char *
enr_traffic_name(int t)
{
	switch (t) {
	case ENR_IN:		return "in";
	case ENR_OUT:		return "out";
	case ENR_INTERNAL:	return "internal";
	}
	return "transit";
}

static int
is_local(const struct cfg *c, const struct flow_addr *a)
{
	return c->nlocal && cfg_cidr_find(c->local, c->nlocal, a) >= 0;
}

static int
group_of(const struct cfg *c, const struct flow_addr *a)
{
	size_t i;

	for (i = 0; i < c->ngroups; i++)
		if (cfg_cidr_find(c->groups[i].hosts, c->groups[i].nhosts, a)
		    >= 0)
			return (int)i;
	return -1;
}

/* The rate for a record: its own, or the configured one for its exporter. */
static uint32_t
rate_of(const struct cfg *c, const struct flow_rec *r)
{
	size_t i;

	for (i = 0; i < c->nsampling; i++)
		if (cfg_cidr_match(&c->sampling[i].exporter, &r->exporter)) {
			if (c->sampling[i].force || !(r->have & FL_SAMPLING) ||
			    r->sampling == 0)
				return c->sampling[i].rate;
			break;
		}
	if ((r->have & FL_SAMPLING) && r->sampling > 0)
		return r->sampling;
	return 1;
}

static uint64_t
scale(struct enricher *e, uint64_t v, uint32_t rate)
{
	if (rate > 1 && v > UINT64_MAX / rate) {
		e->st.scaled_saturated++;
		return UINT64_MAX;
	}
	return v * rate;
}

uint64_t
enrich_prefetch(const struct enricher *e, const struct flow_rec *r)
{
	if (e->cfg->nlocal == 0)	/* every record is transit */
		return 0;
	if (e->dpi)
		dpi_prefetch(e->dpi, r);
	return init_prefetch(e->init, r);
}

void
enrich_record(struct enricher *e, const struct flow_rec *r, uint64_t hint,
    struct enriched *o)
{
	const struct cfg *c = e->cfg;
	int sl, dl, opened_by_local;

	memset(o, 0, sizeof(*o));
	o->r = r;
	o->group = -1;
	e->st.records++;
	o->rate = rate_of(c, r);
	o->bytes = scale(e, r->bytes, o->rate);
	o->packets = scale(e, (r->have & FL_PACKETS) ? r->packets : 1,
	    o->rate);
	sl = (r->have & FL_SRC) && is_local(c, &r->src);
	dl = (r->have & FL_DST) && is_local(c, &r->dst);
	if (sl && dl)
		o->traffic = ENR_INTERNAL;
	else if (sl)
		o->traffic = ENR_OUT;
	else if (dl)
		o->traffic = ENR_IN;
	else {
		o->traffic = ENR_TRANSIT;
		e->st.transit++;
		return;
	}
	if (o->traffic == ENR_IN) {
		o->local = &r->dst;
		o->remote = &r->src;
		o->local_port = r->dport;
		o->remote_port = r->sport;
	} else {
		o->local = &r->src;
		o->remote = &r->dst;
		o->local_port = r->sport;
		o->remote_port = r->dport;
	}
	o->group = group_of(c, o->local);
	o->init = init_decide_h(e->init, r, (r->have & FL_LAST) && r->last ?
	    r->last : r->first, hint);
	if (o->init.who == INIT_UNKNOWN) {
		e->st.unknown_initiator++;
	} else if (o->traffic != ENR_INTERNAL) {
		/* Did our end open it? src opened and src is ours, or ... */
		opened_by_local = (o->init.who == INIT_SRC) ==
		    (o->traffic == ENR_OUT);
		if (opened_by_local) {
			o->outbound = 1;
			o->service_port = o->remote_port;
			e->st.outbound++;
		} else {
			o->inbound = 1;
			o->service_port = o->local_port;
			e->st.inbound++;
		}
	}
	if (e->geo && o->traffic != ENR_INTERNAL)
		geo_lookup(e->geo, o->remote, &o->geo);
	if (e->dpi) {
		if (r->pkt && r->pkt_len &&
		    dpi_label_packet(e->dpi, r->pkt, r->pkt_len,
		    r->first, &o->app) == 0)
			e->st.dpi_packets++;
		else
			dpi_label_record(e->dpi, r, &o->app);
	}
}
