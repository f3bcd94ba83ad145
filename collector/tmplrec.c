/*
 * tmplrec.c - NetFlow v9 / IPFIX sets and data records.
 *
 * DESIGN
 * tr_sets() walks a message's sets by their length fields.  Template sets go
 * to the protocol's parser; data sets run their compiled template.  A data
 * set whose template is not known yet is remembered (up to TR_MAX_PENDING)
 * and tried again after the last set, so data that comes before its template
 * in the same datagram is still decoded; a set that still has no template is
 * counted (tmpl_missing) and skipped.
 *
 * A data record runs the template's ops into an accumulator (values by
 * target), then tr_finish() turns it into a flow record: the byte and packet
 * counters by preference (delta, NSEL initiator, total, post), every
 * timestamp form to UTC ms, sampling from the record's own interval or the
 * domain's sampler table, frame/IP header sections through pkthdr_parse().
 * Options records update the domain's sampler table and system init time.
 * A datagram may produce at most lim.record_budget records (HOSTILE V9-14).
 */
#include <string.h>

#include "ie.h"
#include "pkthdr.h"
#include "tmplrec.h"

#define TR_MAX_PENDING	32
#define NTP_UNIX_OFFSET	2208988800ULL	/* seconds from 1900 to 1970 */

struct tr_acc {
	struct flow_rec	 r;
	uint64_t	 v[IE_NTARGETS];
	uint64_t	 seen[(IE_NTARGETS + 63) / 64];
	const uint8_t	*frame;
	size_t		 framelen;
	uint32_t	 linktype;
};

static int
acc_has(const struct tr_acc *a, int tgt)
{
	return (a->seen[tgt / 64] >> (tgt % 64)) & 1;
}

/* The first occurrence of a field in a record wins (outer headers). */
static void
acc_set(struct tr_acc *a, int tgt, uint64_t v)
{
	if (acc_has(a, tgt))
		return;
	a->v[tgt] = v;
	a->seen[tgt / 64] |= 1ULL << (tgt % 64);
}

/*
 * Ready for the next record: as if zeroed, but only the values the last
 * record set are cleared (v[] is most of the structure; a record sets a
 * handful of its entries).  r is cleared by dec_rec_init().
 */
static void
acc_reset(struct tr_acc *a)
{
	size_t w;

	for (w = 0; w < sizeof(a->seen) / sizeof(a->seen[0]); w++) {
		uint64_t bits = a->seen[w];

		while (bits) {
			a->v[w * 64 + (size_t)__builtin_ctzll(bits)] = 0;
			bits &= bits - 1;
		}
		a->seen[w] = 0;
	}
	a->frame = NULL;
	a->framelen = 0;
	a->linktype = 0;
}

/* First target of a preference list that the record carried, or -1. */
static int
acc_pick(const struct tr_acc *a, const int *pref, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (acc_has(a, pref[i]))
			return pref[i];
	return -1;
}

/*
 * Take an address unless the record already gave a non-zero one: an
 * all-zero address is a placeholder (templates with both IPv4 and IPv6
 * fields), and of two real ones the first, the outer header, wins.
 */
static void
acc_addr(struct flow_rec *r, struct flow_addr *dst, uint32_t bit,
    const uint8_t *p, size_t len)
{
	static const uint8_t zero[16];

	if ((r->have & bit) && memcmp(dst->a, zero, sizeof(zero)) != 0)
		return;
	if (len == 4)
		flow_addr_set4(dst, p);
	else
		flow_addr_set6(dst, p);
	r->have |= bit;
}

