/*
 * test_rules.c - the rule language (rules/, flowsentry.rules(5)).
 *
 * Rule files are given as strings (rule_load_string) named "t.rules" with
 * the config groups {"mail-servers", "web"}; every error case checks the
 * exact "t.rules:LINE:COL: reason" message, so an error that points at
 * the wrong token fails.  Records are built field by field; thresholds
 * are fed records with explicit times.  The shipped rules are loaded from
 * FS_SRCDIR/rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "rule.h"
#include "rule_int.h"		/* test_set_lookup looks at a built set */

static const char *const groups[] = { "mail-servers", "web" };
#define NGROUPS		2
#define G_MAIL		(1ull << 0)
#define G_WEB		(1ull << 1)

/* Lists every expression test may use. */
#define PRELUDE \
	"list ports = 80 443 8000-8080\n" \
	"list nets = 10.0.0.0/8 2001:db8::/32\n" \
	"list asns = AS15169 13335\n" \
	"list ccs = us DE\n" \
	"list apps = TLS \"Tor\"\n"

static struct ruleset *
ok(const char *text)
{
	char err[RULE_ERR_MAX] = "";
	struct ruleset *rs = rule_load_string("t.rules", text, groups, NGROUPS,
	    err, sizeof(err));

	if (rs == NULL)
		fail_msg("unexpected error: %s\n%s", err, text);
	return rs;
}

/* The load fails with exactly want. */
static void
bad(const char *text, const char *want)
{
	char err[RULE_ERR_MAX] = "";
	struct ruleset *rs = rule_load_string("t.rules", text, groups, NGROUPS,
	    err, sizeof(err));

	if (rs != NULL) {
		rule_free(rs);
		fail_msg("accepted: %s", text);
	}
	if (strcmp(err, want) != 0)
		fail_msg("error \"%s\"\n want \"%s\"\n in: %s", err, want, text);
}

/* A rule "t" matching expr, after the PRELUDE lists (5 lines). */
static struct ruleset *
expr_rules(const char *expr)
{
	char text[8192];

	snprintf(text, sizeof(text), PRELUDE "rule t {\n\tmatch %s\n"
	    "\tseverity low\n}\n", expr);
	return ok(text);
}

/* A record and the addresses it points at. */
struct trec {
	struct flow_addr	src, dst;
	struct rule_rec		r;
};

static struct rule_rec *
rec(struct trec *t, const char *src, const char *dst, uint8_t proto,
    uint16_t sport, uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(flow_addr_parse(&t->src, src), 0);
	assert_int_equal(flow_addr_parse(&t->dst, dst), 0);
	t->r.src = &t->src;
	t->r.dst = &t->dst;
	t->r.proto = proto;
	t->r.sport = sport;
	t->r.dport = dport;
	t->r.traffic = RULE_OUT;
	t->r.outbound = 1;
	t->r.rate = 1;
	t->r.bytes = 1000;
	t->r.packets = 10;
	t->r.raw_packets = 10;
	t->r.country = "";
	t->r.app = "";
	return &t->r;
}

/* An outbound TCP record 192.0.2.10:40000 -> 198.51.100.1:443. */
static struct rule_rec *
web(struct trec *t)
{
	return rec(t, "192.0.2.10", "198.51.100.1", 6, 40000, 443);
}

/* Does expr match r? */
static int
m(const char *expr, const struct rule_rec *r)
{
	struct ruleset *rs = expr_rules(expr);
	int v = rule_match(rs, 0, r);

	rule_free(rs);
	return v;
}

#define YES(e, r)	do { if (!m(e, r)) fail_msg("no match: %s", e); } \
			while (0)
#define NO(e, r)	do { if (m(e, r)) fail_msg("match: %s", e); } while (0)

/* ---- names, clauses, defaults ----------------------------------------- */

static void
test_severity(void **state)
{
	enum rule_sev s;

	(void)state;
	assert_string_equal(rule_sev_name(RULE_SEV_LOW), "low");
	assert_string_equal(rule_sev_name(RULE_SEV_MEDIUM), "medium");
	assert_string_equal(rule_sev_name(RULE_SEV_HIGH), "high");
	assert_string_equal(rule_sev_name(RULE_SEV_CRITICAL), "critical");
	assert_string_equal(rule_sev_name(0), "unknown");
	assert_string_equal(rule_sev_name(9), "unknown");
	assert_int_equal(rule_sev_parse("critical", &s), 0);
	assert_int_equal(s, RULE_SEV_CRITICAL);
	assert_int_equal(rule_sev_parse("Medium", &s), 0);
	assert_int_equal(s, RULE_SEV_MEDIUM);
	assert_int_equal(rule_sev_parse("severe", &s), -1);
	assert_int_equal(rule_sev_parse("", &s), -1);
}

static void
test_clauses(void **state)
{
	struct ruleset *rs;
	const struct rule_info *ri;

	(void)state;
	rs = ok("# a comment\n"
	    "rule irc {   # the design's example\n"
	    "    match     outbound and proto tcp and (dst port in "
	    "[6660-6669 6697 7000] or app IRC)\n"
	    "    threshold distinct dst > 20 within 60s per src\n"
	    "    min_samples 3\n"
	    "    severity  high\n"
	    "    summary   \"{src} ({group}) talks IRC to {dst}:{dport} "
	    "\\\"{country}\\\" \\\\ {as_org}\"\n"
	    "    suppress  once per src,dst 1h\n"
	    "    whitelist no\n"
	    "    learn     yes\n"
	    "}\n"
	    "\n"
	    "rule b {\n"
	    "\tmatch any\n"
	    "\tseverity LOW\n"
	    "}\n");
	assert_int_equal(rule_count(rs), 2);
	ri = rule_get(rs, 0);
	assert_string_equal(ri->name, "irc");
	assert_string_equal(ri->file, "t.rules");
	assert_int_equal(ri->line, 2);
	assert_int_equal(ri->severity, RULE_SEV_HIGH);
	assert_string_equal(ri->summary, "{src} ({group}) talks IRC to "
	    "{dst}:{dport} \"{country}\" \\ {as_org}");
	assert_int_equal(ri->whitelist, 0);
	assert_int_equal(ri->learn, 1);
	assert_int_equal(ri->suppress_key, RULE_KEY_SRC | RULE_KEY_DST);
	assert_int_equal(ri->suppress_secs, 3600);
	assert_int_equal(ri->agg, RULE_AGG_DISTINCT_DST);
	assert_int_equal(ri->threshold, 20);
	assert_int_equal(ri->window_secs, 60);
	assert_int_equal(ri->per_key, RULE_KEY_SRC);
	assert_int_equal(ri->min_samples, 3);
	/* Defaults. */
	ri = rule_get(rs, 1);
	assert_string_equal(ri->name, "b");
	assert_int_equal(ri->line, 13);
	assert_int_equal(ri->severity, RULE_SEV_LOW);
	assert_null(ri->summary);
	assert_int_equal(ri->whitelist, 1);
	assert_int_equal(ri->learn, 0);
	assert_int_equal(ri->suppress_key, RULE_KEY_SRC | RULE_KEY_DST |
	    RULE_KEY_PROTO | RULE_KEY_DPORT);
	assert_int_equal(ri->suppress_secs, 3600);
	assert_int_equal(ri->agg, RULE_AGG_NONE);
	assert_int_equal(ri->min_samples, 0);
	assert_null(rule_get(rs, 2));
	rule_free(rs);

	/* Every aggregate, suffix, duration and key. */
	rs = ok("rule a {\nmatch any\nseverity medium\n"
	    "threshold count > 1k within 1h30m per sport,dport,proto\n"
	    "suppress none\n}\n"
	    "rule b {\nmatch any\nseverity critical\n"
	    "threshold sum bytes > 5G within 1d per dst\n}\n"
	    "rule c {\nmatch any\nseverity low\n"
	    "threshold sum packets > 2M within 10 per src , dst\n"
	    "suppress once per dport 2w\n}\n"
	    "rule d {\nmatch any\nseverity low\n"
	    "threshold distinct dport > 9999 within 1m per src\n}\n"
	    "rule e {\nmatch any\nseverity low\n"
	    "threshold count > 0 within 30d per src\n}\n");
	ri = rule_get(rs, 0);
	assert_int_equal(ri->agg, RULE_AGG_COUNT);
	assert_int_equal(ri->threshold, 1000);
	assert_int_equal(ri->window_secs, 5400);
	assert_int_equal(ri->per_key, RULE_KEY_SPORT | RULE_KEY_DPORT |
	    RULE_KEY_PROTO);
	assert_int_equal(ri->suppress_key, 0);
	assert_int_equal(ri->suppress_secs, 0);
	ri = rule_get(rs, 1);
	assert_int_equal(ri->agg, RULE_AGG_SUM_BYTES);
	assert_int_equal(ri->threshold, 5000000000ull);
	assert_int_equal(ri->window_secs, 86400);
	assert_int_equal(ri->per_key, RULE_KEY_DST);
	ri = rule_get(rs, 2);
	assert_int_equal(ri->agg, RULE_AGG_SUM_PACKETS);
	assert_int_equal(ri->threshold, 2000000);
	assert_int_equal(ri->window_secs, 10);
	assert_int_equal(ri->per_key, RULE_KEY_SRC | RULE_KEY_DST);
	assert_int_equal(ri->suppress_key, RULE_KEY_DPORT);
	assert_int_equal(ri->suppress_secs, 14 * 86400);
	ri = rule_get(rs, 3);
	assert_int_equal(ri->agg, RULE_AGG_DISTINCT_DPORT);
	assert_int_equal(ri->threshold, 9999);
	assert_int_equal(rule_get(rs, 4)->window_secs, 30 * 86400);
	rule_free(rs);

	/*
	 * distinct X may be keyed by any field but X (distinct dst per dst
	 * is an error, see errors[]), and suppressed per X.
	 */
	rs = ok("rule a {\nmatch any\nseverity low\nthreshold distinct dst "
	    "> 5 within 1m per src,dport,sport,proto\nsuppress once per dst "
	    "1h\n}\nrule b {\nmatch any\nseverity low\nthreshold distinct "
	    "dport > 5 within 1m per dst,src\nsuppress once per dport 1h\n}\n");
	assert_int_equal(rule_get(rs, 0)->per_key, RULE_KEY_SRC |
	    RULE_KEY_DPORT | RULE_KEY_SPORT | RULE_KEY_PROTO);
	assert_int_equal(rule_get(rs, 1)->per_key, RULE_KEY_DST |
	    RULE_KEY_SRC);
	rule_free(rs);

	/* Nothing at all, or only lists. */
	rs = ok("");
	assert_int_equal(rule_count(rs), 0);
	rule_free(rs);
	rs = ok("list a = 1 2\n\n# end");
	assert_int_equal(rule_count(rs), 0);
	rule_free(rs);
	assert_int_equal(rule_count(NULL), 0);
	assert_null(rule_get(NULL, 0));
	rule_free(NULL);
}

/* Line structure: continuations, brackets, CRLF, strings. */
static void
test_lexer(void **state)
{
	struct ruleset *rs;
	struct trec t;

	(void)state;
	rs = ok("list long = [ 80\n"
	    "   443 # https\n"
	    "   8443 ]\n"
	    "list cont = 1 \\\n  2 \\\r\n 3\n"
	    "rule r {\r\n"
	    "\tmatch (dst port in @long and\r\n"
	    "\t   proto tcp) or \\\n"
	    "\t   dst port in @cont\r\n"
	    "\tseverity\thigh\r\n"
	    "\tsummary \"tab\there, # not a comment\"\r\n"
	    "}\r\n");
	assert_int_equal(rule_count(rs), 1);
	assert_string_equal(rule_get(rs, 0)->summary,
	    "tab\there, # not a comment");
	assert_true(rule_match(rs, 0, web(&t)));
	t.r.dport = 8443;
	assert_true(rule_match(rs, 0, &t.r));
	t.r.proto = 17;
	assert_false(rule_match(rs, 0, &t.r));
	t.r.dport = 2;
	assert_true(rule_match(rs, 0, &t.r));
	t.r.dport = 3;
	assert_true(rule_match(rs, 0, &t.r));
	assert_false(rule_match(rs, 1, &t.r));	/* no such rule */
	rule_free(rs);
	/* Lists may be defined after their use; the last line may lack \n. */
	rs = ok("rule r {\nmatch dst port in @later\nseverity low\n}\n"
	    "list later = 443");
	assert_true(rule_match(rs, 0, web(&t)));
	rule_free(rs);
}

