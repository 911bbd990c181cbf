/* dht.c - a small BEP 5 (Mainline DHT) node: enough to find peers for our
 * torrents without a tracker and to be a fair citizen. Opt-in
 * (sp_session_config.dht). Net thread only; one UDP socket on the
 * session's port.
 *
 * What it does: keeps up to MAX_NODES good nodes (learnt from answers,
 * queries, bootstrap addresses and peers' PORT messages); answers ping,
 * find_node, get_peers (values from what was announced to us, tokens
 * bound to the asker's address) and announce_peer; and for each torrent
 * runs an iterative get_peers lookup every LOOKUP_INTERVAL_US: ALPHA
 * queries in flight, the closest CLOSE nodes by XOR distance kept, each
 * node asked once; the peers found become connect candidates, and the
 * closest nodes that answered get our announce_peer with their token.
 *
 * The table outlives the process: cfg.dht_state_file (dht.dat, see
 * dht_state.h) is read at start (our id and the nodes: the first
 * PING_AT_START get a find_node) and written atomically (temporary file,
 * fsync, rename) every SAVE_INTERVAL_US and at stop, unless the table is
 * empty, so a run without a network never wipes a good file.
 *
 * What it does not: k-bucket splitting (a flat table suffices for a
 * client), IPv6 (BEP 32), storage beyond MAX_STORED peers per hash.
 * Every datagram is parsed by krpc.c (pure, bencode with hard limits);
 * a bad one is dropped silently. */
#include "net/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include "core/sha1.h"
#include "net/dht_state.h"
#include "net/krpc.h"

#define MOD "dht"
#define MAX_NODES 256
#define MAX_HASHES 64
#define MAX_STORED 64
#define CLOSE 8
#define ALPHA 3
#define LOOKUP_SET 32
#define QUERY_TIMEOUT_US 2000000
#define LOOKUP_INTERVAL_US (300 * 1000000LL)
#define MAX_DGRAM SP_KRPC_MAX_DGRAM
#define SAVE_INTERVAL_US (300 * 1000000LL)
#define PING_AT_START 32

struct node {
	uint8_t id[20];
	struct sockaddr_in addr;
	int64_t seen_us;
	int fails;
};

struct stored {
	uint8_t ih[20];
	uint8_t peers[MAX_STORED][6];
	int n, next;
};

/* One lookup slot per torrent being looked up. */
struct cand {
	uint8_t id[20];
	struct sockaddr_in addr;
	bool asked, answered;
	int64_t asked_us;
	uint8_t token[32];
	size_t token_len;
};

struct lookup {
	struct sp_torrent *t;
	uint8_t ih[20];
	struct cand c[LOOKUP_SET];
	int n;
	bool active;
	uint16_t tid; /* transactions 0xLLxx belong to this lookup */
};

struct sp_dht {
	struct sp_session *s;
	int fd;
	struct event *ev;
	uint8_t id[20];
	uint8_t secret[16];
	struct node nodes[MAX_NODES];
	int nnodes;
	struct stored store[MAX_HASHES];
	int nstore;
	struct lookup lk[8];
	uint16_t next_tid;
	uint8_t ext_ip[4]; /* our address as others see it (BEP 42 "ip") */
	bool have_ext;
	char *state_path; /* dht.dat, or NULL */
	int64_t saved_us;
};

/* Do we serve this info-hash ourselves (and may say so)? */
static bool serving(struct sp_dht *d, const uint8_t ih[20])
{
	for (struct sp_torrent *t = d->s->torrents; t; t = t->next)
		if (!t->meta_only && t->started && !t->stopping && !t->mi->private_flag &&
		    !memcmp(t->mi->info_hash, ih, 20))
			return true;
	return false;
}

