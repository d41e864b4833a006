"""The web console (issue 17), driven in headless Chromium through chromedriver's W3C WebDriver
HTTP protocol (plain JSON over urllib: no selenium): log in through the form, see a distribution
created with boto3, see its live graph move after traffic through the edge, create an invalidation
and watch it complete, see what the cache holds (top objects by hits and bytes) and purge one, test
and publish a CloudFront Function from its page; save a screenshot and check it is a real
rendering."""

import base64
import http.client
import http.server
import json
import os
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import zlib

import boto3

from harness import (REGION, ServerTestCase, custom_origin, dist_config, free_port, legacy_behavior,
                     wait_deployed, wait_port)

CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM = shutil.which("chromium")

# Markup a hostile (or careless) API user can put in a distribution's comment: the console must
# show it as text. The onerror handler would set window.__xss if it ever became markup.
HOSTILE_COMMENT = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


class WebDriver:
    """The few W3C WebDriver commands the test needs, over chromedriver's HTTP endpoint."""

    def __init__(self, tmp):
        self.port = free_port()
        self.log = open(os.path.join(tmp, "chromedriver.log"), "wb")
        self.proc = subprocess.Popen([CHROMEDRIVER, "--port=%d" % self.port], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_port(self.port)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1100", "--user-data-dir=" + os.path.join(tmp, "profile")]}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]
        # Finding an element waits up to 10 s for it: after a click that
        # submits a form, the next page may not have loaded yet.
        self.cmd("POST", "/timeouts", {"implicit": 10000})

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise AssertionError("webdriver %s %s: %s" % (method, path, e.read().decode(errors="replace")))

    def cmd(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def get(self, url):
        self.cmd("POST", "/url", {"url": url})

    def url(self):
        return self.cmd("GET", "/url")

    def find(self, css):
        # An element reference is a one-key object; the W3C key is element-6066-11e4-a932-...,
        # some chromedriver builds use another, so take whichever key it is.
        ref = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(ref.values()))

    def type(self, css, text):
        el = self.find(css)
        self.cmd("POST", "/element/%s/clear" % el, {})
        self.cmd("POST", "/element/%s/value" % el, {"text": text})

    def click(self, css):
        self.cmd("POST", "/element/%s/click" % self.find(css), {})

    def text(self, css):
        return self.cmd("GET", "/element/%s/text" % self.find(css))

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self):
        return base64.b64decode(self.cmd("GET", "/screenshot"))

    def quit(self):
        try:
            self._call("DELETE", "/session/%s" % self.session)
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.log.close()


