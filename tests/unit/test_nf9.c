/*
 * test_nf9.c - NetFlow v9 (collector/nf9.c, tmplrec.c, the cache in tmpl.c).
 *
 * Messages are built with the shared writer (pkw.h; pk_set_begin() and
 * set_end() below patch the FlowSet length) and fed from exact-size heap
 * copies (tu_feed), so a read past the datagram is an ASan error.  Headers say sysUptime 100000
 * and unix_secs 1700000000 unless a test is about time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "decode.h"
#include "pkw.h"
#include "tmpl.h"
#include "testutil.h"

#define SECS		1700000000u
#define EXPORT_MS	(SECS * 1000ULL)
#define UPTIME		100000u

static void
v9_hdr_full(struct pk *p, uint16_t count, uint32_t uptime, uint32_t secs,
    uint32_t srcid)
{
	p->n = 0;
	pk_u16(p, 9);
	pk_u16(p, count);
	pk_u32(p, uptime);
	pk_u32(p, secs);
	pk_u32(p, 1234);		/* sequence */
	pk_u32(p, srcid);
}

static void
v9_hdr(struct pk *p, uint32_t srcid)
{
	v9_hdr_full(p, 1, UPTIME, SECS, srcid);
}

/* Close a FlowSet with pad zero bytes of padding. */
static void
set_end_pad(struct pk *p, size_t at, size_t pad)
{
	pk_fill(p, pad, 0);
	pk_set_end(p, at);
}

/* Close a FlowSet, padding it to 4 bytes. */
static void
set_end(struct pk *p, size_t at)
{
	set_end_pad(p, at, (4 - (p->n - at) % 4) % 4);
}

/* One template record: id, count, (type, length) pairs. */
static void
tmpl_rec(struct pk *p, uint16_t id, const uint16_t *tl, size_t n)
{
	size_t i;

	pk_u16(p, id);
	pk_u16(p, (uint32_t)n);
	for (i = 0; i < 2 * n; i++)
		pk_u16(p, tl[i]);
}

/* A template FlowSet holding one template. */
static void
tmpl_set(struct pk *p, uint16_t id, const uint16_t *tl, size_t n)
{
	size_t s = pk_set_begin(p, 0);

	tmpl_rec(p, id, tl, n);
	set_end(p, s);
}

/* An options template FlowSet holding one options template. */
static void
opt_set(struct pk *p, uint16_t id, const uint16_t *scope, size_t nscope,
    const uint16_t *opt, size_t nopt)
{
	size_t s = pk_set_begin(p, 1), i;

	pk_u16(p, id);
	pk_u16(p, (uint32_t)(nscope * 4));
	pk_u16(p, (uint32_t)(nopt * 4));
	for (i = 0; i < 2 * nscope; i++)
		pk_u16(p, scope[i]);
	for (i = 0; i < 2 * nopt; i++)
		pk_u16(p, opt[i]);
	set_end(p, s);
}

static enum dec_status
feed(struct tu *t, const struct pk *p)
{
	return tu_feed(t, p->b, p->n);
}

/* The usual IPv4 template: 15 fields, 39 bytes a record. */
static const uint16_t std_tl[] = {
	8, 4,	12, 4,	7, 2,	11, 2,	4, 1,	6, 1,	5, 1,	1, 4,
	2, 4,	10, 2,	14, 2,	22, 4,	21, 4,	16, 2,	17, 2,
};
#define STD_N	(sizeof(std_tl) / sizeof(std_tl[0]) / 2)
#define STD_LEN	39

#define STD_HAVE (FL_SRC | FL_DST | FL_SPORT | FL_DPORT | FL_PROTO |	\
	    FL_TCPFLAGS | FL_TOS | FL_BYTES | FL_PACKETS | FL_INIF |	\
	    FL_OUTIF | FL_FIRST | FL_LAST | FL_SRCAS | FL_DSTAS | FL_DOMAIN)

static void
std_rec(struct pk *p, uint32_t i)
{
	pk_u32(p, 0xcb007100 + i);	/* 203.0.113.i */
	pk_addr(p, "198.51.100.1");
	pk_u16(p, 40000 + i);
	pk_u16(p, 443);
	pk_u8(p, 6);
	pk_u8(p, 0x18);
	pk_u8(p, 0x28);
	pk_u32(p, 1000 + i);
	pk_u32(p, 10 + i);
	pk_u16(p, 3);
	pk_u16(p, 7);
	pk_u32(p, 40000);		/* 60 s before export */
	pk_u32(p, 99000);		/* 1 s before export */
	pk_u16(p, 64500);
	pk_u16(p, 64501);
}

/* A data set of the std records first..first+n-1. */
static void
std_set(struct pk *p, uint16_t id, uint32_t first, uint32_t n)
{
	size_t s = pk_set_begin(p, id);
	uint32_t i;

	for (i = 0; i < n; i++)
		std_rec(p, first + i);
	set_end(p, s);
}

static void
check_std(const struct flow_rec *f, uint32_t i, uint32_t domain)
{
	char want[32];

	assert_non_null(f);
	assert_int_equal(f->type, FLOW_NF9);
	assert_int_equal(f->kind, FLOW_KIND_FLOW);
	snprintf(want, sizeof(want), "203.0.113.%u", i);
	assert_string_equal(tu_addr(&f->src), want);
	assert_string_equal(tu_addr(&f->dst), "198.51.100.1");
	assert_int_equal(f->sport, 40000 + i);
	assert_int_equal(f->dport, 443);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->tcp_flags, 0x18);
	assert_int_equal(f->tos, 0x28);
	assert_int_equal(f->bytes, 1000 + i);
	assert_int_equal(f->packets, 10 + i);
	assert_int_equal(f->in_if, 3);
	assert_int_equal(f->out_if, 7);
	assert_true(f->first == EXPORT_MS - 60000);
	assert_true(f->last == EXPORT_MS - 1000);
	assert_int_equal(f->src_as, 64500);
	assert_int_equal(f->dst_as, 64501);
	assert_int_equal(f->domain, domain);
	assert_string_equal(tu_addr(&f->exporter), "192.0.2.1");
}

