/* fuzz_kiosk_ctl.c - libFuzzer target for the kiosk's control lines
 * (src/app/kiosk_ctl_proto.c), which any local process with the socket's
 * rights may send. The input is split at newlines, as the socket does.
 *
 * It checks what the parser promises: a refusal says why; an accepted
 * request has a known command and an argument within its bounds (an
 * index, seconds from 0, a volume 0-100, an absolute path without NUL);
 * an id is at most SP_KCTL_ID_MAX bytes of JSON; both replies are one
 * line of JSON; and a path written back with sp_kctl_json_string parses
 * to the same path (the writer and the reader agree). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/kiosk_ctl_proto.h"

static void check_reply(const char *out, int n)
{
	if (n <= 0 || (size_t)n != strlen(out) || out[n - 1] != '\n' ||
	    memchr(out, '\n', (size_t)n - 1))
		abort();
}

static void check_req(const struct sp_kctl_req *r)
{
	if (!sp_kctl_cmd_name(r->cmd) || strlen(r->id) > SP_KCTL_ID_MAX)
		abort();
	switch (r->cmd) {
	case SP_KCTL_GOTO:
		if (r->index < 0)
			abort();
		break;
	case SP_KCTL_SEEK:
		if (!(r->seconds >= 0 && r->seconds <= 1e9))
			abort();
		break;
	case SP_KCTL_VOLUME:
		if (r->volume < 0 || r->volume > 100)
			abort();
		break;
	case SP_KCTL_SCREENSHOT: {
		if (r->file[0] != '/')
			abort();
		/* written back and read again: the same path */
		static char line[3 * SP_KCTL_PATH_MAX], arg[2 * SP_KCTL_PATH_MAX];
		static struct sp_kctl_req again;
		char why[128];
		if (sp_kctl_json_string(arg, sizeof(arg), r->file) < 0)
			abort();
		int n = snprintf(line, sizeof(line), "{\"cmd\": \"screenshot\", \"arg\": %s}", arg);
		if (n >= (int)sizeof(line))
			break; /* escapes made it longer than a line may be */
		if (sp_kctl_parse(line, (size_t)n, &again, why, sizeof(why)) == 0 &&
		    strcmp(again.file, r->file))
			abort();
		break;
	}
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sp_kctl_req req;
	const char *p = (const char *)data, *end = p + size;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		char why[256] = "", out[1536];
		int r = sp_kctl_parse(p, len, &req, why, sizeof(why));
		if (r == 0)
			check_req(&req);
		else if (r != -EINVAL || !why[0])
			abort();
		check_reply(out, sp_kctl_reply_error(out, sizeof(out), req.id, why));
		check_reply(out, sp_kctl_reply_ok(out, sizeof(out), req.id, "\"pending\": true"));
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}
