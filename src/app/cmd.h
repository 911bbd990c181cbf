/* cmd.h - the swarmplay subcommands. Each returns an exit code:
 * 0 ok, 1 runtime failure (network, disk, decode), 2 usage error,
 * 3 bad input file (malformed metainfo, unsafe path), 4 not supported
 * (also: the media module that play and create need cannot be loaded).
 * All are in the program; play and create load the media module (media.h)
 * for the player and the duration probe. */
#ifndef SP_CMD_H
#define SP_CMD_H

enum {
	SP_EXIT_OK = 0,
	SP_EXIT_FAILURE = 1,
	SP_EXIT_USAGE = 2,
	SP_EXIT_BADINPUT = 3,
	SP_EXIT_UNSUPPORTED = 4,
};

int sp_cmd_play(int argc, char **argv);
int sp_cmd_create(int argc, char **argv);
int sp_cmd_info(int argc, char **argv);
int sp_cmd_download(int argc, char **argv);
int sp_cmd_seed(int argc, char **argv);
int sp_cmd_serve(int argc, char **argv);
int sp_cmd_doctor(int argc, char **argv); /* cmd_doctor.c */
int sp_cmd_kiosk(int argc, char **argv);
int sp_cmd_ctl(int argc, char **argv); /* cmd_ctl.c: the kiosk's client */

#endif
