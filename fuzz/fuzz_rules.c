/*
 * fuzz_rules.c - libFuzzer target: the rule language's loader, compiler,
 * evaluator and threshold windows (rules/, flowsentry.rules(5)).
 *
 * The input, NUL-terminated in a heap copy, is a whole rule file, loaded
 * with rule_load_string() and the config groups {mail-servers, web, db}.
 * A refused file must leave a NUL-terminated "fuzz.rules:LINE:COL: reason"
 * (or "fuzz.rules: reason") whose line lies inside the text.  A loaded one
 * must:
 *
 *   - give rule_info values inside the ranges the language allows (names,
 *     severity, keys, windows, distinct thresholds, min_samples only with
 *     a threshold, summaries shorter than the limit);
 *   - hold programs whose every jump goes forwards or ends in accept or
 *     reject, with a set behind every `in` test (so evaluation ends);
 *   - load again from the same text to the same rules, which answer
 *     rule_match alike;
 *   - evaluate records made from the file's own words (its addresses,
 *     numbers, country codes and labels) and from the input's hash, to 0
 *     or 1, and the same again;
 *   - feed the matches to a small rule_state (max_keys 4, so refusals and
 *     deletions happen) with times that jump back and forth: a hit names
 *     its rule, a threshold hit's value exceeds the threshold, first <=
 *     last, the keys never exceed max_keys, and an expiry far enough in the
 *     future leaves no window.
 *
 * Besides the text of the input, each run also writes a rule of its own:
 * an expression drawn at random (seeded by the input) from primitives
 * whose meaning is known here, joined by and, or, not and parentheses in
 * words or symbols, with only the parentheses precedence needs or more.
 * The compiled rule must answer every record as the expression's tree
 * does: precedence, associativity and the jumps of the flat program are
 * checked against an oracle, not only for crashing.
 *
 * Everything is freed, so LeakSanitizer sees any leak on either path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "rule.h"
#include "rule_int.h"

#define NAME		"fuzz.rules"
#define MAX_KEYS	4
#define NRECS		24	/* records evaluated */
#define NWORDS		48	/* words of the file kept as values */
#define MAX_RULES_RUN	256	/* rules evaluated (all are checked) */

static const char *const groups[] = { "mail-servers", "web", "db" };
#define NGROUPS		3

/* Values taken from the input: what its rules are likely to test. */
struct vals {
	struct flow_addr	addr[NWORDS];
	size_t			naddr;
	uint32_t		num[NWORDS];
	size_t			nnum;
	char			word[NWORDS][RULE_APP_MAX];
	size_t			nword;
};

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int
word_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("_.:/-", c));
}

static void
collect(const char *text, struct vals *v)
{
	const char *p = text, *s;
	char w[64], *slash, *dash;
	struct flow_addr a;
	size_t n;

	memset(v, 0, sizeof(*v));
	while (*p) {
		if (!word_char((unsigned char)*p)) {
			p++;
			continue;
		}
		for (s = p; word_char((unsigned char)*p); p++)
			;
		if ((n = (size_t)(p - s)) >= sizeof(w))
			continue;
		memcpy(w, s, n);
		w[n] = '\0';
		if ((slash = strchr(w, '/')) != NULL)
			*slash = '\0';
		if (flow_addr_parse(&a, w) == 0) {
			if (v->naddr < NWORDS)
				v->addr[v->naddr++] = a;
			continue;
		}
		if (w[0] >= '0' && w[0] <= '9') {
			unsigned long x = strtoul(w, &dash, 10);

			if (v->nnum < NWORDS)
				v->num[v->nnum++] = (uint32_t)x;
			if (*dash == '-' && v->nnum < NWORDS)
				v->num[v->nnum++] = (uint32_t)strtoul(dash + 1,
				    NULL, 10);
			continue;
		}
		if ((w[0] == 'A' || w[0] == 'a') && (w[1] == 'S' ||
		    w[1] == 's') && w[2] >= '0' && w[2] <= '9') {
			if (v->nnum < NWORDS)
				v->num[v->nnum++] = (uint32_t)strtoul(w + 2,
				    NULL, 10);
			continue;
		}
		if (n < RULE_APP_MAX && v->nword < NWORDS)
			memcpy(v->word[v->nword++], w, n + 1);
	}
}

