/*
 * detstore.c - the detection manager's Redis side (docs/redis.md,
 * "Detection keys").
 *
 * DESIGN
 * Two connections on the main loop (rconn.c): one for commands, one
 * subscribed to PREFIXwl:changed.  After every connect the whitelist,
 * the learning periods and the suppression windows are read back
 * (pipelined HGETALLs); only then are hits taken (detmgr.c holds them
 * meanwhile), and the first time the whitelist files are imported:
 * entries not yet in Redis are added with fresh ids.  Learned and
 * imported entries wait in memory with temporary ids until INCR gives
 * them a real one; detections raised while Redis is away wait in a
 * bounded list.  Every command is an argument vector.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "detmgr_int.h"
#include "log.h"

#define DET_TTL_SECS	(90 * 86400)
#define STREAM_MAXLEN	"100000"

enum load_what { LOAD_WL = 1, LOAD_LEARN, LOAD_SUP };

struct loadreq {
	struct detmgr	*m;
	enum load_what	 what;
};

struct idreq {
	struct detmgr	*m;
	uint64_t	 tmp;
};

static const char *
P(const struct detmgr *m)
{
	return m->cfg->redis_prefix;
}

int
ds_up(const struct detmgr *m)
{
	return m->rc && rconn_up(m->rc);
}

uint64_t
ds_pending(const struct detmgr *m)
{
	return m->rc ? rconn_stats(m->rc)->pending + (ds_up(m) ? m->nunw : 0)
	    : 0;
}

static void
send(struct detmgr *m, struct rcmd *c)
{
	if (rconn_send(m->rc, c, NULL, NULL) == -1)
		m->st.redis_errors++;
}

static void
publish(struct detmgr *m, const char *what, uint64_t v)
{
	struct rcmd c;

	rcmd_init(&c);
	rcmd_arg(&c, "PUBLISH");
	rcmd_arg(&c, "%swl:changed", P(m));
	rcmd_arg(&c, "%s %" PRIu64 " by %016" PRIx64, what, v, m->token);
	send(m, &c);
}

/* Did this collector send the message (publish)?  Then it has the change. */
static int
own_message(const struct detmgr *m, const char *msg, size_t len)
{
	char tail[32];
	int n = snprintf(tail, sizeof(tail), " by %016" PRIx64, m->token);

	return n > 0 && len >= (size_t)n &&
	    memcmp(msg + len - (size_t)n, tail, (size_t)n) == 0;
}

/* ---- whitelist entries waiting for an id ------------------------------ */

int
ds_id_given(struct detmgr *m, uint64_t tmp, uint64_t id)
{
	struct wl_entry *e;
	char line[1024];
	struct rcmd c;

	if ((e = dm_wl_tmp(m, tmp)) == NULL)
		return -1;
	e->id = id;
	if (wl_format_entry(e, line, sizeof(line)) < 0)
		return 0;
	if (m->rc) {
		rcmd_init(&c);
		rcmd_arg(&c, "HSET");
		rcmd_arg(&c, "%swl", P(m));
		rcmd_arg(&c, "%" PRIu64, e->id);
		rcmd_arg(&c, "%s", line);
		send(m, &c);
		publish(m, e->source == WL_SRC_LEARNED ? "learned" : "add",
		    e->id);
	}
	m->wl_dirty = 1;
	return 0;
}

static void
on_id(redisAsyncContext *ac, void *r, void *priv)
{
	struct idreq *q = priv;
	redisReply *rep = r;

	(void)ac;
	/* Without an answer it is written at the next load. */
	if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer > 0)
		(void)ds_id_given(q->m, q->tmp, (uint64_t)rep->integer);
	free(q);
}

