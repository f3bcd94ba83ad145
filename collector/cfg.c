/*
 * cfg.c - flowsentry.conf(5): parser, defaults and validation.
 *
 * DESIGN
 * Everything a key is lives in one row of the tables below: its section,
 * its name, how its value is parsed (the type), its bounds, its default as
 * text and where it is stored.  Defaults are applied by parsing that text
 * with the same code as the file, so a default can never be a value the
 * file would refuse, and cfg_dump_defaults() prints the table as it is.
 *
 * The file is read line by line.  A line is a `[section]` header or a run
 * of `key = value` pairs: a value runs until the next `word =` or the end
 * of the line, which lets `url = smtp://h  from = a@b  to = x@y` share a
 * line and a list (`listen = a b c`) span its words.  `#` starts a comment
 * anywhere.  The first error ends the load with "FILE:LINE: reason" and
 * frees everything; checks that need the whole section (an email sink
 * without `to`) are made when the section ends, at its header's line.
 */
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/types.h>

#include "cfg.h"

enum ktype {
	K_STR,		/* char *, a single word or a quoted value */
	K_STRS,		/* char ** + size_t count, one or more words */
	K_UINT,		/* uint32_t within [min, max] */
	K_DUR,		/* uint32_t seconds: 90, 5m, 1h30m, 7d */
	K_SIZE,		/* uint32_t bytes: 65536, 32M, 4MiB */
	K_BOOL,		/* int: yes/no, on/off, true/false, 1/0 */
	K_LISTEN,	/* struct cfg_listen * + count */
	K_CIDRS,	/* struct cfg_cidr * + count */
	K_SAMPLING,	/* struct cfg_sampling * + count */
	K_LEVEL,	/* int: syslog level by name */
	K_FACILITY,	/* int: syslog facility by name */
	K_METRICS,	/* char *: HOST:PORT or "off" (NULL) */
	K_REDISURL,	/* char *: redis://..., unix:/... or "none" (NULL) */
	K_SEVERITY,	/* enum cfg_severity */
	K_SINK,		/* enum cfg_sink */
	K_SYSFMT,	/* int rfc3164: 3164 or 5424 */
};

/* Which [alert] kinds a key belongs to. */
#define S_FILE		(1u << CFG_SINK_FILE)
#define S_SYSLOG	(1u << CFG_SINK_SYSLOG)
#define S_EMAIL		(1u << CFG_SINK_EMAIL)
#define S_REDIS		(1u << CFG_SINK_REDIS)
#define S_ALL		(S_FILE | S_SYSLOG | S_EMAIL | S_REDIS)

struct key {
	const char	*name;
	enum ktype	 type;
	size_t		 off;		/* into struct cfg, cfg_group or cfg_alert */
	size_t		 noff;		/* the count of a list */
	uint64_t	 min, max;
	const char	*def;		/* NULL: no default (unset) */
	unsigned	 sinks;		/* [alert] only */
	const char	*help;
};

#define C(f)		offsetof(struct cfg, f)
#define G(f)		offsetof(struct cfg_group, f)
#define A(f)		offsetof(struct cfg_alert, f)
#define DAY		86400u

static const struct key collector_keys[] = {
	{ "listen", K_LISTEN, C(listen), C(nlisten), 0, 0,
	  "0.0.0.0:2055 [::]:2055 0.0.0.0:4739 [::]:4739 0.0.0.0:6343 [::]:6343",
	  0, "UDP addresses to receive on; every port takes every protocol" },
	{ "exporters", K_CIDRS, C(exporters), C(nexporters), 0, 0, NULL, 0,
	  "only these sources may send (empty: any)" },
	{ "rcvbuf", K_SIZE, C(rcvbuf), 0, 65536, 1u << 30, "32M", 0,
	  "socket receive buffer" },
	{ "workers", K_UINT, C(workers), 0, 1, 64, "1", 0,
	  "threads, each with its own socket and state" },
	{ "user", K_STR, C(user), 0, 0, 0, "flowsentry", 0,
	  "user to run as after binding" },
	{ "state_dir", K_STR, C(state_dir), 0, 0, 0, "/var/lib/flowsentry", 0,
	  "templates and spools are kept here" },
	{ "metrics", K_METRICS, C(metrics), 0, 0, 0, "127.0.0.1:9590", 0,
	  "Prometheus endpoint HOST:PORT, or off" },
	{ "log_level", K_LEVEL, C(log_level), 0, 0, 0, "info", 0,
	  "error, warning, notice, info or debug" },
	{ "log_facility", K_FACILITY, C(log_facility), 0, 0, 0, "daemon", 0,
	  "syslog facility" },
	{ "templates_per_exporter", K_UINT, C(tmpl_per_exporter), 0, 1,
	  1000000, "4096", 0, "template cap per exporter" },
	{ "templates_total", K_UINT, C(tmpl_total), 0, 16, 16000000, "65536", 0,
	  "template cap over all exporters" },
	{ "template_timeout", K_DUR, C(tmpl_timeout), 0, 60, 30 * DAY, "4h", 0,
	  "a template not refreshed for this long is dropped" },
	{ "template_key_port", K_BOOL, C(key_port), 0, 0, 0, "no", 0,
	  "tell exporters apart by source port too (several behind one NAT)" },
	{ "state_interval", K_DUR, C(state_interval), 0, 0, DAY, "60", 0,
	  "seconds between template saves (0: only at exit)" },
	{ "sampling", K_SAMPLING, C(sampling), C(nsampling), 0, 0, NULL, 0,
	  "EXPORTER=RATE (when the export says nothing) or EXPORTER=RATE! "
	  "(always)" },
	{ NULL, 0, 0, 0, 0, 0, NULL, 0, NULL }
};

static const struct key network_keys[] = {
	{ "local", K_CIDRS, C(local), C(nlocal), 0, 0, NULL, 0,
	  "the networks of the servers we protect" },
	{ NULL, 0, 0, 0, 0, 0, NULL, 0, NULL }
};

