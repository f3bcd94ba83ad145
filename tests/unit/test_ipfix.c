/*
 * test_ipfix.c - IPFIX (collector/ipfix.c, tmplrec.c, ie.c).
 *
 * Messages are built with the shared writer (pkw.h): ix_hdr() starts one,
 * pk_set_begin/pk_set_end patch set lengths and ix_end() patches the
 * message Length.  They are fed from exact-size heap copies (tu_feed), so
 * a read past the datagram is an ASan error.  Export time is 1700000000 s.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "decode.h"
#include "ie.h"
#include "pkw.h"
#include "tmpl.h"
#include "testutil.h"

#define SECS		1700000000u
#define EXPORT_MS	(SECS * 1000ULL)
#define NTP_SECS(unix)	((uint32_t)((unix) + 2208988800ULL))
#define VL		0xffff		/* variable length */

/* A field specifier; pen 0 for IANA elements. */
struct ixf {
	uint16_t	id;
	uint16_t	len;
	uint32_t	pen;
};

static void
ix_hdr_seq(struct pk *p, uint32_t odid, uint32_t seq)
{
	p->n = 0;
	pk_u16(p, 10);
	pk_u16(p, 0);			/* Length, patched by ix_end */
	pk_u32(p, SECS);
	pk_u32(p, seq);
	pk_u32(p, odid);
}

static void
ix_hdr(struct pk *p, uint32_t odid)
{
	ix_hdr_seq(p, odid, 1);
}

static void
ix_end(struct pk *p)
{
	pk_put16(p, 2, (uint32_t)p->n);
}

static void
ix_fields(struct pk *p, const struct ixf *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		pk_u16(p, f[i].id | (f[i].pen ? 0x8000 : 0));
		pk_u16(p, f[i].len);
		if (f[i].pen)
			pk_u32(p, f[i].pen);
	}
}

/* A template set with one template. */
static void
ix_tmpl(struct pk *p, uint16_t id, const struct ixf *f, size_t n)
{
	size_t s = pk_set_begin(p, 2);

	pk_u16(p, id);
	pk_u16(p, (uint32_t)n);
	ix_fields(p, f, n);
	pk_set_end(p, s);
}

/* An options template set with one options template. */
static void
ix_opt(struct pk *p, uint16_t id, uint16_t nscope, const struct ixf *f,
    size_t n)
{
	size_t s = pk_set_begin(p, 3);

	pk_u16(p, id);
	pk_u16(p, (uint32_t)n);
	pk_u16(p, nscope);
	ix_fields(p, f, n);
	pk_set_end(p, s);
}

/* A withdrawal record set (template set id 2 or options set id 3). */
static void
ix_withdraw(struct pk *p, uint16_t setid, uint16_t id)
{
	size_t s = pk_set_begin(p, setid);

	pk_u16(p, id);
	pk_u16(p, 0);
	pk_set_end(p, s);
}

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static enum dec_status
feed(struct tu *t, struct pk *p)
{
	ix_end(p);
	return tu_feed(t, p->b, p->n);
}

/* A small IPv4 template: src, dst, octetDeltaCount (8): 16 bytes. */
static const struct ixf small_f[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 1, 8, 0 } };

static void
small_set(struct pk *p, uint16_t id, const char *src, uint64_t bytes)
{
	size_t s = pk_set_begin(p, id);

	pk_addr(p, src);
	pk_addr(p, "198.51.100.1");
	pk_u64(p, bytes);
	pk_set_end(p, s);
}

static void
test_ipfix_ipv4(void **state)
{
	static const struct ixf f[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 },
		{ 4, 1, 0 }, { 6, 2, 0 }, { 5, 1, 0 }, { 1, 8, 0 },
		{ 2, 8, 0 }, { 10, 4, 0 }, { 14, 4, 0 }, { 16, 4, 0 },
		{ 17, 4, 0 }, { 152, 8, 0 }, { 153, 8, 0 }, { 58, 2, 0 },
		{ 61, 1, 0 }, { 32, 2, 0 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *r;
	size_t s;

	(void)state;
	ix_hdr(p, 42);
	ix_tmpl(p, 256, f, N(f));
	s = pk_set_begin(p, 256);
	pk_addr(p, "203.0.113.7");
	pk_addr(p, "198.51.100.1");
	pk_u16(p, 40001);
	pk_u16(p, 443);
	pk_u8(p, 6);
	pk_u16(p, 0x0012);		/* SYN ACK, 2-byte tcpControlBits */
	pk_u8(p, 0xb8);
	pk_u64(p, 123456789ULL);
	pk_u64(p, 4321);
	pk_u32(p, 100000);
	pk_u32(p, 7);
	pk_u32(p, 4200000000u);		/* 4-byte AS */
	pk_u32(p, 15169);
	pk_u64(p, 1699999940123ULL);
	pk_u64(p, 1699999999456ULL);
	pk_u16(p, 4094);
	pk_u8(p, 1);			/* egress */
	pk_u16(p, 0x0303);		/* port unreachable */
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 1);
	r = tu_flow(t, 0);
	assert_int_equal(r->type, FLOW_IPFIX);
	assert_int_equal(r->kind, FLOW_KIND_FLOW);
	assert_string_equal(tu_addr(&r->src), "203.0.113.7");
	assert_string_equal(tu_addr(&r->dst), "198.51.100.1");
	assert_string_equal(tu_addr(&r->exporter), "192.0.2.1");
	assert_int_equal(r->sport, 40001);
	assert_int_equal(r->dport, 443);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->tcp_flags, 0x12);
	assert_int_equal(r->tos, 0xb8);
	assert_int_equal(r->bytes, 123456789);
	assert_int_equal(r->packets, 4321);
	assert_int_equal(r->in_if, 100000);
	assert_int_equal(r->out_if, 7);
	assert_true(r->src_as == 4200000000u);
	assert_int_equal(r->dst_as, 15169);
	assert_true(r->first == 1699999940123ULL);
	assert_true(r->last == 1699999999456ULL);
	assert_int_equal(r->vlan, 4094);
	assert_int_equal(r->direction, 1);
	assert_int_equal(r->icmp, 0x0303);
	assert_int_equal(r->domain, 42);
	assert_int_equal(r->have, FL_SRC | FL_DST | FL_SPORT | FL_DPORT |
	    FL_PROTO | FL_TCPFLAGS | FL_TOS | FL_BYTES | FL_PACKETS |
	    FL_INIF | FL_OUTIF | FL_SRCAS | FL_DSTAS | FL_FIRST | FL_LAST |
	    FL_VLAN | FL_DIRECTION | FL_ICMP | FL_DOMAIN);
	assert_int_equal(t->ctx.st.dgram_ipfix, 1);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	assert_int_equal(t->ctx.st.records, 1);
	assert_int_equal(t->ctx.st.set_padding, 0);
	tu_free(t);
	free(p);
}

