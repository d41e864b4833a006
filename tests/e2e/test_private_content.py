"""Private content end to end: S3 origins with OAI/OAC (through moto),
signed URLs and signed cookies, geo restriction and standard access logs
(Developer Guide: "Restrict access to an Amazon S3 origin", "Serve private
content with signed URLs and signed cookies", GeoRestriction in the API
Reference, "Standard logging reference").

moto enforces no authentication, so "private" is made observable: a small
loopback proxy in front of moto records every origin request (method,
path, headers) before forwarding it, and `--s3-endpoint` points at the
proxy. A signed request is checked by recomputing its SigV4 signature here,
independently of both OpenFront and botocore.

Skips (with the reason) only when moto or cryptography is missing.
"""

import base64
import datetime
import gzip
import hashlib
import hmac
import http.client
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import boto3
from botocore.signers import CloudFrontSigner

from harness import (ACCOUNT_ID, MotoServer, REPO_ROOT, V2016, V2020, Server, _rmtree_later, custom_origin,
                     dist_config, legacy_behavior, new_ref, s3_origin, wait_deployed)
from test_edge import Origin, origin_for

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    HAVE_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAVE_CRYPTOGRAPHY = False


def _have_moto():
    try:
        import moto  # noqa: F401
        return True
    except ImportError:
        return False


HAVE_MOTO = _have_moto()
NEED_MOTO = "moto not installed (python3 -m moto.server is the S3 endpoint of these tests)"
NEED_CRYPTO = "cryptography not installed (it makes the RSA key pair of the signed URLs)"

S3_ACCESS_KEY = "AKIAOPENFRONTS3E2E00"
S3_SECRET_KEY = "s3E2ESecret/OpenFront+0123456789abcdefghij"

ERROR_XML_PREFIX = b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>'

LOG_FIELDS = ("date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
              "cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol "
              "cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
              "cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte "
              "x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end").split()


# --------------------------------------------------------------------------
# helpers: moto, the recording proxy, SigV4 recomputation, edge requests
# --------------------------------------------------------------------------

class Moto(MotoServer):
    """moto's server with a boto3 S3 client (self.s3)."""

    def __init__(self, tmp):
        super().__init__(tmp, "s3")
        self.s3 = self.client


HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class RecordingProxy:
    """A loopback HTTP proxy that records each request (method, raw path,
    lower-cased headers) and forwards it unchanged to the target port."""

    def __init__(self, target_port):
        self.requests = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                rec = {"method": self.command, "path": self.path,
                       "headers": {k.lower(): v for k, v in self.headers.items()}}
                with proxy.lock:
                    proxy.requests.append(rec)
                hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                conn = http.client.HTTPConnection("127.0.0.1", target_port, timeout=30)
                try:
                    conn.request(self.command, self.path, body=body, headers=hdrs)
                    r = conn.getresponse()
                    data = r.read()
                    self.send_response_only(r.status, r.reason)
                    length = None
                    for k, v in r.getheaders():
                        if k.lower() in HOP_BY_HOP:
                            continue
                        if k.lower() == "content-length":
                            length = v
                            continue
                        self.send_header(k, v)
                    if self.command == "HEAD":
                        self.send_header("Content-Length", length or "0")
                    else:
                        self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    conn.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def mark(self):
        with self.lock:
            return len(self.requests)

    def since(self, mark):
        with self.lock:
            return list(self.requests[mark:])

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
                     r"/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?Signature=(?P<sig>[0-9a-f]{64})$")


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sigv4_s3_ok(rec, secret):
    """Recompute the SigV4 signature of a recorded S3 request (S3 rules: the
    canonical URI is the path as sent, encoded once) and compare."""
    m = AUTH_RE.match(rec["headers"]["authorization"])
    if not m:
        return False
    path, _, query = rec["path"].partition("?")
    pairs = [p.partition("=") for p in query.split("&") if p]
    enc = lambda s: urllib.parse.quote(urllib.parse.unquote(s), safe="-_.~")  # noqa: E731
    cq = "&".join("%s=%s" % kv for kv in sorted((enc(k), enc(v)) for k, _, v in pairs))
    signed = m.group("signed")
    ch = "".join("%s:%s\n" % (h, " ".join(rec["headers"].get(h, "").split())) for h in signed.split(";"))
    creq = "\n".join([rec["method"], path, cq, ch, signed, rec["headers"]["x-amz-content-sha256"]])
    scope = "%s/%s/%s/aws4_request" % (m.group("date"), m.group("region"), m.group("service"))
    sts = "\n".join(["AWS4-HMAC-SHA256", rec["headers"]["x-amz-date"], scope,
                     hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    k = _hmac(("AWS4" + secret).encode("utf-8"), m.group("date"))
    for part in (m.group("region"), m.group("service"), "aws4_request"):
        k = _hmac(k, part)
    return hmac.compare_digest(hmac.new(k, sts.encode("utf-8"), hashlib.sha256).hexdigest(), m.group("sig"))


def edge_get(server, host, target, headers=None, method="GET", source=None):
    """One request to the edge's HTTP listener; returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.edge_port, timeout=10,
                                      source_address=(source, 0) if source else None)
    try:
        h = {"Host": host}
        h.update(headers or {})
        conn.request(method, target, headers=h)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def create_dist(cf, **kw):
    d = cf.create_distribution(DistributionConfig=dist_config(V2020, **kw))["Distribution"]
    wait_deployed(cf, d["Id"])
    return d


def stop_checked(testcase, server):
    rc = server.stop(10)
    testcase.assertEqual(rc, 0, "openfront did not exit 0 within 10s of SIGTERM\n%s" % server.stderr())


# --------------------------------------------------------------------------
# 1. S3 origins: OAI / OAC decide whether origin requests are signed
# --------------------------------------------------------------------------

@unittest.skipIf(not HAVE_MOTO, NEED_MOTO)
def _stop_server_and_origin(cls):
    """Stops a class's server (asserting a clean SIGTERM exit) and origin."""
    srv = getattr(cls, "server", None)
    if srv is not None:
        rc = srv.stop(10)
        if rc != 0:
            raise AssertionError("openfront did not exit 0 within 10s of SIGTERM (rc=%r)" % rc)
    if getattr(cls, "origin", None) is not None:
        cls.origin.close()


class TestS3OriginSigning(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="openfront-e2e-s3-")
        _rmtree_later(cls.tmp)
        cls.moto = Moto(cls.tmp)
        cls.proxy = RecordingProxy(cls.moto.port)
        cls.bucket = "private-" + uuid.uuid4().hex[:10]
        cls.moto.s3.create_bucket(Bucket=cls.bucket)
        # moto answers anonymous GETs of private objects 403 (and serves
        # any request with an Authorization header), so private.txt is only
        # served when the edge signs.
        cls.moto.s3.put_object(Bucket=cls.bucket, Key="private.txt", Body=b"private object body", ACL="private",
                               ContentType="text/plain")
        cls.moto.s3.put_object(Bucket=cls.bucket, Key="public.txt", Body=b"public object body", ACL="public-read",
                               ContentType="text/plain")
        cls.moto.s3.put_object(Bucket=cls.bucket, Key="dir/a b+c.txt", Body=b"encoded key", ACL="private")
        cls.server = Server(extra_args=["--s3-endpoint", cls.proxy.endpoint, "--s3-region", "us-east-1"],
                            env={"OPENFRONT_S3_ACCESS_KEY_ID": S3_ACCESS_KEY,
                                 "OPENFRONT_S3_SECRET_ACCESS_KEY": S3_SECRET_KEY}).start()
        cls.cf = cls.server.client(V2020)
        cls.domain = cls.bucket + ".s3.amazonaws.com"

    @classmethod
    def tearDownClass(cls):
        srv = getattr(cls, "server", None)
        if srv is not None:
            srv.stop(10)
        for name in ("proxy", "moto"):
            obj = getattr(cls, name, None)
            if obj is not None:
                obj.close()

    # -- helpers --
    def s3_dist(self, oai="", oac=None, behavior=None, domain=None):
        o = s3_origin("s3", bucket=self.bucket, oai=oai)
        if domain:
            o["DomainName"] = domain
        if oac:
            o["OriginAccessControlId"] = oac
        return create_dist(self.cf, origins=[o], behavior=behavior)

    def create_oac(self, behavior):
        return self.cf.create_origin_access_control(OriginAccessControlConfig={
            "Name": new_ref("oac")[:60], "Description": "e2e", "SigningProtocol": "sigv4",
            "SigningBehavior": behavior, "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]

    def fetch(self, d, target="/private.txt", headers=None):
        """GET through the edge; returns (status, headers, body, origin requests it caused)."""
        mark = self.proxy.mark()
        st, h, body = edge_get(self.server, d["DomainName"], target, headers)
        return st, h, body, self.proxy.since(mark)

    def assertServed(self, st, h, body, recs, path="/private.txt", want=b"private object body"):
        self.assertEqual(st, 200, body[:300])
        self.assertEqual(body, want)
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertEqual(len(recs), 1, recs)
        self.assertEqual(recs[0]["method"], "GET")
        self.assertEqual(recs[0]["path"], "/" + self.bucket + path, "path-style request to --s3-endpoint")

    def assertSigned(self, rec):
        auth = rec["headers"].get("authorization", "")
        today = time.strftime("%Y%m%d", time.gmtime())
        self.assertTrue(auth.startswith("AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/s3/aws4_request"
                                        % (S3_ACCESS_KEY, today)), auth)
        self.assertRegex(rec["headers"].get("x-amz-date", ""), r"^\d{8}T\d{6}Z$")
        self.assertIn("x-amz-content-sha256", rec["headers"])
        self.assertTrue(sigv4_s3_ok(rec, S3_SECRET_KEY), "SigV4 signature does not verify: %r" % rec)

    def assertUnsigned(self, rec):
        self.assertNotIn("authorization", rec["headers"])
        self.assertNotIn("x-amz-date", rec["headers"])

    # -- tests --
    def test_no_oai_is_unsigned(self):
        d = self.s3_dist()
        st, h, body, recs = self.fetch(d, "/public.txt", {"Cookie": "a=1"})
        self.assertServed(st, h, body, recs, path="/public.txt", want=b"public object body")
        self.assertUnsigned(recs[0])
        self.assertNotIn("cookie", recs[0]["headers"])
        # The private object really is private: unsigned, S3 refuses it,
        # and its 403 passes through as an error.
        st, h, body, recs = self.fetch(d)
        self.assertEqual(st, 403)
        self.assertEqual(h["x-cache"], "Error from cloudfront")
        self.assertEqual(len(recs), 1)
        self.assertUnsigned(recs[0])

    def test_oai_is_signed_with_sigv4_for_s3(self):
        oai = self.cf.create_cloud_front_origin_access_identity(CloudFrontOriginAccessIdentityConfig={
            "CallerReference": new_ref("oai"), "Comment": "e2e"})["CloudFrontOriginAccessIdentity"]["Id"]
        d = self.s3_dist(oai="origin-access-identity/cloudfront/" + oai)
        st, h, body, recs = self.fetch(d)
        self.assertServed(st, h, body, recs)
        self.assertSigned(recs[0])
        # A key that needs percent-encoding: S3 canonical URI is encoded once.
        st, h, body, recs = self.fetch(d, "/dir/a%20b%2Bc.txt")
        self.assertServed(st, h, body, recs, path="/dir/a%20b%2Bc.txt", want=b"encoded key")
        self.assertSigned(recs[0])

    def test_oai_regional_domain(self):
        oai = self.cf.create_cloud_front_origin_access_identity(CloudFrontOriginAccessIdentityConfig={
            "CallerReference": new_ref("oai"), "Comment": "e2e"})["CloudFrontOriginAccessIdentity"]["Id"]
        d = self.s3_dist(oai="origin-access-identity/cloudfront/" + oai,
                         domain="%s.s3.eu-west-1.amazonaws.com" % self.bucket)
        st, h, body, recs = self.fetch(d)
        self.assertServed(st, h, body, recs)
        self.assertSigned(recs[0])

    def test_oac_signing_behaviours(self):
        for behavior, signed in (("always", True), ("never", False), ("no-override", True)):
            with self.subTest(behavior=behavior):
                d = self.s3_dist(oac=self.create_oac(behavior))
                # The viewer's Authorization is not forwarded by default, so
                # no-override still signs.
                st, h, body, recs = self.fetch(d, "/public.txt", {"Authorization": "Bearer viewer-token"})
                self.assertServed(st, h, body, recs, path="/public.txt", want=b"public object body")
                if signed:
                    self.assertSigned(recs[0])
                    st, h, body, recs = self.fetch(d)
                    self.assertServed(st, h, body, recs)
                    self.assertSigned(recs[0])
                else:
                    self.assertUnsigned(recs[0])
                    st, h, body, recs = self.fetch(d)
                    self.assertEqual((st, h["x-cache"]), (403, "Error from cloudfront"))
                    self.assertUnsigned(recs[0])

    def test_authorization_cannot_be_forwarded_to_s3_origin(self):
        # So no-override never meets a viewer Authorization through
        # ForwardedValues: the API refuses the configuration, as CloudFront does.
        b = legacy_behavior("s3")
        b["ForwardedValues"]["Headers"] = {"Quantity": 1, "Items": ["Authorization"]}
        with self.assertRaises(self.cf.exceptions.InvalidHeadersForS3Origin):
            self.s3_dist(oac=self.create_oac("no-override"), behavior=b)

    def test_missing_object_passes_s3_error_through(self):
        d = self.s3_dist(oac=self.create_oac("always"))
        st, h, body, recs = self.fetch(d, "/no-such-object.txt")
        self.assertEqual(st, 404, body[:300])
        self.assertEqual(h["x-cache"], "Error from cloudfront")
        root = ET.fromstring(body)
        self.assertEqual(root.tag, "Error")
        self.assertEqual(root.findtext("Code"), "NoSuchKey")
        self.assertEqual(len(recs), 1)
        self.assertSigned(recs[0])


# --------------------------------------------------------------------------
# 2. Signed URLs and signed cookies
# --------------------------------------------------------------------------

def _cf_b64(b):
    return base64.b64encode(b).replace(b"+", b"-").replace(b"=", b"_").replace(b"/", b"~").decode("ascii")


def _split(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def _utc(seconds_from_now):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)


@unittest.skipIf(not HAVE_CRYPTOGRAPHY, NEED_CRYPTO)
class TestSignedURLs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="openfront-e2e-signed-")
        _rmtree_later(cls.tmp)
        cls.origin = Origin()
        cls.server = Server().start()
        cls.cf = cls.server.client(V2020)
        cls.cf16 = cls.server.client(V2016)
        cls.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = cls.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        cls.key_path = os.path.join(cls.tmp, "private_key.pem")
        with open(cls.key_path, "wb") as f:
            f.write(cls.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))
        cls.kid = cls.cf.create_public_key(PublicKeyConfig={
            "CallerReference": new_ref("pk"), "Name": new_ref("pk"), "EncodedKey": pem,
            "Comment": "e2e signed urls"})["PublicKey"]["Id"]
        cls.group = cls.cf.create_key_group(KeyGroupConfig={
            "Name": new_ref("kg"), "Items": [cls.kid], "Comment": "e2e"})["KeyGroup"]["Id"]
        cls.signer = CloudFrontSigner(cls.kid, cls.rsa_sign)
        b = legacy_behavior("web")
        # Query strings and cookies forwarded and in the key: the signing
        # parameters must still be stripped from both.
        b["ForwardedValues"] = {"QueryString": True, "Cookies": {"Forward": "all"}}
        b["TrustedKeyGroups"] = {"Enabled": True, "Quantity": 1, "Items": [cls.group]}
        cls.dist = create_dist(cls.cf, origins=[origin_for(cls.origin)], behavior=b)
        cls.host = cls.dist["DomainName"]

    @classmethod
    def tearDownClass(cls):
        _stop_server_and_origin(cls)

    @classmethod
    def rsa_sign(cls, message):
        return cls.key.sign(message, padding.PKCS1v15(), hashes.SHA1())

    def url(self, path, host=None):
        return "http://%s%s" % (host or self.host, path)

    def get(self, url_or_target, headers=None, host=None):
        target = _split(url_or_target) if url_or_target.startswith("http") else url_or_target
        return edge_get(self.server, host or self.host, target, headers)

    def assertDenied(self, resp, code):
        st, h, body = resp
        self.assertEqual(st, 403, body[:300])
        self.assertEqual(h["x-cache"], "Error from cloudfront")
        self.assertTrue(body.startswith(ERROR_XML_PREFIX), body[:300])
        root = ET.fromstring(body)
        self.assertEqual(root.tag, "Error")
        messages = {"MissingKey": "Missing Key-Pair-Id query parameter or cookie value", "InvalidKey": "Unknown Key",
                    "AccessDenied": "Access denied"}
        self.assertEqual((root.findtext("Code"), root.findtext("Message")), (code, messages[code]))

    def assertOK(self, resp, path):
        st, h, body = resp
        self.assertEqual(st, 200, body[:300])
        self.assertTrue(body.startswith(path.encode() + b" "), body[:200])
        return h, body

    # -- canned --
    def test_canned_signed_url(self):
        url = self.signer.generate_presigned_url(self.url("/canned.txt"), date_less_than=_utc(600))
        self.assertIn("Expires=", url)
        h, body = self.assertOK(self.get(url), "/canned.txt")
        self.assertEqual(h["x-cache"], "Miss from cloudfront")

    def test_canned_with_own_query_string(self):
        url = self.signer.generate_presigned_url(self.url("/own-query.txt?color=red"), date_less_than=_utc(600))
        _, body = self.assertOK(self.get(url), "/own-query.txt")
        self.assertIn(b" /own-query.txt?color=red #", body, "the viewer's own query is forwarded, signing params not")
        self.assertDenied(self.get(url + "&extra=1"), "AccessDenied")

    def test_expired(self):
        url = self.signer.generate_presigned_url(self.url("/expired.txt"), date_less_than=_utc(-60))
        self.assertDenied(self.get(url), "AccessDenied")

    # -- custom policies --
    def custom(self, path, resource, **kw):
        kw.setdefault("date_less_than", _utc(600))
        policy = self.signer.build_policy(resource, **kw)
        return self.signer.generate_presigned_url(self.url(path), policy=policy)

    def test_custom_policy_wildcard_resource(self):
        resource = self.url("/wild/*")
        for path in ("/wild/a.txt", "/wild/deeper/b.txt", "/wild/q.txt?x=1"):
            with self.subTest(path=path):
                self.assertOK(self.get(self.custom(path, resource)), path.split("?")[0])
        for path in ("/other/c.txt", "/wildcat.txt"):
            with self.subTest(path=path):
                self.assertDenied(self.get(self.custom(path, resource)), "AccessDenied")

    def test_custom_policy_wildcard_in_query(self):
        # The Resource as AWS's signers write it (the URL with its query),
        # with a * in the query: "Wildcard characters ... anywhere in the string".
        for resource, path, ok in (("/wq.txt?size=*", "/wq.txt?size=large", True),
                                   ("/wq.txt?size=*", "/wq.txt?colour=red", False),
                                   ("/wq.txt?*", "/wq.txt?a=1&b=2", True),
                                   ("/w*?size=*", "/wq.txt?size=1", True)):
            with self.subTest(resource=resource, path=path):
                resp = self.get(self.custom(path, self.url(resource)))
                if ok:
                    self.assertOK(resp, path.split("?")[0])
                else:
                    self.assertDenied(resp, "AccessDenied")

    def test_custom_policy_date_greater_than_in_future(self):
        url = self.custom("/later.txt", self.url("/later.txt"), date_greater_than=_utc(600),
                          date_less_than=_utc(1200))
        self.assertDenied(self.get(url), "AccessDenied")
        url = self.custom("/later.txt", self.url("/later.txt"), date_greater_than=_utc(-60))
        self.assertOK(self.get(url), "/later.txt")

    def test_custom_policy_ip_address(self):
        url = self.custom("/ip.txt", self.url("/ip.txt"), ip_address="127.0.0.1/32")
        self.assertOK(self.get(url), "/ip.txt")
        url = self.custom("/ip.txt", self.url("/ip.txt"), ip_address="10.0.0.0/8")
        self.assertDenied(self.get(url), "AccessDenied")

    # -- failures --
    def test_tampered_signature(self):
        url = self.signer.generate_presigned_url(self.url("/tamper.txt"), date_less_than=_utc(600))
        m = re.search(r"Signature=([^&]+)", url)
        sig = m.group(1)
        i = 20
        bad = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:]
        self.assertDenied(self.get(url.replace(sig, bad)), "AccessDenied")
        # A signature for another path does not verify for this one.
        other = self.signer.generate_presigned_url(self.url("/other.txt"), date_less_than=_utc(600))
        self.assertDenied(self.get(url.replace(sig, re.search(r"Signature=([^&]+)", other).group(1))), "AccessDenied")

    def test_unknown_key_pair_id(self):
        url = CloudFrontSigner("KUNKNOWNKEY0000", self.rsa_sign).generate_presigned_url(
            self.url("/unknown-key.txt"), date_less_than=_utc(600))
        self.assertDenied(self.get(url), "InvalidKey")

    def test_no_signature(self):
        self.assertDenied(self.get("/unsigned.txt"), "MissingKey")
        self.assertDenied(self.get("/unsigned.txt?Expires=2000000000&Signature=abc"), "MissingKey")
        self.assertEqual(self.origin.count("/unsigned.txt"), 0)

    # -- cookies --
    def test_signed_cookies(self):
        policy = self.signer.build_policy(self.url("/cookie/*"), _utc(600)).encode()
        cookies = {"CloudFront-Policy": _cf_b64(policy), "CloudFront-Signature": _cf_b64(self.rsa_sign(policy)),
                   "CloudFront-Key-Pair-Id": self.kid}
        header = "theme=dark; " + "; ".join("%s=%s" % kv for kv in cookies.items())
        self.assertOK(self.get("/cookie/a.txt", {"Cookie": header}), "/cookie/a.txt")
        seen = self.origin.seen["/cookie/a.txt"].get("Cookie", "")
        self.assertIn("theme=dark", seen, "the viewer's own cookies are forwarded (Forward: all)")
        self.assertNotIn("CloudFront-Signature", seen, "signing cookies are not forwarded (OpenFront's choice)")
        self.assertDenied(self.get("/elsewhere/a.txt", {"Cookie": header}), "AccessDenied")
        bad = header.replace("CloudFront-Key-Pair-Id=" + self.kid, "CloudFront-Key-Pair-Id=KNOSUCHKEY00000")
        self.assertDenied(self.get("/cookie/b.txt", {"Cookie": bad}), "InvalidKey")

    def test_signed_cookies_do_not_split_cache(self):
        # With cookies in the cache key (Forward: all), the CloudFront-*
        # signing cookies are still left out of it: two viewers with
        # different valid cookies for the same object share one copy.
        path = "/cookie/shared.txt"
        for i, ttl in enumerate((600, 900)):
            policy = self.signer.build_policy(self.url("/cookie/*"), _utc(ttl)).encode()
            header = "CloudFront-Policy=%s; CloudFront-Signature=%s; CloudFront-Key-Pair-Id=%s" % (
                _cf_b64(policy), _cf_b64(self.rsa_sign(policy)), self.kid)
            h, _ = self.assertOK(self.get(path, {"Cookie": header}), path)
        self.assertEqual(h["x-cache"], "Hit from cloudfront")

    # -- forwarding and caching --
    def test_signing_params_not_forwarded_and_do_not_split_cache(self):
        path = "/cache-key.txt"
        u1 = self.signer.generate_presigned_url(self.url(path), date_less_than=_utc(600))
        u2 = self.signer.generate_presigned_url(self.url(path), date_less_than=_utc(900))
        self.assertNotEqual(u1, u2)
        h1, b1 = self.assertOK(self.get(u1), path)
        self.assertEqual(h1["x-cache"], "Miss from cloudfront")
        self.assertTrue(b1.startswith(b"/cache-key.txt /cache-key.txt #1"), b1)
        h2, b2 = self.assertOK(self.get(u2), path)
        self.assertEqual(h2["x-cache"], "Hit from cloudfront")
        self.assertEqual(b2, b1)
        self.assertEqual(self.origin.count(path), 1)
        # A hit is still checked.
        self.assertDenied(self.get(path), "MissingKey")

    # -- legacy trusted signers, AWS CLI --
    def test_legacy_trusted_signers_self(self):
        # "self" and the account's own id stand for the account's key pairs,
        # which are the stored public keys here; another account has none
        # here, so nothing it could sign verifies ("Specify signers that can
        # create signed URLs and signed cookies").
        for signer, ok in (("self", True), (ACCOUNT_ID, True), ("111122223333", False)):
            with self.subTest(signer=signer):
                b = legacy_behavior("web")
                b["TrustedSigners"] = {"Enabled": True, "Quantity": 1, "Items": [signer]}
                o = custom_origin("web", domain="127.0.0.1", CustomOriginConfig={
                    "HTTPPort": self.origin.port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"})
                cfg = dist_config(V2016, origins=[o], behavior=b)
                d = self.cf16.create_distribution(DistributionConfig=cfg)["Distribution"]
                active = d["ActiveTrustedSigners"]
                self.assertTrue(active["Enabled"])
                self.assertEqual(active["Items"][0]["AwsAccountNumber"], signer)
                key_pairs = active["Items"][0]["KeyPairIds"].get("Items", [])
                self.assertEqual(self.kid in key_pairs, ok, active)
                wait_deployed(self.cf16, d["Id"])
                url = self.signer.generate_presigned_url(self.url("/legacy.txt", d["DomainName"]),
                                                         date_less_than=_utc(600))
                if ok:
                    self.assertOK(self.get(url, host=d["DomainName"]), "/legacy.txt")
                else:
                    self.assertDenied(self.get(url, host=d["DomainName"]), "InvalidKey")
                self.assertDenied(self.get("/legacy.txt", host=d["DomainName"]), "MissingKey")

    def test_aws_cli_sign(self):
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        p = self.server.aws_run("cloudfront", "sign", "--url", self.url("/cli.txt"), "--key-pair-id", self.kid,
                                "--private-key", "file://" + self.key_path, "--date-less-than", expires)
        self.assertEqual(p.returncode, 0, p.stderr)
        url = p.stdout.strip().strip('"')
        self.assertTrue(url.startswith(self.url("/cli.txt") + "?Expires="), url)
        self.assertOK(self.get(url), "/cli.txt")


# --------------------------------------------------------------------------
# 3. Geo restriction
# --------------------------------------------------------------------------

def _geo(kind, *countries):
    return {"GeoRestriction": {"RestrictionType": kind, "Quantity": len(countries),
                               **({"Items": list(countries)} if countries else {})}}


class TestGeoRestriction(unittest.TestCase):
    """127.0.0.1 is DE and 127.0.0.2 is FR in a test country database;
    127.0.0.3 is in no network (unknown country: served)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="openfront-e2e-geo-")
        _rmtree_later(cls.tmp)
        cls.db = os.path.join(cls.tmp, "country.mmdb")
        p = subprocess.run(["go", "run", "./internal/geo/geotest/cmd/mkgeodb", cls.db,
                            "127.0.0.1/32=DE", "127.0.0.2/32=FR"],
                           cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise AssertionError("mkgeodb failed: %s%s" % (p.stdout, p.stderr))
        cls.origin = Origin()
        cls.server = Server(extra_args=["--geoip-db", cls.db]).start()
        cls.cf = cls.server.client(V2020)

    @classmethod
    def tearDownClass(cls):
        _stop_server_and_origin(cls)

    def dist(self, restriction, **kw):
        return create_dist(self.cf, origins=[origin_for(self.origin)], Restrictions=restriction, **kw)

    def get(self, d, path, source="127.0.0.1", headers=None):
        return edge_get(self.server, d["DomainName"], path, headers, source=source)

    def assertBlocked(self, resp):
        st, h, body = resp
        self.assertEqual(st, 403, body[:300])
        self.assertEqual(h["x-cache"], "Error from cloudfront")
        self.assertIn(b"The request could not be satisfied", body)

    def test_whitelist_de_allows_de(self):
        d = self.dist(_geo("whitelist", "DE"))
        st, h, body = self.get(d, "/geo/a.txt")
        self.assertEqual(st, 200, body[:300])
        self.assertBlocked(self.get(d, "/geo/a.txt", source="127.0.0.2"))
        st, _, _ = self.get(d, "/geo/a.txt", source="127.0.0.3")
        self.assertEqual(st, 200, "unknown country is served (fail open)")

    def test_blacklist_de_blocks_de(self):
        d = self.dist(_geo("blacklist", "DE"))
        self.assertBlocked(self.get(d, "/geo/b.txt"))
        self.assertEqual(self.origin.count("/geo/b.txt"), 0)
        st, _, _ = self.get(d, "/geo/b.txt", source="127.0.0.2")
        self.assertEqual(st, 200)

    def test_whitelist_fr_blocks_de_whatever_x_forwarded_for_says(self):
        d = self.dist(_geo("whitelist", "FR"))
        self.assertBlocked(self.get(d, "/geo/c.txt"))
        self.assertBlocked(self.get(d, "/geo/c.txt", headers={"X-Forwarded-For": "127.0.0.2"}))
        st, _, _ = self.get(d, "/geo/c.txt", source="127.0.0.2")
        self.assertEqual(st, 200)

    def test_custom_error_page_for_geo_block(self):
        d = self.dist(_geo("blacklist", "DE"), CustomErrorResponses={"Quantity": 1, "Items": [{
            "ErrorCode": 403, "ResponsePagePath": "/errors/404.html", "ResponseCode": "403",
            "ErrorCachingMinTTL": 0}]})
        st, h, body = self.get(d, "/geo/d.txt")
        self.assertEqual(st, 403)
        self.assertEqual(h["x-cache"], "Error from cloudfront")
        self.assertEqual(body, b"friendly not found page")
        self.assertEqual(self.origin.count("/geo/d.txt"), 0)


# --------------------------------------------------------------------------
# 4. Standard access logs
# --------------------------------------------------------------------------

LOG_NAME_RE = re.compile(r"^edge/(?P<dist>E[A-Z0-9]+)\.(?P<hour>\d{4}-\d{2}-\d{2}-\d{2})\.(?P<uid>[A-Za-z0-9_-]+)\.gz$")


@unittest.skipIf(not HAVE_MOTO, NEED_MOTO)
class TestAccessLogs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="openfront-e2e-logs-")
        _rmtree_later(cls.tmp)
        cls.moto = Moto(cls.tmp)
        cls.origin = Origin()

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "origin", None) is not None:
            cls.origin.close()
        if getattr(cls, "moto", None) is not None:
            cls.moto.close()

    def start_server(self, extra_args):
        srv = Server(extra_args=extra_args, env={"OPENFRONT_S3_ACCESS_KEY_ID": S3_ACCESS_KEY,
                                                 "OPENFRONT_S3_SECRET_ACCESS_KEY": S3_SECRET_KEY}).start()
        self.addCleanup(srv.kill)
        return srv

    def make_traffic(self, srv, bucket, tag):
        """A logged distribution and four requests; returns the distribution
        and {request id: what was sent and answered}."""
        b = legacy_behavior("web")
        b["ForwardedValues"] = {"QueryString": True, "Cookies": {"Forward": "none"}}
        d = create_dist(srv.client(V2020), origins=[origin_for(self.origin)], behavior=b,
                        Logging={"Enabled": True, "IncludeCookies": True, "Bucket": bucket + ".s3.amazonaws.com",
                                 "Prefix": "edge/"})
        sent = [("/%s/a.txt" % tag, "x=1&y=two", {"Cookie": "session=abc; theme=dark"}, 200, "Miss"),
                ("/%s/a.txt" % tag, "x=1&y=two", {}, 200, "Hit"),
                ("/missing/%s" % tag, "", {"Cookie": "k=v"}, 404, "Error"),
                ("/%s/b.txt" % tag, "", {"Referer": "http://example.com/page"}, 200, "Miss")]
        out = {}
        for path, query, headers, status, result in sent:
            h = {"User-Agent": "e2e log test"}
            h.update(headers)
            st, rh, _ = edge_get(srv, d["DomainName"], path + ("?" + query if query else ""), h)
            self.assertEqual(st, status, path)
            out[rh["x-amz-cf-id"]] = {"path": path, "query": query, "headers": h, "status": status, "result": result}
        return d, out

    def check_file(self, name, data, d):
        m = LOG_NAME_RE.match(name)
        self.assertIsNotNone(m, name)
        self.assertEqual(m.group("dist"), d["Id"])
        now = time.time()
        self.assertIn(m.group("hour"), {time.strftime("%Y-%m-%d-%H", time.gmtime(t)) for t in (now, now - 3600)})
        text = gzip.decompress(data).decode("utf-8")
        lines = text.split("\n")
        self.assertEqual(lines[0], "#Version: 1.0")
        self.assertEqual(lines[1], "#Fields: " + " ".join(LOG_FIELDS))
        return [line for line in lines[2:] if line]

    def check_records(self, lines, d, sent):
        records = {}
        for line in lines:
            f = line.split("\t")
            self.assertEqual(len(f), 33, line)
            rec = dict(zip(LOG_FIELDS, f))
            records[rec["x-edge-request-id"]] = rec
        self.assertEqual(set(records), set(sent), "one line per request")
        for rid, want in sent.items():
            rec = records[rid]
            with self.subTest(path=want["path"], result=want["result"]):
                self.assertRegex(rec["date"], r"^\d{4}-\d{2}-\d{2}$")
                self.assertRegex(rec["time"], r"^\d{2}:\d{2}:\d{2}$")
                self.assertEqual(rec["cs-method"], "GET")
                self.assertEqual(rec["cs(Host)"], d["DomainName"])
                self.assertEqual(rec["x-host-header"], d["DomainName"])
                self.assertEqual(rec["cs-uri-stem"], want["path"])
                self.assertEqual(rec["sc-status"], str(want["status"]))
                self.assertEqual(rec["cs-uri-query"], want["query"] or "-")
                self.assertEqual(rec["x-edge-result-type"], want["result"])
                self.assertEqual(rec["x-edge-response-result-type"], want["result"])
                self.assertEqual(rec["c-ip"], "127.0.0.1")
                self.assertEqual(rec["cs-protocol"], "http")
                self.assertEqual(rec["cs-protocol-version"], "HTTP/1.1")
                self.assertEqual(rec["cs(User-Agent)"], "e2e%20log%20test")
                self.assertEqual(rec["cs(Referer)"], want["headers"].get("Referer", "-"))
                cookie = want["headers"].get("Cookie")
                self.assertEqual(rec["cs(Cookie)"], cookie.replace(" ", "%20") if cookie else "-",
                                 "IncludeCookies logs the whole Cookie header")
                self.assertEqual(rec["ssl-protocol"], "-")
                self.assertRegex(rec["c-port"], r"^\d+$")
                self.assertRegex(rec["sc-bytes"], r"^\d+$")
                self.assertRegex(rec["time-taken"], r"^\d+\.\d{3}$")
                self.assertEqual(rec["sc-content-type"], "text/plain")

    def test_logs_to_s3_bucket(self):
        bucket = "logs-" + uuid.uuid4().hex[:10]
        self.moto.s3.create_bucket(Bucket=bucket)
        srv = self.start_server(["--s3-endpoint", self.moto.endpoint])
        d, sent = self.make_traffic(srv, bucket, "s3log")
        stop_checked(self, srv)
        objs = self.moto.s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        self.assertTrue(objs, "no log object delivered\n%s" % srv.stderr())
        lines = []
        for o in objs:
            data = self.moto.s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            lines += self.check_file(o["Key"], data, d)
        self.check_records(lines, d, sent)

    def test_logs_to_access_log_dir(self):
        root = os.path.join(tempfile.mkdtemp(prefix="openfront-e2e-logdir-"))
        _rmtree_later(root)
        bucket = "dirlogs-" + uuid.uuid4().hex[:8]
        srv = self.start_server(["--access-log-dir", root])
        d, sent = self.make_traffic(srv, bucket, "dirlog")
        stop_checked(self, srv)
        base = os.path.join(root, bucket)
        self.assertTrue(os.path.isdir(os.path.join(base, "edge")), "files under DIR/<bucket>/edge/: %r"
                        % [os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs])
        lines = []
        for dirpath, _, files in os.walk(base):
            for f in files:
                rel = os.path.relpath(os.path.join(dirpath, f), base).replace(os.sep, "/")
                with open(os.path.join(dirpath, f), "rb") as fh:
                    lines += self.check_file(rel, fh.read(), d)
        self.check_records(lines, d, sent)


if __name__ == "__main__":
    unittest.main()
