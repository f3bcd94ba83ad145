/*
 * wl_entry.c - one entry: is it writable, are two equal, does it allow a
 * record; and the list's group check.
 *
 * DESIGN
 * wl_entry_check is the parser's grammar seen from the struct: what the
 * parser can produce is exactly what it accepts, so wl_format refuses an
 * entry built in code that would not read back as itself (a comment with
 * a newline or ending in "id=3", a prefix with host bits, a port on gre).
 *
 * wl_entry_allows is the plain, linear meaning of an entry, which the
 * index (wl_index.c) must agree with; both use wl_svc_allows and
 * wl_where_allows.  An entry of a kind it does not know allows nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wl_impl.h"

static int
addr_ok(enum wl_who who, const struct flow_addr *a, unsigned len)
{
	return wl_prefix_ok(a, who == WL_WHO_HOST ? wl_full_len(a) : len);
}

/* The comment as wl_parse would give it back: no control, blank edges. */
static int
comment_ok(const char *c, char *err, size_t errlen)
{
	size_t n = strnlen(c, WL_TEXT_MAX), i, start, kl;

	if (n == WL_TEXT_MAX)
		return wl_err(err, errlen, "comment too long");
	for (i = 0; i < n; i++)
		if (((unsigned char)c[i] < ' ' && c[i] != '\t') || c[i] == 0x7f)
			return wl_err(err, errlen, "control character in "
			    "comment");
	if (n > 0 && (wl_blank(c[0]) || wl_blank(c[n - 1])))
		return wl_err(err, errlen, "comment starts or ends with a "
		    "blank");
	for (start = n; start > 0 && !wl_blank(c[start - 1]); start--)
		;
	if (start < n && wl_meta_key(c + start, n - start, &kl) != WL_META_NONE)
		return wl_err(err, errlen, "comment ends in a metadata word");
	return 0;
}

int
wl_entry_check(const struct wl_entry *e, char *err, size_t errlen)
{
	char t[WL_TIME_LEN];

	if ((e->who == WL_WHO_HOST || e->who == WL_WHO_NET) &&
	    !addr_ok(e->who, &e->who_addr, e->who_len))
		return wl_err(err, errlen, "bad host address or prefix");
	if (e->who == WL_WHO_GROUP && !wl_group_name_ok(e->group))
		return wl_err(err, errlen, "bad group name");
	if (e->who < WL_WHO_HOST || e->who > WL_WHO_ANY)
		return wl_err(err, errlen, "bad kind of host");
	if (e->svc == WL_SVC_PORT && !wl_proto_has_ports(e->proto))
		return wl_err(err, errlen, "protocol %u has no ports",
		    e->proto);
	if (e->svc == WL_SVC_APP && !wl_word_ok(e->app, sizeof(e->app)))
		return wl_err(err, errlen, "bad application name");
	if (e->svc < WL_SVC_PORT || e->svc > WL_SVC_ANY)
		return wl_err(err, errlen, "bad kind of service");
	if (e->where == WL_WHERE_NET &&
	    !addr_ok(WL_WHO_NET, &e->where_addr, e->where_len))
		return wl_err(err, errlen, "bad destination address or prefix");
	if (e->where == WL_WHERE_ASN && e->asn == 0)
		return wl_err(err, errlen, "AS number 0");
	if (e->where == WL_WHERE_COUNTRY &&
	    (!isupper((unsigned char)e->country[0]) ||
	    !isupper((unsigned char)e->country[1]) || e->country[2] != '\0'))
		return wl_err(err, errlen, "bad country code");
	if (e->where < WL_WHERE_NET || e->where > WL_WHERE_ANY)
		return wl_err(err, errlen, "bad kind of destination");
	if (e->expires_ms != 0 && wl_time_format(e->expires_ms, 1, t) != 0)
		return wl_err(err, errlen, "expiry out of range");
	if (e->created_ms != 0 && wl_time_format(e->created_ms, 0, t) != 0)
		return wl_err(err, errlen, "created= out of range");
	if (e->source != WL_SRC_STAFF && e->source != WL_SRC_LEARNED)
		return wl_err(err, errlen, "bad source");
	if (e->author[0] && !wl_word_ok(e->author, sizeof(e->author)))
		return wl_err(err, errlen, "bad author");
	if (e->id >= WL_ID_POS)
		return wl_err(err, errlen, "id out of range");
	return comment_ok(e->comment, err, errlen);
}

static int
addr_eq(const struct flow_addr *a, unsigned alen, const struct flow_addr *b,
    unsigned blen)
{
	return flow_addr_eq(a, b) && alen == blen;
}

