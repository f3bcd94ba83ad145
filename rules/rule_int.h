/*
 * rule_int.h - what the files of rules/ share: tokens, the loader's state,
 * compiled programs and sets.  Not for use outside rules/.
 *
 * DESIGN
 * Loading runs in two passes so that a @name may be used before, or in
 * another file than, the list that defines it:
 *
 *   rule_lex.c     a file's text into tokens with their line:col
 *   rule_parse.c   pass 1: lists and rule blocks; each clause but `match`
 *                  is parsed at once (rule_clause.c), `match` is kept as
 *                  a token range
 *   rule_expr.c    pass 2: each `match` into a flat program, @names
 *                  resolved (rule_set.c builds the sets, rule_value.c
 *                  reads single values)
 *   rule_load.c    files, globs, the two passes, the public accessors
 *   rule_eval.c    rule_match(): runs a program over a record
 *   rule_state.c   threshold windows
 *
 * A program is a list of tests; test k jumps to jt[k] when true and to
 * jf[k] when false, always forwards, or ends with RULE_ACCEPT or
 * RULE_REJECT (a BPF-like layout: and/or/not are only jumps, so
 * evaluation needs no stack and stops as soon as the outcome is known).
 */
#ifndef FS_RULE_INT_H
#define FS_RULE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "rule.h"

#define RULE_FILE_MAX		(1u << 20)	/* bytes in one rule file */
#define RULE_MAX_RULES		4096
#define RULE_MAX_LISTS		4096
#define RULE_MAX_TESTS		1024	/* primitives in one match */
#define RULE_MAX_DEPTH		64	/* nested parentheses and nots */
#define RULE_MAX_ITEMS		65536	/* items in one set */
#define RULE_LOAD_ITEMS		(1u << 20)	/* items read into sets, a load */
#define RULE_LOAD_SET_BYTES	(64u << 20)	/* memory of sets, a load */
#define RULE_DISTINCT_MAX	10000	/* threshold of distinct dst/dport */
#define RULE_APP_MAX		32	/* an application label with its NUL */
#define RULE_SUMMARY_MAX	1024
#define RULE_GROUPS_MAX		64

/* ---- tokens (rule_lex.c) --------------------------------------------- */

enum rule_tokt {
	T_EOF, T_NL, T_WORD, T_AT, T_STR, T_LPAREN, T_RPAREN, T_LBRACK,
	T_RBRACK, T_LBRACE, T_RBRACE, T_COMMA, T_CMP, T_NOT, T_AND, T_OR
};

enum rule_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

struct rule_tok {
	enum rule_tokt	 type;
	enum rule_cmp	 cmp;		/* T_CMP */
	int		 line, col;
	const char	*s;		/* text, not NUL terminated; T_AT */
	size_t		 len;		/* without the @, T_STR unescaped */
};

/* One file: its text (strings are unescaped in place) and its tokens. */
struct rule_src {
	const char	*name;		/* owned by the ruleset */
	char		*text;
	struct rule_tok	*tok;
	size_t		 ntok;		/* the last is T_EOF */
};

struct rule_ld;
int	rule_lex(struct rule_ld *ld, struct rule_src *f);
/* The token as text for messages: "foo", end of line, end of file. */
const char *rule_tok_str(const struct rule_tok *t, char *buf, size_t len);
/* Does word token t spell s (case-sensitive)? */
int	rule_tok_is(const struct rule_tok *t, const char *s);
/* Copy the token's text into buf; -1 when it does not fit. */
int	rule_tok_copy(const struct rule_tok *t, char *buf, size_t len);

/* ---- compiled programs and sets -------------------------------------- */

#define RULE_ACCEPT	(-1)
#define RULE_REJECT	(-2)