static void
test_nf9_template_then_data(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, std_tl, STD_N);
	std_set(p, 256, 1, 2);		/* 4 + 78 bytes, 2 of padding */
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 2);
	check_std(tu_flow(t, 0), 1, 7);
	check_std(tu_flow(t, 1), 2, 7);
	assert_int_equal(tu_flow(t, 0)->have, STD_HAVE);
	assert_int_equal(t->ctx.st.dgram_nf9, 1);
	assert_int_equal(t->ctx.st.records, 2);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	assert_int_equal(t->ctx.st.set_padding, 1);
	assert_int_equal(t->ctx.st.tmpl_deferred, 0);
	assert_int_equal(t->ctx.st.tmpl_missing, 0);
	assert_int_equal(t->ctx.st.err_set, 0);
	assert_int_equal(t->ctx.st.err_record, 0);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);

	/* The template is kept: data alone in the next datagram. */
	v9_hdr(p, 7);
	std_set(p, 256, 5, 1);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 3);
	check_std(tu_flow(t, 2), 5, 7);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	tu_free(t);
	free(p);
}

/* HOSTILE V9-10: data before its template in the same datagram. */
static void
test_nf9_data_before_template(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();

	(void)state;
	v9_hdr(p, 7);
	std_set(p, 256, 1, 1);
	std_set(p, 257, 2, 1);
	tmpl_set(p, 256, std_tl, STD_N);
	tmpl_set(p, 257, std_tl, STD_N);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 2);
	check_std(tu_flow(t, 0), 1, 7);
	check_std(tu_flow(t, 1), 2, 7);
	assert_int_equal(t->ctx.st.tmpl_deferred, 2);
	assert_int_equal(t->ctx.st.tmpl_missing, 0);
	assert_int_equal(t->ctx.st.tmpl_added, 2);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-10: data with no template anywhere is counted and skipped;
 * the sets around it are still decoded.
 */
static void
test_nf9_no_template(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();

	(void)state;
	v9_hdr(p, 7);
	std_set(p, 300, 1, 3);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->n, 0);
	assert_int_equal(t->ctx.st.tmpl_missing, 1);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);

	v9_hdr(p, 7);
	tmpl_set(p, 256, std_tl, STD_N);
	std_set(p, 256, 1, 1);
	std_set(p, 300, 2, 1);
	std_set(p, 256, 3, 1);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->n, 2);
	check_std(tu_flow(t, 0), 1, 7);
	check_std(tu_flow(t, 1), 3, 7);
	assert_int_equal(t->ctx.st.tmpl_missing, 2);
	assert_int_equal(t->ctx.st.tmpl_deferred, 0);

	/* The template of another domain does not serve. */
	v9_hdr(p, 8);
	std_set(p, 256, 1, 1);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->n, 2);
	assert_int_equal(t->ctx.st.tmpl_missing, 3);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-10, R-4: the sets waiting for a later template are bounded
 * (32); beyond that they are counted missing at once, never stored.
 */
static void
test_nf9_pending_bound(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	uint32_t i;

	(void)state;
	v9_hdr(p, 7);
	for (i = 0; i < 40; i++)
		std_set(p, 256, i, 1);
	tmpl_set(p, 256, std_tl, STD_N);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_deferred, 32);
	assert_int_equal(t->ctx.st.tmpl_missing, 8);
	assert_int_equal(t->n, 32);
	for (i = 0; i < 32; i++)
		check_std(tu_flow(t, i), i, 7);

	/* 1000 sets for templates that never come: all counted. */
	v9_hdr(p, 7);
	for (i = 0; i < 1000; i++) {
		size_t s = pk_set_begin(p, (uint16_t)(1000 + i));

		pk_u32(p, i);
		set_end(p, s);
	}
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.tmpl_missing, 8 + 1000);
	assert_int_equal(t->n, 32);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	tu_free(t);
	free(p);
}

/* Options template 257: scope System, sampler id, mode, interval. */
static const uint16_t samp_scope[] = { 1, 4 };
static const uint16_t samp_opt[] = { 48, 1, 49, 1, 50, 4 };

static void
sampler_rec(struct pk *p, uint16_t id, uint8_t sampler, uint32_t interval)
{
	size_t s = pk_set_begin(p, id);

	pk_u32(p, 0);			/* scope: system */
	pk_u8(p, sampler);
	pk_u8(p, 2);			/* random */
	pk_u32(p, interval);
	set_end(p, s);
}

/* The std template plus FLOW_SAMPLER_ID (1 byte): 40 bytes. */
static const uint16_t sid_tl[] = {
	8, 4,	12, 4,	7, 2,	11, 2,	4, 1,	6, 1,	5, 1,	1, 4,
	2, 4,	10, 2,	14, 2,	22, 4,	21, 4,	16, 2,	17, 2,	48, 1,
};

static void
sid_set(struct pk *p, uint32_t i, uint8_t sampler)
{
	size_t s = pk_set_begin(p, 258);

	std_rec(p, i);
	pk_u8(p, sampler);
	set_end(p, s);
}

/*
 * Options template + options data naming a sampler: its interval applies
 * to later records that name it, and to records that name none while it
 * is the only sampler announced.
 */
