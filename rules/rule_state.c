/*
 * rule_state.c - threshold windows (rule_feed, rule_state_expire).
 *
 * DESIGN
 * One window per (rule, the fields of its `per` key), in an open-
 * addressing table with linear probing, twice as many slots as max_keys
 * so probes stay short; a key beyond max_keys is refused and counted,
 * never evicting a window that is counting.  Deletion shifts the
 * following entries back (no tombstones), so the table never fills with
 * dead slots however keys come and go.
 *
 * A window starts at its key's first record and covers window_secs from
 * there: a record later than that starts the window again, and so does
 * firing (the window is dropped; the next record opens a new one).  It
 * counts flows, scaled bytes and packets and, for `distinct`, the set of
 * destinations (32-bit hashes of the addresses) or ports (exact): a
 * small open-addressing set per window that grows on demand up to room
 * for threshold+1 members, which is all the rule needs to know that the
 * threshold was passed.  The memory of all sets is bounded too (64
 * members per max_keys on average); a member that finds no room is
 * counted and not added.
 *
 * min_samples: sampled exports scale one sampled packet by the rate, so a
 * single sample of 1:1000 would look like a thousand packets.  A window
 * fires only when one of its records was unsampled (rate 1) or the
 * sampled records carried at least min_samples packets as exported.
 */
#include <stdlib.h>
#include <string.h>

#include "rule_int.h"

#define SET_BUDGET_PER_KEY	64
#define SET_BUDGET_MIN		65536
#define MAX_KEYS_LIMIT		(1u << 22)

/* Which window: the fields the rule's `per` names, the rest zero. */
struct skey {
	uint32_t		rule;
	uint16_t		sport, dport;
	uint8_t			proto, pad[3];
	struct flow_addr	src, dst;
};

struct win {
	struct skey	 k;
	uint32_t	 hash;		/* 0: a free slot */
	uint32_t	 nset, capset;
	uint32_t	*set;		/* distinct members, 0: free */
	uint64_t	 first_ms, last_ms;
	uint64_t	 flows, bytes, packets;
	uint64_t	 raw;		/* packets of sampled records, as exported */
	int		 unsampled;
};

struct rule_state {
	const struct ruleset	*rs;
	struct win		*slot;
	uint32_t		 mask;
	uint32_t		 max_keys, keys;
	uint64_t		 refused, set_refused;
	uint64_t		 set_slots, set_budget;
};

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

struct rule_state *
rule_state_new(const struct ruleset *rs, uint32_t max_keys)
{
	struct rule_state *st;
	uint32_t cap = 1024;		/* grows with use up to 2 * max_keys */

	if (max_keys > MAX_KEYS_LIMIT)
		max_keys = MAX_KEYS_LIMIT;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->slot = calloc(cap, sizeof(*st->slot))) == NULL) {
		free(st);
		return NULL;
	}
	st->rs = rs;
	st->mask = cap - 1;
	st->max_keys = max_keys;
	st->set_budget = (uint64_t)max_keys * SET_BUDGET_PER_KEY;
	if (st->set_budget < SET_BUDGET_MIN)
		st->set_budget = SET_BUDGET_MIN;
	return st;
}

void
rule_state_free(struct rule_state *st)
{
	uint32_t i;

	if (st == NULL)
		return;
	for (i = 0; i <= st->mask; i++)
		free(st->slot[i].set);
	free(st->slot);
	free(st);
}

static void
key_addr(struct flow_addr *k, const struct flow_addr *a)
{
	if (a == NULL)
		return;
	k->af = a->af;
	memcpy(k->a, a->a, a->af == 6 ? 16 : 4);
}

static void
make_key(const struct rule_info *ri, size_t i, const struct rule_rec *r,
    struct skey *k)
{
	memset(k, 0, sizeof(*k));
	k->rule = (uint32_t)i;
	if (ri->per_key & RULE_KEY_SRC)
		key_addr(&k->src, r->src);
	if (ri->per_key & RULE_KEY_DST)
		key_addr(&k->dst, r->dst);
	if (ri->per_key & RULE_KEY_SPORT)
		k->sport = r->sport;
	if (ri->per_key & RULE_KEY_DPORT)
		k->dport = r->dport;
	if (ri->per_key & RULE_KEY_PROTO)
		k->proto = r->proto;
}

