/*
 * test_alert.c - the alert sinks (collector/alert/): the ring, the
 * severity filter, the syslog formats and their escaping, the mail and
 * its headers against hostile strings, the spool, and the file and syslog
 * sinks delivering through real files and sockets; and their faults
 * (HOSTILE D-2, D-3): a syslog socket nobody reads, a file or spool that
 * cannot grow (RLIMIT_FSIZE), strings that are not UTF-8 or escape to
 * more than a line.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "alert_int.h"
#include "log.h"

#define HOSTILE	"Evil \"Corp\"]\\\r\nBcc: victim@example.org\r\n\x01\xff"

static char tmpdir[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fs-alert-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	setenv("TZ", "UTC", 1);
	tzset();
	log_init(1, LOG_ERR, LOG_DAEMON);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The example detection, as the Redis hash would hold it. */
static const char *const sample_kv[] = {
	"id", "1763845123001", "ts", "1763845523456",	/* 21:05:23.456Z */
	"rule", "smtp-from-non-mail", "severity", "high",
	"rules", "unexpected-outbound", "host", "192.0.2.11", "group", "web",
	"dst", "198.51.100.7", "dport", "25", "proto", "6",
	"service", "tcp/25", "app", "SMTP", "country", "US", "asn", "64500",
	"as_org", "Example Net", "flows", "31", "bytes", "123456",
	"packets", "400", "first", "1763845400000", "last", "1763845500000",
	"exporter", "127.0.0.1", "summary", "192.0.2.11 sends mail",
};

static void
sample(struct det *d, int sev)
{
	assert_int_equal(det_from_fields(d, (char *const *)sample_kv,
	    sizeof(sample_kv) / sizeof(sample_kv[0])), 0);
	d->severity = sev;
}

static void
hostile(struct det *d)
{
	snprintf(d->as_org, sizeof(d->as_org), "%s", HOSTILE);
	snprintf(d->app, sizeof(d->app), "IRC\nSubject: x");
	snprintf(d->summary, sizeof(d->summary), "%s", HOSTILE);
	snprintf(d->group, sizeof(d->group), "g\r\n.\r\n");
}

static struct alert_sink *sink(const char *, ...)
    __attribute__((format(printf, 1, 2)));

/* A sink for the one [alert] section of text (not started). */
static struct alert_sink *
sink(const char *fmt, ...)
{
	char text[2048], err[CFG_ERR_MAX] = "";
	struct alert_sink *s;
	struct cfg *c;
	va_list ap;
	int n;

	n = snprintf(text, sizeof(text), "[collector]\nstate_dir = %s\n",
	    tmpdir);
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	c = cfg_load_string("t.conf", text, err, sizeof(err));
	if (c == NULL)
		fail_msg("config: %s", err);
	assert_int_equal(c->nalerts, 1);
	s = alert_new(c, &c->alerts[0], err, sizeof(err));
	cfg_free(c);
	if (s == NULL)
		fail_msg("alert_new: %s", err);
	return s;
}

/* Wait up to 10 s for the sink's delivered count to reach n. */
static void
wait_delivered(struct alert_sink *s, uint64_t n)
{
	struct alert_stats st;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 1000; i++) {
		alert_stats(s, &st);
		if (st.delivered >= n)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("delivered %llu of %llu", (unsigned long long)st.delivered,
	    (unsigned long long)n);
}

/* Wait up to 10 s for the sink's failure count to reach n. */
static void
wait_failures(struct alert_sink *s, uint64_t n)
{
	struct alert_stats st;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 1000; i++) {
		alert_stats(s, &st);
		if (st.failures >= n)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("failures %llu of %llu", (unsigned long long)st.failures,
	    (unsigned long long)n);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Is s[0..len) valid UTF-8 without control characters but TAB? */
static int
utf8_text(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] < 0x80) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 2, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			n = 3, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			n = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (i + n > len)
			return 0;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

/* A detection whose strings are as long and as hostile as they can be. */
static void
worst(struct det *d)
{
	int i;

	sample(d, 3);
	memset(d->summary, 0x01, sizeof(d->summary) - 1);
	d->summary[sizeof(d->summary) - 1] = '\0';
	memcpy(d->summary, "\xff\xfe\xc0\xaf\xed\xa0\x80%n%s", 11);
	memset(d->as_org, '"', sizeof(d->as_org) - 1);
	d->as_org[sizeof(d->as_org) - 1] = '\0';
	memset(d->app, '\\', sizeof(d->app) - 1);
	d->app[sizeof(d->app) - 1] = '\0';
	for (i = 0; i < DET_RULES_MAX; i++) {
		memset(d->rules[i], '\n', sizeof(d->rules[i]) - 1);
		d->rules[i][sizeof(d->rules[i]) - 1] = '\0';
	}
	d->nrules = DET_RULES_MAX;
	snprintf(d->group, sizeof(d->group), "\xc3\x28 \xe2\x80\xae rtl");
}