static void
test_nf9_options_sampler(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *o;

	(void)state;
	v9_hdr(p, 7);
	opt_set(p, 257, samp_scope, 1, samp_opt, 3);
	tmpl_set(p, 256, std_tl, STD_N);
	tmpl_set(p, 258, sid_tl, sizeof(sid_tl) / sizeof(sid_tl[0]) / 2);
	sampler_rec(p, 257, 3, 512);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 1);
	o = &t->recs[0];
	assert_int_equal(o->kind, FLOW_KIND_OPTIONS);
	assert_int_equal(o->type, FLOW_NF9);
	assert_int_equal(o->have, FL_SAMPLING | FL_SAMPLERID | FL_DOMAIN);
	assert_int_equal(o->sampling, 512);
	assert_int_equal(o->sampler_id, 3);
	assert_int_equal(o->domain, 7);
	assert_int_equal(t->ctx.st.options_records, 1);
	assert_int_equal(t->ctx.st.records, 0);
	assert_int_equal(t->ctx.st.sampler_updates, 1);
	assert_int_equal(t->ctx.st.tmpl_added, 3);
	/* 4 + 10 bytes and 2 of padding */
	assert_int_equal(t->ctx.st.set_padding, 1);

	v9_hdr(p, 7);
	sid_set(p, 1, 3);		/* names sampler 3 */
	sid_set(p, 2, 4);		/* names an unknown sampler */
	std_set(p, 256, 3, 1);		/* names none: the only one applies */
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_count(t, FLOW_KIND_FLOW), 3);
	check_std(tu_flow(t, 0), 1, 7);
	assert_int_equal(tu_flow(t, 0)->have,
	    STD_HAVE | FL_SAMPLERID | FL_SAMPLING);
	assert_int_equal(tu_flow(t, 0)->sampling, 512);
	assert_int_equal(tu_flow(t, 0)->sampler_id, 3);
	assert_int_equal(tu_flow(t, 1)->have, STD_HAVE | FL_SAMPLERID);
	assert_int_equal(tu_flow(t, 1)->sampling, 0);
	assert_int_equal(tu_flow(t, 1)->sampler_id, 4);
	assert_int_equal(tu_flow(t, 2)->have, STD_HAVE | FL_SAMPLING);
	assert_int_equal(tu_flow(t, 2)->sampling, 512);

	/* Another domain of the same exporter has no sampler. */
	v9_hdr(p, 8);
	tmpl_set(p, 256, std_tl, STD_N);
	std_set(p, 256, 4, 1);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_flow(t, 3)->have, STD_HAVE);
	assert_int_equal(tu_flow(t, 3)->domain, 8);

	/* A second sampler: now a record naming none is not guessed. */
	v9_hdr(p, 7);
	sampler_rec(p, 257, 4, 1000);
	sid_set(p, 5, 4);
	sid_set(p, 6, 3);
	std_set(p, 256, 7, 1);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.sampler_updates, 2);
	assert_int_equal(tu_flow(t, 4)->sampling, 1000);
	assert_int_equal(tu_flow(t, 5)->sampling, 512);
	assert_int_equal(tu_flow(t, 6)->have, STD_HAVE);
	/* A sampler re-announced with a new interval: updated in place. */
	v9_hdr(p, 7);
	sampler_rec(p, 257, 3, 64);
	sid_set(p, 8, 3);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_flow(t, 7)->sampling, 64);
	/* Interval 0 announces nothing. */
	v9_hdr(p, 7);
	sampler_rec(p, 257, 3, 0);
	sid_set(p, 9, 3);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.sampler_updates, 3);
	assert_int_equal(tu_flow(t, 8)->sampling, 64);
	tu_free(t);
	free(p);
}

/*
 * Options data with SAMPLING_INTERVAL (34) and no sampler id set the
 * domain's default interval; a record's own interval field wins.
 */
static void
test_nf9_options_default_interval(void **state)
{
	static const uint16_t scope[] = { 1, 4 };
	static const uint16_t opt[] = { 34, 4, 35, 1 };
	static const uint16_t own_tl[] = { 8, 4, 1, 4, 34, 2 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	v9_hdr(p, 7);
	opt_set(p, 259, scope, 1, opt, 2);
	tmpl_set(p, 256, std_tl, STD_N);
	tmpl_set(p, 258, sid_tl, sizeof(sid_tl) / sizeof(sid_tl[0]) / 2);
	tmpl_set(p, 260, own_tl, 3);
	s = pk_set_begin(p, 259);
	pk_u32(p, 0);
	pk_u32(p, 100);
	pk_u8(p, 2);
	set_end(p, s);
	std_set(p, 256, 1, 1);
	sid_set(p, 2, 9);		/* unknown sampler: the default */
	s = pk_set_begin(p, 260);
	pk_addr(p, "10.1.1.1");
	pk_u32(p, 77);
	pk_u16(p, 10);			/* its own 1 in 10 */
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.options_records, 1);
	assert_int_equal(t->ctx.st.sampler_updates, 1);
	assert_int_equal(t->recs[0].kind, FLOW_KIND_OPTIONS);
	assert_int_equal(t->recs[0].sampling, 100);
	assert_int_equal(t->recs[0].have, FL_SAMPLING | FL_DOMAIN);
	assert_int_equal(tu_flow(t, 0)->sampling, 100);
	assert_int_equal(tu_flow(t, 1)->sampling, 100);
	assert_int_equal(tu_flow(t, 1)->sampler_id, 9);
	assert_int_equal(tu_flow(t, 2)->sampling, 10);
	assert_int_equal(tu_flow(t, 2)->bytes, 77);
	assert_int_equal(tu_flow(t, 2)->have,
	    FL_SRC | FL_BYTES | FL_SAMPLING | FL_DOMAIN);
	tu_free(t);
	free(p);
}

/*
 * 0-length and odd-length fields (HOSTILE V9-7): integers of 1..8 bytes
 * are taken at any width (reduced size), an address of the wrong width
 * and a counter wider than 8 bytes are stepped over, never copied.
 */
static void
test_nf9_field_lengths(void **state)
{
	static const uint16_t tl[] = {
		80, 0,		/* 0 bytes: nothing to read */
		8, 50,		/* IPV4_SRC_ADDR of 50 bytes: skipped */
		12, 4,
		7, 3,		/* port of 3 bytes */
		11, 1,		/* port of 1 byte */
		4, 0,		/* protocol of 0 bytes: not taken */
		1, 3,		/* IN_BYTES of 3 bytes */
		2, 5,		/* IN_PKTS of 5 bytes */
		10, 9,		/* INPUT_SNMP of 9 bytes: skipped */
		14, 1,
		27, 4,		/* IPV6_SRC_ADDR of 4 bytes: skipped */
		16, 7,
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *f;
	size_t s, i;

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, tl, sizeof(tl) / sizeof(tl[0]) / 2);
	s = pk_set_begin(p, 256);
	for (i = 0; i < 50; i++)
		pk_u8(p, 0xaa);
	pk_addr(p, "198.51.100.9");
	pk_u8(p, 0);
	pk_u16(p, 0x0050);		/* 80 */
	pk_u8(p, 53);
	pk_u8(p, 0x01);
	pk_u16(p, 0x0203);		/* 0x010203 bytes */
	pk_u8(p, 0x01);
	pk_u32(p, 0x00000002);		/* 0x0100000002 packets */
	for (i = 0; i < 9; i++)
		pk_u8(p, 0xff);
	pk_u8(p, 250);
	pk_u32(p, 0x0a000001);
	pk_u8(p, 0);
	pk_u16(p, 0);
	pk_u32(p, 65551);		/* 7-byte AS */
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	assert_int_equal(t->n, 1);
	f = tu_flow(t, 0);
	assert_int_equal(f->have, FL_DST | FL_SPORT | FL_DPORT | FL_BYTES |
	    FL_PACKETS | FL_OUTIF | FL_SRCAS | FL_DOMAIN);
	assert_string_equal(tu_addr(&f->dst), "198.51.100.9");
	assert_int_equal(f->src.af, 0);
	assert_int_equal(f->sport, 80);
	assert_int_equal(f->dport, 53);
	assert_int_equal(f->bytes, 0x010203);
	assert_true(f->packets == 0x0100000002ULL);
	assert_int_equal(f->out_if, 250);
	assert_int_equal(f->src_as, 65551);
	assert_int_equal(f->proto, 0);
	tu_free(t);
	free(p);
}

