/*
 * detmgr.c - see detmgr.h.  Hits in, detections out: learning,
 * suppression, merging, summaries, sinks.  The Redis side is detstore.c.
 */
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include <event2/event.h>

#include "fsclock.h"
#include "detmgr_int.h"
#include "log.h"

#define HITS_PER_ROUND	256

/* Wall time: detections, suppression and whitelist expiry (in Redis). */
uint64_t
dm_now(void)
{
	return fs_wall_ms();
}


/* ---- a 64-bit-keyed index over a dense array -------------------------- */

static int
dtab_grow(struct dtab *t)
{
	uint32_t size = t->size ? t->size * 2 : 64, i;
	uint64_t *ok = t->keys;
	uint32_t *op = t->pos, osize = t->size;

	t->keys = calloc(size, sizeof(*t->keys));
	t->pos = calloc(size, sizeof(*t->pos));
	if (t->keys == NULL || t->pos == NULL) {
		free(t->keys);
		free(t->pos);
		t->keys = ok;
		t->pos = op;
		return -1;
	}
	t->size = size;
	t->n = 0;
	for (i = 0; i < osize; i++)
		if (ok[i])
			dtab_put(t, ok[i], op[i]);
	free(ok);
	free(op);
	return 0;
}

int
dtab_put(struct dtab *t, uint64_t key, uint32_t pos)
{
	uint32_t i;

	if ((t->n + 1) * 2 > t->size && dtab_grow(t) == -1)
		return -1;
	for (i = (uint32_t)key & (t->size - 1); t->keys[i] && t->keys[i] != key;
	    i = (i + 1) & (t->size - 1))
		;
	if (t->keys[i] == 0)
		t->n++;
	t->keys[i] = key;
	t->pos[i] = pos;
	return 0;
}

long
dtab_get(const struct dtab *t, uint64_t key)
{
	uint32_t i;

	if (t->size == 0)
		return -1;
	for (i = (uint32_t)key & (t->size - 1); t->keys[i];
	    i = (i + 1) & (t->size - 1))
		if (t->keys[i] == key)
			return t->pos[i];
	return -1;
}

/* Index entries 0..n-1 of v again (after removals). */
void
dtab_reindex(struct dtab *t, const void *v, size_t stride, size_t keyoff,
    uint32_t n)
{
	uint32_t i;

	if (t->size)
		memset(t->keys, 0, t->size * sizeof(*t->keys));
	t->n = 0;
	for (i = 0; i < n; i++)
		dtab_put(t, *(const uint64_t *)(const void *)((const char *)v +
		    i * stride + keyoff), i);
}

void
dtab_free(struct dtab *t)
{
	free(t->keys);
	free(t->pos);
	memset(t, 0, sizeof(*t));
}

/* ---- whitelist entries waiting for an id ------------------------------ */

/*
 * Learned entries wait in m->wl with a temporary id until INCR's answer;
 * until the next snapshot (dm_rebuild) the workers' and hit_whitelisted's
 * index does not have them, so learn() looks for the one it would make
 * among them, and the answer to INCR looks for the entry by its
 * temporary id: each through a hash index (m->tmp_ix, m->unacked_ix),
 * one probe per hit or answer rather than a scan of m->wl.
 */

/* The fields learn() tells learned entries apart by (learned_same). */
static uint64_t
learned_key(const struct wl_entry *e)
{
	uint64_t x;

	x = flow_mix64(flow_addr_key(&e->who_addr) ^ ((uint64_t)e->proto << 56 |
	    (uint64_t)e->port << 40 | (uint64_t)(e->where & 0xff) << 32 |
	    e->asn));
	x = flow_mix64(x ^ flow_addr_key(&e->where_addr));
	return x ? x : 1;
}

static int
learned_same(const struct wl_entry *o, const struct wl_entry *e)
{
	return o->proto == e->proto && o->port == e->port &&
	    o->where == e->where && o->asn == e->asn &&
	    flow_addr_eq(&o->who_addr, &e->who_addr) &&
	    flow_addr_eq(&o->where_addr, &e->where_addr);
}

/* Index the entry at pos of m->wl (to be) if its id is temporary. */
static int
wl_ix_add(struct detmgr *m, const struct wl_entry *e, size_t pos)
{
	if (!DETMGR_IS_TMP(e->id))
		return 0;
	if (pos >= UINT32_MAX ||
	    dtab_put(&m->tmp_ix, e->id, (uint32_t)pos) == -1)
		return -1;
	if (e->source == WL_SRC_LEARNED &&
	    dtab_put(&m->unacked_ix, learned_key(e), (uint32_t)pos) == -1)
		return -1;
	return 0;
}

void
dm_wl_reindex(struct detmgr *m)
{
	size_t i;

	dtab_free(&m->tmp_ix);
	dtab_free(&m->unacked_ix);
	for (i = 0; i < m->wl.n; i++)
		if (wl_ix_add(m, &m->wl.v[i], i) == -1) {
			log_warnx("whitelist: out of memory for the index of "
			    "entries waiting for an id");
			return;
		}
}

