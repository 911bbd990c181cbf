/* dht_table.c - the routing table with its per-address limit, failure
 * counting and BEP 42 preference, and the outstanding queries (see
 * dht_table.h). Pure; any thread. Every loop is over a fixed-size array:
 * a flood of hostile datagrams costs at most that per datagram. */
#include "net/dht_table.h"

#include <string.h>

#include "net/dht_sec.h"

/* A node not heard from this long may be replaced by a new one even
 * without failures (BEP 5 calls it questionable). */
#define QUESTIONABLE_US (15 * 60 * 1000000LL)

bool sp_dht_addr_eq(const struct sp_dht_addr *a, const struct sp_dht_addr *b)
{
	return a->port == b->port && sp_dht_ip_eq(a, b);
}

bool sp_dht_ip_eq(const struct sp_dht_addr *a, const struct sp_dht_addr *b)
{
	return a->len == b->len && !memcmp(a->ip, b->ip, a->len);
}

bool sp_dht_addr_ok(const struct sp_dht_addr *a)
{
	static const uint8_t zero[16];
	if (!a->port || (a->len != 4 && a->len != 16) || !memcmp(a->ip, zero, a->len))
		return false;
	if (a->len == 4)
		return a->ip[0] < 224; /* multicast, reserved, broadcast */
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	return a->ip[0] != 0xff && memcmp(a->ip, mapped, 12);
}

bool sp_dht_closer(const uint8_t target[20], const uint8_t x[20], const uint8_t y[20])
{
	for (int i = 0; i < 20; i++) {
		uint8_t dx = x[i] ^ target[i], dy = y[i] ^ target[i];
		if (dx != dy)
			return dx < dy;
	}
	return false;
}

void sp_dht_table_init(struct sp_dht_table *t, const uint8_t self[20])
{
	memset(t, 0, sizeof(*t));
	memcpy(t->self, self, 20);
}

void sp_dht_table_set_self(struct sp_dht_table *t, const uint8_t self[20])
{
	memcpy(t->self, self, 20);
	for (int i = 0; i < t->count; i++)
		if (!memcmp(t->n[i].id, self, 20)) { /* cannot be both: drop it */
			t->n[i] = t->n[--t->count];
			i--;
		}
}

void sp_dht_table_set_ext_known(struct sp_dht_table *t, bool known)
{
	t->know_ext = known;
}

int sp_dht_table_find(const struct sp_dht_table *t, const struct sp_dht_addr *a)
{
	for (int i = 0; i < t->count; i++)
		if (sp_dht_addr_eq(&t->n[i].addr, a))
			return i;
	return -1;
}

/* How bad is a node to keep, higher worse: ids that do not fit (when
 * that is checked), failures, then age. */
static bool worse(const struct sp_dht_table *t, const struct sp_dht_node *a,
		  const struct sp_dht_node *b)
{
	if (t->know_ext && a->ok42 != b->ok42)
		return !a->ok42;
	if (a->fails != b->fails)
		return a->fails > b->fails;
	return a->seen_us < b->seen_us;
}

static void fill(struct sp_dht_node *n, const uint8_t id[20], const struct sp_dht_addr *a,
		 int64_t now_us)
{
	memcpy(n->id, id, 20);
	n->addr = *a;
	n->seen_us = now_us;
	n->fails = 0;
	n->ok42 = sp_bep42_ok(id, a->ip, a->len);
}

enum sp_dht_add_result sp_dht_table_heard(struct sp_dht_table *t, const uint8_t id[20],
					  const struct sp_dht_addr *a, int64_t now_us)
{
	if (!sp_dht_addr_ok(a) || !memcmp(id, t->self, 20))
		return SP_DHT_REFUSED_ADDR;
	int same_ip = 0;
	for (int i = 0; i < t->count; i++) {
		if (sp_dht_addr_eq(&t->n[i].addr, a)) {
			fill(&t->n[i], id, a, now_us);
			return SP_DHT_UPDATED;
		}
		same_ip += sp_dht_ip_eq(&t->n[i].addr, a);
	}
	if (same_ip >= SP_DHT_PER_IP && !sp_bep42_exempt(a->ip, a->len))
		return SP_DHT_REFUSED_PER_IP;
	struct sp_dht_node nn;
	fill(&nn, id, a, now_us);
	if (t->know_ext && t->require42 && !nn.ok42)
		return SP_DHT_REFUSED_42;
	if (t->count < SP_DHT_TABLE_MAX) {
		t->n[t->count++] = nn;
		return SP_DHT_ADDED;
	}
	int v = 0;
	for (int i = 1; i < t->count; i++)
		if (worse(t, &t->n[i], &t->n[v]))
			v = i;
	struct sp_dht_node *victim = &t->n[v];
	if (t->know_ext && victim->ok42 && !nn.ok42)
		return SP_DHT_REFUSED_42;
	bool replace = victim->fails > 0 || now_us - victim->seen_us >= QUESTIONABLE_US ||
		       (t->know_ext && !victim->ok42 && nn.ok42);
	if (!replace)
		return SP_DHT_REFUSED_FULL;
	*victim = nn;
	return SP_DHT_ADDED;
}

