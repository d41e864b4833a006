"""WebSocket connections through the real edge ("Use WebSockets with
CloudFront distributions", AWS; RFC 6455): the opening handshake reaches
the origin with Upgrade and the Sec-WebSocket-* headers, the origin's 101
comes back with CloudFront's headers, and frames pass both ways, over the
edge's HTTP and HTTPS (HTTP/1.1) listeners. The origin and the client are
written here with the standard library (sockets, hashlib, base64)."""

import base64
import hashlib
import os
import socket
import socketserver
import ssl
import struct
import threading
import unittest

from harness import ServerTestCase, loopback_distribution

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def read_head(f):
    """Reads an HTTP head from a file; returns its first line and headers
    (lower-case names)."""
    first = f.readline().decode("latin-1").rstrip("\r\n")
    headers = {}
    while True:
        line = f.readline().decode("latin-1").rstrip("\r\n")
        if not line:
            return first, headers
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()


def read_frame(f):
    """Reads one frame: (opcode, payload), unmasking a masked one; None at
    the end of the stream."""
    h = f.read(2)
    if len(h) < 2:
        return None
    n = h[1] & 0x7F
    if n == 126:
        n = struct.unpack(">H", f.read(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", f.read(8))[0]
    mask = f.read(4) if h[1] & 0x80 else None
    payload = f.read(n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return h[0] & 0x0F, payload


def frame(payload, opcode=1, masked=False):
    b = bytes([0x80 | opcode])
    n = len(payload)
    m = 0x80 if masked else 0
    if n < 126:
        b += bytes([m | n])
    elif n < 65536:
        b += bytes([m | 126]) + struct.pack(">H", n)
    else:
        b += bytes([m | 127]) + struct.pack(">Q", n)
    if masked:
        mask = os.urandom(4)
        return b + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return b + payload


class Origin:
    """A WebSocket echo origin: it answers a handshake with a key with 101
    and echoes text frames ("echo: ..."), closing after "bye"; a handshake
    without a key gets 400, /refuse gets 403 and a plain GET a cacheable
    200. It keeps each request's headers."""

    def __init__(self):
        origin = self
        self.requests = []
        self.lock = threading.Lock()

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                first, h = read_head(self.rfile)
                with origin.lock:
                    origin.requests.append((first, h))
                path = first.split(" ")[1]
                if path == "/refuse":
                    body = b"no sockets here"
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nCache-Control: max-age=3600\r\n"
                                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
                    return
                if h.get("upgrade", "").lower() != "websocket":
                    body = b"plain " + path.encode()
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nCache-Control: max-age=3600\r\n"
                                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
                    return
                key = h.get("sec-websocket-key")
                if not key or h.get("sec-websocket-version") != "13":
                    self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: chat\r\n\r\n" % accept_for(key)).encode())
                self.wfile.flush()
                while True:
                    fr = read_frame(self.rfile)
                    if fr is None:
                        return
                    op, payload = fr
                    if op == 8:  # close: answer it and end
                        self.wfile.write(frame(payload[:2], 8))
                        return
                    self.wfile.write(frame(b"echo: " + payload))
                    self.wfile.flush()
                    if payload == b"bye":
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.srv = Server(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()

    def seen(self):
        with self.lock:
            return list(self.requests)


class TestWebSocket(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.origin = Origin()
        cls.host = loopback_distribution(cls.cf, cls.origin.port, "ws", read_timeout=5, keepalive_timeout=5)["DomainName"]

    @classmethod
    def tearDownClass(cls):
        cls.origin.stop()
        super().tearDownClass()

    def connect(self, tls):
        port = self.server.edge_tls_port if tls else self.server.edge_port
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            s = ctx.wrap_socket(s, server_hostname=self.host)
        self.addCleanup(s.close)
        return s, s.makefile("rb")

    def handshake(self, s, f, path, key):
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n"
                   "Origin: https://example.com\r\n\r\n" % (path, self.host, key)).encode())
        first, h = read_head(f)
        return int(first.split(" ")[1]), h

    def test_echo_over_http_and_https(self):
        for tls in (False, True):
            with self.subTest(viewer="wss" if tls else "ws"):
                s, f = self.connect(tls)
                key = base64.b64encode(os.urandom(16)).decode()
                status, h = self.handshake(s, f, "/chat/%s" % tls, key)
                self.assertEqual(status, 101)
                self.assertEqual(h.get("sec-websocket-accept"), accept_for(key))
                self.assertEqual(h.get("upgrade", "").lower(), "websocket")
                self.assertEqual(h.get("x-cache"), "Miss from cloudfront")
                self.assertIn("cloudfront.net (CloudFront)", h.get("via", ""))
                self.assertTrue(h.get("x-amz-cf-id"))
                for msg in (b"hello", b"x" * 70000):
                    s.sendall(frame(msg, masked=True))
                    self.assertEqual(read_frame(f), (1, b"echo: " + msg))
                # The origin saw the handshake, with the headers it needs.
                first, oh = [r for r in self.origin.seen() if r[0].startswith("GET /chat/%s " % tls)][0]
                self.assertEqual(oh.get("upgrade"), "websocket")
                self.assertEqual(oh.get("connection"), "Upgrade")
                self.assertEqual(oh.get("sec-websocket-key"), key)
                self.assertEqual(oh.get("x-amz-cf-id"), h.get("x-amz-cf-id"))
                # The viewer closes: the origin answers the close frame.
                s.sendall(frame(struct.pack(">H", 1000), opcode=8, masked=True))
                self.assertEqual(read_frame(f), (8, struct.pack(">H", 1000)))
                self.assertIsNone(read_frame(f))

    def test_origin_close_reaches_the_viewer(self):
        s, f = self.connect(False)
        status, _ = self.handshake(s, f, "/bye", base64.b64encode(os.urandom(16)).decode())
        self.assertEqual(status, 101)
        s.sendall(frame(b"bye", masked=True))
        self.assertEqual(read_frame(f), (1, b"echo: bye"))
        self.assertIsNone(read_frame(f))  # the origin hung up: so does the edge

    def test_handshake_never_from_cache(self):
        # A plain GET of the path is cached...
        for want in ("Miss from cloudfront", "Hit from cloudfront"):
            s, f = self.connect(False)
            s.sendall(("GET /cached HTTP/1.1\r\nHost: %s\r\n\r\n" % self.host).encode())
            first, h = read_head(f)
            self.assertEqual((first.split(" ")[1], h.get("x-cache")), ("200", want))
        # ...but its handshake still goes to the origin.
        s, f = self.connect(False)
        status, _ = self.handshake(s, f, "/cached", base64.b64encode(os.urandom(16)).decode())
        self.assertEqual(status, 101)

    def test_refusal_relayed_uncached(self):
        for _ in range(2):
            s, f = self.connect(False)
            status, h = self.handshake(s, f, "/refuse", base64.b64encode(os.urandom(16)).decode())
            self.assertEqual(status, 403)
            self.assertEqual(f.read(int(h["content-length"])), b"no sockets here")
        self.assertEqual(len([r for r in self.origin.seen() if r[0].startswith("GET /refuse ")]), 2)


if __name__ == "__main__":
    unittest.main()
