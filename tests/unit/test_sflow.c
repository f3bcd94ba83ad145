/*
 * test_sflow.c - sFlow version 5 (collector/sflow.c).
 *
 * Datagrams are built with the shared writer (pkw.h) and the XDR helpers
 * below (lengths patched when a sample or record is closed) and fed from
 * exact-size heap copies (tu_feed), so any read past a datagram is an ASan
 * error.  Every test
 * checks the whole counter table (st_check): the counters named are
 * exact, every other one must be zero.  The context's socket address is
 * 192.0.2.1 and its receive time 1.7e12 ms.
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
#include "testutil.h"

#define NOW_MS	1700000000000ULL

/* ---- XDR on top of pkw.h ------------------------------------------------ */

/* An XDR address: type 1 (IPv4) or 2 (IPv6), then the bytes. */
static void
xdr_addr(struct pk *p, const char *s)
{
	pk_u32(p, strchr(s, ':') ? 2 : 1);
	pk_addr(p, s);
}

/* A length word to be patched by xdr_close(); returns its offset. */
static size_t
xdr_open(struct pk *p)
{
	size_t at = p->n;

	pk_u32(p, 0);
	return at;
}

static void
xdr_close(struct pk *p, size_t at)
{
	pk_put32(p, at, (uint32_t)(p->n - at - 4));
}

/* ---- sFlow structures --------------------------------------------------- */

/* Datagram header; the agent is an address string. */
static void
sf_hdr(struct pk *p, const char *agent, uint32_t sub_agent, uint32_t nsamples)
{
	pk_u32(p, 5);
	xdr_addr(p, agent);
	pk_u32(p, sub_agent);
	pk_u32(p, 77);			/* datagram sequence */
	pk_u32(p, 123456);		/* uptime */
	pk_u32(p, nsamples);
}

/* Compact flow sample (0:1). */
struct fsamp {
	uint32_t	src_id;		/* type << 24 | index */
	uint32_t	rate, pool, drops;
	uint32_t	in, out;	/* format << 30 | value */
	uint32_t	nrec;
};

static size_t
fs_open(struct pk *p, const struct fsamp *s)
{
	size_t at;

	pk_u32(p, 1);
	at = xdr_open(p);
	pk_u32(p, 1001);		/* sequence */
	pk_u32(p, s->src_id);
	pk_u32(p, s->rate);
	pk_u32(p, s->pool);
	pk_u32(p, s->drops);
	pk_u32(p, s->in);
	pk_u32(p, s->out);
	pk_u32(p, s->nrec);
	return at;
}

/* Expanded flow sample (0:3). */
struct fxsamp {
	uint32_t	src_type, src_index;
	uint32_t	rate, pool, drops;
	uint32_t	in_fmt, in_val, out_fmt, out_val;
	uint32_t	nrec;
};

static size_t
fsx_open(struct pk *p, const struct fxsamp *s)
{
	size_t at;

	pk_u32(p, 3);
	at = xdr_open(p);
	pk_u32(p, 2002);		/* sequence */
	pk_u32(p, s->src_type);
	pk_u32(p, s->src_index);
	pk_u32(p, s->rate);
	pk_u32(p, s->pool);
	pk_u32(p, s->drops);
	pk_u32(p, s->in_fmt);
	pk_u32(p, s->in_val);
	pk_u32(p, s->out_fmt);
	pk_u32(p, s->out_val);
	pk_u32(p, s->nrec);
	return at;
}

/* Counter sample, compact (0:2) or expanded (0:4). */
static size_t
cs_open(struct pk *p, int expanded, uint32_t src_type, uint32_t src_index,
    uint32_t nrec)
{
	size_t at;

	pk_u32(p, expanded ? 4 : 2);
	at = xdr_open(p);
	pk_u32(p, 3003);		/* sequence */
	if (expanded) {
		pk_u32(p, src_type);
		pk_u32(p, src_index);
	} else
		pk_u32(p, src_type << 24 | src_index);
	pk_u32(p, nrec);
	return at;
}

/* A record (or sample) header: format word and a length to patch. */
static size_t
rec_open(struct pk *p, uint32_t fmt)
{
	pk_u32(p, fmt);
	return xdr_open(p);
}

/* The test frame: Ethernet, IPv4 203.0.113.5 -> 198.51.100.7, TCP SYN. */
#define FR_LEN	64
static void
frame_v4(struct pk *f, int vlan)
{
	size_t ip, th;

	if (vlan) {
		pk_eth(f, 0x8100);
		pk_vlan(f, (uint16_t)vlan, 0x0800);
	} else
		pk_eth(f, 0x0800);
	ip = pk_ip4(f, 6, "203.0.113.5", "198.51.100.7", 0x28, 0x4000, 0);
	pk_put16(f, ip + 2, 1500);	/* total length of the real packet */
	th = f->n;
	pk_tcp(f, 40000, 443, 0x02, 5);
	pk_put32(f, th + 4, 1);		/* seq */
	pk_fill(f, 10, 0x77);		/* payload */
}

/* Raw packet header record (0:1): hlen bytes of f, padded to 4. */
static void
rec_raw(struct pk *p, uint32_t hp, uint32_t flen, uint32_t stripped,
    const struct pk *f, uint32_t hlen)
{
	size_t at = rec_open(p, 1), i;

	pk_u32(p, hp);
	pk_u32(p, flen);
	pk_u32(p, stripped);
	pk_u32(p, hlen);
	for (i = 0; i < hlen; i++)
		pk_u8(p, f->b[i]);
	while ((p->n - at) % 4)
		pk_u8(p, 0);
	xdr_close(p, at);
}

/* The standard raw header: the whole test frame, 1518 on the wire. */
static void
rec_raw_std(struct pk *p, int vlan)
{
	struct pk *f = pk_new();

	frame_v4(f, vlan);
	rec_raw(p, 1, 1518, 4, f, (uint32_t)f->n);
	free(f);
}

/* Extended switch (0:1001). */
static void
rec_switch(struct pk *p, uint32_t src_vlan, uint32_t dst_vlan)
{
	size_t at = rec_open(p, 1001);

	pk_u32(p, src_vlan);
	pk_u32(p, 3);			/* src priority */
	pk_u32(p, dst_vlan);
	pk_u32(p, 0);
	xdr_close(p, at);
}

/* Sampled IPv4 (0:3) or IPv6 (0:4). */
static void
rec_sampled(struct pk *p, uint32_t len, uint32_t proto, const char *src,
    const char *dst, uint32_t sport, uint32_t dport, uint32_t flags,
    uint32_t tos)
{
	size_t at = rec_open(p, strchr(src, ':') ? 4 : 3);

	pk_u32(p, len);
	pk_u32(p, proto);
	pk_addr(p, src);
	pk_addr(p, dst);
	pk_u32(p, sport);
	pk_u32(p, dport);
	pk_u32(p, flags);
	pk_u32(p, tos);
	xdr_close(p, at);
}

/* Generic interface counters (0:1), each field a distinct value. */
static void
ctr_generic(struct pk *p, uint32_t ifindex)
{
	size_t at = rec_open(p, 1);

	pk_u32(p, ifindex);
	pk_u32(p, 6);			/* ethernetCsmacd */
	pk_u64(p, 10000000000ULL);
	pk_u32(p, 1);			/* full duplex */
	pk_u32(p, 3);			/* admin up, oper up */
	pk_u64(p, 0x123456789aULL);
	pk_u32(p, 1001);
	pk_u32(p, 1002);
	pk_u32(p, 1003);
	pk_u32(p, 1004);
	pk_u32(p, 1005);
	pk_u32(p, 1006);
	pk_u64(p, 0xfedcba9876ULL);
	pk_u32(p, 2001);
	pk_u32(p, 2002);
	pk_u32(p, 2003);
	pk_u32(p, 2004);
	pk_u32(p, 2005);
	pk_u32(p, 1);			/* promiscuous */
	assert_int_equal(p->n - at - 4, 88);
	xdr_close(p, at);
}

