"""The AWS CLI drives the control plane."""

import json
import os
import time
import unittest

from harness import DIST_DOMAIN_RE, DIST_ID_RE, INVALIDATION_ID_RE, V2020, ServerTestCase, dist_config, new_ref


class TestAwsCli(ServerTestCase):

    def _write(self, name, obj):
        path = os.path.join(self.server.tmp, name)
        with open(path, "w") as f:
            json.dump(obj, f)
        return path

    def _wait_deployed_cli(self, did, timeout=5.0):
        # CLI start-up dominates; allow a little more than the 2 s contract for the polling loop itself
        t0 = time.time()
        while True:
            out = self.server.aws("cloudfront", "get-distribution", "--id", did)
            if out["Distribution"]["Status"] == "Deployed":
                return out
            if time.time() - t0 > timeout:
                self.fail("not Deployed after %.0fs" % timeout)
            time.sleep(0.1)

    def _expect_cli_error(self, code, *args):
        p = self.server.aws_run(*args)
        self.assertIn(p.returncode, (254, 255), "expected a service error exit code; stdout=%s stderr=%s"
                      % (p.stdout, p.stderr))
        self.assertIn(code, p.stderr)
        return p

    def test_cli_lifecycle(self):
        cfg = dist_config(V2020, comment="from the cli")
        path = self._write("dist-%s.json" % new_ref(), cfg)
        out = self.server.aws("cloudfront", "create-distribution", "--distribution-config", "file://" + path)
        d = out["Distribution"]
        did = d["Id"]
        self.assertRegex(did, DIST_ID_RE)
        self.assertRegex(d["DomainName"], DIST_DOMAIN_RE)
        self.assertTrue(out.get("ETag"))
        self.assertTrue(out.get("Location", "").endswith("/distribution/" + did))
        self.assertEqual(d["DistributionConfig"]["Comment"], "from the cli")

        got = self.server.aws("cloudfront", "get-distribution", "--id", did)
        self.assertEqual(got["Distribution"]["Id"], did)
        self.assertEqual(got["ETag"], out["ETag"])

        lst = self.server.aws("cloudfront", "list-distributions")
        self.assertIn(did, [i["Id"] for i in lst["DistributionList"]["Items"]])

        inv = self.server.aws("cloudfront", "create-invalidation", "--distribution-id", did,
                              "--paths", "/index.html", "/img/*")
        iid = inv["Invalidation"]["Id"]
        self.assertRegex(iid, INVALIDATION_ID_RE)
        self.assertEqual(sorted(inv["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]), ["/img/*", "/index.html"])
        gi = self.server.aws("cloudfront", "get-invalidation", "--distribution-id", did, "--id", iid)
        self.assertEqual(gi["Invalidation"]["Id"], iid)
        self.assertIn(gi["Invalidation"]["Status"], ("InProgress", "Completed"))
        li = self.server.aws("cloudfront", "list-invalidations", "--distribution-id", did)
        self.assertEqual([i["Id"] for i in li["InvalidationList"]["Items"]], [iid])

        # enabled: delete refused
        self._expect_cli_error("DistributionNotDisabled", "cloudfront", "delete-distribution", "--id", did,
                               "--if-match", got["ETag"])

        # disable via update-distribution, wait, delete
        gc = self.server.aws("cloudfront", "get-distribution-config", "--id", did)
        cfg2 = gc["DistributionConfig"]
        cfg2["Enabled"] = False
        path2 = self._write("dist-upd-%s.json" % new_ref(), cfg2)
        upd = self.server.aws("cloudfront", "update-distribution", "--id", did, "--if-match", gc["ETag"],
                              "--distribution-config", "file://" + path2)
        self.assertFalse(upd["Distribution"]["DistributionConfig"]["Enabled"])
        dep = self._wait_deployed_cli(did)
        p = self.server.aws_run("cloudfront", "delete-distribution", "--id", did, "--if-match", dep["ETag"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self._expect_cli_error("NoSuchDistribution", "cloudfront", "get-distribution", "--id", did)

    def test_cli_errors(self):
        self._expect_cli_error("NoSuchDistribution", "cloudfront", "get-distribution", "--id", "ENOSUCHDIST0004")
        self._expect_cli_error("InvalidIfMatchVersion", "cloudfront", "delete-distribution", "--id",
                               self.cf.create_distribution(DistributionConfig=dist_config())["Distribution"]["Id"])
        self._expect_cli_error("NoSuchDistribution", "cloudfront", "create-invalidation", "--distribution-id",
                               "ENOSUCHDIST0004", "--paths", "/x")
        cfg = dist_config(V2020)
        cfg["DefaultCacheBehavior"]["TargetOriginId"] = "nope"
        path = self._write("bad-%s.json" % new_ref(), cfg)
        self._expect_cli_error("NoSuchOrigin", "cloudfront", "create-distribution", "--distribution-config",
                               "file://" + path)

    def test_cli_bad_credentials(self):
        env = self.server.aws_env(AWS_SECRET_ACCESS_KEY="wrong-secret")
        p = self.server.aws_run("cloudfront", "list-distributions", env=env)
        self.assertIn(p.returncode, (254, 255), p.stderr)
        self.assertIn("SignatureDoesNotMatch", p.stderr)


if __name__ == "__main__":
    unittest.main()