/* ---- primitives ------------------------------------------------------- */

static void
test_traffic(void **state)
{
	struct trec t;
	struct rule_rec *r = web(&t);

	(void)state;
	YES("any", r);
	YES("outbound", r);
	NO("inbound", r);
	YES("egress", r);
	NO("ingress", r);
	NO("internal", r);
	NO("transit", r);
	r->outbound = 0;
	r->inbound = 1;
	r->traffic = RULE_IN;
	YES("inbound", r);
	NO("outbound", r);
	YES("ingress", r);
	r->traffic = RULE_INTERNAL;
	YES("internal", r);
	NO("egress", r);
	r->traffic = RULE_TRANSIT;
	YES("transit", r);
	NO("internal", r);
}

/*
 * Which rules are run for which records: a rule that needs `outbound`
 * is not a candidate for other records, and whatever rule_match()
 * accepts is always among the candidates of the record's class.
 */
static void
test_classes(void **state)
{
	static const struct {
		const char	*expr;
		unsigned	 classes;	/* bits: out, in, other */
	} c[] = {
		{ "outbound", 1 },
		{ "outbound and port 25", 1 },
		{ "not outbound", 6 },
		{ "not not outbound", 1 },
		{ "inbound or outbound", 3 },
		{ "port 22", 7 },
		{ "outbound or port 22", 7 },
		{ "(outbound and port 25) or (inbound and port 22)", 3 },
		{ "not (outbound or inbound)", 4 },
		{ "outbound and inbound", 0 },
		{ "any", 7 },
		{ "egress and not inbound", 5 },
	};
	static const uint16_t ports[] = { 22, 25, 443 };
	struct trec t;
	struct rule_rec *r;
	size_t i, k, p, n, j;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ruleset *rs = expr_rules(c[i].expr);

		for (k = 0; k < RULE_CLASSES; k++) {
			const uint32_t *v = rule_candidates(rs, k, &n);

			if ((n == 1 && v[0] == 0) != ((c[i].classes >> k) & 1))
				fail_msg("%s: class %zu candidate %s", c[i].expr,
				    k, n ? "yes" : "no");
		}
		for (k = 0; k < RULE_CLASSES; k++)
			for (p = 0; p < 3; p++) {
				const uint32_t *v;
				int found = 0;

				r = rec(&t, "192.0.2.10", "198.51.100.1", 6,
				    40000, ports[p]);
				r->outbound = k == RULE_CLASS_OUT;
				r->inbound = k == RULE_CLASS_IN;
				assert_int_equal(rule_class_of(r), k);
				v = rule_candidates(rs, rule_class_of(r), &n);
				for (j = 0; j < n; j++)
					found |= v[j] == 0;
				if (rule_match(rs, 0, r) && !found)
					fail_msg("%s matches a class %zu record "
					    "but is not its candidate",
					    c[i].expr, k);
			}
		rule_free(rs);
	}
}

static void
test_addresses(void **state)
{
	struct trec t;
	struct rule_rec *r = rec(&t, "10.1.2.3", "2001:db8::5", 6, 1, 2);

	(void)state;
	YES("host 10.1.2.3", r);
	YES("src host 10.1.2.3", r);
	NO("dst host 10.1.2.3", r);
	YES("dst host 2001:db8::5", r);
	NO("host 10.1.2.4", r);
	YES("net 10.0.0.0/8", r);
	YES("src net 10.1.2.0/23", r);
	NO("src net 10.1.4.0/23", r);
	YES("net 10.1.2.3", r);
	NO("dst net 10.0.0.0/8", r);
	YES("dst net 2001:db8::/32", r);
	NO("dst net 2001:db9::/32", r);
	YES("net 0.0.0.0/0", r);
	YES("net ::/0", r);
	YES("src in @nets", r);
	YES("dst in @nets", r);
	YES("in [192.0.2.1 10.1.2.3]", r);
	NO("src in [192.0.2.1 2001:db8::5]", r);
	YES("dst in [192.0.2.1 2001:db8::5]", r);
	NO("in [192.0.2.0/24]", r);
	NO("in []", r);
	/* Groups: by the record's bits, not by address. */
	NO("src in @web", r);
	r->src_groups = G_WEB;
	YES("src in @web", r);
	YES("in @web", r);
	NO("dst in @web", r);
	NO("src in @mail-servers", r);
	YES("src in [@mail-servers @web]", r);
	YES("src in [@mail-servers 10.1.2.3]", r);
	r->dst_groups = G_MAIL;
	YES("dst in @mail-servers", r);
	/* A missing address never matches. */
	r->src = NULL;
	NO("src host 10.1.2.3", r);
	NO("src net 0.0.0.0/0", r);
	YES("in [2001:db8::5]", r);
}

static void
test_ports(void **state)
{
	struct trec t;
	struct rule_rec *r = rec(&t, "192.0.2.10", "198.51.100.1", 6, 40000,
	    443);

	(void)state;
	YES("port 443", r);
	YES("port 40000", r);
	YES("dst port 443", r);
	YES("dst port = 443", r);
	YES("dst port == 443", r);
	NO("src port 443", r);
	YES("src port 40000", r);
	NO("port 80", r);
	YES("dst port != 80", r);
	NO("dst port != 443", r);
	YES("port != 443", r);		/* the other end is not 443 */
	NO("not port 443", r);
	YES("dst port < 444", r);
	NO("dst port < 443", r);
	YES("dst port <= 443", r);
	YES("dst port > 442", r);
	NO("dst port > 443", r);
	YES("dst port >= 443", r);
	NO("dst port >= 444", r);
	YES("src port > 1023", r);
	NO("src port < 1024", r);
	YES("dst port in [25 443]", r);
	YES("dst port in [400-500]", r);
	YES("dst port in [443-443]", r);
	NO("dst port in [444-500 1-442]", r);
	YES("dst port in @ports", r);
	YES("port in [39999-40001]", r);
	NO("src port in @ports", r);
	YES("dst port in [@ports 1]", r);
	r->dport = 8080;
	YES("dst port in @ports", r);
	r->dport = 8081;
	NO("dst port in @ports", r);
	r->dport = 0;
	YES("dst port 0", r);
	r->dport = 65535;
	YES("dst port in [0-65535]", r);
	YES("dst port 65535", r);
}

static void
test_proto_flags_counts(void **state)
{
	struct trec t;
	struct rule_rec *r = web(&t);

	(void)state;
	YES("proto tcp", r);
	YES("proto TCP", r);
	YES("proto 6", r);
	YES("proto = tcp", r);
	NO("proto udp", r);
	YES("proto in [udp tcp]", r);
	NO("proto in [udp 1 icmp6 gre esp sctp]", r);
	r->proto = 58;
	YES("proto icmp6", r);
	r->proto = 132;
	YES("proto sctp", r);
	r->proto = 47;
	YES("proto in [gre]", r);
	r->proto = 50;
	YES("proto esp", r);
	r->proto = 1;
	YES("proto icmp", r);
	r->proto = 255;
	YES("proto 255", r);

	r->tcp_flags = 0x02;			/* SYN */
	YES("flags S", r);
	YES("flags s", r);
	NO("flags SA", r);
	YES("flags S and not flags A", r);
	r->tcp_flags = 0x12;			/* SYN ACK */
	YES("flags SA", r);
	YES("flags AS", r);
	NO("flags S and not flags A", r);
	r->tcp_flags = 0xff;
	YES("flags FSRPAUEC", r);
	r->tcp_flags = 0x01;
	YES("flags F", r);
	NO("flags R", r);

	r->bytes = 1500;
	r->packets = 2000000;
	YES("bytes 1500", r);
	YES("bytes > 1k", r);
	NO("bytes > 1500", r);
	YES("bytes >= 1500", r);
	YES("bytes < 2k", r);
	YES("bytes <= 1500", r);
	YES("bytes != 1", r);
	YES("packets = 2M", r);
	YES("packets > 1999999", r);
	NO("packets > 2M", r);
	NO("packets >= 1G", r);
	r->bytes = 3000000000000ull;
	YES("bytes = 3T", r);
	YES("bytes > 2999G", r);
}

static void
test_remote(void **state)
{
	struct trec t;
	struct rule_rec *r = web(&t);

	(void)state;
	r->asn = 15169;
	r->country = "US";
	r->app = "TLS";
	YES("as 15169", r);
	YES("as AS15169", r);
	YES("as as15169", r);
	NO("as 13335", r);
	YES("as in [13335 15169]", r);
	YES("as in @asns", r);
	NO("as in [1 2 3]", r);
	YES("country US", r);
	YES("country us", r);
	YES("country = Us", r);
	NO("country DE", r);
	YES("country in [de us]", r);
	YES("country in @ccs", r);
	YES("app TLS", r);
	YES("app tls", r);
	YES("app \"TLS\"", r);
	NO("app TLS.Google", r);
	NO("app TL", r);
	YES("app in [Tor tls]", r);
	YES("app in @apps", r);
	NO("app in [IRC Tor]", r);
	r->app = "Tor";
	YES("app in @apps", r);
	/* Unknown remote facts match nothing (but as 0). */
	r->asn = 0;
	r->country = "";
	r->app = "";
	NO("as 15169", r);
	YES("as 0", r);
	NO("country US", r);
	NO("country in [US DE]", r);
	NO("app TLS", r);
	NO("app in [TLS]", r);
	r->country = NULL;
	r->app = NULL;
	NO("country US", r);
	NO("country in [us]", r);
	NO("app TLS", r);
	NO("app in [TLS]", r);
	r->country = "USA";
	NO("country US", r);
}

static void
test_precedence(void **state)
{
	struct trec t;
	struct rule_rec *r = web(&t);	/* tcp, dport 443, outbound */

	(void)state;
	/* not > and > or */
	YES("proto udp and proto tcp or port 443", r);
	YES("port 443 or proto udp and proto tcp", r);
	NO("(port 443 or proto udp) and proto icmp", r);
	NO("port 80 or proto udp and proto tcp", r);
	YES("not proto udp and proto tcp", r);
	NO("not (proto tcp and port 443)", r);
	YES("not proto tcp or port 443", r);
	NO("not proto tcp or port 80", r);
	YES("not not proto tcp", r);
	NO("not not not proto tcp", r);
	/* symbols */
	YES("! proto udp && proto tcp", r);
	YES("!proto udp&&proto tcp", r);
	YES("proto udp || proto tcp", r);
	NO("!(proto udp || proto tcp)", r);
	YES("((((proto tcp))))", r);
	/* long chains */
	YES("proto udp or proto icmp or proto gre or proto tcp", r);
	NO("proto tcp and port 443 and outbound and inbound", r);
	YES("proto tcp and port 443 and outbound and not inbound", r);
	YES("(proto udp or port 443) and (inbound or outbound) and not "
	    "(port 80 or port 25)", r);
	NO("(proto udp or port 443) and (inbound or outbound) and not "
	    "(port 80 or port 443)", r);
	YES("proto udp or (proto icmp or (proto gre or (proto esp or "
	    "not proto sctp)))", r);
	NO("proto udp or (proto icmp or (proto gre or (proto esp or "
	    "not proto tcp)))", r);
}

/* @NAME: a group wins over a list of its name for addresses. */
static void
test_lists_and_groups(void **state)
{
	struct ruleset *rs;
	struct trec t;
	struct rule_rec *r = web(&t);

	(void)state;
	rs = ok("list mail-servers = 192.0.2.10\n"
	    "list web = 25 443\n"
	    "rule a {\nmatch src in @mail-servers\nseverity low\n}\n"
	    "rule b {\nmatch dst port in @web\nseverity low\n}\n"
	    "rule c {\nmatch src in @web\nseverity low\n}\n"
	    "list empty =\n"
	    "rule d {\nmatch not src in @empty\nseverity low\n}\n"
	    "rule e {\nmatch not src in @x\nseverity low\n}\n"
	    "list x = [ ]\n");
	assert_false(rule_match(rs, 0, r));	/* the group, not the list */
	r->src_groups = G_MAIL;
	assert_true(rule_match(rs, 0, r));
	assert_true(rule_match(rs, 1, r));	/* ports: the list */
	assert_false(rule_match(rs, 2, r));
	r->src_groups = G_WEB;
	assert_true(rule_match(rs, 2, r));
	assert_true(rule_match(rs, 3, r));
	assert_true(rule_match(rs, 4, r));
	rule_free(rs);

	/* Without groups, the list is the default. */
	{
		char err[RULE_ERR_MAX];

		rs = rule_load_string("t.rules", "list mail-servers = "
		    "192.0.2.10\nrule a {\nmatch src in @mail-servers\n"
		    "severity low\n}\n", NULL, 0, err, sizeof(err));
		assert_non_null(rs);
		r->src_groups = 0;
		assert_true(rule_match(rs, 0, r));
		rule_free(rs);
	}
}

