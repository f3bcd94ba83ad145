/*
 * flowgen - a fast generator of flow exports for benchmarks and tests, and a
 * bare recvmmsg receiver to measure what the machine can take.
 *
 *   flowgen [-p v5|v9|ipfix|sflow] [-r RATE] [-n COUNT] [-t SECONDS]
 *           [-H HOSTS] [-R PEERS] [-e EXPORTERS] [-s SEED] [-T DGRAMS]
 *           [-S RATE] [-b BATCH] [-B BYTES] [-c CPU] [-u] [-w FILE.pcap]
 *           HOST:PORT
 *   flowgen -l HOST:PORT [-t SECONDS] [-i IDLE] [-B BYTES] [-c CPU]
 *
 * DESIGN
 * Sending: a ring of datagrams is built once from the seed (the records of
 * slot k depend on the seed and k only, so every run with the same seed and
 * protocol sends the same stream whatever the rate), and sent with
 * sendmmsg in batches, paced against CLOCK_MONOTONIC so that RATE records
 * per second leave on average.  Per datagram only the header is patched:
 * sequence numbers, export time and uptime (and in sFlow each sample's
 * sequence number and sample pool).  With -u nothing repeats: data datagram
 * k is built from the seed and k just before it leaves (the ring is only
 * its buffer), so with large -H and -R every record brings hosts and peers
 * not seen before (a flood of random sources, to test memory caps).
 * Records carry IPv4 flows between HOSTS local hosts (10.0.0.0/8) and
 * PEERS remote peers (198.18.0.0/15, then 100.64.0.0/10), the traffic of
 * a hosting network: inbound requests to local services (50 %), their
 * answers (40 %), and connections local hosts open (10 %), nine in ten of
 * them to DNS, NTP and web services of a few infrastructure peers, the
 * others to any peer on web, mail, SSH, IRC, SOCKS, Tor, mining, FTP or
 * database ports (what the rules are about); TCP, UDP and ICMP.
 *
 * NetFlow v9 and IPFIX: one template datagram per exporter first, then
 * again every -T data datagrams.  sFlow v5: flow samples with a raw packet
 * header record (Ethernet, IPv4 with its checksum, TCP or UDP), up to 128
 * bytes of each sampled frame.  With -n the last datagram carries what is
 * left, so exactly COUNT records are sent.  Several exporters (-e) are
 * several sockets bound to 127.0.0.1, 127.0.0.2, ...: each with its own
 * templates and sequence numbers.  -w writes the datagrams to a pcap
 * (Ethernet/IPv4/UDP from 127.0.0.1) instead of sending them.
 *
 * At the end one JSON object on stdout: records, datagrams, templates,
 * bytes, packets (the sum of the records' packet counters), seconds, and
 * send errors.
 *
 * Receiving (-l): a socket with a large buffer (SO_RCVBUFFORCE), recvmmsg
 * of 64 datagrams, nothing else; counts datagrams and bytes and the
 * kernel's drops (SO_RXQ_OVFL).  Stops after -t seconds, after -i seconds
 * without a datagram once one came, or on SIGTERM/SIGINT, and prints one
 * JSON object.
 *
 * Loopback only: a destination or listen address that is not 127.0.0.0/8
 * or ::1 is refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

#define DGRAM_MAX	1500
#define BATCH_MAX	64
#define EXP_MAX		64
#define UPTIME0		3600000u	/* exporters "booted" an hour ago */

enum proto { P_V5, P_V9, P_IPFIX, P_SFLOW };

static const char *proto_names[] = { "v5", "v9", "ipfix", "sflow" };
/* Records (flow samples for sFlow) in a full datagram. */
static const int per_dgram[] = { 30, 30, 20, 7 };

#define V9_REC_LEN	45
#define IPFIX_REC_LEN	69
#define SFL_HDR_BYTES	128

struct slot {
	uint8_t		 buf[DGRAM_MAX];
	uint16_t	 len;
	uint16_t	 nrec;
	uint64_t	 packets;		/* sum of the records' packets */
	uint16_t	 sample_off[8];		/* sFlow: offsets of samples */
};

struct exporter {
	int		 fd;
	uint32_t	 dgrams;		/* datagrams sent, all kinds */
	uint64_t	 records;		/* data records sent */
	uint32_t	 data_since_tmpl;
	int		 tmpl_sent;
	uint32_t	 sfl_seq;		/* per sFlow data source */
};

struct opts {
	enum proto	 proto;
	double		 rate;
	uint64_t	 count;
	double		 seconds;
	uint32_t	 hosts, peers, exporters, seed, tmpl_every, sampling;
	int		 batch;
	int		 unique;		/* -u: no datagram repeats */
	int		 rcvbuf;
	int		 cpu;
	const char	*pcap;
	const char	*listen;
	double		 idle;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "flowgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- deterministic random numbers (splitmix64) ---------------------------- */

struct rng {
	uint64_t	s;
};

static uint64_t
rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
rnd_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)((rnd(r) >> 32) * n >> 32) : 0;
}

