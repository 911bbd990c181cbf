/* banlist.h - the addresses banned for corrupt data, IPv4 and IPv6 alike.
 *
 * A host is 16 bytes: an IPv6 address, or an IPv4 one mapped
 * (::ffff:a.b.c.d), so one list and one comparison serve both. An IPv6
 * host gets a new address in its /64 for the asking (privacy addresses,
 * a whole prefix per home), so once SP_BAN_PREFIX_AFTER addresses of one
 * /64 are banned, the whole /64 is. Never for IPv4: the first 8 bytes of
 * every mapped address are zero, and one /64 rule would ban them all.
 * At most SP_BAN_MAX entries (a liar cycling addresses cannot grow it
 * without bound); the unspecified address is never banned. Pure; the
 * caller's thread (the net thread in the session). */
#ifndef SP_BANLIST_H
#define SP_BANLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SP_BAN_MAX 4096
#define SP_BAN_PREFIX_AFTER 2

struct sp_host {
	uint8_t a[16];
};

struct sp_banlist {
	struct sp_host *hosts; /* single addresses */
	size_t n;
	struct sp_host *prefixes; /* /64s (first 8 bytes meaningful) */
	size_t np;
};

/* The host of a sockaddr (AF_INET or AF_INET6); all zero for others. */
struct sp_host sp_host_of(const struct sockaddr *sa);
bool sp_host_is_set(const struct sp_host *h);
bool sp_host_is_v4(const struct sp_host *h);
bool sp_host_eq(const struct sp_host *a, const struct sp_host *b);
/* "1.2.3.4" or "2001:db8::1"; out holds at least 46 bytes. */
void sp_host_str(const struct sp_host *h, char *out, size_t len);

void sp_banlist_init(struct sp_banlist *b);
void sp_banlist_fini(struct sp_banlist *b);
bool sp_banlist_has(const struct sp_banlist *b, const struct sp_host *h);
/* 1 newly banned (2 when its /64 now is too), 0 already banned or full or
 * unset, -ENOMEM. */
int sp_banlist_add(struct sp_banlist *b, const struct sp_host *h);

#endif
