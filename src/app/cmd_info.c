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
#include "core/metainfo.h"

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

static void json_strv(FILE *f, char *const *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		json_str(f, v[i]);
	}
	fputc(']', f);
}

static void json_files(FILE *f, const struct sp_metainfo *mi)
{
	fputs("\"files\":[", f);
	for (size_t i = 0; i < mi->num_files; i++) {
		const struct sp_mi_file *fl = &mi->files[i];
		fputs(i ? ",{\"path\":" : "{\"path\":", f);
		json_str(f, fl->path);
		fprintf(f, ",\"length\":%llu,\"offset\":%llu,\"pad\":%s,\"playtime\":%.3f}",
			(unsigned long long)fl->length, (unsigned long long)fl->offset,
			fl->is_pad ? "true" : "false", fl->playtime);
	}
	fputs("],\"trackers\":[", f);
	for (size_t t = 0; t < mi->num_tiers; t++) {
		size_t n = 0;
		while (mi->tiers[t][n])
			n++;
		if (t)
			fputc(',', f);
		json_strv(f, mi->tiers[t], n);
	}
	fputs("],\"web_seeds\":", f);
	json_strv(f, mi->web_seeds, mi->num_web_seeds);
	fputs(",\"http_seeds\":", f);
	json_strv(f, mi->http_seeds, mi->num_http_seeds);
	fputs(",\"initial_peers\":[", f);
	for (size_t i = 0; i < mi->num_initial_peers; i++) {
		fputs(i ? ",{\"host\":" : "{\"host\":", f);
		json_str(f, mi->initial_peers[i].host);
		fprintf(f, ",\"port\":%u}", mi->initial_peers[i].port);
	}
	fputc(']', f);
}

static void print_json(FILE *f, const struct sp_metainfo *mi)
{
	int main_idx = sp_metainfo_main_file(mi);
	enum sp_bitrate_source src;
	double rate = sp_metainfo_bitrate(mi, main_idx, &src);
	fputs("{\"name\":", f);
	json_str(f, mi->name);
	fprintf(f, ",\"info_hash\":\"%s\",\"magnet\":%s,\"multi_file\":%s,\"total_length\":%llu,"
		   "\"piece_length\":%u,\"num_pieces\":%u,\"private\":%s,\"hybrid_v2\":%s,",
		mi->info_hash_hex, mi->is_magnet ? "true" : "false",
		mi->multi_file ? "true" : "false", (unsigned long long)mi->total_length,
		mi->piece_length, mi->num_pieces, mi->private_flag ? "true" : "false",
		mi->hybrid_v2 ? "true" : "false");
	json_files(f, mi);
	fprintf(f, ",\"main_file\":%d,\"main_file_path\":", main_idx);
	json_str(f, main_idx >= 0 ? mi->files[main_idx].path : NULL);
	fprintf(f, ",\"bitrate\":%.3f,\"bitrate_source\":", rate);
	json_str(f, source_key(src));
	fprintf(f, ",\"info_playtime\":%.3f,\"top_playtime\":%.3f,\"speed_bps\":%lld,\"title\":",
		mi->info_playtime, mi->top_playtime, (long long)mi->speed_bps);
	json_str(f, mi->title);
	fputs(",\"description\":", f);
	json_str(f, mi->description);
	fputs(",\"publisher\":", f);
	json_str(f, mi->publisher);
	fprintf(f, ",\"thumbnail_bytes\":%zu,\"live\":%s,\"comment\":", mi->thumbnail_len,
		mi->live ? "true" : "false");
	json_str(f, mi->comment);
	fputs(",\"created_by\":", f);
	json_str(f, mi->created_by);
	fprintf(f, ",\"creation_date\":%lld}\n", (long long)mi->creation_date);
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
	printf(_("Files (%zu):\n"), mi->num_files);
	for (size_t i = 0; i < mi->num_files; i++) {
		const struct sp_mi_file *f = &mi->files[i];
		human_size(sz, sizeof(sz), f->length);
		printf("  %c %10s  %s", (int)i == main_idx ? '*' : ' ', sz, f->path);
		if (f->is_pad)
			printf(" %s", _("(padding)"));
		if (f->playtime > 0) {
			human_time(pt, sizeof(pt), f->playtime);
			printf(_(" (playtime %s)"), pt);
		}
		putchar('\n');
	}
}

