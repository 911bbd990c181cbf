/* tracker_parse.c - announce URLs, HTTP tracker answers and BEP 15 UDP
 * packets, as pure functions (see tracker_parse.h).
 *
 * Everything here reads bytes a tracker chose: lengths are checked before
 * each read, numbers are range-checked, strings shown to the user are cut
 * and stripped of control bytes, and the peer list has a ceiling. A bad
 * answer is an error with a message, never an abort. Any thread. */
#include "net/tracker_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/bencode.h"
#include "core/i18n.h"

void sp_announce_resp_fini(struct sp_announce_resp *r)
{
	free(r->failure);
	free(r->warning);
	free(r->tracker_id);
	free(r->peers);
	memset(r, 0, sizeof(*r));
}

/* ---- URLs ---- */

static int put_escaped(struct sp_buf *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		char e[3] = {'%', hex[c >> 4], hex[c & 15]};
		int r = plain ? sp_buf_append(out, &c, 1) : sp_buf_append(out, e, 3);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Copy the URL without its fragment; return the separator the first
 * added parameter needs. */
static int put_base(struct sp_buf *out, const char *url, char *sep)
{
	size_t n = strcspn(url, "#");
	int r = sp_buf_append(out, url, n);
	if (r < 0)
		return r;
	const char *q = memchr(url, '?', n);
	*sep = !q ? '?' : (q == url + n - 1 || url[n - 1] == '&') ? 0 : '&';
	return 0;
}

int sp_tracker_announce_url(struct sp_buf *out, const char *announce,
			    const struct sp_announce_req *req)
{
	static const char *const events[] = {NULL, "completed", "started", "stopped"};
	char sep;
	int r = put_base(out, announce, &sep);
	if (r < 0)
		return r;
	if (sep)
		r = sp_buf_append(out, &sep, 1);
	if (!r)
		r = sp_buf_append(out, "info_hash=", 10);
	if (!r)
		r = put_escaped(out, req->info_hash, 20);
	if (!r)
		r = sp_buf_append(out, "&peer_id=", 9);
	if (!r)
		r = put_escaped(out, req->peer_id, 20);
	if (!r)
		r = sp_buf_appendf(out,
				   "&port=%u&uploaded=%llu&downloaded=%llu&left=%llu"
				   "&compact=1&key=%08X",
				   (unsigned)req->port, (unsigned long long)req->uploaded,
				   (unsigned long long)req->downloaded,
				   (unsigned long long)req->left, (unsigned)req->key);
	if (!r && req->numwant >= 0)
		r = sp_buf_appendf(out, "&numwant=%d", (int)req->numwant);
	if (!r && req->event > 0 && req->event <= SP_TRACKER_EV_STOPPED)
		r = sp_buf_appendf(out, "&event=%s", events[req->event]);
	if (!r && req->tracker_id) {
		r = sp_buf_append(out, "&trackerid=", 11);
		if (!r)
			r = put_escaped(out, (const uint8_t *)req->tracker_id,
					strlen(req->tracker_id));
	}
	return r;
}

int sp_tracker_scrape_url(struct sp_buf *out, const char *announce, const uint8_t info_hash[20])
{
	size_t n = strcspn(announce, "?#");
	const char *slash = NULL;
	for (size_t i = 0; i < n; i++)
		if (announce[i] == '/')
			slash = announce + i;
	if (!slash || strncmp(slash + 1, "announce", 8))
		return -ENOTSUP;
	size_t at = (size_t)(slash + 1 - announce);
	int r = sp_buf_append(out, announce, at);
	if (!r)
		r = sp_buf_append(out, "scrape", 6);
	/* the rest of the component (".php"), and the query, stay */
	char sep;
	if (!r)
		r = put_base(out, announce + at + 8, &sep);
	if (!r && sep)
		r = sp_buf_append(out, &sep, 1);
	if (!r)
		r = sp_buf_append(out, "info_hash=", 10);
	if (!r)
		r = put_escaped(out, info_hash, 20);
	return r;
}

/* ---- HTTP answers ---- */

/* A tracker's message for the user: cut, and without control bytes (a
 * terminal escape in a failure reason must not reach the screen). */
static char *clean_msg(const uint8_t *s, size_t n)
{
	if (n > SP_TRACKER_MAX_MSG)
		n = SP_TRACKER_MAX_MSG;
	char *m = malloc(n + 1);
	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++)
		m[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
	m[n] = 0;
	return m;
}

static int add_peer(struct sp_announce_resp *r, int family, const uint8_t *ip, uint16_t port)
{
	if (port == 0) {
		r->dropped_peers++;
		return 0;
	}
	if (r->num_peers >= SP_TRACKER_MAX_PEERS) {
		r->dropped_peers++;
		return 0;
	}
	if (!r->peers) {
		r->peers = calloc(SP_TRACKER_MAX_PEERS, sizeof(*r->peers));
		if (!r->peers)
			return -ENOMEM;
	}
	struct sp_tracker_peer *p = &r->peers[r->num_peers++];
	memset(p, 0, sizeof(*p));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&p->addr;
		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, ip, 4);
		a->sin_port = htons(port);
		p->addr_len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&p->addr;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, ip, 16);
		a->sin6_port = htons(port);
		p->addr_len = sizeof(*a);
	}
	return 0;
}

