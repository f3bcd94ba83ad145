/*
 * rulebench.c - what detection costs per record: the compiled rules and
 * the whitelist index on synthetic records, single-threaded.
 *
 * DESIGN
 * A worker runs the match program of every rule that may match the
 * record's class (rule_candidates: all default rules need `outbound`) on
 * each record that has a local end, asks the whitelist about each match,
 * and feeds matches to the threshold windows.  This program does exactly
 * those calls (rule_candidates, rule_match, wl_match, rule_feed,
 * rule_state_expire) over a table of
 * records built beforehand from a seed -- mostly inbound web traffic and
 * replies, some outbound services, a few scans -- so the figure is the
 * detection stage alone, without decoding or enrichment.  The whitelist
 * holds N entries of every kind (hosts, networks, groups, services,
 * applications, ASes, countries) so that the trie and the hash lookups
 * are exercised at a realistic size.
 *
 *   rulebench [-r RULEGLOB]... [-n records] [-w entries] [-s seed] [-j]
 *
 * Prints records/s and ns/record for: match only, match + whitelist,
 * and the whole stage with thresholds, and what one expiry walk of the
 * windows costs (a worker does it once a second); -j prints one JSON
 * object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rule.h"
#include "wl.h"

#define MAX_GLOBS	16

static const char *const groups[] = { "mail-servers", "web" };

/* xorshift64*: the same records for the same seed. */
static uint64_t rng;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct brec {
	struct flow_addr	src, dst;
	struct rule_rec		r;
};

static void
addr4(struct flow_addr *a, uint32_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%u.%u.%u.%u", v >> 24, (v >> 16) & 255,
	    (v >> 8) & 255, v & 255);
	flow_addr_parse(a, s);
}

static const uint16_t svc_ports[] = { 53, 123, 80, 443, 25, 587, 22,
	6667, 3306, 9050, 3333, 8080 };
static const char *const apps[] = { "", "", "", "TLS", "HTTP", "DNS",
	"IRC", "Tor", "SMTP" };
static const char *const ccs[] = { "", "US", "DE", "FR", "NL", "CN", "RU" };

/* One record: 60 % inbound (requests and replies), 35 % outbound, 5 % a
 * scan-like fan-out from a few hosts. */
static void
make_rec(struct brec *b, uint64_t ts)
{
	uint32_t local = 0xc0000200u | (uint32_t)(rnd() % 254 + 1);
	uint32_t remote = 0xcb000000u | (uint32_t)(rnd() % 0xffffff);
	uint64_t k = rnd() % 100;
	struct rule_rec *r = &b->r;
	uint16_t svc = svc_ports[rnd() % (sizeof(svc_ports) /
	    sizeof(svc_ports[0]))];
	uint16_t eph = (uint16_t)(32768 + rnd() % 28000);
	int reply = rnd() & 1;

	memset(b, 0, sizeof(*b));
	if (k < 60) {			/* a client talks to our server */
		addr4(reply ? &b->src : &b->dst, local);
		addr4(reply ? &b->dst : &b->src, remote);
		r->traffic = reply ? RULE_OUT : RULE_IN;
		r->inbound = 1;
		r->sport = reply ? (rnd() & 1 ? 80 : 443) : eph;
		r->dport = reply ? eph : (rnd() & 1 ? 80 : 443);
	} else {			/* our server talks out */
		if (k >= 95)
			local = 0xc0000263u;	/* the scanner */
		addr4(reply ? &b->dst : &b->src, local);
		addr4(reply ? &b->src : &b->dst, remote);
		r->traffic = reply ? RULE_IN : RULE_OUT;
		r->outbound = 1;
		r->sport = reply ? svc : eph;
		r->dport = reply ? eph : (k >= 95 ? 22 : svc);
	}
	r->src = &b->src;
	r->dst = &b->dst;
	r->proto = svc == 53 || svc == 123 ? 17 : 6;
	r->tcp_flags = r->proto == 6 ? 0x1b : 0;
	r->rate = rnd() % 4 ? 1 : 1000;
	r->raw_packets = 1 + rnd() % 20;
	r->packets = r->raw_packets * r->rate;
	r->bytes = r->packets * (64 + rnd() % 1400);
	r->asn = (uint32_t)(rnd() % 70000);
	r->country = ccs[rnd() % (sizeof(ccs) / sizeof(ccs[0]))];
	r->app = apps[rnd() % (sizeof(apps) / sizeof(apps[0]))];
	if ((local & 255) < 8)
		(r->outbound ? &r->src_groups : &r->dst_groups)[0] = 1;
	else if ((local & 255) < 64)
		(r->outbound ? &r->src_groups : &r->dst_groups)[0] = 2;
	r->ts_ms = ts;
}