/* Limit the size of files this process writes (0: no limit). */
static void
fsize_limit(rlim_t bytes)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = bytes ? bytes : rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* ---- the core -------------------------------------------------------- */

static void
test_ring(void **state)
{
	struct alert_ring r;
	struct det d;
	int i;

	(void)state;
	assert_int_equal(alert_ring_init(&r, 3), 0);
	assert_null(alert_ring_peek(&r));
	memset(&d, 0, sizeof(d));
	for (i = 0; i < 3; i++) {
		snprintf(d.id, sizeof(d.id), "%d", i);
		assert_int_equal(alert_ring_put(&r, &d), 0);
	}
	assert_int_equal(alert_ring_put(&r, &d), -1);	/* full */
	assert_string_equal(alert_ring_peek(&r)->id, "0");
	alert_ring_pop(&r);
	/* Around the end of the array: the order holds. */
	snprintf(d.id, sizeof(d.id), "3");
	assert_int_equal(alert_ring_put(&r, &d), 0);
	for (i = 1; i <= 3; i++) {
		char want[4];

		snprintf(want, sizeof(want), "%d", i);
		assert_string_equal(alert_ring_peek(&r)->id, want);
		alert_ring_pop(&r);
	}
	assert_null(alert_ring_peek(&r));
	alert_ring_pop(&r);				/* harmless */
	assert_int_equal(r.n, 0);
	alert_ring_free(&r);
}

static void
test_filter_and_drop(void **state)
{
	struct alert_sink *s;
	struct alert_stats st;
	struct det d;
	int i;

	(void)state;
	s = sink("[alert file]\npath = %s/f.ndjson\nmin_severity = medium\n",
	    tmpdir);
	assert_string_equal(alert_name(s), "file");
	sample(&d, 1);
	assert_int_equal(alert_push(s, &d), 0);	/* filtered, not lost */
	sample(&d, 2);
	for (i = 0; i < ALERT_RING_CAP; i++)
		assert_int_equal(alert_push(s, &d), 0);
	assert_int_equal(alert_push(s, &d), -1);	/* the ring is full */
	alert_stats(s, &st);
	assert_int_equal(st.filtered, 1);
	assert_int_equal(st.queued, ALERT_RING_CAP);
	assert_int_equal(st.queue, ALERT_RING_CAP);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.delivered, 0);
	alert_free(s, 0);				/* never started */
}

/* ---- text ------------------------------------------------------------ */

static void
test_clean(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(alert_clean(buf, sizeof(buf), "a\r\nb\tc\x7f", 0),
	    "a  b c ");
	/* Valid UTF-8 stays, invalid bytes and C1 controls do not. */
	assert_string_equal(alert_clean(buf, sizeof(buf),
	    "T\xc3\xbcrk \xff\xc0\xaf \xc2\x85 \xe2\x80\xae", 0),
	    "T\xc3\xbcrk ??? \x20 \x20");
	assert_string_equal(alert_clean(buf, sizeof(buf), "T\xc3\xbcrk",
	    ALERT_CLEAN_ASCII), "T?rk");
	/* Cut at a character boundary, never inside one. */
	assert_string_equal(alert_clean(buf, 5, "abc\xc3\xbc", 0), "abc");
	assert_string_equal(alert_clean(buf, 6, "abc\xc3\xbc", 0),
	    "abc\xc3\xbc");
	/* A truncated sequence at the end. */
	assert_string_equal(alert_clean(buf, sizeof(buf), "x\xe2\x80", 0),
	    "x??");
	assert_string_equal(alert_proto_name(6, buf, sizeof(buf)), "tcp");
	assert_string_equal(alert_proto_name(253, buf, sizeof(buf)), "253");
}

/* ---- syslog ---------------------------------------------------------- */

