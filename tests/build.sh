#!/bin/bash
# build.sh - install what is missing (deps.sh), configure the build
# directory with -Werror if it is not configured yet, build it. Shared by
# run-all.sh and stress-suite.sh. The directory: $SP_BUILD_DIR or build.
set -uo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh || exit 1
build=${SP_BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" -Dwerror=true >/dev/null || exit 1
fi
ninja -C "$build" || exit 1
