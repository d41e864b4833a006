"""An API node over etcd while etcd is unreachable: hung (SIGSTOP, its port
still accepts connections but nothing answers) or down (kill -9). CloudFront
API calls fail fast, within a few seconds, with CloudFront's 503
ServiceUnavailable instead of hanging until the client gives up; the edge
keeps serving, for as long as the outage lasts (also past its lease TTL:
TestLongEtcdOutage); once etcd is back the API works again, the edge is
counted again and the data stored before the outage is intact. Skipped when
no etcd binary is installed."""

import http.client
import time
import unittest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import NS, REGION, V2016, V2020, Server, dist_config, new_ref, wait_deployed
from test_cluster import Etcd
from test_edge import Origin, origin_for

# The store gives up on etcd after 3 s (etcdstore.DefaultRequestTimeout);
# allow for a loaded machine.
FAST = 8.0
# TestLongEtcdOutage: the edge's --edge-lease-ttl, and an outage well past it.
LEASE_TTL = 3
LONG_OUTAGE = 8.0


class TestEtcdOutage(unittest.TestCase):
    # The node's flags besides --etcd-endpoints.
    FLAGS = []

    @classmethod
    def setUpClass(cls):
        cls.etcd = Etcd()
        cls.origin = Origin()
        try:
            cls.server = Server(extra_args=["--etcd-endpoints", cls.etcd.client_url] + cls.FLAGS).start()
        except BaseException:
            cls.origin.close()
            cls.etcd.stop()
            raise
        cls.cf = cls.server.client(V2020)
        cls.cf16 = cls.server.client(V2016)
        cls.ls = boto3.session.Session(aws_access_key_id=cls.server.access_key, aws_secret_access_key=cls.server.secret_key,
                                       region_name=REGION).client(
            "lightsail", endpoint_url=cls.server.endpoint, config=Config(retries={"total_max_attempts": 1}, read_timeout=30))

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop(10)
        stderr = cls.server.stderr()
        cls.origin.close()
        cls.etcd.stop()
        if rc != 0:
            raise AssertionError("openfront exited %r on SIGTERM:\n%s" % (rc, stderr))

    def edge_get(self, host, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.edge_port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": host})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def assertUnavailable(self, fn, **kwargs):
        """fn fails with 503 ServiceUnavailable, fast."""
        t0 = time.monotonic()
        with self.assertRaises(ClientError) as cm:
            fn(**kwargs)
        took = time.monotonic() - t0
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("ServiceUnavailable", 503),
                         err["Error"].get("Message"))
        self.assertLess(took, FAST, "%s took %.1fs to fail" % (fn.__name__, took))

    def assertOutage(self, dist, host):
        """What an outage looks like from outside: API 503s, the edge still serves."""
        self.assertUnavailable(self.cf.list_distributions)
        self.assertUnavailable(self.cf16.get_distribution_config, Id=dist["Id"])
        self.assertUnavailable(self.cf.create_distribution,
                               DistributionConfig=dist_config(V2020, ref=new_ref("outage"), origins=[origin_for(self.origin)]))
        self.assertUnavailable(self.ls.get_distributions)  # Lightsail's JSON form, same status
        # CloudFront's ErrorResponse XML, Receiver fault, in the request's namespace.
        t0 = time.monotonic()
        r = self.server.raw("GET", "/2020-05-31/distribution/" + dist["Id"])
        self.assertLess(time.monotonic() - t0, FAST)
        err = r.error()
        self.assertEqual((r.status, err["_root"], err["_ns"], err.get("Code"), err.get("Type")),
                         (503, "ErrorResponse", NS[V2020], "ServiceUnavailable", "Receiver"), r.body)
        # The edge serves from its last snapshot: cached and new objects alike.
        for path in ("/outage/cached", "/outage/new-%d" % time.monotonic_ns()):
            status, body = self.edge_get(host, path)
            self.assertEqual(status, 200, body)

    def assertRecovered(self, dist, config):
        deadline = time.monotonic() + 20
        while True:
            try:
                got = self.cf.get_distribution_config(Id=dist["Id"])
                break
            except ClientError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.assertEqual(got["DistributionConfig"], config)
        ids = [d["Id"] for d in self.cf.list_distributions()["DistributionList"].get("Items", [])]
        self.assertEqual(ids, [dist["Id"]], "only the distribution created before the outage exists")

    def test_outage(self):
        dist = self.cf.create_distribution(DistributionConfig=dist_config(
            V2020, ref=new_ref("before"), origins=[origin_for(self.origin)]))["Distribution"]
        wait_deployed(self.cf, dist["Id"], timeout=10)
        config = self.cf.get_distribution_config(Id=dist["Id"])["DistributionConfig"]
        host = dist["DomainName"]
        self.assertEqual(self.edge_get(host, "/outage/cached")[0], 200)

        for outage, stop, restart in (("etcd hung (SIGSTOP)", self.etcd.pause, self.etcd.resume),
                                      ("etcd killed", self.etcd.kill, self.etcd.start)):
            with self.subTest(outage=outage):
                stop()
                try:
                    self.assertOutage(dist, host)
                finally:
                    restart()
                self.assertRecovered(dist, config)


class TestLongEtcdOutage(TestEtcdOutage):
    """An outage longer than the edge's lease TTL. The edge cannot tell it from a partition
    that cut off only itself, and keeps its promise to serve through an etcd outage: it serves
    (and /healthz answers 200) for the whole outage, though etcd expires its lease meanwhile;
    once etcd is back it takes a new lease, is counted again and serves on."""
    FLAGS = ["--edge-lease-ttl", "%ds" % LEASE_TTL]

    def test_outage(self):
        dist = self.cf.create_distribution(DistributionConfig=dist_config(
            V2020, ref=new_ref("before"), origins=[origin_for(self.origin)]))["Distribution"]
        wait_deployed(self.cf, dist["Id"], timeout=10)
        config = self.cf.get_distribution_config(Id=dist["Id"])["DistributionConfig"]
        host = dist["DomainName"]
        self.assertEqual(self.edge_get(host, "/outage/cached")[0], 200)

        for outage, stop, restart in (("etcd hung (SIGSTOP)", self.etcd.pause, self.etcd.resume),
                                      ("etcd killed", self.etcd.kill, self.etcd.start)):
            with self.subTest(outage=outage):
                stop()
                t0 = time.monotonic()
                try:
                    self.assertUnavailable(self.cf.list_distributions)
                    while time.monotonic() - t0 < LONG_OUTAGE:
                        for path in ("/outage/cached", "/outage/new-%d" % time.monotonic_ns()):
                            status, body = self.edge_get(host, path)
                            self.assertEqual(status, 200, "%.1f s into the outage (lease TTL %d s): %s"
                                             % (time.monotonic() - t0, LEASE_TTL, body))
                        self.assertEqual(self.server.raw("GET", "/healthz", sign=False).status, 200)
                        time.sleep(0.25)
                finally:
                    restart()
                self.assertRecovered(dist, config)
                # Counted again (under a new lease if etcd expired the old one): serves, healthy.
                deadline = time.monotonic() + FAST + LEASE_TTL
                while (self.edge_get(host, "/outage/cached")[0], self.server.raw("GET", "/healthz", sign=False).status) != (200, 200):
                    self.assertLess(time.monotonic(), deadline, "the edge does not serve again after the outage")
                    time.sleep(0.1)


if __name__ == "__main__":
    unittest.main()
