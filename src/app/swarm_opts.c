/* swarm_opts.c - the swarm options shared by play, download and seed.
 * Main thread, before the session exists (parsing) and right after. */
#include "app/swarm_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/i18n.h"
#include "swarmplay/swarmplay.h"

int sp_parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -EINVAL;
	*out = v;
	return 0;
}

int sp_parse_whole(const char *s, double lo, double hi, double *out)
{
	int r = sp_parse_num(s, lo, hi, out);
	return r < 0 || *out != (double)(long long)*out ? -EINVAL : 0;
}

int sp_swarm_opt_parse(struct sp_swarm_opts *o, int c, const char *arg)
{
	double v;
	switch (c) {
	case 'd': o->dir = arg; return 0;
	case SP_SWARM_OPT_PEER:
		if (o->npeers >= SP_SWARM_MAX_ADDRS)
			return -EINVAL;
		o->peers[o->npeers++] = arg;
		return 0;
	case SP_SWARM_OPT_PORT:
		if (sp_parse_whole(arg, 0, 65535, &v) < 0)
			return -EINVAL;
		o->cfg.port = (uint16_t)v;
		return 0;
	case SP_SWARM_OPT_NOTR: o->cfg.no_trackers = true; return 0;
	case SP_SWARM_OPT_LSD: o->cfg.lsd = true; return 0;
	case SP_SWARM_OPT_DHT: return 0; /* the default now; kept for old scripts */
	case SP_SWARM_OPT_NO_DHT: o->no_dht = true; return 0;
	case SP_SWARM_OPT_NO_PORTMAP: o->no_port_mapping = true; return 0;
	case SP_SWARM_OPT_DHT_NODE:
		if (o->ndht >= SP_SWARM_MAX_ADDRS)
			return -EINVAL;
		o->dht_nodes[o->ndht++] = arg;
		return 0;
	case SP_SWARM_OPT_MAXP:
		if (sp_parse_whole(arg, 1, 10000, &v) < 0)
			return -EINVAL;
		o->cfg.max_peers_per_torrent = (int)v;
		return 0;
	case SP_SWARM_OPT_UPLIM:
		if (sp_parse_whole(arg, 0, 10000000, &v) < 0)
			return -EINVAL;
		o->cfg.upload_rate_limit = (int64_t)v * 1000;
		return 0;
	case SP_SWARM_OPT_WEBSEED:
		if (!strcmp(arg, "always"))
			o->cfg.webseed_mode = SP_WEBSEED_ALWAYS;
		else if (!strcmp(arg, "fallback"))
			o->cfg.webseed_mode = SP_WEBSEED_FALLBACK;
		else if (!strcmp(arg, "never"))
			o->cfg.webseed_mode = SP_WEBSEED_NEVER;
		else
			return -EINVAL;
		return 0;
	default: return 1;
	}
}