/* IPv6, dot1q VLAN, MPLS top label, ICMPv6, biflow direction. */
static void
test_ipfix_ipv6(void **state)
{
	static const struct ixf f[] = {
		{ 27, 16, 0 }, { 28, 16, 0 }, { 4, 1, 0 }, { 139, 2, 0 },
		{ 243, 2, 0 }, { 70, 3, 0 }, { 239, 1, 0 }, { 85, 8, 0 },
		{ 86, 4, 0 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *r;
	size_t s;

	(void)state;
	ix_hdr(p, 1);
	ix_tmpl(p, 300, f, N(f));
	s = pk_set_begin(p, 300);
	pk_addr(p, "2001:db8:100::5");
	pk_addr(p, "2001:db8::ff:1");
	pk_u8(p, 58);
	pk_u16(p, 0x8000);		/* echo request */
	pk_u16(p, 210);
	pk_u8(p, 0xfe);			/* label 0xfedcb, exp 2, bottom */
	pk_u8(p, 0xdc);
	pk_u8(p, 0xb5);
	pk_u8(p, 1);			/* initiator */
	pk_u64(p, 900);			/* octetTotalCount */
	pk_u32(p, 9);			/* packetTotalCount, reduced to 4 */
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	r = tu_flow(t, 0);
	assert_non_null(r);
	assert_int_equal(r->src.af, 6);
	assert_string_equal(tu_addr(&r->src), "2001:db8:100::5");
	assert_string_equal(tu_addr(&r->dst), "2001:db8::ff:1");
	assert_int_equal(r->proto, 58);
	assert_int_equal(r->icmp, 0x8000);
	assert_int_equal(r->vlan, 210);
	assert_int_equal(r->mpls, 0xfedcb);
	assert_int_equal(r->biflow_dir, FLOW_BIFLOW_INITIATOR);
	assert_int_equal(r->bytes, 900);
	assert_int_equal(r->packets, 9);
	assert_int_equal(r->have, FL_SRC | FL_DST | FL_PROTO | FL_ICMP |
	    FL_VLAN | FL_MPLS | FL_BIFLOWDIR | FL_BYTES | FL_PACKETS |
	    FL_DOMAIN);
	tu_free(t);
	free(p);
}

/*
 * Templates with both IPv4 and IPv6 address fields: the all-zero one is a
 * placeholder and the real one wins, whichever comes first.
 */
static void
test_ipfix_v4_v6_placeholders(void **state)
{
	static const struct ixf f[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 27, 16, 0 }, { 28, 16, 0 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	ix_hdr(p, 1);
	ix_tmpl(p, 256, f, N(f));
	s = pk_set_begin(p, 256);
	pk_addr(p, "0.0.0.0");
	pk_addr(p, "0.0.0.0");
	pk_addr(p, "2001:db8::1");
	pk_addr(p, "2001:db8::2");
	pk_addr(p, "10.0.0.1");
	pk_addr(p, "10.0.0.2");
	pk_addr(p, "::");
	pk_addr(p, "::");
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 2);
	assert_string_equal(tu_addr(&tu_flow(t, 0)->src), "2001:db8::1");
	assert_string_equal(tu_addr(&tu_flow(t, 0)->dst), "2001:db8::2");
	assert_string_equal(tu_addr(&tu_flow(t, 1)->src), "10.0.0.1");
	assert_string_equal(tu_addr(&tu_flow(t, 1)->dst), "10.0.0.2");
	tu_free(t);
	free(p);
}

/*
 * Options templates: a PSAMP selector (interval + space) and a sampler
 * (id + interval) announced by options data apply to later records.
 */
static void
test_ipfix_options_sampling(void **state)
{
	static const struct ixf sel_opt[] = {
		{ 302, 8, 0 }, { 305, 4, 0 }, { 306, 4, 0 },
	};
	static const struct ixf data_f[] = {
		{ 8, 4, 0 }, { 302, 8, 0 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *o;
	size_t s;

	(void)state;
	ix_hdr(p, 5);
	ix_opt(p, 257, 1, sel_opt, N(sel_opt));
	ix_tmpl(p, 256, data_f, N(data_f));
	s = pk_set_begin(p, 257);
	pk_u64(p, 9);			/* selector 9: 1 of every 100 */
	pk_u32(p, 1);
	pk_u32(p, 99);
	pk_u64(p, 10);			/* selector 10: 2 of every 10 */
	pk_u32(p, 2);
	pk_u32(p, 8);
	pk_set_end(p, s);
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.0.0.1");
	pk_u64(p, 9);
	pk_addr(p, "10.0.0.2");
	pk_u64(p, 10);
	pk_addr(p, "10.0.0.3");
	pk_u64(p, 11);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_added, 2);
	assert_int_equal(t->ctx.st.options_records, 2);
	assert_int_equal(t->ctx.st.sampler_updates, 2);
	o = &t->recs[0];
	assert_int_equal(o->kind, FLOW_KIND_OPTIONS);
	assert_int_equal(o->type, FLOW_IPFIX);
	assert_int_equal(o->sampler_id, 9);
	assert_int_equal(o->sampling, 100);
	assert_int_equal(o->have, FL_SAMPLERID | FL_SAMPLING | FL_DOMAIN);
	assert_int_equal(t->recs[1].sampling, 5);
	assert_int_equal(tu_flow(t, 0)->sampling, 100);
	assert_int_equal(tu_flow(t, 0)->sampler_id, 9);
	assert_int_equal(tu_flow(t, 1)->sampling, 5);
	assert_int_equal(tu_flow(t, 2)->have, FL_SRC | FL_SAMPLERID |
	    FL_DOMAIN);
	tu_free(t);
	free(p);
}

/* samplerId + samplerRandomInterval (48, 50), and samplingInterval (34). */
static void
test_ipfix_options_sampler_id(void **state)
{
	static const struct ixf smp_opt[] = {
		{ 48, 2, 0 }, { 50, 4, 0 },
	};
	static const struct ixf data_f[] = {
		{ 8, 4, 0 }, { 48, 2, 0 },
	};
	static const struct ixf own_f[] = {
		{ 8, 4, 0 }, { 34, 4, 0 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	ix_hdr(p, 5);
	ix_opt(p, 257, 1, smp_opt, N(smp_opt));
	s = pk_set_begin(p, 257);
	pk_u16(p, 3);
	pk_u32(p, 2000);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->recs[0].sampling, 2000);
	assert_int_equal(t->recs[0].sampler_id, 3);

	/* A later message: records naming sampler 3, and their own rate. */
	ix_hdr(p, 5);
	ix_tmpl(p, 256, data_f, N(data_f));
	ix_tmpl(p, 258, own_f, N(own_f));
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.0.0.1");
	pk_u16(p, 3);
	pk_set_end(p, s);
	s = pk_set_begin(p, 258);
	pk_addr(p, "10.0.0.2");
	pk_u32(p, 64);
	pk_addr(p, "10.0.0.3");
	pk_u32(p, 0);			/* 0: not a rate; the domain's */
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_flow(t, 0)->sampling, 2000);
	assert_int_equal(tu_flow(t, 1)->sampling, 64);
	assert_int_equal(tu_flow(t, 2)->sampling, 2000);
	/* Another observation domain knows no sampler. */
	p->b[15] = 6;
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_flow(t, 3)->have, FL_SRC | FL_SAMPLERID |
	    FL_DOMAIN);
	assert_int_equal(tu_flow(t, 3)->domain, 6);
	assert_int_equal(tu_flow(t, 4)->sampling, 64);
	assert_int_equal(tu_flow(t, 5)->have, FL_SRC | FL_DOMAIN);
	tu_free(t);
	free(p);
}

/*
 * Variable-length fields (HOSTILE IX-6): the 1-byte length, the 3-byte
 * form (also for short values, which is legal), length 0; the fields
 * after them still land right.
 */
static void
test_ipfix_varlen(void **state)
{
	static const struct ixf f[] = {
		{ 8, 4, 0 }, { 82, VL, 0 }, { 7, 2, 0 }, { 83, VL, 0 },
		{ 11, 2, 0 },
	};
	uint8_t big[300];
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	memset(big, 'x', sizeof(big));
	ix_hdr(p, 1);
	ix_tmpl(p, 256, f, N(f));
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.0.0.1");		/* 1-byte lengths */
	pk_u8(p, 4);
	pk_raw(p, "eth0", 4);
	pk_u16(p, 1001);
	pk_u8(p, 0);			/* empty */
	pk_u16(p, 80);
	pk_addr(p, "10.0.0.2");		/* 3-byte form, short value */
	pk_u8(p, 255);
	pk_u16(p, 3);
	pk_raw(p, "ge1", 3);
	pk_u16(p, 1002);
	pk_u8(p, 255);			/* 3-byte form, length 0 */
	pk_u16(p, 0);
	pk_u16(p, 81);
	pk_addr(p, "10.0.0.3");		/* 3-byte form, 300 bytes */
	pk_u8(p, 255);
	pk_u16(p, 300);
	pk_raw(p, big, 300);
	pk_u16(p, 1003);
	pk_u8(p, 254);			/* largest 1-byte length */
	pk_raw(p, big, 254);
	pk_u16(p, 82);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 3);
	assert_string_equal(tu_addr(&tu_flow(t, 0)->src), "10.0.0.1");
	assert_int_equal(tu_flow(t, 0)->sport, 1001);
	assert_int_equal(tu_flow(t, 0)->dport, 80);
	assert_string_equal(tu_addr(&tu_flow(t, 1)->src), "10.0.0.2");
	assert_int_equal(tu_flow(t, 1)->sport, 1002);
	assert_int_equal(tu_flow(t, 1)->dport, 81);
	assert_string_equal(tu_addr(&tu_flow(t, 2)->src), "10.0.0.3");
	assert_int_equal(tu_flow(t, 2)->sport, 1003);
	assert_int_equal(tu_flow(t, 2)->dport, 82);
	assert_int_equal(t->ctx.st.err_record, 0);
	assert_int_equal(t->ctx.st.set_padding, 0);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE IX-6: a variable length running past the set (1-byte form,
 * 0xFFFF in the 3-byte form), or a 255 with its 16-bit length cut off,
 * ends the set, counted; the record before it is kept; nothing past the
 * set is read.
 */
static void
test_ipfix_varlen_hostile(void **state)
{
	static const struct ixf f[] = {
		{ 7, 2, 0 }, { 82, VL, 0 }, { 11, 2, 0 },
	};
	static const struct ixf last_f[] = {
		{ 7, 2, 0 }, { 11, 2, 0 }, { 82, VL, 0 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	ix_hdr(p, 1);
	ix_tmpl(p, 256, f, N(f));
	s = pk_set_begin(p, 256);
	pk_u16(p, 1);
	pk_u8(p, 1);
	pk_u8(p, 'a');
	pk_u16(p, 2);
	pk_u16(p, 3);			/* second record: 200 > what is left */
	pk_u8(p, 200);
	pk_raw(p, "abcdef", 6);
	pk_set_end(p, s);
	small_set(p, 257, "10.0.0.9", 1);	/* no template: counted */
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->n, 1);
	assert_int_equal(tu_flow(t, 0)->sport, 1);
	assert_int_equal(tu_flow(t, 0)->dport, 2);
	assert_int_equal(t->ctx.st.err_record, 1);
	assert_int_equal(t->ctx.st.tmpl_missing, 1);

	/* 255 + 0xFFFF. */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 256);
	pk_u16(p, 3);
	pk_u8(p, 255);
	pk_u16(p, 0xffff);
	pk_raw(p, "abcdefgh", 8);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.err_record, 2);

	/* 3-byte form whose length is just past the set. */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 256);
	pk_u16(p, 3);
	pk_u8(p, 255);
	pk_u16(p, 4);
	pk_raw(p, "abc", 3);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.err_record, 3);

	/*
	 * With the variable field last (minimum record 5 bytes): 255 as the
	 * set's last byte, and 255 with one byte of its 16-bit length.
	 */
	ix_hdr(p, 1);
	ix_tmpl(p, 258, last_f, N(last_f));
	s = pk_set_begin(p, 258);
	pk_u16(p, 1);
	pk_u16(p, 2);
	pk_u8(p, 255);
	pk_set_end(p, s);
	s = pk_set_begin(p, 258);
	pk_u16(p, 1);
	pk_u16(p, 2);
	pk_u8(p, 255);
	pk_u8(p, 0);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.err_record, 5);
	assert_int_equal(t->n, 1);
	assert_int_equal(t->ctx.st.set_padding, 0);
	tu_free(t);
	free(p);
}

