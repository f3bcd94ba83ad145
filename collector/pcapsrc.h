/*
 * pcapsrc.h - datagrams of flow exports from a capture file.
 *
 * DESIGN
 * Reads pcap and pcapng through libpcap, walks each frame to its UDP payload
 * (Ethernet, Linux cooked v1/v2, BSD loopback, raw IP; IPv4 and IPv6; any
 * port) and hands it on with the sender's address and port and the frame's
 * timestamp -- the same struct dec_in the UDP path fills.  What is not a
 * whole UDP datagram (other protocols, IP fragments, frames cut by the
 * snapshot length) is counted and skipped, never passed on as if whole.
 */
#ifndef FS_PCAPSRC_H
#define FS_PCAPSRC_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct pcapsrc_stats {
	uint64_t	frames;
	uint64_t	udp;		/* datagrams handed on */
	uint64_t	not_udp;	/* other protocols */
	uint64_t	fragments;	/* IP fragments (not reassembled) */
	uint64_t	truncated;	/* cut by the snapshot length */
	uint64_t	bad_frame;	/* no usable IP header */
};

/* frame is the 1-based index of the frame in the capture. */
typedef void pcapsrc_cb(void *arg, const struct dec_in *in,
	    const uint8_t *payload, size_t len, uint64_t frame);

/*
 * Read the whole capture.  Returns 0; -1 with a message in err when the
 * file cannot be opened or has a link type we do not know; -2 with a message
 * when it breaks off part way (the frames before were handed on).
 */
int	pcapsrc_read(const char *path, pcapsrc_cb *cb, void *arg,
	    struct pcapsrc_stats *st, char *err, size_t errlen);

#endif
