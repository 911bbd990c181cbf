/* log.h - leveled logging to stderr, safe from any thread.
 *
 * SWARMPLAY_LOG=debug|info|warn|error sets the level (default warn);
 * sp_log_set_level() overrides it. Log lines are for developers and are
 * not translated; errors shown to users go through sp_error and _(). */
#ifndef SP_LOG_H
#define SP_LOG_H

enum sp_log_level { SP_LOG_DEBUG, SP_LOG_INFO, SP_LOG_WARN, SP_LOG_ERROR, SP_LOG_NONE };

void sp_log_set_level(enum sp_log_level level);
enum sp_log_level sp_log_get_level(void);
void sp_log(enum sp_log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The public sp_log_set_callback (swarmplay.h): lines go to cb instead of
 * stderr (NULL: stderr again). */
void sp_log_set_callback(void (*cb)(void *ctx, int level, const char *module, const char *msg),
			 void *ctx);
/* The public sp_log_enabled and sp_log_write (swarmplay.h): level as an
 * int, 0 debug .. 3 error, as enum sp_log_level. */
#include <stdbool.h>
bool sp_log_enabled(int level);
void sp_log_write(int level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define SP_DEBUG(mod, ...) sp_log(SP_LOG_DEBUG, mod, __VA_ARGS__)
#define SP_INFO(mod, ...) sp_log(SP_LOG_INFO, mod, __VA_ARGS__)
#define SP_WARN(mod, ...) sp_log(SP_LOG_WARN, mod, __VA_ARGS__)
#define SP_ERROR(mod, ...) sp_log(SP_LOG_ERROR, mod, __VA_ARGS__)

#endif
