/*
 * test_tmpl.c - the template cache (collector/tmpl.c): compilation, keys,
 * refresh and replacement, caps per exporter and in total, domains per
 * exporter, expiry by age, withdrawal, the sampler table, and the counters
 * each of those moves.  Most tests drive the cache directly; the last ones
 * go through the decoder to see the counters it adds (tmpl_missing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "decode.h"
#include "ie.h"
#include "pkw.h"
#include "tmpl.h"
#include "testutil.h"

#define NOW	1700000000000ULL

/* A cache with its own counters. */
struct fx {
	struct dec_stats	 st;
	struct tmpl_cache	*tc;
};

static struct fx *
fx_new(uint32_t per_exp, uint32_t total, uint32_t doms, uint32_t age)
{
	struct dec_limits lim;
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	memset(&lim, 0, sizeof(lim));
	lim.tmpl_per_exporter = per_exp;
	lim.tmpl_total = total;
	lim.domains_per_exporter = doms;
	lim.tmpl_max_age = age;
	lim.record_budget = DEC_DEF_RECORD_BUDGET;
	x->tc = tmpl_cache_new(&lim, &x->st);
	assert_non_null(x->tc);
	return x;
}

static void
fx_free(struct fx *x)
{
	tmpl_cache_free(x->tc);
	free(x);
}

static struct tmpl_key
key(const char *exp, int version, uint32_t dom, uint16_t id)
{
	struct tmpl_key k;

	memset(&k, 0, sizeof(k));
	assert_int_equal(flow_addr_parse(&k.exp, exp), 0);
	k.version = (uint8_t)version;
	k.domain = dom;
	k.id = id;
	return k;
}

/* Two simple definitions, told apart by their fields. */
static const struct tmpl_field def_a[] = { { 8, 4, 0 }, { 12, 4, 0 } };
static const struct tmpl_field def_b[] = { { 8, 4, 0 }, { 1, 8, 0 } };

static int
put(struct fx *x, const char *exp, uint32_t dom, uint16_t id, uint64_t now)
{
	struct tmpl_key k = key(exp, 10, dom, id);

	return tmpl_put(x->tc, &k, 0, 0, def_a, 2, now);
}

static const struct tmpl *
get(struct fx *x, const char *exp, uint32_t dom, uint16_t id, uint64_t now)
{
	struct tmpl_key k = key(exp, 10, dom, id);

	return tmpl_get(x->tc, &k, now);
}

/* Runs of unused fields merge into one skip; used ones keep their op. */
static void
test_tmpl_compile(void **state)
{
	static const struct tmpl_field f[] = {
		{ 8, 4, 0 },		/* sourceIPv4Address */
		{ 999, 2, 0 },		/* unknown ... */
		{ 5000, 2, 0 },		/* ... merged with it */
		{ 12, 4, 0 },
		{ 82, TMPL_VARLEN, 0 },	/* variable: an op of its own */
		{ 83, TMPL_VARLEN, 0 },
		{ 100, 1, 0 },
		{ 1, 8, 0 },
		{ 1, 4, 9 },		/* enterprise 9: skip */
		{ 8, 5, 0 },		/* an address of 5 bytes: skip */
	};
	struct fx *x = fx_new(10, 10, 10, 60);
	struct tmpl_key k = key("192.0.2.1", 10, 1, 256);
	const struct tmpl *t;

	(void)state;
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, f, 10, NOW), 0);
	t = tmpl_get(x->tc, &k, NOW);
	assert_non_null(t);
	assert_int_equal(t->nfields, 10);
	assert_memory_equal(t->fields, f, sizeof(f));
	assert_int_equal(t->options, 0);
	assert_int_equal(t->nscope, 0);
	assert_int_equal(t->varlen, 1);
	assert_int_equal(t->minlen, 4 + 2 + 2 + 4 + 1 + 1 + 1 + 8 + 4 + 5);
	assert_true(t->seen_ms == NOW);
	assert_int_equal(t->key.id, 256);
	assert_int_equal(t->key.domain, 1);
	assert_int_equal(t->nops, 8);
	assert_int_equal(t->ops[0].tgt, IE_SRC4);
	assert_int_equal(t->ops[0].len, 4);
	assert_int_equal(t->ops[1].tgt, IE_SKIP);
	assert_int_equal(t->ops[1].len, 4);
	assert_int_equal(t->ops[2].tgt, IE_DST4);
	assert_int_equal(t->ops[3].tgt, IE_SKIP);
	assert_int_equal(t->ops[3].len, TMPL_VARLEN);
	assert_int_equal(t->ops[4].tgt, IE_SKIP);
	assert_int_equal(t->ops[4].len, TMPL_VARLEN);
	assert_int_equal(t->ops[5].tgt, IE_SKIP);
	assert_int_equal(t->ops[5].len, 1);
	assert_int_equal(t->ops[6].tgt, IE_BYTES);
	assert_int_equal(t->ops[6].len, 8);
	assert_int_equal(t->ops[7].tgt, IE_SKIP);
	assert_int_equal(t->ops[7].len, 9);
	assert_int_equal(x->st.tmpl_added, 1);
	assert_int_equal(tmpl_count(x->tc), 1);
	fx_free(x);
}

