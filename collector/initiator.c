/*
 * initiator.c - see initiator.h for the order of evidence.
 *
 * The conversation table is a set-associative cache: a hash picks a set of
 * INIT_WAYS slots and the least recently used slot of the set is replaced.
 * Lookups and inserts are O(1), memory is fixed at creation.
 */
#include <stdlib.h>
#include <string.h>

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
	uint64_t	used_ms;
	uint64_t	first_ms[2];	/* start of each direction, 0 unseen */
	uint8_t		opener;		/* 0, 1: end that opened; 2: unknown */
	uint8_t		live;
};

struct init_table {
	struct conv		*slot;
	uint32_t		 nsets;
	uint32_t		 window_ms;
	struct init_stats	 st;
};

struct init_table *
init_table_new(uint32_t capacity, uint32_t window_ms)
{
	struct init_table *t;
	uint32_t sets = 1;

	while (sets * INIT_WAYS < capacity && sets < (1u << 26))
		sets <<= 1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->slot = calloc((size_t)sets * INIT_WAYS, sizeof(*t->slot)))
	    == NULL) {
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
	free(t->slot);
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

static uint32_t
conv_hash(const struct conv_key *k)
{
	uint32_t h = flow_fnv(FLOW_FNV_INIT, k, sizeof(*k));

	return h ^ (h >> 15);
}

static struct conv *
conv_find(struct init_table *t, const struct conv_key *k, uint64_t now)
{
	struct conv *set = &t->slot[(conv_hash(k) & (t->nsets - 1)) *
	    INIT_WAYS], *victim = &set[0];
	int i;

	t->st.lookups++;
	for (i = 0; i < INIT_WAYS; i++) {
		struct conv *c = &set[i];

		if (c->live && now - c->used_ms > t->window_ms &&
		    c->used_ms <= now)
			c->live = 0;		/* expired */
		if (c->live && memcmp(&c->key, k, sizeof(*k)) == 0) {
			t->st.hits++;
			return c;
		}
		if (!c->live)
			victim = c;
		else if (victim->live && c->used_ms < victim->used_ms)
			victim = c;
	}
	if (victim->live)
		t->st.evicted++;
	memset(victim, 0, sizeof(*victim));
	victim->key = *k;
	victim->live = 1;
	victim->opener = 2;
	return victim;
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
	c->used_ms = now_ms;
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
	if (c->first_ms[0] && c->first_ms[1] &&
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
