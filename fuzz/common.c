/*
 * common.c - the checking sink and feeder of the fuzz targets (common.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Every bit flow.h defines. */
#define FZ_HAVE_ALL	((FL_POOL << 1) - 1)

/* Sizes the length bounds are made of (see fz_feed). */
#define NF5_HDR		24
#define NF5_REC		48
#define NF9_HDR		20
#define IPFIX_HDR	16
#define SET_HDR		4
#define SFL_HDR_MIN	28	/* version .. sample count, IPv4 agent */
#define SFL_FLOW_MIN	40	/* format, length, smallest flow sample */

void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void
check_addr(const char *what, uint32_t have, uint32_t bit,
    const struct flow_addr *a)
{
	if (have & bit)
		FZ_CHECK(a->af == 4 || a->af == 6,
		    "%s is set but its address family is %u", what, a->af);
}

void
fz_sink(void *arg, const struct flow_rec *r)
{
	struct fz_run *run = arg;
	char json[FLOW_JSON_MAX];
	uint16_t i;
	int n;

	run->emitted++;
	FZ_CHECK(run->type != 0, "a record from a datagram of no protocol");
	FZ_CHECK(r->type == run->type, "record type %u from a datagram of "
	    "type %d", r->type, run->type);
	FZ_CHECK(r->kind <= FLOW_KIND_COUNTERS, "record kind %u", r->kind);
	FZ_CHECK(r->kind != FLOW_KIND_COUNTERS || r->type == FLOW_SFLOW5,
	    "a counters record of type %u", r->type);
	FZ_CHECK(r->kind != FLOW_KIND_OPTIONS || r->type == FLOW_NF9 ||
	    r->type == FLOW_IPFIX, "an options record of type %u", r->type);
	FZ_CHECK(flow_addr_eq(&r->exporter, &run->in->exporter),
	    "the record's exporter is not the datagram's source");
	FZ_CHECK((r->have & ~(uint32_t)FZ_HAVE_ALL) == 0,
	    "undefined have bits 0x%x", r->have);
	check_addr("src", r->have, FL_SRC, &r->src);
	check_addr("dst", r->have, FL_DST, &r->dst);
	FZ_CHECK(!(r->have & FL_SAMPLING) || r->sampling > 0,
	    "sampling is set but 0");

	/* A borrowed packet lies inside the datagram; read all of it. */
	if (r->pkt != NULL) {
		FZ_CHECK(r->type == FLOW_SFLOW5, "a packet in a record of "
		    "type %u", r->type);
		FZ_CHECK(r->pkt >= run->buf && r->pkt < run->buf + run->len &&
		    r->pkt_len > 0 &&
		    (size_t)r->pkt_len <= (size_t)(run->buf + run->len - r->pkt),
		    "packet [%td, +%u) outside the datagram of %zu bytes",
		    r->pkt - run->buf, r->pkt_len, run->len);
		for (i = 0; i < r->pkt_len; i++)
			run->sum += r->pkt[i];
	}

	/* Every emitted field is read by the JSON writer. */
	n = flow_json(r, json, sizeof(json));
	FZ_CHECK(n > 1 && (size_t)n < sizeof(json), "flow_json returned %d",
	    n);
	FZ_CHECK(strlen(json) == (size_t)n && json[0] == '{' &&
	    json[n - 1] == '}', "flow_json wrote a malformed object: %s", json);
}

/* The protocol dec_datagram() will pick, as enum flow_type (0: none). */
static int
proto_of(const uint8_t *b, size_t len)
{
	uint32_t v32;

	if (len < 4)
		return 0;
	v32 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	if (v32 == 5)
		return FLOW_SFLOW5;
	switch (b[0] << 8 | b[1]) {
	case 5:
		return FLOW_NF5;
	case 9:
		return FLOW_NF9;
	case 10:
		return FLOW_IPFIX;
	}
	return 0;
}

static uint64_t
total(const struct dec_stats *st)
{
	return st->records + st->options_records + st->counter_records;
}