/* Ethernet interface counters (0:2): 13 words, unused by the decoder. */
static void
ctr_ethernet(struct pk *p)
{
	size_t at = rec_open(p, 2);

	pk_fill(p, 52, 0x11);
	xdr_close(p, at);
}

/* ---- checks ------------------------------------------------------------- */

/* Every counter as in want; names the ones that differ. */
static void
st_check(const struct tu *t, const struct dec_stats *want)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < dec_stat_count; i++) {
		uint64_t g = *(const uint64_t *)((const char *)&t->ctx.st +
		    dec_stat_descs[i].offset);
		uint64_t w = *(const uint64_t *)((const char *)want +
		    dec_stat_descs[i].offset);

		if (g != w) {
			print_error("counter %s: got %llu, want %llu\n",
			    dec_stat_descs[i].name, (unsigned long long)g,
			    (unsigned long long)w);
			bad = 1;
		}
	}
	assert_false(bad);
}

#define SF_BASE	(FL_DOMAIN | FL_SAMPLERID | FL_FIRST | FL_LAST)
#define SF_FLOW	(SF_BASE | FL_PACKETS | FL_POOL | FL_SAMPLING | FL_INIF | \
	    FL_OUTIF)
#define SF_L34	(FL_SRC | FL_DST | FL_PROTO | FL_TOS | FL_SPORT | FL_DPORT)

/* The fields the standard raw header gives. */
static void
assert_std_header(const struct flow_rec *f)
{
	assert_string_equal(tu_addr(&f->src), "203.0.113.5");
	assert_string_equal(tu_addr(&f->dst), "198.51.100.7");
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->sport, 40000);
	assert_int_equal(f->dport, 443);
	assert_int_equal(f->tcp_flags, 0x02);
	assert_int_equal(f->tos, 0x28);
	assert_int_equal(f->bytes, 1518);
	assert_int_equal(f->packets, 1);
}

static const struct fsamp fs_std = {
	.src_id = 17, .rate = 512, .pool = 1000000, .drops = 3,
	.in = 5, .out = 7, .nrec = 2,
};

/* ---- flow samples ------------------------------------------------------- */

/*
 * A compact flow sample: rate, pool, drops, interfaces, source id, the
 * sub-agent as domain, vlan from the extended switch record and the rest
 * from the raw header.  HOSTILE SF-11: the agent address inside the
 * datagram (10.0.0.99) is not the exporter; the socket's address is.
 */
static void
test_flow_sample(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *f;
	size_t s;

	(void)state;
	sf_hdr(p, "10.0.0.99", 7, 1);
	s = fs_open(p, &fs_std);
	rec_switch(p, 100, 200);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 1);
	f = tu_flow(t, 0);
	assert_non_null(f);
	assert_int_equal(f->type, FLOW_SFLOW5);
	assert_int_equal(f->kind, FLOW_KIND_FLOW);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_TCPFLAGS | FL_BYTES |
	    FL_VLAN);
	assert_string_equal(tu_addr(&f->exporter), "192.0.2.1");
	assert_int_equal(f->domain, 7);
	assert_int_equal(f->sampler_id, 17);
	assert_int_equal(f->sampling, 512);
	assert_int_equal(f->sample_pool, 1000000);
	assert_int_equal(f->drops, 3);
	assert_int_equal(f->in_if, 5);
	assert_int_equal(f->out_if, 7);
	assert_int_equal(f->vlan, 100);
	assert_true(f->first == NOW_MS);
	assert_true(f->last == NOW_MS);
	assert_std_header(f);
	/*
	 * The payload is there: the packet is handed on from its IP header
	 * (borrowed for the callback only, so not read here).
	 */
	assert_non_null(f->pkt);
	assert_int_equal(f->pkt_len, 64 - 14);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 1,
	    .records = 1 });
	tu_free(t);
	free(p);
}

/*
 * An expanded flow sample: source id type and index in two words (the
 * index beyond 24 bits is cut to the compact form), 32-bit interface
 * values with a separate format word.
 */
static void
test_flow_sample_expanded(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct fxsamp x = {
		.src_type = 2, .src_index = 0x01abcdef, .rate = 4096,
		.pool = 0xfffffff0u, .drops = 0xffffffffu,
		.in_fmt = 0, .in_val = 0x12345678,
		.out_fmt = 0, .out_val = 0x3fffffff, .nrec = 1,
	};
	const struct flow_rec *f;
	size_t s;

	(void)state;
	sf_hdr(p, "10.0.0.99", 0xffffffffu, 1);
	s = fsx_open(p, &x);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	f = tu_flow(t, 0);
	assert_non_null(f);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_TCPFLAGS | FL_BYTES);
	assert_int_equal(f->domain, 0xffffffffu);
	assert_int_equal(f->sampler_id, 0x02abcdef);
	assert_int_equal(f->sampling, 4096);
	assert_int_equal(f->sample_pool, 0xfffffff0u);
	assert_int_equal(f->drops, 0xffffffffu);
	assert_int_equal(f->in_if, 0x12345678);
	assert_int_equal(f->out_if, 0x3fffffff);
	assert_std_header(f);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 1,
	    .records = 1 });
	tu_free(t);
	free(p);
}

/*
 * Interface formats: format 0 is an ifIndex (0x3fffffff, "the device
 * itself", is passed on as the value the exporter sent); format 1
 * (discarded, value = reason) and 2 (several interfaces, value = count)
 * are not interfaces and leave the field out.
 */
static void
test_interface_formats(void **state)
{
	static const struct {
		uint32_t	in, out;
		uint32_t	have;		/* of FL_INIF | FL_OUTIF */
		uint32_t	in_if, out_if;
	} cases[] = {
		{ 0x3fffffff, 0x3fffffff, FL_INIF | FL_OUTIF, 0x3fffffff,
		  0x3fffffff },
		{ 0, 0, FL_INIF | FL_OUTIF, 0, 0 },
		{ 12, 1u << 30 | 258, FL_INIF, 12, 0 },	/* discarded: ACL */
		{ 12, 2u << 30 | 3, FL_INIF, 12, 0 },	/* to 3 interfaces */
		{ 2u << 30, 1u << 30, 0, 0, 0 },
		{ 3u << 30 | 5, 9, FL_OUTIF, 0, 9 },	/* undefined format */
	};
	struct fxsamp x = { .src_type = 0, .src_index = 1, .rate = 1,
	    .nrec = 0 };
	struct fsamp c = fs_std;
	struct pk *p = pk_new();
	const struct flow_rec *f;
	struct tu *t;
	size_t i, s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = tu_new();
		p->n = 0;
		sf_hdr(p, "10.0.0.99", 1, 1);
		c.in = cases[i].in;
		c.out = cases[i].out;
		c.nrec = 0;
		s = fs_open(p, &c);
		xdr_close(p, s);
		assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
		f = tu_flow(t, 0);
		assert_non_null(f);
		assert_int_equal(f->have & (FL_INIF | FL_OUTIF), cases[i].have);
		assert_int_equal(f->in_if, cases[i].in_if);
		assert_int_equal(f->out_if, cases[i].out_if);
		/* No records: nothing but the sample's own fields. */
		assert_int_equal(f->have & ~(FL_INIF | FL_OUTIF),
		    SF_BASE | FL_PACKETS | FL_POOL | FL_SAMPLING);
		tu_free(t);
	}
	/* Expanded: the format is a word of its own. */
	t = tu_new();
	p->n = 0;
	sf_hdr(p, "10.0.0.99", 1, 3);
	x.in_fmt = 1;
	x.in_val = 0x3fffffff;
	x.out_fmt = 0;
	x.out_val = 0xffffffffu;
	s = fsx_open(p, &x);
	xdr_close(p, s);
	x.in_fmt = 0;
	x.in_val = 0x3fffffff;
	x.out_fmt = 2;
	x.out_val = 0;
	s = fsx_open(p, &x);
	xdr_close(p, s);
	x.in_fmt = 7;
	x.out_fmt = 0;
	x.out_val = 4;
	s = fsx_open(p, &x);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 3);
	assert_int_equal(tu_flow(t, 0)->have & (FL_INIF | FL_OUTIF), FL_OUTIF);
	assert_int_equal(tu_flow(t, 0)->out_if, 0xffffffffu);
	assert_int_equal(tu_flow(t, 1)->have & (FL_INIF | FL_OUTIF), FL_INIF);
	assert_int_equal(tu_flow(t, 1)->in_if, 0x3fffffff);
	assert_int_equal(tu_flow(t, 2)->have & (FL_INIF | FL_OUTIF), FL_OUTIF);
	assert_int_equal(tu_flow(t, 2)->out_if, 4);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 3,
	    .records = 3 });
	tu_free(t);
	free(p);
}