/* The entry at position i of m->wl, or NULL (a stale index key). */
static struct wl_entry *
wl_at(struct detmgr *m, long i)
{
	if (i < 0 || (size_t)i >= m->wl.n)
		return NULL;
	m->wl_compares++;
	return &m->wl.v[i];
}

struct wl_entry *
dm_wl_tmp(struct detmgr *m, uint64_t id)
{
	struct wl_entry *e = wl_at(m, dtab_get(&m->tmp_ix, id));

	return e && e->id == id ? e : NULL;
}

/*
 * Is e learned already since the whitelist was last read?  Waiting for
 * its id, or given one since: either way the snapshot that
 * hit_whitelisted asks may not have it yet.
 */
static int
wl_unacked(struct detmgr *m, const struct wl_entry *e)
{
	const struct wl_entry *o = wl_at(m, dtab_get(&m->unacked_ix,
	    learned_key(e)));

	return o && o->source == WL_SRC_LEARNED && learned_same(o, e);
}

/* ---- learning and suppression tables --------------------------------- */

struct learn *
dm_learn_get(struct detmgr *m, const struct flow_addr *host)
{
	long i = dtab_get(&m->learn_ix, flow_addr_key(host));

	return i >= 0 && flow_addr_eq(&m->learn[i].host, host) ?
	    &m->learn[i] : NULL;
}

int
dm_learn_set(struct detmgr *m, const struct flow_addr *host,
    uint64_t until_ms)
{
	struct learn *l = dm_learn_get(m, host), *nv;
	uint32_t n = m->learn_ix.n;

	if (l) {
		l->until_ms = until_ms;
		return 0;
	}
	if (n >= DETMGR_MAX_LEARN)
		return -1;
	if ((n & (n - 1)) == 0 || n == 0) {	/* grow at powers of two */
		if ((nv = realloc(m->learn, (n ? 2 * (size_t)n : 16) *
		    sizeof(*nv))) == NULL)
			return -1;
		m->learn = nv;
	}
	m->learn[n].host = *host;
	m->learn[n].until_ms = until_ms;
	return dtab_put(&m->learn_ix, flow_addr_key(host), n);
}

static struct sup *
sup_get(struct detmgr *m, uint64_t key)
{
	long i = dtab_get(&m->sup_ix, key);

	return i >= 0 ? &m->sup[i] : NULL;
}

int
dm_sup_set(struct detmgr *m, uint64_t key, uint64_t expiry_ms,
    const char *id, int ev)
{
	struct sup *s = sup_get(m, key), *nv;
	uint32_t n = m->sup_ix.n;

	if (s == NULL) {
		if (n >= DETMGR_MAX_SUP)
			return -1;
		if ((n & (n - 1)) == 0 || n == 0) {
			if ((nv = realloc(m->sup, (n ? 2 * (size_t)n : 16) *
			    sizeof(*nv))) == NULL)
				return -1;
			m->sup = nv;
		}
		s = &m->sup[n];
		memset(s, 0, sizeof(*s));
		s->key = key;
		if (dtab_put(&m->sup_ix, key, n) == -1)
			return -1;
	}
	s->expiry_ms = expiry_ms;
	s->ev = (uint8_t)(ev != 0);
	snprintf(s->id, sizeof(s->id), "%s", id);
	return 0;
}

static void
sup_expire(struct detmgr *m, uint64_t now)
{
	uint32_t i, k = 0, n = m->sup_ix.n;

	for (i = 0; i < n; i++)
		if (m->sup[i].expiry_ms > now || m->sup[i].dirty)
			m->sup[k++] = m->sup[i];
	if (k != n)
		dtab_reindex(&m->sup_ix, m->sup, sizeof(*m->sup),
		    offsetof(struct sup, key), k);
}

/* "RULE|HOST|fields" hashed: the rule's suppression key for a hit. */
static uint64_t
sup_key_of(const struct det_hit *h)
{
	uint64_t x = flow_fnv64(FLOW_FNV64_INIT, h->rule, strlen(h->rule));

	x = flow_fnv64(x, h->host.a, sizeof(h->host.a));
	if (h->suppress_key & RULE_KEY_DST && !h->many)
		x = flow_fnv64(x, h->remote.a, sizeof(h->remote.a));
	if (h->suppress_key & RULE_KEY_DPORT)
		x = flow_fnv64(x, &h->dport, sizeof(h->dport));
	if (h->suppress_key & RULE_KEY_PROTO)
		x = flow_fnv64(x, &h->proto, sizeof(h->proto));
	x = flow_mix64(x);
	return x ? x : 1;
}

/* ---- rules and whitelist --------------------------------------------- */

