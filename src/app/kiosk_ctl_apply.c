/* kiosk_ctl_apply.c - a control request (kiosk_ctl_proto.h) applied to
 * the kiosk: next, prev, goto and reload become the main loop's atomic
 * requests (and end the play under way); play, pause, seek, volume and
 * screenshot wait in k->preq for the playback to take. No I/O: the
 * control socket and the unit test call it alike. Any thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "app/kiosk.h"
#include "app/kiosk_ctl_proto.h"

static void wake(struct kiosk *k)
{
	pthread_cond_broadcast(&k->cond);
}

/* The main loop's requests: end the play, then step, jump or fetch. */
static int loop_request(struct kiosk *k, const struct sp_kctl_req *r, char *why, size_t whylen)
{
	pthread_mutex_lock(&k->mu);
	if (r->cmd == SP_KCTL_GOTO && (size_t)r->index >= k->n) {
		pthread_mutex_unlock(&k->mu);
		snprintf(why, whylen, "no item %ld: the list has %zu", r->index, k->n);
		return -EINVAL;
	}
	if (r->cmd == SP_KCTL_RELOAD) {
		atomic_store(&k->reload, true);
	} else {
		if (r->cmd == SP_KCTL_GOTO)
			atomic_store(&k->go_to, r->index);
		else
			atomic_store(&k->step, r->cmd == SP_KCTL_NEXT ? 1 : -1);
		atomic_store(&k->stop_play, 1);
	}
	wake(k);
	pthread_mutex_unlock(&k->mu);
	return 0;
}

int sp_kiosk_ctl_apply(struct kiosk *k, const struct sp_kctl_req *r, char *why, size_t whylen)
{
	switch (r->cmd) {
	case SP_KCTL_NEXT:
	case SP_KCTL_PREV:
	case SP_KCTL_GOTO:
	case SP_KCTL_RELOAD:
		return loop_request(k, r, why, whylen);
	case SP_KCTL_PLAY:
	case SP_KCTL_PAUSE:
	case SP_KCTL_SEEK:
	case SP_KCTL_VOLUME:
	case SP_KCTL_SCREENSHOT:
		break;
	default:
		snprintf(why, whylen, "not a request for the kiosk");
		return -EINVAL;
	}
	if (r->cmd == SP_KCTL_SCREENSHOT && strlen(r->file) >= sizeof(k->preq.shot)) {
		snprintf(why, whylen, "the path is too long");
		return -EINVAL;
	}
	pthread_mutex_lock(&k->mu);
	struct kiosk_player_req *q = &k->preq;
	switch (r->cmd) {
	case SP_KCTL_PLAY:
	case SP_KCTL_PAUSE:
		q->pause_set = true;
		q->paused = k->paused = r->cmd == SP_KCTL_PAUSE;
		break;
	case SP_KCTL_SEEK:
		q->seek_set = true;
		q->seek_s = r->seconds;
		break;
	case SP_KCTL_VOLUME:
		q->volume_set = true;
		q->volume = k->volume = r->volume;
		break;
	default:
		snprintf(q->shot, sizeof(q->shot), "%s", r->file);
		break;
	}
	pthread_mutex_unlock(&k->mu);
	return 1;
}

bool sp_kiosk_take_player_req(struct kiosk *k, struct kiosk_player_req *out)
{
	pthread_mutex_lock(&k->mu);
	*out = k->preq;
	bool any = out->pause_set || out->seek_set || out->volume_set || out->shot[0];
	if (any)
		k->preq = (struct kiosk_player_req){0};
	pthread_mutex_unlock(&k->mu);
	return any;
}
