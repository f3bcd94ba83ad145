/*
 * cmd_allow.c - `flowsentry allow ID --scope S --dst D [--expires E]
 * --comment TEXT`: whitelist what a detection saw, and mark it allowed.
 *
 * DESIGN
 * The entry is built from the detection itself, never from text typed
 * again: who is its host, its group, or everyone; the service is its
 * protocol and destination port; where is its destination, that
 * destination's /24 (IPv4) or /48 (IPv6), its AS, its country, or
 * anywhere.  A detection of many destinations (a scan) names only an
 * example destination, so it can be allowed by AS, country or anywhere,
 * never by that one address or network.  The new entry, the detection's
 * state, the audit entry and the reload message go in one transaction.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "det.h"
#include "wl.h"

enum allow_dst { DST_DEFAULT = 0, DST_EXACT, DST_NET, DST_ASN, DST_COUNTRY,
	DST_ANY };

struct allow_req {
	const char	*id;
	const char	*scope;		/* host, group, group:NAME, all */
	enum allow_dst	 dst;
	uint64_t	 expires_ms;
	const char	*comment;
};

static int
parse_dst(const char *s, enum allow_dst *d)
{
	static const struct { const char *name; enum allow_dst d; } t[] = {
		{ "exact", DST_EXACT }, { "ip", DST_EXACT }, { "net", DST_NET },
		{ "asn", DST_ASN }, { "as", DST_ASN },
		{ "country", DST_COUNTRY }, { "any", DST_ANY },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].name) == 0) {
			*d = t[i].d;
			return 0;
		}
	fprintf(stderr, "flowsentry: bad --dst %s (exact, net, asn, country or "
	    "any)\n", s);
	return -1;
}

static int
scope_ok(const char *s)
{
	if (!strcmp(s, "host") || !strcmp(s, "group") || !strcmp(s, "all") ||
	    (!strncmp(s, "group:", 6) && s[6] != '\0'))
		return 0;
	fprintf(stderr, "flowsentry: bad --scope %s (host, group, group:NAME or "
	    "all)\n", s);
	return -1;
}

/* Who: the detection's host, a group, or everyone. */
static int
set_who(const struct cli *x, const struct det *d, const char *scope,
    struct wl_entry *e)
{
	const char *g;

	if (!strcmp(scope, "host")) {
		e->who = WL_WHO_HOST;
		e->who_addr = d->host;
		e->who_len = d->host.af == 6 ? 128 : 32;
		return 0;
	}
	if (!strcmp(scope, "all")) {
		e->who = WL_WHO_ANY;
		return 0;
	}
	g = scope[5] == ':' ? scope + 6 : d->group;
	if (*g == '\0') {
		fprintf(stderr, "flowsentry: detection %s has no group; use "
		    "--scope group:NAME\n", d->id);
		return -1;
	}
	if (!cli_group_known(x, g)) {
		fprintf(stderr, "flowsentry: unknown group %s (no [group %s] in "
		    "%s)\n", g, g, x->cfgpath);
		return -1;
	}
	e->who = WL_WHO_GROUP;
	snprintf(e->group, sizeof(e->group), "%s", g);
	return 0;
}

/* Protocols whose destination port a whitelist entry can name. */
static int
has_ports(uint8_t proto)
{
	static const uint8_t p[] = { 1, 6, 17, 33, 58, 132, 136 };
	size_t i;

	for (i = 0; i < sizeof(p); i++)
		if (p[i] == proto)
			return 1;
	return 0;
}

static void
set_service(const struct det *d, struct wl_entry *e)
{
	if (d->proto == 0) {
		e->svc = WL_SVC_ANY;
		return;
	}
	e->proto = d->proto;
	if (has_ports(d->proto)) {
		e->svc = WL_SVC_PORT;
		e->port = d->dport;
	} else
		e->svc = WL_SVC_PROTO;
}

