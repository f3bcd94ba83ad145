/*
 * test_tmplstate.c - the template state file (collector/tmplstate.c) and
 * the per-exporter counters (collector/exstats.c).
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

#include "exstats.h"
#include "tmpl.h"
#include "tmplstate.h"

#define NOW	1700000000000ULL

static struct dec_stats st;

static struct tmpl_cache *
cache(void)
{
	struct dec_limits lim;
	struct tmpl_cache *tc;

	memset(&lim, 0, sizeof(lim));
	lim.tmpl_per_exporter = 100;
	lim.tmpl_total = 1000;
	lim.domains_per_exporter = 10;
	lim.tmpl_max_age = 3600;
	lim.record_budget = 100;
	tc = tmpl_cache_new(&lim, &st);
	assert_non_null(tc);
	return tc;
}

static void
key(struct tmpl_key *k, const char *exp, uint32_t dom, uint16_t id, int v)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(flow_addr_parse(&k->exp, exp), 0);
	k->version = (uint8_t)v;
	k->domain = dom;
	k->id = id;
}

static char *
tmpdir(void)
{
	char *d = strdup("/tmp/fs-tmplstate-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_roundtrip(void **state)
{
	static const struct tmpl_field f1[] = { { 8, 4, 0 }, { 12, 4, 0 },
	    { 1, 8, 0 } };
	static const struct tmpl_field f2[] = { { 27, 16, 0 }, { 28, 16, 0 },
	    { 1, 0xffff, 29305 }, { 2, 4, 0 } };
	static const struct tmpl_field f3[] = { { 149, 4, 0 }, { 34, 4, 0 } };
	struct tmpl_cache *a = cache(), *b = cache();
	struct tmpl_key k;
	const struct tmpl *t;
	struct tmplstate *s;
	char *dir = tmpdir(), path[256], err[512];

	(void)state;
	key(&k, "192.0.2.1", 0, 256, 9);
	assert_int_equal(tmpl_put(a, &k, 0, 0, f1, 3, NOW), 0);
	key(&k, "2001:db8::1", 77, 300, 10);
	assert_int_equal(tmpl_put(a, &k, 0, 0, f2, 4, NOW - 1000), 0);
	key(&k, "2001:db8::1", 77, 301, 10);
	assert_int_equal(tmpl_put(a, &k, 1, 1, f3, 2, NOW), 0);
	snprintf(path, sizeof(path), "%s/templates-0.state", dir);
	assert_int_equal(tmplstate_save(a, path, 0, err, sizeof(err)), 0);

	s = tmplstate_read(path, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(tmplstate_count(s), 3);
	assert_int_equal(tmplstate_apply(s, b, NOW + 1000, NOW + 1000,
	    3600000), 3);
	key(&k, "2001:db8::1", 77, 300, 10);
	t = tmpl_get(b, &k, NOW + 1000);
	assert_non_null(t);
	assert_int_equal(t->nfields, 4);
	assert_int_equal(t->fields[2].pen, 29305);
	assert_int_equal(t->fields[2].len, 0xffff);
	assert_int_equal(t->seen_ms, NOW - 1000);
	key(&k, "2001:db8::1", 77, 301, 10);
	t = tmpl_get(b, &k, NOW + 1000);
	assert_non_null(t);
	assert_int_equal(t->options, 1);
	assert_int_equal(t->nscope, 1);
	tmplstate_free(s);

	/* Too old to restore. */
	s = tmplstate_read(path, err, sizeof(err));
	assert_non_null(s);
	tmpl_cache_free(b);
	b = cache();
	assert_int_equal(tmplstate_apply(s, b, NOW + 7200000, NOW + 7200000,
	    3600000), 0);
	tmplstate_free(s);

	/*
	 * The cache's clock is steady, 1 day behind the wall clock (stepped
	 * forward during the run, HOSTILE D-5): the file holds wall times,
	 * and a cache whose clock is 5 h ahead of the wall clock after the
	 * restart gets the templates with the ages they had (1 s and 2 s
	 * plus the 10 s the restart took).
	 */
	snprintf(path, sizeof(path), "%s/templates-1.state", dir);
	assert_int_equal(tmplstate_save(a, path, 86400000, err, sizeof(err)),
	    0);
	s = tmplstate_read(path, err, sizeof(err));
	assert_non_null(s);
	tmpl_cache_free(b);
	b = cache();
	assert_int_equal(tmplstate_apply(s, b, NOW + 86400000 + 10000,
	    NOW + 5 * 3600000 + 10000, 3600000), 3);
	key(&k, "2001:db8::1", 77, 300, 10);
	t = tmpl_get(b, &k, NOW + 5 * 3600000 + 10000);
	assert_non_null(t);
	assert_int_equal(t->seen_ms, NOW + 5 * 3600000 - 1000);
	tmplstate_free(s);
	/* The wall clock went back 2 days since the save: fresh, not lost. */
	s = tmplstate_read(path, err, sizeof(err));
	assert_non_null(s);
	tmpl_cache_free(b);
	b = cache();
	assert_int_equal(tmplstate_apply(s, b, NOW - 86400000, NOW, 3600000),
	    3);
	t = tmpl_get(b, &k, NOW);
	assert_non_null(t);
	assert_int_equal(t->seen_ms, NOW);
	tmplstate_free(s);
	unlink(path);
	snprintf(path, sizeof(path), "%s/templates-0.state", dir);
	tmpl_cache_free(a);
	tmpl_cache_free(b);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void
