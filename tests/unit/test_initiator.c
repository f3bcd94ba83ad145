/*
 * test_initiator.c - who opened a conversation (collector/initiator.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "initiator.h"

#define SYN	0x02
#define ACK	0x10
#define FIN	0x01

static struct flow_rec
rec(const char *src, uint16_t sport, const char *dst, uint16_t dport,
    uint8_t proto)
{
	struct flow_rec r;

	memset(&r, 0, sizeof(r));
	r.type = FLOW_NF9;
	assert_int_equal(flow_addr_parse(&r.src, src), 0);
	assert_int_equal(flow_addr_parse(&r.dst, dst), 0);
	r.sport = sport;
	r.dport = dport;
	r.proto = proto;
	r.packets = 10;
	r.have = FL_SRC | FL_DST | FL_SPORT | FL_DPORT | FL_PROTO | FL_PACKETS;
	return r;
}

static void
test_service_ports(void **state)
{
	(void)state;
	assert_true(init_service_port(6, 443));
	assert_true(init_service_port(6, 25));
	assert_true(init_service_port(6, 6667));
	assert_true(init_service_port(6, 3306));
	assert_false(init_service_port(6, 51234));
	assert_true(init_service_port(17, 53));
	assert_true(init_service_port(17, 51820));
	assert_false(init_service_port(17, 6667));
	assert_false(init_service_port(6, 0));
}

static void
test_ports(void **state)
{
	struct flow_rec r = rec("203.0.113.5", 443, "198.51.100.7", 51000, 6);
	struct init_result x;

	(void)state;
	/* A web server's reply: the client (dst) opened. */
	x = init_stateless(&r);
	assert_int_equal(x.who, INIT_DST);
	assert_int_equal(x.how, INIT_BY_PORT);
	r = rec("203.0.113.5", 51000, "198.51.100.7", 25, 6);
	x = init_stateless(&r);
	assert_int_equal(x.who, INIT_SRC);
	/* Two services: the lower port serves. */
	r = rec("203.0.113.5", 993, "198.51.100.7", 80, 6);
	assert_int_equal(init_stateless(&r).who, INIT_SRC);
	/* Two ephemeral ports, or the same service on both: unknown. */
	r = rec("203.0.113.5", 40000, "198.51.100.7", 50000, 6);
	assert_int_equal(init_stateless(&r).who, INIT_UNKNOWN);
	r = rec("203.0.113.5", 123, "198.51.100.7", 123, 17);
	assert_int_equal(init_stateless(&r).who, INIT_UNKNOWN);
}

static void
test_flags(void **state)
{
	struct flow_rec r = rec("203.0.113.5", 443, "198.51.100.7", 51000, 6);
	struct init_result x;

	(void)state;
	/* SYN alone beats the port heuristic. */
	r.tcp_flags = SYN;
	r.have |= FL_TCPFLAGS;
	x = init_stateless(&r);
	assert_int_equal(x.who, INIT_SRC);
	assert_int_equal(x.how, INIT_BY_FLAGS);
	/* OR-ed flags of a whole flow: SYN+ACK says nothing. */
	r.tcp_flags = SYN | ACK | FIN;
	x = init_stateless(&r);
	assert_int_equal(x.how, INIT_BY_PORT);
	/* One sampled packet (sFlow): SYN+ACK is the responder's. */
	r.type = FLOW_SFLOW5;
	r.tcp_flags = SYN | ACK;
	r.sport = 51000;
	r.dport = 443;
	x = init_stateless(&r);
	assert_int_equal(x.who, INIT_DST);
	assert_int_equal(x.how, INIT_BY_FLAGS);
}

