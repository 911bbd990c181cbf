/* i18n.c - text domain setup. Any thread, called once at start. */
#include "config.h"
#include "core/i18n.h"

#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

void sp_i18n_init(void)
{
	setlocale(LC_ALL, "");
	/* SP_LOCALEDIR may be overridden so that an uninstalled build (and the
	 * tests) can find the catalogues compiled into the build tree. */
	const char *dir = getenv("SWARMPLAY_LOCALEDIR");
	if (!dir)
		dir = access(SP_LOCALEDIR, R_OK) == 0 ? SP_LOCALEDIR : SP_BUILD_LOCALEDIR;
	bindtextdomain(GETTEXT_PACKAGE, dir);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
}
