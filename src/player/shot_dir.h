/* shot_dir.h - the folder key s writes its screenshots into, as mpv and
 * xdg-user-dir find it: --screenshot-dir, else $XDG_PICTURES_DIR from the
 * environment, else XDG_PICTURES_DIR in $XDG_CONFIG_HOME/user-dirs.dirs
 * (~/.config without it), else the current directory. */
#ifndef SP_PLAYER_SHOT_DIR_H
#define SP_PLAYER_SHOT_DIR_H

#include <stdbool.h>
#include <stddef.h>

/* XDG_PICTURES_DIR of a user-dirs.dirs text (lines XDG_NAME="$HOME/x" or
 * "/abs/x"; # comments), $HOME replaced by home, into out. False when the
 * text has none, it is neither absolute nor under $HOME, or out is too
 * small. Pure. */
bool sp_user_dirs_pictures(const char *text, const char *home, char *out, size_t n);

/* The folder for opt (--screenshot-dir, may be NULL), from the
 * environment and the files above; "." at worst. */
void sp_shot_dir(const char *opt, char *out, size_t n);

#endif