/*
 * Padding (HOSTILE V9-15): bytes after the last whole record of a data set
 * are padding, zero or not, and counted; zero fill after the last set is
 * padding too.
 */
static void
test_nf9_padding(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, std_tl, STD_N);
	s = pk_set_begin(p, 256);
	std_rec(p, 1);
	set_end_pad(p, s, 1);		/* 4 + 39 + 1 */
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.set_padding, 1);
	assert_int_equal(t->n, 1);

	/* Non-zero padding: tolerated and counted (v9 only recommends 0). */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 256);
	std_rec(p, 2);
	pk_u8(p, 0xde);
	set_end_pad(p, s, 0);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.set_padding, 2);
	assert_int_equal(t->n, 2);
	check_std(tu_flow(t, 1), 2, 7);

	/* 38 bytes of padding, one short of a record. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 256);
	std_rec(p, 3);
	set_end_pad(p, s, STD_LEN - 1);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.set_padding, 3);
	assert_int_equal(t->n, 3);

	/* A set exactly one record long: no padding. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 256);
	std_rec(p, 4);
	set_end_pad(p, s, 0);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.set_padding, 3);
	assert_int_equal(t->n, 4);

	/* Zero fill after the last set (8 bytes): padding, not an error. */
	v9_hdr(p, 7);
	std_set(p, 256, 5, 1);
	pk_u32(p, 0);
	pk_u32(p, 0);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.set_padding, 5);	/* set + tail */
	assert_int_equal(t->ctx.st.err_set, 0);
	assert_int_equal(t->n, 5);

	/* 1..3 trailing bytes, too short for a set header. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 256);
	std_rec(p, 6);
	set_end_pad(p, s, 1);
	pk_u8(p, 0);
	pk_u8(p, 0);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.set_padding, 6);	/* zero tail: quiet */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 256);
	std_rec(p, 7);
	set_end_pad(p, s, 1);
	pk_u8(p, 0x55);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.set_padding, 8);	/* non-zero tail */
	assert_int_equal(t->n, 7);
	assert_int_equal(t->ctx.st.err_set, 0);
	tu_free(t);
	free(p);
}

/* The same template again is a refresh; a new definition replaces it. */
static void
test_nf9_template_refresh_replace(void **state)
{
	static const uint16_t tl2[] = { 12, 4, 8, 4, 1, 8 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *f;
	size_t s;

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, std_tl, STD_N);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(feed(t, p), DEC_OK);
	t->in.mono_ms += 1000;
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	assert_int_equal(t->ctx.st.tmpl_refreshed, 2);
	assert_int_equal(t->ctx.st.tmpl_replaced, 0);

	v9_hdr(p, 7);
	tmpl_set(p, 256, tl2, 3);
	s = pk_set_begin(p, 256);
	pk_addr(p, "198.51.100.2");	/* now dst first */
	pk_addr(p, "203.0.113.2");
	pk_u64(p, 123456789012ULL);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_replaced, 1);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	f = tu_flow(t, 0);
	assert_non_null(f);
	assert_string_equal(tu_addr(&f->src), "203.0.113.2");
	assert_string_equal(tu_addr(&f->dst), "198.51.100.2");
	assert_true(f->bytes == 123456789012ULL);
	assert_int_equal(f->have, FL_SRC | FL_DST | FL_BYTES | FL_DOMAIN);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-11: one namespace per (exporter, domain, id): an id reused
 * for an options template replaces the data template and back.
 */
static void
test_nf9_id_reused_as_options(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, std_tl, STD_N);
	std_set(p, 256, 1, 1);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_count(t, FLOW_KIND_FLOW), 1);

	v9_hdr(p, 7);
	opt_set(p, 256, samp_scope, 1, samp_opt, 3);
	sampler_rec(p, 256, 1, 32);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_replaced, 1);
	assert_int_equal(tu_count(t, FLOW_KIND_OPTIONS), 1);
	assert_int_equal(t->recs[1].kind, FLOW_KIND_OPTIONS);
	assert_int_equal(t->recs[1].sampling, 32);

	v9_hdr(p, 7);
	tmpl_set(p, 256, std_tl, STD_N);
	std_set(p, 256, 2, 1);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_replaced, 2);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	check_std(tu_flow(t, 1), 2, 7);
	assert_int_equal(tu_flow(t, 1)->sampling, 32);	/* sampler kept */
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-12: a template redefined between two data sets of one
 * datagram: each set runs the definition current when it is read (ASan
 * would flag a use of the freed one); a set waiting for a template gets
 * the last definition.
 */
static void
test_nf9_replace_mid_datagram(void **state)
{
	static const uint16_t tl2[] = { 12, 4 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, std_tl, STD_N);
	std_set(p, 256, 1, 1);
	tmpl_set(p, 256, tl2, 1);
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.9.9.9");
	set_end(p, s);
	tmpl_set(p, 256, std_tl, STD_N);
	std_set(p, 256, 2, 1);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 3);
	check_std(tu_flow(t, 0), 1, 7);
	assert_int_equal(tu_flow(t, 1)->have, FL_DST | FL_DOMAIN);
	assert_string_equal(tu_addr(&tu_flow(t, 1)->dst), "10.9.9.9");
	check_std(tu_flow(t, 2), 2, 7);
	assert_int_equal(t->ctx.st.tmpl_replaced, 2);

	/* Pending data, then two definitions: the last one is used. */
	v9_hdr(p, 8);
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.8.8.8");
	set_end(p, s);
	tmpl_set(p, 256, std_tl, STD_N);
	tmpl_set(p, 256, tl2, 1);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 4);
	assert_string_equal(tu_addr(&tu_flow(t, 3)->dst), "10.8.8.8");
	assert_int_equal(tu_flow(t, 3)->domain, 8);
	assert_int_equal(t->ctx.st.tmpl_deferred, 1);
	tu_free(t);
	free(p);
}

