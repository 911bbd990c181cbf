/* swarm_cmd.h - private to src/app: `swarmplay download` and `swarmplay
 * seed` share one driver (cmd_download.c). Main thread. */
#ifndef SP_APP_SWARM_CMD_H
#define SP_APP_SWARM_CMD_H

#include <stdbool.h>

/* seed_cmd: parse `seed SRC DIR ...` instead of `download SRC ...`. */
int sp_cmd_swarm(int argc, char **argv, bool seed_cmd);

#endif
