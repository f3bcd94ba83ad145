/*
 * tmplstate.h - templates saved across restarts.
 *
 * DESIGN
 * Losing templates on restart loses every flow until each exporter re-sends
 * them (up to 30 minutes on some routers): the most common complaint about
 * peer collectors.  Each worker writes its cache to STATE_DIR/templates-N.state
 * (periodically and at exit; write to a temporary file, fsync, rename), and
 * at start every file is read and given to every worker, since the kernel's
 * SO_REUSEPORT hash need not put an exporter on the same worker again.
 *
 * The file is text, one template per line, framed by a header with a format
 * version and a trailer with the count; a file that does not parse, or is
 * cut short, is reported and ignored as a whole.  Templates older than the
 * maximum age are not restored.
 *
 * The cache ages templates on the worker's steady clock, which a step of
 * the wall clock leaves alone; the file holds wall times, so each time is
 * moved by the difference of the two clocks on save and back on restore:
 * what survives a restart is a template's age (one saved "later" than
 * the wall clock reads at restart, the clock having gone back, as fresh).
 */
#ifndef FS_TMPLSTATE_H
#define FS_TMPLSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "tmpl.h"

struct tmplstate;

/* to_wall_ms: added to the cache's times gives wall times (UTC ms). */
int	 tmplstate_save(struct tmpl_cache *tc, const char *path,
	    int64_t to_wall_ms, char *err, size_t errlen);
/* NULL with "PATH:LINE: reason" in err when the file is unusable. */
struct tmplstate *tmplstate_read(const char *path, char *err, size_t errlen);
/*
 * Put the templates into a cache whose clock reads now_ms while the wall
 * clock reads wall_ms; returns how many were restored.
 */
unsigned tmplstate_apply(const struct tmplstate *s, struct tmpl_cache *tc,
	    uint64_t wall_ms, uint64_t now_ms, uint64_t max_age_ms);
unsigned tmplstate_count(const struct tmplstate *s);
void	 tmplstate_free(struct tmplstate *s);

#endif
