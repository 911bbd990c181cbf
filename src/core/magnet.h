/* magnet.h - BEP 9 magnet URIs: xt=urn:btih: (hex or base32), dn, tr, ws,
 * x.pe. Pure. The result is an sp_metainfo with is_magnet set, the
 * info-hash, name (dn), tiers (one tier per tr), web seeds and initial
 * peers; no files or pieces until metadata arrives. */
#ifndef SP_MAGNET_H
#define SP_MAGNET_H

#include "core/metainfo.h"

struct sp_metainfo *sp_magnet_parse(const char *uri, struct sp_error **err);

#endif
