/*
 * flow.h - the normalised flow record every decoder produces.
 *
 * DESIGN
 * One struct for all four protocols.  A field the export did not carry is not
 * invented: its bit in `have` stays clear and the JSON writer leaves it out.
 * bytes and packets are as exported (not scaled); `sampling` is the rate that
 * applies when the export says (v5 header, v9/IPFIX sampler options or the
 * record's own interval, sFlow sample rate).  Times are UTC milliseconds.
 *
 * A record handed to a callback is borrowed for the duration of the call;
 * keep it only by copying (it is a flat struct, so a copy is a memcpy).
 *
 * Records of kind OPTIONS (v9/IPFIX options data) and COUNTERS (sFlow counter
 * samples) share the struct so one callback sees everything; consumers that
 * only want traffic test kind == FLOW_KIND_FLOW.
 */
#ifndef FS_FLOW_H
#define FS_FLOW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum flow_type {
	FLOW_NF5 = 1,
	FLOW_NF9,
	FLOW_IPFIX,
	FLOW_SFLOW5,
};

enum flow_kind {
	FLOW_KIND_FLOW = 0,
	FLOW_KIND_OPTIONS,
	FLOW_KIND_COUNTERS,
};

/* An IPv4 or IPv6 address; IPv4 lives in a[0..3].  af is 0, 4 or 6. */
struct flow_addr {
	uint8_t		af;
	uint8_t		a[16];
};

/* Bits of flow_rec.have. */
#define FL_SRC		(1u << 0)
#define FL_DST		(1u << 1)
#define FL_SPORT	(1u << 2)
#define FL_DPORT	(1u << 3)
#define FL_PROTO	(1u << 4)
#define FL_TCPFLAGS	(1u << 5)
#define FL_BYTES	(1u << 6)
#define FL_PACKETS	(1u << 7)
#define FL_SAMPLING	(1u << 8)
#define FL_FIRST	(1u << 9)
#define FL_LAST		(1u << 10)
#define FL_INIF		(1u << 11)
#define FL_OUTIF	(1u << 12)
#define FL_SRCAS	(1u << 13)
#define FL_DSTAS	(1u << 14)
#define FL_VLAN		(1u << 15)
#define FL_TOS		(1u << 16)
#define FL_REVBYTES	(1u << 17)
#define FL_REVPACKETS	(1u << 18)
#define FL_FWEVENT	(1u << 19)
#define FL_DIRECTION	(1u << 20)
#define FL_BIFLOWDIR	(1u << 21)
#define FL_ICMP		(1u << 22)
#define FL_SAMPLERID	(1u << 23)
#define FL_MPLS		(1u << 24)
#define FL_DOMAIN	(1u << 25)
#define FL_SYSINIT	(1u << 26)
#define FL_POOL		(1u << 27)	/* sFlow sample_pool and drops */

/* IE 239 biflowDirection values (RFC 5103). */
#define FLOW_BIFLOW_ARBITRARY	0
#define FLOW_BIFLOW_INITIATOR	1
#define FLOW_BIFLOW_REVERSE	2
#define FLOW_BIFLOW_PERIMETER	3

/* sFlow generic interface counters (counter record 0:1). */
struct flow_ifctr {
	uint32_t	ifindex;
	uint32_t	iftype;
	uint64_t	ifspeed;
	uint32_t	ifdirection;
	uint32_t	ifstatus;
	uint64_t	in_octets;
	uint32_t	in_ucast, in_mcast, in_bcast, in_discards, in_errors,
			in_unknown;
	uint64_t	out_octets;
	uint32_t	out_ucast, out_mcast, out_bcast, out_discards,
			out_errors;
	uint32_t	promisc;
};