/* Give an entry with a temporary id a real one, then store it. */
void
ds_write_learned(struct detmgr *m, struct wl_entry *e)
{
	struct idreq *q;
	struct rcmd c;

	if (!ds_up(m) || (q = malloc(sizeof(*q))) == NULL)
		return;
	q->m = m;
	q->tmp = e->id;
	rcmd_init(&c);
	rcmd_arg(&c, "INCR");
	rcmd_arg(&c, "%swl:seq", P(m));
	if (rconn_send(m->rc, &c, on_id, q) == -1)
		free(q);
}

/* ---- reading the state back ------------------------------------------ */

static int
same_rule(const struct wl_entry *a, const struct wl_entry *b)
{
	return a->who == b->who && flow_addr_eq(&a->who_addr, &b->who_addr) &&
	    a->who_len == b->who_len && strcmp(a->group, b->group) == 0 &&
	    a->svc == b->svc && a->proto == b->proto && a->port == b->port &&
	    strcasecmp(a->app, b->app) == 0 && a->where == b->where &&
	    flow_addr_eq(&a->where_addr, &b->where_addr) &&
	    a->where_len == b->where_len && a->asn == b->asn &&
	    strcmp(a->country, b->country) == 0 &&
	    a->expires_ms == b->expires_ms;
}

/* same_rule's fields hashed: equal entries, equal keys. */
static uint64_t
rule_key(const struct wl_entry *e)
{
	uint64_t v[5], x;
	const char *p;
	uint8_t ch;

	v[0] = (uint64_t)(e->who & 0xff) << 48 | (uint64_t)e->who_len << 40 |
	    (uint64_t)(e->svc & 0xff) << 32 | (uint64_t)e->proto << 16 |
	    e->port;
	v[1] = (uint64_t)(e->where & 0xff) << 40 |
	    (uint64_t)e->where_len << 32 | e->asn;
	v[2] = e->expires_ms;
	v[3] = flow_addr_key(&e->who_addr);
	v[4] = flow_addr_key(&e->where_addr);
	x = flow_fnv64(FLOW_FNV64_INIT, v, sizeof(v));
	x = flow_fnv64(x, e->group, strnlen(e->group, sizeof(e->group)) + 1);
	for (p = e->app; p < e->app + sizeof(e->app) && *p; p++) {
		ch = (uint8_t)tolower((unsigned char)*p);
		x = flow_fnv64(x, &ch, 1);
	}
	x = flow_fnv64(x, "", 1);
	x = flow_fnv64(x, e->country, strnlen(e->country, sizeof(e->country)));
	x = flow_mix64(x);
	return x ? x : 1;
}

/*
 * A list being built with same_rule's lookup: an index by rule_key
 * (the last entry of a key; equal entries have equal keys, and two
 * unequal ones sharing a 64-bit key are left to chance) while it has the
 * memory, else the linear scan.  load_wl asks once an entry waiting for
 * an id and once a file entry: a scan there was their number times the
 * whitelist's at every reload.
 */
struct rlist {
	struct wl_list	l;
	struct dtab	ix;
	int		scan;
};

static int
in_list(const struct rlist *r, const struct wl_entry *e)
{
	long i;
	size_t k;

	if (!r->scan)
		return (i = dtab_get(&r->ix, rule_key(e))) >= 0 &&
		    same_rule(&r->l.v[i], e);
	for (k = 0; k < r->l.n; k++)
		if (same_rule(&r->l.v[k], e))
			return 1;
	return 0;
}

static void
rlist_add(struct rlist *r, const struct wl_entry *e)
{
	if (wl_list_add(&r->l, e) == -1)
		return;
	if (!r->scan && (r->l.n > UINT32_MAX ||
	    dtab_put(&r->ix, rule_key(e), (uint32_t)(r->l.n - 1)) == -1))
		r->scan = 1;
}

