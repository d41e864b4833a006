"""CloudFront KeyValueStore end to end: the cloudfront-keyvaluestore data plane through boto3, a function at
the edge reading a key (a PutKey reaches it within a second), and CreateKeyValueStore's ImportSource from S3
(moto) through --s3-endpoint.

boto3's client sends to <account-id>.<endpoint host>, a name that does not resolve on loopback: the client
is given the API as its HTTP proxy, so it sends the request (absolute-form, Host <account-id>.127.0.0.1:port)
to the API whatever the name, as wildcard DNS would. botocore signs this service with SigV4A, which needs
awscrt: most tests configure the client with signature_version="v4", and test_put_get_signed_with_sigv4a runs
boto3 with its default (SigV4A) in a child python3 that can import awscrt (Debian's python3-awscrt)."""

import json
import os
import subprocess
import sys
import time
import unittest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import REGION, Server, ServerTestCase, legacy_behavior
from test_edge import EdgeTestCase
from test_functions import config, fn_name
from test_private_content import HAVE_MOTO, NEED_MOTO, S3_ACCESS_KEY, S3_SECRET_KEY, Moto
from test_sigv4a import crt_env


def kvs_client(server):
    return boto3.client("cloudfront-keyvaluestore", endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                        config=Config(signature_version="v4", proxies={"http": server.endpoint},
                                      retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30))


# SIGV4A_CHILD drives the data plane with boto3's cloudfront-keyvaluestore client left to its default
# signer, SigV4A (botocore picks it when awscrt imports), and prints each call's outcome and Authorization.
SIGV4A_CHILD = r'''
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

args = json.loads(sys.argv[1])

def client(secret):
    c = boto3.client("cloudfront-keyvaluestore", endpoint_url=args["endpoint"], region_name=args["region"],
                     aws_access_key_id=args["akid"], aws_secret_access_key=secret,
                     config=Config(proxies={"http": args["endpoint"]}, retries={"total_max_attempts": 1},
                                   connect_timeout=5, read_timeout=30))
    auth = []
    c.meta.events.register("before-send", lambda request, **_: auth.append(request.headers.get("Authorization", b"").decode()))
    return c, auth

def outcome(c, auth, op, **kw):
    try:
        r = getattr(c, op)(**kw)
        r.pop("ResponseMetadata", None)
        return {"ok": json.loads(json.dumps(r, default=str)), "auth": auth[-1]}
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "auth": auth[-1]}

c, auth = client(args["secret"])
out = {"describe": outcome(c, auth, "describe_key_value_store", KvsARN=args["arn"])}
etag = out["describe"].get("ok", {}).get("ETag", "")
out["put"] = outcome(c, auth, "put_key", KvsARN=args["arn"], Key="signed", Value="with sigv4a", IfMatch=etag)
out["get"] = outcome(c, auth, "get_key", KvsARN=args["arn"], Key="signed")
bad, bad_auth = client(args["secret"] + "x")
out["wrong_secret"] = outcome(bad, bad_auth, "get_key", KvsARN=args["arn"], Key="signed")
print(json.dumps(out))
'''


READER = b"""import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
    const request = event.request;
    try {
        request.uri = await kvs.get(request.uri);
    } catch (e) {
        request.uri = '/not-found' + request.uri;
    }
    return request;
}
"""