/* Sampled IPv4 / IPv6 records stand in when there is no raw header. */
static void
test_sampled_ip_records(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	const struct flow_rec *f;
	size_t s;

	(void)state;
	sf_hdr(p, "10.0.0.99", 3, 4);
	c.nrec = 1;
	s = fs_open(p, &c);
	rec_sampled(p, 1400, 6, "192.0.2.50", "198.51.100.60", 25, 41000,
	    0x12, 0x10);
	xdr_close(p, s);
	s = fs_open(p, &c);
	rec_sampled(p, 200, 17, "2001:db8::50", "2001:db8::60", 53, 5353,
	    0xff, 0xb8);
	xdr_close(p, s);
	s = fs_open(p, &c);
	rec_sampled(p, 84, 1, "192.0.2.50", "192.0.2.51", 0x0800, 0, 0, 0);
	xdr_close(p, s);
	/* A raw header beats a sampled IPv4 record, in either order. */
	c.nrec = 2;
	s = fs_open(p, &c);
	rec_sampled(p, 84, 17, "192.0.2.50", "192.0.2.51", 1, 2, 0, 0);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 4);

	f = tu_flow(t, 0);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_TCPFLAGS | FL_BYTES);
	assert_string_equal(tu_addr(&f->src), "192.0.2.50");
	assert_string_equal(tu_addr(&f->dst), "198.51.100.60");
	assert_int_equal(f->bytes, 1400);
	assert_int_equal(f->packets, 1);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->sport, 25);
	assert_int_equal(f->dport, 41000);
	assert_int_equal(f->tcp_flags, 0x12);
	assert_int_equal(f->tos, 0x10);

	f = tu_flow(t, 1);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_BYTES);	/* no flags */
	assert_string_equal(tu_addr(&f->src), "2001:db8::50");
	assert_string_equal(tu_addr(&f->dst), "2001:db8::60");
	assert_int_equal(f->bytes, 200);
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->sport, 53);
	assert_int_equal(f->dport, 5353);
	assert_int_equal(f->tos, 0xb8);

	f = tu_flow(t, 2);		/* ICMP: the port words mean nothing */
	assert_int_equal(f->have, SF_FLOW | FL_SRC | FL_DST | FL_PROTO |
	    FL_TOS | FL_BYTES);
	assert_int_equal(f->proto, 1);
	assert_int_equal(f->bytes, 84);

	f = tu_flow(t, 3);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_TCPFLAGS | FL_BYTES);
	assert_std_header(f);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 4,
	    .records = 4 });
	tu_free(t);
	free(p);
}

/*
 * A raw header with no usable IP header (unknown header_protocol, HOSTILE
 * SF-6) is counted; the sampled IPv4 record then gives the addresses but
 * bytes stay the frame length.
 */
static void
test_undecoded_header_falls_back(void **state)
{
	struct pk *p = pk_new(), *fr = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	const struct flow_rec *f;
	size_t s;

	(void)state;
	frame_v4(fr, 0);
	sf_hdr(p, "10.0.0.99", 3, 2);
	c.nrec = 2;
	s = fs_open(p, &c);
	rec_raw(p, 99, 1000, 0, fr, FR_LEN);	/* unknown header_protocol */
	rec_sampled(p, 900, 17, "192.0.2.8", "192.0.2.9", 10, 20, 0, 4);
	xdr_close(p, s);
	/* The same unknown protocol and nothing else: bytes, no addresses. */
	c.nrec = 1;
	s = fs_open(p, &c);
	rec_raw(p, 15, 1000, 0, fr, FR_LEN);	/* 802.11 */
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 2);
	f = tu_flow(t, 0);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_BYTES);
	assert_string_equal(tu_addr(&f->src), "192.0.2.8");
	assert_int_equal(f->sport, 10);
	assert_int_equal(f->tos, 4);
	assert_int_equal(f->bytes, 1000);
	f = tu_flow(t, 1);
	assert_int_equal(f->have, SF_FLOW | FL_BYTES);
	assert_int_equal(f->bytes, 1000);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 2,
	    .records = 2, .sfl_hdr_undecoded = 2 });
	tu_free(t);
	free(fr);
	free(p);
}

/*
 * A malformed sampled record does not mix with an earlier good one: the
 * first record's view is kept whole.
 */
static void
test_sampled_ip_malformed(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	const struct flow_rec *f;
	size_t s, r;

	(void)state;
	sf_hdr(p, "10.0.0.99", 3, 1);
	c.nrec = 2;
	s = fs_open(p, &c);
	rec_sampled(p, 1400, 6, "192.0.2.50", "198.51.100.60", 25, 41000,
	    0x12, 0x10);
	r = rec_open(p, 4);		/* IPv6, cut after length and protocol */
	pk_u32(p, 99);
	pk_u32(p, 17);
	pk_fill(p, 8, 0xee);
	xdr_close(p, r);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	f = tu_flow(t, 0);
	assert_non_null(f);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_TCPFLAGS | FL_BYTES);
	assert_string_equal(tu_addr(&f->src), "192.0.2.50");
	assert_int_equal(f->bytes, 1400);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->sport, 25);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 1,
	    .records = 1, .sfl_err_record = 1 });
	tu_free(t);
	free(p);
}

/*
 * VLAN: from the extended switch record or the raw header's 802.1Q tag,
 * whichever record comes first.  The first raw header wins over a second.
 */
static void
test_vlan_and_first_header(void **state)
{
	struct pk *p = pk_new(), *fr = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	size_t s;

	(void)state;
	sf_hdr(p, "10.0.0.99", 3, 3);
	c.nrec = 1;
	s = fs_open(p, &c);
	rec_raw_std(p, 0xe000 | 42);		/* PCP 7, VID 42 */
	xdr_close(p, s);
	c.nrec = 2;
	s = fs_open(p, &c);
	rec_raw_std(p, 42);
	rec_switch(p, 300, 301);
	xdr_close(p, s);
	/* Two headers: the second (another frame) is ignored. */
	frame_v4(fr, 0);
	fr->b[14 + 12] = 10;		/* src 10.113.0.5... */
	s = fs_open(p, &c);
	rec_raw_std(p, 0);
	rec_raw(p, 1, 77, 0, fr, FR_LEN);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 3);
	assert_int_equal(tu_flow(t, 0)->vlan, 42);
	assert_true(tu_flow(t, 0)->have & FL_VLAN);
	assert_int_equal(tu_flow(t, 1)->vlan, 42);
	assert_std_header(tu_flow(t, 2));
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 3,
	    .records = 3 });
	tu_free(t);
	free(fr);
	free(p);
}

/* Extended gateway (0:1003) body, after the next-hop address. */
static size_t
gw_open(struct pk *p, const char *nexthop, uint32_t as, uint32_t src_as)
{
	size_t at = rec_open(p, 1003);

	if (nexthop)
		xdr_addr(p, nexthop);
	else
		pk_u32(p, 0);		/* unknown address type: no bytes */
	pk_u32(p, as);
	pk_u32(p, src_as);
	pk_u32(p, 64999);		/* src peer AS */
	return at;
}

/* Gateway with a path given as segments of ASes; then communities. */
static void
rec_gateway(struct pk *p, const char *nexthop, uint32_t as, uint32_t src_as,
    const uint32_t *seglen, size_t nseg, uint32_t ncomm)
{
	size_t at = gw_open(p, nexthop, as, src_as), i;
	uint32_t j, asn = 65001;

	pk_u32(p, (uint32_t)nseg);
	for (i = 0; i < nseg; i++) {
		pk_u32(p, i % 2 ? 1 : 2);	/* set / sequence */
		pk_u32(p, seglen[i]);
		for (j = 0; j < seglen[i]; j++)
			pk_u32(p, asn++);
	}
	pk_u32(p, ncomm);
	for (j = 0; j < ncomm; j++)
		pk_u32(p, 0xfde80000u | j);
	pk_u32(p, 100);			/* localpref */
	xdr_close(p, at);
}

