/*
 * test_detmgr.c - the detection manager's learning (collector/detmgr.c)
 * and its whitelist entries waiting for an id (collector/detstore.c),
 * without Redis: hits go in through the manager's queue and
 * detmgr_drain, Redis's answers to INCR through ds_id_given.
 *
 * Until the next snapshot a learned entry is known only to the manager,
 * with a temporary id; learn() must find it again when the same hit comes
 * back, and INCR's answer must find it by that id, each with one look at
 * one entry (m->wl_compares counts them) however many entries wait.  A
 * scan of the whitelist there made a flood of new hosts quadratic: the
 * flood test here, 200000 learned entries, takes a second or two; with
 * those scans half as many took 80 s at -O2 and 125 s with ASan, so this
 * many would take four times that, far past meson's 120 s timeout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "detmgr_int.h"

#define FLOOD		200000
#define ROUND		20000		/* distinct hits a drain, each twice */

struct fx {
	struct event_base	*base;
	struct cfg		*c, *c2;
	struct detmgr		*m;
	char			 dir[64];
};

static struct cfg *
load_cfg(const char *text)
{
	char err[CFG_ERR_MAX];
	struct cfg *c = cfg_load_string("t.conf", text, err, sizeof(err));

	if (c == NULL)
		fail_msg("config: %s", err);
	return c;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

/* A manager with learning on, no Redis, no rules, no sinks. */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512], text[512], path[128];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/fs-detmgr-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/a.wl", f->dir);
	write_file(path, "# who  service  where  expires  comment\n");
	snprintf(text, sizeof(text), "[detect]\nwhitelist = %s/*.wl\n"
	    "learning = 7d\n", f->dir);
	f->c = load_cfg(text);
	assert_non_null(f->base = event_base_new());
	f->m = detmgr_new(f->base, f->c, 0, err, sizeof(err));
	if (f->m == NULL)
		fail_msg("detmgr_new: %s", err);
	assert_int_equal(detmgr_start(f->m, NULL, NULL), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char path[128];

	detmgr_free(f->m, 0);
	cfg_free(f->c);
	cfg_free(f->c2);
	event_base_free(f->base);
	snprintf(path, sizeof(path), "%s/a.wl", f->dir);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
v4(struct flow_addr *a, uint32_t x)
{
	memset(a, 0, sizeof(*a));
	a->af = 4;
	a->a[0] = (uint8_t)(x >> 24);
	a->a[1] = (uint8_t)(x >> 16);
	a->a[2] = (uint8_t)(x >> 8);
	a->a[3] = (uint8_t)x;
}

/* unexpected-outbound as the workers report it: a rule that learns. */
static void
hit(struct det_hit *h, uint32_t host, uint32_t remote, uint16_t port)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->rule, sizeof(h->rule), "unexpected-outbound");
	h->severity = 1;
	h->learn = 1;
	h->wl_mask = (1u << WL_SRC_STAFF) | (1u << WL_SRC_LEARNED);
	h->proto = 6;
	h->dport = port;
	h->group = -1;
	h->suppress_key = RULE_KEY_DPORT | RULE_KEY_PROTO;
	h->suppress_secs = 86400;
	v4(&h->host, host);
	v4(&h->remote, remote);
	h->flows = 1;
	h->ts_ms = dm_now();
}

/* Host i of the flood, to a remote in a /24 of its own. */
static void
flood_hit(struct det_hit *h, uint32_t i)
{
	hit(h, 0x0a000000u + i, 0x64000007u + (i << 8), 443);
}

static void
take(struct detmgr *m, const struct det_hit *v, uint32_t n)
{
	assert_int_equal(hitq_push(detmgr_queue(m), v, n), n);
	detmgr_drain(m, 0);
}

static uint64_t
learned(struct detmgr *m)
{
	struct detmgr_stats st;

	detmgr_stats(m, &st);
	return st.learned;
}

/* The entry of m->wl learned from host (there must be one). */
static const struct wl_entry *
entry_of(struct detmgr *m, uint32_t host)
{
	struct flow_addr a;
	size_t i;

	v4(&a, host);
	for (i = 0; i < m->wl.n; i++)
		if (flow_addr_eq(&m->wl.v[i].who_addr, &a))
			return &m->wl.v[i];
	fail_msg("no entry for host %08x", host);
	return NULL;
}

