"""X-Amz-Content-Sha256: UNSIGNED-PAYLOAD is Amazon S3's alone: CloudFront and
Lightsail sign the body's SHA-256. A header-signed CloudFront or Lightsail
request signed with UNSIGNED-PAYLOAD (whose body is therefore not
authenticated) is refused with SignatureDoesNotMatch (403) in the service's own
error form, and changes nothing; the same request signed over its body works.
Raw requests signed with botocore's SigV4 signer, told to sign
UNSIGNED-PAYLOAD as S3 clients do."""

import http.client
import json
import unittest

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from harness import NS, REGION, V2020, ServerTestCase, dist_config, new_ref, serialize_body


class UnsignedPayloadAuth(SigV4Auth):
    """SigV4 with the payload hash replaced by UNSIGNED-PAYLOAD (what S3 clients send)."""

    def payload(self, request):
        return "UNSIGNED-PAYLOAD"


class UnsignedPayloadTest(ServerTestCase):

    def send(self, method, path, body=b"", headers=None, service="cloudfront", unsigned=True):
        url = self.server.endpoint + path
        hdrs = dict(headers or {})
        if unsigned:
            hdrs["X-Amz-Content-Sha256"] = "UNSIGNED-PAYLOAD"
        req = AWSRequest(method=method, url=url, data=body, headers=hdrs)
        auth = UnsignedPayloadAuth if unsigned else SigV4Auth
        auth(Credentials(self.server.access_key, self.server.secret_key), service, REGION).add_auth(req)
        conn = http.client.HTTPConnection("127.0.0.1", self.server.api_port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=dict(req.headers.items()))
            r = conn.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            conn.close()

    def count(self):
        return self.cf.list_distributions()["DistributionList"]["Quantity"]

    def test_cloudfront(self):
        before = self.count()
        body = serialize_body(self.cf, "CreateDistribution", {"DistributionConfig": dist_config(V2020, ref=new_ref("unsigned"))})
        for method, path, payload in (("POST", "/2020-05-31/distribution", body), ("GET", "/2020-05-31/distribution", b"")):
            with self.subTest(method=method):
                status, headers, out = self.send(method, path, payload, {"Content-Type": "application/xml"} if payload else None)
                self.assertEqual(status, 403, out)
                self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", out)
                self.assertIn(b'<ErrorResponse xmlns="%s">' % NS[V2020].encode(), out)
        self.assertEqual(self.count(), before, "a request with an unauthenticated body created a distribution")
        # The same body signed over its hash is accepted.
        status, _, out = self.send("POST", "/2020-05-31/distribution", body, {"Content-Type": "application/xml"}, unsigned=False)
        self.assertEqual(status, 201, out)

    def test_lightsail(self):
        body = json.dumps({"distributionName": new_ref("ls")[:40].replace(".", "-"),
                           "origin": {"name": "web", "regionName": "us-east-1"},
                           "defaultCacheBehavior": {"behavior": "cache"}, "bundleId": "small_1_0"}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Lightsail_20161128.CreateDistribution"}
        status, resp_headers, out = self.send("POST", "/", body, headers, service="lightsail")
        self.assertEqual(status, 403, out)
        self.assertEqual(json.loads(out)["__type"], "InvalidSignatureException", out)
        self.assertEqual(resp_headers.get("x-amzn-errortype"), "InvalidSignatureException")
        status, _, out = self.send("POST", "/", json.dumps({}).encode(),
                                   {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Lightsail_20161128.GetDistributions"},
                                   service="lightsail", unsigned=False)
        self.assertEqual(status, 200, out)


if __name__ == "__main__":
    unittest.main()
