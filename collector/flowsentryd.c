/*
 * flowsentryd.c - the daemon: start-up, signals, reload, shutdown.
 *
 * DESIGN
 * main() loads and checks the configuration (-n stops there), then either
 * runs a capture through one worker in this thread (-r) or binds every
 * socket for every worker, opens the metrics listener and the state
 * directory, drops privileges, restores templates and starts the workers.
 * The main thread then handles signals, the metrics endpoint, the systemd
 * watchdog and the detection manager (detmgr.h: the hits the workers'
 * rules report become detections, whitelist entries and alerts there);
 * all per-record work happens in the workers.
 *
 * SIGHUP loads the configuration, rules, whitelist files and alert sinks
 * beside the running ones and hands them over only when all of it
 * loaded; templates, counters and detection state are kept.
 * Keys that need the sockets or privileges again (listen, workers, user,
 * rcvbuf, state_dir, metrics) are reported as waiting for a restart.
 * SIGTERM/SIGINT stop the workers, which drain their sockets and save
 * their templates, and exit 0.
 */
#include <errno.h>
#include <glob.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "fsclock.h"
#include "cfg.h"
#include "detmgr.h"
#include "ingest.h"
#include "log.h"
#include "mkdirs.h"
#include "metrics.h"
#include "pcapsrc.h"
#include "sdnotify.h"
#include "tmplstate.h"
#include "worker.h"

#ifndef FS_VERSION
#define FS_VERSION "0.1.0"
#endif
#ifndef FS_CONFIG
#define FS_CONFIG "/etc/flowsentry/flowsentry.conf"
#endif

struct daemon {
	const char		*cfgpath;
	struct cfgref		*cfg;
	struct event_base	*base;
	struct worker		**w;
	uint32_t		 nw;
	struct metrics		*metrics;
	struct geo_db		*geo;
	struct detmgr		*dm;		/* rules, whitelist, alerts */
	uint64_t		 start_ms;
	uint64_t		 reloads_ok, reloads_failed;
	uint32_t		 rcvbuf_got;
	int			 debug;
	FILE			*dump;		/* -D: every record as NDJSON */
	pthread_mutex_t		 dump_mtx;
};

/*
 * -D FILE: each record a worker decodes, as `flowsentry decode --all`
 * prints it, so tests and people can compare the daemon's decoding with
 * the offline one.  Workers share the file under a mutex; debugging only.
 */
static void
dump_record(void *arg, const struct flow_rec *r)
{
	struct daemon *d = arg;
	char buf[4096];

	if (flow_json(r, buf, sizeof(buf)) < 0)
		return;
	pthread_mutex_lock(&d->dump_mtx);
	fputs(buf, d->dump);
	fputc('\n', d->dump);
	fflush(d->dump);
	pthread_mutex_unlock(&d->dump_mtx);
}

static void
usage(void)
{
	fprintf(stderr, "usage: flowsentryd [-dnv] [-D dump] [-f config] "
	    "[-r capture]\n"
	    "  -d          stay in the foreground, log to stderr\n"
	    "  -D FILE     append every decoded record to FILE as NDJSON "
	    "(- for stdout)\n"
	    "  -f FILE     configuration (default %s)\n"
	    "  -n          check the configuration and exit 0 or 1\n"
	    "  -r FILE     run a capture of exports through the pipeline, "
	    "then exit\n"
	    "  -v          log debug messages\n", FS_CONFIG);
	exit(1);
}

static void
collect(void *arg, struct metrics_view *v)
{
	struct daemon *d = arg;
	uint32_t i;

	for (i = 0; i < d->nw; i++)
		worker_snapshot_add(d->w[i], &v->snap);
	v->start_ms = d->start_ms;
	v->now_ms = fs_mono_ms();
	v->reloads_ok = d->reloads_ok;
	v->reloads_failed = d->reloads_failed;
	v->workers = d->nw;
	v->rcvbuf_asked = d->cfg->cfg->rcvbuf;
	v->rcvbuf_got = d->rcvbuf_got;
	v->version = FS_VERSION;
	if (d->dm) {
		size_t n;

		v->detection = 1;
		detmgr_stats(d->dm, &v->dm);
		for (n = 0; n < METRICS_MAX_SINKS && detmgr_sink_stats(d->dm,
		    n, &v->sinks[n].name, &v->sinks[n].st) == 0; n++)
			;
		v->nsinks = n;
	}
}

