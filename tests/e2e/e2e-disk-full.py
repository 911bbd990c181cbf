#!/usr/bin/python3
"""e2e-disk-full.py [play|download] - issue 11: a disk that fills at about
40 % of the video.

play: the video is played into it: the error is said at once, the process does not spin while
the disk is full, and once there is room again (the tmpfs remounted
larger) playback goes on by itself to the end, every frame hashing as
ffmpeg's from the source. Before: it hung at the first piece it could not
write, forever (the piece was never asked for again).

download: `swarmplay download` into it pauses instead of exiting: the
stats file says "state": "error" with the ENOSPC message and the
progress line "paused: disk full", the process neither exits nor spins,
and once the tmpfs is remounted larger it completes by itself (exit 0,
the copy byte-identical, the final stats "complete" with no error).
Before: exit 1 at the first piece it could not write.

Needs to mount a tmpfs (root): exits 77 otherwise."""
import os, shutil, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.environ["SP_SRCDIR"], "tests", "lib"))
import swarm

MODE = sys.argv[1] if len(sys.argv) > 1 else "play"
if MODE not in ("play", "download"):
    swarm.fail("usage: e2e-disk-full.py [play|download]")
swarm.need("ffmpeg")
exe = swarm.swarmplay()
work = swarm.workdir("disk-full")
mnt = tempfile.mkdtemp(prefix="sp-full-")
video = swarm.make_video(os.path.join(work, "v.mp4"), seconds=8, bitrate="1500k")
size = os.path.getsize(video)
limit_kb = max(64, int(size * 0.4) // 1024)
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk" % limit_kb, "tmpfs", mnt],
                  capture_output=True).returncode != 0:
    swarm.skip("cannot mount a tmpfs here (needs root)")
proc = None
try:
    ts = swarm.create_tstream(video, os.path.join(work, "v.tstream"))
    seeder = swarm.Seeder(ts, work)
    dl = os.path.join(mnt, "dl")
    hashes, stats, log = (os.path.join(work, n) for n in ("got.md5", "stats.json", "play.log"))
    env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy", LANGUAGE="C",
               LC_ALL="C")
    logf = open(log, "w")
    t0 = time.time()
    if MODE == "play":
        args = ["play", ts, "-d", dl, "--peer", seeder.peer, "--no-tracker", "--no-video",
                "--no-audio", "--exit-at-end", "--framehash", hashes, "--stats-json", stats]
    else:
        args = ["download", ts, "-d", dl, "--peer", seeder.peer, "--no-tracker",
                "--stats-json", stats]
    proc = subprocess.Popen([exe] + args, stdout=logf, stderr=subprocess.STDOUT, env=env)
    said = None
    while time.time() - t0 < 60 and proc.poll() is None:
        if "No space left" in open(log).read():
            said = time.time() - t0
            break
        time.sleep(0.05)  # poll for the condition
    if said is None:
        swarm.fail("no 'No space left' in 60 s:\n" + open(log).read()[-2000:])
    print("the disk-full error came %.1f s after the start" % said)
    if MODE == "play":
        def says_full():
            try:
                return swarm.read_json(stats).get("error") == "disk full"
            except (OSError, ValueError):
                return False
        while time.time() - t0 < 60 and proc.poll() is None and not says_full():
            time.sleep(0.05)  # poll for the condition
        if not says_full():
            swarm.fail("the play stats never said \"error\": \"disk full\"")
        print("play stats while full: error 'disk full'")
    if MODE == "download":
        def paused():
            try:
                st = swarm.read_json(stats)
            except (OSError, ValueError):
                return None
            return st if st.get("state") == "error" else None
        st = None
        while time.time() - t0 < 60 and proc.poll() is None and not st:
            st = paused()
            time.sleep(0.05)  # poll for the condition
        if not st:
            swarm.fail("the stats file never said \"state\": \"error\" (rc %s):\n%s" %
                       (proc.poll(), open(log).read()[-2000:]))
        if "No space" not in (st.get("error") or "") or st.get("error_code") != 28:
            swarm.fail("stats while the disk is full: error %r, error_code %r" %
                       (st.get("error"), st.get("error_code")))
        print("stats while full: state %s, error %r" % (st["state"], st["error"]))

    def cpu(pid):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    # the disk stays full for 3 s of the process's own waiting: it must not spin
    c0, w0 = cpu(proc.pid), time.time()
    while time.time() - w0 < 3 and proc.poll() is None:
        time.sleep(0.1)
    used = cpu(proc.pid) - c0
    print("CPU while the disk was full: %.2f s in %.1f s" % (used, time.time() - w0))
    if proc.poll() is not None:
        swarm.fail("%s exited while the disk was full (rc %s)" % (MODE, proc.returncode))
    if MODE == "download" and "paused: disk full" not in open(log).read():
        swarm.fail("no 'paused: disk full' on the progress lines:\n" + open(log).read()[-2000:])
    if used > 1.5:
        swarm.fail("play spins while the disk is full: %.2f s of CPU in 3 s" % used)
    subprocess.run(["mount", "-o", "remount,size=%dk" % (size * 3 // 1024 + 1024), mnt],
                   check=True)
    rc = proc.wait(timeout=180)
    if rc != 0:
        swarm.fail("%s exited with %s after room came back:\n%s" %
                   (MODE, rc, open(log).read()[-2000:]))
    if MODE == "download":
        if swarm.md5_file(os.path.join(dl, os.path.basename(video))) != swarm.md5_file(video):
            swarm.fail("the copy is not the video")
        st = swarm.read_json(stats)
        if st.get("state") != "complete" or st.get("error") is not None:
            swarm.fail("final stats: state %r, error %r" % (st.get("state"), st.get("error")))
        print("ok: paused at %.1f s with the error in the stats, no spin, complete and "
              "byte-identical once there was room" % said)
        sys.exit(0)
    err = swarm.check_run(swarm.framemd5(video), swarm.read_hashes(hashes))
    if err:
        swarm.fail("frames: " + err)
    print("ok: the error at %.1f s, no spin, played to the end with every frame right "
          "once there was room" % said)
finally:
    if proc and proc.poll() is None:
        proc.kill()
        proc.wait()
    subprocess.run(["umount", mnt], capture_output=True)
    shutil.rmtree(mnt, ignore_errors=True)
