/* hashpool.h - a small pool of worker threads that run jobs in FIFO order.
 *
 * Storage uses it for SHA-1 and disk writes so the net thread never blocks
 * on hashing. Jobs are plain function calls; the job's owner allocates its
 * argument and the job (or the completion it posts) frees it.
 *
 * Threads: sp_hashpool_submit() may be called from any thread, including a
 * worker. sp_hashpool_free() runs every job already queued, then joins the
 * workers; it must not be called from a worker. */
#ifndef SP_STORAGE_HASHPOOL_H
#define SP_STORAGE_HASHPOOL_H

struct sp_hashpool;

/* threads <= 0: the number of online cores, at least 2. NULL on failure. */
struct sp_hashpool *sp_hashpool_new(int threads);
/* Drains the queue, joins the workers. Takes NULL. */
void sp_hashpool_free(struct sp_hashpool *p);
/* Queue fn(arg). 0, -ENOMEM, or -ESHUTDOWN once free has begun (the job
 * is not run; the caller still owns arg). */
int sp_hashpool_submit(struct sp_hashpool *p, void (*fn)(void *arg), void *arg);
int sp_hashpool_threads(const struct sp_hashpool *p);

#endif
