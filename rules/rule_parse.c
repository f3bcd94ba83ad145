/*
 * rule_parse.c - pass 1 over a rule file: `list` lines and `rule` blocks.
 *
 * DESIGN
 * A file is lines of tokens (rule_lex.c).  At the top level a line is
 * empty, `list NAME = items` (the items may be put in [ ] and then run
 * over several lines) or the first line of `rule NAME {`, whose clause
 * lines follow, one each, until a line that is `}`.  A clause line is
 * handed to rule_clause.c as a cursor that ends at the line's end, so a
 * clause cannot read past its line and what it leaves is an error.  List
 * and rule names are letters, digits, '-', '_' and '.', unique over all
 * the files of a load (a rule file may use a list of another file: @names
 * are resolved in pass 2, once every file is read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_int.h"

/* The default of a rule without `suppress`. */
#define SUPPRESS_KEY	(RULE_KEY_SRC | RULE_KEY_DST | RULE_KEY_PROTO | \
			 RULE_KEY_DPORT)
#define SUPPRESS_SECS	3600

/* The index of the line's T_NL (or T_EOF) at or after c->pos. */
static size_t
line_end(const struct rule_cur *c)
{
	size_t j = c->pos;

	while (c->f->tok[j].type != T_NL && c->f->tok[j].type != T_EOF)
		j++;
	return j;
}

static int
alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

/* A letter or digit, then letters, digits, '-', '_' and '.'. */
static int
valid_name(const struct rule_tok *t)
{
	size_t i;

	if (t->type != T_WORD || t->len >= RULE_NAME_MAX || !alnum(t->s[0]))
		return 0;
	for (i = 1; i < t->len; i++)
		if (!alnum(t->s[i]) && !strchr("-_.", t->s[i]))
			return 0;
	return 1;
}

/* The name after `list` or `rule`. */
static const struct rule_tok *
name_of(struct rule_cur *c, const char *what)
{
	const struct rule_tok *t = rule_cur_next(c);
	char buf[64];

	if (valid_name(t))
		return t;
	if (t->type == T_WORD)
		rule_terr(c->ld, c->f, t, "%s %s: a name is a letter or digit, "
		    "then letters, digits, '-', '_' and '.' (at most %d)",
		    what, rule_tok_str(t, buf, sizeof(buf)), RULE_NAME_MAX - 1);
	else
		rule_terr(c->ld, c->f, t, "%s: a name expected, got %s", what,
		    rule_tok_str(t, buf, sizeof(buf)));
	return NULL;
}

const struct rule_list *
rule_list_find(const struct rule_ld *ld, const char *name)
{
	size_t i;

	for (i = 0; i < ld->nlists; i++)
		if (strcmp(ld->list[i].name, name) == 0)
			return &ld->list[i];
	return NULL;
}

int
rule_group_find(const struct rule_ld *ld, const char *name)
{
	size_t i;

	for (i = 0; i < ld->ngroups; i++)
		if (ld->groups[i] && strcmp(ld->groups[i], name) == 0)
			return (int)i;
	return -1;
}

/* The items of a list: words and strings up to the line's end or ]. */
static int
list_items(struct rule_cur *c, struct rule_list *l)
{
	const struct rule_tok *open = NULL, *t;
	char buf[64];

	if (rule_cur_peek(c)->type == T_LBRACK)
		open = rule_cur_next(c);
	l->tok = rule_cur_peek(c);
	for (;;) {
		t = rule_cur_peek(c);
		if (t->type == T_WORD || t->type == T_STR) {
			rule_cur_next(c);
			l->n++;
		} else if (t->type == T_AT)
			return rule_terr(c->ld, c->f, t, "list %s: lists do not "
			    "nest; write the items of @%.*s here", l->name,
			    (int)(t->len > 40 ? 40 : t->len), t->s);
		else if (open && t->type == T_RBRACK) {
			rule_cur_next(c);
			return rule_cur_done(c, "list");
		} else if (!open && t->type == T_NL)
			return 0;
		else
			return rule_terr(c->ld, c->f, t, "list %s: %s cannot be "
			    "an item", l->name, rule_tok_str(t, buf,
			    sizeof(buf)));
	}
}

static int
parse_list(struct rule_cur *c)
{
	struct rule_ld *ld = c->ld;
	const struct rule_tok *name, *eq;
	const struct rule_list *old;
	struct rule_list *l;
	char buf[64];

	rule_cur_next(c);
	if ((name = name_of(c, "list")) == NULL)
		return -1;
	eq = rule_cur_next(c);
	if (eq->type != T_CMP || eq->len != 1)
		return rule_terr(ld, c->f, eq, "expected = after list %.*s, got "
		    "%s", (int)name->len, name->s, rule_tok_str(eq, buf,
		    sizeof(buf)));
	if (ld->nlists == RULE_MAX_LISTS)
		return rule_terr(ld, c->f, name, "more than %d lists",
		    RULE_MAX_LISTS);
	if ((l = realloc(ld->list, (ld->nlists + 1) * sizeof(*l))) == NULL)
		return rule_terr(ld, c->f, name,
		    "out of memory"); /* errcov: untestable */
	ld->list = l;
	l = &ld->list[ld->nlists];
	memset(l, 0, sizeof(*l));
	rule_tok_copy(name, l->name, sizeof(l->name));
	if ((old = rule_list_find(ld, l->name)) != NULL)
		return rule_terr(ld, c->f, name, "list %s is already defined "
		    "at %s:%d", l->name, old->f->name, old->at->line);
	l->f = c->f;
	l->at = name;
	if (list_items(c, l) != 0)
		return -1;
	ld->nlists++;
	return 0;
}

