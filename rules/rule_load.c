/*
 * rule_load.c - rule_load(): files and globs through both passes; the
 * ruleset's accessors, errors and the token cursor.
 *
 * DESIGN
 * Every file named (each argument a glob(3) pattern, matched files in
 * sorted order) is read whole, cut into tokens and parsed (pass 1) before
 * any `match` is compiled (pass 2), so @names resolve against the lists
 * of all files and the config's groups wherever they are defined.  The
 * texts and tokens live until the load ends; the ruleset keeps only what
 * rule_info points at (file names, summaries), the programs and the sets.
 * The first error ends the load, frees everything, and leaves
 * "FILE:LINE:COL: reason" in err.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rule_int.h"

static const char *const sevs[] = { NULL, "low", "medium", "high",
	"critical" };

/* ---- errors and the cursor -------------------------------------------- */

int
rule_verr(struct rule_ld *ld, const char *file, int line, int col,
    const char *fmt, va_list ap)
{
	char msg[RULE_ERR_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (ld->errlen == 0)
		return -1;
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%d:%d: %s", file, line, col,
		    msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", file, msg);
	return -1;
}

int
rule_err(struct rule_ld *ld, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rule_verr(ld, file, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

int
rule_terr(struct rule_ld *ld, const struct rule_src *f,
    const struct rule_tok *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rule_verr(ld, f->name, t->line, t->col, fmt, ap);
	va_end(ap);
	return -1;
}

const struct rule_tok *
rule_cur_peek(const struct rule_cur *c)
{
	return &c->f->tok[c->pos < c->end ? c->pos : c->end];
}

const struct rule_tok *
rule_cur_next(struct rule_cur *c)
{
	const struct rule_tok *t = rule_cur_peek(c);

	if (c->pos < c->end)
		c->pos++;
	return t;
}

int
rule_cur_accept(struct rule_cur *c, const char *w)
{
	if (!rule_tok_is(rule_cur_peek(c), w))
		return 0;
	rule_cur_next(c);
	return 1;
}

int
rule_cur_done(struct rule_cur *c, const char *clause)
{
	const struct rule_tok *t = rule_cur_peek(c);
	char buf[64];

	if (t->type == T_NL || t->type == T_EOF)
		return 0;
	return rule_terr(c->ld, c->f, t, "unexpected %s after %s",
	    rule_tok_str(t, buf, sizeof(buf)), clause);
}

/* ---- files -------------------------------------------------------------- */

/* A name the ruleset keeps (rule_info.file). */
static const char *
keep_name(struct rule_ld *ld, const char *name)
{
	struct ruleset *rs = ld->rs;
	char **v;

	if ((v = realloc(rs->files, (rs->nfiles + 1) * sizeof(*v))) == NULL)
		return NULL;
	rs->files = v;
	if ((v[rs->nfiles] = strdup(name)) == NULL)
		return NULL;
	return v[rs->nfiles++];
}

static struct rule_src *
new_src(struct rule_ld *ld, const char *name)
{
	struct rule_src *f, **v;

	if ((v = realloc(ld->src, (ld->nsrc + 1) * sizeof(*v))) == NULL)
		return NULL;
	ld->src = v;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	v[ld->nsrc++] = f;
	if ((f->name = keep_name(ld, name)) == NULL)
		return NULL;
	return f;
}

/* The line of the first NUL byte of text[0..len). */
static int
nul_line(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len), *p;
	int line = 1;

	for (p = text; nul && p < nul; p++)
		line += *p == '\n';
	return nul ? line : 0;
}

static int
read_file(struct rule_ld *ld, struct rule_src *f, FILE *fp)
{
	size_t len;
	int line;

	if ((f->text = malloc(RULE_FILE_MAX + 1)) == NULL)
		return rule_err(ld, f->name, 0, 0,
		    "out of memory"); /* errcov: untestable */
	len = fread(f->text, 1, RULE_FILE_MAX + 1, fp);
	if (ferror(fp))
		return rule_err(ld, f->name, 0, 0, "read error: %s",
		    strerror(errno));
	if (len > RULE_FILE_MAX)
		return rule_err(ld, f->name, 0, 0, "larger than %u bytes",
		    RULE_FILE_MAX);
	f->text[len] = '\0';
	if ((line = nul_line(f->text, len)) != 0)
		return rule_err(ld, f->name, line, 1, "NUL byte in line");
	return 0;
}

/* Read, cut and parse one file (text is NULL: read path). */
static int
load_one(struct rule_ld *ld, const char *name, const char *text)
{
	struct rule_src *f;
	FILE *fp;
	int rc;

	if ((f = new_src(ld, name)) == NULL)
		return rule_err(ld, name, 0, 0,
		    "out of memory"); /* errcov: untestable */
	if (text) {
		if (strlen(text) > RULE_FILE_MAX)
			return rule_err(ld, name, 0, 0, "larger than %u bytes",
			    RULE_FILE_MAX);
		if ((f->text = strdup(text)) == NULL)
			return rule_err(ld, name, 0, 0,
			    "out of memory"); /* errcov: untestable */
	} else {
		if ((fp = fopen(name, "r")) == NULL)
			return rule_err(ld, name, 0, 0, "%s", strerror(errno));
		rc = read_file(ld, f, fp);
		fclose(fp);
		if (rc != 0)
			return -1;
	}
	if (rule_lex(ld, f) != 0)
		return -1;
	return rule_parse_file(ld, f);
}

static int
load_glob(struct rule_ld *ld, const char *pattern)
{
	glob_t g;
	size_t i;
	int rc;

	memset(&g, 0, sizeof(g));
	rc = glob(pattern, 0, NULL, &g);
	if (rc != 0)
		globfree(&g);
	if (rc == GLOB_NOMATCH && strpbrk(pattern, "*?[") == NULL)
		return load_one(ld, pattern, NULL);	/* says why */
	if (rc == GLOB_NOMATCH)
		return rule_err(ld, pattern, 0, 0, "no file matches");
	if (rc != 0)			/* GLOB_NOSPACE: no GLOB_ERR */
		return rule_err(ld, pattern, 0, 0,
		    "out of memory"); /* errcov: untestable */
	for (i = 0, rc = 0; i < g.gl_pathc && rc == 0; i++)
		rc = load_one(ld, g.gl_pathv[i], NULL);
	globfree(&g);
	return rc;
}

/* ---- the load --------------------------------------------------------- */

static int
begin(struct rule_ld *ld, const char *first, const char *const *groups,
    size_t ngroups, char *err, size_t errlen)
{
	memset(ld, 0, sizeof(*ld));
	ld->err = err;
	ld->errlen = errlen;
	if (errlen)
		err[0] = '\0';
	ld->groups = groups;
	ld->ngroups = ngroups;
	if (ngroups > RULE_GROUPS_MAX)
		return rule_err(ld, first, 0, 0, "more than %d groups",
		    RULE_GROUPS_MAX);
	if ((ld->rs = calloc(1, sizeof(*ld->rs))) == NULL)
		return rule_err(ld, first, 0, 0,
		    "out of memory"); /* errcov: untestable */
	return 0;
}

/* The rules worth running per record class (rule_candidates). */
static int
candidates(struct ruleset *rs)
{
	size_t c, i;

	for (c = 0; c < RULE_CLASSES; c++) {
		if ((rs->cand[c] = calloc(rs->nrules + 1,
		    sizeof(*rs->cand[c]))) == NULL)
			return -1;
		for (i = 0; i < rs->nrules; i++)
			if (rs->rule[i].classes & (1u << c))
				rs->cand[c][rs->ncand[c]++] = (uint32_t)i;
	}
	return 0;
}

/* Pass 2 when ok; then the sources go, and the ruleset if anything failed. */
static struct ruleset *
finish(struct rule_ld *ld, int ok)
{
	struct ruleset *rs = ld->rs;
	size_t i;

	for (i = 0; ok && rs && i < rs->nrules; i++)
		if (rule_compile(ld, i) != 0)
			ok = 0;
	if (ok && rs && candidates(rs) != 0) {
		(void)rule_err(ld, ld->nsrc ? ld->src[0]->name : "rules", 0,
		    0, "out of memory"); /* errcov: untestable */
		ok = 0;
	}
	for (i = 0; i < ld->nsrc; i++) {
		free(ld->src[i]->text);
		free(ld->src[i]->tok);
		free(ld->src[i]);
	}
	free(ld->src);
	free(ld->list);
	free(ld->pend);
	if (ok)
		return rs;
	rule_free(rs);
	return NULL;
}

struct ruleset *
rule_load(const char *const *files, size_t nfiles, const char *const *groups,
    size_t ngroups, char *err, size_t errlen)
{
	struct rule_ld ld;
	size_t i;
	int ok;

	ok = begin(&ld, nfiles ? files[0] : "rules", groups, ngroups, err,
	    errlen) == 0;
	for (i = 0; ok && i < nfiles; i++)
		ok = load_glob(&ld, files[i]) == 0;
	return finish(&ld, ok);
}

struct ruleset *
rule_load_string(const char *name, const char *text,
    const char *const *groups, size_t ngroups, char *err, size_t errlen)
{
	struct rule_ld ld;
	int ok;

	ok = begin(&ld, name, groups, ngroups, err, errlen) == 0 &&
	    load_one(&ld, name, text) == 0;
	return finish(&ld, ok);
}

void
rule_free(struct ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrules; i++) {
		free((void *)(uintptr_t)rs->rule[i].info.summary);
		free(rs->rule[i].prog);
	}
	free(rs->rule);
	for (i = 0; i < RULE_CLASSES; i++)
		free(rs->cand[i]);
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	for (i = 0; i < rs->nsets; i++)
		rule_set_free(rs->sets[i]);
	free(rs->sets);
	free(rs);
}

size_t
rule_count(const struct ruleset *rs)
{
	return rs ? rs->nrules : 0;
}

const struct rule_info *
rule_get(const struct ruleset *rs, size_t i)
{
	return rs && i < rs->nrules ? &rs->rule[i].info : NULL;
}

const char *
rule_sev_name(enum rule_sev s)
{
	return s >= RULE_SEV_LOW && s <= RULE_SEV_CRITICAL ? sevs[s] :
	    "unknown";
}

int
rule_sev_parse(const char *s, enum rule_sev *out)
{
	int i;

	for (i = RULE_SEV_LOW; i <= RULE_SEV_CRITICAL; i++)
		if (strcasecmp(s, sevs[i]) == 0) {
			*out = (enum rule_sev)i;
			return 0;
		}
	return -1;
}
