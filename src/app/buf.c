/* buf.c - the program's growable buffer with a ceiling. Owner's thread. */
#include "app/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void app_buf_init(struct app_buf *b, size_t max)
{
	*b = (struct app_buf){.max = max};
}

void app_buf_fini(struct app_buf *b)
{
	free(b->data);
	*b = (struct app_buf){.max = b->max};
}

void app_buf_reset(struct app_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

/* Room for extra more bytes and a NUL. */
static int grow(struct app_buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return -EOVERFLOW;
	size_t need = b->len + extra + 1;
	if (b->data && need <= b->cap)
		return 0;
	size_t cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int app_buf_append(struct app_buf *b, const void *p, size_t n)
{
	int r = grow(b, n);
	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int app_buf_appendf(struct app_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	int r = grow(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

uint8_t *app_buf_steal(struct app_buf *b, size_t *len)
{
	if (grow(b, 0) < 0)
		return NULL;
	uint8_t *p = b->data;
	p[b->len] = 0;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
