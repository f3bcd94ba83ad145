/*
 * test_dispatch.c - dec_datagram(): telling the protocol from the bytes.
 *
 * sFlow carries a 32-bit version (00 00 00 05), NetFlow and IPFIX a 16-bit
 * one (00 05, 00 09, 00 0a).  Every port takes every protocol.  Versions we
 * do not decode (NetFlow 1/7/8, sFlow 2/4, anything else) are counted per
 * version and dropped before any state is created; payloads shorter than a
 * version field, or than the protocol's header, are dropped as short
 * (HOSTILE T1, T3).  Every datagram is fed from an exact-size heap copy
 * (tu_feed), so ASan sees any read past its end.
 */
#include <arpa/inet.h>

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

/* Counters that must stay zero after a dropped datagram. */
static void
assert_no_state(const struct tu *t)
{
	assert_int_equal(t->n, 0);
	assert_int_equal(t->ctx.st.records, 0);
	assert_int_equal(t->ctx.st.dgram_nf5, 0);
	assert_int_equal(t->ctx.st.dgram_nf9, 0);
	assert_int_equal(t->ctx.st.dgram_ipfix, 0);
	assert_int_equal(t->ctx.st.dgram_sflow, 0);
	assert_int_equal(t->ctx.st.tmpl_added, 0);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
}

/* A NetFlow v5 header with count 1 and one record. */
static void
mk_nf5(struct pk *p, uint16_t version)
{
	p->n = 0;
	pk_u16(p, version);
	pk_u16(p, 1);			/* count */
	pk_u32(p, 100000);		/* sysUptime */
	pk_u32(p, 1700000000);		/* unix_secs */
	pk_u32(p, 0);			/* unix_nsecs */
	pk_u32(p, 1);			/* sequence */
	pk_u32(p, 0);			/* engine type, id, sampling */
	pk_u32(p, 0x0a000001);		/* src 10.0.0.1 */
	pk_u32(p, 0x0a000002);		/* dst 10.0.0.2 */
	pk_fill(p, 4, 0);		/* next hop */
	pk_u16(p, 1);
	pk_u16(p, 2);
	pk_u32(p, 10);			/* packets */
	pk_u32(p, 1000);		/* bytes */
	pk_u32(p, 90000);
	pk_u32(p, 99000);
	pk_u16(p, 1234);
	pk_u16(p, 80);
	pk_u8(p, 0);
	pk_u8(p, 0x12);
	pk_u8(p, 6);
	pk_u8(p, 0);
	pk_fill(p, 8, 0);		/* AS, masks, pad */
	assert_int_equal(p->n, 24 + 48);
}

/*
 * A NetFlow v9 (version 9) or IPFIX (version 10) message with one template
 * (id 256: sourceIPv4Address, destinationIPv4Address) and one data record.
 */
static void
mk_tmpl_msg(struct pk *p, uint16_t version)
{
	size_t len_at;

	p->n = 0;
	pk_u16(p, version);
	len_at = p->n;
	pk_u16(p, 2);			/* v9 count / IPFIX length */
	if (version == 9)
		pk_u32(p, 100000);	/* sysUptime */
	pk_u32(p, 1700000000);		/* export time */
	pk_u32(p, 7);			/* sequence */
	pk_u32(p, 1);			/* source id / observation domain */
	pk_u16(p, version == 9 ? 0 : 2);	/* template set */
	pk_u16(p, 16);
	pk_u16(p, 256);
	pk_u16(p, 2);
	pk_u16(p, 8);
	pk_u16(p, 4);
	pk_u16(p, 12);
	pk_u16(p, 4);
	pk_u16(p, 256);			/* data set */
	pk_u16(p, 12);
	pk_u32(p, 0xc6336401);		/* 198.51.100.1 */
	pk_u32(p, 0xcb007105);		/* 203.0.113.5 */
	if (version == 10)
		pk_put16(p, len_at, (uint32_t)p->n);
}

/* An sFlow datagram header (IPv4 agent) with no samples. */
static void
mk_sflow(struct pk *p, uint32_t version)
{
	p->n = 0;
	pk_u32(p, version);
	pk_u32(p, 1);			/* agent address type IPv4 */
	pk_u32(p, 0xc0000201);		/* agent 192.0.2.1 */
	pk_u32(p, 0);			/* sub agent */
	pk_u32(p, 1);			/* sequence */
	pk_u32(p, 1000);		/* uptime */
	pk_u32(p, 0);			/* samples */
}

