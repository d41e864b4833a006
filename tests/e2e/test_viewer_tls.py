"""Viewer TLS per distribution (issue 16): the certificate by SNI (the default one or the
operator's from --certificate-dir), MinimumProtocolVersion, and HttpVersion through ALPN and
Alt-Svc, with distributions created by boto3 and checked with Python's ssl module and curl."""

import datetime
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import V2020, ServerTestCase, custom_origin, dist_config, unique_alias, wait_deployed

CERT_DIR = tempfile.mkdtemp(prefix="openfront-certs-")
ARN = "arn:aws:acm:us-east-1:123456789012:certificate/%s"


def file_base(name):
    """The documented file name of a certificate: ':' -> '_', '/' -> '+'."""
    return name.replace(":", "_").replace("/", "+")


def put_certificate(name, names, days=(-1, 30), cert_dir=None):
    """Write a self-signed certificate for `names` as the operator would (in cert_dir, CERT_DIR by
    default); returns its DER."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=days[0]))
            .not_valid_after(now + datetime.timedelta(days=days[1]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(key, hashes.SHA256()))
    base = os.path.join(cert_dir or CERT_DIR, file_base(name))
    with open(base + ".crt", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(base + ".key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert.public_bytes(serialization.Encoding.DER)


class Origin(http.server.ThreadingHTTPServer):
    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                body = b"object " + self.path.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=600")
                self.end_headers()
                self.wfile.write(body)

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class TestViewerTLS(ServerTestCase):
    server_kwargs = {"extra_args": ["--certificate-dir", CERT_DIR]}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.origin = Origin()

    @classmethod
    def tearDownClass(cls):
        cls.origin.shutdown()
        super().tearDownClass()
        shutil.rmtree(CERT_DIR, ignore_errors=True)

    def create(self, http_version="http2", cert=None, aliases=()):
        o = custom_origin(domain="127.0.0.1")
        o["CustomOriginConfig"]["HTTPPort"] = self.origin.server_address[1]
        cfg = dist_config(V2020, origins=[o], aliases=aliases, HttpVersion=http_version)
        if cert:
            cfg["ViewerCertificate"] = cert
        d = self.cf.create_distribution(DistributionConfig=cfg)["Distribution"]
        wait_deployed(self.cf, d["Id"])
        return d

    def handshake(self, host, alpn=("h2", "http/1.1"), version=None):
        """A TLS handshake with SNI `host`: (negotiated ALPN, certificate DER, TLS version)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        ctx.set_alpn_protocols(list(alpn))
        if version:
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", self.server.edge_tls_port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                return s.selected_alpn_protocol(), s.getpeercert(binary_form=True), s.version()

    def curl(self, host, *args):
        port = self.server.edge_tls_port
        p = subprocess.run(["curl", "-sk", "--max-time", "10", "--resolve", "%s:%d:127.0.0.1" % (host, port),
                            "-D", "-", "-o", "/dev/null", "-w", "HTTPVERSION=%{http_version}", *args,
                            "https://%s:%d/obj" % (host, port)], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_alpn_follows_http_version(self):
        for version, want in (("http1.1", "http/1.1"), ("http2", "h2"), ("http3", "http/1.1"), ("http2and3", "h2")):
            with self.subTest(HttpVersion=version):
                d = self.create(version)
                self.assertEqual(self.handshake(d["DomainName"])[0], want)
                out = self.curl(d["DomainName"], "--http2")
                self.assertIn("HTTPVERSION=%s" % ("2" if want == "h2" else "1.1"), out)
                alt = [l.lower() for l in out.splitlines() if l.lower().startswith("alt-svc:")]
                if version in ("http3", "http2and3"):
                    self.assertEqual(alt, ['alt-svc: h3=":%d"; ma=86400' % self.server.edge_tls_port], out)
                else:
                    self.assertEqual(alt, [], out)

    def test_http2_hits_multiplexed(self):
        """Hits over HTTP/2 (the edge's own HTTP/2 server): curl sees the stored object with
        Via 2.0, and h2load's 16 streams per connection all get it."""
        d = self.create("http2")
        self.curl(d["DomainName"], "--http2")
        out = self.curl(d["DomainName"], "--http2")
        self.assertRegex(out.splitlines()[0], r"^HTTP/2 200", out)
        self.assertIn("x-cache: hit from cloudfront", out.lower())
        self.assertRegex(out.lower(), r"\nvia: 2\.0 \S+\.cloudfront\.net \(cloudfront\)", out)
        if not shutil.which("h2load"):
            self.skipTest("h2load not installed (Debian: nghttp2-client)")
        # The URI's host is the SNI (no HTTP/2 without it); --connect-to sends it to loopback.
        port = self.server.edge_tls_port
        p = subprocess.run(["h2load", "-n", "800", "-c", "2", "-m", "16", "--connect-to", "127.0.0.1:%d" % port,
                            "https://%s:%d/obj" % (d["DomainName"], port)],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Application protocol: h2", p.stdout)
        self.assertIn("800 succeeded, 0 failed", p.stdout)
        self.assertIn("status codes: 800 2xx, 0 3xx, 0 4xx, 0 5xx", p.stdout)

    def test_no_sni_gets_http11_only(self):
        """A viewer sending no SNI (connecting to an IP address) never gets HTTP/2, whatever the
        Host's HttpVersion: "viewers must support TLSv1.2 or later, and must support Server Name
        Indication (SNI)" (API Reference, DistributionConfig.HttpVersion)."""
        d = self.create("http2")
        self.assertEqual(self.handshake(None)[0], "http/1.1")
        port = self.server.edge_tls_port
        p = subprocess.run(["curl", "-sk", "--max-time", "10", "--http2", "-H", "Host: " + d["DomainName"], "-D", "-",
                            "-o", "/dev/null", "-w", "HTTPVERSION=%{http_version}", "https://127.0.0.1:%d/obj" % port],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("HTTPVERSION=1.1", p.stdout)
        self.assertRegex(p.stdout.splitlines()[0], r"^HTTP/1.1 200", p.stdout)
        if shutil.which("openssl"):
            o = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-noservername",
                                "-alpn", "h2,http/1.1"], input="", capture_output=True, text=True, timeout=20)
            self.assertIn("ALPN protocol: http/1.1", o.stdout, o.stdout + o.stderr)

    def test_oversize_head_gets_413_over_http2(self):
        """A head over CloudFront's 20,480 bytes is CloudFront's 413 page over HTTP/1.1 and HTTP/2 alike."""
        d = self.create("http2")
        pad = "X-Pad: " + "p" * 25000
        for proto, want_version in (("--http1.1", "1.1"), ("--http2", "2")):
            with self.subTest(proto=proto):
                out = self.curl(d["DomainName"], proto, "-H", pad)
                self.assertIn("HTTPVERSION=%s" % want_version, out)
                self.assertRegex(out.splitlines()[0], r"^HTTP/\S+ 413", out)
                self.assertIn("x-cache: error from cloudfront", out.lower())
                small = self.curl(d["DomainName"], proto, "-H", "X-Pad: " + "p" * 19000)
                self.assertRegex(small.splitlines()[0], r"^HTTP/\S+ 200", small)

    def test_host_other_than_sni(self):
        """SNI names one distribution, Host another: the Host's serves it (one account, so no 421)."""
        first, second = self.create("http2"), self.create("http2")
        out = self.curl(first["DomainName"], "--http2", "-H", "Host: " + second["DomainName"])
        self.assertRegex(out.splitlines()[0], r"^HTTP/2 200", out)
        self.assertNotIn(" 421", out.splitlines()[0])

    def test_operator_certificate_by_sni(self):
        arn = ARN % "sni"
        alias = unique_alias()
        der = put_certificate(arn, [alias])
        d = self.create(cert={"ACMCertificateArn": arn, "SSLSupportMethod": "sni-only",
                              "MinimumProtocolVersion": "TLSv1.2_2021"}, aliases=[alias])
        self.assertEqual(self.handshake(alias)[1], der)
        # Its own domain name, and names nobody serves, get the default certificate.
        default = self.handshake(d["DomainName"])[1]
        self.assertNotEqual(default, der)
        self.assertEqual(self.handshake("nobody.example.org")[1], default)
        # TLSv1.2_2021 refuses TLS 1.1 on the alias; the default certificate's TLSv1 takes it.
        with self.assertRaises(ssl.SSLError):
            self.handshake(alias, version=ssl.TLSVersion.TLSv1_1)
        try:
            self.assertEqual(self.handshake(d["DomainName"], version=ssl.TLSVersion.TLSv1_1)[2], "TLSv1.1")
        except ssl.SSLError as e:  # this OpenSSL build cannot speak TLS 1.1 at all
            self.skipTest("client has no TLS 1.1: %s" % e)

    def test_renewed_certificate_served_without_restart(self):
        arn = ARN % "renew"
        alias = unique_alias()
        put_certificate(arn, [alias])
        self.create(cert={"ACMCertificateArn": arn, "SSLSupportMethod": "sni-only",
                          "MinimumProtocolVersion": "TLSv1.2_2021"}, aliases=[alias])
        renewed = put_certificate(arn, [alias, "extra-" + alias])
        deadline = time.time() + 5
        while self.handshake(alias)[1] != renewed:
            self.assertLess(time.time(), deadline, "renewed certificate not served")
            time.sleep(0.2)

    def test_renewed_certificate_not_covering_alias(self):
        """A renewed file that no longer covers the alias is not served (CloudFront never serves a
        certificate not covering the name): handshakes are refused and the log says so once, naming
        the distribution and the certificate, however many handshakes come."""
        arn = ARN % "narrowed"
        alias = unique_alias()
        put_certificate(arn, [alias])
        d = self.create(cert={"ACMCertificateArn": arn, "SSLSupportMethod": "sni-only",
                              "MinimumProtocolVersion": "TLSv1.2_2021"}, aliases=[alias])
        self.handshake(alias)
        put_certificate(arn, ["elsewhere.example.org"])
        deadline = time.time() + 5
        while True:
            try:
                self.handshake(alias)
            except (ssl.SSLError, ConnectionError):
                break
            self.assertLess(time.time(), deadline, "a certificate not covering the alias is still served")
            time.sleep(0.2)
        for _ in range(20):
            with self.assertRaises((ssl.SSLError, ConnectionError)):
                self.handshake(alias)
        lines = [l for l in self.server.stderr().splitlines() if "certificate cannot be served" in l and d["Id"] in l]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(arn, lines[0])
        self.assertIn(alias, lines[0])

    def test_invalid_viewer_certificate(self):
        expired, other = ARN % "expired", ARN % "other"
        alias = unique_alias()
        put_certificate(expired, [alias], days=(-30, -1))
        put_certificate(other, ["somewhere-else.example.com"])
        for name, arn in (("missing", ARN % "missing"), ("expired", expired), ("alias not covered", other)):
            with self.subTest(name):
                o = custom_origin(domain="127.0.0.1")
                cfg = dist_config(V2020, origins=[o], aliases=[alias], ViewerCertificate={
                    "ACMCertificateArn": arn, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"})
                with self.assertRaises(self.cf.exceptions.InvalidViewerCertificate) as e:
                    self.cf.create_distribution(DistributionConfig=cfg)
                self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)


if __name__ == "__main__":
    unittest.main()


class TestQUICListener(unittest.TestCase):
    """--edge-quic-addr binds UDP like the other listeners bind TCP: a taken port fails the start
    with a message naming it; an empty value disables HTTP/3 (and Alt-Svc)."""

    def test_udp_port_taken(self):
        from harness import Server
        srv = Server()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", srv.edge_tls_port))  # the default: the TLS address, over UDP
        self.addCleanup(u.close)
        srv.start(wait=False)
        rc = srv.wait_exit(15)
        if rc is None:
            srv.kill()
            self.fail("openfront kept running with its QUIC port taken\n%s" % srv.stderr())
        self.assertNotEqual(rc, 0)
        self.assertIn("127.0.0.1:%d/udp (--edge-quic-addr)" % srv.edge_tls_port, srv.stderr())

    def test_disabled(self):
        from harness import Server
        srv = Server(extra_args=["--edge-quic-addr", ""])
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", srv.edge_tls_port))  # taken, but not wanted
        self.addCleanup(u.close)
        srv.start()
        try:
            self.assertNotIn("edge-http3", srv.stderr())
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())
