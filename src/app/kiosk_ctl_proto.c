/* kiosk_ctl_proto.c - the kiosk's control lines (kiosk_ctl_proto.h): a
 * small JSON object reader that takes only what a request holds (one
 * object of strings, numbers, true, false and null; nothing nested) and
 * the replies' writer. Every string has a ceiling; the reader is a loop
 * over the line with no recursion, some 12 KiB of stack, no state:
 * any thread. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/kiosk_ctl_proto.h"

static const char *const names[SP_KCTL_N] = {
    "status", "play", "pause", "next", "prev", "goto", "seek", "volume", "reload", "screenshot",
};
static const char args[SP_KCTL_N] = {0, 0, 0, 0, 0, 'i', 'n', 'i', 0, 's'};

const char *sp_kctl_cmd_name(enum sp_kctl_cmd cmd)
{
	return (unsigned)cmd < SP_KCTL_N ? names[cmd] : NULL;
}

char sp_kctl_cmd_arg(enum sp_kctl_cmd cmd)
{
	return (unsigned)cmd < SP_KCTL_N ? args[cmd] : 0;
}

/* A value as read: a string (decoded into str), a number, or a word. */
enum vtype { V_STRING, V_NUMBER, V_TRUE, V_FALSE, V_NULL };
struct value {
	enum vtype type;
	double num;
	char str[SP_KCTL_PATH_MAX];
	size_t len;
	const char *raw; /* where it starts in the line, and its length */
	size_t rawlen;
};

struct rd {
	const char *p, *end;
	const char *why;
};

static void skip_ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n'))
		r->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int put(struct value *v, size_t cap, const char *s, size_t n)
{
	if (v->len + n >= cap)
		return -1;
	memcpy(v->str + v->len, s, n);
	v->len += n;
	return 0;
}

static int put_utf8(struct value *v, size_t cap, unsigned c)
{
	char b[4];
	size_t n;
	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return put(v, cap, b, n);
}

/* \uXXXX (and its low surrogate): the code point, or -1. */
static long read_u(struct rd *r)
{
	unsigned hi, lo;
	if (r->end - r->p < 6 || hex4(r->p + 2, &hi) < 0)
		return -1;
	r->p += 6;
	if (hi < 0xd800 || hi > 0xdfff)
		return hi ? (long)hi : -1; /* no NUL inside a string */
	if (hi > 0xdbff || r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
	    hex4(r->p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
		return -1;
	r->p += 6;
	return 0x10000 + ((long)(hi - 0xd800) << 10) + (lo - 0xdc00);
}

/* A string at r->p (on its quote) into v->str, at most cap - 1 bytes. */
static int read_string(struct rd *r, struct value *v, size_t cap)
{
	v->len = 0;
	r->p++;
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p;
		if (c < 0x20) {
			r->why = "a control character in a string";
			return -1;
		}
		if (c != '\\') {
			if (put(v, cap, r->p++, 1) < 0)
				goto long_;
			continue;
		}
		if (r->p + 1 >= r->end)
			break;
		char e = r->p[1], out = 0;
		switch (e) {
		case '"':
		case '\\':
		case '/':
			out = e;
			break;
		case 'b':
			out = '\b';
			break;
		case 'f':
			out = '\f';
			break;
		case 'n':
			out = '\n';
			break;
		case 'r':
			out = '\r';
			break;
		case 't':
			out = '\t';
			break;
		case 'u': {
			long cp = read_u(r);
			if (cp < 0) {
				r->why = "a bad \\u escape";
				return -1;
			}
			if (put_utf8(v, cap, (unsigned)cp) < 0)
				goto long_;
			continue;
		}
		default:
			r->why = "a bad escape in a string";
			return -1;
		}
		r->p += 2;
		if (put(v, cap, &out, 1) < 0)
			goto long_;
	}
	if (r->p >= r->end) {
		r->why = "a string without its end";
		return -1;
	}
	r->p++;
	v->str[v->len] = 0;
	return 0;
long_:
	r->why = "a string too long";
	return -1;
}

static int read_number(struct rd *r, struct value *v)
{
	char buf[64];
	size_t n = 0;
	while (r->p + n < r->end && n < sizeof(buf) - 1 && strchr("+-.0123456789eE", r->p[n]))
		n++;
	memcpy(buf, r->p, n);
	buf[n] = 0;
	char *end;
	v->num = strtod(buf, &end);
	/* JSON's grammar, near enough: a digit or '-' first, all of it used */
	if (!n || end != buf + n || !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')) ||
	    !isfinite(v->num)) {
		r->why = "a bad number";
		return -1;
	}
	r->p += n;
	return 0;
}

static int read_value(struct rd *r, struct value *v)
{
	static const struct {
		const char *w;
		enum vtype t;
	} words[] = {
	    {"true", V_TRUE},
	    {"false", V_FALSE},
	    {"null", V_NULL},
	};
	v->raw = r->p;
	if (r->p >= r->end) {
		r->why = "a value is missing";
		return -1;
	}
	int rc = 0;
	if (*r->p == '"') {
		v->type = V_STRING;
		rc = read_string(r, v, sizeof(v->str));
	} else if (*r->p == '{' || *r->p == '[') {
		r->why = "nested values are not taken";
		return -1;
	} else if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) {
		v->type = V_NUMBER;
		rc = read_number(r, v);
	} else {
		rc = -1;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			size_t n = strlen(words[i].w);
			if ((size_t)(r->end - r->p) >= n && !memcmp(r->p, words[i].w, n)) {
				v->type = words[i].t;
				r->p += n;
				rc = 0;
			}
		}
		if (rc < 0)
			r->why = "not JSON";
	}
	v->rawlen = (size_t)(r->p - v->raw);
	return rc;
}

