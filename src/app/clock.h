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

#endif
