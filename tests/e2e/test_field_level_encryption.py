"""Field-level encryption end to end (issue 14): a public key, a profile and
a configuration made with boto3's CloudFront client, a distribution whose
behaviour uses the configuration, and form POSTs through the edge's HTTPS
listener to a loopback HTTPS origin that decrypts each field with the
private key. The origin reads the AWS Encryption SDK message itself (the
SDK is not installable here) with the cryptography module's RSA-OAEP,
HKDF and AES-GCM, following the SDK's message format reference, so it is
an implementation independent of OpenFront's Go one.

The same values are then decrypted with the AWS Encryption SDK for
JavaScript (tests/e2e/esdk, installed by scripts/test), the SDK's own
decryption with a raw RSA keyring, as the guide's Java sample does.

Skips (with the reason) only when the cryptography module is missing; the
SDK check skips (with the reason) when node or tests/e2e/esdk/node_modules
is missing.
"""

import base64
import datetime
import http.client
import http.server
import os
import shutil
import ssl
import struct
import subprocess
import tempfile
import threading
import unittest
import urllib.parse
import uuid

from harness import V2020, Server, ServerTestCase, _rmtree_later, custom_origin, dist_config, wait_deployed

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.x509.oid import NameOID
    HAVE_CRYPTO = True
except ImportError:  # pragma: no cover
    HAVE_CRYPTO = False
NEED_CRYPTO = "python3 cryptography module not installed"

PROVIDER, KEY_NAME = "DEMO", "DEMOKEY"
ESDK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "esdk")
HAVE_ESDK = shutil.which("node") is not None and os.path.isdir(os.path.join(ESDK_DIR, "node_modules", "@aws-crypto", "client-node"))
NEED_ESDK = "node or tests/e2e/esdk/node_modules missing (scripts/test runs npm ci --prefix tests/e2e/esdk)"


