/*
 * decode.c - the dispatcher: one datagram in, records out through a callback.
 *
 * DESIGN
 * Tells the protocol from the first bytes.  sFlow starts with a 32-bit
 * version (00 00 00 05); NetFlow and IPFIX with a 16-bit one (00 05, 00 09,
 * 00 0a).  The 32-bit test comes first: an sFlow v5 datagram read as 16 bits
 * says version 0, which NetFlow never uses.  Everything else is counted per
 * version and dropped before any state is created (HOSTILE T1, T3).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "rd.h"
#include "tmpl.h"

const struct dec_stat_desc dec_stat_descs[] = {
#define DEC_STATS_DESC(name, help) { #name, help, offsetof(struct dec_stats, name) },
	DEC_STATS(DEC_STATS_DESC)
#undef DEC_STATS_DESC
};
const size_t dec_stat_count = sizeof(dec_stat_descs) / sizeof(dec_stat_descs[0]);

void
dec_stats_add(struct dec_stats *to, const struct dec_stats *from)
{
	size_t i;

	for (i = 0; i < dec_stat_count; i++) {
		uint64_t *t = (uint64_t *)((char *)to + dec_stat_descs[i].offset);
		const uint64_t *f = (const uint64_t *)
		    ((const char *)from + dec_stat_descs[i].offset);
		*t += *f;
	}
}

int
dec_init(struct dec_ctx *ctx, const struct dec_limits *lim, flow_cb *cb,
    void *arg)
{
	memset(ctx, 0, sizeof(*ctx));
	if (lim)
		ctx->lim = *lim;
	if (ctx->lim.tmpl_per_exporter == 0)
		ctx->lim.tmpl_per_exporter = DEC_DEF_TMPL_PER_EXPORTER;
	if (ctx->lim.tmpl_total == 0)
		ctx->lim.tmpl_total = DEC_DEF_TMPL_TOTAL;
	if (ctx->lim.domains_per_exporter == 0)
		ctx->lim.domains_per_exporter = DEC_DEF_DOMAINS_PER_EXPORTER;
	if (ctx->lim.tmpl_max_age == 0)
		ctx->lim.tmpl_max_age = DEC_DEF_TMPL_MAX_AGE;
	if (ctx->lim.record_budget == 0)
		ctx->lim.record_budget = DEC_DEF_RECORD_BUDGET;
	ctx->cb = cb;
	ctx->arg = arg;
	ctx->tc = tmpl_cache_new(&ctx->lim, &ctx->st);
	return ctx->tc ? 0 : -1;
}

void
dec_free(struct dec_ctx *ctx)
{
	tmpl_cache_free(ctx->tc);
	ctx->tc = NULL;
	free(ctx->sfl_src);
	ctx->sfl_src = NULL;
}

void
dec_rec_init(struct flow_rec *r, int type, const struct dec_in *in)
{
	memset(r, 0, sizeof(*r));
	r->type = (uint8_t)type;
	r->exporter = in->exporter;
}

enum dec_status
dec_datagram(struct dec_ctx *ctx, const struct dec_in *in, const uint8_t *buf,
    size_t len)
{
	uint32_t v32;

	if (buf == NULL || len < 4) {
		ctx->st.err_short++;
		return DEC_SHORT;
	}
	v32 = be32(buf);
	if (v32 == 5)
		return sfl_decode(ctx, in, buf, len);
	if (v32 == 2 || v32 == 4) {
		ctx->st.ver_sflow_old++;
		ctx->st.err_version++;
		return DEC_VERSION;
	}
	switch (be16(buf)) {
	case 5:
		return nf5_decode(ctx, in, buf, len);
	case 9:
		return nf9_decode(ctx, in, buf, len);
	case 10:
		return ipfix_decode(ctx, in, buf, len);
	case 1:
		ctx->st.ver_nf1++;
		break;
	case 7:
		ctx->st.ver_nf7++;
		break;
	case 8:
		ctx->st.ver_nf8++;
		break;
	}
	ctx->st.err_version++;
	return DEC_VERSION;
}
