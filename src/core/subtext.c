/* subtext.c - subtitle text conversions (subtext.h). Pure: strings in,
 * strings out. Markup is dropped, never interpreted: the comparison is of
 * what a viewer reads. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/subtext.h"

struct out {
	char *p;
	size_t n, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->p[o->len++] = c;
}

static size_t finish(struct out *o)
{
	if (!o->n)
		return 0;
	/* a cut in the middle of a UTF-8 sequence loses the sequence */
	size_t l = o->len;
	if (l + 1 >= o->n) {
		size_t i = l;
		while (i > 0 && ((unsigned char)o->p[i - 1] & 0xC0) == 0x80)
			i--;
		if (i > 0 && ((unsigned char)o->p[i - 1] & 0xC0) == 0xC0)
			l = i - 1;
	}
	o->p[l] = 0;
	return o->len = l;
}

const char *sp_subtext_ass_text(const char *event)
{
	const char *p = event;
	for (int i = 0; i < 8; i++) {
		p = strchr(p, ',');
		if (!p)
			return event;
		p++;
	}
	return p;
}

size_t sp_subtext_ass_plain(const char *text, char *out, size_t n)
{
	struct out o = {out, n, 0};
	for (const char *s = text; *s; s++) {
		if (*s == '{') {
			const char *end = strchr(s, '}');
			if (end) {
				s = end;
				continue;
			}
		}
		if (s[0] == '\\' && (s[1] == 'N' || s[1] == 'n')) {
			put(&o, '\n');
			s++;
		} else if (s[0] == '\\' && s[1] == 'h') {
			put(&o, ' ');
			s++;
		} else if (s[0] == '\\' && (s[1] == '{' || s[1] == '}')) {
			put(&o, s[1]); /* an escaped brace is shown, as libass does */
			s++;
		} else if (*s != '\r') {
			put(&o, *s);
		}
	}
	return finish(&o);
}

/* A markup tag of SubRip (<i>, </font>, <font color="...">) at s: its
 * length, or 0. */
static size_t html_tag(const char *s)
{
	if (*s != '<')
		return 0;
	const char *t = s + 1 + (s[1] == '/');
	size_t name = 0;
	while (isalpha((unsigned char)t[name]))
		name++;
	if (!name || (t[name] != '>' && t[name] != ' '))
		return 0;
	const char *end = strchr(t, '>');
	return end ? (size_t)(end - s) + 1 : 0;
}

size_t sp_subtext_normalize(const char *in, char *out, size_t n)
{
	struct out o = {out, n, 0};
	bool blank = false, line_has = false;
	for (const char *s = in; *s; s++) {
		size_t tag = html_tag(s);
		if (tag) {
			s += tag - 1;
			continue;
		}
		if (*s == '{' && s[1] == '\\' && strchr(s, '}')) {
			s = strchr(s, '}');
			continue;
		}
		/* ASS's hard space and line breaks, left as written by ffmpeg's
		 * SubRip encoder, are what libass shows */
		char c = *s;
		if (c == '\\' && (s[1] == 'h' || s[1] == 'N' || s[1] == 'n'))
			c = *++s == 'h' ? ' ' : '\n';
		if (c == '\n') {
			if (line_has)
				put(&o, '\n');
			blank = line_has = false;
			continue;
		}
		if (isspace((unsigned char)c)) {
			blank = line_has;
			continue;
		}
		if (blank)
			put(&o, ' ');
		blank = false;
		line_has = true;
		put(&o, c);
	}
	while (o.len > 0 && o.p[o.len - 1] == '\n')
		o.len--;
	return finish(&o);
}

void sp_subtext_srt_time(int64_t ms, char *out, size_t n)
{
	if (ms < 0)
		ms = 0;
	snprintf(out, n, "%02lld:%02lld:%02lld,%03lld", (long long)(ms / 3600000),
		 (long long)(ms / 60000 % 60), (long long)(ms / 1000 % 60), (long long)(ms % 1000));
}

/* ISO 639-1 codes and their -2 forms (bibliographic and terminology). */
static const char *const langs[][3] = {
	{"fr", "fre", "fra"}, {"en", "eng", "eng"}, {"de", "ger", "deu"}, {"es", "spa", "spa"},
	{"it", "ita", "ita"}, {"pt", "por", "por"}, {"nl", "dut", "nld"}, {"ja", "jpn", "jpn"},
	{"zh", "chi", "zho"}, {"ru", "rus", "rus"}, {"ar", "ara", "ara"}, {"pl", "pol", "pol"},
	{"sv", "swe", "swe"}, {"ko", "kor", "kor"}, {"cs", "cze", "ces"}, {"el", "gre", "ell"},
	{"fi", "fin", "fin"}, {"da", "dan", "dan"}, {"no", "nor", "nor"}, {"tr", "tur", "tur"},
};

