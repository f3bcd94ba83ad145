/*
 * metrics.h - the Prometheus endpoint (libevent's evhttp).
 *
 * DESIGN
 * Runs on the main thread's event base.  On each GET /metrics it asks the
 * daemon for a merged view (metrics_collect_fn: the workers' last
 * snapshots plus daemon-wide facts) and renders it in the Prometheus text
 * format; `flowsentry status` reads the same page and prints it for
 * people.  It never touches a worker's live state.
 */
#ifndef FS_METRICS_H
#define FS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "detmgr.h"
#include "worker.h"

struct event_base;
struct evbuffer;

#define METRICS_MAX_SINKS	32

struct metrics_view {
	struct worker_snap	snap;
	uint64_t		start_ms;
	uint64_t		now_ms;
	uint64_t		reloads_ok;
	uint64_t		reloads_failed;
	uint32_t		workers;
	uint32_t		rcvbuf_asked;
	uint32_t		rcvbuf_got;
	const char		*version;
	int			 detection;	/* dm is filled in */
	struct detmgr_stats	 dm;
	size_t			 nsinks;
	struct metrics_sink {
		const char		*name;
		struct alert_stats	 st;
	}			 sinks[METRICS_MAX_SINKS];
};

typedef void metrics_collect_fn(void *arg, struct metrics_view *v);

struct metrics;

/* addr is "HOST:PORT" or "[V6]:PORT". */
struct metrics	*metrics_new(struct event_base *base, const char *addr,
		    metrics_collect_fn *fn, void *arg, char *err, size_t errlen);
void		 metrics_free(struct metrics *m);

/* The page, for tests and for -r runs that print it at the end. */
void		 metrics_render(struct evbuffer *out, const struct metrics_view *v);

#endif
