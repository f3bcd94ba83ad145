/*
 * nf9.c - NetFlow v9 (RFC 3954).
 *
 * DESIGN
 * A 20-byte header, then FlowSets: id 0 templates, id 1 options templates,
 * 2..255 reserved (skipped by length), 256+ data.  The header's Count is the
 * number of records, and exporters get it wrong, so it is only advisory: we
 * parse to the end of the datagram (HOSTILE V9-1).  Sets, records and the
 * template cache are shared with IPFIX (tmplrec.c); here is only what v9
 * spells differently: its header and its template records.
 */
#include "tmplrec.h"

#define NF9_HDR_LEN	20

/* Template records: id, field count, then (type, length) pairs. */
static void
nf9_tmpl_records(struct dec_ctx *ctx, const struct tr_hdr *h, struct rd *set,
    uint64_t now_ms)
{
	struct tmpl_field f[TMPL_MAX_FIELDS];
	uint16_t id, n, i;

	while (rd_left(set) >= 4) {
		id = rd_u16(set);
		n = rd_u16(set);
		if (id < 256 || n == 0 || n > TMPL_MAX_FIELDS ||
		    (size_t)n * 4 > rd_left(set)) {
			/* Nothing after a bad record can be trusted. */
			ctx->st.tmpl_rejected++;
			return;
		}
		for (i = 0; i < n; i++) {
			f[i].id = rd_u16(set);
			f[i].len = rd_u16(set);
			f[i].pen = 0;
		}
		(void)tr_tmpl_put(ctx, h, id, 0, 0, f, n, now_ms);
	}
}

/* Options template records: id, scope bytes, option bytes, fields. */
static void
nf9_opt_records(struct dec_ctx *ctx, const struct tr_hdr *h, struct rd *set,
    uint64_t now_ms)
{
	struct tmpl_field f[TMPL_MAX_FIELDS];
	uint16_t id, slen, olen, n, i;

	/* Smallest useful record: 6-byte header and one field. */
	while (rd_left(set) >= 10) {
		id = rd_u16(set);
		slen = rd_u16(set);
		olen = rd_u16(set);
		n = (uint16_t)((slen + olen) / 4);
		if (id < 256 || slen % 4 || olen % 4 || n == 0 ||
		    n > TMPL_MAX_FIELDS || (size_t)slen + olen > rd_left(set)) {
			ctx->st.tmpl_rejected++;
			return;
		}
		for (i = 0; i < n; i++) {
			f[i].id = rd_u16(set);
			f[i].len = rd_u16(set);
			f[i].pen = 0;
		}
		(void)tr_tmpl_put(ctx, h, id, 1, (uint16_t)(slen / 4), f, n,
		    now_ms);
	}
}

static void
nf9_tmpl_set(struct dec_ctx *ctx, const struct tr_hdr *h, int opt,
    struct rd *set, uint64_t now_ms)
{
	if (opt)
		nf9_opt_records(ctx, h, set, now_ms);
	else
		nf9_tmpl_records(ctx, h, set, now_ms);
}

enum dec_status
nf9_decode(struct dec_ctx *ctx, const struct dec_in *in, const uint8_t *buf,
    size_t len)
{
	struct tr_hdr h;
	struct rd r;

	if (len < NF9_HDR_LEN) {
		ctx->st.err_short++;
		return DEC_SHORT;
	}
	rd_init(&r, buf, len);
	rd_skip(&r, 4);			/* version, count (advisory) */
	h.version = 9;
	h.uptime_ms = rd_u32(&r);
	h.export_s = rd_u32(&r);
	rd_skip(&r, 4);			/* sequence */
	h.dkey.exp = in->exporter;
	h.dkey.port = ctx->lim.key_port ? in->port : 0;
	h.dkey.version = 9;
	h.dkey.domain = rd_u32(&r);
	h.dkey.id = 0;
	ctx->st.dgram_nf9++;
	return tr_sets(ctx, in, &h, &r, 0, 1, nf9_tmpl_set);
}
