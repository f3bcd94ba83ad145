/*
 * test_dpi.c - application labels (collector/dpi.c).
 *
 * dpi_label_record's port guess is rebuilt from per-port tables; it must
 * give, label for label, what ndpi_guess_undetected_protocol(m, NULL,
 * proto, 0, sport, 0, dport) gives on a module of its own: for random
 * records, for every port against an ephemeral one, and again once a
 * BitTorrent packet has filled our module's BitTorrent cache (which, unlike
 * nDPI's own guess, ours does not consult: see dpi.c).  Fixed cases say
 * what nDPI 4.2's tables hold; an address on nDPI's IP lists labels a
 * record before its ports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <ndpi/ndpi_api.h>

#include "dpi.h"

#define EPHEMERAL	40000	/* on no nDPI port list */

struct fx {
	struct dpi				*d;
	struct ndpi_detection_module_struct	*ref;
	struct ndpi_flow_struct			*flow;
	uint16_t	listed[2][1024];	/* [0] TCP, [1] UDP */
	size_t		nlisted[2];
	uint64_t	rnd;
};

/* Addresses on no nDPI list: the port guess decides. */
static const char *const unlisted[] = {
	"10.1.2.3", "192.168.7.9", "192.0.2.1", "198.51.100.7", "2001:db8::1",
};
#define NUNLISTED	(sizeof(unlisted) / sizeof(unlisted[0]))

static const uint16_t edges[] = {
	0, 1, 2, 1023, 1024, 1025, 17500, 17501, 32767, 32768, 49151, 49152,
	65534, 65535,
};
#define NEDGES		(sizeof(edges) / sizeof(edges[0]))

/* Protocols nDPI guesses by number alone, and some it does not. */
static const uint8_t others[] = {
	1, 2, 4, 8, 41, 47, 50, 51, 58, 89, 103, 112, 132, 255,
};
#define NOTHERS		(sizeof(others) / sizeof(others[0]))

static struct ndpi_detection_module_struct *
module(void)
{
	struct ndpi_detection_module_struct *m;
	NDPI_PROTOCOL_BITMASK all;

	m = ndpi_init_detection_module(ndpi_no_prefs);
	assert_non_null(m);
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(m, &all);
	ndpi_finalize_initialization(m);
	return m;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[128];
	ndpi_protocol p;
	struct in_addr in;
	unsigned port;
	size_t i;
	int t;

	assert_non_null(f);
	f->d = dpi_new(err, sizeof(err));
	assert_non_null(f->d);
	f->ref = module();
	f->flow = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
	assert_non_null(f->flow);
	memset(f->flow, 0, SIZEOF_FLOW_STRUCT);
	f->rnd = 0x9e3779b97f4a7c15ull;
	/* The ports nDPI lists, as nDPI answers for them. */
	for (t = 0; t < 2; t++)
		for (port = 1; port <= 0xffff; port++) {
			p = ndpi_guess_undetected_protocol(f->ref, NULL,
			    t ? IPPROTO_UDP : IPPROTO_TCP, 0, (uint16_t)port,
			    0, (uint16_t)port);
			if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
				continue;
			assert_true(f->nlisted[t] < 1024);
			f->listed[t][f->nlisted[t]++] = (uint16_t)port;
		}
	assert_true(f->nlisted[0] > 50 && f->nlisted[1] > 50);
	for (i = 0; i < NUNLISTED; i++)
		if (inet_pton(AF_INET, unlisted[i], &in) == 1)
			assert_int_equal(ndpi_network_ptree_match(f->ref, &in),
			    NDPI_PROTOCOL_UNKNOWN);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	dpi_free(f->d);
	ndpi_free_flow_data(f->flow);
	ndpi_flow_free(f->flow);
	ndpi_exit_detection_module(f->ref);
	free(f);
	return 0;
}

static uint64_t
rnd(struct fx *f)
{
	f->rnd ^= f->rnd << 13;
	f->rnd ^= f->rnd >> 7;
	f->rnd ^= f->rnd << 17;
	return f->rnd;
}

static struct flow_rec
rec(uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct flow_rec r;

	memset(&r, 0, sizeof(r));
	r.proto = proto;
	r.sport = sport;
	r.dport = dport;
	r.have = FL_PROTO | FL_SPORT | FL_DPORT;
	return r;
}

/* The label nDPI gives a record, asked directly, formatted as dpi.c does. */
static void
want(struct fx *f, const struct flow_rec *r, struct dpi_label *w)
{
	const char *n, *c;
	ndpi_protocol p;
	uint16_t id;

	memset(w, 0, sizeof(*w));
	if (!(r->have & FL_PROTO) || !(r->have & (FL_SPORT | FL_DPORT)))
		return;
	p = ndpi_guess_undetected_protocol(f->ref, NULL, r->proto, 0,
	    r->sport, 0, r->dport);
	id = p.app_protocol ? p.app_protocol : p.master_protocol;
	if (id == NDPI_PROTOCOL_UNKNOWN)
		return;
	n = ndpi_get_proto_name(f->ref, id);
	c = ndpi_category_get_name(f->ref, p.category);
	w->id = id;
	w->how = DPI_BY_PORT;
	snprintf(w->name, sizeof(w->name), "%s", n ? n : "Unknown");
	snprintf(w->category, sizeof(w->category), "%s", c ? c : "");
}

