"""Read-edit-write round trips of distribution configs, as scripts written
against CloudFront do them (issue #15): every member CloudFront returns is
there, and a config read back and sent unchanged with its ETag changes
nothing, byte for byte, whichever API version created or rewrites it."""

import copy
import unittest

from harness import (MANAGED_CACHING_OPTIMIZED, V2016, V2020, ServerTestCase, custom_origin, dist_config,
                     legacy_behavior, new_ref, policy_behavior, s3_origin, unique_alias)

ALL_VIEWER_ORP = "216adef6-5c7f-47e4-b989-5492eafa07d3"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


def minimal_boto3_config():
    """Only what botocore's 2020 model requires."""
    return {
        "CallerReference": new_ref("min"),
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "web", "DomainName": "origin.example.com",
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all",
                                 "CachePolicyId": MANAGED_CACHING_OPTIMIZED},
        "Comment": "",
        "Enabled": True,
    }


def minimal_2016_config():
    """Only what botocore's 2016 model requires."""
    return {
        "CallerReference": new_ref("min16"),
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "web", "DomainName": "origin.example.com",
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "match-viewer"}}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "web",
            "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "all"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
            "ViewerProtocolPolicy": "allow-all", "MinTTL": 10},
        "Comment": "minimal 2016",
        "Enabled": True,
    }


def full_2020_config():
    origins = [
        custom_origin("primary", "primary.example.com", OriginPath="/app",
                      CustomHeaders={"Quantity": 1, "Items": [{"HeaderName": "X-Secret", "HeaderValue": "v"}]},
                      ConnectionAttempts=2, ConnectionTimeout=5,
                      OriginShield={"Enabled": True, "OriginShieldRegion": "eu-west-1"}),
        custom_origin("secondary", "secondary.example.com"),
        s3_origin("bucket", "assets"),
    ]
    origins[0]["CustomOriginConfig"].update({
        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]}, "OriginReadTimeout": 40, "OriginKeepaliveTimeout": 6})
    return dist_config(
        V2020, ref=new_ref("full"), comment="full 2020", aliases=(unique_alias("full"),), origins=origins,
        behavior={
            "TargetOriginId": "group", "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": {"Quantity": 3, "Items": ["GET", "HEAD", "OPTIONS"],
                               "CachedMethods": {"Quantity": 3, "Items": ["GET", "HEAD", "OPTIONS"]}},
            "Compress": True,
            "CachePolicyId": CACHING_DISABLED, "OriginRequestPolicyId": ALL_VIEWER_ORP},
        OriginGroups={"Quantity": 1, "Items": [{
            "Id": "group",
            "FailoverCriteria": {"StatusCodes": {"Quantity": 1, "Items": [502]}},
            "Members": {"Quantity": 2, "Items": [{"OriginId": "primary"}, {"OriginId": "secondary"}]}}]},
        CacheBehaviors={"Quantity": 2, "Items": [
            dict(policy_behavior("bucket"), PathPattern="/static/*"),
            dict(legacy_behavior("primary", 5, 50, 500), PathPattern="/api/*"),
        ]},
        CustomErrorResponses={"Quantity": 1, "Items": [{"ErrorCode": 404, "ResponsePagePath": "/404.html",
                                                        "ResponseCode": "404", "ErrorCachingMinTTL": 30}]},
        Logging={"Enabled": True, "IncludeCookies": False, "Bucket": "logs.s3.amazonaws.com", "Prefix": "cf/"},
        ViewerCertificate={"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1.2_2021"},
        Restrictions={"GeoRestriction": {"RestrictionType": "whitelist", "Quantity": 1, "Items": ["DE"]}},
        WebACLId="", HttpVersion="http2and3", IsIPV6Enabled=False, PriceClass="PriceClass_100",
    )