struct flow_rec {
	uint32_t		have;
	uint8_t			type;		/* enum flow_type */
	uint8_t			kind;		/* enum flow_kind */
	uint8_t			proto;
	uint8_t			tos;
	uint8_t			fw_event;	/* NSEL / IE 233 */
	uint8_t			direction;	/* IE 61: 0 ingress, 1 egress */
	uint8_t			biflow_dir;	/* IE 239 */
	uint8_t			tcp_flags;
	uint16_t		sport;
	uint16_t		dport;
	uint16_t		vlan;
	uint16_t		icmp;		/* type << 8 | code */
	uint32_t		domain;		/* v9 source id, IPFIX ODID, sFlow sub-agent */
	uint32_t		sampling;
	uint32_t		sampler_id;
	uint32_t		in_if;
	uint32_t		out_if;
	uint32_t		src_as;
	uint32_t		dst_as;
	uint32_t		mpls;		/* top label (20 bits) */
	uint32_t		sample_pool;	/* sFlow: packets that could have been sampled */
	uint32_t		drops;		/* sFlow: samples the agent dropped */
	uint64_t		bytes;
	uint64_t		packets;
	uint64_t		rev_bytes;	/* RFC 5103 reverse / NSEL responder */
	uint64_t		rev_packets;
	uint64_t		first;		/* UTC ms */
	uint64_t		last;
	uint64_t		sys_init;	/* options: systemInitTimeMilliseconds */
	struct flow_addr	exporter;
	struct flow_addr	src;
	struct flow_addr	dst;
	struct flow_ifctr	ctr;		/* kind COUNTERS only */
	/*
	 * A sampled packet (sFlow raw header): its bytes from the IP header
	 * on, borrowed from the datagram for the duration of the callback,
	 * for deep inspection.  NULL when the record carries none.
	 */
	const uint8_t		*pkt;
	uint16_t		 pkt_len;
};

/* Called once per record; the record is borrowed for the call. */
typedef void flow_cb(void *arg, const struct flow_rec *r);

/* Text form of an address ("" when af is 0); buf needs 46 bytes. */
const char	*flow_addr_str(const struct flow_addr *a, char *buf, size_t len);
void		 flow_addr_set4(struct flow_addr *a, const uint8_t *p);
void		 flow_addr_set6(struct flow_addr *a, const uint8_t *p);
/* Parses "1.2.3.4" or "2001:db8::1"; 0 on success. */
int		 flow_addr_parse(struct flow_addr *a, const char *s);
int		 flow_addr_eq(const struct flow_addr *a, const struct flow_addr *b);

/* FNV-1a, the hash of every table keyed by addresses or small keys. */
#define FLOW_FNV_INIT	2166136261u
static inline uint32_t
flow_fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/* The hash of an address's significant bytes (4 or 16). */
static inline uint32_t
flow_addr_hash(uint32_t h, const struct flow_addr *a)
{
	return flow_fnv(h, a->a, a->af == 6 ? 16 : 4);
}

/* 64-bit FNV-1a and the MurmurHash3 finaliser (every input bit moves
 * every output bit), for tables keyed by 64-bit hashes. */
#define FLOW_FNV64_INIT	0xcbf29ce484222325ULL
static inline uint64_t
flow_fnv64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static inline uint64_t
flow_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* An address as a 64-bit key, never 0 (0 marks an empty slot); two IPv4
 * addresses never share one (flow_mix64 is a bijection). */
static inline uint64_t
flow_addr_key(const struct flow_addr *a)
{
	uint64_t x, y, h;
	uint32_t v;

	if (a->af == 6) {
		memcpy(&x, a->a, sizeof(x));
		memcpy(&y, a->a + 8, sizeof(y));
		h = flow_mix64(flow_mix64(x ^ 6) ^ y);
	} else {
		memcpy(&v, a->a, sizeof(v));
		h = flow_mix64((uint64_t)a->af << 32 | v);
	}
	return h ? h : 1;
}

const char	*flow_type_name(int type);

/*
 * One JSON object for the record, without a trailing newline, NUL
 * terminated.  Returns the length, or -1 if buf is too small.
 * 1024 bytes are always enough.
 */
int		 flow_json(const struct flow_rec *r, char *buf, size_t len);

#define FLOW_JSON_MAX	1024

#endif
