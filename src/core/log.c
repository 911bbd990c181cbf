/* log.c - leveled logging. Any thread: one fprintf per line, and stdio
 * locks the stream, so lines from different threads do not interleave. */
#include "core/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int level = -1;
/* An embedding host's handler (sp_log_set_callback); NULL: stderr. Set
 * before the threads that log start, read by any thread. */
static void (*_Atomic handler)(void *ctx, int level, const char *module, const char *msg);
static void *_Atomic handler_ctx;

void sp_log_set_callback(void (*cb)(void *ctx, int level, const char *module, const char *msg),
			 void *ctx)
{
	atomic_store(&handler_ctx, ctx);
	atomic_store(&handler, cb);
}

static int level_from_env(void)
{
	const char *s = getenv("SWARMPLAY_LOG");
	if (!s)
		return SP_LOG_WARN;
	if (!strcmp(s, "debug"))
		return SP_LOG_DEBUG;
	if (!strcmp(s, "info"))
		return SP_LOG_INFO;
	if (!strcmp(s, "error"))
		return SP_LOG_ERROR;
	if (!strcmp(s, "none"))
		return SP_LOG_NONE;
	return SP_LOG_WARN;
}

void sp_log_set_level(enum sp_log_level l)
{
	atomic_store(&level, (int)l);
}

enum sp_log_level sp_log_get_level(void)
{
	int l = atomic_load(&level);
	if (l < 0) {
		l = level_from_env();
		atomic_store(&level, l);
	}
	return (enum sp_log_level)l;
}

static void vlog(enum sp_log_level l, const char *module, const char *fmt, va_list ap)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	if (l < sp_log_get_level() || l >= SP_LOG_NONE)
		return;
	char line[1024];
	void (*cb)(void *, int, const char *, const char *) = atomic_load(&handler);
	if (cb) {
		vsnprintf(line, sizeof(line), fmt, ap);
		cb(atomic_load(&handler_ctx), (int)l, module, line);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int n = snprintf(line, sizeof(line), "[%ld.%03ld %s %s] ", (long)ts.tv_sec,
			 ts.tv_nsec / 1000000, names[l], module);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void sp_log(enum sp_log_level l, const char *module, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(l, module, fmt, ap);
	va_end(ap);
}

/* The public pair (swarmplay.h): a host's lines go where the library's
 * go, at the same level. */
bool sp_log_enabled(int l)
{
	return l >= (int)sp_log_get_level() && l >= SP_LOG_DEBUG && l < SP_LOG_NONE;
}

void sp_log_write(int l, const char *module, const char *fmt, ...)
{
	if (!sp_log_enabled(l))
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog((enum sp_log_level)l, module, fmt, ap);
	va_end(ap);
}
