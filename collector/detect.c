/*
 * detect.c - see detect.h.  The hit queue and the per-worker detector.
 */
#include <stdlib.h>
#include <string.h>

#include "detect.h"

#define FOLD_SLOTS	4096
#define FOLD_IDLE_MS	60000

/* ---- shared snapshot ------------------------------------------------- */

struct rulesref *
rulesref_new(struct ruleset *rs)
{
	struct rulesref *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->rs = rs;
	r->refs = 1;
	return r;
}

struct rulesref *
rulesref_get(struct rulesref *r)
{
	if (r)
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
	return r;
}

void
rulesref_put(struct rulesref *r)
{
	if (r && __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		rule_free(r->rs);
		free(r);
	}
}

struct detref *
detref_new(struct rulesref *rules, struct wl_index *wl)
{
	struct detref *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->rules = rulesref_get(rules);
	r->wl = wl;
	r->refs = 1;
	return r;
}

struct detref *
detref_get(struct detref *r)
{
	if (r)
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
	return r;
}

void
detref_put(struct detref *r)
{
	if (r && __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		rulesref_put(r->rules);
		wl_index_free(r->wl);
		free(r);
	}
}

/* ---- the queue ------------------------------------------------------- */

int
hitq_init(struct hitq *q, uint32_t cap, void (*notify)(void *), void *arg)
{
	memset(q, 0, sizeof(*q));
	if ((q->v = calloc(cap, sizeof(*q->v))) == NULL)
		return -1;
	q->cap = cap;
	q->notify = notify;
	q->notify_arg = arg;
	pthread_mutex_init(&q->mtx, NULL);
	return 0;
}

void
hitq_free(struct hitq *q)
{
	if (q->v == NULL)
		return;
	pthread_mutex_destroy(&q->mtx);
	free(q->v);
	q->v = NULL;
}

uint32_t
hitq_push(struct hitq *q, const struct det_hit *h, uint32_t n)
{
	uint32_t k;
	int wake;

	pthread_mutex_lock(&q->mtx);
	wake = q->n == 0;
	for (k = 0; k < n && q->n < q->cap; k++) {
		q->v[(q->head + q->n) % q->cap] = h[k];
		q->n++;
	}
	q->pushed += k;
	q->dropped += n - k;
	wake = wake && k > 0;
	pthread_mutex_unlock(&q->mtx);
	if (wake && q->notify)
		q->notify(q->notify_arg);
	return k;
}

uint32_t
hitq_pop(struct hitq *q, struct det_hit *out, uint32_t max)
{
	uint32_t k = 0;

	pthread_mutex_lock(&q->mtx);
	while (k < max && q->n) {
		out[k++] = q->v[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	pthread_mutex_unlock(&q->mtx);
	return k;
}

/* ---- the detector ---------------------------------------------------- */

/* Hits of one rule and suppression key, folded between reports. */
struct fold {
	uint32_t	 hash;
	uint8_t		 used;
	uint8_t		 pending;	/* hit holds unreported evidence */
	uint64_t	 reported_ms;
	struct det_hit	 hit;
};

struct detector {
	struct hitq		*q;
	struct detref		*ref;
	const struct cfg	*cfg;
	struct rule_state	*st;
	uint32_t		 max_keys;
	struct fold		*fold;
	struct det_hit		 out[DETECT_OUT];	/* not yet pushed */
	uint32_t		 nout;
	uint64_t		*seen;		/* address keys, 0 empty */
	uint32_t		 seen_mask, seen_n, seen_max;
	struct detect_stats	 s;
};

struct detector *
detector_new(struct hitq *q, uint32_t max_keys, uint32_t max_hosts)
{
	struct detector *d = calloc(1, sizeof(*d));
	uint32_t size = 64;

	if (max_hosts == 0)
		max_hosts = 1;
	while (size < 2 * (uint64_t)max_hosts && size < (1u << 30))
		size *= 2;
	if (d == NULL || (d->fold = calloc(FOLD_SLOTS, sizeof(*d->fold)))
	    == NULL || (d->seen = calloc(size, sizeof(*d->seen))) == NULL) {
		if (d)
			free(d->fold);
		free(d);
		return NULL;
	}
	d->q = q;
	d->max_keys = max_keys;
	d->seen_mask = size - 1;
	d->seen_max = size / 2 < max_hosts ? size / 2 : max_hosts;
	return d;
}

void
detector_free(struct detector *d)
{
	if (d == NULL)
		return;
	rule_state_free(d->st);
	detref_put(d->ref);
	free(d->fold);
	free(d->seen);
	free(d);
}

void
detector_set(struct detector *d, struct detref *ref)
{
	struct rule_state *st = NULL;

	/* New rules: new windows (rule numbers changed); same rules: kept. */
	if (ref && ref->rules && (d->ref == NULL || d->ref->rules != ref->rules))
		st = rule_state_new(ref->rules->rs, d->max_keys);
	if (ref == NULL || ref->rules == NULL || st) {
		rule_state_free(d->st);
		d->st = st;
		memset(d->fold, 0, FOLD_SLOTS * sizeof(*d->fold));
	}
	detref_put(d->ref);
	d->ref = detref_get(ref);
}

void
detector_set_cfg(struct detector *d, const struct cfg *c)
{
	d->cfg = c;
}

uint64_t
detect_groups_of(const struct cfg *c, const struct flow_addr *a)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; c && i < c->ngroups && i < 64; i++)
		if (cfg_cidr_find(c->groups[i].hosts, c->groups[i].nhosts, a)
		    >= 0)
			m |= 1ULL << i;
	return m;
}

