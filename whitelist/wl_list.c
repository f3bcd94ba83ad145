/*
 * wl_list.c - the editable whitelist: an array of entries in file order.
 *
 * DESIGN
 * The list owns its entries' comment texts (pre) and its trailer; an
 * entry's other fields are plain values.  Order is the only order there
 * is: wl_format writes it, wl_match's "first entry" means first in it, so
 * adding appends and removing closes the gap.
 *
 * Removing an entry removes the comment lines just above it, which speak
 * of it, but not a paragraph before those (up to and including the last
 * blank line of its pre), which speaks of a section: that part moves to
 * the entry that now follows, or to the trailer.
 */
#include <stdlib.h>
#include <string.h>

#include "wl_impl.h"

void
wl_list_init(struct wl_list *l)
{
	memset(l, 0, sizeof(*l));
}

void
wl_list_free(struct wl_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].pre);
	free(l->v);
	free(l->trailer);
	wl_list_init(l);
}

int
wl_list_push(struct wl_list *l, const struct wl_entry *e)
{
	struct wl_entry *v;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 16;
		if (cap > SIZE_MAX / sizeof(*v) ||
		    (v = realloc(l->v, cap * sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

int
wl_list_add(struct wl_list *l, const struct wl_entry *e)
{
	struct wl_entry c = *e;

	if (e->pre != NULL && (c.pre = strdup(e->pre)) == NULL)
		return -1;
	if (wl_list_push(l, &c) != 0) {
		free(c.pre);
		return -1;
	}
	return 0;
}

/* Bytes of pre up to and including its last blank line (0: none). */
static size_t
section_part(const char *pre)
{
	const char *line = pre, *eol;
	size_t keep = 0;

	for (; *line; line = *eol ? eol + 1 : eol) {
		if ((eol = strchr(line, '\n')) == NULL)
			eol = line + strlen(line);
		if (wl_trim(line, (size_t)(eol - line)) == 0)
			keep = (size_t)(eol - pre) + (*eol != '\0');
	}
	return keep;
}

/* Put pre[0..n) in front of *dst. */
static void
prepend(char **dst, const char *pre, size_t n)
{
	size_t dn = *dst ? strlen(*dst) : 0;
	char *p;

	if (n == 0 || (p = malloc(n + dn + 1)) == NULL)
		return;			/* without memory it goes */
	memcpy(p, pre, n);
	if (dn)
		memcpy(p + n, *dst, dn);
	p[n + dn] = '\0';
	free(*dst);
	*dst = p;
}

int
wl_list_remove(struct wl_list *l, uint64_t id)
{
	struct wl_entry *e;
	size_t i;

	if (id == 0)
		return -1;
	for (i = 0; i < l->n && l->v[i].id != id; i++)
		;
	if (i == l->n)
		return -1;
	e = &l->v[i];
	if (e->pre != NULL)
		prepend(i + 1 < l->n ? &l->v[i + 1].pre : &l->trailer, e->pre,
		    section_part(e->pre));
	free(e->pre);
	memmove(e, e + 1, (l->n - i - 1) * sizeof(*e));
	l->n--;
	return 0;
}
