/*
 * test_nf5.c - NetFlow v5 (collector/nf5.c).
 *
 * Datagrams are built with the shared writer (pkw.h) and fed from
 * exact-size heap copies (tu_feed), so any read past a datagram is an ASan
 * error.
 * Times: the context's receive time is 1.7e12 ms; headers say unix_secs
 * 1700000000 unless a test is about time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "decode.h"
#include "pkw.h"
#include "tmpl.h"
#include "testutil.h"

#define SECS	1700000000u
#define EXPORT_MS	(SECS * 1000ULL)

struct hdr {
	uint16_t	count;
	uint32_t	uptime;
	uint32_t	secs;
	uint32_t	nsecs;
	uint8_t		etype;
	uint8_t		eid;
	uint16_t	sampling;
};

struct rec {
	uint32_t	src, dst;
	uint16_t	in_if, out_if;
	uint32_t	pkts, octets, first, last;
	uint16_t	sport, dport;
	uint8_t		flags, proto, tos;
	uint16_t	src_as, dst_as;
};

static void
nf5_hdr(struct pk *p, const struct hdr *h)
{
	pk_u16(p, 5);
	pk_u16(p, h->count);
	pk_u32(p, h->uptime);
	pk_u32(p, h->secs);
	pk_u32(p, h->nsecs);
	pk_u32(p, 42);			/* flow_sequence */
	pk_u8(p, h->etype);
	pk_u8(p, h->eid);
	pk_u16(p, h->sampling);
}

static void
nf5_rec(struct pk *p, const struct rec *r)
{
	size_t at = p->n;

	pk_u32(p, r->src);
	pk_u32(p, r->dst);
	pk_u32(p, 0x0a0000fe);		/* next hop */
	pk_u16(p, r->in_if);
	pk_u16(p, r->out_if);
	pk_u32(p, r->pkts);
	pk_u32(p, r->octets);
	pk_u32(p, r->first);
	pk_u32(p, r->last);
	pk_u16(p, r->sport);
	pk_u16(p, r->dport);
	pk_u8(p, 0xee);			/* pad1: ignored */
	pk_u8(p, r->flags);
	pk_u8(p, r->proto);
	pk_u8(p, r->tos);
	pk_u16(p, r->src_as);
	pk_u16(p, r->dst_as);
	pk_u8(p, 24);			/* masks */
	pk_u8(p, 16);
	pk_u16(p, 0);			/* pad2 */
	assert_int_equal(p->n - at, 48);
}

/* A typical record, numbered so records can be told apart. */
static struct rec
rec_n(uint32_t i)
{
	struct rec r = {
		.src = 0xcb007100 + i,	/* 203.0.113.i */
		.dst = 0xc6336401,	/* 198.51.100.1 */
		.in_if = 3, .out_if = 7,
		.pkts = 10 + i, .octets = 1500 + i,
		.first = 40000, .last = 99000,
		.sport = (uint16_t)(40000 + i), .dport = 443,
		.flags = 0x1b, .proto = 6, .tos = 0x28,
		.src_as = 64500, .dst_as = 64501,
	};

	return r;
}

static struct hdr
hdr_std(uint16_t count)
{
	struct hdr h = {
		.count = count, .uptime = 100000, .secs = SECS,
		.nsecs = 0, .etype = 1, .eid = 2, .sampling = 0,
	};

	return h;
}

#define NF5_HAVE (FL_SRC | FL_DST | FL_INIF | FL_OUTIF | FL_PACKETS |	\
	    FL_BYTES | FL_FIRST | FL_LAST | FL_SPORT | FL_DPORT |		\
	    FL_TCPFLAGS | FL_PROTO | FL_TOS | FL_SRCAS | FL_DSTAS |		\
	    FL_SAMPLING | FL_DOMAIN)