class TestKeyValueStoreDataPlane(EdgeTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kvs = kvs_client(cls.server)

    def store(self):
        kv = self.cf.create_key_value_store(Name=fn_name("kvs"))["KeyValueStore"]
        return kv["ARN"], kv["Name"]

    def assertKVSError(self, code, status, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), (code, status), err)

    def test_put_get_update_list_delete(self):
        arn, name = self.store()
        d = self.kvs.describe_key_value_store(KvsARN=arn)
        self.assertEqual((d["KvsARN"], d["ItemCount"], d["TotalSizeInBytes"], d["Status"]), (arn, 0, 0, "READY"))
        self.assertTrue(d["ETag"])

        put = self.kvs.put_key(KvsARN=arn, Key="greeting", Value="hello", IfMatch=d["ETag"])
        self.assertEqual((put["ItemCount"], put["TotalSizeInBytes"]), (1, len("greetinghello")))
        self.assertNotEqual(put["ETag"], d["ETag"])
        # The control plane's status follows the data; its ETag is its own.
        cp = self.cf.describe_key_value_store(Name=name)
        self.assertNotIn(cp["ETag"], (d["ETag"], put["ETag"]))
        self.assertEqual(cp["KeyValueStore"]["Status"], "READY")

        got = self.kvs.get_key(KvsARN=arn, Key="greeting")
        self.assertEqual((got["Key"], got["Value"], got["ItemCount"]), ("greeting", "hello", 1))

        up = self.kvs.update_keys(KvsARN=arn, IfMatch=put["ETag"],
                                  Puts=[{"Key": "k%02d" % i, "Value": "v%d" % i} for i in range(7)],
                                  Deletes=[{"Key": "greeting"}])
        self.assertEqual(up["ItemCount"], 7)
        keys = []
        for page in self.kvs.get_paginator("list_keys").paginate(KvsARN=arn, PaginationConfig={"PageSize": 3}):
            keys += [(it["Key"], it["Value"]) for it in page["Items"]]
        self.assertEqual(keys, [("k%02d" % i, "v%d" % i) for i in range(7)])

        deleted = self.kvs.delete_key(KvsARN=arn, Key="k00", IfMatch=up["ETag"])
        self.assertEqual(deleted["ItemCount"], 6)
        self.assertKVSError("ResourceNotFoundException", 404, self.kvs.get_key, KvsARN=arn, Key="k00")

        # Errors in the data plane's own form.
        self.assertKVSError("ConflictException", 409, self.kvs.put_key, KvsARN=arn, Key="x", Value="y", IfMatch=up["ETag"])
        etag = deleted["ETag"]
        self.assertKVSError("ServiceQuotaExceededException", 402, self.kvs.put_key, KvsARN=arn, Key="x", Value="v" * 1025, IfMatch=etag)
        self.assertKVSError("ServiceQuotaExceededException", 402, self.kvs.put_key, KvsARN=arn, Key="k" * 513, Value="v", IfMatch=etag)
        self.assertKVSError("ServiceQuotaExceededException", 402, self.kvs.update_keys, KvsARN=arn, IfMatch=etag,
                            Puts=[{"Key": "b%d" % i, "Value": "v"} for i in range(51)])
        unknown = arn.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"
        self.assertKVSError("ResourceNotFoundException", 404, self.kvs.describe_key_value_store, KvsARN=unknown)
        self.assertEqual(self.kvs.describe_key_value_store(KvsARN=arn)["ETag"], etag, "refused writes changed the store")

        # The deleted store's keys are gone with it.
        cp = self.cf.describe_key_value_store(Name=name)
        self.cf.delete_key_value_store(Name=name, IfMatch=cp["ETag"])
        self.assertKVSError("ResourceNotFoundException", 404, self.kvs.get_key, KvsARN=arn, Key="k01")

    def test_put_get_signed_with_sigv4a(self):
        # boto3's own choice for this service: SigV4A (AWS4-ECDSA-P256-SHA256), signed by awscrt.
        env = crt_env()
        if env is None:
            self.skipTest("awscrt not installed (Debian python3-awscrt)")
        arn, _ = self.store()
        args = {"endpoint": self.server.endpoint, "akid": self.server.access_key, "secret": self.server.secret_key,
                "region": REGION, "arn": arn}
        child = subprocess.run([sys.executable, "-c", SIGV4A_CHILD, json.dumps(args)], env=env,
                               capture_output=True, text=True, timeout=120)
        self.assertEqual(child.returncode, 0, child.stderr)
        got = json.loads(child.stdout)
        for name, r in got.items():
            self.assertTrue(r["auth"].startswith("AWS4-ECDSA-P256-SHA256 Credential="), (name, r))
        self.assertIn("ok", got["put"], got)
        self.assertEqual(got["put"]["ok"]["ItemCount"], 1, got["put"])
        self.assertIn("ok", got["get"], got)
        self.assertEqual((got["get"]["ok"]["Key"], got["get"]["ok"]["Value"]), ("signed", "with sigv4a"))
        self.assertEqual((got["wrong_secret"].get("code"), got["wrong_secret"].get("status")),
                         ("InvalidSignatureException", 403), got["wrong_secret"])
        # What the SigV4A client wrote is what a SigV4 client reads.
        self.assertEqual(self.kvs.get_key(KvsARN=arn, Key="signed")["Value"], "with sigv4a")

    def test_association_needs_runtime_2(self):
        # Developer Guide, "Amazon CloudFront KeyValueStore": key value stores
        # work only with JavaScript runtime 2.0.
        arn, _ = self.store()
        assoc = {"Quantity": 1, "Items": [{"KeyValueStoreARN": arn}]}
        fname = fn_name("kvsjs1")
        cfg = dict(config(runtime="cloudfront-js-1.0"), KeyValueStoreAssociations=assoc)
        with self.assertRaises(ClientError) as cm:
            self.cf.create_function(Name=fname, FunctionConfig=cfg, FunctionCode=READER)
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("InvalidArgument", 400))
        created = self.cf.create_function(Name=fname, FunctionConfig=dict(config(), KeyValueStoreAssociations=assoc),
                                          FunctionCode=READER)
        with self.assertRaises(ClientError) as cm:
            self.cf.update_function(Name=fname, IfMatch=created["ETag"], FunctionConfig=cfg, FunctionCode=READER)
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("InvalidArgument", 400))
        got = self.cf.describe_function(Name=fname)
        self.assertEqual(got["ETag"], created["ETag"], "a refused update changed the function")
        self.assertEqual(got["FunctionSummary"]["FunctionConfig"]["Runtime"], "cloudfront-js-2.0")
        self.cf.delete_function(Name=fname, IfMatch=created["ETag"])

    def test_edge_function_reads_a_put_within_a_second(self):
        arn, name = self.store()
        etag = self.kvs.describe_key_value_store(KvsARN=arn)["ETag"]
        etag = self.kvs.put_key(KvsARN=arn, Key="/page", Value="/v1/page", IfMatch=etag)["ETag"]

        fname = fn_name("kvsedge")
        cfg = config()
        cfg["KeyValueStoreAssociations"] = {"Quantity": 1, "Items": [{"KeyValueStoreARN": arn}]}
        created = self.cf.create_function(Name=fname, FunctionConfig=cfg, FunctionCode=READER)
        self.assertEqual(created["FunctionSummary"]["FunctionConfig"]["KeyValueStoreAssociations"]["Items"][0]["KeyValueStoreARN"], arn)
        fn_arn = self.cf.publish_function(Name=fname, IfMatch=created["ETag"])["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
        behavior = legacy_behavior("web")
        behavior["FunctionAssociations"] = {"Quantity": 1, "Items": [{"FunctionARN": fn_arn, "EventType": "viewer-request"}]}
        d = self.create(behavior=behavior)

        st, h, body = self.get(d["DomainName"], "/page")
        self.assertEqual(st, 200, body)
        self.assertTrue(body.startswith(b"/v1/page "), body)
        st, h, body = self.get(d["DomainName"], "/other")
        self.assertTrue(body.startswith(b"/not-found/other "), body)

        self.kvs.put_key(KvsARN=arn, Key="/page", Value="/v2/page", IfMatch=etag)
        put_at = time.monotonic()
        while True:
            st, h, body = self.get(d["DomainName"], "/page")
            if body.startswith(b"/v2/page "):
                break
            self.assertLess(time.monotonic() - put_at, 1.0, "the edge still reads the old value a second after PutKey")
            time.sleep(0.02)

        # The store is in use while the function associates it.
        cp = self.cf.describe_key_value_store(Name=name)
        self.assertClientError("CannotDeleteEntityWhileInUse", 409, self.cf.delete_key_value_store, Name=name, IfMatch=cp["ETag"])


class TestKeyValueStoreTerraform(ServerTestCase):
    """What the Terraform AWS provider (5.100.0) does with an aws_cloudfront_key_value_store without a
    comment and an aws_cloudfrontkeyvaluestore_key: it keeps the store's ETag from CreateKeyValueStore in
    its state and takes the key's from the data plane's DescribeKeyValueStore. The two APIs' ETags are
    apart ("Work with key value data", CloudFront Developer Guide), so key writes leave the store's as it
    was; and a store without a comment has no Comment (the provider reads an empty one as comment "")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kvs = kvs_client(cls.server)

    def create(self):
        name = fn_name("tfkvs")
        created = self.cf.create_key_value_store(Name=name)
        self.assertNotIn("Comment", created["KeyValueStore"])
        return name, created["KeyValueStore"]["ARN"], created["ETag"]

    def test_destroy_deletes_the_key_then_the_store_with_the_etag_from_its_creation(self):
        name, arn, etag = self.create()
        got = self.cf.describe_key_value_store(Name=name)
        self.assertNotIn("Comment", got["KeyValueStore"])
        self.assertEqual(got["ETag"], etag)
        listed = [s for s in self.cf.list_key_value_stores()["KeyValueStoreList"].get("Items", []) if s["Name"] == name]
        self.assertEqual(len(listed), 1)
        self.assertNotIn("Comment", listed[0])

        # aws_cloudfrontkeyvaluestore_key: create, then destroy.
        data_etag = self.kvs.describe_key_value_store(KvsARN=arn)["ETag"]
        self.assertNotEqual(data_etag, etag)
        put = self.kvs.put_key(KvsARN=arn, Key="tf-key", Value="tf-value", IfMatch=data_etag)
        data_etag = self.kvs.describe_key_value_store(KvsARN=arn)["ETag"]
        self.assertEqual(data_etag, put["ETag"])
        deleted = self.kvs.delete_key(KvsARN=arn, Key="tf-key", IfMatch=data_etag)
        self.assertEqual(deleted["ItemCount"], 0)
        self.assertEqual(self.cf.describe_key_value_store(Name=name)["ETag"], etag, "a key write changed the store's ETag")

        # aws_cloudfront_key_value_store: destroy with the ETag in the state.
        self.cf.delete_key_value_store(Name=name, IfMatch=etag)
        self.assertClientError("EntityNotFound", 404, self.cf.describe_key_value_store, Name=name)

    def test_update_after_key_writes_takes_the_etag_from_creation(self):
        name, arn, etag = self.create()
        data_etag = self.kvs.describe_key_value_store(KvsARN=arn)["ETag"]
        put = self.kvs.update_keys(KvsARN=arn, IfMatch=data_etag, Puts=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        # Neither ETag is taken for the other.
        self.assertClientError("ConflictException", 409, self.kvs.put_key, KvsARN=arn, Key="c", Value="3", IfMatch=etag)
        self.assertClientError("PreconditionFailed", 412, self.cf.update_key_value_store, Name=name, Comment="x",
                               IfMatch=put["ETag"])

        up = self.cf.update_key_value_store(Name=name, Comment="now with one", IfMatch=etag)
        self.assertEqual(up["KeyValueStore"]["Comment"], "now with one")
        self.assertNotEqual(up["ETag"], etag)
        # The keys' ETag is not changed by the store's update.
        self.assertEqual(self.kvs.describe_key_value_store(KvsARN=arn)["ETag"], put["ETag"])
        deleted = self.kvs.delete_key(KvsARN=arn, Key="a", IfMatch=put["ETag"])
        self.assertEqual(deleted["ItemCount"], 1)

        # An empty comment clears it: no Comment again.
        cleared = self.cf.update_key_value_store(Name=name, Comment="", IfMatch=up["ETag"])
        self.assertNotIn("Comment", cleared["KeyValueStore"])
        self.assertNotIn("Comment", self.cf.describe_key_value_store(Name=name)["KeyValueStore"])
        self.cf.delete_key_value_store(Name=name, IfMatch=cleared["ETag"])


@unittest.skipUnless(HAVE_MOTO, NEED_MOTO)
class TestKeyValueStoreImport(unittest.TestCase):
    """CreateKeyValueStore with an ImportSource reads the file from --s3-endpoint (moto)."""

    @classmethod
    def setUpClass(cls):
        cls.moto = Moto(os.environ.get("TMPDIR", "/tmp"))
        cls.server = Server(extra_args=["--s3-endpoint", cls.moto.endpoint, "--s3-region", "us-east-1"],
                            env={"OPENFRONT_S3_ACCESS_KEY_ID": S3_ACCESS_KEY, "OPENFRONT_S3_SECRET_ACCESS_KEY": S3_SECRET_KEY}).start()
        cls.cf = cls.server.client()
        cls.kvs = kvs_client(cls.server)
        cls.moto.s3.create_bucket(Bucket="kvs-import")

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop(10)
        cls.moto.close()
        if rc != 0:
            raise AssertionError("openfront did not exit 0 (rc=%r)" % rc)

    def create(self, key, body):
        self.moto.s3.put_object(Bucket="kvs-import", Key=key, Body=body)
        kv = self.cf.create_key_value_store(Name=fn_name("imp"), ImportSource={
            "SourceType": "S3", "SourceARN": "arn:aws:s3:::kvs-import/" + key})["KeyValueStore"]
        self.assertEqual(kv["Status"], "PROVISIONING")
        deadline = time.monotonic() + 10
        while True:
            got = self.cf.describe_key_value_store(Name=kv["Name"])["KeyValueStore"]
            if got["Status"] != "PROVISIONING" or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def test_import_ready(self):
        data = {"data": [{"key": "k%d" % i, "value": "v%d" % i} for i in range(3)]}
        kv = self.create("good.json", json.dumps(data).encode())
        self.assertEqual(kv["Status"], "READY")
        d = self.kvs.describe_key_value_store(KvsARN=kv["ARN"])
        self.assertEqual((d["ItemCount"], d["Status"]), (3, "READY"))
        self.assertEqual(self.kvs.get_key(KvsARN=kv["ARN"], Key="k2")["Value"], "v2")

    def test_import_failed(self):
        kv = self.create("dup.json", b'{"data":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}')
        self.assertEqual(kv["Status"], "PROVISIONING_FAILED")
        d = self.kvs.describe_key_value_store(KvsARN=kv["ARN"])
        self.assertEqual(d["Status"], "PROVISIONING_FAILED")
        self.assertIn("more than once", d["FailureReason"])


if __name__ == "__main__":
    unittest.main()
