/*
 * worker.c - an ingest thread.  See worker.h for the ownership rules.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "fsclock.h"
#include "ingest.h"
#include "log.h"
#include "rconn.h"
#include "tmpl.h"
#include "worker.h"

#define WARN_INTERVAL_MS	60000
/*
 * Records of a datagram are decoded into an array and enriched together:
 * first every record's conversation is prefetched, then each is enriched,
 * aggregated and run through detection, so the table misses overlap
 * instead of being paid one after another.
 */
#define WORKER_RECS		32
/*
 * Aggregate entries written to Redis per turn of the event loop, the
 * turns spread over at most half the flush interval (at most
 * FLUSH_GAP_MAX_US apart): a Redis beside the collector then works
 * through a big flush a little at a time instead of taking the CPU from
 * the worker for a burst of commands.
 */
#define FLUSH_STEP		256
#define FLUSH_GAP_MAX_US	10000

struct worker {
	int			 id;
	struct cfgref		*cfg;
	struct cfgref		*next_cfg;	/* handed over, under mtx */
	struct event_base	*base;
	struct worker_sock	*socks;
	struct event		**sev;
	size_t			 nsocks;
	struct ingest_batch	*batch;
	struct dec_ctx		 dec;
	struct exstats		 ex;
	struct ingest_stats	 in;
	char			*state_path;
	uint64_t		 last_save_ms;	/* steady clock */
	uint64_t		 steady_base;	/* steady_ms() - CLOCK_MONOTONIC */
	flow_cb			*sink;
	void			*sink_arg;
	struct exstat		*cur;		/* exporter of the datagram */
	struct flow_addr	 cur_exporter;
	uint64_t		 cur_now;	/* receive time of the datagram */
	struct enricher		*enr;
	struct flow_rec		 recs[WORKER_RECS];	/* of the datagram */
	struct enriched		 enr_out[WORKER_RECS];
	size_t			 nrecs;
	struct agg		 agg;		/* records go here */
	struct agg		 out;		/* being written to Redis */
	uint32_t		 out_pos;	/* next entry of out */
	int			 flushing;	/* out holds a flush */
	uint32_t		 flush_gap_us;	/* between two steps */
	struct event		*ev_flush;
	struct rsink		*rs;
	uint64_t		 last_flush_ms;	/* steady clock */
	struct detector		*det;
	struct detref		*next_det;	/* handed over, under mtx */
	struct event		*ev_tick;
	struct event		*ev_cfg;
	pthread_t		 thread;
	int			 running;
	pthread_mutex_t		 mtx;	/* guards snap, next_cfg, next_det */
	struct worker_snap	 snap;
};

struct cfgref *
cfgref_new(struct cfg *c)
{
	struct cfgref *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->cfg = c;
	r->refs = 1;
	return r;
}

struct cfgref *
cfgref_get(struct cfgref *r)
{
	__atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
	return r;
}

void
cfgref_put(struct cfgref *r)
{
	if (r && __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		cfg_free(r->cfg);
		free(r);
	}
}

static void	flush_start(struct worker *);

/* The wall clock: record times, buckets, detections. */
static uint64_t
now_ms(void)
{
	return fs_wall_ms();
}

/*
 * The steady clock: template ages, flush and state-save intervals.
 * CLOCK_MONOTONIC counted from the wall time the worker started at, so a
 * step of the wall clock moves none of them (HOSTILE D-5) and template
 * times saved in the state directory still read as wall times after a
 * restart.
 */
static uint64_t
steady_ms(const struct worker *w)
{
	return fs_mono_ms() + w->steady_base;
}

/*
 * The records held: enriched, aggregated, detected, handed on.  In
 * stages over the whole batch, each starting the memory loads the next
 * one needs: conversations, then host index slots, then host entries.
 */
