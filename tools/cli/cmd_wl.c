/*
 * cmd_wl.c - `flowsentry whitelist list|add|rm|import|export` and
 * `flowsentry learn HOST`: the whitelist and the learning periods in
 * Redis (docs/redis.md, Detection keys).
 *
 * DESIGN
 * Redis holds the whitelist as PREFIXwl, field = id, value = the entry as
 * one line of flowsentry.whitelist(5); every read goes through
 * wl_parse_line and every write through wl_format_entry, so the CLI, the
 * daemon and the files agree on one format.  Listing and export sort by
 * id, so an export is stable and diffs well in git; importing an export
 * adds nothing, because an entry whose who, service, where and expiry
 * equal one already there is skipped.  Each change is one transaction
 * with its audit entry and a PUBLISH on PREFIXwl:changed (audit.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cfg.h"
#include "cli.h"
#include "wl.h"

/* ---- shared with allow ------------------------------------------------- */

void
cli_wl_stamp(struct wl_entry *e)
{
	snprintf(e->author, sizeof(e->author), "%s", audit_user());
	e->created_ms = cli_now_ms() / 1000 * 1000;
	e->source = WL_SRC_STAFF;
}

int
cli_wl_expiry(const char *s, uint64_t *ms)
{
	struct wl_entry e;
	char line[128], err[WL_ERR_MAX];
	uint64_t now = cli_now_ms() / 1000 * 1000;
	uint32_t secs;

	if (!strcmp(s, "never") || !strcmp(s, "-")) {
		*ms = 0;
		return 0;
	}
	if (cfg_parse_duration(s, &secs) == 0) {
		if (secs == 0)
			goto bad;
		*ms = now + (uint64_t)secs * 1000;
		return 0;
	}
	/* A date or a time, exactly as the whitelist format reads it. */
	if (strpbrk(s, " \t") != NULL || (size_t)snprintf(line, sizeof(line),
	    "* * any %s", s) >= sizeof(line) ||
	    wl_parse_line(&e, line, err, sizeof(err)) != 0)
		goto bad;
	if (e.expires_ms <= now) {
		fprintf(stderr, "flowsentry: --expires %s is in the past\n", s);
		return -1;
	}
	*ms = e.expires_ms;
	return 0;
bad:
	fprintf(stderr, "flowsentry: bad --expires %s (30d, YYYY-MM-DD, an "
	    "RFC 3339 time, or never)\n", s);
	return -1;
}

int
cli_wl_number(struct cli *x, struct wl_entry *e, char *line, size_t len)
{
	char err[WL_ERR_MAX];
	redisReply *r;

	if (wl_entry_check(e, err, sizeof(err)) != 0) {
		fprintf(stderr, "flowsentry: bad whitelist entry: %s\n", err);
		return -1;
	}
	if ((r = cli_cmd(x, "INCR %swl:seq", x->P)) == NULL)
		return -1;
	e->id = r->type == REDIS_REPLY_INTEGER && r->integer > 0 ?
	    (uint64_t)r->integer : 0;
	freeReplyObject(r);
	if (e->id == 0)
		return cli_redis_fail(x, "INCR did not give an id");
	if (wl_format_entry(e, line, len) < 0) {
		fprintf(stderr, "flowsentry: whitelist entry %llu does not fit "
		    "on a line\n", (unsigned long long)e->id);
		return -1;
	}
	return 0;
}

/* ---- reading the whitelist ------------------------------------------- */

static int
by_id(const void *a, const void *b)
{
	const struct wl_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* PREFIXwl into l, sorted by id; a line that does not parse is said. */
static int
wl_load(struct cli *x, struct wl_list *l)
{
	struct wl_entry e;
	char err[WL_ERR_MAX];
	redisReply *r;
	size_t i;
	int rc = 0;

	if ((r = cli_cmd(x, "HGETALL %swl", x->P)) == NULL)
		return -1;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	    i += 2) {
		const char *f = r->element[i]->str, *v = r->element[i + 1]->str;

		if (f == NULL || v == NULL || !cli_is_id(f) ||
		    wl_parse_line(&e, v, err, sizeof(err)) != 0) {
			fprintf(stderr, "flowsentry: warning: %swl entry %s "
			    "left out: %s\n", x->P, f ? f : "?",
			    v && f && cli_is_id(f) ? err : "not an entry");
			continue;
		}
		e.id = strtoull(f, NULL, 10);
		e.line = 0;
		if (wl_list_add(l, &e) != 0) {
			rc = -1;
			break;
		}
	}
	freeReplyObject(r);
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(l->v[0]), by_id);
	return rc;
}

