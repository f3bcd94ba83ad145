/*
 * wl_parse.c - one whitelist line into a struct wl_entry.
 *
 * DESIGN
 * A line is four blank-separated fields (who service where expires) and
 * the rest, the comment.  Each field has one parser that either fills its
 * part of the entry or says why not, naming the word it was given, so a
 * message reads "bad service 'tcp/99999': port out of range" without the
 * caller knowing the grammar.  The comment's trailing words are metadata
 * (author= created= source= id=) when they start with one of those keys:
 * they are taken off from the end, one by one, so metadata words inside
 * the text stay text.  A metadata word with a bad value, or one given
 * twice, is an error rather than text, so a typo is not silently kept.
 *
 * Blanks are space and tab only; any other control character in a field
 * makes it bad, and in the comment it is an error, so a comment never
 * carries a line break into a file, a log line or Redis.  No allocation.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wl_impl.h"

#define WORD_MAX	128	/* longer than any valid field */

/* Digits only, value <= max; 0 or -1. */
static int
number(const char *s, uint64_t max, uint64_t *v)
{
	*v = 0;
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (*v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(*s - '0');
	}
	return 0;
}

/*
 * ADDR or ADDR/LEN: 0 with the prefix, 1 when s is not an address at all
 * (the caller says what it expected), -1 with the reason.
 */
static int
prefix(const char *s, struct flow_addr *a, uint8_t *len, int *slashed,
    char *err, size_t errlen)
{
	char buf[WORD_MAX];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t v;

	if (n >= sizeof(buf))
		return 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (flow_addr_parse(a, buf) != 0)
		return 1;
	*slashed = slash != NULL;
	*len = (uint8_t)wl_full_len(a);
	if (slash == NULL)
		return 0;
	if (strlen(slash + 1) > 3 || number(slash + 1, wl_full_len(a), &v))
		return wl_err(err, errlen, "bad prefix length in '%s'", s);
	*len = (uint8_t)v;
	if (!wl_prefix_ok(a, *len))
		return wl_err(err, errlen, "host bits set in %s", s);
	return 0;
}

static int
parse_who(struct wl_entry *e, const char *s, char *err, size_t errlen)
{
	int rc, slashed;

	if (strcmp(s, "*") == 0) {
		e->who = WL_WHO_ANY;
		return 0;
	}
	if (*s == '@') {
		if (!wl_group_name_ok(s + 1))
			return wl_err(err, errlen, "bad group '%s': a name is "
			    "1-63 letters, digits, '-', '_' and '.'", s);
		e->who = WL_WHO_GROUP;
		memcpy(e->group, s + 1, strlen(s + 1) + 1);
		return 0;
	}
	rc = prefix(s, &e->who_addr, &e->who_len, &slashed, err, errlen);
	if (rc > 0)
		return wl_err(err, errlen, "bad host '%s': expected an "
		    "address, a prefix, @group or *", s);
	if (rc < 0)
		return -1;
	e->who = slashed ? WL_WHO_NET : WL_WHO_HOST;
	return 0;
}

static int
parse_proto_port(struct wl_entry *e, const char *s, const char *slash,
    char *err, size_t errlen)
{
	char name[WORD_MAX];
	const char *pn;
	uint64_t v;

	memcpy(name, s, (size_t)(slash - s));
	name[slash - s] = '\0';
	if (wl_proto_parse(name, &e->proto) != 0) {
		if (number(name, UINT64_MAX, &v) == 0)
			return wl_err(err, errlen, "bad service '%s': protocol "
			    "out of range", s);
		return wl_err(err, errlen, "unknown protocol '%s'", name);
	}
	if (strcmp(slash + 1, "*") == 0) {
		e->svc = WL_SVC_PROTO;
		return 0;
	}
	if (strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
	    slash[1] == '\0')
		return wl_err(err, errlen, "bad service '%s': port is not a "
		    "number", s);
	if (number(slash + 1, 65535, &v) != 0)
		return wl_err(err, errlen, "bad service '%s': port out of "
		    "range", s);
	if (!wl_proto_has_ports(e->proto)) {
		if ((pn = wl_proto_name(e->proto)) != NULL)
			return wl_err(err, errlen, "bad service '%s': %s has "
			    "no ports", s, pn);
		return wl_err(err, errlen, "bad service '%s': protocol %u has "
		    "no ports", s, e->proto);
	}
	e->svc = WL_SVC_PORT;
	e->port = (uint16_t)v;
	return 0;
}

