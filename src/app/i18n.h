/* i18n.h - the program's _() and N_(): its strings are in the same text
 * domain ("swarmplay") as the library's, which sp_i18n_init (swarmplay.h)
 * binds. Its own header, so that src/app includes no private one. */
#ifndef SP_APP_I18N_H
#define SP_APP_I18N_H

#include <libintl.h>

#define _(s) dgettext(GETTEXT_PACKAGE, s)
#define N_(s) (s)

#endif
