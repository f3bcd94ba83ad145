/*
 * cmd_hosts.c - `flowsentry hosts [HOST] [--since 1h] [--json]`: per-host
 * totals and top outbound services, read from Redis.
 *
 * DESIGN
 * Reads the schema rsink.c writes (docs/redis.md) with hiredis's blocking
 * API and pipelining: the host index (PREFIXhosts, a sorted set by last
 * seen), each host's time buckets in the window (HGETALL per bucket, summed
 * here), its peers (PFCOUNT over the window's HyperLogLogs) and, for one
 * host, its outbound services.  The Redis URL, prefix and bucket size come
 * from the daemon's configuration (-f), or --redis for the URL.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "cfg.h"
#include "cli.h"
#include "rsink.h"

#define MAX_HOSTS	10000
#define TOP_SERVICES	20

struct host_tot {
	char		host[64];
	uint64_t	last_ms;
	uint64_t	v[7];		/* bytes_in bytes_out pkts_in pkts_out flows_in flows_out peers_lost */
	long long	peers;
	char		group[64];
};

/* peers_lost: peers the collector had no room for (peers is a lower bound) */
static const char *fields[7] = { "bytes_in", "bytes_out", "pkts_in",
    "pkts_out", "flows_in", "flows_out", "peers_lost" };

struct svc {
	char		key[200];
	uint64_t	first, last, flows, bytes, packets;
	char		example[64];
	char		as_org[80];
};

static void
sum_hash(redisReply *r, uint64_t *v)
{
	size_t i;
	int f;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i + 1 < r->elements; i += 2)
		for (f = 0; f < 7; f++)
			if (strcmp(r->element[i]->str, fields[f]) == 0)
				v[f] += strtoull(r->element[i + 1]->str, NULL,
				    10);
}

/* Totals of one host over [from, to] (bucket starts). */
static int
host_totals(redisContext *c, const struct cfg *cf, struct host_tot *h,
    uint64_t from, uint64_t to)
{
	const char *P = cf->redis_prefix;
	size_t n = 0, i;
	redisReply *r, *bl;
	char **argv = NULL;
	size_t *lens = NULL, nk = 0;

	bl = redisCommand(c, "ZRANGEBYSCORE %s{%s}:buckets %llu %llu", P,
	    h->host, (unsigned long long)from, (unsigned long long)to);
	if (bl == NULL)
		return -1;
	if (bl->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(bl);
		return -1;
	}
	for (i = 0; i < bl->elements; i++) {
		redisAppendCommand(c, "HGETALL %s{%s}:b:%s", P, h->host,
		    bl->element[i]->str);
		n++;
	}
	redisAppendCommand(c, "HGET %s{%s}:meta group", P, h->host);
	for (i = 0; i < n; i++) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK) {
			freeReplyObject(bl);
			return -1;
		}
		sum_hash(r, h->v);
		freeReplyObject(r);
	}
	if (redisGetReply(c, (void **)&r) != REDIS_OK) {
		freeReplyObject(bl);
		return -1;
	}
	if (r->type == REDIS_REPLY_STRING)
		snprintf(h->group, sizeof(h->group), "%s", r->str);
	freeReplyObject(r);
	/* Distinct peers over the window: PFCOUNT merges the buckets. */
	argv = calloc(n + 1, sizeof(*argv));
	lens = calloc(n + 1, sizeof(*lens));
	if (argv == NULL || lens == NULL || n == 0)
		goto out;
	argv[nk] = strdup("PFCOUNT");
	lens[nk] = 7;
	nk++;
	for (i = 0; i < bl->elements; i++) {
		char k[300];

		lens[nk] = (size_t)snprintf(k, sizeof(k), "%s{%s}:peers:%s",
		    P, h->host, bl->element[i]->str);
		argv[nk++] = strdup(k);
	}
	r = redisCommandArgv(c, (int)nk, (const char **)argv, lens);
	if (r && r->type == REDIS_REPLY_INTEGER)
		h->peers = r->integer;
	freeReplyObject(r);
out:
	freeReplyObject(bl);
	for (i = 0; i < nk; i++)
		free(argv[i]);
	free(argv);
	free(lens);
	return 0;
}

