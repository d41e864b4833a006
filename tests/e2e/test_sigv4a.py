"""SigV4A (AWS4-ECDSA-P256-SHA256) against the real binary (issue 18): boto3
told to sign with signature_version "v4a" (botocore's CRT signer, aws-c-auth)
drives the CloudFront and Lightsail APIs; a wrong secret or a region set that
leaves out us-east-1 is refused as SigV4 failures are, in each API's own error
form; a presigned SigV4A URL works. The signing runs in a child python3 that
can import awscrt (Debian's python3-awscrt, found through PYTHONPATH when
python3 is not Debian's), so this process's botocore keeps its own SigV4
signer. Skipped when awscrt is not installed."""

import json
import os
import subprocess
import sys
import unittest

from harness import REGION, ServerTestCase, dist_config, new_ref, V2020

DEBIAN_DIST_PACKAGES = "/usr/lib/python3/dist-packages"

CHILD = r'''
import json, sys, urllib.request, urllib.error
import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.crt.auth import CrtSigV4AsymQueryAuth
from botocore.exceptions import ClientError

args = json.loads(sys.argv[1])

def client(service, secret=args["secret"], region_set=None):
    cfg = Config(signature_version="v4a", sigv4a_signing_region_set=region_set, retries={"total_max_attempts": 1})
    return boto3.client(service, endpoint_url=args["endpoint"], region_name=args["region"],
                        aws_access_key_id=args["akid"], aws_secret_access_key=secret, config=cfg)

def outcome(c, op, **kw):
    auth = []
    c.meta.events.register("before-send", lambda request, **_: auth.append(request.headers.get("Authorization", b"").decode()))
    try:
        r = getattr(c, op)(**kw)
        r.pop("ResponseMetadata", None)
        return {"ok": json.loads(json.dumps(r, default=str)), "auth": auth[-1]}
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "auth": auth[-1]}

out = {
    "cf_create": outcome(client("cloudfront"), "create_distribution", DistributionConfig=args["config"]),
    "cf_list": outcome(client("cloudfront", region_set="*"), "list_distributions"),
    "cf_wrong_secret": outcome(client("cloudfront", secret=args["secret"] + "x"), "list_distributions"),
    "cf_other_region": outcome(client("cloudfront", region_set="eu-west-1"), "list_distributions"),
    "ls_list": outcome(client("lightsail"), "get_distributions"),
    "ls_wrong_secret": outcome(client("lightsail", secret=args["secret"] + "x"), "get_distributions"),
    "ls_other_region": outcome(client("lightsail", region_set="eu-west-1,ap-south-1"), "get_distributions"),
}
req = AWSRequest(method="GET", url=args["endpoint"] + "/2020-05-31/distribution")
CrtSigV4AsymQueryAuth(Credentials(args["akid"], args["secret"]), "cloudfront", "*", expires=300).add_auth(req)
url = req.prepare().url
try:
    with urllib.request.urlopen(url, timeout=30) as r:
        out["presigned"] = {"status": r.status, "url": url}
except urllib.error.HTTPError as e:
    out["presigned"] = {"status": e.code, "url": url, "body": e.read().decode()}
print(json.dumps(out))
'''


def crt_env():
    """An environment in which python3 imports boto3 and awscrt, or None."""
    for extra in ("", DEBIAN_DIST_PACKAGES):
        env = dict(os.environ)
        if extra:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), extra) if p)
        probe = subprocess.run([sys.executable, "-c", "import boto3, botocore.auth, awscrt.auth"],
                               env=env, capture_output=True)
        if probe.returncode == 0:
            return env
    return None


class SigV4ATest(ServerTestCase):

    def test_boto3_sigv4a(self):
        env = crt_env()
        if env is None:
            self.skipTest("awscrt not installed (Debian python3-awscrt)")
        ref = new_ref("sigv4a")
        args = {"endpoint": self.server.endpoint, "akid": self.server.access_key, "secret": self.server.secret_key,
                "region": REGION, "config": dist_config(V2020, ref=ref)}
        child = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], env=env,
                               capture_output=True, text=True, timeout=120)
        self.assertEqual(child.returncode, 0, child.stderr)
        got = json.loads(child.stdout)

        for name, r in got.items():
            if name != "presigned":
                self.assertTrue(r["auth"].startswith("AWS4-ECDSA-P256-SHA256 Credential="), (name, r))
        self.assertIn("ok", got["cf_create"], got["cf_create"])
        created = got["cf_create"]["ok"]["Distribution"]["Id"]
        ids = [d["Id"] for d in got["cf_list"]["ok"]["DistributionList"].get("Items", [])]
        self.assertIn(created, ids)
        self.assertIn("ok", got["ls_list"], got["ls_list"])
        self.assertEqual(got["presigned"]["status"], 200, got["presigned"])
        self.assertIn("X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256", got["presigned"]["url"])

        for name in ("cf_wrong_secret", "cf_other_region"):
            self.assertEqual((got[name].get("code"), got[name].get("status")), ("SignatureDoesNotMatch", 403), (name, got[name]))
        for name in ("ls_wrong_secret", "ls_other_region"):
            self.assertEqual((got[name].get("code"), got[name].get("status")), ("InvalidSignatureException", 403), (name, got[name]))

        # boto3 read those codes from CloudFront's XML ErrorResponse and from
        # Lightsail's JSON __type; the distribution made with SigV4A is there.
        self.assertEqual(self.cf.get_distribution(Id=created)["Distribution"]["DistributionConfig"]["CallerReference"], ref)


if __name__ == "__main__":
    unittest.main()
