/*
 * detmgr.h - the detection manager: from hits to detections and alerts.
 *
 * DESIGN
 * One per daemon, on the main thread's event loop.  It owns everything
 * about detection that is shared between workers or outlives them:
 *
 *   - the rules and the whitelist: loaded from the files of [detect],
 *     then the whitelist from Redis (the files are imported into it at
 *     start; Redis is the truth after that, changed by `flowsentry allow`
 *     and `flowsentry whitelist` and announced on PREFIXwl:changed); every
 *     change becomes a new immutable struct detref handed to the workers;
 *   - learning: per host, the end of its learning period (PREFIXlearn);
 *     while it runs, the hits of rules that learn become learned
 *     whitelist entries, generalised (remote AS, else its /24 or /48;
 *     the exact service port);
 *   - suppression (PREFIXsup): one detection per rule and suppression key
 *     per window; later hits only add their evidence to it;
 *   - merging: hits for one host, service and destination within
 *     DETMGR_SETTLE_MS become one detection naming the highest-severity
 *     rule and listing the others;
 *   - storage (PREFIXdet:ID, PREFIXdets, PREFIXdetections) and the alert
 *     sinks, each fed a copy.
 *
 * Redis is optional: without it the whitelist is the files plus what is
 * learned in memory.  When Redis is configured but not reachable yet,
 * hits wait (bounded, counted) until the whitelist, learning and
 * suppression state are read, so a restart never re-learns or re-alerts.
 */
#ifndef FS_DETMGR_H
#define FS_DETMGR_H

#include <stdint.h>

#include "cfg.h"
#include "detect.h"

#define DETMGR_SETTLE_MS	2000

struct event_base;
struct detmgr;

struct detmgr_stats {
	uint64_t	hits;		/* hits taken from the workers */
	uint64_t	hits_dropped;	/* queue full (the workers' side) */
	uint64_t	backlog;	/* gauge: waiting for Redis state */
	uint64_t	backlog_dropped;
	uint64_t	suppressed;	/* hits folded into a detection */
	uint64_t	whitelisted;	/* hits a newer whitelist silenced */
	uint64_t	learned;	/* learned whitelist entries made */
	uint64_t	learn_refused;	/* not learned: the whitelist or the
					 * table of learning hosts is full */
	uint64_t	detections;	/* detections raised */
	uint64_t	wl_entries;	/* gauge */
	uint64_t	wl_reloads;
	uint64_t	learning_hosts;	/* gauge: hosts still learning */
	uint64_t	redis_up;	/* gauge */
	uint64_t	redis_errors;
};

/* Called with each new rules+whitelist snapshot (borrowed for the call). */
typedef void detmgr_publish_cb(void *arg, struct detref *ref);

/*
 * Load rules and whitelist files of c and create the alert sinks.  NULL
 * with "FILE:LINE[:COL]: reason" in err.  With check set (-n) nothing is
 * started: only what loads is checked.
 */
struct detmgr	*detmgr_new(struct event_base *base, const struct cfg *c,
		    int check, char *err, size_t errlen);
/* Start the sinks and Redis; publish is called now and on every change. */
int		 detmgr_start(struct detmgr *m, detmgr_publish_cb *publish,
		    void *arg);
struct hitq	*detmgr_queue(struct detmgr *m);
/*
 * SIGHUP: rules, whitelist files and alert sinks of c, all or nothing.
 * 0, or -1 with the reason in err (nothing changed).
 */
int		 detmgr_reload(struct detmgr *m, const struct cfg *c,
		    char *err, size_t errlen);
/* Reopen alert files (logrotate). */
void		 detmgr_reopen(struct detmgr *m);
/*
 * Take every queued hit, raise what is settling now, write to Redis and
 * wait (running base) up to timeout_ms for it: for -r and at exit.
 */
void		 detmgr_drain(struct detmgr *m, uint32_t timeout_ms);
void		 detmgr_free(struct detmgr *m, uint32_t timeout_ms);
void		 detmgr_stats(struct detmgr *m, struct detmgr_stats *out);
/* Alert sink i's stats (name in *name); -1 past the last. */
struct alert_stats;
int		 detmgr_sink_stats(struct detmgr *m, size_t i,
		    const char **name, struct alert_stats *out);

#endif
