/* test_mse.c - Message Stream Encryption, receiving side: RC4's known
 * answer, a whole exchange against an initiator written here from the
 * spec (fed at once and byte by byte; plaintext or RC4 selected), and
 * every refusal: no method, an unknown torrent, no sync within the pad,
 * an oversized pad. */
#include "net/mse.h"
#include "harness.h"

#include <errno.h>

static const uint8_t IH[20] = "0123456789abcdefghij";

static bool lookup(void *ctx, const uint8_t req2[20], uint8_t ih[20])
{
	uint8_t want[20];
	sp_mse_hash("req2", IH, 20, NULL, 0, want);
	if (memcmp(want, req2, 20))
		return false;
	memcpy(ih, IH, 20);
	return true;
}

SP_TEST(rc4_known_answer)
{
	struct sp_rc4 rc;
	uint8_t buf[9];
	memcpy(buf, "Plaintext", 9);
	sp_rc4_init(&rc, (const uint8_t *)"Key", 3);
	sp_rc4_crypt(&rc, buf, sizeof(buf));
	static const uint8_t want[9] = {0xBB, 0xF3, 0x16, 0xE8, 0xD9, 0x40, 0xAF, 0x0A, 0xD3};
	SP_CHECK_MEM(buf, want, 9);
}

struct initiator {
	uint8_t priv[20], s[SP_MSE_KEY_LEN];
	struct sp_rc4 enc, dec;
};

/* A's first message: Ya and a pad. */
static void a_hello(struct initiator *a, struct sp_buf *out, size_t padlen)
{
	memset(a->priv, 0x42, 20);
	a->priv[0] = 0x13;
	uint8_t ya[SP_MSE_KEY_LEN];
	SP_CHECK_INT(sp_mse_pubkey(a->priv, ya), 0);
	sp_buf_append(out, ya, sizeof(ya));
	for (size_t i = 0; i < padlen; i++)
		sp_buf_append(out, "\x5a", 1);
}

/* A's second message, once Yb is known. */
static void a_request(struct initiator *a, const uint8_t yb[SP_MSE_KEY_LEN], struct sp_buf *out,
		      uint32_t provide, size_t padc, const uint8_t *skey, const void *ia,
		      size_t ialen)
{
	SP_CHECK_INT(sp_mse_secret(a->priv, yb, a->s), 0);
	uint8_t h[20], r3[20];
	sp_mse_hash("req1", a->s, SP_MSE_KEY_LEN, NULL, 0, h);
	sp_buf_append(out, h, 20);
	sp_mse_hash("req2", skey, 20, NULL, 0, h);
	sp_mse_hash("req3", a->s, SP_MSE_KEY_LEN, NULL, 0, r3);
	for (int i = 0; i < 20; i++)
		h[i] ^= r3[i];
	sp_buf_append(out, h, 20);
	sp_mse_rc4_key(&a->enc, "keyA", a->s, skey);
	sp_mse_rc4_key(&a->dec, "keyB", a->s, skey);
	uint8_t head[16 + 600] = {0};
	head[8] = (uint8_t)(provide >> 24);
	head[11] = (uint8_t)provide;
	head[12] = (uint8_t)(padc >> 8);
	head[13] = (uint8_t)padc;
	head[14 + padc] = (uint8_t)(ialen >> 8);
	head[15 + padc] = (uint8_t)ialen;
	size_t n = 16 + padc;
	sp_rc4_crypt(&a->enc, head, n);
	sp_buf_append(out, head, n);
	uint8_t iab[256];
	memcpy(iab, ia, ialen);
	sp_rc4_crypt(&a->enc, iab, ialen);
	sp_buf_append(out, iab, ialen);
}

static const char HS[] = "\x13" "BitTorrent protocol" "\0\0\0\0\0\0\0\0"
			 "0123456789abcdefghij" "-XX0000-abcdefghijkl";

