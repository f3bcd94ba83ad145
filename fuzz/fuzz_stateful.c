/*
 * fuzz_stateful.c - libFuzzer target: many datagrams through ONE context.
 *
 * The input is a sequence of chunks, each a 2-byte big-endian length and
 * that many bytes.  A chunk of 2 bytes or more is a datagram of any
 * protocol (the dispatcher chooses), decoded from an exact-size heap copy
 * so that neither a read past its end nor a pointer kept into it after the
 * call goes unseen.  Datagrams come in turn from four sources: two ports of
 * 192.0.2.1 (templates are keyed by port here, so those are two domains of
 * one exporter), 192.0.2.2 and 2001:db8::1.  The clock moves one second
 * per datagram; a 1-byte chunk moves it by (int8_t)byte * 10 s (back too:
 * a clock jump), an empty chunk runs tmpl_expire() as the worker's timer
 * does.  Caps are small (8 templates per exporter, 16 in all, 3 domains per
 * exporter, 5 minutes of age) so eviction, expiry and redefinition run.
 *
 * After every datagram: the per-datagram checks of fz_feed(), the cache
 * within its cap, and its size equal to the templates added minus those
 * evicted, withdrawn and expired.  At the end the context is freed, so
 * LeakSanitizer sees anything the cache lost.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "tmpl.h"

#define MAX_CHUNKS	128

static void
check_cache(struct dec_ctx *ctx)
{
	const struct dec_stats *st = &ctx->st;
	uint64_t in = st->tmpl_added, out = st->tmpl_evicted +
	    st->tmpl_withdrawn + st->tmpl_expired;
	unsigned n = tmpl_count(ctx->tc);

	FZ_CHECK(n <= ctx->lim.tmpl_total, "%u templates, cap %u", n,
	    ctx->lim.tmpl_total);
	FZ_CHECK(in >= out && in - out == n, "%u templates cached, but "
	    "added %llu - evicted %llu - withdrawn %llu - expired %llu",
	    n, (unsigned long long)st->tmpl_added,
	    (unsigned long long)st->tmpl_evicted,
	    (unsigned long long)st->tmpl_withdrawn,
	    (unsigned long long)st->tmpl_expired);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dec_limits lim = { .tmpl_per_exporter = 8, .tmpl_total = 16,
	    .domains_per_exporter = 3, .tmpl_max_age = 300,
	    .record_budget = 256, .key_port = 1 };
	struct dec_in src[4];
	struct dec_ctx ctx;
	struct fz_run run;
	uint64_t now = 1700000000000ULL;
	size_t off = 0, len;
	unsigned n = 0, k = 0;

	memset(&run, 0, sizeof(run));
	memset(src, 0, sizeof(src));
	flow_addr_parse(&src[0].exporter, "192.0.2.1");
	src[0].port = 2055;
	flow_addr_parse(&src[1].exporter, "192.0.2.2");
	src[1].port = 2055;
	flow_addr_parse(&src[2].exporter, "192.0.2.1");
	src[2].port = 2056;
	flow_addr_parse(&src[3].exporter, "2001:db8::1");
	src[3].port = 4739;
	if (dec_init(&ctx, &lim, fz_sink, &run) != 0)
		return 0;
	while (size - off >= 2 && n++ < MAX_CHUNKS) {
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		if (len == 0) {
			(void)tmpl_expire(ctx.tc, now);
		} else if (len == 1) {
			now += (uint64_t)((int64_t)(int8_t)data[off] * 10000);
		} else {
			now += 1000;
			src[k].now_ms = src[k].mono_ms = now;
			(void)fz_feed(&ctx, &run, &src[k], data + off, len);
			k = (k + 1) % 4;
		}
		check_cache(&ctx);
		off += len;
	}
	dec_free(&ctx);
	return 0;
}