/* ---- detection --------------------------------------------------------- */

/* New rules or whitelist from the manager: to every worker. */
static void
publish_det(void *arg, struct detref *ref)
{
	struct daemon *d = arg;
	uint32_t i;

	for (i = 0; i < d->nw; i++)
		worker_set_detref(d->w[i], ref);
}

/*
 * Rules, whitelist files and alert sinks (after the privilege drop: the
 * sinks create their files and spools as the daemon's user).  The sinks'
 * threads start in start_detection, after daemon(3).
 */
static void
open_detection(struct daemon *d)
{
	char err[CFG_ERR_MAX];
	uint32_t i;

	if ((d->dm = detmgr_new(d->base, d->cfg->cfg, 0, err, sizeof(err)))
	    == NULL)
		fatalx("%s", err);
	for (i = 0; i < d->nw; i++)
		if (worker_set_detect(d->w[i], detmgr_queue(d->dm)) == -1)
			fatalx("detection: out of memory");
}

static void
start_detection(struct daemon *d)
{
	if (detmgr_start(d->dm, publish_det, d) == -1)
		fatal("starting detection");
}

/* ---- -r: a capture through one worker, in this thread ---------------- */

static void
replay_cb(void *arg, const struct dec_in *in, const uint8_t *p, size_t len,
    uint64_t frame)
{
	(void)frame;
	worker_datagram(arg, in, p, len);
}