/* ---- big-endian writers ------------------------------------------------------ */

static uint8_t *
w8(uint8_t *p, uint32_t v)
{
	*p = (uint8_t)v;
	return p + 1;
}

static uint8_t *
w16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
w32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *
w64(uint8_t *p, uint64_t v)
{
	w32(p, (uint32_t)(v >> 32));
	return w32(p + 4, (uint32_t)v);
}

/* ---- one flow ------------------------------------------------------------------ */

struct flow {
	uint32_t	 src, dst, nexthop;
	uint16_t	 sport, dport;
	uint8_t		 proto, flags, tos, smask, dmask;
	uint16_t	 in_if, out_if;
	uint16_t	 src_as, dst_as;
	uint32_t	 packets, bytes;
	uint32_t	 first_ago, dur;	/* ms before export, ms long */
	uint16_t	 pktlen;		/* sFlow: the sampled packet */
};

static const uint16_t tcp_services[] = { 80, 443, 443, 443, 22, 25, 587,
	993, 3306, 8080 };
static const uint16_t udp_services[] = { 53, 53, 123, 443, 514, 161 };
/* What local hosts open: mostly the infrastructure (resolvers, time
 * servers, mirrors: the first INFRA peers), now and then anything. */
static const uint16_t infra_services[][2] = { { 17, 53 }, { 17, 53 },
	{ 17, 123 }, { 6, 443 }, { 6, 443 }, { 6, 80 } };
static const uint16_t out_services[] = { 443, 443, 443, 80, 80, 8080, 25,
	587, 22, 6667, 1080, 3333, 9001, 21, 3306, 5432 };
#define INFRA	16

static uint32_t
local_addr(uint32_t i)
{
	return 0x0a000000u | ((i + 1) & 0xffffffu);	/* 10.0.0.1 ... */
}

static uint32_t
peer_addr(uint32_t j)
{
	if (j < 131072)
		return 0xc6120000u | j;			/* 198.18.0.0/15 */
	return 0x64400000u | ((j - 131072) & 0x3fffffu);	/* 100.64/10 */
}

static void
make_flow(struct rng *r, const struct opts *o, struct flow *f)
{
	uint32_t kind = rnd_below(r, 10), p = rnd_below(r, 100);
	uint32_t local = local_addr(rnd_below(r, o->hosts));
	uint32_t peer = peer_addr(rnd_below(r, o->peers));
	uint16_t eph = (uint16_t)(32768 + rnd_below(r, 28000));
	uint16_t svc;
	uint32_t avg;

	memset(f, 0, sizeof(*f));
	f->proto = p < 80 ? 6 : p < 98 ? 17 : 1;
	if (f->proto == 6)
		svc = tcp_services[rnd_below(r, 10)];
	else
		svc = udp_services[rnd_below(r, 6)];
	if (kind < 1) {			/* 10 %: outbound, a local host opens */
		if (rnd_below(r, 10)) {
			int i = (int)rnd_below(r, 6);

			f->proto = (uint8_t)infra_services[i][0];
			svc = infra_services[i][1];
			peer = peer_addr(rnd_below(r, o->peers < INFRA ?
			    o->peers : INFRA));
		} else {
			f->proto = 6;
			svc = out_services[rnd_below(r, 16)];
		}
		f->src = local, f->dst = peer;
		f->sport = eph, f->dport = svc;
		f->flags = 0x02 | 0x10 | 0x08 | 0x01;
		f->in_if = 2, f->out_if = 1;
	} else if (kind < 6) {		/* 50 %: inbound request */
		f->src = peer, f->dst = local;
		f->sport = eph, f->dport = svc;
		f->flags = 0x02 | 0x10 | 0x08 | 0x01;
		f->in_if = 1, f->out_if = 2;
	} else {			/* 40 %: the answer */
		f->src = local, f->dst = peer;
		f->sport = svc, f->dport = eph;
		f->flags = 0x12 | 0x08 | 0x01;
		f->in_if = 2, f->out_if = 1;
	}
	if (f->proto == 1) {
		f->sport = 0;
		f->dport = (uint16_t)(rnd_below(r, 2) ? 0x0800 : 0x0000);
		f->flags = 0;
	} else if (f->proto == 17)
		f->flags = 0;
	f->packets = 1 + rnd_below(r, rnd_below(r, 8) ? 20 : 2000);
	/*
	 * A TCP record of one packet holds one segment's flags: the opener's
	 * SYN, or the answer's SYN-ACK (not the OR of a whole connection,
	 * which would make a client's lone SYN-ACK-FIN look like a server's
	 * answer).
	 */
	if (f->proto == 6 && f->packets == 1)
		f->flags = kind < 6 ? 0x02 : 0x12;
	avg = 40 + rnd_below(r, 1460);
	f->bytes = f->packets * avg;
	f->pktlen = (uint16_t)avg;
	if (f->pktlen < 60)
		f->pktlen = 60;
	f->tos = rnd_below(r, 8) ? 0 : 0x28;
	f->nexthop = 0x0a0000fe;
	f->smask = f->src == local ? 24 : 16;
	f->dmask = f->dst == local ? 24 : 16;
	f->src_as = f->src == local ? 64500 : (uint16_t)(1 + rnd_below(r, 60000));
	f->dst_as = f->dst == local ? 64500 : (uint16_t)(1 + rnd_below(r, 60000));
	f->dur = rnd_below(r, 30000);
	f->first_ago = f->dur + rnd_below(r, 5000);
}

