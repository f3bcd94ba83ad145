/*
 * metrics.c - Prometheus text format over evhttp.  See metrics.h.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "cfg.h"
#include "metrics.h"

struct metrics {
	struct evhttp		*http;
	metrics_collect_fn	*fn;
	void			*arg;
};

static void
head(struct evbuffer *o, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(o, "# HELP flowsentry_%s %s\n# TYPE flowsentry_%s "
	    "%s\n", name, help, name, type);
}

static void
one(struct evbuffer *o, const char *name, const char *type, const char *help,
    uint64_t v)
{
	head(o, name, type, help);
	evbuffer_add_printf(o, "flowsentry_%s %" PRIu64 "\n", name, v);
}

struct ex_render {
	struct evbuffer	*o;
	int		 what;
};

static void
ex_line(void *arg, const struct exstat *x)
{
	struct ex_render *r = arg;
	char a[64];
	int p;

	if (x->addr.af)
		flow_addr_str(&x->addr, a, sizeof(a));
	else
		strcpy(a, "other");
	switch (r->what) {
	case 0:
	case 1:
		for (p = 0; p < EX_NPROTO; p++) {
			uint64_t v = r->what ? x->bytes[p] : x->dgrams[p];

			if (v)
				evbuffer_add_printf(r->o, "flowsentry_exporter_%s"
				    "_total{exporter=\"%s\",proto=\"%s\"} %"
				    PRIu64 "\n", r->what ? "bytes" : "datagrams",
				    a, ex_proto_name((enum ex_proto)p), v);
		}
		break;
	case 2:
		evbuffer_add_printf(r->o, "flowsentry_exporter_errors_total"
		    "{exporter=\"%s\"} %" PRIu64 "\n", a, x->errors);
		break;
	case 3:
		evbuffer_add_printf(r->o, "flowsentry_exporter_records_total"
		    "{exporter=\"%s\"} %" PRIu64 "\n", a, x->records);
		break;
	case 4:
		if (x->denied)
			evbuffer_add_printf(r->o, "flowsentry_exporter_denied_"
			    "total{exporter=\"%s\"} %" PRIu64 "\n", a,
			    x->denied);
		break;
	case 5:
		evbuffer_add_printf(r->o, "flowsentry_exporter_last_seen_"
		    "seconds{exporter=\"%s\"} %" PRIu64 ".%03u\n", a,
		    x->last_ms / 1000, (unsigned)(x->last_ms % 1000));
		break;
	}
}

/* A label value: backslash, double quote and newline escaped. */
static void
label(struct evbuffer *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(o, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(o, "\\n", 2);
		else
			evbuffer_add(o, s, 1);
	}
}