/* A new rule with the defaults, in rs->rule[rs->nrules - 1]. */
static struct rule *
new_rule(struct rule_cur *c, const struct rule_tok *kw,
    const struct rule_tok *name)
{
	struct rule_ld *ld = c->ld;
	struct ruleset *rs = ld->rs;
	struct rule *r;
	struct rule_pend *p;
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		if (rule_tok_is(name, rs->rule[i].info.name)) {
			rule_terr(ld, c->f, name, "rule %s is already defined "
			    "at %s:%d", rs->rule[i].info.name,
			    rs->rule[i].info.file, rs->rule[i].info.line);
			return NULL;
		}
	if (rs->nrules == RULE_MAX_RULES) {
		rule_terr(ld, c->f, name, "more than %d rules", RULE_MAX_RULES);
		return NULL;
	}
	if ((r = realloc(rs->rule, (rs->nrules + 1) * sizeof(*r))) == NULL ||
	    (rs->rule = r, p = realloc(ld->pend, (rs->nrules + 1) *
	    sizeof(*p))) == NULL) {
		rule_terr(ld, c->f, name,
		    "out of memory"); /* errcov: untestable */
		return NULL;
	}
	ld->pend = p;
	memset(&p[rs->nrules], 0, sizeof(*p));
	r = &rs->rule[rs->nrules++];
	memset(r, 0, sizeof(*r));
	rule_tok_copy(name, r->info.name, sizeof(r->info.name));
	r->info.file = c->f->name;
	r->info.line = kw->line;
	r->info.whitelist = 1;
	r->info.suppress_key = SUPPRESS_KEY;
	r->info.suppress_secs = SUPPRESS_SECS;
	return r;
}

/* Clause lines up to the closing brace. */
static int
rule_body(struct rule_cur *c, struct rule *r, struct rule_pend *p,
    const struct rule_tok *kw)
{
	const struct rule_tok *t;
	struct rule_cur line;
	unsigned seen = 0;

	for (;;) {
		t = rule_cur_peek(c);
		if (t->type == T_NL) {
			rule_cur_next(c);
			continue;
		}
		if (t->type == T_EOF)
			return rule_terr(c->ld, c->f, kw, "rule %s: '}' is "
			    "missing", r->info.name);
		if (t->type == T_RBRACE) {
			rule_cur_next(c);
			if (rule_cur_done(c, "}") != 0)
				return -1;
			return rule_clause_end(c, r, p, kw, seen);
		}
		line = *c;
		line.end = line_end(c);
		if (rule_clause(&line, r, p, &seen) != 0)
			return -1;
		c->pos = line.end;
	}
}

static int
parse_rule(struct rule_cur *c)
{
	const struct rule_tok *kw = rule_cur_next(c), *name, *t;
	struct rule *r;
	char buf[64];

	if ((name = name_of(c, "rule")) == NULL ||
	    (r = new_rule(c, kw, name)) == NULL)
		return -1;
	t = rule_cur_next(c);
	if (t->type != T_LBRACE)
		return rule_terr(c->ld, c->f, t, "expected { after rule %s, "
		    "got %s", r->info.name, rule_tok_str(t, buf, sizeof(buf)));
	if (rule_cur_done(c, "{") != 0)
		return -1;
	return rule_body(c, r, &c->ld->pend[c->ld->rs->nrules - 1], kw);
}

int
rule_parse_file(struct rule_ld *ld, const struct rule_src *f)
{
	struct rule_cur c;
	const struct rule_tok *t;
	char buf[64];

	memset(&c, 0, sizeof(c));
	c.ld = ld;
	c.f = f;
	c.end = f->ntok - 1;		/* the T_EOF */
	for (;;) {
		t = rule_cur_peek(&c);
		if (t->type == T_EOF)
			return 0;
		if (t->type == T_NL)
			rule_cur_next(&c);
		else if (rule_tok_is(t, "list")) {
			if (parse_list(&c) != 0)
				return -1;
		} else if (rule_tok_is(t, "rule")) {
			if (parse_rule(&c) != 0)
				return -1;
		} else
			return rule_terr(ld, f, t, "expected list or rule, got "
			    "%s", rule_tok_str(t, buf, sizeof(buf)));
	}
}