def full_2016_config():
    return dist_config(
        V2016, ref=new_ref("full16"), comment="full 2016", aliases=(unique_alias("old"),),
        origins=[custom_origin("web", "web.example.com"), s3_origin("bucket", "media")],
        behavior=dict(legacy_behavior("web", 0, 3600, 86400), Compress=True, SmoothStreaming=False,
                      AllowedMethods={"Quantity": 2, "Items": ["GET", "HEAD"]}),
        CacheBehaviors={"Quantity": 1, "Items": [dict(legacy_behavior("bucket", 100), PathPattern="*.mp4",
                                                      SmoothStreaming=True)]},
        CustomErrorResponses={"Quantity": 1, "Items": [{"ErrorCode": 503, "ErrorCachingMinTTL": 0}]},
        Logging={"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""},
        ViewerCertificate={"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1"},
        Restrictions={"GeoRestriction": {"RestrictionType": "blacklist", "Quantity": 1, "Items": ["KP"]}},
        WebACLId="",
    )


CONFIGS = {
    "boto3-minimal-2020": (V2020, minimal_boto3_config),
    "cli-template-2020": (V2020, lambda: dist_config(V2020, ref=new_ref("cli"), comment="")),
    "full-2020": (V2020, full_2020_config),
    "minimal-2016": (V2016, minimal_2016_config),
    "full-2016": (V2016, full_2016_config),
}


class ConfigRoundTripTest(ServerTestCase):

    def create(self, name):
        version, make = CONFIGS[name]
        return self.clients()[version].create_distribution(DistributionConfig=make())["Distribution"]["Id"]

    def raw_config(self, version, dist_id):
        r = self.server.raw("GET", "/%s/distribution/%s/config" % (version, dist_id))
        self.assertEqual(r.status, 200, r.body[:500])
        return r.body, r.headers["etag"]

    def raw_configs(self, dist_id):
        return {v: self.raw_config(v, dist_id)[0] for v in (V2016, V2020)}

    def test_unchanged_write_back_changes_nothing(self):
        """For every config shape and both versions: boto3 get_distribution_config, then
        update_distribution with that dict and ETag; and the same with the raw XML bytes.
        The next read is byte-identical in both versions."""
        for name in CONFIGS:
            dist_id = self.create(name)
            for via in (V2020, V2016, V2020):
                with self.subTest(config=name, via=via, client="boto3"):
                    before = self.raw_configs(dist_id)
                    c = self.clients()[via]
                    got = c.get_distribution_config(Id=dist_id)
                    c.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=got["DistributionConfig"])
                    after = self.raw_configs(dist_id)
                    for v in (V2016, V2020):
                        self.assertEqual(after[v], before[v], "%s config changed by a %s boto3 round trip" % (v, via))
                with self.subTest(config=name, via=via, client="raw"):
                    before = self.raw_configs(dist_id)
                    body, etag = self.raw_config(via, dist_id)
                    r = self.server.raw("PUT", "/%s/distribution/%s/config" % (via, dist_id), body=body,
                                        headers={"If-Match": etag})
                    self.assertEqual(r.status, 200, r.body[:800])
                    self.assertEqual(self.raw_configs(dist_id), before)

    def test_members_cloudfront_always_returns(self):
        """What Terraform's provider and scripts read without a check is there, with
        CloudFront's values (AWS CLI reference, get-distribution-config example output)."""
        dist_id = self.create("boto3-minimal-2020")
        d = self.cf.get_distribution(Id=dist_id)["Distribution"]
        cfg = d["DistributionConfig"]
        self.assertEqual(d["ActiveTrustedSigners"], {"Enabled": False, "Quantity": 0})
        self.assertEqual(d["ActiveTrustedKeyGroups"], {"Enabled": False, "Quantity": 0})
        self.assertEqual(cfg["Aliases"], {"Quantity": 0})
        self.assertEqual(cfg["DefaultRootObject"], "")
        self.assertEqual(cfg["OriginGroups"], {"Quantity": 0})
        self.assertEqual(cfg["CacheBehaviors"], {"Quantity": 0})
        self.assertEqual(cfg["CustomErrorResponses"], {"Quantity": 0})
        self.assertEqual(cfg["Logging"], {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""})
        self.assertEqual(cfg["PriceClass"], "PriceClass_All")
        self.assertEqual(cfg["ViewerCertificate"], {"CloudFrontDefaultCertificate": True, "SSLSupportMethod": "vip",
                                                    "MinimumProtocolVersion": "TLSv1", "CertificateSource": "cloudfront"})
        self.assertEqual(cfg["Restrictions"], {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}})
        self.assertEqual((cfg["WebACLId"], cfg["HttpVersion"], cfg["IsIPV6Enabled"]), ("", "http2", True))
        self.assertEqual((cfg["ContinuousDeploymentPolicyId"], cfg["Staging"]), ("", False))
        o = cfg["Origins"]["Items"][0]
        self.assertEqual((o["OriginPath"], o["CustomHeaders"], o["ConnectionAttempts"], o["ConnectionTimeout"],
                          o["OriginShield"], o["OriginAccessControlId"]),
                         ("", {"Quantity": 0}, 3, 10, {"Enabled": False}, ""))
        self.assertEqual((o["CustomOriginConfig"]["OriginReadTimeout"], o["CustomOriginConfig"]["OriginKeepaliveTimeout"]),
                         (30, 5))
        b = cfg["DefaultCacheBehavior"]
        for member in ("TrustedSigners", "TrustedKeyGroups"):
            self.assertEqual(b[member], {"Enabled": False, "Quantity": 0})
        self.assertEqual(b["AllowedMethods"], {"Quantity": 2, "Items": ["HEAD", "GET"],
                                               "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]}})
        self.assertEqual((b["SmoothStreaming"], b["Compress"], b["FieldLevelEncryptionId"]), (False, False, ""))
        self.assertEqual((b["LambdaFunctionAssociations"], b["FunctionAssociations"]), ({"Quantity": 0}, {"Quantity": 0}))
        self.assertNotIn("ForwardedValues", b)
        summary = [s for s in self.cf.list_distributions()["DistributionList"]["Items"] if s["Id"] == dist_id][0]
        self.assertEqual((summary["OriginGroups"], summary["IsIPV6Enabled"], summary["Staging"]), ({"Quantity": 0}, True, False))

    def test_edit_one_member_keeps_the_rest(self):
        """The script pattern: read, change the comment, write back. Only the comment changes."""
        dist_id = self.create("full-2020")
        before = self.raw_configs(dist_id)
        got = self.cf.get_distribution_config(Id=dist_id)
        cfg = copy.deepcopy(got["DistributionConfig"])
        cfg["Comment"] = "edited"
        self.cf.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=cfg)
        after = self.raw_configs(dist_id)
        for v in (V2016, V2020):
            self.assertEqual(after[v], before[v].replace(b"<Comment>full 2020</Comment>", b"<Comment>edited</Comment>"))

    def test_2016_sees_a_cache_policy_as_legacy_settings(self):
        """A 2020 behaviour with a cache policy reads through 2016 with the ForwardedValues and
        TTLs 2016 requires, taken from the policy; writing them back keeps the policy."""
        dist_id = self.create("boto3-minimal-2020")
        b = self.cf16.get_distribution_config(Id=dist_id)["DistributionConfig"]["DefaultCacheBehavior"]
        self.assertEqual(b["ForwardedValues"], {"QueryString": False, "Cookies": {"Forward": "none"},
                                                "Headers": {"Quantity": 0}})
        self.assertEqual((b["MinTTL"], b["DefaultTTL"], b["MaxTTL"]), (1, 86400, 31536000))
        got = self.cf16.get_distribution_config(Id=dist_id)
        edited = copy.deepcopy(got["DistributionConfig"])
        edited["DefaultCacheBehavior"]["MinTTL"] = 0  # ignored: the policy decides
        edited["Comment"] = "via 2016"
        self.cf16.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=edited)
        now = self.cf.get_distribution_config(Id=dist_id)["DistributionConfig"]
        self.assertEqual(now["DefaultCacheBehavior"]["CachePolicyId"], MANAGED_CACHING_OPTIMIZED)
        self.assertNotIn("ForwardedValues", now["DefaultCacheBehavior"])
        self.assertEqual(now["Comment"], "via 2016")


if __name__ == "__main__":
    unittest.main()
