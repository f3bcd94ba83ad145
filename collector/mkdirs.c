/* mkdirs.c - mkdir -p (mkdirs.h). */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>

#include "mkdirs.h"

int
fs_mkdirs(const char *path, int parent_mode, int mode, int *created)
{
	char buf[4096], *p;

	if (created != NULL)
		*created = 0;
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + 1; *p; p++) {
		if (*p != '/' || p[1] == '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, (mode_t)parent_mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, (mode_t)mode) == -1)
		return errno == EEXIST ? 0 : -1;
	if (created != NULL)
		*created = 1;
	return 0;
}