/* dpi_label_record labels r as nDPI does. */
static void
same(struct fx *f, const struct flow_rec *r)
{
	struct dpi_label got, w;

	dpi_label_record(f->d, r, &got);
	want(f, r, &w);
	if (got.id != w.id || got.how != w.how ||
	    strcmp(got.name, w.name) != 0 ||
	    strcmp(got.category, w.category) != 0)
		fail_msg("proto %u %u -> %u (have %#x): got %u how %u %s/%s, "
		    "nDPI says %u how %u %s/%s", r->proto, r->sport, r->dport,
		    r->have, got.id, got.how, got.name, got.category, w.id,
		    w.how, w.name, w.category);
}

static uint8_t
rproto(struct fx *f)
{
	uint64_t x = rnd(f);

	switch (x % 10) {
	case 0: case 1: case 2:
		return IPPROTO_TCP;
	case 3: case 4: case 5:
		return IPPROTO_UDP;
	case 6: case 7:
		return others[(x >> 8) % NOTHERS];
	default:
		return (uint8_t)(x >> 8);
	}
}

/* Edges, listed ports, well-known ones and any port. */
static uint16_t
rport(struct fx *f, uint8_t proto)
{
	uint64_t x = rnd(f);
	int t = proto != IPPROTO_TCP;

	switch (x % 8) {
	case 0:
		return edges[(x >> 8) % NEDGES];
	case 1: case 2:
		return f->listed[t][(x >> 8) % f->nlisted[t]];
	case 3:
		return (uint16_t)((x >> 8) % 1024);
	default:
		return (uint16_t)(x >> 16);
	}
}

static void
random_records(struct fx *f, int n)
{
	struct flow_rec r;
	uint64_t x;
	int i;

	for (i = 0; i < n; i++) {
		r = rec(rproto(f), 0, 0);
		r.sport = rport(f, r.proto);
		r.dport = rport(f, r.proto);
		x = rnd(f);
		switch (x % 32) {
		case 0: case 1:
			r.have &= ~FL_PROTO;
			break;
		case 2: case 3:
			r.have &= ~FL_SPORT;
			r.sport = 0;
			break;
		case 4: case 5:
			r.have &= ~FL_DPORT;
			r.dport = 0;
			break;
		case 6:
			r.have &= ~(FL_SPORT | FL_DPORT);
			r.sport = r.dport = 0;
			break;
		}
		if (x & 0x100) {
			assert_int_equal(flow_addr_parse(&r.src,
			    unlisted[(x >> 12) % NUNLISTED]), 0);
			assert_int_equal(flow_addr_parse(&r.dst,
			    unlisted[(x >> 20) % NUNLISTED]), 0);
			r.have |= FL_SRC | FL_DST;
		}
		same(f, &r);
	}
}

/* Every port, either side of an ephemeral one and on both sides. */
static void
every_port(struct fx *f)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, 1 };
	struct flow_rec r;
	unsigned port;
	size_t i;

	for (i = 0; i < sizeof(protos); i++)
		for (port = 0; port <= 0xffff; port++) {
			r = rec(protos[i], (uint16_t)port, EPHEMERAL);
			same(f, &r);
			r = rec(protos[i], EPHEMERAL, (uint16_t)port);
			same(f, &r);
			r = rec(protos[i], (uint16_t)port, (uint16_t)port);
			same(f, &r);
		}
}

static void
test_equivalence(void **state)
{
	struct fx *f = *state;

	every_port(f);
	random_records(f, 400000);
}

static struct dpi_label
lab(struct fx *f, uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct flow_rec r = rec(proto, sport, dport);
	struct dpi_label l;

	dpi_label_record(f->d, &r, &l);
	same(f, &r);
	return l;
}

/* The label is (name, category) found by port. */
static void
is(struct dpi_label l, const char *name, const char *category)
{
	assert_int_equal(l.how, DPI_BY_PORT);
	assert_string_equal(l.name, name);
	assert_string_equal(l.category, category);
}

static void
none(struct dpi_label l)
{
	assert_int_equal(l.id, NDPI_PROTOCOL_UNKNOWN);
	assert_int_equal(l.how, DPI_NONE);
	assert_string_equal(l.name, "");
}

