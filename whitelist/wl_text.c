/*
 * wl_text.c - a whole whitelist file: lines, comments, ids.
 *
 * DESIGN
 * The text is read line by line (LF or CRLF; a last line without a
 * newline counts).  Comment lines (first non-blank character '#') and
 * blank lines gather in a buffer, trailing blanks cut, and go with the
 * next entry as its `pre`, or at the end into the list's trailer; the
 * header line wl_format writes ("# who service where expires comment", in
 * any spacing) is dropped wherever it is, so an export read back does not
 * grow a second one.  What the list held before is kept: its trailer is
 * where this text's first comments continue, so parsing two texts one
 * after the other is parsing them joined.
 *
 * Ids (id=) must be unique across the list: a repeated one is an error
 * at the later line, handled like a bad line there (the list keeps what
 * came before it).  It is checked once, at the end or at the first bad
 * line, whose error it replaces when it comes before it.
 *
 * wl_parse_file reads at most FILE_MAX bytes: a regular file larger than
 * that is refused by its size, before it is read; anything else (a pipe,
 * a device) when its FILE_MAX + 1st byte arrives.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_impl.h"

#define FILE_MAX	(256u << 20)	/* bytes of one whitelist file */

struct sbuf {
	char	*p;
	size_t	 n, cap;
};

/* Append s[0..n) and a newline; 0 or -1. */
static int
sb_line(struct sbuf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->n + n + 2 > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->n + n + 2)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n++] = '\n';
	b->p[b->n] = '\0';
	return 0;
}

/* The buffer's text for an entry's pre or the trailer: NULL if empty. */
static char *
sb_take(struct sbuf *b)
{
	char *p = b->p;

	if (b->n == 0) {
		free(p);
		p = NULL;
	}
	memset(b, 0, sizeof(*b));
	return p;
}

int
wl_is_header(const char *p, size_t n)
{
	static const char *const words[] = { "who", "service", "where",
	    "expires", "comment" };
	const char *end = p + n;
	size_t i, wl;

	while (p < end && wl_blank(*p))
		p++;
	if (p == end || *p++ != '#')
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		while (p < end && wl_blank(*p))
			p++;
		for (wl = 0; p + wl < end && !wl_blank(p[wl]); wl++)
			;
		if (wl != strlen(words[i]) || memcmp(p, words[i], wl) != 0)
			return 0;
		p += wl;
	}
	while (p < end && wl_blank(*p))
		p++;
	return p == end;
}

int
wl_comment_line(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && wl_blank(p[i]); i++)
		;
	return i == n || p[i] == '#';
}

size_t
wl_trim(const char *p, size_t n)
{
	while (n > 0 && (wl_blank(p[n - 1]) || p[n - 1] == '\r'))
		n--;
	return n;
}

struct idpos {
	uint64_t	id;
	size_t		i;
};

