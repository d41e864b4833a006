"""Response headers policies (2020-05-31, issue #14): CRUD with boto3 and the AWS CLI, the five
managed policies, validation, ResponseHeadersPolicyInUse, ListDistributionsByResponseHeadersPolicyId,
and what the edge adds, removes and answers over real HTTP (misses, hits, error pages, CORS and
preflights), including a policy update reaching the edge."""

import json
import os
import time

from harness import V2020, dist_config, new_ref, wait_deployed
from test_edge import EdgeTestCase, origin_for
from test_policies import PolicyHelpers

MANAGED = {
    "e61eb60c-9c35-4d20-a928-2b84e02af89c": "Managed-CORS-and-SecurityHeadersPolicy",
    "5cc3b908-e619-4b99-88e5-2cf7f45965bd": "Managed-CORS-With-Preflight",
    "eaab4381-ed33-4a86-88ca-d9558dc6cd63": "Managed-CORS-with-preflight-and-SecurityHeadersPolicy",
    "67f7725c-6f97-4210-82d7-5512b31e9d03": "Managed-SecurityHeadersPolicy",
    "60669652-455b-4ae9-85a4-c4c02393f86c": "Managed-SimpleCORS",
}
MANAGED_SIMPLE_CORS = "60669652-455b-4ae9-85a4-c4c02393f86c"


def items(*xs):
    return {"Quantity": len(xs), "Items": list(xs)}


def rhp_config(name=None, value="v1", **extra):
    cfg = {
        "Name": name or new_ref("rhp"),
        "Comment": "e2e response headers policy",
        "CorsConfig": {
            "AccessControlAllowOrigins": items("https://*.app.example"),
            "AccessControlAllowHeaders": items("X-Requested-With"),
            "AccessControlAllowMethods": items("GET", "PUT"),
            "AccessControlAllowCredentials": True,
            "AccessControlExposeHeaders": items("X-Site"),
            "AccessControlMaxAgeSec": 600,
            "OriginOverride": True,
        },
        "SecurityHeadersConfig": {
            "StrictTransportSecurity": {"Override": True, "AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": True,
                                        "Preload": True},
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"Override": True, "FrameOption": "DENY"},
        },
        "CustomHeadersConfig": items({"Header": "X-Site", "Value": value, "Override": True},
                                     {"Header": "Content-Type", "Value": "text/x-policy", "Override": False}),
        "RemoveHeadersConfig": items({"Header": "X-Unwanted"}),
    }
    cfg.update(extra)
    return cfg