/*
 * Templates are per (exporter, source id): the same id means different
 * things in each.  The exporter's port is part of the key only when
 * configured.
 */
static void
test_nf9_domains(void **state)
{
	/* Both 39 bytes long, like std_tl. */
	static const uint16_t tl_src[] = { 8, 4, 80, 35 };
	static const uint16_t tl_dst[] = { 12, 4, 80, 35 };
	struct dec_limits lim;
	struct pk *p = pk_new();
	struct tu *t = tu_new();

	(void)state;
	v9_hdr(p, 1);
	tmpl_set(p, 256, std_tl, STD_N);
	assert_int_equal(feed(t, p), DEC_OK);
	v9_hdr(p, 2);
	tmpl_set(p, 256, tl_src, 2);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(flow_addr_parse(&t->in.exporter, "192.0.2.2"), 0);
	v9_hdr(p, 1);
	tmpl_set(p, 256, tl_dst, 2);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_added, 3);
	assert_int_equal(t->ctx.st.tmpl_replaced, 0);
	assert_int_equal(tmpl_count(t->ctx.tc), 3);

	/* Same bytes, three meanings. */
	assert_int_equal(flow_addr_parse(&t->in.exporter, "192.0.2.1"), 0);
	v9_hdr(p, 1);
	std_set(p, 256, 1, 1);
	assert_int_equal(feed(t, p), DEC_OK);
	p->b[19] = 2;			/* source id 2 */
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(flow_addr_parse(&t->in.exporter, "192.0.2.2"), 0);
	p->b[19] = 1;
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 3);
	check_std(tu_flow(t, 0), 1, 1);
	assert_int_equal(tu_flow(t, 1)->have, FL_SRC | FL_DOMAIN);
	assert_string_equal(tu_addr(&tu_flow(t, 1)->src), "203.0.113.1");
	assert_int_equal(tu_flow(t, 1)->domain, 2);
	assert_int_equal(tu_flow(t, 2)->have, FL_DST | FL_DOMAIN);
	assert_string_equal(tu_addr(&tu_flow(t, 2)->dst), "203.0.113.1");
	assert_string_equal(tu_addr(&tu_flow(t, 2)->exporter), "192.0.2.2");
	/* An unknown source id. */
	p->b[19] = 3;
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.tmpl_missing, 1);
	/* The port is not part of the key by default. */
	t->in.port = 9999;
	p->b[19] = 1;
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 4);
	tu_free(t);

	/* With key_port, it is. */
	memset(&lim, 0, sizeof(lim));
	lim.key_port = 1;
	t = tu_new_lim(&lim);
	v9_hdr(p, 1);
	tmpl_set(p, 256, tl_src, 2);
	std_set(p, 256, 1, 1);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 1);
	v9_hdr(p, 1);
	std_set(p, 256, 2, 1);
	t->in.port = 4445;
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.tmpl_missing, 1);
	t->in.port = 4444;
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 2);
	tu_free(t);
	free(p);
}

/* HOSTILE V9-1: a header shorter than 20 bytes is dropped. */
static void
test_nf9_short_header(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t len;

	(void)state;
	v9_hdr(p, 7);
	for (len = 4; len < 20; len++)
		assert_int_equal(tu_feed(t, p->b, len), DEC_SHORT);
	assert_int_equal(t->ctx.st.err_short, 16);
	assert_int_equal(t->ctx.st.dgram_nf9, 0);
	/* The bare header: a message with no sets. */
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.dgram_nf9, 1);
	assert_int_equal(t->n, 0);
	tu_free(t);
	free(p);
}

/* HOSTILE V9-1: Count is advisory; the datagram is parsed to its end. */
static void
test_nf9_count_advisory(void **state)
{
	static const uint16_t counts[] = { 0, 1, 3, 100, 0xffff };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		v9_hdr_full(p, counts[i], UPTIME, SECS, 7);
		tmpl_set(p, 256, std_tl, STD_N);
		std_set(p, 256, 1, 2);
		assert_int_equal(feed(t, p), DEC_OK);
		assert_int_equal(t->ctx.st.records, 2 * (i + 1));
	}
	assert_int_equal(t->ctx.st.err_header, 0);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-2: a FlowSet length of 0 stops the datagram (it would never
 * advance); sets before it count, data waiting for a template that came
 * before it is still decoded.
 */
static void
test_nf9_set_len_zero(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();

	(void)state;
	v9_hdr(p, 7);
	std_set(p, 256, 1, 1);		/* waits for the template */
	tmpl_set(p, 256, std_tl, STD_N);
	std_set(p, 256, 2, 1);
	pk_u16(p, 256);			/* data set, length 0 */
	pk_u16(p, 0);
	std_rec(p, 3);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.err_set, 1);
	assert_int_equal(t->n, 2);
	check_std(tu_flow(t, 0), 2, 7);
	check_std(tu_flow(t, 1), 1, 7);
	assert_int_equal(t->ctx.st.tmpl_deferred, 1);
	assert_int_equal(t->ctx.st.set_padding, 2);	/* the two data sets */

	/* Length 0 on a template set, followed by non-zero bytes. */
	v9_hdr(p, 7);
	pk_u16(p, 0);
	pk_u16(p, 0);
	pk_u32(p, 0x01000004);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.err_set, 2);
	assert_int_equal(t->ctx.st.set_padding, 2);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-3: FlowSet lengths 1..3 and beyond the datagram stop it
 * without underflow; a length that is not a multiple of 4 is taken as
 * given (the next set starts where it says).
 */
