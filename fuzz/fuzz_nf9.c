/*
 * fuzz_nf9.c - libFuzzer target: one NetFlow v9 datagram.
 *
 * The input is the UDP payload with its version forced to 9.  It goes
 * through a fresh context twice: the first pass meets its templates in the
 * same datagram (data before a template is deferred), the second finds
 * them cached, so the refresh path and the plain data path run too.  Each
 * pass is checked by fz_feed(): records within the budget and the length,
 * counters matching what the callback saw, every record well formed.
 */
#include "common.h"

static const struct fz_target target = {
	.version = "\0\11", .version_len = 2,
	.stateful = 1, .passes = 2,
	.exporter = "192.0.2.1", .port = 2055,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_datagram(&target, data, size);
}
