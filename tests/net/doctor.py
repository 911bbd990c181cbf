#!/usr/bin/python3
"""doctor.py - `swarmplay doctor` says what it finds, offline:
1. no bootstrap node (the test environment's empty SWARMPLAY_DHT_BOOTSTRAP)
   and port mapping off: it answers at once, DHT with no node, "port
   mapping off", and the port asked for with --port;
2. three libtorrent DHT nodes on 127.0.0.1 as the bootstrap: the DHT
   bootstrap worked, the nodes are in its table, and the nodes' answers
   (BEP 42 "ip") voted 127.0.0.1 as its external address;
3. the report in words names the same port and says the bootstrap worked.
Skips (77) without python3-libtorrent."""
import json, os, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

SP = nu.swarmplay()
lt = nu.lt()
w = nu.workdir("doctor")
env = dict(os.environ, XDG_STATE_HOME=os.path.join(w, "state"), LANGUAGE="C", LC_ALL="C")


def doctor(*args, extra_env=None, timeout=60):
    e = dict(env, **(extra_env or {}))
    t0 = time.time()
    r = subprocess.run([SP, "doctor"] + list(args), capture_output=True, text=True, env=e,
                       timeout=timeout)
    if r.returncode != 0:
        nu.fail("doctor %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout, time.time() - t0


# 1. nothing to ask
port = nu.free_port()
out, took = doctor("--json", "--port", str(port), "--wait", "30")
j = json.loads(out)
if j["port"] != port or j["dht_nodes"] != 0 or j["dht_bootstrap_ok"] or \
        j["reachable"] != "port mapping off" or not j["dht"]:
    nu.fail("no bootstrap: unexpected report %s" % out)
if took > 20:
    nu.fail("no bootstrap: the report took %.1f s (nothing to wait for)" % took)
print("1: no bootstrap node: %s in %.1f s" % (out.strip(), took))

# 2. three real DHT nodes
nodes = []
for i in range(3):
    nodes.append(nu.lt_dht_node(lt, ",".join("127.0.0.1:%d" % n.listen_port() for n in nodes)))
boot = ",".join("127.0.0.1:%d" % n.listen_port() for n in nodes)
out, took = doctor("--json", "--wait", "30", extra_env={"SWARMPLAY_DHT_BOOTSTRAP": boot})
j = json.loads(out)
if not j["dht_bootstrap_ok"] or j["dht_nodes"] < 3:
    nu.fail("three nodes: the bootstrap did not fill the table: %s" % out)
if j["external4"] != "127.0.0.1":
    nu.fail("three nodes: their answers did not vote 127.0.0.1: %s" % out)
print("2: three libtorrent nodes: %d in the table, external %s, in %.1f s"
      % (j["dht_nodes"], j["external4"], took))

# 3. in words
out, took = doctor("--port", str(port), "--wait", "30",
                   extra_env={"SWARMPLAY_DHT_BOOTSTRAP": boot})
if "Listen port:      %d" % port not in out or "bootstrap worked" not in out or \
        "127.0.0.1" not in out:
    nu.fail("the report in words:\n" + out)
print("3: ok\n" + out)
