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
 * Results cached per worker (nDPI's IP lists and port tables do not change
 * once loaded): an address's IP-list match and a protocol id's label,
 * direct-mapped and fixed size (a miss asks nDPI and replaces the entry).
 *
 * A record's port guess is what ndpi_guess_undetected_protocol(m, NULL,
 * proto, 0, sport, 0, dport) answers, rebuilt from its parts so that it
 * costs one or two array reads (nDPI 4.2, ndpi_main.c and
 * protocols/tcp_udp.c):
 *  - ndpi_guess_protocol_id: with both ports non-zero, the default-port
 *    entry of the lower port, else that of the higher one, in the TCP
 *    table for TCP and in the UDP table for every other protocol; with a
 *    port 0, a constant of the IP protocol (ICMP, GRE, IPsec ..., none
 *    for TCP and UDP).  Kept per port in port_id[] and per protocol in
 *    proto_id[], each asked of nDPI once, on first use.  nDPI fills its
 *    port tables with every protocol it knows, enabled or not.
 *  - TCP and UDP only: the addresses' IP-list match, 0.0.0.0 here (once,
 *    in ptree0), or Dropbox for UDP 17500 to 17500, wins as the app with
 *    the port guess as master; else the port guess.  (nDPI would then
 *    ask its BitTorrent cache with address 0 and the ports, which matches
 *    only by coincidence: left out, see dpi_label_record.)
 * The label of a guess, formatted once, is kept by (app, master), which
 * fix its category.
 */
#define DPI_ADDR_BITS	16
#define DPI_ADDR_CACHE	(1u << DPI_ADDR_BITS)
#define DPI_ID_CACHE	256
#define DPI_GUESSED	NDPI_NUM_BITS	/* every id, built-in or custom */
#define DPI_UNASKED	0xffff		/* port_id, proto_id: not asked yet */

struct dpi_addr_ent {
	uint32_t	addr;
	uint16_t	id;
	uint8_t		valid;
};

struct dpi_id_ent {
	struct dpi_label lab;
	uint8_t		valid;
};

struct dpi_guess_ent {
	struct dpi_label lab;
	uint16_t	master;
	uint8_t		valid;
};

struct dpi {
	struct ndpi_detection_module_struct	*m;
	struct ndpi_flow_struct			*flow;
	uint16_t		 ptree0;	/* IP-list match of 0.0.0.0 */
	struct dpi_addr_ent	 addr[DPI_ADDR_CACHE];
	struct dpi_id_ent	 ids[DPI_ID_CACHE];
	uint16_t		 port_id[2][65536];	/* [0] TCP, [1] UDP */
	uint16_t		 proto_id[256];
	struct dpi_guess_ent	 guessed[DPI_GUESSED];	/* by app id */
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
	d->ptree0 = ndpi_network_ptree_match(d->m,
	    &(struct in_addr){ .s_addr = 0 });
	memset(d->port_id, 0xff, sizeof(d->port_id));	/* DPI_UNASKED */
	memset(d->proto_id, 0xff, sizeof(d->proto_id));
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

static inline struct dpi_addr_ent *
addr_ent(const struct dpi *d, const struct flow_addr *a, uint32_t *v)
{
	memcpy(v, a->a, 4);
	return (struct dpi_addr_ent *)&d->addr[(*v * 0x9e3779b1u) >>
	    (32 - DPI_ADDR_BITS)];
}

void
dpi_prefetch(const struct dpi *d, const struct flow_rec *r)
{
	uint32_t v;

	if ((r->have & FL_DST) && r->dst.af == 4)
		__builtin_prefetch(addr_ent(d, &r->dst, &v));
	if ((r->have & FL_SRC) && r->src.af == 4)
		__builtin_prefetch(addr_ent(d, &r->src, &v));
}

static uint16_t
ptree(struct dpi *d, const struct flow_addr *a)
{
	struct dpi_addr_ent *c;
	struct in_addr in;
	uint32_t v;

	if (a->af != 4)
		return NDPI_PROTOCOL_UNKNOWN;	/* nDPI 4.2: IPv4 lists only */
	c = addr_ent(d, a, &v);
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

/* A default-port entry of table t (TCP or UDP): its id, 0 for none. */
static uint16_t
port_ent(struct dpi *d, int t, uint16_t port)
{
	uint16_t *e = &d->port_id[t][port];
	uint8_t user;

	if (*e == DPI_UNASKED)
		*e = ndpi_guess_protocol_id(d->m, NULL,
		    t ? IPPROTO_UDP : IPPROTO_TCP, port, port, &user);
	return *e;
}

/* What ndpi_guess_protocol_id(m, NULL, proto, sport, dport) answers. */
static uint16_t
port_guess(struct dpi *d, uint8_t proto, uint16_t sport, uint16_t dport)
{
	uint16_t lo = sport < dport ? sport : dport;
	uint16_t hi = sport < dport ? dport : sport;
	uint16_t id;
	uint8_t user;
	int t = proto != IPPROTO_TCP;

	if (lo == 0) {
		if (d->proto_id[proto] == DPI_UNASKED)
			d->proto_id[proto] = ndpi_guess_protocol_id(d->m, NULL,
			    proto, 0, 0, &user);
		return d->proto_id[proto];
	}
	if ((id = port_ent(d, t, lo)) != NDPI_PROTOCOL_UNKNOWN || lo == hi)
		return id;
	return port_ent(d, t, hi);
}

void
dpi_label_record(struct dpi *d, const struct flow_rec *r,
    struct dpi_label *out)
{
	struct dpi_guess_ent *g;
	uint16_t id, app, master = NDPI_PROTOCOL_UNKNOWN, raw;

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
	/* ndpi_guess_undetected_protocol, step by step (see the top). */
	app = port_guess(d, r->proto, r->sport, r->dport);
	if (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) {
		raw = (r->proto == IPPROTO_UDP && r->sport == 17500 &&
		    r->dport == 17500) ? NDPI_PROTOCOL_DROPBOX : d->ptree0;
		if (raw != NDPI_PROTOCOL_UNKNOWN) {
			master = app == raw ? NDPI_PROTOCOL_UNKNOWN : app;
			app = raw;
		}
		/*
		 * Left out on purpose: nDPI's next step, its BitTorrent cache
		 * (filled by real DPI, dpi_label_packet) asked with address
		 * 0, matches an entry only by coincidence of the hash and
		 * would call unrelated ports BitTorrent.
		 *
		 * nDPI's last step, Skype/Teams when an address is on that
		 * list, is reached only when ptree0 is 0: it never applies.
		 */
	}
	if (app == NDPI_PROTOCOL_UNKNOWN)
		return;
	g = &d->guessed[app & (DPI_GUESSED - 1)];
	if (!g->valid || g->lab.id != app || g->master != master) {
		fill(d, app, ndpi_get_proto_category(d->m, (ndpi_protocol){
		    .master_protocol = master, .app_protocol = app }),
		    DPI_BY_PORT, &g->lab);
		g->master = master;
		g->valid = 1;
	}
	*out = g->lab;
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
