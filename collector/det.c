/*
 * det.c - rendering a detection: JSON, Redis hash fields, the allow command.
 *
 * DESIGN
 * One table (det_fieldtab) names every field of struct det with how to
 * write it and read it back, so the JSON object, the Redis hash and the
 * CLI's reading of that hash can never disagree.  Writing is into caller
 * buffers (no allocation); a buffer too small is -1, never a cut object.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "det.h"

enum ft { FT_STR, FT_U64, FT_INT, FT_ADDR, FT_SEV, FT_STATE, FT_SCOPE,
	FT_RULES, FT_U8, FT_U16, FT_U32 };

struct dfield {
	const char	*name;
	enum ft		 type;
	size_t		 off;
	size_t		 size;		/* FT_STR: buffer size */
};

#define F(n, t, m)	{ n, t, offsetof(struct det, m), sizeof(((struct det *)0)->m) }
static const struct dfield det_fieldtab[] = {
	F("id", FT_STR, id),
	F("ts", FT_U64, ts_ms),
	F("rule", FT_STR, rule),
	F("severity", FT_SEV, severity),
	F("rules", FT_RULES, rules),
	F("host", FT_ADDR, host),
	F("group", FT_STR, group),
	F("dst", FT_ADDR, dst),
	F("dst_scope", FT_SCOPE, dst_scope),
	F("dport", FT_U16, dport),
	F("proto", FT_U8, proto),
	F("service", FT_STR, service),
	F("app", FT_STR, app),
	F("country", FT_STR, country),
	F("asn", FT_U32, asn),
	F("as_org", FT_STR, as_org),
	F("flows", FT_U64, flows),
	F("bytes", FT_U64, bytes),
	F("packets", FT_U64, packets),
	F("first", FT_U64, first_ms),
	F("last", FT_U64, last_ms),
	F("exporter", FT_ADDR, exporter),
	F("summary", FT_STR, summary),
	F("state", FT_STATE, state),
};
#undef F
#define NFIELDS	(sizeof(det_fieldtab) / sizeof(det_fieldtab[0]))

static const char *sev_names[] = { "none", "low", "medium", "high", "critical" };
static const char *state_names[] = { "open", "acked", "allowed" };
static const char *scope_names[] = { "dst", "many" };

const char *
det_sev_name(int severity)
{
	return severity >= 1 && severity <= 4 ? sev_names[severity] : "none";
}

const char *
det_state_name(int state)
{
	return state >= 0 && state <= 2 ? state_names[state] : "open";
}

static int
name_index(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* A bounded output buffer with a sticky overflow flag. */
struct out {
	char	*p;
	size_t	 len, off;
	int	 over;
};

static void out_add(struct out *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->off)
		o->over = 1;
	else
		o->off += (size_t)n;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
/*
 * The length of the well-formed UTF-8 sequence at p (lead byte >= 0x80),
 * or 0: strings from flows (AS names, labels) are not trusted to be text.
 */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n, i;
	uint32_t cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;		/* overlong, out of range, surrogate */
	return n;
}