/*
 * Options templates: v9 scope fields are not information elements and
 * are always skipped; IPFIX scope fields are.
 */
static void
test_tmpl_compile_scope(void **state)
{
	static const struct tmpl_field f[] = {
		{ 8, 4, 0 }, { 48, 1, 0 }, { 34, 4, 0 },
	};
	struct fx *x = fx_new(10, 10, 10, 60);
	struct tmpl_key k9 = key("192.0.2.1", 9, 1, 256);
	struct tmpl_key k10 = key("192.0.2.1", 10, 1, 256);
	const struct tmpl *t;

	(void)state;
	assert_int_equal(tmpl_put(x->tc, &k9, 1, 2, f, 3, NOW), 0);
	assert_int_equal(tmpl_put(x->tc, &k10, 1, 2, f, 3, NOW), 0);
	t = tmpl_get(x->tc, &k9, NOW);
	assert_non_null(t);
	assert_int_equal(t->options, 1);
	assert_int_equal(t->nscope, 2);
	assert_int_equal(t->nops, 2);
	assert_int_equal(t->ops[0].tgt, IE_SKIP);	/* scopes merged */
	assert_int_equal(t->ops[0].len, 5);
	assert_int_equal(t->ops[0].scope, 1);
	assert_int_equal(t->ops[1].tgt, IE_SAMPLING);
	assert_int_equal(t->ops[1].scope, 0);
	t = tmpl_get(x->tc, &k10, NOW);
	assert_non_null(t);
	assert_int_equal(t->nops, 3);
	assert_int_equal(t->ops[0].tgt, IE_SRC4);
	assert_int_equal(t->ops[0].scope, 1);
	assert_int_equal(t->ops[1].tgt, IE_SAMPLER_ID);
	assert_int_equal(t->ops[1].scope, 1);
	assert_int_equal(t->ops[2].tgt, IE_SAMPLING);
	assert_int_equal(t->ops[2].scope, 0);
	assert_int_equal(tmpl_count(x->tc), 2);
	fx_free(x);
}

/*
 * HOSTILE V9-5, V9-6, V9-8: unusable definitions are rejected and
 * counted: no fields, too many, more scopes than fields, records of 0
 * bytes or larger than a set.  A rejected redefinition leaves the old one.
 */
static void
test_tmpl_reject(void **state)
{
	static struct tmpl_field many[TMPL_MAX_FIELDS + 1];
	static const struct tmpl_field zeros[] = { { 8, 0, 0 }, { 12, 0, 0 } };
	static const struct tmpl_field big[] = { { 8, 4, 0 },
	    { 80, 65528, 0 } };
	static const struct tmpl_field max[] = { { 8, 4, 0 },
	    { 80, 65527, 0 } };
	struct fx *x = fx_new(10, 10, 10, 60);
	struct tmpl_key k = key("192.0.2.1", 10, 1, 256);
	const struct tmpl *t;
	size_t i;

	(void)state;
	for (i = 0; i < TMPL_MAX_FIELDS + 1; i++) {
		many[i].id = 4;
		many[i].len = 1;
	}
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, def_a, 0, NOW), -1);
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, many, TMPL_MAX_FIELDS + 1,
	    NOW), -1);
	assert_int_equal(tmpl_put(x->tc, &k, 1, 3, def_a, 2, NOW), -1);
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, zeros, 2, NOW), -1);
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, big, 2, NOW), -1);
	assert_int_equal(x->st.tmpl_rejected, 5);
	assert_int_equal(x->st.tmpl_added, 0);
	assert_int_equal(tmpl_count(x->tc), 0);
	assert_null(tmpl_domain(x->tc, &k, 0, NOW));

	/* The limits themselves are fine. */
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, many, TMPL_MAX_FIELDS,
	    NOW), 0);
	k.id = 257;
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, max, 2, NOW), 0);
	assert_int_equal(tmpl_get(x->tc, &k, NOW)->minlen, 65531);
	assert_int_equal(x->st.tmpl_added, 2);

	/* A bad redefinition of 257 keeps the good one. */
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, zeros, 2, NOW + 1), -1);
	t = tmpl_get(x->tc, &k, NOW + 1);
	assert_non_null(t);
	assert_int_equal(t->minlen, 65531);
	assert_int_equal(x->st.tmpl_rejected, 6);
	assert_int_equal(x->st.tmpl_replaced, 0);
	fx_free(x);
}