/* ---- NetFlow v5 ---------------------------------------------------------------- */

static size_t
v5_build(struct slot *s, struct rng *r, const struct opts *o, int nrec)
{
	uint8_t *p = s->buf;
	struct flow f;
	int i;

	p = w16(p, 5);
	p = w16(p, (uint32_t)nrec);
	p += 16;			/* uptime, secs, nsecs, sequence: patched */
	p = w8(p, 0);			/* engine type */
	p = w8(p, 0);			/* engine id */
	p = w16(p, 0);			/* unsampled */
	for (i = 0; i < nrec; i++) {
		make_flow(r, o, &f);
		p = w32(p, f.src);
		p = w32(p, f.dst);
		p = w32(p, f.nexthop);
		p = w16(p, f.in_if);
		p = w16(p, f.out_if);
		p = w32(p, f.packets);
		p = w32(p, f.bytes);
		p = w32(p, UPTIME0 - f.first_ago);
		p = w32(p, UPTIME0 - f.first_ago + f.dur);
		p = w16(p, f.sport);
		p = w16(p, f.dport);
		p = w8(p, 0);
		p = w8(p, f.flags);
		p = w8(p, f.proto);
		p = w8(p, f.tos);
		p = w16(p, f.src_as);
		p = w16(p, f.dst_as);
		p = w8(p, f.smask);
		p = w8(p, f.dmask);
		p = w16(p, 0);
		s->packets += f.packets;
	}
	return (size_t)(p - s->buf);
}

/* ---- NetFlow v9 and IPFIX -------------------------------------------------------- */

/* (type, length) of the data template, id 256. */
static const uint16_t v9_fields[][2] = {
	{ 8, 4 }, { 12, 4 }, { 15, 4 }, { 7, 2 }, { 11, 2 }, { 4, 1 },
	{ 6, 1 }, { 5, 1 }, { 10, 2 }, { 14, 2 }, { 1, 4 }, { 2, 4 },
	{ 22, 4 }, { 21, 4 }, { 16, 2 }, { 17, 2 }, { 9, 1 }, { 13, 1 },
};
static const uint16_t ipfix_fields[][2] = {
	{ 8, 4 }, { 12, 4 }, { 15, 4 }, { 7, 2 }, { 11, 2 }, { 4, 1 },
	{ 6, 1 }, { 5, 1 }, { 10, 4 }, { 14, 4 }, { 1, 8 }, { 2, 8 },
	{ 152, 8 }, { 153, 8 }, { 16, 4 }, { 17, 4 }, { 9, 1 }, { 13, 1 },
};
#define NFIELDS (sizeof(v9_fields) / sizeof(v9_fields[0]))

static size_t
tmpl_build(uint8_t *buf, enum proto proto)
{
	const uint16_t (*fl)[2] = proto == P_V9 ? v9_fields : ipfix_fields;
	uint8_t *p = buf, *set;
	size_t i;

	if (proto == P_V9) {
		p = w16(p, 9);
		p = w16(p, 1);		/* one record: the template */
		p += 16;		/* uptime, secs, sequence, source id */
	} else {
		p = w16(p, 10);
		p += 14;		/* length, time, sequence, domain */
	}
	set = p;
	p = w16(p, proto == P_V9 ? 0 : 2);
	p += 2;
	p = w16(p, 256);
	p = w16(p, NFIELDS);
	for (i = 0; i < NFIELDS; i++) {
		p = w16(p, fl[i][0]);
		p = w16(p, fl[i][1]);
	}
	w16(set + 2, (uint32_t)(p - set));
	if (proto == P_IPFIX)
		w16(buf + 2, (uint32_t)(p - buf));
	return (size_t)(p - buf);
}

