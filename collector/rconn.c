/*
 * rconn.c - see rconn.h.
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

#include "cfg.h"
#include "log.h"
#include "rconn.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	10000

struct rconn {
	struct event_base	*base;
	char			*url;
	char			 name[32];
	redisAsyncContext	*ac;
	int			 up;		/* connect callback said OK */
	struct event		*ev_retry;
	uint32_t		 backoff_ms;
	rconn_event_cb		*on_up, *on_down;
	void			*arg;
	struct log_limit	 warn;
	struct rconn_stats	 st;
};

/* A command's reply on its way back to its sender. */
struct pend {
	struct rconn		*rc;
	redisCallbackFn		*cb;
	void			*priv;
};

static void rc_connect(struct rconn *rc);

void
rcmd_init(struct rcmd *c)
{
	c->argc = 0;
	c->used = 0;
	c->overflow = 0;
}

void
rcmd_arg(struct rcmd *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->argc >= RCMD_MAXARGS || c->used >= sizeof(c->buf)) {
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

static uint64_t
now_ms(void)
{
	return (uint64_t)time(NULL) * 1000;
}

static void
count_reply(struct rconn *rc, redisReply *rep)
{
	uint64_t supp;

	if (rc->st.pending)
		rc->st.pending--;
	if (rep == NULL) {
		rc->st.lost++;
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		rc->st.errors++;
		if (log_limit_ok(&rc->warn, now_ms(), 60000, &supp))
			log_warnx("redis (%s): %s", rc->name, rep->str);
	}
}

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	(void)ac;
	count_reply(priv, r);
}

static void
on_reply_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct pend *p = priv;

	count_reply(p->rc, r);
	p->cb(ac, r, p->priv);
	free(p);
}

int
rconn_send(struct rconn *rc, const struct rcmd *c, redisCallbackFn *cb,
    void *priv)
{
	struct pend *p = NULL;
	int rv;

	if (c->overflow || rc->ac == NULL)
		return -1;
	if (cb) {
		if ((p = malloc(sizeof(*p))) == NULL)
			return -1;
		p->rc = rc;
		p->cb = cb;
		p->priv = priv;
		rv = redisAsyncCommandArgv(rc->ac, on_reply_cb, p, c->argc,
		    (const char **)(uintptr_t)c->argv, c->len);
	} else
		rv = redisAsyncCommandArgv(rc->ac, on_reply, rc, c->argc,
		    (const char **)(uintptr_t)c->argv, c->len);
	if (rv != REDIS_OK) {
		free(p);
		return -1;
	}
	rc->st.commands++;
	rc->st.pending++;
	return 0;
}

int
rconn_subscribe(struct rconn *rc, const char *channel, redisCallbackFn *cb,
    void *priv)
{
	const char *argv[2] = { "SUBSCRIBE", channel };
	size_t len[2] = { 9, strlen(channel) };

	if (rc->ac == NULL)
		return -1;
	return redisAsyncCommandArgv(rc->ac, cb, priv, 2, argv, len) ==
	    REDIS_OK ? 0 : -1;
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rc_connect(arg);
}

static void
schedule_retry(struct rconn *rc)
{
	struct timeval tv;

	tv.tv_sec = rc->backoff_ms / 1000;
	tv.tv_usec = (suseconds_t)(rc->backoff_ms % 1000) * 1000;
	event_add(rc->ev_retry, &tv);
	rc->backoff_ms = rc->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    rc->backoff_ms * 2;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct rconn *rc = ac->data;
	uint64_t supp;

	if (status != REDIS_OK) {
		rc->ac = NULL;			/* hiredis frees it */
		rc->st.connect_failures++;
		if (log_limit_ok(&rc->warn, now_ms(), 60000, &supp))
			log_warnx("redis %s (%s): %s; retrying in %.1f s",
			    rc->url, rc->name, ac->errstr,
			    rc->backoff_ms / 1000.0);
		schedule_retry(rc);
		return;
	}
	rc->up = 1;
	rc->st.connected = 1;
	rc->st.connects++;
	rc->backoff_ms = BACKOFF_MIN_MS;
	log_info("redis %s: connected (%s)", rc->url, rc->name);
	if (rc->on_up)
		rc->on_up(rc, rc->arg);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rconn *rc = ac->data;

	if (rc == NULL)
		return;
	rc->ac = NULL;
	rc->st.connected = 0;
	if (rc->up && rc->on_down)
		rc->on_down(rc, rc->arg);
	rc->up = 0;
	if (status == REDIS_OK)
		return;				/* we asked for it */
	rc->st.disconnects++;
	log_warnx("redis %s (%s): connection lost: %s; reconnecting",
	    rc->url, rc->name, ac->errstr);
	schedule_retry(rc);
}