void
detector_flush(struct detector *d)
{
	uint32_t k;

	if (d->nout == 0)
		return;
	k = hitq_push(d->q, d->out, d->nout);
	d->s.reported += k;
	d->s.queue_full += d->nout - k;
	d->nout = 0;
}

/* Hits go to the manager DETECT_OUT at a time: one lock, one wake-up. */
static void
report(struct detector *d, const struct det_hit *h)
{
	if (d->nout == DETECT_OUT)
		detector_flush(d);
	d->out[d->nout++] = *h;
}

static uint32_t
fold_hash(size_t rule, const struct det_hit *h, const struct rule_rec *r)
{
	uint32_t key = h->suppress_key, x = FLOW_FNV_INIT;

	x = flow_fnv(x, &rule, sizeof(rule));
	x = flow_addr_hash(x, &h->host);
	if (key & RULE_KEY_DST)
		x = flow_addr_hash(x, &h->remote);
	if (key & RULE_KEY_DPORT)
		x = flow_fnv(x, &h->dport, sizeof(h->dport));
	if (key & RULE_KEY_PROTO)
		x = flow_fnv(x, &h->proto, sizeof(h->proto));
	if (key & RULE_KEY_SPORT)
		x = flow_fnv(x, &r->sport, sizeof(r->sport));
	return x ? x : 1;
}

static void
fold_add(struct det_hit *acc, const struct det_hit *h)
{
	acc->flows += h->flows;
	acc->bytes += h->bytes;
	acc->packets += h->packets;
	if (h->first_ms && (acc->first_ms == 0 || h->first_ms < acc->first_ms))
		acc->first_ms = h->first_ms;
	if (h->last_ms > acc->last_ms)
		acc->last_ms = h->last_ms;
	acc->ts_ms = h->ts_ms;
}

/* Report the first hit of a key at once, fold the rest. */
static void
fold_hit(struct detector *d, size_t rule, const struct det_hit *h,
    const struct rule_rec *r, uint64_t now)
{
	uint32_t hash = fold_hash(rule, h, r);
	struct fold *f = &d->fold[hash % FOLD_SLOTS];

	if (f->used && f->hash == hash && strcmp(f->hit.rule, h->rule) == 0 &&
	    flow_addr_eq(&f->hit.host, &h->host)) {
		if (!f->pending) {
			f->hit.flows = f->hit.bytes = f->hit.packets = 0;
			f->hit.first_ms = f->hit.last_ms = 0;
			f->pending = 1;
		}
		fold_add(&f->hit, h);
		return;
	}
	if (f->used && f->pending) {
		d->s.fold_evicted++;
		report(d, &f->hit);
	}
	report(d, h);
	f->used = 1;
	f->pending = 0;
	f->hash = hash;
	f->reported_ms = now;
	f->hit = *h;
}

static void
fill_rec(const struct enriched *e, uint64_t sg, uint64_t dg, uint64_t now,
    struct rule_rec *rr)
{
	const struct flow_rec *r = e->r;

