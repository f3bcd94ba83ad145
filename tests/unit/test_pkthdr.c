/*
 * test_pkthdr.c - sampled packet headers (collector/pkthdr.c).
 *
 * Packets are built with the shared writer (pkw.h) and parsed from
 * exact-size heap copies, so any read past the capture is an ASan error.
 * Besides the link and IP layers one by one, every packet of the sweep set is parsed at
 * every cut length from 0 to its full size: a cut packet may lose fields,
 * but never reads past the cut and never reports a field the whole packet
 * does not have, or with another value (HOSTILE RH-1..RH-8).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pkthdr.h"
#include "pkw.h"
#include "testutil.h"

/* sFlow header_protocol values not exported by pkthdr.h. */
#define LT_PPP		7
#define LT_80211	15

/* ---- parsing -------------------------------------------------------- */

/* Parse the first len bytes of p from an exact-size heap copy. */
static int
parse_n(struct flow_rec *r, uint32_t lt, const struct pk *p, size_t len,
    struct pkt_meta *m)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, p->b, len);
	memset(r, 0, sizeof(*r));
	if (m)
		memset(m, 0xee, sizeof(*m));	/* every field must be written */
	rc = pkthdr_parse(r, lt, len ? copy : NULL, len, m);
	free(copy);
	return rc;
}

static int
parse(struct flow_rec *r, uint32_t lt, const struct pk *p, struct pkt_meta *m)
{
	return parse_n(r, lt, p, p->n, m);
}

static void
assert_meta(const struct pkt_meta *m, unsigned l3, unsigned l4,
    unsigned payload, unsigned ipver, unsigned fragment)
{
	assert_int_equal(m->l3_off, l3);
	assert_int_equal(m->l4_off, l4);
	assert_int_equal(m->payload_off, payload);
	assert_int_equal(m->ipver, ipver);
	assert_int_equal(m->fragment, fragment);
}

#define L34	(FL_SRC | FL_DST | FL_PROTO | FL_TOS | FL_SPORT | FL_DPORT)

/* ---- link layer ------------------------------------------------------- */

static void
test_ethernet_ipv4_tcp(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	pk_eth(&p, 0x0800);
	ip = pk_ip4(&p, 6, "203.0.113.5", "198.51.100.7", 0x28, 0x4000, 0);
	pk_tcp(&p, 40000, 443, 0x02, 5);
	pk_fill(&p, 10, 0x55);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, L34 | FL_TCPFLAGS);
	assert_string_equal(tu_addr(&r.src), "203.0.113.5");
	assert_string_equal(tu_addr(&r.dst), "198.51.100.7");
	assert_int_equal(r.src.af, 4);
	assert_int_equal(r.proto, 6);
	assert_int_equal(r.tos, 0x28);
	assert_int_equal(r.sport, 40000);
	assert_int_equal(r.dport, 443);
	assert_int_equal(r.tcp_flags, 0x02);
	assert_meta(&m, 14, 34, 54, 4, 0);
	/* meta may be NULL. */
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, NULL), 0);
	assert_int_equal(r.dport, 443);
}

/* 802.3 length field followed by LLC/SNAP carrying an ethertype. */
static void
test_ethernet_llc_snap(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	pk_eth(&p, 46);
	pk_u8(&p, 0xaa);
	pk_u8(&p, 0xaa);
	pk_u8(&p, 0x03);
	pk_u8(&p, 0);
	pk_u8(&p, 0);
	pk_u8(&p, 0);
	pk_u16(&p, 0x0800);
	ip = pk_ip4(&p, 1, "192.0.2.10", "192.0.2.20", 0, 0, 0);
	pk_icmp(&p, 8, 0);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS | FL_ICMP);
	assert_string_equal(tu_addr(&r.src), "192.0.2.10");
	assert_string_equal(tu_addr(&r.dst), "192.0.2.20");
	assert_int_equal(r.proto, 1);
	assert_int_equal(r.icmp, 0x0800);
	assert_meta(&m, 22, 42, 0, 4, 0);
}

/* HOSTILE RH-1: 802.3 with plain LLC (STP) or a cut LLC/SNAP header. */
static void
test_ethernet_llc_not_snap(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t cut;

	(void)state;
	pk_eth(&p, 39);
	pk_u8(&p, 0x42);		/* STP: DSAP/SSAP 0x42 */
	pk_u8(&p, 0x42);
	pk_u8(&p, 0x03);
	pk_fill(&p, 36, 0);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), -1);
	assert_int_equal(r.have, 0);
	assert_meta(&m, 0, 0, 0, 0, 0);

	/* A SNAP header cut anywhere: never decoded, never over-read. */
	p.n = 0;
	pk_eth(&p, 46);
	pk_u8(&p, 0xaa);
	pk_u8(&p, 0xaa);
	pk_u8(&p, 0x03);
	pk_u8(&p, 0);
	pk_u8(&p, 0);
	pk_u8(&p, 0);
	pk_u16(&p, 0x0800);
	for (cut = 0; cut <= p.n; cut++) {
		assert_int_equal(parse_n(&r, PKT_ETHERNET, &p, cut, &m), -1);
		assert_int_equal(r.have, 0);
		assert_int_equal(m.ipver, 0);
	}
}

/* HOSTILE RH-1: fewer than 14 bytes of Ethernet. */
static void
test_ethernet_short(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t cut;

	(void)state;
	pk_eth(&p, 0x0800);
	for (cut = 0; cut <= 14; cut++) {
		assert_int_equal(parse_n(&r, PKT_ETHERNET, &p, cut, &m), -1);
		assert_int_equal(r.have, 0);
		assert_meta(&m, 0, 0, 0, 0, 0);
	}
	/* A NULL capture is an empty one. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(pkthdr_parse(&r, PKT_ETHERNET, NULL, 100, &m), -1);
	assert_int_equal(r.have, 0);
}

static void
test_vlan_8021q(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip, u;

	(void)state;
	pk_eth(&p, 0x8100);
	pk_vlan(&p, 0xa064, 0x0800);	/* PCP 5, VID 100 */
	ip = pk_ip4(&p, 17, "10.0.0.1", "10.0.0.2", 0, 0, 0);
	u = pk_udp(&p, 53, 33000, 0);
	pk_fill(&p, 12, 0);
	pk_udp_end(&p, u);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, L34 | FL_VLAN);
	assert_int_equal(r.vlan, 100);
	assert_int_equal(r.sport, 53);
	assert_int_equal(r.dport, 33000);
	assert_int_equal(r.proto, 17);
	assert_meta(&m, 18, 38, 46, 4, 0);
}

