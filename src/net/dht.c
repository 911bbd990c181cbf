/* dht.c - a small BEP 5 (Mainline DHT) node, IPv4 and IPv6 (BEP 32):
 * enough to find peers for our torrents without a tracker and to be a
 * fair citizen. On by default for public torrents (sp_session_config.
 * dht). Net thread only; a UDP socket on the session's port for each
 * family (IPv6 on [::] when the session listens on every address).
 *
 * What it does: keeps a routing table (dht_table.c: per-address limit,
 * failure counting, BEP 42 preference); answers ping, find_node,
 * get_peers (nodes / nodes6 as the asker's family or "want" asks, values
 * from what was announced to us, tokens bound to the asker's address)
 * and announce_peer; and for each torrent runs an iterative get_peers
 * lookup every LOOKUP_INTERVAL_US: ALPHA queries in flight, the closest
 * nodes by XOR distance kept, each asked once; the peers found become
 * connect candidates, and the closest nodes that answered get our
 * announce_peer with their token. The table is saved in dht.dat
 * (dht_save.c).
 *
 * Hardening (issue 11): every query we send is a recorded transaction;
 * a reply that matches none (by id and address) is dropped whole, so no
 * node, peer or `ip` vote comes from an unsolicited packet. A query is
 * answered only within the rate limit (per address and in total,
 * dht_sec.c); a node that queries us enters the table only once it
 * answers a ping of ours. Tokens come from two rotating secrets. A node
 * that fails SP_DHT_MAX_FAILS queries in a row is evicted. Our node id
 * follows BEP 42 once the votes (extip.c: DHT "ip", peers' "yourip", the
 * router) agree on our external address, and is made again when it
 * changes. Every table is of fixed size.
 *
 * Every datagram is parsed by krpc.c (pure, bencode with hard limits);
 * a bad one is dropped silently. Not done: k-bucket splitting (a flat
 * table suffices for a client), storage beyond SP_DHT_MAX_STORED peers
 * per hash. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/bencode.h"
#include "core/clock.h"
#include "core/log.h"
#include "net/dht_int.h"
#include "net/krpc.h"

#define MOD "dht"
#define CLOSE 8
#define ALPHA 3
#define QUERY_TIMEOUT_US 2000000
#define LOOKUP_INTERVAL_US (300 * 1000000LL)
#define MAX_DGRAM SP_KRPC_MAX_DGRAM
#define SAVE_INTERVAL_US (300 * 1000000LL)
#define REFRESH_US (15 * 60 * 1000000LL)
/* find_node to nodes learnt from answers, while the table is this small,
 * at most BOOT_BUDGET each BOOT_PERIOD_US */
#define BOOT_UNTIL (SP_DHT_TABLE_MAX / 2)
#define BOOT_BUDGET 400
#define BOOT_PERIOD_US (60 * 1000000LL)
/* values in one answer: room left for nodes and nodes6 in a datagram */
#define MAX_VALUES4 100
#define MAX_VALUES6 40

enum { KIND_FIND_SELF = 1, KIND_PING, KIND_LOOKUP, KIND_ANNOUNCE };

/* ---- addresses ---- */

static bool from_sockaddr(const struct sockaddr *ss, struct sp_dht_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		a->len = 4;
		memcpy(a->ip, &in->sin_addr, 4);
		a->port = ntohs(in->sin_port);
		return true;
	}
	if (ss->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		a->len = 16;
		memcpy(a->ip, &in6->sin6_addr, 16);
		a->port = ntohs(in6->sin6_port);
		return true;
	}
	return false;
}

static socklen_t to_sockaddr(const struct sp_dht_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->len == 4) {
		struct sockaddr_in *in = (void *)ss;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a->ip, 4);
		in->sin_port = htons(a->port);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (void *)ss;
	in6->sin6_family = AF_INET6;
	memcpy(&in6->sin6_addr, a->ip, 16);
	in6->sin6_port = htons(a->port);
	return sizeof(*in6);
}

/* A compact node info (26 or 38 bytes) or peer (6 or 18 bytes). */
static void compact_addr(const uint8_t *p, size_t iplen, struct sp_dht_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->len = (uint8_t)iplen;
	memcpy(a->ip, p, iplen);
	a->port = (uint16_t)(p[iplen] << 8 | p[iplen + 1]);
}

