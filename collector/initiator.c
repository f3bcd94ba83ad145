/*
 * initiator.c - see initiator.h for the order of evidence.
 *
 * The conversation table is a set-associative cache: a hash picks a set of
 * INIT_WAYS slots and the least recently used slot of the set is replaced.
 * Lookups and inserts are O(1), memory is fixed at creation.  Each set's
 * hashes, times and liveness sit together in one cache line apart from
 * the conversations, so a lookup touches one line, and a second only for
 * the conversation it finds or replaces.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "initiator.h"

#define INIT_WAYS	4

#define TCP_SYN		0x02
#define TCP_ACK		0x10
#define TCP_RST		0x04

/* Ports at or above 1024 that servers listen on (besides 0..1023). */
static const uint16_t tcp_services[] = {
	1080, 1194, 1433, 1521, 1723, 1883, 2049, 2375, 2376, 2379, 3128,
	3306, 3333, 3389, 4444, 5060, 5061, 5222, 5223, 5269, 5432, 5671,
	5672, 5900, 5984, 6379, 6443, 6660, 6661, 6662, 6663, 6664, 6665,
	6666, 6667, 6668, 6669, 6697, 7000, 8000, 8008, 8080, 8081, 8088,
	8443, 8888, 9001, 9030, 9042, 9050, 9051, 9090, 9092, 9100, 9200,
	9300, 9418, 9999, 11211, 14444, 25565, 27017, 45700,
};
static const uint16_t udp_services[] = {
	1194, 1812, 1813, 1900, 3478, 3479, 4500, 5060, 5353, 5355, 11211,
	27015, 51820,
};