/* The same definition again refreshes; another one replaces. */
static void
test_tmpl_refresh_replace(void **state)
{
	struct fx *x = fx_new(10, 10, 10, 60);
	struct tmpl_key k = key("192.0.2.1", 10, 1, 256);
	const struct tmpl *t;

	(void)state;
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, def_a, 2, NOW), 0);
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, def_a, 2, NOW + 5000), 0);
	assert_int_equal(x->st.tmpl_added, 1);
	assert_int_equal(x->st.tmpl_refreshed, 1);
	t = tmpl_get(x->tc, &k, NOW + 5000);
	assert_true(t->seen_ms == NOW + 5000);

	/* Same fields as options: a different definition. */
	assert_int_equal(tmpl_put(x->tc, &k, 1, 1, def_a, 2, NOW + 6000), 0);
	assert_int_equal(x->st.tmpl_replaced, 1);
	t = tmpl_get(x->tc, &k, NOW + 6000);
	assert_int_equal(t->options, 1);
	assert_int_equal(t->nscope, 1);
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, def_b, 2, NOW + 7000), 0);
	assert_int_equal(x->st.tmpl_replaced, 2);
	t = tmpl_get(x->tc, &k, NOW + 7000);
	assert_int_equal(t->options, 0);
	assert_int_equal(t->ops[1].tgt, IE_BYTES);
	assert_int_equal(x->st.tmpl_added, 1);
	assert_int_equal(x->st.tmpl_refreshed, 1);
	assert_int_equal(tmpl_count(x->tc), 1);
	fx_free(x);
}

/*
 * A domain's state (samplers, boot time) survives the redefinition of
 * its only template; it goes when its last template goes.
 */
static void
test_tmpl_domain_state(void **state)
{
	struct fx *x = fx_new(10, 10, 10, 60);
	struct tmpl_key k = key("192.0.2.1", 10, 1, 256);
	struct tmpl_domain *d;

	(void)state;
	assert_null(tmpl_domain(x->tc, &k, 0, NOW));
	assert_int_equal(tmpl_put(x->tc, &k, 1, 1, def_a, 2, NOW), 0);
	d = tmpl_domain(x->tc, &k, 0, NOW);
	assert_non_null(d);
	assert_int_equal(d->ntmpl, 1);
	assert_int_equal(d->key.id, 0);
	tmpl_sampler_set(d, 1, 5, 100);
	d->sys_init_ms = 12345;
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, def_b, 2, NOW + 1), 0);
	assert_int_equal(x->st.tmpl_replaced, 1);
	d = tmpl_domain(x->tc, &k, 0, NOW);
	assert_non_null(d);
	assert_int_equal(d->ntmpl, 1);
	assert_int_equal(tmpl_sampler_rate(d, 1, 5), 100);
	assert_true(d->sys_init_ms == 12345);
	assert_int_equal(tmpl_withdraw(x->tc, &k), 0);
	assert_null(tmpl_domain(x->tc, &k, 0, NOW));
	/* A domain created without a template is freed with the cache. */
	assert_non_null(tmpl_domain(x->tc, &k, 1, NOW));
	assert_non_null(tmpl_domain(x->tc, &k, 0, NOW));
	fx_free(x);
}

/*
 * The key: exporter address, port, version, domain, id; each part makes
 * a different template.
 */
static void
test_tmpl_keys(void **state)
{
	struct fx *x = fx_new(100, 100, 100, 60);
	struct tmpl_key k[6];
	const struct tmpl *t;
	int i;

	(void)state;
	k[0] = key("192.0.2.1", 10, 1, 256);
	k[1] = key("192.0.2.1", 9, 1, 256);
	k[2] = key("192.0.2.1", 10, 2, 256);
	k[3] = key("192.0.2.1", 10, 1, 257);
	k[4] = key("::ffff:192.0.2.1", 10, 1, 256);
	k[5] = key("192.0.2.1", 10, 1, 256);
	k[5].port = 2055;
	for (i = 0; i < 6; i++)
		assert_int_equal(tmpl_put(x->tc, &k[i], 0, 0,
		    i % 2 ? def_a : def_b, 2, NOW), 0);
	assert_int_equal(x->st.tmpl_added, 6);
	assert_int_equal(tmpl_count(x->tc), 6);
	for (i = 0; i < 6; i++) {
		t = tmpl_get(x->tc, &k[i], NOW);
		assert_non_null(t);
		assert_int_equal(t->ops[1].tgt, i % 2 ? IE_DST4 : IE_BYTES);
		assert_int_equal(t->key.version, k[i].version);
		assert_int_equal(t->key.port, k[i].port);
	}
	fx_free(x);
}

static void
count_cb(void *arg, const struct tmpl *t)
{
	unsigned *n = arg;

	(void)t;
	(*n)++;
}

/*
 * HOSTILE R-1: templates per exporter are capped; the exporter's least
 * recently defined one is evicted (counted), other exporters untouched.
 */
