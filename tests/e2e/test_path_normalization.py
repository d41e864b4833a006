"""Path normalisation before access decisions at the edge (issue #12), end to end.

A real `openfront serve` fronts a real nginx, an origin that normalises paths
(dot segments, %2e, merged slashes, percent-decoding including %2F). The cache
behaviour /private/* requires signed URLs or cookies (a key group made through
the API); the default behaviour is public. Requests go on raw sockets (plain
HTTP, which the fast path serves, and TLS, which net/http serves), because
HTTP clients such as curl, requests or http.client would clean the dot
segments themselves.

Before the fix every spelling below reached nginx's /private/secret.txt
without a signature. Skips (with the reason) only when nginx or cryptography
is missing; scripts/test installs nginx.
"""

import datetime
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from botocore.signers import CloudFrontSigner

from harness import (Server, V2020, _rmtree_later, dist_config, free_port, legacy_behavior, new_ref, wait_deployed,
                     wait_invalidation_completed, wait_port)
from test_edge import origin_for

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    HAVE_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAVE_CRYPTOGRAPHY = False

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)

SECRET = b"TOP SECRET: private/secret.txt"

# Spellings of /private/secret.txt that nginx resolves to that file.
BYPASSES = [
    "/public/../private/secret.txt",
    "/public/%2e%2e/private/secret.txt",
    "/public/%2E%2E/private/secret.txt",
    "/./private/secret.txt",
    "/private/./secret.txt",
    "//private/secret.txt",
    "/private//secret.txt",
    "/%70rivate/secret.txt",
    "/private%2Fsecret.txt",
    "/private%2fsecret.txt",
    "/public/..%2Fprivate/secret.txt",
]
# Spellings nginx refuses (400) but that must not get through either.
REFUSED_BY_NGINX = ["/../private/secret.txt"]


