"""End-to-end harness for the OpenFront control plane.

Builds ./cmd/openfront once per test run, starts `openfront serve` on free
loopback ports with a temporary data dir, and offers boto3 / AWS CLI / raw
SigV4 helpers.  Only the standard library, boto3/botocore and awscli are used.

Environment knobs:
  OPENFRONT_E2E_BINARY  use this prebuilt binary instead of running `go build`.
  OPENFRONT_E2E_KEEP    keep temporary data dirs (for debugging).
"""

import atexit
import configparser
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import boto3
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]

ACCESS_KEY = "AKIAOPENFRONTE2ETEST"
SECRET_KEY = "e2eSecretKey/OpenFront+Test0123456789abcd"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"

V2016 = "2016-01-13"
V2020 = "2020-05-31"
VERSIONS = (V2020, V2016)
NS = {v: "http://cloudfront.amazonaws.com/doc/%s/" % v for v in VERSIONS}

MANAGED_CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"

DIST_ID_RE = re.compile(r"^E[A-Z0-9]{12,13}$")
DIST_DOMAIN_RE = re.compile(r"^d[a-z0-9]{13}\.cloudfront\.localhost$")
STREAMING_DOMAIN_RE = re.compile(r"^s[a-z0-9]{13}\.cloudfront\.localhost$")
INVALIDATION_ID_RE = re.compile(r"^I[A-Z0-9]{12,}$")
REQUEST_ID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

DEPLOY_TIMEOUT = 2.0  # OpenFront contract: Deployed / Completed well under a second


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------

_binary_path = None
_build_error = None


def _keep():
    return bool(os.environ.get("OPENFRONT_E2E_KEEP"))


def _rmtree_later(path):
    if not _keep():
        atexit.register(shutil.rmtree, path, True)


