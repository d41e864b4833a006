"""A viewer that stops reading is disconnected after --response-send-timeout
(README, "Hostile clients"), and its origin connection is released; a slow
viewer that keeps reading gets the whole object."""

import http.server
import socket
import ssl
import threading
import time
import unittest

from harness import ServerTestCase, loopback_distribution

BIG = 32 << 20  # far more than the socket buffers between the edge and a viewer hold
CHUNK = b"o" * (64 << 10)


class BigOrigin:
    """Answers every request with BIG bytes (cacheable under /cached/,
    no-store elsewhere) and records the paths whose response it could not
    finish writing: the edge closed that origin connection."""

    def __init__(self):
        self.lock = threading.Lock()
        self.cut = []
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                path = self.path.split("?")[0]
                self.send_response(200)
                self.send_header("Content-Length", str(BIG))
                self.send_header("Cache-Control", "max-age=600" if path.startswith("/cached/") else "no-store")
                self.end_headers()
                try:
                    for _ in range(BIG // len(CHUNK)):
                        self.wfile.write(CHUNK)
                except OSError:
                    with origin.lock:
                        origin.cut.append(self.command + " " + path)
                    self.close_connection = True

            do_GET = do_POST = _any

        class Quiet(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass

        self.httpd = Quiet(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def was_cut(self, what, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if what in self.cut:
                    return True
            time.sleep(0.05)
        return False


class TestSendTimeout(ServerTestCase):
    server_kwargs = {"extra_args": ["--response-send-timeout", "1s"]}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.origin = BigOrigin()
        cls.host = loopback_distribution(cls.cf, cls.origin.port, "web", read_timeout=30, keepalive_timeout=30, all_methods=True)["DomainName"]

    @classmethod
    def tearDownClass(cls):
        cls.origin.stop()
        super().tearDownClass()

    def viewer(self, tls=False, rcvbuf=4096):
        """A connection with a small receive buffer (set before the connect)."""
        port = self.server.edge_tls_port if tls else self.server.edge_port
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            s = ctx.wrap_socket(s, server_hostname=self.host)
        self.addCleanup(s.close)
        return s

    def request(self, method, path):
        extra = "Content-Length: 1\r\n\r\nx" if method == "POST" else "\r\n"
        return ("%s %s HTTP/1.1\r\nHost: %s\r\n%s" % (method, path, self.host, extra)).encode()

    def assertDisconnected(self, s, what):
        """Past the timeout, the connection delivers less than the body, then ends."""
        time.sleep(4)
        s.settimeout(10)
        got = 0
        try:
            while True:
                b = s.recv(1 << 20)
                if not b:
                    break
                got += len(b)
        except socket.timeout:
            self.fail("%s: still connected after %d bytes (the viewer stopped reading)" % (what, got))
        except OSError:
            pass  # reset: the edge dropped what the viewer never took
        self.assertLess(got, BIG, what)

    def test_stalled_viewers_are_disconnected(self):
        ts = str(time.time())
        cases = [
            ("miss", False, "GET", "/stream-" + ts),
            ("TLS miss", True, "GET", "/stream-tls-" + ts),
            ("pass-through", False, "POST", "/post-" + ts),
            ("TLS pass-through", True, "POST", "/post-tls-" + ts),
        ]
        socks = []
        for what, tls, method, path in cases:
            s = self.viewer(tls)
            s.sendall(self.request(method, path))
            socks.append((what, s, method + " " + path))
        for what, s, seen in socks:
            self.assertDisconnected(s, what)
            self.assertTrue(self.origin.was_cut(seen, 10), "%s: the origin connection was not released" % what)

    def test_stalled_hit_is_disconnected(self):
        path = "/cached/obj-%f" % time.time()
        # Fill the cache with a viewer that reads everything.
        s = self.viewer(rcvbuf=1 << 20)
        s.sendall(self.request("GET", path))
        got, deadline = 0, time.time() + 30
        while got < BIG and time.time() < deadline:
            got += len(s.recv(1 << 20))
        self.assertGreaterEqual(got, BIG)
        for tls in (False, True):
            s = self.viewer(tls)
            s.sendall(self.request("GET", path))
            self.assertDisconnected(s, "a %s hit" % ("TLS" if tls else "plain"))

    def test_slow_reader_gets_everything(self):
        # A viewer that takes 256 KiB every 20 ms: the download lasts
        # several times the timeout, and is never stalled for a whole one.
        path = "/cached/slow-%f" % time.time()
        s = self.viewer(rcvbuf=256 << 10)
        s.sendall(self.request("GET", path))
        got, head = 0, b""
        start = time.time()
        while True:
            time.sleep(0.02)
            try:
                b = s.recv(256 << 10)
            except OSError as e:
                self.fail("cut after %d bytes, %.1fs: %r" % (got, time.time() - start, e))
            if not b:
                self.fail("closed after %d bytes, %.1fs" % (got, time.time() - start))
            if not head:
                head, _, b = b.partition(b"\r\n\r\n")
            got += len(b)
            if got >= BIG:
                break
        self.assertEqual(got, BIG)


if __name__ == "__main__":
    unittest.main()