/* One record: its addresses and strings live beside it. */
struct frec {
	struct flow_addr	src, dst;
	char			country[4], app[RULE_APP_MAX];
	struct rule_rec		r;
};

static void
make_rec(struct frec *f, const struct vals *v, uint32_t *s, uint64_t ts)
{
	uint32_t x = rnd(s), y = rnd(s);
	struct rule_rec *r = &f->r;

	memset(f, 0, sizeof(*f));
	if (v->naddr && (x & 1))
		f->src = v->addr[rnd(s) % v->naddr];
	else
		flow_addr_parse(&f->src, x & 2 ? "2001:db8::10" :
		    "192.0.2.10");
	if (v->naddr && (x & 4))
		f->dst = v->addr[rnd(s) % v->naddr];
	else
		flow_addr_parse(&f->dst, x & 8 ? "2001:db8:ffff::1" :
		    "198.51.100.1");
	if (x & 16)				/* a bit of the prefix */
		f->dst.a[(y >> 4) % 16] ^= (uint8_t)(1u << (y % 8));
	r->src = (x >> 5) % 16 == 0 ? NULL : &f->src;
	r->dst = (x >> 9) % 16 == 0 ? NULL : &f->dst;
	r->sport = (uint16_t)(v->nnum && (x & 0x2000) ?
	    v->num[rnd(s) % v->nnum] : rnd(s));
	r->dport = (uint16_t)(v->nnum && !(x & 0x4000) ?
	    v->num[rnd(s) % v->nnum] : rnd(s) % 1024);
	switch (y % 5) {
	case 0:	r->proto = 6; break;
	case 1:	r->proto = 17; break;
	case 2:	r->proto = 1; break;
	case 3:	r->proto = 58; break;
	default: r->proto = (uint8_t)(v->nnum ? v->num[rnd(s) % v->nnum] :
		    rnd(s));
	}
	r->tcp_flags = (uint8_t)rnd(s);
	r->traffic = (uint8_t)((y >> 3) % 4);
	r->outbound = (y >> 5) & 1;
	r->inbound = !r->outbound && ((y >> 6) & 1);
	r->rate = (y >> 7) % 3 == 0 ? 1 : (y >> 7) % 3 == 1 ? 1000 :
	    rnd(s) % 100000 + 2;
	r->raw_packets = rnd(s) % (y & 0x1000 ? 2000 : 4);
	r->packets = r->raw_packets * r->rate;
	r->bytes = (y & 0x2000) ? UINT64_MAX - rnd(s) : r->packets *
	    (rnd(s) % 1500 + 40);
	r->asn = v->nnum && (y & 0x4000) ? v->num[rnd(s) % v->nnum] :
	    (y & 0x8000) ? 0 : 15169;
	if (v->nword && (y & 0x10000)) {
		const char *w = v->word[rnd(s) % v->nword];

		snprintf(f->country, sizeof(f->country), "%.2s", w);
		snprintf(f->app, sizeof(f->app), "%s", w);
		if (y & 0x20000)		/* the other case */
			f->app[0] ^= (f->app[0] | 32) >= 'a' &&
			    (f->app[0] | 32) <= 'z' ? 32 : 0;
	} else {
		snprintf(f->country, sizeof(f->country), "%s",
		    y & 0x20000 ? "US" : "");
		snprintf(f->app, sizeof(f->app), "%s", y & 0x40000 ?
		    "IRC" : "");
	}
	r->country = (y >> 19) % 8 == 0 ? NULL : f->country;
	r->app = (y >> 22) % 8 == 0 ? NULL : f->app;
	r->src_groups = (y & 0x2000000) ? rnd(s) & 7 : 0;
	r->dst_groups = (y & 0x4000000) ? rnd(s) & 7 : 0;
	r->ts_ms = ts;
}

/* ---- what a loaded ruleset must be ------------------------------------ */

static int
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= RULE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    (i > 0 && strchr("-_.", s[i]))))
			return 0;
	return 1;
}

