/*
 * ie.h - which NetFlow v9 / IPFIX information elements we use, and where
 * they go in a flow record.
 *
 * DESIGN
 * A template is compiled once: each field's (enterprise, id, length) becomes
 * a target below, or IE_SKIP.  A field whose length cannot hold its type
 * (an IPv4 address of 2 bytes, a counter of 9) is compiled as a skip: its
 * bytes are stepped over by length and never copied anywhere (HOSTILE V9-7).
 * Reduced-size encoding (RFC 7011 6.2) of integers, 1 to 8 bytes, is taken.
 */
#ifndef FS_IE_H
#define FS_IE_H

#include <stdint.h>

#define IE_PEN_REVERSE	29305	/* RFC 5103 reverse information elements */

enum ie_target {
	IE_SKIP = 0,
	IE_SRC4, IE_DST4, IE_SRC6, IE_DST6,
	IE_SPORT, IE_DPORT, IE_PROTO, IE_TOS, IE_TCPFLAGS,
	IE_BYTES, IE_PACKETS,			/* 1, 2: delta counts */
	IE_BYTES_TOTAL, IE_PACKETS_TOTAL,	/* 85, 86 */
	IE_BYTES_POST, IE_PACKETS_POST,		/* 23, 24 (v9 OUT_BYTES) */
	IE_INIT_BYTES, IE_RESP_BYTES,		/* 231, 232 (NSEL, RFC 5102bis) */
	IE_INIT_PKTS, IE_RESP_PKTS,		/* 298, 299 */
	IE_REV_BYTES, IE_REV_PACKETS,		/* PEN 29305 ids 1/85, 2/86 */
	IE_FRAME_SIZE, IE_IP_TOTLEN,		/* 312, 224: PSAMP packet size */
	IE_INIF, IE_OUTIF, IE_SRCAS, IE_DSTAS,
	IE_FIRST_UP, IE_LAST_UP,		/* 22, 21: sysUpTime ms */
	IE_FIRST_S, IE_LAST_S,			/* 150, 151 */
	IE_FIRST_MS, IE_LAST_MS,		/* 152, 153 */
	IE_FIRST_US, IE_LAST_US,		/* 154, 155 (NTP format) */
	IE_FIRST_NS, IE_LAST_NS,		/* 156, 157 (NTP format) */
	IE_FIRST_DELTA, IE_LAST_DELTA,		/* 158, 159: us before export */
	IE_SYSINIT,				/* 160 */
	IE_OBS_S, IE_OBS_MS, IE_OBS_US, IE_OBS_NS,	/* 322..325 */
	IE_VLAN, IE_DOT1Q,			/* 58, 243 */
	IE_SAMPLING,				/* 34, 50: 1 out of N */
	IE_SAMPLER_ID,				/* 48, 302 */
	IE_PKT_INTERVAL, IE_PKT_SPACE,		/* 305, 306 */
	IE_DIRECTION,				/* 61 */
	IE_BIFLOW_DIR,				/* 239 */
	IE_FW_EVENT,				/* 233 */
	IE_ICMP_TC,				/* 32, 139: type << 8 | code */
	IE_ICMP_TYPE, IE_ICMP_CODE,		/* 176/178, 177/179 */
	IE_MPLS1,				/* 70 */
	IE_FRAME,				/* 315 dataLinkFrameSection */
	IE_IPHDR,				/* 313 ipHeaderPacketSection */
	IE_NTARGETS
};

/* Target of a field; version is 9 or 10.  len may be TMPL_VARLEN. */
int	ie_target(int version, uint32_t pen, uint16_t id, uint16_t len);

#endif