static int
parse_service(struct wl_entry *e, const char *s, char *err, size_t errlen)
{
	const char *slash;
	uint8_t p;

	if (strcmp(s, "*") == 0) {
		e->svc = WL_SVC_ANY;
		return 0;
	}
	if (strncasecmp(s, "app:", 4) == 0) {
		if (!wl_word_ok(s + 4, sizeof(e->app)))
			return wl_err(err, errlen, "bad service '%s': an "
			    "application name is 1-31 characters", s);
		e->svc = WL_SVC_APP;
		memcpy(e->app, s + 4, strlen(s + 4) + 1);
		return 0;
	}
	if ((slash = strchr(s, '/')) != NULL)
		return parse_proto_port(e, s, slash, err, errlen);
	if (wl_proto_parse(s, &p) == 0)
		return wl_err(err, errlen, "bad service '%s': expected %s/PORT "
		    "or %s/*", s, s, s);
	return wl_err(err, errlen, "bad service '%s': expected PROTO/PORT, "
	    "PROTO/*, app:NAME or *", s);
}

static int
parse_where(struct wl_entry *e, const char *s, char *err, size_t errlen)
{
	uint64_t v;
	int rc, slashed;

	if (strcasecmp(s, "any") == 0 || strcmp(s, "*") == 0) {
		e->where = WL_WHERE_ANY;
		return 0;
	}
	if (toupper((unsigned char)s[0]) == 'A' &&
	    toupper((unsigned char)s[1]) == 'S' &&
	    isdigit((unsigned char)s[2])) {
		if (strlen(s) > 12 || number(s + 2, UINT32_MAX, &v) || v == 0)
			return wl_err(err, errlen, "bad AS number '%s': "
			    "expected AS1 to AS4294967295", s);
		e->where = WL_WHERE_ASN;
		e->asn = (uint32_t)v;
		return 0;
	}
	if (isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
	    s[2] == '\0') {
		e->where = WL_WHERE_COUNTRY;
		e->country[0] = (char)toupper((unsigned char)s[0]);
		e->country[1] = (char)toupper((unsigned char)s[1]);
		e->country[2] = '\0';
		return 0;
	}
	rc = prefix(s, &e->where_addr, &e->where_len, &slashed, err, errlen);
	if (rc > 0)
		return wl_err(err, errlen, "bad destination '%s': expected "
		    "any, an address, a prefix, ASnnn or a two-letter country "
		    "code", s);
	if (rc < 0)
		return -1;
	e->where = WL_WHERE_NET;
	return 0;
}

static int
parse_expires(struct wl_entry *e, const char *s, char *err, size_t errlen)
{
	if (strcmp(s, "-") == 0) {
		e->expires_ms = 0;
		return 0;
	}
	if (wl_date_parse(s, &e->expires_ms) == 0 ||
	    wl_time_parse(s, &e->expires_ms) == 0)
		return 0;
	return wl_err(err, errlen, "bad expiry '%s': expected YYYY-MM-DD, an "
	    "RFC 3339 time (2027-01-01T12:00:00Z) or -", s);
}