static void
group_names(const struct cfg *c, const char **v, size_t *n)
{
	size_t i;

	for (i = 0; i < c->ngroups && i < 64; i++)
		v[i] = c->groups[i].name;
	*n = i;
}

static int
load_files(const struct cfg *c, struct ruleset **rs, struct wl_list *files,
    char *err, size_t errlen)
{
	const char *groups[64];
	size_t ng, i, k;
	glob_t g;

	group_names(c, groups, &ng);
	*rs = NULL;
	wl_list_init(files);
	if (c->nrules && (*rs = rule_load((const char *const *)c->rules,
	    c->nrules, groups, ng, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < c->nwhitelist; i++) {
		if (glob(c->whitelist[i], 0, NULL, &g) != 0) {
			snprintf(err, errlen, "%s: whitelist %s: no such file",
			    c->path, c->whitelist[i]);
			goto fail;
		}
		for (k = 0; k < g.gl_pathc; k++) {
			struct wl_list one;

			wl_list_init(&one);
			if (wl_parse_file(&one, g.gl_pathv[k], err, errlen) ||
			    wl_check(&one, g.gl_pathv[k], groups, ng, err,
			    errlen)) {
				wl_list_free(&one);
				globfree(&g);
				goto fail;
			}
			for (size_t e = 0; e < one.n; e++)
				wl_list_add(files, &one.v[e]);
			wl_list_free(&one);
		}
		globfree(&g);
	}
	return 0;
fail:
	rule_free(*rs);
	*rs = NULL;
	wl_list_free(files);
	return -1;
}

/* A new index over m->wl, and a new snapshot to every worker. */
void
dm_rebuild(struct detmgr *m)
{
	const char *groups[64];
	struct wl_index *ix;
	struct detref *r;
	size_t ng;
	uint64_t t0 = fs_mono_ms(), took;

	/*
	 * Learning adds entries every second; a whitelist of 500000 takes
	 * ~0.2 s to index on this thread: the tick's next rebuild waits ten
	 * times as long as this one took, 10 s at most.  A hit that is not
	 * learned still gets an index at most a second old (take_hit), as
	 * before.  A failed attempt counts too (not retried at every hit).
	 */
	m->wl_last_ms = t0;
	m->wl_next_ms = t0 + 1000;
	group_names(m->cfg, groups, &ng);
	if ((ix = wl_index_build(&m->wl, groups, ng)) == NULL) {
		log_warnx("whitelist: out of memory; the previous one stays");
		return;
	}
	if ((r = detref_new(m->rules, ix)) == NULL) {
		wl_index_free(ix);
		return;
	}
	detref_put(m->ref);
	m->ref = r;
	m->wl_dirty = 0;
	m->wl_last_ms = fs_mono_ms();
	took = m->wl_last_ms - t0;
	m->wl_next_ms = m->wl_last_ms + (took * 10 > 10000 ? 10000 :
	    took * 10 > 1000 ? took * 10 : 0);
	m->st.wl_entries = m->wl.n;
	if (m->publish)
		m->publish(m->publish_arg, r);
}

/* ---- from a hit to a detection --------------------------------------- */

static const char *
proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 1:		return "icmp";
	case 6:		return "tcp";
	case 17:	return "udp";
	case 58:	return "icmp6";
	case 132:	return "sctp";
	}
	snprintf(buf, len, "%u", p);
	return buf;
}

static const char *
group_name(const struct detmgr *m, int g)
{
	return g >= 0 && (size_t)g < m->cfg->ngroups ?
	    m->cfg->groups[g].name : "";
}

static void
next_id(struct detmgr *m, char *id, size_t len)
{
	uint64_t v = (uint64_t)time(NULL) * 1000;

	if (v <= m->last_id)
		v = m->last_id + 1;
	m->last_id = v;
	snprintf(id, len, "%" PRIu64, v);
}

static void
det_from_hit(struct detmgr *m, const struct det_hit *h, struct det *d)
{
	char p[8];

	memset(d, 0, sizeof(*d));
	next_id(m, d->id, sizeof(d->id));
	snprintf(d->rule, sizeof(d->rule), "%s", h->rule);
	d->severity = h->severity;
	d->host = h->host;
	snprintf(d->group, sizeof(d->group), "%s", group_name(m, h->group));
	d->dst = h->remote;
	d->dst_scope = h->many ? DET_SCOPE_MANY : DET_SCOPE_DST;
	d->dport = h->dport;
	d->proto = h->proto;
	snprintf(d->service, sizeof(d->service), "%s/%u",
	    proto_name(h->proto, p, sizeof(p)), h->dport);
	snprintf(d->app, sizeof(d->app), "%s", h->app);
	memcpy(d->country, h->country, sizeof(d->country));
	d->asn = h->asn;
	snprintf(d->as_org, sizeof(d->as_org), "%s", h->as_org);
	d->flows = h->flows;
	d->bytes = h->bytes;
	d->packets = h->packets;
	d->first_ms = h->first_ms;
	d->last_ms = h->last_ms;
	d->exporter = h->exporter;
}

