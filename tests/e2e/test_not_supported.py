"""What OpenFront does not do yet is said, never silently ignored (issue 12, "Trust"): operations
it does not serve answer 501 NotImplemented naming them; configs naming resources it cannot have
are refused with CloudFront's error; fields the edge does not act on are logged and counted."""

import json
import os
import re
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import REGION, V2016, V2020, ServerTestCase, dist_config, new_ref, wait_deployed


class TestNotImplemented(ServerTestCase):

    def assertNotImplemented(self, op, fn, *args, **kwargs):
        e = self.assertClientError("NotImplemented", 501, fn, *args, **kwargs)
        self.assertEqual(e.response["Error"]["Message"], "%s is not supported by OpenFront yet." % op)
        self.assertEqual(e.operation_name, op)

    def test_boto3_cloudfront_operations_not_served(self):
        self.assertNotImplemented("ListVpcOrigins", self.cf.list_vpc_origins)
        self.assertNotImplemented("CreateVpcOrigin", self.cf.create_vpc_origin, VpcOriginEndpointConfig={
            "Name": "vpc", "Arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1",
            "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"})
        self.assertNotImplemented("GetVpcOrigin", self.cf.get_vpc_origin, Id="vo_1")

    def test_aws_cli_cloudfront_operation_not_served(self):
        p = self.server.aws_run("cloudfront", "list-vpc-origins")
        self.assertIn(p.returncode, (254, 255), p.stderr)
        self.assertIn("NotImplemented", p.stderr)
        self.assertIn("ListVpcOrigins is not supported by OpenFront yet", p.stderr)

    def test_lightsail_operation_not_served(self):
        sess = boto3.session.Session(aws_access_key_id=self.server.access_key,
                                     aws_secret_access_key=self.server.secret_key, region_name=REGION)
        ls = sess.client("lightsail", endpoint_url=self.server.endpoint, config=Config(retries={"total_max_attempts": 1}))
        with self.assertRaises(ClientError) as cm:
            ls.get_instances()
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("NotImplemented", 501))
        self.assertEqual(err["Error"]["Message"], "GetInstances is not supported by OpenFront yet.")

        p = self.server.aws_run("lightsail", "get-instances")
        self.assertIn(p.returncode, (254, 255), p.stderr)
        self.assertIn("NotImplemented", p.stderr)
        self.assertIn("GetInstances is not supported by OpenFront yet", p.stderr)