/* Run the ops of t over one record.  Returns -1 on a short record. */
static int
tr_run(const struct tmpl *t, struct rd *rd, struct tr_acc *a)
{
	const struct tmpl_op *op;
	const uint8_t *p;
	uint16_t i;
	size_t len;

	for (i = 0; i < t->nops; i++) {
		op = &t->ops[i];
		len = op->len;
		if (len == TMPL_VARLEN) {
			len = rd_u8(rd);
			if (len == 255)
				len = rd_u16(rd);
		}
		if ((p = rd_ptr(rd, len)) == NULL)
			return -1;
		switch (op->tgt) {
		case IE_SKIP:
			break;
		case IE_SRC4:
		case IE_SRC6:
			acc_addr(&a->r, &a->r.src, FL_SRC, p, len);
			break;
		case IE_DST4:
		case IE_DST6:
			acc_addr(&a->r, &a->r.dst, FL_DST, p, len);
			break;
		case IE_FRAME:
		case IE_IPHDR:
			if (a->frame)
				break;
			a->frame = p;
			a->framelen = len;
			a->linktype = op->tgt == IE_FRAME ? PKT_ETHERNET : PKT_IP;
			break;
		default:
			/* Integers: 1..8 bytes (varlen ones may be longer). */
			if (len >= 1 && len <= 8)
				acc_set(a, op->tgt, be_uint(p, len));
			break;
		}
	}
	return 0;
}

static uint64_t
ntp_to_ms(uint64_t v)
{
	uint64_t sec = v >> 32, frac = v & 0xffffffffULL;

	if (sec < NTP_UNIX_OFFSET)
		return 0;
	return (sec - NTP_UNIX_OFFSET) * 1000 + ((frac * 1000) >> 32);
}

/* ms before t, or 0 (no time) when that is before 1970: never wraps. */
static uint64_t
ms_before(uint64_t t, uint64_t ms)
{
	return t > ms ? t - ms : 0;
}

/*
 * One timestamp of the record in UTC ms, from whichever form it carried.
 * Returns 0 when it carried none that can be placed in time.
 */
static uint64_t
tr_time(const struct tr_acc *a, const struct tr_hdr *h, uint64_t sys_init,
    int s, int ms, int us, int ns, int delta, int up)
{
	uint64_t export_ms = (uint64_t)h->export_s * 1000;

	if (acc_has(a, ms))
		return a->v[ms];
	if (acc_has(a, us))
		return ntp_to_ms(a->v[us]);
	if (acc_has(a, ns))
		return ntp_to_ms(a->v[ns]);
	if (acc_has(a, s))
		return a->v[s] * 1000;
	if (acc_has(a, delta))
		return ms_before(export_ms, a->v[delta] / 1000);
	if (acc_has(a, up)) {
		if (h->version == 9)	/* relative to the header's sysUptime */
			return ms_before(export_ms,
			    (uint32_t)(h->uptime_ms - (uint32_t)a->v[up]));
		if (sys_init)
			return sys_init + a->v[up];
	}
	return 0;
}

static void
tr_times(struct tr_acc *a, const struct tr_hdr *h, uint64_t sys_init)
{
	struct flow_rec *r = &a->r;
	uint64_t first, last, obs = 0;

	first = tr_time(a, h, sys_init, IE_FIRST_S, IE_FIRST_MS, IE_FIRST_US,
	    IE_FIRST_NS, IE_FIRST_DELTA, IE_FIRST_UP);
	last = tr_time(a, h, sys_init, IE_LAST_S, IE_LAST_MS, IE_LAST_US,
	    IE_LAST_NS, IE_LAST_DELTA, IE_LAST_UP);
	/* A packet report (PSAMP) has only its observation time. */
	if (first == 0 && last == 0) {
		if (acc_has(a, IE_OBS_MS))
			obs = a->v[IE_OBS_MS];
		else if (acc_has(a, IE_OBS_US))
			obs = ntp_to_ms(a->v[IE_OBS_US]);
		else if (acc_has(a, IE_OBS_NS))
			obs = ntp_to_ms(a->v[IE_OBS_NS]);
		else if (acc_has(a, IE_OBS_S))
			obs = a->v[IE_OBS_S] * 1000;
		first = last = obs;
	}
	if (first) {
		r->first = first;
		r->have |= FL_FIRST;
	}
	if (last) {
		r->last = last;
		r->have |= FL_LAST;
	}
}

/* The sampling rate the record itself states, 0 if none. */
static uint32_t
tr_own_rate(const struct tr_acc *a)
{
	uint64_t iv, sp;

	if (acc_has(a, IE_SAMPLING) && a->v[IE_SAMPLING] > 0)
		return a->v[IE_SAMPLING] > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)a->v[IE_SAMPLING];
	if (acc_has(a, IE_PKT_INTERVAL) && a->v[IE_PKT_INTERVAL] > 0) {
		iv = a->v[IE_PKT_INTERVAL];
		sp = acc_has(a, IE_PKT_SPACE) ? a->v[IE_PKT_SPACE] : 0;
		if (iv > UINT32_MAX || sp > UINT32_MAX)
			return UINT32_MAX;
		return (uint32_t)((iv + sp) / iv);
	}
	return 0;
}

