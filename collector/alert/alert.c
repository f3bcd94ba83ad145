/*
 * alert.c - the common core of the alert sinks: queue, thread, backoff.
 *
 * DESIGN
 * A sink is a bounded ring of struct det copies (ALERT_RING_CAP), a mutex
 * and condition variable, and one thread that runs the kind's operations
 * (alert_int.h).  alert_push() holds the mutex only to copy into the ring
 * and never waits for the thread: a full ring is a counted drop.  The
 * thread delivers the head of the ring and pops it only when deliver()
 * succeeded, so a detection that failed stays at the head and is tried
 * again after a backoff of 1 s doubling to 5 min; the same backoff gates
 * work() (the email spool).  A kind whose deliver() stays on this host
 * (email: into the digest and the spool) keeps taking detections while its
 * relay is down.  alert_free() asks for one last attempt at once, lets the
 * thread go on for at most timeout_ms, then fini() saves what the kind can
 * (email: everything to the spool) and says what was lost.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsclock.h"
#include "alert_int.h"
#include "log.h"

#define WARN_INTERVAL_MS	60000

struct alert_sink {
	char			*name;
	const struct alert_ops	*ops;
	void			*priv;
	enum cfg_severity	 min_severity;

	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 thread;
	int			 started;
	struct alert_ring	 ring;
	int			 stopping;
	uint64_t		 stop_at;	/* monotonic ms */
	int			 reopen;
	uint64_t		 backoff;	/* ms, 0: the last one worked */
	uint64_t		 retry_at;
	uint64_t		 local_retry_at; /* a local deliver() failed */
	struct alert_stats	 st;

	pthread_mutex_t		 warn_mu;
	struct log_limit	 warn_limit;
};

/* ---- clocks ---------------------------------------------------------- */

uint64_t
alert_now_ms(void)
{
	return fs_mono_ms();
}

uint64_t
alert_wall_ms(void)
{
	return fs_wall_ms();
}

/* ---- the ring -------------------------------------------------------- */

int
alert_ring_init(struct alert_ring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if (cap == 0 || (r->v = calloc(cap, sizeof(*r->v))) == NULL)
		return -1;
	r->cap = cap;
	return 0;
}

