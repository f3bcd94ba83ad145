/*
 * log.c - stderr or syslog, levels, rate limits.  See log.h.
 *
 * Logging never waits (HOSTILE D-2): a worker logs from the packet path,
 * and a log that stops taking lines (journald or a syslog daemon that
 * hangs, a terminal or pipe nobody reads) must not stop the worker or the
 * daemon's shutdown.  So syslog mode keeps its own datagram socket to
 * /dev/log and sends with MSG_DONTWAIT (syslog(3) would block on a full
 * socket), and stderr is written only when it can take the line at once
 * (send(MSG_DONTWAIT) on a socket, as under systemd; poll() first on a
 * pipe or terminal: a line is shorter than PIPE_BUF, so it then goes in
 * whole).  A line that cannot go is counted, and the first line that goes
 * again is followed by one saying how many were lost.  The socket is
 * connected again when the syslog daemon went away and came back.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_PATH	"/dev/log"
#define LOG_IDENT	"flowsentryd"

static int log_fg = 1;
static int log_level = LOG_INFO;
static int log_facility = LOG_DAEMON;
static int log_sock = -1;		/* syslog mode: to /dev/log */
static int stderr_kind;			/* 0 unknown, 1 socket, 2 other */
static uint64_t log_lost;		/* lines that could not go */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

/*
 * (Re)connect the syslog socket; with log_mu held.  A new connection
 * takes the old one's descriptor number (dup3), so a thread still
 * sending on that number never reaches a descriptor opened meanwhile
 * for something else.
 */
static void
sock_open(void)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", LOG_PATH);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return;
	}
	if (log_sock == -1) {
		__atomic_store_n(&log_sock, fd, __ATOMIC_RELEASE);
		return;
	}
	(void)dup3(fd, log_sock, O_CLOEXEC);
	close(fd);
}

void
log_init(int foreground, int level, int facility)
{
	log_fg = foreground;
	log_level = level;
	log_facility = facility & LOG_FACMASK;
	if (!foreground) {
		pthread_mutex_lock(&log_mu);
		sock_open();
		pthread_mutex_unlock(&log_mu);
	}
}
void
log_setlevel(int level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

int
log_getlevel(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

/* All of line to stderr if it takes it now; 0 or -1. */
static int
put_stderr(const char *line, size_t len)
{
	struct pollfd p = { STDERR_FILENO, POLLOUT, 0 };
	int kind = __atomic_load_n(&stderr_kind, __ATOMIC_RELAXED);
	ssize_t n;

	if (kind != 2) {
		n = send(STDERR_FILENO, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n != -1 || errno != ENOTSOCK) {
			__atomic_store_n(&stderr_kind, 1, __ATOMIC_RELAXED);
			return n == (ssize_t)len ? 0 : -1;
		}
		__atomic_store_n(&stderr_kind, 2, __ATOMIC_RELAXED);
	}
	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT))
		return -1;
	do
		n = write(STDERR_FILENO, line, len);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

/* line to /dev/log without waiting; 0 or -1. */
static int
put_syslog(const char *line, size_t len)
{
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = __atomic_load_n(&log_sock, __ATOMIC_ACQUIRE);
		if (fd != -1 && send(fd, line, len, MSG_DONTWAIT |
		    MSG_NOSIGNAL) == (ssize_t)len)
			return 0;
		if (fd != -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS))
			return -1;		/* full: never wait */
		/* Not there, or the syslog daemon went away: connect anew. */
		pthread_mutex_lock(&log_mu);
		sock_open();
		pthread_mutex_unlock(&log_mu);
	}
	return -1;
}

/* One line, formatted for where it goes; 0 or -1 when it could not go. */
static int
put(int pri, const char *msg)
{
	static const char *names[] = { "emerg", "alert", "crit", "error",
	    "warning", "notice", "info", "debug" };
	static const char *mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char line[1300];
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (log_fg) {
		char when[32];

		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof(line), "%s.%03ldZ %s: %s\n", when,
		    ts.tv_nsec / 1000000, names[pri & 7], msg);
	} else {
		/* What syslog(3) writes to /dev/log. */
		localtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line), "<%d>%s %2d %02d:%02d:%02d "
		    LOG_IDENT "[%ld]: %s", log_facility | (pri & 7),
		    mon[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, (long)getpid(), msg);
	}
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	return log_fg ? put_stderr(line, (size_t)n) :
	    put_syslog(line, (size_t)n);
}

static void vlog(int, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];
	uint64_t lost;
	int n;

	if (pri > log_getlevel())
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (suffix && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", suffix);
	if (put(pri, msg) != 0) {
		__atomic_add_fetch(&log_lost, 1, __ATOMIC_RELAXED);
		return;
	}
	if ((lost = __atomic_exchange_n(&log_lost, 0, __ATOMIC_RELAXED)) != 0) {
		snprintf(msg, sizeof(msg), "%llu log message%s lost: the log "
		    "was not taking them", (unsigned long long)lost,
		    lost == 1 ? "" : "s");
		if (put(LOG_WARNING, msg) != 0)
			__atomic_add_fetch(&log_lost, lost, __ATOMIC_RELAXED);
	}
}

#define LOGFN(name, pri, witherr)					\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
	int saved = errno;						\
									\
	va_start(ap, fmt);						\
	vlog(pri, fmt, ap, witherr ? strerror(saved) : NULL);		\
	va_end(ap);							\
	errno = saved;							\
}

LOGFN(log_warn, LOG_WARNING, 1)
LOGFN(log_warnx, LOG_WARNING, 0)
LOGFN(log_notice, LOG_NOTICE, 0)
LOGFN(log_info, LOG_INFO, 0)
LOGFN(log_debug, LOG_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

int
log_limit_ok(struct log_limit *l, uint64_t now_ms, uint64_t interval_ms,
    uint64_t *suppressed)
{
	if (l->last_ms != 0 && now_ms - l->last_ms < interval_ms) {
		l->suppressed++;
		return 0;
	}
	*suppressed = l->suppressed;
	l->suppressed = 0;
	l->last_ms = now_ms;
	return 1;
}