class TestResponseHeadersPolicies(PolicyHelpers, EdgeTestCase):

    def create_rhp(self, cfg=None, **kw):
        r = self.cf.create_response_headers_policy(ResponseHeadersPolicyConfig=cfg or rhp_config(**kw))
        self.addCleanup(self._quietly_delete, self.cf.get_response_headers_policy,
                        self.cf.delete_response_headers_policy, r["ResponseHeadersPolicy"]["Id"])
        return r

    def test_crud(self):
        cfg = rhp_config()
        r = self.create_rhp(cfg)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        pid, etag = r["ResponseHeadersPolicy"]["Id"], r["ETag"]
        self.assertEqual(r["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"], cfg)
        got = self.cf.get_response_headers_policy(Id=pid)
        self.assertEqual((got["ETag"], got["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]), (etag, cfg))
        self.assertEqual(self.cf.get_response_headers_policy_config(Id=pid)["ResponseHeadersPolicyConfig"], cfg)

        cfg2 = rhp_config(name=cfg["Name"], value="v2")
        self.assertClientError("PreconditionFailed", 412, self.cf.update_response_headers_policy, Id=pid,
                               IfMatch="E0WRONG", ResponseHeadersPolicyConfig=cfg2)
        up = self.cf.update_response_headers_policy(Id=pid, IfMatch=etag, ResponseHeadersPolicyConfig=cfg2)
        self.assertNotEqual(up["ETag"], etag)
        self.assertEqual(up["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"], cfg2)

        custom = self.cf.list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"]
        self.assertIn(pid, [i["ResponseHeadersPolicy"]["Id"] for i in custom["Items"]])
        self.assertEqual({i["Type"] for i in custom["Items"]}, {"custom"})
        self.assertClientError("ResponseHeadersPolicyAlreadyExists", 409, self.cf.create_response_headers_policy,
                               ResponseHeadersPolicyConfig=cfg2)

        self.cf.delete_response_headers_policy(Id=pid, IfMatch=up["ETag"])
        self.assertClientError("NoSuchResponseHeadersPolicy", 404, self.cf.get_response_headers_policy, Id=pid)

    def test_managed(self):
        managed = self.cf.list_response_headers_policies(Type="managed")["ResponseHeadersPolicyList"]["Items"]
        self.assertEqual({i["ResponseHeadersPolicy"]["Id"]: i["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]["Name"]
                          for i in managed}, MANAGED)
        # Terraform finds managed policies by listing without a Type and matching Name.
        everything = self.cf.list_response_headers_policies()["ResponseHeadersPolicyList"]["Items"]
        self.assertTrue(set(MANAGED) <= {i["ResponseHeadersPolicy"]["Id"] for i in everything})
        got = self.cf.get_response_headers_policy(Id=MANAGED_SIMPLE_CORS)
        self.assertClientError("IllegalUpdate", 400, self.cf.update_response_headers_policy, Id=MANAGED_SIMPLE_CORS,
                               IfMatch=got["ETag"], ResponseHeadersPolicyConfig=rhp_config())
        self.assertClientError("IllegalDelete", 400, self.cf.delete_response_headers_policy, Id=MANAGED_SIMPLE_CORS,
                               IfMatch=got["ETag"])
        out = self.server.aws("cloudfront", "list-response-headers-policies", "--type", "managed")
        self.assertEqual(len(out["ResponseHeadersPolicyList"]["Items"]), 5)

    def test_aws_cli_crud(self):
        cfg = rhp_config()
        path = os.path.join(self.server.tmp, "rhp-%s.json" % new_ref())
        with open(path, "w") as f:
            json.dump(cfg, f)
        out = self.server.aws("cloudfront", "create-response-headers-policy",
                              "--response-headers-policy-config", "file://" + path)
        pid = out["ResponseHeadersPolicy"]["Id"]
        got = self.server.aws("cloudfront", "get-response-headers-policy-config", "--id", pid)
        self.assertEqual(got["ResponseHeadersPolicyConfig"], cfg)
        self.server.aws("cloudfront", "delete-response-headers-policy", "--id", pid, "--if-match", got["ETag"])
        p = self.server.aws_run("cloudfront", "get-response-headers-policy", "--id", pid)
        self.assertIn("NoSuchResponseHeadersPolicy", p.stderr)

    def test_validation(self):
        def custom(*names):
            return {"CustomHeadersConfig": items(*[{"Header": n, "Value": "x", "Override": True} for n in names])}
        cases = [
            ("InvalidArgument", 400, {"RemoveHeadersConfig": items({"Header": "Content-Length"})}),
            ("InvalidArgument", 400, {"RemoveHeadersConfig": items({"Header": "X-Amz-Cf-Id"})}),
            ("InvalidArgument", 400, custom("Via")),
            ("TooManyCustomHeadersInResponseHeadersPolicy", 400, custom(*["X-H%d" % i for i in range(11)])),
            ("TooLongCSPInResponseHeadersPolicy", 400, {"SecurityHeadersConfig": {"ContentSecurityPolicy": {
                "Override": True, "ContentSecurityPolicy": "default-src " + "a" * 1780}}}),
            ("InvalidArgument", 400, {"SecurityHeadersConfig": {"StrictTransportSecurity": {
                "Override": True, "AccessControlMaxAgeSec": -1}}}),
            ("InvalidArgument", 400, {"CorsConfig": dict(rhp_config()["CorsConfig"],
                                                         AccessControlAllowOrigins=items("https://a.*.example"))}),
            ("InconsistentQuantities", 400, {"RemoveHeadersConfig": {"Quantity": 2, "Items": [{"Header": "X-A"}]}}),
        ]
        for code, status, extra in cases:
            with self.subTest(code=code, extra=str(extra)[:80]):
                self.assertClientError(code, status, self.cf.create_response_headers_policy,
                                       ResponseHeadersPolicyConfig=rhp_config(**extra))

    def test_in_use_and_listing_distributions(self):
        pid = self.create_rhp()["ResponseHeadersPolicy"]["Id"]
        self.assertClientError("NoSuchResponseHeadersPolicy", 404, self.cf.create_distribution,
                               DistributionConfig=self._cfg("00000000-0000-4000-8000-000000000000"))
        d = self.create_dist_cleaned(self._cfg(pid))["Distribution"]
        ids = self.cf.list_distributions_by_response_headers_policy_id(ResponseHeadersPolicyId=pid)
        self.assertEqual(ids["DistributionIdList"]["Items"], [d["Id"]])
        etag = self.cf.get_response_headers_policy(Id=pid)["ETag"]
        self.assertClientError("ResponseHeadersPolicyInUse", 409, self.cf.delete_response_headers_policy,
                               Id=pid, IfMatch=etag)

    def _cfg(self, pid, allow_options=False):
        cfg = dist_config(V2020, origins=[origin_for(self.origin)])
        b = cfg["DefaultCacheBehavior"]
        b["ResponseHeadersPolicyId"] = pid
        if allow_options:
            b["AllowedMethods"] = {"Quantity": 3, "Items": ["GET", "HEAD", "OPTIONS"],
                                   "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}
        cfg["CustomErrorResponses"] = items({"ErrorCode": 404, "ResponsePagePath": "/errors/404.html",
                                             "ResponseCode": "404", "ErrorCachingMinTTL": 10})
        return cfg

    def test_edge(self):
        r = self.create_rhp()
        pid = r["ResponseHeadersPolicy"]["Id"]
        d = self.create_dist_cleaned(self._cfg(pid, allow_options=True))["Distribution"]
        wait_deployed(self.cf, d["Id"])
        host, path = d["DomainName"], "/rhp-%s.txt" % new_ref()
        allowed = {"Origin": "https://www.app.example"}
        for want_cache in ("Miss from cloudfront", "Hit from cloudfront"):
            st, h, _ = self.get(host, path, allowed)
            self.assertEqual((st, h["x-cache"]), (200, want_cache))
            self.assertEqual(h["x-site"], "v1")
            self.assertEqual(h["content-type"], "text/plain")  # Override false keeps the origin's
            self.assertEqual(h["strict-transport-security"], "max-age=63072000; includeSubDomains; preload")
            self.assertEqual(h["x-frame-options"], "DENY")
            self.assertEqual(h["x-content-type-options"], "nosniff")
            self.assertEqual(h["access-control-allow-origin"], "https://www.app.example")
            self.assertEqual(h["access-control-allow-credentials"], "true")
            self.assertEqual(h["access-control-expose-headers"], "X-Site")
        st, h, _ = self.get(host, path, {"Origin": "https://app.example.evil"})
        self.assertNotIn("access-control-allow-origin", h)
        self.assertEqual(h["x-site"], "v1")

        # The custom error page carries the policy too.
        st, h, body = self.get(host, "/missing-%s" % new_ref(), allowed)
        self.assertEqual((st, body), (404, b"friendly not found page"))
        self.assertEqual((h["x-site"], h["access-control-allow-origin"]), ("v1", "https://www.app.example"))

        # A preflight is answered at the edge.
        pre = "/api-%s" % new_ref()
        st, h, body = self.get(host, pre, dict(allowed, **{"Access-Control-Request-Method": "PUT"}), method="OPTIONS")
        self.assertEqual((st, body), (204, b""))
        self.assertEqual(h["access-control-allow-methods"], "GET, PUT")
        self.assertEqual(h["access-control-allow-headers"], "X-Requested-With")
        self.assertEqual(h["access-control-max-age"], "600")
        self.assertEqual(self.origin.count(pre), 0)

        # An update reaches the edge within a second, for cached objects too.
        cfg = r["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]
        self.cf.update_response_headers_policy(Id=pid, IfMatch=r["ETag"],
                                               ResponseHeadersPolicyConfig=rhp_config(name=cfg["Name"], value="v2"))
        deadline = time.time() + 1.0
        while True:
            st, h, _ = self.get(host, path)
            if h.get("x-site") == "v2" or time.time() > deadline:
                break
            time.sleep(0.02)
        self.assertEqual((h.get("x-site"), h["x-cache"]), ("v2", "Hit from cloudfront"))