static void
assert_one_line(const char *m)
{
	const unsigned char *p;

	for (p = (const unsigned char *)m; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fail_msg("control character 0x%02x at %zu in %s", *p,
			    (size_t)(p - (const unsigned char *)m), m);
}

static void
assert_prefix(const char *s, const char *want)
{
	if (strncmp(s, want, strlen(want)) != 0)
		fail_msg("\"%s\"\ndoes not start with\n\"%s\"", s, want);
}

static void
test_syslog_5424(void **state)
{
	struct det d;
	char m[ALERT_SYSLOG_MAX];
	int n;

	(void)state;
	sample(&d, 3);
	n = alert_syslog_format(m, sizeof(m), &d, ALERT_SYSLOG_5424,
	    LOG_DAEMON, "mon1.example.net", 4242);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(m));
	/* daemon (3) * 8 + LOG_ERR (3) */
	assert_prefix(m, "<27>1 2025-11-22T21:05:23.456Z mon1.example.net "
	    "flowsentry-alert 4242 detection [flowsentry@32473 "
	    "id=\"1763845123001\" ts=\"1763845523456\" "
	    "rule=\"smtp-from-non-mail\" severity=\"high\" "
	    "rules=\"unexpected-outbound\" host=\"192.0.2.11\" group=\"web\" "
	    "dst=\"198.51.100.7\" dst_scope=\"dst\" dport=\"25\" proto=\"6\" "
	    "service=\"tcp/25\" app=\"SMTP\" country=\"US\" asn=\"64500\" "
	    "as_org=\"Example Net\" ");
	assert_non_null(strstr(m, " exporter=\"127.0.0.1\" state=\"open\"] "
	    "smtp-from-non-mail (high): 192.0.2.11 sends mail"));
	assert_null(strstr(m, "summary="));
	assert_one_line(m);

	/* Hostile strings: one line, SD-PARAM escaping intact. */
	hostile(&d);
	d.severity = 4;
	n = alert_syslog_format(m, sizeof(m), &d, ALERT_SYSLOG_5424,
	    LOG_LOCAL3, "bad host\n", 1);
	assert_true(n > 0);
	assert_one_line(m);
	assert_prefix(m, "<154>1 ");	/* local3 19 * 8 + 2 */
	assert_non_null(strstr(m, " badhost flowsentry-alert 1 detection "));
	assert_non_null(strstr(m, "as_org=\"Evil \\\"Corp\\\"\\]\\\\  Bcc: "
	    "victim@example.org   ?\""));
	assert_non_null(strstr(m, "app=\"IRC Subject: x\""));
	/* The SD element ends where it should: at the first unescaped ']'. */
	{
		const char *p = strstr(m, "[flowsentry@32473");
		int inq = 0;

		for (; *p; p++) {
			if (*p == '\\' && inq) {
				p++;
				continue;
			}
			if (*p == '"')
				inq = !inq;
			if (*p == ']' && !inq)
				break;
		}
		assert_string_equal(p, "] smtp-from-non-mail (critical): Evil "
		    "\"Corp\"]\\  Bcc: victim@example.org   ?");
	}
	/* No summary: the text says who talked to whom. */
	sample(&d, 1);
	d.summary[0] = '\0';
	d.ts_ms = 0;			/* now */
	assert_true(alert_syslog_format(m, sizeof(m), &d, ALERT_SYSLOG_5424,
	    LOG_DAEMON, "h", 1) > 0);
	assert_prefix(m, "<29>1 2");
	assert_non_null(strstr(m, "] smtp-from-non-mail (low): 192.0.2.11 -> "
	    "198.51.100.7:25/tcp"));
	/* Too small a buffer: -1, not a cut message. */
	assert_int_equal(alert_syslog_format(m, 100, &d, ALERT_SYSLOG_5424,
	    LOG_DAEMON, "h", 1), -1);
}

static void
test_syslog_3164(void **state)
{
	struct det d;
	char m[ALERT_SYSLOG_MAX];

	(void)state;
	sample(&d, 2);
	assert_true(alert_syslog_format(m, sizeof(m), &d, ALERT_SYSLOG_3164,
	    LOG_USER, "mon1", 77) > 0);
	/* user (1) * 8 + LOG_WARNING (4); TZ is UTC here */
	assert_prefix(m, "<12>Nov 22 21:05:23 mon1 flowsentry-alert[77]: "
	    "[flowsentry@32473 id=\"1763845123001\"");
	assert_non_null(strstr(m, "] smtp-from-non-mail (medium): 192.0.2.11 "
	    "sends mail"));
	/* The local socket's format has no host. */
	d.ts_ms = 1764576000000ULL;		/* 2025-12-01: day padded */
	assert_true(alert_syslog_format(m, sizeof(m), &d, ALERT_SYSLOG_LOCAL,
	    LOG_USER, "mon1", 77) > 0);
	assert_prefix(m, "<12>Dec  1 08:00:00 flowsentry-alert[77]: [");
	hostile(&d);
	assert_true(alert_syslog_format(m, sizeof(m), &d, ALERT_SYSLOG_3164,
	    LOG_USER, "mon1", 77) > 0);
	assert_one_line(m);

	assert_int_equal(alert_syslog_level(4), LOG_CRIT);
	assert_int_equal(alert_syslog_level(3), LOG_ERR);
	assert_int_equal(alert_syslog_level(2), LOG_WARNING);
	assert_int_equal(alert_syslog_level(1), LOG_NOTICE);
}

