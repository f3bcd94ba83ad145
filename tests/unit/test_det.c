/*
 * test_det.c - a detection's JSON, Redis fields and allow command.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "det.h"
#include "detect.h"

static void
sample(struct det *d)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->id, "1763845123001");
	d->ts_ms = 1763845123456ULL;
	strcpy(d->rule, "smtp-from-non-mail");
	d->severity = 3;
	strcpy(d->rules[0], "unexpected-outbound");
	d->nrules = 1;
	flow_addr_parse(&d->host, "192.0.2.11");
	strcpy(d->group, "web");
	flow_addr_parse(&d->dst, "198.51.100.7");
	d->dport = 25;
	d->proto = 6;
	strcpy(d->service, "tcp/25");
	strcpy(d->app, "SMTP");
	strcpy(d->country, "US");
	d->asn = 64500;
	strcpy(d->as_org, "Evil \"Corp\"\\\n\x01");
	d->flows = 31;
	d->bytes = 123456;
	d->packets = 400;
	d->first_ms = 1763845000000ULL;
	d->last_ms = 1763845100000ULL;
	flow_addr_parse(&d->exporter, "127.0.0.1");
	strcpy(d->summary, "192.0.2.11 sends mail");
}

static void
test_json(void **state)
{
	struct det d;
	char buf[DET_JSON_MAX];
	int n;

	(void)state;
	sample(&d);
	n = det_json(&d, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"id\":\"1763845123001\""));
	assert_non_null(strstr(buf, "\"severity\":\"high\""));
	assert_non_null(strstr(buf, "\"rules\":[\"unexpected-outbound\"]"));
	assert_non_null(strstr(buf, "\"dport\":25,"));
	assert_non_null(strstr(buf, "\"as_org\":\"Evil \\\"Corp\\\"\\\\\\u000a\\u0001\""));
	assert_non_null(strstr(buf, "\"state\":\"open\"}"));
	assert_null(strchr(buf, '\n'));
	/* Too small: -1, never a cut object. */
	assert_int_equal(det_json(&d, buf, 40), -1);
}

/* Strings from flows need not be UTF-8: JSON must stay valid text. */
static void
test_json_utf8(void **state)
{
	struct det d;
	char buf[DET_JSON_MAX];
	int i;

	(void)state;
	sample(&d);
	/* valid 2-, 3- and 4-byte sequences kept; a stray byte, an overlong
	 * '/', a surrogate and a cut sequence each replaced */
	strcpy(d.as_org, "Telef\xc3\xb3nica \xe2\x82\xac \xf0\x9f\x98\x80 "
	    "\xff \xc0\xaf \xed\xa0\x80 \xe2\x82");
	assert_true(det_json(&d, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"as_org\":\"Telef\xc3\xb3nica "
	    "\xe2\x82\xac \xf0\x9f\x98\x80 \\ufffd \\ufffd\\ufffd "
	    "\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\""));
	/* Every string at its longest, every byte escaped: it still fits. */
	memset(&d, 0, sizeof(d));
	sample(&d);
	memset(d.summary, 1, sizeof(d.summary) - 1);
	memset(d.as_org, 1, sizeof(d.as_org) - 1);
	memset(d.group, 1, sizeof(d.group) - 1);
	memset(d.app, 1, sizeof(d.app) - 1);
	memset(d.rule, 1, sizeof(d.rule) - 1);
	for (i = 0; i < DET_RULES_MAX; i++)
		memset(d.rules[i], 1, sizeof(d.rules[i]) - 1);
	d.nrules = DET_RULES_MAX;
	assert_true(det_json(&d, buf, sizeof(buf)) > 0);
}

/* HOSTILE RH-9: ends that cannot be a peer, sizes no packet has. */
static void
test_plausible(void **state)
{
	static const struct {
		const char *remote;
		uint64_t bytes, packets;
		int want;
	} t[] = {
		{ "198.51.100.7", 1500, 1, 1 },
		{ "198.51.100.7", 65535, 1, 1 },
		{ "198.51.100.7", 65536, 1, 0 },	/* no such packet */
		{ "198.51.100.7", 1ULL << 40, 1000, 0 },
		{ "198.51.100.7", 70000, 0, 0 },	/* bytes, no packet */
		{ "0.0.0.0", 100, 1, 0 },
		{ "255.255.255.255", 100, 1, 0 },
		{ "224.0.0.252", 100, 1, 0 },		/* LLMNR */
		{ "239.255.255.250", 100, 1, 0 },	/* SSDP */
		{ "2001:db8::1", 100, 1, 1 },
		{ "::", 100, 1, 0 },
		{ "ff02::fb", 100, 1, 0 },		/* mDNS */
	};
	struct flow_rec r;
	struct flow_addr local, remote;
	struct enriched e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&r, 0, sizeof(r));
		memset(&e, 0, sizeof(e));
		assert_int_equal(flow_addr_parse(&remote, t[i].remote), 0);
		flow_addr_parse(&local, remote.af == 4 ? "192.0.2.11" :
		    "2001:db8:100::11");
		r.src = local;
		r.dst = remote;
		r.bytes = t[i].bytes;
		r.packets = t[i].packets;
		r.have = FL_SRC | FL_DST | FL_BYTES | FL_PACKETS;
		e.r = &r;
		e.local = &r.src;
		e.remote = &r.dst;
		if (detect_plausible(&e) != t[i].want)
			fail_msg("%s %llu/%llu: want %d", t[i].remote,
			    (unsigned long long)t[i].bytes,
			    (unsigned long long)t[i].packets, t[i].want);
	}
}

static void
test_fields_round_trip(void **state)
{
	struct det d, e;
	const char *names[DET_FIELDS_MAX], *values[DET_FIELDS_MAX];
	char *kv[2 * DET_FIELDS_MAX];
	char store[4096], a[DET_JSON_MAX], b[DET_JSON_MAX];
	int n, i;

	(void)state;
	sample(&d);
	n = det_fields(&d, names, values, DET_FIELDS_MAX, store, sizeof(store));
	assert_true(n > 20);
	for (i = 0; i < n; i++) {
		kv[2 * i] = (char *)names[i];
		kv[2 * i + 1] = (char *)values[i];
	}
	assert_int_equal(det_from_fields(&e, kv, (size_t)n * 2), 0);
	assert_true(det_json(&d, a, sizeof(a)) > 0);
	assert_true(det_json(&e, b, sizeof(b)) > 0);
	assert_string_equal(a, b);
	/* Without an id it is not a detection; a bad number is refused. */
	assert_int_equal(det_from_fields(&e, kv + 2, (size_t)n * 2 - 2), -1);
	kv[3] = "12x";
	assert_int_equal(det_from_fields(&e, kv, (size_t)n * 2), -1);
	assert_int_equal(det_fields(&d, names, values, 3, store, sizeof(store)), -1);
}

static void
test_allow_cmd(void **state)
{
	struct det d;
	char buf[256];

	(void)state;
	sample(&d);
	assert_true(det_allow_cmd(&d, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "flowsentry allow 1763845123001 --scope host "
	    "--dst asn --expires 90d --comment 'WHY THIS IS LEGITIMATE'");
	d.dst_scope = DET_SCOPE_MANY;
	assert_true(det_allow_cmd(&d, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "--dst any"));
	assert_int_equal(det_allow_cmd(&d, buf, 10), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_plausible),
		cmocka_unit_test(test_fields_round_trip),
		cmocka_unit_test(test_allow_cmd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