static void
test_tmpl_cap_per_exporter(void **state)
{
	struct fx *x = fx_new(3, 100, 10, 3600);
	uint16_t id;

	(void)state;
	for (id = 256; id < 259; id++)
		assert_int_equal(put(x, "192.0.2.1", 1, id, NOW + id), 0);
	assert_int_equal(put(x, "192.0.2.2", 1, 256, NOW), 0);
	assert_int_equal(x->st.tmpl_evicted, 0);
	/* 256 refreshed: 257 is now the oldest of 192.0.2.1. */
	assert_int_equal(put(x, "192.0.2.1", 1, 256, NOW + 1000), 0);
	assert_int_equal(put(x, "192.0.2.1", 2, 300, NOW + 1001), 0);
	assert_int_equal(x->st.tmpl_evicted, 1);
	assert_null(get(x, "192.0.2.1", 1, 257, NOW + 1001));
	assert_non_null(get(x, "192.0.2.1", 1, 256, NOW + 1001));
	assert_non_null(get(x, "192.0.2.1", 1, 258, NOW + 1001));
	assert_non_null(get(x, "192.0.2.1", 2, 300, NOW + 1001));
	assert_non_null(get(x, "192.0.2.2", 1, 256, NOW + 1001));
	assert_int_equal(tmpl_count(x->tc), 4);
	/* A replacement is not an addition: no eviction. */
	assert_int_equal(tmpl_put(x->tc, &(struct tmpl_key){ 0 }, 0, 0,
	    def_a, 2, NOW), 0);		/* an af-0 exporter: its own */
	assert_int_equal(x->st.tmpl_evicted, 1);
	{
		struct tmpl_key k = key("192.0.2.1", 10, 1, 256);

		assert_int_equal(tmpl_put(x->tc, &k, 0, 0, def_b, 2,
		    NOW + 2000), 0);
	}
	assert_int_equal(x->st.tmpl_replaced, 1);
	assert_int_equal(x->st.tmpl_evicted, 1);
	assert_int_equal(tmpl_count(x->tc), 5);
	fx_free(x);
}

/* HOSTILE: the total is capped across exporters. */
static void
test_tmpl_cap_total(void **state)
{
	struct fx *x = fx_new(100, 5, 10, 3600);
	char a[32];
	unsigned i, n = 0;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(a, sizeof(a), "198.51.100.%u", i + 1);
		assert_int_equal(put(x, a, 1, 256, NOW + i), 0);
	}
	assert_int_equal(x->st.tmpl_evicted, 0);
	assert_int_equal(put(x, "203.0.113.1", 1, 256, NOW + 10), 0);
	assert_int_equal(x->st.tmpl_evicted, 1);
	assert_null(get(x, "198.51.100.1", 1, 256, NOW + 10));
	assert_non_null(get(x, "198.51.100.2", 1, 256, NOW + 10));
	assert_int_equal(tmpl_count(x->tc), 5);
	/* A spoofed-source flood: never more than the cap. */
	for (i = 0; i < 2000; i++) {
		snprintf(a, sizeof(a), "10.%u.%u.1", i >> 8, i & 0xff);
		assert_int_equal(put(x, a, i, (uint16_t)(256 + i % 7),
		    NOW + 100 + i), 0);
	}
	assert_int_equal(tmpl_count(x->tc), 5);
	assert_int_equal(x->st.tmpl_evicted, 2001);
	assert_int_equal(x->st.tmpl_added, 2006);
	tmpl_foreach(x->tc, count_cb, &n);
	assert_int_equal(n, 5);
	fx_free(x);
}

/*
 * HOSTILE IX-9: domains per exporter are capped; the least recently used
 * domain goes with all its templates (each counted).
 */