/* Every name the proto message lists is taken, as its number. */
static void
test_proto_names(void **state)
{
	static const struct {
		const char	*name;
		uint8_t		 num;
	} want[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmp6", 58 },
		{ "ipv6-icmp", 58 }, { "igmp", 2 }, { "gre", 47 },
		{ "esp", 50 }, { "ah", 51 }, { "sctp", 132 },
	};
	const size_t nwant = sizeof(want) / sizeof(want[0]);
	char err[RULE_ERR_MAX], expr[64], *w, *save = NULL;
	struct trec t;
	struct rule_rec *r = web(&t);
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < nwant; i++) {
		r->proto = want[i].num;
		snprintf(expr, sizeof(expr), "proto %s", want[i].name);
		YES(expr, r);
		snprintf(expr, sizeof(expr), "proto in [udp %s]", want[i].name);
		YES(expr, r);
		r->proto = 255;
		NO(expr, r);
	}
	r->proto = 2;
	YES("proto IGMP", r);
	r->proto = 58;
	YES("proto IPv6-ICMP", r);
	/* The message: these names in this order, then the numbers. */
	assert_null(rule_load_string("t.rules", "rule r {\nmatch proto x\n"
	    "severity low\n}\n", NULL, 0, err, sizeof(err)));
	assert_non_null(w = strchr(err, '('));
	for (w = strtok_r(w + 1, " ,)", &save); w != NULL;
	    w = strtok_r(NULL, " ,)", &save)) {
		if (strcmp(w, "or") == 0)
			continue;
		if (n == nwant) {
			assert_string_equal(w, "0-255");
			n++;
			continue;
		}
		assert_true(n < nwant);
		assert_string_equal(w, want[n].name);
		n++;
	}
	assert_int_equal(n, nwant + 1);
}

/* ---- sets: lookups ------------------------------------------------------ */

static uint32_t
xs32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct pfx {
	struct flow_addr	a;
	unsigned		plen;
};

/* The model: is a in p, bit by bit? */
static int
pfx_has(const struct pfx *p, const struct flow_addr *a)
{
	unsigned i;

	if (p->a.af != a->af)
		return 0;
	for (i = 0; i < p->plen; i++)
		if ((p->a.a[i / 8] ^ a->a[i / 8]) & (0x80u >> (i % 8)))
			return 0;
	return 1;
}

/* A random address near the others (so prefixes nest and overlap). */
static void
near_addr(uint32_t *seed, struct flow_addr *a, int af)
{
	unsigned i;

	memset(a, 0, sizeof(*a));
	a->af = (uint8_t)af;
	for (i = 0; i < 16; i++)
		a->a[i] = (uint8_t)xs32(seed);
	if (af == 4) {
		a->a[0] = 10;
		a->a[1] &= 3;
	} else {
		a->a[0] = 0x20;
		a->a[1] = 0x01;
		a->a[2] = 0x0d;
		a->a[3] = 0xb8;
		a->a[4] &= 3;
	}
}

/* p's address with host bits cleared. */
static void
pfx_clear(struct pfx *p)
{
	unsigned i, max = p->a.af == 4 ? 32 : 128;

	for (i = p->plen; i < max; i++)
		p->a.a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	if (p->a.af == 4)
		memset(p->a.a + 4, 0, 12);
}

/*
 * Address sets are ranges searched by halves: the same answers as testing
 * every prefix (against a model, with nested prefixes of both families),
 * contained and repeated prefixes dropped at load, and a lookup in
 * 60000 prefixes costs a binary search, not 60000 tests.
 */