static int
svc_cmp(const void *a, const void *b)
{
	const struct svc *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 :
	    strcmp(x->key, y->key);
}

/* The services of one host, top by bytes, last seen within the window. */
static int
services(redisContext *c, const struct cfg *cf, const char *host,
    uint64_t since_ms, struct svc **out, size_t *nout)
{
	redisReply *m, *r;
	struct svc *v;
	size_t i, j, n = 0;

	*out = NULL;
	*nout = 0;
	m = redisCommand(c, "SMEMBERS %s{%s}:svcs", cf->redis_prefix, host);
	if (m == NULL || m->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(m);
		return 0;
	}
	if ((v = calloc(m->elements + 1, sizeof(*v))) == NULL) {
		freeReplyObject(m);
		return -1;
	}
	for (i = 0; i < m->elements; i++)
		redisAppendCommand(c, "HGETALL %s{%s}:svc:%s", cf->redis_prefix,
		    host, m->element[i]->str);
	for (i = 0; i < m->elements; i++) {
		struct svc *s = &v[n];

		if (redisGetReply(c, (void **)&r) != REDIS_OK)
			break;
		snprintf(s->key, sizeof(s->key), "%s", m->element[i]->str);
		for (j = 0; r->type == REDIS_REPLY_ARRAY && j + 1 < r->elements;
		    j += 2) {
			const char *k = r->element[j]->str,
			    *val = r->element[j + 1]->str;

			if (!strcmp(k, "first"))
				s->first = strtoull(val, NULL, 10);
			else if (!strcmp(k, "last"))
				s->last = strtoull(val, NULL, 10);
			else if (!strcmp(k, "flows"))
				s->flows = strtoull(val, NULL, 10);
			else if (!strcmp(k, "bytes"))
				s->bytes = strtoull(val, NULL, 10);
			else if (!strcmp(k, "packets"))
				s->packets = strtoull(val, NULL, 10);
			else if (!strcmp(k, "example"))
				snprintf(s->example, sizeof(s->example), "%s",
				    val);
			else if (!strcmp(k, "as_org"))
				snprintf(s->as_org, sizeof(s->as_org), "%s",
				    val);
		}
		freeReplyObject(r);
		if (s->last >= since_ms)
			n++;
	}
	freeReplyObject(m);
	qsort(v, n, sizeof(*v), svc_cmp);
	*out = v;
	*nout = n;
	return 0;
}

static void
print_host(const struct host_tot *h, int json, int first)
{
	int f;

	if (json) {
		printf("%s{\"host\":", first ? "" : ",\n");
		cli_json_str(stdout, h->host);
		printf(",\"group\":");
		cli_json_str(stdout, h->group);
		printf(",\"last_seen\":%" PRIu64, h->last_ms);
		for (f = 0; f < 7; f++)
			printf(",\"%s\":%" PRIu64, fields[f], h->v[f]);
		printf(",\"peers\":%lld", h->peers);
	} else {
		/* "1234+": more peers than the collector could keep */
		printf("%-39s %-12s %14" PRIu64 " %14" PRIu64 " %10" PRIu64
		    " %10" PRIu64 " %7lld%s\n", h->host, h->group[0] ? h->group :
		    "-", h->v[0], h->v[1], h->v[4], h->v[5], h->peers,
		    h->v[6] ? "+" : "");
	}
}

static void
hosts_usage(FILE *f)
{
	fprintf(f, "usage: flowsentry hosts [HOST] [--since 1h] [--json] "
	    CLI_USAGE "\n");
}

