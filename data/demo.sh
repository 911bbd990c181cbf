#!/bin/bash
# demo.sh - the README's demo command: install what is missing, build,
# make a demo video, turn it into a .tstream and show it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash tests/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
sp=$here/build/src/app/swarmplay
work=${SP_DEMO_DIR:-$here/build/demo}
mkdir -p "$work"
if [ ! -f "$work/demo.mp4" ]; then
	ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=640x360:rate=25:duration=30 \
		-f lavfi -i sine=frequency=440:duration=30 \
		-c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -movflags +faststart \
		"$work/demo.mp4"
fi
"$sp" create "$work/demo.mp4" -o "$work/demo.tstream"
"$sp" info "$work/demo.tstream"