static size_t put_compact(uint8_t *out, const struct sp_dht_addr *a)
{
	memcpy(out, a->ip, a->len);
	out[a->len] = (uint8_t)(a->port >> 8);
	out[a->len + 1] = (uint8_t)a->port;
	return a->len + 2u;
}

/* ---- sending ---- */

static void send_buf(struct sp_dht *d, const struct sp_dht_addr *to, const struct sp_buf *b)
{
	int fd = to->len == 4 ? d->fd4 : d->fd6;
	if (fd < 0 || !b->len)
		return;
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(to, &ss);
	sendto(fd, b->data, b->len, 0, (const struct sockaddr *)&ss, sl);
}

static bool can_send(const struct sp_dht *d, const struct sp_dht_addr *a)
{
	return (a->len == 4 ? d->fd4 : d->fd6) >= 0 && sp_dht_addr_ok(a);
}

/* A query, recorded as a transaction (kind, lookup, cand tell its reply
 * apart). ih: the target or info-hash under ihkey, or NULL. */
static void query(struct sp_dht *d, const struct sp_dht_addr *to, const char *q, uint8_t kind,
		  uint8_t lookup, uint8_t cand, const uint8_t *ih, const char *ihkey,
		  const uint8_t *token, size_t token_len)
{
	if (!can_send(d, to))
		return;
	/* when every slot is busy the oldest query gives way: not counted
	 * against its node (a flood could then evict good nodes) */
	uint16_t tid = sp_dht_pending_add(&d->pend, to, kind, lookup, cand, sp_now_us(), NULL);
	struct sp_buf b;
	sp_buf_init(&b, MAX_DGRAM);
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "a");
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "id");
	sp_benc_put_str(&b, d->id, 20);
	if (ih) {
		sp_benc_put_cstr(&b, ihkey);
		sp_benc_put_str(&b, ih, 20);
	}
	if (token) {
		sp_benc_put_cstr(&b, "port");
		sp_benc_put_int(&b, d->s->port);
		sp_benc_put_cstr(&b, "token");
		sp_benc_put_str(&b, token, token_len);
	}
	if (ih && d->fd4 >= 0 && d->fd6 >= 0 && !token) { /* BEP 32: both families */
		sp_benc_put_cstr(&b, "want");
		sp_benc_list_begin(&b);
		sp_benc_put_cstr(&b, "n4");
		sp_benc_put_cstr(&b, "n6");
		sp_benc_end(&b);
	}
	sp_benc_end(&b);
	sp_benc_put_cstr(&b, "q");
	sp_benc_put_cstr(&b, q);
	uint8_t t[2] = {(uint8_t)(tid >> 8), (uint8_t)tid};
	sp_benc_put_cstr(&b, "t");
	sp_benc_put_str(&b, t, 2);
	sp_benc_put_cstr(&b, "y");
	sp_benc_put_cstr(&b, "q");
	if (sp_benc_end(&b) == 0)
		send_buf(d, to, &b);
	sp_buf_fini(&b);
}

void sp_dht_find_self(struct sp_dht *d, const struct sp_dht_addr *a)
{
	query(d, a, "find_node", KIND_FIND_SELF, 0, 0, d->id, "target", NULL, 0);
}

/* ---- answering ---- */

/* Do we serve this info-hash ourselves (and may say so)? */
static bool serving(struct sp_dht *d, const uint8_t ih[20])
{
	for (struct sp_torrent *t = d->s->torrents; t; t = t->next)
		if (!t->meta_only && t->started && !t->stopping && !t->mi->private_flag &&
		    !memcmp(t->mi->info_hash, ih, 20))
			return true;
	return false;
}

static void put_nodes(struct sp_dht *d, struct sp_buf *b, const uint8_t *target, int family)
{
	int best[CLOSE];
	size_t nb = sp_dht_table_closest(&d->table, target, family, best, CLOSE);
	uint8_t out[CLOSE * 38];
	size_t len = 0;
	for (size_t k = 0; k < nb; k++) {
		const struct sp_dht_node *n = &d->table.n[best[k]];
		memcpy(out + len, n->id, 20);
		len += 20 + put_compact(out + len + 20, &n->addr);
	}
	sp_benc_put_cstr(b, family == 4 ? "nodes" : "nodes6");
	sp_benc_put_str(b, out, len);
}

