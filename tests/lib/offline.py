"""offline.py - nothing a test or benchmark starts may leave the machine.

Imported by every helper in tests/lib (so by every test and benchmark that
starts swarmplay through them): the swarmplay processes they start inherit
an environment with no DHT bootstrap routers (SWARMPLAY_DHT_BOOTSTRAP
empty, unless the caller already named local nodes), no port mapping on a
gateway (SWARMPLAY_PORT_MAPPING=off), local service discovery on
loopback only and on a port of this test's own (SWARMPLAY_LSD=loopback:PORT,
a port from ports.py: the kiosk turns LSD on, and two tests that run at
once, with the same clip, must not see each other's screens), and a
routing table kept in the build tree (XDG_STATE_HOME), never the user's,
which names internet hosts: a directory of this test's own there, removed
when it ends, so that no test starts where another left off (resume
positions, a saved routing table); a process a test starts shares its
test's.
meson's test_env sets the same; this covers a script run by hand. A test
that needs one of them (the port-mapping test in its namespaces) passes
its own value to that one process.
"""
import atexit
import os
import shutil
import sys
import tempfile

import ports

os.environ.setdefault("SWARMPLAY_DHT_BOOTSTRAP", "")
os.environ["SWARMPLAY_PORT_MAPPING"] = "off"
# the kiosk's LSD multicasts on 127.0.0.1 only, on this test's own port (a
# test started by another test keeps the port it was given)
if not os.environ.get("SWARMPLAY_LSD", "").startswith("loopback:"):
    os.environ["SWARMPLAY_LSD"] = "loopback:%d" % ports.free_port()
_state = os.path.join(os.path.abspath(os.environ.get("SP_BUILDDIR", tempfile.gettempdir())),
                      "test-state")
_given = os.environ.get("XDG_STATE_HOME", "").rstrip("/")
if not _given.startswith(_state + os.sep):  # not a test's own one already
    os.makedirs(_state, exist_ok=True)
    _own = tempfile.mkdtemp(prefix="%s-" % os.path.basename(os.path.abspath(sys.argv[0]))[:40],
                            dir=_state)
    os.environ["XDG_STATE_HOME"] = _own
    atexit.register(shutil.rmtree, _own, True)