static int
run_capture(struct daemon *d, const char *path)
{
	struct pcapsrc_stats ps;
	struct metrics_view v;
	struct worker *w;
	char err[512];
	int rc;

	if ((w = worker_new(0, d->cfg, d->geo, NULL, 0, NULL, 0, NULL, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	d->w = &w;
	d->nw = 1;
	if (d->dump)
		worker_set_sink(w, dump_record, d);
	if (evthread_use_pthreads() != 0 ||
	    (d->base = event_base_new()) == NULL)
		fatalx("no event base");
	open_detection(d);
	start_detection(d);
	/* The whitelist, learning and suppression state in Redis first. */
	detmgr_drain(d->dm, 5000);
	memset(&ps, 0, sizeof(ps));
	rc = pcapsrc_read(path, replay_cb, w, &ps, err, sizeof(err));
	if (rc == -1) {
		log_warnx("%s", err);
		detmgr_free(d->dm, 0);
		worker_free(w);
		event_base_free(d->base);
		return 1;
	}
	if (rc == -2)
		log_warnx("%s (the datagrams before it were processed)", err);
	worker_detect_drain(w);
	detmgr_drain(d->dm, 10000);
	worker_flush_wait(w, 10000);
	worker_publish(w);
	memset(&v, 0, sizeof(v));
	if (exstats_init(&v.snap.ex, 4 * EXSTATS_DEF_CAP) == 0) {
		collect(d, &v);
		log_info("%s: %llu frames, %llu datagrams, %llu flow records, "
		    "%llu datagrams not wholly decoded", path,
		    (unsigned long long)ps.frames,
		    (unsigned long long)v.snap.in.datagrams,
		    (unsigned long long)v.snap.dec.records,
		    (unsigned long long)(v.snap.in.datagrams -
		    v.snap.dec.dgram_nf5 - v.snap.dec.dgram_nf9 -
		    v.snap.dec.dgram_ipfix - v.snap.dec.dgram_sflow));
		if (v.detection)
			log_info("%s: %llu detections, %llu whitelist entries "
			    "learned", path,
			    (unsigned long long)v.dm.detections,
			    (unsigned long long)v.dm.learned);
		exstats_free(&v.snap.ex);
	}
	detmgr_free(d->dm, 10000);
	d->dm = NULL;
	worker_free(w);
	event_base_free(d->base);
	d->base = NULL;
	d->w = NULL;
	d->nw = 0;
	return 0;
}

/* ---- daemon start-up ------------------------------------------------- */

/* The state directory (0750, owned by uid:gid when made now). */
static int
mkdir_p(const char *path, uid_t uid, gid_t gid)
{
	int made;

	if (fs_mkdirs(path, 0755, 0750, &made) == -1)
		return -1;
	if (made && uid != (uid_t)-1 && chown(path, uid, gid) == -1)
		return -1;
	return 0;
}

static void
drop_privileges(const struct cfg *c)
{
	struct passwd *pw;

	if (geteuid() != 0) {
		log_debug("not started as root: running as uid %u",
		    (unsigned)geteuid());
		return;
	}
	if ((pw = getpwnam(c->user)) == NULL)
		fatalx("%s: user \"%s\" does not exist (create it, e.g. "
		    "useradd --system %s, or set user = in [collector])",
		    c->path, c->user, c->user);
	if (mkdir_p(c->state_dir, pw->pw_uid, pw->pw_gid) == -1)
		fatal("state_dir %s", c->state_dir);
	if (chown(c->state_dir, pw->pw_uid, pw->pw_gid) == -1)
		log_warn("chown %s", c->state_dir);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("dropping privileges to %s", c->user);
	log_debug("running as %s", c->user);
}

static size_t
read_states(const char *dir, struct tmplstate ***out)
{
	char pat[4096], err[512];
	struct tmplstate **v = NULL, *s;
	glob_t g;
	size_t i, n = 0;

	*out = NULL;
	snprintf(pat, sizeof(pat), "%s/templates-*.state", dir);
	if (glob(pat, 0, NULL, &g) != 0)
		return 0;
	if ((v = calloc(g.gl_pathc, sizeof(*v))) == NULL) {
		globfree(&g);
		return 0;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		if ((s = tmplstate_read(g.gl_pathv[i], err, sizeof(err)))
		    == NULL) {
			log_warnx("%s; template state ignored", err);
			continue;
		}
		v[n++] = s;
	}
	globfree(&g);
	*out = v;
	return n;
}

static void
open_workers(struct daemon *d)
{
	const struct cfg *c = d->cfg->cfg;
	struct tmplstate **states;
	size_t nstates, i, j;
	char err[512], name[80], path[4096];
	uint32_t got;

	if ((d->w = calloc(c->workers, sizeof(*d->w))) == NULL)
		fatal("workers");
	/* Every socket first, while still privileged. */
	struct worker_sock *all = calloc((size_t)c->workers * c->nlisten,
	    sizeof(*all));
	if (all == NULL)
		fatal("sockets");
	for (i = 0; i < c->workers; i++)
		for (j = 0; j < c->nlisten; j++) {
			struct worker_sock *s = &all[i * c->nlisten + j];

			s->la = c->listen[j];
			s->fd = ingest_open(&c->listen[j], c->rcvbuf,
			    c->workers > 1, &got, err, sizeof(err));
			if (s->fd == -1)
				fatalx("%s", err);
			if (i == 0 && j == 0) {
				d->rcvbuf_got = got;
				if (got < c->rcvbuf)
					log_warnx("rcvbuf: asked for %u bytes, "
					    "the kernel granted %u; raise "
					    "net.core.rmem_max or run with "
					    "CAP_NET_ADMIN to avoid drops",
					    c->rcvbuf, got);
			}
			if (i == 0)
				log_info("listening on %s (udp)",
				    ingest_listen_str(&c->listen[j], name,
				    sizeof(name)));
		}
	if (c->metrics) {
		if ((d->metrics = metrics_new(d->base, c->metrics, collect, d,
		    err, sizeof(err))) == NULL)
			fatalx("%s", err);
		log_info("metrics on http://%s/metrics", c->metrics);
	}
	if (geteuid() != 0 && mkdir_p(c->state_dir, (uid_t)-1, (gid_t)-1))
		fatal("state_dir %s", c->state_dir);
	drop_privileges(c);

	nstates = read_states(c->state_dir, &states);
	for (i = 0; i < c->workers; i++) {
		snprintf(path, sizeof(path), "%s/templates-%zu.state",
		    c->state_dir, i);
		d->w[i] = worker_new((int)i, d->cfg, d->geo,
		    &all[i * c->nlisten],
		    c->nlisten, states, nstates, path, err, sizeof(err));
		if (d->w[i] == NULL)
			fatalx("%s", err);
		if (d->dump)
			worker_set_sink(d->w[i], dump_record, d);
		d->nw++;
	}
	for (i = 0; i < nstates; i++)
		tmplstate_free(states[i]);
	free(states);
	free(all);
}

/* Threads last: daemon(3) forks, and a fork keeps only the caller. */
static void
start_workers(struct daemon *d)
{
	uint32_t i;

	for (i = 0; i < d->nw; i++)
		if (worker_start(d->w[i]) == -1)
			fatal("starting worker %u", i);
}

/* ---- signals --------------------------------------------------------- */

static int
differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

static void
reload(struct daemon *d)
{
	const struct cfg *o = d->cfg->cfg;
	struct cfgref *nr;
	struct cfg *n;
	char err[CFG_ERR_MAX];
	uint32_t i;

	sd_send("RELOADING=1");
	if ((n = cfg_load(d->cfgpath, err, sizeof(err))) == NULL) {
		d->reloads_failed++;
		log_warnx("reload refused, running configuration kept: %s",
		    err);
		sd_send("READY=1");
		return;
	}
	if (n->nlisten != o->nlisten || memcmp(n->listen, o->listen,
	    n->nlisten * sizeof(*n->listen)) != 0 || n->workers != o->workers ||
	    n->rcvbuf != o->rcvbuf || differs(n->user, o->user) ||
	    differs(n->state_dir, o->state_dir) ||
	    differs(n->metrics, o->metrics))
		log_warnx("reload: listen, workers, rcvbuf, user, state_dir "
		    "and metrics take effect at the next restart");
	if (differs(n->geoip_country, o->geoip_country) ||
	    differs(n->geoip_asn, o->geoip_asn))
		log_warnx("reload: geoip databases change at the next restart");
	if ((nr = cfgref_new(n)) == NULL) {
		cfg_free(n);
		d->reloads_failed++;
		log_warnx("reload: out of memory");
		return;
	}
	/* Rules, whitelist files and sinks: the last part that can fail. */
	if (d->dm && detmgr_reload(d->dm, n, err, sizeof(err)) == -1) {
		cfgref_put(nr);
		d->reloads_failed++;
		log_warnx("reload refused, running configuration kept: %s",
		    err);
		sd_send("READY=1");
		return;
	}
	for (i = 0; i < d->nw; i++)
		worker_set_cfg(d->w[i], nr);
	cfgref_put(d->cfg);
	d->cfg = nr;
	if (!d->debug)
		log_setlevel(n->log_level);
	d->reloads_ok++;
	log_info("configuration reloaded from %s", d->cfgpath);
	sd_send("READY=1");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGHUP:
		reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: stopping", (int)sig);
		sd_send("STOPPING=1");
		event_base_loopexit(d->base, NULL);
		break;
	}
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_send("WATCHDOG=1");
}

int
main(int argc, char *argv[])
{
	struct daemon d;
	struct event *sig[3], *wd = NULL;
	const int signals[3] = { SIGHUP, SIGTERM, SIGINT };
	const char *capture = NULL, *dump = NULL;
	char err[CFG_ERR_MAX];
	struct cfg *c;
	int ch, check = 0, verbose = 0, i, rc;
	uint32_t k;

	memset(&d, 0, sizeof(d));
	d.cfgpath = FS_CONFIG;
	pthread_mutex_init(&d.dump_mtx, NULL);
	while ((ch = getopt(argc, argv, "dD:f:nr:v")) != -1) {
		switch (ch) {
		case 'd':
			d.debug = 1;
			break;
		case 'D':
			dump = optarg;
			break;
		case 'f':
			d.cfgpath = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'r':
			capture = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((c = cfg_load(d.cfgpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		struct geo_db *g = NULL;

		if ((c->geoip_country || c->geoip_asn) && (g = geo_db_open(
		    c->geoip_country, c->geoip_asn, err, sizeof(err))) == NULL) {
			fprintf(stderr, "%s\n", err);
			cfg_free(c);
			return 1;
		}
		geo_db_close(g);
		if ((d.dm = detmgr_new(NULL, c, 1, err, sizeof(err))) == NULL) {
			fprintf(stderr, "%s\n", err);
			cfg_free(c);
			return 1;
		}
		detmgr_free(d.dm, 0);
		if (verbose)
			cfg_dump_defaults(stdout);
		fprintf(stderr, "%s: configuration OK\n", d.cfgpath);
		cfg_free(c);
		return 0;
	}
	log_init(d.debug || capture || sd_active(),
	    verbose ? LOG_DEBUG : c->log_level, c->log_facility);
	if ((d.cfg = cfgref_new(c)) == NULL)
		fatal("config");
	if ((c->geoip_country || c->geoip_asn) && (d.geo = geo_db_open(
	    c->geoip_country, c->geoip_asn, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	/* Opened while privileged; "-" is standard output. */
	if (dump && (d.dump = strcmp(dump, "-") ? fopen(dump, "a") : stdout)
	    == NULL)
		fatal("%s", dump);
	d.start_ms = fs_mono_ms();
	/* A closed peer or a write past a file-size limit is an error to
	 * count (EPIPE, EFBIG), not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	if (capture) {
		rc = run_capture(&d, capture);
		cfgref_put(d.cfg);
		geo_db_close(d.geo);
		return rc;
	}

	if (evthread_use_pthreads() != 0)
		fatalx("libevent without thread support");
	if ((d.base = event_base_new()) == NULL)
		fatalx("no event base");
	open_workers(&d);
	open_detection(&d);
	/* Keep the working directory: relative paths in the config. */
	if (!d.debug && !sd_active() && daemon(1, 0) == -1)
		fatal("daemon");
	start_detection(&d);
	start_workers(&d);
	for (i = 0; i < 3; i++) {
		sig[i] = evsignal_new(d.base, signals[i], on_signal, &d);
		if (sig[i] == NULL || event_add(sig[i], NULL) != 0)
			fatalx("signal handler");
	}
	if (sd_watchdog_usec()) {
		struct timeval tv;
		uint64_t half = sd_watchdog_usec() / 2;

		tv.tv_sec = (time_t)(half / 1000000);
		tv.tv_usec = (suseconds_t)(half % 1000000);
		wd = event_new(d.base, -1, EV_PERSIST, on_watchdog, NULL);
		if (wd == NULL || event_add(wd, &tv) != 0)
			fatalx("watchdog timer");
	}
	log_info("flowsentryd %s started: %u worker(s)", FS_VERSION, d.nw);
	sd_send("READY=1");
	event_base_dispatch(d.base);

	for (k = 0; k < d.nw; k++)
		worker_stop(d.w[k]);
	/* The workers reported what they held; raise and store it. */
	detmgr_drain(d.dm, 5000);
	detmgr_free(d.dm, 5000);
	for (k = 0; k < d.nw; k++)
		worker_free(d.w[k]);
	free(d.w);
	metrics_free(d.metrics);
	for (i = 0; i < 3; i++)
		event_free(sig[i]);
	if (wd)
		event_free(wd);
	event_base_free(d.base);
	cfgref_put(d.cfg);
	geo_db_close(d.geo);
	log_info("stopped");
	return 0;
}
