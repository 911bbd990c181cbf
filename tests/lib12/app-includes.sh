#!/bin/bash
# app-includes.sh - the swarmplay program (src/app/) is a client of the
# public API like any host: its files include only swarmplay/*.h, app/*.h
# (its own), config.h and system headers. The move is not finished: the
# private headers it still includes are listed, file by file, in
# tests/lib12/app-includes.allow, a list that may only shrink. Fails on an
# include that is neither public nor listed, and on a listed one that is
# gone (so that the list says the truth: delete the line).
# Usage: app-includes.sh SRCDIR
set -uo pipefail
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
exit $fail