static void
process_recs(struct worker *w)
{
	struct enriched *e = w->enr_out;
	uint64_t hint[WORKER_RECS];
	struct agg_slots slot[WORKER_RECS];
	size_t i, n = w->nrecs;

	for (i = 0; i < n; i++)
		if (w->recs[i].kind == FLOW_KIND_FLOW)
			hint[i] = enrich_prefetch(w->enr, &w->recs[i]);
	for (i = 0; i < n; i++)
		if (w->recs[i].kind == FLOW_KIND_FLOW) {
			enrich_record(w->enr, &w->recs[i], hint[i], &e[i]);
			agg_prefetch_index(&w->agg, &e[i], w->cur_now,
			    &slot[i]);
		}
	for (i = 0; i < n; i++)
		if (w->recs[i].kind == FLOW_KIND_FLOW)
			agg_prefetch_entry(&w->agg, &slot[i]);
	for (i = 0; i < n; i++) {
		const struct flow_rec *r = &w->recs[i];

		if (r->kind == FLOW_KIND_FLOW) {
			if (w->cur)
				w->cur->records++;
			agg_add(&w->agg, &e[i], w->cur_now);
			if (w->det)
				detector_record(w->det, &e[i],
				    &w->cur_exporter, w->cur_now);
		}
		if (w->sink)
			w->sink(w->sink_arg, r);
	}
	w->nrecs = 0;
}

static void
on_record(void *arg, const struct flow_rec *r)
{
	struct worker *w = arg;

	w->recs[w->nrecs++] = *r;
	if (w->nrecs == WORKER_RECS)
		process_recs(w);
}

/* Counters that rising means nothing is wrong. */
static int
stat_is_error(const char *name)
{
	static const char *normal[] = { "records", "options_records",
	    "counter_records", "tmpl_added", "tmpl_replaced",
	    "tmpl_refreshed", "tmpl_deferred", "sampler_updates",
	    "sfl_samples", "sfl_discards", "sfl_pool_back", "set_padding",
	    NULL };
	int i;

	if (strncmp(name, "dgram_", 6) == 0)
		return 0;
	for (i = 0; normal[i]; i++)
		if (strcmp(name, normal[i]) == 0)
			return 0;
	return 1;
}

/* Name the error counters that rose for this exporter's datagram. */
static void
warn_exporter(struct worker *w, struct exstat *x, const struct dec_in *in,
    const struct dec_stats *before)
{
	char buf[512], a[64];
	size_t off = 0, i;
	uint64_t supp;

	if (!log_limit_ok(&x->warn, in->now_ms, WARN_INTERVAL_MS, &supp))
		return;
	buf[0] = '\0';
	for (i = 0; i < dec_stat_count && off < sizeof(buf) - 64; i++) {
		const struct dec_stat_desc *d = &dec_stat_descs[i];
		uint64_t was = *(const uint64_t *)((const char *)before +
		    d->offset);
		uint64_t now = *(const uint64_t *)((const char *)&w->dec.st +
		    d->offset);

		if (now > was && stat_is_error(d->name))
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "%s%s +%llu", off ? ", " : "", d->name,
			    (unsigned long long)(now - was));
	}
	log_warnx("exporter %s port %u: datagram not wholly decoded (%s)%s",
	    flow_addr_str(&in->exporter, a, sizeof(a)), in->port,
	    off ? buf : "no counter named", supp ? "; similar warnings "
	    "for this exporter were suppressed in the last minute" : "");
}

void
worker_datagram(struct worker *w, const struct dec_in *in,
    const uint8_t *buf, size_t len)
{
	const struct cfg *c = w->cfg->cfg;
	struct dec_stats before;
	struct exstat *x;
	enum ex_proto p;
	enum dec_status st;
	uint64_t supp;
	char a[64];

	w->in.datagrams++;
	w->in.bytes += len;
	x = exstats_get(&w->ex, &in->exporter);
	x->last_ms = in->now_ms;
	if (c->nexporters && cfg_cidr_find(c->exporters, c->nexporters,
	    &in->exporter) < 0) {
		w->in.denied++;
		x->denied++;
		if (log_limit_ok(&x->warn, in->now_ms, WARN_INTERVAL_MS, &supp))
			log_warnx("exporter %s is not in `exporters`: its "
			    "datagrams are dropped (denied)",
			    flow_addr_str(&in->exporter, a, sizeof(a)));
		return;
	}
	p = ex_proto_of(buf, len);
	x->dgrams[p]++;
	x->bytes[p] += len;
	before = w->dec.st;
	w->cur = x;
	w->cur_exporter = in->exporter;
	w->cur_now = in->now_ms;
	st = dec_datagram(&w->dec, in, buf, len);
	process_recs(w);	/* r->pkt points into buf */
	w->cur = NULL;
	if (st != DEC_OK) {
		x->errors++;
		warn_exporter(w, x, in, &before);
	}
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct worker_sock *s = NULL;
	struct dec_in in;
	size_t i;
	int n, rounds;

	(void)what;
	for (i = 0; i < w->nsocks; i++)
		if (w->socks[i].fd == fd)
			s = &w->socks[i];
	/* Drain, but yield to the other sockets and timers now and then. */
	for (rounds = 0; rounds < 64; rounds++) {
		if ((n = ingest_recv(fd, w->batch)) <= 0) {
			if (n < 0)
				w->in.recv_errors++;
			break;
		}
		w->in.batches++;
		if (w->batch->have_ovfl && s) {
			if (w->batch->ovfl >= s->ovfl)
				w->in.kernel_drops += w->batch->ovfl - s->ovfl;
			s->ovfl = w->batch->ovfl;
		}
		memset(&in, 0, sizeof(in));
		in.now_ms = now_ms();
		in.mono_ms = steady_ms(w);
		for (i = 0; i < (size_t)n; i++) {
			struct ingest_msg *m = &w->batch->msg[i];

			if (m->bad_source) {
				w->in.bad_source++;
				continue;
			}
			if (m->truncated) {
				w->in.truncated++;
				continue;
			}
			in.exporter = m->src;
			in.port = m->port;
			worker_datagram(w, &in, m->buf, m->len);
		}
		if (n < INGEST_BATCH)
			break;
	}
	if (w->det)
		detector_flush(w->det);
}