/* Do a and b allow the same thing until the same time? */
static int
same_rule(const struct wl_entry *a, const struct wl_entry *b)
{
	struct wl_entry ka = *a, kb = *b;
	struct wl_entry *k[2] = { &ka, &kb };
	int i;

	for (i = 0; i < 2; i++) {
		k[i]->id = 0;
		k[i]->created_ms = 0;
		k[i]->source = WL_SRC_STAFF;
		k[i]->author[0] = '\0';
		k[i]->comment[0] = '\0';
		k[i]->pre = NULL;
	}
	return wl_entry_eq(&ka, &kb);
}

static const struct wl_entry *
find_rule(const struct wl_list *l, const struct wl_entry *e)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (same_rule(&l->v[i], e))
			return &l->v[i];
	return NULL;
}

/* ---- list, export -------------------------------------------------------- */

static void
list_json(const struct wl_list *l)
{
	static const char *const col[4] = { "who", "service", "where",
	    "expires" };
	char line[WL_LINE_MAX], t[32], *p, *tok, *save;
	size_t i;
	int k;

	for (i = 0; i < l->n; i++) {
		const struct wl_entry *e = &l->v[i];

		if (wl_format_entry(e, line, sizeof(line)) < 0)
			continue;
		printf("{\"id\":%llu", (unsigned long long)e->id);
		for (k = 0, p = line; k < 4; k++, p = NULL) {
			tok = strtok_r(p, " \t", &save);
			printf(",\"%s\":", col[k]);
			cli_json_str(stdout, tok ? tok : "");
		}
		printf(",\"expires_ms\":%llu,\"comment\":",
		    (unsigned long long)e->expires_ms);
		cli_json_str(stdout, e->comment);
		printf(",\"author\":");
		cli_json_str(stdout, e->author);
		printf(",\"created\":");
		cli_json_str(stdout, e->created_ms ? cli_time(e->created_ms, 1,
		    t, sizeof(t)) : "");
		printf(",\"source\":\"%s\"}\n", e->source == WL_SRC_LEARNED ?
		    "learned" : "staff");
	}
}

static int
wl_list_cmd(struct cli *x, int json)
{
	struct wl_list l;
	int rc;

	wl_list_init(&l);
	if ((rc = wl_load(x, &l)) == 0) {
		if (json)
			list_json(&l);
		else if (wl_format(&l, stdout) != 0) {
			fprintf(stderr, "flowsentry: the whitelist cannot be "
			    "written as a file\n");
			rc = -1;
		}
	}
	wl_list_free(&l);
	return rc;
}

/* ---- add, rm, import ---------------------------------------------------- */

static int
wl_add_cmd(struct cli *x, int argc, char **argv)
{
	struct wl_entry e;
	char text[WL_LINE_MAX], err[WL_ERR_MAX], line[WL_LINE_MAX], id[24];
	char msg[40];
	size_t off = 0;
	int i;

	text[0] = '\0';
	for (i = 0; i < argc; i++) {
		int n = snprintf(text + off, sizeof(text) - off, "%s%s",
		    i ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(text) - off) {
			fprintf(stderr, "flowsentry: whitelist entry too long\n");
			return -1;
		}
		off += (size_t)n;
	}
	if (wl_parse_line(&e, text, err, sizeof(err)) != 0) {
		fprintf(stderr, "flowsentry: bad whitelist entry: %s\n", err);
		return -1;
	}
	if (e.who == WL_WHO_GROUP && !cli_group_known(x, e.group)) {
		fprintf(stderr, "flowsentry: unknown group @%s (no [group %s] in "
		    "%s)\n", e.group, e.group, x->cfgpath);
		return -1;
	}
	cli_wl_stamp(&e);
	if (cli_wl_number(x, &e, line, sizeof(line)) != 0)
		return -1;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)e.id);
	snprintf(msg, sizeof(msg), "add %s", id);
	if (cli_begin(x) != 0 ||
	    cli_append(x, "HSET %swl %s %s", x->P, id, line) != 0 ||
	    audit_commit(x, "whitelist-add", id, line, msg) != 0)
		return -1;
	printf("%s\n", line);
	return 0;
}