static void
add_evidence(struct det *d, const struct det_hit *h)
{
	d->flows += h->flows;
	d->bytes += h->bytes;
	d->packets += h->packets;
	if (h->first_ms && (d->first_ms == 0 || h->first_ms < d->first_ms))
		d->first_ms = h->first_ms;
	if (h->last_ms > d->last_ms)
		d->last_ms = h->last_ms;
}

/* Another rule matched the same connection: the worst one names it. */
static void
merge_rule(struct det *d, const struct det_hit *h)
{
	int i;

	if (strcmp(d->rule, h->rule) == 0)
		return;
	for (i = 0; i < d->nrules; i++)
		if (strcmp(d->rules[i], h->rule) == 0)
			return;
	if (d->nrules >= DET_RULES_MAX)
		return;
	if (h->severity > d->severity) {
		memcpy(d->rules[d->nrules++], d->rule, sizeof(d->rule));
		snprintf(d->rule, sizeof(d->rule), "%s", h->rule);
		d->severity = h->severity;
		if (h->many) {
			d->dst_scope = DET_SCOPE_MANY;
		}
	} else
		snprintf(d->rules[d->nrules++], sizeof(d->rules[0]), "%s",
		    h->rule);
}

/*
 * The pending detections are found by (host, protocol, port) and by id
 * through two chained indexes (pend_ix); a hit or an update is one short
 * chain walk, not a scan of up to DETMGR_MAX_PENDING entries.  Entries
 * are added one at a time and removed only by raise_due(), which
 * rebuilds the indexes.
 */
static uint32_t
pend_hash_conn(const struct flow_addr *host, uint8_t proto, uint16_t port)
{
	uint32_t x = flow_addr_hash(FLOW_FNV_INIT, host);

	x = flow_fnv(x, &proto, sizeof(proto));
	return flow_fnv(x, &port, sizeof(port)) & (PEND_IX_SLOTS - 1);
}

static uint32_t
pend_hash_id(const char *id)
{
	return flow_fnv(FLOW_FNV_INIT, id, strlen(id)) & (PEND_IX_SLOTS - 1);
}

static void
pend_link(struct detmgr *m, size_t i)
{
	const struct det *d = &m->pend[i].d;
	uint32_t c = pend_hash_conn(&d->host, d->proto, d->dport);
	uint32_t k = pend_hash_id(d->id);

	m->pend_ix.next[0][i] = m->pend_ix.head[0][c];
	m->pend_ix.head[0][c] = (uint16_t)i;
	m->pend_ix.next[1][i] = m->pend_ix.head[1][k];
	m->pend_ix.head[1][k] = (uint16_t)i;
}

static void
pend_reindex(struct detmgr *m)
{
	size_t i;

	memset(m->pend_ix.head, 0xff, sizeof(m->pend_ix.head));
	for (i = 0; i < m->npend; i++)
		pend_link(m, i);
}

/* The first pending detection (in m->pend's order) this hit belongs to. */
static struct pending *
pending_find(struct detmgr *m, const struct det_hit *h)
{
	uint16_t i, best = PEND_IX_NONE;

	for (i = m->pend_ix.head[0][pend_hash_conn(&h->host, h->proto,
	    h->dport)]; i != PEND_IX_NONE; i = m->pend_ix.next[0][i]) {
		struct det *d = &m->pend[i].d;

		if (i < best && flow_addr_eq(&d->host, &h->host) &&
		    d->proto == h->proto && d->dport == h->dport &&
		    (h->many || d->dst_scope == DET_SCOPE_MANY ||
		    flow_addr_eq(&d->dst, &h->remote)))
			best = i;
	}
	return best == PEND_IX_NONE ? NULL : &m->pend[best];
}

static struct pending *
pending_by_id(struct detmgr *m, const char *id)
{
	uint16_t i;

	for (i = m->pend_ix.head[1][pend_hash_id(id)]; i != PEND_IX_NONE;
	    i = m->pend_ix.next[1][i])
		if (strcmp(m->pend[i].d.id, id) == 0)
			return &m->pend[i];
	return NULL;
}

/* The learned entry for a hit: exact port, the remote's AS or network. */
static void
learned_entry(const struct det_hit *h, uint64_t now, struct wl_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->who = WL_WHO_HOST;
	e->who_addr = h->host;
	e->who_len = h->host.af == 4 ? 32 : 128;
	e->svc = WL_SVC_PORT;
	e->proto = h->proto;
	e->port = h->dport;
	if (h->asn) {
		e->where = WL_WHERE_ASN;
		e->asn = h->asn;
	} else {
		size_t keep = h->remote.af == 4 ? 3 : 6;

		e->where = WL_WHERE_NET;
		e->where_addr = h->remote;
		memset(e->where_addr.a + keep, 0, sizeof(e->where_addr.a) - keep);
		e->where_len = (uint8_t)(keep * 8);
	}
	e->created_ms = now;
	e->source = WL_SRC_LEARNED;
	snprintf(e->author, sizeof(e->author), "flowsentryd");
	snprintf(e->comment, sizeof(e->comment), "learned");
}

