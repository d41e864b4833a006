"""CloudFront-generated request headers (issue 12): CloudFront-Viewer-Country
comes from the edge's geo database, the device headers from the User-Agent,
and a viewer's own copies of any CloudFront-* header never reach the origin
or the cache key. Distributions and policies are created with boto3; the
viewer requests are written on raw sockets so that nothing normalises the
spoofed header names."""

import http.server
import os
import socket
import subprocess
import tempfile
import threading
import unittest

from harness import REPO_ROOT, V2020, Server, _rmtree_later, custom_origin, dist_config, new_ref, wait_deployed

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def is_cloudfront_name(name):
    n = name.lower().replace("_", "-")
    return n.startswith("cloudfront-")


class RecordingOrigin:
    """A loopback origin that records every request's header lines as sent
    (name spelling and duplicates kept)."""

    def __init__(self):
        self.requests = {}
        self.lock = threading.Lock()
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with origin.lock:
                    origin.requests.setdefault(self.path, []).append(list(self.headers.items()))
                body = b"ok " + self.path.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Cache-Control", "max-age=300")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def seen(self, path):
        """The CloudFront-* header lines of the last request for path, and
        the number of requests."""
        with self.lock:
            reqs = self.requests.get(path, [])
            last = reqs[-1] if reqs else []
            return [(k, v) for k, v in last if is_cloudfront_name(k)], dict(last), len(reqs)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def spoofed_request(host, path, ua="Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
            "CloudFront-Viewer-Country: ZZ\r\n"
            "cloudfront-viewer-country: YY\r\n"
            "CloudFront_Viewer_Country: ZZ\r\n"
            "CLOUDFRONT-IS-MOBILE-VIEWER: false\r\n"
            "CloudFront-Viewer-Address: 203.0.113.9:1\r\n"
            "CloudFront-Forwarded-Proto: https\r\n"
            "X-Custom: kept\r\n"
            "Connection: close\r\n\r\n" % (path, host, ua)).encode()


class TestViewerHeaders(unittest.TestCase):
    """127.0.0.1 is DE and 127.0.0.2 is FR in a test country database."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="openfront-e2e-viewerhdr-")
        _rmtree_later(cls.tmp)
        cls.db = os.path.join(cls.tmp, "country.mmdb")
        p = subprocess.run(["go", "run", "./internal/geo/geotest/cmd/mkgeodb", cls.db,
                            "127.0.0.1/32=DE", "127.0.0.2/32=FR"],
                           cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise AssertionError("mkgeodb failed: %s%s" % (p.stdout, p.stderr))
        cls.origin = RecordingOrigin()
        cls.server = Server(extra_args=["--geoip-db", cls.db]).start()
        cls.cf = cls.server.client(V2020)

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop(10)
        cls.origin.close()
        if rc != 0:
            raise AssertionError("openfront did not exit 0 within 10s of SIGTERM (rc=%r)" % rc)

    def create(self, behavior):
        origin = custom_origin("web", domain="127.0.0.1",
                               CustomOriginConfig={"HTTPPort": self.origin.port, "HTTPSPort": 443,
                                                   "OriginProtocolPolicy": "http-only"})
        d = self.cf.create_distribution(DistributionConfig=dist_config(V2020, origins=[origin], behavior=behavior))
        d = d["Distribution"]
        wait_deployed(self.cf, d["Id"])
        return d["DomainName"]

    def raw(self, host, path, source="127.0.0.1", **kw):
        """Sends the spoofed request from source; returns (status line,
        lower-cased response headers, the client's port)."""
        s = socket.create_connection(("127.0.0.1", self.server.edge_port), timeout=10, source_address=(source, 0))
        try:
            port = s.getsockname()[1]
            s.sendall(spoofed_request(host, path, **kw))
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return head[0], headers, port

    def legacy(self, headers):
        return {"TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0,
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"},
                                    "Headers": {"Quantity": len(headers), **({"Items": headers} if headers else {})}}}

    def test_viewer_copies_never_reach_the_origin(self):
        host = self.create(self.legacy([]))
        status, _, _ = self.raw(host, "/plain")
        self.assertIn(" 200 ", status)
        cf, allh, _ = self.origin.seen("/plain")
        self.assertEqual(cf, [], "the viewer's CloudFront-* headers reached the origin")
        self.assertEqual(allh.get("X-Custom"), "kept")

    def test_legacy_whitelist_generates_keys_and_ignores_spoofing(self):
        host = self.create(self.legacy(["CloudFront-Viewer-Country", "CloudFront-Is-Mobile-Viewer"]))
        status, h, _ = self.raw(host, "/country", ua=IPHONE)
        self.assertEqual(h.get("x-cache"), "Miss from cloudfront", status)
        cf, _, n = self.origin.seen("/country")
        self.assertEqual(sorted((k.lower(), v) for k, v in cf),
                         [("cloudfront-is-mobile-viewer", "true"), ("cloudfront-viewer-country", "DE")])
        # Another spoofed value, same viewer: the same object (no split).
        status, h, _ = self.raw(host, "/country", ua=IPHONE)
        self.assertEqual(h.get("x-cache"), "Hit from cloudfront", status)
        self.assertEqual(self.origin.seen("/country")[2], 1)
        # A French viewer gets France's object, whatever it claims.
        status, h, _ = self.raw(host, "/country", source="127.0.0.2", ua=IPHONE)
        self.assertEqual(h.get("x-cache"), "Miss from cloudfront", status)
        cf, _, n = self.origin.seen("/country")
        self.assertEqual((n, dict((k.lower(), v) for k, v in cf).get("cloudfront-viewer-country")), (2, "FR"))

    def test_origin_request_policy_generates_what_it_names(self):
        orp = self.cf.create_origin_request_policy(OriginRequestPolicyConfig={
            "Name": new_ref("viewerhdr"), "Comment": "",
            "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 5, "Items": [
                "CloudFront-Viewer-Country", "CloudFront-Viewer-Address", "CloudFront-Viewer-Http-Version",
                "CloudFront-Forwarded-Proto", "X-Custom"]}},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"}})["OriginRequestPolicy"]
        host = self.create({"TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all",
                            "CachePolicyId": CACHING_DISABLED, "OriginRequestPolicyId": orp["Id"]})
        status, _, port = self.raw(host, "/orp")
        self.assertIn(" 200 ", status)
        cf, allh, _ = self.origin.seen("/orp")
        self.assertEqual(sorted((k.lower(), v) for k, v in cf), [
            ("cloudfront-forwarded-proto", "http"),
            ("cloudfront-viewer-address", "127.0.0.1:%d" % port),
            ("cloudfront-viewer-country", "DE"),
            ("cloudfront-viewer-http-version", "1.1"),
        ])
        self.assertEqual(allh.get("X-Custom"), "kept")

    def test_all_viewer_headers_policy_does_not_smuggle_them(self):
        host = self.create({"TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all",
                            "CachePolicyId": CACHING_OPTIMIZED, "OriginRequestPolicyId": ALL_VIEWER})
        status, _, _ = self.raw(host, "/allviewer")
        self.assertIn(" 200 ", status)
        cf, allh, _ = self.origin.seen("/allviewer")
        self.assertEqual(cf, [], "AllViewer forwarded the viewer's CloudFront-* headers")
        self.assertEqual(allh.get("X-Custom"), "kept")


if __name__ == "__main__":
    unittest.main()