static void
rc_connect(struct rconn *rc)
{
	char host[256], pass[256];
	int port, db;
	struct rcmd c;

	if (rc->ac || rc->url == NULL)
		return;
	if (cfg_parse_redis_url(rc->url, host, sizeof(host), &port, pass,
	    sizeof(pass), &db) != 0)
		return;				/* cfg.c validated it */
	rc->ac = port == -1 ? redisAsyncConnectUnix(host) :
	    redisAsyncConnect(host, port);
	if (rc->ac == NULL || rc->ac->err) {
		if (rc->ac)
			redisAsyncFree(rc->ac);
		rc->ac = NULL;
		rc->st.connect_failures++;
		schedule_retry(rc);
		return;
	}
	rc->ac->data = rc;
	redisLibeventAttach(rc->ac, rc->base);
	redisAsyncSetConnectCallback(rc->ac, on_connect);
	redisAsyncSetDisconnectCallback(rc->ac, on_disconnect);
	/* Queued now, sent first once connected. */
	if (pass[0]) {
		rcmd_init(&c);
		rcmd_arg(&c, "AUTH");
		rcmd_arg(&c, "%s", pass);
		rconn_send(rc, &c, NULL, NULL);
	}
	if (db) {
		rcmd_init(&c);
		rcmd_arg(&c, "SELECT");
		rcmd_arg(&c, "%d", db);
		rconn_send(rc, &c, NULL, NULL);
	}
}

struct rconn *
rconn_new(struct event_base *base, const char *url, const char *name,
    rconn_event_cb *on_up, rconn_event_cb *on_down, void *arg)
{
	struct rconn *rc = calloc(1, sizeof(*rc));

	if (rc == NULL)
		return NULL;
	if ((rc->ev_retry = evtimer_new(base, on_retry, rc)) == NULL ||
	    (url && (rc->url = strdup(url)) == NULL)) {
		rconn_free(rc);
		return NULL;
	}
	rc->base = base;
	snprintf(rc->name, sizeof(rc->name), "%s", name);
	rc->on_up = on_up;
	rc->on_down = on_down;
	rc->arg = arg;
	rc->backoff_ms = BACKOFF_MIN_MS;
	rc_connect(rc);
	return rc;
}

static void
rc_disconnect(struct rconn *rc)
{
	redisAsyncContext *ac = rc->ac;

	if (ac == NULL)
		return;
	rc->ac = NULL;
	rc->on_down = NULL;
	ac->data = NULL;		/* on_disconnect: nothing to tell */
	redisAsyncFree(ac);		/* reply callbacks run with NULL */
	rc->up = 0;
	rc->st.connected = 0;
}

void
rconn_free(struct rconn *rc)
{
	if (rc == NULL)
		return;
	rc_disconnect(rc);
	if (rc->ev_retry)
		event_free(rc->ev_retry);
	free(rc->url);
	free(rc);
}

int
rconn_set_url(struct rconn *rc, const char *url)
{
	char *n = NULL;
	rconn_event_cb *down = rc->on_down;

	if ((url == NULL && rc->url == NULL) ||
	    (url && rc->url && strcmp(url, rc->url) == 0))
		return 0;
	if (url && (n = strdup(url)) == NULL)
		return -1;
	if (rc->up && down)
		down(rc, rc->arg);
	rc_disconnect(rc);
	rc->on_down = down;
	event_del(rc->ev_retry);
	free(rc->url);
	rc->url = n;
	rc->backoff_ms = BACKOFF_MIN_MS;
	rc_connect(rc);
	return 0;
}

int
rconn_up(const struct rconn *rc)
{
	return rc->up;
}

const char *
rconn_url(const struct rconn *rc)
{
	return rc->url;
}

const struct rconn_stats *
rconn_stats(const struct rconn *rc)
{
	return &rc->st;
}
