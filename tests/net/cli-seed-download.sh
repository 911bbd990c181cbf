#!/bin/bash
# cli-seed-download.sh - the commands end to end on 127.0.0.1: `swarmplay
# seed` (port 0, read back from its output) serves a mktorrent-made
# multi-file torrent to `swarmplay download --peer`; the copy is
# byte-identical; SIGINT stops the seed with status 0; usage errors exit 2
# and a broken torrent exits 3.
set -u
[ -n "${SWARMPLAY:-}" ] || { echo "skip: SWARMPLAY not set"; exit 77; }
command -v mktorrent >/dev/null || { echo "skip: mktorrent is not installed"; exit 77; }
w=$(mktemp -d)
seed_pid=
cleanup() { [ -n "$seed_pid" ] && kill -9 "$seed_pid" 2>/dev/null; rm -rf "$w"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$w"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }

mkdir -p "$w/src/payload/sub"
head -c 700001 /dev/urandom > "$w/src/payload/a.bin"
head -c 99 /dev/urandom > "$w/src/payload/sub/small.txt"
head -c 300007 /dev/urandom > "$w/src/payload/sub/b.bin"
(cd "$w/src" && mktorrent -l 15 -o "$w/t.torrent" payload >/dev/null) || fail "mktorrent"

"$SWARMPLAY" download >/dev/null 2>&1; [ $? -eq 2 ] || fail "no argument: want exit 2"
"$SWARMPLAY" download "$w/t.torrent" --port 99999 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad port: want exit 2"
head -c 100 /dev/urandom > "$w/bad.torrent"
"$SWARMPLAY" download "$w/bad.torrent" -d "$w/x" >/dev/null 2>&1; [ $? -eq 3 ] || fail "bad torrent: want exit 3"

SWARMPLAY_LOG=info "$SWARMPLAY" seed "$w/t.torrent" "$w/src" --port 0 --no-tracker \
	> "$w/seed.out" 2> "$w/seed.log" &
seed_pid=$!
port=
for _ in $(seq 600); do # up to 60 s: the seed may start slowly on a busy machine
	port=$(sed -n 's/.* \([0-9][0-9]*\)$/\1/p' "$w/seed.out" | head -1)
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || fail "the seed did not print its port"

timeout 180 "$SWARMPLAY" download "$w/t.torrent" -d "$w/dl" --no-tracker \
	--peer "127.0.0.1:$port" --stats-json "$w/stats.json" > "$w/dl.log" 2>&1 \
	|| fail "download exited with $?"
for f in a.bin sub/small.txt sub/b.bin; do
	cmp "$w/src/payload/$f" "$w/dl/payload/$f" || fail "$f differs"
done
grep -q '"complete": true' "$w/stats.json" || fail "stats: not complete"

kill -INT "$seed_pid"
wait "$seed_pid"
rc=$?
seed_pid=
[ $rc -eq 0 ] || fail "seed exited with $rc after SIGINT"
echo "ok: seed on port $port, copy identical, clean stop"
