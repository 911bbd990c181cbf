/* session.c - the session: the net thread, its event_base, the post queue
 * and the listen socket.
 *
 * Invariants: one thread (started here) runs the event_base and owns all
 * torrent and peer state. Other threads reach it only through
 * sp_session_post(): a mutex-protected FIFO plus event_active() on an
 * event of the loop (libevent is made thread-aware with
 * evthread_use_pthreads so event_active is safe from any thread). Items
 * posted after the loop stopped are freed by sp_session_free, never run
 * twice, never leaked. The session never calls exit() and never touches
 * signals: the commands own those. */
#include "net/session.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <netdb.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/i18n.h"
#include "core/log.h"
#include "net/curlev.h"
#include "net/peer.h"

#define MOD "session"

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;

static void evthread_init(void)
{
	evthread_use_pthreads();
}

/* The session whose loop this thread runs: thread-local, so that asking
 * "am I on s's loop?" reads nothing another thread writes (a pthread_t in
 * the session, written by the loop thread as it starts, raced with the
 * first callers on other threads: ThreadSanitizer, doctor and dht-node). */
static _Thread_local const struct sp_session *this_threads_loop;

bool sp_session_on_loop(const struct sp_session *s)
{
	return !atomic_load(&s->running) || this_threads_loop == s;
}

int sp_session_post(struct sp_session *s, void (*fn)(void *arg), void *arg)
{
	struct sp_post_item *it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->fn = fn;
	it->arg = arg;
	pthread_mutex_lock(&s->post_lock);
	if (s->post_tail)
		s->post_tail->next = it;
	else
		s->post_head = it;
	s->post_tail = it;
	pthread_mutex_unlock(&s->post_lock);
	event_active(s->post_ev, EV_READ, 0);
	return 0;
}

static void on_post(evutil_socket_t fd, short what, void *arg)
{
	struct sp_session *s = arg;
	pthread_mutex_lock(&s->post_lock);
	struct sp_post_item *it = s->post_head;
	s->post_head = s->post_tail = NULL;
	pthread_mutex_unlock(&s->post_lock);
	while (it) {
		struct sp_post_item *nx = it->next;
		it->fn(it->arg);
		free(it);
		it = nx;
	}
}

bool sp_session_banned(const struct sp_session *s, const struct sp_host *h)
{
	return sp_banlist_has(&s->bans, h);
}

void sp_session_ban(struct sp_session *s, const struct sp_host *h)
{
	int r = sp_banlist_add(&s->bans, h);
	if (r <= 0)
		return;
	char a[64];
	sp_host_str(h, a, sizeof(a));
	SP_WARN(MOD, "banned %s%s for sending corrupt data", a, r == 2 ? " and its /64" : "");
}

struct sp_torrent *sp_session_find_torrent(struct sp_session *s, const uint8_t info_hash[20])
{
	for (struct sp_torrent *t = s->torrents; t; t = t->next)
		if (!memcmp(t->mi->info_hash, info_hash, 20) && t->started && !t->stopping)
			return t;
	return NULL;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int len, void *arg)
{
	struct sp_session *s = arg;
	struct sp_host h = sp_host_of(sa);
	int max_total = s->cfg.max_peers_total ? s->cfg.max_peers_total : SP_SESSION_DEFAULT_TOTAL;
	if (s->stopping || s->total_peers >= max_total || sp_session_banned(s, &h)) {
		evutil_closesocket(fd);
		return;
	}
	if (!sp_peer_accept(s, fd, sa, (socklen_t)len))
		evutil_closesocket(fd);
}

static void *loop_main(void *arg)
{
	struct sp_session *s = arg;
	this_threads_loop = s; /* before any callback can assert on it */
	event_base_loop(s->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static int open_listener(struct sp_session *s, struct sp_error **err)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(s->cfg.port)};
	const char *bind_addr = s->cfg.bind_address ? s->cfg.bind_address : "0.0.0.0";
	if (inet_pton(AF_INET, bind_addr, &sin.sin_addr) != 1)
		return sp_error_set(err, -EINVAL, _("bad bind address: %s"), bind_addr);
	s->listener = evconnlistener_new_bind(s->base, on_accept, s,
					      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
						      LEV_OPT_CLOSE_ON_EXEC,
					      64, (struct sockaddr *)&sin, sizeof(sin));
	if (!s->listener)
		return sp_error_set(err, -errno ? -errno : -EADDRINUSE,
				    _("cannot listen on port %u: %s"), s->cfg.port,
				    strerror(errno));
	struct sockaddr_in got;
	socklen_t gl = sizeof(got);
	if (getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&got, &gl) == 0)
		s->port = ntohs(got.sin_port);
	return 0;
}