/* Copy what a packet section told us into fields the record lacks. */
static void
tr_frame(struct tr_acc *a)
{
	struct flow_rec tmp, *r = &a->r;

	memset(&tmp, 0, sizeof(tmp));
	(void)pkthdr_parse(&tmp, a->linktype, a->frame, a->framelen, NULL);
	if ((tmp.have & FL_SRC) && !(r->have & FL_SRC))
		r->src = tmp.src;
	if ((tmp.have & FL_DST) && !(r->have & FL_DST))
		r->dst = tmp.dst;
	if (!(r->have & FL_SPORT))
		r->sport = tmp.sport;
	if (!(r->have & FL_DPORT))
		r->dport = tmp.dport;
	if (!(r->have & FL_PROTO))
		r->proto = tmp.proto;
	if (!(r->have & FL_TCPFLAGS))
		r->tcp_flags = tmp.tcp_flags;
	if (!(r->have & FL_TOS))
		r->tos = tmp.tos;
	if (!(r->have & FL_VLAN))
		r->vlan = tmp.vlan;
	if (!(r->have & FL_MPLS))
		r->mpls = tmp.mpls;
	if (!(r->have & FL_ICMP))
		r->icmp = tmp.icmp;
	r->have |= tmp.have & (FL_SRC | FL_DST | FL_SPORT | FL_DPORT |
	    FL_PROTO | FL_TCPFLAGS | FL_TOS | FL_VLAN | FL_MPLS | FL_ICMP);
}

/* Simple integer fields: target, have bit. */
static void
tr_ints(struct tr_acc *a)
{
	struct flow_rec *r = &a->r;

#define TAKE(tgt, bit, field, type)					\
	if (acc_has(a, tgt)) {						\
		r->field = (type)a->v[tgt];				\
		r->have |= bit;						\
	}
	TAKE(IE_SPORT, FL_SPORT, sport, uint16_t)
	TAKE(IE_DPORT, FL_DPORT, dport, uint16_t)
	TAKE(IE_PROTO, FL_PROTO, proto, uint8_t)
	TAKE(IE_TOS, FL_TOS, tos, uint8_t)
	TAKE(IE_TCPFLAGS, FL_TCPFLAGS, tcp_flags, uint8_t)
	TAKE(IE_INIF, FL_INIF, in_if, uint32_t)
	TAKE(IE_OUTIF, FL_OUTIF, out_if, uint32_t)
	TAKE(IE_SRCAS, FL_SRCAS, src_as, uint32_t)
	TAKE(IE_DSTAS, FL_DSTAS, dst_as, uint32_t)
	TAKE(IE_DOT1Q, FL_VLAN, vlan, uint16_t)
	TAKE(IE_VLAN, FL_VLAN, vlan, uint16_t)
	TAKE(IE_DIRECTION, FL_DIRECTION, direction, uint8_t)
	TAKE(IE_BIFLOW_DIR, FL_BIFLOWDIR, biflow_dir, uint8_t)
	TAKE(IE_FW_EVENT, FL_FWEVENT, fw_event, uint8_t)
	TAKE(IE_SAMPLER_ID, FL_SAMPLERID, sampler_id, uint32_t)
	TAKE(IE_SYSINIT, FL_SYSINIT, sys_init, uint64_t)
	TAKE(IE_ICMP_TC, FL_ICMP, icmp, uint16_t)
#undef TAKE
	if (acc_has(a, IE_ICMP_TYPE) || acc_has(a, IE_ICMP_CODE)) {
		r->icmp = (uint16_t)(((a->v[IE_ICMP_TYPE] & 0xff) << 8) |
		    (a->v[IE_ICMP_CODE] & 0xff));
		r->have |= FL_ICMP;
	}
	if (acc_has(a, IE_MPLS1)) {
		/* A label stack entry: label(20) exp(3) bottom(1). */
		r->mpls = (uint32_t)(a->v[IE_MPLS1] >> 4) & 0xfffff;
		r->have |= FL_MPLS;
	}
}