/* QinQ with each outer TPID: the outer (service) VLAN is reported. */
static void
test_vlan_qinq(void **state)
{
	static const uint16_t tpids[] = { 0x88a8, 0x9100, 0x9200, 0x8100 };
	struct pk p;
	struct flow_rec r;
	struct pkt_meta m;
	size_t i, ip;

	(void)state;
	for (i = 0; i < sizeof(tpids) / sizeof(tpids[0]); i++) {
		p.n = 0;
		pk_eth(&p, tpids[i]);
		pk_vlan(&p, 0x0fff & (uint16_t)(200 + i), 0x8100);
		pk_vlan(&p, 300, 0x86dd);
		ip = pk_ip6(&p, 6, "2001:db8::1", "2001:db8::2", 0xb8);
		pk_tcp(&p, 22, 50000, 0x18, 5);
		pk_ip6_end(&p, ip);
		assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
		assert_int_equal(r.have, L34 | FL_TCPFLAGS | FL_VLAN);
		assert_int_equal(r.vlan, 200 + i);
		assert_int_equal(r.tos, 0xb8);
		assert_int_equal(r.tcp_flags, 0x18);
		assert_string_equal(tu_addr(&r.src), "2001:db8::1");
		assert_string_equal(tu_addr(&r.dst), "2001:db8::2");
		assert_meta(&m, 22, 62, 82, 6, 0);
	}
}

/* HOSTILE RH-2: tag depth is capped at PKT_MAX_VLAN (8). */
static void
test_vlan_depth_cap(void **state)
{
	static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100 };
	struct pk *p = pk_new();
	struct flow_rec r;
	struct pkt_meta m;
	int ntags, i;
	size_t ip;

	(void)state;
	for (ntags = 1; ntags <= 100; ntags++) {
		p->n = 0;
		pk_eth(p, tpids[0]);
		for (i = 0; i < ntags; i++)
			pk_vlan(p, (uint16_t)(10 + i),
			    i + 1 < ntags ? tpids[(i + 1) % 3] : 0x0800);
		ip = pk_ip4(p, 6, "192.0.2.1", "192.0.2.2", 0, 0, 0);
		pk_tcp(p, 1, 2, 0x10, 5);
		pk_ip4_end(p, ip);
		if (ntags <= PKT_MAX_VLAN) {
			assert_int_equal(parse(&r, PKT_ETHERNET, p, &m), 0);
			assert_int_equal(r.have, L34 | FL_TCPFLAGS | FL_VLAN);
			assert_int_equal(m.l3_off, 14 + 4 * ntags);
			assert_int_equal(m.ipver, 4);
		} else {
			assert_int_equal(parse(&r, PKT_ETHERNET, p, &m), -1);
			/* Only the outer tag, as far as the walk went. */
			assert_int_equal(r.have, FL_VLAN);
			assert_int_equal(m.ipver, 0);
		}
		assert_int_equal(r.vlan, 10);
	}
	/* Tags up to the end of the capture, no payload at all. */
	p->n = 0;
	pk_eth(p, 0x8100);
	for (i = 0; i < 5; i++)
		pk_vlan(p, 7, 0x8100);
	assert_int_equal(parse(&r, PKT_ETHERNET, p, &m), -1);
	assert_int_equal(r.have, FL_VLAN);
	assert_int_equal(r.vlan, 7);
	free(p);
}

/* MPLS over Ethernet and as the sFlow link type: the top label wins. */
static void
test_mpls(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip, u;

	(void)state;
	pk_eth(&p, 0x8847);
	pk_mpls(&p, 1000, 0);
	pk_mpls(&p, 2000, 0);
	pk_mpls(&p, 0xfffff, 1);
	ip = pk_ip4(&p, 17, "198.51.100.1", "198.51.100.2", 0, 0, 0);
	u = pk_udp(&p, 4789, 4789, 0);
	pk_udp_end(&p, u);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, L34 | FL_MPLS);
	assert_int_equal(r.mpls, 1000);
	assert_int_equal(r.sport, 4789);
	assert_meta(&m, 26, 46, 54, 4, 0);

	/* Multicast MPLS ethertype, IPv6 under a single label. */
	p.n = 0;
	pk_eth(&p, 0x8848);
	pk_mpls(&p, 16, 1);
	ip = pk_ip6(&p, 58, "2001:db8::a", "ff02::1", 0);
	pk_icmp(&p, 135, 0);
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS |
	    FL_ICMP | FL_MPLS);
	assert_int_equal(r.mpls, 16);
	assert_int_equal(r.icmp, 135 << 8);
	assert_int_equal(r.proto, 58);
	assert_meta(&m, 18, 58, 0, 6, 0);

	/* sFlow header_protocol 13: the capture starts at the label stack. */
	p.n = 0;
	pk_mpls(&p, 77, 0);
	pk_mpls(&p, 78, 1);
	ip = pk_ip4(&p, 6, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_tcp(&p, 179, 40000, 0x18, 5);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_MPLS, &p, &m), 0);
	assert_int_equal(r.mpls, 77);
	assert_int_equal(r.dport, 40000);
	assert_meta(&m, 8, 28, 48, 4, 0);

	/* Bottom of stack over something that is not IP. */
	p.n = 0;
	pk_mpls(&p, 5, 1);
	pk_fill(&p, 40, 0x00);
	assert_int_equal(parse(&r, PKT_MPLS, &p, &m), -1);
	assert_int_equal(r.have, FL_MPLS);
	assert_int_equal(r.mpls, 5);
}