/*
 * Enterprise elements: unknown ones are skipped by length (fixed and
 * variable); RFC 5103 reverse elements (PEN 29305) become rev_bytes and
 * rev_packets.
 */
static void
test_ipfix_enterprise(void **state)
{
	static const struct ixf f[] = {
		{ 8, 4, 0 },
		{ 1000, 4, 9 },			/* Cisco, unknown */
		{ 1, 8, 0 },
		{ 2, 4, 0 },
		{ 1, 8, IE_PEN_REVERSE },	/* reverseOctetDeltaCount */
		{ 2, 4, IE_PEN_REVERSE },	/* reversePacketDeltaCount */
		{ 12, 4, IE_PEN_REVERSE },	/* reverse dst: not ours */
		{ 7, VL, 6876 },		/* vmware, variable */
		{ 11, 2, 0 },
	};
	static const struct ixf ftot[] = {
		{ 85, 8, IE_PEN_REVERSE }, { 86, 8, IE_PEN_REVERSE },
		{ 8, 4, 0 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *r;
	size_t s;

	(void)state;
	ix_hdr(p, 1);
	ix_tmpl(p, 256, f, N(f));
	ix_tmpl(p, 257, ftot, N(ftot));
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.0.0.1");
	pk_u32(p, 0xdeadbeef);
	pk_u64(p, 1000);
	pk_u32(p, 10);
	pk_u64(p, 50000);
	pk_u32(p, 40);
	pk_addr(p, "10.9.9.9");
	pk_u8(p, 3);
	pk_raw(p, "vm1", 3);
	pk_u16(p, 8080);
	pk_set_end(p, s);
	s = pk_set_begin(p, 257);
	pk_u64(p, 7777);
	pk_u64(p, 77);
	pk_addr(p, "10.0.0.2");
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_added, 2);
	r = tu_flow(t, 0);
	assert_non_null(r);
	assert_string_equal(tu_addr(&r->src), "10.0.0.1");
	assert_int_equal(r->bytes, 1000);
	assert_int_equal(r->packets, 10);
	assert_int_equal(r->rev_bytes, 50000);
	assert_int_equal(r->rev_packets, 40);
	assert_int_equal(r->dport, 8080);
	assert_int_equal(r->have, FL_SRC | FL_BYTES | FL_PACKETS |
	    FL_REVBYTES | FL_REVPACKETS | FL_DPORT | FL_DOMAIN);
	r = tu_flow(t, 1);
	assert_int_equal(r->rev_bytes, 7777);
	assert_int_equal(r->rev_packets, 77);
	assert_int_equal(r->have, FL_SRC | FL_REVBYTES | FL_REVPACKETS |
	    FL_DOMAIN);
	tu_free(t);
	free(p);
}

/* HOSTILE IX-5: the enterprise bit set but the PEN cut short. */
static void
test_ipfix_pen_truncated(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	/* 2 of the PEN's 4 bytes. */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 2);
	pk_u16(p, 256);
	pk_u16(p, 1);
	pk_u16(p, 0x8000 | 100);
	pk_u16(p, 4);
	pk_u16(p, 0);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 1);
	/* None of it: the set ends after the field specifier. */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 2);
	pk_u16(p, 256);
	pk_u16(p, 2);
	pk_u16(p, 8);
	pk_u16(p, 4);
	pk_u16(p, 0x8000 | 100);
	pk_u16(p, 4);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 2);
	/* The same in an options template. */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 3);
	pk_u16(p, 257);
	pk_u16(p, 1);
	pk_u16(p, 1);
	pk_u16(p, 0x8000 | 100);
	pk_u16(p, 4);
	pk_u16(p, 0);
	pk_u8(p, 9);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 3);
	assert_int_equal(t->ctx.st.tmpl_added, 0);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE IX-4: withdrawal of one template, of all data or all options
 * templates of a domain, of an unknown id; withdrawal sets too short to
 * hold a record.
 */
