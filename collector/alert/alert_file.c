/*
 * alert_file.c - the file sink: one det_json() line per detection.
 *
 * DESIGN
 * The file is opened O_APPEND in alert_new() (its directory created), so
 * a path the daemon cannot write is a start-up error.  Each detection is
 * one write(2) of the whole line: nothing sits in a stdio buffer, and a
 * reader (tail -F, a log shipper) never sees half a line from us.
 * alert_reopen() (SIGHUP after logrotate) makes the thread open the path
 * again before its next line.  A failed write is retried with the
 * core's backoff; the detection stays queued.
 *
 * Every string of the detection is made valid UTF-8 (utf8_fix(): a byte
 * that is not UTF-8 becomes '?') before det_json(): det_json() escapes
 * quotes, backslashes and control
 * characters but passes other bytes as they are, and a string from a flow
 * or an enrichment that is not UTF-8 would make the line invalid JSON
 * (RFC 8259 wants UTF-8; strict readers refuse the whole line).  The line
 * buffer is large enough for the longest detection det_json() can write,
 * so no detection is ever skipped for its size.
 *
 * A write that fails part way (disk full, a file size limit) would leave
 * half a line, and the retry would glue a whole line to it: the file is
 * cut back to where the line began.  When even that fails, the next line
 * starts with a newline, so the torn piece stays a line of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert_int.h"

struct file_sink {
	char	*path;
	int	 fd;
	int	 torn;		/* the last line may be unfinished */
};

static int
file_open(struct file_sink *f)
{
	int fd;

	fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (f->fd != -1)
		close(f->fd);
	f->fd = fd;
	return 0;
}

static int
file_init(struct alert_sink *s, const struct cfg *c,
    const struct cfg_alert *a, char *err, size_t errlen)
{
	struct file_sink *f;
	char *dir, *slash;

	(void)c;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(a->path)) == NULL) {
		if (f)
			free(f);
		snprintf(err, errlen, "[alert %s]: out of memory", a->name);
		return -1;
	}
	f->fd = -1;
	if ((dir = strdup(f->path)) != NULL &&
	    (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		(void)fs_mkdirs(dir, 0750, 0750, NULL);
	}
	free(dir);
	if (file_open(f) != 0) {
		snprintf(err, errlen, "[alert %s]: %s: %s", a->name, f->path,
		    strerror(errno));
		free(f->path);
		free(f);
		return -1;
	}
	alert_set_priv(s, f);
	return 0;
}

/*
 * Make the NUL-terminated s valid UTF-8 in place: every byte that does
 * not start a well-formed sequence (overlong, surrogate, beyond U+10FFFF,
 * cut short) becomes '?'.  Control characters stay: det_json() escapes
 * them.
 */
static void
utf8_fix(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n, i;
	uint32_t v, min;

	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			n = 2, v = *p & 0x1f, min = 0x80;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 3, v = *p & 0x0f, min = 0x800;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 4, v = *p & 0x07, min = 0x10000;
		else
			n = 0, v = 0, min = 0;
		for (i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)	/* also stops at NUL */
				break;
			v = (v << 6) | (p[i] & 0x3f);
		}
		if (n == 0 || i < n || v < min || v > 0x10ffff ||
		    (v >= 0xd800 && v <= 0xdfff)) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

#define CLEAN(c, f)	utf8_fix((c)->f)

/*
 * The longest det_json(): every string byte escaped as \u00XX (6 bytes),
 * plus names, numbers and addresses.
 */
#define FILE_LINE_MAX	(6 * sizeof(struct det) + 1024)

static int
file_deliver(struct alert_sink *s, const struct det *d, uint64_t deadline)
{
	struct file_sink *f = alert_priv(s);
	char line[FILE_LINE_MAX + 1];
	struct det c = *d;
	off_t end;
	int n, i, e;

	(void)deadline;
	CLEAN(&c, id);
	CLEAN(&c, rule);
	for (i = 0; i < DET_RULES_MAX; i++)
		CLEAN(&c, rules[i]);
	CLEAN(&c, group);
	CLEAN(&c, service);
	CLEAN(&c, app);
	CLEAN(&c, country);
	CLEAN(&c, as_org);
	CLEAN(&c, summary);
	if ((n = det_json(&c, line, sizeof(line) - 1)) < 0) {
		alert_warnx(s, "detection %s does not fit a line; skipped",
		    d->id);
		return 0;
	}
	line[n++] = '\n';
	if (f->fd == -1 && file_open(f) != 0) {
		alert_warnx(s, "%s: %s", f->path, strerror(errno));
		return -1;
	}
	if (f->torn) {
		if (alert_write_all(f->fd, "\n", 1, 0) != 0) {
			alert_warnx(s, "%s: %s", f->path, strerror(errno));
			return -1;
		}
		f->torn = 0;
	}
	end = lseek(f->fd, 0, SEEK_END);
	if (alert_write_all(f->fd, line, (size_t)n, 0) != 0) {
		e = errno;
		if (end == -1 || ftruncate(f->fd, end) != 0)
			f->torn = 1;
		alert_warnx(s, "%s: %s", f->path, strerror(e));
		return -1;
	}
	return 0;
}

static void
file_reopen(struct alert_sink *s)
{
	struct file_sink *f = alert_priv(s);

	if (file_open(f) != 0)
		alert_warnx(s, "reopening %s: %s", f->path, strerror(errno));
}

static void
file_fini(struct alert_sink *s)
{
	struct file_sink *f = alert_priv(s);

	if (f->fd != -1)
		close(f->fd);
	free(f->path);
	free(f);
}

const struct alert_ops alert_file_ops = {
	.init = file_init,
	.deliver = file_deliver,
	.reopen = file_reopen,
	.fini = file_fini,
};