static struct sp_dht_stored *stored_for(struct sp_dht *d, const uint8_t ih[20], bool create)
{
	for (int i = 0; i < d->nstore; i++)
		if (!memcmp(d->store[i].ih, ih, 20))
			return &d->store[i];
	if (!create)
		return NULL;
	int slot = d->nstore < SP_DHT_MAX_HASHES ? d->nstore++ : rand() % SP_DHT_MAX_HASHES;
	struct sp_dht_stored *st = &d->store[slot];
	memcpy(st->ih, ih, 20);
	st->n = st->next = 0;
	return st;
}

/* The peers stored for target of the asker's family, and ourselves when
 * we serve it and know our address in that family. */
static void put_values(struct sp_dht *d, struct sp_buf *b, const uint8_t *target, size_t fam)
{
	struct sp_dht_stored *st = stored_for(d, target, false);
	const uint8_t *me = sp_extip_get(fam == 4 ? &d->s->extip4 : &d->s->extip6);
	bool self = me && serving(d, target);
	int max = fam == 4 ? MAX_VALUES4 : MAX_VALUES6, n = 0;
	for (int i = 0; st && i < st->n; i++)
		n += st->peers[i].len == fam + 2;
	if (!n && !self)
		return;
	sp_benc_put_cstr(b, "values");
	sp_benc_list_begin(b);
	n = 0;
	for (int i = 0; st && i < st->n && n < max; i++)
		if (st->peers[i].len == fam + 2) {
			sp_benc_put_str(b, st->peers[i].e, st->peers[i].len);
			n++;
		}
	if (self) {
		struct sp_dht_addr a = {.len = (uint8_t)fam, .port = d->s->port};
		uint8_t e[18];
		memcpy(a.ip, me, fam);
		sp_benc_put_str(b, e, put_compact(e, &a));
	}
	sp_benc_end(b);
}

/* target: 20 bytes or NULL */
static void answer(struct sp_dht *d, const struct sp_dht_addr *to, const struct sp_krpc *k,
		   const uint8_t *target)
{
	struct sp_buf b;
	sp_buf_init(&b, MAX_DGRAM);
	sp_benc_dict_begin(&b);
	/* BEP 42: tell the asker its address as we see it */
	uint8_t ipb[18];
	sp_benc_put_cstr(&b, "ip");
	sp_benc_put_str(&b, ipb, put_compact(ipb, to));
	sp_benc_put_cstr(&b, "r");
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "id");
	sp_benc_put_str(&b, d->id, 20);
	bool gp = !strcmp(k->q, "get_peers");
	if (target && (gp || !strcmp(k->q, "find_node"))) {
		bool w4 = k->want4 || (!k->want6 && to->len == 4);
		bool w6 = k->want6 || (!k->want4 && to->len == 16);
		if (w4)
			put_nodes(d, &b, target, 4);
		if (w6)
			put_nodes(d, &b, target, 16);
	}
	if (gp && target) {
		uint8_t tok[SP_DHT_TOKEN_LEN];
		sp_dht_token_make(&d->tokens, to->ip, to->len, tok);
		sp_benc_put_cstr(&b, "token");
		sp_benc_put_str(&b, tok, sizeof(tok));
		put_values(d, &b, target, to->len);
	}
	sp_benc_end(&b);
	sp_benc_put_cstr(&b, "t");
	sp_benc_put_str(&b, k->tid, k->tid_len);
	sp_benc_put_cstr(&b, "y");
	sp_benc_put_cstr(&b, "r");
	if (sp_benc_end(&b) == 0)
		send_buf(d, to, &b);
	sp_buf_fini(&b);
}