def esdk_js_decrypt(values, private_key_file):
    """Decrypts base64 messages with the AWS Encryption SDK for JavaScript."""
    out = subprocess.run(["node", os.path.join(ESDK_DIR, "decrypt.js"), private_key_file, PROVIDER, KEY_NAME],
                         input="\n".join(values) + "\n", capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError("the AWS Encryption SDK refused the values: %s" % out.stderr)
    return [base64.b64decode(l) for l in out.stdout.split("\n")[:-1]]


def esdk_decrypt(message, private_key, provider, key_name):
    """Decrypts an AWS Encryption SDK message (format version 1, one RSA-OAEP
    SHA-256 wrapped data key, suite 0x0178, framed or not)."""
    r = memoryview(message)
    pos = 0

    def take(n):
        nonlocal pos
        if pos + n > len(r):
            raise ValueError("truncated message")
        b = bytes(r[pos:pos + n])
        pos += n
        return b

    def u16():
        return struct.unpack(">H", take(2))[0]

    version, mtype = take(1)[0], take(1)[0]
    assert (version, mtype) == (1, 0x80), (version, mtype)
    suite = u16()
    assert suite == 0x0178, hex(suite)
    message_id = take(16)
    aad_len = u16()
    take(aad_len)
    edks = []
    for _ in range(u16()):
        edks.append((take(u16()), take(u16()), take(u16())))
    content_type = take(1)[0]
    assert take(4) == b"\0\0\0\0"
    iv_len = take(1)[0]
    frame_len = struct.unpack(">I", take(4))[0]
    header = bytes(r[:pos])
    header_iv, header_tag = take(iv_len), take(16)
    data_key = None
    for pid, pinfo, wrapped in edks:
        if pid == provider.encode() and pinfo == key_name.encode():
            data_key = private_key.decrypt(wrapped, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    assert data_key is not None, "no data key for %s/%s" % (provider, key_name)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=struct.pack(">H", suite) + message_id).derive(data_key)
    gcm = AESGCM(key)
    gcm.decrypt(header_iv, header_tag, header)  # header authentication
    out = b""
    if content_type == 1:  # non-framed
        iv, n = take(iv_len), struct.unpack(">Q", take(8))[0]
        ct = take(n) + take(16)
        aad = message_id + b"AWSKMSEncryptionClient Single Block" + struct.pack(">IQ", 1, n)
        return gcm.decrypt(iv, ct, aad)
    assert content_type == 2
    expect = 1
    while True:
        seq = struct.unpack(">I", take(4))[0]
        final = seq == 0xFFFFFFFF
        if final:
            seq = struct.unpack(">I", take(4))[0]
        assert seq == expect, (seq, expect)
        iv = take(iv_len)
        n = struct.unpack(">I", take(4))[0] if final else frame_len
        ct = take(n) + take(16)
        name = b"AWSKMSEncryptionClient Final Frame" if final else b"AWSKMSEncryptionClient Frame"
        out += gcm.decrypt(iv, ct, message_id + name + struct.pack(">IQ", seq, n))
        if final:
            assert pos == len(r), "bytes after the final frame"
            return out
        expect += 1


class DecryptingOrigin:
    """An HTTPS origin on loopback that records each request's method, path,
    content type and form fields (raw pairs, as received)."""

    def __init__(self, tmp):
        self.requests = []
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.timezone.utc)
        import ipaddress
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        self.cert_file = os.path.join(tmp, "origin.pem")
        key_file = os.path.join(tmp, "origin.key")
        with open(self.cert_file, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_file, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                origin.requests.append({"method": self.command, "path": self.path, "type": self.headers.get("Content-Type"),
                                        "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(b"ok")

            do_PUT = do_POST

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, key_file)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@unittest.skipUnless(HAVE_CRYPTO, NEED_CRYPTO)
class FieldLevelEncryptionE2E(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="openfront-fle-")
        _rmtree_later(cls.tmp)
        cls.origin = DecryptingOrigin(cls.tmp)
        # The edge trusts the origin's self-signed certificate through Go's
        # SSL_CERT_FILE (the origin is reached over HTTPS, as FLE requires).
        cls.server = Server(env={"SSL_CERT_FILE": cls.origin.cert_file}).start()
        cls.cf = cls.server.client(V2020)
        cls.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.private_key_file = os.path.join(cls.tmp, "private_key.pem")
        with open(cls.private_key_file, "wb") as f:
            f.write(cls.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        pem = cls.private_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        cls.key_id = cls.cf.create_public_key(PublicKeyConfig={"CallerReference": "fle-key", "Name": KEY_NAME, "EncodedKey": pem})["PublicKey"]["Id"]
        prof = cls.cf.create_field_level_encryption_profile(FieldLevelEncryptionProfileConfig={
            "Name": "cards", "CallerReference": "fle-prof", "Comment": "e2e",
            "EncryptionEntities": {"Quantity": 1, "Items": [{"PublicKeyId": cls.key_id, "ProviderId": PROVIDER,
                                                             "FieldPatterns": {"Quantity": 2, "Items": ["card", "ssn*"]}}]}})
        cls.profile_id = prof["FieldLevelEncryptionProfile"]["Id"]
        cfg = cls.cf.create_field_level_encryption_config(FieldLevelEncryptionConfig={
            "CallerReference": "fle-cfg",
            "QueryArgProfileConfig": {"ForwardWhenQueryArgProfileIsUnknown": False,
                                      "QueryArgProfiles": {"Quantity": 1, "Items": [{"QueryArg": "cards", "ProfileId": cls.profile_id}]}},
            "ContentTypeProfileConfig": {"ForwardWhenContentTypeIsUnknown": False,
                                         "ContentTypeProfiles": {"Quantity": 1, "Items": [
                                             {"Format": "URLEncoded", "ProfileId": cls.profile_id, "ContentType": "application/x-www-form-urlencoded"}]}}})
        cls.config_id = cfg["FieldLevelEncryption"]["Id"]
        origin = custom_origin("web", domain="127.0.0.1", ConnectionAttempts=1,
                               CustomOriginConfig={"HTTPPort": 80, "HTTPSPort": cls.origin.port, "OriginProtocolPolicy": "https-only",
                                                   "OriginReadTimeout": 5, "OriginKeepaliveTimeout": 5})
        behavior = {"TargetOriginId": "web", "ViewerProtocolPolicy": "https-only",
                    "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",  # Managed-CachingDisabled
                    "AllowedMethods": {"Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                                       "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
                    "FieldLevelEncryptionId": cls.config_id}
        d = cls.cf.create_distribution(DistributionConfig=dist_config(V2020, origins=[origin], behavior=behavior))["Distribution"]
        cls.dist = d
        wait_deployed(cls.cf, d["Id"])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.origin.close()

    def post(self, body, target="/form", content_type="application/x-www-form-urlencoded", method="POST"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.edge_tls_port, timeout=15, context=ctx)
        try:
            before = len(self.origin.requests)
            headers = {"Host": self.dist["DomainName"]}
            if content_type:
                headers["Content-Type"] = content_type
            conn.request(method, target, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            reached = self.origin.requests[before:]
            return r.status, (reached[0] if reached else None)
        finally:
            conn.close()

    def decrypt(self, value):
        return esdk_decrypt(base64.b64decode(value, validate=True), self.private_key, PROVIDER, KEY_NAME)

    def test_form_fields_encrypted_before_the_origin_and_decryptable_with_the_private_key(self):
        secret = "4111 1111 1111 1111 & ünï"
        body = urllib.parse.urlencode([("name", "Ann"), ("card", secret), ("ssn_last4", "1234"), ("note", "x+y")])
        status, got = self.post(body)
        self.assertEqual(status, 200)
        self.assertIsNotNone(got, "the request did not reach the origin")
        pairs = urllib.parse.parse_qsl(got["body"].decode(), keep_blank_values=True, strict_parsing=True)
        fields = dict(pairs)
        self.assertEqual([k for k, _ in pairs], ["name", "card", "ssn_last4", "note"])
        self.assertEqual(fields["name"], "Ann")
        self.assertEqual(fields["note"], "x+y")
        self.assertNotIn(b"4111", got["body"])
        self.assertEqual(self.decrypt(fields["card"]).decode(), secret)
        self.assertEqual(self.decrypt(fields["ssn_last4"]), b"1234")

    @unittest.skipUnless(HAVE_ESDK, NEED_ESDK)
    def test_aws_encryption_sdk_decrypts_the_values(self):
        secrets = ["4111 1111 1111 1111", "", "é" * 3000, "x" * (16 * 1024)]
        values = []
        for s in secrets:
            status, got = self.post(urllib.parse.urlencode({"other": "1", "card": s}))
            self.assertEqual(status, 200)
            values.append(dict(urllib.parse.parse_qsl(got["body"].decode(), keep_blank_values=True))["card"])
        got = esdk_js_decrypt(values, self.private_key_file)
        self.assertEqual(len(got), len(secrets))
        for g, s in zip(got, secrets):
            self.assertTrue(g == s.encode(), "the SDK decrypted %d bytes, %r..., want %d bytes" % (len(g), g[:20], len(s.encode())))

    def test_long_field_spans_frames(self):
        secret = "A" * 10000
        status, got = self.post(urllib.parse.urlencode({"card": secret}))
        self.assertEqual(status, 200)
        self.assertEqual(self.decrypt(dict(urllib.parse.parse_qsl(got["body"].decode()))["card"]).decode(), secret)

    def test_put_is_encrypted_too(self):
        status, got = self.post("card=5555", method="PUT")
        self.assertEqual(status, 200)
        self.assertEqual(self.decrypt(dict(urllib.parse.parse_qsl(got["body"].decode()))["card"]), b"5555")

    def test_query_arg_profile_selects_and_unknown_is_refused(self):
        status, got = self.post("card=1", target="/form?fle-profile=cards", content_type="application/json")
        self.assertEqual(status, 200)
        self.assertEqual(self.decrypt(dict(urllib.parse.parse_qsl(got["body"].decode()))["card"]), b"1")
        status, got = self.post("card=1", target="/form?fle-profile=nope")
        self.assertEqual(status, 400)
        self.assertIsNone(got, "a request with an unknown fle-profile reached the origin")

    def test_unknown_content_type_refused_when_not_forwarded(self):
        status, got = self.post('{"card": "1"}', content_type="application/json")
        self.assertEqual(status, 400)
        self.assertIsNone(got)

    def test_limits(self):
        status, got = self.post("card=" + "1" * (1 << 20))
        self.assertEqual(status, 413)
        self.assertIsNone(got)
        status, got = self.post("&".join("card=%d" % i for i in range(11)))
        self.assertEqual(status, 400)
        self.assertIsNone(got)
        status, got = self.post("card=" + "1" * (16 * 1024 + 1))
        self.assertEqual(status, 400)
        self.assertIsNone(got)
        status, got = self.post("card=%ZZ")
        self.assertEqual(status, 400)
        self.assertIsNone(got)

    def test_in_use_rules(self):
        err = self.client_error(lambda: self.cf.delete_public_key(Id=self.key_id, IfMatch=self.cf.get_public_key(Id=self.key_id)["ETag"]))
        self.assertEqual(err, ("PublicKeyInUse", 409))
        err = self.client_error(lambda: self.cf.delete_field_level_encryption_profile(
            Id=self.profile_id, IfMatch=self.cf.get_field_level_encryption_profile(Id=self.profile_id)["ETag"]))
        self.assertEqual(err, ("FieldLevelEncryptionProfileInUse", 409))
        err = self.client_error(lambda: self.cf.delete_field_level_encryption_config(
            Id=self.config_id, IfMatch=self.cf.get_field_level_encryption(Id=self.config_id)["ETag"]))
        self.assertEqual(err, ("FieldLevelEncryptionConfigInUse", 409))
        listed = self.cf.list_field_level_encryption_configs()["FieldLevelEncryptionList"]
        self.assertIn(self.config_id, [i["Id"] for i in listed["Items"]])
        listed = self.cf.list_field_level_encryption_profiles()["FieldLevelEncryptionProfileList"]
        self.assertEqual([i["Name"] for i in listed["Items"]], ["cards"])

    def test_aws_cli_reads_profiles_and_configs(self):
        profiles = self.server.aws("cloudfront", "list-field-level-encryption-profiles")["FieldLevelEncryptionProfileList"]
        self.assertEqual([(p["Id"], p["Name"]) for p in profiles["Items"]], [(self.profile_id, "cards")])
        entity = profiles["Items"][0]["EncryptionEntities"]["Items"][0]
        self.assertEqual((entity["PublicKeyId"], entity["ProviderId"], entity["FieldPatterns"]["Items"]), (self.key_id, PROVIDER, ["card", "ssn*"]))
        got = self.server.aws("cloudfront", "get-field-level-encryption-config", "--id", self.config_id)
        self.assertTrue(got["ETag"])
        ct = got["FieldLevelEncryptionConfig"]["ContentTypeProfileConfig"]
        self.assertEqual(ct["ContentTypeProfiles"]["Items"][0]["ProfileId"], self.profile_id)
        self.assertIs(ct["ForwardWhenContentTypeIsUnknown"], False)

    def test_behaviour_must_allow_https_and_all_methods(self):
        behavior = {"TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all",
                    "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "FieldLevelEncryptionId": self.config_id}
        origin = custom_origin("web", domain="127.0.0.1")
        err = self.client_error(lambda: self.cf.create_distribution(
            DistributionConfig=dist_config(V2020, ref="fle-bad-" + uuid.uuid4().hex, origins=[origin], behavior=behavior)))
        self.assertEqual(err, ("IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior", 400))

    def client_error(self, call):
        from botocore.exceptions import ClientError
        try:
            call()
        except ClientError as e:
            return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
        self.fail("no error")


if __name__ == "__main__":
    unittest.main()