static void
test_nf5_one_record(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(1);
	struct rec r = rec_n(5);
	const struct flow_rec *f;

	(void)state;
	h.nsecs = 500000000;		/* export time 1700000000.5 s */
	nf5_hdr(p, &h);
	nf5_rec(p, &r);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 1);
	f = tu_flow(t, 0);
	assert_non_null(f);
	assert_int_equal(f->type, FLOW_NF5);
	assert_int_equal(f->kind, FLOW_KIND_FLOW);
	assert_int_equal(f->have, NF5_HAVE);
	assert_string_equal(tu_addr(&f->exporter), "192.0.2.1");
	assert_string_equal(tu_addr(&f->src), "203.0.113.5");
	assert_string_equal(tu_addr(&f->dst), "198.51.100.1");
	assert_int_equal(f->in_if, 3);
	assert_int_equal(f->out_if, 7);
	assert_int_equal(f->packets, 15);
	assert_int_equal(f->bytes, 1505);
	/* Export 1700000000500 ms at uptime 100000: first 60 s before. */
	assert_true(f->first == 1699999940500ULL);
	assert_true(f->last == 1699999999500ULL);
	assert_int_equal(f->sport, 40005);
	assert_int_equal(f->dport, 443);
	assert_int_equal(f->tcp_flags, 0x1b);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->tos, 0x28);
	assert_int_equal(f->src_as, 64500);
	assert_int_equal(f->dst_as, 64501);
	assert_int_equal(f->sampling, 1);
	assert_int_equal(f->domain, 0x0102);	/* engine type 1, id 2 */
	assert_int_equal(t->ctx.st.dgram_nf5, 1);
	assert_int_equal(t->ctx.st.records, 1);
	assert_int_equal(t->ctx.st.nf5_bad_count, 0);
	assert_int_equal(t->ctx.st.nf5_trailing, 0);
	/* v5 keeps no template state. */
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	tu_free(t);
	free(p);
}

/* 30 records, the most a Cisco v5 datagram carries, in order. */
static void
test_nf5_thirty(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(30);
	struct rec r;
	uint32_t i;

	(void)state;
	nf5_hdr(p, &h);
	for (i = 0; i < 30; i++) {
		r = rec_n(i);
		nf5_rec(p, &r);
	}
	assert_int_equal(p->n, 24 + 30 * 48);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->ctx.st.records, 30);
	for (i = 0; i < 30; i++) {
		assert_int_equal(tu_flow(t, i)->sport, 40000 + i);
		assert_int_equal(tu_flow(t, i)->packets, 10 + i);
	}
	tu_free(t);
	free(p);
}