/* HOSTILE T1: 0..3 bytes, and a NULL buffer, are short. */
static void
test_dispatch_tiny(void **state)
{
	static const uint8_t b[3] = { 0x00, 0x05, 0x00 };
	struct tu *t = tu_new();
	size_t len;

	(void)state;
	for (len = 0; len <= 3; len++) {
		assert_int_equal(tu_feed(t, b, len), DEC_SHORT);
		assert_int_equal(t->ctx.st.err_short, len + 1);
	}
	/* A NULL buffer whatever length is claimed. */
	assert_int_equal(dec_datagram(&t->ctx, &t->in, NULL, 100), DEC_SHORT);
	assert_int_equal(t->ctx.st.err_short, 5);
	assert_int_equal(t->ctx.st.err_version, 0);
	assert_no_state(t);
	tu_free(t);
}

/*
 * HOSTILE T1: a payload with a known version but shorter than that
 * protocol's header is dropped, for every length from 4 up to one byte
 * short of the header.
 */
static void
test_dispatch_short_headers(void **state)
{
	struct pk p;
	struct tu *t;
	size_t len;
	uint64_t n;

	(void)state;
	/* NetFlow v5: 24-byte header. */
	t = tu_new();
	mk_nf5(&p, 5);
	for (len = 4, n = 0; len < 24; len++, n++) {
		assert_int_equal(tu_feed(t, p.b, len), DEC_SHORT);
		assert_int_equal(t->ctx.st.err_short, n + 1);
	}
	assert_no_state(t);
	tu_free(t);

	/* NetFlow v9: 20-byte header. */
	t = tu_new();
	mk_tmpl_msg(&p, 9);
	for (len = 4, n = 0; len < 20; len++, n++) {
		assert_int_equal(tu_feed(t, p.b, len), DEC_SHORT);
		assert_int_equal(t->ctx.st.err_short, n + 1);
	}
	assert_no_state(t);
	tu_free(t);

	/* IPFIX: 16-byte header. */
	t = tu_new();
	mk_tmpl_msg(&p, 10);
	for (len = 4, n = 0; len < 16; len++, n++) {
		assert_int_equal(tu_feed(t, p.b, len), DEC_SHORT);
		assert_int_equal(t->ctx.st.err_short, n + 1);
	}
	assert_no_state(t);
	tu_free(t);

	/*
	 * sFlow: 28-byte header with an IPv4 agent.  sflow.c counts a cut
	 * header as err_header; either counter is a drop, and exactly one
	 * moves per datagram.
	 */
	t = tu_new();
	mk_sflow(&p, 5);
	for (len = 4, n = 0; len < 28; len++, n++) {
		assert_int_not_equal(tu_feed(t, p.b, len), DEC_OK);
		assert_int_equal(t->ctx.st.err_short + t->ctx.st.err_header,
		    n + 1);
	}
	assert_int_equal(t->ctx.st.err_version, 0);
	assert_no_state(t);
	tu_free(t);
}

/* The 32-bit sFlow version is tested before the 16-bit NetFlow one. */
static void
test_dispatch_sflow_vs_netflow(void **state)
{
	struct pk p;
	struct tu *t = tu_new();

	(void)state;
	mk_sflow(&p, 5);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(t->ctx.st.dgram_sflow, 1);
	assert_int_equal(t->ctx.st.dgram_nf5, 0);
	assert_int_equal(t->ctx.st.err_version, 0);

	/* 00 05 00 01: 16-bit version 5, never read as sFlow. */
	mk_nf5(&p, 5);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(t->ctx.st.dgram_nf5, 1);
	assert_int_equal(t->ctx.st.dgram_sflow, 1);
	assert_int_equal(t->ctx.st.records, 1);
	assert_int_equal(tu_flow(t, 0)->type, FLOW_NF5);

	mk_tmpl_msg(&p, 9);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(t->ctx.st.dgram_nf9, 1);
	assert_int_equal(tu_flow(t, 1)->type, FLOW_NF9);

	mk_tmpl_msg(&p, 10);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(t->ctx.st.dgram_ipfix, 1);
	assert_int_equal(tu_flow(t, 2)->type, FLOW_IPFIX);

	assert_int_equal(t->ctx.st.records, 3);
	assert_int_equal(t->ctx.st.err_version, 0);
	assert_int_equal(t->ctx.st.err_short, 0);
	tu_free(t);
}

/*
 * HOSTILE T3: unsupported versions are counted per version and dropped,
 * and no template from their bytes is ever stored.
 */
