"""A request body whose meaning is ambiguous is refused with MalformedXML (400),
not guessed: a repeated non-list element (two <Comment>s), or elements in a
namespace other than the API version's own (a future version's, the other
version's, a stranger's). Bodies without any namespace are read as the
version's own (the request path names the version). The bodies are boto3's own
serialisation, edited, and sent as raw signed requests."""

import unittest

from harness import NS, V2016, V2020, ServerTestCase, dist_config, new_ref, serialize_body

VERSIONS = (V2020, V2016)


class AmbiguousXMLTest(ServerTestCase):

    def body(self, version, comment="e2e"):
        return serialize_body(self.clients()[version], "CreateDistribution",
                              {"DistributionConfig": dist_config(version, ref=new_ref("amb"), comment=comment)})

    def create(self, version, body):
        return self.server.raw("POST", "/%s/distribution" % version, body=body, headers={"Content-Type": "application/xml"})

    def count(self):
        return self.cf.list_distributions()["DistributionList"]["Quantity"]

    def test_refused(self):
        before = self.count()
        for version in VERSIONS:
            ns = NS[version].encode()
            other = NS[V2016 if version == V2020 else V2020].encode()
            cases = {
                "duplicate Comment": self.body(version, comment="first").replace(
                    b"<Comment>first</Comment>", b"<Comment>first</Comment><Comment>second</Comment>"),
                "duplicate Enabled": self.body(version).replace(b"<Enabled>true</Enabled>", b"<Enabled>true</Enabled><Enabled>false</Enabled>"),
                "duplicate nested Id": self.body(version).replace(b"<Id>origin1</Id>", b"<Id>origin1</Id><Id>origin2</Id>"),
                "unknown version's namespace": self.body(version).replace(ns, b"http://cloudfront.amazonaws.com/doc/2099-01-01/"),
                "the other version's namespace": self.body(version).replace(ns, other),
                "foreign namespace on a member": self.body(version).replace(b"<Comment>", b'<Comment xmlns="urn:other">'),
            }
            for name, body in cases.items():
                with self.subTest(version=version, case=name):
                    self.assertNotEqual(body, self.body(version))
                    r = self.create(version, body)
                    self.assertRawError(r, "MalformedXML", 400, version)
        self.assertEqual(self.count(), before, "a refused body created a distribution")

    def test_accepted(self):
        for version in VERSIONS:
            ns = NS[version].encode()
            for name, body in {
                "own namespace": self.body(version),
                "no namespace": self.body(version).replace(b' xmlns="%s"' % ns, b""),
                "prefixed own namespace": self.body(version).replace(b"<DistributionConfig xmlns=", b"<DistributionConfig xmlns:cf=")
                                                          .replace(b"<", b"<cf:").replace(b"<cf:/", b"</cf:").replace(b"<cf:?", b"<?"),
            }.items():
                with self.subTest(version=version, case=name):
                    r = self.create(version, body)
                    self.assertEqual(r.status, 201, r.body[:600])


if __name__ == "__main__":
    unittest.main()
