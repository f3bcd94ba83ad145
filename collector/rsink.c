/*
 * rsink.c - see rsink.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "log.h"
#include "rsink.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	10000
#define CMD_MAXARGS	(4 + 2 * AGG_PEERS)

struct rsink {
	struct event_base	*base;
	const struct cfg	*cfg;
	int			 worker;
	redisAsyncContext	*ac;
	int			 up;		/* connect callback said OK */
	struct event		*ev_retry;
	uint32_t		 backoff_ms;
	struct log_limit	 warn;
	struct rsink_stats	 st;
};

/* One command under construction: argv pointing into buf. */
struct cmd {
	int		 argc;
	const char	*argv[CMD_MAXARGS];
	size_t		 len[CMD_MAXARGS];
	char		 buf[CMD_MAXARGS * 80];
	size_t		 used;
	int		 overflow;
};

static void rs_connect(struct rsink *s);

static void
cmd_init(struct cmd *c)
{
	c->argc = 0;
	c->used = 0;
	c->overflow = 0;
}

static void
cmd_arg(struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
cmd_arg(struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->argc >= CMD_MAXARGS || c->used >= sizeof(c->buf)) {
		c->overflow = 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(c->buf + c->used, sizeof(c->buf) - c->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(c->buf) - c->used) {
		c->overflow = 1;
		return;
	}
	c->argv[c->argc] = c->buf + c->used;
	c->len[c->argc] = (size_t)n;
	c->argc++;
	c->used += (size_t)n + 1;
}

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct rsink *s = priv;
	redisReply *rep = r;

	(void)ac;
	if (s->st.pending)
		s->st.pending--;
	if (rep == NULL) {
		s->st.lost++;
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		uint64_t supp;

		s->st.errors++;
		if (log_limit_ok(&s->warn, (uint64_t)time(NULL) * 1000, 60000,
		    &supp))
			log_warnx("redis (worker %d): %s", s->worker, rep->str);
	}
}

static void
cmd_send(struct rsink *s, struct cmd *c)
{
	if (c->overflow || s->ac == NULL)
		return;
	if (redisAsyncCommandArgv(s->ac, on_reply, s, c->argc, c->argv,
	    c->len) == REDIS_OK) {
		s->st.commands++;
		s->st.pending++;
	}
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rs_connect(arg);
}

static void
schedule_retry(struct rsink *s)
{
	struct timeval tv;

	tv.tv_sec = s->backoff_ms / 1000;
	tv.tv_usec = (suseconds_t)(s->backoff_ms % 1000) * 1000;
	event_add(s->ev_retry, &tv);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    s->backoff_ms * 2;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct rsink *s = ac->data;
	uint64_t supp;

	if (status != REDIS_OK) {
		s->ac = NULL;			/* hiredis frees it */
		s->st.connect_failures++;
		if (log_limit_ok(&s->warn, (uint64_t)time(NULL) * 1000, 60000,
		    &supp))
			log_warnx("redis %s: %s; retrying in %.1f s (the "
			    "aggregates are kept meanwhile)", s->cfg->redis_url,
			    ac->errstr, s->backoff_ms / 1000.0);
		schedule_retry(s);
		return;
	}
	s->up = 1;
	s->st.connected = 1;
	s->st.connects++;
	s->backoff_ms = BACKOFF_MIN_MS;
	log_info("redis %s: connected (worker %d)", s->cfg->redis_url,
	    s->worker);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rsink *s = ac->data;

	if (s == NULL)
		return;
	s->ac = NULL;
	s->up = 0;
	s->st.connected = 0;
	if (status == REDIS_OK)
		return;				/* we asked for it */
	s->st.disconnects++;
	log_warnx("redis %s: connection lost: %s; reconnecting",
	    s->cfg->redis_url, ac->errstr);
	schedule_retry(s);
}

static void
rs_connect(struct rsink *s)
{
	char host[256], pass[256];
	int port, db;
	struct cmd c;

	if (s->ac || s->cfg->redis_url == NULL)
		return;
	if (cfg_parse_redis_url(s->cfg->redis_url, host, sizeof(host), &port, pass,
	    sizeof(pass), &db) != 0)
		return;				/* cfg.c validated it */
	s->ac = port == -1 ? redisAsyncConnectUnix(host) :
	    redisAsyncConnect(host, port);
	if (s->ac == NULL || s->ac->err) {
		if (s->ac)
			redisAsyncFree(s->ac);
		s->ac = NULL;
		s->st.connect_failures++;
		schedule_retry(s);
		return;
	}
	s->ac->data = s;
	redisLibeventAttach(s->ac, s->base);
	redisAsyncSetConnectCallback(s->ac, on_connect);
	redisAsyncSetDisconnectCallback(s->ac, on_disconnect);
	/* Queued now, sent first once connected. */
	if (pass[0]) {
		cmd_init(&c);
		cmd_arg(&c, "AUTH");
		cmd_arg(&c, "%s", pass);
		cmd_send(s, &c);
	}
	if (db) {
		cmd_init(&c);
		cmd_arg(&c, "SELECT");
		cmd_arg(&c, "%d", db);
		cmd_send(s, &c);
	}
}