static void
test_dispatch_old_versions(void **state)
{
	struct pk p;
	struct tu *t = tu_new();

	(void)state;
	mk_nf5(&p, 1);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	assert_int_equal(t->ctx.st.ver_nf1, 1);
	mk_nf5(&p, 7);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	assert_int_equal(t->ctx.st.ver_nf7, 1);
	/* A v9 message with a template, relabelled v8: nothing kept. */
	mk_tmpl_msg(&p, 8);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	assert_int_equal(t->ctx.st.ver_nf8, 1);
	/*
	 * 16-bit version 0 followed by count 2 reads 00 00 00 02: that is
	 * sFlow v2 by its 32-bit version, and counted as such.
	 */
	mk_tmpl_msg(&p, 0);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	assert_int_equal(t->ctx.st.ver_sflow_old, 1);
	/* 32-bit version 0. */
	mk_sflow(&p, 0);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	/* sFlow v2 and v4 (32-bit versions). */
	mk_sflow(&p, 2);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	mk_sflow(&p, 4);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	assert_int_equal(t->ctx.st.ver_sflow_old, 3);
	/* 32-bit 3 and 6 are not sFlow we know; 16-bit they are version 0. */
	mk_sflow(&p, 3);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	mk_sflow(&p, 6);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	/* Other 16-bit versions. */
	mk_tmpl_msg(&p, 6);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	mk_tmpl_msg(&p, 11);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	mk_tmpl_msg(&p, 0xffff);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_VERSION);
	/* Exactly 4 bytes of an unknown version: a version, not short. */
	assert_int_equal(tu_feed(t, (const uint8_t *)"\x00\x08\x00\x00", 4),
	    DEC_VERSION);

	assert_int_equal(t->ctx.st.ver_nf1, 1);
	assert_int_equal(t->ctx.st.ver_nf7, 1);
	assert_int_equal(t->ctx.st.ver_nf8, 2);
	assert_int_equal(t->ctx.st.ver_sflow_old, 3);
	assert_int_equal(t->ctx.st.err_version, 13);
	assert_int_equal(t->ctx.st.err_short, 0);
	assert_int_equal(t->ctx.st.err_header, 0);
	assert_no_state(t);

	/* The same bytes with version 9 do create state (control). */
	mk_tmpl_msg(&p, 9);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(tmpl_count(t->ctx.tc), 1);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	tu_free(t);
}

/*
 * HOSTILE T3: the wrong protocol on a port (v9 on 6343, sFlow on 2055, v5
 * on 4739, IPFIX on 2055) is still decoded by its version field.
 */
static void
test_dispatch_any_port(void **state)
{
	struct pk p;
	struct tu *t = tu_new();

	(void)state;
	t->in.port = 6343;
	mk_tmpl_msg(&p, 9);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	t->in.port = 2055;
	mk_sflow(&p, 5);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	t->in.port = 4739;
	mk_nf5(&p, 5);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	t->in.port = 2055;
	mk_tmpl_msg(&p, 10);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(t->ctx.st.dgram_nf9, 1);
	assert_int_equal(t->ctx.st.dgram_sflow, 1);
	assert_int_equal(t->ctx.st.dgram_nf5, 1);
	assert_int_equal(t->ctx.st.dgram_ipfix, 1);
	assert_int_equal(t->ctx.st.records, 3);
	assert_int_equal(t->ctx.st.err_version, 0);
	tu_free(t);
}

/* The exporter of every record is the socket address, whatever the bytes. */
static void
test_dispatch_exporter(void **state)
{
	struct pk p;
	struct tu *t = tu_new();

	(void)state;
	assert_int_equal(flow_addr_parse(&t->in.exporter, "2001:db8::7"), 0);
	mk_nf5(&p, 5);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	mk_tmpl_msg(&p, 10);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(t->n, 2);
	assert_string_equal(tu_addr(&t->recs[0].exporter), "2001:db8::7");
	assert_string_equal(tu_addr(&t->recs[1].exporter), "2001:db8::7");
	assert_string_equal(tu_addr(&t->recs[1].src), "198.51.100.1");
	assert_string_equal(tu_addr(&t->recs[1].dst), "203.0.113.5");
	tu_free(t);
}

static void
test_dispatch_limits(void **state)
{
	struct dec_limits lim;
	struct dec_ctx ctx;

	(void)state;
	/* Zero fields take the defaults. */
	assert_int_equal(dec_init(&ctx, NULL, NULL, NULL), 0);
	assert_int_equal(ctx.lim.tmpl_per_exporter, DEC_DEF_TMPL_PER_EXPORTER);
	assert_int_equal(ctx.lim.tmpl_total, DEC_DEF_TMPL_TOTAL);
	assert_int_equal(ctx.lim.domains_per_exporter,
	    DEC_DEF_DOMAINS_PER_EXPORTER);
	assert_int_equal(ctx.lim.tmpl_max_age, DEC_DEF_TMPL_MAX_AGE);
	assert_int_equal(ctx.lim.record_budget, DEC_DEF_RECORD_BUDGET);
	assert_int_equal(ctx.lim.key_port, 0);
	dec_free(&ctx);
	assert_null(ctx.tc);

	memset(&lim, 0, sizeof(lim));
	lim.tmpl_per_exporter = 3;
	lim.record_budget = 7;
	lim.key_port = 1;
	assert_int_equal(dec_init(&ctx, &lim, NULL, NULL), 0);
	assert_int_equal(ctx.lim.tmpl_per_exporter, 3);
	assert_int_equal(ctx.lim.tmpl_total, DEC_DEF_TMPL_TOTAL);
	assert_int_equal(ctx.lim.record_budget, 7);
	assert_int_equal(ctx.lim.key_port, 1);
	dec_free(&ctx);
}