static void
test_ipfix_withdrawal(void **state)
{
	static const struct ixf opt_f[] = { { 144, 4, 0 }, { 160, 8, 0 } };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	/* Domain 1: data 256, 257, 258, options 400; domain 2: data 256. */
	ix_hdr(p, 1);
	ix_tmpl(p, 256, small_f, N(small_f));
	ix_tmpl(p, 257, small_f, N(small_f));
	ix_tmpl(p, 258, small_f, N(small_f));
	ix_opt(p, 400, 1, opt_f, N(opt_f));
	assert_int_equal(feed(t, p), DEC_OK);
	ix_hdr(p, 2);
	ix_tmpl(p, 256, small_f, N(small_f));
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tmpl_count(t->ctx.tc), 5);

	/* One template; data for it afterwards is missing. */
	ix_hdr(p, 1);
	ix_withdraw(p, 2, 256);
	small_set(p, 256, "10.0.0.1", 1);
	small_set(p, 257, "10.0.0.2", 2);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.tmpl_withdrawn, 1);
	assert_int_equal(tmpl_count(t->ctx.tc), 4);
	assert_int_equal(t->ctx.st.tmpl_missing, 1);
	assert_int_equal(t->n, 1);
	assert_string_equal(tu_addr(&tu_flow(t, 0)->src), "10.0.0.2");

	/* An unknown id, and an id below 256: counted, nothing removed. */
	ix_hdr(p, 1);
	ix_withdraw(p, 2, 256);
	ix_withdraw(p, 2, 999);
	ix_withdraw(p, 2, 5);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_withdrawn, 1);
	assert_int_equal(t->ctx.st.tmpl_rejected, 3);
	assert_int_equal(tmpl_count(t->ctx.tc), 4);

	/* Withdrawal sets holding less than a record (0 and 2 bytes). */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 2);
	pk_set_end(p, s);
	s = pk_set_begin(p, 2);
	pk_u16(p, 257);
	pk_set_end(p, s);
	s = pk_set_begin(p, 3);
	pk_u16(p, 400);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tmpl_count(t->ctx.tc), 4);
	assert_int_equal(t->ctx.st.err_set, 0);
	/* A withdrawal set whose length is below its own header. */
	ix_hdr(p, 1);
	pk_u16(p, 2);
	pk_u16(p, 3);
	pk_u16(p, 257);
	pk_u16(p, 0);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.err_set, 1);
	assert_int_equal(tmpl_count(t->ctx.tc), 4);

	/* All data templates of domain 1: options and domain 2 stay. */
	ix_hdr(p, 1);
	ix_withdraw(p, 2, 2);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_withdrawn, 3);
	assert_int_equal(tmpl_count(t->ctx.tc), 2);
	ix_hdr(p, 2);
	small_set(p, 256, "10.0.0.3", 3);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 2);

	/* All options templates of domain 1. */
	ix_hdr(p, 1);
	ix_withdraw(p, 3, 3);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_withdrawn, 4);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	/* Withdraw-all again, and of an exporter with nothing: no-ops. */
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(flow_addr_parse(&t->in.exporter, "192.0.2.99"), 0);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_withdrawn, 4);

	/* The exporter's last template, by withdraw-all. */
	assert_int_equal(flow_addr_parse(&t->in.exporter, "192.0.2.1"), 0);
	ix_hdr(p, 2);
	ix_withdraw(p, 2, 2);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_withdrawn, 5);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	/* And it can define templates again. */
	ix_hdr(p, 2);
	ix_tmpl(p, 256, small_f, N(small_f));
	small_set(p, 256, "10.0.0.4", 4);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 3);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	tu_free(t);
	free(p);
}

/* Withdraw-all where the domain's templates are interleaved in the LRU. */
static void
test_ipfix_withdraw_all_interleaved(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	uint16_t id;

	(void)state;
	for (id = 256; id < 266; id++) {
		ix_hdr(p, id % 2 ? 1 : 2);
		ix_tmpl(p, id, small_f, N(small_f));
		assert_int_equal(feed(t, p), DEC_OK);
	}
	ix_hdr(p, 1);
	ix_withdraw(p, 2, 2);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_withdrawn, 5);
	assert_int_equal(tmpl_count(t->ctx.tc), 5);
	ix_hdr(p, 2);
	ix_withdraw(p, 2, 2);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_withdrawn, 10);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	tu_free(t);
	free(p);
}

