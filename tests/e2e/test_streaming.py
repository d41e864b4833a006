"""Streaming (RTMP) distributions."""

import copy
import unittest

from harness import (ACCOUNT_ID, DIST_ID_RE, STREAMING_DOMAIN_RE, V2016, V2020, VERSIONS, ServerTestCase, dist_config,
                     new_ref, serialize_body, streaming_config, unique_alias, wait_streaming_deployed)


class TestStreamingDistributions(ServerTestCase):

    def _list_all(self, c):
        out, marker = [], None
        while True:
            kw = {"MaxItems": "100"}
            if marker:
                kw["Marker"] = marker
            dl = c.list_streaming_distributions(**kw)["StreamingDistributionList"]
            out += dl.get("Items", [])
            if not dl["IsTruncated"]:
                return out
            marker = dl["NextMarker"]

    def _delete(self, c, sid):
        g = c.get_streaming_distribution_config(Id=sid)
        cfg, etag = g["StreamingDistributionConfig"], g["ETag"]
        if cfg["Enabled"]:
            cfg["Enabled"] = False
            etag = c.update_streaming_distribution(Id=sid, IfMatch=etag, StreamingDistributionConfig=cfg)["ETag"]
        etag = wait_streaming_deployed(c, sid)["ETag"]
        return c.delete_streaming_distribution(Id=sid, IfMatch=etag)

    def test_full_lifecycle(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                c = self.clients()[version]
                cfg = streaming_config(comment="stream %s" % version)
                r = c.create_streaming_distribution(StreamingDistributionConfig=cfg)
                self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
                sd = r["StreamingDistribution"]
                sid, etag0 = sd["Id"], r["ETag"]
                self.assertRegex(sid, DIST_ID_RE)
                self.assertRegex(sd["DomainName"], STREAMING_DOMAIN_RE)
                self.assertTrue(etag0)
                self.assertTrue(r.get("Location", "").endswith("/%s/streaming-distribution/%s" % (version, sid)),
                                r.get("Location"))
                self.assertEqual(sd["Status"], "InProgress")
                if version == V2020:
                    self.assertEqual(sd["ARN"], "arn:aws:cloudfront::%s:streaming-distribution/%s" % (ACCOUNT_ID, sid))
                self.assertEqual(sd["StreamingDistributionConfig"]["S3Origin"],
                                 {"DomainName": "mybucket.s3.amazonaws.com", "OriginAccessIdentity": ""})
                self.assertIn("ActiveTrustedSigners", sd)

                dep = wait_streaming_deployed(c, sid)
                self.assertEqual(dep["ETag"], etag0)
                gc = c.get_streaming_distribution_config(Id=sid)
                self.assertEqual(gc["ETag"], etag0)
                self.assertEqual(gc["StreamingDistributionConfig"]["CallerReference"], cfg["CallerReference"])

                self.assertIn(sid, [i["Id"] for i in self._list_all(c)])

                ncfg = gc["StreamingDistributionConfig"]
                ncfg["Comment"] = "changed"
                u = c.update_streaming_distribution(Id=sid, IfMatch=etag0, StreamingDistributionConfig=ncfg)
                self.assertEqual(u["ResponseMetadata"]["HTTPStatusCode"], 200)
                self.assertNotEqual(u["ETag"], etag0)
                self.assertEqual(u["StreamingDistribution"]["StreamingDistributionConfig"]["Comment"], "changed")
                self.assertEqual(u["StreamingDistribution"]["Status"], "InProgress")
                etag1 = u["ETag"]

                self.assertClientError("PreconditionFailed", 412, c.update_streaming_distribution,
                                       Id=sid, IfMatch=etag0, StreamingDistributionConfig=ncfg)
                self.assertClientError("InvalidIfMatchVersion", 400, c.update_streaming_distribution,
                                       Id=sid, StreamingDistributionConfig=ncfg)
                self.assertClientError("InvalidIfMatchVersion", 400, c.delete_streaming_distribution, Id=sid)
                self.assertClientError("StreamingDistributionNotDisabled", 409, c.delete_streaming_distribution,
                                       Id=sid, IfMatch=etag1)

                wait_streaming_deployed(c, sid)
                ncfg["Enabled"] = False
                u2 = c.update_streaming_distribution(Id=sid, IfMatch=etag1, StreamingDistributionConfig=ncfg)
                dep = wait_streaming_deployed(c, sid)
                self.assertEqual(dep["ETag"], u2["ETag"])
                self.assertClientError("PreconditionFailed", 412, c.delete_streaming_distribution, Id=sid, IfMatch=etag1)
                d = c.delete_streaming_distribution(Id=sid, IfMatch=dep["ETag"])
                self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 204)
                self.assertClientError("NoSuchStreamingDistribution", 404, c.get_streaming_distribution, Id=sid)
                self.assertClientError("NoSuchStreamingDistribution", 404, c.get_streaming_distribution_config, Id=sid)
                self.assertNotIn(sid, [i["Id"] for i in self._list_all(c)])

    def test_unknown(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                self.assertClientError("NoSuchStreamingDistribution", 404, c.get_streaming_distribution,
                                       Id="ENOSUCHSTREAM01")
                self.assertClientError("NoSuchStreamingDistribution", 404, c.delete_streaming_distribution,
                                       Id="ENOSUCHSTREAM01", IfMatch="E1")

    def test_with_tags(self):
        r = self.cf.create_streaming_distribution_with_tags(StreamingDistributionConfigWithTags={
            "StreamingDistributionConfig": streaming_config(),
            "Tags": {"Items": [{"Key": "kind", "Value": "rtmp"}]}})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        sd = r["StreamingDistribution"]
        self.assertRegex(sd["DomainName"], STREAMING_DOMAIN_RE)
        tags = self.cf.list_tags_for_resource(Resource=sd["ARN"])["Tags"]["Items"]
        self.assertEqual(tags, [{"Key": "kind", "Value": "rtmp"}])

    def test_caller_reference(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                cfg = streaming_config()
                r1 = c.create_streaming_distribution(StreamingDistributionConfig=cfg)
                r2 = c.create_streaming_distribution(StreamingDistributionConfig=copy.deepcopy(cfg))
                self.assertEqual(r2["StreamingDistribution"]["Id"], r1["StreamingDistribution"]["Id"])
                self.assertEqual(r2["ETag"], r1["ETag"])
                cfg["Comment"] = "different"
                self.assertClientError("StreamingDistributionAlreadyExists", 409, c.create_streaming_distribution,
                                       StreamingDistributionConfig=cfg)

    def test_illegal_update(self):
        for version, c in self.clients().items():
            with self.subTest(version=version, field="S3Origin.DomainName"):
                r = c.create_streaming_distribution(StreamingDistributionConfig=streaming_config())
                cfg = r["StreamingDistribution"]["StreamingDistributionConfig"]
                cfg["S3Origin"]["DomainName"] = "otherbucket.s3.amazonaws.com"
                self.assertClientError("IllegalUpdate", 400, c.update_streaming_distribution,
                                       Id=r["StreamingDistribution"]["Id"], IfMatch=r["ETag"],
                                       StreamingDistributionConfig=cfg)
            with self.subTest(version=version, field="CallerReference"):
                cfg = r["StreamingDistribution"]["StreamingDistributionConfig"]
                cfg["S3Origin"]["DomainName"] = "mybucket.s3.amazonaws.com"
                cfg["CallerReference"] = new_ref()
                self.assertClientError("IllegalUpdate", 400, c.update_streaming_distribution,
                                       Id=r["StreamingDistribution"]["Id"], IfMatch=r["ETag"],
                                       StreamingDistributionConfig=cfg)

    def test_cname_clash_with_web_distribution(self):
        alias = unique_alias("rtmp")
        self.cf.create_distribution(DistributionConfig=dist_config(aliases=[alias]))
        for version, c in self.clients().items():
            with self.subTest(version=version, direction="web->streaming"):
                self.assertClientError("CNAMEAlreadyExists", 409, c.create_streaming_distribution,
                                       StreamingDistributionConfig=streaming_config(aliases=[alias]))
        alias2 = unique_alias("rtmp2")
        s = self.cf.create_streaming_distribution(StreamingDistributionConfig=streaming_config(aliases=[alias2]))
        self.assertEqual(s["StreamingDistribution"]["StreamingDistributionConfig"]["Aliases"]["Items"], [alias2])
        with self.subTest(direction="streaming->web"):
            self.assertClientError("CNAMEAlreadyExists", 409, self.cf.create_distribution,
                                   DistributionConfig=dist_config(aliases=[alias2]))
        with self.subTest(direction="streaming->streaming"):
            self.assertClientError("CNAMEAlreadyExists", 409, self.cf16.create_streaming_distribution,
                                   StreamingDistributionConfig=streaming_config(aliases=[alias2]))
        with self.subTest(direction="update"):
            o = self.cf.create_streaming_distribution(StreamingDistributionConfig=streaming_config())
            cfg = o["StreamingDistribution"]["StreamingDistributionConfig"]
            cfg["Aliases"] = {"Quantity": 1, "Items": [alias]}
            self.assertClientError("CNAMEAlreadyExists", 409, self.cf.update_streaming_distribution,
                                   Id=o["StreamingDistribution"]["Id"], IfMatch=o["ETag"],
                                   StreamingDistributionConfig=cfg)

    def test_inconsistent_quantities_and_bad_oai(self):
        for version, c in self.clients().items():
            with self.subTest(version=version, case="quantities"):
                cfg = streaming_config()
                cfg["Aliases"] = {"Quantity": 2, "Items": [unique_alias()]}
                self.assertClientError("InconsistentQuantities", 400, c.create_streaming_distribution,
                                       StreamingDistributionConfig=cfg)
            with self.subTest(version=version, case="oai"):
                cfg = streaming_config(oai="origin-access-identity/cloudfront/ENOSUCHOAI00002")
                self.assertClientError("InvalidOriginAccessIdentity", 400, c.create_streaming_distribution,
                                       StreamingDistributionConfig=cfg)

    def test_missing_and_malformed_body(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                r = self.server.raw("POST", "/%s/streaming-distribution" % version)
                self.assertRawError(r, "MissingBody", 400, version)
                body = serialize_body(self.clients()[version], "CreateStreamingDistribution",
                                      {"StreamingDistributionConfig": streaming_config()})
                r = self.server.raw("POST", "/%s/streaming-distribution" % version, body=body[:-20])
                self.assertRawError(r, "MalformedXML", 400, version)

    def test_pagination(self):
        made = [self.cf.create_streaming_distribution(StreamingDistributionConfig=streaming_config())
                ["StreamingDistribution"]["Id"] for _ in range(3)]
        for version, c in self.clients().items():
            with self.subTest(version=version):
                ids, marker, pages = [], None, 0
                while True:
                    kw = {"MaxItems": "1"}
                    if marker:
                        kw["Marker"] = marker
                    dl = c.list_streaming_distributions(**kw)["StreamingDistributionList"]
                    pages += 1
                    self.assertLessEqual(dl["Quantity"], 1)
                    ids += [i["Id"] for i in dl.get("Items", [])]
                    if not dl["IsTruncated"]:
                        break
                    marker = dl["NextMarker"]
                    self.assertLess(pages, 500)
                self.assertEqual(len(ids), len(set(ids)))
                pos = [ids.index(x) for x in made]
                self.assertEqual(pos, sorted(pos))
                self.assertClientError("InvalidArgument", 400, c.list_streaming_distributions, MaxItems="abc")


if __name__ == "__main__":
    unittest.main()
