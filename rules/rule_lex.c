/*
 * rule_lex.c - a rule file's text into tokens with their line and column.
 *
 * DESIGN
 * The whole file is cut into tokens before anything is parsed, so both
 * passes of the loader (rule_int.h) and the error messages can look at
 * any token and say where it stands.  Lines matter (one clause per line),
 * so a newline is a token, except inside ( ) and [ ], where an
 * expression or a list may run over several lines, and after a `\` that
 * ends a line.  A bracket left open would swallow the lines after it and
 * be found far away, so it is reported where it was opened as soon as a
 * line starts with `}` (the end of a rule, which no bracket can hold) or
 * the file ends.  `#` starts a comment outside strings.  A word is a run
 * of letters, digits and `_ . : / -`, which covers names, numbers, port
 * ranges, addresses and prefixes alike; what a word means is decided by
 * the parser.  Strings are unescaped in place (\" and \\ only).  Columns
 * count bytes from 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_int.h"

struct lexer {
	struct rule_ld	*ld;
	struct rule_src	*f;
	char		*p;		/* next byte */
	int		 line;
	const char	*bol;		/* start of the current line */
	int		 depth;		/* open ( and [ */
	const char	*open;		/* the outermost of them */
	int		 open_line, open_col;
	size_t		 cap;
};

static int
col(const struct lexer *lx, const char *at)
{
	return (int)(at - lx->bol) + 1;
}

static int
lerr(struct lexer *lx, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
lerr(struct lexer *lx, const char *at, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rule_verr(lx->ld, lx->f->name, lx->line, col(lx, at), fmt, ap);
	va_end(ap);
	return rc;
}

static int
push(struct lexer *lx, enum rule_tokt tt, const char *s, size_t len)
{
	struct rule_src *f = lx->f;
	struct rule_tok *t;

	if (f->ntok == lx->cap) {
		size_t ncap = lx->cap ? lx->cap * 2 : 256;

		if ((t = realloc(f->tok, ncap * sizeof(*t))) == NULL)
			return lerr(lx, s,
			    "out of memory"); /* errcov: untestable */
		f->tok = t;
		lx->cap = ncap;
	}
	t = &f->tok[f->ntok++];
	memset(t, 0, sizeof(*t));
	t->type = tt;
	t->line = lx->line;
	t->col = col(lx, s);
	t->s = s;
	t->len = len;
	return 0;
}

static int
word_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("_.:/-", c));
}

static void
newline(struct lexer *lx)
{
	lx->line++;
	lx->bol = lx->p;
}

/* "..." with \" and \\; the text is unescaped where it stands. */
static int
string(struct lexer *lx)
{
	char *start = lx->p, *w = lx->p + 1, *r = lx->p + 1;

	for (;;) {
		unsigned char c = (unsigned char)*r;

		if (c == '"')
			break;
		if (c == '\0' || c == '\n')
			return lerr(lx, start, "string not closed");
		if (c < 0x20 && c != '\t')
			return lerr(lx, r, "control character in string");
		if (c == '\\') {
			if (r[1] != '"' && r[1] != '\\')
				return lerr(lx, r, "unknown escape \\%c in "
				    "string (only \\\" and \\\\)",
				    r[1] >= 0x20 && r[1] < 0x7f ? r[1] : '?');
			r++;
		}
		*w++ = *r++;
	}
	lx->p = r + 1;
	if (push(lx, T_STR, start + 1, (size_t)(w - start - 1)) != 0)
		return -1;
	lx->f->tok[lx->f->ntok - 1].col = col(lx, start);
	return 0;
}

static int
word(struct lexer *lx, enum rule_tokt tt)
{
	char *start = lx->p, *s = tt == T_AT ? lx->p + 1 : lx->p;
	char *e = s;

	while (word_char((unsigned char)*e))
		e++;
	if (e == s)
		return lerr(lx, start, "@ without a name");
	lx->p = e;
	if (push(lx, tt, s, (size_t)(e - s)) != 0)
		return -1;
	lx->f->tok[lx->f->ntok - 1].col = col(lx, start);
	return 0;
}

/* = == != < <= > >= ! && || */
static int
oper(struct lexer *lx)
{
	static const struct {
		const char	*s;
		enum rule_tokt	 tt;
		enum rule_cmp	 cmp;
	} ops[] = {
		{ "==", T_CMP, CMP_EQ }, { "!=", T_CMP, CMP_NE },
		{ "<=", T_CMP, CMP_LE }, { ">=", T_CMP, CMP_GE },
		{ "&&", T_AND, 0 }, { "||", T_OR, 0 }, { "=", T_CMP, CMP_EQ },
		{ "<", T_CMP, CMP_LT }, { ">", T_CMP, CMP_GT },
		{ "!", T_NOT, 0 },
	};
	size_t i, n;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		n = strlen(ops[i].s);
		if (strncmp(lx->p, ops[i].s, n) == 0) {
			if (push(lx, ops[i].tt, lx->p, n) != 0)
				return -1;
			lx->f->tok[lx->f->ntok - 1].cmp = ops[i].cmp;
			lx->p += n;
			return 0;
		}
	}
	if (*lx->p >= 0x21 && *lx->p < 0x7f)
		return lerr(lx, lx->p, "unexpected character '%c'", *lx->p);
	return lerr(lx, lx->p, "unexpected byte 0x%02x",
	    (unsigned char)*lx->p);
}