static void
load_wl(struct detmgr *m, redisReply *rep)
{
	struct rlist n;
	struct wl_entry e;
	char err[WL_ERR_MAX];
	size_t i;

	memset(&n, 0, sizeof(n));
	wl_list_init(&n.l);
	for (i = 0; i + 1 < rep->elements; i += 2) {
		const char *f = rep->element[i]->str, *v = rep->element[i + 1]->str;

		if (f == NULL || v == NULL)
			continue;
		if (wl_parse_line(&e, v, err, sizeof(err)) == -1) {
			log_warnx("redis %swl entry %s ignored: %s", P(m), f, err);
			continue;
		}
		e.id = strtoull(f, NULL, 10);
		rlist_add(&n, &e);
	}
	/* What still waits for an id stays, and is written now. */
	for (i = 0; i < m->wl.n; i++)
		if (m->wl.v[i].id > DETMGR_TMP_ID && !in_list(&n, &m->wl.v[i]))
			rlist_add(&n, &m->wl.v[i]);
	if (!m->imported) {
		for (i = 0; i < m->files.n; i++)
			if (!in_list(&n, &m->files.v[i])) {
				e = m->files.v[i];
				e.id = ++m->tmp_id;
				rlist_add(&n, &e);
			}
		m->imported = 1;
	}
	dtab_free(&n.ix);
	wl_list_free(&m->wl);
	m->wl = n.l;
	dm_wl_reindex(m);
	for (i = 0; i < m->wl.n; i++)
		if (m->wl.v[i].id > DETMGR_TMP_ID)
			ds_write_learned(m, &m->wl.v[i]);
	m->wl_dirty = 1;
	m->st.wl_reloads++;
}

static void
load_learn(struct detmgr *m, redisReply *rep)
{
	struct flow_addr a;
	size_t i;

	for (i = 0; i + 1 < rep->elements; i += 2)
		if (rep->element[i]->str && rep->element[i + 1]->str &&
		    flow_addr_parse(&a, rep->element[i]->str) == 0)
			dm_learn_set(m, &a, strtoull(rep->element[i + 1]->str,
			    NULL, 10));
}

static void
load_sup(struct detmgr *m, redisReply *rep)
{
	uint64_t now = dm_now(), exp;
	char id[DET_ID_MAX], ev[2];
	size_t i;
	int n;

	for (i = 0; i + 1 < rep->elements; i += 2) {
		const char *f = rep->element[i]->str, *v = rep->element[i + 1]->str;

		if (f == NULL || v == NULL || (n = sscanf(v, "%" SCNu64
		    " %23s %1s", &exp, id, ev)) < 2 || exp <= now)
			continue;
		/* "EXPIRY ID -": a merged rule's key, no evidence. */
		dm_sup_set(m, strtoull(f, NULL, 16), exp, id,
		    !(n == 3 && ev[0] == '-'));
	}
}

static void
on_load(redisAsyncContext *ac, void *r, void *priv)
{
	struct loadreq *q = priv;
	struct detmgr *m = q->m;
	redisReply *rep = r;

	(void)ac;
	if (rep && rep->type == REDIS_REPLY_ARRAY) {
		if (q->what == LOAD_WL)
			load_wl(m, rep);
		else if (q->what == LOAD_LEARN)
			load_learn(m, rep);
		else
			load_sup(m, rep);
	}
	free(q);
	if (m->loading && --m->loading == 0 && rep) {
		if (!m->loaded)
			log_info("detection state read from redis: %zu whitelist "
			    "entries, %u hosts with a learning period",
			    m->wl.n, m->learn_ix.n);
		m->loaded = 1;
		dm_take_backlog(m);
	}
}

static void
load(struct detmgr *m, int with_sup)
{
	static const char *keys[] = { NULL, "wl", "learn", "sup" };
	struct loadreq *q;
	struct rcmd c;
	int what;

	for (what = LOAD_WL; what <= (with_sup ? LOAD_SUP : LOAD_LEARN);
	    what++) {
		if ((q = malloc(sizeof(*q))) == NULL)
			return;
		q->m = m;
		q->what = (enum load_what)what;
		rcmd_init(&c);
		rcmd_arg(&c, "HGETALL");
		rcmd_arg(&c, "%s%s", P(m), keys[what]);
		if (rconn_send(m->rc, &c, on_load, q) == -1) {
			free(q);
			return;
		}
		m->loading++;
	}
}