/* IPv6 too when listening on every address: [::] with IPV6_V6ONLY on the
 * IPv4 socket's port. Best effort: a host without IPv6 just lacks it. */
static void open_listener6(struct sp_session *s)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	int one = 1;
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(s->port),
				    .sin6_addr = IN6ADDR_ANY_INIT};
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 || listen(fd, 64) < 0) {
		SP_DEBUG(MOD, "no IPv6 listener: %s", strerror(errno));
		close(fd);
		return;
	}
	s->listener6 = evconnlistener_new(s->base, on_accept, s, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (!s->listener6)
		close(fd);
}

static void make_peer_id(uint8_t id[20])
{
	static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint8_t rnd[12];
	memcpy(id, "-SP0001-", 8);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (uint8_t)(rand() ^ (int)getpid());
	for (int i = 0; i < 12; i++)
		id[8 + i] = (uint8_t)alnum[rnd[i] % (sizeof(alnum) - 1)];
}

/* Both limits are token buckets refilled every 50 ms by libevent's rate
 * limit group, which every peer's bufferevent joins. */
static size_t per_tick(int64_t rate)
{
	return rate > 0 ? (size_t)rate / 20 + 1 : EV_RATE_LIMIT_MAX;
}

static int setup_rate_limit(struct sp_session *s)
{
	int64_t up = s->cfg.upload_rate_limit, down = s->cfg.download_rate_limit;
	if (up <= 0 && down <= 0)
		return 0;
	struct timeval tick = {0, 50000};
	size_t r = per_tick(down), w = per_tick(up);
	/* a burst must hold at least one whole piece message */
	size_t rb = r == EV_RATE_LIMIT_MAX ? r : (r * 4 > 16384 + 13 ? r * 4 : 16384 + 13);
	size_t wb = w == EV_RATE_LIMIT_MAX ? w : (w * 4 > 16384 + 13 ? w * 4 : 16384 + 13);
	s->up_bucket = ev_token_bucket_cfg_new(r, rb, w, wb, &tick);
	if (!s->up_bucket)
		return -ENOMEM;
	s->up_group = bufferevent_rate_limit_group_new(s->base, s->up_bucket);
	return s->up_group ? 0 : -ENOMEM;
}

/* The listeners, then DHT and LSD (which need the port). The caller's
 * bind_address string is used here only, never kept. */
static int open_sockets(struct sp_session *s, struct sp_error **err)
{
	int r = open_listener(s, err);
	if (r == 0 && !s->cfg.bind_address)
		open_listener6(s);
	int dr = r == 0 && s->cfg.dht ? sp_dht_start(s, s->cfg.bind_address) : 0;
	if (dr < 0)
		SP_WARN(MOD, "no DHT: %s", strerror(-dr));
	int lr = r == 0 && s->cfg.lsd ? sp_lsd_start(s) : 0;
	if (lr < 0)
		SP_WARN(MOD, "local service discovery unavailable: %s", strerror(-lr));
	int pr = r == 0 && s->cfg.port_mapping ? sp_portmap_start(s) : 0;
	if (pr < 0)
		SP_WARN(MOD, "no port mapping: %s", strerror(-pr));
	s->cfg.bind_address = NULL;
	return r;
}

/* libevent writes to sockets with writev(): a peer that hangs up while
 * we write would raise SIGPIPE, whose default kills the process. The
 * commands ignored it, a host program or a test linking the library did
 * not (a test was killed so). Ignored here unless the host handles it. */
