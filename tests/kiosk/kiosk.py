#!/usr/bin/python3
"""kiosk.py - `swarmplay kiosk PLAYLIST` headless (SDL dummy drivers),
against a real nginx serving the playlist and a real libtorrent seeder.

  loop      the list (a .tstream by a relative URL, a bad line, a local
            file) plays in order, round and round: every play's frames
            hash as ffmpeg's framemd5 of that item; the bad line is
            reported with its number and skipped; the status page names
            the item playing;
  refetch   POST /reload: the unchanged list is "not modified" (304), an
            edited one is version 2 (its items keep their state), an HTML
            error page is refused and says so, the last good list plays on;
  prefetch  a list of a 12 s local clip and two torrents: while the clip
            plays, both torrents download, in list order, and are
            complete before their turn;
  cache     --cache-max 1 byte, a day later, the list without the first
            torrent: that one is removed, the listed one stays (pinned)
            and plays from the cache with no peer;
  away      nginx stops: a reload fails, says why, and the last good
            list plays on;
  reboot    the kiosk restarts with nginx and the seeder gone: the list
            from the disk cache, both items play (the torrent's data and
            its .tstream from the cache), frames right;
  control   --http-token: no token 401, ?token= and Bearer 200; POST /next
            and /prev end a 30 s item within seconds, to the item after it
            and the one before;
  lan       a second kiosk on the same host, given only the .tstream and
            no peer: it finds the first by LSD (on loopback) and takes
            the whole video from it, counted in bytes (the seeder is
            gone: nothing else has it); a missing item beside it is
            skipped, says why, and is tried again."""
import json, os, shutil, subprocess, sys, time, urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm
import net_util as nu

swarm.need("ffmpeg")
exe = swarm.swarmplay()
swarm.lt()
root = swarm.workdir("kiosk")
check = swarm.Checks()
logs = open(os.path.join(root, "clients.log"), "w")

www = os.path.join(root, "www")
seed_dir = os.path.join(root, "seed")
os.makedirs(www)
os.makedirs(seed_dir)
clip = swarm.make_video(os.path.join(seed_dir, "clip.mp4"), "mp4", seconds=2, bitrate="400k")
local = swarm.make_video(os.path.join(root, "local.mkv"), "mkv", seconds=1)
refs = [swarm.framemd5(clip), swarm.framemd5(local)]
size = os.path.getsize(clip)
tstream = swarm.create_tstream(clip, os.path.join(www, "clip.tstream"))
with open(os.path.join(www, "list.m3u"), "w") as f:
    f.write("#EXTM3U\n#EXTINF:-1,Swarm clip\nclip.tstream\n"
            "ftp://example.invalid/x.torrent\n"
            "#EXTINF:-1,Local clip\n%s\n" % local)
seeder = swarm.Seeder(tstream, seed_dir)
ngx = nu.Nginx(root, www, logs)
list_url = ngx.url + "list.m3u"


class Kiosk:
    def __init__(self, name, src, extra):
        self.port = swarm.free_port()
        self.fh = os.path.join(root, name + "-hashes")
        os.makedirs(self.fh, exist_ok=True)
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
                   XDG_CACHE_HOME=os.path.join(root, name + "-cache"))
        self.log = open(os.path.join(root, name + ".log"), "a")
        self.p = subprocess.Popen([exe, "kiosk", src, "--no-audio", "--no-tracker", "--no-dht",
                                   "--http", "127.0.0.1:%d" % self.port,
                                   "--framehash-dir", self.fh] + extra,
                                  env=env, stdout=self.log, stderr=subprocess.STDOUT)

    token = None

    def status(self):
        q = "?token=" + self.token if self.token else ""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/status%s" % (self.port, q),
                                        timeout=10) as r:
                return json.load(r)
        except OSError:
            return None

    def post(self, what):
        req = urllib.request.Request("http://127.0.0.1:%d/%s" % (self.port, what), data=b"",
                                     method="POST")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status

    def wait(self, cond, what, timeout=180):
        end = time.time() + timeout
        st = None
        while time.time() < end:
            if self.p.poll() is not None:
                swarm.fail("%s: the kiosk exited (%s)" % (what, self.p.returncode))
            st = self.status()
            if st and cond(st):
                return st
            time.sleep(0.2)
        swarm.fail("%s: not within %d s; last status %s" % (what, timeout, st))

    def plays(self):
        """[(item index, hashes)] of every finished play, in order."""
        out = []
        for n in sorted(os.listdir(self.fh)):
            idx = int(n.split("-")[1].split(".")[0])
            out.append((idx, swarm.read_hashes(os.path.join(self.fh, n))))
        return out

    def stop(self):
        rc = swarm.terminate(self.p)
        self.log.close()
        return rc