/* A context without a callback still decodes and counts. */
static void
test_dispatch_no_callback(void **state)
{
	struct dec_ctx ctx;
	struct dec_in in;
	struct pk p;
	uint8_t *buf;

	(void)state;
	assert_int_equal(dec_init(&ctx, NULL, NULL, NULL), 0);
	memset(&in, 0, sizeof(in));
	assert_int_equal(flow_addr_parse(&in.exporter, "192.0.2.9"), 0);
	in.now_ms = in.mono_ms = 1700000000000ULL;
	mk_nf5(&p, 5);
	buf = malloc(p.n);
	assert_non_null(buf);
	memcpy(buf, p.b, p.n);
	assert_int_equal(dec_datagram(&ctx, &in, buf, p.n), DEC_OK);
	assert_int_equal(ctx.st.records, 1);
	assert_int_equal(ctx.st.dgram_nf5, 1);
	free(buf);
	dec_free(&ctx);
}

/* The counter table names every field once, in struct order. */
static void
test_dispatch_stats_table(void **state)
{
	struct dec_stats a, b;
	size_t i, j;

	(void)state;
	assert_int_equal(dec_stat_count * sizeof(uint64_t), sizeof(a));
	for (i = 0; i < dec_stat_count; i++) {
		assert_int_equal(dec_stat_descs[i].offset, i * sizeof(uint64_t));
		assert_non_null(dec_stat_descs[i].help);
		for (j = 0; j < i; j++)
			assert_string_not_equal(dec_stat_descs[i].name,
			    dec_stat_descs[j].name);
	}
	assert_string_equal(dec_stat_descs[0].name, "dgram_nf5");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.err_short = 2;
	a.records = 5;
	b.err_short = 3;
	b.tmpl_missing = 9;
	dec_stats_add(&a, &b);
	assert_int_equal(a.err_short, 5);
	assert_int_equal(a.records, 5);
	assert_int_equal(a.tmpl_missing, 9);
	assert_int_equal(b.err_short, 3);
}

/*
 * flow_addr_str writes IPv4 itself (inet_ntop's sprintf was a hot spot of
 * the Redis writer): the same text as inet_ntop for 2^24 addresses
 * spread over the whole space and every octet value in every place; a
 * buffer too short for the longest address goes to inet_ntop.
 */
static void
test_addr_str_v4(void **state)
{
	struct flow_addr a;
	char got[64], want[64];
	uint64_t x;
	int i, j;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.af = 4;
	for (x = 0; x < (1ull << 32); x += 257) {
		a.a[0] = (uint8_t)(x >> 24);
		a.a[1] = (uint8_t)(x >> 16);
		a.a[2] = (uint8_t)(x >> 8);
		a.a[3] = (uint8_t)x;
		flow_addr_str(&a, got, sizeof(got));
		inet_ntop(AF_INET, a.a, want, sizeof(want));
		if (strcmp(got, want) != 0)
			fail_msg("%s, inet_ntop says %s", got, want);
	}
	for (i = 0; i < 4; i++)
		for (j = 0; j < 256; j++) {
			memset(a.a, 0, 4);
			a.a[i] = (uint8_t)j;
			flow_addr_str(&a, got, sizeof(got));
			inet_ntop(AF_INET, a.a, want, sizeof(want));
			assert_string_equal(got, want);
		}
	memset(a.a, 255, 4);
	assert_string_equal(flow_addr_str(&a, got, 16), "255.255.255.255");
	assert_string_equal(flow_addr_str(&a, got, 15), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_tiny),
		cmocka_unit_test(test_addr_str_v4),
		cmocka_unit_test(test_dispatch_short_headers),
		cmocka_unit_test(test_dispatch_sflow_vs_netflow),
		cmocka_unit_test(test_dispatch_old_versions),
		cmocka_unit_test(test_dispatch_any_port),
		cmocka_unit_test(test_dispatch_exporter),
		cmocka_unit_test(test_dispatch_limits),
		cmocka_unit_test(test_dispatch_no_callback),
		cmocka_unit_test(test_dispatch_stats_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
