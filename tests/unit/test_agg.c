/*
 * test_agg.c - per-host aggregates and their caps (collector/agg.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agg.h"

struct ctx {
	struct flow_rec	r;
	struct enriched	e;
};

/* An enriched record local -> remote (out) or remote -> local (in). */
static void
mk(struct ctx *c, const char *local, const char *remote, int traffic,
    int outbound, uint16_t service, uint64_t bytes, uint64_t t_ms)
{
	memset(c, 0, sizeof(*c));
	c->r.have = FL_SRC | FL_DST | FL_PROTO | FL_LAST;
	c->r.proto = 6;
	c->r.last = t_ms;
	if (traffic == ENR_IN) {
		flow_addr_parse(&c->r.src, remote);
		flow_addr_parse(&c->r.dst, local);
		c->e.local = &c->r.dst;
		c->e.remote = &c->r.src;
	} else {
		flow_addr_parse(&c->r.src, local);
		flow_addr_parse(&c->r.dst, remote);
		c->e.local = &c->r.src;
		c->e.remote = &c->r.dst;
	}
	c->e.r = &c->r;
	c->e.traffic = (uint8_t)traffic;
	c->e.outbound = (uint8_t)outbound;
	c->e.inbound = (uint8_t)!outbound;
	c->e.service_port = service;
	c->e.bytes = bytes;
	c->e.packets = 1;
	c->e.group = -1;
}

static void
test_hosts_and_buckets(void **state)
{
	struct agg a;
	struct ctx c;

	(void)state;
	assert_int_equal(agg_init(&a, 100, 100, 60), 0);
	mk(&c, "203.0.113.5", "198.51.100.1", ENR_OUT, 1, 443, 1000, 120500);
	agg_add(&a, &c.e, 0);
	mk(&c, "203.0.113.5", "198.51.100.1", ENR_IN, 1, 443, 5000, 150000);
	agg_add(&a, &c.e, 0);
	mk(&c, "203.0.113.5", "198.51.100.2", ENR_IN, 0, 80, 7, 181000);
	agg_add(&a, &c.e, 0);
	assert_int_equal(a.hn, 2);		/* buckets 120 and 180 */
	assert_int_equal(a.hosts[0].bucket, 120);
	assert_int_equal(a.hosts[0].bytes_out, 1000);
	assert_int_equal(a.hosts[0].bytes_in, 5000);
	assert_int_equal(a.hosts[0].flows_in, 1);
	assert_int_equal(a.hosts[0].npeers, 1);
	assert_int_equal(a.hosts[1].bucket, 180);
	assert_int_equal(a.hosts[1].bytes_in, 7);
	/* One outbound service, counted for both directions. */
	assert_int_equal(a.sn, 1);
	assert_int_equal(a.svcs[0].flows, 2);
	assert_int_equal(a.svcs[0].bytes, 6000);
	assert_int_equal(a.svcs[0].first_ms, 120500);
	assert_int_equal(a.svcs[0].last_ms, 150000);
	agg_clear(&a);
	assert_int_equal(a.hn, 0);
	assert_int_equal(a.sn, 0);
	mk(&c, "203.0.113.5", "198.51.100.1", ENR_OUT, 1, 443, 1, 120500);
	agg_add(&a, &c.e, 0);
	assert_int_equal(a.hn, 1);
	assert_int_equal(a.hosts[0].bytes_out, 1);
	agg_free(&a);
}

static void
test_internal_and_transit(void **state)
{
	struct agg a;
	struct ctx c;

	(void)state;
	assert_int_equal(agg_init(&a, 100, 100, 60), 0);
	mk(&c, "203.0.113.5", "203.0.113.6", ENR_INTERNAL, 0, 22, 10, 60000);
	agg_add(&a, &c.e, 0);
	assert_int_equal(a.hn, 2);
	assert_int_equal(a.hosts[0].bytes_out, 10);
	assert_int_equal(a.hosts[1].bytes_in, 10);
	assert_int_equal(a.sn, 0);
	mk(&c, "192.0.2.1", "192.0.2.2", ENR_TRANSIT, 0, 22, 10, 60000);
	agg_add(&a, &c.e, 0);
	assert_int_equal(a.hn, 2);
	agg_free(&a);
}