def check_plays(k, what, first, count):
    got = k.plays()[first:first + count]
    order = [i for i, _ in got]
    check(len(got) == count, "%s: %d plays finished (%d)" % (what, count, len(got)))
    want = [(order[0] + j) % 2 for j in range(len(order))] if order else []
    check(order == want, "%s: the items in list order, round and round (%s)" % (what, order))
    bad = [(i, len(h)) for i, h in got if h != refs[i]]
    check(not bad, "%s: every play's frames are ffmpeg's framemd5 of its item (wrong: %s)"
          % (what, bad))


# loop: two rounds, the status names the item playing
a = Kiosk("a", list_url, ["--peer", seeder.peer, "--refresh", "60"])
seen = set()


def playing(st):
    cur = st.get("current")
    if cur:
        seen.add((cur["index"], cur["src"], cur["title"]))
    return st["plays"] >= 4


st = a.wait(playing, "loop")
want_seen = {(0, ngx.url + "clip.tstream", "Swarm clip"), (1, local, "Local clip")}
check(seen == want_seen, "loop: the status named each item while it played (%s)" % sorted(seen))
check(st["bad_lines"] == 1 and st["errors"] and st["errors"][0]["line"] == 4,
      "loop: the bad line reported with its number (%s)" % st["errors"])
with open(os.path.join(root, "a.log")) as f:
    out = f.read()
check("line 4 skipped" in out, "loop: the bad line said on stderr")
check(st["version"] == 1 and st["last_fetch"]["result"] == "ok",
      "loop: list version 1, fetched ok (%s)" % st["last_fetch"])
t = st["items"][0]["cache"]
check(t["state"] == "complete" and t["pinned"] and t["have"] == size,
      "loop: the torrent's data complete and pinned in the cache (%s)" % t)
a.wait(lambda s: len(a.plays()) >= 4, "loop: hashes written", 60)
check_plays(a, "loop", 0, 4)


# the list again: unchanged (304), edited (version 2, the items keep their
# state), malformed (an error page: the last good list stays)
def reload(k, what):
    n = k.status()["last_fetch"]["count"]
    check(k.post("reload") == 202, what + ": POST /reload accepted")
    return k.wait(lambda s: s["last_fetch"]["count"] > n, what)


st = reload(a, "refetch")
check(st["last_fetch"]["result"] == "not modified",
      "refetch: the unchanged list is not modified (%s)" % st["last_fetch"]["result"])
with open(os.path.join(www, "list.m3u"), "a") as f:
    f.write("# edited\n")
st = reload(a, "edited")
check(st["last_fetch"]["result"] == "ok", "edited: fetched (%s)" % st["last_fetch"]["result"])
st = a.wait(lambda s: s["version"] == 2, "edited: applied between two plays")
check(st["items"][0]["plays"] >= 2 and st["items"][0]["cache"]["state"] == "complete",
      "edited: the items that stay keep their state (%s plays, %s)"
      % (st["items"][0]["plays"], st["items"][0]["cache"]["state"]))
with open(os.path.join(www, "list.m3u"), "w") as f:
    f.write("<html><body><h1>502 Bad Gateway</h1></body></html>\n")
st = reload(a, "malformed")
check(st["last_fetch"]["result"].startswith("malformed") and "HTML" in st["last_fetch"]["result"],
      "malformed: refused, and why (%s)" % st["last_fetch"]["result"])
before = st["plays"]
st = a.wait(lambda s: s["plays"] >= before + 1, "malformed: plays on")
check(st["version"] == 2 and len(st["items"]) == 2, "malformed: the last good list plays on")