/* HOSTILE RH-3: no bottom-of-stack bit until the end, or past the cap. */
static void
test_mpls_no_bottom(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;
	int i, n;

	(void)state;
	/* Labels to the end of the capture. */
	pk_eth(&p, 0x8847);
	for (i = 0; i < 10; i++)
		pk_mpls(&p, 300 + (uint32_t)i, 0);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), -1);
	assert_int_equal(r.have, FL_MPLS);
	assert_int_equal(r.mpls, 300);
	assert_int_equal(m.ipver, 0);

	/* PKT_MAX_MPLS labels with the last at the bottom: decoded. */
	for (n = PKT_MAX_MPLS; n <= PKT_MAX_MPLS + 1; n++) {
		p.n = 0;
		for (i = 0; i < n; i++)
			pk_mpls(&p, 500 + (uint32_t)i, i == n - 1);
		ip = pk_ip4(&p, 6, "192.0.2.1", "192.0.2.2", 0, 0, 0);
		pk_tcp(&p, 1, 2, 0x02, 5);
		pk_ip4_end(&p, ip);
		if (n <= PKT_MAX_MPLS) {
			assert_int_equal(parse(&r, PKT_MPLS, &p, &m), 0);
			assert_int_equal(r.have, L34 | FL_TCPFLAGS | FL_MPLS);
			assert_int_equal(m.l3_off, 4 * n);
		} else {
			/* One label too many: stop, even though IP follows. */
			assert_int_equal(parse(&r, PKT_MPLS, &p, &m), -1);
			assert_int_equal(r.have, FL_MPLS);
		}
		assert_int_equal(r.mpls, 500);
	}
}

/* PPPoE session stage, IPv4 and IPv6 inside. */
static void
test_pppoe(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	pk_eth(&p, 0x8864);
	pk_u8(&p, 0x11);		/* ver 1, type 1 */
	pk_u8(&p, 0x00);		/* session data */
	pk_u16(&p, 0x0042);		/* session id */
	pk_u16(&p, 0);			/* length: not checked */
	pk_u16(&p, 0x0021);		/* PPP: IPv4 */
	ip = pk_ip4(&p, 6, "100.64.0.9", "192.0.2.80", 0, 0, 0);
	pk_tcp(&p, 51000, 80, 0x11, 5);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, L34 | FL_TCPFLAGS);
	assert_string_equal(tu_addr(&r.src), "100.64.0.9");
	assert_int_equal(r.dport, 80);
	assert_int_equal(r.tcp_flags, 0x11);
	assert_meta(&m, 22, 42, 62, 4, 0);

	p.n = 0;
	pk_eth(&p, 0x8864);
	pk_u8(&p, 0x11);
	pk_u8(&p, 0x00);
	pk_u16(&p, 0x0042);
	pk_u16(&p, 0);
	pk_u16(&p, 0x0057);		/* PPP: IPv6 */
	ip = pk_ip6(&p, 17, "2001:db8:1::1", "2001:db8:2::2", 0);
	pk_udp(&p, 123, 123, 8);
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, L34);
	assert_string_equal(tu_addr(&r.dst), "2001:db8:2::2");
	assert_int_equal(r.sport, 123);
	assert_meta(&m, 22, 62, 70, 6, 0);

	/* A PPP protocol we do not walk (LCP). */
	p.n = 0;
	pk_eth(&p, 0x8864);
	pk_fill(&p, 6, 0);
	pk_u16(&p, 0xc021);
	pk_fill(&p, 40, 0x45);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), -1);
	assert_int_equal(r.have, 0);
}

/* sFlow header_protocol 7 (PPP, HDLC-like framing), with and without ff 03. */
static void
test_ppp_link(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	pk_u8(&p, 0xff);
	pk_u8(&p, 0x03);
	pk_u16(&p, 0x0021);
	ip = pk_ip4(&p, 17, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_udp(&p, 1, 2, 8);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, LT_PPP, &p, &m), 0);
	assert_int_equal(r.have, L34);
	assert_meta(&m, 4, 24, 32, 4, 0);

	p.n = 0;
	pk_u16(&p, 0x0021);		/* address and control compressed */
	ip = pk_ip4(&p, 17, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_udp(&p, 1, 2, 8);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, LT_PPP, &p, &m), 0);
	assert_meta(&m, 2, 22, 30, 4, 0);
}

/* HOSTILE RH-8: link types we do not walk end the walk. */
static void
test_unknown_linktype(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	ip = pk_ip4(&p, 6, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_tcp(&p, 1, 2, 0x02, 5);
	pk_ip4_end(&p, ip);
	/* 802.11, token ring (3), FDDI (4), and a nonsense value. */
	assert_int_equal(parse(&r, LT_80211, &p, &m), -1);
	assert_int_equal(r.have, 0);
	assert_meta(&m, 0, 0, 0, 0, 0);
	assert_int_equal(parse(&r, 3, &p, &m), -1);
	assert_int_equal(parse(&r, 4, &p, &m), -1);
	assert_int_equal(parse(&r, 0xffffffffu, &p, &m), -1);
	assert_int_equal(r.have, 0);
	/* An ethertype we do not know (ARP). */
	p.n = 0;
	pk_eth(&p, 0x0806);
	pk_fill(&p, 28, 0x45);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), -1);
	assert_int_equal(r.have, 0);
}

/* ---- IPv4 ------------------------------------------------------------- */

/* sFlow header_protocol 11, options in the header. */
static void
test_ipv4_options(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	ip = pk_ip4(&p, 6, "192.0.2.1", "192.0.2.2", 0x10, 0, 10);	/* IHL 15 */
	pk_tcp(&p, 1234, 25, 0x02, 8);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	assert_int_equal(r.have, L34 | FL_TCPFLAGS);
	assert_int_equal(r.sport, 1234);
	assert_int_equal(r.dport, 25);
	assert_int_equal(r.tos, 0x10);
	assert_meta(&m, 0, 60, 92, 4, 0);
}

