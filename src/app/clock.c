/* clock.c - when this process started, on the sp_app_now_us() clock
 * (CLOCK_MONOTONIC, as the player's): `play` counts the time to first
 * frame from there (exec, the dynamic loader and the media module
 * included), as a viewer's does from the click. Any thread. */
#include "app/clock.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int64_t sp_app_process_start_us(void)
{
	int64_t now = sp_app_now_us();
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f)
		return now;
	char buf[1024];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* field 22, starttime in clock ticks since boot; the command name
	 * (field 2) may hold spaces: count from its closing parenthesis */
	char *s = strrchr(buf, ')');
	unsigned long long ticks = 0;
	if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
				"%*d %*d %*d %llu",
			 &ticks) != 1)
		return now;
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec bt;
	if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &bt) < 0)
		return now;
	int64_t boot_now = (int64_t)bt.tv_sec * 1000000 + bt.tv_nsec / 1000;
	int64_t since = boot_now - (int64_t)(ticks * 1000000ull / (unsigned long long)hz);
	/* a tick's resolution: never later than now, never absurdly early */
	if (since < 0 || since > 60 * 1000000LL)
		return now;
	return now - since;
}
