/*
 * rule_clause.c - the clauses of a rule block, one line each.
 *
 * DESIGN
 * One table row per clause: its name and the function that reads the
 * rest of its line into the rule's struct rule_info.  A clause may be
 * given once; what a function leaves on the line is an error, so a typo
 * at the end of a clause is never ignored.  `match` is only delimited
 * here (its tokens are compiled in pass 2, when every list is known);
 * checks that need the whole rule (match and severity are required,
 * min_samples needs a threshold) run at the closing brace.  A threshold
 * that counts distinct values of a field it is also keyed per (distinct
 * dst per dst) is refused: it is always 1 and never passes its N.
 *
 *   match      EXPR
 *   threshold  count|sum bytes|sum packets|distinct dst|distinct dport
 *              > N within DURATION per KEYS
 *   min_samples N
 *   severity   low|medium|high|critical
 *   summary    "text with {field}"
 *   suppress   once per KEYS DURATION | none
 *   whitelist  yes|no
 *   learn      yes|no
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_int.h"

#define WINDOW_MAX	(30u * 86400)
#define SUPPRESS_MAX	(365u * 86400)
#define SAMPLES_MAX	1000000000u

typedef int clause_fn(struct rule_cur *, struct rule *, struct rule_pend *,
    const char *);

static clause_fn c_match, c_threshold, c_min_samples, c_severity,
    c_summary, c_suppress, c_whitelist, c_learn;

static const struct clause {
	const char	*name;
	clause_fn	*fn;
} clauses[] = {
	{ "match",	 c_match },
	{ "threshold",	 c_threshold },
	{ "min_samples", c_min_samples },
	{ "severity",	 c_severity },
	{ "summary",	 c_summary },
	{ "suppress",	 c_suppress },
	{ "whitelist",	 c_whitelist },
	{ "learn",	 c_learn },
	{ NULL,		 NULL }
};
#define SEEN(fn)	(1u << (unsigned)(fn))
enum { CL_MATCH, CL_THRESHOLD, CL_MIN_SAMPLES, CL_SEVERITY };

static const char *const fields[] = {
	"src", "dst", "sport", "dport", "proto", "service", "app", "country",
	"asn", "as_org", "group", "host", "bytes", "packets", "flows", "rule",
	"severity", NULL
};

static const struct {
	const char	*name;
	uint32_t	 bit;
} keynames[] = {
	{ "src", RULE_KEY_SRC }, { "dst", RULE_KEY_DST },
	{ "dport", RULE_KEY_DPORT }, { "proto", RULE_KEY_PROTO },
	{ "sport", RULE_KEY_SPORT }, { NULL, 0 }
};

static const struct {
	const char	*w1, *w2;
	enum rule_agg	 agg;
} aggs[] = {
	{ "count", NULL, RULE_AGG_COUNT },
	{ "sum", "bytes", RULE_AGG_SUM_BYTES },
	{ "sum", "packets", RULE_AGG_SUM_PACKETS },
	{ "distinct", "dst", RULE_AGG_DISTINCT_DST },
	{ "distinct", "dport", RULE_AGG_DISTINCT_DPORT },
	{ NULL, NULL, 0 }
};

/* The next token, which must be a word; else "CLAUSE: WHAT expected". */
static const struct rule_tok *
word(struct rule_cur *c, const char *clause, const char *what)
{
	const struct rule_tok *t = rule_cur_next(c);
	char buf[64];

	if (t->type == T_WORD)
		return t;
	rule_terr(c->ld, c->f, t, "%s: %s expected, got %s", clause, what,
	    rule_tok_str(t, buf, sizeof(buf)));
	return NULL;
}

/* A word that must be w. */
static int
keyword(struct rule_cur *c, const char *clause, const char *w)
{
	const struct rule_tok *t = rule_cur_peek(c);
	char buf[64];

	if (rule_cur_accept(c, w))
		return 0;
	return rule_terr(c->ld, c->f, t, "%s: expected %s, got %s", clause, w,
	    rule_tok_str(t, buf, sizeof(buf)));
}

/*
 * KEYS: src,dst,dport,proto,sport in any order, each once.  at, when not
 * NULL, gets the token of each key given, by its index in keynames[].
 */