/* HOSTILE RH-5: a first fragment has ports, a non-first one none. */
static void
test_ipv4_fragments(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip, u;

	(void)state;
	/* First fragment: MF set, offset 0. */
	ip = pk_ip4(&p, 17, "192.0.2.1", "192.0.2.2", 0, 0x2000, 0);
	u = pk_udp(&p, 2055, 9995, 3000);
	pk_fill(&p, 100, 0);
	pk_ip4_end(&p, ip);
	(void)u;
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	assert_int_equal(r.have, L34);
	assert_int_equal(r.sport, 2055);
	assert_int_equal(r.dport, 9995);
	assert_meta(&m, 0, 20, 28, 4, 0);

	/* Later fragments, with and without MF: what follows is not UDP. */
	p.n = 0;
	ip = pk_ip4(&p, 17, "192.0.2.1", "192.0.2.2", 0, 0x2000 | 185, 0);
	pk_udp(&p, 7777, 8888, 16);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
	assert_int_equal(r.proto, 17);
	assert_int_equal(r.sport, 0);
	assert_meta(&m, 0, 0, 0, 4, 1);
	pk_put16(&p, 6, 1);		/* offset 8 bytes, last fragment */
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
	assert_meta(&m, 0, 0, 0, 4, 1);
	/* DF alone is not a fragment. */
	pk_put16(&p, 6, 0x4000);
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	assert_int_equal(r.have, L34);
	assert_int_equal(r.sport, 7777);
	assert_meta(&m, 0, 20, 28, 4, 0);
}

/* HOSTILE RH-4: IHL < 5, IHL beyond the capture, total < IHL, version. */
static void
test_ipv4_bad_header(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;
	int ihl;

	(void)state;
	pk_eth(&p, 0x0800);
	ip = pk_ip4(&p, 6, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_tcp(&p, 1, 2, 0x02, 5);
	pk_ip4_end(&p, ip);
	for (ihl = 0; ihl < 5; ihl++) {
		p.b[ip] = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), -1);
		assert_int_equal(r.have, 0);
		assert_meta(&m, 0, 0, 0, 0, 0);
	}
	/* IHL 15 = 60 bytes, but only 40 bytes of IP were captured. */
	p.b[ip] = 0x4f;
	pk_put16(&p, ip + 2, 60);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), -1);
	assert_int_equal(r.have, 0);
	/* Total length below the header length. */
	p.b[ip] = 0x45;
	pk_put16(&p, ip + 2, 19);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), -1);
	assert_int_equal(r.have, 0);
	/* Version 6 under ethertype 0x0800, and PKT_IPV4 with version 5. */
	pk_put16(&p, ip + 2, 40);
	p.b[ip] = 0x65;
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), -1);
	assert_int_equal(r.have, 0);
	p.b[ip] = 0x45;
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, L34 | FL_TCPFLAGS);
	/* sFlow header_protocol 11 with version 5 in the first nibble. */
	p.n = 0;
	ip = pk_ip4(&p, 6, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_tcp(&p, 1, 2, 0x02, 5);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	p.b[0] = 0x55;
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), -1);
	assert_int_equal(r.have, 0);
	assert_meta(&m, 0, 0, 0, 0, 0);
}

/*
 * The transport ends at the IP total length when the capture holds more
 * (Ethernet padding): a 24-byte IP packet carries only 4 bytes of TCP.
 */
static void
test_ipv4_total_bounds_transport(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	pk_eth(&p, 0x0800);
	ip = pk_ip4(&p, 6, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_tcp(&p, 5555, 6666, 0x02, 5);
	pk_put16(&p, ip + 2, 24);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, L34);		/* ports, no flags */
	assert_int_equal(r.sport, 5555);
	assert_int_equal(r.dport, 6666);
	assert_meta(&m, 14, 34, 0, 4, 0);
	/* Header only: protocol but no transport fields. */
	pk_put16(&p, ip + 2, 20);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
	assert_meta(&m, 14, 34, 0, 4, 0);
}

/* ---- transport -------------------------------------------------------- */

static void
test_tcp_flags_and_offsets(void **state)
{
	static const uint8_t flags[] = { 0x02, 0x12, 0x10, 0x11, 0x04, 0x18,
	    0xc2, 0x00, 0xff };
	struct pk p;
	struct flow_rec r;
	struct pkt_meta m;
	size_t i, ip;

	(void)state;
	for (i = 0; i < sizeof(flags); i++) {
		p.n = 0;
		ip = pk_ip4(&p, 6, "192.0.2.1", "192.0.2.2", 0, 0, 0);
		pk_tcp(&p, 80, 1024, flags[i], 5);
		pk_ip4_end(&p, ip);
		assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
		assert_int_equal(r.tcp_flags, flags[i]);
		assert_int_equal(r.have, L34 | FL_TCPFLAGS);
	}
}

