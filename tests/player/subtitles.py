#!/usr/bin/python3
"""subtitles.py - the subtitle oracle. Media made now with ffmpeg: an MKV
with an ASS track (French) and a SubRip track (English), an MP4 with
mov_text, a WebVTT file beside a video (--sub), and a multi-file torrent
(the MKV and a German .srt of the same base name) seeded by libtorrent.
`swarmplay play --fast --subhash F` writes every subtitle event as shown
(start, end, text); it must equal `ffmpeg -i IN -map 0:s:N -f srt -` after
normalisation (markup removed, blanks collapsed: what a viewer reads, as
src/core/subtext.c's sp_subtext_normalize)."""
import os, re, subprocess, sys

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import swarm

swarm.need("ffmpeg")
root = swarm.workdir("subtitles")
SRT = """1
00:00:00,500 --> 00:00:01,800
Bonjour, <i>la mise en mémoire</i>

2
00:00:02,000 --> 00:00:03,250
Deux lignes
et accents : é à ç « ok »

3
00:00:04,100 --> 00:00:05,900
<b>Fin</b> & <font color="#ff0000">rouge</font>
"""
ASS = r"""[Script Info]
ScriptType: v4.00+
PlayResX: 384
PlayResY: 288

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,DejaVu Sans,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1
Style: Top,DejaVu Sans,16,&H0000FFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.30,0:00:01.50,Default,,0,0,0,,{\i1}Première{\i0} ligne
Dialogue: 0,0:00:01.70,0:00:02.90,Default,,0,0,0,,Sur deux\Nlignes, {\b1}gras{\b0}
Dialogue: 0,0:00:03.00,0:00:04.00,Top,,0,0,0,,{\an8}Espace\hdur
Dialogue: 0,0:00:04.50,0:00:05.50,Default,,0,0,0,,Dernière réplique
"""


def write(name, text):
    path = os.path.join(root, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def ff(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y"] + list(args), check=True)


def normalize(text):
    text = text.replace("\\h", " ").replace("\\N", "\n").replace("\\n", "\n")
    text = re.sub(r"</?[A-Za-z]+(\s[^>]*)?>", "", text)
    text = re.sub(r"\{\\[^}]*\}", "", text)
    lines = [" ".join(l.split()) for l in text.split("\n")]
    return "\n".join(l for l in lines if l)


def parse_srt(text):
    events = []
    for block in re.split(r"\n\s*\n", text.replace("\r", "").strip()):
        lines = block.split("\n")
        if len(lines) < 2 or "-->" not in lines[1]:
            continue
        start, end = [t.strip() for t in lines[1].split("-->")]
        body = normalize("\n".join(lines[2:]))
        if body:
            events.append((start, end, body))
    return events


def oracle(src, n, pre=()):
    out = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error"] + list(pre) + ["-i", src, "-map",
                          "0:s:%d" % n, "-f", "srt", "-"], capture_output=True, check=True)
    return parse_srt(out.stdout.decode("utf-8"))


errors = []


def check(label, args, ref, timeout=60):
    hashf = os.path.join(root, re.sub(r"\W+", "_", label) + ".srt")
    rc, out = swarm.play(args + ["--fast", "--exit-at-end", "--subhash", hashf],
                         timeout=timeout)
    got = parse_srt(open(hashf, encoding="utf-8").read()) if os.path.exists(hashf) else []
    ok = rc == 0 and got == ref and len(ref) > 0
    print("%-28s rc=%s %d events of %d %s" % (label, rc, len(got), len(ref),
                                              "ok" if ok else "FAIL"))
    if not ok:
        for a, b in zip(ref + [None] * len(got), got + [None] * len(ref)):
            if a != b:
                print("   want %r\n   got  %r" % (a, b))
                break
        errors.append("%s: %s" % (label, out[-600:]))


video = swarm.make_video(os.path.join(root, "v.mp4"), "mp4", seconds=6)
srt, ass = write("b.srt", SRT), write("a.ass", ASS)
show = os.path.join(root, "seed", "show")
os.makedirs(show)
mkv = os.path.join(show, "episode.mkv")
ff("-i", video, "-i", ass, "-i", srt, "-map", "0", "-map", "1", "-map", "2", "-c:v", "copy",
   "-c:a", "copy", "-c:s:0", "ass", "-c:s:1", "srt", "-metadata:s:s:0", "language=fre",
   "-metadata:s:s:1", "language=eng", mkv)
mp4 = os.path.join(root, "movtext.mp4")
ff("-i", video, "-i", srt, "-map", "0", "-map", "1", "-c:v", "copy", "-c:a", "copy",
   "-c:s", "mov_text", "-metadata:s:s:0", "language=eng", mp4)
vtt = os.path.join(root, "v.vtt")
ff("-i", srt, vtt)

check("mkv ass (--slang fr)", [mkv, "--slang", "fr"], oracle(mkv, 0))
check("mkv srt (--slang de,en)", [mkv, "--slang", "de,en"], oracle(mkv, 1))
check("mp4 mov_text", [mp4, "--slang", "en"], oracle(mp4, 0))
check("--sub webvtt", [video, "--sub", vtt], oracle(vtt, 0))
# a legacy file in Windows-1252: not UTF-8, so taken as CP1252 (as mpv)
legacy = os.path.join(root, "legacy.srt")
with open(legacy, "wb") as f:
    f.write(SRT.replace("« ok »", "“ok” – 5 €").encode("cp1252"))
check("--sub cp1252 .srt", [video, "--sub", legacy], oracle(legacy, 0, ["-sub_charenc", "CP1252"]))
cyr = os.path.join(root, "cyrillic.srt")
with open(cyr, "wb") as f:
    f.write(SRT.replace("Bonjour", "Привет").replace("Fin", "Конец").encode("cp1251", "replace"))
check("--sub-codepage CP1251", [video, "--sub", cyr, "--sub-codepage", "CP1251"],
      oracle(cyr, 0, ["-sub_charenc", "CP1251"]))

# from a real swarm: the embedded track, and the torrent's own .srt
srt_de = os.path.join(show, "episode.de.srt")
with open(srt_de, "w", encoding="utf-8") as f:
    f.write(SRT.replace("Bonjour", "Guten Tag").replace("Fin", "Ende"))
try:
    lt = swarm.lt()
except SystemExit:
    lt = None
    print("libtorrent missing: the swarm cases are left out")
if lt:
    tstream = swarm.create_tstream(show, os.path.join(root, "show.tstream"))
    seeder = swarm.Seeder(tstream, os.path.join(root, "seed"))
    common = ["-d", os.path.join(root, "dl"), "--peer", seeder.peer, "--no-tracker"]
    check("swarm: mkv ass", [tstream, "--slang", "fr"] + common, oracle(mkv, 0))
    check("swarm: episode.de.srt", [tstream, "--slang", "de"] + common, oracle(srt_de, 0))
    seeder.stop()
if errors:
    swarm.fail("\n".join(errors))
