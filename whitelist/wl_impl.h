/*
 * wl_impl.h - what the whitelist's own files share; not for other modules.
 *
 * DESIGN
 * The vocabulary of the text format lives in one place (wl_field.c,
 * wl_time.c) so that the parser, the formatter, the entry checks and the
 * matcher agree on it: which protocols have ports, what a name may hold,
 * which words are metadata, how a prefix is compared, how times are
 * spelled.  Everything here is pure: no allocation, no I/O.
 */
#ifndef FS_WL_IMPL_H
#define FS_WL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "wl.h"

#define WL_APP_LEN	32	/* sizeof(wl_entry.app) */
#define WL_DAY_MS	UINT64_C(86400000)
/* 10000-01-01T00:00:00Z: every time written is before it (years 1970-9999). */
#define WL_TIME_END	(UINT64_C(2932897) * WL_DAY_MS)
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" and its NUL. */
#define WL_TIME_LEN	25

/* The address family's full prefix length: 32 or 128 (0 for neither). */
unsigned	 wl_full_len(const struct flow_addr *a);
/* Does net/len hold a (same family)? */
int		 wl_prefix_match(const struct flow_addr *net, unsigned len,
		    const struct flow_addr *a);
/* a with every bit past len cleared. */
void		 wl_prefix_mask(struct flow_addr *a, unsigned len);
/* Is net/len a valid prefix: a family, len in range, host bits clear? */
int		 wl_prefix_ok(const struct flow_addr *net, unsigned len);

/* "tcp" -> 6, "17" -> 17; 0 or -1.  Names are case-insensitive. */
int		 wl_proto_parse(const char *s, uint8_t *proto);
/* "tcp", or NULL for a protocol without a name. */
const char	*wl_proto_name(uint8_t proto);
/* Does PROTO/PORT make sense (tcp udp sctp dccp udplite icmp icmp6)? */
int		 wl_proto_has_ports(uint8_t proto);

/* A group name: 1-63 of letters, digits, '-', '_', '.' (as [group]). */
int		 wl_group_name_ok(const char *s);
/* An app or author word: 1..max-1 bytes, none blank or control. */
int		 wl_word_ok(const char *s, size_t max);
/* Bit i of groups (i < 64) named s, or -1. */
int		 wl_group_bit(const char *s, const char *const *groups,
		    size_t ngroups);

enum wl_meta { WL_META_NONE = 0, WL_META_AUTHOR, WL_META_CREATED,
	WL_META_SOURCE, WL_META_ID };
/* Which metadata key the word w[0..n) starts with ("author=..."). */
enum wl_meta	 wl_meta_key(const char *w, size_t n, size_t *keylen);
/* Is c a field separator (space or tab)? */
int		 wl_blank(int c);

/* Write the message into err (may be NULL); returns -1. */
int		 wl_err(char *err, size_t errlen, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/* wl_parse_line on a line that is not NUL-terminated. */
int		 wl_parse_span(struct wl_entry *e, const char *p, size_t n,
		    char *err, size_t errlen);
/* A comment line or a blank one (first non-blank is '#' or none)? */
int		 wl_comment_line(const char *p, size_t n);
/* wl_format's header line ("# who service where expires comment")? */
int		 wl_is_header(const char *p, size_t n);
/* n without the trailing blanks and CRs of p[0..n). */
size_t		 wl_trim(const char *p, size_t n);
/* Append e as it is, taking its pre; 0 or -1 (no memory, pre untouched). */
int		 wl_list_push(struct wl_list *l, const struct wl_entry *e);

/* The service and destination parts of wl_entry_allows. */
int		 wl_svc_allows(enum wl_svc svc, uint8_t proto, uint16_t port,
		    const char *app, const struct wl_query *q);
int		 wl_where_allows(enum wl_where where,
		    const struct flow_addr *net, unsigned len, uint32_t asn,
		    const char *country, const struct wl_query *q);

/*
 * RFC 3339 ("2027-01-01T12:00:00Z", ".123", "+02:00") to UTC ms, which
 * must be in (0, WL_TIME_END); 0 or -1.
 */
int		 wl_time_parse(const char *s, uint64_t *ms);
/* YYYY-MM-DD to the end of that day (the next midnight), UTC ms. */
int		 wl_date_parse(const char *s, uint64_t *ms);
/*
 * ms as RFC 3339 with 'Z' (and .mmm only when not whole seconds), or,
 * with as_date and a midnight, as the date of the day before it (the
 * inverse of wl_date_parse).  buf has WL_TIME_LEN bytes; 0 or -1 (out of
 * range).
 */
int		 wl_time_format(uint64_t ms, int as_date, char *buf);

#endif