/* The members this protocol knows, as read. */
struct members {
	struct value cmd, arg;
	bool has_cmd, has_arg;
};

static int take_id(struct sp_kctl_req *req, const struct value *v)
{
	if ((v->type != V_STRING && v->type != V_NUMBER) || v->rawlen > SP_KCTL_ID_MAX)
		return -1;
	memcpy(req->id, v->raw, v->rawlen);
	req->id[v->rawlen] = 0;
	return 0;
}

/* The object's members into m (the last of a name wins); others are
 * ignored. */
static int read_object(struct rd *r, struct members *m, struct sp_kctl_req *req)
{
	struct value key, val;
	skip_ws(r);
	if (r->p >= r->end || *r->p != '{') {
		r->why = "not a JSON object";
		return -1;
	}
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return 0;
	}
	for (;;) {
		skip_ws(r);
		if (r->p >= r->end || *r->p != '"') {
			r->why =
			    r->p >= r->end ? "the object has no end" : "a member name is missing";
			return -1;
		}
		if (read_string(r, &key, 64) < 0)
			return -1;
		skip_ws(r);
		if (r->p >= r->end || *r->p != ':') {
			r->why = "a ':' is missing";
			return -1;
		}
		r->p++;
		skip_ws(r);
		if (read_value(r, &val) < 0)
			return -1;
		if (!strcmp(key.str, "cmd")) {
			m->cmd = val;
			m->has_cmd = true;
		} else if (!strcmp(key.str, "arg")) {
			m->arg = val;
			m->has_arg = true;
		} else if (!strcmp(key.str, "id") && take_id(req, &val) < 0) {
			r->why = "\"id\" is a number or a short string";
			return -1;
		}
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			return 0;
		}
		r->why = r->p >= r->end ? "the object has no end" : "a ',' or '}' is missing";
		return -1;
	}
}