/*
 * Extended gateway: src_as, and dst_as = the last AS of the path (the
 * router's own AS when the path is empty); next hop of any address type.
 */
static void
test_extended_gateway(void **state)
{
	static const uint32_t path3[] = { 3 };
	static const uint32_t path_mixed[] = { 3, 2, 0 };
	static const uint32_t path_empty_segs[] = { 0, 0 };
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	const struct flow_rec *f;
	size_t s;

	(void)state;
	sf_hdr(p, "10.0.0.99", 3, 4);
	c.nrec = 2;
	s = fs_open(p, &c);
	rec_gateway(p, "192.0.2.254", 64500, 64501, path3, 1, 2);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	s = fs_open(p, &c);
	rec_raw_std(p, 0);
	rec_gateway(p, "2001:db8::fe", 64500, 0, path_mixed, 3, 0);
	xdr_close(p, s);
	s = fs_open(p, &c);
	rec_gateway(p, NULL, 64500, 64510, NULL, 0, 0);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	s = fs_open(p, &c);
	rec_gateway(p, "192.0.2.254", 64500, 64510, path_empty_segs, 2, 0);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 4);

	f = tu_flow(t, 0);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_TCPFLAGS | FL_BYTES |
	    FL_SRCAS | FL_DSTAS);
	assert_int_equal(f->src_as, 64501);
	assert_int_equal(f->dst_as, 65003);
	assert_std_header(f);
	f = tu_flow(t, 1);		/* 65001..65003, {65004,65005}, [] */
	assert_int_equal(f->src_as, 0);
	assert_int_equal(f->dst_as, 65005);
	assert_true(f->have & FL_SRCAS);
	f = tu_flow(t, 2);
	assert_int_equal(f->src_as, 64510);
	assert_int_equal(f->dst_as, 64500);
	f = tu_flow(t, 3);
	assert_int_equal(f->dst_as, 64500);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 4,
	    .records = 4 });
	tu_free(t);
	free(p);
}

/*
 * HOSTILE SF-7: AS-path segment count or segment length huge (count * 4
 * would overflow 32 bits), communities count huge, next-hop address type
 * unknown.  The gateway record is rejected (or, for communities that are
 * not read, ignored); the rest of the sample stands.
 */
static void
test_gateway_hostile(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	size_t s, r;
	size_t i;

	(void)state;
	sf_hdr(p, "10.0.0.99", 3, 6);
	c.nrec = 2;
	/* 65 segments (cap 64), all present. */
	s = fs_open(p, &c);
	r = gw_open(p, "192.0.2.254", 1, 2);
	pk_u32(p, 65);
	for (i = 0; i < 65; i++) {
		pk_u32(p, 2);
		pk_u32(p, 1);
		pk_u32(p, 65000 + (uint32_t)i);
	}
	pk_u32(p, 0);
	pk_u32(p, 0);
	xdr_close(p, r);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	/* Segment count 0xFFFFFFFF. */
	s = fs_open(p, &c);
	r = gw_open(p, "192.0.2.254", 1, 2);
	pk_u32(p, 0xffffffffu);
	pk_u32(p, 2);
	pk_u32(p, 1);
	pk_u32(p, 65000);
	xdr_close(p, r);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	/* Segment length 0x40000001: times 4 wraps to 4. */
	s = fs_open(p, &c);
	r = gw_open(p, "192.0.2.254", 1, 2);
	pk_u32(p, 1);
	pk_u32(p, 2);
	pk_u32(p, 0x40000001u);
	pk_u32(p, 65000);
	pk_u32(p, 0);
	pk_u32(p, 0);
	xdr_close(p, r);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	/* Segment length one more than the ASes present. */
	s = fs_open(p, &c);
	r = gw_open(p, "192.0.2.254", 1, 2);
	pk_u32(p, 1);
	pk_u32(p, 2);
	pk_u32(p, 3);
	pk_u32(p, 65000);
	pk_u32(p, 65001);
	xdr_close(p, r);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	/* Next hop of address type 3. */
	s = fs_open(p, &c);
	r = rec_open(p, 1003);
	pk_u32(p, 3);
	pk_fill(p, 40, 0);
	xdr_close(p, r);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	/* Communities count 0xFFFFFFFF: never read, the path stands. */
	s = fs_open(p, &c);
	r = gw_open(p, "192.0.2.254", 1, 2);
	pk_u32(p, 1);
	pk_u32(p, 2);
	pk_u32(p, 1);
	pk_u32(p, 65000);
	pk_u32(p, 0xffffffffu);
	pk_u32(p, 7);
	xdr_close(p, r);
	rec_raw_std(p, 0);
	xdr_close(p, s);

	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 6);
	for (i = 0; i < 5; i++) {
		assert_int_equal(tu_flow(t, i)->have, SF_FLOW | SF_L34 |
		    FL_TCPFLAGS | FL_BYTES);
		assert_std_header(tu_flow(t, i));
	}
	assert_int_equal(tu_flow(t, 5)->have & (FL_SRCAS | FL_DSTAS),
	    FL_SRCAS | FL_DSTAS);
	assert_int_equal(tu_flow(t, 5)->src_as, 2);
	assert_int_equal(tu_flow(t, 5)->dst_as, 65000);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 6,
	    .records = 6, .sfl_err_record = 5 });
	tu_free(t);
	free(p);
}

/* ---- counter and discard samples ---------------------------------------- */

static void
assert_generic(const struct flow_rec *f, uint32_t ifindex)
{
	const struct flow_ifctr *c = &f->ctr;

	assert_int_equal(f->kind, FLOW_KIND_COUNTERS);
	assert_int_equal(f->have, SF_BASE);
	assert_int_equal(c->ifindex, ifindex);
	assert_int_equal(c->iftype, 6);
	assert_true(c->ifspeed == 10000000000ULL);
	assert_int_equal(c->ifdirection, 1);
	assert_int_equal(c->ifstatus, 3);
	assert_true(c->in_octets == 0x123456789aULL);
	assert_int_equal(c->in_ucast, 1001);
	assert_int_equal(c->in_mcast, 1002);
	assert_int_equal(c->in_bcast, 1003);
	assert_int_equal(c->in_discards, 1004);
	assert_int_equal(c->in_errors, 1005);
	assert_int_equal(c->in_unknown, 1006);
	assert_true(c->out_octets == 0xfedcba9876ULL);
	assert_int_equal(c->out_ucast, 2001);
	assert_int_equal(c->out_mcast, 2002);
	assert_int_equal(c->out_bcast, 2003);
	assert_int_equal(c->out_discards, 2004);
	assert_int_equal(c->out_errors, 2005);
	assert_int_equal(c->promisc, 1);
}

/*
 * Counter samples: generic interface counters (0:1) become one COUNTERS
 * record, whatever other blocks come before; a sample without them none.
 */
