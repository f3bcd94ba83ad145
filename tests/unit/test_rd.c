/*
 * test_rd.c - the bounds-checked reader (collector/rd.h).
 *
 * Every getter is tried with exactly enough bytes and with one byte too few:
 * a short read returns 0 (or NULL / -1), sets the sticky error and leaves the
 * offset alone.  Sub-readers never see their parent's further bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rd.h"

static const uint8_t bytes[] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
};

/*
 * A heap copy of exactly n bytes, so ASan flags any read past the end
 * (the static array above would hide it).
 */
static uint8_t *
exact(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, bytes, n);
	return p;
}

static void
test_rd_init(void **state)
{
	struct rd r;

	(void)state;
	rd_init(&r, bytes, 5);
	assert_int_equal(r.len, 5);
	assert_int_equal(r.off, 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(rd_left(&r), 5);
	/* A NULL buffer is an empty one, whatever length was claimed. */
	rd_init(&r, NULL, 100);
	assert_int_equal(rd_left(&r), 0);
	assert_int_equal(rd_u8(&r), 0);
	assert_int_equal(r.err, 1);
}

static void
test_rd_u8(void **state)
{
	uint8_t *p = exact(1);
	struct rd r;

	(void)state;
	rd_init(&r, p, 1);
	assert_int_equal(rd_u8(&r), 0x01);
	assert_int_equal(r.err, 0);
	assert_int_equal(rd_left(&r), 0);
	assert_int_equal(rd_u8(&r), 0);
	assert_int_equal(r.err, 1);
	assert_int_equal(r.off, 1);
	free(p);
}

static void
test_rd_u16(void **state)
{
	uint8_t *p = exact(3);
	struct rd r;

	(void)state;
	rd_init(&r, p, 2);
	assert_int_equal(rd_u16(&r), 0x0102);
	assert_int_equal(r.err, 0);
	/* One byte short. */
	rd_init(&r, p, 3);
	assert_int_equal(rd_u16(&r), 0x0102);
	assert_int_equal(rd_u16(&r), 0);
	assert_int_equal(r.err, 1);
	assert_int_equal(r.off, 2);
	free(p);
}

static void
test_rd_u32(void **state)
{
	uint8_t *p = exact(7);
	struct rd r;

	(void)state;
	rd_init(&r, p, 4);
	assert_int_equal(rd_u32(&r), 0x01020304);
	assert_int_equal(r.err, 0);
	assert_int_equal(rd_left(&r), 0);
	rd_init(&r, p, 7);
	assert_int_equal(rd_u32(&r), 0x01020304);
	assert_int_equal(rd_u32(&r), 0);	/* 3 left */
	assert_int_equal(r.err, 1);
	assert_int_equal(r.off, 4);
	free(p);
}

static void
test_rd_u64(void **state)
{
	uint8_t *p = exact(15);
	struct rd r;

	(void)state;
	rd_init(&r, p, 8);
	assert_true(rd_u64(&r) == 0x0102030405060708ULL);
	assert_int_equal(r.err, 0);
	rd_init(&r, p, 15);
	assert_true(rd_u64(&r) == 0x0102030405060708ULL);
	assert_true(rd_u64(&r) == 0);		/* 7 left */
	assert_int_equal(r.err, 1);
	assert_int_equal(r.off, 8);
	free(p);
}

static void
test_rd_ptr_skip(void **state)
{
	uint8_t *p = exact(6);
	const uint8_t *q;
	struct rd r;

	(void)state;
	rd_init(&r, p, 6);
	q = rd_ptr(&r, 2);
	assert_ptr_equal(q, p);
	assert_int_equal(r.off, 2);
	rd_skip(&r, 3);
	assert_int_equal(r.off, 5);
	assert_int_equal(r.err, 0);
	/* Zero bytes are always there while the reader is good. */
	assert_non_null(rd_ptr(&r, 0));
	assert_null(rd_ptr(&r, 2));
	assert_int_equal(r.err, 1);
	assert_int_equal(r.off, 5);

	/* A huge length must not wrap the comparison. */
	rd_init(&r, p, 6);
	rd_skip(&r, 1);
	assert_null(rd_ptr(&r, SIZE_MAX));
	assert_int_equal(r.err, 1);
	assert_int_equal(r.off, 1);

	rd_init(&r, p, 6);
	rd_skip(&r, 7);
	assert_int_equal(r.err, 1);
	assert_int_equal(r.off, 0);
	free(p);
}

static void
test_rd_copy(void **state)
{
	uint8_t *p = exact(5);
	uint8_t dst[8];
	struct rd r;

	(void)state;
	rd_init(&r, p, 5);
	memset(dst, 0xee, sizeof(dst));
	assert_int_equal(rd_copy(&r, dst, 4), 0);
	assert_memory_equal(dst, bytes, 4);
	assert_int_equal(dst[4], 0xee);
	/* Short: nothing copied, destination untouched. */
	memset(dst, 0xee, sizeof(dst));
	assert_int_equal(rd_copy(&r, dst, 2), -1);
	assert_int_equal(r.err, 1);
	assert_int_equal(dst[0], 0xee);
	assert_int_equal(dst[1], 0xee);
	free(p);
}

static void
test_rd_need(void **state)
{
	struct rd r;

	(void)state;
	rd_init(&r, bytes, 4);
	assert_true(rd_need(&r, 4));
	assert_int_equal(r.off, 0);		/* need does not consume */
	assert_false(rd_need(&r, 5));
	assert_int_equal(r.err, 1);
}

static void
test_rd_sticky(void **state)
{
	uint8_t *p = exact(6);
	struct rd r;

	(void)state;
	rd_init(&r, p, 6);
	assert_int_equal(rd_u8(&r), 0x01);
	assert_int_equal(rd_u64(&r), 0);	/* 5 left: fails */
	assert_int_equal(r.err, 1);
	/* Bytes remain, but every later getter fails too. */
	assert_int_equal(rd_left(&r), 0);
	assert_int_equal(rd_u8(&r), 0);
	assert_int_equal(rd_u16(&r), 0);
	assert_int_equal(rd_u32(&r), 0);
	assert_null(rd_ptr(&r, 1));
	assert_null(rd_ptr(&r, 0));
	assert_false(rd_need(&r, 0));
	assert_int_equal(r.off, 1);
	assert_int_equal(r.err, 1);
	free(p);
}

static void
test_rd_sub(void **state)
{
	uint8_t *p = exact(10);
	struct rd r, s;

	(void)state;
	rd_init(&r, p, 10);
	rd_skip(&r, 2);
	assert_int_equal(rd_sub(&r, 4, &s), 0);
	assert_int_equal(r.off, 6);		/* parent advanced past it */
	assert_int_equal(rd_left(&s), 4);
	assert_int_equal(rd_u32(&s), 0x03040506);
	/* The parent has 4 more bytes; the child must not see them. */
	assert_int_equal(rd_u8(&s), 0);
	assert_int_equal(s.err, 1);
	assert_int_equal(r.err, 0);		/* the child's error is its own */
	assert_int_equal(rd_u32(&r), 0x0708090a);
	free(p);
}

static void
test_rd_sub_inner_u16(void **state)
{
	uint8_t *p = exact(8);
	struct rd r, s;

	(void)state;
	/* A 3-byte sub-reader: a u16 fits, a second u16 would cross into the
	 * parent's next byte and must fail. */
	rd_init(&r, p, 8);
	assert_int_equal(rd_sub(&r, 3, &s), 0);
	assert_int_equal(rd_u16(&s), 0x0102);
	assert_int_equal(rd_u16(&s), 0);
	assert_int_equal(s.err, 1);
	assert_int_equal(s.off, 2);
	free(p);
}

static void
test_rd_sub_short_parent(void **state)
{
	uint8_t *p = exact(5);
	struct rd r, s;

	(void)state;
	rd_init(&r, p, 5);
	rd_skip(&r, 1);
	assert_int_equal(rd_sub(&r, 5, &s), -1);
	assert_int_equal(s.err, 1);
	assert_int_equal(rd_left(&s), 0);
	assert_int_equal(rd_u8(&s), 0);
	assert_int_equal(r.err, 1);
	assert_int_equal(r.off, 1);
	free(p);
}

static void
test_rd_sub_zero(void **state)
{
	struct rd r, s;

	(void)state;
	rd_init(&r, bytes, 4);
	assert_int_equal(rd_sub(&r, 0, &s), 0);
	assert_int_equal(s.err, 0);
	assert_int_equal(rd_left(&s), 0);
	assert_int_equal(rd_u8(&s), 0);
	assert_int_equal(s.err, 1);
	assert_int_equal(r.off, 0);
}

static void
test_be_uint(void **state)
{
	static const uint64_t want[9] = {
		0,
		0x01ULL,
		0x0102ULL,
		0x010203ULL,
		0x01020304ULL,
		0x0102030405ULL,
		0x010203040506ULL,
		0x01020304050607ULL,
		0x0102030405060708ULL,
	};
	static const uint8_t ff[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff };
	size_t n;

	(void)state;
	for (n = 1; n <= 8; n++) {
		uint8_t *p = exact(n);

		assert_true(be_uint(p, n) == want[n]);
		free(p);
	}
	assert_true(be_uint(ff, 8) == UINT64_MAX);
	assert_true(be_uint(ff, 3) == 0xffffffULL);
	assert_true(be_uint(bytes, 0) == 0);
}

static void
test_be16_be32(void **state)
{
	static const uint8_t hi[4] = { 0xfe, 0xdc, 0xba, 0x98 };

	(void)state;
	assert_int_equal(be16(bytes), 0x0102);
	assert_int_equal(be32(bytes), 0x01020304);
	/* High bits: no sign extension. */
	assert_int_equal(be16(hi), 0xfedc);
	assert_true(be32(hi) == 0xfedcba98u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rd_init),
		cmocka_unit_test(test_rd_u8),
		cmocka_unit_test(test_rd_u16),
		cmocka_unit_test(test_rd_u32),
		cmocka_unit_test(test_rd_u64),
		cmocka_unit_test(test_rd_ptr_skip),
		cmocka_unit_test(test_rd_copy),
		cmocka_unit_test(test_rd_need),
		cmocka_unit_test(test_rd_sticky),
		cmocka_unit_test(test_rd_sub),
		cmocka_unit_test(test_rd_sub_inner_u16),
		cmocka_unit_test(test_rd_sub_short_parent),
		cmocka_unit_test(test_rd_sub_zero),
		cmocka_unit_test(test_be_uint),
		cmocka_unit_test(test_be16_be32),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
