/*
 * rsink.h - the aggregates of one worker, written to Redis.
 *
 * DESIGN
 * Each worker has its own hiredis async connection on its own event base
 * (hiredis/adapters/libevent.h), so no lock or queue sits between the
 * UDP path and Redis.  Every flush interval, if connected, the worker
 * swaps its struct agg for an empty one and writes the full one as
 * pipelined commands, a few hundred entries per turn of its event loop
 * (datagrams are read between turns), then clears it; if not connected,
 * the aggregates stay in memory (bounded by the agg caps) and go out on
 * the first flush after the connection is back.  A lost connection is retried
 * with exponential backoff (0.1 s .. 10 s); commands that were in flight
 * when it broke are counted as lost.  Commands are built as argv vectors
 * (binary safe): nothing from a flow is ever formatted into a command.
 *
 * The key schema (PREFIX defaults to "fs:"; the host in a hash tag so a
 * Redis Cluster keeps one host's keys together) is documented in
 * docs/redis.md.
 */
#ifndef FS_RSINK_H
#define FS_RSINK_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "cfg.h"

struct event_base;

struct rsink_stats {
	uint64_t	connected;	/* gauge: 1 when connected */
	uint64_t	connects;
	uint64_t	connect_failures;
	uint64_t	disconnects;
	uint64_t	flushes;
	uint64_t	flushes_deferred;	/* not connected: kept for later */
	uint64_t	commands;
	uint64_t	errors;		/* error replies */
	uint64_t	lost;		/* in flight when the connection broke */
	uint64_t	pending;	/* gauge: awaiting a reply */
};

struct rsink;

struct rsink	*rsink_new(struct event_base *base, const struct cfg *c,
		    int worker, char *err, size_t errlen);
void		 rsink_free(struct rsink *s);
void		 rsink_set_cfg(struct rsink *s, const struct cfg *c);
/*
 * A flush, in steps (worker.c: so that a big one does not hold the UDP
 * socket up): rsink_ready() says whether a flush may start or go on now
 * (connected, not too far behind); rsink_write() sends the entries
 * pos .. pos + max - 1 of a (its hosts, then its services) and returns
 * the next pos, a->hn + a->sn when all are written (a flush counted);
 * rsink_deferred() counts a flush put off.
 */
int		 rsink_ready(const struct rsink *s);
uint32_t	 rsink_write(struct rsink *s, const struct agg *a, uint32_t pos,
		    uint32_t max);
void		 rsink_deferred(struct rsink *s);
int		 rsink_connected(const struct rsink *s);
/* Commands still awaiting replies. */
uint64_t	 rsink_pending(const struct rsink *s);
const struct rsink_stats *rsink_stats(const struct rsink *s);

#endif
