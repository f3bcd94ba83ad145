/*
 * testutil.h - shared helpers for the cmocka unit tests: a decoder context
 * whose callback copies every record into a fixed array.
 */
#ifndef FS_TESTUTIL_H
#define FS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "decode.h"
#include "flow.h"

#define TU_MAX_RECS	4096

struct tu {
	struct dec_ctx	ctx;
	struct dec_in	in;
	size_t		n;
	struct flow_rec	recs[TU_MAX_RECS];
};

/* A context with default limits; exporter 192.0.2.1:4444, now = 1.7e12 ms. */
struct tu	*tu_new(void);
struct tu	*tu_new_lim(const struct dec_limits *lim);
void		 tu_free(struct tu *t);
/* Decode one datagram; returns the status. */
enum dec_status	 tu_feed(struct tu *t, const uint8_t *buf, size_t len);
/* Number of records of a kind seen so far. */
size_t		 tu_count(const struct tu *t, int kind);
/* The i-th record of FLOW_KIND_FLOW, or NULL. */
const struct flow_rec *tu_flow(const struct tu *t, size_t i);
/* Text of an address for assertions. */
const char	*tu_addr(const struct flow_addr *a);

#endif
