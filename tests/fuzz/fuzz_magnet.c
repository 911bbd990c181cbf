/* fuzz_magnet.c - libFuzzer target for magnet links (src/core/magnet.c),
 * which come from a web page, a chat or the command line.
 *
 * fuzz-metainfo already feeds every input to sp_magnet_parse, but a
 * random input rarely starts with "magnet:?": this target adds the prefix
 * itself, so every run reaches the query parser, and it checks what the
 * parser promises:
 * - a failure always says why; a success has the info-hash in hex, a
 *   name, a tier of one non-empty URL per tracker, non-empty web seeds,
 *   peers with a short NUL-ended host and a non-zero port, each list
 *   within its ceiling;
 * - the link rebuilt from what was parsed (every value percent-encoded)
 *   parses to the same info-hash, name, trackers, web seeds and peers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/magnet.h"

#define MAX_ITEMS 64 /* magnet.c's ceiling on each list */

static void put_pct(struct sp_buf *b, const char *key, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	sp_buf_append(b, "&", 1);
	sp_buf_append(b, key, strlen(key));
	sp_buf_append(b, "=", 1);
	for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
		char e[3] = {'%', hex[*c >> 4], hex[*c & 15]};
		sp_buf_append(b, e, 3);
	}
}

static void check(const struct sp_metainfo *mi)
{
	if (!mi->is_magnet || !mi->name || strlen(mi->info_hash_hex) != 40 ||
	    mi->num_tiers > MAX_ITEMS || mi->num_web_seeds > MAX_ITEMS ||
	    mi->num_initial_peers > MAX_ITEMS || !mi->tiers || !mi->web_seeds ||
	    mi->tiers[mi->num_tiers] || mi->web_seeds[mi->num_web_seeds])
		abort();
	for (size_t i = 0; i < mi->num_tiers; i++)
		if (!mi->tiers[i][0] || !mi->tiers[i][0][0] || mi->tiers[i][1])
			abort();
	for (size_t i = 0; i < mi->num_web_seeds; i++)
		if (!mi->web_seeds[i][0])
			abort();
	for (size_t i = 0; i < mi->num_initial_peers; i++) {
		const struct sp_mi_peer *p = &mi->initial_peers[i];
		size_t hl = strnlen(p->host, sizeof(p->host));
		if (!hl || hl == sizeof(p->host) || !p->port)
			abort();
	}
}

static void rebuild(const struct sp_metainfo *mi)
{
	struct sp_buf b;
	sp_buf_init(&b, 1 << 20);
	sp_buf_append(&b, "magnet:?xt=urn:btih:", 20);
	sp_buf_append(&b, mi->info_hash_hex, 40);
	put_pct(&b, "dn", mi->name);
	for (size_t i = 0; i < mi->num_tiers; i++)
		put_pct(&b, "tr", mi->tiers[i][0]);
	for (size_t i = 0; i < mi->num_web_seeds; i++)
		put_pct(&b, "ws", mi->web_seeds[i]);
	for (size_t i = 0; i < mi->num_initial_peers; i++) {
		const struct sp_mi_peer *p = &mi->initial_peers[i];
		char hp[96];
		/* brackets always: magnet.c strips one pair, as for an IPv6 host */
		snprintf(hp, sizeof(hp), "[%s]:%u", p->host, p->port);
		put_pct(&b, "x.pe", hp);
	}
	sp_buf_append(&b, "", 1);
	struct sp_error *err = NULL;
	struct sp_metainfo *again = sp_magnet_parse((const char *)b.data, &err);
	if (!again || memcmp(again->info_hash, mi->info_hash, 20) ||
	    strcmp(again->name, mi->name) || again->num_tiers != mi->num_tiers ||
	    again->num_web_seeds != mi->num_web_seeds ||
	    again->num_initial_peers != mi->num_initial_peers)
		abort();
	for (size_t i = 0; i < mi->num_tiers; i++)
		if (strcmp(again->tiers[i][0], mi->tiers[i][0]))
			abort();
	for (size_t i = 0; i < mi->num_web_seeds; i++)
		if (strcmp(again->web_seeds[i], mi->web_seeds[i]))
			abort();
	for (size_t i = 0; i < mi->num_initial_peers; i++)
		if (strcmp(again->initial_peers[i].host, mi->initial_peers[i].host) ||
		    again->initial_peers[i].port != mi->initial_peers[i].port)
			abort();
	sp_metainfo_free(again);
	sp_error_free(err);
	sp_buf_fini(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "magnet:?";
	bool has = size >= 8 && !memcmp(data, prefix, 8);
	size_t skip = has ? 8 : 0;
	char *s = malloc(8 + size - skip + 1);
	if (!s)
		return 0;
	memcpy(s, prefix, 8);
	memcpy(s + 8, data + skip, size - skip);
	s[8 + size - skip] = 0;
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_magnet_parse(s, &err);
	if (mi) {
		check(mi);
		rebuild(mi);
		sp_metainfo_free(mi);
	} else if (!err || !err->msg[0]) {
		abort();
	}
	sp_error_free(err);
	free(s);
	return 0;
}