void
worker_publish(struct worker *w)
{
	pthread_mutex_lock(&w->mtx);
	w->snap.in = w->in;
	w->snap.dec = w->dec.st;
	w->snap.templates = tmpl_count(w->dec.tc);
	memcpy(w->snap.ex.tab, w->ex.tab, (size_t)w->ex.size *
	    sizeof(*w->ex.tab));
	w->snap.ex.other = w->ex.other;
	w->snap.ex.n = w->ex.n;
	w->snap.enr = *enricher_stats(w->enr);
	w->snap.init = *enricher_init_stats(w->enr);
	w->snap.agg = w->agg.st;
	w->snap.agg_hosts = w->agg.hn;
	w->snap.agg_services = w->agg.sn;
	if (w->rs) {
		w->snap.redis = *rsink_stats(w->rs);
		w->snap.redis_workers_up = rsink_connected(w->rs);
	}
	if (w->det)
		detector_stats(w->det, &w->snap.det);
	pthread_mutex_unlock(&w->mtx);
}

void
worker_snapshot_add(struct worker *w, struct worker_snap *out)
{
	pthread_mutex_lock(&w->mtx);
	out->in.datagrams += w->snap.in.datagrams;
	out->in.bytes += w->snap.in.bytes;
	out->in.truncated += w->snap.in.truncated;
	out->in.bad_source += w->snap.in.bad_source;
	out->in.denied += w->snap.in.denied;
	out->in.recv_errors += w->snap.in.recv_errors;
	out->in.kernel_drops += w->snap.in.kernel_drops;
	out->in.batches += w->snap.in.batches;
	dec_stats_add(&out->dec, &w->snap.dec);
	out->templates += w->snap.templates;
	exstats_merge(&out->ex, &w->snap.ex);
#define ADD(f) out->f += w->snap.f
	ADD(enr.records); ADD(enr.transit); ADD(enr.outbound);
	ADD(enr.inbound); ADD(enr.unknown_initiator);
	ADD(enr.scaled_saturated); ADD(enr.dpi_packets);
	ADD(init.lookups); ADD(init.hits); ADD(init.evicted);
	ADD(agg.host_dropped); ADD(agg.svc_dropped); ADD(agg.peers_dropped);
	ADD(agg.time_clamped);
	ADD(agg_hosts); ADD(agg_services);
	ADD(redis.connected); ADD(redis.connects); ADD(redis.connect_failures);
	ADD(redis.disconnects); ADD(redis.flushes); ADD(redis.flushes_deferred);
	ADD(redis.commands); ADD(redis.errors); ADD(redis.lost);
	ADD(redis.pending); ADD(redis_workers_up);
	ADD(det.evaluated); ADD(det.matched); ADD(det.whitelisted);
	ADD(det.fired); ADD(det.reported); ADD(det.queue_full);
	ADD(det.fold_evicted); ADD(det.state_keys); ADD(det.state_refused);
	ADD(det.hosts_seen); ADD(det.hosts_untracked); ADD(det.implausible);
#undef ADD
	pthread_mutex_unlock(&w->mtx);
}

