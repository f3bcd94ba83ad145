/*
 * fuzz_sflow.c - libFuzzer target: one sFlow v5 datagram.
 *
 * The input is the UDP payload with its 32-bit version forced to 5, through
 * a fresh context (sFlow keeps no state).  fz_feed() checks that the
 * records stay within the budget and what the length allows (a 28-byte
 * header, then at least 40 bytes per flow sample), that counters match the
 * callback, and fz_sink() reads every sampled packet handed on for deep
 * inspection and checks that it lies inside the datagram.
 */
#include "common.h"

static const struct fz_target target = {
	.version = "\0\0\0\5", .version_len = 4,
	.passes = 1,
	.exporter = "2001:db8::5", .port = 6343,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_datagram(&target, data, size);
}