/* n entries of every kind, as text, parsed as flowsentry.whitelist(5). */
static int
make_whitelist(struct wl_list *l, unsigned n, char *err, size_t errlen)
{
	size_t cap = (size_t)n * 96 + 64, off = 0;
	char *t = malloc(cap);
	unsigned i;
	int rc;

	if (t == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		uint32_t h = 0xc0000200u | (i % 254 + 1);

		switch (i % 6) {
		case 0:
			off += (size_t)snprintf(t + off, cap - off,
			    "%u.%u.%u.%u tcp/%u 203.%u.%u.0/24 - e%u\n",
			    h >> 24, (h >> 16) & 255, (h >> 8) & 255, h & 255,
			    svc_ports[i % 12], (i >> 8) & 255, i & 255, i);
			break;
		case 1:
			off += (size_t)snprintf(t + off, cap - off,
			    "192.0.2.%u tcp/443 AS%u - e%u\n", i % 254 + 1,
			    1 + i % 65000, i);
			break;
		case 2:
			off += (size_t)snprintf(t + off, cap - off,
			    "@web tcp/%u any - e%u\n", 1024 + i % 60000, i);
			break;
		case 3:
			off += (size_t)snprintf(t + off, cap - off,
			    "192.0.2.%u app:TLS %s - e%u\n", i % 254 + 1,
			    i & 1 ? "DE" : "NL", i);
			break;
		case 4:
			off += (size_t)snprintf(t + off, cap - off,
			    "192.0.2.0/25 udp/%u 203.0.%u.%u - e%u\n",
			    1 + i % 60000, (i >> 8) & 255, i & 255, i);
			break;
		default:
			off += (size_t)snprintf(t + off, cap - off,
			    "* udp/123 any - e%u\n", i);
			break;
		}
	}
	t[off] = '\0';
	rc = wl_parse(l, "bench.wl", t, err, errlen);
	free(t);
	return rc;
}

/* The question detect.c asks of the whitelist for a record's local end. */
static int
ask_whitelist(const struct wl_index *ix, const struct rule_rec *r)
{
	struct wl_query q;

	memset(&q, 0, sizeof(q));
	q.host = r->outbound ? r->src : r->dst;
	q.remote = r->outbound ? r->dst : r->src;
	q.host_groups = r->src_groups | r->dst_groups;
	q.proto = r->proto;
	q.port = r->outbound ? r->dport : r->sport;
	q.app = r->app;
	q.asn = r->asn;
	q.country = r->country;
	q.now_ms = r->ts_ms;
	return wl_match(ix, &q, 3) != 0;
}

/*
 * Every rule on every record, the whitelist once a record that matched;
 * with st, what the whitelist does not silence is fed to the windows
 * (*fired counts the hits).  Returns the matches the whitelist silenced.
 */
static uint64_t
stage(const struct ruleset *rs, const struct wl_index *ix,
    struct rule_state *st, const struct brec *recs, unsigned nrec,
    uint64_t *fired)
{
	struct rule_hit hit;
	uint64_t allowed = 0;
	size_t i, k, n, j;

	for (i = 0; i < nrec; i++) {
		const uint32_t *cand = rule_candidates(rs,
		    rule_class_of(&recs[i].r), &n);
		int asked = 0, allow = 0;

		for (k = 0; k < n; k++) {
			j = cand[k];
			if (!rule_match(rs, j, &recs[i].r))
				continue;
			if (!asked) {
				allow = ask_whitelist(ix, &recs[i].r);
				asked = 1;
			}
			allowed += (uint64_t)allow;
			if (st && !allow)
				*fired += (uint64_t)rule_feed(st, j,
				    &recs[i].r, &hit);
		}
	}
	return allowed;
}

