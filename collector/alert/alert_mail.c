/*
 * alert_mail.c - the message the email sink sends: headers and a body a
 * person reads.
 *
 * DESIGN
 * One RFC 5322 message with CRLF lines for one or more detections: Date,
 * From, To, Subject, Message-ID, MIME-Version, Content-Type text/plain
 * utf-8, Auto-Submitted, and X-Flowsentry-Detections (the count, read back
 * from the spool for the stats).  Header values are printable US-ASCII
 * (alert_clean() with ALERT_CLEAN_ASCII), body values one line of valid
 * UTF-8 each, so no string of a detection can add a header or a line.
 * The body gives per detection what the NOC needs to decide: the rule and
 * severity, host and group, destination, country and AS, the evidence,
 * when it was first and last seen (UTC), the summary, and the exact
 * `flowsentry allow` command to whitelist it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_int.h"

#define CNT_HDR		"X-Flowsentry-Detections: "

static const char *wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
	"Sat" };
static const char *mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* "2025-11-22 21:03:20 UTC", or "-" for 0. */
static const char *
utc(uint64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0)
		return "-";
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d UTC",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	return buf;
}

static void
hdr(struct alert_buf *b, const char *name, const char *value)
{
	char v[512];

	alert_buf_add(b, "%s: %s\r\n", name,
	    alert_clean(v, sizeof(v), value, ALERT_CLEAN_ASCII));
}

static void
subject(struct alert_buf *b, const struct det *d, size_t n)
{
	struct alert_buf s = { NULL, 0, 0, 0 };
	char h[64], t[64], pn[8];
	size_t cnt[5] = { 0 }, i;
	int sev, first = 1;

	if (n == 1) {
		alert_buf_add(&s, "flowsentry: [%s] %s on %s -> %s:%u/%s",
		    det_sev_name(d->severity), d->rule,
		    flow_addr_str(&d->host, h, sizeof(h)),
		    d->dst_scope == DET_SCOPE_MANY ? "many" :
		    flow_addr_str(&d->dst, t, sizeof(t)), d->dport,
		    alert_proto_name(d->proto, pn, sizeof(pn)));
	} else {
		for (i = 0; i < n; i++)
			cnt[d[i].severity >= 1 && d[i].severity <= 4 ?
			    d[i].severity : 0]++;
		alert_buf_add(&s, "flowsentry: %zu new detections (", n);
		for (sev = 4; sev >= 0; sev--) {
			if (cnt[sev] == 0)
				continue;
			alert_buf_add(&s, "%s%zu %s", first ? "" : ", ",
			    cnt[sev], det_sev_name(sev));
			first = 0;
		}
		alert_buf_add(&s, ")");
	}
	if (!s.err)
		hdr(b, "Subject", s.p);
	else
		b->err = 1;
	alert_buf_free(&s);
}

/* One line "  Label:  value" of the body, value cleaned. */
static void
line(struct alert_buf *b, const char *label, const char *value)
{
	char v[1024];

	alert_buf_add(b, "  %-13s%s\r\n", label,
	    alert_clean(v, sizeof(v), value, 0));
}

