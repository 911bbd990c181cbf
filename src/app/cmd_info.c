/* cmd_info.c - swarmplay info SRC [--json]: what a .tstream, .torrent or
 * magnet link holds, for people (translated labels) or for scripts (one
 * JSON object, keys never translated, every string escaped to valid
 * JSON even when the torrent's bytes are not valid UTF-8).
 * Exit codes from cmd.h: 3 for a malformed or unsafe file, 4 for a
 * v2-only torrent, 1 when the file cannot be read. Main thread. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app/cmd.h"
#include "app/i18n.h"
#include "app/url_fetch.h"
#include "swarmplay/swarmplay.h"

static const char *source_key(enum sp_bitrate_source s)
{
	switch (s) {
	case SP_BITRATE_INFO_PLAYTIME: return "info.playtime";
	case SP_BITRATE_TOP_PLAYTIME: return "playtime";
	case SP_BITRATE_SPEED_BPS: return "azureus_properties.Content.Speed Bps";
	default: return NULL;
	}
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	unsigned cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else {
			size_t l = utf8_seq(p + i, n - i);
			if (!l) {
				fputs("\\ufffd", f); /* not UTF-8: JSON must stay valid */
				i++;
				continue;
			}
			fwrite(p + i, 1, l, f);
			i += l;
			continue;
		}
		i++;
	}
	fputc('"', f);
}

/* The strings item(mi, 0), item(mi, 1)... up to the first NULL. */
static void json_list(FILE *f, const struct sp_metainfo *mi,
		      const char *(*item)(const struct sp_metainfo *, int))
{
	const char *v;
	fputc('[', f);
	for (int i = 0; (v = item(mi, i)); i++) {
		if (i)
			fputc(',', f);
		json_str(f, v);
	}
	fputc(']', f);
}

static void json_files(FILE *f, const struct sp_metainfo *mi)
{
	fputs("\"files\":[", f);
	for (int i = 0; i < sp_metainfo_num_files(mi); i++) {
		fputs(i ? ",{\"path\":" : "{\"path\":", f);
		json_str(f, sp_metainfo_file_path(mi, i));
		fprintf(f, ",\"length\":%llu,\"offset\":%llu,\"pad\":%s,\"playtime\":%.3f}",
			(unsigned long long)sp_metainfo_file_length(mi, i),
			(unsigned long long)sp_metainfo_file_offset(mi, i),
			sp_metainfo_file_is_pad(mi, i) ? "true" : "false",
			sp_metainfo_file_playtime(mi, i));
	}
	fputs("],\"trackers\":[", f);
	for (int t = 0; t < sp_metainfo_num_tiers(mi); t++) {
		const char *url;
		fputs(t ? ",[" : "[", f);
		for (int u = 0; (url = sp_metainfo_tracker(mi, t, u)); u++) {
			if (u)
				fputc(',', f);
			json_str(f, url);
		}
		fputc(']', f);
	}
	fputs("],\"web_seeds\":", f);
	json_list(f, mi, sp_metainfo_web_seed);
	fputs(",\"http_seeds\":", f);
	json_list(f, mi, sp_metainfo_http_seed);
	fputs(",\"initial_peers\":[", f);
	const char *host;
	uint16_t port;
	for (int i = 0; (host = sp_metainfo_peer(mi, i, &port)); i++) {
		fputs(i ? ",{\"host\":" : "{\"host\":", f);
		json_str(f, host);
		fprintf(f, ",\"port\":%u}", port);
	}
	fputc(']', f);
}

