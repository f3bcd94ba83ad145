/*
 * geo.h - country and AS of remote addresses (libmaxminddb).
 *
 * DESIGN
 * struct geo_db holds the opened MaxMind databases (country or city, and
 * ASN); it is read-only after geo_db_open() and shared by every worker
 * (libmaxminddb lookups are thread-safe on an opened database).  A corrupt
 * or wrong database is a start-up error naming the file.  Each worker puts
 * a struct geo_cache in front of it: a fixed-size set-associative cache of
 * answers, so hot destinations are not looked up per record.
 */
#ifndef FS_GEO_H
#define FS_GEO_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define GEO_ORG_MAX	64

struct geo_info {
	char		country[3];	/* ISO 3166 alpha-2, "" unknown */
	uint32_t	asn;		/* 0 unknown */
	char		as_org[GEO_ORG_MAX];
};

struct geo_db;
struct geo_cache;

struct geo_stats {
	uint64_t	lookups;
	uint64_t	hits;
	uint64_t	errors;		/* lookup errors from libmaxminddb */
};

/* Either path may be NULL; NULL with "FILE: reason" in err on failure. */
struct geo_db	*geo_db_open(const char *country, const char *asn, char *err,
		    size_t errlen);
void		 geo_db_close(struct geo_db *db);
/* An uncached lookup. */
int		 geo_db_lookup(const struct geo_db *db, const struct flow_addr *a,
		    struct geo_info *out);

struct geo_cache *geo_cache_new(const struct geo_db *db, uint32_t capacity);
void		 geo_cache_free(struct geo_cache *c);
/* The answer for a (cached); out is zeroed when nothing is known. */
void		 geo_lookup(struct geo_cache *c, const struct flow_addr *a,
		    struct geo_info *out);
const struct geo_stats *geo_cache_stats(const struct geo_cache *c);

#endif
