"""Real-time logs end to end (issue 17): real-time log configurations made
with boto3's CloudFront client, attached to a cache behaviour, traffic sent
to the edge, and the Kinesis records read back from moto's Kinesis with
boto3's kinesis client (get_shard_iterator / get_records). A dead Kinesis
endpoint must not block or slow requests, and its failures are counted in
/metrics.

Skips (with the reason) only when moto is missing.
"""

import os
import tempfile
import time
import unittest
import uuid

import boto3
from botocore.exceptions import ClientError

from harness import (MotoServer, V2020, Server, _rmtree_later, dist_config, free_port, legacy_behavior, wait_deployed)
from test_edge import Origin, origin_for
from test_metrics import parse_metrics
from test_private_content import edge_get

try:
    import moto  # noqa: F401
    HAVE_MOTO = True
except ImportError:  # pragma: no cover
    HAVE_MOTO = False
NEED_MOTO = "moto not installed (python3 -m moto.server is the Kinesis endpoint of these tests)"

KINESIS_KEY, KINESIS_SECRET = "AKIAOPENFRONTKINESIS", "kinesisE2ESecret/OpenFront+0123456789abc"
ROLE_ARN = "arn:aws:iam::123456789012:role/CloudFront-RealtimeLogs"
FIELDS = ["timestamp", "x-edge-location", "c-ip", "sc-status", "cs-method", "cs-uri-stem", "cs-uri-query", "x-edge-request-id",
          "x-edge-result-type", "cs-user-agent", "cs-host", "x-host-header", "cache-behavior-path-pattern",
          "sc-content-len", "cs-referer", "c-ip-version", "primary-distribution-id"]


