/*
 * dpi.c - nDPI 4.2 behind a small interface.  See dpi.h.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "dpi.h"

struct dpi {
	struct ndpi_detection_module_struct	*m;
	struct ndpi_flow_struct			*flow;
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
	struct in_addr in;

	if (a->af != 4)
		return NDPI_PROTOCOL_UNKNOWN;	/* nDPI 4.2: IPv4 lists only */
	memcpy(&in.s_addr, a->a, 4);
	return ndpi_network_ptree_match(d->m, &in);
}

void
dpi_label_record(struct dpi *d, const struct flow_rec *r,
    struct dpi_label *out)
{
	ndpi_protocol p;
	uint16_t id;

	memset(out, 0, sizeof(*out));
	if ((r->have & FL_DST) && (id = ptree(d, &r->dst)) != 0) {
		fill(d, id, ndpi_get_proto_category(d->m,
		    (ndpi_protocol){ 0, id, 0 }), DPI_BY_IP, out);
		return;
	}
	if ((r->have & FL_SRC) && (id = ptree(d, &r->src)) != 0) {
		fill(d, id, ndpi_get_proto_category(d->m,
		    (ndpi_protocol){ 0, id, 0 }), DPI_BY_IP, out);
		return;
	}
	if (!(r->have & FL_PROTO) || !(r->have & (FL_SPORT | FL_DPORT)))
		return;
	p = ndpi_guess_undetected_protocol(d->m, NULL, r->proto, 0, r->sport,
	    0, r->dport);
	id = p.app_protocol ? p.app_protocol : p.master_protocol;
	if (id != NDPI_PROTOCOL_UNKNOWN)
		fill(d, id, p.category, DPI_BY_PORT, out);
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
