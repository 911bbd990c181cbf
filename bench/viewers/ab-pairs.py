#!/usr/bin/python3
"""ab-pairs.py - a change against the code without it, in pairs of
viewers-bench.py runs on the same join draw (issue 10, thirteenth part).

One run of viewers-bench.py is noisier than most changes to the picker or
the hand-out: the same draw of 8 random joins gave 0.1 to 18.3 s of
stalls in all. A change is judged in pairs instead: for each draw given,
a run without it (A) and one with it (B), in alternating order, and then
compared pair by pair.

The change is an environment switch in a scratch build: code that reads
getenv(VAR), off unless VAR is set (never committed). VAR is named
SP_AB_<NAME> (so that no variable the bench reads is cleared or set by
mistake). A runs set SP_AB_NONE=1, B runs VAR=1; the viewers and the
source inherit it. Bad arguments exit 2, an OUT that is missing or holds
a line that is not a tagged run exits 1, with the reason.

Usage: ab-pairs.py VAR DRAW [DRAW...]   e.g. ab-pairs.py SP_AB_X 2 3 5 6 2 3 5 6
Env: SWARMPLAY, SP_BUILDDIR (as for viewers-bench.py; default
<src>/build), SOURCE_X (1.2), VIEWERS (8), JOIN_SPREAD (20), VIEWER_X,
VIEWER_KINDS and the rest go through to viewers-bench.py; OUT (a JSON
lines file the runs are appended to, each with "tag": "A" or "B"; default
ab-VAR.jsonl in the current directory); KEEP=1 keeps each run's directory.
With OUT of earlier runs and no DRAW, prints its summary only.

Summary: per draw each run's worst viewer, stalls in all and the source's
copies; per side the runs where every viewer stayed under 0.5 s (the
issue's goal), the mean stalls and copies; and in how many pairs B's worst
viewer stalled less than A's, and more (by over 0.1 s). Needs root, as viewers-bench.py."""
import collections, glob, json, os, re, shutil, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
GOAL_S = 0.5
TIE_S = 0.1  # worst viewers this close count as even


def run_one(var, draw, tag, out):
    env = dict(os.environ)
    env.setdefault("SP_BUILDDIR", os.path.join(SRC, "build"))
    env.setdefault("SWARMPLAY", os.path.join(env["SP_BUILDDIR"], "src", "app", "swarmplay"))
    env.setdefault("VIEWERS", "8")
    env.setdefault("JOIN_SPREAD", "20")
    env.update(SOURCES="swarmplay", RUNS="1", RUN_FROM=str(draw))
    env.pop(var, None)
    env["SP_AB_NONE" if tag == "A" else var] = "1"
    outdir = os.path.join(env["SP_BUILDDIR"], "test-output")
    before = set(glob.glob(os.path.join(outdir, "viewers-bench-*")))
    p = subprocess.run([sys.executable, os.path.join(HERE, "viewers-bench.py"),
                        os.environ.get("SOURCE_X", "1.2")],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if p.returncode == 77:
        sys.exit(77)
    got = 0
    with open(out, "a") as f:
        for line in p.stdout.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                r["tag"] = tag
                f.write(json.dumps(r) + "\n")
                got += 1
    if os.environ.get("KEEP", "") in ("", "0"):
        for d in set(glob.glob(os.path.join(outdir, "viewers-bench-*"))) - before:
            shutil.rmtree(d, ignore_errors=True)
    if not got:
        print("draw %d %s: no result (exit %d)" % (draw, tag, p.returncode), file=sys.stderr)


def load(out):
    """OUT's tagged runs by draw; a line that is not one is an error."""
    runs = collections.defaultdict(lambda: {"A": [], "B": []})
    with open(out) as f:
        for n, line in enumerate(f, 1):
            try:
                r = json.loads(line)
                st = [(v["stall_ms"] or 0) / 1000 for v in r["viewers"]]
                runs[int(r["run"])][r["tag"]].append((max(st), sum(st), float(r["copies"]), st))
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError("%s:%d: not a tagged run of viewers-bench.py (%s)" % (out, n, e))
    return runs


def summary(runs):
    tot = {t: [0, 0, 0.0, 0.0] for t in "AB"}
    better = worse = pairs = 0
    for d in sorted(runs):
        for t in "AB":
            for worst, total, copies, st in runs[d][t]:
                print("draw %d %s  worst %.1f  all %.1f  copies %.2f  [%s]" %
                      (d, t, worst, total, copies, " ".join("%.1f" % x for x in st)))
                n = tot[t]
                n[0] += 1
                n[1] += worst < GOAL_S
                n[2] += total
                n[3] += copies
        for a, b in zip(runs[d]["A"], runs[d]["B"]):
            pairs += 1
            better += b[0] < a[0] - TIE_S
            worse += b[0] > a[0] + TIE_S
    for t in "AB":
        n, met, total, copies = tot[t]
        if n:
            print("%s: %d runs, every stall under %.1f s in %d; stalls %.2f s per run, "
                  "copies %.3f" % (t, n, GOAL_S, met, total / n, copies / n))
    if pairs:
        print("B's worst viewer stalled less than A's in %d pairs of %d, more in %d "
              "(within %.1f s: even)" % (better, pairs, worse, TIE_S))


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        print(__doc__)
        return 2
    var = sys.argv[1]
    # the switch only: a name the bench itself reads (VIEWERS, PATH...)
    # would be unset for A and set to 1 for B
    if not re.fullmatch(r"SP_AB_[A-Z0-9_]+", var) or var == "SP_AB_NONE":
        print("ab-pairs.py: VAR is a scratch switch named SP_AB_<NAME>, not %r" % var,
              file=sys.stderr)
        return 2
    if not all(re.fullmatch(r"[0-9]+", x) for x in sys.argv[2:]):
        print("ab-pairs.py: a draw is a run number (an integer >= 0)", file=sys.stderr)
        return 2
    draws = [int(x) for x in sys.argv[2:]]
    out = os.environ.get("OUT", "ab-%s.jsonl" % var)
    for i, d in enumerate(draws):
        for tag in ("AB" if i % 2 == 0 else "BA"):
            run_one(var, d, tag, out)
    if not os.path.exists(out):
        print("ab-pairs.py: no runs: %s does not exist" % out, file=sys.stderr)
        return 1
    try:
        summary(load(out))
    except (OSError, ValueError) as e:
        print("ab-pairs.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