struct rsink *
rsink_new(struct event_base *base, const struct cfg *c, int worker,
    char *err, size_t errlen)
{
	struct rsink *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->ev_retry = evtimer_new(base, on_retry, s))
	    == NULL) {
		free(s);
		snprintf(err, errlen, "redis: out of memory");
		return NULL;
	}
	s->base = base;
	s->cfg = c;
	s->worker = worker;
	s->backoff_ms = BACKOFF_MIN_MS;
	rs_connect(s);
	return s;
}

void
rsink_free(struct rsink *s)
{
	if (s == NULL)
		return;
	if (s->ac) {
		redisAsyncContext *ac = s->ac;

		ac->data = s;
		redisAsyncFree(ac);		/* callbacks run with NULL */
		s->ac = NULL;
	}
	event_free(s->ev_retry);
	free(s);
}

void
rsink_set_cfg(struct rsink *s, const struct cfg *c)
{
	int changed = (c->redis_url == NULL) != (s->cfg->redis_url == NULL) ||
	    (c->redis_url && strcmp(c->redis_url, s->cfg->redis_url));

	s->cfg = c;
	if (changed && s->ac) {
		redisAsyncDisconnect(s->ac);	/* on_disconnect: status OK */
		s->ac = NULL;
	}
	if (changed)
		rs_connect(s);
}

int
rsink_connected(const struct rsink *s)
{
	return s->up;
}

uint64_t
rsink_pending(const struct rsink *s)
{
	return s->st.pending;
}

const struct rsink_stats *
rsink_stats(const struct rsink *s)
{
	return &s->st;
}

/* ---- the key schema (docs/redis.md) ---------------------------------- */

static void
write_host(struct rsink *s, const struct agg_host *h)
{
	const char *P = s->cfg->redis_prefix;
	uint32_t ttl = s->cfg->bucket_ttl;
	static const char *names[] = { "bytes_in", "bytes_out", "pkts_in",
	    "pkts_out", "flows_in", "flows_out" };
	const uint64_t vals[] = { h->bytes_in, h->bytes_out, h->pkts_in,
	    h->pkts_out, h->flows_in, h->flows_out };
	char host[64];
	struct cmd c;
	int i;

	flow_addr_str(&h->host, host, sizeof(host));
	for (i = 0; i < 6; i++) {
		if (vals[i] == 0)
			continue;
		cmd_init(&c);
		cmd_arg(&c, "HINCRBY");
		cmd_arg(&c, "%s{%s}:b:%llu", P, host,
		    (unsigned long long)h->bucket);
		cmd_arg(&c, "%s", names[i]);
		cmd_arg(&c, "%llu", (unsigned long long)vals[i]);
		cmd_send(s, &c);
	}
	cmd_init(&c);
	cmd_arg(&c, "EXPIRE");
	cmd_arg(&c, "%s{%s}:b:%llu", P, host, (unsigned long long)h->bucket);
	cmd_arg(&c, "%u", ttl);
	cmd_send(s, &c);
	if (h->npeers) {
		char peer[64];

		cmd_init(&c);
		cmd_arg(&c, "PFADD");
		cmd_arg(&c, "%s{%s}:peers:%llu", P, host,
		    (unsigned long long)h->bucket);
		for (i = 0; i < h->npeers; i++)
			cmd_arg(&c, "%s", flow_addr_str(&h->peers[i], peer,
			    sizeof(peer)));
		cmd_send(s, &c);
		cmd_init(&c);
		cmd_arg(&c, "EXPIRE");
		cmd_arg(&c, "%s{%s}:peers:%llu", P, host,
		    (unsigned long long)h->bucket);
		cmd_arg(&c, "%u", ttl);
		cmd_send(s, &c);
	}
	/* The host's bucket index: newest ttl/bucket entries kept. */
	cmd_init(&c);
	cmd_arg(&c, "ZADD");
	cmd_arg(&c, "%s{%s}:buckets", P, host);
	cmd_arg(&c, "%llu", (unsigned long long)h->bucket);
	cmd_arg(&c, "%llu", (unsigned long long)h->bucket);
	cmd_send(s, &c);
	cmd_init(&c);
	cmd_arg(&c, "ZREMRANGEBYRANK");
	cmd_arg(&c, "%s{%s}:buckets", P, host);
	cmd_arg(&c, "0");
	cmd_arg(&c, "-%u", ttl / (s->cfg->bucket ? s->cfg->bucket : 60) + 2);
	cmd_send(s, &c);
	cmd_init(&c);
	cmd_arg(&c, "EXPIRE");
	cmd_arg(&c, "%s{%s}:buckets", P, host);
	cmd_arg(&c, "%u", ttl);
	cmd_send(s, &c);
	/* The host index and the host's own facts. */
	cmd_init(&c);
	cmd_arg(&c, "ZADD");
	cmd_arg(&c, "%shosts", P);
	cmd_arg(&c, "GT");
	cmd_arg(&c, "%llu", (unsigned long long)h->last_ms);
	cmd_arg(&c, "%s", host);
	cmd_send(s, &c);
	cmd_init(&c);
	cmd_arg(&c, "HSETNX");
	cmd_arg(&c, "%s{%s}:meta", P, host);
	cmd_arg(&c, "first_seen");
	cmd_arg(&c, "%llu", (unsigned long long)h->bucket * 1000);
	cmd_send(s, &c);
	if (h->group >= 0 && (size_t)h->group < s->cfg->ngroups) {
		cmd_init(&c);
		cmd_arg(&c, "HSET");
		cmd_arg(&c, "%s{%s}:meta", P, host);
		cmd_arg(&c, "group");
		cmd_arg(&c, "%s", s->cfg->groups[h->group].name);
		cmd_send(s, &c);
	}
}

