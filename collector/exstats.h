/*
 * exstats.h - per-exporter counters, bounded.
 *
 * DESIGN
 * Each worker counts datagrams, bytes, decode errors and refusals per
 * exporter address and protocol in its own open-addressing table (no
 * locks: one owner).  The table has a fixed capacity; exporters beyond it
 * are counted together under an entry with no address ("other"), so a flood
 * of spoofed sources cannot grow memory (HOSTILE T4, flood classes).  The
 * metrics endpoint merges the workers' copies by address.
 */
#ifndef FS_EXSTATS_H
#define FS_EXSTATS_H

#include <stdint.h>

#include "flow.h"
#include "log.h"

enum ex_proto { EX_NF5, EX_NF9, EX_IPFIX, EX_SFLOW, EX_OTHER, EX_NPROTO };

struct exstat {
	struct flow_addr	addr;		/* af 0: "other" */
	int			used;
	uint64_t		dgrams[EX_NPROTO];
	uint64_t		bytes[EX_NPROTO];
	uint64_t		errors;		/* datagrams not wholly decoded */
	uint64_t		records;
	uint64_t		denied;		/* not in the exporter allowlist */
	uint64_t		last_ms;	/* last datagram */
	struct log_limit	warn;
};

struct exstats {
	struct exstat	*tab;
	uint32_t	 size;		/* slots, a power of two */
	uint32_t	 cap;		/* entries allowed */
	uint32_t	 n;
	struct exstat	 other;
};

#define EXSTATS_DEF_CAP	1024

int	 exstats_init(struct exstats *e, uint32_t cap);
void	 exstats_free(struct exstats *e);
/* The entry for a, created if there is room, else the "other" entry. */
struct exstat *exstats_get(struct exstats *e, const struct flow_addr *a);
/* Add src's counters into dst (matched by address; dst may overflow too). */
void	 exstats_merge(struct exstats *dst, const struct exstats *src);
void	 exstats_clear(struct exstats *e);

enum ex_proto ex_proto_of(const uint8_t *buf, size_t len);
const char *ex_proto_name(enum ex_proto p);

/* Visit every entry that has counts, "other" last. */
typedef void exstats_fn(void *arg, const struct exstat *x);
void	 exstats_foreach(const struct exstats *e, exstats_fn *fn, void *arg);

#endif
