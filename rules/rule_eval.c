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
 * as short labels without regard to case; ports and protocols of `in`
 * are one bit test each.  A test with no src/dst qualifier holds when
 * either end satisfies it (so `port != 22` and `not port 22` differ).
 */
#include <string.h>
#include <strings.h>

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

static int
in_addrs(const struct rule_set *s, const struct flow_addr *a,
    uint64_t groups)
{
	size_t i;

	if (groups & s->groups)
		return 1;
	for (i = 0; i < s->n; i++)
		if (rule_cidr_match(&s->cidr[i], a))
			return 1;
	return 0;
}

static int
in_nums(const struct rule_set *s, uint32_t v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->num[i] == v)
			return 1;
	return 0;
}

static int
app_is(const char *want, const char *app)
{
	return app && *app && strncasecmp(want, app, RULE_APP_MAX) == 0;
}

static int
in_apps(const struct rule_set *s, const char *app)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (app_is(s->app[i], app))
			return 1;
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