static void
test_tmpl_cap_domains(void **state)
{
	struct fx *x = fx_new(100, 100, 2, 3600);
	struct tmpl_key k1 = key("192.0.2.1", 10, 1, 0);

	(void)state;
	assert_int_equal(put(x, "192.0.2.1", 1, 256, NOW), 0);
	assert_int_equal(put(x, "192.0.2.1", 1, 257, NOW + 1), 0);
	assert_int_equal(put(x, "192.0.2.1", 2, 256, NOW + 2), 0);
	assert_int_equal(put(x, "192.0.2.2", 1, 256, NOW + 3), 0);
	assert_int_equal(put(x, "192.0.2.2", 2, 256, NOW + 4), 0);
	tmpl_sampler_set(tmpl_domain(x->tc, &k1, 0, NOW), 0, 0, 64);
	assert_int_equal(put(x, "192.0.2.1", 3, 256, NOW + 5), 0);
	assert_int_equal(x->st.tmpl_evicted, 2);
	assert_null(get(x, "192.0.2.1", 1, 256, NOW + 5));
	assert_null(get(x, "192.0.2.1", 1, 257, NOW + 5));
	assert_null(tmpl_domain(x->tc, &k1, 0, NOW + 5));
	assert_non_null(get(x, "192.0.2.1", 2, 256, NOW + 5));
	assert_non_null(get(x, "192.0.2.1", 3, 256, NOW + 5));
	assert_int_equal(tmpl_count(x->tc), 5 - 2 + 1);

	/* A definition in domain 2 makes domain 3 the least recent. */
	assert_int_equal(put(x, "192.0.2.1", 2, 257, NOW + 6), 0);
	assert_int_equal(put(x, "192.0.2.1", 4, 256, NOW + 7), 0);
	assert_int_equal(x->st.tmpl_evicted, 3);
	assert_null(get(x, "192.0.2.1", 3, 256, NOW + 7));
	assert_non_null(get(x, "192.0.2.1", 2, 256, NOW + 7));
	/* The other exporter kept both of its domains throughout. */
	assert_non_null(get(x, "192.0.2.2", 1, 256, NOW + 7));
	assert_non_null(get(x, "192.0.2.2", 2, 256, NOW + 7));
	fx_free(x);
}

/* Expiry by age, on use (tmpl_get) and by sweep (tmpl_expire). */
static void
test_tmpl_expiry(void **state)
{
	struct fx *x = fx_new(100, 100, 10, 60);

	(void)state;
	assert_int_equal(put(x, "192.0.2.1", 1, 256, NOW), 0);
	assert_non_null(get(x, "192.0.2.1", 1, 256, NOW + 60000));
	/* A clock that went back does not expire anything. */
	assert_non_null(get(x, "192.0.2.1", 1, 256, NOW - 100000));
	assert_null(get(x, "192.0.2.1", 1, 256, NOW + 60001));
	assert_int_equal(x->st.tmpl_expired, 1);
	assert_int_equal(tmpl_count(x->tc), 0);
	/* Unknown is not expired. */
	assert_null(get(x, "192.0.2.1", 1, 256, NOW + 60001));
	assert_int_equal(x->st.tmpl_expired, 1);

	assert_int_equal(put(x, "192.0.2.1", 1, 256, NOW), 0);
	assert_int_equal(put(x, "192.0.2.1", 1, 257, NOW + 10000), 0);
	assert_int_equal(put(x, "192.0.2.2", 1, 256, NOW + 20000), 0);
	assert_int_equal(put(x, "192.0.2.2", 1, 257, NOW + 30000), 0);
	/* 256 of 192.0.2.1 refreshed: it outlives 257. */
	assert_int_equal(put(x, "192.0.2.1", 1, 256, NOW + 25000), 0);
	assert_int_equal(tmpl_expire(x->tc, NOW + 60000), 0);
	assert_int_equal(tmpl_expire(x->tc, NOW + 80001), 2);
	assert_int_equal(x->st.tmpl_expired, 3);
	assert_null(get(x, "192.0.2.1", 1, 257, NOW + 80001));
	assert_null(get(x, "192.0.2.2", 1, 256, NOW + 80001));
	assert_non_null(get(x, "192.0.2.1", 1, 256, NOW + 80001));
	assert_non_null(get(x, "192.0.2.2", 1, 257, NOW + 80001));
	assert_int_equal(tmpl_expire(x->tc, NOW + 1000000), 2);
	assert_int_equal(x->st.tmpl_expired, 5);
	assert_int_equal(tmpl_count(x->tc), 0);
	assert_int_equal(tmpl_expire(x->tc, NOW + 2000000), 0);
	fx_free(x);
}

/* Withdrawal of one template and of all (data or options) of a domain. */
static void
test_tmpl_withdraw(void **state)
{
	struct fx *x = fx_new(100, 100, 10, 60);
	struct tmpl_key k = key("192.0.2.1", 10, 1, 256);
	struct tmpl_key dom = key("192.0.2.1", 10, 1, 0);
	uint16_t id;

	(void)state;
	assert_int_equal(tmpl_withdraw(x->tc, &k), -1);
	assert_int_equal(x->st.tmpl_withdrawn, 0);
	for (id = 256; id < 262; id++) {
		k.id = id;
		assert_int_equal(tmpl_put(x->tc, &k, id % 2, id % 2, def_a, 2,
		    NOW), 0);
	}
	assert_int_equal(put(x, "192.0.2.1", 2, 256, NOW), 0);
	k.id = 256;
	assert_int_equal(tmpl_withdraw(x->tc, &k), 0);
	assert_int_equal(tmpl_withdraw(x->tc, &k), -1);
	assert_int_equal(x->st.tmpl_withdrawn, 1);
	assert_int_equal(tmpl_count(x->tc), 6);
	/* All options templates (257, 259, 261) of domain 1. */
	tmpl_withdraw_all(x->tc, &dom, 1);
	assert_int_equal(x->st.tmpl_withdrawn, 4);
	assert_int_equal(tmpl_count(x->tc), 3);
	k.id = 258;
	assert_non_null(tmpl_get(x->tc, &k, NOW));
	/* All data templates of domain 1: domain 2 stays. */
	tmpl_withdraw_all(x->tc, &dom, 0);
	assert_int_equal(x->st.tmpl_withdrawn, 6);
	assert_int_equal(tmpl_count(x->tc), 1);
	assert_null(tmpl_domain(x->tc, &dom, 0, NOW));
	assert_non_null(get(x, "192.0.2.1", 2, 256, NOW));
	/* Nothing left to withdraw; unknown exporter. */
	tmpl_withdraw_all(x->tc, &dom, 0);
	dom = key("192.0.2.200", 10, 1, 0);
	tmpl_withdraw_all(x->tc, &dom, 0);
	assert_int_equal(x->st.tmpl_withdrawn, 6);
	assert_int_equal(x->st.tmpl_added, 7);
	fx_free(x);
}

