/*
 * sdnotify.h - systemd's readiness and watchdog protocol, without libsystemd.
 *
 * DESIGN
 * When $NOTIFY_SOCKET is set, one datagram per state change goes to that
 * unix socket ("READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1").
 * Outside systemd every call is a no-op.
 */
#ifndef FS_SDNOTIFY_H
#define FS_SDNOTIFY_H

#include <stdint.h>

int		sd_active(void);
void		sd_send(const char *state);
/* Watchdog interval in microseconds from $WATCHDOG_USEC, 0 when none. */
uint64_t	sd_watchdog_usec(void);

#endif