static void exchange(bool bytewise, uint32_t provide)
{
	bool rc4 = !(provide & SP_MSE_PLAINTEXT);
	struct sp_mse *m = sp_mse_new(lookup, NULL);
	SP_CHECK(m != NULL);
	struct initiator a;
	struct sp_buf wire, back;
	sp_buf_init(&wire, 1 << 16);
	sp_buf_init(&back, 1 << 16);
	a_hello(&a, &wire, 33);
	int r = 0;
	if (bytewise)
		for (size_t i = 0; i < wire.len; i++)
			r = sp_mse_feed(m, wire.data + i, 1, &back);
	else
		r = sp_mse_feed(m, wire.data, wire.len, &back);
	SP_CHECK_INT(r, 0);
	SP_CHECK_CMP(back.len, >=, SP_MSE_KEY_LEN);
	size_t yb_pad = back.len - SP_MSE_KEY_LEN;
	sp_buf_reset(&wire);
	a_request(&a, back.data, &wire, provide, 7, IH, HS, 68);
	/* what follows: plaintext, or RC4 if that was all A provided (A may
	 * only send it after our answer; here it comes early, which the
	 * receiver must handle the same way) */
	uint8_t after[5];
	memcpy(after, "after", 5);
	if (rc4)
		sp_rc4_crypt(&a.enc, after, 5);
	sp_buf_append(&wire, after, 5);
	sp_buf_reset(&back);
	size_t fed = wire.len;
	if (bytewise) {
		for (fed = 0; fed < wire.len && r != 1;)
			r = sp_mse_feed(m, wire.data + fed++, 1, &back);
	} else {
		r = sp_mse_feed(m, wire.data, wire.len, &back);
	}
	SP_CHECK_INT(r, 1);
	struct sp_rc4 enc, dec;
	SP_CHECK_INT(sp_mse_streams(m, &enc, &dec), rc4);
	/* what the receiver holds, then what it has not been fed (the
	 * caller's to decrypt when RC4 was selected) */
	size_t rest_len;
	const uint8_t *rest = sp_mse_rest(m, &rest_len);
	uint8_t all[128];
	SP_CHECK_UINT(rest_len + wire.len - fed, 68 + 5);
	memcpy(all, rest, rest_len);
	memcpy(all + rest_len, wire.data + fed, wire.len - fed);
	if (rc4)
		sp_rc4_crypt(&dec, all + rest_len, wire.len - fed);
	SP_CHECK_MEM(all, HS, 68);
	SP_CHECK_MEM(all + 68, "after", 5);
	/* B's answer: RC4B(VC, crypto_select = plaintext, len(PadD) = 0) */
	SP_CHECK_UINT(back.len, 14);
	sp_rc4_crypt(&a.dec, back.data, 14);
	uint8_t want[14] = {0};
	want[11] = rc4 ? SP_MSE_RC4 : SP_MSE_PLAINTEXT;
	SP_CHECK_MEM(back.data, want, 14);
	if (rc4) { /* the streams continue: B's next bytes decrypt on A's side */
		uint8_t msg[4] = {1, 2, 3, 4};
		sp_rc4_crypt(&enc, msg, 4);
		sp_rc4_crypt(&a.dec, msg, 4);
		static const uint8_t plain[4] = {1, 2, 3, 4};
		SP_CHECK_MEM(msg, plain, 4);
	}
	(void)yb_pad;
	sp_buf_fini(&wire);
	sp_buf_fini(&back);
	sp_mse_free(m);
}

SP_TEST(exchange_at_once) { exchange(false, SP_MSE_PLAINTEXT | SP_MSE_RC4); }
SP_TEST(exchange_byte_by_byte) { exchange(true, SP_MSE_PLAINTEXT | SP_MSE_RC4); }
SP_TEST(exchange_rc4_only) { exchange(false, SP_MSE_RC4); }
SP_TEST(exchange_rc4_only_byte_by_byte) { exchange(true, SP_MSE_RC4); }

/* Our initiator against our receiver, in memory, in small chunks. */
static int pump(struct sp_mse *to, struct sp_buf *wire, struct sp_buf *back, size_t chunk)
{
	int r = 0;
	size_t off = 0;
	while (off < wire->len && r == 0) {
		size_t n = wire->len - off < chunk ? wire->len - off : chunk;
		r = sp_mse_feed(to, wire->data + off, n, back);
		off += n;
	}
	sp_buf_consume(wire, off);
	return r;
}