/* The sampler table of a domain. */
static void
test_tmpl_samplers(void **state)
{
	struct fx *x = fx_new(100, 100, 10, 60);
	struct tmpl_key k = key("192.0.2.1", 9, 1, 256);
	struct tmpl_domain *d;
	uint32_t i;

	(void)state;
	assert_int_equal(tmpl_sampler_rate(NULL, 1, 1), 0);
	assert_int_equal(tmpl_put(x->tc, &k, 0, 0, def_a, 2, NOW), 0);
	d = tmpl_domain(x->tc, &k, 0, NOW);
	assert_non_null(d);
	assert_int_equal(tmpl_sampler_rate(d, 0, 0), 0);
	assert_int_equal(tmpl_sampler_rate(d, 1, 7), 0);
	/* One sampler: records naming none get it, others do not. */
	tmpl_sampler_set(d, 1, 7, 100);
	assert_int_equal(tmpl_sampler_rate(d, 1, 7), 100);
	assert_int_equal(tmpl_sampler_rate(d, 0, 0), 100);
	assert_int_equal(tmpl_sampler_rate(d, 1, 8), 0);
	/* Rate 0 is no announcement. */
	tmpl_sampler_set(d, 1, 7, 0);
	tmpl_sampler_set(d, 0, 0, 0);
	assert_int_equal(tmpl_sampler_rate(d, 1, 7), 100);
	assert_int_equal(d->default_rate, 0);
	/* Two: records naming none are not guessed. */
	tmpl_sampler_set(d, 1, 8, 200);
	assert_int_equal(tmpl_sampler_rate(d, 0, 0), 0);
	assert_int_equal(tmpl_sampler_rate(d, 1, 8), 200);
	/* A default covers unnamed and unknown samplers. */
	tmpl_sampler_set(d, 0, 0, 50);
	assert_int_equal(tmpl_sampler_rate(d, 0, 0), 50);
	assert_int_equal(tmpl_sampler_rate(d, 1, 99), 50);
	assert_int_equal(tmpl_sampler_rate(d, 1, 7), 100);
	/* Updated in place. */
	tmpl_sampler_set(d, 1, 7, 10);
	assert_int_equal(tmpl_sampler_rate(d, 1, 7), 10);
	assert_int_equal(d->nsamplers, 2);
	/* The table is bounded: the 17th overwrites a slot. */
	for (i = 100; i < 100 + TMPL_MAX_SAMPLERS; i++)
		tmpl_sampler_set(d, 1, i, i);
	assert_int_equal(d->nsamplers, TMPL_MAX_SAMPLERS);
	assert_int_equal(tmpl_sampler_rate(d, 1, 100 + TMPL_MAX_SAMPLERS - 1),
	    100 + TMPL_MAX_SAMPLERS - 1);
	assert_int_equal(tmpl_sampler_rate(d, 1, 0xffffffff), 50);
	fx_free(x);
}

static void
order_cb(void *arg, const struct tmpl *t)
{
	uint16_t **p = arg;

	*(*p)++ = t->key.id;
}

/* tmpl_foreach visits oldest first (by definition or refresh). */
static void
test_tmpl_foreach(void **state)
{
	struct fx *x = fx_new(100, 100, 10, 60);
	uint16_t ids[8], *p = ids;

	(void)state;
	assert_int_equal(put(x, "192.0.2.1", 1, 300, NOW), 0);
	assert_int_equal(put(x, "192.0.2.2", 1, 301, NOW + 1), 0);
	assert_int_equal(put(x, "192.0.2.1", 2, 302, NOW + 2), 0);
	assert_int_equal(put(x, "192.0.2.1", 1, 300, NOW + 3), 0);
	tmpl_foreach(x->tc, order_cb, &p);
	assert_int_equal(p - ids, 3);
	assert_int_equal(ids[0], 301);
	assert_int_equal(ids[1], 302);
	assert_int_equal(ids[2], 300);
	fx_free(x);
}

