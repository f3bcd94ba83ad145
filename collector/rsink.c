/*
 * rsink.c - see rsink.h.
 *
 * A Redis that is connected but slow (a long command, DEBUG SLEEP, a
 * stalled fork) does not answer, and every flush would add its commands
 * to hiredis's output buffer: memory without bound.  So a flush is put
 * off (counted as deferred, the aggregates kept and merged in memory
 * under their caps) while more than RSINK_MAX_PENDING commands of the
 * earlier ones are still unanswered.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rconn.h"
#include "rsink.h"

#define RSINK_MAX_PENDING	65536	/* unanswered commands */

struct rsink {
	const struct cfg	*cfg;
	struct rconn		*rc;
	struct rsink_stats	 st;
};

static void
cmd_send(struct rsink *s, struct rcmd *c)
{
	rconn_send(s->rc, c, NULL, NULL);
}

struct rsink *
rsink_new(struct event_base *base, const struct cfg *c, int worker,
    char *err, size_t errlen)
{
	struct rsink *s = calloc(1, sizeof(*s));
	char name[32];

	snprintf(name, sizeof(name), "worker %d", worker);
	if (s == NULL || (s->rc = rconn_new(base, c->redis_url, name, NULL,
	    NULL, NULL)) == NULL) {
		free(s);
		snprintf(err, errlen, "redis: out of memory");
		return NULL;
	}
	s->cfg = c;
	return s;
}

void
rsink_free(struct rsink *s)
{
	if (s == NULL)
		return;
	rconn_free(s->rc);
	free(s);
}

void
rsink_set_cfg(struct rsink *s, const struct cfg *c)
{
	s->cfg = c;
	rconn_set_url(s->rc, c->redis_url);
}

int
rsink_connected(const struct rsink *s)
{
	return rconn_up(s->rc);
}

uint64_t
rsink_pending(const struct rsink *s)
{
	return rconn_stats(s->rc)->pending;
}

const struct rsink_stats *
rsink_stats(const struct rsink *s)
{
	const struct rconn_stats *r = rconn_stats(s->rc);
	struct rsink_stats *st = (struct rsink_stats *)&s->st;

	st->connected = r->connected;
	st->connects = r->connects;
	st->connect_failures = r->connect_failures;
	st->disconnects = r->disconnects;
	st->commands = r->commands;
	st->errors = r->errors;
	st->lost = r->lost;
	st->pending = r->pending;
	return st;
}

/* ---- the key schema (docs/redis.md) ---------------------------------- */

#define PFADD_PEERS	64		/* peers per PFADD command */
/* CFG_PREFIX_MAX + {IPv6 address} + ":svc:" + a service key (< 160) */
#define KEY_MAX		320

/* One command of up to four arguments, written without printf. */
static void
cmd4(struct rsink *s, const char *a0, const char *a1, const char *a2,
    const char *a3)
{
	struct rcmd c;

	rcmd_init(&c);
	rcmd_str(&c, a0);
	rcmd_str(&c, a1);
	if (a2)
		rcmd_str(&c, a2);
	if (a3)
		rcmd_str(&c, a3);
	cmd_send(s, &c);
}

/* The same with a number last. */
static void
cmd_n(struct rsink *s, const char *cmd, const char *key, const char *field,
    uint64_t v)
{
	struct rcmd c;

	rcmd_init(&c);
	rcmd_str(&c, cmd);
	rcmd_str(&c, key);
	if (field)
		rcmd_str(&c, field);
	rcmd_u64(&c, v);
	cmd_send(s, &c);
}

/* PFADD of the entry's peers, its own then the spilled ones. */
static void
write_peers(struct rsink *s, const struct agg *a, const struct agg_host *h,
    const char *pkey)
{
	char peer[64];
	struct rcmd c;
	uint32_t i = 0, sp = h->spill, n = 0;
	const struct flow_addr *x;

	for (;;) {
		if (i < h->npeers)
			x = &h->peers[i++];
		else if (sp) {
			x = &a->spill[sp - 1].peer;
			sp = a->spill[sp - 1].next;
		} else
			x = NULL;
		if (x != NULL) {
			if (n == 0) {
				rcmd_init(&c);
				rcmd_str(&c, "PFADD");
				rcmd_str(&c, pkey);
			}
			rcmd_str(&c, flow_addr_str(x, peer, sizeof(peer)));
			n++;
		}
		if (n > 0 && (x == NULL || n == PFADD_PEERS)) {
			cmd_send(s, &c);
			n = 0;
		}
		if (x == NULL)
			break;
	}
}