SP_TEST(initiator_meets_receiver)
{
	for (size_t chunk = 1; chunk <= 4096; chunk *= 8) {
		struct sp_buf a2b, b2a;
		sp_buf_init(&a2b, 1 << 16);
		sp_buf_init(&b2a, 1 << 16);
		struct sp_mse *a = sp_mse_new_initiator(IH, HS, 68, &a2b);
		struct sp_mse *b = sp_mse_new(lookup, NULL);
		SP_CHECK(a && b);
		SP_CHECK_INT(pump(b, &a2b, &b2a, chunk), 0);  /* Ya -> Yb */
		SP_CHECK_INT(pump(a, &b2a, &a2b, chunk), 0);  /* Yb -> req1, IA */
		SP_CHECK_INT(pump(b, &a2b, &b2a, chunk), 1);  /* B done: answer */
		SP_CHECK_UINT(a2b.len, 0);
		sp_buf_append(&b2a, HS, 68);                   /* B's plain handshake */
		SP_CHECK_INT(pump(a, &b2a, &a2b, chunk), 1);
		size_t n;
		const uint8_t *rest = sp_mse_rest(b, &n);
		SP_CHECK_UINT(n, 68);
		SP_CHECK_MEM(rest, HS, 68);
		/* A may have been done before the last chunk: the rest is its */
		rest = sp_mse_rest(a, &n);
		SP_CHECK_UINT(n + b2a.len, 68);
		struct sp_rc4 e, d;
		SP_CHECK(!sp_mse_streams(a, &e, &d)); /* plaintext chosen */
		sp_mse_free(a);
		sp_mse_free(b);
		sp_buf_fini(&a2b);
		sp_buf_fini(&b2a);
	}
}

static int refusal(uint32_t provide, size_t padc, const uint8_t *skey)
{
	struct sp_mse *m = sp_mse_new(lookup, NULL);
	struct initiator a;
	struct sp_buf wire, back;
	sp_buf_init(&wire, 1 << 16);
	sp_buf_init(&back, 1 << 16);
	a_hello(&a, &wire, 0);
	SP_CHECK_INT(sp_mse_feed(m, wire.data, wire.len, &back), 0);
	sp_buf_reset(&wire);
	a_request(&a, back.data, &wire, provide, padc, skey, HS, 68);
	int r = sp_mse_feed(m, wire.data, wire.len, &back);
	sp_buf_fini(&wire);
	sp_buf_fini(&back);
	sp_mse_free(m);
	return r;
}

SP_TEST(refusals)
{
	SP_CHECK_INT(refusal(0, 0, IH), -ENOTSUP);
	SP_CHECK_INT(refusal(SP_MSE_PLAINTEXT, 0, (const uint8_t *)"another-torrent-hash"),
		     -ENOENT);
	SP_CHECK_INT(refusal(SP_MSE_PLAINTEXT, 513, IH), -EOVERFLOW);
	/* no HASH('req1', S) within the 512-byte pad */
	struct sp_mse *m = sp_mse_new(lookup, NULL);
	struct sp_buf junk, back;
	sp_buf_init(&junk, 1 << 16);
	sp_buf_init(&back, 1 << 16);
	for (int i = 0; i < 800; i++)
		sp_buf_append(&junk, "\x77", 1);
	SP_CHECK_INT(sp_mse_feed(m, junk.data, junk.len, &back), -EPROTO);
	sp_mse_free(m);
	/* ... told as soon as the last place the pad allows is in: Ya, 512
	 * bytes of pad and 20 more (the fuzzer found it waited for a byte
	 * more, on our side's VC search too) */
	m = sp_mse_new(lookup, NULL);
	SP_CHECK_INT(sp_mse_feed(m, junk.data, SP_MSE_KEY_LEN + SP_MSE_MAX_PAD + 20, &back),
		     -EPROTO);
	sp_mse_free(m);
	m = sp_mse_new(lookup, NULL);
	SP_CHECK_INT(sp_mse_feed(m, junk.data, SP_MSE_KEY_LEN + SP_MSE_MAX_PAD + 19, &back), 0);
	sp_mse_free(m);
	/* a plain BitTorrent handshake is not MSE */
	m = sp_mse_new(lookup, NULL);
	sp_buf_reset(&junk);
	sp_buf_append(&junk, HS, 68);
	sp_buf_append(&junk, HS, 68);
	SP_CHECK_INT(sp_mse_feed(m, junk.data, junk.len, &back), -EPROTO);
	sp_mse_free(m);
	sp_buf_fini(&junk);
	sp_buf_fini(&back);
}

SP_TEST_MAIN()