static int
idpos_cmp(const void *a, const void *b)
{
	const struct idpos *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Cut the list back to entry `bad`, its comments becoming the trailer. */
static void
cut(struct wl_list *l, size_t bad)
{
	size_t i;

	free(l->trailer);
	l->trailer = l->v[bad].pre;
	l->v[bad].pre = NULL;
	for (i = bad; i < l->n; i++)
		free(l->v[i].pre);
	l->n = bad;
}

/* Entries from `start` on must not repeat an id; 0 or -1 (list cut). */
static int
unique_ids(struct wl_list *l, size_t start, const char *name, char *err,
    size_t errlen)
{
	struct idpos *a;
	size_t i, m = 0, bad = SIZE_MAX, other = 0;

	for (i = 0; i < l->n; i++)
		m += l->v[i].id != 0;
	if (m < 2)
		return 0;
	if ((a = calloc(m, sizeof(*a))) == NULL)
		return wl_err(err, errlen, "%s: out of memory",
		    name);		/* errcov: untestable */
	for (i = 0, m = 0; i < l->n; i++)
		if (l->v[i].id != 0) {
			a[m].id = l->v[i].id;
			a[m++].i = i;
		}
	qsort(a, m, sizeof(*a), idpos_cmp);
	for (i = 1; i < m; i++)
		if (a[i].id == a[i - 1].id && a[i].i >= start && a[i].i < bad) {
			bad = a[i].i;
			other = a[i - 1].i;
		}
	free(a);
	if (bad == SIZE_MAX)
		return 0;
	if (other >= start)
		wl_err(err, errlen, "%s:%d: duplicate id=%llu (also on line "
		    "%d)", name, l->v[bad].line,
		    (unsigned long long)l->v[bad].id, l->v[other].line);
	else
		wl_err(err, errlen, "%s:%d: duplicate id=%llu (already in the "
		    "list)", name, l->v[bad].line,
		    (unsigned long long)l->v[bad].id);
	cut(l, bad);
	return -1;
}

int
wl_parse(struct wl_list *l, const char *name, const char *text, char *err,
    size_t errlen)
{
	struct sbuf pend;
	struct wl_entry e;
	const char *line, *eol;
	char why[WL_ERR_MAX];
	size_t n, start = l->n;
	int lineno = 0;

	memset(&pend, 0, sizeof(pend));
	if (l->trailer != NULL) {		/* this text continues it */
		pend.p = l->trailer;
		pend.n = strlen(pend.p);
		pend.cap = pend.n + 1;
		l->trailer = NULL;
	}
	for (line = text; *line; line = *eol ? eol + 1 : eol) {
		lineno++;
		if ((eol = strchr(line, '\n')) == NULL)
			eol = line + strlen(line);
		n = wl_trim(line, (size_t)(eol - line));
		if (wl_comment_line(line, n)) {
			if (!wl_is_header(line, n) && sb_line(&pend, line, n))
				goto nomem;
			continue;
		}
		if (wl_parse_span(&e, line, n, why, sizeof(why)) != 0) {
			wl_err(err, errlen, "%s:%d: %s", name, lineno, why);
			goto fail;
		}
		e.line = lineno;
		e.pre = pend.p;
		if (wl_list_push(l, &e) != 0)
			goto nomem;
		memset(&pend, 0, sizeof(pend));
	}
	l->trailer = sb_take(&pend);
	return unique_ids(l, start, name, err, errlen);
nomem:
	wl_err(err, errlen, "%s:%d: out of memory", name,
	    lineno);			/* errcov: untestable */
fail:
	l->trailer = sb_take(&pend);
	unique_ids(l, start, name, err, errlen);	/* an earlier error */
	return -1;
}

int
wl_parse_file(struct wl_list *l, const char *path, char *err, size_t errlen)
{
	FILE *fp;
	struct stat st;
	char *buf = NULL, *p, *nul;
	size_t n = 0, cap = 0, r;
	int rc = -1, line = 1;

	if ((fp = fopen(path, "re")) == NULL)
		return wl_err(err, errlen, "%s: %s", path, strerror(errno));
	/* A regular file says how large it is: a big one is not read. */
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) &&
	    (uintmax_t)st.st_size > FILE_MAX)
		goto large;
	for (;;) {
		if (n == cap) {
			if (cap > FILE_MAX)	/* FILE_MAX + 1 bytes read */
				goto large;
			cap = cap ? cap * 2 : 65536;
			if (cap > FILE_MAX)
				cap = FILE_MAX + 1;
			if ((p = realloc(buf, cap + 1)) == NULL) {
				wl_err(err, errlen, "%s: out of memory",
				    path);	/* errcov: untestable */
				goto out;
			}
			buf = p;
		}
		if ((r = fread(buf + n, 1, cap - n, fp)) == 0)
			break;
		n += r;
	}
	if (ferror(fp)) {
		wl_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	if ((nul = memchr(buf, '\0', n)) != NULL) {
		for (p = buf; p < nul; p++)
			line += *p == '\n';
		wl_err(err, errlen, "%s:%d: NUL byte", path, line);
		goto out;
	}
	rc = wl_parse(l, path, buf, err, errlen);
	goto out;
large:
	wl_err(err, errlen, "%s: larger than %u MiB", path, FILE_MAX >> 20);
out:
	free(buf);
	fclose(fp);
	return rc;
}
