#!/bin/bash
# abi.sh - libswarmplay's ABI (issue 12):
#  1. the public headers compile on their own as C99 -pedantic and as C++,
#     and declare every function tests/lib12/abi.c takes, which links
#     against the library (not run: under ASan the library needs the
#     sanitizer's runtime loaded first, which a plain program does not);
#  2. what libswarmplay.so exports (nm -D) is exactly the checked-in list
#     src/lib/libswarmplay.symbols (a new or vanished symbol is an ABI
#     change: update the list, and the soname if something vanished);
#  3. its soname is libswarmplay.so.0;
#  4. the player module exports its one table, and every core function it
#     takes is exported by the library (else it would fail at dlopen).
# Usage: abi.sh SRCDIR LIBSWARMPLAY.so PLAYER-MODULE.so
set -uo pipefail
src=$1 lib=$2 module=$3
for t in nm readelf gcc g++; do
	command -v $t >/dev/null || { echo "skip: $t is not installed"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
libdir=$(dirname "$lib")
for lang in "gcc -std=c99 -pedantic -x c" "g++ -std=c++11 -pedantic -x c++"; do
	if $lang -Wall -Wextra -Werror -I"$src/include" "$src/tests/lib12/abi.c" -o "$tmp/abi" \
		-L"$libdir" -lswarmplay; then
		echo "ok   public headers as ${lang%% *} (${lang#* })"
	else
		echo "FAIL public headers as ${lang%% *} (${lang#* })"; fail=1
	fi
done
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort >"$tmp/exported"
if diff -u "$src/src/lib/libswarmplay.symbols" "$tmp/exported"; then
	echo "ok   exports equal src/lib/libswarmplay.symbols ($(wc -l <"$tmp/exported") symbols)"
else
	echo "FAIL exports differ from src/lib/libswarmplay.symbols (- listed, + exported)"; fail=1
fi
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" = libswarmplay.so.0 ]; then
	echo "ok   soname $soname"
else
	echo "FAIL soname '$soname', not libswarmplay.so.0"; fail=1
fi
mod_exports=$(nm -D --defined-only "$module" | awk '$2 ~ /^[TDBR]$/ {print $3}' | tr '\n' ' ')
if [ "$mod_exports" = "sp_player_module " ]; then
	echo "ok   the module exports only sp_player_module"
else
	echo "FAIL the module exports: $mod_exports"; fail=1
fi
missing=$(nm -D --undefined-only "$module" | awk '{print $2}' | grep '^sp_' | sed 's/@.*//' |
	sort | comm -23 - <(sed 's/@.*//' "$tmp/exported" | sort -u))
if [ -z "$missing" ]; then
	echo "ok   every core function the module takes is exported by the library"
else
	echo "FAIL the module needs what the library does not export: $missing"; fail=1
fi
exit $fail