static int take_arg(struct sp_kctl_req *req, const struct members *m, const char **why)
{
	char kind = args[req->cmd];
	const struct value *a = &m->arg;
	if (!kind)
		return 0;
	if (!m->has_arg) {
		*why = "\"arg\" is missing";
		return -1;
	}
	if (kind == 's') {
		if (a->type != V_STRING || a->str[0] != '/') {
			*why = "\"arg\" is an absolute path";
			return -1;
		}
		memcpy(req->file, a->str, a->len + 1);
		return 0;
	}
	if (a->type != V_NUMBER) {
		*why = "\"arg\" is a number";
		return -1;
	}
	if (req->cmd == SP_KCTL_SEEK) {
		if (a->num < 0 || a->num > 1e9) {
			*why = "\"arg\" is seconds from the start";
			return -1;
		}
		req->seconds = a->num;
		return 0;
	}
	double hi = req->cmd == SP_KCTL_VOLUME ? 100 : 1e9;
	if (a->num != floor(a->num) || a->num < 0 || a->num > hi) {
		*why = req->cmd == SP_KCTL_VOLUME ? "\"arg\" is a volume from 0 to 100"
						  : "\"arg\" is an item's index";
		return -1;
	}
	if (req->cmd == SP_KCTL_VOLUME)
		req->volume = (int)a->num;
	else
		req->index = (long)a->num;
	return 0;
}

int sp_kctl_parse(const char *line, size_t len, struct sp_kctl_req *req, char *why, size_t whylen)
{
	struct members m;
	struct rd r = {.p = line, .end = line + len};
	memset(req, 0, offsetof(struct sp_kctl_req, file));
	req->file[0] = req->id[0] = 0;
	m.has_cmd = m.has_arg = false;
	const char *err = NULL;
	if (memchr(line, 0, len))
		err = "a NUL byte in the line";
	else if (len > SP_KCTL_LINE_MAX)
		err = "the line is too long";
	else if (read_object(&r, &m, req) < 0)
		err = r.why;
	if (!err) {
		skip_ws(&r);
		if (r.p != r.end)
			err = "bytes after the object";
	}
	if (!err && (!m.has_cmd || m.cmd.type != V_STRING))
		err = "\"cmd\" is missing";
	if (!err) {
		int c = 0;
		while (c < SP_KCTL_N && strcmp(names[c], m.cmd.str))
			c++;
		if (c == SP_KCTL_N)
			err = "unknown command";
		else
			req->cmd = (enum sp_kctl_cmd)c;
	}
	if (!err)
		take_arg(req, &m, &err);
	if (!err)
		return 0;
	snprintf(why, whylen, "%s", err);
	return -EINVAL;
}

int sp_kctl_json_string(char *out, size_t outlen, const char *s)
{
	size_t n = 0;
#define OUT(c)                                                                                     \
	do {                                                                                       \
		if (n + 1 >= outlen)                                                               \
			return -ENOSPC;                                                            \
		out[n++] = (c);                                                                    \
	} while (0)
	OUT('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			OUT('\\');
			OUT((char)c);
		} else if (c < 0x20 || c == 0x7f) {
			char e[8];
			snprintf(e, sizeof(e), "\\u%04x", c);
			for (int i = 0; e[i]; i++)
				OUT(e[i]);
		} else {
			OUT((char)c);
		}
	}
	OUT('"');
#undef OUT
	out[n] = 0;
	return (int)n;
}

static int reply(char *out, size_t outlen, const char *id, const char *body)
{
	int n = snprintf(out, outlen, "{\"ok\": %s%s%s}\n", body, id && *id ? ", \"id\": " : "",
			 id && *id ? id : "");
	return n < 0 || (size_t)n >= outlen ? -ENOSPC : n;
}

int sp_kctl_reply_ok(char *out, size_t outlen, const char *id, const char *extra)
{
	char body[1024];
	int n = snprintf(body, sizeof(body), "true%s%s", extra && *extra ? ", " : "",
			 extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(body))
		return -ENOSPC;
	return reply(out, outlen, id, body);
}

int sp_kctl_reply_error(char *out, size_t outlen, const char *id, const char *why)
{
	char body[1024] = "false, \"error\": ";
	size_t l = strlen(body);
	if (sp_kctl_json_string(body + l, sizeof(body) - l, why) < 0)
		return -ENOSPC;
	return reply(out, outlen, id, body);
}