/* HOSTILE R-1: a flood of ids from one exporter stops at the cap. */
static void
test_tmpl_flood(void **state)
{
	struct fx *x = fx_new(DEC_DEF_TMPL_PER_EXPORTER, DEC_DEF_TMPL_TOTAL,
	    DEC_DEF_DOMAINS_PER_EXPORTER, DEC_DEF_TMPL_MAX_AGE);
	uint32_t id;

	(void)state;
	for (id = 256; id <= 0xffff; id++)
		assert_int_equal(put(x, "192.0.2.1", 1, (uint16_t)id,
		    NOW + id), 0);
	assert_int_equal(tmpl_count(x->tc), DEC_DEF_TMPL_PER_EXPORTER);
	assert_int_equal(x->st.tmpl_added, 65280);
	assert_int_equal(x->st.tmpl_evicted, 65280 - DEC_DEF_TMPL_PER_EXPORTER);
	assert_null(get(x, "192.0.2.1", 1, 256, NOW + 0xffff));
	assert_non_null(get(x, "192.0.2.1", 1, 0xffff, NOW + 0xffff));
	assert_non_null(get(x, "192.0.2.1", 1,
	    (uint16_t)(0x10000 - DEC_DEF_TMPL_PER_EXPORTER), NOW + 0xffff));
	assert_null(get(x, "192.0.2.1", 1,
	    (uint16_t)(0xffff - DEC_DEF_TMPL_PER_EXPORTER), NOW + 0xffff));
	fx_free(x);
}

/* What the cache holds, counted by walking it. */
struct census {
	unsigned	n;
	unsigned	per_exp[8];
	uint8_t		dom[8][16];
};

static void
census_cb(void *arg, const struct tmpl *t)
{
	struct census *c = arg;
	unsigned e = t->key.exp.a[3];

	c->n++;
	assert_true(e < 8);
	c->per_exp[e]++;
	assert_true(t->key.domain < 16);
	c->dom[e][t->key.domain] = 1;
}

/*
 * Random puts, refreshes, replacements, withdrawals, expiry and domain
 * evictions on small caps: the caps hold after every step, the walk agrees
 * with the count, and the counters balance (ASan checks the lists).
 */
static void
test_tmpl_random(void **state)
{
	struct fx *x = fx_new(6, 20, 3, 30);
	uint32_t r = 2463534242u;
	uint64_t now = NOW;
	struct tmpl_key k;
	struct census c;
	char a[32];
	int i;
	unsigned e, d, dn;

	(void)state;
	for (i = 0; i < 20000; i++) {
		r ^= r << 13;			/* xorshift32 */
		r ^= r >> 17;
		r ^= r << 5;
		snprintf(a, sizeof(a), "192.0.2.%u", r % 8);
		k = key(a, 10, (r >> 3) % 16, (uint16_t)(256 + (r >> 7) % 12));
		now += (r >> 11) % 5000;
		switch ((r >> 20) % 8) {
		case 0:
			(void)tmpl_withdraw(x->tc, &k);
			break;
		case 1:
			tmpl_withdraw_all(x->tc, &k, (r >> 23) & 1);
			break;
		case 2:
			(void)tmpl_expire(x->tc, now);
			break;
		case 3:
			(void)tmpl_get(x->tc, &k, now);
			break;
		default:
			assert_int_equal(tmpl_put(x->tc, &k, (r >> 23) & 1,
			    (r >> 23) & 1, (r >> 24) & 1 ? def_a : def_b, 2,
			    now), 0);
			break;
		}
		memset(&c, 0, sizeof(c));
		tmpl_foreach(x->tc, census_cb, &c);
		assert_int_equal(c.n, tmpl_count(x->tc));
		assert_true(c.n <= 20);
		for (e = 0; e < 8; e++) {
			assert_true(c.per_exp[e] <= 6);
			for (d = 0, dn = 0; d < 16; d++)
				dn += c.dom[e][d];
			assert_true(dn <= 3);
		}
		assert_int_equal(x->st.tmpl_added - x->st.tmpl_evicted -
		    x->st.tmpl_withdrawn - x->st.tmpl_expired,
		    tmpl_count(x->tc));
	}
	assert_true(x->st.tmpl_evicted > 0);
	assert_true(x->st.tmpl_expired > 0);
	assert_true(x->st.tmpl_withdrawn > 0);
	assert_true(x->st.tmpl_replaced > 0);
	assert_true(x->st.tmpl_refreshed > 0);
	fx_free(x);
}

/* ------------------------------------------------------------------ */
/* Through the decoder: the counters a v9 exporter's life moves.       */

static void
v9_hdr(struct pk *p)
{
	p->n = 0;
	pk_u16(p, 9);
	pk_u16(p, 1);
	pk_u32(p, 100000);
	pk_u32(p, 1700000000);
	pk_u32(p, 1);
	pk_u32(p, 3);			/* source id */
}

