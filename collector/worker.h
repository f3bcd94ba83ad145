/*
 * worker.h - one ingest thread: sockets, decoder, later stages.
 *
 * DESIGN
 * `workers = N` starts N of these.  Each owns, with no locks on the hot
 * path: its own SO_REUSEPORT socket per listen address (the kernel hashes
 * an exporter's 4-tuple to one of them, so an exporter's templates stay
 * with one worker), its own event base, decoder context and template cache,
 * its per-exporter counters, and whatever the later stages (enrichment,
 * aggregation, detection) keep per worker.  Those stages are attached as a
 * record callback and must follow the same rule: state owned by the worker
 * and merged only where the results meet (Redis counters are additive;
 * metrics are merged from snapshots).
 *
 * Nothing else touches a worker's state while it runs.  The main thread
 * talks to it in three ways: a new configuration handed over through an
 * event (worker_set_cfg), a stop request, and a snapshot of its counters
 * that the worker itself copies under a mutex once a second.
 *
 * The same worker_datagram() serves the UDP path and `-r capture` (run in
 * the caller's thread), so a capture goes through exactly the code the
 * network does.
 */
#ifndef FS_WORKER_H
#define FS_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "cfg.h"
#include "decode.h"
#include "detect.h"
#include "enrich.h"
#include "exstats.h"
#include "geo.h"
#include "rsink.h"
#include "tmplstate.h"

/* A configuration shared by reference between the main thread and workers. */
struct cfgref {
	struct cfg	*cfg;
	int		 refs;
};

struct cfgref	*cfgref_new(struct cfg *c);
struct cfgref	*cfgref_get(struct cfgref *r);
void		 cfgref_put(struct cfgref *r);

struct ingest_stats {
	uint64_t	datagrams;
	uint64_t	bytes;
	uint64_t	truncated;	/* cut by the kernel (MSG_TRUNC) */
	uint64_t	bad_source;	/* unusable sender address (T4) */
	uint64_t	denied;		/* sender not in `exporters` */
	uint64_t	recv_errors;
	uint64_t	kernel_drops;	/* SO_RXQ_OVFL, all sockets */
	uint64_t	batches;	/* recvmmsg calls that returned data */
};

/* What the metrics endpoint sees of a worker. */
struct worker_snap {
	struct ingest_stats	in;
	struct dec_stats	dec;
	uint32_t		templates;
	struct exstats		ex;
	struct enrich_stats	enr;
	struct init_stats	init;
	struct agg_stats	agg;
	uint64_t		agg_hosts;	/* gauge: entries held */
	uint64_t		agg_services;
	struct rsink_stats	redis;
	uint64_t		redis_workers_up;
	struct detect_stats	det;
};

struct worker_sock {
	int			fd;
	struct cfg_listen	la;
	uint32_t		ovfl;
};

struct worker;

/*
 * fds: one bound socket per listen address (taken over: closed by
 * worker_free).  states: template state files to restore.  state_path:
 * where this worker saves its templates (NULL: not saved).
 */
struct worker	*worker_new(int id, struct cfgref *cfg,
		    const struct geo_db *geo,
		    const struct worker_sock *socks, size_t nsocks,
		    struct tmplstate *const *states, size_t nstates,
		    const char *state_path, char *err, size_t errlen);
void		 worker_free(struct worker *w);

/*
 * Detection: before worker_start, give the worker a detector reporting to
 * q; 0 or -1 (out of memory).  Without it the worker detects nothing.
 */
int		 worker_set_detect(struct worker *w, struct hitq *q);
/* Hand over new rules and whitelist (takes a reference). */
void		 worker_set_detref(struct worker *w, struct detref *ref);
/* Report folded hits now (-r, before the manager drains). */
void		 worker_detect_drain(struct worker *w);

/* Records decoded by this worker go to cb (borrowed for the call). */
void		 worker_set_sink(struct worker *w, flow_cb *cb, void *arg);
/*
 * Write what is aggregated to Redis and wait (running this worker's event
 * base, for -r and at exit) until it is acknowledged or timeout_ms passes.
 * Returns 0 when everything was written, -1 otherwise (logged).
 */
int		 worker_flush_wait(struct worker *w, uint32_t timeout_ms);

int		 worker_start(struct worker *w);
/* Stop the thread (from another thread), save templates, join. */
void		 worker_stop(struct worker *w);
/* Hand over a new configuration (takes a reference). */
void		 worker_set_cfg(struct worker *w, struct cfgref *cfg);

/* One datagram through the allowlist, counters and decoder. */
void		 worker_datagram(struct worker *w, const struct dec_in *in,
		    const uint8_t *buf, size_t len);
/* Copy the counters into the snapshot now (the thread does it each second). */
void		 worker_publish(struct worker *w);
/* Add this worker's last snapshot into out (out->ex must be initialised). */
void		 worker_snapshot_add(struct worker *w, struct worker_snap *out);
int		 worker_save_templates(struct worker *w);

#endif
