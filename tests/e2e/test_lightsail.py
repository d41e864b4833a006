"""Lightsail distributions (issue 7): boto3 and the AWS CLI against the JSON 1.1 API, and real
traffic through the edge to a loopback origin mapped with --lightsail-origin."""

import datetime
import http.client
import http.server
import json
import os
import socket
import ssl
import tempfile
import threading
import time
import uuid

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import unittest

from harness import DEPLOY_TIMEOUT, REGION, Server, ServerTestCase

LS_DOMAIN_SUFFIX = ".cloudfront.localhost"


class _Origin(http.server.ThreadingHTTPServer):
    """A loopback origin that counts the requests it gets by path."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _OriginHandler)
        self.counts = {}
        self.lock = threading.Lock()

    def count(self, path):
        with self.lock:
            return self.counts.get(path, 0)


class _OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        with self.server.lock:
            self.server.counts[self.path] = self.server.counts.get(self.path, 0) + 1
            n = self.server.counts[self.path]
        body = ("origin %s #%d\n" % (self.path, n)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def unique_name(prefix="ls"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def _put_certificate(base, name):
    """Write a self-signed P-256 certificate for name as base.crt and base.key."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    with open(base + ".crt", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(base + ".key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


class TestLightsail(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.origin = _Origin()
        threading.Thread(target=cls.origin.serve_forever, daemon=True).start()
        # The operator's Lightsail certificate "my-cert": lightsail+my-cert.crt/.key in --certificate-dir.
        cls.cert_dir = tempfile.mkdtemp(prefix="openfront-ls-certs-")
        _put_certificate(os.path.join(cls.cert_dir, "lightsail+my-cert"), "blog.example.com")
        cls.server_kwargs = {"extra_args": ["--lightsail-origin", "web=127.0.0.1:%d" % cls.origin.server_address[1],
                                            "--certificate-dir", cls.cert_dir]}
        super().setUpClass()
        sess = boto3.session.Session(aws_access_key_id=cls.server.access_key,
                                     aws_secret_access_key=cls.server.secret_key, region_name=REGION)
        cls.ls = sess.client("lightsail", endpoint_url=cls.server.endpoint,
                             config=Config(retries={"total_max_attempts": 1}, read_timeout=30))

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.origin.shutdown()
            cls.origin.server_close()

    def test_certificate_domains_are_served_over_https(self):
        """A distribution with a certificate serves the certificate's domains over HTTPS with that
        certificate ("After the certificate is attached, your distribution accepts HTTPS traffic for all
        of the domains that are associated with the certificate"); another distribution cannot take the
        same domain while it does."""
        base = os.path.join(self.cert_dir, "lightsail+shop-cert")
        _put_certificate(base, "shop.example.test")  # added while running: picked up without a restart
        name = unique_name()
        self.create(name)
        self.addCleanup(self.ls.delete_distribution, distributionName=name)
        op = self.ls.attach_certificate_to_distribution(distributionName=name, certificateName="shop-cert")["operation"]
        self.assertEqual((op["operationType"], op["resourceName"], op["status"]),
                         ("AttachCertificateToDistribution", name, "Succeeded"))
        d = self.wait_deployed(name)
        self.assertEqual((d["certificateName"], d["alternativeDomainNames"]), ("shop-cert", ["shop.example.test"]))
        self.assertLightsailError("InvalidInputException", self.create, certificateName="shop-cert",
                                  field="shop.example.test")

        # The client trusts only the operator's certificate and checks the name: the handshake proves
        # the edge presented it for that SNI name; the origin's answer proves the route.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(base + ".crt")
        with socket.create_connection(("127.0.0.1", self.server.edge_tls_port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="shop.example.test") as s:
                s.sendall(b"GET /shop-item HTTP/1.1\r\nHost: shop.example.test\r\nConnection: close\r\n\r\n")
                reply = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:200])
        self.assertIn(b"origin /shop-item #1", reply)

        # Detached: the domain is free again, for another distribution.
        self.ls.detach_certificate_from_distribution(distributionName=name)
        self.assertEqual(self.get(name)["alternativeDomainNames"], [])
        other = unique_name()
        self.create(other, certificateName="shop-cert")
        self.addCleanup(self.ls.delete_distribution, distributionName=other)
        self.assertEqual(self.get(other)["alternativeDomainNames"], ["shop.example.test"])

    # -- helpers --
    def create(self, name=None, behavior="cache", **kw):
        params = {
            "distributionName": name or unique_name(),
            "origin": {"name": "web", "regionName": "us-east-1", "protocolPolicy": "http-only"},
            "defaultCacheBehavior": {"behavior": behavior},
            "bundleId": "small_1_0",
        }
        params.update(kw)
        return self.ls.create_distribution(**params)

    def get(self, name):
        return self.ls.get_distributions(distributionName=name)["distributions"][0]

    def wait_deployed(self, name, timeout=DEPLOY_TIMEOUT):
        t0 = time.time()
        while True:
            d = self.get(name)
            if d["status"] == "Deployed":
                return d
            if time.time() - t0 > timeout:
                self.fail("distribution %s not Deployed within %.1fs (status %s)" % (name, timeout, d["status"]))
            time.sleep(0.05)

    def edge_get(self, domain, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.edge_port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": domain})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def assertOperation(self, op, op_type, name):
        self.assertEqual(op["operationType"], op_type)
        self.assertEqual(op["resourceName"], name)
        self.assertEqual(op["resourceType"], "Distribution")
        self.assertEqual(op["status"], "Succeeded")
        self.assertTrue(op["isTerminal"])
        self.assertTrue(op["id"])
        self.assertIn("createdAt", op)
        self.assertEqual(op["location"]["regionName"], "us-east-1")

    def assertLightsailError(self, code, fn, *args, field=None, **kwargs):
        try:
            fn(*args, **kwargs)
        except ClientError as e:
            err = e.response["Error"]
            self.assertEqual(err["Code"], code, err)
            self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 400)
            if field:
                self.assertIn(field, err["Message"])
            return e
        self.fail("expected %s but the call succeeded" % code)

    # -- tests --
    def test_lifecycle(self):
        name = unique_name()
        r = self.create(name, tags=[{"key": "team", "value": "web"}],
                        cacheBehaviorSettings={"minimumTTL": 0, "defaultTTL": 60, "maximumTTL": 3600},
                        cacheBehaviors=[{"path": "admin/*", "behavior": "dont-cache"}])
        d = r["distribution"]
        self.assertOperation(r["operation"], "CreateDistribution", name)
        self.assertEqual(d["name"], name)
        self.assertRegex(d["domainName"], r"^d[a-z0-9]{13}\.cloudfront\.localhost$")
        self.assertRegex(d["arn"], r"^arn:aws:lightsail:us-east-1:123456789012:Distribution/[0-9a-f-]{36}$")
        self.assertEqual(d["bundleId"], "small_1_0")
        self.assertTrue(d["isEnabled"])
        self.assertEqual(d["tags"], [{"key": "team", "value": "web"}])
        self.assertEqual(d["origin"]["name"], "web")
        self.assertEqual(d["cacheBehaviorSettings"]["defaultTTL"], 60)
        self.assertEqual(d["cacheBehaviors"], [{"path": "admin/*", "behavior": "dont-cache"}])

        got = self.wait_deployed(name)
        self.assertEqual(got["domainName"], d["domainName"])
        self.assertEqual(got["arn"], d["arn"])

        r = self.ls.update_distribution(
            distributionName=name,
            origin={"name": "web", "regionName": "eu-west-1", "protocolPolicy": "http-only", "responseTimeout": 10},
            defaultCacheBehavior={"behavior": "dont-cache"},
            cacheBehaviorSettings={"maximumTTL": 7200, "allowedHTTPMethods": "GET,HEAD,OPTIONS",
                                   "cachedHTTPMethods": "GET,HEAD",
                                   "forwardedCookies": {"option": "allow-list", "cookiesAllowList": ["sid"]},
                                   "forwardedHeaders": {"option": "allow-list", "headersAllowList": ["Accept"]},
                                   "forwardedQueryStrings": {"option": True}},
            cacheBehaviors=[{"path": "static/", "behavior": "cache"}],
            isEnabled=False, viewerMinimumTlsProtocolVersion="TLSv1.2_2019")
        self.assertOperation(r["operation"], "UpdateDistribution", name)
        got = self.get(name)
        self.assertEqual(got["origin"]["regionName"], "eu-west-1")
        self.assertEqual(got["origin"]["responseTimeout"], 10)
        self.assertEqual(got["defaultCacheBehavior"], {"behavior": "dont-cache"})
        cs = got["cacheBehaviorSettings"]
        self.assertEqual((cs["minimumTTL"], cs["defaultTTL"], cs["maximumTTL"]), (0, 60, 7200))
        self.assertEqual(cs["allowedHTTPMethods"], "GET,HEAD,OPTIONS")
        self.assertEqual(cs["forwardedCookies"], {"option": "allow-list", "cookiesAllowList": ["sid"]})
        self.assertEqual(cs["forwardedHeaders"], {"option": "allow-list", "headersAllowList": ["Accept"]})
        self.assertTrue(cs["forwardedQueryStrings"]["option"])
        self.assertEqual(got["cacheBehaviors"], [{"path": "static/", "behavior": "cache"}])
        self.assertFalse(got["isEnabled"])
        self.assertEqual(got["viewerMinimumTlsProtocolVersion"], "TLSv1.2_2019")

        # certificates: a name the operator did not supply is Lightsail's NotFoundException
        self.assertLightsailError("NotFoundException", self.ls.update_distribution, distributionName=name,
                                  certificateName="no-such-cert")
        self.ls.update_distribution(distributionName=name, certificateName="my-cert")
        self.assertEqual(self.get(name)["certificateName"], "my-cert")
        self.ls.update_distribution(distributionName=name, useDefaultCertificate=True)
        self.assertNotIn("certificateName", self.get(name))

        # a disabled distribution is not served
        self.wait_deployed(name)
        status, _, _ = self.edge_get(got["domainName"], "/x")
        self.assertEqual(status, 403)

        # bundles
        bundles = {b["bundleId"]: b for b in self.ls.get_distribution_bundles()["bundles"]}
        self.assertEqual(set(bundles), {"small_1_0", "medium_1_0", "large_1_0"})
        self.assertTrue(all(b["isActive"] and b["price"] > 0 and b["transferPerMonthInGb"] > 0 for b in bundles.values()))
        r = self.ls.update_distribution_bundle(distributionName=name, bundleId="medium_1_0")
        self.assertOperation(r["operation"], "UpdateDistributionBundle", name)
        got = self.get(name)
        self.assertEqual(got["bundleId"], "medium_1_0")
        self.assertFalse(got["ableToUpdateBundle"])
        self.assertLightsailError("OperationFailureException", self.ls.update_distribution_bundle,
                                  distributionName=name, bundleId="large_1_0")

        r = self.ls.delete_distribution(distributionName=name)
        self.assertOperation(r["operation"], "DeleteDistribution", name)
        self.assertLightsailError("NotFoundException", self.ls.get_distributions, distributionName=name)

    def test_tag_and_untag_resource(self):
        """TagResource adds tags and changes a key's value, UntagResource removes keys (an absent one
        is fine); each returns an operation GetOperation finds, and get_distributions shows the tags.
        The Terraform AWS provider calls both whenever a distribution's tags change."""
        name = unique_name("tag")
        d = self.create(name, tags=[{"key": "team", "value": "web"}])["distribution"]
        self.addCleanup(self.ls.delete_distribution, distributionName=name)

        def tags():
            return sorted((t["key"], t.get("value", "")) for t in self.get(name).get("tags", []))

        r = self.ls.tag_resource(resourceName=name, tags=[{"key": "env", "value": "test"}, {"key": "empty"}])
        self.assertEqual(len(r["operations"]), 1)
        op = r["operations"][0]
        self.assertOperation(op, "TagResource", name)
        self.assertEqual(self.ls.get_operation(operationId=op["id"])["operation"]["operationType"], "TagResource")
        self.assertEqual(tags(), [("empty", ""), ("env", "test"), ("team", "web")])

        r = self.ls.tag_resource(resourceName=name, resourceArn=d["arn"], tags=[{"key": "team", "value": "ops"}])
        self.assertOperation(r["operations"][0], "TagResource", name)
        self.assertEqual(tags(), [("empty", ""), ("env", "test"), ("team", "ops")])

        r = self.ls.untag_resource(resourceName=name, tagKeys=["empty", "env", "not-there"])
        self.assertOperation(r["operations"][0], "UntagResource", name)
        self.assertEqual(self.ls.get_operation(operationId=r["operations"][0]["id"])["operation"]["operationType"],
                         "UntagResource")
        self.assertEqual(tags(), [("team", "ops")])
        self.ls.untag_resource(resourceName=name, resourceArn=d["arn"], tagKeys=["team"])
        self.assertEqual(tags(), [])

        # Rejected: nothing changes.
        self.ls.tag_resource(resourceName=name, tags=[{"key": "keep", "value": "1"}])
        self.assertLightsailError("InvalidInputException", self.ls.tag_resource, resourceName=name,
                                  tags=[{"key": "bad*key", "value": "v"}], field="bad*key")
        self.assertLightsailError("InvalidInputException", self.ls.tag_resource, resourceName=name,
                                  tags=[{"key": "k%d" % i} for i in range(50)], field="50")
        self.assertEqual(tags(), [("keep", "1")])

    def test_tag_resource_unknown_name(self):
        """A resourceName that is no distribution is Lightsail's NotFoundException, in its JSON error
        form; so is a certificate's name (the operator's file, not a Lightsail resource here)."""
        for resource in (unique_name("nothing"), "my-cert"):
            e = self.assertLightsailError("NotFoundException", self.ls.tag_resource, resourceName=resource,
                                          tags=[{"key": "a", "value": "b"}])
            self.assertEqual(e.response["Error"]["Code"], "NotFoundException")
            self.assertEqual(e.response.get("code"), "NotFound")
            self.assertLightsailError("NotFoundException", self.ls.untag_resource, resourceName=resource,
                                      tagKeys=["a"])

    def test_list_pages(self):
        names = [unique_name("page") for _ in range(27)]
        for n in names:
            self.create(n)
        seen, token, pages = [], None, 0
        while True:
            r = self.ls.get_distributions(**({"pageToken": token} if token else {}))
            pages += 1
            seen += [d["name"] for d in r["distributions"]]
            token = r.get("nextPageToken")
            if not token:
                break
        self.assertGreaterEqual(pages, 2)
        self.assertEqual(len(seen), len(set(seen)))
        for n in names:
            self.assertIn(n, seen)
        for n in names:
            self.ls.delete_distribution(distributionName=n)

    def test_edge_cache_dont_cache_and_reset(self):
        name = unique_name("edge")
        d = self.create(name, cacheBehaviorSettings={"minimumTTL": 0, "defaultTTL": 3600, "maximumTTL": 86400},
                        cacheBehaviors=[{"path": "live/*", "behavior": "dont-cache"}])["distribution"]
        dom = d["domainName"]
        self.wait_deployed(name)
        cached, live = "/%s/page.html" % name, "/live/%s.json" % name

        s1, h1, b1 = self.edge_get(dom, cached)
        s2, h2, b2 = self.edge_get(dom, cached)
        self.assertEqual((s1, s2), (200, 200))
        self.assertEqual(h1["x-cache"], "Miss from cloudfront")
        self.assertEqual(h2["x-cache"], "Hit from cloudfront")
        self.assertEqual(b1, b2)
        self.assertEqual(self.origin.count(cached), 1)

        for i in range(3):
            s, h, _ = self.edge_get(dom, live)
            self.assertEqual(s, 200)
            self.assertEqual(h["x-cache"], "Miss from cloudfront", "dont-cache request %d" % i)
        self.assertEqual(self.origin.count(live), 3)

        r = self.ls.reset_distribution_cache(distributionName=name)
        self.assertEqual(r["status"], "InProgress")
        self.assertIn("createTime", r)
        self.assertOperation(r["operation"], "ResetDistributionCache", name)
        t0 = time.time()
        while True:
            latest = self.ls.get_distribution_latest_cache_reset(distributionName=name)
            if latest.get("status") == "Completed":
                break
            self.assertEqual(latest.get("status"), "InProgress")
            if time.time() - t0 > DEPLOY_TIMEOUT:
                self.fail("cache reset not Completed within %.1fs" % DEPLOY_TIMEOUT)
            time.sleep(0.05)
        self.assertEqual(latest["createTime"], r["createTime"])
        # Without distributionName: the latest reset of all the distributions
        # (API Reference, GetDistributionLatestCacheReset).
        every = self.ls.get_distribution_latest_cache_reset()
        self.assertIn(every.get("status"), ("InProgress", "Completed"))
        self.assertGreaterEqual(every["createTime"], r["createTime"])

        s3, h3, b3 = self.edge_get(dom, cached)
        self.assertEqual(h3["x-cache"], "Miss from cloudfront")
        self.assertEqual(self.origin.count(cached), 2)
        self.assertNotEqual(b3, b1)
        _, h4, _ = self.edge_get(dom, cached)
        self.assertEqual(h4["x-cache"], "Hit from cloudfront")

        now = time.time()
        q = dict(distributionName=name, startTime=now - 900, endTime=now + 60, period=60)
        reqs = self.ls.get_distribution_metric_data(metricName="Requests", unit="Count",
                                                    statistics=["Sum", "SampleCount"], **q)
        self.assertEqual(reqs["metricName"], "Requests")
        self.assertEqual(sum(p["sum"] for p in reqs["metricData"]), 7)
        self.assertTrue(all(p["unit"] == "Count" for p in reqs["metricData"]))
        down = self.ls.get_distribution_metric_data(metricName="BytesDownloaded", unit="Bytes", statistics=["Sum"], **q)
        self.assertGreater(sum(p["sum"] for p in down["metricData"]), 0)
        errs = self.ls.get_distribution_metric_data(metricName="TotalErrorRate", unit="Percent", statistics=["Average"], **q)
        self.assertTrue(errs["metricData"])
        self.assertTrue(all(p["average"] == 0 for p in errs["metricData"]))
        self.ls.delete_distribution(distributionName=name)

    def test_errors(self):
        name = unique_name("err")
        self.create(name)
        before = self.get(name)
        E = self.assertLightsailError
        origin = {"name": "web", "regionName": "us-east-1", "protocolPolicy": "http-only"}
        E("InvalidInputException", self.create, name, field="distributionName")
        E("InvalidInputException", self.create, "bad name!", field="distributionName")
        E("InvalidInputException", self.create, bundleId="tiny_9_9", field="bundleId")
        E("InvalidInputException", self.create, behavior="sometimes", field="defaultCacheBehavior.behavior")
        E("InvalidInputException", self.create, cacheBehaviorSettings={"minimumTTL": -1}, field="minimumTTL")
        E("InvalidInputException", self.create,
          cacheBehaviorSettings={"minimumTTL": 100, "defaultTTL": 10, "maximumTTL": 1000}, field="minimumTTL <= defaultTTL")
        E("InvalidInputException", self.create, cacheBehaviorSettings={"allowedHTTPMethods": "GET,POST"},
          field="allowedHTTPMethods")
        E("InvalidInputException", self.create,
          cacheBehaviorSettings={"forwardedCookies": {"option": "allow-list"}}, field="cookiesAllowList")
        E("InvalidInputException", self.create, origin={"name": "web", "responseTimeout": 600},
          field="origin.responseTimeout")
        E("InvalidInputException", self.create, cacheBehaviors=[{"path": "a b", "behavior": "cache"}],
          field="cacheBehaviors[0].path")
        # A distribution is ipv4 or dualstack (API Reference, CreateDistribution
        # ipAddressType); ipv6 only is for instances and origins.
        E("InvalidInputException", self.create, ipAddressType="ipv6", field="ipAddressType")
        E("InvalidInputException", self.ls.set_ip_address_type, resourceType="Distribution", resourceName=name,
          ipAddressType="ipv6", field="ipAddressType")
        E("NotFoundException", self.ls.get_distributions, distributionName="no-such-dist")
        E("InvalidInputException", self.ls.get_distributions, pageToken="%%%", field="pageToken")
        E("NotFoundException", self.ls.update_distribution, distributionName="no-such-dist", isEnabled=False)
        # validation comes before the existence check
        E("InvalidInputException", self.ls.update_distribution, distributionName="no-such-dist",
          cacheBehaviorSettings={"defaultTTL": -1}, field="defaultTTL")
        E("InvalidInputException", self.ls.update_distribution, distributionName=name,
          cacheBehaviorSettings={"maximumTTL": 5}, field="maximumTTL")
        E("InvalidInputException", self.ls.update_distribution, distributionName=name,
          certificateName="c1", useDefaultCertificate=True, field="certificateName")
        E("InvalidInputException", self.ls.update_distribution, distributionName=name,
          origin=origin, cacheBehaviors=[{"path": "x/", "behavior": "cache"}, {"path": "x/*", "behavior": "cache"}],
          field="cacheBehaviors[1]")
        E("NotFoundException", self.ls.delete_distribution, distributionName="no-such-dist")
        E("InvalidInputException", self.ls.delete_distribution, field="distributionName")
        E("NotFoundException", self.ls.update_distribution_bundle, distributionName="no-such-dist", bundleId="medium_1_0")
        E("InvalidInputException", self.ls.update_distribution_bundle, distributionName=name, bundleId="nope",
          field="bundleId")
        E("NotFoundException", self.ls.reset_distribution_cache, distributionName="no-such-dist")
        E("NotFoundException", self.ls.get_distribution_latest_cache_reset, distributionName="no-such-dist")
        now = time.time()
        q = dict(startTime=now - 600, endTime=now, statistics=["Sum"])
        E("NotFoundException", self.ls.get_distribution_metric_data, distributionName="no-such-dist",
          metricName="Requests", period=60, unit="Count", **q)
        E("InvalidInputException", self.ls.get_distribution_metric_data, distributionName=name,
          metricName="Requests", period=90, unit="Count", field="period", **q)
        E("InvalidInputException", self.ls.get_distribution_metric_data, distributionName=name,
          metricName="Requests", period=60, unit="Bytes", field="unit", **q)
        E("InvalidInputException", self.ls.get_distribution_metric_data, distributionName=name,
          metricName="Requests", period=60, unit="Count", startTime=now, endTime=now - 60, statistics=["Sum"],
          field="startTime")
        # nothing changed
        after = self.get(name)
        for k in ("cacheBehaviorSettings", "cacheBehaviors", "origin", "bundleId", "isEnabled", "certificateName",
                  "ipAddressType"):
            self.assertEqual(after.get(k), before.get(k), k)
        self.assertIsNone(self.ls.get_distribution_latest_cache_reset(distributionName=name).get("status"))
        self.ls.delete_distribution(distributionName=name)

    def test_error_shape_and_auth(self):
        # modeled fields ride along in the JSON body
        try:
            self.ls.get_distributions(distributionName="no-such-dist")
            self.fail("expected NotFoundException")
        except ClientError as e:
            self.assertEqual(e.response["code"], "NotFound")
            self.assertIn("docs", e.response)
            self.assertEqual(e.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"], "NotFoundException")
        body = b"{}"
        headers = {"X-Amz-Target": "Lightsail_20161128.GetDistributions",
                   "Content-Type": "application/x-amz-json-1.1"}
        r = self.server.raw("POST", "/", body=body, headers=headers, sign=False)
        self.assertEqual(r.status, 403)
        self.assertTrue(r.headers["content-type"].startswith("application/x-amz-json-1.1"))
        err = json.loads(r.body)
        self.assertEqual(err["__type"], "MissingAuthenticationTokenException")
        self.assertTrue(err["message"])
        sess = boto3.session.Session(aws_access_key_id=self.server.access_key, aws_secret_access_key="wrong-secret",
                                     region_name=REGION)
        bad = sess.client("lightsail", endpoint_url=self.server.endpoint, config=Config(retries={"total_max_attempts": 1}))
        try:
            bad.get_distribution_bundles()
            self.fail("expected a signature error")
        except ClientError as e:
            self.assertEqual(e.response["Error"]["Code"], "InvalidSignatureException")
            self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 403)

    # -- issue 15: what the Terraform AWS provider needs --
    def wait_operation(self, op, timeout=DEPLOY_TIMEOUT):
        """The provider's waitOperation: GetOperation until Succeeded/Completed (Started is pending)."""
        t0 = time.time()
        while True:
            got = self.ls.get_operation(operationId=op["id"])["operation"]
            if got["status"] in ("Succeeded", "Completed"):
                return got
            self.assertEqual(got["status"], "Started", got)
            if time.time() - t0 > timeout:
                self.fail("operation %s still %s" % (op["id"], got["status"]))
            time.sleep(0.05)

    def test_get_operation_after_every_change(self):
        name = unique_name("ops")
        ops = [self.create(name)["operation"]]
        ops.append(self.ls.update_distribution(distributionName=name, isEnabled=False)["operation"])
        ops += self.ls.set_ip_address_type(resourceType="Distribution", resourceName=name,
                                           ipAddressType="ipv4")["operations"]
        ops.append(self.ls.update_distribution_bundle(distributionName=name, bundleId="medium_1_0")["operation"])
        ops.append(self.ls.reset_distribution_cache(distributionName=name)["operation"])
        ops.append(self.ls.delete_distribution(distributionName=name)["operation"])
        want_types = ["CreateDistribution", "UpdateDistribution", "SetIpAddressType", "UpdateDistributionBundle",
                      "ResetDistributionCache", "DeleteDistribution"]
        self.assertEqual([o["operationType"] for o in ops], want_types)
        for op in ops:
            got = self.wait_operation(op)
            self.assertEqual(got, op)  # the same operation, member for member
            self.assertOperation(got, op["operationType"], name)
        # GetOperations: oldest first; ours are the newest, in order.
        listed, token = [], None
        while True:
            r = self.ls.get_operations(**({"pageToken": token} if token else {}))
            listed += r["operations"]
            token = r.get("nextPageToken")
            if not token:
                break
        ids = [o["id"] for o in listed]
        self.assertEqual(len(ids), len(set(ids)))
        mine = [i for i in ids if i in {o["id"] for o in ops}]
        self.assertEqual(mine, [o["id"] for o in ops])
        r = self.ls.get_operations_for_resource(resourceName=name)
        self.assertEqual([o["id"] for o in r["operations"]], [o["id"] for o in ops])
        self.assertLightsailError("NotFoundException", self.ls.get_operation,
                                  operationId="00000000-0000-4000-8000-000000000000", field="00000000")
        self.assertLightsailError("InvalidInputException", self.ls.get_operations, pageToken="!!", field="pageToken")

    def test_forwarded_headers_default(self):
        """The provider sends forwardedHeaders.option "default" (its documentation and its acceptance
        tests against AWS); Lightsail returns it as given and forwards what "none" forwards."""
        name = unique_name("hdr")
        settings = {"allowedHTTPMethods": "GET,HEAD,OPTIONS,PUT,PATCH,POST,DELETE", "cachedHTTPMethods": "GET,HEAD",
                    "defaultTTL": 86400, "maximumTTL": 31536000, "minimumTTL": 0,
                    "forwardedCookies": {"option": "none"}, "forwardedHeaders": {"option": "default"},
                    "forwardedQueryStrings": {"option": False}}
        r = self.create(name, cacheBehaviorSettings=settings)
        self.wait_operation(r["operation"])
        d = self.wait_deployed(name)
        self.assertEqual(d["cacheBehaviorSettings"]["forwardedHeaders"], {"option": "default", "headersAllowList": []})
        # No header is in the cache key: a second viewer with other headers is a hit.
        path = "/hdr-%s" % uuid.uuid4().hex
        for lang in ("en", "fr"):
            conn = http.client.HTTPConnection("127.0.0.1", self.server.edge_port, timeout=10)
            try:
                conn.request("GET", path, headers={"Host": d["domainName"], "Accept-Language": lang, "Origin": "https://" + lang})
                resp = conn.getresponse()
                resp.read()
                self.assertEqual(resp.status, 200)
            finally:
                conn.close()
        self.assertEqual(self.origin.count(path), 1)
        # "default" takes no allow-list, like "none"; cookies keep the model's enumeration.
        self.assertLightsailError("InvalidInputException", self.ls.update_distribution, distributionName=name,
                                  cacheBehaviorSettings={"forwardedHeaders": {"option": "default", "headersAllowList": ["Host"]}},
                                  field="headersAllowList")
        self.assertLightsailError("InvalidInputException", self.ls.update_distribution, distributionName=name,
                                  cacheBehaviorSettings={"forwardedCookies": {"option": "default"}},
                                  field="forwardedCookies.option")
        self.ls.delete_distribution(distributionName=name)

    def missing_members(self, value, shape, path, optional):
        """Members of the botocore model shape absent from the parsed output (recursively)."""
        out = []
        if shape.type_name == "structure":
            for mname, mshape in shape.members.items():
                p = "%s.%s" % (path, mname) if path else mname
                if mname not in value:
                    if p not in optional:
                        out.append(p)
                    continue
                out += self.missing_members(value[mname], mshape, p, optional)
        elif shape.type_name == "list":
            for item in value:
                out += self.missing_members(item, shape.member, path + "[]", optional)
        return out

    def test_shapes_match_botocore_model(self):
        """Every member of the model's output shapes is returned, with Lightsail's defaults, except those
        documented as conditional: certificateName ("if any"), nextPageToken (more pages only), an
        operation's errorCode/errorDetails (failed operations only)."""
        model = self.ls.meta.service_model
        name = unique_name("shape")
        created = self.create(name, tags=[{"key": "k", "value": "v"}],
                              cacheBehaviors=[{"path": "a/", "behavior": "dont-cache"}])
        op_optional = {"operation.errorCode", "operation.errorDetails"}
        out_shape = model.operation_model("CreateDistribution").output_shape
        self.assertEqual(self.missing_members(created, out_shape, "", op_optional | {"distribution.certificateName"}), [])
        for op, kwargs, optional in (
                ("GetDistributions", {"distributionName": name}, {"nextPageToken", "distributions[].certificateName"}),
                ("GetDistributions", {}, {"nextPageToken", "distributions[].certificateName"}),
                ("GetDistributionBundles", {}, set()),
                ("GetOperation", {"operationId": created["operation"]["id"]}, op_optional),
                ("GetOperations", {}, {"nextPageToken", "operations[].errorCode", "operations[].errorDetails"}),
                ("UpdateDistribution", {"distributionName": name, "isEnabled": True}, op_optional),
                ("DeleteDistribution", {"distributionName": name}, op_optional)):
            with self.subTest(op=op, kwargs=kwargs):
                out = getattr(self.ls, xform_name(op))(**kwargs)
                out.pop("ResponseMetadata", None)
                self.assertEqual(self.missing_members(out, model.operation_model(op).output_shape, "", optional), [])
        # The defaults filled in, with the values Lightsail shows.
        d = created["distribution"]
        self.assertEqual(d["origin"]["ipAddressType"], "ipv4")
        self.assertEqual(d["ipAddressType"], "dualstack")
        self.assertEqual(d["viewerMinimumTlsProtocolVersion"], "TLSv1.2_2021")
        self.assertEqual(d["alternativeDomainNames"], [])
        self.assertTrue(d["ableToUpdateBundle"])
        self.assertTrue(d["supportCode"])

    def test_cli(self):
        name = unique_name("cli")
        out = self.server.aws("lightsail", "create-distribution", "--distribution-name", name,
                              "--origin", "name=web,regionName=us-east-1,protocolPolicy=http-only",
                              "--default-cache-behavior", "behavior=cache", "--bundle-id", "small_1_0",
                              "--tags", "key=env,value=test")
        self.assertEqual(out["distribution"]["name"], name)
        self.assertEqual(out["operation"]["operationType"], "CreateDistribution")
        got = self.server.aws("lightsail", "get-distributions", "--distribution-name", name)
        self.assertEqual(got["distributions"][0]["domainName"], out["distribution"]["domainName"])
        self.assertEqual(got["distributions"][0]["tags"], [{"key": "env", "value": "test"}])
        out = self.server.aws("lightsail", "delete-distribution", "--distribution-name", name)
        self.assertEqual(out["operation"]["operationType"], "DeleteDistribution")
        p = self.server.aws_run("lightsail", "get-distributions", "--distribution-name", name)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("NotFoundException", p.stderr)