static const struct key group_keys[] = {
	{ "hosts", K_CIDRS, G(hosts), G(nhosts), 0, 0, NULL, 0,
	  "addresses or prefixes in the group" },
	{ NULL, 0, 0, 0, 0, 0, NULL, 0, NULL }
};

static const struct key redis_keys[] = {
	{ "url", K_REDISURL, C(redis_url), 0, 0, 0, NULL, 0,
	  "redis://[:PASS@]HOST[:PORT][/DB] or unix:/PATH[?db=N]" },
	{ "flush_interval", K_DUR, C(flush_interval), 0, 1, 3600, "5", 0,
	  "seconds between writes of the aggregates" },
	{ "prefix", K_STR, C(redis_prefix), 0, 0, 0, "fs:", 0,
	  "prefix of every key" },
	{ "bucket", K_DUR, C(bucket), 0, 10, DAY, "60", 0,
	  "time bucket of the per-host counters" },
	{ "bucket_ttl", K_DUR, C(bucket_ttl), 0, 60, 3650 * DAY, "7d", 0,
	  "how long time buckets are kept" },
	{ "max_hosts", K_UINT, C(max_hosts), 0, 16, 100000000, "100000", 0,
	  "local hosts tracked in memory per worker" },
	{ "max_services", K_UINT, C(max_services), 0, 16, 100000000,
	  "1000000", 0, "outbound services tracked in memory per worker" },
	{ NULL, 0, 0, 0, 0, 0, NULL, 0, NULL }
};

static const struct key geoip_keys[] = {
	{ "country", K_STR, C(geoip_country), 0, 0, 0, NULL, 0,
	  "MaxMind country (or city) database" },
	{ "asn", K_STR, C(geoip_asn), 0, 0, 0, NULL, 0,
	  "MaxMind ASN database" },
	{ NULL, 0, 0, 0, 0, 0, NULL, 0, NULL }
};

static const struct key detect_keys[] = {
	{ "rules", K_STRS, C(rules), C(nrules), 0, 0, NULL, 0,
	  "rule files (globs)" },
	{ "whitelist", K_STRS, C(whitelist), C(nwhitelist), 0, 0, NULL, 0,
	  "whitelist files imported at start (globs)" },
	{ "learning", K_DUR, C(learning), 0, 0, 3650 * DAY, "7d", 0,
	  "learning period of a new host (0: off)" },
	{ NULL, 0, 0, 0, 0, 0, NULL, 0, NULL }
};

static const struct key alert_keys[] = {
	{ "type", K_SINK, A(sink), 0, 0, 0, NULL, S_ALL,
	  "file, syslog, email or redis (default: the section's name)" },
	{ "min_severity", K_SEVERITY, A(min_severity), 0, 0, 0, "low", S_ALL,
	  "low, medium, high or critical" },
	{ "path", K_STR, A(path), 0, 0, 0, NULL, S_FILE,
	  "NDJSON file (required)" },
	{ "format", K_SYSFMT, A(rfc3164), 0, 0, 0, "5424", S_SYSLOG,
	  "5424 or 3164" },
	{ "remote", K_STR, A(remote), 0, 0, 0, NULL, S_SYSLOG,
	  "send to udp://HOST:PORT, tcp://HOST:PORT or unix:/PATH instead of /dev/log" },
	{ "facility", K_FACILITY, A(facility), 0, 0, 0, "daemon", S_SYSLOG,
	  "syslog facility" },
	{ "url", K_STR, A(url), 0, 0, 0, NULL, S_EMAIL,
	  "smtp://HOST[:PORT] or smtps://HOST[:PORT] (required)" },
	{ "from", K_STR, A(from), 0, 0, 0, NULL, S_EMAIL,
	  "sender address (required)" },
	{ "to", K_STRS, A(to), A(nto), 0, 0, NULL, S_EMAIL,
	  "recipients (required)" },
	{ "username", K_STR, A(username), 0, 0, 0, NULL, S_EMAIL,
	  "SMTP AUTH user" },
	{ "password", K_STR, A(password), 0, 0, 0, NULL, S_EMAIL,
	  "SMTP AUTH password" },
	{ "starttls", K_BOOL, A(starttls), 0, 0, 0, "yes", S_EMAIL,
	  "require STARTTLS on smtp://" },
	{ "digest", K_DUR, A(digest), 0, 0, DAY, "5m", S_EMAIL,
	  "one mail per interval; critical at once (0: every detection)" },
	{ "spool", K_STR, A(spool), 0, 0, 0, NULL, S_EMAIL,
	  "spool directory (default STATE_DIR/spool/NAME)" },
	{ "stream", K_STR, A(stream), 0, 0, 0, NULL, S_REDIS,
	  "stream key (default PREFIX alerts; PREFIX detections holds every detection anyway)" },
	{ "maxlen", K_UINT, A(maxlen), 0, 1, 100000000, "100000", S_REDIS,
	  "approximate cap of the stream" },
	{ NULL, 0, 0, 0, 0, 0, NULL, 0, NULL }
};

enum sect { SEC_NONE, SEC_COLLECTOR, SEC_NETWORK, SEC_GROUP, SEC_REDIS,
	SEC_GEOIP, SEC_DETECT, SEC_ALERT };

static const struct section {
	const char		*name;
	enum sect		 id;
	int			 named;		/* [NAME ARG] */
	const struct key	*keys;
} sections[] = {
	{ "collector",	SEC_COLLECTOR,	0, collector_keys },
	{ "network",	SEC_NETWORK,	0, network_keys },
	{ "group",	SEC_GROUP,	1, group_keys },
	{ "redis",	SEC_REDIS,	0, redis_keys },
	{ "geoip",	SEC_GEOIP,	0, geoip_keys },
	{ "detect",	SEC_DETECT,	0, detect_keys },
	{ "alert",	SEC_ALERT,	1, alert_keys },
	{ NULL, 0, 0, NULL }
};

