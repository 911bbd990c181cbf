/* test_subtext.c - subtitle text: ASS events to plain text, the normal
 * form of the subtitle oracle, SubRip times, languages, side files. */
#include "core/subtext.h"
#include "harness.h"

SP_TEST(ass_text_field)
{
	SP_CHECK_STR(sp_subtext_ass_text("0,0,Default,,0,0,0,,Hello, world"), "Hello, world");
	SP_CHECK_STR(sp_subtext_ass_text("12,1,Top,Bob,10,10,20,fx,{\\i1}a{\\i0}"),
		     "{\\i1}a{\\i0}");
	SP_CHECK_STR(sp_subtext_ass_text("no fields"), "no fields");
}

SP_TEST(ass_plain)
{
	char out[128];
	sp_subtext_ass_plain("{\\i1}Bonjour{\\i0}\\Nla mise en m\xc3\xa9moire", out, sizeof(out));
	SP_CHECK_STR(out, "Bonjour\nla mise en m\xc3\xa9moire");
	sp_subtext_ass_plain("a\\hb\\nc", out, sizeof(out));
	SP_CHECK_STR(out, "a b\nc");
	sp_subtext_ass_plain("\\{not a tag\\}", out, sizeof(out));
	SP_CHECK_STR(out, "{not a tag}");
	sp_subtext_ass_plain("open { brace", out, sizeof(out));
	SP_CHECK_STR(out, "open { brace");
	/* a cut never splits a UTF-8 sequence */
	SP_CHECK_INT((int)sp_subtext_ass_plain("ab\xc3\xa9", out, 4), 2);
	SP_CHECK_STR(out, "ab");
}

SP_TEST(normalize)
{
	char out[128];
	sp_subtext_normalize("<i>Hello</i>  <font color=\"#ff0000\">world</font>\r\n\n  next  ",
			     out, sizeof(out));
	SP_CHECK_STR(out, "Hello world\nnext");
	sp_subtext_normalize("{\\an8}Top\n", out, sizeof(out));
	SP_CHECK_STR(out, "Top");
	sp_subtext_normalize("2 < 3 > 1", out, sizeof(out));
	SP_CHECK_STR(out, "2 < 3 > 1");
	sp_subtext_normalize("Espace\\hdur\\Nsuite", out, sizeof(out));
	SP_CHECK_STR(out, "Espace dur\nsuite");
	sp_subtext_normalize("", out, sizeof(out));
	SP_CHECK_STR(out, "");
	/* both sides of the oracle reach the same form */
	char a[128], b[128], plain[128];
	sp_subtext_ass_plain("{\\b1}Caf\xc3\xa9{\\b0}\\N  deux", plain, sizeof(plain));
	sp_subtext_normalize(plain, a, sizeof(a));
	sp_subtext_normalize("<b>Caf\xc3\xa9</b>\n deux", b, sizeof(b));
	SP_CHECK_STR(a, b);
}

SP_TEST(srt_time)
{
	char t[32];
	sp_subtext_srt_time(3723456, t, sizeof(t));
	SP_CHECK_STR(t, "01:02:03,456");
	sp_subtext_srt_time(-5, t, sizeof(t));
	SP_CHECK_STR(t, "00:00:00,000");
}

SP_TEST(languages)
{
	SP_CHECK(sp_subtext_lang_match("fr", "fre"));
	SP_CHECK(sp_subtext_lang_match("fr", "fra"));
	SP_CHECK(sp_subtext_lang_match("FR", "fr-CA"));
	SP_CHECK(sp_subtext_lang_match("fre", "fr"));
	SP_CHECK(!sp_subtext_lang_match("fr", "eng"));
	SP_CHECK(!sp_subtext_lang_match("fr", ""));
	SP_CHECK(!sp_subtext_lang_match("fr", NULL));
	SP_CHECK_INT(sp_subtext_lang_rank("fr,en", "eng"), 1);
	SP_CHECK_INT(sp_subtext_lang_rank("fr,en", "fre"), 0);
	SP_CHECK_INT(sp_subtext_lang_rank("fr,en", "ger"), -1);
	SP_CHECK_INT(sp_subtext_lang_rank("", "ger"), -1);
	SP_CHECK_INT(sp_subtext_lang_rank("de,,en", "en"), 2);
}

