/*
 * alert_text.c - text helpers of the alert sinks: a growing buffer and
 * the cleaner every string from a detection goes through.
 *
 * DESIGN
 * Everything in a detection that came from a flow or an enrichment (AS
 * organisation, application, summary ...) is untrusted.  alert_clean()
 * makes any of it one harmless line: no CR/LF or other control character
 * can end a syslog frame or a mail header early, no invalid UTF-8 reaches
 * an RFC 5424 SD-PARAM or a charset=utf-8 body, and no bidirectional
 * override can make a line read differently from what it says.  The
 * escaping a format needs on top (SD-PARAM's " \ ]) is its own business.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_int.h"

void
alert_buf_add(struct alert_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t want;
	char *np;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
		    b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = 1;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		want = b->cap ? b->cap : 1024;
		while (want < b->len + (size_t)n + 1)
			want *= 2;
		if ((np = realloc(b->p, want)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = want;
	}
}

void
alert_buf_free(struct alert_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Length of the valid UTF-8 sequence at p (its code point in *cp), or 0. */
static size_t
utf8_seq(const unsigned char *p, uint32_t *cp)
{
	size_t n, i;
	uint32_t v, min;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		v = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		v = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		v = p[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Code points that would break or disguise a line. */
static int
bad_cp(uint32_t cp)
{
	return cp < 0xa0 ||			/* C1 controls */
	    cp == 0x2028 || cp == 0x2029 ||	/* line, paragraph separator */
	    (cp >= 0x202a && cp <= 0x202e) ||	/* bidi embeddings */
	    (cp >= 0x2066 && cp <= 0x2069) ||	/* bidi isolates */
	    cp == 0x200e || cp == 0x200f;	/* bidi marks */
}

char *
alert_clean(char *dst, size_t len, const char *src, int flags)
{
	const unsigned char *p = (const unsigned char *)src;
	const char *out;
	size_t o = 0, n, ol;
	uint32_t cp;

	if (len == 0)
		return dst;
	while (*p) {
		out = (const char *)p;
		if (*p < 0x80) {
			n = 1;
			if (*p < 0x20 || *p == 0x7f)
				out = " ";
		} else if ((n = utf8_seq(p, &cp)) == 0) {
			n = 1;
			out = "?";
		} else if (flags & ALERT_CLEAN_ASCII)
			out = "?";
		else if (bad_cp(cp))
			out = " ";
		ol = out == (const char *)p ? n : 1;
		if (o + ol >= len)
			break;
		memcpy(dst + o, out, ol);
		o += ol;
		p += n;
	}
	dst[o] = '\0';
	return dst;
}

const char *
alert_proto_name(int proto, char *buf, size_t len)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 47:
		return "gre";
	case 50:
		return "esp";
	case 58:
		return "ipv6-icmp";
	case 132:
		return "sctp";
	}
	snprintf(buf, len, "%d", proto);
	return buf;
}