static void
test_counter_samples(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *f;
	size_t s, r;

	(void)state;
	sf_hdr(p, "10.0.0.99", 9, 5);
	s = cs_open(p, 0, 0, 5, 2);
	ctr_ethernet(p);
	ctr_generic(p, 5);
	xdr_close(p, s);
	s = cs_open(p, 1, 0, 0x00abcdef, 1);
	ctr_generic(p, 0x10000);
	xdr_close(p, s);
	/* Only Ethernet counters and a processor block: no record. */
	s = cs_open(p, 0, 0, 6, 2);
	ctr_ethernet(p);
	r = rec_open(p, 1001);
	pk_fill(p, 28, 0);
	xdr_close(p, r);
	xdr_close(p, s);
	/* Two generic blocks: the first counts. */
	s = cs_open(p, 0, 0, 7, 2);
	ctr_generic(p, 7);
	ctr_generic(p, 8);
	xdr_close(p, s);
	/* Generic counters under another enterprise are not ours. */
	s = cs_open(p, 0, 0, 8, 1);
	r = rec_open(p, 4413u << 12 | 1);
	pk_fill(p, 88, 0);
	xdr_close(p, r);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 3);
	assert_int_equal(tu_count(t, FLOW_KIND_COUNTERS), 3);
	assert_int_equal(tu_count(t, FLOW_KIND_FLOW), 0);
	f = &t->recs[0];
	assert_generic(f, 5);
	assert_int_equal(f->type, FLOW_SFLOW5);
	assert_string_equal(tu_addr(&f->exporter), "192.0.2.1");
	assert_int_equal(f->domain, 9);
	assert_int_equal(f->sampler_id, 5);
	assert_true(f->first == NOW_MS && f->last == NOW_MS);
	f = &t->recs[1];
	assert_generic(f, 0x10000);
	assert_int_equal(f->sampler_id, 0x00abcdef);
	assert_generic(&t->recs[2], 7);
	assert_int_equal(t->recs[2].sampler_id, 7);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 5,
	    .counter_records = 3 });
	tu_free(t);
	free(p);
}

/* A generic block shorter than 88 bytes is malformed: no record. */
static void
test_counter_generic_short(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s, r;

	(void)state;
	sf_hdr(p, "10.0.0.99", 9, 2);
	s = cs_open(p, 0, 0, 5, 1);
	r = rec_open(p, 1);
	pk_fill(p, 84, 0x22);
	xdr_close(p, r);
	xdr_close(p, s);
	/* A short block, then a good one: the good one counts. */
	s = cs_open(p, 0, 0, 6, 2);
	r = rec_open(p, 1);
	pk_fill(p, 8, 0x22);
	xdr_close(p, r);
	ctr_generic(p, 6);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 1);
	assert_generic(&t->recs[0], 6);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 2,
	    .counter_records = 1, .sfl_err_record = 2 });
	tu_free(t);
	free(p);
}

/* Discarded-packet samples (format 5) are counted, not flows. */
static void
test_discard_samples(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s;

	(void)state;
	sf_hdr(p, "10.0.0.99", 1, 3);
	s = rec_open(p, 5);
	pk_u32(p, 1);			/* sequence */
	pk_u32(p, 3);			/* source id */
	pk_u32(p, 0);			/* drops */
	pk_u32(p, 5);			/* input */
	pk_u32(p, 1u << 30 | 258);	/* output: discarded, reason */
	pk_u32(p, 1);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	s = rec_open(p, 5);
	xdr_close(p, s);			/* empty: still just counted */
	s = fs_open(p, &fs_std);
	rec_switch(p, 1, 2);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 1);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 3,
	    .sfl_discards = 2, .records = 1 });
	tu_free(t);
	free(p);
}

/* An IPv6 agent address (and an IPv6 socket address as the exporter). */
static void
test_ipv6_agent(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	const struct flow_rec *f;
	size_t s;

	(void)state;
	assert_int_equal(flow_addr_parse(&t->in.exporter, "2001:db8::9"), 0);
	sf_hdr(p, "2001:db8::1", 4, 1);
	assert_int_equal(p->n, 40);
	s = fs_open(p, &fs_std);
	rec_switch(p, 5, 6);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	f = tu_flow(t, 0);
	assert_non_null(f);
	assert_string_equal(tu_addr(&f->exporter), "2001:db8::9");
	assert_int_equal(f->domain, 4);
	assert_std_header(f);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 1,
	    .records = 1 });
	tu_free(t);
	free(p);
}

/* ---- hostile input ------------------------------------------------------- */

/*
 * HOSTILE SF-1: a datagram shorter than its fixed header (IPv4 or IPv6
 * agent, cut at every byte), and agent address types other than 1 and 2,
 * are dropped as malformed; under 4 bytes the dispatcher calls it short.
 */
static void
test_header_short_or_bad(void **state)
{
	static const char *agents[] = { "10.0.0.99", "2001:db8::1" };
	struct pk *p = pk_new();
	struct tu *t;
	size_t a, cut, hdr;
	uint32_t atype;

	(void)state;
	for (a = 0; a < 2; a++) {
		t = tu_new();
		p->n = 0;
		sf_hdr(p, agents[a], 1, 0);
		hdr = p->n;
		assert_int_equal(hdr, a ? 40 : 28);
		for (cut = 0; cut < hdr; cut++)
			assert_int_equal(tu_feed(t, p->b, cut),
			    cut < 4 ? DEC_SHORT : DEC_MALFORMED);
		assert_int_equal(t->n, 0);
		st_check(t, &(struct dec_stats){ .err_short = 4,
		    .err_header = hdr - 4 });
		/* The whole header with no samples is a good datagram. */
		assert_int_equal(tu_feed(t, p->b, hdr), DEC_OK);
		assert_int_equal(t->ctx.st.dgram_sflow, 1);
		tu_free(t);
	}
	/* Address types 0, 3, 0xFFFFFFFF with plenty of bytes after them. */
	t = tu_new();
	for (atype = 0; atype < 5; atype++) {
		if (atype == 1 || atype == 2)
			continue;
		p->n = 0;
		sf_hdr(p, "2001:db8::1", 1, 1);
		pk_put32(p, 4, atype == 4 ? 0xffffffffu : atype);
		pk_fill(p, 100, 0);
		assert_int_equal(tu_feed(t, p->b, p->n), DEC_MALFORMED);
	}
	assert_int_equal(t->n, 0);
	st_check(t, &(struct dec_stats){ .err_header = 3 });
	tu_free(t);
	free(p);
}

/*
 * HOSTILE SF-2: num_samples 0xFFFFFFFF with one sample behind it decodes
 * that sample and stops at the end; with more than 1024 samples present,
 * 1024 are decoded and the datagram is counted as cut.
 */
static void
test_num_samples_huge(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s, i;

	(void)state;
	sf_hdr(p, "10.0.0.99", 1, 0xffffffffu);
	s = fs_open(p, &fs_std);
	rec_switch(p, 1, 2);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->n, 1);
	assert_std_header(tu_flow(t, 0));
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 1,
	    .records = 1, .sfl_err_sample = 1 });
	tu_free(t);

	/* 1100 empty discard samples (8 bytes each). */
	t = tu_new();
	p->n = 0;
	sf_hdr(p, "10.0.0.99", 1, 0xffffffffu);
	for (i = 0; i < 1100; i++) {
		pk_u32(p, 5);
		pk_u32(p, 0);
	}
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1,
	    .sfl_samples = 1024, .sfl_discards = 1024,
	    .err_record_budget = 1 });
	/* Exactly 1024 declared and present: all of them, no cut. */
	p->n = 0;
	sf_hdr(p, "10.0.0.99", 1, 1024);
	for (i = 0; i < 1024; i++) {
		pk_u32(p, 5);
		pk_u32(p, 0);
	}
	memset(&t->ctx.st, 0, sizeof(t->ctx.st));
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1,
	    .sfl_samples = 1024, .sfl_discards = 1024 });
	tu_free(t);
	free(p);
}

/*
 * HOSTILE SF-3: a sample longer than what is left stops the datagram; a
 * sample shorter than its format's minimum is counted and the next one is
 * still found by length; a record longer than its sample stops the sample.
 */
