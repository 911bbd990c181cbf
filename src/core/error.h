/* error.h - the optional error out-parameter of constructors and parsers.
 *
 * Functions that can fail in ways a user must read about take a
 * `struct sp_error **err` (may be NULL). On failure they fill *err with a
 * newly allocated error that the caller frees with sp_error_free(). The
 * code is a negative errno with the fixed meanings of STYLE.md
 * (-EINVAL, -EBADMSG, -EPROTO, -EOVERFLOW, -EAGAIN, -ECANCELED, -ENOTSUP,
 * -EIO, -ENOSPC...). The message is already translated. */
#ifndef SP_ERROR_H
#define SP_ERROR_H

struct sp_error {
	int code;
	char msg[512];
};

/* Fill *err (if err != NULL and *err == NULL) and return code. */
int sp_error_set(struct sp_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sp_error_free(struct sp_error *e);
/* Message of e, or "" for NULL. */
const char *sp_error_msg(const struct sp_error *e);
/* Code of e (a negative errno), 0 for NULL. */
int sp_error_code(const struct sp_error *e);

#endif