static void
test_set_lookup(void **state)
{
	enum { NP = 500, NA = 20000, BIG = 60000, NL = 100000 };
	static struct pfx p[NP];
	const struct rule_set *set;
	struct ruleset *rs;
	struct trec t;
	struct rule_rec *r = web(&t);
	char *text, buf[64];
	size_t i, k, o, cap, hits = 0;
	uint32_t seed = 0x9e3779b9;
	clock_t t0;
	int want;

	(void)state;
	/* Random prefixes of both families against the model. */
	cap = NP * 64 + 256;
	text = malloc(cap);
	assert_non_null(text);
	o = (size_t)snprintf(text, cap, "list big =");
	for (i = 0; i < NP; i++) {
		int af = xs32(&seed) % 3 ? 4 : 6;

		near_addr(&seed, &p[i].a, af);
		p[i].plen = af == 4 ? 22 + xs32(&seed) % 11 :
		    44 + xs32(&seed) % 85;
		pfx_clear(&p[i]);
		o += (size_t)snprintf(text + o, cap - o, " %s/%u",
		    flow_addr_str(&p[i].a, buf, sizeof(buf)), p[i].plen);
	}
	snprintf(text + o, cap - o, "\nrule r {\nmatch dst in @big\n"
	    "severity low\n}\n");
	rs = ok(text);
	set = rs->rule[0].prog[0].u.set;
	assert_true(set->n4 > 0 && set->n6 > 0);
	assert_true(set->n4 + set->n6 < NP);	/* some did nest */
	for (i = 0; i < NA; i++) {
		if (i % 2) {		/* inside a prefix of the set */
			const struct pfx *q = &p[xs32(&seed) % NP];
			unsigned b, max = q->a.af == 4 ? 32 : 128;

			near_addr(&seed, &t.dst, q->a.af);
			for (b = 0; b < q->plen && b < max; b++) {
				uint8_t m = (uint8_t)(0x80u >> (b % 8));

				t.dst.a[b / 8] = (uint8_t)((t.dst.a[b / 8] &
				    ~m) | (q->a.a[b / 8] & m));
			}
		} else
			near_addr(&seed, &t.dst, xs32(&seed) % 3 ? 4 : 6);
		for (want = 0, k = 0; k < NP && !want; k++)
			want = pfx_has(&p[k], &t.dst);
		if (rule_match(rs, 0, r) != want)
			fail_msg("%s: %d", flow_addr_str(&t.dst, buf,
			    sizeof(buf)), !want);
		hits += (size_t)want;
	}
	if (hits < NA / 4 || hits > NA * 3 / 4)
		fail_msg("%zu hits", hits);
	rule_free(rs);
	free(text);

	/* Edges: the ends of each family, adjacent halves, /0 and /32. */
	r = web(&t);
	flow_addr_parse(&t.dst, "255.255.255.255");
	YES("dst in [255.255.255.255]", r);
	YES("dst in [0.0.0.0/0]", r);
	YES("dst in [128.0.0.0/1 10.0.0.0/8]", r);
	NO("dst in [::/0 255.255.255.254 0.0.0.0/1]", r);
	flow_addr_parse(&t.dst, "0.0.0.0");
	YES("dst in [0.0.0.0 1.0.0.0/8]", r);
	NO("dst in [0.0.0.1 ::]", r);
	flow_addr_parse(&t.dst, "10.0.0.127");
	YES("dst in [10.0.0.128/25 10.0.0.0/25]", r);
	t.dst.a[3] = 128;
	YES("dst in [10.0.0.128/25 10.0.0.0/25]", r);
	t.dst.a[2] = 1;
	NO("dst in [10.0.0.128/25 10.0.0.0/25]", r);
	t.dst.a[15] = 0xff;		/* an IPv4 address's unused bytes */
	YES("dst in [10.0.1.128]", r);
	flow_addr_parse(&t.dst, "::ffff:10.0.0.1");
	NO("dst in [10.0.0.0/8]", r);	/* a mapped address is IPv6 */
	YES("dst in [10.0.0.0/8 ::ffff:0.0.0.0/96]", r);
	flow_addr_parse(&t.dst, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	YES("dst in [::/0]", r);
	YES("dst in [ffff::/16 2001:db8::/32]", r);
	NO("dst in [0.0.0.0/0 ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]", r);
	flow_addr_parse(&t.dst, "::");
	YES("dst in [:: 2001:db8::/32]", r);
	NO("dst in [::1 0.0.0.0]", r);

	/* Built at load: contained and repeated prefixes dropped. */
	rs = expr_rules("dst in [10.2.3.4 10.0.0.0/8 10.1.0.0/16 192.0.2.0/24 "
	    "192.0.2.128/25 192.0.2.0/24 10.255.255.255 2001:db8:1::/48 "
	    "fe80::1 2001:db8::/32]");
	set = rs->rule[0].prog[0].u.set;
	assert_int_equal(set->n4, 2);
	assert_int_equal(set->n6, 2);
	assert_int_equal(set->span4[0].lo, 0x0a000000);
	assert_int_equal(set->span4[0].hi, 0x0affffff);
	assert_int_equal(set->span4[1].lo, 0xc0000200);
	assert_int_equal(set->span4[1].hi, 0xc00002ff);
	rule_free(rs);

	/*
	 * 60000 prefixes, 100000 lookups: milliseconds (testing every prefix
	 * took seconds, even over compact ranges).
	 */
	cap = (size_t)BIG * 16 + 256;
	text = malloc(cap);
	assert_non_null(text);
	o = (size_t)snprintf(text, cap, "list big =");
	for (i = 0; i < BIG; i++)
		o += (size_t)snprintf(text + o, cap - o, " %zu.%zu.0.0/16",
		    1 + i / 256, i % 256);
	snprintf(text + o, cap - o, "\nrule r {\nmatch dst in @big\n"
	    "severity low\n}\n");
	rs = ok(text);
	free(text);
	r = web(&t);
	t0 = clock();
	for (i = 0, hits = 0; i < NL; i++) {
		uint32_t x = xs32(&seed);

		t.dst.a[0] = (uint8_t)(x >> 24);
		t.dst.a[1] = (uint8_t)(x >> 16);
		t.dst.a[2] = (uint8_t)(x >> 8);
		t.dst.a[3] = (uint8_t)x;
		want = t.dst.a[0] >= 1 &&
		    (size_t)(t.dst.a[0] - 1) * 256 + t.dst.a[1] < BIG;
		assert_int_equal(rule_match(rs, 0, r), want);
		hits += (size_t)want;
	}
	if (clock() - t0 > CLOCKS_PER_SEC)
		fail_msg("%d lookups in %d prefixes took %.2f s", NL, BIG,
		    (double)(clock() - t0) / CLOCKS_PER_SEC);
	assert_true(hits > NL / 2);
	rule_free(rs);
}

/* AS numbers, countries and labels: sorted at load, searched by halves. */
static void
test_set_sorted(void **state)
{
	enum { BIG = 60000, NL = 100000 };
	struct ruleset *rs;
	struct trec t;
	struct rule_rec *r = web(&t);
	char *text, label[RULE_APP_MAX];
	size_t i, o, cap;
	uint32_t seed = 12345, v;
	clock_t t0;

	(void)state;
	r->asn = 7;
	YES("as in [15169 AS1 13335 7 1 7]", r);
	r->asn = 2;
	NO("as in [15169 AS1 13335 7 1 7]", r);
	r->asn = 4294967295u;
	YES("as in [4294967295 0]", r);
	r->asn = 0;
	YES("as in [4294967295 0]", r);
	r->country = "FR";
	YES("country in [us de fr it]", r);
	r->country = "ES";
	NO("country in [us de fr it]", r);
	r->app = "ZOOM";
	YES("app in [tls Tor zoom Amazon TLS \"BitTorrent\"]", r);
	r->app = "amazon";
	YES("app in [tls Tor zoom Amazon TLS \"BitTorrent\"]", r);
	r->app = "bittorrent";
	YES("app in [tls Tor zoom Amazon TLS \"BitTorrent\"]", r);
	r->app = "Zoo";
	NO("app in [tls Tor zoom Amazon TLS \"BitTorrent\"]", r);
	r->app = "Zoom.Video";
	NO("app in [tls Tor zoom Amazon TLS \"BitTorrent\"]", r);
	r->app = "A_^";			/* '^' and '_' between 'Z' and 'a' */
	YES("app in [\"a_^\" b]", r);
	NO("app in [\"a_~\" b]", r);

	/* 60000 AS numbers, every third one: 100000 lookups. */
	cap = (size_t)BIG * 12 + 256;
	text = malloc(cap);
	assert_non_null(text);
	o = (size_t)snprintf(text, cap, "list big =");
	for (i = BIG; i-- > 0;)			/* written backwards */
		o += (size_t)snprintf(text + o, cap - o, " AS%zu", i * 3 + 1);
	snprintf(text + o, cap - o, "\nrule r {\nmatch as in @big\n"
	    "severity low\n}\n");
	rs = ok(text);
	t0 = clock();
	for (i = 0; i < NL; i++) {
		r->asn = v = xs32(&seed) % (BIG * 3 + 10);
		assert_int_equal(rule_match(rs, 0, r), v % 3 == 1 &&
		    v < BIG * 3);
	}
	if (clock() - t0 > CLOCKS_PER_SEC)
		fail_msg("%d lookups in %d AS numbers took %.2f s", NL, BIG,
		    (double)(clock() - t0) / CLOCKS_PER_SEC);
	rule_free(rs);

	/* 60000 labels, looked up in another case. */
	o = (size_t)snprintf(text, cap, "list big =");
	for (i = 0; i < BIG; i++)
		o += (size_t)snprintf(text + o, cap - o, " Ap%zu", i * 2);
	snprintf(text + o, cap - o, "\nrule r {\nmatch app in @big\n"
	    "severity low\n}\n");
	rs = ok(text);
	r->app = label;
	t0 = clock();
	for (i = 0; i < NL; i++) {
		v = xs32(&seed) % (BIG * 2);
		snprintf(label, sizeof(label), "aP%u", v);
		assert_int_equal(rule_match(rs, 0, r), v % 2 == 0);
	}
	if (clock() - t0 > CLOCKS_PER_SEC)
		fail_msg("%d lookups in %d labels took %.2f s", NL, BIG,
		    (double)(clock() - t0) / CLOCKS_PER_SEC);
	rule_free(rs);
	free(text);
}

/* ---- errors ------------------------------------------------------------ */

#define R(body)	"rule r {\n" body "}\n"
#define MS	"match any\nseverity low\n"

static const struct {
	const char	*text;
	const char	*want;
} errors[] = {
	/* lexer */
	{ R("summary \"abc\n"), "t.rules:2:9: string not closed" },
	{ R("summary \"abc"), "t.rules:2:9: string not closed" },
	{ R("summary \"a\001\"\n"), "t.rules:2:11: control character in "
	  "string" },
	{ R("summary \"a\\n\"\n"), "t.rules:2:11: unknown escape \\n in "
	  "string (only \\\" and \\\\)" },
	{ R("summary \"a\\\x01\"\n"), "t.rules:2:11: unknown escape \\? in "
	  "string (only \\\" and \\\\)" },
	{ R("match src in @ x\n"), "t.rules:2:14: @ without a name" },
	{ R("match $x\n"), "t.rules:2:7: unexpected character '$'" },
	{ R("match \xc3\xa9\n"), "t.rules:2:7: unexpected byte 0xc3" },
	{ R("match a & b\n"), "t.rules:2:9: unexpected character '&'" },
	{ R("match a \\ b\n"), "t.rules:2:9: unexpected character '\\'" },
	/* file structure */
	{ "frob x\n", "t.rules:1:1: expected list or rule, got \"frob\"" },
	{ "@x\n", "t.rules:1:1: expected list or rule, got \"@x\"" },
	{ "\"abc\"\n", "t.rules:1:1: expected list or rule, got string "
	  "\"abc\"" },
	{ "\n  {\n", "t.rules:2:3: expected list or rule, got \"{\"" },
	{ "list -x = 1\n", "t.rules:1:6: list \"-x\": a name is a letter or "
	  "digit, then letters, digits, '-', '_' and '.' (at most 47)" },
	{ "list a/b = 1\n", "t.rules:1:6: list \"a/b\": a name is a letter "
	  "or digit, then letters, digits, '-', '_' and '.' (at most 47)" },
	{ "list = 1\n", "t.rules:1:6: list: a name expected, got \"=\"" },
	{ "list\n", "t.rules:1:5: list: a name expected, got end of line" },
	{ "list a 1\n", "t.rules:1:8: expected = after list a, got \"1\"" },
	{ "list a == 1\n", "t.rules:1:8: expected = after list a, got "
	  "\"==\"" },
	{ "list a = 1\nlist a = 2\n", "t.rules:2:6: list a is already "
	  "defined at t.rules:1" },
	{ "list a = 1 @b\n", "t.rules:1:12: list a: lists do not nest; "
	  "write the items of @b here" },
	{ "list a = [ 1 2\n", "t.rules:1:10: '[' is not closed" },
	{ "list a = [ 1 ] 2\n", "t.rules:1:16: unexpected \"2\" after list" },
	{ "list a = 1 { 2\n", "t.rules:1:12: list a: \"{\" cannot be an "
	  "item" },
	{ "rule\n", "t.rules:1:5: rule: a name expected, got end of line" },
	{ "rule r\n", "t.rules:1:7: expected { after rule r, got end of "
	  "line" },
	{ "rule r { match any\n}\n", "t.rules:1:10: unexpected \"match\" "
	  "after {" },
	{ "rule r {\n" MS "} x\n", "t.rules:4:3: unexpected \"x\" after }" },
	{ "rule r {\n" MS, "t.rules:1:1: rule r: '}' is missing" },
	{ R(MS) R(MS), "t.rules:5:6: rule r is already defined at "
	  "t.rules:1" },
	/* clauses */
	{ R("frob 1\n"), "t.rules:2:1: unknown clause \"frob\" (match, "
	  "threshold, min_samples, severity, summary, suppress, whitelist, "
	  "learn)" },
	{ R("\"x\"\n"), "t.rules:2:1: unknown clause string \"x\" (match, "
	  "threshold, min_samples, severity, summary, suppress, whitelist, "
	  "learn)" },
	{ R(MS "match any\n"), "t.rules:4:1: rule r: match given twice" },
	{ R("match\nseverity low\n"), "t.rules:2:6: match: an expression "
	  "expected" },
	{ R("severity low\n"), "t.rules:1:1: rule r: match is required" },
	{ R("match any\n"), "t.rules:1:1: rule r: severity is required" },
	{ R(MS "min_samples 3\n"), "t.rules:1:1: rule r: min_samples needs "
	  "a threshold" },
	{ R("match any\nseverity\n"), "t.rules:3:9: severity: low, medium, "
	  "high or critical expected, got end of line" },
	{ R("match any\nseverity huge\n"), "t.rules:3:10: severity: \"huge\" "
	  "is not low, medium, high or critical" },
	{ R("match any\nseverity low high\n"), "t.rules:3:14: unexpected "
	  "\"high\" after severity" },
	{ R(MS "summary x\n"), "t.rules:4:9: summary: a \"quoted text\" "
	  "expected, got \"x\"" },
	{ R(MS "summary \"{src\"\n"), "t.rules:4:9: summary: '{' without "
	  "'}'" },
	{ R(MS "summary \"{src} {nope}\"\n"), "t.rules:4:9: summary: unknown "
	  "field {nope} (src dst sport dport proto service app country asn "
	  "as_org group host bytes packets flows rule severity)" },
	{ R(MS "summary \"{}\"\n"), "t.rules:4:9: summary: unknown field {} "
	  "(src dst sport dport proto service app country asn as_org group "
	  "host bytes packets flows rule severity)" },
	{ R(MS "whitelist maybe\n"), "t.rules:4:11: whitelist: \"maybe\" is "
	  "not yes or no" },
	{ R(MS "learn\n"), "t.rules:4:6: learn: yes or no expected, got end "
	  "of line" },
	{ R(MS "learn ,\n"), "t.rules:4:7: learn: yes or no expected, got "
	  "\",\"" },
	{ R(MS "suppress always\n"), "t.rules:4:10: suppress: expected once "
	  "or none, got \"always\"" },
	{ R(MS "suppress once src 1h\n"), "t.rules:4:15: suppress: expected "
	  "per, got \"src\"" },
	{ R(MS "suppress once per host 1h\n"), "t.rules:4:19: suppress: "
	  "\"host\" is not src, dst, sport, dport or proto" },
	{ R(MS "suppress once per src,src 1h\n"), "t.rules:4:23: suppress: "
	  "src given twice" },
	{ R(MS "suppress once per src, 1h\n"), "t.rules:4:24: suppress: "
	  "\"1h\" is not src, dst, sport, dport or proto" },
	{ R(MS "suppress once per src\n"), "t.rules:4:22: suppress: a "
	  "duration expected, got end of line" },
	{ R(MS "suppress once per src 1y\n"), "t.rules:4:23: suppress: "
	  "\"1y\" is not a duration (90s, 10m, 1h, 7d)" },
	{ R(MS "suppress once per src 0s\n"), "t.rules:4:23: suppress: 0s is "
	  "out of range 1s..365d" },
	{ R(MS "suppress once per src 366d\n"), "t.rules:4:23: suppress: "
	  "366d is out of range 1s..365d" },
	{ R(MS "suppress once per src h\n"), "t.rules:4:23: suppress: \"h\" "
	  "is not a duration (90s, 10m, 1h, 7d)" },
	{ R(MS "suppress once per src 99999999999\n"), "t.rules:4:23: "
	  "suppress: \"99999999999\" is not a duration (90s, 10m, 1h, 7d)" },
	{ R(MS "suppress once per src 4294967295s1s\n"), "t.rules:4:23: "
	  "suppress: \"4294967295s1s\" is not a duration (90s, 10m, 1h, "
	  "7d)" },
	{ R(MS "suppress once per src 1h1\n"), "t.rules:4:23: suppress: "
	  "\"1h1\" is not a duration (90s, 10m, 1h, 7d)" },
	{ R(MS "threshold\n"), "t.rules:4:10: threshold: count, sum or "
	  "distinct expected, got end of line" },
	{ R(MS "threshold average > 1 within 1m per src\n"), "t.rules:4:11: "
	  "threshold: not count, sum bytes, sum packets, distinct dst or "
	  "distinct dport" },
	{ R(MS "threshold sum flows > 1 within 1m per src\n"),
	  "t.rules:4:15: threshold: not count, sum bytes, sum packets, "
	  "distinct dst or distinct dport" },
	{ R(MS "threshold distinct > 1 within 1m per src\n"),
	  "t.rules:4:20: threshold: bytes, packets, dst or dport expected, "
	  "got \">\"" },
	{ R(MS "threshold count >= 1 within 1m per src\n"), "t.rules:4:17: "
	  "threshold: expected >, got \">=\"" },
	{ R(MS "threshold count 1 within 1m per src\n"), "t.rules:4:17: "
	  "threshold: expected >, got \"1\"" },
	{ R(MS "threshold count > x within 1m per src\n"), "t.rules:4:19: "
	  "threshold: \"x\" is not a number (digits and an optional k, M, G "
	  "or T)" },
	{ R(MS "threshold count > 1X within 1m per src\n"), "t.rules:4:19: "
	  "threshold: \"1X\" is not a number (digits and an optional k, M, G "
	  "or T)" },
	{ R(MS "threshold count > 99999999999T within 1m per src\n"),
	  "t.rules:4:19: threshold: \"99999999999T\" is not a number (digits "
	  "and an optional k, M, G or T)" },
	{ R(MS "threshold count > k within 1m per src\n"), "t.rules:4:19: "
	  "threshold: \"k\" is not a number (digits and an optional k, M, G "
	  "or T)" },
	{ R(MS "threshold count > \n"), "t.rules:4:19: threshold: a number "
	  "expected, got end of line" },
	{ R(MS "threshold distinct dst > 10k within 1m per src\n"),
	  "t.rules:4:26: threshold: distinct counts up to 9999" },
	{ R(MS "threshold count > 1 in 1m per src\n"), "t.rules:4:21: "
	  "threshold: expected within, got \"in\"" },
	{ R(MS "threshold count > 1 within 31d per src\n"), "t.rules:4:28: "
	  "threshold: 31d is out of range 1s..30d" },
	{ R(MS "threshold count > 1 within 1m by src\n"), "t.rules:4:31: "
	  "threshold: expected per, got \"by\"" },
	{ R(MS "threshold count > 1 within 1m per\n"), "t.rules:4:34: "
	  "threshold: src, dst, sport, dport or proto expected, got end of "
	  "line" },
	/* distinct X per X: always 1, refused at the key */
	{ R(MS "threshold distinct dst > 20 within 1m per src,dst\n"),
	  "t.rules:4:47: threshold: distinct dst is always 1 when the window "
	  "is per dst; leave dst out of the keys" },
	{ R(MS "threshold distinct dport > 0 within 1m per dport , proto\n"),
	  "t.rules:4:44: threshold: distinct dport is always 1 when the "
	  "window is per dport; leave dport out of the keys" },
	{ R(MS "threshold count > 1 within 1m per src extra\n"),
	  "t.rules:4:39: unexpected \"extra\" after threshold" },
	{ R(MS "threshold count > 1 within 1m per src\nmin_samples x\n"),
	  "t.rules:5:13: min_samples: \"x\" is not a number 0..1000000000" },
	{ R(MS "threshold count > 1 within 1m per src\nmin_samples 2G\n"),
	  "t.rules:5:13: min_samples: \"2G\" is not a number 0..1000000000" },
	{ R(MS "threshold count > 1 within 1m per src\nmin_samples\n"),
	  "t.rules:5:12: min_samples: a number expected, got end of line" },
	/* expressions */
	{ R("match\tsrc\nseverity low\n"), "t.rules:2:10: expected a "
	  "primitive, got end of line" },
	{ R("match (\nseverity low\n"), "t.rules:2:7: '(' is not closed" },
	/*
	 * An unclosed bracket is reported where it was opened once a line
	 * starts with }, not where a later stray ) or ] closes it.
	 */
	{ "rule a {\n  match outbound and (dst port 25 or dst port 587\n"
	  "  severity high\n}\n\nrule b {\n  match proto tcp)\n"
	  "  severity low\n}\n", "t.rules:2:22: '(' is not closed" },
	{ "rule a {\n  match outbound and (dst port 25 or dst port 587\n"
	  "  severity high\n}\nlist x = 1 2]\n",
	  "t.rules:2:22: '(' is not closed" },
	{ R("match ((proto tcp) and port 80\nseverity low\n  \t"),
	  "t.rules:2:7: '(' is not closed" },
	{ "rule r {\r\nmatch (proto tcp or\r\n  port 80\r\n}\r\n"
	  "rule s {\r\nmatch (any)\r\nseverity low\r\n}\r\n",
	  "t.rules:2:7: '(' is not closed" },
	{ R("match (port 80 or \\\n"), "t.rules:2:7: '(' is not closed" },
	{ "list a = [ 1 2\n" R(MS), "t.rules:1:10: '[' is not closed" },
	{ R("match in [10.0.0.1 }]\nseverity low\n"), "t.rules:2:20: \"}\" "
	  "cannot be an item of a list" },
	{ R("match frob\nseverity low\n"), "t.rules:2:7: unknown primitive "
	  "\"frob\"" },
	{ R("match src proto tcp\nseverity low\n"), "t.rules:2:7: src cannot "
	  "qualify proto (only host, net, in and port)" },
	{ R("match dst app TLS\nseverity low\n"), "t.rules:2:7: dst cannot "
	  "qualify app (only host, net, in and port)" },
	{ R("match src src host 1.2.3.4\nseverity low\n"), "t.rules:2:11: "
	  "unknown primitive \"src\"" },
	{ R("match any any\nseverity low\n"), "t.rules:2:11: expected and, "
	  "or or the end of the line, got \"any\"" },
	{ R("match any)\nseverity low\n"), "t.rules:2:10: unexpected \")\"" },
	{ R("match (any any)\nseverity low\n"), "t.rules:2:12: expected ')', "
	  "got \"any\"" },
	{ R("match any and\nseverity low\n"), "t.rules:2:14: expected a "
	  "primitive, got end of line" },
	{ R("match any or or any\nseverity low\n"), "t.rules:2:14: unknown "
	  "primitive \"or\"" },
	{ R("match not\nseverity low\n"), "t.rules:2:10: expected a "
	  "primitive, got end of line" },
	{ R("match ()\nseverity low\n"), "t.rules:2:8: expected a primitive, "
	  "got \")\"" },
	{ R("match port\nseverity low\n"), "t.rules:2:11: port: value "
	  "expected, got end of line" },
	{ R("match port >\nseverity low\n"), "t.rules:2:13: port: value "
	  "expected, got end of line" },
	{ R("match port 70000\nseverity low\n"), "t.rules:2:12: port: "
	  "\"70000\" is not a port (0-65535)" },
	{ R("match port 1-2\nseverity low\n"), "t.rules:2:12: port: \"1-2\" is "
	  "not a port (0-65535)" },
	{ R("match port {\nseverity low\n"), "t.rules:2:12: port: \"{\" is not "
	  "a value here" },
	{ R("match proto > 6\nseverity low\n"), "t.rules:2:13: proto takes no "
	  "comparison but =" },
	{ R("match as < 6\nseverity low\n"), "t.rules:2:10: as takes no "
	  "comparison but =" },
	{ R("match proto ipx\nseverity low\n"), "t.rules:2:13: proto: \"ipx\" "
	  "is not a protocol (tcp, udp, icmp, icmp6, ipv6-icmp, igmp, gre, "
	  "esp, ah, sctp or 0-255)" },
	{ R("match proto 256\nseverity low\n"), "t.rules:2:13: proto: \"256\" "
	  "is not a protocol (tcp, udp, icmp, icmp6, ipv6-icmp, igmp, gre, "
	  "esp, ah, sctp or 0-255)" },
	{ R("match host 10.0.0.0/8\nseverity low\n"), "t.rules:2:12: host: "
	  "\"10.0.0.0/8\" is not an address" },
	{ R("match host foo\nseverity low\n"), "t.rules:2:12: host: \"foo\" is "
	  "not an address" },
	{ R("match net 10.0.0.1/8\nseverity low\n"), "t.rules:2:11: net: "
	  "\"10.0.0.1/8\": host bits set" },
	{ R("match net 10.0.0.0/33\nseverity low\n"), "t.rules:2:11: net: "
	  "\"10.0.0.0/33\": bad prefix length" },
	{ R("match net ::/129\nseverity low\n"), "t.rules:2:11: net: "
	  "\"::/129\": bad prefix length" },
	{ R("match net 10.0.0.0/\nseverity low\n"), "t.rules:2:11: net: "
	  "\"10.0.0.0/\": bad prefix length" },
	{ R("match net 10.0.0.0/0008\nseverity low\n"), "t.rules:2:11: net: "
	  "\"10.0.0.0/0008\": bad prefix length" },
	{ R("match net 10.0.0/8\nseverity low\n"), "t.rules:2:11: net: "
	  "\"10.0.0/8\" is not an address or prefix" },
	{ R("match as ASx\nseverity low\n"), "t.rules:2:10: as: \"ASx\" is not "
	  "an AS number (15169 or AS15169)" },
	{ R("match as 4294967296\nseverity low\n"), "t.rules:2:10: as: "
	  "\"4294967296\" is not an AS number (15169 or AS15169)" },
	{ R("match country USA\nseverity low\n"), "t.rules:2:15: country: "
	  "\"USA\" is not a country code (two letters)" },
	{ R("match country U1\nseverity low\n"), "t.rules:2:15: country: "
	  "\"U1\" is not a country code (two letters)" },
	{ R("match app \"\"\nseverity low\n"), "t.rules:2:11: app: \"\" is "
	  "not an application label (1 to 31 characters)" },
	{ R("match app ABCDEFGHIJABCDEFGHIJABCDEFGHIJAB\nseverity low\n"),
	  "t.rules:2:11: app: \"ABCDEFGHIJABCDEFGHIJABCDEFGHIJAB\" is not an "
	  "application label (1 to 31 characters)" },
	{ R("match app \"a\tb\"\nseverity low\n"), "t.rules:2:11: app: \"a\tb\": "
	  "control character in an application label" },
	{ R("match bytes > lots\nseverity low\n"), "t.rules:2:15: bytes: "
	  "\"lots\" is not a number (digits and an optional k, M, G or T)" },
	{ R("match packets 1Q\nseverity low\n"), "t.rules:2:15: packets: "
	  "\"1Q\" is not a number (digits and an optional k, M, G or T)" },
	{ R("match flags\nseverity low\n"), "t.rules:2:12: flags: letters of "
	  "F S R P A U E C expected, got end of line" },
	{ R("match flags SX\nseverity low\n"), "t.rules:2:13: flags: 'X' is "
	  "not a TCP flag (F S R P A U E C)" },
	{ R("match flags 1\nseverity low\n"), "t.rules:2:13: flags: '1' is "
	  "not a TCP flag (F S R P A U E C)" },
	/* sets */
	{ R("match in\nseverity low\n"), "t.rules:2:9: expected @NAME or [ "
	  "after in, got end of line" },
	{ R("match in 10.0.0.1\nseverity low\n"), "t.rules:2:10: expected "
	  "@NAME or [ after in, got \"10.0.0.1\"" },
	{ R("match in [10.0.0.1\nseverity low\n"), "t.rules:2:10: '[' is not "
	  "closed" },
	{ R("match in [10.0.0.1 {]\nseverity low\n"), "t.rules:2:20: \"{\" "
	  "cannot be an item of a list" },
	{ R("match in @nope\nseverity low\n"), "t.rules:2:10: @nope is neither "
	  "a list of the rule files nor a [group] of the config" },
	{ R("match port in [1 @nope]\nseverity low\n"), "t.rules:2:18: @nope "
	  "is neither a list of the rule files nor a [group] of the config" },
	{ R("match port in @web\nseverity low\n"), "t.rules:2:15: @web is a "
	  "host group: only [src|dst] in takes one" },
	{ R("match in @abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\n"
	  "severity low\n"), "t.rules:2:10: @abcdefghijabcdefghijabcdefghijabcd"
	  "efghij: no list or group has so long a name" },
	{ R("match port in [1 2-1]\nseverity low\n"), "t.rules:2:18: \"2-1\" is "
	  "a backwards range" },
	{ R("match port in [1-x]\nseverity low\n"), "t.rules:2:16: \"1-x\" is "
	  "not a port range LOW-HIGH (0-65535)" },
	{ R("match port in [x-1]\nseverity low\n"), "t.rules:2:16: \"x-1\" is "
	  "not a port (0-65535) or a range LOW-HIGH" },
	{ R("match port in [\"80\"]\nseverity low\n"), "t.rules:2:16: string "
	  "\"80\" is not a value here" },
	{ "list p = 80 http\n" R("match port in @p\nseverity low\n"),
	  "t.rules:1:13: list p: \"http\" is not a port (0-65535) or a range "
	  "LOW-HIGH" },
	{ "list p = 80\n" R("match in @p\nseverity low\n"), "t.rules:1:10: "
	  "list p: \"80\" is not an address or prefix" },
	{ "list c = us usa\n" R("match country in @c\nseverity low\n"),
	  "t.rules:1:13: list c: \"usa\" is not a country code (two "
	  "letters)" },
	{ "list a = AS1 x\n" R("match as in @a\nseverity low\n"),
	  "t.rules:1:14: list a: \"x\" is not an AS number (15169 or "
	  "AS15169)" },
	{ "list a = \"\"\n" R("match app in @a\nseverity low\n"),
	  "t.rules:1:10: list a: \"\" is not an application label (1 to 31 "
	  "characters)" },
	{ R("match proto in [tcp bogus]\nseverity low\n"), "t.rules:2:21: "
	  "\"bogus\" is not a protocol (tcp, udp, icmp, icmp6, ipv6-icmp, igmp, "
	  "gre, esp, ah, sctp or 0-255)" },
	{ R("match host in [1.2.3.4]\nseverity low\n"), "t.rules:2:12: host: "
	  "\"in\" is not an address" },
};

static void
test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		bad(errors[i].text, errors[i].want);
}

