/* main.c - the swarmplay command: dispatch to subcommands. `play` and
 * `create` load the media module (media.h) when they need it: the other
 * commands (serve included) never load FFmpeg or SDL2. Main thread. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "app/cmd.h"
#include "app/i18n.h"
#include "swarmplay/swarmplay.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand commands[] = {
	{"play", sp_cmd_play, N_("watch a .tstream, .torrent, magnet link or media file")},
	{"create", sp_cmd_create, N_("make a .tstream from a video file or directory")},
	{"info", sp_cmd_info, N_("show what a .tstream, .torrent or magnet link holds")},
	{"download", sp_cmd_download, N_("download a torrent without playing it")},
	{"seed", sp_cmd_seed, N_("check downloaded data and seed it")},
	{"serve", sp_cmd_serve, N_("stream torrents over HTTP to any player or browser")},
	{"doctor", sp_cmd_doctor, N_("check the network: reachable port, DHT, IPv6")},
	{"kiosk", sp_cmd_kiosk, N_("play a playlist in a loop, unattended (signage)")},
	{"ctl", sp_cmd_ctl, N_("control a running kiosk: status, next, pause...")},
};

static void usage(FILE *f)
{
	fprintf(f, _("Usage: swarmplay COMMAND [OPTIONS] [ARGS]\n"
		     "       swarmplay COMMAND --help\n"
		     "       swarmplay --version\n\n"
		     "Commands:\n"));
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
}

int main(int argc, char **argv)
{
	sp_i18n_init();
	if (argc < 2) {
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("swarmplay %s\n", SP_VERSION);
		return SP_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return SP_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, _("swarmplay: unknown command '%s'\n"), argv[1]);
	usage(stderr);
	return SP_EXIT_USAGE;
}
