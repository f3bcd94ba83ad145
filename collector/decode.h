/*
 * decode.h - the decoder entry point and its counters.
 *
 * DESIGN
 * dec_datagram() takes one UDP payload and the address it came from, tells
 * the protocol from the bytes (NetFlow/IPFIX carry a 16-bit version, sFlow a
 * 32-bit one), and hands every record it decodes to the context's callback.
 * So every port takes every protocol.
 *
 * Two clocks come with a datagram: now_ms, the wall clock, stamps records
 * (sFlow samples carry no time of their own); mono_ms, a steady clock,
 * ages templates, so a step of the wall clock (NTP, an operator, HOSTILE
 * D-5) neither expires every template at once nor keeps stale ones.
 *
 * A struct dec_ctx belongs to exactly one thread: it owns that thread's
 * template cache and counters.  Nothing here logs, touches the network or
 * keeps global state; bad input only moves counters.  Several contexts are
 * merged for reporting with dec_stats_add().
 *
 * The counters are one X-macro table, so the CLI's --stats, the daemon's
 * metrics and the tests all name them the same way.
 */
#ifndef FS_DECODE_H
#define FS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/*
 * X(name, help).  Groups: per-protocol datagrams, records, transport errors,
 * v5, v9/IPFIX sets and templates, sFlow.
 */
#define DEC_STATS(X)							\
	X(dgram_nf5,		"NetFlow v5 datagrams")			\
	X(dgram_nf9,		"NetFlow v9 datagrams")			\
	X(dgram_ipfix,		"IPFIX messages")			\
	X(dgram_sflow,		"sFlow v5 datagrams")			\
	X(records,		"flow records decoded")			\
	X(options_records,	"options data records decoded")		\
	X(counter_records,	"sFlow counter records decoded")	\
	X(err_short,		"datagrams shorter than any header")	\
	X(err_version,		"datagrams with an unsupported version")	\
	X(ver_nf1,		"NetFlow v1 datagrams (unsupported)")	\
	X(ver_nf7,		"NetFlow v7 datagrams (unsupported)")	\
	X(ver_nf8,		"NetFlow v8 datagrams (unsupported)")	\
	X(ver_sflow_old,	"sFlow v2/v4 datagrams (unsupported)")	\
	X(err_header,		"datagrams with a malformed header")	\
	X(err_record_budget,	"datagrams cut at the per-datagram record budget") \
	X(nf5_bad_count,	"v5 datagrams whose count disagrees with their length") \
	X(nf5_trailing,		"v5 datagrams with bytes after the last record") \
	X(err_set,		"v9/IPFIX sets with a bad id or length")	\
	X(err_record,		"v9/IPFIX records truncated or malformed")	\
	X(set_padding,		"v9/IPFIX sets ending in padding")	\
	X(tmpl_added,		"templates added")			\
	X(tmpl_replaced,	"templates replaced by a new definition")	\
	X(tmpl_refreshed,	"templates re-sent unchanged")		\
	X(tmpl_withdrawn,	"templates withdrawn")			\
	X(tmpl_expired,		"templates expired")			\
	X(tmpl_evicted,		"templates evicted by a cap")		\
	X(tmpl_rejected,	"templates rejected as malformed")	\
	X(tmpl_missing,		"data sets skipped for want of a template")	\
	X(tmpl_deferred,	"data sets decoded after a later template in the same datagram") \
	X(sampler_updates,	"sampler options records applied")	\
	X(sfl_samples,		"sFlow samples")			\
	X(sfl_err_sample,	"sFlow samples truncated or malformed")	\
	X(sfl_err_record,	"sFlow records truncated or malformed")	\
	X(sfl_unknown_sample,	"sFlow samples of an unknown format (skipped)") \
	X(sfl_unknown_record,	"sFlow records of an unknown format (skipped)") \
	X(sfl_len_mismatch,	"sFlow samples whose records do not fill them") \
	X(sfl_hdr_undecoded,	"sFlow raw headers with no usable IP header") \
	X(sfl_bad_rate,		"sFlow samples with sampling rate 0")	\
	X(sfl_pool_back,	"sFlow samples whose sample_pool went back " \
				"(agent restarted, counter reset or reordered)") \
	X(sfl_discards,		"sFlow discarded-packet samples")	\

