/*
 * rule_expr.c - a `match` expression into a flat program (rule_int.h).
 *
 * DESIGN
 * Recursive descent over the tokens of the clause, nfdump's precedence:
 * `not` binds tightest, then `and`, then `or`; `!`, `&&` and `||` are the
 * same words.  Each primitive becomes one test, appended to the program
 * in the order it is written, and the and/or/not above the tests are kept
 * as a small tree of nodes.  Because every test is emitted where it
 * stands, the first test of any subtree is known once it is parsed, and
 * linking the tree only fills in each test's two jumps:
 *
 *   a and b   a: true -> first(b), false -> F;   b: T, F
 *   a or b    a: true -> T, false -> first(b);   b: T, F
 *   not a     a with T and F swapped
 *
 * with T and F the targets of the whole (ACCEPT and REJECT at the top).
 * All jumps go forwards, so evaluation always ends.  The primitives are
 * one table: its name, whether src/dst may qualify it, which comparisons
 * it takes, what its value is read as, and the test it becomes with a
 * single value or with `in`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_int.h"

enum { N_LEAF, N_AND, N_OR, N_NOT };

struct enode {
	int	kind;
	int	l, r;		/* children; a leaf: its test */
	int	first;		/* the first test of the subtree */
};

#define MAX_NODES	(4 * RULE_MAX_TESTS)

struct ep {
	struct rule_cur	 c;
	struct enode	*n;
	int		 nn;
	struct rule_ins	*prog;
	int		 nprog;
	int		 depth;
};

struct prim;
typedef int prim_fn(struct ep *, const struct prim *, struct rule_ins *);

static prim_fn p_bare, p_value, p_in, p_flags;

static const struct prim {
	const char	*name;
	int		 sides;		/* src/dst may qualify it */
	int		 cmps;		/* takes < <= > >= != */
	prim_fn		*parse;
	enum rule_op	 op, op_set;	/* op_set 0: no `in` */
	enum rule_kind	 kind;
	uint64_t	 arg;
} prims[] = {
	{ "any",	0, 0, p_bare,  OP_TRUE, 0, 0, 0 },
	{ "inbound",	0, 0, p_bare,  OP_INBOUND, 0, 0, 0 },
	{ "outbound",	0, 0, p_bare,  OP_OUTBOUND, 0, 0, 0 },
	{ "internal",	0, 0, p_bare,  OP_TRAFFIC, 0, 0, RULE_INTERNAL },
	{ "transit",	0, 0, p_bare,  OP_TRAFFIC, 0, 0, RULE_TRANSIT },
	{ "egress",	0, 0, p_bare,  OP_TRAFFIC, 0, 0, RULE_OUT },
	{ "ingress",	0, 0, p_bare,  OP_TRAFFIC, 0, 0, RULE_IN },
	{ "host",	1, 0, p_value, OP_NET, 0, K_HOST, 0 },
	{ "net",	1, 0, p_value, OP_NET, 0, K_NET, 0 },
	{ "in",		1, 0, p_in,    OP_ADDRSET, 0, K_NET, 0 },
	{ "port",	1, 1, p_value, OP_PORT, OP_PORTSET, K_PORT, 0 },
	{ "proto",	0, 0, p_value, OP_PROTO, OP_PROTOSET, K_PROTO, 0 },
	{ "flags",	0, 0, p_flags, OP_FLAGS, 0, 0, 0 },
	{ "bytes",	0, 1, p_value, OP_BYTES, 0, K_COUNT, 0 },
	{ "packets",	0, 1, p_value, OP_PACKETS, 0, K_COUNT, 0 },
	{ "as",		0, 0, p_value, OP_AS, OP_ASSET, K_AS, 0 },
	{ "country",	0, 0, p_value, OP_COUNTRY, OP_CCSET, K_CC, 0 },
	{ "app",	0, 0, p_value, OP_APP, OP_APPSET, K_APP, 0 },
	{ NULL,		0, 0, NULL,    0, 0, 0, 0 }
};

static int expr_or(struct ep *e);

