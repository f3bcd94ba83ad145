/*
 * fuzz_wl.c - libFuzzer target: the whitelist format and matcher
 * (whitelist/, flowsentry.whitelist(5)).
 *
 * The input, NUL-terminated in a heap copy, is a whole whitelist file.
 * Whether it parses or not (a refused one must leave a NUL-terminated
 * "fuzz.wl:..." message, and the list what came before the bad line),
 * what the list holds must:
 *
 *   - format, and parse back to the same list; formatting that gives the
 *     same bytes again (the round trip and stability promised in wl.h);
 *   - give each entry as one line (wl_format_entry) that wl_parse_line
 *     reads back as the same entry, within WL_LINE_MAX;
 *   - build an index whose answers equal a linear scan with
 *     wl_entry_allows, for queries made from the entries themselves (so
 *     they hit) and changed a little by the input's bytes (so they miss);
 *   - still round-trip after an entry is removed.
 *
 * Everything is freed, so LeakSanitizer sees any leak on either path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "wl.h"

#define NAME		"fuzz.wl"
#define MAX_QUERIED	64	/* entries queries are made from */

static const char *const groups[] = { "web", "mail-servers", "db" };
#define NGROUPS		3

static char *
format_list(const struct wl_list *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	int rc;

	FZ_CHECK(fp != NULL, "open_memstream");
	rc = wl_format(l, fp);
	fclose(fp);
	FZ_CHECK(rc == 0, "wl_format refused a parsed list");
	return buf;
}

static void
check_equal(const struct wl_list *a, const struct wl_list *b)
{
	size_t i;

	FZ_CHECK(a->n == b->n, "%zu entries, %zu after the round trip", a->n,
	    b->n);
	for (i = 0; i < a->n; i++)
		FZ_CHECK(wl_entry_eq(&a->v[i], &b->v[i]),
		    "entry %zu (line %d) changed in the round trip", i,
		    a->v[i].line);
	FZ_CHECK(strcmp(a->trailer ? a->trailer : "",
	    b->trailer ? b->trailer : "") == 0, "trailer changed");
}

/* format, parse, format: the same list, the same bytes. */
static void
check_roundtrip(const struct wl_list *l)
{
	struct wl_list again;
	char err[WL_ERR_MAX], *out, *out2;

	out = format_list(l);
	wl_list_init(&again);
	FZ_CHECK(wl_parse(&again, "out.wl", out, err, sizeof(err)) == 0,
	    "formatted list does not parse: %s\n%s", err, out);
	check_equal(l, &again);
	out2 = format_list(&again);
	FZ_CHECK(strcmp(out, out2) == 0, "format is not stable:\n%s\n---\n%s",
	    out, out2);
	free(out2);
	free(out);
	wl_list_free(&again);
}

static void
check_lines(const struct wl_list *l)
{
	struct wl_entry e, back;
	char buf[WL_LINE_MAX], err[WL_ERR_MAX];
	size_t i;
	int n;

	for (i = 0; i < l->n; i++) {
		e = l->v[i];
		e.pre = NULL;
		FZ_CHECK(wl_entry_check(&e, err, sizeof(err)) == 0,
		    "line %d: parsed entry fails wl_entry_check: %s", e.line,
		    err);
		n = wl_format_entry(&e, buf, sizeof(buf));
		FZ_CHECK(n > 0 && (size_t)n == strlen(buf),
		    "line %d: wl_format_entry gave %d", e.line, n);
		FZ_CHECK(wl_parse_line(&back, buf, err, sizeof(err)) == 0,
		    "line %d: '%s' does not parse: %s", e.line, buf, err);
		FZ_CHECK(wl_entry_eq(&e, &back), "line %d: '%s' reads back "
		    "differently", e.line, buf);
	}
}

/* What a linear scan says. */
static uint64_t
oracle(const struct wl_list *l, const struct wl_query *q, unsigned mask)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if ((mask >> l->v[i].source & 1) &&
		    wl_entry_allows(&l->v[i], q, groups, NGROUPS))
			return l->v[i].id ? l->v[i].id : WL_ID_POS + i;
	return 0;
}

static void
ask(const struct wl_index *ix, const struct wl_list *l,
    const struct wl_query *q)
{
	unsigned mask;
	uint64_t got, want;

	for (mask = 0; mask < 4; mask++) {
		got = wl_match(ix, q, mask);
		want = oracle(l, q, mask);
		FZ_CHECK(got == want, "wl_match %llu, linear scan %llu (mask "
		    "%u)", (unsigned long long)got, (unsigned long long)want,
		    mask);
	}
}

