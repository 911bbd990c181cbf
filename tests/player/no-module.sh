#!/bin/bash
# no-module: a swarmplay program that finds no media module (a copy outside
# the build tree, nothing installed) plays nothing and says why with exit
# code 4, while the commands that need no FFmpeg work; `play` loads the
# module on a thread while the session starts, so the failure comes from
# that thread's join, once, cleanly (no crash, no hang).
set -u
: "${SWARMPLAY:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$SWARMPLAY" "$tmp/swarmplay"
if ls /usr/local/lib/*/swarmplay/swarmplay-media.so /usr/lib/*/swarmplay/swarmplay-media.so >/dev/null 2>&1; then
	echo "a media module is installed on this machine: cannot test its absence"; exit 77
fi
printf 'not a video' > "$tmp/x.mp4"
"$tmp/swarmplay" play "$tmp/x.mp4" --no-video --no-audio 2>"$tmp/err"
rc=$?
[ "$rc" -eq 4 ] || { echo "play without the module: exit $rc, want 4"; cat "$tmp/err"; exit 1; }
grep -q "media module" "$tmp/err" || { echo "no reason given:"; cat "$tmp/err"; exit 1; }
"$tmp/swarmplay" play --help >/dev/null || { echo "play --help needs the module"; exit 1; }
"$tmp/swarmplay" info --help >/dev/null || { echo "info --help failed"; exit 1; }
echo "ok: exit 4 and the reason without the module"
