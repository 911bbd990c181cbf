/* i18n.h - gettext wrappers for user-visible strings.
 *
 * Every string a user reads (errors, help, progress) goes through _() so
 * that po/ can translate it; N_() marks strings in static tables. */
#ifndef SP_I18N_H
#define SP_I18N_H

#include <libintl.h>

#define _(s) dgettext(GETTEXT_PACKAGE, s)
#define N_(s) (s)

/* Bind the text domain; call once from main(). */
void sp_i18n_init(void);

#endif