static int
in_list(const uint16_t *l, size_t n, uint16_t port)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (l[mid] == port)
			return 1;
		if (l[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
init_service_port(uint8_t proto, uint16_t port)
{
	if (port == 0)
		return 0;
	if (port < 1024)
		return 1;
	if (proto == 6 || proto == 132)
		return in_list(tcp_services, sizeof(tcp_services) /
		    sizeof(tcp_services[0]), port);
	if (proto == 17)
		return in_list(udp_services, sizeof(udp_services) /
		    sizeof(udp_services[0]), port);
	return 0;
}

static struct init_result
res(int who, int how)
{
	struct init_result r = { (uint8_t)who, (uint8_t)how };

	return r;
}

/* ICMP: echo and other queries come from the initiator. */
static struct init_result
icmp_query(const struct flow_rec *r)
{
	int type;

	if (r->have & FL_ICMP)
		type = r->icmp >> 8;
	else if (r->have & FL_DPORT)
		type = r->dport >> 8;		/* NetFlow: type * 256 + code */
	else
		return res(INIT_UNKNOWN, INIT_BY_NONE);
	if (r->proto == 1) {
		if (type == 8 || type == 13 || type == 15 || type == 17)
			return res(INIT_SRC, INIT_BY_FIELD);
		if (type == 0 || type == 14 || type == 16 || type == 18)
			return res(INIT_DST, INIT_BY_FIELD);
	} else {
		if (type == 128)
			return res(INIT_SRC, INIT_BY_FIELD);
		if (type == 129)
			return res(INIT_DST, INIT_BY_FIELD);
	}
	return res(INIT_UNKNOWN, INIT_BY_NONE);
}

/* One packet rather than a flow: sFlow samples, PSAMP frames. */
static int
single_packet(const struct flow_rec *r)
{
	return r->type == FLOW_SFLOW5 ||
	    ((r->have & FL_PACKETS) && r->packets == 1);
}

static struct init_result
by_evidence(const struct flow_rec *r)
{
	uint8_t f = r->tcp_flags;

	if (r->have & FL_BIFLOWDIR) {
		if (r->biflow_dir == FLOW_BIFLOW_INITIATOR)
			return res(INIT_SRC, INIT_BY_FIELD);
		if (r->biflow_dir == FLOW_BIFLOW_REVERSE)
			return res(INIT_DST, INIT_BY_FIELD);
	}
	if ((r->have & FL_FWEVENT) || (r->have & (FL_REVBYTES | FL_REVPACKETS)))
		return res(INIT_SRC, INIT_BY_FIELD);
	if ((r->have & FL_PROTO) && (r->proto == 1 || r->proto == 58))
		return icmp_query(r);
	if ((r->have & FL_PROTO) && r->proto == 6 && (r->have & FL_TCPFLAGS)) {
		if ((f & TCP_SYN) && !(f & (TCP_ACK | TCP_RST)))
			return res(INIT_SRC, INIT_BY_FLAGS);
		if (single_packet(r) && (f & TCP_SYN) && (f & TCP_ACK))
			return res(INIT_DST, INIT_BY_FLAGS);
	}
	return res(INIT_UNKNOWN, INIT_BY_NONE);
}

static struct init_result
by_port(const struct flow_rec *r)
{
	int s, d;

	if (!(r->have & FL_SPORT) || !(r->have & FL_DPORT) ||
	    !(r->have & FL_PROTO) || (r->proto != 6 && r->proto != 17 &&
	    r->proto != 132))
		return res(INIT_UNKNOWN, INIT_BY_NONE);
	s = init_service_port(r->proto, r->sport);
	d = init_service_port(r->proto, r->dport);
	if (d && !s)
		return res(INIT_SRC, INIT_BY_PORT);
	if (s && !d)
		return res(INIT_DST, INIT_BY_PORT);
	if (s && d && r->sport != r->dport)	/* e.g. 993 -> 80: lower serves */
		return res(r->dport < r->sport ? INIT_SRC : INIT_DST,
		    INIT_BY_PORT);
	return res(INIT_UNKNOWN, INIT_BY_NONE);
}

struct init_result
init_stateless(const struct flow_rec *r)
{
	struct init_result x = by_evidence(r);

	return x.who != INIT_UNKNOWN ? x : by_port(r);
}

/* ---- the conversation table ------------------------------------------ */

struct conv_key {
	uint8_t		af;
	uint8_t		proto;
	uint16_t	port[2];
	uint8_t		a[2][16];
};

struct conv {
	struct conv_key	key;
	uint64_t	first_ms[2];	/* start of each direction, 0 unseen */
	uint8_t		opener;		/* 0, 1: end that opened; 2: unknown */
	uint8_t		tie;		/* both directions seen starting at once */
};

/*
 * What a lookup reads of every way of a set, one cache line for the set:
 * the key's hash, liveness and last use.  The conversation itself is read
 * only when the hash matches (or to be replaced).
 */
struct conv_meta {
	uint64_t	used_ms;
	uint32_t	tag;
	uint8_t		live;
};

struct init_table {
	struct conv_meta	*meta;
	struct conv		*slot;
	size_t			 meta_len, slot_len;
	uint32_t		 nsets;
	uint32_t		 window_ms;
	struct init_stats	 st;
};

/*
 * Zeroed memory for a table, 64-byte aligned.  A big table is an
 * anonymous mapping the kernel may back with huge pages: lookups land
 * anywhere in it, and with 4 KiB pages nearly every one would also miss
 * the TLB.
 */
static void *
table_alloc(size_t len)
{
	void *p;

	if (len >= ((size_t)2 << 20)) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
#ifdef MADV_HUGEPAGE
		(void)madvise(p, len, MADV_HUGEPAGE);
#endif
		return p;
	}
	if (posix_memalign(&p, 64, len) != 0)
		return NULL;
	memset(p, 0, len);
	return p;
}

static void
table_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	if (len >= ((size_t)2 << 20))
		munmap(p, len);
	else
		free(p);
}

struct init_table *
init_table_new(uint32_t capacity, uint32_t window_ms)
{
	struct init_table *t;
	uint32_t sets = 1;

	while (sets * INIT_WAYS < capacity && sets < (1u << 26))
		sets <<= 1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->meta_len = (size_t)sets * INIT_WAYS * sizeof(*t->meta);
	t->slot_len = (size_t)sets * INIT_WAYS * sizeof(*t->slot);
	if ((t->meta = table_alloc(t->meta_len)) == NULL ||
	    (t->slot = table_alloc(t->slot_len)) == NULL) {
		init_table_free(t);
		return NULL;
	}
	t->nsets = sets;
	t->window_ms = window_ms;
	return t;
}

void
init_table_free(struct init_table *t)
{
	if (t == NULL)
		return;
	table_free(t->meta, t->meta_len);
	table_free(t->slot, t->slot_len);
	free(t);
}

const struct init_stats *
init_table_stats(const struct init_table *t)
{
	return &t->st;
}