int
worker_save_templates(struct worker *w)
{
	char err[512];

	if (w->state_path == NULL)
		return 0;
	if (tmplstate_save(w->dec.tc, w->state_path,
	    (int64_t)now_ms() - (int64_t)steady_ms(w), err, sizeof(err)) != 0) {
		log_warnx("saving templates: %s", err);
		return -1;
	}
	return 0;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	uint64_t now = steady_ms(w);
	uint32_t every = w->cfg->cfg->state_interval;

	(void)fd;
	(void)what;
	tmpl_expire(w->dec.tc, now);
	if (w->det)
		detector_tick(w->det, now_ms());	/* as its records */
	if (w->flushing)		/* put off by Redis: go on if it can */
		event_active(w->ev_flush, EV_READ, 0);
	else if (w->rs && now - w->last_flush_ms >=
	    (uint64_t)w->cfg->cfg->flush_interval * 1000) {
		w->last_flush_ms = now;
		flush_start(w);
	}
	worker_publish(w);
	if (every && now - w->last_save_ms >= (uint64_t)every * 1000) {
		w->last_save_ms = now;
		worker_save_templates(w);
	}
}

/*
 * A flush: the full table becomes w->out and an empty one takes the
 * records (the cumulative drop counters stay with the records' table);
 * on_flush writes it FLUSH_STEP entries at a time.
 */
static void
flush_start(struct worker *w)
{
	uint64_t steps, gap;
	struct agg t;

	if (w->agg.hn == 0 && w->agg.sn == 0)
		return;
	if (!rsink_ready(w->rs)) {
		rsink_deferred(w->rs);	/* kept, merged with what comes */
		return;
	}
	t = w->agg;
	w->agg = w->out;
	w->out = t;
	w->agg.st = w->out.st;
	w->out_pos = 0;
	w->flushing = 1;
	steps = (w->out.hn + w->out.sn) / FLUSH_STEP + 1;
	gap = (uint64_t)w->cfg->cfg->flush_interval * 500000 / steps;
	w->flush_gap_us = gap > FLUSH_GAP_MAX_US ? FLUSH_GAP_MAX_US :
	    (uint32_t)gap;
	event_active(w->ev_flush, EV_READ, 0);
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	if (!w->flushing || !rsink_ready(w->rs))
		return;		/* on_tick tries again */
	w->out_pos = rsink_write(w->rs, &w->out, w->out_pos, FLUSH_STEP);
	if (w->out_pos < w->out.hn + w->out.sn) {
		struct timeval tv = { 0, (suseconds_t)w->flush_gap_us };

		if (w->flush_gap_us == 0)
			event_active(w->ev_flush, EV_READ, 0);
		else
			event_add(w->ev_flush, &tv);
		return;
	}
	agg_clear(&w->out);
	w->flushing = 0;
}

static void
on_cfg(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct cfgref *n;
	struct detref *d;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->mtx);
	n = w->next_cfg;
	w->next_cfg = NULL;
	d = w->next_det;
	w->next_det = NULL;
	pthread_mutex_unlock(&w->mtx);
	if (n) {
		enricher_set_cfg(w->enr, n->cfg);
		if (w->rs)
			rsink_set_cfg(w->rs, n->cfg);
		if (w->det)
			detector_set_cfg(w->det, n->cfg);
		cfgref_put(w->cfg);
		w->cfg = n;
	}
	if (d) {
		if (w->det)
			detector_set(w->det, d);
		detref_put(d);
	}
}

int
worker_set_detect(struct worker *w, struct hitq *q)
{
	/* Threshold windows: a few per tracked host. */
	uint64_t keys = (uint64_t)w->cfg->cfg->max_hosts * 4;

	if (keys > (1u << 24))
		keys = 1u << 24;
	if ((w->det = detector_new(q, keys ? (uint32_t)keys : 1,
	    w->cfg->cfg->max_hosts)) == NULL)
		return -1;
	detector_set_cfg(w->det, w->cfg->cfg);
	return 0;
}

void
worker_set_detref(struct worker *w, struct detref *ref)
{
	struct detref *old;

	pthread_mutex_lock(&w->mtx);
	old = w->next_det;
	w->next_det = detref_get(ref);
	pthread_mutex_unlock(&w->mtx);
	detref_put(old);
	if (w->running)
		event_active(w->ev_cfg, EV_READ, 0);
	else
		on_cfg(-1, 0, w);
}

