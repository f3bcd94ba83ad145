/*
 * cmd_detect.c - `flowsentry detections`, `show ID` and `ack ID`: the
 * detections flowsentryd stored in Redis (docs/redis.md, Detection keys).
 *
 * DESIGN
 * A detection is read back with det_from_fields, the inverse of what the
 * daemon wrote, so every field means here what it meant there; --json is
 * det_json, the same object the alert file and stream carry.  The list
 * is the index PREFIXdets (by time) read newest first, each hash fetched
 * in one pipeline; an index member whose hash has expired is passed over.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cli.h"
#include "det.h"

#define DETS_MAX	20000	/* detections one listing reads at most */

/* A HGETALL reply as a detection: 0, 1 (no such hash), -1 (unreadable). */
static int
det_reply(const redisReply *r, struct det *d)
{
	char **kv;
	size_t i;
	int rc;

	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		return 1;
	if ((kv = calloc(r->elements, sizeof(*kv))) == NULL)
		return -1;
	for (i = 0; i < r->elements; i++)
		kv[i] = r->element[i]->str ? r->element[i]->str : (char *)"";
	rc = det_from_fields(d, kv, r->elements);
	free(kv);
	return rc;
}

int
cli_det_get(struct cli *x, const char *id, struct det *d)
{
	redisReply *r;
	int rc;

	if (!cli_is_id(id)) {
		fprintf(stderr, "flowsentry: no detection %s\n", id);
		return 1;
	}
	if ((r = cli_cmd(x, "HGETALL %sdet:%s", x->P, id)) == NULL)
		return -1;
	rc = det_reply(r, d);
	freeReplyObject(r);
	if (rc == 1)
		fprintf(stderr, "flowsentry: no detection %s\n", id);
	else if (rc == -1)
		fprintf(stderr, "flowsentry: detection %s: unreadable fields in "
		    "%sdet:%s\n", id, x->P, id);
	return rc;
}

/* ---- detections -------------------------------------------------------- */

struct det_filter {
	int			 open;
	struct flow_addr	 host;		/* af 0: any */
	const char		*rule;
};

static int
det_wanted(const struct det *d, const struct det_filter *f)
{
	int i;

	if (f->open && d->state != DET_OPEN)
		return 0;
	if (f->host.af && !flow_addr_eq(&f->host, &d->host))
		return 0;
	if (f->rule == NULL || strcmp(f->rule, d->rule) == 0)
		return 1;
	for (i = 0; i < d->nrules; i++)
		if (strcmp(f->rule, d->rules[i]) == 0)
			return 1;
	return 0;
}

enum { C_ID, C_TIME, C_SEV, C_RULE, C_HOST, C_GROUP, C_DST, C_APP, C_CC,
	C_AS, C_FLOWS, C_BYTES, C_STATE, NCOLS };

static const char *const col_head[NCOLS] = { "id", "time (UTC)", "severity",
    "rule", "host", "group", "destination", "app", "cc", "as", "flows",
    "bytes", "state" };

struct det_row {
	char	c[NCOLS][72];
};

/* "dst:dport/proto", "[v6]:dport/proto", or "many". */
static void
dst_text(const struct det *d, char *buf, size_t len)
{
	char a[64], proto[16];
	const char *slash;

	if (d->dst_scope == DET_SCOPE_MANY || d->dst.af == 0) {
		snprintf(buf, len, "many");
		return;
	}
	slash = strchr(d->service, '/');
	if (slash && slash > d->service)
		snprintf(proto, sizeof(proto), "%.*s", (int)(slash - d->service),
		    d->service);
	else
		snprintf(proto, sizeof(proto), "%u", d->proto);
	flow_addr_str(&d->dst, a, sizeof(a));
	snprintf(buf, len, d->dst.af == 6 ? "[%s]:%u/%s" : "%s:%u/%s", a,
	    d->dport, proto);
}

