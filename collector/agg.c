/*
 * agg.c - see agg.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agg.h"

#define HUGE_MIN	((size_t)2 << 20)
#define AGG_INDEX_MIN	1024	/* index slots at first; doubled as used */

/*
 * The tables are read at random places, once or twice per record: when
 * big, let the kernel back them with huge pages (fewer TLB misses).  A
 * hint only; nothing changes when it is refused.
 */
static void
huge_hint(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), a, e;

	if (p == NULL || len < HUGE_MIN || pg == 0 || pg == (uintptr_t)-1)
		return;
	a = (uintptr_t)p & ~(pg - 1);
	e = ((uintptr_t)p + len + pg - 1) & ~(pg - 1);
	(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}

/* Zeroed index arrays; the big ones mapped apart so the hint holds. */
static uint32_t *
index_new(uint32_t n)
{
	size_t len = (size_t)n * sizeof(uint32_t);
	void *p;

	if (len < HUGE_MIN)
		return calloc(n, sizeof(uint32_t));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	huge_hint(p, len);
	return p;
}

static void
index_free(uint32_t *p, uint32_t n)
{
	size_t len = (size_t)n * sizeof(uint32_t);

	if (p == NULL)
		return;
	if (len < HUGE_MIN)
		free(p);
	else
		munmap(p, len);
}

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t s = 16;

	while (s < n && s < (1u << 30))
		s <<= 1;
	return s;
}

int
agg_init(struct agg *a, uint32_t max_hosts, uint32_t max_services,
    uint32_t bucket_secs)
{
	memset(a, 0, sizeof(*a));
	a->hcap = max_hosts ? max_hosts : 100000;
	a->scap = max_services ? max_services : 1000000;
	a->hmax = pow2_at_least(a->hcap + a->hcap / 2);
	a->smax = pow2_at_least(a->scap + a->scap / 2);
	a->hsize = a->hmax < AGG_INDEX_MIN ? a->hmax : AGG_INDEX_MIN;
	a->ssize = a->smax < AGG_INDEX_MIN ? a->smax : AGG_INDEX_MIN;
	a->bucket = bucket_secs ? bucket_secs : 60;
	if (a->bucket >= (1u << 30))
		a->bucket = 1u << 30;
	a->bucket_recip = a->bucket > 1 ? UINT64_MAX / a->bucket + 1 : 0;
	a->max_past_ms = 86400000;
	a->max_future_ms = 600000;
	a->hidx = index_new(a->hsize);
	a->sidx = index_new(a->ssize);
	if (a->hidx == NULL || a->sidx == NULL) {
		agg_free(a);
		return -1;
	}
	return 0;
}

void
agg_free(struct agg *a)
{
	index_free(a->hidx, a->hsize);
	free(a->hosts);
	index_free(a->sidx, a->ssize);
	free(a->svcs);
	free(a->spill);
	free(a->spill_set);
	memset(a, 0, sizeof(*a));
}

/* Room for one more entry in a dense array, growing it up to cap. */
static void *
grow(void *arr, uint32_t *alloc, uint32_t n, uint32_t cap, size_t sz)
{
	uint32_t na;
	void *p;

	if (n < *alloc)
		return arr;
	if (n >= cap)
		return NULL;
	na = *alloc ? *alloc * 2 : 256;
	if (na > cap)
		na = cap;
	/* 64-byte aligned, as struct agg_host asks (realloc is not). */
	if (posix_memalign(&p, 64, (size_t)na * sz) != 0)
		return NULL;
	if (arr) {
		memcpy(p, arr, (size_t)*alloc * sz);
		free(arr);
	}
	huge_hint(p, (size_t)na * sz);
	*alloc = na;
	return p;
}

void
agg_clear(struct agg *a)
{
	memset(a->hidx, 0, (size_t)a->hsize * sizeof(*a->hidx));
	memset(a->sidx, 0, (size_t)a->ssize * sizeof(*a->sidx));
	if (a->nspill)
		memset(a->spill_set, 0, (size_t)a->spill_set_size *
		    sizeof(*a->spill_set));
	a->hn = a->sn = a->nspill = 0;
}


/* flow_addr_eq, inlined: the peer lists are scanned for every record. */
static inline int
addr_eq(const struct flow_addr *a, const struct flow_addr *b)
{
	if (a->af != b->af)
		return 0;
	if (a->af == 4)
		return memcmp(a->a, b->a, 4) == 0;
	return memcmp(a->a, b->a, 16) == 0;
}

static inline uint32_t
host_hash(const struct flow_addr *host, uint64_t bucket)
{
	return (uint32_t)flow_mix64(flow_addr_key(host) ^ bucket);
}