void
worker_detect_drain(struct worker *w)
{
	if (w->det)
		detector_drain(w->det, now_ms());
}

void
worker_set_cfg(struct worker *w, struct cfgref *cfg)
{
	struct cfgref *old;

	pthread_mutex_lock(&w->mtx);
	old = w->next_cfg;
	w->next_cfg = cfgref_get(cfg);
	pthread_mutex_unlock(&w->mtx);
	cfgref_put(old);
	if (w->running)
		event_active(w->ev_cfg, EV_READ, 0);
	else
		on_cfg(-1, 0, w);
}

static struct dec_limits
limits_of(const struct cfg *c)
{
	struct dec_limits lim;

	memset(&lim, 0, sizeof(lim));
	lim.tmpl_per_exporter = c->tmpl_per_exporter;
	lim.tmpl_total = c->tmpl_total;
	lim.tmpl_max_age = c->tmpl_timeout;
	lim.key_port = c->key_port;
	return lim;
}

struct worker *
worker_new(int id, struct cfgref *cfg, const struct geo_db *geo,
    const struct worker_sock *socks,
    size_t nsocks, struct tmplstate *const *states, size_t nstates,
    const char *state_path, char *err, size_t errlen)
{
	struct worker *w;
	struct dec_limits lim = limits_of(cfg->cfg);
	struct timeval one = { 1, 0 };
	size_t i;
	unsigned restored = 0;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto nomem;
	w->id = id;
	w->cfg = cfgref_get(cfg);
	w->steady_base = now_ms() - fs_mono_ms();
	pthread_mutex_init(&w->mtx, NULL);
	if (dec_init(&w->dec, &lim, on_record, w) != 0 ||
	    exstats_init(&w->ex, EXSTATS_DEF_CAP) != 0 ||
	    exstats_init(&w->snap.ex, EXSTATS_DEF_CAP) != 0)
		goto nomem;
	if ((w->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "worker %d: no event base", id);
		goto fail;
	}
	if ((w->enr = enricher_new(cfg->cfg, geo, 1, err, errlen)) == NULL)
		goto fail;
	if (agg_init(&w->agg, cfg->cfg->max_hosts, cfg->cfg->max_services,
	    cfg->cfg->bucket) != 0 || agg_init(&w->out, cfg->cfg->max_hosts,
	    cfg->cfg->max_services, cfg->cfg->bucket) != 0)
		goto nomem;
	/* Always there: a reload may name a Redis later. */
	if ((w->rs = rsink_new(w->base, cfg->cfg, id, err, errlen)) == NULL)
		goto fail;
	if (nsocks) {
		if ((w->socks = calloc(nsocks, sizeof(*w->socks))) == NULL ||
		    (w->sev = calloc(nsocks, sizeof(*w->sev))) == NULL ||
		    (w->batch = ingest_batch_new()) == NULL)
			goto nomem;
		for (i = 0; i < nsocks; i++) {
			w->socks[i] = socks[i];
			w->nsocks++;
			w->sev[i] = event_new(w->base, socks[i].fd,
			    EV_READ | EV_PERSIST, on_readable, w);
			if (w->sev[i] == NULL || event_add(w->sev[i], NULL))
				goto nomem;
		}
	}
	w->ev_tick = event_new(w->base, -1, EV_PERSIST, on_tick, w);
	w->ev_cfg = event_new(w->base, -1, 0, on_cfg, w);
	w->ev_flush = event_new(w->base, -1, 0, on_flush, w);
	if (w->ev_tick == NULL || w->ev_cfg == NULL || w->ev_flush == NULL ||
	    event_add(w->ev_tick, &one) != 0)
		goto nomem;
	for (i = 0; i < nstates; i++)
		restored += tmplstate_apply(states[i], w->dec.tc, now_ms(),
		    steady_ms(w), (uint64_t)w->dec.lim.tmpl_max_age * 1000);
	if (restored)
		log_info("worker %d: %u templates restored from the state "
		    "directory", id, restored);
	if (state_path && (w->state_path = strdup(state_path)) == NULL)
		goto nomem;
	w->last_save_ms = steady_ms(w);
	return w;
nomem:
	snprintf(err, errlen, "worker %d: out of memory", id);
fail:
	worker_free(w);
	return NULL;
}

