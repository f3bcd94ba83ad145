/*
 * pcapsrc.c - UDP payloads out of pcap/pcapng files (see pcapsrc.h).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "pcapsrc.h"
#include "pkthdr.h"
#include "rd.h"

#define IPPROTO_UDP_	17

/* Offset of the IP header for link types with a fixed header, or -1. */
static int
link_ip_offset(int dlt, size_t caplen, uint32_t *linktype)
{
	*linktype = PKT_IP;
	switch (dlt) {
	case DLT_EN10MB:
		*linktype = PKT_ETHERNET;
		return 0;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		return 4;
	case DLT_LINUX_SLL:
		return caplen >= 16 ? 16 : -1;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return caplen >= 20 ? 20 : -1;
#endif
	}
	return -1;
}

static int
known_link(int dlt)
{
	uint32_t lt;

	return link_ip_offset(dlt, 64, &lt) >= 0;
}

static void
pcapsrc_frame(int dlt, const struct pcap_pkthdr *ph, const uint8_t *p,
    uint64_t frame, pcapsrc_cb *cb, void *arg, struct pcapsrc_stats *st)
{
	struct flow_rec r;
	struct pkt_meta m;
	struct dec_in in;
	uint32_t linktype;
	size_t caplen = ph->caplen, ulen;
	int off;

	st->frames++;
	if ((off = link_ip_offset(dlt, caplen, &linktype)) < 0 ||
	    (size_t)off >= caplen) {
		st->bad_frame++;
		return;
	}
	memset(&r, 0, sizeof(r));
	if (pkthdr_parse(&r, linktype, p + off, caplen - off, &m) < 0) {
		st->bad_frame++;
		return;
	}
	if (!(r.have & FL_PROTO) || r.proto != IPPROTO_UDP_) {
		st->not_udp++;
		return;
	}
	if (m.fragment || m.l4_off == 0) {
		st->fragments++;
		return;
	}
	/* The UDP length, not the frame, bounds the payload (Ethernet pad). */
	if ((size_t)off + m.l4_off + 8 > caplen) {
		st->truncated++;
		return;
	}
	ulen = be16(p + off + m.l4_off + 4);
	if (ulen < 8 || (size_t)off + m.l4_off + ulen > caplen) {
		st->truncated++;
		return;
	}
	memset(&in, 0, sizeof(in));
	in.exporter = r.src;
	in.port = r.sport;
	in.now_ms = (uint64_t)ph->ts.tv_sec * 1000 +
	    (uint64_t)ph->ts.tv_usec / 1000;
	in.mono_ms = in.now_ms;		/* a capture's clock is its own */
	st->udp++;
	cb(arg, &in, p + off + m.l4_off + 8, ulen - 8, frame);
}

int
pcapsrc_read(const char *path, pcapsrc_cb *cb, void *arg,
    struct pcapsrc_stats *st, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *data;
	pcap_t *pc;
	uint64_t frame = 0;
	int dlt, rc;

	memset(st, 0, sizeof(*st));
	ebuf[0] = '\0';
	/* Microsecond timestamps whatever the file holds. */
	pc = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (pc == NULL) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		return -1;
	}
	dlt = pcap_datalink(pc);
	if (!known_link(dlt)) {
		snprintf(err, errlen, "%s: link type %s is not supported",
		    path, pcap_datalink_val_to_name(dlt) ?
		    pcap_datalink_val_to_name(dlt) : "unknown");
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &ph, &data)) == 1)
		pcapsrc_frame(dlt, ph, data, ++frame, cb, arg, st);
	if (rc == PCAP_ERROR) {
		/* A cut-off capture: what was read stands, the error is told. */
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(pc));
		pcap_close(pc);
		return -2;
	}
	pcap_close(pc);
	return 0;
}
