/*
 * wl_index.c - the whitelist matcher: built once, then only read.
 *
 * DESIGN
 * Every entry gets a key made of who it is for and how its service is
 * looked up:
 *
 *   who      an address prefix (af, length, masked address; a host is a
 *            prefix of full length), a group bit, or any;
 *   service  PORT entries by (proto, port); every other kind (PROTO, APP,
 *            ANY) under one "wild" service key, checked one by one.
 *
 * The entries are sorted by (key, position in the list) into one flat
 * array, so each key owns a run of entries in list order, and an open
 * addressing hash table of runs finds a key's run.  A query asks for, at
 * most: one key per prefix length that some entry of its family uses,
 * one per group it is in that some entry names, and any -- each with its
 * (proto, port) and its wild service key, and only where bitmaps of the
 * keys in use say there can be such a run.  In each run the first
 * entry that passes (source mask, expiry, service, destination) is that
 * run's answer, and the lowest list position over all runs is the answer:
 * first in list order, as a linear scan would say (wl_entry_allows).  A
 * run stops early at a position past the best so far.
 *
 * Nothing is written after wl_index_build, so any number of threads may
 * match at once; a query allocates nothing and compares no string but an
 * application name.  Entries naming unknown groups, or of kinds not in
 * wl.h, are left out: they never match.
 */
#include <stdlib.h>
#include <string.h>

#include "wl_impl.h"

enum { K_ADDR = 1, K_GROUP, K_ANY };
enum { S_PORT = 1, S_WILD };

/* 24 bytes, all uint8_t: hashed and compared as bytes. */
struct ixkey {
	uint8_t		kind;
	uint8_t		af;
	uint8_t		len;		/* prefix length, or group bit */
	uint8_t		svc;
	uint8_t		proto;
	uint8_t		port[2];	/* big-endian */
	uint8_t		pad;
	uint8_t		a[16];
};

struct ixent {
	uint64_t		id;		/* or WL_ID_POS + pos */
	uint64_t		expires_ms;
	uint32_t		pos;
	uint32_t		asn;
	uint16_t		port;
	uint8_t			source;
	uint8_t			svc;		/* enum wl_svc */
	uint8_t			proto;
	uint8_t			where;		/* enum wl_where */
	uint8_t			where_len;
	char			country[3];
	struct flow_addr	where_addr;
	char			app[WL_APP_LEN];
};

struct ixrun {
	struct ixkey	key;
	uint32_t	start, n;
};

/* The who keys in use, so a query asks for no key that is not there. */
struct inuse {
	uint64_t	lens[2][3];	/* v4, v6: prefix lengths */
	uint64_t	groups;		/* group bits */
	int		any;		/* '*' */
};

struct wl_index {
	struct ixent	*ents;
	size_t		 nents;
	struct ixrun	*table;		/* open addressing; n == 0: empty */
	uint32_t	 mask;
	struct inuse	 use[3];	/* by S_PORT, S_WILD; [0] either */
};

/* Sorting: an entry's key and its position. */
struct sortkey {
	struct ixkey	key;
	uint32_t	pos;
};