static int
wl_rm_cmd(struct cli *x, const char *id)
{
	redisReply *r;
	char line[WL_LINE_MAX], msg[32];

	if (!cli_is_id(id)) {
		fprintf(stderr, "flowsentry: no whitelist entry %s\n", id);
		return -1;
	}
	if ((r = cli_cmd(x, "HGET %swl %s", x->P, id)) == NULL)
		return -1;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		fprintf(stderr, "flowsentry: no whitelist entry %s\n", id);
		return -1;
	}
	snprintf(line, sizeof(line), "%s", r->str);
	freeReplyObject(r);
	snprintf(msg, sizeof(msg), "rm %s", id);
	if (cli_begin(x) != 0 ||
	    cli_append(x, "HDEL %swl %s", x->P, id) != 0 ||
	    audit_commit(x, "whitelist-rm", id, line, msg) != 0)
		return -1;
	printf("removed: %s\n", line);
	return 0;
}

static int
wl_import_cmd(struct cli *x, const char *path)
{
	struct wl_list file, have;
	char err[WL_ERR_MAX], (*lines)[WL_LINE_MAX] = NULL;
	char detail[WL_LINE_MAX], msg[40];
	size_t i, add = 0, skipped = 0;
	int rc = -1;

	wl_list_init(&file);
	wl_list_init(&have);
	if (wl_parse_file(&file, path, err, sizeof(err)) != 0 ||
	    wl_check(&file, path, x->groups, x->ngroups, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "flowsentry: %s\n", err);
		goto out;
	}
	if (wl_load(x, &have) != 0)
		goto out;
	if ((lines = calloc(file.n + 1, sizeof(*lines))) == NULL)
		goto out;
	for (i = 0; i < file.n; i++) {
		struct wl_entry *e = &file.v[i];

		if (find_rule(&have, e)) {
			skipped++;
			continue;
		}
		if (e->author[0] == '\0')
			snprintf(e->author, sizeof(e->author), "%s",
			    audit_user());
		if (e->created_ms == 0)
			e->created_ms = cli_now_ms() / 1000 * 1000;
		free(e->pre);
		e->pre = NULL;
		if (cli_wl_number(x, e, lines[add], sizeof(lines[0])) != 0 ||
		    wl_list_add(&have, e) != 0)
			goto out;
		add++;
	}
	if (add) {
		snprintf(detail, sizeof(detail), "%s: %zu added, %zu skipped",
		    path, add, skipped);
		snprintf(msg, sizeof(msg), "import %zu", add);
		if (cli_begin(x) != 0)
			goto out;
		for (i = 0; i < add; i++)	/* the added come last */
			if (cli_append(x, "HSET %swl %llu %s", x->P,
			    (unsigned long long)have.v[have.n - add + i].id,
			    lines[i]) != 0)
				goto out;
		if (audit_commit(x, "whitelist-import", path, detail, msg) != 0)
			goto out;
	}
	printf("%zu added, %zu skipped (already in the whitelist)\n", add,
	    skipped);
	rc = 0;
out:
	free(lines);
	wl_list_free(&file);
	wl_list_free(&have);
	return rc;
}

static void
wl_usage(FILE *f)
{
	fprintf(f, "usage: flowsentry whitelist list [--json] " CLI_USAGE "\n"
	    "       flowsentry whitelist add 'WHO SERVICE WHERE EXPIRES "
	    "COMMENT' " CLI_USAGE "\n"
	    "       flowsentry whitelist rm ID " CLI_USAGE "\n"
	    "       flowsentry whitelist import FILE " CLI_USAGE "\n"
	    "       flowsentry whitelist export " CLI_USAGE "\n");
}