static const struct {
	const char	*name;
	int		 val;
} levels[] = {
	{ "error", LOG_ERR }, { "err", LOG_ERR }, { "warning", LOG_WARNING },
	{ "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG }, { NULL, 0 }
}, facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 }, { "auth", LOG_AUTH },
	{ "authpriv", LOG_AUTHPRIV }, { NULL, 0 }
}, severities[] = {
	{ "low", CFG_SEV_LOW }, { "medium", CFG_SEV_MEDIUM },
	{ "high", CFG_SEV_HIGH }, { "critical", CFG_SEV_CRITICAL }, { NULL, 0 }
}, sinks[] = {
	{ "file", CFG_SINK_FILE }, { "syslog", CFG_SINK_SYSLOG },
	{ "email", CFG_SINK_EMAIL }, { "redis", CFG_SINK_REDIS }, { NULL, 0 }
};

/* ---- shared value parsers -------------------------------------------- */

int
cfg_parse_cidr(const char *s, struct cfg_cidr *out)
{
	char buf[64], *slash, *e;
	unsigned long plen;
	unsigned i, maxlen;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (flow_addr_parse(&out->addr, buf) != 0)
		return -1;
	maxlen = out->addr.af == 4 ? 32 : 128;
	plen = maxlen;
	if (slash) {
		if (!isdigit((unsigned char)*slash))
			return -1;
		errno = 0;
		plen = strtoul(slash, &e, 10);
		if (*e || errno || plen > maxlen)
			return -1;
	}
	out->plen = (uint8_t)plen;
	for (i = (unsigned)plen; i < maxlen; i++)	/* clear host bits */
		out->addr.a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return 0;
}

int
cfg_cidr_match(const struct cfg_cidr *c, const struct flow_addr *a)
{
	uint64_t x[2], y[2];
	unsigned p = c->plen;

	if (c->addr.af != a->af)
		return 0;
	/* The top p bits of the address, compared a word at a time. */
	if (a->af == 4) {
		uint32_t u, v;

		memcpy(&u, a->a, 4);
		memcpy(&v, c->addr.a, 4);
		return p == 0 || ((be32toh(u) ^ be32toh(v)) >>
		    (32 - (p > 32 ? 32 : p))) == 0;
	}
	memcpy(x, a->a, 16);
	memcpy(y, c->addr.a, 16);
	if (p > 64) {
		if (x[0] != y[0])
			return 0;
		return ((be64toh(x[1]) ^ be64toh(y[1])) >> (128 - p)) == 0;
	}
	return p == 0 || ((be64toh(x[0]) ^ be64toh(y[0])) >> (64 - p)) == 0;
}

int
cfg_cidr_find(const struct cfg_cidr *list, size_t n, const struct flow_addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cfg_cidr_match(&list[i], a))
			return (int)i;
	return -1;
}

int
cfg_parse_duration(const char *s, uint32_t *secs)
{
	uint64_t total = 0, v;
	const char *p = s;

	if (*p == '\0')
		return -1;
	if (strspn(s, "0123456789") == strlen(s)) {	/* bare seconds */
		if (strlen(s) > 10 || (v = strtoull(s, NULL, 10)) > UINT32_MAX)
			return -1;
		*secs = (uint32_t)v;
		return 0;
	}
	while (*p) {				/* 1h30m: a unit after each */
		if (!isdigit((unsigned char)*p))
			return -1;
		v = 0;
		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (uint64_t)(*p++ - '0');
			if (v > UINT32_MAX)
				return -1;
		}
		switch (*p++) {
		case 's': break;
		case 'm': v *= 60; break;
		case 'h': v *= 3600; break;
		case 'd': v *= 86400; break;
		case 'w': v *= 7 * 86400; break;
		default: return -1;		/* "1h30" is ambiguous */
		}
		total += v;
		if (total > UINT32_MAX)
			return -1;
	}
	*secs = (uint32_t)total;
	return 0;
}

int
cfg_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (uint64_t)(*p++ - '0');
		if (v > (1ull << 40))
			return -1;
	}
	if (*p) {
		switch (toupper((unsigned char)*p)) {
		case 'K': mul = 1ull << 10; break;
		case 'M': mul = 1ull << 20; break;
		case 'G': mul = 1ull << 30; break;
		default: return -1;
		}
		p++;
		if (strcasecmp(p, "") && strcasecmp(p, "B") &&
		    strcasecmp(p, "iB"))
			return -1;
	}
	if (v > UINT64_MAX / mul)	/* "17179869185G" is not 1G */
		return -1;
	*bytes = v * mul;
	return 0;
}

int
cfg_parse_listen(const char *s, struct cfg_listen *out)
{
	char host[64];
	const char *colon, *h;
	size_t hl;
	char *e;
	unsigned long port;

	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)))
			return -1;	/* v6 needs brackets */
		h = s;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (flow_addr_parse(&out->addr, host) != 0)
		return -1;
	if (*s == '[' && out->addr.af != 6)
		return -1;
	if (!isdigit((unsigned char)colon[1]))
		return -1;
	errno = 0;
	port = strtoul(colon + 1, &e, 10);
	if (*e || errno || port == 0 || port > 65535)
		return -1;
	out->port = (uint16_t)port;
	return 0;
}

