"""Web distributions: lifecycle, formats, ETags, idempotency, validation, pagination, cross-version."""

import copy
import time
import unittest
import uuid

from botocore.exceptions import ClientError

from harness import (ACCOUNT_ID, DIST_DOMAIN_RE, DIST_ID_RE, MANAGED_CACHING_OPTIMIZED, NS, V2016, V2020, VERSIONS,
                     Server, ServerTestCase, child, custom_origin, dist_config, find_local, legacy_behavior, local,
                     new_ref, policy_behavior, s3_origin, serialize_body, unique_alias, wait_deployed)


class TestDistributionLifecycle(ServerTestCase):

    def _check_new_distribution(self, version, r, cfg):
        d = r["Distribution"]
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertRegex(d["Id"], DIST_ID_RE)
        self.assertRegex(d["DomainName"], DIST_DOMAIN_RE)
        self.assertTrue(r.get("ETag"), "Create must return an ETag")
        self.assertTrue(r.get("Location", "").endswith("/%s/distribution/%s" % (version, d["Id"])),
                        "Location: %r" % r.get("Location"))
        self.assertEqual(d["Status"], "InProgress")
        self.assertEqual(d["InProgressInvalidationBatches"], 0)
        self.assertIn("LastModifiedTime", d)
        self.assertEqual(d["DistributionConfig"]["CallerReference"], cfg["CallerReference"])
        self.assertEqual(d["DistributionConfig"]["Comment"], cfg["Comment"])
        self.assertEqual(d["DistributionConfig"]["Enabled"], True)
        self.assertEqual(d["DistributionConfig"]["Origins"]["Quantity"], 1)
        self.assertEqual(d["DistributionConfig"]["Origins"]["Items"][0]["DomainName"], "example.com")
        if version == V2020:
            self.assertEqual(d["ARN"], "arn:aws:cloudfront::%s:distribution/%s" % (ACCOUNT_ID, d["Id"]))
        self.assertIn("ActiveTrustedSigners", d)
        self.assertEqual(d["ActiveTrustedSigners"]["Enabled"], False)
        self.assertEqual(d["ActiveTrustedSigners"]["Quantity"], 0)

    def test_full_lifecycle(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                c = self.clients()[version]
                cfg = dist_config(version, comment="lifecycle %s" % version, logging=True)
                r = c.create_distribution(DistributionConfig=cfg)
                self._check_new_distribution(version, r, cfg)
                did, etag0 = r["Distribution"]["Id"], r["ETag"]

                dep = wait_deployed(c, did)
                self.assertEqual(dep["ETag"], etag0, "reads/deploy must not change the ETag")

                g = c.get_distribution(Id=did)
                gc = c.get_distribution_config(Id=did)
                self.assertEqual(g["ETag"], etag0)
                self.assertEqual(gc["ETag"], etag0, "Get and GetConfig return the same ETag")
                self.assertEqual(gc["DistributionConfig"]["CallerReference"], cfg["CallerReference"])
                self.assertEqual(gc["DistributionConfig"]["Logging"],
                                 {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""})

                new_cfg = gc["DistributionConfig"]
                new_cfg["Comment"] = "updated %s" % version
                u = c.update_distribution(Id=did, IfMatch=etag0, DistributionConfig=new_cfg)
                self.assertEqual(u["ResponseMetadata"]["HTTPStatusCode"], 200)
                self.assertTrue(u.get("ETag"))
                self.assertNotEqual(u["ETag"], etag0, "update must return a new ETag")
                self.assertEqual(u["Distribution"]["Id"], did)
                self.assertEqual(u["Distribution"]["Status"], "InProgress")
                self.assertEqual(u["Distribution"]["DistributionConfig"]["Comment"], "updated %s" % version)
                self.assertEqual(u["Distribution"]["DomainName"], r["Distribution"]["DomainName"])
                self.assertGreaterEqual(u["Distribution"]["LastModifiedTime"], r["Distribution"]["LastModifiedTime"])
                etag1 = u["ETag"]
                self.assertEqual(wait_deployed(c, did)["ETag"], etag1)
                self.assertEqual(c.get_distribution_config(Id=did)["DistributionConfig"]["Comment"],
                                 "updated %s" % version)

                # stale ETag
                new_cfg["Comment"] = "stale"
                self.assertClientError("PreconditionFailed", 412, c.update_distribution,
                                       Id=did, IfMatch=etag0, DistributionConfig=new_cfg)
                # missing If-Match
                self.assertClientError("InvalidIfMatchVersion", 400, c.update_distribution,
                                       Id=did, DistributionConfig=new_cfg)
                self.assertClientError("InvalidIfMatchVersion", 400, c.delete_distribution, Id=did)

                # listed
                ids = [i["Id"] for i in self._list_all(c)]
                self.assertIn(did, ids)

                # enabled -> cannot delete
                self.assertClientError("DistributionNotDisabled", 409, c.delete_distribution, Id=did, IfMatch=etag1)
                # stale If-Match on delete
                self.assertClientError("PreconditionFailed", 412, c.delete_distribution, Id=did, IfMatch=etag0)

                # disable, wait, delete
                new_cfg["Comment"] = "updated %s" % version
                new_cfg["Enabled"] = False
                u2 = c.update_distribution(Id=did, IfMatch=etag1, DistributionConfig=new_cfg)
                self.assertEqual(u2["Distribution"]["DistributionConfig"]["Enabled"], False)
                dep = wait_deployed(c, did)
                dl = c.delete_distribution(Id=did, IfMatch=dep["ETag"])
                self.assertEqual(dl["ResponseMetadata"]["HTTPStatusCode"], 204)

                self.assertClientError("NoSuchDistribution", 404, c.get_distribution, Id=did)
                self.assertClientError("NoSuchDistribution", 404, c.get_distribution_config, Id=did)
                self.assertClientError("NoSuchDistribution", 404, c.delete_distribution, Id=did, IfMatch=dep["ETag"])
                self.assertNotIn(did, [i["Id"] for i in self._list_all(c)])

    def _list_all(self, c, max_items="100"):
        out, marker = [], ""
        while True:
            kw = {"MaxItems": max_items}
            if marker:
                kw["Marker"] = marker
            dl = c.list_distributions(**kw)["DistributionList"]
            out += dl.get("Items", [])
            if not dl["IsTruncated"]:
                return out
            marker = dl["NextMarker"]

    def test_s3_origin_variant(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                c = self.clients()[version]
                r = c.create_distribution(DistributionConfig=dist_config(version, s3=True))
                o = r["Distribution"]["DistributionConfig"]["Origins"]["Items"][0]
                self.assertEqual(o["DomainName"], "mybucket.s3.amazonaws.com")
                self.assertEqual(o["S3OriginConfig"]["OriginAccessIdentity"], "")
                self.assertNotIn("CustomOriginConfig", o)
                wait_deployed(c, r["Distribution"]["Id"])

    def test_cache_policy_behavior_2020(self):
        cfg = dist_config(V2020, behavior=policy_behavior("origin1"))
        r = self.cf.create_distribution(DistributionConfig=cfg)
        dcb = r["Distribution"]["DistributionConfig"]["DefaultCacheBehavior"]
        self.assertEqual(dcb["CachePolicyId"], MANAGED_CACHING_OPTIMIZED)
        gc = self.cf.get_distribution_config(Id=r["Distribution"]["Id"])["DistributionConfig"]
        self.assertEqual(gc["DefaultCacheBehavior"]["CachePolicyId"], MANAGED_CACHING_OPTIMIZED)

    def test_ttl_defaults_echoed(self):
        """Legacy behaviour without DefaultTTL/MaxTTL: CloudFront fills in 86400 / 31536000 (spec 5.6 defaults)."""
        for version, c in self.clients().items():
            with self.subTest(version=version):
                r = c.create_distribution(DistributionConfig=dist_config(version))
                for label, dcb in (("create", r["Distribution"]["DistributionConfig"]["DefaultCacheBehavior"]),
                                   ("get-config", c.get_distribution_config(Id=r["Distribution"]["Id"])
                                    ["DistributionConfig"]["DefaultCacheBehavior"])):
                    self.assertEqual((dcb.get("MinTTL"), dcb.get("DefaultTTL"), dcb.get("MaxTTL")),
                                     (0, 86400, 31536000), label)

    def test_summary_required_fields(self):
        """2020 DistributionSummary always carries its required members."""
        r = self.cf.create_distribution(DistributionConfig=dist_config(V2020))
        d = r["Distribution"]
        items = [i for i in self.cf.list_distributions()["DistributionList"].get("Items", []) if i["Id"] == d["Id"]]
        self.assertEqual(len(items), 1)
        s = items[0]
        for k in ("Id", "ARN", "Status", "LastModifiedTime", "DomainName", "Aliases", "Origins", "DefaultCacheBehavior",
                  "CacheBehaviors", "CustomErrorResponses", "Comment", "PriceClass", "Enabled", "ViewerCertificate",
                  "Restrictions", "WebACLId", "HttpVersion", "IsIPV6Enabled", "Staging"):
            self.assertIn(k, s, "DistributionSummary lacks required %s" % k)
        self.assertEqual(s["ARN"], d["ARN"])
        self.assertEqual(s["DomainName"], d["DomainName"])

    def test_2016_summary_members(self):
        r = self.cf16.create_distribution(DistributionConfig=dist_config(V2016))
        did = r["Distribution"]["Id"]
        raw = self.server.raw("GET", "/2016-01-13/distribution", query={"MaxItems": "100"})
        self.assertEqual(raw.status, 200)
        root = raw.xml()
        self.assertEqual(root.tag, "{%s}DistributionList" % NS[V2016])
        sums = [s for s in find_local(root, "DistributionSummary") if child(s, "Id").text == did]
        self.assertEqual(len(sums), 1)
        names = [local(c.tag) for c in sums[0]]
        self.assertEqual(names, ["Id", "Status", "LastModifiedTime", "DomainName", "Aliases", "Origins",
                                 "DefaultCacheBehavior", "CacheBehaviors", "CustomErrorResponses", "Comment",
                                 "PriceClass", "Enabled", "ViewerCertificate", "Restrictions", "WebACLId"])

    def test_ids_and_domains_unique(self):
        ids, domains = set(), set()
        for _ in range(4):
            d = self.cf.create_distribution(DistributionConfig=dist_config())["Distribution"]
            ids.add(d["Id"])
            domains.add(d["DomainName"])
            self.assertNotEqual(d["DomainName"][1:14].upper(), d["Id"][1:14], "domain must not derive from the Id")
        self.assertEqual(len(ids), 4)
        self.assertEqual(len(domains), 4)

    def test_get_does_not_change_etag_or_status(self):
        r = self.cf.create_distribution(DistributionConfig=dist_config())
        did = r["Distribution"]["Id"]
        dep = wait_deployed(self.cf, did)
        for _ in range(3):
            g = self.cf.get_distribution(Id=did)
            self.assertEqual(g["ETag"], r["ETag"])
            self.assertEqual(g["Distribution"]["Status"], "Deployed")
            self.assertEqual(g["Distribution"]["LastModifiedTime"], dep["Distribution"]["LastModifiedTime"])

    def test_unknown_distribution(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                self.assertClientError("NoSuchDistribution", 404, c.get_distribution, Id="ENOSUCHDIST0001")
                self.assertClientError("NoSuchDistribution", 404, c.get_distribution_config, Id="ENOSUCHDIST0001")
                # existence is checked before If-Match presence
                self.assertClientError("NoSuchDistribution", 404, c.delete_distribution, Id="ENOSUCHDIST0001")
                self.assertClientError("NoSuchDistribution", 404, c.update_distribution, Id="ENOSUCHDIST0001",
                                       IfMatch="EXXXX", DistributionConfig=dist_config(version))

    def test_if_match_checked_before_body_validation(self):
        r = self.cf.create_distribution(DistributionConfig=dist_config())
        did = r["Distribution"]["Id"]
        bad = dist_config(V2020, ref=r["Distribution"]["DistributionConfig"]["CallerReference"],
                          behavior=legacy_behavior("origin1", min_ttl=100, default_ttl=10, max_ttl=1000))
        self.assertClientError("PreconditionFailed", 412, self.cf.update_distribution, Id=did,
                               IfMatch=r["ETag"] + "X", DistributionConfig=bad)
        self.assertClientError("InvalidIfMatchVersion", 400, self.cf.update_distribution, Id=did,
                               DistributionConfig=bad)
        self.assertClientError("InvalidTTLOrder", 400, self.cf.update_distribution, Id=did,
                               IfMatch=r["ETag"], DistributionConfig=bad)

    def test_update_is_full_replace(self):
        cfg = dist_config(V2020, comment="replace", DefaultRootObject="index.html")
        r = self.cf.create_distribution(DistributionConfig=cfg)
        did = r["Distribution"]["Id"]
        cfg2 = copy.deepcopy(cfg)
        del cfg2["DefaultRootObject"]
        u = self.cf.update_distribution(Id=did, IfMatch=r["ETag"], DistributionConfig=cfg2)
        self.assertEqual(u["Distribution"]["DistributionConfig"].get("DefaultRootObject", ""), "")


class TestCreateWithTagsAndWebACL(ServerTestCase):

    def test_create_distribution_with_tags(self):
        cfg = dist_config(V2020, comment="with tags")
        r = self.cf.create_distribution_with_tags(DistributionConfigWithTags={
            "DistributionConfig": cfg,
            "Tags": {"Items": [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "cdn"}]}})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        d = r["Distribution"]
        self.assertRegex(d["Id"], DIST_ID_RE)
        self.assertTrue(r.get("ETag"))
        self.assertTrue(r.get("Location", "").endswith("/2020-05-31/distribution/%s" % d["Id"]))
        tags = self.cf.list_tags_for_resource(Resource=d["ARN"])["Tags"].get("Items", [])
        self.assertEqual(sorted((t["Key"], t.get("Value", "")) for t in tags), [("env", "test"), ("team", "cdn")])
        wait_deployed(self.cf, d["Id"])

    def test_create_with_tags_invalid_tagging(self):
        cfg = dist_config(V2020)
        tags = [{"Key": "k%d" % i, "Value": "v"} for i in range(51)]
        before = self.cf.list_distributions()["DistributionList"]["Quantity"]
        self.assertClientError("InvalidTagging", 400, self.cf.create_distribution_with_tags,
                               DistributionConfigWithTags={"DistributionConfig": cfg, "Tags": {"Items": tags}})
        self.assertEqual(self.cf.list_distributions()["DistributionList"]["Quantity"], before,
                         "a rejected create must not create anything")
        r = self.cf.create_distribution_with_tags(DistributionConfigWithTags={
            "DistributionConfig": cfg, "Tags": {"Items": tags[:50]}})
        self.assertEqual(len(self.cf.list_tags_for_resource(Resource=r["Distribution"]["ARN"])["Tags"]["Items"]), 50)

    def test_list_by_web_acl_id(self):
        acl = "arn:aws:wafv2:us-east-1:%s:global/webacl/e2e-%s/%s" % (ACCOUNT_ID, uuid.uuid4().hex[:8], uuid.uuid4())
        with_acl = self.cf.create_distribution(DistributionConfig=dist_config(V2020, WebACLId=acl))["Distribution"]
        without = self.cf.create_distribution(DistributionConfig=dist_config(V2020))["Distribution"]
        self.assertEqual(with_acl["DistributionConfig"]["WebACLId"], acl)

        got = self.cf.list_distributions_by_web_acl_id(WebACLId=acl)["DistributionList"]
        self.assertEqual([i["Id"] for i in got.get("Items", [])], [with_acl["Id"]])
        self.assertEqual(got["Quantity"], 1)
        self.assertFalse(got["IsTruncated"])

        nulls = self.cf.list_distributions_by_web_acl_id(WebACLId="null")["DistributionList"]
        null_ids = [i["Id"] for i in nulls.get("Items", [])]
        self.assertIn(without["Id"], null_ids)
        self.assertNotIn(with_acl["Id"], null_ids)

        other = "arn:aws:wafv2:us-east-1:%s:global/webacl/none/%s" % (ACCOUNT_ID, uuid.uuid4())
        empty = self.cf.list_distributions_by_web_acl_id(WebACLId=other)["DistributionList"]
        self.assertEqual(empty["Quantity"], 0)
        self.assertNotIn("Items", empty)

    def test_list_by_web_acl_id_2016_classic(self):
        acl = str(uuid.uuid4())
        d = self.cf16.create_distribution(DistributionConfig=dist_config(V2016, WebACLId=acl))["Distribution"]
        got = self.cf16.list_distributions_by_web_acl_id(WebACLId=acl)["DistributionList"]
        self.assertEqual([i["Id"] for i in got.get("Items", [])], [d["Id"]])
        self.assertEqual(got["Items"][0]["WebACLId"], acl)
        nulls = self.cf16.list_distributions_by_web_acl_id(WebACLId="null")["DistributionList"]
        self.assertNotIn(d["Id"], [i["Id"] for i in nulls.get("Items", [])])

    def test_list_by_web_acl_id_bad_max_items(self):
        self.assertClientError("InvalidArgument", 400, self.cf.list_distributions_by_web_acl_id,
                               WebACLId="null", MaxItems="abc")


class TestCallerReferenceAndConflicts(ServerTestCase):

    def test_caller_reference_idempotent_same_config(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                cfg = dist_config(version)
                r1 = c.create_distribution(DistributionConfig=cfg)
                r2 = c.create_distribution(DistributionConfig=copy.deepcopy(cfg))
                self.assertEqual(r2["ResponseMetadata"]["HTTPStatusCode"], 201)
                self.assertEqual(r2["Distribution"]["Id"], r1["Distribution"]["Id"])
                self.assertEqual(r2["ETag"], r1["ETag"])
                self.assertEqual(r2["Distribution"]["DomainName"], r1["Distribution"]["DomainName"])
                ids = [i["Id"] for i in c.list_distributions()["DistributionList"].get("Items", [])]
                self.assertEqual(ids.count(r1["Distribution"]["Id"]), 1)

    def test_caller_reference_different_config(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                cfg = dist_config(version, comment="one")
                c.create_distribution(DistributionConfig=cfg)
                cfg2 = copy.deepcopy(cfg)
                cfg2["Comment"] = "two"
                self.assertClientError("DistributionAlreadyExists", 409, c.create_distribution,
                                       DistributionConfig=cfg2)

    def test_cname_already_exists_on_create(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                alias = unique_alias()
                a = c.create_distribution(DistributionConfig=dist_config(version, aliases=[alias]))["Distribution"]
                self.assertEqual(a["DistributionConfig"]["Aliases"], {"Quantity": 1, "Items": [alias]})
                cfg_b = dist_config(version, aliases=[unique_alias("other"), alias])
                self.assertClientError("CNAMEAlreadyExists", 409, c.create_distribution, DistributionConfig=cfg_b)
                # the rejected create left nothing behind
                cfg_b["Aliases"] = {"Quantity": 1, "Items": [unique_alias("fresh")]}
                b = c.create_distribution(DistributionConfig=cfg_b)["Distribution"]
                self.assertNotEqual(a["Id"], b["Id"])

    def test_cname_already_exists_across_versions(self):
        alias = unique_alias()
        self.cf.create_distribution(DistributionConfig=dist_config(V2020, aliases=[alias]))
        self.assertClientError("CNAMEAlreadyExists", 409, self.cf16.create_distribution,
                               DistributionConfig=dist_config(V2016, aliases=[alias]))

    def test_cname_already_exists_on_update(self):
        alias_a, alias_b = unique_alias("a"), unique_alias("b")
        a = self.cf.create_distribution(DistributionConfig=dist_config(aliases=[alias_a]))
        b = self.cf.create_distribution(DistributionConfig=dist_config(aliases=[alias_b]))
        bid = b["Distribution"]["Id"]
        cfg_b = b["Distribution"]["DistributionConfig"]
        cfg_b["Aliases"] = {"Quantity": 2, "Items": [alias_b, alias_a]}
        self.assertClientError("CNAMEAlreadyExists", 409, self.cf.update_distribution,
                               Id=bid, IfMatch=b["ETag"], DistributionConfig=cfg_b)
        # b unchanged, its ETag still valid
        g = self.cf.get_distribution_config(Id=bid)
        self.assertEqual(g["ETag"], b["ETag"])
        self.assertEqual(g["DistributionConfig"]["Aliases"]["Items"], [alias_b])
        # after a releases the alias, b may take it
        aid = a["Distribution"]["Id"]
        cfg_a = a["Distribution"]["DistributionConfig"]
        cfg_a["Aliases"] = {"Quantity": 0}
        self.cf.update_distribution(Id=aid, IfMatch=a["ETag"], DistributionConfig=cfg_a)
        u = self.cf.update_distribution(Id=bid, IfMatch=b["ETag"], DistributionConfig=cfg_b)
        self.assertEqual(sorted(u["Distribution"]["DistributionConfig"]["Aliases"]["Items"]), sorted([alias_a, alias_b]))

    def test_cname_own_alias_kept_on_update(self):
        alias = unique_alias()
        r = self.cf.create_distribution(DistributionConfig=dist_config(aliases=[alias]))
        cfg = r["Distribution"]["DistributionConfig"]
        cfg["Comment"] = "keeps its own alias"
        u = self.cf.update_distribution(Id=r["Distribution"]["Id"], IfMatch=r["ETag"], DistributionConfig=cfg)
        self.assertEqual(u["Distribution"]["DistributionConfig"]["Aliases"]["Items"], [alias])

    def test_illegal_update_caller_reference(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                r = c.create_distribution(DistributionConfig=dist_config(version))
                cfg = r["Distribution"]["DistributionConfig"]
                cfg["CallerReference"] = new_ref("changed")
                self.assertClientError("IllegalUpdate", 400, c.update_distribution,
                                       Id=r["Distribution"]["Id"], IfMatch=r["ETag"], DistributionConfig=cfg)


class TestDistributionValidation(ServerTestCase):

    def test_invalid_ttl_order(self):
        for version, c in self.clients().items():
            for mn, df, mx in ((100, 10, 1000), (0, 1000, 100)):
                with self.subTest(version=version, ttl=(mn, df, mx)):
                    cfg = dist_config(version, behavior=legacy_behavior("origin1", mn, df, mx))
                    self.assertClientError("InvalidTTLOrder", 400, c.create_distribution, DistributionConfig=cfg)

    def test_no_such_origin(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                cfg = dist_config(version, behavior=legacy_behavior("does-not-exist"))
                self.assertClientError("NoSuchOrigin", 404, c.create_distribution, DistributionConfig=cfg)
        # also on update
        r = self.cf.create_distribution(DistributionConfig=dist_config())
        cfg = r["Distribution"]["DistributionConfig"]
        cfg["DefaultCacheBehavior"]["TargetOriginId"] = "nope"
        self.assertClientError("NoSuchOrigin", 404, self.cf.update_distribution, Id=r["Distribution"]["Id"],
                               IfMatch=r["ETag"], DistributionConfig=cfg)

    def test_invalid_origin_access_identity(self):
        for version, c in self.clients().items():
            for oai in ("bogus", "origin-access-identity/cloudfront/ENOSUCHOAI00001"):
                with self.subTest(version=version, oai=oai):
                    cfg = dist_config(version, s3=True, oai=oai)
                    self.assertClientError("InvalidOriginAccessIdentity", 400, c.create_distribution,
                                           DistributionConfig=cfg)

    def test_valid_origin_access_identity(self):
        oai = self.cf.create_cloud_front_origin_access_identity(CloudFrontOriginAccessIdentityConfig={
            "CallerReference": new_ref(), "Comment": ""})["CloudFrontOriginAccessIdentity"]["Id"]
        for version, c in self.clients().items():
            with self.subTest(version=version):
                ref = "origin-access-identity/cloudfront/%s" % oai
                r = c.create_distribution(DistributionConfig=dist_config(version, s3=True, oai=ref))
                got = r["Distribution"]["DistributionConfig"]["Origins"]["Items"][0]["S3OriginConfig"]
                self.assertEqual(got["OriginAccessIdentity"], ref)

    def test_inconsistent_quantities(self):
        for version, c in self.clients().items():
            with self.subTest(version=version, where="Aliases"):
                cfg = dist_config(version)
                cfg["Aliases"] = {"Quantity": 2, "Items": [unique_alias()]}
                self.assertClientError("InconsistentQuantities", 400, c.create_distribution, DistributionConfig=cfg)
            with self.subTest(version=version, where="Origins"):
                cfg = dist_config(version)
                cfg["Origins"]["Quantity"] = 2
                self.assertClientError("InconsistentQuantities", 400, c.create_distribution, DistributionConfig=cfg)

    def test_invalid_argument_misc(self):
        cases = {
            "duplicate origin ids": lambda cfg: cfg["Origins"].update(
                {"Quantity": 2, "Items": [custom_origin("o"), custom_origin("o", "example.org")]}),
            "origin with both configs": lambda cfg: cfg["Origins"]["Items"][0].update(
                {"S3OriginConfig": {"OriginAccessIdentity": ""}}),
            "origin path trailing slash": lambda cfg: cfg["Origins"]["Items"][0].update({"OriginPath": "/foo/"}),
            "comment too long": lambda cfg: cfg.update({"Comment": "x" * 129}),
        }
        for name, mutate in cases.items():
            with self.subTest(case=name):
                cfg = dist_config(V2020)
                mutate(cfg)
                if name == "duplicate origin ids":
                    cfg["DefaultCacheBehavior"]["TargetOriginId"] = "o"
                self.assertClientError("InvalidArgument", 400, self.cf.create_distribution, DistributionConfig=cfg)

    def test_origin_custom_headers_cloudfront_cannot_add(self):
        # Developer Guide, "Add custom headers to origin requests": "Custom
        # headers that CloudFront can't add to origin requests"; a name given
        # twice (in any case) is refused too.
        def headers(*names):
            return {"Quantity": len(names), "Items": [{"HeaderName": n, "HeaderValue": "v"} for n in names]}
        for names in (["Host"], ["X-Amz-Foo"], ["x-edge-thing"], ["Cache-Control"], ["X-Real-Ip"],
                      ["X-Secret", "x-secret"]):
            with self.subTest(names=names):
                cfg = dist_config(V2020, origins=[custom_origin(CustomHeaders=headers(*names))])
                self.assertClientError("InvalidArgument", 400, self.cf.create_distribution, DistributionConfig=cfg)
        r = self.cf.create_distribution(
            DistributionConfig=dist_config(V2020, origins=[custom_origin(CustomHeaders=headers("X-Secret"))]))
        did, etag = r["Distribution"]["Id"], r["ETag"]
        cfg = r["Distribution"]["DistributionConfig"]
        cfg["Origins"]["Items"][0]["CustomHeaders"] = headers("X-Secret", "Host")
        self.assertClientError("InvalidArgument", 400, self.cf.update_distribution, Id=did, IfMatch=etag,
                               DistributionConfig=cfg)
        got = self.cf.get_distribution_config(Id=did)
        self.assertEqual(got["ETag"], etag, "a refused update changed the distribution")
        self.assertEqual(got["DistributionConfig"]["Origins"]["Items"][0]["CustomHeaders"], headers("X-Secret"))

    def test_origin_groups(self):
        def groups(n, members=("o1", "o2"), codes=(500,)):
            return {"Quantity": n, "Items": [{
                "Id": "group%d" % i,
                "FailoverCriteria": {"StatusCodes": {"Quantity": len(codes), "Items": list(codes)}},
                "Members": {"Quantity": len(members), "Items": [{"OriginId": m} for m in members]},
            } for i in range(n)]}
        origins = [custom_origin("o1"), custom_origin("o2", "example.org")]
        # Quotas: "Origin groups per distribution" is 10.
        cfg = dist_config(V2020, origins=origins, OriginGroups=groups(11))
        self.assertClientError("TooManyOriginGroupsPerDistribution", 400, self.cf.create_distribution,
                               DistributionConfig=cfg)
        # OriginGroup: a primary and a secondary origin, not one origin twice.
        cfg = dist_config(V2020, origins=origins, OriginGroups=groups(1, members=("o1", "o1")))
        self.assertClientError("InvalidArgument", 400, self.cf.create_distribution, DistributionConfig=cfg)
        r = self.cf.create_distribution(DistributionConfig=dist_config(V2020, origins=origins, OriginGroups=groups(10)))
        did, etag = r["Distribution"]["Id"], r["ETag"]
        cfg = r["Distribution"]["DistributionConfig"]
        cfg["OriginGroups"] = groups(11)
        self.assertClientError("TooManyOriginGroupsPerDistribution", 400, self.cf.update_distribution, Id=did,
                               IfMatch=etag, DistributionConfig=cfg)
        got = self.cf.get_distribution_config(Id=did)
        self.assertEqual(got["ETag"], etag, "a refused update changed the distribution")
        self.assertEqual(got["DistributionConfig"]["OriginGroups"]["Quantity"], 10)

    def test_origin_shield_region(self):
        # API reference, OriginShield: enabled needs a Region code, one of
        # those listed in "Choose the AWS Region for Origin Shield".
        for shield in ({"Enabled": True}, {"Enabled": True, "OriginShieldRegion": "mars-1"},
                       {"Enabled": True, "OriginShieldRegion": "us-west-1"}):
            with self.subTest(shield=shield):
                cfg = dist_config(V2020, origins=[custom_origin(OriginShield=shield)])
                self.assertClientError("InvalidArgument", 400, self.cf.create_distribution, DistributionConfig=cfg)
        shield = {"Enabled": True, "OriginShieldRegion": "eu-west-2"}
        r = self.cf.create_distribution(DistributionConfig=dist_config(V2020, origins=[custom_origin(OriginShield=shield)]))
        did, etag = r["Distribution"]["Id"], r["ETag"]
        cfg = r["Distribution"]["DistributionConfig"]
        cfg["Origins"]["Items"][0]["OriginShield"] = {"Enabled": True}
        self.assertClientError("InvalidArgument", 400, self.cf.update_distribution, Id=did, IfMatch=etag,
                               DistributionConfig=cfg)
        got = self.cf.get_distribution_config(Id=did)
        self.assertEqual(got["ETag"], etag, "a refused update changed the distribution")
        self.assertEqual(got["DistributionConfig"]["Origins"]["Items"][0]["OriginShield"], shield)

    def test_2020_connection_attempts_out_of_range(self):
        cfg = dist_config(V2020, origins=[custom_origin(ConnectionAttempts=4)])
        self.assertClientError("InvalidArgument", 400, self.cf.create_distribution, DistributionConfig=cfg)

    def test_2020_behavior_needs_cache_policy_or_forwarded_values(self):
        cfg = dist_config(V2020, behavior={"TargetOriginId": "origin1", "ViewerProtocolPolicy": "allow-all"})
        self.assertClientError("InvalidArgument", 400, self.cf.create_distribution, DistributionConfig=cfg)

    def _raw_create(self, version, body):
        return self.server.raw("POST", "/%s/distribution" % version, body=body,
                               headers={"Content-Type": "application/xml"})

    def test_malformed_xml(self):
        for version in VERSIONS:
            with self.subTest(version=version, case="truncated"):
                body = serialize_body(self.clients()[version], "CreateDistribution",
                                      {"DistributionConfig": dist_config(version)})
                r = self._raw_create(version, body[: len(body) // 2])
                self.assertRawError(r, "MalformedXML", 400, version)
            with self.subTest(version=version, case="not xml"):
                r = self._raw_create(version, b"this is not xml at all")
                self.assertRawError(r, "MalformedXML", 400, version)
            with self.subTest(version=version, case="wrong root"):
                r = self._raw_create(version, '<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="%s">'
                                              '<CallerReference>x</CallerReference></InvalidationBatch>' % NS[version])
                self.assertRawError(r, "MalformedXML", 400, version)

    def test_missing_body(self):
        for version in VERSIONS:
            with self.subTest(version=version, op="create"):
                r = self.server.raw("POST", "/%s/distribution" % version)
                self.assertRawError(r, "MissingBody", 400, version)
            with self.subTest(version=version, op="update"):
                c = self.clients()[version]
                d = c.create_distribution(DistributionConfig=dist_config(version))
                r = self.server.raw("PUT", "/%s/distribution/%s/config" % (version, d["Distribution"]["Id"]),
                                    headers={"If-Match": d["ETag"]})
                self.assertRawError(r, "MissingBody", 400, version)

    def test_raw_xml_without_namespace_accepted(self):
        body = serialize_body(self.cf, "CreateDistribution", {"DistributionConfig": dist_config(V2020)})
        body = body.replace(b' xmlns="%s"' % NS[V2020].encode(), b"")
        self.assertNotIn(b"xmlns", body)
        r = self._raw_create(V2020, body)
        self.assertEqual(r.status, 201, r.body[:600])
        self.assertEqual(r.xml().tag, "{%s}Distribution" % NS[V2020])
        self.assertTrue(r.headers.get("etag"))
        self.assertTrue(r.headers.get("location"))

    def test_invalid_argument_names_wrong_type_field(self):
        for version in VERSIONS:
            c = self.clients()[version]
            body = serialize_body(c, "CreateDistribution", {"DistributionConfig": dist_config(version)})
            with self.subTest(version=version, field="Enabled"):
                self.assertEqual(body.count(b"<Enabled>true</Enabled>"), 1, body)
                r = self._raw_create(version, body.replace(b"<Enabled>true</Enabled>", b"<Enabled>yes</Enabled>"))
                err = self.assertRawError(r, "InvalidArgument", 400, version)
                self.assertIn("Enabled", err.get("Message", ""))
            with self.subTest(version=version, field="HTTPPort"):
                self.assertEqual(body.count(b"<HTTPPort>80</HTTPPort>"), 1)
                r = self._raw_create(version, body.replace(b"<HTTPPort>80</HTTPPort>", b"<HTTPPort>eighty</HTTPPort>"))
                err = self.assertRawError(r, "InvalidArgument", 400, version)
                self.assertIn("HTTPPort", err.get("Message", ""))


class TestPagination(ServerTestCase):

    def _walk(self, c, max_items):
        pages, marker = [], None
        while True:
            kw = {"MaxItems": str(max_items)}
            if marker is not None:
                kw["Marker"] = marker
            dl = c.list_distributions(**kw)["DistributionList"]
            pages.append(dl)
            self.assertLessEqual(dl["Quantity"], max_items)
            self.assertEqual(dl["Quantity"], len(dl.get("Items", [])))
            self.assertEqual(dl["MaxItems"], max_items)
            self.assertEqual(dl.get("Marker", ""), marker or "")
            if not dl["IsTruncated"]:
                self.assertFalse(dl.get("NextMarker"), "NextMarker only when truncated")
                return pages
            self.assertTrue(dl.get("NextMarker"))
            marker = dl["NextMarker"]
            self.assertLess(len(pages), 200, "pagination does not terminate")

    def test_pagination_both_versions(self):
        created = []
        for i in range(5):
            created.append(self.cf.create_distribution(
                DistributionConfig=dist_config(comment="page-%d" % i))["Distribution"]["Id"])
        for version, c in self.clients().items():
            with self.subTest(version=version):
                pages = self._walk(c, 2)
                ids = [i["Id"] for p in pages for i in p.get("Items", [])]
                self.assertEqual(len(ids), len(set(ids)), "duplicates across pages: %s" % ids)
                self.assertGreaterEqual(len(pages), 3)
                self.assertTrue(pages[0]["IsTruncated"])
                full = [i["Id"] for i in c.list_distributions()["DistributionList"].get("Items", [])]
                self.assertEqual(ids, full, "paged order must equal unpaged order")
                pos = [ids.index(x) for x in created]
                self.assertEqual(pos, sorted(pos), "creation order must be kept")
                # stable across calls
                again = [i["Id"] for p in self._walk(c, 2) for i in p.get("Items", [])]
                self.assertEqual(again, ids)

    def test_default_max_items(self):
        dl = self.cf.list_distributions()["DistributionList"]
        self.assertEqual(dl["MaxItems"], 100)
        self.assertEqual(dl.get("Marker", ""), "")

    def test_bad_max_items(self):
        for version, c in self.clients().items():
            for bad in ("abc", "-1"):
                with self.subTest(version=version, max_items=bad):
                    self.assertClientError("InvalidArgument", 400, c.list_distributions, MaxItems=bad)


class TestCrossVersion(ServerTestCase):

    def test_2020_fields_survive_2016_update(self):
        cfg = dist_config(V2020, comment="xv-original",
                          origins=[custom_origin(ConnectionAttempts=2, ConnectionTimeout=5)],
                          HttpVersion="http2and3", IsIPV6Enabled=True)
        r = self.cf.create_distribution(DistributionConfig=cfg)
        did = r["Distribution"]["Id"]
        self.assertEqual(r["Distribution"]["DistributionConfig"]["HttpVersion"], "http2and3")
        wait_deployed(self.cf, did)

        # 2016 view: shape ok
        g16 = self.cf16.get_distribution(Id=did)
        d16 = g16["Distribution"]
        self.assertEqual(d16["Id"], did)
        self.assertEqual(d16["DomainName"], r["Distribution"]["DomainName"])
        self.assertEqual(d16["DistributionConfig"]["Comment"], "xv-original")
        self.assertIn("ActiveTrustedSigners", d16)
        raw = self.server.raw("GET", "/2016-01-13/distribution/%s" % did)
        self.assertEqual(raw.status, 200)
        root = raw.xml()
        self.assertEqual(root.tag, "{%s}Distribution" % NS[V2016])
        for name in ("ARN", "HttpVersion", "IsIPV6Enabled", "ConnectionAttempts", "ConnectionTimeout", "Staging",
                     "ActiveTrustedKeyGroups"):
            self.assertEqual(find_local(root, name), [], "2016 response must not contain <%s>" % name)
        self.assertEqual([local(c.tag) for c in root],
                         ["Id", "Status", "LastModifiedTime", "InProgressInvalidationBatches", "DomainName",
                          "ActiveTrustedSigners", "DistributionConfig"])
        dcb = child(child(root, "DistributionConfig"), "DefaultCacheBehavior")
        self.assertEqual([local(c.tag) for c in dcb][:5],
                         ["TargetOriginId", "ForwardedValues", "TrustedSigners", "ViewerProtocolPolicy", "MinTTL"])

        # 2016 update with the 2016 ETag
        gc16 = self.cf16.get_distribution_config(Id=did)
        cfg16 = gc16["DistributionConfig"]
        cfg16["Comment"] = "xv-changed-by-2016"
        u = self.cf16.update_distribution(Id=did, IfMatch=gc16["ETag"], DistributionConfig=cfg16)
        self.assertEqual(u["Distribution"]["DistributionConfig"]["Comment"], "xv-changed-by-2016")
        wait_deployed(self.cf16, did)

        # 2020 view: 2020-only fields kept, comment changed
        g20 = self.cf.get_distribution_config(Id=did)["DistributionConfig"]
        self.assertEqual(g20["Comment"], "xv-changed-by-2016")
        self.assertEqual(g20["HttpVersion"], "http2and3")
        self.assertEqual(g20["IsIPV6Enabled"], True)
        o = g20["Origins"]["Items"][0]
        self.assertEqual(o["ConnectionAttempts"], 2)
        self.assertEqual(o["ConnectionTimeout"], 5)

    def test_2016_created_read_by_2020(self):
        r = self.cf16.create_distribution(DistributionConfig=dist_config(V2016, comment="from-2016", logging=True))
        did = r["Distribution"]["Id"]
        g = self.cf.get_distribution(Id=did)["Distribution"]
        self.assertEqual(g["ARN"], "arn:aws:cloudfront::%s:distribution/%s" % (ACCOUNT_ID, did))
        self.assertEqual(g["DistributionConfig"]["Comment"], "from-2016")
        # optional in a 2020 DistributionConfig, but required in the 2020 DistributionSummary
        self.assertIn(g["DistributionConfig"].get("HttpVersion"), (None, "http1.1", "http2"))
        s = [i for i in self.cf.list_distributions()["DistributionList"]["Items"] if i["Id"] == did]
        self.assertEqual(len(s), 1)
        self.assertIn(s[0].get("HttpVersion"), ("http1.1", "http2"))
        self.assertIn(s[0].get("IsIPV6Enabled"), (False, True))
        self.assertEqual(s[0].get("Staging"), False)
        self.assertEqual(s[0].get("WebACLId"), "")


class TestQuota(unittest.TestCase):
    """TooManyDistributions at 200 (own server; skipped when creation is too slow)."""

    def test_too_many_distributions(self):
        srv = Server().start()
        try:
            cf = srv.client(V2020)
            t0 = time.time()
            for i in range(20):
                cf.create_distribution(DistributionConfig=dist_config(comment="quota"))
            per = (time.time() - t0) / 20
            if per * 200 > 20:
                self.skipTest("creating 200 distributions would take ~%.0fs" % (per * 200))
            for i in range(180):
                cf.create_distribution(DistributionConfig=dist_config(comment="quota"))
            try:
                cf.create_distribution(DistributionConfig=dist_config(comment="quota-201"))
                self.fail("201st distribution was accepted")
            except ClientError as e:
                self.assertEqual((e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]),
                                 ("TooManyDistributions", 400))
            dl = cf.list_distributions(MaxItems="100")["DistributionList"]
            total = dl["Quantity"]
            marker = dl.get("NextMarker")
            while dl["IsTruncated"]:
                dl = cf.list_distributions(MaxItems="100", Marker=marker)["DistributionList"]
                total += dl["Quantity"]
                marker = dl.get("NextMarker")
            self.assertEqual(total, 200)
        finally:
            rc = srv.stop()
            self.assertEqual(rc, 0, srv.stderr())


if __name__ == "__main__":
    unittest.main()
