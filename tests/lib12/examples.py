#!/usr/bin/python3
"""examples.py - the three embedding examples (examples/), built against
libswarmplay, run headless (SDL's dummy drivers) from a real local swarm:
a libtorrent seeder on 127.0.0.1 holding a video made with ffmpeg.

  frames       the player's frame callback: every frame's MD5 equals
               ffmpeg's framemd5 of the source, from the swarm and from
               the local file
  reader-only  the torrent's file through an sp_reader into the example's
               own libavformat: the same hashes
  embed-sdl    the host's window and loop: plays the torrent to the end

With --prefix DIR the examples are the ones built from an installed tree
(tests/lib12/installed.sh); by default the build tree's (SP_EXAMPLES)."""
import os, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

bindir = os.environ.get("SP_EXAMPLES", "")
if len(sys.argv) > 2 and sys.argv[1] == "--bindir":
    bindir = sys.argv[2]
if not bindir or not os.path.exists(os.path.join(bindir, "frames")):
    swarm.skip("the examples are not built (SP_EXAMPLES)")
swarm.need("ffmpeg")
root = swarm.workdir("lib12-examples")
check = swarm.Checks()

media_dir = os.path.join(root, "seed")
os.makedirs(media_dir)
media = swarm.make_video(os.path.join(media_dir, "clip.mp4"), "mp4", seconds=4)
ref = swarm.framemd5(media)
tstream = swarm.create_tstream(media, os.path.join(root, "clip.tstream"))
seeder = swarm.Seeder(tstream, media_dir)

env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")


def run(name, args, timeout=120):
    """rc, stdout lines, stderr of an example."""
    try:
        r = subprocess.run([os.path.join(bindir, name)] + args, capture_output=True, text=True,
                           env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, [], "timed out"
    return r.returncode, r.stdout.split(), r.stderr


def same(got, what):
    why = "ok" if got == ref else "%d frames vs ffmpeg's %d, first difference at %d" % (
        len(got), len(ref), next((i for i, (a, b) in enumerate(zip(got, ref)) if a != b),
                                 min(len(got), len(ref))))
    check(got == ref, "%s: %s" % (what, why))


rc, got, err = run("frames", [media])
check(rc == 0, "frames on the local file exits 0 (%s) %s" % (rc, err[-300:]))
same(got, "frames, local file")

rc, got, err = run("frames", [tstream, os.path.join(root, "dl-frames"), seeder.peer])
check(rc == 0, "frames from the swarm exits 0 (%s) %s" % (rc, err[-300:]))
same(got, "frames, from the swarm")
check('"ttff_ms": ' in err and '"ttff_ms": null' not in err,
      "frames: the stats snapshot has the time to first frame")

rc, got, err = run("reader-only", [tstream, os.path.join(root, "dl-reader"), seeder.peer])
check(rc == 0, "reader-only exits 0 (%s) %s" % (rc, err[-300:]))
same(got, "reader-only, from the swarm")

rc, out, err = run("embed-sdl", [tstream, os.path.join(root, "dl-sdl"), seeder.peer])
check(rc == 0, "embed-sdl plays the torrent to the end (%s) %s" % (rc, err[-300:]))
text = " ".join(out)
check("done at" in text, "embed-sdl says where it ended: " + text)
seeder.stop()
check.finish()