/* Text that repeats piece n times between head and tail. */
static char *
repeat(const char *head, const char *piece, size_t n, const char *tail)
{
	size_t hl = strlen(head), pl = strlen(piece), tl = strlen(tail), i;
	char *s = malloc(hl + pl * n + tl + 1), *p;

	assert_non_null(s);
	memcpy(s, head, hl);
	for (i = 0, p = s + hl; i < n; i++, p += pl)
		memcpy(p, piece, pl);
	memcpy(p, tail, tl + 1);
	return s;
}

/* The limits: each is an error, not a crash or a slow load. */
static void
test_limits(void **state)
{
	char *s, *t, err[RULE_ERR_MAX], want[128];
	struct ruleset *rs;

	(void)state;
	s = repeat("rule r {\nmatch ", "(", 65, "any");
	t = repeat(s, ")", 65, "\nseverity low\n}\n");
	bad(t, "t.rules:2:71: expression nested more than 64 deep");
	free(s);
	free(t);
	s = repeat("rule r {\nmatch ", "not ", 65, "any\nseverity low\n}\n");
	bad(s, "t.rules:2:263: expression nested more than 64 deep");
	free(s);
	s = repeat("rule r {\nmatch any", " or any", 1024, "\nseverity low\n"
	    "}\n");
	bad(s, "t.rules:2:7175: more than 1024 tests in one match");
	free(s);
	s = repeat("rule r {\nmatch any", " or not not not not not not not "
	    "not not not not not not not not not not not not not not not not "
	    "not not not not not not not not not not not not not not not not "
	    "not not not not not not not not not any", 100, "\nseverity low\n"
	    "}\n");
	bad(s, "t.rules:2:16145: expression too long");
	free(s);
	s = repeat("list big = ", "1 ", 65537, "\nrule r {\nmatch port in "
	    "@big\nseverity low\n}\n");
	bad(s, "t.rules:1:131084: list big: more than 65536 items in a set");
	free(s);
	{
		size_t i, o = 0, cap = 4097 * 48;

		s = malloc(cap);
		for (i = 0; i < 4097; i++)
			o += (size_t)snprintf(s + o, cap - o, "list l%zu = 1\n",
			    i);
		bad(s, "t.rules:4097:6: more than 4096 lists");
		o = 0;
		for (i = 0; i < 4097; i++)
			o += (size_t)snprintf(s + o, cap - o, "rule r%zu {\n"
			    "match any\nseverity low\n}\n", i);
		bad(s, "t.rules:16385:6: more than 4096 rules");
		free(s);
	}
	s = repeat("# ", "x", 1u << 20, "\n");
	snprintf(want, sizeof(want), "t.rules: larger than %u bytes",
	    1u << 20);
	bad(s, want);
	free(s);
	s = repeat("rule r {\nmatch any\nseverity low\nsummary \"", "x", 1024,
	    "\"\n}\n");
	bad(s, "t.rules:4:9: summary: longer than 1023 bytes");
	free(s);
	/* More than 64 groups. */
	{
		const char *many[65];
		size_t i;

		for (i = 0; i < 65; i++)
			many[i] = "g";
		rs = rule_load_string("t.rules", "", many, 65, err,
		    sizeof(err));
		assert_null(rs);
		assert_string_equal(err, "t.rules: more than 64 groups");
	}
	/* A tiny error buffer is never overrun; none at all is allowed. */
	rs = rule_load_string("t.rules", "frob\n", NULL, 0, err, 8);
	assert_null(rs);
	assert_string_equal(err, "t.rules");
	assert_null(rule_load_string("t.rules", "frob\n", NULL, 0, NULL, 0));
}

