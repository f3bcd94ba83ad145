/*
 * tmpl.h - the NetFlow v9 / IPFIX template cache and per-domain state.
 *
 * DESIGN
 * A template is keyed by (exporter address, [exporter port], version,
 * source id / observation domain, template id): one namespace per domain, so
 * an id reused as an options template replaces the data template (last
 * definition wins, HOSTILE V9-11).  It is compiled once, when it arrives, into
 * a short list of operations (struct tmpl_op): runs of fields we do not use
 * are merged into one skip, fields we use name their target.  Data records
 * then run that list (tmplrec.c).  The raw field list is kept too, so the
 * daemon can write templates to its state file and read them back.
 *
 * Per (exporter, port, version, domain) there is also a struct tmpl_domain:
 * the samplers announced by options data (sampler id -> interval), a default
 * interval for options records without a sampler id, and the exporter's
 * systemInitTimeMilliseconds.
 *
 * Bounds: templates per exporter (the exporter's least recently defined one
 * is evicted), templates in all (the least recently defined is evicted),
 * domains per exporter (the least recently used domain and its templates are
 * evicted), fields per template (TMPL_MAX_FIELDS), a maximum age.  Every
 * eviction, expiry, withdrawal and rejection is counted in struct dec_stats.
 *
 * A cache belongs to one thread.  Templates are only replaced while a
 * template set is processed, never while a data set runs one, so a pointer
 * from tmpl_get() is valid until the next tmpl_put/withdraw/expire call.
 */
#ifndef FS_TMPL_H
#define FS_TMPL_H

#include <stdint.h>

#include "decode.h"
#include "flow.h"

#define TMPL_MAX_FIELDS		128	/* fields per template (Wireshark: 60) */
#define TMPL_MAX_SAMPLERS	16	/* samplers remembered per domain */
#define TMPL_VARLEN		0xffff	/* IPFIX variable-length field */

struct tmpl_key {
	struct flow_addr	exp;
	uint16_t		port;
	uint8_t			version;	/* 9 or 10 */
	uint32_t		domain;
	uint16_t		id;
};

/* A field as it came off the wire (pen 0 for IANA / v9 fields). */
struct tmpl_field {
	uint16_t	id;
	uint16_t	len;
	uint32_t	pen;
};

/* One step of a compiled template: consume len bytes (or a varlen). */
struct tmpl_op {
	uint16_t	len;
	uint8_t		tgt;		/* enum ie_target */
	uint8_t		scope;		/* an options scope field */
};

struct tmpl {
	struct tmpl		*hnext;		/* hash chain */
	struct tmpl		*lprev, *lnext;	/* LRU by definition time */
	struct tmpl_key		 key;
	uint64_t		 seen_ms;
	uint32_t		 minlen;	/* smallest possible record */
	uint16_t		 nfields;
	uint16_t		 nscope;	/* options: leading scope fields */
	uint16_t		 nops;
	uint8_t			 options;
	uint8_t			 varlen;	/* has variable-length fields */
	struct tmpl_field	*fields;
	struct tmpl_op		*ops;
};

struct tmpl_sampler {
	uint32_t	id;
	uint32_t	rate;
};

struct tmpl_domain {
	struct tmpl_domain	*hnext;
	struct tmpl_key		 key;		/* id unused (0) */
	uint64_t		 used_ms;
	uint32_t		 ntmpl;
	uint32_t		 default_rate;	/* 0: none announced */
	uint64_t		 sys_init_ms;	/* 0: unknown */
	uint8_t			 nsamplers;
	struct tmpl_sampler	 samplers[TMPL_MAX_SAMPLERS];
};

struct tmpl_cache;

struct tmpl_cache *tmpl_cache_new(const struct dec_limits *lim,
	    struct dec_stats *st);
void	 tmpl_cache_free(struct tmpl_cache *tc);

/*
 * Compile and store a template.  Returns 0 when stored (added, replaced or
 * refreshed), -1 when rejected as malformed (counted).  nscope > 0 makes it
 * an options template.
 */
int	 tmpl_put(struct tmpl_cache *tc, const struct tmpl_key *key,
	    int options, uint16_t nscope, const struct tmpl_field *fields,
	    uint16_t nfields, uint64_t now_ms);

/* The template, or NULL when unknown or expired (expiry counted). */
const struct tmpl *tmpl_get(struct tmpl_cache *tc, const struct tmpl_key *key,
	    uint64_t now_ms);

/* Withdraw one template (IPFIX field count 0); 0 if it existed. */
int	 tmpl_withdraw(struct tmpl_cache *tc, const struct tmpl_key *key);
/* Withdraw all (options or data) templates of a domain (IPFIX id 2 / 3). */
void	 tmpl_withdraw_all(struct tmpl_cache *tc, const struct tmpl_key *dom,
	    int options);

/* Drop templates older than the maximum age; returns how many. */
unsigned tmpl_expire(struct tmpl_cache *tc, uint64_t now_ms);

/* Domain state; created when create is set (may evict), else NULL if none. */
struct tmpl_domain *tmpl_domain(struct tmpl_cache *tc,
	    const struct tmpl_key *dom, int create, uint64_t now_ms);

/* Record a sampler interval announced by options data (id 0 + !has_id: default). */
void	 tmpl_sampler_set(struct tmpl_domain *d, int has_id, uint32_t id,
	    uint32_t rate);
/* The rate for a record (has_id: it named a sampler); 0 when unknown. */
uint32_t tmpl_sampler_rate(const struct tmpl_domain *d, int has_id,
	    uint32_t id);

/* Visit every template (for the state file), oldest first. */
typedef void tmpl_visit_fn(void *arg, const struct tmpl *t);
void	 tmpl_foreach(struct tmpl_cache *tc, tmpl_visit_fn *fn, void *arg);
unsigned tmpl_count(const struct tmpl_cache *tc);

#endif
