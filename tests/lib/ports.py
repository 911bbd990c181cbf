"""ports.py - loopback ports that no other test takes meanwhile.

A port found free by binding port 0 and closing the socket can be given
to anyone before the test's process binds it: to another test's bind to
port 0, or as the local port of any outgoing connection (issue 11: the
doctor test once lost its port that way under load). free_port() instead
picks a port below the kernel's ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range), which the kernel never hands
out by itself, and reserves it for the life of this process with an
flock on a file named after it in $TMPDIR/swarmplay-test-ports/, which
every test's free_port() respects: two tests never hold the same port.
A process removes its lock files when it exits, still holding the locks;
one that took a lock on a file removed meanwhile (it opened the file
before the removal) sees that the name no longer leads to its file and
lets the port go. It is checked free (TCP and UDP: swarmplay's DHT
shares its peer port)
on every address of the family asked for before it is returned.

Standard library only; imported by offline.py, net_util.py and swarm.py."""
import atexit, errno, fcntl, os, random, socket, tempfile

_DIR = os.path.join(tempfile.gettempdir(), "swarmplay-test-ports")
_held = {}  # port -> the open lock file (kept until the process ends)


def _pool():
    """The ports below the ephemeral range (or above it), or None."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = map(int, f.read().split())
    except (OSError, ValueError):
        lo, hi = 32768, 60999
    if lo - 1 - 10000 >= 2000:
        return 10000, lo - 1
    if 65535 - hi >= 2000:
        return hi + 1, 65535
    return None


def _binds(port, host):
    """Free on every address of host's family (swarmplay listens on all of
    them), TCP and UDP: bound for a moment, never listened on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(family, kind)
        try:
            s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def _reserve(port):
    """True if this process now holds port's lock (or already did)."""
    if port in _held:
        return False  # already handed out by this process: not twice
    os.makedirs(_DIR, mode=0o1777, exist_ok=True)
    path = os.path.join(_DIR, str(port))
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False
        raise
    try:
        same = os.stat(path).st_ino == os.fstat(fd).st_ino
    except OSError:
        same = False  # removed by the holder before us, after we opened it
    if not same:
        os.close(fd)
        return False
    _held[port] = fd
    return True


def _release(port, remove=False):
    fd = _held.pop(port)
    if remove:  # while we hold the lock: see the top of the file
        try:
            os.unlink(os.path.join(_DIR, str(port)))
        except OSError:
            pass
    os.close(fd)


@atexit.register
def _release_all():
    for port in list(_held):
        _release(port, remove=True)


def _any_port(host):
    """The old way, when no pool or lock directory is to be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_port(host="127.0.0.1"):
    """A port free on host (TCP and UDP), held for this process alone."""
    pool = _pool()
    if pool is None:
        return _any_port(host)
    rnd = random.Random()  # seeded from the OS: tests started together differ
    for _ in range(500):
        port = rnd.randint(*pool)
        try:
            if not _reserve(port):
                continue
        except OSError:
            return _any_port(host)
        if _binds(port, host):
            return port
        _release(port)
    return _any_port(host)
