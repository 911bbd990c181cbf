/* cmd_seed.c - swarmplay seed SRC DIR: check the data in DIR, then seed it
 * until SIGINT/SIGTERM (or --exit-after). The driver is shared with
 * `download` (cmd_download.c). Main thread. */
#include "app/cmd.h"
#include "app/swarm_cmd.h"

int sp_cmd_seed(int argc, char **argv)
{
	return sp_cmd_swarm(argc, argv, true);
}