int sp_split_host_port(const char *arg, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon = strrchr(arg, ':');
	if (!colon || colon == arg)
		return -EINVAL;
	const char *h = arg;
	size_t hl = (size_t)(colon - arg);
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (!hl || hl >= hostlen)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	double p;
	if (sp_parse_whole(colon + 1, 1, 65535, &p) < 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* mkdir -p of path's folders (the last component is a file). */
static int make_parents(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = 0;
		int r = mkdir(path, 0700);
		*p = '/';
		if (r < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static void state_path(struct sp_swarm_opts *o)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;
	if (xdg && xdg[0] == '/')
		n = snprintf(o->state_path, sizeof(o->state_path), "%s/swarmplay/dht.dat", xdg);
	else if (home && home[0] == '/')
		n = snprintf(o->state_path, sizeof(o->state_path),
			     "%s/.local/state/swarmplay/dht.dat", home);
	else
		return;
	if (n > 0 && (size_t)n < sizeof(o->state_path) && make_parents(o->state_path) == 0)
		o->cfg.dht_state_file = o->state_path;
}

void sp_swarm_prepare(struct sp_swarm_opts *o, const struct sp_metainfo *mi)
{
	o->cfg.dht = !o->no_dht && !(mi && sp_metainfo_is_private(mi));
	if (o->cfg.dht)
		state_path(o);
	const char *pm = getenv("SWARMPLAY_PORT_MAPPING");
	o->cfg.port_mapping = !o->no_port_mapping && !(pm && !strcmp(pm, "off"));
}

static void add_dht_node(struct sp_session *s, const char *addr)
{
	char host[256];
	uint16_t port;
	if (sp_split_host_port(addr, host, sizeof(host), &port) < 0 ||
	    sp_session_add_dht_node(s, host, port) < 0)
		fprintf(stderr, _("swarmplay: cannot use DHT node %s\n"), addr);
}

void sp_swarm_add_dht_nodes(struct sp_session *s, const struct sp_swarm_opts *o)
{
	if (!o->cfg.dht)
		return;
	const char *list = getenv("SWARMPLAY_DHT_BOOTSTRAP");
	char *copy = strdup(list ? list : SP_SWARM_DHT_ROUTERS), *save = NULL;
	for (char *a = copy ? strtok_r(copy, ", ", &save) : NULL; a; a = strtok_r(NULL, ", ", &save))
		add_dht_node(s, a);
	free(copy);
	for (int i = 0; i < o->ndht; i++)
		add_dht_node(s, o->dht_nodes[i]);
}

/* English for the stats files, the user's language for people. */
__attribute__((format_arg(2))) static const char *tr(bool translate, const char *msgid)
{
	return translate ? _(msgid) : msgid;
}

void sp_swarm_reachability(struct sp_session *s, bool translate, char *out, size_t len)
{
	struct sp_reachability r;
	sp_session_get_reachability(s, &r);
	if (!r.mapping_on)
		snprintf(out, len, "%s", tr(translate, N_("port mapping off")));
	else if (r.reachable)
		snprintf(out, len, tr(translate, N_("%s:%u via %s")), r.address[0] ? r.address : "?",
			 r.port, r.method);
	else if (r.checking)
		snprintf(out, len, "%s", tr(translate, N_("checking the router")));
	else
		snprintf(out, len, tr(translate, N_("not reachable from outside: %s")),
			 !strcmp(r.why, "no gateway answered")
				 ? tr(translate, N_("no gateway answered"))
				 : r.why);
}

void sp_swarm_reachability_line(struct sp_session *s, char *out, size_t len)
{
	struct sp_reachability r;
	sp_session_get_reachability(s, &r);
	char what[200];
	sp_swarm_reachability(s, true, what, sizeof(what));
	if (!r.mapping_on)
		out[0] = 0;
	else if (r.reachable)
		snprintf(out, len, _("reachable at %s"), what);
	else
		snprintf(out, len, "%s", what);
}

void sp_swarm_reachability_json(struct sp_session *s, char *out, size_t len)
{
	char line[256];
	sp_swarm_reachability(s, false, line, sizeof(line));
	size_t n = 0;
	if (len < 3)
		return;
	out[n++] = '"';
	for (const char *p = line; *p && n + 8 < len; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, len - n, "\\%c", c);
		else if (c < 0x20)
			n += (size_t)snprintf(out + n, len - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n++] = '"';
	out[n] = 0;
}

void sp_swarm_add_peers(struct sp_torrent *t, const struct sp_swarm_opts *o)
{
	for (int i = 0; i < o->npeers; i++) {
		char host[256];
		uint16_t port;
		if (sp_split_host_port(o->peers[i], host, sizeof(host), &port) < 0 ||
		    sp_torrent_add_peer(t, host, port) < 0)
			fprintf(stderr, _("swarmplay: cannot use peer address %s\n"), o->peers[i]);
	}
}

void sp_swarm_add_initial_peers(struct sp_metainfo *mi, const struct sp_swarm_opts *o)
{
	for (int i = 0; i < o->npeers; i++) {
		char host[64]; /* what sp_metainfo_add_peer takes */
		uint16_t port;
		if (sp_split_host_port(o->peers[i], host, sizeof(host), &port) < 0) {
			fprintf(stderr, _("swarmplay: cannot use peer address %s\n"), o->peers[i]);
			continue;
		}
		if (sp_metainfo_add_peer(mi, host, port) == -ENOMEM)
			return;
	}
}

bool sp_swarm_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}
