/* peer_io.c - the flow of bytes on a peer's socket: fewer wake-ups for
 * its input (SO_RCVLOWAT, top-up reads), and back-pressure so that what
 * we owe a peer never grows without bound. Net thread only.
 *
 * Back-pressure: most of what we write is an answer to something the
 * peer sent (a block, a REJECT, a ut_metadata piece). A peer that keeps
 * asking and never reads would make its output buffer grow for ever, so
 * its input is parsed only while its output is under SP_PEER_OUT_CAP
 * (or, while the session's outputs together are over SP_SESSION_OUT_CAP,
 * under SP_PEER_OUT_RESUME). Over it, EV_READ is disabled: the kernel's
 * receive buffer fills and TCP slows the peer down. Reading resumes when
 * the output drains to SP_PEER_OUT_RESUME (the write callback), and a
 * peer that does not drain for SP_PEER_STUCK_US is closed. The session
 * total is kept exactly by an evbuffer callback on each output. */
#include "net/peer.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "core/clock.h"
#include "core/log.h"
#include "net/wire.h"

#define MOD "peer"
/* Largest SO_RCVLOWAT we ask for: a block message (16 KiB + 13) fits. */
#define RCVLOWAT_MAX (64 * 1024)
/* The input buffer's high watermark (libevent suspends reading above). */
#define READ_CEILING (SP_WIRE_MAX_MSG * 4)

/* ---- back-pressure ---- */

static void on_output_change(struct evbuffer *buf, const struct evbuffer_cb_info *info,
			     void *arg)
{
	struct sp_peer *p = arg;
	p->s->out_total += info->n_added;
	p->s->out_total -= info->n_deleted;
}

void sp_peer_io_init(struct sp_peer *p)
{
	p->out_cb = evbuffer_add_cb(bufferevent_get_output(p->bev), on_output_change, p);
}

void sp_peer_io_fini(struct sp_peer *p)
{
	struct evbuffer *out = bufferevent_get_output(p->bev);
	if (p->out_cb) {
		evbuffer_remove_cb_entry(out, p->out_cb);
		p->out_cb = NULL;
		p->s->out_total -= evbuffer_get_length(out);
	}
}

bool sp_peer_out_full(const struct sp_peer *p)
{
	size_t len = evbuffer_get_length(bufferevent_get_output(p->bev));
	if (len >= SP_PEER_OUT_CAP)
		return true;
	return len > SP_PEER_OUT_RESUME && p->s->out_total >= SP_SESSION_OUT_CAP;
}

void sp_peer_pause_input(struct sp_peer *p)
{
	if (p->in_paused)
		return;
	p->in_paused = true;
	p->paused_us = sp_now_us();
	p->pauses++;
	bufferevent_disable(p->bev, EV_READ);
	SP_DEBUG(MOD, "%s: output at %zu bytes: not reading it until it drains", p->name,
		 evbuffer_get_length(bufferevent_get_output(p->bev)));
}

void sp_peer_out_drained(struct sp_peer *p)
{
	if (!p->in_paused || p->closing ||
	    evbuffer_get_length(bufferevent_get_output(p->bev)) > SP_PEER_OUT_RESUME)
		return;
	p->in_paused = false;
	bufferevent_enable(p->bev, EV_READ);
	sp_peer_parse_input(p); /* what was left in the input buffer */
}

int sp_peer_io_tick(struct sp_peer *p, int64_t now)
{
	if (!p->in_paused || now - p->paused_us < SP_PEER_STUCK_US)
		return 0;
	SP_WARN(MOD, "%s: has not read what we owe it (%zu bytes) for %d s: closing", p->name,
		evbuffer_get_length(bufferevent_get_output(p->bev)),
		(int)(SP_PEER_STUCK_US / 1000000));
	sp_peer_close(p, "does not read");
	return -ETIMEDOUT;
}

/* ---- fewer wake-ups ---- */

/* Wake us only once the rest of a half-received message is in the
 * socket: without this a 16 KiB block costs ~4 wake-ups (epoll_wait,
 * FIONREAD, readv each) as loopback/TCP delivers it in pieces. No stall
 * is possible: nothing can be parsed before those bytes arrive, FIN and
 * memory pressure still wake epoll, and a complete frame resets it to 1.
 * MSE keeps byte counts (RC4 is a stream cipher) and sp_peer_input has
 * moved every byte read into the buffer we measure. */
void sp_peer_set_rcvlowat(struct sp_peer *p, long need)
{
	int want = need < 1 ? 1 : need > RCVLOWAT_MAX ? RCVLOWAT_MAX : (int)need;
	if (want == (p->rcvlowat ? p->rcvlowat : 1))
		return;
	evutil_socket_t fd = bufferevent_getfd(p->bev);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &want, sizeof(want)) < 0)
		return; /* only a wake-up optimisation */
	p->rcvlowat = want;
}

/* libevent 2.1 reads at most 4096 bytes per wake-up (EVBUFFER_MAX_READ
 * in buffer.c caps every evbuffer_read, whatever max_single_read says), so
 * a 16 KiB block took 4 wake-ups of epoll_wait + FIONREAD + readv. Top the
 * input up from the socket ourselves, up to the same ceiling. Returns
 * true if the read filled its space (the socket may hold more). Not with
 * a download rate limit: the group's bucket must pace those reads. A
 * socket error or EOF is left for libevent's next read to report. */
static bool read_into(struct evbuffer *raw, evutil_socket_t fd, size_t want);

bool sp_peer_read_more(struct sp_peer *p)
{
	if (p->s->cfg.download_rate_limit > 0)
		return false;
	struct evbuffer *raw = bufferevent_get_input(p->bev);
	size_t len = evbuffer_get_length(raw);
	evutil_socket_t fd = bufferevent_getfd(p->bev);
	if (len >= READ_CEILING || fd < 0)
		return false;
	/* bufferevent keeps its input's end frozen outside its own reads */
	evbuffer_unfreeze(raw, 0);
	bool full = read_into(raw, fd, READ_CEILING - len);
	evbuffer_freeze(raw, 0);
	return full;
}

static bool read_into(struct evbuffer *raw, evutil_socket_t fd, size_t want)
{
	struct evbuffer_iovec v[2];
	int n = evbuffer_reserve_space(raw, (ev_ssize_t)want, v, 2);
	if (n <= 0)
		return false;
	struct iovec iov[2];
	size_t space = 0;
	for (int i = 0; i < n; i++) {
		size_t l = v[i].iov_len;
		if (space + l > want)
			l = want - space;
		iov[i] = (struct iovec){v[i].iov_base, l};
		space += l;
	}
	ssize_t r = readv(fd, iov, n);
	if (r <= 0) {
		evbuffer_commit_space(raw, v, 0);
		return false;
	}
	size_t left = (size_t)r;
	int used = 0;
	for (; used < n && left; used++) {
		v[used].iov_len = left < iov[used].iov_len ? left : iov[used].iov_len;
		left -= v[used].iov_len;
	}
	evbuffer_commit_space(raw, v, used);
	return (size_t)r == space;
}

