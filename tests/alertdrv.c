/*
 * alertdrv.c - drives the alert sinks without the daemon, for
 * tests/integration/test_alert.py.
 *
 * DESIGN
 * alertdrv -f CONF [-w WAIT_MS] [-t FREE_MS]
 *
 * Makes a sink of every [alert NAME] section of CONF and starts it, reads
 * detections from stdin (one a line: TAB-separated NAME=VALUE pairs with
 * the field names of det_fields(); \n \r \t \\ and \xHH escapes in values;
 * what a line leaves out comes from a fixed example detection, its id
 * numbered), pushes each to every sink, then waits at most WAIT_MS
 * (default 0) until every sink has delivered, filtered or dropped all of
 * them and its queue and spool are empty.  Prints one line
 * of stats a sink ("stats NAME queued=.. delivered=.. ..."), then "idle"
 * or "busy", and calls alert_free() with FREE_MS (default 1000).  Exit
 * 0, or 1 on a usage or configuration error.
 *
 * SIGPIPE is ignored, as flowsentryd does.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "cfg.h"
#include "det.h"
#include "log.h"

#define MAXSINKS	16

/* What a line leaves out, but for id, ts, first and last (from now). */
static const char *const example_kv[] = {
	"rule", "unexpected-outbound", "severity", "medium",
	"host", "192.0.2.11", "dst", "198.51.100.7", "dport", "6667",
	"proto", "6", "service", "tcp/6667", "app", "IRC", "country", "NL",
	"asn", "64500", "as_org", "Example Net", "flows", "3", "bytes", "4567",
	"packets", "21", "exporter", "127.0.0.1",
	"summary", "192.0.2.11 talks IRC",
};
#define NEXAMPLE	(sizeof(example_kv) / sizeof(example_kv[0]))

static void
unescape(char *s)
{
	char *o = s, hex[3];

	for (; *s; s++) {
		if (*s != '\\' || s[1] == '\0') {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'x':
			if (s[1] && s[2]) {
				hex[0] = s[1];
				hex[1] = s[2];
				hex[2] = '\0';
				*o++ = (char)strtoul(hex, NULL, 16);
				s += 2;
			}
			break;
		default:
			*o++ = *s;
			break;
		}
	}
	*o = '\0';
}

/*
 * The example detection seq with the fields of line over it (a later
 * pair wins in det_from_fields()); 0 or -1.
 */
static int
parse_line(struct det *d, char *line, unsigned seq)
{
	char *kv[8 + NEXAMPLE + 2 * DET_FIELDS_MAX], num[4][24];
	char *tok, *save, *eq;
	struct timespec now;
	unsigned long long ms;
	size_t i, n = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	ms = (unsigned long long)now.tv_sec * 1000 +
	    (unsigned long long)now.tv_nsec / 1000000;
	snprintf(num[0], sizeof(num[0]), "%u", 1000 + seq);
	snprintf(num[1], sizeof(num[1]), "%llu", ms);
	snprintf(num[2], sizeof(num[2]), "%llu", ms - 60000);
	snprintf(num[3], sizeof(num[3]), "%llu", ms - 1000);
	kv[n++] = "id";
	kv[n++] = num[0];
	kv[n++] = "ts";
	kv[n++] = num[1];
	kv[n++] = "first";
	kv[n++] = num[2];
	kv[n++] = "last";
	kv[n++] = num[3];
	for (i = 0; i < NEXAMPLE; i++)
		kv[n++] = (char *)example_kv[i];
	line[strcspn(line, "\n")] = '\0';
	for (tok = strtok_r(line, "\t", &save); tok;
	    tok = strtok_r(NULL, "\t", &save)) {
		if ((eq = strchr(tok, '=')) == NULL ||
		    n + 2 > sizeof(kv) / sizeof(kv[0]))
			return -1;
		*eq = '\0';
		unescape(eq + 1);
		kv[n++] = tok;
		kv[n++] = eq + 1;
	}
	return det_from_fields(d, kv, n);
}

static void
print_stats(const char *what, const char *name, const struct alert_stats *st)
{
	printf("%s %s queued=%llu delivered=%llu filtered=%llu dropped=%llu "
	    "failures=%llu spooled=%llu queue=%llu up=%d\n",
	    what, name, (unsigned long long)st->queued,
	    (unsigned long long)st->delivered,
	    (unsigned long long)st->filtered,
	    (unsigned long long)st->dropped,
	    (unsigned long long)st->failures,
	    (unsigned long long)st->spooled,
	    (unsigned long long)st->queue, st->up);
}

static int
idle(struct alert_sink **s, size_t n, uint64_t pushed)
{
	struct alert_stats st;
	size_t i;

	for (i = 0; i < n; i++) {
		alert_stats(s[i], &st);
		if (st.queue || st.spooled ||
		    st.delivered + st.filtered + st.dropped < pushed)
			return 0;
	}
	return 1;
}

int
main(int argc, char **argv)
{
	struct alert_sink *s[MAXSINKS];
	struct alert_stats st;
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	char err[CFG_ERR_MAX], line[8192];
	const char *conf = NULL;
	long wait_ms = 0, free_ms = 1000, waited;
	uint64_t pushed = 0;
	struct cfg *c;
	struct det d;
	size_t i, n = 0;
	int ch, done;

	while ((ch = getopt(argc, argv, "f:w:t:")) != -1) {
		switch (ch) {
		case 'f':
			conf = optarg;
			break;
		case 'w':
			wait_ms = atol(optarg);
			break;
		case 't':
			free_ms = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (conf == NULL || optind != argc)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	log_init(1, LOG_DEBUG, LOG_DAEMON);
	if ((c = cfg_load(conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "alertdrv: %s\n", err);
		return 1;
	}
	for (i = 0; i < c->nalerts && n < MAXSINKS; i++) {
		if ((s[n] = alert_new(c, &c->alerts[i], err, sizeof(err))) ==
		    NULL) {
			fprintf(stderr, "alertdrv: %s\n", err);
			return 1;
		}
		if (alert_start(s[n]) != 0)
			return 1;
		n++;
	}
	cfg_free(c);
	while (fgets(line, sizeof(line), stdin)) {
		if (parse_line(&d, line, (unsigned)pushed) != 0) {
			fprintf(stderr, "alertdrv: bad detection line %llu\n",
			    (unsigned long long)pushed + 1);
			return 1;
		}
		for (i = 0; i < n; i++)
			alert_push(s[i], &d);
		pushed++;
	}
	for (waited = 0; !(done = idle(s, n, pushed)) && waited < wait_ms;
	    waited += 20)
		nanosleep(&tick, NULL);
	for (i = 0; i < n; i++) {
		alert_stats(s[i], &st);
		print_stats("stats", alert_name(s[i]), &st);
	}
	printf("%s\n", done ? "idle" : "busy");
	fflush(stdout);
	for (i = 0; i < n; i++)
		alert_free(s[i], (uint32_t)free_ms);
	return 0;
usage:
	fprintf(stderr, "usage: alertdrv -f CONF [-w WAIT_MS] [-t FREE_MS] "
	    "< detections\n");
	return 1;
}
