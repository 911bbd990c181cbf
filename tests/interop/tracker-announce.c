/* tracker-announce.c - a test helper: announce once through sp_tracker
 * (HTTP or UDP, whatever the URL says) and print what came back, for the
 * interop scripts that drive a real opentracker.
 *
 *   tracker-announce [--stop] [--scrape] [--left N] URL INFOHASH_HEX PORT
 *
 * Prints "peer ADDR PORT" per peer, "status MSG", "error MSG",
 * "scrape SEEDERS LEECHERS DOWNLOADED"; exits 0 once the tracker answered
 * (peers or not), 1 on failure or after 15 s. --stop sends `stopped`
 * afterwards and waits for it to leave. Single thread. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/curlev.h"
#include "net/tracker.h"

struct st {
	struct event_base *base;
	int answered, failed;
	uint64_t left;
};

static void on_peers(void *arg, const struct sp_tracker_peer *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char host[INET6_ADDRSTRLEN] = "?";
		uint16_t port;
		if (p[i].addr.ss_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)&p[i].addr;
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			port = ntohs(a->sin_port);
		} else {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&p[i].addr;
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			port = ntohs(a->sin6_port);
		}
		printf("peer %s %u\n", host, port);
	}
}

static void on_status(void *arg, const char *url, const char *msg, bool is_error)
{
	struct st *s = arg;
	printf("%s %s\n", is_error ? "error" : "status", msg);
	if (is_error)
		s->failed = 1;
	else
		s->answered = 1; /* a warning or "announced": the tracker answered */
	if (s->answered || s->failed)
		event_base_loopbreak(s->base);
}

static void on_scrape(void *arg, const char *url, int64_t se, int64_t le, int64_t d)
{
	struct st *s = arg;
	printf("scrape %lld %lld %lld\n", (long long)se, (long long)le, (long long)d);
	s->answered = 1;
	event_base_loopbreak(s->base);
}

static void get_stats(void *arg, uint64_t *up, uint64_t *down, uint64_t *left)
{
	struct st *s = arg;
	*up = 0;
	*down = 0;
	*left = s->left;
}

static int unhex(const char *h, uint8_t out[20])
{
	if (strlen(h) != 40)
		return -1;
	for (int i = 0; i < 20; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void run(struct st *s, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(s->base, &tv);
	event_base_dispatch(s->base);
}

int main(int argc, char **argv)
{
	bool stop = false, scrape = false;
	struct st s = {.left = 1000};
	int i = 1;
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--stop"))
			stop = true;
		else if (!strcmp(argv[i], "--scrape"))
			scrape = true;
		else if (!strcmp(argv[i], "--left") && i + 1 < argc)
			s.left = strtoull(argv[++i], NULL, 10);
	}
	struct sp_metainfo mi;
	memset(&mi, 0, sizeof(mi));
	if (argc - i != 3 || unhex(argv[i + 1], mi.info_hash) < 0) {
		fprintf(stderr, "usage: tracker-announce [--stop] [--scrape] [--left N] URL "
				"INFOHASH_HEX PORT\n");
		return 2;
	}
	char *tier0[] = {argv[i], NULL};
	char **tiers[] = {tier0};
	mi.tiers = tiers;
	mi.num_tiers = 1;
	uint8_t pid[20];
	snprintf((char *)pid, sizeof(pid), "-SP0001-%08x", (unsigned)getpid());
	memset(pid + 16, 'x', 4);
	s.base = event_base_new();
	struct sp_curlev *curl = sp_curlev_new(s.base);
	struct sp_tracker_callbacks cb = {.ctx = &s, .on_peers = on_peers, .on_status = on_status,
					  .get_stats = get_stats, .on_scrape = on_scrape};
	struct sp_tracker *t = sp_tracker_new(s.base, curl, &mi, pid,
					      (uint16_t)atoi(argv[i + 2]), &cb);
	if (!t)
		return 1;
	if (scrape)
		sp_tracker_scrape(t);
	else
		sp_tracker_start(t);
	run(&s, 15000);
	if (stop && s.answered) {
		sp_tracker_stop(t);
		run(&s, 500);
	}
	sp_tracker_free(t);
	sp_curlev_free(curl);
	event_base_free(s.base);
	fflush(stdout);
	return s.answered && !s.failed ? 0 : 1;
}
