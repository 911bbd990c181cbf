/* test_curlev.c - libcurl multi on the libevent loop against an in-process
 * evhttp server on 127.0.0.1: parallel transfers each end once; a done
 * callback may add a transfer (its kick-off timer must survive) or remove
 * another; remove() and free() silence callbacks; detached transfers are
 * cleaned up by the curlev. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "core/clock.h"
#include "harness.h"
#include "loop_wait.h"
#include "net/curlev.h"

static struct event_base *base;
static struct sp_curlev *cev;
static uint16_t port;
static int served, done_calls, done_ok;
static CURL *victim;

static void srv_on_request(struct evhttp_request *req, void *arg)
{
	served++;
	const char *uri = evhttp_request_get_uri(req);
	if (strstr(uri, "/slow"))
		return; /* never answers */
	struct evbuffer *b = evbuffer_new();
	evbuffer_add_printf(b, "hello %s", uri);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static struct evhttp *setup(void)
{
	base = event_base_new();
	cev = sp_curlev_new(base);
	SP_CHECK(cev);
	SP_CHECK(sp_curlev_base(cev) == base);
	struct evhttp *http = evhttp_new(base);
	struct evhttp_bound_socket *h = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	SP_CHECK(h);
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
	evhttp_set_gencb(http, srv_on_request, NULL);
	served = done_calls = done_ok = 0;
	return http;
}

static size_t discard(char *p, size_t s, size_t n, void *arg)
{
	return n;
}

static CURL *easy(const char *path)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	return e;
}

static void on_done(void *ctx, CURL *e, CURLcode res)
{
	done_calls++;
	done_ok += res == CURLE_OK;
	curl_easy_cleanup(e);
}

static void run_until(const int *flag, int want, int ms)
{
	loop_until(base, flag, want, ms);
}

static bool no_transfer(void *arg)
{
	return sp_curlev_count(cev) == 0;
}

SP_TEST(parallel_transfers_end_once)
{
	struct evhttp *http = setup();
	for (int i = 0; i < 20; i++)
		SP_CHECK_INT(sp_curlev_add(cev, easy("/x"), on_done, NULL), 0);
	SP_CHECK_UINT(sp_curlev_count(cev), 20);
	run_until(&done_calls, 20, WAIT_MS);
	run_until(&done_calls, 21, 100);
	SP_CHECK_INT(done_calls, 20);
	SP_CHECK_INT(done_ok, 20);
	SP_CHECK_UINT(sp_curlev_count(cev), 0);
	sp_curlev_free(cev);
	evhttp_free(http);
	event_base_free(base);
}

static int chain_left;
static void on_done_chain(void *ctx, CURL *e, CURLcode res)
{
	on_done(ctx, e, res);
	if (chain_left-- > 0)
		sp_curlev_add(cev, easy("/next"), on_done_chain, NULL);
	if (victim) {
		sp_curlev_remove(cev, victim);
		curl_easy_cleanup(victim);
		victim = NULL;
	}
}

SP_TEST(done_callback_may_add_and_remove)
{
	struct evhttp *http = setup();
	chain_left = 5;
	victim = easy("/slow");
	sp_curlev_add(cev, victim, on_done, NULL);
	sp_curlev_add(cev, easy("/first"), on_done_chain, NULL);
	run_until(&done_calls, 6, WAIT_MS);
	SP_CHECK_INT(done_calls, 6);
	SP_CHECK_INT(done_ok, 6);
	SP_CHECK(victim == NULL);
	SP_CHECK_UINT(sp_curlev_count(cev), 0);
	sp_curlev_free(cev);
	evhttp_free(http);
	event_base_free(base);
}

SP_TEST(detached_and_freed_transfers_are_silent)
{
	struct evhttp *http = setup();
	CURL *d = easy("/detached");
	sp_curlev_add(cev, d, on_done, NULL);
	sp_curlev_detach(cev, d);
	run_until(&served, 1, WAIT_MS);
	SP_CHECK(loop_until_fn(base, no_transfer, NULL, WAIT_MS));
	SP_CHECK_INT(done_calls, 0);
	/* free with a transfer running: no callback, no leak (ASan) */
	sp_curlev_add(cev, easy("/slow"), on_done, NULL);
	run_until(&served, 2, WAIT_MS);
	sp_curlev_free(cev);
	SP_CHECK_INT(done_calls, 0);
	evhttp_free(http);
	event_base_free(base);
}

SP_TEST_MAIN()