static void
test_nf9_set_len_bad(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	uint16_t len;
	size_t s;

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, std_tl, STD_N);
	assert_int_equal(feed(t, p), DEC_OK);
	for (len = 1; len <= 3; len++) {
		v9_hdr(p, 7);
		pk_u16(p, 256);
		pk_u16(p, len);
		std_rec(p, 1);
		assert_int_equal(feed(t, p), DEC_PARTIAL);
		assert_int_equal(t->ctx.st.err_set, len);
	}
	/* One byte more than the datagram holds. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 256);
	std_rec(p, 1);
	set_end_pad(p, s, 0);
	p->b[s + 3]++;
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	/* 0xFFFF. */
	p->b[s + 2] = 0xff;
	p->b[s + 3] = 0xff;
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.err_set, 5);
	assert_int_equal(t->n, 0);

	/* Odd length 43 (no padding), then another set right after it. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 256);
	std_rec(p, 1);
	set_end_pad(p, s, 0);
	std_set(p, 256, 2, 1);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 2);
	check_std(tu_flow(t, 0), 1, 7);
	check_std(tu_flow(t, 1), 2, 7);
	assert_int_equal(t->ctx.st.err_set, 5);
	tu_free(t);
	free(p);
}

/* HOSTILE V9-4: reserved FlowSet ids 2..255 are skipped by length. */
static void
test_nf9_reserved_sets(void **state)
{
	static const uint16_t ids[] = { 2, 3, 4, 100, 255 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t i, s;

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, std_tl, STD_N);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		s = pk_set_begin(p, ids[i]);
		tmpl_rec(p, 300, std_tl, STD_N);	/* not a template here */
		set_end(p, s);
	}
	std_set(p, 256, 1, 1);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.err_set, 5);
	assert_int_equal(t->n, 1);
	check_std(tu_flow(t, 0), 1, 7);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-5: a template with no fields, or whose fields are all 0 bytes
 * (records of size 0), is rejected; data for it is never looped over.
 */
static void
test_nf9_tmpl_empty(void **state)
{
	static const uint16_t zeros[] = { 8, 0, 12, 0, 1, 0 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	v9_hdr(p, 7);
	s = pk_set_begin(p, 0);
	pk_u16(p, 256);
	pk_u16(p, 0);			/* field count 0 */
	tmpl_rec(p, 257, std_tl, STD_N);	/* not trusted after it */
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 1);
	assert_int_equal(t->ctx.st.tmpl_added, 0);

	v9_hdr(p, 7);
	s = pk_set_begin(p, 0);
	tmpl_rec(p, 256, zeros, 3);
	tmpl_rec(p, 257, std_tl, STD_N);	/* a good one after it */
	set_end(p, s);
	s = pk_set_begin(p, 256);
	pk_u32(p, 0);
	pk_u32(p, 0);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.tmpl_rejected, 2);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	assert_int_equal(t->ctx.st.tmpl_missing, 1);
	assert_int_equal(t->n, 0);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-6: a field count beyond the set, beyond TMPL_MAX_FIELDS, or
 * a template cut mid-field is rejected; 128 fields are fine.
 */
static void
test_nf9_tmpl_field_count(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;
	int i;

	(void)state;
	v9_hdr(p, 7);
	s = pk_set_begin(p, 0);
	pk_u16(p, 256);
	pk_u16(p, 0xffff);
	pk_u32(p, 0x00080004);
	pk_u32(p, 0x000c0004);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 1);

	/* 129 fields, all present. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 0);
	pk_u16(p, 256);
	pk_u16(p, 129);
	for (i = 0; i < 129; i++)
		pk_u32(p, 0x00500001);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 2);

	/* Cut mid-field: 3 fields declared, 2.5 present. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 0);
	pk_u16(p, 256);
	pk_u16(p, 3);
	pk_u32(p, 0x00080004);
	pk_u32(p, 0x000c0004);
	pk_u16(p, 1);
	set_end_pad(p, s, 0);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 3);
	assert_int_equal(t->ctx.st.tmpl_added, 0);

	/* 128 one-byte fields: the limit, accepted and usable. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 0);
	pk_u16(p, 256);
	pk_u16(p, 128);
	pk_u32(p, 0x00040001);		/* PROTOCOL */
	for (i = 1; i < 128; i++)
		pk_u32(p, 0x00500001);
	set_end(p, s);
	s = pk_set_begin(p, 256);
	pk_u8(p, 17);
	for (i = 1; i < 128; i++)
		pk_u8(p, (uint32_t)i);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	assert_int_equal(t->n, 1);
	assert_int_equal(tu_flow(t, 0)->proto, 17);
	assert_int_equal(tu_flow(t, 0)->have, FL_PROTO | FL_DOMAIN);
	tu_free(t);
	free(p);
}

/* HOSTILE V9-8: a record size beyond what a set can hold is rejected. */
static void
test_nf9_record_too_big(void **state)
{
	static const uint16_t huge[] = { 80, 30000, 81, 30000, 82, 30000 };
	static const uint16_t fe[] = { 80, 0xfffe, 81, 0xfffe };
	static const uint16_t max_ok[] = { 8, 4, 80, 65527 };
	static const uint16_t max_bad[] = { 8, 4, 80, 65528 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, huge, 3);
	tmpl_set(p, 257, fe, 2);
	tmpl_set(p, 258, max_bad, 2);
	tmpl_set(p, 259, max_ok, 2);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 3);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-9: options templates with a set too short for a record,
 * scope or option lengths not multiples of 4, scope + option beyond the
 * set, no fields, or an id below 256, are rejected.
 */
static void
test_nf9_options_bad(void **state)
{
	static const struct {
		uint16_t	id, slen, olen;
	} bad[] = {
		{ 257, 3, 8 },		/* scope not a multiple of 4 */
		{ 257, 4, 6 },		/* options not a multiple of 4 */
		{ 257, 4, 400 },	/* beyond the set */
		{ 257, 0xfffc, 0xfffc },	/* sum past 16 bits */
		{ 257, 0, 0 },		/* no fields */
		{ 100, 4, 4 },		/* id < 256 */
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t i, s;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v9_hdr(p, 7);
		s = pk_set_begin(p, 1);
		pk_u16(p, bad[i].id);
		pk_u16(p, bad[i].slen);
		pk_u16(p, bad[i].olen);
		pk_u32(p, 0x00010004);
		pk_u32(p, 0x00300001);
		set_end(p, s);
		assert_int_equal(feed(t, p), DEC_OK);
		assert_int_equal(t->ctx.st.tmpl_rejected, i + 1);
	}
	/* A set with less than one record (6 bytes): nothing stored. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 1);
	pk_u16(p, 257);
	pk_u16(p, 4);
	pk_u16(p, 4);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	/* Options set header alone (length 4). */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 1);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_added, 0);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	assert_int_equal(t->ctx.st.err_set, 0);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-13: string fields (IF_NAME, IF_DESC) without a NUL are
 * stepped over by their declared length; the options record is still
 * decoded and nothing reads past it.
 */
