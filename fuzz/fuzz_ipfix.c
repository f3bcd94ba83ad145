/*
 * fuzz_ipfix.c - libFuzzer target: one IPFIX message.
 *
 * The input is the UDP payload with its version forced to 10, and a
 * header Length beyond the input cut to the input's size (a longer one
 * only rejects the message, which the stateful target covers), so
 * mutations that insert or erase bytes still reach the sets.  It goes
 * through a fresh context twice: the first pass meets its templates in the
 * same datagram (data before a template is deferred), the second finds
 * them cached, so the refresh path and the plain data path run too.  Each
 * pass is checked by fz_feed(): records within the budget and the length,
 * counters matching what the callback saw, every record well formed.
 */
#include "common.h"

static const struct fz_target target = {
	.version = "\0\12", .version_len = 2,
	.cut_len = 1, .stateful = 1, .passes = 2,
	.exporter = "192.0.2.1", .port = 4739,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_datagram(&target, data, size);
}
