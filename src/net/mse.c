/* mse.c - receiving side of Message Stream Encryption (see mse.h).
 *
 * The exchange, B being us:
 *   A->B  Ya, PadA(0..512)
 *   B->A  Yb, PadB(0..512)
 *   A->B  HASH('req1',S), HASH('req2',SKEY)^HASH('req3',S),
 *         RC4A(VC, crypto_provide, len(PadC), PadC, len(IA)), RC4A(IA)
 *   B->A  RC4B(VC, crypto_select, len(PadD), PadD)
 * S is the DH secret, SKEY the info-hash, VC eight zero bytes, RC4A/B keyed
 * HASH('keyA'|'keyB', S, SKEY) with 1024 bytes of keystream dropped.
 *
 * Invariants: `in` holds the unconsumed bytes, never more than
 * IN_CEILING (the largest legal prefix before IA is complete); every
 * declared length is checked before its bytes are awaited; after the
 * done state `rest` holds plaintext for the wire parser. */
#include "net/mse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/bn.h>

#include "core/sha1.h"

static const char prime_hex[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563";

#define IN_CEILING (SP_MSE_KEY_LEN + SP_MSE_MAX_PAD + 40 + 14 + SP_MSE_MAX_PAD + 2 + SP_MSE_MAX_IA)

void sp_rc4_init(struct sp_rc4 *rc, const uint8_t *key, size_t len)
{
	for (int i = 0; i < 256; i++)
		rc->s[i] = (uint8_t)i;
	uint8_t j = 0;
	for (int i = 0; i < 256; i++) {
		j = (uint8_t)(j + rc->s[i] + key[(size_t)i % len]);
		uint8_t t = rc->s[i];
		rc->s[i] = rc->s[j];
		rc->s[j] = t;
	}
	rc->i = rc->j = 0;
}

void sp_rc4_crypt(struct sp_rc4 *rc, uint8_t *buf, size_t len)
{
	for (size_t n = 0; n < len; n++) {
		rc->i++;
		rc->j = (uint8_t)(rc->j + rc->s[rc->i]);
		uint8_t t = rc->s[rc->i];
		rc->s[rc->i] = rc->s[rc->j];
		rc->s[rc->j] = t;
		buf[n] ^= rc->s[(uint8_t)(rc->s[rc->i] + rc->s[rc->j])];
	}
}

void sp_mse_hash(const char *name, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		 uint8_t out[20])
{
	struct sp_sha1 *h = sp_sha1_new();
	if (!h) {
		memset(out, 0, 20);
		return;
	}
	sp_sha1_update(h, name, strlen(name));
	sp_sha1_update(h, a, alen);
	if (b)
		sp_sha1_update(h, b, blen);
	sp_sha1_final(h, out);
	sp_sha1_free(h);
}

void sp_mse_rc4_key(struct sp_rc4 *rc, const char *name, const uint8_t s[SP_MSE_KEY_LEN],
		    const uint8_t skey[20])
{
	uint8_t key[20], drop[1024] = {0};
	sp_mse_hash(name, s, SP_MSE_KEY_LEN, skey, 20, key);
	sp_rc4_init(rc, key, sizeof(key));
	sp_rc4_crypt(rc, drop, sizeof(drop));
}

static int modexp(const uint8_t *base, size_t blen, const uint8_t priv[20],
		  uint8_t out[SP_MSE_KEY_LEN])
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *p = NULL, *g = BN_bin2bn(base, (int)blen, NULL), *x = BN_bin2bn(priv, 20, NULL);
	BIGNUM *r = BN_new();
	int ok = ctx && g && x && r && BN_hex2bn(&p, prime_hex) && BN_mod_exp(r, g, x, p, ctx) &&
		 BN_bn2binpad(r, out, SP_MSE_KEY_LEN) == SP_MSE_KEY_LEN;
	BN_free(p);
	BN_free(g);
	BN_clear_free(x);
	BN_free(r);
	BN_CTX_free(ctx);
	return ok ? 0 : -ENOMEM;
}

int sp_mse_pubkey(const uint8_t priv[20], uint8_t pub[SP_MSE_KEY_LEN])
{
	static const uint8_t two = 2;
	return modexp(&two, 1, priv, pub);
}

int sp_mse_secret(const uint8_t priv[20], const uint8_t their_pub[SP_MSE_KEY_LEN],
		  uint8_t s[SP_MSE_KEY_LEN])
{
	return modexp(their_pub, SP_MSE_KEY_LEN, priv, s);
}

