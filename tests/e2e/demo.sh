#!/bin/bash
# demo.sh (test) - the README's demo command runs headless to the end:
# data/demo.sh with a short video, no display, the build under test.
set -euo pipefail
[ -n "${SP_BUILDDIR:-}" ] || { echo "skip: run through meson test"; exit 77; }
command -v ffmpeg >/dev/null || { echo "skip: ffmpeg is not installed"; exit 77; }
work=$(mktemp -d "$SP_BUILDDIR/test-output/demo-XXXXXX" 2>/dev/null || mktemp -d)
out=$(env -u DISPLAY -u WAYLAND_DISPLAY SP_DEMO_NO_DEPS=1 SP_BUILD="$SP_BUILDDIR" \
	SP_DEMO_SECONDS=6 SP_DEMO_DIR="$work" bash "$SP_SRCDIR/data/demo.sh" 2>&1) || {
	echo "$out"; echo "FAIL: demo.sh exited non-zero"; exit 1; }
echo "$out" | tail -12
python3=/usr/bin/python3
$python3 - "$work/stats.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
assert st["state"] == "ended", st
assert st["frames_presented"] >= 140, st
assert st["bytes"]["peers"] > 0, st
assert st["ttff_ms"] is not None and st["ttff_ms"] < st["download_ms"], st
print("demo ok: ttff %d ms, download %d ms" % (st["ttff_ms"], st["download_ms"]))
PY
grep -q "playing" <<<"$out" || { echo "FAIL: no progress lines"; exit 1; }
