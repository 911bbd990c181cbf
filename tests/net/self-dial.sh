#!/bin/bash
# self-dial.sh - a peer address that turns out to be ourselves (a seeder's
# PEX or a tracker hands us our own address by another name) is dialled
# once: the handshake shows our own peer id and the address is never tried
# again. Before, it was redialled every few seconds for as long as we ran.
# An observation window of 12 s (three of the old retry periods), on the
# log the program writes. The address must not be 127.x (that one is
# refused before any dial): the program runs in a network namespace of the
# test's own with a veth pair, one end at 10.213.0.1; nothing leaves it.
set -u
[ -n "${SWARMPLAY:-}" ] || { echo "skip: SWARMPLAY not set"; exit 77; }
command -v mktorrent >/dev/null || { echo "skip: mktorrent is not installed"; exit 77; }
ns=spself-$$
ip netns add "$ns" 2>/dev/null || { echo "skip: cannot make a network namespace (needs root)"; exit 77; }
w=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; ip netns del "$ns" 2>/dev/null; rm -rf "$w"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -30 "$w/dl.log"; exit 1; }

mkdir -p "$w/src"
head -c 300000 /dev/urandom > "$w/src/x.bin"
(cd "$w/src" && mktorrent -l 15 -o "$w/t.torrent" x.bin >/dev/null) || fail "mktorrent"
ip -n "$ns" link set lo up || fail "lo"
ip -n "$ns" link add sp0 type veth peer name sp1 && ip -n "$ns" addr add 10.213.0.1/24 dev sp0 &&
	ip -n "$ns" link set sp0 up && ip -n "$ns" link set sp1 up || fail "veth in the namespace"
port=47613 # the namespace is ours: no other listener
# 10.213.0.1 reaches our 0.0.0.0 listener: ourselves under another address
SWARMPLAY_LOG=debug ip netns exec "$ns" "$SWARMPLAY" download "$w/t.torrent" -d "$w/dl" \
	--no-tracker --port "$port" --peer "10.213.0.1:$port" > /dev/null 2> "$w/dl.log" &
pid=$!
for _ in $(seq 600); do # the first attempt, up to 60 s on a busy machine
	grep -q "connected to ourselves" "$w/dl.log" && break
	kill -0 "$pid" 2>/dev/null || fail "download exited early"
	sleep 0.1
done
grep -q "connected to ourselves" "$w/dl.log" || fail "never dialled 10.213.0.1:$port"
t0=$(date +%s)
while [ $(( $(date +%s) - t0 )) -lt 12 ]; do
	kill -0 "$pid" 2>/dev/null || fail "download exited early"
	sleep 0.5
done
n=$(grep -c "connected to ourselves" "$w/dl.log")
[ "$n" -eq 1 ] || fail "dialled ourselves $n times in 12 s, want 1"
echo "ok: ourselves dialled once"