enum state {
	ST_YA, ST_SYNC, ST_SKEY, ST_VC, ST_PADC, ST_IA, /* receiver */
	ST_YB, ST_VCSYNC, ST_SELECT, ST_PADD,          /* initiator */
	ST_DONE,
};

struct sp_mse {
	enum state st;
	sp_mse_lookup_fn lookup;
	void *ctx;
	uint8_t priv[20], s[SP_MSE_KEY_LEN], skey[20], req1[20];
	struct sp_rc4 dec, enc;
	uint32_t provide;
	bool rc4; /* selected for the stream */
	uint8_t vc_enc[8]; /* initiator: how B's encrypted VC looks */
	struct sp_buf ia;  /* initiator: our initial payload until sent */
	size_t pad_len, ia_len, scanned;
	struct sp_buf in;
	struct sp_buf rest;
};

struct sp_mse *sp_mse_new(sp_mse_lookup_fn lookup, void *ctx)
{
	struct sp_mse *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->lookup = lookup;
	m->ctx = ctx;
	sp_buf_init(&m->in, IN_CEILING);
	sp_buf_init(&m->ia, SP_MSE_MAX_IA);
	sp_buf_init(&m->rest, SP_MSE_MAX_IA + (1 << 20));
	if (getrandom(m->priv, sizeof(m->priv), 0) != (ssize_t)sizeof(m->priv)) {
		sp_mse_free(m);
		return NULL;
	}
	return m;
}

void sp_mse_free(struct sp_mse *m)
{
	if (!m)
		return;
	sp_buf_fini(&m->in);
	sp_buf_fini(&m->ia);
	sp_buf_fini(&m->rest);
	memset(m->priv, 0, sizeof(m->priv));
	free(m);
}

const uint8_t *sp_mse_rest(const struct sp_mse *m, size_t *len)
{
	*len = m->rest.len;
	return m->rest.data;
}

/* Answer Ya with Yb and a random pad. */
static int on_ya(struct sp_mse *m, struct sp_buf *out)
{
	uint8_t yb[SP_MSE_KEY_LEN], pad[SP_MSE_MAX_PAD];
	if (m->in.data[0] == 19 && m->in.len >= 20 &&
	    !memcmp(m->in.data + 1, "BitTorrent protocol", 19))
		return -EPROTO; /* plain BitTorrent: not for us */
	if (sp_mse_pubkey(m->priv, yb) < 0 || sp_mse_secret(m->priv, m->in.data, m->s) < 0)
		return -ENOMEM;
	sp_mse_hash("req1", m->s, SP_MSE_KEY_LEN, NULL, 0, m->req1);
	uint8_t n;
	if (getrandom(&n, 1, 0) != 1)
		n = 0;
	size_t padlen = n % 64; /* short: it only needs to vary */
	if (getrandom(pad, padlen, 0) != (ssize_t)padlen)
		memset(pad, 0, padlen);
	int r = sp_buf_append(out, yb, sizeof(yb));
	if (r == 0)
		r = sp_buf_append(out, pad, padlen);
	sp_buf_consume(&m->in, SP_MSE_KEY_LEN);
	m->st = ST_SYNC;
	return r < 0 ? r : 1;
}

/* Find HASH('req1', S) within PadA's 512 bytes. */
static int on_sync(struct sp_mse *m)
{
	for (; m->scanned <= SP_MSE_MAX_PAD && m->scanned + 20 <= m->in.len; m->scanned++) {
		if (!memcmp(m->in.data + m->scanned, m->req1, 20)) {
			sp_buf_consume(&m->in, m->scanned + 20);
			m->st = ST_SKEY;
			return 1;
		}
	}
	/* every place PadA allows was looked at: not there */
	return m->scanned > SP_MSE_MAX_PAD ? -EPROTO : 0;
}

static int on_skey(struct sp_mse *m)
{
	uint8_t req3[20], req2[20];
	sp_mse_hash("req3", m->s, SP_MSE_KEY_LEN, NULL, 0, req3);
	for (int i = 0; i < 20; i++)
		req2[i] = m->in.data[i] ^ req3[i];
	sp_buf_consume(&m->in, 20);
	if (!m->lookup(m->ctx, req2, m->skey))
		return -ENOENT;
	sp_mse_rc4_key(&m->dec, "keyA", m->s, m->skey);
	sp_mse_rc4_key(&m->enc, "keyB", m->s, m->skey);
	m->st = ST_VC;
	return 1;
}

