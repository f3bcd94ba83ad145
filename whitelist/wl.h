/*
 * wl.h - whitelist entries, their text format and fast matching
 * (flowsentry.whitelist(5)).
 *
 * DESIGN
 * An entry says that WHO may talk to SERVICE at WHERE:
 *
 *   # who           service    where             expires     comment
 *   203.0.113.10    tcp/443    AS15169           2027-01-01  OS updates (ticket 4711)
 *   @mail-servers   tcp/25     any               -           outbound mail relays
 *   *               udp/123    any               -           NTP
 *   192.0.2.0/24    app:TLS    US                -           author=ana source=staff created=2026-11-01T10:00:00Z id=17
 *
 *   who      host address, CIDR of hosts, @group (config [group NAME]) or *
 *   service  PROTO/PORT (tcp/443, udp/53, icmp/0 ...), PROTO/ANY (written with a star
 *            after the slash: every port), app:NAME
 *            (nDPI label, case-insensitive) or *
 *   where    IP, CIDR, ASnnn, a two-letter country code, or any
 *   expires  YYYY-MM-DD (end of that day, UTC), an RFC 3339 time, or -
 *   comment  the rest of the line; trailing key=value words author=,
 *            created=, source= (staff|learned), id= are metadata and
 *            kept apart from the comment text.
 *
 * Lines starting with # and blank lines are comments; wl_parse keeps them
 * (attached to the entry that follows, or at the end) so an import and an
 * export give the same file.  wl_format writes one entry per line in a
 * stable order (the order of the list), columns aligned, so it diffs well.
 *
 * struct wl_list is the editable form (parse, format, add, remove).
 * struct wl_index is built from a list for matching: immutable, shared
 * read-only by every worker, swapped whole when the whitelist changes.
 * Matching is by host (hash of exact hosts, then a prefix walk for CIDR
 * entries, then groups, then *), then service, then destination; no
 * allocation, no strings compared per record except the app label.
 */
#ifndef FS_WL_H
#define FS_WL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow.h"

#define WL_ERR_MAX	512
#define WL_NAME_MAX	64
#define WL_TEXT_MAX	256
#define WL_LINE_MAX	1024	/* wl_format_entry never needs more */
/*
 * wl_match's answer for an entry without an id (a hand-written file):
 * WL_ID_POS + its position in the list.  id= values are below it.
 */
#define WL_ID_POS	(UINT64_C(1) << 63)

enum wl_who { WL_WHO_HOST = 1, WL_WHO_NET, WL_WHO_GROUP, WL_WHO_ANY };
enum wl_svc { WL_SVC_PORT = 1, WL_SVC_PROTO, WL_SVC_APP, WL_SVC_ANY };
enum wl_where { WL_WHERE_NET = 1, WL_WHERE_ASN, WL_WHERE_COUNTRY,
	WL_WHERE_ANY };		/* an IP is a NET of full length */
enum wl_source { WL_SRC_STAFF = 0, WL_SRC_LEARNED };

struct wl_entry {
	uint64_t		 id;		/* 0: not assigned yet */
	enum wl_who		 who;
	struct flow_addr	 who_addr;	/* HOST, NET */
	uint8_t			 who_len;	/* NET prefix length */
	char			 group[WL_NAME_MAX];	/* GROUP, without '@' */
	enum wl_svc		 svc;
	uint8_t			 proto;		/* PORT, PROTO */
	uint16_t		 port;		/* PORT */
	char			 app[32];	/* APP */
	enum wl_where		 where;
	struct flow_addr	 where_addr;	/* NET */
	uint8_t			 where_len;
	uint32_t		 asn;
	char			 country[3];
	uint64_t		 expires_ms;	/* 0: never */
	uint64_t		 created_ms;	/* 0: unknown */
	enum wl_source		 source;
	char			 author[WL_NAME_MAX];
	char			 comment[WL_TEXT_MAX];
	char			*pre;		/* comment lines before it, or NULL */
	int			 line;		/* where it was parsed, 0 if not */
};

