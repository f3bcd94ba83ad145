/*
 * log.c - stderr or syslog, levels, rate limits.  See log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int log_fg = 1;
static int log_level = LOG_INFO;

void
log_init(int foreground, int level, int facility)
{
	log_fg = foreground;
	log_level = level;
	if (!foreground)
		openlog("flowsentryd", LOG_PID | LOG_NDELAY, facility);
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

static void vlog(int, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	static const char *names[] = { "emerg", "alert", "crit", "error",
	    "warning", "notice", "info", "debug" };
	char msg[1024];
	int n;

	if (pri > log_getlevel())
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (suffix && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", suffix);
	if (log_fg) {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s: %s\n", when,
		    ts.tv_nsec / 1000000, names[pri & 7], msg);
	} else
		syslog(pri, "%s", msg);
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
