#!/usr/bin/python3
"""e2e-hybrid.py MODE - the hybrid policy end to end: `swarmplay play` with a
capped libtorrent seeder and a web seed (nginx on 127.0.0.1, BEP 19
single-file form: the URL of the file itself), default --webseed fallback,
so the web seed is the source of last resort. The video is made now with
ffmpeg (6 s, x264 -threads 1, mp4 faststart) and turned into a .tstream by
`swarmplay create -w URL`. The server is capped per connection (see
ws_rate below; WS_RATE=bytes/s overrides, 0 = no cap; WS_MODE=always|never
replaces fallback, for comparing by hand). MODE:
  share         seeder capped at 3 x the bitrate: every frame hashes like
                ffmpeg's framemd5 of the source, no stall, and the web
                seed's share of the bytes is printed and must stay below a
                generous bound (the first pieces may come from the server
                while no peer has unchoked us yet; the bench owns the tight
                goal);
  share-fast    the same with a server as fast as loopback (nginx uncapped)
                and a 20 s clip: the server must not take the clip in the
                moment before the peer unchokes us, nor what the ramping
                peer brings a little late; its share is checked against a
                bound well above the 7-10 % measured (the first 2 s come
                from it while the peer's rate is unknown);
  webseed-503   seeder capped at 1.5 x the bitrate, --webseed always (so
                that the server surely has requests out); once the first
                frame is shown nginx answers 503 to everything: the web
                seed backs off (nginx logs the 503s, the player's log says
                why), and playback ends with every frame right, the peers
                carrying the rest;
  webseed-dies  seeder capped at 1.5 x the bitrate; once the first frame
                is shown nginx is stopped (SIGTERM): playback must still end
                with every frame right, the peers carrying the rest."""
import os, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm
import net_util as nu

mode = sys.argv[1] if len(sys.argv) > 1 else "share"
if mode not in ("share", "share-fast", "webseed-dies", "webseed-503"):
    swarm.fail("unknown mode " + mode)
fast = mode == "share-fast"
SECONDS = int(os.environ.get("WS_SECONDS", "20" if fast else "6"))
SHARE_BOUND = 0.25 if fast else 0.30
swarm.need("ffmpeg")
swarm.lt()
exe = swarm.swarmplay()
root = swarm.workdir("e2e-hybrid-" + mode)
seed_dir = os.path.join(root, "seed")
os.makedirs(seed_dir)
media = swarm.make_video(os.path.join(seed_dir, "clip.mp4"), "mp4", seconds=SECONDS,
                         bitrate="1000k")
ref = swarm.framemd5(media)
size = os.path.getsize(media)
logs = open(os.path.join(root, "servers.log"), "w")
# The web seed is a slow server: 16 KiB/s per connection (nginx lets the
# first second's worth through at once, so a 32 KiB request takes ~1 s).
# Uncapped on loopback it hands the whole file over in a few milliseconds,
# before the peer's handshake and unchoke, while the policy still counts on
# it (no usable peer yet): the share is then ~100 % whatever the policy does
# later. WS_RATE=0 (no cap) shows that case; the default measures the policy.
ws_rate = int(os.environ.get("WS_RATE", "0" if fast else "16384"))
fault = mode in ("webseed-dies", "webseed-503")
# webseed-503: the server turns to 503 the moment this file exists
flag = os.path.join(root, "answer-503")
extra = ("limit_rate %d;" % ws_rate if ws_rate else "") + (
    " if (-f %s) { return 503; }" % flag if mode == "webseed-503" else "")
ngx = nu.Nginx(root, seed_dir, logs, extra)  # skips (77) without nginx
url = ngx.url + "clip.mp4"
tstream = swarm.create_tstream(media, os.path.join(root, "clip.tstream"), ["-w", url])
rate = int(size / SECONDS * (1.5 if fault else 3.0))
assert rate < size
seeder = swarm.Seeder(tstream, seed_dir, rate)
print("%s: %d bytes (%.0f B/s), %d frames, seeder capped at %d B/s on %s, web seed %s "
      "capped at %d B/s per connection" % (mode, size, size / SECONDS, len(ref), rate,
                                           seeder.peer, url, ws_rate))
check = swarm.Checks()


def served_by_nginx():
    """Byte count nginx logged for GETs of the file (access log, combined
    format: the field after the status)."""
    total = 0
    try:
        with open(ngx.access_log) as f:
            for line in f:
                parts = line.split('"')
                if len(parts) > 2 and "/clip.mp4" in parts[1]:
                    fields = parts[2].split()
                    if len(fields) >= 2 and fields[1].isdigit():
                        total += int(fields[1])
    except OSError:
        pass
    return total