/*
 * Sets cost a bounded time and memory whatever the file: a list used as
 * `in @NAME` is read once and shared, the items read into sets and the
 * memory of the sets have ceilings over the whole load, and a port range
 * fills its bitmap by bytes (it used to set 65536 bits one by one for
 * 0-65535: 450 such items used 250 times took seconds to load).
 */
static void
test_set_budget(void **state)
{
	struct ruleset *rs;
	struct trec t;
	struct rule_rec *r = web(&t);
	char *s, *u, *v;
	unsigned p;

	(void)state;
	/* Ranges on and off byte boundaries: exactly their ports. */
	rs = expr_rules("dst port in [5-20 63-64 100-107 1000-1000 3-3 "
	    "65528-65535 30000-30016 8-8]");
	for (p = 0; p < 65536; p++) {
		int want = (p >= 5 && p <= 20) || p == 63 || p == 64 ||
		    (p >= 100 && p <= 107) || p == 1000 || p == 3 ||
		    p >= 65528 || (p >= 30000 && p <= 30016);

		r->dport = (uint16_t)p;
		if (rule_match(rs, 0, r) != want)
			fail_msg("port %u: %d", p, !want);
	}
	rule_free(rs);
	rs = expr_rules("dst port in [0-65535]");
	for (p = 0; p < 65536; p += 4099) {
		r->dport = (uint16_t)p;
		assert_true(rule_match(rs, 0, r));
	}
	rule_free(rs);
	/* The finding: 450 full ranges used 250 times, now read once. */
	s = repeat("list p = ", "0-65535 ", 450, "\nrule r {\nmatch port in "
	    "@p");
	u = repeat(s, " or port in @p", 249, "\nseverity low\n}\n");
	rs = ok(u);
	r->dport = 12345;
	assert_true(rule_match(rs, 0, r));
	rule_free(rs);
	free(s);
	free(u);
	/* A list of 65536 items used as @NAME many times: read once. */
	s = repeat("list big = ", "1 ", 65536, "\nrule r {\nmatch port in "
	    "@big");
	u = repeat(s, " or dst port in @big or as in @big", 20,
	    "\nseverity low\n}\n");
	rs = ok(u);
	r->dport = 1;
	assert_true(rule_match(rs, 0, r));
	rule_free(rs);
	free(u);
	/* In [ ] it is read each time: 16 times is the ceiling. */
	u = repeat(s, " or dst port in [@big]", 16, "\nseverity low\n}\n");
	bad(u, "t.rules:1:12: list big: more than 1048576 items in the sets "
	    "of all rules (a list used as in @NAME counts once)");
	free(u);
	free(s);
	/* Memory: a port bitmap is 8 KiB, all sets at most 64 MiB. */
	s = repeat("rule a {\nmatch port in [1]", " or port in [1]", 1023,
	    "\nseverity low\n}\n");
	for (p = 7; p <= 8; p++) {
		char err[RULE_ERR_MAX];
		size_t i;

		u = repeat("", s, p, "");
		for (i = 0; (v = strstr(u, "rule a {")) != NULL; i++)
			v[5] = (char)('c' + i);		/* unique names */
		rs = rule_load_string("t.rules", u, NULL, 0, err, sizeof(err));
		if (p == 7 && rs == NULL)
			fail_msg("%s", err);
		if (p == 8 && (rs != NULL || strncmp(err, "t.rules:30:", 11) !=
		    0 || strstr(err, ": the sets of all rules take more than "
		    "64 MiB (a list used as in @NAME counts once)") == NULL))
			fail_msg("%s", rs ? "loaded" : err);
		rule_free(rs);
		free(u);
	}
	free(s);
}

/* ---- files ------------------------------------------------------------- */

static char tmpdir[] = "/tmp/test_rules.XXXXXX";

/* len (size_t)-1: strlen(text). */
static const char *
write_file(const char *name, const char *text, size_t len)
{
	static char path[256];
	FILE *fp;

	if (len == (size_t)-1)
		len = strlen(text);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	return path;
}

static struct ruleset *
load(const char *pattern, char *err)
{
	char pat[256];
	const char *files[1] = { pat };

	snprintf(pat, sizeof(pat), "%s/%s", tmpdir, pattern);
	return rule_load(files, 1, groups, NGROUPS, err, RULE_ERR_MAX);
}

static void
expect_err(const char *pattern, const char *want_suffix)
{
	char err[RULE_ERR_MAX], want[512];
	struct ruleset *rs = load(pattern, err);

	assert_null(rs);
	snprintf(want, sizeof(want), "%s/%s", tmpdir, want_suffix);
	assert_string_equal(err, want);
}

static void
test_files(void **state)
{
	char err[RULE_ERR_MAX], *big;
	struct ruleset *rs;
	struct trec t;
	const char *files[2];
	char p1[256], p2[256];

	(void)state;
	assert_non_null(mkdtemp(tmpdir));
	/* Two files: b uses a's list; sorted by name, then rules in order. */
	write_file("b.rules", "rule two {\nmatch dst port in @p\n"
	    "severity high\n}\n", (size_t)-1);
	write_file("a.rules", "list p = 443\nrule one {\nmatch any\n"
	    "severity low\n}\n", (size_t)-1);
	rs = load("*.rules", err);
	if (rs == NULL)
		fail_msg("%s", err);
	assert_int_equal(rule_count(rs), 2);
	assert_string_equal(rule_get(rs, 0)->name, "one");
	assert_string_equal(rule_get(rs, 1)->name, "two");
	snprintf(p1, sizeof(p1), "%s/b.rules", tmpdir);
	assert_string_equal(rule_get(rs, 1)->file, p1);
	assert_int_equal(rule_get(rs, 1)->line, 1);
	assert_true(rule_match(rs, 1, web(&t)));
	rule_free(rs);
	/* The same names in two files. */
	snprintf(p1, sizeof(p1), "%s/a.rules", tmpdir);
	snprintf(p2, sizeof(p2), "%s/a.rules", tmpdir);
	files[0] = p1;
	files[1] = p2;
	rs = rule_load(files, 2, NULL, 0, err, sizeof(err));
	assert_null(rs);
	assert_non_null(strstr(err, "a.rules:1:6: list p is already defined "
	    "at "));
	/* Errors in the second file name it. */
	write_file("c.rules", "rule one {\nmatch any\nseverity low\n}\n",
	    (size_t)-1);
	{
		char tail[512];

		snprintf(tail, sizeof(tail), "c.rules:1:6: rule one is already "
		    "defined at %s/a.rules:2", tmpdir);
		expect_err("[ac].rules", tail);
	}
	/* Nothing to read. */
	expect_err("none.rules", "none.rules: No such file or directory");
	expect_err("none*.rules", "none*.rules: no file matches");
	expect_err(".", ".: read error: Is a directory");
	write_file("nul.rules", "list a = 1\n\nlist b\0 = 2\n", 22);
	expect_err("nul.rules", "nul.rules:3:1: NUL byte in line");
	big = calloc(1, (1u << 20) + 1);
	memset(big, '#', (1u << 20) + 1);
	write_file("big.rules", big, (1u << 20) + 1);
	free(big);
	expect_err("big.rules", "big.rules: larger than 1048576 bytes");
	/* No files: an empty ruleset. */
	rs = rule_load(NULL, 0, NULL, 0, err, sizeof(err));
	assert_non_null(rs);
	assert_int_equal(rule_count(rs), 0);
	rule_free(rs);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		assert_int_equal(system(cmd), 0);
	}
}

/* ---- thresholds ------------------------------------------------------- */

static struct ruleset *
threshold(const char *clause, const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text), "rule t {\nmatch any\nseverity low\n"
	    "threshold %s\n%s}\n", clause, extra);
	return ok(text);
}

/* Feed r at time ms; 1 when the rule fires. */
static int
feed(struct rule_state *st, struct rule_rec *r, uint64_t ms,
    struct rule_hit *h)
{
	r->ts_ms = ms;
	return rule_feed(st, 0, r, h);
}

static void
test_no_threshold(void **state)
{
	struct ruleset *rs = ok("rule t {\nmatch any\nseverity low\n}\n");
	struct rule_state *st = rule_state_new(rs, 10);
	struct rule_state_stats s;
	struct rule_hit h;
	struct trec t;
	struct rule_rec *r = web(&t);

	(void)state;
	assert_int_equal(feed(st, r, 5000, &h), 1);
	assert_int_equal(h.rule, 0);
	assert_int_equal(h.value, 1);
	assert_int_equal(h.flows, 1);
	assert_int_equal(h.bytes, 1000);
	assert_int_equal(h.packets, 10);
	assert_int_equal(h.first_ms, 5000);
	assert_int_equal(h.last_ms, 5000);
	assert_int_equal(feed(st, r, 5001, &h), 1);
	rule_state_stats(st, &s);
	assert_int_equal(s.keys, 0);
	assert_int_equal(rule_feed(st, 1, r, &h), 0);	/* no such rule */
	assert_int_equal(rule_feed(NULL, 0, r, &h), 0);
	rule_state_free(st);
	rule_state_free(NULL);
	rule_state_expire(NULL, 0);
	rule_state_stats(NULL, &s);
	assert_int_equal(s.keys, 0);
	rule_free(rs);
}