/* HOSTILE RH-7: TCP data offset < 5 or beyond the capture; short TCP. */
static void
test_tcp_bad_offset(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;
	int doff;

	(void)state;
	ip = pk_ip4(&p, 6, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_tcp(&p, 80, 1024, 0x12, 5);
	pk_ip4_end(&p, ip);
	for (doff = 0; doff < 16; doff++) {
		p.b[ip + 20 + 12] = (uint8_t)(doff << 4);
		assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
		/* Ports and flags are fixed fields, present either way. */
		assert_int_equal(r.have, L34 | FL_TCPFLAGS);
		assert_int_equal(r.tcp_flags, 0x12);
		/* A payload offset only for a data offset that fits. */
		assert_meta(&m, 0, 20, doff == 5 ? 40 : 0, 4, 0);
	}
	/* 13 bytes of TCP: ports but no flags; 3 bytes: nothing. */
	p.b[ip + 20 + 12] = 0x50;
	assert_int_equal(parse_n(&r, PKT_IPV4, &p, 20 + 13, &m), 0);
	assert_int_equal(r.have, L34);
	assert_meta(&m, 0, 20, 0, 4, 0);
	assert_int_equal(parse_n(&r, PKT_IPV4, &p, 20 + 3, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
	assert_meta(&m, 0, 20, 0, 4, 0);
}

/* HOSTILE RH-7: UDP length < 8 keeps the ports but gives no payload. */
static void
test_udp_length(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip, u;
	int ulen;

	(void)state;
	ip = pk_ip4(&p, 17, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	u = pk_udp(&p, 6343, 6343, 0);
	pk_fill(&p, 20, 0);
	pk_udp_end(&p, u);
	pk_ip4_end(&p, ip);
	for (ulen = 0; ulen < 10; ulen++) {
		pk_put16(&p, u + 4, (uint32_t)ulen);
		assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
		assert_int_equal(r.have, L34);
		assert_int_equal(r.sport, 6343);
		assert_meta(&m, 0, 20, ulen >= 8 ? 28 : 0, 4, 0);
	}
	/* Other port-carrying protocols: SCTP, DCCP, UDP-Lite. */
	p.b[ip + 9] = 132;
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	assert_int_equal(r.have, L34);
	assert_int_equal(r.proto, 132);
	assert_meta(&m, 0, 20, 0, 4, 0);
	p.b[ip + 9] = 33;
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	assert_int_equal(r.have, L34);
	p.b[ip + 9] = 136;
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	assert_int_equal(r.have, L34);
	/* A protocol without ports (OSPF). */
	p.b[ip + 9] = 89;
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
	assert_meta(&m, 0, 20, 0, 4, 0);
}

/* ICMP and ICMPv6 type/code; HOSTILE RH-7 truncated ICMP. */
static void
test_icmp(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	ip = pk_ip4(&p, 1, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_icmp(&p, 3, 13);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV4, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS | FL_ICMP);
	assert_int_equal(r.icmp, 3 << 8 | 13);
	assert_meta(&m, 0, 20, 0, 4, 0);
	/* One byte of ICMP: no type. */
	assert_int_equal(parse_n(&r, PKT_IPV4, &p, 21, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
	/* Two bytes: type and code. */
	assert_int_equal(parse_n(&r, PKT_IPV4, &p, 22, &m), 0);
	assert_int_equal(r.icmp, 3 << 8 | 13);

	p.n = 0;
	ip = pk_ip6(&p, 58, "fe80::1", "fe80::2", 0);
	pk_icmp(&p, 128, 0);
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS | FL_ICMP);
	assert_int_equal(r.icmp, 128 << 8);
	assert_int_equal(r.proto, 58);
	assert_meta(&m, 0, 40, 0, 6, 0);
	assert_int_equal(parse_n(&r, PKT_IPV6, &p, 41, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
}

/* Tunnels are not followed: the outermost IP header is the flow. */
static void
test_tunnels_not_followed(void **state)
{
	static const uint8_t protos[] = { 4, 41, 47, 50 };
	struct pk p;
	struct flow_rec r;
	struct pkt_meta m;
	size_t i, ip, in, u;

	(void)state;
	for (i = 0; i < sizeof(protos); i++) {
		p.n = 0;
		pk_eth(&p, 0x0800);
		ip = pk_ip4(&p, protos[i], "198.51.100.1", "198.51.100.2", 0, 0, 0);
		if (protos[i] == 47)
			pk_u32(&p, 0x00000800);	/* GRE: IPv4 */
		if (protos[i] == 41) {
			in = pk_ip6(&p, 6, "2001:db8::1", "2001:db8::2", 0);
			pk_tcp(&p, 1, 2, 0x02, 5);
			pk_ip6_end(&p, in);
		} else {
			in = pk_ip4(&p, 6, "10.1.1.1", "10.2.2.2", 0, 0, 0);
			pk_tcp(&p, 1, 2, 0x02, 5);
			pk_ip4_end(&p, in);
		}
		pk_ip4_end(&p, ip);
		assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
		assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
		assert_string_equal(tu_addr(&r.src), "198.51.100.1");
		assert_string_equal(tu_addr(&r.dst), "198.51.100.2");
		assert_int_equal(r.proto, protos[i]);
		assert_meta(&m, 14, 34, 0, 4, 0);
	}
	/* VXLAN: the outer UDP ports, not the inner flow. */
	p.n = 0;
	pk_eth(&p, 0x0800);
	ip = pk_ip4(&p, 17, "198.51.100.1", "198.51.100.2", 0, 0, 0);
	u = pk_udp(&p, 49152, 4789, 0);
	pk_u32(&p, 0x08000000);
	pk_u32(&p, 0x00001000);
	pk_eth(&p, 0x0800);
	in = pk_ip4(&p, 6, "10.1.1.1", "10.2.2.2", 0, 0, 0);
	pk_tcp(&p, 1, 2, 0x02, 5);
	pk_ip4_end(&p, in);
	pk_udp_end(&p, u);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, L34);
	assert_string_equal(tu_addr(&r.src), "198.51.100.1");
	assert_int_equal(r.sport, 49152);
	assert_int_equal(r.dport, 4789);
	/* IPv4 in IPv6. */
	p.n = 0;
	ip = pk_ip6(&p, 4, "2001:db8::1", "2001:db8::2", 0);
	in = pk_ip4(&p, 17, "10.1.1.1", "10.2.2.2", 0, 0, 0);
	pk_udp(&p, 1, 2, 8);
	pk_ip4_end(&p, in);
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
	assert_string_equal(tu_addr(&r.src), "2001:db8::1");
	assert_int_equal(r.proto, 4);
	assert_meta(&m, 0, 40, 0, 6, 0);
}

/* PKT_IP: version by the first nibble; and the strict link types. */
static void
test_ip_version_nibble(void **state)
{
	struct pk p4 = { .n = 0 }, p6 = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	ip = pk_ip4(&p4, 17, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_udp(&p4, 1, 2, 8);
	pk_ip4_end(&p4, ip);
	ip = pk_ip6(&p6, 17, "2001:db8::1", "2001:db8::2", 0);
	pk_udp(&p6, 1, 2, 8);
	pk_ip6_end(&p6, ip);

	assert_int_equal(parse(&r, PKT_IP, &p4, &m), 0);
	assert_int_equal(r.src.af, 4);
	assert_meta(&m, 0, 20, 28, 4, 0);
	assert_int_equal(parse(&r, PKT_IP, &p6, &m), 0);
	assert_int_equal(r.src.af, 6);
	assert_meta(&m, 0, 40, 48, 6, 0);
	/* The wrong strict type fails. */
	assert_int_equal(parse(&r, PKT_IPV6, &p4, &m), -1);
	assert_int_equal(r.have, 0);
	assert_int_equal(parse(&r, PKT_IPV4, &p6, &m), -1);
	assert_int_equal(r.have, 0);
	/* Other nibbles, and nothing at all. */
	p4.b[0] = 0x55;
	assert_int_equal(parse(&r, PKT_IP, &p4, &m), -1);
	p4.b[0] = 0x05;
	assert_int_equal(parse(&r, PKT_IP, &p4, &m), -1);
	assert_int_equal(r.have, 0);
	assert_int_equal(parse_n(&r, PKT_IP, &p4, 0, &m), -1);
	assert_meta(&m, 0, 0, 0, 0, 0);
}

/* ---- IPv6 ------------------------------------------------------------- */

/* Hop-by-hop, routing, destination options and a first fragment. */
static void
test_ipv6_ext_chain(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	pk_eth(&p, 0x86dd);
	ip = pk_ip6(&p, 0, "2001:db8::1", "2001:db8::2", 0x20);
	pk_ext6(&p, 43, 0);		/* hop-by-hop, 8 bytes */
	pk_ext6(&p, 44, 2);		/* routing, 24 bytes */
	pk_frag6(&p, 60, 0, 1);		/* first fragment, 8 bytes */
	pk_ext6(&p, 6, 1);			/* destination options, 16 bytes */
	pk_tcp(&p, 443, 50001, 0x12, 5);
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_ETHERNET, &p, &m), 0);
	assert_int_equal(r.have, L34 | FL_TCPFLAGS);
	assert_int_equal(r.proto, 6);
	assert_int_equal(r.tos, 0x20);
	assert_int_equal(r.sport, 443);
	assert_int_equal(r.dport, 50001);
	assert_int_equal(r.tcp_flags, 0x12);
	assert_meta(&m, 14, 14 + 40 + 56, 14 + 40 + 56 + 20, 6, 0);
}

/* HOSTILE RH-5: a non-first IPv6 fragment has a protocol but no ports. */
static void
test_ipv6_fragment_nonfirst(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	ip = pk_ip6(&p, 0, "2001:db8::1", "2001:db8::2", 0);
	pk_ext6(&p, 44, 0);
	pk_frag6(&p, 17, 185, 1);
	pk_udp(&p, 1111, 2222, 100);	/* really the middle of a datagram */
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
	assert_int_equal(r.proto, 17);
	assert_int_equal(r.sport, 0);
	assert_meta(&m, 0, 0, 0, 6, 1);
	/* The last fragment (M clear) too. */
	p.b[ip + 48 + 3] = 0x08;	/* offset 1, M 0 */
	p.b[ip + 48 + 2] = 0x00;
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_PROTO | FL_TOS);
	assert_meta(&m, 0, 0, 0, 6, 1);
}

/* HOSTILE RH-6: AH length counts 4-byte units (plus 2). */
static void
test_ipv6_ah(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	ip = pk_ip6(&p, 51, "2001:db8::1", "2001:db8::2", 0);
	pk_ah6(&p, 17, 4);			/* (4 + 2) * 4 = 24 bytes */
	pk_udp(&p, 500, 4500, 8);
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, L34);
	assert_int_equal(r.proto, 17);
	assert_int_equal(r.sport, 500);
	assert_int_equal(r.dport, 4500);
	assert_meta(&m, 0, 64, 72, 6, 0);
	/* AH with an odd 4-byte multiple: (1 + 2) * 4 = 12 bytes. */
	p.n = 0;
	ip = pk_ip6(&p, 51, "2001:db8::1", "2001:db8::2", 0);
	pk_ah6(&p, 6, 1);
	pk_tcp(&p, 22, 2222, 0x02, 5);
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, L34 | FL_TCPFLAGS);
	assert_int_equal(r.dport, 2222);
	assert_meta(&m, 0, 52, 72, 6, 0);
}

/*
 * HOSTILE RH-6: chains longer than PKT_MAX_EXTHDR and extension lengths
 * beyond the data give the addresses only.
 */
static void
test_ipv6_ext_caps(void **state)
{
	struct pk p;
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;
	int n, i;

	(void)state;
	for (n = PKT_MAX_EXTHDR - 1; n <= PKT_MAX_EXTHDR + 1; n++) {
		p.n = 0;
		ip = pk_ip6(&p, 60, "2001:db8::1", "2001:db8::2", 0);
		for (i = 0; i < n; i++)
			pk_ext6(&p, i + 1 < n ? 60 : 17, 0);
		pk_udp(&p, 1, 2, 8);
		pk_ip6_end(&p, ip);
		assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
		if (n <= PKT_MAX_EXTHDR) {
			assert_int_equal(r.have, L34);
			assert_meta(&m, 0, 40 + 8 * n, 48 + 8 * n, 6, 0);
		} else {
			assert_int_equal(r.have, FL_SRC | FL_DST | FL_TOS);
			assert_meta(&m, 0, 0, 0, 6, 0);
		}
	}
	/* A hop-by-hop header claiming 2048 bytes. */
	p.n = 0;
	ip = pk_ip6(&p, 0, "2001:db8::1", "2001:db8::2", 0);
	pk_u8(&p, 17);
	pk_u8(&p, 255);
	pk_fill(&p, 30, 0);
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_TOS);
	assert_meta(&m, 0, 0, 0, 6, 0);
	/* An extension header cut below its fixed 8 bytes. */
	p.n = 0;
	ip = pk_ip6(&p, 44, "2001:db8::1", "2001:db8::2", 0);
	pk_u8(&p, 17);
	pk_u8(&p, 0);
	pk_u16(&p, 0);
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_TOS);
	/* No next header (59): a protocol, nothing after it. */
	p.n = 0;
	ip = pk_ip6(&p, 59, "2001:db8::1", "2001:db8::2", 0);
	pk_fill(&p, 8, 0);
	pk_ip6_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_TOS | FL_PROTO);
	assert_int_equal(r.proto, 59);
}