static void
check_info(const struct ruleset *rs, size_t i)
{
	const struct rule_info *ri = rule_get(rs, i);
	size_t j;

	FZ_CHECK(ri != NULL, "rule %zu of %zu missing", i, rule_count(rs));
	FZ_CHECK(valid_name(ri->name), "rule %zu: bad name '%s'", i,
	    ri->name);
	for (j = 0; j < i; j++)
		FZ_CHECK(strcmp(rule_get(rs, j)->name, ri->name) != 0,
		    "rule %s defined twice", ri->name);
	FZ_CHECK(ri->file != NULL && strcmp(ri->file, NAME) == 0,
	    "rule %s: file '%s'", ri->name, ri->file ? ri->file : "(null)");
	FZ_CHECK(ri->line >= 1, "rule %s: line %d", ri->name, ri->line);
	FZ_CHECK(ri->severity >= RULE_SEV_LOW &&
	    ri->severity <= RULE_SEV_CRITICAL, "rule %s: severity %d",
	    ri->name, (int)ri->severity);
	FZ_CHECK(ri->summary == NULL || strlen(ri->summary) <
	    RULE_SUMMARY_MAX, "rule %s: summary too long", ri->name);
	FZ_CHECK(ri->whitelist == 0 || ri->whitelist == 1, "whitelist %d",
	    ri->whitelist);
	FZ_CHECK(ri->learn == 0 || ri->learn == 1, "learn %d", ri->learn);
	FZ_CHECK((ri->suppress_key & ~0x1fu) == 0, "suppress key %#x",
	    ri->suppress_key);
	FZ_CHECK((ri->suppress_key == 0) == (ri->suppress_secs == 0),
	    "rule %s: suppress key %#x for %u s", ri->name, ri->suppress_key,
	    ri->suppress_secs);
	FZ_CHECK(ri->suppress_secs <= 365u * 86400, "suppress %u s",
	    ri->suppress_secs);
	FZ_CHECK(ri->agg <= RULE_AGG_DISTINCT_DPORT, "agg %d", (int)ri->agg);
	if (ri->agg == RULE_AGG_NONE) {
		FZ_CHECK(ri->min_samples == 0 && ri->window_secs == 0 &&
		    ri->per_key == 0 && ri->threshold == 0, "rule %s: "
		    "threshold fields without a threshold", ri->name);
		return;
	}
	FZ_CHECK(ri->window_secs >= 1 && ri->window_secs <= 30u * 86400,
	    "rule %s: window %u s", ri->name, ri->window_secs);
	FZ_CHECK(ri->per_key != 0 && (ri->per_key & ~0x1fu) == 0,
	    "rule %s: per key %#x", ri->name, ri->per_key);
	FZ_CHECK(ri->threshold <= UINT64_MAX / 2, "threshold");
	FZ_CHECK(ri->min_samples <= 1000000000u, "min_samples %u",
	    ri->min_samples);
	if (ri->agg == RULE_AGG_DISTINCT_DST ||
	    ri->agg == RULE_AGG_DISTINCT_DPORT)
		FZ_CHECK(ri->threshold < RULE_DISTINCT_MAX, "rule %s: distinct "
		    "threshold %llu", ri->name,
		    (unsigned long long)ri->threshold);
}

static int
is_set_op(unsigned op)
{
	return op == OP_ADDRSET || op == OP_PORTSET || op == OP_PROTOSET ||
	    op == OP_ASSET || op == OP_CCSET || op == OP_APPSET;
}

/* Every jump forwards or to the end: evaluation always ends. */
static void
check_prog(const struct ruleset *rs, size_t i)
{
	const struct rule *r = &rs->rule[i];
	size_t k;

	FZ_CHECK(r->nprog >= 1 && r->nprog <= RULE_MAX_TESTS, "rule %s: %zu "
	    "tests", r->info.name, r->nprog);
	for (k = 0; k < r->nprog; k++) {
		const struct rule_ins *in = &r->prog[k];
		int32_t j[2] = { in->jt, in->jf };
		int n;

		FZ_CHECK(in->op <= OP_APPSET, "rule %s test %zu: op %u",
		    r->info.name, k, in->op);
		FZ_CHECK(in->side >= 1 && in->side <= SIDE_ANY, "side %u",
		    in->side);
		FZ_CHECK(in->cmp <= CMP_GE, "cmp %u", in->cmp);
		FZ_CHECK(!is_set_op(in->op) || in->u.set != NULL, "rule %s "
		    "test %zu: no set", r->info.name, k);
		for (n = 0; n < 2; n++)
			FZ_CHECK(j[n] == RULE_ACCEPT || j[n] == RULE_REJECT ||
			    (j[n] > (int32_t)k && (size_t)j[n] < r->nprog),
			    "rule %s test %zu jumps to %d of %zu",
			    r->info.name, k, (int)j[n], r->nprog);
	}
}

