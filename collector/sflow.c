/*
 * sflow.c - sFlow version 5 (sflow.org/sflow_version_5.txt).
 *
 * DESIGN
 * XDR all the way down: a datagram holds samples, a sample holds records,
 * each with its own length.  Every sample and every record gets a
 * sub-reader of exactly its stated length (rd_sub), so a record that lies
 * about its size cannot read its neighbour, and the next sample is always
 * found by length, never by what the previous one parsed (HOSTILE SF-3,
 * SF-4).  No count is trusted: samples per datagram and records per sample
 * are capped and bounded by the bytes present (SF-2, SF-5).
 *
 * A flow sample becomes one FLOW record: one sampled packet (packets = 1,
 * bytes = frame_length) at the sample's rate.  Addresses, ports and
 * protocol come from the raw header record through pkthdr_parse(), or from
 * a sampled IPv4/IPv6 record when there is no usable header.  A counter
 * sample with generic interface counters becomes one COUNTERS record.
 * Discarded-packet samples (format 5) are counted, not flows.
 *
 * The exporter is the socket's source address; the agent address inside
 * the datagram is not trusted for identity (SF-11).  sub_agent_id is the
 * record's domain and the data source id its sampler_id.
 *
 * The one state kept: a data source's last sample_pool, which only grows
 * (modulo 2^32).  A pool that went back is counted (SF-10: an agent that
 * restarted, a counter reset, a reordered datagram); the sample is passed
 * on as it is.  The table is direct-mapped and fixed (DEC_SFL_SOURCES):
 * a source that loses its slot to another is only not checked once.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "pkthdr.h"
#include "rd.h"

#define SFL_MAX_SAMPLES		1024	/* per datagram */
#define SFL_MAX_RECORDS		256	/* per sample */
#define SFL_MAX_AS_SEGMENTS	64	/* extended gateway AS path */

/* Sample formats (enterprise 0). */
#define SFL_FLOW		1
#define SFL_COUNTERS		2
#define SFL_FLOW_EXP		3
#define SFL_COUNTERS_EXP	4
#define SFL_DISCARD		5

/* Flow record formats (enterprise 0). */
#define SFL_REC_HEADER		1
#define SFL_REC_IPV4		3
#define SFL_REC_IPV6		4
#define SFL_REC_SWITCH		1001
#define SFL_REC_GATEWAY		1003

/* Counter record formats (enterprise 0). */
#define SFL_CTR_GENERIC		1

#define SFL_IF_UNKNOWN		0x3fffffff

struct sfl_dgram {
	struct dec_ctx		*ctx;
	const struct dec_in	*in;
	uint32_t		 sub_agent;
	uint64_t		 src_key;	/* exporter and sub-agent */
	uint32_t		 emitted;
	int			 cut;		/* record budget spent */
};

/*
 * Hand on a record unless the datagram's record budget is spent; the
 * datagram is then counted once and its remaining samples skipped.
 */
static void
sfl_emit(struct sfl_dgram *d, const struct flow_rec *f)
{
	if (d->emitted >= d->ctx->lim.record_budget) {
		if (!d->cut)
			d->ctx->st.err_record_budget++;
		d->cut = 1;
		return;
	}
	d->emitted++;
	dec_emit(d->ctx, f);
}

/*
 * A sample's sequence number and data source: the compact form packs the
 * source type in the top 8 bits, the expanded form sends two words.  Our
 * sampler_id is the compact form either way.
 */
static uint32_t
sample_head(struct rd *s, int expanded)
{
	uint32_t id;

	rd_skip(s, 4);				/* sequence */
	if (!expanded)
		return rd_u32(s);
	id = rd_u32(s) << 24;
	return id | (rd_u32(s) & 0xffffff);
}

static void
sfl_rec_init(struct sfl_dgram *d, struct flow_rec *f, int kind,
    uint32_t source_id)
{
	dec_rec_init(f, FLOW_SFLOW5, d->in);
	f->kind = (uint8_t)kind;
	f->domain = d->sub_agent;
	f->sampler_id = source_id;
	f->first = f->last = d->in->now_ms;
	f->have = FL_DOMAIN | FL_SAMPLERID | FL_FIRST | FL_LAST;
}