static void on_announce(struct sp_dht *d, const struct sp_dht_addr *from, const struct sp_krpc *k)
{
	if (!k->info_hash || k->info_hash_len != 20 ||
	    !sp_dht_token_ok(&d->tokens, from->ip, from->len, k->token, k->token_len))
		return;
	struct sp_dht_addr peer = *from;
	peer.port = k->implied_port ? from->port : k->port;
	if (!peer.port)
		return;
	struct sp_dht_stored *st = stored_for(d, k->info_hash, true);
	uint8_t entry[18];
	size_t el = put_compact(entry, &peer);
	for (int i = 0; i < st->n; i++)
		if (st->peers[i].len == el && !memcmp(st->peers[i].e, entry, el))
			return;
	int slot = st->n < SP_DHT_MAX_STORED ? st->n++ : st->next++ % SP_DHT_MAX_STORED;
	memcpy(st->peers[slot].e, entry, el);
	st->peers[slot].len = (uint8_t)el;
}

static void on_query(struct sp_dht *d, const struct sp_dht_addr *from, const struct sp_krpc *k)
{
	if (!sp_dht_rl_allow(&d->rl, from->ip, from->len, from->port, sp_now_us()))
		return;
	/* a querier is a node only once it answers us: a query's source
	 * address may be forged */
	int i = sp_dht_table_find(&d->table, from);
	if (i >= 0 && !memcmp(d->table.n[i].id, k->id, 20)) {
		d->table.n[i].seen_us = sp_now_us();
	} else if (i < 0 && d->table.count < SP_DHT_TABLE_MAX && d->ping_budget > 0) {
		d->ping_budget--; /* spoofed queriers cannot crowd our own queries out */
		query(d, from, "ping", KIND_PING, 0, 0, NULL, NULL, NULL, 0);
	}
	if (k->target && k->target_len != 20)
		return;
	if (!strcmp(k->q, "announce_peer"))
		on_announce(d, from, k);
	answer(d, from, k, k->target);
	d->answered++;
}

/* ---- lookups ---- */

static void cand_add(struct sp_dht_lookup *l, const uint8_t id[20], const struct sp_dht_addr *a)
{
	for (int i = 0; i < l->n; i++)
		if (sp_dht_addr_eq(&l->c[i].addr, a) || !memcmp(l->c[i].id, id, 20))
			return;
	int slot;
	if (l->n < SP_DHT_LOOKUP_SET) {
		slot = l->n++;
	} else { /* replace the farthest not yet asked */
		slot = -1;
		for (int i = 0; i < l->n; i++)
			if (!l->c[i].asked &&
			    (slot < 0 || sp_dht_closer(l->ih, l->c[slot].id, l->c[i].id)))
				slot = i;
		if (slot < 0 || !sp_dht_closer(l->ih, id, l->c[slot].id))
			return;
	}
	memset(&l->c[slot], 0, sizeof(l->c[slot]));
	memcpy(l->c[slot].id, id, 20);
	l->c[slot].addr = *a;
}

/* The closest CLOSE candidates that answered get our announce. */
static void finish(struct sp_dht *d, struct sp_dht_lookup *l)
{
	l->active = false;
	bool used[SP_DHT_LOOKUP_SET] = {0};
	int sent = 0;
	for (int k = 0; k < CLOSE; k++) {
		int best = -1;
		for (int i = 0; i < l->n; i++)
			if (l->c[i].answered && !used[i] &&
			    (best < 0 || sp_dht_closer(l->ih, l->c[i].id, l->c[best].id)))
				best = i;
		if (best < 0)
			break;
		used[best] = true;
		query(d, &l->c[best].addr, "announce_peer", KIND_ANNOUNCE, 0, 0, l->ih, "info_hash",
		      l->c[best].token, l->c[best].token_len);
		sent++;
	}
	SP_DEBUG(MOD, "lookup done: %d nodes answered, announced to %d", l->n, sent);
}

static void step(struct sp_dht *d, struct sp_dht_lookup *l, int64_t now)
{
	if (!l->active)
		return;
	int inflight = 0;
	for (int i = 0; i < l->n; i++)
		if (l->c[i].asked && !l->c[i].answered && !l->c[i].failed &&
		    now - l->c[i].asked_us < QUERY_TIMEOUT_US)
			inflight++;
	while (inflight < ALPHA) {
		int best = -1;
		for (int i = 0; i < l->n; i++)
			if (!l->c[i].asked && can_send(d, &l->c[i].addr) &&
			    (best < 0 || sp_dht_closer(l->ih, l->c[i].id, l->c[best].id)))
				best = i;
		if (best < 0)
			break;
		l->c[best].asked = true;
		l->c[best].asked_us = now;
		query(d, &l->c[best].addr, "get_peers", KIND_LOOKUP, (uint8_t)(l - d->lk),
		      (uint8_t)best, l->ih, "info_hash", NULL, 0);
		inflight++;
	}
	if (inflight == 0)
		finish(d, l);
}