/* The same text loads to the same rules. */
static void
check_again(const struct ruleset *rs, const char *text,
    const struct frec *recs, size_t nrecs)
{
	char err[RULE_ERR_MAX];
	struct ruleset *rs2 = rule_load_string(NAME, text, groups, NGROUPS,
	    err, sizeof(err));
	size_t i, k, n;

	FZ_CHECK(rs2 != NULL, "second load failed: %s", err);
	FZ_CHECK(rule_count(rs2) == rule_count(rs), "%zu rules, then %zu",
	    rule_count(rs), rule_count(rs2));
	n = rule_count(rs) < MAX_RULES_RUN ? rule_count(rs) : MAX_RULES_RUN;
	for (i = 0; i < rule_count(rs); i++) {
		const struct rule_info *a = rule_get(rs, i), *b =
		    rule_get(rs2, i);

		FZ_CHECK(strcmp(a->name, b->name) == 0 &&
		    a->line == b->line && a->severity == b->severity &&
		    (a->summary == NULL) == (b->summary == NULL) &&
		    (a->summary == NULL || strcmp(a->summary, b->summary) ==
		    0) && a->whitelist == b->whitelist &&
		    a->learn == b->learn && a->suppress_key == b->suppress_key
		    && a->suppress_secs == b->suppress_secs &&
		    a->agg == b->agg && a->threshold == b->threshold &&
		    a->window_secs == b->window_secs &&
		    a->per_key == b->per_key &&
		    a->min_samples == b->min_samples,
		    "rule %zu (%s) differs in the second load", i, a->name);
		FZ_CHECK(rs->rule[i].nprog == rs2->rule[i].nprog, "rule %s: "
		    "%zu tests, then %zu", a->name, rs->rule[i].nprog,
		    rs2->rule[i].nprog);
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < nrecs; k++)
			FZ_CHECK(rule_match(rs, i, &recs[k].r) ==
			    rule_match(rs2, i, &recs[k].r), "rule %zu answers "
			    "record %zu differently in the second load", i, k);
	rule_free(rs2);
}

static void
check_hit(const struct ruleset *rs, size_t i, const struct rule_hit *h,
    const struct rule_rec *r)
{
	const struct rule_info *ri = rule_get(rs, i);

	FZ_CHECK(h->rule == i, "hit of rule %zu names rule %zu", i, h->rule);
	FZ_CHECK(h->first_ms <= h->last_ms, "rule %s: first %llu > last "
	    "%llu", ri->name, (unsigned long long)h->first_ms,
	    (unsigned long long)h->last_ms);
	FZ_CHECK(h->flows >= 1, "rule %s: a hit of no flow", ri->name);
	if (ri->agg == RULE_AGG_NONE) {
		FZ_CHECK(h->value == 1 && h->flows == 1 &&
		    h->bytes == r->bytes && h->packets == r->packets &&
		    h->first_ms == r->ts_ms, "rule %s: hit is not the record",
		    ri->name);
		return;
	}
	FZ_CHECK(h->value > ri->threshold, "rule %s: fired at %llu, "
	    "threshold %llu", ri->name, (unsigned long long)h->value,
	    (unsigned long long)ri->threshold);
	if (ri->agg == RULE_AGG_COUNT)
		FZ_CHECK(h->value == h->flows, "count %llu of %llu flows",
		    (unsigned long long)h->value,
		    (unsigned long long)h->flows);
	if (ri->agg == RULE_AGG_SUM_BYTES)
		FZ_CHECK(h->value == h->bytes, "sum bytes %llu of %llu",
		    (unsigned long long)h->value,
		    (unsigned long long)h->bytes);
	if (ri->agg == RULE_AGG_SUM_PACKETS)
		FZ_CHECK(h->value == h->packets, "sum packets %llu of %llu",
		    (unsigned long long)h->value,
		    (unsigned long long)h->packets);
	if (ri->agg == RULE_AGG_DISTINCT_DST ||
	    ri->agg == RULE_AGG_DISTINCT_DPORT)
		FZ_CHECK(h->value <= h->flows, "%llu distinct of %llu flows",
		    (unsigned long long)h->value,
		    (unsigned long long)h->flows);
}

