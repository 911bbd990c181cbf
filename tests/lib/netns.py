"""netns.py - network namespaces made by a test (root only), joined by veth
pairs and bridges, links shaped with tc (HTB + a bfifo leaf of ~200 ms:
no netem on these kernels), and nothing routed off the machine.

  need()                        skip (77) unless root, ip and tc are here
  sh(args, ns=None)             run a command (in a namespace); its stdout
  Netns(tag)                    the namespaces of one test, made with:
    .add(name)                  a namespace (lo up); its full name
    .veth(ns_a, dev_a, ns_b, dev_b)
    .addr(ns, dev, cidr)        an IPv4 address, the link up
    .bridge(ns, name)           a bridge (multicast snooping off: LSD's
                                group reaches every port)
    .attach(ns, dev, bridge)    a port of the bridge
    .shape(ns, dev, rate)       the egress of dev at rate bytes/s (wire)
    .sent(ns, dev)              bytes that left by dev's shaped class
    .popen(ns, args, **kw)      a process in the namespace (its own group)
    .call(ns, fn, *args)        fn(*args) on a thread inside the namespace
                                (its sockets live there: HTTP to a server
                                that listens on the namespace's 127.0.0.1)
    .down()                     every process ended, every namespace gone

Every device is made with GSO off (1514-byte packets), so that a small
bfifo never drops a 64 KB super-packet and the HTB counters are smooth."""
import ctypes, os, re, shutil, signal, subprocess, threading

import swarm

QUEUE_S = 0.2
CLONE_NEWNET = 0x40000000


def need():
    for t in ("ip", "tc"):
        if not shutil.which(t):
            swarm.skip(t + " is not installed")
    if os.geteuid() != 0:
        swarm.skip("network namespaces need root")


def sh(args, check=True, ns=None):
    if ns:
        args = ["ip", "netns", "exec", ns] + args
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


class Netns:
    def __init__(self, tag):
        self.tag = "%s%d" % (tag, os.getpid())
        self.made, self.procs = [], []

    def add(self, name):
        ns = "%s-%s" % (self.tag, name)
        sh(["ip", "netns", "add", ns])
        self.made.append(ns)
        sh(["ip", "link", "set", "lo", "up"], ns=ns)
        # IPv4 only: one address per host, one connection per pair of peers
        sh(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"], ns=ns, check=False)
        sh(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"], ns=ns, check=False)
        return ns

    def _nogso(self, ns, dev):
        sh(["ip", "link", "set", dev, "gso_max_segs", "1", "gso_max_size", "1514"], ns=ns,
           check=False)

    def veth(self, ns_a, dev_a, ns_b, dev_b):
        sh(["ip", "link", "add", dev_a, "netns", ns_a, "type", "veth", "peer", "name", dev_b,
            "netns", ns_b])
        for ns, dev in ((ns_a, dev_a), (ns_b, dev_b)):
            self._nogso(ns, dev)
            sh(["ip", "link", "set", dev, "up"], ns=ns)

    def addr(self, ns, dev, cidr):
        sh(["ip", "addr", "add", cidr, "dev", dev], ns=ns)
        sh(["ip", "link", "set", dev, "up"], ns=ns)

    def bridge(self, ns, name):
        sh(["ip", "link", "add", name, "type", "bridge", "mcast_snooping", "0"], ns=ns)
        sh(["ip", "link", "set", name, "up"], ns=ns)

    def attach(self, ns, dev, bridge):
        sh(["ip", "link", "set", dev, "master", bridge], ns=ns)
        sh(["ip", "link", "set", dev, "up"], ns=ns)

    def shape(self, ns, dev, rate):
        tc = ["tc", "-n", ns]
        bits = "%dbit" % int(rate * 8)
        sh(tc + ["qdisc", "del", "dev", dev, "root"], check=False)
        sh(tc + ["qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "10"])
        sh(tc + ["class", "add", "dev", dev, "parent", "1:", "classid", "1:10", "htb", "rate",
                 bits, "ceil", bits, "quantum", "1514"])
        sh(tc + ["qdisc", "add", "dev", dev, "parent", "1:10", "handle", "10:", "bfifo",
                 "limit", str(max(4 * 1514, int(rate * QUEUE_S)))])

    def sent(self, ns, dev):
        text = sh(["tc", "-n", ns, "-s", "class", "show", "dev", dev])
        m = re.search(r"class htb 1:10 .*?\n\s*Sent (\d+) bytes", text)
        return int(m.group(1)) if m else 0

    def popen(self, ns, args, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + args, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def call(self, ns, fn, *args):
        out = {}

        def run():
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open("/run/netns/" + ns, os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    out["e"] = OSError(ctypes.get_errno(), "setns " + ns)
                    return
            finally:
                os.close(fd)
            try:
                out["r"] = fn(*args)
            except Exception as e:  # handed back to the caller's thread
                out["e"] = e

        t = threading.Thread(target=run)
        t.start()
        t.join()
        if "e" in out:
            raise out["e"]
        return out.get("r")

    def down(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                except ProcessLookupError:
                    pass
        for ns in self.made:
            # whatever still runs in a namespace of ours was started by us
            for pid in sh(["ip", "netns", "pids", ns], check=False).split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh(["ip", "netns", "del", ns], check=False)
        self.made = []