/* The canonical key; *dir is 0 when the record runs a->b, 1 when b->a. */
static void
conv_key(const struct flow_rec *r, struct conv_key *k, int *dir)
{
	size_t n = r->src.af == 6 ? 16 : 4;
	int c;

	memset(k, 0, sizeof(*k));
	k->af = r->src.af;
	k->proto = r->proto;
	c = memcmp(r->src.a, r->dst.a, n);
	if (c == 0)
		c = (int)r->sport - (int)r->dport;
	*dir = c > 0;
	memcpy(k->a[*dir], r->src.a, n);
	memcpy(k->a[!*dir], r->dst.a, n);
	k->port[*dir] = r->sport;
	k->port[!*dir] = r->dport;
}

/* A word at a time (the key is zero-padded by conv_key). */
static uint32_t
conv_hash(const struct conv_key *k)
{
	uint64_t w[(sizeof(*k) + 7) / 8] = { 0 }, h = 0x9e3779b97f4a7c15ull;
	size_t i;

	memcpy(w, k, sizeof(*k));
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h ^ (h >> 29));
}

/* The conversation of k, found or made (replacing the least recent). */
static struct conv *
conv_find(struct init_table *t, const struct conv_key *k, uint64_t now)
{
	uint32_t h = conv_hash(k);
	size_t base = (size_t)(h & (t->nsets - 1)) * INIT_WAYS;
	struct conv_meta *set = &t->meta[base];
	int i, victim = 0;

	t->st.lookups++;
	for (i = 0; i < INIT_WAYS; i++) {
		struct conv_meta *m = &set[i];

		if (m->live && now - m->used_ms > t->window_ms &&
		    m->used_ms <= now)
			m->live = 0;		/* expired */
		if (m->live && m->tag == h &&
		    memcmp(&t->slot[base + i].key, k, sizeof(*k)) == 0) {
			t->st.hits++;
			m->used_ms = now;
			return &t->slot[base + i];
		}
		if (!m->live)
			victim = i;
		else if (set[victim].live && m->used_ms < set[victim].used_ms)
			victim = i;
	}
	if (set[victim].live)
		t->st.evicted++;
	set[victim].live = 1;
	set[victim].tag = h;
	set[victim].used_ms = now;
	memset(&t->slot[base + victim], 0, sizeof(t->slot[0]));
	t->slot[base + victim].key = *k;
	t->slot[base + victim].opener = 2;
	return &t->slot[base + victim];
}

struct init_result
init_decide(struct init_table *t, const struct flow_rec *r, uint64_t now_ms)
{
	struct init_result x = by_evidence(r);
	struct conv_key k;
	struct conv *c;
	uint64_t start;
	int dir;

	if (t == NULL || !(r->have & FL_SRC) || !(r->have & FL_DST) ||
	    r->src.af != r->dst.af)
		return x.who != INIT_UNKNOWN ? x : by_port(r);
	conv_key(r, &k, &dir);
	c = conv_find(t, &k, now_ms);
	start = (r->have & FL_FIRST) && r->first ? r->first : now_ms;
	if (c->first_ms[dir] == 0 || start < c->first_ms[dir])
		c->first_ms[dir] = start;
	if (x.who != INIT_UNKNOWN) {
		/* Strong evidence: remember which end opened. */
		c->opener = (uint8_t)(x.who == INIT_SRC ? dir : !dir);
		return x;
	}
	if (c->opener != 2)
		return res(c->opener == dir ? INIT_SRC : INIT_DST,
		    INIT_BY_REVERSE);
	/*
	 * An exporter that tracks connections both ways (softflowd, NSEL)
	 * gives both records the same start: their order says nothing, and
	 * a later record of the same 5-tuple (a re-export, a reused port
	 * pair, a clock step) must not be compared with the other
	 * direction's old start as if the two were one conversation.
	 */
	if (c->first_ms[0] && c->first_ms[0] == c->first_ms[1])
		c->tie = 1;
	if (!c->tie && c->first_ms[0] && c->first_ms[1] &&
	    c->first_ms[0] != c->first_ms[1]) {
		int opener = c->first_ms[1] < c->first_ms[0];

		return res(opener == dir ? INIT_SRC : INIT_DST,
		    INIT_BY_REVERSE);
	}
	return by_port(r);
}

const char *
init_how_name(int how)
{
	switch (how) {
	case INIT_BY_FIELD:	return "field";
	case INIT_BY_FLAGS:	return "flags";
	case INIT_BY_REVERSE:	return "reverse";
	case INIT_BY_PORT:	return "port";
	}
	return "none";
}
