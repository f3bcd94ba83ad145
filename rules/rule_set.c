/*
 * rule_set.c - the set after `in`: @NAME or [ items ], read as ports,
 * protocols, addresses, AS numbers, countries or application labels.
 *
 * DESIGN
 * A `list` is kept as its words until a rule uses it: the use decides
 * what the words are (`port in @x` reads them as ports, `dst in @x` as
 * addresses), so one list of numbers may serve as ports and as AS
 * numbers, and a word that does not fit is reported where the list
 * writes it.  The items of a set are first gathered (inline words, the
 * words of each @list, the bits of each @group) and then read into the
 * set's form, built once so that a match never walks the items: a bitmap
 * for ports and protocols (one bit test); for addresses, the ranges the
 * prefixes cover, per family, sorted, without those inside another, so
 * that they are disjoint and one binary search finds the only range
 * that may hold an address, whatever the prefixes' lengths; sorted
 * arrays for AS numbers and countries, and for labels in the order of
 * rule_app_cmp, searched by halves too.  @NAME means the config's [group
 * NAME] if there is one and the use is an address, else the rule files'
 * list NAME; so a rule file may define an empty `list mail-servers` as
 * the default of a group that a config may or may not have.  Sets belong
 * to the ruleset and are freed with it.
 *
 * What a load spends on sets is bounded whatever the files say: a list
 * used as `in @NAME` is read once per kind and the set shared by every
 * such use; the items read into sets (RULE_LOAD_ITEMS) and the memory of
 * the sets (RULE_LOAD_SET_BYTES) have a ceiling over the whole load; and
 * a port range fills its bitmap a byte at a time, so 0-65535 costs 8 KiB
 * of memset, not 65536 bit operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_int.h"

struct item {
	const struct rule_src	*f;
	const struct rule_tok	*t;
	const struct rule_list	*list;		/* NULL: written inline */
};

struct items {
	struct item	*v;
	size_t		 n, cap;
	uint64_t	 groups;
};

static int
item_err(struct rule_ld *ld, const struct item *i, const char *why)
{
	if (i->list)
		return rule_terr(ld, i->f, i->t, "list %s: %s", i->list->name,
		    why);
	return rule_terr(ld, i->f, i->t, "%s", why);
}

static int
add(struct rule_cur *c, struct items *it, const struct rule_src *f,
    const struct rule_tok *t, const struct rule_list *l)
{
	struct item *v;

	if (it->n == RULE_MAX_ITEMS || c->ld->items == RULE_LOAD_ITEMS) {
		struct item at = { f, t, l };
		char why[128];

		if (it->n == RULE_MAX_ITEMS)
			snprintf(why, sizeof(why), "more than %d items in a "
			    "set", RULE_MAX_ITEMS);
		else
			snprintf(why, sizeof(why), "more than %u items in the "
			    "sets of all rules (a list used as in @NAME "
			    "counts once)", RULE_LOAD_ITEMS);
		return item_err(c->ld, &at, why);
	}
	c->ld->items++;
	if (it->n == it->cap) {
		size_t ncap = it->cap ? it->cap * 2 : 16;

		if ((v = realloc(it->v, ncap * sizeof(*v))) == NULL)
			return rule_terr(c->ld, f, t,
			    "out of memory"); /* errcov: untestable */
		it->v = v;
		it->cap = ncap;
	}
	it->v[it->n].f = f;
	it->v[it->n].t = t;
	it->v[it->n++].list = l;
	return 0;
}

static int
add_at(struct rule_cur *c, struct items *it, const struct rule_tok *t,
    enum rule_kind k)
{
	char name[RULE_NAME_MAX];
	const struct rule_list *l;
	int g;
	size_t i;

	if (rule_tok_copy(t, name, sizeof(name)) != 0)
		return rule_terr(c->ld, c->f, t, "@%.*s: no list or group has "
		    "so long a name", (int)(t->len > 40 ? 40 : t->len), t->s);
	g = rule_group_find(c->ld, name);
	if (k == K_NET && g >= 0) {
		it->groups |= 1ull << g;
		return 0;
	}
	if ((l = rule_list_find(c->ld, name)) != NULL) {
		for (i = 0; i < l->n; i++)
			if (add(c, it, l->f, &l->tok[i], l) != 0)
				return -1;
		return 0;
	}
	if (g >= 0)
		return rule_terr(c->ld, c->f, t, "@%s is a host group: only "
		    "[src|dst] in takes one", name);
	return rule_terr(c->ld, c->f, t, "@%s is neither a list of the rule "
	    "files nor a [group] of the config", name);
}

/* [ item ... ] with c just past the [. */
static int
gather_list(struct rule_cur *c, struct items *it, enum rule_kind k)
{
	const struct rule_tok *t;
	char buf[64];

	for (;;) {
		t = rule_cur_next(c);
		if (t->type == T_RBRACK)
			return 0;
		if (t->type == T_AT) {
			if (add_at(c, it, t, k) != 0)
				return -1;
		} else if (t->type == T_WORD || t->type == T_STR) {
			if (add(c, it, c->f, t, NULL) != 0)
				return -1;
		} else
			return rule_terr(c->ld, c->f, t, "%s cannot be an item "
			    "of a list", rule_tok_str(t, buf, sizeof(buf)));
	}
}