/* The outermost open ( or [ was never closed: say where it began. */
static int
unclosed(struct lexer *lx)
{
	return rule_err(lx->ld, lx->f->name, lx->open_line, lx->open_col,
	    "'%c' is not closed", *lx->open);
}

/* Only blanks before at on its line? */
static int
first_on_line(const struct lexer *lx, const char *at)
{
	const char *p;

	for (p = lx->bol; p < at; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return 0;
	return 1;
}

static int
punct(struct lexer *lx, enum rule_tokt tt)
{
	/*
	 * A } that starts a line ends a rule, which nothing in brackets
	 * can contain: the open bracket was left unclosed, and going on
	 * would swallow the rule's end and whatever follows.
	 */
	if (tt == T_RBRACE && lx->depth > 0 && first_on_line(lx, lx->p))
		return unclosed(lx);
	if ((tt == T_LPAREN || tt == T_LBRACK) && lx->depth++ == 0) {
		lx->open = lx->p;
		lx->open_line = lx->line;
		lx->open_col = col(lx, lx->p);
	}
	else if ((tt == T_RPAREN || tt == T_RBRACK) && lx->depth > 0)
		lx->depth--;
	if (push(lx, tt, lx->p, 1) != 0)
		return -1;
	lx->p++;
	return 0;
}

/* Blanks, comments, continued lines and newlines. */
static int
space(struct lexer *lx)
{
	char c = *lx->p;

	if (c == ' ' || c == '\t' || c == '\r') {
		lx->p++;
	} else if (c == '#') {
		lx->p += strcspn(lx->p, "\n");
	} else if (c == '\\' && (lx->p[1] == '\n' || (lx->p[1] == '\r' &&
	    lx->p[2] == '\n'))) {
		lx->p += lx->p[1] == '\n' ? 2 : 3;
		newline(lx);
	} else if (c == '\n') {
		if (lx->depth == 0 && push(lx, T_NL, lx->p, 0) != 0)
			return -1;
		lx->p++;
		newline(lx);
	} else
		return 0;
	return 1;
}

static int
token(struct lexer *lx)
{
	static const char puncts[] = "()[]{},";
	static const enum rule_tokt ptype[] = { T_LPAREN, T_RPAREN, T_LBRACK,
	    T_RBRACK, T_LBRACE, T_RBRACE, T_COMMA };
	const char *pc;
	int rc;

	if ((rc = space(lx)) != 0)
		return rc < 0 ? -1 : 0;
	if (*lx->p == '"')
		return string(lx);
	if (*lx->p == '@')
		return word(lx, T_AT);
	if (word_char((unsigned char)*lx->p))
		return word(lx, T_WORD);
	if ((pc = strchr(puncts, *lx->p)) != NULL)
		return punct(lx, ptype[pc - puncts]);
	return oper(lx);
}

int
rule_lex(struct rule_ld *ld, struct rule_src *f)
{
	struct lexer lx;

	memset(&lx, 0, sizeof(lx));
	lx.ld = ld;
	lx.f = f;
	lx.p = f->text;
	lx.bol = f->text;
	lx.line = 1;
	while (*lx.p)
		if (token(&lx) != 0)
			return -1;
	if (lx.depth > 0)	/* it ran to the end */
		return unclosed(&lx);
	if (push(&lx, T_NL, lx.p, 0) != 0)	/* the last line ends */
		return -1;
	return push(&lx, T_EOF, lx.p, 0);
}

const char *
rule_tok_str(const struct rule_tok *t, char *buf, size_t len)
{
	switch (t->type) {
	case T_EOF:
		return "end of file";
	case T_NL:
		return "end of line";
	case T_AT:
		snprintf(buf, len, "\"@%.*s\"", (int)(t->len > 40 ? 40 :
		    t->len), t->s);
		return buf;
	case T_STR:
		snprintf(buf, len, "string \"%.*s%s\"", (int)(t->len > 40 ?
		    40 : t->len), t->s, t->len > 40 ? "..." : "");
		return buf;
	default:
		snprintf(buf, len, "\"%.*s%s\"", (int)(t->len > 40 ? 40 :
		    t->len), t->s, t->len > 40 ? "..." : "");
		return buf;
	}
}

int
rule_tok_is(const struct rule_tok *t, const char *s)
{
	return t->type == T_WORD && strlen(s) == t->len &&
	    memcmp(t->s, s, t->len) == 0;
}

int
rule_tok_copy(const struct rule_tok *t, char *buf, size_t len)
{
	if (t->len >= len)
		return -1;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	return 0;
}
