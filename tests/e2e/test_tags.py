"""Tagging (2020-05-31): TagResource / UntagResource / ListTagsForResource."""

import unittest

from harness import ACCOUNT_ID, ServerTestCase, dist_config, streaming_config


def tags(*pairs):
    return {"Items": [{"Key": k, "Value": v} for k, v in pairs]}


class TestTags(ServerTestCase):

    def _dist_arn(self):
        return self.cf.create_distribution(DistributionConfig=dist_config())["Distribution"]["ARN"]

    def _streaming_arn(self):
        return self.cf.create_streaming_distribution(StreamingDistributionConfig=streaming_config())[
            "StreamingDistribution"]["ARN"]

    def _list(self, arn):
        r = self.cf.list_tags_for_resource(Resource=arn)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        return sorted((t["Key"], t.get("Value", "")) for t in r["Tags"].get("Items", []))

    def test_tag_untag_list(self):
        for kind, make in (("distribution", self._dist_arn), ("streaming-distribution", self._streaming_arn)):
            with self.subTest(kind=kind):
                arn = make()
                self.assertRegex(arn, r"^arn:aws:cloudfront::%s:%s/E[A-Z0-9]+$" % (ACCOUNT_ID, kind))
                self.assertEqual(self._list(arn), [])
                r = self.cf.tag_resource(Resource=arn, Tags=tags(("a", "1"), ("b", "2"), ("empty", "")))
                self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
                self.assertEqual(self._list(arn), [("a", "1"), ("b", "2"), ("empty", "")])
                # overwrite value, add one
                self.cf.tag_resource(Resource=arn, Tags=tags(("a", "one"), ("c", "3")))
                self.assertEqual(self._list(arn), [("a", "one"), ("b", "2"), ("c", "3"), ("empty", "")])
                r = self.cf.untag_resource(Resource=arn, TagKeys={"Items": ["b", "empty", "not-there"]})
                self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
                self.assertEqual(self._list(arn), [("a", "one"), ("c", "3")])

    def test_tags_do_not_change_distribution_etag(self):
        r = self.cf.create_distribution(DistributionConfig=dist_config())
        self.cf.tag_resource(Resource=r["Distribution"]["ARN"], Tags=tags(("k", "v")))
        self.assertEqual(self.cf.get_distribution(Id=r["Distribution"]["Id"])["ETag"], r["ETag"])

    def test_malformed_arn(self):
        for arn in ("not-an-arn", "arn:aws:s3:::mybucket", "arn:aws:cloudfront::%s:bogus/E123" % ACCOUNT_ID):
            with self.subTest(arn=arn):
                self.assertClientError("InvalidArgument", 400, self.cf.list_tags_for_resource, Resource=arn)
                self.assertClientError("InvalidArgument", 400, self.cf.tag_resource, Resource=arn, Tags=tags(("a", "b")))
                self.assertClientError("InvalidArgument", 400, self.cf.untag_resource, Resource=arn,
                                       TagKeys={"Items": ["a"]})

    def test_unknown_resource(self):
        for arn in ("arn:aws:cloudfront::%s:distribution/ENOSUCHDIST0003" % ACCOUNT_ID,
                    "arn:aws:cloudfront::%s:streaming-distribution/ENOSUCHDIST0003" % ACCOUNT_ID):
            with self.subTest(arn=arn):
                self.assertClientError("NoSuchResource", 404, self.cf.list_tags_for_resource, Resource=arn)
                self.assertClientError("NoSuchResource", 404, self.cf.tag_resource, Resource=arn, Tags=tags(("a", "b")))
                self.assertClientError("NoSuchResource", 404, self.cf.untag_resource, Resource=arn,
                                       TagKeys={"Items": ["a"]})

    def test_foreign_arn(self):
        # A well-formed ARN of a resource that is not ours (another account,
        # another partition, a region) names nothing here, even with the id
        # of one of our distributions.
        arn = self._dist_arn()
        self.cf.tag_resource(Resource=arn, Tags=tags(("team", "web")))
        dist = arn.rsplit("/", 1)[1]
        for foreign in ("arn:aws:cloudfront::999999999999:distribution/%s" % dist,
                        "arn:aws-cn:cloudfront::%s:distribution/%s" % (ACCOUNT_ID, dist),
                        "arn:aws:cloudfront:us-east-1:%s:distribution/%s" % (ACCOUNT_ID, dist)):
            with self.subTest(arn=foreign):
                self.assertClientError("NoSuchResource", 404, self.cf.list_tags_for_resource, Resource=foreign)
                self.assertClientError("NoSuchResource", 404, self.cf.tag_resource, Resource=foreign,
                                       Tags=tags(("a", "b")))
                self.assertClientError("NoSuchResource", 404, self.cf.untag_resource, Resource=foreign,
                                       TagKeys={"Items": ["team"]})
        self.assertEqual(self._list(arn), [("team", "web")])

    def test_reserved_and_duplicate_keys(self):
        # "Tagging Amazon CloudFront distributions", tag restrictions: aws: is
        # reserved; a key given twice in one request is refused.
        arn = self._dist_arn()
        for name, t in (("aws: prefix", [("aws:owner", "me")]), ("key twice", [("k", "1"), ("k", "2")])):
            with self.subTest(case=name):
                self.assertClientError("InvalidTagging", 400, self.cf.tag_resource, Resource=arn, Tags=tags(*t))
                cfg = dist_config()
                self.assertClientError("InvalidTagging", 400, self.cf.create_distribution_with_tags,
                                       DistributionConfigWithTags={"DistributionConfig": cfg, "Tags": tags(*t)})
        self.assertEqual(self._list(arn), [], "a rejected TagResource must change nothing")
        self.cf.tag_resource(Resource=arn, Tags=tags(("Env", "a"), ("env", "b"), ("x-aws:y", "c")))
        self.assertEqual(self._list(arn), [("Env", "a"), ("env", "b"), ("x-aws:y", "c")])

    def test_too_many_tags(self):
        arn = self._dist_arn()
        self.assertClientError("InvalidTagging", 400, self.cf.tag_resource, Resource=arn,
                               Tags=tags(*[("k%02d" % i, "v") for i in range(51)]))
        self.assertEqual(self._list(arn), [], "a rejected TagResource must change nothing")
        self.cf.tag_resource(Resource=arn, Tags=tags(*[("k%02d" % i, "v") for i in range(50)]))
        self.assertEqual(len(self._list(arn)), 50)
        # re-tagging existing keys is fine; one more key is not
        self.cf.tag_resource(Resource=arn, Tags=tags(("k00", "new")))
        self.assertClientError("InvalidTagging", 400, self.cf.tag_resource, Resource=arn, Tags=tags(("k50", "v")))
        self.assertEqual(len(self._list(arn)), 50)

    def test_invalid_tag_key_and_value(self):
        arn = self._dist_arn()
        for name, t in (("key too long", ("k" * 129, "v")), ("value too long", ("k", "v" * 257))):
            with self.subTest(case=name):
                self.assertClientError("InvalidTagging", 400, self.cf.tag_resource, Resource=arn, Tags=tags(t))
        self.cf.tag_resource(Resource=arn, Tags=tags(("k" * 128, "v" * 256)))
        self.assertEqual(self._list(arn), [("k" * 128, "v" * 256)])

    def test_tags_removed_with_distribution(self):
        r = self.cf.create_distribution(DistributionConfig=dist_config())
        arn, did = r["Distribution"]["ARN"], r["Distribution"]["Id"]
        self.cf.tag_resource(Resource=arn, Tags=tags(("gone", "soon")))
        self.delete_dist(did)
        self.assertClientError("NoSuchResource", 404, self.cf.list_tags_for_resource, Resource=arn)


if __name__ == "__main__":
    unittest.main()