static void
test_caps(void **state)
{
	struct agg a;
	struct ctx c;
	char h[32];
	int i;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 5, 60), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(h, sizeof(h), "10.0.%d.%d", i / 250, i % 250 + 1);
		mk(&c, h, "198.51.100.1", ENR_OUT, 1, 443, 1, 60000);
		agg_add(&a, &c.e, 0);
	}
	assert_int_equal(a.hn, 10);
	assert_int_equal(a.st.host_dropped, 990);
	assert_int_equal(a.sn, 5);
	assert_int_equal(a.st.svc_dropped, 995);
	/* Peers beyond an entry's own go to the spill. */
	agg_clear(&a);
	for (i = 0; i < AGG_PEERS + 10; i++) {
		snprintf(h, sizeof(h), "198.51.100.%d", i + 1);
		mk(&c, "203.0.113.5", h, ENR_IN, 0, 80, 1, 60000);
		agg_add(&a, &c.e, 0);
	}
	assert_int_equal(a.hosts[0].npeers, AGG_PEERS);
	assert_int_equal(a.nspill, 10);
	assert_int_equal(a.st.peers_dropped, 0);
	assert_int_equal(a.hosts[0].flows_in, AGG_PEERS + 10);
	agg_free(&a);
}

/* HOSTILE V5-7: a record time far from the receive time is not trusted. */
static void
test_time_clamp(void **state)
{
	struct agg a;
	struct ctx c;
	uint64_t now = 1700000000000ULL;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 10, 60), 0);
	mk(&c, "203.0.113.5", "198.51.100.1", ENR_OUT, 1, 443, 1, now - 30000);
	agg_add(&a, &c.e, now);
	assert_int_equal(a.hosts[0].bucket, (now - 30000) / 60000 * 60);
	mk(&c, "203.0.113.5", "198.51.100.1", ENR_OUT, 1, 443, 1, 5000);
	agg_add(&a, &c.e, now);				/* 1970 */
	mk(&c, "203.0.113.5", "198.51.100.1", ENR_OUT, 1, 443, 1,
	    now + 3600000);
	agg_add(&a, &c.e, now);				/* an hour ahead */
	assert_int_equal(a.st.time_clamped, 2);
	assert_int_equal(a.hn, 2);
	assert_int_equal(a.hosts[1].bucket, now / 60000 * 60);
	assert_int_equal(a.hosts[1].flows_out, 2);
	agg_free(&a);
}

static void
test_svc_key(void **state)
{
	struct agg a;
	struct ctx c;
	char k[200];

	(void)state;
	assert_int_equal(agg_init(&a, 10, 10, 60), 0);
	mk(&c, "203.0.113.5", "142.250.74.46", ENR_OUT, 1, 443, 1, 60000);
	c.e.geo.asn = 15169;
	memcpy(c.e.geo.country, "US", 3);
	c.e.app.how = DPI_BY_IP;
	snprintf(c.e.app.name, sizeof(c.e.app.name), "Google");
	agg_add(&a, &c.e, 0);
	agg_svc_key(&a.svcs[0], k, sizeof(k));
	assert_string_equal(k, "tcp/443|Google|AS15169|US|142.250.74.0/24");
	agg_clear(&a);
	mk(&c, "2001:db8::5", "2a00:1450:4001:81c::200e", ENR_OUT, 1, 25, 1,
	    60000);
	c.r.proto = 17;
	c.e.app.how = DPI_BY_PORT;	/* a port guess is not a name */
	snprintf(c.e.app.name, sizeof(c.e.app.name), "SMTP");
	agg_add(&a, &c.e, 0);
	agg_svc_key(&a.svcs[0], k, sizeof(k));
	assert_string_equal(k, "udp/25||AS0|-|2a00:1450:4001::/48");
	agg_free(&a);
}