/* A datagram socket bound at tmpdir/NAME. */
static int
unix_dgram(const char *name, char *path, size_t len)
{
	struct sockaddr_un sun;
	int fd;

	snprintf(path, len, "%s/%s", tmpdir, name);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static ssize_t
recv_wait(int fd, char *buf, size_t len)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&p, 1, 10000) != 1)
		return -1;
	n = recv(fd, buf, len - 1, 0);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void
test_syslog_unix(void **state)
{
	struct alert_sink *s;
	struct alert_stats st;
	struct det d;
	char path[300], m[ALERT_SYSLOG_MAX];
	int fd;

	(void)state;
	fd = unix_dgram("log.sock", path, sizeof(path));
	s = sink("[alert syslog]\nremote = unix:%s\nfacility = local0\n", path);
	assert_int_equal(alert_start(s), 0);
	sample(&d, 4);
	hostile(&d);
	assert_int_equal(alert_push(s, &d), 0);
	sample(&d, 1);
	assert_int_equal(alert_push(s, &d), 0);
	wait_delivered(s, 2);
	alert_stats(s, &st);
	assert_int_equal(st.up, 1);
	assert_int_equal(st.failures, 0);
	alert_free(s, 1000);
	assert_true(recv_wait(fd, m, sizeof(m)) > 0);
	assert_prefix(m, "<130>1 2025-11-22T21:05:23.456Z ");
	assert_one_line(m);
	assert_true(recv_wait(fd, m, sizeof(m)) > 0);
	assert_prefix(m, "<133>1 ");
	assert_non_null(strstr(m, "(low): 192.0.2.11 sends mail"));
	close(fd);
}

static void
test_syslog_backoff(void **state)
{
	struct alert_sink *s;
	struct alert_stats st;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct det d;
	char path[300], m[ALERT_SYSLOG_MAX];
	int fd, i;

	(void)state;
	snprintf(path, sizeof(path), "%s/late.sock", tmpdir);
	s = sink("[alert syslog]\nremote = unix:%s\n", path);
	assert_int_equal(alert_start(s), 0);
	sample(&d, 3);
	assert_int_equal(alert_push(s, &d), 0);
	/* No collector yet: the attempt fails, the detection stays. */
	for (i = 0; i < 500; i++) {
		alert_stats(s, &st);
		if (st.failures)
			break;
		nanosleep(&ts, NULL);
	}
	assert_true(st.failures >= 1);
	assert_int_equal(st.up, 0);
	assert_int_equal(st.queue, 1);
	fd = unix_dgram("late.sock", path, sizeof(path));
	wait_delivered(s, 1);				/* after 1 s */
	alert_stats(s, &st);
	assert_int_equal(st.up, 1);
	assert_int_equal(st.queue, 0);
	alert_free(s, 1000);
	assert_true(recv_wait(fd, m, sizeof(m)) > 0);
	assert_non_null(strstr(m, "id=\"1763845123001\""));
	close(fd);
}