static uint32_t
svc_hash(const struct agg_svc *k)
{
	return (uint32_t)flow_mix64(flow_addr_key(&k->host) ^
	    flow_mix64(flow_addr_key(&k->prefix) ^ (uint64_t)k->asn << 32 ^
	    (uint64_t)k->proto << 16 ^ k->port) ^
	    flow_fnv(FLOW_FNV_INIT, k->cc, 2) ^
	    (uint64_t)flow_fnv(FLOW_FNV_INIT, k->app, strlen(k->app)) << 32);
}

static uint32_t
host_entry_hash(const void *e)
{
	const struct agg_host *h = e;

	return host_hash(&h->host, h->bucket);
}

static uint32_t
svc_entry_hash(const void *e)
{
	return svc_hash(e);
}

/*
 * An index is at most half full: before the entry that would pass that,
 * it doubles (up to max) and every entry is placed again, so the index
 * stays as small as what is tracked and fits in cache while it can.
 * When it cannot grow (out of memory) the old one stays, fuller; a new
 * entry that would leave it without a free slot is refused (index_full),
 * or every probe for a key not in it would go round for ever.
 */
static void
index_room(uint32_t **idx, uint32_t *size, uint32_t max, uint32_t n,
    const void *arr, size_t stride, uint32_t (*hash)(const void *))
{
	uint32_t *nidx, nsize = *size * 2, k, i;

	if ((n + 1) * 2 <= *size || *size >= max)
		return;
	if ((nidx = index_new(nsize)) == NULL)
		return;
	for (k = 0; k < n; k++) {
		i = hash((const char *)arr + (size_t)k * stride) & (nsize - 1);
		while (nidx[i])
			i = (i + 1) & (nsize - 1);
		nidx[i] = k + 1;
	}
	index_free(*idx, *size);
	*idx = nidx;
	*size = nsize;
}

static int
index_full(uint32_t n, uint32_t size)
{
	return n + 1 >= size;
}

static struct agg_host *
host_get(struct agg *a, const struct flow_addr *host, uint64_t bucket,
    int group)
{
	uint32_t h = host_hash(host, bucket);
	uint32_t i, mask;
	struct agg_host *e, *arr;

	index_room(&a->hidx, &a->hsize, a->hmax, a->hn, a->hosts,
	    sizeof(*a->hosts), host_entry_hash);
	mask = a->hsize - 1;
	for (i = h & mask; a->hidx[i]; i = (i + 1) & mask) {
		e = &a->hosts[a->hidx[i] - 1];
		if (e->bucket == bucket && addr_eq(&e->host, host))
			return e;
	}
	if (index_full(a->hn, a->hsize) || (arr = grow(a->hosts, &a->halloc,
	    a->hn, a->hcap, sizeof(*arr))) == NULL)
		return NULL;
	a->hosts = arr;
	e = &a->hosts[a->hn++];
	a->hidx[i] = a->hn;
	memset(e, 0, sizeof(*e));
	e->host = *host;
	e->bucket = bucket;
	e->group = group;
	return e;
}

/* Where a peer's probe starts in h->pset, and its tag there. */
#define PSET_MASK	(2 * AGG_PEERS - 1)
#define PSET_TAG(key)	((uint16_t)((key) >> 54))	/* 10 bits */
#define PSET_AT(key)	((uint32_t)(key) & PSET_MASK)

/* Where (entry, peer) sits in the spill set. */
static inline uint32_t
spill_hash(uint32_t host, uint64_t peer_key)
{
	return (uint32_t)flow_mix64(peer_key ^ (uint64_t)host << 32);
}

/* Room for one more spilled peer: the array and its set doubled. */
static int
spill_room(struct agg *a)
{
	struct agg_spill *arr;
	uint32_t *set, na, size, i, j;

	if (a->nspill < a->spill_alloc)
		return 0;
	if (a->nspill >= AGG_SPILL_MAX)
		return -1;
	na = a->spill_alloc ? a->spill_alloc * 2 : 4096;
	size = 2 * na;
	if ((set = calloc(size, sizeof(*set))) == NULL)
		return -1;
	if ((arr = realloc(a->spill, (size_t)na * sizeof(*arr))) == NULL) {
		free(set);
		return -1;
	}
	for (i = 0; i < a->nspill; i++) {
		for (j = spill_hash(arr[i].host, flow_addr_key(&arr[i].peer)) &
		    (size - 1); set[j]; j = (j + 1) & (size - 1))
			;
		set[j] = i + 1;
	}
	free(a->spill_set);
	a->spill = arr;
	a->spill_alloc = na;
	a->spill_set = set;
	a->spill_set_size = size;
	return 0;
}