SP_TEST(sidecar)
{
	char lang[16];
	SP_CHECK(sp_subtext_sidecar("Show/movie.mkv", "Show/movie.srt", lang, sizeof(lang)));
	SP_CHECK_STR(lang, "");
	SP_CHECK(sp_subtext_sidecar("Show/movie.mkv", "Show/movie.fr.ass", lang, sizeof(lang)));
	SP_CHECK_STR(lang, "fr");
	SP_CHECK(sp_subtext_sidecar("Show/movie.mkv", "Show/Subs/movie.en.vtt", lang, sizeof(lang)));
	SP_CHECK_STR(lang, "en");
	SP_CHECK(sp_subtext_sidecar("movie.mp4", "movie.SRT", lang, sizeof(lang)));
	SP_CHECK(!sp_subtext_sidecar("Show/movie.mkv", "Show/movie2.srt", lang, sizeof(lang)));
	SP_CHECK(!sp_subtext_sidecar("Show/movie.mkv", "Other/movie.srt", lang, sizeof(lang)));
	SP_CHECK(!sp_subtext_sidecar("Show/movie.mkv", "Show/movie.txt", lang, sizeof(lang)));
	SP_CHECK(!sp_subtext_sidecar("Show/movie.mkv", "Show/movie.mkv", lang, sizeof(lang)));
	SP_CHECK(!sp_subtext_sidecar("a/b.mkv", "a/b.x.y.z.long.srt", lang, sizeof(lang)));
}

SP_TEST(name_lang)
{
	char lang[16];
	SP_CHECK(sp_subtext_name_lang("dir/movie.fr.srt", lang, sizeof(lang)));
	SP_CHECK_STR(lang, "fr");
	SP_CHECK(sp_subtext_name_lang("movie.pt-BR.vtt", lang, sizeof(lang)));
	SP_CHECK_STR(lang, "pt-BR");
	SP_CHECK(!sp_subtext_name_lang("movie.srt", lang, sizeof(lang)));
	SP_CHECK_STR(lang, "");
	SP_CHECK(!sp_subtext_name_lang("movie.2024.srt", lang, sizeof(lang)));
	SP_CHECK(!sp_subtext_name_lang("a.d/movie.srt", lang, sizeof(lang)));
}

SP_TEST(charsets)
{
	SP_CHECK(sp_subtext_is_utf8((const uint8_t *)"caf\xc3\xa9", 5));
	SP_CHECK(sp_subtext_is_utf8((const uint8_t *)"", 0));
	SP_CHECK(!sp_subtext_is_utf8((const uint8_t *)"caf\xe9", 4));      /* Latin-1 */
	SP_CHECK(!sp_subtext_is_utf8((const uint8_t *)"\xc3", 1));         /* cut */
	SP_CHECK(!sp_subtext_is_utf8((const uint8_t *)"\xc0\xaf", 2));     /* overlong */
	SP_CHECK(!sp_subtext_is_utf8((const uint8_t *)"\xed\xa0\x80", 3)); /* surrogate */
	SP_CHECK(sp_subtext_is_utf8((const uint8_t *)"\xf0\x9f\x98\x80", 4));
	char out[64];
	sp_subtext_cp1252_to_utf8((const uint8_t *)"caf\xe9 \x80 \x93ok\x94", 11, out, sizeof(out));
	SP_CHECK_STR(out, "caf\xc3\xa9 \xe2\x82\xac \xe2\x80\x9cok\xe2\x80\x9d");
	SP_CHECK(sp_subtext_is_utf8((const uint8_t *)out, strlen(out)));
	SP_CHECK_INT((int)sp_subtext_cp1252_to_utf8((const uint8_t *)"\xe9\xe9", 2, out, 4), 2);
}

SP_TEST_MAIN()
