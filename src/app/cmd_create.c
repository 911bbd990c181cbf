/* cmd_create.c - swarmplay create (placeholder until its module lands). */
#include "app/cmd.h"

int sp_cmd_create(int argc, char **argv)
{
	return sp_cmd_not_yet("create", argc, argv);
}
