#!/bin/bash
# demo.sh - the README's demo: install what is missing, build, make a demo
# video with ffmpeg, turn it into a .tstream, seed it from a local
# `swarmplay seed` capped at about 1.5 x the video's bitrate (so the
# stream is visibly progressive: the OSD's bar fills while you watch),
# and play it. In a window when there is a display; headless otherwise
# (--no-video with SDL's dummy drivers, printing progress).
#
# Environment: SP_DEMO_DIR (work dir, default build/demo), SP_DEMO_SECONDS
# (video length, default 30), SP_DEMO_RATE (seeder cap in kB/s),
# SP_DEMO_NO_DEPS=1 (skip tests/deps.sh), SP_BUILD (build dir, default build).
set -euo pipefail
# a local swarm: no DHT router, no port mapping, no outside traffic at all
export SWARMPLAY_DHT_BOOTSTRAP= SWARMPLAY_PORT_MAPPING=off
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ "${SP_DEMO_NO_DEPS:-0}" = 1 ] || bash tests/deps.sh
build=${SP_BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
case $build in /*) ;; *) build=$here/$build ;; esac
sp=$build/src/app/swarmplay
work=${SP_DEMO_DIR:-$here/build/demo}
export XDG_STATE_HOME=$work/state
secs=${SP_DEMO_SECONDS:-30}
mkdir -p "$work/seed"
video=$work/seed/swarmplay-demo.mp4
if [ ! -f "$video" ]; then
	echo "demo: making a ${secs} s video with ffmpeg..."
	ffmpeg -nostdin -loglevel error -y \
		-f lavfi -i "testsrc2=size=640x360:rate=25:duration=$secs" \
		-f lavfi -i "sine=frequency=440:beep_factor=4:duration=$secs" \
		-c:v libx264 -preset veryfast -b:v 1200k -maxrate 1200k -bufsize 1200k -g 50 \
		-pix_fmt yuv420p -c:a aac -b:a 96k -movflags +faststart "$video"
fi
"$sp" create -q "$video" -o "$work/demo.tstream"
"$sp" info "$work/demo.tstream"

size=$(stat -c %s "$video")
rate=${SP_DEMO_RATE:-$((size * 3 / 2 / secs / 1000))}
# port 0: the seeder takes a free port itself and says which (a port
# found free here could be taken by someone else before it listens; its
# words in English, whatever the locale, to be read below)
LC_ALL=C "$sp" seed "$work/demo.tstream" "$work/seed" --port 0 --upload-limit "$rate" \
	--no-tracker >"$work/seed.log" 2>&1 &
seeder=$!
dl=$(mktemp -d "$work/play-XXXXXX")
cleanup() {
	kill "$seeder" 2>/dev/null || true
	wait "$seeder" 2>/dev/null || true
	rm -rf "$dl"
}
trap cleanup EXIT
port=
for _ in $(seq 300); do # until it listens (30 s at most)
	port=$(sed -n 's/^listening on port \([0-9]*\)$/\1/p' "$work/seed.log" | head -1)
	[ -n "$port" ] && break
	kill -0 "$seeder" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$port" ]; then
	echo "demo: the seeder did not start:" >&2
	cat "$work/seed.log" >&2
	exit 1
fi
echo "demo: seeding on 127.0.0.1:$port, capped at $rate kB/s"
play=("$sp" play "$work/demo.tstream" -d "$dl" --peer "127.0.0.1:$port" --no-tracker
      --stats-json "$work/stats.json")
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
	echo "demo: playing in a window (q quits; space, arrows, f, m, 9/0)"
	"${play[@]}"
else
	echo "demo: no display, playing headless"
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy "${play[@]}" --no-video --exit-at-end --progress
fi
echo "demo: figures in $work/stats.json:"
cat "$work/stats.json"