class TestLightsailOriginRestart(unittest.TestCase):
    """--lightsail-origin is the edge's: a restart with a new mapping moves an existing distribution
    to the new host, without rewriting it, and GetDistributions still shows the origin name given."""

    def _origin(self):
        o = _Origin()
        threading.Thread(target=o.serve_forever, daemon=True).start()
        self.addCleanup(o.server_close)
        self.addCleanup(o.shutdown)
        return o

    def _edge_get(self, srv, domain, path):
        conn = http.client.HTTPConnection("127.0.0.1", srv.edge_port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": domain})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def _wait_served(self, srv, domain, path, want):
        t0 = time.time()
        while True:
            status, body = self._edge_get(srv, domain, path)
            if status == 200 and want in body:
                return body
            if time.time() - t0 > DEPLOY_TIMEOUT:
                self.fail("%s%s: %d %r, want 200 with %r" % (domain, path, status, body[:200], want))
            time.sleep(0.05)

    def test_restart_with_new_mapping_serves_from_new_host(self):
        old, new = self._origin(), self._origin()
        srv = Server(extra_args=["--lightsail-origin", "web=127.0.0.1:%d" % old.server_address[1]])
        srv.start()
        self.addCleanup(srv.kill)
        sess = boto3.session.Session(aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key,
                                     region_name=REGION)
        ls = sess.client("lightsail", endpoint_url=srv.endpoint, config=Config(retries={"total_max_attempts": 1}))
        name = unique_name("move")
        d = ls.create_distribution(distributionName=name, bundleId="small_1_0",
                                   origin={"name": "web", "regionName": "us-east-1", "protocolPolicy": "http-only"},
                                   defaultCacheBehavior={"behavior": "dont-cache"})["distribution"]
        self._wait_served(srv, d["domainName"], "/a", b"origin /a #1")
        self.assertEqual((old.count("/a"), new.count("/a")), (1, 0))

        self.assertEqual(srv.stop(), 0, srv.stderr())
        srv.extra_args = ["--lightsail-origin", "web=127.0.0.1:%d" % new.server_address[1]]
        srv.start()  # same data dir and ports

        self._wait_served(srv, d["domainName"], "/b", b"origin /b #1")
        self.assertEqual((old.count("/b"), new.count("/b")), (0, 1))
        got = ls.get_distributions(distributionName=name)["distributions"][0]
        self.assertEqual(got["origin"]["name"], "web")
        self.assertEqual(got["originPublicDNS"], "127.0.0.1")
        self.assertEqual(srv.stop(), 0, srv.stderr())
