#!/bin/bash
# run-all.sh - the README's test command: install what is missing, build
# with -Werror, run every test suite. Last line: "N passed, N failed, N skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash tests/build.sh || { echo "0 passed, 1 failed"; exit 1; }
build=${SP_BUILD_DIR:-build}
SP_NPM_DIR=${SP_NPM_DIR:-$here/build-npm} meson test -C "$build" --num-processes 2 \
	--print-errorlogs "$@"
rc=$?
python3 "$here/tests/summary.py" "$build/meson-logs/testlog.json"
exit $rc
