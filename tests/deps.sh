#!/bin/bash
# deps.sh - install what swarmplay needs to build and test on Debian 12.
# Idempotent: does nothing when everything is there. Uses sudo when not root.
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev gettext
      libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
      libsdl2-dev libass-dev fonts-dejavu-core libcurl4-openssl-dev libevent-dev libssl-dev
      libminiupnpc-dev libnatpmp-dev libsystemd-dev
      ffmpeg transmission-cli aria2 python3-libtorrent opentracker nginx-light iproute2
      mktorrent strace stress mpv chromium miniupnpd-nftables nftables xvfb x11-utils desktop-file-utils libxml2-utils imagemagick groff-base appstream debhelper lintian nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# nodejs/npm may come from elsewhere on the machine: accept what is on PATH
if command -v node >/dev/null && command -v npm >/dev/null; then
	missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ]; then
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "deps: installing ${missing[*]}"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# npm packages for interop and benchmarks live in a cache outside the tree
here=$(cd "$(dirname "$0")/.." && pwd)
npmdir=${SP_NPM_DIR:-$here/build-npm}
if [ ! -d "$npmdir/node_modules/webtorrent-fixtures" ] && command -v npm >/dev/null; then
	mkdir -p "$npmdir"
	(cd "$npmdir" && [ -f package.json ] || echo '{"private":true}' > package.json
	 npm install --ignore-scripts --no-audit --no-fund webtorrent-fixtures peerflix@0.39 >/dev/null 2>&1) \
	 || echo "deps: npm install failed (interop tests that need it will say so)"
fi