static int
set_where(const struct det *d, enum allow_dst dst, struct wl_entry *e)
{
	size_t keep;

	if ((dst == DST_EXACT || dst == DST_NET) &&
	    (d->dst_scope == DET_SCOPE_MANY || d->dst.af == 0)) {
		fprintf(stderr, "flowsentry: detection %s is about many "
		    "destinations (%s names only an example); use --dst asn, "
		    "country or any\n", d->id, d->rule);
		return -1;
	}
	switch (dst) {
	case DST_EXACT:
	case DST_NET:
		e->where = WL_WHERE_NET;
		e->where_addr = d->dst;
		e->where_len = d->dst.af == 6 ? 128 : 32;
		if (dst == DST_NET) {
			keep = d->dst.af == 6 ? 6 : 3;
			memset(e->where_addr.a + keep, 0,
			    sizeof(e->where_addr.a) - keep);
			e->where_len = (uint8_t)(keep * 8);
		}
		return 0;
	case DST_ASN:
		if (d->asn == 0) {
			fprintf(stderr, "flowsentry: detection %s has no AS; "
			    "use --dst net, exact, country or any\n", d->id);
			return -1;
		}
		e->where = WL_WHERE_ASN;
		e->asn = d->asn;
		return 0;
	case DST_COUNTRY:
		if (d->country[0] == '\0') {
			fprintf(stderr, "flowsentry: detection %s has no "
			    "country; use --dst net, exact, asn or any\n", d->id);
			return -1;
		}
		e->where = WL_WHERE_COUNTRY;
		snprintf(e->country, sizeof(e->country), "%s", d->country);
		return 0;
	default:
		e->where = WL_WHERE_ANY;
		return 0;
	}
}

static int
allow(struct cli *x, const struct allow_req *q)
{
	struct det d;
	struct wl_entry e;
	enum allow_dst dst = q->dst;
	char line[WL_LINE_MAX], msg[40];

	if (cli_det_get(x, q->id, &d) != 0)
		return -1;
	if (dst == DST_DEFAULT)		/* as det_allow_cmd suggests */
		dst = d.dst_scope == DET_SCOPE_MANY ? DST_ANY : d.asn ?
		    DST_ASN : DST_NET;
	memset(&e, 0, sizeof(e));
	if (set_who(x, &d, q->scope, &e) != 0 || set_where(&d, dst, &e) != 0)
		return -1;
	set_service(&d, &e);
	e.expires_ms = q->expires_ms;
	snprintf(e.comment, sizeof(e.comment), "%s", q->comment);
	cli_wl_stamp(&e);
	if (cli_wl_number(x, &e, line, sizeof(line)) != 0)
		return -1;
	snprintf(msg, sizeof(msg), "add %llu", (unsigned long long)e.id);
	if (cli_begin(x) != 0 ||
	    cli_append(x, "HSET %swl %llu %s", x->P, (unsigned long long)e.id,
	    line) != 0 ||
	    cli_append(x, "HSET %sdet:%s state allowed", x->P, q->id) != 0 ||
	    audit_commit(x, "allow", q->id, line, msg) != 0)
		return -1;
	printf("%s\n", line);
	return 0;
}

static void
allow_usage(FILE *f)
{
	fprintf(f, "usage: flowsentry allow ID [--scope host|group|group:NAME|"
	    "all] [--dst exact|net|asn|country|any]\n"
	    "           [--expires 30d|YYYY-MM-DD|never] --comment TEXT "
	    CLI_USAGE "\n");
}

int
cmd_allow(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scope", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "expires", required_argument, NULL, 'e' },
		{ "comment", required_argument, NULL, 'c' },
		CLI_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct allow_req q;
	struct cli x;
	int ch, rc = 1;

	memset(&q, 0, sizeof(q));
	q.scope = "host";
	cli_init(&x);
	while ((ch = cli_getopt(&x, argc, argv, "s:d:e:c:" CLI_SHORTOPTS, opts,
	    allow_usage)) != -1) {
		switch (ch) {
		case 's':
			if (scope_ok(optarg) != 0)
				return 1;
			q.scope = optarg;
			break;
		case 'd':
			if (parse_dst(optarg, &q.dst) != 0)
				return 1;
			break;
		case 'e':
			if (cli_wl_expiry(optarg, &q.expires_ms) != 0)
				return 1;
			break;
		case 'c':
			q.comment = optarg;
			break;
		default:
			return ch == CLI_HELP ? 0 : 1;
		}
	}
	if (optind != argc - 1) {
		allow_usage(stderr);
		return 1;
	}
	q.id = argv[optind];
	if (q.comment == NULL || q.comment[strspn(q.comment, " \t")] == '\0') {
		fprintf(stderr, "flowsentry: allow needs --comment TEXT: why "
		    "this is legitimate (a ticket, a customer's word)\n");
		return 1;
	}
	if (strlen(q.comment) >= WL_TEXT_MAX) {
		fprintf(stderr, "flowsentry: --comment is longer than %d bytes\n",
		    WL_TEXT_MAX - 1);
		return 1;
	}
	if (cli_open(&x) == 0 && allow(&x, &q) == 0)
		rc = 0;
	cli_close(&x);
	return rc;
}