/* Bits lo..hi: single bits up to a byte boundary, whole bytes, the rest. */
static void
set_bits(uint8_t *bits, unsigned lo, unsigned hi)
{
	unsigned n;

	for (; lo <= hi && (lo & 7) != 0; lo++)
		bits[lo >> 3] |= (uint8_t)(1u << (lo & 7));
	if (lo <= hi && (n = (hi - lo + 1) >> 3) > 0) {
		memset(bits + (lo >> 3), 0xff, n);
		lo += n << 3;
	}
	for (; lo <= hi; lo++)
		bits[lo >> 3] |= (uint8_t)(1u << (lo & 7));
}

/* The bytes of a set of n items of kind k. */
static size_t
form_size(enum rule_kind k, size_t n)
{
	size_t m = n ? n : 1;

	switch (k) {
	case K_PORT:
		return 65536 / 8;
	case K_PROTO:
		return 256 / 8;
	case K_NET:			/* as if every item were IPv6 */
		return m * sizeof(struct rule_span6);
	case K_APP:
		return m * RULE_APP_MAX;
	default:
		return m * sizeof(uint32_t);
	}
}

/* Room for n items of the set's form. */
static int
alloc_form(struct rule_set *s, enum rule_kind k, size_t n)
{
	size_t m = n ? n : 1;

	switch (k) {
	case K_PORT:
	case K_PROTO:
		return (s->bits = calloc(form_size(k, n), 1)) ? 0 : -1;
	case K_APP:
		return (s->app = calloc(m, sizeof(*s->app))) ? 0 : -1;
	default:
		return (s->num = calloc(m, sizeof(*s->num))) ? 0 : -1;
	}
}

static void
put(struct rule_set *s, enum rule_kind k, const union rule_val *v)
{
	switch (k) {
	case K_PORT:
		set_bits(s->bits, v->range.lo, v->range.hi);
		break;
	case K_PROTO:
		set_bits(s->bits, (unsigned)v->num, (unsigned)v->num);
		break;
	case K_APP:
		memcpy(s->app[s->n++], v->app, RULE_APP_MAX);
		break;
	default:
		s->num[s->n++] = (uint32_t)v->num;
		break;
	}
}

/* ---- addresses: prefixes into sorted disjoint ranges ------------------ */

static uint32_t
addr4(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | a[3];
}

static void
span4(const struct rule_cidr *c, struct rule_span4 *sp)
{
	uint32_t host = c->plen >= 32 ? 0 : UINT32_MAX >> c->plen;

	sp->lo = addr4(c->addr.a) & ~host;	/* host bits are clear anyway */
	sp->hi = sp->lo | host;
}