static void
test_sample_lengths(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	size_t s, at;

	(void)state;
	/* Sample length beyond the datagram, after one good sample. */
	sf_hdr(p, "10.0.0.99", 1, 2);
	s = fs_open(p, &fs_std);
	rec_switch(p, 1, 2);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	at = p->n;
	s = fs_open(p, &fs_std);
	rec_switch(p, 1, 2);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	pk_put32(p, at + 4, (uint32_t)(p->n - at - 8 + 1));
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->n, 1);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 1,
	    .records = 1, .sfl_err_sample = 1 });
	tu_free(t);

	/* Too short for a flow, an expanded flow and a counter sample. */
	t = tu_new();
	p->n = 0;
	sf_hdr(p, "10.0.0.99", 1, 4);
	s = rec_open(p, 1);
	pk_fill(p, 28, 0);		/* one word short of nrec */
	xdr_close(p, s);
	s = rec_open(p, 3);
	pk_fill(p, 40, 0);		/* one word short of nrec */
	xdr_close(p, s);
	s = rec_open(p, 2);
	pk_fill(p, 4, 0);
	xdr_close(p, s);
	s = fs_open(p, &fs_std);
	rec_switch(p, 1, 2);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->n, 1);
	assert_std_header(tu_flow(t, 0));
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 4,
	    .records = 1, .sfl_err_sample = 3 });
	tu_free(t);

	/* A record running past its sample: what came before it stands. */
	t = tu_new();
	p->n = 0;
	sf_hdr(p, "10.0.0.99", 1, 2);
	s = fs_open(p, &fs_std);
	rec_switch(p, 33, 2);
	at = p->n;
	rec_raw_std(p, 0);
	pk_put32(p, at + 4, 4000);
	xdr_close(p, s);
	s = fs_open(p, &fs_std);
	rec_switch(p, 1, 2);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->n, 2);
	assert_int_equal(tu_flow(t, 0)->have, SF_FLOW | FL_VLAN);
	assert_int_equal(tu_flow(t, 0)->vlan, 33);
	assert_std_header(tu_flow(t, 1));
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 2,
	    .records = 2, .sfl_err_record = 1, .sfl_len_mismatch = 1 });
	tu_free(t);
	free(p);
}

/*
 * HOSTILE SF-4: records that do not fill their sample (vendor off-by-4,
 * or fewer records declared than present) are counted; the next sample is
 * found by the sample length.
 */
static void
test_records_short_of_sample(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	size_t s;

	(void)state;
	sf_hdr(p, "10.0.0.99", 1, 3);
	s = fs_open(p, &fs_std);
	rec_switch(p, 1, 2);
	rec_raw_std(p, 0);
	pk_u32(p, 0xdeadbeef);		/* 4 stray bytes inside the sample */
	xdr_close(p, s);
	c.nrec = 1;			/* two records, one declared */
	s = fs_open(p, &c);
	rec_raw_std(p, 0);
	rec_switch(p, 9, 9);
	xdr_close(p, s);
	s = cs_open(p, 0, 0, 5, 1);
	ctr_generic(p, 5);
	pk_u32(p, 0);			/* the same in a counter sample */
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 3);
	assert_std_header(tu_flow(t, 0));
	assert_int_equal(tu_flow(t, 0)->vlan, 1);
	assert_std_header(tu_flow(t, 1));
	assert_int_equal(tu_flow(t, 1)->have & FL_VLAN, 0);
	assert_generic(&t->recs[2], 5);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 3,
	    .records = 2, .counter_records = 1, .sfl_len_mismatch = 3 });
	tu_free(t);
	free(p);
}

/*
 * HOSTILE SF-5: record count 0xFFFFFFFF in every sample type is bounded
 * by the bytes present; more than 256 records are not walked.
 */
static void
test_record_count_huge(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	struct fxsamp x = { .src_type = 0, .src_index = 1, .rate = 10,
	    .nrec = 0xffffffffu };
	size_t s, i;

	(void)state;
	sf_hdr(p, "10.0.0.99", 1, 4);
	c.nrec = 0xffffffffu;
	s = fs_open(p, &c);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	s = fsx_open(p, &x);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	s = cs_open(p, 0, 0, 5, 0xffffffffu);
	ctr_generic(p, 5);
	xdr_close(p, s);
	s = cs_open(p, 1, 0, 6, 0xffffffffu);
	ctr_generic(p, 6);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(tu_count(t, FLOW_KIND_FLOW), 2);
	assert_int_equal(tu_count(t, FLOW_KIND_COUNTERS), 2);
	assert_std_header(tu_flow(t, 0));
	assert_std_header(tu_flow(t, 1));
	assert_int_equal(tu_flow(t, 1)->sampling, 10);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 4,
	    .records = 2, .counter_records = 2, .sfl_err_record = 4,
	    .sfl_len_mismatch = 4 });
	tu_free(t);

	/* 300 empty records of a known format, 300 declared: 256 walked. */
	t = tu_new();
	p->n = 0;
	sf_hdr(p, "10.0.0.99", 1, 1);
	c.nrec = 300;
	s = fs_open(p, &c);
	rec_raw_std(p, 0);
	for (i = 1; i < 300; i++) {
		pk_u32(p, 1002);	/* extended router, skipped */
		pk_u32(p, 0);
	}
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 1);
	assert_std_header(tu_flow(t, 0));
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 1,
	    .records = 1, .sfl_len_mismatch = 1 });
	tu_free(t);
	free(p);
}

/*
 * HOSTILE SF-6: unknown enterprise or format of sample and of record, and
 * an unknown header_protocol, are skipped by length and counted; the rest
 * of the datagram is decoded.
 */
static void
test_unknown_formats(void **state)
{
	struct pk *p = pk_new(), *fr = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	size_t s;

	(void)state;
	frame_v4(fr, 0);
	sf_hdr(p, "10.0.0.99", 1, 5);
	s = rec_open(p, 4413u << 12 | 1);	/* vendor sample */
	pk_fill(p, 40, 0xff);
	xdr_close(p, s);
	s = rec_open(p, 6);			/* unassigned standard */
	pk_fill(p, 12, 0xff);
	xdr_close(p, s);
	s = rec_open(p, 4096);			/* enterprise 1, format 0 */
	xdr_close(p, s);
	c.nrec = 5;
	s = fs_open(p, &c);
	{
		size_t r = rec_open(p, 4413u << 12 | 1);

		pk_fill(p, 20, 0xff);
		xdr_close(p, r);
		r = rec_open(p, 999);
		pk_fill(p, 8, 0xff);
		xdr_close(p, r);
		r = rec_open(p, 2);		/* sampled Ethernet: known */
		pk_fill(p, 24, 0);
		xdr_close(p, r);
		rec_raw(p, 0xffffffffu, 1500, 0, fr, FR_LEN);
		rec_switch(p, 11, 12);
		xdr_close(p, s);
	}
	s = fs_open(p, &fs_std);
	rec_switch(p, 1, 2);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 2);
	assert_int_equal(tu_flow(t, 0)->have, SF_FLOW | FL_BYTES | FL_VLAN);
	assert_int_equal(tu_flow(t, 0)->bytes, 1500);
	assert_int_equal(tu_flow(t, 0)->vlan, 11);
	assert_std_header(tu_flow(t, 1));
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 5,
	    .records = 2, .sfl_unknown_sample = 3, .sfl_unknown_record = 2,
	    .sfl_hdr_undecoded = 1 });
	tu_free(t);
	free(fr);
	free(p);
}

/*
 * HOSTILE SF-8: MPLS and VLAN tunnel records with huge stack depths are
 * known formats the decoder does not need: skipped by their length.  (The
 * label stack inside a raw header is pkthdr's, RH-3.)
 */
static void
test_tunnel_stacks_skipped(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	size_t s, r;

	(void)state;
	sf_hdr(p, "10.0.0.99", 1, 1);
	c.nrec = 4;
	s = fs_open(p, &c);
	r = rec_open(p, 1006);		/* extended MPLS */
	xdr_addr(p, "192.0.2.1");
	pk_u32(p, 0xffffffffu);		/* in label stack depth */
	pk_u32(p, 16);
	xdr_close(p, r);
	r = rec_open(p, 1012);		/* extended VLAN tunnel */
	pk_u32(p, 0x40000001u);		/* stack depth, * 4 wraps */
	pk_u32(p, 0x81000064u);
	xdr_close(p, r);
	rec_switch(p, 64, 65);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 1);
	assert_std_header(tu_flow(t, 0));
	assert_int_equal(tu_flow(t, 0)->vlan, 64);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 1,
	    .records = 1 });
	tu_free(t);
	free(p);

	/* A raw header whose MPLS stack never ends: addresses undecoded. */
	p = pk_new();
	t = tu_new();
	{
		struct pk *fr = pk_new();
		int i;

		for (i = 0; i < 32; i++)
			pk_u32(fr, (uint32_t)(100 + i) << 12 | 64);
		sf_hdr(p, "10.0.0.99", 1, 1);
		c.nrec = 1;
		s = fs_open(p, &c);
		rec_raw(p, 13, 1500, 0, fr, (uint32_t)fr->n);
		xdr_close(p, s);
		free(fr);
	}
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(tu_flow(t, 0)->have, SF_FLOW | FL_BYTES | FL_MPLS);
	assert_int_equal(tu_flow(t, 0)->mpls, 100);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 1,
	    .records = 1, .sfl_hdr_undecoded = 1 });
	tu_free(t);
	free(p);
}