static int
sortkey_cmp(const void *a, const void *b)
{
	const struct sortkey *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));

	if (c != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Multiply-xor over the key's three words, the high half kept: a query
 * hashes a key for each who key it asks about, so this is its main cost.
 */
static uint32_t
key_hash(const struct ixkey *k)
{
	uint64_t w[3], h;

	/*
	 * Each word through a full mix before the next: the keys differ in
	 * a few bits of one word (an address byte, a port), and most
	 * lookups are misses that probe until an empty slot, so clustering
	 * costs more than a hit would.
	 */
	memcpy(w, k, sizeof(w));
	h = w[0] ^ UINT64_C(0x9e3779b97f4a7c15);
	h = flow_mix64(h ^ w[1]);
	h = flow_mix64(h ^ w[2]);
	return (uint32_t)flow_mix64(h);
}

static void
key_svc(struct ixkey *k, int svc, uint8_t proto, uint16_t port)
{
	k->svc = (uint8_t)svc;
	k->proto = proto;
	k->port[0] = (uint8_t)(port >> 8);
	k->port[1] = (uint8_t)port;
}

/* The who part of a key: a's first len bits. */
static void
key_addr(struct ixkey *k, const struct flow_addr *a, unsigned len)
{
	struct flow_addr m = *a;

	wl_prefix_mask(&m, len);
	memset(k, 0, sizeof(*k));
	k->kind = K_ADDR;
	k->af = a->af;
	k->len = (uint8_t)len;
	memcpy(k->a, m.a, sizeof(k->a));
}

/* e's key; -1 when e can never match. */
static int
entry_key(const struct wl_entry *e, const char *const *groups,
    size_t ngroups, struct ixkey *k)
{
	unsigned full = wl_full_len(&e->who_addr), len;
	int bit;

	memset(k, 0, sizeof(*k));
	switch (e->who) {
	case WL_WHO_HOST:
	case WL_WHO_NET:
		len = e->who == WL_WHO_HOST ? full : e->who_len;
		if (full == 0 || len > full)
			return -1;
		key_addr(k, &e->who_addr, len);
		break;
	case WL_WHO_GROUP:
		if ((bit = wl_group_bit(e->group, groups, ngroups)) < 0)
			return -1;
		k->kind = K_GROUP;
		k->len = (uint8_t)bit;
		break;
	case WL_WHO_ANY:
		k->kind = K_ANY;
		break;
	default:
		return -1;
	}
	if (e->svc < WL_SVC_PORT || e->svc > WL_SVC_ANY ||
	    e->where < WL_WHERE_NET || e->where > WL_WHERE_ANY)
		return -1;
	if (e->svc == WL_SVC_PORT)
		key_svc(k, S_PORT, e->proto, e->port);
	else
		key_svc(k, S_WILD, 0, 0);
	return 0;
}

static void
entry_copy(const struct wl_entry *e, uint32_t pos, struct ixent *x)
{
	memset(x, 0, sizeof(*x));
	x->id = e->id ? e->id : WL_ID_POS + pos;
	x->expires_ms = e->expires_ms;
	x->pos = pos;
	x->source = (uint8_t)e->source;
	x->svc = (uint8_t)e->svc;
	x->proto = e->proto;
	x->port = e->port;
	x->where = (uint8_t)e->where;
	x->where_addr = e->where_addr;
	x->where_len = e->where_len;
	x->asn = e->asn;
	memcpy(x->country, e->country, sizeof(x->country));
	memcpy(x->app, e->app, sizeof(x->app));
}

static void
note(struct inuse *u, const struct ixkey *k)
{
	if (k->kind == K_ADDR)
		u->lens[k->af == 6][k->len / 64] |=
		    UINT64_C(1) << (k->len % 64);
	else if (k->kind == K_GROUP)
		u->groups |= UINT64_C(1) << k->len;
	else
		u->any = 1;
}

/* Note what the query side must look at for key k. */
static void
note_key(struct wl_index *ix, const struct ixkey *k)
{
	note(&ix->use[0], k);
	note(&ix->use[k->svc], k);
}

/* Is the who part of k in use for service kind svc? */
static int
in_use(const struct wl_index *ix, const struct ixkey *k, int svc)
{
	const struct inuse *u = &ix->use[svc];

	if (k->kind == K_ADDR)
		return u->lens[k->af == 6][k->len / 64] >> (k->len % 64) & 1;
	if (k->kind == K_GROUP)
		return u->groups >> k->len & 1;
	return u->any;
}

/* A new run for key k at table slot of its hash; the table has room. */
static struct ixrun *
add_run(struct wl_index *ix, const struct ixkey *k, uint32_t start)
{
	uint32_t h = key_hash(k) & ix->mask;

	while (ix->table[h].n != 0)
		h = (h + 1) & ix->mask;
	ix->table[h].key = *k;
	ix->table[h].start = start;
	note_key(ix, k);
	return &ix->table[h];
}

struct wl_index *
wl_index_build(const struct wl_list *l, const char *const *groups,
    size_t ngroups)
{
	struct wl_index *ix;
	struct sortkey *sk = NULL;
	struct ixrun *run = NULL;
	size_t i, n = 0, m = l ? l->n : 0, nruns = 0, cap = 16;

	if (m >= UINT32_MAX / 4 || (ix = calloc(1, sizeof(*ix))) == NULL)
		return NULL;
	if (m > 0 && ((sk = calloc(m, sizeof(*sk))) == NULL ||
	    (ix->ents = calloc(m, sizeof(*ix->ents))) == NULL))
		goto fail;
	for (i = 0; i < m; i++)
		if (entry_key(&l->v[i], groups, ngroups, &sk[n].key) == 0)
			sk[n++].pos = (uint32_t)i;
	if (n > 0)
		qsort(sk, n, sizeof(*sk), sortkey_cmp);
	for (i = 0; i < n; i++)
		nruns += i == 0 || memcmp(&sk[i].key, &sk[i - 1].key,
		    sizeof(sk[i].key)) != 0;
	while (cap < nruns * 2)
		cap *= 2;
	if ((ix->table = calloc(cap, sizeof(*ix->table))) == NULL)
		goto fail;
	ix->mask = (uint32_t)(cap - 1);
	for (i = 0; i < n; i++) {
		entry_copy(&l->v[sk[i].pos], sk[i].pos, &ix->ents[i]);
		if (i == 0 || memcmp(&sk[i].key, &sk[i - 1].key,
		    sizeof(sk[i].key)) != 0)
			run = add_run(ix, &sk[i].key, (uint32_t)i);
		run->n++;
	}
	ix->nents = n;
	free(sk);
	return ix;
fail:
	free(sk);
	wl_index_free(ix);
	return NULL;
}

void
wl_index_free(struct wl_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->ents);
	free(ix->table);
	free(ix);
}