/* Raw packet header (0:1).  Returns -1 when the record is malformed. */
static int
rec_header(struct sfl_dgram *d, struct rd *r, struct flow_rec *f)
{
	uint32_t hp, flen, stripped, hlen;
	struct pkt_meta meta;
	size_t left;

	hp = rd_u32(r);
	flen = rd_u32(r);
	stripped = rd_u32(r);
	hlen = rd_u32(r);
	if (r->err)
		return -1;
	/* SF-9: more captured or stripped than the frame had: inconsistent. */
	if (hlen > flen || stripped > flen)
		return -1;
	left = rd_left(r);
	if (hlen > left) {			/* SF-9: clamp to the record */
		d->ctx->st.sfl_err_record++;
		hlen = (uint32_t)left;
	}
	f->bytes = flen;
	f->have |= FL_BYTES;
	if (pkthdr_parse(f, hp, r->p + r->off, hlen, &meta) != 0)
		d->ctx->st.sfl_hdr_undecoded++;
	else if (meta.ipver && meta.payload_off && meta.payload_off < hlen) {
		/* Payload to inspect: hand on the packet from its IP header. */
		f->pkt = r->p + r->off + meta.l3_off;
		f->pkt_len = (uint16_t)(hlen - meta.l3_off > UINT16_MAX ?
		    UINT16_MAX : hlen - meta.l3_off);
	}
	return 0;
}

/*
 * Sampled IPv4 (0:3) or IPv6 (0:4) into ip; -1 when malformed, and then
 * ip (perhaps filled by an earlier record) is left as it was.
 */
static int
rec_sampled_ip(struct rd *r, struct flow_rec *ip, int v6)
{
	const uint8_t *s, *t;
	size_t alen = v6 ? 16 : 4;
	uint32_t bytes, proto, sport, dport, flags, tos;

	bytes = rd_u32(r);
	proto = rd_u32(r);
	s = rd_ptr(r, alen);
	t = rd_ptr(r, alen);
	sport = rd_u32(r);
	dport = rd_u32(r);
	flags = rd_u32(r);
	tos = rd_u32(r);
	if (r->err)
		return -1;
	ip->bytes = bytes;
	ip->proto = (uint8_t)proto;
	ip->sport = (uint16_t)sport;
	ip->dport = (uint16_t)dport;
	ip->tcp_flags = (uint8_t)flags;
	ip->tos = (uint8_t)tos;
	if (v6) {
		flow_addr_set6(&ip->src, s);
		flow_addr_set6(&ip->dst, t);
	} else {
		flow_addr_set4(&ip->src, s);
		flow_addr_set4(&ip->dst, t);
	}
	ip->have = FL_BYTES | FL_PROTO | FL_SRC | FL_DST | FL_TOS;
	if (ip->proto == 6 || ip->proto == 17 || ip->proto == 132)
		ip->have |= FL_SPORT | FL_DPORT;
	if (ip->proto == 6)
		ip->have |= FL_TCPFLAGS;
	return 0;
}

/* Extended gateway (0:1003): source AS and the last AS of the path. */
static int
rec_gateway(struct rd *r, struct flow_rec *f)
{
	uint32_t atype, as, src_as, nseg, slen, dst_as, i;

	atype = rd_u32(r);
	if (atype == 1)
		rd_skip(r, 4);
	else if (atype == 2)
		rd_skip(r, 16);
	else if (atype != 0)
		return -1;
	as = rd_u32(r);
	src_as = rd_u32(r);
	rd_skip(r, 4);				/* src_peer_as */
	nseg = rd_u32(r);
	if (r->err || nseg > SFL_MAX_AS_SEGMENTS)	/* SF-7 */
		return -1;
	dst_as = as;				/* empty path: our own AS */
	for (i = 0; i < nseg; i++) {
		rd_skip(r, 4);			/* set or sequence */
		slen = rd_u32(r);
		if (r->err || slen > rd_left(r) / 4)
			return -1;
		if (slen > 0) {
			rd_skip(r, (size_t)(slen - 1) * 4);
			dst_as = rd_u32(r);
		}
	}
	if (r->err)
		return -1;
	f->src_as = src_as;
	f->dst_as = dst_as;
	f->have |= FL_SRCAS | FL_DSTAS;
	return 0;				/* communities, localpref unused */
}

/* SF-10: did this data source's sample_pool go back? */
static void
pool_check(struct sfl_dgram *d, uint32_t source_id, uint32_t pool)
{
	struct dec_ctx *ctx = d->ctx;
	struct sfl_source *e;
	uint64_t k;

	if (ctx->sfl_src == NULL && (ctx->sfl_src = calloc(DEC_SFL_SOURCES,
	    sizeof(*ctx->sfl_src))) == NULL)
		return;			/* not checked: nothing else lost */
	k = flow_mix64(d->src_key ^ source_id) | 1;
	e = &ctx->sfl_src[k % DEC_SFL_SOURCES];
	if (e->key == k && (int32_t)(pool - e->pool) < 0)
		ctx->st.sfl_pool_back++;
	e->key = k;
	e->pool = pool;
}

