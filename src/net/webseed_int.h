/* webseed_int.h - private to webseed.c (blocks, dispatch, back-off) and
 * webseed_http.c (one Range transfer). Net thread only. */
#ifndef SP_WEBSEED_INT_H
#define SP_WEBSEED_INT_H

#include <curl/curl.h>
#include <event2/event.h>

#include "net/webseed.h"

/* A single request larger than this is refused (the picker asks 16 KiB). */
#define SP_WEBSEED_MAX_BLOCK (1u << 20)

struct wblock {
	struct wblock *next;
	uint32_t piece, offset, len;
	uint64_t start;    /* torrent byte offset */
	uint64_t assigned; /* bytes before this have a transfer (or were zero-filled) */
	uint32_t got;      /* bytes received */
	uint8_t *data;
	int refs;          /* transfers writing into it */
	bool dead;         /* delivered, rejected or cancelled */
	bool cancelled;
};

struct wxfer {
	struct wxfer *next;
	struct sp_webseed *ws;
	CURL *easy;
	size_t file;
	uint64_t start, end; /* torrent range asked for */
	uint64_t pos;        /* next torrent byte expected */
	struct wblock **blk; /* the blocks covering [start, end), in order */
	size_t nblk, cur;
	bool checked;        /* status and Content-Range looked at */
	bool file_fault;     /* the failure is this file's, not the server's */
	char content_range[96];
	char fail[256];      /* why we stopped it, if we did */
	uint32_t retry_ms;   /* BEP 17: a 503's "come back in N s" */
	char errbuf[CURL_ERROR_SIZE];
};

struct sp_webseed {
	struct sp_curlev *curl;
	const struct sp_metainfo *mi;
	struct sp_webseed_callbacks cb;
	struct sp_webseed_config cfg;
	char *url;
	bool httpseed;       /* BEP 17 rather than BEP 19 */
	char **file_urls;   /* built on first use */
	int64_t *file_until_us; /* per file: missing on the server until then */
	struct wblock *blocks, *tail;
	size_t live;         /* blocks not dead */
	struct wxfer *xfers;
	unsigned nxfers;
	struct event *kick;  /* deferred dispatch */
	struct event *retry; /* end of back-off */
	unsigned failures;   /* in a row */
	int64_t backoff_until_us;
	double rate;
	int64_t rate_at_us;
};

/* webseed.c */
void sp_webseed_deliver(struct sp_webseed *ws, struct wblock *b);
/* retry_ms 0: the exponential back-off. */
void sp_webseed_fail(struct sp_webseed *ws, const char *why, uint32_t retry_ms);
void sp_webseed_fail_file(struct sp_webseed *ws, size_t file, const char *why);
/* Unlink x, drop its block references, abort and clean its easy. */
void sp_webseed_xfer_release(struct sp_webseed *ws, struct wxfer *x);
/* A transfer ended well: reset the failure count, dispatch more. */
void sp_webseed_xfer_done(struct sp_webseed *ws);
void sp_webseed_rate_add(struct sp_webseed *ws, size_t n);

/* webseed_http.c */
int sp_webseed_xfer_start(struct sp_webseed *ws, struct wxfer *x);

#endif
