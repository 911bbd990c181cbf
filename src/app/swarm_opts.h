/* swarm_opts.h - the swarm options that `play`, `download` and `seed`
 * share (-d, --peer, --port, --no-tracker, --max-peers, --upload-limit,
 * --webseed, --lsd, --no-dht, --dht-node, --no-port-mapping): one parser,
 * one table, one way to hand them to the session. Private to src/app.
 * Main thread.
 *
 * The defaults are a home network's: the DHT on (off for a private
 * torrent, BEP 27), bootstrapped from the saved table and from
 * SP_SWARM_DHT_ROUTERS, and the listen port mapped on the gateway. Two
 * environment variables replace them, and every test and benchmark sets
 * both so nothing leaves the machine: SWARMPLAY_DHT_BOOTSTRAP (a comma
 * list of HOST:PORT, empty for none) and SWARMPLAY_PORT_MAPPING=off. */
#ifndef SP_APP_SWARM_OPTS_H
#define SP_APP_SWARM_OPTS_H

#include <stdbool.h>
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
	bool no_dht, no_port_mapping;
	char state_path[4096]; /* $XDG_STATE_HOME/swarmplay/dht.dat */
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
	SP_SWARM_OPT_NO_DHT,
	SP_SWARM_OPT_NO_PORTMAP,
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
	{"dht-node", required_argument, NULL, SP_SWARM_OPT_DHT_NODE},                 \
	{"no-dht", no_argument, NULL, SP_SWARM_OPT_NO_DHT},                            \
	{"no-port-mapping", no_argument, NULL, SP_SWARM_OPT_NO_PORTMAP}

/* 0 taken, -EINVAL a bad value, 1 not a swarm option. */
int sp_swarm_opt_parse(struct sp_swarm_opts *o, int c, const char *arg);
/* A number in [lo, hi], the whole string; 0 or -EINVAL. */
int sp_parse_num(const char *s, double lo, double hi, double *out);
/* The same for a whole number: "80.5" is no port. */
int sp_parse_whole(const char *s, double lo, double hi, double *out);
/* "host:port" or "[v6]:port"; 0 or -EINVAL. */
int sp_split_host_port(const char *arg, char *host, size_t hostlen, uint16_t *port);
/* The well-known DHT routers, the default bootstrap list. */
#define SP_SWARM_DHT_ROUTERS                                                           \
	"router.bittorrent.com:6881,dht.transmissionbt.com:6881,router.utorrent.com:6881," \
	"dht.libtorrent.org:25401"
/* The session's config from the options and the environment, before
 * sp_session_new: DHT (unless --no-dht, or mi is a private torrent; mi
 * may be NULL: several or not yet known), its state file (the folder is
 * made), port mapping. */
void sp_swarm_prepare(struct sp_swarm_opts *o, const struct sp_metainfo *mi);
/* The bootstrap list (SWARMPLAY_DHT_BOOTSTRAP when set, else
 * SP_SWARM_DHT_ROUTERS), then the --dht-node addresses, to the session
 * (a bad one is reported, skipped). Nothing when the DHT is off. */
void sp_swarm_add_dht_nodes(struct sp_session *s, const struct sp_swarm_opts *o);
/* The port mapping's state in one line: "A:P via UPnP", "checking the
 * router", "not reachable from outside: no gateway answered", "port
 * mapping off"; translated for people, English (for the stats files)
 * when !translate. */
void sp_swarm_reachability(struct sp_session *s, bool translate, char *out, size_t len);
/* The line people see (the OSD's swarm lines, --progress, download and
 * seed): "reachable at A:P via UPnP", "checking the router", "not
 * reachable from outside: no gateway answered"; "" when port mapping is
 * off. Translated. */
void sp_swarm_reachability_line(struct sp_session *s, char *out, size_t len);
/* The same as a JSON string value (quotes included, escaped). */
void sp_swarm_reachability_json(struct sp_session *s, char *out, size_t len);
/* --peer addresses to the torrent (a bad one is reported, skipped). */
void sp_swarm_add_peers(struct sp_torrent *t, const struct sp_swarm_opts *o);
/* A magnet: --peer addresses join its x.pe peers, to fetch metadata from. */
void sp_swarm_add_initial_peers(struct sp_metainfo *mi, const struct sp_swarm_opts *o);
/* A numeric address on the loopback (127.0.0.0/8, ::1): what `serve` and
 * `kiosk` may listen on without --http-token. A name (even "localhost")
 * is not: it may resolve elsewhere. */
bool sp_swarm_is_loopback(const char *host);

#endif
