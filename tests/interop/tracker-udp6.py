#!/usr/bin/python3
"""tracker-udp6.py - BEP 15 over IPv6 with a real tracker (issue 14): the
npm bittorrent-tracker server (a dependency of peerflix in build-npm/)
listens on [::1] only, UDP and HTTP. `swarmplay seed` announces to
udp://[::1]:U (the tracker sees it come from ::1 over its IPv6 socket);
a libtorrent leecher on [::1] announces over HTTP, is given swarmplay's
IPv6 address (peers6), and downloads the torrent from it, byte-identical.
(The other way, peers given over UDP to swarmplay, cannot be shown with
this tracker: its UDP answers hold IPv4 peers only; opentracker from
Debian is built IPv4-only. test-tracker-udp covers 18-byte peers.)
Skips (77) without node, the npm package or ::1."""
import json, os, shutil, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
npm = os.environ.get("SP_NPM_DIR", os.path.join(os.environ.get("SP_SRCDIR", "."), "build-npm"))
mod = os.path.join(npm, "node_modules", "bittorrent-tracker")
if not shutil.which("node") or not os.path.isdir(mod):
    nu.skip("node or the npm bittorrent-tracker package is missing (tests/deps.sh)")
nu.need_ipv6()
w = nu.workdir("tracker-udp6")

script = os.path.join(w, "tracker.js")
with open(script, "w") as f:
    f.write("""
const Server = require(%s).Server;
const s = new Server({udp: true, http: true, ws: false, stats: false});
s.on('error', e => { console.error('error ' + e.message); process.exit(1); });
s.on('warning', e => console.error('warning ' + e.message));
const orig = s.onUdpRequest.bind(s);
s.onUdpRequest = (msg, rinfo) => {
  if (msg.length >= 98 && msg.readUInt32BE(8) === 1)
    console.log(JSON.stringify({udp_announce: rinfo.family, from: rinfo.address,
                                port: msg.readUInt16BE(96)}));
  orig(msg, rinfo);
};
s.listen({http: 0, udp: 0}, {http: '::1', udp: '127.0.0.1', udp6: '::1'}, () => {
  console.log(JSON.stringify({http: s.http.address().port, udp6: s.udp6.address().port}));
});
""" % json.dumps(mod))
tlog = open(os.path.join(w, "tracker.log"), "w+")
tracker = subprocess.Popen(["node", script], stdout=subprocess.PIPE, stderr=tlog, text=True)
try:
    first = tracker.stdout.readline()
    if not first:
        tlog.seek(0)
        nu.fail("the tracker did not start: " + tlog.read()[-500:])
    ports = json.loads(first)
    src = os.path.join(w, "seed")
    content = nu.make_payload(src)
    torrent = os.path.join(w, "t.torrent")
    ih = nu.make_torrent(lt, content, torrent,
                         trackers=["udp://[::1]:%d/announce" % ports["udp6"],
                                   "http://[::1]:%d/announce" % ports["http"]])
    seed_log = os.path.join(w, "seed.log")
    seeder, sp_port = nu.start_swarmplay_port(["seed", torrent, src, "--no-dht",
                                               "--exit-after", "150"], seed_log)
    # the tracker saw swarmplay's announce over its IPv6 UDP socket
    seen = None
    end = time.time() + 60
    while time.time() < end and not seen:
        line = tracker.stdout.readline()
        if not line:
            break
        m = json.loads(line)
        if m.get("udp_announce") == "IPv6" and m.get("port") == sp_port:
            seen = m
    if not seen:
        nu.show_log(seed_log)
        nu.fail("the tracker got no UDP announce over IPv6 from swarmplay (port %d)" % sp_port)
    print("the tracker: a UDP announce from [%s], port %d" % (seen["from"], seen["port"]))
    ses = lt.session({"listen_interfaces": "[::1]:0", "enable_dht": False, "enable_lsd": False,
                      "enable_upnp": False, "enable_natpmp": False, "announce_to_all_tiers": True,
                      "announce_to_all_trackers": True, "alert_mask": 0,
                      "allow_multiple_connections_per_ip": True})
    h = ses.add_torrent({"ti": lt.torrent_info(torrent), "save_path": os.path.join(w, "lt")})
    t0 = time.time()
    end = time.time() + 90
    while time.time() < end and not h.status().is_seeding:
        time.sleep(0.2)
    ok = h.status().is_seeding
    nu.stop(seeder)
    if not ok:
        nu.show_log(seed_log)
        nu.fail("libtorrent did not get the torrent from swarmplay over IPv6 (peers: %d)"
                % h.status().num_peers)
    diff = nu.same_tree(content, os.path.join(w, "lt", "payload"))
    if diff:
        nu.fail("libtorrent: " + diff)
    print("ok: libtorrent on [::1] found swarmplay through the tracker and completed in %.1f s"
          % (time.time() - t0))
finally:
    tracker.kill()
    tracker.wait()
