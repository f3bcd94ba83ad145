/*
 * flow.c - helpers for the normalised flow record: addresses and JSON.
 *
 * DESIGN
 * The JSON writer is the contract of `flowsentry decode` (DESIGN.md,
 * "Normalised flow record"): the documented fields first, in their documented
 * order, then the extra facts a decoder found (biflow/NSEL reverse counters,
 * firewall event, ICMP type/code, ...).  Only fields whose bit is set in
 * `have` are written.  It writes into a caller's buffer; no allocation.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "flow.h"

const char *
flow_addr_str(const struct flow_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (a->af == 4 && len >= 16) {	/* inet_ntop's sprintf is slow */
		char *p = buf;
		int i;

		for (i = 0; i < 4; i++) {
			unsigned v = a->a[i];

			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
	} else if (a->af == 4)
		inet_ntop(AF_INET, a->a, buf, (socklen_t)len);
	else if (a->af == 6)
		inet_ntop(AF_INET6, a->a, buf, (socklen_t)len);
	return buf;
}

void
flow_addr_set4(struct flow_addr *a, const uint8_t *p)
{
	memset(a, 0, sizeof(*a));
	a->af = 4;
	memcpy(a->a, p, 4);
}

void
flow_addr_set6(struct flow_addr *a, const uint8_t *p)
{
	memset(a, 0, sizeof(*a));
	a->af = 6;
	memcpy(a->a, p, 16);
}

int
flow_addr_parse(struct flow_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1) {
		a->af = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->af = 6;
		return 0;
	}
	return -1;
}

int
flow_addr_eq(const struct flow_addr *a, const struct flow_addr *b)
{
	if (a->af != b->af)
		return 0;
	return memcmp(a->a, b->a, a->af == 4 ? 4 : 16) == 0;
}

const char *
flow_type_name(int type)
{
	switch (type) {
	case FLOW_NF5:		return "netflow5";
	case FLOW_NF9:		return "netflow9";
	case FLOW_IPFIX:	return "ipfix";
	case FLOW_SFLOW5:	return "sflow5";
	}
	return "unknown";
}

struct jw {
	char	*buf;
	size_t	 len;
	size_t	 off;
	int	 err;
};

static void
jw_printf(struct jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
jw_printf(struct jw *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->off, w->len - w->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->len - w->off) {
		w->err = 1;
		return;
	}
	w->off += (size_t)n;
}

static void
jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_printf(w, ",\"%s\":%" PRIu64, key, v);
}

static void
jw_addr(struct jw *w, const char *key, const struct flow_addr *a)
{
	char s[64];

	jw_printf(w, ",\"%s\":\"%s\"", key, flow_addr_str(a, s, sizeof(s)));
}

static void
json_ifctr(struct jw *w, const struct flow_ifctr *c)
{
	jw_u64(w, "ifindex", c->ifindex);
	jw_u64(w, "iftype", c->iftype);
	jw_u64(w, "ifspeed", c->ifspeed);
	jw_u64(w, "ifdirection", c->ifdirection);
	jw_u64(w, "ifstatus", c->ifstatus);
	jw_u64(w, "in_octets", c->in_octets);
	jw_u64(w, "in_ucast", c->in_ucast);
	jw_u64(w, "in_mcast", c->in_mcast);
	jw_u64(w, "in_bcast", c->in_bcast);
	jw_u64(w, "in_discards", c->in_discards);
	jw_u64(w, "in_errors", c->in_errors);
	jw_u64(w, "in_unknown", c->in_unknown);
	jw_u64(w, "out_octets", c->out_octets);
	jw_u64(w, "out_ucast", c->out_ucast);
	jw_u64(w, "out_mcast", c->out_mcast);
	jw_u64(w, "out_bcast", c->out_bcast);
	jw_u64(w, "out_discards", c->out_discards);
	jw_u64(w, "out_errors", c->out_errors);
	jw_u64(w, "promisc", c->promisc);
}

int
flow_json(const struct flow_rec *r, char *buf, size_t len)
{
	struct jw w = { buf, len, 0, 0 };
	uint32_t h = r->have;

	if (len == 0)
		return -1;
	jw_printf(&w, "{");
	if (r->kind == FLOW_KIND_OPTIONS)
		jw_printf(&w, "\"kind\":\"options\",");
	else if (r->kind == FLOW_KIND_COUNTERS)
		jw_printf(&w, "\"kind\":\"counters\",");
	jw_printf(&w, "\"type\":\"%s\"", flow_type_name(r->type));
	jw_addr(&w, "exporter", &r->exporter);
	if (h & FL_DOMAIN)	jw_u64(&w, "domain", r->domain);
	if (h & FL_SRC)		jw_addr(&w, "src", &r->src);
	if (h & FL_DST)		jw_addr(&w, "dst", &r->dst);
	if (h & FL_SPORT)	jw_u64(&w, "sport", r->sport);
	if (h & FL_DPORT)	jw_u64(&w, "dport", r->dport);
	if (h & FL_PROTO)	jw_u64(&w, "proto", r->proto);
	if (h & FL_TCPFLAGS)	jw_u64(&w, "tcp_flags", r->tcp_flags);
	if (h & FL_BYTES)	jw_u64(&w, "bytes", r->bytes);
	if (h & FL_PACKETS)	jw_u64(&w, "packets", r->packets);
	if (h & FL_SAMPLING)	jw_u64(&w, "sampling", r->sampling);
	if (h & FL_FIRST)	jw_u64(&w, "first", r->first);
	if (h & FL_LAST)	jw_u64(&w, "last", r->last);
	if (h & FL_INIF)	jw_u64(&w, "in_if", r->in_if);
	if (h & FL_OUTIF)	jw_u64(&w, "out_if", r->out_if);
	if (h & FL_SRCAS)	jw_u64(&w, "src_as", r->src_as);
	if (h & FL_DSTAS)	jw_u64(&w, "dst_as", r->dst_as);
	if (h & FL_VLAN)	jw_u64(&w, "vlan", r->vlan);
	if (h & FL_TOS)		jw_u64(&w, "tos", r->tos);
	/* Extra facts beyond the documented core. */
	if (h & FL_REVBYTES)	jw_u64(&w, "rev_bytes", r->rev_bytes);
	if (h & FL_REVPACKETS)	jw_u64(&w, "rev_packets", r->rev_packets);
	if (h & FL_BIFLOWDIR)	jw_u64(&w, "biflow_dir", r->biflow_dir);
	if (h & FL_DIRECTION)	jw_u64(&w, "direction", r->direction);
	if (h & FL_FWEVENT)	jw_u64(&w, "fw_event", r->fw_event);
	if (h & FL_ICMP) {
		jw_u64(&w, "icmp_type", r->icmp >> 8);
		jw_u64(&w, "icmp_code", r->icmp & 0xff);
	}
	if (h & FL_MPLS)	jw_u64(&w, "mpls", r->mpls);
	if (h & FL_SAMPLERID)	jw_u64(&w, "sampler_id", r->sampler_id);
	if (h & FL_SYSINIT)	jw_u64(&w, "sys_init", r->sys_init);
	if (h & FL_POOL) {
		jw_u64(&w, "sample_pool", r->sample_pool);
		jw_u64(&w, "drops", r->drops);
	}
	if (r->kind == FLOW_KIND_COUNTERS)
		json_ifctr(&w, &r->ctr);
	jw_printf(&w, "}");
	if (w.err)
		return -1;
	return (int)w.off;
}
