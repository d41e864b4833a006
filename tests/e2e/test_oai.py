"""CloudFront origin access identities."""

import re
import unittest

from harness import (DIST_ID_RE, V2016, V2020, VERSIONS, ServerTestCase, dist_config, new_ref, streaming_config,
                     wait_deployed, wait_streaming_deployed)

CANONICAL_RE = re.compile(r"^[0-9a-f]{64,}$")


class TestOriginAccessIdentities(ServerTestCase):

    def _create(self, c, comment="oai", ref=None):
        return c.create_cloud_front_origin_access_identity(CloudFrontOriginAccessIdentityConfig={
            "CallerReference": ref or new_ref("oai"), "Comment": comment})

    def test_lifecycle(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                c = self.clients()[version]
                ref = new_ref("oai")
                r = self._create(c, "first", ref)
                self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
                o = r["CloudFrontOriginAccessIdentity"]
                oid, etag0 = o["Id"], r["ETag"]
                self.assertRegex(oid, DIST_ID_RE)
                self.assertRegex(o["S3CanonicalUserId"], CANONICAL_RE)
                self.assertEqual(o["CloudFrontOriginAccessIdentityConfig"], {"CallerReference": ref, "Comment": "first"})
                self.assertTrue(etag0)
                self.assertTrue(r.get("Location", "").endswith("/%s/origin-access-identity/cloudfront/%s" % (version, oid)),
                                r.get("Location"))

                g = c.get_cloud_front_origin_access_identity(Id=oid)
                self.assertEqual(g["ETag"], etag0)
                self.assertEqual(g["CloudFrontOriginAccessIdentity"]["S3CanonicalUserId"], o["S3CanonicalUserId"])
                gc = c.get_cloud_front_origin_access_identity_config(Id=oid)
                self.assertEqual(gc["ETag"], etag0)
                self.assertEqual(gc["CloudFrontOriginAccessIdentityConfig"]["Comment"], "first")

                lst = c.list_cloud_front_origin_access_identities()["CloudFrontOriginAccessIdentityList"]
                summ = [s for s in lst.get("Items", []) if s["Id"] == oid]
                self.assertEqual(summ, [{"Id": oid, "S3CanonicalUserId": o["S3CanonicalUserId"], "Comment": "first"}])

                u = c.update_cloud_front_origin_access_identity(Id=oid, IfMatch=etag0,
                                                                CloudFrontOriginAccessIdentityConfig={
                                                                    "CallerReference": ref, "Comment": "second"})
                self.assertEqual(u["ResponseMetadata"]["HTTPStatusCode"], 200)
                self.assertNotEqual(u["ETag"], etag0)
                uo = u["CloudFrontOriginAccessIdentity"]
                self.assertEqual(uo["CloudFrontOriginAccessIdentityConfig"]["Comment"], "second")
                self.assertEqual(uo["S3CanonicalUserId"], o["S3CanonicalUserId"], "canonical user id is immutable")

                self.assertClientError("PreconditionFailed", 412, c.update_cloud_front_origin_access_identity,
                                       Id=oid, IfMatch=etag0,
                                       CloudFrontOriginAccessIdentityConfig={"CallerReference": ref, "Comment": "x"})
                self.assertClientError("InvalidIfMatchVersion", 400, c.update_cloud_front_origin_access_identity,
                                       Id=oid, CloudFrontOriginAccessIdentityConfig={"CallerReference": ref, "Comment": "x"})
                self.assertClientError("IllegalUpdate", 400, c.update_cloud_front_origin_access_identity,
                                       Id=oid, IfMatch=u["ETag"],
                                       CloudFrontOriginAccessIdentityConfig={"CallerReference": new_ref(), "Comment": "x"})
                self.assertClientError("InvalidIfMatchVersion", 400, c.delete_cloud_front_origin_access_identity, Id=oid)
                self.assertClientError("PreconditionFailed", 412, c.delete_cloud_front_origin_access_identity,
                                       Id=oid, IfMatch=etag0)
                d = c.delete_cloud_front_origin_access_identity(Id=oid, IfMatch=u["ETag"])
                self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 204)
                self.assertClientError("NoSuchCloudFrontOriginAccessIdentity", 404,
                                       c.get_cloud_front_origin_access_identity, Id=oid)
                self.assertClientError("NoSuchCloudFrontOriginAccessIdentity", 404,
                                       c.get_cloud_front_origin_access_identity_config, Id=oid)

    def test_unknown(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                self.assertClientError("NoSuchCloudFrontOriginAccessIdentity", 404,
                                       c.get_cloud_front_origin_access_identity, Id="ENOSUCHOAI00003")
                self.assertClientError("NoSuchCloudFrontOriginAccessIdentity", 404,
                                       c.delete_cloud_front_origin_access_identity, Id="ENOSUCHOAI00003", IfMatch="E1")
                self.assertClientError("NoSuchCloudFrontOriginAccessIdentity", 404,
                                       c.update_cloud_front_origin_access_identity, Id="ENOSUCHOAI00003", IfMatch="E1",
                                       CloudFrontOriginAccessIdentityConfig={"CallerReference": "x", "Comment": ""})

    def test_caller_reference(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                ref = new_ref("oai")
                r1 = self._create(c, "same", ref)
                r2 = self._create(c, "same", ref)
                self.assertEqual(r2["ResponseMetadata"]["HTTPStatusCode"], 201)
                self.assertEqual(r2["CloudFrontOriginAccessIdentity"]["Id"], r1["CloudFrontOriginAccessIdentity"]["Id"])
                self.assertEqual(r2["ETag"], r1["ETag"])
                self.assertClientError("CloudFrontOriginAccessIdentityAlreadyExists", 409, self._create, c,
                                       "different", ref)

    def test_canonical_ids_unique(self):
        ids = {self._create(self.cf)["CloudFrontOriginAccessIdentity"]["S3CanonicalUserId"] for _ in range(3)}
        self.assertEqual(len(ids), 3)

    def test_in_use_by_distribution(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                r = self._create(c)
                oid, etag = r["CloudFrontOriginAccessIdentity"]["Id"], r["ETag"]
                d = c.create_distribution(DistributionConfig=dist_config(
                    version, s3=True, oai="origin-access-identity/cloudfront/%s" % oid))
                did = d["Distribution"]["Id"]
                self.assertClientError("CloudFrontOriginAccessIdentityInUse", 409,
                                       c.delete_cloud_front_origin_access_identity, Id=oid, IfMatch=etag)
                # still there
                self.assertEqual(c.get_cloud_front_origin_access_identity(Id=oid)["ETag"], etag)
                # remove the distribution, then the OAI can go
                cfg = d["Distribution"]["DistributionConfig"]
                cfg["Enabled"] = False
                c.update_distribution(Id=did, IfMatch=d["ETag"], DistributionConfig=cfg)
                dep = wait_deployed(c, did)
                c.delete_distribution(Id=did, IfMatch=dep["ETag"])
                self.assertEqual(c.delete_cloud_front_origin_access_identity(Id=oid, IfMatch=etag)
                                 ["ResponseMetadata"]["HTTPStatusCode"], 204)

    def test_in_use_by_streaming_distribution(self):
        r = self._create(self.cf)
        oid, etag = r["CloudFrontOriginAccessIdentity"]["Id"], r["ETag"]
        s = self.cf.create_streaming_distribution(StreamingDistributionConfig=streaming_config(
            oai="origin-access-identity/cloudfront/%s" % oid))
        sid = s["StreamingDistribution"]["Id"]
        self.assertClientError("CloudFrontOriginAccessIdentityInUse", 409,
                               self.cf.delete_cloud_front_origin_access_identity, Id=oid, IfMatch=etag)
        cfg = s["StreamingDistribution"]["StreamingDistributionConfig"]
        cfg["Enabled"] = False
        self.cf.update_streaming_distribution(Id=sid, IfMatch=s["ETag"], StreamingDistributionConfig=cfg)
        dep = wait_streaming_deployed(self.cf, sid)
        self.cf.delete_streaming_distribution(Id=sid, IfMatch=dep["ETag"])
        self.cf.delete_cloud_front_origin_access_identity(Id=oid, IfMatch=etag)

    def test_list_pagination(self):
        made = [self._create(self.cf)["CloudFrontOriginAccessIdentity"]["Id"] for _ in range(3)]
        for version, c in self.clients().items():
            with self.subTest(version=version):
                ids, marker = [], None
                for _ in range(500):
                    kw = {"MaxItems": "2"}
                    if marker:
                        kw["Marker"] = marker
                    lst = c.list_cloud_front_origin_access_identities(**kw)["CloudFrontOriginAccessIdentityList"]
                    self.assertLessEqual(lst["Quantity"], 2)
                    ids += [i["Id"] for i in lst.get("Items", [])]
                    if not lst["IsTruncated"]:
                        break
                    marker = lst["NextMarker"]
                self.assertEqual(len(ids), len(set(ids)))
                for m in made:
                    self.assertIn(m, ids)
                self.assertClientError("InvalidArgument", 400, c.list_cloud_front_origin_access_identities,
                                       MaxItems="abc")

    def test_missing_body(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                r = self.server.raw("POST", "/%s/origin-access-identity/cloudfront" % version)
                self.assertRawError(r, "MissingBody", 400, version)


if __name__ == "__main__":
    unittest.main()
