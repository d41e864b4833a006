"""Multi-node OpenFront over etcd: one `--role api` node and two `--role edge`
nodes share one etcd (Debian's etcd-server, started here on loopback ports).

Checks that concurrent updates through two API nodes all succeed (each
etcd commit can lose to the other node's and run again), that Deployed and
Completed are statements about every live edge
(both serve a distribution once it is Deployed; an invalidation is Completed
only once both have purged), that an edge that stops answering blocks only
until its lease runs out (and, resumed, serves nothing it should have purged
meanwhile), that two edges of one --node-name are each counted, that a
kill -9'd edge stops blocking within about the lease TTL, and that writes
in flight when etcd is killed answer 503. Skipped when no etcd binary is
installed.
"""

import base64
import collections
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import Server, V2020, dist_config, free_port, new_ref, stop_process, wait_deployed, wait_invalidation_completed
from test_edge import Origin, origin_for
from test_policies import cp_config

# The edges' lease TTL (--edge-lease-ttl). etcd runs with a 10 ms heartbeat
# and a 100 ms election timeout, so it grants leases this short.
LEASE_TTL = 2.0
# How long after a change a live fleet reaches Deployed / Completed.
QUICK = 3.0
# How long a dead edge may block: its lease TTL, plus etcd's expiry check
# (every 500 ms) and our polling.
AFTER_LEASE = LEASE_TTL + 3.0


