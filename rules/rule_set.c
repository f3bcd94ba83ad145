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
 * set's form: a bitmap for ports and protocols (one bit test at match
 * time), arrays for the rest.  @NAME means the config's [group NAME] if
 * there is one and the use is an address, else the rule files' list NAME;
 * so a rule file may define an empty `list mail-servers` as the default
 * of a group that a config may or may not have.  Sets belong to the
 * ruleset and are freed with it.
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
			return rule_terr(c->ld, f, t, "out of memory");
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
	case K_NET:
		return m * sizeof(struct rule_cidr);
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
	case K_NET:
		return (s->cidr = calloc(m, sizeof(*s->cidr))) ? 0 : -1;
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
	case K_NET:
		s->cidr[s->n++] = v->cidr;
		break;
	case K_APP:
		memcpy(s->app[s->n++], v->app, RULE_APP_MAX);
		break;
	default:
		s->num[s->n++] = (uint32_t)v->num;
		break;
	}
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
	if (alloc_form(s, k, it->n) != 0)
		return rule_terr(c->ld, c->f, at, "out of memory");
	for (i = 0; i < it->n; i++) {
		if (rule_value(k, it->v[i].t, k == K_PORT, &v, why,
		    sizeof(why)) != 0)
			return item_err(c->ld, &it->v[i], why);
		put(s, k, &v);
	}
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
		    "out of memory");
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
		rc = rule_terr(c->ld, c->f, t, "out of memory");
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
	free(s->cidr);
	free(s->num);
	free(s->app);
	free(s);
}
