/*
 * tmplrec.h - what NetFlow v9 and IPFIX share: the set loop and the running
 * of compiled templates over data records.
 */
#ifndef FS_TMPLREC_H
#define FS_TMPLREC_H

#include <stdint.h>

#include "decode.h"
#include "rd.h"
#include "tmpl.h"

/* The message header facts a record needs. */
struct tr_hdr {
	uint8_t		version;	/* 9 or 10 */
	uint32_t	export_s;	/* export time, UNIX seconds */
	uint32_t	uptime_ms;	/* v9 sysUptime; 0 for IPFIX */
	struct tmpl_key	dkey;		/* exporter, port, version, domain */
};

/*
 * Parses one template (opt = 0) or options template (opt = 1) set.
 * Protocol-specific: nf9.c and ipfix.c provide one each.
 */
typedef void tr_tmpl_set_fn(struct dec_ctx *ctx, const struct tr_hdr *h,
	    int opt, struct rd *set, uint64_t now_ms);

/*
 * Walk the sets of one message body (after its header).  tmpl_id/opt_id are
 * the set ids of template and options template sets (0/1 for v9, 2/3 for
 * IPFIX).  Returns DEC_OK or DEC_PARTIAL.
 */
enum dec_status tr_sets(struct dec_ctx *ctx, const struct dec_in *in,
	    const struct tr_hdr *h, struct rd *body, uint16_t tmpl_id,
	    uint16_t opt_id, tr_tmpl_set_fn *parse);

/* Store a template, adding the domain key; counts go to ctx->st. */
int	tr_tmpl_put(struct dec_ctx *ctx, const struct tr_hdr *h, uint16_t id,
	    int opt, uint16_t nscope, const struct tmpl_field *f, uint16_t nf,
	    uint64_t now_ms);

#endif
