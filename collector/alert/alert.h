/*
 * alert.h - alert sinks: syslog, email, NDJSON file, Redis stream.
 *
 * DESIGN
 * Each `[alert NAME]` section of the config becomes one sink with its own
 * thread and its own bounded queue of struct det copies.  alert_push()
 * never blocks: it copies the detection into the queue (or counts it
 * dropped when the queue is full), so a slow or dead sink never holds up
 * another sink, the detection manager, or the UDP path.  Each sink retries
 * with exponential backoff (1 s doubling to 5 min) while its far end is
 * down; the email sink also spools every pending mail to disk first, so
 * nothing accepted is lost across a restart.  Sinks filter by
 * min_severity themselves.
 *
 *   file    one det_json() line per detection, appended; reopened on
 *           SIGHUP (alert_reopen) for logrotate.
 *   syslog  RFC 5424 with structured data [flowsentry@32473 ...] (or
 *           RFC 3164), to the local /dev/log and, with `remote =
 *           udp://HOST:PORT` or `tcp://HOST:PORT` (octet-counted framing,
 *           RFC 6587), to a remote collector.
 *   email   libcurl SMTP (smtp:// with STARTTLS when offered or required,
 *           smtps://, AUTH with username/password): detections collected
 *           for `digest` seconds into one mail, critical ones sent at once;
 *           a readable body with the evidence and the exact `flowsentry
 *           allow` command for each.
 *   redis   XADD MAXLEN ~ maxlen to `stream` (fields of det_fields()).
 */
#ifndef FS_ALERT_H
#define FS_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "det.h"

struct alert_sink;

struct alert_stats {
	uint64_t	queued;		/* accepted by alert_push */
	uint64_t	delivered;	/* detections delivered */
	uint64_t	filtered;	/* below min_severity */
	uint64_t	dropped;	/* queue full */
	uint64_t	failures;	/* delivery attempts that failed */
	uint64_t	spooled;	/* gauge: waiting on disk (email) */
	uint64_t	queue;		/* gauge: waiting in memory */
	int		up;		/* the last attempt succeeded */
};

/*
 * A sink for section a of config c (c is read at creation only; the
 * strings needed are copied).  Spool and file paths are created here, so
 * permission problems are start-up errors.  NULL with a reason in err.
 */
struct alert_sink *alert_new(const struct cfg *c, const struct cfg_alert *a,
		    char *err, size_t errlen);
int		 alert_start(struct alert_sink *s);
/* Copy d into the sink's queue; 0, or -1 when dropped.  Never blocks. */
int		 alert_push(struct alert_sink *s, const struct det *d);
/* Reopen files (after logrotate); safe from any thread. */
void		 alert_reopen(struct alert_sink *s);
/*
 * Stop the thread: deliver what is queued for at most timeout_ms (email:
 * spool the rest), then join and free.
 */
void		 alert_free(struct alert_sink *s, uint32_t timeout_ms);
const char	*alert_name(const struct alert_sink *s);
void		 alert_stats(struct alert_sink *s, struct alert_stats *out);

#endif
