/*
 * rule_eval.c - rule_match(): a compiled `match` program over a record.
 *
 * DESIGN
 * The program (rule_int.h) is a run of tests, each with a jump for true
 * and one for false, always forwards; evaluation follows the jumps until
 * one says accept or reject, so `a or b` never looks at b once a holds.
 * Tests read the record and their own operand only: no allocation, no
 * state, nothing written, so workers share a ruleset freely.  Countries
 * are compared as two-letter codes packed into an integer, applications
 * as short labels without regard to case.  Sets were built at load for
 * their lookups: ports and protocols of `in` are one bit test each,
 * addresses one binary search per family over sorted disjoint ranges
 * (however many prefixes and whatever their lengths), AS numbers,
 * countries and labels a binary search over sorted values.  A test with
 * no src/dst qualifier holds when either end satisfies it (so `port !=
 * 22` and `not port 22` differ).
 */
#include <string.h>

#include "rule_int.h"

static int
cmp(unsigned op, uint64_t a, uint64_t b)
{
	switch (op) {
	case CMP_EQ:	return a == b;
	case CMP_NE:	return a != b;
	case CMP_LT:	return a < b;
	case CMP_LE:	return a <= b;
	case CMP_GT:	return a > b;
	case CMP_GE:	return a >= b;
	}
	return 0;
}

static int
bit(const uint8_t *bits, unsigned v)
{
	return bits[v >> 3] >> (v & 7) & 1;
}

/*
 * The ranges are disjoint and sorted by start: only the last one that
 * starts at or before the address can hold it.
 */
static int
in_span4(const struct rule_span4 *v, size_t n, const uint8_t *a)
{
	uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | a[3];
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {		/* the first range starting after x */
		mid = lo + (hi - lo) / 2;
		if (v[mid].lo <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && x <= v[lo - 1].hi;
}

static int
in_span6(const struct rule_span6 *v, size_t n, const uint8_t *a)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(v[mid].lo, a, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && memcmp(a, v[lo - 1].hi, 16) <= 0;
}

static int
in_addrs(const struct rule_set *s, const struct flow_addr *a,
    uint64_t groups)
{
	if (groups & s->groups)
		return 1;
	if (a == NULL)
		return 0;
	if (a->af == 4)
		return in_span4(s->span4, s->n4, a->a);
	if (a->af == 6)
		return in_span6(s->span6, s->n6, a->a);
	return 0;
}

static int
in_nums(const struct rule_set *s, uint32_t v)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->num[mid] == v)
			return 1;
		if (s->num[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
app_is(const char *want, const char *app)
{
	return app && *app && rule_app_cmp(want, app) == 0;
}

static int
in_apps(const struct rule_set *s, const char *app)
{
	size_t lo = 0, hi = s->n, mid;
	int d;

	if (app == NULL || *app == '\0')
		return 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((d = rule_app_cmp(app, s->app[mid])) == 0)
			return 1;
		if (d > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static uint32_t
rec_cc(const char *c)
{
	return c ? rule_cc(c, strnlen(c, 3)) : 0;
}

/* Tests of addresses and ports, which src/dst qualify. */
static int
test_ends(const struct rule_ins *in, const struct rule_rec *r, int side)
{
	const struct flow_addr *a = side == SIDE_SRC ? r->src : r->dst;
	uint16_t port = side == SIDE_SRC ? r->sport : r->dport;

	switch (in->op) {
	case OP_NET:
		return rule_cidr_match(&in->u.cidr, a);
	case OP_ADDRSET:
		return in_addrs(in->u.set, a, side == SIDE_SRC ?
		    r->src_groups : r->dst_groups);
	case OP_PORT:
		return cmp(in->cmp, port, in->u.num);
	case OP_PORTSET:
		return bit(in->u.set->bits, port);
	}
	return 0;
}

static int
test(const struct rule_ins *in, const struct rule_rec *r)
{
	uint32_t cc;

	switch (in->op) {
	case OP_TRUE:		return 1;
	case OP_INBOUND:	return r->inbound != 0;
	case OP_OUTBOUND:	return r->outbound != 0;
	case OP_TRAFFIC:	return r->traffic == in->u.num;
	case OP_PROTO:		return r->proto == in->u.num;
	case OP_PROTOSET:	return bit(in->u.set->bits, r->proto);
	case OP_FLAGS:
		return (r->tcp_flags & in->u.num) == in->u.num;
	case OP_BYTES:		return cmp(in->cmp, r->bytes, in->u.num);
	case OP_PACKETS:	return cmp(in->cmp, r->packets, in->u.num);
	case OP_AS:		return r->asn == in->u.num;
	case OP_ASSET:		return in_nums(in->u.set, r->asn);
	case OP_COUNTRY:	return rec_cc(r->country) == in->u.num;
	case OP_CCSET:
		return (cc = rec_cc(r->country)) != 0 &&
		    in_nums(in->u.set, cc);
	case OP_APP:		return app_is(in->u.app, r->app);
	case OP_APPSET:		return in_apps(in->u.set, r->app);
	}
	return ((in->side & SIDE_SRC) && test_ends(in, r, SIDE_SRC)) ||
	    ((in->side & SIDE_DST) && test_ends(in, r, SIDE_DST));
}

int
rule_match(const struct ruleset *rs, size_t i, const struct rule_rec *r)
{
	const struct rule *ru;
	int32_t pc = 0;

	if (rs == NULL || i >= rs->nrules)
		return 0;
	ru = &rs->rule[i];
	while (pc >= 0 && (size_t)pc < ru->nprog) {
		const struct rule_ins *in = &ru->prog[pc];

		pc = test(in, r) ? in->jt : in->jf;
	}
	return pc == RULE_ACCEPT;
}

/* Can a record of class c reach accept from each test (backwards: the
 * jumps only go forwards)? */
static int
reaches(const struct rule_ins *prog, size_t n, int c)
{
	uint8_t ok[RULE_MAX_TESTS];
	size_t i;

	if (n == 0 || n > RULE_MAX_TESTS)
		return n != 0;
	for (i = n; i-- > 0;) {
		const struct rule_ins *in = &prog[i];
		int t, f;

		t = in->jt == RULE_ACCEPT || (in->jt >= 0 &&
		    (size_t)in->jt < n && ok[in->jt]);
		f = in->jf == RULE_ACCEPT || (in->jf >= 0 &&
		    (size_t)in->jf < n && ok[in->jf]);
		if (in->op == OP_OUTBOUND)
			ok[i] = (uint8_t)(c == RULE_CLASS_OUT ? t : f);
		else if (in->op == OP_INBOUND)
			ok[i] = (uint8_t)(c == RULE_CLASS_IN ? t : f);
		else
			ok[i] = (uint8_t)(t || f);
	}
	return ok[0];
}

uint8_t
rule_classes(const struct rule_ins *prog, size_t n)
{
	uint8_t m = 0;
	int c;

	for (c = 0; c < RULE_CLASSES; c++)
		if (reaches(prog, n, c))
			m |= (uint8_t)(1u << c);
	return m;
}

enum rule_class
rule_class_of(const struct rule_rec *r)
{
	return r->outbound ? RULE_CLASS_OUT : r->inbound ? RULE_CLASS_IN :
	    RULE_CLASS_OTHER;
}

const uint32_t *
rule_candidates(const struct ruleset *rs, enum rule_class c, size_t *n)
{
	if (rs == NULL || c >= RULE_CLASSES) {
		*n = 0;
		return NULL;
	}
	*n = rs->ncand[c];
	return rs->cand[c];
}