struct dec_stats {
#define DEC_STATS_FIELD(name, help) uint64_t name;
	DEC_STATS(DEC_STATS_FIELD)
#undef DEC_STATS_FIELD
};

struct dec_stat_desc {
	const char	*name;
	const char	*help;
	size_t		 offset;
};

extern const struct dec_stat_desc dec_stat_descs[];
extern const size_t dec_stat_count;

void	 dec_stats_add(struct dec_stats *to, const struct dec_stats *from);

/* Limits of one context; zero fields take the defaults in decode.c. */
struct dec_limits {
	uint32_t	tmpl_per_exporter;	/* templates per exporter address */
	uint32_t	tmpl_total;		/* templates in the cache */
	uint32_t	domains_per_exporter;	/* v9 source ids / IPFIX ODIDs */
	uint32_t	tmpl_max_age;		/* seconds without a refresh */
	uint32_t	record_budget;		/* records per datagram */
	int		key_port;		/* key templates by exporter port too */
};

#define DEC_DEF_TMPL_PER_EXPORTER	4096
#define DEC_DEF_TMPL_TOTAL		65536
#define DEC_DEF_DOMAINS_PER_EXPORTER	64
#define DEC_DEF_TMPL_MAX_AGE		(4 * 3600)
#define DEC_DEF_RECORD_BUDGET		8192

struct tmpl_cache;

/* sFlow: the last sample_pool of a data source (HOSTILE SF-10). */
#define DEC_SFL_SOURCES	4096
struct sfl_source {
	uint64_t		key;		/* 0: empty */
	uint32_t		pool;
};

struct dec_ctx {
	struct tmpl_cache	*tc;
	struct sfl_source	*sfl_src;	/* DEC_SFL_SOURCES, on first use */
	struct dec_stats	 st;
	struct dec_limits	 lim;
	flow_cb			*cb;
	void			*arg;
};

/* What the transport knows about one datagram. */
struct dec_in {
	struct flow_addr	exporter;	/* socket source address */
	uint16_t		port;		/* socket source port */
	uint64_t		now_ms;		/* receive time, UTC ms */
	uint64_t		mono_ms;	/* the same on a steady clock */
};

enum dec_status {
	DEC_OK = 0,
	DEC_SHORT,		/* shorter than any header: dropped */
	DEC_VERSION,		/* unknown version: dropped */
	DEC_MALFORMED,		/* header unusable: dropped */
	DEC_PARTIAL,		/* some of it decoded, the rest counted */
};

int	 dec_init(struct dec_ctx *ctx, const struct dec_limits *lim,
	    flow_cb *cb, void *arg);
void	 dec_free(struct dec_ctx *ctx);
enum dec_status dec_datagram(struct dec_ctx *ctx, const struct dec_in *in,
	    const uint8_t *buf, size_t len);

/* The protocol decoders; dec_datagram() picks one.  len is >= 4. */
enum dec_status nf5_decode(struct dec_ctx *ctx, const struct dec_in *in,
	    const uint8_t *buf, size_t len);
enum dec_status nf9_decode(struct dec_ctx *ctx, const struct dec_in *in,
	    const uint8_t *buf, size_t len);
enum dec_status ipfix_decode(struct dec_ctx *ctx, const struct dec_in *in,
	    const uint8_t *buf, size_t len);
enum dec_status sfl_decode(struct dec_ctx *ctx, const struct dec_in *in,
	    const uint8_t *buf, size_t len);

/* Helper for decoders: a record pre-filled with the datagram's identity. */
void	 dec_rec_init(struct flow_rec *r, int type, const struct dec_in *in);

static inline void
dec_emit(struct dec_ctx *ctx, const struct flow_rec *r)
{
	if (r->kind == FLOW_KIND_FLOW)
		ctx->st.records++;
	else if (r->kind == FLOW_KIND_OPTIONS)
		ctx->st.options_records++;
	else
		ctx->st.counter_records++;
	if (ctx->cb)
		ctx->cb(ctx->arg, r);
}

#endif
