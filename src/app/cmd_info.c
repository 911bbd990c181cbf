/* cmd_info.c - swarmplay info (placeholder until its module lands). */
#include "app/cmd.h"

int sp_cmd_info(int argc, char **argv)
{
	return sp_cmd_not_yet("info", argc, argv);
}
