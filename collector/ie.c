/*
 * ie.c - the information element table (IANA IPFIX registry numbers; NetFlow
 * v9 types 1..127 share them, and v9 exporters reuse the IPFIX numbers above
 * 127 as Cisco's NSEL does).
 */
#include "ie.h"
#include "tmpl.h"

enum ie_width { W_INT, W_V4, W_V6, W_ANY };

struct ie_entry {
	uint16_t	id;
	uint8_t		tgt;
	uint8_t		width;
};

static const struct ie_entry ie_iana[] = {
	{ 1, IE_BYTES, W_INT },		{ 2, IE_PACKETS, W_INT },
	{ 4, IE_PROTO, W_INT },		{ 5, IE_TOS, W_INT },
	{ 6, IE_TCPFLAGS, W_INT },	{ 7, IE_SPORT, W_INT },
	{ 8, IE_SRC4, W_V4 },		{ 10, IE_INIF, W_INT },
	{ 11, IE_DPORT, W_INT },	{ 12, IE_DST4, W_V4 },
	{ 14, IE_OUTIF, W_INT },	{ 16, IE_SRCAS, W_INT },
	{ 17, IE_DSTAS, W_INT },	{ 21, IE_LAST_UP, W_INT },
	{ 22, IE_FIRST_UP, W_INT },	{ 23, IE_BYTES_POST, W_INT },
	{ 24, IE_PACKETS_POST, W_INT },	{ 27, IE_SRC6, W_V6 },
	{ 28, IE_DST6, W_V6 },		{ 32, IE_ICMP_TC, W_INT },
	{ 34, IE_SAMPLING, W_INT },	{ 48, IE_SAMPLER_ID, W_INT },
	{ 50, IE_SAMPLING, W_INT },	{ 58, IE_VLAN, W_INT },
	{ 61, IE_DIRECTION, W_INT },	{ 70, IE_MPLS1, W_INT },
	{ 85, IE_BYTES_TOTAL, W_INT },	{ 86, IE_PACKETS_TOTAL, W_INT },
	{ 139, IE_ICMP_TC, W_INT },	{ 150, IE_FIRST_S, W_INT },
	{ 151, IE_LAST_S, W_INT },	{ 152, IE_FIRST_MS, W_INT },
	{ 153, IE_LAST_MS, W_INT },	{ 154, IE_FIRST_US, W_INT },
	{ 155, IE_LAST_US, W_INT },	{ 156, IE_FIRST_NS, W_INT },
	{ 157, IE_LAST_NS, W_INT },	{ 158, IE_FIRST_DELTA, W_INT },
	{ 159, IE_LAST_DELTA, W_INT },	{ 160, IE_SYSINIT, W_INT },
	{ 176, IE_ICMP_TYPE, W_INT },	{ 177, IE_ICMP_CODE, W_INT },
	{ 178, IE_ICMP_TYPE, W_INT },	{ 179, IE_ICMP_CODE, W_INT },
	{ 180, IE_SPORT, W_INT },	{ 181, IE_DPORT, W_INT },
	{ 182, IE_SPORT, W_INT },	{ 183, IE_DPORT, W_INT },
	{ 224, IE_IP_TOTLEN, W_INT },	{ 231, IE_INIT_BYTES, W_INT },
	{ 232, IE_RESP_BYTES, W_INT },	{ 233, IE_FW_EVENT, W_INT },
	{ 239, IE_BIFLOW_DIR, W_INT },	{ 243, IE_DOT1Q, W_INT },
	{ 298, IE_INIT_PKTS, W_INT },	{ 299, IE_RESP_PKTS, W_INT },
	{ 302, IE_SAMPLER_ID, W_INT },	{ 305, IE_PKT_INTERVAL, W_INT },
	{ 306, IE_PKT_SPACE, W_INT },	{ 312, IE_FRAME_SIZE, W_INT },
	{ 313, IE_IPHDR, W_ANY },	{ 315, IE_FRAME, W_ANY },
	{ 322, IE_OBS_S, W_INT },	{ 323, IE_OBS_MS, W_INT },
	{ 324, IE_OBS_US, W_INT },	{ 325, IE_OBS_NS, W_INT },
};

static const struct ie_entry ie_reverse[] = {
	{ 1, IE_REV_BYTES, W_INT },	{ 2, IE_REV_PACKETS, W_INT },
	{ 85, IE_REV_BYTES, W_INT },	{ 86, IE_REV_PACKETS, W_INT },
};

static const struct ie_entry *
ie_find(const struct ie_entry *t, unsigned n, uint16_t id)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (t[mid].id == id)
			return &t[mid];
		if (t[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
ie_target(int version, uint32_t pen, uint16_t id, uint16_t len)
{
	const struct ie_entry *e;

	(void)version;
	if (pen == 0)
		e = ie_find(ie_iana, sizeof(ie_iana) / sizeof(ie_iana[0]), id);
	else if (pen == IE_PEN_REVERSE)
		e = ie_find(ie_reverse,
		    sizeof(ie_reverse) / sizeof(ie_reverse[0]), id);
	else
		e = NULL;
	if (e == NULL)
		return IE_SKIP;
	switch (e->width) {
	case W_INT:
		return (len >= 1 && len <= 8) ? e->tgt : IE_SKIP;
	case W_V4:
		return len == 4 ? e->tgt : IE_SKIP;
	case W_V6:
		return len == 16 ? e->tgt : IE_SKIP;
	case W_ANY:
		return len > 0 ? e->tgt : IE_SKIP;
	}
	return IE_SKIP;
}
