/*
 * rconn.h - one asynchronous Redis connection on a libevent loop, kept up.
 *
 * DESIGN
 * hiredis's async API attached to the owner's event base
 * (hiredis/adapters/libevent.h).  rconn connects to the configured URL
 * (redis://[:PASS@]HOST[:PORT][/DB] or unix:/PATH), sends AUTH and SELECT
 * first, and when the connection fails or breaks retries with exponential
 * backoff (0.1 s .. 10 s), telling its owner through on_up / on_down.
 * Commands are argument vectors built with struct rcmd (binary safe):
 * nothing taken from a flow is ever parsed as part of a command.  Used by
 * each worker's aggregate writer (rsink.c) and by the detection manager.
 */
#ifndef FS_RCONN_H
#define FS_RCONN_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/async.h>

struct event_base;

#define RCMD_MAXARGS	96

/* One command under construction: argv pointing into buf. */
struct rcmd {
	int		 argc;
	const char	*argv[RCMD_MAXARGS];
	size_t		 len[RCMD_MAXARGS];
	char		 buf[RCMD_MAXARGS * 96];
	size_t		 used;
	int		 overflow;
};

void	rcmd_init(struct rcmd *c);
void	rcmd_arg(struct rcmd *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The same without printf, for the aggregate writer's hot path. */
void	rcmd_str(struct rcmd *c, const char *s);
void	rcmd_u64(struct rcmd *c, uint64_t v);

struct rconn_stats {
	uint64_t	connected;	/* gauge */
	uint64_t	connects;
	uint64_t	connect_failures;
	uint64_t	disconnects;
	uint64_t	commands;
	uint64_t	errors;		/* error replies */
	uint64_t	lost;		/* in flight when the connection broke */
	uint64_t	pending;	/* gauge */
};

struct rconn;

typedef void rconn_event_cb(struct rconn *rc, void *arg);

/*
 * name is used in log messages ("worker 0", "detection").  url may be
 * NULL (no Redis: nothing is sent).  on_up runs after each successful
 * connect, on_down after each loss (either may be NULL).
 */
struct rconn	*rconn_new(struct event_base *base, const char *url,
		    const char *name, rconn_event_cb *on_up,
		    rconn_event_cb *on_down, void *arg);
void		 rconn_free(struct rconn *rc);
/* Point at another URL (reload); reconnects when it changed. */
int		 rconn_set_url(struct rconn *rc, const char *url);
int		 rconn_up(const struct rconn *rc);
const char	*rconn_url(const struct rconn *rc);
/*
 * Send c; cb(reply or NULL when lost, priv) runs when its reply comes (cb
 * may be NULL: errors are counted and logged).  Returns 0, or -1 when not
 * connected or c overflowed (nothing sent).
 */
int		 rconn_send(struct rconn *rc, const struct rcmd *c,
		    redisCallbackFn *cb, void *priv);
/*
 * SUBSCRIBE to channel: cb runs for the subscription's confirmation and
 * for every message (reply->element[2] is the text), until the connection
 * breaks; subscribe again from on_up.  The connection then only serves
 * the subscription.
 */
int		 rconn_subscribe(struct rconn *rc, const char *channel,
		    redisCallbackFn *cb, void *priv);
const struct rconn_stats *rconn_stats(const struct rconn *rc);

/* The URL with its password (redis://:PASS@...) shown as "***", for
 * logs and messages (malloc'd; NULL without memory). */
char		*rconn_url_shown(const char *url);

#endif