class Etcd:
    """One single-member etcd server on free loopback ports; it can be paused,
    killed and started again on the same ports and data (test_etcd_outage)."""

    def __init__(self):
        self.bin = os.environ.get("OPENFRONT_ETCD") or shutil.which("etcd")
        if not self.bin:
            raise unittest.SkipTest("cluster tests skipped: no etcd binary (Debian: apt-get install etcd-server)")
        self.tmp = tempfile.mkdtemp(prefix="openfront-etcd-")
        self.client_url = "http://127.0.0.1:%d" % free_port()
        self.peer_url = "http://127.0.0.1:%d" % free_port()
        self.start("new")

    def start(self, state="existing"):
        env = dict(os.environ)
        if os.uname().machine not in ("x86_64", "amd64"):
            env["ETCD_UNSUPPORTED_ARCH"] = {"aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
        self.log = open(os.path.join(self.tmp, "etcd.log"), "ab")
        self.proc = subprocess.Popen([
            self.bin, "--name", "e2e", "--data-dir", os.path.join(self.tmp, "data"),
            "--listen-client-urls", self.client_url, "--advertise-client-urls", self.client_url,
            "--listen-peer-urls", self.peer_url, "--initial-advertise-peer-urls", self.peer_url,
            "--initial-cluster", "e2e=" + self.peer_url, "--initial-cluster-state", state,
            "--heartbeat-interval", "10", "--election-timeout", "100",
            "--logger", "zap", "--log-level", "error",
        ], stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL, env=env)
        deadline = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("etcd exited with %s:\n%s" % (self.proc.returncode, self.output()))
            try:
                with urllib.request.urlopen(self.client_url + "/health", timeout=1) as r:
                    if json.load(r).get("health") == "true":
                        return
            except OSError:
                pass
            if time.time() > deadline:
                self.stop()
                raise AssertionError("etcd not healthy after 20s:\n" + self.output())
            time.sleep(0.05)

    def output(self):
        with open(os.path.join(self.tmp, "etcd.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def pause(self):
        """SIGSTOP: the port still accepts connections, nothing answers."""
        stop_process(self.proc)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def kill(self):
        """kill -9, keeping the data for start()."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()

    def stop(self):
        self.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


class TestCluster(unittest.TestCase):
    """Tests run in name order and share the cluster; the last one kills an edge."""

    @classmethod
    def setUpClass(cls):
        cls.etcd = Etcd()
        cls.origin = Origin()
        common = ["--etcd-endpoints", cls.etcd.client_url]
        cls.servers = []
        try:
            cls.api = cls._start(Server(extra_args=common + ["--role", "api"]))
            cls.edges = [cls._start(Server(extra_args=common + [
                "--role", "edge", "--node-name", "edge%d" % i, "--edge-lease-ttl", "%ds" % LEASE_TTL]))
                for i in range(2)]
        except BaseException:
            cls._stop_all()
            raise
        cls.cf = cls.api.client(V2020)

    @classmethod
    def _start(cls, srv):
        cls.servers.append(srv)
        return srv.start()

    @classmethod
    def _stop_all(cls):
        for srv in getattr(cls, "servers", []):
            srv.kill()
        cls.origin.close()
        cls.etcd.stop()

    @classmethod
    def tearDownClass(cls):
        failures = []
        for srv in cls.servers:
            if srv.proc.poll() is None:
                rc = srv.stop(10)
                if rc != 0:
                    failures.append("%s exited %r on SIGTERM:\n%s" % (srv.args()[-1], rc, srv.stderr()))
        cls._stop_all()
        if failures:
            raise AssertionError("\n".join(failures))

    # -- helpers --
    def get(self, edge, host, path):
        conn = http.client.HTTPConnection("127.0.0.1", edge.edge_port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": host})
            r = conn.getresponse()
            return r.status, r.getheader("X-Cache"), r.read()
        finally:
            conn.close()

    def create_dist(self):
        cfg = dist_config(V2020, origins=[origin_for(self.origin)])
        d = self.cf.create_distribution(DistributionConfig=cfg)["Distribution"]
        wait_deployed(self.cf, d["Id"], timeout=QUICK)
        return d

    def invalidate(self, dist_id, path):
        return self.cf.create_invalidation(DistributionId=dist_id, InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": [path]}, "CallerReference": new_ref()})["Invalidation"]

    def status(self, dist_id, inv_id):
        return self.cf.get_invalidation(DistributionId=dist_id, Id=inv_id)["Invalidation"]["Status"]

    def assertCached(self, edge, host, path):
        """The first request is a miss (or a refresh), the next a hit."""
        status, _, _ = self.get(edge, host, path)
        self.assertEqual(status, 200)
        status, cache, _ = self.get(edge, host, path)
        self.assertEqual((status, cache), (200, "Hit from cloudfront"))

    # -- tests --
    def test_1_roles(self):
        # The API node has no edge listener; edge nodes have no API, only /healthz.
        with self.assertRaises(OSError):
            self.get(self.api, "x.cloudfront.localhost", "/")
        for edge in self.edges:
            self.assertEqual(edge.raw("GET", "/healthz", sign=False).status, 200)
            self.assertEqual(edge.raw("GET", "/2020-05-31/distribution").status, 404)
        self.assertEqual(self.api.raw("GET", "/2020-05-31/distribution").status, 200)

    def test_1_lightsail_operations_answer_on_every_api_node(self):
        # Issue 15: Terraform polls GetOperation after each Lightsail change; behind a load
        # balancer the poll may reach another API node, which must know the operation.
        other = self._start(Server(extra_args=["--etcd-endpoints", self.etcd.client_url, "--role", "api"]))
        def lightsail(srv):
            sess = boto3.session.Session(aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key,
                                         region_name="us-east-1")
            return sess.client("lightsail", endpoint_url=srv.endpoint, config=Config(retries={"total_max_attempts": 1}))
        here, there = lightsail(self.api), lightsail(other)
        name = "cluster-" + new_ref("ls")[-10:]
        op = here.create_distribution(distributionName=name, bundleId="small_1_0",
                                      origin={"name": "web", "regionName": "us-east-1"},
                                      defaultCacheBehavior={"behavior": "cache"})["operation"]
        got = there.get_operation(operationId=op["id"])["operation"]
        self.assertEqual(got, op)
        self.assertEqual(got["status"], "Succeeded")
        op = there.delete_distribution(distributionName=name)["operation"]
        self.assertEqual(here.get_operation(operationId=op["id"])["operation"], op)
        self.assertIn(op["id"], [o["id"] for o in here.get_operations_for_resource(resourceName=name)["operations"]])

    def test_1_concurrent_updates_through_two_api_nodes_all_succeed(self):
        # Each etcd commit compares one guard key, so a write loses whenever the other
        # API node wrote first and runs again; the updates that read the request body
        # inside that run answered 400 MissingBody on about a third of these calls.
        other = self._start(Server(extra_args=["--etcd-endpoints", self.etcd.client_url, "--role", "api"]))
        workers, rounds = 8, 8
        dists = [self.cf.create_distribution(DistributionConfig=dist_config(V2020, origins=[origin_for(self.origin)]))
                 ["Distribution"]["Id"] for _ in range(workers)]
        policies = [self.cf.create_cache_policy(CachePolicyConfig=cp_config())["CachePolicy"]["Id"]
                    for _ in range(workers)]
        # Clients are made here, one at a time: making them is not thread-safe.
        clients = [(self.api, other)[k % 2].client(V2020) for k in range(workers)]
        errors, lock = [], threading.Lock()
        start = threading.Barrier(workers)

        def worker(k):
            cf = clients[k]
            start.wait()
            for i in range(rounds):
                try:
                    g = cf.get_distribution_config(Id=dists[k])
                    cfg = g["DistributionConfig"]
                    cfg["Comment"] = "worker %d round %d" % (k, i)
                    cf.update_distribution(Id=dists[k], IfMatch=g["ETag"], DistributionConfig=cfg)
                    g = cf.get_cache_policy_config(Id=policies[k])
                    cfg = g["CachePolicyConfig"]
                    cfg["Comment"] = "worker %d round %d" % (k, i)
                    cf.update_cache_policy(Id=policies[k], IfMatch=g["ETag"], CachePolicyConfig=cfg)
                except ClientError as e:
                    with lock:
                        errors.append((k, i, e.operation_name, e.response["Error"]["Code"]))

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.fail("%d of %d update rounds failed: %s" % (
                len(errors), workers * rounds, dict(collections.Counter((op, code) for _, _, op, code in errors))))
        for k in range(workers):
            self.assertEqual(self.cf.get_distribution_config(Id=dists[k])["DistributionConfig"]["Comment"],
                             "worker %d round %d" % (k, rounds - 1))
            self.assertEqual(self.cf.get_cache_policy_config(Id=policies[k])["CachePolicyConfig"]["Comment"],
                             "worker %d round %d" % (k, rounds - 1))

    def test_2_deployed_means_every_edge_serves_and_completed_means_every_edge_purged(self):
        d = self.create_dist()
        host = d["DomainName"]
        # Deployed: both edges serve it at once, each with its own cache.
        for edge in self.edges:
            status, cache, body = self.get(edge, host, "/cl/a")
            self.assertEqual((status, cache), (200, "Miss from cloudfront"), body)
            self.assertEqual(self.get(edge, host, "/cl/a")[1], "Hit from cloudfront")
        self.assertEqual(self.origin.count("/cl/a"), 2)

        inv = self.invalidate(d["Id"], "/cl/*")
        wait_invalidation_completed(self.cf, d["Id"], inv["Id"], timeout=QUICK)
        for edge in self.edges:
            status, cache, body = self.get(edge, host, "/cl/a")
            self.assertEqual((status, cache), (200, "Miss from cloudfront"), "edge %d after Completed" % edge.edge_port)
        self.assertEqual(self.origin.count("/cl/a"), 4)

    def test_2_function_publish_reaches_every_edge_within_a_second(self):
        # Issue 18: a function published through the API node runs on every edge, and a new
        # publish replaces it fleet-wide within a second.
        def prefixer(prefix):
            return ("function handler(event) { event.request.uri = '/%s' + event.request.uri; "
                    "return event.request; }" % prefix).encode()
        name = "cluster-" + new_ref("fn")[-12:].replace(".", "-")
        cfg = {"Comment": "cluster", "Runtime": "cloudfront-js-2.0"}
        created = self.cf.create_function(Name=name, FunctionConfig=cfg, FunctionCode=prefixer("f1"))
        arn = self.cf.publish_function(Name=name, IfMatch=created["ETag"])["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
        dcfg = dist_config(V2020, origins=[origin_for(self.origin)])
        dcfg["DefaultCacheBehavior"]["FunctionAssociations"] = {
            "Quantity": 1, "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}]}
        d = self.cf.create_distribution(DistributionConfig=dcfg)["Distribution"]
        wait_deployed(self.cf, d["Id"], timeout=QUICK)
        for edge in self.edges:
            status, _, body = self.get(edge, d["DomainName"], "/fnp")
            self.assertEqual(status, 200, body)
            self.assertTrue(body.startswith(b"/f1/fnp "), body)
        updated = self.cf.update_function(Name=name, IfMatch=self.cf.describe_function(Name=name)["ETag"],
                                          FunctionConfig=cfg, FunctionCode=prefixer("f2"))
        self.cf.publish_function(Name=name, IfMatch=updated["ETag"])
        published = time.monotonic()
        pending = list(self.edges)
        while pending:
            pending = [e for e in pending if not self.get(e, d["DomainName"], "/fnp")[2].startswith(b"/f2/fnp ")]
            self.assertLess(time.monotonic() - published, 1.0,
                            "edges %s still run the old code a second after the publish" % [e.edge_port for e in pending])
            if pending:
                time.sleep(0.02)

    def test_2_each_edge_exports_its_own_metrics_with_its_node_name(self):
        # Issue 17: every edge node serves its own /metrics, labelled with its --node-name.
        from test_metrics import parse_metrics
        d = self.create_dist()
        host = d["DomainName"]
        self.get(self.edges[0], host, "/m/a")
        self.get(self.edges[0], host, "/m/a")
        self.get(self.edges[1], host, "/m/a")
        want = {0: {"Miss": 1, "Hit": 1}, 1: {"Miss": 1, "Hit": 0}}
        for i, edge in enumerate(self.edges):
            deadline = time.time() + QUICK
            while True:
                r = edge.raw("GET", "/metrics", sign=False)
                self.assertEqual(r.status, 200)
                got = {ls["result"]: v for n, ls, v in parse_metrics(r.body.decode())
                       if n == "openfront_distribution_requests_total" and ls["distribution_id"] == d["Id"]
                       and ls["node"] == "edge%d" % i and ls["result"] in ("Miss", "Hit")}
                if got == want[i] or time.time() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual(got, want[i], "edge%d" % i)

    def test_2_console_graphs_the_whole_fleet(self):
        # Issue 17: the API node's console sums the counters every edge publishes through etcd.
        d = self.create_dist()
        host = d["DomainName"]
        self.get(self.edges[0], host, "/con/a")
        self.get(self.edges[0], host, "/con/a")
        self.get(self.edges[1], host, "/con/a")
        req = urllib.request.Request("%s/console/distributions/%s/stats.json" % (self.api.endpoint, d["Id"]))
        req.add_header("Authorization", "Basic " + base64.b64encode(
            ("%s:%s" % (self.api.access_key, self.api.secret_key)).encode()).decode())
        deadline = time.time() + 10
        while True:
            with urllib.request.urlopen(req, timeout=10) as r:
                got = json.loads(r.read())
            if got["requests"] == 3 or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual((got["fleet"], got["nodes"], got["requests"], got["hits"], got["misses"]),
                         (True, 2, 3, 1, 2), got)

    def test_2_console_cache_page_shows_the_whole_fleet(self):
        # Issue 17: "what the cache holds" on the API node (which has no cache) merges the
        # summaries every edge publishes through etcd (every ten seconds).
        d = self.create_dist()
        host = d["DomainName"]
        for _ in range(4):  # edge0: 1 miss, 3 hits
            self.get(self.edges[0], host, "/top/a")
        for _ in range(2):  # edge1: 1 miss, 1 hit
            self.get(self.edges[1], host, "/top/a")
        self.get(self.edges[1], host, "/top/b")
        req = urllib.request.Request("%s/console/distributions/%s/cache?format=json" % (self.api.endpoint, d["Id"]))
        req.add_header("Authorization", "Basic " + base64.b64encode(
            ("%s:%s" % (self.api.access_key, self.api.secret_key)).encode()).decode())
        deadline = time.time() + 25
        while True:
            with urllib.request.urlopen(req, timeout=10) as r:
                got = json.loads(r.read())
            if got["objects"] == 3 and got["hits"] == 4 or time.time() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual((got["objects"], got["hits"]), (3, 4), got)
        self.assertEqual([(o["path"], o["hits"], o["node"]) for o in got["byHits"]],
                         [("/top/a", 3, "edge0"), ("/top/a", 1, "edge1"), ("/top/b", 0, "edge1")], got)

    def test_3_unresponsive_edge_blocks_until_its_lease_expires(self):
        d = self.create_dist()
        host = d["DomainName"]
        for edge in self.edges:
            self.assertCached(edge, host, "/frozen/a")
        frozen = self.edges[1]
        stop_process(frozen.proc)
        try:
            t0 = time.time()
            inv = self.invalidate(d["Id"], "/frozen/*")
            # The frozen edge still holds a lease: the invalidation waits for it.
            time.sleep(0.3)
            self.assertEqual(self.status(d["Id"], inv["Id"]), "InProgress")
            wait_invalidation_completed(self.cf, d["Id"], inv["Id"], timeout=AFTER_LEASE)
            waited = time.time() - t0
            self.assertGreaterEqual(waited, LEASE_TTL * 0.5, "Completed before the frozen edge's lease could expire")
            self.assertEqual(self.get(self.edges[0], host, "/frozen/a")[1], "Miss from cloudfront")
        finally:
            frozen.proc.send_signal(signal.SIGCONT)
        # Back to life: it catches up (purges) and reports again under a new lease,
        # so it blocks again until it has applied a change.
        deadline = time.time() + QUICK + LEASE_TTL
        while self.get(frozen, host, "/frozen/a")[1] != "Miss from cloudfront":
            self.assertLess(time.time(), deadline, "thawed edge did not purge")
            time.sleep(0.05)
        inv = self.invalidate(d["Id"], "/frozen/a")
        wait_invalidation_completed(self.cf, d["Id"], inv["Id"], timeout=QUICK)
        for edge in self.edges:
            self.assertEqual(self.get(edge, host, "/frozen/a")[1], "Miss from cloudfront")

    def test_3_publish_and_policy_update_wait_for_a_frozen_edge(self):
        # A published function or an updated cache policy is a deployment of every
        # distribution using it ("Publish functions", CloudFront Developer Guide): while a
        # live edge has not applied it, those distributions are InProgress, in Get and List.
        def prefixer(prefix):
            return ("function handler(event) { event.request.uri = '/%s' + event.request.uri; "
                    "return event.request; }" % prefix).encode()
        name = "cluster-" + new_ref("dep")[-12:].replace(".", "-")
        fcfg = {"Comment": "cluster", "Runtime": "cloudfront-js-2.0"}
        created = self.cf.create_function(Name=name, FunctionConfig=fcfg, FunctionCode=prefixer("v1"))
        arn = self.cf.publish_function(Name=name, IfMatch=created["ETag"])["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
        pcfg = {"Name": "cluster-" + new_ref("cp")[-12:].replace(".", "-"), "MinTTL": 0, "DefaultTTL": 3600, "MaxTTL": 3600,
                "ParametersInCacheKeyAndForwardedToOrigin": {
                    "EnableAcceptEncodingGzip": False, "HeadersConfig": {"HeaderBehavior": "none"},
                    "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "none"}}}
        policy = self.cf.create_cache_policy(CachePolicyConfig=pcfg)["CachePolicy"]
        dcfg = dist_config(V2020, origins=[origin_for(self.origin)])
        b = dcfg["DefaultCacheBehavior"]
        for k in ("ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL"):
            b.pop(k, None)
        b["CachePolicyId"] = policy["Id"]
        b["FunctionAssociations"] = {"Quantity": 1, "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}]}
        d = self.cf.create_distribution(DistributionConfig=dcfg)["Distribution"]
        etag = wait_deployed(self.cf, d["Id"], timeout=QUICK)["ETag"]
        host = d["DomainName"]
        for edge in self.edges:
            self.assertTrue(self.get(edge, host, "/dep")[2].startswith(b"/v1/dep "))

        def listed():
            ds = self.cf.list_distributions()["DistributionList"].get("Items", [])
            return [x["Status"] for x in ds if x["Id"] == d["Id"]]

        def edge_runs(edge, prefix):
            deadline = time.time() + QUICK
            while not self.get(edge, host, "/dep")[2].startswith(b"/%s/dep " % prefix):
                self.assertLess(time.time(), deadline, "edge %d does not run %s" % (edge.edge_port, prefix))
                time.sleep(0.02)

        frozen, alive = self.edges[1], self.edges[0]
        stop_process(frozen.proc)
        try:
            t0 = time.time()
            dev = self.cf.describe_function(Name=name)["ETag"]
            updated = self.cf.update_function(Name=name, IfMatch=dev, FunctionConfig=fcfg, FunctionCode=prefixer("v2"))
            self.cf.publish_function(Name=name, IfMatch=updated["ETag"])
            edge_runs(alive, b"v2")
            got = self.cf.get_distribution(Id=d["Id"])
            self.assertEqual(got["Distribution"]["Status"], "InProgress", "Deployed while the frozen edge runs the old code")
            self.assertEqual(got["ETag"], etag, "the distribution's own config did not change")
            self.assertEqual(listed(), ["InProgress"])

            g = self.cf.get_cache_policy_config(Id=policy["Id"])
            pcfg = g["CachePolicyConfig"]
            pcfg["DefaultTTL"] = pcfg["MaxTTL"] = 0
            self.cf.update_cache_policy(Id=policy["Id"], IfMatch=g["ETag"], CachePolicyConfig=pcfg)
            time.sleep(0.3)
            self.assertEqual(self.cf.get_distribution(Id=d["Id"])["Distribution"]["Status"], "InProgress")

            # Once the frozen edge's lease runs out it no longer counts.
            wait_deployed(self.cf, d["Id"], timeout=AFTER_LEASE)
            self.assertGreaterEqual(time.time() - t0, LEASE_TTL * 0.5, "Deployed before the frozen edge's lease could expire")
            self.assertEqual(listed(), ["Deployed"])
        finally:
            frozen.proc.send_signal(signal.SIGCONT)
        # Thawed, it catches up and counts again: the next publish is Deployed once both run it.
        edge_runs(frozen, b"v2")
        dev = self.cf.describe_function(Name=name)["ETag"]
        updated = self.cf.update_function(Name=name, IfMatch=dev, FunctionConfig=fcfg, FunctionCode=prefixer("v3"))
        self.cf.publish_function(Name=name, IfMatch=updated["ETag"])
        wait_deployed(self.cf, d["Id"], timeout=QUICK)
        for edge in self.edges:
            self.assertTrue(self.get(edge, host, "/dep")[2].startswith(b"/v3/dep "), "edge %d" % edge.edge_port)

    def test_3b_edge_paused_past_its_lease_never_serves_an_invalidated_object_when_resumed(self):
        # An edge paused (SIGSTOP) past its lease drops out of the count, so the invalidation
        # is Completed without it. Resumed, it must not serve what it cached before: it answers
        # 503 (out of contact with the fleet) until it is counted again and has caught up, then
        # fresh content. Twice, as the race it closes was lost about every other time.
        d = self.create_dist()
        host = d["DomainName"]
        paused = self.edges[1]
        for rnd in range(2):
            path = "/paused%d/a" % rnd
            self.assertCached(paused, host, path)
            stop_process(paused.proc)
            try:
                inv = self.invalidate(d["Id"], "/paused%d/*" % rnd)
                wait_invalidation_completed(self.cf, d["Id"], inv["Id"], timeout=AFTER_LEASE)
                time.sleep(0.5)
                # The first request is sent while the edge is still paused (the kernel takes
                # the connection and the bytes), so it is read the moment the edge runs again.
                first = http.client.HTTPConnection("127.0.0.1", paused.edge_port, timeout=10)
                first.request("GET", path, headers={"Host": host})
            finally:
                paused.proc.send_signal(signal.SIGCONT)
            try:
                r = first.getresponse()
                seen = [(r.status, r.getheader("X-Cache"))]
                r.read()
            finally:
                first.close()
            self.assertNotEqual(seen[0][1], "Hit from cloudfront", "round %d: resumed edge served the invalidated object to the request sent after Completed" % rnd)
            self.assertIn(seen[0][0], (200, 503), seen)
            deadline = time.time() + QUICK + LEASE_TTL
            while True:
                status, cache, body = self.get(paused, host, path)
                seen.append((status, cache))
                self.assertNotEqual(cache, "Hit from cloudfront", "round %d: resumed edge served the invalidated object: %s" % (rnd, seen))
                if status == 503:
                    self.assertIn(b"out of contact with the rest of the fleet", body)
                else:
                    self.assertEqual((status, cache), (200, "Miss from cloudfront"), seen)
                    break
                self.assertLess(time.time(), deadline, "resumed edge still refuses: %s" % seen[-3:])
                time.sleep(0.02)
            self.assertEqual(paused.raw("GET", "/healthz", sign=False).status, 200)

    def test_3c_two_edges_with_one_node_name_are_each_counted(self):
        # A second edge started with edge0's --node-name (a mistake, or a restart while the old
        # process's lease runs) is counted on its own, warns at start, and neither hides the
        # other: its pause blocks Completed, and its clean stop does not remove edge0's report.
        twin = self._start(Server(extra_args=["--etcd-endpoints", self.etcd.client_url, "--role", "edge",
                                              "--node-name", "edge0", "--edge-lease-ttl", "%ds" % LEASE_TTL]))
        d = self.create_dist()
        host = d["DomainName"]
        self.assertIn("same node name", twin.stderr())
        self.assertCached(twin, host, "/twin/a")
        stop_process(twin.proc)
        try:
            inv = self.invalidate(d["Id"], "/twin/*")
            time.sleep(0.3)
            self.assertEqual(self.status(d["Id"], inv["Id"]), "InProgress", "the paused twin is not counted")
            wait_invalidation_completed(self.cf, d["Id"], inv["Id"], timeout=AFTER_LEASE)
        finally:
            twin.proc.send_signal(signal.SIGCONT)
        deadline = time.time() + QUICK + LEASE_TTL
        while self.get(twin, host, "/twin/a")[1] != "Miss from cloudfront":
            self.assertLess(time.time(), deadline, "resumed twin did not catch up")
            time.sleep(0.05)
        self.assertEqual(twin.stop(10), 0, twin.stderr())
        # edge0 is still counted: paused, it blocks the next invalidation.
        edge0 = self.edges[0]
        self.assertCached(edge0, host, "/twin/b")
        stop_process(edge0.proc)
        try:
            inv = self.invalidate(d["Id"], "/twin/b")
            time.sleep(0.3)
            self.assertEqual(self.status(d["Id"], inv["Id"]), "InProgress", "the twin's stop removed edge0's report")
        finally:
            edge0.proc.send_signal(signal.SIGCONT)
        wait_invalidation_completed(self.cf, d["Id"], inv["Id"], timeout=AFTER_LEASE + QUICK)
        deadline = time.time() + QUICK + LEASE_TTL
        while True:  # the pause outlasted edge0's lease: 503 until it caught up, then fresh
            status, cache, _ = self.get(edge0, host, "/twin/b")
            self.assertNotEqual(cache, "Hit from cloudfront", "resumed edge0 served the invalidated object")
            if status == 200:
                break
            self.assertLess(time.time(), deadline, "resumed edge0 still refuses")
            time.sleep(0.02)

    def test_4_killed_edge_stops_blocking_within_the_lease_ttl(self):
        d = self.create_dist()
        host = d["DomainName"]
        for edge in self.edges:
            self.assertCached(edge, host, "/kill/a")
        dead, alive = self.edges[1], self.edges[0]
        dead.proc.kill()  # SIGKILL: no lease revoke, no goodbye
        dead.proc.wait(5)
        t0 = time.time()

        g = self.cf.get_distribution_config(Id=d["Id"])
        cfg = g["DistributionConfig"]
        cfg["Comment"] = "changed after an edge died"
        self.cf.update_distribution(Id=d["Id"], IfMatch=g["ETag"], DistributionConfig=cfg)
        inv = self.invalidate(d["Id"], "/kill/*")
        wait_deployed(self.cf, d["Id"], timeout=AFTER_LEASE)
        wait_invalidation_completed(self.cf, d["Id"], inv["Id"], timeout=AFTER_LEASE)
        took = time.time() - t0
        self.assertLess(took, AFTER_LEASE)
        self.assertEqual(self.get(alive, host, "/kill/a")[1], "Miss from cloudfront")

        # With the dead edge gone, changes are quick again.
        inv = self.invalidate(d["Id"], "/kill/b")
        wait_invalidation_completed(self.cf, d["Id"], inv["Id"], timeout=QUICK)

    def test_5_writes_in_flight_when_etcd_is_killed_answer_503(self):
        # README: with etcd unreachable, API calls fail with 503 ServiceUnavailable. A
        # write in flight when etcd dies gets "error reading from server: connection
        # reset by peer" (or EOF) from the etcd client, which was answered 500.
        workers = 8
        dists = [self.cf.create_distribution(DistributionConfig=dist_config(V2020, origins=[origin_for(self.origin)]))
                 ["Distribution"]["Id"] for _ in range(workers)]
        clients = [self.api.client(V2020) for _ in range(workers)]
        errors, lock, stop = collections.Counter(), threading.Lock(), threading.Event()

        def worker(k):
            cf = clients[k]
            while not stop.is_set():
                try:
                    g = cf.get_distribution_config(Id=dists[k])
                    cfg = g["DistributionConfig"]
                    cfg["Comment"] = new_ref("kill")
                    cf.update_distribution(Id=dists[k], IfMatch=g["ETag"], DistributionConfig=cfg)
                except ClientError as e:
                    with lock:
                        errors[(e.operation_name, e.response["ResponseMetadata"]["HTTPStatusCode"],
                                e.response["Error"]["Code"])] += 1

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
        for t in threads:
            t.start()
        try:
            time.sleep(1)
            self.etcd.kill()
            time.sleep(4)
        finally:
            stop.set()
            for t in threads:
                t.join()
            self.etcd.start()
        self.assertTrue(errors, "no call failed while etcd was down")
        self.assertEqual({k for k in errors if k[1:] != (503, "ServiceUnavailable")}, set(),
                         "calls that failed otherwise than 503 ServiceUnavailable: %s" % dict(errors))
        # Back: writes work again.
        deadline = time.monotonic() + 20
        while True:
            try:
                g = self.cf.get_distribution_config(Id=dists[0])
                self.cf.update_distribution(Id=dists[0], IfMatch=g["ETag"], DistributionConfig=g["DistributionConfig"])
                break
            except ClientError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


if __name__ == "__main__":
    unittest.main()
