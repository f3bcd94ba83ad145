/*
 * pkthdr.c - walk a sampled packet header down to the outermost IP header.
 *
 * DESIGN
 * One pass over a struct rd that covers exactly the captured bytes, so no
 * step can read past the capture (HOSTILE RH-1..RH-8).  The link layer loop
 * follows at most PKT_MAX_VLAN tags and PKT_MAX_MPLS labels; anything it
 * does not know (802.11, token ring, an unknown ethertype) ends the walk
 * with -1.  The IP layer is strict about the headers it must trust for
 * addresses (IHL, version, total length) and lenient about the transport:
 * it takes the fixed fields that are actually captured and no more.
 * Tunnels are not followed: the outermost IP header is the flow, as the
 * exporter's own NetFlow would report it.
 */
#include <string.h>

#include "pkthdr.h"
#include "rd.h"

#define ETH_P_IPV4	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8
#define ETH_P_QINQ1	0x9100
#define ETH_P_QINQ2	0x9200
#define ETH_P_MPLS_UC	0x8847
#define ETH_P_MPLS_MC	0x8848
#define ETH_P_PPPOE	0x8864

#define PPP_IPV4	0x0021
#define PPP_IPV6	0x0057
#define PPP_MPLS	0x0281

/* sFlow header_protocol values we can walk besides Ethernet and IP. */
#define PKT_PPP		7
#define PKT_POS		14

struct walk {
	struct rd		 rd;
	struct flow_rec		*r;
	struct pkt_meta		 m;
};

static int ip4(struct walk *w);
static int ip6(struct walk *w);

static int
is_vlan(uint16_t t)
{
	return t == ETH_P_8021Q || t == ETH_P_8021AD || t == ETH_P_QINQ1 ||
	    t == ETH_P_QINQ2;
}

/* Guess IPv4/IPv6 by the version nibble (MPLS payload, PKT_IP). */
static int
ip_any(struct walk *w)
{
	if (rd_left(&w->rd) < 1)
		return -1;
	switch (w->rd.p[w->rd.off] >> 4) {
	case 4:
		return ip4(w);
	case 6:
		return ip6(w);
	}
	return -1;
}

static int
mpls(struct walk *w)
{
	uint32_t e;
	int i;

	for (i = 0; i < PKT_MAX_MPLS; i++) {
		e = rd_u32(&w->rd);
		if (w->rd.err)
			return -1;
		if (i == 0 && !(w->r->have & FL_MPLS)) {
			w->r->mpls = e >> 12;
			w->r->have |= FL_MPLS;
		}
		if (e & 0x100)			/* bottom of stack */
			return ip_any(w);
	}
	return -1;				/* RH-3: no bottom within cap */
}

static int
by_ethertype(struct walk *w, uint16_t type)
{
	switch (type) {
	case ETH_P_IPV4:
		return ip4(w);
	case ETH_P_IPV6:
		return ip6(w);
	case ETH_P_MPLS_UC:
	case ETH_P_MPLS_MC:
		return mpls(w);
	}
	return -1;
}

static int
ppp_proto(struct walk *w, uint16_t proto)
{
	switch (proto) {
	case PPP_IPV4:
		return ip4(w);
	case PPP_IPV6:
		return ip6(w);
	case PPP_MPLS:
		return mpls(w);
	}
	return -1;
}

/* PPP in HDLC-like framing (RFC 1662), as POS and sFlow's PPP carry it. */
static int
ppp(struct walk *w)
{
	const uint8_t *p;

	if ((p = rd_ptr(&w->rd, 2)) == NULL)
		return -1;
	if (p[0] == 0xff && p[1] == 0x03)
		return ppp_proto(w, rd_u16(&w->rd));
	return ppp_proto(w, be16(p));		/* address/control compressed */
}

static int
ethernet(struct walk *w)
{
	uint16_t type, tci;
	const uint8_t *p;
	int tags = 0;

	rd_skip(&w->rd, 12);			/* destination, source */
	type = rd_u16(&w->rd);
	while (!w->rd.err && is_vlan(type)) {
		if (++tags > PKT_MAX_VLAN)	/* RH-2 */
			return -1;
		tci = rd_u16(&w->rd);
		type = rd_u16(&w->rd);
		if (!w->rd.err && !(w->r->have & FL_VLAN)) {
			w->r->vlan = tci & 0x0fff;
			w->r->have |= FL_VLAN;
		}
	}
	if (w->rd.err)
		return -1;
	if (type <= 1500) {
		/* 802.3 length: only LLC/SNAP carries an ethertype (RH-1). */
		if ((p = rd_ptr(&w->rd, 3)) == NULL)
			return -1;
		if (p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03)
			return -1;
		rd_skip(&w->rd, 3);		/* OUI */
		type = rd_u16(&w->rd);
		if (w->rd.err)
			return -1;
	}
	if (type == ETH_P_PPPOE) {
		rd_skip(&w->rd, 6);		/* ver/type, code, session, length */
		type = rd_u16(&w->rd);
		if (w->rd.err)
			return -1;
		return ppp_proto(w, type);
	}
	return by_ethertype(w, type);
}

