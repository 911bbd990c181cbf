/* fuzz_mse.c - libFuzzer target for the receiving side of Message Stream
 * Encryption (src/net/mse.c): the first bytes any inbound peer sends us.
 *
 * Random bytes never get past the Diffie-Hellman step, so the target
 * plays the initiating peer itself and lets the input choose what that
 * peer does wrong or right: PadA's length (legal up to 512), whether it
 * names a torrent we have, whether the verification constant is intact,
 * crypto_provide, len(PadC), len(IA), the bytes of the pads, IA and what
 * follows, and the chunks everything arrives in. Byte 0 bit 0 instead
 * feeds the input raw (to a receiver, and as Yb and what follows to an
 * initiator); bit 3 plays the answering peer to our initiator instead
 * (our outbound connections), the fields then being PadB, crypto_select,
 * len(PadD) and our own IA.
 *
 * Layout (peer mode): byte 0 flags (bit 1 a known torrent, bit 2 VC
 * corrupted), bytes 1..2 len(PadA) (10 bits), 3..6 crypto_provide, 7..8
 * len(PadC), 9..10 len(IA), 11..14 chunk sizes; the rest fills PadA,
 * PadC, IA in turn and what is left follows the handshake.
 *
 * Invariants checked, besides "no crash, no sanitizer report, no leak":
 * - the outcome is the one the protocol calls for: -EPROTO for a PadA
 *   over 512 bytes or a bad VC, -ENOENT for an unknown torrent,
 *   -EOVERFLOW for a PadC over 512 or an IA over 4096 bytes, -ENOTSUP
 *   with neither plaintext nor RC4 provided, else done once every byte
 *   is in (and not before), never anything else;
 * - when done, our answer decrypts to VC, the method we must select
 *   (plaintext whenever provided) and no PadD; the plaintext handed on
 *   (sp_mse_rest, then the RC4 streams for later bytes) is exactly the IA
 *   and what followed;
 * - raw input only ever needs more bytes or fails cleanly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/mse.h"

static const uint8_t known_ih[20] = "known info hash 0123";
static const uint8_t our_priv[20] = "initiator's priv key";

static bool lookup(void *ctx, const uint8_t req2[20], uint8_t ih[20])
{
	uint8_t h[20];
	sp_mse_hash("req2", known_ih, 20, NULL, 0, h);
	if (memcmp(h, req2, 20))
		return false;
	memcpy(ih, known_ih, 20);
	return true;
}

static uint32_t get(const uint8_t *p, int n)
{
	uint32_t v = 0;
	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* Feed s[0..n) in chunks; returns the last sp_mse_feed result and sets
 * *fed to the bytes given. Stops at done or an error. */
static int feed(struct sp_mse *m, const uint8_t *s, size_t n, const uint8_t cut[4], int *c,
		struct sp_buf *out, size_t *fed)
{
	int r = 0;
	*fed = 0;
	while (*fed < n) {
		size_t step = (size_t)cut[(*c)++ % 4] * 8 + 1;
		if (step > n - *fed)
			step = n - *fed;
		r = sp_mse_feed(m, s + *fed, step, out);
		*fed += step;
		if (r != 0)
			break;
	}
	return r;
}

static void raw(const uint8_t *s, size_t n, const uint8_t cut[4])
{
	struct sp_buf out;
	sp_buf_init(&out, 1 << 16);
	struct sp_mse *m = sp_mse_new(lookup, NULL);
	int c = 0;
	size_t fed;
	if (!m)
		abort();
	int r = feed(m, s, n, cut, &c, &out, &fed);
	if (r != 0 && r != -EPROTO && r != -ENOENT && r != -EOVERFLOW && r != -ENOTSUP && r != 1)
		abort();
	sp_mse_free(m);
	sp_buf_reset(&out);
	m = sp_mse_new_initiator(known_ih, "ia", 2, &out);
	if (!m)
		abort();
	r = feed(m, s, n, cut, &c, &out, &fed);
	if (r != 0 && r != -EPROTO && r != -EOVERFLOW && r != 1)
		abort();
	sp_mse_free(m);
	sp_buf_fini(&out);
}

