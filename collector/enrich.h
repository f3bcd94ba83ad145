/*
 * enrich.h - from a decoded record to facts about our servers.
 *
 * DESIGN
 * enrich_record() takes one borrowed flow record and says, against
 * `[network] local`: which end is ours (inbound, outbound, internal,
 * transit traffic), who opened the conversation (initiator.h), and so
 * whether the record belongs to an *outbound connection* -- one of our
 * servers talking to the outside world on its own initiative -- or to an
 * inbound one (a web server's replies are records from the server, yet
 * part of inbound connections).  It scales bytes and packets by the
 * sampling rate that applies (the record's, else the configured rate for
 * its exporter; saturating), and labels the remote end with country, AS
 * (geo.h) and application (dpi.h).
 *
 * struct enricher belongs to one worker (its caches and nDPI state are not
 * shared); the GeoIP databases it reads are shared read-only.
 */
#ifndef FS_ENRICH_H
#define FS_ENRICH_H

#include <stdint.h>

#include "cfg.h"
#include "dpi.h"
#include "flow.h"
#include "geo.h"
#include "initiator.h"

enum enr_traffic {
	ENR_TRANSIT = 0,	/* neither end is ours */
	ENR_IN,			/* remote -> local */
	ENR_OUT,		/* local -> remote */
	ENR_INTERNAL,		/* local -> local */
};

struct enriched {
	const struct flow_rec	*r;
	uint8_t			 traffic;	/* enum enr_traffic */
	struct init_result	 init;
	uint8_t			 outbound;	/* part of an outbound connection */
	uint8_t			 inbound;	/* part of an inbound connection */
	const struct flow_addr	*local;		/* NULL for transit */
	const struct flow_addr	*remote;
	uint16_t		 local_port;
	uint16_t		 remote_port;
	/* The service of the conversation: the responder's port. */
	uint16_t		 service_port;
	int			 group;		/* cfg group of local, -1 */
	uint32_t		 rate;		/* sampling rate applied */
	uint64_t		 bytes;		/* scaled */
	uint64_t		 packets;	/* scaled */
	struct geo_info		 geo;		/* of the remote end */
	struct dpi_label	 app;
};

struct enricher;

struct enrich_stats {
	uint64_t	records;
	uint64_t	transit;
	uint64_t	outbound;
	uint64_t	inbound;
	uint64_t	unknown_initiator;
	uint64_t	scaled_saturated;
	uint64_t	dpi_packets;
};

/* db may be NULL (no GeoIP); dpi on or off. */
struct enricher	*enricher_new(const struct cfg *c, const struct geo_db *db,
		    int with_dpi, char *err, size_t errlen);
void		 enricher_free(struct enricher *e);
/* Point at a reloaded configuration (same lifetime rules as the worker's). */
void		 enricher_set_cfg(struct enricher *e, const struct cfg *c);
/*
 * Start loading what enrich_record will need of r (call it first); the
 * value returned is enrich_record's hint (0 when not called).
 */
uint64_t	 enrich_prefetch(const struct enricher *e,
		    const struct flow_rec *r);
void		 enrich_record(struct enricher *e, const struct flow_rec *r,
		    uint64_t hint, struct enriched *out);
const struct enrich_stats *enricher_stats(const struct enricher *e);
const struct init_stats *enricher_init_stats(const struct enricher *e);

const char	*enr_traffic_name(int t);

#endif