static void
body_one(struct alert_buf *b, const struct det *d, size_t i, size_t n)
{
	char x[512], y[128], a[64], pn[8], rule[64];
	int k;
	size_t off;

	alert_buf_add(b, "[%zu/%zu] %s (%s)  id %s\r\n", i + 1, n,
	    alert_clean(rule, sizeof(rule), d->rule, 0),
	    det_sev_name(d->severity), alert_clean(y, sizeof(y), d->id, 0));
	flow_addr_str(&d->host, a, sizeof(a));
	if (d->group[0])
		snprintf(x, sizeof(x), "%s (group %s)", a, d->group);
	else
		snprintf(x, sizeof(x), "%s", a);
	line(b, "Host:", x);
	if (d->dst_scope == DET_SCOPE_MANY)
		snprintf(y, sizeof(y), "many, e.g. %s",
		    flow_addr_str(&d->dst, a, sizeof(a)));
	else
		flow_addr_str(&d->dst, y, sizeof(y));
	snprintf(x, sizeof(x), "%s port %u %s, service %s, app %s", y,
	    d->dport, alert_proto_name(d->proto, pn, sizeof(pn)),
	    d->service[0] ? d->service : "-", d->app[0] ? d->app : "unknown");
	line(b, "Destination:", x);
	line(b, "Country:", d->country[0] ? d->country : "unknown");
	if (d->asn) {
		snprintf(x, sizeof(x), "AS%" PRIu32 " %s", d->asn, d->as_org);
		line(b, "AS:", x);
	} else
		line(b, "AS:", "unknown");
	snprintf(x, sizeof(x), "%" PRIu64 " flows, %" PRIu64 " bytes, %"
	    PRIu64 " packets", d->flows, d->bytes, d->packets);
	line(b, "Traffic:", x);
	line(b, "First seen:", utc(d->first_ms, x, sizeof(x)));
	line(b, "Last seen:", utc(d->last_ms, x, sizeof(x)));
	if (d->nrules > 0) {
		x[0] = '\0';
		for (k = 0, off = 0; k < d->nrules && k < DET_RULES_MAX &&
		    off < sizeof(x); k++)
			off += (size_t)snprintf(x + off, sizeof(x) - off,
			    "%s%s", k ? ", " : "", d->rules[k]);
		line(b, "Also matched:", x);
	}
	line(b, "Summary:", d->summary[0] ? d->summary : "-");
	if (det_allow_cmd(d, x, sizeof(x)) >= 0)
		line(b, "To allow:", x);
	alert_buf_add(b, "\r\n");
}

int
alert_mail_build(struct alert_buf *b, const struct alert_mailhdr *h,
    const struct det *d, size_t n)
{
	time_t t = (time_t)(h->now_ms / 1000);
	struct tm tm;
	char v[512];
	size_t i;

	if (n == 0)
		return -1;
	gmtime_r(&t, &tm);
	alert_buf_add(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	hdr(b, "From", h->from);
	for (i = 0; i < h->nto; i++)
		alert_buf_add(b, "%s%s%s", i ? ",\r\n " : "To: ",
		    alert_clean(v, sizeof(v), h->to[i], ALERT_CLEAN_ASCII),
		    i + 1 == h->nto ? "\r\n" : "");
	subject(b, d, n);
	alert_buf_add(b, "Message-ID: <%s>\r\n",
	    alert_clean(v, sizeof(v), h->msgid, ALERT_CLEAN_ASCII));
	alert_buf_add(b, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    CNT_HDR "%zu\r\n\r\n", n);
	alert_buf_add(b, "flowsentry raised %zu new detection%s.\r\n\r\n", n,
	    n == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		body_one(b, &d[i], i, n);
	alert_buf_add(b, "Review each one: `flowsentry show ID` prints it all. "
	    "If it is legitimate,\r\nrun its `flowsentry allow` command with "
	    "a real comment; else deal with the\r\nserver.  "
	    "`flowsentry ack ID` marks it seen.\r\n");
	return b->err ? -1 : 0;
}

size_t
alert_mail_count(const char *msg, size_t len)
{
	const char *end, *p;
	char *e;
	unsigned long long v;

	end = memmem(msg, len, "\r\n\r\n", 4);
	if (end == NULL)
		end = msg + len;
	for (p = msg; p < end; p++) {
		if ((p == msg || p[-1] == '\n') &&
		    (size_t)(end - p) > sizeof(CNT_HDR) - 1 &&
		    strncmp(p, CNT_HDR, sizeof(CNT_HDR) - 1) == 0) {
			v = strtoull(p + sizeof(CNT_HDR) - 1, &e, 10);
			return e > p + sizeof(CNT_HDR) - 1 ? (size_t)v : 0;
		}
	}
	return 0;
}
