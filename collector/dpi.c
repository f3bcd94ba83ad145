/*
 * dpi.c - nDPI 4.2 behind a small interface.  See dpi.h.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "dpi.h"

/*
 * Results cached per worker (nDPI's IP lists and port table do not change
 * once loaded): an address's IP-list match, a protocol id's label, and the
 * guess for a (protocol, source port, destination port).  Direct-mapped,
 * fixed size: a miss asks nDPI and replaces the entry.
 */
#define DPI_ADDR_CACHE	16384
#define DPI_ID_CACHE	256
#define DPI_PORT_CACHE	2048

struct dpi_addr_ent {
	uint32_t	addr;
	uint16_t	id;
	uint8_t		valid;
};

struct dpi_id_ent {
	struct dpi_label lab;
	uint8_t		valid;
};

struct dpi_port_ent {
	uint64_t	key;		/* 1 << 40 | proto << 32 | ports */
	struct dpi_label lab;		/* id 0: nothing guessed */
};

struct dpi {
	struct ndpi_detection_module_struct	*m;
	struct ndpi_flow_struct			*flow;
	struct dpi_addr_ent	 addr[DPI_ADDR_CACHE];
	struct dpi_id_ent	 ids[DPI_ID_CACHE];
	struct dpi_port_ent	 ports[DPI_PORT_CACHE];
	struct dpi_id_ent	 guessed[DPI_ID_CACHE];	/* by id, BY_PORT */
	uint32_t		 guessed_cat[DPI_ID_CACHE];
};

struct dpi *
dpi_new(char *err, size_t errlen)
{
	NDPI_PROTOCOL_BITMASK all;
	struct dpi *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto nomem;
	d->m = ndpi_init_detection_module(ndpi_no_prefs);
	if (d->m == NULL) {
		snprintf(err, errlen, "nDPI: cannot initialise");
		free(d);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->m, &all);
	ndpi_finalize_initialization(d->m);
	if ((d->flow = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT)) == NULL) {
		dpi_free(d);
		goto nomem;
	}
	memset(d->flow, 0, SIZEOF_FLOW_STRUCT);
	return d;
nomem:
	snprintf(err, errlen, "nDPI: out of memory");
	return NULL;
}

void
dpi_free(struct dpi *d)
{
	if (d == NULL)
		return;
	if (d->flow) {
		ndpi_free_flow_data(d->flow);
		ndpi_flow_free(d->flow);
	}
	if (d->m)
		ndpi_exit_detection_module(d->m);
	free(d);
}

static void
fill(struct dpi *d, uint16_t id, ndpi_protocol_category_t cat, int how,
    struct dpi_label *out)
{
	const char *n = ndpi_get_proto_name(d->m, id);
	const char *c = ndpi_category_get_name(d->m, cat);

	memset(out, 0, sizeof(*out));
	out->id = id;
	out->how = (uint8_t)how;
	snprintf(out->name, sizeof(out->name), "%s", n ? n : "Unknown");
	snprintf(out->category, sizeof(out->category), "%s", c ? c : "");
}

static uint16_t
ptree(struct dpi *d, const struct flow_addr *a)
{
	struct dpi_addr_ent *c;
	struct in_addr in;
	uint32_t v;

	if (a->af != 4)
		return NDPI_PROTOCOL_UNKNOWN;	/* nDPI 4.2: IPv4 lists only */
	memcpy(&v, a->a, 4);
	c = &d->addr[((v * 0x9e3779b1u) >> 18) & (DPI_ADDR_CACHE - 1)];
	if (c->valid && c->addr == v)
		return c->id;
	in.s_addr = v;
	c->id = ndpi_network_ptree_match(d->m, &in);
	c->addr = v;
	c->valid = 1;
	return c->id;
}

/* The label of an IP-list match. */
static void
by_ip(struct dpi *d, uint16_t id, struct dpi_label *out)
{
	struct dpi_id_ent *c = &d->ids[id & (DPI_ID_CACHE - 1)];

	if (!c->valid || c->lab.id != id) {
		fill(d, id, ndpi_get_proto_category(d->m,
		    (ndpi_protocol){ 0, id, 0 }), DPI_BY_IP, &c->lab);
		c->valid = 1;
	}
	*out = c->lab;
}

void
dpi_label_record(struct dpi *d, const struct flow_rec *r,
    struct dpi_label *out)
{
	struct dpi_port_ent *c;
	ndpi_protocol p;
	uint64_t key;
	uint16_t id;

	if ((r->have & FL_DST) && (id = ptree(d, &r->dst)) != 0) {
		by_ip(d, id, out);
		return;
	}
	if ((r->have & FL_SRC) && (id = ptree(d, &r->src)) != 0) {
		by_ip(d, id, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	if (!(r->have & FL_PROTO) || !(r->have & (FL_SPORT | FL_DPORT)))
		return;
	key = 1ull << 40 | (uint64_t)r->proto << 32 |
	    (uint32_t)r->sport << 16 | r->dport;
	c = &d->ports[((uint32_t)(key * 0x9e3779b97f4a7c15ull >> 32)) &
	    (DPI_PORT_CACHE - 1)];
	if (c->key != key) {
		p = ndpi_guess_undetected_protocol(d->m, NULL, r->proto, 0,
		    r->sport, 0, r->dport);
		id = p.app_protocol ? p.app_protocol : p.master_protocol;
		memset(&c->lab, 0, sizeof(c->lab));
		if (id != NDPI_PROTOCOL_UNKNOWN) {
			/* The names of (id, category): formatted once. */
			size_t i = id & (DPI_ID_CACHE - 1);
			struct dpi_id_ent *g = &d->guessed[i];

			if (!g->valid || g->lab.id != id ||
			    d->guessed_cat[i] != (uint32_t)p.category) {
				fill(d, id, p.category, DPI_BY_PORT, &g->lab);
				d->guessed_cat[i] = (uint32_t)p.category;
				g->valid = 1;
			}
			c->lab = g->lab;
		}
		c->key = key;
	}
	*out = c->lab;
}

int
dpi_label_packet(struct dpi *d, const uint8_t *ip, size_t len,
    uint64_t now_ms, struct dpi_label *out)
{
	ndpi_protocol p;
	uint16_t id;

	if (len == 0 || len > 0xffff)
		return -1;
	p = ndpi_detection_process_packet(d->m, d->flow, ip,
	    (unsigned short)len, now_ms);
	ndpi_free_flow_data(d->flow);
	memset(d->flow, 0, SIZEOF_FLOW_STRUCT);
	id = p.app_protocol ? p.app_protocol : p.master_protocol;
	if (id == NDPI_PROTOCOL_UNKNOWN)
		return -1;
	fill(d, id, p.category, DPI_BY_DPI, out);
	return 0;
}