/* Buckets by reciprocal (agg.c bucket_of) against plain division. */
static void
test_bucket_math(void **state)
{
	static const uint32_t len[] = { 1, 7, 60, 3599, 3600, 86400 };
	uint64_t x = 88172645463325252ULL, t, sec;
	char host[32];
	struct agg a;
	struct ctx c;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(len) / sizeof(len[0]); i++) {
		assert_int_equal(agg_init(&a, 3000, 10, len[i]), 0);
		for (k = 0; k < 2000; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* the top, exact multiples and one below, any */
			if (k < 8)
				sec = (1ULL << 34) - 1 - k;
			else if (k < 200)
				sec = (x % ((1ULL << 34) / len[i]) + 1) *
				    len[i] - k % 2;
			else
				sec = x % (1ULL << 34);
			t = sec * 1000 + k % 1000;
			snprintf(host, sizeof(host), "10.0.%zu.%zu", k / 256,
			    k % 256);		/* an entry of its own */
			mk(&c, host, "198.51.100.1", ENR_IN, 0, 80, 1, t);
			agg_add(&a, &c.e, 0);
			if (a.hosts[a.hn - 1].bucket != sec / len[i] * len[i])
				fail_msg("length %u second %llu: bucket %llu",
				    len[i], (unsigned long long)sec,
				    (unsigned long long)a.hosts[a.hn - 1].bucket);
		}
		agg_free(&a);
	}
}

/*
 * The peer set and the growing index: 40 peers of one host twice keep 32
 * in the entry and 8 in the spill; 5000 hosts (index doubled several
 * times) are all found again.
 */
static void
test_peers_and_growth(void **state)
{
	char peer[32], host[32];
	struct agg a;
	struct ctx c;
	int pass, i;

	(void)state;
	assert_int_equal(agg_init(&a, 5000, 10, 60), 0);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < 40; i++) {
			snprintf(peer, sizeof(peer), "198.51.%d.%d", i, i * 3);
			mk(&c, "203.0.113.5", peer, ENR_IN, 0, 80, 1, 60000);
			agg_add(&a, &c.e, 0);
		}
	assert_int_equal(a.hn, 1);
	assert_int_equal(a.hosts[0].npeers, AGG_PEERS);
	assert_int_equal(a.nspill, 40 - AGG_PEERS);
	assert_int_equal(a.st.peers_dropped, 0);
	assert_int_equal(a.hosts[0].flows_in, 80);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < 5000; i++) {
			snprintf(host, sizeof(host), "10.%d.%d.1", i / 256,
			    i % 256);
			mk(&c, host, "198.51.100.1", ENR_IN, 0, 80, 1, 60000);
			agg_add(&a, &c.e, 0);
		}
	assert_int_equal(a.hn, 5000);
	assert_int_equal(a.st.host_dropped, 2);	/* 5001 hosts, cap 5000 */
	assert_int_equal(a.hsize, 8192);	/* grew from 1024 to the most */
	for (i = 1; i < (int)a.hn; i++)
		assert_int_equal(a.hosts[i].flows_in, 2);
	agg_free(&a);
}

