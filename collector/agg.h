/*
 * agg.h - per-host aggregates held between flushes to Redis.
 *
 * DESIGN
 * Two tables per worker, both open-addressing hashes with a fixed cap:
 *
 *   hosts     (local host, time bucket) -> bytes, packets, flows in and
 *             out, and the remote peers seen (up to AGG_PEERS per entry
 *             and flush; Redis's HyperLogLog counts them across flushes
 *             and workers);
 *   services  (local host, proto, service port, application, remote AS,
 *             country, remote prefix) of *outbound* connections -> first
 *             seen, last seen, flows, bytes, packets.
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
	/* Open addressing over peers[]: tag << 6 | index + 1, 0 free. */
	uint16_t		pset[2 * AGG_PEERS];
	struct flow_addr	peers[AGG_PEERS];
} __attribute__((aligned(64)));

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
	uint64_t	peers_dropped;	/* peers beyond AGG_PEERS per entry */
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
