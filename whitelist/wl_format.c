/*
 * wl_format.c - entries and lists back into the text format.
 *
 * DESIGN
 * The inverse of the parser, field by field, in one spelling per value:
 * lower-case protocol names (a number when the protocol has none), "any"
 * for any destination, an address without "/32" or "/128" where a
 * destination is one host, a midnight expiry as the date before it, times
 * in UTC.  Metadata follow the comment in a fixed order, author= created=
 * source= id=, each only when set (source= only when learned: staff is
 * the default).  So parse(format(parse(x))) is parse(x), and a file that
 * is already in this form is written back byte for byte.
 *
 * Columns: who, service, where and expires are padded to the widest value
 * in the list plus two, and at least to the widths of the header line
 * (16, 11, 18, 12), so a list aligns and a usual one keeps the widths of
 * the example in wl.h; wl_format_entry, which sees one entry, uses those
 * minimums.  No trailing blanks.  An entry that would not read back the
 * same (wl_entry_check) is refused rather than written.
 */
#include <stdio.h>
#include <string.h>

#include "wl_impl.h"

static const size_t minw[4] = { 16, 11, 18, 12 };

/* The four fixed columns of one entry as text. */
struct cols {
	char	who[WL_NAME_MAX + 2];
	char	svc[48];
	char	where[64];
	char	exp[WL_TIME_LEN];
};

/* An address and "/len", or bare when asked and len is the full length. */
static void
addr_text(const struct flow_addr *a, unsigned len, int bare, char *buf,
    size_t n)
{
	char s[48];

	flow_addr_str(a, s, sizeof(s));
	if (bare && len == wl_full_len(a))
		snprintf(buf, n, "%s", s);
	else
		snprintf(buf, n, "%s/%u", s, len);
}

/* e has passed wl_entry_check. */
static void
columns(const struct wl_entry *e, struct cols *c)
{
	const char *pn = wl_proto_name(e->proto);
	char num[4];

	if (e->who == WL_WHO_ANY)
		snprintf(c->who, sizeof(c->who), "*");
	else if (e->who == WL_WHO_GROUP)
		snprintf(c->who, sizeof(c->who), "@%s", e->group);
	else
		addr_text(&e->who_addr, e->who == WL_WHO_HOST ?
		    wl_full_len(&e->who_addr) : e->who_len,
		    e->who == WL_WHO_HOST, c->who, sizeof(c->who));
	if (pn == NULL) {
		snprintf(num, sizeof(num), "%u", e->proto);
		pn = num;
	}
	if (e->svc == WL_SVC_ANY)
		snprintf(c->svc, sizeof(c->svc), "*");
	else if (e->svc == WL_SVC_APP)
		snprintf(c->svc, sizeof(c->svc), "app:%s", e->app);
	else if (e->svc == WL_SVC_PROTO)
		snprintf(c->svc, sizeof(c->svc), "%s/*", pn);
	else
		snprintf(c->svc, sizeof(c->svc), "%s/%u", pn, e->port);
	if (e->where == WL_WHERE_ANY)
		snprintf(c->where, sizeof(c->where), "any");
	else if (e->where == WL_WHERE_ASN)
		snprintf(c->where, sizeof(c->where), "AS%u", e->asn);
	else if (e->where == WL_WHERE_COUNTRY)
		snprintf(c->where, sizeof(c->where), "%s", e->country);
	else
		addr_text(&e->where_addr, e->where_len, 1, c->where,
		    sizeof(c->where));
	if (e->expires_ms == 0)
		snprintf(c->exp, sizeof(c->exp), "-");
	else
		wl_time_format(e->expires_ms, 1, c->exp);
}

/* A bounded writer: the first overflow sticks. */
struct out {
	char	*p;
	size_t	 len, off;
	int	 err;
};