/* HOSTILE V5-5: sampling mode (2 bits) and interval (14 bits). */
static void
test_nf5_sampling(void **state)
{
	static const struct {
		uint16_t	field;
		uint32_t	rate;
	} cases[] = {
		{ 0x0000, 1 },		/* unsampled */
		{ 0x4064, 100 },	/* mode 1 (deterministic), 1 in 100 */
		{ 0x8200, 512 },	/* mode 2 (random), 1 in 512 */
		{ 0x0001, 1 },
		{ 0x3fff, 16383 },	/* largest interval */
		{ 0xffff, 16383 },	/* mode bits do not leak into the rate */
		{ 0xc000, 1 },		/* mode bits, interval 0: no div by 0 */
		{ 0x4000, 1 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(1);
	struct rec r = rec_n(1);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p->n = 0;
		h.sampling = cases[i].field;
		nf5_hdr(p, &h);
		nf5_rec(p, &r);
		assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
		assert_int_equal(t->n, i + 1);
		assert_int_equal(t->recs[i].sampling, cases[i].rate);
		assert_true(t->recs[i].have & FL_SAMPLING);
		/* Counts are as exported, never scaled by the rate. */
		assert_int_equal(t->recs[i].packets, 11);
		assert_int_equal(t->recs[i].bytes, 1501);
	}
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V5-6: dPkts 0 with dOctets > 0, and dOctets 0xFFFFFFFF at the
 * largest rate: exported values kept exactly, nothing multiplied or
 * divided (UBSan would catch an overflow or a division by zero).
 */
static void
test_nf5_extreme_counters(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(2);
	struct rec r = rec_n(1);

	(void)state;
	h.sampling = 0x7fff;
	nf5_hdr(p, &h);
	r.pkts = 0;
	r.octets = 1000;
	nf5_rec(p, &r);
	r.pkts = 0xffffffff;
	r.octets = 0xffffffff;
	nf5_rec(p, &r);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 2);
	assert_int_equal(t->recs[0].packets, 0);
	assert_int_equal(t->recs[0].bytes, 1000);
	assert_true(t->recs[1].packets == 0xffffffffULL);
	assert_true(t->recs[1].bytes == 0xffffffffULL);
	assert_int_equal(t->recs[0].sampling, 16383);
	assert_int_equal(t->recs[1].sampling, 16383);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V5-7: record times are sysUptime-relative and taken with
 * modular 32-bit arithmetic, so a sysUptime that wrapped (49.7 days)
 * between a flow's start and the export still gives the right time.
 */
static void
test_nf5_uptime_wrap(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(3);
	struct rec r = rec_n(1);

	(void)state;
	h.uptime = 5000;		/* wrapped 5 s ago */
	nf5_hdr(p, &h);
	r.first = 0xfffff000;		/* 4096 ms before the wrap */
	r.last = 4000;			/* after it: first > last on the wire */
	nf5_rec(p, &r);
	/* Uptime at its largest, no wrap. */
	r.first = 0;
	r.last = 5000;			/* exactly the export time */
	nf5_rec(p, &r);
	/* A first 1 ms after the header's uptime reads as 2^32 - 1 ms ago. */
	r.first = 5001;
	r.last = 5000;
	nf5_rec(p, &r);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 3);
	assert_true(t->recs[0].first == EXPORT_MS - 9096);
	assert_true(t->recs[0].last == EXPORT_MS - 1000);
	assert_true(t->recs[1].first == EXPORT_MS - 5000);
	assert_true(t->recs[1].last == EXPORT_MS);
	assert_true(t->recs[2].first == EXPORT_MS - 0xffffffffULL);
	assert_true(t->recs[2].last == EXPORT_MS);

	/* Uptime 0xFFFFFFFF, the last millisecond before a wrap. */
	p->n = 0;
	h.count = 1;
	h.uptime = 0xffffffff;
	nf5_hdr(p, &h);
	r.first = 0xfffffc17;		/* 1000 ms earlier */
	r.last = 0xffffffff;
	nf5_rec(p, &r);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_true(t->recs[3].first == EXPORT_MS - 1000);
	assert_true(t->recs[3].last == EXPORT_MS);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V5-7: unix_secs far in the past (0: an exporter whose clock was
 * never set) must not wrap a 64-bit time to ~2^64; a time that cannot be
 * placed is left out.  unix_secs far in the future is taken as said.
 */
static void
test_nf5_unix_secs_extremes(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(1);
	struct rec r = rec_n(1);

	(void)state;
	h.secs = 0;
	h.nsecs = 0;
	h.uptime = 100000;
	nf5_hdr(p, &h);
	nf5_rec(p, &r);		/* first 40000, last 99000: before 1970 */
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 1);
	assert_false(t->recs[0].have & FL_FIRST);
	assert_false(t->recs[0].have & FL_LAST);
	assert_true(t->recs[0].first == 0);
	assert_true(t->recs[0].last == 0);
	/* The rest of the record is still there. */
	assert_int_equal(t->recs[0].have,
	    NF5_HAVE & ~(uint32_t)(FL_FIRST | FL_LAST));
	assert_int_equal(t->recs[0].packets, 11);

	/* Uptime so small that only last fits after 1970. */
	p->n = 0;
	h.secs = 60;			/* 60000 ms after the epoch */
	nf5_hdr(p, &h);
	nf5_rec(p, &r);		/* first 60000 ms, last 1000 ms before */
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_false(t->recs[1].have & FL_FIRST);
	assert_true(t->recs[1].have & FL_LAST);
	assert_true(t->recs[1].last == 59000);

	/* unix_secs 0xFFFFFFFF, nsecs past a second: no overflow. */
	p->n = 0;
	h.secs = 0xffffffff;
	h.nsecs = 0xffffffff;
	nf5_hdr(p, &h);
	nf5_rec(p, &r);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_true(t->recs[2].last ==
	    0xffffffffULL * 1000 + 4294 - 1000);
	assert_true(t->recs[2].first ==
	    0xffffffffULL * 1000 + 4294 - 60000);
	tu_free(t);
	free(p);
}

/* HOSTILE V5-1: anything shorter than the 24-byte header is dropped. */
static void
test_nf5_short_header(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(0);
	size_t len;

	(void)state;
	nf5_hdr(p, &h);
	for (len = 4; len < 24; len++)
		assert_int_equal(tu_feed(t, p->b, len), DEC_SHORT);
	assert_int_equal(t->ctx.st.err_short, 20);
	assert_int_equal(t->ctx.st.dgram_nf5, 0);
	assert_int_equal(t->n, 0);
	/* Exactly the header, count 0: an empty datagram (V5-2). */
	assert_int_equal(tu_feed(t, p->b, 24), DEC_OK);
	assert_int_equal(t->ctx.st.dgram_nf5, 1);
	assert_int_equal(t->ctx.st.err_short, 20);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V5-2: count 0 is an empty datagram; with records behind it the
 * records are not decoded (count says none) and the bytes are trailing.
 */
static void
test_nf5_count_zero(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(0);
	struct rec r = rec_n(1);

	(void)state;
	nf5_hdr(p, &h);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->ctx.st.dgram_nf5, 1);
	assert_int_equal(t->ctx.st.records, 0);
	assert_int_equal(t->ctx.st.nf5_bad_count, 0);
	assert_int_equal(t->ctx.st.nf5_trailing, 0);

	nf5_rec(p, &r);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.dgram_nf5, 2);
	assert_int_equal(t->ctx.st.records, 0);
	assert_int_equal(t->ctx.st.nf5_trailing, 1);
	assert_int_equal(t->ctx.st.nf5_bad_count, 0);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V5-3: count larger than the records present (2 said, 1 there;
 * 0xFFFF said) decodes only complete records and counts the lie.
 */
static void
test_nf5_count_too_big(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(2);
	struct rec r = rec_n(1);

	(void)state;
	nf5_hdr(p, &h);
	nf5_rec(p, &r);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.records, 1);
	assert_int_equal(t->ctx.st.nf5_bad_count, 1);
	assert_int_equal(t->ctx.st.nf5_trailing, 0);

	/* 0xFFFF with one record and half of a second. */
	p->n = 0;
	h.count = 0xffff;
	nf5_hdr(p, &h);
	nf5_rec(p, &r);
	nf5_rec(p, &r);
	p->n -= 24;
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.records, 2);
	assert_int_equal(t->ctx.st.nf5_bad_count, 2);
	assert_int_equal(t->ctx.st.nf5_trailing, 1);	/* the half record */
	assert_int_equal(t->ctx.st.dgram_nf5, 2);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V5-3: a maximum-size datagram (65507 bytes) of records behind a
 * count of 0xFFFF: every complete record (1364) and nothing more.
 */