enum rule_op {
	OP_TRUE, OP_INBOUND, OP_OUTBOUND, OP_TRAFFIC, OP_NET, OP_ADDRSET,
	OP_PORT, OP_PORTSET, OP_PROTO, OP_PROTOSET, OP_FLAGS, OP_BYTES,
	OP_PACKETS, OP_AS, OP_ASSET, OP_COUNTRY, OP_CCSET, OP_APP, OP_APPSET
};

#define SIDE_SRC	1
#define SIDE_DST	2
#define SIDE_ANY	(SIDE_SRC | SIDE_DST)

struct rule_cidr {
	struct flow_addr	addr;
	uint8_t			plen;
};

/*
 * The addresses and prefixes of a set, per family, as the ranges they
 * cover: without those inside another, so disjoint, and sorted, so that
 * one binary search finds the only range that may hold an address.
 * IPv4 in host order, IPv6 as bytes in network order (memcmp).
 */
struct rule_span4 {
	uint32_t		 lo, hi;
};
struct rule_span6 {
	uint8_t			 lo[16], hi[16];
};

/*
 * An `in` set, built once at load; which members are used depends on the
 * test.  Every form is searched in O(1) or O(log n) without allocating:
 * bitmaps, sorted ranges, sorted numbers, labels sorted by rule_app_cmp.
 */
struct rule_set {
	uint8_t			*bits;		/* ports: 65536 bits, protos: 256 */
	struct rule_span4	*span4;		/* addresses: IPv4 */
	struct rule_span6	*span6;		/* addresses: IPv6 */
	size_t			 n4, n6;
	uint32_t		*num;		/* AS numbers, country codes */
	char			(*app)[RULE_APP_MAX];
	size_t			 n;		/* of num or app */
	uint64_t		 groups;	/* addresses: config groups */
};

struct rule_ins {
	uint8_t			 op;		/* enum rule_op */
	uint8_t			 side;		/* SIDE_* */
	uint8_t			 cmp;		/* enum rule_cmp */
	int32_t			 jt, jf;
	union {
		uint64_t		 num;
		struct rule_cidr	 cidr;
		const struct rule_set	*set;
		char			 app[RULE_APP_MAX];
	} u;
};

struct rule {
	struct rule_info	 info;
	struct rule_ins		*prog;
	size_t			 nprog;
	uint8_t			 classes;	/* 1 << RULE_CLASS_*: may match */
};

struct ruleset {
	struct rule		*rule;
	size_t			 nrules;
	/* Per record class, the rules that may match one (rule_classes). */
	uint32_t		*cand[RULE_CLASSES];
	size_t			 ncand[RULE_CLASSES];
	char			**files;	/* rule_info.file points here */
	size_t			 nfiles;
	struct rule_set		**sets;
	size_t			 nsets;
};

/*
 * The record classes a program may accept (rule_eval.c): bit c set unless
 * no record of class c can reach accept, following for the direction
 * tests (outbound, inbound) the branch the class decides and for any
 * other test both.  Sound, not exact: a set bit may still never match.
 */
uint8_t		rule_classes(const struct rule_ins *prog, size_t n);

/* What a value or a set item is read as (rule_value.c). */
enum rule_kind { K_PORT, K_PROTO, K_HOST, K_NET, K_AS, K_CC, K_APP,
	K_COUNT };

/* Country code "us" -> 'U' << 8 | 'S'; 0 when s is not two letters. */
uint32_t	rule_cc(const char *s, size_t len);
/*
 * Application labels compared over at most RULE_APP_MAX bytes, ASCII
 * letters without regard to case (whatever the locale): <0, 0, >0.  The
 * order that app sets are sorted in and searched by.
 */
int		rule_app_cmp(const char *a, const char *b);

/* ---- the loader (rule_load.c, rule_parse.c, rule_clause.c) ----------- */

/*
 * A `list NAME = ...`: its items are tok[0..n) of its file.  set[k] is
 * the set it was read into as kind k by an `in @NAME`, which every later
 * `in @NAME` of that kind shares (sets are the ruleset's; NULL: not yet).
 */
