/*
 * rule.h - the rule language: parser, compiler, evaluator (flowsentry.rules(5)).
 *
 * DESIGN
 * A rule file holds named lists and rules:
 *
 *   list tor-ports = 9001 9030 9050 9051 9150
 *   rule irc {
 *       match     outbound and proto tcp and (dst port in [6660-6669 6697 7000] or app IRC)
 *       threshold distinct dst > 20 within 60s per src     # optional
 *       min_samples 3          # sampled evidence needed (optional)
 *       severity  high
 *       summary   "{src} ({group}) talks IRC to {dst}:{dport} ({country} {as_org})"
 *       suppress  once per src,dst 1h
 *       whitelist yes          # staff whitelist entries silence it (default yes)
 *       learn     no           # yes: while its host learns, a match becomes
 *                              # a learned whitelist entry instead of an alert
 *   }
 *
 * rule_load() parses every file, resolves @names against the lists of the
 * files and the [group NAME] sections of the config, and compiles each
 * `match` expression into a flat program (no allocation, no strings at
 * evaluation time: countries, apps and lists are interned at load).  A
 * ruleset is immutable once loaded and shared read-only by the workers;
 * per-worker threshold windows live in a struct rule_state.
 *
 * Errors are "FILE:LINE:COL: reason".
 */
#ifndef FS_RULE_H
#define FS_RULE_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define RULE_NAME_MAX	48
#define RULE_ERR_MAX	512

enum rule_sev { RULE_SEV_LOW = 1, RULE_SEV_MEDIUM, RULE_SEV_HIGH,
	RULE_SEV_CRITICAL };

/* enum enr_traffic values, repeated so rules/ does not need collector/. */
enum rule_traffic { RULE_TRANSIT = 0, RULE_IN, RULE_OUT, RULE_INTERNAL };

/*
 * What a rule can test about one record.  All borrowed for the call.
 * "Remote" facts (asn, country, app) are of the end that is not ours.
 */
struct rule_rec {
	const struct flow_addr	*src;
	const struct flow_addr	*dst;
	uint16_t		 sport, dport;
	uint8_t			 proto;
	uint8_t			 tcp_flags;
	uint8_t			 traffic;	/* enum rule_traffic */
	uint8_t			 outbound;	/* part of an outbound connection */
	uint8_t			 inbound;	/* part of an inbound connection */
	uint32_t		 rate;		/* sampling rate, 1 unsampled */
	uint64_t		 bytes, packets;	/* scaled by rate */
	uint64_t		 raw_packets;	/* as exported */
	uint32_t		 asn;		/* remote AS, 0 unknown */
	const char		*country;	/* remote, "" unknown */
	const char		*app;		/* nDPI label, "" unknown */
	uint64_t		 src_groups;	/* bit i: src in config group i */
	uint64_t		 dst_groups;
	uint64_t		 ts_ms;		/* record time (for windows) */
};

/* Which fields a suppression or threshold key is made of. */
#define RULE_KEY_SRC	0x01
#define RULE_KEY_DST	0x02
#define RULE_KEY_DPORT	0x04
#define RULE_KEY_PROTO	0x08
#define RULE_KEY_SPORT	0x10

enum rule_agg { RULE_AGG_NONE = 0, RULE_AGG_COUNT, RULE_AGG_SUM_BYTES,
	RULE_AGG_SUM_PACKETS, RULE_AGG_DISTINCT_DST, RULE_AGG_DISTINCT_DPORT };

struct rule_info {
	char		 name[RULE_NAME_MAX];
	const char	*file;
	int		 line;
	enum rule_sev	 severity;
	const char	*summary;	/* template, "{field}" */
	int		 whitelist;	/* staff whitelist applies */
	int		 learn;
	uint32_t	 suppress_key;	/* RULE_KEY_* */
	uint32_t	 suppress_secs;	/* 0: every match */
	enum rule_agg	 agg;
	uint64_t	 threshold;	/* fires when the aggregate exceeds it */
	uint32_t	 window_secs;
	uint32_t	 per_key;	/* RULE_KEY_* */
	uint32_t	 min_samples;	/* raw sampled packets needed */
};

struct ruleset;
struct rule_state;

/*
 * Load every file (each may be a glob); groups are the names of the
 * config's [group NAME] sections, bit i of rule_rec.src_groups being
 * groups[i] (at most 64).  NULL with "FILE:LINE:COL: reason" in err.
 */
struct ruleset	*rule_load(const char *const *files, size_t nfiles,
		    const char *const *groups, size_t ngroups,
		    char *err, size_t errlen);
/* The same from a string (tests, fuzzing); name is used in errors. */
struct ruleset	*rule_load_string(const char *name, const char *text,
		    const char *const *groups, size_t ngroups,
		    char *err, size_t errlen);
void		 rule_free(struct ruleset *rs);
size_t		 rule_count(const struct ruleset *rs);
const struct rule_info *rule_get(const struct ruleset *rs, size_t i);

/*
 * Records by direction: rules whose match needs `outbound` (all the
 * default ones) are not even looked at for an inbound record.
 */
enum rule_class {
	RULE_CLASS_OUT,		/* rule_rec.outbound */
	RULE_CLASS_IN,		/* rule_rec.inbound */
	RULE_CLASS_OTHER,	/* neither (initiator unknown, internal) */
	RULE_CLASSES
};
enum rule_class	 rule_class_of(const struct rule_rec *r);
/*
 * The rules that may match a record of this class, in rule order (every
 * rule that rule_match() accepts for such a record is among them).
 */
const uint32_t	*rule_candidates(const struct ruleset *rs, enum rule_class c,
		    size_t *n);

/* Does rule i's `match` expression accept the record?  No state. */
int		 rule_match(const struct ruleset *rs, size_t i,
		    const struct rule_rec *r);

/*
 * Per-worker threshold windows, bounded by max_keys (then new keys are
 * refused and counted).
 */
struct rule_state *rule_state_new(const struct ruleset *rs, uint32_t max_keys);
void		 rule_state_free(struct rule_state *st);

/* What a firing rule reports: the window's evidence. */
struct rule_hit {
	size_t		 rule;
	uint64_t	 value;		/* the aggregate that crossed */
	uint64_t	 flows, bytes, packets;	/* scaled, over the window */
	uint64_t	 first_ms, last_ms;
};

/*
 * Feed a record that rule i matched (and the whitelist did not silence).
 * Returns 1 and fills hit when the rule fires now: at once for a rule
 * without threshold; for a threshold rule, when the window's aggregate
 * first exceeds the threshold with enough samples (then the window
 * restarts).  0 otherwise.
 */
int		 rule_feed(struct rule_state *st, size_t i,
		    const struct rule_rec *r, struct rule_hit *hit);
/* Drop windows older than their rule's window (call once a second). */
void		 rule_state_expire(struct rule_state *st, uint64_t now_ms);
struct rule_state_stats {
	uint64_t	keys;		/* gauge */
	uint64_t	keys_refused;
	uint64_t	distinct_refused;	/* members with no room */
};
void		 rule_state_stats(const struct rule_state *st,
		    struct rule_state_stats *out);

const char	*rule_sev_name(enum rule_sev s);
int		 rule_sev_parse(const char *s, enum rule_sev *out);

#endif
