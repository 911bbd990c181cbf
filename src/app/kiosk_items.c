/* kiosk_items.c - the kiosk's items: a new list applied between two
 * plays (the items that stay keep their torrent and state, the others
 * are unpinned), listed torrents pinned in the play cache, and an item
 * prepared for its play: its metainfo loaded (a file, a URL's download
 * with its kept copy, a magnet's metadata from peers), its torrent added
 * to the session (where it stays, seeding), its cache folder held. A
 * failure is recorded and retried after a back-off (10 s, doubling to
 * 10 min).
 *
 * Threads: the main thread, or the prefetch thread while the main
 * thread plays (kiosk_prefetch.c): never both at once. Item fields the
 * status thread reads change under the kiosk's mutex. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app/kiosk.h"
#include "app/swarm_opts.h"
#include "app/clock.h"
#include "app/i18n.h"
#include "swarmplay/swarmplay.h"

#define RETRY_MIN_US (10 * 1000000LL)
#define RETRY_MAX_US (600 * 1000000LL)
#define MAGNET_TIMEOUT_MS 30000
#define NODATA_TIMEOUT_US (20 * 1000000LL)
#define NODATA_POLL_US 200000

void sp_kiosk_item_fini(struct kiosk_item *it)
{
	if (it->hold_fd >= 0)
		close(it->hold_fd); /* unpinned: --cache-max may trim it now */
	free(it->src);
	free(it->title);
}

/* The item of the old list with the same source, for its state. */
static struct kiosk_item *find_old(struct kiosk_item *old, size_t n, const char *src)
{
	for (size_t i = 0; i < n; i++)
		if (old[i].src && !strcmp(old[i].src, src))
			return &old[i];
	return NULL;
}

static void report_bad_lines(const struct sp_playlist *pl)
{
	for (size_t i = 0; i < pl->nerrors; i++)
		fprintf(stderr, _("swarmplay: playlist line %d skipped: %s\n"), pl->errors[i].line,
			pl->errors[i].msg);
	if (pl->bad_lines > pl->nerrors)
		fprintf(stderr, _("swarmplay: and %zu more bad lines\n"),
			pl->bad_lines - pl->nerrors);
}

/* A listed torrent's cache folder, pinned as soon as the list is
 * applied (before the trim that follows), from what is here without the
 * network: a torrent file, the kept copy of a URL's, a magnet's hash.
 * The folder is made if missing (then empty: nothing to keep yet). */
static void pin_cached(const struct kiosk *k, const struct kiosk_opts *o, struct kiosk_item *it)
{
	char path[4096], dir[4096];
	const char *src = it->src;
	if (o->sw.dir || it->opt.kind == SP_ITEM_MEDIA || it->hold_fd >= 0 || it->t)
		return;
	if (it->opt.remote) {
		if (sp_kiosk_item_path(k, it->src, path, sizeof(path)) < 0 || access(path, R_OK))
			return;
		src = path;
	}
	struct sp_metainfo *mi = sp_metainfo_load(src, NULL);
	if (!mi)
		return;
	if (sp_cache_dir(sp_metainfo_info_hash(mi), dir, sizeof(dir)) == 0 &&
	    (it->hold_fd = sp_cache_hold(dir)) >= 0)
		snprintf(it->hash, sizeof(it->hash), "%s", sp_metainfo_info_hash(mi));
	if (it->hold_fd < 0)
		it->hold_fd = -1;
	sp_metainfo_free(mi);
}

/* A new list from the fetcher, between two plays (main thread). Items
 * that stay keep their torrent and state; the others are unpinned (their
 * torrents seed on until the kiosk restarts). 1 applied, 0 none,
 * -ENOMEM (the old list stays). */