static uint32_t
key_hash(const struct skey *k)
{
	uint64_t w[(sizeof(*k) + 7) / 8] = { 0 }, h = FLOW_FNV64_INIT;
	size_t i;

	/* By words: FNV over the key's bytes was a visible cost per record. */
	memcpy(w, k, sizeof(*k));
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		h = flow_mix64(h ^ w[i]);
	return (uint32_t)h ? (uint32_t)h : 1;
}

/* The slot of key k, or the free slot where it would go. */
static uint32_t
find(const struct rule_state *st, const struct skey *k, uint32_t h)
{
	uint32_t i = h & st->mask;

	while (st->slot[i].hash && (st->slot[i].hash != h ||
	    memcmp(&st->slot[i].k, k, sizeof(*k)) != 0))
		i = (i + 1) & st->mask;
	return i;
}

/* Is home cyclically within (i, j]? */
static int
between(uint32_t i, uint32_t home, uint32_t j)
{
	return i <= j ? (i < home && home <= j) : (i < home || home <= j);
}

static void
drop(struct rule_state *st, uint32_t i)
{
	uint32_t j = i;

	st->set_slots -= st->slot[i].capset;
	free(st->slot[i].set);
	for (;;) {
		j = (j + 1) & st->mask;
		if (st->slot[j].hash == 0)
			break;
		if (between(i, st->slot[j].hash & st->mask, j))
			continue;
		st->slot[i] = st->slot[j];
		i = j;
	}
	memset(&st->slot[i], 0, sizeof(st->slot[i]));
	st->keys--;
}

/* ---- distinct members ------------------------------------------------- */

static uint32_t
member(const struct rule_info *ri, const struct rule_rec *r)
{
	uint32_t h;

	if (ri->agg == RULE_AGG_DISTINCT_DPORT)
		return (uint32_t)r->dport + 1;
	h = r->dst ? flow_addr_hash(FLOW_FNV_INIT, r->dst) : 0;
	return h ? h : 1;
}

static void
set_put(uint32_t *set, uint32_t cap, uint32_t v)
{
	uint32_t i = (v * 2654435761u) & (cap - 1);

	while (set[i] && set[i] != v)
		i = (i + 1) & (cap - 1);
	set[i] = v;
}

static int
set_has(const uint32_t *set, uint32_t cap, uint32_t v)
{
	uint32_t i = (v * 2654435761u) & (cap - 1);

	for (; set[i]; i = (i + 1) & (cap - 1))
		if (set[i] == v)
			return 1;
	return 0;
}

/* Room for one more member, at most half full; -1 over the budget. */
static int
set_room(struct rule_state *st, struct win *w)
{
	uint32_t ncap = w->capset ? w->capset * 2 : 8, i, *n;

	if ((w->nset + 1) * 2 <= w->capset)
		return 0;
	if (st->set_slots + ncap - w->capset > st->set_budget ||
	    (n = calloc(ncap, sizeof(*n))) == NULL) {
		st->set_refused++;
		return -1;
	}
	for (i = 0; i < w->capset; i++)
		if (w->set[i])
			set_put(n, ncap, w->set[i]);
	free(w->set);
	st->set_slots += ncap - w->capset;
	w->set = n;
	w->capset = ncap;
	return 0;
}

static void
add_member(struct rule_state *st, struct win *w, uint32_t v)
{
	if (w->set && set_has(w->set, w->capset, v))
		return;
	if (set_room(st, w) != 0)
		return;
	set_put(w->set, w->capset, v);
	w->nset++;
}

/* ---- windows ------------------------------------------------------------ */

/*
 * Double the table when it is half full (and the cap allows): memory
 * follows the windows in use, not the configured maximum.  0, or -1
 * without memory (the table stays as it is).
 */
static int
grow(struct rule_state *st)
{
	uint32_t ncap = (st->mask + 1) * 2, i, j;
	struct win *n;

	if ((n = calloc(ncap, sizeof(*n))) == NULL)
		return -1;
	for (i = 0; i <= st->mask; i++) {
		if (st->slot[i].hash == 0)
			continue;
		for (j = st->slot[i].hash & (ncap - 1); n[j].hash;
		    j = (j + 1) & (ncap - 1))
			;
		n[j] = st->slot[i];
	}
	free(st->slot);
	st->slot = n;
	st->mask = ncap - 1;
	return 0;
}

