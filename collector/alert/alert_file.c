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

static int
file_deliver(struct alert_sink *s, const struct det *d, uint64_t deadline)
{
	struct file_sink *f = alert_priv(s);
	char line[DET_JSON_MAX + 1];
	int n;

	(void)deadline;
	if ((n = det_json(d, line, sizeof(line) - 1)) < 0) {
		alert_warnx(s, "detection %s does not fit a line; skipped",
		    d->id);
		return 0;
	}
	line[n++] = '\n';
	if (f->fd == -1 && file_open(f) != 0) {
		alert_warnx(s, "%s: %s", f->path, strerror(errno));
		return -1;
	}
	if (alert_write_all(f->fd, line, (size_t)n, 0) != 0) {
		alert_warnx(s, "%s: %s", f->path, strerror(errno));
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