static void
test_fields(void **state)
{
	struct flow_rec r = rec("203.0.113.5", 443, "198.51.100.7", 51000, 6);
	struct init_result x;

	(void)state;
	r.have |= FL_BIFLOWDIR;
	r.biflow_dir = FLOW_BIFLOW_INITIATOR;
	x = init_stateless(&r);
	assert_int_equal(x.who, INIT_SRC);
	assert_int_equal(x.how, INIT_BY_FIELD);
	r.biflow_dir = FLOW_BIFLOW_REVERSE;
	assert_int_equal(init_stateless(&r).who, INIT_DST);
	/* NSEL: from the initiator's side. */
	r = rec("203.0.113.5", 443, "198.51.100.7", 51000, 6);
	r.have |= FL_FWEVENT;
	r.fw_event = 1;
	assert_int_equal(init_stateless(&r).who, INIT_SRC);
	/* ICMP echo request / reply, NetFlow style (type in dport). */
	r = rec("203.0.113.5", 0, "198.51.100.7", 8 << 8, 1);
	assert_int_equal(init_stateless(&r).who, INIT_SRC);
	r = rec("203.0.113.5", 0, "198.51.100.7", 0, 1);
	assert_int_equal(init_stateless(&r).who, INIT_DST);
	r = rec("2001:db8::1", 0, "2001:db8::2", 0, 58);
	r.have |= FL_ICMP;
	r.icmp = 128 << 8;
	assert_int_equal(init_stateless(&r).who, INIT_SRC);
}

static void
test_reverse(void **state)
{
	struct init_table *t = init_table_new(1024, 60000);
	struct flow_rec q, a;
	struct init_result x;

	(void)state;
	assert_non_null(t);
	/* Both ends on ephemeral ports: the first direction opened. */
	q = rec("203.0.113.5", 40000, "198.51.100.7", 50000, 17);
	q.first = 1000;
	q.have |= FL_FIRST;
	a = rec("198.51.100.7", 50000, "203.0.113.5", 40000, 17);
	a.first = 1005;
	a.have |= FL_FIRST;
	x = init_decide(t, &a, 2000);
	assert_int_equal(x.who, INIT_UNKNOWN);	/* one direction only */
	x = init_decide(t, &q, 2000);
	assert_int_equal(x.who, INIT_SRC);
	assert_int_equal(x.how, INIT_BY_REVERSE);
	x = init_decide(t, &a, 2001);
	assert_int_equal(x.who, INIT_DST);
	assert_int_equal(x.how, INIT_BY_REVERSE);

	/* A SYN seen once decides the other direction too. */
	q = rec("203.0.113.5", 40001, "198.51.100.7", 50001, 6);
	q.tcp_flags = SYN;
	q.have |= FL_TCPFLAGS;
	assert_int_equal(init_decide(t, &q, 3000).who, INIT_SRC);
	a = rec("198.51.100.7", 50001, "203.0.113.5", 40001, 6);
	a.tcp_flags = SYN | ACK;
	a.have |= FL_TCPFLAGS;
	x = init_decide(t, &a, 3001);
	assert_int_equal(x.who, INIT_DST);
	assert_int_equal(x.how, INIT_BY_REVERSE);

	/* After the window it is forgotten. */
	x = init_decide(t, &a, 3001 + 60001);
	assert_int_not_equal(x.how, INIT_BY_REVERSE);

	/*
	 * A bidirectional tracker (softflowd) gives both directions the same
	 * start; exported again a little earlier (a second run, a clock
	 * step), the reply must not be taken for the opener because its new
	 * start precedes the request's old one: the ports decide.
	 */
	q = rec("198.51.100.29", 52449, "192.0.2.10", 80, 6);
	q.first = 13442;
	q.have |= FL_FIRST;
	a = rec("192.0.2.10", 80, "198.51.100.29", 52449, 6);
	a.first = 13442;
	a.have |= FL_FIRST;
	assert_int_equal(init_decide(t, &q, 70000).who, INIT_SRC);
	assert_int_equal(init_decide(t, &a, 70000).who, INIT_DST);
	a.first = q.first = 12934;
	x = init_decide(t, &a, 85000);
	assert_int_equal(x.who, INIT_DST);
	assert_int_equal(x.how, INIT_BY_PORT);
	x = init_decide(t, &q, 85000);
	assert_int_equal(x.who, INIT_SRC);
	init_table_free(t);
}

static void
test_table_bounded(void **state)
{
	struct init_table *t = init_table_new(64, 600000);
	struct flow_rec r;
	char a[32];
	int i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 10000; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
		    i & 255);
		r = rec(a, 40000, "198.51.100.7", 50000, 17);
		(void)init_decide(t, &r, 1000 + (uint64_t)i);
	}
	/* The capacity rounds up to a power of two of 3-way sets: <= 96. */
	assert_true(init_table_stats(t)->evicted >= 10000 - 96);
	assert_int_equal(init_table_stats(t)->lookups, 10000);
	init_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_ports),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_table_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
