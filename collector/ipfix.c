/*
 * ipfix.c - IPFIX (RFC 7011).
 *
 * DESIGN
 * A 16-byte header whose Length bounds the message: a Length beyond the
 * datagram rejects it, a shorter one is honoured and the rest ignored
 * (HOSTILE IX-1).  Set ids 2 and 3 carry templates and options templates;
 * 0 and 1 (v9's ids) and 4..255 are invalid here and skipped by length
 * (IX-2).  Fields with the enterprise bit carry a PEN; unknown ones are
 * skipped by length, RFC 5103 reverse ones are mapped (ie.c).  A template
 * record with field count 0 withdraws a template; ids 2/3 with count 0
 * withdraw all data/options templates of the domain (IX-4).
 */
#include "tmplrec.h"

#define IPFIX_HDR_LEN	16
#define IPFIX_SET_TMPL	2
#define IPFIX_SET_OPT	3

/* Field specifiers; returns -1 when they do not fit (IX-5). */
static int
ipfix_fields(struct rd *set, struct tmpl_field *f, uint16_t n)
{
	uint16_t i, id;

	for (i = 0; i < n; i++) {
		id = rd_u16(set);
		f[i].len = rd_u16(set);
		f[i].pen = 0;
		if (id & 0x8000)
			f[i].pen = rd_u32(set);
		f[i].id = id & 0x7fff;
		if (set->err)
			return -1;
	}
	return 0;
}

static void
ipfix_withdraw(struct dec_ctx *ctx, const struct tr_hdr *h, uint16_t id,
    int opt)
{
	struct tmpl_key k = h->dkey;

	if (id == (opt ? IPFIX_SET_OPT : IPFIX_SET_TMPL)) {
		tmpl_withdraw_all(ctx->tc, &h->dkey, opt);
		return;
	}
	k.id = id;
	if (id < 256 || tmpl_withdraw(ctx->tc, &k) < 0)
		ctx->st.tmpl_rejected++;
}

static void
ipfix_tmpl_set(struct dec_ctx *ctx, const struct tr_hdr *h, int opt,
    struct rd *set, uint64_t now_ms)
{
	struct tmpl_field f[TMPL_MAX_FIELDS];
	uint16_t id, n, nscope;

	while (rd_left(set) >= 4) {
		id = rd_u16(set);
		n = rd_u16(set);
		if (n == 0) {
			ipfix_withdraw(ctx, h, id, opt);
			continue;
		}
		nscope = 0;
		if (opt) {
			nscope = rd_u16(set);
			if (set->err || nscope == 0 || nscope > n) {
				ctx->st.tmpl_rejected++;	/* IX-7 */
				return;
			}
		}
		if (id < 256 || n > TMPL_MAX_FIELDS ||
		    (size_t)n * 4 > rd_left(set) ||
		    ipfix_fields(set, f, n) < 0) {
			ctx->st.tmpl_rejected++;	/* IX-3, IX-5, V9-6 */
			return;
		}
		(void)tr_tmpl_put(ctx, h, id, opt, nscope, f, n, now_ms);
	}
}

enum dec_status
ipfix_decode(struct dec_ctx *ctx, const struct dec_in *in, const uint8_t *buf,
    size_t len)
{
	struct tr_hdr h;
	struct rd r;
	uint16_t mlen;

	if (len < IPFIX_HDR_LEN) {
		ctx->st.err_short++;
		return DEC_SHORT;
	}
	mlen = be16(buf + 2);
	if (mlen < IPFIX_HDR_LEN || mlen > len) {
		ctx->st.err_header++;
		return DEC_MALFORMED;
	}
	rd_init(&r, buf, mlen);
	rd_skip(&r, 4);			/* version, length */
	h.version = 10;
	h.uptime_ms = 0;
	h.export_s = rd_u32(&r);
	rd_skip(&r, 4);			/* sequence */
	h.dkey.exp = in->exporter;
	h.dkey.port = ctx->lim.key_port ? in->port : 0;
	h.dkey.version = 10;
	h.dkey.domain = rd_u32(&r);
	h.dkey.id = 0;
	ctx->st.dgram_ipfix++;
	return tr_sets(ctx, in, &h, &r, IPFIX_SET_TMPL, IPFIX_SET_OPT,
	    ipfix_tmpl_set);
}
