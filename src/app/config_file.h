/* config_file.h - the play command's configuration file, as mpv's:
 * $XDG_CONFIG_HOME/swarmplay/swarmplay.conf (~/.config/swarmplay/... without
 * it), one option a line, "name=value" or "name" alone for a flag, the
 * names of the command line without their "--"; blank lines and lines
 * starting with '#' are skipped. The file's options go before the command
 * line's, so the command line wins; --no-config on the command line
 * skips the file. Main thread. */
#ifndef SP_APP_CONFIG_FILE_H
#define SP_APP_CONFIG_FILE_H

/* *argv becomes argv[0], the file's options as "--name=value", then the
 * rest of *argv; returns the new argc. No file (or one that cannot be
 * read), or --no-config among the arguments: argc and *argv as they
 * were. The new vector lives until exit. A line that is no option is a
 * warning and is left out. */
int sp_config_file_prepend(int argc, char ***argv);

#endif