static int
eerr(struct ep *e, const struct rule_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
eerr(struct ep *e, const struct rule_tok *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rule_verr(e->c.ld, e->c.f->name, t->line, t->col, fmt, ap);
	va_end(ap);
	return -1;
}

static int
node(struct ep *e, const struct rule_tok *at, int kind, int l, int r)
{
	struct enode *x;

	if (e->nn == MAX_NODES)
		return eerr(e, at, "expression too long");
	x = &e->n[e->nn];
	x->kind = kind;
	x->l = l;
	x->r = r;
	x->first = kind == N_LEAF ? l : e->n[l].first;
	return e->nn++;
}

static int
is_word_or(const struct rule_tok *t, enum rule_tokt tt, const char *w)
{
	return t->type == tt || rule_tok_is(t, w);
}

static int
p_bare(struct ep *e, const struct prim *p, struct rule_ins *in)
{
	(void)e;
	in->u.num = p->arg;
	return 0;
}

static int
p_in(struct ep *e, const struct prim *p, struct rule_ins *in)
{
	return (in->u.set = rule_set_parse(&e->c, p->kind)) ? 0 : -1;
}

static int
p_flags(struct ep *e, const struct prim *p, struct rule_ins *in)
{
	static const char letters[] = "FSRPAUEC";
	const struct rule_tok *t = rule_cur_next(&e->c);
	const char *l;
	char buf[64];
	size_t i;

	(void)p;
	if (t->type != T_WORD)
		return eerr(e, t, "flags: letters of F S R P A U E C expected, "
		    "got %s", rule_tok_str(t, buf, sizeof(buf)));
	for (i = 0; i < t->len; i++) {
		if ((l = memchr(letters, t->s[i] & ~0x20, 8)) == NULL ||
		    t->s[i] == '\0')
			return eerr(e, t, "flags: '%c' is not a TCP flag (F S "
			    "R P A U E C)", t->s[i]);
		in->u.num |= 1u << (l - letters);
	}
	return 0;
}

static void
fill(struct rule_ins *in, enum rule_kind k, const union rule_val *v)
{
	if (k == K_HOST || k == K_NET)
		in->u.cidr = v->cidr;
	else if (k == K_APP)
		memcpy(in->u.app, v->app, sizeof(in->u.app));
	else if (k == K_PORT)
		in->u.num = v->range.lo;
	else
		in->u.num = v->num;
}

/* [OP] VALUE, or `in` SET when the primitive has a set form. */
static int
p_value(struct ep *e, const struct prim *p, struct rule_ins *in)
{
	const struct rule_tok *t = rule_cur_peek(&e->c);
	union rule_val v;
	char why[160], buf[64];

	if (t->type == T_CMP) {
		rule_cur_next(&e->c);
		if (!p->cmps && t->cmp != CMP_EQ)
			return eerr(e, t, "%s takes no comparison but =",
			    p->name);
		in->cmp = (uint8_t)t->cmp;
	} else if (p->op_set && rule_cur_accept(&e->c, "in")) {
		in->op = (uint8_t)p->op_set;
		return (in->u.set = rule_set_parse(&e->c, p->kind)) ? 0 : -1;
	}
	t = rule_cur_next(&e->c);
	if (t->type == T_NL || t->type == T_EOF)
		return eerr(e, t, "%s: value expected, got %s", p->name,
		    rule_tok_str(t, buf, sizeof(buf)));
	if (rule_value(p->kind, t, 0, &v, why, sizeof(why)) != 0)
		return eerr(e, t, "%s: %s", p->name, why);
	fill(in, p->kind, &v);
	return 0;
}

static int
primitive(struct ep *e)
{
	const struct rule_tok *t = rule_cur_next(&e->c), *q = NULL;
	const struct prim *p;
	struct rule_ins *in;
	int side = SIDE_ANY;
	char buf[64];

	if (rule_tok_is(t, "src") || rule_tok_is(t, "dst")) {
		side = t->s[0] == 's' ? SIDE_SRC : SIDE_DST;
		q = t;
		t = rule_cur_next(&e->c);
	}
	if (t->type != T_WORD)
		return eerr(e, t, "expected a primitive, got %s",
		    rule_tok_str(t, buf, sizeof(buf)));
	for (p = prims; p->name && !rule_tok_is(t, p->name); p++)
		;
	if (p->name == NULL)
		return eerr(e, t, "unknown primitive %s",
		    rule_tok_str(t, buf, sizeof(buf)));
	if (q && !p->sides)
		return eerr(e, q, "%.3s cannot qualify %s (only host, net, in "
		    "and port)", q->s, p->name);
	if (e->nprog == RULE_MAX_TESTS)
		return eerr(e, t, "more than %d tests in one match",
		    RULE_MAX_TESTS);
	in = &e->prog[e->nprog];
	memset(in, 0, sizeof(*in));
	in->op = (uint8_t)p->op;
	in->side = (uint8_t)side;
	if (p->parse(e, p, in) != 0)
		return -1;
	return node(e, t, N_LEAF, e->nprog++, 0);
}

static int
unary(struct ep *e)
{
	const struct rule_tok *t = rule_cur_peek(&e->c);
	char buf[64];
	int x;

	if (!is_word_or(t, T_NOT, "not") && t->type != T_LPAREN)
		return primitive(e);
	if (++e->depth > RULE_MAX_DEPTH)
		return eerr(e, t, "expression nested more than %d deep",
		    RULE_MAX_DEPTH);
	rule_cur_next(&e->c);
	if (t->type == T_LPAREN) {
		const struct rule_tok *close;

		if ((x = expr_or(e)) < 0)
			return -1;
		close = rule_cur_next(&e->c);
		if (close->type != T_RPAREN)
			return eerr(e, close, "expected ')', got %s",
			    rule_tok_str(close, buf, sizeof(buf)));
	} else if ((x = unary(e)) < 0 || (x = node(e, t, N_NOT, x, 0)) < 0)
		return -1;
	e->depth--;
	return x;
}

static int
expr_and(struct ep *e)
{
	const struct rule_tok *t;
	int l, r;

	if ((l = unary(e)) < 0)
		return -1;
	while (is_word_or(t = rule_cur_peek(&e->c), T_AND, "and")) {
		rule_cur_next(&e->c);
		if ((r = unary(e)) < 0 || (l = node(e, t, N_AND, l, r)) < 0)
			return -1;
	}
	return l;
}

static int
expr_or(struct ep *e)
{
	const struct rule_tok *t;
	int l, r;

	if ((l = expr_and(e)) < 0)
		return -1;
	while (is_word_or(t = rule_cur_peek(&e->c), T_OR, "or")) {
		rule_cur_next(&e->c);
		if ((r = expr_and(e)) < 0 || (l = node(e, t, N_OR, l, r)) < 0)
			return -1;
	}
	return l;
}

/* Fill in the jumps of subtree x: to t when true, to f when false. */
static void
link_jumps(struct ep *e, int x, int32_t t, int32_t f)
{
	int32_t tmp;

	for (;;) {
		const struct enode *n = &e->n[x];

		switch (n->kind) {
		case N_LEAF:
			e->prog[n->l].jt = t;
			e->prog[n->l].jf = f;
			return;
		case N_AND:
			link_jumps(e, n->r, t, f);
			t = e->n[n->r].first;
			break;
		case N_OR:
			link_jumps(e, n->r, t, f);
			f = e->n[n->r].first;
			break;
		case N_NOT:
			tmp = t;
			t = f;
			f = tmp;
			break;
		}
		x = n->l;
	}
}

static int
parse(struct ep *e, struct rule *r)
{
	const struct rule_tok *t;
	char buf[64];
	int root;

	if ((root = expr_or(e)) < 0)
		return -1;
	t = rule_cur_peek(&e->c);
	if (e->c.pos < e->c.end)
		return eerr(e, t, t->type == T_RPAREN ? "unexpected %s" :
		    "expected and, or or the end of the line, got %s",
		    rule_tok_str(t, buf, sizeof(buf)));
	link_jumps(e, root, RULE_ACCEPT, RULE_REJECT);
	if ((r->prog = malloc((size_t)e->nprog * sizeof(*r->prog))) == NULL)
		return eerr(e, t, "out of memory"); /* errcov: untestable */
	memcpy(r->prog, e->prog, (size_t)e->nprog * sizeof(*r->prog));
	r->nprog = (size_t)e->nprog;
	r->classes = rule_classes(r->prog, r->nprog);
	return 0;
}

int
rule_compile(struct rule_ld *ld, size_t i)
{
	const struct rule_pend *p = &ld->pend[i];
	struct ep e;
	int rc = -1;

	memset(&e, 0, sizeof(e));
	e.c.ld = ld;
	e.c.f = p->f;
	e.c.pos = p->match;
	e.c.end = p->end;
	e.n = calloc(MAX_NODES, sizeof(*e.n));
	e.prog = calloc(RULE_MAX_TESTS, sizeof(*e.prog));
	if (e.n == NULL || e.prog == NULL)
		rule_err(ld, p->f->name, 0, 0,
		    "out of memory"); /* errcov: untestable */
	else
		rc = parse(&e, &ld->rs->rule[i]);
	free(e.n);
	free(e.prog);
	return rc;
}