/* A peer beyond the entry's own AGG_PEERS. */
static void
spill_peer(struct agg *a, struct agg_host *h, uint64_t key,
    const struct flow_addr *peer)
{
	uint32_t host = (uint32_t)(h - a->hosts), j, v, mask;
	struct agg_spill *s;

	/*
	 * Full: not even looked up (a scan keeps every record here), so a
	 * peer held already counts as lost too; lost only says "more".
	 */
	if (spill_room(a) != 0)
		goto lost;
	mask = a->spill_set_size - 1;
	for (j = spill_hash(host, key) & mask; (v = a->spill_set[j]) != 0;
	    j = (j + 1) & mask) {
		s = &a->spill[v - 1];
		if (s->host == host && addr_eq(&s->peer, peer))
			return;
	}
	s = &a->spill[a->nspill++];
	s->peer = *peer;
	s->host = host;
	s->next = h->spill;
	h->spill = a->nspill;
	a->spill_set[j] = a->nspill;
	return;
lost:
	h->peers_lost++;
	a->st.peers_dropped++;
}

static void
add_peer(struct agg *a, struct agg_host *h, const struct flow_addr *peer)
{
	uint64_t key = flow_addr_key(peer);
	uint16_t tag = PSET_TAG(key), v;
	uint32_t j;

	for (j = PSET_AT(key); (v = h->pset[j]) != 0; j = (j + 1) & PSET_MASK)
		if (v >> 6 == tag && addr_eq(&h->peers[(v & 63) - 1], peer))
			return;
	if (h->npeers >= AGG_PEERS) {
		spill_peer(a, h, key, peer);
		return;
	}
	h->peers[h->npeers++] = *peer;
	h->pset[j] = (uint16_t)(tag << 6 | h->npeers);
}

static void
count_host(struct agg *a, const struct flow_addr *host,
    const struct flow_addr *peer, int group, int in, const struct enriched *e,
    uint64_t bucket, uint64_t t_ms)
{
	struct agg_host *h = host_get(a, host, bucket, group);

	if (h == NULL) {
		a->st.host_dropped++;
		return;
	}
	if (in) {
		h->bytes_in += e->bytes;
		h->pkts_in += e->packets;
		h->flows_in++;
	} else {
		h->bytes_out += e->bytes;
		h->pkts_out += e->packets;
		h->flows_out++;
	}
	if (t_ms > h->last_ms)
		h->last_ms = t_ms;
	add_peer(a, h, peer);
}

/* The remote network of a service: /24 for IPv4, /48 for IPv6. */
static void
prefix_of(const struct flow_addr *x, struct flow_addr *p, uint8_t *len)
{
	*p = *x;
	if (x->af == 6) {
		memset(p->a + 6, 0, 10);
		*len = 48;
	} else {
		p->a[3] = 0;
		*len = 24;
	}
}

static struct agg_svc *
svc_get(struct agg *a, const struct agg_svc *k)
{
	uint32_t h = svc_hash(k), i, mask;
	struct agg_svc *e, *arr;

	index_room(&a->sidx, &a->ssize, a->smax, a->sn, a->svcs,
	    sizeof(*a->svcs), svc_entry_hash);
	mask = a->ssize - 1;

	for (i = h & mask; a->sidx[i]; i = (i + 1) & mask) {
		e = &a->svcs[a->sidx[i] - 1];
		if (e->proto == k->proto && e->port == k->port &&
		    e->asn == k->asn && !strcmp(e->cc, k->cc) &&
		    !strcmp(e->app, k->app) && addr_eq(&e->host, &k->host) &&
		    addr_eq(&e->prefix, &k->prefix))
			return e;
	}
	if (index_full(a->sn, a->ssize) || (arr = grow(a->svcs, &a->salloc,
	    a->sn, a->scap, sizeof(*arr))) == NULL)
		return NULL;
	a->svcs = arr;
	e = &a->svcs[a->sn++];
	a->sidx[i] = a->sn;
	*e = *k;
	return e;
}

/* The service of an outbound record. */
static void
svc_key(const struct enriched *e, struct agg_svc *k)
{
	memset(k, 0, sizeof(*k));
	k->host = *e->local;
	k->proto = e->r->proto;
	k->port = e->service_port;
	k->asn = e->geo.asn;
	memcpy(k->cc, e->geo.country, sizeof(k->cc));
	if (e->app.how >= DPI_BY_IP)	/* k is zeroed: stays terminated */
		memcpy(k->app, e->app.name, strnlen(e->app.name,
		    sizeof(k->app) - 1));
	k->app_how = e->app.how;
	prefix_of(e->remote, &k->prefix, &k->prefix_len);
}

/*
 * The start of the bucket holding second sec: a multiplication by the
 * bucket length's reciprocal, exact for lengths below 2^30 and seconds
 * below 2^34 (the error is under sec / 2^64 of a bucket), instead of a
 * division per record.
 */