static void
run(const struct ruleset *rs, struct frec *recs, size_t nrecs,
    uint32_t seed)
{
	struct rule_state *st = rule_state_new(rs, MAX_KEYS);
	struct rule_state_stats ss;
	struct rule_hit h;
	uint64_t now = 0, maxts = 0;
	size_t i, k, n, round;
	int m;

	FZ_CHECK(st != NULL, "rule_state_new");
	n = rule_count(rs) < MAX_RULES_RUN ? rule_count(rs) : MAX_RULES_RUN;
	for (round = 0; round < 3; round++)
		for (k = 0; k < nrecs; k++) {
			struct rule_rec *r = &recs[k].r;

			/* Mostly forwards, sometimes back. */
			now += rnd(&seed) % 4 == 0 ? 0 : rnd(&seed) % 20000;
			r->ts_ms = rnd(&seed) % 16 == 0 && now > 5000 ?
			    now - 5000 : now;
			if (r->ts_ms > maxts)
				maxts = r->ts_ms;
			for (i = 0; i < n; i++) {
				m = rule_match(rs, i, r);
				FZ_CHECK(m == 0 || m == 1, "rule_match %d", m);
				FZ_CHECK(rule_match(rs, i, r) == m,
				    "rule_match changed its mind");
				if (!m)
					continue;
				memset(&h, 0xa5, sizeof(h));
				if (rule_feed(st, i, r, &h))
					check_hit(rs, i, &h, r);
			}
			rule_state_stats(st, &ss);
			FZ_CHECK(ss.keys <= MAX_KEYS, "%llu keys of %d",
			    (unsigned long long)ss.keys, MAX_KEYS);
			if (rnd(&seed) % 8 == 0)
				rule_state_expire(st, now);
		}
	rule_state_expire(st, maxts + 30ull * 86400 * 1000);
	rule_state_stats(st, &ss);
	FZ_CHECK(ss.keys == 0, "%llu windows outlive every window",
	    (unsigned long long)ss.keys);
	rule_state_free(st);
}

/* ---- a drawn expression against its tree ---------------------------- */

enum { X_PRIM, X_NOT, X_AND, X_OR };

#define X_DEPTH		6	/* of a drawn expression's tree */
#define X_MAX		((2 << X_DEPTH) - 1)	/* nodes: a full tree */
#define X_TEXT		8192

struct xnode {
	int	kind;
	int	l, r;		/* children; X_PRIM: l is the primitive */
	int	arg;
};

struct xtree {
	struct xnode	n[X_MAX];
	int		nn;
	char		text[X_TEXT];
	size_t		len;
	uint32_t	seed;
};

/* Primitives whose meaning the oracle knows. */
enum { P_ANY, P_OUT, P_IN, P_EGRESS, P_PROTO, P_DPORT, P_SPORT, P_PORT,
	P_PORTSET, P_FLAGS, P_BYTES, P_CC, P_APP, P_GROUP, P_HOST, NPRIM };

static const char *const cmps[] = { "=", "!=", "<", "<=", ">", ">=" };

static int
xcmp(int op, uint64_t a, uint64_t b)
{
	switch (op) {
	case 0:	return a == b;
	case 1:	return a != b;
	case 2:	return a < b;
	case 3:	return a <= b;
	case 4:	return a > b;
	default: return a >= b;
	}
}

static void
xput(struct xtree *x, const char *s)
{
	size_t n = strlen(s);

	FZ_CHECK(x->len + n < sizeof(x->text), "drawn text too long");
	memcpy(x->text + x->len, s, n + 1);
	x->len += n;
}