static bool addr_eq(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* Is x closer to target than y? */
static bool closer(const uint8_t *target, const uint8_t *x, const uint8_t *y)
{
	for (int i = 0; i < 20; i++) {
		uint8_t dx = x[i] ^ target[i], dy = y[i] ^ target[i];
		if (dx != dy)
			return dx < dy;
	}
	return false;
}

static void add_node(struct sp_dht *d, const uint8_t id[20], const struct sockaddr_in *a)
{
	if (!a->sin_port || !a->sin_addr.s_addr || !memcmp(id, d->id, 20))
		return;
	int64_t now = sp_now_us();
	for (int i = 0; i < d->nnodes; i++) {
		if (addr_eq(&d->nodes[i].addr, a)) {
			memcpy(d->nodes[i].id, id, 20);
			d->nodes[i].seen_us = now;
			d->nodes[i].fails = 0;
			return;
		}
	}
	int slot = d->nnodes < MAX_NODES ? d->nnodes++ : -1;
	if (slot < 0) { /* replace the worst */
		slot = 0;
		for (int i = 1; i < MAX_NODES; i++)
			if (d->nodes[i].fails > d->nodes[slot].fails ||
			    (d->nodes[i].fails == d->nodes[slot].fails &&
			     d->nodes[i].seen_us < d->nodes[slot].seen_us))
				slot = i;
	}
	memcpy(d->nodes[slot].id, id, 20);
	d->nodes[slot].addr = *a;
	d->nodes[slot].seen_us = now;
	d->nodes[slot].fails = 0;
}

static void token_for(struct sp_dht *d, const struct sockaddr_in *a, uint8_t out[8])
{
	uint8_t buf[sizeof(d->secret) + 4], h[20];
	memcpy(buf, d->secret, sizeof(d->secret));
	memcpy(buf + sizeof(d->secret), &a->sin_addr, 4);
	sp_sha1(buf, sizeof(buf), h);
	memcpy(out, h, 8);
}

static void send_buf(struct sp_dht *d, const struct sockaddr_in *to, struct sp_buf *b)
{
	if (b->len)
		sendto(d->fd, b->data, b->len, 0, (const struct sockaddr *)to, sizeof(*to));
}

/* ---- queries we send ---- */

static void put_tid(struct sp_buf *b, uint16_t tid)
{
	uint8_t t[2] = {(uint8_t)(tid >> 8), (uint8_t)tid};
	sp_benc_put_cstr(b, "t");
	sp_benc_put_str(b, t, 2);
}

static void query(struct sp_dht *d, const struct sockaddr_in *to, const char *q, uint16_t tid,
		  const uint8_t *ih, const char *ihkey, const uint8_t *token, size_t token_len)
{
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
	sp_benc_end(&b);
	sp_benc_put_cstr(&b, "q");
	sp_benc_put_cstr(&b, q);
	put_tid(&b, tid);
	sp_benc_put_cstr(&b, "y");
	sp_benc_put_cstr(&b, "q");
	if (sp_benc_end(&b) == 0)
		send_buf(d, to, &b);
	sp_buf_fini(&b);
}

/* ---- answering ---- */

static size_t closest_nodes(struct sp_dht *d, const uint8_t *target, uint8_t out[CLOSE * 26])
{
	int best[CLOSE], nb = 0;
	for (int i = 0; i < d->nnodes; i++) {
		if (d->nodes[i].fails > 2)
			continue;
		int j;
		if (nb < CLOSE)
			j = nb++;
		else if (closer(target, d->nodes[i].id, d->nodes[best[CLOSE - 1]].id))
			j = CLOSE - 1;
		else
			continue;
		best[j] = i;
		for (; j > 0 && closer(target, d->nodes[best[j]].id, d->nodes[best[j - 1]].id); j--) {
			int t = best[j];
			best[j] = best[j - 1];
			best[j - 1] = t;
		}
	}
	for (int k = 0; k < nb; k++) {
		memcpy(out + 26 * k, d->nodes[best[k]].id, 20);
		memcpy(out + 26 * k + 20, &d->nodes[best[k]].addr.sin_addr, 4);
		memcpy(out + 26 * k + 24, &d->nodes[best[k]].addr.sin_port, 2);
	}
	return (size_t)nb * 26;
}

static struct stored *stored_for(struct sp_dht *d, const uint8_t ih[20], bool create)
{
	for (int i = 0; i < d->nstore; i++)
		if (!memcmp(d->store[i].ih, ih, 20))
			return &d->store[i];
	if (!create)
		return NULL;
	struct stored *st = &d->store[d->nstore < MAX_HASHES ? d->nstore++ : rand() % MAX_HASHES];
	memcpy(st->ih, ih, 20);
	st->n = st->next = 0;
	return st;
}

/* target: 20 bytes or NULL */
static void answer(struct sp_dht *d, const struct sockaddr_in *to, const struct sp_krpc *k,
		   const uint8_t *target)
{
	struct sp_buf b;
	sp_buf_init(&b, MAX_DGRAM);
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "r");
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "id");
	sp_benc_put_str(&b, d->id, 20);
	bool gp = !strcmp(k->q, "get_peers");
	if (target && (gp || !strcmp(k->q, "find_node"))) {
		uint8_t nodes[CLOSE * 26];
		size_t nl = closest_nodes(d, target, nodes);
		sp_benc_put_cstr(&b, "nodes");
		sp_benc_put_str(&b, nodes, nl);
	}
	if (gp && target) {
		uint8_t tok[8];
		token_for(d, to, tok);
		sp_benc_put_cstr(&b, "token");
		sp_benc_put_str(&b, tok, sizeof(tok));
		struct stored *st = stored_for(d, target, false);
		/* we are a peer for what we serve: the asker's lookup may well
		 * end at us before it reaches whoever stored our announce */
		bool self = d->have_ext && serving(d, target);
		if ((st && st->n) || self) {
			sp_benc_put_cstr(&b, "values");
			sp_benc_list_begin(&b);
			for (int i = 0; st && i < st->n; i++)
				sp_benc_put_str(&b, st->peers[i], 6);
			if (self) {
				uint8_t me[6];
				memcpy(me, d->ext_ip, 4);
				me[4] = (uint8_t)(d->s->port >> 8);
				me[5] = (uint8_t)d->s->port;
				sp_benc_put_str(&b, me, 6);
			}
			sp_benc_end(&b);
		}
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

static void on_announce(struct sp_dht *d, const struct sockaddr_in *from, const struct sp_krpc *k)
{
	uint8_t want[8];
	token_for(d, from, want);
	if (!k->info_hash || k->info_hash_len != 20 || !k->token || k->token_len != 8 ||
	    memcmp(k->token, want, 8))
		return;
	uint16_t p = k->implied_port ? ntohs(from->sin_port) : k->port;
	if (!p)
		return;
	struct stored *st = stored_for(d, k->info_hash, true);
	uint8_t entry[6];
	memcpy(entry, &from->sin_addr, 4);
	entry[4] = (uint8_t)(p >> 8);
	entry[5] = (uint8_t)p;
	for (int i = 0; i < st->n; i++)
		if (!memcmp(st->peers[i], entry, 6))
			return;
	int slot = st->n < MAX_STORED ? st->n++ : st->next++ % MAX_STORED;
	memcpy(st->peers[slot], entry, 6);
}

static void on_query(struct sp_dht *d, const struct sockaddr_in *from, const struct sp_krpc *k)
{
	add_node(d, k->id, from);
	if (k->target && k->target_len != 20)
		return;
	if (!strcmp(k->q, "announce_peer"))
		on_announce(d, from, k);
	answer(d, from, k, k->target);
}

/* ---- lookups ---- */

static void cand_add(struct lookup *l, const uint8_t id[20], const struct sockaddr_in *a)
{
	for (int i = 0; i < l->n; i++)
		if (addr_eq(&l->c[i].addr, a) || !memcmp(l->c[i].id, id, 20))
			return;
	int slot;
	if (l->n < LOOKUP_SET) {
		slot = l->n++;
	} else { /* replace the farthest not yet asked */
		slot = -1;
		for (int i = 0; i < l->n; i++)
			if (!l->c[i].asked && (slot < 0 || closer(l->ih, l->c[slot].id, l->c[i].id)))
				slot = i;
		if (slot < 0 || !closer(l->ih, id, l->c[slot].id))
			return;
	}
	memset(&l->c[slot], 0, sizeof(l->c[slot]));
	memcpy(l->c[slot].id, id, 20);
	l->c[slot].addr = *a;
}

/* The closest CLOSE candidates that answered get our announce. */
static void finish(struct sp_dht *d, struct lookup *l)
{
	l->active = false;
	bool used[LOOKUP_SET] = {0};
	int sent = 0;
	for (int k = 0; k < CLOSE; k++) {
		int best = -1;
		for (int i = 0; i < l->n; i++)
			if (l->c[i].answered && !used[i] &&
			    (best < 0 || closer(l->ih, l->c[i].id, l->c[best].id)))
				best = i;
		if (best < 0)
			break;
		used[best] = true;
		query(d, &l->c[best].addr, "announce_peer", 0, l->ih, "info_hash", l->c[best].token,
		      l->c[best].token_len);
		sent++;
	}
	SP_DEBUG(MOD, "lookup done: %d nodes answered, announced to %d", l->n, sent);
}

static void step(struct sp_dht *d, struct lookup *l, int64_t now)
{
	if (!l->active)
		return;
	int inflight = 0;
	for (int i = 0; i < l->n; i++)
		if (l->c[i].asked && !l->c[i].answered && now - l->c[i].asked_us < QUERY_TIMEOUT_US)
			inflight++;
	while (inflight < ALPHA) {
		int best = -1;
		for (int i = 0; i < l->n; i++)
			if (!l->c[i].asked && (best < 0 || closer(l->ih, l->c[i].id, l->c[best].id)))
				best = i;
		if (best < 0)
			break;
		l->c[best].asked = true;
		l->c[best].asked_us = now;
		query(d, &l->c[best].addr, "get_peers", (uint16_t)(l->tid | best), l->ih, "info_hash",
		      NULL, 0);
		inflight++;
	}
	if (inflight == 0)
		finish(d, l);
}

static void on_lookup_reply(struct sp_dht *d, struct lookup *l, int idx,
			    const struct sockaddr_in *from, const struct sp_krpc *k)
{
	if (!l->active || idx >= l->n || !addr_eq(&l->c[idx].addr, from))
		return;
	struct cand *c = &l->c[idx];
	c->answered = true;
	if (k->token && k->token_len <= sizeof(c->token)) {
		memcpy(c->token, k->token, k->token_len);
		c->token_len = k->token_len;
	}
	int found = 0;
	for (size_t i = 0; i < k->nvalues && l->t; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		memcpy(&sin.sin_addr, k->values[i], 4);
		memcpy(&sin.sin_port, k->values[i] + 4, 2);
		sp_torrent_add_candidate(l->t, (struct sockaddr *)&sin, sizeof(sin));
		found++;
	}
	if (found && l->t) {
		SP_DEBUG(MOD, "%s: %d peers from the DHT", l->t->mi->name, found);
		sp_torrent_connect_candidates(l->t, sp_now_us());
	}
	for (size_t i = 0; k->nodes && i + 26 <= k->nodes_len; i += 26) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		memcpy(&sin.sin_addr, k->nodes + i + 20, 4);
		memcpy(&sin.sin_port, k->nodes + i + 24, 2);
		if (sin.sin_port && sin.sin_addr.s_addr && memcmp(k->nodes + i, d->id, 20))
			cand_add(l, k->nodes + i, &sin);
	}
}