	memset(rr, 0, sizeof(*rr));
	rr->src = &r->src;
	rr->dst = &r->dst;
	rr->sport = r->sport;
	rr->dport = r->dport;
	rr->proto = r->proto;
	rr->tcp_flags = r->tcp_flags;
	rr->traffic = e->traffic;
	rr->outbound = e->outbound;
	rr->inbound = e->inbound;
	rr->rate = e->rate ? e->rate : 1;
	rr->bytes = e->bytes;
	rr->packets = e->packets;
	rr->raw_packets = r->packets;
	rr->asn = e->geo.asn;
	rr->country = e->geo.country;
	rr->app = e->app.name;
	rr->src_groups = sg;
	rr->dst_groups = dg;
	rr->ts_ms = now;
}

/* The whitelists that silence a rule: staff ones, and learned ones too
 * for a rule that learns. */
static unsigned
wl_mask_of(const struct rule_info *ri)
{
	return (ri->whitelist ? 1u << WL_SRC_STAFF : 0) |
	    (ri->learn ? 1u << WL_SRC_LEARNED : 0);
}

static void
fill_hit(const struct enriched *e, const struct rule_info *ri,
    const struct flow_addr *exporter, uint64_t groups, uint64_t now,
    struct det_hit *h)
{
	const struct flow_rec *r = e->r;

	memset(h, 0, sizeof(*h));
	h->wl_mask = (uint8_t)wl_mask_of(ri);
	h->host_groups = groups;
	snprintf(h->rule, sizeof(h->rule), "%s", ri->name);
	h->severity = (uint8_t)ri->severity;
	h->learn = (uint8_t)ri->learn;
	h->many = ri->agg != RULE_AGG_NONE && !(ri->per_key & RULE_KEY_DST);
	h->proto = r->proto;
	h->suppress_key = ri->suppress_key;
	h->suppress_secs = ri->suppress_secs;
	h->host = *e->local;
	h->remote = *e->remote;
	h->exporter = *exporter;
	h->dport = e->service_port;
	h->group = (int16_t)e->group;
	h->asn = e->geo.asn;
	memcpy(h->country, e->geo.country, sizeof(h->country));
	snprintf(h->app, sizeof(h->app), "%s", e->app.name);
	snprintf(h->as_org, sizeof(h->as_org), "%s", e->geo.as_org);
	h->flows = 1;
	h->bytes = e->bytes;
	h->packets = e->packets;
	h->first_ms = (r->have & FL_FIRST) ? r->first : now;
	h->last_ms = (r->have & FL_LAST) ? r->last : now;
	h->ts_ms = now;
}

/*
 * Does the whitelist silence rule ri on this record?  Every matching rule
 * asks the same question with one of three source masks, so the answers
 * are kept for the record in wlc (index mask - 1; 0 unknown, 1 no, 2 yes).
 */
static int
whitelisted(const struct detector *d, const struct enriched *e,
    const struct rule_info *ri, uint64_t groups, uint64_t now, uint8_t *wlc)
{
	struct wl_query q;
	unsigned mask = wl_mask_of(ri);

	if (mask == 0 || d->ref->wl == NULL)
		return 0;
	if (wlc[mask - 1])
		return wlc[mask - 1] == 2;
	memset(&q, 0, sizeof(q));
	q.host = e->local;
	q.host_groups = groups;
	q.proto = e->r->proto;
	q.port = e->service_port;
	q.app = e->app.name;
	q.remote = e->remote;
	q.asn = e->geo.asn;
	q.country = e->geo.country;
	q.now_ms = now;
	wlc[mask - 1] = wl_match(d->ref->wl, &q, mask) != 0 ? 2 : 1;
	return wlc[mask - 1] == 2;
}

int
detect_plausible(const struct enriched *e)
{
	const struct flow_addr *a = e->remote;
	const struct flow_rec *r = e->r;
	static const uint8_t zero[16];

	if (a->af == 4) {
		if (memcmp(a->a, zero, 4) == 0 || a->a[0] >= 224)
			return 0;	/* 0.0.0.0, multicast, 240/4, broadcast */
	} else if (memcmp(a->a, zero, 16) == 0 || a->a[0] == 0xff)
		return 0;		/* ::, multicast */
	/* 65535 bytes an IP packet (a jumbogram is not exported as one). */
	if ((r->have & FL_PACKETS) && r->packets > 0 &&
	    r->bytes / r->packets > 65535)
		return 0;
	if ((r->have & FL_PACKETS) && r->packets == 0 && r->bytes > 65535)
		return 0;
	return 1;
}