static struct win *
window(struct rule_state *st, const struct skey *k, uint32_t *at)
{
	uint32_t h = key_hash(k), i = find(st, k, h);
	struct win *w = &st->slot[i];

	if (w->hash) {
		*at = i;
		return w;
	}
	if (st->keys >= st->max_keys) {
		st->refused++;
		return NULL;
	}
	if ((uint64_t)(st->keys + 1) * 2 > st->mask + 1) {
		if (grow(st) == -1) {
			st->refused++;
			return NULL;
		}
		i = find(st, k, h);
		w = &st->slot[i];
	}
	*at = i;
	w->k = *k;
	w->hash = h;
	st->keys++;
	return w;
}

static void
restart(struct win *w)
{
	w->flows = w->bytes = w->packets = w->raw = 0;
	w->unsampled = 0;
	w->nset = 0;
	if (w->set)
		memset(w->set, 0, w->capset * sizeof(*w->set));
}

static void
count(struct rule_state *st, const struct rule_info *ri, struct win *w,
    const struct rule_rec *r)
{
	uint64_t span = (uint64_t)ri->window_secs * 1000;

	if (w->flows && r->ts_ms >= w->first_ms &&
	    r->ts_ms - w->first_ms >= span)
		restart(w);
	if (w->flows == 0)
		w->first_ms = w->last_ms = r->ts_ms;
	if (r->ts_ms > w->last_ms)
		w->last_ms = r->ts_ms;
	w->flows++;
	w->bytes = sat_add(w->bytes, r->bytes);
	w->packets = sat_add(w->packets, r->packets);
	if (r->rate <= 1)
		w->unsampled = 1;
	else
		w->raw = sat_add(w->raw, r->raw_packets);
	if (ri->agg == RULE_AGG_DISTINCT_DST ||
	    ri->agg == RULE_AGG_DISTINCT_DPORT)
		add_member(st, w, member(ri, r));
}

static uint64_t
value(const struct rule_info *ri, const struct win *w)
{
	switch (ri->agg) {
	case RULE_AGG_COUNT:		return w->flows;
	case RULE_AGG_SUM_BYTES:	return w->bytes;
	case RULE_AGG_SUM_PACKETS:	return w->packets;
	default:			return w->nset;
	}
}

static void
fill_hit(size_t i, uint64_t v, const struct win *w, struct rule_hit *hit)
{
	memset(hit, 0, sizeof(*hit));
	hit->rule = i;
	hit->value = v;
	hit->flows = w->flows;
	hit->bytes = w->bytes;
	hit->packets = w->packets;
	hit->first_ms = w->first_ms;
	hit->last_ms = w->last_ms;
}

int
rule_feed(struct rule_state *st, size_t i, const struct rule_rec *r,
    struct rule_hit *hit)
{
	const struct rule_info *ri;
	struct skey k;
	struct win *w, one;
	uint32_t at;
	uint64_t v;

	if (st == NULL || (ri = rule_get(st->rs, i)) == NULL)
		return 0;
	if (ri->agg == RULE_AGG_NONE) {
		memset(&one, 0, sizeof(one));
		one.flows = 1;
		one.bytes = r->bytes;
		one.packets = r->packets;
		one.first_ms = one.last_ms = r->ts_ms;
		fill_hit(i, 1, &one, hit);
		return 1;
	}
	make_key(ri, i, r, &k);
	if ((w = window(st, &k, &at)) == NULL)
		return 0;
	count(st, ri, w, r);
	if ((v = value(ri, w)) <= ri->threshold || !(ri->min_samples == 0 ||
	    w->unsampled || w->raw >= ri->min_samples))
		return 0;
	fill_hit(i, v, w, hit);
	drop(st, at);
	return 1;
}

void
rule_state_expire(struct rule_state *st, uint64_t now_ms)
{
	const struct rule_info *ri;
	uint32_t i = 0;

	if (st == NULL)
		return;
	while (i <= st->mask) {
		struct win *w = &st->slot[i];

		if (w->hash && (ri = rule_get(st->rs, w->k.rule)) != NULL &&
		    now_ms >= w->first_ms &&
		    now_ms - w->first_ms >= (uint64_t)ri->window_secs * 1000)
			drop(st, i);	/* slot i may hold another now */
		else
			i++;
	}
}

void
rule_state_stats(const struct rule_state *st, struct rule_state_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return;
	out->keys = st->keys;
	out->keys_refused = st->refused;
	out->distinct_refused = st->set_refused;
}