static void on_reply(struct sp_dht *d, const struct sockaddr_in *from, const struct sp_krpc *k)
{
	if (k->tid_len != 2) /* all our transaction ids are 2 bytes */
		return;
	add_node(d, k->id, from);
	if (k->ip) {
		memcpy(d->ext_ip, k->ip, 4);
		d->have_ext = true;
	}
	int lk = k->tid[0];
	if (lk >= 1 && lk <= (int)(sizeof(d->lk) / sizeof(d->lk[0]))) {
		on_lookup_reply(d, &d->lk[lk - 1], k->tid[1], from, k);
		step(d, &d->lk[lk - 1], sp_now_us());
		return;
	}
	/* a bootstrap find_node: learn its nodes, ping them */
	for (size_t i = 0; k->nodes && i + 26 <= k->nodes_len && d->nnodes < MAX_NODES; i += 26) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		memcpy(&sin.sin_addr, k->nodes + i + 20, 4);
		memcpy(&sin.sin_port, k->nodes + i + 24, 2);
		add_node(d, k->nodes + i, &sin);
	}
}

/* uTP (BEP 29) shares this port in other clients, so a peer that found
 * us through the DHT may try it first. We do not speak it: a SYN gets a
 * RESET at once, so the peer falls back to TCP instead of timing out. */
