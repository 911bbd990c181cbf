/* notyet.c - what a subcommand says before its module lands. */
#include <stdio.h>
#include <string.h>

#include "app/cmd.h"
#include "core/i18n.h"

int sp_cmd_not_yet(const char *name, int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf(_("Usage: swarmplay %s ... (not yet implemented)\n"), name);
		return SP_EXIT_OK;
	}
	fprintf(stderr, _("swarmplay %s: not yet implemented\n"), name);
	return SP_EXIT_UNSUPPORTED;
}
