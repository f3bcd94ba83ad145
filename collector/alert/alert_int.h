/*
 * alert_int.h - what the alert sinks share inside collector/alert/, and
 * the pieces the unit tests reach: the ring, the text cleaner, the syslog
 * and mail formatters, the spool.
 *
 * DESIGN
 * alert.c owns the struct alert_sink: the ring, the thread, the backoff
 * and the stats.  A sink kind is a table of operations (struct alert_ops)
 * run only on the sink's own thread (init and fini excepted), so a kind's
 * private state needs no lock.  deliver() gets one detection (a copy that
 * stays at the head of the ring until it returns 0); work(), when the kind
 * has one, does what is due without a new detection (the email digest and
 * spool).  A failure of either is backed off by alert.c.
 */
#ifndef FS_ALERT_INT_H
#define FS_ALERT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "mkdirs.h"

#define ALERT_RING_CAP		4096
#define ALERT_BACKOFF_MIN	1000u		/* ms */
#define ALERT_BACKOFF_MAX	300000u		/* 5 min */
#define ALERT_NEVER		UINT64_MAX
#define ALERT_APP		"flowsentry-alert"	/* syslog APP-NAME / tag */
#define ALERT_SD_ID		"flowsentry@32473"

/* ---- the core (alert.c) ---------------------------------------------- */

struct alert_ops {
	int		  local;	/* deliver() never leaves the host */
	/* In alert_new(): check and open what can be opened; 0 or -1. */
	int		(*init)(struct alert_sink *s, const struct cfg *c,
			    const struct cfg_alert *a, char *err, size_t errlen);
	/* 0 delivered (or taken over), -1 failed: retried after backoff. */
	int		(*deliver)(struct alert_sink *s, const struct det *d,
			    uint64_t deadline);
	/* When work() is next due (monotonic ms), ALERT_NEVER if not. */
	uint64_t	(*due)(struct alert_sink *s, int stopping);
	/* 0 or -1 (failed); adds the detections delivered to *n. */
	int		(*work)(struct alert_sink *s, uint64_t now, int stopping,
			    uint64_t deadline, uint64_t *n);
	void		(*reopen)(struct alert_sink *s);
	/* After the thread ended (or never ran): save what is left, free. */
	void		(*fini)(struct alert_sink *s);
};

extern const struct alert_ops alert_file_ops, alert_syslog_ops,
	alert_email_ops, alert_redis_ops;

/* The kind's private state, set by init(). */
void		*alert_priv(struct alert_sink *s);
void		 alert_set_priv(struct alert_sink *s, void *priv);
/* When alert_free() wants the thread gone (monotonic ms), or ALERT_NEVER. */
uint64_t	 alert_stop_at(struct alert_sink *s);
/* Gauge of detections waiting on disk (email). */
void		 alert_set_spooled(struct alert_sink *s, uint64_t n);
/* A warning about this sink, at most one a minute (the rest counted). */
void		 alert_warnx(struct alert_sink *s, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

uint64_t	 alert_now_ms(void);	/* monotonic */
uint64_t	 alert_wall_ms(void);	/* UTC ms since the epoch */

/* ---- the ring of detections (alert.c; the caller locks) -------------- */

struct alert_ring {
	struct det	*v;
	size_t		 cap, head, n;
};

int		 alert_ring_init(struct alert_ring *r, size_t cap);
void		 alert_ring_free(struct alert_ring *r);
int		 alert_ring_put(struct alert_ring *r, const struct det *d);
const struct det *alert_ring_peek(const struct alert_ring *r);
void		 alert_ring_pop(struct alert_ring *r);

/* ---- text (alert_text.c) --------------------------------------------- */

/* A growing buffer with a sticky error (out of memory). */
struct alert_buf {
	char	*p;
	size_t	 len, cap;
	int	 err;
};

void		 alert_buf_add(struct alert_buf *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 alert_buf_free(struct alert_buf *b);

#define ALERT_CLEAN_ASCII	0x1	/* printable US-ASCII only (headers) */
/*
 * Copy src into dst as one line of valid UTF-8 (or ASCII): control
 * characters (CR, LF, TAB, C1, U+2028/9) become spaces, bytes that are not
 * UTF-8 become '?'; cut at a character boundary.  Returns dst.
 */
char		*alert_clean(char *dst, size_t len, const char *src, int flags);
/* "tcp", "udp", "icmp" ... or the number. */
const char	*alert_proto_name(int proto, char *buf, size_t len);

/* ---- syslog (alert_syslog.c) ----------------------------------------- */

#define ALERT_SYSLOG_5424	0
#define ALERT_SYSLOG_3164	1
#define ALERT_SYSLOG_LOCAL	2	/* syslog(3)'s format for /dev/log */
#define ALERT_SYSLOG_MAX	4096
/*
 * One syslog message for d (no trailing newline, no framing); its length,
 * or -1.  host is the HOSTNAME field, pid the PROCID.
 */
int		 alert_syslog_format(char *buf, size_t len, const struct det *d,
		    int format, int facility, const char *host, long pid);
/* The syslog level of a detection's severity (LOG_CRIT ... LOG_NOTICE). */
int		 alert_syslog_level(int severity);

/* ---- email (alert_mail.c, alert_spool.c) ------------------------------ */

struct alert_mailhdr {
	const char	*from;
	char *const	*to;
	size_t		 nto;
	const char	*msgid;		/* without <> */
	uint64_t	 now_ms;	/* the Date: */
};

/* A whole message (CRLF lines) for n detections into b; 0 or -1. */
int		 alert_mail_build(struct alert_buf *b,
		    const struct alert_mailhdr *h, const struct det *d,
		    size_t n);
/* The number in the X-Flowsentry-Detections header of a message, or 0. */
size_t		 alert_mail_count(const char *msg, size_t len);

/* Store msg as a new file of dir (temporary file + rename); 0 or -1. */
int		 alert_spool_write(const char *dir, const char *msg, size_t len,
		    char *name, size_t namelen);
/* The spooled files of dir, oldest first (free each and the array). */
int		 alert_spool_list(const char *dir, char ***names, size_t *n);
/* A spooled file's contents (malloc'd, NUL-terminated); 0 or -1. */
int		 alert_spool_read(const char *dir, const char *name, char **msg,
		    size_t *len);
int		 alert_spool_remove(const char *dir, const char *name);
/* Rename a file that cannot be sent to NAME.bad; 0 or -1. */
int		 alert_spool_reject(const char *dir, const char *name);
/* Remove the temporary files a crash left behind; 0 or -1. */
int		 alert_spool_tidy(const char *dir);
/* All of buf to fd (send(MSG_NOSIGNAL) when sock); 0 or -1 (errno). */
int		 alert_write_all(int fd, const void *buf, size_t len, int sock);

#endif
