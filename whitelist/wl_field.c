/*
 * wl_field.c - the vocabulary of the whitelist format: protocols, names,
 * metadata words, prefixes.
 *
 * DESIGN
 * One table of protocol names and one definition of each kind of word, so
 * the parser (what it accepts), the formatter and wl_entry_check (what
 * may be written) and the matcher (how a prefix holds an address) cannot
 * drift apart.  A protocol has ports when the record's ports mean
 * something for it: tcp, udp, sctp, dccp and udplite, and icmp and icmp6
 * whose exporters put type * 256 + code in the destination port.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "wl_impl.h"

static const struct {
	const char	*name;
	uint8_t		 proto;
	uint8_t		 ports;
} protos[] = {
	{ "icmp",	1,	1 },
	{ "tcp",	6,	1 },
	{ "udp",	17,	1 },
	{ "dccp",	33,	1 },
	{ "gre",	47,	0 },
	{ "esp",	50,	0 },
	{ "icmp6",	58,	1 },
	{ "sctp",	132,	1 },
	{ "udplite",	136,	1 },
};
#define NPROTOS	(sizeof(protos) / sizeof(protos[0]))

int
wl_proto_parse(const char *s, uint8_t *proto)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < NPROTOS; i++)
		if (strcasecmp(s, protos[i].name) == 0) {
			*proto = protos[i].proto;
			return 0;
		}
	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > 255)
		return -1;
	*proto = (uint8_t)v;
	return 0;
}

const char *
wl_proto_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < NPROTOS; i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

int
wl_proto_has_ports(uint8_t proto)
{
	size_t i;

	for (i = 0; i < NPROTOS; i++)
		if (protos[i].proto == proto)
			return protos[i].ports;
	return 0;
}

int
wl_group_name_ok(const char *s)
{
	size_t n = strnlen(s, WL_NAME_MAX);

	if (n == 0 || n == WL_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return 0;
	return 1;
}

int
wl_word_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == 0 || n == max)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

int
wl_group_bit(const char *s, const char *const *groups, size_t ngroups)
{
	size_t i;

	if (strnlen(s, WL_NAME_MAX) == WL_NAME_MAX)
		return -1;
	for (i = 0; i < ngroups && i < 64; i++)
		if (groups[i] != NULL && strcmp(groups[i], s) == 0)
			return (int)i;
	return -1;
}

enum wl_meta
wl_meta_key(const char *w, size_t n, size_t *keylen)
{
	static const struct {
		const char	*key;
		enum wl_meta	 meta;
	} keys[] = {
		{ "author=",	WL_META_AUTHOR },
		{ "created=",	WL_META_CREATED },
		{ "source=",	WL_META_SOURCE },
		{ "id=",	WL_META_ID },
	};
	size_t i, kl;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		kl = strlen(keys[i].key);
		if (n >= kl && memcmp(w, keys[i].key, kl) == 0) {
			*keylen = kl;
			return keys[i].meta;
		}
	}
	return WL_META_NONE;
}

int
wl_blank(int c)
{
	return c == ' ' || c == '\t';
}

unsigned
wl_full_len(const struct flow_addr *a)
{
	return a->af == 4 ? 32 : a->af == 6 ? 128 : 0;
}

int
wl_prefix_match(const struct flow_addr *net, unsigned len,
    const struct flow_addr *a)
{
	unsigned full = len / 8, rest = len % 8;

	if (net->af != a->af || wl_full_len(a) == 0 || len > wl_full_len(a))
		return 0;
	if (memcmp(net->a, a->a, full) != 0)
		return 0;
	return rest == 0 ||
	    ((net->a[full] ^ a->a[full]) & (0xff00u >> rest) & 0xff) == 0;
}

void
wl_prefix_mask(struct flow_addr *a, unsigned len)
{
	unsigned i;

	if (len >= 128)
		return;
	i = len / 8;
	if (len % 8)
		a->a[i++] &= (uint8_t)(0xff00u >> (len % 8));
	memset(a->a + i, 0, 16 - i);
}

int
wl_prefix_ok(const struct flow_addr *net, unsigned len)
{
	struct flow_addr m;

	if (wl_full_len(net) == 0 || len > wl_full_len(net))
		return 0;
	m = *net;
	wl_prefix_mask(&m, len);
	return memcmp(m.a, net->a, sizeof(m.a)) == 0;
}

int
wl_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