static int
keys(struct rule_cur *c, const char *clause, uint32_t *mask,
    const struct rule_tok **at)
{
	const struct rule_tok *t;
	size_t i;

	*mask = 0;
	do {
		if ((t = word(c, clause, "src, dst, sport, dport or proto")) ==
		    NULL)
			return -1;
		for (i = 0; keynames[i].name; i++)
			if (rule_tok_is(t, keynames[i].name))
				break;
		if (keynames[i].name == NULL)
			return rule_terr(c->ld, c->f, t, "%s: \"%.*s\" is not "
			    "src, dst, sport, dport or proto", clause,
			    (int)(t->len > 40 ? 40 : t->len), t->s);
		if (*mask & keynames[i].bit)
			return rule_terr(c->ld, c->f, t, "%s: %s given twice",
			    clause, keynames[i].name);
		*mask |= keynames[i].bit;
		if (at != NULL)
			at[i] = t;
	} while (rule_cur_peek(c)->type == T_COMMA && rule_cur_next(c));
	return 0;
}

static int
duration(struct rule_cur *c, const char *clause, uint32_t max,
    uint32_t *secs)
{
	const struct rule_tok *t;

	if ((t = word(c, clause, "a duration")) == NULL)
		return -1;
	if (rule_duration(t, secs) != 0)
		return rule_terr(c->ld, c->f, t, "%s: \"%.*s\" is not a "
		    "duration (90s, 10m, 1h, 7d)", clause,
		    (int)(t->len > 40 ? 40 : t->len), t->s);
	if (*secs == 0 || *secs > max)
		return rule_terr(c->ld, c->f, t, "%s: %.*s is out of range 1s.."
		    "%ud", clause, (int)t->len, t->s, max / 86400);
	return 0;
}

static int
yesno(struct rule_cur *c, const char *clause, int *out)
{
	const struct rule_tok *t;

	if ((t = word(c, clause, "yes or no")) == NULL)
		return -1;
	if (rule_tok_is(t, "yes") || rule_tok_is(t, "no")) {
		*out = t->s[0] == 'y';
		return 0;
	}
	return rule_terr(c->ld, c->f, t, "%s: \"%.*s\" is not yes or no",
	    clause, (int)(t->len > 40 ? 40 : t->len), t->s);
}

static int
c_match(struct rule_cur *c, struct rule *r, struct rule_pend *p,
    const char *clause)
{
	(void)r;
	if (c->pos == c->end)
		return rule_terr(c->ld, c->f, rule_cur_peek(c), "%s: an "
		    "expression expected", clause);
	p->f = c->f;
	p->match = c->pos;
	p->end = c->end;
	c->pos = c->end;
	return 0;
}

static int
agg(struct rule_cur *c, const char *clause, enum rule_agg *out)
{
	const struct rule_tok *t1, *t2 = NULL;
	size_t i;

	if ((t1 = word(c, clause, "count, sum or distinct")) == NULL)
		return -1;
	for (i = 0; aggs[i].w1; i++) {
		if (!rule_tok_is(t1, aggs[i].w1))
			continue;
		if (aggs[i].w2 == NULL) {
			*out = aggs[i].agg;
			return 0;
		}
		if (t2 == NULL && (t2 = word(c, clause, "bytes, packets, dst "
		    "or dport")) == NULL)
			return -1;
		if (rule_tok_is(t2, aggs[i].w2)) {
			*out = aggs[i].agg;
			return 0;
		}
	}
	return rule_terr(c->ld, c->f, t2 ? t2 : t1, "%s: not count, sum "
	    "bytes, sum packets, distinct dst or distinct dport", clause);
}

/*
 * distinct dst per dst (or dport per dport): each window holds one value
 * of what it counts, so the count is always 1 and the rule never passes a
 * threshold of 1 or more (and passes 0 at once, as count would).  The
 * key is the mistake; say so where it is.
 */
