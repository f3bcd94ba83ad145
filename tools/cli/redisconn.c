/*
 * redisconn.c - what the Redis commands of flowsentry(1) share: options,
 * configuration, the connection, one-command and transaction helpers, and
 * the small formatting helpers of their output.
 *
 * DESIGN
 * The blocking hiredis API: a command is short-lived and the operator
 * waits for its answer.  Commands go as hiredis format strings whose %s
 * are whole arguments, so nothing typed by an operator or taken from a
 * flow is ever split or parsed as part of a command.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "cfg.h"
#include "cli.h"
#include "rconn.h"

void
cli_init(struct cli *x)
{
	memset(x, 0, sizeof(*x));
	x->cfgpath = CLI_DEFAULT_CONFIG;
}

int
cli_getopt(struct cli *x, int argc, char **argv, const char *shortopts,
    const struct option *opts, void (*usage)(FILE *))
{
	int ch;

	while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			x->cfgpath = optarg;
			x->cfg_given = 1;
			break;
		case 'r':
			x->url = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_HELP;
		case '?':
		case ':':
			usage(stderr);
			return CLI_BAD;
		default:
			return ch;
		}
	}
	return -1;
}

/* shown: the URL as messages may print it (no password). */
static struct redisContext *
connect_url(const char *url, const char *shown)
{
	char host[256], pass[256];
	int port, db;
	redisContext *c;
	redisReply *r;

	if (cfg_parse_redis_url(url, host, sizeof(host), &port, pass, sizeof(pass),
	    &db) != 0) {
		fprintf(stderr, "flowsentry: bad Redis URL %s\n", shown);
		return NULL;
	}
	c = port == -1 ? redisConnectUnix(host) : redisConnect(host, port);
	if (c == NULL || c->err) {
		fprintf(stderr, "flowsentry: Redis at %s: %s\n", shown,
		    c ? c->errstr : "cannot connect");
		if (c)
			redisFree(c);
		return NULL;
	}
	if (pass[0]) {
		r = redisCommand(c, "AUTH %s", pass);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "flowsentry: Redis at %s: AUTH: %s\n",
			    shown, r ? r->str : c->errstr);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	if (db) {
		r = redisCommand(c, "SELECT %d", db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "flowsentry: Redis at %s: SELECT %d: "
			    "%s\n", shown, db, r ? r->str : c->errstr);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}

struct redisContext *
cli_connect(const char *url)
{
	char *shown = rconn_url_shown(url);
	struct redisContext *c;

	c = connect_url(url, shown ? shown : "(redis)");
	free(shown);
	return c;
}

int
cli_open(struct cli *x)
{
	char err[CFG_ERR_MAX];
	size_t i;

	if ((x->cf = cfg_load(x->cfgpath, err, sizeof(err))) == NULL) {
		if (x->url == NULL || x->cfg_given) {
			fprintf(stderr, "flowsentry: %s\n", err);
			return -1;
		}
		if ((x->cf = cfg_defaults()) == NULL)
			return -1;
	}
	x->P = x->cf->redis_prefix;
	if (x->cf->ngroups) {
		x->groups = calloc(x->cf->ngroups, sizeof(*x->groups));
		if (x->groups == NULL)
			return -1;
		for (i = 0; i < x->cf->ngroups; i++)
			x->groups[i] = x->cf->groups[i].name;
		x->ngroups = x->cf->ngroups;
	}
	if (x->url == NULL)
		x->url = x->cf->redis_url;
	if (x->url == NULL) {
		fprintf(stderr, "flowsentry: no Redis: set [redis] url in %s or "
		    "give --redis URL\n", x->cfgpath);
		return -1;
	}
	if ((x->c = cli_connect(x->url)) == NULL)
		return -1;
	return 0;
}

void
cli_close(struct cli *x)
{
	if (x->c)
		redisFree(x->c);
	free(x->groups);
	cfg_free(x->cf);
	x->c = NULL;
	x->groups = NULL;
	x->cf = NULL;
}

int
cli_redis_fail(const struct cli *x, const char *reason)
{
	char *shown = rconn_url_shown(x->url);

	fprintf(stderr, "flowsentry: Redis at %s: %s\n",
	    shown ? shown : "(redis)", reason);
	free(shown);
	return -1;
}

struct redisReply *
cli_cmd(struct cli *x, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(x->c, fmt, ap);
	va_end(ap);
	if (r == NULL) {
		cli_redis_fail(x, x->c->errstr[0] ? x->c->errstr :
		    "connection lost");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		cli_redis_fail(x, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

int
cli_append(struct cli *x, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = redisvAppendCommand(x->c, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK)
		return cli_redis_fail(x, "cannot build a command");
	x->queued++;
	return 0;
}

int
cli_begin(struct cli *x)
{
	x->queued = 0;
	return cli_append(x, "MULTI");
}

int
cli_group_known(const struct cli *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->ngroups; i++)
		if (strcmp(x->groups[i], name) == 0)
			return 1;
	return 0;
}

int
cli_duration(const char *s, uint32_t *secs)
{
	if (cfg_parse_duration(s, secs) == 0)
		return 0;
	fprintf(stderr, "flowsentry: bad duration %s (90s, 5m, 1h30m, 7d, "
	    "2w)\n", s);
	return -1;
}

uint64_t
cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
cli_time(uint64_t ms, int rfc3339, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "-");
		return buf;
	}
	strftime(buf, len, rfc3339 ? "%Y-%m-%dT%H:%M:%SZ" :
	    "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

const char *
cli_bytes(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return buf;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, d < 10 ? "%.1f%c" : "%.0f%c", d, units[u]);
	return buf;
}

void
cli_json_str(FILE *fp, const char *s)
{
	putc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			putc(c, fp);
	}
	putc('"', fp);
}

int
cli_is_id(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 20 && s[n] == '\0';
}
