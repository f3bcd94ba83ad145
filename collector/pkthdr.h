/*
 * pkthdr.h - parse a sampled packet header into flow record fields.
 *
 * DESIGN
 * sFlow raw-header records and IPFIX/PSAMP frame sections carry the first
 * bytes of a real packet.  pkthdr_parse() walks them through Ethernet
 * (802.3 length + LLC/SNAP too), 802.1Q/802.1ad/QinQ, MPLS, IPv4, IPv6 with
 * extension headers, and TCP/UDP/ICMP/ICMPv6, and fills the addresses,
 * ports, protocol, TCP flags, ToS, VLAN, top MPLS label and ICMP type/code
 * of the *outermost* IP header into the record (setting their `have` bits).
 * Every depth is capped; every length is checked against what was captured;
 * a non-first fragment yields no ports.  No allocation, no globals.
 */
#ifndef FS_PKTHDR_H
#define FS_PKTHDR_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/* Link types, numbered as sFlow's header_protocol. */
#define PKT_ETHERNET	1
#define PKT_IPV4	11
#define PKT_IPV6	12
#define PKT_MPLS	13
/* Not an sFlow number: IP of either version, told by the version nibble. */
#define PKT_IP		0x10000

#define PKT_MAX_VLAN	8	/* tags followed (Linux uses 8) */
#define PKT_MAX_MPLS	16	/* labels followed */
#define PKT_MAX_EXTHDR	16	/* IPv6 extension headers followed */

struct pkt_meta {
	uint16_t	l3_off;		/* offset of the IP header */
	uint16_t	l4_off;		/* offset of the transport header, 0 if none */
	uint16_t	payload_off;	/* offset of the transport payload, 0 if none */
	uint8_t		ipver;		/* 4, 6, or 0 when no IP header was usable */
	uint8_t		fragment;	/* non-first fragment: no ports */
};

/*
 * Returns 0 when an IP header was decoded (fields set in r), -1 when the
 * capture holds no usable IP header (r untouched but for link-layer fields
 * such as vlan/mpls).  meta may be NULL.
 */
int	pkthdr_parse(struct flow_rec *r, uint32_t linktype, const uint8_t *p,
	    size_t caplen, struct pkt_meta *meta);

#endif
