/* swarm_opts.h - the swarm options that `play`, `download` and `seed`
 * share (-d, --peer, --port, --no-tracker, --max-peers, --upload-limit,
 * --webseed, --lsd, --dht, --dht-node): one parser, one table, one way to
 * hand them to the session. Private to src/app. Main thread. */
#ifndef SP_APP_SWARM_OPTS_H
#define SP_APP_SWARM_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "swarmplay/swarmplay.h"

struct sp_metainfo;

#define SP_SWARM_MAX_ADDRS 64

struct sp_swarm_opts {
	const char *dir;
	const char *peers[SP_SWARM_MAX_ADDRS];
	int npeers;
	const char *dht_nodes[SP_SWARM_MAX_ADDRS];
	int ndht;
	struct sp_session_config cfg;
};

/* getopt_long values of the shared options; a command numbers its own
 * from SP_SWARM_OPT_END on. */
enum {
	SP_SWARM_OPT_PEER = 256,
	SP_SWARM_OPT_PORT,
	SP_SWARM_OPT_NOTR,
	SP_SWARM_OPT_MAXP,
	SP_SWARM_OPT_UPLIM,
	SP_SWARM_OPT_WEBSEED,
	SP_SWARM_OPT_LSD,
	SP_SWARM_OPT_DHT,
	SP_SWARM_OPT_DHT_NODE,
	SP_SWARM_OPT_END,
};

/* The shared entries of a `struct option` table (-d is 'd'). */
#define SP_SWARM_LONGOPTS                                                              \
	{"dir", required_argument, NULL, 'd'},                                         \
	{"peer", required_argument, NULL, SP_SWARM_OPT_PEER},                          \
	{"port", required_argument, NULL, SP_SWARM_OPT_PORT},                          \
	{"no-tracker", no_argument, NULL, SP_SWARM_OPT_NOTR},                          \
	{"max-peers", required_argument, NULL, SP_SWARM_OPT_MAXP},                     \
	{"upload-limit", required_argument, NULL, SP_SWARM_OPT_UPLIM},                 \
	{"webseed", required_argument, NULL, SP_SWARM_OPT_WEBSEED},                   \
	{"lsd", no_argument, NULL, SP_SWARM_OPT_LSD},                                  \
	{"dht", no_argument, NULL, SP_SWARM_OPT_DHT},                                  \
	{"dht-node", required_argument, NULL, SP_SWARM_OPT_DHT_NODE}

/* 0 taken, -EINVAL a bad value, 1 not a swarm option. */
int sp_swarm_opt_parse(struct sp_swarm_opts *o, int c, const char *arg);
/* A number in [lo, hi], the whole string; 0 or -EINVAL. */
int sp_parse_num(const char *s, double lo, double hi, double *out);
/* The same for a whole number: "80.5" is no port. */
int sp_parse_whole(const char *s, double lo, double hi, double *out);
/* "host:port" or "[v6]:port"; 0 or -EINVAL. */
int sp_split_host_port(const char *arg, char *host, size_t hostlen, uint16_t *port);
/* --dht-node addresses to the session (a bad one is reported, skipped). */
void sp_swarm_add_dht_nodes(struct sp_session *s, const struct sp_swarm_opts *o);
/* --peer addresses to the torrent (a bad one is reported, skipped). */
void sp_swarm_add_peers(struct sp_torrent *t, const struct sp_swarm_opts *o);
/* A magnet: --peer addresses join its x.pe peers, to fetch metadata from. */
void sp_swarm_add_initial_peers(struct sp_metainfo *mi, const struct sp_swarm_opts *o);

#endif