struct plan {
	bool known, bad_vc;
	size_t pada, padc, ia;
	uint32_t provide;
};

static int expected(const struct plan *p)
{
	if (p->pada > SP_MSE_MAX_PAD)
		return -EPROTO;
	if (!p->known)
		return -ENOENT;
	if (p->bad_vc)
		return -EPROTO;
	if (p->padc > SP_MSE_MAX_PAD)
		return -EOVERFLOW;
	if (!(p->provide & (SP_MSE_PLAINTEXT | SP_MSE_RC4)))
		return -ENOTSUP;
	if (p->ia > SP_MSE_MAX_IA)
		return -EOVERFLOW;
	return 1;
}

/* Bytes from the input, zeros once it is used up. */
static void take(uint8_t *dst, size_t n, const uint8_t **s, size_t *left)
{
	size_t k = n < *left ? n : *left;
	memcpy(dst, *s, k);
	memset(dst + k, 0, n - k);
	*s += k;
	*left -= k;
}

static void peer(const uint8_t *data, size_t size)
{
	struct plan p = {
	    .known = data[0] & 2,
	    .bad_vc = data[0] & 4,
	    .pada = get(data + 1, 2) & 1023,
	    .provide = get(data + 3, 4),
	    .padc = get(data + 7, 2),
	    .ia = get(data + 9, 2),
	};
	const uint8_t *cut = data + 11;
	const uint8_t *s = data + 15;
	size_t left = size - 15 < 4096 ? size - 15 : 4096;
	int want = expected(&p);
	bool rc4 = !(p.provide & SP_MSE_PLAINTEXT);

	/* phase 1: Ya, PadA */
	static uint8_t buf[SP_MSE_KEY_LEN + 1024 + 40 + 14 + 65536 + 2 + 65536 + 4096];
	uint8_t ya[SP_MSE_KEY_LEN], st[SP_MSE_KEY_LEN];
	if (sp_mse_pubkey(our_priv, ya) < 0)
		abort();
	memcpy(buf, ya, sizeof(ya));
	take(buf + sizeof(ya), p.pada, &s, &left);
	struct sp_buf out;
	sp_buf_init(&out, 1 << 16);
	struct sp_mse *m = sp_mse_new(lookup, NULL);
	if (!m)
		abort();
	int c = 0;
	size_t fed;
	int r = feed(m, buf, sizeof(ya) + p.pada, cut, &c, &out, &fed);
	if (r != 0) {
		if (r != want || want != -EPROTO)
			abort();
		goto done;
	}
	if (out.len < SP_MSE_KEY_LEN || sp_mse_secret(our_priv, out.data, st) < 0)
		abort();
	size_t yb_part = out.len;

	/* phase 2: HASH('req1', S), HASH('req2', SKEY) ^ HASH('req3', S),
	 * RC4A(VC, provide, len(PadC), PadC, len(IA)), RC4A(IA), then what
	 * follows (RC4A as well when RC4 is what we must select) */
	const uint8_t *ih = p.known ? known_ih : our_priv;
	uint8_t *q = buf, r3[20];
	sp_mse_hash("req1", st, SP_MSE_KEY_LEN, NULL, 0, q);
	sp_mse_hash("req2", ih, 20, NULL, 0, q + 20);
	sp_mse_hash("req3", st, SP_MSE_KEY_LEN, NULL, 0, r3);
	for (int i = 0; i < 20; i++)
		q[20 + i] ^= r3[i];
	q += 40;
	uint8_t *enc_from = q;
	memset(q, 0, 8);
	q[0] = p.bad_vc;
	q[8] = (uint8_t)(p.provide >> 24);
	q[9] = (uint8_t)(p.provide >> 16);
	q[10] = (uint8_t)(p.provide >> 8);
	q[11] = (uint8_t)p.provide;
	q[12] = (uint8_t)(p.padc >> 8);
	q[13] = (uint8_t)p.padc;
	q += 14;
	take(q, p.padc, &s, &left);
	q += p.padc;
	q[0] = (uint8_t)(p.ia >> 8);
	q[1] = (uint8_t)p.ia;
	q += 2;
	uint8_t *plain = q; /* IA and what follows, as sent before encryption */
	take(q, p.ia, &s, &left);
	q += p.ia;
	memcpy(q, s, left);
	q += left;
	size_t plain_len = (size_t)(q - plain);
	static uint8_t expect_plain[65536 + 4096];
	memcpy(expect_plain, plain, plain_len);
	struct sp_rc4 a_enc;
	sp_mse_rc4_key(&a_enc, "keyA", st, ih);
	sp_rc4_crypt(&a_enc, enc_from, (size_t)(plain - enc_from) + (rc4 ? plain_len : p.ia));
	size_t total = (size_t)(q - buf);
	r = feed(m, buf, total, cut, &c, &out, &fed);
	if (r != want)
		abort();
	if (r != 1)
		goto done;
	/* done exactly when the last IA byte arrived: earlier is impossible */
	size_t ia_end = (size_t)(plain - buf) + p.ia;
	if (fed < ia_end)
		abort();

	/* our answer: RC4B(VC, crypto_select, len(PadD) = 0) after Yb, PadB */
	struct sp_rc4 b_dec, mine_enc, mine_dec;
	sp_mse_rc4_key(&b_dec, "keyB", st, ih);
	if (out.len != yb_part + 14)
		abort();
	uint8_t ans[14];
	memcpy(ans, out.data + yb_part, 14);
	sp_rc4_crypt(&b_dec, ans, 14);
	static const uint8_t zero[8];
	if (memcmp(ans, zero, 8) || get(ans + 8, 4) != (rc4 ? SP_MSE_RC4 : SP_MSE_PLAINTEXT) ||
	    ans[12] || ans[13])
		abort();
	/* the plaintext handed on: rest, then later bytes through the streams */
	size_t rest_len;
	const uint8_t *rest = sp_mse_rest(m, &rest_len);
	size_t later = total - fed;
	if (rest_len + later != plain_len || memcmp(rest, expect_plain, rest_len))
		abort();
	if (sp_mse_streams(m, &mine_enc, &mine_dec) != rc4)
		abort();
	if (rc4) {
		sp_rc4_crypt(&mine_dec, buf + fed, later);
		/* our next bytes must decrypt on the peer's side */
		uint8_t probe[4] = {1, 2, 3, 4};
		sp_rc4_crypt(&mine_enc, probe, 4);
		sp_rc4_crypt(&b_dec, probe, 4);
		if (probe[0] != 1 || probe[3] != 4)
			abort();
	}
	if (memcmp(buf + fed, expect_plain + rest_len, later))
		abort();
done:
	sp_mse_free(m);
	sp_buf_fini(&out);
}

