"""Continuous deployment (2020-05-31, issue #14) with boto3 against the real binary: CopyDistribution
to a staging distribution, continuous deployment policies (header and weight with session
stickiness), what the edge serves over real HTTP for each, the staging domain not served, and
UpdateDistributionWithStagingConfig promoting the staging config; the staging rules and errors."""

import http.server
import json
import threading
import time

from harness import V2020, dist_config, new_ref, unique_alias, wait_deployed
from test_edge import EdgeTestCase, origin_for

STICKY_COOKIE = "aws-cf-cd-stickiness"


class LabelOrigin:
    """A loopback origin whose every answer is its label and the path, cacheable for 10 minutes."""

    def __init__(self, label):
        self.count = 0
        lock = threading.Lock()
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with lock:
                    origin.count += 1
                body = ("%s %s" % (label, self.path)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Cache-Control", "max-age=600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def header_policy(staging_domain, enabled=True, header="aws-cf-cd-e2e", value="on"):
    return {"StagingDistributionDnsNames": {"Quantity": 1, "Items": [staging_domain]}, "Enabled": enabled,
            "TrafficConfig": {"Type": "SingleHeader", "SingleHeaderConfig": {"Header": header, "Value": value}}}


def weight_policy(staging_domain, weight=0.15, idle=300, maximum=600, enabled=True):
    w = {"Weight": weight}
    if idle is not None:
        w["SessionStickinessConfig"] = {"IdleTTL": idle, "MaximumTTL": maximum}
    return {"StagingDistributionDnsNames": {"Quantity": 1, "Items": [staging_domain]}, "Enabled": enabled,
            "TrafficConfig": {"Type": "SingleWeight", "SingleWeightConfig": w}}


class TestContinuousDeployment(EdgeTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prod, cls.next = LabelOrigin("production"), LabelOrigin("staging")

    @classmethod
    def tearDownClass(cls):
        cls.prod.close()
        cls.next.close()
        super().tearDownClass()

    def primary(self, aliases=()):
        d = self.create(origins=[origin_for(self.prod)], aliases=list(aliases), HttpVersion="http2")
        self.addCleanup(self._cleanup_dist, d["Id"])
        return d

    def _cleanup_dist(self, dist_id):
        try:
            g = self.cf.get_distribution_config(Id=dist_id)
            cfg, etag = g["DistributionConfig"], g["ETag"]
            if cfg.get("ContinuousDeploymentPolicyId"):
                cfg["ContinuousDeploymentPolicyId"] = ""
                etag = self.cf.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=cfg)["ETag"]
            self.delete_dist(dist_id)
        except self.cf.exceptions.NoSuchDistribution:
            pass

    def copy(self, primary, enabled=True):
        etag = self.cf.get_distribution(Id=primary["Id"])["ETag"]
        r = self.cf.copy_distribution(PrimaryDistributionId=primary["Id"], Staging=True, IfMatch=etag,
                                      CallerReference=new_ref("staging"), Enabled=enabled)
        s = r["Distribution"]
        self.addCleanup(self._cleanup_dist, s["Id"])
        return r

    def point_staging_at_next(self, staging_id):
        g = self.cf.get_distribution_config(Id=staging_id)
        cfg = g["DistributionConfig"]
        cfg["Origins"] = {"Quantity": 1, "Items": [origin_for(self.next)]}
        cfg["Comment"] = "staged"
        return self.cf.update_distribution(Id=staging_id, IfMatch=g["ETag"], DistributionConfig=cfg)

    def create_policy(self, cfg):
        r = self.cf.create_continuous_deployment_policy(ContinuousDeploymentPolicyConfig=cfg)
        pid = r["ContinuousDeploymentPolicy"]["Id"]

        def cleanup():
            for d in self.cf.list_distributions()["DistributionList"].get("Items", []):
                g = self.cf.get_distribution_config(Id=d["Id"])
                if g["DistributionConfig"].get("ContinuousDeploymentPolicyId") == pid:
                    g["DistributionConfig"]["ContinuousDeploymentPolicyId"] = ""
                    self.cf.update_distribution(Id=d["Id"], IfMatch=g["ETag"], DistributionConfig=g["DistributionConfig"])
            try:
                etag = self.cf.get_continuous_deployment_policy(Id=pid)["ETag"]
                self.cf.delete_continuous_deployment_policy(Id=pid, IfMatch=etag)
            except self.cf.exceptions.NoSuchContinuousDeploymentPolicy:
                pass
        self.addCleanup(cleanup)
        return r

    def attach(self, dist_id, policy_id):
        g = self.cf.get_distribution_config(Id=dist_id)
        cfg = g["DistributionConfig"]
        cfg["ContinuousDeploymentPolicyId"] = policy_id
        r = self.cf.update_distribution(Id=dist_id, IfMatch=g["ETag"], DistributionConfig=cfg)
        wait_deployed(self.cf, dist_id)
        return r

    def body(self, host, path, headers=None):
        st, h, body = self.get(host, path, headers)
        self.assertEqual(st, 200, body)
        return body.decode().split(" ")[0], h

    def test_copy_policy_header_weight_promote(self):
        alias = unique_alias("cd")
        primary = self.primary(aliases=[alias])

        # CopyDistribution: a staging distribution with the primary's config, no aliases.
        r = self.copy(primary)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        staging = r["Distribution"]
        scfg = staging["DistributionConfig"]
        self.assertTrue(scfg["Staging"])
        self.assertEqual(scfg["Aliases"]["Quantity"], 0)
        self.assertEqual(scfg["Origins"], primary["DistributionConfig"]["Origins"])
        self.assertNotEqual(staging["DomainName"], primary["DomainName"])
        self.assertFalse(self.cf.get_distribution(Id=primary["Id"])["Distribution"]["DistributionConfig"]["Staging"])
        self.point_staging_at_next(staging["Id"])
        wait_deployed(self.cf, staging["Id"])

        # Header mode.
        pol = self.create_policy(header_policy(staging["DomainName"]))
        self.assertEqual(pol["ResponseMetadata"]["HTTPStatusCode"], 201)
        pid = pol["ContinuousDeploymentPolicy"]["Id"]
        self.attach(primary["Id"], pid)
        self.assertEqual(self.body(primary["DomainName"], "/h")[0], "production")  # fills the primary's cache
        self.assertEqual(self.body(primary["DomainName"], "/h", {"aws-cf-cd-e2e": "on"})[0], "staging")
        self.assertEqual(self.body(alias, "/h", {"aws-cf-cd-e2e": "on"})[0], "staging")
        self.assertEqual(self.body(primary["DomainName"], "/h", {"aws-cf-cd-e2e": "off"})[0], "production")
        _, h = self.body(primary["DomainName"], "/h", {"aws-cf-cd-e2e": "on"})
        self.assertEqual(h["x-cache"], "Hit from cloudfront")  # staging's own cache, never the primary's
        self.assertNotIn("set-cookie", h)
        # Viewers cannot reach the staging distribution by its own domain name.
        st, _, _ = self.get(staging["DomainName"], "/h", {"aws-cf-cd-e2e": "on"})
        self.assertEqual(st, 403)

        # In use: neither the policy nor the staging distribution can go.
        etag = self.cf.get_continuous_deployment_policy(Id=pid)["ETag"]
        self.assertClientError("ContinuousDeploymentPolicyInUse", 409, self.cf.delete_continuous_deployment_policy,
                               Id=pid, IfMatch=etag)

        # A policy change reaches the edge within a second: disabled, the header no longer routes.
        t0 = time.monotonic()
        etag = self.cf.update_continuous_deployment_policy(
            Id=pid, IfMatch=etag, ContinuousDeploymentPolicyConfig=header_policy(staging["DomainName"], enabled=False))["ETag"]
        while self.body(primary["DomainName"], "/h", {"aws-cf-cd-e2e": "on"})[0] != "production":
            self.assertLess(time.monotonic() - t0, 1.0, "the disabled policy still routes after 1 s")
            time.sleep(0.01)
        self.assertLess(time.monotonic() - t0, 1.0)

        # Weight mode with session stickiness: the change is applied fleet-wide before Deployed.
        up = self.cf.update_continuous_deployment_policy(Id=pid, IfMatch=etag,
                                                         ContinuousDeploymentPolicyConfig=weight_policy(staging["DomainName"]))
        self.assertEqual(up["ContinuousDeploymentPolicy"]["ContinuousDeploymentPolicyConfig"]["TrafficConfig"]["Type"],
                         "SingleWeight")
        wait_deployed(self.cf, primary["Id"])
        sides = {"production": 0, "staging": 0}
        for i in range(300):
            label, h = self.body(primary["DomainName"], "/w%d" % (i % 7))
            cookie = h.get("set-cookie", "")
            self.assertTrue(cookie.startswith(STICKY_COOKIE + "="), cookie)
            self.assertIn("Max-Age=300", cookie)
            sides[label] += 1
            if i % 30 == 0:  # the session stays on its side
                value = cookie.split(";")[0]
                for _ in range(3):
                    self.assertEqual(self.body(primary["DomainName"], "/w", {"Cookie": value})[0], label)
        share = sides["staging"] / 300
        self.assertTrue(0.07 <= share <= 0.25, sides)

        # Promote: the staging config (origin, comment) onto the primary, which keeps its aliases
        # and policy id; the policy is disabled, so everything goes to the promoted primary.
        pe = self.cf.get_distribution(Id=primary["Id"])["ETag"]
        se = self.cf.get_distribution(Id=staging["Id"])["ETag"]
        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.update_distribution_with_staging_config,
                               Id=primary["Id"], StagingDistributionId=staging["Id"], IfMatch=pe)
        self.assertClientError("PreconditionFailed", 412, self.cf.update_distribution_with_staging_config,
                               Id=primary["Id"], StagingDistributionId=staging["Id"], IfMatch="%s, %s" % (se, pe))
        pr = self.cf.update_distribution_with_staging_config(Id=primary["Id"], StagingDistributionId=staging["Id"],
                                                             IfMatch="%s, %s" % (pe, se))
        pcfg = pr["Distribution"]["DistributionConfig"]
        self.assertEqual(pcfg["Comment"], "staged")
        self.assertEqual(pcfg["Origins"]["Items"][0]["CustomOriginConfig"]["HTTPPort"], self.next.port)
        self.assertEqual(pcfg["Aliases"]["Items"], [alias])
        self.assertEqual(pcfg["ContinuousDeploymentPolicyId"], pid)
        self.assertFalse(pcfg["Staging"])
        self.assertEqual(pcfg["CallerReference"], primary["DistributionConfig"]["CallerReference"])
        self.assertFalse(self.cf.get_continuous_deployment_policy_config(Id=pid)["ContinuousDeploymentPolicyConfig"]["Enabled"])
        wait_deployed(self.cf, primary["Id"])
        for _ in range(20):
            label, h = self.body(primary["DomainName"], "/promoted")
            self.assertEqual(label, "staging")  # the promoted config's origin, served as the primary
            self.assertNotIn("set-cookie", h)
        before = self.next.count
        self.body(primary["DomainName"], "/promoted", {"aws-cf-cd-e2e": "on"})
        self.assertEqual(self.next.count, before)  # a hit in the primary's cache

    def test_staging_rules_and_errors(self):
        primary = self.primary()
        staging = self.copy(primary)["Distribution"]
        etag = self.cf.get_distribution(Id=primary["Id"])["ETag"]
        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.copy_distribution, PrimaryDistributionId=primary["Id"],
                               Staging=True, CallerReference=new_ref())
        self.assertClientError("PreconditionFailed", 412, self.cf.copy_distribution, PrimaryDistributionId=primary["Id"],
                               Staging=True, IfMatch="E0STALE", CallerReference=new_ref())
        self.assertClientError("InvalidArgument", 400, self.cf.copy_distribution, PrimaryDistributionId=primary["Id"],
                               Staging=False, IfMatch=etag, CallerReference=new_ref())
        self.assertClientError("NoSuchDistribution", 404, self.cf.copy_distribution, PrimaryDistributionId="EDOESNOTEXIST",
                               Staging=True, IfMatch=etag, CallerReference=new_ref())
        # A staging distribution can also be created directly (CloudFormation and Terraform do);
        # it has no aliases and stays staging.
        self.assertClientError("InvalidArgument", 400, self.cf.create_distribution,
                               DistributionConfig=dist_config(V2020, Staging=True, aliases=[unique_alias("stg")]))
        direct = self.cf.create_distribution(DistributionConfig=dist_config(V2020, Staging=True))["Distribution"]
        self.addCleanup(self._cleanup_dist, direct["Id"])
        self.assertTrue(direct["DistributionConfig"]["Staging"])
        st, _, _ = self.get(direct["DomainName"], "/x")
        self.assertEqual(st, 403)
        g = self.cf.get_distribution_config(Id=staging["Id"])
        cfg = g["DistributionConfig"]
        cfg["Aliases"] = {"Quantity": 1, "Items": [unique_alias("stg")]}
        self.assertClientError("IllegalUpdate", 400, self.cf.update_distribution, Id=staging["Id"], IfMatch=g["ETag"],
                               DistributionConfig=cfg)
        cfg = self.cf.get_distribution_config(Id=staging["Id"])["DistributionConfig"]
        cfg["Staging"] = False
        self.assertClientError("IllegalUpdate", 400, self.cf.update_distribution, Id=staging["Id"], IfMatch=g["ETag"],
                               DistributionConfig=cfg)

        # Policy validation.
        sd = staging["DomainName"]
        for bad in (weight_policy(sd, weight=0.16), weight_policy(sd, idle=299, maximum=600),
                    weight_policy(sd, idle=600, maximum=3601), weight_policy(sd, idle=900, maximum=600),
                    header_policy(sd, header="x-staging"), header_policy(sd, header="aws-cf-cd-"),
                    header_policy(primary["DomainName"]), header_policy("d0000000000000.cloudfront.net")):
            with self.subTest(bad=bad):
                self.assertClientError("InvalidArgument", 400, self.cf.create_continuous_deployment_policy,
                                       ContinuousDeploymentPolicyConfig=bad)
        pid = self.create_policy(weight_policy(sd, idle=None))["ContinuousDeploymentPolicy"]["Id"]
        self.assertClientError("StagingDistributionInUse", 409, self.cf.create_continuous_deployment_policy,
                               ContinuousDeploymentPolicyConfig=header_policy(sd))
        listed = self.cf.list_continuous_deployment_policies()["ContinuousDeploymentPolicyList"]
        self.assertIn(pid, [i["ContinuousDeploymentPolicy"]["Id"] for i in listed.get("Items", [])])

        # References from a primary.
        g = self.cf.get_distribution_config(Id=primary["Id"])
        cfg = g["DistributionConfig"]
        cfg["ContinuousDeploymentPolicyId"] = "00000000-0000-4000-8000-000000000000"
        self.assertClientError("NoSuchContinuousDeploymentPolicy", 404, self.cf.update_distribution, Id=primary["Id"],
                               IfMatch=g["ETag"], DistributionConfig=cfg)
        cfg["ContinuousDeploymentPolicyId"], cfg["HttpVersion"] = pid, "http2and3"
        self.assertClientError("InvalidArgument", 400, self.cf.update_distribution, Id=primary["Id"],
                               IfMatch=g["ETag"], DistributionConfig=cfg)
        self.attach(primary["Id"], pid)
        other = self.primary()
        g = self.cf.get_distribution_config(Id=other["Id"])
        cfg = g["DistributionConfig"]
        cfg["ContinuousDeploymentPolicyId"] = pid
        self.assertClientError("ContinuousDeploymentPolicyInUse", 409, self.cf.update_distribution, Id=other["Id"],
                               IfMatch=g["ETag"], DistributionConfig=cfg)
        g = self.cf.get_distribution_config(Id=staging["Id"])
        cfg = g["DistributionConfig"]
        cfg["ContinuousDeploymentPolicyId"] = pid
        self.assertClientError("IllegalUpdate", 400, self.cf.update_distribution, Id=staging["Id"],
                               IfMatch=g["ETag"], DistributionConfig=cfg)

        # A staging distribution a policy names cannot be deleted.
        cfg = g["DistributionConfig"]
        cfg["ContinuousDeploymentPolicyId"], cfg["Enabled"] = "", False
        self.cf.update_distribution(Id=staging["Id"], IfMatch=g["ETag"], DistributionConfig=cfg)
        etag = wait_deployed(self.cf, staging["Id"])["ETag"]
        self.assertClientError("ResourceInUse", 409, self.cf.delete_distribution, Id=staging["Id"], IfMatch=etag)

    def test_aws_cli(self):
        primary = self.primary()
        etag = self.cf.get_distribution(Id=primary["Id"])["ETag"]
        out = self.server.aws("cloudfront", "copy-distribution", "--primary-distribution-id", primary["Id"], "--staging",
                              "--if-match", etag, "--caller-reference", new_ref("cli"))
        staging = out["Distribution"]
        self.addCleanup(self._cleanup_dist, staging["Id"])
        self.assertTrue(staging["DistributionConfig"]["Staging"])
        out = self.server.aws("cloudfront", "create-continuous-deployment-policy", "--continuous-deployment-policy-config",
                              json.dumps(weight_policy(staging["DomainName"], weight=0.05)))
        pid = out["ContinuousDeploymentPolicy"]["Id"]
        listed = self.server.aws("cloudfront", "list-continuous-deployment-policies")["ContinuousDeploymentPolicyList"]
        self.assertIn(pid, [i["ContinuousDeploymentPolicy"]["Id"] for i in listed["Items"]])
        got = self.server.aws("cloudfront", "get-continuous-deployment-policy-config", "--id", pid)
        self.assertEqual(got["ContinuousDeploymentPolicyConfig"]["TrafficConfig"]["SingleWeightConfig"]["Weight"], 0.05)
        self.server.aws("cloudfront", "delete-continuous-deployment-policy", "--id", pid, "--if-match", got["ETag"])
        p = self.server.aws_run("cloudfront", "get-continuous-deployment-policy", "--id", pid)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("NoSuchContinuousDeploymentPolicy", p.stderr)