int
cmd_whitelist(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		CLI_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli x;
	const char *sub;
	int ch, json = 0, rc = -1, nargs;
	char **args;

	cli_init(&x);
	while ((ch = cli_getopt(&x, argc, argv, "j" CLI_SHORTOPTS, opts,
	    wl_usage)) != -1) {
		if (ch != 'j')
			return ch == CLI_HELP ? 0 : 1;
		json = 1;
	}
	if (optind >= argc)
		goto usage;
	sub = argv[optind];
	args = argv + optind + 1;
	nargs = argc - optind - 1;
	if ((json && strcmp(sub, "list")) ||
	    (!strcmp(sub, "add") && nargs < 1) ||
	    ((!strcmp(sub, "rm") || !strcmp(sub, "import")) && nargs != 1) ||
	    ((!strcmp(sub, "list") || !strcmp(sub, "export")) && nargs != 0))
		goto usage;
	if (strcmp(sub, "list") && strcmp(sub, "export") && strcmp(sub, "add") &&
	    strcmp(sub, "rm") && strcmp(sub, "import"))
		goto usage;
	if (cli_open(&x) == 0) {
		if (!strcmp(sub, "list") || !strcmp(sub, "export"))
			rc = wl_list_cmd(&x, json);
		else if (!strcmp(sub, "add"))
			rc = wl_add_cmd(&x, nargs, args);
		else if (!strcmp(sub, "rm"))
			rc = wl_rm_cmd(&x, args[0]);
		else
			rc = wl_import_cmd(&x, args[0]);
	}
	cli_close(&x);
	return rc == 0 ? 0 : 1;
usage:
	wl_usage(stderr);
	return 1;
}

/* ---- learn ------------------------------------------------------------- */

static void
learn_usage(FILE *f)
{
	fprintf(f, "usage: flowsentry learn HOST [--for 7d] " CLI_USAGE "\n");
}

int
cmd_learn(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'F' },
		CLI_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli x;
	struct flow_addr a;
	const char *forarg = NULL;
	char host[64], until[32], detail[64], msg[80];
	uint32_t secs = 0;
	uint64_t end;
	int ch, rc = 1;

	cli_init(&x);
	while ((ch = cli_getopt(&x, argc, argv, CLI_SHORTOPTS, opts,
	    learn_usage)) != -1) {
		if (ch != 'F')
			return ch == CLI_HELP ? 0 : 1;
		forarg = optarg;
		if (cli_duration(optarg, &secs) != 0)
			return 1;
	}
	if (optind != argc - 1) {
		learn_usage(stderr);
		return 1;
	}
	if (flow_addr_parse(&a, argv[optind]) != 0) {
		fprintf(stderr, "flowsentry: %s is not a host address\n",
		    argv[optind]);
		return 1;
	}
	flow_addr_str(&a, host, sizeof(host));
	if (cli_open(&x) != 0)
		goto out;
	if (x.cf->nlocal && cfg_cidr_find(x.cf->local, x.cf->nlocal, &a) < 0)
		fprintf(stderr, "flowsentry: warning: %s is not in [network] "
		    "local of %s\n", host, x.cfgpath);
	if (forarg == NULL)
		secs = x.cf->learning ? x.cf->learning : 7 * 86400;
	end = secs ? cli_now_ms() / 1000 * 1000 + (uint64_t)secs * 1000 : 0;
	if (end)
		snprintf(detail, sizeof(detail), "until %s", cli_time(end, 1,
		    until, sizeof(until)));
	else
		snprintf(detail, sizeof(detail), "off");
	snprintf(msg, sizeof(msg), "learn %s", host);
	if (cli_begin(&x) != 0 ||
	    cli_append(&x, "HSET %slearn %s %llu", x.P, host,
	    (unsigned long long)end) != 0 ||
	    audit_commit(&x, "learn", host, detail, msg) != 0)
		goto out;
	if (end)
		printf("%s learns until %s\n", host, until);
	else
		printf("learning is off for %s\n", host);
	rc = 0;
out:
	cli_close(&x);
	return rc;
}