static int
xdraw(struct xtree *x, int depth)
{
	int k = x->nn, kind;

	FZ_CHECK(k < X_MAX, "too many nodes");
	x->nn++;
	kind = depth >= X_DEPTH ? X_PRIM : (int)(rnd(&x->seed) % 5);
	if (kind == 4)
		kind = X_PRIM;
	x->n[k].kind = kind;
	if (kind == X_PRIM) {
		x->n[k].l = (int)(rnd(&x->seed) % NPRIM);
		x->n[k].arg = (int)(rnd(&x->seed) & 0xffff);
		return k;
	}
	x->n[k].l = xdraw(x, depth + 1);
	if (kind != X_NOT)
		x->n[k].r = xdraw(x, depth + 1);
	return k;
}

static void
xprim(struct xtree *x, const struct xnode *n)
{
	static const char *const protos[] = { "tcp", "udp", "6", "17", "icmp" };
	char buf[96];
	int a = n->arg;

	switch (n->l) {
	case P_ANY:	xput(x, "any"); return;
	case P_OUT:	xput(x, "outbound"); return;
	case P_IN:	xput(x, "inbound"); return;
	case P_EGRESS:	xput(x, "egress"); return;
	case P_PROTO:
		snprintf(buf, sizeof(buf), "proto %s", protos[a % 5]);
		break;
	case P_DPORT:
	case P_SPORT:
	case P_PORT:
		snprintf(buf, sizeof(buf), "%sport %s %u", n->l == P_DPORT ?
		    "dst " : n->l == P_SPORT ? "src " : "", cmps[a % 6],
		    (unsigned)(a >> 3) % 8);
		break;
	case P_PORTSET:
		snprintf(buf, sizeof(buf), "dst port in [%u %u-%u]",
		    (unsigned)(a % 8), (unsigned)(a >> 3) % 8,
		    (unsigned)(a >> 3) % 8 + (unsigned)(a >> 6) % 3);
		break;
	case P_FLAGS:
		xput(x, a & 1 ? "flags S" : "flags SA");
		return;
	case P_BYTES:
		snprintf(buf, sizeof(buf), "bytes %s %u", cmps[a % 6],
		    (unsigned)(a >> 3) % 4 * 500);
		break;
	case P_CC:
		xput(x, a & 1 ? "country us" : "country in [DE fr]");
		return;
	case P_APP:
		xput(x, a & 1 ? "app IRC" : "app in [tor \"Mining\"]");
		return;
	case P_GROUP:
		xput(x, a & 1 ? "src in @web" : "dst in [@db 203.0.113.0/24]");
		return;
	default:
		xput(x, a & 1 ? "src host 192.0.2.10" : "net 198.51.100.0/25");
		return;
	}
	xput(x, buf);
}

/* The text of node k under a parent of precedence prec (0 or, 1 and, 2). */
static void
xtext(struct xtree *x, int k, int prec)
{
	const struct xnode *n = &x->n[k];
	int mine = n->kind == X_OR ? 0 : n->kind == X_AND ? 1 : 2;
	int paren = mine < prec || (rnd(&x->seed) % 8 == 0);
	int sym = rnd(&x->seed) % 2;

	if (paren)
		xput(x, "(");
	switch (n->kind) {
	case X_PRIM:
		xprim(x, n);
		break;
	case X_NOT:
		xput(x, sym ? "!" : "not ");
		xtext(x, n->l, 2);
		break;
	default:
		/* The right operand of the same operator is parenthesised. */
		xtext(x, n->l, mine);
		if (rnd(&x->seed) % 4 == 0)
			xput(x, " \\\n    ");
		xput(x, n->kind == X_AND ? (sym ? " && " : " and ") :
		    (sym ? " || " : " or "));
		xtext(x, n->r, mine + 1);
		break;
	}
	if (paren)
		xput(x, ")");
}

static int
xport(int op, uint16_t port, int a)
{
	return xcmp(op, port, (unsigned)(a >> 3) % 8);
}