static void
render_detection(struct evbuffer *o, const struct metrics_view *v)
{
	static const struct {
		size_t off; const char *name, *type, *help;
	} sk[] = {
#define S(f, n, t, h) { offsetof(struct alert_stats, f), n, t, h }
		S(queued, "alert_queued_total", "counter",
		    "Detections handed to the sink"),
		S(delivered, "alert_delivered_total", "counter",
		    "Detections delivered"),
		S(filtered, "alert_filtered_total", "counter",
		    "Detections below the sink's min_severity"),
		S(dropped, "alert_dropped_total", "counter",
		    "Detections lost: the sink's queue was full"),
		S(failures, "alert_failures_total", "counter",
		    "Delivery attempts that failed (retried)"),
		S(spooled, "alert_spooled", "gauge",
		    "Mails waiting in the spool"),
		S(queue, "alert_queue", "gauge",
		    "Detections waiting in memory"),
#undef S
	};
	const struct detect_stats *w = &v->snap.det;
	const struct detmgr_stats *m = &v->dm;
	size_t i, j;

	one(o, "detect_records_total", "counter", "Records the rules were "
	    "run on", w->evaluated);
	one(o, "detect_matches_total", "counter", "Rule matches",
	    w->matched);
	one(o, "detect_whitelisted_total", "counter", "Rule matches the "
	    "whitelist silenced", w->whitelisted + m->whitelisted);
	one(o, "detect_hits_total", "counter", "Rules that fired",
	    w->fired);
	one(o, "detect_hits_lost_total", "counter", "Hits lost: the queue "
	    "to the manager was full", w->queue_full);
	one(o, "detect_windows", "gauge", "Threshold windows held",
	    w->state_keys);
	one(o, "detect_windows_refused_total", "counter", "Threshold windows "
	    "refused: cap reached", w->state_refused);
	one(o, "detect_implausible_total", "counter", "Records detection "
	    "left out: remote end unspecified, broadcast or multicast, or "
	    "more bytes per packet than an IP packet holds", w->implausible);
	one(o, "detect_hosts_seen", "gauge", "Local hosts the workers have "
	    "seen (their learning periods started)", w->hosts_seen);
	one(o, "detect_hosts_untracked_total", "counter", "Sightings of "
	    "local hosts not kept: the table was full (learning then starts "
	    "at the host's first learning match)", w->hosts_untracked);
	if (!v->detection)
		return;
	one(o, "detect_backlog", "gauge", "Hits waiting for the state in "
	    "Redis", m->backlog);
	one(o, "detect_backlog_dropped_total", "counter", "Hits lost while "
	    "waiting (backlog or pending detections full)",
	    m->backlog_dropped);
	one(o, "detect_suppressed_total", "counter", "Hits added to an "
	    "open detection", m->suppressed);
	one(o, "detect_learned_total", "counter", "Whitelist entries "
	    "learned", m->learned);
	one(o, "detect_learn_refused_total", "counter", "Learning refused "
	    "because the whitelist or the table of learning hosts holds its "
	    "maximum (matches alerted instead)", m->learn_refused);
	one(o, "detections_total", "counter", "Detections raised",
	    m->detections);
	one(o, "whitelist_entries", "gauge", "Whitelist entries in use",
	    m->wl_entries);
	one(o, "whitelist_reloads_total", "counter", "Whitelist rebuilds "
	    "(start, changes announced, learning)", m->wl_reloads);
	one(o, "learning_hosts", "gauge", "Hosts in their learning period",
	    m->learning_hosts);
	one(o, "detect_redis_up", "gauge", "The detection state's Redis "
	    "connection is up", m->redis_up);
	one(o, "detect_redis_errors_total", "counter", "Redis errors of the "
	    "detection state", m->redis_errors);
	for (j = 0; j < sizeof(sk) / sizeof(sk[0]); j++) {
		if (v->nsinks == 0)
			break;
		head(o, sk[j].name, sk[j].type, sk[j].help);
		for (i = 0; i < v->nsinks; i++) {
			evbuffer_add_printf(o, "flowsentry_%s{sink=\"",
			    sk[j].name);
			label(o, v->sinks[i].name);
			evbuffer_add_printf(o, "\"} %" PRIu64 "\n",
			    *(const uint64_t *)((const char *)&v->sinks[i].st +
			    sk[j].off));
		}
	}
	if (v->nsinks) {
		head(o, "alert_up", "gauge", "The sink's last delivery "
		    "succeeded");
		for (i = 0; i < v->nsinks; i++) {
			evbuffer_add(o, "flowsentry_alert_up{sink=\"", 26);
			label(o, v->sinks[i].name);
			evbuffer_add_printf(o, "\"} %d\n", v->sinks[i].st.up);
		}
	}
}