class TestUnservedReferences(ServerTestCase):
    """A config naming a resource OpenFront cannot have yet gets CloudFront's error for it."""

    def behavior_with(self, **extra):
        cfg = dist_config(V2020)
        cfg["DefaultCacheBehavior"].update(extra)
        return cfg

    def test_create_refuses_each_reference(self):
        cases = [
            ("NoSuchResponseHeadersPolicy", 404, self.behavior_with(ResponseHeadersPolicyId="11111111-2222-3333-4444-555555555555")),
            ("InvalidFunctionAssociation", 400, self.behavior_with(FunctionAssociations={"Quantity": 1, "Items": [
                {"FunctionARN": "arn:aws:cloudfront::123456789012:function/rewrite", "EventType": "viewer-request"}]})),
            ("InvalidLambdaFunctionAssociation", 400, self.behavior_with(LambdaFunctionAssociations={"Quantity": 1, "Items": [
                {"LambdaFunctionARN": "arn:aws:lambda:us-east-1:123456789012:function:f:1", "EventType": "origin-request"}]})),
            ("NoSuchRealtimeLogConfig", 404, self.behavior_with(RealtimeLogConfigArn="arn:aws:cloudfront::123456789012:realtime-log-config/rt")),
            ("NoSuchFieldLevelEncryptionConfig", 404, self.behavior_with(FieldLevelEncryptionId="C3P0EXAMPLE")),
            ("NoSuchContinuousDeploymentPolicy", 404, dist_config(V2020, ContinuousDeploymentPolicyId="cdp-1")),
            ("InvalidViewerCertificate", 400, dist_config(V2020, ViewerCertificate={
                "ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
                "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"})),
            ("InvalidWebACLId", 400, dist_config(V2020, WebACLId="not-an-acl")),
        ]
        before = self.cf.list_distributions()["DistributionList"]["Quantity"]
        for code, status, cfg in cases:
            with self.subTest(code=code):
                self.assertClientError(code, status, self.cf.create_distribution, DistributionConfig=cfg)
                self.assertClientError(code, status, self.cf.create_distribution_with_tags, DistributionConfigWithTags={
                    "DistributionConfig": cfg, "Tags": {"Items": [{"Key": "k", "Value": "v"}]}})
        self.assertEqual(self.cf.list_distributions()["DistributionList"]["Quantity"], before)

    def test_managed_response_headers_policy_accepted(self):
        cfg = self.behavior_with(ResponseHeadersPolicyId="67f7725c-6f97-4210-82d7-5512b31e9d03")
        d = self.cf.create_distribution(DistributionConfig=cfg)["Distribution"]
        self.assertEqual(d["DistributionConfig"]["DefaultCacheBehavior"]["ResponseHeadersPolicyId"],
                         "67f7725c-6f97-4210-82d7-5512b31e9d03")

    def test_update_refuses_a_function_and_keeps_the_config(self):
        out = self.cf.create_distribution(DistributionConfig=dist_config(V2020))
        did, etag = out["Distribution"]["Id"], out["ETag"]
        cfg = out["Distribution"]["DistributionConfig"]
        cfg["DefaultCacheBehavior"]["FunctionAssociations"] = {"Quantity": 1, "Items": [
            {"FunctionARN": "arn:aws:cloudfront::123456789012:function/f", "EventType": "viewer-request"}]}
        e = self.assertClientError("InvalidFunctionAssociation", 400, self.cf.update_distribution,
                                   Id=did, IfMatch=etag, DistributionConfig=cfg)
        self.assertIn("function/f", e.response["Error"]["Message"])
        self.assertEqual(self.cf.get_distribution_config(Id=did)["ETag"], etag)

    def test_2016_iam_certificate_refused(self):
        cfg = dist_config(V2016, ViewerCertificate={"IAMCertificateId": "ASCAEXAMPLE", "SSLSupportMethod": "sni-only",
                                                     "MinimumProtocolVersion": "TLSv1"})
        self.assertClientError("InvalidViewerCertificate", 400, self.cf16.create_distribution, DistributionConfig=cfg)

    def test_aws_cli_response_headers_policy(self):
        cfg = self.behavior_with(ResponseHeadersPolicyId="custom-policy-id")
        path = os.path.join(self.server.tmp, "rhp-%s.json" % new_ref())
        with open(path, "w") as f:
            json.dump(cfg, f)
        p = self.server.aws_run("cloudfront", "create-distribution", "--distribution-config", "file://" + path)
        self.assertIn(p.returncode, (254, 255), p.stderr)
        self.assertIn("NoSuchResponseHeadersPolicy", p.stderr)
        self.assertIn("custom-policy-id", p.stderr)


class TestIgnoredFieldsReported(ServerTestCase):
    """Deploying a config that sets members the edge does not act on logs a WARN line per member and
    counts it in openfront_config_ignored_fields_total."""

    def metric(self, field):
        body = self.server.raw("GET", "/metrics", sign=False).body.decode()
        m = re.search(r'^openfront_config_ignored_fields_total\{field="%s"\} (\S+)$' % re.escape(field), body, re.M)
        return float(m.group(1)) if m else 0.0

    def test_warning_and_counter(self):
        before = self.metric("PriceClass")
        # IsIPV6Enabled=False, as the Terraform AWS provider always sends it, asks for nothing the
        # edge does not do (it only decides CloudFront's AAAA answers; OpenFront publishes no DNS):
        # not reported, and neither is true.
        cfg = dist_config(V2020, IsIPV6Enabled=False, HttpVersion="http2and3", PriceClass="PriceClass_100")
        d = self.cf.create_distribution(DistributionConfig=cfg)["Distribution"]
        wait_deployed(self.cf, d["Id"])
        deadline = time.time() + 5
        while self.metric("PriceClass") < before + 1 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.metric("PriceClass"), before + 1)
        self.assertEqual(self.metric("HttpVersion"), 0, "HttpVersion is acted on (ALPN, HTTP/3): not reported")
        self.assertEqual(self.metric("IsIPV6Enabled"), 0, "IsIPV6Enabled=false is not reported")
        log = self.server.stderr()
        for field in ("PriceClass",):
            lines = [l for l in log.splitlines() if "does not act on" in l and d["Id"] in l and "field=" + field in l]
            self.assertEqual(len(lines), 1, "want one WARN line for %s in:\n%s" % (field, log[-3000:]))
            self.assertIn("WARN", lines[0])
        self.assertNotIn("field=IsIPV6Enabled", log)

        # A change to another distribution does not report this one again.
        other = self.cf.create_distribution(DistributionConfig=dist_config(V2020))["Distribution"]
        wait_deployed(self.cf, other["Id"])
        self.assertEqual(self.metric("PriceClass"), before + 1)
        # A plain config, with the defaults CloudFront fills in, warns of nothing.
        time.sleep(0.2)
        noise = [l for l in self.server.stderr().splitlines() if "does not act on" in l and other["Id"] in l]
        self.assertEqual(noise, [], "a default config is reported as using ignored fields")