static void
test_count_and_sums(void **state)
{
	struct ruleset *rs;
	struct rule_state *st;
	struct rule_hit h;
	struct trec t;
	struct rule_rec *r = web(&t);
	int i;

	(void)state;
	rs = threshold("count > 3 within 10s per src", "");
	st = rule_state_new(rs, 100);
	for (i = 0; i < 3; i++)
		assert_int_equal(feed(st, r, 1000 + (uint64_t)i, &h), 0);
	assert_int_equal(feed(st, r, 1500, &h), 1);
	assert_int_equal(h.value, 4);
	assert_int_equal(h.flows, 4);
	assert_int_equal(h.bytes, 4000);
	assert_int_equal(h.packets, 40);
	assert_int_equal(h.first_ms, 1000);
	assert_int_equal(h.last_ms, 1500);
	/* Firing restarts the window. */
	for (i = 0; i < 3; i++)
		assert_int_equal(feed(st, r, 1600, &h), 0);
	assert_int_equal(feed(st, r, 1700, &h), 1);
	assert_int_equal(h.first_ms, 1600);
	rule_state_free(st);
	rule_free(rs);

	rs = threshold("sum bytes > 2500 within 1m per src", "");
	st = rule_state_new(rs, 100);
	assert_int_equal(feed(st, r, 0, &h), 0);
	assert_int_equal(feed(st, r, 1, &h), 0);
	assert_int_equal(feed(st, r, 2, &h), 1);
	assert_int_equal(h.value, 3000);
	r->bytes = UINT64_MAX;			/* saturates */
	assert_int_equal(feed(st, r, 3, &h), 1);
	assert_int_equal(h.bytes, UINT64_MAX);
	assert_int_equal(feed(st, r, 4, &h), 1);
	r->bytes = 1000;
	assert_int_equal(feed(st, r, 4, &h), 0);
	assert_int_equal(feed(st, r, 4, &h), 0);
	assert_true(feed(st, r, 4, &h));
	assert_int_equal(h.bytes, 3000);
	rule_state_free(st);
	rule_free(rs);

	rs = threshold("sum packets > 25 within 1m per src", "");
	st = rule_state_new(rs, 100);
	assert_int_equal(feed(st, r, 0, &h), 0);
	assert_int_equal(feed(st, r, 0, &h), 0);
	assert_int_equal(feed(st, r, 0, &h), 1);
	assert_int_equal(h.value, 30);
	assert_int_equal(h.packets, 30);
	rule_state_free(st);
	rule_free(rs);
}

static void
test_distinct(void **state)
{
	struct ruleset *rs;
	struct rule_state *st;
	struct rule_hit h;
	struct trec t;
	struct rule_rec *r = web(&t);
	char a[64];
	int i;

	(void)state;
	rs = threshold("distinct dst > 20 within 60s per src,proto,dport", "");
	st = rule_state_new(rs, 100);
	for (i = 1; i <= 20; i++) {
		snprintf(a, sizeof(a), "203.0.113.%d", i);
		flow_addr_parse(&t.dst, a);
		assert_int_equal(feed(st, r, (uint64_t)i * 100, &h), 0);
		assert_int_equal(feed(st, r, (uint64_t)i * 100, &h), 0);
	}
	flow_addr_parse(&t.dst, "2001:db8::1");
	assert_int_equal(feed(st, r, 3000, &h), 1);
	assert_int_equal(h.value, 21);
	assert_int_equal(h.flows, 41);
	rule_state_free(st);
	rule_free(rs);

	rs = threshold("distinct dport > 2 within 60s per src,dst", "");
	st = rule_state_new(rs, 100);
	r->dport = 0;
	assert_int_equal(feed(st, r, 0, &h), 0);
	r->dport = 65535;
	assert_int_equal(feed(st, r, 0, &h), 0);
	assert_int_equal(feed(st, r, 0, &h), 0);
	r->dport = 0;
	assert_int_equal(feed(st, r, 0, &h), 0);
	r->dport = 22;
	assert_int_equal(feed(st, r, 0, &h), 1);
	assert_int_equal(h.value, 3);
	rule_state_free(st);
	rule_free(rs);

	/* Many members: the set grows up to what the threshold needs. */
	rs = threshold("distinct dport > 9000 within 60s per src", "");
	st = rule_state_new(rs, 100);
	for (i = 0; i < 9000; i++) {
		r->dport = (uint16_t)i;
		assert_int_equal(feed(st, r, 0, &h), 0);
	}
	r->dport = 9000;
	assert_int_equal(feed(st, r, 0, &h), 1);
	assert_int_equal(h.value, 9001);
	rule_state_free(st);
	rule_free(rs);
}

static void
test_window(void **state)
{
	struct ruleset *rs;
	struct rule_state *st;
	struct rule_state_stats s;
	struct rule_hit h;
	struct trec t;
	struct rule_rec *r = web(&t);

	(void)state;
	rs = threshold("count > 2 within 10s per src", "");
	st = rule_state_new(rs, 100);
	assert_int_equal(feed(st, r, 100000, &h), 0);
	assert_int_equal(feed(st, r, 109999, &h), 0);
	/* 10 s after the first record: a new window. */
	assert_int_equal(feed(st, r, 110000, &h), 0);
	assert_int_equal(feed(st, r, 110001, &h), 0);
	assert_int_equal(feed(st, r, 110002, &h), 1);
	assert_int_equal(h.first_ms, 110000);
	assert_int_equal(h.flows, 3);
	/* A record older than the window's start counts in it. */
	assert_int_equal(feed(st, r, 200000, &h), 0);
	assert_int_equal(feed(st, r, 150000, &h), 0);
	assert_int_equal(feed(st, r, 200001, &h), 1);
	assert_int_equal(h.first_ms, 200000);
	assert_int_equal(h.last_ms, 200001);
	/* Expiry drops windows at their end, not before. */
	assert_int_equal(feed(st, r, 300000, &h), 0);
	rule_state_stats(st, &s);
	assert_int_equal(s.keys, 1);
	rule_state_expire(st, 309999);
	rule_state_stats(st, &s);
	assert_int_equal(s.keys, 1);
	rule_state_expire(st, 310000);
	rule_state_stats(st, &s);
	assert_int_equal(s.keys, 0);
	rule_state_expire(st, 0);		/* time going back: kept */
	rule_state_free(st);
	rule_free(rs);
}

static void
test_per_key(void **state)
{
	struct ruleset *rs;
	struct rule_state *st;
	struct rule_hit h;
	struct trec t1, t2, t3;
	struct rule_rec *a = web(&t1), *b = web(&t2), *c = web(&t3);

	(void)state;
	rs = threshold("count > 1 within 10s per src,dport", "");
	st = rule_state_new(rs, 100);
	flow_addr_parse(&t2.src, "192.0.2.11");
	c->dport = 80;
	assert_int_equal(feed(st, a, 0, &h), 0);
	assert_int_equal(feed(st, b, 0, &h), 0);
	assert_int_equal(feed(st, c, 0, &h), 0);
	/* The fields not in the key do not separate. */
	flow_addr_parse(&t1.dst, "198.51.100.99");
	a->sport = 1;
	a->proto = 17;
	assert_int_equal(feed(st, a, 0, &h), 1);
	assert_int_equal(feed(st, b, 0, &h), 1);
	assert_int_equal(feed(st, c, 0, &h), 1);
	rule_state_free(st);
	rule_free(rs);

	/* Every key field separates; an IPv4 address's unused bytes do not. */
	rs = threshold("count > 1 within 10s per src,dst,sport,dport,proto",
	    "");
	st = rule_state_new(rs, 100);
	a = web(&t1);
	assert_int_equal(feed(st, a, 0, &h), 0);
	a->proto = 17;
	assert_int_equal(feed(st, a, 0, &h), 0);
	a->sport = 2;
	assert_int_equal(feed(st, a, 0, &h), 0);
	t1.src.a[15] = 0xff;
	assert_int_equal(feed(st, a, 0, &h), 1);
	rule_state_free(st);
	rule_free(rs);

	/* A record without addresses has an empty address in its key. */
	rs = threshold("count > 1 within 10s per src,dst", "");
	st = rule_state_new(rs, 100);
	a = web(&t1);
	a->src = a->dst = NULL;
	assert_int_equal(feed(st, a, 0, &h), 0);
	assert_int_equal(feed(st, a, 0, &h), 1);
	rule_state_free(st);
	rule_free(rs);

	/* Two threshold rules never share windows. */
	rs = ok("rule a {\nmatch any\nseverity low\nthreshold count > 1 within "
	    "10s per src\n}\nrule b {\nmatch any\nseverity low\nthreshold count "
	    "> 1 within 10s per src\n}\n");
	st = rule_state_new(rs, 100);
	a = web(&t1);
	a->ts_ms = 0;
	assert_int_equal(rule_feed(st, 0, a, &h), 0);
	assert_int_equal(rule_feed(st, 1, a, &h), 0);
	assert_int_equal(rule_feed(st, 0, a, &h), 1);
	assert_int_equal(h.rule, 0);
	assert_int_equal(rule_feed(st, 1, a, &h), 1);
	assert_int_equal(h.rule, 1);
	rule_state_free(st);
	rule_free(rs);
}

static void
test_min_samples(void **state)
{
	struct ruleset *rs;
	struct rule_state *st;
	struct rule_hit h;
	struct trec t;
	struct rule_rec *r = web(&t);

	(void)state;
	rs = threshold("sum packets > 1000 within 10s per src",
	    "min_samples 5\n");
	st = rule_state_new(rs, 100);
	/* One sampled packet at 1:100000 proves nothing... */
	r->rate = 100000;
	r->raw_packets = 1;
	r->packets = 100000;
	assert_int_equal(feed(st, r, 0, &h), 0);
	assert_int_equal(feed(st, r, 1, &h), 0);
	assert_int_equal(feed(st, r, 2, &h), 0);
	assert_int_equal(feed(st, r, 3, &h), 0);
	/* ... five do. */
	assert_int_equal(feed(st, r, 4, &h), 1);
	assert_int_equal(h.packets, 500000);
	/* An unsampled record is evidence at once. */
	r->rate = 1;
	r->raw_packets = r->packets = 1001;
	assert_int_equal(feed(st, r, 5, &h), 1);
	/* Or a mix: one unsampled record in the window. */
	r->packets = r->raw_packets = 1;
	assert_int_equal(feed(st, r, 6, &h), 0);
	r->rate = 1000;
	r->packets = 1000;
	assert_int_equal(feed(st, r, 7, &h), 1);
	assert_int_equal(h.packets, 1001);
	/* The samples of a window that restarted do not count. */
	r->rate = 1000;
	r->raw_packets = 4;
	r->packets = 4000;
	assert_int_equal(feed(st, r, 10000, &h), 0);
	assert_int_equal(feed(st, r, 20000, &h), 0);
	r->raw_packets = 1;
	assert_int_equal(feed(st, r, 20001, &h), 1);
	rule_state_free(st);
	rule_free(rs);
}

static void
test_max_keys(void **state)
{
	struct ruleset *rs;
	struct rule_state *st;
	struct rule_state_stats s;
	struct rule_hit h;
	struct trec t;
	struct rule_rec *r = web(&t);
	char a[64];
	int i;

	(void)state;
	rs = threshold("count > 1 within 10s per dst", "");
	st = rule_state_new(rs, 3);
	for (i = 0; i < 5; i++) {
		snprintf(a, sizeof(a), "203.0.113.%d", i);
		flow_addr_parse(&t.dst, a);
		assert_int_equal(feed(st, r, 0, &h), 0);
	}
	rule_state_stats(st, &s);
	assert_int_equal(s.keys, 3);
	assert_int_equal(s.keys_refused, 2);
	/* Refused keys never fire; counted ones still do. */
	assert_int_equal(feed(st, r, 0, &h), 0);
	flow_addr_parse(&t.dst, "203.0.113.0");
	assert_int_equal(feed(st, r, 0, &h), 1);
	rule_state_stats(st, &s);
	assert_int_equal(s.keys, 2);
	assert_int_equal(s.keys_refused, 3);
	/* A freed place takes a new key. */
	flow_addr_parse(&t.dst, "203.0.113.4");
	assert_int_equal(feed(st, r, 0, &h), 0);
	assert_int_equal(feed(st, r, 0, &h), 1);
	rule_state_expire(st, 10000);
	rule_state_stats(st, &s);
	assert_int_equal(s.keys, 0);
	rule_state_free(st);

	/* No room at all. */
	st = rule_state_new(rs, 0);
	assert_int_equal(feed(st, r, 0, &h), 0);
	assert_int_equal(feed(st, r, 0, &h), 0);
	rule_state_stats(st, &s);
	assert_int_equal(s.keys_refused, 2);
	rule_state_free(st);
	rule_free(rs);
}

