/*
 * fuzz_cfg.c - libFuzzer target: flowsentry.conf(5) (cfg_load_string).
 *
 * The input, NUL-terminated in a heap copy, is a whole config file.  A
 * refused one must leave a NUL-terminated "fuzz.conf:..." message in the
 * error buffer; an accepted one is walked in full (every string read,
 * every list element checked: prefixes with their host bits clear, listen
 * addresses of a known family, bounded values within their bounds) and
 * freed, so LeakSanitizer sees anything a failed or successful load leaks.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "common.h"

#define NAME	"fuzz.conf"

static size_t
str(const char *s)
{
	return s ? strlen(s) : 0;
}

static void
check_cidr(const char *what, const struct cfg_cidr *c)
{
	unsigned max = c->addr.af == 4 ? 32 : 128, i;

	FZ_CHECK(c->addr.af == 4 || c->addr.af == 6, "%s: family %u", what,
	    c->addr.af);
	FZ_CHECK(c->plen <= max, "%s: prefix length %u", what, c->plen);
	for (i = c->plen; i < max; i++)
		FZ_CHECK(!(c->addr.a[i / 8] & (0x80u >> (i % 8))),
		    "%s: host bit %u set in a /%u", what, i, c->plen);
	FZ_CHECK(cfg_cidr_match(c, &c->addr), "%s: does not match itself",
	    what);
}

static void
check_cidrs(const char *what, const struct cfg_cidr *c, size_t n)
{
	size_t i;

	FZ_CHECK(n <= CFG_MAX_LIST, "%s: %zu entries", what, n);
	FZ_CHECK(n == 0 || c != NULL, "%s: %zu entries, no array", what, n);
	for (i = 0; i < n; i++)
		check_cidr(what, &c[i]);
}

static size_t
check_strs(const char *what, char **s, size_t n)
{
	size_t i, sum = 0;

	FZ_CHECK(n <= CFG_MAX_LIST, "%s: %zu entries", what, n);
	for (i = 0; i < n; i++) {
		FZ_CHECK(s[i] != NULL, "%s[%zu] is NULL", what, i);
		sum += strlen(s[i]);
	}
	return sum;
}

static void
check_cfg(const struct cfg *c)
{
	size_t i, sum = 0;

	sum += str(c->path) + str(c->user) + str(c->state_dir) +
	    str(c->metrics) + str(c->redis_url) + str(c->redis_prefix) +
	    str(c->geoip_country) + str(c->geoip_asn);
	FZ_CHECK(c->nlisten <= CFG_MAX_LIST, "%zu listen", c->nlisten);
	for (i = 0; i < c->nlisten; i++)
		FZ_CHECK(c->listen[i].addr.af == 4 || c->listen[i].addr.af == 6,
		    "listen[%zu]: family %u", i, c->listen[i].addr.af);
	check_cidrs("exporters", c->exporters, c->nexporters);
	check_cidrs("local", c->local, c->nlocal);
	FZ_CHECK(c->nsampling <= CFG_MAX_LIST, "%zu sampling", c->nsampling);
	for (i = 0; i < c->nsampling; i++) {
		check_cidr("sampling", &c->sampling[i].exporter);
		FZ_CHECK(c->sampling[i].rate >= 1, "sampling rate 0");
	}
	FZ_CHECK(c->workers >= 1 && c->workers <= 64, "workers %u",
	    c->workers);
	FZ_CHECK(c->rcvbuf >= 65536 && c->rcvbuf <= 1u << 30, "rcvbuf %u",
	    c->rcvbuf);
	FZ_CHECK(c->tmpl_per_exporter >= 1 && c->tmpl_total >= 16,
	    "template caps %u/%u", c->tmpl_per_exporter, c->tmpl_total);
	for (i = 0; i < c->ngroups; i++) {
		FZ_CHECK(c->groups[i].name && *c->groups[i].name,
		    "group %zu without a name", i);
		FZ_CHECK(c->groups[i].nhosts > 0, "[group %s] without hosts",
		    c->groups[i].name);
		check_cidrs("hosts", c->groups[i].hosts, c->groups[i].nhosts);
	}
	sum += check_strs("rules", c->rules, c->nrules);
	sum += check_strs("whitelist", c->whitelist, c->nwhitelist);
	for (i = 0; i < c->nalerts; i++) {
		const struct cfg_alert *a = &c->alerts[i];

		FZ_CHECK(a->name && *a->name, "alert %zu without a name", i);
		FZ_CHECK(a->sink >= CFG_SINK_FILE && a->sink <= CFG_SINK_REDIS,
		    "[alert %s]: sink %d", a->name, (int)a->sink);
		FZ_CHECK(a->min_severity >= CFG_SEV_LOW &&
		    a->min_severity <= CFG_SEV_CRITICAL,
		    "[alert %s]: severity %d", a->name, (int)a->min_severity);
		FZ_CHECK(a->sink != CFG_SINK_FILE || a->path,
		    "[alert %s]: a file sink without a path", a->name);
		FZ_CHECK(a->sink != CFG_SINK_EMAIL ||
		    (a->url && a->from && a->nto > 0),
		    "[alert %s]: an email sink without url, from or to",
		    a->name);
		sum += str(a->path) + str(a->remote) + str(a->url) +
		    str(a->from) + str(a->username) + str(a->password) +
		    str(a->spool) + str(a->stream);
		sum += check_strs("to", a->to, a->nto);
	}
	FZ_CHECK(sum < ((size_t)1 << 40), "impossible total length");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CFG_ERR_MAX], *text;
	struct cfg *c;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(err, 0x5a, sizeof(err));
	c = cfg_load_string(NAME, text, err, sizeof(err));
	if (c == NULL) {
		FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL,
		    "error message not terminated");
		FZ_CHECK(strncmp(err, NAME, strlen(NAME)) == 0,
		    "error message does not name the file: %s", err);
	} else {
		FZ_CHECK(strcmp(c->path, NAME) == 0, "path %s", c->path);
		check_cfg(c);
		cfg_free(c);
	}
	free(text);
	return 0;
}
