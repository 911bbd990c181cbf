/* magnet.c - BEP 9 magnet URIs into a files-less sp_metainfo.
 *
 * magnet:?xt=urn:btih:<40 hex | 32 base32>&dn=..&tr=..&ws=..&x.pe=host:port
 * Values are percent-decoded ('+' is a space in dn only: in URLs it is a
 * literal character). Unknown parameters are ignored; a missing or bad
 * btih fails; a v2-only link (urn:btmh) is -ENOTSUP. The input has a
 * length ceiling and each list a count ceiling. Pure; any thread. */
#include "core/magnet.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/i18n.h"
#include "core/mi_private.h"
#include "core/sha1.h"

#define MAX_URI (64u << 10)
#define MAX_ITEMS 64

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode s[0..len) into a new string; NULL when a %XX is bad or a NUL
 * would appear. */
static char *pct_decode(const char *s, size_t len, bool plus_is_space)
{
	char *out = malloc(len + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int hi = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi | lo) == 0) {
				free(out);
				return NULL;
			}
			c = hi << 4 | lo;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		*o++ = (char)c;
	}
	*o = 0;
	return out;
}

static int base32_decode(const char *s, uint8_t out[SP_INFOHASH_LEN])
{
	uint64_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < 32; i++) {
		int c = toupper((unsigned char)s[i]), v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -1;
		acc = acc << 5 | (uint64_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n == SP_INFOHASH_LEN ? 0 : -1;
}

static int parse_btih(struct sp_metainfo *mi, const char *h, struct sp_error **err)
{
	size_t len = strlen(h);
	if (len == 40) {
		for (size_t i = 0; i < 20; i++) {
			int hi = hexval((unsigned char)h[2 * i]), lo = hexval((unsigned char)h[2 * i + 1]);
			if (hi < 0 || lo < 0)
				goto bad;
			mi->info_hash[i] = (uint8_t)(hi << 4 | lo);
		}
	} else if (len != 32 || base32_decode(h, mi->info_hash) < 0) {
		goto bad;
	}
	sp_hex(mi->info_hash, SP_INFOHASH_LEN, mi->info_hash_hex);
	return 0;
bad:;
	char *shown = sp_mi_display((const uint8_t *)h, len);
	sp_error_set(err, -EBADMSG,
		     _("magnet link: bad info-hash \"%s\" (want 40 hex or 32 base32 characters)"),
		     shown ? shown : "");
	free(shown);
	return -EBADMSG;
}

static int push_str(char ***v, size_t *n, char *s)
{
	if (*n >= MAX_ITEMS) {
		free(s);
		return 0;
	}
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

static int add_tracker(struct sp_metainfo *mi, char *url)
{
	if (mi->num_tiers >= MAX_ITEMS) {
		free(url);
		return 0;
	}
	char **tier = calloc(2, sizeof(*tier));
	char ***t = realloc(mi->tiers, (mi->num_tiers + 2) * sizeof(*t));
	if (!tier || !t) {
		free(tier);
		free(url);
		if (t)
			mi->tiers = t;
		return -ENOMEM;
	}
	tier[0] = url;
	t[mi->num_tiers++] = tier;
	t[mi->num_tiers] = NULL;
	mi->tiers = t;
	return 0;
}

/* "host:port", "[v6]:port"; bad ones are ignored. */
static int add_peer(struct sp_metainfo *mi, const char *v)
{
	const char *colon = strrchr(v, ':');
	if (!colon || mi->num_initial_peers >= MAX_ITEMS)
		return 0;
	const char *h = v;
	size_t hl = (size_t)(colon - v);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (!hl || hl >= 64 || *end || colon[1] == 0 || port <= 0 || port > 65535)
		return 0;
	struct sp_mi_peer *p = realloc(mi->initial_peers,
				       (mi->num_initial_peers + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	mi->initial_peers = p;
	p += mi->num_initial_peers++;
	memcpy(p->host, h, hl);
	p->host[hl] = 0;
	p->port = (uint16_t)port;
	return 0;
}

/* One key=value. *have_hash tells whether a btih was seen; *v2 whether
 * a btmh was. Takes ownership of val. */
static int apply_param(struct sp_metainfo *mi, const char *key, size_t klen, char *val,
		       bool *have_hash, bool *v2, struct sp_error **err)
{
	int r = 0;
#define KEY(k) (klen == strlen(k) && !strncasecmp(key, k, klen))
	if (KEY("xt") || (klen > 3 && !strncasecmp(key, "xt.", 3))) {
		if (!strncasecmp(val, "urn:btih:", 9) && !*have_hash) {
			r = parse_btih(mi, val + 9, err);
			*have_hash = r == 0;
		} else if (!strncasecmp(val, "urn:btmh:", 9)) {
			*v2 = true;
		}
		free(val);
	} else if (KEY("dn") && !mi->name) {
		mi->name = val;
	} else if ((KEY("tr") || (klen > 3 && !strncasecmp(key, "tr.", 3))) && *val) {
		r = add_tracker(mi, val);
	} else if (KEY("ws") && *val) {
		r = push_str(&mi->web_seeds, &mi->num_web_seeds, val);
	} else if (KEY("x.pe")) {
		r = add_peer(mi, val);
		free(val);
	} else {
		free(val);
	}
#undef KEY
	if (r == -ENOMEM)
		sp_error_set(err, r, _("out of memory"));
	return r;
}

static int parse_query(struct sp_metainfo *mi, const char *q, struct sp_error **err)
{
	bool have_hash = false, v2 = false;
	while (*q) {
		size_t plen = strcspn(q, "&");
		const char *eq = memchr(q, '=', plen);
		if (eq) {
			size_t klen = (size_t)(eq - q);
			bool is_dn = klen == 2 && !strncasecmp(q, "dn", 2);
			char *val = pct_decode(eq + 1, plen - klen - 1, is_dn);
			if (!val)
				return sp_error_set(err, -EBADMSG,
						    _("magnet link: bad percent-encoding in '%.*s'"),
						    (int)klen, q);
			int r = apply_param(mi, q, klen, val, &have_hash, &v2, err);
			if (r < 0)
				return r;
		}
		q += plen;
		if (*q == '&')
			q++;
	}
	if (!have_hash)
		return v2 ? sp_error_set(err, -ENOTSUP,
					 _("magnet link: BitTorrent v2-only links are not supported"))
			  : sp_error_set(err, -EBADMSG,
					 _("magnet link has no xt=urn:btih: info-hash"));
	return 0;
}

struct sp_metainfo *sp_magnet_parse(const char *uri, struct sp_error **err)
{
	if (!uri || strncasecmp(uri, "magnet:?", 8)) {
		sp_error_set(err, -EINVAL, _("not a magnet link (it must start with magnet:?)"));
		return NULL;
	}
	if (strlen(uri) > MAX_URI) {
		sp_error_set(err, -EOVERFLOW, _("magnet link longer than 64 KiB"));
		return NULL;
	}
	struct sp_metainfo *mi = calloc(1, sizeof(*mi));
	if (!mi) {
		sp_error_set(err, -ENOMEM, _("out of memory"));
		return NULL;
	}
	mi->is_magnet = true;
	if (parse_query(mi, uri + 8, err) < 0) {
		sp_metainfo_free(mi);
		return NULL;
	}
	if (!mi->tiers)
		mi->tiers = calloc(1, sizeof(*mi->tiers));
	if (!mi->web_seeds)
		mi->web_seeds = calloc(1, sizeof(*mi->web_seeds));
	if (!mi->name)
		mi->name = strdup(mi->info_hash_hex);
	if (!mi->tiers || !mi->web_seeds || !mi->name) {
		sp_error_set(err, -ENOMEM, _("out of memory"));
		sp_metainfo_free(mi);
		return NULL;
	}
	return mi;
}