static void
write_svc(struct rsink *s, const struct agg_svc *v)
{
	const char *P = s->cfg->redis_prefix;
	char host[64], key[160], ex[64];
	struct cmd c;

	flow_addr_str(&v->host, host, sizeof(host));
	agg_svc_key(v, key, sizeof(key));
	cmd_init(&c);
	cmd_arg(&c, "SADD");
	cmd_arg(&c, "%s{%s}:svcs", P, host);
	cmd_arg(&c, "%s", key);
	cmd_send(s, &c);
	cmd_init(&c);
	cmd_arg(&c, "HSETNX");
	cmd_arg(&c, "%s{%s}:svc:%s", P, host, key);
	cmd_arg(&c, "first");
	cmd_arg(&c, "%llu", (unsigned long long)v->first_ms);
	cmd_send(s, &c);
	cmd_init(&c);
	cmd_arg(&c, "HSET");
	cmd_arg(&c, "%s{%s}:svc:%s", P, host, key);
	cmd_arg(&c, "last");
	cmd_arg(&c, "%llu", (unsigned long long)v->last_ms);
	cmd_arg(&c, "example");
	cmd_arg(&c, "%s", flow_addr_str(&v->example, ex, sizeof(ex)));
	cmd_arg(&c, "as_org");
	cmd_arg(&c, "%s", v->as_org);
	cmd_send(s, &c);
	cmd_init(&c);
	cmd_arg(&c, "HINCRBY");
	cmd_arg(&c, "%s{%s}:svc:%s", P, host, key);
	cmd_arg(&c, "flows");
	cmd_arg(&c, "%llu", (unsigned long long)v->flows);
	cmd_send(s, &c);
	cmd_init(&c);
	cmd_arg(&c, "HINCRBY");
	cmd_arg(&c, "%s{%s}:svc:%s", P, host, key);
	cmd_arg(&c, "bytes");
	cmd_arg(&c, "%llu", (unsigned long long)v->bytes);
	cmd_send(s, &c);
	cmd_init(&c);
	cmd_arg(&c, "HINCRBY");
	cmd_arg(&c, "%s{%s}:svc:%s", P, host, key);
	cmd_arg(&c, "packets");
	cmd_arg(&c, "%llu", (unsigned long long)v->packets);
	cmd_send(s, &c);
}

void
rsink_flush(struct rsink *s, struct agg *a, uint64_t now_ms)
{
	uint32_t i;

	(void)now_ms;
	if (a->hn == 0 && a->sn == 0)
		return;
	if (!s->up || s->ac == NULL) {
		s->st.flushes_deferred++;
		return;
	}
	for (i = 0; i < a->hn; i++)
		write_host(s, &a->hosts[i]);
	for (i = 0; i < a->sn; i++)
		write_svc(s, &a->svcs[i]);
	s->st.flushes++;
	agg_clear(a);
}
