/*
 * detect.h - rules and whitelists applied to the records of one worker.
 *
 * DESIGN
 * Detection is split where its state naturally lives:
 *
 *   struct detector (one per worker, this file): evaluates every rule
 *     against each enriched record, asks the whitelist, keeps the
 *     rules' threshold windows (rule_state), and reports what fires as a
 *     struct det_hit.  It owns no shared mutable state: the rules and the
 *     whitelist index come in a struct detref, immutable and reference
 *     counted, swapped whole by the manager; a worker's hits go into the
 *     shared struct hitq, a bounded queue, and never block.  They are
 *     pushed a batch at a time (after each batch of datagrams, or
 *     DETECT_OUT hits), so a flood of hits costs one lock and at most one
 *     wake-up of the manager per batch rather than per hit.  To keep that
 *     queue quiet, a hit repeated for the same rule and suppression key
 *     is reported at once the first time and then folded into one update
 *     every DETECT_FOLD_MS (a small bounded table).
 *
 *   struct detmgr (detmgr.h, the main thread): learning, suppression,
 *     merging the rules that matched one connection into one detection,
 *     ids, storage in Redis, alert sinks.
 *
 * Learning starts when a host is first seen, in any record, not when it
 * first matches a rule: a web server that opens nothing for a week and
 * then starts to spam must not learn the spam.  So each detector reports
 * every local host the first time it sees it (a bounded set of address
 * keys; when full, a host's learning starts at its first learning hit).
 *
 * Thresholds are counted per worker: the kernel keeps an exporter on one
 * worker, so a host seen by one exporter is counted whole; with several
 * workers and a host seen by several exporters, each counts its share.
 */
#ifndef FS_DETECT_H
#define FS_DETECT_H

#include <pthread.h>
#include <stdint.h>

#include "cfg.h"
#include "enrich.h"
#include "rule.h"
#include "wl.h"

#define DETECT_FOLD_MS	5000
#define DETECT_OUT	64	/* hits a worker holds before pushing */

/* A loaded ruleset, shared by every snapshot made while it runs. */
struct rulesref {
	struct ruleset		*rs;
	int			 refs;
};
struct rulesref	*rulesref_new(struct ruleset *rs);	/* takes rs */
struct rulesref	*rulesref_get(struct rulesref *r);
void		 rulesref_put(struct rulesref *r);

/* The rules and whitelist every worker reads; immutable once shared. */
struct detref {
	struct rulesref		*rules;		/* NULL: no detection */
	struct wl_index		*wl;		/* NULL: empty whitelist */
	int			 refs;
};
/* Takes a reference to rules and ownership of wl. */
struct detref	*detref_new(struct rulesref *rules, struct wl_index *wl);
struct detref	*detref_get(struct detref *r);
void		 detref_put(struct detref *r);

/*
 * What fired: one rule on one record (or on a threshold's window); or,
 * with `seen` set and no rule, the first sight of a local host by this
 * worker, which starts the host's learning period.
 */
struct det_hit {
	char			 rule[RULE_NAME_MAX];
	uint8_t			 seen;
	uint8_t			 severity;
	uint8_t			 learn;		/* the rule learns */
	uint8_t			 many;		/* many destinations */
	uint8_t			 proto;
	uint8_t			 wl_mask;	/* 1 << WL_SRC_*: lists that apply */
	uint64_t		 host_groups;	/* bit i: host in cfg group i */
	uint32_t		 suppress_key;
	uint32_t		 suppress_secs;
	struct flow_addr	 host;		/* our end */
	struct flow_addr	 remote;
	struct flow_addr	 exporter;
	uint16_t		 dport;		/* the service port */
	int16_t			 group;		/* cfg group of host, -1 */
	uint32_t		 asn;
	char			 country[3];
	char			 app[32];
	char			 as_org[96];
	uint64_t		 flows, bytes, packets;	/* renormalised */
	uint64_t		 first_ms, last_ms;
	uint64_t		 ts_ms;		/* when it fired */
};

/* Many producers (workers), one consumer (the manager). */
struct hitq {
	pthread_mutex_t		 mtx;
	struct det_hit		*v;
	uint32_t		 cap, head, n;
	uint64_t		 pushed, dropped;
	void			(*notify)(void *);	/* on empty -> non-empty */
	void			*notify_arg;
};
int	 hitq_init(struct hitq *q, uint32_t cap, void (*notify)(void *),
	    void *arg);
void	 hitq_free(struct hitq *q);
/* Appends n hits; returns how many fitted (the rest counted dropped). */
uint32_t hitq_push(struct hitq *q, const struct det_hit *h, uint32_t n);
/* Up to max hits into out; returns how many. */
uint32_t hitq_pop(struct hitq *q, struct det_hit *out, uint32_t max);

struct detect_stats {
	uint64_t	evaluated;	/* records rules were run on */
	uint64_t	matched;	/* rule matches */
	uint64_t	whitelisted;	/* matches the whitelist silenced */
	uint64_t	fired;		/* hits (before folding) */
	uint64_t	reported;	/* hits handed to the manager */
	uint64_t	queue_full;	/* hits lost: the queue was full */
	uint64_t	fold_evicted;	/* fold entries reported early: full */
	uint64_t	state_keys;	/* gauge: threshold windows */
	uint64_t	state_refused;	/* threshold windows refused: cap */
	uint64_t	implausible;	/* records left out: see detect_plausible */
	uint64_t	hosts_seen;	/* gauge: local hosts reported */
	uint64_t	hosts_untracked; /* sightings not kept: table full */
};

struct detector;

/* max_keys: threshold windows; max_hosts: local hosts remembered as seen. */
struct detector	*detector_new(struct hitq *q, uint32_t max_keys,
		    uint32_t max_hosts);
void		 detector_free(struct detector *d);
/* Use these rules and this whitelist from now on (takes a reference). */
void		 detector_set(struct detector *d, struct detref *ref);
void		 detector_set_cfg(struct detector *d, const struct cfg *c);
void		 detector_record(struct detector *d, const struct enriched *e,
		    const struct flow_addr *exporter, uint64_t now_ms);
/*
 * Hits are handed to the manager in batches: call this after a batch of
 * datagrams (tick and drain call it too) so none waits longer.
 */
void		 detector_flush(struct detector *d);
/* Once a second: expire windows, report folded hits that are due. */
void		 detector_tick(struct detector *d, uint64_t now_ms);
/* Report every folded hit now (before a flush at exit or after -r). */
void		 detector_drain(struct detector *d, uint64_t now_ms);
void		 detector_stats(const struct detector *d,
		    struct detect_stats *out);

/*
 * Can this record be a connection between our host and a peer?  Not when
 * the remote end is unspecified (0.0.0.0, ::), the limited broadcast or a
 * multicast group (LLMNR, mDNS, SSDP: no peer on the internet), nor when
 * it claims more bytes per packet than any IP packet holds (a forged or
 * broken export that would make an "exfil" out of nothing).  Such records
 * are still aggregated; detection leaves them out and counts them.
 */
int		 detect_plausible(const struct enriched *e);

/* Bit i set when a is in [group i] of c (the first 64 groups). */
uint64_t	 detect_groups_of(const struct cfg *c, const struct flow_addr *a);

#endif
