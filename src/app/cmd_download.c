/* cmd_download.c - swarmplay download (placeholder until its module lands). */
#include "app/cmd.h"

int sp_cmd_download(int argc, char **argv)
{
	return sp_cmd_not_yet("download", argc, argv);
}