static void refuse_utp(struct sp_dht *d, const uint8_t *p, size_t len,
		       const struct sockaddr_in *from)
{
	if (len < 20 || p[0] != 0x41) /* type ST_SYN (4), version 1 */
		return;
	uint8_t r[20] = {0};
	r[0] = 0x31;              /* ST_RESET, version 1 */
	memcpy(r + 2, p + 2, 2);  /* connection id: the SYN's */
	memcpy(r + 18, p + 16, 2); /* ack_nr: the SYN's seq_nr */
	sendto(d->fd, r, sizeof(r), 0, (const struct sockaddr *)from, sizeof(*from));
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct sp_dht *d = arg;
	for (int n = 0; n < 64; n++) {
		uint8_t buf[MAX_DGRAM];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (len <= 0)
			return;
		if (from.sin_family != AF_INET)
			continue;
		if (buf[0] != 'd') {
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

/* ---- the saved table ---- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void save_state(struct sp_dht *d)
{
	if (!d->state_path || !d->nnodes)
		return;
	struct sp_dht_saved *saved = calloc(MAX_NODES, sizeof(*saved)); /* sessions: one each */
	if (!saved)
		return;
	size_t n = 0;
	for (int i = 0; i < d->nnodes; i++) {
		const struct node *nd = &d->nodes[i];
		if (nd->fails)
			continue;
		memcpy(saved[n].id, nd->id, 20);
		memcpy(saved[n].addr, &nd->addr.sin_addr, 4);
		saved[n++].port = ntohs(nd->addr.sin_port);
	}
	struct sp_buf b;
	sp_buf_init(&b, SP_DHT_STATE_MAX_FILE);
	char tmp[4200];
	int fd = -1, r = sp_dht_state_build(&b, d->id, saved, n);
	if (r == 0 && snprintf(tmp, sizeof(tmp), "%s.%d.tmp", d->state_path, (int)getpid()) >=
			  (int)sizeof(tmp))
		r = -ENAMETOOLONG;
	if (r == 0 && (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
				 0600)) < 0)
		r = -errno;
	if (r == 0)
		r = write_all(fd, b.data, b.len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -EIO;
	if (r == 0 && rename(tmp, d->state_path) < 0)
		r = -errno;
	if (r < 0 && fd >= 0)
		unlink(tmp);
	if (r < 0)
		SP_WARN(MOD, "cannot save the routing table to %s: %s", d->state_path, strerror(-r));
	else
		SP_DEBUG(MOD, "saved %zu nodes to %s", n, d->state_path);
	sp_buf_fini(&b);
	free(saved);
}

/* Our id and the nodes of the saved table; a bad file is reported and
 * ignored (it is rewritten at the next save). */
static void load_state(struct sp_dht *d)
{
	int fd = d->state_path ? open(d->state_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	if (fd < 0)
		return;
	const size_t cap = SP_DHT_STATE_MAX_FILE + 1; /* one more: too long is seen */
	uint8_t *buf = malloc(cap);
	struct sp_dht_saved *saved = calloc(MAX_NODES, sizeof(*saved));
	size_t len = 0, n = 0;
	ssize_t r;
	while (buf && saved && len < cap && (r = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)r;
	close(fd);
	uint8_t id[20];
	bool have_id = false;
	int pr = buf && saved ? sp_dht_state_parse(buf, len, id, &have_id, saved, MAX_NODES, &n)
			      : -ENOMEM;
	free(buf);
	if (pr < 0) {
		SP_WARN(MOD, "ignoring the routing table in %s: %s", d->state_path, strerror(-pr));
		free(saved);
		return;
	}
	if (have_id)
		memcpy(d->id, id, 20);
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(saved[i].port)};
		memcpy(&sin.sin_addr, saved[i].addr, 4);
		add_node(d, saved[i].id, &sin);
		if (i < PING_AT_START)
			query(d, &sin, "find_node", 0, d->id, "target", NULL, 0);
	}
	free(saved);
	SP_INFO(MOD, "%zu nodes from %s", n, d->state_path);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sp_dht *d = arg;
	int64_t now = sp_now_us();
	for (size_t i = 0; i < sizeof(d->lk) / sizeof(d->lk[0]); i++)
		step(d, &d->lk[i], now);
	if (now - d->saved_us >= SAVE_INTERVAL_US) {
		d->saved_us = now;
		save_state(d);
	}
}

void sp_dht_add_node(struct sp_session *s, const struct sockaddr_in *a)
{
	struct sp_dht *d = s->dht;
	if (!d || !a->sin_port)
		return;
	/* find_node for ourselves: the answer fills the table around us */
	query(d, a, "find_node", 0, d->id, "target", NULL, 0);
}

void sp_dht_torrent_tick(struct sp_torrent *t, int64_t now)
{
	struct sp_dht *d = t->s->dht;
	if (!d || t->mi->private_flag || !t->started || t->stopping)
		return;
	if (t->dht_last_us && now - t->dht_last_us < LOOKUP_INTERVAL_US)
		return;
	if (d->nnodes == 0) { /* nothing to ask yet: look again soon */
		t->dht_last_us = now - LOOKUP_INTERVAL_US + 2000000;
		return;
	}
	struct lookup *l = NULL;
	size_t nl = sizeof(d->lk) / sizeof(d->lk[0]);
	for (size_t i = 0; i < nl && !l; i++)
		if (!d->lk[i].active || d->lk[i].t == t)
			l = &d->lk[i];
	if (!l)
		return; /* all slots busy: next tick */
	t->dht_last_us = now;
	memset(l, 0, sizeof(*l));
	l->t = t;
	memcpy(l->ih, t->mi->info_hash, 20);
	l->tid = (uint16_t)((l - d->lk + 1) << 8);
	l->active = true;
	for (int i = 0; i < d->nnodes; i++)
		if (d->nodes[i].fails <= 2)
			cand_add(l, d->nodes[i].id, &d->nodes[i].addr);
	step(d, l, now);
}

void sp_dht_forget(struct sp_torrent *t)
{
	struct sp_dht *d = t->s->dht;
	for (size_t i = 0; d && i < sizeof(d->lk) / sizeof(d->lk[0]); i++)
		if (d->lk[i].t == t) {
			d->lk[i].t = NULL;
			d->lk[i].active = false;
		}
}

int sp_dht_start(struct sp_session *s, const char *bind_addr)
{
	struct sp_dht *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->s = s;
	if (getrandom(d->id, sizeof(d->id), 0) != (ssize_t)sizeof(d->id) ||
	    getrandom(d->secret, sizeof(d->secret), 0) != (ssize_t)sizeof(d->secret)) {
		free(d);
		return -EIO;
	}
	d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(s->port)};
	if (bind_addr)
		inet_pton(AF_INET, bind_addr, &sin.sin_addr);
	if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = -errno;
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		return e;
	}
	if (s->cfg.dht_state_file && !(d->state_path = strdup(s->cfg.dht_state_file))) {
		close(d->fd);
		free(d);
		return -ENOMEM;
	}
	d->saved_us = sp_now_us();
	load_state(d);
	d->ev = event_new(s->base, d->fd, EV_READ | EV_PERSIST, on_readable, d);
	s->dht_timer = event_new(s->base, -1, EV_PERSIST, on_timer, d);
	static const struct timeval half = {0, 500000};
	if (!d->ev || !s->dht_timer || event_add(d->ev, NULL) < 0 ||
	    event_add(s->dht_timer, &half) < 0) {
		if (d->ev)
			event_free(d->ev);
		if (s->dht_timer)
			event_free(s->dht_timer);
		s->dht_timer = NULL;
		close(d->fd);
		free(d->state_path);
		free(d);
		return -ENOMEM;
	}
	s->dht = d;
	return 0;
}

void sp_dht_stop(struct sp_session *s)
{
	struct sp_dht *d = s->dht;
	if (!d)
		return;
	save_state(d);
	event_free(d->ev);
	if (s->dht_timer)
		event_free(s->dht_timer);
	s->dht_timer = NULL;
	close(d->fd);
	free(d->state_path);
	free(d);
	s->dht = NULL;
}

size_t sp_dht_nodes(const struct sp_session *s)
{
	return s->dht ? (size_t)s->dht->nnodes : 0;
}