/* The IPv6 payload length bounds the walk when the capture holds more. */
static void
test_ipv6_payload_length(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	ip = pk_ip6(&p, 0, "2001:db8::1", "2001:db8::2", 0);
	pk_ext6(&p, 6, 0);
	pk_tcp(&p, 80, 8080, 0x10, 5);
	pk_fill(&p, 16, 0);		/* trailer beyond the payload */
	/* Payload: the hop-by-hop header and 6 bytes of TCP. */
	pk_put16(&p, ip + 4, 14);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, L34);
	assert_int_equal(r.dport, 8080);
	assert_meta(&m, 0, 48, 0, 6, 0);
	/* Payload ending inside the extension header. */
	pk_put16(&p, ip + 4, 4);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, FL_SRC | FL_DST | FL_TOS);
	/* 0 (a jumbogram): the capture bounds it. */
	pk_put16(&p, ip + 4, 0);
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), 0);
	assert_int_equal(r.have, L34 | FL_TCPFLAGS);
	assert_int_equal(r.tcp_flags, 0x10);
	assert_meta(&m, 0, 48, 68, 6, 0);
	/* Fewer than 40 bytes, and a version other than 6. */
	assert_int_equal(parse_n(&r, PKT_IPV6, &p, 39, &m), -1);
	assert_int_equal(r.have, 0);
	p.b[ip] = 0x40;
	assert_int_equal(parse(&r, PKT_IPV6, &p, &m), -1);
	assert_int_equal(r.have, 0);
	assert_meta(&m, 0, 0, 0, 0, 0);
}