static void lookup_nodes(struct sp_dht *d, struct sp_dht_lookup *l, const uint8_t *p, size_t len,
			 size_t iplen)
{
	size_t el = 20 + iplen + 2;
	for (size_t i = 0; p && i + el <= len; i += el) {
		struct sp_dht_addr a;
		compact_addr(p + i + 20, iplen, &a);
		if (sp_dht_addr_ok(&a) && memcmp(p + i, d->id, 20))
			cand_add(l, p + i, &a);
	}
}

static void lookup_peer(struct sp_torrent *t, const uint8_t *v, size_t iplen)
{
	struct sp_dht_addr a;
	compact_addr(v, iplen, &a);
	if (!sp_dht_addr_ok(&a))
		return;
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(&a, &ss);
	sp_torrent_add_candidate(t, (struct sockaddr *)&ss, sl);
}

static void on_lookup_reply(struct sp_dht *d, struct sp_dht_lookup *l, int idx,
			    const struct sp_dht_addr *from, const struct sp_krpc *k)
{
	if (!l->active || idx >= l->n || !sp_dht_addr_eq(&l->c[idx].addr, from))
		return;
	struct sp_dht_cand *c = &l->c[idx];
	c->answered = true;
	if (k->token && k->token_len <= sizeof(c->token)) {
		memcpy(c->token, k->token, k->token_len);
		c->token_len = k->token_len;
	}
	size_t found = k->nvalues + k->nvalues6;
	for (size_t i = 0; i < k->nvalues && l->t; i++)
		lookup_peer(l->t, k->values[i], 4);
	for (size_t i = 0; i < k->nvalues6 && l->t; i++)
		lookup_peer(l->t, k->values6[i], 16);
	if (found && l->t) {
		SP_DEBUG(MOD, "%s: %zu peers from the DHT", l->t->mi->name, found);
		sp_torrent_connect_candidates(l->t, sp_now_us());
	}
	lookup_nodes(d, l, k->nodes, k->nodes_len, 4);
	lookup_nodes(d, l, k->nodes6, k->nodes6_len, 16);
}

/* A find_node answer while the table is small: ask the nodes it names
 * (they enter the table when they answer), within the budget. */
static void learn_nodes(struct sp_dht *d, const uint8_t *p, size_t len, size_t iplen)
{
	size_t el = 20 + iplen + 2;
	for (size_t i = 0; p && i + el <= len; i += el) {
		if (d->table.count >= BOOT_UNTIL || d->boot_sent >= BOOT_BUDGET)
			return;
		struct sp_dht_addr a;
		compact_addr(p + i + 20, iplen, &a);
		if (!can_send(d, &a) || !memcmp(p + i, d->id, 20) ||
		    sp_dht_table_find(&d->table, &a) >= 0)
			continue;
		d->boot_sent++;
		sp_dht_find_self(d, &a);
	}
}

static void on_reply(struct sp_dht *d, const struct sp_dht_addr *from, const struct sp_krpc *k)
{
	struct sp_dht_txn x;
	if (!sp_dht_pending_match(&d->pend, k->tid, k->tid_len, from, &x))
		return; /* not an answer to a query of ours: nothing from it */
	d->replies++;
	sp_dht_table_heard(&d->table, k->id, from, sp_now_us());
	if (k->ip && k->ip_len == (size_t)from->len + 2) {
		struct sockaddr_storage ss;
		to_sockaddr(from, &ss);
		sp_dht_vote_extip(d->s, SP_EXTIP_DHT, k->ip, from->len, (struct sockaddr *)&ss);
	}
	if (x.kind == KIND_LOOKUP && x.lookup < SP_DHT_LOOKUPS) {
		struct sp_dht_lookup *l = &d->lk[x.lookup];
		on_lookup_reply(d, l, x.cand, from, k);
		step(d, l, sp_now_us());
	} else if (x.kind == KIND_FIND_SELF) {
		learn_nodes(d, k->nodes, k->nodes_len, 4);
		learn_nodes(d, k->nodes6, k->nodes6_len, 16);
	}
}

