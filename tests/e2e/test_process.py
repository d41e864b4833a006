"""Process contract (README.md, "Command line"): serve defaults, credentials, auth errors, listeners, data dir, restart."""

import configparser
import os
import socket
import time
import unittest

from harness import (ACCESS_KEY, NS, REQUEST_ID_RE, SECRET_KEY, V2016, V2020, Server, ServerTestCase,
                     dist_config, new_ref, wait_deployed)


def _read_creds(path):
    cp = configparser.ConfigParser()
    with open(path) as f:
        cp.read_file(f)
    return cp


class TestAuthAndRequestIds(ServerTestCase):

    def test_healthz_without_auth(self):
        r = self.server.raw("GET", "/healthz", sign=False)
        self.assertEqual(r.status, 200)

    def test_metrics_without_auth(self):
        r = self.server.raw("GET", "/metrics", sign=False)
        self.assertEqual(r.status, 200)

    def test_arn_partition_follows_signing_region(self):
        for region, prefix in (("cn-north-1", "arn:aws-cn:cloudfront::"), ("us-gov-west-1", "arn:aws-us-gov:cloudfront::"),
                               ("eu-central-1", "arn:aws:cloudfront::")):
            with self.subTest(region=region):
                c = self.server.client(V2020, region=region)
                d = c.create_distribution(DistributionConfig=dist_config())["Distribution"]
                self.assertTrue(d["ARN"].startswith(prefix), d["ARN"])
                self.assertTrue(d["ARN"].endswith(":distribution/" + d["Id"]), d["ARN"])

    def test_unsigned_request_missing_authentication_token(self):
        for v in (V2020, V2016):
            with self.subTest(version=v):
                r = self.server.raw("GET", "/%s/distribution" % v, sign=False)
                err = self.assertRawError(r, "MissingAuthenticationToken", 403)
                self.assertEqual(err.get("Type"), "Sender")

    def test_wrong_secret_signature_does_not_match(self):
        r = self.server.raw("GET", "/2020-05-31/distribution", secret_key=SECRET_KEY + "x")
        self.assertRawError(r, "SignatureDoesNotMatch", 403)
        c = self.server.client(V2020, secret_key="not-the-secret")
        self.assertClientError("SignatureDoesNotMatch", 403, c.list_distributions)

    def test_unknown_key_invalid_client_token_id(self):
        r = self.server.raw("GET", "/2020-05-31/distribution", access_key="AKIAUNKNOWNKEY000000")
        self.assertRawError(r, "InvalidClientTokenId", 403)
        c = self.server.client(V2016, access_key="AKIAUNKNOWNKEY000000")
        self.assertClientError("InvalidClientTokenId", 403, c.list_distributions)

    def test_any_region_in_scope_accepted(self):
        for region in ("eu-west-1", "us-west-2"):
            with self.subTest(region=region):
                c = self.server.client(V2020, region=region)
                r = c.list_distributions()
                self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)

    def test_success_responses_carry_request_id(self):
        for v in (V2020, V2016):
            with self.subTest(version=v):
                r = self.server.raw("GET", "/%s/distribution" % v)
                self.assertEqual(r.status, 200, r.body[:500])
                rid = r.headers.get("x-amz-request-id")
                self.assertTrue(rid, "x-amz-request-id missing: %r" % r.headers)
                self.assertRegex(rid, REQUEST_ID_RE)
                self.assertEqual(r.headers.get("x-amzn-requestid"), rid)
                root = r.xml()
                self.assertEqual(root.tag, "{%s}DistributionList" % NS[v])
        # boto3 sees it too
        meta = self.cf.list_distributions()["ResponseMetadata"]
        self.assertTrue(meta.get("RequestId"))
        self.assertEqual(meta["HTTPHeaders"].get("x-amz-request-id"), meta["RequestId"])

    def test_request_ids_are_unique(self):
        ids = {self.server.raw("GET", "/2020-05-31/distribution").headers.get("x-amz-request-id") for _ in range(5)}
        self.assertEqual(len(ids), 5)

    def test_error_bodies_carry_same_request_id(self):
        cases = [
            ("GET", "/2020-05-31/distribution/ENOSUCHDIST0000", True, "NoSuchDistribution", 404, V2020),
            ("GET", "/2016-01-13/distribution/ENOSUCHDIST0000", True, "NoSuchDistribution", 404, V2016),
            ("GET", "/2020-05-31/distribution", False, "MissingAuthenticationToken", 403, None),
            ("POST", "/2020-05-31/distribution", True, "MissingBody", 400, V2020),
        ]
        for method, path, sign, code, status, ver in cases:
            with self.subTest(path=path, code=code):
                r = self.server.raw(method, path, sign=sign)
                err = self.assertRawError(r, code, status, ver)
                hdr = r.headers.get("x-amz-request-id")
                self.assertTrue(hdr, "x-amz-request-id header missing on error")
                self.assertEqual(err.get("RequestId"), hdr)
                self.assertEqual(r.headers.get("x-amzn-requestid"), hdr)
                if ver:
                    self.assertEqual(err.get("Type"), "Sender")
        # botocore maps the body RequestId
        e = self.assertClientError("NoSuchDistribution", 404, self.cf.get_distribution, Id="ENOSUCHDIST0000")
        self.assertEqual(e.response["ResponseMetadata"]["RequestId"],
                         e.response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id"))


class TestGeneratedCredentials(unittest.TestCase):
    """No OPENFRONT_* credentials in the environment: a pair is generated and persisted."""

    def test_generated_credentials_file_and_restart(self):
        srv = Server(creds=False).start()
        try:
            path = os.path.join(srv.data_dir, "credentials")
            self.assertTrue(os.path.isfile(path), "no %s after first start; stderr:\n%s" % (path, srv.stderr()))
            cp = _read_creds(path)
            self.assertIn("default", cp.sections(), "credentials file must have a [default] profile")
            ak = cp["default"].get("aws_access_key_id")
            sk = cp["default"].get("aws_secret_access_key")
            self.assertTrue(ak and sk, "aws_access_key_id / aws_secret_access_key missing")
            self.assertIn(ak, srv.stdout() + srv.stderr(), "the generated access key should be printed on first start")
            # the env test creds must NOT work (they were never configured)
            c_bad = srv.client(V2020, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
            self.assertClientError_("InvalidClientTokenId", 403, c_bad.list_distributions)
            # AWS CLI with AWS_SHARED_CREDENTIALS_FILE only
            env = srv.aws_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_SHARED_CREDENTIALS_FILE=path)
            out = srv.aws("cloudfront", "list-distributions", env=env)
            # empty list: CLI prints DistributionList (or nothing)
            if out is not None:
                self.assertIn("DistributionList", out)
            # boto3 with the generated pair; create something that must survive the restart
            srv.access_key, srv.secret_key = ak, sk
            d = srv.client(V2020).create_distribution(DistributionConfig=dist_config())["Distribution"]
            rc = srv.stop()
            self.assertEqual(rc, 0, "SIGTERM exit code; stderr:\n%s" % srv.stderr())
            with open(path) as f:
                before = f.read()
            srv2 = Server(data_dir=srv.data_dir, creds=False).start()
            try:
                with open(path) as f:
                    self.assertEqual(f.read(), before, "credentials file changed on restart")
                srv2.access_key, srv2.secret_key = ak, sk
                got = srv2.client(V2020).get_distribution(Id=d["Id"])["Distribution"]
                self.assertEqual(got["Id"], d["Id"])
                out = srv2.aws("cloudfront", "list-distributions", env=srv2.aws_env(
                    AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_SHARED_CREDENTIALS_FILE=path))
                ids = [i["Id"] for i in out["DistributionList"].get("Items", [])]
                self.assertIn(d["Id"], ids)
            finally:
                self.assertEqual(srv2.stop(), 0, srv2.stderr())
        finally:
            srv.kill()

    def assertClientError_(self, code, status, fn):
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as cm:
            fn()
        e = cm.exception
        self.assertEqual((e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]), (code, status))

    def test_default_data_dir_in_cwd(self):
        """Without --data-dir the store is ./openfront-data relative to the working directory."""
        srv = Server(creds=True)
        srv.flags = False
        srv.extra_args = ["--api-addr", "127.0.0.1:%d" % srv.api_port,
                          "--edge-addr", "127.0.0.1:%d" % srv.edge_port,
                          "--edge-tls-addr", "127.0.0.1:%d" % srv.edge_tls_port,
                          "--rtmp-addr", "127.0.0.1:%d" % srv.rtmp_port]
        srv.start()
        try:
            self.assertTrue(os.path.isdir(os.path.join(srv.cwd, "openfront-data")),
                            "expected ./openfront-data in the working directory")
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())

    def test_disabled_optional_listeners(self):
        """--edge-tls-addr "" and --rtmp-addr "" disable those listeners; the server still starts."""
        srv = Server()
        srv.flags = False
        srv.extra_args = ["--data-dir", srv.data_dir, "--api-addr", "127.0.0.1:%d" % srv.api_port,
                          "--edge-addr", "127.0.0.1:%d" % srv.edge_port, "--edge-tls-addr", "", "--rtmp-addr", ""]
        srv.start()
        try:
            self.assertEqual(srv.client().list_distributions()["ResponseMetadata"]["HTTPStatusCode"], 200)
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())

    def test_all_defaults_when_ports_free(self):
        """`openfront serve` with no flags listens on the documented default API port 4580."""
        for port in (4580, 8080, 8443, 1935):
            s = socket.socket()
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
            except OSError:
                self.skipTest("default port %d busy" % port)
            finally:
                s.close()
        srv = Server()
        srv.flags = False
        srv.api_port = 4580
        srv.start()
        try:
            self.assertEqual(srv.raw("GET", "/healthz", sign=False).status, 200)
            self.assertTrue(os.path.isdir(os.path.join(srv.cwd, "openfront-data")))
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())