static void
det_cells(const struct det *d, struct det_row *row)
{
	char (*c)[72] = row->c;

	snprintf(c[C_ID], sizeof(c[0]), "%s", d->id);
	cli_time(d->ts_ms, 0, c[C_TIME], sizeof(c[0]));
	snprintf(c[C_SEV], sizeof(c[0]), "%s", det_sev_name(d->severity));
	snprintf(c[C_RULE], sizeof(c[0]), "%s", d->rule);
	flow_addr_str(&d->host, c[C_HOST], sizeof(c[0]));
	snprintf(c[C_GROUP], sizeof(c[0]), "%s", d->group[0] ? d->group : "-");
	dst_text(d, c[C_DST], sizeof(c[0]));
	snprintf(c[C_APP], sizeof(c[0]), "%s", d->app[0] ? d->app : "-");
	snprintf(c[C_CC], sizeof(c[0]), "%s", d->country[0] ? d->country : "-");
	if (d->asn)
		snprintf(c[C_AS], sizeof(c[0]), "AS%u", d->asn);
	else
		snprintf(c[C_AS], sizeof(c[0]), "-");
	snprintf(c[C_FLOWS], sizeof(c[0]), "%llu", (unsigned long long)d->flows);
	cli_bytes(d->bytes, c[C_BYTES], sizeof(c[0]));
	snprintf(c[C_STATE], sizeof(c[0]), "%s", det_state_name(d->state));
}

static void
print_table(const struct det_row *rows, size_t n)
{
	size_t w[NCOLS], i, k, l;

	for (k = 0; k < NCOLS; k++)
		w[k] = strlen(col_head[k]);
	for (i = 0; i < n; i++)
		for (k = 0; k < NCOLS; k++)
			if ((l = strlen(rows[i].c[k])) > w[k])
				w[k] = l;
	for (i = 0; i <= n; i++) {
		for (k = 0; k < NCOLS; k++) {
			const char *s = i ? rows[i - 1].c[k] : col_head[k];
			int right = k == C_FLOWS || k == C_BYTES;

			if (k + 1 == NCOLS)
				printf("%s\n", s);
			else
				printf(right ? "%*s  " : "%-*s  ", (int)w[k], s);
		}
	}
}

static void
detections_usage(FILE *f)
{
	fprintf(f, "usage: flowsentry detections [--open] [--host HOST] "
	    "[--since 7d] [--rule NAME] [--json] " CLI_USAGE "\n");
}

/* Fetch the detections of ids (newest first), filter, print. */
static int
list_dets(struct cli *x, const redisReply *ids, const struct det_filter *f,
    int json)
{
	struct det_row *rows;
	struct det d;
	redisReply *r;
	char buf[DET_JSON_MAX];
	size_t i, n = 0;
	int rc = 0, bad = 0;

	if ((rows = calloc(ids->elements + 1, sizeof(*rows))) == NULL)
		return -1;
	for (i = 0; i < ids->elements; i++)
		if (cli_append(x, "HGETALL %sdet:%s", x->P,
		    ids->element[i]->str) != 0)
			rc = -1;
	for (i = 0; i < ids->elements && rc == 0; i++) {
		if (redisGetReply(x->c, (void **)&r) != REDIS_OK) {
			rc = cli_redis_fail(x, x->c->errstr);
			break;
		}
		switch (det_reply(r, &d)) {
		case 0:
			if (!det_wanted(&d, f))
				break;
			if (!json)
				det_cells(&d, &rows[n++]);
			else if (det_json(&d, buf, sizeof(buf)) > 0)
				printf("%s\n", buf);
			break;
		case -1:
			bad++;
			break;
		default:
			break;
		}
		freeReplyObject(r);
	}
	x->queued = 0;
	if (rc == 0 && !json)
		print_table(rows, n);
	if (bad)
		fprintf(stderr, "flowsentry: %d detection(s) with unreadable "
		    "fields left out\n", bad);
	free(rows);
	return rc;
}

int
cmd_detections(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "open", no_argument, NULL, 'o' },
		{ "host", required_argument, NULL, 'H' },
		{ "since", required_argument, NULL, 's' },
		{ "rule", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		CLI_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct det_filter f;
	struct cli x;
	redisReply *ids;
	uint32_t since = 7 * 86400;
	uint64_t now, from;
	int ch, json = 0, rc = 1;

	memset(&f, 0, sizeof(f));
	cli_init(&x);
	while ((ch = cli_getopt(&x, argc, argv, "oH:s:R:j" CLI_SHORTOPTS, opts,
	    detections_usage)) != -1) {
		switch (ch) {
		case 'o':
			f.open = 1;
			break;
		case 'H':
			if (flow_addr_parse(&f.host, optarg) != 0) {
				fprintf(stderr, "flowsentry: --host %s is not an "
				    "address\n", optarg);
				return 1;
			}
			break;
		case 's':
			if (cli_duration(optarg, &since) != 0)
				return 1;
			break;
		case 'R':
			f.rule = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return ch == CLI_HELP ? 0 : 1;
		}
	}
	if (optind != argc) {
		detections_usage(stderr);
		return 1;
	}
	if (cli_open(&x) != 0)
		goto out;
	now = cli_now_ms();
	from = now > (uint64_t)since * 1000 ? now - (uint64_t)since * 1000 : 0;
	ids = cli_cmd(&x, "ZREVRANGEBYSCORE %sdets +inf %llu LIMIT 0 %d", x.P,
	    (unsigned long long)from, DETS_MAX);
	if (ids == NULL)
		goto out;
	if (ids->type == REDIS_REPLY_ARRAY && list_dets(&x, ids, &f, json) == 0)
		rc = 0;
	if (rc == 0 && ids->elements >= DETS_MAX)
		fprintf(stderr, "flowsentry: only the newest %d detections were "
		    "read; narrow with --since\n", DETS_MAX);
	freeReplyObject(ids);
out:
	cli_close(&x);
	return rc;
}

