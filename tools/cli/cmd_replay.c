/*
 * cmd_replay.c - `flowsentry replay [--rate N] [--loop N] FILE HOST:PORT`:
 * send the UDP payloads of a capture of exports to a collector, in order.
 *
 * DESIGN
 * The capture is read with the same pcapsrc the decoder uses, so replay
 * sends exactly the datagrams `flowsentry decode` would decode.  Every
 * datagram leaves from one socket, so the collector sees one exporter (the
 * replaying host); --rate paces datagrams per second with an absolute
 * clock so the average holds however the sleeps fall.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pcapsrc.h"

struct replay {
	int		 fd;
	double		 rate;
	struct timespec	 start;
	uint64_t	 sent;
	uint64_t	 failed;
};

static void
pace(struct replay *r)
{
	struct timespec due;
	double at;

	if (r->rate <= 0)
		return;
	at = (double)r->sent / r->rate;
	due.tv_sec = r->start.tv_sec + (time_t)at;
	due.tv_nsec = r->start.tv_nsec + (long)((at - (double)(time_t)at) * 1e9);
	if (due.tv_nsec >= 1000000000L) {
		due.tv_sec++;
		due.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) ==
	    EINTR)
		;
}

static void
send_one(void *arg, const struct dec_in *in, const uint8_t *p, size_t len,
    uint64_t frame)
{
	struct replay *r = arg;

	(void)in;
	(void)frame;
	pace(r);
	if (send(r->fd, p, len, 0) == -1)
		r->failed++;
	else
		r->sent++;
}

/* "HOST:PORT" or "[V6]:PORT" to a connected UDP socket. */
static int
connect_to(const char *target)
{
	struct addrinfo hints, *res, *ai;
	char host[256];
	const char *port;
	int fd = -1, rc;

	if (target[0] == '[') {
		const char *e = strchr(target, ']');

		if (e == NULL || e[1] != ':' || (size_t)(e - target) > sizeof(host))
			return -1;
		memcpy(host, target + 1, (size_t)(e - target - 1));
		host[e - target - 1] = '\0';
		port = e + 2;
	} else {
		const char *e = strrchr(target, ':');

		if (e == NULL || (size_t)(e - target) >= sizeof(host))
			return -1;
		memcpy(host, target, (size_t)(e - target));
		host[e - target] = '\0';
		port = e + 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "flowsentry replay: %s: %s\n", target,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, SOCK_DGRAM, 0)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "loop", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay r;
	struct pcapsrc_stats ps;
	char err[512];
	long loops = 1, i;
	int ch, rc = 0;

	memset(&r, 0, sizeof(r));
	while ((ch = getopt_long(argc, argv, "r:l:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			r.rate = strtod(optarg, NULL);
			break;
		case 'l':
			loops = strtol(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: flowsentry replay [--rate "
			    "DATAGRAMS/S] [--loop N] FILE.pcap HOST:PORT\n");
			return ch == 'h' ? 0 : 1;
		}
	}
	if (argc - optind != 2 || loops < 1) {
		fprintf(stderr, "usage: flowsentry replay [--rate DATAGRAMS/S] "
		    "[--loop N] FILE.pcap HOST:PORT\n");
		return 1;
	}
	if ((r.fd = connect_to(argv[optind + 1])) == -1) {
		fprintf(stderr, "flowsentry replay: cannot reach %s\n",
		    argv[optind + 1]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &r.start);
	for (i = 0; i < loops && rc == 0; i++) {
		memset(&ps, 0, sizeof(ps));
		if (pcapsrc_read(argv[optind], send_one, &r, &ps, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "flowsentry replay: %s\n", err);
			rc = 1;
		}
	}
	close(r.fd);
	fprintf(stderr, "sent %llu datagrams, %llu failed\n",
	    (unsigned long long)r.sent, (unsigned long long)r.failed);
	return rc || r.failed ? 1 : 0;
}