static size_t
nf9_build(struct slot *s, struct rng *r, const struct opts *o, int nrec,
    uint64_t base_ms)
{
	int ipfix = o->proto == P_IPFIX;
	uint8_t *p = s->buf, *set;
	struct flow f;
	int i;

	if (!ipfix) {
		p = w16(p, 9);
		p = w16(p, (uint32_t)nrec);
		p += 16;
	} else {
		p = w16(p, 10);
		p += 14;
	}
	set = p;
	p = w16(p, 256);
	p += 2;
	for (i = 0; i < nrec; i++) {
		make_flow(r, o, &f);
		p = w32(p, f.src);
		p = w32(p, f.dst);
		p = w32(p, f.nexthop);
		p = w16(p, f.sport);
		p = w16(p, f.dport);
		p = w8(p, f.proto);
		p = w8(p, f.flags);
		p = w8(p, f.tos);
		if (!ipfix) {
			p = w16(p, f.in_if);
			p = w16(p, f.out_if);
			p = w32(p, f.bytes);
			p = w32(p, f.packets);
			p = w32(p, UPTIME0 - f.first_ago);
			p = w32(p, UPTIME0 - f.first_ago + f.dur);
			p = w16(p, f.src_as);
			p = w16(p, f.dst_as);
		} else {
			p = w32(p, f.in_if);
			p = w32(p, f.out_if);
			p = w64(p, f.bytes);
			p = w64(p, f.packets);
			p = w64(p, base_ms - f.first_ago);
			p = w64(p, base_ms - f.first_ago + f.dur);
			p = w32(p, f.src_as);
			p = w32(p, f.dst_as);
		}
		p = w8(p, f.smask);
		p = w8(p, f.dmask);
		s->packets += f.packets;
	}
	while ((p - set) % 4)
		*p++ = 0;		/* set padding */
	w16(set + 2, (uint32_t)(p - set));
	if (ipfix)
		w16(s->buf + 2, (uint32_t)(p - s->buf));
	return (size_t)(p - s->buf);
}

/* ---- sFlow v5 --------------------------------------------------------------------- */

static uint16_t
ip_cksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The first bytes of the sampled Ethernet frame; returns how many. */
static size_t
frame_build(uint8_t *h, const struct flow *f, uint32_t *frame_len)
{
	static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint32_t l4 = f->proto == 6 ? 20 : 8;
	uint32_t iplen = f->pktlen;
	uint8_t *p = h, *ip;
	size_t caplen;

	int syn = f->proto == 6 && (f->flags & 0x02) && f->packets == 1;

	if (syn || iplen < 20 + l4)
		iplen = 20 + l4;	/* a SYN or SYN-ACK carries no data */
	*frame_len = 14 + iplen + 4;	/* FCS, stripped below */
	memset(h, 0, SFL_HDR_BYTES);
	memcpy(p, mac_a, 6);
	memcpy(p + 6, mac_b, 6);
	p = w16(p + 12, 0x0800);
	ip = p;
	p = w8(p, 0x45);
	p = w8(p, f->tos);
	p = w16(p, iplen);
	p = w16(p, f->sport ^ f->dport);
	p = w16(p, 0x4000);		/* DF */
	p = w8(p, 64);
	p = w8(p, f->proto);
	p = w16(p, 0);
	p = w32(p, f->src);
	p = w32(p, f->dst);
	w16(ip + 10, ip_cksum(ip, 20));
	if (f->proto == 6) {
		p = w16(p, f->sport);
		p = w16(p, f->dport);
		p = w32(p, f->bytes);	/* sequence */
		p = w32(p, syn && !(f->flags & 0x10) ? 0 : syn ? 1 :
		    f->packets);
		p = w8(p, 0x50);
		p = w8(p, !syn ? 0x18 : (f->flags & 0x12) == 0x12 ? 0x12 :
		    0x02);
		p = w16(p, 65535);
		p = w16(p, 0);		/* checksum: the frame is cut */
		p = w16(p, 0);
	} else if (f->proto == 17) {
		p = w16(p, f->sport);
		p = w16(p, f->dport);
		p = w16(p, iplen - 20);
		p = w16(p, 0);		/* no checksum */
	} else {
		p = w8(p, 8);		/* echo request */
		p = w8(p, 0);
		p = w16(p, 0);
		p = w32(p, f->bytes);
	}
	caplen = 14 + iplen;
	if (caplen > SFL_HDR_BYTES)
		caplen = SFL_HDR_BYTES;
	return caplen;
}

static size_t
sfl_build(struct slot *s, struct rng *r, const struct opts *o, int nrec)
{
	uint8_t *p = s->buf, *sample, hdr[SFL_HDR_BYTES];
	struct flow f;
	uint32_t frame_len;
	size_t caplen, padded;
	int i;

	p = w32(p, 5);
	p = w32(p, 1);			/* agent address: IPv4 */
	p = w32(p, 0x7f000001);
	p = w32(p, 0);			/* sub agent */
	p += 8;				/* sequence, uptime: patched */
	p = w32(p, (uint32_t)nrec);
	for (i = 0; i < nrec; i++) {
		make_flow(r, o, &f);
		caplen = frame_build(hdr, &f, &frame_len);
		padded = (caplen + 3) & ~(size_t)3;
		s->sample_off[i] = (uint16_t)(p - s->buf);
		p = w32(p, 1);		/* flow sample, enterprise 0 */
		sample = p;
		p += 4;
		p += 4;			/* sequence: patched */
		p = w32(p, f.in_if);	/* source id: ifIndex */
		p = w32(p, o->sampling);
		p += 4;			/* sample pool: patched */
		p = w32(p, 0);		/* drops */
		p = w32(p, f.in_if);
		p = w32(p, f.out_if);
		p = w32(p, 1);		/* one record */
		p = w32(p, 1);		/* raw packet header */
		p = w32(p, 16 + (uint32_t)padded);
		p = w32(p, 1);		/* Ethernet */
		p = w32(p, frame_len);
		p = w32(p, 4);		/* FCS stripped */
		p = w32(p, (uint32_t)caplen);
		memcpy(p, hdr, caplen);
		memset(p + caplen, 0, padded - caplen);
		p += padded;
		w32(sample, (uint32_t)(p - sample - 4));
		s->packets += 1;
	}
	return (size_t)(p - s->buf);
}

