/* cmd_play.c - swarmplay play (placeholder until its module lands). */
#include "app/cmd.h"

int sp_cmd_play(int argc, char **argv)
{
	return sp_cmd_not_yet("play", argc, argv);
}
