/* test_ctl_proto.c - the kiosk's control lines (src/app/kiosk_ctl_proto.c)
 * and their effect on the kiosk (kiosk_ctl_apply.c): every command and
 * its argument, ids repeated, malformed lines refused with a reason,
 * strings with escapes, replies as one JSON line. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "harness.h"
#include "app/kiosk.h"
#include "app/kiosk_ctl_proto.h"

static struct sp_kctl_req req;
static char why[256];

static int parse(const char *s)
{
	why[0] = 0;
	return sp_kctl_parse(s, strlen(s), &req, why, sizeof(why));
}

static void expect_bad(const char *s, const char *needle)
{
	if (parse(s) != -EINVAL)
		SP_FAIL("accepted: %s", s);
	if (!strstr(why, needle))
		SP_FAIL("%s: got \"%s\", want \"%s\"", s, why, needle);
}

SP_TEST(every_command)
{
	static const char *const lines[] = {
	    "{\"cmd\": \"status\"}",
	    "{\"cmd\":\"play\"}",
	    "{\"cmd\": \"pause\"}",
	    "{\"cmd\": \"next\"}",
	    "{\"cmd\": \"prev\"}",
	    "{\"cmd\": \"goto\", \"arg\": 2}",
	    "{\"cmd\": \"seek\", \"arg\": 12.5}",
	    "{\"cmd\": \"volume\", \"arg\": 40}",
	    "{\"cmd\": \"reload\"}",
	    "{\"cmd\": \"screenshot\", \"arg\": \"/tmp/a b.png\"}",
	};
	for (int i = 0; i < SP_KCTL_N; i++) {
		if (parse(lines[i]) != 0)
			SP_FAIL("%s refused: %s", lines[i], why);
		SP_CHECK_INT(req.cmd, i);
		SP_CHECK(strstr(lines[i], sp_kctl_cmd_name(req.cmd)));
	}
	SP_CHECK(parse(lines[5]) == 0 && req.index == 2);
	SP_CHECK(parse(lines[6]) == 0 && req.seconds == 12.5);
	SP_CHECK(parse(lines[7]) == 0 && req.volume == 40);
	SP_CHECK(parse(lines[9]) == 0 && !strcmp(req.file, "/tmp/a b.png"));
	SP_CHECK(sp_kctl_cmd_name(SP_KCTL_N) == NULL);
}

SP_TEST(ids_and_members)
{
	SP_CHECK_INT(parse(" {\"id\": 7, \"cmd\": \"next\", \"other\": [1]} "), -EINVAL);
	SP_CHECK(parse("\t{ \"id\" : 7 , \"cmd\" : \"next\" , \"x\" : null, \"y\": true }\r") == 0);
	SP_CHECK(!strcmp(req.id, "7"));
	SP_CHECK(parse("{\"cmd\": \"status\", \"id\": \"a\\\"b\"}") == 0);
	SP_CHECK(!strcmp(req.id, "\"a\\\"b\""));
	SP_CHECK(parse("{\"cmd\": \"status\", \"cmd\": \"next\"}") == 0 && req.cmd == SP_KCTL_NEXT);
	expect_bad("{\"cmd\": \"next\", \"id\": true}", "\"id\"");
	/* an id of the malformed line is repeated when it was read */
	SP_CHECK(parse("{\"id\": 9, \"cmd\": \"jump\"}") == -EINVAL && !strcmp(req.id, "9"));
}

SP_TEST(escapes)
{
	SP_CHECK(parse("{\"cmd\": \"screenshot\", \"arg\": \"/t\\u00e9\\/\\ud83d\\ude00\\n\"}") ==
		 0);
	SP_CHECK(!strcmp(req.file, "/t\xc3\xa9/\xf0\x9f\x98\x80\n"));
	expect_bad("{\"cmd\": \"screenshot\", \"arg\": \"/a\\u0000b\"}", "\\u");
	expect_bad("{\"cmd\": \"screenshot\", \"arg\": \"/a\\ud800\"}", "\\u");
	expect_bad("{\"cmd\": \"screenshot\", \"arg\": \"/a\\x\"}", "escape");
	expect_bad("{\"cmd\": \"sta\ttus\"}", "control character");
}