static void
on_up(struct rconn *rc, void *arg)
{
	struct detmgr *m = arg;

	(void)rc;
	m->loading = 0;
	load(m, !m->loaded);
}

static void
on_message(redisAsyncContext *ac, void *r, void *priv)
{
	struct detmgr *m = priv;
	redisReply *rep = r;

	(void)ac;
	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
	    rep->element[0]->str && strcmp(rep->element[0]->str, "message") == 0
	    && !(rep->element[2]->str && own_message(m, rep->element[2]->str,
	    rep->element[2]->len)))
		m->reload_wl = 1;
}

static void
on_sub_up(struct rconn *rc, void *arg)
{
	struct detmgr *m = arg;
	char ch[128];

	snprintf(ch, sizeof(ch), "%swl:changed", P(m));
	if (rconn_subscribe(rc, ch, on_message, m) == -1)
		log_warnx("redis: cannot subscribe to %s", ch);
}

int
ds_start(struct detmgr *m)
{
	if (m->cfg->redis_url == NULL) {
		m->loaded = 1;
		dm_take_backlog(m);
		return 0;
	}
	m->rc = rconn_new(m->base, m->cfg->redis_url, "detection", on_up, NULL,
	    m);
	m->sub = rconn_new(m->base, m->cfg->redis_url, "whitelist changes",
	    on_sub_up, NULL, m);
	if ((m->unw = calloc(DETMGR_MAX_UNWRITTEN, sizeof(*m->unw))) == NULL)
		return -1;
	return m->rc && m->sub ? 0 : -1;
}

void
ds_stop(struct detmgr *m)
{
	rconn_free(m->rc);
	rconn_free(m->sub);
	m->rc = m->sub = NULL;
	free(m->unw);
	m->unw = NULL;
}

void
ds_set_url(struct detmgr *m)
{
	if (m->rc == NULL && m->cfg->redis_url) {
		m->loaded = 0;
		ds_start(m);
		return;
	}
	if (m->rc) {
		rconn_set_url(m->rc, m->cfg->redis_url);
		rconn_set_url(m->sub, m->cfg->redis_url);
	}
}

/* ---- writing ----------------------------------------------------------- */

static void
write_det(struct detmgr *m, const struct det *d, uint64_t sup_key,
    uint64_t sup_expiry)
{
	const char *names[DET_FIELDS_MAX], *values[DET_FIELDS_MAX];
	char store[4096];
	struct rcmd c;
	int n, i;

	if ((n = det_fields(d, names, values, DET_FIELDS_MAX, store,
	    sizeof(store))) < 0)
		return;
	rcmd_init(&c);
	rcmd_arg(&c, "HSET");
	rcmd_arg(&c, "%sdet:%s", P(m), d->id);
	for (i = 0; i < n; i++) {
		rcmd_arg(&c, "%s", names[i]);
		rcmd_arg(&c, "%s", values[i]);
	}
	send(m, &c);
	rcmd_init(&c);
	rcmd_arg(&c, "EXPIRE");
	rcmd_arg(&c, "%sdet:%s", P(m), d->id);
	rcmd_arg(&c, "%u", DET_TTL_SECS);
	send(m, &c);
	rcmd_init(&c);
	rcmd_arg(&c, "ZADD");
	rcmd_arg(&c, "%sdets", P(m));
	rcmd_arg(&c, "%" PRIu64, d->ts_ms);
	rcmd_arg(&c, "%s", d->id);
	send(m, &c);
	rcmd_init(&c);
	rcmd_arg(&c, "ZREMRANGEBYSCORE");
	rcmd_arg(&c, "%sdets", P(m));
	rcmd_arg(&c, "-inf");
	rcmd_arg(&c, "%" PRIu64, d->ts_ms - (uint64_t)DET_TTL_SECS * 1000);
	send(m, &c);
	rcmd_init(&c);
	rcmd_arg(&c, "XADD");
	rcmd_arg(&c, "%sdetections", P(m));
	rcmd_arg(&c, "MAXLEN");
	rcmd_arg(&c, "~");
	rcmd_arg(&c, STREAM_MAXLEN);
	rcmd_arg(&c, "*");
	for (i = 0; i < n; i++) {
		rcmd_arg(&c, "%s", names[i]);
		rcmd_arg(&c, "%s", values[i]);
	}
	send(m, &c);
	if (sup_expiry > d->ts_ms)
		ds_write_sup(m, sup_key, sup_expiry, d->id, 1);
}

