"""Field length limits: a value over CloudFront's limit for its field (or over
OpenFront's 4,096-character ceiling for fields CloudFront documents no limit
for, such as CallerReference) is CloudFront's 400 for every resource kind,
through boto3 of both API versions; nothing is created and the server logs no
internal error. Before, a 40,000-character CallerReference reached the embedded
store and came back as 500 InternalError."""

import unittest

from harness import V2016, V2020, ServerTestCase, custom_origin, dist_config, new_ref, streaming_config
from test_keys import EC_P256, kg_config, oac_config, pk_config
from test_policies import cp_config

HUGE = "x" * 40000


def orp_config(name):
    return {"Name": name, "Comment": "e2e",
            "HeadersConfig": {"HeaderBehavior": "none"}, "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"}}


class FieldLimitsTest(ServerTestCase):

    def assertRefused(self, code, fn, **kwargs):
        self.assertClientError(code, 400, fn, **kwargs)

    def test_distribution_fields(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                cases = [
                    ("CallerReference", dict(ref=HUGE)),
                    ("Comment", dict(comment="c" * 129)),
                    ("origin Id", dict(origins=[custom_origin(origin_id="o" * 5000)])),
                    ("origin DomainName", dict(origins=[custom_origin(domain="d" * 250 + ".com")])),
                    ("custom header value", dict(origins=[custom_origin(CustomHeaders={"Quantity": 1, "Items": [
                        {"HeaderName": "X-Secret", "HeaderValue": "v" * 1784}]})])),
                ]
                for name, kw in cases:
                    with self.subTest(field=name):
                        self.assertRefused("InvalidArgument", c.create_distribution,
                                           DistributionConfig=dist_config(version, **kw))
                self.assertRefused("InvalidDefaultRootObject", c.create_distribution,
                                   DistributionConfig=dist_config(version, DefaultRootObject="i" * 256))
        # At the ceiling: accepted, and read back whole.
        ref = "r" * 4096
        d = self.cf.create_distribution(DistributionConfig=dist_config(V2020, ref=ref, comment="c" * 128))["Distribution"]
        self.assertEqual(self.cf.get_distribution_config(Id=d["Id"])["DistributionConfig"]["CallerReference"], ref)

    def test_update_distribution(self):
        d = self.create_dist()
        cfg = self.cf.get_distribution_config(Id=d["Distribution"]["Id"])
        conf = cfg["DistributionConfig"]
        conf["Comment"] = "c" * 129
        self.assertRefused("InvalidArgument", self.cf.update_distribution,
                           Id=d["Distribution"]["Id"], IfMatch=cfg["ETag"], DistributionConfig=conf)

    def test_distribution_with_tags(self):
        for key, value in (("k" * 129, "v"), ("k", "v" * 257), (HUGE, "v")):
            self.assertRefused("InvalidTagging", self.cf.create_distribution_with_tags, DistributionConfigWithTags={
                "DistributionConfig": dist_config(V2020), "Tags": {"Items": [{"Key": key, "Value": value}]}})

    def test_streaming_distribution(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                self.assertRefused("InvalidArgument", c.create_streaming_distribution,
                                   StreamingDistributionConfig=streaming_config(ref=HUGE))
                self.assertRefused("InvalidArgument", c.create_streaming_distribution,
                                   StreamingDistributionConfig=streaming_config(comment="c" * 129))

    def test_origin_access_identity(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                for cfg in ({"CallerReference": HUGE, "Comment": "c"}, {"CallerReference": new_ref(), "Comment": "c" * 129}):
                    self.assertRefused("InvalidArgument", c.create_cloud_front_origin_access_identity,
                                       CloudFrontOriginAccessIdentityConfig=cfg)

    def test_origin_access_control(self):
        for cfg in (oac_config(name="n" * 65), oac_config(name=HUGE), oac_config(description="d" * 257)):
            self.assertRefused("InvalidArgument", self.cf.create_origin_access_control, OriginAccessControlConfig=cfg)

    def test_public_keys_and_key_groups(self):
        self.assertRefused("InvalidArgument", self.cf.create_public_key, PublicKeyConfig=pk_config(ref=HUGE))
        self.assertRefused("InvalidArgument", self.cf.create_public_key, PublicKeyConfig=pk_config(name=HUGE))
        self.assertRefused("InvalidArgument", self.cf.create_public_key, PublicKeyConfig=pk_config(comment="c" * 129))
        key = self.cf.create_public_key(PublicKeyConfig=pk_config(key=EC_P256))["PublicKey"]["Id"]
        self.assertRefused("InvalidArgument", self.cf.create_key_group, KeyGroupConfig=kg_config([key], name=HUGE))
        self.assertRefused("InvalidArgument", self.cf.create_key_group, KeyGroupConfig=kg_config([key], comment="c" * 129))
        self.assertEqual(self.cf.list_key_groups()["KeyGroupList"]["Quantity"], 0)

    def test_policies(self):
        self.assertRefused("InvalidArgument", self.cf.create_cache_policy, CachePolicyConfig=cp_config(name=HUGE))
        self.assertRefused("InvalidArgument", self.cf.create_cache_policy, CachePolicyConfig=cp_config(name="n" * 129))
        self.assertRefused("InvalidArgument", self.cf.create_cache_policy,
                           CachePolicyConfig=cp_config(headers=("whitelist", ["h" * 257])))
        self.assertRefused("InvalidArgument", self.cf.create_origin_request_policy,
                           OriginRequestPolicyConfig=orp_config(HUGE))

    def test_invalidations_and_tags(self):
        d = self.create_dist()["Distribution"]
        for version, c in self.clients().items():
            with self.subTest(version=version):
                for ref, path in ((HUGE, "/a"), (new_ref(), "/" + "p" * 4000)):
                    self.assertRefused("InvalidArgument", c.create_invalidation, DistributionId=d["Id"], InvalidationBatch={
                        "Paths": {"Quantity": 1, "Items": [path]}, "CallerReference": ref})
                self.assertEqual(c.list_invalidations(DistributionId=d["Id"])["InvalidationList"]["Quantity"], 0)
        ok = self.cf.create_invalidation(DistributionId=d["Id"], InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/" + "p" * 3999]}, "CallerReference": new_ref()})
        self.assertEqual(ok["ResponseMetadata"]["HTTPStatusCode"], 201)
        for key, value in (("k" * 129, "v"), ("k", "v" * 257), (HUGE, "v")):
            self.assertRefused("InvalidTagging", self.cf.tag_resource, Resource=d["ARN"],
                               Tags={"Items": [{"Key": key, "Value": value}]})
        self.assertRefused("InvalidTagging", self.cf.untag_resource, Resource=d["ARN"], TagKeys={"Items": [HUGE]})
        self.assertEqual(self.cf.list_tags_for_resource(Resource=d["ARN"])["Tags"].get("Items", []), [])

    @classmethod
    def tearDownClass(cls):
        logs = cls.server.stderr() if getattr(cls, "server", None) else ""
        super().tearDownClass()
        if "internal error" in logs:
            raise AssertionError("the server logged an internal error:\n" + logs[-3000:])


if __name__ == "__main__":
    unittest.main()