static void ignore_sigpipe(void)
{
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
	    sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

struct sp_session *sp_session_new(const struct sp_session_config *cfg, struct sp_error **err)
{
	pthread_once(&evthread_once, evthread_init);
	ignore_sigpipe();
	struct sp_session *s = calloc(1, sizeof(*s));
	if (!s) {
		sp_error_set(err, -ENOMEM, _("out of memory"));
		return NULL;
	}
	if (cfg)
		s->cfg = *cfg;
	pthread_mutex_init(&s->post_lock, NULL);
	make_peer_id(s->peer_id);
	sp_extip_init(&s->extip4, 4);
	sp_extip_init(&s->extip6, 16);
	s->lsd_fd = s->lsd6_fd = -1;
	s->base = event_base_new();
	if (!s->base) {
		sp_error_set(err, -ENOMEM, _("cannot create the event loop"));
		goto fail;
	}
	s->post_ev = event_new(s->base, -1, 0, on_post, s);
	if (open_sockets(s, err) < 0 || !s->post_ev || setup_rate_limit(s) < 0)
		goto fail;
	s->curl = sp_curlev_new(s->base);
	atomic_store(&s->running, true);
	if (pthread_create(&s->thread, NULL, loop_main, s)) {
		atomic_store(&s->running, false);
		sp_error_set(err, -EAGAIN, _("cannot start the network thread"));
		goto fail;
	}
	SP_INFO(MOD, "listening on port %u", s->port);
	return s;
fail:
	sp_portmap_stop(s);
	sp_lsd_stop(s);
	sp_dht_stop(s);
	if (s->curl)
		sp_curlev_free(s->curl);
	if (s->listener6)
		evconnlistener_free(s->listener6);
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->up_group)
		bufferevent_rate_limit_group_free(s->up_group);
	if (s->up_bucket)
		ev_token_bucket_cfg_free(s->up_bucket);
	if (s->post_ev)
		event_free(s->post_ev);
	if (s->base)
		event_base_free(s->base);
	pthread_mutex_destroy(&s->post_lock);
	free(s);
	return NULL;
}

uint16_t sp_session_port(const struct sp_session *s)
{
	return s ? s->port : 0;
}

/* Stop: each torrent announces `stopped` and closes its peers; the loop
 * then runs up to STOP_GRACE for the announces to leave. */
#define STOP_GRACE_US 1500000

static void on_stop_check(evutil_socket_t fd, short what, void *arg)
{
	struct sp_session *s = arg;
	static const struct timeval again = {0, 50000};
	if (s->curl && sp_curlev_count(s->curl) > 0 && s->stop_deadline_us > sp_now_us()) {
		evtimer_add(s->stop_ev, &again);
		return;
	}
	event_base_loopbreak(s->base);
}

static void stop_on_loop(void *arg)
{
	struct sp_session *s = arg;
	s->stopping = true;
	if (s->listener) {
		evconnlistener_free(s->listener);
		s->listener = NULL;
	}
	if (s->listener6) {
		evconnlistener_free(s->listener6);
		s->listener6 = NULL;
	}
	sp_lsd_stop(s);
	sp_dht_stop(s);
	if (s->dns) { /* pending names fail (EVUTIL_EAI_CANCEL) and free their jobs */
		evdns_base_free(s->dns, 1);
		s->dns = NULL;
	}
	while (s->half_open) {
		struct sp_peer *p = s->half_open;
		s->half_open = p->next;
		sp_peer_free(p);
	}
	for (struct sp_torrent *t = s->torrents; t; t = t->next)
		sp_torrent_stop_loop(t);
	s->stop_deadline_us = sp_now_us() + STOP_GRACE_US;
	s->stop_ev = evtimer_new(s->base, on_stop_check, s);
	static const struct timeval soon = {0, 0};
	if (!s->stop_ev || evtimer_add(s->stop_ev, &soon) < 0)
		event_base_loopbreak(s->base);
}

void sp_session_free(struct sp_session *s)
{
	if (!s)
		return;
	if (atomic_load(&s->running)) {
		if (sp_session_post(s, stop_on_loop, s) < 0)
			event_base_loopbreak(s->base);
		pthread_join(s->thread, NULL);
		atomic_store(&s->running, false);
	}
	/* The loop is gone: this thread now owns everything. Checks still
	 * running post their start when done: wait for them, then run the
	 * leftovers (each sees `stopping` and only frees its argument). */
	for (struct sp_torrent *t = s->torrents; t; t = t->next)
		sp_torrent_join_check(t);
	sp_portmap_stop(s); /* before the leftovers: its last result may be one */
	on_post(-1, 0, s);
	while (s->zombies) {
		struct sp_peer *p = s->zombies;
		s->zombies = p->next;
		sp_peer_free(p);
	}
	while (s->torrents) {
		struct sp_torrent *t = s->torrents;
		s->torrents = t->next;
		sp_torrent_free_now(t);
	}
	if (s->stop_ev)
		event_free(s->stop_ev);
	sp_lsd_stop(s);
	sp_dht_stop(s);
	if (s->dns)
		evdns_base_free(s->dns, 0);
	if (s->curl)
		sp_curlev_free(s->curl);
	if (s->listener6)
		evconnlistener_free(s->listener6);
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->up_group)
		bufferevent_rate_limit_group_free(s->up_group);
	if (s->up_bucket)
		ev_token_bucket_cfg_free(s->up_bucket);
	event_free(s->post_ev);
	event_base_free(s->base);
	pthread_mutex_destroy(&s->post_lock);
	sp_banlist_fini(&s->bans);
	while (s->meta_cands) {
		struct sp_candidate *c = s->meta_cands;
		s->meta_cands = c->next;
		free(c);
	}
	free(s);
}

