#!/bin/bash
# debian.sh - the Debian packaging (debian/) builds, as a packager would:
# dpkg-buildpackage on a copy of the source tree (the tree's files known
# to git, committed or not; no build folders), then lintian finds no
# error, and the three packages hold what they should: the program and its
# media module; the library, its soname link and the player module; the
# headers, the .so link and swarmplay.pc.
# Usage: debian.sh SRCDIR BUILDDIR
set -uo pipefail
src=$1 build=$2
for t in dpkg-buildpackage dh lintian git; do
	command -v $t >/dev/null || { echo "skip: $t is not installed (debhelper, lintian)"; exit 77; }
done
work=$(mktemp -d "$build/test-output/debian-XXXXXX")
tree=$work/swarmplay-0.1.0
mkdir -p "$tree"
(cd "$src" && git ls-files -co --exclude-standard -z | grep -zv '^build' |
	xargs -0 tar -c --no-recursion -f -) | tar -x -C "$tree" || exit 1
fail=0
check() { if [ "$1" = 0 ]; then echo "ok   $2"; else echo "FAIL $2"; fail=1; fi; }
(cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
	>"$work/build.log" 2>&1
check $? "dpkg-buildpackage -b (log: $work/build.log)"
changes=$(ls "$work"/*.changes 2>/dev/null | head -1)
if [ -n "$changes" ]; then
	lintian --tag-display-limit 0 "$changes" >"$work/lintian.log" 2>&1
	grep -E '^[EW]:' "$work/lintian.log"
	! grep -q '^E:' "$work/lintian.log"
	check $? "lintian: no error ($(grep -c '^W:' "$work/lintian.log") warnings)"
fi
has() { # has PACKAGE PATTERN
	local deb list
	deb=$(ls "$work/$1"_*.deb 2>/dev/null | head -1)
	list=$([ -n "$deb" ] && dpkg-deb -c "$deb") # whole: grep -q would cut the pipe
	grep -qE "$2" <<<"$list"
	check $? "$1 holds $2"
}
has swarmplay './usr/bin/swarmplay$'
has swarmplay '/swarmplay/swarmplay-media\.so$'
has swarmplay 'applications/swarmplay\.desktop$'
has swarmplay 'metainfo/io\.github\.swarmplay\.swarmplay\.metainfo\.xml$'
has libswarmplay0 '/libswarmplay\.so\.0\.1\.0$'
has libswarmplay0 '/libswarmplay\.so\.0 -> '
has libswarmplay0 '/swarmplay/swarmplay-player\.so$'
has libswarmplay-dev 'include/swarmplay/player\.h$'
has libswarmplay-dev '/libswarmplay\.so -> '
has libswarmplay-dev 'pkgconfig/swarmplay\.pc$'
[ $fail = 0 ] && rm -rf "$work"
exit $fail
