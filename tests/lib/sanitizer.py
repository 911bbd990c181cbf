"""sanitizer.py - which sanitizer the swarmplay under test was built with.

Read from the build tree's meson introspection (SP_BUILDDIR), so a run of
`meson test -C build-asan` knows it without being told. Memory bounds
measured as RSS mean nothing under AddressSanitizer (its quarantine holds
freed memory back, its shadow grows with the heap) or ThreadSanitizer: the
tests that assert such a bound still run everything else and report the
figure, and say why the bound is not asserted.
"""
import json, os


def active():
    """"address,undefined", "thread"... or "" for a plain build."""
    path = os.path.join(os.environ.get("SP_BUILDDIR", ""), "meson-info",
                        "intro-buildoptions.json")
    try:
        with open(path) as f:
            for o in json.load(f):
                if o.get("name") == "b_sanitize":
                    return "" if o.get("value") in (None, "none") else str(o["value"])
    except (OSError, ValueError):
        pass
    return ""


def rss_bound_holds(what):
    """True when an RSS bound means something here; else prints why not."""
    s = active()
    if s:
        print("%s: the RSS bound is not asserted under -fsanitize=%s (its quarantine and "
              "shadow memory hold freed memory); measured above" % (what, s))
    return not s