static int
distinct_per_itself(struct rule_cur *c, const struct rule_info *ri,
    const char *clause, const struct rule_tok *const *at)
{
	const char *what;
	size_t i;

	if (ri->agg == RULE_AGG_DISTINCT_DST)
		what = "dst";
	else if (ri->agg == RULE_AGG_DISTINCT_DPORT)
		what = "dport";
	else
		return 0;
	for (i = 0; keynames[i].name; i++)
		if (strcmp(keynames[i].name, what) == 0)
			break;
	if (!(ri->per_key & keynames[i].bit))
		return 0;
	return rule_terr(c->ld, c->f, at[i], "%s: distinct %s is always 1 "
	    "when the window is per %s; leave %s out of the keys", clause,
	    what, what, what);
}

static int
c_threshold(struct rule_cur *c, struct rule *r, struct rule_pend *p,
    const char *clause)
{
	struct rule_info *ri = &r->info;
	const struct rule_tok *t;
	const struct rule_tok *at[sizeof(keynames) / sizeof(keynames[0])] = {
		NULL };
	char buf[64];

	(void)p;
	if (agg(c, clause, &ri->agg) != 0)
		return -1;
	t = rule_cur_next(c);
	if (t->type != T_CMP || t->cmp != CMP_GT)
		return rule_terr(c->ld, c->f, t, "%s: expected >, got %s",
		    clause, rule_tok_str(t, buf, sizeof(buf)));
	if ((t = word(c, clause, "a number")) == NULL)
		return -1;
	if (rule_number(t, UINT64_MAX / 2, &ri->threshold) != 0)
		return rule_terr(c->ld, c->f, t, "%s: %s is not a number "
		    "(digits and an optional k, M, G or T)", clause,
		    rule_tok_str(t, buf, sizeof(buf)));
	if ((ri->agg == RULE_AGG_DISTINCT_DST ||
	    ri->agg == RULE_AGG_DISTINCT_DPORT) &&
	    ri->threshold >= RULE_DISTINCT_MAX)
		return rule_terr(c->ld, c->f, t, "%s: distinct counts up to %d",
		    clause, RULE_DISTINCT_MAX - 1);
	if (keyword(c, clause, "within") != 0 ||
	    duration(c, clause, WINDOW_MAX, &ri->window_secs) != 0 ||
	    keyword(c, clause, "per") != 0 ||
	    keys(c, clause, &ri->per_key, at) != 0)
		return -1;
	return distinct_per_itself(c, ri, clause, at);
}

static int
c_min_samples(struct rule_cur *c, struct rule *r, struct rule_pend *p,
    const char *clause)
{
	const struct rule_tok *t;
	uint64_t v;
	char buf[64];

	(void)p;
	if ((t = word(c, clause, "a number")) == NULL)
		return -1;
	if (rule_number(t, SAMPLES_MAX, &v) != 0)
		return rule_terr(c->ld, c->f, t, "%s: %s is not a number 0.."
		    "%u", clause, rule_tok_str(t, buf, sizeof(buf)),
		    SAMPLES_MAX);
	r->info.min_samples = (uint32_t)v;
	return 0;
}

static int
c_severity(struct rule_cur *c, struct rule *r, struct rule_pend *p,
    const char *clause)
{
	const struct rule_tok *t;
	char w[16];

	(void)p;
	if ((t = word(c, clause, "low, medium, high or critical")) == NULL)
		return -1;
	if (rule_tok_copy(t, w, sizeof(w)) != 0 ||
	    rule_sev_parse(w, &r->info.severity) != 0)
		return rule_terr(c->ld, c->f, t, "%s: \"%.*s\" is not low, "
		    "medium, high or critical", clause,
		    (int)(t->len > 40 ? 40 : t->len), t->s);
	return 0;
}

/* Every {name} of the template must be a field. */
static int
check_fields(struct rule_cur *c, const struct rule_tok *t, const char *s)
{
	const char *open, *close;
	size_t i, n;

	while ((open = strchr(s, '{')) != NULL) {
		if ((close = strchr(open, '}')) == NULL)
			return rule_terr(c->ld, c->f, t, "summary: '{' without "
			    "'}'");
		n = (size_t)(close - open - 1);
		for (i = 0; fields[i]; i++)
			if (strlen(fields[i]) == n &&
			    memcmp(fields[i], open + 1, n) == 0)
				break;
		if (fields[i] == NULL)
			return rule_terr(c->ld, c->f, t, "summary: unknown field "
			    "{%.*s} (src dst sport dport proto service app "
			    "country asn as_org group host bytes packets flows "
			    "rule severity)", (int)(n > 40 ? 40 : n), open + 1);
		s = close + 1;
	}
	return 0;
}