/* Every timestamp form becomes UTC milliseconds. */
static void
test_ipfix_times(void **state)
{
	static const struct ixf f_s[] = { { 150, 4, 0 }, { 151, 4, 0 } };
	static const struct ixf f_ms[] = { { 152, 8, 0 }, { 153, 8, 0 } };
	static const struct ixf f_us[] = { { 154, 8, 0 }, { 155, 8, 0 } };
	static const struct ixf f_ns[] = { { 156, 8, 0 }, { 157, 8, 0 } };
	static const struct ixf f_d[] = { { 158, 4, 0 }, { 159, 4, 0 } };
	static const struct ixf f_obs[] = { { 323, 8, 0 } };
	static const struct ixf f_obs_s[] = { { 322, 4, 0 } };
	static const struct ixf f_both[] = { { 150, 4, 0 }, { 152, 8, 0 } };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;
	int i;

	(void)state;
	ix_hdr(p, 1);
	ix_tmpl(p, 256, f_s, N(f_s));
	ix_tmpl(p, 257, f_ms, N(f_ms));
	ix_tmpl(p, 258, f_us, N(f_us));
	ix_tmpl(p, 259, f_ns, N(f_ns));
	ix_tmpl(p, 260, f_d, N(f_d));
	ix_tmpl(p, 261, f_obs, N(f_obs));
	ix_tmpl(p, 262, f_obs_s, N(f_obs_s));
	ix_tmpl(p, 263, f_both, N(f_both));
	s = pk_set_begin(p, 256);
	pk_u32(p, 1699999000);
	pk_u32(p, 1699999999);
	pk_set_end(p, s);
	s = pk_set_begin(p, 257);
	pk_u64(p, 1699999000123ULL);
	pk_u64(p, 1699999999999ULL);
	pk_set_end(p, s);
	s = pk_set_begin(p, 258);		/* NTP: seconds since 1900 . fraction */
	pk_u32(p, NTP_SECS(1699999000));
	pk_u32(p, 0x80000000);		/* .5 */
	pk_u32(p, NTP_SECS(1699999999));
	pk_u32(p, 0x00000000);
	pk_set_end(p, s);
	s = pk_set_begin(p, 259);
	pk_u32(p, NTP_SECS(1699999000));
	pk_u32(p, 0x40000000);		/* .25 */
	pk_u32(p, NTP_SECS(1699999999));
	pk_u32(p, 0xffffffff);		/* .999... */
	pk_set_end(p, s);
	s = pk_set_begin(p, 260);		/* us before export */
	pk_u32(p, 2500000);
	pk_u32(p, 1000);
	pk_set_end(p, s);
	s = pk_set_begin(p, 261);
	pk_u64(p, 1699999998765ULL);
	pk_set_end(p, s);
	s = pk_set_begin(p, 262);
	pk_u32(p, 1699999997);
	pk_set_end(p, s);
	s = pk_set_begin(p, 263);		/* ms wins over s */
	pk_u32(p, 1600000000);
	pk_u64(p, 1699999000777ULL);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 8);
	assert_true(tu_flow(t, 0)->first == 1699999000000ULL);
	assert_true(tu_flow(t, 0)->last == 1699999999000ULL);
	assert_true(tu_flow(t, 1)->first == 1699999000123ULL);
	assert_true(tu_flow(t, 1)->last == 1699999999999ULL);
	assert_true(tu_flow(t, 2)->first == 1699999000500ULL);
	assert_true(tu_flow(t, 2)->last == 1699999999000ULL);
	assert_true(tu_flow(t, 3)->first == 1699999000250ULL);
	assert_true(tu_flow(t, 3)->last == 1699999999999ULL);
	assert_true(tu_flow(t, 4)->first == EXPORT_MS - 2500);
	assert_true(tu_flow(t, 4)->last == EXPORT_MS - 1);
	assert_true(tu_flow(t, 5)->first == 1699999998765ULL);
	assert_true(tu_flow(t, 5)->last == 1699999998765ULL);
	assert_true(tu_flow(t, 6)->first == 1699999997000ULL);
	assert_true(tu_flow(t, 6)->last == 1699999997000ULL);
	assert_true(tu_flow(t, 7)->first == 1699999000777ULL);
	assert_false(tu_flow(t, 7)->have & FL_LAST);
	for (i = 0; i < 7; i++)
		assert_int_equal(tu_flow(t, (size_t)i)->have,
		    FL_FIRST | FL_LAST | FL_DOMAIN);
	tu_free(t);
	free(p);
}

/*
 * Times that cannot be placed are left out: an NTP time before 1970, a
 * delta reaching before 1970.
 */
static void
test_ipfix_times_unplaceable(void **state)
{
	static const struct ixf f_us[] = { { 154, 8, 0 }, { 8, 4, 0 } };
	static const struct ixf f_d[] = { { 158, 4, 0 }, { 8, 4, 0 } };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	ix_hdr(p, 1);
	ix_tmpl(p, 256, f_us, N(f_us));
	ix_tmpl(p, 257, f_d, N(f_d));
	s = pk_set_begin(p, 256);
	pk_u64(p, 0);
	pk_addr(p, "10.0.0.1");
	pk_u64(p, 12345);
	pk_addr(p, "10.0.0.2");
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_flow(t, 0)->have, FL_SRC | FL_DOMAIN);
	assert_int_equal(tu_flow(t, 1)->have, FL_SRC | FL_DOMAIN);

	/* Export time 1 s after 1970, flow started 2 s before it. */
	ix_hdr(p, 1);
	p->b[4] = p->b[5] = p->b[6] = 0;
	p->b[7] = 1;
	s = pk_set_begin(p, 257);
	pk_u32(p, 2000000);
	pk_addr(p, "10.0.0.3");
	pk_u32(p, 500000);
	pk_addr(p, "10.0.0.4");
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_flow(t, 2)->have, FL_SRC | FL_DOMAIN);
	assert_int_equal(tu_flow(t, 3)->have, FL_SRC | FL_FIRST | FL_DOMAIN);
	assert_true(tu_flow(t, 3)->first == 500);
	tu_free(t);
	free(p);
}

/*
 * flowStart/EndSysUpTime (22/21) count from the exporter's boot:
 * systemInitTimeMilliseconds from options data of the domain, or from the
 * record itself; without either, the time is left out.
 */
static void
test_ipfix_sysuptime(void **state)
{
	static const struct ixf opt_f[] = { { 144, 4, 0 }, { 160, 8, 0 } };
	static const struct ixf up_f[] = {
		{ 8, 4, 0 }, { 22, 4, 0 }, { 21, 4, 0 },
	};
	static const struct ixf own_f[] = {
		{ 22, 4, 0 }, { 21, 4, 0 }, { 160, 8, 0 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	/* Before the boot time is known. */
	ix_hdr(p, 1);
	ix_tmpl(p, 256, up_f, N(up_f));
	ix_opt(p, 257, 1, opt_f, N(opt_f));
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.0.0.1");
	pk_u32(p, 5000);
	pk_u32(p, 15000);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_flow(t, 0)->have, FL_SRC | FL_DOMAIN);

	/* Options data announce it; it applies to this and later messages. */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 257);
	pk_u32(p, 1);
	pk_u64(p, 1699990000000ULL);
	pk_set_end(p, s);
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.0.0.2");
	pk_u32(p, 5000);
	pk_u32(p, 15000);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 3);
	assert_int_equal(t->recs[1].kind, FLOW_KIND_OPTIONS);
	assert_int_equal(t->recs[1].have, FL_SYSINIT | FL_DOMAIN);
	assert_true(t->recs[1].sys_init == 1699990000000ULL);
	assert_int_equal(t->ctx.st.sampler_updates, 0);
	assert_true(tu_flow(t, 1)->first == 1699990005000ULL);
	assert_true(tu_flow(t, 1)->last == 1699990015000ULL);
	assert_int_equal(tu_flow(t, 1)->have, FL_SRC | FL_FIRST | FL_LAST |
	    FL_DOMAIN);

	/* The record's own systemInitTimeMilliseconds wins. */
	ix_hdr(p, 1);
	ix_tmpl(p, 258, own_f, N(own_f));
	s = pk_set_begin(p, 258);
	pk_u32(p, 1000);
	pk_u32(p, 2000);
	pk_u64(p, 1600000000000ULL);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_true(tu_flow(t, 2)->first == 1600000001000ULL);
	assert_true(tu_flow(t, 2)->last == 1600000002000ULL);
	assert_true(tu_flow(t, 2)->sys_init == 1600000000000ULL);
	assert_int_equal(tu_flow(t, 2)->have, FL_FIRST | FL_LAST |
	    FL_SYSINIT | FL_DOMAIN);

	/* Another domain does not share the boot time. */
	ix_hdr(p, 2);
	ix_tmpl(p, 256, up_f, N(up_f));
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.0.0.4");
	pk_u32(p, 5000);
	pk_u32(p, 15000);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(tu_flow(t, 3)->have, FL_SRC | FL_DOMAIN);
	tu_free(t);
	free(p);
}