/* A bootstrap node: a numeric address goes to the DHT at once; a name is
 * resolved here, on the loop, by libevent's resolver (made at the first
 * name, so a session given only numbers never reads resolv.conf nor
 * sends a DNS query). */
struct dht_node_job {
	struct sp_session *s;
	struct sockaddr_storage addr; /* a numeric address, IPv4 or IPv6 */
	bool is_name;
	char host[256];
	char port[8];
};

#define MAX_ADDRS_PER_NAME 4

static void on_dht_name(int err, struct evutil_addrinfo *res, void *arg)
{
	struct dht_node_job *job = arg;
	int n = 0;
	for (struct evutil_addrinfo *ai = res; ai && n < MAX_ADDRS_PER_NAME; ai = ai->ai_next)
		if (ai->ai_family == AF_INET && !job->s->stopping) {
			sp_dht_add_node(job->s, ai->ai_addr);
			n++;
		}
	if (err && err != EVUTIL_EAI_CANCEL)
		SP_INFO(MOD, "DHT bootstrap node %s: %s", job->host, evutil_gai_strerror(err));
	else if (n)
		SP_DEBUG(MOD, "DHT bootstrap node %s: %d addresses", job->host, n);
	if (res)
		evutil_freeaddrinfo(res);
	free(job);
}

static void add_dht_node_on_loop(void *arg)
{
	struct dht_node_job *job = arg;
	struct sp_session *s = job->s;
	if (s->stopping || !s->dht) {
		free(job);
		return;
	}
	if (!job->is_name) {
		sp_dht_add_node(s, (struct sockaddr *)&job->addr);
		free(job);
		return;
	}
	if (!s->dns)
		s->dns = evdns_base_new(s->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
						     EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!s->dns) {
		SP_WARN(MOD, "no resolver for the DHT bootstrap node %s", job->host);
		free(job);
		return;
	}
	struct evutil_addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM};
	evdns_getaddrinfo(s->dns, job->host, job->port, &hints, on_dht_name, job);
}

int sp_session_add_dht_node(struct sp_session *s, const char *host, uint16_t port)
{
	if (!s || !host || !port || !*host || strlen(host) >= sizeof(((struct dht_node_job *)0)->host))
		return -EINVAL;
	if (!s->cfg.dht)
		return -ENOTSUP;
	struct dht_node_job *job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	job->s = s;
	struct sockaddr_in *in = (struct sockaddr_in *)&job->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&job->addr;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
	} else if (strchr(host, ':')) {
		free(job);
		return -EINVAL;
	} else {
		job->is_name = true;
	}
	snprintf(job->host, sizeof(job->host), "%s", host);
	snprintf(job->port, sizeof(job->port), "%u", port);
	int r = sp_session_post(s, add_dht_node_on_loop, job);
	if (r < 0)
		free(job);
	return r;
}

/* ---- addresses of ours ---- */

static bool same_host(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return false;
}

void sp_session_note_self(struct sp_session *s, const struct sockaddr *sa)
{
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return;
	for (unsigned i = 0; i < s->nself && i < SP_SELF_ADDRS; i++)
		if (same_host(sa, &s->self_addr[i]))
			return;
	size_t len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
					      : sizeof(struct sockaddr_in6);
	struct sockaddr_storage *slot = &s->self_addr[s->nself++ % SP_SELF_ADDRS];
	memset(slot, 0, sizeof(*slot));
	memcpy(slot, sa, len);
}

bool sp_session_is_self(const struct sp_session *s, const struct sockaddr *sa)
{
	uint16_t port = sa->sa_family == AF_INET ? ntohs(((const struct sockaddr_in *)sa)->sin_port)
		      : sa->sa_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)sa)->sin6_port)
						  : 0;
	if (port != s->port)
		return false;
	unsigned n = s->nself < SP_SELF_ADDRS ? s->nself : SP_SELF_ADDRS;
	for (unsigned i = 0; i < n; i++)
		if (same_host(sa, &s->self_addr[i]))
			return true;
	return false;
}