stats = os.path.join(root, "stats.json")
hashes = os.path.join(root, "frames.md5")
args = [tstream, "--peer", seeder.peer, "--no-tracker", "--no-video", "--no-audio",
        "--exit-at-end", "-d", os.path.join(root, "dl"), "--stats-json", stats,
        "--framehash", hashes,
        "--webseed", os.environ.get("WS_MODE", "always" if mode == "webseed-503" else "fallback")]
env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy", SWARMPLAY_LOG=os.environ.get("SWARMPLAY_LOG", "info"))
log_path = os.path.join(root, "play.log")
log = open(log_path, "w")
t0 = time.time()
p = subprocess.Popen([exe, "play"] + args, env=env, stdout=log, stderr=subprocess.STDOUT)
at_kill = None
while p.poll() is None and time.time() - t0 < 90:
    if fault and at_kill is None:
        try:
            st = swarm.read_json(stats)
        except (OSError, ValueError):
            st = {}
        if st.get("ttff_ms") is not None or st.get("frames_presented", 0) > 0:
            if mode == "webseed-dies":
                ngx.stop()
            else:
                open(flag, "w").close()
            at_kill = dict(st, t=time.time() - t0, nginx_rc=ngx.proc.returncode)
            print("nginx %s at %.2f s: %s" % ("stopped" if mode == "webseed-dies" else
                                              "answers 503", at_kill["t"], at_kill))
    time.sleep(0.05)
if p.poll() is None:
    p.kill()
rc = p.wait()
elapsed = time.time() - t0
log.close()
st = swarm.read_json(stats) if os.path.exists(stats) else {}
print("play: rc=%s %.2f s stats=%s" % (rc, elapsed, st))
got = swarm.read_hashes(hashes) if os.path.exists(hashes) else []
by = st.get("bytes", {})
peers_b, web_b = by.get("peers", 0), by.get("webseed", 0)
share = web_b / (peers_b + web_b) if peers_b + web_b else 0.0
print("bytes: peers %d, webseed %d, web seed share %.1f %%; nginx logged %d bytes sent; "
      "libtorrent uploaded %d" % (peers_b, web_b, 100 * share, served_by_nginx(),
                                  seeder.uploaded()))
print("ttff %s ms, download %s ms, stalls %s (%s ms), read_wait %s ms" % (
    st.get("ttff_ms"), st.get("download_ms"), st.get("stalls"), st.get("stall_ms"),
    st.get("read_wait_ms")))
if rc != 0:
    nu.show_log(log_path)
check(rc == 0, "exit 0 (rc %s)" % rc)
check(got == ref, "%d hashes equal ffmpeg's %d" % (len(got), len(ref)))
check(peers_b + web_b >= size * 0.99, "every byte came from peers or the web seed (%d of %d)" % (
    peers_b + web_b, size))
check(elapsed >= SECONDS * 0.8, "real-time paced (%.2f s)" % elapsed)
if not fault:
    check(st.get("stalls") == 0, "no stall (%s)" % st.get("stalls"))
    check(share <= SHARE_BOUND, "web seed share %.1f %% <= %.0f %% with a seeder at 3 x the "
          "bitrate" % (100 * share, 100 * SHARE_BOUND))
    check(peers_b > 0, "the seeder carried bytes (%d)" % peers_b)
else:
    check(at_kill is not None, "playback started before the end, the server failed then")
    if at_kill:
        check(at_kill.get("state") != "ended" and at_kill.get("download_ms") is None,
              "at the kill the download was still running (state %s, download_ms %s)" % (
                  at_kill.get("state"), at_kill.get("download_ms")))
        before = at_kill.get("bytes", {})
        print("at the kill: peers %s, webseed %s; after: peers %d (+%d), webseed %d (+%d)" % (
            before.get("peers"), before.get("webseed"), peers_b,
            peers_b - before.get("peers", 0), web_b, web_b - before.get("webseed", 0)))
        check(peers_b - before.get("peers", 0) > 0, "the peers carried bytes after the fault")
    if mode == "webseed-503":
        n503 = 0
        with open(ngx.access_log) as f:
            for line in f:
                parts = line.split('"')
                n503 += len(parts) > 2 and parts[2].split()[:1] == ["503"]
        check(n503 > 0, "nginx answered 503 to the web seed (%d times)" % n503)
        with open(log_path) as f:
            said = [l.strip() for l in f if "webseed" in l and "503" in l]
        check(len(said) > 0, "the player says why it backs off (%s)" % (said[:1] or "nothing"))
    print("stalls after the web seed died: %s (%s ms)" % (st.get("stalls"), st.get("stall_ms")))
seeder.stop()
check.finish()
