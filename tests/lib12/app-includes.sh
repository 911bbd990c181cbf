#!/bin/bash
# app-includes.sh - the swarmplay program (src/app/) is a client of the
# public API like any host: its files include only swarmplay/*.h, app/*.h
# (its own), config.h and system headers. tests/lib12/app-includes.allow
# would list, file by file, a private header let through; the list may
# only shrink, and it is empty. Fails on an include that is neither public
# nor listed, and on a listed one that is gone (so that the list says the
# truth: delete the line).
# With the program (PROGRAM), the same at link time: it takes the core
# from libswarmplay.so and binds none of its private symbols
# (SWARMPLAY_PRIVATE, the player modules' own).
# Usage: app-includes.sh SRCDIR [PROGRAM]
set -uo pipefail
prog=${2:-}
[ -n "$prog" ] && prog=$(realpath "$prog") # before the cd: meson may give it relative
cd "${1:?source dir}" || exit 1
allow=tests/lib12/app-includes.allow
actual=$(grep -o '^#include "[^"]*"' src/app/*.c src/app/*.h | sed 's/:#include "\(.*\)"/ \1/' |
	grep -v -E ' (swarmplay/|app/|config\.h$)' | sort -u)
listed=$(grep -v -E '^(#|$)' "$allow" | sort -u)
new=$(comm -23 <(echo "$actual") <(echo "$listed"))
gone=$(comm -13 <(echo "$actual") <(echo "$listed"))
fail=0
if [ -n "$new" ]; then
	echo "FAIL src/app includes private headers (use include/swarmplay/, or extend it):"
	echo "$new"
	fail=1
fi
if [ -n "$gone" ]; then
	echo "FAIL no longer included, delete from $allow:"
	echo "$gone"
	fail=1
fi
[ $fail = 0 ] && echo "ok   src/app: $(echo "$actual" | grep -c .) private includes left, all in $allow"
if [ -n "$prog" ] && command -v nm >/dev/null; then
	syms=$(nm -D --undefined-only "$prog") || fail=1
	private=$(echo "$syms" | grep '@SWARMPLAY_PRIVATE')
	public=$(echo "$syms" | grep -c '@SWARMPLAY_0')
	if [ -n "$private" ] || [ "$public" = 0 ]; then
		echo "FAIL the program binds libswarmplay's private symbols, or not the library at all ($public public):"
		echo "$private"
		fail=1
	else
		echo "ok   the program binds $public public symbols of libswarmplay.so, no private one"
	fi
fi
exit $fail