def binary():
    """Path of the openfront binary, built once per Python process."""
    global _binary_path, _build_error
    if _binary_path:
        return _binary_path
    if _build_error:
        raise RuntimeError(_build_error)
    pre = os.environ.get("OPENFRONT_E2E_BINARY")
    if pre:
        _binary_path = pre
        return pre
    d = tempfile.mkdtemp(prefix="openfront-e2e-bin-")
    _rmtree_later(d)
    out = os.path.join(d, "openfront")
    t0 = time.time()
    p = subprocess.run(["go", "build", "-o", out, "./cmd/openfront"], cwd=str(REPO_ROOT),
                       capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        _build_error = ("go build ./cmd/openfront failed (rc=%d):\n%s%s" % (p.returncode, p.stdout, p.stderr))
        raise RuntimeError(_build_error)
    sys.stderr.write("[harness] built %s in %.1fs\n" % (out, time.time() - t0))
    _binary_path = out
    return out


class MotoServer:
    """`python3 -m moto.server` on a free loopback port (its log in tmp/moto.log), with a boto3
    client of `service` (self.client)."""

    def __init__(self, tmp, service, key="moto", secret="moto"):
        self.port = free_port()
        self.log = open(os.path.join(tmp, "moto.log"), "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_port(self.port)
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.client = boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                                   aws_access_key_id=key, aws_secret_access_key=secret,
                                   config=Config(retries={"total_max_attempts": 1}))

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


def stop_process(proc, timeout=5.0):
    """SIGSTOP proc and wait until every one of its threads is stopped: the signal is delivered
    asynchronously, and a stopped process must not answer what the test sends next."""
    proc.send_signal(signal.SIGSTOP)
    deadline = time.time() + timeout
    while True:
        try:
            states = []
            for tid in os.listdir("/proc/%d/task" % proc.pid):
                with open("/proc/%d/task/%s/stat" % (proc.pid, tid), "rb") as f:
                    states.append(f.read().rsplit(b")", 1)[1].split()[0])
        except OSError:
            states = [b"?"]
        if states and all(st in (b"T", b"t") for st in states):
            return
        if time.time() > deadline:
            raise AssertionError("process %d not stopped %.0f s after SIGSTOP (%s)" % (proc.pid, timeout, states))
        time.sleep(0.001)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=20.0):
    """Waits until something listens on 127.0.0.1:port (a helper server)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("port %d not listening after %.0fs" % (port, timeout))


def new_ref(prefix="e2e"):
    return "%s-%s" % (prefix, uuid.uuid4().hex)


# --------------------------------------------------------------------------
# raw HTTP responses
# --------------------------------------------------------------------------

class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def xml(self):
        return ET.fromstring(self.body)

    def error(self):
        """Parse an ErrorResponse document; returns dict with Code/Message/Type/RequestId/_ns."""
        root = ET.fromstring(self.body)
        out = {"_root": local(root.tag), "_ns": ns_of(root.tag)}
        for el in root.iter():
            name = local(el.tag)
            if name in ("Code", "Message", "Type", "RequestId") and name not in out:
                out[name] = (el.text or "")
        return out

    def __repr__(self):
        return "RawResponse(%d, %r, %r)" % (self.status, self.headers, self.body[:500])


def local(tag):
    return tag.rsplit("}", 1)[-1]


def ns_of(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def find_local(root, name):
    """All descendants (including root) with the given local name."""
    return [el for el in root.iter() if local(el.tag) == name]


def child(el, name):
    for c in el:
        if local(c.tag) == name:
            return c
    return None


# --------------------------------------------------------------------------
# server process
# --------------------------------------------------------------------------

class Server:
    """One `openfront serve` process."""

    def __init__(self, data_dir=None, creds=True, extra_args=(), cwd=None, flags=True, env=None):
        self.tmp = tempfile.mkdtemp(prefix="openfront-e2e-")
        _rmtree_later(self.tmp)
        self.data_dir = data_dir if data_dir is not None else os.path.join(self.tmp, "data")
        self.creds = creds
        self.extra_args = list(extra_args)
        self.cwd = cwd or self.tmp
        self.flags = flags
        self.extra_env = env or {}
        self._pick_ports()
        self._started = False  # has come up healthy at least once
        self.proc = None
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self._log_n = 0

    def _pick_ports(self):
        self.api_port = free_port()
        self.edge_port = free_port()
        self.edge_tls_port = free_port()
        self.rtmp_port = free_port()

    # -- lifecycle --
    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.api_port

    def args(self):
        a = [binary(), "serve"]
        if self.flags:
            a += ["--data-dir", self.data_dir,
                  "--api-addr", "127.0.0.1:%d" % self.api_port,
                  "--edge-addr", "127.0.0.1:%d" % self.edge_port,
                  "--edge-tls-addr", "127.0.0.1:%d" % self.edge_tls_port,
                  "--rtmp-addr", "127.0.0.1:%d" % self.rtmp_port]
        return a + self.extra_args

    def env(self):
        e = dict(os.environ)
        for k in ("OPENFRONT_ACCESS_KEY_ID", "OPENFRONT_SECRET_ACCESS_KEY"):
            e.pop(k, None)
        if self.creds:
            e["OPENFRONT_ACCESS_KEY_ID"] = self.access_key
            e["OPENFRONT_SECRET_ACCESS_KEY"] = self.secret_key
        e.update(self.extra_env)
        return e

    def start(self, wait=True, timeout=20.0):
        # free_port's ports are free when picked, not reserved: another
        # test's connection may take one before openfront binds it. A
        # first start that fails so picks new ports (a restart keeps its
        # ports: the test relies on them).
        for attempt in range(3):
            try:
                return self._start(wait, timeout)
            except AssertionError as e:
                if (self._started or not self.flags or attempt == 2
                        or "address already in use" not in str(e)):
                    raise
                self._pick_ports()

    def _start(self, wait, timeout):
        self._log_n += 1
        self.stdout_path = os.path.join(self.tmp, "stdout.%d.log" % self._log_n)
        self.stderr_path = os.path.join(self.tmp, "stderr.%d.log" % self._log_n)
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.args(), cwd=self.cwd, env=self.env(),
                                     stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL)
        if wait:
            self.wait_healthy(timeout)
            self._started = True
        return self

    def wait_healthy(self, timeout=20.0):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise AssertionError("openfront exited with %s before becoming healthy\n--- stderr ---\n%s\n--- stdout ---\n%s"
                                     % (rc, self.stderr(), self.stdout()))
            try:
                r = self.raw("GET", "/healthz", sign=False, timeout=2)
                if r.status == 200:
                    return
                last = "status %d" % r.status
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill()
        raise AssertionError("openfront not healthy after %.0fs (%s)\n--- stderr ---\n%s\n--- stdout ---\n%s"
                             % (timeout, last, self.stderr(), self.stdout()))

    def wait_exit(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._close_logs()
        return rc

    def stop(self, timeout=10.0):
        """SIGTERM; returns exit code (None if it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        rc = self.wait_exit(timeout)
        if rc is None:
            self.kill()
        self._close_logs()
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._close_logs()

    def _close_logs(self):
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            try:
                f and f.close()
            except Exception:
                pass

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-8000:]
        except OSError:
            return ""

    def stdout(self):
        try:
            with open(self.stdout_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-8000:]
        except OSError:
            return ""

    # -- clients --
    def client(self, version=V2020, access_key=None, secret_key=None, region=REGION):
        sess = boto3.session.Session(aws_access_key_id=access_key or self.access_key,
                                     aws_secret_access_key=secret_key or self.secret_key,
                                     region_name=region)
        cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
        return sess.client("cloudfront", api_version=version, endpoint_url=self.endpoint, config=cfg)

    def raw(self, method, path, body=None, headers=None, query=None, sign=True,
            access_key=None, secret_key=None, region=REGION, timeout=30):
        """Send a (SigV4-signed) request; returns RawResponse.  `query` may be a dict or a string."""
        if isinstance(query, dict):
            query = urllib.parse.urlencode(query)
        target = path + ("?" + query if query else "")
        url = self.endpoint + target
        if isinstance(body, str):
            body = body.encode("utf-8")
        hdrs = dict(headers or {})
        if sign:
            req = AWSRequest(method=method, url=url, data=body or b"", headers=hdrs)
            SigV4Auth(Credentials(access_key or self.access_key, secret_key or self.secret_key),
                      "cloudfront", region).add_auth(req)
            hdrs = {k: v for k, v in req.headers.items()}
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=timeout)
        try:
            conn.request(method, target, body=body, headers=hdrs)
            r = conn.getresponse()
            return RawResponse(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def aws_env(self, **overrides):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("AWS_"):
                del e[k]
        e.update({
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.path.join(self.tmp, "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.tmp, "no-aws-credentials"),
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_PAGER": "",
        })
        for k, v in overrides.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    def aws_run(self, *args, env=None, timeout=60):
        """Run the AWS CLI; returns CompletedProcess (text)."""
        cmd = aws_cli_cmd() + ["--endpoint-url", self.endpoint, "--output", "json"] + list(args)
        return subprocess.run(cmd, env=env or self.aws_env(), capture_output=True, text=True, timeout=timeout)

    def aws(self, *args, env=None):
        """Run the AWS CLI and return parsed JSON output (None for empty output); raises on failure."""
        p = self.aws_run(*args, env=env)
        if p.returncode != 0:
            raise AssertionError("aws %s failed rc=%d\nstdout: %s\nstderr: %s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        out = p.stdout.strip()
        return json.loads(out) if out else None


def aws_cli_cmd():
    try:
        import awscli  # noqa: F401
        return [sys.executable, "-m", "awscli"]
    except ImportError:
        exe = shutil.which("aws")
        if not exe:
            raise unittest.SkipTest("AWS CLI not installed")
        return [exe]


# --------------------------------------------------------------------------
# polling helpers
# --------------------------------------------------------------------------

def wait_deployed(client, dist_id, timeout=DEPLOY_TIMEOUT):
    """Poll GetDistribution until Status == Deployed; AssertionError if not within `timeout` s."""
    t0 = time.time()
    status = None
    while True:
        r = client.get_distribution(Id=dist_id)
        status = r["Distribution"]["Status"]
        if status == "Deployed":
            return r
        if time.time() - t0 > timeout:
            raise AssertionError("distribution %s not Deployed within %.1fs (Status=%s)" % (dist_id, timeout, status))
        time.sleep(0.05)


def wait_streaming_deployed(client, dist_id, timeout=DEPLOY_TIMEOUT):
    t0 = time.time()
    while True:
        r = client.get_streaming_distribution(Id=dist_id)
        status = r["StreamingDistribution"]["Status"]
        if status == "Deployed":
            return r
        if time.time() - t0 > timeout:
            raise AssertionError("streaming distribution %s not Deployed within %.1fs (Status=%s)" % (dist_id, timeout, status))
        time.sleep(0.05)


def wait_invalidation_completed(client, dist_id, inv_id, timeout=DEPLOY_TIMEOUT):
    t0 = time.time()
    while True:
        r = client.get_invalidation(DistributionId=dist_id, Id=inv_id)
        status = r["Invalidation"]["Status"]
        if status == "Completed":
            return r
        if time.time() - t0 > timeout:
            raise AssertionError("invalidation %s/%s not Completed within %.1fs (Status=%s)" % (dist_id, inv_id, timeout, status))
        time.sleep(0.05)


# --------------------------------------------------------------------------
# config builders
# --------------------------------------------------------------------------

ALL_METHODS = {"Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
               "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}


def loopback_distribution(client, port, origin_id="web", read_timeout=5, keepalive_timeout=30, all_methods=False):
    """Create a distribution whose one origin is http://127.0.0.1:port (one connection
    attempt), optionally allowing every method, and return it once Deployed."""
    cfg = dist_config(V2020, origins=[custom_origin(
        origin_id, domain="127.0.0.1", ConnectionAttempts=1,
        CustomOriginConfig={"HTTPPort": port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only",
                            "OriginReadTimeout": read_timeout, "OriginKeepaliveTimeout": keepalive_timeout})])
    if all_methods:
        cfg["DefaultCacheBehavior"]["AllowedMethods"] = ALL_METHODS
    d = client.create_distribution(DistributionConfig=cfg)["Distribution"]
    wait_deployed(client, d["Id"])
    return d


def custom_origin(origin_id="origin1", domain="example.com", **extra):
    o = {
        "Id": origin_id,
        "DomainName": domain,
        "OriginPath": "",
        "CustomHeaders": {"Quantity": 0},
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"},
    }
    o.update(extra)
    return o


def s3_origin(origin_id="s3origin", bucket="mybucket", oai="", **extra):
    o = {
        "Id": origin_id,
        "DomainName": "%s.s3.amazonaws.com" % bucket,
        "OriginPath": "",
        "S3OriginConfig": {"OriginAccessIdentity": oai},
    }
    o.update(extra)
    return o


def legacy_behavior(target, min_ttl=0, default_ttl=None, max_ttl=None):
    b = {
        "TargetOriginId": target,
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        "TrustedSigners": {"Enabled": False, "Quantity": 0},
        "ViewerProtocolPolicy": "allow-all",
        "MinTTL": min_ttl,
    }
    if default_ttl is not None:
        b["DefaultTTL"] = default_ttl
    if max_ttl is not None:
        b["MaxTTL"] = max_ttl
    return b


def policy_behavior(target, cache_policy_id=MANAGED_CACHING_OPTIMIZED):
    return {"TargetOriginId": target, "ViewerProtocolPolicy": "allow-all", "CachePolicyId": cache_policy_id}


def dist_config(version=V2020, ref=None, comment="e2e", enabled=True, aliases=(), s3=False, oai="",
                origins=None, behavior=None, logging=False, **extra):
    """Minimal valid DistributionConfig for `version` (custom origin unless s3=True)."""
    if origins is None:
        origins = [s3_origin(oai=oai)] if s3 else [custom_origin()]
    target = origins[0]["Id"]
    cfg = {
        "CallerReference": ref or new_ref(),
        "Aliases": {"Quantity": len(aliases), **({"Items": list(aliases)} if aliases else {})},
        "DefaultRootObject": "",
        "Origins": {"Quantity": len(origins), "Items": origins},
        "DefaultCacheBehavior": behavior or legacy_behavior(target),
        "CacheBehaviors": {"Quantity": 0},
        "Comment": comment,
        "PriceClass": "PriceClass_All",
        "Enabled": enabled,
    }
    if logging:
        cfg["Logging"] = {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""}
    cfg.update(extra)
    return cfg


def streaming_config(ref=None, comment="e2e streaming", enabled=True, aliases=(), domain="mybucket.s3.amazonaws.com",
                     oai="", **extra):
    cfg = {
        "CallerReference": ref or new_ref("e2e-s"),
        "S3Origin": {"DomainName": domain, "OriginAccessIdentity": oai},
        "Aliases": {"Quantity": len(aliases), **({"Items": list(aliases)} if aliases else {})},
        "Comment": comment,
        "TrustedSigners": {"Enabled": False, "Quantity": 0},
        "PriceClass": "PriceClass_All",
        "Enabled": enabled,
    }
    cfg.update(extra)
    return cfg


def unique_alias(label="www"):
    return "%s-%s.example.com" % (label, uuid.uuid4().hex[:10])


def serialize_body(client, operation, params):
    """The XML body botocore would send for `operation` with `params` (bytes)."""
    op = client.meta.service_model.operation_model(operation)
    req = client._serializer.serialize_to_request(params, op)
    body = req["body"]
    return body if isinstance(body, bytes) else body.encode("utf-8")


# --------------------------------------------------------------------------
# test-case base
# --------------------------------------------------------------------------

class ServerTestCase(unittest.TestCase):
    """Starts one server per test class (setUpClass); asserts clean SIGTERM exit in tearDownClass."""

    server_kwargs = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(**cls.server_kwargs).start()
        cls.cf = cls.server.client(V2020)
        cls.cf16 = cls.server.client(V2016)

    @classmethod
    def tearDownClass(cls):
        srv = getattr(cls, "server", None)
        if srv is not None:
            rc = srv.stop(10)
            if rc != 0:
                raise AssertionError("openfront did not exit 0 within 10s of SIGTERM (rc=%r)\n%s" % (rc, srv.stderr()))
        super().tearDownClass()

    def clients(self):
        return {V2020: self.cf, V2016: self.cf16}

    # -- assertions --
    def assertClientError(self, code, status, fn, *args, **kwargs):
        """Call fn(*args, **kwargs); assert it raises ClientError with Error.Code == code and HTTP status."""
        try:
            r = fn(*args, **kwargs)
        except ClientError as e:
            got_code = e.response.get("Error", {}).get("Code")
            got_status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            self.assertEqual((got_code, got_status), (code, status),
                             "expected %s (%d), got %s (%s): %s" % (code, status, got_code, got_status,
                                                                     e.response.get("Error", {}).get("Message")))
            return e
        meta = (r or {}).get("ResponseMetadata", {}) if isinstance(r, dict) else {}
        self.fail("expected %s (%d) but the call succeeded (HTTP %s)" % (code, status, meta.get("HTTPStatusCode")))

    def assertRawError(self, resp, code, status, version=None):
        self.assertEqual(resp.status, status, "HTTP status; body=%r" % resp.body[:600])
        try:
            err = resp.error()
        except ET.ParseError as e:
            self.fail("error body is not XML (%s): %r" % (e, resp.body[:600]))
        self.assertEqual(err["_root"], "ErrorResponse", resp.body[:600])
        self.assertEqual(err.get("Code"), code, "error Code; body=%r" % resp.body[:600])
        if version:
            self.assertEqual(err["_ns"], NS[version])
        return err

    # -- common resource helpers --
    def create_dist(self, version=V2020, **cfg_kwargs):
        c = self.clients()[version]
        r = c.create_distribution(DistributionConfig=dist_config(version, **cfg_kwargs))
        return r

    def delete_dist(self, dist_id, client=None):
        """Disable (if needed), wait Deployed, delete.  Used for cleanup and in tests."""
        c = client or self.cf
        g = c.get_distribution_config(Id=dist_id)
        cfg, etag = g["DistributionConfig"], g["ETag"]
        if cfg["Enabled"]:
            cfg["Enabled"] = False
            etag = c.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=cfg)["ETag"]
        etag = wait_deployed(c, dist_id)["ETag"]
        return c.delete_distribution(Id=dist_id, IfMatch=etag)
