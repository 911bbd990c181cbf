/* fuzz_tracker.c - libFuzzer target for the tracker answer parsers
 * (src/net/tracker_parse.c): HTTP announce and scrape bodies and BEP 15
 * UDP packets, all bytes a tracker chooses.
 *
 * Any input must parse or fail cleanly, and a successful parse must keep
 * the promises the tracker code relies on: the peer list under its
 * ceiling with only IPv4/IPv6 addresses and non-zero ports, messages cut
 * and free of control bytes, an error message whenever parsing fails. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "net/tracker_parse.h"

static void check_resp(const struct sp_announce_resp *r)
{
	if (r->num_peers > SP_TRACKER_MAX_PEERS || (r->num_peers && !r->peers))
		abort();
	for (size_t i = 0; i < r->num_peers; i++) {
		const struct sockaddr_storage *a = &r->peers[i].addr;
		uint16_t port = a->ss_family == AF_INET
					? ((const struct sockaddr_in *)a)->sin_port
					: ((const struct sockaddr_in6 *)a)->sin6_port;
		if ((a->ss_family != AF_INET && a->ss_family != AF_INET6) || !port)
			abort();
	}
	for (const char *m = r->failure; m && *m; m++)
		if ((unsigned char)*m < 0x20)
			abort();
	if ((r->failure && strlen(r->failure) > SP_TRACKER_MAX_MSG) ||
	    (r->warning && strlen(r->warning) > SP_TRACKER_MAX_MSG))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_announce_resp r;
	struct sp_error *err = NULL;
	if (sp_tracker_parse_announce(data, size, &r, &err) == 0)
		check_resp(&r);
	else if (!err || !err->msg[0])
		abort();
	sp_announce_resp_fini(&r);
	sp_error_free(err);

	uint8_t ih[20];
	memset(ih, 'x', sizeof(ih));
	struct sp_scrape_info sc;
	sp_tracker_parse_scrape(data, size, ih, &sc, NULL);

	if (size >= 8) {
		/* answer the transaction the packet names, so the bodies get
		 * parsed and not only the header checks */
		uint32_t tx = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 |
			      (uint32_t)data[6] << 8 | data[7];
		for (int a = SP_UDP_CONNECT; a <= SP_UDP_SCRAPE; a++) {
			struct sp_udp_resp u;
			if (sp_udp_parse(data, size, tx, (enum sp_udp_action)a, size & 1, &u,
					 NULL) == 0) {
				check_resp(&u.announce);
				sp_udp_resp_fini(&u);
			}
		}
	}
	return 0;
}
