"""kill -9 during a burst of writes loses nothing that was acknowledged
(issue 3: every commit is fsynced before the API answers)."""

import os
import signal
import threading
import time
import unittest

from harness import Server, V2020, new_ref


class TestKillDuringWrites(unittest.TestCase):
    def test_acknowledged_writes_survive_sigkill(self):
        srv = Server().start()
        try:
            acked = []          # OAI ids whose Create answered 201
            lock = threading.Lock()
            stop = threading.Event()

            def writer():
                c = srv.client(V2020)
                while not stop.is_set():
                    ref = new_ref("crash")
                    try:
                        r = c.create_cloud_front_origin_access_identity(
                            CloudFrontOriginAccessIdentityConfig={"CallerReference": ref, "Comment": ref[:60]})
                    except Exception:
                        return  # the server died mid-request: not acknowledged
                    with lock:
                        acked.append((r["CloudFrontOriginAccessIdentity"]["Id"], ref))

            threads = [threading.Thread(target=writer) for _ in range(4)]
            for t in threads:
                t.start()
            # Let the burst run, then kill hard while writes are in flight.
            deadline = time.time() + 10
            while time.time() < deadline:
                with lock:
                    if len(acked) >= 60:
                        break
                time.sleep(0.02)
            os.kill(srv.proc.pid, signal.SIGKILL)
            stop.set()
            for t in threads:
                t.join(10)
            srv.proc.wait(5)
            with lock:
                snapshot = list(acked)
            self.assertGreater(len(snapshot), 10, "the burst acknowledged too few writes to prove anything")

            srv.start()
            c = srv.client(V2020)
            for oai_id, ref in snapshot:
                got = c.get_cloud_front_origin_access_identity(Id=oai_id)
                cfg = got["CloudFrontOriginAccessIdentity"]["CloudFrontOriginAccessIdentityConfig"]
                self.assertEqual(cfg["CallerReference"], ref, "acknowledged OAI %s came back changed" % oai_id)
            listed = set()
            marker = ""
            while True:
                page = c.list_cloud_front_origin_access_identities(Marker=marker, MaxItems="1000")["CloudFrontOriginAccessIdentityList"]
                listed.update(i["Id"] for i in page.get("Items", []))
                if not page["IsTruncated"]:
                    break
                marker = page["NextMarker"]
            missing = {i for i, _ in snapshot} - listed
            self.assertFalse(missing, "acknowledged OAIs missing from the list after kill -9: %s" % sorted(missing))
        finally:
            srv.stop()


if __name__ == "__main__":
    unittest.main()