static void on_timeout(struct sp_dht *d, const struct sp_dht_txn *x)
{
	sp_dht_table_failed(&d->table, &x->addr);
	if (x->kind != KIND_LOOKUP || x->lookup >= SP_DHT_LOOKUPS)
		return;
	struct sp_dht_lookup *l = &d->lk[x->lookup];
	if (x->cand < l->n && sp_dht_addr_eq(&l->c[x->cand].addr, &x->addr))
		l->c[x->cand].failed = true;
}

/* uTP (BEP 29) shares this port in other clients, so a peer that found
 * us through the DHT may try it first. We do not speak it: a SYN gets a
 * RESET at once, so the peer falls back to TCP instead of timing out. */
static void refuse_utp(struct sp_dht *d, const uint8_t *p, size_t len,
		       const struct sp_dht_addr *from)
{
	if (len < 20 || p[0] != 0x41) /* type ST_SYN (4), version 1 */
		return;
	uint8_t r[20] = {0};
	r[0] = 0x31;		   /* ST_RESET, version 1 */
	memcpy(r + 2, p + 2, 2);   /* connection id: the SYN's */
	memcpy(r + 18, p + 16, 2); /* ack_nr: the SYN's seq_nr */
	struct sp_buf b = {.data = r, .len = sizeof(r)};
	send_buf(d, from, &b);
}

void sp_dht_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct sp_dht *d = arg;
	for (int n = 0; n < 64; n++) {
		uint8_t buf[MAX_DGRAM];
		struct sockaddr_storage ss;
		socklen_t fl = sizeof(ss);
		ssize_t len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &fl);
		if (len <= 0)
			return;
		struct sp_dht_addr from;
		if (!from_sockaddr((struct sockaddr *)&ss, &from) || !sp_dht_addr_ok(&from))
			continue;
		if (buf[0] != 'd') {
			if (sp_dht_rl_allow(&d->rl, from.ip, from.len, from.port, sp_now_us()))
				refuse_utp(d, buf, (size_t)len, &from);
			continue;
		}
		struct sp_krpc k; /* views into buf */
		if (sp_krpc_parse(buf, (size_t)len, &k) < 0)
			continue;
		if (k.y == 'q')
			on_query(d, &from, &k);
		else
			on_reply(d, &from, &k);
	}
}

/* ---- our id and external address ---- */

/* BEP 42: an id of our external address's, when the votes know it and
 * ours does not fit. */
void sp_dht_fit_id(struct sp_dht *d)
{
	const uint8_t *ip = sp_extip_get(&d->s->extip4);
	size_t len = 4;
	if (!ip) {
		ip = sp_extip_get(&d->s->extip6);
		len = 16;
	}
	sp_dht_table_set_ext_known(&d->table, ip != NULL);
	if (!ip || sp_bep42_ok(d->id, ip, len))
		return;
	uint8_t rnd[18];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return;
	sp_bep42_make(ip, len, rnd, d->id);
	sp_dht_table_set_self(&d->table, d->id);
	char s[INET6_ADDRSTRLEN];
	inet_ntop(len == 4 ? AF_INET : AF_INET6, ip, s, sizeof(s));
	SP_INFO(MOD, "external address %s: new node id (BEP 42)", s);
}

void sp_dht_vote_extip(struct sp_session *s, enum sp_extip_source src, const uint8_t *ip,
		       size_t iplen, const struct sockaddr *voter)
{
	struct sp_extip *e = iplen == 4 ? &s->extip4 : iplen == 16 ? &s->extip6 : NULL;
	const uint8_t *vip = NULL;
	uint16_t vport = 0;
	if (voter && voter->sa_family == AF_INET && iplen == 4) {
		const struct sockaddr_in *in = (const void *)voter;
		vip = (const uint8_t *)&in->sin_addr;
		vport = ntohs(in->sin_port);
	} else if (voter && voter->sa_family == AF_INET6 && iplen == 16) {
		const struct sockaddr_in6 *in6 = (const void *)voter;
		vip = (const uint8_t *)&in6->sin6_addr;
		vport = ntohs(in6->sin6_port);
	}
	if (!e || (src != SP_EXTIP_ROUTER && !vip))
		return;
	if (!sp_extip_vote(e, src, ip, vip, vport))
		return;
	char str[INET6_ADDRSTRLEN];
	inet_ntop(iplen == 4 ? AF_INET : AF_INET6, ip, str, sizeof(str));
	SP_INFO(MOD, "our external address is %s", str);
	if (s->dht)
		sp_dht_fit_id(s->dht);
}