int
wl_entry_eq(const struct wl_entry *a, const struct wl_entry *b)
{
	if (a->who != b->who || a->svc != b->svc || a->where != b->where)
		return 0;
	if ((a->who == WL_WHO_HOST && !addr_eq(&a->who_addr, 0, &b->who_addr,
	    0)) || (a->who == WL_WHO_NET && !addr_eq(&a->who_addr, a->who_len,
	    &b->who_addr, b->who_len)) || (a->who == WL_WHO_GROUP &&
	    strncmp(a->group, b->group, sizeof(a->group)) != 0))
		return 0;
	if ((a->svc == WL_SVC_PORT || a->svc == WL_SVC_PROTO) &&
	    (a->proto != b->proto || (a->svc == WL_SVC_PORT &&
	    a->port != b->port)))
		return 0;
	if (a->svc == WL_SVC_APP && strncmp(a->app, b->app, sizeof(a->app)))
		return 0;
	if ((a->where == WL_WHERE_NET && !addr_eq(&a->where_addr,
	    a->where_len, &b->where_addr, b->where_len)) ||
	    (a->where == WL_WHERE_ASN && a->asn != b->asn) ||
	    (a->where == WL_WHERE_COUNTRY &&
	    strncmp(a->country, b->country, sizeof(a->country)) != 0))
		return 0;
	return a->expires_ms == b->expires_ms &&
	    a->created_ms == b->created_ms && a->source == b->source &&
	    a->id == b->id &&
	    strncmp(a->author, b->author, sizeof(a->author)) == 0 &&
	    strncmp(a->comment, b->comment, sizeof(a->comment)) == 0 &&
	    strcmp(a->pre ? a->pre : "", b->pre ? b->pre : "") == 0;
}

int
wl_svc_allows(enum wl_svc svc, uint8_t proto, uint16_t port,
    const char *app, const struct wl_query *q)
{
	switch (svc) {
	case WL_SVC_PORT:
		return q->proto == proto && q->port == port;
	case WL_SVC_PROTO:
		return q->proto == proto;
	case WL_SVC_APP:
		return q->app != NULL && *q->app != '\0' &&
		    strnlen(app, WL_APP_LEN) < WL_APP_LEN &&
		    strcasecmp(app, q->app) == 0;
	case WL_SVC_ANY:
		return 1;
	}
	return 0;
}

int
wl_where_allows(enum wl_where where, const struct flow_addr *net,
    unsigned len, uint32_t asn, const char *country,
    const struct wl_query *q)
{
	switch (where) {
	case WL_WHERE_NET:
		return q->remote != NULL &&
		    wl_prefix_match(net, len, q->remote);
	case WL_WHERE_ASN:
		return q->asn != 0 && q->asn == asn;
	case WL_WHERE_COUNTRY:
		return q->country != NULL && country[0] != '\0' &&
		    strncasecmp(country, q->country, 3) == 0;
	case WL_WHERE_ANY:
		return 1;
	}
	return 0;
}

int
wl_entry_allows(const struct wl_entry *e, const struct wl_query *q,
    const char *const *groups, size_t ngroups)
{
	int bit;

	if (e->expires_ms != 0 && e->expires_ms <= q->now_ms)
		return 0;
	switch (e->who) {
	case WL_WHO_HOST:
		if (q->host == NULL || !wl_prefix_match(&e->who_addr,
		    wl_full_len(&e->who_addr), q->host))
			return 0;
		break;
	case WL_WHO_NET:
		if (q->host == NULL ||
		    !wl_prefix_match(&e->who_addr, e->who_len, q->host))
			return 0;
		break;
	case WL_WHO_GROUP:
		bit = wl_group_bit(e->group, groups, ngroups);
		if (bit < 0 || !(q->host_groups >> bit & 1))
			return 0;
		break;
	case WL_WHO_ANY:
		break;
	default:
		return 0;
	}
	return wl_svc_allows(e->svc, e->proto, e->port, e->app, q) &&
	    wl_where_allows(e->where, &e->where_addr, e->where_len, e->asn,
	    e->country, q);
}

int
wl_check(const struct wl_list *l, const char *name,
    const char *const *groups, size_t ngroups, char *err, size_t errlen)
{
	const struct wl_entry *bad = NULL;
	size_t i, j, more = 0;
	char where[32], rest[48] = "";

	for (i = 0; i < l->n; i++)
		if (l->v[i].who == WL_WHO_GROUP &&
		    wl_group_bit(l->v[i].group, groups, ngroups) < 0) {
			if (bad == NULL)
				bad = &l->v[i];
			else
				more++;
		}
	if (bad == NULL)
		return 0;
	if (bad->line > 0)
		snprintf(where, sizeof(where), "%d", bad->line);
	else
		snprintf(where, sizeof(where), " entry %zu",
		    (size_t)(bad - l->v) + 1);
	if (more)
		snprintf(rest, sizeof(rest), " (and %zu more)", more);
	for (j = 0; j < ngroups; j++)
		if (groups[j] != NULL &&
		    strncmp(groups[j], bad->group, sizeof(bad->group)) == 0)
			return wl_err(err, errlen, "%s:%s: group @%.*s is past "
			    "the 64th [group] and cannot match%s", name, where,
			    (int)sizeof(bad->group), bad->group, rest);
	return wl_err(err, errlen, "%s:%s: unknown group @%.*s%s", name, where,
	    (int)sizeof(bad->group), bad->group, rest);
}