/*
 * Many keys coming and going in a small table, against a model of what
 * the windows should be: every live key stays findable after deletions.
 */
#define CHURN_KEYS	427

struct model {
	int		live;
	uint64_t	first, n;
};

static int
model_feed(struct model *md, size_t *live, size_t max, size_t k,
    uint64_t now)
{
	struct model *w = &md[k];

	if (!w->live) {
		if (*live == max)
			return 0;
		w->live = 1;
		w->n = 0;
		(*live)++;
	}
	if (w->n && now - w->first >= 10000)
		w->n = 0;
	if (w->n++ == 0)
		w->first = now;
	if (w->n <= 1)
		return 0;
	w->live = 0;
	(*live)--;
	return 1;
}

static void
model_expire(struct model *md, size_t *live, uint64_t now)
{
	size_t k;

	for (k = 0; k < CHURN_KEYS; k++)
		if (md[k].live && now - md[k].first >= 10000) {
			md[k].live = 0;
			(*live)--;
		}
}

static void
test_churn(void **state)
{
	static struct model md[CHURN_KEYS];
	struct ruleset *rs;
	struct rule_state *st;
	struct rule_state_stats s;
	struct rule_hit h;
	struct trec t;
	struct rule_rec *r = web(&t);
	size_t live = 0, k;
	uint32_t i, fired = 0;
	uint64_t now = 0;

	(void)state;
	rs = threshold("count > 1 within 10s per dst,dport", "");
	st = rule_state_new(rs, 64);
	for (i = 0; i < 50000; i++) {
		k = (i * 7919u + i / 3) % CHURN_KEYS;
		t.dst.a[3] = (uint8_t)(k % 61);
		r->dport = (uint16_t)(k / 61);
		now += i % 5;
		assert_int_equal(feed(st, r, now, &h),
		    model_feed(md, &live, 64, k, now));
		fired += h.flows == 2;
		if (i % 1000 == 999) {
			rule_state_expire(st, now);
			model_expire(md, &live, now);
		}
		rule_state_stats(st, &s);
		assert_int_equal(s.keys, live);
	}
	assert_true(fired > 1000);
	assert_true(s.keys_refused > 0);
	rule_state_expire(st, now + 10000);
	rule_state_stats(st, &s);
	assert_int_equal(s.keys, 0);
	rule_state_free(st);
	rule_free(rs);
}

/* The members of all distinct sets share a bounded budget. */
static void
test_distinct_budget(void **state)
{
	struct ruleset *rs;
	struct rule_state *st;
	struct rule_state_stats s;
	struct rule_hit h;
	struct trec t;
	struct rule_rec *r = web(&t);
	uint32_t i, k;

	(void)state;
	rs = threshold("distinct dport > 9000 within 60s per src", "");
	st = rule_state_new(rs, 4);	/* 65536 members in all */
	for (k = 0; k < 4; k++) {
		t.src.a[3] = (uint8_t)k;
		for (i = 0; i < 9000; i++) {
			r->dport = (uint16_t)i;
			assert_int_equal(feed(st, r, 0, &h), 0);
		}
	}
	rule_state_stats(st, &s);
	assert_int_equal(s.keys, 4);
	assert_true(s.distinct_refused > 0);
	rule_state_free(st);
	rule_free(rs);
}

/* ---- the shipped rules -------------------------------------------------- */

static struct ruleset *
shipped(void)
{
	const char *top = getenv("FS_SRCDIR");
	char pat[4096], err[RULE_ERR_MAX];
	const char *files[1] = { pat };
	struct ruleset *rs;

	if (top == NULL)
		return NULL;
	snprintf(pat, sizeof(pat), "%s/rules/*.rules", top);
	rs = rule_load(files, 1, groups, NGROUPS, err, sizeof(err));
	if (rs == NULL)
		fail_msg("%s", err);
	return rs;
}

static size_t
idx(const struct ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rule_count(rs); i++)
		if (strcmp(rule_get(rs, i)->name, name) == 0)
			return i;
	fail_msg("no rule %s", name);
	return 0;
}

static void
test_shipped_load(void **state)
{
	static const char *const names[] = { "unexpected-outbound",
	    "smtp-from-non-mail", "irc", "proxy-tor", "mining", "scan",
	    "flood", "exfil" };
	struct ruleset *rs = shipped();
	const struct rule_info *ri;
	size_t i;

	(void)state;
	if (rs == NULL)
		skip();
	assert_int_equal(rule_count(rs), 8);
	for (i = 0; i < 8; i++)
		assert_non_null(rule_get(rs, idx(rs, names[i]))->summary);
	ri = rule_get(rs, idx(rs, "unexpected-outbound"));
	assert_int_equal(ri->severity, RULE_SEV_LOW);
	assert_int_equal(ri->learn, 1);
	assert_int_equal(ri->whitelist, 1);
	assert_int_equal(ri->suppress_key, RULE_KEY_SRC | RULE_KEY_PROTO |
	    RULE_KEY_DPORT);
	assert_int_equal(ri->suppress_secs, 86400);
	ri = rule_get(rs, idx(rs, "scan"));
	assert_int_equal(ri->agg, RULE_AGG_DISTINCT_DST);
	assert_int_equal(ri->window_secs, 60);
	ri = rule_get(rs, idx(rs, "flood"));
	assert_int_equal(ri->agg, RULE_AGG_SUM_PACKETS);
	assert_true(ri->min_samples > 0);
	ri = rule_get(rs, idx(rs, "exfil"));
	assert_int_equal(ri->agg, RULE_AGG_SUM_BYTES);
	assert_true(ri->min_samples > 0);
	/* Without the config's groups the files still load. */
	{
		const char *top = getenv("FS_SRCDIR");
		char pat[4096], err[RULE_ERR_MAX];
		const char *files[1] = { pat };
		struct ruleset *rs2;

		snprintf(pat, sizeof(pat), "%s/rules/*.rules", top);
		rs2 = rule_load(files, 1, NULL, 0, err, sizeof(err));
		if (rs2 == NULL)
			fail_msg("%s", err);
		rule_free(rs2);
	}
	rule_free(rs);
}

/* Which shipped rules match r (a bit per rule of names[]). */
static const char *const shipped_names[] = { "unexpected-outbound",
    "smtp-from-non-mail", "irc", "proxy-tor", "mining", "scan", "flood",
    "exfil" };

static unsigned
which(const struct ruleset *rs, const struct rule_rec *r)
{
	unsigned v = 0, i;

	for (i = 0; i < 8; i++)
		if (rule_match(rs, idx(rs, shipped_names[i]), r))
			v |= 1u << i;
	return v;
}

#define U_OUT	0x01
#define U_SMTP	0x02
#define U_IRC	0x04
#define U_TOR	0x08
#define U_MINE	0x10
#define U_SCAN	0x20
#define U_FLOOD	0x40
#define U_EXFIL	0x80

static void
test_shipped_match(void **state)
{
	struct ruleset *rs = shipped();
	struct trec t;
	struct rule_rec *r;

	(void)state;
	if (rs == NULL)
		skip();
	r = rec(&t, "192.0.2.11", "203.0.113.101", 6, 40000, 25);
	assert_int_equal(which(rs, r), U_OUT | U_SMTP | U_EXFIL);
	r->src_groups = G_MAIL;			/* a mail server */
	assert_int_equal(which(rs, r), U_OUT | U_EXFIL);
	r->src_groups = 0;
	r->dport = 6667;
	assert_int_equal(which(rs, r), U_OUT | U_IRC | U_SCAN | U_EXFIL);
	r->dport = 443;
	r->app = "IRC";
	assert_int_equal(which(rs, r) & U_IRC, U_IRC);
	r->app = "Tor";
	assert_int_equal(which(rs, r) & (U_IRC | U_TOR), U_TOR);
	r->app = "";
	r->dport = 9050;
	assert_int_equal(which(rs, r) & U_TOR, U_TOR);
	r->dport = 1080;
	assert_int_equal(which(rs, r) & U_TOR, U_TOR);
	r->dport = 3333;
	assert_int_equal(which(rs, r) & (U_MINE | U_TOR), U_MINE);
	r->dport = 443;
	r->app = "Mining";
	assert_int_equal(which(rs, r) & U_MINE, U_MINE);
	r->app = "";
	/* A TCP connection is no flood, a SYN without ACK is. */
	r->tcp_flags = 0x1b;
	assert_int_equal(which(rs, r) & U_FLOOD, 0);
	r->tcp_flags = 0x02;
	assert_int_equal(which(rs, r) & U_FLOOD, U_FLOOD);
	r->proto = 17;
	r->tcp_flags = 0;
	assert_int_equal(which(rs, r) & U_FLOOD, U_FLOOD);
	/* Replies within an outbound connection: not a sender's flood. */
	r->traffic = RULE_IN;
	assert_int_equal(which(rs, r) & (U_FLOOD | U_EXFIL | U_SCAN), 0);
	/* Nothing matches inbound connections (a web server's replies). */
	r = rec(&t, "192.0.2.10", "198.51.100.7", 6, 443, 51000);
	r->outbound = 0;
	r->inbound = 1;
	assert_int_equal(which(rs, r), 0);
	rule_free(rs);
}

/* The scan rule: 21 SSH hosts in a minute fire, SMTP fan-out does not. */
static void
test_shipped_scan(void **state)
{
	struct ruleset *rs = shipped();
	struct rule_state *st;
	struct rule_hit h;
	struct trec t;
	struct rule_rec *r;
	size_t scan;
	int i, fired = 0;

	(void)state;
	if (rs == NULL)
		skip();
	scan = idx(rs, "scan");
	st = rule_state_new(rs, 1000);
	r = rec(&t, "192.0.2.11", "203.0.113.1", 6, 40000, 25);
	for (i = 1; i <= 40; i++) {		/* spam to 40 MX */
		t.dst.a[3] = (uint8_t)(100 + i);
		r->ts_ms = (uint64_t)i * 100;
		if (rule_match(rs, scan, r))
			fired += rule_feed(st, scan, r, &h);
	}
	assert_int_equal(fired, 0);
	r->dport = 22;
	r->tcp_flags = 0x02;
	for (i = 1; i <= 40 && !fired; i++) {	/* SSH to 40 hosts */
		t.dst.a[3] = (uint8_t)(200 + i);
		r->ts_ms = 10000 + (uint64_t)i * 25;
		assert_true(rule_match(rs, scan, r));
		fired = rule_feed(st, scan, r, &h);
	}
	assert_int_equal(fired, 1);
	assert_int_equal(i - 1, 21);
	assert_int_equal(h.value, 21);
	/* A web server's own few destinations a minute do not. */
	rule_state_free(st);
	st = rule_state_new(rs, 1000);
	r->dport = 443;
	r->tcp_flags = 0x1b;
	for (i = 0; i < 600; i++) {		/* 10 minutes, 20 APIs */
		t.dst.a[3] = (uint8_t)(i % 20);
		r->ts_ms = (uint64_t)i * 1000;
		assert_int_equal(rule_feed(st, scan, r, &h), 0);
	}
	rule_state_free(st);
	rule_free(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_clauses),
		cmocka_unit_test(test_lexer),
		cmocka_unit_test(test_traffic),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_proto_flags_counts),
		cmocka_unit_test(test_remote),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_lists_and_groups),
		cmocka_unit_test(test_proto_names),
		cmocka_unit_test(test_set_lookup),
		cmocka_unit_test(test_set_sorted),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_set_budget),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_no_threshold),
		cmocka_unit_test(test_count_and_sums),
		cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_per_key),
		cmocka_unit_test(test_min_samples),
		cmocka_unit_test(test_max_keys),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_distinct_budget),
		cmocka_unit_test(test_shipped_load),
		cmocka_unit_test(test_shipped_match),
		cmocka_unit_test(test_shipped_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