expect_bad(const char *text, const char *why)
{
	char *dir = tmpdir(), path[256], err[512];

	snprintf(path, sizeof(path), "%s/t.state", dir);
	write_file(path, text);
	assert_null(tmplstate_read(path, err, sizeof(err)));
	assert_non_null(strstr(err, why));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void
test_corrupt(void **state)
{
	(void)state;
	expect_bad("", "cut short");
	expect_bad("something else\n", ":1: not a template state file");
	expect_bad("flowsentry-templates 1\n"
	    "t 192.0.2.1 0 9 0 256 0 0 1700000000000 1 8:4:0\n", "cut short");
	expect_bad("flowsentry-templates 1\n"
	    "t 192.0.2.1 0 9 0 256 0 0 1700000000000 1 8:4:0\nend 2\n",
	    ":3: 1 templates, the trailer says 2");
	expect_bad("flowsentry-templates 1\n"
	    "t 192.0.2.1 0 9 0 255 0 0 1700000000000 1 8:4:0\nend 1\n",
	    ":2: malformed");		/* template id < 256 */
	expect_bad("flowsentry-templates 1\n"
	    "t 192.0.2.1 0 8 0 256 0 0 1700000000000 1 8:4:0\nend 1\n",
	    ":2: malformed");		/* version 8 */
	expect_bad("flowsentry-templates 1\n"
	    "t 192.0.2.1 0 9 0 256 0 0 1700000000000 2 8:4:0\nend 1\n",
	    ":2: malformed");		/* fewer fields than said */
	expect_bad("flowsentry-templates 1\n"
	    "t 192.0.2.1 0 9 0 256 0 0 1700000000000 1 8:4:0 9:9:9\nend 1\n",
	    ":2: malformed");		/* more */
	expect_bad("flowsentry-templates 1\n"
	    "t 999.0.2.1 0 9 0 256 0 0 1700000000000 1 8:4:0\nend 1\n",
	    ":2: malformed");
	expect_bad("flowsentry-templates 1\n"
	    "t 192.0.2.1 0 9 0 256 0 0 1700000000000 1 8:70000:0\nend 1\n",
	    ":2: malformed");
	expect_bad("flowsentry-templates 1\nend 0\nextra\n",
	    ":3: data after the end");
}

/*
 * HOSTILE D-4: a huge state file is refused whole at 2^17 templates (no
 * unbounded allocation at start), and what a file holds within that goes
 * through the caps of the cache like templates off the wire.
 */
static void
test_huge(void **state)
{
	struct tmpl_cache *tc = cache();
	struct tmplstate *s;
	char *dir = tmpdir(), path[256], err[512];
	static const unsigned sizes[] = { 2000, (1u << 17) + 1 };
	uint64_t evicted = st.tmpl_evicted;
	unsigned i, j, n;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/big.state", dir);
	for (j = 0; j < 2; j++) {
		n = sizes[j];
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs("flowsentry-templates 1\n", fp);
		for (i = 0; i < n; i++)
			fprintf(fp, "t 192.0.2.1 0 9 %u %u 0 0 %llu 1 8:4:0\n",
			    i / 60000, 256 + i % 60000,
			    (unsigned long long)NOW);
		fprintf(fp, "end %u\n", n);
		fclose(fp);
		s = tmplstate_read(path, err, sizeof(err));
		if (n == 2000) {
			assert_non_null(s);
			assert_int_equal(tmplstate_count(s), 2000);
			tmplstate_apply(s, tc, NOW, NOW, 3600000);
			/* tmpl_per_exporter 100 of cache() */
			assert_true(tmpl_count(tc) <= 100);
			assert_true(st.tmpl_evicted - evicted >= 1900);
			tmplstate_free(s);
		} else {
			assert_null(s);
			assert_non_null(strstr(err, ": too many templates"));
		}
	}
	tmpl_cache_free(tc);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void
test_missing(void **state)
{
	char err[512];

	(void)state;
	assert_null(tmplstate_read("/nonexistent/t.state", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/t.state: "));
}

static void
test_exstats_cap(void **state)
{
	struct exstats e, m;
	struct flow_addr a;
	char s[64];
	int i;

	(void)state;
	assert_int_equal(exstats_init(&e, 4), 0);
	for (i = 0; i < 10; i++) {
		snprintf(s, sizeof(s), "192.0.2.%d", i + 1);
		assert_int_equal(flow_addr_parse(&a, s), 0);
		exstats_get(&e, &a)->dgrams[EX_NF9]++;
	}
	assert_int_equal(e.n, 4);
	assert_int_equal(e.other.dgrams[EX_NF9], 6);
	/* Known ones are found again, not put in "other". */
	assert_int_equal(flow_addr_parse(&a, "192.0.2.1"), 0);
	exstats_get(&e, &a)->dgrams[EX_NF9]++;
	assert_int_equal(exstats_get(&e, &a)->dgrams[EX_NF9], 2);
	assert_int_equal(e.other.dgrams[EX_NF9], 6);

	assert_int_equal(exstats_init(&m, 16), 0);
	exstats_merge(&m, &e);
	exstats_merge(&m, &e);
	assert_int_equal(exstats_get(&m, &a)->dgrams[EX_NF9], 4);
	assert_int_equal(m.other.dgrams[EX_NF9], 12);
	exstats_free(&e);
	exstats_free(&m);
}

static void
test_ex_proto(void **state)
{
	static const uint8_t sf[] = { 0, 0, 0, 5, 0, 0, 0, 1 };
	static const uint8_t v5[] = { 0, 5, 0, 1 }, v9[] = { 0, 9, 0, 1 },
	    fx[] = { 0, 10, 0, 16 }, v7[] = { 0, 7, 0, 1 };

	(void)state;
	assert_int_equal(ex_proto_of(sf, sizeof(sf)), EX_SFLOW);
	assert_int_equal(ex_proto_of(v5, 4), EX_NF5);
	assert_int_equal(ex_proto_of(v9, 4), EX_NF9);
	assert_int_equal(ex_proto_of(fx, 4), EX_IPFIX);
	assert_int_equal(ex_proto_of(v7, 4), EX_OTHER);
	assert_int_equal(ex_proto_of(v9, 3), EX_OTHER);
	assert_string_equal(ex_proto_name(EX_SFLOW), "sflow5");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_exstats_cap),
		cmocka_unit_test(test_ex_proto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