void
worker_free(struct worker *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nsocks; i++) {
		if (w->sev[i])
			event_free(w->sev[i]);
		close(w->socks[i].fd);
	}
	free(w->sev);
	free(w->socks);
	if (w->ev_tick)
		event_free(w->ev_tick);
	if (w->ev_cfg)
		event_free(w->ev_cfg);
	if (w->ev_flush)
		event_free(w->ev_flush);
	if (w->base)
		event_base_free(w->base);
	ingest_batch_free(w->batch);
	rsink_free(w->rs);
	agg_free(&w->agg);
	agg_free(&w->out);
	enricher_free(w->enr);
	if (w->dec.tc)
		dec_free(&w->dec);
	exstats_free(&w->ex);
	exstats_free(&w->snap.ex);
	detector_free(w->det);
	detref_put(w->next_det);
	cfgref_put(w->cfg);
	cfgref_put(w->next_cfg);
	pthread_mutex_destroy(&w->mtx);
	free(w->state_path);
	free(w);
}

void
worker_set_sink(struct worker *w, flow_cb *cb, void *arg)
{
	w->sink = cb;
	w->sink_arg = arg;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	/* Stopped: drain what the kernel still holds, then save. */
	if (w->nsocks)
		for (size_t i = 0; i < w->nsocks; i++)
			on_readable(w->socks[i].fd, EV_READ, w);
	worker_detect_drain(w);
	worker_flush_wait(w, 3000);
	worker_publish(w);
	worker_save_templates(w);
	return NULL;
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

int
worker_flush_wait(struct worker *w, uint32_t timeout_ms)
{
	struct timeval tv = { (time_t)(timeout_ms / 1000),
	    (suseconds_t)(timeout_ms % 1000) * 1000 };
	struct event *dl;
	int expired = 0;

	if (w->rs == NULL || w->cfg->cfg->redis_url == NULL)
		return 0;
	if ((dl = evtimer_new(w->base, on_deadline, &expired)) == NULL)
		return -1;
	evtimer_add(dl, &tv);
	/* Connected first (a -r run starts with the connection pending). */
	while (!expired && !rsink_connected(w->rs))
		event_base_loop(w->base, EVLOOP_ONCE);
	/*
	 * The rest of a flush under way, then what came since, in steps
	 * with the loop run between them: hiredis's output buffer stays
	 * small (it moves what is left of it after every write).
	 */
	for (;;) {
		w->flush_gap_us = 0;		/* no pacing on the way out */
		while (!expired && w->flushing) {
			on_flush(-1, 0, w);
			event_base_loop(w->base, EVLOOP_ONCE);
		}
		if (expired || w->flushing || (w->agg.hn == 0 &&
		    w->agg.sn == 0))
			break;
		/* Redis still busy with the steps just sent: its replies. */
		while (!expired && rsink_connected(w->rs) &&
		    !rsink_ready(w->rs))
			event_base_loop(w->base, EVLOOP_ONCE);
		if (expired)
			break;
		flush_start(w);
		if (!w->flushing)
			break;		/* Redis away */
	}
	while (!expired && rsink_pending(w->rs) > 0)
		event_base_loop(w->base, EVLOOP_ONCE);
	event_free(dl);
	if (w->agg.hn || w->agg.sn || w->flushing || rsink_pending(w->rs)) {
		char *shown = rconn_url_shown(w->cfg->cfg->redis_url);
		uint32_t hn = w->agg.hn, sn = w->agg.sn;

		if (w->flushing) {	/* what of out is not sent yet */
			hn += w->out_pos < w->out.hn ? w->out.hn - w->out_pos : 0;
			sn += w->out_pos > w->out.hn ? w->out.sn -
			    (w->out_pos - w->out.hn) : w->out.sn;
		}
		log_warnx("worker %d: redis %s did not take everything in "
		    "time: %u host and %u service aggregates not written, "
		    "%llu commands sent but not answered", w->id,
		    shown ? shown : "(redis)", hn, sn,
		    (unsigned long long)rsink_pending(w->rs));
		free(shown);
		return -1;
	}
	return 0;
}

int
worker_start(struct worker *w)
{
	int rc;

	w->running = 1;
	if ((rc = pthread_create(&w->thread, NULL, worker_main, w)) != 0) {
		w->running = 0;
		errno = rc;
		return -1;
	}
	return 0;
}

void
worker_stop(struct worker *w)
{
	if (!w->running)
		return;
	event_base_loopexit(w->base, NULL);
	pthread_join(w->thread, NULL);
	w->running = 0;
}
