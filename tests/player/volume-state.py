#!/usr/bin/python3
"""volume-state.py - the volume and mute persist. A play with --volume 37
--mute leaves $XDG_STATE_HOME/swarmplay/volume saying so (no temporary
file beside it); the next play without options starts at 37, muted (the
stats file says so, and its own quit keeps them); --volume 80 wins over
the saved volume while the mute is still restored; --mute=no wins over the
saved mute; a --fast play (scripts) neither reads nor writes it; a
damaged file is as none (volume 100, not muted). SDL dummy drivers."""
import os, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
root = swarm.workdir("volume-state")
state = os.path.join(root, "state")
saved = os.path.join(state, "swarmplay", "volume")
media = swarm.make_video(os.path.join(root, "v.mp4"), "mp4", seconds=1)
env = {"XDG_STATE_HOME": state, "XDG_CONFIG_HOME": os.path.join(root, "config")}
errors = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        errors.append(what)


def run(name, extra):
    """(exit, stats at the end, the saved file's text)."""
    stats = os.path.join(root, name + ".json")
    rc, out = swarm.play([media, "--no-resume", "--exit-at-end", "--stats-json", stats] + extra,
                         env=env, timeout=60, log=os.path.join(root, name + ".log"))
    try:
        st = swarm.read_json(stats)
    except (OSError, ValueError):
        st = {}
    try:
        with open(saved) as f:
            text = f.read()
    except OSError:
        text = None
    print("%s %s: exit %s, volume %s, muted %s, saved %r" % (
        name, extra, rc, st.get("volume"), st.get("muted"), text))
    return rc, st, text


rc, st, text = run("first", ["--volume", "37", "--mute"])
check(rc == 0 and text == "volume=37\nmute=yes\n",
      "the first play's quit saves volume 37, muted (%r)" % text)
check(not [n for n in os.listdir(os.path.dirname(saved)) if n.endswith(".tmp")],
      "no temporary file is left beside it")
rc, st, text = run("again", [])
check(rc == 0 and st.get("volume") == 37 and st.get("muted") is True,
      "the next play starts at 37, muted (%s, %s)" % (st.get("volume"), st.get("muted")))
check(text == "volume=37\nmute=yes\n", "and quits with them (%r)" % text)
rc, st, text = run("volume", ["--volume", "80"])
check(st.get("volume") == 80 and st.get("muted") is True,
      "--volume 80 wins, the mute is restored (%s, %s)" % (st.get("volume"), st.get("muted")))
rc, st, text = run("unmute", ["--mute=no"])
check(st.get("volume") == 80 and st.get("muted") is False,
      "--mute=no wins, the volume is restored (%s, %s)" % (st.get("volume"), st.get("muted")))
check(text == "volume=80\nmute=no\n", "saved: 80, not muted (%r)" % text)
rc, st, text = run("fast", ["--fast", "--volume", "10", "--mute"])
check(rc == 0 and text == "volume=80\nmute=no\n", "--fast leaves the file alone (%r)" % text)
with open(saved, "w") as f:
    f.write("volume=999\nmute=maybe\n")
rc, st, text = run("damaged", [])
check(st.get("volume") == 100 and st.get("muted") is False,
      "a damaged file is as none (%s, %s)" % (st.get("volume"), st.get("muted")))
rc, _, _ = run("badmute", ["--mute=perhaps"])
check(rc not in (0, None), "--mute=perhaps is a usage error (exit %s)" % rc)
if errors:
    swarm.fail("; ".join(errors))