int
cfg_parse_redis_url(const char *url, char *host, size_t hostlen, int *port,
    char *pass, size_t passlen, int *db)
{
	const char *p, *at, *end;
	char *e;
	long v;

	*port = 0;
	*db = 0;
	pass[0] = '\0';
	if (strncmp(url, "unix:", 5) == 0) {
		p = url + 5;
		end = strchr(p, '?');
		if (p[0] != '/' || (size_t)(end ? end - p : (long)strlen(p)) >=
		    hostlen)
			return -1;
		snprintf(host, hostlen, "%.*s", (int)(end ? end - p :
		    (long)strlen(p)), p);
		if (end) {
			if (strncmp(end, "?db=", 4) || !isdigit((unsigned char)end[4]))
				return -1;
			v = strtol(end + 4, &e, 10);
			if (*e || v < 0 || v > 65535)
				return -1;
			*db = (int)v;
		}
		*port = -1;
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0)
		return -1;
	p = url + 8;
	if ((at = strrchr(p, '@')) != NULL) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *pw = colon ? colon + 1 : p;

		if ((size_t)(at - pw) >= passlen)
			return -1;
		snprintf(pass, passlen, "%.*s", (int)(at - pw), pw);
		p = at + 1;
	}
	if (*p == '[') {			/* [v6]:port */
		const char *rb = strchr(p, ']');

		if (rb == NULL || rb == p + 1 || (size_t)(rb - p - 1) >= hostlen)
			return -1;
		snprintf(host, hostlen, "%.*s", (int)(rb - p - 1), p + 1);
		end = rb + 1;
	} else {
		end = p + strcspn(p, ":/");
		if (end == p || (size_t)(end - p) >= hostlen)
			return -1;
		snprintf(host, hostlen, "%.*s", (int)(end - p), p);
	}
	*port = 6379;
	if (*end == ':') {
		if (!isdigit((unsigned char)end[1]))
			return -1;
		v = strtol(end + 1, &e, 10);
		if (v < 1 || v > 65535)
			return -1;
		*port = (int)v;
		end = e;
	}
	if (*end == '/' && end[1]) {
		if (!isdigit((unsigned char)end[1]))
			return -1;
		v = strtol(end + 1, &e, 10);
		if (*e || v < 0 || v > 65535)
			return -1;
		*db = (int)v;
	} else if (*end && strcmp(end, "/"))
		return -1;
	return 0;
}

/* ---- the loader -------------------------------------------------------- */

struct parser {
	const char	*name;		/* file name for messages */
	int		 line;
	char		*err;
	size_t		 errlen;
	struct cfg	*cfg;
	const struct section *sec;	/* current section, NULL before one */
	void		*base;		/* what its keys' offsets are into */
	int		 sec_line;
	/* keys seen in the current section: duplicates are errors */
	const struct key *seen[32];
	size_t		 nseen;
	int		 global_seen[64];	/* per sections[] x key, bitwise */
};

static int perr(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
	char msg[CFG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->name, msg);
	return -1;
}

static int
lookup(const char *s, const void *table, int *out)
{
	const struct { const char *name; int val; } *t = table;

	for (; t->name; t++)
		if (strcasecmp(s, t->name) == 0) {
			*out = t->val;
			return 0;
		}
	return -1;
}

static const char *
names(const void *table, char *buf, size_t len)
{
	const struct { const char *name; int val; } *t = table;
	size_t o = 0;

	buf[0] = '\0';
	for (; t->name && o < len; t++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
		    t->name);
	return buf;
}

/* Split v into words (in place); returns how many, -1 when too many. */
static int
words(char *v, char **w, int max)
{
	int n = 0;
	char *s, *save = NULL;

	for (s = strtok_r(v, " \t", &save); s; s = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return -1;
		w[n++] = s;
	}
	return n;
}

static void
free_value(const struct key *k, void *base)
{
	char *f = (char *)base + k->off;
	size_t *n = k->noff ? (size_t *)((char *)base + k->noff) : NULL;
	size_t i;

	switch (k->type) {
	case K_STR: case K_METRICS: case K_REDISURL:
		free(*(char **)f);
		*(char **)f = NULL;
		break;
	case K_STRS:
		for (i = 0; i < *n; i++)
			free((*(char ***)f)[i]);
		/* FALLTHROUGH */
	case K_LISTEN: case K_CIDRS: case K_SAMPLING:
		free(*(void **)f);
		*(void **)f = NULL;
		*n = 0;
		break;
	default:
		break;
	}
}

/*
 * Parse value v of key k into base.  Errors are in the words of the key
 * and value; the caller adds file and line.
 */
