/*
 * cli.h - the subcommands of the operator's tool, flowsentry(1).
 */
#ifndef FS_CLI_H
#define FS_CLI_H

int	cmd_decode(int argc, char **argv);
int	cmd_replay(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_hosts(int argc, char **argv);

#endif