struct rule_list {
	char			 name[RULE_NAME_MAX];
	const struct rule_src	*f;
	const struct rule_tok	*at;		/* the name, for messages */
	const struct rule_tok	*tok;
	size_t			 n;
	const struct rule_set	*set[K_COUNT + 1];
};

/* A rule whose `match` waits for pass 2. */
struct rule_pend {
	const struct rule_src	*f;
	size_t			 match, end;	/* token range, 0: none */
};

struct rule_ld {
	struct ruleset		*rs;
	char			*err;
	size_t			 errlen;
	const char *const	*groups;
	size_t			 ngroups;
	struct rule_src		**src;
	size_t			 nsrc;
	struct rule_list	*list;
	size_t			 nlists;
	struct rule_pend	*pend;		/* one per rs->rule */
	size_t			 items;		/* read into sets so far */
	size_t			 set_bytes;	/* and their memory */
};

/* A cursor over a file's tokens [pos, end). */
struct rule_cur {
	struct rule_ld		*ld;
	const struct rule_src	*f;
	size_t			 pos, end;
};

/* Errors: "FILE:LINE:COL: reason" (line 0: "FILE: reason"); return -1. */
int	rule_err(struct rule_ld *ld, const char *file, int line, int col,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int	rule_verr(struct rule_ld *ld, const char *file, int line, int col,
	    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
int	rule_terr(struct rule_ld *ld, const struct rule_src *f,
	    const struct rule_tok *t, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

const struct rule_tok *rule_cur_peek(const struct rule_cur *c);
const struct rule_tok *rule_cur_next(struct rule_cur *c);
/* Is the next token word w?  Then take it. */
int	rule_cur_accept(struct rule_cur *c, const char *w);
/* Nothing may follow on the line (c->end is the line's end). */
int	rule_cur_done(struct rule_cur *c, const char *clause);

/* Pass 1 over one file (rule_parse.c). */
int	rule_parse_file(struct rule_ld *ld, const struct rule_src *f);
/* One clause line of a rule; c->end is the line's T_NL (rule_clause.c). */
int	rule_clause(struct rule_cur *c, struct rule *r, struct rule_pend *p,
	    unsigned *seen);
/* Checks at a rule's closing brace. */
int	rule_clause_end(struct rule_cur *c, struct rule *r,
	    const struct rule_pend *p, const struct rule_tok *at,
	    unsigned seen);
/* Pass 2: compile rule i's match (rule_expr.c). */
int	rule_compile(struct rule_ld *ld, size_t i);
const struct rule_list *rule_list_find(const struct rule_ld *ld,
	    const char *name);
int	rule_group_find(const struct rule_ld *ld, const char *name);

/* ---- values (rule_value.c) ------------------------------------------- */

union rule_val {
	uint64_t		 num;
	struct rule_cidr	 cidr;
	char			 app[RULE_APP_MAX];
	struct { uint16_t lo, hi; } range;
};

/*
 * Read token t as a value of kind k (K_PORT also takes LO-HI ranges when
 * range is set).  0, or -1 with the reason in why.
 */
int	rule_value(enum rule_kind k, const struct rule_tok *t, int range,
	    union rule_val *v, char *why, size_t whylen);
/* N with an optional k, M or G (1000-based), at most max. */
int	rule_number(const struct rule_tok *t, uint64_t max, uint64_t *v);
/* 90, 90s, 10m, 1h30m, 7d, 2w into seconds. */
int	rule_duration(const struct rule_tok *t, uint32_t *secs);
/* Is the address inside the prefix? */
int	rule_cidr_match(const struct rule_cidr *c, const struct flow_addr *a);

/* ---- sets (rule_set.c) ----------------------------------------------- */

/*
 * The set after `in`: @NAME, or [ items ] where an item may be @NAME.
 * c is at the @ or the [; on success it is past it.
 */
const struct rule_set *rule_set_parse(struct rule_cur *c, enum rule_kind k);
void	rule_set_free(struct rule_set *s);

#endif