static void print_lists(const struct sp_metainfo *mi)
{
	printf(_("Trackers:\n"));
	if (!mi->num_tiers)
		printf("  %s\n", _("(none)"));
	for (size_t t = 0; t < mi->num_tiers; t++)
		for (size_t u = 0; mi->tiers[t][u]; u++)
			printf(_("  tier %zu: %s\n"), t + 1, mi->tiers[t][u]);
	printf(_("Web seeds:\n"));
	if (!mi->num_web_seeds && !mi->num_http_seeds)
		printf("  %s\n", _("(none)"));
	for (size_t i = 0; i < mi->num_web_seeds; i++)
		printf("  %s\n", mi->web_seeds[i]);
	for (size_t i = 0; i < mi->num_http_seeds; i++)
		printf("  %s (BEP 17)\n", mi->http_seeds[i]);
	for (size_t i = 0; i < mi->num_initial_peers; i++)
		printf(_("Initial peer: %s port %u\n"), mi->initial_peers[i].host,
		       mi->initial_peers[i].port);
}

static void print_stream(const struct sp_metainfo *mi, int main_idx)
{
	enum sp_bitrate_source src;
	double rate = sp_metainfo_bitrate(mi, main_idx, &src);
	char buf[32];
	double file_pt = main_idx >= 0 ? mi->files[main_idx].playtime : 0, pt = file_pt;
	if (pt <= 0)
		pt = mi->info_playtime > 0 ? mi->info_playtime : mi->top_playtime;
	if (pt > 0) {
		human_time(buf, sizeof(buf), pt);
		printf(_("Playtime:   %s (%.3f s, from %s)\n"), buf, pt,
		       file_pt > 0 || mi->info_playtime > 0 ? "info.playtime" : "playtime");
	} else {
		printf(_("Playtime:   unknown\n"));
	}
	if (rate > 0)
		printf(_("Bitrate:    %.0f bytes/s (%.0f kbit/s, from %s)\n"), rate,
		       rate * 8 / 1000, source_key(src));
	else
		printf(_("Bitrate:    unknown (estimated from the container when playing)\n"));
	if (mi->title)
		printf(_("Title:      %s\n"), mi->title);
	if (mi->thumbnail_len)
		printf(_("Thumbnail:  %zu bytes\n"), mi->thumbnail_len);
	if (mi->live)
		printf(_("Live:       yes (auth %s)\n"),
		       mi->live_authmethod ? mi->live_authmethod : "None");
	printf(_("Play file:  %s\n"), main_idx >= 0 ? mi->files[main_idx].path : _("(none)"));
}

static void print_human(const struct sp_metainfo *mi)
{
	int main_idx = sp_metainfo_main_file(mi);
	char sz[32], psz[32];
	printf(_("Name:       %s\n"), mi->name);
	printf(_("Info-hash:  %s\n"), mi->info_hash_hex);
	if (mi->is_magnet) {
		printf(_("Magnet link: files and pieces arrive with the metadata\n"));
	} else {
		human_size(sz, sizeof(sz), mi->total_length);
		human_size(psz, sizeof(psz), mi->piece_length);
		printf(_("Size:       %s (%llu bytes)\n"), sz, (unsigned long long)mi->total_length);
		printf(_("Pieces:     %u x %s\n"), mi->num_pieces, psz);
		printf(_("Private:    %s\n"), mi->private_flag ? _("yes") : _("no"));
		if (mi->hybrid_v2)
			printf(_("BitTorrent v2 hybrid: read through its v1 part\n"));
		if (mi->comment)
			printf(_("Comment:    %s\n"), mi->comment);
		if (mi->created_by)
			printf(_("Created by: %s\n"), mi->created_by);
		print_files(mi, main_idx);
	}
	print_lists(mi);
	if (!mi->is_magnet)
		print_stream(mi, main_idx);
}

static void usage(FILE *f)
{
	fprintf(f, _("Usage: swarmplay info SOURCE [--json]\n"
		     "Show what a .tstream, .torrent or magnet link holds.\n"
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
	struct sp_metainfo *mi = sp_metainfo_load(src, &err);
	if (!mi) {
		int code = err ? err->code : -EBADMSG;
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
