/*
 * audit.c - the audit trail of operator changes: an entry in the
 * PREFIXaudit stream (docs/redis.md) and the same line in syslog.
 *
 * DESIGN
 * The entry is queued inside the change's MULTI, with the PUBLISH that
 * tells collectors to reload, so Redis holds either the change with its
 * audit entry or neither.  Syslog (LOG_AUTH, for the SIEM) is written
 * only once EXEC has succeeded.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "cli.h"

#define AUDIT_MAXLEN	"100000"

const char *
audit_user(void)
{
	const char *u = getenv("SUDO_USER");
	struct passwd *pw;

	if (u == NULL || *u == '\0')
		u = getenv("USER");
	if ((u == NULL || *u == '\0') && (pw = getpwuid(getuid())) != NULL)
		u = pw->pw_name;
	return u && *u ? u : "unknown";
}

/* Read every queued reply; the last is EXEC's.  0 or -1 having said why. */
static int
exec_replies(struct cli *x)
{
	redisReply *r;
	int i, rc = 0;
	size_t k;

	for (i = 0; i < x->queued; i++) {
		if (redisGetReply(x->c, (void **)&r) != REDIS_OK) {
			x->queued = 0;
			return cli_redis_fail(x, x->c->errstr[0] ?
			    x->c->errstr : "connection lost");
		}
		if (rc == 0 && r->type == REDIS_REPLY_ERROR)
			rc = cli_redis_fail(x, r->str);
		else if (rc == 0 && i == x->queued - 1) {
			if (r->type != REDIS_REPLY_ARRAY)
				rc = cli_redis_fail(x, "transaction aborted");
			for (k = 0; rc == 0 && k < r->elements; k++)
				if (r->element[k]->type == REDIS_REPLY_ERROR)
					rc = cli_redis_fail(x,
					    r->element[k]->str);
		}
		freeReplyObject(r);
	}
	x->queued = 0;
	return rc;
}

int
audit_commit(struct cli *x, const char *action, const char *target,
    const char *detail, const char *publish)
{
	const char *user = audit_user();
	char ts[24];

	snprintf(ts, sizeof(ts), "%llu", (unsigned long long)cli_now_ms());
	if (cli_append(x, "XADD %saudit MAXLEN ~ " AUDIT_MAXLEN " * ts %s "
	    "user %s action %s target %s detail %s", x->P, ts, user, action,
	    target, detail) != 0)
		return -1;
	if (publish && cli_append(x, "PUBLISH %swl:changed %s", x->P,
	    publish) != 0)
		return -1;
	if (cli_append(x, "EXEC") != 0 || exec_replies(x) != 0)
		return -1;
	openlog("flowsentry", LOG_PID, LOG_AUTH);
	syslog(LOG_AUTH | LOG_NOTICE, "audit: user=%s action=%s target=%s "
	    "detail=%s", user, action, target, detail);
	closelog();
	return 0;
}
