/*
 * cfg.h - flowsentry.conf(5): the daemon's configuration.
 *
 * DESIGN
 * One table of keys per section (name, type, bounds, default, where in
 * struct cfg it goes), as redis's config.c does; the parser, the defaults,
 * `flowsentryd -n` and the man page all follow that table.  INI-style:
 * `[section]` or `[section NAME]` headers (group, alert), `key = value`
 * pairs -- several may share a line (`url = smtp://h:25  from = a@b`),
 * a value may be a whitespace-separated list, `#` starts a comment.
 * Unknown sections and keys, bad values and duplicate keys are errors of
 * the form `FILE:LINE: reason`; the first error stops the load.
 *
 * cfg_load() builds a complete, validated struct cfg or nothing, so SIGHUP
 * can load the new one beside the old and swap only on success.  A struct
 * cfg is immutable once loaded and owned by whoever loaded it.
 */
#ifndef FS_CFG_H
#define FS_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow.h"

#define CFG_ERR_MAX	512
#define CFG_PREFIX_MAX	64	/* [redis] prefix: keys stay bounded */
#define CFG_MAX_LIST	64	/* entries in one list value */

/* An address prefix (IPv4 or IPv6). */
struct cfg_cidr {
	struct flow_addr	addr;		/* host bits cleared */
	uint8_t			plen;		/* 0..32 or 0..128 */
};

/* A listen address: "0.0.0.0:2055", "[::]:2055", "[::1]:6343". */
struct cfg_listen {
	struct flow_addr	addr;
	uint16_t		port;
};

/* Sampling rate to apply to one exporter (or prefix of exporters). */
struct cfg_sampling {
	struct cfg_cidr		exporter;
	uint32_t		rate;
	int			force;		/* override what the export says */
};

#define CFG_MAX_GROUPS	64

struct cfg_group {
	char			*name;
	struct cfg_cidr		*hosts;
	size_t			 nhosts;
};

enum cfg_sink {
	CFG_SINK_FILE = 1,	/* [alert file] */
	CFG_SINK_SYSLOG,	/* [alert syslog] */
	CFG_SINK_EMAIL,		/* [alert email] */
	CFG_SINK_REDIS,		/* [alert redis] */
};

enum cfg_severity { CFG_SEV_LOW = 1, CFG_SEV_MEDIUM, CFG_SEV_HIGH, CFG_SEV_CRITICAL };

struct cfg_alert {
	char			*name;		/* the NAME of [alert NAME] */
	enum cfg_sink		 sink;		/* from NAME, or `type =` */
	enum cfg_severity	 min_severity;	/* default low */
	/* file */
	char			*path;
	/* syslog */
	int			 rfc3164;	/* format = 3164 | 5424 (default) */
	char			*remote;	/* udp://host:port, tcp://host:port */
	int			 facility;	/* LOG_DAEMON ... as <syslog.h> */
	/* email */
	char			*url;		/* smtp://host:port, smtps:// */
	char			*from;
	char			**to;
	size_t			 nto;
	char			*username;
	char			*password;
	int			 starttls;	/* default 1 when not smtps */
	uint32_t		 digest;	/* seconds, default 300 */
	char			*spool;		/* default STATE_DIR/spool/NAME */
	/* redis */
	char			*stream;	/* default PREFIX "detections" */
	uint32_t		 maxlen;	/* default 100000 */
};

struct cfg {
	char			*path;		/* the file loaded */

	/* [collector] */
	struct cfg_listen	*listen;	/* default [::]:2055 0.0.0.0:2055 ... */
	size_t			 nlisten;
	struct cfg_cidr		*exporters;	/* empty: every source */
	size_t			 nexporters;
	uint32_t		 rcvbuf;	/* bytes, default 32 MiB */
	uint32_t		 workers;	/* default 1, 1..64 */
	char			*user;		/* default "flowsentry" */
	char			*state_dir;	/* default /var/lib/flowsentry */
	char			*metrics;	/* "127.0.0.1:9590" default, NULL when off */
	int			 log_level;	/* LOG_ERR..LOG_DEBUG, default LOG_INFO */
	int			 log_facility;	/* default LOG_DAEMON */
	uint32_t		 tmpl_per_exporter;
	uint32_t		 tmpl_total;
	uint32_t		 tmpl_timeout;	/* seconds */
	int			 key_port;	/* templates keyed by exporter port too */
	uint32_t		 state_interval;	/* seconds between template saves, default 60 */
	struct cfg_sampling	*sampling;	/* `sampling = 192.0.2.1=1000 10.0.0.0/8=512!` */
	size_t			 nsampling;

	/* [network] */
	struct cfg_cidr		*local;
	size_t			 nlocal;

	/* [group NAME] ... */
	struct cfg_group	*groups;
	size_t			 ngroups;

	/* [redis] */
	char			*redis_url;	/* NULL: none configured */
	uint32_t		 flush_interval;	/* seconds, default 5 */
	char			*redis_prefix;	/* default "fs:" */
	uint32_t		 bucket;	/* seconds, default 60 */
	uint32_t		 bucket_ttl;	/* seconds, default 7 days */
	uint32_t		 max_hosts;	/* default 100000 */
	uint32_t		 max_services;	/* default 1000000 */

	/* [geoip] */
	char			*geoip_country;
	char			*geoip_asn;

	/* [detect] */
	char			**rules;	/* globs */
	size_t			 nrules;
	char			**whitelist;	/* globs */
	size_t			 nwhitelist;
	uint32_t		 learning;	/* seconds, default 7 days, 0 off */

	/* [alert NAME] ... */
	struct cfg_alert	*alerts;
	size_t			 nalerts;
};

/*
 * Load and validate FILE.  Returns a new struct cfg, or NULL with
 * "FILE:LINE: reason" (or "FILE: reason") in err.
 */
struct cfg	*cfg_load(const char *path, char *err, size_t errlen);
/* The same from a string, for tests; name stands for the file name. */
struct cfg	*cfg_load_string(const char *name, const char *text, char *err,
		    size_t errlen);
/* A struct cfg with every default and no file. */
struct cfg	*cfg_defaults(void);
void		 cfg_free(struct cfg *c);

/* Parsers shared with the CLI and the rule/whitelist formats; 0 on success. */
int		 cfg_parse_cidr(const char *s, struct cfg_cidr *out);
int		 cfg_parse_duration(const char *s, uint32_t *secs);	/* 90, 5m, 7d, 1h30m */
int		 cfg_parse_size(const char *s, uint64_t *bytes);	/* 32M, 4MiB, 65536 */
int		 cfg_parse_listen(const char *s, struct cfg_listen *out);
/* redis://[:PASS@]HOST[:PORT][/DB] (port 6379) or unix:/PATH[?db=N] (port -1). */
int		 cfg_parse_redis_url(const char *url, char *host, size_t hostlen,
		    int *port, char *pass, size_t passlen, int *db);
int		 cfg_cidr_match(const struct cfg_cidr *c, const struct flow_addr *a);
/* Index of the first prefix in list that holds a, or -1. */
int		 cfg_cidr_find(const struct cfg_cidr *list, size_t n,
		    const struct flow_addr *a);

/* Print the key table with defaults (for `flowsentryd -n -v` and docs). */
void		 cfg_dump_defaults(FILE *fp);

#endif