static void print_json(FILE *f, const struct sp_metainfo *mi)
{
	int main_idx = sp_metainfo_main_file(mi);
	enum sp_bitrate_source src;
	double rate = sp_metainfo_bitrate(mi, main_idx, &src);
	size_t thumb_len;
	sp_metainfo_thumbnail(mi, &thumb_len);
	fputs("{\"name\":", f);
	json_str(f, sp_metainfo_name(mi));
	fprintf(f, ",\"info_hash\":\"%s\",\"magnet\":%s,\"multi_file\":%s,\"total_length\":%llu,"
		   "\"piece_length\":%u,\"num_pieces\":%u,\"private\":%s,\"hybrid_v2\":%s,",
		sp_metainfo_info_hash(mi), sp_metainfo_is_magnet(mi) ? "true" : "false",
		sp_metainfo_is_multi_file(mi) ? "true" : "false",
		(unsigned long long)sp_metainfo_total_length(mi), sp_metainfo_piece_length(mi),
		sp_metainfo_num_pieces(mi), sp_metainfo_is_private(mi) ? "true" : "false",
		sp_metainfo_is_hybrid_v2(mi) ? "true" : "false");
	json_files(f, mi);
	fprintf(f, ",\"main_file\":%d,\"main_file_path\":", main_idx);
	json_str(f, sp_metainfo_file_path(mi, main_idx));
	fprintf(f, ",\"bitrate\":%.3f,\"bitrate_source\":", rate);
	json_str(f, source_key(src));
	fprintf(f, ",\"info_playtime\":%.3f,\"top_playtime\":%.3f,\"speed_bps\":%lld,\"title\":",
		sp_metainfo_playtime(mi, false), sp_metainfo_playtime(mi, true),
		(long long)sp_metainfo_speed_bps(mi));
	json_str(f, sp_metainfo_text(mi, SP_METAINFO_TITLE));
	fputs(",\"description\":", f);
	json_str(f, sp_metainfo_text(mi, SP_METAINFO_DESCRIPTION));
	fputs(",\"publisher\":", f);
	json_str(f, sp_metainfo_text(mi, SP_METAINFO_PUBLISHER));
	fprintf(f, ",\"thumbnail_bytes\":%zu,\"live\":%s,\"comment\":", thumb_len,
		sp_metainfo_is_live(mi) ? "true" : "false");
	json_str(f, sp_metainfo_text(mi, SP_METAINFO_COMMENT));
	fputs(",\"created_by\":", f);
	json_str(f, sp_metainfo_text(mi, SP_METAINFO_CREATED_BY));
	fprintf(f, ",\"creation_date\":%lld}\n", (long long)sp_metainfo_creation_date(mi));
}

static void human_size(char *out, size_t n, uint64_t v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double d = (double)v;
	int u = 0;
	while (d >= 1024 && u < 4)
		d /= 1024, u++;
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", d, units[u]);
}

static void human_time(char *out, size_t n, double secs)
{
	long s = (long)secs;
	if (s >= 3600)
		snprintf(out, n, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, n, "%ld:%02ld", s / 60, s % 60);
}

static void print_files(const struct sp_metainfo *mi, int main_idx)
{
	char sz[32], pt[32];
	int n = sp_metainfo_num_files(mi);
	printf(_("Files (%zu):\n"), (size_t)n);
	for (int i = 0; i < n; i++) {
		double playtime = sp_metainfo_file_playtime(mi, i);
		human_size(sz, sizeof(sz), (uint64_t)sp_metainfo_file_length(mi, i));
		printf("  %c %10s  %s", i == main_idx ? '*' : ' ', sz, sp_metainfo_file_path(mi, i));
		if (sp_metainfo_file_is_pad(mi, i))
			printf(" %s", _("(padding)"));
		if (playtime > 0) {
			human_time(pt, sizeof(pt), playtime);
			printf(_(" (playtime %s)"), pt);
		}
		putchar('\n');
	}
}

static void print_lists(const struct sp_metainfo *mi)
{
	const char *v;
	uint16_t port;
	printf(_("Trackers:\n"));
	if (!sp_metainfo_num_tiers(mi))
		printf("  %s\n", _("(none)"));
	for (int t = 0; t < sp_metainfo_num_tiers(mi); t++)
		for (int u = 0; (v = sp_metainfo_tracker(mi, t, u)); u++)
			printf(_("  tier %zu: %s\n"), (size_t)t + 1, v);
	printf(_("Web seeds:\n"));
	if (!sp_metainfo_web_seed(mi, 0) && !sp_metainfo_http_seed(mi, 0))
		printf("  %s\n", _("(none)"));
	for (int i = 0; (v = sp_metainfo_web_seed(mi, i)); i++)
		printf("  %s\n", v);
	for (int i = 0; (v = sp_metainfo_http_seed(mi, i)); i++)
		printf("  %s (BEP 17)\n", v);
	for (int i = 0; (v = sp_metainfo_peer(mi, i, &port)); i++)
		printf(_("Initial peer: %s port %u\n"), v, port);
}