static int
set_value(struct parser *p, const struct key *k, void *base, char *v,
    int quoted)
{
	char *w[CFG_MAX_LIST], buf[128];
	char *f = (char *)base + k->off;
	size_t *cnt = k->noff ? (size_t *)((char *)base + k->noff) : NULL;
	int n, i, iv;
	uint32_t u;
	uint64_t sz;
	char *e;

	if (quoted) {			/* one word, blanks and all */
		w[0] = v;
		n = *v != '\0';
	} else if ((n = words(v, w, CFG_MAX_LIST)) < 0)
		return perr(p, "%s: more than %d values", k->name,
		    CFG_MAX_LIST);
	if (n == 0 && k->type != K_CIDRS && k->type != K_STRS &&
	    k->type != K_SAMPLING)
		return perr(p, "%s: value missing", k->name);
	if (n > 1 && k->type != K_STRS && k->type != K_LISTEN &&
	    k->type != K_CIDRS && k->type != K_SAMPLING)
		return perr(p, "%s: one value expected, got %d (\"%s %s...\")",
		    k->name, n, w[0], w[1]);
	free_value(k, base);

	switch (k->type) {
	case K_STR:
		if ((*(char **)f = strdup(w[0])) == NULL)
			return perr(p, "out of memory");
		break;
	case K_METRICS:
		if (strcasecmp(w[0], "off") == 0 || strcasecmp(w[0], "no") == 0)
			break;
		{
			struct cfg_listen l;

			if (cfg_parse_listen(w[0], &l) != 0)
				return perr(p, "%s: \"%s\" is not HOST:PORT "
				    "([ADDR]:PORT for IPv6) or off", k->name,
				    w[0]);
		}
		if ((*(char **)f = strdup(w[0])) == NULL)
			return perr(p, "out of memory");
		break;
	case K_REDISURL: {
		char host[256], pass[256];
		int port, db;

		if (strcasecmp(w[0], "none") == 0)
			break;
		if (cfg_parse_redis_url(w[0], host, sizeof(host), &port, pass,
		    sizeof(pass), &db) != 0)
			return perr(p, "%s: \"%s\" is not redis://[:PASS@]HOST"
			    "[:PORT][/DB] or unix:/PATH[?db=N]", k->name, w[0]);
		if ((*(char **)f = strdup(w[0])) == NULL)
			return perr(p, "out of memory");
		break;
	}
	case K_STRS:
		if (n && (*(char ***)f = calloc((size_t)n, sizeof(char *))) ==
		    NULL)
			return perr(p, "out of memory");
		for (i = 0; i < n; i++) {
			if (((*(char ***)f)[i] = strdup(w[i])) == NULL)
				return perr(p, "out of memory");
			(*cnt)++;
		}
		break;
	case K_UINT:
		errno = 0;
		if (!isdigit((unsigned char)w[0][0]) ||
		    (sz = strtoull(w[0], &e, 10), *e || errno))
			return perr(p, "%s: \"%s\" is not a number", k->name,
			    w[0]);
		if (sz < k->min || sz > k->max)
			return perr(p, "%s: %s is out of range %llu..%llu",
			    k->name, w[0], (unsigned long long)k->min,
			    (unsigned long long)k->max);
		*(uint32_t *)f = (uint32_t)sz;
		break;
	case K_DUR:
		if (cfg_parse_duration(w[0], &u) != 0)
			return perr(p, "%s: \"%s\" is not a duration (90, 90s, "
			    "5m, 1h30m, 7d)", k->name, w[0]);
		if (u < k->min || u > k->max)
			return perr(p, "%s: %s is out of range %llus..%llus",
			    k->name, w[0], (unsigned long long)k->min,
			    (unsigned long long)k->max);
		*(uint32_t *)f = u;
		break;
	case K_SIZE:
		if (cfg_parse_size(w[0], &sz) != 0)
			return perr(p, "%s: \"%s\" is not a size (65536, 512K, "
			    "32M, 1G)", k->name, w[0]);
		if (sz < k->min || sz > k->max)
			return perr(p, "%s: %s is out of range %llu..%llu bytes",
			    k->name, w[0], (unsigned long long)k->min,
			    (unsigned long long)k->max);
		*(uint32_t *)f = (uint32_t)sz;
		break;
	case K_BOOL:
		if (!strcasecmp(w[0], "yes") || !strcasecmp(w[0], "on") ||
		    !strcasecmp(w[0], "true") || !strcmp(w[0], "1"))
			*(int *)f = 1;
		else if (!strcasecmp(w[0], "no") || !strcasecmp(w[0], "off") ||
		    !strcasecmp(w[0], "false") || !strcmp(w[0], "0"))
			*(int *)f = 0;
		else
			return perr(p, "%s: \"%s\" is not yes or no", k->name,
			    w[0]);
		break;
	case K_LEVEL:
		if (lookup(w[0], levels, (int *)f) != 0)
			return perr(p, "%s: \"%s\" is not one of %s", k->name,
			    w[0], names(levels, buf, sizeof(buf)));
		break;
	case K_FACILITY:
		if (lookup(w[0], facilities, (int *)f) != 0)
			return perr(p, "%s: \"%s\" is not one of %s", k->name,
			    w[0], names(facilities, buf, sizeof(buf)));
		break;
	case K_SEVERITY:
		if (lookup(w[0], severities, &iv) != 0)
			return perr(p, "%s: \"%s\" is not one of %s", k->name,
			    w[0], names(severities, buf, sizeof(buf)));
		*(enum cfg_severity *)f = (enum cfg_severity)iv;
		break;
	case K_SINK:
		if (lookup(w[0], sinks, &iv) != 0)
			return perr(p, "%s: \"%s\" is not one of %s", k->name,
			    w[0], names(sinks, buf, sizeof(buf)));
		*(enum cfg_sink *)f = (enum cfg_sink)iv;
		break;
	case K_SYSFMT:
		if (strcmp(w[0], "3164") == 0)
			*(int *)f = 1;
		else if (strcmp(w[0], "5424") == 0)
			*(int *)f = 0;
		else
			return perr(p, "%s: \"%s\" is not 5424 or 3164",
			    k->name, w[0]);
		break;
	case K_LISTEN: {
		struct cfg_listen *l = calloc((size_t)n, sizeof(*l));

		if (l == NULL)
			return perr(p, "out of memory");
		*(struct cfg_listen **)f = l;
		for (i = 0; i < n; i++) {
			if (cfg_parse_listen(w[i], &l[i]) != 0)
				return perr(p, "%s: \"%s\" is not ADDR:PORT "
				    "([ADDR]:PORT for IPv6)", k->name, w[i]);
			(*cnt)++;
		}
		break;
	}
	case K_CIDRS: {
		struct cfg_cidr *c = n ? calloc((size_t)n, sizeof(*c)) : NULL;

		if (n && c == NULL)
			return perr(p, "out of memory");
		*(struct cfg_cidr **)f = c;
		for (i = 0; i < n; i++) {
			if (cfg_parse_cidr(w[i], &c[i]) != 0)
				return perr(p, "%s: \"%s\" is not an address "
				    "or prefix", k->name, w[i]);
			(*cnt)++;
		}
		break;
	}
	case K_SAMPLING: {
		struct cfg_sampling *s = n ? calloc((size_t)n, sizeof(*s)) :
		    NULL;

		if (n && s == NULL)
			return perr(p, "out of memory");
		*(struct cfg_sampling **)f = s;
		for (i = 0; i < n; i++) {
			char *eq = strchr(w[i], '='), *r;
			size_t rl;

			if (eq == NULL)
				return perr(p, "%s: \"%s\" is not EXPORTER="
				    "RATE", k->name, w[i]);
			*eq = '\0';
			r = eq + 1;
			rl = strlen(r);
			if (rl && r[rl - 1] == '!') {
				s[i].force = 1;
				r[--rl] = '\0';
			}
			if (cfg_parse_cidr(w[i], &s[i].exporter) != 0)
				return perr(p, "%s: \"%s\" is not an address "
				    "or prefix", k->name, w[i]);
			errno = 0;
			if (!isdigit((unsigned char)*r) ||
			    (sz = strtoull(r, &e, 10), *e || errno) ||
			    sz < 1 || sz > UINT32_MAX)
				return perr(p, "%s: rate \"%s\" is not a number "
				    "1..%u", k->name, r, UINT32_MAX);
			s[i].rate = (uint32_t)sz;
			(*cnt)++;
		}
		break;
	}
	}
	return 0;
}

