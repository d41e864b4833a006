"""The edge serves distributions created through the API, with CloudFront's
caching rules, over real HTTP to a loopback origin that counts requests
(issue 4)."""

import concurrent.futures
import gzip
import http.client
import http.server
import socket
import ssl
import threading
import time
import unittest

from harness import (Server, ServerTestCase, V2020, custom_origin, dist_config, legacy_behavior,
                     new_ref, policy_behavior, unique_alias, wait_deployed, wait_invalidation_completed)


class Origin:
    """A loopback HTTP origin: counts requests per path, records the last
    request's headers, and answers according to the path."""

    def __init__(self):
        self.counts = {}
        self.seen = {}
        self.lock = threading.Lock()
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                self._send(200, b"posted:" + body, {})

            def do_GET(self):
                path = self.path.split("?")[0]
                with origin.lock:
                    origin.counts[path] = origin.counts.get(path, 0) + 1
                    origin.seen[path] = dict(self.headers.items())
                    n = origin.counts[path]
                headers = {"Content-Type": "text/plain"}
                if path.startswith("/slow"):
                    time.sleep(0.5)
                if path.startswith("/hang"):
                    time.sleep(3)
                if path.startswith("/missing"):
                    return self._send(404, b"no such object", headers)
                if path == "/errors/404.html":
                    return self._send(200, b"friendly not found page", {"Content-Type": "text/html"})
                if path.startswith("/short"):
                    headers["Cache-Control"] = "max-age=1"
                    headers["ETag"] = '"v1"'
                    if self.headers.get("If-None-Match") == '"v1"':
                        return self._send(304, b"", {"ETag": '"v1"', "Cache-Control": "max-age=1"})
                if path.startswith("/private"):
                    headers["Cache-Control"] = "private"
                if path.startswith("/text"):
                    body = (b"compressible text " * 200)
                    headers["Content-Type"] = "text/html"
                    return self._send(200, body, headers)
                body = ("%s %s #%d" % (path, self.path, n)).encode()
                self._send(200, body, headers)

            def _send(self, status, body, headers):
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def count(self, path):
        with self.lock:
            return self.counts.get(path, 0)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def origin_for(o, origin_id="web", **extra):
    return custom_origin(origin_id, domain="127.0.0.1",
                         CustomOriginConfig={"HTTPPort": o.port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only",
                                             "OriginReadTimeout": 1, "OriginKeepaliveTimeout": 5},
                         ConnectionAttempts=1, **extra)


class EdgeTestCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.origin = Origin()

    @classmethod
    def tearDownClass(cls):
        cls.origin.close()
        super().tearDownClass()

    def create(self, **kw):
        kw.setdefault("origins", [origin_for(self.origin)])
        cfg = dist_config(V2020, **kw)
        d = self.cf.create_distribution(DistributionConfig=cfg)["Distribution"]
        wait_deployed(self.cf, d["Id"])
        return d

    def get(self, host, path, headers=None, method="GET", body=None, tls=False):
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", self.server.edge_tls_port, timeout=10, context=ctx)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.server.edge_port, timeout=10)
        try:
            h = {"Host": host}
            h.update(headers or {})
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()


