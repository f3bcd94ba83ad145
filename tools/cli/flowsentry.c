/*
 * flowsentry.c - the operator's tool: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct cmd {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*help;
};

static const struct cmd cmds[] = {
	{ "decode", cmd_decode,
	    "decode FILE.pcap  print the flow records of a capture as NDJSON" },
	{ "replay", cmd_replay,
	    "replay [--rate N] FILE.pcap HOST:PORT  send a capture's exports "
	    "to a collector" },
	{ "hosts", cmd_hosts,
	    "hosts [HOST] [--since 1h] [--json]  per-host totals and outbound "
	    "services (Redis)" },
	{ "status", cmd_status,
	    "status [--metrics HOST:PORT] [--raw]  the daemon's counters" },
	{ "detections", cmd_detections,
	    "detections [--open] [--host H] [--since 7d] [--rule NAME] [--json]"
	    "  list detections" },
	{ "show", cmd_show,
	    "show ID [--json]  one detection, and how to allow it" },
	{ "allow", cmd_allow,
	    "allow ID [--scope host|group|group:NAME|all] [--dst exact|net|asn|"
	    "country|any]\n      [--expires 30d|YYYY-MM-DD|never] --comment TEXT"
	    "  whitelist a detection" },
	{ "ack", cmd_ack,
	    "ack ID  mark a detection as seen" },
	{ "whitelist", cmd_whitelist,
	    "whitelist list [--json] | add 'WHO SERVICE WHERE EXPIRES COMMENT' "
	    "| rm ID\n      | import FILE | export  the whitelist in Redis" },
	{ "learn", cmd_learn,
	    "learn HOST [--for 7d]  learn a host's traffic (--for 0: stop)" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: flowsentry COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].help);
	fprintf(f, "\nthe Redis commands (all but decode, replay and status) "
	    "take -f CONFIG\n(default " CLI_DEFAULT_CONFIG ") and --redis "
	    "URL; see flowsentry(1)\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "flowsentry: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 1;
}