static void
test_nf9_string_no_nul(void **state)
{
	static const uint16_t scope[] = { 2, 4 };		/* interface */
	static const uint16_t opt[] = { 82, 16, 83, 32 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s, i;

	(void)state;
	v9_hdr(p, 7);
	opt_set(p, 300, scope, 1, opt, 2);
	s = pk_set_begin(p, 300);
	pk_u32(p, 5);
	for (i = 0; i < 48; i++)
		pk_u8(p, 'A');
	set_end_pad(p, s, 0);
	assert_int_equal(p->n - s, 56);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 1);
	assert_int_equal(t->recs[0].kind, FLOW_KIND_OPTIONS);
	assert_int_equal(t->recs[0].have, FL_DOMAIN);
	assert_int_equal(t->ctx.st.options_records, 1);
	assert_int_equal(t->ctx.st.set_padding, 0);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE V9-14: 1-byte records by the thousand stop at the per-datagram
 * record budget, counted once; later sets are not decoded.
 */
static void
test_nf9_record_budget(void **state)
{
	static const uint16_t tiny[] = { 4, 1 };
	struct dec_limits lim;
	struct pk *p = pk_new();
	struct tu *t;
	size_t s, i;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.record_budget = 100;
	t = tu_new_lim(&lim);
	v9_hdr(p, 7);
	tmpl_set(p, 256, tiny, 1);
	s = pk_set_begin(p, 256);
	for (i = 0; i < 1000; i++)
		pk_u8(p, 17);
	set_end(p, s);
	s = pk_set_begin(p, 256);
	pk_u32(p, 0x06060606);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.records, 100);
	assert_int_equal(t->ctx.st.err_record_budget, 1);
	assert_int_equal(tu_flow(t, 99)->proto, 17);
	/* The budget is per datagram: the next one starts afresh. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 256);
	pk_u32(p, 0x06060606);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.records, 104);
	assert_int_equal(t->ctx.st.err_record_budget, 1);
	/* Exactly the budget: no error. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 256);
	for (i = 0; i < 100; i++)
		pk_u8(p, 1);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.records, 204);
	assert_int_equal(t->ctx.st.err_record_budget, 1);
	tu_free(t);

	/* The default budget against a 60000-record datagram. */
	t = tu_new();
	v9_hdr(p, 7);
	tmpl_set(p, 256, tiny, 1);
	s = pk_set_begin(p, 256);
	for (i = 0; i < 60000; i++)
		pk_u8(p, 6);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.records, DEC_DEF_RECORD_BUDGET);
	assert_int_equal(t->ctx.st.err_record_budget, 1);
	tu_free(t);
	free(p);
}

/*
 * FIRST/LAST_SWITCHED are sysUptime-relative: modular 32-bit offsets
 * survive a wrap of sysUptime (HOSTILE V5-7 applies to v9 as well); a
 * time before 1970 (unix_secs never set) is left out, not wrapped.
 */
static void
test_nf9_times(void **state)
{
	static const uint16_t tl[] = { 8, 4, 22, 4, 21, 4 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	v9_hdr_full(p, 1, 1000, SECS, 7);
	tmpl_set(p, 256, tl, 3);
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.0.0.1");
	pk_u32(p, 0xfffffc18);		/* 1000 ms before the wrap */
	pk_u32(p, 500);
	pk_addr(p, "10.0.0.2");
	pk_u32(p, 1000);
	pk_u32(p, 1000);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_true(tu_flow(t, 0)->first == EXPORT_MS - 2000);
	assert_true(tu_flow(t, 0)->last == EXPORT_MS - 500);
	assert_true(tu_flow(t, 1)->first == EXPORT_MS);
	assert_true(tu_flow(t, 1)->last == EXPORT_MS);

	v9_hdr_full(p, 1, 100000, 10, 7);	/* export at 10 s after 1970 */
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.0.0.3");
	pk_u32(p, 50000);		/* 50 s before: before 1970 */
	pk_u32(p, 95000);		/* 5 s before */
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_flow(t, 2)->have, FL_SRC | FL_LAST | FL_DOMAIN);
	assert_true(tu_flow(t, 2)->last == 5000);
	tu_free(t);
	free(p);
}

static void
test_nf9_ipv6(void **state)
{
	static const uint16_t tl[] = {
		27, 16, 28, 16, 7, 2, 11, 2, 4, 1, 1, 8, 2, 8, 58, 2, 70, 3,
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *f;
	size_t s;

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, tl, 9);
	s = pk_set_begin(p, 256);
	pk_addr(p, "2001:db8::1");
	pk_addr(p, "2001:db8:100::25");
	pk_u16(p, 53124);
	pk_u16(p, 25);
	pk_u8(p, 6);
	pk_u64(p, 0x100000000ULL);
	pk_u64(p, 3);
	pk_u16(p, 100);
	pk_u8(p, 0x01);			/* label 0x1234, exp 0, bottom */
	pk_u8(p, 0x23);
	pk_u8(p, 0x41);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	f = tu_flow(t, 0);
	assert_non_null(f);
	assert_string_equal(tu_addr(&f->src), "2001:db8::1");
	assert_string_equal(tu_addr(&f->dst), "2001:db8:100::25");
	assert_int_equal(f->src.af, 6);
	assert_int_equal(f->sport, 53124);
	assert_int_equal(f->dport, 25);
	assert_int_equal(f->proto, 6);
	assert_true(f->bytes == 0x100000000ULL);
	assert_int_equal(f->packets, 3);
	assert_int_equal(f->vlan, 100);
	assert_int_equal(f->mpls, 0x1234);
	assert_int_equal(f->have, FL_SRC | FL_DST | FL_SPORT | FL_DPORT |
	    FL_PROTO | FL_BYTES | FL_PACKETS | FL_VLAN | FL_MPLS | FL_DOMAIN);
	tu_free(t);
	free(p);
}

