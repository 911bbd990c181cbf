/* banlist.c - banned hosts and IPv6 /64s (see banlist.h). Pure: no
 * socket, no clock; the caller's thread. Linear lookups: the list holds
 * at most SP_BAN_MAX entries and is read once per connection. */
#include "net/banlist.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

struct sp_host sp_host_of(const struct sockaddr *sa)
{
	struct sp_host h;
	memset(&h, 0, sizeof(h));
	if (sa && sa->sa_family == AF_INET) {
		memcpy(h.a, v4_prefix, 12);
		memcpy(h.a + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(h.a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
	return h;
}

bool sp_host_is_v4(const struct sp_host *h)
{
	return !memcmp(h->a, v4_prefix, 12);
}

bool sp_host_is_set(const struct sp_host *h)
{
	static const uint8_t zero[16];
	if (sp_host_is_v4(h))
		return memcmp(h->a + 12, zero, 4) != 0;
	return memcmp(h->a, zero, 16) != 0;
}

bool sp_host_eq(const struct sp_host *a, const struct sp_host *b)
{
	return !memcmp(a->a, b->a, 16);
}

void sp_host_str(const struct sp_host *h, char *out, size_t len)
{
	if (sp_host_is_v4(h))
		inet_ntop(AF_INET, h->a + 12, out, (socklen_t)len);
	else
		inet_ntop(AF_INET6, h->a, out, (socklen_t)len);
}

void sp_banlist_init(struct sp_banlist *b)
{
	memset(b, 0, sizeof(*b));
}

void sp_banlist_fini(struct sp_banlist *b)
{
	free(b->hosts);
	free(b->prefixes);
	memset(b, 0, sizeof(*b));
}

static bool in_prefix(const struct sp_banlist *b, const struct sp_host *h)
{
	if (sp_host_is_v4(h))
		return false;
	for (size_t i = 0; i < b->np; i++)
		if (!memcmp(b->prefixes[i].a, h->a, 8))
			return true;
	return false;
}

bool sp_banlist_has(const struct sp_banlist *b, const struct sp_host *h)
{
	if (!sp_host_is_set(h))
		return false;
	for (size_t i = 0; i < b->n; i++)
		if (sp_host_eq(&b->hosts[i], h))
			return true;
	return in_prefix(b, h);
}

static int push(struct sp_host **v, size_t *n, const struct sp_host *h)
{
	struct sp_host *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = *h;
	return 0;
}

int sp_banlist_add(struct sp_banlist *b, const struct sp_host *h)
{
	if (!sp_host_is_set(h) || sp_banlist_has(b, h) || b->n + b->np >= SP_BAN_MAX)
		return 0;
	if (push(&b->hosts, &b->n, h) < 0)
		return -ENOMEM;
	if (sp_host_is_v4(h))
		return 1;
	size_t same = 0;
	for (size_t i = 0; i < b->n; i++)
		if (!sp_host_is_v4(&b->hosts[i]) && !memcmp(b->hosts[i].a, h->a, 8))
			same++;
	if (same < SP_BAN_PREFIX_AFTER)
		return 1;
	struct sp_host p;
	memset(&p, 0, sizeof(p));
	memcpy(p.a, h->a, 8);
	return push(&b->prefixes, &b->np, &p) < 0 ? 1 : 2;
}
