/*
 * rconn.c - see rconn.h.
 *
 * The connection is "up" (rconn_up(), on_up, commands accepted) only once
 * the socket is connected AND the server accepted the AUTH and SELECT the
 * URL asks for.  A refused AUTH or SELECT (WRONGPASS, NOAUTH, a bad db)
 * is logged with the server's reason, the connection is closed and tried
 * again with the same backoff as a failed connect: before, the connection
 * counted as up, every flush was answered NOAUTH and the aggregates it
 * carried were thrown away.  Log lines show the URL without its password.
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
	char			*shown;		/* url without the password */
	char			 name[32];
	redisAsyncContext	*ac;
	int			 up;		/* connected, AUTH and SELECT done */
	int			 hs;		/* AUTH/SELECT replies awaited */
	int			 hs_failed;	/* one was refused: closing */
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

void
rcmd_str(struct rcmd *c, const char *s)
{
	size_t n = strlen(s);

	if (c->argc >= RCMD_MAXARGS || n >= sizeof(c->buf) - c->used) {
		c->overflow = 1;
		return;
	}
	memcpy(c->buf + c->used, s, n + 1);
	c->argv[c->argc] = c->buf + c->used;
	c->len[c->argc] = n;
	c->argc++;
	c->used += n + 1;
}

void
rcmd_u64(struct rcmd *c, uint64_t v)
{
	char d[21], *p = d + sizeof(d) - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	rcmd_str(c, p);
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

/* Queue c on the connection. */
static int
rc_send(struct rconn *rc, const struct rcmd *c, redisCallbackFn *cb,
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
rconn_send(struct rconn *rc, const struct rcmd *c, redisCallbackFn *cb,
    void *priv)
{
	if (!rc->up)
		return -1;
	return rc_send(rc, c, cb, priv);
}

int
rconn_subscribe(struct rconn *rc, const char *channel, redisCallbackFn *cb,
    void *priv)
{
	const char *argv[2] = { "SUBSCRIBE", channel };
	size_t len[2] = { 9, strlen(channel) };

	if (rc->ac == NULL || !rc->up)
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

/* A connection attempt failed (why: the reason): counted and logged. */
static void
connect_failed(struct rconn *rc, const char *why)
{
	uint64_t supp;

	rc->st.connect_failures++;
	if (log_limit_ok(&rc->warn, now_ms(), 60000, &supp))
		log_warnx("redis %s (%s): %s; retrying in %.1f s%s", rc->shown,
		    rc->name, why, rc->backoff_ms / 1000.0, supp ? " (similar "
		    "warnings suppressed in the last minute)" : "");
}

/* Connected, and AUTH and SELECT (if any) accepted. */
static void
mark_up(struct rconn *rc)
{
	rc->up = 1;
	rc->st.connected = 1;
	rc->st.connects++;
	rc->backoff_ms = BACKOFF_MIN_MS;
	log_info("redis %s: connected (%s)", rc->shown, rc->name);
	if (rc->on_up)
		rc->on_up(rc, rc->arg);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct rconn *rc = ac->data;

	if (rc == NULL)
		return;
	if (status != REDIS_OK) {
		rc->ac = NULL;			/* hiredis frees it */
		connect_failed(rc, ac->errstr);
		schedule_retry(rc);
		return;
	}
	if (rc->hs == 0)
		mark_up(rc);
	/* else the replies to AUTH and SELECT decide (handshake_reply) */
}

/*
 * The reply to AUTH or SELECT, sent first on every connection: a refusal
 * closes the connection, and on_disconnect() schedules the next attempt.
 */
static void
handshake_reply(struct rconn *rc, redisAsyncContext *ac, redisReply *rep,
    const char *what)
{
	char why[300];

	if (rc->st.pending)
		rc->st.pending--;
	if (rep == NULL)		/* the connection is going anyway; */
		return;			/* no data was in it: not "lost" */
	if (rc->ac != ac)
		return;
	if (rc->hs > 0)
		rc->hs--;
	if (rep->type == REDIS_REPLY_ERROR) {
		if (rc->hs_failed)
			return;		/* SELECT after a refused AUTH */
		rc->hs_failed = 1;
		snprintf(why, sizeof(why), "%s refused: %s", what,
		    rep->str ? rep->str : "error");
		connect_failed(rc, why);
		redisAsyncDisconnect(ac);
		return;
	}
	if (rc->hs == 0 && !rc->hs_failed && !rc->up &&
	    (ac->c.flags & REDIS_CONNECTED))
		mark_up(rc);
}

static void
on_auth(redisAsyncContext *ac, void *r, void *priv)
{
	handshake_reply(priv, ac, r, "AUTH");
}

static void
on_select(redisAsyncContext *ac, void *r, void *priv)
{
	handshake_reply(priv, ac, r, "SELECT");
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
	if (rc->hs_failed) {			/* AUTH/SELECT refused */
		rc->hs_failed = 0;
		schedule_retry(rc);
		return;
	}
	if (status == REDIS_OK)
		return;				/* we asked for it */
	rc->st.disconnects++;
	log_warnx("redis %s (%s): connection lost: %s; reconnecting",
	    rc->shown, rc->name, ac->errstr);
	schedule_retry(rc);
}

/* Queue a handshake command (sent first once connected); 0 or -1. */
static int
hs_send(struct rconn *rc, redisCallbackFn *cb, const char *cmd,
    const char *arg)
{
	const char *argv[2] = { cmd, arg };
	size_t len[2] = { strlen(cmd), strlen(arg) };

	if (redisAsyncCommandArgv(rc->ac, cb, rc, 2, argv, len) != REDIS_OK)
		return -1;
	rc->hs++;
	rc->st.commands++;
	rc->st.pending++;
	return 0;
}

static void
rc_connect(struct rconn *rc)
{
	char host[256], pass[256], dbs[16];
	int port, db;

	if (rc->ac || rc->url == NULL)
		return;
	if (cfg_parse_redis_url(rc->url, host, sizeof(host), &port, pass,
	    sizeof(pass), &db) != 0)
		return;				/* cfg.c validated it */
	rc->hs = 0;
	rc->hs_failed = 0;
	rc->ac = port == -1 ? redisAsyncConnectUnix(host) :
	    redisAsyncConnect(host, port);
	if (rc->ac == NULL || rc->ac->err) {
		/* A unix socket that is not there fails at once. */
		connect_failed(rc, rc->ac ? rc->ac->errstr : "out of memory");
		if (rc->ac)
			redisAsyncFree(rc->ac);
		rc->ac = NULL;
		schedule_retry(rc);
		return;
	}
	rc->ac->data = rc;
	redisLibeventAttach(rc->ac, rc->base);
	redisAsyncSetConnectCallback(rc->ac, on_connect);
	redisAsyncSetDisconnectCallback(rc->ac, on_disconnect);
	/* Queued now, sent first once connected; up only when accepted. */
	snprintf(dbs, sizeof(dbs), "%d", db);
	if ((pass[0] && hs_send(rc, on_auth, "AUTH", pass) != 0) ||
	    (db && hs_send(rc, on_select, "SELECT", dbs) != 0)) {
		redisAsyncContext *ac = rc->ac;

		rc->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
		connect_failed(rc, "out of memory");
		schedule_retry(rc);
	}
	explicit_bzero(pass, sizeof(pass));
}

char *
rconn_url_shown(const char *url)
{
	const char *at, *p, *colon;
	char *s;

	if (strncmp(url, "redis://", 8) != 0 ||
	    (at = strrchr(url + 8, '@')) == NULL)
		return strdup(url);
	p = url + 8;
	colon = memchr(p, ':', (size_t)(at - p));
	if (asprintf(&s, "redis://%.*s***%s", colon ? (int)(colon - p + 1) :
	    0, p, at) == -1)
		return NULL;
	return s;
}

struct rconn *
rconn_new(struct event_base *base, const char *url, const char *name,
    rconn_event_cb *on_up, rconn_event_cb *on_down, void *arg)
{
	struct rconn *rc = calloc(1, sizeof(*rc));

	if (rc == NULL)
		return NULL;
	if ((rc->ev_retry = evtimer_new(base, on_retry, rc)) == NULL ||
	    (url && ((rc->url = strdup(url)) == NULL ||
	    (rc->shown = rconn_url_shown(url)) == NULL))) {
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
	free(rc->shown);
	free(rc);
}

int
rconn_set_url(struct rconn *rc, const char *url)
{
	char *n = NULL, *shown = NULL;
	rconn_event_cb *down = rc->on_down;

	if ((url == NULL && rc->url == NULL) ||
	    (url && rc->url && strcmp(url, rc->url) == 0))
		return 0;
	if (url && ((n = strdup(url)) == NULL ||
	    (shown = rconn_url_shown(url)) == NULL)) {
		free(n);
		return -1;
	}
	if (rc->up && down)
		down(rc, rc->arg);
	rc_disconnect(rc);
	rc->on_down = down;
	event_del(rc->ev_retry);
	free(rc->url);
	free(rc->shown);
	rc->url = n;
	rc->shown = shown;
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
