"""serve.py - `swarmplay serve` for the tests (run by /usr/bin/python3):

  Server(srcs, extra, log)      starts `swarmplay serve SRC... --http
                                127.0.0.1:PORT`, waits for its URLs (one
                                per SRC on stdout); .port, .base, .urls,
                                .stop() -> exit code, .fds() -> open fds
  request(port, method, path, headers)
                                one request on a fresh connection:
                                (status, {header: value}, body)
  raw(port, data)               bytes sent as they are; the status of the
                                answer (0 if none) and the whole answer

Everything on 127.0.0.1; helpers of swarm.py (skip, fail, free_port,
terminate) are reused, not repeated."""
import http.client, os, select, socket, subprocess, time
import offline  # noqa: F401  (sets the no-outside-traffic environment)

import swarm


class Server:
    def __init__(self, srcs, extra=(), log=None, env=None, timeout=60):
        self.port = swarm.free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        e = dict(os.environ)
        e.setdefault("SWARMPLAY_LOG", "info")
        if env:
            e.update(env)
        self.log = open(log, "w") if log else subprocess.DEVNULL
        args = [swarm.swarmplay(), "serve"] + list(srcs) + \
            ["--http", "127.0.0.1:%d" % self.port] + list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, env=e)
        self.urls = []
        out = b""
        end = time.time() + timeout
        while len(self.urls) < len(srcs):
            if self.proc.poll() is not None or time.time() > end:
                self.stop()
                swarm.fail("swarmplay serve did not print its URLs (exit %s)" %
                           self.proc.returncode)
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                out += chunk
                self.urls = [l for l in out.decode().split("\n")[:-1] if l]

    def path(self, i=0):
        return self.urls[i][len(self.base):]

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def stop(self):
        rc = swarm.terminate(self.proc)
        if self.log is not subprocess.DEVNULL:
            self.log.close()
        return rc


def request(port, method, path, headers=None, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def raw(port, data, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
    except OSError:
        pass  # the server may answer and close before taking it all
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
            if b"\r\n\r\n" in got:
                head, _, body = got.partition(b"\r\n\r\n")
                n = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if n and len(body) >= int(n[0].split(b":")[1]):
                    break
    except OSError:
        pass
    s.close()
    parts = got.split(b" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return status, got
