/* portmap_fsm.h - when to map, renew, retry and delete the listen port's
 * mapping on the gateway: the pure half of portmap.c.
 *
 * No socket, no clock, no thread: the shell feeds it the time and the
 * results of its blocking calls (made on its worker), and asks what to do
 * next. Rules:
 *   - at start, map at once (TCP and UDP of the listen port);
 *   - mapped with a lease of L seconds: renew at L/2 (at least
 *     SP_PM_MIN_RENEW_S); a permanent mapping (L = 0) is checked again
 *     every SP_PM_PERMANENT_RENEW_S, since routers reboot and forget;
 *   - no gateway answered, or it refused: retry after SP_PM_RETRY_S,
 *     doubling up to SP_PM_RETRY_MAX_S (a gateway may come back); the
 *     shell may set both bounds after init (sp_pm_fsm_set_retry);
 *   - a renewal that fails keeps the last mapping for what is left of its
 *     lease (still reachable), then says not reachable;
 *   - at stop, delete what was mapped (never when nothing was), once.
 * Any thread; the caller owns the struct. */
#ifndef SP_PORTMAP_FSM_H
#define SP_PORTMAP_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_PM_MIN_RENEW_S 30
#define SP_PM_PERMANENT_RENEW_S 1200
#define SP_PM_RETRY_S 60
#define SP_PM_RETRY_MAX_S 900
#define SP_PM_LEASE_S 3600 /* what we ask for */

enum sp_pm_state {
	SP_PM_START,    /* nothing asked yet */
	SP_PM_ASKING,   /* a map request is with the worker */
	SP_PM_MAPPED,   /* the gateway forwards the port */
	SP_PM_UNMAPPED, /* no gateway answered, or it refused: retry later */
	SP_PM_STOPPED,
};

enum sp_pm_method { SP_PM_NONE = 0, SP_PM_UPNP, SP_PM_NATPMP };

enum sp_pm_action { SP_PM_ACT_NONE = 0, SP_PM_ACT_MAP, SP_PM_ACT_UNMAP };

/* What the worker found (a map request's answer). */
struct sp_pm_result {
	bool ok;
	enum sp_pm_method method;
	char ext_addr[46]; /* the gateway's external address, "" if unknown */
	uint16_t ext_port;
	uint32_t lease_s;  /* 0 = permanent */
	char why[96];      /* when !ok: "no gateway answered", the router's refusal */
};

struct sp_pm_fsm {
	enum sp_pm_state state;
	struct sp_pm_result last;  /* the mapping in force when mapped */
	bool have_mapping;         /* something to delete at stop */
	int64_t next_us;           /* when tick acts next */
	int64_t lease_end_us;      /* of the mapping in force; 0 permanent */
	int64_t retry_s;           /* the next retry's delay */
	int64_t retry_first_s;     /* the first retry's (SP_PM_RETRY_S) */
	int64_t retry_max_s;       /* the longest (SP_PM_RETRY_MAX_S) */
	int attempts;
	char why[96];              /* the last failure */
};

void sp_pm_fsm_init(struct sp_pm_fsm *f);
/* Retries after first_s, doubling up to max_s (both >= 1; first_s <=
 * max_s). */
void sp_pm_fsm_set_retry(struct sp_pm_fsm *f, int64_t first_s, int64_t max_s);
/* What to do now: SP_PM_ACT_MAP when a mapping (or renewal, or retry) is
 * due; the state is then ASKING until sp_pm_fsm_result. */
enum sp_pm_action sp_pm_fsm_tick(struct sp_pm_fsm *f, int64_t now_us);
void sp_pm_fsm_result(struct sp_pm_fsm *f, int64_t now_us, const struct sp_pm_result *r);
/* SP_PM_ACT_UNMAP when a mapping is to be deleted; then STOPPED. */
enum sp_pm_action sp_pm_fsm_stop(struct sp_pm_fsm *f);
bool sp_pm_fsm_reachable(const struct sp_pm_fsm *f, int64_t now_us);
/* One line for people (untranslated; the app translates its parts):
 * "A:P via UPnP", "A:P via NAT-PMP", "checking the router",
 * "not reachable from outside: WHY". */
void sp_pm_fsm_describe(const struct sp_pm_fsm *f, int64_t now_us, char *out, size_t len);
const char *sp_pm_method_name(enum sp_pm_method m);

#endif
