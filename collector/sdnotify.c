/*
 * sdnotify.c - see sdnotify.h.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

int
sd_active(void)
{
	const char *p = getenv("NOTIFY_SOCKET");

	return p != NULL && (p[0] == '/' || p[0] == '@');
}

void
sd_send(const char *state)
{
	const char *p = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	size_t plen;
	int fd;

	if (!sd_active() || (plen = strlen(p)) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, p, plen);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len);
	close(fd);
}

uint64_t
sd_watchdog_usec(void)
{
	const char *p = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");

	if (p == NULL || !sd_active())
		return 0;
	if (pid && strtol(pid, NULL, 10) != getpid())
		return 0;
	return strtoull(p, NULL, 10);
}