struct wl_list {
	struct wl_entry		*v;
	size_t			 n, cap;
	char			*trailer;	/* comment lines at the end */
};

void	 wl_list_init(struct wl_list *l);
void	 wl_list_free(struct wl_list *l);
/* Append a copy (pre is duplicated).  0 or -1 (no memory). */
int	 wl_list_add(struct wl_list *l, const struct wl_entry *e);
/* Remove the entry with this id; 0, or -1 when there is none. */
int	 wl_list_remove(struct wl_list *l, uint64_t id);

/*
 * Parse a whole file's text, appending to l.  Returns 0, or -1 with
 * "NAME:LINE: reason" in err (l keeps what came before the bad line).
 */
int	 wl_parse(struct wl_list *l, const char *name, const char *text,
	    char *err, size_t errlen);
int	 wl_parse_file(struct wl_list *l, const char *path, char *err,
	    size_t errlen);
/* One entry line, no comments; 0 or -1 with "reason" (no position). */
int	 wl_parse_line(struct wl_entry *e, const char *line, char *err,
	    size_t errlen);
/* One entry as one line (no newline), with its metadata; bytes or -1. */
int	 wl_format_entry(const struct wl_entry *e, char *buf, size_t len);
/* The whole list with its comments, the header line first. */
int	 wl_format(const struct wl_list *l, FILE *fp);
/*
 * Would wl_format write e so that it parses back the same?  0, or -1 with
 * "reason" (an entry built in code: bad kind, host bits, a comment with a
 * newline or ending in a metadata word ...).  wl_format refuses such.
 */
int	 wl_entry_check(const struct wl_entry *e, char *err, size_t errlen);
/* Equal in every field but line (pre NULL and "" are equal). */
int	 wl_entry_eq(const struct wl_entry *a, const struct wl_entry *b);

/* The facts of one outbound record the whitelist is asked about. */
struct wl_query {
	const struct flow_addr	*host;		/* our server */
	uint64_t		 host_groups;	/* bit i: in config group i */
	uint8_t			 proto;
	uint16_t		 port;		/* the service port */
	const char		*app;		/* "" unknown */
	const struct flow_addr	*remote;
	uint32_t		 asn;		/* remote AS, 0 unknown */
	const char		*country;	/* "" unknown */
	uint64_t		 now_ms;	/* expired entries never match */
};

struct wl_index;

/*
 * Build the matcher from the entries of l whose source is in
 * sources_mask (bit 1 << WL_SRC_STAFF, 1 << WL_SRC_LEARNED); groups as in
 * rule_load (bit i = groups[i]); an entry naming an unknown group never
 * matches (wl_check reports it).  NULL only without memory.
 */
struct wl_index	*wl_index_build(const struct wl_list *l,
		    const char *const *groups, size_t ngroups);
void		 wl_index_free(struct wl_index *ix);
/*
 * The id of the first entry (in list order) that allows the query and
 * whose source bit is in sources_mask, or 0 when none does.
 */
uint64_t	 wl_match(const struct wl_index *ix, const struct wl_query *q,
		    unsigned sources_mask);
/* Entries it holds (those naming unknown groups are left out). */
size_t		 wl_index_size(const struct wl_index *ix);
/*
 * Does entry e allow the query?  Its expiry is checked against q->now_ms,
 * its source is not (that is wl_match's mask).  The linear reference of
 * wl_match: for tools that explain a decision, and for tests.
 */
int		 wl_entry_allows(const struct wl_entry *e,
		    const struct wl_query *q, const char *const *groups,
		    size_t ngroups);

/* Entries naming groups that do not exist, as "NAME:LINE: reason"; 0/-1. */
int		 wl_check(const struct wl_list *l, const char *name,
		    const char *const *groups, size_t ngroups,
		    char *err, size_t errlen);

#endif
