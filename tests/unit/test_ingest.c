/*
 * test_ingest.c - UDP ingest (collector/ingest.c): who the sender is, and
 * what the kernel hands over (HOSTILE T2, T4, R-5).
 *
 * ingest_source() is fed every kind of sender address a socket can report:
 * IPv4-mapped IPv6 becomes IPv4 (one exporter key whichever socket it came
 * in on), and unspecified, multicast, broadcast and class E senders and
 * source port 0 are refused.  ingest_recv() runs on real loopback sockets:
 * the largest UDP datagrams (65,507 bytes over IPv4, 65,527 over IPv6)
 * arrive whole, never flagged as cut, and datagrams the kernel dropped for
 * want of buffer are counted through SO_RXQ_OVFL.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ingest.h"

static int
src4(const char *a, uint16_t port, struct flow_addr *out, uint16_t *pout)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, a, &s4->sin_addr), 1);
	return ingest_source(&ss, out, pout);
}

static int
src6(const char *a, uint16_t port, struct flow_addr *out, uint16_t *pout)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, a, &s6->sin6_addr), 1);
	return ingest_source(&ss, out, pout);
}

static const char *
str(const struct flow_addr *a)
{
	static char buf[64];

	return flow_addr_str(a, buf, sizeof(buf));
}

/* HOSTILE T4: the exporter key is normalised; non-unicast is refused. */
static void
test_source_normalised(void **state)
{
	struct flow_addr a;
	uint16_t port;

	(void)state;
	assert_int_equal(src4("192.0.2.1", 2055, &a, &port), 0);
	assert_int_equal(a.af, 4);
	assert_string_equal(str(&a), "192.0.2.1");
	assert_int_equal(port, 2055);
	assert_int_equal(src6("2001:db8::1", 9995, &a, &port), 0);
	assert_int_equal(a.af, 6);
	assert_string_equal(str(&a), "2001:db8::1");
	assert_int_equal(port, 9995);
	/* IPv4-mapped IPv6 (a dual-stack socket) is the IPv4 exporter. */
	assert_int_equal(src6("::ffff:192.0.2.1", 2055, &a, &port), 0);
	assert_int_equal(a.af, 4);
	assert_string_equal(str(&a), "192.0.2.1");
	/* Loopback is a unicast sender like any other. */
	assert_int_equal(src4("127.0.0.1", 1, &a, &port), 0);
	assert_int_equal(src6("::1", 1, &a, &port), 0);
}

static void
test_source_refused(void **state)
{
	static const char *bad4[] = { "0.0.0.0", "224.0.0.1",
	    "239.255.255.250", "240.0.0.1", "255.255.255.255", NULL };
	static const char *bad6[] = { "::", "ff02::1", "ff05::fb",
	    "::ffff:0.0.0.0", "::ffff:224.0.0.5", "::ffff:255.255.255.255",
	    NULL };
	struct sockaddr_storage ss;
	struct flow_addr a;
	uint16_t port;
	int i;

	(void)state;
	for (i = 0; bad4[i]; i++)
		assert_int_equal(src4(bad4[i], 2055, &a, &port), -1);
	for (i = 0; bad6[i]; i++)
		assert_int_equal(src6(bad6[i], 2055, &a, &port), -1);
	/* Source port 0. */
	assert_int_equal(src4("192.0.2.1", 0, &a, &port), -1);
	assert_int_equal(src6("2001:db8::1", 0, &a, &port), -1);
	assert_int_equal(src6("::ffff:192.0.2.1", 0, &a, &port), -1);
	/* Not an internet address at all. */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_int_equal(ingest_source(&ss, &a, &port), -1);
}

/* A port free on loopback (v4 and v6) when asked. */
static uint16_t
free_port(void)
{
	struct sockaddr_in6 s6;
	socklen_t sl = sizeof(s6);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), off = 0;

	assert_true(fd >= 0);
	(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;		/* [::]:0, both families */
	assert_int_equal(bind(fd, (struct sockaddr *)&s6, sizeof(s6)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&s6, &sl), 0);
	close(fd);
	return ntohs(s6.sin6_port);
}

