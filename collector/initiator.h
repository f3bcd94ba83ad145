/*
 * initiator.h - who started the conversation a flow record belongs to.
 *
 * DESIGN
 * A flow record is one direction of traffic; a web server's replies are
 * records *from* the server, yet the connection is inbound.  DESIGN.md
 * orders the evidence, and so does init_decide():
 *
 *   1. explicit fields: biflowDirection (RFC 5103, IE 239), a Cisco NSEL
 *      firewall event (NSEL reports from the initiator's side), or a
 *      biflow record with reverse counters (forward = initiator);
 *   2. TCP flags: SYN without ACK means the source is opening.  For a
 *      single sampled packet (sFlow header, PSAMP) SYN+ACK also says the
 *      destination opened; in a NetFlow record the flags are OR-ed over
 *      the flow, so only a record with SYN and no ACK at all is evidence;
 *   3. the two directions of one conversation seen close in time: the
 *      conversation table remembers the first direction seen (by the
 *      records' start times) for `window` seconds -- unless the two
 *      directions were once reported starting at the same instant (a
 *      bidirectional tracker: the order is no evidence then);
 *   4. ports: a well-known service port against an ephemeral one.
 *
 * The conversation table belongs to one worker, has a fixed capacity and
 * evicts the oldest entry when full (counted), so a flood of random
 * sources cannot grow it.
 */
#ifndef FS_INITIATOR_H
#define FS_INITIATOR_H

#include <stdint.h>

#include "flow.h"

enum init_who {
	INIT_UNKNOWN = 0,
	INIT_SRC,		/* the record's source opened the conversation */
	INIT_DST,
};

enum init_how {
	INIT_BY_NONE = 0,
	INIT_BY_FIELD,		/* biflowDirection, NSEL, biflow record */
	INIT_BY_FLAGS,		/* TCP SYN / SYN+ACK */
	INIT_BY_REVERSE,	/* the other direction was seen first */
	INIT_BY_PORT,		/* service port vs ephemeral port */
};

struct init_result {
	uint8_t	who;	/* enum init_who */
	uint8_t	how;	/* enum init_how */
};

/* Is this a service port we know (for heuristics and for rules)? */
int		 init_service_port(uint8_t proto, uint16_t port);

/* Steps 1, 2 and 4 alone: no state. */
struct init_result init_stateless(const struct flow_rec *r);

struct init_table;

struct init_stats {
	uint64_t	lookups;
	uint64_t	hits;
	uint64_t	evicted;	/* entries dropped for room before expiry */
};

/* capacity: conversations remembered; window_ms: how long. */
struct init_table *init_table_new(uint32_t capacity, uint32_t window_ms);
void		 init_table_free(struct init_table *t);
const struct init_stats *init_table_stats(const struct init_table *t);

/*
 * Start loading the record's set of the table; returns a hint for
 * init_decide_h (0: none).
 */
uint64_t	 init_prefetch(const struct init_table *t,
		    const struct flow_rec *r);

/*
 * The whole decision for one record; remembers its conversation.  now_ms
 * is the record's time (its `last`, or the receive time).
 */
struct init_result init_decide(struct init_table *t, const struct flow_rec *r,
		    uint64_t now_ms);
/* The same with init_prefetch's hint for r (0 to compute it). */
struct init_result init_decide_h(struct init_table *t,
		    const struct flow_rec *r, uint64_t now_ms, uint64_t hint);

const char	*init_how_name(int how);

#endif