static int add_compact(struct sp_announce_resp *r, const struct sp_benc *s, bool v6,
		       struct sp_error **err)
{
	size_t rec = v6 ? 18 : 6;
	if (s->len % rec)
		return sp_error_set(err, -EBADMSG,
				    _("malformed tracker answer: %s is %zu bytes, not a multiple of %zu"),
				    v6 ? "peers6" : "peers", s->len, rec);
	for (size_t i = 0; i + rec <= s->len; i += rec) {
		const uint8_t *p = s->s + i;
		uint16_t port = (uint16_t)(p[rec - 2] << 8 | p[rec - 1]);
		int ret = add_peer(r, v6 ? AF_INET6 : AF_INET, p, port);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The original model: a list of {ip, port, peer id} dicts. Entries with
 * a host name (we would have to resolve it) or a bad port are skipped. */
static int add_dict_peers(struct sp_announce_resp *r, const struct sp_benc *list)
{
	for (const struct sp_benc *e = sp_benc_first(list); e; e = sp_benc_next(list, e)) {
		const struct sp_benc *ip = e->type == SP_BENC_DICT
						   ? sp_benc_dict_get_type(e, "ip", SP_BENC_STR)
						   : NULL;
		const struct sp_benc *port = e->type == SP_BENC_DICT
						     ? sp_benc_dict_get_type(e, "port", SP_BENC_INT)
						     : NULL;
		char txt[INET6_ADDRSTRLEN];
		uint8_t bin[16];
		if (!ip || !port || port->i <= 0 || port->i > 65535 || ip->len >= sizeof(txt)) {
			r->dropped_peers++;
			continue;
		}
		memcpy(txt, ip->s, ip->len);
		txt[ip->len] = 0;
		int ret = 0;
		if (inet_pton(AF_INET, txt, bin) == 1)
			ret = add_peer(r, AF_INET, bin, (uint16_t)port->i);
		else if (inet_pton(AF_INET6, txt, bin) == 1)
			ret = add_peer(r, AF_INET6, bin, (uint16_t)port->i);
		else
			r->dropped_peers++;
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int64_t get_int(const struct sp_benc *d, const char *key)
{
	const struct sp_benc *v = sp_benc_dict_get_type(d, key, SP_BENC_INT);
	return v ? v->i : -1;
}

static int parse_numbers(const struct sp_benc *root, struct sp_announce_resp *r,
			 struct sp_error **err)
{
	const struct sp_benc *iv = sp_benc_dict_get(root, "interval");
	const struct sp_benc *mv = sp_benc_dict_get(root, "min interval");
	if ((iv && iv->type != SP_BENC_INT) || (mv && mv->type != SP_BENC_INT))
		return sp_error_set(err, -EBADMSG,
				    _("malformed tracker answer: interval is not a number"));
	r->interval = iv ? iv->i : -1;
	r->min_interval = mv ? mv->i : -1;
	if ((iv && iv->i < 0) || (mv && mv->i < 0))
		return sp_error_set(err, -EPROTO, _("tracker sent a negative interval"));
	r->complete = get_int(root, "complete");
	r->incomplete = get_int(root, "incomplete");
	if (r->complete < -1 || r->incomplete < -1)
		r->complete = r->incomplete = -1; /* nonsense, but harmless */
	return 0;
}

static int parse_root(const struct sp_benc *root, struct sp_announce_resp *r,
		      struct sp_error **err)
{
	if (root->type != SP_BENC_DICT)
		return sp_error_set(err, -EBADMSG,
				    _("malformed tracker answer: not a dictionary"));
	const struct sp_benc *f = sp_benc_dict_get(root, "failure reason");
	if (f) {
		r->failure = f->type == SP_BENC_STR ? clean_msg(f->s, f->len)
						    : clean_msg((const uint8_t *)"?", 1);
		return r->failure ? 0 : -ENOMEM;
	}
	const struct sp_benc *w = sp_benc_dict_get_type(root, "warning message", SP_BENC_STR);
	if (w && !(r->warning = clean_msg(w->s, w->len)))
		return -ENOMEM;
	const struct sp_benc *tid = sp_benc_dict_get_type(root, "tracker id", SP_BENC_STR);
	if (tid && tid->len > 0 && tid->len <= 64)
		r->tracker_id = clean_msg(tid->s, tid->len);
	int ret = parse_numbers(root, r, err);
	if (ret < 0)
		return ret;
	const struct sp_benc *peers = sp_benc_dict_get(root, "peers");
	const struct sp_benc *peers6 = sp_benc_dict_get(root, "peers6");
	if (peers && peers->type == SP_BENC_STR)
		ret = add_compact(r, peers, false, err);
	else if (peers && peers->type == SP_BENC_LIST)
		ret = add_dict_peers(r, peers);
	else if (peers)
		ret = sp_error_set(err, -EBADMSG,
				   _("malformed tracker answer: peers is neither a string nor a list"));
	if (!ret && peers6 && peers6->type == SP_BENC_STR)
		ret = add_compact(r, peers6, true, err);
	if (!ret && !peers && !peers6 && r->interval < 0)
		ret = sp_error_set(err, -EBADMSG,
				   _("malformed tracker answer: no peers and no interval"));
	return ret;
}

int sp_tracker_parse_announce(const uint8_t *buf, size_t len, struct sp_announce_resp *r,
			      struct sp_error **err)
{
	memset(r, 0, sizeof(*r));
	r->interval = r->min_interval = r->complete = r->incomplete = -1;
	if (len > SP_TRACKER_MAX_RESPONSE)
		return sp_error_set(err, -EOVERFLOW, _("tracker answer too large (%zu bytes)"),
				    len);
	struct sp_benc_limits lim = {.max_depth = 8, .max_nodes = 1u << 20};
	struct sp_benc_doc doc = {0};
	struct sp_error *perr = NULL;
	int ret = sp_benc_parse(buf, len, &lim, &doc, &perr);
	if (ret < 0) {
		sp_error_set(err, -EBADMSG, _("malformed tracker answer: %s"),
			     perr ? perr->msg : "bencode");
		sp_error_free(perr);
		return -EBADMSG;
	}
	ret = parse_root(&doc.nodes[0], r, err);
	sp_benc_doc_free(&doc);
	if (ret < 0) {
		sp_announce_resp_fini(r);
		r->interval = r->min_interval = r->complete = r->incomplete = -1;
	}
	return ret;
}

int sp_tracker_parse_scrape(const uint8_t *buf, size_t len, const uint8_t info_hash[20],
			    struct sp_scrape_info *out, struct sp_error **err)
{
	out->complete = out->incomplete = out->downloaded = -1;
	struct sp_benc_limits lim = {.max_depth = 8, .max_nodes = 1u << 20};
	struct sp_benc_doc doc = {0};
	struct sp_error *perr = NULL;
	if (len > SP_TRACKER_MAX_RESPONSE || sp_benc_parse(buf, len, &lim, &doc, &perr) < 0) {
		sp_error_set(err, -EBADMSG, _("malformed scrape answer: %s"),
			     perr ? perr->msg : "too large");
		sp_error_free(perr);
		return -EBADMSG;
	}
	int ret = -ENOENT;
	const struct sp_benc *root = &doc.nodes[0];
	const struct sp_benc *files = root->type == SP_BENC_DICT
					      ? sp_benc_dict_get_type(root, "files", SP_BENC_DICT)
					      : NULL;
	for (const struct sp_benc *k = files ? sp_benc_first(files) : NULL; k;
	     k = sp_benc_next(files, k + k->span)) {
		const struct sp_benc *v = k + k->span;
		if (k->len == 20 && !memcmp(k->s, info_hash, 20) && v->type == SP_BENC_DICT) {
			out->complete = get_int(v, "complete");
			out->incomplete = get_int(v, "incomplete");
			out->downloaded = get_int(v, "downloaded");
			ret = 0;
			break;
		}
	}
	sp_benc_doc_free(&doc);
	if (ret < 0)
		sp_error_set(err, ret, _("the tracker does not know this torrent"));
	return ret;
}

int64_t sp_tracker_clamp_interval_ms(int64_t seconds, int64_t def_ms, int64_t floor_ms,
				     int64_t ceil_ms)
{
	int64_t ms = def_ms;
	if (seconds >= 0)
		ms = seconds > ceil_ms / 1000 + 1 ? ceil_ms : seconds * 1000;
	if (ms < floor_ms)
		ms = floor_ms;
	if (ms > ceil_ms)
		ms = ceil_ms;
	return ms;
}

/* ---- BEP 15 ---- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void sp_udp_connect_req(uint8_t out[SP_UDP_CONNECT_LEN], uint32_t txid)
{
	put64(out, SP_UDP_PROTOCOL_ID);
	put32(out + 8, SP_UDP_CONNECT);
	put32(out + 12, txid);
}

void sp_udp_announce_req(uint8_t out[SP_UDP_ANNOUNCE_LEN], uint64_t conn_id, uint32_t txid,
			 const struct sp_announce_req *req)
{
	put64(out, conn_id);
	put32(out + 8, SP_UDP_ANNOUNCE);
	put32(out + 12, txid);
	memcpy(out + 16, req->info_hash, 20);
	memcpy(out + 36, req->peer_id, 20);
	put64(out + 56, req->downloaded);
	put64(out + 64, req->left);
	put64(out + 72, req->uploaded);
	put32(out + 80, (uint32_t)req->event);
	put32(out + 84, 0); /* IP: the sender's */
	put32(out + 88, req->key);
	put32(out + 92, (uint32_t)req->numwant);
	out[96] = (uint8_t)(req->port >> 8);
	out[97] = (uint8_t)req->port;
}

void sp_udp_scrape_req(uint8_t out[SP_UDP_SCRAPE_LEN], uint64_t conn_id, uint32_t txid,
		       const uint8_t info_hash[20])
{
	put64(out, conn_id);
	put32(out + 8, SP_UDP_SCRAPE);
	put32(out + 12, txid);
	memcpy(out + 16, info_hash, 20);
}

size_t sp_udp_url_options(uint8_t *out, size_t cap, const char *path)
{
	size_t n = strlen(path), at = 0;
	if (!n || n + (n + 254) / 255 * 2 + 1 > cap)
		return 0;
	for (size_t i = 0; i < n; i += 255) {
		size_t chunk = n - i < 255 ? n - i : 255;
		out[at++] = 2; /* URLData */
		out[at++] = (uint8_t)chunk;
		memcpy(out + at, path + i, chunk);
		at += chunk;
	}
	out[at++] = 0; /* EndOfOptions */
	return at;
}

void sp_udp_resp_fini(struct sp_udp_resp *r)
{
	sp_announce_resp_fini(&r->announce);
}

static int udp_announce_body(const uint8_t *pkt, size_t len, bool ipv6, struct sp_udp_resp *out,
			     struct sp_error **err)
{
	struct sp_announce_resp *a = &out->announce;
	size_t rec = ipv6 ? 18 : 6;
	if (len < 20 || (len - 20) % rec)
		return sp_error_set(err, -EBADMSG,
				    _("malformed UDP tracker answer (%zu bytes)"), len);
	a->interval = get32(pkt + 8);
	a->incomplete = get32(pkt + 12);
	a->complete = get32(pkt + 16);
	if (a->interval > INT32_MAX)
		return sp_error_set(err, -EPROTO, _("tracker sent a negative interval"));
	for (size_t i = 20; i + rec <= len; i += rec) {
		const uint8_t *p = pkt + i;
		int ret = add_peer(a, ipv6 ? AF_INET6 : AF_INET, p,
				   (uint16_t)(p[rec - 2] << 8 | p[rec - 1]));
		if (ret < 0)
			return ret;
	}
	return 0;
}

int sp_udp_parse(const uint8_t *pkt, size_t len, uint32_t txid, enum sp_udp_action expected,
		 bool ipv6, struct sp_udp_resp *out, struct sp_error **err)
{
	memset(out, 0, sizeof(*out));
	out->announce.interval = out->announce.min_interval = -1;
	out->announce.complete = out->announce.incomplete = -1;
	if (len < 8)
		return sp_error_set(err, -EBADMSG, _("malformed UDP tracker answer (%zu bytes)"),
				    len);
	uint32_t action = get32(pkt);
	out->txid = get32(pkt + 4);
	if (out->txid != txid)
		return sp_error_set(err, -EPROTO, _("UDP tracker answered another transaction"));
	if (action == SP_UDP_ERROR) {
		out->action = SP_UDP_ERROR;
		out->announce.failure = clean_msg(pkt + 8, len - 8);
		return out->announce.failure ? 0 : -ENOMEM;
	}
	if (action != (uint32_t)expected)
		return sp_error_set(err, -EPROTO,
				    _("UDP tracker answered with action %u instead of %u"),
				    (unsigned)action, (unsigned)expected);
	out->action = expected;
	int ret = 0;
	if (expected == SP_UDP_CONNECT) {
		if (len < 16)
			return sp_error_set(err, -EBADMSG,
					    _("malformed UDP tracker answer (%zu bytes)"), len);
		out->conn_id = (uint64_t)get32(pkt + 8) << 32 | get32(pkt + 12);
	} else if (expected == SP_UDP_ANNOUNCE) {
		ret = udp_announce_body(pkt, len, ipv6, out, err);
	} else if (expected == SP_UDP_SCRAPE) {
		if (len < 20)
			return sp_error_set(err, -EBADMSG,
					    _("malformed UDP tracker answer (%zu bytes)"), len);
		out->scrape.complete = get32(pkt + 8);
		out->scrape.downloaded = get32(pkt + 12);
		out->scrape.incomplete = get32(pkt + 16);
	}
	if (ret < 0)
		sp_udp_resp_fini(out);
	return ret;
}
