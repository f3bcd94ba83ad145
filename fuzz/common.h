/*
 * common.h - what the fuzz targets share: a checking record sink and a
 * checking datagram feeder.
 *
 * DESIGN
 * Every record a decoder hands out goes through fz_sink(), which reads all
 * of it (flow_json into a buffer, the borrowed packet bytes summed) and
 * checks what the contract promises: the record's type is the datagram's
 * protocol, the exporter is the socket's, a `have` bit never names a field
 * that was not filled, a sampled packet lies inside the datagram.
 * fz_feed() runs one datagram from an exact-size heap copy (so ASan sees a
 * read one byte past the end), counts the records and checks them against
 * the decoder's counters and against what the datagram's length allows.
 * A broken promise is reported on stderr and ends in abort(), which
 * libFuzzer and the standalone replay driver both report as a crash.
 */
#ifndef FS_FUZZ_COMMON_H
#define FS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/* The libFuzzer entry point every target defines. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One datagram being decoded: what fz_sink checks records against. */
struct fz_run {
	const uint8_t		*buf;		/* the heap copy being decoded */
	size_t			 len;
	const struct dec_in	*in;
	int			 type;		/* enum flow_type expected, 0: none */
	uint64_t		 emitted;	/* records seen by fz_sink */
	uint64_t		 sum;		/* bytes read from borrowed packets */
};

/* The callback to give dec_init(); arg is a struct fz_run. */
void	fz_sink(void *arg, const struct flow_rec *r);

/*
 * Decode buf[0..len) through ctx from an exact-size heap copy and check
 * the outcome.  run must be the callback argument of ctx.  Returns the
 * decoder's status.
 */
enum dec_status fz_feed(struct dec_ctx *ctx, struct fz_run *run,
	    const struct dec_in *in, const uint8_t *buf, size_t len);

/*
 * One datagram through fresh contexts: the input copied, its first
 * version_len bytes replaced by version (so every input reaches the
 * decoder under test), an IPFIX-style 16-bit length at bytes 2-3 cut to
 * the input's size when cut_len is set, then decoded `passes` times
 * through one context (the second pass finds the templates cached), each
 * checked by fz_feed().
 */
struct fz_target {
	const char	*version;	/* bytes forced at the start */
	size_t		 version_len;
	int		 cut_len;
	int		 stateful;	/* template limits for v9/IPFIX */
	int		 passes;
	const char	*exporter;
	uint16_t	 port;
};
int	fz_datagram(const struct fz_target *t, const uint8_t *data,
	    size_t size);

/* Report a broken invariant and abort. */
void	fz_fail(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#define FZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			fz_fail(__VA_ARGS__);				\
	} while (0)

/* Limits that keep a fresh context cheap (hash tables sized by tmpl_total). */
#define FZ_TMPL_TOTAL		64
#define FZ_RECORD_BUDGET	1024

#endif