class TestEdgeServing(EdgeTestCase):
    def test_miss_then_hit_with_cloudfront_headers(self):
        d = self.create()
        st, h, body = self.get(d["DomainName"], "/a.txt", {"User-Agent": "e2e", "Accept-Language": "fr"})
        self.assertEqual(st, 200)
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertTrue(body.startswith(b"/a.txt"))
        self.assertRegex(h["via"], r"^1\.1 [0-9a-f]{32}\.cloudfront\.net \(CloudFront\)$")
        self.assertEqual(len(h["x-amz-cf-id"]), 56)
        self.assertIn("x-amz-cf-pop", h)
        seen = self.origin.seen["/a.txt"]
        self.assertEqual(seen.get("User-Agent"), "Amazon CloudFront")
        self.assertNotIn("Accept-Language", seen)
        self.assertEqual(seen.get("X-Forwarded-For"), "127.0.0.1")
        self.assertEqual(seen.get("X-Amz-Cf-Id"), h["x-amz-cf-id"])
        st, h2, body2 = self.get(d["DomainName"], "/a.txt")
        self.assertEqual(h2["x-cache"], "Hit from cloudfront")
        self.assertIn("age", h2)
        self.assertEqual(body2, body)
        self.assertEqual(self.origin.count("/a.txt"), 1)

    def test_routing_by_alias_wildcard_and_unknown_host(self):
        alias = unique_alias("www")
        wild = "*." + unique_alias("wild")
        d = self.create(aliases=[alias, wild])
        for host in (alias, alias.upper(), "x." + wild[2:], "a.b." + wild[2:], d["DomainName"] + ":8080"):
            st, h, _ = self.get(host, "/r.txt")
            self.assertEqual(st, 200, host)
        for host in (wild[2:], "nobody.example.org"):
            st, h, body = self.get(host, "/r.txt")
            self.assertEqual(st, 403, host)
            self.assertEqual(h["x-cache"], "Error from cloudfront")
            self.assertIn(b"The request could not be satisfied", body)

    def test_behaviours_origin_path_and_default_root_object(self):
        api = origin_for(self.origin, "api", OriginPath="/v2")
        behaviour = legacy_behavior("api")
        behaviour["PathPattern"] = "/api/*.json"
        d = self.create(origins=[origin_for(self.origin), api], DefaultRootObject="index.html",
                        CacheBehaviors={"Quantity": 1, "Items": [behaviour]})
        _, _, body = self.get(d["DomainName"], "/")
        self.assertTrue(body.startswith(b"/index.html "), body)
        _, _, body = self.get(d["DomainName"], "/api/x/y.json")
        self.assertTrue(body.startswith(b"/v2/api/x/y.json "), body)
        _, _, body = self.get(d["DomainName"], "/api/x/y.JSON")
        self.assertTrue(body.startswith(b"/api/x/y.JSON "), body)

    def test_query_string_cache_keys(self):
        b = legacy_behavior("web")
        b["ForwardedValues"] = {"QueryString": True, "Cookies": {"Forward": "none"},
                                "QueryStringCacheKeys": {"Quantity": 1, "Items": ["v"]}}
        d = self.create(behavior=b)
        _, h1, b1 = self.get(d["DomainName"], "/q?v=1&junk=a")
        _, h2, b2 = self.get(d["DomainName"], "/q?junk=b&v=1")
        _, h3, _ = self.get(d["DomainName"], "/q?v=2")
        self.assertEqual(h1["x-cache"], "Miss from cloudfront")
        self.assertEqual(h2["x-cache"], "Hit from cloudfront", "only v is in the cache key")
        self.assertEqual(h3["x-cache"], "Miss from cloudfront")
        self.assertIn(b"junk=a", b1, "the whole query string is forwarded")

    def test_expired_object_is_revalidated(self):
        d = self.create()
        self.get(d["DomainName"], "/short")
        time.sleep(1.3)
        st, h, body = self.get(d["DomainName"], "/short")
        self.assertEqual(h["x-cache"], "RefreshHit from cloudfront")
        self.assertTrue(body.startswith(b"/short /short #1"), "a 304 keeps the stored body")
        self.assertEqual(self.origin.seen["/short"].get("If-None-Match"), '"v1"')
        st, h, _ = self.get(d["DomainName"], "/short", {"If-None-Match": '"v1"'})
        self.assertEqual(st, 304, "the edge answers a viewer's conditional GET")

    def test_private_not_cached_with_min_ttl_0(self):
        d = self.create()
        self.get(d["DomainName"], "/private")
        _, h, _ = self.get(d["DomainName"], "/private")
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertEqual(self.origin.count("/private"), 2)

    def test_invalidation_purges_for_real(self):
        d = self.create()
        self.get(d["DomainName"], "/inv/a")
        _, h, _ = self.get(d["DomainName"], "/inv/a")
        self.assertEqual(h["x-cache"], "Hit from cloudfront")
        inv = self.cf.create_invalidation(DistributionId=d["Id"], InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/inv/*"]}, "CallerReference": new_ref()})["Invalidation"]
        wait_invalidation_completed(self.cf, d["Id"], inv["Id"])
        _, h, body = self.get(d["DomainName"], "/inv/a")
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertIn(b"#2", body)

    def test_concurrent_misses_collapse_into_one_origin_request(self):
        d = self.create()
        with concurrent.futures.ThreadPoolExecutor(40) as ex:
            results = list(ex.map(lambda _: self.get(d["DomainName"], "/slow-collapse"), range(40)))
        self.assertEqual(self.origin.count("/slow-collapse"), 1)
        self.assertEqual({r[2] for r in results}, {results[0][2]})
        self.assertEqual(sum(1 for r in results if r[1]["x-cache"] == "Miss from cloudfront"), 1)

    def test_origin_errors(self):
        d = self.create()
        st, h, body = self.get(d["DomainName"], "/missing")
        self.assertEqual((st, h["x-cache"], body), (404, "Error from cloudfront", b"no such object"))
        self.get(d["DomainName"], "/missing")
        self.assertEqual(self.origin.count("/missing"), 1, "404 is cached for ErrorCachingMinTTL")
        st, h, _ = self.get(d["DomainName"], "/hang")
        self.assertEqual((st, h["x-cache"]), (504, "Error from cloudfront"))
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
        dead.close()
        down = custom_origin("down", domain="127.0.0.1", ConnectionAttempts=1,
                             CustomOriginConfig={"HTTPPort": port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"})
        d2 = self.create(origins=[down])
        st, h, body = self.get(d2["DomainName"], "/x")
        self.assertEqual((st, h["x-cache"]), (502, "Error from cloudfront"))
        self.assertIn(b"Generated by cloudfront (CloudFront)", body)

    def test_custom_error_page(self):
        d = self.create(CustomErrorResponses={"Quantity": 1, "Items": [
            {"ErrorCode": 404, "ResponsePagePath": "/errors/404.html", "ResponseCode": "200", "ErrorCachingMinTTL": 30}]})
        st, h, body = self.get(d["DomainName"], "/missing-page")
        self.assertEqual((st, body), (200, b"friendly not found page"))

    def test_custom_error_page_through_uncached_behavior(self):
        # Issue 15: the single-page-app setup. /index.html is in a behaviour
        # with the managed CachingDisabled policy; CloudFront still fetches
        # the page through it for a 404 -> /index.html 200 response.
        spa = policy_behavior("web", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
        spa["PathPattern"] = "/index.html"
        d = self.create(CacheBehaviors={"Quantity": 1, "Items": [spa]},
                        CustomErrorResponses={"Quantity": 1, "Items": [
                            {"ErrorCode": 404, "ResponsePagePath": "/index.html", "ResponseCode": "200",
                             "ErrorCachingMinTTL": 0}]})
        before = self.origin.count("/index.html")
        for n in (1, 2):
            st, h, body = self.get(d["DomainName"], "/missing/app/route")
            self.assertEqual(st, 200, body)
            self.assertTrue(body.startswith(b"/index.html /index.html #"), body)
            self.assertEqual(h["x-cache"], "Error from cloudfront")
            self.assertEqual(self.origin.count("/index.html"), before + n, "the page's behaviour does not cache")

    def test_viewer_protocol_https_listener_and_methods(self):
        b = legacy_behavior("web")
        b["ViewerProtocolPolicy"] = "redirect-to-https"
        d = self.create(behavior=b)
        st, h, _ = self.get(d["DomainName"], "/p?x=1")
        self.assertEqual(st, 301)
        self.assertEqual(h["location"], "https://%s:%d/p?x=1" % (d["DomainName"], self.server.edge_tls_port))
        st, h, body = self.get(d["DomainName"], "/p?x=1", tls=True)
        self.assertEqual(st, 200)
        st, _, _ = self.get(d["DomainName"], "/p", method="POST", body=b"x", tls=True)
        self.assertEqual(st, 403, "POST is not in the default AllowedMethods")
        b2 = legacy_behavior("web")
        b2["AllowedMethods"] = {"Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                                "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}
        d2 = self.create(behavior=b2)
        st, h, body = self.get(d2["DomainName"], "/form", method="POST", body=b"hello")
        self.assertEqual((st, body, h["x-cache"]), (200, b"posted:hello", "Miss from cloudfront"))

    def test_compression_and_range(self):
        b = legacy_behavior("web")
        b["Compress"] = True
        d = self.create(behavior=b)
        st, h, body = self.get(d["DomainName"], "/text", {"Accept-Encoding": "gzip"})
        self.assertEqual(h.get("content-encoding"), "gzip")
        self.assertEqual(gzip.decompress(body), b"compressible text " * 200)
        st, h, body = self.get(d["DomainName"], "/text", {"Range": "bytes=0-10"})
        self.assertEqual((st, body), (206, b"compressib"+b"l"))
        self.assertEqual(h["content-range"], "bytes 0-10/3600")
        st, h, _ = self.get(d["DomainName"], "/text", {"Range": "bytes=9999-"})
        self.assertEqual(st, 416)

    def test_update_applies_and_disable_stops_serving(self):
        d = self.create()
        _, _, body = self.get(d["DomainName"], "/")
        self.assertTrue(body.startswith(b"/ "))
        cur = self.cf.get_distribution_config(Id=d["Id"])
        cfg = cur["DistributionConfig"]
        cfg["DefaultRootObject"] = "home.html"
        u = self.cf.update_distribution(Id=d["Id"], IfMatch=cur["ETag"], DistributionConfig=cfg)
        wait_deployed(self.cf, d["Id"])
        _, _, body = self.get(d["DomainName"], "/")
        self.assertTrue(body.startswith(b"/home.html "), body)
        cfg["Enabled"] = False
        self.cf.update_distribution(Id=d["Id"], IfMatch=u["ETag"], DistributionConfig=cfg)
        wait_deployed(self.cf, d["Id"])
        st, _, _ = self.get(d["DomainName"], "/")
        self.assertEqual(st, 403)

    def test_managed_cache_policy(self):
        d = self.create(behavior=policy_behavior("web"))
        self.get(d["DomainName"], "/pol?a=1")
        _, h, body = self.get(d["DomainName"], "/pol?a=2")
        self.assertEqual(h["x-cache"], "Hit from cloudfront", "CachingOptimized keys no query string")
        self.assertIn(b"/pol /pol #1", body, "nor forwards it")


class TestDiskCacheSurvivesRestart(unittest.TestCase):
    def test_disk_tier_survives_restart(self):
        origin = Origin()
        srv = Server(extra_args=["--cache-disk-bytes", str(64 << 20)]).start()
        try:
            cf = srv.client(V2020)
            d = cf.create_distribution(DistributionConfig=dist_config(V2020, origins=[origin_for(origin)]))["Distribution"]
            wait_deployed(cf, d["Id"])

            def get(path):
                conn = http.client.HTTPConnection("127.0.0.1", srv.edge_port, timeout=10)
                conn.request("GET", path, headers={"Host": d["DomainName"]})
                r = conn.getresponse()
                out = r.getheader("X-Cache"), r.read()
                conn.close()
                return out

            self.assertEqual(get("/keep")[0], "Miss from cloudfront")
            # Small objects are written through to disk just after the
            # fill completes; give that write a moment before stopping.
            time.sleep(0.5)
            self.assertEqual(srv.stop(), 0)
            srv.start()
            wait_deployed(cf, d["Id"])
            xc, body = get("/keep")
            self.assertEqual(xc, "Hit from cloudfront")
            self.assertEqual(origin.count("/keep"), 1)
        finally:
            srv.stop()
            origin.close()


if __name__ == "__main__":
    unittest.main()