/* Cisco NSEL-style fields in IPFIX: initiator/responder, firewall event. */
static void
test_ipfix_nsel(void **state)
{
	static const struct ixf f[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 231, 8, 0 }, { 232, 8, 0 },
		{ 298, 8, 0 }, { 299, 8, 0 }, { 233, 1, 0 },
		{ 176, 1, 0 }, { 177, 1, 0 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *r;
	size_t s;

	(void)state;
	ix_hdr(p, 1);
	ix_tmpl(p, 256, f, N(f));
	s = pk_set_begin(p, 256);
	pk_addr(p, "203.0.113.10");
	pk_addr(p, "198.51.100.20");
	pk_u64(p, 1500);
	pk_u64(p, 98000);
	pk_u64(p, 12);
	pk_u64(p, 70);
	pk_u8(p, 1);			/* flow created */
	pk_u8(p, 8);			/* echo request */
	pk_u8(p, 0);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	r = tu_flow(t, 0);
	assert_non_null(r);
	assert_int_equal(r->bytes, 1500);
	assert_int_equal(r->rev_bytes, 98000);
	assert_int_equal(r->packets, 12);
	assert_int_equal(r->rev_packets, 70);
	assert_int_equal(r->fw_event, 1);
	assert_int_equal(r->icmp, 0x0800);
	assert_int_equal(r->have, FL_SRC | FL_DST | FL_BYTES | FL_PACKETS |
	    FL_REVBYTES | FL_REVPACKETS | FL_FWEVENT | FL_ICMP | FL_DOMAIN);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE IX-1: a Length beyond the datagram rejects it (and stores
 * nothing from it); a Length below the header rejects it; a Length
 * shorter than the datagram bounds the message and the rest is ignored.
 */
static void
test_ipfix_length_lies(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t len;

	(void)state;
	ix_hdr(p, 1);
	ix_tmpl(p, 256, small_f, N(small_f));
	small_set(p, 256, "10.0.0.1", 1);
	ix_end(p);
	len = p->n;
	p->b[3]++;			/* one byte more than there is */
	assert_int_equal(tu_feed(t, p->b, len), DEC_MALFORMED);
	p->b[2] = 0xff;
	p->b[3] = 0xff;
	assert_int_equal(tu_feed(t, p->b, len), DEC_MALFORMED);
	p->b[2] = 0;
	p->b[3] = 15;			/* shorter than the header */
	assert_int_equal(tu_feed(t, p->b, len), DEC_MALFORMED);
	p->b[3] = 0;
	assert_int_equal(tu_feed(t, p->b, len), DEC_MALFORMED);
	assert_int_equal(t->ctx.st.err_header, 4);
	assert_int_equal(t->ctx.st.dgram_ipfix, 0);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	assert_int_equal(t->n, 0);

	/* Length covers the header only: an empty message. */
	p->b[3] = 16;
	assert_int_equal(tu_feed(t, p->b, len), DEC_OK);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	/* Length covers the template, not the data after it. */
	p->b[3] = 16 + 4 + 4 + 12;
	assert_int_equal(tu_feed(t, p->b, len), DEC_OK);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	assert_int_equal(t->n, 0);
	assert_int_equal(t->ctx.st.dgram_ipfix, 2);
	/* Length cutting the data set in half: that set is malformed. */
	p->b[3] = (uint8_t)(len - 8);
	assert_int_equal(tu_feed(t, p->b, len), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.err_set, 1);
	assert_int_equal(t->n, 0);
	/* Exact. */
	p->b[3] = (uint8_t)len;
	assert_int_equal(tu_feed(t, p->b, len), DEC_OK);
	assert_int_equal(t->n, 1);
	/* Datagram shorter than the header. */
	assert_int_equal(tu_feed(t, p->b, 15), DEC_SHORT);
	assert_int_equal(t->ctx.st.err_short, 1);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE IX-2: set length < 4 or beyond the message stops it; set ids 0
 * and 1 (v9's) and 4..255 are invalid and skipped by length.
 */
static void
test_ipfix_set_errors(void **state)
{
	static const uint16_t bad_ids[] = { 0, 1, 4, 100, 255 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t i, s;
	uint16_t len;

	(void)state;
	ix_hdr(p, 1);
	for (i = 0; i < N(bad_ids); i++) {
		s = pk_set_begin(p, bad_ids[i]);
		pk_u16(p, 256);		/* would be a template */
		pk_u16(p, 1);
		pk_u16(p, 8);
		pk_u16(p, 4);
		pk_set_end(p, s);
	}
	ix_tmpl(p, 256, small_f, N(small_f));
	small_set(p, 256, "10.0.0.1", 1);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.err_set, 5);
	assert_int_equal(t->n, 1);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	assert_int_equal(t->ctx.st.tmpl_added, 1);

	for (len = 0; len < 4; len++) {
		ix_hdr(p, 1);
		pk_u16(p, 256);
		pk_u16(p, len);
		pk_u32(p, 0x0a000001);
		pk_u32(p, 0x0a000002);
		pk_u64(p, 5);
		assert_int_equal(feed(t, p), DEC_PARTIAL);
	}
	assert_int_equal(t->ctx.st.err_set, 9);
	ix_hdr(p, 1);
	small_set(p, 256, "10.0.0.2", 2);
	p->b[16 + 3] += 1;		/* one past the message */
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.err_set, 10);
	assert_int_equal(t->n, 1);

	/* Zero fill after the last set is padding. */
	ix_hdr(p, 1);
	small_set(p, 256, "10.0.0.3", 3);
	pk_u64(p, 0);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.set_padding, 1);
	assert_int_equal(t->ctx.st.err_set, 10);
	assert_int_equal(t->n, 2);
	tu_free(t);
	free(p);
}

/* HOSTILE IX-3: template ids below 256 are rejected. */
static void
test_ipfix_tmpl_id_low(void **state)
{
	static const uint16_t ids[] = { 0, 1, 4, 255 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t i;

	(void)state;
	for (i = 0; i < N(ids); i++) {
		ix_hdr(p, 1);
		ix_tmpl(p, ids[i], small_f, N(small_f));
		assert_int_equal(feed(t, p), DEC_OK);
		ix_hdr(p, 1);
		ix_opt(p, ids[i], 1, small_f, N(small_f));
		assert_int_equal(feed(t, p), DEC_OK);
	}
	assert_int_equal(t->ctx.st.tmpl_rejected, 8);
	assert_int_equal(t->ctx.st.tmpl_added, 0);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE IX-7: options templates with scope count 0, scope count above
 * the field count, a record header cut before the scope count, field
 * specifiers beyond the set; all rejected.
 */
static void
test_ipfix_options_bad(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	ix_hdr(p, 1);
	ix_opt(p, 257, 0, small_f, N(small_f));
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 1);
	ix_hdr(p, 1);
	ix_opt(p, 257, 4, small_f, N(small_f));
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 2);
	/* Header cut after id and count (4 of 6 bytes). */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 3);
	pk_u16(p, 257);
	pk_u16(p, 2);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 3);
	/* Field count far beyond the set. */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 3);
	pk_u16(p, 257);
	pk_u16(p, 0xffff);
	pk_u16(p, 1);
	pk_u32(p, 0x00080004);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 4);
	/* Scope count 0xFFFF with 2 fields. */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 3);
	pk_u16(p, 257);
	pk_u16(p, 2);
	pk_u16(p, 0xffff);
	pk_u32(p, 0x00080004);
	pk_u32(p, 0x000c0004);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_rejected, 5);
	assert_int_equal(t->ctx.st.tmpl_added, 0);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	/* Scope count == field count is legal. */
	ix_hdr(p, 1);
	ix_opt(p, 257, 3, small_f, N(small_f));
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE IX-8: structured data (RFC 6313 basicList, subTemplateList,
 * subTemplateMultiList) is skipped by its declared length whatever is
 * inside: empty lists, lists naming unknown or their own template.
 */