class TestStartupFailures(unittest.TestCase):

    def _expect_startup_failure(self, srv, must_mention=None):
        srv.start(wait=False)
        rc = srv.wait_exit(15)
        if rc is None:
            srv.kill()
            self.fail("openfront kept running; expected a non-zero exit\n%s" % srv.stderr())
        self.assertNotEqual(rc, 0, "expected non-zero exit")
        out = srv.stderr() + srv.stdout()
        if must_mention:
            self.assertIn(must_mention, out, "error output should name %s:\n%s" % (must_mention, out))
        return out

    def _occupy(self, port):
        s = socket.socket()
        s.bind(("127.0.0.1", port))
        s.listen(1)
        self.addCleanup(s.close)
        return s

    def test_api_port_taken(self):
        srv = Server()
        self._occupy(srv.api_port)
        self._expect_startup_failure(srv, "127.0.0.1:%d" % srv.api_port)

    def test_edge_port_taken(self):
        srv = Server()
        self._occupy(srv.edge_port)
        self._expect_startup_failure(srv, "127.0.0.1:%d" % srv.edge_port)

    def test_edge_tls_and_rtmp_ports_taken(self):
        for attr in ("edge_tls_port", "rtmp_port"):
            with self.subTest(listener=attr):
                srv = Server()
                s = socket.socket()
                s.bind(("127.0.0.1", getattr(srv, attr)))
                s.listen(1)
                try:
                    self._expect_startup_failure(srv, "127.0.0.1:%d" % getattr(srv, attr))
                finally:
                    s.close()

    def test_data_dir_is_a_file(self):
        srv = Server()
        with open(srv.data_dir, "w") as f:
            f.write("not a directory\n")
        out = self._expect_startup_failure(srv)
        self.assertTrue(out.strip(), "expected an error message")