class Nginx:
    """nginx serving a document root on a free loopback port, logging each
    request line it receives."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.port = free_port()
        root = os.path.join(tmp, "www")
        for rel, body in (("private/secret.txt", SECRET), ("public/hello.txt", b"hello, public"), ("public/canon.txt", b"canonical"),
                          ("secret.txt", b"TOP SECRET: secret.txt")):
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(body)
        for dirpath, dirs, files in os.walk(tmp):  # the worker may run as nobody
            os.chmod(dirpath, 0o755)
            for name in files:
                os.chmod(os.path.join(dirpath, name), 0o644)
        self.access_log = os.path.join(tmp, "access.log")
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""
daemon off;
master_process off;
worker_processes 1;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/error.log;
events { worker_connections 64; }
http {
    log_format line '$request';
    access_log %(tmp)s/access.log line;
    client_body_temp_path %(tmp)s/body;
    proxy_temp_path %(tmp)s/proxy;
    fastcgi_temp_path %(tmp)s/fastcgi;
    uwsgi_temp_path %(tmp)s/uwsgi;
    scgi_temp_path %(tmp)s/scgi;
    default_type text/plain;
    server {
        listen 127.0.0.1:%(port)d;
        root %(tmp)s/www;
        merge_slashes on;
        add_header Cache-Control "max-age=600";
    }
}
""" % {"tmp": tmp, "port": self.port})
        self.proc = subprocess.Popen([NGINX, "-p", tmp, "-c", conf, "-e", os.path.join(tmp, "error.log")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(self.port)

    def request_lines(self):
        with open(self.access_log) as f:
            return [line.strip() for line in f]

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()


def raw_get(port, host, target, tls=False, headers=()):
    """GET target on a raw socket; returns (status, headers dict, body)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname=host)
    try:
        req = "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s\r\n" % (
            target, host, "".join("%s: %s\r\n" % h for h in headers))
        sock.sendall(req.encode("ascii"))
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if hdrs.get("transfer-encoding") == "chunked":
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return status, hdrs, body


def _utc(seconds_from_now):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)


@unittest.skipIf(NGINX is None, "nginx not installed (it is the path-normalising origin; scripts/test installs it)")
@unittest.skipIf(not HAVE_CRYPTOGRAPHY, "cryptography not installed (it makes the RSA key pair of the signed URLs)")
class TestPathNormalization(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="openfront-e2e-pathnorm-")
        _rmtree_later(cls.tmp)
        cls.nginx = Nginx(cls.tmp)
        cls.server = Server().start()
        cls.cf = cf = cls.server.client(V2020)
        cls.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = cls.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        kid = cf.create_public_key(PublicKeyConfig={
            "CallerReference": new_ref("pk"), "Name": new_ref("pk"), "EncodedKey": pem,
            "Comment": "e2e path normalisation"})["PublicKey"]["Id"]
        group = cf.create_key_group(KeyGroupConfig={
            "Name": new_ref("kg"), "Items": [kid], "Comment": "e2e"})["KeyGroup"]["Id"]
        cls.signer = CloudFrontSigner(kid, lambda m: cls.key.sign(m, padding.PKCS1v15(), hashes.SHA1()))

        class NginxPort:
            port = cls.nginx.port
        public = legacy_behavior("web", min_ttl=0, default_ttl=600)
        private = legacy_behavior("web", min_ttl=0, default_ttl=600)
        private["PathPattern"] = "/private/*"
        private["TrustedKeyGroups"] = {"Enabled": True, "Quantity": 1, "Items": [group]}
        cfg = dist_config(V2020, origins=[origin_for(NginxPort)], behavior=public)
        cfg["CacheBehaviors"] = {"Quantity": 1, "Items": [private]}
        d = cf.create_distribution(DistributionConfig=cfg)["Distribution"]
        wait_deployed(cf, d["Id"])
        cls.host = d["DomainName"]
        cls.dist_id = d["Id"]

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop(10)
        cls.nginx.close()
        assert rc == 0, "openfront did not exit 0 within 10s of SIGTERM\n%s" % cls.server.stderr()

    def edge(self, target, tls=False, headers=()):
        port = self.server.edge_tls_port if tls else self.server.edge_port
        return raw_get(port, self.host, target, tls=tls, headers=headers)

    def test_origin_really_normalises(self):
        # Without this, a 403 below would prove nothing: nginx does serve
        # the secret for every spelling.
        for target in BYPASSES:
            with self.subTest(target=target):
                st, _, body = raw_get(self.nginx.port, "localhost", target)
                self.assertEqual((st, body), (200, SECRET))

    def test_signed_only_behaviour_is_not_bypassed(self):
        for tls in (False, True):
            for target in BYPASSES + REFUSED_BY_NGINX + ["/private/secret.txt"]:
                with self.subTest(target=target, tls=tls):
                    st, h, body = self.edge(target, tls=tls)
                    self.assertEqual(st, 403, body[:300])
                    self.assertNotIn(b"TOP SECRET", body)
                    self.assertIn(b"<Code>MissingKey</Code>", body)
                    self.assertEqual(h.get("x-cache"), "Error from cloudfront")

    def test_custom_policy_resource_is_matched_on_the_normalised_path(self):
        # A custom policy for /private/* admits /private/secret.txt, however
        # spelled; one for /public/* admits none of the spellings that
        # climb out of /public/ to the secret.
        def custom(target, resource):
            policy = json.dumps({"Statement": [{"Resource": "http://%s%s" % (self.host, resource),
                                                "Condition": {"DateLessThan": {"AWS:EpochTime": int(time.time()) + 600}}}]},
                                separators=(",", ":"))
            url = self.signer.generate_presigned_url("http://%s%s" % (self.host, target), policy=policy)
            return url[len("http://" + self.host):]
        for target in ("/public/../private/secret.txt", "/public/%2e%2e/private/secret.txt",
                       "/public/..%2Fprivate/secret.txt"):
            with self.subTest(target=target, resource="/public/*"):
                st, _, body = self.edge(custom(target, "/public/*"))
                self.assertEqual(st, 403, body[:300])
                self.assertNotIn(b"TOP SECRET", body)
                self.assertIn(b"<Code>AccessDenied</Code>", body)
            with self.subTest(target=target, resource="/private/*"):
                st, _, body = self.edge(custom(target, "/private/*"))
                self.assertEqual((st, body), (200, SECRET))

    def test_signed_url_still_served_and_origin_gets_the_canonical_path(self):
        mark = len(self.nginx.request_lines())
        for scheme, tls in (("https", True), ("http", False)):  # a canned policy signs the scheme too
            url = self.signer.generate_presigned_url("%s://%s/private/secret.txt" % (scheme, self.host),
                                                     date_less_than=_utc(600))
            target = url[len(scheme + "://" + self.host):]
            st, _, body = self.edge(target, tls=tls)
            self.assertEqual((st, body), (200, SECRET))
        # A canned policy signed for the normalised URL also covers a
        # spelling of it.
        st, _, body = self.edge(target.replace("/private/secret.txt", "/private/./%73ecret.txt", 1))
        self.assertEqual((st, body), (200, SECRET))
        st, h, body = self.edge("/public/x/../%63anon.txt")
        self.assertEqual((st, body), (200, b"canonical"))
        # The origin is asked for the canonical path, never a raw spelling.
        lines = self.nginx.request_lines()[mark:]
        self.assertIn("GET /public/canon.txt HTTP/1.1", lines)
        self.assertLessEqual(set(lines), {"GET /private/secret.txt HTTP/1.1", "GET /public/canon.txt HTTP/1.1"}, lines)
        # Spellings of one path share one cached object.
        st, h, body = self.edge("/public/canon.txt")
        self.assertEqual(st, 200)
        self.assertEqual(h.get("x-cache"), "Hit from cloudfront")

    def test_invalidation_path_is_normalised(self):
        # boto3 sends the invalidation path as written; it purges the object
        # cached under any spelling of the same path.
        for target in ("/public/%68ello.txt", "/public//hello.txt", "/public/hello.txt"):
            self.edge(target)
        for target in ("/public/%68ello.txt", "/public//hello.txt"):
            self.assertEqual(self.edge(target)[1].get("x-cache"), "Hit from cloudfront", target)
        inv = self.cf.create_invalidation(DistributionId=self.dist_id, InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/x/../public/./%68ello.txt"]}, "CallerReference": new_ref("inv")})
        wait_invalidation_completed(self.cf, self.dist_id, inv["Invalidation"]["Id"])
        for target in ("/public/hello.txt", "/public//hello.txt"):
            st, h, body = self.edge(target)
            self.assertEqual((st, body, h.get("x-cache")), (200, b"hello, public", "Miss from cloudfront"), target)

    def test_malformed_or_nul_escape_is_400(self):
        for target in ("/private/secret.txt%00.jpg", "/a%zz"):
            with self.subTest(target=target):
                st, _, body = self.edge(target)
                self.assertEqual(st, 400, body[:300])
                self.assertNotIn(b"TOP SECRET", body)


if __name__ == "__main__":
    unittest.main()
