/*
 * log.h - the daemon's logging, after OpenBSD's log.c.
 *
 * DESIGN
 * log_init() picks stderr (foreground, -d) or syslog.  log_warn() appends
 * strerror(errno), log_warnx() does not; fatal()/fatalx() are for start-up
 * only.  Messages below the configured level are dropped before formatting.
 * struct log_limit rate-limits a warning that bad input can provoke at
 * line rate (one per interval, with the number suppressed in between).
 * Safe to call from any thread: each message is one write / syslog() call.
 */
#ifndef FS_LOG_H
#define FS_LOG_H

#include <stdint.h>
#include <syslog.h>

void	log_init(int foreground, int level, int facility);
void	log_setlevel(int level);
int	log_getlevel(void);
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* A rate limit: at most one message per `interval_ms`. */
struct log_limit {
	uint64_t	last_ms;
	uint64_t	suppressed;
};

/*
 * True when a message may be logged now; *suppressed gets the number held
 * back since the last one.
 */
int	log_limit_ok(struct log_limit *l, uint64_t now_ms, uint64_t interval_ms,
	    uint64_t *suppressed);

#endif