/* The first sight of a local host: tell the manager (learning starts). */
static void
sighting(struct detector *d, const struct enriched *e,
    const struct flow_addr *exporter, uint64_t groups, uint64_t now)
{
	uint64_t key = flow_addr_key(e->local);
	uint32_t i = (uint32_t)key & d->seen_mask;
	struct det_hit h;

	while (d->seen[i] != 0) {
		if (d->seen[i] == key)
			return;
		i = (i + 1) & d->seen_mask;
	}
	if (d->seen_n >= d->seen_max) {
		d->s.hosts_untracked++;
		return;
	}
	d->seen[i] = key;
	d->seen_n++;
	d->s.hosts_seen = d->seen_n;
	memset(&h, 0, sizeof(h));
	h.seen = 1;
	h.host = *e->local;
	h.exporter = *exporter;
	h.host_groups = groups;
	h.group = (int16_t)e->group;
	h.ts_ms = now;
	report(d, &h);
}

void
detector_record(struct detector *d, const struct enriched *e,
    const struct flow_addr *exporter, uint64_t now)
{
	const struct ruleset *rs;
	struct rule_rec rr;
	struct rule_hit rh;
	struct det_hit h;
	uint64_t groups, sg = 0, dg = 0;
	uint8_t wlc[3] = { 0, 0, 0 };
	const uint32_t *cand;
	size_t i, k, n;

	if (d->ref == NULL || d->ref->rules == NULL ||
	    (rs = d->ref->rules->rs) == NULL || d->st == NULL ||
	    e->traffic == ENR_TRANSIT || e->local == NULL || e->remote == NULL)
		return;
	if (!detect_plausible(e)) {
		d->s.implausible++;
		return;
	}
	d->s.evaluated++;
	/* Groups hold our servers: only a local end can be in one. */
	groups = detect_groups_of(d->cfg, e->local);
	if (e->traffic == ENR_INTERNAL) {
		sg = detect_groups_of(d->cfg, &e->r->src);
		dg = detect_groups_of(d->cfg, &e->r->dst);
	} else if (e->local == &e->r->src)
		sg = groups;
	else
		dg = groups;
	if (d->cfg && d->cfg->learning)		/* else nobody asks */
		sighting(d, e, exporter, groups, now);
	fill_rec(e, sg, dg, now, &rr);
	cand = rule_candidates(rs, rule_class_of(&rr), &n);
	for (k = 0; k < n; k++) {
		const struct rule_info *ri;

		i = cand[k];
		if (!rule_match(rs, i, &rr))
			continue;
		d->s.matched++;
		ri = rule_get(rs, i);
		if (whitelisted(d, e, ri, groups, now, wlc)) {
			d->s.whitelisted++;
			continue;
		}
		if (!rule_feed(d->st, i, &rr, &rh))
			continue;
		d->s.fired++;
		fill_hit(e, ri, exporter, groups, now, &h);
		if (ri->agg != RULE_AGG_NONE) {
			h.flows = rh.flows;
			h.bytes = rh.bytes;
			h.packets = rh.packets;
			h.first_ms = rh.first_ms;
			h.last_ms = rh.last_ms;
		}
		fold_hit(d, i, &h, &rr, now);
	}
}

void
detector_tick(struct detector *d, uint64_t now)
{
	size_t i;

	if (d->st)
		rule_state_expire(d->st, now);
	for (i = 0; i < FOLD_SLOTS; i++) {
		struct fold *f = &d->fold[i];

		if (!f->used)
			continue;
		if (f->pending && now - f->reported_ms >= DETECT_FOLD_MS) {
			report(d, &f->hit);
			f->pending = 0;
			f->reported_ms = now;
		} else if (!f->pending && now - f->reported_ms > FOLD_IDLE_MS)
			f->used = 0;
	}
	detector_flush(d);
}

void
detector_drain(struct detector *d, uint64_t now)
{
	size_t i;

	for (i = 0; i < FOLD_SLOTS; i++) {
		struct fold *f = &d->fold[i];

		if (f->used && f->pending) {
			report(d, &f->hit);
			f->pending = 0;
			f->reported_ms = now;
		}
	}
	detector_flush(d);
}

void
detector_stats(const struct detector *d, struct detect_stats *out)
{
	struct rule_state_stats rs;

	*out = d->s;
	if (d->st) {
		rule_state_stats(d->st, &rs);
		out->state_keys = rs.keys;
		out->state_refused = rs.keys_refused;
	}
}
