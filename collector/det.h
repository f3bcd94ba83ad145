/*
 * det.h - a detection: what the NOC is told, and how it is written.
 *
 * DESIGN
 * One detection per (host, service, destination scope) per suppression
 * window, naming the highest-severity rule that matched and listing the
 * others, with the evidence (renormalised flows, bytes, packets, first and
 * last seen) and the facts of the remote end.  A struct det is a plain
 * value: copied into each alert sink's queue, never shared.
 *
 * det_json() is the one rendering every consumer reads (NDJSON file, Redis
 * stream, `flowsentry detections --json`): at least id ts rule severity
 * host group dst dport proto service app country asn as_org flows bytes
 * packets first last summary, plus rules (the others that matched),
 * exporter, dst_scope and state.  Strings are JSON-escaped; nothing from a
 * flow is trusted.
 */
#ifndef FS_DET_H
#define FS_DET_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define DET_ID_MAX	24
#define DET_RULES_MAX	8

enum det_scope {
	DET_SCOPE_DST = 0,	/* one destination address */
	DET_SCOPE_MANY,		/* many (scan, fan-out): dst is an example */
};

enum det_state { DET_OPEN = 0, DET_ACKED, DET_ALLOWED };

struct det {
	char			 id[DET_ID_MAX];	/* decimal, unique */
	uint64_t		 ts_ms;		/* when it was raised */
	char			 rule[48];	/* highest severity */
	int			 severity;	/* enum rule_sev (1 low..4 critical) */
	char			 rules[DET_RULES_MAX][48];	/* the others */
	int			 nrules;
	struct flow_addr	 host;		/* our server */
	char			 group[64];	/* "" none */
	struct flow_addr	 dst;
	uint8_t			 dst_scope;	/* enum det_scope */
	uint16_t		 dport;
	uint8_t			 proto;
	char			 service[16];	/* "tcp/25" */
	char			 app[32];	/* "" unknown */
	char			 country[3];
	uint32_t		 asn;
	char			 as_org[96];
	uint64_t		 flows, bytes, packets;	/* renormalised */
	uint64_t		 first_ms, last_ms;
	struct flow_addr	 exporter;
	char			 summary[320];
	uint8_t			 state;		/* enum det_state */
};

/*
 * Bytes written (without the NUL), or -1 when len is too small.
 * DET_JSON_MAX always suffices: every string byte escaped as \uXXXX (6)
 * plus the names and numbers of every field (det.c checks the bound).
 */
#define DET_STR_BYTES	(DET_ID_MAX + 48 + DET_RULES_MAX * 48 + 64 + 16 + \
			    32 + 3 + 96 + 320)
#define DET_JSON_MAX	(6 * DET_STR_BYTES + 1024)
int		 det_json(const struct det *d, char *buf, size_t len);
/*
 * The same facts as (name, value) strings for a Redis hash (HSET argv):
 * fills up to max pairs into names/values (values written into store,
 * storelen bytes), returns the number of pairs or -1.
 */
#define DET_FIELDS_MAX	40
int		 det_fields(const struct det *d, const char **names,
		    const char **values, int max, char *store, size_t storelen);
/* Back from a hash (HGETALL: name, value, name, value ...); 0 or -1. */
int		 det_from_fields(struct det *d, char *const *kv, size_t n);
/* The `flowsentry allow` command line that whitelists it for its host. */
int		 det_allow_cmd(const struct det *d, char *buf, size_t len);
const char	*det_sev_name(int severity);	/* "low" ... "critical" */
const char	*det_state_name(int state);

#endif