static int on_vc(struct sp_mse *m)
{
	uint8_t *p = m->in.data;
	static const uint8_t zero[8];
	sp_rc4_crypt(&m->dec, p, 14);
	if (memcmp(p, zero, 8))
		return -EPROTO;
	m->provide = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	m->pad_len = (size_t)p[12] << 8 | p[13];
	sp_buf_consume(&m->in, 14);
	if (m->pad_len > SP_MSE_MAX_PAD)
		return -EOVERFLOW;
	if (!(m->provide & (SP_MSE_PLAINTEXT | SP_MSE_RC4)))
		return -ENOTSUP;
	m->rc4 = !(m->provide & SP_MSE_PLAINTEXT);
	m->st = ST_PADC;
	return 1;
}

static int on_padc(struct sp_mse *m)
{
	uint8_t *p = m->in.data;
	sp_rc4_crypt(&m->dec, p, m->pad_len + 2);
	m->ia_len = (size_t)p[m->pad_len] << 8 | p[m->pad_len + 1];
	sp_buf_consume(&m->in, m->pad_len + 2);
	if (m->ia_len > SP_MSE_MAX_IA)
		return -EOVERFLOW;
	m->st = ST_IA;
	return 1;
}

/* The initial payload, then our answer choosing plaintext. */
static int on_ia(struct sp_mse *m, struct sp_buf *out)
{
	/* the IA is always RC4; what follows only if RC4 was selected */
	sp_rc4_crypt(&m->dec, m->in.data, m->rc4 ? m->in.len : m->ia_len);
	int r = sp_buf_append(&m->rest, m->in.data, m->in.len);
	if (r < 0)
		return r;
	sp_buf_reset(&m->in);
	uint8_t ans[14] = {0};
	ans[11] = m->rc4 ? SP_MSE_RC4 : SP_MSE_PLAINTEXT; /* VC zeros, select, len(PadD) 0 */
	sp_rc4_crypt(&m->enc, ans, sizeof(ans));
	m->st = ST_DONE;
	return sp_buf_append(out, ans, sizeof(ans)) < 0 ? -ENOMEM : 1;
}

/* ---- initiator ---- */

static void random_pad(struct sp_buf *out)
{
	uint8_t n, pad[64];
	if (getrandom(&n, 1, 0) != 1)
		n = 0;
	n %= sizeof(pad);
	if (getrandom(pad, n, 0) != (ssize_t)n)
		memset(pad, 0, n);
	sp_buf_append(out, pad, n);
}

struct sp_mse *sp_mse_new_initiator(const uint8_t info_hash[20], const void *ia, size_t ia_len,
				    struct sp_buf *out)
{
	struct sp_mse *m = sp_mse_new(NULL, NULL);
	uint8_t ya[SP_MSE_KEY_LEN];
	if (!m || ia_len > SP_MSE_MAX_IA || sp_buf_append(&m->ia, ia, ia_len) < 0 ||
	    sp_mse_pubkey(m->priv, ya) < 0 || sp_buf_append(out, ya, sizeof(ya)) < 0) {
		sp_mse_free(m);
		return NULL;
	}
	random_pad(out);
	memcpy(m->skey, info_hash, 20);
	m->st = ST_YB;
	return m;
}

/* Yb in: our proof of S, the obfuscated info-hash, and the encrypted
 * offer (plaintext or RC4) with our initial payload. */
static int on_yb(struct sp_mse *m, struct sp_buf *out)
{
	if (sp_mse_secret(m->priv, m->in.data, m->s) < 0)
		return -ENOMEM;
	sp_buf_consume(&m->in, SP_MSE_KEY_LEN);
	uint8_t h[20], r3[20];
	sp_mse_hash("req1", m->s, SP_MSE_KEY_LEN, NULL, 0, h);
	int r = sp_buf_append(out, h, 20);
	sp_mse_hash("req2", m->skey, 20, NULL, 0, h);
	sp_mse_hash("req3", m->s, SP_MSE_KEY_LEN, NULL, 0, r3);
	for (int i = 0; i < 20; i++)
		h[i] ^= r3[i];
	r |= sp_buf_append(out, h, 20);
	sp_mse_rc4_key(&m->enc, "keyA", m->s, m->skey);
	sp_mse_rc4_key(&m->dec, "keyB", m->s, m->skey);
	uint8_t head[16] = {0};
	head[11] = SP_MSE_PLAINTEXT | SP_MSE_RC4; /* provide; len(PadC) = 0 */
	head[14] = (uint8_t)(m->ia.len >> 8);
	head[15] = (uint8_t)m->ia.len;
	sp_rc4_crypt(&m->enc, head, sizeof(head));
	sp_rc4_crypt(&m->enc, m->ia.data, m->ia.len);
	r |= sp_buf_append(out, head, sizeof(head));
	r |= sp_buf_append(out, m->ia.data, m->ia.len);
	sp_buf_fini(&m->ia);
	struct sp_rc4 peek = m->dec;
	memset(m->vc_enc, 0, sizeof(m->vc_enc));
	sp_rc4_crypt(&peek, m->vc_enc, sizeof(m->vc_enc));
	m->scanned = 0;
	m->st = ST_VCSYNC;
	return r < 0 ? -ENOMEM : 1;
}

