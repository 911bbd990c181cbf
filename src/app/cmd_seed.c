/* cmd_seed.c - swarmplay seed (placeholder until its module lands). */
#include "app/cmd.h"

int sp_cmd_seed(int argc, char **argv)
{
	return sp_cmd_not_yet("seed", argc, argv);
}