/* ---- the ring -------------------------------------------------------------------- */

static void
slot_build(struct slot *s, const struct opts *o, uint64_t k, int nrec,
    uint64_t base_ms)
{
	struct rng r = { ((uint64_t)o->seed << 32) ^ (k * 0x2545f4914f6cdd1dull)
	    ^ (uint64_t)o->proto };
	size_t len = 0;

	s->packets = 0;
	s->nrec = (uint16_t)nrec;
	switch (o->proto) {
	case P_V5:
		len = v5_build(s, &r, o, nrec);
		break;
	case P_V9:
	case P_IPFIX:
		len = nf9_build(s, &r, o, nrec, base_ms);
		break;
	case P_SFLOW:
		len = sfl_build(s, &r, o, nrec);
		break;
	}
	s->len = (uint16_t)len;
}

/* Sequence numbers, times and ids of one datagram about to leave. */
static void
patch(uint8_t *b, size_t len, const struct slot *s, enum proto proto,
    struct exporter *x, uint32_t xid, uint32_t uptime, uint64_t ms,
    int is_tmpl, uint32_t sampling)
{
	int i;

	(void)len;
	switch (proto) {
	case P_V5:
		w32(b + 4, uptime);
		w32(b + 8, (uint32_t)(ms / 1000));
		w32(b + 12, (uint32_t)(ms % 1000) * 1000000u);
		w32(b + 16, (uint32_t)x->records);
		w8(b + 21, xid);		/* engine id */
		break;
	case P_V9:
		w32(b + 4, uptime);
		w32(b + 8, (uint32_t)(ms / 1000));
		w32(b + 12, x->dgrams);
		w32(b + 16, xid);		/* source id */
		break;
	case P_IPFIX:
		w32(b + 4, (uint32_t)(ms / 1000));
		w32(b + 8, (uint32_t)x->records);
		w32(b + 12, xid);		/* observation domain */
		break;
	case P_SFLOW:
		w32(b + 8, 0x7f000001u + xid);	/* agent address */
		w32(b + 16, x->dgrams);
		w32(b + 20, uptime);
		if (is_tmpl)
			break;
		for (i = 0; i < s->nrec; i++) {
			uint8_t *sm = b + s->sample_off[i];

			x->sfl_seq++;
			w32(sm + 8, x->sfl_seq);
			w32(sm + 20, x->sfl_seq * sampling);
		}
		break;
	}
}

/* ---- pcap output ----------------------------------------------------------------- */

static void
pcap_write(FILE *fp, const uint8_t *d, size_t len, uint32_t src, uint16_t sport,
    uint16_t dport, uint64_t ms)
{
	uint8_t h[16 + 14 + 20 + 8], *p = h, *ip;
	uint32_t sec = (uint32_t)(ms / 1000), usec = (uint32_t)(ms % 1000) * 1000;
	uint32_t caplen = (uint32_t)(14 + 20 + 8 + len);

	/* Record header, little-endian like the file header. */
	memcpy(p, &sec, 4);
	memcpy(p + 4, &usec, 4);
	memcpy(p + 8, &caplen, 4);
	memcpy(p + 12, &caplen, 4);
	p += 16;
	memset(p, 0, 12);
	p[5] = 1, p[11] = 2;
	p = w16(p + 12, 0x0800);
	ip = p;
	p = w8(p, 0x45);
	p = w8(p, 0);
	p = w16(p, (uint32_t)(20 + 8 + len));
	p = w16(p, 0);
	p = w16(p, 0x4000);
	p = w8(p, 64);
	p = w8(p, 17);
	p = w16(p, 0);
	p = w32(p, src);
	p = w32(p, 0x7f000001);
	w16(ip + 10, ip_cksum(ip, 20));
	p = w16(p, sport);
	p = w16(p, dport);
	p = w16(p, (uint32_t)(8 + len));
	p = w16(p, 0);
	fwrite(h, 1, sizeof(h), fp);
	fwrite(d, 1, len, fp);
}

/* ---- addresses ----------------------------------------------------------------------- */