static void
out_jstr(struct out *o, const char *s)
{
	out_add(o, "\"");
	for (; *s && !o->over; s++) {
		unsigned char c = (unsigned char)*s;

		size_t n;

		if (c == '"' || c == '\\')
			out_add(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			out_add(o, "\\u%04x", c);
		else if (c < 0x80)
			out_add(o, "%c", c);
		else if ((n = utf8_len((const unsigned char *)s)) == 0)
			out_add(o, "\\ufffd");	/* not UTF-8: one byte */
		else {
			out_add(o, "%.*s", (int)n, s);
			s += n - 1;
		}
	}
	out_add(o, "\"");
}

/* A field's value as text (strings unescaped); NULL for an empty list. */
static const char *
field_text(const struct det *d, const struct dfield *f, char *buf,
    size_t len)
{
	const char *p = (const char *)d + f->off;
	int i;
	size_t off = 0;

	switch (f->type) {
	case FT_STR:
		return p;
	case FT_U64:
		snprintf(buf, len, "%" PRIu64, *(const uint64_t *)(const void *)p);
		return buf;
	case FT_U32:
		snprintf(buf, len, "%" PRIu32, *(const uint32_t *)(const void *)p);
		return buf;
	case FT_U16:
		snprintf(buf, len, "%u", *(const uint16_t *)(const void *)p);
		return buf;
	case FT_U8:
	case FT_INT:
		snprintf(buf, len, "%u", *(const uint8_t *)p);
		return buf;
	case FT_ADDR:
		if (((const struct flow_addr *)(const void *)p)->af == 0)
			return "";
		return flow_addr_str((const struct flow_addr *)(const void *)p,
		    buf, len);
	case FT_SEV:
		return det_sev_name(d->severity);
	case FT_STATE:
		return det_state_name(d->state);
	case FT_SCOPE:
		return scope_names[d->dst_scope ? 1 : 0];
	case FT_RULES:
		buf[0] = '\0';
		for (i = 0; i < d->nrules && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    i ? "," : "", d->rules[i]);
		return buf;
	}
	return "";
}

static int
field_numeric(enum ft t)
{
	return t == FT_U64 || t == FT_U32 || t == FT_U16 || t == FT_U8 ||
	    t == FT_INT;
}

int
det_json(const struct det *d, char *buf, size_t len)
{
	struct out o = { buf, len, 0, 0 };
	char tmp[512];
	size_t i;
	int k;

	if (len == 0)
		return -1;
	out_add(&o, "{");
	for (i = 0; i < NFIELDS; i++) {
		const struct dfield *f = &det_fieldtab[i];

		out_add(&o, "%s\"%s\":", i ? "," : "", f->name);
		if (f->type == FT_RULES) {
			out_add(&o, "[");
			for (k = 0; k < d->nrules; k++) {
				out_add(&o, "%s", k ? "," : "");
				out_jstr(&o, d->rules[k]);
			}
			out_add(&o, "]");
		} else if (field_numeric(f->type))
			out_add(&o, "%s", field_text(d, f, tmp, sizeof(tmp)));
		else
			out_jstr(&o, field_text(d, f, tmp, sizeof(tmp)));
	}
	out_add(&o, "}");
	return o.over ? -1 : (int)o.off;
}

int
det_fields(const struct det *d, const char **names, const char **values,
    int max, char *store, size_t storelen)
{
	char tmp[512];
	size_t i, off = 0;
	int n = 0;

	for (i = 0; i < NFIELDS; i++) {
		const struct dfield *f = &det_fieldtab[i];
		const char *v = field_text(d, f, tmp, sizeof(tmp));
		size_t vl = strlen(v) + 1;

		if (n >= max || off + vl > storelen)
			return -1;
		memcpy(store + off, v, vl);
		names[n] = f->name;
		values[n] = store + off;
		off += vl;
		n++;
	}
	return n;
}

static void
copy_str(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s);
}

static int
field_set(struct det *d, const struct dfield *f, const char *v)
{
	char *p = (char *)d + f->off;
	unsigned long long u;
	char *end, *s, *save;
	int i;

	switch (f->type) {
	case FT_STR:
		copy_str(p, f->size, v);
		return 0;
	case FT_ADDR:
		if (*v == '\0')
			return 0;
		return flow_addr_parse((struct flow_addr *)(void *)p, v);
	case FT_SEV:
		i = name_index(sev_names, 5, v);
		d->severity = i > 0 ? i : 0;
		return i > 0 ? 0 : -1;
	case FT_STATE:
		i = name_index(state_names, 3, v);
		d->state = (uint8_t)(i >= 0 ? i : 0);
		return i >= 0 ? 0 : -1;
	case FT_SCOPE:
		d->dst_scope = strcmp(v, "many") == 0 ? DET_SCOPE_MANY :
		    DET_SCOPE_DST;
		return 0;
	case FT_RULES: {
		char tmp[DET_RULES_MAX * 48];

		copy_str(tmp, sizeof(tmp), v);
		d->nrules = 0;
		for (s = strtok_r(tmp, ",", &save); s &&
		    d->nrules < DET_RULES_MAX; s = strtok_r(NULL, ",", &save))
			copy_str(d->rules[d->nrules++], sizeof(d->rules[0]), s);
		return 0;
	}
	default:
		break;
	}
	u = strtoull(v, &end, 10);
	if (*v == '\0' || *end != '\0')
		return -1;
	switch (f->type) {
	case FT_U64:
		*(uint64_t *)(void *)p = u;
		break;
	case FT_U32:
		*(uint32_t *)(void *)p = (uint32_t)u;
		break;
	case FT_U16:
		*(uint16_t *)(void *)p = (uint16_t)u;
		break;
	default:
		*(uint8_t *)p = (uint8_t)u;
		break;
	}
	return 0;
}

int
det_from_fields(struct det *d, char *const *kv, size_t n)
{
	size_t i, j;
	int seen_id = 0;

	memset(d, 0, sizeof(*d));
	for (i = 0; i + 1 < n; i += 2)
		for (j = 0; j < NFIELDS; j++)
			if (strcmp(kv[i], det_fieldtab[j].name) == 0) {
				if (field_set(d, &det_fieldtab[j], kv[i + 1]) < 0)
					return -1;
				if (j == 0)
					seen_id = 1;
				break;
			}
	return seen_id ? 0 : -1;
}

int
det_allow_cmd(const struct det *d, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len,
	    "flowsentry allow %s --scope host --dst %s --expires 90d "
	    "--comment 'WHY THIS IS LEGITIMATE'", d->id,
	    d->dst_scope == DET_SCOPE_MANY ? "any" : d->asn ? "asn" : "net");
	return n < 0 || (size_t)n >= len ? -1 : n;
}