/* Is the host learning now?  A host never seen before starts now. */
static int
learning(struct detmgr *m, const struct det_hit *h, uint64_t now)
{
	struct learn *l = dm_learn_get(m, &h->host);
	uint64_t until;

	if (l)
		return l->until_ms > now;
	if (m->cfg->learning == 0)
		return 0;
	until = now + (uint64_t)m->cfg->learning * 1000;
	if (dm_learn_set(m, &h->host, until) != 0) {
		/*
		 * No room to remember the period (DETMGR_MAX_LEARN hosts):
		 * such a host does not learn, its matches alert.  Saying
		 * "learning" would let it learn, unremembered, for ever.
		 */
		m->st.learn_refused++;
		return 0;
	}
	ds_learn_start(m, &h->host, until);
	return 1;
}

/* Does the whitelist as it is now (not as the worker saw it) cover h? */
static int
hit_whitelisted(const struct detmgr *m, const struct det_hit *h,
    unsigned mask, uint64_t now)
{
	struct wl_query q;

	if (mask == 0 || m->ref == NULL || m->ref->wl == NULL)
		return 0;
	memset(&q, 0, sizeof(q));
	q.host = &h->host;
	q.host_groups = h->host_groups;
	q.proto = h->proto;
	q.port = h->dport;
	q.app = h->app;
	q.remote = &h->remote;
	q.asn = h->asn;
	q.country = h->country;
	q.now_ms = now;
	return wl_match(m->ref->wl, &q, mask) != 0;
}

/*
 * Learn h as a whitelist entry: 0, or -1 when the whitelist is full (then
 * the hit is handled as after learning: a host that would need that many
 * entries is no ordinary server).
 */
static int
learn(struct detmgr *m, const struct det_hit *h, uint64_t now)
{
	struct wl_entry e;

	learned_entry(h, now, &e);
	/*
	 * Already learned?  The snapshot knows all but what came since it
	 * was made (the workers' may lag a second): that waits for its id.
	 */
	if (hit_whitelisted(m, h, 1u << WL_SRC_LEARNED, now))
		return 0;
	if (m->wl_dirty && wl_unacked(m, &e))
		return 0;
	if (m->wl.n >= DETMGR_MAX_WL) {
		m->st.learn_refused++;
		return -1;
	}
	e.id = ++m->tmp_id;
	if (wl_ix_add(m, &e, m->wl.n) == -1 || wl_list_add(&m->wl, &e) == -1)
		return -1;
	m->wl_dirty = 1;
	m->st.learned++;
	ds_write_learned(m, &m->wl.v[m->wl.n - 1]);
	return 0;
}

static void
take_hit(struct detmgr *m, const struct det_hit *h, uint64_t now)
{
	struct pending *p;
	struct sup *s;
	uint64_t key, expiry;

	if (!m->loaded) {
		if (m->nbacklog < DETMGR_MAX_BACKLOG)
			m->backlog[m->nbacklog++] = *h;
		else
			m->st.backlog_dropped++;
		m->st.backlog = m->nbacklog;
		return;
	}
	if (h->seen) {			/* a host seen: its period starts */
		(void)learning(m, h, now);
		return;
	}
	if (h->learn && learning(m, h, now) && learn(m, h, now) == 0)
		return;
	if (m->wl_dirty && fs_mono_ms() - m->wl_last_ms >= 1000)
		dm_rebuild(m);		/* what the tick did before pacing */
	/*
	 * The worker checked the whitelist it had; it may be older than ours
	 * (the Redis whitelist still loading at start, an allow a moment
	 * ago).  A hit about many destinations has no one destination to ask
	 * about: the worker's check of each record stands.
	 */
	if (!h->many && hit_whitelisted(m, h, h->wl_mask, now)) {
		m->st.whitelisted++;
		return;
	}
	/*
	 * Every rule that matches a connection reports the same records:
	 * only the rule that opened the detection adds evidence (s->ev), the
	 * others name themselves in it, so flows and bytes are counted once.
	 */
	key = sup_key_of(h);
	if ((s = sup_get(m, key)) && s->expiry_ms > now) {
		m->st.suppressed++;
		if (!s->ev)
			return;
		if ((p = pending_by_id(m, s->id))) {
			add_evidence(&p->d, h);
			return;
		}
		s->flows += h->flows;
		s->bytes += h->bytes;
		s->packets += h->packets;
		if (h->last_ms > s->last_ms)
			s->last_ms = h->last_ms;
		s->dirty = 1;
		return;
	}
	expiry = now + (uint64_t)h->suppress_secs * 1000;
	if ((p = pending_find(m, h))) {
		merge_rule(&p->d, h);
		if (dm_sup_set(m, key, expiry, p->d.id, 0) == 0)
			ds_write_sup(m, key, expiry, p->d.id, 0);
		return;
	}
	if (m->npend == DETMGR_MAX_PENDING) {
		m->st.backlog_dropped++;
		return;
	}
	p = &m->pend[m->npend++];
	memset(p, 0, sizeof(*p));
	det_from_hit(m, h, &p->d);
	p->due_ms = fs_mono_ms() + DETMGR_SETTLE_MS;
	p->sup_key = key;
	p->sup_secs = h->suppress_secs;
	pend_link(m, m->npend - 1);
	/* Written with the detection (raise_det). */
	dm_sup_set(m, key, expiry, p->d.id, 1);
}