static int
set_default(struct parser *p, const struct key *k, void *base)
{
	char buf[256];

	if (k->def == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", k->def);
	return set_value(p, k, base, buf, 0);
}

static int
set_defaults(struct parser *p, const struct key *keys, void *base)
{
	for (; keys->name; keys++)
		if (set_default(p, keys, base) != 0)
			return -1;
	return 0;
}

/* Checks made when a section ends. */
static int
end_section(struct parser *p)
{
	int line = p->line, rc = 0;
	size_t i;

	if (p->sec == NULL)
		return 0;
	p->line = p->sec_line;
	if (p->sec->id == SEC_ALERT) {
		struct cfg_alert *a = p->base;
		const char *kind = NULL;

		if (a->sink == 0) {
			rc = perr(p, "[alert %s]: unknown sink type; name the "
			    "section file, syslog, email or redis, or set "
			    "type =", a->name);
			goto out;
		}
		for (i = 0; sinks[i].name; i++)
			if (sinks[i].val == (int)a->sink)
				kind = sinks[i].name;
		for (i = 0; i < p->nseen; i++)
			if (!(p->seen[i]->sinks & (1u << a->sink))) {
				rc = perr(p, "[alert %s]: %s does not apply to "
				    "a %s sink", a->name, p->seen[i]->name,
				    kind);
				goto out;
			}
		if (a->sink == CFG_SINK_FILE && a->path == NULL)
			rc = perr(p, "[alert %s]: path is required", a->name);
		else if (a->sink == CFG_SINK_EMAIL && (a->url == NULL ||
		    a->from == NULL || a->nto == 0))
			rc = perr(p, "[alert %s]: url, from and to are "
			    "required", a->name);
		else if (a->sink == CFG_SINK_EMAIL &&
		    strncmp(a->url, "smtp://", 7) &&
		    strncmp(a->url, "smtps://", 8))
			rc = perr(p, "[alert %s]: url \"%s\" is not smtp:// or "
			    "smtps://", a->name, a->url);
		else if (a->sink == CFG_SINK_SYSLOG && a->remote &&
		    strncmp(a->remote, "udp://", 6) &&
		    strncmp(a->remote, "tcp://", 6) &&
		    strncmp(a->remote, "unix:/", 6))
			rc = perr(p, "[alert %s]: remote \"%s\" is not "
			    "udp://HOST:PORT, tcp://HOST:PORT or unix:/PATH",
			    a->name, a->remote);
		else if (a->sink == CFG_SINK_EMAIL &&
		    strncmp(a->url, "smtps://", 8) == 0)
			a->starttls = 0;	/* already TLS */
	} else if (p->sec->id == SEC_GROUP) {
		struct cfg_group *g = p->base;

		if (g->nhosts == 0)
			rc = perr(p, "[group %s]: hosts is required", g->name);
	}
out:
	p->line = line;
	p->sec = NULL;
	return rc;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return 0;
	return 1;
}

static int
begin_section(struct parser *p, char *hdr)
{
	struct cfg *c = p->cfg;
	char *w[3];
	int n, i;
	const struct section *s;
	size_t j;

	if ((n = words(hdr, w, 3)) < 1 || n > 2)
		return perr(p, "bad section header");
	for (s = sections; s->name; s++)
		if (strcmp(s->name, w[0]) == 0)
			break;
	if (s->name == NULL)
		return perr(p, "unknown section [%s]", w[0]);
	if (s->named && n != 2)
		return perr(p, "[%s] needs a name: [%s NAME]", w[0], w[0]);
	if (!s->named && n != 1)
		return perr(p, "[%s] takes no name", w[0]);
	if (n == 2 && !valid_name(w[1]))
		return perr(p, "[%s %s]: a name is letters, digits, '-', '_' "
		    "and '.'", w[0], w[1]);
	p->sec = s;
	p->sec_line = p->line;
	p->nseen = 0;
	switch (s->id) {
	case SEC_GROUP: {
		struct cfg_group *g;

		for (j = 0; j < c->ngroups; j++)
			if (strcmp(c->groups[j].name, w[1]) == 0)
				return perr(p, "[group %s] defined twice",
				    w[1]);
		/* Rules and whitelists keep a host's groups in 64 bits. */
		if (c->ngroups == CFG_MAX_GROUPS)
			return perr(p, "[group %s]: at most %d groups",
			    w[1], CFG_MAX_GROUPS);
		g = realloc(c->groups, (c->ngroups + 1) * sizeof(*g));
		if (g == NULL)
			return perr(p, "out of memory");
		c->groups = g;
		g = &c->groups[c->ngroups++];
		memset(g, 0, sizeof(*g));
		if ((g->name = strdup(w[1])) == NULL)
			return perr(p, "out of memory");
		p->base = g;
		break;
	}
	case SEC_ALERT: {
		struct cfg_alert *a;

		for (j = 0; j < c->nalerts; j++)
			if (strcmp(c->alerts[j].name, w[1]) == 0)
				return perr(p, "[alert %s] defined twice",
				    w[1]);
		a = realloc(c->alerts, (c->nalerts + 1) * sizeof(*a));
		if (a == NULL)
			return perr(p, "out of memory");
		c->alerts = a;
		a = &c->alerts[c->nalerts++];
		memset(a, 0, sizeof(*a));
		if ((a->name = strdup(w[1])) == NULL)
			return perr(p, "out of memory");
		if (lookup(w[1], sinks, &i) == 0)
			a->sink = (enum cfg_sink)i;
		p->base = a;
		if (set_defaults(p, alert_keys, a) != 0)
			return -1;
		break;
	}
	default:
		/* A plain section may appear again; its keys still once. */
		p->base = c;
		break;
	}
	return 0;
}

static int
seen_before(struct parser *p, const struct key *k)
{
	size_t si = (size_t)(p->sec - sections), ki;

	if (p->sec->named) {
		size_t i;

		for (i = 0; i < p->nseen; i++)
			if (p->seen[i] == k)
				return 1;
		if (p->nseen < sizeof(p->seen) / sizeof(p->seen[0]))
			p->seen[p->nseen++] = k;
		return 0;
	}
	ki = (size_t)(k - p->sec->keys);
	if (p->global_seen[si] & (1 << ki))
		return 1;
	p->global_seen[si] |= 1 << ki;
	return 0;
}

/* Is s (at a word start) "word =" or "word=" ?  Returns the word's end. */
static char *
key_at(char *s)
{
	char *e = s;

	while (isalnum((unsigned char)*e) || *e == '_' || *e == '-')
		e++;
	if (e == s)
		return NULL;
	while (*e == ' ' || *e == '\t')
		e++;
	return *e == '=' ? e : NULL;
}

/* A comment starts at a '#' that begins the line or follows a blank. */
static int
comment_at(const char *s, const char *line)
{
	return *s == '#' && (s == line || s[-1] == ' ' || s[-1] == '\t');
}

/* A control character (other than a tab) in s? */
static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return 1;
	return 0;
}

