/* subtext.h - subtitle text, pure: FFmpeg's ASS events to plain text,
 * the normal form two renderings of a subtitle are compared in, SubRip
 * times, subtitle languages and the subtitle files that go with a video.
 * No FFmpeg, no libass; any thread. Outputs are NUL-terminated and cut
 * at n bytes (never inside a UTF-8 sequence). */
#ifndef SP_CORE_SUBTEXT_H
#define SP_CORE_SUBTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The Text field of an event as FFmpeg's decoders give it
 * ("ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text"),
 * or the whole string when it has fewer fields. Borrows event. */
const char *sp_subtext_ass_text(const char *event);
/* The text shown: override blocks ({\i1}) go, \N and \n break the line,
 * \h is a space, \{ and \} are braces. Returns the length written. */
size_t sp_subtext_ass_plain(const char *text, char *out, size_t n);
/* The normal form: markup (<i>, <font ...>, {\...}) removed, \h a
 * space, \N and \n line breaks (as libass shows them), runs of
 * blanks one space, each line trimmed, empty lines dropped, lines joined
 * by \n. Returns the length written. */
size_t sp_subtext_normalize(const char *in, char *out, size_t n);
/* "HH:MM:SS,mmm" (negative times are 0). */
void sp_subtext_srt_time(int64_t ms, char *out, size_t n);

/* Whether a stream's language tag (ISO 639-1 or -2, "fr", "fre", "fra",
 * "fr-FR") is the language want names (in either form). */
bool sp_subtext_lang_match(const char *want, const char *have);
/* The rank of have in a comma list ("fr,en"): 0 for the first, -1 when
 * no entry matches. */
int sp_subtext_lang_rank(const char *list, const char *have);
/* Whether sub (a path in the torrent) is a subtitle file for video: the
 * same base name and folder, or a Subs/ folder beside it, with .srt, .ass,
 * .ssa or .vtt, and an optional language between ("movie.fr.srt"), which
 * goes to lang (empty when none). */
bool sp_subtext_sidecar(const char *video, const char *sub, char *lang, size_t n);
/* The language a subtitle file's name gives ("movie.fr.srt": "fr",
 * "movie.pt-BR.vtt": "pt-BR"); false (lang empty) when none. */
bool sp_subtext_name_lang(const char *name, char *lang, size_t n);

/* Whether len bytes are valid UTF-8 (no overlong forms, no surrogates). */
bool sp_subtext_is_utf8(const uint8_t *s, size_t len);
/* Windows-1252 (legacy .srt files, as mpv guesses when the bytes are not
 * UTF-8) to UTF-8. Returns the length written (out NUL-terminated). */
size_t sp_subtext_cp1252_to_utf8(const uint8_t *in, size_t len, char *out, size_t n);

#endif