static void
test_syslog_tcp(void **state)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct alert_sink *s;
	struct det d;
	char buf[3 * ALERT_SYSLOG_MAX], *p, *e;
	size_t off = 0;
	ssize_t n;
	long len;
	int lfd, fd, frames = 0;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	s = sink("[alert syslog]\nremote = tcp://127.0.0.1:%u\n",
	    ntohs(sin.sin_port));
	assert_int_equal(alert_start(s), 0);
	sample(&d, 3);
	hostile(&d);
	alert_push(s, &d);
	sample(&d, 2);
	alert_push(s, &d);
	wait_delivered(s, 2);
	alert_free(s, 1000);
	fd = accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	while ((n = read(fd, buf + off, sizeof(buf) - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	/* Octet counting: "LEN SP MSG", back to back. */
	for (p = buf; *p; p += len) {
		len = strtol(p, &e, 10);
		assert_true(e > p && *e == ' ');
		p = e + 1;
		assert_true(len > 0 && (size_t)len <= strlen(p));
		assert_memory_equal(p, "<", 1);
		assert_null(memchr(p, '\n', (size_t)len));
		frames++;
	}
	assert_int_equal(frames, 2);
	close(fd);
	close(lfd);
}

/*
 * HOSTILE D-2: a unix datagram socket nobody reads.  Its queue fills, the
 * send is given up after its time limit (the thread never blocks for
 * good), the detections wait in the bounded ring and the rest are counted
 * as dropped, and alert_free() keeps to its time.
 */
static void
test_syslog_unix_full(void **state)
{
	struct alert_sink *s;
	struct alert_stats st;
	struct det d;
	char path[300], m[ALERT_SYSLOG_MAX];
	uint64_t t0, pushed = 0, got = 0;
	int fd, i;

	(void)state;
	fd = unix_dgram("full.sock", path, sizeof(path));
	s = sink("[alert syslog]\nremote = unix:%s\n", path);
	assert_int_equal(alert_start(s), 0);
	sample(&d, 2);
	for (i = 0; i < ALERT_RING_CAP + 500; i++)
		pushed += alert_push(s, &d) == 0;
	wait_failures(s, 1);
	alert_stats(s, &st);
	assert_int_equal(st.up, 0);
	assert_true(st.delivered > 0 && st.delivered < 1000);
	assert_true(st.queue <= ALERT_RING_CAP);
	/* The ring holds ALERT_RING_CAP; what the socket took made room. */
	assert_true(st.dropped > 0);
	assert_true(st.dropped + st.delivered >= 500);
	assert_int_equal(st.queued + st.dropped, ALERT_RING_CAP + 500);
	assert_int_equal(st.queued, pushed);
	t0 = mono_ms();
	alert_free(s, 500);
	assert_true(mono_ms() - t0 < 4000);
	/* What the socket holds: whole messages, one per detection. */
	while (recv(fd, m, sizeof(m) - 1, MSG_DONTWAIT) > 0) {
		assert_prefix(m, "<28>1 ");
		got++;
	}
	assert_true(got >= st.delivered);
	close(fd);
}

/* ---- email ----------------------------------------------------------- */

static void
assert_crlf_only(const char *m, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (m[i] == '\n')
			assert_true(i > 0 && m[i - 1] == '\r');
		if (m[i] == '\r')
			assert_true(i + 1 < len && m[i + 1] == '\n');
	}
}

/* The value of header name in the header block of m, or NULL. */
static char *
header(const char *m, const char *name, char *buf, size_t len)
{
	const char *end = strstr(m, "\r\n\r\n"), *p = m, *nl;
	size_t nl_len = strlen(name);

	for (; p && p < end; p = nl ? nl + 2 : NULL) {
		nl = strstr(p, "\r\n");
		if (strncmp(p, name, nl_len) == 0 && p[nl_len] == ':') {
			snprintf(buf, len, "%.*s", (int)(nl - p - nl_len - 2),
			    p + nl_len + 2);
			return buf;
		}
	}
	return NULL;
}

static void
test_mail_build(void **state)
{
	char *to[] = { "noc@example.net", "Sec <sec@example.net>\r\nBcc: x" };
	struct alert_mailhdr h = { "flowsentry@example.net", to, 2,
	    "1.2.3.flowsentry@mon1", 1763845523456ULL };
	struct alert_buf b = { NULL, 0, 0, 0 };
	struct det d[3];
	char v[512], *end;
	const char *p;
	int nhdr = 0;

	(void)state;
	sample(&d[0], 3);
	hostile(&d[0]);
	assert_int_equal(alert_mail_build(&b, &h, d, 1), 0);
	assert_crlf_only(b.p, b.len);
	assert_string_equal(header(b.p, "Date", v, sizeof(v)),
	    "Sat, 22 Nov 2025 21:05:23 +0000");
	assert_string_equal(header(b.p, "From", v, sizeof(v)),
	    "flowsentry@example.net");
	assert_string_equal(header(b.p, "Subject", v, sizeof(v)),
	    "flowsentry: [high] smtp-from-non-mail on 192.0.2.11 -> "
	    "198.51.100.7:25/tcp");
	assert_string_equal(header(b.p, "Message-ID", v, sizeof(v)),
	    "<1.2.3.flowsentry@mon1>");
	assert_string_equal(header(b.p, "MIME-Version", v, sizeof(v)), "1.0");
	assert_string_equal(header(b.p, "Content-Type", v, sizeof(v)),
	    "text/plain; charset=utf-8");
	assert_non_null(strstr(b.p, "\r\nTo: noc@example.net,\r\n Sec "
	    "<sec@example.net>  Bcc: x\r\n"));
	/* Exactly the headers we wrote: nothing hostile added one. */
	end = strstr(b.p, "\r\n\r\n");
	for (p = b.p; p < end; p = strstr(p, "\r\n") + 2)
		if (*p != ' ')
			nhdr++;
	assert_int_equal(nhdr, 10);
	assert_null(header(b.p, "Bcc", v, sizeof(v)));
	/* The body: evidence, cleaned, and the allow command. */
	assert_non_null(strstr(end, "\r\n  Host:        192.0.2.11 (group g  .  )"
	    "\r\n"));
	assert_non_null(strstr(end, "\r\n  Destination: 198.51.100.7 port 25 "
	    "tcp, service tcp/25, app IRC Subject: x\r\n"));
	assert_non_null(strstr(end, "\r\n  AS:          AS64500 Evil \"Corp\"]\\"
	    "  Bcc: victim@example.org   ?\r\n"));
	assert_non_null(strstr(end, "\r\n  First seen:  2025-11-22 21:03:20 UTC"
	    "\r\n  Last seen:   2025-11-22 21:05:00 UTC\r\n"));
	assert_non_null(strstr(end, "\r\n  Traffic:     31 flows, 123456 bytes, "
	    "400 packets\r\n"));
	assert_non_null(strstr(end, "\r\n  To allow:    flowsentry allow "
	    "1763845123001 --scope host"));
	assert_null(strstr(end, "\r\n.\r\n"));
	assert_int_equal(alert_mail_count(b.p, b.len), 1);
	alert_buf_free(&b);

	/* A digest: counts by severity in the subject. */
	sample(&d[0], 4);
	sample(&d[1], 3);
	sample(&d[2], 3);
	assert_int_equal(alert_mail_build(&b, &h, d, 3), 0);
	assert_string_equal(header(b.p, "Subject", v, sizeof(v)),
	    "flowsentry: 3 new detections (1 critical, 2 high)");
	assert_non_null(strstr(b.p, "\r\n[3/3] smtp-from-non-mail (high)"));
	assert_int_equal(alert_mail_count(b.p, b.len), 3);
	assert_int_equal(alert_mail_count("Subject: x\r\n\r\nX-Flowsentry-"
	    "Detections: 5\r\n", 40), 0);	/* only in the headers */
	alert_buf_free(&b);
	assert_int_equal(alert_mail_build(&b, &h, d, 0), -1);
	alert_buf_free(&b);
}

static void
test_spool(void **state)
{
	char dir[300], name[128], name2[128], path[400], **names, *msg;
	size_t n, len, i;
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/spool/a/b", tmpdir);
	assert_int_equal(fs_mkdirs(dir, 0700, 0700, NULL), 0);
	assert_int_equal(fs_mkdirs(dir, 0700, 0700, NULL), 0);	/* exists: fine */
	assert_int_equal(alert_spool_write(dir, "one\r\n", 5, name,
	    sizeof(name)), 0);
	assert_int_equal(alert_spool_write(dir, "two", 3, name2,
	    sizeof(name2)), 0);
	assert_true(strcmp(name, name2) < 0);
	/* Leftovers of a crash, and files that are not mails. */
	snprintf(path, sizeof(path), "%s/.tmp-0000000000001-1-1.eml", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	snprintf(path, sizeof(path), "%s/README", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_int_equal(alert_spool_tidy(dir), 0);
	snprintf(path, sizeof(path), "%s/.tmp-0000000000001-1-1.eml", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(alert_spool_list(dir, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], name);
	assert_string_equal(names[1], name2);
	assert_int_equal(alert_spool_read(dir, names[0], &msg, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(msg, "one\r\n");
	free(msg);
	assert_int_equal(alert_spool_remove(dir, names[0]), 0);
	assert_int_equal(alert_spool_reject(dir, names[1]), 0);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	assert_int_equal(alert_spool_list(dir, &names, &n), 0);
	assert_int_equal(n, 0);
	free(names);
	assert_int_equal(alert_spool_read(dir, "nothing.eml", &msg, &len), -1);
	assert_int_equal(errno, ENOENT);
}

/* Detections pushed to an email sink that never ran are spooled, and a
 * new sink finds them. */
static void
test_email_spooled_across_restart(void **state)
{
	struct alert_sink *s;
	struct alert_stats st;
	struct det d;
	char dir[300], **names, *msg;
	size_t n, len, i, total = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/mailspool", tmpdir);
	s = sink("[alert email]\nurl = smtp://127.0.0.1:1\nfrom = fs@example.net\n"
	    "to = noc@example.net\nspool = %s\ndigest = 1h\n", dir);
	sample(&d, 2);
	alert_push(s, &d);
	alert_push(s, &d);
	sample(&d, 4);
	alert_push(s, &d);
	alert_stats(s, &st);
	assert_int_equal(st.queue, 3);
	assert_int_equal(st.spooled, 0);
	alert_free(s, 0);
	assert_int_equal(alert_spool_list(dir, &names, &n), 0);
	assert_int_equal(n, 2);		/* the critical one alone, a digest */
	for (i = 0; i < n; i++) {
		assert_int_equal(alert_spool_read(dir, names[i], &msg, &len), 0);
		total += alert_mail_count(msg, len);
		assert_true(strstr(msg, "Subject: flowsentry: 2 new detections "
		    "(2 medium)\r\n") != NULL || strstr(msg,
		    "Subject: flowsentry: [critical] ") != NULL);
		free(msg);
		free(names[i]);
	}
	free(names);
	assert_int_equal(total, 3);
	s = sink("[alert email]\nurl = smtp://127.0.0.1:1\nfrom = fs@example.net\n"
	    "to = noc@example.net\nspool = %s\n", dir);
	alert_stats(s, &st);
	assert_int_equal(st.spooled, 3);
	alert_free(s, 0);
	/* The default spool is STATE_DIR/spool/NAME, made at start. */
	s = sink("[alert email]\nurl = smtp://127.0.0.1:1\nfrom = fs@example.net\n"
	    "to = noc@example.net\n");
	snprintf(dir, sizeof(dir), "%s/spool/email", tmpdir);
	assert_int_equal(access(dir, W_OK), 0);
	alert_free(s, 0);
}

/* ---- file ------------------------------------------------------------ */

static size_t
count_lines(const char *path, char *first, size_t len)
{
	FILE *fp = fopen(path, "r");
	char line[DET_JSON_MAX + 2];
	size_t n = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		assert_non_null(strchr(line, '\n'));
		assert_memory_equal(line, "{\"id\":", 6);
		if (n++ == 0 && first)
			snprintf(first, len, "%s", line);
	}
	fclose(fp);
	return n;
}

static void
test_file_sink(void **state)
{
	struct alert_sink *s;
	struct det d;
	char path[300], moved[310], first[DET_JSON_MAX + 2];

	(void)state;
	snprintf(path, sizeof(path), "%s/log/alerts.ndjson", tmpdir);
	s = sink("[alert file]\npath = %s\n", path);
	assert_int_equal(access(path, W_OK), 0);	/* made at start */
	assert_int_equal(alert_start(s), 0);
	sample(&d, 3);
	hostile(&d);
	alert_push(s, &d);
	sample(&d, 1);
	alert_push(s, &d);
	alert_push(s, &d);
	wait_delivered(s, 3);
	assert_int_equal(count_lines(path, first, sizeof(first)), 3);
	assert_non_null(strstr(first, "\"as_org\":\"Evil \\\"Corp\\\"]\\\\"
	    "\\u000d\\u000aBcc"));
	/* logrotate: moved away, reopened, a new file. */
	snprintf(moved, sizeof(moved), "%s.1", path);
	assert_int_equal(rename(path, moved), 0);
	alert_reopen(s);
	alert_push(s, &d);
	wait_delivered(s, 4);
	alert_free(s, 1000);
	assert_int_equal(count_lines(moved, NULL, 0), 3);
	assert_int_equal(count_lines(path, NULL, 0), 1);

	/* A path that cannot be written is a start-up error. */
	{
		char text[512], err[CFG_ERR_MAX] = "";
		struct cfg *c;

		snprintf(text, sizeof(text), "[alert file]\npath = %s/f\n",
		    path);			/* a directory under a file */
		c = cfg_load_string("t.conf", text, err, sizeof(err));
		assert_non_null(c);
		assert_null(alert_new(c, &c->alerts[0], err, sizeof(err)));
		assert_non_null(strstr(err, "[alert file]: "));
		cfg_free(c);
	}
}

/*
 * HOSTILE D-3: no room for the spool (a file size limit stands in for a
 * full disk; SIGXFSZ ignored, as a daemon must).  The mail cannot be
 * spooled: counted as a failure, no temporary file left, the detection
 * kept; once there is room it is spooled.
 */
static void
test_email_spool_full(void **state)
{
	struct alert_sink *s;
	struct alert_stats st;
	struct det d;
	char dir[300], **names;
	size_t n, i;
	void (*old)(int) = signal(SIGXFSZ, SIG_IGN);

	(void)state;
	snprintf(dir, sizeof(dir), "%s/fullspool", tmpdir);
	s = sink("[alert email]\nurl = smtp://127.0.0.1:1\nfrom = fs@example.net"
	    "\nto = noc@example.net\nspool = %s\n", dir);
	fsize_limit(100);
	assert_int_equal(alert_start(s), 0);
	sample(&d, 4);			/* critical: a mail at once */
	assert_int_equal(alert_push(s, &d), 0);
	wait_failures(s, 1);
	alert_stats(s, &st);
	assert_int_equal(st.spooled, 0);
	assert_int_equal(st.queue, 1);
	assert_int_equal(alert_spool_list(dir, &names, &n), 0);
	assert_int_equal(n, 0);
	free(names);
	assert_int_equal(alert_spool_tidy(dir), 0);
	fsize_limit(0);
	for (i = 0; i < 500; i++) {	/* retried after 1 s */
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		alert_stats(s, &st);
		if (st.spooled)
			break;
		nanosleep(&ts, NULL);
	}
	assert_int_equal(st.spooled, 1);
	alert_free(s, 0);
	signal(SIGXFSZ, old);
	assert_int_equal(alert_spool_list(dir, &names, &n), 0);
	assert_int_equal(n, 1);
	free(names[0]);
	free(names);
}

/*
 * Strings that are not UTF-8, and a detection whose every string escapes
 * to its longest: still one line of valid UTF-8 JSON, never skipped.
 */
static void
test_file_sink_hostile(void **state)
{
	struct alert_sink *s;
	struct det d;
	char path[300];
	static char buf[65536];
	ssize_t n;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/hostile.ndjson", tmpdir);
	s = sink("[alert file]\npath = %s\n", path);
	assert_int_equal(alert_start(s), 0);
	worst(&d);
	assert_true(det_json(&d, buf, DET_JSON_MAX) > 2048);	/* it fits */
	alert_push(s, &d);
	sample(&d, 1);
	hostile(&d);
	alert_push(s, &d);
	wait_delivered(s, 2);
	alert_free(s, 1000);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 2048);
	buf[n] = '\0';
	{
		char *l1 = buf, *l2, *end = buf + n;

		assert_int_equal(end[-1], '\n');
		assert_non_null(l2 = memchr(buf, '\n', (size_t)n));
		l2++;
		assert_ptr_equal(memchr(l2, '\n', (size_t)(end - l2)), end - 1);
		assert_memory_equal(l1, "{\"id\":", 6);
		assert_memory_equal(l2, "{\"id\":", 6);
		assert_memory_equal(l2 - 2, "}", 1);
		assert_memory_equal(end - 2, "}", 1);
		assert_true(utf8_text((unsigned char *)l1,
		    (size_t)(l2 - 1 - l1)));
		assert_true(utf8_text((unsigned char *)l2,
		    (size_t)(end - 1 - l2)));
		assert_non_null(strstr(l1, "\"summary\":\"???????%n%s"
		    "\\u0001\\u0001"));
		assert_non_null(strstr(l1, "\"as_org\":\"\\\"\\\""));
		assert_non_null(strstr(l2, "\"as_org\":\"Evil \\\"Corp"
		    "\\\"]\\\\\\u000d\\u000aBcc: victim@example.org"
		    "\\u000d\\u000a\\u0001?\""));
	}
}

/*
 * A write that fails part way (the file size limit) leaves no half line:
 * the file is cut back, and the detection written whole when there is
 * room again.
 */
static void
test_file_sink_torn(void **state)
{
	struct alert_sink *s;
	struct stat sb;
	struct det d;
	char path[300];
	void (*old)(int) = signal(SIGXFSZ, SIG_IGN);

	(void)state;
	snprintf(path, sizeof(path), "%s/torn.ndjson", tmpdir);
	s = sink("[alert file]\npath = %s\n", path);
	assert_int_equal(alert_start(s), 0);
	sample(&d, 3);
	alert_push(s, &d);
	wait_delivered(s, 1);
	assert_int_equal(stat(path, &sb), 0);
	fsize_limit((rlim_t)sb.st_size + (rlim_t)sb.st_size / 2);
	alert_push(s, &d);
	wait_failures(s, 1);
	assert_int_equal(stat(path, &sb), 0);
	fsize_limit(0);
	assert_int_equal(count_lines(path, NULL, 0), 1);	/* not torn */
	wait_delivered(s, 2);
	alert_free(s, 1000);
	signal(SIGXFSZ, old);
	assert_int_equal(count_lines(path, NULL, 0), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_filter_and_drop),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_syslog_5424),
		cmocka_unit_test(test_syslog_3164),
		cmocka_unit_test(test_syslog_unix),
		cmocka_unit_test(test_syslog_backoff),
		cmocka_unit_test(test_syslog_tcp),
		cmocka_unit_test(test_mail_build),
		cmocka_unit_test(test_spool),
		cmocka_unit_test(test_email_spooled_across_restart),
		cmocka_unit_test(test_file_sink),
		cmocka_unit_test(test_syslog_unix_full),
		cmocka_unit_test(test_email_spool_full),
		cmocka_unit_test(test_file_sink_hostile),
		cmocka_unit_test(test_file_sink_torn),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