# prefetch: while a local clip plays, the listed torrents download
clip2 = swarm.make_video(os.path.join(seed_dir, "clip2.mp4"), "mp4", seconds=1, bitrate="400k")
t2 = swarm.create_tstream(clip2, os.path.join(www, "clip2.tstream"))
seeder2 = swarm.Seeder(t2, seed_dir)
long6 = swarm.make_video(os.path.join(root, "long6.mkv"), "mkv", seconds=12, size="160x120")
pre_list = os.path.join(root, "prefetch.m3u")
with open(pre_list, "w") as f:
    f.write("%s\n%s\n%s\n" % (long6, tstream, t2))
e = Kiosk("e", pre_list, ["--peer", seeder.peer, "--peer", seeder2.peer, "--no-lsd"])
order = []


def prefetched(st):
    if not st["current"]:
        return False
    states = [it["cache"]["state"] for it in st["items"][1:]]
    if not order or order[-1] != states:
        order.append(states)
    return st["current"]["index"] != 0 or states == ["complete", "complete"]


st = e.wait(prefetched, "prefetch")
check(st["current"]["index"] == 0,
      "prefetch: both torrents complete while the local clip plays (%s)" % order)
check(["not yet", "downloading"] not in order and ["not yet", "complete"] not in order,
      "prefetch: in list order, one at a time (%s)" % order)
hashes = [it.get("infohash") for it in st["items"][1:]]
check(e.stop() == 0, "prefetch: the kiosk ends with exit 0")
seeder2.stop()

# cache: under --cache-max, an item no longer listed goes (least recently
# played first); a listed one stays, pinned, and plays with no peer at all
ecache = os.path.join(root, "e-cache", "swarmplay")
dirs = [os.path.join(ecache, h or "?") for h in hashes]
check(all(os.path.isdir(d) for d in dirs), "cache: both torrents in the cache (%s)" % hashes)
old = time.time() - 86400  # played a day ago: no trim spares them for being recent
for d in dirs:
    for dp, _, files in os.walk(d):
        for n in files + [""]:
            os.utime(os.path.join(dp, n), (old, old))
cache_list = os.path.join(root, "cache.m3u")
with open(cache_list, "w") as f:
    f.write("%s\n%s\n" % (local, t2))
shutil.rmtree(e.fh)
e = Kiosk("e", cache_list, ["--cache-max", "1", "--no-lsd"])
st = e.wait(lambda s: s["plays"] >= 2, "cache")
check(not os.path.exists(dirs[0]), "cache: the torrent no longer listed was removed")
check(os.path.isdir(dirs[1]) and st["items"][1]["cache"].get("pinned"),
      "cache: the listed one stays, pinned (%s)" % st["items"][1]["cache"])
e.wait(lambda s: len(e.plays()) >= 2, "cache: hashes written", 60)
got = [h for i, h in e.plays() if i == 1]
check(got and got[0] == swarm.framemd5(clip2),
      "cache: it plays from the cache, no peer (frames right)")
check(e.stop() == 0, "cache: the kiosk ends with exit 0")

# away: the playlist server goes, the last good list plays on
ngx.stop()
before = a.status()["plays"]
check(a.post("reload") == 202, "away: POST /reload accepted")
st = a.wait(lambda s: s["last_fetch"]["result"].startswith("failed"), "away: the failed fetch")
check("last good list" in st["last_fetch"]["result"],
      "away: the status says why (%s)" % st["last_fetch"]["result"])
st = a.wait(lambda s: s["plays"] >= before + 2, "away: plays on")
check(st["version"] == 2 and len(st["items"]) == 2, "away: the same list (version %d)"
      % st["version"])
check(a.stop() == 0, "away: SIGTERM ends the kiosk with exit 0")

# reboot: no playlist server, no seeder: the disk cache plays
seeder.stop()
shutil.rmtree(a.fh)
b = Kiosk("a", list_url, ["--refresh", "60"])
st = b.wait(lambda s: s["plays"] >= 2 and s["last_fetch"]["at"] > 0, "reboot")
check(st["from_cache"] and st["version"] == 1,
      "reboot: the list from the disk cache (from_cache %s)" % st["from_cache"])
check(st["last_fetch"]["result"].startswith("failed"),
      "reboot: the fetch failed and says so (%s)" % st["last_fetch"]["result"])
