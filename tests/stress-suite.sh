#!/bin/bash
# stress-suite.sh [N] [MESON-TEST-ARGS...] - the test suite on a loaded
# machine (issue 11: it must pass 10 times in a row under `stress -c 2`).
#
# Builds once (tests/build.sh, as run-all.sh does), starts `stress -c 2`
# (Debian's stress; STRESS_CPUS changes the count) in a session of its own,
# then runs the suites as run-all.sh does, N times (default 10), stopping
# at the first run with a failed test. stress is killed when the script
# ends, whatever ends it (Ctrl-C, SIGTERM, a failure).
#
# SUITES="unit net" restricts the runs to those suites; further arguments
# go to `meson test` (test names, --timeout-multiplier, ...). Each run's
# meson log is build/meson-logs/stress-K.txt (and .json).
#
# One line a run:
#   run 2/10: 301 passed, 0 failed, 14 skipped, 1650 s, load 4.02 3.97 3.71
# a 'failed: NAME (RESULT) ...' line after a failed run, and last:
#   stress-suite: 2 runs in a row passed (of 10)
# Exit status 0 when all N runs passed.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

runs=10
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
	runs=$1
	shift
fi
[ "$runs" -ge 1 ] || { echo "stress-suite: N must be at least 1" >&2; exit 2; }
build=${SP_BUILD_DIR:-build}
cpus=${STRESS_CPUS:-2}

bash tests/build.sh || { echo "stress-suite: the build failed"; exit 1; }
command -v stress >/dev/null || { echo "stress-suite: no stress (apt-get install stress)"; exit 1; }

suite_args=()
for s in ${SUITES:-}; do
	suite_args+=(--suite "$s")
done

# stress in its own session: its process group holds the parent and its
# workers, and a Ctrl-C at the terminal reaches the trap below, not them.
# meson test runs in the background and the script waits for it, so a
# signal runs the trap at once (a foreground meson would first finish: one
# Ctrl-C only stops its longest test); SIGTERM makes meson stop every test.
stress_pid=
meson_pid=
stop_all() {
	if [ -n "$meson_pid" ]; then
		kill -TERM "$meson_pid" 2>/dev/null
		wait "$meson_pid" 2>/dev/null
		meson_pid=
	fi
	if [ -n "$stress_pid" ]; then
		kill -TERM -- "-$stress_pid" 2>/dev/null
		wait "$stress_pid" 2>/dev/null
		stress_pid=
	fi
}
trap stop_all EXIT
trap 'stop_all; echo "stress-suite: interrupted"; exit 130' INT
trap 'stop_all; echo "stress-suite: terminated"; exit 143' TERM
setsid stress -c "$cpus" >/dev/null 2>&1 &
stress_pid=$!
sleep 1 # let stress fork its workers before the first test starts
kill -0 "$stress_pid" 2>/dev/null || { echo "stress-suite: stress did not start"; exit 1; }
echo "stress-suite: stress -c $cpus (pid $stress_pid), $runs runs${SUITES:+ of suites $SUITES}"

in_a_row=0
for ((k = 1; k <= runs; k++)); do
	rm -f "$build/meson-logs/stress-$k.json" "$build/meson-logs/stress-$k.txt"
	start=$(date +%s)
	SP_NPM_DIR=${SP_NPM_DIR:-$here/build-npm} meson test -C "$build" --no-rebuild \
		--num-processes 2 --logbase "stress-$k" "${suite_args[@]}" "$@" >/dev/null 2>&1 &
	meson_pid=$!
	wait "$meson_pid"
	rc=$?
	meson_pid=
	secs=$(($(date +%s) - start))
	read -r l1 l5 l15 _ </proc/loadavg
	out=$(python3 tests/summary.py --failed "$build/meson-logs/stress-$k.json")
	counts=$(tail -n 1 <<<"$out")
	echo "run $k/$runs: $counts, $secs s, load $l1 $l5 $l15"
	if ! kill -0 "$stress_pid" 2>/dev/null; then
		echo "stress-suite: stress is no longer running: this run was not under load"
		break
	fi
	if [ $rc -ne 0 ] || [[ ! $counts =~ \ 0\ failed ]] || [[ $counts =~ ^0\ passed ]]; then
		grep '^failed: ' <<<"$out" ||
			echo "failed: meson test exited $rc (see $build/meson-logs/stress-$k.txt)"
		break
	fi
	in_a_row=$k
done
echo "stress-suite: $in_a_row runs in a row passed (of $runs)"
[ "$in_a_row" -eq "$runs" ]
