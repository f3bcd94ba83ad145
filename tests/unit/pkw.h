/*
 * pkw.h - the packet writer of the unit tests.
 *
 * DESIGN
 * One big-endian writer for every test that builds datagrams or frames:
 * pk_u8..pk_u64 append, and every append is checked against the buffer (a
 * failed assertion, never an overflow).  A length that depends on what
 * follows is written as 0 and patched afterwards (pk_put16/pk_put32, or
 * the *_end() call that goes with a header).
 *
 * Besides the bytes, the headers a captured packet is made of: Ethernet,
 * VLAN tags, MPLS labels, IPv4, IPv6 and its extension headers, TCP, UDP
 * and ICMP, with fixed values in the fields no test varies (MACs, IP id,
 * TTL, TCP sequence and window), so a frame reads as the layers it has.
 * Addresses are given as text; their family picks 4 or 16 bytes.
 */
#ifndef FS_PKW_H
#define FS_PKW_H

#include <stddef.h>
#include <stdint.h>

#define PK_MAX	65536		/* the largest UDP datagram fits */

struct pk {
	uint8_t	b[PK_MAX];
	size_t	n;
};

/* A zeroed writer on the heap; free() it. */
struct pk	*pk_new(void);

void	 pk_u8(struct pk *p, uint32_t v);
void	 pk_u16(struct pk *p, uint32_t v);
void	 pk_u32(struct pk *p, uint32_t v);
void	 pk_u64(struct pk *p, uint64_t v);
void	 pk_raw(struct pk *p, const void *v, size_t n);
void	 pk_fill(struct pk *p, size_t n, uint8_t v);
/* The 4 or 16 bytes of an address ("192.0.2.1", "2001:db8::1"). */
void	 pk_addr(struct pk *p, const char *s);
/* Overwrite bytes already written. */
void	 pk_put16(struct pk *p, size_t at, uint32_t v);
void	 pk_put32(struct pk *p, size_t at, uint32_t v);

/*
 * A set header: 16-bit id, 16-bit length (NetFlow v9 FlowSets, IPFIX
 * sets).  pk_set_end() patches the length to cover [at, end), unpadded.
 */
size_t	 pk_set_begin(struct pk *p, uint16_t id);
void	 pk_set_end(struct pk *p, size_t at);

/* ---- link layer ---------------------------------------------------- */

/* Ethernet II from 02:00:00:00:00:02 to :01; ethertype or 802.3 length. */
void	 pk_eth(struct pk *p, uint16_t type);
/* An 802.1Q tag: TCI, then the next ethertype. */
void	 pk_vlan(struct pk *p, uint16_t tci, uint16_t next);
/* An MPLS label stack entry, TTL 64. */
void	 pk_mpls(struct pk *p, uint32_t label, int bos);

/* ---- IP -------------------------------------------------------------- */

/*
 * IPv4 header, id 0x1234, TTL 64, frag (flags and offset) as given,
 * optwords 32-bit words of NOP options.  The total length is patched by
 * pk_ip4_end() to the end of what was written after it.
 */
size_t	 pk_ip4(struct pk *p, uint8_t proto, const char *src, const char *dst,
	    uint8_t tos, uint16_t frag, int optwords);
void	 pk_ip4_end(struct pk *p, size_t at);
/*
 * IPv6 header, flow label 0x12345, hop limit 64; pk_ip6_end() patches the
 * payload length.
 */
size_t	 pk_ip6(struct pk *p, uint8_t nh, const char *src, const char *dst,
	    uint8_t tc);
void	 pk_ip6_end(struct pk *p, size_t at);
/* A generic IPv6 extension header of (len8 + 1) * 8 bytes. */
void	 pk_ext6(struct pk *p, uint8_t nh, uint8_t len8);
/* IPv6 fragment header: offset in 8-byte units, M flag. */
void	 pk_frag6(struct pk *p, uint8_t nh, uint16_t offset, int more);
/* Authentication header of (plen + 2) * 4 bytes. */
void	 pk_ah6(struct pk *p, uint8_t nh, uint8_t plen);

/* ---- transport ------------------------------------------------------- */

/* TCP header, seq 1000, window 65535, doff words (NOP options past 5). */
void	 pk_tcp(struct pk *p, uint16_t sport, uint16_t dport, uint8_t flags,
	    int doff);
/* UDP header with the length given; 0 to patch it with pk_udp_end(). */
size_t	 pk_udp(struct pk *p, uint16_t sport, uint16_t dport, uint16_t ulen);
void	 pk_udp_end(struct pk *p, size_t at);
/* ICMP or ICMPv6 header with 4 bytes of rest-of-header. */
void	 pk_icmp(struct pk *p, uint8_t type, uint8_t code);

#endif
