/*
 * initiator.c - see initiator.h for the order of evidence.
 *
 * The conversation table is a set-associative cache: a hash picks a set of
 * INIT_WAYS slots and the least recently used slot of the set is replaced.
 * Lookups and inserts are O(1), memory is fixed at creation, and a set is
 * one cache line (see struct conv_set), so a lookup costs at most one
 * miss, which a caller with a batch of records can start early
 * (init_prefetch).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "initiator.h"

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

/* The lists above as bitmaps, one bit a port: one load per question. */
static uint64_t tcp_bits[65536 / 64], udp_bits[65536 / 64];

__attribute__((constructor)) static void
service_bits_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(tcp_services) / sizeof(tcp_services[0]); i++)
		tcp_bits[tcp_services[i] / 64] |= 1ULL << (tcp_services[i] % 64);
	for (i = 0; i < sizeof(udp_services) / sizeof(udp_services[0]); i++)
		udp_bits[udp_services[i] / 64] |= 1ULL << (udp_services[i] % 64);
}

static inline int
bit(const uint64_t *b, uint16_t port)
{
	return (b[port / 64] >> (port % 64)) & 1;
}

int
init_service_port(uint8_t proto, uint16_t port)
{
	if (port == 0)
		return 0;
	if (port < 1024)
		return 1;
	if (proto == 6 || proto == 132)
		return bit(tcp_bits, port);
	if (proto == 17)
		return bit(udp_bits, port);
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

/*
 * One set: INIT_WAYS conversations in one 64-byte cache line.  A
 * conversation is known by a 64-bit hash of its canonical key (the two
 * ends in a fixed order, protocol, ports): a lookup reads one line, and
 * two different conversations share a hash with odds of about 2^-60 per
 * lookup (the cost of that: one record's initiator taken from the other
 * conversation).  Times are kept modulo 2^32 ms and compared by signed
 * difference: right for any two times less than 24 days apart, and the
 * table forgets a conversation after `window` (minutes).  The times are
 * the records' (the exporters' clocks): an entry left untouched for 24
 * to 49 days in a set no record has hashed to since looks recent again,
 * and a record more than 24 days behind an entry (an exporter whose clock
 * is unset) finds it live or expired at random.  Either way what is lost
 * is the table's evidence for that record, which then falls back on the
 * ports; a set with any traffic turns over within minutes.
 */
#define INIT_WAYS	3

#define CONV_SEEN0	0x01	/* first[0] holds the start of direction 0 */
#define CONV_SEEN1	0x02
#define CONV_TIE	0x04	/* both directions once started at once */
#define CONV_OPENER(f)	(((f) >> 3) & 3)	/* 0, 1: end that opened; 2 */
#define CONV_SET_OPENER(f, o) ((uint8_t)(((f) & ~0x18) | (o) << 3))

struct conv_set {
	uint64_t	fp[INIT_WAYS];		/* key hash | 1; 0 free */
	uint32_t	used[INIT_WAYS];	/* last use */
	uint32_t	first[INIT_WAYS][2];	/* start of each direction */
	uint8_t		flags[INIT_WAYS];
	uint8_t		pad[64 - INIT_WAYS * 21];
};
_Static_assert(sizeof(struct conv_set) == 64, "one cache line a set");

struct init_table {
	struct conv_set		*sets;
	size_t			 len;
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

	while ((uint64_t)sets * INIT_WAYS < capacity && sets < (1u << 26))
		sets <<= 1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->len = (size_t)sets * sizeof(*t->sets);
	if ((t->sets = table_alloc(t->len)) == NULL) {
		free(t);
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
	table_free(t->sets, t->len);
	free(t);
}

const struct init_stats *
init_table_stats(const struct init_table *t)
{
	return &t->st;
}

static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* 1 when the end (d, pd) comes before (s, ps). */
static inline int
order(const uint64_t *s, const uint64_t *d, uint16_t ps, uint16_t pd)
{
	if (s[0] != d[0])
		return s[0] > d[0];
	if (s[1] != d[1])
		return s[1] > d[1];
	return ps > pd;
}

static void
ends(const struct flow_rec *r, uint64_t *s, uint64_t *d)
{
	if (r->src.af == 6) {
		s[0] = load64(r->src.a);
		s[1] = load64(r->src.a + 8);
		d[0] = load64(r->dst.a);
		d[1] = load64(r->dst.a + 8);
	} else {
		s[0] = load32(r->src.a);
		d[0] = load32(r->dst.a);
		s[1] = d[1] = 0;
	}
}

/* The record's direction in its conversation (see conv_hash). */
static int
conv_dir(const struct flow_rec *r)
{
	uint64_t s[2], d[2];

	ends(r, s, d);
	return order(s, d, r->sport, r->dport);
}

/*
 * The hash of the record's conversation, the same for both directions;
 * *dir is 0 when the record runs from the lower end (by address, then
 * port) to the higher, 1 the other way.
 */
static uint64_t
conv_hash(const struct flow_rec *r, int *dir)
{
	uint64_t s[2], d[2], h;
	uint16_t ps = r->sport, pd = r->dport;

	ends(r, s, d);
	*dir = order(s, d, ps, pd);
	if (*dir) {
		uint64_t x;
		uint16_t p;

		x = s[0], s[0] = d[0], d[0] = x;
		x = s[1], s[1] = d[1], d[1] = x;
		p = ps, ps = pd, pd = p;
	}
	h = (uint64_t)r->src.af << 56 | (uint64_t)r->proto << 48 |
	    (uint64_t)ps << 16 | pd;
	if (r->src.af != 6)
		h = flow_mix64(h ^ flow_mix64(s[0] << 32 | d[0]));
	else {
		h = flow_mix64(h ^ s[0]);
		h = flow_mix64(h ^ s[1]);
		h = flow_mix64(h ^ d[0]);
		h = flow_mix64(h ^ d[1]);
	}
	return h ? h : 1;	/* 0 is no hint (init_prefetch) */
}

static int
conv_applies(const struct flow_rec *r)
{
	return (r->have & FL_SRC) && (r->have & FL_DST) &&
	    r->src.af == r->dst.af;
}

uint64_t
init_prefetch(const struct init_table *t, const struct flow_rec *r)
{
	uint64_t h;
	int dir;

	if (t == NULL || !conv_applies(r))
		return 0;
	h = conv_hash(r, &dir);
	__builtin_prefetch(&t->sets[h & (t->nsets - 1)], 1);
	return h;
}

/* The way of conversation h in its set, found or made (replacing the
 * least recently used); *flags and *first are the way's. */
static int
conv_find(struct init_table *t, uint64_t h, uint32_t now,
    struct conv_set **setp)
{
	struct conv_set *set = &t->sets[h & (t->nsets - 1)];
	uint64_t fp = h | 1;
	int i, victim = -1;
	int32_t oldest = INT32_MIN;

	*setp = set;
	t->st.lookups++;
	for (i = 0; i < INIT_WAYS; i++) {
		int32_t age = (int32_t)(now - set->used[i]);

		if (set->fp[i] == fp && age <= (int32_t)t->window_ms) {
			t->st.hits++;
			set->used[i] = now;
			return i;
		}
		if (set->fp[i] == 0 || age > (int32_t)t->window_ms)
			age = INT32_MAX;	/* free or expired */
		if (victim < 0 || age > oldest) {
			victim = i;
			oldest = age;
		}
	}
	if (oldest != INT32_MAX)
		t->st.evicted++;
	set->fp[victim] = fp;
	set->used[victim] = now;
	set->first[victim][0] = set->first[victim][1] = 0;
	set->flags[victim] = CONV_SET_OPENER(0, 2);
	return victim;
}

struct init_result
init_decide(struct init_table *t, const struct flow_rec *r, uint64_t now_ms)
{
	return init_decide_h(t, r, now_ms, 0);
}

struct init_result
init_decide_h(struct init_table *t, const struct flow_rec *r, uint64_t now_ms,
    uint64_t hint)
{
	struct init_result x = by_evidence(r);
	struct conv_set *set;
	uint32_t *first;
	uint64_t start;
	uint8_t *f;
	int dir, w, opener;

	if (t == NULL || !conv_applies(r))
		return x.who != INIT_UNKNOWN ? x : by_port(r);
	if (hint) {
		dir = conv_dir(r);
		w = conv_find(t, hint, (uint32_t)now_ms, &set);
	} else
		w = conv_find(t, conv_hash(r, &dir), (uint32_t)now_ms, &set);
	first = set->first[w];
	f = &set->flags[w];
	start = (r->have & FL_FIRST) && r->first ? r->first : now_ms;
	if (start && (!(*f & (CONV_SEEN0 << dir)) ||
	    (int32_t)((uint32_t)start - first[dir]) < 0)) {
		first[dir] = (uint32_t)start;
		*f |= (uint8_t)(CONV_SEEN0 << dir);
	}
	if (x.who != INIT_UNKNOWN) {
		/* Strong evidence: remember which end opened. */
		*f = CONV_SET_OPENER(*f, x.who == INIT_SRC ? dir : !dir);
		return x;
	}
	if ((opener = CONV_OPENER(*f)) != 2)
		return res(opener == dir ? INIT_SRC : INIT_DST,
		    INIT_BY_REVERSE);
	/*
	 * An exporter that tracks connections both ways (softflowd, NSEL)
	 * gives both records the same start: their order says nothing, and
	 * a later record of the same 5-tuple (a re-export, a reused port
	 * pair, a clock step) must not be compared with the other
	 * direction's old start as if the two were one conversation.
	 */
	if ((*f & (CONV_SEEN0 | CONV_SEEN1)) != (CONV_SEEN0 | CONV_SEEN1))
		return by_port(r);
	if (first[0] == first[1])
		*f |= CONV_TIE;
	if (*f & CONV_TIE)
		return by_port(r);
	opener = (int32_t)(first[1] - first[0]) < 0;
	return res(opener == dir ? INIT_SRC : INIT_DST, INIT_BY_REVERSE);
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