/* A loopback socket of ingest_open() (host "127.0.0.1" or "[::1]"). */
static int
listener(const char *host, uint32_t rcvbuf, uint16_t *port)
{
	struct cfg_listen la;
	char addr[64], err[256] = "";
	uint32_t got = 0;
	int fd;

	*port = free_port();
	snprintf(addr, sizeof(addr), "%s:%u", host, *port);
	assert_int_equal(cfg_parse_listen(addr, &la), 0);
	fd = ingest_open(&la, rcvbuf, 0, &got, err, sizeof(err));
	if (fd < 0)
		fail_msg("ingest_open: %s", err);
	assert_true(got > 0);
	return fd;
}

static void
send_to(int family, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_loopback;
		sl = sizeof(*s6);
	}
	fd = socket(family, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl),
	    (ssize_t)len);
	close(fd);
}

/* Receive at least one datagram (the socket is non-blocking). */
static int
recv_some(int fd, struct ingest_batch *b)
{
	int i, n = 0;

	for (i = 0; i < 500 && n == 0; i++) {
		n = ingest_recv(fd, b);
		if (n == 0)
			usleep(2000);
	}
	assert_true(n > 0);
	return n;
}

/* HOSTILE T2: the largest datagrams arrive whole, never flagged cut. */
static void
test_recv_largest(void **state)
{
	struct ingest_batch *b = ingest_batch_new();
	uint8_t *buf = malloc(65527);
	uint16_t p4, p6;
	int fd4, fd6;

	(void)state;
	assert_non_null(b);
	assert_non_null(buf);
	memset(buf, 0xa5, 65527);
	fd4 = listener("127.0.0.1", 1u << 20, &p4);
	fd6 = listener("[::1]", 1u << 20, &p6);
	send_to(AF_INET, p4, buf, 65507);
	assert_int_equal(recv_some(fd4, b), 1);
	assert_int_equal(b->msg[0].len, 65507);
	assert_int_equal(b->msg[0].truncated, 0);
	assert_int_equal(b->msg[0].bad_source, 0);
	assert_string_equal(str(&b->msg[0].src), "127.0.0.1");
	assert_memory_equal(b->msg[0].buf, buf, 65507);
	send_to(AF_INET6, p6, buf, 65527);
	assert_int_equal(recv_some(fd6, b), 1);
	assert_int_equal(b->msg[0].len, 65527);
	assert_int_equal(b->msg[0].truncated, 0);
	assert_string_equal(str(&b->msg[0].src), "::1");
	/* Empty and tiny datagrams are datagrams too (T1 is the decoder's). */
	send_to(AF_INET, p4, buf, 0);
	send_to(AF_INET, p4, buf, 1);
	assert_int_equal(recv_some(fd4, b), 2);
	assert_int_equal(b->msg[0].len, 0);
	assert_int_equal(b->msg[1].len, 1);
	close(fd4);
	close(fd6);
	free(buf);
	ingest_batch_free(b);
}

/*
 * HOSTILE R-5: a flood beyond the receive buffer.  The kernel drops what
 * does not fit and says how many with every datagram after (SO_RXQ_OVFL).
 */
static void
test_recv_kernel_drops(void **state)
{
	struct ingest_batch *b = ingest_batch_new();
	uint8_t buf[1200];
	uint32_t got = 0;
	uint16_t port;
	int fd, i, n, total = 0;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	fd = listener("127.0.0.1", 65536, &port);
	for (i = 0; i < 2000; i++)
		send_to(AF_INET, port, buf, sizeof(buf));
	while ((n = ingest_recv(fd, b)) > 0)
		total += n;
	assert_true(total > 0 && total < 2000);
	/* The count rides on the next datagram received. */
	send_to(AF_INET, port, buf, sizeof(buf));
	assert_int_equal(recv_some(fd, b), 1);
	assert_int_equal(b->have_ovfl, 1);
	got = b->ovfl;
	assert_int_equal(got + (uint32_t)total, 2000);
	close(fd);
	ingest_batch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_normalised),
		cmocka_unit_test(test_source_refused),
		cmocka_unit_test(test_recv_largest),
		cmocka_unit_test(test_recv_kernel_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
