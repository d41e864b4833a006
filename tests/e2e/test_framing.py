"""HTTP/1.1 framing, CloudFront's request limits and slow clients on the real
listeners of `openfront serve` (edge HTTP, edge HTTPS, API), with raw
sockets: clients would refuse to send these requests (issue 12)."""

import http.server
import re
import select
import socket
import ssl
import threading
import time
import unittest

from harness import ServerTestCase, loopback_distribution


class Origin:
    """A keep-alive loopback origin that counts requests per path and can be
    restarted on the same port (its open connections closed, as a restarted
    process's are)."""

    def __init__(self):
        self.counts = {}
        self.lock = threading.Lock()
        self.conns = set()
        self.port = 0
        self.start()

    def start(self):
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                with origin.lock:
                    origin.conns.add(self.connection)

            def _whole_chunked_body(self):
                try:
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while True:
                                line = self.rfile.readline()
                                if line in (b"\r\n", b"\n"):
                                    return True
                                if not line:
                                    return False
                        if len(self.rfile.read(size + 2)) < size + 2:
                            return False
                except ValueError:
                    return False

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n and len(self.rfile.read(n)) < n:
                    return  # the edge cut the request: not counted
                if self.headers.get("Transfer-Encoding") == "chunked" and not self._whole_chunked_body():
                    return
                path = self.path.split("?")[0]
                with origin.lock:
                    origin.counts[path] = origin.counts.get(path, 0) + 1
                self.send_response(200)
                if path == "/big-header":
                    self.send_header("X-Big", "b" * (2 << 20))
                body = b"ok " + path.encode()
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _any

        class Quiet(http.server.ThreadingHTTPServer):
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass  # the edge hangs up on the oversized header: expected

        self.httpd = Quiet(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.conns.clear()

    def restart(self):
        self.stop()
        self.start()

    def count(self, path):
        with self.lock:
            return self.counts.get(path, 0)


def statuses_of(data):
    """The status codes of the responses in data, in order."""
    return [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) [A-Z]", data)]


def read_responses(sock, timeout=10):
    """Reads until the server closes; returns the status codes and the raw bytes."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            b = sock.recv(65536)
        except socket.timeout:
            raise AssertionError("the server did not close the connection; read %r" % data[-300:])
        if not b:
            break
        data += b
    return statuses_of(data), data


def send_and_read(sock, req, timeout=10):
    """Sends req while reading the answer, from one thread (an SSL socket
    must not be written and read by two threads at once: OpenSSL's SSL
    object is not thread safe, and the answer can be lost), until the
    server closes; returns what read_responses returns. A server that
    refuses the request stops reading it: what it did not read is dropped."""
    sock.setblocking(False)
    data, sent, deadline = b"", 0, time.time() + timeout
    while time.time() < deadline:
        writing = sent < len(req)
        select.select([sock], [sock] if writing else [], [], 0.1)
        try:
            b = sock.recv(65536)
            if not b:
                break
            data += b
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            pass
        except (ConnectionResetError, BrokenPipeError):
            break  # closed with our bytes unread: what came before it counts
        if writing:
            try:
                sent += sock.send(req[sent:sent + 16384])
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                pass
            except OSError:
                sent = len(req)  # refused and closed before all of it was sent
    else:
        raise AssertionError("the server did not close the connection; read %r" % data[-300:])
    return statuses_of(data), data


def closed_within(sock, seconds, trickle=b""):
    """Trickles a byte of trickle every 100 ms; returns how long until the
    server closed the connection (None if still open after seconds)."""
    start = time.time()
    sock.settimeout(0.1)
    i = 0
    while time.time() - start < seconds:
        try:
            if not sock.recv(65536):
                return time.time() - start
        except socket.timeout:
            pass
        except OSError:
            return time.time() - start
        if i < len(trickle):
            try:
                sock.send(trickle[i:i + 1])
            except OSError:
                return time.time() - start
            i += 1
    return None


def trickle_and_read(sock, trickle, timeout=10):
    """Sends trickle a byte every 100 ms while reading, from one thread (as
    send_and_read, for SSL sockets), until the server closes; returns what
    read_responses returns."""
    sock.setblocking(False)
    data, i, next_send, deadline = b"", 0, time.time(), time.time() + timeout
    while time.time() < deadline:
        select.select([sock], [], [], 0.05)
        try:
            b = sock.recv(65536)
            if not b:
                break
            data += b
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            pass
        except (ConnectionResetError, BrokenPipeError):
            break
        if i < len(trickle) and time.time() >= next_send:
            try:
                sock.send(trickle[i:i + 1])
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                continue
            except OSError:
                i = len(trickle)
                continue
            i, next_send = i + 1, time.time() + 0.1
    else:
        raise AssertionError("the server did not close the connection; read %r" % data[-300:])
    return statuses_of(data), data


class TestFraming(ServerTestCase):
    server_kwargs = {"extra_args": ["--request-head-timeout", "1s", "--request-body-timeout", "1s"]}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.origin = Origin()
        cls.host = loopback_distribution(cls.cf, cls.origin.port, "web", read_timeout=5, keepalive_timeout=30, all_methods=True)["DomainName"]

    @classmethod
    def tearDownClass(cls):
        cls.origin.stop()
        super().tearDownClass()

    def connect(self, listener):
        port = {"edge": self.server.edge_port, "edge-tls": self.server.edge_tls_port, "api": self.server.api_port}[listener]
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if listener == "edge-tls":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s, server_hostname=self.host)
        self.addCleanup(s.close)
        return s

    def test_content_length_with_transfer_encoding_is_refused(self):
        smuggled = b"GET /smuggled HTTP/1.1\r\nHost: %s\r\n\r\n" % self.host.encode()
        body = b"0\r\n\r\n" + smuggled
        for listener in ("edge", "edge-tls", "api"):
            with self.subTest(listener=listener):
                first = b"/healthz" if listener == "api" else b"/first-" + listener.encode()
                s = self.connect(listener)
                s.sendall(b"GET " + first + b" HTTP/1.1\r\nHost: " + self.host.encode() + b"\r\n\r\n" +
                          b"POST /post HTTP/1.1\r\nHost: " + self.host.encode() + b"\r\n" +
                          b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(body) + body)
                statuses, data = read_responses(s)
                self.assertEqual(statuses, [200, 400], data[-1500:])
                if listener == "api":
                    self.assertIn(b"<Code>InvalidArgument</Code>", data)
                else:
                    self.assertIn(b"<H1>400 ERROR</H1>", data)
                    self.assertIn(b"X-Cache: Error from cloudfront", data)
        self.assertEqual(self.origin.count("/smuggled"), 0, "the bytes Content-Length covered ran as a request")
        self.assertEqual(self.origin.count("/post"), 0)

    def test_cloudfront_request_limits(self):
        pad = lambda n: b"a" * n
        fixed = b"GET /h HTTP/1.1\r\nHost: %s\r\nX-Pad: \r\n\r\n" % self.host.encode()
        head = lambda size: b"GET /h HTTP/1.1\r\nHost: %s\r\nX-Pad: %s\r\n\r\n" % (self.host.encode(), pad(size - len(fixed)))
        cases = [
            ("head of 20480 bytes", head(20480), 200),
            ("head of 20481 bytes", head(20481), 413),
            ("URL of 8193 bytes", b"GET /" + pad(8192) + b" HTTP/1.1\r\nHost: " + self.host.encode() + b"\r\n\r\n", 413),
            ("1 MiB header", b"GET / HTTP/1.1\r\nHost: " + self.host.encode() + b"\r\nX: " + pad(1 << 20) + b"\r\n\r\n", 413),
        ]
        for listener in ("edge", "edge-tls"):
            for name, req, status in cases:
                with self.subTest(listener=listener, case=name):
                    s = self.connect(listener)
                    req += b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    if listener == "edge-tls":
                        # One thread writes and reads (send_and_read).
                        statuses, data = send_and_read(s, req)
                    else:
                        def send(s=s, req=req):
                            try:
                                s.sendall(req)
                            except OSError:
                                pass  # refused and closed before all of it was sent

                        threading.Thread(target=send, daemon=True).start()
                        statuses, data = read_responses(s)
                    self.assertTrue(statuses, "no response before the close: %r" % data[:500])
                    self.assertEqual(statuses[0], status, data[:500])
                    if status == 413:
                        self.assertEqual(statuses, [413], "the connection must be closed after 413")
                        self.assertIn(b"Connection: close", data)
                        self.assertIn(b"<H1>413 ERROR</H1>", data)

    def test_slow_clients_are_closed(self):
        # --request-head-timeout 1s and --request-body-timeout 1s; without
        # them these connections stay open (120 s for a silent one,
        # forever for the trickles).
        post = b"POST /upload HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n\r\n" % self.host.encode()
        head = b"GET /slow HTTP/1.1\r\nHost: %s\r\n" % self.host.encode() + b"X-A: 1\r\n" * 40
        cases = [("edge", b"", b""), ("edge", b"", head), ("edge", post, b"x" * 100),
                 ("edge-tls", b"", head), ("edge-tls", post, b"x" * 100),
                 ("api", b"", b""), ("api", b"", head), ("api", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n", b"x" * 100)]
        socks = []
        for listener, prefix, trickle in cases:
            s = self.connect(listener)
            if prefix:
                s.sendall(prefix)
            socks.append((listener, prefix, trickle, s))
        results = {}

        def watch(i, s, trickle):
            results[i] = closed_within(s, 6, trickle)

        threads = [threading.Thread(target=watch, args=(i, s, t)) for i, (_, _, t, s) in enumerate(socks)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, (listener, prefix, trickle, _) in enumerate(socks):
            kind = "body trickle" if prefix else ("head trickle" if trickle else "silent")
            with self.subTest(listener=listener, kind=kind):
                self.assertIsNotNone(results[i], "still open after 6 s")
                self.assertLess(results[i], 4)

    def test_many_trickling_connections(self):
        n = 200
        head = b"GET /slow HTTP/1.1\r\nHost: %s\r\n" % self.host.encode() + b"X-A: 1\r\n" * 40
        socks = [self.connect("edge") for _ in range(n)]
        start = time.time()
        open_ = set(range(n))
        i = 0
        while open_ and time.time() - start < 6:
            for k in list(open_):
                s = socks[k]
                try:
                    s.send(head[i % len(head):i % len(head) + 1])
                    s.settimeout(0.001)
                    if s.recv(1024) == b"":
                        open_.discard(k)
                except socket.timeout:
                    pass
                except OSError:
                    open_.discard(k)
            i += 1
            time.sleep(0.1)
        self.assertEqual(len(open_), 0, "%d of %d trickling connections still open after 6 s" % (len(open_), n))

    def test_viewer_body_failures_are_the_viewers(self):
        # A body slower than --request-body-timeout gets CloudFront's 408, a
        # malformed chunked body its 400 (RFC 9112 section 7.1), both closing
        # the connection, and neither is logged as the origin's failure.
        # Before: net/http's empty 200 for the slow body (no X-Cache), a 502
        # and "edge: origin failed ... OriginConnectError" for the malformed.
        h = self.host.encode()

        def chunked(path, body):
            return b"POST " + path + b" HTTP/1.1\r\nHost: " + h + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + body

        cases = [
            ("slow Content-Length body", lambda p: b"POST " + p + b" HTTP/1.1\r\nHost: " + h + b"\r\nContent-Length: 100000\r\n\r\n", b"x" * 40, 408),
            ("slow chunked body", lambda p: chunked(p, b""), b"1\r\nx\r\n" * 8, 408),
            ("bad chunk terminator", lambda p: chunked(p, b"3\r\nabcXX0\r\n\r\n"), b"", 400),
            ("chunk size overflow", lambda p: chunked(p, b"10000000000000001\r\nabc\r\n0\r\n\r\n"), b"", 400),
            ("negative chunk size", lambda p: chunked(p, b"-3\r\nabc\r\n0\r\n\r\n"), b"", 400),
            ("bare LF after chunk data", lambda p: chunked(p, b"3\r\nabc\n0\r\n\r\n"), b"", 400),
        ]
        paths = []
        for listener in ("edge", "edge-tls"):
            for i, (name, head, trickle, status) in enumerate(cases):
                with self.subTest(listener=listener, case=name):
                    path = b"/body-%s-%d" % (listener.encode(), i)
                    paths.append(path.decode())
                    s = self.connect(listener)
                    follow = b"" if trickle else b"GET /after HTTP/1.1\r\nHost: " + h + b"\r\n\r\n"
                    s.sendall(head(path) + follow)
                    statuses, data = trickle_and_read(s, trickle)
                    self.assertEqual(statuses, [status], data[:600])
                    self.assertIn(b"X-Cache: Error from cloudfront", data)
                    self.assertIn(b"<H1>%d ERROR</H1>" % status, data)
                    self.assertIn(b"Server: CloudFront", data)
                    self.assertEqual(self.origin.count(path.decode()), 0)
        failed = [line for line in self.server.stderr().splitlines() if "edge: origin failed" in line and any(p in line for p in paths)]
        self.assertEqual(failed, [], "a viewer's body failure was logged as the origin's")

    def test_net_http_answers_are_cloudfronts(self):
        # Requests net/http used to answer itself: in plain text without
        # X-Cache or Server (a control byte or no leading slash in the
        # target), with a bare 417 (Expect: bogus), or with an empty 200 for
        # any Host (OPTIONS *). The edge answers them with CloudFront's page
        # (OPTIONS * as over HTTP/2: 400, 403 for an unknown Host), the API
        # with an ErrorResponse.
        h = self.host.encode()
        cases = [
            ("HTAB in the target", b"GET /a\tb HTTP/1.1\r\nHost: " + h + b"\r\n\r\n", 400),
            ("NUL in the target", b"GET /hi\x00t HTTP/1.1\r\nHost: " + h + b"\r\n\r\n", 400),
            ("target without a leading slash", b"GET hit HTTP/1.1\r\nHost: " + h + b"\r\n\r\n", 400),
            ("Expect: bogus", b"POST /exp HTTP/1.1\r\nHost: " + h + b"\r\nExpect: bogus\r\nContent-Length: 3\r\n\r\nabc", 417),
            ("OPTIONS *", b"OPTIONS * HTTP/1.1\r\nHost: " + h + b"\r\nConnection: close\r\n\r\n", 400),
            ("OPTIONS * of an unknown host", b"OPTIONS * HTTP/1.1\r\nHost: unknown.example\r\nConnection: close\r\n\r\n", 403),
        ]
        for listener in ("edge", "edge-tls", "api"):
            for name, req, status in cases:
                with self.subTest(listener=listener, case=name):
                    s = self.connect(listener)
                    statuses, data = send_and_read(s, req)
                    self.assertEqual(len(statuses), 1, data[:600])
                    if listener == "api":
                        self.assertGreaterEqual(statuses[0], 400, data[:600])
                        self.assertIn(b"<ErrorResponse", data)
                    else:
                        self.assertEqual(statuses, [status], data[:600])
                        self.assertIn(b"X-Cache: Error from cloudfront", data)
                        self.assertIn(b"Server: CloudFront", data)
                        self.assertIn(b"<H1>%d ERROR</H1>" % status, data)

    def test_origin_response_head_over_limit_is_502(self):
        s = self.connect("edge")
        s.sendall(b"GET /big-header HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % self.host.encode())
        statuses, data = read_responses(s)
        self.assertEqual(statuses, [502], data[:300])

    def test_origin_restart_does_not_give_502(self):
        for i in range(3):
            s = self.connect("edge")
            s.sendall(b"GET /restart-%d HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (i, self.host.encode()))
            statuses, data = read_responses(s)
            self.assertEqual(statuses, [200], "request %d: %r" % (i, data[:300]))
            self.origin.restart()


if __name__ == "__main__":
    unittest.main()