static void print_stream(const struct sp_metainfo *mi, int main_idx)
{
	enum sp_bitrate_source src;
	double rate = sp_metainfo_bitrate(mi, main_idx, &src);
	char buf[32];
	double info_pt = sp_metainfo_playtime(mi, false);
	double file_pt = sp_metainfo_file_playtime(mi, main_idx), pt = file_pt;
	if (pt <= 0)
		pt = info_pt > 0 ? info_pt : sp_metainfo_playtime(mi, true);
	if (pt > 0) {
		human_time(buf, sizeof(buf), pt);
		printf(_("Playtime:   %s (%.3f s, from %s)\n"), buf, pt,
		       file_pt > 0 || info_pt > 0 ? "info.playtime" : "playtime");
	} else {
		printf(_("Playtime:   unknown\n"));
	}
	if (rate > 0)
		printf(_("Bitrate:    %.0f bytes/s (%.0f kbit/s, from %s)\n"), rate,
		       rate * 8 / 1000, source_key(src));
	else
		printf(_("Bitrate:    unknown (estimated from the container when playing)\n"));
	const char *title = sp_metainfo_text(mi, SP_METAINFO_TITLE);
	const char *auth = sp_metainfo_text(mi, SP_METAINFO_LIVE_AUTHMETHOD);
	size_t thumb_len;
	sp_metainfo_thumbnail(mi, &thumb_len);
	if (title)
		printf(_("Title:      %s\n"), title);
	if (thumb_len)
		printf(_("Thumbnail:  %zu bytes\n"), thumb_len);
	if (sp_metainfo_is_live(mi))
		printf(_("Live:       yes (auth %s)\n"), auth ? auth : "None");
	printf(_("Play file:  %s\n"),
	       main_idx >= 0 ? sp_metainfo_file_path(mi, main_idx) : _("(none)"));
}

static void print_human(const struct sp_metainfo *mi)
{
	int main_idx = sp_metainfo_main_file(mi);
	char sz[32], psz[32];
	const char *comment = sp_metainfo_text(mi, SP_METAINFO_COMMENT);
	const char *created_by = sp_metainfo_text(mi, SP_METAINFO_CREATED_BY);
	printf(_("Name:       %s\n"), sp_metainfo_name(mi));
	printf(_("Info-hash:  %s\n"), sp_metainfo_info_hash(mi));
	if (sp_metainfo_is_magnet(mi)) {
		printf(_("Magnet link: files and pieces arrive with the metadata\n"));
	} else {
		uint64_t total = sp_metainfo_total_length(mi);
		human_size(sz, sizeof(sz), total);
		human_size(psz, sizeof(psz), sp_metainfo_piece_length(mi));
		printf(_("Size:       %s (%llu bytes)\n"), sz, (unsigned long long)total);
		printf(_("Pieces:     %u x %s\n"), sp_metainfo_num_pieces(mi), psz);
		printf(_("Private:    %s\n"), sp_metainfo_is_private(mi) ? _("yes") : _("no"));
		if (sp_metainfo_is_hybrid_v2(mi))
			printf(_("BitTorrent v2 hybrid: read through its v1 part\n"));
		if (comment)
			printf(_("Comment:    %s\n"), comment);
		if (created_by)
			printf(_("Created by: %s\n"), created_by);
		print_files(mi, main_idx);
	}
	print_lists(mi);
	if (!sp_metainfo_is_magnet(mi))
		print_stream(mi, main_idx);
}

static void usage(FILE *f)
{
	fprintf(f, _("Usage: swarmplay info SOURCE [--json]\n"
		     "Show what a .tstream, .torrent or magnet link holds (a file,\n"
		     "an http(s):// or a file:// URL).\n"
		     "  --json   print one JSON object\n"));
}

int sp_cmd_info(int argc, char **argv)
{
	const char *src = NULL;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return SP_EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, _("swarmplay info: unknown option '%s'\n"), argv[i]);
			usage(stderr);
			return SP_EXIT_USAGE;
		} else if (!src) {
			src = argv[i];
		} else {
			usage(stderr);
			return SP_EXIT_USAGE;
		}
	}
	if (!src) {
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	struct sp_error *err = NULL;
	struct sp_url_source url; /* an http(s) URL fetched, a file: URI's path */
	struct sp_metainfo *mi = NULL;
	if (sp_url_source_open(&url, &src, &err) == 0)
		mi = sp_metainfo_load(src, &err);
	sp_url_source_close(&url);
	if (!mi) {
		int code = err ? sp_error_code(err) : -EBADMSG;
		fprintf(stderr, _("swarmplay info: %s\n"), sp_error_msg(err));
		sp_error_free(err);
		if (code == -ENOTSUP)
			return SP_EXIT_UNSUPPORTED;
		if (code == -ENOENT || code == -EACCES || code == -EIO || code == -ENOMEM)
			return SP_EXIT_FAILURE;
		return SP_EXIT_BADINPUT;
	}
	if (json)
		print_json(stdout, mi);
	else
		print_human(mi);
	sp_metainfo_free(mi);
	return fflush(stdout) == 0 ? SP_EXIT_OK : SP_EXIT_FAILURE;
}
