"""The edge's disk cache on a full file system: the cache directory is a 4 MiB
tmpfs and the origin's object is 8 MiB. A failed disk-cache write stops
caching the object, and every viewer still gets the whole response from the
origin, byte for byte; nothing truncated is cached. Before, the response was
cut at about 4 MB on every retry. Needs root to mount the tmpfs (skipped
otherwise)."""

import hashlib
import http.client
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

from harness import V2020, Server, dist_config, wait_deployed
from test_edge import origin_for

SIZE = 8 << 20
BODY = hashlib.sha256(b"disk-full").digest() * (SIZE // 32)


class BigOrigin:
    """Serves BODY at every path, with Content-Length, cacheable."""

    def __init__(self):
        self.requests = 0
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                origin.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(BODY)))
                self.send_header("Cache-Control", "max-age=3600")
                self.end_headers()
                self.wfile.write(BODY)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class TestDiskFull(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0 or not shutil.which("mount"):
            raise unittest.SkipTest("mounting a tmpfs needs root")
        cls.cache_dir = tempfile.mkdtemp(prefix="openfront-fullcache-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", cls.cache_dir], capture_output=True)
        if r.returncode != 0:
            os.rmdir(cls.cache_dir)
            raise unittest.SkipTest("cannot mount a tmpfs: %s" % r.stderr.decode(errors="replace"))
        cls.origin = BigOrigin()
        # A tier bound far above the file system's size: the disk fills first.
        cls.server = Server(extra_args=["--cache-dir", cls.cache_dir, "--cache-disk-bytes", str(1 << 30),
                                        "--cache-memory-bytes", str(64 << 20)]).start()
        cls.cf = cls.server.client(V2020)

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop(10)
        cls.origin.close()
        subprocess.run(["umount", cls.cache_dir], check=False)
        os.rmdir(cls.cache_dir)
        if rc != 0:
            raise AssertionError("openfront exited %r on SIGTERM:\n%s" % (rc, cls.server.stderr()))

    def get(self, host, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.edge_port, timeout=30)
        try:
            conn.request("GET", path, headers={"Host": host})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def test_whole_body_every_time(self):
        d = self.cf.create_distribution(DistributionConfig=dist_config(V2020, origins=[origin_for(self.origin)]))["Distribution"]
        wait_deployed(self.cf, d["Id"])
        for attempt in range(3):
            with self.subTest(attempt=attempt):
                try:
                    status, headers, body = self.get(d["DomainName"], "/big.bin")
                except http.client.IncompleteRead as e:
                    self.fail("response cut after %d of %d bytes" % (len(e.partial), SIZE))
                self.assertEqual(status, 200)
                self.assertEqual(len(body), SIZE, "response cut short")
                self.assertEqual(hashlib.sha256(body).digest(), hashlib.sha256(BODY).digest(), "body corrupted")
                # Never a hit on a truncated copy: each attempt goes to the origin.
                self.assertEqual(headers.get("x-cache"), "Miss from cloudfront")
        self.assertEqual(self.origin.requests, 3)
        # The failed writes' temporary files are gone: the file system has room again.
        st = os.statvfs(self.cache_dir)
        self.assertGreater(st.f_bavail * st.f_frsize, 3 << 20)


if __name__ == "__main__":
    unittest.main()
