/*
 * alert_syslog.c - the syslog sink: RFC 5424 (or RFC 3164) messages.
 *
 * DESIGN
 * One message per detection, written by alert_syslog_format():
 *
 *   <PRI>1 TIMESTAMP HOST flowsentry-alert PID detection
 *       [flowsentry@32473 id="..." rule="..." severity="..." ...] TEXT
 *
 * (RFC 3164: <PRI>Mmm dd hh:mm:ss HOST flowsentry-alert[PID]: [...] TEXT)
 * The structured data carries every field of det_fields() but the summary,
 * which is the TEXT; 32473 is IANA's example enterprise number.  Every
 * string goes through alert_clean() (no control character, valid UTF-8)
 * and SD-PARAM values escape '"', '\' and ']', so nothing from a flow can
 * end a frame or a parameter early.  PRI is the configured facility and
 * the detection's severity: critical LOG_CRIT, high LOG_ERR, medium
 * LOG_WARNING, low LOG_NOTICE.  APP-NAME flowsentry-alert keeps alerts
 * apart from the daemon's own log (contrib/rsyslog-flowsentry.conf).
 *
 * Where to: `remote = udp://HOST:PORT` (a datagram each, RFC 5426),
 * `tcp://HOST:PORT` (octet-counted frames "LEN SP MSG", RFC 6587) or
 * `unix:/PATH` (a datagram socket) in the configured format; without
 * remote, the local /dev/log in the format syslog(3) writes there
 * (<PRI>Mmm dd hh:mm:ss flowsentry-alert[PID]: MSG, no host): neither
 * journald nor rsyslog's imuxsock parses RFC 5424 headers on that socket,
 * and the program name must survive for the rsyslog rules to match.
 * A failed send closes the socket; the next attempt (after the core's
 * backoff) connects again, so a restarted collector is picked up.
 *
 * Every send has a time limit (SEND_TIMEOUT_MS, and never past the
 * deadline alert_free() set): a unix datagram socket whose reader stopped
 * reading (its queue full) or a TCP collector that stopped reading would
 * otherwise block the sink's thread for good, and with it the daemon's
 * shutdown.  A send that times out fails like any other: the detection
 * stays queued, the ring bounds what waits and counts what it drops.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "alert_int.h"

#define DEVLOG		"/dev/log"
#define TCP_TIMEOUT	5	/* seconds, connect */
#define SEND_TIMEOUT_MS	2000	/* each message */

enum dest { DEST_UNIX, DEST_UDP, DEST_TCP };

struct syslog_sink {
	enum dest	 dest;
	char		*path;		/* DEST_UNIX */
	char		*host;		/* DEST_UDP, DEST_TCP */
	char		*port;
	int		 format;	/* ALERT_SYSLOG_5424 ... */
	int		 facility;
	char		 hostname[256];
	long		 pid;
	int		 fd;
};

/* ---- formatting ------------------------------------------------------ */

int
alert_syslog_level(int severity)
{
	switch (severity) {
	case 4:
		return LOG_CRIT;
	case 3:
		return LOG_ERR;
	case 2:
		return LOG_WARNING;
	default:
		return LOG_NOTICE;
	}
}

/* An SD-PARAM value: cleaned, with " \ ] escaped. */
static void
sd_value(struct alert_buf *b, const char *v)
{
	char clean[1024];
	const char *p;

	alert_clean(clean, sizeof(clean), v, 0);
	for (p = clean; *p; p++) {
		if (*p == '"' || *p == '\\' || *p == ']')
			alert_buf_add(b, "\\%c", *p);
		else
			alert_buf_add(b, "%c", *p);
	}
}

static void
sd_element(struct alert_buf *b, const struct det *d)
{
	const char *names[DET_FIELDS_MAX], *values[DET_FIELDS_MAX];
	char store[4096];
	int n, i;

	alert_buf_add(b, "[" ALERT_SD_ID);
	n = det_fields(d, names, values, DET_FIELDS_MAX, store, sizeof(store));
	for (i = 0; i < n; i++) {
		if (values[i][0] == '\0' || strcmp(names[i], "summary") == 0)
			continue;
		alert_buf_add(b, " %s=\"", names[i]);
		sd_value(b, values[i]);
		alert_buf_add(b, "\"");
	}
	alert_buf_add(b, "]");
}