static void
test_nf5_count_max_datagram(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(0xffff);
	struct rec r = rec_n(9);

	(void)state;
	nf5_hdr(p, &h);
	while (p->n + 48 <= 65507)
		nf5_rec(p, &r);
	while (p->n < 65507)
		pk_u8(p, 0);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.records, (65507 - 24) / 48);
	assert_int_equal(t->ctx.st.nf5_bad_count, 1);
	assert_int_equal(t->ctx.st.nf5_trailing, 1);
	assert_int_equal(tu_flow(t, 1363)->sport, 40009);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V5-4: count smaller than the records present: only count
 * records are decoded and the rest is counted as trailing.  Short tails
 * (padding) are counted the same way.
 */
static void
test_nf5_trailing(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(1);
	struct rec r = rec_n(1);
	struct rec r2 = rec_n(2);

	(void)state;
	nf5_hdr(p, &h);
	nf5_rec(p, &r);
	nf5_rec(p, &r2);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.records, 1);
	assert_int_equal(tu_flow(t, 0)->sport, 40001);
	assert_int_equal(t->ctx.st.nf5_trailing, 1);
	assert_int_equal(t->ctx.st.nf5_bad_count, 0);

	/* Three bytes of padding after a complete datagram. */
	p->n = 0;
	nf5_hdr(p, &h);
	nf5_rec(p, &r);
	pk_u8(p, 0);
	pk_u8(p, 0);
	pk_u8(p, 0);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.records, 2);
	assert_int_equal(t->ctx.st.nf5_trailing, 2);
	assert_int_equal(t->ctx.st.dgram_nf5, 2);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V5-4: several v5 PDUs packed in one datagram are each decoded
 * with their own header (uptime, engine, sampling).
 */