void
dm_take_backlog(struct detmgr *m)
{
	uint64_t now = dm_now();
	size_t i, n = m->nbacklog;

	m->nbacklog = 0;
	for (i = 0; i < n; i++)
		take_hit(m, &m->backlog[i], now);
	m->st.backlog = m->nbacklog;
}

/* ---- summaries ------------------------------------------------------- */

static const char *
field_value(const struct det *d, const char *name, char *buf, size_t len)
{
	if (strcmp(name, "src") == 0 || strcmp(name, "host") == 0)
		return flow_addr_str(&d->host, buf, len);
	if (strcmp(name, "dst") == 0)
		return d->dst_scope == DET_SCOPE_MANY ? "many destinations" :
		    flow_addr_str(&d->dst, buf, len);
	if (strcmp(name, "dport") == 0 || strcmp(name, "sport") == 0) {
		snprintf(buf, len, "%u", name[0] == 'd' ? d->dport : 0);
		return buf;
	}
	if (strcmp(name, "proto") == 0)
		return proto_name(d->proto, buf, len);
	if (strcmp(name, "asn") == 0) {
		snprintf(buf, len, "AS%u", d->asn);
		return buf;
	}
#define NUM(f) if (strcmp(name, #f) == 0) { \
		snprintf(buf, len, "%" PRIu64, d->f); return buf; }
	NUM(bytes) NUM(packets) NUM(flows)
#undef NUM
#define STR(f) if (strcmp(name, #f) == 0) return d->f[0] ? d->f : "-";
	STR(service) STR(app) STR(country) STR(as_org) STR(group) STR(rule)
#undef STR
	if (strcmp(name, "severity") == 0)
		return det_sev_name(d->severity);
	return "?";
}

/* The rule's summary template with {field}s filled in. */
static void
render_summary(struct detmgr *m, struct det *d)
{
	const char *t = NULL, *p;
	char name[32], val[128];
	size_t off = 0, i, n;
	const struct ruleset *rs = m->ref && m->ref->rules ?
	    m->ref->rules->rs : NULL;

	for (i = 0, n = rs ? rule_count(rs) : 0; i < n; i++)
		if (strcmp(rule_get(rs, i)->name, d->rule) == 0)
			t = rule_get(rs, i)->summary;
	if (t == NULL || *t == '\0')
		t = "{rule}: {src} ({group}) to {dst} {service} {app} "
		    "({country} {asn} {as_org})";
	for (p = t; *p && off + 1 < sizeof(d->summary); p++) {
		const char *v, *e;

		if (*p != '{' || (e = strchr(p, '}')) == NULL ||
		    (size_t)(e - p - 1) >= sizeof(name)) {
			d->summary[off++] = *p;
			continue;
		}
		memcpy(name, p + 1, (size_t)(e - p - 1));
		name[e - p - 1] = '\0';
		v = field_value(d, name, val, sizeof(val));
		off += (size_t)snprintf(d->summary + off,
		    sizeof(d->summary) - off, "%s", v);
		if (off >= sizeof(d->summary))
			off = sizeof(d->summary) - 1;
		p = e;
	}
	d->summary[off] = '\0';
}

/* ---- raising ----------------------------------------------------------- */

static void
raise_det(struct detmgr *m, struct pending *p)
{
	struct det *d = &p->d;
	char h[64], dst[64];
	size_t i;

	d->ts_ms = dm_now();
	render_summary(m, d);
	ds_write_det(m, d, p->sup_key, d->ts_ms + (uint64_t)p->sup_secs * 1000);
	for (i = 0; i < m->nsinks; i++)
		alert_push(m->sinks[i], d);
	m->st.detections++;
	log_info("detection %s: %s (%s) %s -> %s %s: %s", d->id, d->rule,
	    det_sev_name(d->severity), flow_addr_str(&d->host, h, sizeof(h)),
	    d->dst_scope == DET_SCOPE_MANY ? "many" :
	    flow_addr_str(&d->dst, dst, sizeof(dst)), d->service, d->summary);
}

