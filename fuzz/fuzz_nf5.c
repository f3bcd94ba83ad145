/*
 * fuzz_nf5.c - libFuzzer target: one NetFlow v5 datagram.
 *
 * The input is the UDP payload; its first two bytes are forced to version 5
 * so every input reaches nf5.c (the dispatcher's version test is the
 * stateful target's business).  A fresh context per input: v5 has no state.
 * fz_feed() checks that no more 48-byte records come out than the length
 * allows, and that each is well formed.
 */
#include "common.h"

static const struct fz_target target = {
	.version = "\0\5", .version_len = 2,
	.passes = 1,
	.exporter = "192.0.2.1", .port = 2055,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_datagram(&target, data, size);
}
