/*
 * pkw.c - the packet writer of the unit tests (see pkw.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "pkw.h"

struct pk *
pk_new(void)
{
	struct pk *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	return p;
}

void
pk_u8(struct pk *p, uint32_t v)
{
	assert_true(p->n < sizeof(p->b));
	p->b[p->n++] = (uint8_t)v;
}

void
pk_u16(struct pk *p, uint32_t v)
{
	pk_u8(p, v >> 8);
	pk_u8(p, v);
}

void
pk_u32(struct pk *p, uint32_t v)
{
	pk_u16(p, v >> 16);
	pk_u16(p, v);
}

void
pk_u64(struct pk *p, uint64_t v)
{
	pk_u32(p, (uint32_t)(v >> 32));
	pk_u32(p, (uint32_t)v);
}

void
pk_raw(struct pk *p, const void *v, size_t n)
{
	const uint8_t *q = v;

	while (n--)
		pk_u8(p, *q++);
}

void
pk_fill(struct pk *p, size_t n, uint8_t v)
{
	while (n--)
		pk_u8(p, v);
}

void
pk_addr(struct pk *p, const char *s)
{
	uint8_t a[16];

	if (strchr(s, ':') != NULL) {
		assert_int_equal(inet_pton(AF_INET6, s, a), 1);
		pk_raw(p, a, 16);
	} else {
		assert_int_equal(inet_pton(AF_INET, s, a), 1);
		pk_raw(p, a, 4);
	}
}

void
pk_put16(struct pk *p, size_t at, uint32_t v)
{
	assert_true(at + 2 <= p->n);
	p->b[at] = (uint8_t)(v >> 8);
	p->b[at + 1] = (uint8_t)v;
}

void
pk_put32(struct pk *p, size_t at, uint32_t v)
{
	pk_put16(p, at, v >> 16);
	pk_put16(p, at + 2, v);
}

size_t
pk_set_begin(struct pk *p, uint16_t id)
{
	size_t at = p->n;

	pk_u16(p, id);
	pk_u16(p, 0);
	return at;
}

void
pk_set_end(struct pk *p, size_t at)
{
	pk_put16(p, at + 2, (uint32_t)(p->n - at));
}

/* ---- link layer ---------------------------------------------------- */

void
pk_eth(struct pk *p, uint16_t type)
{
	static const uint8_t mac[12] = {
		0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02,
	};

	pk_raw(p, mac, sizeof(mac));
	pk_u16(p, type);
}

void
pk_vlan(struct pk *p, uint16_t tci, uint16_t next)
{
	pk_u16(p, tci);
	pk_u16(p, next);
}

void
pk_mpls(struct pk *p, uint32_t label, int bos)
{
	pk_u32(p, label << 12 | (bos ? 0x100 : 0) | 64);
}

/* ---- IP -------------------------------------------------------------- */

size_t
pk_ip4(struct pk *p, uint8_t proto, const char *src, const char *dst,
    uint8_t tos, uint16_t frag, int optwords)
{
	size_t at = p->n;

	pk_u8(p, 0x40 | (5 + optwords));
	pk_u8(p, tos);
	pk_u16(p, 0);			/* total length, patched */
	pk_u16(p, 0x1234);		/* id */
	pk_u16(p, frag);
	pk_u8(p, 64);			/* ttl */
	pk_u8(p, proto);
	pk_u16(p, 0);			/* checksum: not checked */
	pk_addr(p, src);
	pk_addr(p, dst);
	pk_fill(p, (size_t)optwords * 4, 0x01);
	return at;
}

void
pk_ip4_end(struct pk *p, size_t at)
{
	pk_put16(p, at + 2, (uint32_t)(p->n - at));
}

size_t
pk_ip6(struct pk *p, uint8_t nh, const char *src, const char *dst,
    uint8_t tc)
{
	size_t at = p->n;

	pk_u32(p, 0x60000000u | (uint32_t)tc << 20 | 0x12345);
	pk_u16(p, 0);			/* payload length, patched */
	pk_u8(p, nh);
	pk_u8(p, 64);
	pk_addr(p, src);
	pk_addr(p, dst);
	return at;
}

void
pk_ip6_end(struct pk *p, size_t at)
{
	pk_put16(p, at + 4, (uint32_t)(p->n - at - 40));
}

void
pk_ext6(struct pk *p, uint8_t nh, uint8_t len8)
{
	pk_u8(p, nh);
	pk_u8(p, len8);
	pk_fill(p, (size_t)(len8 + 1) * 8 - 2, 0);
}

void
pk_frag6(struct pk *p, uint8_t nh, uint16_t offset, int more)
{
	pk_u8(p, nh);
	pk_u8(p, 0);
	pk_u16(p, (uint32_t)offset << 3 | (more ? 1 : 0));
	pk_u32(p, 0xabcdef01);
}

void
pk_ah6(struct pk *p, uint8_t nh, uint8_t plen)
{
	pk_u8(p, nh);
	pk_u8(p, plen);
	pk_fill(p, (size_t)(plen + 2) * 4 - 2, 0xa5);
}

/* ---- transport ------------------------------------------------------- */

void
pk_tcp(struct pk *p, uint16_t sport, uint16_t dport, uint8_t flags, int doff)
{
	pk_u16(p, sport);
	pk_u16(p, dport);
	pk_u32(p, 1000);		/* seq */
	pk_u32(p, 0);			/* ack */
	pk_u8(p, (uint32_t)doff << 4);
	pk_u8(p, flags);
	pk_u16(p, 65535);		/* window */
	pk_u16(p, 0);			/* checksum */
	pk_u16(p, 0);			/* urgent */
	if (doff > 5)
		pk_fill(p, (size_t)(doff - 5) * 4, 0x01);
}

size_t
pk_udp(struct pk *p, uint16_t sport, uint16_t dport, uint16_t ulen)
{
	size_t at = p->n;

	pk_u16(p, sport);
	pk_u16(p, dport);
	pk_u16(p, ulen);
	pk_u16(p, 0);			/* checksum */
	return at;
}

void
pk_udp_end(struct pk *p, size_t at)
{
	pk_put16(p, at + 4, (uint32_t)(p->n - at));
}

void
pk_icmp(struct pk *p, uint8_t type, uint8_t code)
{
	pk_u8(p, type);
	pk_u8(p, code);
	pk_u16(p, 0);
	pk_u32(p, 0x00010002);
}
