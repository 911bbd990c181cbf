#!/usr/bin/python3
"""config-file.py - swarmplay.conf. In $XDG_CONFIG_HOME/swarmplay/: start=2
and volume=40 (with a comment, a blank line, spaces around '=', a quoted
value and a line that is no option) change the play: the frames are the
run from 2 s (ffmpeg's framemd5), the stats file says volume 40, stderr
names the bad line. The command line wins: --start 0 --volume 70 play
every frame at volume 70. A file whose option is unknown is a usage
error (exit 2), as on the command line. --no-config leaves the file
out: every frame, volume 100."""
import os, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

root = swarm.workdir("config-file")
media = swarm.make_video(os.path.join(root, "v.mp4"), "mp4", seconds=4)
ref = swarm.framemd5(media)
conf_dir = os.path.join(root, "config", "swarmplay")
os.makedirs(conf_dir)
conf = os.path.join(conf_dir, "swarmplay.conf")
with open(conf, "w") as f:
    f.write("# mine\nstart = 2\n\nvolume=\"40\"\nno-resume\nthis is no option\n")
env = {"XDG_CONFIG_HOME": os.path.join(root, "config")}
errors = []


def run(name, extra):
    hashes, stats = os.path.join(root, name + ".md5"), os.path.join(root, name + ".json")
    rc, out = swarm.play([media, "--fast", "--exit-at-end", "--framehash", hashes,
                          "--stats-json", stats] + extra, env=env, timeout=60)
    if rc != 0:
        return rc, out, [], {}
    return rc, out, swarm.read_hashes(hashes), swarm.read_json(stats)


rc, out, got, st = run("conf", [])
why = swarm.check_run(ref, got) or (None if len(got) < len(ref) else "every frame: no start=2")
print("from the file: exit %s, %d/%d frames (%s), volume %s" % (rc, len(got), len(ref),
                                                               why or "a run from 2 s",
                                                               st.get("volume")))
if rc != 0 or why:
    errors.append("start=2 from the file: exit %s, %s" % (rc, why))
if st.get("volume") != 40:
    errors.append("volume=\"40\" from the file: the stats say %s" % st.get("volume"))
if "swarmplay.conf:6:" not in out:
    errors.append("the bad line 6 is not named: %r" % out[-300:])
rc, out, got, st = run("cmdline", ["--start", "0", "--volume", "70"])
print("command line over it: exit %s, %d/%d frames, volume %s" % (rc, len(got), len(ref),
                                                                 st.get("volume")))
if rc != 0 or got != ref or st.get("volume") != 70:
    errors.append("the command line does not win: exit %s, %d/%d frames, volume %s"
                  % (rc, len(got), len(ref), st.get("volume")))
rc, out, got, st = run("noconfig", ["--no-config"])
print("--no-config: exit %s, %d/%d frames, volume %s" % (rc, len(got), len(ref), st.get("volume")))
if rc != 0 or got != ref or st.get("volume") != 100:
    errors.append("--no-config still reads the file: exit %s, %d/%d frames, volume %s"
                  % (rc, len(got), len(ref), st.get("volume")))
with open(conf, "a") as f:
    f.write("no-such-option=1\n")
rc, out, got, st = run("unknown", [])
print("unknown option in the file: exit %s" % rc)
if rc != 2:
    errors.append("an unknown option in the file: exit %s, not 2" % rc)
if errors:
    swarm.fail("; ".join(errors))
