/* cmd_doctor.c - swarmplay doctor: what a user needs to know about the
 * network before watching: the listen port and whether peers outside
 * can reach it (the port mapping's result), the DHT's nodes and whether
 * its bootstrap worked, the external address the votes agree on, IPv6,
 * local peer discovery. It starts a session with no torrent (the same
 * defaults as play: DHT, port mapping; LSD with --lsd, since joining its
 * multicast groups is heard on the LAN), waits until
 * each check has an answer or --wait passes, and prints a report (or
 * --json). The environment variables of the other commands hold:
 * SWARMPLAY_DHT_BOOTSTRAP, SWARMPLAY_PORT_MAPPING=off (tests stay on
 * the machine). Main thread. */
#include "app/cmd.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/swarm_opts.h"
#include "app/i18n.h"
#include "swarmplay/swarmplay.h"

static int64_t doctor_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define DEFAULT_WAIT_S 15
/* a bootstrap with nothing in flight yet answered nothing: given up after */
#define NO_ANSWER_S 4

/* A global IPv6 address of this host (not loopback, link-local, unique
 * local or mapped), from the interfaces: no packet sent. */
static bool global_ipv6(char *out, size_t len)
{
	struct ifaddrs *ifs = NULL;
	if (getifaddrs(&ifs) < 0)
		return false;
	bool found = false;
	for (struct ifaddrs *i = ifs; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6)
			continue;
		const struct in6_addr *a = &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
		    IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_MULTICAST(a) ||
		    (a->s6_addr[0] & 0xfe) == 0xfc)
			continue;
		found = inet_ntop(AF_INET6, a, out, (socklen_t)len) != NULL;
	}
	freeifaddrs(ifs);
	return found;
}

static void usage(FILE *f)
{
	fprintf(f, "%s",
		_("Usage: swarmplay doctor [OPTIONS]\n"
		  "Check what peers and the DHT can see of this machine.\n\n"
		  "  --port N           listen port to check (default: any free one)\n"
		  "  --wait S           seconds to wait for answers at most (default 15)\n"
		  "  --dht-node H:P     also bootstrap the DHT from this node\n"
		  "  --no-dht           do not check the DHT\n"
		  "  --no-port-mapping  do not ask the router to map the port\n"
		  "  --lsd              also check local peer discovery (joins the multicast "
		  "groups)\n"
		  "  --json             the report as JSON (English, for scripts)\n"));
}

struct report {
	struct sp_network_info n;
	struct sp_reachability r;
	char reach[160], reach_en[160];
	bool have6, lsd_asked;
	char addr6[INET6_ADDRSTRLEN];
};

/* Until the port mapping has answered and the DHT has nothing in flight
 * (every query answered or timed out), or wait_s. */
static void wait_answers(struct sp_session *s, double wait_s, int nboot)
{
	int64_t start = doctor_now_us(), end = start + (int64_t)(wait_s * 1e6);
	for (;;) {
		struct sp_network_info n;
		struct sp_reachability r;
		sp_session_get_network(s, &n);
		sp_session_get_reachability(s, &r);
		int64_t now = doctor_now_us();
		bool dht_done =
		    !n.dht ||
		    (n.dht_pending == 0 && now - start >= 500000 &&
		     (n.dht_replies > 0 || !nboot || now - start >= NO_ANSWER_S * 1000000LL));
		if ((dht_done && !r.checking) || now >= end)
			return;
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
}

static void print_json(const struct report *p, const char *reach_json)
{
	const struct sp_network_info *n = &p->n;
	char id[41];
	for (int i = 0; i < 20; i++)
		snprintf(id + 2 * i, 3, "%02x", n->dht_id[i]);
	printf("{\"port\": %u, \"reachable\": %s, \"mapped\": %s, \"external4\": \"%s\", "
	       "\"external6\": \"%s\", \"dht\": %s, \"dht_nodes\": %zu, \"dht_nodes6\": %zu, "
	       "\"dht_replies\": %llu, \"dht_bootstrap_ok\": %s, \"dht_id\": \"%s\", "
	       "\"dht_id_fits\": %s, \"ipv6_address\": \"%s\", \"listen6\": %s, \"dht6\": %s, "
	       "\"lsd\": %s, \"lsd6\": %s}\n",
	       n->port, reach_json, p->r.reachable ? "true" : "false", n->external4, n->external6,
	       n->dht ? "true" : "false", n->dht_nodes4, n->dht_nodes6,
	       (unsigned long long)n->dht_replies, n->dht_replies > 0 ? "true" : "false",
	       n->dht ? id : "", n->dht_id_fits ? "true" : "false", p->have6 ? p->addr6 : "",
	       n->listen6 ? "true" : "false", n->dht6 ? "true" : "false", n->lsd ? "true" : "false",
	       n->lsd6 ? "true" : "false");
}

/* How many bootstrap nodes were given (the environment's list or the
 * routers, and --dht-node). */
static int bootstrap_count(const struct sp_swarm_opts *o)
{
	const char *env = getenv("SWARMPLAY_DHT_BOOTSTRAP");
	const char *list = env ? env : SP_SWARM_DHT_ROUTERS;
	int n = o->ndht;
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ", ");
		n += k > 0;
		p += k + (p[k] != 0);
	}
	return n;
}