static void
tr_counters(struct tr_acc *a)
{
	static const int bytes[] = { IE_BYTES, IE_INIT_BYTES, IE_BYTES_TOTAL,
	    IE_BYTES_POST, IE_FRAME_SIZE, IE_IP_TOTLEN };
	static const int pkts[] = { IE_PACKETS, IE_INIT_PKTS,
	    IE_PACKETS_TOTAL, IE_PACKETS_POST };
	static const int rbytes[] = { IE_REV_BYTES, IE_RESP_BYTES };
	static const int rpkts[] = { IE_REV_PACKETS, IE_RESP_PKTS };
	struct flow_rec *r = &a->r;
	int t;

	if ((t = acc_pick(a, bytes, 6)) >= 0) {
		r->bytes = a->v[t];
		r->have |= FL_BYTES;
	}
	if ((t = acc_pick(a, pkts, 4)) >= 0) {
		r->packets = a->v[t];
		r->have |= FL_PACKETS;
	} else if (a->frame) {
		r->packets = 1;		/* a packet report is one packet */
		r->have |= FL_PACKETS;
	}
	if ((t = acc_pick(a, rbytes, 2)) >= 0) {
		r->rev_bytes = a->v[t];
		r->have |= FL_REVBYTES;
	}
	if ((t = acc_pick(a, rpkts, 2)) >= 0) {
		r->rev_packets = a->v[t];
		r->have |= FL_REVPACKETS;
	}
}

/* Options data: remember samplers and the exporter's boot time. */
static void
tr_options(struct dec_ctx *ctx, const struct tr_hdr *h, struct tr_acc *a,
    uint64_t now_ms)
{
	struct tmpl_domain *d;
	uint32_t rate = tr_own_rate(a);
	int has_id = acc_has(a, IE_SAMPLER_ID);

	if (rate) {
		a->r.sampling = rate;
		a->r.have |= FL_SAMPLING;
	}
	if (!rate && !acc_has(a, IE_SYSINIT))
		return;
	if ((d = tmpl_domain(ctx->tc, &h->dkey, 0, now_ms)) == NULL)
		return;
	if (rate) {
		tmpl_sampler_set(d, has_id, (uint32_t)a->v[IE_SAMPLER_ID], rate);
		ctx->st.sampler_updates++;
	}
	if (acc_has(a, IE_SYSINIT))
		d->sys_init_ms = a->v[IE_SYSINIT];
}

/*
 * The domain of a data set's records, looked up at its first flow record
 * only: a data set cannot add or drop domains (tr_options changes what a
 * domain holds, never which domains there are).
 */
struct tr_dom {
	const struct tmpl_domain	*d;
	int				 looked;
};

static void
tr_finish(struct dec_ctx *ctx, const struct tr_hdr *h, const struct tmpl *t,
    struct tr_acc *a, struct tr_dom *dom, uint64_t now_ms)
{
	const struct tmpl_domain *d;
	uint64_t sys_init;
	uint32_t rate;

	tr_ints(a);
	tr_counters(a);
	if (a->frame)
		tr_frame(a);
	a->r.domain = h->dkey.domain;
	a->r.have |= FL_DOMAIN;
	if (t->options) {
		a->r.kind = FLOW_KIND_OPTIONS;
		tr_options(ctx, h, a, now_ms);
		return;
	}
	if (!dom->looked) {
		dom->d = tmpl_domain(ctx->tc, &h->dkey, 0, now_ms);
		dom->looked = 1;
	}
	d = dom->d;
	sys_init = acc_has(a, IE_SYSINIT) ? a->v[IE_SYSINIT] :
	    d ? d->sys_init_ms : 0;
	tr_times(a, h, sys_init);
	rate = tr_own_rate(a);
	if (rate == 0)
		rate = tmpl_sampler_rate(d, acc_has(a, IE_SAMPLER_ID),
		    (uint32_t)a->v[IE_SAMPLER_ID]);
	if (rate) {
		a->r.sampling = rate;
		a->r.have |= FL_SAMPLING;
	}
}

/*
 * All records of one data set.  Returns -1 when the datagram's record
 * budget ran out (the caller stops), else 0.
 */
