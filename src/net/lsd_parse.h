/* lsd_parse.h - a BEP 14 local service discovery datagram read (pure, no
 * sockets, so a unit test and a fuzz target drive it). Any thread.
 *
 * "BT-SEARCH * HTTP/1.x" then "Name: value" lines: Port (1..65535),
 * Infohash (40 hex digits; at most SP_LSD_MAX_HASHES kept, lower case),
 * cookie (ours marks our own announce; at most SP_LSD_COOKIE_MAX bytes
 * kept). Anything else is ignored; the datagram is never trusted beyond
 * "this address claims this port for these info-hashes". */
#ifndef SP_NET_LSD_PARSE_H
#define SP_NET_LSD_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define SP_LSD_MAX_DGRAM 1400
#define SP_LSD_MAX_HASHES 8
#define SP_LSD_COOKIE_MAX 63

struct sp_lsd_msg {
	uint16_t port;
	int nhashes;
	char hashes[SP_LSD_MAX_HASHES][41];
	char cookie[SP_LSD_COOKIE_MAX + 1]; /* "" if none */
};

/* 0, or -EBADMSG (not an announce, no valid port, or over the ceiling). */
int sp_lsd_parse(const char *buf, size_t len, struct sp_lsd_msg *out);

/* The SWARMPLAY_LSD environment variable (the tests'): NULL or "" is the
 * normal LSD (0); "loopback" keeps it on 127.0.0.1 (1); "loopback:PORT"
 * also multicasts and listens on PORT instead of 6771, so that tests on one
 * machine each have their own LSD (1, *port set). Anything else: -EINVAL
 * (taken as "loopback" by the caller: a test's typo never multicasts on
 * the LAN). *port is left alone unless a PORT is given. */
int sp_lsd_env_parse(const char *v, uint16_t *port);

#endif