static int
xprim_eval(const struct xnode *n, const struct rule_rec *r)
{
	static const uint8_t protonum[] = { 6, 17, 6, 17, 1 };
	int a = n->arg;
	unsigned lo, hi;

	switch (n->l) {
	case P_ANY:	return 1;
	case P_OUT:	return r->outbound != 0;
	case P_IN:	return r->inbound != 0;
	case P_EGRESS:	return r->traffic == RULE_OUT;
	case P_PROTO:	return r->proto == protonum[a % 5];
	case P_DPORT:	return xport(a % 6, r->dport, a);
	case P_SPORT:	return xport(a % 6, r->sport, a);
	case P_PORT:
		return xport(a % 6, r->dport, a) || xport(a % 6, r->sport, a);
	case P_PORTSET:
		lo = (unsigned)(a >> 3) % 8;
		hi = lo + (unsigned)(a >> 6) % 3;
		return r->dport == a % 8 || (r->dport >= lo && r->dport <= hi);
	case P_FLAGS:
		return (r->tcp_flags & (a & 1 ? 0x02 : 0x12)) ==
		    (a & 1 ? 0x02 : 0x12);
	case P_BYTES:
		return xcmp(a % 6, r->bytes, (unsigned)(a >> 3) % 4 * 500);
	case P_CC:
		if (r->country == NULL || strlen(r->country) != 2)
			return 0;
		return a & 1 ? strcasecmp(r->country, "us") == 0 :
		    strcasecmp(r->country, "de") == 0 ||
		    strcasecmp(r->country, "fr") == 0;
	case P_APP:
		if (r->app == NULL)
			return 0;
		return a & 1 ? strcasecmp(r->app, "irc") == 0 :
		    strcasecmp(r->app, "tor") == 0 ||
		    strcasecmp(r->app, "mining") == 0;
	case P_GROUP:
		if (a & 1)
			return (r->src_groups & 2) != 0;
		return (r->dst_groups & 4) != 0 || (r->dst != NULL &&
		    r->dst->af == 4 && r->dst->a[0] == 203 &&
		    r->dst->a[1] == 0 && r->dst->a[2] == 113);
	default:
		if (a & 1)
			return r->src != NULL && r->src->af == 4 &&
			    memcmp(r->src->a, "\xc0\x00\x02\x0a", 4) == 0;
		return (r->src != NULL && r->src->af == 4 &&
		    memcmp(r->src->a, "\xc6\x33\x64", 3) == 0 &&
		    r->src->a[3] < 128) || (r->dst != NULL &&
		    r->dst->af == 4 && memcmp(r->dst->a, "\xc6\x33\x64", 3) ==
		    0 && r->dst->a[3] < 128);
	}
}

static int
xeval(const struct xtree *x, int k, const struct rule_rec *r)
{
	const struct xnode *n = &x->n[k];

	switch (n->kind) {
	case X_PRIM:	return xprim_eval(n, r);
	case X_NOT:	return !xeval(x, n->l, r);
	case X_AND:	return xeval(x, n->l, r) && xeval(x, n->r, r);
	default:	return xeval(x, n->l, r) || xeval(x, n->r, r);
	}
}

/* Records for the drawn rule: small ports, the addresses it names. */
static void
xrec(struct frec *f, uint32_t *s)
{
	static const char *const addrs[] = { "192.0.2.10", "192.0.2.11",
	    "198.51.100.5", "198.51.100.200", "203.0.113.7", "2001:db8::1" };
	static const char *const ccs[] = { "US", "de", "Fr", "", "USA" };
	static const char *const apps[] = { "IRC", "tor", "MINING", "", "TLS" };
	uint32_t y = rnd(s);
	struct rule_rec *r = &f->r;

	memset(f, 0, sizeof(*f));
	flow_addr_parse(&f->src, addrs[rnd(s) % 6]);
	flow_addr_parse(&f->dst, addrs[rnd(s) % 6]);
	r->src = y % 11 == 0 ? NULL : &f->src;
	r->dst = y % 13 == 0 ? NULL : &f->dst;
	r->sport = (uint16_t)(rnd(s) % 10);
	r->dport = (uint16_t)(rnd(s) % 10);
	r->proto = (uint8_t)(y & 0x100 ? 6 : y & 0x200 ? 17 : 1);
	r->tcp_flags = (uint8_t)rnd(s);
	r->traffic = (uint8_t)(y >> 10 & 3);
	r->outbound = y >> 12 & 1;
	r->inbound = y >> 13 & 1;
	r->rate = 1;
	r->bytes = rnd(s) % 2000;
	r->packets = r->raw_packets = 1;
	snprintf(f->country, sizeof(f->country), "%s", ccs[rnd(s) % 5]);
	snprintf(f->app, sizeof(f->app), "%s", apps[rnd(s) % 5]);
	r->country = y % 17 == 0 ? NULL : f->country;
	r->app = y % 19 == 0 ? NULL : f->app;
	r->src_groups = rnd(s) & 7;
	r->dst_groups = rnd(s) & 7;
}