size_t
wl_index_size(const struct wl_index *ix)
{
	return ix ? ix->nents : 0;
}

struct best {
	uint32_t	pos;
	uint64_t	id;
};

static const struct ixrun *
find(const struct wl_index *ix, const struct ixkey *k)
{
	uint32_t h = key_hash(k) & ix->mask;

	while (ix->table[h].n != 0) {
		if (memcmp(&ix->table[h].key, k, sizeof(*k)) == 0)
			return &ix->table[h];
		h = (h + 1) & ix->mask;
	}
	return NULL;
}

/* The first entry of k's run that allows q, if before b. */
static void
scan(const struct wl_index *ix, const struct ixkey *k,
    const struct wl_query *q, unsigned mask, struct best *b)
{
	const struct ixrun *r = find(ix, k);
	const struct ixent *e, *end;

	if (r == NULL)
		return;
	for (e = ix->ents + r->start, end = e + r->n; e < end; e++) {
		if (e->pos >= b->pos)
			return;
		if (!(mask >> e->source & 1) ||
		    (e->expires_ms != 0 && e->expires_ms <= q->now_ms))
			continue;
		if (wl_svc_allows(e->svc, e->proto, e->port, e->app, q) &&
		    wl_where_allows(e->where, &e->where_addr, e->where_len,
		    e->asn, e->country, q)) {
			b->pos = e->pos;
			b->id = e->id;
			return;
		}
	}
}

/* The service keys of a who key that are in use. */
static void
scan_who(const struct wl_index *ix, struct ixkey *k,
    const struct wl_query *q, unsigned mask, struct best *b)
{
	if (in_use(ix, k, S_PORT)) {
		key_svc(k, S_PORT, q->proto, q->port);
		scan(ix, k, q, mask, b);
	}
	if (in_use(ix, k, S_WILD)) {
		key_svc(k, S_WILD, 0, 0);
		scan(ix, k, q, mask, b);
	}
}

uint64_t
wl_match(const struct wl_index *ix, const struct wl_query *q,
    unsigned sources_mask)
{
	struct best b = { UINT32_MAX, 0 };
	struct ixkey k;
	uint64_t bits;
	unsigned w, len, full;
	int fam;

	if (ix == NULL || ix->nents == 0)
		return 0;
	if (q->host != NULL && (full = wl_full_len(q->host)) != 0) {
		fam = q->host->af == 6;
		for (w = 0; w < 3; w++)
			for (bits = ix->use[0].lens[fam][w]; bits;
			    bits &= bits - 1) {
				len = w * 64 + (unsigned)__builtin_ctzll(bits);
				key_addr(&k, q->host, len);
				scan_who(ix, &k, q, sources_mask, &b);
			}
	}
	for (bits = q->host_groups & ix->use[0].groups; bits;
	    bits &= bits - 1) {
		memset(&k, 0, sizeof(k));
		k.kind = K_GROUP;
		k.len = (uint8_t)__builtin_ctzll(bits);
		scan_who(ix, &k, q, sources_mask, &b);
	}
	if (ix->use[0].any) {
		memset(&k, 0, sizeof(k));
		k.kind = K_ANY;
		scan_who(ix, &k, q, sources_mask, &b);
	}
	return b.id;
}
