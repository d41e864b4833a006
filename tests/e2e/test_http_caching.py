"""HTTP caching correctness at the edge (issue 13, docs/http-caching.md):
an origin's Age, Vary: *, strict Expires dates, statuses with explicit
freshness, interim 103 responses and the edge's own cached 502, through
the real binary, with an origin that writes raw HTTP."""

import email
import email.utils
import http.client
import socket
import socketserver
import threading
import time

from harness import ServerTestCase, V2020, custom_origin, dist_config, legacy_behavior, wait_deployed

FINAL_BODY = b"final body"
RANGES_BODY = bytes(ord("a") + i % 26 for i in range(2000))


class RawOrigin:
    """A loopback origin that writes each response byte for byte, as the
    path asks, and counts requests per path and connections."""

    def __init__(self):
        self.counts = {}
        self.connections = 0
        self.lock = threading.Lock()
        origin = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                with origin.lock:
                    origin.connections += 1
                line = self.rfile.readline().decode("latin-1")
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                parts = line.split()
                if len(parts) < 2:
                    return
                path = parts[1]
                with origin.lock:
                    origin.counts[path] = origin.counts.get(path, 0) + 1
                self.wfile.write(origin.reply(path))

        class TCPServer(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = TCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def reply(path):
        now = time.time()
        date = email.utils.formatdate(now, usegmt=True)
        head = {"Date": date, "Content-Type": "text/plain", "Connection": "close"}
        status, interim = "200 OK", b""
        if path.startswith("/age-young"):
            head.update({"Cache-Control": "max-age=3600", "Age": "600"})
        elif path.startswith("/age-old"):
            head.update({"Cache-Control": "max-age=3600", "Age": "7200"})
        elif path.startswith("/vary-star"):
            head.update({"Cache-Control": "max-age=3600", "Vary": "Accept-Encoding, *"})
        elif path.startswith("/status-299"):
            status = "299 Custom"
            head["Cache-Control"] = "max-age=3600"
        elif path.startswith("/expires-valid"):
            head["Expires"] = email.utils.formatdate(now + 3600, usegmt=True)
        elif path.startswith("/expires-one-digit-hour"):
            # Expires is measured from Date: a lenient parser reads 1 hour.
            head["Date"] = "Sun, 01 Jun 2025 02:00:00 GMT"
            head["Expires"] = "Sun, 01 Jun 2025 3:00:00 GMT"
        elif path.startswith("/expires-spaces"):
            head["Date"] = "Sun, 01 Jun 2025 02:00:00 GMT"
            head["Expires"] = "Sun,  01  Jun  2025  03:00:00  GMT"
        elif path.startswith("/vary-cookie"):
            head.update({"Cache-Control": "max-age=3600", "Vary": "Cookie, Accept-Language"})
        elif path.startswith("/ranges"):
            head["Cache-Control"] = "max-age=3600"
            out = b"HTTP/1.1 200 OK\r\n"
            for k, v in head.items():
                out += ("%s: %s\r\n" % (k, v)).encode()
            return out + b"Content-Length: %d\r\n\r\n" % len(RANGES_BODY) + RANGES_BODY
        elif path.startswith("/hints"):
            head["Cache-Control"] = "max-age=3600"
            interim = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
        out = interim + ("HTTP/1.1 %s\r\n" % status).encode()
        for k, v in head.items():
            out += ("%s: %s\r\n" % (k, v)).encode()
        out += b"Content-Length: %d\r\n\r\n" % len(FINAL_BODY) + FINAL_BODY
        return out

    def count(self, path):
        with self.lock:
            return self.counts.get(path, 0)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class ClosingOrigin:
    """An origin that is down: it accepts connections and closes them at
    once, counting them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            c.close()

    def count(self):
        with self.lock:
            return self.connections

    def close(self):
        self.sock.close()


def origin_config(port, attempts=1):
    return custom_origin("raw", domain="127.0.0.1", ConnectionAttempts=attempts,
                         CustomOriginConfig={"HTTPPort": port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only",
                                             "OriginReadTimeout": 5, "OriginKeepaliveTimeout": 5})


class TestHTTPCaching(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.origin = RawOrigin()
        cfg = dist_config(V2020, origins=[origin_config(cls.origin.port)],
                          behavior=legacy_behavior("raw", min_ttl=0, default_ttl=86400, max_ttl=31536000))
        d = cls.cf.create_distribution(DistributionConfig=cfg)["Distribution"]
        wait_deployed(cls.cf, d["Id"])
        cls.host = d["DomainName"]

    @classmethod
    def tearDownClass(cls):
        cls.origin.close()
        super().tearDownClass()

    def get(self, path, host=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.edge_port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": host or self.host, **(headers or {})})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def raw(self, request):
        """Sends request on a new connection; returns the raw bytes until
        the final response's body is complete (the edge's responses here
        have a Content-Length)."""
        s = socket.create_connection(("127.0.0.1", self.server.edge_port), timeout=10)
        try:
            s.sendall(request)
            data = b""
            while not data.endswith(FINAL_BODY):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data
        finally:
            s.close()

    def test_origin_age_counts(self):
        st, h, _ = self.get("/age-young")
        self.assertEqual((st, h["x-cache"], h.get("age")), (200, "Miss from cloudfront", "600"),
                         "a miss passes the origin's Age on")
        time.sleep(1.1)
        st, h, _ = self.get("/age-young")
        self.assertEqual(h["x-cache"], "Hit from cloudfront")
        self.assertGreaterEqual(int(h["age"]), 601, "Age on a hit = stored age + time in cache")
        for _ in range(2):
            _, h, _ = self.get("/age-old")
            self.assertEqual(h["x-cache"], "Miss from cloudfront", "max-age=3600 with Age: 7200 is stale on arrival")
        self.assertEqual(self.origin.count("/age-old"), 2)

    def test_vary_star_never_served_from_cache(self):
        for _ in range(3):
            _, h, _ = self.get("/vary-star")
            self.assertEqual(h["x-cache"], "Miss from cloudfront")
            self.assertIn("*", h.get("vary", ""))
        self.assertEqual(self.origin.count("/vary-star"), 3)

    def test_vary_cookie_reaches_the_viewer(self):
        # "Request and response behavior for custom origins", Vary: Cookie
        # is passed on although this behaviour forwards no cookies.
        for want in ("Miss from cloudfront", "Hit from cloudfront"):
            _, h, _ = self.get("/vary-cookie", headers={"Cookie": "s=1"})
            self.assertEqual((h["x-cache"], h.get("vary")), (want, "Cookie"))

    def test_several_ranges_get_multipart_byteranges(self):
        # RFC 9110 §14.6, on the miss and on the hit; close ranges coalesce.
        for want in ("Miss from cloudfront", "Hit from cloudfront"):
            st, h, body = self.get("/ranges", headers={"Range": "bytes=0-1,1000-1001"})
            self.assertEqual((st, h["x-cache"]), (206, want))
            ctype = h["content-type"]
            self.assertTrue(ctype.startswith("multipart/byteranges; boundary="), ctype)
            self.assertNotIn("content-range", h)
            msg = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            parts = [(p["Content-Range"], p["Content-Type"], p.get_payload(decode=True)) for p in msg.get_payload()]
            self.assertEqual(parts, [("bytes 0-1/2000", "text/plain", RANGES_BODY[0:2]),
                                     ("bytes 1000-1001/2000", "text/plain", RANGES_BODY[1000:1002])])
        st, h, body = self.get("/ranges", headers={"Range": "bytes=0-9,20-29"})
        self.assertEqual((st, h.get("content-range"), body), (206, "bytes 0-29/2000", RANGES_BODY[:30]))
        self.assertEqual(self.origin.count("/ranges"), 1)

    def test_any_status_with_max_age_is_cached(self):
        self.get("/status-299")
        st, h, body = self.get("/status-299")
        self.assertEqual((st, h["x-cache"], body), (299, "Hit from cloudfront", FINAL_BODY))
        self.assertEqual(self.origin.count("/status-299"), 1)

    def test_invalid_expires_means_expired(self):
        self.get("/expires-valid")
        _, h, _ = self.get("/expires-valid")
        self.assertEqual(h["x-cache"], "Hit from cloudfront", "a valid Expires an hour ahead is fresh")
        for path in ("/expires-one-digit-hour", "/expires-spaces"):
            self.get(path)
            _, h, _ = self.get(path)
            self.assertNotEqual(h["x-cache"], "Hit from cloudfront", path + ": an invalid Expires means already expired")
            self.assertEqual(self.origin.count(path), 2, path)

    def test_early_hints_reach_the_viewer(self):
        # HTTP/1.1 GET: taken by the fast path's loop (a miss), then the hit.
        data = self.raw(b"GET /hints-1 HTTP/1.1\r\nHost: " + self.host.encode() + b"\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 103 Early Hints\r\n"), data[:200])
        hint, _, final = data.partition(b"\r\n\r\n")
        self.assertIn(b"\r\nLink: </style.css>; rel=preload; as=style", hint)
        self.assertTrue(final.startswith(b"HTTP/1.1 200 OK\r\n"), final[:200])
        self.assertNotIn(b"\r\nLink:", final)
        data = self.raw(b"GET /hints-1 HTTP/1.1\r\nHost: " + self.host.encode() + b"\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 200 OK\r\n"), "a hit has no 103 to give: %r" % data[:200])
        # An absolute-form target: the fast path hands the connection to
        # net/http, which relays the 103 itself.
        data = self.raw(b"GET http://" + self.host.encode() + b"/hints-2 HTTP/1.1\r\nHost: " + self.host.encode() + b"\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 103 Early Hints\r\n"), data[:200])
        # HTTP/1.0 viewers must not get 1xx responses (RFC 9110 §15.2).
        data = self.raw(b"GET /hints-3 HTTP/1.0\r\nHost: " + self.host.encode() + b"\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.0 200 OK\r\n"), data[:200])


class TestDeadOriginErrorCached(ServerTestCase):
    def test_edge_502_is_cached_for_error_caching_min_ttl(self):
        dead = ClosingOrigin()
        self.addCleanup(dead.close)
        cfg = dist_config(V2020, origins=[origin_config(dead.port, attempts=3)],
                          behavior=legacy_behavior("raw"),
                          CustomErrorResponses={"Quantity": 1, "Items": [{"ErrorCode": 502, "ErrorCachingMinTTL": 2}]})
        d = self.cf.create_distribution(DistributionConfig=cfg)["Distribution"]
        wait_deployed(self.cf, d["Id"])
        conn = lambda: http.client.HTTPConnection("127.0.0.1", self.server.edge_port, timeout=10)

        def get():
            c = conn()
            try:
                c.request("GET", "/x", headers={"Host": d["DomainName"]})
                r = c.getresponse()
                return r.status, r.getheader("X-Cache"), r.read()
            finally:
                c.close()

        st, xc, body = get()
        self.assertEqual((st, xc), (502, "Error from cloudfront"))
        self.assertIn(b"Generated by cloudfront (CloudFront)", body)
        self.assertEqual(dead.count(), 3, "ConnectionAttempts=3")
        for _ in range(3):
            self.assertEqual(get()[0], 502)
        self.assertEqual(dead.count(), 3, "within ErrorCachingMinTTL the cached 502 answers")
        time.sleep(2.2)
        self.assertEqual(get()[0], 502)
        self.assertEqual(dead.count(), 6, "after ErrorCachingMinTTL the origin is tried again")


if __name__ == "__main__":
    import unittest
    unittest.main()