class MotoKinesis(MotoServer):
    """moto's server with a boto3 kinesis client (self.kinesis)."""

    def __init__(self, tmp):
        super().__init__(tmp, "kinesis", KINESIS_KEY, KINESIS_SECRET)
        self.kinesis = self.client

    def stream(self, name):
        """Creates a one-shard stream; returns its ARN and shard id."""
        self.kinesis.create_stream(StreamName=name, ShardCount=1)
        desc = self.kinesis.describe_stream(StreamName=name)["StreamDescription"]
        return desc["StreamARN"], desc["Shards"][0]["ShardId"]

    def records(self, name, shard):
        it = self.kinesis.get_shard_iterator(StreamName=name, ShardId=shard,
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        return self.kinesis.get_records(ShardIterator=it, Limit=1000)["Records"]


def rt_config(cf, name, stream_arn, fields=FIELDS, rate=100):
    return cf.create_realtime_log_config(
        Name=name, SamplingRate=rate, Fields=fields,
        EndPoints=[{"StreamType": "Kinesis", "KinesisStreamConfig": {"RoleARN": ROLE_ARN, "StreamARN": stream_arn}}],
    )["RealtimeLogConfig"]


def logged_dist(cf, origin, config_arn):
    """A distribution whose default behaviour has the real-time log config;
    its /other/* behaviour has none."""
    logged = legacy_behavior("web")
    logged.update({"RealtimeLogConfigArn": config_arn,
                   "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "none"}}})
    other = legacy_behavior("web")
    other["PathPattern"] = "/other/*"
    cfg = dist_config(V2020, origins=[origin_for(origin)], behavior=logged,
                      CacheBehaviors={"Quantity": 1, "Items": [other]})
    d = cf.create_distribution(DistributionConfig=cfg)["Distribution"]
    wait_deployed(cf, d["Id"])
    return d


@unittest.skipIf(not HAVE_MOTO, NEED_MOTO)
class TestRealtimeLogs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="openfront-e2e-rtlogs-")
        _rmtree_later(cls.tmp)
        cls.moto = MotoKinesis(cls.tmp)
        cls.origin = Origin()

    @classmethod
    def tearDownClass(cls):
        cls.origin.close()
        cls.moto.close()

    def start_server(self, kinesis_endpoint):
        # --kinesis-region as the command-line contract names it (the
        # streams' ARNs name their region, which wins).
        srv = Server(extra_args=["--kinesis-endpoint", kinesis_endpoint, "--kinesis-region", "us-east-1"],
                     env={"OPENFRONT_KINESIS_ACCESS_KEY_ID": KINESIS_KEY,
                          "OPENFRONT_KINESIS_SECRET_ACCESS_KEY": KINESIS_SECRET}).start()
        self.addCleanup(srv.kill)
        return srv

    def metric(self, srv, config, outcome):
        r = srv.raw("GET", "/metrics", sign=False)
        for name, labels, value in parse_metrics(r.body.decode()):
            if name == "openfront_realtime_log_records_total" and labels == {"config": config, "outcome": outcome}:
                return value
        return 0.0

    def test_records_read_back_from_kinesis(self):
        srv = self.start_server(self.moto.endpoint)
        cf = srv.client(V2020)
        stream = "cf-rt-%s" % uuid.uuid4().hex[:8]
        stream_arn, shard = self.moto.stream(stream)
        name = "rt-%s" % uuid.uuid4().hex[:8]
        cfg = rt_config(cf, name, stream_arn)
        self.assertEqual(cfg["ARN"], "arn:aws:cloudfront::123456789012:realtime-log-config/" + name)
        self.assertEqual(cfg["Fields"], FIELDS)
        self.assertEqual(cf.get_realtime_log_config(ARN=cfg["ARN"])["RealtimeLogConfig"], cfg)
        self.assertIn(name, [c["Name"] for c in cf.list_realtime_log_configs()["RealtimeLogConfigs"].get("Items", [])])

        d = logged_dist(cf, self.origin, cfg["ARN"])
        listed = cf.list_distributions_by_realtime_log_config(RealtimeLogConfigName=name)["DistributionList"]
        self.assertEqual([x["Id"] for x in listed["Items"]], [d["Id"]])
        with self.assertRaises(ClientError) as e:
            cf.delete_realtime_log_config(Name=name)
        self.assertEqual(e.exception.response["Error"]["Code"], "RealtimeLogConfigInUse")

        ua = "rt e2e/1.0 (tab\there)"
        sent = [("/rt/a.txt?x=1", 200, "Miss"), ("/rt/a.txt?x=1", 200, "Hit"), ("/missing/rt", 404, "Error")]
        ids = []
        for target, status, _ in sent:
            st, h, _ = edge_get(srv, d["DomainName"], target, {"User-Agent": ua, "Referer": "http://example.com/"})
            self.assertEqual(st, status, target)
            ids.append(h["x-amz-cf-id"])
            pop = h["x-amz-cf-pop"]
        st, _, _ = edge_get(srv, d["DomainName"], "/other/b.txt")  # a behaviour without real-time logs
        self.assertEqual(st, 200)

        deadline, records = time.time() + 15, []
        while time.time() < deadline and len(records) < len(sent):
            records = self.moto.records(stream, shard)
            time.sleep(0.2)
        self.assertEqual(len(records), len(sent), "one Kinesis record per request of the logged behaviour")
        by_id = {}
        for r in records:
            line = r["Data"].decode()
            self.assertTrue(line.endswith("\n"), line)
            values = line[:-1].split("\t")
            self.assertEqual(len(values), len(FIELDS), line)
            rec = dict(zip(FIELDS, values))
            self.assertEqual(r["PartitionKey"], rec["x-edge-request-id"])
            by_id[rec["x-edge-request-id"]] = rec
        self.assertEqual(set(by_id), set(ids))
        now = time.time()
        for rid, (target, status, result) in zip(ids, sent):
            rec = by_id[rid]
            with self.subTest(target=target, result=result):
                self.assertRegex(rec["timestamp"], r"^\d{10}\.\d{3}$")
                self.assertLess(abs(float(rec["timestamp"]) - now), 60)
                self.assertEqual(rec["c-ip"], "127.0.0.1")
                self.assertEqual(rec["c-ip-version"], "IPv4")
                self.assertEqual(rec["sc-status"], str(status))
                self.assertEqual(rec["cs-method"], "GET")
                self.assertEqual(rec["cs-uri-stem"], target.split("?")[0])
                self.assertEqual(rec["cs-uri-query"], "x=1" if "?" in target else "-")
                self.assertEqual(rec["x-edge-result-type"], result)
                self.assertEqual(rec["cs-user-agent"], "rt%20e2e/1.0%20(tab%09here)")
                self.assertEqual(rec["cs-referer"], "http://example.com/")
                self.assertEqual(rec["cs-host"], d["DomainName"])
                self.assertEqual(rec["x-host-header"], d["DomainName"])
                self.assertEqual(rec["cache-behavior-path-pattern"], "*")  # the default behaviour
                self.assertEqual(rec["primary-distribution-id"], d["Id"])
                self.assertEqual(rec["x-edge-location"], pop)
                if status == 200:
                    self.assertRegex(rec["sc-content-len"], r"^\d+$")
        deadline = time.time() + 5
        while time.time() < deadline and self.metric(srv, name, "delivered") < len(sent):
            time.sleep(0.1)
        self.assertEqual(self.metric(srv, name, "delivered"), len(sent))

        # A lower sampling rate is honoured: at 1%, 200 requests give few records.
        cf.update_realtime_log_config(Name=name, SamplingRate=1, Fields=["x-edge-request-id"],
                                      EndPoints=cfg["EndPoints"])
        time.sleep(0.5)  # the edge applies the update
        for i in range(200):
            edge_get(srv, d["DomainName"], "/rt/a.txt?x=1")
        time.sleep(2)
        extra = len(self.moto.records(stream, shard)) - len(sent)
        self.assertLess(extra, 20, "%d of 200 requests logged at a 1%% sampling rate" % extra)

    def test_dead_kinesis_never_slows_requests(self):
        dead = free_port()  # nothing listens there
        srv = self.start_server("http://127.0.0.1:%d" % dead)
        cf = srv.client(V2020)
        name = "rt-dead-%s" % uuid.uuid4().hex[:8]
        cfg = rt_config(cf, name, "arn:aws:kinesis:us-east-1:123456789012:stream/nowhere")
        d = logged_dist(cf, self.origin, cfg["ARN"])
        edge_get(srv, d["DomainName"], "/rt/warm.txt")
        start, slowest = time.time(), 0.0
        for i in range(100):
            t = time.time()
            st, _, _ = edge_get(srv, d["DomainName"], "/rt/warm.txt")
            slowest = max(slowest, time.time() - t)
            self.assertEqual(st, 200)
        self.assertLess(time.time() - start, 5.0, "100 cached requests with a dead Kinesis endpoint")
        self.assertLess(slowest, 0.5)
        deadline = time.time() + 15
        while time.time() < deadline and self.metric(srv, name, "failed") < 101:
            time.sleep(0.2)
        self.assertEqual(self.metric(srv, name, "failed"), 101)
        self.assertEqual(self.metric(srv, name, "delivered"), 0)
        self.assertIn("real-time log delivery failed", srv.stderr())
        self.assertIn("--kinesis-endpoint", srv.stderr())


if __name__ == "__main__":
    unittest.main()
