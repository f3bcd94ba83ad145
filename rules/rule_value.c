/*
 * rule_value.c - single values of the rule language: numbers with
 * suffixes, durations, ports and ranges, protocols, addresses and
 * prefixes, AS numbers, country codes and application labels.
 *
 * DESIGN
 * Every reader takes one token and either fills a union rule_val or says
 * why not in words that name the token ("\"6670-6660\" is a backwards
 * range"), so the same reader serves a value after a primitive, an item
 * of [ ... ] and an item of a `list`, and the caller only adds where.
 * Sizes use 1000-based suffixes (k M G T): rules count packets and bytes
 * of flows, not memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rule_int.h"

#define WORD_MAX	128

/* The names proto() takes; its message lists them all, in this order. */
static const struct {
	const char	*name;
	uint8_t		 num;
} protos[] = {
	{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmp6", 58 },
	{ "ipv6-icmp", 58 }, { "igmp", 2 }, { "gre", 47 }, { "esp", 50 },
	{ "ah", 51 }, { "sctp", 132 },
};

/* Decimal digits of s[0..n) into *v, at most max. */
static int
digits(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || *v > (max - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	return 0;
}

int
rule_number(const struct rule_tok *t, uint64_t max, uint64_t *v)
{
	static const char sfx[] = "kMGT";
	uint64_t mul = 1;
	size_t n = t->len;
	const char *p;

	if (n == 0)
		return -1;
	if ((p = memchr(sfx, t->s[n - 1], 4)) != NULL ||
	    t->s[n - 1] == 'K') {
		unsigned e = p ? (unsigned)(p - sfx) + 1 : 1;

		while (e--)
			mul *= 1000;
		n--;
	}
	if (digits(t->s, n, max, v) != 0 || *v > max / mul)
		return -1;
	*v *= mul;
	return 0;
}

int
rule_duration(const struct rule_tok *t, uint32_t *secs)
{
	static const struct { char c; uint32_t mul; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 },
	};
	uint64_t total = 0, v;
	size_t i = 0, start, u;

	if (digits(t->s, t->len, UINT32_MAX, &v) == 0) {	/* seconds */
		*secs = (uint32_t)v;
		return 0;
	}
	while (i < t->len) {
		for (start = i; i < t->len && t->s[i] >= '0' && t->s[i] <= '9';)
			i++;
		if (i == t->len || digits(t->s + start, i - start, UINT32_MAX,
		    &v) != 0)
			return -1;
		for (u = 0; u < 5 && units[u].c != t->s[i]; u++)
			;
		if (u == 5)
			return -1;
		total += v * units[u].mul;
		if (total > UINT32_MAX)
			return -1;
		i++;
	}
	*secs = (uint32_t)total;
	return 0;
}

static int
why_s(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
why_s(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int
port(const char *w, int range, union rule_val *v, char *why, size_t len)
{
	const char *dash = range ? strchr(w, '-') : NULL;
	size_t n = dash ? (size_t)(dash - w) : strlen(w);
	uint64_t lo, hi;

	if (digits(w, n, 65535, &lo) != 0)
		return why_s(why, len, range ? "\"%s\" is not a port (0-65535) "
		    "or a range LOW-HIGH" : "\"%s\" is not a port (0-65535)",
		    w);
	hi = lo;
	if (dash && digits(dash + 1, strlen(dash + 1), 65535, &hi) != 0)
		return why_s(why, len, "\"%s\" is not a port range LOW-HIGH "
		    "(0-65535)", w);
	if (hi < lo)
		return why_s(why, len, "\"%s\" is a backwards range", w);
	v->range.lo = (uint16_t)lo;
	v->range.hi = (uint16_t)hi;
	return 0;
}

static int
proto(const char *w, union rule_val *v, char *why, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcasecmp(w, protos[i].name) == 0) {
			v->num = protos[i].num;
			return 0;
		}
	if (digits(w, strlen(w), 255, &v->num) == 0)
		return 0;
	return why_s(why, len, "\"%s\" is not a protocol (tcp, udp, icmp, "
	    "icmp6, ipv6-icmp, igmp, gre, esp, ah, sctp or 0-255)", w);
}

/* ADDR, or ADDR/LEN when net is set; host bits must be clear. */
static int
cidr(const char *w, int net, union rule_val *v, char *why, size_t len)
{
	char buf[WORD_MAX];
	const char *slash = strchr(w, '/');
	size_t n = slash ? (size_t)(slash - w) : strlen(w);
	struct rule_cidr *c = &v->cidr;
	uint64_t plen;
	unsigned i, max;

	memcpy(buf, w, n);
	buf[n] = '\0';
	if ((slash && !net) || flow_addr_parse(&c->addr, buf) != 0)
		return why_s(why, len, net ? "\"%s\" is not an address or "
		    "prefix" : "\"%s\" is not an address", w);
	max = c->addr.af == 4 ? 32 : 128;
	plen = max;
	if (slash && (strlen(slash + 1) > 3 ||
	    digits(slash + 1, strlen(slash + 1), max, &plen) != 0))
		return why_s(why, len, "\"%s\": bad prefix length", w);
	c->plen = (uint8_t)plen;
	for (i = c->plen; i < max; i++)
		if (c->addr.a[i / 8] & (0x80u >> (i % 8)))
			return why_s(why, len, "\"%s\": host bits set", w);
	return 0;
}

static int
asn(const char *w, union rule_val *v, char *why, size_t len)
{
	const char *p = strncasecmp(w, "AS", 2) == 0 ? w + 2 : w;

	if (digits(p, strlen(p), UINT32_MAX, &v->num) != 0)
		return why_s(why, len, "\"%s\" is not an AS number (15169 or "
		    "AS15169)", w);
	return 0;
}

uint32_t
rule_cc(const char *s, size_t len)
{
	unsigned a, b;

	if (len != 2)
		return 0;
	a = (unsigned char)s[0] & ~0x20u;
	b = (unsigned char)s[1] & ~0x20u;
	if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z')
		return 0;
	return a << 8 | b;
}

static int
fold(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 'A' && u <= 'Z' ? u + ('a' - 'A') : u;
}

int
rule_app_cmp(const char *a, const char *b)
{
	size_t i;
	int x, y;

	for (i = 0; i < RULE_APP_MAX; i++) {
		x = fold(a[i]);
		y = fold(b[i]);
		if (x != y || x == 0)
			return x - y;
	}
	return 0;
}

static int
app(const char *w, union rule_val *v, char *why, size_t len)
{
	const char *p;

	if (*w == '\0' || strlen(w) >= RULE_APP_MAX)
		return why_s(why, len, "\"%s\" is not an application label "
		    "(1 to 31 characters)", w);
	for (p = w; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return why_s(why, len, "\"%s\": control character in "
			    "an application label", w);
	snprintf(v->app, sizeof(v->app), "%s", w);
	return 0;
}

int
rule_value(enum rule_kind k, const struct rule_tok *t, int range,
    union rule_val *v, char *why, size_t whylen)
{
	char w[WORD_MAX], show[64];

	memset(v, 0, sizeof(*v));
	if ((t->type != T_WORD && !(t->type == T_STR && k == K_APP)) ||
	    rule_tok_copy(t, w, sizeof(w)) != 0)
		return why_s(why, whylen, "%s is not a value here",
		    rule_tok_str(t, show, sizeof(show)));
	switch (k) {
	case K_PORT:
		return port(w, range, v, why, whylen);
	case K_PROTO:
		return proto(w, v, why, whylen);
	case K_HOST:
	case K_NET:
		return cidr(w, k == K_NET, v, why, whylen);
	case K_AS:
		return asn(w, v, why, whylen);
	case K_CC:
		if ((v->num = rule_cc(w, strlen(w))) == 0)
			return why_s(why, whylen, "\"%s\" is not a country "
			    "code (two letters)", w);
		return 0;
	case K_APP:
		return app(w, v, why, whylen);
	case K_COUNT:
		break;
	}
	if (rule_number(t, UINT64_MAX / 2, &v->num) != 0)
		return why_s(why, whylen, "\"%s\" is not a number (digits and "
		    "an optional k, M, G or T)", w);
	return 0;
}

int
rule_cidr_match(const struct rule_cidr *c, const struct flow_addr *a)
{
	unsigned bits = c->plen, i;

	if (a == NULL || c->addr.af != a->af)
		return 0;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (c->addr.a[i] != a->a[i])
			return 0;
	return bits == 0 || ((c->addr.a[i] ^ a->a[i]) >> (8 - bits)) == 0;
}