static int
parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[64];
	const char *colon;
	size_t n;
	long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		n = (size_t)(rb - s - 1);
		colon = rb + 1;
		if (n >= sizeof(host))
			return -1;
		memcpy(host, s + 1, n);
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		n = (size_t)(colon - s);
		if (n >= sizeof(host))
			return -1;
		memcpy(host, s, n);
	}
	host[n] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return -1;
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1 ||
		    !IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			return -1;
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1 ||
		    (ntohl(a->sin_addr.s_addr) >> 24) != 127)
			return -1;
		*sl = sizeof(*a);
	}
	return 0;
}

static void
pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("flowgen: sched_setaffinity");
}

/* ---- receiving --------------------------------------------------------------------- */

static int
recv_main(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	static uint8_t bufs[BATCH_MAX][2048];
	struct mmsghdr mm[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	char ctl[BATCH_MAX][CMSG_SPACE(sizeof(uint32_t))];
	struct timeval tv = { 0, 100000 };
	uint64_t dgrams = 0, bytes = 0, calls = 0;
	uint32_t ovfl = 0;
	double t0, first = 0, last = 0, now;
	int fd, one = 1, got = 0, i, n;
	socklen_t gl = sizeof(got);

	if (parse_addr(o->listen, &ss, &sl) != 0)
		die("%s: not a loopback HOST:PORT", o->listen);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &o->rcvbuf,
	    sizeof(o->rcvbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf,
		    sizeof(o->rcvbuf));
	(void)getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl);
	(void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1)
		die("bind: %s", strerror(errno));
	pin_cpu(o->cpu);
	fprintf(stderr, "flowgen: listening on %s\n", o->listen);
	t0 = now_s();
	while (!stop) {
		for (i = 0; i < BATCH_MAX; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = ctl[i];
			mm[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		n = recvmmsg(fd, mm, BATCH_MAX, MSG_WAITFORONE, NULL);
		now = now_s();
		if (n > 0) {
			struct cmsghdr *cm;

			calls++;
			if (!dgrams)
				first = now;
			last = now;
			dgrams += (uint64_t)n;
			for (i = 0; i < n; i++)
				bytes += mm[i].msg_len;
			cm = CMSG_FIRSTHDR(&mm[n - 1].msg_hdr);
			for (; cm; cm = CMSG_NXTHDR(&mm[n - 1].msg_hdr, cm))
				if (cm->cmsg_level == SOL_SOCKET &&
				    cm->cmsg_type == SO_RXQ_OVFL)
					memcpy(&ovfl, CMSG_DATA(cm), 4);
		} else if (n == -1 && errno != EAGAIN && errno != EINTR &&
		    errno != EWOULDBLOCK)
			die("recvmmsg: %s", strerror(errno));
		if (o->seconds > 0 && now - t0 >= o->seconds)
			break;
		if (o->idle > 0 && dgrams && now - last >= o->idle)
			break;
	}
	printf("{\"datagrams\": %" PRIu64 ", \"bytes\": %" PRIu64
	    ", \"calls\": %" PRIu64 ", \"kernel_drops\": %u, \"rcvbuf\": %d"
	    ", \"seconds\": %.6f}\n", dgrams, bytes, calls, ovfl, got / 2,
	    dgrams ? last - first : 0.0);
	close(fd);
	return 0;
}

/* ---- sending ----------------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: flowgen [-p v5|v9|ipfix|sflow] [-r RATE] [-n COUNT] "
	    "[-t SECONDS]\n"
	    "               [-H HOSTS] [-R PEERS] [-e EXPORTERS] [-s SEED] "
	    "[-T DGRAMS]\n"
	    "               [-S SAMPLING] [-b BATCH] [-c CPU] [-u] "
	    "[-w FILE.pcap] HOST:PORT\n"
	    "       flowgen -l HOST:PORT [-t SECONDS] [-i IDLE] [-B BYTES] "
	    "[-c CPU]\n"
	    "  -p  protocol (v5)              -r  records/s, 0 = flat out (0)\n"
	    "  -n  records, 0 = until -t (0)  -t  seconds at most (0 = none)\n"
	    "  -H  local hosts (1000)         -R  remote peers (10000)\n"
	    "  -e  exporters 127.0.0.1.. (1)  -s  seed (1)\n"
	    "  -T  template every N data datagrams, v9/IPFIX (1000)\n"
	    "  -S  sFlow sampling rate (1000) -b  datagrams per sendmmsg (32)\n"
	    "  -c  pin to this CPU            -w  write a pcap, send nothing\n"
	    "  -u  every datagram new (no repeating ring): random sources\n"
	    "  -l  receive only: count datagrams (recvmmsg), print JSON\n"
	    "  -i  receive: stop after this many idle seconds\n"
	    "  -B  receive buffer bytes (33554432)\n");
	exit(2);
}

static double
num(const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || end == s || v < lo || v > hi)
		die("bad number: %s", s);
	return v;
}

int
main(int argc, char **argv)
{
	struct opts o = { .proto = P_V5, .hosts = 1000, .peers = 10000,
	    .exporters = 1, .seed = 1, .tmpl_every = 1000, .sampling = 1000,
	    .batch = 32, .rcvbuf = 33554432, .cpu = -1 };
	struct sockaddr_storage dst;
	socklen_t dl;
	struct exporter xs[EXP_MAX];
	struct slot *ring, last_slot, tmpl_slot;
	struct mmsghdr mm[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	static uint8_t out[BATCH_MAX][DGRAM_MAX];
	uint64_t nslots, k = 0, records = 0, dgrams = 0, tmpls = 0, bytes = 0,
	    packets = 0, errors = 0, base_ms;
	double t0, t, elapsed;
	size_t tlen = 0;
	FILE *pcap = NULL;
	int ch, per, i, xi = 0;
	uint32_t x;

	while ((ch = getopt(argc, argv, "p:r:n:t:H:R:e:s:T:S:b:B:c:uw:l:i:h"))
	    != -1) {
		switch (ch) {
		case 'p':
			for (i = 0; i < 4; i++)
				if (strcmp(optarg, proto_names[i]) == 0)
					break;
			if (i == 4 && strcmp(optarg, "netflow5") == 0)
				i = 0;
			if (i == 4)
				die("unknown protocol %s (v5 v9 ipfix sflow)",
				    optarg);
			o.proto = (enum proto)i;
			break;
		case 'r': o.rate = num(optarg, 0, 1e9); break;
		case 'n': o.count = (uint64_t)num(optarg, 0, 1e15); break;
		case 't': o.seconds = num(optarg, 0, 1e7); break;
		case 'H': o.hosts = (uint32_t)num(optarg, 1, 16000000); break;
		case 'R': o.peers = (uint32_t)num(optarg, 1, 4000000); break;
		case 'e': o.exporters = (uint32_t)num(optarg, 1, EXP_MAX); break;
		case 's': o.seed = (uint32_t)num(optarg, 0, 4294967295.0); break;
		case 'T': o.tmpl_every = (uint32_t)num(optarg, 1, 1e9); break;
		case 'S': o.sampling = (uint32_t)num(optarg, 1, 1e9); break;
		case 'b': o.batch = (int)num(optarg, 1, BATCH_MAX); break;
		case 'B': o.rcvbuf = (int)num(optarg, 4096, 1 << 30); break;
		case 'c': o.cpu = (int)num(optarg, 0, 1023); break;
		case 'u': o.unique = 1; break;
		case 'w': o.pcap = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'i': o.idle = num(optarg, 0, 1e7); break;
		default: usage();
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (o.listen)
		return recv_main(&o);
	if (optind != argc - 1)
		usage();
	if (parse_addr(argv[optind], &dst, &dl) != 0)
		die("%s: not a loopback HOST:PORT", argv[optind]);
	if (o.exporters > 1 && dst.ss_family != AF_INET)
		die("%s", "several exporters need an IPv4 destination");
	if (o.count == 0 && o.seconds == 0 && o.pcap)
		die("%s", "-w needs -n or -t");

	/* The ring: enough for a few seconds of distinct records. */
	per = per_dgram[o.proto];
	nslots = 4096;
	if (o.count && (o.count + (uint64_t)per - 1) / (uint64_t)per < nslots)
		nslots = (o.count + (uint64_t)per - 1) / (uint64_t)per;
	if ((ring = calloc(nslots, sizeof(*ring))) == NULL)
		die("%s", "out of memory");
	base_ms = wall_ms();
	for (k = 0; k < nslots; k++)
		slot_build(&ring[k], &o, k, per, base_ms);
	if (o.proto == P_V9 || o.proto == P_IPFIX)
		tlen = tmpl_build(tmpl_slot.buf, o.proto);
	tmpl_slot.nrec = 0;

	memset(xs, 0, sizeof(xs));
	for (x = 0; x < o.exporters; x++) {
		xs[x].fd = -1;
		if (o.pcap)
			continue;
		xs[x].fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (xs[x].fd == -1)
			die("socket: %s", strerror(errno));
		if (o.exporters > 1) {
			struct sockaddr_in a;

			memset(&a, 0, sizeof(a));
			a.sin_family = AF_INET;
			a.sin_addr.s_addr = htonl(0x7f000001u + x);
			if (bind(xs[x].fd, (struct sockaddr *)&a,
			    sizeof(a)) == -1)
				die("bind: %s", strerror(errno));
		}
		if (connect(xs[x].fd, (struct sockaddr *)&dst, dl) == -1)
			die("connect: %s", strerror(errno));
		{
			int sb = 4 << 20;

			(void)setsockopt(xs[x].fd, SOL_SOCKET, SO_SNDBUFFORCE,
			    &sb, sizeof(sb));
		}
	}
	if (o.pcap) {
		static const uint32_t fh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0,
		    65535, 1 };

		if ((pcap = fopen(o.pcap, "wb")) == NULL)
			die("%s: cannot write", o.pcap);
		fwrite(fh, 4, 6, pcap);
	}
	pin_cpu(o.cpu);

	t0 = now_s();
	k = 0;
	while (!stop) {
		int nb = 0, want = o.batch;
		uint32_t uptime;
		uint64_t ms;

		t = now_s();
		elapsed = t - t0;
		if (o.seconds > 0 && elapsed >= o.seconds)
			break;
		if (o.count && records >= o.count)
			break;
		if (o.rate > 0) {
			/* Due time of the next record; sleep until then. */
			double due = (double)records / o.rate;
			double dps = o.rate / per;

			if (due > elapsed) {
				struct timespec ts;
				double d = due - elapsed;

				ts.tv_sec = (time_t)d;
				ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
				nanosleep(&ts, NULL);
				continue;
			}
			/* About a millisecond's worth per call. */
			want = (int)(dps / 1000);
			if (want < 1)
				want = 1;
			if (want > o.batch)
				want = o.batch;
		}
		ms = wall_ms();
		uptime = UPTIME0 + (uint32_t)(elapsed * 1000);
		while (nb < want) {
			struct exporter *e = &xs[xi];
			const struct slot *s;
			uint8_t *b = out[nb];
			int is_tmpl = 0;

			if (tlen && (!e->tmpl_sent ||
			    e->data_since_tmpl >= o.tmpl_every)) {
				memcpy(b, tmpl_slot.buf, tlen);
				iov[nb].iov_len = tlen;
				e->tmpl_sent = 1;
				e->data_since_tmpl = 0;
				is_tmpl = 1;
				s = &tmpl_slot;
			} else {
				uint64_t left = o.count ? o.count - records : 0;
				uint64_t id = o.unique ? k : k % nslots;

				if (o.count && left == 0)
					break;
				if (o.count && left < (uint64_t)per) {
					slot_build(&last_slot, &o, id,
					    (int)left, base_ms);
					s = &last_slot;
				} else {
					s = &ring[k % nslots];
					if (id >= nslots)
						slot_build(&ring[k % nslots],
						    &o, id, per, base_ms);
				}
				k++;
				memcpy(b, s->buf, s->len);
				iov[nb].iov_len = s->len;
				e->data_since_tmpl++;
			}
			patch(b, iov[nb].iov_len, s, o.proto, e, xi, uptime, ms,
			    is_tmpl, o.sampling);
			e->dgrams++;
			if (!is_tmpl) {
				e->records += s->nrec;
				records += s->nrec;
				packets += s->packets;
			} else
				tmpls++;
			iov[nb].iov_base = b;
			memset(&mm[nb].msg_hdr, 0, sizeof(mm[nb].msg_hdr));
			mm[nb].msg_hdr.msg_iov = &iov[nb];
			mm[nb].msg_hdr.msg_iovlen = 1;
			nb++;
		}
		if (nb == 0)
			break;
		if (pcap) {
			for (i = 0; i < nb; i++)
				pcap_write(pcap, iov[i].iov_base, iov[i].iov_len,
				    0x7f000001u + (uint32_t)xi, 40000 + xi,
				    ntohs(((struct sockaddr_in *)&dst)->sin_port),
				    ms);
			dgrams += (uint64_t)nb;
			for (i = 0; i < nb; i++)
				bytes += iov[i].iov_len;
		} else {
			int sent = 0;

			while (sent < nb) {
				int r = sendmmsg(xs[xi].fd, mm + sent,
				    (unsigned)(nb - sent), 0);

				if (r == -1) {
					if (errno == EINTR && !stop)
						continue;
					if (errno == EAGAIN || errno == ENOBUFS ||
					    errno == ECONNREFUSED) {
						/* Lost: the receiver is gone
						 * or the queue is full. */
						errors++;
						sent++;
						continue;
					}
					die("sendmmsg: %s", strerror(errno));
				}
				for (i = sent; i < sent + r; i++)
					bytes += iov[i].iov_len;
				sent += r;
				dgrams += (uint64_t)r;
			}
		}
		xi = (int)((uint32_t)(xi + 1) % o.exporters);
	}
	elapsed = now_s() - t0;
	if (pcap)
		fclose(pcap);
	printf("{\"proto\": \"%s\", \"records\": %" PRIu64 ", \"datagrams\": %"
	    PRIu64 ", \"templates\": %" PRIu64 ", \"bytes\": %" PRIu64
	    ", \"packets\": %" PRIu64 ", \"seconds\": %.6f, \"rate\": %.0f"
	    ", \"send_errors\": %" PRIu64 "}\n", proto_names[o.proto], records,
	    dgrams, tmpls, bytes, packets, elapsed,
	    elapsed > 0 ? (double)records / elapsed : 0.0, errors);
	for (x = 0; x < o.exporters; x++)
		if (xs[x].fd != -1)
			close(xs[x].fd);
	free(ring);
	return 0;
}