/* B's encrypted VC, somewhere after its pad of up to 512 bytes. */
static int on_vcsync(struct sp_mse *m)
{
	for (; m->scanned <= SP_MSE_MAX_PAD && m->scanned + 8 <= m->in.len; m->scanned++) {
		if (!memcmp(m->in.data + m->scanned, m->vc_enc, 8)) {
			uint8_t vc[8];
			memcpy(vc, m->in.data + m->scanned, 8);
			sp_rc4_crypt(&m->dec, vc, 8);
			sp_buf_consume(&m->in, m->scanned + 8);
			m->st = ST_SELECT;
			return 1;
		}
	}
	/* every place PadB allows was looked at: not there */
	return m->scanned > SP_MSE_MAX_PAD ? -EPROTO : 0;
}

static int on_select(struct sp_mse *m)
{
	uint8_t *p = m->in.data;
	sp_rc4_crypt(&m->dec, p, 6);
	uint32_t sel = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	m->pad_len = (size_t)p[4] << 8 | p[5];
	sp_buf_consume(&m->in, 6);
	if (sel != SP_MSE_PLAINTEXT && sel != SP_MSE_RC4)
		return -EPROTO;
	if (m->pad_len > SP_MSE_MAX_PAD)
		return -EOVERFLOW;
	m->rc4 = sel == SP_MSE_RC4;
	m->st = ST_PADD;
	return 1;
}

static int on_padd(struct sp_mse *m)
{
	sp_rc4_crypt(&m->dec, m->in.data, m->pad_len);
	sp_buf_consume(&m->in, m->pad_len);
	if (m->rc4)
		sp_rc4_crypt(&m->dec, m->in.data, m->in.len);
	int r = sp_buf_append(&m->rest, m->in.data, m->in.len);
	sp_buf_reset(&m->in);
	m->st = ST_DONE;
	return r < 0 ? r : 1;
}

/* Bytes the current state needs before it can run; 0 for the scan. */
static size_t need(const struct sp_mse *m)
{
	switch (m->st) {
	case ST_YA: return SP_MSE_KEY_LEN;
	case ST_SKEY: return 20;
	case ST_VC: return 14;
	case ST_PADC: return m->pad_len + 2;
	case ST_IA: return m->ia_len;
	case ST_YB: return SP_MSE_KEY_LEN;
	case ST_SELECT: return 6;
	case ST_PADD: return m->pad_len;
	default: return 0;
	}
}

bool sp_mse_streams(const struct sp_mse *m, struct sp_rc4 *enc, struct sp_rc4 *dec)
{
	if (m->st != ST_DONE || !m->rc4)
		return false;
	*enc = m->enc;
	*dec = m->dec;
	return true;
}

int sp_mse_feed(struct sp_mse *m, const uint8_t *in, size_t len, struct sp_buf *out)
{
	if (m->st == ST_DONE)
		return -EINVAL; /* the caller takes over the stream once done */
	if (sp_buf_append(&m->in, in, len) < 0)
		return -EOVERFLOW;
	for (;;) {
		int r;
		if (m->st == ST_SYNC) {
			r = on_sync(m);
		} else if (m->st == ST_VCSYNC) {
			r = on_vcsync(m);
		} else {
			if (m->in.len < need(m))
				return 0;
			switch (m->st) {
			case ST_YA: r = on_ya(m, out); break;
			case ST_SKEY: r = on_skey(m); break;
			case ST_VC: r = on_vc(m); break;
			case ST_PADC: r = on_padc(m); break;
			case ST_IA: r = on_ia(m, out); break;
			case ST_YB: r = on_yb(m, out); break;
			case ST_SELECT: r = on_select(m); break;
			case ST_PADD: r = on_padd(m); break;
			default: r = -EPROTO; break;
			}
		}
		if (r <= 0 || m->st == ST_DONE)
			return r;
	}
}