enum dec_status
fz_feed(struct dec_ctx *ctx, struct fz_run *run, const struct dec_in *in,
    const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	uint64_t before = total(&ctx->st), n;
	uint32_t budget = ctx->lim.record_budget;
	enum dec_status st;
	size_t mlen;

	if (copy == NULL)
		abort();
	if (len)
		memcpy(copy, buf, len);
	run->buf = copy;
	run->len = len;
	run->in = in;
	run->type = proto_of(buf, len);
	run->emitted = 0;

	st = dec_datagram(ctx, in, copy, len);

	n = run->emitted;
	FZ_CHECK(st <= DEC_PARTIAL, "status %d", (int)st);
	FZ_CHECK(total(&ctx->st) - before == n, "%llu records handed out, "
	    "counters say %llu", (unsigned long long)n,
	    (unsigned long long)(total(&ctx->st) - before));
	switch (run->type) {
	case 0:
		FZ_CHECK(st == DEC_SHORT || st == DEC_VERSION,
		    "status %d for a datagram of no known version", (int)st);
		break;
	case FLOW_NF5:
		/* Every record is 48 bytes behind a 24-byte header. */
		FZ_CHECK(n == 0 || NF5_HDR + NF5_REC * n <= len,
		    "%llu v5 records from %zu bytes", (unsigned long long)n,
		    len);
		break;
	case FLOW_NF9:
		/* Each record takes at least one byte of a set. */
		FZ_CHECK(n <= budget, "%llu v9 records, budget %u",
		    (unsigned long long)n, budget);
		FZ_CHECK(n == 0 || NF9_HDR + SET_HDR + n <= len,
		    "%llu v9 records from %zu bytes", (unsigned long long)n,
		    len);
		break;
	case FLOW_IPFIX:
		mlen = len >= 4 ? (size_t)(buf[2] << 8 | buf[3]) : 0;
		FZ_CHECK(n <= budget, "%llu IPFIX records, budget %u",
		    (unsigned long long)n, budget);
		FZ_CHECK(n == 0 || (mlen <= len &&
		    IPFIX_HDR + SET_HDR + n <= mlen),
		    "%llu IPFIX records from a message of %zu bytes "
		    "(datagram %zu)", (unsigned long long)n, mlen, len);
		break;
	case FLOW_SFLOW5:
		FZ_CHECK(n <= budget, "%llu sFlow records, budget %u",
		    (unsigned long long)n, budget);
		FZ_CHECK(n == 0 || SFL_HDR_MIN + SFL_FLOW_MIN * n <= len,
		    "%llu sFlow records from %zu bytes",
		    (unsigned long long)n, len);
		break;
	}
	free(copy);
	run->buf = NULL;
	run->len = 0;
	return st;
}

int
fz_datagram(const struct fz_target *t, const uint8_t *data, size_t size)
{
	struct dec_limits lim = { .tmpl_total = FZ_TMPL_TOTAL,
	    .record_budget = FZ_RECORD_BUDGET };
	struct dec_ctx ctx;
	struct dec_in in;
	struct fz_run run;
	uint8_t *buf;
	int i;

	if (size < t->version_len)
		return 0;
	if (t->stateful) {
		lim.tmpl_per_exporter = 32;
		lim.domains_per_exporter = 4;
	}
	if ((buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data, size);
	memcpy(buf, t->version, t->version_len);
	if (t->cut_len && size >= 4 && (size_t)(buf[2] << 8 | buf[3]) > size) {
		buf[2] = (uint8_t)(size > 0xffff ? 0xff : size >> 8);
		buf[3] = (uint8_t)(size > 0xffff ? 0xff : size);
	}
	memset(&run, 0, sizeof(run));
	memset(&in, 0, sizeof(in));
	flow_addr_parse(&in.exporter, t->exporter);
	in.port = t->port;
	in.now_ms = in.mono_ms = 1700000000000ULL;
	if (dec_init(&ctx, &lim, fz_sink, &run) == 0) {
		for (i = 0; i < t->passes; i++) {
			(void)fz_feed(&ctx, &run, &in, buf, size);
			in.now_ms += 1000;
			in.mono_ms += 1000;
		}
		dec_free(&ctx);
	}
	free(buf);
	return 0;
}