/* A capture longer than 64 KiB is read as its first 65535 bytes. */
static void
test_huge_capture(void **state)
{
	size_t len = 70000;
	uint8_t *b = calloc(1, len);
	struct pk p = { .n = 0 };
	struct flow_rec r;
	struct pkt_meta m;
	size_t ip;

	(void)state;
	assert_non_null(b);
	ip = pk_ip6(&p, 17, "2001:db8::1", "2001:db8::2", 0);
	pk_udp(&p, 9, 10, 0);
	pk_ip6_end(&p, ip);
	memcpy(b, p.b, p.n);
	b[4] = 0;			/* payload length 0: jumbogram */
	b[5] = 0;
	b[44] = 0xff;			/* UDP length 0xffff */
	b[45] = 0xff;
	memset(&r, 0, sizeof(r));
	assert_int_equal(pkthdr_parse(&r, PKT_IPV6, b, len, &m), 0);
	assert_int_equal(r.have, L34);
	assert_meta(&m, 0, 40, 48, 6, 0);
	free(b);
}

/* ---- truncation sweep --------------------------------------------------- */

/*
 * A cut capture may lose fields but never gains one, never changes one and
 * never reads past the cut (ASan).  The offsets it reports are the whole
 * packet's, or 0.
 */
static void
sweep(uint32_t lt, const struct pk *p, uint32_t want_have)
{
	struct flow_rec whole, r;
	struct pkt_meta wm, m;
	size_t cut;
	int rc;

	assert_int_equal(parse(&whole, lt, p, &wm), 0);
	assert_int_equal(whole.have, want_have);
	for (cut = 0; cut <= p->n; cut++) {
		rc = parse_n(&r, lt, p, cut, &m);
		assert_int_equal(r.have & ~whole.have, 0);
		if (r.have & FL_SRC)
			assert_true(flow_addr_eq(&r.src, &whole.src));
		if (r.have & FL_DST)
			assert_true(flow_addr_eq(&r.dst, &whole.dst));
		if (r.have & FL_SPORT)
			assert_int_equal(r.sport, whole.sport);
		if (r.have & FL_DPORT)
			assert_int_equal(r.dport, whole.dport);
		if (r.have & FL_PROTO)
			assert_int_equal(r.proto, whole.proto);
		if (r.have & FL_TCPFLAGS)
			assert_int_equal(r.tcp_flags, whole.tcp_flags);
		if (r.have & FL_TOS)
			assert_int_equal(r.tos, whole.tos);
		if (r.have & FL_VLAN)
			assert_int_equal(r.vlan, whole.vlan);
		if (r.have & FL_MPLS)
			assert_int_equal(r.mpls, whole.mpls);
		if (r.have & FL_ICMP)
			assert_int_equal(r.icmp, whole.icmp);
		if (rc == 0) {
			assert_true(r.have & FL_SRC);
			assert_int_equal(m.ipver, wm.ipver);
			assert_int_equal(m.l3_off, wm.l3_off);
			assert_true(m.l3_off < cut);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(r.have & FL_SRC, 0);
			assert_int_equal(m.ipver, 0);
		}
		assert_true(m.l4_off == 0 || m.l4_off == wm.l4_off);
		assert_true(m.payload_off == 0 || m.payload_off == wm.payload_off);
		assert_true(m.payload_off <= cut);
		if (cut == p->n) {
			assert_int_equal(rc, 0);
			assert_int_equal(r.have, whole.have);
			assert_memory_equal(&m, &wm, sizeof(m));
		}
	}
}