bool sp_dht_table_failed(struct sp_dht_table *t, const struct sp_dht_addr *a)
{
	int i = sp_dht_table_find(t, a);
	if (i < 0)
		return false;
	if (++t->n[i].fails < SP_DHT_MAX_FAILS)
		return false;
	t->n[i] = t->n[--t->count];
	return true;
}

/* Keep out[0..*nb) (at most max) the closest to target among those seen,
 * best first. */
static void keep_closest(const struct sp_dht_table *t, const uint8_t target[20], int i, int *out,
			 size_t *nb, size_t max)
{
	size_t j;
	if (*nb < max)
		j = (*nb)++;
	else if (max && sp_dht_closer(target, t->n[i].id, t->n[out[max - 1]].id))
		j = max - 1;
	else
		return;
	out[j] = i;
	for (; j > 0 && sp_dht_closer(target, t->n[out[j]].id, t->n[out[j - 1]].id); j--) {
		int x = out[j];
		out[j] = out[j - 1];
		out[j - 1] = x;
	}
}

size_t sp_dht_table_closest(const struct sp_dht_table *t, const uint8_t target[20], int family,
			    int *out, size_t max)
{
	size_t nb = 0, nb1 = 0;
	for (int i = 0; i < t->count; i++)
		if ((!family || t->n[i].addr.len == family) && t->n[i].fails == 0)
			keep_closest(t, target, i, out, &nb, max);
	/* the nodes with failures only fill the room left, after the others */
	for (int i = 0; i < t->count && nb < max; i++)
		if ((!family || t->n[i].addr.len == family) && t->n[i].fails > 0)
			keep_closest(t, target, i, out + nb, &nb1, max - nb);
	return nb + nb1;
}

/* ---- outstanding queries ---- */

uint16_t sp_dht_pending_add(struct sp_dht_pending *p, const struct sp_dht_addr *a, uint8_t kind,
			    uint8_t lookup, uint8_t cand, int64_t now_us,
			    struct sp_dht_txn *evicted)
{
	int slot = -1, oldest = 0;
	for (int i = 0; i < SP_DHT_PENDING_MAX && slot < 0; i++) {
		if (!p->t[i].sent_us)
			slot = i;
		else if (p->t[i].sent_us < p->t[oldest].sent_us)
			oldest = i;
	}
	if (evicted)
		memset(evicted, 0, sizeof(*evicted));
	if (slot < 0) {
		slot = oldest;
		if (evicted)
			*evicted = p->t[slot];
	}
	struct sp_dht_txn *x = &p->t[slot];
	x->tid = p->next++;
	x->addr = *a;
	x->sent_us = now_us ? now_us : 1;
	x->kind = kind;
	x->lookup = lookup;
	x->cand = cand;
	return x->tid;
}

bool sp_dht_pending_match(struct sp_dht_pending *p, const uint8_t *tid, size_t tid_len,
			  const struct sp_dht_addr *from, struct sp_dht_txn *out)
{
	if (tid_len != 2)
		return false;
	uint16_t id = (uint16_t)(tid[0] << 8 | tid[1]);
	for (int i = 0; i < SP_DHT_PENDING_MAX; i++) {
		struct sp_dht_txn *x = &p->t[i];
		if (x->sent_us && x->tid == id && sp_dht_addr_eq(&x->addr, from)) {
			*out = *x;
			x->sent_us = 0;
			return true;
		}
	}
	return false;
}

bool sp_dht_pending_expire(struct sp_dht_pending *p, int64_t now_us, int64_t timeout_us,
			   struct sp_dht_txn *out)
{
	for (int i = 0; i < SP_DHT_PENDING_MAX; i++) {
		struct sp_dht_txn *x = &p->t[i];
		if (x->sent_us && now_us - x->sent_us >= timeout_us) {
			*out = *x;
			x->sent_us = 0;
			return true;
		}
	}
	return false;
}
