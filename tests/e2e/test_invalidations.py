"""Invalidations."""

import time
import unittest

from harness import (INVALIDATION_ID_RE, V2016, V2020, VERSIONS, ServerTestCase, dist_config, new_ref,
                     wait_invalidation_completed)


def batch(paths, ref=None, quantity=None):
    return {"Paths": {"Quantity": len(paths) if quantity is None else quantity, "Items": list(paths)},
            "CallerReference": ref or new_ref("inv")}


class TestInvalidations(ServerTestCase):

    def _dist(self, version=V2020, **kw):
        c = self.clients()[version]
        return c.create_distribution(DistributionConfig=dist_config(version, **kw))["Distribution"]["Id"]

    def test_create_get_complete(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                c = self.clients()[version]
                did = self._dist(version)
                b = batch(["/index.html", "/images/*"])
                r = c.create_invalidation(DistributionId=did, InvalidationBatch=b)
                self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
                inv = r["Invalidation"]
                self.assertRegex(inv["Id"], INVALIDATION_ID_RE)
                self.assertEqual(inv["Status"], "InProgress")
                self.assertIn("CreateTime", inv)
                self.assertEqual(inv["InvalidationBatch"], b)
                self.assertTrue(r.get("Location", "").endswith(
                    "/%s/distribution/%s/invalidation/%s" % (version, did, inv["Id"])), r.get("Location"))
                self.assertNotIn("etag", r["ResponseMetadata"]["HTTPHeaders"])

                t0 = time.time()
                done = wait_invalidation_completed(c, did, inv["Id"])
                self.assertLess(time.time() - t0, 2.0)
                self.assertEqual(done["Invalidation"]["InvalidationBatch"], b)
                self.assertEqual(done["Invalidation"]["CreateTime"], inv["CreateTime"])
                self.assertEqual(c.get_distribution(Id=did)["Distribution"]["InProgressInvalidationBatches"], 0)

    def test_in_progress_invalidation_batches(self):
        did = self._dist()
        r = self.cf.create_invalidation(DistributionId=did, InvalidationBatch=batch(["/a", "/b"]))
        n = self.cf.get_distribution(Id=did)["Distribution"]["InProgressInvalidationBatches"]
        st = self.cf.get_invalidation(DistributionId=did, Id=r["Invalidation"]["Id"])["Invalidation"]["Status"]
        self.assertIn(n, (0, 1))
        if st == "InProgress":
            # the distribution was read before the invalidation, so it must have counted it
            self.assertEqual(n, 1)
        wait_invalidation_completed(self.cf, did, r["Invalidation"]["Id"])
        self.assertEqual(self.cf.get_distribution(Id=did)["Distribution"]["InProgressInvalidationBatches"], 0)
        self.assertEqual(self.cf16.get_distribution(Id=did)["Distribution"]["InProgressInvalidationBatches"], 0)

    def test_list_most_recent_first_and_pagination(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                c = self.clients()[version]
                did = self._dist(version)
                made = []
                for i in range(4):
                    made.append(c.create_invalidation(DistributionId=did, InvalidationBatch=batch(["/p%d" % i]))
                                ["Invalidation"]["Id"])
                    time.sleep(0.02)
                lst = c.list_invalidations(DistributionId=did)["InvalidationList"]
                self.assertEqual(lst["Quantity"], 4)
                self.assertFalse(lst["IsTruncated"])
                self.assertEqual([i["Id"] for i in lst["Items"]], list(reversed(made)))
                for s in lst["Items"]:
                    self.assertEqual(set(s), {"Id", "CreateTime", "Status"})
                    self.assertIn(s["Status"], ("InProgress", "Completed"))
                ids, marker = [], None
                for _ in range(10):
                    kw = {"DistributionId": did, "MaxItems": "3"}
                    if marker:
                        kw["Marker"] = marker
                    page = c.list_invalidations(**kw)["InvalidationList"]
                    self.assertLessEqual(page["Quantity"], 3)
                    self.assertEqual(page["MaxItems"], 3)
                    ids += [i["Id"] for i in page.get("Items", [])]
                    if not page["IsTruncated"]:
                        self.assertFalse(page.get("NextMarker"))
                        break
                    marker = page["NextMarker"]
                self.assertEqual(ids, list(reversed(made)))
                self.assertClientError("InvalidArgument", 400, c.list_invalidations, DistributionId=did, MaxItems="x")

    def test_empty_list(self):
        did = self._dist()
        lst = self.cf.list_invalidations(DistributionId=did)["InvalidationList"]
        self.assertEqual(lst["Quantity"], 0)
        self.assertFalse(lst["IsTruncated"])
        self.assertNotIn("Items", lst)

    def test_invalid_paths(self):
        did = self._dist()
        for version, c in self.clients().items():
            for paths in (["no-leading-slash"], ["/ok", "images/*"], ["/a*b"], ["/*/x"]):
                with self.subTest(version=version, paths=paths):
                    self.assertClientError("InvalidArgument", 400, c.create_invalidation, DistributionId=did,
                                           InvalidationBatch=batch(paths))
        self.assertEqual(self.cf.list_invalidations(DistributionId=did)["InvalidationList"]["Quantity"], 0)

    def test_paths_echoed_byte_for_byte(self):
        did = self._dist()
        paths = ["/Images/Photo%20One.JPG", "/a/B~c_d-e.f", "/*"]
        r = self.cf.create_invalidation(DistributionId=did, InvalidationBatch=batch(paths))
        got = self.cf.get_invalidation(DistributionId=did, Id=r["Invalidation"]["Id"])
        self.assertEqual(got["Invalidation"]["InvalidationBatch"]["Paths"]["Items"], paths)

    def test_batch_too_large(self):
        did = self._dist()
        paths = ["/f%d" % i for i in range(3001)]
        for version, c in self.clients().items():
            with self.subTest(version=version):
                self.assertClientError("BatchTooLarge", 413, c.create_invalidation, DistributionId=did,
                                       InvalidationBatch=batch(paths))

    def test_3000_paths_accepted(self):
        did = self._dist()
        r = self.cf.create_invalidation(DistributionId=did, InvalidationBatch=batch(["/g%d" % i for i in range(3000)]))
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        wait_invalidation_completed(self.cf, did, r["Invalidation"]["Id"])

    def test_inconsistent_quantities(self):
        did = self._dist()
        for version, c in self.clients().items():
            with self.subTest(version=version):
                self.assertClientError("InconsistentQuantities", 400, c.create_invalidation, DistributionId=did,
                                       InvalidationBatch=batch(["/a"], quantity=2))

    def test_caller_reference(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                c = self.clients()[version]
                did = self._dist(version)
                ref = new_ref("inv")
                r1 = c.create_invalidation(DistributionId=did, InvalidationBatch=batch(["/x", "/y"], ref))
                r2 = c.create_invalidation(DistributionId=did, InvalidationBatch=batch(["/x", "/y"], ref))
                self.assertEqual(r2["ResponseMetadata"]["HTTPStatusCode"], 201)
                self.assertEqual(r2["Invalidation"]["Id"], r1["Invalidation"]["Id"])
                self.assertClientError("InvalidationBatchAlreadyExists", 409, c.create_invalidation,
                                       DistributionId=did, InvalidationBatch=batch(["/z"], ref))
                self.assertEqual(c.list_invalidations(DistributionId=did)["InvalidationList"]["Quantity"], 1)

    def test_unknown_distribution_and_invalidation(self):
        for version, c in self.clients().items():
            with self.subTest(version=version):
                self.assertClientError("NoSuchDistribution", 404, c.create_invalidation, DistributionId="ENOSUCHDIST0002",
                                       InvalidationBatch=batch(["/a"]))
                self.assertClientError("NoSuchDistribution", 404, c.list_invalidations, DistributionId="ENOSUCHDIST0002")
                self.assertClientError("NoSuchDistribution", 404, c.get_invalidation, DistributionId="ENOSUCHDIST0002",
                                       Id="I2J0I21PCUYOIK")
                did = self._dist(version)
                self.assertClientError("NoSuchInvalidation", 404, c.get_invalidation, DistributionId=did,
                                       Id="INOSUCHINVAL01")

    def test_invalidation_of_other_distribution(self):
        a, b = self._dist(), self._dist()
        inv = self.cf.create_invalidation(DistributionId=a, InvalidationBatch=batch(["/a"]))["Invalidation"]["Id"]
        for version, c in self.clients().items():
            with self.subTest(version=version):
                self.assertEqual(c.get_invalidation(DistributionId=a, Id=inv)["Invalidation"]["Id"], inv)
                self.assertClientError("NoSuchInvalidation", 404, c.get_invalidation, DistributionId=b, Id=inv)

    def test_disabled_distribution_accepts_invalidations(self):
        r = self.cf.create_distribution(DistributionConfig=dist_config(enabled=False))
        did = r["Distribution"]["Id"]
        inv = self.cf.create_invalidation(DistributionId=did, InvalidationBatch=batch(["/*"]))
        wait_invalidation_completed(self.cf, did, inv["Invalidation"]["Id"])

    def test_missing_and_malformed_body(self):
        did = self._dist()
        for version in VERSIONS:
            with self.subTest(version=version):
                path = "/%s/distribution/%s/invalidation" % (version, did)
                self.assertRawError(self.server.raw("POST", path), "MissingBody", 400, version)
                self.assertRawError(self.server.raw("POST", path, body="<InvalidationBatch><Paths>"),
                                    "MalformedXML", 400, version)


if __name__ == "__main__":
    unittest.main()