void
alert_ring_free(struct alert_ring *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

int
alert_ring_put(struct alert_ring *r, const struct det *d)
{
	if (r->n == r->cap)
		return -1;
	r->v[(r->head + r->n) % r->cap] = *d;
	r->n++;
	return 0;
}

const struct det *
alert_ring_peek(const struct alert_ring *r)
{
	return r->n ? &r->v[r->head] : NULL;
}

void
alert_ring_pop(struct alert_ring *r)
{
	if (r->n == 0)
		return;
	r->head = (r->head + 1) % r->cap;
	r->n--;
}

/* ---- helpers for the kinds ------------------------------------------- */

void *
alert_priv(struct alert_sink *s)
{
	return s->priv;
}

void
alert_set_priv(struct alert_sink *s, void *priv)
{
	s->priv = priv;
}

uint64_t
alert_stop_at(struct alert_sink *s)
{
	uint64_t at;

	pthread_mutex_lock(&s->mu);
	at = s->stopping ? s->stop_at : ALERT_NEVER;
	pthread_mutex_unlock(&s->mu);
	return at;
}

void
alert_set_spooled(struct alert_sink *s, uint64_t n)
{
	pthread_mutex_lock(&s->mu);
	s->st.spooled = n;
	pthread_mutex_unlock(&s->mu);
}

void
alert_warnx(struct alert_sink *s, const char *fmt, ...)
{
	char msg[512];
	uint64_t held;
	va_list ap;
	int ok;

	pthread_mutex_lock(&s->warn_mu);
	ok = log_limit_ok(&s->warn_limit, alert_now_ms(), WARN_INTERVAL_MS,
	    &held);
	pthread_mutex_unlock(&s->warn_mu);
	if (!ok)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (held)
		log_warnx("alert %s: %s (%llu similar suppressed)", s->name,
		    msg, (unsigned long long)held);
	else
		log_warnx("alert %s: %s", s->name, msg);
}

/* ---- the thread ------------------------------------------------------ */

/* With s->mu held: account for one attempt. */
static void
attempt_done(struct alert_sink *s, int ok, uint64_t now)
{
	if (ok) {
		if (s->backoff && s->st.failures)
			log_info("alert %s: delivering again", s->name);
		s->backoff = 0;
		s->retry_at = 0;
		s->st.up = 1;
		return;
	}
	s->st.failures++;
	s->st.up = 0;
	s->backoff = s->backoff ? s->backoff * 2 : ALERT_BACKOFF_MIN;
	if (s->backoff > ALERT_BACKOFF_MAX)
		s->backoff = ALERT_BACKOFF_MAX;
	s->retry_at = now + s->backoff;
}

static void
wait_until(struct alert_sink *s, uint64_t when)
{
	struct timespec ts;
	uint64_t now, ms;

	if (when == ALERT_NEVER) {
		pthread_cond_wait(&s->cv, &s->mu);
		return;
	}
	/* The condition variable runs on CLOCK_MONOTONIC. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (when <= now)
		return;
	ms = when - now;
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * One step with s->mu held: deliver the head, or do the kind's due work,
 * or wait.  0 to go on, -1 when the thread is to end.
 */
static int
step(struct alert_sink *s)
{
	const struct alert_ops *o = s->ops;
	uint64_t now = alert_now_ms(), due, wake;
	uint64_t deadline = s->stopping ? s->stop_at : ALERT_NEVER;
	struct det d;
	uint64_t n;
	int r;

	if (s->stopping && now >= s->stop_at)
		return -1;
	if (s->reopen) {
		s->reopen = 0;
		if (o->reopen) {
			pthread_mutex_unlock(&s->mu);
			o->reopen(s);
			pthread_mutex_lock(&s->mu);
		}
	}
	if (s->ring.n && now >= (o->local ? s->local_retry_at : s->retry_at)) {
		d = *alert_ring_peek(&s->ring);
		pthread_mutex_unlock(&s->mu);
		r = o->deliver(s, &d, deadline);
		pthread_mutex_lock(&s->mu);
		if (r == 0)
			alert_ring_pop(&s->ring);
		if (!o->local) {
			s->st.delivered += r == 0;
			attempt_done(s, r == 0, alert_now_ms());
		} else if (r != 0) {
			s->st.failures++;
			s->local_retry_at = alert_now_ms() + ALERT_BACKOFF_MIN;
		}
		return 0;
	}
	due = o->due ? o->due(s, s->stopping) : ALERT_NEVER;
	if (due != ALERT_NEVER && now >= due && now >= s->retry_at) {
		pthread_mutex_unlock(&s->mu);
		n = 0;
		r = o->work(s, now, s->stopping, deadline, &n);
		pthread_mutex_lock(&s->mu);
		s->st.delivered += n;
		attempt_done(s, r == 0, alert_now_ms());
		return 0;
	}
	if (s->stopping && s->ring.n == 0 && due == ALERT_NEVER)
		return -1;
	wake = deadline;
	if (s->ring.n)
		wake = min64(wake, o->local ? s->local_retry_at : s->retry_at);
	if (due != ALERT_NEVER)
		wake = min64(wake, due > s->retry_at ? due : s->retry_at);
	wait_until(s, wake);
	return 0;
}

static void *
sink_main(void *arg)
{
	struct alert_sink *s = arg;

	pthread_mutex_lock(&s->mu);
	while (step(s) == 0)
		;
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- the interface --------------------------------------------------- */

static const struct alert_ops *
kind_ops(enum cfg_sink k)
{
	switch (k) {
	case CFG_SINK_FILE:
		return &alert_file_ops;
	case CFG_SINK_SYSLOG:
		return &alert_syslog_ops;
	case CFG_SINK_EMAIL:
		return &alert_email_ops;
	case CFG_SINK_REDIS:
		return &alert_redis_ops;
	}
	return NULL;
}

struct alert_sink *
alert_new(const struct cfg *c, const struct cfg_alert *a, char *err,
    size_t errlen)
{
	struct alert_sink *s;
	pthread_condattr_t ca;
	int cv = 0, mu = 0, wmu = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->name = strdup(a->name)) == NULL ||
	    alert_ring_init(&s->ring, ALERT_RING_CAP) != 0) {
		snprintf(err, errlen, "[alert %s]: out of memory", a->name);
		goto fail;
	}
	if ((s->ops = kind_ops(a->sink)) == NULL) {
		snprintf(err, errlen, "[alert %s]: unknown sink type", a->name);
		goto fail;
	}
	s->min_severity = a->min_severity;
	if (pthread_condattr_init(&ca) != 0)
		goto fail_sys;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	cv = pthread_cond_init(&s->cv, &ca) == 0;
	pthread_condattr_destroy(&ca);
	mu = pthread_mutex_init(&s->mu, NULL) == 0;
	wmu = pthread_mutex_init(&s->warn_mu, NULL) == 0;
	if (!cv || !mu || !wmu)
		goto fail_sys;
	if (s->ops->init(s, c, a, err, errlen) != 0)
		goto fail;
	return s;
fail_sys:
	snprintf(err, errlen, "[alert %s]: %s", a->name, strerror(errno));
fail:
	if (s) {
		if (cv)
			pthread_cond_destroy(&s->cv);
		if (mu)
			pthread_mutex_destroy(&s->mu);
		if (wmu)
			pthread_mutex_destroy(&s->warn_mu);
		alert_ring_free(&s->ring);
		free(s->name);
		free(s);
	}
	return NULL;
}

int
alert_start(struct alert_sink *s)
{
	int e;

	if (s->started)
		return 0;
	if ((e = pthread_create(&s->thread, NULL, sink_main, s)) != 0) {
		log_warnx("alert %s: cannot start its thread: %s", s->name,
		    strerror(e));
		return -1;
	}
	s->started = 1;
	return 0;
}

int
alert_push(struct alert_sink *s, const struct det *d)
{
	int r = 0;

	pthread_mutex_lock(&s->mu);
	if (d->severity < (int)s->min_severity)
		s->st.filtered++;
	else if (s->stopping || alert_ring_put(&s->ring, d) != 0) {
		s->st.dropped++;
		r = -1;
	} else {
		s->st.queued++;
		if (s->ring.n == 1)
			pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

void
alert_reopen(struct alert_sink *s)
{
	pthread_mutex_lock(&s->mu);
	s->reopen = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
alert_free(struct alert_sink *s, uint32_t timeout_ms)
{
	const struct det *d;
	size_t lost = 0;

	if (s == NULL)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		s->stop_at = alert_now_ms() + timeout_ms;
		s->retry_at = 0;		/* one more try at once */
		s->local_retry_at = 0;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	/* The thread is gone: what is left is ours alone. */
	while ((d = alert_ring_peek(&s->ring)) != NULL) {
		if (!s->ops->local || s->ops->deliver(s, d, 0) != 0)
			lost++;
		alert_ring_pop(&s->ring);
	}
	if (lost)
		log_warnx("alert %s: %zu detection%s not delivered", s->name,
		    lost, lost == 1 ? "" : "s");
	s->ops->fini(s);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->warn_mu);
	alert_ring_free(&s->ring);
	free(s->name);
	free(s);
}

const char *
alert_name(const struct alert_sink *s)
{
	return s->name;
}

void
alert_stats(struct alert_sink *s, struct alert_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	out->queue = s->ring.n;
	pthread_mutex_unlock(&s->mu);
}