static void
flow_sample(struct sfl_dgram *d, struct rd *s, int expanded)
{
	struct dec_stats *st = &d->ctx->st;
	struct flow_rec f, ip;
	struct rd rec;
	uint32_t source_id, rate, pool, drops, in_fmt, in_val, out_fmt,
	    out_val, nrec, fmt, len, i;
	int bad;

	source_id = sample_head(s, expanded);
	rate = rd_u32(s);
	pool = rd_u32(s);
	drops = rd_u32(s);
	if (expanded) {
		in_fmt = rd_u32(s);
		in_val = rd_u32(s);
		out_fmt = rd_u32(s);
		out_val = rd_u32(s);
	} else {
		in_val = rd_u32(s);
		out_val = rd_u32(s);
		in_fmt = in_val >> 30;
		out_fmt = out_val >> 30;
		in_val &= 0x3fffffff;
		out_val &= 0x3fffffff;
	}
	nrec = rd_u32(s);
	if (s->err) {
		st->sfl_err_sample++;
		return;
	}

	pool_check(d, source_id, pool);
	sfl_rec_init(d, &f, FLOW_KIND_FLOW, source_id);
	memset(&ip, 0, sizeof(ip));
	f.packets = 1;
	f.sample_pool = pool;
	f.drops = drops;
	f.have |= FL_PACKETS | FL_POOL;
	if (rate == 0)				/* SF-10: no rate, not 1:0 */
		st->sfl_bad_rate++;
	else {
		f.sampling = rate;
		f.have |= FL_SAMPLING;
	}
	if (in_fmt == 0) {
		f.in_if = in_val;
		f.have |= FL_INIF;
	}
	if (out_fmt == 0) {
		f.out_if = out_val;
		f.have |= FL_OUTIF;
	}

	for (i = 0; i < nrec && i < SFL_MAX_RECORDS; i++) {
		fmt = rd_u32(s);
		len = rd_u32(s);
		if (s->err || rd_sub(s, len, &rec) != 0) {	/* SF-3 */
			st->sfl_err_record++;
			break;
		}
		bad = 0;
		if (fmt >> 12 != 0) {
			st->sfl_unknown_record++;
			continue;
		}
		switch (fmt) {
		case SFL_REC_HEADER:
			if (f.have & FL_SRC)
				break;		/* first header wins */
			bad = rec_header(d, &rec, &f);
			break;
		case SFL_REC_IPV4:
		case SFL_REC_IPV6:
			bad = rec_sampled_ip(&rec, &ip, fmt == SFL_REC_IPV6);
			break;
		case SFL_REC_SWITCH:
			rd_skip(&rec, 8);	/* source vlan, priority */
			if (!rec.err && !(f.have & FL_VLAN)) {
				f.vlan = (uint16_t)(be32(rec.p) & 0xfff);
				f.have |= FL_VLAN;
			}
			bad = rec.err;
			break;
		case SFL_REC_GATEWAY:
			bad = rec_gateway(&rec, &f);
			break;
		case 2:	/* sampled Ethernet */
		case 1002: case 1004: case 1005: case 1006: case 1007:
		case 1008: case 1009: case 1010: case 1011: case 1012:
		case 1013: case 1014: case 1015: case 1016: case 1017:
		case 1018: case 1019: case 1020: case 1021: case 1022:
		case 1023: case 1024: case 1025: case 1026: case 1027:
		case 1028: case 1029: case 1030: case 1031: case 1032:
		case 1033: case 1034: case 1035: case 1036: case 1037:
		case 1038: case 1039: case 1040: case 1041: case 1042:
			break;			/* known, not needed */
		default:
			st->sfl_unknown_record++;	/* SF-6 */
			break;
		}
		if (bad)
			st->sfl_err_record++;
	}
	if (i < nrec || rd_left(s) != 0)
		st->sfl_len_mismatch++;		/* SF-4, SF-5 */

	/* No usable raw header: take the sampled IP record's view. */
	if (!(f.have & FL_SRC) && (ip.have & FL_SRC)) {
		f.src = ip.src;
		f.dst = ip.dst;
		f.proto = ip.proto;
		f.sport = ip.sport;
		f.dport = ip.dport;
		f.tcp_flags = ip.tcp_flags;
		f.tos = ip.tos;
		if (!(f.have & FL_BYTES))
			f.bytes = ip.bytes;
		f.have |= ip.have;
	}
	sfl_emit(d, &f);
}