void
ds_write_sup(struct detmgr *m, uint64_t key, uint64_t expiry,
    const char *id, int ev)
{
	struct rcmd c;

	if (m->rc == NULL)
		return;
	rcmd_init(&c);
	rcmd_arg(&c, "HSET");
	rcmd_arg(&c, "%ssup", P(m));
	rcmd_arg(&c, "%016" PRIx64, key);
	rcmd_arg(&c, "%" PRIu64 " %s%s", expiry, id, ev ? "" : " -");
	send(m, &c);
}

void
ds_write_det(struct detmgr *m, const struct det *d, uint64_t sup_key,
    uint64_t sup_expiry)
{
	if (m->rc == NULL)
		return;
	if (!ds_up(m) || m->nunw) {
		if (m->nunw == DETMGR_MAX_UNWRITTEN) {
			m->st.redis_errors++;
			return;
		}
		m->unw[m->nunw].d = *d;
		m->unw[m->nunw].sup_key = sup_key;
		m->unw[m->nunw].sup_expiry = sup_expiry;
		m->nunw++;
		return;
	}
	write_det(m, d, sup_key, sup_expiry);
}

void
ds_write_updates(struct detmgr *m)
{
	struct rcmd c;
	uint32_t i;
	size_t k;

	if (!ds_up(m))
		return;
	for (k = 0; k < m->nunw; k++)
		write_det(m, &m->unw[k].d, m->unw[k].sup_key,
		    m->unw[k].sup_expiry);
	m->nunw = 0;
	for (i = 0; i < m->sup_ix.n; i++) {
		struct sup *s = &m->sup[i];
		static const char *f[] = { "flows", "bytes", "packets" };
		uint64_t v[3];
		int j;

		if (!s->dirty)
			continue;
		v[0] = s->flows;
		v[1] = s->bytes;
		v[2] = s->packets;
		for (j = 0; j < 3; j++) {
			rcmd_init(&c);
			rcmd_arg(&c, "HINCRBY");
			rcmd_arg(&c, "%sdet:%s", P(m), s->id);
			rcmd_arg(&c, "%s", f[j]);
			rcmd_arg(&c, "%" PRIu64, v[j]);
			send(m, &c);
		}
		rcmd_init(&c);
		rcmd_arg(&c, "HSET");
		rcmd_arg(&c, "%sdet:%s", P(m), s->id);
		rcmd_arg(&c, "last");
		rcmd_arg(&c, "%" PRIu64, s->last_ms);
		send(m, &c);
		s->flows = s->bytes = s->packets = 0;
		s->dirty = 0;
	}
}

void
ds_learn_start(struct detmgr *m, const struct flow_addr *host,
    uint64_t until_ms)
{
	char a[64];
	struct rcmd c;

	if (!ds_up(m))
		return;
	rcmd_init(&c);
	rcmd_arg(&c, "HSETNX");
	rcmd_arg(&c, "%slearn", P(m));
	rcmd_arg(&c, "%s", flow_addr_str(host, a, sizeof(a)));
	rcmd_arg(&c, "%" PRIu64, until_ms);
	send(m, &c);
}

void
ds_tick(struct detmgr *m)
{
	if (m->reload_wl && ds_up(m) && m->loading == 0) {
		m->reload_wl = 0;
		load(m, 0);
	}
}
