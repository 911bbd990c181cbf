/* log.h - the program's log lines, through the library's public log
 * (sp_log_write: the same level, SWARMPLAY_LOG, and the same callback
 * or stderr). Any thread. */
#ifndef SP_APP_LOG_H
#define SP_APP_LOG_H

#include "swarmplay/swarmplay.h"

enum { APP_LOG_DEBUG = 0, APP_LOG_INFO = 1, APP_LOG_WARN = 2, APP_LOG_ERROR = 3 };

#define APP_DEBUG(mod, ...) sp_log_write(APP_LOG_DEBUG, mod, __VA_ARGS__)
#define APP_INFO(mod, ...) sp_log_write(APP_LOG_INFO, mod, __VA_ARGS__)
#define APP_WARN(mod, ...) sp_log_write(APP_LOG_WARN, mod, __VA_ARGS__)
#define APP_ERROR(mod, ...) sp_log_write(APP_LOG_ERROR, mod, __VA_ARGS__)

#endif