static inline uint64_t
bucket_of(const struct agg *a, uint64_t sec)
{
	if (a->bucket_recip == 0)	/* 1 second: 2^64 does not fit */
		return sec;
	return (uint64_t)(((unsigned __int128)sec * a->bucket_recip) >> 64) *
	    a->bucket;
}

/*
 * The time of a record and its bucket; 0 when the record's own time was
 * too far from the receive time to be believed (now_ms used instead).
 */
static int
when(const struct agg *a, const struct flow_rec *r, uint64_t now_ms,
    uint64_t *t_ms, uint64_t *bucket)
{
	int ok = 1;

	*t_ms = (r->have & FL_LAST) && r->last ? r->last : now_ms;
	if (now_ms && (*t_ms > now_ms + a->max_future_ms ||
	    *t_ms + a->max_past_ms < now_ms)) {
		*t_ms = now_ms;
		ok = 0;
	}
	*bucket = bucket_of(a, *t_ms / 1000);
	return ok;
}

void
agg_prefetch_index(const struct agg *a, const struct enriched *e,
    uint64_t now_ms, struct agg_slots *sl)
{
	uint64_t t_ms, bucket;
	struct agg_svc sk;

	sl->host = sl->svc = AGG_NO_SLOT;
	if (e->traffic == ENR_TRANSIT)
		return;
	(void)when(a, e->r, now_ms, &t_ms, &bucket);
	sl->host = host_hash(e->local, bucket) & (a->hsize - 1);
	sl->peer = flow_addr_key(e->remote);
	sl->pset = PSET_AT(sl->peer);
	__builtin_prefetch(&a->hidx[sl->host]);
	if (!e->outbound || e->traffic == ENR_INTERNAL)
		return;
	svc_key(e, &sk);
	sl->svc = svc_hash(&sk) & (a->ssize - 1);
	__builtin_prefetch(&a->sidx[sl->svc]);
}

void
agg_prefetch_entry(const struct agg *a, const struct agg_slots *sl)
{
	uint32_t k;

	if (sl->host != AGG_NO_SLOT && (k = a->hidx[sl->host]) != 0) {
		const struct agg_host *h = &a->hosts[k - 1];

		__builtin_prefetch(h, 1);
		__builtin_prefetch((const char *)h + 64, 1);
		__builtin_prefetch(&h->pset[sl->pset], 1);
		if (a->nspill && a->nspill < AGG_SPILL_MAX)	/* in use */
			__builtin_prefetch(&a->spill_set[spill_hash(k - 1,
			    sl->peer) & (a->spill_set_size - 1)]);
	}
	if (sl->svc != AGG_NO_SLOT && (k = a->sidx[sl->svc]) != 0)
		__builtin_prefetch(&a->svcs[k - 1], 1);
}

void
agg_add(struct agg *a, const struct enriched *e, uint64_t now_ms)
{
	const struct flow_rec *r = e->r;
	struct agg_svc k, *s;
	uint64_t t_ms, bucket;

	if (e->traffic == ENR_TRANSIT)
		return;
	if (!when(a, r, now_ms, &t_ms, &bucket))
		a->st.time_clamped++;
	if (e->traffic == ENR_INTERNAL) {
		count_host(a, &r->src, &r->dst, e->group, 0, e, bucket, t_ms);
		count_host(a, &r->dst, &r->src, -1, 1, e, bucket, t_ms);
		return;
	}
	count_host(a, e->local, e->remote, e->group, e->traffic == ENR_IN, e,
	    bucket, t_ms);
	if (!e->outbound)
		return;
	svc_key(e, &k);
	if ((s = svc_get(a, &k)) == NULL) {
		a->st.svc_dropped++;
		return;
	}
	s->group = e->group;
	s->example = *e->remote;
	if (e->geo.as_org[0])
		memcpy(s->as_org, e->geo.as_org, sizeof(s->as_org));
	if (s->first_ms == 0 || t_ms < s->first_ms)
		s->first_ms = t_ms;
	if (t_ms > s->last_ms)
		s->last_ms = t_ms;
	s->flows++;
	s->bytes += e->bytes;
	s->packets += e->packets;
}

const char *
agg_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 1:		return "icmp";
	case 6:		return "tcp";
	case 17:	return "udp";
	case 58:	return "icmp6";
	case 132:	return "sctp";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

int
agg_svc_key(const struct agg_svc *s, char *buf, size_t len)
{
	char p[8], net[64];

	flow_addr_str(&s->prefix, net, sizeof(net));
	return snprintf(buf, len, "%s/%u|%s|AS%u|%s|%s/%u",
	    agg_proto_name(s->proto, p, sizeof(p)), s->port, s->app, s->asn,
	    s->cc[0] ? s->cc : "-", net, s->prefix_len);
}