static void
write_host(struct rsink *s, const struct agg *a, const struct agg_host *h)
{
	const char *P = s->cfg->redis_prefix;
	uint32_t ttl = s->cfg->bucket_ttl;
	static const char *names[] = { "bytes_in", "bytes_out", "pkts_in",
	    "pkts_out", "flows_in", "flows_out" };
	const uint64_t vals[] = { h->bytes_in, h->bytes_out, h->pkts_in,
	    h->pkts_out, h->flows_in, h->flows_out };
	char host[64], bkey[KEY_MAX], pkey[KEY_MAX], zkey[KEY_MAX];
	char mkey[KEY_MAX], keep[24];
	unsigned long long b = (unsigned long long)h->bucket;
	int i;

	flow_addr_str(&h->host, host, sizeof(host));
	snprintf(bkey, sizeof(bkey), "%s{%s}:b:%llu", P, host, b);
	snprintf(pkey, sizeof(pkey), "%s{%s}:peers:%llu", P, host, b);
	snprintf(zkey, sizeof(zkey), "%s{%s}:buckets", P, host);
	snprintf(mkey, sizeof(mkey), "%s{%s}:meta", P, host);
	for (i = 0; i < 6; i++)
		if (vals[i] != 0)
			cmd_n(s, "HINCRBY", bkey, names[i], vals[i]);
	cmd_n(s, "EXPIRE", bkey, NULL, ttl);
	if (h->peers_lost)		/* the peer count is a lower bound */
		cmd_n(s, "HINCRBY", bkey, "peers_lost", h->peers_lost);
	if (h->npeers) {
		write_peers(s, a, h, pkey);
		cmd_n(s, "EXPIRE", pkey, NULL, ttl);
	}
	/* The host's bucket index: newest ttl/bucket entries kept. */
	{
		struct rcmd c;

		rcmd_init(&c);
		rcmd_str(&c, "ZADD");
		rcmd_str(&c, zkey);
		rcmd_u64(&c, h->bucket);
		rcmd_u64(&c, h->bucket);
		cmd_send(s, &c);
	}
	snprintf(keep, sizeof(keep), "-%u",
	    ttl / (s->cfg->bucket ? s->cfg->bucket : 60) + 2);
	cmd4(s, "ZREMRANGEBYRANK", zkey, "0", keep);
	cmd_n(s, "EXPIRE", zkey, NULL, ttl);
	/* The host index and the host's own facts. */
	{
		struct rcmd c;

		rcmd_init(&c);
		rcmd_str(&c, "ZADD");
		rcmd_arg(&c, "%shosts", P);
		rcmd_str(&c, "GT");
		rcmd_u64(&c, h->last_ms);
		rcmd_str(&c, host);
		cmd_send(s, &c);
	}
	cmd_n(s, "HSETNX", mkey, "first_seen", h->bucket * 1000);
	if (h->group >= 0 && (size_t)h->group < s->cfg->ngroups)
		cmd4(s, "HSET", mkey, "group", s->cfg->groups[h->group].name);
}

static void
write_svc(struct rsink *s, const struct agg_svc *v)
{
	const char *P = s->cfg->redis_prefix;
	char host[64], key[160], ex[64], skey[KEY_MAX], ukey[KEY_MAX];
	struct rcmd c;

	flow_addr_str(&v->host, host, sizeof(host));
	agg_svc_key(v, key, sizeof(key));
	snprintf(ukey, sizeof(ukey), "%s{%s}:svcs", P, host);
	snprintf(skey, sizeof(skey), "%s{%s}:svc:%s", P, host, key);
	cmd4(s, "SADD", ukey, key, NULL);
	cmd_n(s, "HSETNX", skey, "first", v->first_ms);
	rcmd_init(&c);
	rcmd_str(&c, "HSET");
	rcmd_str(&c, skey);
	rcmd_str(&c, "last");
	rcmd_u64(&c, v->last_ms);
	rcmd_str(&c, "example");
	rcmd_str(&c, flow_addr_str(&v->example, ex, sizeof(ex)));
	rcmd_str(&c, "as_org");
	rcmd_str(&c, v->as_org);
	cmd_send(s, &c);
	cmd_n(s, "HINCRBY", skey, "flows", v->flows);
	cmd_n(s, "HINCRBY", skey, "bytes", v->bytes);
	cmd_n(s, "HINCRBY", skey, "packets", v->packets);
}

int
rsink_ready(const struct rsink *s)
{
	return rconn_up(s->rc) &&
	    rconn_stats(s->rc)->pending <= RSINK_MAX_PENDING;
}

void
rsink_deferred(struct rsink *s)
{
	s->st.flushes_deferred++;
}

uint32_t
rsink_write(struct rsink *s, const struct agg *a, uint32_t pos, uint32_t max)
{
	uint32_t end = a->hn + a->sn;

	if (max > end - pos)
		max = end - pos;
	for (; max > 0; max--, pos++)
		if (pos < a->hn)
			write_host(s, a, &a->hosts[pos]);
		else
			write_svc(s, &a->svcs[pos - a->hn]);
	if (pos == end)
		s->st.flushes++;
	return pos;
}
