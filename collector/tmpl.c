/*
 * tmpl.c - the template cache: storage, compilation, caps, expiry.
 *
 * DESIGN
 * Three hash tables with chaining: templates, domains and exporters.  Each
 * template is on three lists: its hash chain, the global LRU (by definition
 * time, for the total cap and expiry) and its exporter's LRU (for the
 * per-exporter cap and for removing a domain's templates).  A domain lives
 * while it holds templates and an exporter while it holds domains, so every
 * table is bounded by the template caps (HOSTILE, IX-9).
 *
 * Compilation (tmpl_compile) turns the wire field list into operations:
 * fields we use keep their own op; runs of skipped fixed-length fields merge
 * into one op.  The smallest record a template can describe must be at least
 * one byte and fit a set (HOSTILE V9-5, V9-8); more than TMPL_MAX_FIELDS
 * fields are refused (V9-6).
 */
#include <stdlib.h>
#include <string.h>

#include "ie.h"
#include "tmpl.h"

#define TMPL_MAX_RECORD	(65535 - 4)	/* a record must fit in one set */

struct tmpl_exp {
	struct tmpl_exp		*hnext;
	struct flow_addr	 exp;
	uint32_t		 ntmpl;
	uint32_t		 ndom;
	struct tmpl		*lru_head, *lru_tail;
};

/* Per-exporter LRU links live beside the template, outside struct tmpl. */
struct tmpl_node {
	struct tmpl		 t;
	struct tmpl_node	*eprev, *enext;
	struct tmpl_exp		*exp;
	struct tmpl_domain	*dom;
};

struct tmpl_cache {
	struct dec_limits	 lim;
	struct dec_stats	*st;
	struct tmpl		**tb;
	uint32_t		 tmask;
	uint32_t		 ntmpl;
	struct tmpl		*lru_head, *lru_tail;
	struct tmpl_domain	**db;
	uint32_t		 dmask;
	struct tmpl_exp		**eb;
	uint32_t		 emask;
};

static uint32_t
hash_addr(const struct flow_addr *a)
{
	return flow_fnv(FLOW_FNV_INIT, a, sizeof(*a));
}

static uint32_t
hash_dom(const struct tmpl_key *k)
{
	uint32_t h = hash_addr(&k->exp);

	h = flow_fnv(h, &k->port, sizeof(k->port));
	h = flow_fnv(h, &k->version, sizeof(k->version));
	return flow_fnv(h, &k->domain, sizeof(k->domain));
}

static uint32_t
hash_key(const struct tmpl_key *k)
{
	return flow_fnv(hash_dom(k), &k->id, sizeof(k->id));
}

static int
same_dom(const struct tmpl_key *a, const struct tmpl_key *b)
{
	return a->port == b->port && a->version == b->version &&
	    a->domain == b->domain && flow_addr_eq(&a->exp, &b->exp);
}

static int
same_key(const struct tmpl_key *a, const struct tmpl_key *b)
{
	return a->id == b->id && same_dom(a, b);
}

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 64;

	while (p < n && p < (1u << 24))
		p <<= 1;
	return p;
}

struct tmpl_cache *
tmpl_cache_new(const struct dec_limits *lim, struct dec_stats *st)
{
	struct tmpl_cache *tc;
	uint32_t n;

	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return NULL;
	tc->lim = *lim;
	tc->st = st;
	n = pow2_at_least(lim->tmpl_total);
	tc->tmask = n - 1;
	tc->dmask = n - 1;
	tc->emask = n - 1;
	tc->tb = calloc(n, sizeof(*tc->tb));
	tc->db = calloc(n, sizeof(*tc->db));
	tc->eb = calloc(n, sizeof(*tc->eb));
	if (tc->tb == NULL || tc->db == NULL || tc->eb == NULL)
		goto fail;
	return tc;
fail:
	tmpl_cache_free(tc);
	return NULL;
}

