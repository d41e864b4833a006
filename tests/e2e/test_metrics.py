"""Per-distribution Prometheus metrics and monitoring subscriptions (issue 17): real traffic
through a real `openfront serve` to loopback origins, then /metrics scraped over HTTP and its
values checked; monitoring subscriptions driven with boto3."""

import http.client
import http.server
import re
import threading
import time
import uuid

import boto3
from botocore.config import Config

from harness import (REGION, ServerTestCase, custom_origin, dist_config, free_port, legacy_behavior,
                     wait_deployed)

NODE = "edge-test-1"

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """The samples of a Prometheus text exposition: [(name, {label: value}, float)]."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise AssertionError("unparsable metrics line: %r" % line)
        labels = dict(_LABEL.findall(m.group(2) or ""))
        out.append((m.group(1), labels, float(m.group(3))))
    return out


class _Origin(http.server.ThreadingHTTPServer):
    daemon_threads = True


class _OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.startswith("/missing"):
            status, body = 404, b"no such object"
        elif path.startswith("/forbidden"):
            status, body = 403, b"forbidden!"
        else:
            status, body = 200, b"x" * 1000
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Cache-Control", "max-age=3600")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class TestMetrics(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.origin = _Origin(("127.0.0.1", 0), _OriginHandler)
        threading.Thread(target=cls.origin.serve_forever, daemon=True).start()
        cls.server_kwargs = {"extra_args": ["--node-name", NODE,
                                            "--lightsail-origin", "web=127.0.0.1:%d" % cls.origin.server_address[1]]}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.origin.shutdown()
            cls.origin.server_close()

    # -- helpers --
    def create_distribution(self, port):
        o = custom_origin("web", "127.0.0.1", CustomOriginConfig={
            "HTTPPort": port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"})
        d = self.cf.create_distribution(DistributionConfig=dist_config(origins=[o], behavior=legacy_behavior("web")))["Distribution"]
        wait_deployed(self.cf, d["Id"])
        return d

    def edge_get(self, domain, path, method="GET"):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.edge_port, timeout=20)
        try:
            conn.request(method, path, headers={"Host": domain})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def scrape(self):
        r = self.server.raw("GET", "/metrics", sign=False)
        self.assertEqual(r.status, 200)
        return parse_metrics(r.body.decode())

    def value(self, samples, name, **labels):
        """The value of the one sample of name with these labels (None when absent)."""
        found = [v for n, ls, v in samples if n == name and all(ls.get(k) == w for k, w in labels.items())]
        if len(found) > 1:
            raise AssertionError("%d samples of %s%r" % (len(found), name, labels))
        return found[0] if found else None

    def wait_metric(self, name, want, timeout=10, **labels):
        deadline = time.time() + timeout
        while True:
            got = self.value(self.scrape(), name, **labels)
            if got == want:
                return
            if time.time() > deadline:
                self.fail("%s%r = %r, want %r" % (name, labels, got, want))
            time.sleep(0.05)

    def settled(self, did, requests, timeout=10):
        """A scrape once every one of `requests` responses of did is counted: the edge counts a
        response when its handler returns, which can be just after the viewer has read it."""
        deadline = time.time() + timeout
        while True:
            s = self.scrape()
            got = sum(v for n, ls, v in s if n == "openfront_distribution_requests_total" and ls["distribution_id"] == did)
            if got == requests:
                return s
            if time.time() > deadline:
                self.fail("%s: %r requests counted, want %d" % (did, got, requests))
            time.sleep(0.05)

    # -- tests --
    def test_traffic_counted_per_distribution(self):
        d = self.create_distribution(self.origin.server_address[1])
        other = self.create_distribution(self.origin.server_address[1])
        dom, did = d["DomainName"], d["Id"]
        before = self.scrape()
        self.assertEqual(self.value(before, "openfront_distribution_info", distribution_id=did), 1)
        self.assertEqual(self.value(before, "openfront_distribution_requests_total", distribution_id=did, result="Hit"), 0)

        self.assertEqual(self.edge_get(dom, "/a.txt")[0], 200)     # Miss
        self.assertEqual(self.edge_get(dom, "/a.txt")[0], 200)     # Hit (the fast path)
        self.assertEqual(self.edge_get(dom, "/a.txt")[0], 200)     # Hit
        self.assertEqual(self.edge_get(dom, "/missing")[0], 404)   # Error (origin 404)
        self.assertEqual(self.edge_get(dom, "/a.txt", "HEAD")[0], 200)  # Hit, no body
        self.assertEqual(self.edge_get(other["DomainName"], "/b.txt")[0], 200)

        s = self.settled(did, 5)
        self.settled(other["Id"], 1)
        labels = dict(distribution_id=did, node=NODE)
        self.assertEqual(self.value(s, "openfront_distribution_info", api="cloudfront", domain_name=dom, **labels), 1)
        self.assertEqual(self.value(s, "openfront_distribution_requests_total", result="Miss", **labels), 1)
        self.assertEqual(self.value(s, "openfront_distribution_requests_total", result="Hit", **labels), 3)
        self.assertEqual(self.value(s, "openfront_distribution_requests_total", result="Error", **labels), 1)
        self.assertEqual(self.value(s, "openfront_distribution_responses_total", status_class="2xx", **labels), 4)
        self.assertEqual(self.value(s, "openfront_distribution_responses_total", status_class="4xx", **labels), 1)
        self.assertEqual(self.value(s, "openfront_distribution_responses_total", status_class="5xx", **labels), 0)
        self.assertEqual(self.value(s, "openfront_distribution_downloaded_bytes_total", **labels), 3 * 1000 + len(b"no such object"))
        # Two origin fetches (the miss and the 404), each under a second.
        self.assertEqual(self.value(s, "openfront_distribution_origin_latency_seconds_count", **labels), 2)
        self.assertEqual(self.value(s, "openfront_distribution_origin_latency_seconds_bucket", le="1", **labels), 2)
        self.assertGreater(self.value(s, "openfront_distribution_origin_latency_seconds_sum", **labels), 0)
        # Per-code series only come with a monitoring subscription.
        self.assertIsNone(self.value(s, "openfront_distribution_responses_by_code_total", code="404", **labels))
        # The other distribution's traffic is its own.
        self.assertEqual(self.value(s, "openfront_distribution_requests_total", distribution_id=other["Id"], result="Miss"), 1)
        self.assertEqual(self.value(s, "openfront_distribution_requests_total", distribution_id=other["Id"], result="Hit"), 0)

    def test_origin_errors_by_reason(self):
        d = self.create_distribution(free_port())  # nothing listens there
        status, _ = self.edge_get(d["DomainName"], "/x")
        self.assertIn(status, (502, 504))
        s = self.settled(d["Id"], 1)
        self.assertGreaterEqual(self.value(s, "openfront_distribution_origin_errors_total",
                                           distribution_id=d["Id"], reason="OriginConnectError"), 1)
        self.assertEqual(self.value(s, "openfront_distribution_requests_total", distribution_id=d["Id"], result="Error"), 1)
        self.assertEqual(self.value(s, "openfront_distribution_responses_total", distribution_id=d["Id"], status_class="5xx"), 1)

    def test_monitoring_subscription_switches_additional_metrics(self):
        d = self.create_distribution(self.origin.server_address[1])
        did, dom = d["Id"], d["DomainName"]
        self.assertClientError("NoSuchMonitoringSubscription", 404, self.cf.get_monitoring_subscription, DistributionId=did)
        self.assertClientError("NoSuchDistribution", 404, self.cf.get_monitoring_subscription, DistributionId="EDOESNOTEXIST99")
        self.assertClientError("NoSuchDistribution", 404, self.cf.create_monitoring_subscription, DistributionId="EDOESNOTEXIST99",
                               MonitoringSubscription={"RealtimeMetricsSubscriptionConfig": {"RealtimeMetricsSubscriptionStatus": "Enabled"}})

        self.assertEqual(self.edge_get(dom, "/missing")[0], 404)
        self.assertEqual(self.edge_get(dom, "/forbidden")[0], 403)
        self.assertIsNone(self.value(self.settled(did, 2), "openfront_distribution_responses_by_code_total", distribution_id=did, code="404"))

        # RealtimeMetricsSubscriptionConfig is optional: such a subscription switches nothing on.
        self.cf.create_monitoring_subscription(DistributionId=did, MonitoringSubscription={})
        self.assertEqual(self.cf.get_monitoring_subscription(DistributionId=did).get("MonitoringSubscription", {}), {})
        r = self.cf.create_monitoring_subscription(DistributionId=did, MonitoringSubscription={
            "RealtimeMetricsSubscriptionConfig": {"RealtimeMetricsSubscriptionStatus": "Enabled"}})
        self.assertEqual(r["MonitoringSubscription"]["RealtimeMetricsSubscriptionConfig"]["RealtimeMetricsSubscriptionStatus"], "Enabled")
        got = self.cf.get_monitoring_subscription(DistributionId=did)["MonitoringSubscription"]
        self.assertEqual(got, {"RealtimeMetricsSubscriptionConfig": {"RealtimeMetricsSubscriptionStatus": "Enabled"}})
        # Counted since the start, exported once the edge applied the subscription.
        self.wait_metric("openfront_distribution_responses_by_code_total", 1, distribution_id=did, code="404")
        s = self.scrape()
        self.assertEqual(self.value(s, "openfront_distribution_responses_by_code_total", distribution_id=did, code="403"), 1)
        self.assertEqual(self.value(s, "openfront_distribution_responses_by_code_total", distribution_id=did, code="502"), 0)
        other = [ls for n, ls, _ in s if n == "openfront_distribution_responses_by_code_total" and ls["distribution_id"] != did]
        self.assertEqual(other, [], "additional metrics of distributions without a subscription")

        # Create again replaces (how Terraform updates it): Disabled stops the series.
        self.cf.create_monitoring_subscription(DistributionId=did, MonitoringSubscription={
            "RealtimeMetricsSubscriptionConfig": {"RealtimeMetricsSubscriptionStatus": "Disabled"}})
        self.wait_metric("openfront_distribution_responses_by_code_total", None, distribution_id=did, code="404")
        self.cf.create_monitoring_subscription(DistributionId=did, MonitoringSubscription={
            "RealtimeMetricsSubscriptionConfig": {"RealtimeMetricsSubscriptionStatus": "Enabled"}})
        self.wait_metric("openfront_distribution_responses_by_code_total", 1, distribution_id=did, code="404")

        self.cf.delete_monitoring_subscription(DistributionId=did)
        self.wait_metric("openfront_distribution_responses_by_code_total", None, distribution_id=did, code="404")
        self.assertClientError("NoSuchMonitoringSubscription", 404, self.cf.delete_monitoring_subscription, DistributionId=did)

    def test_deleted_distribution_loses_its_series(self):
        d = self.create_distribution(self.origin.server_address[1])
        did = d["Id"]
        self.assertEqual(self.edge_get(d["DomainName"], "/gone.txt")[0], 200)
        self.assertEqual(self.value(self.settled(did, 1), "openfront_distribution_requests_total", distribution_id=did, result="Miss"), 1)
        cfg = self.cf.get_distribution_config(Id=did)
        cfg["DistributionConfig"]["Enabled"] = False
        etag = self.cf.update_distribution(Id=did, IfMatch=cfg["ETag"], DistributionConfig=cfg["DistributionConfig"])["ETag"]
        wait_deployed(self.cf, did)
        self.cf.delete_distribution(Id=did, IfMatch=etag)
        self.wait_metric("openfront_distribution_info", None, distribution_id=did)
        leftover = [n for n, ls, _ in self.scrape() if ls.get("distribution_id") == did]
        self.assertEqual(leftover, [])

    def test_lightsail_distribution_counted(self):
        sess = boto3.session.Session(aws_access_key_id=self.server.access_key,
                                     aws_secret_access_key=self.server.secret_key, region_name=REGION)
        ls = sess.client("lightsail", endpoint_url=self.server.endpoint, config=Config(retries={"total_max_attempts": 1}))
        name = "metrics-%s" % uuid.uuid4().hex[:8]
        ls.create_distribution(distributionName=name, bundleId="small_1_0",
                               origin={"name": "web", "regionName": "us-east-1", "protocolPolicy": "http-only"},
                               defaultCacheBehavior={"behavior": "cache"})
        deadline = time.time() + 10
        while True:
            dist = ls.get_distributions(distributionName=name)["distributions"][0]
            if dist["status"] == "Deployed":
                break
            self.assertLess(time.time(), deadline, "Lightsail distribution not deployed")
            time.sleep(0.05)
        self.assertEqual(self.edge_get(dist["domainName"], "/ls.txt")[0], 200)
        s = self.scrape()
        lsid = [ls_["distribution_id"] for n, ls_, _ in s if n == "openfront_distribution_info" and ls_.get("name") == name]
        self.assertEqual(len(lsid), 1)
        s = self.settled(lsid[0], 1)
        info = [ls_ for n, ls_, _ in s if n == "openfront_distribution_info" and ls_.get("name") == name]
        self.assertEqual(len(info), 1, info)
        self.assertEqual(info[0]["api"], "lightsail")
        self.assertEqual(info[0]["domain_name"], dist["domainName"])
        self.assertEqual(self.value(s, "openfront_distribution_requests_total", distribution_id=info[0]["distribution_id"], result="Miss"), 1)
