"""The rest of the distribution surface (issue 14): AssociateAlias moves an alternate domain name to
another distribution and the edge then routes it there; ListConflictingAliases and ListDomainConflicts
find the overlapping aliases; UpdateDomainAssociation moves a domain off a disabled distribution; the
ListDistributionsBy... operations; the operations on resources OpenFront does not have. Driven with
boto3 and the AWS CLI against the real binary, with a certificate from --certificate-dir covering the
aliases (CloudFront Developer Guide, "Move an alternate domain name")."""

import http.client
import http.server
import shutil
import tempfile
import threading
import uuid

from test_viewer_tls import put_certificate
from harness import V2020, ServerTestCase, custom_origin, dist_config, policy_behavior, wait_deployed

CERT_DIR = tempfile.mkdtemp(prefix="openfront-alias-certs-")
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/alias-moves"
CONFLICTS_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/alias-conflicts"


class NamedOrigin(http.server.ThreadingHTTPServer):
    """An origin that answers every GET with its own name."""

    def __init__(self, name):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                body = name.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class TestAliasMoves(ServerTestCase):
    server_kwargs = {"extra_args": ["--certificate-dir", CERT_DIR]}

    @classmethod
    def setUpClass(cls):
        cls.zone = "z%s.example.com" % uuid.uuid4().hex[:8]
        cls.conflicts_zone = "c%s.example.com" % uuid.uuid4().hex[:8]
        put_certificate(CERT, [cls.zone, "*." + cls.zone], cert_dir=CERT_DIR)
        put_certificate(CONFLICTS_CERT, ["*." + cls.conflicts_zone], cert_dir=CERT_DIR)
        super().setUpClass()
        cls.origins = {n: NamedOrigin(n) for n in ("origin-a", "origin-b")}

    @classmethod
    def tearDownClass(cls):
        for o in cls.origins.values():
            o.shutdown()
        super().tearDownClass()
        shutil.rmtree(CERT_DIR, ignore_errors=True)

    def create(self, origin, aliases=(), enabled=True, cert=CERT, **extra):
        o = custom_origin(domain="127.0.0.1")
        o["CustomOriginConfig"]["HTTPPort"] = self.origins[origin].server_address[1]
        cfg = dist_config(V2020, origins=[o], aliases=aliases, enabled=enabled, **extra)
        if cert:
            cfg["ViewerCertificate"] = {"ACMCertificateArn": cert, "SSLSupportMethod": "sni-only",
                                        "MinimumProtocolVersion": "TLSv1.2_2021"}
        return self.cf.create_distribution(DistributionConfig=cfg)["Distribution"]

    def edge_get(self, host):
        c = http.client.HTTPConnection("127.0.0.1", self.server.edge_port, timeout=10)
        try:
            c.request("GET", "/obj", headers={"Host": host})
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            c.close()

    def aliases_of(self, dist_id):
        return self.cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["Aliases"].get("Items", [])

    def test_associate_alias_moves_it_at_the_edge(self):
        alias = "www." + self.zone
        a = self.create("origin-a", aliases=[alias])
        b = self.create("origin-b")
        wait_deployed(self.cf, a["Id"])
        wait_deployed(self.cf, b["Id"])
        self.assertEqual(self.edge_get(alias), (200, "origin-a"))

        # Adding it to b directly is CNAMEAlreadyExists; AssociateAlias moves it in one step.
        cfg = self.cf.get_distribution_config(Id=b["Id"])
        cfg["DistributionConfig"]["Aliases"] = {"Quantity": 1, "Items": [alias]}
        self.assertClientError("CNAMEAlreadyExists", 409, self.cf.update_distribution, Id=b["Id"],
                               IfMatch=cfg["ETag"], DistributionConfig=cfg["DistributionConfig"])
        out = self.cf.associate_alias(TargetDistributionId=b["Id"], Alias=alias)
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(self.aliases_of(a["Id"]), [])
        self.assertEqual(self.aliases_of(b["Id"]), [alias])
        wait_deployed(self.cf, a["Id"])
        wait_deployed(self.cf, b["Id"])
        self.assertEqual(self.edge_get(alias), (200, "origin-b"))

        # The preconditions: a target whose certificate does not cover the alias, an unknown target.
        plain = self.create("origin-a", cert=None)
        self.assertClientError("IllegalUpdate", 400, self.cf.associate_alias, TargetDistributionId=plain["Id"], Alias=alias)
        self.assertClientError("IllegalUpdate", 400, self.cf.associate_alias, TargetDistributionId=a["Id"],
                               Alias="www.not-covered.example.org")
        self.assertClientError("NoSuchDistribution", 404, self.cf.associate_alias, TargetDistributionId="EDFDVBD6EXAMPLE",
                               Alias=alias)
        self.assertEqual(self.aliases_of(b["Id"]), [alias], "a refused move changes nothing")

        # And back with the AWS CLI.
        self.server.aws("cloudfront", "associate-alias", "--target-distribution-id", a["Id"], "--alias", alias)
        wait_deployed(self.cf, a["Id"])
        wait_deployed(self.cf, b["Id"])
        self.assertEqual(self.edge_get(alias), (200, "origin-a"))

    def test_conflicting_aliases_and_domain_conflicts(self):
        zone = self.conflicts_zone
        wild = self.create("origin-a", aliases=["*." + zone], cert=CONFLICTS_CERT)
        www = self.create("origin-b", aliases=["www." + zone], cert=CONFLICTS_CERT)
        out = self.cf.list_conflicting_aliases(DistributionId=wild["Id"], Alias="www." + zone)
        items = out["ConflictingAliasesList"]["Items"]
        self.assertEqual([i["Alias"] for i in items], ["*." + zone, "www." + zone])
        for item, d in zip(items, (wild, www)):
            # Partly hidden: the first and last characters of the distribution id show.
            self.assertRegex(item["DistributionId"], r"^[A-Z0-9]{3}\*+[A-Z0-9]{3}$")
            self.assertEqual((item["DistributionId"][:3], item["DistributionId"][-3:]), (d["Id"][:3], d["Id"][-3:]))
            self.assertEqual(item["AccountId"], "123******012")
        cli = (self.server.aws("cloudfront", "list-conflicting-aliases", "--distribution-id", wild["Id"],
                                         "--alias", "*." + zone, "--max-items", "5"))
        self.assertEqual(sorted(i["Alias"] for i in cli["ConflictingAliasesList"]["Items"]),
                         ["*." + zone, "www." + zone])
        self.assertClientError("NoSuchDistribution", 404, self.cf.list_conflicting_aliases,
                               DistributionId="EDFDVBD6EXAMPLE", Alias="www." + zone)

        conflicts = self.cf.list_domain_conflicts(Domain="www." + zone,
                                                  DomainControlValidationResource={"DistributionId": wild["Id"]})
        self.assertEqual([(c["Domain"], c["ResourceType"]) for c in conflicts["DomainConflicts"]],
                         [("*." + zone, "distribution"), ("www." + zone, "distribution")])
        self.assertClientError("EntityNotFound", 404, self.cf.list_domain_conflicts, Domain="www." + zone,
                               DomainControlValidationResource={"DistributionTenantId": "dt_EXAMPLE"})

    def test_update_domain_association_needs_a_disabled_source(self):
        alias = "move." + self.zone
        src = self.create("origin-a", aliases=[alias], enabled=False)
        target = self.create("origin-b")
        etag = self.cf.get_distribution(Id=target["Id"])["ETag"]
        out = self.cf.update_domain_association(Domain=alias, TargetResource={"DistributionId": target["Id"]}, IfMatch=etag)
        self.assertEqual((out["Domain"], out["ResourceId"]), (alias, target["Id"]))
        self.assertEqual(out["ETag"], self.cf.get_distribution(Id=target["Id"])["ETag"])
        self.assertEqual(self.aliases_of(src["Id"]), [])
        self.assertEqual(self.aliases_of(target["Id"]), [alias])
        wait_deployed(self.cf, target["Id"])
        self.assertEqual(self.edge_get(alias), (200, "origin-b"))

        enabled = self.create("origin-a", aliases=["busy." + self.zone])
        self.assertClientError("IllegalUpdate", 400, self.cf.update_domain_association, Domain="busy." + self.zone,
                               TargetResource={"DistributionId": target["Id"]}, IfMatch=out["ETag"])
        self.assertClientError("PreconditionFailed", 412, self.cf.update_domain_association, Domain=alias,
                               TargetResource={"DistributionId": target["Id"]}, IfMatch=etag)
        self.assertEqual(self.aliases_of(enabled["Id"]), ["busy." + self.zone])

    def test_lists_of_distributions_by_resource(self):
        d = self.cf.create_distribution(DistributionConfig=dist_config(
            V2020, behavior=policy_behavior("origin1")))["Distribution"]
        ids = self.cf.list_distributions_by_cache_policy_id(
            CachePolicyId="658327ea-f89d-4fab-a63d-7e88639e58f6")["DistributionIdList"].get("Items", [])
        self.assertIn(d["Id"], ids)
        direct = self.cf.list_distributions_by_connection_mode(ConnectionMode="direct")["DistributionList"]
        self.assertIn(d["Id"], [s["Id"] for s in direct.get("Items", [])])
        self.assertEqual(self.cf.list_distributions_by_connection_mode(ConnectionMode="tenant-only")
                         ["DistributionList"]["Quantity"], 0)
        self.assertClientError("NoSuchCachePolicy", 404, self.cf.list_distributions_by_cache_policy_id,
                               CachePolicyId="00000000-0000-0000-0000-000000000000")
        self.assertClientError("NoSuchOriginRequestPolicy", 404, self.cf.list_distributions_by_origin_request_policy_id,
                               OriginRequestPolicyId="00000000-0000-0000-0000-000000000000")
        self.assertClientError("NoSuchResource", 404, self.cf.list_distributions_by_key_group,
                               KeyGroupId="00000000-0000-0000-0000-000000000000")
        # Kinds of resource OpenFront does not have: what CloudFront answers for one that does not exist.
        self.assertClientError("EntityNotFound", 404, self.cf.list_distributions_by_vpc_origin_id, VpcOriginId="vo_1")
        self.assertClientError("EntityNotFound", 404, self.cf.list_distributions_by_anycast_ip_list_id, AnycastIpListId="aip_1")
        self.assertClientError("EntityNotFound", 404, self.cf.list_distributions_by_trust_store, TrustStoreIdentifier="ts_1")
        self.assertClientError("EntityNotFound", 404, self.cf.list_distributions_by_connection_function,
                               ConnectionFunctionIdentifier="cf_1")
        vpc = "arn:aws:cloudfront::123456789012:vpc-origin/vo_1"
        self.assertClientError("EntityNotFound", 404, self.cf.list_distributions_by_owned_resource, ResourceArn=vpc)
        self.assertClientError("EntityNotFound", 404, self.cf.put_resource_policy, ResourceArn=vpc, PolicyDocument="{}")
        self.assertClientError("EntityNotFound", 404, self.cf.get_resource_policy, ResourceArn=vpc)
        self.assertClientError("EntityNotFound", 404, self.cf.delete_resource_policy, ResourceArn=vpc)
        self.assertClientError("UnsupportedOperation", 400, self.cf.get_resource_policy, ResourceArn=d["ARN"])
