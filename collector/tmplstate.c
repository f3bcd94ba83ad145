/*
 * tmplstate.c - the template state file.  See tmplstate.h.
 *
 * Format (version 1):
 *   flowsentry-templates 1
 *   t EXPORTER PORT VERSION DOMAIN ID OPTIONS NSCOPE SEEN_MS NFIELDS ID:LEN:PEN...
 *   end COUNT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmplstate.h"

#define TS_MAGIC	"flowsentry-templates 1"

struct ts_entry {
	struct tmpl_key		key;
	int			options;
	uint16_t		nscope;
	uint16_t		nfields;
	uint64_t		seen_ms;
	struct tmpl_field	fields[TMPL_MAX_FIELDS];
};

struct tmplstate {
	struct ts_entry	*e;
	unsigned	 n, cap;
};

struct save_ctx {
	int64_t		 to_wall;
	FILE		*fp;
	unsigned	 n;
};

static void
save_one(void *arg, const struct tmpl *t)
{
	struct save_ctx *s = arg;
	char a[64];
	uint16_t i;

	fprintf(s->fp, "t %s %u %u %" PRIu32 " %u %u %u %" PRIu64 " %u",
	    flow_addr_str(&t->key.exp, a, sizeof(a)), t->key.port,
	    t->key.version, t->key.domain, t->key.id, t->options, t->nscope,
	    (uint64_t)((int64_t)t->seen_ms + s->to_wall), t->nfields);
	for (i = 0; i < t->nfields; i++)
		fprintf(s->fp, " %u:%u:%" PRIu32, t->fields[i].id,
		    t->fields[i].len, t->fields[i].pen);
	fputc('\n', s->fp);
	s->n++;
}

int
tmplstate_save(struct tmpl_cache *tc, const char *path, int64_t to_wall_ms,
    char *err, size_t errlen)
{
	struct save_ctx s = { to_wall_ms, NULL, 0 };
	char tmp[4096];
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1 || (s.fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(s.fp, "%s\n", TS_MAGIC);
	tmpl_foreach(tc, save_one, &s);
	fprintf(s.fp, "end %u\n", s.n);
	if (fflush(s.fp) != 0 || fsync(fileno(s.fp)) != 0 || ferror(s.fp)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(s.fp);
		unlink(tmp);
		return -1;
	}
	fclose(s.fp);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
parse_line(char *line, struct ts_entry *e)
{
	char *tok, *save = NULL, *end;
	unsigned long long v[8];
	unsigned i;

	memset(e, 0, sizeof(*e));
	if ((tok = strtok_r(line, " \n", &save)) == NULL || strcmp(tok, "t"))
		return -1;
	if ((tok = strtok_r(NULL, " \n", &save)) == NULL ||
	    flow_addr_parse(&e->key.exp, tok) != 0)
		return -1;
	for (i = 0; i < 8; i++) {
		if ((tok = strtok_r(NULL, " \n", &save)) == NULL)
			return -1;
		errno = 0;
		v[i] = strtoull(tok, &end, 10);
		if (*end || errno || tok[0] == '-')
			return -1;
	}
	if (v[0] > 65535 || (v[1] != 9 && v[1] != 10) || v[2] > UINT32_MAX ||
	    v[3] < 256 || v[3] > 65535 || v[4] > 1 || v[5] > v[7] ||
	    v[7] == 0 || v[7] > TMPL_MAX_FIELDS)
		return -1;
	e->key.port = (uint16_t)v[0];
	e->key.version = (uint8_t)v[1];
	e->key.domain = (uint32_t)v[2];
	e->key.id = (uint16_t)v[3];
	e->options = (int)v[4];
	e->nscope = (uint16_t)v[5];
	e->seen_ms = v[6];
	e->nfields = (uint16_t)v[7];
	for (i = 0; i < e->nfields; i++) {
		unsigned long id, len, pen;

		if ((tok = strtok_r(NULL, " \n", &save)) == NULL ||
		    sscanf(tok, "%lu:%lu:%lu", &id, &len, &pen) != 3 ||
		    id > 65535 || len > 65535 || pen > UINT32_MAX)
			return -1;
		e->fields[i].id = (uint16_t)id;
		e->fields[i].len = (uint16_t)len;
		e->fields[i].pen = (uint32_t)pen;
	}
	return strtok_r(NULL, " \n", &save) == NULL ? 0 : -1;
}

struct tmplstate *
tmplstate_read(const char *path, char *err, size_t errlen)
{
	struct tmplstate *s;
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0, count;
	int done = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(s);
		return NULL;
	}
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if (done) {
			snprintf(err, errlen, "%s:%u: data after the end", path,
			    lineno);
			goto fail;
		}
		if (lineno == 1) {
			if (strcmp(line, TS_MAGIC "\n")) {
				snprintf(err, errlen, "%s:1: not a template "
				    "state file of version 1", path);
				goto fail;
			}
			continue;
		}
		if (sscanf(line, "end %u", &count) == 1) {
			if (count != s->n) {
				snprintf(err, errlen, "%s:%u: %u templates, "
				    "the trailer says %u", path, lineno, s->n,
				    count);
				goto fail;
			}
			done = 1;
			continue;
		}
		if (s->n == s->cap) {
			unsigned nc = s->cap ? s->cap * 2 : 16;
			void *ne;

			if (nc > 1u << 17 ||
			    (ne = realloc(s->e, nc * sizeof(*s->e))) == NULL) {
				snprintf(err, errlen, "%s:%u: too many "
				    "templates", path, lineno);
				goto fail;
			}
			s->e = ne;
			s->cap = nc;
		}
		if (parse_line(line, &s->e[s->n]) != 0) {
			snprintf(err, errlen, "%s:%u: malformed template line",
			    path, lineno);
			goto fail;
		}
		s->n++;
	}
	if (!done) {
		snprintf(err, errlen, "%s:%u: cut short (no trailer)", path,
		    lineno);
		goto fail;
	}
	free(line);
	fclose(fp);
	return s;
fail:
	free(line);
	fclose(fp);
	tmplstate_free(s);
	return NULL;
}

unsigned
tmplstate_apply(const struct tmplstate *s, struct tmpl_cache *tc,
    uint64_t wall_ms, uint64_t now_ms, uint64_t max_age_ms)
{
	unsigned i, n = 0;
	uint64_t age;

	for (i = 0; i < s->n; i++) {
		const struct ts_entry *e = &s->e[i];

		/* Saved "later" than now: the clock went back since; fresh. */
		age = e->seen_ms > wall_ms ? 0 : wall_ms - e->seen_ms;
		if (age > max_age_ms || age > now_ms)
			continue;
		if (tmpl_put(tc, &e->key, e->options, e->nscope, e->fields,
		    e->nfields, now_ms - age) == 0)
			n++;
	}
	return n;
}

unsigned
tmplstate_count(const struct tmplstate *s)
{
	return s ? s->n : 0;
}

void
tmplstate_free(struct tmplstate *s)
{
	if (s == NULL)
		return;
	free(s->e);
	free(s);
}
