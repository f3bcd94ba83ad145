/*
 * nf5.c - NetFlow v5.
 *
 * DESIGN
 * A 24-byte header and fixed 48-byte records.  The header's count is never
 * trusted: we decode the records that are really there, at most count
 * (HOSTILE V5-3), and count the disagreement.  Bytes left after count
 * records that start with another v5 header are decoded as a further PDU
 * (exporters that pack several into one datagram); other trailing bytes are
 * counted (V5-4).  The sampling field is mode (2 bits) and interval (14);
 * an interval of 0 means unsampled, rate 1 (V5-5).  Record times are
 * sysUptime-relative and converted with modular 32-bit arithmetic (V5-7).
 */
#include "decode.h"
#include "rd.h"

#define NF5_HDR_LEN	24
#define NF5_REC_LEN	48

struct nf5_hdr {
	uint32_t	uptime;
	uint64_t	export_ms;
	uint32_t	rate;
	uint8_t		engine_type;
	uint8_t		engine_id;
};

/* A sysUptime-relative time in UTC ms (V5-7); 0 when before the epoch. */
static uint64_t
nf5_time(const struct nf5_hdr *h, uint32_t up)
{
	uint32_t ago = h->uptime - up;		/* modular: survives a wrap */

	return h->export_ms > ago ? h->export_ms - ago : 0;
}

static void
nf5_record(struct dec_ctx *ctx, const struct dec_in *in,
    const struct nf5_hdr *h, struct rd *r)
{
	struct flow_rec f;
	const uint8_t *p;
	uint32_t first, last;

	dec_rec_init(&f, FLOW_NF5, in);
	if ((p = rd_ptr(r, 4)) != NULL)
		flow_addr_set4(&f.src, p);
	if ((p = rd_ptr(r, 4)) != NULL)
		flow_addr_set4(&f.dst, p);
	rd_skip(r, 4);				/* next hop */
	f.in_if = rd_u16(r);
	f.out_if = rd_u16(r);
	f.packets = rd_u32(r);
	f.bytes = rd_u32(r);
	first = rd_u32(r);
	last = rd_u32(r);
	f.sport = rd_u16(r);
	f.dport = rd_u16(r);
	rd_skip(r, 1);				/* pad1 */
	f.tcp_flags = rd_u8(r);
	f.proto = rd_u8(r);
	f.tos = rd_u8(r);
	f.src_as = rd_u16(r);
	f.dst_as = rd_u16(r);
	rd_skip(r, 4);				/* masks, pad2 */
	f.sampling = h->rate;
	f.domain = (uint32_t)h->engine_type << 8 | h->engine_id;
	f.have = FL_SRC | FL_DST | FL_INIF | FL_OUTIF | FL_PACKETS |
	    FL_BYTES | FL_SPORT | FL_DPORT |
	    FL_TCPFLAGS | FL_PROTO | FL_TOS | FL_SRCAS | FL_DSTAS |
	    FL_SAMPLING | FL_DOMAIN;
	/* A time before 1970 (unix_secs unset) cannot be placed: left out. */
	if ((f.first = nf5_time(h, first)) != 0)
		f.have |= FL_FIRST;
	if ((f.last = nf5_time(h, last)) != 0)
		f.have |= FL_LAST;
	dec_emit(ctx, &f);
}

enum dec_status
nf5_decode(struct dec_ctx *ctx, const struct dec_in *in, const uint8_t *buf,
    size_t len)
{
	struct nf5_hdr h;
	struct rd r, rec;
	uint32_t secs, nsecs;
	uint16_t count, n, i;
	enum dec_status st = DEC_OK;
	int pdus = 0;

	rd_init(&r, buf, len);
	do {
		if (rd_left(&r) < NF5_HDR_LEN) {
			ctx->st.err_short++;
			return pdus ? DEC_PARTIAL : DEC_SHORT;
		}
		rd_skip(&r, 2);			/* version */
		count = rd_u16(&r);
		h.uptime = rd_u32(&r);
		secs = rd_u32(&r);
		nsecs = rd_u32(&r);
		rd_skip(&r, 4);			/* sequence */
		h.engine_type = rd_u8(&r);
		h.engine_id = rd_u8(&r);
		h.rate = rd_u16(&r) & 0x3fff;
		if (h.rate == 0)
			h.rate = 1;
		h.export_ms = (uint64_t)secs * 1000 + nsecs / 1000000;
		pdus++;
		ctx->st.dgram_nf5++;

		n = (uint16_t)(rd_left(&r) / NF5_REC_LEN);
		if (count > n) {
			ctx->st.nf5_bad_count++;
			st = DEC_PARTIAL;
		}
		if (count < n)
			n = count;
		for (i = 0; i < n; i++) {
			rd_sub(&r, NF5_REC_LEN, &rec);
			nf5_record(ctx, in, &h, &rec);
		}
		/* Another PDU packed behind this one? */
	} while (rd_left(&r) >= NF5_HDR_LEN && be16(r.p + r.off) == 5 &&
	    n == count);
	if (rd_left(&r) > 0) {
		ctx->st.nf5_trailing++;
		if (st == DEC_OK)
			st = DEC_PARTIAL;
	}
	return st;
}
