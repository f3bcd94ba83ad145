/*
 * rd.h - bounds-checked reader over untrusted bytes.
 *
 * DESIGN
 * Every decoder reads the wire through a struct rd.  Getters compare the
 * number of bytes *remaining* against what they need (so no pointer past the
 * end is ever formed), and on a short read they set a sticky error, leave the
 * offset where it was and return 0.  Callers may therefore read a whole
 * record and test rd.err once.  A sub-reader (rd_sub) covers exactly one
 * FlowSet / sFlow sample / record, so a length field that lies can never let
 * an inner parser read its neighbour's bytes.
 *
 * Values are big-endian (network order) unless the name says otherwise.
 * No allocation, no globals, no logging.
 */
#ifndef FS_RD_H
#define FS_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;
};

static inline void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = p ? len : 0;
	r->off = 0;
	r->err = 0;
}

static inline size_t
rd_left(const struct rd *r)
{
	return r->err ? 0 : r->len - r->off;
}

/* True when n more bytes are available; otherwise marks the reader failed. */
static inline int
rd_need(struct rd *r, size_t n)
{
	if (r->err || r->len - r->off < n) {
		r->err = 1;
		return 0;
	}
	return 1;
}

/* Pointer to the next n bytes, consumed; NULL (and err set) if short. */
static inline const uint8_t *
rd_ptr(struct rd *r, size_t n)
{
	const uint8_t *q;

	if (!rd_need(r, n))
		return NULL;
	q = r->p + r->off;
	r->off += n;
	return q;
}

static inline void
rd_skip(struct rd *r, size_t n)
{
	(void)rd_ptr(r, n);
}

static inline uint8_t
rd_u8(struct rd *r)
{
	const uint8_t *q = rd_ptr(r, 1);

	return q ? q[0] : 0;
}

static inline uint16_t
rd_u16(struct rd *r)
{
	const uint8_t *q = rd_ptr(r, 2);

	return q ? (uint16_t)((q[0] << 8) | q[1]) : 0;
}

static inline uint32_t
rd_u32(struct rd *r)
{
	const uint8_t *q = rd_ptr(r, 4);

	return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
	    ((uint32_t)q[2] << 8) | q[3] : 0;
}

/* Big-endian unsigned integer of n bytes, 0 < n <= 8 (reduced-size encoding). */
static inline uint64_t
be_uint(const uint8_t *q, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = (v << 8) | q[i];
	return v;
}

static inline uint64_t
rd_u64(struct rd *r)
{
	const uint8_t *q = rd_ptr(r, 8);

	return q ? be_uint(q, 8) : 0;
}

static inline int
rd_copy(struct rd *r, void *dst, size_t n)
{
	const uint8_t *q = rd_ptr(r, n);

	if (q == NULL)
		return -1;
	memcpy(dst, q, n);
	return 0;
}

/*
 * Split off the next n bytes as an independent reader and advance past them.
 * On a short parent the child is empty and failed, and so is the parent.
 */
static inline int
rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	const uint8_t *q = rd_ptr(r, n);

	if (q == NULL) {
		rd_init(sub, NULL, 0);
		sub->err = 1;
		return -1;
	}
	rd_init(sub, q, n);
	return 0;
}

static inline uint16_t
be16(const uint8_t *q)
{
	return (uint16_t)((q[0] << 8) | q[1]);
}

static inline uint32_t
be32(const uint8_t *q)
{
	return ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
	    ((uint32_t)q[2] << 8) | q[3];
}

#endif
