/*
 * cmd_status.c - `flowsentry status [--metrics HOST:PORT] [--raw]`: the
 * daemon's metrics page, read with libcurl and printed for people.
 *
 * DESIGN
 * The metrics endpoint is the one source of truth for counters; this
 * command only reshapes it: daemon facts first, then one row per exporter,
 * then every decoder counter that is not zero.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct page {
	char	*p;
	size_t	 len;
};

static size_t
on_data(char *d, size_t sz, size_t n, void *arg)
{
	struct page *pg = arg;
	size_t add = sz * n;
	char *np;

	if (pg->len + add > (64u << 20))
		return 0;
	if ((np = realloc(pg->p, pg->len + add + 1)) == NULL)
		return 0;
	pg->p = np;
	memcpy(pg->p + pg->len, d, add);
	pg->len += add;
	pg->p[pg->len] = '\0';
	return add;
}

/* The value of an unlabelled metric, or -1. */
static double
value(const char *page, const char *name)
{
	const char *p = page;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == page || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

static void
print_exporters(const char *page)
{
	const char *p = page;
	char line[512];

	printf("\n%-40s %-9s %14s\n", "exporter", "proto", "datagrams");
	while ((p = strstr(p, "\nflowsentry_exporter_datagrams_total{"))) {
		char ex[128], proto[32];
		unsigned long long v;
		const char *e = strchr(p + 1, '\n');
		size_t l = e ? (size_t)(e - p - 1) : strlen(p + 1);

		if (l >= sizeof(line))
			l = sizeof(line) - 1;
		memcpy(line, p + 1, l);
		line[l] = '\0';
		if (sscanf(line, "flowsentry_exporter_datagrams_total{exporter="
		    "\"%127[^\"]\",proto=\"%31[^\"]\"} %llu", ex, proto, &v) == 3)
			printf("%-40s %-9s %14llu\n", ex, proto, v);
		p += 1;
	}
}

static void
print_nonzero(const char *page, const char *prefix, const char *title)
{
	const char *p = page;
	size_t n = strlen(prefix);
	int first = 1;

	while ((p = strstr(p, prefix)) != NULL) {
		if (p != page && p[-1] != '\n') {
			p += n;
			continue;
		}
		const char *sp = strchr(p, ' ');
		const char *e = strchr(p, '\n');

		if (sp && (!e || sp < e) && strtod(sp + 1, NULL) != 0) {
			if (first)
				printf("\n%s\n", title);
			first = 0;
			printf("  %-44.*s %s", (int)(sp - p - n), p + n,
			    e ? "" : "");
			printf("%.*s\n", (int)((e ? e : sp + strlen(sp)) -
			    sp - 1), sp + 1);
		}
		p += n;
	}
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "metrics", required_argument, NULL, 'm' },
		{ "raw", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addr = "127.0.0.1:9590";
	struct page pg = { NULL, 0 };
	char url[300], errbuf[CURL_ERROR_SIZE];
	CURL *c;
	int ch, raw = 0, rc = 1;
	long code = 0;

	while ((ch = getopt_long(argc, argv, "m:r", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			addr = optarg;
			break;
		case 'r':
			raw = 1;
			break;
		default:
			fprintf(stderr, "usage: flowsentry status [--metrics "
			    "HOST:PORT] [--raw]\n");
			return 1;
		}
	}
	snprintf(url, sizeof(url), "http://%s/metrics", addr);
	if ((c = curl_easy_init()) == NULL)
		return 1;
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &pg);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	if (curl_easy_perform(c) != CURLE_OK) {
		fprintf(stderr, "flowsentry status: %s: %s (is flowsentryd "
		    "running with metrics = %s?)\n", url, errbuf, addr);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200 || pg.p == NULL) {
		fprintf(stderr, "flowsentry status: %s: HTTP %ld\n", url, code);
		goto out;
	}
	if (raw) {
		fputs(pg.p, stdout);
	} else {
		printf("uptime            %.0f s\n", value(pg.p,
		    "flowsentry_uptime_seconds"));
		printf("workers           %.0f\n", value(pg.p,
		    "flowsentry_workers"));
		printf("datagrams         %.0f\n", value(pg.p,
		    "flowsentry_udp_datagrams_total"));
		printf("flow records      %.0f\n", value(pg.p,
		    "flowsentry_decode_records_total"));
		printf("templates         %.0f\n", value(pg.p,
		    "flowsentry_templates"));
		printf("kernel drops      %.0f\n", value(pg.p,
		    "flowsentry_udp_kernel_drops_total"));
		printf("config reloads    %.0f ok, %.0f refused\n", value(pg.p,
		    "flowsentry_config_reloads_total"), value(pg.p,
		    "flowsentry_config_reload_failures_total"));
		print_exporters(pg.p);
		print_nonzero(pg.p, "flowsentry_udp_", "transport:");
		print_nonzero(pg.p, "flowsentry_decode_", "decoder:");
	}
	rc = 0;
out:
	free(pg.p);
	curl_easy_cleanup(c);
	return rc;
}