static int
tr_data_set(struct dec_ctx *ctx, const struct dec_in *in,
    const struct tr_hdr *h, const struct tmpl *t, struct rd *set,
    uint32_t *budget)
{
	struct tr_dom dom = { NULL, 0 };
	struct tr_acc a;
	size_t left;

	memset(&a, 0, sizeof(a));
	while ((left = rd_left(set)) >= t->minlen) {
		if (*budget == 0) {
			ctx->st.err_record_budget++;
			return -1;
		}
		acc_reset(&a);
		dec_rec_init(&a.r, h->version == 9 ? FLOW_NF9 : FLOW_IPFIX, in);
		if (tr_run(t, set, &a) < 0) {
			/* A variable-length field ran past the set. */
			ctx->st.err_record++;
			return 0;
		}
		(*budget)--;
		tr_finish(ctx, h, t, &a, &dom, in->mono_ms);
		dec_emit(ctx, &a.r);
	}
	if (left > 0)
		ctx->st.set_padding++;
	return 0;
}

int
tr_tmpl_put(struct dec_ctx *ctx, const struct tr_hdr *h, uint16_t id,
    int opt, uint16_t nscope, const struct tmpl_field *f, uint16_t nf,
    uint64_t now_ms)
{
	struct tmpl_key k = h->dkey;

	k.id = id;
	return tmpl_put(ctx->tc, &k, opt, nscope, f, nf, now_ms);
}

struct tr_pending {
	struct rd	set;
	uint16_t	id;
};

static int
all_zero(struct rd *r)
{
	size_t n = rd_left(r);
	const uint8_t *p = rd_ptr(r, n);

	while (n--)
		if (*p++)
			return 0;
	return 1;
}

enum dec_status
tr_sets(struct dec_ctx *ctx, const struct dec_in *in, const struct tr_hdr *h,
    struct rd *body, uint16_t tmpl_id, uint16_t opt_id, tr_tmpl_set_fn *parse)
{
	struct tr_pending pend[TR_MAX_PENDING];
	const struct tmpl *t;
	struct tmpl_key k = h->dkey;
	struct rd set;
	uint32_t budget = ctx->lim.record_budget;
	uint16_t id, slen;
	size_t npend = 0, i;
	enum dec_status st = DEC_OK;

	while (rd_left(body) >= 4) {
		id = rd_u16(body);
		slen = rd_u16(body);
		if (slen < 4 || (size_t)slen - 4 > rd_left(body)) {
			/* Zero fill after the last set is padding (PAN-OS). */
			if (id == 0 && slen == 0 && all_zero(body)) {
				ctx->st.set_padding++;
				break;
			}
			/*
			 * Nothing after a bad length can be trusted, but data
			 * sets already waiting for a template that came before
			 * it are still decoded below.
			 */
			ctx->st.err_set++;
			st = DEC_PARTIAL;
			rd_skip(body, rd_left(body));
			break;
		}
		rd_sub(body, slen - 4, &set);
		if (id == tmpl_id || id == opt_id) {
			parse(ctx, h, id == opt_id, &set, in->mono_ms);
			continue;
		}
		if (id < 256) {		/* reserved, or IPFIX's invalid 0/1 */
			ctx->st.err_set++;
			st = DEC_PARTIAL;
			continue;
		}
		k.id = id;
		if ((t = tmpl_get(ctx->tc, &k, in->mono_ms)) == NULL) {
			if (npend < TR_MAX_PENDING) {
				pend[npend].set = set;
				pend[npend++].id = id;
			} else
				ctx->st.tmpl_missing++;
			continue;
		}
		if (tr_data_set(ctx, in, h, t, &set, &budget) < 0)
			return DEC_PARTIAL;
	}
	if (rd_left(body) > 0 && !all_zero(body))
		ctx->st.set_padding++;
	for (i = 0; i < npend; i++) {
		k.id = pend[i].id;
		if ((t = tmpl_get(ctx->tc, &k, in->mono_ms)) == NULL) {
			ctx->st.tmpl_missing++;
			st = DEC_PARTIAL;
			continue;
		}
		ctx->st.tmpl_deferred++;
		if (tr_data_set(ctx, in, h, t, &pend[i].set, &budget) < 0)
			return DEC_PARTIAL;
	}
	return st;
}