int sp_kiosk_apply_pending(struct kiosk *k, const struct kiosk_opts *o)
{
	pthread_mutex_lock(&k->mu);
	struct sp_playlist *pl = k->pending;
	k->pending = NULL;
	bool from_cache = k->pending_from_cache;
	pthread_mutex_unlock(&k->mu);
	if (!pl)
		return 0;
	struct kiosk_item *items = calloc(pl->n, sizeof(*items));
	if (!items) {
		sp_playlist_free(pl);
		return -ENOMEM;
	}
	report_bad_lines(pl);
	for (size_t i = 0; i < pl->n; i++) {
		char path[8192];
		struct kiosk_item *it = &items[i];
		if (sp_playlist_resolve(k->source, pl->items[i].src, path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "%s", pl->items[i].src);
		struct kiosk_item *old = find_old(k->items, k->n, path);
		if (old && old->opt.kind == pl->items[i].kind) {
			*it = *old;
			old->src = old->title = NULL;
			old->hold_fd = -1;
			free(it->title);
		} else {
			*it = (struct kiosk_item){.hold_fd = -1, .src = strdup(path)};
		}
		it->opt = pl->items[i];
		it->opt.src = it->opt.title = NULL;
		/* a relative item of a list fetched by http(s) is a URL too */
		it->opt.remote = !strncasecmp(it->src, "http://", 7) ||
				 !strncasecmp(it->src, "https://", 8);
		it->title = pl->items[i].title ? strdup(pl->items[i].title) : NULL;
		pin_cached(k, o, it);
	}
	pthread_mutex_lock(&k->mu);
	struct kiosk_item *old = k->items;
	size_t oldn = k->n;
	const char *cur_src = k->cur >= 0 && (size_t)k->cur < oldn ? old[k->cur].src : NULL;
	long cur = -1;
	for (size_t i = 0; cur_src && i < pl->n; i++)
		if (items[i].src && !strcmp(items[i].src, cur_src))
			cur = (long)i;
	k->cur = cur;
	k->items = items;
	k->n = pl->n;
	k->version++;
	k->from_cache = from_cache;
	memcpy(k->errors, pl->errors, sizeof(k->errors));
	k->nerrors = pl->nerrors;
	k->bad_lines = pl->bad_lines;
	pthread_mutex_unlock(&k->mu);
	for (size_t i = 0; i < oldn; i++)
		sp_kiosk_item_fini(&old[i]);
	free(old);
	fprintf(stderr, _("swarmplay: playlist version %u: %zu items%s\n"), k->version, pl->n,
		from_cache ? _(" (from the disk cache)") : "");
	sp_playlist_free(pl);
	return 1;
}

void sp_kiosk_item_failed(struct kiosk *k, struct kiosk_item *it, const char *why)
{
	pthread_mutex_lock(&k->mu);
	it->fails++;
	int64_t wait = RETRY_MIN_US << (it->fails < 7 ? it->fails - 1 : 6);
	it->retry_at_us = sp_app_now_us() + (wait < RETRY_MAX_US ? wait : RETRY_MAX_US);
	snprintf(it->error, sizeof(it->error), "%s", why);
	pthread_mutex_unlock(&k->mu);
	fprintf(stderr, _("swarmplay: item %s skipped: %s\n"), it->src, why);
}

/* Every torrent the session has, listed or not any more (the session
 * keeps them: one that comes back to the list is found here). Main
 * thread. */
struct known {
	char hash[41];
	struct sp_torrent *t;
	int file;
};
static struct known *known;
static size_t nknown;

static struct sp_torrent *known_torrent(const char *hex, int *file)
{
	for (size_t i = 0; i < nknown; i++)
		if (!strcmp(known[i].hash, hex)) {
			*file = known[i].file;
			return known[i].t;
		}
	return NULL;
}

static void remember(const char *hex, struct sp_torrent *t, int file)
{
	struct known *n = realloc(known, (nknown + 1) * sizeof(*known));
	if (!n)
		return;
	known = n;
	snprintf(known[nknown].hash, sizeof(known[nknown].hash), "%s", hex);
	known[nknown].t = t;
	known[nknown++].file = file;
}

/* The item's metainfo: a local file, a URL (downloaded, its copy kept),
 * a magnet (its info dictionary from peers). NULL and why. */
static struct sp_metainfo *load_meta(struct kiosk *k, struct sp_session *s,
				     const struct kiosk_opts *o, struct kiosk_item *it, char *why,
				     size_t whylen)
{
	char path[4096];
	const char *src = it->src;
	if (it->opt.remote) {
		if (sp_kiosk_fetch_item(k, it->src, path, sizeof(path), why, whylen) < 0)
			return NULL;
		src = path;
	}
	struct sp_error *e = NULL;
	struct sp_metainfo *mi = sp_metainfo_load(src, &e);
	if (mi && sp_metainfo_is_magnet(mi)) {
		sp_swarm_add_initial_peers(mi, &o->sw);
		mi = sp_session_fetch_metadata(s, mi, MAGNET_TIMEOUT_MS, &e);
	}
	if (!mi)
		snprintf(why, whylen, "%s", sp_error_msg(e));
	sp_error_free(e);
	return mi;
}

/* The item is ready to play: a readable file, or its torrent in the
 * session with its cache folder pinned. 0, or -1 (item_failed said why). */
int sp_kiosk_prepare(struct kiosk *k, struct sp_session *s, const struct kiosk_opts *o,
		     struct kiosk_item *it)
{
	char why[512] = "";
	if (it->opt.kind == SP_ITEM_MEDIA) {
		if (access(it->src, R_OK) == 0)
			return 0;
		snprintf(why, sizeof(why), "%s", strerror(errno));
		sp_kiosk_item_failed(k, it, why);
		return -1;
	}
	if (it->t)
		return 0;
	struct sp_metainfo *mi = load_meta(k, s, o, it, why, sizeof(why));
	if (!mi) {
		sp_kiosk_item_failed(k, it, why);
		return -1;
	}
	int file = sp_metainfo_main_file(mi);
	struct sp_torrent *t = known_torrent(sp_metainfo_info_hash(mi), &file);
	bool shared = t != NULL;
	char dir[4096];
	int hold = -1, r = 0;
	if (o->sw.dir) {
		snprintf(dir, sizeof(dir), "%s/%s", o->sw.dir, sp_metainfo_info_hash(mi));
	} else { /* pinned while listed, shared or not (pin_cached may have) */
		bool pinned = it->hold_fd >= 0 && !strcmp(it->hash, sp_metainfo_info_hash(mi));
		r = -ESTALE;
		for (int i = 0; i < 3 && r == -ESTALE; i++)
			if ((r = sp_cache_dir(sp_metainfo_info_hash(mi), dir, sizeof(dir))) == 0)
				r = pinned ? 0 : (hold = sp_cache_hold(dir));
		if (pinned)
			hold = it->hold_fd;
	}
	char hex[41];
	snprintf(hex, sizeof(hex), "%s", sp_metainfo_info_hash(mi));
	struct sp_error *e = NULL;
	if (!t && r >= 0 && file >= 0)
		t = sp_session_add_torrent(s, mi, dir, false, &e);
	if (!t) {
		snprintf(why, sizeof(why), "%s",
			 r < 0 ? strerror(-r) : file < 0 ? "no file to play" : sp_error_msg(e));
		sp_error_free(e);
		sp_metainfo_free(mi);
		if (hold >= 0 && hold != it->hold_fd)
			close(hold);
		sp_kiosk_item_failed(k, it, why);
		return -1;
	}
	if (shared) {
		sp_metainfo_free(mi);
	} else { /* the session took mi */
		remember(hex, t, file);
		sp_swarm_add_peers(t, &o->sw);
	}
	pthread_mutex_lock(&k->mu);
	if (it->hold_fd >= 0 && it->hold_fd != hold)
		close(it->hold_fd); /* pinned another version of the item */
	it->t = t;
	it->file = file;
	it->hold_fd = hold;
	snprintf(it->hash, sizeof(it->hash), "%s", hex);
	pthread_mutex_unlock(&k->mu);
	return 0;
}

/* Before the play: a torrent item that has nothing yet waits (a slice at
 * a time) for its first verified bytes; none from any peer or web seed
 * within NODATA_TIMEOUT_US and it is skipped, retried after the back-off
 * (its peers are tried again meanwhile), instead of a play that would
 * wait for data for ever. A stop or a jump asked meanwhile ends the wait
 * (-1, the item not blamed). Main thread. */
int sp_kiosk_wait_data(struct kiosk *k, struct kiosk_item *it)
{
	if (!it->t)
		return 0;
	int64_t until = sp_app_now_us() + NODATA_TIMEOUT_US;
	for (;;) {
		struct sp_torrent_stats st;
		sp_torrent_get_stats(it->t, &st);
		if (st.complete || (st.verified_bytes > 0 && !st.checking))
			return 0;
		if (atomic_load(&k->stop_play) || atomic_load(&k->step) || atomic_load(&k->go_to) >= 0)
			return -1;
		if (sp_app_now_us() >= until && !st.checking) {
			char why[160];
			snprintf(why, sizeof(why),
				 "no data from any peer or web seed in %lld s (%d peers)",
				 NODATA_TIMEOUT_US / 1000000, st.peers);
			sp_kiosk_item_failed(k, it, why);
			return -1;
		}
		sp_kiosk_watchdog(); /* the loop waits, alive */
		usleep(NODATA_POLL_US);
	}
}

void sp_kiosk_items_fini(void)
{
	free(known);
	known = NULL;
	nknown = 0;
}
