"""What OpenFront does not do yet is said, never silently ignored (issue 12, "Trust"): operations
it does not serve answer 501 NotImplemented naming them; configs naming resources it cannot have
are refused with CloudFront's error; fields the edge does not act on are logged and counted."""

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import REGION, V2020, ServerTestCase


class TestNotImplemented(ServerTestCase):

    def assertNotImplemented(self, op, fn, *args, **kwargs):
        e = self.assertClientError("NotImplemented", 501, fn, *args, **kwargs)
        self.assertEqual(e.response["Error"]["Message"], "%s is not supported by OpenFront yet." % op)
        self.assertEqual(e.operation_name, op)

    def test_boto3_cloudfront_operations_not_served(self):
        self.assertNotImplemented("ListFunctions", self.cf.list_functions)
        self.assertNotImplemented("CreateVpcOrigin", self.cf.create_vpc_origin, VpcOriginEndpointConfig={
            "Name": "vpc", "Arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1",
            "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"})
        self.assertNotImplemented("GetResponseHeadersPolicy", self.cf.get_response_headers_policy, Id="any-id")
        self.assertNotImplemented("DeleteRealtimeLogConfig", self.cf.delete_realtime_log_config, Name="x")
        self.assertNotImplemented("ListDistributionsByVpcOriginId", self.cf.list_distributions_by_vpc_origin_id,
                                  VpcOriginId="vo_1")

    def test_aws_cli_cloudfront_operation_not_served(self):
        p = self.server.aws_run("cloudfront", "list-functions")
        self.assertIn(p.returncode, (254, 255), p.stderr)
        self.assertIn("NotImplemented", p.stderr)
        self.assertIn("ListFunctions is not supported by OpenFront yet", p.stderr)

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
