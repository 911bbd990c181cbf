/* buf.h - the program's growable byte buffer with a hard ceiling, for the
 * pages, JSON and files it builds (serve, the kiosk). Every buffer sized
 * by input has a ceiling: appends past it fail with -EOVERFLOW and leave
 * the buffer as it was. The library keeps its own (src/app includes no
 * private header). Owner's thread. */
#ifndef SP_APP_BUF_H
#define SP_APP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct app_buf {
	uint8_t *data; /* NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
	size_t max; /* ceiling on len */
};

void app_buf_init(struct app_buf *b, size_t max);
void app_buf_fini(struct app_buf *b);
void app_buf_reset(struct app_buf *b); /* len = 0, keeps memory */
/* 0, -EOVERFLOW (the ceiling) or -ENOMEM. */
int app_buf_append(struct app_buf *b, const void *p, size_t n);
int app_buf_appendf(struct app_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hands the bytes over (NUL-terminated; the caller frees) and empties
 * the buffer; NULL when out of memory. */
uint8_t *app_buf_steal(struct app_buf *b, size_t *len);

#endif
