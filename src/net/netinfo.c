/* netinfo.c - sp_session_get_network: a snapshot of the session's network
 * state (listen port, DHT table and counters, the voted external
 * addresses, LSD), taken on the net thread, which owns all of it. The
 * caller's thread waits on a condition variable for the loop's next turn
 * (never for the network); on the loop itself it is taken at once. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "net/dht_int.h"
#include "net/session.h"

struct info_job {
	struct sp_session *s;
	struct sp_network_info *out;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

static void fill(struct sp_session *s, struct sp_network_info *n)
{
	memset(n, 0, sizeof(*n));
	n->port = s->port;
	n->listen6 = s->listener6 != NULL;
	n->lsd = s->lsd_ev != NULL;
	n->lsd6 = s->lsd6_ev != NULL;
	const uint8_t *e4 = sp_extip_get(&s->extip4), *e6 = sp_extip_get(&s->extip6);
	if (e4)
		inet_ntop(AF_INET, e4, n->external4, sizeof(n->external4));
	if (e6)
		inet_ntop(AF_INET6, e6, n->external6, sizeof(n->external6));
	struct sp_dht *d = s->dht;
	if (!d)
		return;
	n->dht = true;
	n->dht6 = d->fd6 >= 0;
	for (int i = 0; i < d->table.count; i++) {
		if (d->table.n[i].addr.len == 4)
			n->dht_nodes4++;
		else
			n->dht_nodes6++;
	}
	for (int i = 0; i < SP_DHT_PENDING_MAX; i++)
		n->dht_pending += d->pend.t[i].sent_us != 0;
	n->dht_replies = d->replies;
	n->dht_answered = d->answered;
	n->dht_refused = d->rl.dropped;
	memcpy(n->dht_id, d->id, 20);
	n->dht_id_fits =
	    (e4 && sp_bep42_ok(d->id, e4, 4)) || (!e4 && e6 && sp_bep42_ok(d->id, e6, 16));
}

static void on_loop(void *arg)
{
	struct info_job *j = arg;
	fill(j->s, j->out);
	pthread_mutex_lock(&j->lock);
	j->done = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

int sp_session_get_network(struct sp_session *s, struct sp_network_info *n)
{
	if (!s || !n)
		return -EINVAL;
	if (sp_session_on_loop(s)) {
		fill(s, n);
		return 0;
	}
	struct info_job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->s = s;
	j->out = n;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	/* the job is the loop's until it signals: freed here after */
	int r = sp_session_post(s, on_loop, j);
	if (r == 0) {
		pthread_mutex_lock(&j->lock);
		while (!j->done)
			pthread_cond_wait(&j->cond, &j->lock);
		pthread_mutex_unlock(&j->lock);
	}
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	free(j);
	return r;
}