static void
test_ipfix_structured(void **state)
{
	static const struct ixf f[] = {
		{ 8, 4, 0 }, { 291, VL, 0 }, { 292, VL, 0 }, { 293, VL, 0 },
		{ 11, 2, 0 },
	};
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	ix_hdr(p, 1);
	ix_tmpl(p, 256, f, N(f));
	s = pk_set_begin(p, 256);
	pk_addr(p, "10.0.0.1");
	pk_u8(p, 0);			/* empty basicList */
	pk_u8(p, 0);			/* empty subTemplateList */
	pk_u8(p, 0);
	pk_u16(p, 53);
	pk_addr(p, "10.0.0.2");
	pk_u8(p, 9);			/* basicList: semantic, ie 0xffff... */
	pk_u8(p, 3);
	pk_u16(p, 0xffff);		/* field id with enterprise bit */
	pk_u16(p, 0);			/* element length 0 */
	pk_u32(p, 0xffffffff);
	pk_u8(p, 7);			/* subTemplateList of template 256 */
	pk_u8(p, 3);
	pk_u16(p, 256);
	pk_u32(p, 0x01020304);
	pk_u8(p, 255);			/* subTemplateMultiList, 3-byte form */
	pk_u16(p, 8);
	pk_u8(p, 3);
	pk_u16(p, 999);			/* unknown template */
	pk_u16(p, 0xffff);		/* length larger than the list */
	pk_u16(p, 0);
	pk_u8(p, 0);
	pk_u16(p, 443);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 2);
	assert_string_equal(tu_addr(&tu_flow(t, 0)->src), "10.0.0.1");
	assert_int_equal(tu_flow(t, 0)->dport, 53);
	assert_string_equal(tu_addr(&tu_flow(t, 1)->src), "10.0.0.2");
	assert_int_equal(tu_flow(t, 1)->dport, 443);
	assert_int_equal(t->ctx.st.err_record, 0);
	assert_int_equal(t->ctx.st.tmpl_missing, 0);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE IX-9: observation domain churn from one exporter is capped; the
 * least recently used domain goes with its templates (counted).
 */
static void
test_ipfix_domain_churn(void **state)
{
	struct dec_limits lim;
	struct pk *p = pk_new();
	struct tu *t;
	uint32_t d;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.domains_per_exporter = 4;
	t = tu_new_lim(&lim);
	for (d = 1; d <= 4; d++) {
		ix_hdr(p, d);
		ix_tmpl(p, 256, small_f, N(small_f));
		ix_tmpl(p, 257, small_f, N(small_f));
		t->in.mono_ms += 1000;
		assert_int_equal(feed(t, p), DEC_OK);
	}
	assert_int_equal(tmpl_count(t->ctx.tc), 8);
	/* Domain 1 refreshed: domain 2 is now the oldest. */
	ix_hdr(p, 1);
	ix_tmpl(p, 256, small_f, N(small_f));
	t->in.mono_ms += 1000;
	assert_int_equal(feed(t, p), DEC_OK);
	for (d = 5; d < 1000; d++) {
		ix_hdr(p, d);
		ix_tmpl(p, 256, small_f, N(small_f));
		t->in.mono_ms += 1000;
		assert_int_equal(feed(t, p), DEC_OK);
		if (d == 5) {
			assert_int_equal(t->ctx.st.tmpl_evicted, 2);
			assert_int_equal(tmpl_count(t->ctx.tc), 7);
		}
	}
	/* Three domains of one template each, and domain 999's. */
	assert_int_equal(tmpl_count(t->ctx.tc), 4);
	assert_int_equal(t->ctx.st.tmpl_added, 8 + 995);
	assert_int_equal(t->ctx.st.tmpl_evicted, 8 + 995 - 4);
	ix_hdr(p, 999);
	small_set(p, 256, "10.0.0.1", 1);
	assert_int_equal(feed(t, p), DEC_OK);
	ix_hdr(p, 2);
	small_set(p, 256, "10.0.0.1", 1);
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.tmpl_missing, 1);
	/* Another exporter has its own allowance. */
	assert_int_equal(flow_addr_parse(&t->in.exporter, "192.0.2.50"), 0);
	for (d = 1; d <= 4; d++) {
		ix_hdr(p, d);
		ix_tmpl(p, 256, small_f, N(small_f));
		assert_int_equal(feed(t, p), DEC_OK);
	}
	assert_int_equal(tmpl_count(t->ctx.tc), 8);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE IX-10: sequence numbers that jump, go back or wrap change
 * nothing: templates stay, data decodes.
 */
static void
test_ipfix_sequence(void **state)
{
	static const uint32_t seqs[] = { 0xfffffffe, 0, 5, 1000000, 3 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t i;

	(void)state;
	ix_hdr_seq(p, 1, 100);
	ix_tmpl(p, 256, small_f, N(small_f));
	assert_int_equal(feed(t, p), DEC_OK);
	for (i = 0; i < N(seqs); i++) {
		ix_hdr_seq(p, 1, seqs[i]);
		small_set(p, 256, "10.0.0.1", i);
		assert_int_equal(feed(t, p), DEC_OK);
	}
	assert_int_equal(t->n, N(seqs));
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	assert_int_equal(t->ctx.st.tmpl_withdrawn, 0);
	assert_int_equal(t->ctx.st.tmpl_missing, 0);
	assert_int_equal(tu_flow(t, 4)->bytes, 4);
	tu_free(t);
	free(p);
}

/*
 * HOSTILE IX-11: bytes after variable-length records, shorter than the
 * smallest record, are padding; as many bytes as the smallest record are
 * a record and must decode as one.
 */
static void
test_ipfix_varlen_padding(void **state)
{
	static const struct ixf f[] = { { 4, 1, 0 }, { 82, VL, 0 },
	    { 7, 2, 0 } };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	ix_hdr(p, 1);
	ix_tmpl(p, 256, f, N(f));	/* minimum record 4 bytes */
	s = pk_set_begin(p, 256);
	pk_u8(p, 6);
	pk_u8(p, 5);
	pk_raw(p, "Gi0/1", 5);
	pk_u16(p, 22);
	pk_u8(p, 0);			/* 3 bytes of padding */
	pk_u8(p, 0);
	pk_u8(p, 0);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 1);
	assert_int_equal(tu_flow(t, 0)->proto, 6);
	assert_int_equal(tu_flow(t, 0)->sport, 22);
	assert_int_equal(t->ctx.st.set_padding, 1);
	assert_int_equal(t->ctx.st.err_record, 0);

	/* 4 zero bytes: a (zero) record, not padding. */
	ix_hdr(p, 1);
	s = pk_set_begin(p, 256);
	pk_u32(p, 0);
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, 2);
	assert_int_equal(tu_flow(t, 1)->proto, 0);
	assert_int_equal(t->ctx.st.set_padding, 1);
	tu_free(t);
	free(p);
}