/* The human part: "RULE (SEVERITY): SUMMARY". */
static void
text(struct alert_buf *b, const struct det *d)
{
	char rule[sizeof(d->rule)], sum[sizeof(d->summary)];
	char h[64], t[64], pn[8];

	alert_clean(rule, sizeof(rule), d->rule, 0);
	alert_clean(sum, sizeof(sum), d->summary, 0);
	if (sum[0])
		alert_buf_add(b, "%s (%s): %s", rule, det_sev_name(d->severity),
		    sum);
	else
		alert_buf_add(b, "%s (%s): %s -> %s:%u/%s", rule,
		    det_sev_name(d->severity), flow_addr_str(&d->host, h,
		    sizeof(h)), flow_addr_str(&d->dst, t, sizeof(t)), d->dport,
		    alert_proto_name(d->proto, pn, sizeof(pn)));
}

/* HOSTNAME of RFC 5424: printable US-ASCII without spaces, or "-". */
static void
hostname_field(char *dst, size_t len, const char *host)
{
	size_t o = 0;

	for (; host && *host && o + 1 < len; host++)
		if (*host > 32 && *host < 127)
			dst[o++] = *host;
	if (o == 0 && len > 1)
		dst[o++] = '-';
	dst[o] = '\0';
}

int
alert_syslog_format(char *buf, size_t len, const struct det *d, int format,
    int facility, const char *host, long pid)
{
	static const char *mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct alert_buf b = { NULL, 0, 0, 0 };
	char hf[256];
	uint64_t ms = d->ts_ms ? d->ts_ms : alert_wall_ms();
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	int pri, n = -1;

	pri = (facility & LOG_FACMASK) | alert_syslog_level(d->severity);
	hostname_field(hf, sizeof(hf), host);
	if (format == ALERT_SYSLOG_5424) {
		gmtime_r(&t, &tm);
		alert_buf_add(&b, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%03uZ "
		    "%s " ALERT_APP " %ld detection ", pri, tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, (unsigned)(ms % 1000), hf, pid);
		sd_element(&b, d);
		alert_buf_add(&b, " ");
	} else {
		localtime_r(&t, &tm);
		alert_buf_add(&b, "<%d>%s %2d %02d:%02d:%02d ", pri,
		    mon[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
		if (format == ALERT_SYSLOG_3164)
			alert_buf_add(&b, "%s ", hf);
		alert_buf_add(&b, ALERT_APP "[%ld]: ", pid);
		sd_element(&b, d);
		alert_buf_add(&b, " ");
	}
	text(&b, d);
	if (!b.err && b.len < len) {
		memcpy(buf, b.p, b.len + 1);
		n = (int)b.len;
	}
	alert_buf_free(&b);
	return n;
}

/* ---- sending --------------------------------------------------------- */

/* "udp://HOST:PORT", "tcp://[V6]:PORT", "unix:/PATH"; 0 or -1. */
static int
parse_remote(struct syslog_sink *y, const char *r)
{
	const char *p, *end, *colon;

	if (strncmp(r, "unix:", 5) == 0) {
		if (r[5] != '/' || strlen(r + 5) >= sizeof(((struct
		    sockaddr_un *)0)->sun_path))
			return -1;
		y->dest = DEST_UNIX;
		return (y->path = strdup(r + 5)) ? 0 : -1;
	}
	if (strncmp(r, "udp://", 6) == 0)
		y->dest = DEST_UDP;
	else if (strncmp(r, "tcp://", 6) == 0)
		y->dest = DEST_TCP;
	else
		return -1;
	p = r + 6;
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL || end[1] != ':')
			return -1;
		p++;
		colon = end + 1;
	} else {
		if ((colon = strrchr(p, ':')) == NULL)
			return -1;
		end = colon;
	}
	if (end == p || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		return -1;
	y->host = strndup(p, (size_t)(end - p));
	y->port = strdup(colon + 1);
	return y->host && y->port ? 0 : -1;
}

static void
dest_close(struct syslog_sink *y)
{
	if (y->fd != -1)
		close(y->fd);
	y->fd = -1;
}

static int
dest_open(struct alert_sink *s, struct syslog_sink *y)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_un sun;
	struct timeval tv = { TCP_TIMEOUT, 0 };
	int fd = -1, e;

	if (y->dest == DEST_UNIX) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", y->path);
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd == -1 || connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1) {
			alert_warnx(s, "%s: %s", y->path, strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		y->fd = fd;
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = y->dest == DEST_TCP ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(y->host, y->port, &hints, &res)) != 0) {
		alert_warnx(s, "%s: %s", y->host, gai_strerror(e));
		return -1;
	}
	e = 0;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		/* On Linux SO_SNDTIMEO bounds connect() too. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		alert_warnx(s, "%s://%s:%s: %s", y->dest == DEST_TCP ? "tcp" :
		    "udp", y->host, y->port, strerror(e));
		return -1;
	}
	y->fd = fd;
	return 0;
}

/* Bound the sends on fd to SEND_TIMEOUT_MS and to the deadline. */
static void
send_timeout(int fd, uint64_t deadline)
{
	uint64_t ms = SEND_TIMEOUT_MS, now;
	struct timeval tv;

	if (deadline != ALERT_NEVER) {
		now = alert_now_ms();
		ms = deadline > now ? deadline - now : 1;
		if (ms > SEND_TIMEOUT_MS)
			ms = SEND_TIMEOUT_MS;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A TCP peer that closed (or sent anything: it never should). */
static int
tcp_gone(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	return recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) <= 0 ||
	    (p.revents & (POLLHUP | POLLERR));
}

static int
syslog_deliver(struct alert_sink *s, const struct det *d, uint64_t deadline)
{
	struct syslog_sink *y = alert_priv(s);
	char msg[ALERT_SYSLOG_MAX + 16];
	int n, hl, r;

	/* Room before the message for the octet count. */
	n = alert_syslog_format(msg + 16, ALERT_SYSLOG_MAX, d, y->format,
	    y->facility, y->hostname, y->pid);
	if (n < 0) {
		alert_warnx(s, "detection %s does not fit a message; skipped",
		    d->id);
		return 0;
	}
	if (y->fd != -1 && y->dest == DEST_TCP && tcp_gone(y->fd))
		dest_close(y);
	if (y->fd == -1 && dest_open(s, y) != 0)
		return -1;
	send_timeout(y->fd, deadline);
	if (y->dest == DEST_TCP) {
		char cnt[16];

		hl = snprintf(cnt, sizeof(cnt), "%d ", n);
		memcpy(msg + 16 - hl, cnt, (size_t)hl);
		r = alert_write_all(y->fd, msg + 16 - hl, (size_t)(n + hl), 1);
	} else
		r = send(y->fd, msg + 16, (size_t)n, MSG_NOSIGNAL) == n ? 0 :
		    -1;
	if (r != 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			alert_warnx(s, "sending to %s: not taken within %d ms "
			    "(its queue is full: is anything reading?)",
			    y->dest == DEST_UNIX ? y->path : y->host,
			    SEND_TIMEOUT_MS);
		else
			alert_warnx(s, "sending to %s: %s", y->dest == DEST_UNIX ?
			    y->path : y->host, strerror(errno));
		dest_close(y);
		return -1;
	}
	return 0;
}

static void
syslog_free(struct syslog_sink *y)
{
	dest_close(y);
	free(y->path);
	free(y->host);
	free(y->port);
	free(y);
}

static int
syslog_init(struct alert_sink *s, const struct cfg *c,
    const struct cfg_alert *a, char *err, size_t errlen)
{
	struct syslog_sink *y;

	(void)c;
	if ((y = calloc(1, sizeof(*y))) == NULL) {
		snprintf(err, errlen, "[alert %s]: out of memory", a->name);
		return -1;
	}
	y->fd = -1;
	y->facility = a->facility;
	y->pid = (long)getpid();
	if (gethostname(y->hostname, sizeof(y->hostname)) != 0)
		y->hostname[0] = '\0';
	y->hostname[sizeof(y->hostname) - 1] = '\0';
	if (a->remote == NULL) {
		y->dest = DEST_UNIX;
		y->format = ALERT_SYSLOG_LOCAL;
		y->path = strdup(DEVLOG);
	} else {
		y->format = a->rfc3164 ? ALERT_SYSLOG_3164 : ALERT_SYSLOG_5424;
		if (parse_remote(y, a->remote) != 0) {
			snprintf(err, errlen, "[alert %s]: remote \"%s\" is "
			    "not udp://HOST:PORT, tcp://HOST:PORT or "
			    "unix:/PATH", a->name, a->remote);
			syslog_free(y);
			return -1;
		}
	}
	if (y->dest == DEST_UNIX && y->path == NULL) {
		snprintf(err, errlen, "[alert %s]: out of memory", a->name);
		syslog_free(y);
		return -1;
	}
	alert_set_priv(s, y);
	return 0;
}

static void
syslog_reopen(struct alert_sink *s)
{
	dest_close(alert_priv(s));
}

static void
syslog_fini(struct alert_sink *s)
{
	syslog_free(alert_priv(s));
}

const struct alert_ops alert_syslog_ops = {
	.init = syslog_init,
	.deliver = syslog_deliver,
	.reopen = syslog_reopen,
	.fini = syslog_fini,
};