/* ---- show ---------------------------------------------------------------- */

static void
show_text(const struct det *d)
{
	const char *names[DET_FIELDS_MAX], *values[DET_FIELDS_MAX];
	char store[4096], extra[64], cmd[1024], host[64];
	int n, i;

	n = det_fields(d, names, values, DET_FIELDS_MAX, store, sizeof(store));
	printf("detection %s: %s (%s) from %s\n  %s\n\n", d->id, d->rule,
	    det_sev_name(d->severity), flow_addr_str(&d->host, host,
	    sizeof(host)), d->summary);
	for (i = 0; i < n; i++) {
		extra[0] = '\0';
		if (!strcmp(names[i], "ts") || !strcmp(names[i], "first") ||
		    !strcmp(names[i], "last")) {
			char t[32];

			snprintf(extra, sizeof(extra), "  (%s UTC)", cli_time(
			    strtoull(values[i], NULL, 10), 0, t, sizeof(t)));
		} else if (!strcmp(names[i], "bytes")) {
			char b[32];

			snprintf(extra, sizeof(extra), "  (%s)", cli_bytes(
			    d->bytes, b, sizeof(b)));
		} else if (!strcmp(names[i], "dst") &&
		    d->dst_scope == DET_SCOPE_MANY)
			snprintf(extra, sizeof(extra), "  (one of many)");
		else if (!strcmp(names[i], "rules") && d->nrules == 0)
			values[i] = "-";
		printf("  %-10s %s%s\n", names[i], values[i][0] ? values[i] :
		    "-", extra);
	}
	if (det_allow_cmd(d, cmd, sizeof(cmd)) > 0)
		printf("\nto whitelist it for its host:\n  %s\n", cmd);
}

static void
show_usage(FILE *f)
{
	fprintf(f, "usage: flowsentry show ID [--json] " CLI_USAGE "\n");
}

int
cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		CLI_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli x;
	struct det d;
	char buf[DET_JSON_MAX];
	int ch, json = 0, rc = 1;

	cli_init(&x);
	while ((ch = cli_getopt(&x, argc, argv, "j" CLI_SHORTOPTS, opts,
	    show_usage)) != -1) {
		if (ch != 'j')
			return ch == CLI_HELP ? 0 : 1;
		json = 1;
	}
	if (optind != argc - 1) {
		show_usage(stderr);
		return 1;
	}
	if (cli_open(&x) != 0 || cli_det_get(&x, argv[optind], &d) != 0)
		goto out;
	if (!json)
		show_text(&d);
	else if (det_json(&d, buf, sizeof(buf)) > 0)
		printf("%s\n", buf);
	rc = 0;
out:
	cli_close(&x);
	return rc;
}

/* ---- ack ----------------------------------------------------------------- */

static void
ack_usage(FILE *f)
{
	fprintf(f, "usage: flowsentry ack ID " CLI_USAGE "\n");
}

int
cmd_ack(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli x;
	struct det d;
	char detail[64];
	const char *id;
	int ch, rc = 1;

	cli_init(&x);
	if ((ch = cli_getopt(&x, argc, argv, CLI_SHORTOPTS, opts,
	    ack_usage)) != -1)
		return ch == CLI_HELP ? 0 : 1;
	if (optind != argc - 1) {
		ack_usage(stderr);
		return 1;
	}
	id = argv[optind];
	if (cli_open(&x) != 0 || cli_det_get(&x, id, &d) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "state acked (was %s)",
	    det_state_name(d.state));
	if (cli_begin(&x) != 0 ||
	    cli_append(&x, "HSET %sdet:%s state acked", x.P, id) != 0 ||
	    audit_commit(&x, "ack", id, detail, NULL) != 0)
		goto out;
	printf("detection %s acknowledged\n", id);
	rc = 0;
out:
	cli_close(&x);
	return rc;
}