/* What nDPI 4.2's tables say. */
static void
test_known(void **state)
{
	struct fx *f = *state;

	is(lab(f, IPPROTO_TCP, 12345, 443), "TLS", "Web");
	is(lab(f, IPPROTO_TCP, 443, 12345), "TLS", "Web");
	is(lab(f, IPPROTO_UDP, 40000, 53), "DNS", "Network");
	is(lab(f, IPPROTO_UDP, 443, 40000), "QUIC", "Web");
	is(lab(f, IPPROTO_TCP, 40000, 25), "SMTP", "Email");
	is(lab(f, IPPROTO_TCP, 40000, 1080), "SOCKS", "Web");
	/* Two listed ports: the lower one. */
	is(lab(f, IPPROTO_TCP, 443, 80), "HTTP", "Web");
	is(lab(f, IPPROTO_TCP, 80, 443), "HTTP", "Web");
	/* nDPI 4.2 lists no port for IRC: only real DPI finds it. */
	none(lab(f, IPPROTO_TCP, 51000, 6667));
	none(lab(f, IPPROTO_TCP, 40000, 50000));
	/* A port 0: no guess for TCP or UDP. */
	none(lab(f, IPPROTO_TCP, 0, 443));
	none(lab(f, IPPROTO_UDP, 53, 0));
	/* Dropbox's LAN sync, by port and by nDPI's special case. */
	is(lab(f, IPPROTO_UDP, 17500, 17500), "Dropbox", "Cloud");
	is(lab(f, IPPROTO_UDP, 17500, 40000), "Dropbox", "Cloud");
	/* Other protocols: by number, or by UDP port when both are set. */
	is(lab(f, 1, 0, 0), "ICMP", "Network");
	is(lab(f, 1, 0, 0x0800), "ICMP", "Network");
	is(lab(f, 1, 53, 1234), "DNS", "Network");
	none(lab(f, 1, 40000, 50000));
	is(lab(f, 47, 0, 0), "GRE", "Network");
	is(lab(f, 50, 0, 0), "IPsec", "VPN");
	is(lab(f, 58, 0, 0), "ICMPV6", "Network");
	is(lab(f, 132, 0, 0), "SCTP", "Network");
	none(lab(f, 200, 0, 0));
}

/* The label of r with addresses src and dst. */
static struct dpi_label
lab_addrs(struct fx *f, struct flow_rec r, const char *src, const char *dst)
{
	struct dpi_label l;

	assert_int_equal(flow_addr_parse(&r.src, src), 0);
	assert_int_equal(flow_addr_parse(&r.dst, dst), 0);
	r.have |= FL_SRC | FL_DST;
	dpi_label_record(f->d, &r, &l);
	return l;
}

/* An address on nDPI's IP lists labels the record whatever its ports. */
static void
test_ip_first(void **state)
{
	struct fx *f = *state;
	struct flow_rec r;
	struct in_addr in;
	struct dpi_label l;

	assert_int_equal(inet_pton(AF_INET, "8.8.8.8", &in), 1);
	assert_int_equal(ndpi_network_ptree_match(f->ref, &in),
	    NDPI_PROTOCOL_GOOGLE);
	l = lab_addrs(f, rec(IPPROTO_UDP, 40000, 53), "10.1.2.3", "8.8.8.8");
	assert_int_equal(l.id, NDPI_PROTOCOL_GOOGLE);
	assert_int_equal(l.how, DPI_BY_IP);
	assert_string_equal(l.name, "Google");
	/* The reply: the listed address is the source. */
	l = lab_addrs(f, rec(IPPROTO_TCP, 443, 40000), "8.8.8.8", "10.1.2.3");
	assert_int_equal(l.id, NDPI_PROTOCOL_GOOGLE);
	assert_int_equal(l.how, DPI_BY_IP);
	/* Not without FL_SRC, nor for IPv6 (nDPI 4.2 lists IPv4 only). */
	r = rec(IPPROTO_TCP, 443, 40000);
	assert_int_equal(flow_addr_parse(&r.src, "8.8.8.8"), 0);
	dpi_label_record(f->d, &r, &l);
	is(l, "TLS", "Web");
	is(lab_addrs(f, rec(IPPROTO_TCP, 443, 40000), "2001:4860:4860::8888",
	    "2001:db8::1"), "TLS", "Web");
}

/*
 * A BitTorrent DHT query from 3.0.0.0:4660, run through our real DPI,
 * fills our module's BitTorrent cache.  nDPI's own guess would consult
 * that cache with address 0 and call ports that meet the packet's key by
 * coincidence (UDP 4916, TCP 4917) BitTorrent; ours does not: its
 * guesses stay those of a module that never saw the packet.
 */
static void
test_bittorrent_cache(void **state)
{
	static const char q[] =
	    "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	struct fx *f = *state;
	uint8_t pkt[128];
	size_t n = sizeof(q) - 1, len = 28 + n;
	struct dpi_label l;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	memcpy(pkt + 12, "\x03\x00\x00\x00", 4);
	memcpy(pkt + 16, "\xc6\x33\x64\x07", 4);	/* 198.51.100.7 */
	pkt[20] = 4660 >> 8;
	pkt[21] = 4660 & 0xff;
	pkt[22] = 6881 >> 8;
	pkt[23] = 6881 & 0xff;
	pkt[25] = (uint8_t)(8 + n);
	memcpy(pkt + 28, q, n);
	assert_int_equal(dpi_label_packet(f->d, pkt, len, 1000, &l), 0);
	assert_int_equal(l.id, NDPI_PROTOCOL_BITTORRENT);
	none(lab(f, IPPROTO_UDP, 40000, 4916));
	none(lab(f, IPPROTO_TCP, 4917, 40000));
	every_port(f);
	random_records(f, 100000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equivalence),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_ip_first),
		cmocka_unit_test(test_bittorrent_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