static void
test_nf5_packed_pdus(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(2);
	struct rec r;

	(void)state;
	nf5_hdr(p, &h);
	r = rec_n(1);
	nf5_rec(p, &r);
	r = rec_n(2);
	nf5_rec(p, &r);
	h.count = 1;
	h.uptime = 200000;
	h.eid = 9;
	h.sampling = 0x4010;		/* 1 in 16 */
	nf5_hdr(p, &h);
	r = rec_n(3);
	nf5_rec(p, &r);
	h.count = 0;			/* an empty third PDU */
	nf5_hdr(p, &h);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->ctx.st.dgram_nf5, 3);
	assert_int_equal(t->ctx.st.records, 3);
	assert_int_equal(t->ctx.st.nf5_trailing, 0);
	assert_int_equal(tu_flow(t, 0)->domain, 0x0102);
	assert_int_equal(tu_flow(t, 1)->domain, 0x0102);
	assert_int_equal(tu_flow(t, 2)->domain, 0x0109);
	assert_int_equal(tu_flow(t, 0)->sampling, 1);
	assert_int_equal(tu_flow(t, 2)->sampling, 16);
	assert_true(tu_flow(t, 0)->first == EXPORT_MS - 60000);
	assert_true(tu_flow(t, 2)->first == EXPORT_MS - 160000);
	assert_int_equal(tu_flow(t, 2)->sport, 40003);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V5-3/V5-4: a second PDU whose count is too big decodes what it
 * has; a tail that starts like a v5 header but is shorter than one is
 * trailing, not a PDU.
 */
static void
test_nf5_packed_bad(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(1);
	struct rec r = rec_n(1);

	(void)state;
	nf5_hdr(p, &h);
	nf5_rec(p, &r);
	h.count = 3;
	nf5_hdr(p, &h);
	nf5_rec(p, &r);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.dgram_nf5, 2);
	assert_int_equal(t->ctx.st.records, 2);
	assert_int_equal(t->ctx.st.nf5_bad_count, 1);
	assert_int_equal(t->ctx.st.nf5_trailing, 0);

	p->n = 0;
	h.count = 1;
	nf5_hdr(p, &h);
	nf5_rec(p, &r);
	nf5_hdr(p, &h);
	p->n -= 1;			/* 23 bytes of a header */
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.dgram_nf5, 3);
	assert_int_equal(t->ctx.st.records, 3);
	assert_int_equal(t->ctx.st.nf5_trailing, 1);

	/* 24 trailing bytes that are not a v5 header (version 9). */
	p->n = 0;
	nf5_hdr(p, &h);
	nf5_rec(p, &r);
	nf5_hdr(p, &h);
	p->b[p->n - 23] = 9;
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.dgram_nf5, 4);
	assert_int_equal(t->ctx.st.records, 4);
	assert_int_equal(t->ctx.st.nf5_trailing, 2);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V5-8: engine_type/engine_id churn from one address creates no
 * state in the decoder: each record just names its engine as its domain.
 */
static void
test_nf5_engine_churn(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct hdr h = hdr_std(1);
	struct rec r = rec_n(1);
	uint32_t i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		p->n = 0;
		h.etype = (uint8_t)(i >> 8);
		h.eid = (uint8_t)i;
		nf5_hdr(p, &h);
		nf5_rec(p, &r);
		assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
		assert_int_equal(t->recs[i].domain, i);
	}
	assert_int_equal(t->ctx.st.records, 1000);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	assert_null(tmpl_domain(t->ctx.tc, &(struct tmpl_key){
	    .exp = t->in.exporter, .version = 5, .domain = 0x0102 }, 0,
	    t->in.now_ms));
	tu_free(t);
	free(p);
}

/* The record budget does not apply to v5 (at most 1364 records fit). */
static void
test_nf5_budget_unused(void **state)
{
	struct dec_limits lim;
	struct pk *p = pk_new();
	struct tu *t;
	struct hdr h = hdr_std(30);
	struct rec r = rec_n(1);
	int i;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.record_budget = 5;
	t = tu_new_lim(&lim);
	nf5_hdr(p, &h);
	for (i = 0; i < 30; i++)
		nf5_rec(p, &r);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->ctx.st.records, 30);
	assert_int_equal(t->ctx.st.err_record_budget, 0);
	tu_free(t);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nf5_one_record),
		cmocka_unit_test(test_nf5_thirty),
		cmocka_unit_test(test_nf5_sampling),
		cmocka_unit_test(test_nf5_extreme_counters),
		cmocka_unit_test(test_nf5_uptime_wrap),
		cmocka_unit_test(test_nf5_unix_secs_extremes),
		cmocka_unit_test(test_nf5_short_header),
		cmocka_unit_test(test_nf5_count_zero),
		cmocka_unit_test(test_nf5_count_too_big),
		cmocka_unit_test(test_nf5_count_max_datagram),
		cmocka_unit_test(test_nf5_trailing),
		cmocka_unit_test(test_nf5_packed_pdus),
		cmocka_unit_test(test_nf5_packed_bad),
		cmocka_unit_test(test_nf5_engine_churn),
		cmocka_unit_test(test_nf5_budget_unused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