static void
put(struct out *o, const char *s, size_t pad)
{
	size_t n = strlen(s);

	if (o->err || o->len - o->off <= n + pad) {
		o->err = 1;
		return;
	}
	memcpy(o->p + o->off, s, n);
	memset(o->p + o->off + n, ' ', pad);
	o->off += n + pad;
	o->p[o->off] = '\0';
}

/* s padded to width w, at least two blanks after it. */
static void
put_col(struct out *o, const char *s, size_t w)
{
	size_t n = strlen(s);

	put(o, s, n + 2 > w ? 2 : w - n);
}

static int
format_line(const struct wl_entry *e, const size_t w[4], char *buf,
    size_t len)
{
	struct out o = { buf, len, 0, 0 };
	struct cols c;
	char meta[WL_NAME_MAX + 128], t[WL_TIME_LEN];
	size_t m = 0;

	if (len == 0 || wl_entry_check(e, NULL, 0) != 0)
		return -1;
	buf[0] = '\0';
	columns(e, &c);
	meta[0] = '\0';
	if (e->author[0])
		m += (size_t)snprintf(meta + m, sizeof(meta) - m, " author=%s",
		    e->author);
	if (e->created_ms && wl_time_format(e->created_ms, 0, t) == 0)
		m += (size_t)snprintf(meta + m, sizeof(meta) - m,
		    " created=%s", t);
	if (e->source == WL_SRC_LEARNED)
		m += (size_t)snprintf(meta + m, sizeof(meta) - m,
		    " source=learned");
	if (e->id)
		snprintf(meta + m, sizeof(meta) - m, " id=%llu",
		    (unsigned long long)e->id);
	put_col(&o, c.who, w[0]);
	put_col(&o, c.svc, w[1]);
	put_col(&o, c.where, w[2]);
	if (e->comment[0] == '\0' && meta[0] == '\0') {
		put(&o, c.exp, 0);
	} else {
		put_col(&o, c.exp, w[3]);
		put(&o, e->comment, 0);
		put(&o, e->comment[0] ? meta : meta + 1, 0);
	}
	return o.err ? -1 : (int)o.off;
}

int
wl_format_entry(const struct wl_entry *e, char *buf, size_t len)
{
	return format_line(e, minw, buf, len);
}

/* Comment lines as comment lines: a stray text line gets a "# ". */
static void
put_comments(const char *s, FILE *fp)
{
	const char *eol;
	size_t n;

	for (; s != NULL && *s; s = *eol ? eol + 1 : eol) {
		if ((eol = strchr(s, '\n')) == NULL)
			eol = s + strlen(s);
		n = wl_trim(s, (size_t)(eol - s));
		if (wl_is_header(s, n))
			continue;
		fprintf(fp, "%s%.*s\n", wl_comment_line(s, n) ? "" : "# ",
		    (int)n, s);
	}
}

int
wl_format(const struct wl_list *l, FILE *fp)
{
	static const char *const head[4] = { "# who", "service", "where",
	    "expires" };
	char line[WL_LINE_MAX];
	struct cols c;
	size_t w[4], i, k, n[4];

	memcpy(w, minw, sizeof(w));
	for (i = 0; i < l->n; i++) {
		if (wl_entry_check(&l->v[i], NULL, 0) != 0)
			return -1;
		columns(&l->v[i], &c);
		n[0] = strlen(c.who);
		n[1] = strlen(c.svc);
		n[2] = strlen(c.where);
		n[3] = strlen(c.exp);
		for (k = 0; k < 4; k++)
			if (n[k] + 2 > w[k])
				w[k] = n[k] + 2;
	}
	for (k = 0; k < 4; k++)
		fprintf(fp, "%-*s", (int)w[k], head[k]);
	fprintf(fp, "comment\n");
	for (i = 0; i < l->n; i++) {
		put_comments(l->v[i].pre, fp);
		if (format_line(&l->v[i], w, line, sizeof(line)) < 0)
			return -1;
		fprintf(fp, "%s\n", line);
	}
	put_comments(l->trailer, fp);
	return ferror(fp) ? -1 : 0;
}