/* The peers of entry ix, its own and spilled: each once, all of them. */
static void
check_peers(const struct agg *a, uint32_t ix, int n, int base)
{
	const struct agg_host *h = &a->hosts[ix];
	char *seen = calloc((size_t)n, 1);
	uint32_t sp;
	int i, got = 0;

	assert_non_null(seen);
	for (i = 0; i < h->npeers + 0; i++) {
		int v = (h->peers[i].a[1] << 16 | h->peers[i].a[2] << 8 |
		    h->peers[i].a[3]) - base;

		assert_true(v >= 0 && v < n && !seen[v]);
		seen[v] = 1;
		got++;
	}
	for (sp = h->spill; sp; sp = a->spill[sp - 1].next) {
		const struct flow_addr *p = &a->spill[sp - 1].peer;
		int v = (p->a[1] << 16 | p->a[2] << 8 | p->a[3]) - base;

		assert_int_equal(a->spill[sp - 1].host, ix);
		assert_true(v >= 0 && v < n && !seen[v]);
		seen[v] = 1;
		got++;
	}
	assert_int_equal(got, n);
	free(seen);
}

static void
peer_rec(struct ctx *c, const char *host, int v)
{
	char peer[32];

	snprintf(peer, sizeof(peer), "100.%d.%d.%d", v >> 16 & 255,
	    v >> 8 & 255, v & 255);
	mk(c, host, peer, ENR_IN, 0, 80, 1, 60000);
}

/*
 * Peers beyond AGG_PEERS: two hosts with 3000 peers each, interleaved and
 * sent twice, keep every peer once in their own lists; past AGG_SPILL_MAX
 * a peer beyond the entry's own is counted lost in its entry (one the
 * entry holds itself is not); after agg_clear the spill starts empty.
 */
static void
test_peer_spill(void **state)
{
	struct agg a;
	struct ctx c;
	int pass, i;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 10, 60), 0);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < 3000; i++) {
			peer_rec(&c, "203.0.113.5", i);
			agg_add(&a, &c.e, 0);
			peer_rec(&c, "203.0.113.6", 10000 + i);
			agg_add(&a, &c.e, 0);
		}
	assert_int_equal(a.hn, 2);
	assert_int_equal(a.nspill, 2 * (3000 - AGG_PEERS));
	check_peers(&a, 0, 3000, 0);
	check_peers(&a, 1, 3000, 10000);
	assert_int_equal(a.hosts[0].peers_lost + a.hosts[1].peers_lost, 0);

	/* Fill the spill, then 100 more. */
	for (i = 3000; a.nspill < AGG_SPILL_MAX; i++) {
		peer_rec(&c, "203.0.113.5", i);
		agg_add(&a, &c.e, 0);
	}
	assert_int_equal(a.hosts[0].peers_lost, 0);
	for (pass = 0; pass < 100; pass++, i++) {
		peer_rec(&c, "203.0.113.5", i);
		agg_add(&a, &c.e, 0);
	}
	assert_int_equal(a.nspill, AGG_SPILL_MAX);
	assert_int_equal(a.hosts[0].peers_lost, 100);
	assert_int_equal(a.st.peers_dropped, a.hosts[0].peers_lost);
	peer_rec(&c, "203.0.113.6", 10000 + 2);		/* held in the entry */
	agg_add(&a, &c.e, 0);
	assert_int_equal(a.hosts[1].peers_lost, 0);
	peer_rec(&c, "203.0.113.6", 10000 + 2999);	/* spilled: not looked */
	agg_add(&a, &c.e, 0);				/* up once full */
	assert_int_equal(a.hosts[1].peers_lost, 1);

	agg_clear(&a);
	assert_int_equal(a.nspill, 0);
	for (i = 0; i < 100; i++) {
		peer_rec(&c, "203.0.113.7", i);
		agg_add(&a, &c.e, 0);
	}
	assert_int_equal(a.nspill, 100 - AGG_PEERS);
	check_peers(&a, 0, 100, 0);
	assert_int_equal(a.hosts[0].peers_lost, 0);
	agg_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts_and_buckets),
		cmocka_unit_test(test_internal_and_transit),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_time_clamp),
		cmocka_unit_test(test_svc_key),
		cmocka_unit_test(test_bucket_math),
		cmocka_unit_test(test_peers_and_growth),
		cmocka_unit_test(test_peer_spill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