static void
usage(void)
{
	fprintf(stderr, "usage: rulebench [-j] [-n records] [-r glob]... "
	    "[-s seed] [-w entries]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *globs[MAX_GLOBS];
	size_t nglobs = 0, nrules, i, j, n;
	unsigned nrec = 1000000, nwl = 10000;
	struct ruleset *rs;
	struct rule_state *st;
	struct wl_list wl;
	struct wl_index *ix;
	struct brec *recs;
	char err[RULE_ERR_MAX];
	uint64_t matches = 0, allowed = 0, fired = 0;
	struct rule_state_stats sst;
	double t0, t_match, t_wl, t_all, t_expire;
	int ch, json = 0;

	rng = 42;
	while ((ch = getopt(argc, argv, "jn:r:s:w:")) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'n':
			nrec = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			if (nglobs == MAX_GLOBS)
				usage();
			globs[nglobs++] = optarg;
			break;
		case 's':
			rng = strtoull(optarg, NULL, 10) | 1;
			break;
		case 'w':
			nwl = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (nglobs == 0)
		globs[nglobs++] = "rules/*.rules";
	if (nrec == 0)
		usage();
	if ((rs = rule_load(globs, nglobs, groups, 2, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "rulebench: %s\n", err);
		return 1;
	}
	nrules = rule_count(rs);
	wl_list_init(&wl);
	if (make_whitelist(&wl, nwl, err, sizeof(err)) != 0 ||
	    (ix = wl_index_build(&wl, groups, 2)) == NULL) {
		fprintf(stderr, "rulebench: whitelist: %s\n", err);
		return 1;
	}
	if ((recs = calloc(nrec, sizeof(*recs))) == NULL ||
	    (st = rule_state_new(rs, 400000)) == NULL) {
		fprintf(stderr, "rulebench: out of memory\n");
		return 1;
	}
	for (i = 0; i < nrec; i++) {
		make_rec(&recs[i], 1700000000000ULL + i / 50);
		recs[i].r.src = &recs[i].src;
		recs[i].r.dst = &recs[i].dst;
	}

	/* 1. the match programs alone (a record's class's candidates) */
	t0 = now_s();
	for (i = 0; i < nrec; i++) {
		const uint32_t *cand = rule_candidates(rs,
		    rule_class_of(&recs[i].r), &n);

		for (j = 0; j < n; j++)
			matches += (uint64_t)rule_match(rs, cand[j],
			    &recs[i].r);
	}
	t_match = now_s() - t0;

	/* 2. + the whitelist, asked once a record as detect.c does */
	t0 = now_s();
	allowed = stage(rs, ix, NULL, recs, nrec, &fired);
	t_wl = now_s() - t0;

	/* 3. the whole stage: match, whitelist, thresholds */
	t0 = now_s();
	(void)stage(rs, ix, st, recs, nrec, &fired);
	t_all = now_s() - t0;

	/* 4. expiry: a worker walks its windows once a second */
	t0 = now_s();
	rule_state_expire(st, recs[nrec - 1].r.ts_ms + 1000);
	t_expire = now_s() - t0;
	rule_state_stats(st, &sst);

	if (json)
		printf("{\"records\":%u,\"rules\":%zu,\"whitelist\":%zu,"
		    "\"match_ns\":%.1f,\"match_wl_ns\":%.1f,\"stage_ns\":%.1f,"
		    "\"stage_records_per_s\":%.0f,\"expire_ms\":%.3f,"
		    "\"windows\":%llu,\"matches\":%llu,"
		    "\"allowed\":%llu,\"fired\":%llu}\n", nrec, nrules,
		    wl_index_size(ix), t_match * 1e9 / nrec, t_wl * 1e9 / nrec,
		    t_all * 1e9 / nrec, nrec / t_all, t_expire * 1e3,
		    (unsigned long long)sst.keys,
		    (unsigned long long)matches, (unsigned long long)allowed,
		    (unsigned long long)fired);
	else {
		printf("%u records, %zu rules, %zu whitelist entries\n", nrec,
		    nrules, wl_index_size(ix));
		printf("  match programs      %7.1f ns/record  %6.2f M/s\n",
		    t_match * 1e9 / nrec, nrec / t_match / 1e6);
		printf("  + whitelist         %7.1f ns/record  %6.2f M/s\n",
		    t_wl * 1e9 / nrec, nrec / t_wl / 1e6);
		printf("  + thresholds        %7.1f ns/record  %6.2f M/s\n",
		    t_all * 1e9 / nrec, nrec / t_all / 1e6);
		printf("  expiry of %llu windows  %.3f ms (once a second per "
		    "worker)\n", (unsigned long long)sst.keys, t_expire * 1e3);
		printf("  %llu matches, %llu whitelisted, %llu fired\n",
		    (unsigned long long)matches, (unsigned long long)allowed,
		    (unsigned long long)fired);
	}
	rule_state_free(st);
	free(recs);
	wl_index_free(ix);
	wl_list_free(&wl);
	rule_free(rs);
	return 0;
}