/* Data before its template in the same message, and a missing one. */
static void
test_ipfix_data_before_template(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();

	(void)state;
	ix_hdr(p, 1);
	small_set(p, 256, "10.0.0.1", 1);
	small_set(p, 300, "10.0.0.2", 2);
	ix_tmpl(p, 256, small_f, N(small_f));
	assert_int_equal(feed(t, p), DEC_PARTIAL);
	assert_int_equal(t->n, 1);
	assert_string_equal(tu_addr(&tu_flow(t, 0)->src), "10.0.0.1");
	assert_int_equal(t->ctx.st.tmpl_deferred, 1);
	assert_int_equal(t->ctx.st.tmpl_missing, 1);
	tu_free(t);
	free(p);
}

/*
 * Injection: hostile strings (CR LF and a header, format directives,
 * shell metacharacters, quotes, backslashes, NUL, bytes that are not
 * UTF-8, 1000 bytes) in every string element an exporter can send --
 * interfaceName/interfaceDescription (82/83), applicationName (96),
 * VRFname (236, fixed 32), an enterprise string -- take no part in the
 * record: its other fields land right and its JSON (what `flowsentry
 * decode` and -D print) is printable ASCII, one line, with none of the
 * string in it.
 */
static void
test_ipfix_hostile_strings(void **state)
{
	static const struct ixf f[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 82, VL, 0 }, { 7, 2, 0 },
		{ 83, VL, 0 }, { 11, 2, 0 }, { 96, VL, 0 }, { 236, 32, 0 },
		{ 1, 8, 0 }, { 100, VL, 9 },
	};
	static const char *const evil[] = {
		"eth0\r\nBcc: victim@example.org\r\n", "%n%s%x%n%p",
		"$(reboot); `id` | rm -rf / && echo >x <y *?",
		"\"'\\\"\\\\'}{\"x\":1", "nul\0inside",
		"\xff\xfe\xc0\xaf\xed\xa0\x80", "\x1b[31m\x07\x7f\xc2\x85",
	};
	static uint8_t a1000[1000];
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	char json[FLOW_JSON_MAX], vrf[32];
	size_t s, i, k, len;
	const uint8_t *v;

	(void)state;
	memset(a1000, 'A', sizeof(a1000));
	ix_hdr(p, 1);
	ix_tmpl(p, 256, f, N(f));
	s = pk_set_begin(p, 256);
	for (i = 0; i <= N(evil); i++) {
		v = i < N(evil) ? (const uint8_t *)evil[i] : a1000;
		len = i < N(evil) ? strlen(evil[i]) + (i == 4 ? 7 : 0) :
		    sizeof(a1000);
		pk_addr(p, "192.0.2.10");
		pk_addr(p, "198.51.100.1");
		for (k = 0; k < 2; k++) {
			if (k == 0) {
				pk_u8(p, 255);	/* 3-byte form */
				pk_u16(p, (uint32_t)len);
			} else if (len < 255)
				pk_u8(p, (uint32_t)len);
			else {
				pk_u8(p, 255);
				pk_u16(p, (uint32_t)len);
			}
			pk_raw(p, v, len);
			pk_u16(p, (uint32_t)(k == 0 ? 40000 + i : 443));
		}
		pk_u8(p, (uint32_t)(len < 255 ? len : 254));
		pk_raw(p, v, len < 255 ? len : 254);
		memset(vrf, 0, sizeof(vrf));
		memcpy(vrf, v, len < sizeof(vrf) ? len : sizeof(vrf));
		pk_raw(p, vrf, sizeof(vrf));		/* VRFname, no NUL */
		pk_u64(p, 1000 + i);
		pk_u8(p, (uint32_t)(len < 255 ? len : 254));
		pk_raw(p, v, len < 255 ? len : 254);
	}
	pk_set_end(p, s);
	assert_int_equal(feed(t, p), DEC_OK);
	assert_int_equal(t->n, N(evil) + 1);
	assert_int_equal(t->ctx.st.err_record, 0);
	for (i = 0; i < t->n; i++) {
		const struct flow_rec *r = tu_flow(t, i);
		int n;

		assert_string_equal(tu_addr(&r->src), "192.0.2.10");
		assert_string_equal(tu_addr(&r->dst), "198.51.100.1");
		assert_int_equal(r->sport, 40000 + i);
		assert_int_equal(r->dport, 443);
		assert_int_equal(r->bytes, 1000 + i);
		n = flow_json(r, json, sizeof(json));
		assert_true(n > 0 && (size_t)n == strlen(json));
		for (k = 0; k < (size_t)n; k++)
			assert_true(json[k] >= 0x20 && json[k] < 0x7f);
		assert_null(strstr(json, "Bcc"));
		assert_null(strstr(json, "%n"));
		assert_null(strstr(json, "reboot"));
		assert_null(strstr(json, "AAAA"));
		assert_int_equal(json[0], '{');
		assert_int_equal(json[n - 1], '}');
	}
	tu_free(t);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipfix_ipv4),
		cmocka_unit_test(test_ipfix_ipv6),
		cmocka_unit_test(test_ipfix_v4_v6_placeholders),
		cmocka_unit_test(test_ipfix_options_sampling),
		cmocka_unit_test(test_ipfix_options_sampler_id),
		cmocka_unit_test(test_ipfix_varlen),
		cmocka_unit_test(test_ipfix_varlen_hostile),
		cmocka_unit_test(test_ipfix_enterprise),
		cmocka_unit_test(test_ipfix_pen_truncated),
		cmocka_unit_test(test_ipfix_withdrawal),
		cmocka_unit_test(test_ipfix_withdraw_all_interleaved),
		cmocka_unit_test(test_ipfix_times),
		cmocka_unit_test(test_ipfix_times_unplaceable),
		cmocka_unit_test(test_ipfix_sysuptime),
		cmocka_unit_test(test_ipfix_nsel),
		cmocka_unit_test(test_ipfix_length_lies),
		cmocka_unit_test(test_ipfix_set_errors),
		cmocka_unit_test(test_ipfix_tmpl_id_low),
		cmocka_unit_test(test_ipfix_options_bad),
		cmocka_unit_test(test_ipfix_structured),
		cmocka_unit_test(test_ipfix_domain_churn),
		cmocka_unit_test(test_ipfix_sequence),
		cmocka_unit_test(test_ipfix_varlen_padding),
		cmocka_unit_test(test_ipfix_hostile_strings),
		cmocka_unit_test(test_ipfix_data_before_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