static void
raise_due(struct detmgr *m, uint64_t now, int all)
{
	size_t i = 0, n = m->npend;

	while (i < m->npend) {
		if (all || m->pend[i].due_ms <= now) {
			raise_det(m, &m->pend[i]);
			m->pend[i] = m->pend[--m->npend];
		} else
			i++;
	}
	if (m->npend != n)
		pend_reindex(m);
}

static void
take_queue(struct detmgr *m)
{
	struct det_hit v[HITS_PER_ROUND];
	uint32_t n, i;
	uint64_t now = dm_now();

	while ((n = hitq_pop(&m->q, v, HITS_PER_ROUND)) > 0) {
		m->st.hits += n;
		for (i = 0; i < n; i++)
			take_hit(m, &v[i], now);
	}
}

static void
on_hits(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	take_queue(arg);
}

/* From a worker thread: wake the main loop. */
static void
notify(void *arg)
{
	struct detmgr *m = arg;

	event_active(m->ev_hits, EV_READ, 0);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct detmgr *m = arg;
	uint64_t now = dm_now();
	uint32_t i, learning_hosts = 0;

	(void)fd;
	(void)what;
	take_queue(m);
	raise_due(m, fs_mono_ms(), 0);
	ds_write_updates(m);
	sup_expire(m, now);
	ds_tick(m);
	if (m->wl_dirty && fs_mono_ms() >= m->wl_next_ms)
		dm_rebuild(m);
	for (i = 0; i < m->learn_ix.n; i++)
		learning_hosts += m->learn[i].until_ms > now;
	m->st.learning_hosts = learning_hosts;
}

/* ---- life cycle ------------------------------------------------------ */