SP_TEST(malformed)
{
	expect_bad("", "not a JSON object");
	expect_bad("status", "not a JSON object");
	expect_bad("[\"status\"]", "not a JSON object");
	expect_bad("{\"cmd\": \"status\"", "no end");
	expect_bad("{\"cmd\": \"status\"} x", "after the object");
	expect_bad("{\"cmd\" \"status\"}", "':'");
	expect_bad("{\"cmd\": \"status\" \"id\": 1}", "','");
	expect_bad("{cmd: \"status\"}", "name");
	expect_bad("{\"cmd\": \"stat", "without its end");
	expect_bad("{}", "\"cmd\" is missing");
	expect_bad("{\"cmd\": 3}", "\"cmd\" is missing");
	expect_bad("{\"cmd\": \"jump\"}", "unknown command");
	expect_bad("{\"cmd\": \"goto\"}", "\"arg\" is missing");
	expect_bad("{\"cmd\": \"goto\", \"arg\": \"2\"}", "is a number");
	expect_bad("{\"cmd\": \"goto\", \"arg\": 1.5}", "index");
	expect_bad("{\"cmd\": \"goto\", \"arg\": -1}", "index");
	expect_bad("{\"cmd\": \"volume\", \"arg\": 101}", "0 to 100");
	expect_bad("{\"cmd\": \"seek\", \"arg\": -3}", "seconds");
	expect_bad("{\"cmd\": \"seek\", \"arg\": 1e999}", "bad number");
	expect_bad("{\"cmd\": \"seek\", \"arg\": 1-2}", "bad number");
	expect_bad("{\"cmd\": \"screenshot\", \"arg\": \"rel.png\"}", "absolute");
	expect_bad("{\"cmd\": \"next\", \"x\": {\"a\": 1}}", "nested");
	expect_bad("{\"cmd\": \"next\", \"x\": tru}", "not JSON");
	SP_CHECK_INT(sp_kctl_parse("{\"cmd\": \"next\"}\0", 16, &req, why, sizeof(why)), -EINVAL);
	SP_CHECK(strstr(why, "NUL"));
	static char big[SP_KCTL_LINE_MAX + 64];
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, "{\"cmd\": \"next\"}", 15);
	expect_bad(big, "too long");
	static char longstr[SP_KCTL_PATH_MAX + 64] = "{\"cmd\": \"screenshot\", \"arg\": \"/";
	size_t l = strlen(longstr);
	memset(longstr + l, 'a', SP_KCTL_PATH_MAX);
	strcpy(longstr + l + SP_KCTL_PATH_MAX, "\"}");
	expect_bad(longstr, "too long");
}

SP_TEST(replies)
{
	char out[256];
	SP_CHECK(sp_kctl_reply_ok(out, sizeof(out), "3", NULL) > 0);
	SP_CHECK(!strcmp(out, "{\"ok\": true, \"id\": 3}\n"));
	SP_CHECK(sp_kctl_reply_ok(out, sizeof(out), "", "\"pending\": true") > 0);
	SP_CHECK(!strcmp(out, "{\"ok\": true, \"pending\": true}\n"));
	SP_CHECK(sp_kctl_reply_error(out, sizeof(out), NULL, "a \"b\"\n\x01") > 0);
	SP_CHECK(!strcmp(out, "{\"ok\": false, \"error\": \"a \\\"b\\\"\\u000a\\u0001\"}\n"));
	SP_CHECK_INT(sp_kctl_reply_ok(out, 10, "3", NULL), -ENOSPC);
	SP_CHECK_INT(sp_kctl_json_string(out, 3, "abc"), -ENOSPC);
}

static struct kiosk k;
static struct kiosk_item items[3];

static void kiosk_init(void)
{
	pthread_mutex_init(&k.mu, NULL);
	pthread_cond_init(&k.cond, NULL);
	k.items = items;
	k.n = 3;
	k.cur = 0;
	k.go_to = -1;
	k.volume = -1;
}

static int apply(const char *line)
{
	if (parse(line) != 0)
		SP_FAIL("%s refused: %s", line, why);
	return sp_kiosk_ctl_apply(&k, &req, why, sizeof(why));
}

SP_TEST(applied_to_the_kiosk)
{
	kiosk_init();
	SP_CHECK_INT(apply("{\"cmd\": \"next\"}"), 0);
	SP_CHECK(k.step == 1 && k.stop_play == 1);
	k.stop_play = 0;
	SP_CHECK_INT(apply("{\"cmd\": \"prev\"}"), 0);
	SP_CHECK(k.step == -1 && k.stop_play == 1);
	SP_CHECK_INT(apply("{\"cmd\": \"goto\", \"arg\": 2}"), 0);
	SP_CHECK_INT(k.go_to, 2);
	SP_CHECK_INT(apply("{\"cmd\": \"goto\", \"arg\": 3}"), -EINVAL);
	SP_CHECK(strstr(why, "no item 3"));
	SP_CHECK_INT(k.go_to, 2);
	SP_CHECK_INT(apply("{\"cmd\": \"reload\"}"), 0);
	SP_CHECK(k.reload);
	struct kiosk_player_req q;
	SP_CHECK(!sp_kiosk_take_player_req(&k, &q));
	SP_CHECK_INT(apply("{\"cmd\": \"pause\"}"), 1);
	SP_CHECK(k.paused);
	SP_CHECK_INT(apply("{\"cmd\": \"seek\", \"arg\": 4.5}"), 1);
	SP_CHECK_INT(apply("{\"cmd\": \"volume\", \"arg\": 30}"), 1);
	SP_CHECK_INT(apply("{\"cmd\": \"screenshot\", \"arg\": \"/x.png\"}"), 1);
	SP_CHECK(sp_kiosk_take_player_req(&k, &q));
	SP_CHECK(q.pause_set && q.paused && q.seek_set && q.seek_s == 4.5 && q.volume_set &&
		 q.volume == 30 && !strcmp(q.shot, "/x.png"));
	SP_CHECK_INT(k.volume, 30);
	SP_CHECK(!sp_kiosk_take_player_req(&k, &q)); /* taken */
	SP_CHECK_INT(apply("{\"cmd\": \"play\"}"), 1);
	SP_CHECK(!k.paused);
	SP_CHECK_INT(apply("{\"cmd\": \"status\"}"), -EINVAL);
}

SP_TEST_MAIN()
