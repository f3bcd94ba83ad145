/*
 * cli.h - the subcommands of the operator's tool, flowsentry(1), and what
 * the commands that read and change Redis share.
 *
 * DESIGN
 * A Redis command parses its options with getopt_long, passing -f/--config
 * and --redis to cli_opt (CLI_OPTS in its option table), then cli_open
 * loads the daemon's configuration (key prefix, groups, learning period)
 * and connects.  A change is one MULTI ... EXEC: cli_begin, the change's
 * commands (cli_append), then audit_commit adds the audit stream entry and
 * the PUBLISH, runs it and writes the same line to syslog, so a change and
 * its audit entry are stored together or not at all.  Every error is one
 * line on stderr starting "flowsentry: "; the commands exit 1 after one.
 */
#ifndef FS_CLI_H
#define FS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cfg;
struct det;
struct option;
struct redisContext;
struct redisReply;
struct wl_entry;

int	cmd_decode(int argc, char **argv);
int	cmd_replay(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_hosts(int argc, char **argv);
int	cmd_detections(int argc, char **argv);
int	cmd_show(int argc, char **argv);
int	cmd_ack(int argc, char **argv);
int	cmd_allow(int argc, char **argv);
int	cmd_whitelist(int argc, char **argv);
int	cmd_learn(int argc, char **argv);

#define CLI_DEFAULT_CONFIG	"/etc/flowsentry/flowsentry.conf"

/* One Redis command's session: its configuration and connection. */
struct cli {
	const char		*cfgpath;	/* -f, or the default */
	int			 cfg_given;	/* -f was given */
	const char		*url;		/* --redis, else the config's */
	struct cfg		*cf;
	const char		*P;		/* key prefix */
	struct redisContext	*c;
	const char		**groups;	/* the config's [group NAME]s */
	size_t			 ngroups;
	int			 queued;	/* replies owed (cli_append) */
};

/* In a struct option table: -f/--config FILE, --redis URL, --help. */
#define CLI_OPTS \
	{ "config", required_argument, NULL, 'f' }, \
	{ "redis", required_argument, NULL, 'r' }, \
	{ "help", no_argument, NULL, 'h' }
#define CLI_SHORTOPTS	"f:r:h"
#define CLI_USAGE	"[-f CONFIG] [--redis URL]"

void	 cli_init(struct cli *x);
/*
 * getopt_long (shortopts and opts including CLI_SHORTOPTS and CLI_OPTS)
 * taking -f, --redis and --help itself: the command's next own option,
 * -1 at the end, CLI_HELP (usage printed on stdout: exit 0) or CLI_BAD
 * (usage printed on stderr: exit 1).
 */
#define CLI_HELP	(-2)
#define CLI_BAD		(-3)
int	 cli_getopt(struct cli *x, int argc, char **argv,
	    const char *shortopts, const struct option *opts,
	    void (*usage)(FILE *));
/*
 * Load the configuration, then connect.  A configuration that does not
 * load is an error unless it is the default one and --redis was given
 * (then every default applies).  0, or -1 having said why.
 */
int	 cli_open(struct cli *x);
void	 cli_close(struct cli *x);
/* Connect (and AUTH, SELECT) to a Redis URL; NULL having said why. */
struct redisContext	*cli_connect(const char *url);
/* Say "flowsentry: Redis at URL: reason"; -1. */
int	 cli_redis_fail(const struct cli *x, const char *reason);
/*
 * One command (hiredis format: every %s is one argument).  The reply, or
 * NULL having said why (connection lost, an error reply).
 */
struct redisReply	*cli_cmd(struct cli *x, const char *fmt, ...);
/* MULTI, then queue commands; audit_commit runs them.  0 or -1. */
int	 cli_begin(struct cli *x);
int	 cli_append(struct cli *x, const char *fmt, ...);
/* Is NAME a [group NAME] of the configuration? */
int	 cli_group_known(const struct cli *x, const char *name);

/*
 * Queue the audit entry (PREFIXaudit: ts user action target detail) and,
 * when publish is not NULL, PUBLISH it on PREFIXwl:changed; run the
 * transaction cli_begin opened and log the entry to syslog (LOG_AUTH).
 * 0, or -1 having said why (then nothing was changed).
 */
int	 audit_commit(struct cli *x, const char *action, const char *target,
	    const char *detail, const char *publish);
/* Who runs the command: $SUDO_USER, $USER, else the passwd name. */
const char	*audit_user(void);

/* A duration (90, 90s, 5m, 1h30m, 7d, 2w); 0, or -1 having said why. */
int		 cli_duration(const char *s, uint32_t *secs);
/* Time helpers: now in UTC ms; ms as "YYYY-MM-DD HH:MM:SS" or RFC 3339. */
uint64_t	 cli_now_ms(void);
const char	*cli_time(uint64_t ms, int rfc3339, char *buf, size_t len);
/* A byte count in human units (1023, 1.2K, 3.4M ...; 1024-based). */
const char	*cli_bytes(uint64_t v, char *buf, size_t len);
/* A JSON string, quoted and escaped. */
void		 cli_json_str(FILE *fp, const char *s);
/* A decimal id (1 to 20 digits)? */
int		 cli_is_id(const char *s);

/* cmd_detect.c: detection ID from Redis; 0, 1 none, -1 said why. */
int	 cli_det_get(struct cli *x, const char *id, struct det *d);

/* cmd_wl.c: a new staff entry's author, created and source. */
void	 cli_wl_stamp(struct wl_entry *e);
/*
 * --expires: never or -, a duration from now (30d), or a date or time as
 * in flowsentry.whitelist(5); 0 or -1 having said why.
 */
int	 cli_wl_expiry(const char *s, uint64_t *ms);
/* Give e the next id (PREFIXwl:seq) and format it into line; 0 or -1. */
int	 cli_wl_number(struct cli *x, struct wl_entry *e, char *line,
	    size_t len);

#endif
