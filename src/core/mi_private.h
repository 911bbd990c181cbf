/* mi_private.h - helpers shared by metainfo.c, mi_files.c and magnet.c.
 * Not installed, not for other modules. */
#ifndef SP_MI_PRIVATE_H
#define SP_MI_PRIVATE_H

#include "core/bencode.h"
#include "core/metainfo.h"

/* Ceilings on what a torrent may declare. */
#define SP_MI_MAX_FILES (1u << 20)
#define SP_MI_MAX_TOTAL (UINT64_C(1) << 46)   /* 64 TiB */
#define SP_MI_MAX_PIECE_LEN (64u << 20)
/* A bitfield of more pieces than this is longer than the longest message
 * the wire accepts (SP_WIRE_MAX_MSG, 128 KiB + 9): such a torrent could
 * never tell peers what it has, so it is refused at once, clearly. */
#define SP_MI_MAX_PIECES (1u << 20)
#define SP_MI_MAX_COMPONENT 255
#define SP_MI_MAX_PATH 4096

/* Fill mi->name, files, num_files, total_length, multi_file from the
 * info dict; every path is checked. */
int sp_mi_parse_files(struct sp_metainfo *mi, const struct sp_benc *info,
		      struct sp_error **err);
/* Printable copy of untrusted bytes for messages (caller frees). */
char *sp_mi_display(const uint8_t *s, size_t len);
/* NULL-terminated deep copy of a string vector; NULL on ENOMEM. */
char **sp_mi_strv_dup(char *const *v, size_t n);
void sp_mi_strv_free(char **v, size_t n);

#endif