/*
 * A quoted value: "..." with \" and \\ inside.  Unquotes it in place and
 * returns the first character after the closing quote, or NULL.
 */
static char *
unquote(struct parser *p, char *q, const char *name)
{
	char *in = q + 1, *out = q;

	for (; *in && *in != '"'; in++) {
		if (*in == '\\' && (in[1] == '"' || in[1] == '\\'))
			in++;
		*out++ = *in;
	}
	if (*in != '"') {
		perr(p, "%s: quoted value without its closing '\"'", name);
		return NULL;
	}
	*out = '\0';
	in++;
	if (*in && *in != ' ' && *in != '\t') {
		perr(p, "%s: text right after a quoted value", name);
		return NULL;
	}
	return in;
}

/*
 * One line: a section header or key = value pairs.  An unquoted value runs
 * to the next "word =", a comment or the end of the line; a quoted one is
 * taken as it is (so it may hold '#', blanks and '=').
 */
static int
parse_line(struct parser *p, char *line)
{
	char *s = line, *end, *eq, *name, *val, *next, *t, empty[1] = "";
	const struct key *k;
	int quoted;

	end = s + strlen(s);		/* the newline, a CR, trailing blanks */
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	/* Control characters are refused where they would be read: in a
	 * section header or a value (a comment may hold anything). */
	if (*s == '[') {
		for (end = s; *end && !comment_at(end, line); end++)
			;
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end[-1] != ']')
			return perr(p, "section header without ']'");
		end[-1] = '\0';
		if (has_control(s))
			return perr(p, "control character in line");
		if (end_section(p) != 0)
			return -1;
		return begin_section(p, s + 1);
	}
	while (*s != '\0' && *s != '#') {	/* '#' here follows a blank */
		if ((eq = key_at(s)) == NULL)
			return perr(p, "expected key = value, got \"%.40s\"", s);
		name = s;
		s += strcspn(s, " \t=");
		*s = '\0';
		val = eq + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		quoted = 0;
		if (key_at(val)) {		/* "a = b = c": a is empty */
			next = val;
			val = empty;
		} else if ((quoted = *val == '"')) {
			if ((next = unquote(p, val, name)) == NULL)
				return -1;
		} else if (comment_at(val, line)) {
			*val = '\0';		/* "key = # comment": empty */
			next = val;
		} else {
			/* runs to the next "word =", a comment or the end */
			next = val;
			for (;;) {
				next += strcspn(next, " \t");
				if (*next == '\0')
					break;
				while (*next == ' ' || *next == '\t')
					next++;
				if (*next == '#' || key_at(next))
					break;
			}
			t = next;
			while (t > val && (t[-1] == ' ' || t[-1] == '\t'))
				t--;
			if (t < next)	/* a blank before the next thing */
				*t = '\0';
		}
		while (*next == ' ' || *next == '\t')
			next++;
		if (has_control(val))
			return perr(p, "control character in line");
		if (p->sec == NULL)
			return perr(p, "%s: key outside of any section", name);
		for (k = p->sec->keys; k->name; k++)
			if (strcmp(k->name, name) == 0)
				break;
		if (k->name == NULL)
			return perr(p, "unknown key \"%s\" in [%s]", name,
			    p->sec->name);
		if (seen_before(p, k))
			return perr(p, "%s: set twice in [%s]", name,
			    p->sec->name);
		if (set_value(p, k, p->base, val, quoted) != 0)
			return -1;
		s = next;
	}
	return 0;
}