static void print_dht(const struct sp_network_info *n, int nboot)
{
	if (!n->dht)
		printf(_("DHT:              off\n"));
	else if (!n->dht_replies && !nboot)
		printf(
		    _("DHT:              no bootstrap node (SWARMPLAY_DHT_BOOTSTRAP is empty)\n"));
	else if (n->dht_replies)
		printf(_("DHT:              %zu nodes (bootstrap worked)\n"),
		       n->dht_nodes4 + n->dht_nodes6);
	else
		printf(_("DHT:              no node answered: bootstrap failed (no network, or UDP "
			 "blocked)\n"));
	if (n->dht && n->external4[0])
		printf(_("DHT node id:      %s our external address (BEP 42)\n"),
		       n->dht_id_fits ? _("fits") : _("does not fit"));
}

static void print_text(const struct report *p, int nboot)
{
	const struct sp_network_info *n = &p->n;
	printf(_("Listen port:      %u (TCP for peers, UDP for the DHT)\n"), n->port);
	printf(_("From outside:     %s\n"), p->reach);
	if (n->external4[0] || n->external6[0])
		printf(_("External address: %s%s%s (as peers and DHT nodes see it)\n"),
		       n->external4, n->external4[0] && n->external6[0] ? ", " : "", n->external6);
	else
		printf(_("External address: not known yet\n"));
	print_dht(n, nboot);
	if (p->have6)
		printf(_("IPv6:             %s; listening: %s; DHT over IPv6: %zu nodes\n"),
		       p->addr6, n->listen6 ? _("yes") : _("no"), n->dht_nodes6);
	else
		printf(_("IPv6:             no global IPv6 address\n"));
	printf(_("Local discovery:  %s\n"), n->lsd && n->lsd6 ? _("IPv4 and IPv6 multicast")
					    : n->lsd	      ? _("IPv4 multicast only")
					    : n->lsd6	      ? _("IPv6 multicast only")
					    : p->lsd_asked    ? _("not available (no multicast)")
							      : _("not checked (--lsd)"));
	if (p->r.mapping_on && !p->r.reachable)
		printf(_("\nPeers outside cannot connect to you: you download from the peers that "
			 "accept connections, and upload less. Enable UPnP or NAT-PMP on your "
			 "router, or forward TCP and UDP port %u to this machine.\n"),
		       n->port);
}

int sp_cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"port", required_argument, NULL, SP_SWARM_OPT_PORT},
	    {"dht-node", required_argument, NULL, SP_SWARM_OPT_DHT_NODE},
	    {"no-dht", no_argument, NULL, SP_SWARM_OPT_NO_DHT},
	    {"no-port-mapping", no_argument, NULL, SP_SWARM_OPT_NO_PORTMAP},
	    {"lsd", no_argument, NULL, SP_SWARM_OPT_LSD},
	    {"wait", required_argument, NULL, 'w'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sp_swarm_opts o = {0};
	double wait_s = DEFAULT_WAIT_S;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return SP_EXIT_OK;
		} else if (c == 'j') {
			json = true;
		} else if (c == 'w') {
			if (sp_parse_num(optarg, 0, 600, &wait_s) < 0)
				goto bad;
		} else if (c == '?' || sp_swarm_opt_parse(&o, c, optarg) != 0) {
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	sp_swarm_prepare(&o, NULL);
	o.cfg.no_trackers = true;
	struct sp_error *err = NULL;
	struct sp_session *s = sp_session_new(&o.cfg, &err);
	if (!s) {
		fprintf(stderr, _("swarmplay: %s\n"), sp_error_msg(err));
		sp_error_free(err);
		return SP_EXIT_FAILURE;
	}
	sp_swarm_add_dht_nodes(s, &o);
	int nboot = bootstrap_count(&o);
	wait_answers(s, wait_s, nboot);
	struct report p = {0};
	sp_session_get_network(s, &p.n);
	sp_session_get_reachability(s, &p.r);
	sp_swarm_reachability(s, !json, p.reach, sizeof(p.reach));
	char reach_json[200];
	sp_swarm_reachability_json(s, reach_json, sizeof(reach_json));
	p.have6 = global_ipv6(p.addr6, sizeof(p.addr6));
	p.lsd_asked = o.cfg.lsd;
	sp_session_free(s);
	if (json)
		print_json(&p, reach_json);
	else
		print_text(&p, nboot);
	return SP_EXIT_OK;
bad:
	usage(stderr);
	return SP_EXIT_USAGE;
}
