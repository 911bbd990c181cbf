/* kiosk_ctl_proto.h - the kiosk's control protocol, without its socket:
 * one request a line parsed, one reply a line written (kiosk_ctl.c is
 * the socket, `swarmplay ctl` the client). Pure: no I/O, no libevent;
 * any thread.
 *
 * A request is one JSON object on one line, {"cmd": NAME} with "arg"
 * for the commands that take one and an optional "id" (a number or a
 * string of at most 64 bytes) that the reply repeats:
 *
 *   status, play, pause, next, prev, reload
 *   goto N (index from 0), seek S (seconds), volume N (0-100),
 *   screenshot FILE (an absolute path: a PNG of the frame on screen)
 *
 * A reply is one JSON object on one line: {"ok": true, ...} or
 * {"ok": false, "error": WHY}; a malformed line gets the latter and the
 * connection goes on. */
#ifndef SP_APP_KIOSK_CTL_PROTO_H
#define SP_APP_KIOSK_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

/* The longest request line (more is refused: its bytes are skipped up to
 * the next newline) and the longest path a screenshot takes. */
#define SP_KCTL_LINE_MAX 8192
#define SP_KCTL_PATH_MAX 4096
#define SP_KCTL_ID_MAX 64

enum sp_kctl_cmd {
	SP_KCTL_STATUS,
	SP_KCTL_PLAY,
	SP_KCTL_PAUSE,
	SP_KCTL_NEXT,
	SP_KCTL_PREV,
	SP_KCTL_GOTO,
	SP_KCTL_SEEK,
	SP_KCTL_VOLUME,
	SP_KCTL_RELOAD,
	SP_KCTL_SCREENSHOT,
	SP_KCTL_N
};

struct sp_kctl_req {
	enum sp_kctl_cmd cmd;
	long index;      /* goto */
	double seconds;  /* seek */
	int volume;      /* volume */
	char file[SP_KCTL_PATH_MAX]; /* screenshot */
	char id[SP_KCTL_ID_MAX + 3]; /* the "id" as JSON (quoted if a string), "" none */
};

/* The command's name ("goto"), or NULL out of range. */
const char *sp_kctl_cmd_name(enum sp_kctl_cmd cmd);
/* Whether the command takes an "arg" (and which kind: 'i' integer, 'n'
 * number, 's' string, 0 none). */
char sp_kctl_cmd_arg(enum sp_kctl_cmd cmd);

/* One line (without its newline; NUL bytes refused) into req. 0, or
 * -EINVAL with why (a message for the reply; req->id is set if the line
 * had a usable one). */
int sp_kctl_parse(const char *line, size_t len, struct sp_kctl_req *req, char *why,
		  size_t whylen);

/* A reply line, newline included, into out (NUL-terminated): ok with an
 * optional extra JSON member list ("\"pending\": true"), or an error.
 * The length written, or -ENOSPC when out is too small. */
int sp_kctl_reply_ok(char *out, size_t outlen, const char *id, const char *extra);
int sp_kctl_reply_error(char *out, size_t outlen, const char *id, const char *why);

/* s as a JSON string, quotes included, into out (NUL-terminated). The
 * length, or -ENOSPC. Bytes >= 0x80 pass as they are (UTF-8 in, UTF-8
 * out); control characters are escaped. */
int sp_kctl_json_string(char *out, size_t outlen, const char *s);

#endif