/* One metadata word, key given; value is NUL-terminated. */
static int
parse_meta(struct wl_entry *e, enum wl_meta k, const char *v, char *err,
    size_t errlen)
{
	uint64_t n;

	switch (k) {
	case WL_META_AUTHOR:
		if (!wl_word_ok(v, sizeof(e->author)))
			return wl_err(err, errlen, "bad author= '%s': 1-63 "
			    "characters without blanks", v);
		memcpy(e->author, v, strlen(v) + 1);
		break;
	case WL_META_CREATED:
		if (wl_time_parse(v, &e->created_ms) != 0)
			return wl_err(err, errlen, "bad created= '%s': "
			    "expected an RFC 3339 time (2026-11-01T10:00:00Z)",
			    v);
		break;
	case WL_META_SOURCE:
		if (strcmp(v, "staff") == 0)
			e->source = WL_SRC_STAFF;
		else if (strcmp(v, "learned") == 0)
			e->source = WL_SRC_LEARNED;
		else
			return wl_err(err, errlen, "bad source= '%s': expected "
			    "staff or learned", v);
		break;
	case WL_META_ID:
		if (number(v, WL_ID_POS - 1, &n) != 0 || n == 0)
			return wl_err(err, errlen, "bad id= '%s': expected 1 "
			    "to %llu", v, (unsigned long long)(WL_ID_POS - 1));
		e->id = n;
		break;
	case WL_META_NONE:
		break;
	}
	return 0;
}

/* The rest of the line after expires: comment, then metadata words. */
static int
parse_comment(struct wl_entry *e, const char *p, size_t n, char *err,
    size_t errlen)
{
	static const char *const names[] = { "", "author=", "created=",
	    "source=", "id=" };
	char v[WORD_MAX];
	unsigned seen = 0;
	size_t i, start, kl;
	enum wl_meta k;

	for (i = 0; i < n; i++)
		if (((unsigned char)p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f)
			return wl_err(err, errlen, "control character in "
			    "comment");
	for (;;) {
		while (n > 0 && wl_blank(p[n - 1]))
			n--;
		for (start = n; start > 0 && !wl_blank(p[start - 1]); start--)
			;
		if (start == n || (k = wl_meta_key(p + start, n - start,
		    &kl)) == WL_META_NONE)
			break;
		if (seen & (1u << k))
			return wl_err(err, errlen, "%s given twice", names[k]);
		seen |= 1u << k;
		if (n - start - kl >= sizeof(v))
			return wl_err(err, errlen, "%s value too long",
			    names[k]);
		memcpy(v, p + start + kl, n - start - kl);
		v[n - start - kl] = '\0';
		if (parse_meta(e, k, v, err, errlen) != 0)
			return -1;
		n = start;
	}
	if (n >= sizeof(e->comment))
		return wl_err(err, errlen, "comment too long (%zu bytes at "
		    "most)", sizeof(e->comment) - 1);
	memcpy(e->comment, p, n);
	e->comment[n] = '\0';
	return 0;
}

int
wl_parse_span(struct wl_entry *e, const char *p, size_t n, char *err,
    size_t errlen)
{
	static int (*const field[])(struct wl_entry *, const char *, char *,
	    size_t) = { parse_who, parse_service, parse_where, parse_expires };
	static const char *const what[] = { "host", "service", "destination",
	    "expiry" };
	const char *end;
	char w[WORD_MAX];
	size_t i, wl;

	memset(e, 0, sizeof(*e));
	while (n > 0 && (wl_blank(p[n - 1]) || p[n - 1] == '\r' ||
	    p[n - 1] == '\n'))
		n--;
	end = p + n;
	for (i = 0; i < 4; i++) {
		while (p < end && wl_blank(*p))
			p++;
		for (wl = 0; p + wl < end && !wl_blank(p[wl]); wl++)
			;
		if (wl == 0)
			return wl_err(err, errlen, "too few fields: expected "
			    "who service where expires");
		if (i == 0 && *p == '#')
			return wl_err(err, errlen, "a comment, not an entry");
		if (wl >= sizeof(w))
			return wl_err(err, errlen, "bad %s '%.40s...': too "
			    "long", what[i], p);
		memcpy(w, p, wl);
		w[wl] = '\0';
		if (field[i](e, w, err, errlen) != 0)
			return -1;
		p += wl;
	}
	while (p < end && wl_blank(*p))
		p++;
	return parse_comment(e, p, (size_t)(end - p), err, errlen);
}

int
wl_parse_line(struct wl_entry *e, const char *line, char *err,
    size_t errlen)
{
	return wl_parse_span(e, line, strlen(line), err, errlen);
}