/* Checks over the whole file. */
static int
end_file(struct parser *p)
{
	struct cfg *c = p->cfg;
	size_t i, j;

	p->line = 0;
	if (c->nlisten == 0)
		return perr(p, "[collector] listen: at least one address is "
		    "needed");
	for (i = 0; i < c->nlisten; i++)
		for (j = 0; j < i; j++)
			if (flow_addr_eq(&c->listen[i].addr,
			    &c->listen[j].addr) &&
			    c->listen[i].port == c->listen[j].port) {
				char a[64];

				return perr(p, "[collector] listen: %s:%u given "
				    "twice", flow_addr_str(&c->listen[i].addr,
				    a, sizeof(a)), c->listen[i].port);
			}
	if (c->bucket_ttl < c->bucket)
		return perr(p, "[redis] bucket_ttl (%us) is shorter than bucket "
		    "(%us)", c->bucket_ttl, c->bucket);
	if (c->redis_prefix && strlen(c->redis_prefix) > CFG_PREFIX_MAX)
		return perr(p, "[redis] prefix: longer than %d characters",
		    CFG_PREFIX_MAX);
	for (i = 0; i < c->nalerts; i++) {
		struct cfg_alert *a = &c->alerts[i];

		if (a->sink == CFG_SINK_REDIS && c->redis_url == NULL)
			return perr(p, "[alert %s] writes to Redis but [redis] "
			    "url is not set", a->name);
	}
	return 0;
}

static struct cfg *
new_cfg(struct parser *p, const char *name)
{
	const struct section *s;
	struct cfg *c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(name)) == NULL) {
		free(c);
		perr(p, "out of memory");
		return NULL;
	}
	p->cfg = c;
	for (s = sections; s->name; s++)
		if (!s->named && set_defaults(p, s->keys, c) != 0) {
			cfg_free(c);
			return NULL;
		}
	return c;
}

static struct cfg *
load(const char *name, FILE *fp, char *err, size_t errlen)
{
	struct parser p;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.err = err;
	p.errlen = errlen;
	if (new_cfg(&p, name) == NULL)
		return NULL;
	while ((len = getline(&line, &cap, fp)) != -1) {
		p.line++;
		if (len > 0 && (size_t)len != strlen(line)) {
			perr(&p, "NUL byte in line");
			goto fail;
		}
		if (len > 8192) {
			perr(&p, "line longer than 8192 bytes");
			goto fail;
		}
		if (parse_line(&p, line) != 0)
			goto fail;
	}
	if (ferror(fp)) {
		p.line = 0;
		perr(&p, "read error: %s", strerror(errno));
		goto fail;
	}
	p.line++;
	if (end_section(&p) != 0 || end_file(&p) != 0)
		goto fail;
	free(line);
	return p.cfg;
fail:
	free(line);
	cfg_free(p.cfg);
	return NULL;
}

/* A relative path made relative to dir (the config file's directory). */
static int
resolve(char **p, const char *dir)
{
	char *n;

	if (*p == NULL || **p == '/' || **p == '\0')
		return 0;
	if (asprintf(&n, "%s/%s", dir, *p) == -1)
		return -1;
	free(*p);
	*p = n;
	return 0;
}

/*
 * Paths in a config file are relative to the file, not to where the
 * daemon happens to start (systemd starts it in /).
 */
static int
resolve_paths(struct cfg *c, const char *path)
{
	char *copy, *dir;
	size_t i;
	int rc = 0;

	if ((copy = strdup(path)) == NULL)
		return -1;
	dir = dirname(copy);
	rc |= resolve(&c->state_dir, dir);
	rc |= resolve(&c->geoip_country, dir);
	rc |= resolve(&c->geoip_asn, dir);
	for (i = 0; i < c->nrules; i++)
		rc |= resolve(&c->rules[i], dir);
	for (i = 0; i < c->nwhitelist; i++)
		rc |= resolve(&c->whitelist[i], dir);
	for (i = 0; i < c->nalerts; i++) {
		rc |= resolve(&c->alerts[i].path, dir);
		rc |= resolve(&c->alerts[i].spool, dir);
	}
	free(copy);
	return rc;
}

struct cfg *
cfg_load(const char *path, char *err, size_t errlen)
{
	struct cfg *c;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	c = load(path, fp, err, errlen);
	fclose(fp);
	if (c && resolve_paths(c, path) == -1) {
		snprintf(err, errlen, "%s: out of memory", path);
		cfg_free(c);
		return NULL;
	}
	return c;
}

struct cfg *
cfg_load_string(const char *name, const char *text, char *err, size_t errlen)
{
	struct cfg *c;
	FILE *fp;

	if ((fp = fmemopen((void *)(uintptr_t)text, strlen(text), "r")) ==
	    NULL) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return NULL;
	}
	c = load(name, fp, err, errlen);
	fclose(fp);
	return c;
}

struct cfg *
cfg_defaults(void)
{
	char err[CFG_ERR_MAX];
	struct parser p;

	memset(&p, 0, sizeof(p));
	p.name = "(defaults)";
	p.err = err;
	p.errlen = sizeof(err);
	return new_cfg(&p, "(defaults)");
}

static void
free_keys(const struct key *keys, void *base)
{
	for (; keys->name; keys++)
		free_value(keys, base);
}

void
cfg_free(struct cfg *c)
{
	const struct section *s;
	size_t i;

	if (c == NULL)
		return;
	for (s = sections; s->name; s++)
		if (!s->named)
			free_keys(s->keys, c);
	for (i = 0; i < c->ngroups; i++) {
		free(c->groups[i].name);
		free_keys(group_keys, &c->groups[i]);
	}
	free(c->groups);
	for (i = 0; i < c->nalerts; i++) {
		free(c->alerts[i].name);
		free_keys(alert_keys, &c->alerts[i]);
	}
	free(c->alerts);
	free(c->path);
	free(c);
}

void
cfg_dump_defaults(FILE *fp)
{
	const struct section *s;
	const struct key *k;

	for (s = sections; s->name; s++) {
		fprintf(fp, "[%s%s]\n", s->name, s->named ? " NAME" : "");
		for (k = s->keys; k->name; k++)
			fprintf(fp, "%-24s = %-28s # %s\n", k->name,
			    k->def ? k->def : "", k->help);
		fputc('\n', fp);
	}
}