static void
counter_sample(struct sfl_dgram *d, struct rd *s, int expanded)
{
	struct dec_stats *st = &d->ctx->st;
	struct flow_rec f;
	struct flow_ifctr *c = &f.ctr;
	struct rd rec;
	uint32_t source_id, nrec, fmt, len, i;
	int got = 0;

	source_id = sample_head(s, expanded);
	nrec = rd_u32(s);
	if (s->err) {
		st->sfl_err_sample++;
		return;
	}
	sfl_rec_init(d, &f, FLOW_KIND_COUNTERS, source_id);
	for (i = 0; i < nrec && i < SFL_MAX_RECORDS; i++) {
		fmt = rd_u32(s);
		len = rd_u32(s);
		if (s->err || rd_sub(s, len, &rec) != 0) {
			st->sfl_err_record++;
			break;
		}
		if (fmt != SFL_CTR_GENERIC || got)
			continue;		/* other counter blocks unused */
		c->ifindex = rd_u32(&rec);
		c->iftype = rd_u32(&rec);
		c->ifspeed = rd_u64(&rec);
		c->ifdirection = rd_u32(&rec);
		c->ifstatus = rd_u32(&rec);
		c->in_octets = rd_u64(&rec);
		c->in_ucast = rd_u32(&rec);
		c->in_mcast = rd_u32(&rec);
		c->in_bcast = rd_u32(&rec);
		c->in_discards = rd_u32(&rec);
		c->in_errors = rd_u32(&rec);
		c->in_unknown = rd_u32(&rec);
		c->out_octets = rd_u64(&rec);
		c->out_ucast = rd_u32(&rec);
		c->out_mcast = rd_u32(&rec);
		c->out_bcast = rd_u32(&rec);
		c->out_discards = rd_u32(&rec);
		c->out_errors = rd_u32(&rec);
		c->promisc = rd_u32(&rec);
		if (rec.err) {
			st->sfl_err_record++;
			memset(c, 0, sizeof(*c));
			continue;
		}
		got = 1;
	}
	if (i < nrec || rd_left(s) != 0)
		st->sfl_len_mismatch++;
	if (!got)
		return;
	sfl_emit(d, &f);
}

enum dec_status
sfl_decode(struct dec_ctx *ctx, const struct dec_in *in, const uint8_t *buf,
    size_t len)
{
	struct sfl_dgram d = { ctx, in, 0, 0, 0, 0 };
	struct dec_stats *st = &ctx->st;
	struct rd r, s;
	uint32_t atype, n, i, fmt, slen;
	enum dec_status rc = DEC_OK;

	rd_init(&r, buf, len);
	rd_skip(&r, 4);				/* version */
	atype = rd_u32(&r);
	if (atype == 1)
		rd_skip(&r, 4);
	else if (atype == 2)
		rd_skip(&r, 16);
	else {					/* SF-1 */
		st->err_header++;
		return DEC_MALFORMED;
	}
	d.sub_agent = rd_u32(&r);
	/* A source is an exporter's, as templates are (template_key_port). */
	d.src_key = flow_mix64(flow_addr_key(&in->exporter) ^ d.sub_agent ^
	    (ctx->lim.key_port ? (uint64_t)in->port << 32 : 0));
	rd_skip(&r, 8);				/* sequence, uptime */
	n = rd_u32(&r);
	if (r.err) {
		st->err_header++;
		return DEC_MALFORMED;
	}
	st->dgram_sflow++;
	for (i = 0; i < n; i++) {
		if (d.cut)				/* record budget spent */
			return DEC_PARTIAL;
		if (i >= SFL_MAX_SAMPLES) {		/* SF-2 */
			st->err_record_budget++;
			return DEC_PARTIAL;
		}
		fmt = rd_u32(&r);
		slen = rd_u32(&r);
		if (r.err || rd_sub(&r, slen, &s) != 0) {
			st->sfl_err_sample++;		/* SF-3 */
			return DEC_PARTIAL;
		}
		st->sfl_samples++;
		if (fmt >> 12 != 0) {
			st->sfl_unknown_sample++;
			continue;
		}
		switch (fmt) {
		case SFL_FLOW:
		case SFL_FLOW_EXP:
			flow_sample(&d, &s, fmt == SFL_FLOW_EXP);
			break;
		case SFL_COUNTERS:
		case SFL_COUNTERS_EXP:
			counter_sample(&d, &s, fmt == SFL_COUNTERS_EXP);
			break;
		case SFL_DISCARD:
			st->sfl_discards++;
			break;
		default:
			st->sfl_unknown_sample++;	/* SF-6 */
			break;
		}
		if (s.err)
			rc = DEC_PARTIAL;
	}
	return d.cut ? DEC_PARTIAL : rc;
}
