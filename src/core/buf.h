/* buf.h - a growable byte buffer with a hard ceiling (as curl's dynbuf).
 * Every buffer sized by input has a ceiling: appends past it fail with
 * -EOVERFLOW and leave the buffer as it was. Owner's thread. */
#ifndef SP_BUF_H
#define SP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct sp_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max; /* ceiling on len */
};

void sp_buf_init(struct sp_buf *b, size_t max);
void sp_buf_fini(struct sp_buf *b);
void sp_buf_reset(struct sp_buf *b); /* len = 0, keeps memory */
int sp_buf_append(struct sp_buf *b, const void *p, size_t n);
int sp_buf_appendf(struct sp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes. */
void sp_buf_consume(struct sp_buf *b, size_t n);
/* Hand the bytes over (NUL-terminated; caller frees) and reset. */
uint8_t *sp_buf_steal(struct sp_buf *b, size_t *len);

#endif