/*
 * A flood of new hosts, each opening one service: every hit learns one
 * entry, the same hit again before the next snapshot learns nothing, and
 * neither looks at more than one entry.  Then Redis's ids, answered in
 * another order than asked: each goes to the entry it was asked for.
 */
static void
test_flood(void **state)
{
	struct fx *f = *state;
	struct detmgr *m = f->m;
	struct det_hit *v = calloc(2 * ROUND, sizeof(*v));
	uint64_t *tmp = calloc(FLOOD, sizeof(*tmp)), before;
	uint32_t i, k, r, *perm = calloc(FLOOD, sizeof(*perm));

	assert_non_null(v);
	assert_non_null(tmp);
	assert_non_null(perm);
	for (r = 0; r < FLOOD / ROUND; r++) {
		for (k = 0; k < ROUND; k++) {
			flood_hit(&v[k], r * ROUND + k);
			v[ROUND + k] = v[k];
		}
		take(m, v, 2 * ROUND);
		assert_int_equal(learned(m), (r + 1) * ROUND);
	}
	assert_int_equal(m->wl.n, FLOOD);
	/* At most one entry looked at a hit: each duplicate's match. */
	assert_in_range(m->wl_compares, 1, 2 * (uint64_t)FLOOD);
	/* After the snapshot: the whitelist itself knows them. */
	for (k = 0; k < ROUND; k++)
		flood_hit(&v[k], k * 7 % FLOOD);
	take(m, v, ROUND);
	assert_int_equal(learned(m), FLOOD);

	/* Each entry as learned: host i, temporary ids in order. */
	for (i = 0; i < FLOOD; i++) {
		const struct wl_entry *e = &m->wl.v[i];
		struct flow_addr a;

		v4(&a, 0x0a000000u + i);
		assert_true(flow_addr_eq(&e->who_addr, &a));
		assert_int_equal(e->source, WL_SRC_LEARNED);
		assert_int_equal(e->where, WL_WHERE_NET);
		assert_int_equal(e->where_len, 24);
		assert_true(DETMGR_IS_TMP(e->id));
		tmp[i] = e->id;
		perm[i] = i;
	}
	/* The answers in a shuffled order (a fixed LCG: reproducible). */
	for (i = FLOOD - 1, r = 12345; i > 0; i--) {
		uint32_t j, t;

		r = r * 1103515245u + 12345u;
		j = (r >> 8) % (i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	before = m->wl_compares;
	for (i = 0; i < FLOOD; i++)
		assert_int_equal(ds_id_given(m, tmp[perm[i]],
		    1000 + (uint64_t)perm[i]), 0);
	assert_true(m->wl_compares - before <= FLOOD);
	for (i = 0; i < FLOOD; i++)
		assert_int_equal(m->wl.v[i].id, 1000 + (uint64_t)i);
	/* An id answered twice, or never asked for: no entry. */
	assert_int_equal(ds_id_given(m, tmp[17], 5), -1);
	assert_int_equal(ds_id_given(m, m->tmp_id + 1, 5), -1);
	assert_int_equal(m->wl.v[17].id, 1017);
	free(v);
	free(tmp);
	free(perm);
}

/*
 * What tells learned entries apart: host, protocol, port, and the
 * remote's AS, else its /24 (or /48).  Each hit twice in one drain.
 */
static void
test_learned_once(void **state)
{
	struct fx *f = *state;
	struct detmgr *m = f->m;
	struct det_hit v[32];
	const uint32_t H = 0x0a010101u, R = 0xcb007105u;	/* 203.0.113.5 */
	size_t n = 0, i, distinct;

	hit(&v[n++], H, R, 443);
	hit(&v[n++], H, R + 50, 443);		/* same /24: the same entry */
	hit(&v[n++], H, R + 256, 443);		/* another /24 */
	hit(&v[n++], H, R, 8443);		/* another port */
	hit(&v[n++], H, R, 443);
	v[n - 1].proto = 17;			/* another protocol */
	hit(&v[n++], H + 1, R, 443);		/* another host */
	hit(&v[n++], H, R, 443);
	v[n - 1].asn = 64500;			/* the AS, not the /24 */
	hit(&v[n++], H, R + 256, 443);
	v[n - 1].asn = 64500;			/* the same AS */
	hit(&v[n++], H, R, 443);
	v[n - 1].asn = 64501;			/* another AS */
	hit(&v[n++], H, R, 443);		/* an IPv6 remote: its /48 */
	memset(&v[n - 1].remote, 0, sizeof(v[n - 1].remote));
	v[n - 1].remote.af = 6;
	v[n - 1].remote.a[0] = 0x20;
	v[n - 1].remote.a[1] = 0x01;
	v[n - 1].remote.a[2] = 0x0d;
	v[n - 1].remote.a[3] = 0xb8;
	v[n - 1].remote.a[15] = 1;
	hit(&v[n++], H, R, 443);		/* the same /48 */
	v[n - 1].remote = v[n - 2].remote;
	v[n - 1].remote.a[6] = 0x55;
	distinct = 8;
	for (i = 0; i < n; i++)
		v[n + i] = v[i];
	take(m, v, (uint32_t)(2 * n));
	assert_int_equal(learned(m), distinct);
	assert_int_equal(m->wl.n, distinct);
	for (i = 0; i < m->wl.n; i++)
		assert_true(DETMGR_IS_TMP(m->wl.v[i].id));
	/*
	 * Learned and given their ids before any snapshot has them (the
	 * backlog path takes hits without the rebuild detmgr_drain does):
	 * the same hits again do not learn a second time.
	 */
	for (i = 0; i < n; i++)
		v[i].host.a[3] ^= 0x40;			/* other hosts */
	memcpy(m->backlog, v, n * sizeof(*v));
	m->nbacklog = n;
	dm_take_backlog(m);
	assert_int_equal(learned(m), 2 * distinct);
	for (i = distinct; i < m->wl.n; i++)
		assert_int_equal(ds_id_given(m, m->wl.v[i].id, 100 + i), 0);
	memcpy(m->backlog, v, n * sizeof(*v));
	m->nbacklog = n;
	dm_take_backlog(m);
	assert_int_equal(learned(m), 2 * distinct);
	assert_int_equal(m->wl.n, 2 * distinct);
}

/*
 * The tick rebuilds the whitelist index no sooner than ten times the last
 * rebuild took (a learning flood on a large whitelist would otherwise
 * spend a fifth of every second there); a hit that is not learned still
 * gets an index at most a second old, as every hit did before.
 */
static void
test_rebuild_paced(void **state)
{
	struct fx *f = *state;
	struct detmgr *m = f->m;
	struct det_hit h;

	hit(&h, 0x0a020202u, 0xcb007105u, 443);
	take(m, &h, 1);				/* learned; the drain rebuilt */
	assert_int_equal(learned(m), 1);
	assert_int_equal(m->wl_dirty, 0);
	assert_true(m->wl_next_ms >= m->wl_last_ms);
	/* Learned through the backlog path, which does not rebuild. */
	hit(&m->backlog[0], 0x0a020203u, 0xcb007105u, 443);
	m->nbacklog = 1;
	dm_take_backlog(m);
	assert_int_equal(learned(m), 2);
	assert_int_equal(m->wl_dirty, 1);
	/* A hit that does not learn, within a second of the last rebuild. */
	hit(&m->backlog[0], 0x0a020204u, 0xcb007105u, 25);
	m->backlog[0].learn = 0;
	m->nbacklog = 1;
	dm_take_backlog(m);
	assert_int_equal(m->wl_dirty, 1);
	/* ... and one when the index is more than a second old. */
	m->wl_last_ms -= 1500;
	hit(&m->backlog[0], 0x0a020205u, 0xcb007105u, 25);
	m->backlog[0].learn = 0;
	m->nbacklog = 1;
	dm_take_backlog(m);
	assert_int_equal(m->wl_dirty, 0);
}

/*
 * With the table of learning hosts full (DETMGR_MAX_LEARN), a new host
 * cannot have its period remembered: it does not learn, its match opens
 * a detection and the refusal is counted.  (It used to be told it was
 * learning, every time, so it learned for ever and never alerted.)
 */
static void
test_learning_table_full(void **state)
{
	struct fx *f = *state;
	struct detmgr *m = f->m;
	struct detmgr_stats st;
	struct flow_addr a;
	struct det_hit h;
	uint32_t i;

	for (i = 0; i < DETMGR_MAX_LEARN; i++) {
		v4(&a, 0x0b000000u + i);
		assert_int_equal(dm_learn_set(m, &a, dm_now() + 86400000), 0);
	}
	v4(&a, 0x0c000001u);
	assert_int_equal(dm_learn_set(m, &a, dm_now() + 86400000), -1);
	hit(&h, 0x0c000001u, 0xcb007105u, 25);
	take(m, &h, 1);
	detmgr_stats(m, &st);
	assert_int_equal(st.learned, 0);
	assert_int_equal(st.learn_refused, 1);
	assert_int_equal(st.detections, 1);	/* a detection, not an entry */
	/* A host in the table still learns. */
	hit(&h, 0x0b000005u, 0xcb007105u, 25);
	take(m, &h, 1);
	assert_int_equal(learned(m), 1);
}

/*
 * A reload without Redis puts the files' entries first and the learned
 * ones after them: INCR's answers still find theirs, and what waits is
 * still found by learn() before the next snapshot.
 */
static void
test_reload_moves(void **state)
{
	struct fx *f = *state;
	struct detmgr *m = f->m;
	struct det_hit v[4];
	uint64_t tmp[3];
	char err[512], text[512], path[128];
	uint32_t i;

	for (i = 0; i < 3; i++)
		flood_hit(&v[i], i);
	take(m, v, 3);
	assert_int_equal(m->wl.n, 3);
	for (i = 0; i < 3; i++)
		tmp[i] = entry_of(m, 0x0a000000u + i)->id;
	assert_int_equal(ds_id_given(m, tmp[1], 41), 0);

	snprintf(path, sizeof(path), "%s/a.wl", f->dir);
	write_file(path, "# who  service  where  expires  comment\n"
	    "*  udp/53  any  -  DNS\n*  udp/123  any  -  NTP\n"
	    "*  tcp/80  any  -  web\n*  tcp/443  AS15169  -  updates\n");
	snprintf(text, sizeof(text), "[detect]\nwhitelist = %s/*.wl\n"
	    "learning = 7d\n", f->dir);
	f->c2 = load_cfg(text);
	assert_int_equal(detmgr_reload(m, f->c2, err, sizeof(err)), 0);
	assert_int_equal(m->wl.n, 4 + 3);
	assert_int_equal(m->wl.v[0].source, WL_SRC_STAFF);
	assert_int_equal(entry_of(m, 0x0a000001u)->id, 41);

	/* Learned while the snapshot lags, then the same again. */
	flood_hit(&v[0], 3);
	v[1] = v[0];
	assert_int_equal(hitq_push(detmgr_queue(m), v, 2), 2);
	detmgr_drain(m, 0);
	assert_int_equal(learned(m), 4);
	assert_int_equal(m->wl.n, 4 + 4);

	assert_int_equal(ds_id_given(m, tmp[2], 43), 0);
	assert_int_equal(ds_id_given(m, tmp[0], 40), 0);
	assert_int_equal(ds_id_given(m, tmp[1], 99), -1);
	assert_int_equal(entry_of(m, 0x0a000000u)->id, 40);
	assert_int_equal(entry_of(m, 0x0a000001u)->id, 41);
	assert_int_equal(entry_of(m, 0x0a000002u)->id, 43);
	assert_true(DETMGR_IS_TMP(entry_of(m, 0x0a000003u)->id));
	assert_int_equal(ds_id_given(m, entry_of(m, 0x0a000003u)->id, 44), 0);
	assert_int_equal(entry_of(m, 0x0a000003u)->id, 44);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learned_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_paced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_learning_table_full, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reload_moves, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
