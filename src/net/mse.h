/* mse.h - Message Stream Encryption (the "PE/MSE"
 * handshake of Vuze and libtorrent): a peer that opens with a
 * Diffie-Hellman key instead of "\x13BitTorrent protocol" is answered, its
 * torrent found from the obfuscated info-hash, and its encrypted initial
 * payload (the BitTorrent handshake) handed back in plain text.
 *
 * For what follows the handshake we select plaintext (crypto_select 0x01)
 * whenever the peer provides it (libtorrent, Transmission and Vuze do
 * unless told to require encryption): it keeps the payload path
 * copy-free. A peer that provides RC4 only gets RC4: sp_mse_streams()
 * then hands over both keystreams for the caller to apply to every byte
 * after the handshake.
 *
 * Pure state machine apart from libcrypto's big numbers and SHA-1: bytes
 * in, bytes out. Every length the peer declares (pads, initial payload) is
 * checked against its ceiling before it is awaited. Any thread; one
 * connection per object. */
#ifndef SP_MSE_H
#define SP_MSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SP_MSE_KEY_LEN 96      /* 768-bit DH public keys and secret */
#define SP_MSE_MAX_PAD 512
#define SP_MSE_MAX_IA 4096     /* initial payload we accept */
#define SP_MSE_PLAINTEXT 0x01
#define SP_MSE_RC4 0x02

/* RC4, as MSE uses it (the first 1024 bytes of keystream discarded). */
struct sp_rc4 {
	uint8_t s[256];
	uint8_t i, j;
};
void sp_rc4_init(struct sp_rc4 *rc, const uint8_t *key, size_t len);
void sp_rc4_crypt(struct sp_rc4 *rc, uint8_t *buf, size_t len);
/* Key the stream HASH(name, S, SKEY) and drop 1024 bytes. */
void sp_mse_rc4_key(struct sp_rc4 *rc, const char *name, const uint8_t s[SP_MSE_KEY_LEN],
		    const uint8_t skey[20]);

/* DH over MSE's 768-bit prime, generator 2. priv is 20 random bytes. */
int sp_mse_pubkey(const uint8_t priv[20], uint8_t pub[SP_MSE_KEY_LEN]);
int sp_mse_secret(const uint8_t priv[20], const uint8_t their_pub[SP_MSE_KEY_LEN],
		  uint8_t s[SP_MSE_KEY_LEN]);
/* HASH(name || a || b), b may be NULL. */
void sp_mse_hash(const char *name, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		 uint8_t out[20]);

/* Find the torrent whose HASH('req2', info_hash) is req2; fill info_hash
 * and return true. */
typedef bool (*sp_mse_lookup_fn)(void *ctx, const uint8_t req2[20], uint8_t info_hash[20]);

struct sp_mse;
struct sp_mse *sp_mse_new(sp_mse_lookup_fn lookup, void *ctx);
void sp_mse_free(struct sp_mse *m);
/* Feed what arrived; whatever to send is appended to out. Returns 0
 * (more bytes needed), 1 (done: sp_mse_rest gives the plaintext that
 * follows: the initial payload then any later bytes), -EPROTO (not MSE,
 * or a broken handshake), -ENOENT (no such torrent), -ENOTSUP (neither
 * plaintext nor RC4 provided), -EOVERFLOW (a length beyond its ceiling). */
int sp_mse_feed(struct sp_mse *m, const uint8_t *in, size_t len, struct sp_buf *out);
/* The initiating side (our outbound connection to a peer that wants
 * encryption): Ya and a pad go to out now; ia (our BitTorrent handshake)
 * is sent encrypted once Yb arrives. We provide plaintext and RC4 and
 * follow the peer's choice. Then as above: feed, rest, streams. */
struct sp_mse *sp_mse_new_initiator(const uint8_t info_hash[20], const void *ia, size_t ia_len,
				    struct sp_buf *out);
const uint8_t *sp_mse_rest(const struct sp_mse *m, size_t *len);
/* After done: true if RC4 was selected; enc/dec get the keystreams'
 * states (ours out, theirs in) as of the first byte after the handshake. */
bool sp_mse_streams(const struct sp_mse *m, struct sp_rc4 *enc, struct sp_rc4 *dec);

#endif
