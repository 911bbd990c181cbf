/* clock.h - the program's monotonic clock, for progress lines and
 * timings (the library keeps its own: src/app includes no private
 * header). Any thread. */
#ifndef SP_APP_CLOCK_H
#define SP_APP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t sp_app_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* When this process started, on the sp_app_now_us() clock (from
 * /proc/self/stat, to a clock tick, 10 ms: rounded down, so never late;
 * now when it cannot tell). */
int64_t sp_app_process_start_us(void);

#endif
