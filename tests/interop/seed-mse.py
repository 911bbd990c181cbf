#!/usr/bin/python3
"""seed-mse.py - libtorrent made to connect encrypted only (out_enc_policy
forced) downloads from `swarmplay seed`, twice: allowing both methods
(swarmplay must answer the MSE handshake and select plaintext for the
payload), then allowing RC4 only (swarmplay must encrypt and decrypt the
whole stream). Both copies must be byte-identical."""
import os, sys, time

sys.path.insert(0, os.path.join(os.environ.get("SP_SRCDIR", "."), "tests", "lib"))
import net_util as nu

lt = nu.lt()
nu.swarmplay()
root = nu.workdir("seed-mse")
src = os.path.join(root, "seed")
content = nu.make_payload(src)
torrent = os.path.join(root, "t.torrent")
nu.make_torrent(lt, content, torrent)
log_path = os.path.join(root, "swarmplay.log")
seeder, port = nu.start_swarmplay_port(["seed", torrent, src, "--no-tracker",
                                        "--exit-after", "200"], log_path)


def leecher(dest, level):
    s = nu.lt_session(lt, 0)
    s.apply_settings({"out_enc_policy": 0, "in_enc_policy": 0, "allowed_enc_level": level})
    h = nu.lt_add(lt, s, torrent, dest)
    h.connect_peer(("127.0.0.1", port))
    return s, h


s1, h1 = leecher(os.path.join(root, "lt"), 3)
t0 = time.time()
while time.time() - t0 < 60 and not h1.status().is_seeding:
    time.sleep(0.1)
elapsed = time.time() - t0
ok = h1.status().is_seeding
s2, h2 = leecher(os.path.join(root, "lt-rc4"), 2)
t1 = time.time()
while time.time() - t1 < 60 and not h2.status().is_seeding:
    time.sleep(0.1)
ok2 = h2.status().is_seeding
nu.stop(seeder)
text = open(log_path, errors="replace").read()
if not ok:
    nu.show_log(log_path)
    nu.fail("the encrypted-only libtorrent did not finish")
if "mse)" not in text:
    nu.fail("no connection went through MSE with plaintext selected")
diff = nu.same_tree(content, os.path.join(root, "lt", "payload"))
if diff:
    nu.fail(diff)
if not ok2:
    nu.show_log(log_path)
    nu.fail("the RC4-only libtorrent did not finish")
if "mse-rc4)" not in text:
    nu.fail("no connection used an RC4 stream")
diff = nu.same_tree(content, os.path.join(root, "lt-rc4", "payload"))
if diff:
    nu.fail("rc4: " + diff)
print("ok: MSE answered; plaintext stream %.1f s, RC4 stream %.1f s, copies identical" %
      (elapsed, time.time() - t1))
