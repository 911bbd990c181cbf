/* postq.h - a "post" for code that runs storage without an event loop:
 * unit tests, and command-line tools that only check or read data.
 *
 * sp_postq_post() matches sp_storage_hooks.post (pass the queue as ctx) and
 * may be called from any thread; the thread that owns the storage drains
 * the queue with sp_postq_run(), which runs the posted functions on it. */
#ifndef SP_STORAGE_POSTQ_H
#define SP_STORAGE_POSTQ_H

#include <stddef.h>

struct sp_postq;

struct sp_postq *sp_postq_new(void);
/* Runs whatever is still queued (so completions free their memory), then
 * frees. Takes NULL. */
void sp_postq_free(struct sp_postq *q);
/* ctx is the struct sp_postq *. Any thread. */
void sp_postq_post(void *ctx, void (*fn)(void *arg), void *arg);
/* Wait up to timeout_ms for at least one posted function (0: do not
 * wait), then run every queued one. Returns how many ran. */
int sp_postq_run(struct sp_postq *q, int timeout_ms);
/* Number queued now. */
size_t sp_postq_pending(struct sp_postq *q);

#endif
