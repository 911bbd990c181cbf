#!/bin/bash
# unit.sh - data/swarmplay-kiosk.service as built: `systemd-analyze verify
# --user` on a copy whose ExecStart= is the built program (the installed path
# may not exist yet). A warning fails it as an error does (verify exits 0 on
# "Unknown key ..., ignoring"). It first checks that a deliberately broken
# copy is reported, so a verifier that says nothing makes the test fail.
# Usage: unit.sh UNIT (SWARMPLAY: the built program)
set -uo pipefail
unit=$1
command -v systemd-analyze >/dev/null || { echo "skip: systemd-analyze is not installed"; exit 77; }
[ -x "${SWARMPLAY:-}" ] || { echo "FAIL: SWARMPLAY is not the built program"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/kiosk-unit-XXXXXX")
trap 'rm -rf "$dir"' EXIT
# --user needs a runtime directory and a home; give it empty ones of its own.
mkdir -m 700 "$dir/run" "$dir/home" "$dir/ok" "$dir/bad"
export XDG_RUNTIME_DIR=$dir/run HOME=$dir/home
unset XDG_CONFIG_HOME XDG_CACHE_HOME XDG_STATE_HOME XDG_DATA_HOME
verify() { # verify UNITFILE: prints what systemd-analyze said, returns 0 if clean
	local out rc
	out=$(systemd-analyze verify --man=no --user "$1" 2>&1); rc=$?
	[ -n "$out" ] && printf '%s\n' "$out"
	[ $rc = 0 ] && [ -z "$out" ]
}
sed "s|^ExecStart=[^ ]*/swarmplay |ExecStart=$SWARMPLAY |" "$unit" >"$dir/ok/swarmplay-kiosk.service"
grep -q "^ExecStart=$SWARMPLAY kiosk " "$dir/ok/swarmplay-kiosk.service" ||
	{ echo "FAIL: no ExecStart=.../swarmplay kiosk in $unit"; exit 1; }
# Can it run here at all? (a container without what the manager needs)
out=$(systemd-analyze verify --man=no --user "$dir/ok/swarmplay-kiosk.service" 2>&1)
if [[ $out == *"Failed to initialize manager"* ]]; then
	echo "skip: systemd-analyze cannot run here: $out"; exit 77
fi
fail=0
sed 's/^Type=notify$/Type=notifyy/' "$dir/ok/swarmplay-kiosk.service" >"$dir/bad/swarmplay-kiosk.service"
if verify "$dir/bad/swarmplay-kiosk.service" >/dev/null; then
	echo "FAIL: a broken copy (Type=notifyy) passes: the check checks nothing"; fail=1
else
	echo "ok   a broken copy (Type=notifyy) is reported"
fi
if verify "$dir/ok/swarmplay-kiosk.service"; then
	echo "ok   systemd-analyze verify --user $unit"
else
	echo "FAIL systemd-analyze verify --user $unit"; fail=1
fi
# What doc/kiosk.md promises of it.
for want in '^Type=notify$' '^Restart=always$' '^WatchdogSec=' '^NoNewPrivileges=yes$' \
	'^ProtectSystem=strict$' '^PrivateTmp=yes$' '^CacheDirectory=swarmplay$' '^StateDirectory=swarmplay$' \
	'^RuntimeDirectory=swarmplay$'; do
	grep -q "$want" "$unit" || { echo "FAIL: $unit has no $want"; fail=1; }
done
# The kiosk may block 90 s preparing an item: WatchdogSec of 2 minutes at least.
wd=$(sed -n 's/^WatchdogSec=\([0-9]*\)$/\1/p' "$unit")
if [ -n "$wd" ] && [ "$wd" -ge 120 ]; then echo "ok   WatchdogSec=$wd"
else echo "FAIL: WatchdogSec=$wd (in seconds, at least 120)"; fail=1; fi
exit $fail