def png_pixels(png):
    """Width, height and the distinct (filtered) scanline bytes of a PNG: enough to tell a real
    rendering from a blank page without an imaging library."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError("not a PNG")
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", data[:8])
        elif kind == b"IDAT":
            idat += data
        pos += 12 + n
    return width, height, set(zlib.decompress(idat))


class _Origin(http.server.ThreadingHTTPServer):
    daemon_threads = True


class _OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"x" * 2000
        status = 404 if self.path.startswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Cache-Control", "max-age=60")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@unittest.skipUnless(CHROMEDRIVER and CHROMIUM, "needs Debian's chromium and chromium-driver (scripts/test installs them)")
class TestConsole(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.origin = _Origin(("127.0.0.1", 0), _OriginHandler)
        threading.Thread(target=cls.origin.serve_forever, daemon=True).start()
        cls.server_kwargs = {"extra_args": ["--lightsail-origin", "web=127.0.0.1:%d" % cls.origin.server_address[1]]}
        super().setUpClass()
        cls.ls = boto3.session.Session(aws_access_key_id=cls.server.access_key, aws_secret_access_key=cls.server.secret_key,
                                       region_name=REGION).client("lightsail", endpoint_url=cls.server.endpoint)
        cls.tmp = tempfile.mkdtemp(prefix="openfront-console-e2e-")
        cls.browser = WebDriver(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.browser.quit()
            if not os.environ.get("OPENFRONT_E2E_KEEP"):
                shutil.rmtree(cls.tmp, True)
            super().tearDownClass()
        finally:
            cls.origin.shutdown()
            cls.origin.server_close()

    def console(self, path=""):
        return self.server.endpoint + "/console" + path

    def wait(self, what, fn, timeout=15):
        deadline = time.time() + timeout
        while True:
            got = fn()
            if got:
                return got
            if time.time() > deadline:
                self.fail("timed out waiting for %s" % what)
            time.sleep(0.2)

    def edge_get(self, domain, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.edge_port, timeout=20)
        try:
            conn.request("GET", path, headers={"Host": domain})
            r = conn.getresponse()
            r.read()
            return r.status
        finally:
            conn.close()

    def login(self, secret):
        b = self.browser
        b.get(self.console("/"))
        self.assertTrue(b.url().endswith("/console/login"), b.url())
        b.type("#access_key_id", self.server.access_key)
        b.type("#secret_access_key", secret)
        b.click("#login")

    def check_functions_page(self):
        """Functions: the list, the code, TestFunction from the page's form, Publish."""
        b = self.browser
        code = ("function handler(event) {\n  console.log('asked for ' + event.request.uri);\n"
                "  event.request.uri = '/v2' + event.request.uri;\n  return event.request;\n}")
        self.cf.create_function(Name="console-rewrite", FunctionCode=code.encode(),
                                FunctionConfig={"Comment": "<b>rewrites</b>", "Runtime": "cloudfront-js-2.0"})
        b.get(self.console("/"))
        b.click("header nav a[href$='/console/functions']")
        self.wait("the functions list", lambda: b.url().endswith("/console/functions"))
        self.assertIn("<b>rewrites</b>", b.text("#functions"))  # text, not markup
        b.click("#functions a[href$='/console-rewrite']")
        self.wait("the function page", lambda: b.url().endswith("/console/functions/console-rewrite"))
        self.assertEqual(b.text("#code-development"), code)
        self.assertIn("publish", b.text("#no-live"))

        event = {"version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "192.0.2.1"},
                 "request": {"method": "GET", "uri": "/page.html", "headers": {}, "cookies": {}, "querystring": {}}}
        b.type("#event", json.dumps(event))
        b.click("#run-test")
        self.wait("the test result", lambda: b.js("return !!document.querySelector('#test-output')"))
        self.assertEqual(json.loads(b.text("#test-output"))["request"]["uri"], "/v2/page.html")
        self.assertIn("asked for /page.html", b.text("#test-logs"))
        self.assertRegex(b.text("#compute-utilization"), r"^\d+$")
        self.assertEqual(b.text("#test-result-stage"), "DEVELOPMENT")
        # A broken event is refused with the API's message, in the page.
        b.type("#event", '{"request": ')
        b.click("#run-test")
        self.wait("the problem", lambda: b.js("return !!document.querySelector('#test-problem')"))
        self.assertIn("not a valid event object", b.text("#test-problem"))

        # Publish: LIVE runs the code, for boto3 too, and the page tests the LIVE stage.
        b.click("#publish")
        self.wait("the LIVE code", lambda: b.js("return !!document.querySelector('#code-live')"))
        self.assertEqual(b.text("#code-live"), code)
        self.assertEqual(self.cf.describe_function(Name="console-rewrite", Stage="LIVE")["FunctionSummary"]["FunctionMetadata"]["Stage"], "LIVE")
        b.type("#event", json.dumps(event))
        b.js("document.querySelector('#test-stage').value = 'LIVE'")
        b.click("#run-test")
        self.wait("the LIVE test result", lambda: b.js("return !!document.querySelector('#test-result-stage')"))
        self.assertEqual(b.text("#test-result-stage"), "LIVE")

    def test_console(self):
        b = self.browser
        o = custom_origin("web", "127.0.0.1", CustomOriginConfig={
            "HTTPPort": self.origin.server_address[1], "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"})
        d = self.cf.create_distribution(DistributionConfig=dist_config(
            origins=[o], behavior=legacy_behavior("web"), comment=HOSTILE_COMMENT))["Distribution"]
        wait_deployed(self.cf, d["Id"])

        # A wrong secret is refused on the form; the right one opens the distributions list.
        self.login(self.server.secret_key + "x")
        self.assertIn("wrong", b.text(".problem"))
        self.login(self.server.secret_key)
        self.wait("the distributions list", lambda: b.url().endswith("/console/"))
        table = b.text("#distributions")
        self.assertIn(d["Id"], table)
        self.assertIn(d["DomainName"], table)
        self.assertIn(HOSTILE_COMMENT, table)  # shown as text, not markup
        self.assertIsNone(b.js("return window.__xss || null"))
        # The session cookie is HttpOnly: the page's scripts cannot read it.
        self.assertNotIn("openfront_console", b.js("return document.cookie"))

        # The distribution's page: status, origins, config as JSON, live graphs.
        b.click("#distributions a[href$='/%s']" % d["Id"])
        self.wait("the distribution page", lambda: b.url().endswith("/console/distributions/" + d["Id"]))
        self.assertEqual(b.text("#status"), "Deployed")
        self.assertIn("127.0.0.1", b.text("#origins"))
        self.assertEqual(json.loads(b.text("#config"))["Comment"], HOSTILE_COMMENT)
        self.assertIsNone(b.js("return window.__xss || null"))
        self.assertEqual(b.text("#total-requests"), "0")

        # Traffic through the edge: the totals and the requests/s graph follow within seconds.
        stop = threading.Event()

        def traffic():
            i = 0
            while not stop.is_set():
                self.edge_get(d["DomainName"], "/missing" if i % 5 == 4 else "/obj%d" % (i % 3))
                i += 1
                time.sleep(0.02)
        t = threading.Thread(target=traffic, daemon=True)
        t.start()
        try:
            self.wait("the request total to move", lambda: int(b.text("#total-requests")) >= 20)
            # The requests/s line rises above the chart's floor (y=78 is zero) for a few seconds.
            self.wait("the requests/s graph to move", lambda: b.js(
                "const p = document.querySelector('#chart-rps polyline');"
                "return !!p && p.getAttribute('points').split(' ').filter(xy => parseFloat(xy.split(',')[1]) < 70).length >= 4;"))
            self.wait("a hit ratio", lambda: b.text("#now-hit").endswith("%"))
            self.wait("an origin latency", lambda: b.text("#now-p50").endswith("ms"))
            self.assertGreater(int(b.text("#total-hits")), 0)
            self.assertGreater(int(b.text("#total-4xx")), 0)
        finally:
            stop.set()
            t.join(10)

        # The screenshot is a real rendering of the page with its graphs.
        png = b.screenshot()
        path = os.path.join(self.tmp, "console-distribution.png")
        with open(path, "wb") as f:
            f.write(png)
        width, height, values = png_pixels(png)
        self.assertGreaterEqual((width, height), (800, 600), path)
        self.assertGreater(len(png), 20000, path)
        self.assertGreater(len(values), 64, "a nearly blank screenshot: %s" % path)
        print("console screenshot: %s (%dx%d, %d bytes)" % (path, width, height, len(png)))

        # An invalidation from the page: it shows InProgress or Completed, then Completed, and
        # boto3 sees the same invalidation.
        b.type("#paths", "/obj1\n/img/*")
        b.click("#create-invalidation")
        self.wait("the invalidation page", lambda: "/invalidations/I" in b.url())
        inv_id = b.url().rsplit("/", 1)[1]
        self.wait("the invalidation to complete", lambda: b.text("#status") == "Completed")
        self.assertEqual(b.text("#paths").split("\n"), ["/obj1", "/img/*"])
        inv = self.cf.get_invalidation(DistributionId=d["Id"], Id=inv_id)["Invalidation"]
        self.assertEqual(inv["Status"], "Completed")
        self.assertEqual(sorted(inv["InvalidationBatch"]["Paths"]["Items"]), ["/img/*", "/obj1"])

        # What the cache holds: a path asked for 7 times is 1 miss and 6 hits, listed by hits
        # with them below the busier objects; the invalidated object is gone. The Purge button of the largest
        # object invalidates it, and it goes too.
        for _ in range(7):
            self.assertEqual(self.edge_get(d["DomainName"], "/hot"), 200)
        b.get(self.console("/distributions/%s" % d["Id"]))
        b.click("#cache-link")
        self.wait("the cache page", lambda: b.url().endswith("/cache"))
        self.assertIn("this node's edge cache", b.text("#cache-scope"))
        rows = b.js("return [...document.querySelectorAll('#by-hits tbody tr')].map("
                    "tr => [tr.querySelector('.path').textContent, tr.querySelector('.hits').textContent])")
        self.assertIn(["/hot", "6"], rows)
        self.assertEqual([int(r[1]) for r in rows], sorted((int(r[1]) for r in rows), reverse=True), rows)
        self.assertGreater(int(rows[0][1]), 6, rows)  # the traffic above's objects: more hits
        self.assertIn("/obj0", [r[0] for r in rows])
        self.assertNotIn("/obj1", [r[0] for r in rows])
        self.assertGreaterEqual(int(b.text("#cache-hits")), 6)
        b.click("#by-bytes tr:has(code) form button")  # the largest object's Purge
        self.wait("the purge's invalidation page", lambda: "/invalidations/I" in b.url())
        purged = b.text("#paths")
        self.wait("the purge to complete", lambda: b.text("#status") == "Completed")
        b.get(self.console("/distributions/%s/cache" % d["Id"]))
        self.assertNotIn(purged, b.js("return [...document.querySelectorAll('main code.path')].map(c => c.textContent)"))

        # A Lightsail distribution created with boto3 is listed; its page graphs its traffic.
        ls = self.ls.create_distribution(distributionName="console-site", bundleId="small_1_0",
                                         origin={"name": "web", "regionName": "us-east-1", "protocolPolicy": "http-only"},
                                         defaultCacheBehavior={"behavior": "cache"})["distribution"]
        b.get(self.console("/lightsail"))
        self.assertIn(ls["domainName"], b.text("#lightsail"))
        b.click("#lightsail a[href$='/console-site']")
        self.wait("the Lightsail distribution page", lambda: b.url().endswith("/console/lightsail/console-site"))
        self.wait("the Lightsail distribution to serve", lambda: self.edge_get(ls["domainName"], "/ls") == 200)
        self.wait("its request total to move", lambda: int(b.text("#total-requests")) >= 1)

        self.check_functions_page()

        # Logging out ends the session.
        b.click("header .logout button")
        self.wait("the login form", lambda: b.url().endswith("/console/login"))
        b.get(self.console("/"))
        self.assertTrue(b.url().endswith("/console/login"), b.url())


if __name__ == "__main__":
    unittest.main()
