/* dht_sec.c - BEP 42 ids, rotating token secrets and the answer rate
 * limit (see dht_sec.h). Pure; any thread. The arithmetic is written from
 * BEP 42's description: mask the address (the top 3 bits of the first
 * octet replaced by r), CRC-32C it, keep 21 bits. */
#include "net/dht_sec.h"

#include <string.h>

#include "core/sha1.h"

uint32_t sp_crc32c(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	return ~c;
}

bool sp_bep42_exempt(const uint8_t *ip, size_t iplen)
{
	if (iplen == 4)
		return ip[0] == 10 || ip[0] == 127 || (ip[0] == 172 && (ip[1] & 0xf0) == 16) ||
		       (ip[0] == 192 && ip[1] == 168) || (ip[0] == 169 && ip[1] == 254);
	if (iplen != 16)
		return true;
	static const uint8_t loop6[16] = {[15] = 1};
	return !memcmp(ip, loop6, 16) || (ip[0] & 0xfe) == 0xfc || /* fc00::/7 */
	       (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80);	   /* fe80::/10 */
}

/* The 32-bit CRC the first 21 bits of an id must match, for r in 0..7. */
static uint32_t prefix_crc(const uint8_t *ip, size_t iplen, unsigned r)
{
	static const uint8_t m4[4] = {0x03, 0x0f, 0x3f, 0xff};
	static const uint8_t m6[8] = {0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff};
	const uint8_t *mask = iplen == 4 ? m4 : m6;
	size_t n = iplen == 4 ? 4 : 8;
	uint8_t b[8];
	for (size_t i = 0; i < n; i++)
		b[i] = ip[i] & mask[i];
	b[0] |= (uint8_t)((r & 7) << 5);
	return sp_crc32c(b, n);
}

void sp_bep42_make(const uint8_t *ip, size_t iplen, const uint8_t rnd[18], uint8_t id[20])
{
	uint32_t crc = prefix_crc(ip, iplen, rnd[0] & 7);
	id[0] = (uint8_t)(crc >> 24);
	id[1] = (uint8_t)(crc >> 16);
	id[2] = (uint8_t)(((crc >> 8) & 0xf8) | (rnd[1] & 7));
	memcpy(id + 3, rnd + 2, 16);
	id[19] = rnd[0];
}

bool sp_bep42_ok(const uint8_t id[20], const uint8_t *ip, size_t iplen)
{
	if (sp_bep42_exempt(ip, iplen))
		return true;
	uint32_t crc = prefix_crc(ip, iplen, id[19] & 7);
	return id[0] == (uint8_t)(crc >> 24) && id[1] == (uint8_t)(crc >> 16) &&
	       (id[2] & 0xf8) == (uint8_t)((crc >> 8) & 0xf8);
}

/* ---- tokens ---- */

void sp_dht_tokens_init(struct sp_dht_tokens *t, const uint8_t secret[SP_DHT_SECRET_LEN],
			int64_t now_us)
{
	memcpy(t->cur, secret, SP_DHT_SECRET_LEN);
	memcpy(t->prev, secret, SP_DHT_SECRET_LEN);
	t->rotated_us = now_us;
}

bool sp_dht_tokens_due(const struct sp_dht_tokens *t, int64_t now_us)
{
	return now_us - t->rotated_us >= SP_DHT_SECRET_US;
}

void sp_dht_tokens_rotate(struct sp_dht_tokens *t, const uint8_t fresh[SP_DHT_SECRET_LEN],
			  int64_t now_us)
{
	memcpy(t->prev, t->cur, SP_DHT_SECRET_LEN);
	memcpy(t->cur, fresh, SP_DHT_SECRET_LEN);
	t->rotated_us = now_us;
}

static void token_with(const uint8_t secret[SP_DHT_SECRET_LEN], const uint8_t *ip, size_t iplen,
		       uint8_t out[SP_DHT_TOKEN_LEN])
{
	uint8_t buf[SP_DHT_SECRET_LEN + 16], h[20];
	if (iplen > 16)
		iplen = 16;
	memcpy(buf, secret, SP_DHT_SECRET_LEN);
	memcpy(buf + SP_DHT_SECRET_LEN, ip, iplen);
	sp_sha1(buf, SP_DHT_SECRET_LEN + iplen, h);
	memcpy(out, h, SP_DHT_TOKEN_LEN);
}

void sp_dht_token_make(const struct sp_dht_tokens *t, const uint8_t *ip, size_t iplen,
		       uint8_t out[SP_DHT_TOKEN_LEN])
{
	token_with(t->cur, ip, iplen, out);
}

bool sp_dht_token_ok(const struct sp_dht_tokens *t, const uint8_t *ip, size_t iplen,
		     const uint8_t *tok, size_t toklen)
{
	uint8_t want[SP_DHT_TOKEN_LEN];
	if (!tok || toklen != SP_DHT_TOKEN_LEN)
		return false;
	token_with(t->cur, ip, iplen, want);
	if (!memcmp(tok, want, SP_DHT_TOKEN_LEN))
		return true;
	token_with(t->prev, ip, iplen, want);
	return !memcmp(tok, want, SP_DHT_TOKEN_LEN);
}

/* ---- the rate limit ---- */

static void refill(int32_t *milli, int64_t *at_us, int64_t now_us, int32_t rate, int32_t burst)
{
	int64_t dt = now_us - *at_us;
	if (dt <= 0)
		return;
	int64_t add = dt * rate / 1000; /* rate per second, x1000 tokens */
	int64_t v = *milli + add;
	*milli = (int32_t)(v > (int64_t)burst * 1000 ? (int64_t)burst * 1000 : v);
	*at_us = now_us;
}

void sp_dht_rl_init(struct sp_dht_ratelimit *rl, int64_t now_us)
{
	memset(rl, 0, sizeof(*rl));
	rl->total_milli = SP_DHT_RL_TOTAL * 2 * 1000;
	rl->total_at_us = now_us;
}

bool sp_dht_rl_allow(struct sp_dht_ratelimit *rl, const uint8_t *ip, size_t iplen, uint16_t port,
		     int64_t now_us)
{
	if (iplen > 16)
		iplen = 16;
	if (!sp_bep42_exempt(ip, iplen))
		port = 0;
	struct sp_dht_rl_slot *s = NULL, *idlest = &rl->slot[0];
	for (int i = 0; i < SP_DHT_RL_SLOTS && !s; i++) {
		struct sp_dht_rl_slot *c = &rl->slot[i];
		if (c->iplen == iplen && c->port == port && !memcmp(c->ip, ip, iplen))
			s = c;
		else if (c->at_us < idlest->at_us)
			idlest = c;
	}
	if (!s) { /* a new address takes the slot idle the longest: full again */
		s = idlest;
		memset(s, 0, sizeof(*s));
		memcpy(s->ip, ip, iplen);
		s->iplen = (uint8_t)iplen;
		s->port = port;
		s->milli = SP_DHT_RL_PER_IP * 2 * 1000;
		s->at_us = now_us;
	}
	refill(&s->milli, &s->at_us, now_us, SP_DHT_RL_PER_IP, SP_DHT_RL_PER_IP * 2);
	refill(&rl->total_milli, &rl->total_at_us, now_us, SP_DHT_RL_TOTAL, SP_DHT_RL_TOTAL * 2);
	s->at_us = now_us; /* seen now, even when refused: a flooder stays tracked */
	if (s->milli < 1000 || rl->total_milli < 1000) {
		rl->dropped++;
		return false;
	}
	s->milli -= 1000;
	rl->total_milli -= 1000;
	return true;
}
