#!/bin/bash
# installed.sh - install as a packager would (meson install --destdir)
# and use the installed tree alone: the program, libswarmplay with its
# soname links, the player module, the headers, swarmplay.pc, the man
# page, the .desktop, MIME, AppStream and icon files and the kiosk's
# systemd user unit are there; the three examples build
# with `pkg-config --cflags --libs swarmplay` (PKG_CONFIG_PATH and
# PKG_CONFIG_SYSROOT_DIR into DESTDIR) and run from a real local swarm
# (examples.py) with LD_LIBRARY_PATH into DESTDIR.
# Usage: installed.sh SRCDIR BUILDDIR
set -uo pipefail
src=$1 build=$2
for t in pkg-config cc; do
	command -v $t >/dev/null || { echo "skip: $t is not installed"; exit 77; }
done
dest=$(mktemp -d "$build/test-output/installed-XXXXXX")
fail=0
check() { # check COND-EXIT-STATUS WHAT
	if [ "$1" = 0 ]; then echo "ok   $2"; else echo "FAIL $2"; fail=1; fi
}
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$dest.log" 2>&1
check $? "meson install --destdir (log: $dest.log)"
prefix=$(meson introspect "$build" --buildoptions |
	/usr/bin/python3 -c 'import json,sys; o={x["name"]: x["value"] for x in json.load(sys.stdin)}; print(o["prefix"], o["libdir"], o["bindir"], o["datadir"], o["mandir"], o["includedir"])')
read -r pre libdir bindir datadir mandir includedir <<<"$prefix"
case $libdir in /*) ;; *) libdir=$pre/$libdir ;; esac
root=$dest$pre
lib=$dest$libdir
for f in "$pre/$bindir/swarmplay" "$lib/libswarmplay.so.0.1.0" "$lib/libswarmplay.so.0" \
	"$lib/libswarmplay.so" "$lib/swarmplay/swarmplay-player.so" "$lib/swarmplay/swarmplay-media.so" \
	"$pre/$includedir/swarmplay/swarmplay.h" "$pre/$includedir/swarmplay/player.h" \
	"$lib/pkgconfig/swarmplay.pc" "$pre/$mandir/man1/swarmplay.1" \
	"$pre/$datadir/applications/swarmplay.desktop" "$pre/$datadir/mime/packages/swarmplay-tstream.xml" \
	"$pre/$datadir/icons/hicolor/scalable/apps/swarmplay.svg" \
	"$pre/$datadir/metainfo/io.github.swarmplay.swarmplay.metainfo.xml" \
	"$pre/lib/systemd/user/swarmplay-kiosk.service"; do
	case $f in "$dest"*) ;; *) f=$dest$f ;; esac
	test -e "$f"; check $? "installed: ${f#"$dest"}"
done
"$root/$bindir/swarmplay" --version >/dev/null 2>&1
check $? "the installed program runs"
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs swarmplay)
check $? "pkg-config --cflags --libs swarmplay: $flags"
bin=$dest/examples
mkdir -p "$bin"
ex=$src/examples
# shellcheck disable=SC2046,SC2086
cc -o "$bin/frames" "$ex/frames.c" $flags $(pkg-config --cflags --libs libcrypto)
check $? "frames builds against the installed tree"
# shellcheck disable=SC2046,SC2086
cc -o "$bin/reader-only" "$ex/reader-only.c" $flags \
	$(pkg-config --cflags --libs libavformat libavcodec libavutil)
check $? "reader-only builds against the installed tree"
# shellcheck disable=SC2046,SC2086
cc -o "$bin/embed-sdl" "$ex/embed-sdl.c" $flags $(pkg-config --cflags --libs sdl2)
check $? "embed-sdl builds against the installed tree"
# the examples link the installed library, not the build tree's
deps=$(LD_LIBRARY_PATH=$lib ldd "$bin/frames")
[[ $deps == *"$lib/libswarmplay.so.0"* ]]
check $? "frames loads libswarmplay.so.0 from DESTDIR"
LD_LIBRARY_PATH=$lib /usr/bin/python3 "$src/tests/lib12/examples.py" --bindir "$bin"
rc=$?
check $rc "the installed examples run from a local swarm (examples.py: $rc)"
[ $fail = 0 ] && rm -rf "$dest" "$dest.log"
exit $fail