/* RH-1..RH-7: every cut of every shape of header. */
static void
test_truncation_sweep(void **state)
{
	struct pk p;
	size_t ip, u;

	(void)state;
	/* QinQ, IPv4 with options, TCP with options. */
	p.n = 0;
	pk_eth(&p, 0x88a8);
	pk_vlan(&p, 100, 0x8100);
	pk_vlan(&p, 200, 0x0800);
	ip = pk_ip4(&p, 6, "203.0.113.5", "198.51.100.7", 0x28, 0, 2);
	pk_tcp(&p, 40000, 443, 0x02, 8);
	pk_fill(&p, 8, 0x33);
	pk_ip4_end(&p, ip);
	sweep(PKT_ETHERNET, &p, L34 | FL_TCPFLAGS | FL_VLAN);

	/* 802.1Q, IPv6, hop-by-hop, routing, first fragment, AH, dest, UDP. */
	p.n = 0;
	pk_eth(&p, 0x8100);
	pk_vlan(&p, 42, 0x86dd);
	ip = pk_ip6(&p, 0, "2001:db8::1", "2001:db8::2", 0x20);
	pk_ext6(&p, 43, 0);
	pk_ext6(&p, 44, 1);
	pk_frag6(&p, 51, 0, 1);
	pk_ah6(&p, 60, 3);
	pk_ext6(&p, 17, 0);
	u = pk_udp(&p, 5353, 5353, 0);
	pk_fill(&p, 9, 0);
	pk_udp_end(&p, u);
	pk_ip6_end(&p, ip);
	sweep(PKT_ETHERNET, &p, L34 | FL_VLAN);

	/* MPLS stack, IPv4, UDP. */
	p.n = 0;
	pk_eth(&p, 0x8847);
	pk_mpls(&p, 100, 0);
	pk_mpls(&p, 200, 0);
	pk_mpls(&p, 300, 1);
	ip = pk_ip4(&p, 17, "10.0.0.1", "10.0.0.2", 0, 0, 0);
	u = pk_udp(&p, 1000, 2000, 0);
	pk_fill(&p, 4, 0);
	pk_udp_end(&p, u);
	pk_ip4_end(&p, ip);
	sweep(PKT_ETHERNET, &p, L34 | FL_MPLS);

	/* PPPoE, IPv6, ICMPv6. */
	p.n = 0;
	pk_eth(&p, 0x8864);
	pk_u8(&p, 0x11);
	pk_u8(&p, 0);
	pk_u16(&p, 1);
	pk_u16(&p, 0);
	pk_u16(&p, 0x0057);
	ip = pk_ip6(&p, 58, "2001:db8::1", "2001:db8::2", 0);
	pk_icmp(&p, 1, 4);
	pk_ip6_end(&p, ip);
	sweep(PKT_ETHERNET, &p, FL_SRC | FL_DST | FL_PROTO | FL_TOS | FL_ICMP);

	/* 802.3 LLC/SNAP, IPv4, ICMP. */
	p.n = 0;
	pk_eth(&p, 40);
	pk_u8(&p, 0xaa);
	pk_u8(&p, 0xaa);
	pk_u8(&p, 0x03);
	pk_fill(&p, 3, 0);
	pk_u16(&p, 0x0800);
	ip = pk_ip4(&p, 1, "192.0.2.1", "192.0.2.2", 0, 0, 0);
	pk_icmp(&p, 0, 0);
	pk_ip4_end(&p, ip);
	sweep(PKT_ETHERNET, &p, FL_SRC | FL_DST | FL_PROTO | FL_TOS | FL_ICMP);

	/* PKT_IP, IPv6 non-first fragment. */
	p.n = 0;
	ip = pk_ip6(&p, 44, "2001:db8::1", "2001:db8::2", 0);
	pk_frag6(&p, 6, 100, 0);
	pk_fill(&p, 20, 0);
	pk_ip6_end(&p, ip);
	sweep(PKT_IP, &p, FL_SRC | FL_DST | FL_PROTO | FL_TOS);

	/* PKT_MPLS, IPv6, TCP. */
	p.n = 0;
	pk_mpls(&p, 9, 1);
	ip = pk_ip6(&p, 6, "2001:db8::1", "2001:db8::2", 0);
	pk_tcp(&p, 1, 2, 0x02, 6);
	pk_ip6_end(&p, ip);
	sweep(PKT_MPLS, &p, L34 | FL_TCPFLAGS | FL_MPLS);
}

/*
 * RH-9 is about what the addresses mean, not how they are read: 0.0.0.0,
 * broadcast and the like are reported as they are, for the policy layer
 * (allowlists, sanity ranges) to judge.
 */
static void
test_odd_addresses_verbatim(void **state)
{
	struct pk p = { .n = 0 };
	struct flow_rec r;
	size_t ip;

	(void)state;
	ip = pk_ip4(&p, 17, "0.0.0.0", "255.255.255.255", 0, 0, 0);
	pk_udp(&p, 68, 67, 8);
	pk_ip4_end(&p, ip);
	assert_int_equal(parse(&r, PKT_IPV4, &p, NULL), 0);
	assert_string_equal(tu_addr(&r.src), "0.0.0.0");
	assert_string_equal(tu_addr(&r.dst), "255.255.255.255");
	assert_int_equal(r.have, L34);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4_tcp),
		cmocka_unit_test(test_ethernet_llc_snap),
		cmocka_unit_test(test_ethernet_llc_not_snap),
		cmocka_unit_test(test_ethernet_short),
		cmocka_unit_test(test_vlan_8021q),
		cmocka_unit_test(test_vlan_qinq),
		cmocka_unit_test(test_vlan_depth_cap),
		cmocka_unit_test(test_mpls),
		cmocka_unit_test(test_mpls_no_bottom),
		cmocka_unit_test(test_pppoe),
		cmocka_unit_test(test_ppp_link),
		cmocka_unit_test(test_unknown_linktype),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv4_bad_header),
		cmocka_unit_test(test_ipv4_total_bounds_transport),
		cmocka_unit_test(test_tcp_flags_and_offsets),
		cmocka_unit_test(test_tcp_bad_offset),
		cmocka_unit_test(test_udp_length),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_tunnels_not_followed),
		cmocka_unit_test(test_ip_version_nibble),
		cmocka_unit_test(test_ipv6_ext_chain),
		cmocka_unit_test(test_ipv6_fragment_nonfirst),
		cmocka_unit_test(test_ipv6_ah),
		cmocka_unit_test(test_ipv6_ext_caps),
		cmocka_unit_test(test_ipv6_payload_length),
		cmocka_unit_test(test_huge_capture),
		cmocka_unit_test(test_truncation_sweep),
		cmocka_unit_test(test_odd_addresses_verbatim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