static void
span6(const struct rule_cidr *c, struct rule_span6 *sp)
{
	unsigned i;

	memcpy(sp->lo, c->addr.a, 16);
	memcpy(sp->hi, c->addr.a, 16);
	for (i = c->plen; i < 128; i++) {
		sp->lo[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
		sp->hi[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	}
}

/* By start, then the widest first. */
static int
cmp4(const void *a, const void *b)
{
	const struct rule_span4 *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi > y->hi ? -1 : x->hi < y->hi;
}

static int
cmp6(const void *a, const void *b)
{
	const struct rule_span6 *x = a, *y = b;
	int d = memcmp(x->lo, y->lo, 16);

	return d ? d : memcmp(y->hi, x->hi, 16);
}

/*
 * Sort, and drop each range that lies inside one kept before it; the
 * count left.  Two prefixes are apart or one holds the other, and the
 * one that holds comes first (same start, widest first), so a range that
 * starts inside the last one kept lies wholly inside it: what is left is
 * disjoint.
 */
static size_t
merge4(struct rule_span4 *v, size_t n)
{
	size_t i, o = 0;

	qsort(v, n, sizeof(*v), cmp4);
	for (i = 0; i < n; i++)
		if (o == 0 || v[i].lo > v[o - 1].hi)
			v[o++] = v[i];
	return o;
}

static size_t
merge6(struct rule_span6 *v, size_t n)
{
	size_t i, o = 0;

	qsort(v, n, sizeof(*v), cmp6);
	for (i = 0; i < n; i++)
		if (o == 0 || memcmp(v[i].lo, v[o - 1].hi, 16) > 0)
			v[o++] = v[i];
	return o;
}

/* The addresses and prefixes of a set into its ranges. */
static int
build_addrs(struct rule_cur *c, const struct rule_tok *at,
    const struct items *it, struct rule_set *s)
{
	struct rule_cidr *v;
	union rule_val u;
	size_t i, n4 = 0, n6 = 0;
	char why[160];

	if ((v = calloc(it->n ? it->n : 1, sizeof(*v))) == NULL)
		return rule_terr(c->ld, c->f, at,
		    "out of memory"); /* errcov: untestable */
	for (i = 0; i < it->n; i++) {
		if (rule_value(K_NET, it->v[i].t, 0, &u, why,
		    sizeof(why)) != 0) {
			free(v);
			return item_err(c->ld, &it->v[i], why);
		}
		v[i] = u.cidr;
		if (v[i].addr.af == 4)
			n4++;
		else
			n6++;
	}
	s->span4 = calloc(n4 ? n4 : 1, sizeof(*s->span4));
	s->span6 = calloc(n6 ? n6 : 1, sizeof(*s->span6));
	if (s->span4 == NULL || s->span6 == NULL) {
		free(v);
		return rule_terr(c->ld, c->f, at,
		    "out of memory"); /* errcov: untestable */
	}
	for (i = 0; i < it->n; i++)
		if (v[i].addr.af == 4)
			span4(&v[i], &s->span4[s->n4++]);
		else
			span6(&v[i], &s->span6[s->n6++]);
	free(v);
	s->n4 = merge4(s->span4, s->n4);
	s->n6 = merge6(s->span6, s->n6);
	return 0;
}

/* ---- the other forms ---------------------------------------------------- */

static int
cmp_num(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_app(const void *a, const void *b)
{
	return rule_app_cmp(a, b);
}

static int
build(struct rule_cur *c, const struct rule_tok *at, const struct items *it,
    enum rule_kind k, struct rule_set *s)
{
	size_t i, bytes = sizeof(*s) + form_size(k, it->n);
	union rule_val v;
	char why[160];

	if (bytes > RULE_LOAD_SET_BYTES - c->ld->set_bytes)
		return rule_terr(c->ld, c->f, at, "the sets of all rules take "
		    "more than %u MiB (a list used as in @NAME counts once)",
		    RULE_LOAD_SET_BYTES >> 20);
	c->ld->set_bytes += bytes;
	s->groups = it->groups;
	if (k == K_NET)
		return build_addrs(c, at, it, s);
	if (alloc_form(s, k, it->n) != 0)
		return rule_terr(c->ld, c->f, at,
		    "out of memory"); /* errcov: untestable */
	for (i = 0; i < it->n; i++) {
		if (rule_value(k, it->v[i].t, k == K_PORT, &v, why,
		    sizeof(why)) != 0)
			return item_err(c->ld, &it->v[i], why);
		put(s, k, &v);
	}
	if (s->num != NULL)
		qsort(s->num, s->n, sizeof(*s->num), cmp_num);
	if (s->app != NULL)
		qsort(s->app, s->n, sizeof(*s->app), cmp_app);
	return 0;
}

/* Hand s to the ruleset, which frees it. */
static int
keep(struct rule_cur *c, struct rule_set *s)
{
	struct ruleset *rs = c->ld->rs;
	struct rule_set **v;

	if ((v = realloc(rs->sets, (rs->nsets + 1) * sizeof(*v))) == NULL)
		return rule_terr(c->ld, c->f, rule_cur_peek(c),
		    "out of memory"); /* errcov: untestable */
	rs->sets = v;
	rs->sets[rs->nsets++] = s;
	return 0;
}

/* The list that `in @NAME` reads as kind k, NULL: a group or nothing. */
static struct rule_list *
named_list(struct rule_cur *c, const struct rule_tok *t, enum rule_kind k)
{
	char name[RULE_NAME_MAX];
	const struct rule_list *l;

	if (rule_tok_copy(t, name, sizeof(name)) != 0 ||
	    (k == K_NET && rule_group_find(c->ld, name) >= 0) ||
	    (l = rule_list_find(c->ld, name)) == NULL)
		return NULL;
	return &c->ld->list[l - c->ld->list];
}

const struct rule_set *
rule_set_parse(struct rule_cur *c, enum rule_kind k)
{
	struct items it;
	struct rule_set *s = NULL;
	struct rule_list *l = NULL;
	const struct rule_tok *t = rule_cur_next(c);
	char buf[64];
	int rc;

	memset(&it, 0, sizeof(it));
	if (t->type == T_AT) {
		if ((l = named_list(c, t, k)) != NULL && l->set[k] != NULL)
			return l->set[k];	/* read once, shared */
		rc = add_at(c, &it, t, k);
	} else if (t->type == T_LBRACK)
		rc = gather_list(c, &it, k);
	else
		rc = rule_terr(c->ld, c->f, t, "expected @NAME or [ after in, "
		    "got %s", rule_tok_str(t, buf, sizeof(buf)));
	if (rc == 0 && (s = calloc(1, sizeof(*s))) == NULL)
		rc = rule_terr(c->ld, c->f, t,
		    "out of memory"); /* errcov: untestable */
	if (rc == 0 && (build(c, t, &it, k, s) != 0 || keep(c, s) != 0))
		rc = -1;
	free(it.v);
	if (rc != 0) {
		rule_set_free(s);
		return NULL;
	}
	if (l != NULL)
		l->set[k] = s;
	return s;
}

void
rule_set_free(struct rule_set *s)
{
	if (s == NULL)
		return;
	free(s->bits);
	free(s->span4);
	free(s->span6);
	free(s->num);
	free(s->app);
	free(s);
}
