/* error.c - error out-parameter. Any thread. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int sp_error_set(struct sp_error **err, int code, const char *fmt, ...)
{
	if (!err || *err)
		return code;
	struct sp_error *e = calloc(1, sizeof(*e));
	if (!e)
		return code;
	e->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	*err = e;
	return code;
}

void sp_error_free(struct sp_error *e)
{
	free(e);
}

const char *sp_error_msg(const struct sp_error *e)
{
	return e ? e->msg : "";
}

int sp_error_code(const struct sp_error *e)
{
	return e ? e->code : 0;
}
