/* abi.c - compiled by tests/lib12/abi.sh as strict C99 (-pedantic) and as
 * C++ against the installed headers alone: every public header stands on
 * its own, in both languages, and declares what the library exports. It
 * takes the address of each function, so that a missing or renamed
 * declaration fails the build. Never run; linked against the library. */
#include <swarmplay/player.h>
#include <swarmplay/swarmplay.h>

typedef void (*fn)(void);
#define F(x) (fn)(x)

static const fn api[] = {
	F(sp_error_code), F(sp_error_msg), F(sp_error_free), F(sp_error_set), F(sp_log_set_callback), F(sp_i18n_init),
	F(sp_log_enabled), F(sp_log_write), F(sp_metainfo_parse), F(sp_metainfo_is_video_path),
	F(sp_cache_parse_size), F(sp_metainfo_subtitle_file), F(sp_player_set_option),
	F(sp_metainfo_load), F(sp_metainfo_free), F(sp_metainfo_name), F(sp_metainfo_info_hash),
	F(sp_metainfo_num_files), F(sp_metainfo_file_path), F(sp_metainfo_file_length),
	F(sp_metainfo_main_file), F(sp_metainfo_is_magnet), F(sp_metainfo_is_private),
	F(sp_metainfo_add_peer), F(sp_metainfo_total_length), F(sp_metainfo_piece_length),
	F(sp_metainfo_num_pieces), F(sp_metainfo_bitrate), F(sp_metainfo_file_offset),
	F(sp_metainfo_file_is_pad), F(sp_metainfo_file_is_video), F(sp_metainfo_file_playtime), F(sp_metainfo_num_tiers),
	F(sp_metainfo_tracker), F(sp_metainfo_web_seed), F(sp_metainfo_http_seed),
	F(sp_metainfo_peer), F(sp_metainfo_is_multi_file), F(sp_metainfo_is_hybrid_v2),
	F(sp_metainfo_text), F(sp_metainfo_playtime), F(sp_metainfo_speed_bps),
	F(sp_metainfo_thumbnail), F(sp_metainfo_is_live), F(sp_metainfo_creation_date),
	F(sp_create), F(sp_cache_dir), F(sp_cache_hold), F(sp_cache_usage), F(sp_cache_trim),
	F(sp_session_new), F(sp_session_free), F(sp_session_port),
	F(sp_session_add_dht_node), F(sp_session_get_reachability), F(sp_session_add_torrent),
	F(sp_session_fetch_metadata), F(sp_torrent_metainfo), F(sp_torrent_add_peer),
	F(sp_waste_cause_name), F(sp_torrent_get_stats), F(sp_torrent_get_pieces),
	F(sp_torrent_open_reader), F(sp_torrent_set_file_wanted), F(sp_reader_close), F(sp_reader_size), F(sp_reader_read),
	F(sp_reader_cancel), F(sp_reader_resume), F(sp_reader_set_bitrate), F(sp_reader_set_lead),
	F(sp_reader_set_waiting),
	F(sp_reader_available), F(sp_reader_ready_to_start), F(sp_player_new), F(sp_player_free),
	F(sp_player_open_reader), F(sp_player_open_file), F(sp_player_play), F(sp_player_pause),
	F(sp_player_seek), F(sp_player_set_volume), F(sp_player_set_mute),
	F(sp_player_set_audio_track), F(sp_player_draw), F(sp_player_screenshot),
	F(sp_player_get_position), F(sp_player_event_fd),
	F(sp_player_next_event), F(sp_player_stats_json), F(sp_player_audio_read),
	F(sp_player_run_reader), F(sp_player_run_file), F(sp_player_preload),
	F(sp_player_set_sub_reader), F(sp_player_set_netinfo_callback),
	F(sp_player_set_quit_flag), F(sp_player_get_result), F(sp_player_set_sub_track),
};

int main(void)
{
	struct sp_player_config cfg;
	struct sp_player_event ev;
	struct sp_video_frame fr;
	struct sp_session_config sc;
	struct sp_torrent_stats st;
	struct sp_player_netinfo ni;
	struct sp_player_result res;
	sp_player_config_init(&cfg);
	ni.map[SP_PLAYER_MAP_CELLS - 1] = 0;
	res.skip = 0;
	ev.type = SP_PLAYER_EVENT_FIRST_FRAME;
	fr.planes = 0;
	sc.port = 0;
	st.peers = 0;
	return (int)(sizeof(api) / sizeof(api[0])) - 87 + (cfg.volume != 100) + (ev.type != 1) +
	       fr.planes + sc.port + st.peers + ni.map[SP_PLAYER_MAP_CELLS - 1] + res.skip +
	       (SP_PLAYER_VIDEO_WINDOW != 3);
}
