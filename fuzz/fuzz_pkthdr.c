/*
 * fuzz_pkthdr.c - libFuzzer target: a sampled packet header (pkthdr.c).
 *
 * The first 4 bytes choose the link type: a value pkthdr_parse() knows
 * (sFlow header_protocol 1, 7, 11, 12, 13, 14, or PKT_IP) is used as it
 * is, any other is mapped onto that list plus one it must refuse.  The rest
 * is the captured header, from an exact-size heap copy.  Checked: an
 * accepted header has both addresses of its IP version, offsets inside the
 * capture and in order, no ports for a non-first fragment; a refused one
 * leaves only link-layer fields; a second parse without meta agrees.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "pkthdr.h"

static const uint32_t linktypes[] = {
	PKT_ETHERNET, PKT_IPV4, PKT_IPV6, PKT_MPLS, PKT_IP,
	7,		/* PPP */
	14,		/* POS */
	2,		/* ISO 8802-4 token bus: not walked */
};
#define NLINKTYPES	(sizeof(linktypes) / sizeof(linktypes[0]))

static void
check(const struct flow_rec *r, const struct pkt_meta *m, int rc,
    size_t caplen)
{
	size_t l3min;
	char json[FLOW_JSON_MAX];

	FZ_CHECK(rc == 0 || rc == -1, "pkthdr_parse returned %d", rc);
	if (caplen > 0xffff)
		caplen = 0xffff;
	if (rc != 0) {
		FZ_CHECK(m->ipver == 0, "refused, but ipver %u", m->ipver);
		FZ_CHECK((r->have & ~(uint32_t)(FL_VLAN | FL_MPLS)) == 0,
		    "refused, but have 0x%x", r->have);
		return;
	}
	FZ_CHECK(m->ipver == 4 || m->ipver == 6, "accepted with ipver %u",
	    m->ipver);
	FZ_CHECK((r->have & (FL_SRC | FL_DST)) == (FL_SRC | FL_DST),
	    "accepted without both addresses (have 0x%x)", r->have);
	FZ_CHECK(r->src.af == m->ipver && r->dst.af == m->ipver,
	    "address families %u/%u for IPv%u", r->src.af, r->dst.af,
	    m->ipver);
	l3min = m->ipver == 4 ? 20 : 40;
	FZ_CHECK((size_t)m->l3_off + l3min <= caplen,
	    "IP header at %u does not fit %zu bytes", m->l3_off, caplen);
	if (m->l4_off) {
		FZ_CHECK(m->l4_off >= m->l3_off + l3min && m->l4_off <= caplen,
		    "transport at %u (IP at %u, capture %zu)", m->l4_off,
		    m->l3_off, caplen);
	}
	if (r->have & (FL_SPORT | FL_DPORT))
		FZ_CHECK(m->l4_off && (size_t)m->l4_off + 4 <= caplen,
		    "ports without 4 captured bytes at %u", m->l4_off);
	if (m->payload_off)
		FZ_CHECK(m->l4_off && m->payload_off > m->l4_off &&
		    m->payload_off <= caplen, "payload at %u (transport %u, "
		    "capture %zu)", m->payload_off, m->l4_off, caplen);
	if (m->fragment)
		FZ_CHECK(!(r->have & (FL_SPORT | FL_DPORT)),
		    "ports from a non-first fragment");
	FZ_CHECK(flow_json(r, json, sizeof(json)) > 0, "flow_json failed");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_rec r, r2;
	struct pkt_meta m;
	uint32_t lt;
	uint8_t *buf;
	size_t i, caplen;
	int rc, rc2;

	if (size < 4)
		return 0;
	lt = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	    (uint32_t)data[2] << 8 | data[3];
	for (i = 0; i < NLINKTYPES && linktypes[i] != lt; i++)
		;
	if (i == NLINKTYPES)
		lt = linktypes[lt % NLINKTYPES];
	caplen = size - 4;
	if ((buf = malloc(caplen ? caplen : 1)) == NULL)
		return 0;
	memcpy(buf, data + 4, caplen);

	memset(&r, 0, sizeof(r));
	r.type = FLOW_SFLOW5;
	memset(&m, 0xa5, sizeof(m));		/* must be overwritten */
	rc = pkthdr_parse(&r, lt, buf, caplen, &m);
	check(&r, &m, rc, caplen);

	memset(&r2, 0, sizeof(r2));
	r2.type = FLOW_SFLOW5;
	rc2 = pkthdr_parse(&r2, lt, buf, caplen, NULL);
	FZ_CHECK(rc2 == rc && memcmp(&r, &r2, sizeof(r)) == 0,
	    "a second parse without meta disagrees");
	free(buf);
	return 0;
}