/* ---- time ---- */

/* Nodes not heard from in REFRESH_US get a ping (two a tick at most):
 * an answer keeps them, silence counts against them. */
static void refresh(struct sp_dht *d, int64_t now)
{
	int sent = 0;
	for (int i = 0; i < d->table.count && sent < 2; i++) {
		struct sp_dht_node *n = &d->table.n[i];
		if (now - n->seen_us < REFRESH_US)
			continue;
		n->seen_us = now - REFRESH_US + QUERY_TIMEOUT_US * 2; /* not again at once */
		query(d, &n->addr, "ping", KIND_PING, 0, 0, NULL, NULL, NULL, 0);
		sent++;
	}
}

void sp_dht_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sp_dht *d = arg;
	int64_t now = sp_now_us();
	struct sp_dht_txn x;
	while (sp_dht_pending_expire(&d->pend, now, QUERY_TIMEOUT_US, &x))
		on_timeout(d, &x);
	if (sp_dht_tokens_due(&d->tokens, now)) {
		uint8_t fresh[SP_DHT_SECRET_LEN];
		if (getrandom(fresh, sizeof(fresh), 0) == (ssize_t)sizeof(fresh))
			sp_dht_tokens_rotate(&d->tokens, fresh, now);
	}
	d->ping_budget = SP_DHT_PING_BUDGET;
	if (now - d->boot_period_us >= BOOT_PERIOD_US) {
		d->boot_period_us = now;
		d->boot_sent = 0;
	}
	refresh(d, now);
	for (size_t i = 0; i < SP_DHT_LOOKUPS; i++)
		step(d, &d->lk[i], now);
	if (now - d->saved_us >= SAVE_INTERVAL_US) {
		d->saved_us = now;
		sp_dht_save(d);
	}
}

void sp_dht_add_node(struct sp_session *s, const struct sockaddr *a)
{
	struct sp_dht *d = s->dht;
	struct sp_dht_addr da;
	if (!d || !from_sockaddr(a, &da))
		return;
	sp_dht_find_self(d, &da);
}

void sp_dht_torrent_tick(struct sp_torrent *t, int64_t now)
{
	struct sp_dht *d = t->s->dht;
	if (!d || t->mi->private_flag || !t->started || t->stopping)
		return;
	if (t->dht_last_us && now - t->dht_last_us < LOOKUP_INTERVAL_US)
		return;
	if (d->table.count == 0) { /* nothing to ask yet: look again soon */
		t->dht_last_us = now - LOOKUP_INTERVAL_US + 2000000;
		return;
	}
	struct sp_dht_lookup *l = NULL;
	for (size_t i = 0; i < SP_DHT_LOOKUPS && !l; i++)
		if (!d->lk[i].active || d->lk[i].t == t)
			l = &d->lk[i];
	if (!l)
		return; /* all slots busy: next tick */
	t->dht_last_us = now;
	memset(l, 0, sizeof(*l));
	l->t = t;
	memcpy(l->ih, t->mi->info_hash, 20);
	l->active = true;
	int best[SP_DHT_LOOKUP_SET];
	size_t nb = sp_dht_table_closest(&d->table, l->ih, 0, best, SP_DHT_LOOKUP_SET);
	for (size_t i = 0; i < nb; i++)
		cand_add(l, d->table.n[best[i]].id, &d->table.n[best[i]].addr);
	step(d, l, now);
}

void sp_dht_forget(struct sp_torrent *t)
{
	struct sp_dht *d = t->s->dht;
	for (size_t i = 0; d && i < SP_DHT_LOOKUPS; i++)
		if (d->lk[i].t == t) {
			d->lk[i].t = NULL;
			d->lk[i].active = false;
		}
}

size_t sp_dht_nodes(const struct sp_session *s)
{
	return s->dht ? (size_t)s->dht->table.count : 0;
}