/*
 * HOSTILE SF-9: header_length beyond the record is clamped to the record
 * (and counted); 0 gives nothing to decode; more than frame_length, or
 * stripped more than frame_length, is inconsistent and the header is not
 * used; a header not padded to 4 bytes is taken as its record says.
 */
static void
test_raw_header_lengths(void **state)
{
	struct pk *p = pk_new(), *fr = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	const struct flow_rec *f;
	size_t s, r, i;

	(void)state;
	frame_v4(fr, 0);
	sf_hdr(p, "10.0.0.99", 1, 6);
	c.nrec = 1;
	/* 1: hlen 128 claimed, 64 bytes in the record: clamped, decoded. */
	s = fs_open(p, &c);
	r = rec_open(p, 1);
	pk_u32(p, 1);
	pk_u32(p, 1518);
	pk_u32(p, 4);
	pk_u32(p, 128);
	for (i = 0; i < FR_LEN; i++)
		pk_u8(p, fr->b[i]);
	xdr_close(p, r);
	xdr_close(p, s);
	/* 2: hlen 0. */
	s = fs_open(p, &c);
	rec_raw(p, 1, 1518, 4, fr, 0);
	xdr_close(p, s);
	/* 3: hlen 64 > frame_length 60. */
	s = fs_open(p, &c);
	rec_raw(p, 1, 60, 0, fr, FR_LEN);
	xdr_close(p, s);
	/* 4: stripped 2000 > frame_length 1518. */
	s = fs_open(p, &c);
	rec_raw(p, 1, 1518, 2000, fr, FR_LEN);
	xdr_close(p, s);
	/* 5: 61 bytes, record of 77 bytes (no padding), then a switch rec. */
	c.nrec = 2;
	s = fs_open(p, &c);
	r = rec_open(p, 1);
	pk_u32(p, 1);
	pk_u32(p, 61);
	pk_u32(p, 0);
	pk_u32(p, 61);
	for (i = 0; i < 61; i++)
		pk_u8(p, fr->b[i]);
	xdr_close(p, r);
	rec_switch(p, 5, 6);
	xdr_close(p, s);
	/* 6: hlen equal to frame_length (nothing stripped): fine. */
	c.nrec = 1;
	s = fs_open(p, &c);
	rec_raw(p, 1, FR_LEN, 0, fr, FR_LEN);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 6);

	f = tu_flow(t, 0);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_TCPFLAGS | FL_BYTES);
	assert_std_header(f);
	f = tu_flow(t, 1);
	assert_int_equal(f->have, SF_FLOW | FL_BYTES);
	assert_int_equal(f->bytes, 1518);
	f = tu_flow(t, 2);
	assert_int_equal(f->have, SF_FLOW);
	f = tu_flow(t, 3);
	assert_int_equal(f->have, SF_FLOW);
	f = tu_flow(t, 4);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_TCPFLAGS | FL_BYTES |
	    FL_VLAN);
	assert_int_equal(f->bytes, 61);
	assert_int_equal(f->sport, 40000);
	assert_int_equal(f->vlan, 5);
	f = tu_flow(t, 5);
	assert_int_equal(f->have, SF_FLOW | SF_L34 | FL_TCPFLAGS | FL_BYTES);
	assert_int_equal(f->bytes, FR_LEN);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 6,
	    .records = 6, .sfl_err_record = 3, .sfl_hdr_undecoded = 1 });
	tu_free(t);
	free(fr);
	free(p);
}

/*
 * HOSTILE SF-10: sampling rate 0 is counted and leaves the rate out (never
 * 1:0); 2^32-1 is passed on as it is; sample_pool going backwards is
 * passed on unchanged and counted (test_pool_back).
 */
static void
test_sampling_rate_extremes(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct fsamp c = fs_std;
	struct fxsamp x = { .src_type = 0, .src_index = 1, .rate = 0,
	    .pool = 5, .nrec = 0 };
	size_t s;

	(void)state;
	sf_hdr(p, "10.0.0.99", 1, 3);
	c.rate = 0;
	c.pool = 1000;
	c.nrec = 0;
	s = fs_open(p, &c);
	xdr_close(p, s);
	c.rate = 0xffffffffu;
	c.pool = 999;			/* backwards */
	s = fs_open(p, &c);
	xdr_close(p, s);
	s = fsx_open(p, &x);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 3);
	assert_int_equal(tu_flow(t, 0)->have & FL_SAMPLING, 0);
	assert_int_equal(tu_flow(t, 0)->sampling, 0);
	assert_int_equal(tu_flow(t, 0)->sample_pool, 1000);
	assert_int_equal(tu_flow(t, 1)->have & FL_SAMPLING, FL_SAMPLING);
	assert_int_equal(tu_flow(t, 1)->sampling, 0xffffffffu);
	assert_int_equal(tu_flow(t, 1)->sample_pool, 999);
	assert_int_equal(tu_flow(t, 2)->have & FL_SAMPLING, 0);
	assert_int_equal(tu_flow(t, 2)->packets, 1);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 3,
	    .records = 3, .sfl_bad_rate = 2, .sfl_pool_back = 1 });
	tu_free(t);
	free(p);
}

/* One datagram from exporter ex, sub-agent sub: one sample per pool. */
static void
pool_dgram(struct tu *t, const char *ex, uint32_t sub, uint32_t src_id,
    const uint32_t *pool, size_t n)
{
	struct pk *p = pk_new();
	struct fsamp c = fs_std;
	size_t i, s;

	assert_int_equal(flow_addr_parse(&t->in.exporter, ex), 0);
	sf_hdr(p, "10.0.0.99", sub, (uint32_t)n);
	for (i = 0; i < n; i++) {
		c.src_id = src_id;
		c.pool = pool[i];
		c.nrec = 0;
		s = fs_open(p, &c);
		xdr_close(p, s);
	}
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	free(p);
}

/*
 * SF-10: a data source's sample_pool only grows, modulo 2^32.  Going back
 * is counted per source (exporter, sub-agent, source id), within a
 * datagram and across datagrams; a wrap past 2^32 is growth; the records
 * keep the pool they came with.
 */
static void
test_pool_back(void **state)
{
	struct tu *t = tu_new();
	const uint32_t grow[] = { 100, 200, 300 };
	const uint32_t wrap[] = { 0xfffffff0u, 0x10, 0x20 };
	const uint32_t back[] = { 250, 260 };

	(void)state;
	pool_dgram(t, "192.0.2.1", 0, 1, grow, 3);
	pool_dgram(t, "192.0.2.1", 0, 2, wrap, 3);	/* another source */
	assert_int_equal(t->ctx.st.sfl_pool_back, 0);
	pool_dgram(t, "192.0.2.1", 1, 1, back, 2);	/* another sub-agent */
	pool_dgram(t, "192.0.2.2", 0, 1, back, 2);	/* another exporter */
	assert_int_equal(t->ctx.st.sfl_pool_back, 0);
	pool_dgram(t, "192.0.2.1", 0, 1, back, 2);	/* 300 -> 250: back */
	assert_int_equal(t->ctx.st.sfl_pool_back, 1);
	assert_int_equal(tu_flow(t, t->n - 2)->sample_pool, 250);
	pool_dgram(t, "192.0.2.1", 0, 2, grow, 3);	/* 0x20 -> 100: on */
	assert_int_equal(t->ctx.st.sfl_pool_back, 1);
	pool_dgram(t, "192.0.2.1", 0, 2, back, 2);	/* 300 -> 250 */
	assert_int_equal(t->ctx.st.sfl_pool_back, 2);
	assert_int_equal(t->ctx.st.sfl_samples, 17);
	tu_free(t);

	/* template_key_port: agents behind one NAT address, by port. */
	{
		struct dec_limits lim;

		memset(&lim, 0, sizeof(lim));
		lim.key_port = 1;
		t = tu_new_lim(&lim);
		t->in.port = 1000;
		pool_dgram(t, "192.0.2.1", 0, 1, grow, 3);
		t->in.port = 1001;
		pool_dgram(t, "192.0.2.1", 0, 1, back, 2);
		assert_int_equal(t->ctx.st.sfl_pool_back, 0);
		t->in.port = 1000;
		pool_dgram(t, "192.0.2.1", 0, 1, back, 2);
		assert_int_equal(t->ctx.st.sfl_pool_back, 1);
		tu_free(t);
	}
}