class TestRestartKeepsData(unittest.TestCase):

    def test_restart_keeps_resources(self):
        srv = Server().start()
        try:
            cf, cf16 = srv.client(V2020), srv.client(V2016)
            d = cf.create_distribution(DistributionConfig=dist_config(comment="survivor"))
            did, etag = d["Distribution"]["Id"], d["ETag"]
            wait_deployed(cf, did)
            oai = cf.create_cloud_front_origin_access_identity(CloudFrontOriginAccessIdentityConfig={
                "CallerReference": new_ref(), "Comment": "survivor-oai"})["CloudFrontOriginAccessIdentity"]
            inv = cf.create_invalidation(DistributionId=did, InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": ["/x"]}, "CallerReference": new_ref()})["Invalidation"]
            self.assertEqual(srv.stop(), 0, srv.stderr())
        finally:
            srv.kill()
        srv2 = Server(data_dir=srv.data_dir).start()
        try:
            cf = srv2.client(V2020)
            g = cf.get_distribution(Id=did)
            self.assertEqual(g["Distribution"]["DistributionConfig"]["Comment"], "survivor")
            self.assertEqual(g["ETag"], etag, "ETag must survive a restart")
            self.assertEqual(wait_deployed(cf, did)["Distribution"]["Status"], "Deployed")
            self.assertEqual(srv2.client(V2016).get_distribution(Id=did)["Distribution"]["Id"], did)
            o = cf.get_cloud_front_origin_access_identity(Id=oai["Id"])["CloudFrontOriginAccessIdentity"]
            self.assertEqual(o["S3CanonicalUserId"], oai["S3CanonicalUserId"])
            self.assertEqual(cf.get_invalidation(DistributionId=did, Id=inv["Id"])["Invalidation"]["Id"], inv["Id"])
            # new ids are not reused
            d2 = cf.create_distribution(DistributionConfig=dist_config())["Distribution"]
            self.assertNotEqual(d2["Id"], did)
        finally:
            self.assertEqual(srv2.stop(), 0, srv2.stderr())


if __name__ == "__main__":
    unittest.main()
