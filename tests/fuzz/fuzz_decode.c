/*
 * fuzz_decode.c - libFuzzer target: the whole dispatcher, stateful.
 *
 * The input is split into datagrams at the 4-byte marker "FSEP", and all of
 * them go through one decoder context, so templates from one datagram drive
 * the data of the next (and caps, eviction and withdrawal get exercised).
 * Small limits make the caps bite.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"

static void
sink(void *arg, const struct flow_rec *r)
{
	char buf[FLOW_JSON_MAX];

	(void)arg;
	if (flow_json(r, buf, sizeof(buf)) < 0)
		__builtin_trap();	/* the documented size must always do */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dec_limits lim = { .tmpl_per_exporter = 16, .tmpl_total = 32,
	    .domains_per_exporter = 4, .record_budget = 512 };
	struct dec_ctx ctx;
	struct dec_in in;
	const uint8_t *p = data, *end = data + size, *sep;
	int n = 0;

	if (dec_init(&ctx, &lim, sink, NULL) < 0)
		return 0;
	memset(&in, 0, sizeof(in));
	flow_addr_parse(&in.exporter, "192.0.2.1");
	in.now_ms = 1700000000000ULL;
	while (p <= end && n++ < 64) {
		sep = memmem(p, (size_t)(end - p), "FSEP", 4);
		if (sep == NULL)
			sep = end;
		/* Alternate exporters so per-exporter state is exercised. */
		in.exporter.a[3] = (uint8_t)(n & 3);
		in.now_ms += 1000 * (uint64_t)(n & 7);
		(void)dec_datagram(&ctx, &in, p, (size_t)(sep - p));
		p = sep + 4;
	}
	dec_free(&ctx);
	return 0;
}