void
metrics_render(struct evbuffer *o, const struct metrics_view *v)
{
	static const struct { int what; const char *name, *type, *help; } ex[] = {
		{ 0, "exporter_datagrams_total", "counter",
		    "Datagrams received per exporter and protocol" },
		{ 1, "exporter_bytes_total", "counter",
		    "UDP payload bytes received per exporter and protocol" },
		{ 2, "exporter_errors_total", "counter",
		    "Datagrams not wholly decoded, per exporter" },
		{ 3, "exporter_records_total", "counter",
		    "Flow records decoded per exporter" },
		{ 4, "exporter_denied_total", "counter",
		    "Datagrams dropped: exporter not in the allowlist" },
		{ 5, "exporter_last_seen_seconds", "gauge",
		    "Time of the exporter's last datagram (UTC)" },
	};
	const struct ingest_stats *in = &v->snap.in;
	struct ex_render r = { o, 0 };
	size_t i;

	head(o, "build_info", "gauge", "Version of flowsentryd");
	evbuffer_add_printf(o, "flowsentry_build_info{version=\"%s\"} 1\n",
	    v->version ? v->version : "");
	one(o, "uptime_seconds", "gauge", "Seconds since start",
	    (v->now_ms - v->start_ms) / 1000);
	one(o, "workers", "gauge", "Ingest worker threads", v->workers);
	one(o, "config_reloads_total", "counter", "Configuration reloads "
	    "that took effect", v->reloads_ok);
	one(o, "config_reload_failures_total", "counter", "Configuration "
	    "reloads refused (old configuration kept)", v->reloads_failed);
	one(o, "udp_rcvbuf_bytes", "gauge", "Socket receive buffer the kernel "
	    "granted (per socket)", v->rcvbuf_got);
	one(o, "udp_datagrams_total", "counter", "Datagrams received",
	    in->datagrams);
	one(o, "udp_bytes_total", "counter", "UDP payload bytes received",
	    in->bytes);
	one(o, "udp_truncated_total", "counter", "Datagrams cut by the kernel "
	    "(MSG_TRUNC), dropped", in->truncated);
	one(o, "udp_bad_source_total", "counter", "Datagrams from an unusable "
	    "source address or port 0, dropped", in->bad_source);
	one(o, "udp_denied_total", "counter", "Datagrams from exporters not "
	    "in the allowlist, dropped", in->denied);
	one(o, "udp_receive_errors_total", "counter", "Failed recvmmsg calls",
	    in->recv_errors);
	one(o, "udp_kernel_drops_total", "counter", "Datagrams the kernel "
	    "dropped because a socket buffer was full (SO_RXQ_OVFL)",
	    in->kernel_drops);
	one(o, "udp_batches_total", "counter", "recvmmsg calls that returned "
	    "datagrams", in->batches);
	one(o, "templates", "gauge", "Templates held (all workers)",
	    v->snap.templates);
	one(o, "enrich_records_total", "counter", "Flow records enriched",
	    v->snap.enr.records);
	one(o, "enrich_transit_total", "counter", "Records with neither end in "
	    "[network] local", v->snap.enr.transit);
	one(o, "enrich_outbound_total", "counter", "Records of connections our "
	    "hosts opened", v->snap.enr.outbound);
	one(o, "enrich_inbound_total", "counter", "Records of connections "
	    "opened towards our hosts", v->snap.enr.inbound);
	one(o, "enrich_unknown_initiator_total", "counter", "Records whose "
	    "initiator could not be told", v->snap.enr.unknown_initiator);
	one(o, "enrich_scaled_saturated_total", "counter", "Counters that "
	    "saturated when scaled by the sampling rate",
	    v->snap.enr.scaled_saturated);
	one(o, "enrich_dpi_packets_total", "counter", "Sampled packets "
	    "labelled by deep inspection", v->snap.enr.dpi_packets);
	one(o, "conversations_evicted_total", "counter", "Conversations "
	    "forgotten early for room", v->snap.init.evicted);
	one(o, "agg_hosts", "gauge", "Host/bucket aggregates held for the next "
	    "flush", v->snap.agg_hosts);
	one(o, "agg_services", "gauge", "Service aggregates held for the next "
	    "flush", v->snap.agg_services);
	one(o, "agg_host_dropped_total", "counter", "Records not aggregated: "
	    "host table full (max_hosts)", v->snap.agg.host_dropped);
	one(o, "agg_service_dropped_total", "counter", "Records not aggregated "
	    "by service: table full (max_services)", v->snap.agg.svc_dropped);
	one(o, "agg_peers_dropped_total", "counter", "Sightings of remote "
	    "peers that found no room (a host's distinct peers are then a "
	    "lower bound)", v->snap.agg.peers_dropped);
	one(o, "agg_time_clamped_total", "counter", "Records bucketed by "
	    "receive time: their own time was too far off",
	    v->snap.agg.time_clamped);
	one(o, "redis_up", "gauge", "Workers connected to Redis",
	    v->snap.redis_workers_up);
	one(o, "redis_connects_total", "counter", "Connections made to Redis",
	    v->snap.redis.connects);
	one(o, "redis_connect_failures_total", "counter", "Connection attempts "
	    "that failed", v->snap.redis.connect_failures);
	one(o, "redis_disconnects_total", "counter", "Connections lost",
	    v->snap.redis.disconnects);
	one(o, "redis_flushes_total", "counter", "Aggregates written",
	    v->snap.redis.flushes);
	one(o, "redis_flushes_deferred_total", "counter", "Flushes put off "
	    "while Redis was away (aggregates kept)",
	    v->snap.redis.flushes_deferred);
	one(o, "redis_commands_total", "counter", "Commands sent",
	    v->snap.redis.commands);
	one(o, "redis_errors_total", "counter", "Error replies",
	    v->snap.redis.errors);
	one(o, "redis_lost_total", "counter", "Commands in flight when the "
	    "connection broke (their data is lost)", v->snap.redis.lost);
	one(o, "redis_pending", "gauge", "Commands awaiting a reply (queue "
	    "depth)", v->snap.redis.pending);
	render_detection(o, v);
	for (i = 0; i < dec_stat_count; i++) {
		char name[96];

		snprintf(name, sizeof(name), "decode_%s_total",
		    dec_stat_descs[i].name);
		one(o, name, "counter", dec_stat_descs[i].help,
		    *(const uint64_t *)((const char *)&v->snap.dec +
		    dec_stat_descs[i].offset));
	}
	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		head(o, ex[i].name, ex[i].type, ex[i].help);
		r.what = ex[i].what;
		exstats_foreach(&v->snap.ex, ex_line, &r);
	}
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	struct metrics_view v;
	struct evbuffer *o;
	const char *uri = evhttp_request_get_uri(req);

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET ||
	    (strcmp(uri, "/metrics") != 0 && strcmp(uri, "/") != 0)) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
		return;
	}
	if ((o = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	memset(&v, 0, sizeof(v));
	if (exstats_init(&v.snap.ex, 4 * EXSTATS_DEF_CAP) != 0) {
		evbuffer_free(o);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	m->fn(m->arg, &v);
	metrics_render(o, &v);
	exstats_free(&v.snap.ex);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, HTTP_OK, "OK", o);
	evbuffer_free(o);
}

struct metrics *
metrics_new(struct event_base *base, const char *addr,
    metrics_collect_fn *fn, void *arg, char *err, size_t errlen)
{
	struct metrics *m;
	struct cfg_listen la;
	char host[64];

	if (cfg_parse_listen(addr, &la) != 0) {
		snprintf(err, errlen, "metrics %s: not HOST:PORT", addr);
		return NULL;
	}
	flow_addr_str(&la.addr, host, sizeof(host));
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->http = evhttp_new(base)) == NULL) {
		free(m);
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->fn = fn;
	m->arg = arg;
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET);
	evhttp_set_gencb(m->http, on_request, m);
	if (evhttp_bind_socket(m->http, host, la.port) != 0) {
		snprintf(err, errlen, "metrics %s: cannot listen (in use?)",
		    addr);
		metrics_free(m);
		return NULL;
	}
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	evhttp_free(m->http);
	free(m);
}