/*
 * HOSTILE SF-11: the exporter is the socket's address whatever the agent
 * address says, for either family on either side.
 */
static void
test_agent_not_identity(void **state)
{
	static const struct {
		const char	*sock, *agent;
	} cases[] = {
		{ "192.0.2.1", "192.0.2.2" },
		{ "192.0.2.1", "2001:db8::2" },
		{ "2001:db8::1", "192.0.2.1" },
		{ "198.51.100.1", "0.0.0.0" },
	};
	struct pk *p = pk_new();
	struct tu *t;
	size_t i, s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = tu_new();
		assert_int_equal(flow_addr_parse(&t->in.exporter,
		    cases[i].sock), 0);
		p->n = 0;
		sf_hdr(p, cases[i].agent, 1, 2);
		s = fs_open(p, &fs_std);
		rec_switch(p, 1, 2);
		rec_raw_std(p, 0);
		xdr_close(p, s);
		s = cs_open(p, 0, 0, 3, 1);
		ctr_generic(p, 3);
		xdr_close(p, s);
		assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
		assert_int_equal(t->n, 2);
		assert_string_equal(tu_addr(&t->recs[0].exporter),
		    cases[i].sock);
		assert_string_equal(tu_addr(&t->recs[1].exporter),
		    cases[i].sock);
		tu_free(t);
	}
	free(p);
}

/*
 * The per-datagram record budget: records beyond it are dropped, the
 * datagram is counted once as cut, and no further sample is walked.
 */
static void
test_record_budget(void **state)
{
	struct dec_limits lim;
	struct pk *p = pk_new();
	struct tu *t;
	size_t s, i;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.record_budget = 2;
	t = tu_new_lim(&lim);
	sf_hdr(p, "10.0.0.99", 1, 5);
	for (i = 0; i < 4; i++) {
		s = fs_open(p, &fs_std);
		rec_switch(p, (uint32_t)i, 0);
		rec_raw_std(p, 0);
		xdr_close(p, s);
	}
	s = cs_open(p, 0, 0, 3, 1);
	ctr_generic(p, 3);
	xdr_close(p, s);
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->n, 2);
	assert_int_equal(tu_flow(t, 0)->vlan, 0);
	assert_int_equal(tu_flow(t, 1)->vlan, 1);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 3,
	    .records = 2, .err_record_budget = 1 });
	/* Exactly at the budget: nothing cut. */
	p->n = 0;
	sf_hdr(p, "10.0.0.99", 1, 2);
	for (i = 0; i < 2; i++) {
		s = fs_open(p, &fs_std);
		rec_switch(p, (uint32_t)i, 0);
		rec_raw_std(p, 0);
		xdr_close(p, s);
	}
	memset(&t->ctx.st, 0, sizeof(t->ctx.st));
	t->n = 0;
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	assert_int_equal(t->n, 2);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 2,
	    .records = 2 });
	/* One over, as the last sample: still counted as cut. */
	p->n = 0;
	sf_hdr(p, "10.0.0.99", 1, 3);
	for (i = 0; i < 3; i++) {
		s = fs_open(p, &fs_std);
		rec_switch(p, (uint32_t)i, 0);
		rec_raw_std(p, 0);
		xdr_close(p, s);
	}
	memset(&t->ctx.st, 0, sizeof(t->ctx.st));
	t->n = 0;
	assert_int_equal(tu_feed(t, p->b, p->n), DEC_PARTIAL);
	assert_int_equal(t->n, 2);
	st_check(t, &(struct dec_stats){ .dgram_sflow = 1, .sfl_samples = 3,
	    .records = 2, .err_record_budget = 1 });
	tu_free(t);
	free(p);
}

/*
 * HOSTILE SF-1, SF-3: a datagram with every sample type, cut at every
 * byte: never a read past the cut (ASan), never more records than whole,
 * and every cut that loses bytes of a declared sample is partial.
 */
static void
test_truncation_sweep(void **state)
{
	struct pk *p = pk_new();
	struct tu *t = tu_new();
	struct fxsamp x = { .src_type = 0, .src_index = 1, .rate = 10,
	    .in_val = 1, .out_val = 2, .nrec = 2 };
	static const uint32_t path[] = { 2, 1 };
	struct fsamp c = fs_std;
	size_t s, cut, whole, hdr;
	enum dec_status st;

	(void)state;
	sf_hdr(p, "2001:db8::1", 1, 4);
	hdr = p->n;
	c.nrec = 4;
	s = fs_open(p, &c);
	rec_switch(p, 1, 2);
	rec_gateway(p, "192.0.2.254", 64500, 64501, path, 2, 1);
	rec_sampled(p, 100, 17, "192.0.2.8", "192.0.2.9", 1, 2, 0, 0);
	rec_raw_std(p, 7);
	xdr_close(p, s);
	s = fsx_open(p, &x);
	rec_sampled(p, 100, 6, "2001:db8::8", "2001:db8::9", 1, 2, 2, 0);
	rec_raw_std(p, 0);
	xdr_close(p, s);
	s = cs_open(p, 0, 0, 3, 2);
	ctr_ethernet(p);
	ctr_generic(p, 3);
	xdr_close(p, s);
	s = rec_open(p, 5);
	pk_fill(p, 16, 0);
	xdr_close(p, s);

	assert_int_equal(tu_feed(t, p->b, p->n), DEC_OK);
	whole = t->n;
	assert_int_equal(whole, 3);
	for (cut = 0; cut < p->n; cut++) {
		t->n = 0;
		st = tu_feed(t, p->b, cut);
		if (cut < 4)
			assert_int_equal(st, DEC_SHORT);
		else if (cut < hdr)
			assert_int_equal(st, DEC_MALFORMED);
		else
			assert_int_equal(st, DEC_PARTIAL);
		assert_true(t->n <= whole);
	}
	tu_free(t);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_sample),
		cmocka_unit_test(test_flow_sample_expanded),
		cmocka_unit_test(test_interface_formats),
		cmocka_unit_test(test_sampled_ip_records),
		cmocka_unit_test(test_undecoded_header_falls_back),
		cmocka_unit_test(test_sampled_ip_malformed),
		cmocka_unit_test(test_vlan_and_first_header),
		cmocka_unit_test(test_extended_gateway),
		cmocka_unit_test(test_gateway_hostile),
		cmocka_unit_test(test_counter_samples),
		cmocka_unit_test(test_counter_generic_short),
		cmocka_unit_test(test_discard_samples),
		cmocka_unit_test(test_ipv6_agent),
		cmocka_unit_test(test_header_short_or_bad),
		cmocka_unit_test(test_num_samples_huge),
		cmocka_unit_test(test_sample_lengths),
		cmocka_unit_test(test_records_short_of_sample),
		cmocka_unit_test(test_record_count_huge),
		cmocka_unit_test(test_unknown_formats),
		cmocka_unit_test(test_tunnel_stacks_skipped),
		cmocka_unit_test(test_raw_header_lengths),
		cmocka_unit_test(test_sampling_rate_extremes),
		cmocka_unit_test(test_pool_back),
		cmocka_unit_test(test_agent_not_identity),
		cmocka_unit_test(test_record_budget),
		cmocka_unit_test(test_truncation_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
