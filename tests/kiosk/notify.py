#!/usr/bin/python3
"""notify.py - the kiosk under systemd's notify protocol, with libsystemd's
sd_notify talking to a socket of the test's own (NOTIFY_SOCKET, as
systemd sets it for Type=notify, and WATCHDOG_USEC=3 s): READY=1, then
STATUS=playing with the item's title, WATCHDOG=1 pings all along the
plays (one every 1.5-3 s, over several seconds), and
STOPPING=1 on SIGTERM."""
import os, socket, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
exe = swarm.swarmplay()
root = swarm.workdir("kiosk-notify")
check = swarm.Checks()
clip = swarm.make_video(os.path.join(root, "a.mkv"), "mkv", seconds=1, size="160x120")
lst = os.path.join(root, "list.m3u")
with open(lst, "w") as f:
    f.write("#EXTINF:-1,Notify clip\n%s\n" % clip)
path = os.path.join(root, "notify.sock")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.settimeout(0.5)
env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", NOTIFY_SOCKET=path,
           WATCHDOG_USEC="3000000", XDG_CACHE_HOME=os.path.join(root, "cache"))
env.pop("WATCHDOG_PID", None)
log = os.path.join(root, "kiosk.log")
k = subprocess.Popen([exe, "kiosk", lst, "--no-audio", "--no-lsd", "--no-dht"], env=env,
                     stdout=open(log, "w"), stderr=subprocess.STDOUT)
msgs = []
pings_at = []
end = time.time() + 120
while time.time() < end and k.poll() is None:
    try:
        m = sock.recv(4096).decode()
    except socket.timeout:
        with open(log) as f:
            if "has no libsystemd" in f.read():
                swarm.terminate(k)
                swarm.skip("built without libsystemd's sd-daemon.h")
        continue
    msgs.append(m)
    if "WATCHDOG=1" in m:
        pings_at.append(time.time())
    if len(pings_at) >= 5:
        break
rc = swarm.terminate(k)
try:
    while True:
        msgs.append(sock.recv(4096).decode())
except (socket.timeout, OSError):
    pass
first = msgs[0] if msgs else ""
check("READY=1" in first, "READY=1 first (%r)" % first[:80])
check(any("STATUS=playing Notify clip" in m for m in msgs), "STATUS= names the item playing")
gaps = [b - a for a, b in zip(pings_at, pings_at[1:])]
check(len(pings_at) >= 5, "watchdog pings while playing (%d)" % len(pings_at))
check(gaps and max(gaps) < 3.0, "a ping within every WatchdogSec (largest gap %.2f s)"
      % (max(gaps) if gaps else -1))
check(any("STOPPING=1" in m for m in msgs[-3:]), "STOPPING=1 at the end")
check(rc == 0, "SIGTERM ends it with exit 0 (%s)" % rc)
check.finish()
