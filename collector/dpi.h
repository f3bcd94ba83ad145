/*
 * dpi.h - application labels with nDPI (Debian 12's nDPI 4.2).
 *
 * DESIGN
 * Every flow record gets a label from what nDPI knows without payload:
 * its IP lists (cloud, CDN, Tor nodes ... via ndpi_network_ptree_match)
 * and its default ports (what ndpi_guess_undetected_protocol answers for
 * the protocol and ports with no address, read from per-port tables
 * filled on first use: see dpi.c).  A sampled packet with payload (an
 * sFlow raw header) is also run through real DPI
 * (ndpi_detection_process_packet on a flow state reset per packet).  The
 * label keeps how it was found -- ip, port or dpi -- because a port guess
 * is weak evidence and rules must be able to tell.
 *
 * nDPI 4.x keeps per-packet state inside the detection module, so one
 * struct dpi belongs to one worker.
 */
#ifndef FS_DPI_H
#define FS_DPI_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

enum dpi_how {
	DPI_NONE = 0,
	DPI_BY_PORT,
	DPI_BY_IP,
	DPI_BY_DPI,
};

struct dpi_label {
	uint16_t	id;		/* nDPI protocol id, 0 unknown */
	uint8_t		how;		/* enum dpi_how */
	char		name[32];	/* e.g. "TLS", "Tor", "Google" */
	char		category[24];	/* e.g. "Web", "VPN" */
};

struct dpi;

struct dpi	*dpi_new(char *err, size_t errlen);
void		 dpi_free(struct dpi *d);

/* Start loading what dpi_label_record will read for r (batches). */
void		 dpi_prefetch(const struct dpi *d, const struct flow_rec *r);
/* From the record's addresses and ports. */
void		 dpi_label_record(struct dpi *d, const struct flow_rec *r,
		    struct dpi_label *out);
/*
 * Real DPI on one packet starting at its IP header; returns 0 and fills
 * out when nDPI recognised it, -1 otherwise (out untouched).
 */
int		 dpi_label_packet(struct dpi *d, const uint8_t *ip, size_t len,
		    uint64_t now_ms, struct dpi_label *out);

#endif