static int
open_sinks(const struct cfg *c, struct alert_sink ***out, size_t *nout,
    char *err, size_t errlen)
{
	struct alert_sink **v;
	size_t i;

	*out = NULL;
	*nout = 0;
	if (c->nalerts == 0)
		return 0;
	if ((v = calloc(c->nalerts, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "alerts: out of memory");
		return -1;
	}
	for (i = 0; i < c->nalerts; i++)
		if ((v[i] = alert_new(c, &c->alerts[i], err, errlen)) == NULL) {
			while (i-- > 0)
				alert_free(v[i], 0);
			free(v);
			return -1;
		}
	*out = v;
	*nout = c->nalerts;
	return 0;
}

static void
close_sinks(struct alert_sink **v, size_t n, uint32_t timeout_ms)
{
	size_t i;

	for (i = 0; i < n; i++)
		alert_free(v[i], timeout_ms);
	free(v);
}

static void
copy_list(struct wl_list *dst, const struct wl_list *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		wl_list_add(dst, &src->v[i]);
}

struct detmgr *
detmgr_new(struct event_base *base, const struct cfg *c, int check,
    char *err, size_t errlen)
{
	struct detmgr *m = calloc(1, sizeof(*m));
	struct ruleset *rs;
	size_t i;

	if (m == NULL) {
		snprintf(err, errlen, "detection: out of memory");
		return NULL;
	}
	m->base = base;
	m->cfg = c;
	pend_reindex(m);
	wl_list_init(&m->wl);
	if (load_files(c, &rs, &m->files, err, errlen) == -1) {
		free(m);
		return NULL;
	}
	if (rs && (m->rules = rulesref_new(rs)) == NULL) {
		rule_free(rs);
		goto nomem;
	}
	if (check)
		return m;
	if (open_sinks(c, &m->sinks, &m->nsinks, err, errlen) == -1)
		goto fail;
	if ((m->backlog = calloc(DETMGR_MAX_BACKLOG, sizeof(*m->backlog)))
	    == NULL || hitq_init(&m->q, 65536, notify, m) == -1)
		goto nomem;
	m->ev_hits = event_new(base, -1, 0, on_hits, m);
	m->ev_tick = event_new(base, -1, EV_PERSIST, on_tick, m);
	if (m->ev_hits == NULL || m->ev_tick == NULL)
		goto nomem;
	/* Until Redis says more: the files' entries, numbered here. */
	copy_list(&m->wl, &m->files);
	for (i = 0; i < m->wl.n; i++)
		m->wl.v[i].id = i + 1;
	m->tmp_id = DETMGR_TMP_ID;
	/* Names this collector's own messages on PREFIXwl:changed. */
	if (getrandom(&m->token, sizeof(m->token), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(m->token))
		m->token = flow_mix64((uint64_t)time(NULL) << 20 ^
		    (uint64_t)getpid() ^ (uintptr_t)m);
	m->token |= 1;
	return m;
nomem:
	snprintf(err, errlen, "detection: out of memory");
fail:
	detmgr_free(m, 0);
	return NULL;
}

int
detmgr_start(struct detmgr *m, detmgr_publish_cb *publish, void *arg)
{
	struct timeval one = { 1, 0 };
	size_t i;

	m->publish = publish;
	m->publish_arg = arg;
	for (i = 0; i < m->nsinks; i++)
		if (alert_start(m->sinks[i]) == -1)
			return -1;
	dm_rebuild(m);
	if (event_add(m->ev_tick, &one) == -1)
		return -1;
	return ds_start(m);
}

struct hitq *
detmgr_queue(struct detmgr *m)
{
	return &m->q;
}

int
detmgr_reload(struct detmgr *m, const struct cfg *c, char *err,
    size_t errlen)
{
	struct ruleset *rs;
	struct rulesref *rr = NULL;
	struct wl_list files;
	struct alert_sink **sinks;
	size_t nsinks, i;

	if (load_files(c, &rs, &files, err, errlen) == -1)
		return -1;
	if (rs && (rr = rulesref_new(rs)) == NULL) {
		rule_free(rs);
		wl_list_free(&files);
		snprintf(err, errlen, "detection: out of memory");
		return -1;
	}
	if (open_sinks(c, &sinks, &nsinks, err, errlen) == -1) {
		rulesref_put(rr);
		wl_list_free(&files);
		return -1;
	}
	for (i = 0; i < nsinks; i++)
		alert_start(sinks[i]);
	/* Everything loaded: switch. */
	raise_due(m, fs_mono_ms(), 1);
	close_sinks(m->sinks, m->nsinks, 2000);
	m->sinks = sinks;
	m->nsinks = nsinks;
	rulesref_put(m->rules);
	m->rules = rr;
	m->cfg = c;
	if (!ds_up(m)) {
		/* Without Redis the files are the staff whitelist. */
		struct wl_list keep;

		wl_list_init(&keep);
		for (i = 0; i < m->wl.n; i++)
			if (m->wl.v[i].source == WL_SRC_LEARNED)
				wl_list_add(&keep, &m->wl.v[i]);
		wl_list_free(&m->wl);
		wl_list_init(&m->wl);
		copy_list(&m->wl, &files);
		for (i = 0; i < m->wl.n; i++)
			m->wl.v[i].id = i + 1;
		copy_list(&m->wl, &keep);
		wl_list_free(&keep);
		dm_wl_reindex(m);
	}
	wl_list_free(&m->files);
	m->files = files;
	ds_set_url(m);
	dm_rebuild(m);
	return 0;
}

void
detmgr_reopen(struct detmgr *m)
{
	size_t i;

	for (i = 0; i < m->nsinks; i++)
		alert_reopen(m->sinks[i]);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

void
detmgr_drain(struct detmgr *m, uint32_t timeout_ms)
{
	struct timeval tv = { (time_t)(timeout_ms / 1000),
	    (suseconds_t)(timeout_ms % 1000) * 1000 };
	struct event *dl;
	int expired = 0;

	if ((dl = evtimer_new(m->base, on_deadline, &expired)) == NULL)
		return;
	evtimer_add(dl, &tv);
	/* The state first (hits wait for it), then everything out. */
	while (!expired && !m->loaded)
		event_base_loop(m->base, EVLOOP_ONCE);
	take_queue(m);
	raise_due(m, fs_mono_ms(), 1);
	ds_write_updates(m);
	if (m->wl_dirty)
		dm_rebuild(m);
	while (!expired && ds_pending(m) > 0)
		event_base_loop(m->base, EVLOOP_ONCE);
	event_free(dl);
}

void
detmgr_free(struct detmgr *m, uint32_t timeout_ms)
{
	if (m == NULL)
		return;
	ds_stop(m);
	close_sinks(m->sinks, m->nsinks, timeout_ms);
	if (m->ev_hits)
		event_free(m->ev_hits);
	if (m->ev_tick)
		event_free(m->ev_tick);
	hitq_free(&m->q);
	detref_put(m->ref);
	rulesref_put(m->rules);
	wl_list_free(&m->wl);
	wl_list_free(&m->files);
	dtab_free(&m->learn_ix);
	dtab_free(&m->sup_ix);
	dtab_free(&m->tmp_ix);
	dtab_free(&m->unacked_ix);
	free(m->learn);
	free(m->sup);
	free(m->backlog);
	free(m);
}

void
detmgr_stats(struct detmgr *m, struct detmgr_stats *out)
{
	pthread_mutex_lock(&m->q.mtx);
	m->st.hits_dropped = m->q.dropped;
	pthread_mutex_unlock(&m->q.mtx);
	m->st.redis_up = (uint64_t)ds_up(m);
	*out = m->st;
}

int
detmgr_sink_stats(struct detmgr *m, size_t i, const char **name,
    struct alert_stats *out)
{
	if (i >= m->nsinks)
		return -1;
	*name = alert_name(m->sinks[i]);
	alert_stats(m->sinks[i], out);
	return 0;
}
