/*
 * cmd_decode.c - `flowsentry decode FILE`: the records of a capture of
 * exports as NDJSON, through the same dispatcher the daemon uses.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decode.h"
#include "flow.h"
#include "pcapsrc.h"

struct dec_out {
	struct dec_ctx	ctx;
	uint64_t	frame;
	int		all;
	int		with_frame;
};

static void
print_rec(void *arg, const struct flow_rec *r)
{
	struct dec_out *o = arg;
	char buf[FLOW_JSON_MAX];
	int n;

	if (r->kind != FLOW_KIND_FLOW && !o->all)
		return;
	if ((n = flow_json(r, buf, sizeof(buf))) < 0)
		return;
	if (o->with_frame) {
		/* Put the frame number first: {"frame":N,... */
		printf("{\"frame\":%" PRIu64 ",%s\n", o->frame, buf + 1);
	} else {
		fwrite(buf, 1, (size_t)n, stdout);
		putchar('\n');
	}
}

static void
on_datagram(void *arg, const struct dec_in *in, const uint8_t *payload,
    size_t len, uint64_t frame)
{
	struct dec_out *o = arg;

	o->frame = frame;
	(void)dec_datagram(&o->ctx, in, payload, len);
}

static void
print_stats(const struct dec_stats *st, const struct pcapsrc_stats *ps)
{
	size_t i;

	fprintf(stderr, "frames %" PRIu64 "\nudp_datagrams %" PRIu64
	    "\nnot_udp %" PRIu64 "\nip_fragments %" PRIu64
	    "\ntruncated_frames %" PRIu64 "\nbad_frames %" PRIu64 "\n",
	    ps->frames, ps->udp, ps->not_udp, ps->fragments, ps->truncated,
	    ps->bad_frame);
	for (i = 0; i < dec_stat_count; i++)
		fprintf(stderr, "%s %" PRIu64 "\n", dec_stat_descs[i].name,
		    *(const uint64_t *)((const char *)st +
		    dec_stat_descs[i].offset));
}

static void
decode_usage(FILE *f)
{
	fprintf(f, "usage: flowsentry decode [--all] [--stats] [--frame] "
	    "FILE.pcap\n"
	    "  --all    also print options records and counter samples\n"
	    "  --stats  print the decoder counters to stderr at the end\n"
	    "  --frame  add the capture frame number to each record\n");
}

int
cmd_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "stats", no_argument, NULL, 's' },
		{ "frame", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char obuf[1 << 16];
	struct pcapsrc_stats ps;
	struct dec_out *o;
	char err[512];
	int c, stats = 0, rc;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return 1;
	while ((c = getopt_long(argc, argv, "asfh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->all = 1;
			break;
		case 's':
			stats = 1;
			break;
		case 'f':
			o->with_frame = 1;
			break;
		case 'h':
			decode_usage(stdout);
			free(o);
			return 0;
		default:
			decode_usage(stderr);
			free(o);
			return 1;
		}
	}
	if (optind != argc - 1) {
		decode_usage(stderr);
		free(o);
		return 1;
	}
	if (dec_init(&o->ctx, NULL, print_rec, o) < 0) {
		fprintf(stderr, "flowsentry: out of memory\n");
		free(o);
		return 1;
	}
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	rc = pcapsrc_read(argv[optind], on_datagram, o, &ps, err, sizeof(err));
	fflush(stdout);
	if (rc == -2)
		fprintf(stderr, "flowsentry: warning: %s\n", err);
	else if (rc < 0)
		fprintf(stderr, "flowsentry: %s\n", err);
	if (stats && rc != -1)
		print_stats(&o->ctx.st, &ps);
	dec_free(&o->ctx);
	free(o);
	return rc == -1 ? 1 : 0;
}
