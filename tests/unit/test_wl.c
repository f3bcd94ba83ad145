/*
 * test_wl.c - whitelist entries, text format and matching (whitelist/).
 *
 * Texts are parsed as "t.wl"; every error case checks the whole message,
 * position included.  Matching is checked case by case and, over a mixed
 * list, against wl_entry_allows (the linear meaning of an entry) for many
 * random queries, so the index's buckets cannot drift from it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "wl.h"

#define NOW	UINT64_C(1800000000000)	/* 2027-01-15T08:00:00Z */
#define DAY	UINT64_C(86400000)

static const char *const groups[] = { "web", "mail-servers", "db" };
#define NGROUPS	3
#define G_WEB	(UINT64_C(1) << 0)
#define G_MAIL	(UINT64_C(1) << 1)
#define G_DB	(UINT64_C(1) << 2)
#define BOTH	((1u << WL_SRC_STAFF) | (1u << WL_SRC_LEARNED))

static void
parse_ok(struct wl_list *l, const char *text)
{
	char err[WL_ERR_MAX] = "";

	if (wl_parse(l, "t.wl", text, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
}

static struct wl_entry
line_ok(const char *line)
{
	struct wl_entry e;
	char err[WL_ERR_MAX] = "";

	if (wl_parse_line(&e, line, err, sizeof(err)) != 0)
		fail_msg("'%s': unexpected error: %s", line, err);
	return e;
}

/* wl_parse fails with exactly want; the list keeps `keep` entries. */
static void
bad_text(const char *text, const char *want, size_t keep)
{
	struct wl_list l;
	char err[WL_ERR_MAX] = "";

	wl_list_init(&l);
	if (wl_parse(&l, "t.wl", text, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", text);
	if (strcmp(err, want) != 0)
		fail_msg("error \"%s\", want \"%s\"", err, want);
	assert_int_equal(l.n, keep);
	wl_list_free(&l);
}

/* The whole list as wl_format writes it (free it). */
static char *
format(const struct wl_list *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(wl_format(l, fp), 0);
	fclose(fp);
	return buf;
}

static void
lists_equal(const struct wl_list *a, const struct wl_list *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++)
		if (!wl_entry_eq(&a->v[i], &b->v[i]))
			fail_msg("entry %zu differs", i);
	assert_string_equal(a->trailer ? a->trailer : "",
	    b->trailer ? b->trailer : "");
}

/* format(parse(text)) is want, and parsing that gives the same list. */
static void
roundtrip(const char *text, const char *want)
{
	struct wl_list a, b;
	char *out, *again;

	wl_list_init(&a);
	wl_list_init(&b);
	parse_ok(&a, text);
	out = format(&a);
	if (strcmp(out, want) != 0)
		fail_msg("formatted:\n%s\nwant:\n%s", out, want);
	parse_ok(&b, out);
	lists_equal(&a, &b);
	again = format(&b);
	assert_string_equal(again, out);
	free(again);
	free(out);
	wl_list_free(&a);
	wl_list_free(&b);
}

static const char *
addr(const struct flow_addr *a)
{
	static char buf[64];

	return flow_addr_str(a, buf, sizeof(buf));
}

/* A query and the addresses it points to. */
struct qb {
	struct flow_addr	host, remote;
	struct wl_query		q;
};

static struct wl_query *
query(struct qb *b, const char *host, uint8_t proto, uint16_t port,
    const char *remote)
{
	memset(b, 0, sizeof(*b));
	if (host != NULL)
		assert_int_equal(flow_addr_parse(&b->host, host), 0);
	if (remote != NULL)
		assert_int_equal(flow_addr_parse(&b->remote, remote), 0);
	b->q.host = host ? &b->host : NULL;
	b->q.remote = remote ? &b->remote : NULL;
	b->q.proto = proto;
	b->q.port = port;
	b->q.app = "";
	b->q.country = "";
	b->q.now_ms = NOW;
	return &b->q;
}

/* wl_match of a query from host to remote, any source, is want. */
static void
expect(const struct wl_index *ix, const char *host, uint8_t proto,
    uint16_t port, const char *remote, uint64_t want)
{
	struct qb b;
	uint64_t got;

	got = wl_match(ix, query(&b, host, proto, port, remote), BOTH);
	if (got != want)
		fail_msg("%s %u/%u to %s: got %llu, want %llu", host, proto,
		    port, remote ? remote : "-", (unsigned long long)got,
		    (unsigned long long)want);
}

/* A list, its index and a query: a test's state, freed by teardown. */
struct fx {
	struct wl_list		 l;
	struct wl_index		*ix;
	struct qb		 b;
};

/* The state for the list of text (again, for a test that changes it). */
static struct fx *
fixture(void **state, const char *text)
{
	struct fx *f = *state;

	if (f == NULL) {
		assert_non_null(f = calloc(1, sizeof(*f)));
		*state = f;
	}
	wl_index_free(f->ix);
	wl_list_free(&f->l);
	parse_ok(&f->l, text);
	assert_non_null(f->ix = wl_index_build(&f->l, groups, NGROUPS));
	return f;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f != NULL) {
		wl_index_free(f->ix);
		wl_list_free(&f->l);
		free(f);
	}
	return 0;
}

/* The DESIGN example of wl.h, field by field. */
static void
test_design_example(void **state)
{
	struct wl_list l;
	const struct wl_entry *e;

	(void)state;
	wl_list_init(&l);
	parse_ok(&l,
	    "# who           service    where             expires     comment\n"
	    "203.0.113.10    tcp/443    AS15169           2027-01-01  OS updates (ticket 4711)\n"
	    "@mail-servers   tcp/25     any               -           outbound mail relays\n"
	    "*               udp/123    any               -           NTP\n"
	    "192.0.2.0/24    app:TLS    US                -           author=ana source=staff created=2026-11-01T10:00:00Z id=17\n");
	assert_int_equal(l.n, 4);
	assert_null(l.trailer);
	e = &l.v[0];
	assert_null(e->pre);		/* the header line is not kept */
	assert_int_equal(e->line, 2);
	assert_int_equal(e->who, WL_WHO_HOST);
	assert_string_equal(addr(&e->who_addr), "203.0.113.10");
	assert_int_equal(e->svc, WL_SVC_PORT);
	assert_int_equal(e->proto, 6);
	assert_int_equal(e->port, 443);
	assert_int_equal(e->where, WL_WHERE_ASN);
	assert_int_equal(e->asn, 15169);
	/* 2027-01-01 holds through that day: until 2027-01-02T00:00:00Z. */
	assert_int_equal(e->expires_ms, UINT64_C(1798848000000));
	assert_string_equal(e->comment, "OS updates (ticket 4711)");
	assert_int_equal(e->id, 0);
	e = &l.v[1];
	assert_int_equal(e->who, WL_WHO_GROUP);
	assert_string_equal(e->group, "mail-servers");
	assert_int_equal(e->where, WL_WHERE_ANY);
	assert_int_equal(e->expires_ms, 0);
	e = &l.v[2];
	assert_int_equal(e->who, WL_WHO_ANY);
	assert_int_equal(e->proto, 17);
	assert_int_equal(e->port, 123);
	assert_string_equal(e->comment, "NTP");
	e = &l.v[3];
	assert_int_equal(e->who, WL_WHO_NET);
	assert_string_equal(addr(&e->who_addr), "192.0.2.0");
	assert_int_equal(e->who_len, 24);
	assert_int_equal(e->svc, WL_SVC_APP);
	assert_string_equal(e->app, "TLS");
	assert_int_equal(e->where, WL_WHERE_COUNTRY);
	assert_string_equal(e->country, "US");
	assert_string_equal(e->comment, "");
	assert_string_equal(e->author, "ana");
	assert_int_equal(e->source, WL_SRC_STAFF);
	assert_int_equal(e->created_ms, UINT64_C(1793527200000));
	assert_int_equal(e->id, 17);
	wl_list_free(&l);
}

static void
test_fields(void **state)
{
	struct wl_entry e;

	(void)state;
	e = line_ok("2001:db8::1 udp/53 2001:db8:ff::/48 -");
	assert_int_equal(e.who, WL_WHO_HOST);
	assert_int_equal(e.who_addr.af, 6);
	assert_int_equal(e.who_len, 128);
	assert_int_equal(e.where, WL_WHERE_NET);
	assert_int_equal(e.where_len, 48);
	assert_string_equal(e.comment, "");
	e = line_ok("10.0.0.0/8\tTCP/*\tas64512\t-");	/* tabs, any case */
	assert_int_equal(e.who, WL_WHO_NET);
	assert_int_equal(e.who_len, 8);
	assert_int_equal(e.svc, WL_SVC_PROTO);
	assert_int_equal(e.proto, 6);
	assert_int_equal(e.where, WL_WHERE_ASN);
	assert_int_equal(e.asn, 64512);
	e = line_ok("* 17/53 de - x");			/* protocol number */
	assert_int_equal(e.svc, WL_SVC_PORT);
	assert_int_equal(e.proto, 17);
	assert_int_equal(e.where, WL_WHERE_COUNTRY);
	assert_string_equal(e.country, "DE");		/* upper-cased */
	e = line_ok("* gre/* 198.51.100.7 -");	/* an IP: NET/32 */
	assert_int_equal(e.proto, 47);
	assert_int_equal(e.where, WL_WHERE_NET);
	assert_int_equal(e.where_len, 32);
	e = line_ok("* esp/* AS4294967295 -");
	assert_int_equal(e.proto, 50);
	assert_int_equal(e.asn, UINT32_MAX);
	e = line_ok("* 250/* * -");			/* where '*' is any */
	assert_int_equal(e.proto, 250);
	assert_int_equal(e.where, WL_WHERE_ANY);
	e = line_ok("* icmp/2048 ANY - echo");
	assert_int_equal(e.proto, 1);
	assert_int_equal(e.port, 2048);
	e = line_ok("* icmp6/0 any - x");
	assert_int_equal(e.proto, 58);
	e = line_ok("* sctp/0 any -");
	assert_int_equal(e.proto, 132);
	assert_int_equal(e.port, 0);
	e = line_ok("* tcp/65535 any -");
	assert_int_equal(e.port, 65535);
	e = line_ok("* APP:Google any -");
	assert_int_equal(e.svc, WL_SVC_APP);
	assert_string_equal(e.app, "Google");
	e = line_ok("* * as -");			/* AS: American Samoa */
	assert_int_equal(e.svc, WL_SVC_ANY);
	assert_int_equal(e.where, WL_WHERE_COUNTRY);
	assert_string_equal(e.country, "AS");
	e = line_ok("192.0.2.1/32 * any -");	/* a NET, kept so */
	assert_int_equal(e.who, WL_WHO_NET);
	assert_int_equal(e.who_len, 32);
	e = line_ok("0.0.0.0/0 * ::/0 -");
	assert_int_equal(e.who_len, 0);
	assert_int_equal(e.where_len, 0);
	e = line_ok("@a.b_c-1 * any -  spaced   comment  \r\n");
	assert_string_equal(e.group, "a.b_c-1");
	assert_string_equal(e.comment, "spaced   comment");
	e = line_ok("* * any - caf\xc3\xa9 \xe2\x9c\x93");	/* UTF-8 text */
	assert_string_equal(e.comment, "caf\xc3\xa9 \xe2\x9c\x93");
}

static void
test_expiry(void **state)
{
	struct wl_entry e;

	(void)state;
	e = line_ok("* * any 2027-01-01T12:00:00Z");
	assert_int_equal(e.expires_ms, UINT64_C(1798804800000));
	e = line_ok("* * any 2027-01-01t13:00:00+01:00");
	assert_int_equal(e.expires_ms, UINT64_C(1798804800000));
	e = line_ok("* * any 2027-01-01T11:30:00.25-00:30");
	assert_int_equal(e.expires_ms, UINT64_C(1798804800250));
	e = line_ok("* * any 2027-01-01T12:00:00.123456789z");
	assert_int_equal(e.expires_ms, UINT64_C(1798804800123));
	e = line_ok("* * any 2028-02-29");		/* leap year */
	assert_int_equal(e.expires_ms, UINT64_C(1835481600000));
	e = line_ok("* * any 2000-02-29");
	assert_int_equal(e.expires_ms, UINT64_C(951868800000));
	e = line_ok("* * any 1970-01-01");
	assert_int_equal(e.expires_ms, DAY);
	e = line_ok("* * any 9999-12-31");
	assert_int_equal(e.expires_ms, UINT64_C(253402300800000));
	e = line_ok("* * any 2016-12-31T23:59:60Z");	/* leap second */
	assert_int_equal(e.expires_ms, UINT64_C(1483228800000));
}

static void
test_metadata(void **state)
{
	struct wl_entry e;

	(void)state;
	e = line_ok("* * any - ok id=3 source=learned author=bo "
	    "created=2026-01-02T03:04:05.006Z");
	assert_string_equal(e.comment, "ok");
	assert_int_equal(e.id, 3);
	assert_int_equal(e.source, WL_SRC_LEARNED);
	assert_string_equal(e.author, "bo");
	assert_int_equal(e.created_ms, UINT64_C(1767323045006));
	/* Only trailing words are metadata. */
	e = line_ok("* * any - id=4 is what ana asked, author=x said");
	assert_string_equal(e.comment, "id=4 is what ana asked, author=x said");
	assert_int_equal(e.id, 0);
	assert_string_equal(e.author, "");
	e = line_ok("* * any - see ticket=4711 id=9223372036854775807");
	assert_string_equal(e.comment, "see ticket=4711");
	assert_int_equal(e.id, WL_ID_POS - 1);
	e = line_ok("* * any - source=staff");
	assert_int_equal(e.source, WL_SRC_STAFF);
	assert_string_equal(e.comment, "");
	e = line_ok("* * any - \tauthor=ana.b@example.net");
	assert_string_equal(e.author, "ana.b@example.net");
	e = line_ok("* * any - Author=ana");	/* keys: lower-case */
	assert_string_equal(e.comment, "Author=ana");
}

/* Every reason wl_parse_line gives, word for word. */
static void
test_line_errors(void **state)
{
	static const struct {
		const char	*line;
		const char	*err;
	} t[] = {
		{ "", "too few fields: expected who service where expires" },
		{ "* tcp/1 any", "too few fields: expected who service where "
		  "expires" },
		{ "# x", "a comment, not an entry" },
		{ "host tcp/1 any -", "bad host 'host': expected an address, a "
		  "prefix, @group or *" },
		{ "10.0.0.1/8 * any -", "host bits set in 10.0.0.1/8" },
		{ "2001:db8::1/32 * any -", "host bits set in 2001:db8::1/32" },
		{ "10.0.0.0/33 * any -", "bad prefix length in '10.0.0.0/33'" },
		{ "10.0.0.0/ * any -", "bad prefix length in '10.0.0.0/'" },
		{ "10.0.0.0/+8 * any -", "bad prefix length in '10.0.0.0/+8'" },
		{ "::/129 * any -", "bad prefix length in '::/129'" },
		{ "010.0.0.1 * any -", "bad host '010.0.0.1': expected an "
		  "address, a prefix, @group or *" },
		{ "fe80::1%eth0 * any -", "bad host 'fe80::1%eth0': expected "
		  "an address, a prefix, @group or *" },
		{ "@ * any -", "bad group '@': a name is 1-63 letters, digits, "
		  "'-', '_' and '.'" },
		{ "@a/b * any -", "bad group '@a/b': a name is 1-63 letters, "
		  "digits, '-', '_' and '.'" },
		{ "@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
		  "* any -", "bad group '@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaa': a name is 1-63 letters, digits, "
		  "'-', '_' and '.'" },
		{ "* tcp/99999 any -", "bad service 'tcp/99999': port out of "
		  "range" },
		{ "* tcp/65536 any -", "bad service 'tcp/65536': port out of "
		  "range" },
		{ "* tcp/99999999999999999999999 any -", "bad service "
		  "'tcp/99999999999999999999999': port out of range" },
		{ "* tcp/ any -", "bad service 'tcp/': port is not a number" },
		{ "* tcp/-1 any -", "bad service 'tcp/-1': port is not a "
		  "number" },
		{ "* tcp/80-90 any -", "bad service 'tcp/80-90': port is not a "
		  "number" },
		{ "* tpc/443 any -", "unknown protocol 'tpc'" },
		{ "* /443 any -", "unknown protocol ''" },
		{ "* 256/* any -", "bad service '256/*': protocol out of "
		  "range" },
		{ "* gre/1 any -", "bad service 'gre/1': gre has no ports" },
		{ "* 89/1 any -", "bad service '89/1': protocol 89 has no "
		  "ports" },
		{ "* tcp any -", "bad service 'tcp': expected tcp/PORT or "
		  "tcp/*" },
		{ "* http any -", "bad service 'http': expected PROTO/PORT, "
		  "PROTO/*, app:NAME or *" },
		{ "* app: any -", "bad service 'app:': an application name is "
		  "1-31 characters" },
		{ "* app:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa any -", "bad service "
		  "'app:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': an application name "
		  "is 1-31 characters" },
		{ "* * AS0 -", "bad AS number 'AS0': expected AS1 to "
		  "AS4294967295" },
		{ "* * AS4294967296 -", "bad AS number 'AS4294967296': "
		  "expected AS1 to AS4294967295" },
		{ "* * AS12x -", "bad AS number 'AS12x': expected AS1 to "
		  "AS4294967295" },
		{ "* * USA -", "bad destination 'USA': expected any, an "
		  "address, a prefix, ASnnn or a two-letter country code" },
		{ "* * U1 -", "bad destination 'U1': expected any, an address, "
		  "a prefix, ASnnn or a two-letter country code" },
		{ "* * 10.0.0.1/8 -", "host bits set in 10.0.0.1/8" },
		{ "* * 10.0.0.0/99 -", "bad prefix length in '10.0.0.0/99'" },
		{ "* * any never", "bad expiry 'never': expected YYYY-MM-DD, "
		  "an RFC 3339 time (2027-01-01T12:00:00Z) or -" },
		{ "* * any 2027-02-29", "bad expiry '2027-02-29': expected "
		  "YYYY-MM-DD, an RFC 3339 time (2027-01-01T12:00:00Z) or -" },
		{ "* * any 2027-13-01", "bad expiry '2027-13-01': expected "
		  "YYYY-MM-DD, an RFC 3339 time (2027-01-01T12:00:00Z) or -" },
		{ "* * any 1969-12-31", "bad expiry '1969-12-31': expected "
		  "YYYY-MM-DD, an RFC 3339 time (2027-01-01T12:00:00Z) or -" },
		{ "* * any 2027-1-1", "bad expiry '2027-1-1': expected "
		  "YYYY-MM-DD, an RFC 3339 time (2027-01-01T12:00:00Z) or -" },
		{ "* * any 2027-01-01T24:00:00Z", "bad expiry "
		  "'2027-01-01T24:00:00Z': expected YYYY-MM-DD, an RFC 3339 "
		  "time (2027-01-01T12:00:00Z) or -" },
		{ "* * any 2027-01-01T12:00:00", "bad expiry "
		  "'2027-01-01T12:00:00': expected YYYY-MM-DD, an RFC 3339 "
		  "time (2027-01-01T12:00:00Z) or -" },
		{ "* * any 2027-01-01T12:00:00.Z", "bad expiry "
		  "'2027-01-01T12:00:00.Z': expected YYYY-MM-DD, an RFC 3339 "
		  "time (2027-01-01T12:00:00Z) or -" },
		{ "* * any 2027-01-01T12:00:00+1:00", "bad expiry "
		  "'2027-01-01T12:00:00+1:00': expected YYYY-MM-DD, an RFC "
		  "3339 time (2027-01-01T12:00:00Z) or -" },
		{ "* * any 1970-01-01T00:00:00Z", "bad expiry "
		  "'1970-01-01T00:00:00Z': expected YYYY-MM-DD, an RFC 3339 "
		  "time (2027-01-01T12:00:00Z) or -" },
		{ "* * any 9999-12-31T23:30:00-01:00", "bad expiry "
		  "'9999-12-31T23:30:00-01:00': expected YYYY-MM-DD, an RFC "
		  "3339 time (2027-01-01T12:00:00Z) or -" },
		{ "* * any - a\x01 b", "control character in comment" },
		{ "* * any - a\rb", "control character in comment" },
		{ "* * any - source=robot", "bad source= 'robot': expected "
		  "staff or learned" },
		{ "* * any - created=2026-11-01", "bad created= '2026-11-01': "
		  "expected an RFC 3339 time (2026-11-01T10:00:00Z)" },
		{ "* * any - id=0", "bad id= '0': expected 1 to "
		  "9223372036854775807" },
		{ "* * any - id=9223372036854775808", "bad id= "
		  "'9223372036854775808': expected 1 to 9223372036854775807" },
		{ "* * any - id=x1", "bad id= 'x1': expected 1 to "
		  "9223372036854775807" },
		{ "* * any - author=", "bad author= '': 1-63 characters "
		  "without blanks" },
		{ "* * any - id=1 id=2", "id= given twice" },
		{ "@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaa * any -", "bad host '@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "a...': too long" },
		{ "* app:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaa any -", "bad service 'app:aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaa...': too long" },
		{ "* * any - x author=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaa", "author= value too long" },
		{ "* * any - x created=2026-11-01T10:00:00.0000000000000000000000"
		  "0000000000000000000000000000000000000000000000000000000000000000"
		  "00000000000000000000000000000000000Z", "created= value too "
		  "long" },
		{ "* * any - author=a author=b", "author= given twice" },
		{ "* * any - source=staff x source=learned source=staff",
		  "source= given twice" },
		{ "* * any - created=2026-11-01T10:00:00Z "
		  "created=2026-11-01T10:00:00Z", "created= given twice" },
	};
	struct wl_list l;
	struct wl_entry e;
	char err[WL_ERR_MAX], *text, want[WL_ERR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(err, 0, sizeof(err));
		if (wl_parse_line(&e, t[i].line, err, sizeof(err)) == 0)
			fail_msg("accepted: '%s'", t[i].line);
		if (strcmp(err, t[i].err) != 0)
			fail_msg("'%s': error \"%s\", want \"%s\"", t[i].line,
			    err, t[i].err);
		/* In a file: the same reason, after "NAME:LINE: ". */
		if (t[i].line[0] == '\0' || t[i].line[0] == '#')
			continue;		/* blank or comment there */
		assert_non_null(text = malloc(strlen(t[i].line) + 64));
		sprintf(text, "# c\n* * any - ok\n%s\n* * any - after\n",
		    t[i].line);
		snprintf(want, sizeof(want), "t.wl:3: %s", t[i].err);
		wl_list_init(&l);
		if (wl_parse(&l, "t.wl", text, err, sizeof(err)) == 0)
			fail_msg("accepted in a file: '%s'", t[i].line);
		if (strcmp(err, want) != 0)
			fail_msg("'%s': error \"%s\", want \"%s\"", t[i].line,
			    err, want);
		assert_int_equal(l.n, 1);
		wl_list_free(&l);
		free(text);
	}
	/* author= inside the text is text; the trailing one is metadata. */
	e = line_ok("* * any - author=a x author=b");
	assert_string_equal(e.comment, "author=a x");
	assert_string_equal(e.author, "b");
	/* A comment of 255 bytes fits, 256 does not. */
	{
		char line[400];

		memset(line, 'c', sizeof(line));
		memcpy(line, "* * any - ", 10);
		line[10 + 255] = '\0';
		e = line_ok(line);
		assert_int_equal(strlen(e.comment), 255);
		line[10 + 255] = 'c';
		line[10 + 256] = '\0';
		assert_int_equal(wl_parse_line(&e, line, err, sizeof(err)), -1);
		assert_string_equal(err,
		    "comment too long (255 bytes at most)");
	}
	/* err may be small, or NULL. */
	assert_int_equal(wl_parse_line(&e, "* tpc/1 any -", err, 8), -1);
	assert_string_equal(err, "unknown");
	assert_int_equal(wl_parse_line(&e, "* tpc/1 any -", NULL, 0), -1);
}

/* Errors of a whole text: the position, and what the list keeps. */
static void
test_text_errors(void **state)
{
	char err[WL_ERR_MAX], path[64], want[128];
	struct wl_list l;
	FILE *fp;
	int fd;

	(void)state;
	bad_text("* udp/123 any - NTP\n# note\n\n* tcp/53 any\n",
	    "t.wl:4: too few fields: expected who service where expires", 1);
	bad_text("* tpc/443 any -", "t.wl:1: unknown protocol 'tpc'", 0);
	bad_text("\r\n* tcp/1 any -\r\n* tcp/1 any - x\r\n"
	    "10.0.0.1/8 * any -\r\n", "t.wl:4: host bits set in 10.0.0.1/8", 2);
	bad_text("* * any - a id=5\n* * any - b\n* * any - c id=5\n",
	    "t.wl:3: duplicate id=5 (also on line 1)", 2);
	bad_text("* * any - id=7\n* * any - id=8\n# about c\n* * any - c id=7\n"
	    "* * any - id=8\n", "t.wl:4: duplicate id=7 (also on line 1)", 2);
	/* A repeated id before a bad line is the error. */
	bad_text("* * any - id=1\n* * any - id=1\n* x any -\n",
	    "t.wl:2: duplicate id=1 (also on line 1)", 1);
	/* The bad line's comments stay, as the trailer. */
	wl_list_init(&l);
	assert_int_equal(wl_parse(&l, "t.wl", "* * any -\n# c\n* x any -\n",
	    err, sizeof(err)), -1);
	assert_string_equal(err, "t.wl:3: bad service 'x': expected "
	    "PROTO/PORT, PROTO/*, app:NAME or *");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.trailer, "# c\n");
	/* An id already in the list. */
	assert_int_equal(wl_parse(&l, "u.wl",
	    "* * any - id=1\n* * any - id=1\n", err, sizeof(err)), -1);
	assert_string_equal(err, "u.wl:2: duplicate id=1 (also on line 1)");
	assert_int_equal(l.n, 2);
	wl_list_free(&l);
	wl_list_init(&l);
	parse_ok(&l, "* * any - id=1\n");
	assert_int_equal(wl_parse(&l, "u.wl", "\n* * any - id=1\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "u.wl:2: duplicate id=1 (already in the "
	    "list)");
	assert_int_equal(l.n, 1);
	wl_list_free(&l);

	/* Files. */
	wl_list_init(&l);
	assert_int_equal(wl_parse_file(&l, "/nonexistent/x.wl", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/x.wl: No such file or "
	    "directory");
	snprintf(path, sizeof(path), "/tmp/test_wl.XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs("* udp/123 any - NTP\n", fp);
	fclose(fp);
	assert_int_equal(wl_parse_file(&l, path, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].line, 1);
	assert_non_null(fp = fopen(path, "w"));
	fputs("* udp/123 any - NTP\n\n", fp);
	fwrite("* udp/53 any - D\0NS\n", 1, 20, fp);
	fclose(fp);
	assert_int_equal(wl_parse_file(&l, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: NUL byte", path);
	assert_string_equal(err, want);
	assert_int_equal(l.n, 1);
	/* Over 256 MiB: refused by its size, unread (a sparse file). */
	assert_int_equal(truncate(path, (off_t)(256u << 20) + 1), 0);
	assert_int_equal(wl_parse_file(&l, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: larger than 256 MiB", path);
	assert_string_equal(err, want);
	assert_int_equal(l.n, 1);
	unlink(path);
	/* A directory opens, but does not read. */
	assert_int_equal(wl_parse_file(&l, "/", err, sizeof(err)), -1);
	assert_string_equal(err, "/: Is a directory");
	assert_int_equal(l.n, 1);
	wl_list_free(&l);
}

/* wl_entry_check refuses e with exactly want, and wl_format_entry too. */
static void
bad_entry(const struct wl_entry *e, const char *want)
{
	char err[WL_ERR_MAX] = "", buf[WL_LINE_MAX];

	if (wl_entry_check(e, err, sizeof(err)) == 0)
		fail_msg("accepted, want \"%s\"", want);
	if (strcmp(err, want) != 0)
		fail_msg("error \"%s\", want \"%s\"", err, want);
	assert_int_equal(wl_format_entry(e, buf, sizeof(buf)), -1);
}

/* Every reason of wl_entry_check: entries changed after parsing. */
static void
test_entry_errors(void **state)
{
	struct wl_entry e;

	(void)state;
	e = line_ok("10.0.0.0/8 * any -");
	e.who_addr.a[3] = 1;
	bad_entry(&e, "bad host address or prefix");
	e = line_ok("10.0.0.0/8 * any -");
	e.who_len = 33;
	bad_entry(&e, "bad host address or prefix");
	e = line_ok("192.0.2.1 * any -");
	e.who_addr.af = 0;
	bad_entry(&e, "bad host address or prefix");
	e = line_ok("@web * any -");
	e.group[3] = ' ';
	bad_entry(&e, "bad group name");
	e = line_ok("@web * any -");
	e.group[0] = '\0';
	bad_entry(&e, "bad group name");
	e = line_ok("* * any -");
	e.who = 0;
	bad_entry(&e, "bad kind of host");
	e.who = WL_WHO_ANY + 1;
	bad_entry(&e, "bad kind of host");
	e = line_ok("* gre/* any -");
	e.svc = WL_SVC_PORT;
	bad_entry(&e, "protocol 47 has no ports");
	e = line_ok("* app:TLS any -");
	e.app[1] = '\t';
	bad_entry(&e, "bad application name");
	e = line_ok("* app:TLS any -");
	memset(e.app, 'a', sizeof(e.app));		/* no NUL */
	bad_entry(&e, "bad application name");
	e = line_ok("* * any -");
	e.svc = 0;
	bad_entry(&e, "bad kind of service");
	e.svc = WL_SVC_ANY + 1;
	bad_entry(&e, "bad kind of service");
	e = line_ok("* * 198.51.100.0/24 -");
	e.where_addr.a[3] = 7;
	bad_entry(&e, "bad destination address or prefix");
	e = line_ok("* * 2001:db8::/32 -");
	e.where_len = 129;
	bad_entry(&e, "bad destination address or prefix");
	e = line_ok("* * AS1 -");
	e.asn = 0;
	bad_entry(&e, "AS number 0");
	e = line_ok("* * us -");
	e.country[0] = 'u';
	bad_entry(&e, "bad country code");
	e = line_ok("* * us -");
	e.country[2] = 'A';
	bad_entry(&e, "bad country code");
	e = line_ok("* * any -");
	e.where = 0;
	bad_entry(&e, "bad kind of destination");
	e.where = WL_WHERE_ANY + 1;
	bad_entry(&e, "bad kind of destination");
	/* 9999-12-31 (the next midnight) is the last expiry there is. */
	e = line_ok("* * any 9999-12-31");
	assert_int_equal(wl_entry_check(&e, NULL, 0), 0);
	e.expires_ms++;
	bad_entry(&e, "expiry out of range");
	e = line_ok("* * any - created=9999-12-31T23:59:59.999Z");
	assert_int_equal(wl_entry_check(&e, NULL, 0), 0);
	e.created_ms++;
	bad_entry(&e, "created= out of range");
	e = line_ok("* * any - source=learned");
	e.source = WL_SRC_LEARNED + 1;
	bad_entry(&e, "bad source");
	e = line_ok("* * any - author=ana");
	e.author[1] = ' ';
	bad_entry(&e, "bad author");
	memset(e.author, 'b', sizeof(e.author));	/* no NUL */
	bad_entry(&e, "bad author");
	e = line_ok("* * any - id=9223372036854775807");
	assert_int_equal(wl_entry_check(&e, NULL, 0), 0);
	e.id++;
	bad_entry(&e, "id out of range");
	e = line_ok("* * any - ok");
	memset(e.comment, 'c', sizeof(e.comment));	/* no NUL */
	bad_entry(&e, "comment too long");
	e = line_ok("* * any - ok");
	snprintf(e.comment, sizeof(e.comment), "evil\n* * any - x");
	bad_entry(&e, "control character in comment");
	snprintf(e.comment, sizeof(e.comment), "del\x7f");
	bad_entry(&e, "control character in comment");
	snprintf(e.comment, sizeof(e.comment), " x");
	bad_entry(&e, "comment starts or ends with a blank");
	snprintf(e.comment, sizeof(e.comment), "x\t");
	bad_entry(&e, "comment starts or ends with a blank");
	snprintf(e.comment, sizeof(e.comment), "trust me id=3");
	bad_entry(&e, "comment ends in a metadata word");
	snprintf(e.comment, sizeof(e.comment), "created=");
	bad_entry(&e, "comment ends in a metadata word");
	/* err may be small, or NULL. */
	e.comment[0] = '\n';
	{
		char err[8];

		assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
		assert_string_equal(err, "control");
	}
	assert_int_equal(wl_entry_check(&e, NULL, 0), -1);
}

/* A file already in wl_format's form is written back byte for byte. */
static void
test_roundtrip_exact(void **state)
{
	static const char text[] =
	    "# who           service    where                   expires"
	    "               comment\n"
	    "# Infrastructure.\n"
	    "\n"
	    "#   indented note\n"
	    "*               udp/123    any                     -\n"
	    "*               udp/53     any                     -"
	    "                     DNS author=ana id=1\n"
	    "@mail-servers   tcp/25     AS64500                 2027-01-01"
	    "            relays author=bo created=2026-11-01T10:00:00.500Z "
	    "source=learned id=2\n"
	    "# v6\n"
	    "2001:db8::/32   tcp/*      2001:db8:ff:ee:dd::/80  "
	    "2027-06-30T18:00:00Z  replication\n"
	    "10.1.2.3/32     icmp/2048  DE                      -"
	    "                     id=3\n"
	    "192.0.2.7       app:TLS    198.51.100.1            -"
	    "                     x=1 ok\n"
	    "*               esp/*      ::/0                    -\n"
	    "*               200/*      0.0.0.0/0               -"
	    "                     source=learned\n"
	    "\n"
	    "# the end\n";
	static const char empty[] =
	    "# who           service    where             expires     comment\n";

	(void)state;
	roundtrip(text, text);
	roundtrip("", empty);
	roundtrip(empty, empty);
	roundtrip("# only a comment\n", "# who           service    where"
	    "             expires     comment\n# only a comment\n");
	roundtrip("\n\n", "# who           service    where             "
	    "expires     comment\n\n\n");
}

/* Other spellings come back in the one form, and stay in it. */
static void
test_roundtrip_normalise(void **state)
{
	(void)state;
	roundtrip(
	    "  # indented comment   \r\n"
	    "* TCP/443\tas15169 2027-01-02T00:00:00Z   a   b  \r\n"
	    "#who service where expires comment\n"
	    "   192.0.2.1/32 17/53 203.0.113.9/32 2027-01-01T00:00:00+01:00\n"
	    "* 6/* us - source=staff author=x\n"
	    "* app:tls * 2027-01-01T12:00:00.5000Z id=9\n"
	    "* 1/8 any 2027-01-01T12:00:00.000Z\n"
	    "fd00:0:0::1 * FD00::0/16 -\n"
	    "# trailer   \n",
	    "# who           service    where             expires"
	    "                   comment\n"
	    "  # indented comment\n"
	    "*               tcp/443    AS15169           2027-01-01"
	    "                a   b\n"
	    "192.0.2.1/32    udp/53     203.0.113.9       2026-12-31"
	    "T23:00:00Z\n"
	    "*               tcp/*      US                -"
	    "                         author=x\n"
	    "*               app:tls    any               2027-01-01"
	    "T12:00:00.500Z  id=9\n"
	    "*               icmp/8     any               2027-01-01"
	    "T12:00:00Z\n"
	    "fd00::1         *          fd00::/16         -\n"
	    "# trailer\n");
}

/* Two texts one after the other are the two joined. */
static void
test_parse_append(void **state)
{
	struct wl_list a, b;

	(void)state;
	wl_list_init(&a);
	wl_list_init(&b);
	parse_ok(&a, "# a\n* * any - one\n# between\n");
	parse_ok(&a, "# more\n* * any - two\n# end\n");
	parse_ok(&b, "# a\n* * any - one\n# between\n# more\n* * any - two\n"
	    "# end\n");
	lists_equal(&a, &b);
	assert_string_equal(a.v[1].pre, "# between\n# more\n");
	wl_list_free(&a);
	wl_list_free(&b);
}

static void
test_format_entry(void **state)
{
	struct wl_entry e;
	char buf[WL_LINE_MAX], err[WL_ERR_MAX];
	const char *want;
	int n;

	(void)state;
	e = line_ok("203.0.113.10 tcp/443 AS15169 2027-01-01 OS updates id=4");
	want = "203.0.113.10    tcp/443    AS15169           2027-01-01  "
	    "OS updates id=4";
	n = (int)strlen(want);
	assert_int_equal(wl_format_entry(&e, buf, sizeof(buf)), n);
	assert_string_equal(buf, want);
	assert_int_equal(wl_format_entry(&e, buf, (size_t)n), -1);
	assert_int_equal(wl_format_entry(&e, buf, (size_t)n + 1), n);
	/* Long fields push their line on, two blanks after each. */
	e = line_ok("2001:db8:1234:5678:9abc:def0:1234:5678 udp/5353 "
	    "2001:db8:1234:5678:9abc:def0:1234:0/112 - x");
	want = "2001:db8:1234:5678:9abc:def0:1234:5678  udp/5353   "
	    "2001:db8:1234:5678:9abc:def0:1234:0/112  -           x";
	assert_int_equal(wl_format_entry(&e, buf, sizeof(buf)),
	    (int)strlen(want));
	assert_string_equal(buf, want);
	/* The longest entry fits WL_LINE_MAX. */
	memset(&e, 0, sizeof(e));
	e.who = WL_WHO_GROUP;
	memset(e.group, 'g', sizeof(e.group) - 1);
	e.svc = WL_SVC_APP;
	memset(e.app, 'a', sizeof(e.app) - 1);
	e.where = WL_WHERE_NET;
	assert_int_equal(flow_addr_parse(&e.where_addr,
	    "1111:2222:3333:4444:5555:6666:7777:8888"), 0);
	e.where_len = 128;
	e.expires_ms = UINT64_C(253402300799999);
	e.created_ms = UINT64_C(253402300799999);
	e.source = WL_SRC_LEARNED;
	memset(e.author, 'b', sizeof(e.author) - 1);
	memset(e.comment, 'c', sizeof(e.comment) - 1);
	e.id = WL_ID_POS - 1;
	assert_true(wl_format_entry(&e, buf, sizeof(buf)) > 500);
	assert_non_null(strstr(buf, " 9999-12-31T23:59:59.999Z "));

	/* Entries that would not read back are refused. */
	e = line_ok("* * any - ok");
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), 0);
	snprintf(e.comment, sizeof(e.comment), "evil\n* * any - x");
	assert_int_equal(wl_format_entry(&e, buf, sizeof(buf)), -1);
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
	assert_string_equal(err, "control character in comment");
	snprintf(e.comment, sizeof(e.comment), "trust me id=3");
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
	assert_string_equal(err, "comment ends in a metadata word");
	snprintf(e.comment, sizeof(e.comment), " x");
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
	e = line_ok("10.0.0.0/8 * any -");
	e.who_addr.a[3] = 1;
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
	assert_string_equal(err, "bad host address or prefix");
	e = line_ok("* gre/* any -");
	e.svc = WL_SVC_PORT;
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
	assert_string_equal(err, "protocol 47 has no ports");
	e = line_ok("* * any -");
	e.who = 0;
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
	e = line_ok("* * us -");
	e.country[0] = 'u';
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
	e = line_ok("* * any -");
	e.expires_ms = UINT64_C(253402300800001);	/* after 9999 */
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
	e = line_ok("* * any -");
	e.id = WL_ID_POS;
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
	e = line_ok("@web * any -");
	e.group[3] = ' ';
	assert_int_equal(wl_entry_check(&e, err, sizeof(err)), -1);
}

static void
test_list(void **state)
{
	struct wl_list l;
	struct wl_entry e;
	char *out;

	(void)state;
	wl_list_init(&l);
	parse_ok(&l,
	    "# Section one\n"
	    "\n"
	    "# about a\n"
	    "* tcp/1 any - a id=1\n"
	    "# about b\n"
	    "* tcp/2 any - b id=2\n"
	    "* tcp/3 any - c id=3\n"
	    "# Section two\n"
	    "\n"
	    "# about d\n"
	    "* tcp/4 any - d id=4\n");
	assert_int_equal(wl_list_remove(&l, 9), -1);
	assert_int_equal(wl_list_remove(&l, 0), -1);
	/* a's own note goes with it, the section heading stays. */
	assert_int_equal(wl_list_remove(&l, 1), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].pre, "# Section one\n\n# about b\n");
	assert_int_equal(wl_list_remove(&l, 2), 0);
	assert_string_equal(l.v[0].pre, "# Section one\n\n");
	/* The last one: its heading goes to the trailer. */
	assert_int_equal(wl_list_remove(&l, 4), 0);
	assert_string_equal(l.trailer, "# Section two\n\n");
	assert_int_equal(l.n, 1);
	/* add copies pre. */
	e = line_ok("192.0.2.1 tcp/22 any - added id=5");
	e.pre = (char *)"# new\n";
	assert_int_equal(wl_list_add(&l, &e), 0);
	assert_ptr_not_equal(l.v[1].pre, e.pre);
	out = format(&l);
	assert_string_equal(out,
	    "# who           service    where             expires     comment\n"
	    "# Section one\n"
	    "\n"
	    "*               tcp/3      any               -           c id=3\n"
	    "# new\n"
	    "192.0.2.1       tcp/22     any               -           added id=5\n"
	    "# Section two\n"
	    "\n");
	free(out);
	/* A list that cannot be written is not. */
	l.v[0].comment[0] = '\n';
	{
		FILE *fp = fopen("/dev/null", "w");

		assert_int_equal(wl_format(&l, fp), -1);
		fclose(fp);
	}
	wl_list_free(&l);
	assert_int_equal(l.n, 0);
	wl_list_free(&l);			/* twice is fine */
}

static void
test_match_who(void **state)
{
	struct fx *f;
	struct wl_query *q;

	f = fixture(state,
	    "192.0.2.10 tcp/22 any - id=1\n"
	    "10.0.0.0/8 tcp/22 any - id=2\n"
	    "10.1.0.0/16 tcp/22 any - id=3\n"
	    "@web tcp/22 any - id=4\n"
	    "@nosuch tcp/22 any - id=5\n"
	    "2001:db8::10 tcp/22 any - id=6\n"
	    "2001:db8::/32 tcp/23 any - id=7\n"
	    "0.0.0.0/0 tcp/24 any - id=8\n"
	    "::ffff:0.0.0.0/96 tcp/25 any - id=9\n"
	    "* tcp/26 any - id=10\n");
	assert_int_equal(wl_index_size(f->ix), 9);	/* not @nosuch */
	expect(f->ix, "192.0.2.10", 6, 22, "1.1.1.1", 1);
	expect(f->ix, "192.0.2.11", 6, 22, "1.1.1.1", 0);
	expect(f->ix, "10.9.9.9", 6, 22, NULL, 2);
	expect(f->ix, "10.1.9.9", 6, 22, NULL, 2);	/* /8 comes first */
	q = query(&f->b, "172.16.0.1", 6, 22, NULL);
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
	q->host_groups = G_WEB;
	assert_int_equal(wl_match(f->ix, q, BOTH), 4);
	q->host_groups = G_MAIL | G_DB | (UINT64_C(1) << 63);
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);	/* no @nosuch bit */
	q->host = NULL;
	q->host_groups = G_WEB;
	assert_int_equal(wl_match(f->ix, q, BOTH), 4);
	q->host_groups = 0;
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
	q->port = 26;
	assert_int_equal(wl_match(f->ix, q, BOTH), 10);	/* '*': no host */
	expect(f->ix, "2001:db8::10", 6, 22, NULL, 6);
	expect(f->ix, "2001:db8:5::1", 6, 23, NULL, 7);
	expect(f->ix, "2001:db9::1", 6, 23, NULL, 0);
	/* Families do not mix: 0.0.0.0/0 is every IPv4 host, no IPv6 one. */
	expect(f->ix, "203.0.113.1", 6, 24, NULL, 8);
	expect(f->ix, "::ffff:203.0.113.1", 6, 24, NULL, 0);
	expect(f->ix, "::ffff:203.0.113.1", 6, 25, NULL, 9);
	expect(f->ix, "203.0.113.1", 6, 25, NULL, 0);
	/* Unknown family: only groups and '*'. */
	q = query(&f->b, NULL, 6, 22, NULL);
	q->host = &f->b.host;
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
}

static void
test_match_service(void **state)
{
	struct fx *f;
	struct wl_query *q;

	f = fixture(state,
	    "192.0.2.1 tcp/443 any - id=1\n"
	    "192.0.2.1 udp/* any - id=2\n"
	    "192.0.2.1 app:TLS any - id=3\n"
	    "192.0.2.2 * any - id=4\n"
	    "192.0.2.3 icmp/2048 any - id=5\n"
	    "192.0.2.3 47/* any - id=6\n");
	expect(f->ix, "192.0.2.1", 6, 443, NULL, 1);
	expect(f->ix, "192.0.2.1", 17, 443, NULL, 2);
	expect(f->ix, "192.0.2.1", 17, 1, NULL, 2);
	q = query(&f->b, "192.0.2.1", 6, 8443, NULL);
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
	q->app = "tls";				/* names: any case */
	assert_int_equal(wl_match(f->ix, q, BOTH), 3);
	q->app = "TLS.Google";
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
	q->app = NULL;
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
	q = query(&f->b, "192.0.2.2", 132, 9, NULL);
	assert_int_equal(wl_match(f->ix, q, BOTH), 4);
	expect(f->ix, "192.0.2.3", 1, 2048, NULL, 5);
	expect(f->ix, "192.0.2.3", 1, 0, NULL, 0);
	expect(f->ix, "192.0.2.3", 47, 0, NULL, 6);
	expect(f->ix, "192.0.2.3", 6, 2048, NULL, 0);
}

static void
test_match_where(void **state)
{
	struct fx *f;
	struct wl_query *q;

	f = fixture(state,
	    "* tcp/1 198.51.100.7 - id=1\n"
	    "* tcp/1 198.51.100.0/24 - id=2\n"
	    "* tcp/2 AS15169 - id=3\n"
	    "* tcp/3 nl - id=4\n"
	    "* tcp/4 2001:db8:ff::/48 - id=5\n"
	    "* tcp/5 any - id=6\n");
	expect(f->ix, "10.0.0.1", 6, 1, "198.51.100.7", 1);
	expect(f->ix, "10.0.0.1", 6, 1, "198.51.100.8", 2);
	expect(f->ix, "10.0.0.1", 6, 1, "198.51.101.8", 0);
	expect(f->ix, "10.0.0.1", 6, 1, NULL, 0);
	expect(f->ix, "10.0.0.1", 6, 1, "::ffff:198.51.100.7", 0);
	q = query(&f->b, "10.0.0.1", 6, 2, "8.8.8.8");
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
	q->asn = 15169;
	assert_int_equal(wl_match(f->ix, q, BOTH), 3);
	q->asn = 15170;
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
	q = query(&f->b, "10.0.0.1", 6, 3, "8.8.8.8");
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);	/* country unknown */
	q->country = "NL";
	assert_int_equal(wl_match(f->ix, q, BOTH), 4);
	q->country = "nl";
	assert_int_equal(wl_match(f->ix, q, BOTH), 4);
	q->country = "NLD";
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
	q->country = NULL;
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
	expect(f->ix, "2001:db8::1", 6, 4, "2001:db8:ff:1::1", 5);
	expect(f->ix, "2001:db8::1", 6, 4, "2001:db8:fe::1", 0);
	expect(f->ix, "2001:db8::1", 6, 5, NULL, 6);
}

static void
test_match_expiry_sources(void **state)
{
	struct fx *f;
	struct wl_query *q;

	f = fixture(state,
	    "* tcp/1 any 2027-01-15 - id=1\n"
	    "* tcp/1 any 2027-01-16 id=2\n"
	    "* tcp/1 any - id=3 source=learned\n"
	    "* tcp/1 any - id=4\n");
	q = query(&f->b, "10.0.0.1", 6, 1, NULL);
	/* 2027-01-15 holds until 2027-01-16T00:00:00Z, not at it. */
	q->now_ms = UINT64_C(1800057600000) - 1;
	assert_int_equal(wl_match(f->ix, q, BOTH), 1);
	q->now_ms++;
	assert_int_equal(wl_match(f->ix, q, BOTH), 2);
	q->now_ms += DAY;
	assert_int_equal(wl_match(f->ix, q, BOTH), 3);
	assert_int_equal(wl_match(f->ix, q, 1u << WL_SRC_STAFF), 4);
	assert_int_equal(wl_match(f->ix, q, 1u << WL_SRC_LEARNED), 3);
	assert_int_equal(wl_match(f->ix, q, 0), 0);
	q->now_ms = 0;				/* the first two hold */
	assert_int_equal(wl_match(f->ix, q, 1u << WL_SRC_STAFF), 1);
	assert_int_equal(wl_entry_allows(&f->l.v[0], q, groups, NGROUPS), 1);
	q->now_ms = f->l.v[0].expires_ms;
	assert_int_equal(wl_entry_allows(&f->l.v[0], q, groups, NGROUPS), 0);
}

/* The first entry in list order wins, whatever bucket it is in. */
static void
test_first_in_order(void **state)
{
	struct fx *f;
	struct wl_query *q;

	f = fixture(state,
	    "* app:SSH any -\n"			/* no id: WL_ID_POS + 0 */
	    "@db tcp/22 any - id=20\n"
	    "10.0.0.0/8 * any - id=30\n"
	    "10.0.0.5 tcp/22 any - id=40\n"
	    "* tcp/22 any - id=50\n"
	    "10.0.0.5 tcp/* any - id=60\n");
	q = query(&f->b, "10.0.0.5", 6, 22, "192.0.2.1");
	q->app = "ssh";
	q->host_groups = G_DB;
	assert_int_equal(wl_match(f->ix, q, BOTH), WL_ID_POS + 0);
	q->app = "";
	assert_int_equal(wl_match(f->ix, q, BOTH), 20);
	q->host_groups = 0;
	assert_int_equal(wl_match(f->ix, q, BOTH), 30);
	q = query(&f->b, "11.0.0.5", 6, 22, "192.0.2.1");
	assert_int_equal(wl_match(f->ix, q, BOTH), 50);
	/* The same list with the order reversed. */
	f = fixture(state,
	    "10.0.0.5 tcp/* any - id=60\n"
	    "* tcp/22 any - id=50\n"
	    "10.0.0.5 tcp/22 any - id=40\n"
	    "10.0.0.0/8 * any - id=30\n"
	    "@db tcp/22 any - id=20\n"
	    "* app:SSH any -\n");
	q = query(&f->b, "10.0.0.5", 6, 22, "192.0.2.1");
	q->app = "ssh";
	q->host_groups = G_DB;
	assert_int_equal(wl_match(f->ix, q, BOTH), 60);
	q->proto = 17;
	assert_int_equal(wl_match(f->ix, q, BOTH), 30);
	q->host = NULL;
	assert_int_equal(wl_match(f->ix, q, BOTH), WL_ID_POS + 5);
	/* An empty index matches nothing. */
	f = fixture(state, "# nothing\n");
	assert_int_equal(wl_index_size(f->ix), 0);
	assert_int_equal(wl_match(f->ix, q, BOTH), 0);
	wl_index_free(NULL);
}

static void
test_check(void **state)
{
	struct wl_list l;
	char err[WL_ERR_MAX];
	const char *many[70];
	char names[70][8];
	struct wl_entry e;
	size_t i;

	(void)state;
	wl_list_init(&l);
	parse_ok(&l, "@web * any -\n\n@webs * any -\n@x * any -\n"
	    "@db * any -\n");
	assert_int_equal(wl_check(&l, "t.wl", groups, NGROUPS, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t.wl:3: unknown group @webs (and 1 more)");
	assert_int_equal(wl_check(&l, "t.wl", NULL, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "t.wl:1: unknown group @web (and 3 more)");
	wl_list_free(&l);
	parse_ok(&l, "@web * any -\n* * any -\n");
	assert_int_equal(wl_check(&l, "t.wl", groups, NGROUPS, err,
	    sizeof(err)), 0);
	e = line_ok("@mail * any -");
	assert_int_equal(wl_list_add(&l, &e), 0);	/* line 0: no file */
	assert_int_equal(wl_check(&l, "redis", groups, NGROUPS, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "redis: entry 3: unknown group @mail");
	wl_list_free(&l);
	/* A group past the 64th has no bit: it cannot match. */
	for (i = 0; i < 70; i++) {
		snprintf(names[i], sizeof(names[i]), "g%zu", i);
		many[i] = names[i];
	}
	parse_ok(&l, "@g63 * any - id=1\n@g64 * any - id=2\n");
	assert_int_equal(wl_check(&l, "t.wl", many, 70, err, sizeof(err)), -1);
	assert_string_equal(err, "t.wl:2: group @g64 is past the 64th [group] "
	    "and cannot match");
	{
		struct wl_index *ix = wl_index_build(&l, many, 70);
		struct qb b;
		struct wl_query *q = query(&b, NULL, 6, 1, NULL);

		assert_int_equal(wl_index_size(ix), 1);
		q->host_groups = UINT64_C(1) << 63;
		assert_int_equal(wl_match(ix, q, BOTH), 1);
		wl_index_free(ix);
	}
	wl_list_free(&l);
}

/* A small deterministic generator (xorshift). */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
random_addr(uint64_t *s, int v6, char *buf, size_t len)
{
	/* Few distinct values, so queries hit entries. */
	if (v6)
		snprintf(buf, len, "2001:db8:%x::%x", (unsigned)(rnd(s) % 4),
		    (unsigned)(rnd(s) % 4));
	else
		snprintf(buf, len, "10.%u.%u.%u", (unsigned)(rnd(s) % 3),
		    (unsigned)(rnd(s) % 3), (unsigned)(rnd(s) % 4));
}

static void
random_entry(uint64_t *s, char *line, size_t len)
{
	static const char *const svcs[] = { "tcp/22", "tcp/443", "udp/53",
	    "tcp/*", "udp/*", "app:TLS", "app:dns", "*" };
	static const char *const wheres[] = { "any", "AS1", "AS2", "NL", "us",
	    "198.51.100.0/24", "198.51.100.1", "2001:db8:ff::/48", "*" };
	static const char *const exps[] = { "-", "-", "2027-01-14",
	    "2027-01-15", "2027-01-15T08:00:00Z", "2027-01-15T08:00:00.001Z" };
	static const char *const srcs[] = { "", "source=learned" };
	char who[64], a[48];
	int v6 = rnd(s) % 4 == 0, plen;

	switch (rnd(s) % 5) {
	case 0:
		random_addr(s, v6, who, sizeof(who));
		break;
	case 1:
		random_addr(s, v6, a, sizeof(a));
		plen = (int)(rnd(s) % (v6 ? 129 : 33));
		{
			struct flow_addr f;
			char t[64];
			unsigned i, full = v6 ? 128 : 32;

			flow_addr_parse(&f, a);
			for (i = (unsigned)plen; i < full; i++)
				f.a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
			snprintf(who, sizeof(who), "%s/%d",
			    flow_addr_str(&f, t, sizeof(t)), plen);
		}
		break;
	case 2:
		snprintf(who, sizeof(who), "@%s", rnd(s) % 4 ? groups[rnd(s) %
		    NGROUPS] : "nosuch");
		break;
	default:
		snprintf(who, sizeof(who), "*");
		break;
	}
	snprintf(line, len, "%s %s %s %s %s\n", who, svcs[rnd(s) % 8],
	    wheres[rnd(s) % 9], exps[rnd(s) % 6], srcs[rnd(s) % 2]);
}

/* wl_match agrees with a linear scan of wl_entry_allows. */
static void
test_match_random(void **state)
{
	static const char *const apps[] = { "", "tls", "DNS", "ssh" };
	static const char *const countries[] = { "", "NL", "US", "DE" };
	static const uint8_t protos[] = { 6, 17, 1 };
	static const uint16_t ports[] = { 22, 443, 53, 80 };
	struct fx *f;
	struct wl_query *q;
	uint64_t s = 88172645463325252ULL, got, want;
	char *text, line[256], host[64], remote[64];
	size_t i, j, off = 0, hits = 0;
	unsigned mask;

	text = calloc(2000, 256);
	assert_non_null(text);
	for (i = 0; i < 2000; i++) {
		random_entry(&s, line, sizeof(line));
		memcpy(text + off, line, strlen(line));
		off += strlen(line);
	}
	f = fixture(state, text);
	free(text);
	for (i = 0; i < 50000; i++) {
		random_addr(&s, rnd(&s) % 4 == 0, host, sizeof(host));
		snprintf(remote, sizeof(remote), rnd(&s) % 2 ? "198.51.100.%u" :
		    "2001:db8:ff::%u", (unsigned)(rnd(&s) % 3));
		q = query(&f->b, host, protos[rnd(&s) % 3], ports[rnd(&s) % 4],
		    remote);
		q->host_groups = rnd(&s) & 7;
		q->app = apps[rnd(&s) % 4];
		q->country = countries[rnd(&s) % 4];
		q->asn = (uint32_t)(rnd(&s) % 3);
		q->now_ms = NOW - DAY + rnd(&s) % 3 * DAY / 2 + rnd(&s) % 3 - 1;
		mask = (unsigned)(rnd(&s) % 4);
		want = 0;
		for (j = 0; j < f->l.n; j++)
			if ((mask >> f->l.v[j].source & 1) &&
			    wl_entry_allows(&f->l.v[j], q, groups, NGROUPS)) {
				want = f->l.v[j].id ? f->l.v[j].id :
				    WL_ID_POS + j;
				break;
			}
		got = wl_match(f->ix, q, mask);
		if (got != want)
			fail_msg("query %zu: got %llu, want %llu", i,
			    (unsigned long long)got, (unsigned long long)want);
		hits += got != 0;
	}
	assert_true(hits > 5000);		/* the test tests something */
}

/* 100000 entries: build, and every one found by its own query. */
static void
test_large(void **state)
{
	struct wl_list l;
	struct wl_index *ix;
	struct wl_entry e;
	struct qb b;
	struct wl_query *q;
	char line[128];
	size_t i, n = 100000;

	(void)state;
	wl_list_init(&l);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "10.%zu.%zu.%zu tcp/%zu "
		    "198.51.100.%zu - id=%zu", i >> 16 & 255, i >> 8 & 255,
		    i & 255, 1000 + i % 7, i % 250, i + 1);
		e = line_ok(line);
		assert_int_equal(wl_list_add(&l, &e), 0);
	}
	e = line_ok("10.0.0.0/8 udp/53 any - id=999999");
	assert_int_equal(wl_list_add(&l, &e), 0);
	ix = wl_index_build(&l, groups, NGROUPS);
	assert_non_null(ix);
	assert_int_equal(wl_index_size(ix), n + 1);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "10.%zu.%zu.%zu", i >> 16 & 255,
		    i >> 8 & 255, i & 255);
		q = query(&b, line, 6, (uint16_t)(1000 + i % 7), NULL);
		snprintf(line, sizeof(line), "198.51.100.%zu", i % 250);
		assert_int_equal(flow_addr_parse(&b.remote, line), 0);
		q->remote = &b.remote;
		if (wl_match(ix, q, BOTH) != i + 1)
			fail_msg("entry %zu not found", i);
		q->port++;
		assert_int_equal(wl_match(ix, q, BOTH), 0);
		q->proto = 17;
		q->port = 53;
		assert_int_equal(wl_match(ix, q, BOTH), 999999);
	}
	wl_index_free(ix);
	wl_list_free(&l);
}

/* The shipped example parses and is written back as it is. */
static void
test_example_file(void **state)
{
	const char *top = getenv("FS_SRCDIR");
	char path[4096], err[WL_ERR_MAX], *text, *out;
	struct wl_list l;
	size_t len = 0;
	FILE *fp;

	(void)state;
	if (top == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/whitelist/example.wl", top);
	wl_list_init(&l);
	if (wl_parse_file(&l, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(l.n, 3);
	assert_int_equal(wl_check(&l, path, NULL, 0, err, sizeof(err)), 0);
	assert_non_null(fp = fopen(path, "r"));
	text = calloc(1, 65536);
	assert_non_null(text);
	len = fread(text, 1, 65535, fp);
	fclose(fp);
	assert_true(len > 0);
	out = format(&l);
	assert_string_equal(out, text);
	free(out);
	free(text);
	wl_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_line_errors),
		cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_entry_errors),
		cmocka_unit_test(test_roundtrip_exact),
		cmocka_unit_test(test_roundtrip_normalise),
		cmocka_unit_test(test_parse_append),
		cmocka_unit_test(test_format_entry),
		cmocka_unit_test(test_list),
		cmocka_unit_test_teardown(test_match_who, teardown),
		cmocka_unit_test_teardown(test_match_service, teardown),
		cmocka_unit_test_teardown(test_match_where, teardown),
		cmocka_unit_test_teardown(test_match_expiry_sources, teardown),
		cmocka_unit_test_teardown(test_first_in_order, teardown),
		cmocka_unit_test(test_check),
		cmocka_unit_test_teardown(test_match_random, teardown),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_example_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
