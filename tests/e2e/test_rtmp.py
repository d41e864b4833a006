"""End-to-end tests of the RTMP edge (streaming distributions).

Test media is generated at test time with ffmpeg (testsrc + sine, H.264/AAC,
as MP4 and FLV), uploaded to a moto S3 server, and played through
`openfront serve --s3-endpoint <moto>` with ffprobe and `ffmpeg -f null`.
The distribution is chosen by the tcUrl host (players cannot resolve
*.cloudfront.localhost through glibc, so the TCP connection goes to
127.0.0.1 and `-rtmp_tcurl` carries the distribution's name, as a player
with DNS would).

Skips (with the reason) only when ffmpeg/ffprobe or moto are missing;
scripts/test installs them.
"""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

import boto3
from botocore.config import Config

from harness import wait_port, Server, V2020, free_port, new_ref, streaming_config, wait_streaming_deployed, _rmtree_later

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
CLIP_SECONDS = 4
FPS = 25


def _have_moto():
    try:
        import moto  # noqa: F401
        return True
    except ImportError:
        return False


@unittest.skipIf(not (FFMPEG and FFPROBE), "ffmpeg/ffprobe not installed (scripts/test installs the Debian ffmpeg package)")
@unittest.skipIf(not _have_moto(), "moto not installed (python3 -m moto.server is the S3 origin of these tests)")
class RTMPTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="openfront-e2e-rtmp-")
        _rmtree_later(cls.tmp)
        # Media: H.264 + AAC, keyframe every second.
        cls.mp4 = os.path.join(cls.tmp, "clip.mp4")
        cls.flv = os.path.join(cls.tmp, "clip.flv")
        subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y",
                        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=%d" % FPS,
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                        "-t", str(CLIP_SECONDS), "-c:v", "libx264", "-preset", "veryfast", "-g", str(FPS),
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-shortest", cls.mp4],
                       check=True, timeout=120)
        subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", cls.mp4, "-c", "copy", cls.flv],
                       check=True, timeout=60)

        # S3 origin: moto.
        cls.moto_port = free_port()
        cls.moto_log = open(os.path.join(cls.tmp, "moto.log"), "wb")
        cls.moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(cls.moto_port)],
                                    stdout=cls.moto_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_port(cls.moto_port)
        cls.s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % cls.moto_port, region_name="us-east-1",
                              aws_access_key_id="moto", aws_secret_access_key="moto",
                              config=Config(retries={"total_max_attempts": 1}))
        cls.bucket = "media-" + uuid.uuid4().hex[:8]
        cls.log_bucket = "logs-" + uuid.uuid4().hex[:8]
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.create_bucket(Bucket=cls.log_bucket)
        # Public objects for distributions without an OAI (unsigned origin
        # requests), private ones for the OAI distribution (signed).
        for key, path, acl in (("videos/clip.mp4", cls.mp4, "public-read"), ("videos/clip.flv", cls.flv, "public-read"),
                               ("private/clip.mp4", cls.mp4, "private")):
            cls.s3.upload_file(path, cls.bucket, key, ExtraArgs={"ACL": acl})

        cls.server = Server(extra_args=["--s3-endpoint", "http://127.0.0.1:%d" % cls.moto_port],
                            env={"OPENFRONT_S3_ACCESS_KEY_ID": "moto", "OPENFRONT_S3_SECRET_ACCESS_KEY": "moto"}).start()
        cls.cf = cls.server.client(V2020)
        domain = cls.bucket + ".s3.amazonaws.com"
        cls.alias = "video-%s.example.com" % uuid.uuid4().hex[:8]
        cls.public = cls._create(streaming_config(domain=domain, aliases=(cls.alias,), PriceClass="PriceClass_100",
                                                  comment="rtmp e2e",
                                                  Logging={"Enabled": True, "Bucket": cls.log_bucket + ".s3.amazonaws.com",
                                                           "Prefix": "rtmp/"}))
        oai = cls.cf.create_cloud_front_origin_access_identity(CloudFrontOriginAccessIdentityConfig={
            "CallerReference": new_ref("oai"), "Comment": "rtmp"})["CloudFrontOriginAccessIdentity"]["Id"]
        cls.with_oai = cls._create(streaming_config(domain=domain, oai="origin-access-identity/cloudfront/" + oai))
        cls.disabled = cls._create(streaming_config(domain=domain, enabled=False))
        cls.signed = cls._create(streaming_config(domain=domain, TrustedSigners={"Enabled": True, "Quantity": 1, "Items": ["self"]}))

    @classmethod
    def _create(cls, cfg):
        r = cls.cf.create_streaming_distribution(StreamingDistributionConfig=cfg)["StreamingDistribution"]
        wait_streaming_deployed(cls.cf, r["Id"])
        return r

    @classmethod
    def tearDownClass(cls):
        srv = getattr(cls, "server", None)
        if srv is not None and srv.proc is not None and srv.proc.poll() is None:
            srv.stop(10)
        moto = getattr(cls, "moto", None)
        if moto is not None:
            moto.terminate()
            try:
                moto.wait(10)
            except subprocess.TimeoutExpired:
                moto.kill()
            cls.moto_log.close()

    # -- helpers --
    def url(self, name):
        return "rtmp://127.0.0.1:%d/cfx/st/%s" % (self.server.rtmp_port, name)

    def tcurl(self, host):
        return "rtmp://%s:%d/cfx/st" % (host, self.server.rtmp_port)

    def probe(self, host, name, timeout=30):
        p = subprocess.run([FFPROBE, "-v", "error", "-rtmp_tcurl", self.tcurl(host), "-print_format", "json",
                            "-show_format", "-show_streams", self.url(name)],
                           capture_output=True, text=True, timeout=timeout)
        return p

    def play(self, host, name, seek=None, timeout=60):
        """ffmpeg -f null; returns (CompletedProcess, frames, elapsed)."""
        args = [FFMPEG, "-hide_banner", "-nostats", "-v", "error", "-rtmp_tcurl", self.tcurl(host)]
        if seek is not None:
            args += ["-ss", str(seek)]
        args += ["-i", self.url(name), "-map", "0:v", "-f", "null", "-", "-progress", "pipe:1"]
        t0 = time.time()
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        frames = None
        for line in p.stdout.splitlines():
            if line.startswith("frame="):
                frames = int(line.split("=", 1)[1])
        return p, frames, time.time() - t0

    def origin_gets(self, key):
        with open(os.path.join(self.tmp, "moto.log"), "rb") as f:
            log = f.read().decode("utf-8", "replace")
        return sum(1 for line in log.splitlines() if '"GET /%s/%s' % (self.bucket, key) in line)

    # -- tests --
    def test_probe_mp4_and_flv(self):
        for name in ("mp4:videos/clip.mp4", "videos/clip", "videos/clip.flv"):
            with self.subTest(name=name):
                p = self.probe(self.public["DomainName"], name)
                self.assertEqual(p.returncode, 0, p.stderr)
                info = json.loads(p.stdout)
                codecs = sorted(s["codec_name"] for s in info["streams"])
                self.assertEqual(codecs, ["aac", "h264"])
                video = [s for s in info["streams"] if s["codec_type"] == "video"][0]
                self.assertEqual((video["width"], video["height"]), (320, 240))
                self.assertAlmostEqual(float(info["format"]["duration"]), CLIP_SECONDS, delta=0.2)

    def test_play_to_end_counts_frames(self):
        for name in ("mp4:videos/clip.mp4", "videos/clip"):
            with self.subTest(name=name):
                p, frames, elapsed = self.play(self.public["DomainName"], name)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(frames, CLIP_SECONDS * FPS)
                # Played at the media's pace, and ended (never a hang).
                self.assertLess(elapsed, CLIP_SECONDS + 20)

    def test_alias_picks_distribution(self):
        p = self.probe(self.alias, "mp4:videos/clip.mp4")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_seek(self):
        for name in ("mp4:videos/clip.mp4", "videos/clip"):
            with self.subTest(name=name):
                p, frames, _ = self.play(self.public["DomainName"], name, seek=2)
                self.assertEqual(p.returncode, 0, p.stderr)
                # From the keyframe at (or just before) 2 s to the end.
                self.assertGreaterEqual(frames, (CLIP_SECONDS - 2) * FPS - 2)
                self.assertLess(frames, (CLIP_SECONDS - 1) * FPS + 3)

    def test_signed_origin_requests_with_oai(self):
        p, frames, _ = self.play(self.with_oai["DomainName"], "mp4:private/clip.mp4")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(frames, CLIP_SECONDS * FPS)
        # The same object through the public distribution (unsigned) is
        # refused by S3 and reported as not found.
        p = self.probe(self.public["DomainName"], "mp4:private/clip.mp4")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("stream not found", p.stderr)

    def assertRefused(self, host, name, expect):
        t0 = time.time()
        p = self.probe(host, name, timeout=20)
        self.assertNotEqual(p.returncode, 0, "played %s on %s" % (name, host))
        self.assertLess(time.time() - t0, 5, "refusal was slow")
        self.assertIn(expect, p.stderr)

    def test_refusals(self):
        # ffmpeg prints the server's description: "Server error: <description>".
        self.assertRefused(self.disabled["DomainName"], "mp4:videos/clip.mp4", "disabled")
        self.assertRefused("s0000000000000.cloudfront.localhost", "mp4:videos/clip.mp4", "No streaming distribution")
        self.assertRefused(self.public["DomainName"], "mp4:videos/missing.mp4", "stream not found")
        self.assertRefused(self.public["DomainName"], "videos/missing", "stream not found")
        self.assertRefused(self.public["DomainName"], "mp3:videos/clip", "Invalid stream name")

    def test_private_content_refused_without_valid_signature(self):
        host = self.signed["DomainName"]
        self.assertRefused(host, "mp4:videos/clip.mp4", "Access denied")
        self.assertRefused(host, "mp4:videos/clip.mp4?Expires=2000000000&Signature=AAAA&Key-Pair-Id=APKAEXAMPLE",
                           "Access denied")
        self.assertRefused(host, "mp4:videos/clip.mp4?Expires=1&Signature=AAAA&Key-Pair-Id=APKAEXAMPLE", "Access denied")

    def test_signed_stream_plays(self):
        """A stream name signed with botocore's CloudFrontSigner, with a key
        registered through the 2020 API, plays; the same name unsigned or
        expired does not."""
        try:
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import padding, rsa
        except ImportError:
            self.skipTest("python cryptography module missing")
        from botocore.signers import CloudFrontSigner
        import datetime
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        pk = self.cf.create_public_key(PublicKeyConfig={"CallerReference": new_ref("pk"), "Name": "rtmp-" + uuid.uuid4().hex[:8],
                                                        "EncodedKey": pem})["PublicKey"]["Id"]
        wait_streaming_deployed(self.cf, self.signed["Id"])
        signer = CloudFrontSigner(pk, lambda msg: key.sign(msg, padding.PKCS1v15(), hashes.SHA1()))
        deadline = time.time() + 5
        while True:  # the key reaches the edge with the next applied revision
            name = signer.generate_presigned_url("mp4:videos/clip.mp4",
                                                 date_less_than=datetime.datetime.utcnow() + datetime.timedelta(hours=1))
            p, frames, _ = self.play(self.signed["DomainName"], name)
            if p.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(frames, CLIP_SECONDS * FPS)
        expired = signer.generate_presigned_url("mp4:videos/clip.mp4",
                                                date_less_than=datetime.datetime.utcnow() - datetime.timedelta(minutes=1))
        self.assertRefused(self.signed["DomainName"], expired, "Access denied")

    def test_repeated_plays_read_origin_once(self):
        key = "videos/clip.flv"
        self.play(self.public["DomainName"], "videos/clip")
        before = self.origin_gets(key)
        self.assertGreater(before, 0)
        for _ in range(3):
            p, frames, _ = self.play(self.public["DomainName"], "videos/clip")
            self.assertEqual(frames, CLIP_SECONDS * FPS, p.stderr)
        self.assertEqual(self.origin_gets(key), before, "repeated plays went back to the origin")

    def test_price_class_and_comment_shown(self):
        r = self.cf.get_streaming_distribution(Id=self.public["Id"])["StreamingDistribution"]
        self.assertEqual(r["Status"], "Deployed")
        cfg = r["StreamingDistributionConfig"]
        self.assertEqual(cfg["PriceClass"], "PriceClass_100")
        self.assertEqual(cfg["Comment"], "rtmp e2e")

    def test_zz_access_logs_delivered_at_shutdown(self):
        # Runs last (name order): stops the server, which delivers the
        # buffered streaming access logs to the Logging bucket.
        p, _, _ = self.play(self.public["DomainName"], "mp4:videos/clip.mp4?token=abc")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.server.stop(15), 0, self.server.stderr())
        objs = self.s3.list_objects_v2(Bucket=self.log_bucket, Prefix="rtmp/").get("Contents", [])
        self.assertTrue(objs, "no access log delivered")
        lines = []
        for o in objs:
            self.assertRegex(o["Key"], r"^rtmp/%s\.\d{4}-\d{2}-\d{2}-\d{2}\.[0-9A-F]+\.gz$" % self.public["Id"])
            body = self.s3.get_object(Bucket=self.log_bucket, Key=o["Key"])["Body"].read()
            text = gzip.decompress(body).decode()
            self.assertTrue(text.startswith("#Version: 1.0\n#Fields: date time x-edge-location c-ip x-event sc-bytes "
                                            "x-cf-status x-cf-client-id cs-uri-stem cs-uri-query c-referrer x-page-url "
                                            "c-user-agent x-sname x-sname-query x-file-ext x-sid\n"))
            lines += [l.split("\t") for l in text.splitlines() if not l.startswith("#")]
        events = {f[4] for f in lines}
        self.assertTrue({"connect", "play", "disconnect"} <= events, events)
        plays = [f for f in lines if f[4] == "play" and f[14] == "token=abc"]
        self.assertTrue(plays)
        self.assertEqual(plays[0][13], "mp4:videos/clip.mp4")
        self.assertEqual(plays[0][15], "mp4")
        self.assertEqual(plays[0][6], "OK")


if __name__ == "__main__":
    unittest.main()