/* A query that entry e allows, changed by the bits of v. */
static void
query_from(const struct wl_entry *e, unsigned v, struct flow_addr *host,
    struct flow_addr *remote, char *app, char *country, struct wl_query *q)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	if (e->who == WL_WHO_HOST || e->who == WL_WHO_NET)
		*host = e->who_addr;
	else
		flow_addr_parse(host, v & 1 ? "2001:db8::1" : "192.0.2.1");
	if (v & 2)
		host->a[(v >> 8) % 16] ^= (uint8_t)(1u << (v >> 12) % 8);
	q->host = v & 4 ? NULL : host;
	q->host_groups = v & 8 ? 0 : (uint64_t)v >> 4;
	q->proto = v & 16 ? (uint8_t)v : e->proto;
	q->port = v & 32 ? (uint16_t)(v >> 3) : e->port;
	for (i = 0; i < 31 && e->app[i]; i++)		/* the other case */
		app[i] = e->app[i] ^ (v & 64 && (e->app[i] | 32) >= 'a' &&
		    (e->app[i] | 32) <= 'z' ? 32 : 0);
	app[i] = '\0';
	q->app = app;
	if (e->where == WL_WHERE_NET)
		*remote = e->where_addr;
	else
		flow_addr_parse(remote, "198.51.100.1");
	if (v & 128)
		remote->a[(v >> 5) % 16] ^= (uint8_t)(1u << (v >> 9) % 8);
	q->remote = v & 256 ? NULL : remote;
	q->asn = v & 512 ? 0 : e->asn;
	country[0] = (char)(e->country[0] | (v & 1024 ? 32 : 0));
	country[1] = (char)(e->country[1] | (v & 1024 ? 32 : 0));
	country[2] = '\0';
	q->country = e->country[0] ? country : "";
	q->now_ms = e->expires_ms ? e->expires_ms - 1 + (v >> 11 & 1) : v;
}

static void
check_match(const struct wl_list *l, const uint8_t *data, size_t size)
{
	struct wl_index *ix = wl_index_build(l, groups, NGROUPS);
	struct flow_addr host, remote;
	struct wl_query q;
	char app[32], country[3];
	size_t i, n;
	unsigned v;

	FZ_CHECK(ix != NULL, "wl_index_build failed");
	n = 0;
	for (i = 0; i < l->n; i++)
		n += l->v[i].who != WL_WHO_GROUP ||
		    strcmp(l->v[i].group, "web") == 0 ||
		    strcmp(l->v[i].group, "mail-servers") == 0 ||
		    strcmp(l->v[i].group, "db") == 0;
	FZ_CHECK(wl_index_size(ix) == n, "index holds %zu of %zu entries",
	    wl_index_size(ix), n);
	for (i = 0; i < l->n && i < MAX_QUERIED; i++) {
		query_from(&l->v[i], 0, &host, &remote, app, country, &q);
		ask(ix, l, &q);
		v = (unsigned)i * 2654435761u;
		if (size > 0)
			v ^= (unsigned)data[i % size] << 4;
		query_from(&l->v[i], v, &host, &remote, app, country, &q);
		ask(ix, l, &q);
	}
	wl_index_free(ix);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[WL_ERR_MAX], *text;
	struct wl_list l;
	int rc;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(err, 0x5a, sizeof(err));
	wl_list_init(&l);
	rc = wl_parse(&l, NAME, text, err, sizeof(err));
	if (rc != 0) {
		FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL,
		    "error message not terminated");
		FZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0,
		    "error message does not name the file: %s", err);
	}
	/* What it holds, even after an error, is a good list. */
	check_roundtrip(&l);
	check_lines(&l);
	check_match(&l, data, size);
	rc = wl_check(&l, NAME, groups, NGROUPS, err, sizeof(err));
	FZ_CHECK(rc == 0 || strncmp(err, NAME, strlen(NAME)) == 0,
	    "wl_check message: %s", err);
	if (l.n > 0) {
		l.v[l.n / 2].id = WL_ID_POS - 1;	/* one id to remove */
		FZ_CHECK(wl_list_remove(&l, WL_ID_POS - 1) == 0, "remove");
		check_roundtrip(&l);
	}
	wl_list_free(&l);
	free(text);
	return 0;
}
