/* dht_int.h - private to dht.c and dht_life.c: the node's state. Net
 * thread only. */
#ifndef SP_DHT_INT_H
#define SP_DHT_INT_H

#include <event2/event.h>

#include "net/dht_sec.h"
#include "net/dht_table.h"
#include "net/session.h"

#define SP_DHT_MAX_HASHES 64
#define SP_DHT_MAX_STORED 64
#define SP_DHT_LOOKUP_SET 32
#define SP_DHT_LOOKUPS 8
/* pings to nodes that queried us, per timer tick (0.5 s) */
#define SP_DHT_PING_BUDGET 4

struct sp_dht_stored {
	uint8_t ih[20];
	struct {
		uint8_t e[18]; /* compact peer: address and port */
		uint8_t len;   /* 6 or 18 */
	} peers[SP_DHT_MAX_STORED];
	int n, next;
};

/* A node of a lookup (per torrent). */
struct sp_dht_cand {
	uint8_t id[20];
	struct sp_dht_addr addr;
	bool asked, answered, failed;
	int64_t asked_us;
	uint8_t token[32];
	size_t token_len;
};

struct sp_dht_lookup {
	struct sp_torrent *t;
	uint8_t ih[20];
	struct sp_dht_cand c[SP_DHT_LOOKUP_SET];
	int n;
	bool active;
};

struct sp_dht {
	struct sp_session *s;
	int fd4, fd6; /* -1 when that family has no socket */
	struct event *ev4, *ev6;
	uint8_t id[20];
	struct sp_dht_tokens tokens;
	struct sp_dht_ratelimit rl;
	struct sp_dht_table table;
	struct sp_dht_pending pend;
	struct sp_dht_stored store[SP_DHT_MAX_HASHES];
	int nstore;
	struct sp_dht_lookup lk[SP_DHT_LOOKUPS];
	int boot_sent; /* find_node queries to learnt nodes in this period */
	int64_t boot_period_us;
	int ping_budget;   /* pings to queriers left in this timer tick */
	uint64_t replies;  /* answers to our queries (matched) */
	uint64_t answered; /* queries we answered */
	char *state_path;  /* dht.dat, or NULL */
	int64_t saved_us;
};

/* dht.c: a find_node for our own id to a (fills the table around us). */
void sp_dht_find_self(struct sp_dht *d, const struct sp_dht_addr *a);
/* dht.c: the sockets' and the timer's events */
void sp_dht_on_readable(evutil_socket_t fd, short what, void *arg);
void sp_dht_on_timer(evutil_socket_t fd, short what, void *arg);
/* dht.c: a BEP 42 id for our external address, if known and ours does
 * not fit it */
void sp_dht_fit_id(struct sp_dht *d);
/* dht_life.c: the table to and from cfg.dht_state_file */
void sp_dht_save(struct sp_dht *d);
void sp_dht_load(struct sp_dht *d);

#endif