int
cmd_hosts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		CLI_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	uint32_t since = 3600;
	struct cli x;
	struct cfg *cf;
	redisContext *c;
	redisReply *r;
	int ch, json = 0, rc = 1;
	uint64_t now_ms, since_ms, from, to;
	size_t i, nh;
	struct host_tot *h = NULL;

	cli_init(&x);
	while ((ch = cli_getopt(&x, argc, argv, "s:j" CLI_SHORTOPTS, opts,
	    hosts_usage)) != -1) {
		switch (ch) {
		case 's':
			if (cli_duration(optarg, &since) != 0)
				return 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return ch == CLI_HELP ? 0 : 1;
		}
	}
	if (argc - optind > 1) {
		hosts_usage(stderr);
		return 1;
	}
	if (cli_open(&x) != 0) {
		cli_close(&x);
		return 1;
	}
	cf = x.cf;
	c = x.c;
	now_ms = (uint64_t)time(NULL) * 1000;
	since_ms = now_ms - (uint64_t)since * 1000;
	from = since_ms / 1000 / cf->bucket * cf->bucket;
	to = now_ms / 1000 / cf->bucket * cf->bucket;

	if (optind < argc) {
		nh = 1;
		h = calloc(1, sizeof(*h));
		if (h == NULL)
			goto out;
		snprintf(h->host, sizeof(h->host), "%s", argv[optind]);
		r = redisCommand(c, "ZSCORE %shosts %s", cf->redis_prefix,
		    h->host);
		if (r == NULL || r->type != REDIS_REPLY_STRING) {
			fprintf(stderr, "flowsentry hosts: %s has not been seen\n",
			    h->host);
			freeReplyObject(r);
			goto out;
		}
		h->last_ms = strtoull(r->str, NULL, 10);
		freeReplyObject(r);
	} else {
		r = redisCommand(c, "ZREVRANGEBYSCORE %shosts +inf %llu "
		    "WITHSCORES LIMIT 0 %d", cf->redis_prefix,
		    (unsigned long long)since_ms, MAX_HOSTS);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "flowsentry hosts: %s\n", r ? r->str :
			    c->errstr);
			freeReplyObject(r);
			goto out;
		}
		nh = r->elements / 2;
		h = calloc(nh + 1, sizeof(*h));
		if (h == NULL) {
			freeReplyObject(r);
			goto out;
		}
		for (i = 0; i < nh; i++) {
			snprintf(h[i].host, sizeof(h[i].host), "%s",
			    r->element[2 * i]->str);
			h[i].last_ms = strtoull(r->element[2 * i + 1]->str,
			    NULL, 10);
		}
		freeReplyObject(r);
	}
	for (i = 0; i < nh; i++)
		if (host_totals(c, cf, &h[i], from, to) != 0) {
			fprintf(stderr, "flowsentry hosts: redis: %s\n",
			    c->errstr);
			goto out;
		}
	if (json && optind == argc)
		printf("[");
	else if (!json)
		printf("%-39s %-12s %14s %14s %10s %10s %7s\n", "host", "group",
		    "bytes_in", "bytes_out", "flows_in", "flows_out", "peers");
	for (i = 0; i < nh; i++) {
		print_host(&h[i], json, i == 0);
		if (json && optind == argc)
			printf("}");
	}
	if (optind < argc) {
		struct svc *v;
		size_t ns, k;

		if (services(c, cf, h->host, since_ms, &v, &ns) != 0)
			goto out;
		if (json)
			printf(",\"services\":[");
		else
			printf("\noutbound services (top %d by bytes, since %us "
			    "ago):\n%-50s %12s %14s %8s  %s\n", TOP_SERVICES,
			    since, "service", "flows", "bytes", "first",
			    "example");
		for (k = 0; k < ns && k < TOP_SERVICES; k++) {
			if (json) {
				printf("%s{\"service\":", k ? "," : "");
				cli_json_str(stdout, v[k].key);
				printf(",\"first\":%" PRIu64 ",\"last\":%" PRIu64
				    ",\"flows\":%" PRIu64 ",\"bytes\":%" PRIu64
				    ",\"packets\":%" PRIu64 ",\"example\":",
				    v[k].first, v[k].last, v[k].flows,
				    v[k].bytes, v[k].packets);
				cli_json_str(stdout, v[k].example);
				printf(",\"as_org\":");
				cli_json_str(stdout, v[k].as_org);
				printf("}");
			} else
				printf("%-50s %12" PRIu64 " %14" PRIu64
				    " %8" PRIu64 "  %s %s\n", v[k].key,
				    v[k].flows, v[k].bytes, v[k].first / 1000,
				    v[k].example, v[k].as_org);
		}
		if (json)
			printf("]}");
		free(v);
	}
	if (json)
		printf(optind == argc ? "]\n" : "\n");
	rc = 0;
out:
	free(h);
	cli_close(&x);
	return rc;
}
