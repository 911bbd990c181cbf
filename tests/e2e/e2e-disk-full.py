#!/usr/bin/python3
"""e2e-disk-full.py - issue 11: `play` into a disk that fills at about 40 %
of the video: the error is said at once, the process does not spin while
the disk is full, and once there is room again (the tmpfs remounted
larger) playback goes on by itself to the end, every frame hashing as
ffmpeg's from the source. Before: it hung at the first piece it could not
write, forever (the piece was never asked for again). Needs to mount a
tmpfs (root): exits 77 otherwise."""
import os, shutil, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.environ["SP_SRCDIR"], "tests", "lib"))
import swarm

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
    env = dict(os.environ, SDL_AUDIODRIVER="dummy", SDL_VIDEODRIVER="dummy")
    logf = open(log, "w")
    t0 = time.time()
    proc = subprocess.Popen([exe, "play", ts, "-d", dl, "--peer", seeder.peer, "--no-tracker",
                             "--no-video", "--no-audio", "--exit-at-end", "--framehash", hashes,
                             "--stats-json", stats], stdout=logf, stderr=subprocess.STDOUT,
                            env=env)
    said = None
    while time.time() - t0 < 60 and proc.poll() is None:
        if "No space left" in open(log).read():
            said = time.time() - t0
            break
        time.sleep(0.05)  # poll for the condition
    if said is None:
        swarm.fail("no 'No space left' in 60 s:\n" + open(log).read()[-2000:])
    print("the disk-full error came %.1f s after the start" % said)

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
        swarm.fail("play exited while the disk was full (rc %s)" % proc.returncode)
    if used > 1.5:
        swarm.fail("play spins while the disk is full: %.2f s of CPU in 3 s" % used)
    subprocess.run(["mount", "-o", "remount,size=%dk" % (size * 3 // 1024 + 1024), mnt],
                   check=True)
    rc = proc.wait(timeout=180)
    if rc != 0:
        swarm.fail("play exited with %s after room came back:\n%s" % (rc, open(log).read()[-2000:]))
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
