/*
 * alert_spool.c - the email sink's spool: one file per mail.
 *
 * DESIGN
 * A mail is written to the spool before the relay is tried: into
 * ".tmp-NAME", fsync'd, renamed to NAME and the directory fsync'd, so a
 * crash leaves either nothing or the whole message.  NAME is
 * "MS-PID-SEQ.eml" with MS the wall-clock milliseconds zero-padded, so the
 * names sort in the order the mails were made and are sent in that order.
 * A mail is removed only after the relay accepted it: across a restart a
 * mail can at worst be sent twice (accepted but not yet removed), never
 * lost.  Files that do not end in ".eml" or start with '.' are not ours to
 * send.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert_int.h"

#define SPOOL_FILE_MAX	(16u << 20)	/* larger is not one of ours */

/* DIR/NAME into buf; 0, or -1 when too long. */
static int
spool_path(char *buf, size_t len, const char *dir, const char *pre,
    const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s%s", dir, pre, name) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
alert_write_all(int fd, const void *buf, size_t len, int sock)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		w = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
alert_spool_write(const char *dir, const char *msg, size_t len, char *name,
    size_t namelen)
{
	static unsigned seq;
	char tmp[4096], path[4096];
	int fd, dfd, e;

	if ((size_t)snprintf(name, namelen, "%013" PRIu64 "-%ld-%u.eml",
	    alert_wall_ms(), (long)getpid(),
	    __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED)) >= namelen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (spool_path(tmp, sizeof(tmp), dir, ".tmp-", name) != 0 ||
	    spool_path(path, sizeof(path), dir, "", name) != 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (alert_write_all(fd, msg, len, 0) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_mail(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && l > 4 && strcmp(n + l - 4, ".eml") == 0;
}

int
alert_spool_list(const char *dir, char ***names, size_t *n)
{
	DIR *dp;
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0, i;

	*names = NULL;
	*n = 0;
	if ((dp = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		if (!is_mail(de->d_name))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL)
			goto fail;
		cnt++;
	}
	closedir(dp);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return 0;
fail:
	closedir(dp);
	for (i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	errno = ENOMEM;
	return -1;
}

int
alert_spool_read(const char *dir, const char *name, char **msg, size_t *len)
{
	char path[4096], *buf;
	struct stat st;
	ssize_t r;
	size_t off = 0;
	int fd, e;

	*msg = NULL;
	*len = 0;
	if (spool_path(path, sizeof(path), dir, "", name) != 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > SPOOL_FILE_MAX) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	buf[off] = '\0';
	*msg = buf;
	*len = off;
	return 0;
}

int
alert_spool_remove(const char *dir, const char *name)
{
	char path[4096];

	if (spool_path(path, sizeof(path), dir, "", name) != 0)
		return -1;
	return unlink(path);
}

int
alert_spool_tidy(const char *dir)
{
	DIR *dp;
	struct dirent *de;
	char path[4096];

	if ((dp = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (strncmp(de->d_name, ".tmp-", 5) == 0 &&
		    spool_path(path, sizeof(path), dir, "", de->d_name) == 0)
			unlink(path);
	closedir(dp);
	return 0;
}

int
alert_spool_reject(const char *dir, const char *name)
{
	char from[4096], to[4096];

	if (spool_path(from, sizeof(from), dir, "", name) != 0 ||
	    (size_t)snprintf(to, sizeof(to), "%s.bad", from) >= sizeof(to))
		return -1;
	return rename(from, to);
}
