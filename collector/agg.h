/*
 * agg.h - per-host aggregates held between flushes to Redis.
 *
 * DESIGN
 * Two tables per worker, both open-addressing hashes with a fixed cap:
 *
 *   hosts     (local host, time bucket) -> bytes, packets, flows in and
 *             out, and the remote peers seen (Redis's HyperLogLog counts
 *             them across flushes and workers);
 *   services  (local host, proto, service port, application, remote AS,
 *             country, remote prefix) of *outbound* connections -> first
 *             seen, last seen, flows, bytes, packets.
 *
 * The peers of an entry: the first AGG_PEERS in the entry itself, the
 * rest in the table's spill (one list per entry, a set keeping each
 * entry's peer once), up to AGG_SPILL_MAX per table and flush.  Once the
 * spill is full, a peer beyond an entry's own is counted in the entry
 * (peers_lost, written to Redis beside the bucket's counters; a peer held
 * already counts too, as it is not looked up) so its distinct-peer count
 * is known to be a lower bound.
 *
 * The Redis writer drains them every flush interval; while Redis is away
 * they keep accumulating, and when a table is full new keys are refused
 * and counted (never unbounded memory).  Everything added is additive, so
 * several workers flushing the same host merge correctly in Redis.
 */
#ifndef FS_AGG_H
#define FS_AGG_H

#include <stdint.h>

#include "enrich.h"

#define AGG_PEERS	32
#define AGG_SPILL_MAX	(1u << 16)	/* peers beyond AGG_PEERS, per table */

/*
 * Laid out for the per-record path: the key and the counters in the first
 * two cache lines, then the peers' hash set, whose probe touches one
 * more line; the peer addresses are read only on a tag match.
 */
struct agg_host {
	struct flow_addr	host;
	uint8_t			npeers;
	int			group;
	uint64_t		bucket;		/* bucket start, UTC seconds */
	uint64_t		bytes_in, bytes_out;
	uint64_t		pkts_in, pkts_out;
	uint64_t		flows_in, flows_out;
	uint64_t		last_ms;
	uint32_t		spill;		/* first spilled peer + 1, 0: none */
	uint32_t		peers_lost;	/* peers that found no room */
	/* Open addressing over peers[]: tag << 6 | index + 1, 0 free. */
	uint16_t		pset[2 * AGG_PEERS];
	struct flow_addr	peers[AGG_PEERS];
} __attribute__((aligned(64)));

/* A peer beyond an entry's AGG_PEERS. */
struct agg_spill {
	struct flow_addr	peer;
	uint32_t		host;		/* its entry's index in hosts */
	uint32_t		next;		/* the entry's next one + 1, 0: end */
};

struct agg_svc {
	struct flow_addr	host;
	uint8_t			proto;
	uint8_t			prefix_len;
	uint16_t		port;
	uint32_t		asn;
	char			cc[3];
	char			app[32];
	uint8_t			app_how;
	int			group;
	struct flow_addr	prefix;		/* remote network */
	struct flow_addr	example;	/* one remote address */
	char			as_org[GEO_ORG_MAX];
	uint64_t		first_ms, last_ms;
	uint64_t		flows, bytes, packets;
};

struct agg_stats {
	uint64_t	host_dropped;	/* records not counted: host table full */
	uint64_t	svc_dropped;	/* services not counted: table full */
	uint64_t	peers_dropped;	/* peers that found no room (spill full) */
	uint64_t	time_clamped;	/* record time far from receive time */
};

struct agg {
	/* Hash index (entry number + 1, 0 empty, at most half full,
	 * doubling up to *max) over dense, growing arrays, so memory
	 * follows what is used, not the caps. */
	uint32_t		*hidx;
	struct agg_host		*hosts;
	uint32_t		 hsize, hmax, hcap, hn, halloc;
	uint32_t		*sidx;
	struct agg_svc		*svcs;
	uint32_t		 ssize, smax, scap, sn, salloc;
	struct agg_spill	*spill;		/* growing up to AGG_SPILL_MAX */
	uint32_t		 nspill, spill_alloc;
	uint32_t		*spill_set;	/* spill index + 1, 0 free */
	uint32_t		 spill_set_size; /* 2 * spill_alloc */
	uint32_t		 bucket;	/* seconds */
	uint64_t		 bucket_recip;	/* ceil(2^64 / bucket), 0 for 1 */
	/*
	 * A record's own time decides its bucket unless it is further than
	 * this from the receive time (exporter clock unset or wrapped, a
	 * replayed capture): then the receive time does (HOSTILE V5-7).
	 */
	uint64_t		 max_past_ms;	/* default 1 day */
	uint64_t		 max_future_ms;	/* default 10 minutes */
	struct agg_stats	 st;
};

int	 agg_init(struct agg *a, uint32_t max_hosts, uint32_t max_services,
	    uint32_t bucket_secs);
void	 agg_free(struct agg *a);
/* Count one enriched record (transit records are ignored). */
void	 agg_add(struct agg *a, const struct enriched *e, uint64_t now_ms);
/*
 * For a batch of records, before any agg_add of the batch (the indexes
 * must not grow in between): agg_prefetch_index starts loading each
 * record's index slots and notes where they are; agg_prefetch_entry,
 * once those are in, the entries they point to.
 */
#define AGG_NO_SLOT	UINT32_MAX
struct agg_slots {
	uint32_t	host, svc;	/* index slots, AGG_NO_SLOT: none */
	uint32_t	pset;		/* the peer's slot in the host entry */
	uint64_t	peer;		/* flow_addr_key of the peer */
};
void	 agg_prefetch_index(const struct agg *a, const struct enriched *e,
	    uint64_t now_ms, struct agg_slots *sl);
void	 agg_prefetch_entry(const struct agg *a, const struct agg_slots *sl);
/* Forget everything held (after a successful flush). */
void	 agg_clear(struct agg *a);

/* "tcp/443|TLS|AS15169|US|8.8.8.0/24": the service's field in Redis. */
int	 agg_svc_key(const struct agg_svc *s, char *buf, size_t len);
const char *agg_proto_name(uint8_t proto, char *buf, size_t len);

#endif