/* Our outbound side against a peer that wants encryption: the input
 * chooses PadB's length, crypto_select, len(PadD), our IA, the VC's
 * integrity and the bytes that follow. */
static void answerer(const uint8_t *data, size_t size)
{
	struct plan p = {
	    .bad_vc = data[0] & 4,
	    .pada = get(data + 1, 2) & 1023, /* PadB */
	    .provide = get(data + 3, 4),     /* crypto_select */
	    .padc = get(data + 7, 2),	     /* len(PadD) */
	    .ia = get(data + 9, 2) & 4095,   /* our IA */
	};
	const uint8_t *cut = data + 11;
	const uint8_t *s = data + 15;
	size_t left = size - 15 < 4096 ? size - 15 : 4096;
	static uint8_t ia[4096], buf[SP_MSE_KEY_LEN + 1024 + 14 + 65536 + 4096];
	take(ia, p.ia, &s, &left);
	struct sp_buf out;
	sp_buf_init(&out, 1 << 16);
	struct sp_mse *m = sp_mse_new_initiator(known_ih, ia, p.ia, &out);
	if (!m || out.len < SP_MSE_KEY_LEN)
		abort();
	size_t ya_part = out.len;
	uint8_t st[SP_MSE_KEY_LEN];
	if (sp_mse_pubkey(our_priv, buf) < 0 || sp_mse_secret(our_priv, out.data, st) < 0)
		abort();
	uint8_t *q = buf + SP_MSE_KEY_LEN;
	take(q, p.pada, &s, &left);
	q += p.pada;
	uint8_t *enc_from = q;
	memset(q, 0, 8);
	q[0] = p.bad_vc;
	for (int i = 0; i < 4; i++)
		q[8 + i] = (uint8_t)(p.provide >> (24 - 8 * i));
	q[12] = (uint8_t)(p.padc >> 8);
	q[13] = (uint8_t)p.padc;
	q += 14;
	take(q, p.padc, &s, &left);
	q += p.padc;
	uint8_t *plain = q;
	memcpy(q, s, left);
	q += left;
	static uint8_t expect_plain[4096];
	memcpy(expect_plain, plain, left);
	bool rc4 = p.provide == SP_MSE_RC4;
	struct sp_rc4 b_enc, a_dec;
	sp_mse_rc4_key(&b_enc, "keyB", st, known_ih);
	sp_rc4_crypt(&b_enc, enc_from, (size_t)(plain - enc_from) + (rc4 ? left : 0));
	size_t total = (size_t)(q - buf), fed;
	int c = 0;
	int r = feed(m, buf, total, cut, &c, &out, &fed);
	int want = p.pada > SP_MSE_MAX_PAD				      ? -EPROTO
		   : p.bad_vc						      ? -EPROTO
		   : p.provide != SP_MSE_PLAINTEXT && p.provide != SP_MSE_RC4 ? -EPROTO
		   : p.padc > SP_MSE_MAX_PAD				      ? -EOVERFLOW
									      : 1;
	/* a VC never found is waited for until the pad's ceiling is past */
	if (r != want && !(want == -EPROTO && r == 0 && total < SP_MSE_KEY_LEN + 512 + 8))
		abort();

	/* what we sent after Yb: HASH('req1', S), the obfuscated info-hash,
	 * RC4A(VC, provide both, len(PadC) 0, len(IA), IA) */
	if (out.len > ya_part) {
		uint8_t h[20], r3[20], head[16];
		const uint8_t *o = out.data + ya_part;
		if (out.len != ya_part + 40 + 16 + p.ia)
			abort();
		sp_mse_hash("req1", st, SP_MSE_KEY_LEN, NULL, 0, h);
		if (memcmp(o, h, 20))
			abort();
		sp_mse_hash("req2", known_ih, 20, NULL, 0, h);
		sp_mse_hash("req3", st, SP_MSE_KEY_LEN, NULL, 0, r3);
		for (int i = 0; i < 20; i++)
			if ((h[i] ^ r3[i]) != o[20 + i])
				abort();
		sp_mse_rc4_key(&a_dec, "keyA", st, known_ih);
		memcpy(head, o + 40, 16);
		sp_rc4_crypt(&a_dec, head, 16);
		static const uint8_t zero[8];
		if (memcmp(head, zero, 8) || get(head + 8, 4) != 3 || get(head + 12, 2) ||
		    get(head + 14, 2) != p.ia)
			abort();
		static uint8_t got[4096];
		memcpy(got, o + 56, p.ia);
		sp_rc4_crypt(&a_dec, got, p.ia);
		if (memcmp(got, ia, p.ia))
			abort();
	} else if (r == 1) {
		abort();
	}
	if (r == 1) {
		size_t rest_len, later = total - fed;
		const uint8_t *rest = sp_mse_rest(m, &rest_len);
		struct sp_rc4 enc, dec;
		if (rest_len + later != left || memcmp(rest, expect_plain, rest_len) ||
		    sp_mse_streams(m, &enc, &dec) != rc4)
			abort();
		if (rc4)
			sp_rc4_crypt(&dec, buf + fed, later);
		if (memcmp(buf + fed, expect_plain + rest_len, later))
			abort();
	}
	sp_mse_free(m);
	sp_buf_fini(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 15)
		return 0;
	if (data[0] & 1)
		raw(data + 5, size - 5, data + 1);
	else if (data[0] & 8)
		answerer(data, size);
	else
		peer(data, size);
	return 0;
}
