/*
 * alert_redis.c - the Redis sink: XADD to a stream, capped.
 *
 * DESIGN
 * A synchronous hiredis connection owned by the sink's thread (the
 * daemon's event loop never waits on it): connected with a timeout on
 * first use and after every failure, then AUTH and SELECT as the [redis]
 * URL says (cfg_parse_redis_url()).  Each detection is one
 *
 *   XADD STREAM MAXLEN ~ maxlen * field value ...
 *
 * with the fields of det_fields(), sent with redisCommandArgv(): every
 * value is a separate argument, never part of a format string.  An I/O
 * error drops the connection; an error reply (a wrong type, OOM) keeps it;
 * both fail the attempt and the core's backoff retries the detection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "alert_int.h"

#define REDIS_TIMEOUT	5	/* seconds, connect and each command */

struct redis_sink {
	char		 host[256];	/* or the unix socket's path */
	int		 port;		/* -1: unix socket */
	char		 pass[256];
	int		 db;
	char		*stream;
	char		 maxlen[24];
	redisContext	*ctx;
};

static void
redis_close(struct redis_sink *r)
{
	if (r->ctx)
		redisFree(r->ctx);
	r->ctx = NULL;
}

/* A command; 0 when it succeeded, else -1 with a warning. */
static int
command(struct alert_sink *s, struct redis_sink *r, int argc,
    const char **argv, const size_t *lens)
{
	redisReply *rep;
	int rc = 0;

	rep = redisCommandArgv(r->ctx, argc, argv, lens);
	if (rep == NULL) {
		alert_warnx(s, "redis %s: %s", argv[0], r->ctx->errstr);
		redis_close(r);
		return -1;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		alert_warnx(s, "redis %s: %s", argv[0], rep->str);
		rc = -1;
	}
	freeReplyObject(rep);
	return rc;
}

static int
redis_open(struct alert_sink *s, struct redis_sink *r)
{
	struct timeval tv = { REDIS_TIMEOUT, 0 };
	const char *argv[2];
	char db[16];

	if (r->port == -1)
		r->ctx = redisConnectUnixWithTimeout(r->host, tv);
	else
		r->ctx = redisConnectWithTimeout(r->host, r->port, tv);
	if (r->ctx == NULL || r->ctx->err) {
		alert_warnx(s, "redis %s: %s", r->host,
		    r->ctx ? r->ctx->errstr : "out of memory");
		redis_close(r);
		return -1;
	}
	redisSetTimeout(r->ctx, tv);
	if (r->pass[0]) {
		argv[0] = "AUTH";
		argv[1] = r->pass;
		if (command(s, r, 2, argv, NULL) != 0)
			goto fail;
	}
	if (r->db) {
		snprintf(db, sizeof(db), "%d", r->db);
		argv[0] = "SELECT";
		argv[1] = db;
		if (command(s, r, 2, argv, NULL) != 0)
			goto fail;
	}
	return 0;
fail:
	redis_close(r);
	return -1;
}

static int
redis_deliver(struct alert_sink *s, const struct det *d, uint64_t deadline)
{
	struct redis_sink *r = alert_priv(s);
	const char *names[DET_FIELDS_MAX], *values[DET_FIELDS_MAX];
	const char *argv[6 + 2 * DET_FIELDS_MAX];
	char store[4096];
	int n, i, argc = 0;

	(void)deadline;
	n = det_fields(d, names, values, DET_FIELDS_MAX, store, sizeof(store));
	if (n < 0) {
		alert_warnx(s, "detection %s does not fit; skipped", d->id);
		return 0;
	}
	argv[argc++] = "XADD";
	argv[argc++] = r->stream;
	argv[argc++] = "MAXLEN";
	argv[argc++] = "~";
	argv[argc++] = r->maxlen;
	argv[argc++] = "*";
	for (i = 0; i < n; i++) {
		argv[argc++] = names[i];
		argv[argc++] = values[i];
	}
	if (r->ctx == NULL && redis_open(s, r) != 0)
		return -1;
	return command(s, r, argc, argv, NULL);
}

static void
redis_fini(struct alert_sink *s)
{
	struct redis_sink *r = alert_priv(s);

	redis_close(r);
	free(r->stream);
	free(r);
}

static int
redis_init(struct alert_sink *s, const struct cfg *c,
    const struct cfg_alert *a, char *err, size_t errlen)
{
	struct redis_sink *r;

	if (c->redis_url == NULL) {
		snprintf(err, errlen, "[alert %s] writes to Redis but [redis] "
		    "url is not set", a->name);
		return -1;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "[alert %s]: out of memory", a->name);
		return -1;
	}
	if (cfg_parse_redis_url(c->redis_url, r->host, sizeof(r->host),
	    &r->port, r->pass, sizeof(r->pass), &r->db) != 0) {
		snprintf(err, errlen, "[alert %s]: bad Redis URL %s", a->name,
		    c->redis_url);
		free(r);
		return -1;
	}
	if (a->stream)
		r->stream = strdup(a->stream);
	else if (asprintf(&r->stream, "%salerts", c->redis_prefix ?
	    c->redis_prefix : "fs:") == -1)
		r->stream = NULL;
	if (r->stream == NULL) {
		snprintf(err, errlen, "[alert %s]: out of memory", a->name);
		free(r);
		return -1;
	}
	snprintf(r->maxlen, sizeof(r->maxlen), "%u", a->maxlen ? a->maxlen :
	    100000);
	alert_set_priv(s, r);
	return 0;
}

const struct alert_ops alert_redis_ops = {
	.init = redis_init,
	.deliver = redis_deliver,
	.fini = redis_fini,
};