/* The primary subtag, lower case: "fr-FR" → "fr". */
static void primary(const char *s, char *out, size_t n)
{
	size_t i = 0;
	for (; s[i] && s[i] != '-' && s[i] != '_' && s[i] != ',' && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = 0;
}

static int lang_row(const char *code)
{
	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		for (int j = 0; j < 3; j++)
			if (!strcmp(code, langs[i][j]))
				return (int)i;
	return -1;
}

bool sp_subtext_lang_match(const char *want, const char *have)
{
	if (!want || !have)
		return false;
	char a[16], b[16];
	primary(want, a, sizeof(a));
	primary(have, b, sizeof(b));
	if (!a[0] || !b[0])
		return false;
	if (!strcmp(a, b))
		return true;
	int ra = lang_row(a);
	return ra >= 0 && ra == lang_row(b);
}

int sp_subtext_lang_rank(const char *list, const char *have)
{
	if (!list || !have)
		return -1;
	int rank = 0;
	for (const char *p = list; *p; rank++) {
		if (*p != ',' && sp_subtext_lang_match(p, have))
			return rank;
		const char *c = strchr(p, ',');
		if (!c)
			break;
		p = c + 1;
	}
	return -1;
}

static bool sub_ext(const char *e)
{
	return !strcasecmp(e, "srt") || !strcasecmp(e, "ass") || !strcasecmp(e, "ssa") ||
	       !strcasecmp(e, "vtt");
}

bool sp_subtext_sidecar(const char *video, const char *sub, char *lang, size_t n)
{
	if (n)
		lang[0] = 0;
	const char *vslash = strrchr(video, '/');
	size_t vdir = vslash ? (size_t)(vslash - video) + 1 : 0; /* with its '/' */
	const char *vbase = video + vdir;
	const char *vdot = strrchr(vbase, '.');
	size_t vlen = vdot ? (size_t)(vdot - vbase) : strlen(vbase);
	const char *sslash = strrchr(sub, '/');
	size_t sdir = sslash ? (size_t)(sslash - sub) + 1 : 0;
	const char *sbase = sub + sdir;
	/* the same folder, or <folder>/Subs/ */
	bool same = sdir == vdir && !strncmp(sub, video, vdir);
	bool subs = sdir == vdir + 5 && !strncmp(sub, video, vdir) &&
		    !strncasecmp(sub + vdir, "subs/", 5);
	if (!same && !subs)
		return false;
	const char *sdot = strrchr(sbase, '.');
	if (!sdot || !sub_ext(sdot + 1))
		return false;
	if (strncmp(sbase, vbase, vlen) != 0 || sbase + vlen > sdot)
		return false;
	const char *rest = sbase + vlen; /* "" or ".fr" before the extension */
	if (rest == sdot)
		return true;
	if (*rest != '.' || sdot - rest - 1 > 8 || sdot - rest - 1 < 2)
		return false;
	snprintf(lang, n, "%.*s", (int)(sdot - rest - 1), rest + 1);
	return true;
}

bool sp_subtext_name_lang(const char *name, char *lang, size_t n)
{
	if (n)
		lang[0] = 0;
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	const char *ext = strrchr(base, '.');
	if (!ext || ext == base)
		return false;
	const char *dot = ext - 1;
	while (dot > base && *dot != '.')
		dot--;
	if (*dot != '.')
		return false;
	size_t len = (size_t)(ext - dot - 1);
	if (len < 2 || len > 8 || !isalpha((unsigned char)dot[1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalpha((unsigned char)dot[1 + i]) && dot[1 + i] != '-')
			return false;
	snprintf(lang, n, "%.*s", (int)len, dot + 1);
	return true;
}

bool sp_subtext_is_utf8(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint8_t c = s[i];
		size_t k = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
				      : (c & 0xF8) == 0xF0 ? 3 : 9;
		if (k == 9 || i + k >= len + (k == 0))
			return false;
		uint32_t cp = k == 0 ? c : c & (0x3F >> k);
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
		if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k + 1;
	}
	return true;
}

/* 0x80..0x9F of Windows-1252; 0 where it has no character. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
	0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

size_t sp_subtext_cp1252_to_utf8(const uint8_t *in, size_t len, char *out, size_t n)
{
	struct out o = {out, n, 0};
	for (size_t i = 0; i < len && in[i]; i++) {
		uint32_t cp = in[i];
		if (cp >= 0x80 && cp < 0xA0)
			cp = cp1252_high[cp - 0x80] ? cp1252_high[cp - 0x80] : 0xFFFD;
		if (cp < 0x80) {
			put(&o, (char)cp);
		} else if (cp < 0x800) {
			put(&o, (char)(0xC0 | cp >> 6));
			put(&o, (char)(0x80 | (cp & 0x3F)));
		} else {
			put(&o, (char)(0xE0 | cp >> 12));
			put(&o, (char)(0x80 | ((cp >> 6) & 0x3F)));
			put(&o, (char)(0x80 | (cp & 0x3F)));
		}
	}
	return finish(&o);
}