static struct tmpl_exp *
exp_find(struct tmpl_cache *tc, const struct flow_addr *a, int create)
{
	uint32_t b = hash_addr(a) & tc->emask;
	struct tmpl_exp *e;

	for (e = tc->eb[b]; e; e = e->hnext)
		if (flow_addr_eq(&e->exp, a))
			return e;
	if (!create || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->exp = *a;
	e->hnext = tc->eb[b];
	tc->eb[b] = e;
	return e;
}

static void
exp_release(struct tmpl_cache *tc, struct tmpl_exp *e)
{
	struct tmpl_exp **pp;

	if (e->ntmpl || e->ndom)
		return;
	for (pp = &tc->eb[hash_addr(&e->exp) & tc->emask]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			free(e);
			return;
		}
}

static void
dom_free(struct tmpl_cache *tc, struct tmpl_domain *d, struct tmpl_exp *e)
{
	struct tmpl_domain **pp;

	for (pp = &tc->db[hash_dom(&d->key) & tc->dmask]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == d) {
			*pp = d->hnext;
			break;
		}
	free(d);
	e->ndom--;
	exp_release(tc, e);
}

static void
lru_append(struct tmpl_cache *tc, struct tmpl *t)
{
	struct tmpl_node *n = (struct tmpl_node *)t;
	struct tmpl_exp *e = n->exp;

	t->lnext = NULL;
	t->lprev = tc->lru_tail;
	if (tc->lru_tail)
		tc->lru_tail->lnext = t;
	else
		tc->lru_head = t;
	tc->lru_tail = t;

	n->enext = NULL;
	n->eprev = (struct tmpl_node *)e->lru_tail;
	if (e->lru_tail)
		((struct tmpl_node *)e->lru_tail)->enext = n;
	else
		e->lru_head = t;
	e->lru_tail = t;
}

static void
lru_unlink(struct tmpl_cache *tc, struct tmpl *t)
{
	struct tmpl_node *n = (struct tmpl_node *)t;
	struct tmpl_exp *e = n->exp;

	if (t->lprev)
		t->lprev->lnext = t->lnext;
	else
		tc->lru_head = t->lnext;
	if (t->lnext)
		t->lnext->lprev = t->lprev;
	else
		tc->lru_tail = t->lprev;
	if (n->eprev)
		n->eprev->enext = n->enext;
	else
		e->lru_head = (struct tmpl *)n->enext;
	if (n->enext)
		n->enext->eprev = n->eprev;
	else
		e->lru_tail = (struct tmpl *)n->eprev;
}

/* Unlink and free one template, releasing its domain and exporter. */
static void
tmpl_remove(struct tmpl_cache *tc, struct tmpl *t)
{
	struct tmpl_node *n = (struct tmpl_node *)t;
	struct tmpl_exp *e = n->exp;
	struct tmpl **pp;

	for (pp = &tc->tb[hash_key(&t->key) & tc->tmask]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	lru_unlink(tc, t);
	tc->ntmpl--;
	e->ntmpl--;
	if (--n->dom->ntmpl == 0)
		dom_free(tc, n->dom, e);
	else
		exp_release(tc, e);
	free(n);
}

void
tmpl_cache_free(struct tmpl_cache *tc)
{
	struct tmpl_domain *d;
	struct tmpl_exp *e;
	uint32_t b;

	if (tc == NULL)
		return;
	while (tc->lru_head)
		tmpl_remove(tc, tc->lru_head);
	/* Domains made by tmpl_domain(create) that never held a template. */
	for (b = 0; tc->db && b <= tc->dmask; b++)
		while ((d = tc->db[b]) != NULL) {
			tc->db[b] = d->hnext;
			free(d);
		}
	for (b = 0; tc->eb && b <= tc->emask; b++)
		while ((e = tc->eb[b]) != NULL) {
			tc->eb[b] = e->hnext;
			free(e);
		}
	free(tc->tb);
	free(tc->db);
	free(tc->eb);
	free(tc);
}

/* Evict the least recently used domain of e with all its templates. */
static void
dom_evict_lru(struct tmpl_cache *tc, struct tmpl_exp *e)
{
	struct tmpl *t, *next;
	struct tmpl_domain *victim = NULL;
	struct tmpl_node *n;

	for (t = e->lru_head; t; t = (struct tmpl *)n->enext) {
		n = (struct tmpl_node *)t;
		if (victim == NULL || n->dom->used_ms < victim->used_ms)
			victim = n->dom;
	}
	if (victim == NULL)
		return;
	for (t = e->lru_head; t; t = next) {
		n = (struct tmpl_node *)t;
		next = (struct tmpl *)n->enext;
		if (n->dom == victim) {
			tc->st->tmpl_evicted++;
			/* The last removal frees the domain (and maybe e). */
			if (victim->ntmpl == 1) {
				tmpl_remove(tc, t);
				return;
			}
			tmpl_remove(tc, t);
		}
	}
}

struct tmpl_domain *
tmpl_domain(struct tmpl_cache *tc, const struct tmpl_key *dom, int create,
    uint64_t now_ms)
{
	uint32_t b = hash_dom(dom) & tc->dmask;
	struct tmpl_domain *d;
	struct tmpl_exp *e;

	for (d = tc->db[b]; d; d = d->hnext)
		if (same_dom(&d->key, dom)) {
			if (create)
				d->used_ms = now_ms;
			return d;
		}
	if (!create)
		return NULL;
	e = exp_find(tc, &dom->exp, 0);
	if (e && e->ndom >= tc->lim.domains_per_exporter)
		dom_evict_lru(tc, e);
	if ((e = exp_find(tc, &dom->exp, 1)) == NULL)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		exp_release(tc, e);
		return NULL;
	}
	d->key = *dom;
	d->key.id = 0;
	d->used_ms = now_ms;
	d->hnext = tc->db[b];
	tc->db[b] = d;
	e->ndom++;
	return d;
}

static struct tmpl *
tmpl_find(struct tmpl_cache *tc, const struct tmpl_key *key)
{
	struct tmpl *t;

	for (t = tc->tb[hash_key(key) & tc->tmask]; t; t = t->hnext)
		if (same_key(&t->key, key))
			return t;
	return NULL;
}

const struct tmpl *
tmpl_get(struct tmpl_cache *tc, const struct tmpl_key *key, uint64_t now_ms)
{
	struct tmpl *t = tmpl_find(tc, key);

	if (t && now_ms > t->seen_ms &&
	    now_ms - t->seen_ms > (uint64_t)tc->lim.tmpl_max_age * 1000) {
		tc->st->tmpl_expired++;
		tmpl_remove(tc, t);
		return NULL;
	}
	return t;
}

static int
same_def(const struct tmpl *t, int options, uint16_t nscope,
    const struct tmpl_field *f, uint16_t nf)
{
	return t->options == (options != 0) && t->nscope == nscope &&
	    t->nfields == nf && memcmp(t->fields, f, nf * sizeof(*f)) == 0;
}

/*
 * Build the node with its fields and compiled ops in one allocation.
 * Returns NULL when the definition is unusable.
 */
static struct tmpl_node *
tmpl_compile(const struct tmpl_key *key, int options, uint16_t nscope,
    const struct tmpl_field *f, uint16_t nf)
{
	struct tmpl_node *n;
	struct tmpl *t;
	struct tmpl_op *op;
	uint32_t minlen = 0;
	uint16_t i;
	int varlen = 0;

	if (nf == 0 || nf > TMPL_MAX_FIELDS || nscope > nf)
		return NULL;
	for (i = 0; i < nf; i++) {
		if (f[i].len == TMPL_VARLEN) {
			/* IPFIX's encoding; H3C uses it in NetFlow v9 too. */
			varlen = 1;
			minlen += 1;
		} else
			minlen += f[i].len;
	}
	if (minlen == 0 || minlen > TMPL_MAX_RECORD)
		return NULL;
	n = calloc(1, sizeof(*n) + nf * sizeof(struct tmpl_field) +
	    nf * sizeof(struct tmpl_op));
	if (n == NULL)
		return NULL;
	t = &n->t;
	t->key = *key;
	t->fields = (struct tmpl_field *)(n + 1);
	t->ops = (struct tmpl_op *)(t->fields + nf);
	memcpy(t->fields, f, nf * sizeof(*f));
	t->nfields = nf;
	t->nscope = nscope;
	t->options = options != 0;
	t->varlen = (uint8_t)varlen;
	t->minlen = minlen;
	for (i = 0, op = NULL; i < nf; i++) {
		int scope = i < nscope;
		/* v9 scope fields are not information elements. */
		int tgt = (scope && key->version == 9) ? IE_SKIP :
		    ie_target(key->version, f[i].pen, f[i].id, f[i].len);

		if (tgt == IE_SKIP && f[i].len != TMPL_VARLEN && op &&
		    op->tgt == IE_SKIP && op->len != TMPL_VARLEN &&
		    (uint32_t)op->len + f[i].len < TMPL_VARLEN) {
			op->len += f[i].len;
			continue;
		}
		op = &t->ops[t->nops++];
		op->len = f[i].len;
		op->tgt = (uint8_t)tgt;
		op->scope = (uint8_t)scope;
	}
	return n;
}

int
tmpl_put(struct tmpl_cache *tc, const struct tmpl_key *key, int options,
    uint16_t nscope, const struct tmpl_field *fields, uint16_t nfields,
    uint64_t now_ms)
{
	struct tmpl *old = tmpl_find(tc, key);
	struct tmpl_node *n;
	struct tmpl_exp *e;
	struct tmpl_domain *d;
	uint32_t b;

	if (old && same_def(old, options, nscope, fields, nfields)) {
		old->seen_ms = now_ms;
		lru_unlink(tc, old);
		lru_append(tc, old);
		((struct tmpl_node *)old)->dom->used_ms = now_ms;
		tc->st->tmpl_refreshed++;
		return 0;
	}
	if ((n = tmpl_compile(key, options, nscope, fields, nfields)) == NULL) {
		tc->st->tmpl_rejected++;
		return -1;
	}
	n->t.seen_ms = now_ms;
	if (old) {
		/*
		 * Pin the domain while the old definition goes, so its
		 * samplers and boot time outlive a redefinition.
		 */
		d = ((struct tmpl_node *)old)->dom;
		d->ntmpl++;
		tmpl_remove(tc, old);
		d->ntmpl--;
		tc->st->tmpl_replaced++;
	} else {
		e = exp_find(tc, &key->exp, 0);
		if (e && e->ntmpl >= tc->lim.tmpl_per_exporter) {
			tmpl_remove(tc, e->lru_head);
			tc->st->tmpl_evicted++;
		}
		if (tc->ntmpl >= tc->lim.tmpl_total) {
			tmpl_remove(tc, tc->lru_head);
			tc->st->tmpl_evicted++;
		}
		tc->st->tmpl_added++;
	}
	if ((d = tmpl_domain(tc, key, 1, now_ms)) == NULL ||
	    (e = exp_find(tc, &key->exp, 0)) == NULL) {
		free(n);
		return -1;
	}
	n->exp = e;
	n->dom = d;
	d->ntmpl++;
	e->ntmpl++;
	tc->ntmpl++;
	b = hash_key(key) & tc->tmask;
	n->t.hnext = tc->tb[b];
	tc->tb[b] = &n->t;
	lru_append(tc, &n->t);
	return 0;
}

int
tmpl_withdraw(struct tmpl_cache *tc, const struct tmpl_key *key)
{
	struct tmpl *t = tmpl_find(tc, key);

	if (t == NULL)
		return -1;
	tmpl_remove(tc, t);
	tc->st->tmpl_withdrawn++;
	return 0;
}

void
tmpl_withdraw_all(struct tmpl_cache *tc, const struct tmpl_key *dom,
    int options)
{
	struct tmpl_exp *e = exp_find(tc, &dom->exp, 0);
	struct tmpl *t, *next;

	if (e == NULL)
		return;
	/*
	 * Removing the exporter's last template frees e; stop before reading
	 * it again by counting what is left.
	 */
	for (t = e->lru_head; t; t = next) {
		uint32_t left = e->ntmpl;

		next = (struct tmpl *)((struct tmpl_node *)t)->enext;
		if (same_dom(&t->key, dom) && t->options == (options != 0)) {
			tmpl_remove(tc, t);
			tc->st->tmpl_withdrawn++;
			if (left == 1)
				return;
		}
	}
}

unsigned
tmpl_expire(struct tmpl_cache *tc, uint64_t now_ms)
{
	uint64_t age = (uint64_t)tc->lim.tmpl_max_age * 1000;
	unsigned n = 0;

	while (tc->lru_head && now_ms > tc->lru_head->seen_ms &&
	    now_ms - tc->lru_head->seen_ms > age) {
		tmpl_remove(tc, tc->lru_head);
		tc->st->tmpl_expired++;
		n++;
	}
	return n;
}

void
tmpl_sampler_set(struct tmpl_domain *d, int has_id, uint32_t id,
    uint32_t rate)
{
	uint8_t i;

	if (rate == 0)
		return;
	if (!has_id) {
		d->default_rate = rate;
		return;
	}
	for (i = 0; i < d->nsamplers; i++)
		if (d->samplers[i].id == id) {
			d->samplers[i].rate = rate;
			return;
		}
	if (d->nsamplers < TMPL_MAX_SAMPLERS)
		i = d->nsamplers++;
	else
		i = (uint8_t)(id % TMPL_MAX_SAMPLERS);	/* overwrite one */
	d->samplers[i].id = id;
	d->samplers[i].rate = rate;
}

uint32_t
tmpl_sampler_rate(const struct tmpl_domain *d, int has_id, uint32_t id)
{
	uint8_t i;

	if (d == NULL)
		return 0;
	if (has_id)
		for (i = 0; i < d->nsamplers; i++)
			if (d->samplers[i].id == id)
				return d->samplers[i].rate;
	if (d->default_rate)
		return d->default_rate;
	/* One sampler announced and the record names none: it is that one. */
	if (!has_id && d->nsamplers == 1)
		return d->samplers[0].rate;
	return 0;
}

void
tmpl_foreach(struct tmpl_cache *tc, tmpl_visit_fn *fn, void *arg)
{
	struct tmpl *t;

	for (t = tc->lru_head; t; t = t->lnext)
		fn(arg, t);
}

unsigned
tmpl_count(const struct tmpl_cache *tc)
{
	return tc->ntmpl;
}