static int
c_summary(struct rule_cur *c, struct rule *r, struct rule_pend *p,
    const char *clause)
{
	const struct rule_tok *t = rule_cur_next(c);
	char buf[64], *s;

	(void)p;
	if (t->type != T_STR)
		return rule_terr(c->ld, c->f, t, "%s: a \"quoted text\" "
		    "expected, got %s", clause, rule_tok_str(t, buf,
		    sizeof(buf)));
	if (t->len >= RULE_SUMMARY_MAX)
		return rule_terr(c->ld, c->f, t, "%s: longer than %d bytes",
		    clause, RULE_SUMMARY_MAX - 1);
	if ((s = malloc(t->len + 1)) == NULL)
		return rule_terr(c->ld, c->f, t,
		    "out of memory"); /* errcov: untestable */
	rule_tok_copy(t, s, t->len + 1);
	if (check_fields(c, t, s) != 0) {
		free(s);
		return -1;
	}
	r->info.summary = s;
	return 0;
}

static int
c_suppress(struct rule_cur *c, struct rule *r, struct rule_pend *p,
    const char *clause)
{
	struct rule_info *ri = &r->info;

	(void)p;
	if (rule_cur_accept(c, "none")) {
		ri->suppress_key = 0;
		ri->suppress_secs = 0;
		return 0;
	}
	if (!rule_tok_is(rule_cur_peek(c), "once"))
		return keyword(c, clause, "once or none");
	rule_cur_next(c);
	if (keyword(c, clause, "per") != 0 ||
	    keys(c, clause, &ri->suppress_key, NULL) != 0)
		return -1;
	return duration(c, clause, SUPPRESS_MAX, &ri->suppress_secs);
}

static int
c_whitelist(struct rule_cur *c, struct rule *r, struct rule_pend *p,
    const char *clause)
{
	(void)p;
	return yesno(c, clause, &r->info.whitelist);
}

static int
c_learn(struct rule_cur *c, struct rule *r, struct rule_pend *p,
    const char *clause)
{
	(void)p;
	return yesno(c, clause, &r->info.learn);
}

int
rule_clause(struct rule_cur *c, struct rule *r, struct rule_pend *p,
    unsigned *seen)
{
	const struct rule_tok *t = rule_cur_next(c);
	char buf[64];
	size_t i;

	for (i = 0; clauses[i].name; i++)
		if (rule_tok_is(t, clauses[i].name))
			break;
	if (clauses[i].name == NULL)
		return rule_terr(c->ld, c->f, t, "unknown clause %s (match, "
		    "threshold, min_samples, severity, summary, suppress, "
		    "whitelist, learn)", rule_tok_str(t, buf, sizeof(buf)));
	if (*seen & SEEN(i))
		return rule_terr(c->ld, c->f, t, "rule %s: %s given twice",
		    r->info.name, clauses[i].name);
	*seen |= SEEN(i);
	if (clauses[i].fn(c, r, p, clauses[i].name) != 0)
		return -1;
	return rule_cur_done(c, clauses[i].name);
}

int
rule_clause_end(struct rule_cur *c, struct rule *r,
    const struct rule_pend *p, const struct rule_tok *at, unsigned seen)
{
	(void)p;
	if (!(seen & SEEN(CL_MATCH)))
		return rule_terr(c->ld, c->f, at, "rule %s: match is required",
		    r->info.name);
	if (!(seen & SEEN(CL_SEVERITY)))
		return rule_terr(c->ld, c->f, at, "rule %s: severity is "
		    "required", r->info.name);
	if ((seen & SEEN(CL_MIN_SAMPLES)) && !(seen & SEEN(CL_THRESHOLD)))
		return rule_terr(c->ld, c->f, at, "rule %s: min_samples needs "
		    "a threshold", r->info.name);
	return 0;
}
