/* clock.h - monotonic time. Any thread. The picker never calls these: it
 * is handed the time by its caller. */
#ifndef SP_CLOCK_H
#define SP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t sp_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* When this process started, on the sp_now_us() clock (from
 * /proc/self/stat, to a clock tick, 10 ms: rounded down, so never late;
 * now when it cannot tell). */
int64_t sp_process_start_us(void);

#endif