/* H3C's variable-length fields (length 0xFFFF) in v9. */
static void
test_nf9_varlen(void **state)
{
	static const uint16_t tl[] = { 82, 0xffff, 8, 4, 83, 0xffff, 4, 1 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 256, tl, 4);
	s = pk_set_begin(p, 256);
	pk_u8(p, 3);
	pk_raw(p, "ge0", 3);
	pk_addr(p, "10.0.0.1");
	pk_u8(p, 0);			/* empty */
	pk_u8(p, 6);
	pk_u8(p, 255);			/* 3-byte length form */
	pk_u16(p, 2);
	pk_raw(p, "xy", 2);
	pk_addr(p, "10.0.0.2");
	pk_u8(p, 1);
	pk_u8(p, 'z');
	pk_u8(p, 17);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 2);
	assert_string_equal(tu_addr(&tu_flow(t, 0)->src), "10.0.0.1");
	assert_int_equal(tu_flow(t, 0)->proto, 6);
	assert_string_equal(tu_addr(&tu_flow(t, 1)->src), "10.0.0.2");
	assert_int_equal(tu_flow(t, 1)->proto, 17);
	assert_int_equal(t->ctx.st.err_record, 0);

	/* A length running past the set: counted, not read. */
	v9_hdr(p, 7);
	s = pk_set_begin(p, 256);
	pk_u8(p, 200);
	pk_raw(p, "abcdefgh", 8);
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.err_record, 1);
	assert_int_equal(t->n, 2);
	tu_free(t);
	free(p);
}

/*
 * Cisco ASA NSEL over v9: initiator/responder octets and packets, the
 * firewall event, a millisecond create time.
 */
static void
test_nf9_nsel(void **state)
{
	static const uint16_t tl[] = {
		148, 4, 8, 4, 7, 2, 12, 4, 11, 2, 4, 1, 233, 1,
		231, 4, 232, 4, 298, 4, 299, 4, 152, 8, 323, 8,
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *f;
	size_t s;

	(void)state;
	v9_hdr(p, 7);
	tmpl_set(p, 263, tl, 13);
	s = pk_set_begin(p, 263);
	pk_u32(p, 123456);		/* conn id */
	pk_addr(p, "203.0.113.10");
	pk_u16(p, 51000);
	pk_addr(p, "198.51.100.20");
	pk_u16(p, 443);
	pk_u8(p, 6);
	pk_u8(p, 2);			/* flow deleted */
	pk_u32(p, 5000);
	pk_u32(p, 70000);
	pk_u32(p, 20);
	pk_u32(p, 60);
	pk_u64(p, 1699999990123ULL);
	pk_u64(p, 1700000000000ULL);	/* event time: ignored with first */
	set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	f = tu_flow(t, 0);
	assert_non_null(f);
	assert_string_equal(tu_addr(&f->src), "203.0.113.10");
	assert_string_equal(tu_addr(&f->dst), "198.51.100.20");
	assert_int_equal(f->bytes, 5000);
	assert_int_equal(f->rev_bytes, 70000);
	assert_int_equal(f->packets, 20);
	assert_int_equal(f->rev_packets, 60);
	assert_int_equal(f->fw_event, 2);
	assert_true(f->first == 1699999990123ULL);
	assert_int_equal(f->have, FL_SRC | FL_DST | FL_SPORT | FL_DPORT |
	    FL_PROTO | FL_FWEVENT | FL_BYTES | FL_PACKETS | FL_REVBYTES |
	    FL_REVPACKETS | FL_FIRST | FL_DOMAIN);
	tu_free(t);
	free(p);
}

/*
 * A template not refreshed within the maximum age is expired on use.  Age
 * is on the steady clock (mono_ms): a step of the wall clock either way
 * does not expire it (HOSTILE D-5).
 */
static void
test_nf9_template_expiry(void **state)
{
	struct dec_limits lim;
	struct pk *p = pk_new();
	struct tu *t;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.tmpl_max_age = 60;
	t = tu_new_lim(&lim);
	v9_hdr(p, 7);
	tmpl_set(p, 256, std_tl, STD_N);
	assert_int_equal(feed(t, p), DEC_OK);
	v9_hdr(p, 7);
	std_set(p, 256, 1, 1);
	t->in.now_ms += 5 * 3600 * 1000;	/* NTP steps 5 h forward */
	assert_int_equal(feed(t, p), DEC_OK);
	t->in.now_ms -= 10 * 3600 * 1000;	/* and 10 h back */
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_expired, 0);
	assert_int_equal(t->n, 2);
	t->n = 0;
	t->in.mono_ms += 60000;		/* exactly the age: still good */
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 1);
	t->in.mono_ms += 1;
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->n, 1);
	assert_int_equal(t->ctx.st.tmpl_expired, 1);
	assert_int_equal(t->ctx.st.tmpl_missing, 1);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	tu_free(t);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nf9_template_then_data),
		cmocka_unit_test(test_nf9_data_before_template),
		cmocka_unit_test(test_nf9_no_template),
		cmocka_unit_test(test_nf9_pending_bound),
		cmocka_unit_test(test_nf9_options_sampler),
		cmocka_unit_test(test_nf9_options_default_interval),
		cmocka_unit_test(test_nf9_field_lengths),
		cmocka_unit_test(test_nf9_padding),
		cmocka_unit_test(test_nf9_template_refresh_replace),
		cmocka_unit_test(test_nf9_id_reused_as_options),
		cmocka_unit_test(test_nf9_replace_mid_datagram),
		cmocka_unit_test(test_nf9_domains),
		cmocka_unit_test(test_nf9_short_header),
		cmocka_unit_test(test_nf9_count_advisory),
		cmocka_unit_test(test_nf9_set_len_zero),
		cmocka_unit_test(test_nf9_set_len_bad),
		cmocka_unit_test(test_nf9_reserved_sets),
		cmocka_unit_test(test_nf9_tmpl_empty),
		cmocka_unit_test(test_nf9_tmpl_field_count),
		cmocka_unit_test(test_nf9_record_too_big),
		cmocka_unit_test(test_nf9_options_bad),
		cmocka_unit_test(test_nf9_string_no_nul),
		cmocka_unit_test(test_nf9_record_budget),
		cmocka_unit_test(test_nf9_times),
		cmocka_unit_test(test_nf9_ipv6),
		cmocka_unit_test(test_nf9_varlen),
		cmocka_unit_test(test_nf9_nsel),
		cmocka_unit_test(test_nf9_template_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