/* Ports, flags and ICMP type from what the capture holds of layer 4. */
static void
transport(struct walk *w, uint8_t proto, size_t off, size_t avail)
{
	struct flow_rec *r = w->r;
	const uint8_t *p = w->rd.p + off;
	size_t hl;

	w->m.l4_off = (uint16_t)off;
	switch (proto) {
	case 6:		/* TCP */
	case 17:	/* UDP */
	case 132:	/* SCTP */
	case 33:	/* DCCP */
	case 136:	/* UDP-Lite */
		if (avail < 4)
			return;
		r->sport = be16(p);
		r->dport = be16(p + 2);
		r->have |= FL_SPORT | FL_DPORT;
		if (proto == 6 && avail >= 14) {
			r->tcp_flags = p[13];
			r->have |= FL_TCPFLAGS;
			hl = (size_t)(p[12] >> 4) * 4;
			if (hl >= 20 && hl <= avail)	/* RH-7 */
				w->m.payload_off = (uint16_t)(off + hl);
		} else if (proto == 17 && avail >= 8 && be16(p + 4) >= 8) {
			w->m.payload_off = (uint16_t)(off + 8);
		}
		return;
	case 1:		/* ICMP */
	case 58:	/* ICMPv6 */
		if (avail < 2)
			return;
		r->icmp = (uint16_t)(p[0] << 8 | p[1]);
		r->have |= FL_ICMP;
		return;
	}
}

static int
ip4(struct walk *w)
{
	struct flow_rec *r = w->r;
	const uint8_t *p;
	size_t off = w->rd.off, left = rd_left(&w->rd), hl, tot, avail;
	uint16_t frag;

	if (left < 20)
		return -1;
	p = w->rd.p + off;
	hl = (size_t)(p[0] & 0x0f) * 4;
	tot = be16(p + 2);
	if ((p[0] >> 4) != 4 || hl < 20 || hl > left || tot < hl)	/* RH-4 */
		return -1;
	flow_addr_set4(&r->src, p + 12);
	flow_addr_set4(&r->dst, p + 16);
	r->proto = p[9];
	r->tos = p[1];
	r->have |= FL_SRC | FL_DST | FL_PROTO | FL_TOS;
	w->m.l3_off = (uint16_t)off;
	w->m.ipver = 4;
	frag = be16(p + 6);
	if (frag & 0x1fff) {			/* RH-5 */
		w->m.fragment = 1;
		return 0;
	}
	/* The transport ends at the capture or the IP payload, first. */
	avail = left - hl;
	if (tot - hl < avail)
		avail = tot - hl;
	transport(w, p[9], off + hl, avail);
	return 0;
}

static int
ip6(struct walk *w)
{
	struct flow_rec *r = w->r;
	const uint8_t *p, *e;
	size_t off = w->rd.off, left = rd_left(&w->rd), pos, hl, end;
	uint8_t nh;
	int n;

	if (left < 40)
		return -1;
	p = w->rd.p + off;
	if ((p[0] >> 4) != 6)
		return -1;
	flow_addr_set6(&r->src, p + 8);
	flow_addr_set6(&r->dst, p + 24);
	r->tos = (uint8_t)((p[0] & 0x0f) << 4 | p[1] >> 4);
	r->have |= FL_SRC | FL_DST | FL_TOS;
	w->m.l3_off = (uint16_t)off;
	w->m.ipver = 6;
	/* The payload ends at the capture or the payload length, first. */
	end = left;
	if (be16(p + 4) != 0 && (size_t)40 + be16(p + 4) < end)
		end = (size_t)40 + be16(p + 4);	/* 0: jumbogram, trust capture */
	nh = p[6];
	pos = 40;
	for (n = 0; ; n++) {
		switch (nh) {
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 139:	/* HIP */
		case 140:	/* shim6 */
		case 44:	/* fragment */
		case 51:	/* AH */
			break;
		default:
			r->proto = nh;
			r->have |= FL_PROTO;
			transport(w, nh, off + pos, end - pos);
			return 0;
		}
		if (n >= PKT_MAX_EXTHDR || end - pos < 8)	/* RH-6 */
			return 0;		/* addresses only */
		e = p + pos;
		if (nh == 44) {
			hl = 8;
			if (be16(e + 2) & 0xfff8) {	/* non-first fragment */
				r->proto = e[0];
				r->have |= FL_PROTO;
				w->m.fragment = 1;
				return 0;
			}
		} else if (nh == 51) {
			hl = ((size_t)e[1] + 2) * 4;
		} else {
			hl = ((size_t)e[1] + 1) * 8;
		}
		if (hl > end - pos)
			return 0;
		nh = e[0];
		pos += hl;
	}
}

int
pkthdr_parse(struct flow_rec *r, uint32_t linktype, const uint8_t *p,
    size_t caplen, struct pkt_meta *meta)
{
	struct walk w;
	int rc;

	memset(&w, 0, sizeof(w));
	if (caplen > 0xffff)
		caplen = 0xffff;		/* offsets in pkt_meta are 16-bit */
	rd_init(&w.rd, p, caplen);
	w.r = r;
	switch (linktype) {
	case PKT_ETHERNET:
		rc = ethernet(&w);
		break;
	case PKT_IPV4:
		rc = ip4(&w);
		break;
	case PKT_IPV6:
		rc = ip6(&w);
		break;
	case PKT_MPLS:
		rc = mpls(&w);
		break;
	case PKT_PPP:
	case PKT_POS:
		rc = ppp(&w);
		break;
	case PKT_IP:
		rc = ip_any(&w);
		break;
	default:
		rc = -1;			/* RH-8: 802.11, token ring, ... */
		break;
	}
	if (rc != 0)
		w.m.ipver = 0;
	if (meta)
		*meta = w.m;
	return rc;
}