/* Template 256: src, dst (or dst, src when swapped). */
static void
v9_tmpl(struct pk *p, int swapped)
{
	pk_u16(p, 0);
	pk_u16(p, 16);
	pk_u16(p, 256);
	pk_u16(p, 2);
	pk_u16(p, swapped ? 12 : 8);
	pk_u16(p, 4);
	pk_u16(p, swapped ? 8 : 12);
	pk_u16(p, 4);
}

static void
v9_data(struct pk *p)
{
	pk_u16(p, 256);
	pk_u16(p, 12);
	pk_u32(p, 0x0a000001);
	pk_u32(p, 0x0a000002);
}

static void
test_tmpl_counters_decoder(void **state)
{
	struct dec_limits lim;
	struct pk p;
	struct tu *t;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.tmpl_max_age = 100;
	t = tu_new_lim(&lim);
	/* Data first: missing. */
	v9_hdr(&p);
	v9_data(&p);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.tmpl_missing, 1);
	/* Added. */
	v9_hdr(&p);
	v9_tmpl(&p, 0);
	v9_data(&p);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	assert_string_equal(tu_addr(&tu_flow(t, 0)->src), "10.0.0.1");
	/* Refreshed, 90 s later: its life starts again. */
	t->in.mono_ms += 90000;
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_refreshed, 1);
	/* Replaced. */
	t->in.mono_ms += 90000;
	v9_hdr(&p);
	v9_tmpl(&p, 1);
	v9_data(&p);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(t->ctx.st.tmpl_replaced, 1);
	assert_string_equal(tu_addr(&tu_flow(t, 2)->src), "10.0.0.2");
	/* Expired, then missing. */
	t->in.mono_ms += 100001;
	v9_hdr(&p);
	v9_data(&p);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_PARTIAL);
	assert_int_equal(t->ctx.st.tmpl_expired, 1);
	assert_int_equal(t->ctx.st.tmpl_missing, 2);
	assert_int_equal(t->ctx.st.tmpl_added, 1);
	assert_int_equal(t->ctx.st.tmpl_refreshed, 1);
	assert_int_equal(t->ctx.st.tmpl_replaced, 1);
	assert_int_equal(t->ctx.st.tmpl_evicted, 0);
	assert_int_equal(t->ctx.st.tmpl_withdrawn, 0);
	assert_int_equal(t->ctx.st.tmpl_rejected, 0);
	assert_int_equal(t->ctx.st.records, 3);
	assert_int_equal(tmpl_count(t->ctx.tc), 0);
	tu_free(t);
}

/* The decoder's caps come from its limits (per exporter, total). */
static void
test_tmpl_decoder_caps(void **state)
{
	struct dec_limits lim;
	struct pk p;
	struct tu *t;
	uint16_t id;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.tmpl_per_exporter = 2;
	lim.tmpl_total = 3;
	t = tu_new_lim(&lim);
	for (id = 256; id < 260; id++) {
		v9_hdr(&p);
		v9_tmpl(&p, 0);
		pk_put16(&p, 24, id);		/* the template id */
		assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	}
	assert_int_equal(t->ctx.st.tmpl_added, 4);
	assert_int_equal(t->ctx.st.tmpl_evicted, 2);
	assert_int_equal(tmpl_count(t->ctx.tc), 2);
	assert_int_equal(flow_addr_parse(&t->in.exporter, "192.0.2.7"), 0);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(flow_addr_parse(&t->in.exporter, "192.0.2.8"), 0);
	assert_int_equal(tu_feed(t, p.b, p.n), DEC_OK);
	assert_int_equal(tmpl_count(t->ctx.tc), 3);
	assert_int_equal(t->ctx.st.tmpl_evicted, 3);
	tu_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tmpl_compile),
		cmocka_unit_test(test_tmpl_compile_scope),
		cmocka_unit_test(test_tmpl_reject),
		cmocka_unit_test(test_tmpl_refresh_replace),
		cmocka_unit_test(test_tmpl_domain_state),
		cmocka_unit_test(test_tmpl_keys),
		cmocka_unit_test(test_tmpl_cap_per_exporter),
		cmocka_unit_test(test_tmpl_cap_total),
		cmocka_unit_test(test_tmpl_cap_domains),
		cmocka_unit_test(test_tmpl_expiry),
		cmocka_unit_test(test_tmpl_withdraw),
		cmocka_unit_test(test_tmpl_samplers),
		cmocka_unit_test(test_tmpl_foreach),
		cmocka_unit_test(test_tmpl_flood),
		cmocka_unit_test(test_tmpl_random),
		cmocka_unit_test(test_tmpl_counters_decoder),
		cmocka_unit_test(test_tmpl_decoder_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