static void
check_drawn(uint32_t seed)
{
	struct xtree *x = calloc(1, sizeof(*x));
	char err[RULE_ERR_MAX];
	struct ruleset *rs;
	struct frec f;
	int root, i, want;

	FZ_CHECK(x != NULL, "calloc");
	x->seed = seed | 1;
	root = xdraw(x, 0);
	xput(x, "list db = 1\nrule drawn {\n\tmatch ");
	xtext(x, root, 0);
	xput(x, "\n\tseverity low\n}\n");
	rs = rule_load_string("drawn.rules", x->text, groups, NGROUPS, err,
	    sizeof(err));
	FZ_CHECK(rs != NULL, "drawn rule does not load: %s\n%s", err,
	    x->text);
	for (i = 0; i < 64; i++) {
		xrec(&f, &x->seed);
		want = xeval(x, root, &f.r);
		FZ_CHECK(rule_match(rs, 0, &f.r) == want, "drawn rule answers "
		    "%d, its tree %d, record %d:\n%s", !want, want, i,
		    x->text);
	}
	rule_free(rs);
	free(x);
}

/* "NAME:LINE:COL: reason" with LINE inside the text, or "NAME: reason". */
static void
check_err(const char *err, const char *text)
{
	const char *p = err + strlen(NAME ":");
	unsigned long line, col, nl = 1;
	char *e;

	FZ_CHECK(memchr(err, '\0', RULE_ERR_MAX) != NULL,
	    "error message not terminated");
	FZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0,
	    "error message does not name the file: %s", err);
	if (*p == ' ') {
		FZ_CHECK(p[1] != '\0', "empty reason: %s", err);
		return;
	}
	line = strtoul(p, &e, 10);
	FZ_CHECK(e != p && *e == ':', "no line: %s", err);
	p = e + 1;
	col = strtoul(p, &e, 10);
	FZ_CHECK(e != p && e[0] == ':' && e[1] == ' ' && e[2] != '\0',
	    "no column or reason: %s", err);
	for (p = text; *p; p++)
		nl += *p == '\n';
	FZ_CHECK(line >= 1 && line <= nl, "line %lu of %lu: %s", line, nl,
	    err);
	FZ_CHECK(col >= 1, "column %lu: %s", col, err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[RULE_ERR_MAX], *text;
	struct ruleset *rs;
	struct frec *recs;
	struct vals *v;
	uint32_t seed;
	size_t i;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_drawn(flow_fnv(FLOW_FNV_INIT, data, size));
	memset(err, 0x5a, sizeof(err));
	rs = rule_load_string(NAME, text, groups, NGROUPS, err, sizeof(err));
	if (rs == NULL) {
		check_err(err, text);
		free(text);
		return 0;
	}
	FZ_CHECK(rule_count(rs) <= RULE_MAX_RULES, "%zu rules",
	    rule_count(rs));
	FZ_CHECK(rule_get(rs, rule_count(rs)) == NULL, "rule past the end");
	for (i = 0; i < rule_count(rs); i++) {
		check_info(rs, i);
		check_prog(rs, i);
	}
	v = calloc(1, sizeof(*v));
	recs = calloc(NRECS, sizeof(*recs));
	FZ_CHECK(v != NULL && recs != NULL, "calloc");
	collect(text, v);
	seed = flow_fnv(FLOW_FNV_INIT, data, size) | 1;
	for (i = 0; i < NRECS; i++)
		make_rec(&recs[i], v, &seed, 0);
	check_again(rs, text, recs, NRECS);
	run(rs, recs, NRECS, seed);
	FZ_CHECK(rule_match(rs, rule_count(rs), &recs[0].r) == 0,
	    "a rule past the end matched");
	free(recs);
	free(v);
	rule_free(rs);
	free(text);
	return 0;
}