b.wait(lambda s: len(b.plays()) >= 2, "reboot: hashes written", 60)
check_plays(b, "reboot", 0, 2)

# control: a token, next and prev
long0 = swarm.make_video(os.path.join(root, "long0.mkv"), "mkv", seconds=30, size="160x120")
long2 = swarm.make_video(os.path.join(root, "long2.mkv"), "mkv", seconds=30, size="160x120")
ctl_list = os.path.join(root, "ctl.m3u")
with open(ctl_list, "w") as f:
    f.write("%s\n%s\n%s\n" % (long0, local, long2))
d = Kiosk("d", ctl_list, ["--http-token", "s3cret", "--no-lsd"])
end = time.time() + 60
code = None
while time.time() < end and code is None:
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/status" % d.port, timeout=10)
        code = 200
    except urllib.error.HTTPError as e:
        code = e.code
    except OSError:
        time.sleep(0.2)
check(code == 401, "control: no token, 401 (%s)" % code)
d.token = "s3cret"
d.wait(lambda s: s["current"] and s["current"]["index"] == 0 and
       s["current"]["position_s"] > 0.5, "control: the first item plays")
t0 = time.time()
check(d.post("next") == 202, "control: POST /next accepted (Bearer)")
d.wait(lambda s: s["current"] and s["current"]["index"] != 0, "control: next", 20)
st = d.wait(lambda s: s["current"] and s["current"]["index"] == 2 and
            s["current"]["position_s"] > 0.5, "control: the third item plays", 30)
cut = d.plays()[0]
check(cut[0] == 0 and 0 < len(cut[1]) < 30 * 25 and cut[1] == swarm.framemd5(long0)[:len(cut[1])],
      "control: next cut the 30 s item short (%d of %d frames, right ones; %.1f s)"
      % (len(cut[1]), 30 * 25, time.time() - t0))
check(d.post("prev") == 202, "control: POST /prev accepted")
st = d.wait(lambda s: s["current"] and s["current"]["index"] == 1, "control: prev", 20)
check(d.stop() == 0, "control: the kiosk ends with exit 0")

# lan: a second kiosk finds the first by LSD and takes the video from it
lan_list = os.path.join(root, "lan.m3u")
with open(lan_list, "w") as f:
    f.write("#EXTM3U\n%s\n%s\n" % (tstream, os.path.join(root, "not-there.mkv")))
up0 = b.status()["items"][0]["cache"]["uploaded"]
c = Kiosk("c", lan_list, [])
end = time.time() + 60
st = None
while time.time() < end:
    st = c.status()
    item = st and st["items"] and st["items"][0]["cache"]
    if item and item.get("from_peers", 0) > 0:
        break
    time.sleep(0.2)
else:
    c.stop()
    b.stop()
    if check.errors:  # what failed before counts: never hidden behind a skip
        check.finish()
    swarm.skip("no multicast on loopback here: the second kiosk found no LSD peer in 60 s")
st = c.wait(lambda s: s["plays"] >= 1 and s["items"][0]["cache"].get("state") == "complete",
            "lan")
got = st["items"][0]["cache"]
up = b.status()["items"][0]["cache"]["uploaded"] - up0
print("lan: the second kiosk took %d bytes from peers, the first uploaded %d (file %d)"
      % (got["from_peers"], up, size))
check(got["from_peers"] >= size * 0.99, "lan: the whole video came from a peer (%d of %d)"
      % (got["from_peers"], size))
check(up >= size * 0.99, "lan: the first kiosk sent it (%d bytes)" % up)
c.wait(lambda s: len(c.plays()) >= 1, "lan: hashes written", 60)
check(c.plays()[0][1] == refs[0], "lan: its frames are ffmpeg's framemd5")
st = c.wait(lambda s: s["items"][1]["fails"] >= 2, "lan: a missing item retried", 120)
bad = st["items"][1]
check("No such file" in bad["error"] and st["items"][0]["plays"] >= 2,
      "lan: the missing item skipped, said why (%s), tried again (%d times) while the other "
      "plays on (%d plays)" % (bad["error"], bad["fails"], st["items"][0]["plays"]))
check(c.stop() == 0, "lan: the second kiosk ends with exit 0")
check(b.stop() == 0, "reboot: the kiosk ends with exit 0")

check.finish()
