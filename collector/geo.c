/*
 * geo.c - libmaxminddb behind a per-worker cache.  See geo.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <maxminddb.h>

#include "geo.h"

#define GEO_WAYS	4

struct geo_db {
	MMDB_s	country;
	MMDB_s	asn;
	int	have_country;
	int	have_asn;
};

struct geo_slot {
	struct flow_addr	addr;
	uint64_t		tick;
	struct geo_info		info;
};

struct geo_cache {
	const struct geo_db	*db;
	struct geo_slot		*slot;
	uint32_t		 nsets;
	uint64_t		 tick;
	struct geo_stats	 st;
};

/* Open path and check its type names one of want ("Country|City"). */
static int
open_one(MMDB_s *m, const char *path, const char *want, char *err,
    size_t errlen)
{
	char w[64], *tok, *save = NULL;
	int ok = 0;

	int rc = MMDB_open(path, MMDB_MODE_MMAP, m);

	if (rc != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s: %s%s%s", path, MMDB_strerror(rc),
		    rc == MMDB_IO_ERROR ? ": " : "",
		    rc == MMDB_IO_ERROR ? strerror(errno) : "");
		return -1;
	}
	snprintf(w, sizeof(w), "%s", want);
	for (tok = strtok_r(w, "|", &save); tok; tok = strtok_r(NULL, "|",
	    &save))
		if (strstr(m->metadata.database_type, tok))
			ok = 1;
	if (!ok) {
		snprintf(err, errlen, "%s: database type %s, want %s", path,
		    m->metadata.database_type, want);
		MMDB_close(m);
		return -1;
	}
	return 0;
}

/*
 * libmaxminddb opens some corrupt files without complaint and fails only
 * on lookups; one lookup of a known address in each family finds those.
 */
static int
probe(MMDB_s *m, const char *path, char *err, size_t errlen)
{
	static const char *probes[] = { "1.1.1.1", "2001:db8::1" };
	int gai, rc;
	size_t i;

	for (i = 0; i < 2; i++) {
		MMDB_lookup_result_s r = MMDB_lookup_string(m, probes[i], &gai,
		    &rc);
		MMDB_entry_data_list_s *list = NULL;

		if (gai == 0 && rc == MMDB_SUCCESS && r.found_entry) {
			rc = MMDB_get_entry_data_list(&r.entry, &list);
			MMDB_free_entry_data_list(list);
		}
		if (rc != MMDB_SUCCESS && rc != MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) {
			snprintf(err, errlen, "%s: corrupt database (%s)", path,
			    MMDB_strerror(rc));
			return -1;
		}
	}
	return 0;
}

struct geo_db *
geo_db_open(const char *country, const char *asn, char *err, size_t errlen)
{
	struct geo_db *db = calloc(1, sizeof(*db));

	if (db == NULL) {
		snprintf(err, errlen, "geoip: out of memory");
		return NULL;
	}
	if (country) {
		if (open_one(&db->country, country, "Country|City", err,
		    errlen))
			goto fail;
		db->have_country = 1;
		if (probe(&db->country, country, err, errlen))
			goto fail;
	}
	if (asn) {
		if (open_one(&db->asn, asn, "ASN", err, errlen))
			goto fail;
		db->have_asn = 1;
		if (probe(&db->asn, asn, err, errlen))
			goto fail;
	}
	return db;
fail:
	geo_db_close(db);
	return NULL;
}

void
geo_db_close(struct geo_db *db)
{
	if (db == NULL)
		return;
	if (db->have_country)
		MMDB_close(&db->country);
	if (db->have_asn)
		MMDB_close(&db->asn);
	free(db);
}

static int
lookup(const MMDB_s *m, const struct flow_addr *a, MMDB_lookup_result_s *r)
{
	struct sockaddr_storage ss;
	int rc;

	memset(&ss, 0, sizeof(ss));
	if (a->af == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->a, 4);
	} else if (a->af == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->a, 16);
	} else
		return -1;
	*r = MMDB_lookup_sockaddr((MMDB_s *)(uintptr_t)m,
	    (struct sockaddr *)&ss, &rc);
	if (rc != MMDB_SUCCESS)
		return rc == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR ? 0 : -1;
	return 0;
}

int
geo_db_lookup(const struct geo_db *db, const struct flow_addr *a,
    struct geo_info *out)
{
	MMDB_lookup_result_s r;
	MMDB_entry_data_s d;
	int bad = 0;

	memset(out, 0, sizeof(*out));
	if (db == NULL)
		return 0;
	if (db->have_country) {
		if (lookup(&db->country, a, &r) != 0)
			bad = 1;
		else if (r.found_entry &&
		    (MMDB_get_value(&r.entry, &d, "country", "iso_code", NULL)
		    == MMDB_SUCCESS ||
		    MMDB_get_value(&r.entry, &d, "registered_country",
		    "iso_code", NULL) == MMDB_SUCCESS) &&
		    d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING &&
		    d.data_size == 2) {
			memcpy(out->country, d.utf8_string, 2);
			out->country[2] = '\0';
		}
	}
	if (db->have_asn) {
		if (lookup(&db->asn, a, &r) != 0)
			bad = 1;
		else if (r.found_entry) {
			if (MMDB_get_value(&r.entry, &d,
			    "autonomous_system_number", NULL) == MMDB_SUCCESS &&
			    d.has_data && d.type == MMDB_DATA_TYPE_UINT32)
				out->asn = d.uint32;
			if (MMDB_get_value(&r.entry, &d,
			    "autonomous_system_organization", NULL) ==
			    MMDB_SUCCESS && d.has_data &&
			    d.type == MMDB_DATA_TYPE_UTF8_STRING) {
				size_t n = d.data_size < GEO_ORG_MAX - 1 ?
				    d.data_size : GEO_ORG_MAX - 1;

				memcpy(out->as_org, d.utf8_string, n);
				out->as_org[n] = '\0';
			}
		}
	}
	return bad ? -1 : 0;
}

struct geo_cache *
geo_cache_new(const struct geo_db *db, uint32_t capacity)
{
	struct geo_cache *c;
	uint32_t sets = 1;

	while (sets * GEO_WAYS < capacity && sets < (1u << 24))
		sets <<= 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->slot = calloc((size_t)sets * GEO_WAYS, sizeof(*c->slot)))
	    == NULL) {
		free(c);
		return NULL;
	}
	c->db = db;
	c->nsets = sets;
	return c;
}

void
geo_cache_free(struct geo_cache *c)
{
	if (c == NULL)
		return;
	free(c->slot);
	free(c);
}

const struct geo_stats *
geo_cache_stats(const struct geo_cache *c)
{
	return &c->st;
}

void
geo_lookup(struct geo_cache *c, const struct flow_addr *a,
    struct geo_info *out)
{
	struct geo_slot *set, *victim;
	uint32_t h = flow_addr_hash(FLOW_FNV_INIT, a);
	int i;

	c->st.lookups++;
	set = &c->slot[((h ^ (h >> 13)) & (c->nsets - 1)) * GEO_WAYS];
	victim = &set[0];
	for (i = 0; i < GEO_WAYS; i++) {
		if (set[i].addr.af && flow_addr_eq(&set[i].addr, a)) {
			set[i].tick = ++c->tick;
			c->st.hits++;
			*out = set[i].info;
			return;
		}
		if (set[i].tick < victim->tick)
			victim = &set[i];
	}
	if (geo_db_lookup(c->db, a, out) != 0)
		c->st.errors++;
	victim->addr = *a;
	victim->info = *out;
	victim->tick = ++c->tick;
}
